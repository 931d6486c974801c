"""Service orders: opening one, and every move of its status, through one transition function.

`order_transition` locks the order, checks the role (403), the order type and the status (409 naming the
current status) against `choices.TRANSITIONS`, runs the action's own rules, moves the status and records
the event. `order_act` is the one entry point the API and the pages call with an action name.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.errors import Conflict
from aftersales.core.numbers import document_number_next
from aftersales.org.access import user_sees_branch
from aftersales.parts.choices import MoveKind
from aftersales.parts.services import ledger
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.service.choices import (
    TRANSITIONS,
    TYPE_ACTIONS,
    VISIT_TYPES,
    Consent,
    ConsentMethod,
    JobStatus,
    LineKind,
    OrderStatus,
    OrderType,
    PartState,
    PaymentMethod,
)
from aftersales.service.models import OrderConsent, Payment, ReleasePass, ServiceOrder, ServiceOrderLine
from aftersales.service.services import installation
from aftersales.service.services.common import branch_settings, order_event, order_locked, status_label
from aftersales.service.totals import order_totals

S = OrderStatus
FEN = Decimal("0.01")


# -- opening an order -----------------------------------------------------------------------------------------------


@transaction.atomic
def order_create(
    *,
    actor,
    branch,
    customer,
    asset=None,
    type: str = OrderType.REPAIR,
    mileage=None,
    concerns: str = "",
    promised_at=None,
    assignee=None,
    fuel: str = "",
    walkaround=None,
    valuables_acknowledged: bool = False,
    insurer: str = "",
    response_due_at=None,
    team=None,
    scheduled_at=None,
) -> ServiceOrder:
    """Open an order (接待) numbered `WO-<branch>-<day>-NNNN` in status `reception`.

    An inspection or call-out order is a visit: it names its `assignee` and starts `dispatched`. An installation
    order names its installation `team` (an active installation team of the branch) and may be `scheduled_at` a
    time on site; other types take neither.
    """
    require_perm(actor, "service.add_serviceorder")
    errors = {}
    if branch is None or not user_sees_branch(actor, branch.pk):
        errors["branch"] = [_("Choose a branch you work for.")]
    if type not in OrderType.values:
        errors["type"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(OrderType.values)}]
    if asset is not None and asset.customer_id != customer.pk:
        errors["asset"] = [_("This asset is not the customer's.")]
    visit = type in VISIT_TYPES
    if visit and assignee is None:
        errors["assignee"] = [_("Name who makes the visit.")]
    if assignee is not None and not _works_at(assignee, branch):
        errors["assignee"] = [_("Choose someone who works at this branch.")]
    if mileage not in (None, "") and (not str(mileage).isdigit()):
        errors["mileage"] = [_("Enter a whole number of kilometres.")]
    errors.update(_installation_errors(type=type, branch=branch, team=team, scheduled_at=scheduled_at))
    if errors:
        raise ValidationError(errors)
    order = ServiceOrder(
        number=document_number_next(prefix="WO", branch=branch),
        branch=branch,
        type=type,
        status=S.DISPATCHED if visit else S.RECEPTION,
        customer=customer,
        asset=asset,
        advisor=actor if getattr(actor, "pk", None) else None,
        assignee=assignee,
        mileage=int(mileage) if mileage not in (None, "") else None,
        fuel=fuel or "",
        concerns=(concerns or "").strip(),
        walkaround=walkaround or {},
        valuables_acknowledged=bool(valuables_acknowledged),
        promised_at=promised_at,
        response_due_at=response_due_at,
        insurer=(insurer or "").strip(),
        team=team,
        scheduled_at=scheduled_at,
        warehouse=warehouse_default_for(branch),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    order.full_clean(exclude=["number", "advisor", "assignee", "created_by", "warehouse", "customer", "asset", "team"])
    order.save()
    created = {"type": type}
    if team is not None:
        created["team"] = team.name
    order_event(order=order, actor=actor, action="create", to_status=order.status, payload=created)
    if visit:
        _notify(
            [assignee],
            "job_assigned",
            order,
            _("%(number)s: a %(type)s visit is yours.") % {"number": order.number, "type": order.get_type_display()},
        )
    return order


def _installation_errors(*, type, branch, team, scheduled_at) -> dict:
    """An installation order needs its installation team; the team and the schedule belong to installations only."""
    if type == OrderType.INSTALLATION:
        problems = installation.installation_team_errors(branch=branch, team=team)
        return {"team": problems} if problems else {}
    errors = {}
    if team is not None:
        errors["team"] = [_("Only installation orders have an installation team.")]
    if scheduled_at is not None:
        errors["scheduled_at"] = [_("Only installation orders are scheduled on site.")]
    return errors


def _works_at(user, branch) -> bool:
    employee = getattr(user, "employee", None)
    if employee is None:
        return user.is_superuser
    return employee.branch_id == branch.pk or employee.branches.filter(pk=branch.pk).exists()


def _notify(users, kind: str, order, message: str, *, sms: bool = False) -> None:
    from aftersales.service.services.notify import notify

    users = [u for u in users if u is not None]
    if users:
        notify(users=users, kind=kind, message=message, order=order, sms=sms)


# -- the transition function ------------------------------------------------------------------------------------------


def order_transition(*, actor, order: ServiceOrder, action: str, apply: Callable[[ServiceOrder], dict] | None = None):
    """Lock the order, check role, type and status, run `apply` (the action's own rules and changes, returning
    the event's details and optionally `"to"`, a status to move to instead of the table's), record the event.

    The action's input is checked inside `apply`, after the table: a role that may not act gets 403 and a
    status that forbids the move 409 whatever was sent."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError({"action": _("Unknown action %(action)s.") % {"action": action}})
    require_perm(actor, transition.perm)
    order = order_locked(order, actor)
    if action not in TYPE_ACTIONS[order.type]:
        raise Conflict(
            _("A %(type)s order has no step “%(action)s” (the order is %(status)s).")
            % {"type": order.get_type_display(), "action": action, "status": status_label(order.status)},
            code="not_for_this_type",
        )
    if order.status not in transition.sources:
        raise Conflict(
            _("The order is %(status)s: “%(action)s” is not possible now.")
            % {"status": status_label(order.status), "action": transition.label},
            code="invalid_status",
        )
    before = order.status
    payload = dict(apply(order) or {}) if apply else {}
    target = payload.pop("to", None) or transition.target or order.status
    order.status = target
    order.save()
    order_event(order=order, actor=actor, action=action, from_status=before, to_status=target, payload=payload)
    return order


