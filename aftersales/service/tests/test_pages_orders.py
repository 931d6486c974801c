"""The service-order pages: the list (search, filters, late promises, a fixed number of queries), reception, and the
order page — only the steps the user's role and the order's status allow, each posted through the page, invalid
input beside its form, a refused step as a toast naming the status, lines, the timeline, comebacks, and another
branch's order answering 404."""

import datetime
import html as html_lib
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from aftersales.core.testing import make_person
from aftersales.customers.tests.factories import DeviceFactory, VehicleFactory
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive
from aftersales.parts.tests.factories import PartFactory
from aftersales.service.choices import Consent, JobStatus, OrderStatus, OrderType
from aftersales.service.models import OrderEvent, ServiceOrder, ServiceOrderLine
from aftersales.service.services.jobs import job_act
from aftersales.service.services.lines import line_add
from aftersales.service.services.orders import order_act, order_create

pytestmark = pytest.mark.usefixtures("english")
D = Decimal


@pytest.fixture
def english(settings):
    """Pages in English (the source language): the Chinese catalogue is compiled by the lead."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def cast(person):
    roles = ("service_advisor", "dispatcher", "technician", "qc_inspector", "cashier", "parts_keeper")
    return {role: person(role, username=role.replace("_", "-")) for role in roles}


@pytest.fixture
def advisor(cast):
    return cast["service_advisor"]


@pytest.fixture
def vehicle(branch):
    return VehicleFactory(customer__branch=branch, customer__name="王先生", plate="京A12345")


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def open_order(advisor, branch, asset, **fields) -> ServiceOrder:
    fields.setdefault("type", OrderType.REPAIR)
    return order_create(actor=advisor, branch=branch, customer=asset.customer, asset=asset, **fields)


def labour(advisor, order, name="更换机油", hours="1", rate="100.00", payer="customer"):
    return line_add(actor=advisor, order=order, kind="labour", name=name, hours=hours, rate=rate, payer=payer)


def approved_order(cast, branch, asset, **fields):
    """An order with one labour line (1 h × 100.00), estimate submitted and consented."""
    order = open_order(cast["service_advisor"], branch, asset, **fields)
    line = labour(cast["service_advisor"], order)
    order_act(actor=cast["service_advisor"], order=order, action="submit_estimate")
    order_act(actor=cast["service_advisor"], order=order, action="approve", data={"method": "phone", "by": "王先生"})
    return order, line


def completed_order(cast, branch, asset):
    """An order walked to `completed`: consented, dispatched, worked, passed QC."""
    order, line = approved_order(cast, branch, asset)
    tech = cast["technician"]
    order_act(
        actor=cast["dispatcher"],
        order=order,
        action="dispatch",
        data={"assignments": [{"line": line.pk, "technician": tech.pk}]},
    )
    job_act(actor=tech, line=line, action="start")
    job_act(actor=tech, line=line, action="finish", self_check={"passed": True, "notes": "ok"})
    order_act(actor=cast["qc_inspector"], order=order, action="qc_pass")
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    return order, line


def detail(order) -> str:
    return reverse("service:order_detail", args=[order.pk])


def action_url(order, action) -> str:
    return reverse("service:order_action", args=[order.pk, action])


def offered(response) -> set[str]:
    """The steps the order page offers: the actions its forms post to."""
    return set(re.findall(r'action="/service/orders/\d+/actions/(\w+)/"', response.content.decode()))


def status_of(order) -> str:
    return ServiceOrder.objects.get(pk=order.pk).status


# -- the list -----------------------------------------------------------------------------------------------------------


def test_the_list_finds_orders_by_plate_number_vin_end_and_customer(pages, advisor, branch, vehicle):
    # given two orders, one for Mr Wang's car and one for another customer's car
    wanted = open_order(advisor, branch, vehicle)
    other = open_order(advisor, branch, VehicleFactory(customer__branch=branch, customer__name="李女士"))
    client = pages(advisor)

    # when searching by the plate, the order number, the VIN's last six and the customer's name
    for q in ("京A12345", wanted.number, vehicle.vin[-6:], "王先生"):
        response = client.get(reverse("service:order_list"), {"q": q})

        # then only Mr Wang's order is listed
        numbers = [o.number for o in response.context["page"].items]
        assert numbers == [wanted.number], q
        assert other.number not in text(response)


def test_the_live_search_answers_with_the_results_only(pages, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)
    response = pages(advisor).get(reverse("service:order_list"), {"q": "京A12345"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert order.number in text(response) and "<html" not in text(response)


def test_the_open_filter_leaves_out_settled_delivered_and_cancelled_orders(pages, cast, branch, vehicle, advisor):
    # given an order in reception, a cancelled one and a delivered one
    open_one = open_order(advisor, branch, vehicle)
    cancelled = open_order(advisor, branch, vehicle)
    order_act(actor=advisor, order=cancelled, action="cancel", data={"reason": "客户改期"})
    delivered = open_order(advisor, branch, vehicle)
    ServiceOrder.objects.filter(pk=delivered.pk).update(status=OrderStatus.DELIVERED)

    # when the list is filtered to open orders, then to cancelled ones
    client = pages(advisor)
    open_numbers = {
        o.number for o in client.get(reverse("service:order_list"), {"status": "open"}).context["page"].items
    }
    cancelled_numbers = {
        o.number for o in client.get(reverse("service:order_list"), {"status": "cancelled"}).context["page"].items
    }

    # then each shows only its own
    assert open_numbers == {open_one.number}
    assert cancelled_numbers == {cancelled.number}


def test_the_list_filters_by_type_and_advisor_and_sorts_by_promised_time(pages, person, branch, vehicle, advisor):
    other_advisor = person("service_advisor")
    now = timezone.now()
    late = open_order(
        advisor, branch, vehicle, type=OrderType.MAINTENANCE, promised_at=now + datetime.timedelta(days=2)
    )
    soon = open_order(
        advisor, branch, vehicle, type=OrderType.MAINTENANCE, promised_at=now + datetime.timedelta(days=1)
    )
    open_order(advisor, branch, vehicle, type=OrderType.REPAIR)
    theirs = open_order(
        other_advisor, branch, vehicle, type=OrderType.MAINTENANCE, promised_at=now + datetime.timedelta(days=3)
    )
    client = pages(advisor)

    by_type = client.get(reverse("service:order_list"), {"type": "maintenance", "sort": "promised_at"})
    assert [o.number for o in by_type.context["page"].items] == [soon.number, late.number, theirs.number]

    mine = client.get(reverse("service:order_list"), {"type": "maintenance", "advisor": advisor.pk})
    assert {o.number for o in mine.context["page"].items} == {soon.number, late.number}


def test_a_past_promise_is_marked_late_until_delivered(pages, advisor, branch, vehicle):
    past = timezone.now() - datetime.timedelta(hours=2)
    waiting = open_order(advisor, branch, vehicle, promised_at=past)
    handed_back = open_order(advisor, branch, vehicle, promised_at=past)
    ServiceOrder.objects.filter(pk=handed_back.pk).update(status=OrderStatus.DELIVERED)

    response = pages(advisor).get(reverse("service:order_list"))

    late = {o.number: o.late for o in response.context["page"].items}
    assert late == {waiting.number: True, handed_back.number: False}
    assert text(response).count('<span class="late">') == 1


def test_the_list_needs_the_view_permission(pages, person):
    assert pages(person("hr")).get(reverse("service:order_list")).status_code == 403


def add_orders(count, advisor, branch):
    for number in range(count):
        asset = VehicleFactory(customer__branch=branch) if number % 2 else DeviceFactory(customer__branch=branch)
        open_order(advisor, branch, asset, promised_at=timezone.now() + datetime.timedelta(hours=number - 2))


@pytest.mark.parametrize(
    "query, htmx",
    [("", False), ("?q=京A&status=open&type=repair&sort=-promised_at", False), ("?q=京A", True)],
    ids=["plain", "searched, filtered and sorted", "live search"],
)
def test_the_list_runs_the_same_queries_for_3_orders_and_for_60(pages, advisor, branch, query, htmx):
    # given a few orders of customers with cars and phones
    client = pages(advisor)
    headers = {"HX-Request": "true"} if htmx else {}
    url = reverse("service:order_list") + query
    add_orders(3, advisor, branch)
    with CaptureQueriesContext(connection) as few:
        first = client.get(url, headers=headers)

    # when there are more than a page of them
    add_orders(57, advisor, branch)
    with CaptureQueriesContext(connection) as many:
        second = client.get(url, headers=headers)

    # then the page runs the same number of queries, a small one, and shows a full page
    assert first.status_code == second.status_code == 200
    # the session, the user, their roles, their employee with further branches, the branch tree (5); the capped
    # count and the page of orders (with customer, asset, branch, advisor and the advisor's name); the filter
    # bar's branches and advisors (not for the live search's partial answer)
    assert len(many) == len(few) <= (7 if htmx else 9), [q["sql"] for q in many.captured_queries]
    if not query:
        assert len(second.context["page"].items) == 20 and second.context["page"].has_next


# -- reception ----------------------------------------------------------------------------------------------------------


def reception_data(vehicle, branch, **changes):
    data = {
        "customer": vehicle.customer_id,
        "branch": branch.pk,
        "asset": vehicle.pk,
        "type": "repair",
        "mileage": "30500",
        "fuel": "50",
        "concerns": "刹车时有异响",
        "promised_at": "2030-05-01T17:30",
        "damage_2": "划痕",
        "damage_1": "凹陷",
        "valuables_acknowledged": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_reception_opens_an_order_with_its_walkaround_and_goes_to_its_page(pages, advisor, branch, vehicle):
    response = pages(advisor).post(reverse("service:order_create"), reception_data(vehicle, branch))

    order = ServiceOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(order)
    assert (order.status, order.customer, order.asset, order.advisor) == (
        "reception",
        vehicle.customer,
        vehicle,
        advisor,
    )
    assert (order.mileage, order.fuel, order.concerns, order.valuables_acknowledged) == (
        30500,
        "50",
        "刹车时有异响",
        True,
    )
    assert order.walkaround == {
        "items": [{"area": "Rear bumper", "damage": "凹陷"}, {"area": "Left front door", "damage": "划痕"}]
    }
    assert timezone.localtime(order.promised_at).strftime("%Y-%m-%d %H:%M") == "2030-05-01 17:30"


def test_reception_without_the_valuables_acknowledgement_shows_it_beside_the_checkbox(pages, advisor, branch, vehicle):
    response = pages(advisor).post(
        reverse("service:order_create"), reception_data(vehicle, branch, valuables_acknowledged=None)
    )

    assert response.status_code == 200 and not ServiceOrder.objects.exists()
    assert response.context["form"].errors == {
        "valuables_acknowledged": ["Remind the customer to take their valuables out of the vehicle, and tick this."]
    }
    assert 'id="id_valuables_acknowledged_error"' in text(response)


def test_reception_of_a_device_needs_no_valuables_acknowledgement(pages, advisor, branch):
    phone = DeviceFactory(customer__branch=branch)
    data = reception_data(phone, branch, valuables_acknowledged=None, fuel="")
    response = pages(advisor).post(reverse("service:order_create"), data)
    assert response.status_code == 302 and ServiceOrder.objects.get().asset == phone


def test_an_inspection_without_an_assignee_shows_the_service_error_beside_the_field(pages, advisor, branch, vehicle):
    data = reception_data(vehicle, branch, type="inspection", valuables_acknowledged=None)
    response = pages(advisor).post(reverse("service:order_create"), data)
    assert response.status_code == 200 and not ServiceOrder.objects.exists()
    assert response.context["form"].errors["assignee"] == ["Name who makes the visit."]


def test_an_inspection_with_an_assignee_starts_dispatched(pages, advisor, person, branch, vehicle):
    inspector = person("install_supervisor")
    data = reception_data(vehicle, branch, type="inspection", assignee=inspector.pk, response_due_at="2030-05-02T09:00")
    response = pages(advisor).post(reverse("service:order_create"), data)
    order = ServiceOrder.objects.get()
    assert response.status_code == 302
    assert (order.status, order.assignee, order.response_due_at is not None) == ("dispatched", inspector, True)


def test_reception_finds_the_customer_by_plate_and_prefills_customer_and_asset(pages, advisor, branch, vehicle):
    client = pages(advisor)
    found = client.get(reverse("service:order_create"), {"q": "京A12345"}, headers={"HX-Request": "true"})
    assert (
        "王先生" in text(found) and f"?customer={vehicle.customer_id}&amp;asset={vehicle.pk}" in found.content.decode()
    )

    VehicleFactory(customer=vehicle.customer)  # a second car: the asset is not obvious without the query
    form = client.get(reverse("service:order_create"), {"customer": vehicle.customer_id, "asset": vehicle.pk})
    assert form.context["form"].initial["asset"] == vehicle.pk
    assert form.context["form"].initial["customer"] == vehicle.customer_id


def test_reception_of_another_branchs_customer_is_404(pages, advisor, other_branch):
    stranger = VehicleFactory(customer__branch=other_branch)
    response = pages(advisor).get(reverse("service:order_create"), {"customer": stranger.customer_id})
    assert response.status_code == 404


# -- the steps on the order page ------------------------------------------------------------------------------------------


def test_the_advisor_sees_submit_estimate_and_cancel_in_reception(pages, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)
    assert offered(pages(advisor).get(detail(order))) == {"submit_estimate", "cancel"}


@pytest.mark.parametrize("role", ["cashier", "technician", "dispatcher", "qc_inspector"])
def test_roles_without_a_step_in_reception_see_no_buttons(pages, cast, role, branch, vehicle):
    order = open_order(cast["service_advisor"], branch, vehicle)
    response = pages(cast[role]).get(detail(order))
    assert response.status_code == 200 and offered(response) == set()
    assert "Nothing for you to do on this order now." in text(response)


def test_the_cashier_sees_settle_only_once_the_order_is_completed(pages, cast, branch, vehicle):
    order, _line = approved_order(cast, branch, vehicle)
    assert offered(pages(cast["cashier"]).get(detail(order))) == set()

    completed, _line = completed_order(cast, branch, VehicleFactory(customer__branch=branch))
    response = pages(cast["cashier"]).get(detail(completed))
    assert offered(response) == {"settle"}
    settle = response.context["actions"][0]["form"]
    assert settle.initial["amount_1"] == D("100.00")


def test_the_technician_sees_no_step_even_while_working(pages, cast, branch, vehicle):
    order, line = approved_order(cast, branch, vehicle)
    order_act(
        actor=cast["dispatcher"],
        order=order,
        action="dispatch",
        data={"assignments": [{"line": line.pk, "technician": cast["technician"].pk}]},
    )
    job_act(actor=cast["technician"], line=line, action="start")
    assert offered(pages(cast["technician"]).get(detail(order))) == set()


def test_the_dispatcher_sees_dispatch_once_approved_and_the_keeper_issue_parts_only_with_parts(
    pages, cast, branch, vehicle, admin_user
):
    order, _line = approved_order(cast, branch, vehicle)
    assert offered(pages(cast["dispatcher"]).get(detail(order))) == {"dispatch"}
    assert offered(pages(cast["parts_keeper"]).get(detail(order))) == set()

    part = PartFactory(code="OF-1", retail_price=D("58.00"))
    stock_receive(
        actor=admin_user,
        warehouse=warehouse_default_for(branch),
        lines=[ReceiptLineIn(part=part, quantity=D("5"), unit_cost=D("30.00"))],
    )
    line_add(actor=cast["service_advisor"], order=order, kind="part", part=part, quantity="1", payer="customer")
    # an added line awaits consent: the advisor is offered to record it, the keeper has nothing to issue yet
    assert "approve" in offered(pages(cast["service_advisor"]).get(detail(order)))
    assert offered(pages(cast["parts_keeper"]).get(detail(order))) == set()
    order_act(actor=cast["service_advisor"], order=order, action="approve", data={"method": "wechat", "by": "王先生"})
    assert offered(pages(cast["parts_keeper"]).get(detail(order))) == {"issue_parts"}


def test_submitting_the_estimate_and_recording_consent_through_the_page_move_the_status(
    pages, advisor, branch, vehicle
):
    order = open_order(advisor, branch, vehicle)
    labour(advisor, order)
    client = pages(advisor)

    submitted = client.post(action_url(order, "submit_estimate"), follow=True)
    assert status_of(order) == "awaiting_approval"
    assert "Submit estimate: done. The order is Awaiting approval." in text(submitted)
    assert "approve" in offered(submitted)

    client.post(action_url(order, "approve"), {"approve-method": "phone", "approve-by": "王先生"})
    assert status_of(order) == "approved"
    consent = order.consents.get()
    assert (consent.method, consent.by, consent.total) == ("phone", "王先生", D("100.00"))


def test_invalid_step_input_comes_back_beside_the_form(pages, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)
    labour(advisor, order)
    order_act(actor=advisor, order=order, action="submit_estimate")

    response = pages(advisor).post(action_url(order, "approve"), {"approve-method": "phone", "approve-by": ""})

    assert response.status_code == 200 and status_of(order) == "awaiting_approval"
    approve = next(a for a in response.context["actions"] if a["name"] == "approve")
    assert approve["open"] and approve["form"].errors == {"by": ["This field is required."]}
    assert 'id="id_approve-by_error"' in text(response)


def test_a_service_validation_error_shows_in_the_steps_panel(pages, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)  # no lines: the estimate can't be sent

    response = pages(advisor).post(action_url(order, "submit_estimate"))

    assert response.status_code == 200 and status_of(order) == "reception"
    submit = next(a for a in response.context["actions"] if a["name"] == "submit_estimate")
    assert submit["form"].non_field_errors() == ["Add the estimate's lines first."]
    assert "Add the estimate's lines first." in text(response)


def test_a_step_the_status_refuses_shows_a_toast_naming_the_status(pages, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)

    response = pages(advisor).post(action_url(order, "deliver"), follow=True)

    assert response.redirect_chain == [(detail(order), 302)]
    assert "The order is Reception: “Deliver” is not possible now." in text(response)
    assert status_of(order) == "reception"


def test_a_role_without_the_step_gets_403(pages, cast, branch, vehicle):
    order, _line = completed_order(cast, branch, vehicle)
    response = pages(cast["technician"]).post(
        action_url(order, "settle"), {"settle-method_1": "cash", "settle-amount_1": "100"}
    )
    assert response.status_code == 403 and status_of(order) == "completed"


def test_an_unknown_step_is_404(pages, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)
    assert pages(advisor).post(action_url(order, "teleport")).status_code == 404


def test_dispatching_through_the_page_assigns_the_technician(pages, cast, branch, vehicle):
    order, line = approved_order(cast, branch, vehicle)
    page = pages(cast["dispatcher"]).get(detail(order))
    choices = dict(page.context["actions"][0]["form"].fields[f"line_{line.pk}"].choices)
    assert choices == {"": "—", str(cast["technician"].pk): "technician"}

    pages(cast["dispatcher"]).post(action_url(order, "dispatch"), {f"dispatch-line_{line.pk}": cast["technician"].pk})

    line.refresh_from_db()
    assert (status_of(order), line.technician, line.job_status) == ("dispatched", cast["technician"], "assigned")


def test_qc_fail_through_the_page_sends_the_job_back(pages, cast, branch, vehicle):
    order, line = completed_order(cast, branch, vehicle)
    ServiceOrder.objects.filter(pk=order.pk).update(status=OrderStatus.QUALITY_CHECK)
    client = pages(cast["qc_inspector"])
    assert offered(client.get(detail(order))) == {"qc_pass", "qc_fail"}

    missing = client.post(action_url(order, "qc_fail"), {"qc_fail-reason": "异响仍在"})
    assert missing.status_code == 200 and "lines" in next(
        a["form"].errors for a in missing.context["actions"] if a["name"] == "qc_fail"
    )
    client.post(action_url(order, "qc_fail"), {"qc_fail-reason": "异响仍在", "qc_fail-lines": [line.pk]})

    line.refresh_from_db()
    assert (status_of(order), line.job_status, line.rework_count) == ("in_progress", JobStatus.ASSIGNED, 1)


def test_settling_through_the_page_needs_payments_that_add_up(pages, cast, branch, vehicle):
    order, _line = completed_order(cast, branch, vehicle)
    client = pages(cast["cashier"])

    short = client.post(action_url(order, "settle"), {"settle-method_1": "cash", "settle-amount_1": "60.00"})
    assert short.status_code == 200 and status_of(order) == "completed"
    settle = next(a for a in short.context["actions"] if a["name"] == "settle")
    assert settle["form"].non_field_errors() == ["Payments add up to 60.00; the customer pays 100.00."]

    no_method = client.post(action_url(order, "settle"), {"settle-amount_1": "100.00"})
    assert next(a for a in no_method.context["actions"] if a["name"] == "settle")["form"].errors == {
        "method_1": ["Choose how this amount was paid."]
    }

    client.post(
        action_url(order, "settle"),
        {
            "settle-method_1": "wechat",
            "settle-amount_1": "60.00",
            "settle-method_2": "cash",
            "settle-amount_2": "40.00",
        },
    )
    assert status_of(order) == "settled"
    assert sorted((p.method, p.amount) for p in order.payments.all()) == [("cash", D("40.00")), ("wechat", D("60.00"))]


def test_the_assignee_completes_a_visit_with_a_report_through_the_page(pages, advisor, person, branch, vehicle):
    inspector = person("install_supervisor")
    order = open_order(advisor, branch, vehicle, type=OrderType.INSPECTION, assignee=inspector)
    assert "complete" not in offered(pages(advisor).get(detail(order)))
    client = pages(inspector)
    assert offered(client.get(detail(order))) == {"complete"}

    client.post(action_url(order, "complete"), {"complete-report": "安装质量合格"})

    order.refresh_from_db()
    assert (order.status, order.report) == ("completed", "安装质量合格")


def test_cancelling_through_the_page_needs_a_reason(pages, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)
    client = pages(advisor)
    assert client.post(action_url(order, "cancel"), {"cancel-reason": ""}).status_code == 200
    assert status_of(order) == "reception"
    client.post(action_url(order, "cancel"), {"cancel-reason": "客户改期"})
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "客户改期")


# -- lines -------------------------------------------------------------------------------------------------------------


def test_adding_labour_and_a_part_by_code_through_the_page(pages, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)
    PartFactory(code="BP-001", name="前刹车片", retail_price=D("80.00"), barcode="6901234567890")
    client = pages(advisor)

    client.post(
        reverse("service:order_line_add", args=[order.pk, "labour"]),
        {"labour-name": "更换刹车片", "labour-hours": "1.5", "labour-rate": "120", "labour-payer": "customer"},
    )
    client.post(
        reverse("service:order_line_add", args=[order.pk, "part"]),
        {"part-part": "6901234567890", "part-quantity": "2", "part-payer": "customer"},
    )

    lines = list(order.lines.order_by("id").values_list("kind", "name", "amount", "consent"))
    assert lines == [
        ("labour", "更换刹车片", D("180.00"), "estimate"),
        ("part", "前刹车片", D("160.00"), "estimate"),
    ]
    page = text(client.get(detail(order)))
    assert "¥340.00" in page and "BP-001" in page


def test_an_unknown_part_code_is_shown_beside_the_part_field(pages, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)
    response = pages(advisor).post(
        reverse("service:order_line_add", args=[order.pk, "part"]),
        {"part-part": "NOPE", "part-quantity": "1", "part-payer": "customer"},
    )
    assert response.status_code == 200 and not order.lines.exists()
    assert response.context["line_forms"]["part"].errors["part"] == [
        "No part has the code, OEM number or barcode “NOPE”."
    ]


def test_a_line_added_after_consent_is_pending_and_highlighted(pages, cast, branch, vehicle):
    order, _line = approved_order(cast, branch, vehicle)
    client = pages(cast["service_advisor"])
    client.post(
        reverse("service:order_line_add", args=[order.pk, "labour"]),
        {"labour-name": "加装行车记录仪", "labour-hours": "1", "labour-rate": "200", "labour-payer": "customer"},
    )
    added = order.lines.get(name="加装行车记录仪")
    assert added.consent == Consent.PENDING

    page = client.get(detail(order))
    assert page.context["totals"].pending == D("200.00")
    assert re.search(r'<tr class="line-pending"[^>]*>\s*<td[^>]*>Labour</td>\s*<td[^>]*>加装行车记录仪', text(page))


def test_cancelling_a_line_through_the_page(pages, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)
    line = labour(advisor, order)
    client = pages(advisor)
    assert f"/service/orders/{order.pk}/lines/{line.pk}/cancel/" in text(client.get(detail(order)))

    client.post(reverse("service:order_line_cancel", args=[order.pk, line.pk]), {"reason": "客户不做"})

    line.refresh_from_db()
    assert line.consent == Consent.CANCELLED
    assert f"/service/orders/{order.pk}/lines/{line.pk}/cancel/" not in text(client.get(detail(order)))


def test_lines_are_not_editable_for_roles_without_the_change_permission(pages, cast, branch, vehicle):
    order = open_order(cast["service_advisor"], branch, vehicle)
    labour(cast["service_advisor"], order)
    response = pages(cast["cashier"]).get(detail(order))
    assert response.context["line_forms"] == {} and "/cancel/" not in text(response)
    assert (
        pages(cast["cashier"])
        .post(reverse("service:order_line_add", args=[order.pk, "labour"]), {"labour-name": "x"})
        .status_code
        == 403
    )


# -- the page itself -----------------------------------------------------------------------------------------------------


def test_the_page_shows_the_header_asset_history_totals_and_timeline(pages, cast, branch, vehicle):
    # given an order delivered a week ago, and a new one for the same car
    earlier, _line = completed_order(cast, branch, vehicle)
    order_act(
        actor=cast["cashier"],
        order=earlier,
        action="settle",
        data={"payments": [{"method": "wechat", "amount": "60.00"}, {"method": "cash", "amount": "40.00"}]},
    )
    order_act(actor=cast["service_advisor"], order=earlier, action="deliver")
    earlier.refresh_from_db()

    response = pages(cast["service_advisor"]).get(detail(earlier))
    page = text(response)
    assert reverse("customers:customer_detail", args=[vehicle.customer_id]) in page
    assert reverse("customers:asset_detail", args=[vehicle.pk]) in page
    assert reverse("service:print_release_pass", args=[earlier.pk]) in page
    assert reverse("service:print_acceptance", args=[earlier.pk]) not in page
    timeline = response.context["timeline"]
    labels = [str(entry["label"]) for entry in timeline]
    assert labels[0] == "Order opened" and labels[-1] == "Deliver"
    facts = {str(entry["label"]): dict(entry["facts"]) for entry in timeline}
    assert facts["Record consent"]["How"] == "Phone" and facts["Record consent"]["Who consented"] == "王先生"
    assert facts["Settle"]["Payments"] == "WeChat Pay ¥60.00、Cash ¥40.00"
    assert facts["Deliver"]["Release pass"] == earlier.release_pass.number
    assert facts["Dispatch"]["Assignments"] == "更换机油 → technician"
    deliver = timeline[-1]
    assert (deliver["from"], deliver["to"]) == ("Settled", "Delivered")

    newer = open_order(cast["service_advisor"], branch, vehicle)
    newer_page = pages(cast["service_advisor"]).get(detail(newer))
    assert [o.number for o in newer_page.context["previous_orders"]] == [earlier.number]


def test_an_order_is_marked_a_comeback_of_an_earlier_delivered_one(pages, cast, branch, vehicle):
    earlier = open_order(cast["service_advisor"], branch, vehicle)
    ServiceOrder.objects.filter(pk=earlier.pk).update(
        status=OrderStatus.DELIVERED, delivered_at=timezone.now() - datetime.timedelta(days=10)
    )
    newer = open_order(cast["service_advisor"], branch, vehicle)
    client = pages(cast["service_advisor"])
    assert client.get(detail(newer)).context["comeback_form"] is not None

    response = client.post(reverse("service:order_comeback", args=[newer.pk]), {"comeback-first": earlier.pk})

    newer.refresh_from_db()
    assert response.status_code == 302 and newer.comeback_of == earlier
    assert client.get(detail(newer)).context["comeback_form"] is None


def test_an_order_delivered_too_long_ago_is_not_offered_as_a_comeback(pages, cast, branch, vehicle):
    earlier = open_order(cast["service_advisor"], branch, vehicle)
    ServiceOrder.objects.filter(pk=earlier.pk).update(
        status=OrderStatus.DELIVERED, delivered_at=timezone.now() - datetime.timedelta(days=31)
    )
    newer = open_order(cast["service_advisor"], branch, vehicle)
    client = pages(cast["service_advisor"])
    assert client.get(detail(newer)).context["comeback_form"] is None
    response = client.post(reverse("service:order_comeback", args=[newer.pk]), {"comeback-first": earlier.pk})
    assert response.status_code == 200 and "first" in response.context["comeback_form"].errors
    newer.refresh_from_db()
    assert newer.comeback_of is None


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_order_page_runs_the_same_queries_as_lines_and_events_grow(pages, cast, branch, vehicle):
    # given an approved order with one job, seen by the advisor (line forms, consent) and by the dispatcher
    order, _line = approved_order(cast, branch, vehicle)
    advisor, dispatcher = pages(cast["service_advisor"]), pages(cast["dispatcher"])
    few = (queries_of(advisor, detail(order)), queries_of(dispatcher, detail(order)))

    # when twelve more lines (jobs awaiting consent and dispatched ones) and their events are added
    for number in range(6):
        labour(cast["service_advisor"], order, name=f"作业{number}")
    order_act(actor=cast["service_advisor"], order=order, action="approve", data={"method": "phone", "by": "王先生"})
    for number in range(6):
        labour(cast["service_advisor"], order, name=f"增项{number}")
    jobs = order.lines.filter(consent=Consent.APPROVED)
    order_act(
        actor=cast["dispatcher"],
        order=order,
        action="dispatch",
        data={"assignments": [{"line": job.pk, "technician": cast["technician"].pk} for job in jobs]},
    )
    assert order.lines.count() == 13 and OrderEvent.objects.filter(order=order).count() >= 17
    many = (queries_of(advisor, detail(order)), queries_of(dispatcher, detail(order)))

    # then each page runs the same number of queries: the 5 of a signed-in page of branch data, the order with
    # its lines, events, payments and consents (5), the advisor's name, the asset's earlier orders, and the
    # comeback candidates (advisor) or the branch's technicians (dispatcher)
    assert many == few
    assert max(many) <= 15  # + the photos and the order's audits


# -- access --------------------------------------------------------------------------------------------------------------


def test_another_branchs_order_is_404_on_every_page(pages, person, other_branch, branch):
    stranger_advisor = person("service_advisor", branch=other_branch)
    order = open_order(stranger_advisor, other_branch, VehicleFactory(customer__branch=other_branch))
    line = labour(stranger_advisor, order)
    client = pages(person("service_manager"))

    assert client.get(detail(order)).status_code == 404
    assert client.post(action_url(order, "submit_estimate")).status_code == 404
    assert client.post(reverse("service:order_line_add", args=[order.pk, "labour"]), {}).status_code == 404
    assert client.post(reverse("service:order_line_cancel", args=[order.pk, line.pk])).status_code == 404
    assert client.post(reverse("service:order_comeback", args=[order.pk])).status_code == 404
    assert status_of(order) == "reception" and ServiceOrderLine.objects.get(pk=line.pk).consent == "estimate"


def test_a_line_of_another_order_is_404(pages, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)
    other = open_order(advisor, branch, vehicle)
    line = labour(advisor, other)
    response = pages(advisor).post(reverse("service:order_line_cancel", args=[order.pk, line.pk]))
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)
    for url in (reverse("service:order_list"), reverse("service:order_create"), detail(order)):
        assert client.get(url).status_code == 302


def test_a_regional_manager_may_step_in_on_an_order_of_the_region(pages, region, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)
    viewer = pages(make_person(role="regional_manager", branch=region))
    response = viewer.get(detail(order))
    assert response.status_code == 200 and offered(response) == {"submit_estimate", "cancel"}


def test_a_finance_clerk_reads_orders_but_is_offered_no_step(pages, person, advisor, branch, vehicle):
    order = open_order(advisor, branch, vehicle)
    response = pages(person("finance")).get(detail(order))
    assert response.status_code == 200 and offered(response) == set() and response.context["line_forms"] == {}


# -- reception of a booked customer -------------------------------------------------------------------------------------


def test_receiving_a_booked_customer_opens_the_order_through_the_reception_form_and_marks_the_arrival(
    pages, advisor, branch, vehicle
):
    from aftersales.service.models import Appointment, AppointmentStatus

    booked = Appointment.objects.create(
        branch=branch,
        customer=vehicle.customer,
        asset=vehicle,
        starts_at=timezone.now() + datetime.timedelta(hours=1),
        type="maintenance",
        request="保养",
    )
    client = pages(advisor)
    form_url = f"{reverse('service:order_create')}?appointment={booked.pk}&customer={vehicle.customer_id}"
    assert f'name="appointment" value="{booked.pk}"' in client.get(form_url).content.decode()

    response = client.post(
        reverse("service:order_create"),
        {**reception_data(vehicle, branch, type="maintenance"), "appointment": booked.pk},
    )

    order = ServiceOrder.objects.get()
    booked.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == detail(order)
    assert (booked.status, booked.order) == (AppointmentStatus.ARRIVED, order)
    assert order.walkaround["items"] and order.valuables_acknowledged and order.fuel == "50"
    assert "保养" in order.concerns and "刹车时有异响" in order.concerns


def test_a_booked_customer_still_needs_the_valuables_reminder(pages, advisor, branch, vehicle):
    from aftersales.service.models import Appointment, AppointmentStatus

    booked = Appointment.objects.create(
        branch=branch, customer=vehicle.customer, asset=vehicle, starts_at=timezone.now(), type="repair", request="异响"
    )
    data = {**reception_data(vehicle, branch, valuables_acknowledged=None), "appointment": booked.pk}

    response = pages(advisor).post(reverse("service:order_create"), data)

    assert response.status_code == 200 and not ServiceOrder.objects.exists()
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED
