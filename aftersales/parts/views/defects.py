"""Pages: defects (不良) — the list with filters, recording one, its page with return-to-supplier and scrap, and the
summary by part and by supplier with its xlsx export."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_history
from aftersales.core.errors import Conflict
from aftersales.core.pages import form_page, perm_required, pick, render_list
from aftersales.core.pagination import positive_int
from aftersales.core.xlsx import xlsx_response
from aftersales.parts.choices import DefectSource, DefectStatus
from aftersales.parts.forms_stocktake import DefectForm, DefectSummaryForm
from aftersales.parts.models import Supplier
from aftersales.parts.services import defects as services


def _filters(request) -> dict:
    get = request.GET
    return {
        "status": get.get("status", ""),
        "source": get.get("source", ""),
        "supplier": positive_int(get.get("supplier"), None),
        "part": positive_int(get.get("part"), None),
        "q": get.get("q", "").strip(),
    }


@perm_required("parts.view_defect")
def defect_list(request):
    queryset = services.defect_list(user=request.user, **_filters(request))
    context = {
        "statuses": DefectStatus.choices,
        "sources": DefectSource.choices,
        "suppliers": Supplier.objects.for_user(request.user).filter(active=True).only("pk", "code", "name"),
    }
    return render_list(request, "parts/defect_list.html", "parts/defect_list_table.html", queryset, context)


@perm_required("parts.add_defect")
def defect_create(request):
    initial = {key: request.GET[key] for key in ("part", "warehouse", "source", "reference") if request.GET.get(key)}
    form = DefectForm(request.POST or None, user=request.user, initial=initial)
    return form_page(
        request,
        form,
        lambda data: services.defect_record(
            actor=request.user,
            **pick(data, ("part", "warehouse", "quantity", "reason", "source", "supplier", "reference")),
        ),
        success=_("Defect recorded."),
        title=_("Record a defect"),
        cancel="parts:defect_list",
    )


@login_required
def defect_detail(request, pk):
    defect = services.defect_get(user=request.user, pk=pk)
    require_perm(request.user, "parts.view_defect")
    context = {
        "defect": defect,
        "actions": services.defect_actions(user=request.user, defect=defect),
        "history": audit_history(defect),
    }
    return render(request, "parts/defect_detail.html", context)


def _close(request, pk, service, success: str):
    defect = services.defect_get(user=request.user, pk=pk)
    require_perm(request.user, "parts.view_defect")
    try:
        service(actor=request.user, defect=defect)
    except (ValidationError, Conflict) as exc:
        messages.error(request, str(exc.message) if isinstance(exc, Conflict) else " ".join(exc.messages))
    else:
        messages.success(request, success % {"number": defect.number})
    return redirect(defect)


@require_POST
@login_required
def defect_return(request, pk):
    return _close(request, pk, services.defect_return_to_supplier, _("Defect %(number)s returned to the supplier."))


@require_POST
@login_required
def defect_scrap(request, pk):
    return _close(request, pk, services.defect_scrap, _("Defect %(number)s scrapped."))


def _summary_args(request):
    """The summary's period and warehouse from the query (this month so far by default), and the form showing them."""
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("date_from", today.replace(day=1).isoformat())
    data.setdefault("date_to", today.isoformat())
    form = DefectSummaryForm(data, user=request.user)
    if form.is_valid():
        args = pick(form.cleaned_data, ("date_from", "date_to", "warehouse"))
    else:
        args = {"date_from": today.replace(day=1), "date_to": today, "warehouse": None}
    return form, args


@perm_required("parts.view_defect")
def defect_summary(request):
    form, args = _summary_args(request)
    summary = services.defect_summary(user=request.user, **args)
    return render(request, "parts/defect_summary.html", {"form": form, "summary": summary, **args})


def _day(value: datetime.date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


@perm_required("parts.view_defect")
def defect_summary_export(request):
    _form, args = _summary_args(request)
    summary = services.defect_summary(user=request.user, **args)
    by_part, by_supplier, none = _("By part"), _("By supplier"), _("No supplier")
    rows = [[by_part, r.code, r.name, r.records, r.quantity, r.value] for r in summary.by_part]
    rows += [[by_supplier, r.code or none, r.name, r.records, r.quantity, r.value] for r in summary.by_supplier]
    headers = [_("Group"), _("Code"), _("Name"), _("Records"), _("Quantity"), _("Value at average cost")]
    name = f"{_('defect-summary')}-{_day(args['date_from'])}-{_day(args['date_to'])}.xlsx"
    return xlsx_response(name, headers, rows, sheet_title=_("Defect summary"))


urlpatterns = [
    path("defects/", defect_list, name="defect_list"),
    path("defects/new/", defect_create, name="defect_create"),
    path("defects/summary/", defect_summary, name="defect_summary"),
    path("defects/summary.xlsx", defect_summary_export, name="defect_summary_export"),
    path("defects/<int:pk>/", defect_detail, name="defect_detail"),
    path("defects/<int:pk>/return/", defect_return, name="defect_return"),
    path("defects/<int:pk>/scrap/", defect_scrap, name="defect_scrap"),
]
