"""The service advisor's desk: today's appointments, orders by step, those waiting for consent, the late ones —
one branch at a time, in a fixed number of queries, for those who may see orders."""

import datetime
import html as html_lib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from aftersales.customers.tests.factories import VehicleFactory
from aftersales.service.choices import OrderStatus
from aftersales.service.models import Appointment, AppointmentStatus, ServiceOrder
from aftersales.service.services.jobs import job_act
from aftersales.service.services.lines import line_add
from aftersales.service.services.orders import order_act, order_create

pytestmark = pytest.mark.django_db
DESK = reverse("service:desk")
BOXES = ("reception", "awaiting_approval", "workshop", "completed", "settled", "consent", "late")


@pytest.fixture(autouse=True)
def english(settings):
    """Pages in English (the source language): the Chinese catalogue is compiled by the lead."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def cast(person):
    return {role: person(role) for role in ("service_advisor", "dispatcher", "technician", "qc_inspector", "cashier")}


def hours_from_now(hours: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=hours)


def new_order(cast, branch, *, promised_in: float = 4, plate: str | None = None) -> ServiceOrder:
    vehicle = VehicleFactory(customer__branch=branch, **({"plate": plate} if plate else {}))
    order = order_create(
        actor=cast["service_advisor"],
        branch=branch,
        customer=vehicle.customer,
        asset=vehicle,
        type="maintenance",
        concerns="保养",
        promised_at=hours_from_now(promised_in),
    )
    line_add(actor=cast["service_advisor"], order=order, kind="labour", name="更换机油", hours="1", rate="120")
    return order


def advance(cast, order: ServiceOrder, to: str) -> ServiceOrder:
    """Walk the order through the real services up to status `to`."""
    advisor = cast["service_advisor"]
    steps = [
        ("awaiting_approval", lambda: order_act(actor=advisor, order=order, action="submit_estimate")),
        (
            "approved",
            lambda: order_act(actor=advisor, order=order, action="approve", data={"method": "phone", "by": "车主"}),
        ),
        (
            "dispatched",
            lambda: order_act(
                actor=cast["dispatcher"],
                order=order,
                action="dispatch",
                data={"assignments": [{"line": line.pk, "technician": cast["technician"].pk}]},
            ),
        ),
        ("in_progress", lambda: job_act(actor=cast["technician"], line=line, action="start")),
        (
            "quality_check",
            lambda: job_act(actor=cast["technician"], line=line, action="finish", self_check={"passed": True}),
        ),
        ("completed", lambda: order_act(actor=cast["qc_inspector"], order=order, action="qc_pass")),
        (
            "settled",
            lambda: order_act(
                actor=cast["cashier"],
                order=order,
                action="settle",
                data={"payments": [{"method": "cash", "amount": "120.00"}]},
            ),
        ),
        ("delivered", lambda: order_act(actor=advisor, order=order, action="deliver")),
    ]
    line = order.lines.get()
    for status, step in steps:
        step()
        order.refresh_from_db()
        assert order.status == status
        if status == to:
            return order
    raise AssertionError(f"no step leads to {to}")


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def box(response, key: str) -> str:
    match = re.search(rf'<section[^>]*id="desk-{key}"[^>]*>(.*?)</section>', text(response), re.S)
    assert match, f"no box {key}"
    return match.group(1)


def box_count(response, key: str) -> int:
    match = re.search(r"<h2[^>]*>[^<]*<small[^>]*>(\d+)</small>", box(response, key))
    assert match, f"no count in box {key}"
    return int(match.group(1))


def numbers_in(response, key: str) -> set[str]:
    return set(re.findall(r"WO-[A-Z0-9]+-\d+-\d+", box(response, key)))


def appointments_section(response) -> str:
    match = re.search(r'aria-labelledby="desk-appointments">(.*?)</section>', text(response), re.S)
    assert match
    return match.group(1)


def test_desk_lists_each_branch_order_under_its_step(pages, cast, branch):
    # given one order at each step of the branch, and one whose estimate gained a line after consent
    walked = [s for s in OrderStatus.values if s not in ("reception", "cancelled")]
    at = {"reception": new_order(cast, branch), **{s: advance(cast, new_order(cast, branch), s) for s in walked}}
    added_after_consent = advance(cast, new_order(cast, branch), "dispatched")
    line_add(actor=cast["service_advisor"], order=added_after_consent, kind="labour", name="更换刹车片", hours="2")
    cancelled = order_act(
        actor=cast["service_advisor"], order=new_order(cast, branch), action="cancel", data={"reason": "客户取消"}
    )

    # when the advisor opens the desk
    response = pages(cast["service_advisor"]).get(DESK)

    # then every order is in its step's box, the added line's order waits for consent, done ones are nowhere
    assert response.status_code == 200
    n = {status: order.number for status, order in at.items()}
    assert numbers_in(response, "reception") == {n["reception"]}
    assert numbers_in(response, "awaiting_approval") == {n["awaiting_approval"]}
    assert numbers_in(response, "workshop") == {
        n["approved"],
        n["dispatched"],
        n["in_progress"],
        n["quality_check"],
        added_after_consent.number,
    }
    assert numbers_in(response, "completed") == {n["completed"]}
    assert numbers_in(response, "settled") == {n["settled"]}
    assert numbers_in(response, "consent") == {n["awaiting_approval"], added_after_consent.number}
    assert numbers_in(response, "late") == set()
    page = text(response)
    assert n["delivered"] not in page and cancelled.number not in page
    assert [box_count(response, key) for key in BOXES] == [1, 1, 5, 1, 1, 2, 0]


def test_desk_shows_orders_past_their_promise_and_not_delivered_as_late(pages, cast, branch):
    # given orders promised an hour ago: one at reception, one settled, one delivered; one promised for later
    late_reception = new_order(cast, branch, promised_in=-1)
    late_settled = advance(cast, new_order(cast, branch, promised_in=-1), "settled")
    delivered = advance(cast, new_order(cast, branch, promised_in=-1), "delivered")
    on_time = new_order(cast, branch, promised_in=2)

    response = pages(cast["service_advisor"]).get(DESK)

    assert numbers_in(response, "late") == {late_reception.number, late_settled.number}
    assert box_count(response, "late") == 2
    reception = box(response, "reception")
    # the late row is marked (red) in its own step's box too; the on-time one is not
    late_row = re.search(rf'<tr class="late">(?:(?!</tr>).)*{late_reception.number}', reception, re.S)
    on_time_row = re.search(rf'<tr class="late">(?:(?!</tr>).)*{on_time.number}', reception, re.S)
    assert late_row and not on_time_row
    assert delivered.number not in text(response)


def test_desk_lists_a_few_orders_per_step_and_counts_them_all(pages, cast, branch):
    for _number in range(10):
        new_order(cast, branch)

    response = pages(cast["service_advisor"]).get(DESK)

    assert box_count(response, "reception") == 10
    assert len(numbers_in(response, "reception")) == 8
    assert "and 2 more" in box(response, "reception")


def test_desk_shows_only_todays_appointments_still_expected_or_arrived(pages, cast, branch, other_branch):
    def book(at: datetime.datetime, *, branch=branch, status=AppointmentStatus.BOOKED, request="保养"):
        vehicle = VehicleFactory(customer__branch=branch)
        return Appointment.objects.create(
            branch=branch, customer=vehicle.customer, asset=vehicle, starts_at=at, request=request, status=status
        )

    today = timezone.localdate()
    at = lambda day, hour: timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))  # noqa: E731
    expected = book(at(today, 9), request="首保")
    arrived = book(at(today, 10), status=AppointmentStatus.ARRIVED, request="换轮胎")
    book(at(today, 11), status=AppointmentStatus.CANCELLED, request="已取消的")
    book(at(today, 12), status=AppointmentStatus.NO_SHOW, request="没来的")
    book(at(today + datetime.timedelta(days=1), 9), request="明天的")
    book(at(today, 9), branch=other_branch, request="别店的")

    response = pages(cast["service_advisor"]).get(DESK)

    section = appointments_section(response)
    assert "首保" in section and "换轮胎" in section
    for other in ("已取消的", "没来的", "明天的", "别店的"):
        assert other not in section
    assert section.index("首保") < section.index("换轮胎")  # by time
    assert expected.asset.plate in section and expected.customer.name in section
    assert reverse("service:appointment_detail", args=[arrived.pk]) in section


def test_desk_never_shows_another_branchs_orders(pages, cast, branch, other_branch, person):
    own = new_order(cast, branch)
    others = {role: person(role, branch=other_branch) for role in cast}
    theirs = new_order(others, other_branch)

    response = pages(cast["service_advisor"]).get(DESK)

    assert own.number in text(response) and theirs.number not in text(response)
    assert 'name="branch"' not in text(response)  # one branch: no branch select
    # asking for the other branch is the same as asking for something that does not exist
    assert pages(cast["service_advisor"]).get(DESK, {"branch": other_branch.pk}).status_code == 404


def test_desk_lets_someone_seeing_several_branches_pick_one(pages, cast, branch, other_branch, person, region):
    own = new_order(cast, branch)
    others = {role: person(role, branch=other_branch) for role in cast}
    theirs = new_order(others, other_branch)
    manager = person("regional_manager", branch=region)

    first = pages(manager).get(DESK)
    picked = pages(manager).get(DESK, {"branch": other_branch.pk})

    assert f'<option value="{other_branch.pk}"' in text(first)
    assert own.number in text(first) and theirs.number not in text(first)  # the first branch by code: BJ01
    assert theirs.number in text(picked) and own.number not in text(picked)


def test_desk_offers_booking_and_new_orders_to_the_advisor_only(pages, cast, branch):
    advisor_page = text(pages(cast["service_advisor"]).get(DESK))
    technician_page = pages(cast["technician"]).get(DESK)

    assert reverse("service:appointment_create") in advisor_page
    assert technician_page.status_code == 200  # technicians may look at the desk ...
    assert reverse("service:appointment_create") not in text(technician_page)  # ... but book nothing


def test_desk_needs_the_view_permission(pages, person, client):
    assert pages(person("hr")).get(DESK).status_code == 403
    response = client.get(DESK)
    assert response.status_code == 302 and "login" in response["Location"]


def test_desk_runs_a_fixed_number_of_queries_however_many_orders(pages, cast, branch):
    def count_queries() -> int:
        client = pages(cast["service_advisor"])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(DESK).status_code == 200
        return len(queries)

    def add(count: int):
        for number in range(count):
            order = new_order(cast, branch, promised_in=-1 if number % 2 else 3)
            if number % 3 == 1:
                advance(cast, order, "awaiting_approval")
            elif number % 3 == 2:
                advance(cast, order, "dispatched")
        Appointment.objects.bulk_create(
            Appointment(
                branch=branch,
                customer=order.customer,
                asset=order.asset,
                starts_at=timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(9))),
                request="保养",
                advisor=cast["service_advisor"],
            )
            for _n in range(count)
        )

    add(3)
    few = count_queries()
    add(27)
    many = count_queries()

    assert ServiceOrder.objects.count() == 30
    assert few == many
    # session, user, roles, the employee with its branches, the branch tree (5); the branches, the appointments,
    # one aggregate for all the counts, one list per box; at most one more for the header's unread notifications
    assert 5 + 1 + 1 + 1 + len(BOXES) <= many <= 5 + 1 + 1 + 1 + len(BOXES) + 1
