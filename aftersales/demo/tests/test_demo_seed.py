"""The demo dealership: what `demo_seed()` creates, that a second run changes nothing, and that people can sign in."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from aftersales.core.validators import vin_check_digit_ok
from aftersales.customers import selectors
from aftersales.customers.models import Asset, Customer
from aftersales.demo.parts import demo_parts
from aftersales.demo.seed import ADMIN_USERNAME, CUSTOMERS, DEMO_PASSWORD, PEOPLE, demo_seed, demo_signins
from aftersales.org.choices import UMBRELLA_KINDS, BranchKind
from aftersales.org.models import Branch, Employee, User
from aftersales.org.roles import ROLES


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """Seed once for the module (it takes seconds) inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_seed()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db):
    return seeded_once


def row_counts() -> dict[str, int]:
    """Rows of every table of the project's apps (and the users and groups)."""
    labels = {"core", "org", "customers", "auth"}
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in labels and not model._meta.proxy
    }


def test_demo_seed_creates_two_branches_under_a_region(seeded):
    region = Branch.objects.get(kind=BranchKind.REGION)
    branches = Branch.objects.filter(parent=region)

    assert branches.count() == 2
    assert all(b.kind not in UMBRELLA_KINDS for b in branches)
    assert region.parent.kind == BranchKind.HEAD_OFFICE


def test_demo_seed_has_someone_in_every_role(seeded):
    held = {
        role
        for user in User.objects.filter(employee__isnull=False)
        for role in user.groups.values_list("name", flat=True)
    }

    assert held >= set(ROLES)
    assert seeded["people"] == len(PEOPLE)
    assert Employee.objects.count() == len(PEOPLE)


def test_demo_seed_has_200_customers_each_with_a_vehicle_whose_vin_is_right(seeded):
    stores = Branch.objects.exclude(kind__in=UMBRELLA_KINDS)

    assert seeded["customers"] == CUSTOMERS
    assert Customer.objects.count() == CUSTOMERS
    assert not Customer.objects.filter(assets__isnull=True).exists()
    vins = list(Asset.objects.filter(kind="vehicle").values_list("vin", flat=True))
    assert len(vins) >= CUSTOMERS
    assert [vin for vin in vins if not vin_check_digit_ok(vin)] == []
    assert set(Customer.objects.values_list("branch", flat=True)) == set(stores.values_list("pk", flat=True))


def test_demo_customers_are_searchable_by_their_plates(seeded):
    admin = User.objects.get(username=ADMIN_USERNAME)
    vehicle = Asset.objects.filter(kind="vehicle").order_by("id").last()

    assert list(selectors.customer_list(user=admin, q=vehicle.plate)) == [vehicle.customer]


def test_a_second_run_creates_nothing_and_changes_no_row_count(seeded):
    before = row_counts()

    again = demo_seed()

    assert again == {"people": 0, "customers": 0, "parts": 0, "orders": 0}
    assert row_counts() == before


def test_the_demo_users_sign_in_with_the_demo_password(seeded):
    for username, _person, _roles in demo_signins():
        client = Client()
        assert client.login(username=username, password=DEMO_PASSWORD), username

    response = Client().post(
        "/api/v1/auth/token", {"username": "advisor", "password": DEMO_PASSWORD}, "application/json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    customers = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/customers")
    assert customers.status_code == 200
    assert customers.json()["count"] > 0


def test_a_wrong_password_does_not_sign_in(seeded):
    assert not Client().login(username="advisor", password="demo@2026")


def test_the_demo_seed_command_is_idempotent_and_prints_the_sign_ins(seeded, capsys):
    call_command("demo_seed")

    out = capsys.readouterr().out
    assert "0 people, 0 customers, 0 parts and 0 orders created" in out
    assert DEMO_PASSWORD in out
    assert all(username in out for username, _person, _roles in demo_signins())
    assert Customer.objects.count() == CUSTOMERS


