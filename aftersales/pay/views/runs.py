"""Pages: pay runs (工资核算) — the list, making a branch's run for a month (or a year-end run), a run's page with
its steps (`run_actions_for`), its pay sheet and history, the pay sheet as xlsx (工资表), and its payslips printed
one per A4 page.

A run that cannot compute someone saves nothing: the page lists each employee with the reason.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_history
from aftersales.core.errors import Conflict
from aftersales.core.forms import apply_form_errors
from aftersales.core.pages import perm_required, render_list
from aftersales.core.pagination import paginate, positive_int
from aftersales.core.xlsx import xlsx_response
from aftersales.pay import selectors
from aftersales.pay.choices import RUN_TRANSITIONS, PeriodKind, RunStatus
from aftersales.pay.forms import RunCreateForm
from aftersales.pay.models import PayRun
from aftersales.pay.services.runs import PayRunFailed, pay_run_act, pay_run_create, run_actions_for

VIEW = "pay.view_payrun"


@dataclass(frozen=True)
class StepStyle:
    confirm: object = ""
    style: str = "btn-primary"


STEP_STYLES = {
    "compute": StepStyle(style="btn"),
    "approve": StepStyle(gettext_lazy("Approve this pay run? Its payslips become visible to the employees.")),
    "lock": StepStyle(
        gettext_lazy("Lock this pay run? After locking nothing changes; corrections are adjustments in a later month.")
    ),
    "reopen": StepStyle(gettext_lazy("Reopen this pay run for recomputation?"), "btn"),
    "cancel": StepStyle(gettext_lazy("Cancel this pay run? Its payslips are kept but no longer count."), "btn-danger"),
}


def sheet_headers(columns: list[str]) -> list[str]:
    """工号, 姓名, 岗位, the line names, 合计 (the fixed headers in English when the page is English)."""
    if (get_language() or "zh-hans").startswith("zh"):
        fixed, total = ["工号", "姓名", "岗位"], selectors.TOTAL_COLUMN
    else:
        fixed, total = ["Employee number", "Name", "Position"], "Total"
    return [*fixed, *columns, total]


# -- list and create --------------------------------------------------------------------------------------------------


@perm_required(VIEW)
def run_list(request):
    get = request.GET
    queryset = selectors.run_list(
        user=request.user,
        branch=positive_int(get.get("branch"), None),
        period=get.get("period", ""),
        status=get.get("status", ""),
        kind=get.get("kind", ""),
    )
    context = {
        "statuses": RunStatus.choices,
        "kinds": PeriodKind.choices,
        "branches": selectors.visible_branches(request.user),
    }
    return render_list(request, "pay/run_list.html", "pay/run_list_table.html", queryset, context)


def _failures(exc: PayRunFailed) -> list[list[str]]:
    """Each employee who could not be computed, with the reasons (each naming the employee)."""
    return [list(reasons) for reasons in (exc.fields or {}).values()]


@perm_required("pay.add_payrun")
def run_create(request):
    form = RunCreateForm(request.POST or None, user=request.user)
    failures: list[str] = []
    failure_message = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = pay_run_create(actor=request.user, branch=data["branch"], period=form.period, kind=data["kind"])
        except PayRunFailed as exc:
            failures, failure_message = _failures(exc), str(exc.message)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _("Pay run %(number)s computed: %(count)d payslips, total %(total)s.")
                % {"number": run.number, "count": run.employee_count, "total": run.total},
            )
            return redirect(run)
    context = {"form": form, "failures": failures, "failure_message": failure_message}
    return render(request, "pay/run_create.html", context)


# -- the run's page ---------------------------------------------------------------------------------------------------


def _run(request, pk) -> PayRun:
    """The run through the funnel (another branch's is 404), then the role (403)."""
    run = selectors.run_get(user=request.user, pk=pk)
    require_perm(request.user, VIEW)
    return run


def _detail(request, run: PayRun, *, failures=(), failure_message: str = ""):
    page = paginate(selectors.run_payslips(run), page=request.GET.get("page"), page_size=request.GET.get("page_size"))
    columns = selectors.line_columns(page.items)
    rows = selectors.sheet_rows(page.items, columns)
    actions = [
        {
            "name": name,
            "label": label,
            "confirm": STEP_STYLES[name].confirm,
            "style": STEP_STYLES[name].style,
        }
        for name, label in run_actions_for(run, request.user)
    ]
    context = {
        "run": run,
        "page": page,
        "columns": columns,
        "rows": rows,
        "page_totals": selectors.sheet_totals(rows, columns),
        "page_total": sum((row.payslip.total for row in rows), Decimal("0")),
        "actions": actions,
        "adjustments": list(selectors.run_adjustments(run)),
        "failures": list(failures),
        "failure_message": failure_message,
        "history": audit_history(run),
        "can_adjust": run.status == RunStatus.LOCKED and request.user.has_perm("pay.add_payadjustment"),
    }
    return render(request, "pay/run_detail.html", context)


@perm_required(VIEW)
def run_detail(request, pk):
    return _detail(request, _run(request, pk))


@require_POST
@perm_required(VIEW)
def run_action(request, pk, action):
    run = _run(request, pk)
    if action not in RUN_TRANSITIONS:
        raise Http404
    try:
        moved = pay_run_act(actor=request.user, run=run, action=action)
    except PayRunFailed as exc:
        messages.error(request, str(exc.message))
        return _detail(request, run, failures=_failures(exc), failure_message=str(exc.message))
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return redirect(run)
    messages.success(
        request,
        _("%(action)s: done. The pay run is %(status)s.")
        % {"action": RUN_TRANSITIONS[action].label, "status": moved.get_status_display()},
    )
    return redirect(moved)


@perm_required(VIEW)
def run_export(request, pk):
    """The pay sheet (工资表) of the run's current computation: one row per payslip and a total row."""
    run = _run(request, pk)
    payslips = list(selectors.run_payslips(run))
    columns = selectors.line_columns(payslips)
    rows = selectors.sheet_rows(payslips, columns)
    body = [
        [
            row.payslip.employee.employee_no,
            row.payslip.employee.name,
            row.payslip.position,
            *row.cells,
            row.payslip.total,
        ]
        for row in rows
    ]
    total_label = sheet_headers([])[-1]
    body.append([total_label, "", "", *selectors.sheet_totals(rows, columns), run.total])
    title = "工资表" if (get_language() or "zh-hans").startswith("zh") else "Pay sheet"
    return xlsx_response(
        f"{title}-{run.branch.code}-{run.period}.xlsx", sheet_headers(columns), body, sheet_title=title
    )


@perm_required(VIEW)
def run_print(request, pk):
    """Every payslip of the run, one per A4 page."""
    run = _run(request, pk)
    payslips = list(selectors.run_payslips(run))
    for payslip in payslips:
        payslip.run = run
    sheets = [_print_sheet(payslip) for payslip in payslips]
    return render(request, "pay/print_payslips.html", {"run": run, "sheets": sheets, "back": run.get_absolute_url()})


def _print_sheet(payslip) -> dict:
    lines, inputs, adjustments = selectors.payslip_lines(payslip, links=False)
    return {"payslip": payslip, "lines": lines, "inputs": inputs, "adjustments": adjustments}


urlpatterns = [
    path("runs/", run_list, name="run_list"),
    path("runs/new/", run_create, name="run_create"),
    path("runs/<int:pk>/", run_detail, name="run_detail"),
    path("runs/<int:pk>/actions/<str:action>/", run_action, name="run_action"),
    path("runs/<int:pk>/export/", run_export, name="run_export"),
    path("runs/<int:pk>/print/", run_print, name="run_print"),
]
