"""The stock ledger at service level: moving-average cost, no negative stock, reversal instead of edit, demand rows.

Every scenario posts through the services (never by writing rows) and checks both the balance and the
moves, and that a refused request changes nothing at all.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.http import Http404

from aftersales.core.errors import Conflict
from aftersales.org import services as org_services
from aftersales.parts.choices import DemandSource, MoveKind
from aftersales.parts.models import StockBalance, StockDemand, StockMove, StockReservation, Warehouse
from aftersales.parts.services import ledger
from aftersales.parts.services.ledger import InsufficientStock, MoveRequest
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive
from aftersales.parts.tests.factories import PartFactory, WarehouseFactory

D = Decimal


def balance_of(part, warehouse) -> StockBalance:
    return StockBalance.objects.get(part=part, warehouse=warehouse)


def ledger_sums(part, warehouse) -> tuple[Decimal, Decimal]:
    """Σ quantity and Σ value of the moves, added in Python (SQLite's SUM of decimals goes through floats)."""
    rows = StockMove.objects.filter(part=part, warehouse=warehouse).values_list("quantity", "value")
    return sum((q for q, _v in rows), D("0")), sum((v for _q, v in rows), D("0"))


def state() -> tuple:
    """Everything the ledger writes, to show that a refusal changed nothing."""
    balances = sorted(
        StockBalance.objects.values_list("part_id", "warehouse_id", "on_hand", "reserved", "value", "average_cost")
    )
    moves = sorted(StockMove.objects.values_list("id", "quantity", "value", "on_hand_after", "value_after"))
    reservations = sorted(StockReservation.objects.values_list("id", "quantity", "issued", "status"))
    return balances, moves, reservations


def assert_ledger_matches_balances() -> None:
    balances = list(StockBalance.objects.all())
    assert balances
    for balance in balances:
        assert ledger_sums(balance.part_id, balance.warehouse_id) == (balance.on_hand, balance.value), balance


@pytest.fixture
def second_warehouse(branch):
    return WarehouseFactory(branch=branch, code="BJ01-B", name="北京二库")


def issue(actor, warehouse, part, quantity, reference="WO-1"):
    return ledger.stock_issue(actor=actor, warehouse=warehouse, part=part, quantity=quantity, reference=reference)


# -- moving-average cost -------------------------------------------------------------------------------------------


def test_receipts_at_different_costs_average_by_quantity(warehouse, part, stock):
    stock(warehouse, part, 10, "10.00")
    stock(warehouse, part, 30, "12.00")

    balance = balance_of(part, warehouse)
    assert (balance.on_hand, balance.value, balance.average_cost) == (D("40"), D("460.00"), D("11.5"))


def test_an_issue_takes_value_out_at_the_average_cost(warehouse, part, stock, keeper):
    stock(warehouse, part, 10, "10.00")
    stock(warehouse, part, 30, "12.00")

    move = issue(keeper, warehouse, part, 8)

    move.refresh_from_db()
    assert (move.kind, move.quantity, move.value, move.unit_cost) == ("issue", D("-8"), D("-92.00"), D("11.5"))
    assert (move.on_hand_after, move.value_after) == (D("32"), D("368.00"))
    balance = balance_of(part, warehouse)
    assert (balance.on_hand, balance.value, balance.average_cost) == (D("32"), D("368.00"), D("11.5"))
    assert move.created_by == keeper


def test_the_average_keeps_four_decimals_and_issues_round_half_up_to_the_fen(warehouse, part, stock, keeper):
    """3 @ 10.00 + 1 @ 10.01 = 40.01 for 4 units: 10.0025 each; one unit out is 10.0025 → 10.00."""
    stock(warehouse, part, 3, "10.00")
    stock(warehouse, part, 1, "10.01")
    assert balance_of(part, warehouse).average_cost == D("10.0025")

    first = issue(keeper, warehouse, part, 1)
    second = issue(keeper, warehouse, part, 2)  # 2 × 30.01 / 3 = 20.0066… → 20.01
    last = issue(keeper, warehouse, part, 1)  # the last unit takes whatever is left

    assert [first.value, second.value, last.value] == [D("-10.00"), D("-20.01"), D("-10.00")]
    balance = balance_of(part, warehouse)
    assert (balance.on_hand, balance.value) == (D("0"), D("0"))
    assert ledger_sums(part, warehouse) == (D("0"), D("0"))


def test_half_a_fen_rounds_up_not_to_even(warehouse, part, stock, keeper):
    """8 units worth 1.00: one unit is 0.125, which is 0.13 half up (banker's rounding would say 0.12)."""
    stock(warehouse, part, 8, "0.125")

    move = issue(keeper, warehouse, part, 1)

    assert move.value == D("-0.13")
    assert balance_of(part, warehouse).value == D("0.87")


def test_the_last_unit_out_takes_the_remaining_value_so_nothing_on_hand_is_worth_nothing(
    warehouse, part, stock, keeper
):
    """3 units for 10.00 (3.3333 each): 3.33 + 3.34 (6.67 / 2 = 3.335 half up) + the last 3.33 = 10.00."""
    stock(warehouse, part, 3, "3.3333")
    assert balance_of(part, warehouse).value == D("10.00")

    values = [issue(keeper, warehouse, part, 1).value for _ in range(3)]

    assert values == [D("-3.33"), D("-3.34"), D("-3.33")]
    balance = balance_of(part, warehouse)
    assert (balance.on_hand, balance.value) == (D("0"), D("0"))
    assert balance.average_cost == D("3.33"), "the last average is kept to value later counts and returns"


def test_a_receipt_into_an_empty_warehouse_starts_a_new_average(warehouse, part, stock, keeper):
    stock(warehouse, part, 2, "10.00")
    issue(keeper, warehouse, part, 2)

    stock(warehouse, part, 4, "12.50")

    balance = balance_of(part, warehouse)
    assert (balance.on_hand, balance.value, balance.average_cost) == (D("4"), D("50.00"), D("12.5"))


def test_a_receipt_of_several_lines_posts_one_move_per_line_under_one_number(warehouse, part, stock, admin_user):
    other = PartFactory(code="AF-002")

    receipt = stock_receive(
        actor=admin_user,
        warehouse=warehouse,
        lines=[
            ReceiptLineIn(part=part, quantity="2", unit_cost="10.00"),
            ReceiptLineIn(part=other, quantity="1.5", unit_cost="33.3333"),
            ReceiptLineIn(part=part, quantity="1", unit_cost="13.00"),
        ],
    )

    moves = list(StockMove.objects.filter(document_type="receipt", document_id=receipt.pk).order_by("id"))
    assert [(m.part_id, m.quantity, m.value) for m in moves] == [
        (part.pk, D("2"), D("20.00")),
        (other.pk, D("1.5"), D("50.00")),
        (part.pk, D("1"), D("13.00")),
    ]
    assert {m.reference for m in moves} == {receipt.number}
    assert receipt.number.startswith("GR-BJ01-")
    assert [line.move_id for line in receipt.lines.order_by("id")] == [m.pk for m in moves]
    assert (balance_of(part, warehouse).on_hand, balance_of(part, warehouse).value) == (D("3"), D("33.00"))


def test_a_receipt_with_a_bad_line_names_the_line_and_posts_nothing(warehouse, part, admin_user):
    with pytest.raises(ValidationError) as caught:
        stock_receive(
            actor=admin_user,
            warehouse=warehouse,
            lines=[
                ReceiptLineIn(part=part, quantity="1", unit_cost="10"),
                ReceiptLineIn(part=part, quantity="1.005", unit_cost="-1"),
            ],
        )

    assert set(caught.value.message_dict) == {"lines.1.quantity", "lines.1.unit_cost"}
    assert not StockMove.objects.exists()


def test_a_receipt_without_lines_is_refused(warehouse, admin_user):
    with pytest.raises(ValidationError) as caught:
        stock_receive(actor=admin_user, warehouse=warehouse, lines=[])

    assert list(caught.value.message_dict) == ["lines"]


# -- no negative stock -----------------------------------------------------------------------------------------------


def test_an_issue_beyond_what_is_on_hand_is_refused_and_changes_nothing(warehouse, part, stock, keeper):
    stock(warehouse, part, 5, "10.00")
    before = state()

    with pytest.raises(InsufficientStock) as caught:
        issue(keeper, warehouse, part, "5.01")

    assert caught.value.code == "insufficient_stock"
    assert (caught.value.available, caught.value.requested) == (D("5"), D("5.01"))
    assert "OF-001" in str(caught.value.message)
    assert state() == before


def test_an_issue_of_a_part_never_stocked_is_refused(warehouse, part, keeper):
    with pytest.raises(InsufficientStock):
        issue(keeper, warehouse, part, 1)

    assert not StockMove.objects.exists()


def test_an_issue_of_units_reserved_for_someone_else_is_refused(warehouse, part, stock, keeper):
    stock(warehouse, part, 10, "10.00")
    ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=part, quantity=8, reference="WO-7/1")
    before = state()

    with pytest.raises(InsufficientStock) as caught:
        issue(keeper, warehouse, part, 3)

    assert caught.value.available == D("2")
    assert state() == before
    assert issue(keeper, warehouse, part, 2).quantity == D("-2")


