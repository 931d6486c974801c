"""Reads of the workshop: the branch a request means, the technicians list, the progress board.

The board lists the branch's open orders (received to completed) with their plate, type, technicians, status,
promised time and expected finish, and marks each as late (the promise has passed and the work isn't done) or at
risk (the expected finish is after the promise). On the read-only screen behind the secret link, plates are partly
masked and no customer is named. A fixed number of queries whatever the number of orders.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import get_for_user_or_404, visible_branch_ids
from aftersales.org.choices import BranchKind
from aftersales.org.models import Branch
from aftersales.service.choices import OPEN_STATUSES, Consent, JobStatus, LineKind, OrderStatus
from aftersales.service.models import ServiceOrder, ServiceOrderLine
from aftersales.workshop.models import ClockSpan
from aftersales.workshop.services.delays import order_expected_finish

BOARD_STATUSES = OPEN_STATUSES
DONE_STATUSES = (OrderStatus.QUALITY_CHECK, OrderStatus.COMPLETED)


WORKSHOP_KINDS = (BranchKind.STORE, BranchKind.SERVICE_CENTER)


def branch_for(*, user, branch_id: int | None, field_name: str = "branch") -> Branch:
    """The branch a request names (404 when not the user's to see); else the user's own branch when it has a
    workshop (a store or service centre), else the first such branch they see; 422 when they see none."""
    if branch_id is not None:
        return get_for_user_or_404(Branch.objects.all(), user, pk=branch_id)
    ids = visible_branch_ids(user)
    employee = getattr(user, "employee", None) if getattr(user, "is_authenticated", False) else None
    if employee is not None and employee.branch.kind in WORKSHOP_KINDS and (ids is None or employee.branch_id in ids):
        return employee.branch
    branch = Branch.objects.for_user(user).filter(kind__in=WORKSHOP_KINDS, active=True).order_by("code").first()
    if branch is None:
        raise ValidationError({field_name: _("Choose a branch.")})
    return branch


def mask_plate(plate: str) -> str:
    """A plate with its middle hidden: 京A12345 → 京A***45 (short ones keep only their first character)."""
    plate = (plate or "").strip()
    if len(plate) <= 4:
        return plate[:1] + "*" * max(0, len(plate) - 1)
    return plate[:2] + "*" * (len(plate) - 4) + plate[-2:]


@dataclass
class BoardRow:
    order: ServiceOrder
    plate: str
    technicians: list[str]
    jobs_done: int
    jobs_total: int
    current_job: str
    expected: datetime.datetime | None
    late: bool
    at_risk: bool
    customer: str = ""
    extra: dict = field(default_factory=dict)


def board_orders(branch):
    jobs = (
        ServiceOrderLine.objects.filter(kind=LineKind.LABOUR, consent=Consent.APPROVED)
        .select_related("slot", "technician__employee")
        .prefetch_related(Prefetch("clock_spans", queryset=ClockSpan.objects.order_by()))
        .order_by("pk")
    )
    return (
        ServiceOrder.objects.filter(branch=branch, status__in=BOARD_STATUSES)
        .select_related("asset", "customer")
        .prefetch_related(Prefetch("lines", queryset=jobs))
        .order_by("promised_at", "number")
    )


def _person(user) -> str:
    employee = getattr(user, "employee", None)
    return employee.name if employee is not None else user.get_username()


def board_rows(*, branch, now: datetime.datetime | None = None, masked: bool = False) -> list[BoardRow]:
    """The board of a branch, the earliest promise first (orders with no promise last). Four queries."""
    now = now or timezone.now()
    rows = []
    for order in board_orders(branch):
        jobs = list(order.lines.all())
        people = list(dict.fromkeys(_person(j.technician) for j in jobs if j.technician_id))
        current = next((j.name for j in jobs if j.job_status == JobStatus.IN_PROGRESS), "")
        expected = order_expected_finish(order, now) if order.status not in DONE_STATUSES else None
        promised = order.promised_at
        plate = order.asset.plate if order.asset_id else ""
        late = promised is not None and promised < now and order.status not in DONE_STATUSES
        rows.append(
            BoardRow(
                order=order,
                plate=mask_plate(plate) if masked else (plate or (order.asset.label if order.asset_id else "")),
                technicians=people,
                jobs_done=sum(1 for j in jobs if j.job_status == JobStatus.FINISHED),
                jobs_total=len(jobs),
                current_job=current,
                expected=expected,
                late=late,
                at_risk=not late and promised is not None and expected is not None and expected > promised,
                customer="" if masked else order.customer.name,
            )
        )
    rows.sort(key=lambda r: (r.order.promised_at is None, r.order.promised_at or now, r.order.number))
    return rows