def test_demo_parts_department_has_stock_history_and_a_second_run_adds_nothing(seeded):
    from django.db.models import F, Sum

    from aftersales.demo.parts import PARTS
    from aftersales.parts.models import Part, StockBalance, StockDemand, StockMove, Supplier, Warehouse
    from aftersales.parts.services.catalogue import warehouse_default_for

    bj01 = warehouse_default_for(Branch.objects.get(code="BJ01"))
    assert seeded["parts"] == len(PARTS) == Part.objects.count()
    assert Supplier.objects.count() == 5
    assert Warehouse.objects.filter(branch__code="BJ01").count() == 2
    in_stock = StockBalance.objects.filter(warehouse=bj01, on_hand__gt=0)
    assert in_stock.count() >= 40
    assert StockBalance.objects.filter(warehouse__branch__code="BJ02", on_hand__gt=0).exists()
    kinds = set(StockMove.objects.values_list("kind", flat=True))
    assert kinds >= {"receipt", "issue", "return", "transfer_out", "transfer_in"}
    assert StockMove.objects.filter(posted_at__lt=timezone.now() - datetime.timedelta(days=200)).exists()
    assert in_stock.filter(last_move_at__lt=timezone.now() - datetime.timedelta(days=200)).count() >= 3  # dead stock
    assert in_stock.filter(on_hand__lt=F("part__reorder_point")).count() >= 2
    assert StockBalance.objects.filter(warehouse=bj01, reserved__gt=0).exists()
    assert StockDemand.objects.filter(open=True).count() == 1
    sums = {
        (row["part"], row["warehouse"]): (row["q"], row["v"])
        for row in StockMove.objects.values("part", "warehouse").annotate(q=Sum("quantity"), v=Sum("value"))
    }
    zero = (Decimal(0), Decimal(0))
    balances = {(b.part_id, b.warehouse_id): (b.on_hand, b.value) for b in StockBalance.objects.all()}
    assert set(sums) <= set(balances)
    assert {key: sums.get(key, zero) for key in balances} == balances

    labels = {"parts"}
    before = {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in labels}
    assert demo_parts(User.objects.get(username=ADMIN_USERNAME), {b.code: b for b in Branch.objects.all()}) == 0
    assert {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in labels} == before


def test_demo_service_orders_stand_at_every_step_through_the_services_and_a_second_run_adds_nothing(seeded):
    from django.db.models import Sum

    from aftersales.demo.service import BJ01_STORIES, INSPECTIONS, demo_service
    from aftersales.parts.models import StockBalance, StockDemand, StockMove
    from aftersales.service.models import OrderEvent, ServiceOrder, ServiceOrderLine

    orders = ServiceOrder.objects.all()
    assert seeded["orders"] == len(BJ01_STORIES) + 1 + len(INSPECTIONS) == orders.count()
    statuses = set(orders.filter(branch__code="BJ01").values_list("status", flat=True))
    assert len(statuses) >= 8 and {"reception", "delivered", "cancelled"} <= statuses
    delivered = orders.filter(status="delivered")
    assert delivered.exists() and not delivered.filter(release_pass__isnull=True).exists()
    assert delivered.first().release_pass.number.startswith("RP-BJ01-")
    assert orders.filter(promised_at__lt=timezone.now(), status="in_progress").exists()  # late
    assert orders.filter(rework_count=1, status="in_progress").exists()
    assert orders.filter(type="accident").exclude(insurer="").exists()
    assert ServiceOrderLine.objects.filter(order__type="warranty", payer="warranty").exists()
    assert ServiceOrderLine.objects.filter(consent="pending", order__advisor__username="advisor").exists()
    assert ServiceOrderLine.objects.filter(job_status="paused").exists()
    assert ServiceOrderLine.objects.filter(order__status="cancelled", part_state="returned").exists()
    inspections = orders.filter(branch__code="BJ02", type="inspection", assignee__username="install")
    assert inspections.count() == 2 and inspections.filter(status="completed").exclude(report="").count() == 1
    labour = ServiceOrderLine.objects.filter(kind="labour", order__branch__code="BJ01")
    assert set(labour.values_list("rate", flat=True)) == {Decimal("120.00")}
    # each step was taken by the demo person whose job it is
    actors = set(
        OrderEvent.objects.filter(
            action__in=["issue_parts", "dispatch", "qc_pass", "settle"], order__branch__code="BJ01"
        ).values_list("action", "actor__username")
    )
    assert actors == {
        ("issue_parts", "storekeeper"),
        ("dispatch", "dispatcher"),
        ("qc_pass", "qc"),
        ("settle", "cashier"),
    }
    assert StockDemand.objects.filter(open=True).count() == 1  # the demo orders left no shortage behind
    sums = {
        (row["part"], row["warehouse"]): (row["q"], row["v"])
        for row in StockMove.objects.values("part", "warehouse").annotate(q=Sum("quantity"), v=Sum("value"))
    }
    zero = (Decimal(0), Decimal(0))
    balances = {(b.part_id, b.warehouse_id): (b.on_hand, b.value) for b in StockBalance.objects.all()}
    assert {key: sums.get(key, zero) for key in balances} == balances

    labels = {"service", "parts"}
    before = {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in labels}
    assert demo_service(User.objects.get(username=ADMIN_USERNAME), {b.code: b for b in Branch.objects.all()}) == 0
    assert {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in labels} == before
