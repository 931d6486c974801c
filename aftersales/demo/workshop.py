"""The demo workshop: each demo branch with technicians gets their skills and levels, one technician's own shift
(08:00–17:00, lunch 12:00–13:00, Sundays off), a day off tomorrow for another, the branch's lunch break, and its bays;
the demo's labour lines get the skill, level and bay kind their names call for; and the jobs being worked or waiting
today get their planned slots (JobSlot), on their own technician, one after another, each on a free bay of its kind.

The master data goes through `workshop.services.setup` as the demo administrator (so it carries the audit trail).
The labour lines' requirements, the slots and the clocked time of the jobs the demo finished in an instant are demo
fixtures written through the ORM: the orders were taken through their steps by the demo service step, and their plan
follows from who has them.

Idempotent: a technician who has skills, a shift or a day off ahead, a branch with workshop settings, an existing bay
code and a job with a slot are left as they are; the line requirements are set to the same values again.
"""

import datetime
import math
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from aftersales.org.models import Employee
from aftersales.service.choices import Consent, JobStatus, LineKind, OrderStatus
from aftersales.service.models import ServiceOrderLine
from aftersales.workshop import planner
from aftersales.workshop.models import Bay, ClockSpan, DayOff, JobSlot, TechnicianShift, WorkshopSettings
from aftersales.workshop.services import setup
from aftersales.workshop.services.calendar import day_origin, to_minutes, to_moment
from aftersales.workshop.services.roster import roster

#: Skills by the demo person's user name (`seed.PEOPLE`).
SKILLS = {
    "tech1": {"机修": 4, "保养": 5, "电工": 2, "检测": 2},  # 赵军, 机修一组
    "tech2": {"机修": 3, "保养": 3, "电工": 3, "检测": 3},  # 吴勇, 机修一组
    "tech3": {"钣金": 4, "喷漆": 3, "保养": 2},  # 孙涛, 钣喷组
    "tech4": {"机修": 3, "保养": 4, "电工": 2},  # 郑斌, BJ02 机修组
    "installer1": {"安装": 4, "电工": 3},  # 谢鹏, BJ02 安装一组
}
MOMENT = datetime.timedelta(minutes=1)
OWN_SHIFT = ("tech2", datetime.time(8), datetime.time(17), datetime.time(12), datetime.time(13), [6])
DAY_OFF = ("tech3", "厂家钣喷培训")
LUNCH = (datetime.time(12), datetime.time(13))
BAYS = {
    "BJ01": (
        ("A1", "举升工位1", ("举升",)),
        ("A2", "举升工位2", ("举升",)),
        ("A3", "举升工位3", ("举升", "快修")),
        ("A4", "举升工位4", ("举升", "快修")),
        ("Q1", "快修工位", ("快修",)),
        ("B1", "钣金工位", ("钣金",)),
        ("P1", "喷漆房", ("喷漆",)),
        ("W1", "四轮定位工位", ("四轮定位",)),
    ),
    "BJ02": (
        ("A1", "举升工位1", ("举升",)),
        ("A2", "举升工位2", ("举升",)),
        ("A3", "举升工位3", ("举升",)),
        ("A4", "举升工位4", ("举升",)),
        ("Q1", "快修工位", ("快修",)),
        ("W1", "四轮定位工位", ("四轮定位",)),
    ),
}
#: (keywords in the job's name, skill, minimum level, bay kind); the first rule that matches wins.
RULES = (
    (("钣金",), "钣金", 3, "钣金"),
    (("喷漆",), "喷漆", 3, "喷漆"),
    (("四轮定位",), "机修", 2, "四轮定位"),
    (("充电桩", "安装"), "安装", 2, ""),
    (("灯", "电路", "蓄电池", "后视镜"), "电工", 2, ""),
    (("滤清器",), "保养", 1, "快修"),
    (("空调",), "机修", 2, "快修"),
    (("匹配", "诊断", "检测"), "检测", 2, ""),
    (("正时",), "机修", 4, "举升"),
    (("减震", "变速箱"), "机修", 3, "举升"),
    (("刹车",), "机修", 2, "举升"),
    (("轮胎",), "机修", 1, "举升"),
    (("机油", "保养"), "保养", 1, "举升"),
    (("节气门", "喷油嘴", "火花塞", "皮带", "多楔带"), "保养", 2, "快修"),
    (("滤", "雨刮", "玻璃水", "燃油"), "保养", 1, "快修"),
)
#: How long the finished demo jobs took against their standard hours, in turn (the demo finishes them at once).
TOOK = (Decimal("0.9"), Decimal("1.1"), Decimal("0.8"), Decimal("1.25"), Decimal("1.0"), Decimal("0.95"))
OPEN_ORDERS = (OrderStatus.DISPATCHED, OrderStatus.IN_PROGRESS)
OPEN_JOBS = (JobStatus.ASSIGNED, JobStatus.IN_PROGRESS, JobStatus.PAUSED)


