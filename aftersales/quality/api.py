"""API of service audits (4S 督查): the checklists in use, recording an audit, reading and cancelling audits.

Amounts are decimal strings. An order, team, auditor or checklist given by id that the user can't see is a 422 on
that field; a violation naming an unknown or retired item is a 422 on `violations.<row>.item` (rows from 0); a team
with nobody to bear the fine, or cancelling a cancelled audit, is a 409.
"""

import datetime
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from aftersales.core.api import ErrorOut, ListOut, api_page, require_api_perm, resolve
from aftersales.org.models import Employee, Team
from aftersales.quality import selectors, services
from aftersales.quality.models import Audit, Checklist
from aftersales.service.models import ServiceOrder

router = Router(tags=["service audits"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
VIEW = "quality.view_audit"
ADD = "quality.add_audit"


class ItemOut(Schema):
    code: str
    text: str


class ChecklistOut(Schema):
    id: int
    code: str
    name: str
    fine_amount: Decimal
    is_default: bool
    items: list[ItemOut]


class ChecklistsOut(Schema):
    items: list[ChecklistOut]


@router.get("/quality/checklists", response={200: ChecklistsOut, **ERRORS})
def checklist_list(request):
    """The checklists in use, the default first, each with its items in use."""
    checklists = selectors.checklists_in_use(user=request.user)
    return {
        "items": [
            {
                "id": c.pk,
                "code": c.code,
                "name": c.name,
                "fine_amount": c.fine_amount,
                "is_default": c.is_default,
                "items": list(c.items.all()),
            }
            for c in checklists
        ]
    }


class ViolationOut(Schema):
    id: int
    item: str
    text: str
    note: str
    fine: Decimal


class PostingOut(Schema):
    id: int
    employee: int
    kind: str
    amount: Decimal
    month: datetime.date
    reverses: int | None


class AuditBrief(Schema):
    id: int
    number: str
    branch: int
    order: int
    order_number: str
    team: int | None
    auditor: int
    checklist: int
    audited_on: datetime.date
    status: str
    violation_count: int
    fine_per_violation: Decimal
    fine_total: Decimal


class AuditOut(AuditBrief):
    notes: str
    cancel_reason: str
    cancelled_at: datetime.datetime | None
    violations: list[ViolationOut]
    postings: list[PostingOut]


def audit_brief(audit: Audit) -> dict:
    return {
        "id": audit.pk,
        "number": audit.number,
        "branch": audit.branch_id,
        "order": audit.order_id,
        "order_number": audit.order.number,
        "team": audit.team_id,
        "auditor": audit.auditor_id,
        "checklist": audit.checklist_id,
        "audited_on": audit.audited_on,
        "status": audit.status,
        "violation_count": audit.violation_count,
        "fine_per_violation": audit.fine_per_violation,
        "fine_total": audit.fine_total,
    }


def audit_out(audit: Audit) -> dict:
    return {
        **audit_brief(audit),
        "notes": audit.notes,
        "cancel_reason": audit.cancel_reason,
        "cancelled_at": audit.cancelled_at,
        "violations": [
            {"id": v.pk, "item": v.item.code, "text": v.item.text, "note": v.note, "fine": v.fine}
            for v in audit.violations.all()
        ],
        "postings": [
            {
                "id": p.pk,
                "employee": p.employee_id,
                "kind": p.kind,
                "amount": p.amount,
                "month": p.month,
                "reverses": p.reverses_id,
            }
            for p in audit.postings.all()
        ],
    }


class ViolationIn(Schema):
    item: str = Field(max_length=20)
    note: str = Field("", max_length=300)


class AuditIn(Schema):
    auditor: int
    order: int
    team: int | None = None
    violations: list[ViolationIn]
    checklist: int | None = None
    audited_on: datetime.date | None = None
    notes: str = Field("", max_length=2000)


@router.get("/quality/audits", response={200: ListOut[AuditBrief], **ERRORS})
def audit_list(
    request,
    branch: int | None = None,
    team: int | None = None,
    auditor: int | None = None,
    month: str = "",
    status: str = "",
    q: str = "",
    page: int = 1,
    page_size: int = 50,
):
    """Audits of the branches the user sees (and those they took part in), newest first; `month` is `2026-11`."""
    require_api_perm(request, VIEW)
    queryset = selectors.audit_list(
        user=request.user, branch=branch, team=team, auditor=auditor, month=month, status=status, q=q
    )
    return api_page(queryset, page=page, page_size=page_size, serialize=audit_brief)


@router.post("/quality/audits", response={201: AuditOut, **ERRORS})
def audit_create(request, payload: AuditIn):
    """Record an audit; `violations: []` for an audit that found nothing."""
    require_api_perm(request, ADD)
    order = resolve(ServiceOrder.objects.select_related("branch"), request.user, payload.order, "order")
    team = resolve(Team.objects, request.user, payload.team, "team")
    if "team" not in payload.model_fields_set:  # not given at all: the team that did the order
        team = order.team
    auditor = resolve(Employee.objects, request.user, payload.auditor, "auditor")
    checklist = resolve(Checklist.objects, request.user, payload.checklist, "checklist")
    audit = services.audit_record(
        actor=request.user,
        auditor=auditor,
        order=order,
        team=team,
        violations=[{"item": v.item, "note": v.note} for v in payload.violations],
        checklist=checklist,
        audited_on=payload.audited_on,
        notes=payload.notes,
    )
    return Status(201, audit_out(selectors.audit_detail(user=request.user, pk=audit.pk)))


@router.get("/quality/audits/{audit_id}", response={200: AuditOut, **ERRORS})
def audit_get(request, audit_id: int):
    """One audit: to those who read the branch's audits, its auditor and the members it fined."""
    return audit_out(selectors.audit_detail(user=request.user, pk=audit_id))


class CancelIn(Schema):
    reason: str = Field(max_length=200)


@router.post("/quality/audits/{audit_id}/actions/cancel", response={200: AuditOut, **ERRORS})
def audit_cancel(request, audit_id: int, payload: CancelIn):
    """Cancel a recorded audit: its fines and reward are reversed in the current month."""
    audit = selectors.audit_visible(user=request.user, pk=audit_id)
    services.audit_cancel(actor=request.user, audit=audit, reason=payload.reason)
    return audit_out(selectors.audit_detail(user=request.user, pk=audit_id))
