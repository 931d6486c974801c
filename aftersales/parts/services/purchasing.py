"""Purchasing (采购): purchase orders to suppliers, receipts against them, and suggested orders.

A purchase order moves through `PURCHASE_TRANSITIONS` (choices.py): a draft is placed (ordered) or
cancelled; an ordered order is cancelled while nothing has arrived; receipts move it to partly
received and received; a partly received order may be closed short (the rest will not come).
Every status move goes through `_transition`, which locks the order row, checks the table and the
guards, and records the event. Receipts post their moves through `receipts.stock_receive` at the
received cost, so the moving-average cost follows what was really paid; a receipt is corrected by
`purchase_receipt_reverse`, which posts the opposite moves and takes the quantities off the order.

Reads used by the pages and the API (lists, one order, suggested orders) are at the end of the module.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import get_for_user_or_404, require_perm
from aftersales.core.audit import audit_record, audit_snapshot, model_update
from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction
from aftersales.core.numbers import document_number_next
from aftersales.parts.choices import PURCHASE_RECEIVABLE, PURCHASE_TRANSITIONS, MoveKind, PurchaseStatus
from aftersales.parts.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    StockBalance,
    StockDemand,
    StockMove,
    Supplier,
    Warehouse,
)
from aftersales.parts.services.ledger import (
    quantity_clean,
    require_visible_warehouse,
    stock_move_reverse,
    unit_cost_clean,
)
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive

ZERO = Decimal("0")
ONE = Decimal("1")
FEN = Decimal("0.01")
COST_PLACES = Decimal("0.0001")
ORDER_FIELDS = ("number", "supplier", "warehouse", "status", "expected_on", "notes")


def qty_text(value: Decimal) -> str:
    """`3.00` → `3`, `2.50` → `2.5`: quantities as people say them."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def order_total(lines: Iterable[PurchaseOrderLine]) -> Decimal:
    """What an order is worth at its ordered costs: Σ quantity × unit cost, rounded half up to the fen once."""
    return money(sum((line.quantity * line.unit_cost for line in lines), ZERO))


# -- input ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLineIn:
    part: Part
    quantity: Decimal
    unit_cost: Decimal | None = None


def _as_order_line(line) -> OrderLineIn:
    """A line given as `(part, quantity)`, `(part, quantity, unit_cost)` or an `OrderLineIn`."""
    if isinstance(line, OrderLineIn):
        return line
    part, quantity, *rest = line
    return OrderLineIn(part=part, quantity=quantity, unit_cost=rest[0] if rest else None)


def default_unit_costs(*, part_ids: Iterable[int], warehouse: Warehouse) -> dict[int, Decimal]:
    """The cost to order each part at when none is given: what the last (unreversed) receipt of it into this
    warehouse cost, else its average cost there, else 0. Two queries whatever the number of parts."""
    part_ids = sorted(set(part_ids))
    if not part_ids:
        return {}
    last_receipts = (
        StockMove.objects.filter(
            part_id=OuterRef("pk"),
            warehouse_id=warehouse.pk,
            kind=MoveKind.RECEIPT,
            quantity__gt=0,
            reverses__isnull=True,
            reversed_by__isnull=True,
        )
        .order_by("-id")
        .values("unit_cost")[:1]
    )
    last = dict(
        Part.objects.filter(pk__in=part_ids)
        .annotate(last_cost=Subquery(last_receipts))
        .filter(last_cost__isnull=False)
        .values_list("pk", "last_cost")
    )
    averages = dict(
        StockBalance.objects.filter(warehouse_id=warehouse.pk, part_id__in=part_ids).values_list(
            "part_id", "average_cost"
        )
    )
    return {pk: Decimal(last.get(pk, averages.get(pk, ZERO))).quantize(COST_PLACES) for pk in part_ids}


