"""Stock reports: valuation, turnover, fill rate, ageing with dead stock, and a part's move history.

Every report starts from the access funnel (the warehouses `Warehouse.objects.for_user(user)` lets the user
see; superusers all), narrowed by `branch` and `warehouse`. Every figure is a SQL aggregate (`Sum`/`Count`
with filters, grouped by warehouse): nothing iterates over moves in Python, so a report costs a handful of
queries whatever the size of the ledger. The arithmetic that turns those sums into ratios lives in pure
functions (`turnover_ratio`, `percent`, `ageing_days`) that take plain values.

Periods are whole local days (`TIME_ZONE`, Asia/Shanghai): a period `date_from`–`date_to` covers
[`date_from` 00:00, `date_to` + 1 day 00:00). A past stock value is the sum of the signed values of the
moves posted before that moment, which is exact because every move stores the value it added or took out.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.parts.choices import CONSUMPTION_KINDS
from aftersales.parts.models import Part, StockBalance, StockDemand, StockMove, Warehouse
from aftersales.parts.selectors import part_search

ZERO = Decimal("0")
FEN = Decimal("0.01")
TENTH = Decimal("0.1")
DAYS_IN_YEAR = 365
DEFAULT_DEAD_DAYS = 180
SHORT_PARTS_SHOWN = 20

#: Ageing buckets: (first day, last day) since the last movement; None = no upper end.
AGEING_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 30), (31, 90), (91, 180), (181, 365), (366, None))


# -- pure arithmetic ---------------------------------------------------------------------------------------------------


def _half_up(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def percent(part, whole) -> Decimal | None:
    """`part` as a percentage of `whole`, one decimal half up; None when `whole` is 0 (nothing to measure)."""
    part, whole = Decimal(part or 0), Decimal(whole or 0)
    if whole == 0:
        return None
    return _half_up(part * 100 / whole, TENTH)


@dataclass(frozen=True)
class Turnover:
    """The turnover figures of one warehouse (or of all of them) over one period."""

    cost: Decimal
    opening: Decimal
    closing: Decimal
    days: int
    average: Decimal
    ratio: Decimal | None
    annualised: Decimal | None
    days_of_stock: Decimal | None


def turnover_ratio(cost, opening, closing, days: int) -> Turnover:
    """Stock turnover (库存周转率) of a period by the dealer formula: cost ÷ ((opening + closing) ÷ 2).

    - `cost`: the cost of parts issued in the period (出库成本), i.e. −Σ value of the moves of the
      consumption kinds (issues and returns, `CONSUMPTION_KINDS`). Returns and reversed issues are netted
      (a reversal keeps the kind of the move it reverses). Not included: transfers between warehouses,
      adjustments, stocktake variances, returns to suppliers — none of them is parts used by work.
    - `opening`, `closing`: the stock value at the first moment of the period and just after its last day.
    - average = (opening + closing) ÷ 2 (期初+期末÷2), shown to the fen, half up.
    - ratio = cost ÷ average (from the unrounded average), 2 decimals half up; None when the average is 0.
    - annualised = ratio × 365 ÷ days in the period (from the unrounded ratio), 2 decimals half up.
    - days of stock = 365 ÷ annualised (= days × average ÷ cost), 1 decimal half up; None when nothing was
      consumed (cost ≤ 0), since the stock then does not turn at all.
    """
    cost, opening, closing = Decimal(cost or 0), Decimal(opening or 0), Decimal(closing or 0)
    if days < 1:
        raise ValueError("a period has at least one day")
    exact_average = (opening + closing) / 2
    average = _half_up(exact_average, FEN)
    if exact_average == 0:
        return Turnover(cost, opening, closing, days, average, None, None, None)
    exact_ratio = cost / exact_average
    exact_annualised = exact_ratio * DAYS_IN_YEAR / days
    days_of_stock = _half_up(DAYS_IN_YEAR / exact_annualised, TENTH) if cost > 0 else None
    return Turnover(
        cost=cost,
        opening=opening,
        closing=closing,
        days=days,
        average=average,
        ratio=_half_up(exact_ratio, FEN),
        annualised=_half_up(exact_annualised, FEN),
        days_of_stock=days_of_stock,
    )


def ageing_days(as_of: date, last_move_at: datetime | None) -> int | None:
    """Whole days from the local day of the last movement to `as_of` (0 = moved that day); None if never."""
    if last_move_at is None:
        return None
    return (as_of - timezone.localtime(last_move_at, timezone.get_default_timezone()).date()).days


def period_days(date_from: date, date_to: date) -> int:
    """Days in a period, both ends included."""
    return (date_to - date_from).days + 1


def local_midnight(day: date) -> datetime:
    """00:00 of `day` in the site's time zone (Asia/Shanghai), as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[date_from 00:00, date_to + 1 day 00:00) in local time."""
    if date_to < date_from:
        raise ValidationError({"date_to": _("The end date is before the start date.")})
    return local_midnight(date_from), local_midnight(date_to + timedelta(days=1))