def test_a_transfer_beyond_what_is_available_is_refused_and_changes_nothing(
    warehouse, second_warehouse, part, stock, keeper
):
    stock(warehouse, part, 3, "10.00")
    before = state()

    with pytest.raises(InsufficientStock):
        ledger.stock_transfer(
            actor=keeper, source=warehouse, destination=second_warehouse, part=part, quantity=4, reference="TR-X"
        )

    assert state() == before
    assert not StockBalance.objects.filter(warehouse=second_warehouse, on_hand__gt=0).exists()


def test_an_adjustment_down_beyond_what_is_on_hand_is_refused(warehouse, part, stock, keeper):
    stock(warehouse, part, 3, "10.00")
    before = state()

    with pytest.raises(InsufficientStock):
        ledger.stock_adjust(actor=keeper, warehouse=warehouse, part=part, quantity="-3.5", reason="破损")

    assert state() == before


def test_reversing_a_receipt_whose_units_were_issued_is_refused(warehouse, part, stock, keeper):
    receipt = stock(warehouse, part, 5, "10.00")
    issue(keeper, warehouse, part, 2)
    before = state()

    with pytest.raises(InsufficientStock):
        ledger.stock_move_reverse(actor=keeper, move=receipt.lines.get().move)

    assert state() == before


def test_a_post_of_several_moves_is_all_or_nothing(warehouse, part, stock, admin_user):
    other = PartFactory(code="AF-002")
    stock(warehouse, part, 5, "10.00")
    stock(warehouse, other, 1, "10.00")
    before = state()

    with pytest.raises(InsufficientStock):
        ledger.stock_post(
            actor=admin_user,
            requests=[
                MoveRequest(part_id=part.pk, warehouse_id=warehouse.pk, kind=MoveKind.ISSUE, quantity=D("-5")),
                MoveRequest(part_id=other.pk, warehouse_id=warehouse.pk, kind=MoveKind.ISSUE, quantity=D("-2")),
            ],
        )

    assert state() == before


