"""Which of an order's steps a page offers a user: drawn from `choices.TRANSITIONS` and `TYPE_ACTIONS`.

A step is offered when the order's type uses it, the order's status is one it starts from and the user's
roles carry its permission — the same three checks `services.orders.order_transition` makes. On top of
that, a step with nothing to do is left out (no part line waiting to be issued, no job to dispatch, nothing
awaiting the customer's consent, a visit report by someone other than the assignee): the service would
refuse it anyway, and a button that can only fail is noise. The rules stay in the services; this only
decides what to draw.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from aftersales.service.choices import (
    TRANSITIONS,
    TYPE_ACTIONS,
    Consent,
    JobStatus,
    LineKind,
    OrderStatus,
    PartState,
)
from aftersales.service.totals import order_totals

FEN = Decimal("0.01")


#: How each step is drawn: a form to fill in (`form`), or a button that asks to confirm (`confirm`).
#: `style` is the button's class; irreversible or destructive steps are confirmed.
@dataclass(frozen=True)
class ActionStyle:
    form: bool
    confirm: object = ""
    style: str = "btn-primary"


ACTION_STYLES: dict[str, ActionStyle] = {
    "submit_estimate": ActionStyle(False, _("Send the estimate to the customer for consent?")),
    "approve": ActionStyle(True),
    "issue_parts": ActionStyle(False, _("Issue every consented part of this order from stock?")),
    "dispatch": ActionStyle(True),
    "qc_pass": ActionStyle(True, _("Pass the quality check? The order becomes ready for settlement.")),
    "qc_fail": ActionStyle(True, style="btn-danger"),
    "settle": ActionStyle(True, _("Take these payments and settle the order? A settled order can't be edited.")),
    "deliver": ActionStyle(False, _("Hand the vehicle back and issue the release pass?")),
    "complete": ActionStyle(True, _("Record the report and complete the order?")),
    "cancel": ActionStyle(
        True, _("Cancel this order? Reserved parts are released and issued parts go back to stock."), "btn-danger"
    ),
}

#: The tag colour of each order status (the partial `service/_order_status.html` draws the same).
STATUS_TONES = {
    OrderStatus.RECEPTION: "neutral",
    OrderStatus.AWAITING_APPROVAL: "warn",
    OrderStatus.APPROVED: "info",
    OrderStatus.DISPATCHED: "info",
    OrderStatus.IN_PROGRESS: "info",
    OrderStatus.QUALITY_CHECK: "warn",
    OrderStatus.COMPLETED: "ok",
    OrderStatus.SETTLED: "ok",
    OrderStatus.DELIVERED: "neutral",
    OrderStatus.CANCELLED: "bad",
}


def allowed_actions(user, order) -> list[str]:
    """The steps the table allows this user on this order now: type, status and permission."""
    uses = TYPE_ACTIONS.get(order.type, frozenset())
    return [
        name
        for name, transition in TRANSITIONS.items()
        if name in uses and order.status in transition.sources and user.has_perm(transition.perm)
    ]


def actions_for(user, order, lines=None, *, margin: Decimal | None = None) -> list[str]:
    """The steps to offer, in the table's order: `allowed_actions` less those with nothing to do.

    `lines` are the order's lines (prefetched ones, so this runs no query); `margin` is the branch's margin
    over the consented total in percent (only needed to tell whether a new total awaits consent; without it
    any total above the consented one counts).
    """
    lines = list(order.lines.all()) if lines is None else list(lines)
    return [name for name in allowed_actions(user, order) if _has_work(name, user, order, lines, margin)]


def over_consented_total(order, lines, margin: Decimal | None = None) -> bool:
    """The customer's total has grown beyond what they consented to (by more than the margin, when given)."""
    if order.consented_total is None:
        return False
    limit = order.consented_total
    if margin is not None:
        limit = (limit * (1 + margin / 100)).quantize(FEN)
    return order_totals(lines).customer_payable > limit


def _has_work(name: str, user, order, lines, margin) -> bool:
    live = [line for line in lines if line.consent != Consent.CANCELLED]
    if name == "approve":
        return (
            order.status == OrderStatus.AWAITING_APPROVAL
            or any(line.consent == Consent.PENDING for line in live)
            or over_consented_total(order, live, margin)
        )
    if name == "issue_parts":
        return any(
            line.kind == LineKind.PART
            and line.consent == Consent.APPROVED
            and line.part_state in (PartState.RESERVED, PartState.NOT_RESERVED)
            for line in live
        )
    if name == "dispatch":
        return any(line_dispatchable(line) for line in live)
    if name == "complete":
        return order.assignee_id == user.pk or user.is_superuser
    return True


def line_dispatchable(line) -> bool:
    """A consented job not started yet: it may be assigned, or re-assigned."""
    return (
        line.kind == LineKind.LABOUR
        and line.consent == Consent.APPROVED
        and line.job_status in (JobStatus.UNASSIGNED, JobStatus.ASSIGNED)
    )


def line_cancellable(line) -> bool:
    """What `services.lines.line_cancel` accepts of the line itself (the order's status is checked apart)."""
    return (
        line.consent != Consent.CANCELLED
        and line.job_status not in (JobStatus.IN_PROGRESS, JobStatus.PAUSED, JobStatus.FINISHED)
        and line.part_state != PartState.ISSUED
    )
