"""The stocktake pages: the round trip through the xlsx count sheet, upload errors shown by row, typed counts (htmx
and plain), the buttons of the transition table, approval by role, the list's query count, and other branches."""

import html as html_lib
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from aftersales.core.testing import make_person, page_client, walk_role_matrix
from aftersales.core.xlsx import XLSX_CONTENT_TYPE
from aftersales.org.roles import ROLES
from aftersales.parts.choices import MoveKind, StocktakeStatus
from aftersales.parts.models import StockBalance, StockMove, Stocktake, StocktakeLine
from aftersales.parts.services import stocktake as st
from aftersales.parts.tests.factories import PartFactory, WarehouseFactory

pytestmark = pytest.mark.usefixtures("english")
D = Decimal
LIST = reverse("parts:stocktake_list")
CREATE = reverse("parts:stocktake_create")
HTMX = {"HX-Request": "true"}
LIST_QUERIES = 8


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def toasts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def url(name: str, stocktake, *args) -> str:
    return reverse(f"parts:{name}", args=[stocktake.pk, *args])


def allowed(*perms: str) -> set[str]:
    return {code for code, role in ROLES.items() if set(perms) <= role.permissions}


@pytest.fixture
def parts(db, supplier):
    return [PartFactory(code=f"RT-{n}", name=f"往返件{n}", supplier=supplier) for n in (1, 2, 3)]


@pytest.fixture
def stocked(warehouse, parts, stock):
    """RT-1: 10 @ 12.50, RT-2: 4 @ 30.00, RT-3: 6 @ 8.00."""
    for part, quantity, cost in zip(parts, (10, 4, 6), ("12.50", "30.00", "8.00"), strict=True):
        stock(warehouse, part, quantity, cost)
    return parts


@pytest.fixture
def client(pages, keeper):
    return pages(keeper)


@pytest.fixture
def stocktake(warehouse, stocked, keeper):
    return st.stocktake_start(actor=keeper, warehouse=warehouse)


def filled_sheet(content: bytes, counts: dict, name="counted.xlsx") -> SimpleUploadedFile:
    """A downloaded count sheet with the counted quantities typed in, found by the header row's labels."""
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.active
    headers = [cell.value for cell in sheet[2]]
    code_column, counted_column = headers.index("Part code") + 1, headers.index("Counted quantity") + 1
    for row in range(3, sheet.max_row + 1):
        code = sheet.cell(row=row, column=code_column).value
        if code in counts:
            sheet.cell(row=row, column=counted_column, value=counts[code])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def counts_of(stocktake) -> dict:
    return dict(StocktakeLine.objects.filter(stocktake=stocktake).values_list("part__code", "counted_quantity"))


# -- the round trip ---------------------------------------------------------------------------------------------------


def test_the_stocktake_round_trip_through_the_xlsx_count_sheet(pages, warehouse, stocked, keeper, parts_manager):
    keeper_client, manager_client = pages(keeper), pages(parts_manager)

    # the keeper starts a count of the warehouse
    response = keeper_client.post(CREATE, {"warehouse": warehouse.pk, "category": "", "note": "年末盘点"})
    stocktake = Stocktake.objects.get()
    assert response.status_code == 302 and response.url == url("stocktake_detail", stocktake)

    # downloads the count sheet: the stocktake's number on top, one row per part with its system quantity
    sheet = keeper_client.get(url("stocktake_sheet", stocktake))
    assert sheet.status_code == 200 and sheet["Content-Type"] == XLSX_CONTENT_TYPE
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert stocktake.number in rows[0]
    assert rows[1] == ("Line", "Part code", "Name", "Unit", "Bin", "System quantity", "Counted quantity")
    assert [(r[1], r[5], r[6]) for r in rows[2:]] == [("RT-1", 10, None), ("RT-2", 4, None), ("RT-3", 6, None)]

    # fills in what was counted and uploads it
    upload = filled_sheet(sheet.content, {"RT-1": 8, "RT-2": 4, "RT-3": 7.5})
    response = keeper_client.post(url("stocktake_upload", stocktake), {"file": upload})
    assert response.status_code == 302
    assert counts_of(stocktake) == {"RT-1": D("8"), "RT-2": D("4"), "RT-3": D("7.5")}

    # submits it
    response = keeper_client.post(url("stocktake_submit", stocktake))
    stocktake.refresh_from_db()
    assert response.status_code == 302 and stocktake.status == StocktakeStatus.SUBMITTED

    # the parts manager approves it
    response = manager_client.post(url("stocktake_approve", stocktake), follow=True)
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.APPROVED and stocktake.approved_by == parts_manager
    assert toasts(response) == [f"Stocktake {stocktake.number} approved; the variances are posted."]

    # the variances are posted, the balances equal the counts, and the ledger adds up to the balances
    moves = StockMove.objects.filter(kind=MoveKind.STOCKTAKE, reference=stocktake.number)
    assert sorted(moves.values_list("part__code", "quantity")) == [("RT-1", D("-2")), ("RT-3", D("1.5"))]
    for part, counted in zip(stocked, (D("8"), D("4"), D("7.5")), strict=True):
        balance = StockBalance.objects.get(part=part, warehouse=warehouse)
        assert balance.on_hand == counted
        sums = StockMove.objects.filter(part=part, warehouse=warehouse).values_list("quantity", "value")
        assert (sum(q for q, _v in sums), sum(v for _q, v in sums)) == (balance.on_hand, balance.value)

    # and the page shows the posted values: −2 × 12.50 and +1.5 × 8.00
    page = manager_client.get(url("stocktake_detail", stocktake))
    assert page.context["totals"].loss_value == D("-25.00") and page.context["totals"].gain_value == D("12.00")
    assert "¥12.00" in text(page) and "-¥25.00" in text(page)
    assert page.context["buttons"] == []


