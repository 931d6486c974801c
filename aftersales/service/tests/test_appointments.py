"""Appointments: the hour's capacity, times in the past, reschedule, cancel, no-show, arrival opening the service order,
the status table walked, the day view (its rows and a fixed query count), other branches, the roles, and the API."""

import datetime
import html as html_lib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction, AuditEvent
from aftersales.core.testing import api_client, make_person, walk_role_matrix
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory
from aftersales.org.roles import ROLES
from aftersales.service.models import Appointment, AppointmentStatus, BranchServiceSettings, ServiceOrder
from aftersales.service.services import appointments as svc

A = AppointmentStatus
API = "/api/v1"
DAY = reverse("service:appointment_day")
CREATE = reverse("service:appointment_create")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def roles_with(*perms: str) -> set[str]:
    return {code for code, role in ROLES.items() if set(perms) <= role.permissions}


def at(hour: int, minute: int = 0, *, days: int = 1) -> datetime.datetime:
    """An aware local time `days` from today."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def toasts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def advisor(person):
    return person("service_advisor")


@pytest.fixture
def technician(person):
    return person("technician")


@pytest.fixture
def capacity(branch):
    """BJ01 takes two appointments an hour."""
    return BranchServiceSettings.objects.create(branch=branch, appointments_per_hour=2)


@pytest.fixture
def vehicle(branch):
    return VehicleFactory(customer__branch=branch, customer__name="张三", plate="京A12345")


@pytest.fixture
def book(advisor, branch, vehicle):
    """`book(starts_at)` → an appointment at BJ01 for the vehicle's owner, booked by the advisor."""

    def make(starts_at, *, actor=advisor, at_branch=branch, asset=vehicle, customer=None, **kwargs):
        return svc.appointment_book(
            actor=actor,
            branch=at_branch,
            customer=customer or asset.customer,
            asset=asset,
            starts_at=starts_at,
            type=kwargs.pop("type", "maintenance"),
            request=kwargs.pop("request", "保养 换机油"),
            **kwargs,
        )

    return make


def make_past(appointment, hours: int = 1) -> Appointment:
    """Let the appointment's time pass (as if the clock had moved on)."""
    Appointment.objects.filter(pk=appointment.pk).update(starts_at=timezone.now() - datetime.timedelta(hours=hours))
    appointment.refresh_from_db()
    return appointment


