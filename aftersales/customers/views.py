"""Pages of customers and assets: lists with search, detail, create and edit, xlsx import and export."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_history
from aftersales.core.errors import Conflict
from aftersales.core.forms import apply_form_errors
from aftersales.core.pages import perm_required, render_list, submit
from aftersales.core.pagination import positive_int
from aftersales.core.xlsx import xlsx_response
from aftersales.customers import selectors, services
from aftersales.customers.choices import AssetKind, CustomerKind, CustomerSource
from aftersales.customers.forms import AssetForm, CustomerForm, ImportUploadForm, VehicleForm
from aftersales.customers.imports import column_labels
from aftersales.customers.models import ImportStatus
from aftersales.org.models import Branch


def _active_filter(value: str | None) -> bool | None:
    return {"1": True, "0": False, "all": None}.get(value or "1", True)


def _customer_filters(request) -> dict:
    get = request.GET
    return {
        "q": get.get("q", "").strip(),
        "branch": positive_int(get.get("branch"), None),
        "kind": get.get("kind", ""),
        "source": get.get("source", ""),
        "active": _active_filter(get.get("active")),
        "sort": get.get("sort", ""),
    }


# -- customers --------------------------------------------------------------------------------------------------------


@perm_required("customers.view_customer")
def customer_list(request):
    queryset = selectors.customer_list(user=request.user, **_customer_filters(request))
    context = {
        "branches": Branch.objects.for_user(request.user).filter(active=True),
        "kinds": CustomerKind.choices,
        "sources": CustomerSource.choices,
    }
    return render_list(
        request,
        "customers/customer_list.html",
        "customers/_customer_table.html",
        queryset,
        context,
        after_page=selectors.customers_with_assets,
    )


@perm_required("customers.export_customer")
def customer_export(request):
    queryset = selectors.customer_list(user=request.user, **_customer_filters(request))
    name = _("customers") + timezone.localtime().strftime("-%Y%m%d-%H%M") + ".xlsx"
    return xlsx_response(name, column_labels(), selectors.customer_export_rows(queryset), sheet_title=_("customers"))


@login_required
def customer_detail(request, pk):
    customer = selectors.customer_detail(user=request.user, pk=pk)
    require_perm(request.user, "customers.view_customer")
    context = {
        "customer": customer,
        "assets": list(customer.assets.all()),
        "history": audit_history(customer),
        "orders": _service_history(request.user, customer=customer.pk),
    }
    return render(request, "customers/customer_detail.html", context)


@perm_required("customers.add_customer")
def customer_create(request):
    form = CustomerForm(request.POST or None, user=request.user, creating=True)
    vehicle_form = VehicleForm(request.POST or None)
    customer = None
    if request.method == "POST" and form.is_valid() and vehicle_form.is_valid():
        data = {
            k: form.cleaned_data[k]
            for k in ("kind", "name", "mobile", "id_number", "address", "source", "branch", "notes")
        }
        try:
            customer = services.customer_register(
                actor=request.user,
                customer=data,
                vehicle=vehicle_form.vehicle_data(),
                confirm_vin=vehicle_form.cleaned_data["confirm_vin"],
            )
        except ValidationError as exc:
            _split_errors(exc, form, vehicle_form)
    if customer:
        messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
        return redirect(customer)
    return render(
        request,
        "customers/customer_form.html",
        {
            "form": form,
            "vehicle_form": vehicle_form,
            "title": _("New customer"),
            "vin_warning": _has_vin_warning(vehicle_form),
        },
    )


def _has_vin_warning(form) -> bool:
    """The VIN was refused only for its check digit: the page then offers to confirm it."""
    return any(error.code == "vin_check_digit" for error in form.errors.as_data().get("vin", []))


def _split_errors(exc: ValidationError, form, vehicle_form) -> None:
    """A register error names a customer field or a vehicle field; show it beside the right one."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    customer_part = {k: v for k, v in exc.error_dict.items() if k in form.fields}
    vehicle_part = {k: v for k, v in exc.error_dict.items() if k not in form.fields}
    if customer_part:
        apply_form_errors(form, ValidationError(customer_part))
    if vehicle_part:
        apply_form_errors(vehicle_form, ValidationError(vehicle_part))


@login_required
def customer_edit(request, pk):
    customer = selectors.customer_detail(user=request.user, pk=pk)
    require_perm(request.user, "customers.change_customer")
    form = CustomerForm(request.POST or None, instance=customer, user=request.user)
    if submit(
        request,
        form,
        lambda data: services.customer_update(actor=request.user, customer=customer, data=data),
        success=_("Customer saved."),
    ):
        return redirect(customer)
    return render(
        request, "core/form.html", {"form": form, "title": _("Edit %(name)s") % {"name": customer}, "object": customer}
    )


# -- assets -----------------------------------------------------------------------------------------------------------


