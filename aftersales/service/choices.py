"""Service-order types, statuses, payers and the transition table every status move goes through.

`TRANSITIONS` maps each action to the statuses it may start from, the status it leads to (None: the
order keeps its status) and the permission it needs. `TYPE_STEPS` says which actions each order type
uses: an inspection or call-out order has no estimate, consent, quality check or settlement. Pages draw
their buttons from the same table (`actions_for`), and `services.orders.order_transition` is the only
code that changes an order's status.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrderType(models.TextChoices):
    REPAIR = "repair", _("Repair")
    MAINTENANCE = "maintenance", _("Maintenance")
    ACCIDENT = "accident", _("Accident repair")
    WARRANTY = "warranty", _("Warranty")
    INSTALLATION = "installation", _("Installation")
    INSPECTION = "inspection", _("After-sales inspection")
    CALL_OUT = "call_out", _("Call-out")


class OrderStatus(models.TextChoices):
    RECEPTION = "reception", _("Reception")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", pgettext_lazy("service order status", "Approved")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    QUALITY_CHECK = "quality_check", _("Quality check")
    COMPLETED = "completed", _("Completed")
    SETTLED = "settled", _("Settled")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


S = OrderStatus
OPEN_STATUSES = (
    S.RECEPTION,
    S.AWAITING_APPROVAL,
    S.APPROVED,
    S.DISPATCHED,
    S.IN_PROGRESS,
    S.QUALITY_CHECK,
    S.COMPLETED,
)
#: Statuses in which lines may still be added, changed or cancelled.
EDITABLE_STATUSES = (S.RECEPTION, S.AWAITING_APPROVAL, S.APPROVED, S.DISPATCHED, S.IN_PROGRESS)


class Payer(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    WARRANTY = "warranty", _("Warranty (maker)")
    INSURANCE = "insurance", _("Insurance")
    INTERNAL = "internal", _("Internal")
    GOODWILL = "goodwill", _("Goodwill")


class LineKind(models.TextChoices):
    LABOUR = "labour", _("Labour")
    PART = "part", _("Part")


class Consent(models.TextChoices):
    """Where a line stands with the customer: in the estimate, consented, added later and waiting, or cancelled."""

    ESTIMATE = "estimate", _("In the estimate")
    APPROVED = "approved", _("Consented")
    PENDING = "pending", _("Added, awaiting consent")
    CANCELLED = "cancelled", _("Cancelled")


class JobStatus(models.TextChoices):
    UNASSIGNED = "unassigned", _("Unassigned")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Finished")


class PartState(models.TextChoices):
    NOT_RESERVED = "not_reserved", _("Not reserved")
    RESERVED = "reserved", _("Reserved")
    ISSUED = "issued", _("Issued")
    RETURNED = "returned", _("Returned")


class ConsentMethod(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    WECHAT = "wechat", _("WeChat")
    SIGNATURE = "signature", _("Signature")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Bank card")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    TRANSFER = "transfer", _("Bank transfer")


class FuelLevel(models.TextChoices):
    EMPTY = "0", _("Empty")
    QUARTER = "25", "1/4"
    HALF = "50", "1/2"
    THREE_QUARTERS = "75", "3/4"
    FULL = "100", _("Full")


class PauseReason(models.TextChoices):
    PARTS = "parts", _("Waiting for parts")
    APPROVAL = "approval", _("Waiting for approval")
    BREAK = "break", _("Break")
    OTHER_JOB = "other_job", _("Called to another job")
    OTHER = "other", _("Other")


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str | None  # None: the order keeps its status
    perm: str
    label: object


ANY_OPEN = OPEN_STATUSES
TRANSITIONS: dict[str, Transition] = {
    "submit_estimate": Transition(
        (S.RECEPTION,), S.AWAITING_APPROVAL, "service.change_serviceorder", _("Submit estimate")
    ),
    # consent to the estimate moves the order on; consent to added lines or a new total keeps its place
    "approve": Transition(
        (S.AWAITING_APPROVAL, S.APPROVED, S.DISPATCHED, S.IN_PROGRESS, S.QUALITY_CHECK, S.COMPLETED),
        None,
        "service.consent_serviceorder",
        _("Record consent"),
    ),
    "issue_parts": Transition(
        (S.APPROVED, S.DISPATCHED, S.IN_PROGRESS, S.QUALITY_CHECK, S.COMPLETED),
        None,
        "parts.issue_stock",
        _("Issue parts"),
    ),
    # the first dispatch moves an approved order to dispatched; assigning more jobs later keeps its place
    "dispatch": Transition(
        (S.APPROVED, S.DISPATCHED, S.IN_PROGRESS), None, "service.dispatch_serviceorder", _("Dispatch")
    ),
    "qc_pass": Transition((S.QUALITY_CHECK,), S.COMPLETED, "service.qc_serviceorder", _("Pass quality check")),
    "qc_fail": Transition((S.QUALITY_CHECK,), S.IN_PROGRESS, "service.qc_serviceorder", _("Fail quality check")),
    "settle": Transition((S.COMPLETED,), S.SETTLED, "service.settle_serviceorder", _("Settle")),
    "deliver": Transition((S.SETTLED,), S.DELIVERED, "service.deliver_serviceorder", _("Deliver")),
    "complete": Transition(
        (S.DISPATCHED, S.IN_PROGRESS), S.COMPLETED, "service.complete_serviceorder", _("Record report and complete")
    ),
    "cancel": Transition(ANY_OPEN, S.CANCELLED, "service.cancel_serviceorder", _("Cancel")),
}

#: The actions each order type uses (the others are refused with 409 for that type).
FULL_PROCESS = frozenset(TRANSITIONS) - {"complete"}
VISIT_PROCESS = frozenset({"complete", "cancel", "dispatch"})
TYPE_ACTIONS: dict[str, frozenset[str]] = {
    OrderType.REPAIR: FULL_PROCESS,
    OrderType.MAINTENANCE: FULL_PROCESS,
    OrderType.ACCIDENT: FULL_PROCESS,
    OrderType.WARRANTY: FULL_PROCESS,
    OrderType.INSTALLATION: FULL_PROCESS,
    OrderType.INSPECTION: VISIT_PROCESS,
    OrderType.CALL_OUT: VISIT_PROCESS | {"submit_estimate", "approve", "issue_parts", "settle", "deliver"},
}
#: Types whose order is a visit by one assignee (created `dispatched`, closed with a report).
VISIT_TYPES = (OrderType.INSPECTION, OrderType.CALL_OUT)
#: Job actions of a technician and the job statuses each may start from.
JOB_TRANSITIONS = {
    "start": ((JobStatus.ASSIGNED, JobStatus.PAUSED), JobStatus.IN_PROGRESS),
    "pause": ((JobStatus.IN_PROGRESS,), JobStatus.PAUSED),
    "resume": ((JobStatus.PAUSED,), JobStatus.IN_PROGRESS),
    "finish": ((JobStatus.IN_PROGRESS, JobStatus.PAUSED), JobStatus.FINISHED),
}
