"""Who works when: a technician's shift on a date (their own, or the branch's default), their breaks and days
off, and the conversion between aware datetimes and the planner's minutes from the day's midnight.

The branch's default shift is 08:30–17:30 with no break unless its `WorkshopSettings` say otherwise. A weekly
day off or a `DayOff` on the date means no shift at all. A shift that ends at or before its start is not worked.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from aftersales.workshop.choices import DEFAULT_DAY_END, DEFAULT_DAY_START
from aftersales.workshop.models import DayOff, TechnicianShift, WorkshopSettings


@dataclass(frozen=True, slots=True)
class Hours:
    """Working hours of one day, as times of day: start, end, and the break (both None when there is none)."""

    start: datetime.time
    end: datetime.time
    break_start: datetime.time | None = None
    break_end: datetime.time | None = None

    @property
    def breaks(self) -> list[tuple[datetime.time, datetime.time]]:
        if self.break_start and self.break_end and self.break_start < self.break_end:
            return [(self.break_start, self.break_end)]
        return []

    def minutes(self) -> tuple[int, int, list[tuple[int, int]]]:
        """(start, end, breaks) in minutes from midnight, breaks clipped to the shift."""
        start, end = minute_of(self.start), minute_of(self.end)
        breaks = [(max(start, minute_of(a)), min(end, minute_of(b))) for a, b in self.breaks]
        return start, end, [(a, b) for a, b in breaks if a < b]

    def worked_minutes(self) -> int:
        start, end, breaks = self.minutes()
        return max(0, end - start - sum(b - a for a, b in breaks))


DEFAULT_HOURS = Hours(DEFAULT_DAY_START, DEFAULT_DAY_END)


def minute_of(moment: datetime.time) -> int:
    return moment.hour * 60 + moment.minute


def day_origin(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day`, in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def to_minutes(moment: datetime.datetime, origin: datetime.datetime) -> int:
    """Whole minutes from `origin` (rounded down)."""
    return int((moment - origin).total_seconds() // 60)


def to_moment(minutes: int, origin: datetime.datetime) -> datetime.datetime:
    return origin + datetime.timedelta(minutes=minutes)


def branch_hours(branch) -> Hours:
    """The branch's default shift (its settings, or 08:30–17:30 with no break)."""
    settings = WorkshopSettings.objects.filter(branch=branch).first()
    return settings_hours(settings)


def settings_hours(settings: WorkshopSettings | None) -> Hours:
    if settings is None:
        return DEFAULT_HOURS
    return Hours(settings.day_start, settings.day_end, settings.break_start, settings.break_end)


def shift_hours(shift: TechnicianShift | None, default: Hours) -> Hours:
    if shift is None:
        return default
    return Hours(shift.start, shift.end, shift.break_start, shift.break_end)


def hours_on(*, shift: TechnicianShift | None, default: Hours, day: datetime.date, off_dates: set) -> Hours | None:
    """The hours a technician works on `day`, or None (weekly day off, a day off, or an empty shift)."""
    if day in off_dates:
        return None
    if shift is not None and day.weekday() in (shift.weekly_off or []):
        return None
    hours = shift_hours(shift, default)
    return hours if hours.end > hours.start else None


def days_off_by_employee(employee_ids, day: datetime.date) -> dict[int, set]:
    """{employee id: {day}} for those with a day off on `day`, in one query."""
    found: dict[int, set] = {}
    for employee_id in DayOff.objects.filter(employee_id__in=list(employee_ids), date=day).values_list(
        "employee_id", flat=True
    ):
        found.setdefault(employee_id, set()).add(day)
    return found
