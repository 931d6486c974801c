"""Rework (返工: a failed quality check sends jobs back) and comebacks (返修: the same asset back within 30 days)."""

import datetime

import pytest
from django.utils import timezone

from aftersales.customers.tests.factories import VehicleFactory
from aftersales.service.choices import JobStatus, OrderStatus
from aftersales.service.models import Notification, OrderEvent, ServiceOrder
from aftersales.service.services import jobs
from aftersales.service.tests.conftest import API, act, job, post

pytestmark = pytest.mark.django_db

S = OrderStatus


# -- rework ---------------------------------------------------------------------------------------------------------------


def test_qc_fail_sends_the_named_jobs_back_for_rework(shop, person, django_capture_on_commit_callbacks):
    """Given an order in quality check with two finished jobs (by two technicians), when the inspector fails it naming
    the first job and why, then that job is assigned again with rework 1 and the reason, the other stays finished,
    the order counts one rework and is in progress again, and the technician and the advisor are told."""
    walked = shop.walk(S.QUALITY_CHECK)
    redo, kept = walked.labour
    with django_capture_on_commit_callbacks(execute=True):
        response = act(shop.api(shop.qc), walked.order.pk, "qc_fail", {"reason": "刹车仍有异响", "lines": [redo.pk]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["rework_count"]) == ("in_progress", 1)
    lines = {line["id"]: line for line in body["lines"]}
    assert (lines[redo.pk]["job_status"], lines[redo.pk]["rework_count"]) == ("assigned", 1)
    assert (lines[kept.pk]["job_status"], lines[kept.pk]["rework_count"]) == ("finished", 0)
    redo.refresh_from_db()
    assert (redo.rework_reason, redo.finished_at, redo.technician) == ("刹车仍有异响", None, shop.technician)
    event = body["events"][-1]
    assert (event["action"], event["from_status"], event["to_status"]) == ("qc_fail", "quality_check", "in_progress")
    assert event["payload"] == {"reason": "刹车仍有异响", "lines": [redo.pk]}

    to_technician = Notification.objects.get(user=shop.technician, kind="rework", order=walked.order)
    assert "刹车仍有异响" in to_technician.message and redo.name in to_technician.message
    to_advisor = Notification.objects.get(user=shop.advisor, kind="qc_failed", order=walked.order)
    assert "刹车仍有异响" in to_advisor.message


def test_finishing_the_reworked_job_returns_the_order_to_quality_check(shop):
    walked = shop.walk(S.QUALITY_CHECK)
    redo = walked.labour[0]
    act(shop.api(shop.qc), walked.order.pk, "qc_fail", {"reason": "漏油", "lines": [redo.pk]})
    technician = shop.api(shop.technician)

    assert job(technician, redo.pk, "start").json()["job_status"] == "in_progress"
    assert walked.fresh().status == S.IN_PROGRESS
    finished = job(technician, redo.pk, "finish", {"self_check": {"passed": True, "notes": "已紧固"}})
    assert finished.status_code == 200, finished.content
    assert walked.fresh().status == S.QUALITY_CHECK
    assert act(shop.api(shop.qc), walked.order.pk, "qc_pass").json()["status"] == "completed"


def test_a_second_failure_counts_again_per_job_and_per_order(shop):
    walked = shop.walk(S.QUALITY_CHECK)
    first, second = walked.labour
    qc = shop.api(shop.qc)
    act(qc, walked.order.pk, "qc_fail", {"reason": "漏油", "lines": [first.pk]})
    jobs.job_act(actor=shop.technician, line=first, action="start")
    shop.finish(first)
    again = act(qc, walked.order.pk, "qc_fail", {"reason": "仍漏油，另有异响", "lines": [first.pk, second.pk]})
    assert again.status_code == 200, again.content
    counts = {line["id"]: line["rework_count"] for line in again.json()["lines"] if line["kind"] == "labour"}
    assert counts == {first.pk: 2, second.pk: 1}
    assert again.json()["rework_count"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": ["JOB"]}, "reason"),
        ({"reason": "漏油"}, "lines"),
        ({"reason": "漏油", "lines": []}, "lines"),
    ],
)
def test_qc_fail_needs_a_reason_and_the_jobs(shop, body, field):
    walked = shop.walk(S.QUALITY_CHECK)
    body = {**body, "lines": [walked.labour[0].pk if x == "JOB" else x for x in body.get("lines", [])]}
    response = act(shop.api(shop.qc), walked.order.pk, "qc_fail", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]
    assert walked.fresh().status == S.QUALITY_CHECK


