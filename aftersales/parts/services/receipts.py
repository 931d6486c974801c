"""Receipts of parts into a warehouse (入库): a numbered document whose lines post moves at the received cost."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.numbers import document_number_next
from aftersales.parts.choices import MoveKind
from aftersales.parts.models import GoodsReceipt, GoodsReceiptLine, Part, PurchaseOrderLine, Supplier, Warehouse
from aftersales.parts.services.ledger import (
    MoveRequest,
    demand_shortages_close,
    local_day,
    quantity_clean,
    require_visible_warehouse,
    stock_post,
    unit_cost_clean,
)


@dataclass(frozen=True)
class ReceiptLineIn:
    part: Part
    quantity: object
    unit_cost: object
    purchase_line: PurchaseOrderLine | None = None


def _active_part(part: Part) -> Part:
    if not part.active:
        raise ValidationError({"part": _("Part %(code)s is no longer active.") % {"code": part.code}})
    return part


def _clean_lines(lines: Sequence[ReceiptLineIn]) -> list[ReceiptLineIn]:
    if not lines:
        raise ValidationError({"lines": _("Add at least one line.")})
    cleaned, errors = [], {}
    for index, line in enumerate(lines):
        values = {}
        fields = (
            ("part", _active_part, line.part),
            ("quantity", quantity_clean, line.quantity),
            ("unit_cost", unit_cost_clean, line.unit_cost),
        )
        for name, clean, raw in fields:  # every field of the line is checked, so all its errors show at once
            try:
                values[name] = clean(raw)
            except ValidationError as exc:
                errors.update({f"lines.{index}.{field}": messages for field, messages in exc.message_dict.items()})
        if len(values) == len(fields):
            cleaned.append(ReceiptLineIn(purchase_line=line.purchase_line, **values))
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def stock_receive(
    *,
    actor,
    warehouse: Warehouse,
    lines: Sequence[ReceiptLineIn],
    supplier: Supplier | None = None,
    purchase_order=None,
    note: str = "",
    posted_at=None,
) -> GoodsReceipt:
    """Receive parts: a receipt numbered `GR-<branch>-<day>-NNNN`, one receipt move per line at its cost.

    Closes the open shortages of the received parts in that warehouse. Purchase-order bookkeeping (what
    has arrived of each line) is the purchasing service's, which calls this one.
    """
    require_perm(actor, "parts.receive_stock")
    require_visible_warehouse(actor, warehouse)
    if not warehouse.active:
        raise ValidationError({"warehouse": _("Warehouse %(code)s is closed.") % {"code": warehouse.code}})
    lines = _clean_lines(lines)
    receipt = GoodsReceipt.objects.create(
        number=document_number_next(prefix="GR", branch=warehouse.branch, day=local_day(posted_at)),
        warehouse=warehouse,
        supplier=supplier,
        purchase_order=purchase_order,
        note=note.strip()[:200],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    moves = stock_post(
        actor=actor,
        posted_at=posted_at,
        requests=[
            MoveRequest(
                part_id=line.part.pk,
                warehouse_id=warehouse.pk,
                kind=MoveKind.RECEIPT,
                quantity=line.quantity,
                unit_cost=line.unit_cost,
                reference=receipt.number,
                document_type="receipt",
                document_id=receipt.pk,
            )
            for line in lines
        ],
    )
    GoodsReceiptLine.objects.bulk_create(
        [
            GoodsReceiptLine(
                receipt=receipt,
                part=line.part,
                quantity=line.quantity,
                unit_cost=line.unit_cost,
                purchase_line=line.purchase_line,
                move=move,
            )
            for line, move in zip(lines, moves, strict=True)
        ]
    )
    demand_shortages_close(warehouse_id=warehouse.pk, part_ids={line.part.pk for line in lines})
    return receipt