def test_the_database_refuses_a_negative_balance_even_written_directly(warehouse, part, stock):
    stock(warehouse, part, 2, "10.00")
    rows = StockBalance.objects.filter(part=part, warehouse=warehouse)

    for change in ({"on_hand": D("-1")}, {"reserved": D("-1")}, {"reserved": D("3")}, {"value": D("-0.01")}):
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(**change)

    assert (balance_of(part, warehouse).on_hand, balance_of(part, warehouse).reserved) == (D("2"), D("0"))


def test_the_database_refuses_taking_a_balance_below_zero_with_an_expression(warehouse, part, stock):
    stock(warehouse, part, 2, "10.00")

    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(part=part, warehouse=warehouse).update(on_hand=F("on_hand") - 3)


def test_stock_the_columns_cannot_hold_is_refused_as_input_not_a_server_error(warehouse, part, stock, admin_user):
    stock(warehouse, part, "9999999999.99", "0")
    before = state()

    for quantity, cost in (("0.01", "0"), ("1", "9999999999.9999")):
        with pytest.raises(ValidationError) as caught:
            stock(warehouse, part, quantity, cost)
        assert list(caught.value.message_dict) == ["quantity"]

    assert state() == before


def test_a_post_rewrites_only_the_balances_it_moves(warehouse, second_warehouse, part, stock, admin_user):
    """Locking asks parts × warehouses, so it may take neighbours; they must not be written."""
    other = PartFactory(code="AF-002")
    stock(warehouse, part, 1, "1")
    stock(second_warehouse, other, 1, "1")
    stock(warehouse, other, 1, "1")
    neighbour = StockBalance.objects.filter(warehouse=warehouse, part=other).values_list("updated_at", flat=True)
    stamp = neighbour.get()

    ledger.stock_post(
        actor=admin_user,
        requests=[
            MoveRequest(
                part_id=part.pk, warehouse_id=warehouse.pk, kind=MoveKind.RECEIPT, quantity=D("1"), unit_cost=1
            ),
            MoveRequest(
                part_id=other.pk, warehouse_id=second_warehouse.pk, kind=MoveKind.RECEIPT, quantity=D("1"), unit_cost=1
            ),
        ],
    )

    assert neighbour.get() == stamp
    assert (balance_of(part, warehouse).on_hand, balance_of(other, second_warehouse).on_hand) == (D("2"), D("2"))


