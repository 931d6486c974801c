"""Delay warnings: the advisor of an order whose work is now expected to finish after its promised time is told
once per promise, with the new expected time; later checks (job actions, another plan, the cron command) stay quiet
until the promise changes and is broken again. Orders on time warn nobody.
"""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from aftersales.service.models import Notification, ServiceOrder
from aftersales.service.services import jobs
from aftersales.workshop.models import DelayWarning
from aftersales.workshop.services import dispatch
from aftersales.workshop.services.delays import delays_watch, order_delay_watch, order_expected_finish

pytestmark = pytest.mark.django_db


def delays(workshop):
    return list(Notification.objects.filter(user=workshop.advisor, kind="delay").order_by("pk"))


def apply_at(workshop, line, technician, hour, minute=0, bay=None):
    return dispatch.dispatch_apply(
        actor=workshop.dispatcher,
        assignments=[
            {
                "line": line.pk,
                "technician": technician.pk,
                "bay": bay,
                "start": workshop.at(workshop.tomorrow, hour, minute),
            }
        ],
    )


def watch_command() -> str:
    out = StringIO()
    call_command("workshop_watch_delays", stdout=out)
    return out.getvalue()


def promise(order, when):
    ServiceOrder.objects.filter(pk=order.pk).update(promised_at=when)
    order.refresh_from_db()


@pytest.fixture
def late(workshop):
    """王 (机修 3) and a 3-hour job promised for tomorrow 10:00."""
    wang = workshop.technician_with({"机修": 3}, name="王师傅")
    order, (job,) = workshop.order_with({"hours": "3", "skill": "机修"}, promised_at=workshop.at(workshop.tomorrow, 10))
    return wang, order, job


def test_a_plan_that_finishes_after_the_promise_tells_the_advisor_once_with_the_new_time(
    workshop, late, in_english, django_capture_on_commit_callbacks
):
    wang, order, job = late

    with django_capture_on_commit_callbacks(execute=True):
        apply_at(workshop, job, wang, 8, 30)  # 08:30–11:30, promised 10:00

    (warning,) = delays(workshop)
    assert warning.order == order
    expected = f"{workshop.tomorrow:%Y-%m-%d} 11:30"
    assert expected in warning.message and "may be late" in warning.message
    assert f"{workshop.tomorrow:%Y-%m-%d} 10:00" in warning.message
    assert DelayWarning.objects.get(order=order).expected_at == workshop.at(workshop.tomorrow, 11, 30)