def order_act(*, actor, order: ServiceOrder, action: str, data: dict | None = None) -> ServiceOrder:
    """Run a named action with its input (the API's `/actions/{action}` and the order page's buttons)."""
    handlers = {
        "submit_estimate": order_submit_estimate,
        "approve": order_approve,
        "issue_parts": order_issue_parts,
        "dispatch": order_dispatch,
        "qc_pass": order_qc_pass,
        "qc_fail": order_qc_fail,
        "settle": order_settle,
        "deliver": order_deliver,
        "complete": order_complete,
        "cancel": order_cancel,
    }
    handler = handlers.get(action)
    if handler is None:
        raise ValidationError({"action": _("Unknown action %(action)s.") % {"action": action}})
    return handler(actor=actor, order=order, **(data or {}))


def _lines(order, **filters):
    return list(ServiceOrderLine.objects.select_for_update().filter(order=order, **filters).order_by("id"))


def _counted_lines(order):
    return [line for line in _lines(order) if line.consent != Consent.CANCELLED]


# -- estimate and consent ----------------------------------------------------------------------------------------------


@transaction.atomic
def order_submit_estimate(*, actor, order: ServiceOrder) -> ServiceOrder:
    """Send the estimate to the customer (诊断/报价): the order waits for their consent."""

    def apply(order):
        lines = [line for line in _counted_lines(order) if line.consent == Consent.ESTIMATE]
        if not lines:
            raise ValidationError({"lines": _("Add the estimate's lines first.")})
        totals = order_totals(lines)
        return {"total": str(totals.total), "customer_payable": str(totals.customer_payable)}

    return order_transition(actor=actor, order=order, action="submit_estimate", apply=apply)


