"""Appointments (预约): booking a customer's visit into a branch's hourly capacity, moving it, cancelling it,
marking a no-show, and turning it into a service order when the customer arrives.

Capacity: a branch takes at most `appointments_per_hour` appointments (its `BranchServiceSettings`, or the
model's default when it has none) that are booked or arrived in one clock hour of local time (10:00–10:59).
Cancelled and no-show appointments free their place. Bookings of one branch queue on the branch row's lock, so two
advisors cannot both take the last place of an hour.

Statuses: booked → arrived, cancelled or no_show (`APPOINTMENT_TRANSITIONS`); the other three are final. Every move
locks the row, checks the table, and is audited (action `status`, payload `from`/`to`).
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import get_for_user_or_404, require_perm
from aftersales.core.audit import audit_created, audit_record
from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction
from aftersales.org.access import user_sees_branch
from aftersales.org.models import Branch
from aftersales.service.choices import VISIT_TYPES, OrderType
from aftersales.service.models import Appointment, AppointmentStatus
from aftersales.service.services.common import branch_settings

__all__ = [
    "APPOINTMENT_TRANSITIONS",
    "APPOINTMENT_TYPES",
    "DAY_HOURS",
    "HourSlot",
    "appointment_actions",
    "appointment_arrive",
    "appointment_book",
    "appointment_cancel",
    "appointment_day",
    "appointment_get",
    "appointment_list",
    "appointment_no_show",
    "appointment_reschedule",
    "branch_settings",
    "hour_capacity_left",
]

A = AppointmentStatus
#: From each status, the statuses an appointment may move to.
APPOINTMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    A.BOOKED: frozenset({A.ARRIVED, A.CANCELLED, A.NO_SHOW}),
    A.ARRIVED: frozenset(),
    A.CANCELLED: frozenset(),
    A.NO_SHOW: frozenset(),
}
#: The permissions each move needs (arriving opens a service order too).
TRANSITION_PERMS: dict[str, tuple[str, ...]] = {
    A.ARRIVED: ("service.change_appointment", "service.add_serviceorder"),
    A.CANCELLED: ("service.change_appointment",),
    A.NO_SHOW: ("service.change_appointment",),
}
#: Statuses that take a place of the hour's capacity.
HOLDING = (A.BOOKED, A.ARRIVED)
#: Order types a customer books a visit for; inspections and call-outs are visits by staff, created as orders.
#: Workshop bookings: visits (inspection, call-out) and installations (scheduled on their order, with a team) are not booked here.
APPOINTMENT_TYPES = tuple(t for t in OrderType if t not in VISIT_TYPES and t != OrderType.INSTALLATION)
#: The opening hours the day view shows as rows (08:00 to 18:00: the hours starting 08 … 17).
DAY_HOURS = range(8, 18)
APPOINTMENT_FIELDS = ("branch", "customer", "asset", "starts_at", "type", "request", "advisor", "notes", "status")


# -- time and capacity ------------------------------------------------------------------------------------------------


def _aware(value: datetime.datetime) -> datetime.datetime:
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def hour_start(value: datetime.datetime) -> datetime.datetime:
    """The start of the local clock hour `value` falls in."""
    return timezone.localtime(_aware(value)).replace(minute=0, second=0, microsecond=0)


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The local day as [start, end) aware datetimes."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def _held_in_hour(branch_id: int, starts_at: datetime.datetime, *, exclude: int | None = None) -> int:
    start = hour_start(starts_at)
    queryset = Appointment.objects.filter(
        branch_id=branch_id, status__in=HOLDING, starts_at__gte=start, starts_at__lt=start + datetime.timedelta(hours=1)
    )
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude)
    return queryset.count()


def hour_capacity_left(branch: Branch, starts_at: datetime.datetime, *, exclude: int | None = None) -> int:
    """How many more appointments the branch takes in the clock hour of `starts_at` (never below 0)."""
    capacity = branch_settings(branch).appointments_per_hour
    return max(capacity - _held_in_hour(branch.pk, starts_at, exclude=exclude), 0)


def _check_time(branch: Branch, starts_at, *, exclude: int | None = None) -> datetime.datetime:
    """The time as an aware datetime: in the future and in an hour with a free place, or ValidationError(starts_at)."""
    if starts_at is None:
        raise ValidationError({"starts_at": _("This field is required.")})
    starts_at = _aware(starts_at)
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": _("This time has passed; choose a later one.")})
    # Bookings of one branch queue here, so the count below cannot be overtaken by a concurrent booking.
    Branch.objects.select_for_update().filter(pk=branch.pk).values_list("pk", flat=True).first()
    capacity = branch_settings(branch).appointments_per_hour
    if _held_in_hour(branch.pk, starts_at, exclude=exclude) >= capacity:
        raise ValidationError(
            {
                "starts_at": _("%(hour)s is fully booked at %(branch)s (%(capacity)s per hour); choose another hour.")
                % {"hour": hour_start(starts_at).strftime("%H:00"), "branch": branch.name, "capacity": capacity}
            }
        )
    return starts_at


# -- reads ------------------------------------------------------------------------------------------------------------


def appointment_list(
    *, user, branch: int | None = None, day: datetime.date | None = None, status: str = ""
) -> QuerySet:
    """Appointments the user may see, by time; one branch, one local day and one status when given."""
    queryset = Appointment.objects.for_user(user).select_related("branch", "customer", "asset", "advisor__employee")
    if branch:
        queryset = queryset.filter(branch_id=branch)
    if day:
        start, end = day_bounds(day)
        queryset = queryset.filter(starts_at__gte=start, starts_at__lt=end)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("starts_at", "id")


def appointment_get(*, user, pk) -> Appointment:
    """One appointment the user may see (404 otherwise)."""
    return get_for_user_or_404(
        Appointment.objects.select_related(
            "branch", "customer", "asset", "advisor__employee", "order", "created_by__employee"
        ),
        user,
        pk=pk,
    )


@dataclass
class HourSlot:
    """One clock hour of a branch's day: its appointments (all statuses) and the places still free."""

    start: datetime.datetime
    appointments: list
    free: int
    capacity: int

    @property
    def opening(self) -> bool:
        return self.start.hour in DAY_HOURS


