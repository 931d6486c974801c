"""Pages: catalogue and locations — parts (quick search, barcode jump, export), suppliers, warehouses and bins.

A part's stock on the list and the part page covers only the warehouses the user may see: the sums come
from `StockBalance.objects.for_user`, so a store's keeper sees their store's stock and a regional manager
the region's.
"""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Count, DecimalField, F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_history
from aftersales.core.pages import perm_required, pick, render_list, submit
from aftersales.core.pagination import paginate, positive_int
from aftersales.core.xlsx import xlsx_response
from aftersales.org.models import Branch
from aftersales.parts import selectors
from aftersales.parts.choices import ReservationStatus
from aftersales.parts.forms import CATEGORY_LIST_ID, BalanceBinForm, BinForm, PartForm, SupplierForm, WarehouseForm
from aftersales.parts.models import Bin, Part, StockBalance, Supplier
from aftersales.parts.services import catalogue

ZERO = Decimal("0")
QUANTITY = DecimalField(max_digits=14, decimal_places=2)
MOVES_SHOWN = 50


def _active_filter(value: str | None) -> bool | None:
    return {"1": True, "0": False, "all": None}.get(value or "1", True)


def _form_page(
    request, form, save, *, success: str, title: str, obj=None, cancel=None, template="core/form.html", **extra
):
    """`core.pages.form_page` with extra context for the template (e.g. the part form's category list)."""
    saved = submit(request, form, save, success=success)
    if saved:
        return redirect(saved)
    return render(request, template, {"form": form, "title": title, "object": obj, "cancel": cancel, **extra})


def _sum_of(balances: QuerySet, expression) -> Coalesce:
    """One correlated subquery: the sum of `expression` over `balances` (already narrowed to one part/warehouse)."""
    total = balances.order_by().annotate(total=Sum(expression)).values("total")
    return Coalesce(Subquery(total, output_field=QUANTITY), Value(ZERO), output_field=QUANTITY)


def parts_with_stock(queryset: QuerySet, user) -> QuerySet:
    """Each part with `stock_on_hand` and `stock_available` summed over the warehouses the user may see.

    Two correlated subqueries in the same SELECT, so a page of parts costs one query whatever its length.
    """
    balances = StockBalance.objects.for_user(user).filter(part=OuterRef("pk")).values("part")
    return queryset.annotate(
        stock_on_hand=_sum_of(balances, "on_hand"), stock_available=_sum_of(balances, F("on_hand") - F("reserved"))
    )


# -- parts ------------------------------------------------------------------------------------------------------------


def _part_filters(request) -> dict:
    get = request.GET
    return {
        "q": get.get("q", "").strip(),
        "category": get.get("category", "").strip(),
        "supplier": positive_int(get.get("supplier"), None),
        "active": _active_filter(get.get("active")),
        "sort": get.get("sort", ""),
    }


def _scanned_part(user, q: str) -> Part | None:
    """The one part whose barcode is exactly `q` (a scan), or None when none or several carry it."""
    found = list(Part.objects.for_user(user).filter(barcode=q).only("pk")[:2])
    return found[0] if len(found) == 1 else None


@perm_required("parts.view_part")
def part_list(request):
    filters = _part_filters(request)
    if filters["q"] and not request.htmx:
        scanned = _scanned_part(request.user, filters["q"])
        if scanned is not None:
            return redirect("parts:part_detail", pk=scanned.pk)
    queryset = parts_with_stock(selectors.part_list(user=request.user, **filters), request.user)
    context = {
        # callables: the htmx partial never draws the filter bar, so it never runs these queries
        "categories": selectors.part_categories,
        "suppliers": Supplier.objects.for_user(request.user).filter(active=True).only("pk", "code", "name"),
    }
    return render_list(request, "parts/part_list.html", "parts/_part_table.html", queryset, context)


