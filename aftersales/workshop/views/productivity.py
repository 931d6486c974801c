"""Page: productivity (生产率) of the branch's technicians over a period (this month by default) — jobs finished,
sold hours (the standard hours of the jobs finished in the period), clocked hours (the parts of their clocked spans
inside it) and sold ÷ clocked — with a totals row, and the same figures as an xlsx download.

Technicians are the branch's current ones (`technicians_of`), by name. A fixed number of queries whatever their
number.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from aftersales.core.pages import perm_required
from aftersales.core.xlsx import xlsx_response
from aftersales.org.models import Employee
from aftersales.workshop.forms import PeriodForm
from aftersales.workshop.services.calendar import day_origin
from aftersales.workshop.services.clock import Productivity, productivity
from aftersales.workshop.services.roster import technicians_of
from aftersales.workshop.views.setup import page_branch

VIEW = "workshop.view_clockspan"


@dataclass
class Row:
    employee: Employee | None  # None: the totals row
    figures: Productivity

    @property
    def percent(self) -> Decimal | None:
        ratio = self.figures.ratio
        return None if ratio is None else (ratio * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def productivity_rows(branch, date_from: datetime.date, date_to: datetime.date) -> tuple[list[Row], Row]:
    """One row per technician of the branch (by name) over [date_from, date_to], and the totals row."""
    employees = sorted(technicians_of(branch), key=lambda e: (e.name, e.employee_no))
    figures = productivity(
        technician_ids=[e.user_id for e in employees],
        since=day_origin(date_from),
        until=day_origin(date_to + datetime.timedelta(days=1)),
    )
    rows = [Row(e, figures[e.user_id]) for e in employees]
    total = Productivity(
        0,
        sum((r.figures.sold for r in rows), Decimal("0.00")),
        sum((r.figures.clocked for r in rows), Decimal("0.00")),
        sum(r.figures.jobs for r in rows),
    )
    return rows, Row(None, total)


@perm_required(VIEW)
def productivity_page(request):
    branch, branches = page_branch(request)
    form = PeriodForm(request.GET)
    context = {"branch": branch, "branches": branches, "form": form}
    if form.is_valid():
        data = form.cleaned_data
        context["rows"], context["total"] = productivity_rows(branch, data["date_from"], data["date_to"])
        context["date_from"], context["date_to"] = data["date_from"], data["date_to"]
        context["export_query"] = (
            f"branch={branch.pk}&date_from={data['date_from']:%Y-%m-%d}&date_to={data['date_to']:%Y-%m-%d}"
        )
    return render(request, "workshop/productivity.html", context)


@perm_required(VIEW)
def productivity_export(request):
    branch, _branches = page_branch(request)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return productivity_page(request)
    data = form.cleaned_data
    rows, total = productivity_rows(branch, data["date_from"], data["date_to"])
    headers = [
        _("Employee number"),
        _("Technician"),
        _("Jobs finished"),
        _("Sold hours"),
        _("Clocked hours"),
        _("Productivity %"),
    ]
    values = [
        (r.employee.employee_no, r.employee.name, r.figures.jobs, r.figures.sold, r.figures.clocked, r.percent)
        for r in rows
    ]
    values.append(("", _("Total"), total.figures.jobs, total.figures.sold, total.figures.clocked, total.percent))
    stamp = f"{branch.code}-{data['date_from']:%Y%m%d}-{data['date_to']:%Y%m%d}"
    return xlsx_response(f"{_('productivity')}-{stamp}.xlsx", headers, values, sheet_title=_("Productivity"))


urlpatterns = [
    path("productivity/", productivity_page, name="productivity"),
    path("productivity/export/", productivity_export, name="productivity_export"),
]