def test_a_blind_count_sheet_leaves_out_the_system_quantity(client, stocktake):
    response = client.get(url("stocktake_sheet", stocktake) + "?blind=1")

    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert "System quantity" not in rows[1]
    assert all(10 not in row[1:] for row in rows[2:])


def test_an_upload_with_bad_rows_shows_each_row_beside_the_file_and_saves_nothing(client, stocktake):
    sheet = client.get(url("stocktake_sheet", stocktake))
    upload = filled_sheet(sheet.content, {"RT-1": "eight", "RT-2": -3, "RT-3": 2})

    response = client.post(url("stocktake_upload", stocktake), {"file": upload})

    assert response.status_code == 200
    errors = response.context["upload_form"].errors["file"]
    assert errors == [
        "Row 3: the counted quantity of RT-1 is not a number.",
        "Row 4: the counted quantity of RT-2 is negative.",
    ]
    assert "Row 3: the counted quantity of RT-1 is not a number." in text(response)
    assert counts_of(stocktake) == {"RT-1": None, "RT-2": None, "RT-3": None}


def test_uploading_another_stocktakes_sheet_is_refused(client, pages, stocktake, branch, stocked, stock, keeper):
    second = WarehouseFactory(branch=branch, code="BJ01-B")
    stock(second, stocked[0], 1)
    other = st.stocktake_start(actor=keeper, warehouse=second)
    their_sheet = client.get(url("stocktake_sheet", other))

    response = client.post(url("stocktake_upload", stocktake), {"file": filled_sheet(their_sheet.content, {"RT-1": 1})})

    assert response.context["upload_form"].errors["file"] == [
        f"This is the count sheet of stocktake {other.number}, not of {stocktake.number}."
    ]
    assert counts_of(stocktake)["RT-1"] is None and counts_of(other)["RT-1"] is None


# -- typed counts -----------------------------------------------------------------------------------------------------


def test_a_count_typed_with_htmx_answers_with_the_line_and_its_value(client, stocktake):
    line = StocktakeLine.objects.get(stocktake=stocktake, part__code="RT-1")

    response = client.post(url("stocktake_count", stocktake, line.pk), {"counted": "9"}, headers=HTMX)

    assert response.status_code == 200 and b"<html" not in response.content
    assert f'id="line-{line.pk}"' in text(response) and "-¥12.50" in text(response)
    line.refresh_from_db()
    assert line.counted_quantity == D("9")


def test_a_bad_typed_count_is_shown_in_its_row_and_not_saved(client, stocktake):
    line = StocktakeLine.objects.get(stocktake=stocktake, part__code="RT-1")

    response = client.post(url("stocktake_count", stocktake, line.pk), {"counted": "-1"}, headers=HTMX)

    assert "The counted quantity cannot be negative." in text(response) and 'value="-1"' in text(response)
    line.refresh_from_db()
    assert line.counted_quantity is None


def test_a_count_typed_without_javascript_goes_back_to_the_page_it_came_from(client, stocktake):
    line = StocktakeLine.objects.get(stocktake=stocktake, part__code="RT-2")
    back = url("stocktake_detail", stocktake) + "?show=uncounted&page=1"

    response = client.post(url("stocktake_count", stocktake, line.pk), {"counted": "4", "next": back})

    assert response.status_code == 302 and response.url == back
    line.refresh_from_db()
    assert line.counted_quantity == D("4")


def test_a_count_cannot_be_sent_back_to_another_site(client, stocktake):
    line = StocktakeLine.objects.get(stocktake=stocktake, part__code="RT-2")
    response = client.post(
        url("stocktake_count", stocktake, line.pk), {"counted": "4", "next": "https://evil.example/"}
    )
    assert response.url == url("stocktake_detail", stocktake)


