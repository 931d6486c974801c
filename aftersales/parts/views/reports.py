"""Pages: stock reports (valuation, turnover, fill rate, ageing and dead stock, a part's move history) and their xlsx.

Each page parses its filter bar with a small form, asks `parts.reports` for the figures (the access funnel
is applied there) and renders them; each export takes the same filters and writes the same figures as
numbers, with headers in the reader's language.
"""

from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.forms import DateInput
from aftersales.core.pages import perm_required
from aftersales.core.pagination import paginate
from aftersales.core.xlsx import xlsx_workbook_response
from aftersales.parts import reports
from aftersales.parts.models import Part, Warehouse
from aftersales.parts.selectors import part_categories, part_search

REPORTS_PERM = "parts.view_stock_reports"
MOVES_PERM = "parts.view_stockmove"
PART_CHOICES_SHOWN = 20


# -- filter forms ------------------------------------------------------------------------------------------------------


class ScopeForm(forms.Form):
    """Branch and warehouse (ids): what the user may not see simply matches nothing (the funnel is in the report)."""

    branch = forms.IntegerField(label=gettext_lazy("Branch"), required=False, min_value=1)
    warehouse = forms.IntegerField(label=gettext_lazy("Warehouse"), required=False, min_value=1)

    def scope(self) -> dict:
        return {"branch": self.cleaned_data.get("branch"), "warehouse": self.cleaned_data.get("warehouse")}


class PeriodForm(ScopeForm):
    """A period of whole days; without dates, the last full month."""

    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput)

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if "date_from" in self.errors or "date_to" in self.errors:
            return data
        today = timezone.localdate()
        if not date_from and not date_to:
            date_from, date_to = reports.period_presets(today)["last_month"]
        elif not date_from:
            date_from = date_to.replace(day=1)
        elif not date_to:
            date_to = max(today, date_from)
        if date_to < date_from:
            self.add_error("date_to", _("The end date is before the start date."))
        data["date_from"], data["date_to"] = date_from, date_to
        return data


class ValuationForm(ScopeForm):
    category = forms.CharField(label=gettext_lazy("Category"), required=False, max_length=40)
    q = forms.CharField(label=gettext_lazy("Part"), required=False, max_length=60)
    sort = forms.CharField(required=False, max_length=20)  # unknown sorts fall back to the default


class AgeingForm(ScopeForm):
    dead_days = forms.IntegerField(label=gettext_lazy("Dead after (days)"), required=False, min_value=1, max_value=3650)
    as_of = forms.DateField(label=gettext_lazy("As of"), required=False, widget=DateInput)


class MovesForm(forms.Form):
    part = forms.CharField(label=gettext_lazy("Part"), required=False, max_length=60)
    warehouse = forms.IntegerField(label=gettext_lazy("Warehouse"), required=False, min_value=1)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput)

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


def _choices(user) -> dict:
    """The filter bar's warehouses and branches (one query): only what the user may see."""
    warehouses = list(
        Warehouse.objects.for_user(user).select_related("branch").order_by("branch__code", "-is_default", "code")
    )
    branches = list({w.branch_id: w.branch for w in warehouses}.values())
    return {"warehouses": warehouses, "branches": branches}


def _query(request, **changes) -> str:
    """The current query string with some parameters changed (None drops one) and no page number."""
    params = request.GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return params.urlencode()


def _paginate(request, queryset):
    return paginate(queryset, page=request.GET.get("page"), page_size=request.GET.get("page_size"))


# -- xlsx --------------------------------------------------------------------------------------------------------------


def _filename(label: str, *parts) -> str:
    stamp = "-".join(str(p) for p in parts if p) or timezone.localdate().strftime("%Y%m%d")
    return f"{label}-{stamp}.xlsx"


def _invalid_export(form) -> HttpResponse:
    messages = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
    return HttpResponse(messages, status=422, content_type="text/plain; charset=utf-8")


# -- index -------------------------------------------------------------------------------------------------------------


@login_required
def report_index(request):
    user = request.user
    if not (user.has_perm(REPORTS_PERM) or user.has_perm(MOVES_PERM)):
        raise PermissionDenied
    return render(request, "parts/report_index.html", {})


# -- valuation ---------------------------------------------------------------------------------------------------------


