"""Writes of service audits, split by topic: `checklists` (the standard, the branch's fine split) and `audits`
(recording an audit with its fines and reward, cancelling, photos). Everything is importable from here."""

from aftersales.quality.services.audits import Share, audit_cancel, audit_record, fine_shares, violation_photo_add
from aftersales.quality.services.checklists import (
    checklist_create,
    checklist_default,
    checklist_update,
    quality_settings_for,
    quality_settings_set,
)
from aftersales.quality.services.common import MAX_PHOTOS, money, month_of

__all__ = [
    "MAX_PHOTOS",
    "Share",
    "audit_cancel",
    "audit_record",
    "checklist_create",
    "checklist_default",
    "checklist_update",
    "fine_shares",
    "money",
    "month_of",
    "quality_settings_for",
    "quality_settings_set",
    "violation_photo_add",
]
