"""The metrics: counts and amounts computed from orders, audits, postings, payslips and manual inputs.

Each `compute(employees, period)` runs a fixed number of queries whatever the number of employees: it filters by
the employees' ids, user ids or team ids with `__in`, reads only the columns it needs, and groups in Python.
Every value lists the records behind it (`Source`): an order by its number, an audit by its number, a posting by
its audit's number with its amount, a payslip by its run's number with its total, an input by its month.

Counts are whole `Decimal`s, money is rounded half up to the fen, hours to two decimals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from aftersales.pay.choices import PeriodKind, RunStatus
from aftersales.pay.metrics import ZERO, MetricValue, Period, Source, register

MONTH_AND_YEAR = (PeriodKind.MONTHLY, PeriodKind.ANNUAL)
ANNUAL = (PeriodKind.ANNUAL,)
FEN = Decimal("0.01")
#: The manual input summed by 全年业绩奖.
PERFORMANCE_BONUS = "业绩奖"


def fen(value: Decimal) -> Decimal:
    """Money (or hours) to two decimals, half up."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def _amount(value: Decimal) -> str:
    return str(fen(value))


def _counts(sources: dict[int, list[Source]]) -> dict[int, MetricValue]:
    """One count per employee: the number of its sources."""
    return {pk: MetricValue(Decimal(len(found)), found) for pk, found in sources.items()}


def _sums(sources: dict[int, list[Source]]) -> dict[int, MetricValue]:
    """One sum per employee: its sources' amounts, to two decimals."""
    return {pk: MetricValue(fen(sum((Decimal(s.amount) for s in found), ZERO)), found) for pk, found in sources.items()}


def _by_user(employees: Sequence) -> dict[int, int]:
    """`{user_id: employee_id}` (an account is one employee's)."""
    return {employee.user_id: employee.pk for employee in employees if employee.user_id}


def _by_team(employees: Sequence) -> dict[int, list[int]]:
    """`{team_id: [employee_id, …]}` of the employees that have a team."""
    teams: dict[int, list[int]] = defaultdict(list)
    for employee in employees:
        if employee.team_id:
            teams[employee.team_id].append(employee.pk)
    return teams


def _employee_ids(employees: Sequence) -> list[int]:
    return sorted({employee.pk for employee in employees})


def _completed_orders(order_type: str, period: Period, *, order=("completed_at", "pk")):
    """Orders of `order_type` done in the period: completed (or settled, delivered since) with `completed_at`
    in [start, end)."""
    from aftersales.service.choices import OrderStatus
    from aftersales.service.models import ServiceOrder

    return ServiceOrder.objects.filter(
        type=order_type,
        status__in=(OrderStatus.COMPLETED, OrderStatus.SETTLED, OrderStatus.DELIVERED),
        completed_at__gte=period.start_at,
        completed_at__lt=period.end_at,
    ).order_by(*order)


def _settled_lines(period: Period):
    """Lines not cancelled of the orders settled in the period (settled or delivered since)."""
    from aftersales.service.choices import Consent, OrderStatus
    from aftersales.service.models import ServiceOrderLine

    return (
        ServiceOrderLine.objects.filter(
            order__status__in=(OrderStatus.SETTLED, OrderStatus.DELIVERED),
            order__settled_at__gte=period.start_at,
            order__settled_at__lt=period.end_at,
        )
        .exclude(consent=Consent.CANCELLED)
        .order_by("order__settled_at", "order_id", "pk")
    )


def _grouped_by_order(rows: Iterable[tuple[int, int, str, Decimal]]) -> dict[int, list[Source]]:
    """`(employee_id, order_id, order_number, amount)` rows → one order source per employee and order, summed."""
    totals: dict[int, dict[int, list]] = defaultdict(dict)  # employee → order → [number, amount] (rows' order)
    for employee_id, order_id, number, amount in rows:
        entry = totals[employee_id].setdefault(order_id, [number, ZERO])
        entry[1] += amount or ZERO
    return {
        employee_id: [
            Source("order", order_id, number, _amount(amount)) for order_id, (number, amount) in orders.items()
        ]
        for employee_id, orders in totals.items()
    }


# -- after-sales inspections -------------------------------------------------------------------------------------------


@register(
    "售后检查单数",
    _("After-sales inspection orders completed in the period with the employee as the inspector."),
    "单",
    kinds=MONTH_AND_YEAR,
)
def inspections_done(employees: Sequence, period: Period) -> dict[int, MetricValue]:
    from aftersales.service.choices import OrderType

    users = _by_user(employees)
    found: dict[int, list[Source]] = defaultdict(list)
    rows = (
        # by id (the order they were opened in), not by completion: a large company's month of inspections sorted
        # on the timestamp spills to disk on PostgreSQL and doubles the metric's time
        _completed_orders(OrderType.INSPECTION, period, order=("pk",))
        .filter(assignee_id__in=sorted(users))
        .values_list("pk", "number", "assignee_id")
    )
    for pk, number, user_id in rows:
        found[users[user_id]].append(Source("order", pk, number))
    return _counts(found)


