"""The technician's phone view: their own open jobs only, Start / Pause (reason) / Finish (self-check) through the
page moving the job and the order, refusals as error toasts that change nothing, and a fixed number of queries."""

import datetime
import html as html_lib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from aftersales.customers.tests.factories import VehicleFactory
from aftersales.service.models import OrderEvent, ServiceOrder, ServiceOrderLine
from aftersales.service.services.lines import line_add
from aftersales.service.services.orders import order_act, order_create

pytestmark = pytest.mark.django_db
JOBS = reverse("service:job_list")


@pytest.fixture(autouse=True)
def english(settings):
    """Pages in English (the source language): the Chinese catalogue is compiled by the lead."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def advisor(person):
    return person("service_advisor")


@pytest.fixture
def dispatcher(person):
    return person("dispatcher")


@pytest.fixture
def tech(person):
    return person("technician")


@pytest.fixture
def other_tech(person):
    return person("technician")


def dispatched_order(advisor, dispatcher, jobs: list[tuple[str, object]], *, branch, promised_in=4, plate=None):
    """An approved order with one labour line per (name, technician), dispatched; returns (order, lines)."""
    vehicle = VehicleFactory(customer__branch=branch, **({"plate": plate} if plate else {}))
    order = order_create(
        actor=advisor,
        branch=branch,
        customer=vehicle.customer,
        asset=vehicle,
        concerns="异响",
        promised_at=timezone.now() + datetime.timedelta(hours=promised_in),
    )
    lines = [
        line_add(actor=advisor, order=order, kind="labour", name=name, hours="1.5", rate="100") for name, _t in jobs
    ]
    order_act(actor=advisor, order=order, action="submit_estimate")
    order_act(actor=advisor, order=order, action="approve", data={"method": "in_person", "by": "车主"})
    order_act(
        actor=dispatcher,
        order=order,
        action="dispatch",
        data={
            "assignments": [{"line": line.pk, "technician": t.pk} for line, (_n, t) in zip(lines, jobs, strict=True)]
        },
    )
    return order, lines


def action_url(line, action: str) -> str:
    return reverse("service:job_action", args=[line.pk, action])


def act(client, line, action: str, data: dict | None = None):
    """Press a button on the page: post, follow the redirect back to the list (where the toast shows)."""
    return client.post(action_url(line, action), data or {}, follow=True)


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def toasts(response) -> list[tuple[str, str]]:
    """(kind, message) of each toast on the page."""
    return [
        (kind, message.strip())
        for kind, message in re.findall(r'<div class="toast ([a-z]+)">(.*?)</div>', text(response), re.S)
    ]


def card_ids(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'<article class="job-card[^"]*" id="job-(\d+)"', text(response))}


def finished_section(response) -> str:
    match = re.search(r'aria-labelledby="jobs-done">(.*?)</section>', text(response), re.S)
    assert match
    return match.group(1)


def state(line) -> tuple[str, str]:
    line.refresh_from_db()
    line.order.refresh_from_db()
    return line.job_status, line.order.status


def test_job_list_shows_only_the_signed_in_technicians_open_jobs(pages, advisor, dispatcher, tech, other_tech, branch):
    # given an order whose two jobs go to two technicians, and another job of theirs
    order, (mine, theirs) = dispatched_order(
        advisor, dispatcher, [("更换机油", tech), ("四轮定位", other_tech)], branch=branch, plate="京A12345"
    )
    _other, (elsewhere,) = dispatched_order(advisor, dispatcher, [("洗车", other_tech)], branch=branch)

    response = pages(tech).get(JOBS)

    assert response.status_code == 200
    assert card_ids(response) == {mine.pk}
    page = text(response)
    assert "更换机油" in page and "四轮定位" not in page and "洗车" not in page
    assert "京A12345" in page and order.number in page and "1.5" in page
    assert action_url(mine, "start") in page
    assert action_url(mine, "finish") not in page  # not started: only Start
    assert card_ids(pages(other_tech).get(JOBS)) == {theirs.pk, elsewhere.pk}


def test_start_pause_start_finish_through_the_page_moves_the_job_and_then_the_order(
    pages, advisor, dispatcher, tech, other_tech, branch
):
    order, (first, second) = dispatched_order(
        advisor, dispatcher, [("更换机油", tech), ("更换刹车片", other_tech)], branch=branch
    )
    client = pages(tech)

    started = act(client, first, "start")
    assert state(first) == ("in_progress", "in_progress")
    assert toasts(started) == [("success", "Started: 更换机油.")]
    assert action_url(first, "pause") in text(started) and action_url(first, "finish") in text(started)

    paused = act(client, first, "pause", {"reason": "parts"})
    assert state(first) == ("paused", "in_progress")
    assert toasts(paused) == [("success", "Paused: 更换机油.")]
    assert OrderEvent.objects.filter(order=order, action="job_pause").get().payload["reason"] == "parts"
    assert "Resume" in text(paused)

    act(client, first, "start")
    assert state(first) == ("in_progress", "in_progress")

    finished = act(client, first, "finish", {"passed": "1", "notes": "试车无异响"})
    assert state(first) == ("finished", "in_progress")  # the other technician's job is still open
    assert toasts(finished) == [("success", "Finished: 更换机油.")]
    assert card_ids(finished) == set()
    assert "更换机油" in finished_section(finished)
    first.refresh_from_db()
    assert (first.self_check_passed, first.self_check_notes) == (True, "试车无异响")

    # when the last job is finished, the order goes to quality check
    other = pages(other_tech)
    act(other, second, "start")
    act(other, second, "finish", {"passed": "on"})
    assert state(second) == ("finished", "quality_check")


def test_pause_without_a_reason_is_refused_with_a_toast(pages, advisor, dispatcher, tech, branch):
    _order, (job,) = dispatched_order(advisor, dispatcher, [("更换机油", tech)], branch=branch)
    client = pages(tech)
    act(client, job, "start")

    response = act(client, job, "pause", {"reason": ""})

    assert state(job) == ("in_progress", "in_progress")
    [(kind, message)] = toasts(response)
    assert kind == "error" and "Choose one of" in message


def test_finishing_without_a_passed_self_check_is_refused(pages, advisor, dispatcher, tech, branch):
    _order, (job,) = dispatched_order(advisor, dispatcher, [("更换机油", tech)], branch=branch)
    client = pages(tech)
    act(client, job, "start")

    response = act(client, job, "finish", {"notes": "没做完"})

    assert state(job) == ("in_progress", "in_progress")
    assert toasts(response) == [("error", "Finish the self-check and confirm it passed.")]
    assert card_ids(response) == {job.pk}


def test_a_technician_cannot_work_someone_elses_job(pages, advisor, dispatcher, tech, other_tech, branch):
    _order, (theirs,) = dispatched_order(advisor, dispatcher, [("四轮定位", other_tech)], branch=branch)

    response = pages(tech).post(action_url(theirs, "start"), follow=True)

    assert response.redirect_chain == [(JOBS, 302)]
    assert toasts(response) == [("error", "This job is not assigned to you.")]
    assert state(theirs) == ("assigned", "dispatched")


def test_starting_a_job_twice_is_an_error_toast(pages, advisor, dispatcher, tech, branch):
    _order, (job,) = dispatched_order(advisor, dispatcher, [("更换机油", tech)], branch=branch)
    client = pages(tech)
    act(client, job, "start")

    response = act(client, job, "start")

    [(kind, message)] = toasts(response)
    assert kind == "error" and "In progress" in message
    assert state(job) == ("in_progress", "in_progress")


def test_job_pages_answer_403_to_other_roles_404_to_other_branches_and_405_to_get(
    pages, person, advisor, dispatcher, tech, branch, other_branch, client
):
    _order, (job,) = dispatched_order(advisor, dispatcher, [("更换机油", tech)], branch=branch)
    stranger = person("technician", branch=other_branch)

    assert pages(advisor).get(JOBS).status_code == 403
    assert pages(advisor).post(action_url(job, "start")).status_code == 403
    assert pages(stranger).post(action_url(job, "start")).status_code == 404
    assert pages(tech).post(reverse("service:job_action", args=[job.pk, "explode"])).status_code == 404
    assert pages(tech).get(action_url(job, "start")).status_code == 405
    assert client.get(JOBS).status_code == 302
    assert state(job) == ("assigned", "dispatched")


def test_late_jobs_and_rework_reasons_are_shown_on_their_cards(pages, advisor, dispatcher, tech, branch):
    _order, (late,) = dispatched_order(advisor, dispatcher, [("更换机油", tech)], branch=branch, promised_in=-1)
    _order2, (rework,) = dispatched_order(advisor, dispatcher, [("喷漆", tech)], branch=branch)
    ServiceOrderLine.objects.filter(pk=rework.pk).update(rework_reason="漆面有橘皮", rework_count=1)

    page = text(pages(tech).get(JOBS))

    assert re.search(rf'<article class="job-card late" id="job-{late.pk}"', page)
    assert re.search(rf'<article class="job-card" id="job-{rework.pk}"', page)
    assert "漆面有橘皮" in page


def test_job_list_runs_a_fixed_number_of_queries_however_many_jobs(pages, advisor, dispatcher, tech, branch):
    def count_queries() -> int:
        client = pages(tech)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(JOBS).status_code == 200
        return len(queries)

    def add(count: int):
        for number in range(count):
            _order, (open_job, done_job) = dispatched_order(
                advisor, dispatcher, [(f"工时{number}", tech), (f"完工{number}", tech)], branch=branch
            )
            client = pages(tech)
            act(client, done_job, "start")
            act(client, done_job, "finish", {"passed": "1"})
            if number % 2:
                act(client, open_job, "start")

    add(2)
    few = count_queries()
    add(10)
    response = pages(tech).get(JOBS)
    many = count_queries()

    assert len(card_ids(response)) == 12 and finished_section(response).count("<li>") == 12
    assert ServiceOrder.objects.count() == 12
    assert few == many
    # session, user, roles, the employee; the open jobs; the jobs finished today; at most one more for the header
    assert 4 + 2 <= many <= 4 + 2 + 1
