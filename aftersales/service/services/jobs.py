"""The technician's clock on a job (开工/暂停/完工): start, pause with a reason, finish with a self-check.

Only the technician the job is assigned to moves it. The first start moves the order to `in_progress`; the
last job finished moves it to `quality_check`.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.errors import Conflict
from aftersales.service.choices import JOB_TRANSITIONS, Consent, JobStatus, LineKind, OrderStatus, PauseReason
from aftersales.service.models import ServiceOrderLine
from aftersales.service.services.common import order_event, order_locked, status_label
from aftersales.workshop.services.clock import clock_record
from aftersales.workshop.services.delays import order_delay_watch

S = OrderStatus
WORKING_STATUSES = (S.DISPATCHED, S.IN_PROGRESS)


@transaction.atomic
def job_act(*, actor, line: ServiceOrderLine, action: str, reason: str = "", self_check: dict | None = None):
    """Start, pause, resume or finish a job. Starting or resuming one pauses the technician's other job in progress.
    Returns the line."""
    if action not in JOB_TRANSITIONS:
        raise ValidationError({"action": _("Unknown action %(action)s.") % {"action": action}})
    require_perm(actor, "service.work_serviceorder")
    order = order_locked(line.order, actor)
    line = ServiceOrderLine.objects.select_for_update().get(pk=line.pk)
    if line.kind != LineKind.LABOUR:
        raise ValidationError({"line": _("Only labour lines are jobs.")})
    # a line awaiting consent is nobody's job yet: say why it can't be worked (409), not whose it isn't (403)
    if line.consent != Consent.APPROVED:
        raise Conflict(_("This job awaits the customer's consent."), code="line_not_approved")
    if line.technician_id != actor.pk:
        raise PermissionDenied(_("This job is not assigned to you."))
    if order.status not in WORKING_STATUSES:
        raise Conflict(
            _("The order is %(status)s: its jobs can't be worked now.") % {"status": status_label(order.status)},
            code="invalid_status",
        )
    sources, target = JOB_TRANSITIONS[action]
    if line.job_status not in sources:
        raise Conflict(
            _("The job is %(status)s: it can't %(action)s.")
            % {"status": line.get_job_status_display(), "action": action},
            code="invalid_job_status",
        )
    payload = {"line": line.pk, "job": action}
    now = timezone.now()
    if action == "start":
        line.started_at = line.started_at or now
    elif action == "pause":
        if reason not in PauseReason.values:
            raise ValidationError(
                {"reason": _("Choose one of: %(values)s.") % {"values": ", ".join(PauseReason.values)}}
            )
        payload["reason"] = reason
    elif action == "finish":
        check = self_check or {}
        if check.get("passed") is not True:
            raise ValidationError({"self_check": _("Finish the self-check and confirm it passed.")})
        line.self_check_passed, line.self_check_notes = True, str(check.get("notes") or "")[:200]
        line.finished_at = now
        payload["self_check"] = {"passed": True, "notes": line.self_check_notes}
    before_job = line.job_status
    if target == JobStatus.IN_PROGRESS:
        _pause_other_jobs(actor, line, now)
    line.job_status = target
    line.save()
    clock_record(line=line, technician=actor, action=action, reason=reason, now=now)
    order_event(order=order, actor=actor, action=f"job_{action}", payload={**payload, "from": before_job, "to": target})
    _order_follows_jobs(actor, order)
    return line


def _pause_other_jobs(actor, line: ServiceOrderLine, now) -> None:
    """A technician works one job at a time: starting or resuming one pauses the job they were on (reason
    "called to another job"), so their clock never runs on two jobs at once."""
    others = (
        ServiceOrderLine.objects.select_for_update()
        .filter(technician=actor, kind=LineKind.LABOUR, job_status=JobStatus.IN_PROGRESS)
        .exclude(pk=line.pk)
        .select_related("order")
    )
    for other in others:
        other.job_status = JobStatus.PAUSED
        other.save(update_fields=["job_status", "updated_at"])
        clock_record(line=other, technician=actor, action="pause", reason=PauseReason.OTHER_JOB, now=now)
        payload = {"line": other.pk, "job": "pause", "reason": PauseReason.OTHER_JOB, "for_line": line.pk}
        order_event(
            order=other.order,
            actor=actor,
            action="job_pause",
            payload={**payload, "from": "in_progress", "to": "paused"},
        )


def _order_follows_jobs(actor, order) -> None:
    jobs = list(
        ServiceOrderLine.objects.filter(order=order, kind=LineKind.LABOUR, consent=Consent.APPROVED).values_list(
            "job_status", flat=True
        )
    )
    before = order.status
    if jobs and all(status == JobStatus.FINISHED for status in jobs):
        order.status = S.QUALITY_CHECK
    elif order.status == S.DISPATCHED and any(s in (JobStatus.IN_PROGRESS, JobStatus.PAUSED) for s in jobs):
        order.status = S.IN_PROGRESS
    if order.status != before:
        order.save(update_fields=["status", "updated_at"])
        order_event(order=order, actor=actor, action="status", from_status=before, to_status=order.status)
    if order.status == S.IN_PROGRESS:
        order_delay_watch(order=order, now=timezone.now())