# -- scope -------------------------------------------------------------------------------------------------------------


def _pk(value) -> int | None:
    return getattr(value, "pk", value) or None


def report_warehouses(*, user, warehouse=None, branch=None) -> list[Warehouse]:
    """The warehouses a report covers: what the user may see, narrowed to a branch and/or one warehouse."""
    queryset = Warehouse.objects.for_user(user).select_related("branch")
    if _pk(branch):
        queryset = queryset.filter(branch_id=_pk(branch))
    if _pk(warehouse):
        queryset = queryset.filter(pk=_pk(warehouse))
    return list(queryset.order_by("branch__code", "-is_default", "code"))


def _money_sum(expression, **extra):
    return Coalesce(Sum(expression, **extra), ZERO, output_field=DecimalField(max_digits=14, decimal_places=2))


def _qty_sum(expression, **extra):
    return Coalesce(Sum(expression, **extra), ZERO, output_field=DecimalField(max_digits=12, decimal_places=2))


# -- valuation ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValuationRow:
    warehouse: Warehouse
    parts: int
    quantity: Decimal
    value: Decimal
    share: Decimal | None


@dataclass(frozen=True)
class ValuationReport:
    """Stock on hand and its value (moving-average cost) per warehouse, and in total."""

    rows: list[ValuationRow]
    parts: int  # distinct parts in stock somewhere in scope
    quantity: Decimal
    value: Decimal
    category: str = ""


def _in_stock(warehouse_ids, category: str = "") -> QuerySet:
    queryset = StockBalance.objects.filter(warehouse_id__in=warehouse_ids, on_hand__gt=0)
    if category:
        queryset = queryset.filter(part__category=category)
    return queryset


def stock_valuation(
    *, user, warehouse: int | None = None, branch: int | None = None, category: str = ""
) -> ValuationReport:
    """Per warehouse: parts in stock, quantity on hand and its value; then the totals. Three queries."""
    warehouses = report_warehouses(user=user, warehouse=warehouse, branch=branch)
    ids = [w.pk for w in warehouses]
    sums, parts = {}, 0
    if ids:
        balances = _in_stock(ids, category)
        sums = {
            row["warehouse_id"]: row
            for row in balances.values("warehouse_id")
            .annotate(parts=Count("id"), quantity=_qty_sum("on_hand"), value=_money_sum("value"))
            .order_by()
        }
        parts = balances.aggregate(parts=Count("part_id", distinct=True))["parts"]
    total_value = sum((row["value"] for row in sums.values()), ZERO)
    empty = {"parts": 0, "quantity": ZERO, "value": ZERO}
    rows = [
        ValuationRow(
            warehouse=w,
            parts=row["parts"],
            quantity=row["quantity"],
            value=row["value"],
            share=percent(row["value"], total_value),
        )
        for w, row in ((w, sums.get(w.pk, empty)) for w in warehouses)
    ]
    return ValuationReport(
        rows=rows,
        parts=parts,
        quantity=sum((row.quantity for row in rows), ZERO),
        value=total_value,
        category=category,
    )


