"""Shared models: the timestamped base, document number sequences and the audit trail."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Base for every model of the project: creation and last-change times."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class DocumentSequence(models.Model):
    """The last number handed out for one document prefix, branch and day (see `core.numbers`)."""

    prefix = models.CharField(_("prefix"), max_length=8)
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"))
    day = models.DateField(_("day"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("document sequence")
        verbose_name_plural = _("document sequences")
        ordering = ["-day", "prefix"]
        constraints = [
            models.UniqueConstraint(fields=["prefix", "branch", "day"], name="core_documentsequence_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.branch_id}-{self.day:%Y%m%d}: {self.last}"


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    STATUS = "status", _("Status changed")
    IMPORT = "import", _("Imported")
    PASSWORD = "password", _("Password changed")
    ROLES = "roles", _("Roles changed")


class AuditEvent(models.Model):
    """One change to one object: who, when, what, and each changed field before and after.

    Written only by services (`core.audit.audit_record`), never by `save()` or signals, so that every
    event names the acting user. `changes` maps a field name to `{"before": ..., "after": ...}` as
    shown to users; `payload` holds anything else the action wants to keep (a status move, a file name).
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    object_repr = models.CharField(_("object"), max_length=200)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"], name="core_audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.object_repr}: {self.get_action_display()}"
