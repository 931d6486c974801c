"""Stocktakes at service level: the snapshot, the count sheet in and out, typed counts, the transition table,
approval posting the variances through the ledger at the average cost, and what refuses an approval."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from openpyxl import Workbook

from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction, AuditEvent
from aftersales.parts.choices import STOCKTAKE_TRANSITIONS, MoveKind, StocktakeStatus
from aftersales.parts.models import StockBalance, StockMove, Stocktake, StocktakeLine
from aftersales.parts.services import ledger
from aftersales.parts.services import stocktake as st
from aftersales.parts.services.catalogue import balance_bin_set, bin_create
from aftersales.parts.services.ledger import InsufficientStock
from aftersales.parts.tests.factories import PartFactory

pytestmark = pytest.mark.usefixtures("english")
D = Decimal


# -- helpers ----------------------------------------------------------------------------------------------------------


def sheet_file(stocktake, counts: dict, *, blind=False, extra_rows=(), name="count.xlsx") -> SimpleUploadedFile:
    """The stocktake's own count sheet, as the page hands it out, with counts typed into the counted column."""
    title, headers, rows = st.stocktake_sheet(stocktake=stocktake, blind=blind)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(title)
    sheet.append(headers)
    counted_column = headers.index("Counted quantity")
    for row in rows:
        if row[1] in counts:
            row[counted_column] = counts[row[1]]
        sheet.append(row)
    for row in extra_rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def lines_of(stocktake) -> dict[str, StocktakeLine]:
    return {line.part.code: line for line in StocktakeLine.objects.filter(stocktake=stocktake).select_related("part")}


def counts_of(stocktake) -> dict[str, Decimal | None]:
    return {code: line.counted_quantity for code, line in lines_of(stocktake).items()}


def balance_of(part, warehouse) -> StockBalance:
    return StockBalance.objects.get(part=part, warehouse=warehouse)


def ledger_sums(part, warehouse) -> tuple[Decimal, Decimal]:
    rows = StockMove.objects.filter(part=part, warehouse=warehouse).values_list("quantity", "value")
    return sum((q for q, _v in rows), D("0")), sum((v for _q, v in rows), D("0"))


@pytest.fixture
def parts(db, supplier):
    """Three parts with codes in sheet order."""
    return [PartFactory(code=f"ST-{n}", name=f"盘点件{n}", supplier=supplier) for n in (1, 2, 3)]


@pytest.fixture
def stocked(warehouse, parts, stock):
    """ST-1: 10 @ 12.50; ST-2: 4 @ 30.00; ST-3: 6 @ 8.00."""
    stock(warehouse, parts[0], 10, "12.50")
    stock(warehouse, parts[1], 4, "30.00")
    stock(warehouse, parts[2], 6, "8.00")
    return parts


def start(actor, warehouse, **kwargs):
    return st.stocktake_start(actor=actor, warehouse=warehouse, **kwargs)


def count_all(actor, stocktake, counts: dict):
    for code, line in lines_of(stocktake).items():
        st.stocktake_count_set(actor=actor, line=line, counted=counts.get(code, line.system_quantity))


# -- start --------------------------------------------------------------------------------------------------------------