# -- input ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["0", "-1", "1.005", "abc", "NaN", "Infinity", "10000000000"])
def test_an_issue_of_a_bad_quantity_is_refused_naming_quantity(warehouse, part, stock, keeper, quantity):
    stock(warehouse, part, 5, "10.00")

    with pytest.raises(ValidationError) as caught:
        issue(keeper, warehouse, part, quantity)

    assert list(caught.value.message_dict) == ["quantity"]
    assert StockMove.objects.count() == 1


def test_a_quantity_with_trailing_zeros_beyond_two_decimals_is_accepted(warehouse, part, stock, keeper):
    stock(warehouse, part, 5, "10.00")

    assert issue(keeper, warehouse, part, "1.500").quantity == D("-1.50")


def test_an_adjustment_needs_a_reason(warehouse, part, stock, keeper):
    stock(warehouse, part, 5, "10.00")

    with pytest.raises(ValidationError) as caught:
        ledger.stock_adjust(actor=keeper, warehouse=warehouse, part=part, quantity="-1", reason="  ")

    assert list(caught.value.message_dict) == ["reason"]


def test_stock_cannot_be_adjusted_into_a_closed_warehouse(second_warehouse, part, keeper):
    second_warehouse.active = False
    second_warehouse.save(update_fields=["active"])

    with pytest.raises(ValidationError) as caught:
        ledger.stock_adjust(actor=keeper, warehouse=second_warehouse, part=part, quantity="1", reason="盘盈")

    assert list(caught.value.message_dict) == ["warehouse"]
    assert not StockMove.objects.exists()


def test_a_transfer_into_the_same_warehouse_is_refused(warehouse, part, stock, keeper):
    stock(warehouse, part, 5, "10.00")

    with pytest.raises(ValidationError) as caught:
        ledger.stock_transfer(actor=keeper, source=warehouse, destination=warehouse, part=part, quantity=1)

    assert list(caught.value.message_dict) == ["destination"]


# -- who may post ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["technician", "service_advisor", "finance", "regional_manager"])
def test_roles_without_the_issue_permission_cannot_issue(warehouse, part, stock, person, role):
    stock(warehouse, part, 5, "10.00")

    with pytest.raises(PermissionDenied):
        issue(person(role), warehouse, part, 1)

    assert balance_of(part, warehouse).on_hand == D("5")


def test_a_keeper_cannot_post_into_another_branchs_warehouse(other_warehouse, part, stock, keeper):
    stock(other_warehouse, part, 5, "10.00")
    before = state()

    with pytest.raises(Http404):
        issue(keeper, other_warehouse, part, 1)
    with pytest.raises(Http404):
        stock_receive(
            actor=keeper, warehouse=other_warehouse, lines=[ReceiptLineIn(part=part, quantity=1, unit_cost=1)]
        )

    assert state() == before