def test_later_checks_of_the_same_promise_send_nothing_more(workshop, late, django_capture_on_commit_callbacks):
    wang, _order, job = late
    with django_capture_on_commit_callbacks(execute=True):
        apply_at(workshop, job, wang, 8, 30)
    assert len(delays(workshop)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        apply_at(workshop, job, wang, 9)  # a second plan, later still (09:00–12:00)
        assert "0 delay warning(s) sent." in watch_command()
        assert delays_watch() == 0
        jobs.job_act(actor=wang.user, line=job, action="start")
        jobs.job_act(actor=wang.user, line=job, action="pause", reason="parts")

    assert len(delays(workshop)) == 1


def test_a_new_promise_broken_again_warns_once_more(workshop, late, in_english, django_capture_on_commit_callbacks):
    wang, order, job = late
    with django_capture_on_commit_callbacks(execute=True):
        apply_at(workshop, job, wang, 8, 30)
    promise(order, workshop.at(workshop.tomorrow, 11))  # still before 11:30

    with django_capture_on_commit_callbacks(execute=True):
        assert "1 delay warning(s) sent." in watch_command()
        assert watch_command().startswith("0 ")

    _first, second = delays(workshop)
    assert f"{workshop.tomorrow:%Y-%m-%d} 11:00" in second.message
    assert f"{workshop.tomorrow:%Y-%m-%d} 11:30" in second.message
    assert DelayWarning.objects.filter(order=order).count() == 2


def test_a_new_promise_that_is_kept_warns_nobody(workshop, late, django_capture_on_commit_callbacks):
    wang, order, job = late
    with django_capture_on_commit_callbacks(execute=True):
        apply_at(workshop, job, wang, 8, 30)
    promise(order, workshop.at(workshop.tomorrow, 12))

    with django_capture_on_commit_callbacks(execute=True):
        assert delays_watch() == 0

    assert len(delays(workshop)) == 1


def test_an_order_planned_to_finish_before_its_promise_warns_nobody(workshop, django_capture_on_commit_callbacks):
    wang = workshop.technician_with({"机修": 3})
    _order, (job,) = workshop.order_with(
        {"hours": "2", "skill": "机修"}, promised_at=workshop.at(workshop.tomorrow, 17)
    )

    with django_capture_on_commit_callbacks(execute=True):
        apply_at(workshop, job, wang, 8, 30)
        assert delays_watch() == 0
        watch_command()

    assert delays(workshop) == []
    assert not DelayWarning.objects.exists()


def test_an_order_without_a_promise_warns_nobody(workshop, django_capture_on_commit_callbacks):
    wang = workshop.technician_with({"机修": 3})
    order, (job,) = workshop.order_with({"hours": "8", "skill": "机修"})

    with django_capture_on_commit_callbacks(execute=True):
        apply_at(workshop, job, wang, 8, 30)
        assert order_delay_watch(order=order) is False

    assert delays(workshop) == []


def test_the_watch_command_catches_unplanned_work_that_can_no_longer_make_the_promise(
    workshop, django_capture_on_commit_callbacks
):
    promised = workshop.at(workshop.tomorrow, 10)
    order, _jobs = workshop.order_with({"hours": "40", "skill": "机修"}, promised_at=promised)  # 40 h of queued work

    with django_capture_on_commit_callbacks(execute=True):
        assert "1 delay warning(s) sent." in watch_command()

    (warning,) = delays(workshop)
    assert warning.order == order


def test_the_watch_command_can_be_limited_to_a_branch(workshop, other_branch):
    workshop.order_with({"hours": "40", "skill": "机修"}, promised_at=workshop.at(workshop.tomorrow, 10))

    out = StringIO()
    call_command("workshop_watch_delays", "--branch", other_branch.code, stdout=out)

    assert out.getvalue().startswith("0 ")
    assert delays(workshop) == []


# -- the expected finish --------------------------------------------------------------------------------------------------------


def test_the_expected_finish_is_the_latest_planned_end_of_the_jobs_not_started(workshop):
    wang = workshop.technician_with({"机修": 3})
    zhao = workshop.technician_with({"机修": 3})
    order, (first, second) = workshop.order_with({"hours": "1", "skill": "机修"}, {"hours": "2", "skill": "机修"})
    dispatch.dispatch_apply(
        actor=workshop.dispatcher,
        assignments=[
            {"line": first.pk, "technician": wang.pk, "start": workshop.at(workshop.tomorrow, 8, 30)},
            {"line": second.pk, "technician": zhao.pk, "start": workshop.at(workshop.tomorrow, 13)},
        ],
    )
    now = workshop.at(workshop.tomorrow, 7)

    assert order_expected_finish(order, now) == workshop.at(workshop.tomorrow, 15)


def test_a_job_in_progress_is_expected_to_end_after_its_hours_not_yet_clocked(workshop):
    wang = workshop.technician_with({"机修": 3})
    order, (job,) = workshop.order_with({"hours": "2", "skill": "机修"})
    dispatch.dispatch_apply(
        actor=workshop.dispatcher,
        assignments=[{"line": job.pk, "technician": wang.pk, "start": workshop.at(workshop.tomorrow, 8, 30)}],
    )
    jobs.job_act(actor=wang.user, line=job, action="start")
    started = job.clock_spans.get().started_at

    later = started + datetime.timedelta(minutes=30)

    assert order_expected_finish(order, later) == later + datetime.timedelta(minutes=90)


def _watch_queries(workshop) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert delays_watch(branch=workshop.branch) == 0
    return len(captured)


def test_the_watch_reads_every_order_in_the_same_number_of_queries(workshop):
    far = workshop.at(workshop.tomorrow + datetime.timedelta(days=7), 17)
    for _ in range(2):
        workshop.order_with({"hours": "1", "skill": "机修"}, promised_at=far)
    two = _watch_queries(workshop)
    for _ in range(3):
        workshop.order_with({"hours": "1", "skill": "机修"}, promised_at=far)

    assert _watch_queries(workshop) == two
