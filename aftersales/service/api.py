"""API of service orders: open an order, add lines, move it through its steps, and the technician's jobs.

Amounts are decimal strings in JSON. A step the status does not allow answers 409 naming the status; a role
that may not take it, 403; payments that do not add up, 422.
"""

import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Router, Schema, Status
from pydantic import BeforeValidator

from aftersales.core.api import ErrorOut, ListOut, api_page, require_api_perm, resolve
from aftersales.customers.models import Asset, Customer
from aftersales.org.models import Branch, Team, User
from aftersales.parts.models import Part
from aftersales.service import selectors
from aftersales.service.models import ServiceOrder
from aftersales.service.services import installation, jobs, lines, orders
from aftersales.service.totals import order_totals

router = Router(tags=["service orders"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
IdFilter = Annotated[int | None, BeforeValidator(lambda value: None if value == "" else value)]
OrderTypeIn = Literal["repair", "maintenance", "accident", "warranty", "installation", "inspection", "call_out"]
PayerIn = Literal["customer", "warranty", "insurance", "internal", "goodwill"]
ActionName = Literal[
    "submit_estimate",
    "approve",
    "issue_parts",
    "dispatch",
    "qc_pass",
    "qc_fail",
    "settle",
    "deliver",
    "complete",
    "cancel",
]
JobAction = Literal["start", "pause", "resume", "finish"]


class LineOut(Schema):
    id: int
    kind: str
    name: str
    payer: str
    consent: str
    hours: Decimal
    rate: Decimal
    skill: str
    min_level: int
    bay_kind: str
    technician: int | None = Field(alias="technician_id")
    job_status: str
    rework_count: int
    part: int | None = Field(alias="part_id")
    quantity: Decimal
    unit_price: Decimal
    part_state: str
    amount: Decimal


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: int | None = Field(alias="actor_id")
    created_at: datetime.datetime
    payload: dict[str, Any]


class PaymentOut(Schema):
    method: str
    amount: Decimal


class OrderBrief(Schema):
    id: int
    number: str
    status: str
    type: str
    branch: int = Field(alias="branch_id")
    customer: int = Field(alias="customer_id")
    asset: int | None = Field(alias="asset_id")
    advisor: int | None = Field(alias="advisor_id")
    assignee: int | None = Field(alias="assignee_id")
    team: int | None = Field(alias="team_id")
    promised_at: datetime.datetime | None
    scheduled_at: datetime.datetime | None
    created_at: datetime.datetime


class OrderOut(OrderBrief):
    mileage: int | None
    fuel: str
    concerns: str
    walkaround: dict[str, Any]
    valuables_acknowledged: bool
    response_due_at: datetime.datetime | None
    insurer: str
    report: str
    acceptance: dict[str, Any]
    consented_total: Decimal | None
    rework_count: int
    comeback_of: int | None = Field(alias="comeback_of_id")
    corrects: int | None = Field(alias="corrects_id")
    release_pass: str | None
    lines: list[LineOut]
    totals: dict[str, Any]
    events: list[EventOut]
    payments: list[PaymentOut]


SCALAR_FIELDS = (
    "id", "number", "status", "type", "promised_at", "created_at", "mileage", "fuel", "concerns", "walkaround",
    "valuables_acknowledged", "response_due_at", "insurer", "report", "consented_total", "rework_count",
    "branch_id", "customer_id", "asset_id", "advisor_id", "assignee_id", "comeback_of_id", "corrects_id",
    "team_id", "scheduled_at", "acceptance",
)  # fmt: skip


def order_out(order: ServiceOrder) -> dict:
    all_lines = list(order.lines.all())
    try:
        release = order.release_pass.number
    except ServiceOrder.release_pass.RelatedObjectDoesNotExist:
        release = None
    return {
        **{field: getattr(order, field) for field in SCALAR_FIELDS},
        "release_pass": release,
        "lines": all_lines,
        "totals": order_totals(all_lines).as_json(),
        "events": list(order.events.all()),
        "payments": list(order.payments.all()),
    }


def _detail(request, pk: int) -> dict:
    return order_out(selectors.order_detail(user=request.user, pk=pk))


class OrderIn(Schema):
    branch: int
    customer: int
    asset: int | None = None
    type: OrderTypeIn = "repair"
    mileage: int | None = Field(None, ge=0)
    concerns: str = ""
    promised_at: datetime.datetime | None = None
    assignee: int | None = None
    fuel: Literal["", "0", "25", "50", "75", "100"] = ""
    walkaround: dict[str, Any] | None = None
    valuables_acknowledged: bool = False
    insurer: str = Field("", max_length=100)
    response_due_at: datetime.datetime | None = None
    team: int | None = None  # installation: its installation team (required)
    scheduled_at: datetime.datetime | None = None  # installation: when the team is on site


@router.get("/work-orders", response={200: ListOut[OrderBrief], **ERRORS})
def order_list(
    request,
    status: str = "",
    branch: IdFilter = None,
    q: str = "",
    type: str = "",
    asset: IdFilter = None,
    page: int = 1,
    page_size: int = 50,
):
    require_api_perm(request, "service.view_serviceorder")
    statuses = [s for s in status.split(",") if s]
    queryset = selectors.order_list(user=request.user, status=statuses, branch=branch, q=q, type=type, asset=asset)
    return api_page(queryset, page=page, page_size=page_size)


@router.post("/work-orders", response={201: OrderOut, **ERRORS})
def order_create(request, payload: OrderIn):
    require_api_perm(request, "service.add_serviceorder")
    branch = resolve(Branch.objects, request.user, payload.branch, "branch")
    customer = resolve(Customer.objects, request.user, payload.customer, "customer")
    asset = resolve(Asset.objects, request.user, payload.asset, "asset")
    assignee = None
    if payload.assignee is not None:
        assignee = User.objects.filter(pk=payload.assignee, is_active=True).first()
        if assignee is None:
            resolve(ServiceOrder.objects.none(), request.user, payload.assignee, "assignee")
    team = resolve(Team.objects, request.user, payload.team, "team")
    data = payload.dict(exclude={"branch", "customer", "asset", "assignee", "team"})
    order = orders.order_create(
        actor=request.user, branch=branch, customer=customer, asset=asset, assignee=assignee, team=team, **data
    )
    return Status(201, _detail(request, order.pk))


@router.get("/work-orders/{order_id}", response={200: OrderOut, **ERRORS})
def order_get(request, order_id: int):
    order = selectors.order_detail(user=request.user, pk=order_id)
    require_api_perm(request, "service.view_serviceorder")
    return order_out(order)


class LineIn(Schema):
    kind: Literal["labour", "part"]
    payer: PayerIn | None = None
    name: str = Field("", max_length=200)
    hours: Decimal | None = None
    rate: Decimal | None = None
    skill: str = Field("", max_length=20)
    min_level: int = Field(1, ge=1, le=5)
    bay_kind: str = Field("", max_length=20)
    part: int | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None


@router.post("/work-orders/{order_id}/lines", response={201: LineOut, **ERRORS})
def line_create(request, order_id: int, payload: LineIn):
    order = selectors.order_visible(user=request.user, pk=order_id)
    require_api_perm(request, "service.change_serviceorder")
    data = payload.dict()
    data["part"] = resolve(Part.objects, request.user, data["part"], "part")
    data["payer"] = data["payer"] or ""
    return Status(201, lines.line_add(actor=request.user, order=order, **data))


@router.post("/work-orders/{order_id}/lines/{line_id}/cancel", response={200: LineOut, **ERRORS})
def line_cancel(request, order_id: int, line_id: int):
    line = selectors.line_detail(user=request.user, pk=line_id)
    if line.order_id != order_id:
        selectors.line_detail(user=request.user, pk=0)  # 404: not this order's line
    require_api_perm(request, "service.change_serviceorder")
    return lines.line_cancel(actor=request.user, line=line)


class Assignment(Schema):
    line: int
    technician: int


class PaymentIn(Schema):
    method: str
    amount: Decimal


class ActionIn(Schema):
    """The input of each action; each action reads only its own fields."""

    method: str | None = None  # approve
    by: str | None = None  # approve
    assignments: list[Assignment] | None = None  # dispatch
    reason: str | None = None  # qc_fail, cancel
    lines: list[int] | None = None  # qc_fail
    notes: str | None = None  # qc_pass
    payments: list[PaymentIn] | None = None  # settle
    report: str | None = None  # complete


ACTION_FIELDS = {
    "approve": ("method", "by"),
    "dispatch": ("assignments",),
    "qc_pass": ("notes",),
    "qc_fail": ("reason", "lines"),
    "settle": ("payments",),
    "complete": ("report",),
    "cancel": ("reason",),
}


@router.post("/work-orders/{order_id}/actions/{action}", response={200: OrderOut, **ERRORS})
def order_action(request, order_id: int, action: ActionName, payload: ActionIn | None = None):
    order = selectors.order_visible(user=request.user, pk=order_id)
    require_api_perm(request, "service.view_serviceorder")
    given = payload.dict() if payload else {}
    data = {name: given[name] for name in ACTION_FIELDS.get(action, ()) if given.get(name) is not None}
    orders.order_act(actor=request.user, order=order, action=action, data=data)
    return _detail(request, order.pk)


class SelfCheckIn(Schema):
    passed: bool
    notes: str = Field("", max_length=200)


class JobActionIn(Schema):
    reason: str = ""
    self_check: SelfCheckIn | None = None


@router.post("/jobs/{line_id}/actions/{action}", response={200: LineOut, **ERRORS})
def job_action(request, line_id: int, action: JobAction, payload: JobActionIn | None = None):
    line = selectors.line_detail(user=request.user, pk=line_id)
    require_api_perm(request, "service.work_serviceorder")
    payload = payload or JobActionIn()
    self_check = payload.self_check.dict() if payload.self_check else None
    return jobs.job_act(actor=request.user, line=line, action=action, reason=payload.reason, self_check=self_check)


class AcceptanceIn(Schema):
    """The customer's acceptance of an installation: each self-check item (code → passed), who signed, how."""

    checks: dict[str, bool]
    signed_by: str = Field(max_length=60)
    method: str
    notes: str = Field("", max_length=500)


@router.post("/work-orders/{order_id}/acceptance", response={200: OrderOut, **ERRORS})
def order_acceptance(request, order_id: int, payload: AcceptanceIn):
    """Record the customer's acceptance (验收) of an installation in quality check; the check then may pass."""
    order = selectors.order_detail(user=request.user, pk=order_id)
    require_api_perm(request, "service.view_serviceorder")
    installation.order_acceptance_record(actor=request.user, order=order, **payload.dict())
    return _detail(request, order.pk)


class ComebackIn(Schema):
    of: int


@router.post("/work-orders/{order_id}/comeback", response={200: OrderOut, **ERRORS})
def order_comeback(request, order_id: int, payload: ComebackIn):
    order = selectors.order_detail(user=request.user, pk=order_id)
    first = resolve(ServiceOrder.objects, request.user, payload.of, "of")
    orders.order_mark_comeback(actor=request.user, order=order, first=first)
    return _detail(request, order.pk)


class CorrectionIn(Schema):
    reason: str = Field(max_length=200)


@router.post("/work-orders/{order_id}/correction", response={201: OrderOut, **ERRORS})
def order_correction(request, order_id: int, payload: CorrectionIn):
    """A settled order is corrected by a new order linked to it (`corrects`), never edited."""
    order = selectors.order_detail(user=request.user, pk=order_id)
    correction = orders.order_correct(actor=request.user, order=order, reason=payload.reason)
    return Status(201, _detail(request, correction.pk))