def test_a_keeper_cannot_transfer_into_another_branchs_warehouse(warehouse, other_warehouse, part, stock, keeper):
    stock(warehouse, part, 5, "10.00")

    with pytest.raises(Http404):
        ledger.stock_transfer(actor=keeper, source=warehouse, destination=other_warehouse, part=part, quantity=1)

    assert balance_of(part, warehouse).on_hand == D("5")


# -- reversal instead of edit -------------------------------------------------------------------------------------------


def test_reversing_an_issue_posts_the_opposite_move_and_leaves_the_original_alone(warehouse, part, stock, keeper):
    stock(warehouse, part, 10, "10.00")
    stock(warehouse, part, 30, "12.00")
    original = issue(keeper, warehouse, part, 8, reference="WO-42")
    before = StockMove.objects.filter(pk=original.pk).values().get()

    reversal = ledger.stock_move_reverse(actor=keeper, move=original)

    reversal.refresh_from_db()
    assert (reversal.kind, reversal.quantity, reversal.value) == ("issue", D("8"), D("92.00"))
    assert (reversal.reverses_id, reversal.reference) == (original.pk, "WO-42")
    assert StockMove.objects.filter(pk=original.pk).values().get() == before
    balance = balance_of(part, warehouse)
    assert (balance.on_hand, balance.value, balance.average_cost) == (D("40"), D("460.00"), D("11.5"))


def test_reversing_a_receipt_takes_out_its_units_at_their_recorded_value(warehouse, part, stock, keeper):
    stock(warehouse, part, 10, "10.00")
    second = stock(warehouse, part, 10, "12.00").lines.get().move

    reversal = ledger.stock_move_reverse(actor=keeper, move=second)

    assert (reversal.quantity, reversal.value) == (D("-10"), D("-120.00"))
    balance = balance_of(part, warehouse)
    assert (balance.on_hand, balance.value, balance.average_cost) == (D("10"), D("100.00"), D("10"))


def test_a_move_is_reversed_only_once(warehouse, part, stock, keeper):
    stock(warehouse, part, 10, "10.00")
    original = issue(keeper, warehouse, part, 2)
    ledger.stock_move_reverse(actor=keeper, move=original)
    before = state()

    with pytest.raises(Conflict) as caught:
        ledger.stock_move_reverse(actor=keeper, move=original)

    assert caught.value.code == "already_reversed"
    assert state() == before


def test_a_reversal_is_not_itself_reversible(warehouse, part, stock, keeper):
    stock(warehouse, part, 10, "10.00")
    reversal = ledger.stock_move_reverse(actor=keeper, move=issue(keeper, warehouse, part, 2))
    before = state()

    with pytest.raises(Conflict) as caught:
        ledger.stock_move_reverse(actor=keeper, move=reversal)

    assert caught.value.code == "already_reversal"
    assert state() == before


def test_reversing_needs_the_adjust_permission(warehouse, part, stock, person):
    stock(warehouse, part, 10, "10.00")
    move = StockMove.objects.get()

    with pytest.raises(PermissionDenied):
        ledger.stock_move_reverse(actor=person("service_advisor"), move=move)

    assert not StockMove.objects.filter(reverses=move).exists()


def test_a_keeper_cannot_reverse_another_branchs_move(other_warehouse, part, stock, keeper):
    move = stock(other_warehouse, part, 10, "10.00").lines.get().move

    with pytest.raises(Http404):
        ledger.stock_move_reverse(actor=keeper, move=move)

    assert StockMove.objects.count() == 1


# -- transfers, returns, adjustments ----------------------------------------------------------------------------------


def test_a_transfer_carries_value_at_the_source_average_cost(warehouse, second_warehouse, part, stock, keeper):
    stock(warehouse, part, 10, "10.00")
    stock(warehouse, part, 10, "12.00")
    stock(second_warehouse, part, 5, "20.00")

    out_move, in_move = ledger.stock_transfer(
        actor=keeper, source=warehouse, destination=second_warehouse, part=part, quantity=5, reference="TR-1"
    )

    assert (out_move.kind, out_move.quantity, out_move.value) == ("transfer_out", D("-5"), D("-55.00"))
    assert (in_move.kind, in_move.quantity, in_move.value) == ("transfer_in", D("5"), D("55.00"))
    assert out_move.reference == in_move.reference == "TR-1"
    source, destination = balance_of(part, warehouse), balance_of(part, second_warehouse)
    assert (source.on_hand, source.value, source.average_cost) == (D("15"), D("165.00"), D("11"))
    assert (destination.on_hand, destination.value, destination.average_cost) == (D("10"), D("155.00"), D("15.5"))


