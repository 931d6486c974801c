"""Recording a service audit (4S 督查) with its violations (and the fines and the reward they post), cancelling one, and violation photos.

Money: a violation fines the audited team the checklist's `fine_amount`; the audit's fines (violations × fine) are
shared by the team's active members as the branch says (`QualitySettings.fine_split`) and the same total is credited
to the auditor, so the penalties of an audit always add up to its reward exactly:

- `equal`: each member's share is total ÷ members rounded half up to the fen; what rounding leaves over or takes
  away (a few fen, + or −) goes to the team's leader when the leader is one of the members, else to the first
  member by employee number;
- `leader`: the team's leader (an active employee) bears it all.

Postings are dated to the first day of the audit's month (what the pay metrics 违规扣罚 and 督查奖励 read). An audit
is never deleted: cancelling posts the opposite of each posting (`reverses`) in the month of the cancellation, so a
month already paid is corrected in the next one.
"""

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_changes, audit_snapshot
from aftersales.core.audit import audit_record as audit_event
from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction
from aftersales.core.numbers import document_number_next
from aftersales.org.access import user_sees_branch
from aftersales.org.models import Employee, Team
from aftersales.quality.choices import AuditStatus, FineSplit, PostingKind
from aftersales.quality.models import (
    Audit,
    AuditPosting,
    Checklist,
    ChecklistItem,
    Violation,
    ViolationPhoto,
)
from aftersales.quality.services.checklists import checklist_default, quality_settings_for
from aftersales.quality.services.common import (
    ADD_AUDIT,
    AUDIT_FIELDS,
    CANCEL_AUDIT,
    FEN,
    MAX_PHOTOS,
    NOTE_LENGTH,
    REASON_LENGTH,
    _code,
    month_of,
)
from aftersales.service.choices import OrderStatus
from aftersales.service.models import ServiceOrder

# -- audits ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    employee: Employee
    amount: Decimal


def fine_shares(*, total: Decimal, members: Sequence[Employee], leader: Employee | None) -> list[Share]:
    """Split `total` equally among `members` (sorted by employee number), to the fen: the rounding difference goes
    to the leader when the leader is a member, else to the first member. The shares add up to `total` exactly."""
    members = sorted(members, key=lambda employee: employee.employee_no)
    share = (total / len(members)).quantize(FEN, rounding=ROUND_HALF_UP)
    rest = total - share * len(members)
    bearer = next((m for m in members if leader is not None and m.pk == leader.pk), members[0])
    return [Share(employee=m, amount=share + rest if m.pk == bearer.pk else share) for m in members]


def _team_shares(*, team: Team, total: Decimal, split: str) -> list[Share]:
    leader = team.leader if team.leader_id else None
    if split == FineSplit.LEADER:
        if leader is None or not leader.active:
            raise Conflict(
                _(
                    "The branch has the team's leader bear its fines, but %(team)s has no active leader: "
                    "name a leader or share fines equally."
                )
                % {"team": team.name},
                code="no_team_leader",
            )
        return [Share(employee=leader, amount=total)]
    members = list(Employee.objects.filter(team=team, active=True).order_by("employee_no"))
    if not members:
        raise Conflict(
            _("%(team)s has no active members to share the fine: add its members first, or audit another team.")
            % {"team": team.name},
            code="team_without_members",
        )
    return fine_shares(total=total, members=members, leader=leader)


def _violations_in(violations: Iterable) -> list[tuple[str, str]]:
    rows = []
    for row in violations or []:
        if isinstance(row, dict):
            rows.append((_code(row.get("item")), str(row.get("note") or "").strip()))
        else:
            code, *rest = row
            rows.append((_code(code), str(rest[0] if rest else "").strip()))
    return rows


