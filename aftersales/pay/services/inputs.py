"""Manual pay inputs (e.g. 业绩奖) per employee and month, and adjustments that correct a locked month later.

A month whose pay run is locked for the employee's branch is closed: its inputs no longer change (a correction
is a `PayAdjustment` paid in a later month).
"""

import datetime
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_created, audit_record
from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction
from aftersales.pay.choices import PeriodKind, RunStatus
from aftersales.pay.formula import is_valid_name
from aftersales.pay.metrics import Period
from aftersales.pay.models import PayAdjustment, PayInput, PayRun

FEN = Decimal("0.01")
LIMIT = Decimal("1000000000")


def month_parse(value, field: str = "month") -> datetime.date:
    """`2026-11` (or a date) → 2026-11-01; ValidationError naming `field` otherwise."""
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    try:
        return Period.parse(str(value), PeriodKind.MONTHLY).start
    except (ValueError, TypeError):
        raise ValidationError({field: _("Enter a month like 2026-11.")}) from None


def amount_parse(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter an amount like 1000.00.")}) from None
    if not amount.is_finite() or abs(amount) >= LIMIT:
        raise ValidationError({field: _("Enter an amount like 1000.00.")})
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def month_closed(branch_id: int, month: datetime.date) -> bool:
    """Whether the branch's pay run of that month is locked (its inputs can no longer change)."""
    return PayRun.objects.filter(
        branch_id=branch_id, kind=PeriodKind.MONTHLY, period_start=month, status=RunStatus.LOCKED
    ).exists()


def _require_open_month(employee, month: datetime.date) -> None:
    if month_closed(employee.branch_id, month):
        raise Conflict(
            _("The pay run of %(month)s is locked; record a correction as an adjustment in a later month.")
            % {"month": f"{month:%Y-%m}"},
            code="month_locked",
        )


@transaction.atomic
def pay_inputs_set(*, actor, employee, month, values: Mapping[str, object], note: str = "") -> list[PayInput]:
    """Set manual inputs of one employee and month (`{"业绩奖": "2000.00"}`); an empty value removes nothing, it is
    refused. Returns the inputs written. The employee must be visible to the actor (the caller resolves them)."""
    require_perm(actor, "pay.change_payinput")
    month = month_parse(month)
    if not values:
        raise ValidationError({"values": _("Give at least one input.")})
    _require_open_month(employee, month)
    cleaned: dict[str, Decimal] = {}
    for name, raw in values.items():
        name = str(name).strip()
        if not is_valid_name(name):
            raise ValidationError({f"values.{name}": _("“%(name)s” is not a valid input name.") % {"name": name}})
        cleaned[name] = amount_parse(raw, f"values.{name}")
    existing = {row.name: row for row in PayInput.objects.select_for_update().filter(employee=employee, month=month)}
    written = []
    for name, value in cleaned.items():
        row = existing.get(name)
        if row is None:
            row = PayInput.objects.create(
                employee=employee, month=month, name=name, value=value, note=note, updated_by=actor
            )
            audit_created(actor=actor, instance=row, fields=("employee", "month", "name", "value", "note"))
        elif row.value != value or (note and row.note != note):
            before = str(row.value)
            row.value, row.updated_by = value, actor
            if note:
                row.note = note
            row.save(update_fields=["value", "note", "updated_by", "updated_at"])
            audit_record(
                actor=actor,
                instance=row,
                action=AuditAction.UPDATE,
                changes={"value": {"before": before, "after": str(value)}},
            )
        written.append(row)
    return written


@transaction.atomic
def pay_adjustment_create(
    *, actor, employee, month, amount, reason: str, corrects: PayRun | None = None
) -> PayAdjustment:
    """A correction paid (or deducted, if negative) as the line 调整 of the employee's payslip in `month`."""
    require_perm(actor, "pay.add_payadjustment")
    month = month_parse(month)
    amount = amount_parse(amount, "amount")
    if amount == 0:
        raise ValidationError({"amount": _("An adjustment of zero changes nothing.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the pay is corrected.")})
    _require_open_month(employee, month)
    adjustment = PayAdjustment.objects.create(
        employee=employee, month=month, amount=amount, reason=reason, corrects=corrects, created_by=actor
    )
    audit_created(actor=actor, instance=adjustment, fields=("employee", "month", "amount", "reason", "corrects"))
    return adjustment
