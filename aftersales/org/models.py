"""Organisation: branches, positions (岗位) with their job descriptions, employees, teams, API tokens."""

import re

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.core.access import ScopedQuerySet, SignedInQuerySet
from aftersales.core.models import TimeStampedModel
from aftersales.core.validators import validate_mobile
from aftersales.org.choices import BranchKind, TeamKind

branch_code_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,11}$", _("Use 2–12 capital letters and digits, starting with a letter (e.g. BJ01).")
)
position_code_validator = RegexValidator(r"^[a-z][a-z0-9_]{1,39}$", _("Use lower-case letters, digits and _."))


class User(AbstractUser):
    """A sign-in account. The person behind it, if any, is its `employee`."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]


class BranchQuerySet(ScopedQuerySet):
    def for_user(self, user):
        from aftersales.core.access import visible_branch_ids

        ids = visible_branch_ids(user)
        if ids is None:
            return self.all()
        return self.filter(pk__in=sorted(ids)) if ids else self.none()


class Branch(TimeStampedModel):
    """A store, service station, office, customer-service centre, region or the head office (门店/服务站/客服中心)."""

    code = models.CharField(_("code"), max_length=12, unique=True, validators=[branch_code_validator])
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=BranchKind.choices, default=BranchKind.STORE)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = BranchQuerySet.as_manager()
    scope_field = "pk"

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("org:branch_detail", args=[self.pk])

    def clean(self):
        if self.parent_id and self.parent.kind not in (BranchKind.REGION, BranchKind.HEAD_OFFICE):
            raise ValidationError({"parent": _("A parent must be a region or the head office.")})
        if self.kind == BranchKind.HEAD_OFFICE and self.parent_id:
            raise ValidationError({"parent": _("The head office has no parent.")})
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk and ancestor.pk == self.pk:
                raise ValidationError({"parent": _("A branch cannot be placed under itself.")})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class PositionQuerySet(SignedInQuerySet):
    """Positions are the company's, not a branch's: every signed-in user may read them."""


class Position(TimeStampedModel):
    """A position (岗位) and its job description (岗位说明书): duties, KPIs, reporting line, qualifications."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[position_code_validator])
    name = models.CharField(_("name"), max_length=60)
    duties = models.TextField(_("duties"), blank=True)
    kpis = models.TextField(_("KPIs"), blank=True)
    reports_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subordinates",
        verbose_name=_("reports to"),
    )
    qualifications = models.TextField(_("qualifications"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = PositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("org:position_detail", args=[self.pk])

    def duty_lines(self) -> list[str]:
        return [line.strip() for line in re.split(r"\n+", self.duties) if line.strip()]

    def clean(self):
        ancestor, seen = self.reports_to, set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk and ancestor.pk == self.pk:
                raise ValidationError({"reports_to": _("A position cannot report to itself.")})
            seen.add(ancestor.pk)
            ancestor = ancestor.reports_to


class Team(TimeStampedModel):
    """A team (安装小组/班组) of one branch; its members are the employees whose `team` it is."""

    name = models.CharField(_("name"), max_length=60)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="teams", verbose_name=_("branch"))
    kind = models.CharField(_("kind"), max_length=16, choices=TeamKind.choices, default=TeamKind.WORKSHOP)
    leader = models.ForeignKey(
        "Employee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
        verbose_name=_("leader"),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["branch__code", "name"]
        constraints = [models.UniqueConstraint(fields=["branch", "name"], name="org_team_unique_name_per_branch")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("org:team_detail", args=[self.pk])

    def clean(self):
        if self.leader_id and self.branch_id and not self.leader.works_at(self.branch_id):
            raise ValidationError({"leader": _("The leader must work at the team's branch.")})


class EmployeeQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Employees whose main or additional branch the user may see."""
        from aftersales.core.access import visible_branch_ids

        ids = visible_branch_ids(user)
        if ids is None:
            return self.all()
        if not ids:
            return self.none()
        ids = sorted(ids)
        extra = Employee.branches.through.objects.filter(employee=models.OuterRef("pk"), branch__in=ids)
        return self.filter(models.Q(branch__in=ids) | models.Exists(extra))


class Employee(TimeStampedModel):
    """A person of the department: account, number, branch(es), position, roles (the account's groups), team."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="employee", verbose_name=_("account")
    )
    employee_no = models.CharField(_("employee number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True, validators=[validate_mobile])
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="employees", verbose_name=_("branch"))
    branches = models.ManyToManyField(
        Branch,
        blank=True,
        related_name="extra_employees",
        verbose_name=_("other branches"),
        help_text=_("Further branches this person works for."),
    )
    position = models.ForeignKey(
        Position, null=True, blank=True, on_delete=models.PROTECT, related_name="employees", verbose_name=_("position")
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members", verbose_name=_("team")
    )
    active = models.BooleanField(_("active"), default=True)
    hired_on = models.DateField(_("hired on"), null=True, blank=True)

    objects = EmployeeQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["employee_no"]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_no})"

    def get_absolute_url(self) -> str:
        return reverse("org:employee_detail", args=[self.pk])

    def works_at(self, branch_id: int) -> bool:
        return self.branch_id == branch_id or self.branches.filter(pk=branch_id).exists()

    def clean(self):
        if self.team_id and self.branch_id and self.team.branch_id != self.branch_id:
            raise ValidationError({"team": _("The team must belong to the employee's branch.")})


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
