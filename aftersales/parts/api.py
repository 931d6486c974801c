"""API of parts: the catalogue, suppliers, warehouses, stock balances, the ledger, receipts, issues, reservations.

Quantities and amounts are decimal strings in JSON (`"10.00"`); they may be sent as strings or numbers.
"""

import datetime
from decimal import Decimal
from typing import Annotated

from ninja import Field, Router, Schema, Status
from pydantic import BeforeValidator

from aftersales.core.api import ErrorOut, ListOut, api_page, require_api_perm, resolve
from aftersales.org.models import Branch
from aftersales.parts import selectors
from aftersales.parts.models import Part, StockMove, StockReservation, Supplier, Warehouse
from aftersales.parts.services import catalogue, ledger
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive

router = Router(tags=["parts"])

#: An id filter of a list; an empty one (`?part=&warehouse=`, as the issue writes the filters) means "any".
IdFilter = Annotated[int | None, BeforeValidator(lambda value: None if value == "" else value)]
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# -- parts ------------------------------------------------------------------------------------------------------------


class PartOut(Schema):
    id: int
    code: str
    name: str
    oem_number: str
    brand: str
    category: str
    unit: str
    barcode: str
    retail_price: Decimal
    warranty_price: Decimal
    reorder_point: Decimal
    reorder_quantity: Decimal
    supplier: int | None = Field(alias="supplier_id")
    active: bool


class PartIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=100)
    unit: str = Field("个", max_length=10)
    retail_price: Decimal = Decimal("0")
    oem_number: str = Field("", max_length=40)
    reorder_point: Decimal = Decimal("0")
    brand: str = Field("", max_length=40)
    category: str = Field("", max_length=40)
    barcode: str = Field("", max_length=40)
    warranty_price: Decimal = Decimal("0")
    reorder_quantity: Decimal = Decimal("0")
    supplier: int | None = None


class PartPatch(Schema):
    code: str | None = Field(None, max_length=40)
    name: str | None = Field(None, max_length=100)
    unit: str | None = Field(None, max_length=10)
    retail_price: Decimal | None = None
    oem_number: str | None = Field(None, max_length=40)
    reorder_point: Decimal | None = None
    brand: str | None = Field(None, max_length=40)
    category: str | None = Field(None, max_length=40)
    barcode: str | None = Field(None, max_length=40)
    warranty_price: Decimal | None = None
    reorder_quantity: Decimal | None = None
    supplier: int | None = None
    active: bool | None = None


def _supplier(request, data: dict) -> dict:
    if data.get("supplier") is not None:
        data["supplier"] = resolve(Supplier.objects, request.user, data["supplier"], "supplier")
    return data


@router.get("/parts", response={200: ListOut[PartOut], **ERRORS})
def part_list(request, q: str = "", category: str = "", active: bool | None = None, page: int = 1, page_size: int = 50):
    require_api_perm(request, "parts.view_part")
    queryset = selectors.part_list(user=request.user, q=q, category=category, active=active)
    return api_page(queryset, page=page, page_size=page_size)


@router.post("/parts", response={201: PartOut, **ERRORS})
def part_create(request, payload: PartIn):
    require_api_perm(request, "parts.add_part")
    part = catalogue.part_create(actor=request.user, **_supplier(request, payload.dict()))
    return Status(201, Part.objects.get(pk=part.pk))  # as stored: amounts to the fen, like every later read


@router.get("/parts/{part_id}", response={200: PartOut, **ERRORS})
def part_get(request, part_id: int):
    part = selectors.part_detail(user=request.user, pk=part_id)
    require_api_perm(request, "parts.view_part")
    return part


@router.patch("/parts/{part_id}", response={200: PartOut, **ERRORS})
def part_patch(request, part_id: int, payload: PartPatch):
    part = selectors.part_detail(user=request.user, pk=part_id)
    require_api_perm(request, "parts.change_part")
    catalogue.part_update(actor=request.user, part=part, data=_supplier(request, payload.dict(exclude_unset=True)))
    return Part.objects.get(pk=part.pk)


# -- suppliers --------------------------------------------------------------------------------------------------------


class SupplierOut(Schema):
    id: int
    code: str
    name: str
    contact: str
    phone: str
    address: str
    active: bool


class SupplierIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=100)
    contact: str = Field("", max_length=60)
    phone: str = Field("", max_length=30)
    address: str = Field("", max_length=200)
    notes: str = ""


@router.get("/suppliers", response={200: ListOut[SupplierOut], **ERRORS})
def supplier_list(request, q: str = "", page: int = 1, page_size: int = 50):
    require_api_perm(request, "parts.view_supplier")
    return api_page(selectors.supplier_list(user=request.user, q=q, active=None), page=page, page_size=page_size)


@router.post("/suppliers", response={201: SupplierOut, **ERRORS})
def supplier_create(request, payload: SupplierIn):
    require_api_perm(request, "parts.add_supplier")
    return Status(201, catalogue.supplier_create(actor=request.user, **payload.dict()))


# -- warehouses -------------------------------------------------------------------------------------------------------


class WarehouseOut(Schema):
    id: int
    code: str
    name: str
    branch: int = Field(alias="branch_id")
    is_default: bool
    address: str
    active: bool


class WarehouseIn(Schema):
    code: str = Field(max_length=20)
    name: str = Field(max_length=100)
    branch: int
    is_default: bool = False
    address: str = Field("", max_length=200)


@router.get("/warehouses", response={200: ListOut[WarehouseOut], **ERRORS})
def warehouse_list(request, branch: IdFilter = None, page: int = 1, page_size: int = 50):
    require_api_perm(request, "parts.view_warehouse")
    return api_page(selectors.warehouse_list(user=request.user, branch=branch), page=page, page_size=page_size)


@router.get("/warehouses/{warehouse_id}", response={200: WarehouseOut, **ERRORS})
def warehouse_get(request, warehouse_id: int):
    warehouse = selectors.warehouse_detail(user=request.user, pk=warehouse_id)
    require_api_perm(request, "parts.view_warehouse")
    return warehouse


@router.post("/warehouses", response={201: WarehouseOut, **ERRORS})
def warehouse_create(request, payload: WarehouseIn):
    require_api_perm(request, "parts.add_warehouse")
    branch = resolve(Branch.objects, request.user, payload.branch, "branch")
    warehouse = catalogue.warehouse_create(actor=request.user, **{**payload.dict(), "branch": branch})
    return Status(201, warehouse)


# -- stock ------------------------------------------------------------------------------------------------------------


class BalanceOut(Schema):
    part: int = Field(alias="part_id")
    part_code: str = Field(alias="part.code")
    warehouse: int = Field(alias="warehouse_id")
    warehouse_code: str = Field(alias="warehouse.code")
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    average_cost: Decimal
    value: Decimal


class MoveOut(Schema):
    id: int
    posted_at: datetime.datetime
    kind: str
    part: int = Field(alias="part_id")
    warehouse: int = Field(alias="warehouse_id")
    quantity: Decimal
    unit_cost: Decimal
    value: Decimal
    on_hand_after: Decimal
    value_after: Decimal
    reference: str
    reverses: int | None = Field(alias="reverses_id")
    note: str
    created_by: int | None = Field(alias="created_by_id")


@router.get("/stock", response={200: ListOut[BalanceOut], **ERRORS})
def stock_list(
    request,
    part: IdFilter = None,
    warehouse: IdFilter = None,
    branch: IdFilter = None,
    page: int = 1,
    page_size: int = 50,
):
    require_api_perm(request, "parts.view_stockbalance")
    queryset = selectors.balance_list(user=request.user, part=part, warehouse=warehouse, branch=branch)
    return api_page(queryset, page=page, page_size=page_size)


@router.get("/stock/moves", response={200: ListOut[MoveOut], **ERRORS})
def move_list(
    request,
    part: IdFilter = None,
    warehouse: IdFilter = None,
    kind: str = "",
    reference: str = "",
    page: int = 1,
    page_size: int = 50,
):
    require_api_perm(request, "parts.view_stockmove")
    queryset = selectors.move_list(user=request.user, part=part, warehouse=warehouse, kind=kind, reference=reference)
    return api_page(queryset, page=page, page_size=page_size)


@router.get("/stock/moves/{move_id}", response={200: MoveOut, **ERRORS})
def move_get(request, move_id: int):
    """One move. Moves are never changed or deleted (there is no PATCH or DELETE): post a reversal instead."""
    move = selectors.move_detail(user=request.user, pk=move_id)
    require_api_perm(request, "parts.view_stockmove")
    return move