def test_qc_fail_naming_another_orders_job_is_refused_and_changes_nothing(shop):
    other = shop.walk(S.QUALITY_CHECK)
    walked = shop.walk(S.QUALITY_CHECK)
    response = act(shop.api(shop.qc), walked.order.pk, "qc_fail", {"reason": "漏油", "lines": [other.labour[0].pk]})
    assert response.status_code == 422
    assert "lines.0" in response.json()["fields"]
    assert walked.fresh().rework_count == 0
    for line in walked.labour:
        line.refresh_from_db()
        assert (line.job_status, line.rework_count) == (JobStatus.FINISHED, 0)


# -- comebacks ---------------------------------------------------------------------------------------------------------------


def delivered_days_ago(shop, days: float, *, asset=None) -> ServiceOrder:
    walked = shop.walk(S.DELIVERED)
    if asset is not None:
        ServiceOrder.objects.filter(pk=walked.order.pk).update(asset=asset, customer=asset.customer)
    ServiceOrder.objects.filter(pk=walked.order.pk).update(delivered_at=timezone.now() - datetime.timedelta(days=days))
    return walked.fresh()


def mark_comeback(shop, order, first):
    return post(shop.api(shop.advisor), f"{API}/work-orders/{order.pk}/comeback", {"of": first.pk})


def test_a_new_order_for_the_same_asset_within_30_days_is_a_comeback(shop):
    """Given an order delivered 29 days ago, when a new order for the same car is marked a comeback of it, then it
    is linked to the first and the link is on its timeline."""
    first = delivered_days_ago(shop, 29)
    again = shop.open()
    response = mark_comeback(shop, again, first)
    assert response.status_code == 200, response.content
    assert response.json()["comeback_of"] == first.pk
    assert response.json()["events"][-1]["action"] == "comeback"
    assert response.json()["events"][-1]["payload"] == {"of": first.number}
    assert list(first.comebacks.all()) == [ServiceOrder.objects.get(pk=again.pk)]


def test_after_30_days_it_is_not_a_comeback(shop):
    first = delivered_days_ago(shop, 30.01)
    again = shop.open()
    response = mark_comeback(shop, again, first)
    assert response.status_code == 422
    assert "comeback_of" in response.json()["fields"]
    assert ServiceOrder.objects.get(pk=again.pk).comeback_of is None
    assert not OrderEvent.objects.filter(order=again, action="comeback").exists()


def test_another_asset_is_not_a_comeback(shop):
    first = delivered_days_ago(shop, 3)
    other_car = VehicleFactory(customer=shop.customer, plate="京B54321")
    again = shop.open(asset=other_car)
    response = mark_comeback(shop, again, first)
    assert response.status_code == 422
    assert "comeback_of" in response.json()["fields"]


def test_an_order_not_yet_delivered_has_no_comebacks(shop):
    first = shop.walk(S.SETTLED).order
    again = shop.open()
    response = mark_comeback(shop, again, first)
    assert response.status_code == 422


def test_an_order_is_not_its_own_comeback(shop):
    first = delivered_days_ago(shop, 1)
    assert mark_comeback(shop, first, first).status_code == 422


def test_another_branchs_order_cannot_be_named(shop, other_branch, person):
    first = delivered_days_ago(shop, 1)
    outsider = person("service_advisor", branch=other_branch)
    response = post(shop.api(outsider), f"{API}/work-orders/{first.pk}/comeback", {"of": first.pk})
    assert response.status_code == 404


def test_only_who_may_change_orders_marks_a_comeback(shop):
    first = delivered_days_ago(shop, 1)
    again = shop.open()
    response = post(shop.api(shop.technician), f"{API}/work-orders/{again.pk}/comeback", {"of": first.pk})
    assert response.status_code == 403
    assert ServiceOrder.objects.get(pk=again.pk).comeback_of is None


def test_an_order_opened_before_the_delivery_is_not_its_comeback(shop):
    """A comeback is a new visit: an order opened before the first one was handed back cannot be its comeback."""
    earlier = shop.open()
    first = shop.walk(S.DELIVERED).order
    response = mark_comeback(shop, earlier, first)
    assert response.status_code == 422
    assert "comeback_of" in response.json()["fields"]