def _technicians() -> dict[str, Employee]:
    return {e.user.username: e for e in Employee.objects.filter(user__username__in=SKILLS).select_related("user")}


def _people(admin, technicians: dict[str, Employee]) -> None:
    for username, skills in SKILLS.items():
        employee = technicians.get(username)
        if employee is not None and not employee.skills.exists():
            setup.technician_skills_set(actor=admin, employee=employee, skills=skills)
    username, start, end, break_start, break_end, weekly_off = OWN_SHIFT
    employee = technicians.get(username)
    if employee is not None and not TechnicianShift.objects.filter(employee=employee).exists():
        setup.technician_shift_set(
            actor=admin,
            employee=employee,
            start=start,
            end=end,
            break_start=break_start,
            break_end=break_end,
            weekly_off=weekly_off,
        )
    username, reason = DAY_OFF
    employee = technicians.get(username)
    today = timezone.localdate()
    if employee is not None and not DayOff.objects.filter(employee=employee, date__gte=today).exists():
        setup.day_off_add(actor=admin, employee=employee, date=today + datetime.timedelta(days=1), reason=reason)


def _branch_setup(admin, branch) -> None:
    if not WorkshopSettings.objects.filter(branch=branch).exists():
        defaults = WorkshopSettings(branch=branch)  # the default shift, with a lunch break
        setup.workshop_hours_set(
            actor=admin,
            branch=branch,
            start=defaults.day_start,
            end=defaults.day_end,
            break_start=LUNCH[0],
            break_end=LUNCH[1],
        )
    known = set(Bay.objects.filter(branch=branch).values_list("code", flat=True))
    for code, name, kinds in BAYS.get(branch.code, ()):
        if code not in known:
            setup.bay_create(actor=admin, branch=branch, code=code, name=name, kinds=list(kinds))


def line_requirements(name: str) -> tuple[str, int, str] | None:
    """(skill, minimum level, bay kind) a job's name calls for, or None when no rule knows it."""
    for keywords, skill, level, bay_kind in RULES:
        if any(keyword in name for keyword in keywords):
            return skill, level, bay_kind
    return None


def _requirements(branches) -> None:
    lines = ServiceOrderLine.objects.filter(order__branch__in=branches, kind=LineKind.LABOUR)
    wanted = defaultdict(list)
    for pk, name in lines.values_list("pk", "name"):
        found = line_requirements(name)
        if found is not None:
            wanted[found].append(pk)
    for (skill, level, bay_kind), ids in wanted.items():
        ServiceOrderLine.objects.filter(pk__in=ids).exclude(skill=skill, min_level=level, bay_kind=bay_kind).update(
            skill=skill, min_level=level, bay_kind=bay_kind
        )


def _clocked_history(branches) -> None:
    """Give the finished demo jobs, clocked in an instant, the time they would have taken: each technician's, one
    after another back from when the last ended, so the productivity page shows believable figures."""
    spans = (
        ClockSpan.objects.filter(
            line__order__branch__in=branches, end_reason="finish", ended_at__lt=F("started_at") + MOMENT
        )
        .select_related("line")
        .order_by("technician_id", "-ended_at", "-pk")
    )
    ends: dict[int, datetime.datetime] = {}
    for index, span in enumerate(spans):
        took = datetime.timedelta(minutes=int(span.line.hours * 60 * TOOK[index % len(TOOK)]))
        span.ended_at = min(span.ended_at, ends.get(span.technician_id, span.ended_at))
        span.started_at = span.ended_at - took
        ends[span.technician_id] = span.started_at
        span.save(update_fields=["started_at", "ended_at"])