# -- the detail page ------------------------------------------------------------------------------------------------


def test_the_detail_page_values_variances_at_the_average_cost_and_totals_them(client, stocktake, keeper):
    lines = {line.part.code: line for line in StocktakeLine.objects.filter(stocktake=stocktake).select_related("part")}
    st.stocktake_count_set(actor=keeper, line=lines["RT-1"], counted="7")  # −3 × 12.50
    st.stocktake_count_set(actor=keeper, line=lines["RT-2"], counted="5")  # +1 × 30.00

    response = client.get(url("stocktake_detail", stocktake))

    totals = response.context["totals"]
    assert (totals.gain_value, totals.loss_value, totals.net_value, totals.uncounted) == (
        D("30.00"),
        D("-37.50"),
        D("-7.50"),
        1,
    )
    values = {line.part.code: line.variance_value for line in response.context["page"].items}
    assert values == {"RT-1": D("-37.50"), "RT-2": D("30.00"), "RT-3": None}
    page = text(response)
    assert "-¥37.50" in page and "¥30.00" in page and "-¥7.50" in page


def test_the_lines_can_be_narrowed_to_the_uncounted_ones(client, stocktake, keeper):
    line = StocktakeLine.objects.get(stocktake=stocktake, part__code="RT-1")
    st.stocktake_count_set(actor=keeper, line=line, counted="10")

    response = client.get(url("stocktake_detail", stocktake) + "?show=uncounted", headers=HTMX)

    assert [line.part.code for line in response.context["page"].items] == ["RT-2", "RT-3"]
    assert b"<html" not in response.content


def test_the_buttons_follow_the_transition_table_and_the_role(pages, stocktake, keeper, parts_manager):
    def labels(user):
        return [str(b.label) for b in pages(user).get(url("stocktake_detail", stocktake)).context["buttons"]]

    assert labels(keeper) == ["Submit for approval", "Cancel stocktake"]
    for line in StocktakeLine.objects.filter(stocktake=stocktake):
        st.stocktake_count_set(actor=keeper, line=line, counted=line.system_quantity)
    st.stocktake_submit(actor=keeper, stocktake=stocktake)
    assert labels(keeper) == ["Reopen", "Cancel stocktake"]
    assert labels(parts_manager) == ["Approve and post", "Reopen", "Cancel stocktake"]


def test_submitting_with_lines_uncounted_shows_how_many(client, stocktake):
    response = client.post(url("stocktake_submit", stocktake), follow=True)

    assert toasts(response) == ["3 lines are not counted yet: count them, or enter 0 for what is not there."]
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.COUNTING


def test_a_stocktake_whose_stock_moved_warns_and_recounts_those_parts(
    client, stocktake, stocked, warehouse, admin_user, keeper
):
    from aftersales.parts.services import ledger

    st.stocktake_count_set(
        actor=keeper, line=StocktakeLine.objects.get(stocktake=stocktake, part__code="RT-1"), counted="10"
    )
    ledger.stock_issue(actor=admin_user, warehouse=warehouse, part=stocked[0], quantity=1, reference="WO-1")

    response = client.get(url("stocktake_detail", stocktake))

    page = text(response)
    assert "has moved since the count began" in page and '<span class="mono">RT-1</span> (10 → 9)' in page

    # when the keeper asks to count the moved parts again
    response = client.post(url("stocktake_recount", stocktake), follow=True)

    # then RT-1 has a fresh system quantity and is uncounted; the warning is gone
    assert toasts(response) == ["Count these parts again: RT-1."]
    line = StocktakeLine.objects.get(stocktake=stocktake, part__code="RT-1")
    assert (line.system_quantity, line.counted_quantity) == (D("9"), None)
    assert "has moved since the count began" not in text(response)


# -- access ---------------------------------------------------------------------------------------------------------


def test_approval_is_refused_to_a_parts_keeper_and_allowed_to_the_parts_manager(
    pages, stocktake, keeper, parts_manager
):
    for line in StocktakeLine.objects.filter(stocktake=stocktake):
        st.stocktake_count_set(actor=keeper, line=line, counted=line.system_quantity - 1)
    st.stocktake_submit(actor=keeper, stocktake=stocktake)

    refused = pages(keeper).post(url("stocktake_approve", stocktake))
    stocktake.refresh_from_db()
    assert refused.status_code == 403 and stocktake.status == StocktakeStatus.SUBMITTED

    approved = pages(parts_manager).post(url("stocktake_approve", stocktake))
    stocktake.refresh_from_db()
    assert approved.status_code == 302 and stocktake.status == StocktakeStatus.APPROVED
    assert StockMove.objects.filter(kind=MoveKind.STOCKTAKE).count() == 3


