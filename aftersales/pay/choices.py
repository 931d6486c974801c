"""Pay-run and appraisal statuses with their transition tables, the kinds of period and of input source.

`RUN_TRANSITIONS` and `APPRAISAL_TRANSITIONS` map each action to the statuses it may start from, the status it
leads to and the permission it needs. The services check them; pages draw their buttons from them.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


class InputSource(models.TextChoices):
    """Where a policy's input comes from."""

    METRIC = "metric", _("Metric from records")
    APPRAISAL = "appraisal", _("Appraisal score")
    MANUAL = "manual", _("Manual input")
    CONSTANT = "constant", _("Constant")


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPUTED = "computed", _("Computed")
    APPROVED = "approved", _("Approved")
    LOCKED = "locked", _("Locked")
    CANCELLED = "cancelled", _("Cancelled")


class AppraisalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SELF_ASSESSED = "self_assessed", _("Self-assessed")
    REVIEWED = "reviewed", _("Scored by the manager")
    CONFIRMED = "confirmed", _("Confirmed by HR")


class ItemSource(models.TextChoices):
    MANUAL = "manual", _("Scored by the manager")
    METRIC = "metric", _("Computed from a metric")


@dataclass(frozen=True)
class Step:
    sources: tuple[str, ...]
    target: str
    permission: str | None  # None: the service decides (e.g. only the employee themself)
    label: str


R = RunStatus
RUN_TRANSITIONS: dict[str, Step] = {
    "compute": Step((R.DRAFT, R.COMPUTED), R.COMPUTED, "pay.add_payrun", _("Compute")),
    "approve": Step((R.COMPUTED,), R.APPROVED, "pay.approve_payrun", _("Approve")),
    "lock": Step((R.APPROVED,), R.LOCKED, "pay.lock_payrun", _("Lock")),
    "reopen": Step((R.APPROVED,), R.COMPUTED, "pay.approve_payrun", _("Reopen")),
    "cancel": Step((R.DRAFT, R.COMPUTED), R.CANCELLED, "pay.add_payrun", _("Cancel")),
}

A = AppraisalStatus
APPRAISAL_TRANSITIONS: dict[str, Step] = {
    "self_assess": Step((A.DRAFT, A.SELF_ASSESSED), A.SELF_ASSESSED, None, _("Submit self-assessment")),
    "review": Step((A.DRAFT, A.SELF_ASSESSED, A.REVIEWED), A.REVIEWED, "pay.review_appraisal", _("Score")),
    "confirm": Step((A.REVIEWED,), A.CONFIRMED, "pay.confirm_appraisal", _("Confirm")),
    "return": Step((A.REVIEWED,), A.SELF_ASSESSED, "pay.confirm_appraisal", _("Return to the manager")),
}

#: The par appraisal score: pay that depends on the score is multiplied by score / 88.
PAR_SCORE = 88
#: Input names bound by default (unless the policy says otherwise) to appraisal scores.
APPRAISAL_INPUTS = {"月考核分": PeriodKind.MONTHLY, "年终考核分": PeriodKind.ANNUAL}