@transaction.atomic
def order_approve(*, actor, order: ServiceOrder, method: str = "", by: str = "") -> ServiceOrder:
    """Record the customer's consent (客户确认/增项确认) to whatever awaits it: the estimate, lines added later, or a
    total above the consented estimate. Consent to the estimate moves the order to `approved`; otherwise the
    order keeps its place. Consented part lines reserve their stock."""

    def apply(order):
        errors = {}
        if method not in ConsentMethod.values:
            errors["method"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(ConsentMethod.values)}]
        if not (by or "").strip():
            errors["by"] = [_("Say who consented.")]
        if errors:
            raise ValidationError(errors)
        lines = _counted_lines(order)
        waiting = [line for line in lines if line.consent in (Consent.ESTIMATE, Consent.PENDING)]
        over = _over_estimate(order, lines)
        if not waiting and not over and order.status != S.AWAITING_APPROVAL:
            raise Conflict(_("Nothing awaits the customer's consent."), code="nothing_to_approve")
        for line in waiting:
            line.consent = Consent.APPROVED
        ServiceOrderLine.objects.bulk_update(waiting, ["consent"])
        totals = order_totals(lines)
        order.consented_total = totals.customer_payable
        OrderConsent.objects.create(
            order=order,
            method=method,
            by=by.strip()[:60],
            total=totals.customer_payable,
            lines=[line.pk for line in waiting],
            recorded_by=actor,
        )
        reserved = _reserve_parts(actor, order, [line for line in waiting if line.kind == LineKind.PART])
        payload = {
            "method": method,
            "by": by.strip(),
            "lines": [line.pk for line in waiting],
            "total": str(totals.customer_payable),
            "reserved": reserved,
        }
        if order.status == S.AWAITING_APPROVAL:
            order.approved_at = timezone.now()
            payload["to"] = S.APPROVED
        return payload

    return order_transition(actor=actor, order=order, action="approve", apply=apply)


def _over_estimate(order: ServiceOrder, lines) -> bool:
    """The customer's total exceeds the consented one by more than the branch's margin (10 % unless set)."""
    if order.consented_total is None:
        return False
    margin = branch_settings(order.branch).over_estimate_margin
    limit = (order.consented_total * (1 + margin / 100)).quantize(FEN)
    return order_totals(lines).customer_payable > limit


def _reserve_parts(actor, order, lines) -> list[int]:
    """Reserve stock for consented part lines; a part short in stock stays unreserved (the shortage is recorded
    for purchasing) and is issued when it arrives."""
    reserved = []
    for line in lines:
        if line.part_state != PartState.NOT_RESERVED:
            continue
        # no savepoint of our own: stock_reserve takes one for the reservation and records a refused request's
        # shortage outside it, which a savepoint here would roll back with the refusal
        try:
            reservation = ledger.stock_reserve(
                actor=actor,
                warehouse=order.warehouse,
                part=line.part,
                quantity=line.quantity,
                reference=f"{order.number}/{line.pk}",
            )
        except ledger.InsufficientStock:
            continue
        line.reservation, line.part_state = reservation, PartState.RESERVED
        line.save(update_fields=["reservation", "part_state", "updated_at"])
        reserved.append(line.pk)
    return reserved


# -- parts ------------------------------------------------------------------------------------------------------------


@transaction.atomic
def order_issue_parts(*, actor, order: ServiceOrder) -> ServiceOrder:
    """The parts keeper issues every consented part line not yet issued: against its reservation, or from what is
    available. Short stock refuses the whole issue (409) and nothing leaves the shelf."""

    def apply(order):
        lines = [
            line
            for line in _lines(order, kind=LineKind.PART, consent=Consent.APPROVED)
            if line.part_state in (PartState.RESERVED, PartState.NOT_RESERVED)
        ]
        if not lines:
            raise Conflict(_("No consented part line waits to be issued."), code="nothing_to_issue")
        for line in lines:
            if line.reservation_id:
                move = ledger.stock_issue_reserved(actor=actor, reservation=line.reservation)
            else:
                move = ledger.stock_issue(
                    actor=actor,
                    warehouse=order.warehouse,
                    part=line.part,
                    quantity=line.quantity,
                    reference=f"{order.number}/{line.pk}",
                )
            line.issue_move, line.part_state = move, PartState.ISSUED
            line.save(update_fields=["issue_move", "part_state", "updated_at"])
        return {"lines": [line.pk for line in lines]}

    return order_transition(actor=actor, order=order, action="issue_parts", apply=apply)


# -- dispatch and quality check ---------------------------------------------------------------------------------------