def _clean_lines(lines: Sequence, *, warehouse: Warehouse) -> list[OrderLineIn]:
    """Checked order lines, errors named `lines.<i>.<field>`; a part appears once on an order."""
    lines = [_as_order_line(line) for line in lines or ()]
    if not lines:
        raise ValidationError({"lines": _("Add at least one line.")})
    defaults = default_unit_costs(
        part_ids=[line.part.pk for line in lines if line.unit_cost in (None, "")], warehouse=warehouse
    )
    cleaned, errors, seen = [], {}, {}
    for index, line in enumerate(lines):
        line_errors = {}
        if not line.part.active:
            line_errors["part"] = _("Part %(code)s is no longer active.") % {"code": line.part.code}
        elif line.part.pk in seen:
            line_errors["part"] = _("Part %(code)s is already on line %(line)s.") % {
                "code": line.part.code,
                "line": seen[line.part.pk] + 1,
            }
        seen.setdefault(line.part.pk, index)
        quantity = unit_cost = None
        try:
            quantity = quantity_clean(line.quantity)
        except ValidationError as exc:
            line_errors["quantity"] = exc.message_dict["quantity"][0]
        try:
            unit_cost = unit_cost_clean(defaults[line.part.pk] if line.unit_cost in (None, "") else line.unit_cost)
        except ValidationError as exc:
            line_errors["unit_cost"] = exc.message_dict["unit_cost"][0]
        if line_errors:
            errors.update({f"lines.{index}.{name}": [message] for name, message in line_errors.items()})
        else:
            cleaned.append(OrderLineIn(part=line.part, quantity=quantity, unit_cost=unit_cost))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_supplier(supplier: Supplier | None) -> Supplier:
    if supplier is None:
        raise ValidationError({"supplier": _("Choose a supplier.")})
    if not supplier.active:
        raise ValidationError({"supplier": _("Supplier %(code)s is no longer active.") % {"code": supplier.code}})
    return supplier


def _clean_notes(notes) -> str:
    return (notes or "").strip()


def _lines_summary(lines: Iterable) -> str:
    """`OF-001 × 10 @ 25.0000; BP-002 × 2 @ 180.0000` — how the lines are kept in the history."""
    return "; ".join(f"{line.part.code} × {qty_text(line.quantity)} @ {line.unit_cost}" for line in lines)


# -- create and edit --------------------------------------------------------------------------------------------------


