"""Who should do this job? Every technician of the order's branch, ranked, each with a score and a one-line reason.

Ineligible technicians (the skill missing or below the job's level, or off today) score 0 and come last, the reason
saying why. Eligible ones score out of 100:
- 40 for being able to do it;
- up to 30 for free time left today: all 30 when the job fits in what is left of their shift after their load;
- up to 15 for a light load (none: 15; a full shift's worth: 0);
- 10 for having worked on this asset before (a finished job on an earlier order of the same vehicle or device);
- up to 5 for a level close to the one needed (keep the masters for the hard jobs).
Ties go to the lower employee number.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.service.choices import JobStatus, LineKind
from aftersales.service.models import ServiceOrderLine
from aftersales.workshop import planner
from aftersales.workshop.services.calendar import day_origin, to_minutes
from aftersales.workshop.services.dispatch import planner_job
from aftersales.workshop.services.roster import RosterEntry, roster


@dataclass
class Suggestion:
    entry: RosterEntry
    score: int
    reason: str
    eligible: bool


def _free_minutes(entry: RosterEntry, now_minute: int) -> int:
    """Minutes of shift left today after now, minus breaks still ahead and the load."""
    if entry.hours is None:
        return 0
    start, end, breaks = entry.hours.minutes()
    start = max(start, now_minute)
    if start >= end:
        return 0
    ahead = sum(max(0, min(b, end) - max(a, start)) for a, b in breaks)
    return max(0, end - start - ahead - entry.load_minutes)


def _hours_text(minutes: int) -> str:
    return f"{minutes / 60:.1f}".rstrip("0").rstrip(".") or "0"


def _history(line: ServiceOrderLine) -> set[int]:
    """User ids of those who finished a job on an earlier order of the same asset."""
    if not line.order.asset_id:
        return set()
    return set(
        ServiceOrderLine.objects.filter(
            order__asset_id=line.order.asset_id, kind=LineKind.LABOUR, job_status=JobStatus.FINISHED
        )
        .exclude(order_id=line.order_id)
        .exclude(technician__isnull=True)
        .values_list("technician_id", flat=True)
    )


def _ineligible_reason(job: planner.Job, entry: RosterEntry, is_today: bool) -> str | None:
    if entry.hours is None:
        return _("Off today.") if is_today else _("Off that day.")
    level = entry.skills.get(job.skill, 0)
    if job.skill and level == 0:
        return _("No %(skill)s skill.") % {"skill": job.skill}
    if job.skill and level < job.min_level:
        return _("%(skill)s level %(level)s, below the %(needed)s needed.") % {
            "skill": job.skill,
            "level": level,
            "needed": job.min_level,
        }
    return None


def _suggest(job: planner.Job, entry: RosterEntry, now_minute: int, history: set[int], is_today: bool) -> Suggestion:
    why_not = _ineligible_reason(job, entry, is_today)
    if why_not:
        return Suggestion(entry, 0, why_not, False)
    shift = entry.hours.worked_minutes() or 1
    free = _free_minutes(entry, now_minute)
    level = entry.skills.get(job.skill, 0)
    score = 40 + round(30 * min(1, free / job.minutes)) + round(15 * max(0, 1 - entry.load_minutes / shift))
    parts = []
    if job.skill:
        parts.append(_("%(skill)s level %(level)s") % {"skill": job.skill, "level": level})
        score += round(5 * (1 - min(4, level - job.min_level) / 4))
    else:
        score += 5
    if free >= job.minutes:
        text = _("free %(hours)s h today") if is_today else _("free %(hours)s h that day")
        parts.append(text % {"hours": _hours_text(free)})
    else:
        text = _("only %(hours)s h free today") if is_today else _("only %(hours)s h free that day")
        parts.append(text % {"hours": _hours_text(free)})
    parts.append(_("load %(hours)s h") % {"hours": _hours_text(entry.load_minutes)})
    if entry.user_id in history:
        score += 10
        parts.append(_("has worked on this vehicle before"))
    return Suggestion(entry, min(100, score), _(", ").join(parts), True)


def job_suggestions(
    *, line: ServiceOrderLine, day: datetime.date | None = None, now: datetime.datetime | None = None
) -> list[Suggestion]:
    """The branch's technicians for `line` on `day` (today by default), best first (see the module for the score;
    for a later day, "free time" is their whole shift less their load). The caller has checked that the user may
    see the line."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    day = day or today
    job = planner_job(line)
    now_minute = max(0, to_minutes(now, day_origin(day)))
    history = _history(line)
    entries = roster(branch=line.order.branch, day=day, now=now)
    suggestions = [_suggest(job, entry, now_minute, history, day == today) for entry in entries]
    return sorted(suggestions, key=lambda s: (not s.eligible, -s.score, s.entry.employee.employee_no))