@perm_required(REPORTS_PERM)
def report_valuation(request):
    form = ValuationForm(request.GET)
    context = {"form": form, **_choices(request.user), "categories": part_categories()}
    if form.is_valid():
        data = form.cleaned_data
        context["report"] = reports.stock_valuation(user=request.user, **form.scope(), category=data["category"])
        context["page"] = _paginate(
            request,
            reports.valuation_rows(
                user=request.user, **form.scope(), category=data["category"], q=data["q"], sort=data["sort"]
            ),
        )
    return render(request, "parts/report_valuation.html", context)


@perm_required(REPORTS_PERM)
def report_valuation_export(request):
    form = ValuationForm(request.GET)
    if not form.is_valid():
        return _invalid_export(form)
    data = form.cleaned_data
    report = reports.stock_valuation(user=request.user, **form.scope(), category=data["category"])
    summary = [
        (row.warehouse.code, row.warehouse.name, row.warehouse.branch.name, row.parts, row.quantity, row.value)
        for row in report.rows
    ]
    summary.append((_("Total"), "", "", report.parts, report.quantity, report.value))
    rows = (
        reports.valuation_rows(
            user=request.user, **form.scope(), category=data["category"], q=data["q"], sort=data["sort"]
        )
        .values_list(
            "part__code",
            "part__name",
            "part__category",
            "part__unit",
            "warehouse__code",
            "on_hand",
            "average_cost",
            "value",
        )
        .iterator(chunk_size=2000)
    )
    return xlsx_workbook_response(
        _filename(_("stock valuation")),
        [
            (
                _("By warehouse"),
                [_("Warehouse code"), _("Warehouse"), _("Branch"), _("Parts in stock"), _("On hand"), _("Value")],
                summary,
            ),
            (
                _("Parts"),
                [
                    _("Part code"),
                    _("Part name"),
                    _("Category"),
                    _("Unit"),
                    _("Warehouse"),
                    _("On hand"),
                    _("Average cost"),
                    _("Value"),
                ],
                rows,
            ),
        ],
    )


# -- turnover ----------------------------------------------------------------------------------------------------------


def _presets(request) -> list[dict]:
    labels = {
        "last_month": _("Last month"),
        "this_month": _("This month"),
        "last_3_months": _("Last 3 months"),
        "this_year": _("This year"),
    }
    presets = reports.period_presets(timezone.localdate())
    return [
        {
            "label": labels[key],
            "query": _query(request, date_from=start.isoformat(), date_to=end.isoformat()),
            "date_from": start,
            "date_to": end,
        }
        for key, (start, end) in presets.items()
    ]


@perm_required(REPORTS_PERM)
def report_turnover(request):
    form = PeriodForm(request.GET)
    context = {"form": form, **_choices(request.user), "presets": _presets(request)}
    if form.is_valid():
        data = form.cleaned_data
        context["report"] = reports.stock_turnover(
            user=request.user, date_from=data["date_from"], date_to=data["date_to"], **form.scope()
        )
    return render(request, "parts/report_turnover.html", context)


def _turnover_cells(label_code, label_name, figures: reports.Turnover) -> tuple:
    return (
        label_code,
        label_name,
        figures.opening,
        figures.closing,
        figures.average,
        figures.cost,
        figures.ratio,
        figures.annualised,
        figures.days_of_stock,
    )


@perm_required(REPORTS_PERM)
def report_turnover_export(request):
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return _invalid_export(form)
    data = form.cleaned_data
    report = reports.stock_turnover(
        user=request.user, date_from=data["date_from"], date_to=data["date_to"], **form.scope()
    )
    rows = [_turnover_cells(r.warehouse.code, r.warehouse.name, r.figures) for r in report.rows]
    rows.append(_turnover_cells(_("Total"), "", report.total.figures))
    headers = [
        _("Warehouse code"),
        _("Warehouse"),
        _("Opening value"),
        _("Closing value"),
        _("Average stock value"),
        _("Cost of issues"),
        _("Turnover"),
        _("Annualised turnover"),
        _("Days of stock"),
    ]
    return xlsx_workbook_response(
        _filename(_("stock turnover"), report.date_from.isoformat(), report.date_to.isoformat()),
        [(_("Turnover"), headers, rows)],
    )


# -- fill rate ---------------------------------------------------------------------------------------------------------


