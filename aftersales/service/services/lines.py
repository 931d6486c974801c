"""Order lines: labour (a job for a technician) and parts, each with its payer and its place in the customer's consent.

A line added before the customer consents is part of the estimate; a line added after consent (增项) is
`pending` until the customer consents to it, and a pending line can't be worked, issued or billed.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.errors import Conflict
from aftersales.parts.models import Part
from aftersales.service.choices import (
    EDITABLE_STATUSES,
    Consent,
    JobStatus,
    LineKind,
    OrderStatus,
    OrderType,
    PartState,
    Payer,
)
from aftersales.service.models import ServiceOrder, ServiceOrderLine
from aftersales.service.services.common import branch_settings, order_event, order_locked, status_label
from aftersales.service.totals import line_amount

FEN = Decimal("0.01")
#: The payer a new line gets when none is given, by order type.
DEFAULT_PAYER = {OrderType.WARRANTY: Payer.WARRANTY, OrderType.ACCIDENT: Payer.INSURANCE}


def _decimal(value, field: str, *, places: int = 2, positive: bool = False) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc
    if not number.is_finite() or number < 0 or (positive and number == 0):
        raise ValidationError({field: _("Enter a number greater than 0.") if positive else _("Enter a number ≥ 0.")})
    if number != number.quantize(Decimal(1).scaleb(-places)) or number >= Decimal("1e10"):
        raise ValidationError({field: _("Use at most %(places)s decimals.") % {"places": places}})
    return number


def _consent_for_new_line(order: ServiceOrder) -> str:
    """Before the customer has consented, a line joins the estimate; afterwards it waits for consent."""
    if order.status in (OrderStatus.RECEPTION, OrderStatus.AWAITING_APPROVAL) or order.consented_total is None:
        return Consent.ESTIMATE
    return Consent.PENDING


@transaction.atomic
def line_add(
    *,
    actor,
    order: ServiceOrder,
    kind: str,
    payer: str = "",
    name: str = "",
    hours=None,
    rate=None,
    skill: str = "",
    min_level=None,
    bay_kind: str = "",
    part: Part | None = None,
    quantity=None,
    unit_price=None,
) -> ServiceOrderLine:
    """Add a labour line (`name`, `hours`, `rate`, `skill` with its `min_level` 1–5 (default 1), the `bay_kind` it
    needs, if any) or a part line (`part`, `quantity`, `unit_price`
    defaulting to the part's retail price, or its warranty price when the maker pays)."""
    require_perm(actor, "service.change_serviceorder")
    order = order_locked(order, actor)
    if order.status not in EDITABLE_STATUSES:
        raise Conflict(
            _("The order is %(status)s: lines can no longer be added.") % {"status": status_label(order.status)},
            code="invalid_status",
        )
    payer = payer or DEFAULT_PAYER.get(order.type, Payer.CUSTOMER)
    if payer not in Payer.values:
        raise ValidationError({"payer": _("Choose one of: %(values)s.") % {"values": ", ".join(Payer.values)}})
    line = ServiceOrderLine(order=order, kind=kind, payer=payer, consent=_consent_for_new_line(order), added_by=actor)
    if kind == LineKind.LABOUR:
        _labour(line, order, name=name, hours=hours, rate=rate, skill=skill, min_level=min_level, bay_kind=bay_kind)
    elif kind == LineKind.PART:
        _part(line, part=part, quantity=quantity, unit_price=unit_price, name=name)
    else:
        raise ValidationError({"kind": _("Choose labour or part.")})
    line.full_clean(exclude=["order", "technician", "part", "reservation", "issue_move", "added_by"])
    line.save()
    order_event(order=order, actor=actor, action="line_added", payload=_line_payload(line))
    if line.consent == Consent.PENDING and order.advisor_id:
        from aftersales.service.services.notify import notify

        notify(
            users=[order.advisor],
            kind="consent_needed",
            order=order,
            message=_("%(number)s: “%(line)s” was added and needs the customer's consent.")
            % {"number": order.number, "line": line.name},
        )
    return line


def _labour(line, order, *, name, hours, rate, skill, min_level=None, bay_kind="") -> None:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the operation.")})
    line.name = name[:200]
    line.hours = _decimal(hours, "hours", positive=True) if hours not in (None, "") else Decimal("1.00")
    default_rate = branch_settings(order.branch).default_labour_rate
    line.rate = _decimal(rate, "rate") if rate not in (None, "") else default_rate
    line.skill = (skill or "").strip()[:20]
    line.min_level = _level(min_level)
    line.bay_kind = (bay_kind or "").strip()[:20]
    line.job_status = JobStatus.UNASSIGNED
    line.amount = line_amount(kind=LineKind.LABOUR, hours=line.hours, rate=line.rate)


def _level(value) -> int:
    if value in (None, ""):
        return 1
    try:
        level = int(str(value).strip())
    except ValueError as exc:
        raise ValidationError({"min_level": _("Enter a level from 1 to 5.")}) from exc
    if not 1 <= level <= 5:
        raise ValidationError({"min_level": _("Enter a level from 1 to 5.")})
    return level


def _part(line, *, part, quantity, unit_price, name) -> None:
    if part is None:
        raise ValidationError({"part": _("Choose a part from the catalogue.")})
    if not part.active:
        raise ValidationError({"part": _("Part %(code)s is no longer active.") % {"code": part.code}})
    line.part = part
    line.name = (name or "").strip()[:200] or part.name
    line.quantity = _decimal(quantity, "quantity", positive=True) if quantity not in (None, "") else Decimal("1.00")
    if unit_price in (None, ""):
        unit_price = part.warranty_price if line.payer == Payer.WARRANTY else part.retail_price
    line.unit_price = _decimal(unit_price, "unit_price")
    line.part_state = PartState.NOT_RESERVED
    line.amount = line_amount(kind=LineKind.PART, quantity=line.quantity, unit_price=line.unit_price)


def _line_payload(line: ServiceOrderLine) -> dict:
    return {
        "line": line.pk,
        "kind": line.kind,
        "name": line.name,
        "payer": line.payer,
        "amount": str(line.amount),
        "consent": line.consent,
    }


@transaction.atomic
def line_cancel(*, actor, line: ServiceOrderLine, reason: str = "") -> ServiceOrderLine:
    """Take a line off the order (the customer declined it, or it was a mistake). Work started or parts issued
    must be undone first: such a line is refused."""
    require_perm(actor, "service.change_serviceorder")
    order = order_locked(line.order, actor)
    line = ServiceOrderLine.objects.select_for_update().get(pk=line.pk)
    if order.status not in EDITABLE_STATUSES:
        raise Conflict(
            _("The order is %(status)s: lines can no longer change.") % {"status": status_label(order.status)},
            code="invalid_status",
        )
    if line.consent == Consent.CANCELLED:
        raise Conflict(_("This line is already cancelled."), code="line_cancelled")
    if line.job_status in (JobStatus.IN_PROGRESS, JobStatus.PAUSED, JobStatus.FINISHED):
        raise Conflict(_("Work on this job has started; it can't be cancelled."), code="job_started")
    if line.part_state == PartState.ISSUED:
        raise Conflict(_("The parts of this line were issued; return them first."), code="parts_issued")
    if line.reservation_id:
        from aftersales.parts.services.ledger import stock_reservation_release

        stock_reservation_release(actor=actor, reservation=line.reservation)
        line.part_state = PartState.NOT_RESERVED
    line.consent = Consent.CANCELLED
    line.save(update_fields=["consent", "part_state", "updated_at"])
    order_event(order=order, actor=actor, action="line_cancelled", payload={**_line_payload(line), "reason": reason})
    return line
