"""The technicians of a branch on a day: who they are, their skills, their hours that day, what they already
have on their plate. One read for the technicians list, the suggestions and the planner.

A technician is an active employee working at the branch (main or further branch) who holds the technician role. Their load is the standard hours not yet clocked of the
jobs assigned to them and not finished, on orders still in the workshop.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from aftersales.org.models import Employee
from aftersales.service.choices import Consent, JobStatus, LineKind, OrderStatus
from aftersales.service.models import ServiceOrderLine
from aftersales.workshop.models import ClockSpan, TechnicianSkill, WorkshopSettings
from aftersales.workshop.services.calendar import Hours, days_off_by_employee, hours_on, settings_hours
from aftersales.workshop.services.clock import clocked_seconds

TECHNICIAN_ROLE = "technician"
WORKSHOP_STATUSES = (OrderStatus.APPROVED, OrderStatus.DISPATCHED, OrderStatus.IN_PROGRESS)
OPEN_JOB_STATUSES = (JobStatus.ASSIGNED, JobStatus.IN_PROGRESS, JobStatus.PAUSED)


@dataclass
class RosterEntry:
    """One technician on one day."""

    employee: Employee
    skills: dict[str, int]
    hours: Hours | None  # None: not working that day
    own_shift: bool  # False: the branch's default shift
    jobs: list[ServiceOrderLine] = field(default_factory=list)  # assigned, not finished
    load_minutes: int = 0

    @property
    def user_id(self) -> int:
        return self.employee.user_id


def technicians_of(branch):
    """The branch's technicians: active employees working there (main or further branch) who hold the technician
    role, by employee number. Managers whose roles also allow working jobs are not counted: they are not on the
    workshop's roster."""
    return (
        Employee.objects.filter(active=True, user__is_active=True, user__groups__name=TECHNICIAN_ROLE)
        .filter(Q(branch=branch) | Q(branches=branch))
        .distinct()
        .order_by("employee_no")
    )


def branch_default_hours(branch) -> Hours:
    return settings_hours(WorkshopSettings.objects.filter(branch=branch).first())


def roster(*, branch, day: datetime.date, now: datetime.datetime) -> list[RosterEntry]:
    """Every technician of the branch with their skills, hours on `day` and open jobs. Six queries."""
    default = branch_default_hours(branch)
    employees = list(
        technicians_of(branch)
        .select_related("shift", "user")
        .prefetch_related(Prefetch("skills", queryset=TechnicianSkill.objects.order_by("skill")))
    )
    off = days_off_by_employee([e.pk for e in employees], day)
    entries = []
    for employee in employees:
        shift = getattr(employee, "shift", None)
        entries.append(
            RosterEntry(
                employee=employee,
                skills={s.skill: s.level for s in employee.skills.all()},
                hours=hours_on(shift=shift, default=default, day=day, off_dates=off.get(employee.pk, set())),
                own_shift=shift is not None,
            )
        )
    _attach_jobs(entries, now)
    return entries


def open_jobs_of(user_ids):
    return (
        ServiceOrderLine.objects.filter(
            technician_id__in=list(user_ids),
            kind=LineKind.LABOUR,
            consent=Consent.APPROVED,
            job_status__in=OPEN_JOB_STATUSES,
            order__status__in=WORKSHOP_STATUSES,
        )
        .select_related("order", "slot")
        .prefetch_related(Prefetch("clock_spans", queryset=ClockSpan.objects.order_by()))
        .order_by("pk")
    )


def remaining_minutes(line: ServiceOrderLine, now: datetime.datetime) -> int:
    """Standard minutes of the job not yet clocked (none below zero)."""
    planned = int(line.hours * 60)
    return max(0, planned - clocked_seconds(line.clock_spans.all(), now=now) // 60)


def _attach_jobs(entries: list[RosterEntry], now: datetime.datetime) -> None:
    by_user = {entry.user_id: entry for entry in entries}
    for line in open_jobs_of(by_user):
        entry = by_user[line.technician_id]
        entry.jobs.append(line)
        entry.load_minutes += remaining_minutes(line, now)
