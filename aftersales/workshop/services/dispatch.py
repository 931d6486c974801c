"""Plan the day (排班派工): propose who does which job, on which bay, when; apply a plan the dispatcher confirmed or
adjusted.

`dispatch_plan` reads the branch's day into the planner's terms (`day_input`) and returns its proposal without
writing anything. The jobs it plans are the consented labour lines of orders in the workshop (approved, dispatched
or in progress) that nobody has yet; with `replan`, also the jobs assigned but not started, whose assignments are
then proposed afresh. What it keeps (assigned jobs, their planned slots, jobs being worked) is busy time for their
technician, bay and car.

`dispatch_apply` checks every row again against the same day (the technician's skill, level and hours, the bay's
kind, no overlap for a technician, bay or car) and then assigns through `order_dispatch`, the one service that
assigns jobs, and records each job's `JobSlot`. All rows or none.
"""

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.service.choices import Consent, JobStatus, LineKind
from aftersales.service.models import ServiceOrderLine
from aftersales.service.services.orders import order_dispatch
from aftersales.workshop import planner
from aftersales.workshop.models import Bay, JobSlot, WorkshopSettings
from aftersales.workshop.services.calendar import day_origin, to_minutes, to_moment
from aftersales.workshop.services.delays import order_delay_watch
from aftersales.workshop.services.roster import WORKSHOP_STATUSES, RosterEntry, remaining_minutes, roster
from aftersales.workshop.services.setup import workshop_settings_for

DISPATCH = "service.dispatch_serviceorder"


@dataclass
class DayInput:
    """A branch's day in the planner's terms, with the records behind the ids."""

    branch: object
    day: datetime.date
    origin: datetime.datetime
    not_before: int
    techs: list[planner.Tech]
    bays: list[planner.Bay]
    jobs: list[planner.Job]
    order_busy: dict[int, list[tuple[int, int]]]
    entries: dict[int, RosterEntry]  # by employee id
    bay_records: dict[int, Bay]
    lines: dict[int, ServiceOrderLine]  # the jobs to plan, by id
    kept: list[ServiceOrderLine] = field(default_factory=list)


@dataclass
class ProposedPlan:
    day: DayInput
    plan: planner.Plan

    def assignments(self) -> list[dict]:
        origin, entries = self.day.origin, self.day.entries
        return [
            {
                "line": a.job,
                "technician": a.tech,
                "bay": a.bay,
                "start": to_moment(a.start, origin),
                "end": to_moment(a.end, origin),
                "line_record": self.day.lines[a.job],
                "employee": entries[a.tech].employee,
                "bay_record": self.day.bay_records.get(a.bay),
            }
            for a in sorted(self.plan.assignments, key=lambda a: (a.start, a.tech, a.job))
        ]

    def unassigned(self) -> list[dict]:
        return [
            {
                "line": job_id,
                "code": code,
                "reason": reason_text(code, self.day.lines[job_id]),
                "line_record": self.day.lines[job_id],
            }
            for job_id, code in self.plan.unassigned
        ]


def reason_text(code: str, line: ServiceOrderLine) -> str:
    """Why a job could not be planned, in the user's language, naming its skill, level or bay kind."""
    values = {"skill": line.skill, "level": line.min_level, "kind": line.bay_kind}
    messages = {
        planner.NO_SKILL: _("Nobody here has the skill %(skill)s."),
        planner.LEVEL_TOO_LOW: _("Nobody here has %(skill)s at level %(level)s or above."),
        planner.NOT_WORKING: _("Everyone who could do it is off that day."),
        planner.NO_BAY: _("No bay here allows %(kind)s work."),
        planner.NO_TIME: _("Not enough working time left that day for it."),
    }
    return messages.get(code, code) % values


def job_minutes(line: ServiceOrderLine) -> int:
    return max(1, math.ceil(line.hours * 60))


def planner_job(line: ServiceOrderLine, origin: datetime.datetime | None = None) -> planner.Job:
    """The labour line as the planner's job; with the day's `origin`, the order's promised time as its due."""
    promised = line.order.promised_at if origin is not None else None
    return planner.Job(
        id=line.pk,
        order=line.order_id,
        skill=line.skill,
        min_level=line.min_level,
        minutes=job_minutes(line),
        bay_kind=line.bay_kind,
        due=to_minutes(promised, origin) if promised else None,
    )


def _to_tech(entry: RosterEntry) -> planner.Tech:
    if entry.hours is None:
        return planner.Tech(id=entry.employee.pk, skills=entry.skills, shift=None)
    start, end, breaks = entry.hours.minutes()
    return planner.Tech(id=entry.employee.pk, skills=entry.skills, shift=(start, end), breaks=breaks, busy=[])