@perm_required(REPORTS_PERM)
def report_fill_rate(request):
    form = PeriodForm(request.GET)
    context = {"form": form, **_choices(request.user), "presets": _presets(request)}
    if form.is_valid():
        data = form.cleaned_data
        context["report"] = reports.fill_rate(
            user=request.user, date_from=data["date_from"], date_to=data["date_to"], **form.scope()
        )
    return render(request, "parts/report_fill_rate.html", context)


def _fill_cells(code, name, row: reports.FillRateRow) -> tuple:
    return (code, name, row.requests, row.full, row.line_rate, row.requested, row.filled, row.quantity_rate)


@perm_required(REPORTS_PERM)
def report_fill_rate_export(request):
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return _invalid_export(form)
    data = form.cleaned_data
    report = reports.fill_rate(user=request.user, date_from=data["date_from"], date_to=data["date_to"], **form.scope())
    rows = [_fill_cells(r.warehouse.code, r.warehouse.name, r) for r in report.rows]
    rows.append(_fill_cells(_("Total"), "", report.total))
    short = [(p.code, p.name, p.unit, p.requests, p.short_requests, p.short_quantity) for p in report.short_parts]
    return xlsx_workbook_response(
        _filename(_("fill rate"), report.date_from.isoformat(), report.date_to.isoformat()),
        [
            (
                _("Fill rate"),
                [
                    _("Warehouse code"),
                    _("Warehouse"),
                    _("Requests"),
                    _("Met in full at once"),
                    _("Line fill rate (%)"),
                    _("Quantity requested"),
                    _("Quantity met at once"),
                    _("Quantity fill rate (%)"),
                ],
                rows,
            ),
            (
                _("Parts most often short"),
                [_("Part code"), _("Part name"), _("Unit"), _("Requests"), _("Short requests"), _("Quantity short")],
                short,
            ),
        ],
    )


# -- ageing ------------------------------------------------------------------------------------------------------------


def _ageing_report(request, form) -> reports.AgeingReport:
    data = form.cleaned_data
    return reports.stock_ageing(
        user=request.user,
        as_of=data["as_of"],
        dead_days=data["dead_days"] or reports.DEFAULT_DEAD_DAYS,
        **form.scope(),
    )


def _bucket_label(bucket: reports.AgeingBucket) -> str:
    if bucket.last_day is None:
        return _("Over %(days)s days") % {"days": bucket.first_day - 1}
    return _("%(first)s–%(last)s days") % {"first": bucket.first_day, "last": bucket.last_day}


@perm_required(REPORTS_PERM)
def report_ageing(request):
    form = AgeingForm(request.GET)
    context = {"form": form, **_choices(request.user), "default_dead_days": reports.DEFAULT_DEAD_DAYS}
    if form.is_valid():
        report = _ageing_report(request, form)
        page = _paginate(request, report.dead_rows)
        for balance in page.items:
            balance.idle_days = reports.ageing_days(report.as_of, balance.last_move_at)
        context |= {
            "report": report,
            "page": page,
            "buckets": [(_bucket_label(b), b) for b in report.buckets],
        }
    return render(request, "parts/report_ageing.html", context)


@perm_required(REPORTS_PERM)
def report_ageing_export(request):
    form = AgeingForm(request.GET)
    if not form.is_valid():
        return _invalid_export(form)
    report = _ageing_report(request, form)
    summary = [(_bucket_label(b), b.count, b.quantity, b.value, b.share) for b in report.buckets]
    summary.append((_("Total"), report.count, report.quantity, report.value, Decimal("100") if report.value else None))
    summary.append(
        (
            _("Dead stock (no movement for more than %(days)s days)") % {"days": report.dead_days},
            report.dead_count,
            report.dead_quantity,
            report.dead_value,
            report.dead_share,
        )
    )

    def dead_rows():
        for balance in report.dead_rows.iterator(chunk_size=2000):
            yield (
                balance.part.code,
                balance.part.name,
                balance.warehouse.code,
                balance.on_hand,
                balance.average_cost,
                balance.value,
                balance.last_move_at,
                reports.ageing_days(report.as_of, balance.last_move_at),
            )

    return xlsx_workbook_response(
        _filename(_("stock ageing"), report.as_of.isoformat()),
        [
            (
                _("Ageing"),
                [_("Days since last movement"), _("Balances"), _("On hand"), _("Value"), _("Share of value (%)")],
                summary,
            ),
            (
                _("Dead stock"),
                [
                    _("Part code"),
                    _("Part name"),
                    _("Warehouse"),
                    _("On hand"),
                    _("Average cost"),
                    _("Value"),
                    _("Last movement"),
                    _("Days idle"),
                ],
                dead_rows(),
            ),
        ],
    )


