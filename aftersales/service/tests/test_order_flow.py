"""A car from reception to delivery through the API, as each role in turn: the happy path and its money."""

from decimal import Decimal

import pytest

from aftersales.customers.tests.factories import VehicleFactory
from aftersales.parts.models import StockBalance
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive
from aftersales.parts.tests.factories import PartFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(person):
    return {
        role: person(role)
        for role in ("service_advisor", "parts_keeper", "dispatcher", "technician", "qc_inspector", "cashier")
    }


@pytest.fixture
def vehicle(branch):
    return VehicleFactory(customer__branch=branch)


@pytest.fixture
def filter_part(branch, admin_user):
    part = PartFactory(code="OF-1", retail_price=Decimal("58.00"))
    stock_receive(
        actor=admin_user,
        warehouse=warehouse_default_for(branch),
        lines=[ReceiptLineIn(part=part, quantity=Decimal("5"), unit_cost=Decimal("30.00"))],
    )
    return part


def act(client, order_id, action, body=None):
    return client.post(f"/api/v1/work-orders/{order_id}/actions/{action}", body or {}, content_type="application/json")


def test_a_car_goes_from_reception_to_delivery(api, cast, branch, vehicle, filter_part):
    advisor, keeper, dispatcher, tech, qc, cashier = (api(cast[r]) for r in cast)
    created = advisor.post(
        "/api/v1/work-orders",
        {
            "branch": branch.pk,
            "customer": vehicle.customer_id,
            "asset": vehicle.pk,
            "type": "maintenance",
            "mileage": 12000,
            "concerns": "保养，刹车有异响",
            "promised_at": "2030-01-01T17:00:00+08:00",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    order = created.json()
    assert order["status"] == "reception" and order["number"].startswith("WO-BJ01-")
    oid = order["id"]

    labour = advisor.post(
        f"/api/v1/work-orders/{oid}/lines",
        {"kind": "labour", "name": "更换机油机滤", "hours": "1.5", "rate": "120", "payer": "customer"},
        content_type="application/json",
    )
    assert labour.status_code == 201, labour.content
    part = advisor.post(
        f"/api/v1/work-orders/{oid}/lines",
        {"kind": "part", "part": filter_part.pk, "quantity": "1", "payer": "customer"},
        content_type="application/json",
    )
    assert part.status_code == 201 and part.json()["unit_price"] == "58.00"

    assert act(advisor, oid, "submit_estimate").json()["status"] == "awaiting_approval"
    approved = act(advisor, oid, "approve", {"method": "phone", "by": "车主本人"}).json()
    assert approved["status"] == "approved"
    assert approved["totals"]["customer_payable"] == "238.00"
    balance = StockBalance.objects.get(part=filter_part)
    assert balance.reserved == Decimal("1")

    assert act(tech, oid, "settle", {"payments": []}).status_code == 403
    assert act(keeper, oid, "issue_parts").status_code == 200
    line_id = labour.json()["id"]
    dispatched = act(
        dispatcher, oid, "dispatch", {"assignments": [{"line": line_id, "technician": cast["technician"].pk}]}
    )
    assert dispatched.json()["status"] == "dispatched"
    assert tech.post(f"/api/v1/jobs/{line_id}/actions/start", {}, content_type="application/json").status_code == 200
    finished = tech.post(
        f"/api/v1/jobs/{line_id}/actions/finish",
        {"self_check": {"passed": True, "notes": "ok"}},
        content_type="application/json",
    )
    assert finished.status_code == 200, finished.content
    assert advisor.get(f"/api/v1/work-orders/{oid}").json()["status"] == "quality_check"
    assert act(qc, oid, "qc_pass").json()["status"] == "completed"
    short = act(cashier, oid, "settle", {"payments": [{"method": "cash", "amount": "200.00"}]})
    assert short.status_code == 422
    settled = act(
        cashier,
        oid,
        "settle",
        {"payments": [{"method": "wechat", "amount": "200.00"}, {"method": "cash", "amount": "38.00"}]},
    )
    assert settled.json()["status"] == "settled", settled.content
    delivered = act(advisor, oid, "deliver").json()
    assert delivered["status"] == "delivered" and delivered["release_pass"].startswith("RP-BJ01-")
    assert act(advisor, oid, "cancel", {"reason": "x"}).status_code == 409
    actions = [e["action"] for e in delivered["events"]]
    assert actions[0] == "create" and actions[-1] == "deliver"
    balance.refresh_from_db()
    assert (balance.on_hand, balance.reserved) == (Decimal("4"), Decimal("0"))