VALUATION_SORTS = {
    "part": ("part__code", "warehouse__code"),
    "-part": ("-part__code", "warehouse__code"),
    "warehouse": ("warehouse__code", "part__code"),
    "-warehouse": ("-warehouse__code", "part__code"),
    "on_hand": ("on_hand", "part__code"),
    "-on_hand": ("-on_hand", "part__code"),
    "value": ("value", "part__code"),
    "-value": ("-value", "part__code"),
}


def valuation_rows(
    *,
    user,
    warehouse: int | None = None,
    branch: int | None = None,
    category: str = "",
    q: str = "",
    sort: str = "",
) -> QuerySet:
    """Part-level rows of the valuation (balances with stock on hand): part, warehouse, on hand, average cost, value.

    A queryset with its part and warehouse joined, for one page of the report or the whole xlsx export.
    """
    queryset = StockBalance.objects.for_user(user).filter(on_hand__gt=0).select_related("part", "warehouse")
    if _pk(warehouse):
        queryset = queryset.filter(warehouse_id=_pk(warehouse))
    if _pk(branch):
        queryset = queryset.filter(warehouse__branch_id=_pk(branch))
    if category:
        queryset = queryset.filter(part__category=category)
    if q:
        queryset = queryset.filter(part__in=part_search(Part.objects.all(), q).values("pk"))
    return queryset.order_by(*VALUATION_SORTS.get(sort, VALUATION_SORTS["part"]))


def stock_value_at(*, warehouse_ids, moment: datetime) -> Decimal:
    """The stock value of these warehouses at `moment`: the sum of the signed values of the moves posted before it."""
    warehouse_ids = list(warehouse_ids)
    if not warehouse_ids:
        return ZERO
    return StockMove.objects.filter(warehouse_id__in=warehouse_ids, posted_at__lt=moment).aggregate(
        value=_money_sum("value")
    )["value"]


# -- turnover ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnoverRow:
    warehouse: Warehouse | None  # None: the total
    figures: Turnover


@dataclass(frozen=True)
class TurnoverReport:
    date_from: date
    date_to: date
    days: int
    rows: list[TurnoverRow]
    total: TurnoverRow


def stock_turnover(*, user, date_from: date, date_to: date, warehouse=None, branch=None) -> TurnoverReport:
    """Turnover per warehouse and in total over [date_from, date_to] (local days); see `turnover_ratio`.

    One pass over the moves posted before the period's end gives, per warehouse, the opening value (moves
    before the period), the closing value (all of them) and the cost of issues (consumption kinds inside
    the period, net of returns and reversals).
    """
    start, end = period_bounds(date_from, date_to)
    days = period_days(date_from, date_to)
    warehouses = report_warehouses(user=user, warehouse=warehouse, branch=branch)
    sums = {}
    if warehouses:
        sums = {
            row["warehouse_id"]: row
            for row in StockMove.objects.filter(warehouse_id__in=[w.pk for w in warehouses], posted_at__lt=end)
            .values("warehouse_id")
            .annotate(
                opening=_money_sum("value", filter=Q(posted_at__lt=start)),
                closing=_money_sum("value"),
                consumed=_money_sum("value", filter=Q(posted_at__gte=start, kind__in=CONSUMPTION_KINDS)),
            )
            .order_by()
        }
    empty = {"opening": ZERO, "closing": ZERO, "consumed": ZERO}
    rows = []
    for w in warehouses:
        row = sums.get(w.pk, empty)
        rows.append(TurnoverRow(w, turnover_ratio(-row["consumed"], row["opening"], row["closing"], days)))
    total = turnover_ratio(
        sum((r.figures.cost for r in rows), ZERO),
        sum((r.figures.opening for r in rows), ZERO),
        sum((r.figures.closing for r in rows), ZERO),
        days,
    )
    return TurnoverReport(date_from, date_to, days, rows, TurnoverRow(None, total))


