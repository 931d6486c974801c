"""Checklists of the service standard and the branch's fine split."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_record as audit_event
from aftersales.core.audit import audit_snapshot, model_update
from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction
from aftersales.org.access import user_sees_branch
from aftersales.org.choices import UMBRELLA_KINDS
from aftersales.org.models import Branch
from aftersales.quality.choices import FineSplit
from aftersales.quality.models import (
    Checklist,
    ChecklistItem,
    QualitySettings,
    Violation,
)
from aftersales.quality.services.common import (
    ADD_CHECKLIST,
    CHANGE_CHECKLIST,
    CHANGE_SETTINGS,
    CHECKLIST_FIELDS,
    CODE_LENGTH,
    TEXT_LENGTH,
    _code,
    money,
)

# -- checklists ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemIn:
    """One item of a checklist as written: its code, its text, whether audits may use it."""

    code: str
    text: str
    active: bool = True


def _items_in(items: Iterable) -> list[ItemIn]:
    """`(code, text)`, `(code, text, active)`, `{"code", "text", "active"?}` or `ItemIn` → ItemIn, codes normalised."""
    result = []
    for item in items:
        if isinstance(item, ItemIn):
            code, text, active = item.code, item.text, item.active
        elif isinstance(item, dict):
            code, text, active = item.get("code"), item.get("text"), item.get("active", True)
        else:
            code, text, *rest = item
            active = rest[0] if rest else True
        result.append(ItemIn(code=_code(code), text=" ".join(str(text or "").split()), active=bool(active)))
    return result


def _items_check(items: list[ItemIn]) -> None:
    """Each row's code and text present and short enough, no code twice: errors named `items.<row>.<field>`."""
    errors: dict[str, list[str]] = {}
    if not items:
        raise ValidationError({"items": _("A checklist needs at least one item.")})
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if not item.code:
            errors[f"items.{index}.code"] = [_("Enter the item's code (e.g. S01).")]
        elif len(item.code) > CODE_LENGTH:
            errors[f"items.{index}.code"] = [_("Use at most %(length)s characters.") % {"length": CODE_LENGTH}]
        elif item.code in seen:
            errors[f"items.{index}.code"] = [
                _("The code %(code)s is already used by row %(row)s.") % {"code": item.code, "row": seen[item.code] + 1}
            ]
        else:
            seen[item.code] = index
        if not item.text:
            errors[f"items.{index}.text"] = [_("Enter what the standard asks.")]
        elif len(item.text) > TEXT_LENGTH:
            errors[f"items.{index}.text"] = [_("Use at most %(length)s characters.") % {"length": TEXT_LENGTH}]
    if errors:
        raise ValidationError(errors)


def _item_label(item) -> str:
    label = f"{item.code} {item.text}"
    return label if item.active else _("%(item)s (not in use)") % {"item": label}


def _default_clear_others(*, actor, checklist: Checklist) -> None:
    """Only one checklist is the default: the others lose the flag (each change audited)."""
    for other in Checklist.objects.select_for_update().filter(is_default=True).exclude(pk=checklist.pk):
        model_update(instance=other, data={"is_default": False}, actor=actor)


@transaction.atomic
def checklist_create(
    *, actor, code: str, name: str, fine_amount, items: Sequence, is_default: bool = False, active: bool = True
) -> Checklist:
    """A new checklist with its items (`(code, text)` pairs, in the order given). `is_default` makes it the
    checklist audits use unless another is chosen (the previous default loses the flag)."""
    require_perm(actor, ADD_CHECKLIST)
    fine = money(fine_amount, "fine_amount")
    rows = _items_in(items)
    checklist = Checklist(
        code=_code(code), name=" ".join(str(name or "").split()), fine_amount=fine, is_default=bool(is_default)
    )
    checklist.active = bool(active)
    errors = {}
    try:
        checklist.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if checklist.is_default and not checklist.active:
        errors.setdefault("active", []).append(_("The default checklist must be active."))
    try:
        _items_check(rows)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if checklist.is_default:
        _default_clear_others(actor=actor, checklist=checklist)
    checklist.save()
    ChecklistItem.objects.bulk_create(
        ChecklistItem(checklist=checklist, code=row.code, text=row.text, active=row.active, position=index)
        for index, row in enumerate(rows, start=1)
    )
    snapshot = audit_snapshot(checklist, CHECKLIST_FIELDS)
    changes = {name: {"before": None, "after": value} for name, value in snapshot.items() if value not in (None, "")}
    changes["items"] = {"before": None, "after": [_item_label(row) for row in rows]}
    audit_event(actor=actor, instance=checklist, action=AuditAction.CREATE, changes=changes)
    return checklist