@perm_required("parts.export_part")
def part_export(request):
    queryset = parts_with_stock(selectors.part_list(user=request.user, **_part_filters(request)), request.user)
    headers = [
        _("Part code"),
        _("Name"),
        _("OEM number"),
        _("Brand"),
        _("Category"),
        _("Unit"),
        _("Barcode"),
        _("Retail price"),
        _("Warranty price"),
        _("Reorder point"),
        _("Reorder quantity"),
        _("Supplier"),
        _("On hand"),
        _("Available"),
        _("Active"),
    ]
    yes, no = _("Yes"), _("No")
    rows = (
        [
            p.code,
            p.name,
            p.oem_number,
            p.brand,
            p.category,
            p.unit,
            p.barcode,
            p.retail_price,
            p.warranty_price,
            p.reorder_point,
            p.reorder_quantity,
            p.supplier.code if p.supplier else "",
            p.stock_on_hand,
            p.stock_available,
            yes if p.active else no,
        ]
        for p in queryset.iterator(chunk_size=2000)
    )
    name = _("parts") + timezone.localtime().strftime("-%Y%m%d-%H%M") + ".xlsx"
    return xlsx_response(name, headers, rows, sheet_title=_("parts"))


def _bins_by_warehouse(user, warehouse_ids) -> dict[int, list[Bin]]:
    bins: dict[int, list[Bin]] = {}
    for bin_ in Bin.objects.for_user(user).filter(warehouse_id__in=warehouse_ids, active=True).order_by("code"):
        bins.setdefault(bin_.warehouse_id, []).append(bin_)
    return bins


@login_required
def part_detail(request, pk):
    part = selectors.part_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.view_part")
    user = request.user
    context = {"part": part, "history": audit_history(part), "moves_shown": MOVES_SHOWN}
    if user.has_perm("parts.view_stockbalance"):
        balances = selectors.part_balances(user=user, part=part)
        if user.has_perm("parts.change_warehouse"):
            bins = _bins_by_warehouse(user, [b.warehouse_id for b in balances])
            for balance in balances:
                options = bins.get(balance.warehouse_id, [])
                if balance.bin is not None and balance.bin not in options:
                    options = [balance.bin, *options]  # an inactive bin still holding the part stays shown
                balance.bin_options = options
        context["balances"] = balances
        context["totals"] = {
            name: sum((getattr(b, name) for b in balances), ZERO) for name in ("on_hand", "reserved", "value")
        }
        context["totals"]["available"] = context["totals"]["on_hand"] - context["totals"]["reserved"]
        context["below_reorder"] = part.reorder_point > 0 and context["totals"]["available"] <= part.reorder_point
    if user.has_perm("parts.view_stockmove"):
        context["moves"] = list(selectors.move_list(user=user, part=part.pk)[:MOVES_SHOWN])
    if user.has_perm("parts.view_stockreservation"):
        context["reservations"] = list(
            selectors.reservation_list(user=user, part=part.pk, status=ReservationStatus.OPEN)
        )
    return render(request, "parts/part_detail.html", context)


def _part_form_page(request, form, save, **options):
    return _form_page(
        request,
        form,
        save,
        template="parts/part_form.html",
        categories=selectors.part_categories,
        category_list_id=CATEGORY_LIST_ID,
        **options,
    )


@perm_required("parts.add_part")
def part_create(request):
    form = PartForm(request.POST or None, user=request.user, creating=True)
    return _part_form_page(
        request,
        form,
        lambda data: catalogue.part_create(actor=request.user, **data),
        success=_("Part created."),
        title=_("New part"),
        cancel="parts:part_list",
    )


@login_required
def part_edit(request, pk):
    part = selectors.part_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.change_part")
    form = PartForm(request.POST or None, instance=part, user=request.user)
    return _part_form_page(
        request,
        form,
        lambda data: catalogue.part_update(actor=request.user, part=part, data=data),
        success=_("Part saved."),
        title=_("Edit %(name)s") % {"name": part},
        obj=part,
    )


# -- suppliers --------------------------------------------------------------------------------------------------------


