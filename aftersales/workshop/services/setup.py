"""The workshop's master data: technicians' skills, shifts and days off, the branch's hours, bays, the board link.

Each change is audited on the employee, bay or settings it touches (field-level history, `core.audit`). Who may
change what: skills and shifts, bays and the branch's hours need the workshop manager's permissions; days off the
dispatcher's too. A technician is any employee the user may see who holds the technician role.
"""

import datetime
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_created, audit_record, model_update
from aftersales.core.models import AuditAction
from aftersales.workshop.choices import LEVELS, NAME_MAX
from aftersales.workshop.models import Bay, DayOff, TechnicianShift, TechnicianSkill, WorkshopSettings

BOARD_TOKEN_BYTES = 24


def _clean_name(value, field: str) -> str:
    name = str(value or "").strip()
    if not name:
        raise ValidationError({field: _("Name the skill category.")})
    if len(name) > NAME_MAX:
        raise ValidationError({field: _("Use at most %(max)s characters.") % {"max": NAME_MAX}})
    return name


def _clean_skills(skills: dict) -> dict[str, int]:
    if not isinstance(skills, dict):
        raise ValidationError({"skills": _("Give each skill category with its level.")})
    cleaned = {}
    for raw, level in skills.items():
        name = _clean_name(raw, f"skills.{raw}")
        if isinstance(level, bool) or not isinstance(level, int | str):
            raise ValidationError({f"skills.{name}": _("Enter a level from 1 to 5.")})
        try:
            level = int(level)
        except ValueError:
            raise ValidationError({f"skills.{name}": _("Enter a level from 1 to 5.")}) from None
        if level not in LEVELS:
            raise ValidationError({f"skills.{name}": _("Enter a level from 1 to 5.")})
        cleaned[name] = level
    return dict(sorted(cleaned.items()))


@transaction.atomic
def technician_skills_set(*, actor, employee, skills: dict) -> dict[str, int]:
    """Replace the technician's skills with `skills` ({category: level 1–5}); a category left out is removed."""
    require_perm(actor, "workshop.change_technicianskill")
    cleaned = _clean_skills(skills)
    before = dict(employee.skills.order_by("skill").values_list("skill", "level"))
    if before == cleaned:
        return cleaned
    employee.skills.exclude(skill__in=list(cleaned)).delete()
    for name, level in cleaned.items():
        TechnicianSkill.objects.update_or_create(employee=employee, skill=name, defaults={"level": level})
    audit_record(
        actor=actor,
        instance=employee,
        action=AuditAction.UPDATE,
        changes={"skills": {"before": before, "after": cleaned}},
    )
    return cleaned


def _check_hours(start, end, break_start, break_end) -> None:
    if start is None or end is None:
        raise ValidationError({"start" if start is None else "end": _("Enter a time.")})
    if end <= start:
        raise ValidationError({"end": _("The shift must end after it starts.")})
    if (break_start is None) != (break_end is None):
        raise ValidationError({"break_end" if break_end is None else "break_start": _("Give both ends of the break.")})
    if break_start is not None and not start <= break_start < break_end <= end:
        raise ValidationError({"break_start": _("The break must fall inside the shift.")})


@transaction.atomic
def technician_shift_set(
    *, actor, employee, start, end, break_start=None, break_end=None, weekly_off=()
) -> TechnicianShift:
    """Give the technician their own shift (times of day) and weekly days off (0 = Monday … 6 = Sunday)."""
    require_perm(actor, "workshop.change_technicianshift")
    _check_hours(start, end, break_start, break_end)
    days = sorted({int(d) for d in weekly_off})
    if any(d not in range(7) for d in days):
        raise ValidationError({"weekly_off": _("Days off are weekdays 0 (Monday) to 6 (Sunday).")})
    data = {"start": start, "end": end, "break_start": break_start, "break_end": break_end, "weekly_off": days}
    shift = TechnicianShift.objects.filter(employee=employee).first()
    if shift is None:
        shift = TechnicianShift.objects.create(employee=employee, **data)
        audit_created(actor=actor, instance=shift, fields=list(data))
        return shift
    model_update(instance=shift, data=data, actor=actor)
    return shift


@transaction.atomic
def technician_shift_clear(*, actor, employee) -> None:
    """Back to the branch's default shift."""
    require_perm(actor, "workshop.change_technicianshift")
    shift = TechnicianShift.objects.filter(employee=employee).first()
    if shift is not None:
        audit_record(
            actor=actor,
            instance=employee,
            action=AuditAction.UPDATE,
            changes={"shift": {"before": str(shift), "after": None}},
        )
        shift.delete()