# -- audits and their postings -----------------------------------------------------------------------------------------


def _audits_done(employees: Sequence, period: Period):
    from aftersales.quality.choices import AuditStatus
    from aftersales.quality.models import Audit

    return Audit.objects.filter(
        status=AuditStatus.RECORDED,
        auditor_id__in=_employee_ids(employees),
        audited_on__gte=period.start,
        audited_on__lt=period.end,
    ).order_by("audited_on", "pk")


@register(
    "督查次数", _("Service audits the employee recorded as the auditor in the period."), "次", kinds=MONTH_AND_YEAR
)
def audits_done(employees: Sequence, period: Period) -> dict[int, MetricValue]:
    found: dict[int, list[Source]] = defaultdict(list)
    for pk, number, auditor_id in _audits_done(employees, period).values_list("pk", "number", "auditor_id"):
        found[auditor_id].append(Source("audit", pk, number))
    return _counts(found)


@register(
    "督查违规项数",
    _("Violations found in the service audits the employee recorded as the auditor in the period."),
    "项",
    kinds=MONTH_AND_YEAR,
)
def audit_violations(employees: Sequence, period: Period) -> dict[int, MetricValue]:
    rows = (
        _audits_done(employees, period)
        .annotate(found=Count("violations"))
        .filter(found__gt=0)
        .values_list("pk", "number", "auditor_id", "found")
    )
    totals: dict[int, int] = defaultdict(int)
    found: dict[int, list[Source]] = defaultdict(list)
    for pk, number, auditor_id, count in rows:
        totals[auditor_id] += count
        found[auditor_id].append(Source("audit", pk, number, str(count)))
    return {pk: MetricValue(Decimal(totals[pk]), sources) for pk, sources in found.items()}


def _postings(kind: str, employees: Sequence, period: Period) -> dict[int, MetricValue]:
    from aftersales.quality.models import AuditPosting

    rows = (
        AuditPosting.objects.filter(
            kind=kind, employee_id__in=_employee_ids(employees), month__gte=period.start, month__lt=period.end
        )
        .order_by("month", "pk")
        .values_list("pk", "employee_id", "audit__number", "amount")
    )
    found: dict[int, list[Source]] = defaultdict(list)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for pk, employee_id, number, amount in rows:  # amounts are stored to the fen: no rounding per row
        found[employee_id].append(Source("posting", pk, number, str(amount)))
        totals[employee_id] += amount
    return {pk: MetricValue(fen(totals[pk]), sources) for pk, sources in found.items()}


@register(
    "督查奖励",
    _("Rewards credited to the employee as the auditor for the period (less the reversals of cancelled audits)."),
    "元",
    kinds=MONTH_AND_YEAR,
)
def audit_rewards(employees: Sequence, period: Period) -> dict[int, MetricValue]:
    from aftersales.quality.choices import PostingKind

    return _postings(PostingKind.REWARD, employees, period)


@register(
    "违规扣罚",
    _("The employee's share of the fines on their team for the period (less the reversals of cancelled audits)."),
    "元",
    kinds=MONTH_AND_YEAR,
)
def audit_penalties(employees: Sequence, period: Period) -> dict[int, MetricValue]:
    from aftersales.quality.choices import PostingKind

    return _postings(PostingKind.PENALTY, employees, period)


# -- installations and their teams -------------------------------------------------------------------------------------


def _team_installations(employees: Sequence, period: Period):
    """`({team_id: [employee_id, …]}, [(order_id, number, team_id, asset model), …])`: one query."""
    from aftersales.service.choices import OrderType

    teams = _by_team(employees)
    rows = list(
        _completed_orders(OrderType.INSTALLATION, period)
        .filter(team_id__in=sorted(teams))
        .values_list("pk", "number", "team_id", "asset__model")
    )
    return teams, rows


@register(
    "安装单数",
    _("Installation orders completed in the period by the employee's team (the team's count for each member)."),
    "单",
    kinds=MONTH_AND_YEAR,
)
def installations_done(employees: Sequence, period: Period) -> dict[int, MetricValue]:
    teams, rows = _team_installations(employees, period)
    per_team: dict[int, list[Source]] = defaultdict(list)
    for pk, number, team_id, _model in rows:
        per_team[team_id].append(Source("order", pk, number))
    return {
        pk: MetricValue(Decimal(len(per_team[team])), list(per_team[team])) for team, pks in teams.items() for pk in pks
    }