@perm_required("parts.view_supplier")
def supplier_list(request):
    queryset = selectors.supplier_list(
        user=request.user, q=request.GET.get("q", "").strip(), active=_active_filter(request.GET.get("active"))
    )
    parts = Part.objects.filter(supplier=OuterRef("pk"), active=True).order_by().values("supplier")
    queryset = queryset.annotate(
        part_count=Coalesce(Subquery(parts.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0))
    )
    return render_list(request, "parts/supplier_list.html", "parts/_supplier_table.html", queryset, {})


@login_required
def supplier_detail(request, pk):
    supplier = selectors.supplier_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.view_supplier")
    parts = selectors.part_list(user=request.user, supplier=supplier.pk, active=None, sort=request.GET.get("sort", ""))
    page = paginate(
        parts_with_stock(parts, request.user), page=request.GET.get("page"), page_size=request.GET.get("page_size")
    )
    context = {"supplier": supplier, "page": page, "history": audit_history(supplier)}
    return render(request, "parts/supplier_detail.html", context)


SUPPLIER_FIELDS = ("code", "name", "contact", "phone", "address", "notes")


@perm_required("parts.add_supplier")
def supplier_create(request):
    form = SupplierForm(request.POST or None, user=request.user, creating=True)
    return _form_page(
        request,
        form,
        lambda data: catalogue.supplier_create(actor=request.user, **pick(data, SUPPLIER_FIELDS)),
        success=_("Supplier created."),
        title=_("New supplier"),
        cancel="parts:supplier_list",
    )


@login_required
def supplier_edit(request, pk):
    supplier = selectors.supplier_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.change_supplier")
    form = SupplierForm(request.POST or None, instance=supplier, user=request.user)
    return _form_page(
        request,
        form,
        lambda data: catalogue.supplier_update(actor=request.user, supplier=supplier, data=data),
        success=_("Supplier saved."),
        title=_("Edit %(name)s") % {"name": supplier},
        obj=supplier,
    )


# -- warehouses and bins ----------------------------------------------------------------------------------------------


@perm_required("parts.view_warehouse")
def warehouse_list(request):
    get = request.GET
    queryset = selectors.warehouse_list(
        user=request.user, branch=positive_int(get.get("branch"), None), active=_active_filter(get.get("active"))
    )
    balances = StockBalance.objects.filter(warehouse=OuterRef("pk"), on_hand__gt=0).values("warehouse")
    bins = Bin.objects.filter(warehouse=OuterRef("pk"), active=True).order_by().values("warehouse")
    queryset = queryset.annotate(
        stock_value=_sum_of(balances, "value"),
        stocked_parts=Coalesce(
            Subquery(balances.order_by().annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0)
        ),
        bin_count=Coalesce(Subquery(bins.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0)),
    )
    context = {"branches": Branch.objects.for_user(request.user).filter(active=True)}
    return render_list(request, "parts/warehouse_list.html", "parts/_warehouse_table.html", queryset, context)


def _warehouse_page(request, warehouse, *, bin_form=None):
    user = request.user
    balances = selectors.balance_list(
        user=user, warehouse=warehouse.pk, q=request.GET.get("q", "").strip(), sort=request.GET.get("sort", "")
    ).filter(on_hand__gt=0)
    totals = StockBalance.objects.filter(warehouse=warehouse, on_hand__gt=0).aggregate(
        value=Coalesce(Sum("value"), Value(ZERO), output_field=QUANTITY), lines=Count("pk")
    )
    context = {
        "warehouse": warehouse,
        "bins": list(warehouse.bins.order_by("-active", "code")),
        "page": paginate(balances, page=request.GET.get("page"), page_size=request.GET.get("page_size")),
        "totals": totals,
        "history": audit_history(warehouse),
    }
    if user.has_perm("parts.change_warehouse"):
        context["bin_form"] = bin_form or BinForm(user=user)
    return render(request, "parts/warehouse_detail.html", context)