class ReceiptLineSchema(Schema):
    part: int
    quantity: Decimal
    unit_cost: Decimal


class ReceiptIn(Schema):
    warehouse: int
    lines: list[ReceiptLineSchema]
    supplier: int | None = None
    note: str = Field("", max_length=200)


class ReceiptLineOut(Schema):
    part: int = Field(alias="part_id")
    quantity: Decimal
    unit_cost: Decimal
    move: int | None = Field(alias="move_id")


class ReceiptOut(Schema):
    id: int
    number: str
    warehouse: int = Field(alias="warehouse_id")
    supplier: int | None = Field(alias="supplier_id")
    purchase_order: int | None = Field(alias="purchase_order_id")
    note: str
    created_at: datetime.datetime
    lines: list[ReceiptLineOut]
    moves: list[MoveOut]


def line_parts(request, lines) -> list[Part]:
    """The part of each line of a request body (`lines[i].part` ids), in one query; 422 naming the line if unknown."""
    parts = Part.objects.for_user(request.user).in_bulk({line.part for line in lines})
    for index, line in enumerate(lines):
        if line.part not in parts:
            resolve(Part.objects, request.user, line.part, f"lines.{index}.part")
    return [parts[line.part] for line in lines]


def receipt_out(receipt) -> dict:
    lines = list(receipt.lines.select_related("move").order_by("id"))
    return {
        "id": receipt.pk,
        "number": receipt.number,
        "warehouse_id": receipt.warehouse_id,
        "supplier_id": receipt.supplier_id,
        "purchase_order_id": receipt.purchase_order_id,
        "note": receipt.note,
        "created_at": receipt.created_at,
        "lines": lines,
        "moves": [line.move for line in lines if line.move_id],
    }


@router.post("/stock/receipts", response={201: ReceiptOut, **ERRORS})
def stock_receipt_create(request, payload: ReceiptIn):
    require_api_perm(request, "parts.receive_stock")
    warehouse = resolve(Warehouse.objects, request.user, payload.warehouse, "warehouse")
    supplier = resolve(Supplier.objects, request.user, payload.supplier, "supplier")
    parts = line_parts(request, payload.lines)
    lines = [
        ReceiptLineIn(part=part, quantity=line.quantity, unit_cost=line.unit_cost)
        for part, line in zip(parts, payload.lines, strict=True)
    ]
    receipt = stock_receive(actor=request.user, warehouse=warehouse, lines=lines, supplier=supplier, note=payload.note)
    return Status(201, receipt_out(receipt))


class IssueIn(Schema):
    warehouse: int
    part: int
    quantity: Decimal
    reference: str = Field("", max_length=80)
    note: str = Field("", max_length=200)


@router.post("/stock/issues", response={201: MoveOut, **ERRORS})
def stock_issue(request, payload: IssueIn):
    require_api_perm(request, "parts.issue_stock")
    warehouse = resolve(Warehouse.objects, request.user, payload.warehouse, "warehouse")
    part = resolve(Part.objects, request.user, payload.part, "part")
    move = ledger.stock_issue(
        actor=request.user,
        warehouse=warehouse,
        part=part,
        quantity=payload.quantity,
        reference=payload.reference,
        note=payload.note,
    )
    return Status(201, move)


class ReturnIn(Schema):
    warehouse: int
    part: int
    quantity: Decimal
    reference: str = Field("", max_length=80)
    unit_cost: Decimal | None = None


@router.post("/stock/returns", response={201: MoveOut, **ERRORS})
def stock_return(request, payload: ReturnIn):
    require_api_perm(request, "parts.issue_stock")
    warehouse = resolve(Warehouse.objects, request.user, payload.warehouse, "warehouse")
    part = resolve(Part.objects, request.user, payload.part, "part")
    move = ledger.stock_return(
        actor=request.user,
        warehouse=warehouse,
        part=part,
        quantity=payload.quantity,
        reference=payload.reference,
        unit_cost=payload.unit_cost,
    )
    return Status(201, move)


class TransferIn(Schema):
    source: int
    destination: int
    part: int
    quantity: Decimal
    reference: str = Field("", max_length=80)


class TransferOut(Schema):
    out_move: MoveOut
    in_move: MoveOut