def test_start_snapshots_each_part_held_or_moved_with_its_bin(
    warehouse, other_warehouse, parts, stock, keeper, admin_user
):
    # given ST-1 on hand in bin A-01, ST-2 received and issued to nothing, ST-3 only in another branch,
    # and a balance row for a part that never moved (given a bin only)
    stock(warehouse, parts[0], 10, "12.50")
    stock(warehouse, parts[1], 2, "5.00")
    ledger.stock_issue(actor=admin_user, warehouse=warehouse, part=parts[1], quantity=2, reference="WO-1")
    stock(other_warehouse, parts[2], 3, "5.00")
    shelf = bin_create(actor=admin_user, warehouse=warehouse, code="A-01")
    balance_bin_set(actor=admin_user, warehouse=warehouse, part=parts[0], bin=shelf)
    never_moved = PartFactory(code="ZZ-9")
    balance_bin_set(actor=admin_user, warehouse=warehouse, part=never_moved, bin=shelf)

    # when the keeper starts a stocktake of the warehouse
    stocktake = start(keeper, warehouse, note="月末盘点")

    # then it is numbered ST-<branch>-…, counting, with one line per part held or moved, uncounted
    assert stocktake.number.startswith("ST-BJ01-")
    assert stocktake.status == StocktakeStatus.COUNTING and stocktake.created_by == keeper
    lines = lines_of(stocktake)
    assert set(lines) == {"ST-1", "ST-2"}
    assert (lines["ST-1"].system_quantity, lines["ST-1"].bin_code) == (D("10"), "A-01")
    assert (lines["ST-2"].system_quantity, lines["ST-2"].bin_code) == (D("0"), "")
    assert all(line.counted_quantity is None for line in lines.values())
    assert AuditEvent.objects.filter(object_id=stocktake.pk, action=AuditAction.CREATE).exists()


def test_start_of_one_category_counts_only_its_parts(warehouse, stocked, keeper):
    stocked[0].category = "滤清器"
    stocked[0].save()

    stocktake = start(keeper, warehouse, category="滤清器")

    assert set(lines_of(stocktake)) == {"ST-1"}


def test_start_of_a_warehouse_holding_nothing_is_refused(warehouse, keeper):
    with pytest.raises(ValidationError) as refused:
        start(keeper, warehouse)
    assert "warehouse" in refused.value.message_dict
    assert not Stocktake.objects.exists()


def test_only_one_open_stocktake_per_warehouse(warehouse, stocked, keeper, parts_manager):
    first = start(keeper, warehouse)

    # while it is counting, and while it is submitted, a second one is refused naming the open one
    with pytest.raises(Conflict) as refused:
        start(keeper, warehouse)
    assert refused.value.code == "stocktake_open" and first.number in str(refused.value.message)
    count_all(keeper, first, {})
    st.stocktake_submit(actor=keeper, stocktake=first)
    with pytest.raises(Conflict):
        start(keeper, warehouse)

    # once it is approved, the warehouse may be counted again
    st.stocktake_approve(actor=parts_manager, stocktake=first)
    assert start(keeper, warehouse).number != first.number


def test_a_role_without_the_stocktake_permission_cannot_start_one(warehouse, stocked, person):
    with pytest.raises(PermissionDenied):
        start(person("service_advisor"), warehouse)


def test_a_keeper_cannot_start_a_stocktake_of_another_branch(other_warehouse, part, stock, keeper):
    stock(other_warehouse, part, 5)
    with pytest.raises(Http404):
        start(keeper, other_warehouse)


# -- the count sheet --------------------------------------------------------------------------------------------------


def test_the_sheet_names_the_stocktake_and_lists_each_line(warehouse, stocked, keeper):
    stocktake = start(keeper, warehouse)

    title, headers, rows = st.stocktake_sheet(stocktake=stocktake)

    assert stocktake.number in title
    assert headers == ["Line", "Part code", "Name", "Unit", "Bin", "System quantity", "Counted quantity"]
    assert [row[:2] for row in rows] == [[1, "ST-1"], [2, "ST-2"], [3, "ST-3"]]
    assert [row[5] for row in rows] == [D("10"), D("4"), D("6")]


def test_a_blind_sheet_has_no_system_quantity(warehouse, stocked, keeper):
    stocktake = start(keeper, warehouse)

    _title, headers, rows = st.stocktake_sheet(stocktake=stocktake, blind=True)

    assert "System quantity" not in headers and len(headers) == 6
    assert all(D("10") not in row and len(row) == 6 for row in rows)


def test_a_sheet_written_in_chinese_is_read_back_under_english(warehouse, stocked, keeper):
    from django.utils import translation

    # given the sheet as a Chinese reader downloads it
    stocktake = start(keeper, warehouse)
    with translation.override("zh-hans"):
        _title, headers, _rows = st.stocktake_sheet(stocktake=stocktake)
        upload = sheet_file_in_language(stocktake, {"ST-2": 1})
    assert headers[0] == "行号"

    # when an English reader uploads it, the columns are still found
    st.stocktake_counts_import(actor=keeper, stocktake=stocktake, upload=upload)
    assert counts_of(stocktake)["ST-2"] == D("1")