@register(
    "计件金额",
    _(
        "The piece rates of the installations completed in the period by the employee's team: the rate of the "
        "asset's product type, else the default rate (the team's amount for each member)."
    ),
    "元",
    kinds=MONTH_AND_YEAR,
)
def piece_amount(employees: Sequence, period: Period) -> dict[int, MetricValue]:
    from aftersales.pay.models import PieceRate

    teams, rows = _team_installations(employees, period)
    if not rows:
        return {}
    rates = dict(PieceRate.objects.filter(active=True).values_list("product_type", "rate"))
    default = rates.get("", ZERO)
    per_team: dict[int, list[Source]] = defaultdict(list)
    for pk, number, team_id, model in rows:
        rate = rates.get(model, default) if model else default
        per_team[team_id].append(Source("order", pk, number, _amount(rate)))
    return {
        pk: MetricValue(fen(sum((Decimal(s.amount) for s in per_team[team]), ZERO)), list(per_team[team]))
        for team, pks in teams.items()
        for pk in pks
    }


@register("班组人数", _("Active members of the employee's team (0 without a team)."), "人", kinds=MONTH_AND_YEAR)
def team_size(employees: Sequence, period: Period) -> dict[int, MetricValue]:
    from aftersales.org.models import Employee

    teams = _by_team(employees)
    members: dict[int, list[Source]] = defaultdict(list)
    rows = (
        Employee.objects.filter(team_id__in=sorted(teams), active=True)
        .order_by("employee_no")
        .values_list("pk", "name", "team_id")
    )
    for pk, name, team_id in rows:
        members[team_id].append(Source("employee", pk, name))
    return {
        pk: MetricValue(Decimal(len(members[team])), list(members[team])) for team, pks in teams.items() for pk in pks
    }


# -- settled orders: revenue and hours ---------------------------------------------------------------------------------


@register(
    "产值",
    _(
        "Revenue of the orders settled in the period: every line of the employee's orders as the advisor, and "
        "the employee's labour lines as the technician on other orders."
    ),
    "元",
    kinds=MONTH_AND_YEAR,
)
def revenue(employees: Sequence, period: Period) -> dict[int, MetricValue]:
    from aftersales.service.choices import LineKind

    users = _by_user(employees)
    user_ids = sorted(users)
    rows = (
        _settled_lines(period)
        .filter(Q(order__advisor_id__in=user_ids) | Q(kind=LineKind.LABOUR, technician_id__in=user_ids))
        .values_list("order_id", "order__number", "order__advisor_id", "kind", "technician_id", "amount")
    )
    credited = []
    for order_id, number, advisor_id, kind, technician_id, amount in rows:
        if advisor_id in users:
            credited.append((users[advisor_id], order_id, number, amount))
        if kind == LineKind.LABOUR and technician_id in users and technician_id != advisor_id:
            credited.append((users[technician_id], order_id, number, amount))
    return _sums(_grouped_by_order(credited))


@register(
    "工时",
    _("Hours sold: the hours of the employee's labour lines on the orders settled in the period."),
    "小时",
    kinds=MONTH_AND_YEAR,
)
def hours_sold(employees: Sequence, period: Period) -> dict[int, MetricValue]:
    from aftersales.service.choices import LineKind

    users = _by_user(employees)
    rows = (
        _settled_lines(period)
        .filter(kind=LineKind.LABOUR, technician_id__in=sorted(users))
        .values_list("technician_id", "order_id", "order__number", "hours")
    )
    return _sums(
        _grouped_by_order((users[user_id], order_id, number, hours) for user_id, order_id, number, hours in rows)
    )


# -- the year: payslips and manual inputs ------------------------------------------------------------------------------


@register(
    "月收入总和",
    _("The totals of the employee's payslips in the locked monthly pay runs of the year."),
    "元",
    kinds=ANNUAL,
)
def monthly_income_sum(employees: Sequence, period: Period) -> dict[int, MetricValue]:
    from aftersales.pay.models import Payslip

    rows = (
        Payslip.objects.current()
        .filter(
            employee_id__in=_employee_ids(employees),
            run__kind=PeriodKind.MONTHLY,
            run__status=RunStatus.LOCKED,
            run__period_start__gte=period.start,
            run__period_start__lt=period.end,
        )
        .order_by("run__period_start", "pk")
        .values_list("pk", "employee_id", "run__number", "total")
    )
    found: dict[int, list[Source]] = defaultdict(list)
    for pk, employee_id, number, total in rows:
        found[employee_id].append(Source("payslip", pk, number, _amount(total)))
    return _sums(found)


@register(
    "全年业绩奖", _("The employee's performance bonus (业绩奖) inputs of the months of the year."), "元", kinds=ANNUAL
)
def annual_performance_bonus(employees: Sequence, period: Period) -> dict[int, MetricValue]:
    from aftersales.pay.models import PayInput

    rows = (
        PayInput.objects.filter(
            employee_id__in=_employee_ids(employees),
            name=PERFORMANCE_BONUS,
            month__gte=period.start,
            month__lt=period.end,
        )
        .order_by("month", "pk")
        .values_list("pk", "employee_id", "month", "value")
    )
    found: dict[int, list[Source]] = defaultdict(list)
    for pk, employee_id, month, value in rows:
        found[employee_id].append(Source("input", pk, f"{month:%Y-%m}", _amount(value)))
    return _sums(found)