@transaction.atomic
def checklist_update(
    *,
    actor,
    checklist: Checklist,
    name: str | None = None,
    fine_amount=None,
    active: bool | None = None,
    is_default: bool | None = None,
    items: Sequence | None = None,
) -> Checklist:
    """Change what is given (None leaves it as it is).

    `items` is the whole list as it should be, in order: an item is known by its code, so a known code changes that
    item's text and whether it is active, a new code adds an item, and a code left out removes the item — unless a
    violation was recorded against it (409: deactivate it instead, so past audits still show what was broken).
    The default checklist stays active and stays the default until another checklist is made the default.
    Audits already recorded keep the fine they were recorded with.
    """
    require_perm(actor, CHANGE_CHECKLIST)
    checklist = Checklist.objects.select_for_update().get(pk=checklist.pk)
    data = {}
    if name is not None:
        data["name"] = " ".join(str(name).split())
    if fine_amount is not None:
        data["fine_amount"] = money(fine_amount, "fine_amount")
    if active is not None:
        data["active"] = bool(active)
    if is_default is not None:
        data["is_default"] = bool(is_default)
    becomes_default = data.get("is_default", checklist.is_default)
    if checklist.is_default and data.get("is_default") is False:
        raise ValidationError(
            {"is_default": _("Audits need a default checklist: make another checklist the default instead.")}
        )
    if becomes_default and not data.get("active", checklist.active):
        raise ValidationError({"active": _("The default checklist must be active.")})
    rows = None
    if items is not None:
        rows = _items_in(items)
        _items_check(rows)
    if data.get("is_default") and not checklist.is_default:
        _default_clear_others(actor=actor, checklist=checklist)
    model_update(instance=checklist, data=data, actor=actor)
    if rows is not None:
        _items_replace(actor=actor, checklist=checklist, rows=rows)
    return checklist


def _items_replace(*, actor, checklist: Checklist, rows: list[ItemIn]) -> None:
    existing = {item.code: item for item in ChecklistItem.objects.select_for_update().filter(checklist=checklist)}
    wanted = {row.code for row in rows}
    removed = [item for code, item in existing.items() if code not in wanted]
    if removed:
        used = set(
            Violation.objects.filter(item__in=[item.pk for item in removed]).values_list("item__code", flat=True)
        )
        if used:
            raise Conflict(
                _("Item %(codes)s has violations on record: deactivate it instead of removing it.")
                % {"codes": "、".join(sorted(used))},
                code="item_in_use",
            )
    before = sorted(_item_label(item) for item in existing.values())
    for item in removed:
        item.delete()
    for position, row in enumerate(rows, start=1):
        item = existing.get(row.code)
        if item is None:
            ChecklistItem.objects.create(
                checklist=checklist, code=row.code, text=row.text, active=row.active, position=position
            )
        elif (item.text, item.active, item.position) != (row.text, row.active, position):
            item.text, item.active, item.position = row.text, row.active, position
            item.save(update_fields=["text", "active", "position"])
    after = sorted(_item_label(row) for row in rows)
    if before != after:
        dropped = [label for label in before if label not in after]
        added = [label for label in after if label not in before]
        audit_event(
            actor=actor,
            instance=checklist,
            action=AuditAction.UPDATE,
            changes={"items": {"before": dropped, "after": added}},
        )


def checklist_default() -> Checklist | None:
    return Checklist.objects.filter(is_default=True, active=True).order_by("pk").first()


# -- the branch's settings ----------------------------------------------------------------------------------------------


def quality_settings_for(branch) -> QualitySettings:
    """The branch's audit settings, or the defaults (unsaved: the fine shared equally) when it has set none."""
    return QualitySettings.objects.filter(branch=branch).first() or QualitySettings(branch=branch)


@transaction.atomic
def quality_settings_set(*, actor, branch: Branch, fine_split: str) -> QualitySettings:
    """How the branch's teams share a fine: equally (the default) or borne by the leader."""
    require_perm(actor, CHANGE_SETTINGS)
    if branch is None or not user_sees_branch(actor, branch.pk):
        raise Http404
    if branch.kind in UMBRELLA_KINDS:
        raise ValidationError({"branch": _("Choose a store or service station: regions have no teams.")})
    if fine_split not in FineSplit.values:
        raise ValidationError({"fine_split": _("Choose one of: %(values)s.") % {"values": ", ".join(FineSplit.values)}})
    settings, created = QualitySettings.objects.select_for_update().get_or_create(
        branch=branch, defaults={"fine_split": fine_split}
    )
    if created:
        audit_event(
            actor=actor,
            instance=settings,
            action=AuditAction.CREATE,
            changes={"fine_split": {"before": FineSplit.EQUAL.value, "after": fine_split}}
            if fine_split != FineSplit.EQUAL
            else {},
        )
    else:
        model_update(instance=settings, data={"fine_split": fine_split}, actor=actor)
    return settings