def sheet_file_in_language(stocktake, counts):
    """Like `sheet_file`, finding the counted column as the last header (whatever its language)."""
    title, headers, rows = st.stocktake_sheet(stocktake=stocktake)
    workbook = Workbook()
    workbook.active.append(title)
    workbook.active.append(headers)
    for row in rows:
        row[-1] = counts.get(row[1])
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("zh.xlsx", buffer.getvalue())


def test_counts_are_read_from_the_sheet_and_blank_cells_leave_lines_as_they_are(warehouse, stocked, keeper):
    # given ST-3 already counted on the page
    stocktake = start(keeper, warehouse)
    st.stocktake_count_set(actor=keeper, line=lines_of(stocktake)["ST-3"], counted="5")

    # when a sheet with ST-1 and ST-2 counted and ST-3's cell emptied is uploaded
    result = st.stocktake_counts_import(
        actor=keeper, stocktake=stocktake, upload=sheet_file(stocktake, {"ST-1": 9, "ST-2": 4.5, "ST-3": None})
    )

    # then those two are counted and ST-3 keeps its typed count
    assert result.counted == 2 and result.added == []
    assert counts_of(stocktake) == {"ST-1": D("9"), "ST-2": D("4.5"), "ST-3": D("5")}
    event = AuditEvent.objects.get(object_id=stocktake.pk, action=AuditAction.IMPORT)
    assert event.payload["counted"] == 2 and event.payload["file"] == "count.xlsx"


def test_a_blind_sheet_is_read_back_too(warehouse, stocked, keeper):
    stocktake = start(keeper, warehouse)

    st.stocktake_counts_import(
        actor=keeper, stocktake=stocktake, upload=sheet_file(stocktake, {"ST-1": 7, "ST-3": 6}, blind=True)
    )

    assert counts_of(stocktake) == {"ST-1": D("7"), "ST-2": None, "ST-3": D("6")}


def test_a_part_found_on_the_shelves_is_added_as_a_line_with_system_quantity_0(warehouse, stocked, keeper):
    found = PartFactory(code="FOUND-1")
    stocktake = start(keeper, warehouse)

    result = st.stocktake_counts_import(
        actor=keeper,
        stocktake=stocktake,
        upload=sheet_file(stocktake, {"ST-1": 10}, extra_rows=[[None, "found-1", "", "", "", None, 2]]),
    )

    assert result.added == ["FOUND-1"]
    line = lines_of(stocktake)["FOUND-1"]
    assert (line.system_quantity, line.counted_quantity, line.variance) == (D("0"), D("2"), D("2"))
    assert line.part == found


def test_a_sheet_with_bad_rows_names_each_row_and_saves_nothing(warehouse, stocked, keeper):
    stocktake = start(keeper, warehouse)
    upload = sheet_file(
        stocktake,
        {"ST-1": "ten", "ST-2": -1, "ST-3": 1.234},
        extra_rows=[
            [None, "NO-SUCH", "", "", "", None, 1],
            [None, "ST-1", "", "", "", None, 3],
            [None, None, "", "", "", None, 4],
        ],
    )

    with pytest.raises(ValidationError) as refused:
        st.stocktake_counts_import(actor=keeper, stocktake=stocktake, upload=upload)

    messages = refused.value.message_dict["file"]
    assert messages == [
        "Row 3: the counted quantity of ST-1 is not a number.",
        "Row 4: the counted quantity of ST-2 is negative.",
        "Row 5: the counted quantity of ST-3 has more than two decimals.",
        "Row 6: part code NO-SUCH is not in the catalogue.",
        "Row 7: part code ST-1 appears again (first on row 3).",
        "Row 8: a counted quantity without a part code.",
    ]
    assert counts_of(stocktake) == {"ST-1": None, "ST-2": None, "ST-3": None}
    assert StocktakeLine.objects.filter(stocktake=stocktake).count() == 3