@transaction.atomic
def audit_record(
    *,
    actor,
    auditor: Employee,
    order: ServiceOrder,
    team: Team | None,
    violations: Sequence,
    checklist: Checklist | None = None,
    audited_on: datetime.date | None = None,
    notes: str = "",
) -> Audit:
    """Record an audit (numbered `DC-<branch>-<day>-NNNN`) of `order` by `auditor`, with the items of the checklist
    (the default one unless named) that `team` broke: `violations` are `(item code, note)` pairs or
    `{"item", "note"}` dicts, none for a clean audit.

    The team must be the order's branch's; the auditor an active employee of that branch and not a member of the
    audited team. Each violation fines the team the checklist's amount; the shares and the auditor's reward are
    posted to the audit's month. Errors on a violation are named `violations.<row>.item` (rows from 0).
    """
    require_perm(actor, ADD_AUDIT)
    if order is None or not user_sees_branch(actor, order.branch_id):
        raise Http404
    if order.status == OrderStatus.CANCELLED:
        raise Conflict(_("The order %(number)s is cancelled: there is nothing to audit.") % {"number": order.number})
    branch = order.branch
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if team is not None and team.branch_id != order.branch_id:
        error("team", _("Choose a team of the order's branch."))
    if auditor is None:
        error("auditor", _("Name the auditor."))
    elif not auditor.active or not auditor.works_at(order.branch_id):
        error("auditor", _("The auditor must be an active employee of the order's branch."))
    elif team is not None and auditor.team_id == team.pk:
        error("auditor", _("The auditor can't be a member of the audited team."))
    if checklist is None:
        checklist = checklist_default()
        if checklist is None:
            error("checklist", _("There is no default checklist: choose one."))
    elif not checklist.active:
        error("checklist", _("The checklist %(name)s is not in use.") % {"name": checklist.name})
    today = timezone.localdate()
    audited_on = audited_on or today
    if not isinstance(audited_on, datetime.date):
        error("audited_on", _("Enter a date like 2026-11-26."))
    elif audited_on > today:
        error("audited_on", _("The audit date can't be in the future."))
    notes = str(notes or "").strip()
    rows = _violations_in(violations)
    items = {}
    if checklist is not None:
        items = {item.code: item for item in ChecklistItem.objects.filter(checklist=checklist)}
    seen: set[str] = set()
    for index, (code, note) in enumerate(rows):
        item = items.get(code)
        if not code:
            error(f"violations.{index}.item", _("Name the item that was broken."))
        elif checklist is not None and item is None:
            error(
                f"violations.{index}.item",
                _("%(code)s is not an item of %(checklist)s.") % {"code": code, "checklist": checklist.name},
            )
        elif item is not None and not item.active:
            error(f"violations.{index}.item", _("%(code)s is no longer in use.") % {"code": code})
        elif code in seen:
            error(f"violations.{index}.item", _("%(code)s is listed twice.") % {"code": code})
        seen.add(code)
        if len(note) > NOTE_LENGTH:
            error(f"violations.{index}.note", _("Use at most %(length)s characters.") % {"length": NOTE_LENGTH})
    if rows and team is None and "team" not in errors:
        error("team", _("Name the team that was audited: its fines need someone to bear them."))
    if errors:
        raise ValidationError(errors)

    fine = checklist.fine_amount
    total = fine * len(rows)
    shares = []
    if total > 0:
        split = quality_settings_for(branch).fine_split
        shares = [share for share in _team_shares(team=team, total=total, split=split) if share.amount]
    audit = Audit(
        number=document_number_next(prefix="DC", branch=branch),
        branch=branch,
        checklist=checklist,
        order=order,
        team=team,
        auditor=auditor,
        audited_on=audited_on,
        notes=notes,
        fine_per_violation=fine,
        violation_count=len(rows),
        fine_total=total,
        created_by=actor,
    )
    audit.save()  # every field was checked above (a full_clean would query each foreign key once more)
    Violation.objects.bulk_create(Violation(audit=audit, item=items[code], note=note, fine=fine) for code, note in rows)
    month = month_of(audited_on)
    postings = [
        AuditPosting(audit=audit, employee=share.employee, kind=PostingKind.PENALTY, amount=share.amount, month=month)
        for share in shares
    ]
    if total > 0:
        postings.append(AuditPosting(audit=audit, employee=auditor, kind=PostingKind.REWARD, amount=total, month=month))
    AuditPosting.objects.bulk_create(postings)
    snapshot = audit_snapshot(audit, AUDIT_FIELDS)
    audit_event(
        actor=actor,
        instance=audit,
        action=AuditAction.CREATE,
        changes={name: {"before": None, "after": value} for name, value in snapshot.items() if value not in (None, "")},
        payload={"violations": "、".join(code for code, _note in rows)} if rows else {},
    )
    return audit