@transaction.atomic
def order_dispatch(*, actor, order: ServiceOrder, assignments: list | None = None) -> ServiceOrder:
    """Assign jobs (labour lines) to technicians (派工): `assignments` = [{"line": id, "technician": user id}].
    Re-assigning a job not started yet is allowed; the order moves from approved to dispatched."""
    from aftersales.org.models import User

    assignments = assignments or []

    def apply(order):
        if not assignments:
            raise ValidationError({"assignments": _("Assign at least one job.")})
        lines = {line.pk: line for line in _lines(order, kind=LineKind.LABOUR)}
        people = User.objects.in_bulk({_id(a, "technician") for a in assignments})
        done = []
        for index, assignment in enumerate(assignments):
            line = lines.get(_id(assignment, "line"))
            technician = people.get(_id(assignment, "technician"))
            if line is None:
                raise ValidationError({f"assignments.{index}.line": _("No labour line of this order with that id.")})
            if line.consent != Consent.APPROVED:
                raise Conflict(
                    _("“%(line)s” awaits the customer's consent; it can't be worked yet.") % {"line": line.name},
                    code="line_not_approved",
                )
            if line.job_status in (JobStatus.IN_PROGRESS, JobStatus.FINISHED):
                raise Conflict(
                    _("“%(line)s” is %(status)s; it can't be re-assigned.")
                    % {"line": line.name, "status": line.get_job_status_display()},
                    code="job_started",
                )
            if technician is None or not technician.has_perm("service.work_serviceorder"):
                raise ValidationError({f"assignments.{index}.technician": _("Choose a technician.")})
            if not _works_at(technician, order.branch):
                raise ValidationError({f"assignments.{index}.technician": _("Choose a technician of this branch.")})
            if (
                order.type == OrderType.INSTALLATION
                and order.team_id
                and not installation.team_member(technician, order.team)
            ):
                raise ValidationError(
                    {
                        f"assignments.{index}.technician": _("Choose a member of the installation team %(team)s.")
                        % {"team": order.team.name}
                    }
                )
            line.technician, line.job_status = technician, JobStatus.ASSIGNED
            line.save(update_fields=["technician", "job_status", "updated_at"])
            done.append({"line": line.pk, "technician": technician.pk})
            _notify(
                [technician],
                "job_assigned",
                order,
                _("%(number)s: “%(line)s” is yours.") % {"number": order.number, "line": line.name},
            )
        payload = {"assignments": done}
        if order.status == S.APPROVED:
            payload["to"] = S.DISPATCHED
        return payload

    return order_transition(actor=actor, order=order, action="dispatch", apply=apply)


def _id(data, key):
    value = data.get(key) if isinstance(data, dict) else getattr(data, key, None)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@transaction.atomic
def order_qc_pass(*, actor, order: ServiceOrder, notes: str = "") -> ServiceOrder:
    """The inspector passes the order (质检): it is ready for settlement and the advisor is told. An installation
    passes only over the customer's acceptance with every self-check item passed (`installation.acceptance_require`)."""

    def apply(order):
        if order.type == OrderType.INSTALLATION:
            installation.acceptance_require(order)
        order.completed_at = timezone.now()
        _notify(
            [order.advisor],
            "ready_for_delivery",
            order,
            _("%(number)s passed the quality check and is ready for settlement.") % {"number": order.number},
        )
        return {"notes": notes}

    return order_transition(actor=actor, order=order, action="qc_pass", apply=apply)


@transaction.atomic
def order_qc_fail(*, actor, order: ServiceOrder, reason: str = "", lines: list | None = None) -> ServiceOrder:
    """The inspector fails the order, naming the jobs to redo and why: they go back to their technicians (返工),
    counted per job and per order."""
    reason = (reason or "").strip()

    def apply(order):
        errors = {}
        if not reason:
            errors["reason"] = [_("Say what must be redone.")]
        if not lines:
            errors["lines"] = [_("Name the jobs to redo.")]
        if errors:
            raise ValidationError(errors)
        jobs = {line.pk: line for line in _lines(order, kind=LineKind.LABOUR, consent=Consent.APPROVED)}
        redo = []
        for index, value in enumerate(lines):
            line = jobs.get(_id({"line": value}, "line"))
            if line is None:
                raise ValidationError({f"lines.{index}": _("No consented job of this order with that id.")})
            line.job_status, line.rework_count, line.rework_reason = (
                JobStatus.ASSIGNED,
                line.rework_count + 1,
                reason[:200],
            )
            line.finished_at = None
            line.save(update_fields=["job_status", "rework_count", "rework_reason", "finished_at", "updated_at"])
            redo.append(line)
        order.rework_count += 1
        for line in redo:
            _notify(
                [line.technician],
                "rework",
                order,
                _("%(number)s: “%(line)s” failed the quality check: %(reason)s")
                % {"number": order.number, "line": line.name, "reason": reason},
            )
        _notify(
            [order.advisor],
            "qc_failed",
            order,
            _("%(number)s failed the quality check: %(reason)s") % {"number": order.number, "reason": reason},
        )
        return {"reason": reason, "lines": [line.pk for line in redo]}

    return order_transition(actor=actor, order=order, action="qc_fail", apply=apply)