@perm_required("customers.view_asset")
def asset_list(request):
    get = request.GET
    queryset = selectors.asset_list(
        user=request.user,
        q=get.get("q", "").strip(),
        kind=get.get("kind", ""),
        branch=positive_int(get.get("branch"), None),
        active=_active_filter(get.get("active")),
        sort=get.get("sort", ""),
    )
    context = {"kinds": AssetKind.choices, "branches": Branch.objects.for_user(request.user).filter(active=True)}
    return render_list(request, "customers/asset_list.html", "customers/_asset_table.html", queryset, context)


@login_required
def asset_detail(request, pk):
    asset = selectors.asset_detail(user=request.user, pk=pk)
    require_perm(request.user, "customers.view_asset")
    context = {"asset": asset, "history": audit_history(asset), "orders": _service_history(request.user, asset=asset)}
    return render(request, "customers/asset_detail.html", context)


SERVICE_HISTORY_ROWS = 20


def _service_history(user, **which) -> list:
    """The newest service orders of an asset or customer (车历) that the user may see; the service app owns them."""
    if not user.has_perm("service.view_serviceorder"):
        return []
    from aftersales.service.selectors import order_list

    return list(order_list(user=user, **which)[:SERVICE_HISTORY_ROWS])


def _asset_form_page(request, form, title, *, customer, asset=None):
    return render(
        request,
        "customers/asset_form.html",
        {
            "form": form,
            "title": title,
            "customer": customer,
            "object": asset or customer,
            "vin_warning": _has_vin_warning(form),
        },
    )


@login_required
def asset_create(request, customer_pk):
    customer = selectors.customer_detail(user=request.user, pk=customer_pk)
    require_perm(request.user, "customers.add_asset")
    form = AssetForm(
        request.POST or None,
        user=request.user,
        creating=True,
        initial={"kind": request.GET.get("kind", AssetKind.VEHICLE)},
    )

    def save(data):
        asset_data = form.asset_data()
        return services.asset_create(
            actor=request.user, customer=customer, confirm_vin=data["confirm_vin"], **asset_data
        )

    if submit(request, form, save, success=_("Asset added.")):
        return redirect(customer)
    return _asset_form_page(request, form, _("New asset for %(name)s") % {"name": customer.name}, customer=customer)


@login_required
def asset_edit(request, pk):
    asset = selectors.asset_detail(user=request.user, pk=pk)
    require_perm(request.user, "customers.change_asset")
    form = AssetForm(request.POST or None, instance=asset, user=request.user)
    if submit(
        request,
        form,
        lambda data: services.asset_update(
            actor=request.user, asset=asset, data=form.asset_data(), confirm_vin=data["confirm_vin"]
        ),
        success=_("Asset saved."),
    ):
        return redirect(asset)
    return _asset_form_page(request, form, _("Edit %(name)s") % {"name": asset}, customer=asset.customer, asset=asset)


# -- import -----------------------------------------------------------------------------------------------------------


@perm_required("customers.import_customer")
def customer_import(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    batch = submit(
        request,
        form,
        lambda data: services.customer_import_preview(actor=request.user, branch=data["branch"], upload=data["file"]),
        success=_("The sheet has been checked."),
    )
    if batch:
        return redirect("customers:customer_import_preview", pk=batch.pk)
    return render(request, "customers/import_upload.html", {"form": form, "columns": column_labels()})


@perm_required("customers.import_customer")
def customer_import_template(request):
    example = [
        "张三",
        "个人",
        "13800138000",
        "",
        "北京市朝阳区建国路88号",
        "电话",
        "",
        "LSVAU218XN2183294",
        "京A12345",
        "大众",
        "帕萨特",
        2022,
        35000,
        "2027-03-31",
    ]
    return xlsx_response(
        _("customer-import-template") + ".xlsx", column_labels(), [example], sheet_title=_("customers")
    )


@login_required
def customer_import_preview(request, pk):
    batch = selectors.customer_import_get(user=request.user, pk=pk)
    require_perm(request.user, "customers.import_customer")
    return render(
        request,
        "customers/import_preview.html",
        {
            "batch": batch,
            "previewed": batch.status == ImportStatus.PREVIEWED,
            "bad_rows": [row for row in batch.rows if row["errors"]],
        },
    )


@require_POST
@login_required
def customer_import_commit(request, pk):
    batch = selectors.customer_import_get(user=request.user, pk=pk)
    require_perm(request.user, "customers.import_customer")
    try:
        created = services.customer_import_commit(
            actor=request.user, batch=batch, confirm_vin=request.POST.get("confirm_vin") == "on"
        )
    except (ValidationError, Conflict) as exc:
        message = exc.message if isinstance(exc, Conflict) else "; ".join(exc.messages)
        messages.error(request, message)
        return redirect("customers:customer_import_preview", pk=batch.pk)
    messages.success(
        request, _("Imported %(rows)d rows: %(created)d new customers.") % {"rows": batch.row_count, "created": created}
    )
    return redirect("customers:customer_list")


@require_POST
@login_required
def customer_import_discard(request, pk):
    batch = selectors.customer_import_get(user=request.user, pk=pk)
    require_perm(request.user, "customers.import_customer")
    try:
        services.customer_import_discard(actor=request.user, batch=batch)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The sheet was discarded; nothing was imported."))
    return redirect("customers:customer_import")
