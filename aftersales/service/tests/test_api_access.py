"""Who sees which work orders over the API: by branch (another branch's order does not exist for you), by region,
and by role (the matrix walked for reading, adding lines and an action)."""

import pytest

from aftersales.core.testing import api_client, walk_role_matrix
from aftersales.customers.tests.factories import VehicleFactory
from aftersales.org.roles import ROLES
from aftersales.service.choices import OrderStatus
from aftersales.service.models import OrderEvent, ServiceOrder, ServiceOrderLine
from aftersales.service.services.orders import order_create
from aftersales.service.tests.conftest import API, act, job, post

pytestmark = pytest.mark.django_db

S = OrderStatus


def roles_with(perm: str) -> set[str]:
    return {code for code, role in ROLES.items() if perm in role.permissions}


@pytest.fixture
def bj_order(shop):
    """A BJ01 order dispatched to BJ01's technician."""
    return shop.walk(S.DISPATCHED)


@pytest.fixture
def sh_order(other_branch, person):
    car = VehicleFactory(customer__branch=other_branch, plate="沪A88888")
    return order_create(
        actor=person("service_advisor", branch=other_branch), branch=other_branch, customer=car.customer, asset=car
    )


# -- by branch -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["service_manager", "service_advisor", "technician", "cashier", "dispatcher"])
def test_another_branchs_order_is_404_everywhere(shop, bj_order, other_branch, person, role):
    """Given a user of SH01, whatever their role, BJ01's order answers 404 on reading, every action, adding a line,
    its jobs and the comeback link, and nothing about it changes."""
    outsider = shop.api(person(role, branch=other_branch))
    order, line = bj_order.order, bj_order.labour[0]
    events = OrderEvent.objects.filter(order=order).count()

    assert outsider.get(f"{API}/work-orders/{order.pk}").status_code == 404
    for action in ("approve", "dispatch", "qc_pass", "settle", "deliver", "cancel", "issue_parts", "complete"):
        response = act(outsider, order.pk, action, {"reason": "x", "method": "phone", "by": "x", "report": "x"})
        assert response.status_code == 404, (action, response.status_code)
    added = post(outsider, f"{API}/work-orders/{order.pk}/lines", {"kind": "labour", "name": "x", "hours": "1"})
    assert added.status_code == 404
    assert post(outsider, f"{API}/work-orders/{order.pk}/lines/{line.pk}/cancel").status_code == 404
    for action in ("start", "pause", "finish"):
        assert job(outsider, line.pk, action, {"reason": "parts", "self_check": {"passed": True}}).status_code == 404
    assert post(outsider, f"{API}/work-orders/{order.pk}/comeback", {"of": order.pk}).status_code == 404

    assert bj_order.fresh().status == S.DISPATCHED
    assert OrderEvent.objects.filter(order=order).count() == events
    assert ServiceOrderLine.objects.filter(order=order).count() == 3


def test_a_branchs_list_shows_only_its_own_orders(shop, bj_order, sh_order, other_branch, person):
    sh_advisor = shop.api(person("service_advisor", branch=other_branch))
    listed = sh_advisor.get(f"{API}/work-orders").json()
    assert ([item["id"] for item in listed["items"]], listed["count"]) == ([sh_order.pk], 1)
    asked_for_bj = sh_advisor.get(f"{API}/work-orders?branch={bj_order.order.branch_id}").json()
    assert (asked_for_bj["items"], asked_for_bj["count"]) == ([], 0)
    by_plate = sh_advisor.get(f"{API}/work-orders?q=京A12345").json()
    assert by_plate["items"] == []
    by_number = shop.api(shop.advisor).get(f"{API}/work-orders?q={sh_order.number}").json()
    assert by_number["items"] == []


def test_the_regional_manager_sees_every_branch_of_the_region(shop, bj_order, sh_order, region, person):
    regional = shop.api(person("regional_manager", branch=region))
    listed = regional.get(f"{API}/work-orders").json()
    assert {item["id"] for item in listed["items"]} == {bj_order.order.pk, sh_order.pk}
    for order in (bj_order.order, sh_order):
        response = regional.get(f"{API}/work-orders/{order.pk}")
        assert response.status_code == 200
        assert response.json()["number"] == order.number
    # the region's manager may step in on an escalated order anywhere in the region
    assert act(regional, sh_order.pk, "cancel", {"reason": "客户要求"}).status_code == 200


