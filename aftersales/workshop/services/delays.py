"""Delay warnings: when the work on an order is expected to finish after the time promised to the customer, its
advisor is told once (in-app and by SMS) with the new expected time.

The expected finish of an order is the latest of, over its consented jobs not finished:
- a planned job not started: its planned end, or now plus its hours when its planned start has passed;
- a job in progress or paused: now plus its hours not yet clocked (none below zero);
- the jobs with no planned slot: now plus all their remaining hours, one after another.

"Once" means once per order and promised time: a later, worse estimate does not warn again, a new promise that
is broken again does. The check runs when a job is started, paused, resumed or finished, when a plan is applied,
and every few minutes for every open order through `manage.py workshop_watch_delays` (cron), which catches a job
that simply runs long.
"""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch
from django.utils import timezone

from aftersales.service.choices import Consent, JobStatus, LineKind, OrderStatus
from aftersales.service.models import ServiceOrder, ServiceOrderLine
from aftersales.service.services.notify import order_delay_check
from aftersales.workshop.models import ClockSpan, DelayWarning
from aftersales.workshop.services.clock import clocked_seconds

WATCHED_STATUSES = (OrderStatus.APPROVED, OrderStatus.DISPATCHED, OrderStatus.IN_PROGRESS)


def _remaining_seconds(line: ServiceOrderLine, now: datetime.datetime) -> int:
    planned = int(Decimal(line.hours) * 3600)
    return max(0, planned - clocked_seconds(line.clock_spans.all(), now=now))


def line_expected_end(line: ServiceOrderLine, now: datetime.datetime) -> datetime.datetime | None:
    """When one job is expected to end, or None for a job with no planned slot that is not started (it queues)."""
    remaining = datetime.timedelta(seconds=_remaining_seconds(line, now))
    if line.job_status in (JobStatus.IN_PROGRESS, JobStatus.PAUSED):
        return now + remaining
    slot = getattr(line, "slot", None)
    if slot is None:
        return None
    return max(slot.end, now + remaining) if slot.start <= now else slot.end


def order_expected_finish(order: ServiceOrder, now: datetime.datetime) -> datetime.datetime | None:
    """The expected finish of the order's work (see the module's rules), None when no job remains. Reads
    `order.lines` with their `slot` and `clock_spans` (prefetch them for many orders)."""
    latest, queued = None, datetime.timedelta(0)
    for line in order.lines.all():
        if line.kind != LineKind.LABOUR or line.consent != Consent.APPROVED or line.job_status == JobStatus.FINISHED:
            continue
        end = line_expected_end(line, now)
        if end is None:
            queued += datetime.timedelta(seconds=_remaining_seconds(line, now))
        elif latest is None or end > latest:
            latest = end
    if queued:
        latest = max(latest or now, now + queued)
    return latest


def open_lines_prefetch() -> Prefetch:
    return Prefetch(
        "lines",
        queryset=ServiceOrderLine.objects.filter(kind=LineKind.LABOUR)
        .select_related("slot")
        .prefetch_related(Prefetch("clock_spans", queryset=ClockSpan.objects.order_by())),
    )


def order_delay_watch(*, order: ServiceOrder, now: datetime.datetime | None = None) -> bool:
    """Warn the advisor once per promise when the order is now expected to finish late; returns whether a warning
    was sent. Runs inside the caller's transaction (the warning is undone with it)."""
    now = now or timezone.now()
    if order.promised_at is None or order.advisor_id is None or order.status not in WATCHED_STATUSES:
        return False
    if DelayWarning.objects.filter(order=order, promised_at=order.promised_at).exists():
        return False
    order = (
        ServiceOrder.objects.select_related("asset", "advisor").prefetch_related(open_lines_prefetch()).get(pk=order.pk)
    )
    return _warn_if_late(order, now)


def _warn_if_late(order: ServiceOrder, now: datetime.datetime) -> bool:
    """Warn when the order (read with its lines, slots and spans) is expected after its promise; once per promise."""
    expected = order_expected_finish(order, now)
    if expected is None or expected <= order.promised_at:
        return False
    with transaction.atomic():
        try:
            with transaction.atomic():
                DelayWarning.objects.create(order=order, promised_at=order.promised_at, expected_at=expected)
        except IntegrityError:  # another process warned first
            return False
        order_delay_check(order=order, expected_finish=expected)
    return True


def delays_watch(*, branch=None, now: datetime.datetime | None = None) -> int:
    """Check every open order with a promise not yet warned about (of one branch, or all); returns how many
    advisors were warned."""
    now = now or timezone.now()
    orders = (
        ServiceOrder.objects.filter(status__in=WATCHED_STATUSES, promised_at__isnull=False, advisor__isnull=False)
        .exclude(delay_warnings__promised_at=F("promised_at"))
        .order_by("pk")
    )
    if branch is not None:
        orders = orders.filter(branch=branch)
    sent = 0
    # one read of every order with its jobs; only the late ones cost a write
    for order in orders.select_related("asset", "advisor").prefetch_related(open_lines_prefetch()):
        sent += _warn_if_late(order, now)
    return sent
