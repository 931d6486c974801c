"""API of purchasing: purchase orders, their status moves and receipts, and suggested orders.

Quantities and amounts are decimal strings in JSON (`"10.00"`); they may be sent as strings or numbers.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from aftersales.core.api import ErrorOut, ListOut, api_page, require_api_perm, resolve
from aftersales.parts.api import MoveOut, ReceiptOut, line_parts, receipt_out
from aftersales.parts.choices import PurchaseStatus
from aftersales.parts.models import PurchaseOrder, Supplier, Warehouse
from aftersales.parts.services import purchasing

router = Router(tags=["purchasing"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class OrderLineOut(Schema):
    id: int
    part: int = Field(alias="part_id")
    part_code: str = Field(alias="part.code")
    quantity: Decimal
    unit_cost: Decimal
    received: Decimal
    outstanding: Decimal


class OrderOut(Schema):
    id: int
    number: str
    supplier: int = Field(alias="supplier_id")
    warehouse: int = Field(alias="warehouse_id")
    status: str
    expected_on: datetime.date | None
    ordered_at: datetime.datetime | None
    notes: str
    total: Decimal
    created_at: datetime.datetime
    lines: list[OrderLineOut]


def order_out(order: PurchaseOrder) -> dict:
    """An order with its lines (loaded by `purchase_order_lines_attach`)."""
    return {
        "id": order.pk,
        "number": order.number,
        "supplier_id": order.supplier_id,
        "warehouse_id": order.warehouse_id,
        "status": order.status,
        "expected_on": order.expected_on,
        "ordered_at": order.ordered_at,
        "notes": order.notes,
        "total": order.total,
        "created_at": order.created_at,
        "lines": list(order.lines.all()),
    }


class OrderLineIn(Schema):
    part: int
    quantity: Decimal
    unit_cost: Decimal | None = None


class OrderIn(Schema):
    supplier: int
    warehouse: int
    lines: list[OrderLineIn]
    expected_on: datetime.date | None = None
    notes: str = ""


class ReasonIn(Schema):
    reason: str = Field("", max_length=200)


class ReceiveLineIn(Schema):
    line: int
    quantity: Decimal
    unit_cost: Decimal | None = None


class ReceiveIn(Schema):
    lines: list[ReceiveLineIn]
    note: str = Field("", max_length=200)


class SuggestionOut(Schema):
    part: int
    part_code: str
    supplier: int | None
    on_hand: Decimal
    reserved: Decimal
    on_order: Decimal
    shortage: Decimal
    position: Decimal
    reorder_point: Decimal
    reorder_quantity: Decimal
    quantity: Decimal
    unit_cost: Decimal


def _order(request, order_id: int) -> PurchaseOrder:
    return purchasing.purchase_order_detail(user=request.user, pk=order_id)


@router.get("/purchase-orders", response={200: ListOut[OrderOut], **ERRORS})
def purchase_order_list(
    request,
    status: str = "",
    supplier: int | None = None,
    warehouse: int | None = None,
    q: str = "",
    page: int = 1,
    page_size: int = 50,
):
    require_api_perm(request, "parts.view_purchaseorder")
    if status and status not in PurchaseStatus.values:
        raise ValidationError(
            {"status": _("Choose one of: %(values)s.") % {"values": ", ".join(PurchaseStatus.values)}}
        )
    queryset = purchasing.purchase_order_list(
        user=request.user, status=status, supplier=supplier, warehouse=warehouse, q=q
    )
    result = api_page(queryset, page=page, page_size=page_size)
    purchasing.purchase_order_lines_attach(result["items"])
    return {"items": [order_out(order) for order in result["items"]], "count": result["count"]}


@router.post("/purchase-orders", response={201: OrderOut, **ERRORS})
def purchase_order_create(request, payload: OrderIn):
    require_api_perm(request, "parts.add_purchaseorder")
    supplier = resolve(Supplier.objects, request.user, payload.supplier, "supplier")
    warehouse = resolve(Warehouse.objects, request.user, payload.warehouse, "warehouse")
    parts = line_parts(request, payload.lines)
    lines = [(part, line.quantity, line.unit_cost) for part, line in zip(parts, payload.lines, strict=True)]
    order = purchasing.purchase_order_create(
        actor=request.user,
        supplier=supplier,
        warehouse=warehouse,
        lines=lines,
        expected_on=payload.expected_on,
        notes=payload.notes,
    )
    return Status(201, order_out(_order(request, order.pk)))


@router.get("/purchase-orders/{order_id}", response={200: OrderOut, **ERRORS})
def purchase_order_get(request, order_id: int):
    order = _order(request, order_id)
    require_api_perm(request, "parts.view_purchaseorder")
    return order_out(order)


def _move(request, order_id: int, service, **kwargs):
    order = _order(request, order_id)
    require_api_perm(request, "parts.change_purchaseorder")
    service(actor=request.user, order=order, **kwargs)
    return order_out(_order(request, order_id))


@router.post("/purchase-orders/{order_id}/place", response={200: OrderOut, **ERRORS})
def purchase_order_place(request, order_id: int):
    return _move(request, order_id, purchasing.purchase_order_place)


@router.post("/purchase-orders/{order_id}/cancel", response={200: OrderOut, **ERRORS})
def purchase_order_cancel(request, order_id: int, payload: ReasonIn | None = None):
    return _move(request, order_id, purchasing.purchase_order_cancel, reason=payload.reason if payload else "")


@router.post("/purchase-orders/{order_id}/close", response={200: OrderOut, **ERRORS})
def purchase_order_close(request, order_id: int, payload: ReasonIn | None = None):
    return _move(request, order_id, purchasing.purchase_order_close, reason=payload.reason if payload else "")


@router.post("/purchase-orders/{order_id}/receipts", response={201: ReceiptOut, **ERRORS})
def purchase_order_receive(request, order_id: int, payload: ReceiveIn):
    order = _order(request, order_id)
    require_api_perm(request, "parts.receive_stock")
    lines = {line.pk: line for line in order.lines.all()}
    wanted = []
    for index, item in enumerate(payload.lines):
        line = lines.get(item.line)
        if line is None:
            raise ValidationError(
                {f"lines.{index}.line": _("This line is not on purchase order %(number)s.") % {"number": order.number}}
            )
        wanted.append((line, item.quantity, item.unit_cost))
    receipt = purchasing.purchase_order_receive(actor=request.user, order=order, lines=wanted, note=payload.note)
    return Status(201, receipt_out(receipt))


@router.post("/purchase-orders/{order_id}/receipts/{receipt_id}/reverse", response={201: list[MoveOut], **ERRORS})
def purchase_receipt_reverse(request, order_id: int, receipt_id: int):
    order = _order(request, order_id)
    receipt = purchasing.purchase_receipt_get(user=request.user, order=order, pk=receipt_id)
    require_api_perm(request, "parts.receive_stock")
    return Status(201, purchasing.purchase_receipt_reverse(actor=request.user, receipt=receipt))


@router.get("/purchase-suggestions", response={200: ListOut[SuggestionOut], **ERRORS})
def purchase_suggestion_list(request, warehouse: int):
    require_api_perm(request, "parts.view_purchaseorder")
    found = resolve(Warehouse.objects, request.user, warehouse, "warehouse")
    items = [
        {
            "part": s.part.pk,
            "part_code": s.part.code,
            "supplier": s.part.supplier_id,
            "on_hand": s.on_hand,
            "reserved": s.reserved,
            "on_order": s.on_order,
            "shortage": s.shortage,
            "position": s.position,
            "reorder_point": s.part.reorder_point,
            "reorder_quantity": s.part.reorder_quantity,
            "quantity": s.quantity,
            "unit_cost": s.unit_cost,
        }
        for group in purchasing.purchase_suggestions(user=request.user, warehouse=found)
        for s in group.lines
    ]
    return {"items": items, "count": len(items)}