def test_one_bad_row_among_good_ones_saves_none_of_them(warehouse, stocked, keeper):
    stocktake = start(keeper, warehouse)

    with pytest.raises(ValidationError) as refused:
        st.stocktake_counts_import(
            actor=keeper, stocktake=stocktake, upload=sheet_file(stocktake, {"ST-1": 9, "ST-2": 4, "ST-3": "x"})
        )

    assert refused.value.message_dict["file"] == ["Row 5: the counted quantity of ST-3 is not a number."]
    assert counts_of(stocktake) == {"ST-1": None, "ST-2": None, "ST-3": None}


def test_the_sheet_of_another_stocktake_is_refused(warehouse, second_warehouse_stocked, keeper):
    mine = start(keeper, warehouse)
    theirs = start(keeper, second_warehouse_stocked)

    with pytest.raises(ValidationError) as refused:
        st.stocktake_counts_import(actor=keeper, stocktake=mine, upload=sheet_file(theirs, {"ST-1": 1}))

    assert refused.value.message_dict["file"] == [
        f"This is the count sheet of stocktake {theirs.number}, not of {mine.number}."
    ]
    assert counts_of(mine)["ST-1"] is None


@pytest.fixture
def second_warehouse_stocked(branch, stocked, stock):
    from aftersales.parts.tests.factories import WarehouseFactory

    second = WarehouseFactory(branch=branch, code="BJ01-B")
    stock(second, stocked[0], 1)
    return second


def test_a_sheet_that_is_not_a_count_sheet_is_refused(warehouse, stocked, keeper):
    stocktake = start(keeper, warehouse)
    workbook = Workbook()
    workbook.active.append(["Part code", "Counted quantity"])
    workbook.active.append(["ST-1", 3])
    buffer = io.BytesIO()
    workbook.save(buffer)

    with pytest.raises(ValidationError) as refused:
        st.stocktake_counts_import(
            actor=keeper, stocktake=stocktake, upload=SimpleUploadedFile("mine.xlsx", buffer.getvalue())
        )

    assert stocktake.number in refused.value.message_dict["file"][0]


def test_a_sheet_without_any_count_is_refused(warehouse, stocked, keeper):
    stocktake = start(keeper, warehouse)
    with pytest.raises(ValidationError) as refused:
        st.stocktake_counts_import(actor=keeper, stocktake=stocktake, upload=sheet_file(stocktake, {}))
    assert refused.value.message_dict["file"] == ["The sheet has no counted quantities."]


def test_a_sheet_uploaded_after_submission_is_refused(warehouse, stocked, keeper):
    stocktake = start(keeper, warehouse)
    count_all(keeper, stocktake, {})
    st.stocktake_submit(actor=keeper, stocktake=stocktake)

    with pytest.raises(Conflict) as refused:
        st.stocktake_counts_import(actor=keeper, stocktake=stocktake, upload=sheet_file(stocktake, {"ST-1": 1}))
    assert refused.value.code == "not_counting"


# -- typed counts -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "Enter a number."),
        ("-1", "The counted quantity cannot be negative."),
        ("1.005", "Use at most two decimals."),
        ("1e20", "The quantity is too large."),
    ],
)
def test_a_typed_count_that_is_not_a_quantity_is_refused(warehouse, stocked, keeper, typed, message):
    stocktake = start(keeper, warehouse)
    line = lines_of(stocktake)["ST-1"]

    with pytest.raises(ValidationError) as refused:
        st.stocktake_count_set(actor=keeper, line=line, counted=typed)

    assert refused.value.message_dict == {"counted": [message]}
    line.refresh_from_db()
    assert line.counted_quantity is None


def test_a_typed_count_is_kept_and_a_blank_one_clears_it(warehouse, stocked, keeper):
    stocktake = start(keeper, warehouse)
    line = lines_of(stocktake)["ST-1"]

    st.stocktake_count_set(actor=keeper, line=line, counted=" 0 ")
    line.refresh_from_db()
    assert line.counted_quantity == D("0")

    st.stocktake_count_set(actor=keeper, line=line, counted="")
    line.refresh_from_db()
    assert line.counted_quantity is None
    changes = [e.changes for e in AuditEvent.objects.filter(object_id=stocktake.pk, action=AuditAction.UPDATE)]
    assert {"ST-1": {"before": None, "after": "0"}} in changes and {"ST-1": {"before": "0", "after": None}} in changes


