"""The audit trail: services record who changed what, with each changed field before and after."""

import datetime
import decimal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.text import capfirst

from aftersales.core.models import AuditAction, AuditEvent


def audit_display(instance: models.Model, field_name: str) -> Any:
    """The value of a field as recorded: relations by name, choices by code (shown by label, see audit_history)."""
    field = instance._meta.get_field(field_name)
    if field.many_to_many:
        return ", ".join(sorted(str(obj) for obj in getattr(instance, field_name).all())) if instance.pk else ""
    if field.is_relation:
        related = getattr(instance, field_name)
        return str(related) if related is not None else None
    return _json_safe(getattr(instance, field_name))  # choices keep their code: labels are drawn when shown


def _json_safe(value: Any) -> Any:
    if isinstance(value, str):
        return str(value)  # a TextChoices member as its plain code
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def audit_snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: audit_display(instance, name) for name in fields}


def audit_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: {"before": before.get(name), "after": value} for name, value in after.items() if before.get(name) != value
    }


def audit_record(
    *,
    actor,
    instance: models.Model,
    action: str,
    changes: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=False),
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        changes=dict(changes or {}),
        payload=dict(payload or {}),
    )


def audit_created(*, actor, instance: models.Model, fields: Iterable[str]) -> AuditEvent:
    snapshot = audit_snapshot(instance, fields)
    changes = {name: {"before": None, "after": value} for name, value in snapshot.items() if value not in (None, "")}
    return audit_record(actor=actor, instance=instance, action=AuditAction.CREATE, changes=changes)


def model_update(*, instance: models.Model, data: Mapping[str, Any], actor) -> dict[str, dict[str, Any]]:
    """Set the given fields, validate the whole row, save only what changed and audit it.

    `data` holds plain fields and foreign keys (as objects); many-to-many fields are the caller's
    business. Returns the changes (empty when nothing changed, in which case nothing is saved).
    """
    names = list(data)
    before = audit_snapshot(instance, names)
    previous = {name: getattr(instance, name) for name in names}
    for name, value in data.items():
        setattr(instance, name, value)
    after = audit_snapshot(instance, names)
    changes = audit_changes(before, after)
    if not changes:
        return {}
    try:
        instance.full_clean()
    except ValidationError:
        # Leave the object as it was, so that a page showing the errors does not show the refused values as saved.
        for name, value in previous.items():
            setattr(instance, name, value)
        raise
    concrete = {f.name for f in instance._meta.concrete_fields}
    update_fields = [name for name in changes if name in concrete]
    if "updated_at" in concrete:
        update_fields.append("updated_at")
    instance.save(update_fields=update_fields)
    audit_record(actor=actor, instance=instance, action=AuditAction.UPDATE, changes=changes)
    return changes


def audit_events_for(instance: models.Model, *, limit: int = 50):
    """The newest events of one object, with their actors, in one query."""
    content_type = ContentType.objects.get_for_model(instance, for_concrete_model=False)
    return list(
        AuditEvent.objects.filter(content_type=content_type, object_id=instance.pk)
        .select_related("actor__employee")
        .order_by("-created_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class HistoryRow:
    label: str
    before: Any
    after: Any


@dataclass(frozen=True)
class HistoryEntry:
    event: AuditEvent
    rows: list[HistoryRow]
    notes: dict  # the payload, less what is shown as rows (a status move's from/to)


#: Payload keys of a status move, shown as a "status" row in the model's own labels.
STATUS_PAYLOAD_KEYS = ("from", "to")


def _presentation(model, name: str, extra: Mapping[str, tuple[Any, Callable[[Any], Any]]]):
    """The label of a recorded field and how to show its values, in the reader's language."""
    if name in extra:
        return extra[name]
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name, lambda value: value
    label = capfirst(str(getattr(field, "verbose_name", name)))
    if getattr(field, "choices", None):
        labels = {code: str(text) for code, text in field.flatchoices}
        return (
            label,
            lambda value: [labels.get(v, v) for v in value] if isinstance(value, list) else labels.get(value, value),
        )
    return label, lambda value: value


def audit_history(
    instance: models.Model,
    *,
    extra_fields: Mapping[str, tuple[Any, Callable[[Any], Any]]] | None = None,
    limit: int = 50,
) -> list[HistoryEntry]:
    """An object's history as pages show it: each event with its changed fields, labelled and translated.

    `extra_fields` names recorded values that are not model fields (an employee's roles) with their label
    and how to show a value.
    """
    model, extra = type(instance), extra_fields or {}
    entries = []
    for event in audit_events_for(instance, limit=limit):
        rows = []
        changes = dict(event.changes)
        payload = dict(event.payload or {})
        if "status" not in changes and all(key in payload for key in STATUS_PAYLOAD_KEYS):
            changes["status"] = {"before": payload.pop("from"), "after": payload.pop("to")}
        for name, change in changes.items():
            label, show = _presentation(model, name, extra)
            rows.append(HistoryRow(str(label), show(change.get("before")), show(change.get("after"))))
        entries.append(HistoryEntry(event=event, rows=rows, notes=payload))
    return entries