def field_errors(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.message_dict


# -- capacity and time ------------------------------------------------------------------------------------------------


def test_booking_is_refused_naming_starts_at_when_the_hour_is_full(capacity, book):
    book(at(10, 0))
    book(at(10, 45))

    with pytest.raises(ValidationError) as exc:
        book(at(10, 30))

    assert "starts_at" in field_errors(exc)
    assert "fully booked" in field_errors(exc)["starts_at"][0]
    assert Appointment.objects.count() == 2
    assert book(at(11, 0)).starts_at == at(11, 0)  # the next hour has room


def test_a_branch_without_settings_takes_the_default_four_an_hour(branch, book):
    settings_row = svc.branch_settings(branch)
    assert settings_row.pk is None and settings_row.appointments_per_hour == 4
    for minute in (0, 10, 20, 30):
        book(at(9, minute))

    with pytest.raises(ValidationError) as exc:
        book(at(9, 50))
    assert "starts_at" in field_errors(exc)


def test_cancelled_and_no_show_appointments_free_their_place(capacity, book, advisor):
    first, second = book(at(14, 0)), book(at(14, 30))
    svc.appointment_cancel(actor=advisor, appointment=first, reason="客户改期")

    third = book(at(14, 15))  # the cancelled place is free again

    assert third.status == A.BOOKED
    assert svc.hour_capacity_left(capacity.branch, at(14, 0)) == 0
    assert {second.pk, third.pk} == set(Appointment.objects.filter(status__in=svc.HOLDING).values_list("pk", flat=True))


def test_another_branch_full_hour_does_not_count(capacity, book, other_branch, admin_user):
    other_vehicle = VehicleFactory(customer__branch=other_branch)
    BranchServiceSettings.objects.create(branch=other_branch, appointments_per_hour=1)
    book(at(10), actor=admin_user, at_branch=other_branch, asset=other_vehicle)

    book(at(10))
    book(at(10, 5))

    assert Appointment.objects.filter(branch=capacity.branch).count() == 2


def test_a_time_in_the_past_is_refused(book):
    with pytest.raises(ValidationError) as exc:
        book(timezone.now() - datetime.timedelta(minutes=5))
    assert "passed" in field_errors(exc)["starts_at"][0]
    assert not Appointment.objects.exists()


def test_the_asset_must_be_the_customers(book, branch):
    stranger = CustomerFactory(branch=branch)

    with pytest.raises(ValidationError) as exc:
        book(at(10), customer=stranger)

    assert "asset" in field_errors(exc)


def test_a_customer_of_a_branch_the_actor_does_not_see_is_refused(book, other_branch):
    theirs = VehicleFactory(customer__branch=other_branch)

    with pytest.raises(ValidationError) as exc:
        book(at(10), asset=theirs)

    assert "customer" in field_errors(exc)


def test_a_customer_of_another_visible_branch_may_be_booked_here(branch, other_branch, vehicle):
    both = make_person(role="service_advisor", branch=other_branch)
    both.employee.branches.add(branch)
    theirs = VehicleFactory(customer__branch=other_branch)

    appointment = svc.appointment_book(
        actor=both,
        branch=branch,
        customer=theirs.customer,
        asset=theirs,
        starts_at=at(9),
        type="repair",
        request="异响",
    )

    assert appointment.branch == branch and appointment.customer == theirs.customer


def test_booking_is_audited_as_created(book, advisor):
    appointment = book(at(10), notes="客户自带机油")

    event = AuditEvent.objects.get(object_id=appointment.pk, action=AuditAction.CREATE)
    assert event.actor == advisor
    assert event.changes["notes"]["after"] == "客户自带机油"
    assert appointment.created_by == advisor


# -- reschedule -------------------------------------------------------------------------------------------------------


def test_reschedule_into_a_full_hour_is_refused(capacity, book, advisor):
    book(at(10)), book(at(10, 30))
    moving = book(at(15))

    with pytest.raises(ValidationError) as exc:
        svc.appointment_reschedule(actor=advisor, appointment=moving, starts_at=at(10, 15))

    assert "starts_at" in field_errors(exc)
    moving.refresh_from_db()
    assert moving.starts_at == at(15)


def test_reschedule_within_its_own_full_hour_is_allowed_and_audited(capacity, book, advisor):
    book(at(10))
    moving = book(at(10, 30))

    svc.appointment_reschedule(actor=advisor, appointment=moving, starts_at=at(10, 45))

    moving.refresh_from_db()
    assert moving.starts_at == at(10, 45)
    event = AuditEvent.objects.filter(object_id=moving.pk, action=AuditAction.UPDATE).get()
    assert event.changes["starts_at"]["after"] == at(10, 45).isoformat()


def test_reschedule_into_the_past_is_refused(book, advisor):
    moving = book(at(15))
    with pytest.raises(ValidationError) as exc:
        svc.appointment_reschedule(
            actor=advisor, appointment=moving, starts_at=timezone.now() - datetime.timedelta(hours=2)
        )
    assert "starts_at" in field_errors(exc)


def test_only_a_booked_appointment_can_be_rescheduled(book, advisor):
    appointment = book(at(15))
    svc.appointment_cancel(actor=advisor, appointment=appointment, reason="不来了")

    with pytest.raises(Conflict) as exc:
        svc.appointment_reschedule(actor=advisor, appointment=appointment, starts_at=at(16))
    assert exc.value.code == "appointment_status"


# -- cancel and no-show -----------------------------------------------------------------------------------------------


def test_cancel_needs_a_reason_and_records_it(book, advisor):
    appointment = book(at(11))
    with pytest.raises(ValidationError) as exc:
        svc.appointment_cancel(actor=advisor, appointment=appointment, reason="  ")
    assert "reason" in field_errors(exc)

    svc.appointment_cancel(actor=advisor, appointment=appointment, reason="客户出差")

    appointment.refresh_from_db()
    assert appointment.status == A.CANCELLED
    event = AuditEvent.objects.get(object_id=appointment.pk, action=AuditAction.STATUS)
    assert event.payload == {"from": "booked", "to": "cancelled", "reason": "客户出差"}


def test_no_show_is_refused_before_the_appointments_time(book, advisor):
    appointment = book(at(11))

    with pytest.raises(Conflict) as exc:
        svc.appointment_no_show(actor=advisor, appointment=appointment)

    assert exc.value.code == "appointment_not_due"
    appointment.refresh_from_db()
    assert appointment.status == A.BOOKED
    assert "no_show" not in svc.appointment_actions(user=advisor, appointment=appointment)


def test_no_show_after_the_time_has_passed(book, advisor):
    appointment = make_past(book(at(11)))
    assert "no_show" in svc.appointment_actions(user=advisor, appointment=appointment)

    svc.appointment_no_show(actor=advisor, appointment=appointment)

    appointment.refresh_from_db()
    assert appointment.status == A.NO_SHOW
    assert AuditEvent.objects.get(object_id=appointment.pk, action=AuditAction.STATUS).payload == {
        "from": "booked",
        "to": "no_show",
    }


@pytest.mark.parametrize("final", [A.CANCELLED, A.NO_SHOW])
def test_a_closed_appointment_moves_nowhere(book, advisor, final):
    appointment = make_past(book(at(11)))
    Appointment.objects.filter(pk=appointment.pk).update(status=final)
    appointment.refresh_from_db()
    assert svc.APPOINTMENT_TRANSITIONS[final] == frozenset()

    for move in (
        lambda: svc.appointment_cancel(actor=advisor, appointment=appointment, reason="x"),
        lambda: svc.appointment_no_show(actor=advisor, appointment=appointment),
        lambda: svc.appointment_arrive(actor=advisor, appointment=appointment),
    ):
        with pytest.raises(Conflict):
            move()
    appointment.refresh_from_db()
    assert appointment.status == final
    assert svc.appointment_actions(user=advisor, appointment=appointment) == []


def test_the_table_lets_a_booked_appointment_go_to_each_of_its_targets(book, advisor):
    assert svc.APPOINTMENT_TRANSITIONS[A.BOOKED] == {A.ARRIVED, A.CANCELLED, A.NO_SHOW}
    cancelled = book(at(9))
    svc.appointment_cancel(actor=advisor, appointment=cancelled, reason="改期")
    no_show = make_past(book(at(9, 10)))
    svc.appointment_no_show(actor=advisor, appointment=no_show)
    arrived = book(at(9, 20))
    svc.appointment_arrive(actor=advisor, appointment=arrived)

    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert statuses == {cancelled.pk: A.CANCELLED, no_show.pk: A.NO_SHOW, arrived.pk: A.ARRIVED}


def test_a_technician_may_not_book_or_change_appointments(book, technician, vehicle, branch):
    appointment = book(at(10))
    with pytest.raises(PermissionDenied):
        svc.appointment_book(
            actor=technician,
            branch=branch,
            customer=vehicle.customer,
            starts_at=at(11),
            type="repair",
            request="x",
        )
    with pytest.raises(PermissionDenied):
        svc.appointment_cancel(actor=technician, appointment=appointment, reason="x")
    with pytest.raises(PermissionDenied):
        svc.appointment_arrive(actor=technician, appointment=appointment)


# -- arrival ----------------------------------------------------------------------------------------------------------


def test_arrival_opens_a_service_order_linked_to_the_appointment(book, advisor, vehicle):
    appointment = book(at(10), type="maintenance", request="3万公里保养", notes="客户要求洗车")

    order = svc.appointment_arrive(actor=advisor, appointment=appointment, mileage=30512)

    appointment.refresh_from_db()
    assert appointment.status == A.ARRIVED
    assert appointment.order == order
    order = ServiceOrder.objects.get(pk=order.pk)
    assert (order.branch, order.customer, order.asset, order.type) == (
        appointment.branch,
        vehicle.customer,
        vehicle,
        "maintenance",
    )
    assert order.status == "reception"
    assert order.mileage == 30512
    assert "3万公里保养" in order.concerns and "客户要求洗车" in order.concerns
    event = AuditEvent.objects.get(object_id=appointment.pk, action=AuditAction.STATUS)
    assert event.payload == {"from": "booked", "to": "arrived", "order": order.number}


def test_a_refused_order_leaves_the_appointment_booked(book, advisor):
    appointment = book(at(10))

    with pytest.raises(ValidationError) as exc:
        svc.appointment_arrive(actor=advisor, appointment=appointment, mileage="很多")

    assert "mileage" in field_errors(exc)
    appointment.refresh_from_db()
    assert appointment.status == A.BOOKED and appointment.order_id is None
    assert not ServiceOrder.objects.exists()


# -- the day view -----------------------------------------------------------------------------------------------------


def day_url(branch, days: int = 1) -> str:
    return f"{DAY}?date={(timezone.localdate() + datetime.timedelta(days=days)).isoformat()}&branch={branch.pk}"


def test_the_day_view_lists_each_opening_hour_with_its_appointments_and_free_places(
    pages, advisor, capacity, book, branch
):
    book(at(9, 30), request="换刹车片")
    book(at(9, 45), request="四轮定位")
    cancelled = book(at(11, 15), request="空调不冷")
    svc.appointment_cancel(actor=advisor, appointment=cancelled, reason="改期")

    response = pages(advisor).get(day_url(branch))

    assert response.status_code == 200
    slots = response.context["slots"]
    assert [slot.start.hour for slot in slots] == list(range(8, 18))
    nine = slots[1]
    assert [a.request for a in nine.appointments] == ["换刹车片", "四轮定位"] and nine.free == 0
    eleven = slots[3]
    assert [a.status for a in eleven.appointments] == [A.CANCELLED] and eleven.free == 2
    body = text(response)
    assert "09:30" in body and "张三" in body and "京A12345" in body and "换刹车片" in body
    assert "Full" in body and "2 of 2 free" in body
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert f"date={timezone.localdate().isoformat()}" in response.context["previous_url"]
    assert f"date={(tomorrow + datetime.timedelta(days=1)).isoformat()}" in response.context["next_url"]
    assert f"{CREATE}?branch={branch.pk}&amp;date={tomorrow.isoformat()}" in response.content.decode()


def test_the_day_view_shows_an_appointment_outside_opening_hours(pages, advisor, book, branch):
    book(at(19, 30), request="夜间取车")

    response = pages(advisor).get(day_url(branch))

    hours = [slot.start.hour for slot in response.context["slots"]]
    assert hours == [*range(8, 18), 19]
    assert "outside opening hours" in text(response)


def test_the_day_view_runs_the_same_queries_however_many_appointments(
    pages, advisor, branch, admin_user, django_assert_num_queries
):
    BranchServiceSettings.objects.create(branch=branch, appointments_per_hour=10)
    client = pages(advisor)

    def add(count: int, start: int):
        for n in range(count):
            vehicle = VehicleFactory(customer__branch=branch)
            svc.appointment_book(
                actor=admin_user,
                branch=branch,
                customer=vehicle.customer,
                asset=vehicle,
                starts_at=at(8 + (start + n) % 10, (start + n) // 10 * 5),
                type="repair",
                request=f"工作{n}",
                advisor=advisor,
            )

    add(2, 0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(day_url(branch)).status_code == 200
    add(28, 2)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(day_url(branch))
    assert sum(len(slot.appointments) for slot in response.context["slots"]) == 30


def test_the_day_view_of_another_branch_is_not_found(pages, advisor, other_branch):
    assert pages(advisor).get(f"{DAY}?branch={other_branch.pk}").status_code == 404


def test_an_appointment_of_another_branch_is_not_found(pages, advisor, admin_user, other_branch):
    vehicle = VehicleFactory(customer__branch=other_branch)
    theirs = svc.appointment_book(
        actor=admin_user,
        branch=other_branch,
        customer=vehicle.customer,
        asset=vehicle,
        starts_at=at(10),
        type="repair",
        request="x",
    )
    client = pages(advisor)
    for name in ("appointment_detail", "appointment_reschedule"):
        assert client.get(reverse(f"service:{name}", args=[theirs.pk])).status_code == 404
    for name in ("appointment_cancel", "appointment_no_show", "appointment_arrive"):
        assert client.post(reverse(f"service:{name}", args=[theirs.pk]), {"reason": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == A.BOOKED


# -- booking pages ----------------------------------------------------------------------------------------------------


def test_booking_through_the_pages_finds_the_customer_by_plate(pages, advisor, vehicle, branch):
    client = pages(advisor)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    found = client.get(CREATE, {"q": "a12345", "date": tomorrow, "time": "10:00"})
    assert [c.pk for c, _query in found.context["choices"]] == [vehicle.customer.pk]

    step2 = client.get(f"{CREATE}?{found.context['choices'][0][1]}")
    form = step2.context["form"]
    assert form.initial["asset"] == vehicle.pk and form.initial["time"] == "10:00"
    assert form.initial["advisor"] == advisor.pk  # an advisor books for themselves by default
    assert list(form.fields["asset"].queryset) == [vehicle]

    response = client.post(
        CREATE,
        {
            "customer": vehicle.customer.pk,
            "branch": branch.pk,
            "asset": vehicle.pk,
            "date": tomorrow,
            "time": "10:00",
            "type": "maintenance",
            "request": "首保",
            "advisor": advisor.pk,
        },
    )

    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("service:appointment_detail", args=[appointment.pk])
    assert (appointment.starts_at, appointment.advisor, appointment.request) == (at(10), advisor, "首保")


def test_a_full_hour_is_shown_beside_the_time_field(pages, advisor, capacity, book, vehicle, branch):
    book(at(10)), book(at(10, 20))
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    response = pages(advisor).post(
        CREATE,
        {
            "customer": vehicle.customer.pk,
            "branch": branch.pk,
            "date": tomorrow,
            "time": "10:40",
            "type": "repair",
            "request": "异响",
        },
    )

    assert response.status_code == 200
    assert "fully booked" in response.context["form"].errors["time"][0]
    assert Appointment.objects.count() == 2


def test_reschedule_page_moves_the_appointment(pages, advisor, book):
    appointment = book(at(10))
    url = reverse("service:appointment_reschedule", args=[appointment.pk])
    date = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()

    response = pages(advisor).post(url, {"date": date, "time": "15:30"})

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == at(15, 30, days=2)


def test_cancel_page_needs_the_reason(pages, advisor, book):
    appointment = book(at(10))
    url = reverse("service:appointment_cancel", args=[appointment.pk])
    client = pages(advisor)

    refused = client.post(url, {"reason": ""}, follow=True)
    appointment.refresh_from_db()
    assert appointment.status == A.BOOKED
    assert any("why" in message for message in toasts(refused))

    client.post(url, {"reason": "车已卖"})
    appointment.refresh_from_db()
    assert appointment.status == A.CANCELLED


def test_no_show_page_before_the_time_says_why_and_changes_nothing(pages, advisor, book):
    appointment = book(at(10))

    response = pages(advisor).post(reverse("service:appointment_no_show", args=[appointment.pk]), follow=True)

    appointment.refresh_from_db()
    assert appointment.status == A.BOOKED
    assert any("no-show only after" in message for message in toasts(response))


def test_the_detail_page_offers_the_moves_the_table_and_the_role_allow(pages, advisor, book, person):
    appointment = book(at(10))
    page = text(pages(advisor).get(reverse("service:appointment_detail", args=[appointment.pk])))
    assert "Receive at reception" in page and "Cancel the appointment" in page and "No-show" not in page

    reader = text(pages(person("cashier")).get(reverse("service:appointment_detail", args=[appointment.pk])))
    assert "Receive at reception" not in reader and "Cancel the appointment" not in reader


def test_arrival_page_redirects_to_the_new_order(pages, advisor, book, monkeypatch):
    appointment = book(at(10))
    try:
        reverse("service:order_detail", args=[1])
    except NoReverseMatch:  # the order page is being written: its address is all this test needs
        monkeypatch.setattr(ServiceOrder, "get_absolute_url", lambda self: f"/service/orders/{self.pk}/")

    response = pages(advisor).post(
        reverse("service:appointment_arrive", args=[appointment.pk]), {"mileage": "1200", "concerns": "刹车异响"}
    )

    appointment.refresh_from_db()
    assert appointment.status == A.ARRIVED
    assert response.status_code == 302
    assert response["Location"] == appointment.order.get_absolute_url()
    assert appointment.order.mileage == 1200 and "刹车异响" in appointment.order.concerns


# -- the role matrix --------------------------------------------------------------------------------------------------


def test_who_may_open_the_booking_page(branch, other_branch):
    allowed = roles_with("service.add_appointment")
    assert {"service_advisor", "service_manager"} <= allowed and "technician" not in allowed
    mismatches = walk_role_matrix(
        own_url=CREATE,
        other_url=None,
        allowed=allowed,
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


def test_who_may_see_the_day_view(branch, other_branch):
    allowed = roles_with("service.view_appointment")
    assert "technician" in allowed and "hr" not in allowed
    mismatches = walk_role_matrix(
        own_url=DAY,
        other_url=None,
        allowed=allowed,
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


def test_who_may_see_an_appointment(branch, other_branch, admin_user, vehicle):
    theirs_vehicle = VehicleFactory(customer__branch=other_branch)
    mine, theirs = (
        svc.appointment_book(
            actor=admin_user, branch=b, customer=v.customer, asset=v, starts_at=at(10), type="repair", request="x"
        )
        for b, v in ((branch, vehicle), (other_branch, theirs_vehicle))
    )
    mismatches = walk_role_matrix(
        own_url=reverse("service:appointment_detail", args=[mine.pk]),
        other_url=reverse("service:appointment_detail", args=[theirs.pk]),
        allowed=roles_with("service.view_appointment"),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


def test_who_may_cancel_an_appointment(branch, other_branch, admin_user, vehicle):
    """Each allowed role cancels a fresh appointment (a cancelled one would answer 302 with a refusal)."""
    theirs_vehicle = VehicleFactory(customer__branch=other_branch)
    theirs = svc.appointment_book(
        actor=admin_user,
        branch=other_branch,
        customer=theirs_vehicle.customer,
        asset=theirs_vehicle,
        starts_at=at(10),
        type="repair",
        request="x",
    )
    allowed = roles_with("service.change_appointment")
    assert "service_advisor" in allowed and "technician" not in allowed
    BranchServiceSettings.objects.create(branch=branch, appointments_per_hour=100)

    def send(client, url):
        if url.endswith("/own/"):
            fresh = svc.appointment_book(
                actor=admin_user,
                branch=branch,
                customer=vehicle.customer,
                asset=vehicle,
                starts_at=at(8, Appointment.objects.count() % 60, days=3),
                type="repair",
                request="x",
            )
            url = reverse("service:appointment_cancel", args=[fresh.pk])
        return client.post(url, {"reason": "改期"})

    mismatches = walk_role_matrix(
        own_url="/own/",
        other_url=reverse("service:appointment_cancel", args=[theirs.pk]),
        allowed=allowed,
        own_branch=branch,
        other_branch=other_branch,
        send=send,
        ok=302,
    )
    assert mismatches == []
    assert Appointment.objects.filter(status=A.CANCELLED).count() == len(allowed)
    theirs.refresh_from_db()
    assert theirs.status == A.BOOKED


# -- API --------------------------------------------------------------------------------------------------------------


def booking_body(vehicle, branch, starts_at, **extra) -> dict:
    return {
        "branch": branch.pk,
        "customer": vehicle.customer_id,
        "asset": vehicle.pk,
        "starts_at": starts_at.isoformat(),
        "type": "maintenance",
        "request": "保养",
        **extra,
    }


def test_api_books_an_appointment(advisor, vehicle, branch):
    response = api_client(advisor).post(
        f"{API}/appointments", booking_body(vehicle, branch, at(10)), content_type="application/json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "booked" and body["customer"] == vehicle.customer_id and body["order"] is None
    assert Appointment.objects.get().starts_at == at(10)


def test_api_refuses_a_full_hour_with_422_naming_starts_at(advisor, vehicle, branch, capacity, book):
    book(at(10)), book(at(10, 10))

    response = api_client(advisor).post(
        f"{API}/appointments", booking_body(vehicle, branch, at(10, 50)), content_type="application/json"
    )

    assert response.status_code == 422
    assert "starts_at" in response.json()["fields"]


def test_api_refuses_booking_to_a_technician(technician, vehicle, branch):
    response = api_client(technician).post(
        f"{API}/appointments", booking_body(vehicle, branch, at(10)), content_type="application/json"
    )
    assert response.status_code == 403
    assert not Appointment.objects.exists()


def test_api_lists_a_branch_day(advisor, book, branch, admin_user, other_branch):
    first, second = book(at(10)), book(at(9))
    book(at(10, 30, days=2))  # another day
    other_vehicle = VehicleFactory(customer__branch=other_branch)
    book(at(10), actor=admin_user, at_branch=other_branch, asset=other_vehicle)  # not visible to the advisor
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    response = api_client(advisor).get(f"{API}/appointments", {"date": tomorrow, "branch": branch.pk})

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [second.pk, first.pk]
    everything = api_client(advisor).get(f"{API}/appointments", {"date": "", "branch": ""}).json()
    assert everything["count"] == 3


def action(user, appointment, name: str, body: dict | None = None):
    return api_client(user).post(
        f"{API}/appointments/{appointment.pk}/actions/{name}", body or {}, content_type="application/json"
    )


def test_api_actions(advisor, book, capacity):
    book(at(16)), book(at(16, 30))
    appointment = book(at(10))

    full = action(advisor, appointment, "reschedule", {"starts_at": at(16, 15).isoformat()})
    assert full.status_code == 422 and "starts_at" in full.json()["fields"]
    moved = action(advisor, appointment, "reschedule", {"starts_at": at(11).isoformat()})
    assert moved.status_code == 200 and moved.json()["starts_at"].startswith(at(11).date().isoformat())

    early = action(advisor, appointment, "no_show")
    assert early.status_code == 409 and early.json()["code"] == "appointment_not_due"
    assert action(advisor, appointment, "cancel", {"reason": ""}).status_code == 422
    assert action(advisor, appointment, "teleport").status_code == 404

    arrived = action(advisor, appointment, "arrive", {"mileage": 8000})
    assert arrived.status_code == 200, arrived.content
    order = ServiceOrder.objects.get()
    assert arrived.json()["status"] == "arrived" and arrived.json()["order"] == order.pk
    assert order.mileage == 8000

    again = action(advisor, appointment, "cancel", {"reason": "x"})
    assert again.status_code == 409 and again.json()["code"] == "appointment_status"


def test_api_no_show_after_the_time_and_other_branch_not_found(advisor, book, admin_user, other_branch):
    appointment = make_past(book(at(10)))
    assert action(advisor, appointment, "no_show").json()["status"] == "no_show"

    other_vehicle = VehicleFactory(customer__branch=other_branch)
    theirs = book(at(10), actor=admin_user, at_branch=other_branch, asset=other_vehicle)
    assert action(advisor, theirs, "cancel", {"reason": "x"}).status_code == 404
    assert api_client(advisor).get(f"{API}/appointments", {"branch": other_branch.pk}).json()["count"] == 0


def test_api_technician_may_read_but_not_act(technician, book):
    appointment = book(at(10))
    assert api_client(technician).get(f"{API}/appointments").json()["count"] == 1
    assert action(technician, appointment, "cancel", {"reason": "x"}).status_code == 403
