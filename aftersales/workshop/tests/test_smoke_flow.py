"""The workshop end to end through the services: plan tomorrow, apply, work the job with a pause, clocked time."""

import datetime

from django.utils import timezone

from aftersales.service.services import jobs
from aftersales.workshop.models import ClockSpan, JobSlot
from aftersales.workshop.services import dispatch
from aftersales.workshop.services.clock import line_clocked_seconds


def test_plan_apply_and_clock(workshop):
    wang = workshop.technician_with({"机修": 3}, username="wang", name="王师傅")
    lift = workshop.bay("A1", "举升")
    _order, (job,) = workshop.order_with({"hours": "2", "skill": "机修", "min_level": 2, "bay_kind": "举升"})
    proposed = dispatch.dispatch_plan(actor=workshop.dispatcher, branch=workshop.branch, day=workshop.tomorrow)
    rows = proposed.assignments()
    assert [(r["line"], r["technician"], r["bay"]) for r in rows] == [(job.pk, wang.pk, lift.pk)]
    assert rows[0]["start"] == workshop.at(workshop.tomorrow, 8, 30)
    assert rows[0]["end"] == workshop.at(workshop.tomorrow, 10, 30)
    slots = dispatch.dispatch_apply(
        actor=workshop.dispatcher,
        assignments=[
            {"line": r["line"], "technician": r["technician"], "bay": r["bay"], "start": r["start"]} for r in rows
        ],
    )
    assert JobSlot.objects.get(line=job).bay == lift and len(slots) == 1
    job.refresh_from_db()
    assert job.technician == wang.user and job.job_status == "assigned"
    jobs.job_act(actor=wang.user, line=job, action="start")
    jobs.job_act(actor=wang.user, line=job, action="pause", reason="parts")
    jobs.job_act(actor=wang.user, line=job, action="resume")
    spans = list(ClockSpan.objects.filter(line=job))
    assert len(spans) == 2 and spans[0].end_reason == "parts" and spans[1].ended_at is None
    now = timezone.now() + datetime.timedelta(minutes=5)
    assert line_clocked_seconds(job, now) >= 300