# -- fill rate ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FillRateRow:
    warehouse: Warehouse | None  # None: the total
    requests: int
    full: int  # requests met in full at once
    requested: Decimal
    filled: Decimal

    @property
    def line_rate(self) -> Decimal | None:
        """Requests met in full at once ÷ requests, in %."""
        return percent(self.full, self.requests)

    @property
    def quantity_rate(self) -> Decimal | None:
        """Quantity met at once ÷ quantity requested, in %."""
        return percent(self.filled, self.requested)

    @property
    def short(self) -> int:
        return self.requests - self.full


@dataclass(frozen=True)
class ShortPart:
    part_id: int
    code: str
    name: str
    unit: str
    requests: int
    short_requests: int
    short_quantity: Decimal


@dataclass(frozen=True)
class FillRateReport:
    date_from: date
    date_to: date
    rows: list[FillRateRow]
    total: FillRateRow
    short_parts: list[ShortPart]


def fill_rate(*, user, date_from: date, date_to: date, warehouse=None, branch=None) -> FillRateReport:
    """Fill rate (满足率) from the demand log: every issue and reservation request, and what stock met at once.

    Per warehouse and in total: requests, requests met in full at once, line fill rate (full ÷ requests)
    and quantity fill rate (Σ filled ÷ Σ requested); plus the parts most often short (top 20). Two queries.
    """
    start, end = period_bounds(date_from, date_to)
    warehouses = report_warehouses(user=user, warehouse=warehouse, branch=branch)
    sums, short_parts = {}, []
    if warehouses:
        demands = StockDemand.objects.filter(
            warehouse_id__in=[w.pk for w in warehouses], requested_at__gte=start, requested_at__lt=end
        )
        sums = {
            row["warehouse_id"]: row
            for row in demands.values("warehouse_id")
            .annotate(
                requests=Count("id"),
                full=Count("id", filter=Q(filled__gte=F("requested"))),
                requested=_qty_sum("requested"),
                filled=_qty_sum("filled"),
            )
            .order_by()
        }
        short_parts = [
            ShortPart(
                part_id=row["part_id"],
                code=row["part__code"],
                name=row["part__name"],
                unit=row["part__unit"],
                requests=row["requests"],
                short_requests=row["short_requests"],
                short_quantity=row["short_quantity"],
            )
            for row in demands.values("part_id", "part__code", "part__name", "part__unit")
            .annotate(
                requests=Count("id"),
                short_requests=Count("id", filter=Q(filled__lt=F("requested"))),
                short_quantity=_qty_sum(F("requested") - F("filled"), filter=Q(filled__lt=F("requested"))),
            )
            .filter(short_requests__gt=0)
            .order_by("-short_requests", "-short_quantity", "part__code")[:SHORT_PARTS_SHOWN]
        ]
    rows = []
    for w in warehouses:
        row = sums.get(w.pk)
        rows.append(
            FillRateRow(w, row["requests"], row["full"], row["requested"], row["filled"])
            if row
            else FillRateRow(w, 0, 0, ZERO, ZERO)
        )
    total = FillRateRow(
        None,
        sum(r.requests for r in rows),
        sum(r.full for r in rows),
        sum((r.requested for r in rows), ZERO),
        sum((r.filled for r in rows), ZERO),
    )
    return FillRateReport(date_from, date_to, rows, total, short_parts)


# -- ageing and dead stock ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeingBucket:
    first_day: int
    last_day: int | None  # None: no upper end
    count: int
    quantity: Decimal
    value: Decimal
    share: Decimal | None  # of the stock value, in %