def test_approval_refused_for_reserved_stock_shows_the_part(pages, stocktake, stocked, warehouse, keeper, admin_user):
    from aftersales.parts.services import ledger

    ledger.stock_reserve(actor=admin_user, warehouse=warehouse, part=stocked[1], quantity=4, reference="WO-2")
    for line in StocktakeLine.objects.filter(stocktake=stocktake):
        st.stocktake_count_set(actor=keeper, line=line, counted=0 if line.part.code == "RT-2" else line.system_quantity)
    st.stocktake_submit(actor=keeper, stocktake=stocktake)

    response = pages(make_person(role="parts_manager", branch=warehouse.branch)).post(
        url("stocktake_approve", stocktake), follow=True
    )

    assert toasts(response) == [f"Not enough stock of RT-2 in {warehouse.code}: 0 available, 4 asked for."]
    assert not StockMove.objects.filter(kind=MoveKind.STOCKTAKE).exists()


@pytest.fixture
def other_stocktake(other_warehouse, stocked, stock, admin_user):
    stock(other_warehouse, stocked[0], 2)
    return st.stocktake_start(actor=admin_user, warehouse=other_warehouse)


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("stocktake_detail", "get"),
        ("stocktake_sheet", "get"),
        ("stocktake_upload", "post"),
        ("stocktake_submit", "post"),
        ("stocktake_cancel", "post"),
        ("stocktake_approve", "post"),
    ],
)
def test_another_branchs_stocktake_is_not_found(pages, parts_manager, other_stocktake, name, method):
    response = getattr(pages(parts_manager), method)(url(name, other_stocktake))
    assert response.status_code == 404
    other_stocktake.refresh_from_db()
    assert other_stocktake.status == StocktakeStatus.COUNTING


def test_another_branchs_line_cannot_be_counted_through_ones_own_stocktake(client, stocktake, other_stocktake):
    their_line = StocktakeLine.objects.filter(stocktake=other_stocktake).first()
    response = client.post(url("stocktake_count", stocktake, their_line.pk), {"counted": "1"})
    assert response.status_code == 404
    their_line.refresh_from_db()
    assert their_line.counted_quantity is None


def test_who_may_open_the_stocktake_page(stocktake, other_stocktake, branch, other_branch):
    mismatches = walk_role_matrix(
        own_url=url("stocktake_detail", stocktake),
        other_url=url("stocktake_detail", other_stocktake),
        allowed=allowed("parts.view_stocktake"),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, target: client.get(target),
    )
    assert mismatches == []


def test_who_may_start_a_stocktake(branch, other_branch, stocked):
    mismatches = walk_role_matrix(
        own_url=CREATE,
        other_url=None,
        allowed=allowed("parts.add_stocktake"),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, target: client.get(target),
    )
    assert mismatches == []


def test_the_list_shows_the_stocktakes_of_ones_branches_only(client, stocktake, other_stocktake):
    response = client.get(LIST)
    assert [s.number for s in response.context["page"].items] == [stocktake.number]
    assert response.context["page"].items[0].line_count == 3


def queries_of(client, target: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(target)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_list_page_runs_the_same_queries_for_3_stocktakes_and_for_25(region, branch, stocked, stock, admin_user):
    # given a regional manager and 3 stocktakes, then 25 (more than a page)
    client = page_client(make_person(role="regional_manager", branch=region))

    def add(count):
        for number in range(count):
            warehouse = WarehouseFactory(branch=branch)
            stock(warehouse, stocked[number % 3], 1)
            stocktake = st.stocktake_start(actor=admin_user, warehouse=warehouse)
            if number % 2:
                st.stocktake_cancel(actor=admin_user, stocktake=stocktake)

    add(3)
    few = queries_of(client, LIST)
    add(22)
    many = queries_of(client, LIST)

    # then: signed in and scoped (5), the capped count, the page of rows with their line counts, the filter bar's
    # warehouses
    assert few == many == LIST_QUERIES


def test_the_detail_page_runs_the_same_queries_for_3_lines_and_for_60(branch, warehouse, stock, admin_user):
    client = page_client(make_person(role="parts_manager", branch=branch))

    def stocktake_of(count):
        for _number in range(count):
            stock(warehouse, PartFactory(), 2)
        stocktake = st.stocktake_start(actor=admin_user, warehouse=warehouse)
        for line in StocktakeLine.objects.filter(stocktake=stocktake)[:2]:
            st.stocktake_count_set(actor=admin_user, line=line, counted="1")
        return stocktake

    few_stocktake = stocktake_of(3)
    few = queries_of(client, url("stocktake_detail", few_stocktake))
    st.stocktake_cancel(actor=admin_user, stocktake=few_stocktake)
    many_stocktake = stocktake_of(57)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url("stocktake_detail", many_stocktake) + "?page_size=100")
    assert len(response.context["page"].items) == 60
    assert few == len(captured.captured_queries)