# -- move history ------------------------------------------------------------------------------------------------------


def _pick_part(text: str) -> tuple[Part | None, list[Part]]:
    """The part a picker text names: its exact code, or the one part a quick search finds; else the candidates."""
    text = (text or "").strip()
    if not text:
        return None, []
    exact = Part.objects.filter(code__iexact=text).first()
    if exact:
        return exact, []
    candidates = list(part_search(Part.objects.all(), text).order_by("code")[: PART_CHOICES_SHOWN + 1])
    if len(candidates) == 1:
        return candidates[0], []
    return None, candidates


@perm_required(MOVES_PERM)
def report_moves(request):
    form = MovesForm(request.GET)
    context = {"form": form, **_choices(request.user)}
    if form.is_valid():
        data = form.cleaned_data
        part, candidates = _pick_part(data["part"])
        context |= {
            "part": part,
            "candidates": candidates[:PART_CHOICES_SHOWN],
            "more": len(candidates) > PART_CHOICES_SHOWN,
        }
        if part:
            history = reports.move_history(
                user=request.user,
                part=part,
                warehouse=data["warehouse"],
                date_from=data["date_from"],
                date_to=data["date_to"],
            )
            context |= {"history": history, "page": _paginate(request, history.moves)}
        context["candidate_links"] = [(p, _query(request, part=p.code)) for p in context["candidates"]]
    return render(request, "parts/report_moves.html", context)


@perm_required(MOVES_PERM)
def report_moves_export(request):
    form = MovesForm(request.GET)
    if not form.is_valid():
        return _invalid_export(form)
    data = form.cleaned_data
    part, _candidates = _pick_part(data["part"])
    if part is None:
        return HttpResponse(_("Choose one part."), status=422, content_type="text/plain; charset=utf-8")
    history = reports.move_history(
        user=request.user, part=part, warehouse=data["warehouse"], date_from=data["date_from"], date_to=data["date_to"]
    )

    def rows():
        yield (
            None,
            _("Opening balance"),
            "",
            "",
            None,
            None,
            None,
            history.opening_quantity,
            history.opening_value,
            "",
            "",
        )
        for move in history.moves.iterator(chunk_size=2000):
            by = move.created_by
            yield (
                move.posted_at,
                move.get_kind_display(),
                move.warehouse.code,
                move.reference,
                move.quantity,
                move.unit_cost,
                move.value,
                move.on_hand_after,
                move.value_after,
                (getattr(getattr(by, "employee", None), "name", "") or by.username) if by else "",
                move.note,
            )
        yield (
            None,
            _("Closing balance"),
            "",
            "",
            history.quantity_in - history.quantity_out,
            None,
            history.value_change,
            history.closing_quantity,
            history.closing_value,
            "",
            "",
        )

    headers = [
        _("Posted at"),
        _("Kind"),
        _("Warehouse"),
        _("Reference"),
        _("Quantity"),
        _("Unit cost"),
        _("Value"),
        _("On hand after"),
        _("Value after"),
        _("By"),
        _("Note"),
    ]
    stamp = [d.isoformat() for d in (data["date_from"], data["date_to"]) if d]
    return xlsx_workbook_response(_filename(_("moves") + "-" + part.code, *stamp), [(_("Moves"), headers, rows())])


urlpatterns = [
    path("reports/", report_index, name="report_index"),
    path("reports/valuation/", report_valuation, name="report_valuation"),
    path("reports/valuation.xlsx", report_valuation_export, name="report_valuation_export"),
    path("reports/turnover/", report_turnover, name="report_turnover"),
    path("reports/turnover.xlsx", report_turnover_export, name="report_turnover_export"),
    path("reports/fill-rate/", report_fill_rate, name="report_fill_rate"),
    path("reports/fill-rate.xlsx", report_fill_rate_export, name="report_fill_rate_export"),
    path("reports/ageing/", report_ageing, name="report_ageing"),
    path("reports/ageing.xlsx", report_ageing_export, name="report_ageing_export"),
    path("reports/moves/", report_moves, name="report_moves"),
    path("reports/moves.xlsx", report_moves_export, name="report_moves_export"),
]