# -- the transition table --------------------------------------------------------------------------------------------


SERVICES = {
    StocktakeStatus.SUBMITTED: st.stocktake_submit,
    StocktakeStatus.APPROVED: st.stocktake_approve,
    StocktakeStatus.COUNTING: st.stocktake_reopen,
    StocktakeStatus.CANCELLED: st.stocktake_cancel,
}
PAIRS = [(a, b) for a in StocktakeStatus for b in StocktakeStatus]


def stocktake_in(status, *, warehouse, keeper, manager):
    stocktake = start(keeper, warehouse)
    count_all(keeper, stocktake, {"ST-1": 9})
    if status == StocktakeStatus.COUNTING:
        return stocktake
    if status == StocktakeStatus.CANCELLED:
        return st.stocktake_cancel(actor=keeper, stocktake=stocktake)
    st.stocktake_submit(actor=keeper, stocktake=stocktake)
    if status == StocktakeStatus.APPROVED:
        st.stocktake_approve(actor=manager, stocktake=stocktake)
    return Stocktake.objects.get(pk=stocktake.pk)


@pytest.mark.parametrize(("before", "after"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_the_transition_table_allows_its_moves_and_refuses_every_other(
    warehouse, stocked, keeper, parts_manager, before, after
):
    stocktake = stocktake_in(before, warehouse=warehouse, keeper=keeper, manager=parts_manager)
    assert stocktake.status == before
    events = AuditEvent.objects.filter(object_id=stocktake.pk, action=AuditAction.STATUS).count()

    if after in STOCKTAKE_TRANSITIONS[before]:
        SERVICES[after](actor=parts_manager, stocktake=stocktake)
        stocktake.refresh_from_db()
        assert stocktake.status == after
        event = AuditEvent.objects.filter(object_id=stocktake.pk, action=AuditAction.STATUS).latest("id")
        assert event.payload["from"] == before.value and event.payload["to"] == after.value
        assert event.actor == parts_manager
    else:
        with pytest.raises(Conflict) as refused:
            SERVICES[after](actor=parts_manager, stocktake=stocktake)
        assert refused.value.code == "invalid_transition"
        stocktake.refresh_from_db()
        assert stocktake.status == before
        assert AuditEvent.objects.filter(object_id=stocktake.pk, action=AuditAction.STATUS).count() == events


def test_submitting_with_uncounted_lines_is_refused_naming_how_many(warehouse, stocked, keeper):
    stocktake = start(keeper, warehouse)
    st.stocktake_count_set(actor=keeper, line=lines_of(stocktake)["ST-1"], counted="10")

    with pytest.raises(Conflict) as refused:
        st.stocktake_submit(actor=keeper, stocktake=stocktake)

    assert refused.value.code == "uncounted_lines" and "2 lines are not counted" in str(refused.value.message)
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.COUNTING


def test_counts_cannot_change_once_submitted_until_reopened(warehouse, stocked, keeper):
    stocktake = start(keeper, warehouse)
    count_all(keeper, stocktake, {})
    st.stocktake_submit(actor=keeper, stocktake=stocktake)
    line = lines_of(stocktake)["ST-1"]

    with pytest.raises(Conflict):
        st.stocktake_count_set(actor=keeper, line=line, counted="3")

    st.stocktake_reopen(actor=keeper, stocktake=stocktake)
    st.stocktake_count_set(actor=keeper, line=line, counted="3")
    assert counts_of(stocktake)["ST-1"] == D("3")


# -- approval -----------------------------------------------------------------------------------------------------------


def test_a_parts_keeper_cannot_approve(warehouse, stocked, keeper):
    stocktake = start(keeper, warehouse)
    count_all(keeper, stocktake, {"ST-1": 8})
    st.stocktake_submit(actor=keeper, stocktake=stocktake)

    with pytest.raises(PermissionDenied):
        st.stocktake_approve(actor=keeper, stocktake=stocktake)

    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.SUBMITTED and not StockMove.objects.filter(kind="stocktake").exists()


@pytest.mark.parametrize("role", ["parts_manager", "service_manager"])
def test_approval_posts_one_stocktake_move_per_variance_and_balances_equal_the_counts(
    warehouse, stocked, keeper, person, role
):
    # given counts: ST-1 two short, ST-2 right, ST-3 one over
    approver = person(role)
    stocktake = start(keeper, warehouse)
    count_all(keeper, stocktake, {"ST-1": 8, "ST-2": 4, "ST-3": 7})
    st.stocktake_submit(actor=keeper, stocktake=stocktake)

    # when the manager approves
    st.stocktake_approve(actor=approver, stocktake=stocktake)

    # then one stocktake move per line with a variance, at the average cost, linked from its line
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.APPROVED
    assert stocktake.approved_by == approver and stocktake.approved_at is not None
    moves = {m.part.code: m for m in StockMove.objects.filter(kind=MoveKind.STOCKTAKE).select_related("part")}
    assert set(moves) == {"ST-1", "ST-3"}
    assert (moves["ST-1"].quantity, moves["ST-1"].value) == (D("-2"), D("-25.00"))
    assert (moves["ST-3"].quantity, moves["ST-3"].value) == (D("1"), D("8.00"))
    for move in moves.values():
        assert (move.reference, move.document_type, move.document_id) == (stocktake.number, "stocktake", stocktake.pk)
        assert move.created_by == approver
    lines = lines_of(stocktake)
    assert lines["ST-1"].move == moves["ST-1"] and lines["ST-2"].move is None
    for part, counted in zip(stocked, (D("8"), D("4"), D("7")), strict=True):
        balance = balance_of(part, warehouse)
        assert balance.on_hand == counted
        assert ledger_sums(part, warehouse) == (balance.on_hand, balance.value)


def test_a_variance_is_valued_at_the_average_cost(warehouse, part, stock, keeper, parts_manager):
    # given 10 @ 12.50 and 10 @ 13.00: an average of 12.75
    stock(warehouse, part, 10, "12.50")
    stock(warehouse, part, 10, "13.00")
    stocktake = start(keeper, warehouse)
    line = lines_of(stocktake)[part.code]
    st.stocktake_count_set(actor=keeper, line=line, counted="17")

    # then before approval the loss of 3 is worth 3 × 12.75
    totals = st.stocktake_totals(stocktake=stocktake)
    assert (totals.loss_quantity, totals.loss_value, totals.gain_value) == (D("-3"), D("-38.25"), D("0"))
    page_line = st.stocktake_lines(stocktake=stocktake).get()
    st.line_values_attach([page_line])
    assert page_line.variance_value == D("-38.25")

    # and approval takes exactly that out of stock
    st.stocktake_submit(actor=keeper, stocktake=stocktake)
    st.stocktake_approve(actor=parts_manager, stocktake=stocktake)
    balance = balance_of(part, warehouse)
    assert (balance.on_hand, balance.value) == (D("17"), D("216.75"))
    assert st.stocktake_totals(stocktake=stocktake).loss_value == D("-38.25")


def test_totals_add_gains_and_losses_separately():
    rows = [
        (D("10"), D("8"), D("12.75"), None),  # −2 × 12.75 = −25.50
        (D("4"), D("5"), D("3.3333"), None),  # +1 × 3.3333 = 3.33
        (D("1"), D("1"), D("9"), None),  # no variance
        (D("6"), None, D("8"), None),  # not counted
        (D("0"), D("2"), D("0"), D("0.00")),  # posted: the move's value
        (D("3"), D("2"), D("5"), D("-4.99")),  # posted loss at what the ledger took
    ]

    totals = st.stocktake_totals_of(rows)

    assert (totals.lines, totals.counted, totals.uncounted) == (6, 5, 1)
    assert (totals.gain_quantity, totals.gain_value) == (D("3"), D("3.33"))
    assert (totals.loss_quantity, totals.loss_value) == (D("-3"), D("-30.49"))
    assert totals.net_value == D("-27.16")


def test_a_loss_of_reserved_stock_refuses_the_approval_and_posts_nothing(
    warehouse, stocked, keeper, parts_manager, admin_user
):
    # given 3 of ST-1's 10 units reserved and a count of 2 (a loss of 8 leaves 2 < 3 reserved)
    ledger.stock_reserve(actor=admin_user, warehouse=warehouse, part=stocked[0], quantity=3, reference="WO-7")
    stocktake = start(keeper, warehouse)
    count_all(keeper, stocktake, {"ST-1": 2, "ST-3": 7})
    st.stocktake_submit(actor=keeper, stocktake=stocktake)

    with pytest.raises(InsufficientStock) as refused:
        st.stocktake_approve(actor=parts_manager, stocktake=stocktake)

    assert refused.value.code == "insufficient_stock" and "ST-1" in str(refused.value.message)
    stocktake.refresh_from_db()
    assert stocktake.status == StocktakeStatus.SUBMITTED and stocktake.approved_by is None
    assert not StockMove.objects.filter(kind=MoveKind.STOCKTAKE).exists()
    assert balance_of(stocked[2], warehouse).on_hand == D("6")


def test_stock_that_moved_during_the_count_refuses_approval_until_recounted(
    warehouse, stocked, keeper, parts_manager, admin_user
):
    # given a count of every line, and 1 of ST-2 issued after the count began
    stocktake = start(keeper, warehouse)
    count_all(keeper, stocktake, {"ST-1": 10, "ST-2": 3, "ST-3": 6})
    ledger.stock_issue(actor=admin_user, warehouse=warehouse, part=stocked[1], quantity=1, reference="WO-9")
    st.stocktake_submit(actor=keeper, stocktake=stocktake)
    assert [line.part.code for line, _now in st.stocktake_stale_lines(stocktake=stocktake)] == ["ST-2"]

    # when the manager approves, it is refused naming the part, and nothing is posted
    with pytest.raises(Conflict) as refused:
        st.stocktake_approve(actor=parts_manager, stocktake=stocktake)
    assert refused.value.code == "stock_moved" and "ST-2" in str(refused.value.message)
    assert not StockMove.objects.filter(kind=MoveKind.STOCKTAKE).exists()

    # when it is reopened, ST-2 gets a fresh snapshot and must be counted again; the others keep their counts
    st.stocktake_reopen(actor=keeper, stocktake=stocktake)
    lines = lines_of(stocktake)
    assert (lines["ST-2"].system_quantity, lines["ST-2"].counted_quantity) == (D("3"), None)
    assert lines["ST-1"].counted_quantity == D("10")
    st.stocktake_count_set(actor=keeper, line=lines["ST-2"], counted="3")
    st.stocktake_submit(actor=keeper, stocktake=stocktake)
    st.stocktake_approve(actor=parts_manager, stocktake=stocktake)
    assert balance_of(stocked[1], warehouse).on_hand == D("3")
    assert not StockMove.objects.filter(kind=MoveKind.STOCKTAKE).exists()  # every count matched


def test_found_stock_is_taken_in_at_its_last_average_cost(warehouse, parts, stock, keeper, parts_manager, admin_user):
    # given ST-1 received at 20.00 and all issued: nothing on hand, average cost kept
    stock(warehouse, parts[0], 2, "20.00")
    ledger.stock_issue(actor=admin_user, warehouse=warehouse, part=parts[0], quantity=2, reference="WO-1")
    stocktake = start(keeper, warehouse)
    count_all(keeper, stocktake, {"ST-1": 1})
    st.stocktake_submit(actor=keeper, stocktake=stocktake)

    st.stocktake_approve(actor=parts_manager, stocktake=stocktake)

    balance = balance_of(parts[0], warehouse)
    assert (balance.on_hand, balance.value) == (D("1"), D("20.00"))
