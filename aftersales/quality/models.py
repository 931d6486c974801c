"""Service audits (4S 督查): checklists of the service standard, audits of orders, violations and the fines and
rewards they post.

Each violation fines the audited team the checklist's amount (default 30 元) and credits the auditor the same.
The fine is shared by the team's members as the branch says (equally unless set otherwise); the shares and the
reward are `AuditPosting` rows dated to the audit's month, which the pay metrics 违规扣罚 and 督查奖励 read.
An audit is never deleted: cancelling it posts the opposite amounts in the month it is cancelled.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.core.access import ScopedQuerySet, SignedInQuerySet, own_or_branch
from aftersales.core.models import TimeStampedModel
from aftersales.quality.choices import AuditStatus, FineSplit, PostingKind

MONEY = {"max_digits": 14, "decimal_places": 2}
DEFAULT_FINE = Decimal("30.00")


class ChecklistQuerySet(SignedInQuerySet):
    """Checklists are the company's standard: every signed-in user may read them."""


class Checklist(TimeStampedModel):
    """A checklist of the service standard (e.g. the 4S installation standard) with the fine per violation."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    fine_amount = models.DecimalField(
        _("fine per violation"), **MONEY, default=DEFAULT_FINE, validators=[MinValueValidator(Decimal("0"))]
    )
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Audits use this checklist unless another one is chosen.")
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ChecklistQuerySet.as_manager()

    class Meta:
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        ordering = ["-is_default", "code"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("quality:checklist_detail", args=[self.pk])


class ChecklistItem(models.Model):
    """One item of the standard (e.g. S03 穿鞋套进户), identified by its code within the checklist."""

    checklist = models.ForeignKey(
        Checklist, on_delete=models.PROTECT, related_name="items", verbose_name=_("checklist")
    )
    code = models.CharField(_("code"), max_length=20)
    text = models.CharField(_("item"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["checklist", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["checklist", "code"], name="quality_item_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class QualitySettings(models.Model):
    """A branch's audit settings: how a team's fine is split among its members."""

    branch = models.OneToOneField("org.Branch", on_delete=models.CASCADE, related_name="quality_settings")
    fine_split = models.CharField(_("fine split"), max_length=10, choices=FineSplit.choices, default=FineSplit.EQUAL)

    class Meta:
        verbose_name = _("audit settings")
        verbose_name_plural = _("audit settings")
        ordering = ["branch"]

    def __str__(self) -> str:
        return str(self.branch)


class AuditQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """The branch's audits for those whose role reads audits; and, for everyone, the audits they did or that
        fined or rewarded them (both sides see the audit behind every fine and reward)."""
        if not getattr(user, "pk", None):
            return self.none()
        own = models.Q(auditor__user=user) | models.Exists(
            AuditPosting.objects.filter(audit=models.OuterRef("pk"), employee__user=user)
        )
        return own_or_branch(self, user, perm="quality.view_audit", own=own, branch_field="branch")


class Audit(TimeStampedModel):
    """A 4S service audit (督查) of an installation or service order, by an auditor, of the team that did it."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"))
    checklist = models.ForeignKey(
        Checklist, on_delete=models.PROTECT, related_name="audits", verbose_name=_("checklist")
    )
    order = models.ForeignKey(
        "service.ServiceOrder", on_delete=models.PROTECT, related_name="audits", verbose_name=_("order")
    )
    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="audits", verbose_name=_("team")
    )
    auditor = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="audits_done", verbose_name=_("auditor")
    )
    audited_on = models.DateField(_("audit date"))
    status = models.CharField(_("status"), max_length=10, choices=AuditStatus.choices, default=AuditStatus.RECORDED)
    notes = models.TextField(_("notes"), blank=True)
    fine_per_violation = models.DecimalField(_("fine per violation"), **MONEY)
    violation_count = models.PositiveIntegerField(_("violations"), default=0)
    fine_total = models.DecimalField(_("fines"), **MONEY, default=Decimal("0"))
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )

    objects = AuditQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("service audit")
        verbose_name_plural = _("service audits")
        ordering = ["-audited_on", "-id"]
        permissions = [("cancel_audit", _("Can cancel service audits"))]
        indexes = [
            models.Index(fields=["branch", "audited_on"], name="quality_audit_branch_day_idx"),
            models.Index(fields=["auditor", "audited_on"], name="quality_audit_auditor_day_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("quality:audit_detail", args=[self.pk])


class Violation(models.Model):
    """One item of the standard the team broke, with the auditor's note and the fine it carried."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="violations", verbose_name=_("audit"))
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    fine = models.DecimalField(_("fine"), **MONEY)

    class Meta:
        verbose_name = _("violation")
        verbose_name_plural = _("violations")
        ordering = ["audit", "id"]

    def __str__(self) -> str:
        return f"{self.audit} {self.item.code}"


class ViolationPhoto(models.Model):
    """A photo of a violation, streamed only after the access check (like an order's photos)."""

    violation = models.ForeignKey(Violation, on_delete=models.PROTECT, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="audits/%Y/%m/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("violation photo")
        verbose_name_plural = _("violation photos")
        ordering = ["violation", "id"]

    def __str__(self) -> str:
        return f"{self.violation} #{self.pk}"


class AuditPosting(models.Model):
    """A penalty share of a team member or the auditor's reward, in the month it counts for pay.

    Positive when the audit is recorded; a cancelled audit adds the opposite posting (`reverses`) in the month
    of the cancellation, so a month already paid is corrected in the next one.
    """

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="postings", verbose_name=_("audit"))
    employee = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="audit_postings", verbose_name=_("employee")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PostingKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    month = models.DateField(_("month"), help_text=_("The first day of the month it counts for."))
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("reverses")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit posting")
        verbose_name_plural = _("audit postings")
        ordering = ["-month", "-id"]
        indexes = [models.Index(fields=["month", "employee"], name="quality_posting_month_idx")]

    def __str__(self) -> str:
        return f"{self.audit} {self.kind} {self.amount}"
