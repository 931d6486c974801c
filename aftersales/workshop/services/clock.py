"""The clock on jobs: each start or resume opens a span, each pause or finish closes it; the time worked on a job
is the sum of its spans. Sold hours against clocked hours give a technician's productivity (生产率).

`clocked_seconds` is pure: it sums spans, an open span counting up to `now`, each clipped to an optional window
(a day, a month), so a span across midnight counts on both days by the part that falls on each.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from aftersales.service.choices import JobStatus, LineKind
from aftersales.service.models import ServiceOrderLine
from aftersales.workshop.models import ClockSpan

OPENS = ("start", "resume")
CLOSES = ("pause", "finish")
HOUR = Decimal(3600)


def clock_record(*, line: ServiceOrderLine, technician, action: str, reason: str = "", now: datetime.datetime) -> None:
    """Open a span on start/resume, close the open one on pause (with its reason) or finish. Called by `job_act`
    inside its transaction, after the job's status changed."""
    if action in OPENS:
        if not ClockSpan.objects.filter(line=line, ended_at__isnull=True).exists():
            ClockSpan.objects.create(line=line, technician=technician, started_at=now)
    elif action in CLOSES:
        ClockSpan.objects.filter(line=line, ended_at__isnull=True).update(
            ended_at=now, end_reason="finish" if action == "finish" else reason
        )


def clocked_seconds(
    spans,
    *,
    now: datetime.datetime,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> int:
    """Seconds worked over `spans` (objects with `started_at` and `ended_at`, None = still open, counted to `now`),
    only the parts inside [since, until) when given. Overlapping spans are not merged (one job has one open span
    at a time; two jobs worked at once both count)."""
    total = 0
    for span in spans:
        start = span.started_at if since is None else max(span.started_at, since)
        end = span.ended_at or now
        if until is not None:
            end = min(end, until)
        if end > start:
            total += int((end - start).total_seconds())
    return total


def hours(seconds: int) -> Decimal:
    """Seconds as hours to two decimals, half up."""
    return (Decimal(seconds) / HOUR).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def line_clocked_seconds(line: ServiceOrderLine, now: datetime.datetime | None = None) -> int:
    return clocked_seconds(line.clock_spans.all(), now=now or timezone.now())


@dataclass
class Productivity:
    """One technician's sold and clocked hours over a period; `ratio` is sold ÷ clocked (None when nothing was
    clocked)."""

    technician_id: int
    sold: Decimal
    clocked: Decimal
    jobs: int

    @property
    def ratio(self) -> Decimal | None:
        if not self.clocked:
            return None
        return (self.sold / self.clocked).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def productivity(
    *, technician_ids, since: datetime.datetime, until: datetime.datetime, now: datetime.datetime | None = None
) -> dict[int, Productivity]:
    """{user id: Productivity} over [since, until): sold hours are the standard hours of the jobs each finished in
    the period (whatever it took); clocked hours are the parts of their spans inside the period. Two queries."""
    now = now or timezone.now()
    ids = list(technician_ids)
    result = {pk: Productivity(pk, Decimal("0.00"), Decimal("0.00"), 0) for pk in ids}
    finished = ServiceOrderLine.objects.filter(
        technician_id__in=ids,
        kind=LineKind.LABOUR,
        job_status=JobStatus.FINISHED,
        finished_at__gte=since,
        finished_at__lt=until,
    ).values_list("technician_id", "hours")
    for pk, sold in finished:
        result[pk].sold += sold
        result[pk].jobs += 1
    spans: dict[int, list] = defaultdict(list)
    for span in ClockSpan.objects.filter(technician_id__in=ids, started_at__lt=until).exclude(ended_at__lte=since):
        spans[span.technician_id].append(span)
    for pk, own in spans.items():
        result[pk].clocked = hours(clocked_seconds(own, now=now, since=since, until=until))
    return result