def test_a_transfer_of_everything_moves_all_the_value(warehouse, second_warehouse, part, stock, keeper):
    stock(warehouse, part, 3, "3.3333")

    out_move, in_move = ledger.stock_transfer(
        actor=keeper, source=warehouse, destination=second_warehouse, part=part, quantity=3
    )

    assert (out_move.value, in_move.value) == (D("-10.00"), D("10.00"))
    assert balance_of(part, warehouse).value == D("0")
    assert out_move.reference.startswith("TR-BJ01-")


def test_a_transfer_between_branches_by_a_regional_superuser_keeps_the_total_value(
    warehouse, other_warehouse, part, stock, admin_user
):
    stock(warehouse, part, 4, "7.77")

    ledger.stock_transfer(actor=admin_user, source=warehouse, destination=other_warehouse, part=part, quantity=1)

    total = StockBalance.objects.filter(part=part).aggregate(v=Sum("value"), q=Sum("on_hand"))
    assert (total["q"], total["v"]) == (D("4"), D("31.08"))
    assert balance_of(part, other_warehouse).value == D("7.77")


def test_a_return_at_a_given_cost_moves_the_average(warehouse, part, stock, keeper):
    stock(warehouse, part, 10, "10.00")

    move = ledger.stock_return(actor=keeper, warehouse=warehouse, part=part, quantity=2, unit_cost="16.00")

    assert (move.kind, move.quantity, move.value) == ("return", D("2"), D("32.00"))
    balance = balance_of(part, warehouse)
    assert (balance.on_hand, balance.value, balance.average_cost) == (D("12"), D("132.00"), D("11"))


def test_a_return_without_a_cost_comes_back_at_the_current_average(warehouse, part, stock, keeper):
    stock(warehouse, part, 10, "10.00")
    stock(warehouse, part, 30, "12.00")
    issue(keeper, warehouse, part, 8)

    move = ledger.stock_return(actor=keeper, warehouse=warehouse, part=part, quantity=3, reference="WO-1")

    assert (move.value, move.unit_cost) == (D("34.50"), D("11.5"))
    assert balance_of(part, warehouse).average_cost == D("11.5")


def test_a_return_into_an_emptied_warehouse_uses_the_last_average(warehouse, part, stock, keeper):
    stock(warehouse, part, 2, "8.40")
    issue(keeper, warehouse, part, 2)

    move = ledger.stock_return(actor=keeper, warehouse=warehouse, part=part, quantity=1)

    assert move.value == D("8.40")


def test_an_adjustment_up_without_a_cost_is_valued_at_the_average(warehouse, part, stock, keeper):
    stock(warehouse, part, 4, "12.50")

    gain = ledger.stock_adjust(actor=keeper, warehouse=warehouse, part=part, quantity="1", reason="盘盈")
    loss = ledger.stock_adjust(actor=keeper, warehouse=warehouse, part=part, quantity="-2", reason="破损")

    assert (gain.kind, gain.value, loss.value) == ("adjustment", D("12.50"), D("-25.00"))
    assert balance_of(part, warehouse).value == D("37.50")


# -- the ledger adds up ----------------------------------------------------------------------------------------------


