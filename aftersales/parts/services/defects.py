"""Defective parts (不良): record what was found, return it to the supplier or scrap it, and sum it up.

A defect found on receipt (`DefectSource.RECEIPT`) is still in the warehouse: returning it to the supplier posts a
`supplier_return` move out of stock, scrapping it an `adjustment` move out, both at the moving average, and the
move is linked as `return_move` (the move that took the units out). A defect found in use (`IN_USE`) was issued
already (it came back from a job): closing it moves no stock.

Statuses: open → returned or scrapped (`DEFECT_TRANSITIONS`); a closed defect stays closed.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import get_for_user_or_404, require_perm
from aftersales.core.audit import audit_created, audit_record
from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction
from aftersales.core.numbers import document_number_next
from aftersales.parts.choices import DefectSource, DefectStatus, MoveKind, ReservationStatus
from aftersales.parts.models import Defect, Part, StockBalance, StockReservation, Supplier, Warehouse
from aftersales.parts.selectors import part_search
from aftersales.parts.services.ledger import (
    KIND_PERMS,
    MoveRequest,
    quantity_clean,
    require_visible_warehouse,
    stock_post,
    stock_set_aside,
)

FEN = Decimal("0.01")
ZERO = Decimal("0")

#: From each status, where a defect may go, and the permission each move needs (plus the ledger's for its move).
DEFECT_TRANSITIONS = {
    DefectStatus.OPEN: {DefectStatus.RETURNED, DefectStatus.SCRAPPED},
    DefectStatus.RETURNED: set(),
    DefectStatus.SCRAPPED: set(),
}
DEFECT_TRANSITION_PERMS = {DefectStatus.RETURNED: "parts.change_defect", DefectStatus.SCRAPPED: "parts.change_defect"}
DEFECT_FIELDS = ("part", "supplier", "warehouse", "quantity", "source", "reason", "reference")


# -- reads ------------------------------------------------------------------------------------------------------------


def defect_list(
    *,
    user,
    status: str = "",
    source: str = "",
    supplier: int | None = None,
    part: int | None = None,
    warehouse: int | None = None,
    q: str = "",
) -> QuerySet:
    """Defects of the warehouses the user may see, newest first. `q` finds a part by code, OEM number or name."""
    queryset = Defect.objects.for_user(user).select_related("part", "supplier", "warehouse")
    if status:
        queryset = queryset.filter(status=status)
    if source:
        queryset = queryset.filter(source=source)
    if supplier:
        queryset = queryset.filter(supplier_id=supplier)
    if part:
        queryset = queryset.filter(part_id=part)
    if warehouse:
        queryset = queryset.filter(warehouse_id=warehouse)
    if (q or "").strip():
        queryset = queryset.filter(part__in=part_search(Part.objects.all(), q).values("pk"))
    return queryset.order_by("-id")


def defect_get(*, user, pk) -> Defect:
    """One defect the user may see (404 otherwise)."""
    return get_for_user_or_404(
        Defect.objects.select_related("part", "supplier", "warehouse__branch", "return_move", "created_by__employee"),
        user,
        pk=pk,
    )


def defect_actions(*, user, defect: Defect) -> list[str]:
    """The statuses this user may move this defect to now (the page's buttons)."""
    reachable = DEFECT_TRANSITIONS[DefectStatus(defect.status)]
    actions = []
    for status, ledger_kind in (
        (DefectStatus.RETURNED, MoveKind.SUPPLIER_RETURN),
        (DefectStatus.SCRAPPED, MoveKind.ADJUSTMENT),
    ):
        if status not in reachable or not user.has_perm(DEFECT_TRANSITION_PERMS[status]):
            continue
        if defect.source == DefectSource.RECEIPT and not user.has_perm(KIND_PERMS[ledger_kind]):
            continue
        if status == DefectStatus.RETURNED and defect.supplier_id is None:
            continue
        actions.append(status)
    return actions


@dataclass(frozen=True)
class DefectSummaryRow:
    """One part's or one supplier's defects: how many records, how many units, what they are worth."""

    pk: int | None
    code: str
    name: str
    records: int
    quantity: Decimal
    value: Decimal


@dataclass
class DefectSummary:
    by_part: list[DefectSummaryRow] = field(default_factory=list)
    by_supplier: list[DefectSummaryRow] = field(default_factory=list)
    records: int = 0
    quantity: Decimal = ZERO
    value: Decimal = ZERO


def defect_value(*, quantity: Decimal, average_cost: Decimal | None, moved_value: Decimal | None) -> Decimal:
    """A defect's value: what its move took out of stock when one was posted, else quantity × the average cost of
    the part in its warehouse now, to the fen (half up). A part never valued in that warehouse is worth 0."""
    if moved_value is not None:
        return abs(moved_value)
    return (quantity * (average_cost or ZERO)).quantize(FEN, rounding=ROUND_HALF_UP)


def defect_summary_of(rows: Iterable[dict]) -> DefectSummary:
    """Group defect rows (part/supplier ids, codes and names, quantity, value) by part and by supplier.

    Each group is sorted by value, then quantity, largest first (the parts and suppliers that cost the most on
    top); a defect without a supplier counts under a group with no code.
    """
    summary = DefectSummary()
    parts: dict = {}
    suppliers: dict = {}
    for row in rows:
        value = row["value"]
        summary.records += 1
        summary.quantity += row["quantity"]
        summary.value += value
        for groups, key, code, name in (
            (parts, row["part_id"], row["part_code"], row["part_name"]),
            (suppliers, row["supplier_id"], row["supplier_code"] or "", row["supplier_name"] or ""),
        ):
            records, quantity, total = groups.get(key, (0, ZERO, ZERO, "", ""))[:3]
            groups[key] = (records + 1, quantity + row["quantity"], total + value, code, name)

    def rows_of(groups):
        result = [DefectSummaryRow(key, code, name, n, q, v) for key, (n, q, v, code, name) in groups.items()]
        return sorted(result, key=lambda r: (-r.value, -r.quantity, r.code))

    summary.by_part, summary.by_supplier = rows_of(parts), rows_of(suppliers)
    return summary


def defect_summary(*, user, date_from=None, date_to=None, warehouse: Warehouse | int | None = None) -> DefectSummary:
    """The defects recorded from `date_from` to `date_to` (local dates, both included) in the warehouses the user
    may see, or one of them, by part and by supplier: records, quantity and value at average cost."""
    average_cost = Subquery(
        StockBalance.objects.filter(part_id=OuterRef("part_id"), warehouse_id=OuterRef("warehouse_id"))
        .order_by()
        .values("average_cost")[:1]
    )
    queryset = Defect.objects.for_user(user)
    if date_from:
        queryset = queryset.filter(created_at__date__gte=date_from)
    if date_to:
        queryset = queryset.filter(created_at__date__lte=date_to)
    if warehouse:
        queryset = queryset.filter(warehouse_id=getattr(warehouse, "pk", warehouse))
    values = queryset.annotate(average_cost=average_cost).values(
        "part_id",
        "part__code",
        "part__name",
        "supplier_id",
        "supplier__code",
        "supplier__name",
        "quantity",
        "average_cost",
        "return_move__value",
    )
    return defect_summary_of(
        {
            "part_id": row["part_id"],
            "part_code": row["part__code"],
            "part_name": row["part__name"],
            "supplier_id": row["supplier_id"],
            "supplier_code": row["supplier__code"],
            "supplier_name": row["supplier__name"],
            "quantity": row["quantity"],
            "value": defect_value(
                quantity=row["quantity"], average_cost=row["average_cost"], moved_value=row["return_move__value"]
            ),
        }
        for row in values.order_by()
    )


# -- writes -----------------------------------------------------------------------------------------------------------


@transaction.atomic
def defect_record(
    *,
    actor,
    part: Part,
    warehouse: Warehouse,
    quantity,
    reason: str,
    source: str,
    supplier: Supplier | None = None,
    reference: str = "",
) -> Defect:
    """Record a defective part, numbered `DF-<branch>-<day>-NNNN`; the supplier defaults to the part's usual one.

    Moves no stock. A defect found on receipt is set aside in its warehouse (reserved under the defect's
    number, so nobody can issue it) until it is returned or scrapped; its units must be available.
    """
    require_perm(actor, "parts.add_defect")
    require_visible_warehouse(actor, warehouse)
    errors = {}
    try:
        quantity = quantity_clean(quantity)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say what is wrong with the part.")]
    if source not in DefectSource.values:
        errors["source"] = [_("Choose where the defect was found.")]
    if errors:
        raise ValidationError(errors)
    defect = Defect(
        number=document_number_next(prefix="DF", branch=warehouse.branch),
        part=part,
        supplier=supplier or part.supplier,
        warehouse=warehouse,
        quantity=quantity,
        source=source,
        reason=reason[:200],
        reference=(reference or "").strip()[:80],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    defect.full_clean()
    defect.save()
    if source == DefectSource.RECEIPT:
        stock_set_aside(actor=actor, warehouse=warehouse, part=part, quantity=quantity, reference=defect.number)
    audit_created(actor=actor, instance=defect, fields=DEFECT_FIELDS)
    return defect


def _set_aside_of(defect: Defect) -> StockReservation | None:
    return (
        StockReservation.objects.select_for_update()
        .filter(
            part_id=defect.part_id,
            warehouse_id=defect.warehouse_id,
            reference=defect.number,
            status=ReservationStatus.OPEN,
        )
        .first()
    )


def _defect_close(*, actor, defect: Defect, to: DefectStatus, kind: str, note: str) -> Defect:
    """Close an open defect: lock it, check the table, post its move out of stock if it is in stock, audit."""
    require_perm(actor, DEFECT_TRANSITION_PERMS[to])
    locked = Defect.objects.select_for_update().get(pk=defect.pk)
    locked.warehouse = Warehouse.objects.select_related("branch").get(pk=locked.warehouse_id)
    require_visible_warehouse(actor, locked.warehouse)
    before = DefectStatus(locked.status)
    if to not in DEFECT_TRANSITIONS[before]:
        raise Conflict(
            _("Defect %(number)s is already %(status)s.") % {"number": locked.number, "status": before.label},
            code="defect_closed",
        )
    if to == DefectStatus.RETURNED and locked.supplier_id is None:
        raise Conflict(
            _("Defect %(number)s names no supplier to return it to; scrap it instead.") % {"number": locked.number},
            code="no_supplier",
        )
    payload = {"from": before.value, "to": to.value}
    if locked.source == DefectSource.RECEIPT:
        require_perm(actor, KIND_PERMS[kind])
        set_aside = _set_aside_of(locked)
        held = set_aside.remaining if set_aside is not None else ZERO
        (move,) = stock_post(
            actor=actor,
            requests=[
                MoveRequest(
                    part_id=locked.part_id,
                    warehouse_id=locked.warehouse_id,
                    kind=kind,
                    quantity=-locked.quantity,
                    unit_cost=None,
                    reserved_delta=-held,
                    reference=locked.number,
                    document_type="defect",
                    document_id=locked.pk,
                    note=note,
                )
            ],
        )
        locked.return_move = move
        payload["move"] = move.pk
        if set_aside is not None:
            set_aside.issued, set_aside.status = set_aside.quantity, ReservationStatus.ISSUED
            set_aside.closed_at = timezone.now()
            set_aside.save(update_fields=["issued", "status", "closed_at"])
    locked.status = to
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at", "return_move", "updated_at"])
    audit_record(
        actor=actor,
        instance=locked,
        action=AuditAction.STATUS,
        changes={"status": {"before": before.value, "after": to.value}},
        payload=payload,
    )
    defect.status, defect.closed_at, defect.return_move = locked.status, locked.closed_at, locked.return_move
    return locked


@transaction.atomic
def defect_return_to_supplier(*, actor, defect: Defect) -> Defect:
    """Send the defective units back to the supplier. Found on receipt: a `supplier_return` move out of the
    warehouse at the average cost (`InsufficientStock` when they are not available). Found in use: no move."""
    supplier = defect.supplier.code if defect.supplier_id else ""
    return _defect_close(
        actor=actor,
        defect=defect,
        to=DefectStatus.RETURNED,
        kind=MoveKind.SUPPLIER_RETURN,
        note=_("Defect %(number)s returned to %(supplier)s") % {"number": defect.number, "supplier": supplier},
    )


@transaction.atomic
def defect_scrap(*, actor, defect: Defect) -> Defect:
    """Write the defective units off. Found on receipt: an `adjustment` move out at the average cost."""
    return _defect_close(
        actor=actor,
        defect=defect,
        to=DefectStatus.SCRAPPED,
        kind=MoveKind.ADJUSTMENT,
        note=_("scrapped defect %(number)s") % {"number": defect.number},
    )
