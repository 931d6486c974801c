"""Read-mostly admin: the ledger and its documents are written by services only, so the admin cannot change them."""

from django.contrib import admin

from aftersales.parts.models import Part, StockBalance, StockMove, Supplier, Warehouse


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Part)
class PartAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "oem_number", "brand", "category", "retail_price", "active")
    search_fields = ("code", "name", "oem_number", "barcode")


@admin.register(Supplier)
class SupplierAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "contact", "phone", "active")


@admin.register(Warehouse)
class WarehouseAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "branch", "is_default", "active")


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdmin):
    list_display = ("part", "warehouse", "on_hand", "reserved", "value", "average_cost")
    list_select_related = ("part", "warehouse")


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = ("id", "posted_at", "kind", "part", "warehouse", "quantity", "value", "reference")
    list_select_related = ("part", "warehouse")
