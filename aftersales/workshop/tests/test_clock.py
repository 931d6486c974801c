"""The clock on jobs: time worked summed over spans, across pauses and midnight, split by day; and productivity (sold
hours of the jobs finished in a period against the hours clocked in it).

The job-level tests drive `job_act` with the clock held at chosen moments (`timezone.now` patched), so a job can
start at 23:00 and finish after midnight whatever the time the suite runs at.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest

from aftersales.service.choices import JobStatus
from aftersales.service.services import jobs, orders
from aftersales.service.tests.conftest import S
from aftersales.workshop.models import ClockSpan
from aftersales.workshop.services.calendar import day_origin
from aftersales.workshop.services.clock import clocked_seconds, line_clocked_seconds, productivity

pytestmark = pytest.mark.django_db

MINUTE = 60


def moment(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return day_origin(day) + datetime.timedelta(hours=hour, minutes=minute)


def span(start, end=None):
    return SimpleNamespace(started_at=start, ended_at=end)


DAY = datetime.date(2026, 3, 9)
NEXT = DAY + datetime.timedelta(days=1)


# -- clocked_seconds, by hand-made spans --------------------------------------------------------------------------------------


def test_closed_spans_add_up_and_the_gap_of_a_pause_does_not_count():
    spans = [span(moment(DAY, 9), moment(DAY, 9, 40)), span(moment(DAY, 10), moment(DAY, 10, 20))]
    assert clocked_seconds(spans, now=moment(DAY, 18)) == 60 * MINUTE


def test_an_open_span_counts_up_to_now():
    spans = [span(moment(DAY, 9), moment(DAY, 9, 30)), span(moment(DAY, 10))]
    assert clocked_seconds(spans, now=moment(DAY, 10, 15)) == 45 * MINUTE


def test_a_job_across_midnight_with_a_pause_counts_on_each_day_by_the_part_that_falls_on_it():
    spans = [span(moment(DAY, 23), moment(DAY, 23, 30)), span(moment(NEXT, 0, 15), moment(NEXT, 1))]
    now = moment(NEXT, 12)

    assert clocked_seconds(spans, now=now) == 75 * MINUTE
    assert clocked_seconds(spans, now=now, since=day_origin(DAY), until=day_origin(NEXT)) == 30 * MINUTE
    assert clocked_seconds(spans, now=now, since=day_origin(NEXT), until=moment(NEXT, 24)) == 45 * MINUTE


def test_one_span_over_midnight_is_split_at_midnight():
    spans = [span(moment(DAY, 23), moment(NEXT, 0, 45))]
    now = moment(NEXT, 12)

    assert clocked_seconds(spans, now=now, until=day_origin(NEXT)) == 60 * MINUTE
    assert clocked_seconds(spans, now=now, since=day_origin(NEXT)) == 45 * MINUTE


def test_spans_outside_the_window_count_nothing():
    spans = [span(moment(DAY, 9), moment(DAY, 10))]
    assert clocked_seconds(spans, now=moment(NEXT, 12), since=day_origin(NEXT), until=moment(NEXT, 24)) == 0


# -- through job_act, the clock held --------------------------------------------------------------------------------------------


def act_at(when, actor, line, action, **kwargs):
    with mock.patch("aftersales.service.services.jobs.timezone.now", return_value=when):
        return jobs.job_act(actor=actor, line=line, action=action, **kwargs)


@pytest.fixture
def night_job(workshop):
    """One 1-hour 机修 job of 王, started 23:00, paused 23:30 for parts, resumed 00:15, finished 01:00 next day."""
    wang = workshop.technician_with({"机修": 3}, name="王师傅")
    order, (job,) = workshop.order_with({"hours": "1", "skill": "机修"})
    orders.order_dispatch(
        actor=workshop.dispatcher, order=order, assignments=[{"line": job.pk, "technician": wang.user_id}]
    )
    act_at(moment(DAY, 23), wang.user, job, "start")
    act_at(moment(DAY, 23, 30), wang.user, job, "pause", reason="parts")
    act_at(moment(NEXT, 0, 15), wang.user, job, "resume")
    act_at(moment(NEXT, 1), wang.user, job, "finish", self_check={"passed": True, "notes": ""})
    job.refresh_from_db()
    return wang, order, job


def test_a_night_job_with_a_pause_clocks_75_minutes_in_two_spans(night_job):
    wang, order, job = night_job

    spans = list(ClockSpan.objects.filter(line=job).order_by("started_at"))

    assert [(s.started_at, s.ended_at, s.end_reason) for s in spans] == [
        (moment(DAY, 23), moment(DAY, 23, 30), "parts"),
        (moment(NEXT, 0, 15), moment(NEXT, 1), "finish"),
    ]
    assert {s.technician_id for s in spans} == {wang.user_id}
    assert line_clocked_seconds(job, now=moment(NEXT, 12)) == 75 * MINUTE
    assert (job.job_status, job.started_at, job.finished_at) == (JobStatus.FINISHED, moment(DAY, 23), moment(NEXT, 1))
    order.refresh_from_db()
    assert order.status == S.QUALITY_CHECK


def test_the_night_job_counts_30_minutes_on_the_first_day_and_45_on_the_second(night_job):
    _wang, _order, job = night_job
    spans = list(job.clock_spans.all())
    now = moment(NEXT, 12)

    assert clocked_seconds(spans, now=now, since=day_origin(DAY), until=day_origin(NEXT)) == 30 * MINUTE
    assert clocked_seconds(spans, now=now, since=day_origin(NEXT), until=moment(NEXT, 24)) == 45 * MINUTE


def test_a_second_start_while_a_span_is_open_does_not_open_another(workshop):
    wang = workshop.technician_with({"机修": 3})
    order, (job,) = workshop.order_with({"hours": "1", "skill": "机修"})
    orders.order_dispatch(
        actor=workshop.dispatcher, order=order, assignments=[{"line": job.pk, "technician": wang.user_id}]
    )
    act_at(moment(DAY, 9), wang.user, job, "start")
    act_at(moment(DAY, 9, 30), wang.user, job, "pause", reason="parts")
    act_at(moment(DAY, 10), wang.user, job, "resume")

    assert ClockSpan.objects.filter(line=job, ended_at__isnull=True).count() == 1
    assert line_clocked_seconds(job, now=moment(DAY, 10, 10)) == 40 * MINUTE


def test_starting_a_second_job_pauses_the_first_so_the_clock_runs_on_one_job_at_a_time(workshop):
    wang = workshop.technician_with({"机修": 3})
    first_order, (first,) = workshop.order_with({"hours": "1", "skill": "机修"})
    second_order, (second,) = workshop.order_with({"hours": "1", "skill": "机修"})
    for order, job in ((first_order, first), (second_order, second)):
        orders.order_dispatch(
            actor=workshop.dispatcher, order=order, assignments=[{"line": job.pk, "technician": wang.user_id}]
        )
    act_at(moment(DAY, 9), wang.user, first, "start")
    act_at(moment(DAY, 9, 20), wang.user, second, "start")

    first.refresh_from_db()
    assert first.job_status == JobStatus.PAUSED
    assert ClockSpan.objects.get(line=first).end_reason == "other_job"
    assert ClockSpan.objects.filter(technician=wang.user, ended_at__isnull=True).get().line == second
    assert line_clocked_seconds(first, now=moment(DAY, 10)) == 20 * MINUTE
    assert first_order.events.filter(action="job_pause", payload__reason="other_job").exists()

    act_at(moment(DAY, 9, 50), wang.user, first, "resume")
    second.refresh_from_db()
    assert second.job_status == JobStatus.PAUSED
    assert line_clocked_seconds(second, now=moment(DAY, 11)) == 30 * MINUTE


# -- productivity -------------------------------------------------------------------------------------------------------------------


def test_productivity_of_the_day_the_job_finished_is_sold_over_clocked_to_two_decimals(night_job):
    wang, _order, _job = night_job

    figures = productivity(technician_ids=[wang.user_id], since=day_origin(NEXT), until=moment(NEXT, 24))

    mine = figures[wang.user_id]
    assert (mine.sold, mine.clocked, mine.jobs) == (Decimal("1.00"), Decimal("0.75"), 1)
    assert mine.ratio == Decimal("1.33")


def test_the_day_the_job_started_has_clocked_hours_but_nothing_sold(night_job):
    wang, _order, _job = night_job

    mine = productivity(technician_ids=[wang.user_id], since=day_origin(DAY), until=day_origin(NEXT))[wang.user_id]

    assert (mine.sold, mine.clocked, mine.jobs, mine.ratio) == (Decimal("0.00"), Decimal("0.50"), 0, Decimal("0.00"))


def test_over_both_days_the_whole_job_is_sold_against_all_its_clocked_time(night_job):
    wang, _order, _job = night_job

    mine = productivity(technician_ids=[wang.user_id], since=day_origin(DAY), until=moment(NEXT, 24))[wang.user_id]

    assert (mine.sold, mine.clocked, mine.ratio) == (Decimal("1.00"), Decimal("1.25"), Decimal("0.80"))


def test_a_technician_who_clocked_nothing_has_no_ratio(night_job, workshop):
    idle = workshop.technician_with({"机修": 3})

    mine = productivity(technician_ids=[idle.user_id], since=day_origin(DAY), until=moment(NEXT, 24))[idle.user_id]

    assert (mine.sold, mine.clocked, mine.jobs, mine.ratio) == (Decimal("0.00"), Decimal("0.00"), 0, None)