def appointment_day(*, user, branch: Branch, day: datetime.date) -> list[HourSlot]:
    """The branch's day hour by hour: the opening hours always, any other hour only when it has appointments.

    Two queries: the branch's settings and the day's appointments (with customer, asset and advisor).
    """
    capacity = branch_settings(branch).appointments_per_hour
    appointments = list(appointment_list(user=user, branch=branch.pk, day=day))
    by_hour: dict[int, list] = {}
    for appointment in appointments:
        by_hour.setdefault(timezone.localtime(appointment.starts_at).hour, []).append(appointment)
    start, _end = day_bounds(day)
    slots = []
    for hour in sorted(set(DAY_HOURS) | set(by_hour)):
        items = by_hour.get(hour, [])
        held = sum(1 for a in items if a.status in HOLDING)
        slot_start = timezone.localtime(start).replace(hour=hour)
        slots.append(HourSlot(start=slot_start, appointments=items, free=max(capacity - held, 0), capacity=capacity))
    return slots


def appointment_actions(*, user, appointment: Appointment) -> list[str]:
    """What this user may do to this appointment now (the detail page's buttons): `reschedule` and the statuses
    it may move to. A no-show is offered only once its time has passed."""
    if appointment.status != A.BOOKED:
        return []
    actions = []
    if user.has_perm("service.change_appointment"):
        actions.append("reschedule")
    for status in sorted(APPOINTMENT_TRANSITIONS[A(appointment.status)]):
        if not all(user.has_perm(perm) for perm in TRANSITION_PERMS[status]):
            continue
        if status == A.NO_SHOW and appointment.starts_at > timezone.now():
            continue
        actions.append(status)
    return actions


# -- writes -----------------------------------------------------------------------------------------------------------


def _require_branch(actor, branch: Branch | None) -> None:
    if branch is None:
        raise ValidationError({"branch": _("This field is required.")})
    if not user_sees_branch(actor, branch.pk):
        raise ValidationError({"branch": _("Choose a branch you work for.")})


def _check_parties(actor, *, customer, asset, advisor, branch: Branch) -> dict:
    errors: dict[str, list] = {}
    if customer is None:
        errors["customer"] = [_("This field is required.")]
    elif not user_sees_branch(actor, customer.branch_id):
        errors["customer"] = [_("Choose a customer you may see.")]
    elif not customer.active:
        errors["customer"] = [_("This customer is no longer active.")]
    if asset is not None and customer is not None:
        if asset.customer_id != customer.pk:
            errors["asset"] = [_("This asset is not the customer's.")]
        elif not asset.active:
            errors["asset"] = [_("This asset is no longer active.")]
    if advisor is not None and (not advisor.is_active or not user_sees_branch(advisor, branch.pk)):
        errors["advisor"] = [_("Choose an advisor who works for this branch.")]
    return errors


def _locked(actor, appointment: Appointment) -> Appointment:
    """The appointment re-read under a row lock; 404 when the actor may not see it."""
    locked = Appointment.objects.select_for_update(of=("self",)).select_related("branch").get(pk=appointment.pk)
    if not user_sees_branch(actor, locked.branch_id):
        raise Http404
    return locked


def _move(actor, appointment: Appointment, to: str, *, payload: dict | None = None, check=None) -> Appointment:
    """The one status move: permissions, lock, the table, an optional guard on the locked row (which may add to
    `payload`), save, audit."""
    for perm in TRANSITION_PERMS[to]:
        require_perm(actor, perm)
    locked = _locked(actor, appointment)
    before = A(locked.status)
    if to not in APPOINTMENT_TRANSITIONS[before]:
        raise Conflict(
            _("This appointment is %(status)s; it cannot be marked %(target)s.")
            % {"status": before.label, "target": A(to).label},
            code="appointment_status",
        )
    if check is not None:
        check(locked)
    locked.status = to
    locked.save(update_fields=["status", "order", "updated_at"])
    audit_record(
        actor=actor,
        instance=locked,
        action=AuditAction.STATUS,
        payload={"from": before.value, "to": str(to), **(payload or {})},
    )
    appointment.status, appointment.order = locked.status, locked.order
    return locked


