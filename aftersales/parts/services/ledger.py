"""The stock ledger: every change of stock goes through `stock_post`, and nothing else writes moves or balances.

How a post works, in one transaction:
1. the balances it touches are created if missing, then locked (`SELECT … FOR UPDATE`) in one fixed
   order, part id then warehouse id, so that two posts touching the same rows queue instead of
   deadlocking, and none is lost;
2. each requested move is applied in order to the locked balances in memory: stock that would go
   negative, or below what is reserved, refuses the whole post (`InsufficientStock`, 409);
3. the moves are inserted in one statement and the balances updated in one statement.

Valuation is the moving average: a receipt adds its quantity at its own cost; an issue takes out
quantity × (value ÷ on hand), rounded half up to the fen, and the last unit out takes whatever value
is left, so a warehouse with nothing on hand is worth exactly 0 and the ledger's sums always equal
the balance. A move is never changed: `stock_move_reverse` posts the opposite move.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.access import require_perm
from aftersales.core.errors import Conflict
from aftersales.org.access import user_sees_branch
from aftersales.parts.choices import DemandSource, MoveKind, ReservationStatus
from aftersales.parts.models import (
    Part,
    StockBalance,
    StockDemand,
    StockMove,
    StockReservation,
    Warehouse,
)

FEN = Decimal("0.01")
COST_PLACES = Decimal("0.0001")
ZERO = Decimal("0")
QTY_MAX = Decimal("9999999999.99")
COST_MAX = Decimal("9999999999.9999")
VALUE_MAX = Decimal("999999999999.99")  # what a money column (14 digits, 2 decimals) holds

#: The permission each kind of move needs (reversals need `adjust_stock`).
KIND_PERMS = {
    MoveKind.RECEIPT: "parts.receive_stock",
    MoveKind.ISSUE: "parts.issue_stock",
    MoveKind.RETURN: "parts.issue_stock",
    MoveKind.TRANSFER_OUT: "parts.transfer_stock",
    MoveKind.TRANSFER_IN: "parts.transfer_stock",
    MoveKind.ADJUSTMENT: "parts.adjust_stock",
    MoveKind.STOCKTAKE: "parts.adjust_stock",
    MoveKind.SUPPLIER_RETURN: "parts.receive_stock",
}


class InsufficientStock(Conflict):
    """Less is available than asked for; nothing was changed."""

    default_code = "insufficient_stock"

    def __init__(self, *, part: Part | None, warehouse: Warehouse | None, available: Decimal, requested: Decimal):
        self.part, self.warehouse, self.available, self.requested = part, warehouse, available, requested
        message = gettext_lazy(
            "Not enough stock of %(part)s in %(warehouse)s: %(available)s available, %(requested)s asked for."
        ) % {
            "part": part.code if part else "?",
            "warehouse": warehouse.code if warehouse else "?",
            "available": quantity_text(available),
            "requested": quantity_text(requested),
        }
        super().__init__(message)


def quantity_text(value: Decimal) -> str:
    """`3.00` → `3`, `2.50` → `2.5`: quantities as people say them."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class MoveRequest:
    """One move to post. `quantity` is signed: + into the warehouse, − out of it.

    `unit_cost` values an inbound move (None: at the balance's average cost). `value` forces the signed
    value (reversals); `mirror_previous` values an inbound move at what the previous request took out
    (the receiving leg of a transfer). `reserved_delta` changes the reserved quantity in the same step
    (−q when issuing against a reservation).
    """

    part_id: int
    warehouse_id: int
    kind: str
    quantity: Decimal
    unit_cost: Decimal | None = None
    value: Decimal | None = None
    mirror_previous: bool = False
    reserved_delta: Decimal = ZERO
    reference: str = ""
    document_type: str = ""
    document_id: int | None = None
    reverses_id: int | None = None
    note: str = ""


# -- input checks -----------------------------------------------------------------------------------------------------


def quantity_clean(value, field: str = "quantity", *, allow_negative: bool = False) -> Decimal:
    """A quantity as `Decimal` with at most two decimals, positive unless `allow_negative` (then non-zero)."""
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc
    if not quantity.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    if abs(quantity) > QTY_MAX:  # before quantize, which cannot hold more than 28 digits
        raise ValidationError({field: _("The quantity is too large.")})
    if quantity != quantity.quantize(FEN):
        raise ValidationError({field: _("Use at most two decimals.")})
    if quantity == 0 or (quantity < 0 and not allow_negative):
        raise ValidationError({field: _("Enter a quantity greater than 0.")})
    return quantity.quantize(FEN)


