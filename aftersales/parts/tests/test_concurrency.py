"""The ledger under real concurrency (PostgreSQL): row locks in a fixed order, no lost move, no deadlock.

Each worker is a thread with its own database connection, all released at once by a barrier, each
posting in its own transaction, exactly as parallel requests on several app servers would.
SQLite has no row locks (it serialises whole transactions), so these tests run on PostgreSQL only.
"""

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, connections

from aftersales.core.testing import api_client, make_person
from aftersales.org.models import Branch, User
from aftersales.parts.choices import MoveKind
from aftersales.parts.models import StockBalance, StockDemand, StockMove
from aftersales.parts.services import ledger
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.parts.services.ledger import InsufficientStock, MoveRequest
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive
from aftersales.parts.tests.factories import PartFactory, WarehouseFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

D = Decimal


def run_parallel(count: int, work) -> list:
    """Run `work(index)` in `count` threads started together; return what each returned or raised, by index."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(index: int):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = work(index)
        except BaseException as exc:  # handed to the main thread, which asserts on it
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return outcomes


def assert_ledger_sums_equal_every_balance() -> None:
    balances = list(StockBalance.objects.all())
    assert balances
    for balance in balances:
        moves = StockMove.objects.filter(part=balance.part_id, warehouse=balance.warehouse_id)
        quantities = [q for q in moves.values_list("quantity", flat=True)]
        values = [v for v in moves.values_list("value", flat=True)]
        assert (sum(quantities, D("0")), sum(values, D("0"))) == (balance.on_hand, balance.value), balance


@pytest.fixture
def store():
    """A branch with its default warehouse, a second warehouse, a parts keeper and a superuser to stock it."""
    branch = Branch.objects.create(code="BJ01", name="北京朝阳店", kind="store")
    admin = make_person(role=None, branch=branch, username="root", superuser=True)
    return {
        "branch": branch,
        "warehouse": warehouse_default_for(branch),
        "second": WarehouseFactory(branch=branch, code="BJ01-B"),
        "keeper": make_person(role="parts_keeper", branch=branch),
        "admin": admin,
    }


def receive(store, warehouse, part, quantity, unit_cost="10.00"):
    stock_receive(
        actor=store["admin"],
        warehouse=warehouse,
        lines=[ReceiptLineIn(part=part, quantity=D(quantity), unit_cost=D(unit_cost))],
    )


def test_twenty_workers_issuing_one_each_of_ten_available_exactly_ten_succeed(store):
    warehouse, part = store["warehouse"], PartFactory(code="OF-001")
    receive(store, warehouse, part, "4", "10.00")
    receive(store, warehouse, part, "6", "10.01")  # a value that does not split evenly: 100.06 for 10

    def work(index):
        actor = User.objects.get(pk=store["keeper"].pk)  # each worker its own user object, as each request has
        return ledger.stock_issue(actor=actor, warehouse=warehouse, part=part, quantity=1, reference=f"WO-{index}")

    outcomes = run_parallel(20, work)

    kinds = Counter(type(outcome).__name__ for outcome in outcomes)
    assert kinds == {"StockMove": 10, "InsufficientStock": 10}, outcomes
    assert all(o.code == "insufficient_stock" for o in outcomes if isinstance(o, InsufficientStock))
    balance = StockBalance.objects.get(part=part, warehouse=warehouse)
    assert (balance.on_hand, balance.reserved, balance.value) == (D("0"), D("0"), D("0"))
    issues = StockMove.objects.filter(part=part, kind=MoveKind.ISSUE)
    assert sorted(issues.values_list("on_hand_after", flat=True)) == [D(n) for n in range(10)], "a move was lost"
    assert sum(issues.values_list("value", flat=True), D("0")) == D("-100.06")
    assert StockDemand.objects.filter(filled=1, open=False).count() == 10
    assert StockDemand.objects.filter(filled=0, open=True).count() == 10
    assert_ledger_sums_equal_every_balance()


def test_twenty_parallel_api_issues_of_ten_available_answer_ten_201_and_ten_409(store):
    warehouse, part = store["warehouse"], PartFactory(code="OF-001")
    receive(store, warehouse, part, "10")
    clients = [api_client(store["keeper"]) for _ in range(20)]
    body = {"warehouse": warehouse.pk, "part": part.pk, "quantity": "1", "reference": "WO"}

    outcomes = run_parallel(
        20, lambda index: clients[index].post("/api/v1/stock/issues", body, content_type="application/json")
    )

    assert Counter(getattr(o, "status_code", o) for o in outcomes) == {201: 10, 409: 10}, outcomes
    assert {o.json()["code"] for o in outcomes if o.status_code == 409} == {"insufficient_stock"}
    balance = StockBalance.objects.get(part=part, warehouse=warehouse)
    assert (balance.on_hand, balance.value) == (D("0"), D("0"))
    assert_ledger_sums_equal_every_balance()


def test_parallel_reservations_never_promise_more_than_is_available(store):
    warehouse, part = store["warehouse"], PartFactory(code="OF-001")
    receive(store, warehouse, part, "5")

    def work(index):
        actor = User.objects.get(pk=store["keeper"].pk)
        return ledger.stock_reserve(actor=actor, warehouse=warehouse, part=part, quantity=1, reference=f"WO-{index}")

    outcomes = run_parallel(12, work)

    kinds = Counter(type(outcome).__name__ for outcome in outcomes)
    assert kinds == {"StockReservation": 5, "InsufficientStock": 7}, outcomes
    balance = StockBalance.objects.get(part=part, warehouse=warehouse)
    assert (balance.on_hand, balance.reserved) == (D("5"), D("5"))


def test_posts_of_two_parts_in_opposite_orders_finish_without_deadlock(store):
    warehouse, admin = store["warehouse"], store["admin"]
    first, second = PartFactory(code="A-1"), PartFactory(code="B-2")
    receive(store, warehouse, first, "100")
    receive(store, warehouse, second, "100")
    rounds = 10

    def work(index):
        parts = (first, second) if index % 2 else (second, first)
        for _ in range(rounds):
            ledger.stock_post(
                actor=admin,
                requests=[
                    MoveRequest(part_id=p.pk, warehouse_id=warehouse.pk, kind=MoveKind.ISSUE, quantity=D("-1"))
                    for p in parts
                ],
            )

    outcomes = run_parallel(8, work)

    assert outcomes == [None] * 8, [o for o in outcomes if o is not None]
    for part in (first, second):
        assert StockBalance.objects.get(part=part, warehouse=warehouse).on_hand == D("100") - 8 * rounds
    assert_ledger_sums_equal_every_balance()


def test_transfers_both_ways_at_once_finish_without_deadlock_and_keep_the_value(store):
    source, destination, admin = store["warehouse"], store["second"], store["admin"]
    part = PartFactory(code="OF-001")
    receive(store, source, part, "50", "10.00")
    receive(store, destination, part, "50", "12.00")
    rounds = 8

    def work(index):
        actor = User.objects.get(pk=admin.pk)
        there, back = (source, destination) if index % 2 else (destination, source)
        for number in range(rounds):
            # a reference of our own: a transfer without one takes the branch's TR number, whose row lock
            # would queue these transfers one behind another and hide the order of the balance locks
            reference = f"TR-{index}-{number}"
            ledger.stock_transfer(
                actor=actor, source=there, destination=back, part=part, quantity=1, reference=reference
            )

    outcomes = run_parallel(8, work)

    assert outcomes == [None] * 8, [o for o in outcomes if o is not None]
    balances = StockBalance.objects.filter(part=part)
    assert sum(b.on_hand for b in balances) == D("100")
    assert sum(b.value for b in balances) == D("1100.00"), "a transfer changes where value is, never how much"
    assert {b.on_hand for b in balances} == {D("50")}
    assert StockMove.objects.filter(kind=MoveKind.TRANSFER_OUT).count() == 8 * rounds
    assert_ledger_sums_equal_every_balance()


def test_parallel_transfers_into_a_warehouse_that_never_held_the_part_make_one_balance(store):
    source, destination, admin = store["warehouse"], store["second"], store["admin"]
    part = PartFactory(code="OF-001")
    receive(store, source, part, "10", "10.00")
    assert not StockBalance.objects.filter(warehouse=destination).exists()

    def work(index):
        actor = User.objects.get(pk=admin.pk)
        return ledger.stock_transfer(
            actor=actor, source=source, destination=destination, part=part, quantity=1, reference=f"TR-{index}"
        )

    outcomes = run_parallel(10, work)

    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    received = StockBalance.objects.get(part=part, warehouse=destination)
    assert (received.on_hand, received.value) == (D("10"), D("100.00"))
    assert StockBalance.objects.get(part=part, warehouse=source).on_hand == D("0")
    assert_ledger_sums_equal_every_balance()
