from django.contrib import admin

from aftersales.customers.models import Asset, Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """Read-only: customers change through the pages and the API, whose services keep the audit trail."""

    list_display = ("name", "kind", "mobile", "branch", "active")
    search_fields = ("name", "mobile")
    list_select_related = ("branch",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("kind", "vin", "plate", "customer", "branch")
    search_fields = ("vin", "plate", "serial", "imei")
    list_select_related = ("customer", "branch")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
