"""Pages: stocktake (盘点) — the list, starting a count, the count page with typed and uploaded counts, the count
sheet download, and the buttons of the transition table (submit, reopen, cancel, approve)."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_history
from aftersales.core.errors import Conflict
from aftersales.core.forms import apply_form_errors
from aftersales.core.pages import form_page, perm_required, pick, render_list
from aftersales.core.pagination import positive_int
from aftersales.core.xlsx import xlsx_response
from aftersales.parts.choices import StocktakeStatus
from aftersales.parts.forms_stocktake import CountForm, CountSheetUploadForm, StocktakeStartForm
from aftersales.parts.models import StocktakeLine, Warehouse
from aftersales.parts.services import stocktake as services


@dataclass(frozen=True)
class Button:
    url_name: str
    label: str
    confirm: str
    style: str = ""


#: The button of each move of the transition table (the services decide which are offered).
BUTTONS = {
    StocktakeStatus.SUBMITTED: Button(
        "parts:stocktake_submit",
        gettext_lazy("Submit for approval"),
        gettext_lazy("Submit the counts for approval?"),
        "btn-primary",
    ),
    StocktakeStatus.APPROVED: Button(
        "parts:stocktake_approve",
        gettext_lazy("Approve and post"),
        gettext_lazy("Approve the stocktake and post every variance to the stock ledger? This cannot be undone."),
        "btn-primary",
    ),
    StocktakeStatus.COUNTING: Button(
        "parts:stocktake_reopen", gettext_lazy("Reopen"), gettext_lazy("Send the stocktake back to counting?")
    ),
    StocktakeStatus.CANCELLED: Button(
        "parts:stocktake_cancel",
        gettext_lazy("Cancel stocktake"),
        gettext_lazy("Cancel this stocktake? Nothing will be posted."),
        "btn-danger",
    ),
}


def _error_text(exc: Exception) -> str:
    if isinstance(exc, Conflict):
        return str(exc.message)
    return " ".join(exc.messages)


@perm_required("parts.view_stocktake")
def stocktake_list(request):
    get = request.GET
    queryset = services.stocktake_list(
        user=request.user, warehouse=positive_int(get.get("warehouse"), None), status=get.get("status", "")
    )
    context = {
        "warehouses": Warehouse.objects.for_user(request.user).filter(active=True),
        "statuses": StocktakeStatus.choices,
    }
    return render_list(request, "parts/stocktake_list.html", "parts/stocktake_list_table.html", queryset, context)


@perm_required("parts.add_stocktake")
def stocktake_create(request):
    form = StocktakeStartForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        lambda data: services.stocktake_start(actor=request.user, **pick(data, ("warehouse", "category", "note"))),
        success=_("Stocktake started: download the count sheet or enter the counts below."),
        title=_("New stocktake"),
        cancel="parts:stocktake_list",
    )


def _detail(request, stocktake, *, upload_form=None):
    get = request.GET
    lines = services.stocktake_lines(stocktake=stocktake, q=get.get("q", ""), show=get.get("show", ""))
    can_count = stocktake.status == StocktakeStatus.COUNTING and request.user.has_perm("parts.change_stocktake")
    context = {
        "stocktake": stocktake,
        "can_count": can_count,
        "show_choices": [
            ("uncounted", _("Not counted")),
            ("counted", _("Counted")),
            ("variance", _("With a variance")),
        ],
    }
    if not (getattr(request, "htmx", False) and not request.htmx.boosted):  # the whole page, not just the lines
        context.update(
            {
                "totals": services.stocktake_totals(stocktake=stocktake),
                "stale": services.stocktake_stale_lines(stocktake=stocktake),
                "buttons": [
                    BUTTONS[status] for status in services.stocktake_actions(user=request.user, stocktake=stocktake)
                ],
                "upload_form": upload_form or (CountSheetUploadForm() if can_count else None),
                "history": audit_history(stocktake),
            }
        )
    return render_list(
        request,
        "parts/stocktake_detail.html",
        "parts/stocktake_lines.html",
        lines,
        context,
        after_page=services.line_values_attach,
    )


@login_required
def stocktake_detail(request, pk):
    stocktake = services.stocktake_get(user=request.user, pk=pk)
    require_perm(request.user, "parts.view_stocktake")
    return _detail(request, stocktake)


@login_required
def stocktake_sheet(request, pk):
    """The count sheet as xlsx; `?blind=1` leaves out the system quantity."""
    stocktake = services.stocktake_get(user=request.user, pk=pk)
    require_perm(request.user, "parts.view_stocktake")
    blind = request.GET.get("blind") == "1"
    title, headers, rows = services.stocktake_sheet(stocktake=stocktake, blind=blind)
    suffix = "-" + _("blind") if blind else ""
    return xlsx_response(f"{stocktake.number}{suffix}.xlsx", title, [headers, *rows], sheet_title=stocktake.number)


@require_POST
@login_required
def stocktake_upload(request, pk):
    stocktake = services.stocktake_get(user=request.user, pk=pk)
    require_perm(request.user, "parts.change_stocktake")
    form = CountSheetUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = services.stocktake_counts_import(
                actor=request.user, stocktake=stocktake, upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return redirect(stocktake)
        else:
            message = _("Counts read from the sheet: %(counted)d lines.") % {"counted": result.counted}
            if result.added:
                message += " " + _("Found stock added as new lines: %(codes)s.") % {"codes": ", ".join(result.added)}
            messages.success(request, message)
            return redirect(stocktake)
    return _detail(request, stocktake, upload_form=form)


def _back(request, stocktake):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(stocktake)


@require_POST
@login_required
def stocktake_count(request, pk, line_pk):
    """Type one line's count: htmx answers with the line's row, a plain form goes back to the page."""
    stocktake = services.stocktake_get(user=request.user, pk=pk)
    require_perm(request.user, "parts.change_stocktake")
    line = get_object_or_404(StocktakeLine, pk=line_pk, stocktake=stocktake)
    form = CountForm(request.POST)
    error = None
    if form.is_valid():
        try:
            line = services.stocktake_count_set(actor=request.user, line=line, counted=form.cleaned_data["counted"])
        except (ValidationError, Conflict) as exc:
            error = _error_text(exc)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if getattr(request, "htmx", False):
        line = services.stocktake_lines(stocktake=stocktake).get(pk=line.pk)
        services.line_values_attach([line])
        context = {
            "line": line,
            "stocktake": stocktake,
            "can_count": stocktake.status == StocktakeStatus.COUNTING,
            "error": error,
            "typed": request.POST.get("counted", "") if error else None,
        }
        return render(request, "parts/stocktake_line_row.html", context)
    if error:
        messages.error(request, f"{line.part.code}: {error}")
    else:
        messages.success(request, _("Count of %(code)s saved.") % {"code": line.part.code})
    return _back(request, stocktake)


def _transition(request, pk, service, success: str):
    stocktake = services.stocktake_get(user=request.user, pk=pk)
    require_perm(request.user, "parts.view_stocktake")
    try:
        service(actor=request.user, stocktake=stocktake)
    except (ValidationError, Conflict) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, success % {"number": stocktake.number})
    return redirect(stocktake)


@require_POST
@login_required
def stocktake_recount(request, pk):
    """Fresh snapshots of the lines whose stock moved during the count (their counts are cleared)."""
    stocktake = services.stocktake_get(user=request.user, pk=pk)
    require_perm(request.user, "parts.change_stocktake")
    try:
        codes = services.stocktake_recount_moved(actor=request.user, stocktake=stocktake)
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        if codes:
            messages.success(request, _("Count these parts again: %(codes)s.") % {"codes": ", ".join(codes)})
        else:
            messages.info(request, _("No stock has moved since the count began."))
    return redirect(stocktake)


@require_POST
@login_required
def stocktake_submit(request, pk):
    return _transition(request, pk, services.stocktake_submit, _("Stocktake %(number)s submitted for approval."))


@require_POST
@login_required
def stocktake_reopen(request, pk):
    return _transition(request, pk, services.stocktake_reopen, _("Stocktake %(number)s is open for counting again."))


@require_POST
@login_required
def stocktake_cancel(request, pk):
    return _transition(request, pk, services.stocktake_cancel, _("Stocktake %(number)s cancelled."))


@require_POST
@login_required
def stocktake_approve(request, pk):
    return _transition(
        request, pk, services.stocktake_approve, _("Stocktake %(number)s approved; the variances are posted.")
    )


urlpatterns = [
    path("stocktakes/", stocktake_list, name="stocktake_list"),
    path("stocktakes/new/", stocktake_create, name="stocktake_create"),
    path("stocktakes/<int:pk>/", stocktake_detail, name="stocktake_detail"),
    path("stocktakes/<int:pk>/sheet.xlsx", stocktake_sheet, name="stocktake_sheet"),
    path("stocktakes/<int:pk>/upload/", stocktake_upload, name="stocktake_upload"),
    path("stocktakes/<int:pk>/lines/<int:line_pk>/count/", stocktake_count, name="stocktake_count"),
    path("stocktakes/<int:pk>/recount/", stocktake_recount, name="stocktake_recount"),
    path("stocktakes/<int:pk>/submit/", stocktake_submit, name="stocktake_submit"),
    path("stocktakes/<int:pk>/reopen/", stocktake_reopen, name="stocktake_reopen"),
    path("stocktakes/<int:pk>/cancel/", stocktake_cancel, name="stocktake_cancel"),
    path("stocktakes/<int:pk>/approve/", stocktake_approve, name="stocktake_approve"),
]
