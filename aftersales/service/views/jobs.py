"""Pages: the technician's jobs (我的派工), made for a phone held in one hand — a card for each open job with big
Start / Pause (with a reason) / Finish (with the self-check) buttons, and what they finished today.

Each button posts to `job_action`, which calls `services.jobs.job_act` and comes back to the list with a toast;
a refusal (not your job, wrong status, no reason, self-check not passed) is an error toast and changes nothing.
"""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aftersales.core.errors import Conflict
from aftersales.core.pages import perm_required
from aftersales.service.choices import JOB_TRANSITIONS, JobStatus, LineKind, PauseReason
from aftersales.service.models import ServiceOrderLine
from aftersales.service.selectors import line_detail, technician_jobs
from aftersales.service.services.jobs import job_act
from aftersales.workshop.services.clock import clocked_seconds
from aftersales.workshop.services.clock import hours as clocked_hours

WORK = "service.work_serviceorder"
SUCCESS = {
    "start": gettext_lazy("Started: %(job)s."),
    "pause": gettext_lazy("Paused: %(job)s."),
    "resume": gettext_lazy("Resumed: %(job)s."),
    "finish": gettext_lazy("Finished: %(job)s."),
}


def finished_today(*, user) -> list[ServiceOrderLine]:
    """The jobs the technician finished since midnight, the latest first."""
    start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
    return list(
        ServiceOrderLine.objects.filter(
            technician=user, kind=LineKind.LABOUR, job_status=JobStatus.FINISHED, finished_at__gte=start
        )
        .select_related("order__asset")
        .order_by("-finished_at", "-id")
    )


def _with_actions(jobs, now) -> list[ServiceOrderLine]:
    """Mark on each job which buttons its status allows (the same table `job_act` checks), whether it is late, and
    the hours clocked on it so far (None when never started)."""
    for job in jobs:
        job.can = {action: job.job_status in sources for action, (sources, _target) in JOB_TRANSITIONS.items()}
        job.late = job.order.promised_at is not None and job.order.promised_at < now
        spans = job.clock_spans.all()
        job.clocked = clocked_hours(clocked_seconds(spans, now=now)) if spans else None
    return jobs


@perm_required(WORK)
def job_list(request):
    now = timezone.now()
    context = {
        "jobs": _with_actions(list(technician_jobs(user=request.user)), now),
        "finished": finished_today(user=request.user),
        "pause_reasons": PauseReason.choices,
    }
    return render(request, "service/job_list.html", context)


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@require_POST
@perm_required(WORK)
def job_action(request, line_id: int, action: str):
    if action not in JOB_TRANSITIONS:
        raise Http404
    line = line_detail(user=request.user, pk=line_id)
    self_check = None
    if action == "finish":
        self_check = {
            "passed": request.POST.get("passed") in ("1", "on", "true"),
            "notes": request.POST.get("notes", ""),
        }
    try:
        job_act(
            actor=request.user, line=line, action=action, reason=request.POST.get("reason", ""), self_check=self_check
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except Conflict as exc:
        messages.error(request, str(exc.message))
    except PermissionDenied as exc:
        # Not (or no longer) this technician's job — e.g. re-assigned while the page was open: say so on the list.
        messages.error(request, str(exc) or _("This job is not assigned to you."))
    else:
        messages.success(request, str(SUCCESS[action]) % {"job": line.name})
    return redirect("service:job_list")


urlpatterns = [
    path("jobs/", job_list, name="job_list"),
    path("jobs/<int:line_id>/<str:action>/", job_action, name="job_action"),
]