@transaction.atomic
def purchase_order_create(
    *,
    actor,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: Sequence,
    expected_on=None,
    notes: str = "",
) -> PurchaseOrder:
    """A draft purchase order numbered `PO-<branch>-<day>-NNNN`.

    `lines` are `(part, quantity, unit_cost)`; a missing unit cost is the part's last receipt cost in
    that warehouse, else its average cost there. Errors name the line: `lines.<i>.<field>`.
    """
    require_perm(actor, "parts.add_purchaseorder")
    require_visible_warehouse(actor, warehouse)
    if not warehouse.active:
        raise ValidationError({"warehouse": _("Warehouse %(code)s is closed.") % {"code": warehouse.code}})
    supplier = _clean_supplier(supplier)
    lines = _clean_lines(lines, warehouse=warehouse)
    order = PurchaseOrder(
        number=document_number_next(prefix="PO", branch=warehouse.branch),
        supplier=supplier,
        warehouse=warehouse,
        status=PurchaseStatus.DRAFT,
        expected_on=expected_on,
        notes=_clean_notes(notes),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    order.full_clean()
    order.save()
    PurchaseOrderLine.objects.bulk_create(
        [
            PurchaseOrderLine(order=order, part=line.part, quantity=line.quantity, unit_cost=line.unit_cost)
            for line in lines
        ]
    )
    changes = {
        name: {"before": None, "after": value}
        for name, value in audit_snapshot(order, ORDER_FIELDS).items()
        if value not in (None, "")
    }
    changes["lines"] = {"before": None, "after": _lines_summary(lines)}
    audit_record(actor=actor, instance=order, action=AuditAction.CREATE, changes=changes)
    return order


def _locked(order: PurchaseOrder) -> PurchaseOrder:
    """The order re-read under a row lock on its own row (the joined warehouse, branch and supplier stay free)."""
    return (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("warehouse__branch", "supplier")
        .get(pk=order.pk)
    )


def _require_draft(order: PurchaseOrder) -> None:
    if order.status != PurchaseStatus.DRAFT:
        raise Conflict(
            _("Only a draft can be edited; this order is %(status)s.") % {"status": order.get_status_display()},
            code="not_draft",
        )


@transaction.atomic
def purchase_order_update_lines(*, actor, order: PurchaseOrder, lines: Sequence) -> PurchaseOrder:
    """Replace the lines of a draft: lines of parts still wanted are updated in place, new ones added,
    the others removed (a draft has received nothing, so nothing of value hangs on its lines)."""
    require_perm(actor, "parts.change_purchaseorder")
    order = _locked(order)
    require_visible_warehouse(actor, order.warehouse)
    _require_draft(order)
    cleaned = _clean_lines(lines, warehouse=order.warehouse)
    existing = {line.part_id: line for line in order.lines.select_related("part").order_by("id")}
    before = _lines_summary(existing.values())
    keep, changed, added = set(), [], []
    for line in cleaned:
        current = existing.get(line.part.pk)
        if current is None:
            added.append(
                PurchaseOrderLine(order=order, part=line.part, quantity=line.quantity, unit_cost=line.unit_cost)
            )
            continue
        keep.add(current.pk)
        if (current.quantity, current.unit_cost) != (line.quantity, line.unit_cost):
            current.quantity, current.unit_cost = line.quantity, line.unit_cost
            changed.append(current)
    PurchaseOrderLine.objects.filter(order=order).exclude(pk__in=keep).delete()
    PurchaseOrderLine.objects.bulk_update(changed, ["quantity", "unit_cost"])
    PurchaseOrderLine.objects.bulk_create(added)
    after = _lines_summary(order.lines.select_related("part").order_by("id"))
    if after != before:
        order.save(update_fields=["updated_at"])
        audit_record(
            actor=actor,
            instance=order,
            action=AuditAction.UPDATE,
            changes={"lines": {"before": before, "after": after}},
        )
    return order


@transaction.atomic
def purchase_order_update(
    *, actor, order: PurchaseOrder, supplier: Supplier, expected_on=None, notes: str = "", lines: Sequence | None = None
) -> PurchaseOrder:
    """Edit a draft: its supplier, expected date and notes, and (when given) its lines. The warehouse stays,
    since the number carries its branch."""
    require_perm(actor, "parts.change_purchaseorder")
    order = _locked(order)
    require_visible_warehouse(actor, order.warehouse)
    _require_draft(order)
    supplier = _clean_supplier(supplier) if getattr(supplier, "pk", None) != order.supplier_id else supplier
    model_update(
        instance=order,
        data={"supplier": supplier, "expected_on": expected_on, "notes": _clean_notes(notes)},
        actor=actor,
    )
    if lines is not None:
        purchase_order_update_lines(actor=actor, order=order, lines=lines)
    return order


# -- status moves -----------------------------------------------------------------------------------------------------


def _transition(
    *,
    actor,
    order: PurchaseOrder,
    to: str,
    guard: Callable[[PurchaseOrder], None] | None = None,
    apply: Callable[[PurchaseOrder], list[str]] | None = None,
    payload: dict | None = None,
) -> PurchaseOrder:
    """Move an order to `to` if the table allows it from its current status (read under a row lock)."""
    require_perm(actor, "parts.change_purchaseorder")
    order = _locked(order)
    require_visible_warehouse(actor, order.warehouse)
    before = order.status
    if to not in PURCHASE_TRANSITIONS[PurchaseStatus(before)]:
        raise Conflict(
            _("A purchase order that is %(status)s cannot become %(target)s.")
            % {"status": order.get_status_display(), "target": PurchaseStatus(to).label},
            code="invalid_transition",
        )
    if guard:
        guard(order)
    order.status = to
    fields = ["status", "updated_at", *(apply(order) if apply else [])]
    order.save(update_fields=fields)
    audit_record(
        actor=actor,
        instance=order,
        action=AuditAction.STATUS,
        changes={"status": {"before": before, "after": str(to)}},
        payload={"from": before, "to": str(to), **(payload or {})},
    )
    return order


@transaction.atomic
def purchase_order_place(*, actor, order: PurchaseOrder) -> PurchaseOrder:
    """Send a draft to the supplier: it becomes ordered, and its parts count as on order."""

    def guard(locked: PurchaseOrder) -> None:
        if not locked.lines.exists():
            raise ValidationError({"lines": _("Add at least one line.")})
        _clean_supplier(locked.supplier)

    def apply(locked: PurchaseOrder) -> list[str]:
        locked.ordered_at = timezone.now()
        return ["ordered_at"]

    return _transition(actor=actor, order=order, to=PurchaseStatus.ORDERED, guard=guard, apply=apply)


@transaction.atomic
def purchase_order_cancel(*, actor, order: PurchaseOrder, reason: str = "") -> PurchaseOrder:
    """Cancel a draft, or an ordered order of which nothing has arrived."""

    def guard(locked: PurchaseOrder) -> None:
        if locked.lines.filter(received__gt=0).exists():
            raise Conflict(
                _("Parts of this order have arrived; close it short instead of cancelling it."), code="received"
            )

    payload = {"reason": reason.strip()[:200]} if (reason or "").strip() else None
    return _transition(actor=actor, order=order, to=PurchaseStatus.CANCELLED, guard=guard, payload=payload)


@transaction.atomic
def purchase_order_close(*, actor, order: PurchaseOrder, reason: str = "") -> PurchaseOrder:
    """Close a partly received order short: what is still outstanding will not come and is no longer on order."""
    payload = {"reason": reason.strip()[:200]} if (reason or "").strip() else None
    return _transition(actor=actor, order=order, to=PurchaseStatus.CLOSED, payload=payload)


# -- receipts ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiveLineIn:
    line: PurchaseOrderLine
    quantity: Decimal
    unit_cost: Decimal | None = None


def _as_receive_line(line) -> ReceiveLineIn:
    if isinstance(line, ReceiveLineIn):
        return line
    order_line, quantity, *rest = line
    return ReceiveLineIn(line=order_line, quantity=quantity, unit_cost=rest[0] if rest else None)


def _status_after_receipts(lines: Iterable[PurchaseOrderLine]) -> str:
    lines = list(lines)
    if all(line.received >= line.quantity for line in lines):
        return PurchaseStatus.RECEIVED
    if any(line.received > 0 for line in lines):
        return PurchaseStatus.PARTIAL
    return PurchaseStatus.ORDERED


@transaction.atomic
def purchase_order_receive(*, actor, order: PurchaseOrder, lines: Sequence, note: str = "") -> GoodsReceipt:
    """Receive some or all of what is outstanding on an ordered (or partly received) order.

    `lines` are `(order line, quantity, unit_cost=None)`; the cost defaults to the ordered cost and the
    moves post at the received cost. More than a line's outstanding quantity is refused (the error names
    the line). The order becomes partly received, or received when nothing is outstanding.
    """
    require_perm(actor, "parts.receive_stock")
    order = _locked(order)
    require_visible_warehouse(actor, order.warehouse)
    if order.status not in PURCHASE_RECEIVABLE:
        raise Conflict(
            _("Only an ordered purchase order can be received; this one is %(status)s.")
            % {"status": order.get_status_display()},
            code="not_receivable",
        )
    order_lines = {line.pk: line for line in order.lines.select_related("part").order_by("id")}
    wanted = [_as_receive_line(line) for line in lines or ()]
    if not wanted:
        raise ValidationError({"lines": _("Enter a quantity for at least one line.")})
    errors, receipt_lines, seen = {}, [], set()
    for index, item in enumerate(wanted):
        line = order_lines.get(getattr(item.line, "pk", item.line))
        if line is None:
            errors[f"lines.{index}.line"] = [_("This line is not on purchase order %(number)s.") % {"number": order}]
            continue
        if line.pk in seen:
            errors[f"lines.{index}.line"] = [_("Part %(code)s is given twice.") % {"code": line.part.code}]
            continue
        seen.add(line.pk)
        try:
            quantity = quantity_clean(item.quantity)
        except ValidationError as exc:
            errors[f"lines.{index}.quantity"] = exc.message_dict["quantity"]
            continue
        if quantity > line.outstanding:
            errors[f"lines.{index}.quantity"] = [
                _("Only %(outstanding)s of %(code)s are outstanding.")
                % {"outstanding": qty_text(line.outstanding), "code": line.part.code}
            ]
            continue
        cost = line.unit_cost if item.unit_cost in (None, "") else item.unit_cost
        receipt_lines.append(ReceiptLineIn(part=line.part, quantity=quantity, unit_cost=cost, purchase_line=line))
    if errors:
        raise ValidationError(errors)
    receipt = stock_receive(
        actor=actor,
        warehouse=order.warehouse,
        lines=receipt_lines,
        supplier=order.supplier,
        purchase_order=order,
        note=note or "",
    )
    for item in receipt_lines:
        item.purchase_line.received += item.quantity
    PurchaseOrderLine.objects.bulk_update([item.purchase_line for item in receipt_lines], ["received"])
    _after_quantities_changed(actor=actor, order=order, lines=order_lines.values(), payload={"receipt": receipt.number})
    return receipt


def _after_quantities_changed(*, actor, order: PurchaseOrder, lines, payload: dict) -> None:
    """After a receipt or its reversal: move the order to the status its quantities call for, and record it.

    A closed order stays closed (the supplier sends nothing more either way)."""
    before = order.status
    after = before if before == PurchaseStatus.CLOSED else _status_after_receipts(lines)
    order.status = after
    order.save(update_fields=["status", "updated_at"])
    if after != before:
        audit_record(
            actor=actor,
            instance=order,
            action=AuditAction.STATUS,
            changes={"status": {"before": before, "after": str(after)}},
            payload={"from": before, "to": str(after), **payload},
        )
    else:
        audit_record(actor=actor, instance=order, action=AuditAction.UPDATE, payload=payload)


@transaction.atomic
def purchase_receipt_reverse(*, actor, receipt: GoodsReceipt, note: str = "") -> list[StockMove]:
    """Undo a receipt (冲销): the opposite of each of its moves, and its quantities taken off the order lines.

    The received units must still be in stock (`InsufficientStock` otherwise, and nothing changes). The
    order goes back to partly received or ordered. Returns the reversing moves.
    """
    require_perm(actor, "parts.receive_stock")
    receipt = GoodsReceipt.objects.select_related("warehouse__branch", "purchase_order").get(pk=receipt.pk)
    require_visible_warehouse(actor, receipt.warehouse)
    order = _locked(receipt.purchase_order) if receipt.purchase_order_id else None
    receipt_lines = list(receipt.lines.select_related("move", "part").order_by("part_id", "id"))
    moves = [line.move for line in receipt_lines if line.move_id]
    if StockMove.objects.filter(reverses_id__in=[move.pk for move in moves]).exists():
        raise Conflict(_("This receipt has already been reversed."), code="already_reversed")
    note = (note or "").strip() or _("Reversal of receipt %(number)s") % {"number": receipt.number}
    # Moves in (part, id) order: the balances are locked in the ledger's order, one post after another.
    reversals = [stock_move_reverse(actor=actor, move=move, note=note, by_document=True) for move in moves]
    if order is not None:
        order_lines = {line.pk: line for line in order.lines.order_by("id")}
        for line in receipt_lines:
            if line.purchase_line_id in order_lines:
                order_lines[line.purchase_line_id].received -= line.quantity
        PurchaseOrderLine.objects.bulk_update(list(order_lines.values()), ["received"])
        _after_quantities_changed(
            actor=actor, order=order, lines=order_lines.values(), payload={"reversed_receipt": receipt.number}
        )
    return reversals


# -- reads ------------------------------------------------------------------------------------------------------------


def purchase_order_list(
    *,
    user,
    status: str = "",
    supplier: int | None = None,
    warehouse: int | None = None,
    q: str = "",
) -> QuerySet:
    """Purchase orders the user may see, newest first, with supplier and warehouse."""
    queryset = PurchaseOrder.objects.for_user(user).select_related("supplier", "warehouse")
    if status:
        queryset = queryset.filter(status=status)
    if supplier:
        queryset = queryset.filter(supplier_id=supplier)
    if warehouse:
        queryset = queryset.filter(warehouse_id=warehouse)
    if q:
        queryset = queryset.filter(number__icontains=q.strip())
    return queryset.order_by("-id")


def purchase_order_lines_attach(orders: Sequence[PurchaseOrder]) -> None:
    """Load the lines (with parts) of a page of orders in one query; set each line's `amount`, each order's `total`."""
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(
        list(orders), Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("part").order_by("id"))
    )
    for order in orders:
        lines = order.lines.all()
        for line in lines:
            line.amount = money(line.quantity * line.unit_cost)
        order.total = order_total(lines)


