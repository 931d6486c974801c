"""Appraisal and pay: pay policies written as the policy reads, manual inputs, piece rates, appraisals, pay runs,
payslips and adjustments.

A policy's sheet is text (`名称 = 公式` lines, see `pay.policy`); its `bindings` say where each input comes from.
A pay run computes one payslip per employee; every payslip keeps each line's value, its formula and where each
input came from, so it can be explained long after the records behind it changed. A locked run never changes;
a correction is a `PayAdjustment` paid in a later run.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.core.access import ScopedQuerySet, SignedInQuerySet, own_or_branch
from aftersales.core.models import TimeStampedModel
from aftersales.pay.choices import AppraisalStatus, ItemSource, PeriodKind, RunStatus

MONEY = {"max_digits": 14, "decimal_places": 2}
AMOUNT = {"max_digits": 16, "decimal_places": 4}


class CompanyQuerySet(SignedInQuerySet):
    """Company-wide records (policies, piece rates, forms): read by every signed-in user."""


class PayPolicy(TimeStampedModel):
    """A pay policy (薪酬方案) of a position: the sheet, the line that is the payslip's total, the input bindings."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    position = models.ForeignKey(
        "org.Position", on_delete=models.PROTECT, related_name="pay_policies", verbose_name=_("position")
    )
    kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTHLY)
    sheet = models.TextField(_("policy"))
    total = models.CharField(_("total line"), max_length=60, help_text=_("The line whose value is paid."))
    bindings = models.JSONField(_("input sources"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("pay policy")
        verbose_name_plural = _("pay policies")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["position", "kind"], condition=models.Q(active=True), name="pay_policy_one_active_per_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("pay:policy_detail", args=[self.pk])


class PieceRate(TimeStampedModel):
    """The piece rate (计件单价) of one product type for installations; the empty type is the rate for the rest."""

    product_type = models.CharField(_("product type"), max_length=60, unique=True, blank=True)
    rate = models.DecimalField(_("rate per installation"), **MONEY, validators=[MinValueValidator(Decimal("0"))])
    active = models.BooleanField(_("active"), default=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("piece rate")
        verbose_name_plural = _("piece rates")
        ordering = ["product_type"]

    def __str__(self) -> str:
        return f"{self.product_type or '*'} {self.rate}"


class EmployeeScopedQuerySet(ScopedQuerySet):
    """Rows of an employee: the branch's for those whose role reads them (`view_perm`), one's own for everyone."""

    view_perm = ""

    def for_user(self, user):
        own = models.Q(employee__user=user) if getattr(user, "pk", None) else models.Q(pk__in=[])
        return own_or_branch(self, user, perm=self.view_perm, own=own, branch_field="employee__branch")


class PayInputQuerySet(EmployeeScopedQuerySet):
    view_perm = "pay.view_payinput"


class PayInput(TimeStampedModel):
    """A manual input (e.g. 业绩奖) of one employee for one month, typed on a page or imported from xlsx."""

    employee = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="pay_inputs", verbose_name=_("employee")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    name = models.CharField(_("input"), max_length=60)
    value = models.DecimalField(_("value"), **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by")
    )

    objects = PayInputQuerySet.as_manager()
    scope_field = "employee__branch"

    class Meta:
        verbose_name = _("pay input")
        verbose_name_plural = _("pay inputs")
        ordering = ["-month", "employee", "name"]
        constraints = [models.UniqueConstraint(fields=["employee", "month", "name"], name="pay_input_unique_per_month")]

    def __str__(self) -> str:
        return f"{self.employee} {self.month:%Y-%m} {self.name}={self.value}"


class AppraisalForm(TimeStampedModel):
    """An appraisal form (考核表) of a position: weighted items, scored by the manager or computed from a metric."""

    name = models.CharField(_("name"), max_length=100)
    position = models.ForeignKey(
        "org.Position",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appraisal_forms",
        verbose_name=_("position"),
    )
    kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTHLY)
    active = models.BooleanField(_("active"), default=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("appraisal form")
        verbose_name_plural = _("appraisal forms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pay:appraisal_form_detail", args=[self.pk])


class AppraisalFormItem(models.Model):
    """One weighted item. A metric item is scored by its rule, a formula over the metric (e.g.
    `MIN(督查次数 / 10, 1) × 100`); a manual item by the manager. Scores are 0–100."""

    form = models.ForeignKey(AppraisalForm, on_delete=models.CASCADE, related_name="items", verbose_name=_("form"))
    name = models.CharField(_("item"), max_length=100)
    weight = models.DecimalField(
        _("weight"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    source = models.CharField(_("scored"), max_length=10, choices=ItemSource.choices, default=ItemSource.MANUAL)
    metric = models.CharField(_("metric"), max_length=60, blank=True)
    rule = models.CharField(_("scoring rule"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("appraisal item")
        verbose_name_plural = _("appraisal items")
        ordering = ["form", "position", "id"]

    def __str__(self) -> str:
        return self.name


class AppraisalQuerySet(EmployeeScopedQuerySet):
    view_perm = "pay.view_appraisal"


class Appraisal(TimeStampedModel):
    """An employee's appraisal (考核) for a month or a year: self → manager → HR; a confirmed score is locked."""

    employee = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="appraisals", verbose_name=_("employee")
    )
    form = models.ForeignKey(
        AppraisalForm, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("form")
    )
    kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTHLY)
    period = models.CharField(_("period"), max_length=7, help_text=_("2026-11 for a month, 2026 for a year."))
    period_start = models.DateField(_("from"))
    status = models.CharField(
        _("status"), max_length=16, choices=AppraisalStatus.choices, default=AppraisalStatus.DRAFT
    )
    items = models.JSONField(_("item scores"), default=list, blank=True)
    self_score = models.DecimalField(
        _("self-assessment"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    self_comment = models.TextField(_("self-assessment comment"), blank=True)
    manager_comment = models.TextField(_("manager's comment"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scored by"),
    )
    reviewed_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )

    objects = AppraisalQuerySet.as_manager()
    scope_field = "employee__branch"

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["-period_start", "employee"]
        permissions = [
            ("review_appraisal", _("Can score appraisals as the manager")),
            ("confirm_appraisal", _("Can confirm appraisals (HR)")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["employee", "kind", "period"], name="pay_appraisal_unique_period")
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("pay:appraisal_detail", args=[self.pk])


class PayRunQuerySet(ScopedQuerySet):
    pass


class PayRun(TimeStampedModel):
    """A pay run (工资核算) of one branch for a month (or a year-end run): draft → computed → approved → locked."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"))
    kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTHLY)
    period = models.CharField(_("period"), max_length=7)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"), help_text=_("The first day after the period."))
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.DRAFT)
    version = models.PositiveIntegerField(_("computation"), default=0)
    employee_count = models.PositiveIntegerField(_("payslips"), default=0)
    total = models.DecimalField(_("total"), **MONEY, default=Decimal("0"))
    skipped = models.JSONField(_("skipped"), default=list, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("locked by"),
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )

    objects = PayRunQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("pay run")
        verbose_name_plural = _("pay runs")
        ordering = ["-period_start", "-id"]
        permissions = [
            ("approve_payrun", _("Can approve pay runs")),
            ("lock_payrun", _("Can lock pay runs")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "kind", "period"],
                condition=~models.Q(status="cancelled"),
                name="pay_run_one_per_period",
            )
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("pay:run_detail", args=[self.pk])


class PayslipQuerySet(models.QuerySet):
    def for_user(self, user):
        """Payslips of the branch's runs for those whose role reads pay runs; for everyone, their own payslips of
        approved and locked runs (the current computation)."""
        if not getattr(user, "pk", None):
            return self.none()
        # one's own payslips once the run is approved (not while HR is still computing), of its latest computation
        own = models.Q(
            employee__user=user,
            run__status__in=[RunStatus.APPROVED, RunStatus.LOCKED],
            version=models.F("run__version"),
        )
        return own_or_branch(self, user, perm="pay.view_payrun", own=own, branch_field="run__branch")

    def current(self):
        """The payslips of each run's latest computation (a recomputation keeps the earlier ones)."""
        return self.filter(version=models.F("run__version"))


class Payslip(models.Model):
    """One employee's pay for a run: every line with its value, formula and the inputs' sources (`lines`)."""

    run = models.ForeignKey(PayRun, on_delete=models.PROTECT, related_name="payslips", verbose_name=_("pay run"))
    version = models.PositiveIntegerField(_("computation"))
    employee = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="payslips", verbose_name=_("employee")
    )
    policy = models.ForeignKey(PayPolicy, on_delete=models.PROTECT, related_name="+", verbose_name=_("pay policy"))
    position = models.CharField(_("position"), max_length=60)
    lines = models.JSONField(_("lines"), default=list)
    total = models.DecimalField(_("total"), **MONEY)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    objects = PayslipQuerySet.as_manager()

    class Meta:
        verbose_name = _("payslip")
        verbose_name_plural = _("payslips")
        ordering = ["run", "employee__employee_no"]
        indexes = [models.Index(fields=["run", "version"], name="pay_payslip_run_version_idx")]

    def __str__(self) -> str:
        return f"{self.run} {self.employee}"

    def get_absolute_url(self) -> str:
        return reverse("pay:payslip_detail", args=[self.pk])


class PayAdjustmentQuerySet(EmployeeScopedQuerySet):
    view_perm = "pay.view_payrun"


class PayAdjustment(TimeStampedModel):
    """A correction of a locked month, paid (or deducted) in the run of `month`: a line 调整 on that payslip."""

    employee = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="pay_adjustments", verbose_name=_("employee")
    )
    month = models.DateField(_("paid in month"))
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.CharField(_("reason"), max_length=200)
    corrects = models.ForeignKey(
        PayRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("corrects run")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )

    objects = PayAdjustmentQuerySet.as_manager()
    scope_field = "employee__branch"

    class Meta:
        verbose_name = _("pay adjustment")
        verbose_name_plural = _("pay adjustments")
        ordering = ["-month", "-id"]

    def __str__(self) -> str:
        return f"{self.employee} {self.month:%Y-%m} {self.amount}"
