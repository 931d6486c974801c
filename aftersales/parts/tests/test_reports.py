"""Stock reports on data with known answers: valuation, turnover, fill rate, ageing and dead stock, move history.

Stock is built only through the ledger services; moves are placed in time by `posted_at=` on receipts and by
updating `posted_at` of the moves other services post now (the ledger's sums do not depend on that order).
Every expected figure below is worked out by hand in the comments.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from aftersales.core.testing import make_person
from aftersales.parts import reports
from aftersales.parts.models import StockBalance, StockDemand, StockMove
from aftersales.parts.reports import local_midnight, turnover_ratio
from aftersales.parts.services import ledger
from aftersales.parts.services.ledger import InsufficientStock
from aftersales.parts.tests.factories import PartFactory, WarehouseFactory

D = Decimal
JAN_FROM, JAN_TO = datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)


def at(day: str, clock: str = "10:00") -> datetime.datetime:
    """A moment in local (Shanghai) time."""
    moment = datetime.datetime.fromisoformat(f"{day}T{clock}")
    return moment.replace(tzinfo=timezone.get_default_timezone())


def placed(move, moment) -> None:
    """Put a move posted now at `moment` (what a back-dated post would have done)."""
    StockMove.objects.filter(pk=move.pk).update(posted_at=moment)


@pytest.fixture
def second_warehouse(branch):
    return WarehouseFactory(branch=branch, code="BJ01-B", name="北京二库")


@pytest.fixture
def regional(region):
    """A regional manager: sees every store of the region."""
    return make_person(role="regional_manager", branch=region)


class Ledger:
    """The turnover scenario of one part in BJ01's warehouse, a second BJ01 warehouse, and SH01's warehouse.

    Main warehouse W (moving average in brackets after each move):
      15 Dec  receive 100 @ 10.00          +1000   100 / 1000  (10)
      10 Jan  receive  50 @ 13.00           +650   150 / 1650  (11)
      12 Jan  issue 40                      −440   110 / 1210
      15 Jan  transfer 10 to W2             −110   100 / 1100  (not consumption)
      20 Jan  return 5 at average 11         +55   105 / 1155
      25 Jan  adjust −5 (broken)             −55   100 / 1100  (not consumption)
      28 Jan  issue 10                      −110    90 /  990
      29 Jan  reverse that issue            +110   100 / 1100  (kind issue: netted)
      31 Jan 23:50 issue 20                 −220    80 /  880  (still January, local time)
       1 Feb 00:10 issue 10                 −110    70 /  770  (February)
    January for W: opening 1000, closing 880, cost 440 − 55 + 110 − 110 + 220 = 605.
    W2: 20 Dec receive 10 @ 20 (+200), 15 Jan the transfer in (+110): opening 200, closing 310, cost 0.
    SH01 (other branch): 1 Dec receive 100 @ 1 (+100), 5 Jan issue 50 (−50): opening 100, closing 50, cost 50.
    """

    def __init__(self, actor, warehouse, second, other, stock):
        self.part = PartFactory(code="OF-100", name="机油滤清器", category="滤清器")
        self.warehouse, self.second, self.other = warehouse, second, other
        part = self.part
        stock(warehouse, part, 100, "10.00", posted_at=at("2025-12-15"))
        stock(warehouse, part, 50, "13.00", posted_at=at("2026-01-10"))
        stock(second, part, 10, "20.00", posted_at=at("2025-12-20"))
        placed(ledger.stock_issue(actor=actor, warehouse=warehouse, part=part, quantity=40), at("2026-01-12"))
        out_move, in_move = ledger.stock_transfer(
            actor=actor, source=warehouse, destination=second, part=part, quantity=10
        )
        placed(out_move, at("2026-01-15"))
        placed(in_move, at("2026-01-15"))
        placed(ledger.stock_return(actor=actor, warehouse=warehouse, part=part, quantity=5), at("2026-01-20"))
        placed(
            ledger.stock_adjust(actor=actor, warehouse=warehouse, part=part, quantity=-5, reason="破损"),
            at("2026-01-25"),
        )
        issue = ledger.stock_issue(actor=actor, warehouse=warehouse, part=part, quantity=10)
        placed(issue, at("2026-01-28"))
        placed(ledger.stock_move_reverse(actor=actor, move=issue), at("2026-01-29"))
        placed(ledger.stock_issue(actor=actor, warehouse=warehouse, part=part, quantity=20), at("2026-01-31", "23:50"))
        placed(ledger.stock_issue(actor=actor, warehouse=warehouse, part=part, quantity=10), at("2026-02-01", "00:10"))
        stock(other, part, 100, "1.00", posted_at=at("2025-12-01"))
        placed(ledger.stock_issue(actor=actor, warehouse=other, part=part, quantity=50), at("2026-01-05"))


@pytest.fixture
def scenario(admin_user, warehouse, second_warehouse, other_warehouse, stock):
    return Ledger(admin_user, warehouse, second_warehouse, other_warehouse, stock)


# -- the pure arithmetic -----------------------------------------------------------------------------------------------


def test_turnover_ratio_uses_the_average_of_opening_and_closing():
    # given a cost of 605 over 31 days, opening 1000 and closing 880 (average 940)
    figures = turnover_ratio(D("605"), D("1000"), D("880"), 31)

    # then ratio 605 ÷ 940 = 0.6436 → 0.64, annualised 0.6436 × 365 ÷ 31 = 7.578 → 7.58,
    # days of stock 365 ÷ 7.578 = 31 × 940 ÷ 605 = 48.17 → 48.2
    assert figures.average == D("940.00")
    assert figures.ratio == D("0.64")
    assert figures.annualised == D("7.58")
    assert figures.days_of_stock == D("48.2")


def test_turnover_ratio_rounds_half_up():
    # 1 ÷ 8 = 0.125 → 0.13 (banker's rounding would give 0.12); annualised over 365 days the same
    figures = turnover_ratio(D("1"), D("8"), D("8"), 365)
    assert figures.ratio == D("0.13")
    assert figures.annualised == D("0.13")
    assert figures.days_of_stock == D("2920.0")


def test_turnover_ratio_is_undefined_without_stock_and_days_of_stock_without_issues():
    no_stock = turnover_ratio(D("50"), D("0"), D("0"), 30)
    assert (no_stock.average, no_stock.ratio, no_stock.annualised, no_stock.days_of_stock) == (D("0"), None, None, None)

    idle = turnover_ratio(D("0"), D("200"), D("310"), 31)
    assert (idle.average, idle.ratio, idle.annualised, idle.days_of_stock) == (D("255.00"), D("0.00"), D("0.00"), None)


def test_percent_is_one_decimal_half_up_and_none_of_nothing():
    assert reports.percent(6, 14) == D("42.9")
    assert reports.percent(1, 8) == D("12.5")
    assert reports.percent(1, 16) == D("6.3")  # 6.25 → 6.3
    assert reports.percent(3, 0) is None


def test_period_presets_default_to_the_last_full_month():
    presets = reports.period_presets(datetime.date(2026, 3, 15))
    assert presets["last_month"] == (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    assert presets["this_month"] == (datetime.date(2026, 3, 1), datetime.date(2026, 3, 15))
    assert presets["last_3_months"] == (datetime.date(2025, 12, 1), datetime.date(2026, 2, 28))
    assert presets["this_year"] == (datetime.date(2026, 1, 1), datetime.date(2026, 3, 15))
    assert reports.period_presets(datetime.date(2026, 1, 5))["last_month"] == (
        datetime.date(2025, 12, 1),
        datetime.date(2025, 12, 31),
    )


# -- turnover ----------------------------------------------------------------------------------------------------------


def test_turnover_of_january_nets_returns_and_reversals_and_leaves_out_transfers_and_adjustments(
    scenario, keeper, warehouse, second_warehouse
):
    # when the keeper of BJ01 asks for January
    report = reports.stock_turnover(user=keeper, date_from=JAN_FROM, date_to=JAN_TO)

    # then each BJ01 warehouse has its figures, and SH01's is not there
    assert report.days == 31
    by_code = {row.warehouse.code: row.figures for row in report.rows}
    assert set(by_code) == {warehouse.code, second_warehouse.code}
    main = by_code[warehouse.code]
    assert (main.opening, main.closing, main.cost, main.average) == (D("1000"), D("880"), D("605"), D("940.00"))
    assert (main.ratio, main.annualised, main.days_of_stock) == (D("0.64"), D("7.58"), D("48.2"))
    second = by_code[second_warehouse.code]
    assert (second.opening, second.closing, second.cost, second.ratio) == (D("200"), D("310"), D("0"), D("0.00"))

    # and the total is the same formula over the sums: 605 ÷ ((1200 + 1190) ÷ 2 = 1195) = 0.506 → 0.51,
    # annualised 0.5063 × 365 ÷ 31 = 5.961 → 5.96, days of stock 31 × 1195 ÷ 605 = 61.23 → 61.2
    total = report.total.figures
    assert (total.opening, total.closing, total.average, total.cost) == (D("1200"), D("1190"), D("1195.00"), D("605"))
    assert (total.ratio, total.annualised, total.days_of_stock) == (D("0.51"), D("5.96"), D("61.2"))


def test_turnover_periods_are_local_days(scenario, keeper, warehouse):
    # when February's first day is asked for: the 00:10 issue is in it, the 31 Jan 23:50 one is not
    report = reports.stock_turnover(
        user=keeper, date_from=datetime.date(2026, 2, 1), date_to=datetime.date(2026, 2, 1), warehouse=warehouse.pk
    )

    # then opening 880 (end of January), closing 770, cost 110; 110 ÷ 825 = 0.133 → 0.13; × 365 = 48.67
    [row] = report.rows
    figures = row.figures
    assert (figures.opening, figures.closing, figures.cost) == (D("880"), D("770"), D("110"))
    assert (figures.ratio, figures.annualised, figures.days_of_stock) == (D("0.13"), D("48.67"), D("7.5"))


def test_turnover_of_a_regional_manager_adds_every_store(scenario, regional, other_warehouse):
    report = reports.stock_turnover(user=regional, date_from=JAN_FROM, date_to=JAN_TO)

    other = next(row.figures for row in report.rows if row.warehouse == other_warehouse)
    assert (other.opening, other.closing, other.cost) == (D("100"), D("50"), D("50"))
    # 1300 opening, 1240 closing, 655 cost: 655 ÷ 1270 = 0.5157 → 0.52
    total = report.total.figures
    assert (total.opening, total.closing, total.cost, total.ratio) == (D("1300"), D("1240"), D("655"), D("0.52"))


def test_turnover_narrowed_to_another_branch_shows_nothing_to_the_keeper(scenario, keeper, other_branch):
    report = reports.stock_turnover(user=keeper, date_from=JAN_FROM, date_to=JAN_TO, branch=other_branch.pk)
    assert report.rows == []
    assert report.total.figures.cost == 0 and report.total.figures.ratio is None


def test_turnover_refuses_a_period_that_ends_before_it_starts(keeper):
    with pytest.raises(ValidationError) as error:
        reports.stock_turnover(user=keeper, date_from=JAN_TO, date_to=JAN_FROM)
    assert "date_to" in error.value.message_dict


def test_stock_value_at_a_moment_is_the_sum_of_the_moves_before_it(scenario, warehouse, second_warehouse):
    ids = [warehouse.pk, second_warehouse.pk]
    assert reports.stock_value_at(warehouse_ids=ids, moment=local_midnight(JAN_FROM)) == D("1200")
    assert reports.stock_value_at(warehouse_ids=ids, moment=at("2026-01-31", "23:50")) == D("1410")  # 1100 + 310
    assert reports.stock_value_at(warehouse_ids=[warehouse.pk], moment=timezone.now()) == D("770")
    assert StockBalance.objects.get(part=scenario.part, warehouse=warehouse).value == D("770")
    assert reports.stock_value_at(warehouse_ids=[], moment=timezone.now()) == 0


# -- valuation ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def valued(admin_user, warehouse, second_warehouse, other_warehouse, stock):
    return build_valued(admin_user, warehouse, second_warehouse, other_warehouse, stock)


def build_valued(admin_user, warehouse, second_warehouse, other_warehouse, stock):
    """W: A 10 @ 12.50 (125), B 5 @ 3.3333 (16.67); W2: A 2 @ 12.50 (25); C issued to nothing; SH01: A 100 @ 1."""
    filters = PartFactory(code="A-1", name="空气滤清器", category="滤清器")
    pads = PartFactory(code="B-1", name="刹车片", category="刹车")
    gone = PartFactory(code="C-1", name="火花塞", category="点火")
    stock(warehouse, filters, 10, "12.50")
    stock(warehouse, pads, 5, "3.3333")
    stock(second_warehouse, filters, 2, "12.50")
    stock(warehouse, gone, 3, "8.00")
    ledger.stock_issue(actor=admin_user, warehouse=warehouse, part=gone, quantity=3)
    stock(other_warehouse, filters, 100, "1.00")
    return {"filters": filters, "pads": pads, "gone": gone}


def test_valuation_per_warehouse_and_in_total(valued, keeper, warehouse, second_warehouse):
    report = reports.stock_valuation(user=keeper)

    rows = {row.warehouse.code: row for row in report.rows}
    assert set(rows) == {warehouse.code, second_warehouse.code}
    main, second = rows[warehouse.code], rows[second_warehouse.code]
    assert (main.parts, main.quantity, main.value) == (2, D("15"), D("141.67"))
    assert (second.parts, second.quantity, second.value) == (1, D("2"), D("25"))
    # two distinct parts in stock (A in both warehouses counts once), 17 units, 166.67
    assert (report.parts, report.quantity, report.value) == (2, D("17"), D("166.67"))
    assert main.share == D("85.0") and second.share == D("15.0")  # 141.67 ÷ 166.67 = 85.0 %


def test_valuation_by_category_and_for_a_regional_manager(valued, keeper, regional):
    filters = reports.stock_valuation(user=keeper, category="滤清器")
    assert (filters.parts, filters.quantity, filters.value) == (1, D("12"), D("150"))

    everything = reports.stock_valuation(user=regional)
    assert (everything.parts, everything.quantity, everything.value) == (2, D("117"), D("266.67"))


def test_valuation_rows_list_each_part_in_stock_with_its_average_cost(valued, keeper, warehouse):
    rows = list(reports.valuation_rows(user=keeper))

    assert [(b.part.code, b.warehouse.code, b.on_hand, b.average_cost, b.value) for b in rows] == [
        ("A-1", warehouse.code, D("10"), D("12.5"), D("125")),
        ("A-1", "BJ01-B", D("2"), D("12.5"), D("25")),
        ("B-1", warehouse.code, D("5"), D("3.334"), D("16.67")),  # 16.67 ÷ 5 = 3.334
    ]
    assert [b.part.code for b in reports.valuation_rows(user=keeper, q="刹车")] == ["B-1"]
    assert [b.value for b in reports.valuation_rows(user=keeper, sort="-value")] == [D("125"), D("25"), D("16.67")]


def test_valuation_of_a_warehouse_of_another_branch_is_empty_for_the_keeper(valued, keeper, other_warehouse):
    report = reports.stock_valuation(user=keeper, warehouse=other_warehouse.pk)
    assert report.rows == [] and report.value == 0
    assert not reports.valuation_rows(user=keeper, warehouse=other_warehouse.pk).exists()


# -- fill rate ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def demands(admin_user, warehouse, second_warehouse, other_warehouse, stock):
    return build_demands(admin_user, warehouse, second_warehouse, other_warehouse, stock)


def build_demands(admin_user, warehouse, second_warehouse, other_warehouse, stock):
    """W: part A, 10 in stock, asked 2, 3, reserve 1, then 8 (only 4 left: 409). W2: B, none, asked 1 and 2 (409s).

    Plus a request met 40 days ago (outside the last week) and a short one in SH01 (outside BJ01).
    """
    a = PartFactory(code="A-2", name="机油")
    b = PartFactory(code="B-2", name="雨刮片")
    stock(warehouse, a, 10, "5.00")
    ledger.stock_issue(actor=admin_user, warehouse=warehouse, part=a, quantity=2)
    ledger.stock_issue(actor=admin_user, warehouse=warehouse, part=a, quantity=3)
    ledger.stock_reserve(actor=admin_user, warehouse=warehouse, part=a, quantity=1, reference="WO-1/1")
    with pytest.raises(InsufficientStock):
        ledger.stock_issue(actor=admin_user, warehouse=warehouse, part=a, quantity=8)
    for quantity in (1, 2):
        with pytest.raises(InsufficientStock):
            ledger.stock_issue(actor=admin_user, warehouse=second_warehouse, part=b, quantity=quantity)
    with pytest.raises(InsufficientStock):
        ledger.stock_issue(actor=admin_user, warehouse=other_warehouse, part=a, quantity=1)
    stock(warehouse, a, 1, "5.00")
    ledger.stock_issue(actor=admin_user, warehouse=warehouse, part=a, quantity=1)
    last = StockDemand.objects.order_by("-id").first()
    StockDemand.objects.filter(pk=last.pk).update(requested_at=timezone.now() - datetime.timedelta(days=40))
    return {"a": a, "b": b}


def test_fill_rate_counts_requests_met_at_once(demands, keeper, warehouse, second_warehouse):
    today = timezone.localdate()
    report = reports.fill_rate(user=keeper, date_from=today - datetime.timedelta(days=6), date_to=today)

    rows = {row.warehouse.code: row for row in report.rows}
    main, second = rows[warehouse.code], rows[second_warehouse.code]
    # W: 4 requests, 3 met at once → 75 %; 6 of 14 units → 42.9 %
    assert (main.requests, main.full, main.requested, main.filled) == (4, 3, D("14"), D("6"))
    assert (main.line_rate, main.quantity_rate) == (D("75.0"), D("42.9"))
    # W2: 2 requests, none met
    assert (second.requests, second.full, second.line_rate, second.quantity_rate) == (2, 0, D("0.0"), D("0.0"))
    # total: 3 of 6 → 50 %; 6 of 17 units → 35.3 %
    total = report.total
    assert (total.requests, total.full, total.line_rate, total.quantity_rate) == (6, 3, D("50.0"), D("35.3"))
    # the parts most often short: B twice (3 units), then A once (8 units)
    assert [(p.code, p.requests, p.short_requests, p.short_quantity) for p in report.short_parts] == [
        ("B-2", 2, 2, D("3")),
        ("A-2", 4, 1, D("8")),
    ]


def test_fill_rate_without_requests_is_not_a_number(keeper, warehouse):
    report = reports.fill_rate(user=keeper, date_from=JAN_FROM, date_to=JAN_TO)
    assert report.total.requests == 0
    assert report.total.line_rate is None and report.total.quantity_rate is None
    assert report.short_parts == []


def test_fill_rate_of_a_regional_manager_counts_the_other_store(demands, regional):
    today = timezone.localdate()
    report = reports.fill_rate(user=regional, date_from=today, date_to=today)
    assert (report.total.requests, report.total.full) == (7, 3)


# -- ageing ------------------------------------------------------------------------------------------------------------

AS_OF = datetime.date(2026, 6, 30)
#: days since the last movement → (value of the balance, local clock time of that movement)
IDLE = {
    0: (100, "09:00"),
    30: (200, "23:55"),
    31: (300, "00:05"),
    90: (400, "12:00"),
    91: (500, "12:00"),
    180: (600, "00:05"),  # 00:05 in Shanghai is the day before in UTC: still 180 days here, not 181
    181: (700, "23:55"),
    365: (800, "12:00"),
    366: (900, "12:00"),
}


@pytest.fixture
def aged(admin_user, warehouse, other_warehouse, stock):
    build_aged(admin_user, warehouse, other_warehouse, stock)


def build_aged(admin_user, warehouse, other_warehouse, stock):
    """One balance of 10 units per entry of IDLE in W, an emptied old balance, an old balance in SH01."""
    for days, (value, clock) in IDLE.items():
        part = PartFactory(code=f"AGE-{days:03d}")
        stock(warehouse, part, 10, D(value) / 10)
        moment = at((AS_OF - datetime.timedelta(days=days)).isoformat(), clock)
        StockBalance.objects.filter(part=part, warehouse=warehouse).update(last_move_at=moment)
    empty = PartFactory(code="AGE-EMPTY")
    stock(warehouse, empty, 1, "50.00")
    ledger.stock_issue(actor=admin_user, warehouse=warehouse, part=empty, quantity=1)
    StockBalance.objects.filter(part=empty).update(last_move_at=at("2020-01-01"))
    far = PartFactory(code="AGE-SH")
    stock(other_warehouse, far, 1, "999.00")
    StockBalance.objects.filter(part=far).update(last_move_at=at("2020-01-01"))


def test_ageing_buckets_by_days_since_the_last_movement(aged, keeper):
    report = reports.stock_ageing(user=keeper, as_of=AS_OF)

    assert [(b.first_day, b.last_day, b.count, b.value) for b in report.buckets] == [
        (0, 30, 2, D("300")),
        (31, 90, 2, D("700")),
        (91, 180, 2, D("1100")),
        (181, 365, 2, D("1500")),
        (366, None, 1, D("900")),
    ]
    assert [b.quantity for b in report.buckets] == [D("20"), D("20"), D("20"), D("20"), D("10")]
    assert [b.share for b in report.buckets] == [D("6.7"), D("15.6"), D("24.4"), D("33.3"), D("20.0")]
    assert (report.count, report.quantity, report.value) == (9, D("90"), D("4500"))


def test_dead_stock_is_what_has_not_moved_for_more_than_n_days(aged, keeper):
    # N = 180 (the default): 181, 365 and 366 days idle → 700 + 800 + 900 = 2400 of 4500 = 53.3 %
    dead = reports.stock_ageing(user=keeper, as_of=AS_OF)
    assert dead.dead_days == 180
    assert (dead.dead_count, dead.dead_quantity, dead.dead_value, dead.dead_share) == (3, D("30"), D("2400"), D("53.3"))
    assert [b.part.code for b in dead.dead_rows] == ["AGE-366", "AGE-365", "AGE-181"]

    # N = 90: 91 and 180 days idle join them → 3500 of 4500 = 77.8 %
    stricter = reports.stock_ageing(user=keeper, as_of=AS_OF, dead_days=90)
    assert (stricter.dead_count, stricter.dead_value, stricter.dead_share) == (5, D("3500"), D("77.8"))
    assert [b.part.code for b in stricter.dead_rows][-2:] == ["AGE-180", "AGE-091"]


def test_ageing_days_count_local_days(aged):
    moved = StockBalance.objects.get(part__code="AGE-180").last_move_at
    assert reports.ageing_days(AS_OF, moved) == 180
    assert reports.ageing_days(AS_OF, None) is None


def test_ageing_of_a_regional_manager_includes_the_other_store(aged, regional):
    report = reports.stock_ageing(user=regional, as_of=AS_OF)
    assert report.value == D("5499") and report.buckets[-1].value == D("1899")
    assert report.dead_value == D("3399")


def test_ageing_refuses_zero_days(keeper):
    with pytest.raises(ValidationError):
        reports.stock_ageing(user=keeper, dead_days=0)


# -- move history ------------------------------------------------------------------------------------------------------


def test_move_history_opens_with_the_balance_before_the_period(scenario, keeper, warehouse):
    history = reports.move_history(
        user=keeper, part=scenario.part, warehouse=warehouse.pk, date_from=datetime.date(2026, 1, 11), date_to=JAN_TO
    )

    # before 11 Jan: the two receipts, 150 units worth 1650
    assert (history.opening_quantity, history.opening_value) == (D("150"), D("1650"))
    moves = list(history.moves)
    assert [m.quantity for m in moves] == [D("-40"), D("-10"), D("5"), D("-5"), D("-10"), D("10"), D("-20")]
    assert [m.on_hand_after for m in moves] == [D("110"), D("100"), D("105"), D("100"), D("90"), D("100"), D("80")]
    assert moves[-1].value_after == D("880")
    # in 15, out 85; closing 150 + 15 − 85 = 80 worth 1650 − 770 = 880, the last move's balance
    assert (history.quantity_in, history.quantity_out, history.value_change) == (D("15"), D("85"), D("-770"))
    assert (history.closing_quantity, history.closing_value) == (D("80"), D("880"))


def test_move_history_without_dates_starts_from_nothing_and_keeps_to_what_the_user_sees(scenario, keeper, regional):
    history = reports.move_history(user=keeper, part=scenario.part)
    assert (history.opening_quantity, history.opening_value) == (D("0"), D("0"))
    assert {m.warehouse.code for m in history.moves} == {"BJ01", "BJ01-B"}
    # W ends at 70 / 770, W2 at 20 / 310
    assert (history.closing_quantity, history.closing_value) == (D("90"), D("1080"))

    everywhere = reports.move_history(user=regional, part=scenario.part.pk)
    assert (everywhere.closing_quantity, everywhere.closing_value) == (D("140"), D("1130"))