def _free_bay(bays: list[Bay], busy, kind: str, start: int, end: int) -> tuple[Bay | None, int]:
    """The first bay of `kind` free over [start, end), or else the one that frees first and when (bay, delay)."""
    fits = [bay for bay in bays if kind in (bay.kinds or [])]
    if not fits:
        return None, 0
    for bay in fits:
        if all(end <= a or b <= start for a, b in busy[bay.pk]):
            return bay, 0
    frees = {bay.pk: max(b for a, b in busy[bay.pk] if a < end and start < b) for bay in fits}
    bay = min(fits, key=lambda b: frees[b.pk])
    return bay, frees[bay.pk] - start


def _slots(dispatcher, branch, now: datetime.datetime) -> None:
    """Plan today's open jobs that have no slot: on their technician, one after another from the job being worked
    (or from now), on a free bay of the kind each needs, over the technician's breaks."""
    day = timezone.localdate(now)
    origin = day_origin(day)
    entries = {entry.user_id: entry for entry in roster(branch=branch, day=day, now=now)}
    jobs = list(
        ServiceOrderLine.objects.filter(
            order__branch=branch,
            order__status__in=OPEN_ORDERS,
            kind=LineKind.LABOUR,
            consent=Consent.APPROVED,
            job_status__in=OPEN_JOBS,
            slot__isnull=True,
            technician__isnull=False,
        )
        .prefetch_related("clock_spans")
        .order_by("order__promised_at", "pk")
    )
    jobs.sort(key=lambda job: job.job_status == JobStatus.ASSIGNED)  # the jobs under way first
    bays = list(Bay.objects.filter(branch=branch, active=True).order_by("code"))
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    free_from: dict[int, int] = {}
    start_now = math.ceil(to_minutes(now, origin) / 5) * 5
    for job in jobs:
        entry = entries.get(job.technician_id)
        hours = entry.hours if entry is not None else None
        breaks = hours.minutes()[2] if hours is not None else []
        spans = sorted(span.started_at for span in job.clock_spans.all())
        earliest = max(start_now, hours.minutes()[0]) if hours is not None else start_now
        start = to_minutes(spans[0], origin) if spans else earliest
        if job.job_status != JobStatus.PAUSED:  # a paused job leaves its technician free
            start = max(start, free_from.get(job.technician_id, start))
        minutes = max(1, math.ceil(job.hours * 60))
        end = planner.finish_time(start, minutes, breaks)
        bay, delay = _free_bay(bays, busy, job.bay_kind, start, end) if job.bay_kind else (None, 0)
        while delay:  # wait for the bay that frees first, until one is free for the whole job
            start += delay
            end = planner.finish_time(start, minutes, breaks)
            bay, delay = _free_bay(bays, busy, job.bay_kind, start, end)
        if bay is not None:
            busy[bay.pk].append((start, end))
        if job.job_status != JobStatus.PAUSED:
            free_from[job.technician_id] = end
        JobSlot.objects.create(
            line=job, bay=bay, start=to_moment(start, origin), end=to_moment(end, origin), planned_by=dispatcher
        )


@transaction.atomic
def seed_workshop(admin, branches, *, dispatcher_usernames=("dispatcher", "install")) -> None:
    """Create whatever of the demo workshop is missing (see the module's docstring)."""
    technicians = _technicians()
    _people(admin, technicians)
    workshop_branches = [b for b in branches.values() if any(e.branch_id == b.pk for e in technicians.values())]
    for branch in workshop_branches:
        _branch_setup(admin, branch)
    _requirements(workshop_branches)
    _clocked_history(workshop_branches)
    planners = Employee.objects.filter(user__username__in=dispatcher_usernames).select_related("user")
    by_branch = {e.branch_id: e.user for e in planners}
    now = timezone.now()
    for branch in workshop_branches:
        _slots(by_branch.get(branch.pk, admin), branch, now)