def _clip(start: int, end: int) -> tuple[int, int] | None:
    start, end = max(start, 0), min(end, 24 * 60)
    return (start, end) if start < end else None


def _slot_minutes(slot: JobSlot, origin) -> tuple[int, int] | None:
    return _clip(to_minutes(slot.start, origin), math.ceil((slot.end - origin).total_seconds() / 60))


def day_input(*, branch, day: datetime.date, now: datetime.datetime, replan: bool = False, planning=None) -> DayInput:
    """Read the day. `planning`: ids of lines to treat as to be planned whatever their state (apply uses it)."""
    origin = day_origin(day)
    not_before = max(0, to_minutes(now, origin)) if day == timezone.localdate(now) else 0
    entries = {entry.employee.pk: entry for entry in roster(branch=branch, day=day, now=now)}
    techs = {pk: _to_tech(entry) for pk, entry in entries.items()}
    bay_records = {bay.pk: bay for bay in Bay.objects.filter(branch=branch, active=True).order_by("code")}
    bays = {pk: planner.Bay(id=pk, kinds=frozenset(bay.kinds or [])) for pk, bay in bay_records.items()}
    planning = set(planning or ())
    lines = _lines_to_plan(branch, replan=replan, day=day, origin=origin, extra=planning)
    order_busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    kept = []
    for entry in entries.values():
        for line in entry.jobs:
            if line.pk in lines:
                continue
            kept.append(line)
            _keep(line, techs[entry.employee.pk], bays, order_busy, origin, not_before, now)
    jobs = [planner_job(line, origin) for line in lines.values()]
    for tech in techs.values():
        tech.busy.sort()
        tech.load = sum(b - a for a, b in tech.busy)
    for bay in bays.values():
        bay.busy.sort()
    return DayInput(
        branch=branch,
        day=day,
        origin=origin,
        not_before=not_before,
        techs=list(techs.values()),
        bays=list(bays.values()),
        jobs=jobs,
        order_busy={k: sorted(v) for k, v in order_busy.items()},
        entries=entries,
        bay_records=bay_records,
        lines=lines,
        kept=kept,
    )


def _keep(line, tech: planner.Tech, bays, order_busy, origin, not_before: int, now) -> None:
    """A job that stays as it is: its time is busy for its technician, its bay and its car."""
    slot = getattr(line, "slot", None)
    if line.job_status == JobStatus.IN_PROGRESS:
        span = _clip(not_before, not_before + remaining_minutes(line, now))
        bay_id = slot.bay_id if slot else None
    elif line.job_status == JobStatus.PAUSED:
        span, bay_id = None, None  # the technician is free while the job waits (parts, approval…)
    elif slot is not None:
        span, bay_id = _slot_minutes(slot, origin), slot.bay_id
    else:
        span = _first_gap(tech, job_minutes(line), not_before)
        bay_id = None
    if span is None:
        return
    if tech.shift is not None or line.job_status == JobStatus.IN_PROGRESS:
        tech.busy.append(span)
    if bay_id in bays:
        bays[bay_id].busy.append(span)
    order_busy[line.order_id].append(span)


def _first_gap(tech: planner.Tech, minutes: int, not_before: int) -> tuple[int, int] | None:
    """Where an assigned job with no planned slot is expected: the technician's first free stretch that day."""
    if tech.shift is None:
        return None
    start = max(tech.shift[0], not_before)
    for a, b in sorted(tech.busy):
        if start + minutes <= a:
            break
        start = max(start, b)
    end = start + minutes
    return (start, end) if end <= tech.shift[1] else _clip(start, tech.shift[1])


def _lines_to_plan(branch, *, replan: bool, day, origin, extra: set) -> dict[int, ServiceOrderLine]:
    statuses = [JobStatus.UNASSIGNED] + ([JobStatus.ASSIGNED] if replan else [])
    queryset = (
        ServiceOrderLine.objects.filter(
            order__branch=branch,
            order__status__in=WORKSHOP_STATUSES,
            kind=LineKind.LABOUR,
            consent=Consent.APPROVED,
        )
        .select_related("order__asset", "technician", "slot")
        .order_by("order__promised_at", "pk")
    )
    lines = {}
    for line in queryset.filter(job_status__in=statuses) | queryset.filter(pk__in=extra):
        slot = getattr(line, "slot", None)
        if line.pk not in extra and line.job_status == JobStatus.ASSIGNED and slot is not None:
            if timezone.localtime(slot.start).date() != day:
                continue  # planned for another day: replanning this day leaves it there
        lines[line.pk] = line
    return lines