@transaction.atomic
def audit_cancel(*, actor, audit: Audit, reason: str) -> Audit:
    """Cancel a recorded audit: each of its postings gets its opposite (`reverses`) in the current month (local), so
    the fines are given back and the reward taken back in the pay of the month the cancellation happens."""
    require_perm(actor, CANCEL_AUDIT)
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if not user_sees_branch(actor, audit.branch_id):
        raise Http404
    if audit.status != AuditStatus.RECORDED:
        raise Conflict(
            _("The audit %(number)s is already cancelled.") % {"number": audit.number}, code="invalid_status"
        )
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the audit is cancelled.")})
    if len(reason) > REASON_LENGTH:
        raise ValidationError({"reason": _("Use at most %(length)s characters.") % {"length": REASON_LENGTH}})
    month = month_of(timezone.localdate())
    originals = list(AuditPosting.objects.filter(audit=audit, reverses__isnull=True).order_by("id"))
    AuditPosting.objects.bulk_create(
        AuditPosting(audit=audit, employee_id=p.employee_id, kind=p.kind, amount=-p.amount, month=month, reverses=p)
        for p in originals
    )
    before = audit_snapshot(audit, ("status", "cancel_reason"))
    audit.status = AuditStatus.CANCELLED
    audit.cancel_reason = reason
    audit.cancelled_at = timezone.now()
    audit.save(update_fields=["status", "cancel_reason", "cancelled_at", "updated_at"])
    changes = audit_changes(before, audit_snapshot(audit, ("status", "cancel_reason")))
    audit_event(
        actor=actor,
        instance=audit,
        action=AuditAction.STATUS,
        changes=changes,
        payload={"reversed_in": month.strftime("%Y-%m")},
    )
    return audit


@transaction.atomic
def violation_photo_add(*, actor, violation: Violation, image) -> ViolationPhoto:
    """Keep a photo of a violation (evidence the team can see). The file must really be a JPEG, PNG or WebP picture
    of at most 8 MB (the order photos' rules); it is stored under a random name. Refused (409) on a cancelled audit
    and beyond `MAX_PHOTOS` per violation."""
    from aftersales.service.services.photos import image_checked

    require_perm(actor, ADD_AUDIT)
    audit = Audit.objects.select_for_update().get(pk=violation.audit_id)
    if not user_sees_branch(actor, audit.branch_id):
        raise Http404
    if audit.status != AuditStatus.RECORDED:
        raise Conflict(
            _("The audit %(number)s is cancelled: it takes no more photos.") % {"number": audit.number},
            code="invalid_status",
        )
    if ViolationPhoto.objects.filter(violation=violation).count() >= MAX_PHOTOS:
        raise Conflict(
            _("The violation already has %(max)s photos, the most it can keep.") % {"max": MAX_PHOTOS},
            code="too_many_photos",
        )
    extension = image_checked(image)
    photo = ViolationPhoto(violation=violation, uploaded_by=actor)
    photo.image.save(f"{uuid.uuid4().hex}.{extension}", image, save=False)
    stored = photo.image.name
    try:
        photo.save()
        audit_event(
            actor=actor,
            instance=audit,
            action=AuditAction.UPDATE,
            payload={"photo": photo.pk, "item": violation.item.code},
        )
    except Exception:
        photo.image.storage.delete(stored)  # the row is rolled back: no file without a row
        raise
    return photo
