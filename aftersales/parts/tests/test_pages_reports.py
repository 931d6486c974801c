"""The stock report pages and their xlsx exports: who may open them, what they show, what they download, and
how many queries they run.

The data and the expected figures are those of `test_reports` (worked out by hand there).
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from aftersales.core.testing import make_person, walk_role_matrix
from aftersales.org.roles import ROLES
from aftersales.parts import reports
from aftersales.parts.services.ledger import stock_issue, stock_reserve
from aftersales.parts.tests.factories import PartFactory, WarehouseFactory
from aftersales.parts.tests.test_reports import AS_OF, Ledger, build_aged, build_demands, build_valued

pytestmark = pytest.mark.usefixtures("english")

D = Decimal
REPORT_PAGES = ("report_valuation", "report_turnover", "report_fill_rate", "report_ageing")
EXPORTS = tuple(f"{name}_export" for name in REPORT_PAGES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JANUARY = "date_from=2026-01-01&date_to=2026-01-31"


def url(name: str, query: str = "") -> str:
    return reverse(f"parts:{name}") + (f"?{query}" if query else "")


def roles_with(*perms: str) -> set[str]:
    return {code for code, role in ROLES.items() if any(perm in role.permissions for perm in perms)}


def sheets(response) -> dict[str, list[tuple]]:
    """Every sheet of a downloaded workbook as rows of values."""
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets}


def number(value) -> Decimal:
    return D(str(value)).quantize(D("0.01"))


@pytest.fixture
def second_warehouse(branch):
    return WarehouseFactory(branch=branch, code="BJ01-B", name="北京二库")


@pytest.fixture
def scenario(admin_user, warehouse, second_warehouse, other_warehouse, stock):
    return Ledger(admin_user, warehouse, second_warehouse, other_warehouse, stock)


@pytest.fixture
def keeper_pages(pages, keeper):
    return pages(keeper)


# -- who may open what -------------------------------------------------------------------------------------------------


def test_the_role_matrix_expected_by_the_domain():
    reporting = roles_with("parts.view_stock_reports")
    assert {"parts_keeper", "parts_manager", "finance", "regional_manager", "service_manager"} <= reporting
    assert not {"technician", "service_advisor", "cashier"} & reporting
    assert "technician" not in roles_with("parts.view_stockmove")  # the ledger shows costs


@pytest.mark.parametrize("name", ("report_index", *REPORT_PAGES, *EXPORTS, "report_moves", "report_moves_export"))
def test_every_report_answers_each_role_as_the_matrix_says(name, branch, other_branch, warehouse, part, stock):
    # given some stock, so that the exports have something to write
    stock(warehouse, part, 5, "10.00")
    query = f"part={part.code}" if name == "report_moves_export" else ""
    if name == "report_index":
        allowed = roles_with("parts.view_stock_reports", "parts.view_stockmove")
    elif name.startswith("report_moves"):
        allowed = roles_with("parts.view_stockmove")
    else:
        allowed = roles_with("parts.view_stock_reports")

    # when every role of the branch asks for it, then only the allowed ones get it, the others 403
    mismatches = walk_role_matrix(
        own_url=url(name, query),
        other_url=None,
        allowed=allowed,
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, address: client.get(address),
    )
    assert mismatches == []


@pytest.mark.parametrize("role", ("parts_keeper", "finance", "regional_manager"))
def test_keepers_finance_and_regional_managers_open_every_report(role, pages, person, part):
    client = pages(person(role))
    for name in ("report_index", *REPORT_PAGES, "report_moves"):
        assert client.get(url(name, f"part={part.code}")).status_code == 200, name


def test_a_technician_may_open_no_stock_report(pages, person, part):
    technician = pages(person("technician"))
    for name in ("report_index", *REPORT_PAGES, *EXPORTS, "report_moves", "report_moves_export"):
        assert technician.get(url(name, f"part={part.code}")).status_code == 403, name


def test_the_index_links_every_report(pages, person):
    html = pages(person("parts_keeper")).get(url("report_index")).content.decode()
    for name in (*REPORT_PAGES, "report_moves"):
        assert url(name) in html, name


# -- turnover ----------------------------------------------------------------------------------------------------------


def test_turnover_page_shows_the_ratio_with_its_formula(scenario, keeper_pages):
    response = keeper_pages.get(url("report_turnover", JANUARY))

    assert response.status_code == 200
    total = response.context["report"].total.figures
    assert (total.ratio, total.annualised, total.days_of_stock) == (D("0.51"), D("5.96"), D("61.2"))
    html = response.content.decode()
    assert "Turnover = cost of issues in the period ÷ average stock value ((opening + closing) ÷ 2)" in html
    assert "Annualised = turnover × 365 ÷ 31 days in the period" in html
    assert "¥605.00" in html and "¥1,195.00" in html and "SH01" not in html


def test_turnover_page_defaults_to_the_last_full_month_and_offers_quick_picks(keeper_pages):
    response = keeper_pages.get(url("report_turnover"))

    last_month = reports.period_presets(timezone.localdate())["last_month"]
    report = response.context["report"]
    assert (report.date_from, report.date_to) == last_month
    html = response.content.decode()
    for label in ("Last month", "This month", "Last 3 months", "This year"):
        assert label in html
    this_year = f"date_from={timezone.localdate().year}-01-01"
    assert this_year in html


def test_turnover_page_shows_a_period_that_ends_before_it_starts_as_an_error(keeper_pages):
    response = keeper_pages.get(url("report_turnover", "date_from=2026-02-01&date_to=2026-01-01"))

    assert response.status_code == 200
    assert "report" not in response.context
    assert 'id="id_date_to-error" role="alert">The end date is before the start date.' in response.content.decode()
    export = keeper_pages.get(url("report_turnover_export", "date_from=2026-02-01&date_to=2026-01-01"))
    assert export.status_code == 422


def test_turnover_export_holds_the_figures_of_the_page(scenario, keeper_pages, warehouse):
    book = sheets(keeper_pages.get(url("report_turnover_export", JANUARY)))

    [rows] = book.values()
    assert rows[0] == (
        "Warehouse code",
        "Warehouse",
        "Opening value",
        "Closing value",
        "Average stock value",
        "Cost of issues",
        "Turnover",
        "Annualised turnover",
        "Days of stock",
    )
    main = next(row for row in rows if row[0] == warehouse.code)
    assert [number(v) for v in main[2:]] == [D("1000"), D("880"), D("940"), D("605"), D("0.64"), D("7.58"), D("48.2")]
    total = rows[-1]
    assert total[0] == "Total"
    assert [number(v) for v in total[2:]] == [
        D("1200"),
        D("1190"),
        D("1195"),
        D("605"),
        D("0.51"),
        D("5.96"),
        D("61.2"),
    ]
    assert len(rows) == 4  # header, BJ01, BJ01-B, total: nothing of SH01


# -- valuation ---------------------------------------------------------------------------------------------------------


def test_valuation_page_and_export_agree(admin_user, warehouse, second_warehouse, other_warehouse, stock, keeper_pages):
    build_valued(admin_user, warehouse, second_warehouse, other_warehouse, stock)

    response = keeper_pages.get(url("report_valuation"))
    assert response.status_code == 200
    assert response.context["report"].value == D("166.67")
    assert [b.part.code for b in response.context["page"].items] == ["A-1", "A-1", "B-1"]
    assert "¥166.67" in response.content.decode()

    book = sheets(keeper_pages.get(url("report_valuation_export")))
    summary, parts = book["By warehouse"], book["Parts"]
    assert summary[0] == ("Warehouse code", "Warehouse", "Branch", "Parts in stock", "On hand", "Value")
    assert summary[-1][0] == "Total" and summary[-1][3] == 2
    assert [number(v) for v in summary[-1][4:]] == [D("17"), D("166.67")]
    assert parts[0] == (
        "Part code",
        "Part name",
        "Category",
        "Unit",
        "Warehouse",
        "On hand",
        "Average cost",
        "Value",
    )
    assert [(row[0], row[4], number(row[7])) for row in parts[1:]] == [
        ("A-1", warehouse.code, D("125")),
        ("A-1", "BJ01-B", D("25")),
        ("B-1", warehouse.code, D("16.67")),
    ]


def test_valuation_filters_by_category_and_part(admin_user, warehouse, second_warehouse, other_warehouse, stock, pages):
    build_valued(admin_user, warehouse, second_warehouse, other_warehouse, stock)
    client = pages(make_person(role="regional_manager", branch=warehouse.branch.parent))

    response = client.get(url("report_valuation", "category=滤清器"))
    assert response.context["report"].value == D("250")  # 125 + 25 + SH01's 100
    response = client.get(url("report_valuation", "q=B-1"))
    assert [b.part.code for b in response.context["page"].items] == ["B-1"]


# -- fill rate ---------------------------------------------------------------------------------------------------------


def test_fill_rate_page_and_export(admin_user, warehouse, second_warehouse, other_warehouse, stock, keeper_pages):
    build_demands(admin_user, warehouse, second_warehouse, other_warehouse, stock)
    today = timezone.localdate()
    query = f"date_from={(today - datetime.timedelta(days=6)).isoformat()}&date_to={today.isoformat()}"

    response = keeper_pages.get(url("report_fill_rate", query))
    html = response.content.decode()
    assert "Line fill rate = requests met in full at once ÷ all requests" in html
    assert "50.0%" in html and "35.3%" in html and "B-2" in html

    book = sheets(keeper_pages.get(url("report_fill_rate_export", query)))
    rates, short = book["Fill rate"], book["Parts most often short"]
    main = next(row for row in rates if row[0] == warehouse.code)
    assert main[2:4] == (4, 3) and [number(v) for v in main[4:]] == [D("75"), D("14"), D("6"), D("42.9")]
    assert rates[-1][0] == "Total" and rates[-1][2:4] == (6, 3)
    assert [number(v) for v in rates[-1][4:]] == [D("50"), D("17"), D("6"), D("35.3")]
    assert [(row[0], row[4], number(row[5])) for row in short[1:]] == [("B-2", 2, D("3")), ("A-2", 1, D("8"))]


# -- ageing ------------------------------------------------------------------------------------------------------------


def test_ageing_page_takes_the_number_of_days_and_export_lists_the_dead_stock(
    admin_user, warehouse, other_warehouse, stock, keeper_pages
):
    build_aged(admin_user, warehouse, other_warehouse, stock)

    default = keeper_pages.get(url("report_ageing", f"as_of={AS_OF.isoformat()}"))
    assert default.context["report"].dead_days == 180
    assert default.context["report"].dead_value == D("2400")
    assert [b.idle_days for b in default.context["page"].items] == [366, 365, 181]
    assert "53.3%" in default.content.decode()

    stricter = keeper_pages.get(url("report_ageing", f"as_of={AS_OF.isoformat()}&dead_days=90"))
    assert stricter.context["report"].dead_value == D("3500")
    assert 'name="dead_days" min="1" max="3650" value="90"' in stricter.content.decode()

    book = sheets(keeper_pages.get(url("report_ageing_export", f"as_of={AS_OF.isoformat()}&dead_days=90")))
    summary, dead = book["Ageing"], book["Dead stock"]
    assert [row[0] for row in summary[1:6]] == [
        "0–30 days",
        "31–90 days",
        "91–180 days",
        "181–365 days",
        "Over 365 days",
    ]
    assert [number(row[3]) for row in summary[1:6]] == [D("300"), D("700"), D("1100"), D("1500"), D("900")]
    assert summary[-1][1] == 5 and [number(v) for v in summary[-1][3:]] == [D("3500"), D("77.8")]
    assert [(row[0], row[7]) for row in dead[1:]] == [
        ("AGE-366", 366),
        ("AGE-365", 365),
        ("AGE-181", 181),
        ("AGE-180", 180),
        ("AGE-091", 91),
    ]


def test_ageing_page_shows_zero_days_as_an_error_beside_the_input(keeper_pages):
    response = keeper_pages.get(url("report_ageing", "dead_days=0"))

    assert response.status_code == 200 and "report" not in response.context
    html = response.content.decode()
    assert 'name="dead_days" aria-invalid="true" aria-describedby="id_dead_days-error"' in html
    assert 'id="id_dead_days-error" role="alert">Ensure this value is greater than or equal to 1.' in html


# -- move history ------------------------------------------------------------------------------------------------------


def test_move_history_page_by_part_code_with_opening_balance(scenario, keeper_pages, warehouse):
    query = f"part=of-100&warehouse={warehouse.pk}&date_from=2026-01-11&date_to=2026-01-31"
    response = keeper_pages.get(url("report_moves", query))

    assert response.context["part"] == scenario.part
    history = response.context["history"]
    assert (history.opening_quantity, history.closing_quantity, history.closing_value) == (D("150"), D("80"), D("880"))
    assert [m.on_hand_after for m in response.context["page"].items][-1] == D("80")
    html = response.content.decode()
    assert "¥1,650.00" in html and "Reversal" in html

    book = sheets(keeper_pages.get(url("report_moves_export", query)))
    [rows] = book.values()
    assert rows[1][1] == "Opening balance" and [number(v) for v in rows[1][7:9]] == [D("150"), D("1650")]
    assert [number(row[4]) for row in rows[2:-1]] == [D(q) for q in ("-40", "-10", "5", "-5", "-10", "10", "-20")]
    assert rows[-1][1] == "Closing balance" and [number(v) for v in rows[-1][7:9]] == [D("80"), D("880")]


def test_move_history_page_offers_the_parts_a_search_finds(keeper_pages):
    PartFactory(code="BP-01", name="前刹车片")
    PartFactory(code="BP-02", name="后刹车片")

    response = keeper_pages.get(url("report_moves", "part=刹车片"))
    assert response.context["part"] is None
    assert [p.code for p in response.context["candidates"]] == ["BP-01", "BP-02"]
    assert "part=BP-01" in response.content.decode()

    only = keeper_pages.get(url("report_moves", "part=前刹车"))
    assert only.context["part"].code == "BP-01" and "history" in only.context

    export = keeper_pages.get(url("report_moves_export", "part=刹车片"))
    assert export.status_code == 422


# -- queries -----------------------------------------------------------------------------------------------------------


def add_stock(count: int, *, warehouse, stock, admin_user) -> None:
    """`count` more parts received 400 days ago (dead stock), each asked for once since (a reservation)."""
    for _ in range(count):
        part = PartFactory()
        stock(warehouse, part, 3, "7.00", posted_at=timezone.now() - datetime.timedelta(days=400))
        stock_reserve(actor=admin_user, warehouse=warehouse, part=part, quantity=1, reference="WO")


FEW, MANY = 3, 25


@pytest.mark.parametrize(
    ("name", "query", "expected"),
    [
        # + the filter bar's warehouses, the categories, the report's warehouses, the sums per warehouse, the
        # distinct parts, the page's capped count and rows
        ("report_valuation", "", 7),
        # + the filter bar's warehouses, the report's warehouses, one pass over the moves
        ("report_turnover", "", 3),
        # + the filter bar's warehouses, the report's warehouses, the sums per warehouse, the parts most often short
        ("report_fill_rate", "", 4),
        # + the filter bar's warehouses, the report's warehouses, the buckets, the dead stock's capped count and rows
        ("report_ageing", "dead_days=1", 5),
        # + the filter bar's warehouses, the part, the report's warehouses, the sums, the page's capped count and rows
        ("report_moves", "part=QC-1", 6),
    ],
)
def test_report_pages_run_the_same_queries_for_few_rows_and_for_many(
    name, query, expected, person, pages, warehouse, stock, admin_user, django_assert_num_queries
):
    # given a keeper, a part with many moves, and a few parts in stock
    client = pages(person("parts_keeper"))
    tracked = PartFactory(code="QC-1")
    stock(warehouse, tracked, 100, "1.00")
    add_stock(FEW, warehouse=warehouse, stock=stock, admin_user=admin_user)
    signed_in = 5  # session, user, roles, the employee with its branches, the branch tree
    address = url(name, query)

    # when the page is asked with a few rows, then with more than a page of them
    with django_assert_num_queries(signed_in + expected):
        few = client.get(address)
    add_stock(MANY - FEW, warehouse=warehouse, stock=stock, admin_user=admin_user)
    for _ in range(MANY):
        stock_issue(actor=admin_user, warehouse=warehouse, part=tracked, quantity=1)
    with django_assert_num_queries(signed_in + expected):
        many = client.get(address)

    # then both answered, the second one with more figures
    assert few.status_code == many.status_code == 200
    if "page" in many.context:
        assert many.context["page"].has_next