def unit_cost_clean(value, field: str = "unit_cost") -> Decimal:
    """A unit cost ≥ 0 with at most four decimals."""
    try:
        cost = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter an amount.")}) from exc
    if not cost.is_finite():
        raise ValidationError({field: _("Enter an amount.")})
    if cost < 0:
        raise ValidationError({field: _("The cost cannot be negative.")})
    if cost > COST_MAX or cost != cost.quantize(COST_PLACES):  # the size first: quantize holds 28 digits at most
        raise ValidationError({field: _("Use at most four decimals and at most 10 digits before the point.")})
    return cost.quantize(COST_PLACES)


def require_visible_warehouse(actor, warehouse: Warehouse) -> None:
    """Callers fetch warehouses through the funnel; this keeps the ledger safe from one that did not."""
    if not user_sees_branch(actor, warehouse.branch_id):
        raise Http404


def _require_active(warehouse: Warehouse, field: str = "warehouse") -> None:
    if not warehouse.active:
        raise ValidationError({field: _("Warehouse %(code)s is closed.") % {"code": warehouse.code}})


def _require_postable_part(part: Part, field: str = "part") -> None:
    if not part.active:
        raise ValidationError({field: _("Part %(code)s is no longer active.") % {"code": part.code}})


# -- posting ----------------------------------------------------------------------------------------------------------


def local_day(moment):
    """The local date of a back-dated posting (documents are numbered by their day), or None for today."""
    return timezone.localdate(moment) if moment is not None else None


def _round_fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def balances_lock(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], StockBalance]:
    """The balances of these (part id, warehouse id) pairs, created if missing, locked in (part, warehouse) order.

    Exactly these rows are locked (a row-value `IN`), in one fixed order, so two posts that share rows queue
    behind each other and never deadlock.
    """
    keys = sorted(set(keys))
    balances = _balances_select(keys)
    missing = [key for key in keys if key not in balances]
    if missing:
        StockBalance.objects.bulk_create(
            [StockBalance(part_id=p, warehouse_id=w) for p, w in missing], ignore_conflicts=True
        )
        balances.update(_balances_select(missing))
    return balances


LOCK_CHUNK = 1000  # pairs per statement: 2,000 parameters, far below every backend's limit


