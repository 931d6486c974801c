"""Audit statuses, the kinds of audit postings (penalty / reward) and how a branch splits a team's fine."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditStatus(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    CANCELLED = "cancelled", _("Cancelled")


class PostingKind(models.TextChoices):
    PENALTY = "penalty", _("Penalty")
    REWARD = "reward", _("Reward")


class FineSplit(models.TextChoices):
    """Who of a team bears a fine: everyone equally (the default), or the team's leader alone."""

    EQUAL = "equal", _("Shared equally by the team's members")
    LEADER = "leader", _("Borne by the team leader")
