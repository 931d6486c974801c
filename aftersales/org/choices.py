from django.db import models
from django.utils.translation import gettext_lazy as _


class BranchKind(models.TextChoices):
    STORE = "store", _("Store")
    SERVICE_CENTER = "service_center", _("Service center")
    OFFICE = "office", _("Office")
    REGION = "region", _("Region")
    HEAD_OFFICE = "head_office", _("Head office")


#: Kinds whose people see every branch under them (a region manager sees the region's stores).
UMBRELLA_KINDS = frozenset({BranchKind.REGION, BranchKind.HEAD_OFFICE})


class TeamKind(models.TextChoices):
    WORKSHOP = "workshop", _("Workshop team")
    INSTALLATION = "installation", _("Installation team")
    FIELD = "field", _("Field service team")
    OFFICE = "office", _("Office team")
