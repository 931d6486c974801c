"""Pages: a payslip (工资条) — every line with its value and formula, every input with where it came from and the
records behind it — printable; and "my payslips", the signed-in employee's own payslips of approved or locked
runs.

Everyone reads their own payslips (once the run is approved); those whose role reads pay runs read the branch's.
Anybody else's payslip answers 404, exactly like a missing one.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from aftersales.core.pages import render_list
from aftersales.pay import selectors
from aftersales.pay.choices import RunStatus


def _context(request, payslip) -> dict:
    lines, inputs, adjustment_lines = selectors.payslip_lines(payslip)
    run = payslip.run
    return {
        "payslip": payslip,
        "run": run,
        "lines": lines,
        "inputs": inputs,
        "adjustment_lines": adjustment_lines,
        "corrections": selectors.payslip_adjustments(payslip),
        "current": payslip.version == run.version,
        "own": payslip.employee.user_id == request.user.pk,
        "can_view_run": request.user.has_perm("pay.view_payrun"),
        "can_adjust": run.status == RunStatus.LOCKED and request.user.has_perm("pay.add_payadjustment"),
    }


@login_required
def payslip_detail(request, pk):
    payslip = selectors.payslip_get(user=request.user, pk=pk)
    return render(request, "pay/payslip_detail.html", _context(request, payslip))


@login_required
def payslip_print(request, pk):
    payslip = selectors.payslip_get(user=request.user, pk=pk)
    lines, inputs, adjustments = selectors.payslip_lines(payslip, links=False)
    sheet = {"payslip": payslip, "lines": lines, "inputs": inputs, "adjustments": adjustments}
    return render(
        request,
        "pay/print_payslips.html",
        {"run": payslip.run, "sheets": [sheet], "back": payslip.get_absolute_url()},
    )


@login_required
def my_payslips(request):
    """The signed-in employee's own payslips of approved or locked runs, newest first (whatever their role)."""
    return render_list(
        request, "pay/payslip_mine.html", "pay/payslip_mine_table.html", selectors.my_payslips(request.user), {}
    )


urlpatterns = [
    path("payslips/mine/", my_payslips, name="my_payslips"),
    path("payslips/<int:pk>/", payslip_detail, name="payslip_detail"),
    path("payslips/<int:pk>/print/", payslip_print, name="payslip_print"),
]