@login_required
def warehouse_detail(request, pk):
    warehouse = selectors.warehouse_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.view_warehouse")
    return _warehouse_page(request, warehouse)


@perm_required("parts.add_warehouse")
def warehouse_create(request):
    form = WarehouseForm(request.POST or None, user=request.user, creating=True)
    return _form_page(
        request,
        form,
        lambda data: catalogue.warehouse_create(
            actor=request.user, **pick(data, ("code", "name", "branch", "is_default", "address"))
        ),
        success=_("Warehouse created."),
        title=_("New warehouse"),
        cancel="parts:warehouse_list",
    )


@login_required
def warehouse_edit(request, pk):
    warehouse = selectors.warehouse_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.change_warehouse")
    form = WarehouseForm(request.POST or None, instance=warehouse, user=request.user)
    return _form_page(
        request,
        form,
        lambda data: catalogue.warehouse_update(actor=request.user, warehouse=warehouse, data=data),
        success=_("Warehouse saved."),
        title=_("Edit %(name)s") % {"name": warehouse},
        obj=warehouse,
    )


@require_POST
@login_required
def bin_create(request, pk):
    warehouse = selectors.warehouse_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.change_warehouse")
    form = BinForm(request.POST, user=request.user)
    saved = submit(
        request,
        form,
        lambda data: catalogue.bin_create(actor=request.user, warehouse=warehouse, **pick(data, ("code", "name"))),
        success=_("Bin added."),
        # "this warehouse already has that code" comes as a whole-row error: show it beside the code
        field_map={NON_FIELD_ERRORS: "code"},
    )
    if saved:
        return redirect(warehouse)
    return _warehouse_page(request, warehouse, bin_form=form)


@require_POST
@login_required
def balance_bin(request, warehouse_pk, part_pk):
    warehouse = selectors.warehouse_detail(user=request.user, pk=warehouse_pk)
    part = selectors.part_detail(user=request.user, pk=part_pk)
    require_perm(request.user, "parts.change_warehouse")
    form = BalanceBinForm(request.POST, warehouse=warehouse)
    if not form.is_valid():
        messages.error(request, "; ".join(form.errors.get("bin", [])) or _("Choose a bin."))
        return redirect(part)
    bin_ = form.cleaned_data["bin"]
    try:
        catalogue.balance_bin_set(actor=request.user, warehouse=warehouse, part=part, bin=bin_)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        if bin_ is None:
            messages.success(request, _("%(part)s has no home bin in %(warehouse)s now.") % _names(part, warehouse))
        else:
            messages.success(
                request,
                _("%(part)s now lives in bin %(bin)s of %(warehouse)s.")
                % {**_names(part, warehouse), "bin": bin_.code},
            )
    return redirect(part)


def _names(part, warehouse) -> dict:
    return {"part": part.code, "warehouse": warehouse.code}


urlpatterns = [
    path("", part_list, name="part_list"),
    path("new/", part_create, name="part_create"),
    path("export.xlsx", part_export, name="part_export"),
    path("<int:pk>/", part_detail, name="part_detail"),
    path("<int:pk>/edit/", part_edit, name="part_edit"),
    path("suppliers/", supplier_list, name="supplier_list"),
    path("suppliers/new/", supplier_create, name="supplier_create"),
    path("suppliers/<int:pk>/", supplier_detail, name="supplier_detail"),
    path("suppliers/<int:pk>/edit/", supplier_edit, name="supplier_edit"),
    path("warehouses/", warehouse_list, name="warehouse_list"),
    path("warehouses/new/", warehouse_create, name="warehouse_create"),
    path("warehouses/<int:pk>/", warehouse_detail, name="warehouse_detail"),
    path("warehouses/<int:pk>/edit/", warehouse_edit, name="warehouse_edit"),
    path("warehouses/<int:pk>/bins/new/", bin_create, name="bin_create"),
    path("warehouses/<int:warehouse_pk>/parts/<int:part_pk>/bin/", balance_bin, name="balance_bin"),
]
