"""Purchasing: purchase orders, their transition table, partial receipts at the received cost, receipt reversal,
suggested orders with known answers, and the purchasing API."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction, AuditEvent
from aftersales.parts.choices import PURCHASE_TRANSITIONS, MoveKind, PurchaseStatus
from aftersales.parts.models import GoodsReceipt, PurchaseOrder, StockBalance, StockMove
from aftersales.parts.services import ledger
from aftersales.parts.services import purchasing as svc
from aftersales.parts.services.ledger import InsufficientStock
from aftersales.parts.tests.factories import PartFactory, SupplierFactory

pytestmark = pytest.mark.usefixtures("english")

D = Decimal


def balance(warehouse, part) -> StockBalance:
    return StockBalance.objects.get(warehouse=warehouse, part=part)


def make_order(actor, warehouse, supplier, lines, *, place=False) -> PurchaseOrder:
    order = svc.purchase_order_create(actor=actor, supplier=supplier, warehouse=warehouse, lines=lines)
    if place:
        order = svc.purchase_order_place(actor=actor, order=order)
    return order


def order_lines(order):
    return list(order.lines.order_by("id"))


def order_in(status, *, keeper, warehouse, supplier, part) -> PurchaseOrder:
    """A purchase order of 10 × `part` brought to `status` through the services."""
    order = make_order(keeper, warehouse, supplier, [(part, 10, "20")])
    if status == PurchaseStatus.DRAFT:
        return order
    if status == PurchaseStatus.CANCELLED:
        return svc.purchase_order_cancel(actor=keeper, order=order)
    order = svc.purchase_order_place(actor=keeper, order=order)
    (line,) = order_lines(order)
    if status == PurchaseStatus.ORDERED:
        return order
    svc.purchase_order_receive(actor=keeper, order=order, lines=[(line, 10 if status == "received" else 4)])
    order.refresh_from_db()
    if status == PurchaseStatus.CLOSED:
        return svc.purchase_order_close(actor=keeper, order=order)
    return order


# -- create ------------------------------------------------------------------------------------------------------------


def test_create_makes_a_numbered_draft_with_its_lines(keeper, warehouse, supplier, part):
    # when a keeper orders two parts
    other = PartFactory(code="BP-002")
    order = svc.purchase_order_create(
        actor=keeper, supplier=supplier, warehouse=warehouse, lines=[(part, 10, "25.50"), (other, "2", 180)]
    )

    # then a draft numbered for the branch holds both lines at their costs, and its creation is recorded
    assert re.fullmatch(r"PO-BJ01-\d{8}-0001", order.number)
    assert order.status == PurchaseStatus.DRAFT and order.created_by == keeper
    assert [(line.part, line.quantity, line.unit_cost, line.received) for line in order_lines(order)] == [
        (part, D("10.00"), D("25.5000"), D("0")),
        (other, D("2.00"), D("180.0000"), D("0")),
    ]
    assert AuditEvent.objects.filter(object_id=order.pk, action=AuditAction.CREATE).exists()
    second = make_order(keeper, warehouse, supplier, [(part, 1, 1)])
    assert second.number.endswith("-0002")


def test_unit_cost_defaults_to_the_last_receipt_cost_else_the_average_cost_else_zero(
    keeper, warehouse, other_warehouse, supplier, part, stock
):
    # given receipts of the part at 10 then 16 (average 13), and a second part only ever adjusted in at 7
    stock(warehouse, part, 5, "10.00")
    stock(warehouse, part, 5, "16.00")
    stock(other_warehouse, part, 5, "99.00")
    adjusted = PartFactory()
    ledger.stock_adjust(actor=keeper, warehouse=warehouse, part=adjusted, quantity=2, reason="found", unit_cost="7")
    never = PartFactory()

    # when they are ordered without a cost
    order = svc.purchase_order_create(
        actor=keeper, supplier=supplier, warehouse=warehouse, lines=[(part, 1), (adjusted, 1, None), (never, 1)]
    )

    # then the last receipt into this warehouse, the average cost, and zero are used
    assert [line.unit_cost for line in order_lines(order)] == [D("16.0000"), D("7.0000"), D("0.0000")]


def test_a_reversed_receipt_is_not_the_last_receipt_cost(keeper, warehouse, supplier, part, stock):
    stock(warehouse, part, 5, "10.00")
    wrong = stock(warehouse, part, 5, "100.00")
    ledger.stock_move_reverse(actor=keeper, move=wrong.lines.get().move)

    order = make_order(keeper, warehouse, supplier, [(part, 1)])

    assert order_lines(order)[0].unit_cost == D("10.0000")


def test_create_errors_name_the_line_and_field(keeper, warehouse, supplier, part):
    inactive = PartFactory(code="OLD-1", active=False)
    with pytest.raises(ValidationError) as caught:
        svc.purchase_order_create(
            actor=keeper,
            supplier=supplier,
            warehouse=warehouse,
            lines=[(part, 1, 5), (part, 0, 5), (inactive, 1, 5), (PartFactory(), 2, "-1")],
        )
    errors = caught.value.message_dict
    assert set(errors) == {"lines.1.part", "lines.1.quantity", "lines.2.part", "lines.3.unit_cost"}
    assert "already on line 1" in errors["lines.1.part"][0]
    assert "no longer active" in errors["lines.2.part"][0]
    assert not PurchaseOrder.objects.exists()


def test_create_needs_lines_and_an_active_supplier(keeper, warehouse, supplier, part):
    with pytest.raises(ValidationError) as caught:
        svc.purchase_order_create(actor=keeper, supplier=supplier, warehouse=warehouse, lines=[])
    assert set(caught.value.message_dict) == {"lines"}
    closed = SupplierFactory(active=False)
    with pytest.raises(ValidationError) as caught:
        svc.purchase_order_create(actor=keeper, supplier=closed, warehouse=warehouse, lines=[(part, 1, 1)])
    assert set(caught.value.message_dict) == {"supplier"}


def test_create_is_refused_to_a_technician_and_into_another_branch(person, keeper, other_warehouse, supplier, part):
    with pytest.raises(PermissionDenied):
        svc.purchase_order_create(
            actor=person("technician"), supplier=supplier, warehouse=other_warehouse, lines=[(part, 1, 1)]
        )
    with pytest.raises(Http404):
        svc.purchase_order_create(actor=keeper, supplier=supplier, warehouse=other_warehouse, lines=[(part, 1, 1)])
    assert not PurchaseOrder.objects.exists()


# -- edit --------------------------------------------------------------------------------------------------------------


def test_update_lines_of_a_draft_updates_adds_and_removes(keeper, warehouse, supplier, part):
    kept, dropped, added = part, PartFactory(code="DROP"), PartFactory(code="NEW")
    order = make_order(keeper, warehouse, supplier, [(kept, 1, 10), (dropped, 1, 10)])
    kept_line_id = order_lines(order)[0].pk

    svc.purchase_order_update_lines(actor=keeper, order=order, lines=[(kept, 3, 12), (added, 4, 5)])

    lines = order_lines(order)
    assert [(line.part.code, line.quantity, line.unit_cost) for line in lines] == [
        ("OF-001", D("3.00"), D("12.0000")),
        ("NEW", D("4.00"), D("5.0000")),
    ]
    assert lines[0].pk == kept_line_id
    event = AuditEvent.objects.filter(object_id=order.pk, action=AuditAction.UPDATE).latest("id")
    assert event.changes["lines"]["before"] == "OF-001 × 1 @ 10.0000; DROP × 1 @ 10.0000"
    assert event.changes["lines"]["after"] == "OF-001 × 3 @ 12.0000; NEW × 4 @ 5.0000"


def test_only_a_draft_can_be_edited(keeper, warehouse, supplier, part):
    order = make_order(keeper, warehouse, supplier, [(part, 1, 10)], place=True)
    with pytest.raises(Conflict) as caught:
        svc.purchase_order_update_lines(actor=keeper, order=order, lines=[(part, 5, 10)])
    assert caught.value.code == "not_draft"
    with pytest.raises(Conflict):
        svc.purchase_order_update(actor=keeper, order=order, supplier=supplier, notes="x")
    assert order_lines(order)[0].quantity == D("1.00")


# -- the transition table ------------------------------------------------------------------------------------------------

ACTIONS = {
    PurchaseStatus.ORDERED: svc.purchase_order_place,
    PurchaseStatus.CANCELLED: svc.purchase_order_cancel,
    PurchaseStatus.CLOSED: svc.purchase_order_close,
}
CELLS = [(start, target) for start in PurchaseStatus for target in ACTIONS]


@pytest.mark.parametrize(("start", "target"), CELLS, ids=[f"{s.value}->{t.value}" for s, t in CELLS])
def test_every_move_of_the_transition_table_is_allowed_or_refused(start, target, keeper, warehouse, supplier, part):
    # given an order in `start`
    order = order_in(start, keeper=keeper, warehouse=warehouse, supplier=supplier, part=part)
    assert order.status == start
    events = AuditEvent.objects.filter(object_id=order.pk, action=AuditAction.STATUS).count()

    # when the user's action towards `target` is asked
    if target in PURCHASE_TRANSITIONS[start]:
        moved = ACTIONS[target](actor=keeper, order=order)

        # then the table's moves happen, and are recorded with where from and where to
        assert moved.status == target
        assert PurchaseOrder.objects.get(pk=order.pk).status == target
        event = AuditEvent.objects.filter(object_id=order.pk, action=AuditAction.STATUS).latest("id")
        assert event.payload == {"from": start.value, "to": target.value}
        assert event.actor == keeper
    else:
        # and every other move is refused, changing nothing
        with pytest.raises(Conflict) as caught:
            ACTIONS[target](actor=keeper, order=order)
        assert caught.value.code == "invalid_transition"
        assert PurchaseOrder.objects.get(pk=order.pk).status == start
        assert AuditEvent.objects.filter(object_id=order.pk, action=AuditAction.STATUS).count() == events


def test_placing_sets_ordered_at(keeper, warehouse, supplier, part):
    order = make_order(keeper, warehouse, supplier, [(part, 1, 1)])
    assert order.ordered_at is None
    placed = svc.purchase_order_place(actor=keeper, order=order)
    assert placed.ordered_at is not None


def test_status_moves_need_change_permission(person, keeper, warehouse, supplier, part):
    order = make_order(keeper, warehouse, supplier, [(part, 1, 1)])
    with pytest.raises(PermissionDenied):
        svc.purchase_order_place(actor=person("regional_manager"), order=order)
    assert PurchaseOrder.objects.get(pk=order.pk).status == PurchaseStatus.DRAFT


def test_another_branchs_keeper_cannot_move_an_order(person, keeper, warehouse, supplier, part, other_branch):
    order = make_order(keeper, warehouse, supplier, [(part, 1, 1)])
    with pytest.raises(Http404):
        svc.purchase_order_cancel(actor=person("parts_keeper", branch=other_branch), order=order)
    assert PurchaseOrder.objects.get(pk=order.pk).status == PurchaseStatus.DRAFT


# -- receiving -----------------------------------------------------------------------------------------------------------


def test_partial_receipts_at_their_own_costs_keep_the_moving_average_right(keeper, warehouse, supplier, part, stock):
    # given 10 on hand at 10.00 and an order of 10 more at 20.00
    stock(warehouse, part, 10, "10.00")
    order = make_order(keeper, warehouse, supplier, [(part, 10, "20.00")], place=True)
    (line,) = order_lines(order)

    # when 5 arrive at 22.00 (the supplier's price went up)
    first = svc.purchase_order_receive(actor=keeper, order=order, lines=[(line, 5, "22.00")], note="first box")

    # then they post at 22: (100 + 110) / 15 = 14, and the order is partly received
    after_first = balance(warehouse, part)
    assert (after_first.on_hand, after_first.value, after_first.average_cost) == (D("15"), D("210"), D("14.0000"))
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == PurchaseStatus.PARTIAL and line.received == D("5") and line.outstanding == D("5")
    move = first.lines.get().move
    assert (move.kind, move.quantity, move.unit_cost, move.value) == (MoveKind.RECEIPT, D("5"), D("22"), D("110"))
    assert first.purchase_order == order and first.supplier == supplier and first.note == "first box"
    assert first.lines.get().purchase_line == line

    # when the other 5 arrive with no cost given (the ordered 20.00)
    svc.purchase_order_receive(actor=keeper, order=order, lines=[(line, 5)])

    # then (210 + 100) / 20 = 15.5 and the order is received
    after_second = balance(warehouse, part)
    assert (after_second.on_hand, after_second.value, after_second.average_cost) == (D("20"), D("310"), D("15.5000"))
    order.refresh_from_db()
    assert order.status == PurchaseStatus.RECEIVED
    status_events = AuditEvent.objects.filter(object_id=order.pk, action=AuditAction.STATUS).order_by("id")
    assert [(e.payload["from"], e.payload["to"]) for e in status_events] == [
        ("draft", "ordered"),
        ("ordered", "partial"),
        ("partial", "received"),
    ]


def test_receiving_more_than_outstanding_is_refused_naming_the_line(keeper, warehouse, supplier, part):
    other = PartFactory()
    order = make_order(keeper, warehouse, supplier, [(part, 10, 20), (other, 3, 5)], place=True)
    first, second = order_lines(order)
    svc.purchase_order_receive(actor=keeper, order=order, lines=[(first, 8)])

    with pytest.raises(ValidationError) as caught:
        svc.purchase_order_receive(actor=keeper, order=order, lines=[(second, 1), (first, 3)])

    assert set(caught.value.message_dict) == {"lines.1.quantity"}
    assert "Only 2 of OF-001 are outstanding" in caught.value.message_dict["lines.1.quantity"][0]
    assert GoodsReceipt.objects.filter(purchase_order=order).count() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.received, second.received) == (D("8"), D("0"))
    assert balance(warehouse, part).on_hand == D("8")


def test_receive_checks_each_line(keeper, warehouse, supplier, part):
    order = make_order(keeper, warehouse, supplier, [(part, 10, 20)], place=True)
    foreign = make_order(keeper, warehouse, supplier, [(PartFactory(), 1, 1)], place=True)
    (line,) = order_lines(order)
    with pytest.raises(ValidationError) as caught:
        svc.purchase_order_receive(
            actor=keeper, order=order, lines=[(line, "0"), (order_lines(foreign)[0], 1), (line, 1, "-2")]
        )
    assert set(caught.value.message_dict) == {"lines.0.quantity", "lines.1.line", "lines.2.line"}
    with pytest.raises(ValidationError) as caught:
        svc.purchase_order_receive(actor=keeper, order=order, lines=[(line, 1, "-2")])
    assert set(caught.value.message_dict) == {"lines.0.unit_cost"}
    with pytest.raises(ValidationError):
        svc.purchase_order_receive(actor=keeper, order=order, lines=[])
    assert not GoodsReceipt.objects.exists()


@pytest.mark.parametrize("status", ["draft", "received", "closed", "cancelled"])
def test_only_ordered_or_partly_received_orders_can_be_received(status, keeper, warehouse, supplier, part):
    order = order_in(status, keeper=keeper, warehouse=warehouse, supplier=supplier, part=part)
    (line,) = order_lines(order)
    receipts = GoodsReceipt.objects.count()
    with pytest.raises(Conflict) as caught:
        svc.purchase_order_receive(actor=keeper, order=order, lines=[(line, 1)])
    assert caught.value.code == "not_receivable"
    assert GoodsReceipt.objects.count() == receipts


def test_receiving_needs_the_receive_permission(person, keeper, warehouse, supplier, part):
    order = make_order(keeper, warehouse, supplier, [(part, 10, 20)], place=True)
    with pytest.raises(PermissionDenied):
        svc.purchase_order_receive(actor=person("service_advisor"), order=order, lines=[(order_lines(order)[0], 1)])


def test_receiving_closes_open_shortages(keeper, warehouse, supplier, part):
    with pytest.raises(InsufficientStock):
        ledger.stock_issue(actor=keeper, warehouse=warehouse, part=part, quantity=2, reference="WO-1")
    order = make_order(keeper, warehouse, supplier, [(part, 5, 20)], place=True)
    svc.purchase_order_receive(actor=keeper, order=order, lines=[(order_lines(order)[0], 5)])
    assert not part.demands.filter(open=True).exists()


# -- reversal ------------------------------------------------------------------------------------------------------------


def test_reversing_receipts_takes_stock_and_quantities_back(keeper, warehouse, supplier, part, stock):
    # given 10 at 10 on hand and an order received in two receipts: 4 at 20, then 6 at 25
    stock(warehouse, part, 10, "10.00")
    order = make_order(keeper, warehouse, supplier, [(part, 10, "20")], place=True)
    (line,) = order_lines(order)
    first = svc.purchase_order_receive(actor=keeper, order=order, lines=[(line, 4)])
    second = svc.purchase_order_receive(actor=keeper, order=order, lines=[(line, 6, "25")])
    assert balance(warehouse, part).value == D("330")

    # when the second receipt is reversed
    reversals = svc.purchase_receipt_reverse(actor=keeper, receipt=second)

    # then its moves are undone, the line has 4 received and the order is partly received again
    assert [(m.quantity, m.value, m.reverses_id) for m in reversals] == [
        (D("-6"), D("-150"), second.lines.get().move_id)
    ]
    current = balance(warehouse, part)
    assert (current.on_hand, current.value) == (D("14"), D("180"))
    line.refresh_from_db()
    order.refresh_from_db()
    assert line.received == D("4") and order.status == PurchaseStatus.PARTIAL

    # when the first is reversed too, the order is back to ordered with nothing received
    svc.purchase_receipt_reverse(actor=keeper, receipt=first)
    line.refresh_from_db()
    order.refresh_from_db()
    assert line.received == D("0") and order.status == PurchaseStatus.ORDERED
    assert (balance(warehouse, part).on_hand, balance(warehouse, part).value) == (D("10"), D("100"))
    event = AuditEvent.objects.filter(object_id=order.pk, action=AuditAction.STATUS).latest("id")
    assert event.payload == {"from": "partial", "to": "ordered", "reversed_receipt": first.number}

    # and a receipt is reversed only once
    with pytest.raises(Conflict) as caught:
        svc.purchase_receipt_reverse(actor=keeper, receipt=first)
    assert caught.value.code == "already_reversed"


def test_reversal_is_refused_when_the_stock_was_issued_and_nothing_changes(keeper, warehouse, supplier, part):
    order = make_order(keeper, warehouse, supplier, [(part, 5, "20")], place=True)
    (line,) = order_lines(order)
    receipt = svc.purchase_order_receive(actor=keeper, order=order, lines=[(line, 5)])
    ledger.stock_issue(actor=keeper, warehouse=warehouse, part=part, quantity=3, reference="WO-1")
    moves = StockMove.objects.count()

    with pytest.raises(InsufficientStock):
        svc.purchase_receipt_reverse(actor=keeper, receipt=receipt)

    line.refresh_from_db()
    order.refresh_from_db()
    assert line.received == D("5") and order.status == PurchaseStatus.RECEIVED
    assert StockMove.objects.count() == moves and balance(warehouse, part).on_hand == D("2")


def test_reversing_a_receipt_of_a_closed_order_keeps_it_closed(keeper, warehouse, supplier, part):
    order = order_in("closed", keeper=keeper, warehouse=warehouse, supplier=supplier, part=part)
    receipt = order.receipts.get()
    svc.purchase_receipt_reverse(actor=keeper, receipt=receipt)
    order.refresh_from_db()
    assert order.status == PurchaseStatus.CLOSED and order_lines(order)[0].received == D("0")


# -- suggested orders ------------------------------------------------------------------------------------------------------


@pytest.fixture
def suggestion_world(keeper, warehouse, other_warehouse, supplier, stock, admin_user):
    """Parts whose positions have known answers (see each comment)."""
    acme = SupplierFactory(code="ACME", name="Acme")
    parts = {}

    # A: on hand 5, reserved 2, on order 3 → position 6 < 10 → max(20, 4) = 20
    a = parts["A"] = PartFactory(code="A", reorder_point=10, reorder_quantity=20, supplier=supplier)
    stock(warehouse, a, 5, "12.00")
    ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=a, quantity=2, reference="WO-A")
    make_order(keeper, warehouse, supplier, [(a, 3, 12)], place=True)
    make_order(keeper, warehouse, supplier, [(a, 50, 12)])  # a draft is not on order
    stock(other_warehouse, a, 100, "1.00")  # another warehouse's stock does not count

    # B: nothing on hand, an open shortage of 4 → position −4 < 10 → max(2, 14) = 14
    b = parts["B"] = PartFactory(code="B", reorder_point=10, reorder_quantity=2, supplier=acme)
    with pytest.raises(InsufficientStock):
        ledger.stock_issue(actor=keeper, warehouse=warehouse, part=b, quantity=4, reference="WO-B")

    # C: on hand 5 = reorder point → not below it, not suggested
    c = parts["C"] = PartFactory(code="C", reorder_point=5, reorder_quantity=10, supplier=supplier)
    stock(warehouse, c, 5, "3.00")

    # D: no reorder point and no demand → not considered
    parts["D"] = PartFactory(code="D", supplier=supplier)

    # E: no reorder point, no supplier, an open shortage of 2 → position −2 < 0 → max(0, 2, 1) = 2
    e = parts["E"] = PartFactory(code="E")
    with pytest.raises(InsufficientStock):
        ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=e, quantity=2, reference="WO-E")

    # F: ordered 5, 1 received, then closed short → nothing on order; on hand 1 → max(1, 3) = 3
    f = parts["F"] = PartFactory(code="F", reorder_point=4, reorder_quantity=1, supplier=acme)
    order = make_order(keeper, warehouse, acme, [(f, 5, "8.50")], place=True)
    svc.purchase_order_receive(actor=keeper, order=order, lines=[(order_lines(order)[0], 1)])
    svc.purchase_order_close(actor=keeper, order=order)

    # G: below its reorder point but inactive → not suggested
    parts["G"] = PartFactory(code="G", reorder_point=10, reorder_quantity=1, supplier=supplier, active=False)

    # H: reorder point 0.5, nothing on hand → at least 1
    parts["H"] = PartFactory(code="H", reorder_point=D("0.5"), supplier=acme)

    # I: partly received order still counts what is outstanding: ordered 6, received 2 → on order 4;
    # on hand 2 → position 6 ≥ 6 → not suggested
    i = parts["I"] = PartFactory(code="I", reorder_point=6, reorder_quantity=1, supplier=acme)
    order = make_order(keeper, warehouse, acme, [(i, 6, 1)], place=True)
    svc.purchase_order_receive(actor=keeper, order=order, lines=[(order_lines(order)[0], 2)])
    return parts, acme


def test_suggestions_have_the_known_answers(keeper, warehouse, supplier, suggestion_world):
    _parts, acme = suggestion_world

    groups = svc.purchase_suggestions(user=keeper, warehouse=warehouse)

    # then grouped by supplier code, with parts that have no supplier last
    assert [g.supplier for g in groups] == [acme, supplier, None]
    rows = {
        s.part.code: (s.on_hand, s.reserved, s.on_order, s.shortage, s.position, s.quantity)
        for g in groups
        for s in g.lines
    }
    assert rows == {
        "A": (D("5"), D("2"), D("3"), D("0"), D("6"), D("20")),
        "B": (D("0"), D("0"), D("0"), D("4"), D("-4"), D("14")),
        "E": (D("0"), D("0"), D("0"), D("2"), D("-2"), D("2")),
        "F": (D("1"), D("0"), D("0"), D("0"), D("1"), D("3")),
        "H": (D("0"), D("0"), D("0"), D("0"), D("0"), D("1")),
    }
    assert [s.part.code for s in groups[0].lines] == ["B", "F", "H"]
    costs = {s.part.code: s.unit_cost for g in groups for s in g.lines}
    assert costs["A"] == D("12.0000") and costs["F"] == D("8.5000") and costs["B"] == D("0")
    assert groups[1].value == D("240.00")


def test_suggested_quantity_rule():
    assert svc.suggested_quantity(position=D("6"), reorder_point=D("10"), reorder_quantity=D("20")) == D("20")
    assert svc.suggested_quantity(position=D("-4"), reorder_point=D("10"), reorder_quantity=D("2")) == D("14")
    assert svc.suggested_quantity(position=D("10"), reorder_point=D("10"), reorder_quantity=D("2")) == D("0")
    assert svc.suggested_quantity(position=D("0"), reorder_point=D("0.5"), reorder_quantity=D("0")) == D("1")


def test_orders_from_suggestions_make_one_draft_per_supplier(keeper, warehouse, supplier, suggestion_world):
    parts, acme = suggestion_world

    orders = svc.purchase_orders_from_suggestions(
        actor=keeper, warehouse=warehouse, part_ids=[parts["A"].pk, parts["B"].pk, parts["F"].pk, parts["C"].pk]
    )

    # then Acme gets B and F, the usual supplier A; C (not suggested) is left out
    assert [(o.supplier, o.status) for o in orders] == [(acme, "draft"), (supplier, "draft")]
    assert [(li.part.code, li.quantity, li.unit_cost) for li in order_lines(orders[0])] == [
        ("B", D("14"), D("0")),
        ("F", D("3"), D("8.5")),
    ]
    assert [(li.part.code, li.quantity) for li in order_lines(orders[1])] == [("A", D("20"))]
    # drafts are not on order: the suggestions stay until the orders are placed
    codes = {s.part.code for g in svc.purchase_suggestions(user=keeper, warehouse=warehouse) for s in g.lines}
    assert "A" in codes
    svc.purchase_order_place(actor=keeper, order=orders[1])
    codes = {s.part.code for g in svc.purchase_suggestions(user=keeper, warehouse=warehouse) for s in g.lines}
    assert "A" not in codes


def test_orders_from_suggestions_refuse_parts_without_supplier_and_empty_choices(keeper, warehouse, suggestion_world):
    parts, _acme = suggestion_world
    before = PurchaseOrder.objects.count()
    with pytest.raises(ValidationError) as caught:
        svc.purchase_orders_from_suggestions(actor=keeper, warehouse=warehouse, part_ids=[parts["A"].pk, parts["E"].pk])
    assert "E" in caught.value.message_dict["part_ids"][0]
    with pytest.raises(ValidationError):
        svc.purchase_orders_from_suggestions(actor=keeper, warehouse=warehouse, part_ids=[parts["C"].pk])
    assert PurchaseOrder.objects.count() == before


def test_suggestions_of_another_branchs_warehouse_are_not_shown(person, other_warehouse, other_branch):
    with pytest.raises(Http404):
        svc.purchase_suggestions(user=person("parts_keeper"), warehouse=other_warehouse)


# -- API ------------------------------------------------------------------------------------------------------------------

ORDERS = "/api/v1/purchase-orders"


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def assert_error(response, status, code, fields=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and body["code"] == code
    if fields is not None:
        assert set(body["fields"]) == set(fields), body


def test_api_create_place_receive_and_close(api, keeper, warehouse, supplier, part):
    client = api(keeper)
    other = PartFactory(code="BP-002")

    # create
    response = post(
        client,
        ORDERS,
        {
            "supplier": supplier.pk,
            "warehouse": warehouse.pk,
            "expected_on": "2026-12-01",
            "lines": [{"part": part.pk, "quantity": "10", "unit_cost": "20.5"}, {"part": other.pk, "quantity": 2}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["number"].startswith("PO-BJ01-")
    assert body["total"] == "205.00" and body["expected_on"] == "2026-12-01"
    first, second = body["lines"]
    assert (second["part_code"], second["unit_cost"]) == ("BP-002", "0.0000")  # never received: no cost to default to
    assert (first["part_code"], first["quantity"], first["unit_cost"], first["outstanding"]) == (
        "OF-001",
        "10.00",
        "20.5000",
        "10.00",
    )
    order_id = body["id"]

    # place
    response = post(client, f"{ORDERS}/{order_id}/place")
    assert response.status_code == 200 and response.json()["status"] == "ordered"

    # receive part of the first line at another cost
    response = post(
        client,
        f"{ORDERS}/{order_id}/receipts",
        {"lines": [{"line": first["id"], "quantity": "4", "unit_cost": "21"}], "note": "box 1"},
    )
    assert response.status_code == 201, response.content
    receipt = response.json()
    assert receipt["purchase_order"] == order_id and receipt["number"].startswith("GR-BJ01-")
    assert receipt["lines"][0]["quantity"] == "4.00" and receipt["lines"][0]["unit_cost"] == "21.0000"
    assert receipt["moves"][0]["value"] == "84.00"

    # over-receipt: 422 naming the line
    response = post(client, f"{ORDERS}/{order_id}/receipts", {"lines": [{"line": first["id"], "quantity": "7"}]})
    assert_error(response, 422, "invalid", {"lines.0.quantity"})

    # a line of no this order: 422
    response = post(client, f"{ORDERS}/{order_id}/receipts", {"lines": [{"line": 999999, "quantity": "1"}]})
    assert_error(response, 422, "invalid", {"lines.0.line"})

    # cancel is not in the table for a partly received order: 409
    assert_error(post(client, f"{ORDERS}/{order_id}/cancel"), 409, "invalid_transition")

    # close short
    response = post(client, f"{ORDERS}/{order_id}/close", {"reason": "discontinued"})
    assert response.status_code == 200 and response.json()["status"] == "closed"
    event = AuditEvent.objects.filter(object_id=order_id, action=AuditAction.STATUS).latest("id")
    assert event.payload == {"from": "partial", "to": "closed", "reason": "discontinued"}

    # receiving a closed order: 409
    response = post(client, f"{ORDERS}/{order_id}/receipts", {"lines": [{"line": first["id"], "quantity": "1"}]})
    assert_error(response, 409, "not_receivable")

    # read it back
    response = client.get(f"{ORDERS}/{order_id}")
    assert response.status_code == 200
    assert [line["received"] for line in response.json()["lines"]] == ["4.00", "0.00"]


def test_api_create_errors_name_the_line(api, keeper, warehouse, supplier, part):
    response = post(
        api(keeper),
        ORDERS,
        {
            "supplier": supplier.pk,
            "warehouse": warehouse.pk,
            "lines": [{"part": part.pk, "quantity": "1"}, {"part": 999999, "quantity": "1"}],
        },
    )
    assert_error(response, 422, "invalid", {"lines.1.part"})
    response = post(
        api(keeper),
        ORDERS,
        {"supplier": supplier.pk, "warehouse": warehouse.pk, "lines": [{"part": part.pk, "quantity": "-1"}]},
    )
    assert_error(response, 422, "invalid", {"lines.0.quantity"})


def test_api_list_filters_and_scope(api, keeper, warehouse, other_warehouse, supplier, part, admin_user):
    acme = SupplierFactory(code="ACME")
    make_order(keeper, warehouse, supplier, [(part, 1, 1)])
    placed = make_order(keeper, warehouse, acme, [(part, 2, 1)], place=True)
    hidden = make_order(admin_user, other_warehouse, supplier, [(part, 3, 1)])
    client = api(keeper)

    body = client.get(ORDERS).json()
    assert body["count"] == 2 and hidden.pk not in {o["id"] for o in body["items"]}
    assert [o["id"] for o in client.get(f"{ORDERS}?status=ordered").json()["items"]] == [placed.pk]
    assert [o["id"] for o in client.get(f"{ORDERS}?supplier={acme.pk}").json()["items"]] == [placed.pk]
    assert client.get(f"{ORDERS}?warehouse={other_warehouse.pk}").json()["count"] == 0
    assert_error(client.get(f"{ORDERS}?status=lost"), 422, "invalid", {"status"})
    assert_error(client.get(f"{ORDERS}/{hidden.pk}"), 404, "not_found")
    assert_error(post(client, f"{ORDERS}/{hidden.pk}/place"), 404, "not_found")


def test_api_cancel_takes_an_optional_reason(api, keeper, warehouse, supplier, part):
    client = api(keeper)
    draft = make_order(keeper, warehouse, supplier, [(part, 1, 1)])
    response = client.post(f"{ORDERS}/{draft.pk}/cancel", content_type="application/json")  # no body at all
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    event = AuditEvent.objects.filter(object_id=draft.pk, action=AuditAction.STATUS).latest("id")
    assert event.payload == {"from": "draft", "to": "cancelled"}


def test_api_refuses_roles_without_purchasing(api, person, keeper, warehouse, supplier, part):
    order = make_order(keeper, warehouse, supplier, [(part, 1, 1)], place=True)
    technician = api(person("technician"))
    assert_error(technician.get(ORDERS), 403, "forbidden")
    assert_error(technician.get(f"{ORDERS}/{order.pk}"), 403, "forbidden")
    body = {"supplier": supplier.pk, "warehouse": warehouse.pk, "lines": [{"part": part.pk, "quantity": 1}]}
    assert_error(post(technician, ORDERS, body), 403, "forbidden")
    line = order_lines(order)[0]
    manager = api(person("regional_manager"))
    assert manager.get(f"{ORDERS}/{order.pk}").status_code == 200
    response = post(manager, f"{ORDERS}/{order.pk}/receipts", {"lines": [{"line": line.pk, "quantity": 1}]})
    assert_error(response, 403, "forbidden")
    assert_error(api(None).get(ORDERS), 401, "not_authenticated")


def test_api_reverse_a_receipt(api, keeper, warehouse, supplier, part):
    order = make_order(keeper, warehouse, supplier, [(part, 3, 10)], place=True)
    receipt = svc.purchase_order_receive(actor=keeper, order=order, lines=[(order_lines(order)[0], 3)])
    client = api(keeper)

    response = post(client, f"{ORDERS}/{order.pk}/receipts/{receipt.pk}/reverse")

    assert response.status_code == 201, response.content
    assert [m["quantity"] for m in response.json()] == ["-3.00"]
    assert client.get(f"{ORDERS}/{order.pk}").json()["status"] == "ordered"
    assert_error(post(client, f"{ORDERS}/{order.pk}/receipts/{receipt.pk}/reverse"), 409, "already_reversed")


def test_api_suggestions(api, keeper, warehouse, other_warehouse, suggestion_world):
    client = api(keeper)
    body = client.get(f"/api/v1/purchase-suggestions?warehouse={warehouse.pk}").json()
    assert body["count"] == 5
    a = next(item for item in body["items"] if item["part_code"] == "A")
    assert (a["on_hand"], a["reserved"], a["on_order"], a["shortage"]) == ("5.00", "2.00", "3.00", "0.00")
    assert (a["position"], a["quantity"], a["unit_cost"]) == ("6.00", "20.00", "12.0000")
    response = client.get(f"/api/v1/purchase-suggestions?warehouse={other_warehouse.pk}")
    assert_error(response, 422, "invalid", {"warehouse"})
