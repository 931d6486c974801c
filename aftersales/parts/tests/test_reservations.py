"""Reservations: stock promised to a reference, issued against it, or released; never more than is available."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from aftersales.core.errors import Conflict
from aftersales.parts.choices import ReservationStatus
from aftersales.parts.models import StockBalance, StockDemand, StockMove, StockReservation
from aftersales.parts.services import ledger
from aftersales.parts.services.ledger import InsufficientStock

D = Decimal
API = "/api/v1"


def balance_of(part, warehouse) -> StockBalance:
    return StockBalance.objects.get(part=part, warehouse=warehouse)


def numbers(part, warehouse) -> tuple[Decimal, Decimal, Decimal]:
    balance = balance_of(part, warehouse)
    return balance.on_hand, balance.reserved, balance.available


def reserve(actor, warehouse, part, quantity, reference="WO-1/1") -> StockReservation:
    return ledger.stock_reserve(actor=actor, warehouse=warehouse, part=part, quantity=quantity, reference=reference)


@pytest.fixture
def stocked(warehouse, part, stock):
    """10 units of `part` in `warehouse` at 10.00, 30 more at 12.00 (average 11.50)."""
    stock(warehouse, part, 10, "10.00")
    stock(warehouse, part, 30, "12.00")
    return part


def test_a_reservation_lowers_what_is_available_not_what_is_on_hand(warehouse, stocked, keeper):
    reservation = reserve(keeper, warehouse, stocked, 6)

    assert numbers(stocked, warehouse) == (D("40"), D("6"), D("34"))
    assert (reservation.status, reservation.quantity, reservation.issued, reservation.remaining) == (
        ReservationStatus.OPEN,
        D("6"),
        D("0"),
        D("6"),
    )
    assert (reservation.reference, reservation.created_by) == ("WO-1/1", keeper)
    assert StockMove.objects.count() == 2, "a reservation posts no move"


def test_a_reservation_is_recorded_as_demand_met_at_once(warehouse, stocked, keeper):
    reserve(keeper, warehouse, stocked, 6, reference="WO-5/2")

    demand = StockDemand.objects.get()
    assert (demand.source, demand.reference, demand.requested, demand.filled, demand.open) == (
        "reservation",
        "WO-5/2",
        D("6"),
        D("6"),
        False,
    )


def test_issuing_against_a_reservation_takes_the_reserved_units_out_of_stock(warehouse, stocked, keeper):
    reservation = reserve(keeper, warehouse, stocked, 8)

    move = ledger.stock_issue_reserved(actor=keeper, reservation=reservation)

    assert (move.kind, move.quantity, move.value, move.reference) == ("issue", D("-8"), D("-92.00"), "WO-1/1")
    assert (move.document_type, move.document_id) == ("reservation", reservation.pk)
    assert numbers(stocked, warehouse) == (D("32"), D("0"), D("32"))
    reservation.refresh_from_db()
    assert (reservation.status, reservation.issued, reservation.closed_at is not None) == (
        ReservationStatus.ISSUED,
        D("8"),
        True,
    )


def test_a_partial_issue_keeps_the_rest_reserved(warehouse, stocked, keeper):
    reservation = reserve(keeper, warehouse, stocked, 8)

    ledger.stock_issue_reserved(actor=keeper, reservation=reservation, quantity="3")

    reservation.refresh_from_db()
    assert (reservation.status, reservation.issued, reservation.remaining) == (ReservationStatus.OPEN, D("3"), D("5"))
    assert numbers(stocked, warehouse) == (D("37"), D("5"), D("32"))


def test_issuing_the_rest_of_a_partly_issued_reservation_closes_it(warehouse, stocked, keeper):
    reservation = reserve(keeper, warehouse, stocked, 8)
    ledger.stock_issue_reserved(actor=keeper, reservation=reservation, quantity="3")

    move = ledger.stock_issue_reserved(actor=keeper, reservation=reservation)

    assert move.quantity == D("-5")
    reservation.refresh_from_db()
    assert (reservation.status, reservation.issued) == (ReservationStatus.ISSUED, D("8"))
    assert numbers(stocked, warehouse) == (D("32"), D("0"), D("32"))


def test_releasing_gives_back_what_was_not_issued(warehouse, stocked, keeper):
    reservation = reserve(keeper, warehouse, stocked, 8)
    ledger.stock_issue_reserved(actor=keeper, reservation=reservation, quantity="3")

    released = ledger.stock_reservation_release(actor=keeper, reservation=reservation)

    assert (released.status, released.issued, released.closed_at is not None) == (
        ReservationStatus.RELEASED,
        D("3"),
        True,
    )
    assert numbers(stocked, warehouse) == (D("37"), D("0"), D("37"))


def test_the_holder_may_issue_reserved_units_when_nothing_else_is_available(warehouse, part, stock, keeper):
    stock(warehouse, part, 5, "10.00")
    reservation = reserve(keeper, warehouse, part, 5)
    assert numbers(part, warehouse) == (D("5"), D("5"), D("0"))

    move = ledger.stock_issue_reserved(actor=keeper, reservation=reservation)

    assert (move.quantity, move.value) == (D("-5"), D("-50.00"))
    assert numbers(part, warehouse) == (D("0"), D("0"), D("0"))
    assert balance_of(part, warehouse).value == D("0")


def test_others_cannot_issue_what_is_reserved(warehouse, part, stock, keeper):
    stock(warehouse, part, 5, "10.00")
    reserve(keeper, warehouse, part, 4)

    with pytest.raises(InsufficientStock):
        ledger.stock_issue(actor=keeper, warehouse=warehouse, part=part, quantity=2)

    assert numbers(part, warehouse) == (D("5"), D("4"), D("1"))


def test_reserving_more_than_is_available_is_refused_and_leaves_a_shortage(warehouse, part, stock, keeper):
    stock(warehouse, part, 5, "10.00")
    reserve(keeper, warehouse, part, 3, reference="WO-1/1")

    with pytest.raises(InsufficientStock) as caught:
        reserve(keeper, warehouse, part, 3, reference="WO-2/1")

    assert (caught.value.available, caught.value.requested) == (D("2"), D("3"))
    assert numbers(part, warehouse) == (D("5"), D("3"), D("2"))
    assert list(StockReservation.objects.values_list("reference", flat=True)) == ["WO-1/1"]
    shortage = StockDemand.objects.get(reference="WO-2/1")
    assert (shortage.source, shortage.requested, shortage.filled, shortage.open) == (
        "reservation",
        D("3"),
        D("0"),
        True,
    )


def test_a_released_reservation_cannot_be_released_or_issued_again(warehouse, stocked, keeper):
    reservation = reserve(keeper, warehouse, stocked, 8)
    ledger.stock_reservation_release(actor=keeper, reservation=reservation)

    with pytest.raises(Conflict) as released_again:
        ledger.stock_reservation_release(actor=keeper, reservation=reservation)
    with pytest.raises(Conflict) as issued_after:
        ledger.stock_issue_reserved(actor=keeper, reservation=reservation)

    assert released_again.value.code == issued_after.value.code == "reservation_closed"
    assert numbers(stocked, warehouse) == (D("40"), D("0"), D("40"))


def test_a_fully_issued_reservation_cannot_be_released(warehouse, stocked, keeper):
    reservation = reserve(keeper, warehouse, stocked, 2)
    ledger.stock_issue_reserved(actor=keeper, reservation=reservation)

    with pytest.raises(Conflict):
        ledger.stock_reservation_release(actor=keeper, reservation=reservation)

    assert numbers(stocked, warehouse) == (D("38"), D("0"), D("38"))


def test_issuing_more_than_remains_reserved_is_refused_naming_quantity(warehouse, stocked, keeper):
    reservation = reserve(keeper, warehouse, stocked, 4)

    with pytest.raises(ValidationError) as caught:
        ledger.stock_issue_reserved(actor=keeper, reservation=reservation, quantity="4.01")

    assert list(caught.value.message_dict) == ["quantity"]
    assert numbers(stocked, warehouse) == (D("40"), D("4"), D("36"))


@pytest.mark.parametrize("reference", ["", "   "])
def test_a_reservation_needs_a_reference(warehouse, stocked, keeper, reference):
    with pytest.raises(ValidationError) as caught:
        reserve(keeper, warehouse, stocked, 1, reference=reference)

    assert list(caught.value.message_dict) == ["reference"]
    assert not StockReservation.objects.exists()


def test_reserving_needs_the_reserve_permission(warehouse, stocked, person):
    with pytest.raises(PermissionDenied):
        reserve(person("technician"), warehouse, stocked, 1)

    assert numbers(stocked, warehouse) == (D("40"), D("0"), D("40"))


def test_a_keeper_of_another_branch_cannot_touch_the_reservation(warehouse, stocked, keeper, person, other_branch):
    reservation = reserve(keeper, warehouse, stocked, 2)
    stranger = person("parts_keeper", branch=other_branch)

    with pytest.raises(Http404):
        ledger.stock_reservation_release(actor=stranger, reservation=reservation)
    with pytest.raises(Http404):
        ledger.stock_issue_reserved(actor=stranger, reservation=reservation)

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.OPEN


def test_reversing_an_issue_against_a_reservation_puts_the_units_back_as_available(warehouse, stocked, keeper):
    reservation = reserve(keeper, warehouse, stocked, 4)
    move = ledger.stock_issue_reserved(actor=keeper, reservation=reservation)

    ledger.stock_move_reverse(actor=keeper, move=move)

    assert numbers(stocked, warehouse) == (D("40"), D("0"), D("40"))
    assert balance_of(stocked, warehouse).value == D("460.00")


# -- through the API ---------------------------------------------------------------------------------------------------


def _post(client, path, body=None):
    return client.post(f"{API}{path}", body or {}, content_type="application/json")


def test_api_reserve_issue_release_round_trip(api, warehouse, stocked, keeper):
    client = api(keeper)

    created = _post(
        client,
        "/stock/reservations",
        {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": "5", "reference": "A"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], D(body["quantity"]), D(body["remaining"])) == ("open", D("5"), D("5"))
    assert isinstance(body["quantity"], str)

    issued = _post(client, f"/stock/reservations/{body['id']}/issue", {"quantity": "2"})
    assert issued.status_code == 201, issued.content
    assert (D(issued.json()["quantity"]), issued.json()["kind"]) == (D("-2"), "issue")

    released = _post(client, f"/stock/reservations/{body['id']}/release")
    assert released.status_code == 200, released.content
    assert (released.json()["status"], D(released.json()["issued"])) == ("released", D("2"))
    assert numbers(stocked, warehouse) == (D("38"), D("0"), D("38"))

    again = _post(client, f"/stock/reservations/{body['id']}/release")
    assert again.status_code == 409
    assert again.json()["code"] == "reservation_closed"
    assert set(again.json()) == {"code", "message", "fields"}


def test_api_reserving_more_than_available_answers_409_and_records_the_shortage(api, warehouse, part, stock, keeper):
    stock(warehouse, part, 2, "10.00")

    response = _post(
        api(keeper),
        "/stock/reservations",
        {"warehouse": warehouse.pk, "part": part.pk, "quantity": 3, "reference": "B"},
    )

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert not StockReservation.objects.exists()
    assert numbers(part, warehouse) == (D("2"), D("0"), D("2"))
    assert StockDemand.objects.filter(reference="B", filled=0, open=True).count() == 1


def test_api_reservation_list_shows_only_the_users_branch(
    api, warehouse, other_warehouse, stocked, stock, keeper, admin_user
):
    stock(other_warehouse, stocked, 5, "10.00")
    mine = reserve(keeper, warehouse, stocked, 1, reference="MINE")
    reserve(admin_user, other_warehouse, stocked, 1, reference="THEIRS")

    body = api(keeper).get(f"{API}/stock/reservations").json()

    assert (body["count"], [r["id"] for r in body["items"]]) == (1, [mine.pk])