# -- settlement and delivery ------------------------------------------------------------------------------------------


def _payments_clean(payments) -> list[tuple[str, Decimal]]:
    cleaned, errors = [], {}
    for index, payment in enumerate(payments or []):
        method = payment.get("method") if isinstance(payment, dict) else getattr(payment, "method", None)
        amount = payment.get("amount") if isinstance(payment, dict) else getattr(payment, "amount", None)
        if method not in PaymentMethod.values:
            errors[f"payments.{index}.method"] = [
                _("Choose one of: %(values)s.") % {"values": ", ".join(PaymentMethod.values)}
            ]
            continue
        try:
            amount = Decimal(str(amount))
        except (InvalidOperation, ValueError):
            errors[f"payments.{index}.amount"] = [_("Enter an amount.")]
            continue
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(FEN):
            errors[f"payments.{index}.amount"] = [_("Enter an amount above 0 with at most two decimals.")]
            continue
        cleaned.append((method, amount))
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def order_settle(*, actor, order: ServiceOrder, payments: list | None = None) -> ServiceOrder:
    """Settle (结算): every consented part issued, nothing awaiting consent, the customer's total within the
    branch's margin over what they consented to, and payments adding up to exactly the customer's total."""

    def apply(order):
        lines = _counted_lines(order)
        if any(line.consent == Consent.PENDING for line in lines):
            raise Conflict(_("Some lines still await the customer's consent."), code="lines_awaiting_consent")
        if any(line.kind == LineKind.PART and line.part_state != PartState.ISSUED for line in lines):
            raise Conflict(_("Some part lines have not been issued yet."), code="parts_not_issued")
        if _over_estimate(order, lines):
            raise Conflict(
                _(
                    "The customer's total is more than %(margin)s%% above the consented %(consented)s: record the customer's consent to the new total first."
                )
                % {
                    "margin": f"{branch_settings(order.branch).over_estimate_margin.normalize():f}",
                    "consented": order.consented_total,
                },
                code="over_estimate",
            )
        cleaned = _payments_clean(payments)
        payable = order_totals(lines).customer_payable
        paid = sum((amount for _method, amount in cleaned), Decimal("0.00"))
        if paid != payable:
            raise ValidationError(
                {
                    "payments": _("Payments add up to %(paid)s; the customer pays %(payable)s.")
                    % {"paid": paid, "payable": payable}
                }
            )
        Payment.objects.bulk_create(
            [Payment(order=order, method=method, amount=amount, received_by=actor) for method, amount in cleaned]
        )
        order.settled_at = timezone.now()
        return {"customer_payable": str(payable), "payments": [{"method": m, "amount": str(a)} for m, a in cleaned]}

    return order_transition(actor=actor, order=order, action="settle", apply=apply)


@transaction.atomic
def order_deliver(*, actor, order: ServiceOrder) -> ServiceOrder:
    """Hand the asset back (交车) with a numbered release pass (放行条)."""

    def apply(order):
        release = ReleasePass.objects.create(
            order=order, number=document_number_next(prefix="RP", branch=order.branch), issued_by=actor
        )
        order.delivered_at = timezone.now()
        return {"release_pass": release.number}

    return order_transition(actor=actor, order=order, action="deliver", apply=apply)


@transaction.atomic
def order_complete(*, actor, order: ServiceOrder, report: str = "") -> ServiceOrder:
    """The assignee of an inspection or call-out records the visit's report, which completes the order."""
    report = (report or "").strip()

    def apply(order):
        if order.assignee_id != actor.pk and not actor.is_superuser:
            raise PermissionDenied(_("Only the assignee records the report."))
        if not report:
            raise ValidationError({"report": _("Write the report.")})
        order.report, order.completed_at = report, timezone.now()
        return {"report": report[:500]}

    return order_transition(actor=actor, order=order, action="complete", apply=apply)


