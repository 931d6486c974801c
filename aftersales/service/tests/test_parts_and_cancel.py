"""Parts of an order through the stock ledger: consent reserves, the parts keeper issues, cancelling gives it all back."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from aftersales.parts.choices import MoveKind, ReservationStatus
from aftersales.parts.models import StockBalance, StockDemand, StockMove, StockReservation
from aftersales.parts.tests.factories import PartFactory
from aftersales.service.choices import OrderStatus, PartState
from aftersales.service.services import orders
from aftersales.service.tests.conftest import act, stock_in

pytestmark = pytest.mark.django_db

S = OrderStatus
D = Decimal


def balance_of(shop, part=None) -> StockBalance:
    return StockBalance.objects.get(part=part or shop.part, warehouse=shop.warehouse)


def assert_ledger_matches_balances(shop) -> None:
    """Every balance is exactly the sum of its moves (quantity and value)."""
    for balance in StockBalance.objects.filter(warehouse=shop.warehouse):
        sums = StockMove.objects.filter(part=balance.part, warehouse=shop.warehouse).aggregate(
            quantity=Sum("quantity"), value=Sum("value")
        )
        assert (sums["quantity"], sums["value"]) == (balance.on_hand, balance.value), balance.part.code


def estimate_with(shop, part, quantity):
    order = shop.open()
    shop.add_labour(order)
    line = shop.add_part(order, part=part, quantity=quantity)
    orders.order_submit_estimate(actor=shop.advisor, order=order)
    return order, line


# -- reservation at consent --------------------------------------------------------------------------------------------


def test_consent_reserves_the_part_lines(shop):
    """Given an estimate with 3 oil filters (10 on hand), when the customer consents, then 3 are reserved for the line:
    the balance shows them reserved, still on hand, and the line points at its open reservation."""
    order, line = estimate_with(shop, shop.part, "3")
    response = act(shop.api(shop.advisor), order.pk, "approve", {"method": "in_person", "by": "车主本人"})
    assert response.status_code == 200, response.content

    balance = balance_of(shop)
    assert (balance.on_hand, balance.reserved, balance.available) == (D("10"), D("3"), D("7"))
    line.refresh_from_db()
    assert line.part_state == PartState.RESERVED
    reservation = line.reservation
    assert (reservation.quantity, reservation.status) == (D("3"), ReservationStatus.OPEN)
    assert reservation.reference == f"{order.number}/{line.pk}"
    assert response.json()["events"][-1]["payload"]["reserved"] == [line.pk]


def test_short_stock_leaves_the_line_unreserved_with_an_open_shortage(shop):
    """Given a part with 1 on hand and a line for 3, when the customer consents, then the order is approved, nothing
    is reserved, and the request stays recorded as an open shortage for purchasing."""
    scarce = PartFactory(code="BP-9", name="刹车片", retail_price=D("260.00"))
    stock_in(shop.admin, shop.warehouse, scarce, 1, "150.00")
    order, line = estimate_with(shop, scarce, "3")

    response = act(shop.api(shop.advisor), order.pk, "approve", {"method": "phone", "by": "车主本人"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    line.refresh_from_db()
    assert (line.part_state, line.reservation_id) == (PartState.NOT_RESERVED, None)
    balance = balance_of(shop, scarce)
    assert (balance.on_hand, balance.reserved) == (D("1"), D("0"))
    assert not StockReservation.objects.filter(part=scarce).exists()
    demand = StockDemand.objects.get(part=scarce)
    assert (demand.source, demand.requested, demand.filled, demand.open) == ("reservation", D("3"), D("0"), True)
    assert demand.reference == f"{order.number}/{line.pk}"


def test_a_short_line_is_issued_once_the_parts_arrive(shop):
    scarce = PartFactory(code="BP-9", retail_price=D("260.00"))
    stock_in(shop.admin, shop.warehouse, scarce, 1, "150.00")
    order, line = estimate_with(shop, scarce, "3")
    shop.approve(order)
    keeper = shop.api(shop.keeper)

    short = act(keeper, order.pk, "issue_parts")
    assert (short.status_code, short.json()["code"]) == (409, "insufficient_stock")
    assert balance_of(shop, scarce).on_hand == D("1")

    stock_in(shop.admin, shop.warehouse, scarce, 5, "150.00")
    issued = act(keeper, order.pk, "issue_parts")
    assert issued.status_code == 200, issued.content
    line.refresh_from_db()
    assert line.part_state == PartState.ISSUED
    assert balance_of(shop, scarce).on_hand == D("3")


# -- issue by the parts keeper -----------------------------------------------------------------------------------------------


def test_the_parts_keeper_issues_against_the_reservation(shop):
    """Given an approved order with 2 filters reserved, when the parts keeper issues, then 2 leave the shelf against
    the reservation (reserved back to 0, the reservation closed as issued) at the average cost, and the line is
    issued; an advisor may not issue."""
    order, line = estimate_with(shop, shop.part, "2")
    shop.approve(order)
    assert act(shop.api(shop.advisor), order.pk, "issue_parts").status_code == 403

    response = act(shop.api(shop.keeper), order.pk, "issue_parts")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    line.refresh_from_db()
    assert line.part_state == PartState.ISSUED
    move = line.issue_move
    assert (move.kind, move.quantity, move.value) == (MoveKind.ISSUE, D("-2"), D("-60.00"))
    assert (move.document_type, move.document_id) == ("reservation", line.reservation_id)
    line.reservation.refresh_from_db()
    assert line.reservation.status == ReservationStatus.ISSUED
    balance = balance_of(shop)
    assert (balance.on_hand, balance.reserved) == (D("8"), D("0"))
    assert_ledger_matches_balances(shop)

    again = act(shop.api(shop.keeper), order.pk, "issue_parts")
    assert (again.status_code, again.json()["code"]) == (409, "nothing_to_issue")


# -- cancelling ---------------------------------------------------------------------------------------------------------------


def test_cancelling_releases_reservations(shop):
    walked = shop.walk(S.DISPATCHED, issue=False)
    assert balance_of(shop).reserved == D("1")

    response = act(shop.api(shop.advisor), walked.order.pk, "cancel", {"reason": "客户不修了"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    balance = balance_of(shop)
    assert (balance.on_hand, balance.reserved) == (D("10"), D("0"))
    line = walked.parts[0]
    line.refresh_from_db()
    assert line.part_state == PartState.NOT_RESERVED
    line.reservation.refresh_from_db()
    assert line.reservation.status == ReservationStatus.RELEASED
    order = walked.fresh()
    assert order.cancel_reason == "客户不修了"
    assert response.json()["events"][-1]["payload"]["released"] == [line.pk]


def test_cancelling_returns_issued_parts_at_the_value_they_left_with(shop):
    """Given a filter issued at 30.00 and later stock received at 42.00 (the average moves), when the order is
    cancelled, then the filter comes back on the shelf at 30.00 (a return move, not at today's average), and every
    balance is still the sum of its moves."""
    walked = shop.walk(S.IN_PROGRESS)
    line = walked.parts[0]
    line.refresh_from_db()
    assert line.issue_move.value == D("-30.00")
    stock_in(shop.admin, shop.warehouse, shop.part, 9, "42.00")
    before = balance_of(shop)
    assert (before.on_hand, before.value) == (D("18"), D("648.00"))

    response = act(shop.api(shop.advisor), walked.order.pk, "cancel", {"reason": "客户取消维修"})
    assert response.status_code == 200, response.content
    after = balance_of(shop)
    assert (after.on_hand, after.reserved, after.value) == (D("19"), D("0"), D("678.00"))
    returned = StockMove.objects.filter(kind=MoveKind.RETURN, part=shop.part).get()
    assert (returned.quantity, returned.value) == (D("1"), D("30.00"))
    assert returned.reference == f"{walked.order.number}/{line.pk}"
    line.refresh_from_db()
    assert line.part_state == PartState.RETURNED
    assert_ledger_matches_balances(shop)


def test_cancelling_gives_back_each_part_line_as_it_stands(shop):
    """Given an order with a filter issued, then a plug and a short brake pad added and consented (the plug reserved,
    the pad short), when the order is cancelled, then the filter comes back, the plug's reservation is released, the
    short pad is left as it was, and the ledger still adds up."""
    scarce = PartFactory(code="BP-9", retail_price=D("260.00"))
    plug = PartFactory(code="SP-1", retail_price=D("45.00"))
    stock_in(shop.admin, shop.warehouse, plug, 4, "20.00")
    order, filter_line = estimate_with(shop, shop.part, "2")
    shop.approve(order)
    orders.order_issue_parts(actor=shop.keeper, order=order)
    plug_line = shop.add_part(order, part=plug, quantity="4")
    pad_line = shop.add_part(order, part=scarce, quantity="1")
    shop.approve(order)
    plug_line.refresh_from_db()
    pad_line.refresh_from_db()
    assert (plug_line.part_state, pad_line.part_state) == (PartState.RESERVED, PartState.NOT_RESERVED)
    assert balance_of(shop).on_hand == D("8")

    orders.order_cancel(actor=shop.advisor, order=order, reason="客户取消")
    assert (balance_of(shop).on_hand, balance_of(shop).reserved) == (D("10"), D("0"))
    assert (balance_of(shop, plug).on_hand, balance_of(shop, plug).reserved) == (D("4"), D("0"))
    states = dict(type(filter_line).objects.filter(order=order, kind="part").values_list("pk", "part_state"))
    assert states == {
        filter_line.pk: PartState.RETURNED,
        plug_line.pk: PartState.NOT_RESERVED,
        pad_line.pk: PartState.NOT_RESERVED,
    }
    assert_ledger_matches_balances(shop)


def test_a_settled_order_cannot_be_cancelled_and_keeps_its_parts_issued(in_english, shop):
    walked = shop.walk(S.SETTLED)
    response = act(shop.api(shop.advisor), walked.order.pk, "cancel", {"reason": "退款"})
    assert (response.status_code, response.json()["code"]) == (409, "invalid_status")
    assert "Settled" in response.json()["message"]
    assert balance_of(shop).on_hand == D("9")
    assert not StockMove.objects.filter(kind=MoveKind.RETURN).exists()


def test_cancelling_needs_a_reason(shop):
    walked = shop.walk(S.APPROVED, issue=False)
    response = act(shop.api(shop.advisor), walked.order.pk, "cancel", {"reason": "  "})
    assert response.status_code == 422
    assert "reason" in response.json()["fields"]
    assert balance_of(shop).reserved == D("1")
    assert walked.fresh().status == S.APPROVED
