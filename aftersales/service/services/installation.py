"""Installation orders (全屋定制安装): the installation team, the self-check items and the customer's acceptance
sign-off (验收).

An installation order runs the full process; on top of it the order names its installation team (its jobs go to
the team's members only) and, once the on-site work is finished (`quality_check`), the inspector records the
customer's acceptance: each self-check item passed or failed, who signed and how. The quality check passes only
over an acceptance recorded since the order last came to `quality_check` with every item passed; completion
(竣工) is the passed check, payment collection (回款) the settlement.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.access import require_perm
from aftersales.core.errors import Conflict
from aftersales.org.choices import TeamKind
from aftersales.service.choices import ConsentMethod, OrderStatus, OrderType
from aftersales.service.models import OrderEvent, ServiceOrder
from aftersales.service.services.common import order_event, order_locked, status_label

#: The installer's self-check items (自检项目), checked again with the customer at acceptance, in this order.
INSTALLATION_CHECKS: tuple[tuple[str, object], ...] = (
    ("door_frame_joints", gettext_lazy("Door frame line joints")),  # 门边线接角
    ("door_leaf_opening", gettext_lazy("Door leaf opening and closing")),  # 门扇开启
    ("door_lock", gettext_lazy("Door lock function")),  # 门锁功能
    ("paint_scratches", gettext_lazy("Paint scratches")),  # 油漆刮花
    ("nail_holes", gettext_lazy("Nail hole repair")),  # 钉眼修补
)
CHECK_CODES = tuple(code for code, _label in INSTALLATION_CHECKS)
CHECK_LABELS = dict(INSTALLATION_CHECKS)
ACCEPTANCE_EVENT = "acceptance"
SIGNED_BY_MAX = 60
NOTES_MAX = 500


# -- the team -------------------------------------------------------------------------------------------------------


def installation_team_errors(*, branch, team) -> list[str]:
    """Why `team` can't install for an order of `branch` (empty: it can)."""
    if team is None:
        return [_("Choose the installation team.")]
    if branch is None or team.branch_id != branch.pk or team.kind != TeamKind.INSTALLATION or not team.active:
        return [_("Choose an active installation team of this branch.")]
    return []


def team_member(user, team) -> bool:
    """The user's employee record belongs to the team (as a member or as its leader)."""
    employee = getattr(user, "employee", None)
    if employee is None or team is None:
        return False
    return employee.team_id == team.pk or team.leader_id == employee.pk


# -- acceptance -------------------------------------------------------------------------------------------------------


def _checks_clean(checks) -> dict[str, bool]:
    """Every item's result as a bool, in the items' order; unknown or missing items are 422."""
    if not isinstance(checks, dict):
        raise ValidationError({"checks": _("Give each self-check item as passed (true) or failed (false).")})
    unknown = sorted(str(code) for code in checks if code not in CHECK_LABELS)
    missing = [str(CHECK_LABELS[code]) for code in CHECK_CODES if code not in checks]
    not_bool = [
        str(CHECK_LABELS[code]) for code in CHECK_CODES if code in checks and not isinstance(checks[code], bool)
    ]
    if unknown:
        raise ValidationError(
            {
                "checks": _("Unknown self-check items: %(items)s. The items are: %(codes)s.")
                % {"items": ", ".join(unknown), "codes": ", ".join(CHECK_CODES)}
            }
        )
    if missing:
        raise ValidationError({"checks": _("Record every self-check item: %(items)s.") % {"items": "、".join(missing)}})
    if not_bool:
        raise ValidationError({"checks": _("Say passed or failed for: %(items)s.") % {"items": "、".join(not_bool)}})
    return {code: checks[code] for code in CHECK_CODES}


def failed_items(acceptance) -> list[str]:
    """The codes of the items an acceptance record failed (every item when the record is malformed)."""
    checks = acceptance.get("checks") if isinstance(acceptance, dict) else None
    if not isinstance(checks, dict):
        return list(CHECK_CODES)
    return [code for code in CHECK_CODES if checks.get(code) is not True]


@transaction.atomic
def order_acceptance_record(
    *, actor, order: ServiceOrder, checks: dict, signed_by: str, method: str, notes: str = ""
) -> ServiceOrder:
    """Record the customer's acceptance (验收) of a finished installation: each self-check item passed or failed,
    who signed and how (a `ConsentMethod`). Installation orders in `quality_check` only (409 otherwise); a new
    record replaces the previous one, and both stay in the timeline."""
    require_perm(actor, "service.qc_serviceorder")
    order = order_locked(order, actor)
    if order.type != OrderType.INSTALLATION:
        raise Conflict(
            _("Only installation orders have an acceptance sign-off (this is a %(type)s order).")
            % {"type": order.get_type_display()},
            code="not_for_this_type",
        )
    if order.status != OrderStatus.QUALITY_CHECK:
        raise Conflict(
            _("The order is %(status)s: the acceptance is recorded once the on-site work is finished.")
            % {"status": status_label(order.status)},
            code="invalid_status",
        )
    signed_by, notes = (signed_by or "").strip(), (notes or "").strip()
    errors = {}
    try:
        cleaned = _checks_clean(checks)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not signed_by:
        errors["signed_by"] = [_("Say who signed the acceptance.")]
    elif len(signed_by) > SIGNED_BY_MAX:
        errors["signed_by"] = [_("At most %(count)s characters.") % {"count": SIGNED_BY_MAX}]
    if method not in ConsentMethod.values:
        errors["method"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(ConsentMethod.values)}]
    if len(notes) > NOTES_MAX:
        errors["notes"] = [_("At most %(count)s characters.") % {"count": NOTES_MAX}]
    if errors:
        raise ValidationError(errors)
    order.acceptance = {
        "checks": cleaned,
        "signed_by": signed_by,
        "method": method,
        "at": timezone.now().isoformat(),
        "by": actor.pk,
        "notes": notes,
    }
    order.save(update_fields=["acceptance", "updated_at"])
    order_event(
        order=order,
        actor=actor,
        action=ACCEPTANCE_EVENT,
        payload={
            "checks": cleaned,
            "failed": failed_items(order.acceptance),
            "signed_by": signed_by,
            "method": method,
            "notes": notes,
        },
    )
    return order


def acceptance_require(order: ServiceOrder) -> None:
    """The quality check of an installation passes only over the customer's acceptance, recorded since the order
    last came to `quality_check` (after rework the customer signs again), with every item passed (409 otherwise)."""
    events = OrderEvent.objects.filter(order=order)
    came = (
        events.filter(to_status=OrderStatus.QUALITY_CHECK)
        .exclude(from_status=OrderStatus.QUALITY_CHECK)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    recorded = events.filter(action=ACCEPTANCE_EVENT).order_by("-id").values_list("id", flat=True).first()
    if not order.acceptance or recorded is None or (came is not None and recorded < came):
        raise Conflict(
            _("Record the customer's acceptance of the installation before passing the quality check."),
            code="acceptance_missing",
        )
    failed = failed_items(order.acceptance)
    if failed:
        raise Conflict(
            _("The acceptance failed: %(items)s. Send the work back for rework, or record the acceptance again.")
            % {"items": "、".join(str(CHECK_LABELS[code]) for code in failed)},
            code="acceptance_failed",
        )


def acceptance_rows(acceptance) -> list[dict]:
    """Each self-check item with its recorded result (`None`: nothing recorded), for pages and print."""
    checks = acceptance.get("checks") if isinstance(acceptance, dict) else None
    checks = checks if isinstance(checks, dict) else {}
    return [{"code": code, "label": label, "passed": checks.get(code)} for code, label in INSTALLATION_CHECKS]