def test_the_ledger_sums_equal_the_balances_after_a_mixed_sequence(
    warehouse, second_warehouse, part, stock, keeper, admin_user
):
    other = PartFactory(code="AF-002")
    stock(warehouse, part, 3, "10.00")
    stock(warehouse, part, 1, "10.01")
    stock(warehouse, other, 7, "3.3333")
    issue(keeper, warehouse, part, 1)
    issue(keeper, warehouse, other, "2.5")
    ledger.stock_transfer(actor=keeper, source=warehouse, destination=second_warehouse, part=part, quantity=2)
    ledger.stock_return(actor=keeper, warehouse=warehouse, part=other, quantity="0.5", unit_cost="4")
    reservation = ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=other, quantity=2, reference="WO-9")
    ledger.stock_issue_reserved(actor=keeper, reservation=reservation, quantity=1)
    ledger.stock_adjust(actor=keeper, warehouse=second_warehouse, part=part, quantity="-1", reason="破损")
    receipt_move = stock(second_warehouse, part, 6, "9.99").lines.get().move
    ledger.stock_move_reverse(actor=keeper, move=receipt_move)
    with pytest.raises(InsufficientStock):
        issue(keeper, warehouse, other, 10)
    issue(keeper, second_warehouse, part, 1)

    assert_ledger_matches_balances()
    for move in StockMove.objects.order_by("id"):
        previous = (
            StockMove.objects.filter(part=move.part_id, warehouse=move.warehouse_id, id__lt=move.id)
            .order_by("-id")
            .first()
        )
        start = (previous.on_hand_after, previous.value_after) if previous else (D("0"), D("0"))
        assert (move.on_hand_after, move.value_after) == (start[0] + move.quantity, start[1] + move.value)
    assert balance_of(part, second_warehouse).on_hand == D("0")
    assert balance_of(part, second_warehouse).value == D("0")


# -- demand (fill rate) ------------------------------------------------------------------------------------------------


def test_an_issue_met_in_full_is_recorded_as_filled_demand(warehouse, part, stock, keeper):
    stock(warehouse, part, 5, "10.00")

    issue(keeper, warehouse, part, 2, reference="WO-1")

    demand = StockDemand.objects.get()
    assert (demand.source, demand.reference, demand.requested, demand.filled, demand.open) == (
        DemandSource.ISSUE,
        "WO-1",
        D("2"),
        D("2"),
        False,
    )


def test_a_refused_issue_and_reservation_leave_open_shortages(warehouse, part, stock, keeper):
    stock(warehouse, part, 1, "10.00")

    with pytest.raises(InsufficientStock):
        issue(keeper, warehouse, part, 3, reference="WO-2")
    with pytest.raises(InsufficientStock):
        ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=part, quantity=2, reference="WO-3/1")

    rows = list(StockDemand.objects.order_by("id").values_list("source", "reference", "requested", "filled", "open"))
    assert rows == [("issue", "WO-2", D("3"), D("0"), True), ("reservation", "WO-3/1", D("2"), D("0"), True)]
    assert balance_of(part, warehouse).on_hand == D("1")


def test_a_receipt_closes_the_open_shortages_of_its_parts_in_its_warehouse(
    warehouse, second_warehouse, part, stock, keeper
):
    other = PartFactory(code="AF-002")
    for target, what in ((warehouse, part), (warehouse, other), (second_warehouse, part)):
        with pytest.raises(InsufficientStock):
            issue(keeper, target, what, 1)

    stock(warehouse, part, 5, "10.00")

    still_open = set(StockDemand.objects.filter(open=True).values_list("warehouse_id", "part_id"))
    assert still_open == {(warehouse.pk, other.pk), (second_warehouse.pk, part.pk)}
    closed = StockDemand.objects.get(warehouse=warehouse, part=part)
    assert closed.closed_at is not None


def test_a_refused_request_by_someone_without_permission_records_no_demand(warehouse, part, person):
    with pytest.raises(PermissionDenied):
        issue(person("technician"), warehouse, part, 1)

    assert not StockDemand.objects.exists()


# -- branches get their warehouse ------------------------------------------------------------------------------------


def test_a_branch_made_through_the_service_has_a_default_warehouse(person, region):
    regional = person("regional_manager", branch=region)

    new = org_services.branch_create(actor=regional, code="gz01", name="广州天河店", kind="store", parent=region)

    warehouse = Warehouse.objects.get(branch=new)
    assert (warehouse.is_default, warehouse.code, warehouse.active) == (True, "GZ01", True)


def test_a_default_warehouse_code_taken_by_another_warehouse_gets_a_suffix(person, region, branch):
    WarehouseFactory(branch=branch, code="GZ01")
    regional = person("regional_manager", branch=region)

    new = org_services.branch_create(actor=regional, code="GZ01", name="广州天河店", kind="store", parent=region)

    assert Warehouse.objects.get(branch=new, is_default=True).code == "GZ01-2"