def purchase_order_detail(*, user, pk) -> PurchaseOrder:
    """One order the user may see (404 otherwise), with its lines loaded and its `total` set."""
    order = get_for_user_or_404(
        PurchaseOrder.objects.select_related("supplier", "warehouse__branch", "created_by__employee"), user, pk=pk
    )
    purchase_order_lines_attach([order])
    return order


def purchase_receipt_get(*, user, order: PurchaseOrder, pk) -> GoodsReceipt:
    return get_for_user_or_404(GoodsReceipt.objects.filter(purchase_order=order), user, pk=pk)


def purchase_order_receipts(order: PurchaseOrder) -> list[GoodsReceipt]:
    """The receipts of an order with their lines, moves and whether they were reversed (three queries)."""
    receipts = list(
        order.receipts.select_related("created_by__employee")
        .prefetch_related(Prefetch("lines", queryset=GoodsReceiptLine.objects.select_related("part").order_by("id")))
        .order_by("id")
    )
    move_ids = [line.move_id for receipt in receipts for line in receipt.lines.all() if line.move_id]
    reversed_ids = set(StockMove.objects.filter(reverses_id__in=move_ids).values_list("reverses_id", flat=True))
    for receipt in receipts:
        lines = receipt.lines.all()
        receipt.value = money(sum((line.quantity * line.unit_cost for line in lines), ZERO))
        receipt.reversed = any(line.move_id in reversed_ids for line in lines)
    return receipts