def test_a_person_working_for_two_branches_sees_both(shop, bj_order, sh_order, other_branch, person):
    both = person("service_advisor", branch=other_branch)
    both.employee.branches.add(shop.branch)
    listed = api_client(both).get(f"{API}/work-orders").json()
    assert {item["id"] for item in listed["items"]} == {bj_order.order.pk, sh_order.pk}


def test_an_order_cannot_be_opened_in_a_branch_one_does_not_work_for(shop, other_branch):
    car = VehicleFactory(customer__branch=other_branch)
    body = {"branch": other_branch.pk, "customer": car.customer_id, "asset": car.pk, "type": "repair"}
    response = post(shop.api(shop.advisor), f"{API}/work-orders", body)
    assert response.status_code == 422
    assert not ServiceOrder.objects.exists()


# -- by role ---------------------------------------------------------------------------------------------------------------


def walk(**kwargs):
    mismatches = walk_role_matrix(client_for=api_client, anonymous=401, **kwargs)
    assert not mismatches, "\n".join(str(m) for m in mismatches)


def test_reading_the_list_by_role(shop, bj_order, branch, other_branch):
    walk(
        own_url=f"{API}/work-orders",
        other_url=None,
        allowed=roles_with("service.view_serviceorder"),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )


def test_reading_an_order_by_role(shop, bj_order, sh_order, branch, other_branch):
    walk(
        own_url=f"{API}/work-orders/{bj_order.order.pk}",
        other_url=f"{API}/work-orders/{sh_order.pk}",
        allowed=roles_with("service.view_serviceorder"),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )


def test_adding_a_line_by_role(shop, bj_order, sh_order, branch, other_branch):
    walk(
        own_url=f"{API}/work-orders/{bj_order.order.pk}/lines",
        other_url=f"{API}/work-orders/{sh_order.pk}/lines",
        allowed=roles_with("service.change_serviceorder"),
        own_branch=branch,
        other_branch=other_branch,
        ok=201,
        send=lambda client, url: post(client, url, {"kind": "labour", "name": "加装行车记录仪", "hours": "1"}),
    )


def test_cancelling_by_role(shop, branch, other_branch, sh_order):
    """Each allowed role cancels a fresh order (a cancelled one could not be cancelled twice)."""
    fresh = {"count": 0}

    def send(client, url):
        if url.endswith("/fresh/actions/cancel"):
            order = shop.walk(S.RECEPTION).order
            fresh["count"] += 1
            url = f"{API}/work-orders/{order.pk}/actions/cancel"
        return post(client, url, {"reason": "客户取消"})

    walk(
        own_url=f"{API}/work-orders/fresh/actions/cancel",
        other_url=f"{API}/work-orders/{sh_order.pk}/actions/cancel",
        allowed=roles_with("service.cancel_serviceorder"),
        own_branch=branch,
        other_branch=other_branch,
        send=send,
    )
    assert fresh["count"] == len(ROLES) + 1  # anonymous and every role, each on its own order
    assert ServiceOrder.objects.filter(status=S.CANCELLED).count() == len(roles_with("service.cancel_serviceorder"))


def test_opening_an_order_by_role(shop, branch, other_branch):
    walk(
        own_url=f"{API}/work-orders",
        other_url=None,
        allowed=roles_with("service.add_serviceorder"),
        own_branch=branch,
        other_branch=other_branch,
        ok=201,
        send=lambda client, url: post(
            client, url, {"branch": branch.pk, "customer": shop.customer.pk, "asset": shop.vehicle.pk}
        ),
    )


def test_anonymous_clients_are_401(bj_order):
    anonymous = api_client()
    assert anonymous.get(f"{API}/work-orders").status_code == 401
    assert anonymous.get(f"{API}/work-orders/{bj_order.order.pk}").status_code == 401
    assert act(anonymous, bj_order.order.pk, "cancel", {"reason": "x"}).status_code == 401
    assert job(anonymous, bj_order.labour[0].pk, "start").status_code == 401
