"""The workshop's records: technicians' skills, shifts and days off, bays, each job's planned slot, the clock.

A technician is an employee holding the technician role; their skills, shift and
days off hang off the employee. The branch's `WorkshopSettings` hold the default shift (08:30–17:30, no break,
unless the branch sets otherwise) and the hash of the progress board's secret link. A job is a labour line of a
service order: the line keeps its technician and job status; its planned bay and times are a `JobSlot`; the time
worked on it is the sum of its `ClockSpan`s (one per stretch between start/resume and pause/finish).
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.access import ScopedQuerySet
from aftersales.core.models import TimeStampedModel
from aftersales.workshop.choices import DEFAULT_DAY_END, DEFAULT_DAY_START, NAME_MAX


class WorkshopSettingsQuerySet(ScopedQuerySet):
    pass


class WorkshopSettings(models.Model):
    """A branch's workshop hours (the default shift of its technicians) and its progress board link."""

    branch = models.OneToOneField(
        "org.Branch", on_delete=models.CASCADE, related_name="workshop_settings", verbose_name=_("branch")
    )
    day_start = models.TimeField(_("shift starts"), default=DEFAULT_DAY_START)
    day_end = models.TimeField(_("shift ends"), default=DEFAULT_DAY_END)
    break_start = models.TimeField(_("break starts"), null=True, blank=True)
    break_end = models.TimeField(_("break ends"), null=True, blank=True)
    board_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    board_token_created_at = models.DateTimeField(_("board link made"), null=True, blank=True)

    objects = WorkshopSettingsQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("workshop settings")
        verbose_name_plural = _("workshop settings")
        ordering = ["branch"]

    def __str__(self) -> str:
        return str(self.branch)


class TechnicianSkillQuerySet(ScopedQuerySet):
    pass


class TechnicianSkill(models.Model):
    """One skill category of a technician with their level, 1 (apprentice) to 5 (master)."""

    employee = models.ForeignKey(
        "org.Employee", on_delete=models.CASCADE, related_name="skills", verbose_name=_("technician")
    )
    skill = models.CharField(_("skill category"), max_length=NAME_MAX)
    level = models.PositiveSmallIntegerField(_("level"), validators=[MinValueValidator(1), MaxValueValidator(5)])

    objects = TechnicianSkillQuerySet.as_manager()
    scope_field = "employee__branch"

    class Meta:
        verbose_name = _("technician's skill")
        verbose_name_plural = _("technicians' skills")
        ordering = ["employee", "skill"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "skill"], name="workshop_skill_unique"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="workshop_skill_level_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.skill} {self.level}"


class TechnicianShiftQuerySet(ScopedQuerySet):
    pass


class TechnicianShift(models.Model):
    """A technician's own working hours and weekly days off; without one they work the branch's default shift."""

    employee = models.OneToOneField(
        "org.Employee", on_delete=models.CASCADE, related_name="shift", verbose_name=_("technician")
    )
    start = models.TimeField(_("shift starts"))
    end = models.TimeField(_("shift ends"))
    break_start = models.TimeField(_("break starts"), null=True, blank=True)
    break_end = models.TimeField(_("break ends"), null=True, blank=True)
    #: Weekdays off every week, 0 = Monday … 6 = Sunday.
    weekly_off = models.JSONField(_("weekly days off"), default=list, blank=True)

    objects = TechnicianShiftQuerySet.as_manager()
    scope_field = "employee__branch"

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["employee"]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


class DayOffQuerySet(ScopedQuerySet):
    pass


class DayOff(models.Model):
    """A date a technician does not work (leave, training, sick)."""

    employee = models.ForeignKey(
        "org.Employee", on_delete=models.CASCADE, related_name="days_off", verbose_name=_("technician")
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=60, blank=True)

    objects = DayOffQuerySet.as_manager()
    scope_field = "employee__branch"

    class Meta:
        verbose_name = _("day off")
        verbose_name_plural = _("days off")
        ordering = ["date", "employee"]
        constraints = [models.UniqueConstraint(fields=["employee", "date"], name="workshop_day_off_unique")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d}"


class BayQuerySet(ScopedQuerySet):
    pass


class Bay(TimeStampedModel):
    """A bay (工位) of a branch's workshop and the kinds of work it allows (a lift, a paint booth…)."""

    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="bays", verbose_name=_("branch"))
    code = models.CharField(_("code"), max_length=12)
    name = models.CharField(_("name"), max_length=40)
    kinds = models.JSONField(_("kinds of work"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = BayQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("bay")
        verbose_name_plural = _("bays")
        ordering = ["branch", "code"]
        constraints = [models.UniqueConstraint(fields=["branch", "code"], name="workshop_bay_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class JobSlotQuerySet(ScopedQuerySet):
    pass


class JobSlot(models.Model):
    """Where and when a job is planned: its bay (if it needs one) and its start and end (the end includes any break
    the job spans). The technician is the line's own. Written by applying a plan or by a dispatcher's move."""

    line = models.OneToOneField(
        "service.ServiceOrderLine", on_delete=models.CASCADE, related_name="slot", verbose_name=_("job")
    )
    bay = models.ForeignKey(
        Bay, null=True, blank=True, on_delete=models.PROTECT, related_name="slots", verbose_name=_("bay")
    )
    start = models.DateTimeField(_("planned start"))
    end = models.DateTimeField(_("planned end"))
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("planned by")
    )
    planned_at = models.DateTimeField(_("planned at"), auto_now=True)

    objects = JobSlotQuerySet.as_manager()
    scope_field = "line__order__branch"

    class Meta:
        verbose_name = _("planned slot")
        verbose_name_plural = _("planned slots")
        ordering = ["start", "line"]
        indexes = [models.Index(fields=["start"], name="workshop_slot_start_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="workshop_slot_end")]

    def __str__(self) -> str:
        return f"{self.line_id} {self.start:%H:%M}–{self.end:%H:%M}"


class ClockSpanQuerySet(ScopedQuerySet):
    pass


class ClockSpan(models.Model):
    """One stretch of work on a job: from a start or resume to the pause or finish that ended it (open while the
    job is being worked). `end_reason` is the pause reason, or `finish`."""

    line = models.ForeignKey(
        "service.ServiceOrderLine", on_delete=models.CASCADE, related_name="clock_spans", verbose_name=_("job")
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clock_spans", verbose_name=_("technician")
    )
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("to"), null=True, blank=True)
    end_reason = models.CharField(_("ended by"), max_length=12, blank=True)

    objects = ClockSpanQuerySet.as_manager()
    scope_field = "line__order__branch"

    class Meta:
        verbose_name = _("clocked span")
        verbose_name_plural = _("clocked spans")
        ordering = ["started_at", "pk"]
        indexes = [models.Index(fields=["technician", "started_at"], name="workshop_span_tech_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["line"], condition=models.Q(ended_at__isnull=True), name="workshop_span_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.line_id} {self.started_at:%H:%M}"

    def seconds(self, now: datetime.datetime) -> int:
        return int(((self.ended_at or now) - self.started_at).total_seconds())


class DelayWarning(models.Model):
    """The advisor was warned that an order will miss this promised time: once per order and promise."""

    order = models.ForeignKey(
        "service.ServiceOrder", on_delete=models.CASCADE, related_name="delay_warnings", verbose_name=_("order")
    )
    promised_at = models.DateTimeField(_("promised time"))
    expected_at = models.DateTimeField(_("expected finish"))
    created_at = models.DateTimeField(_("warned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delay warning")
        verbose_name_plural = _("delay warnings")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["order", "promised_at"], name="workshop_delay_once")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.expected_at:%H:%M}"