def dispatch_plan(*, actor, branch, day: datetime.date, replan: bool = False, now=None) -> ProposedPlan:
    """The proposed plan of the branch's day; writes nothing."""
    require_perm(actor, DISPATCH)
    now = now or timezone.now()
    if day < timezone.localdate(now):
        raise ValidationError({"date": _("A past day can't be planned.")})
    day_in = day_input(branch=branch, day=day, now=now, replan=replan)
    plan = planner.plan_day(
        day_in.jobs, day_in.techs, day_in.bays, not_before=day_in.not_before, order_busy=day_in.order_busy
    )
    return ProposedPlan(day=day_in, plan=plan)


# -- apply ------------------------------------------------------------------------------------------------------------


@dataclass
class _Row:
    index: int
    line: ServiceOrderLine
    entry: RosterEntry
    bay: Bay | None
    start: int
    end: int


def _row_error(index: int, name: str, message: str) -> ValidationError:
    return ValidationError({f"assignments.{index}.{name}": message})


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@transaction.atomic
def dispatch_apply(*, actor, assignments: list[dict], branch=None, day: datetime.date | None = None, now=None):
    """Assign each row's job to its technician (employee id) and bay from its start; the end follows from the job's
    hours and the technician's breaks. Returns the `JobSlot`s written. All rows or none (422 naming the row)."""
    require_perm(actor, DISPATCH)
    now = now or timezone.now()
    if not assignments:
        raise ValidationError({"assignments": _("Apply at least one assignment.")})
    lines = _lines_for_rows(actor, assignments)
    branch = branch or next(iter(lines.values())).order.branch
    for index, line in enumerate(lines.values()):
        if line.order.branch_id != branch.pk:
            raise _row_error(index, "line", _("No job with that id."))
    day = day or timezone.localdate(_parse_start(assignments[0], 0))
    _lock_branch_plan(branch)
    day_in = day_input(branch=branch, day=day, now=now, planning=set(lines))
    rows = [_checked_row(index, row, lines, day_in) for index, row in enumerate(assignments)]
    _check_overlaps(rows, day_in)
    return _write(actor, rows, day_in)


def _lock_branch_plan(branch) -> None:
    """Applies of one branch run one after another (a lock on its workshop settings row), so that two dispatchers
    applying at the same second cannot both take the same technician's or bay's free time."""
    settings = workshop_settings_for(branch)
    WorkshopSettings.objects.select_for_update().filter(pk=settings.pk).first()


def _lines_for_rows(actor, assignments) -> dict[int, ServiceOrderLine]:
    ids = []
    for index, row in enumerate(assignments):
        try:
            ids.append(int(row.get("line")))
        except (TypeError, ValueError):
            raise _row_error(index, "line", _("Choose a job.")) from None
    found = (
        ServiceOrderLine.objects.for_user(actor)
        .select_related("order__branch", "order__asset")
        .select_for_update(of=("self",))
        .in_bulk(ids)
    )
    branches = set()
    for index, pk in enumerate(ids):
        line = found.get(pk)
        if line is None or line.kind != LineKind.LABOUR:
            raise _row_error(index, "line", _("No job with that id."))
        if ids.index(pk) != index:
            raise _row_error(index, "line", _("This job is in the plan twice."))
        if line.consent != Consent.APPROVED:
            raise _row_error(index, "line", _("“%(line)s” awaits the customer's consent.") % {"line": line.name})
        if (
            line.job_status not in (JobStatus.UNASSIGNED, JobStatus.ASSIGNED)
            or line.order.status not in WORKSHOP_STATUSES
        ):
            raise _row_error(
                index,
                "line",
                _("“%(line)s” is %(status)s: it can't be planned.")
                % {"line": line.name, "status": line.get_job_status_display()},
            )
        branches.add(line.order.branch_id)
    if len(branches) > 1:
        raise ValidationError({"assignments": _("Plan one branch at a time.")})
    return {pk: found[pk] for pk in ids}