@transaction.atomic
def order_cancel(*, actor, order: ServiceOrder, reason: str = "") -> ServiceOrder:
    """Cancel an order before settlement: reservations are released and issued parts go back on the shelf at
    the cost they left it."""
    reason = (reason or "").strip()

    def apply(order):
        if not reason:
            raise ValidationError({"reason": _("Say why the order is cancelled.")})
        released, returned = [], []
        for line in _lines(order, kind=LineKind.PART):
            if line.part_state == PartState.RESERVED and line.reservation_id:
                ledger.stock_reservation_release(actor=actor, reservation=line.reservation)
                line.part_state = PartState.NOT_RESERVED
                released.append(line.pk)
            elif line.part_state == PartState.ISSUED and line.issue_move_id:
                _return_issued(actor, order, line)
                line.part_state = PartState.RETURNED
                returned.append(line.pk)
            line.save(update_fields=["part_state", "updated_at"])
        order.cancel_reason = reason[:200]
        return {"reason": reason, "released": released, "returned": returned}

    return order_transition(actor=actor, order=order, action="cancel", apply=apply)


def _return_issued(actor, order, line) -> None:
    """Issued parts of a cancelled order come back at the value they left with (a return move, not a reversal:
    the issue happened)."""
    move = line.issue_move
    ledger.stock_post(
        actor=actor,
        requests=[
            ledger.MoveRequest(
                part_id=move.part_id,
                warehouse_id=move.warehouse_id,
                kind=MoveKind.RETURN,
                quantity=-move.quantity,
                value=-move.value,
                reference=f"{order.number}/{line.pk}",
                document_type="service_order",
                document_id=order.pk,
                note=_("Order %(number)s cancelled") % {"number": order.number},
            )
        ],
    )


# -- comebacks ----------------------------------------------------------------------------------------------------------

COMEBACK_DAYS = 30


@transaction.atomic
def order_mark_comeback(*, actor, order: ServiceOrder, first: ServiceOrder) -> ServiceOrder:
    """Mark an order a comeback (返修) of an earlier one: the same asset, delivered at most 30 days before."""
    require_perm(actor, "service.change_serviceorder")
    order = order_locked(order, actor)
    first = order_locked(first, actor)
    if first.pk == order.pk or first.asset_id is None or first.asset_id != order.asset_id:
        raise ValidationError({"comeback_of": _("Choose an earlier order of the same asset.")})
    if first.status != S.DELIVERED or first.delivered_at is None:
        raise ValidationError({"comeback_of": _("The earlier order has not been delivered.")})
    if order.created_at < first.delivered_at:  # a comeback is a new visit, opened after the handover
        raise ValidationError({"comeback_of": _("Choose an earlier order of the same asset.")})
    if order.created_at - first.delivered_at > datetime.timedelta(days=COMEBACK_DAYS):
        raise ValidationError(
            {
                "comeback_of": _("%(number)s was delivered more than %(days)s days before.")
                % {"number": first.number, "days": COMEBACK_DAYS}
            }
        )
    order.comeback_of = first
    order.save(update_fields=["comeback_of", "updated_at"])
    order_event(order=order, actor=actor, action="comeback", payload={"of": first.number})
    return order


# -- corrections --------------------------------------------------------------------------------------------------------


@transaction.atomic
def order_correct(*, actor, order: ServiceOrder, reason: str = "") -> ServiceOrder:
    """A settled order is never edited: a correction is a new order for the same customer and asset, linked to it
    (`corrects`), opened in reception with the reason as its concerns."""
    require_perm(actor, "service.add_serviceorder")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what the correction is for.")})
    original = order_locked(order, actor)
    if original.status not in (S.SETTLED, S.DELIVERED):
        raise Conflict(
            _("The order is %(status)s: change it directly; only settled orders are corrected by a new one.")
            % {"status": status_label(original.status)},
            code="invalid_status",
        )
    correction = order_create(
        actor=actor,
        branch=original.branch,
        customer=original.customer,
        asset=original.asset,
        type=original.type if original.type not in VISIT_TYPES else OrderType.REPAIR,
        concerns=_("Correction of %(number)s: %(reason)s") % {"number": original.number, "reason": reason},
        mileage=original.mileage,
        team=original.team,
    )
    correction.corrects = original
    correction.save(update_fields=["corrects", "updated_at"])
    order_event(order=original, actor=actor, action="corrected", payload={"by": correction.number, "reason": reason})
    return correction