def _balances_select(keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], StockBalance]:
    table = connection.ops.quote_name(StockBalance._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    found: dict[tuple[int, int], StockBalance] = {}
    for start in range(0, len(keys), LOCK_CHUNK):
        chunk = keys[start : start + LOCK_CHUNK]
        pairs = ", ".join(["(%s, %s)"] * len(chunk))
        sql = f"SELECT * FROM {table} WHERE (part_id, warehouse_id) IN ({pairs}) ORDER BY part_id, warehouse_id{lock}"
        for balance in StockBalance.objects.raw(sql, [value for key in chunk for value in key]):
            found[(balance.part_id, balance.warehouse_id)] = balance
    return found


def _short(balance: StockBalance, request: MoveRequest, available: Decimal, wanted: Decimal):
    part = Part.objects.filter(pk=request.part_id).first()
    warehouse = Warehouse.objects.filter(pk=request.warehouse_id).first()
    return InsufficientStock(part=part, warehouse=warehouse, available=available, requested=wanted)


def _outbound_value(balance: StockBalance, out: Decimal, forced: Decimal | None) -> Decimal:
    """The (positive) value leaving the balance when `out` units go."""
    if out == balance.on_hand:
        return balance.value  # the last units take whatever value is left
    if forced is not None:
        return min(-forced, balance.value)
    return min(_round_fen(out * balance.value / balance.on_hand), balance.value)


def _apply(balance: StockBalance, request: MoveRequest, previous: StockMove | None, posted_at, actor) -> StockMove:
    """Apply one request to a locked balance in memory and return the (unsaved) move."""
    quantity = request.quantity
    if quantity == 0:
        raise ValidationError({"quantity": _("Enter a quantity greater than 0.")})
    new_reserved = balance.reserved + request.reserved_delta
    if quantity > 0:
        if request.value is not None:
            value = request.value
        elif request.mirror_previous and previous is not None:
            value = -previous.value
        else:
            cost = balance.average_cost if request.unit_cost is None else request.unit_cost
            value = _round_fen(quantity * cost)
    else:
        out = -quantity
        # Issuing against a reservation may use the reserved units; anything else only what is available.
        available = balance.on_hand - max(new_reserved, ZERO) if request.reserved_delta else balance.available
        if out > available or new_reserved < 0:
            raise _short(balance, request, balance.available, out)
        value = -_outbound_value(balance, out, request.value)
    on_hand = balance.on_hand + quantity
    if new_reserved < 0 or new_reserved > on_hand:
        raise _short(balance, request, balance.available, abs(quantity))
    new_value = balance.value + value
    unit_cost = (abs(value) / abs(quantity)).quantize(COST_PLACES, rounding=ROUND_HALF_UP)
    average = (new_value / on_hand).quantize(COST_PLACES, rounding=ROUND_HALF_UP) if on_hand > 0 else None
    if on_hand > QTY_MAX or max(abs(value), new_value) > VALUE_MAX or max(unit_cost, average or ZERO) > COST_MAX:
        # the columns could not hold it (PostgreSQL would refuse the row with a server error)
        raise ValidationError({"quantity": _("Too large: the stock of one part in one warehouse cannot hold this.")})
    balance.on_hand = on_hand
    balance.reserved = new_reserved
    balance.value = new_value
    if average is not None:
        balance.average_cost = average
    balance.last_move_at = posted_at
    return StockMove(
        posted_at=posted_at,
        kind=request.kind,
        part_id=request.part_id,
        warehouse_id=request.warehouse_id,
        quantity=quantity,
        unit_cost=unit_cost,
        value=value,
        on_hand_after=balance.on_hand,
        value_after=balance.value,
        reference=request.reference[:80],
        document_type=request.document_type,
        document_id=request.document_id,
        reverses_id=request.reverses_id,
        note=request.note[:200],
        created_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def stock_post(*, actor, requests: Sequence[MoveRequest], posted_at=None) -> list[StockMove]:
    """Post moves as one unit: all of them, in order, or none (`InsufficientStock` when stock would run short).

    The caller has checked the actor's permissions and what they may see; `stock_post` checks the stock.
    Returns the saved moves in the order requested.
    """
    if not requests:
        return []
    posted_at = posted_at or timezone.now()
    balances = balances_lock((r.part_id, r.warehouse_id) for r in requests)
    moves: list[StockMove] = []
    previous = None
    for request in requests:
        previous = _apply(balances[(request.part_id, request.warehouse_id)], request, previous, posted_at, actor)
        moves.append(previous)
    StockMove.objects.bulk_create(moves)
    now = timezone.now()
    # only the requested pairs: the lock may have taken neighbours too (it asks parts × warehouses)
    touched = [balances[key] for key in dict.fromkeys((r.part_id, r.warehouse_id) for r in requests)]
    for balance in touched:
        balance.updated_at = now
    _balances_write(touched)
    return moves


def _balances_write(balances: Sequence[StockBalance]) -> None:
    """Write the posted balances back in one statement (PostgreSQL) or one prepared statement (others).

    Django's `bulk_update` builds a `CASE WHEN id = … THEN …` per row and field, whose compiling cost most of
    a post's time; this is the same update as plain SQL. The rows are locked by this transaction already.
    """
    ops = connection.ops
    table = ops.quote_name(StockBalance._meta.db_table)

    def row(b: StockBalance) -> list:
        return [
            ops.adapt_decimalfield_value(b.on_hand, 12, 2),
            ops.adapt_decimalfield_value(b.reserved, 12, 2),
            ops.adapt_decimalfield_value(b.value, 14, 2),
            ops.adapt_decimalfield_value(b.average_cost, 14, 4),
            ops.adapt_datetimefield_value(b.last_move_at),
            ops.adapt_datetimefield_value(b.updated_at),
            b.pk,
        ]

    columns = ("on_hand", "reserved", "value", "average_cost", "last_move_at", "updated_at")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            casts = "(%s::numeric, %s::numeric, %s::numeric, %s::numeric, %s::timestamptz, %s::timestamptz, %s::bigint)"
            values = ", ".join([casts] * len(balances))
            assignments = ", ".join(f"{name} = v.{name}" for name in columns)
            cursor.execute(
                f"UPDATE {table} AS b SET {assignments} FROM (VALUES {values}) AS v({', '.join(columns)}, id) "
                "WHERE b.id = v.id",
                [value for b in balances for value in row(b)],
            )
        else:
            assignments = ", ".join(f"{name} = %s" for name in columns)
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", [row(b) for b in balances])


# -- demand (fill rate) -----------------------------------------------------------------------------------------------


def _demand_record(*, part, warehouse, source, reference, requested, filled, at=None) -> None:
    StockDemand.objects.create(
        part=part,
        warehouse=warehouse,
        source=source,
        reference=reference[:80],
        requested=requested,
        filled=filled,
        requested_at=at or timezone.now(),
        open=filled < requested,
    )


def _with_demand(*, part, warehouse, source, reference, quantity, action, at=None):
    """Run `action` (which posts or reserves) and record the request: met at once, or a shortage left open.

    A shortage is recorded after the refused transaction has rolled back, so the refusal changes no stock.
    """
    try:
        with transaction.atomic():
            result = action()
            _demand_record(
                part=part,
                warehouse=warehouse,
                source=source,
                reference=reference,
                requested=quantity,
                filled=quantity,
                at=at,
            )
    except InsufficientStock:
        _demand_record(
            part=part, warehouse=warehouse, source=source, reference=reference, requested=quantity, filled=ZERO, at=at
        )
        raise
    return result


def demand_shortages_close(*, warehouse_id: int, part_ids: Iterable[int]) -> int:
    """A receipt closes the open shortages of the parts it brought into the warehouse."""
    return StockDemand.objects.filter(warehouse_id=warehouse_id, part_id__in=list(part_ids), open=True).update(
        open=False, closed_at=timezone.now()
    )


# -- one-move services --------------------------------------------------------------------------------------------------


def stock_issue(
    *, actor, warehouse: Warehouse, part: Part, quantity, reference: str = "", note: str = "", posted_at=None
) -> StockMove:
    """Issue parts from what is available (领料/出库). Short stock: `InsufficientStock`, nothing changes.

    `posted_at` back-dates the move and its demand record (loading history); by default, now."""
    require_perm(actor, "parts.issue_stock")
    require_visible_warehouse(actor, warehouse)
    quantity = quantity_clean(quantity)
    request = MoveRequest(
        part_id=part.pk,
        warehouse_id=warehouse.pk,
        kind=MoveKind.ISSUE,
        quantity=-quantity,
        reference=reference,
        document_type="issue",
        note=note,
    )
    return _with_demand(
        part=part,
        warehouse=warehouse,
        source=DemandSource.ISSUE,
        reference=reference,
        quantity=quantity,
        action=lambda: stock_post(actor=actor, requests=[request], posted_at=posted_at)[0],
        at=posted_at,
    )


@transaction.atomic
def stock_return(
    *,
    actor,
    warehouse: Warehouse,
    part: Part,
    quantity,
    reference: str = "",
    unit_cost=None,
    note: str = "",
    posted_at=None,
) -> StockMove:
    """Take issued parts back into stock (退料), at the given cost or else at the current average cost."""
    require_perm(actor, "parts.issue_stock")
    require_visible_warehouse(actor, warehouse)
    _require_active(warehouse)
    request = MoveRequest(
        part_id=part.pk,
        warehouse_id=warehouse.pk,
        kind=MoveKind.RETURN,
        quantity=quantity_clean(quantity),
        unit_cost=None if unit_cost in (None, "") else unit_cost_clean(unit_cost),
        reference=reference,
        document_type="return",
        note=note,
    )
    return stock_post(actor=actor, requests=[request], posted_at=posted_at)[0]


@transaction.atomic
def stock_adjust(*, actor, warehouse: Warehouse, part: Part, quantity, reason: str, unit_cost=None) -> StockMove:
    """Correct stock by a signed quantity (报溢/报损) with a reason; gains at the given or average cost."""
    require_perm(actor, "parts.adjust_stock")
    require_visible_warehouse(actor, warehouse)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the stock is adjusted.")})
    quantity = quantity_clean(quantity, allow_negative=True)
    if quantity > 0:
        _require_active(warehouse)  # a closed warehouse holds nothing (closing is refused while it holds stock)
    request = MoveRequest(
        part_id=part.pk,
        warehouse_id=warehouse.pk,
        kind=MoveKind.ADJUSTMENT,
        quantity=quantity,
        unit_cost=None if unit_cost in (None, "") else unit_cost_clean(unit_cost),
        reference=reason.strip()[:80],
        document_type="adjustment",
        note=reason.strip(),
    )
    return stock_post(actor=actor, requests=[request])[0]


@transaction.atomic
def stock_transfer(
    *, actor, source: Warehouse, destination: Warehouse, part: Part, quantity, reference: str = "", posted_at=None
) -> tuple[StockMove, StockMove]:
    """Move parts from one warehouse to another (调拨) at the source's average cost: an out move and an in move."""
    require_perm(actor, "parts.transfer_stock")
    require_visible_warehouse(actor, source)
    require_visible_warehouse(actor, destination)
    if source.pk == destination.pk:
        raise ValidationError({"destination": _("Choose another warehouse than the source.")})
    _require_active(destination, "destination")
    quantity = quantity_clean(quantity)
    if not reference:
        from aftersales.core.numbers import document_number_next

        reference = document_number_next(prefix="TR", branch=source.branch, day=local_day(posted_at))
    out_move, in_move = stock_post(
        actor=actor,
        posted_at=posted_at,
        requests=[
            MoveRequest(
                part_id=part.pk,
                warehouse_id=source.pk,
                kind=MoveKind.TRANSFER_OUT,
                quantity=-quantity,
                reference=reference,
                document_type="transfer",
                note=str(destination),
            ),
            MoveRequest(
                part_id=part.pk,
                warehouse_id=destination.pk,
                kind=MoveKind.TRANSFER_IN,
                quantity=quantity,
                mirror_previous=True,
                reference=reference,
                document_type="transfer",
                note=str(source),
            ),
        ],
    )
    return out_move, in_move


@transaction.atomic
def stock_move_reverse(*, actor, move: StockMove, note: str = "", by_document: bool = False) -> StockMove:
    """Correct a move by posting its opposite (冲销): same kind, same quantity and value with the sign turned.

    A move is reversed at most once, and a reversal is not itself reversed (post the move again instead).
    Reversing an inbound move needs the units still available; its value comes out as recorded unless
    that would leave the warehouse holding nothing with value left, in which case all the value goes.
    A move whose document keeps its own quantities (a receipt against a purchase order) is reversed through
    that document's service, which passes `by_document=True`.
    """
    require_perm(actor, "parts.adjust_stock")
    move = StockMove.objects.select_for_update().select_related("warehouse").get(pk=move.pk)
    require_visible_warehouse(actor, move.warehouse)
    if not by_document and _reversed_through_document(move):
        raise Conflict(
            _("This move belongs to a receipt against a purchase order: reverse the receipt from its page."),
            code="reverse_through_document",
        )
    if move.reverses_id is not None:
        raise Conflict(_("This move is itself a reversal; post the move again instead."), code="already_reversal")
    if move.quantity < 0:
        _require_active(move.warehouse)  # the reversal brings units back into it
    if StockMove.objects.filter(reverses_id=move.pk).exists():
        raise Conflict(_("This move has already been reversed."), code="already_reversed")
    request = MoveRequest(
        part_id=move.part_id,
        warehouse_id=move.warehouse_id,
        kind=move.kind,
        quantity=-move.quantity,
        value=-move.value,
        reference=move.reference,
        document_type=move.document_type,
        document_id=move.document_id,
        reverses_id=move.pk,
        note=note or _("Reversal of move #%(id)s") % {"id": move.pk},
    )
    return stock_post(actor=actor, requests=[request])[0]


def _reversed_through_document(move: StockMove) -> bool:
    from aftersales.parts.models import GoodsReceipt

    if move.document_type == "receipt" and move.document_id:
        return GoodsReceipt.objects.filter(pk=move.document_id, purchase_order__isnull=False).exists()
    return False


# -- reservations -------------------------------------------------------------------------------------------------------


def stock_reserve(*, actor, warehouse: Warehouse, part: Part, quantity, reference: str) -> StockReservation:
    """Promise available stock to a reference (a service order line). Short stock: `InsufficientStock`."""
    require_perm(actor, "parts.reserve_stock")
    require_visible_warehouse(actor, warehouse)
    quantity = quantity_clean(quantity)
    if not (reference or "").strip():
        raise ValidationError({"reference": _("Say what the parts are reserved for.")})

    def reserve():
        balance = balances_lock([(part.pk, warehouse.pk)])[(part.pk, warehouse.pk)]
        if quantity > balance.available:
            raise InsufficientStock(part=part, warehouse=warehouse, available=balance.available, requested=quantity)
        balance.reserved += quantity
        balance.save(update_fields=["reserved", "updated_at"])
        return StockReservation.objects.create(
            part=part, warehouse=warehouse, reference=reference.strip()[:80], quantity=quantity, created_by=actor
        )

    return _with_demand(
        part=part,
        warehouse=warehouse,
        source=DemandSource.RESERVATION,
        reference=reference,
        quantity=quantity,
        action=reserve,
    )


def stock_set_aside(*, actor, warehouse: Warehouse, part: Part, quantity, reference: str) -> StockReservation:
    """Hold units back from use without a customer's demand (defective units awaiting return): a reservation
    that, unlike `stock_reserve`, records no demand, so it does not count in the fill rate. The caller checks
    the actor's permission for its own document."""
    require_visible_warehouse(actor, warehouse)
    quantity = quantity_clean(quantity)
    balance = balances_lock([(part.pk, warehouse.pk)])[(part.pk, warehouse.pk)]
    if quantity > balance.available:
        raise InsufficientStock(part=part, warehouse=warehouse, available=balance.available, requested=quantity)
    balance.reserved += quantity
    balance.save(update_fields=["reserved", "updated_at"])
    return StockReservation.objects.create(
        part=part, warehouse=warehouse, reference=reference[:80], quantity=quantity, created_by=actor
    )


def _locked_open_reservation(reservation: StockReservation) -> StockReservation:
    reservation = (
        StockReservation.objects.select_for_update().select_related("part", "warehouse").get(pk=reservation.pk)
    )
    if reservation.status != ReservationStatus.OPEN:
        raise Conflict(
            _("This reservation is %(status)s.") % {"status": reservation.get_status_display()},
            code="reservation_closed",
        )
    return reservation


@transaction.atomic
def stock_reservation_release(*, actor, reservation: StockReservation) -> StockReservation:
    """Give back what is still reserved and not issued (e.g. the order was cancelled)."""
    require_perm(actor, "parts.reserve_stock")
    require_visible_warehouse(actor, reservation.warehouse)
    balance = balances_lock([(reservation.part_id, reservation.warehouse_id)])[
        (reservation.part_id, reservation.warehouse_id)
    ]
    reservation = _locked_open_reservation(reservation)
    balance.reserved -= reservation.remaining
    balance.save(update_fields=["reserved", "updated_at"])
    reservation.status = ReservationStatus.RELEASED
    reservation.closed_at = timezone.now()
    reservation.save(update_fields=["status", "closed_at"])
    return reservation


@transaction.atomic
def stock_issue_reserved(*, actor, reservation: StockReservation, quantity=None, note: str = "") -> StockMove:
    """Issue against a reservation: the reserved units leave stock (all that remain unless `quantity` says less)."""
    require_perm(actor, "parts.issue_stock")
    require_visible_warehouse(actor, reservation.warehouse)
    balances_lock([(reservation.part_id, reservation.warehouse_id)])  # balance first: the same order as every post
    reservation = _locked_open_reservation(reservation)
    quantity = reservation.remaining if quantity in (None, "") else quantity_clean(quantity)
    if quantity > reservation.remaining:
        raise ValidationError(
            {"quantity": _("Only %(remaining)s remain reserved.") % {"remaining": quantity_text(reservation.remaining)}}
        )
    move = stock_post(
        actor=actor,
        requests=[
            MoveRequest(
                part_id=reservation.part_id,
                warehouse_id=reservation.warehouse_id,
                kind=MoveKind.ISSUE,
                quantity=-quantity,
                reserved_delta=-quantity,
                reference=reservation.reference,
                document_type="reservation",
                document_id=reservation.pk,
                note=note,
            )
        ],
    )[0]
    reservation.issued += quantity
    if reservation.issued >= reservation.quantity:
        reservation.status = ReservationStatus.ISSUED
        reservation.closed_at = timezone.now()
    reservation.save(update_fields=["issued", "status", "closed_at"])
    return move


def balances_for(*, part_ids: Iterable[int], warehouse_id: int) -> dict[int, StockBalance]:
    """Current balances of some parts in one warehouse (no lock), keyed by part id."""
    rows = StockBalance.objects.filter(Q(part_id__in=list(part_ids)) & Q(warehouse_id=warehouse_id))
    return {b.part_id: b for b in rows}