@transaction.atomic
def day_off_add(*, actor, employee, date: datetime.date, reason: str = "") -> DayOff:
    require_perm(actor, "workshop.add_dayoff")
    if DayOff.objects.filter(employee=employee, date=date).exists():
        raise ValidationError(
            {"date": _("%(name)s is already off on %(date)s.") % {"name": employee.name, "date": date}}
        )
    day_off = DayOff.objects.create(employee=employee, date=date, reason=str(reason or "").strip()[:60])
    audit_record(
        actor=actor,
        instance=employee,
        action=AuditAction.UPDATE,
        changes={"day_off": {"before": None, "after": str(date)}},
    )
    return day_off


@transaction.atomic
def day_off_remove(*, actor, day_off: DayOff) -> None:
    require_perm(actor, "workshop.change_dayoff")
    audit_record(
        actor=actor,
        instance=day_off.employee,
        action=AuditAction.UPDATE,
        changes={"day_off": {"before": str(day_off.date), "after": None}},
    )
    day_off.delete()


def _clean_kinds(kinds) -> list[str]:
    if isinstance(kinds, str):
        kinds = kinds.replace("，", ",").split(",")
    cleaned = []
    for kind in kinds or []:
        kind = str(kind).strip()
        if kind and kind not in cleaned:
            if len(kind) > NAME_MAX:
                raise ValidationError({"kinds": _("Use at most %(max)s characters.") % {"max": NAME_MAX}})
            cleaned.append(kind)
    return cleaned


@transaction.atomic
def bay_create(*, actor, branch, code: str, name: str, kinds=()) -> Bay:
    require_perm(actor, "workshop.add_bay")
    code = str(code or "").strip()
    if Bay.objects.filter(branch=branch, code=code).exists():
        raise ValidationError({"code": _("This branch already has a bay %(code)s.") % {"code": code}})
    bay = Bay(branch=branch, code=code, name=str(name or "").strip(), kinds=_clean_kinds(kinds))
    bay.full_clean()
    bay.save()
    audit_created(actor=actor, instance=bay, fields=["code", "name", "kinds"])
    return bay


@transaction.atomic
def bay_update(*, actor, bay: Bay, data: dict) -> Bay:
    require_perm(actor, "workshop.change_bay")
    data = dict(data)
    if "kinds" in data:
        data["kinds"] = _clean_kinds(data["kinds"])
    if "code" in data and Bay.objects.filter(branch=bay.branch, code=data["code"]).exclude(pk=bay.pk).exists():
        raise ValidationError({"code": _("This branch already has a bay %(code)s.") % {"code": data["code"]}})
    model_update(instance=bay, data=data, actor=actor)
    return bay


def workshop_settings_for(branch) -> WorkshopSettings:
    settings, _created = WorkshopSettings.objects.get_or_create(branch=branch)
    return settings


@transaction.atomic
def workshop_hours_set(*, actor, branch, start, end, break_start=None, break_end=None) -> WorkshopSettings:
    """The branch's default shift, worked by every technician without their own."""
    require_perm(actor, "workshop.change_workshopsettings")
    _check_hours(start, end, break_start, break_end)
    settings = workshop_settings_for(branch)
    model_update(
        instance=settings,
        data={"day_start": start, "day_end": end, "break_start": break_start, "break_end": break_end},
        actor=actor,
    )
    return settings


def board_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def board_link_rotate(*, actor, branch) -> str:
    """Make a new secret for the branch's read-only board link and return it (shown once; only its hash is kept).
    The previous link stops working."""
    require_perm(actor, "workshop.change_workshopsettings")
    token = secrets.token_urlsafe(BOARD_TOKEN_BYTES)
    settings = workshop_settings_for(branch)
    settings.board_token_hash = board_token_hash(token)
    settings.board_token_created_at = timezone.now()
    settings.save(update_fields=["board_token_hash", "board_token_created_at"])
    audit_record(actor=actor, instance=settings, action=AuditAction.UPDATE, payload={"board_link": "new"})
    return token


@transaction.atomic
def board_link_revoke(*, actor, branch) -> None:
    require_perm(actor, "workshop.change_workshopsettings")
    settings = workshop_settings_for(branch)
    if settings.board_token_hash:
        settings.board_token_hash = ""
        settings.board_token_created_at = None
        settings.save(update_fields=["board_token_hash", "board_token_created_at"])
        audit_record(actor=actor, instance=settings, action=AuditAction.UPDATE, payload={"board_link": "revoked"})


def board_branch_for_token(token: str):
    """The branch whose board the token opens, or None (an empty or unknown token opens nothing)."""
    if not token or len(token) > 100:
        return None
    settings = (
        WorkshopSettings.objects.filter(board_token_hash=board_token_hash(token)).select_related("branch").first()
    )
    return settings.branch if settings else None