@dataclass(frozen=True)
class AgeingReport:
    as_of: date
    dead_days: int
    buckets: list[AgeingBucket]
    count: int
    quantity: Decimal
    value: Decimal
    dead_count: int
    dead_quantity: Decimal
    dead_value: Decimal
    dead_share: Decimal | None
    dead_rows: QuerySet  # the dead balances, longest idle first


def _idle_between(as_of: date, first_day: int, last_day: int | None) -> Q:
    """Balances whose last movement was `first_day`–`last_day` whole local days before `as_of`.

    The first bucket also takes movements after `as_of`; the last one balances with no movement recorded.
    """
    condition = Q()
    if last_day is not None:
        condition &= Q(last_move_at__gte=local_midnight(as_of - timedelta(days=last_day)))
    if first_day > 0:
        condition &= Q(last_move_at__lt=local_midnight(as_of - timedelta(days=first_day - 1)))
    if last_day is None:
        condition |= Q(last_move_at__isnull=True)
    return condition


def _dead(as_of: date, dead_days: int) -> Q:
    """No movement for more than `dead_days` days (or none ever recorded)."""
    return Q(last_move_at__isnull=True) | Q(last_move_at__lt=local_midnight(as_of - timedelta(days=dead_days)))


def stock_ageing(
    *,
    user,
    as_of: date | None = None,
    dead_days: int = DEFAULT_DEAD_DAYS,
    warehouse=None,
    branch=None,
) -> AgeingReport:
    """Stock on hand by days since its last movement (库龄), and dead stock (呆滞): idle more than `dead_days`.

    Buckets 0–30, 31–90, 91–180, 181–365 and over 365 days (count of balances, quantity, value). Days are
    counted from the local day of `StockBalance.last_move_at` to `as_of` (default today). The stock is
    today's: an earlier `as_of` ages today's balances against that day, it does not rebuild past stock.
    One aggregate query; `dead_rows` is a queryset of the dead balances for a page or an export.
    """
    as_of = as_of or timezone.localdate()
    if dead_days < 1:
        raise ValidationError({"dead_days": _("Enter a number of days greater than 0.")})
    ids = [w.pk for w in report_warehouses(user=user, warehouse=warehouse, branch=branch)]
    balances = StockBalance.objects.filter(warehouse_id__in=ids, on_hand__gt=0)
    aggregates = {"n": Count("id"), "q": _qty_sum("on_hand"), "v": _money_sum("value")}
    conditions = {f"b{i}": _idle_between(as_of, first, last) for i, (first, last) in enumerate(AGEING_BUCKETS)}
    conditions["dead"] = _dead(as_of, dead_days)
    for key, condition in conditions.items():
        aggregates[f"{key}_n"] = Count("id", filter=condition)
        aggregates[f"{key}_q"] = _qty_sum("on_hand", filter=condition)
        aggregates[f"{key}_v"] = _money_sum("value", filter=condition)
    sums = balances.aggregate(**aggregates) if ids else dict.fromkeys(aggregates, 0)
    value = Decimal(sums["v"])
    buckets = [
        AgeingBucket(
            first_day=first,
            last_day=last,
            count=sums[f"b{i}_n"],
            quantity=Decimal(sums[f"b{i}_q"]),
            value=Decimal(sums[f"b{i}_v"]),
            share=percent(sums[f"b{i}_v"], value),
        )
        for i, (first, last) in enumerate(AGEING_BUCKETS)
    ]
    dead_rows = (
        StockBalance.objects.filter(warehouse_id__in=ids, on_hand__gt=0)
        .filter(_dead(as_of, dead_days))
        .select_related("part", "warehouse")
        .order_by(F("last_move_at").asc(nulls_first=True), "-value", "id")
    )
    return AgeingReport(
        as_of=as_of,
        dead_days=dead_days,
        buckets=buckets,
        count=sums["n"],
        quantity=Decimal(sums["q"]),
        value=value,
        dead_count=sums["dead_n"],
        dead_quantity=Decimal(sums["dead_q"]),
        dead_value=Decimal(sums["dead_v"]),
        dead_share=percent(sums["dead_v"], value),
        dead_rows=dead_rows,
    )