# -- suggested orders -------------------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    """One part to order for one warehouse, and the figures behind the quantity."""

    part: Part
    on_hand: Decimal
    reserved: Decimal
    on_order: Decimal
    shortage: Decimal
    quantity: Decimal
    unit_cost: Decimal

    @property
    def position(self) -> Decimal:
        """On hand − reserved + on order − open shortages."""
        return self.on_hand - self.reserved + self.on_order - self.shortage

    @property
    def value(self) -> Decimal:
        return money(self.quantity * self.unit_cost)


@dataclass
class SuggestionGroup:
    """The suggestions of one supplier (`supplier` None: parts with no usual supplier)."""

    supplier: Supplier | None
    lines: list[Suggestion] = field(default_factory=list)

    @property
    def value(self) -> Decimal:
        return sum((line.value for line in self.lines), ZERO)


def suggested_quantity(*, position: Decimal, reorder_point: Decimal, reorder_quantity: Decimal) -> Decimal:
    """How much to order when the stock position is below the reorder point, else 0.

    At least the reorder quantity, at least enough to bring the position back to the reorder point, and at
    least 1."""
    if position >= reorder_point:
        return ZERO
    return max(reorder_quantity, reorder_point - position, ONE)


def purchase_suggestions(*, user, warehouse: Warehouse) -> list[SuggestionGroup]:
    """Suggested orders for one warehouse, grouped by the parts' usual suppliers (no supplier last).

    For each active part with a reorder point, or with open shortages in the warehouse:
    position = on hand − reserved + on order (outstanding on ordered and partly received orders to this
    warehouse) − open shortages (requested − filled of the open demands). A part is suggested when its
    position is below its reorder point, for max(reorder quantity, reorder point − position, 1), at its
    default cost (`default_unit_costs`). A fixed number of queries, whatever the catalogue's size.
    """
    require_visible_warehouse(user, warehouse)
    shortages = dict(
        StockDemand.objects.filter(warehouse_id=warehouse.pk, open=True)
        .values("part_id")
        .annotate(short=Sum(F("requested") - F("filled")))
        .values_list("part_id", "short")
    )
    on_order = dict(
        PurchaseOrderLine.objects.filter(order__warehouse_id=warehouse.pk, order__status__in=PURCHASE_RECEIVABLE)
        .values("part_id")
        .annotate(outstanding=Sum(F("quantity") - F("received")))
        .values_list("part_id", "outstanding")
    )
    parts = list(
        Part.objects.filter(active=True)
        .filter(Q(reorder_point__gt=0) | Q(pk__in=[pk for pk, short in shortages.items() if short and short > 0]))
        .select_related("supplier")
        .order_by("code")
    )
    balances = {
        b.part_id: b for b in StockBalance.objects.filter(warehouse_id=warehouse.pk, part_id__in=[p.pk for p in parts])
    }
    suggestions = []
    for part in parts:
        balance = balances.get(part.pk)
        suggestion = Suggestion(
            part=part,
            on_hand=balance.on_hand if balance else ZERO,
            reserved=balance.reserved if balance else ZERO,
            on_order=max(Decimal(on_order.get(part.pk) or ZERO), ZERO).quantize(FEN),
            shortage=max(Decimal(shortages.get(part.pk) or ZERO), ZERO).quantize(FEN),
            quantity=ZERO,
            unit_cost=ZERO,
        )
        suggestion.quantity = suggested_quantity(
            position=suggestion.position, reorder_point=part.reorder_point, reorder_quantity=part.reorder_quantity
        )
        if suggestion.quantity > 0:
            suggestions.append(suggestion)
    costs = default_unit_costs(part_ids=[s.part.pk for s in suggestions], warehouse=warehouse)
    groups: dict[int | None, SuggestionGroup] = {}
    for suggestion in suggestions:
        suggestion.unit_cost = costs.get(suggestion.part.pk, ZERO)
        supplier = suggestion.part.supplier
        key = supplier.pk if supplier else None
        groups.setdefault(key, SuggestionGroup(supplier=supplier)).lines.append(suggestion)
    return sorted(groups.values(), key=lambda g: (g.supplier is None, g.supplier.code if g.supplier else ""))