@router.post("/stock/transfers", response={201: TransferOut, **ERRORS})
def stock_transfer(request, payload: TransferIn):
    require_api_perm(request, "parts.transfer_stock")
    source = resolve(Warehouse.objects, request.user, payload.source, "source")
    destination = resolve(Warehouse.objects, request.user, payload.destination, "destination")
    part = resolve(Part.objects, request.user, payload.part, "part")
    out_move, in_move = ledger.stock_transfer(
        actor=request.user,
        source=source,
        destination=destination,
        part=part,
        quantity=payload.quantity,
        reference=payload.reference,
    )
    return Status(201, {"out_move": out_move, "in_move": in_move})


class AdjustmentIn(Schema):
    warehouse: int
    part: int
    quantity: Decimal
    reason: str = Field(max_length=200)
    unit_cost: Decimal | None = None


@router.post("/stock/adjustments", response={201: MoveOut, **ERRORS})
def stock_adjustment(request, payload: AdjustmentIn):
    require_api_perm(request, "parts.adjust_stock")
    warehouse = resolve(Warehouse.objects, request.user, payload.warehouse, "warehouse")
    part = resolve(Part.objects, request.user, payload.part, "part")
    move = ledger.stock_adjust(
        actor=request.user,
        warehouse=warehouse,
        part=part,
        quantity=payload.quantity,
        reason=payload.reason,
        unit_cost=payload.unit_cost,
    )
    return Status(201, move)


class ReverseIn(Schema):
    note: str = Field("", max_length=200)


@router.post("/stock/moves/{move_id}/reverse", response={201: MoveOut, **ERRORS})
def stock_move_reverse(request, move_id: int, payload: ReverseIn):
    move = selectors.move_detail(user=request.user, pk=move_id)
    require_api_perm(request, "parts.adjust_stock")
    return Status(201, ledger.stock_move_reverse(actor=request.user, move=move, note=payload.note))


# -- reservations -----------------------------------------------------------------------------------------------------


class ReservationOut(Schema):
    id: int
    part: int = Field(alias="part_id")
    warehouse: int = Field(alias="warehouse_id")
    reference: str
    quantity: Decimal
    issued: Decimal
    remaining: Decimal
    status: str
    created_at: datetime.datetime


class ReservationIn(Schema):
    warehouse: int
    part: int
    quantity: Decimal
    reference: str = Field(max_length=80)


class ReservationIssueIn(Schema):
    quantity: Decimal | None = None


@router.get("/stock/reservations", response={200: ListOut[ReservationOut], **ERRORS})
def reservation_list(
    request, part: IdFilter = None, warehouse: IdFilter = None, status: str = "", page: int = 1, page_size: int = 50
):
    require_api_perm(request, "parts.view_stockreservation")
    queryset = selectors.reservation_list(user=request.user, part=part, warehouse=warehouse, status=status)
    return api_page(queryset, page=page, page_size=page_size)


@router.post("/stock/reservations", response={201: ReservationOut, **ERRORS})
def reservation_create(request, payload: ReservationIn):
    require_api_perm(request, "parts.reserve_stock")
    warehouse = resolve(Warehouse.objects, request.user, payload.warehouse, "warehouse")
    part = resolve(Part.objects, request.user, payload.part, "part")
    reservation = ledger.stock_reserve(
        actor=request.user, warehouse=warehouse, part=part, quantity=payload.quantity, reference=payload.reference
    )
    return Status(201, reservation)


@router.post("/stock/reservations/{reservation_id}/release", response={200: ReservationOut, **ERRORS})
def reservation_release(request, reservation_id: int):
    reservation = selectors.reservation_detail(user=request.user, pk=reservation_id)
    require_api_perm(request, "parts.reserve_stock")
    return ledger.stock_reservation_release(actor=request.user, reservation=reservation)


@router.post("/stock/reservations/{reservation_id}/issue", response={201: MoveOut, **ERRORS})
def reservation_issue(request, reservation_id: int, payload: ReservationIssueIn):
    reservation = selectors.reservation_detail(user=request.user, pk=reservation_id)
    require_api_perm(request, "parts.issue_stock")
    move = ledger.stock_issue_reserved(actor=request.user, reservation=reservation, quantity=payload.quantity)
    return Status(201, move)


__all__ = ["MoveOut", "StockMove", "StockReservation", "router"]