# -- move history ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoveHistory:
    """A part's moves in the warehouses in scope, oldest first, with the balance before and after the period.

    Each move carries the balance of its own warehouse right after it (`on_hand_after`, `value_after`);
    the opening and closing figures add up every warehouse in scope.
    """

    part: Part
    warehouses: list[Warehouse]
    date_from: date | None
    date_to: date | None
    opening_quantity: Decimal
    opening_value: Decimal
    quantity_in: Decimal
    quantity_out: Decimal
    value_change: Decimal
    moves: QuerySet

    @property
    def closing_quantity(self) -> Decimal:
        return self.opening_quantity + self.quantity_in - self.quantity_out

    @property
    def closing_value(self) -> Decimal:
        return self.opening_value + self.value_change


def move_history(
    *, user, part, warehouse=None, date_from: date | None = None, date_to: date | None = None
) -> MoveHistory:
    """A part's moves oldest first (posting order) with the running balance, and the opening balance at `date_from`.

    The opening balance is the sum of the moves posted before `date_from` 00:00 (0 without `date_from`).
    """
    part = part if isinstance(part, Part) else Part.objects.get(pk=part)
    warehouses = report_warehouses(user=user, warehouse=warehouse)
    before, period = None, Q()
    if date_from:
        before = Q(posted_at__lt=local_midnight(date_from))
        period &= Q(posted_at__gte=local_midnight(date_from))
    if date_to:
        if date_from and date_to < date_from:
            raise ValidationError({"date_to": _("The end date is before the start date.")})
        period &= Q(posted_at__lt=local_midnight(date_to + timedelta(days=1)))
    moves = StockMove.objects.filter(part_id=part.pk, warehouse_id__in=[w.pk for w in warehouses])
    sums = {"oq": ZERO, "ov": ZERO, "qi": ZERO, "qo": ZERO, "v": ZERO}
    if warehouses:
        aggregates = {
            "qi": _qty_sum("quantity", filter=period & Q(quantity__gt=0)),
            "qo": _qty_sum("quantity", filter=period & Q(quantity__lt=0)),
            "v": _money_sum("value", filter=period),
        }
        if before is not None:
            aggregates |= {"oq": _qty_sum("quantity", filter=before), "ov": _money_sum("value", filter=before)}
        sums |= moves.aggregate(**aggregates)
    return MoveHistory(
        part=part,
        warehouses=warehouses,
        date_from=date_from,
        date_to=date_to,
        opening_quantity=Decimal(sums["oq"]),
        opening_value=Decimal(sums["ov"]),
        quantity_in=Decimal(sums["qi"]),
        quantity_out=-Decimal(sums["qo"]),
        value_change=Decimal(sums["v"]),
        moves=moves.filter(period).select_related("warehouse", "created_by__employee").order_by("id"),
    )


# -- periods -----------------------------------------------------------------------------------------------------------


def _month_start(day: date, months_back: int = 0) -> date:
    month_index = day.year * 12 + day.month - 1 - months_back
    return date(month_index // 12, month_index % 12 + 1, 1)


def period_presets(today: date) -> dict[str, tuple[date, date]]:
    """The quick picks of the period reports, as of `today`.

    `last_month`: the last full month (the default); `this_month`: the 1st of this month to today;
    `last_3_months`: the three full months before this one; `this_year`: 1 January to today.
    """
    this_month = _month_start(today)
    return {
        "last_month": (_month_start(today, 1), this_month - timedelta(days=1)),
        "this_month": (this_month, today),
        "last_3_months": (_month_start(today, 3), this_month - timedelta(days=1)),
        "this_year": (date(today.year, 1, 1), today),
    }