@transaction.atomic
def purchase_orders_from_suggestions(*, actor, warehouse: Warehouse, part_ids: Iterable[int]) -> list[PurchaseOrder]:
    """One draft order per supplier for the chosen suggested parts, at the suggested quantities and costs.

    Parts no longer suggested are left out; a chosen part without a usual supplier is refused (set its
    supplier first)."""
    require_perm(actor, "parts.add_purchaseorder")
    wanted = {int(pk) for pk in part_ids}
    groups = purchase_suggestions(user=actor, warehouse=warehouse)
    chosen = [(group, [s for s in group.lines if s.part.pk in wanted]) for group in groups]
    chosen = [(group, lines) for group, lines in chosen if lines]
    if not chosen:
        raise ValidationError({"part_ids": _("None of the chosen parts needs ordering now.")})
    orphans = [s.part.code for group, lines in chosen if group.supplier is None for s in lines]
    if orphans:
        raise ValidationError(
            {"part_ids": _("These parts have no usual supplier: %(codes)s.") % {"codes": ", ".join(orphans)}}
        )
    return [
        purchase_order_create(
            actor=actor,
            supplier=group.supplier,
            warehouse=warehouse,
            lines=[(s.part, s.quantity, s.unit_cost) for s in lines],
            notes=_("From suggested orders."),
        )
        for group, lines in chosen
    ]
