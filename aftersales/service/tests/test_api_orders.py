"""The work-order API as clients use it: opening an order, its lines, the list with its filters, the technician's jobs."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.customers.tests.factories import VehicleFactory
from aftersales.parts.tests.factories import PartFactory
from aftersales.service.choices import JobStatus, OrderStatus
from aftersales.service.models import OrderEvent, ServiceOrder, ServiceOrderLine
from aftersales.service.tests.conftest import API, job, post

pytestmark = pytest.mark.django_db

S = OrderStatus
D = Decimal


def new_order_body(shop, **extra) -> dict:
    return {
        "branch": shop.branch.pk,
        "customer": shop.customer.pk,
        "asset": shop.vehicle.pk,
        "type": "repair",
        "mileage": 45210,
        "concerns": "冷车启动异响",
        "promised_at": "2030-01-01T17:00:00+08:00",
        **extra,
    }


# -- opening an order ---------------------------------------------------------------------------------------------------


def test_opening_an_order_answers_201_with_its_number_and_reception(shop):
    response = post(shop.api(shop.advisor), f"{API}/work-orders", new_order_body(shop, fuel="50"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "reception"
    assert body["number"].startswith("WO-BJ01-")
    assert (body["branch"], body["customer"], body["asset"], body["advisor"]) == (
        shop.branch.pk,
        shop.customer.pk,
        shop.vehicle.pk,
        shop.advisor.pk,
    )
    assert (body["mileage"], body["concerns"], body["fuel"]) == (45210, "冷车启动异响", "50")
    assert body["promised_at"].startswith("2030-01-01T")
    assert (body["lines"], body["payments"]) == ([], [])
    assert [e["action"] for e in body["events"]] == ["create"]
    assert ServiceOrder.objects.get(pk=body["id"]).warehouse == shop.warehouse


def test_two_orders_get_two_numbers(shop):
    client = shop.api(shop.advisor)
    numbers = {post(client, f"{API}/work-orders", new_order_body(shop)).json()["number"] for _ in range(2)}
    assert len(numbers) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "teleport"}, "type"),
        ({"mileage": -1}, "mileage"),
        ({"customer": None}, "customer"),
    ],
)
def test_invalid_input_is_422_naming_the_field(shop, change, field):
    response = post(shop.api(shop.advisor), f"{API}/work-orders", new_order_body(shop, **change))
    assert response.status_code == 422
    assert field in response.json()["fields"]
    assert not ServiceOrder.objects.exists()


def test_an_asset_that_is_not_the_customers_is_refused(shop, branch):
    stranger = VehicleFactory(customer__branch=branch)
    response = post(shop.api(shop.advisor), f"{API}/work-orders", new_order_body(shop, asset=stranger.pk))
    assert response.status_code == 422
    assert "asset" in response.json()["fields"]


def test_another_branchs_customer_or_branch_is_refused(shop, other_branch):
    elsewhere = VehicleFactory(customer__branch=other_branch)
    client = shop.api(shop.advisor)
    response = post(
        client, f"{API}/work-orders", new_order_body(shop, customer=elsewhere.customer_id, asset=elsewhere.pk)
    )
    assert response.status_code == 422
    assert "customer" in response.json()["fields"]
    response = post(client, f"{API}/work-orders", new_order_body(shop, branch=other_branch.pk))
    assert response.status_code == 422
    assert "branch" in response.json()["fields"]
    assert not ServiceOrder.objects.exists()


def test_a_technician_may_not_open_orders(shop):
    assert post(shop.api(shop.technician), f"{API}/work-orders", new_order_body(shop)).status_code == 403


# -- lines ----------------------------------------------------------------------------------------------------------------


def test_labour_and_part_lines_are_added_with_their_amounts(shop):
    order = shop.open()
    client = shop.api(shop.advisor)
    labour = post(
        client,
        f"{API}/work-orders/{order.pk}/lines",
        {"kind": "labour", "name": "更换刹车片", "hours": "1.25", "rate": "99.99", "payer": "customer"},
    )
    assert labour.status_code == 201, labour.content
    assert (labour.json()["amount"], labour.json()["consent"], labour.json()["job_status"]) == (
        "124.99",
        "estimate",
        "unassigned",
    )
    part = post(
        client,
        f"{API}/work-orders/{order.pk}/lines",
        {"kind": "part", "part": shop.part.pk, "quantity": "2", "payer": "customer"},
    )
    assert part.status_code == 201, part.content
    assert (part.json()["unit_price"], part.json()["amount"], part.json()["name"]) == ("58.00", "116.00", "机油滤清器")
    priced = post(
        client,
        f"{API}/work-orders/{order.pk}/lines",
        {"kind": "part", "part": shop.part.pk, "quantity": "1", "unit_price": "50.00", "payer": "goodwill"},
    )
    assert (priced.json()["unit_price"], priced.json()["payer"]) == ("50.00", "goodwill")
    detail = client.get(f"{API}/work-orders/{order.pk}").json()
    assert [line["id"] for line in detail["lines"]] == [labour.json()["id"], part.json()["id"], priced.json()["id"]]
    assert detail["totals"]["customer_payable"] == "240.99"
    assert [e["action"] for e in detail["events"]].count("line_added") == 3


def test_a_warranty_order_bills_the_maker_at_the_warranty_price(shop):
    order = shop.open(type="warranty")
    line = post(
        shop.api(shop.advisor), f"{API}/work-orders/{order.pk}/lines", {"kind": "part", "part": shop.part.pk}
    ).json()
    assert (line["payer"], line["unit_price"], line["quantity"]) == ("warranty", "80.00", "1.00")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "labour", "name": "", "hours": "1"}, "name"),
        ({"kind": "labour", "name": "x", "hours": "-1"}, "hours"),
        ({"kind": "labour", "name": "x", "hours": "1", "rate": "1.234"}, "rate"),
        ({"kind": "labour", "name": "x", "payer": "mother-in-law"}, "payer"),
        ({"kind": "part", "quantity": "1"}, "part"),
        ({"kind": "part", "part": 999999, "quantity": "1"}, "part"),
        ({"kind": "part", "part": "PART", "quantity": "0"}, "quantity"),
        ({"kind": "paint"}, "kind"),
    ],
)
def test_an_invalid_line_is_422_naming_the_field(shop, body, field):
    order = shop.open()
    body = {key: (shop.part.pk if value == "PART" else value) for key, value in body.items()}
    response = post(shop.api(shop.advisor), f"{API}/work-orders/{order.pk}/lines", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]
    assert not ServiceOrderLine.objects.exists()


def test_an_inactive_part_cannot_be_added(shop):
    retired = PartFactory(code="OLD-1", active=False)
    order = shop.open()
    response = post(shop.api(shop.advisor), f"{API}/work-orders/{order.pk}/lines", {"kind": "part", "part": retired.pk})
    assert response.status_code == 422
    assert "part" in response.json()["fields"]


def test_a_technician_may_not_add_lines(shop):
    order = shop.open()
    response = post(
        shop.api(shop.technician), f"{API}/work-orders/{order.pk}/lines", {"kind": "labour", "name": "加装", "hours": 1}
    )
    assert response.status_code == 403


# -- the list -------------------------------------------------------------------------------------------------------------


@pytest.fixture
def listed(shop, other_branch, person):
    """Three BJ01 orders (reception, approved, delivered; the delivered one for another plate) and one of SH01."""
    reception = shop.walk(S.RECEPTION).order
    approved = shop.walk(S.APPROVED).order
    other_car = VehicleFactory(customer=shop.customer, plate="京B99999")
    delivered = shop.walk(S.DELIVERED).order
    ServiceOrder.objects.filter(pk=delivered.pk).update(asset=other_car)
    elsewhere_car = VehicleFactory(customer__branch=other_branch, plate="沪A88888")
    from aftersales.service.services.orders import order_create

    sh_order = order_create(
        actor=person("service_advisor", branch=other_branch),
        branch=other_branch,
        customer=elsewhere_car.customer,
        asset=elsewhere_car,
    )
    return {"reception": reception, "approved": approved, "delivered": delivered, "sh": sh_order}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_the_list_filters_by_status_branch_number_and_plate(shop, listed, region, person):
    manager = shop.api(person("regional_manager", branch=region))
    everything = manager.get(f"{API}/work-orders")
    assert ids(everything) == [listed[k].pk for k in ("sh", "delivered", "approved", "reception")]
    assert everything.json()["count"] == 4
    assert ids(manager.get(f"{API}/work-orders?status=approved")) == [listed["approved"].pk]
    assert ids(manager.get(f"{API}/work-orders?status=approved,reception")) == [
        listed["sh"].pk,
        listed["approved"].pk,
        listed["reception"].pk,
    ]
    assert ids(manager.get(f"{API}/work-orders?branch={listed['sh'].branch_id}")) == [listed["sh"].pk]
    assert ids(manager.get(f"{API}/work-orders?branch=&status=")) == ids(everything)
    number = listed["approved"].number
    assert ids(manager.get(f"{API}/work-orders?q={number}")) == [listed["approved"].pk]
    assert ids(manager.get(f"{API}/work-orders?q={number.lower()}")) == [listed["approved"].pk]
    assert ids(manager.get(f"{API}/work-orders?q=京B99999")) == [listed["delivered"].pk]
    assert ids(manager.get(f"{API}/work-orders?q=b99999")) == [listed["delivered"].pk]
    assert ids(manager.get(f"{API}/work-orders?q=京A12345&status=reception")) == [listed["reception"].pk]
    assert ids(manager.get(f"{API}/work-orders?q=沪A88888")) == [listed["sh"].pk]
    assert ids(manager.get(f"{API}/work-orders?q=nothing-like-this")) == []


def test_the_list_items_carry_what_a_client_shows(shop, listed):
    item = shop.api(shop.advisor).get(f"{API}/work-orders?status=approved").json()["items"][0]
    assert {"id", "number", "status", "type", "branch", "customer", "asset", "promised_at", "created_at"} <= set(item)


def test_the_list_runs_a_fixed_number_of_queries(shop, person, region):
    """The list costs the same with 3 orders as with 30 (no query per row)."""
    manager = shop.api(person("regional_manager", branch=region))
    manager.get(f"{API}/work-orders")  # the token's first use records it once

    def count(orders: int) -> int:
        while ServiceOrder.objects.count() < orders:
            shop.open()
        with CaptureQueriesContext(connection) as queries:
            response = manager.get(f"{API}/work-orders?q=京A&status=reception")
        assert len(response.json()["items"]) == orders
        return len(queries)

    # the token with its user, the roles, the employee with further branches, the branch tree, the count, the page
    assert count(3) == count(30) == 6


# -- jobs ---------------------------------------------------------------------------------------------------------------------


def test_only_the_assigned_technician_moves_a_job(shop, person):
    walked = shop.walk(S.DISPATCHED)
    line = walked.labour[0]
    other_technician = person("technician")
    refused = job(shop.api(other_technician), line.pk, "start")
    assert refused.status_code == 403
    line.refresh_from_db()
    assert line.job_status == JobStatus.ASSIGNED
    assert job(shop.api(shop.advisor), line.pk, "start").status_code == 403  # not a technician at all

    started = job(shop.api(shop.technician), line.pk, "start")
    assert started.status_code == 200, started.content
    assert started.json()["job_status"] == "in_progress"
    assert walked.fresh().status == S.IN_PROGRESS
    assert job(shop.api(other_technician), line.pk, "finish", {"self_check": {"passed": True}}).status_code == 403


def test_pausing_needs_a_reason(shop):
    walked = shop.walk(S.IN_PROGRESS)
    line = walked.labour[0]
    technician = shop.api(shop.technician)
    for body in ({}, {"reason": ""}, {"reason": "lunch"}):
        response = job(technician, line.pk, "pause", body)
        assert response.status_code == 422, body
        assert "reason" in response.json()["fields"]
    paused = job(technician, line.pk, "pause", {"reason": "parts"})
    assert paused.status_code == 200, paused.content
    assert paused.json()["job_status"] == "paused"
    event = OrderEvent.objects.filter(order=walked.order, action="job_pause").get()
    assert event.payload["reason"] == "parts"
    assert job(technician, line.pk, "start").json()["job_status"] == "in_progress"


def test_finishing_needs_a_passed_self_check(shop):
    walked = shop.walk(S.IN_PROGRESS)
    line = walked.labour[0]
    technician = shop.api(shop.technician)
    for body in ({}, {"self_check": {"passed": False, "notes": "门锁卡滞"}}):
        response = job(technician, line.pk, "finish", body)
        assert response.status_code == 422, body
        assert "self_check" in response.json()["fields"]
    line.refresh_from_db()
    assert (line.job_status, line.finished_at) == (JobStatus.IN_PROGRESS, None)

    finished = job(technician, line.pk, "finish", {"self_check": {"passed": True, "notes": "门边线接角良好"}})
    assert finished.status_code == 200, finished.content
    line.refresh_from_db()
    assert (line.job_status, line.self_check_passed, line.self_check_notes) == (
        JobStatus.FINISHED,
        True,
        "门边线接角良好",
    )
    assert walked.fresh().status == S.IN_PROGRESS  # the second job is still open


def test_the_last_job_finished_sends_the_order_to_quality_check(shop):
    walked = shop.walk(S.IN_PROGRESS)
    first, second = walked.labour
    technician = shop.api(shop.technician)
    job(technician, first.pk, "finish", {"self_check": {"passed": True}})
    job(technician, second.pk, "start")
    assert walked.fresh().status == S.IN_PROGRESS
    job(technician, second.pk, "finish", {"self_check": {"passed": True}})
    assert walked.fresh().status == S.QUALITY_CHECK


@pytest.mark.parametrize(("action", "code"), [("pause", "invalid_job_status"), ("finish", "invalid_job_status")])
def test_a_job_not_started_cannot_be_paused_or_finished(shop, action, code):
    walked = shop.walk(S.DISPATCHED)
    body = {"reason": "parts", "self_check": {"passed": True}}
    response = job(shop.api(shop.technician), walked.labour[0].pk, action, body)
    assert (response.status_code, response.json()["code"]) == (409, code)


def test_jobs_of_an_order_not_dispatched_yet_cannot_start(shop):
    walked = shop.walk(S.COMPLETED)
    response = job(shop.api(shop.technician), walked.labour[0].pk, "start")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_status")


def test_a_part_line_is_not_a_job(shop):
    walked = shop.walk(S.DISPATCHED)
    response = job(shop.api(shop.technician), walked.parts[0].pk, "start")
    assert response.status_code == 422
    assert "line" in response.json()["fields"]


def test_an_orders_page_runs_a_fixed_number_of_queries_however_many_lines_and_events(shop):
    client = shop.api(shop.advisor)
    small = shop.open()  # no lines, one event
    big = shop.walk(S.DELIVERED).order  # lines, a dozen events, a payment, a release pass
    client.get(f"{API}/work-orders/{small.pk}")  # the token's first use records it once

    def count(order) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{API}/work-orders/{order.pk}")
        assert response.status_code == 200
        return len(queries)

    assert count(small) == count(big)