def _parse_start(row: dict, index: int) -> datetime.datetime:
    value = row.get("start")
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        try:
            value = parse_datetime(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime.datetime):
        raise _row_error(index, "start", _("Enter a start time."))
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _checked_row(index: int, row: dict, lines, day_in: DayInput) -> _Row:
    line = lines[int(row["line"])]
    entry = day_in.entries.get(_int(row.get("technician")))
    if entry is None:
        raise _row_error(index, "technician", _("Choose a technician of this branch."))
    tech = next(t for t in day_in.techs if t.id == entry.employee.pk)
    name = entry.employee.name
    if tech.shift is None:
        raise _row_error(index, "technician", _("%(name)s is off that day.") % {"name": name})
    job = next(j for j in day_in.jobs if j.id == line.pk)
    if not planner.eligible(job, tech):
        raise _row_error(
            index,
            "technician",
            _("%(name)s does not have %(skill)s at level %(level)s.")
            % {"name": name, "skill": line.skill, "level": line.min_level},
        )
    bay = _checked_bay(index, row, line, day_in)
    start = to_minutes(_parse_start(row, index), day_in.origin)
    if timezone.localtime(to_moment(start, day_in.origin)).date() != day_in.day:
        raise _row_error(index, "start", _("Plan every job on the same day."))
    end = planner.finish_time(start, job.minutes, tech.breaks)
    inside_break = any(a <= start < b for a, b in tech.breaks)
    if start < tech.shift[0] or end > tech.shift[1] or inside_break:
        raise _row_error(
            index,
            "start",
            _("%(name)s works %(start)s–%(end)s: the job (%(from)s–%(to)s) doesn't fit.")
            % {
                "name": name,
                "start": _hm(tech.shift[0]),
                "end": _hm(tech.shift[1]),
                "from": _hm(start),
                "to": _hm(end),
            },
        )
    return _Row(index=index, line=line, entry=entry, bay=bay, start=start, end=end)


def _checked_bay(index: int, row: dict, line, day_in: DayInput) -> Bay | None:
    bay_id = _int(row.get("bay"))
    if bay_id is None:
        if line.bay_kind:
            raise _row_error(
                index, "bay", _("“%(line)s” needs a %(kind)s bay.") % {"line": line.name, "kind": line.bay_kind}
            )
        return None
    bay = day_in.bay_records.get(bay_id)
    if bay is None:
        raise _row_error(index, "bay", _("Choose a bay of this branch."))
    if line.bay_kind and line.bay_kind not in (bay.kinds or []):
        raise _row_error(
            index, "bay", _("Bay %(bay)s does not allow %(kind)s work.") % {"bay": bay.code, "kind": line.bay_kind}
        )
    return bay


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _check_overlaps(rows: list[_Row], day_in: DayInput) -> None:
    techs = {t.id: t for t in day_in.techs}
    bays = {b.id: b for b in day_in.bays}
    for row in rows:
        span = (row.start, row.end)
        earlier = [r for r in rows if r.index < row.index]
        name = row.entry.employee.name
        tech_busy = list(techs[row.entry.employee.pk].busy) + [
            (r.start, r.end) for r in earlier if r.entry is row.entry
        ]
        if any(_overlap(span, other) for other in tech_busy):
            raise _row_error(row.index, "start", _("%(name)s already has a job at that time.") % {"name": name})
        if row.bay is not None:
            bay_busy = list(bays[row.bay.pk].busy) + [(r.start, r.end) for r in earlier if r.bay == row.bay]
            if any(_overlap(span, other) for other in bay_busy):
                raise _row_error(row.index, "bay", _("Bay %(bay)s is taken at that time.") % {"bay": row.bay.code})
        car_busy = list(day_in.order_busy.get(row.line.order_id, [])) + [
            (r.start, r.end) for r in earlier if r.line.order_id == row.line.order_id
        ]
        if any(_overlap(span, other) for other in car_busy):
            raise _row_error(
                row.index, "start", _("%(number)s has another job at that time.") % {"number": row.line.order.number}
            )


def _write(actor, rows: list[_Row], day_in: DayInput) -> list[JobSlot]:
    by_order: dict[int, list[_Row]] = defaultdict(list)
    for row in rows:
        by_order[row.line.order_id].append(row)
    slots = []
    for order_rows in by_order.values():
        order = order_rows[0].line.order
        order_dispatch(
            actor=actor,
            order=order,
            assignments=[{"line": r.line.pk, "technician": r.entry.user_id} for r in order_rows],
        )
        for r in order_rows:
            r.line.technician_id, r.line.job_status = r.entry.user_id, JobStatus.ASSIGNED  # as order_dispatch saved it
            slot, _created = JobSlot.objects.update_or_create(
                line=r.line,
                defaults={
                    "bay": r.bay,
                    "start": to_moment(r.start, day_in.origin),
                    "end": to_moment(r.end, day_in.origin),
                    "planned_by": actor,
                },
            )
            slots.append(slot)
        order.refresh_from_db()
        order_delay_watch(order=order)
    return slots