@transaction.atomic
def appointment_book(
    *,
    actor,
    branch: Branch,
    customer,
    asset=None,
    starts_at: datetime.datetime,
    type: str,
    request: str,
    advisor=None,
    notes: str = "",
) -> Appointment:
    """Book a customer (and one of their assets) into a branch at a time, for the job they ask for.

    Refused (ValidationError naming the field) when the time has passed or its hour is full at the branch, when the
    customer is not one the actor may see, or the asset is not the customer's.
    """
    require_perm(actor, "service.add_appointment")
    _require_branch(actor, branch)
    errors = _check_parties(actor, customer=customer, asset=asset, advisor=advisor, branch=branch)
    if type not in APPOINTMENT_TYPES:
        errors["type"] = [_("Choose the kind of job.")]
    request = (request or "").strip()
    if not request:
        errors["request"] = [_("Say what the customer asks for.")]
    if errors:
        raise ValidationError(errors)
    starts_at = _check_time(branch, starts_at)
    appointment = Appointment(
        branch=branch,
        customer=customer,
        asset=asset,
        starts_at=starts_at,
        type=type,
        request=request[:200],
        advisor=advisor,
        notes=(notes or "").strip()[:200],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    appointment.full_clean()
    appointment.save()
    audit_created(actor=actor, instance=appointment, fields=APPOINTMENT_FIELDS)
    return appointment


@transaction.atomic
def appointment_reschedule(*, actor, appointment: Appointment, starts_at: datetime.datetime) -> Appointment:
    """Move a booked appointment to another time, with the same checks as a booking (its own place excluded)."""
    require_perm(actor, "service.change_appointment")
    locked = _locked(actor, appointment)
    if locked.status != A.BOOKED:
        raise Conflict(
            _("Only a booked appointment can be moved; this one is %(status)s.") % {"status": A(locked.status).label},
            code="appointment_status",
        )
    starts_at = _check_time(locked.branch, starts_at, exclude=locked.pk)
    before = locked.starts_at
    if starts_at == before:
        return locked
    locked.starts_at = starts_at
    locked.save(update_fields=["starts_at", "updated_at"])
    audit_record(
        actor=actor,
        instance=locked,
        action=AuditAction.UPDATE,
        changes={"starts_at": {"before": before.isoformat(), "after": starts_at.isoformat()}},
    )
    appointment.starts_at = locked.starts_at
    return locked


@transaction.atomic
def appointment_cancel(*, actor, appointment: Appointment, reason: str) -> Appointment:
    """Cancel a booked appointment, saying why (kept in its history); its place is free again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the appointment is cancelled.")})
    return _move(actor, appointment, A.CANCELLED, payload={"reason": reason[:200]})


@transaction.atomic
def appointment_no_show(*, actor, appointment: Appointment) -> Appointment:
    """Mark that the customer did not come; only once the appointment's time has passed."""

    def passed(locked: Appointment) -> None:
        if locked.starts_at > timezone.now():
            raise Conflict(
                _("The appointment is at %(time)s; it can be marked a no-show only after that.")
                % {"time": timezone.localtime(locked.starts_at).strftime("%Y-%m-%d %H:%M")},
                code="appointment_not_due",
            )

    return _move(actor, appointment, A.NO_SHOW, check=passed)


def _concerns(locked: Appointment, extra: str) -> str:
    parts = []
    for text in (locked.request, locked.notes, extra):
        text = (text or "").strip()
        if text and text not in parts:
            parts.append(text)
    return "\n".join(parts)


@transaction.atomic
def appointment_arrive(*, actor, appointment: Appointment, **order_fields):
    """The customer has come: open a service order at reception for the appointment's branch, customer, asset and
    type (its concerns: the job asked for and the notes, then any concerns given here) and link it.

    `order_fields` go to `order_create` (mileage, promised_at, fuel, walkaround …). Returns the order.
    """
    from aftersales.service.services.orders import order_create

    holder = {}

    def open_order(locked: Appointment) -> None:
        fields = dict(order_fields)
        extra = fields.pop("concerns", "")
        order = order_create(
            actor=actor,
            branch=locked.branch,
            customer=locked.customer,
            asset=locked.asset,
            type=locked.type,
            concerns=_concerns(locked, extra),
            **fields,
        )
        locked.order = order
        holder["order"] = order
        payload["order"] = order.number

    payload: dict = {}
    _move(actor, appointment, A.ARRIVED, check=open_order, payload=payload)
    return holder["order"]
