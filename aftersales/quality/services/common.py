"""What the audit services share: permissions, field lengths, money and month helpers."""

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from aftersales.quality.models import (
    Audit,
    ChecklistItem,
    Violation,
)

FEN = Decimal("0.01")
ZERO = Decimal("0")

ADD_CHECKLIST = "quality.add_checklist"
CHANGE_CHECKLIST = "quality.change_checklist"
CHANGE_SETTINGS = "quality.change_qualitysettings"
ADD_AUDIT = "quality.add_audit"
CANCEL_AUDIT = "quality.cancel_audit"

CHECKLIST_FIELDS = ("code", "name", "fine_amount", "is_default", "active")
AUDIT_FIELDS = (
    "number",
    "branch",
    "checklist",
    "order",
    "team",
    "auditor",
    "audited_on",
    "fine_per_violation",
    "violation_count",
    "fine_total",
    "notes",
)
CODE_LENGTH = ChecklistItem._meta.get_field("code").max_length
TEXT_LENGTH = ChecklistItem._meta.get_field("text").max_length
NOTE_LENGTH = Violation._meta.get_field("note").max_length
REASON_LENGTH = Audit._meta.get_field("cancel_reason").max_length
#: The most photos one violation keeps.
MAX_PHOTOS = 10


def money(value, field: str) -> Decimal:
    """An amount in yuan, to the fen (half up), not negative; a ValidationError on `field` otherwise."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError({field: _("Enter an amount like 30.00.")}) from exc
    if not amount.is_finite():
        raise ValidationError({field: _("Enter an amount like 30.00.")})
    if amount < 0:
        raise ValidationError({field: _("The amount can't be negative.")})
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _code(value) -> str:
    """Codes are kept in one form: capital letters, no spaces (`s03 ` → `S03`)."""
    return "".join(str(value or "").split()).upper()
