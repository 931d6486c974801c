"""The service-order benchmark's code on a few dozen orders, so that it cannot rot between benchmark runs.

The seed writes orders in bulk, not through the services: these tests check that what it writes is what the
services would have written (numbers, money, states, the timeline), and that the services carry on from it.
"""

import re
from collections import Counter
from decimal import Decimal

import pytest
from django.test import Client

from aftersales.core.models import DocumentSequence
from aftersales.core.numbers import document_number_next
from aftersales.org.models import User
from aftersales.parts.models import StockBalance
from aftersales.service.choices import Consent, JobStatus, LineKind, OrderStatus, PartState
from aftersales.service.models import OrderEvent, ServiceOrder, ServiceOrderLine
from aftersales.service.services import jobs, orders
from aftersales.service.totals import line_amount, order_totals
from bench.orders import InProcessTransport, pages_prepare, walk_order, walk_prepare, walk_tokens
from bench.orders_seed import PER_DAY, ZONE, orders_bench_setup, orders_seed, reached
from bench.stock_seed import ledger_mismatches

S = OrderStatus
NUMBER = re.compile(r"^(WO|RP)-(BN\d\d)-(\d{8})-(\d{4})$")


@pytest.fixture
def seeded(db):
    return orders_seed(orders=120, customers=40, stores=2, batch=50)


def _status_events(order) -> list[OrderEvent]:
    return [event for event in order.events.all() if event.from_status and event.from_status != event.to_status]


def test_seeded_orders_hold_to_the_rules_the_services_keep(seeded):
    assert seeded.orders_created == 120 and ServiceOrder.objects.count() == 120
    all_orders = list(
        ServiceOrder.objects.select_related("branch", "release_pass").prefetch_related(
            "lines", "events", "payments", "consents"
        )
    )
    statuses = Counter(order.status for order in all_orders)
    assert len(statuses) >= 6, statuses  # the newest day's orders stand at every step

    for order in all_orders:
        order.full_clean()
        prefix, store, day, _serial = NUMBER.match(order.number).groups()
        assert (prefix, store, day) == ("WO", order.branch.code, f"{order.created_at.astimezone(ZONE):%Y%m%d}")
        lines = list(order.lines.all())
        assert 2 <= len(lines) <= 4 and any(line.kind == LineKind.LABOUR for line in lines)
        for line in lines:
            line.full_clean()
            assert line.amount == line_amount(
                kind=line.kind, hours=line.hours, rate=line.rate, quantity=line.quantity, unit_price=line.unit_price
            )
            approved = reached(order.status, S.APPROVED)
            assert line.consent == (Consent.APPROVED if approved else Consent.ESTIMATE)
            if line.kind == LineKind.LABOUR:
                assert (line.technician_id is not None) == reached(order.status, S.DISPATCHED)
                if reached(order.status, S.QUALITY_CHECK):
                    assert line.job_status == JobStatus.FINISHED and line.self_check_passed
            else:
                issued = reached(order.status, S.IN_PROGRESS)
                assert line.part_state == (PartState.ISSUED if issued else PartState.NOT_RESERVED)
        if order.status == S.IN_PROGRESS:
            assert JobStatus.IN_PROGRESS in {line.job_status for line in lines}
        payable = order_totals(lines).customer_payable
        if reached(order.status, S.APPROVED):
            assert order.consented_total == payable == order.consents.get().total
        else:
            assert order.consented_total is None and not order.consents.exists()
        if reached(order.status, S.SETTLED):
            assert sum((p.amount for p in order.payments.all()), Decimal("0.00")) == payable
        else:
            assert not order.payments.exists()
        if order.status == S.DELIVERED:
            prefix, store, day, _serial = NUMBER.match(order.release_pass.number).groups()
            assert (prefix, store, day) == ("RP", order.branch.code, f"{order.delivered_at.astimezone(ZONE):%Y%m%d}")
        # the timeline: it opens with `create`, each status move starts where the last one ended, and ends at
        # the order's status; the times never go backwards
        events = list(order.events.all())
        assert events[0].action == "create" and events[0].to_status == S.RECEPTION
        moves = _status_events(order)
        current = S.RECEPTION
        for event in moves:
            assert event.from_status == current, (order.number, [(e.action, e.from_status) for e in events])
            current = event.to_status
        assert current == order.status
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)
        assert Counter(e.action for e in events)["line_added"] == len(lines)


def test_the_sequences_continue_after_the_last_seeded_number(seeded):
    numbers = list(ServiceOrder.objects.values_list("number", flat=True))
    numbers += [order.release_pass.number for order in ServiceOrder.objects.filter(status=S.DELIVERED)]
    assert len(set(numbers)) == len(numbers)
    last: dict[tuple, list[int]] = {}
    for number in numbers:
        prefix, store, day, serial = NUMBER.match(number).groups()
        last.setdefault((prefix, store, day), []).append(int(serial))
    for (prefix, store, day), serials in last.items():
        assert sorted(serials) == list(range(1, len(serials) + 1))  # no gaps, as the services count
        sequence = DocumentSequence.objects.get(
            prefix=prefix, branch__code=store, day=f"{day[:4]}-{day[4:6]}-{day[6:]}"
        )
        assert sequence.last == len(serials)

    order = ServiceOrder.objects.order_by("id").first()
    day = order.created_at.astimezone(ZONE).date()
    following = document_number_next(prefix="WO", branch=order.branch, day=day)
    assert following not in numbers and following.endswith(
        f"-{len(last[('WO', order.branch.code, f'{day:%Y%m%d}')]) + 1:04d}"
    )


def test_the_seed_tops_up_and_never_writes_an_order_twice(db):
    first = orders_seed(orders=30, customers=20, stores=2, batch=12)
    again = orders_seed(orders=30, customers=20, stores=2, batch=12)
    more = orders_seed(orders=45, customers=20, stores=2, batch=12)

    assert (first.orders_before, first.orders_created) == (0, 30)
    assert (again.orders_before, again.orders_created) == (30, 0)
    assert (more.orders_before, more.orders_created) == (30, 15)
    assert ServiceOrder.objects.count() == 45
    created = list(ServiceOrder.objects.order_by("id").values_list("created_at", flat=True))
    assert created == sorted(created) and (created[-1] - created[0]).days < 45 / PER_DAY + 1
    assert (
        first.rows["events"]
        == OrderEvent.objects.filter(order_id__lte=ServiceOrder.objects.order_by("id")[29].pk).count()
    )


def test_the_services_carry_on_from_seeded_orders(seeded):
    bench = orders_bench_setup(stores=2, load_customers=False)
    staff = {store.branch.pk: store.staff for store in bench.stores}

    def person(order, role):
        return User.objects.get(pk=staff[order.branch_id][role][0])

    completed = ServiceOrder.objects.filter(status=S.COMPLETED).first()
    payable = order_totals(completed.lines.all()).customer_payable
    payments = [{"method": "card", "amount": str(payable)}] if payable else []
    orders.order_settle(actor=person(completed, "cashier"), order=completed, payments=payments)
    delivered = orders.order_deliver(actor=person(completed, "service_advisor"), order=completed)
    assert delivered.status == S.DELIVERED

    approved = ServiceOrder.objects.filter(status=S.APPROVED).first()
    labour = list(approved.lines.filter(kind=LineKind.LABOUR))
    technician = person(approved, "technician")
    orders.order_dispatch(
        actor=person(approved, "dispatcher"),
        order=approved,
        assignments=[{"line": line.pk, "technician": technician.pk} for line in labour],
    )
    for line in labour:
        jobs.job_act(actor=technician, line=line, action="start")
        jobs.job_act(actor=technician, line=line, action="finish", self_check={"passed": True})
    approved.refresh_from_db()
    assert approved.status == S.QUALITY_CHECK
    assert orders.order_qc_pass(actor=person(approved, "qc_inspector"), order=approved).status == S.COMPLETED


def test_the_measured_pages_answer_with_the_same_queries_at_two_sizes(db):
    orders_seed(orders=40, customers=30, stores=2, batch=20)
    small = pages_prepare()
    orders_seed(orders=90, customers=30, stores=2, batch=20)
    big = pages_prepare()

    assert small["orders"] == 40 and big["orders"] == 90
    assert big["unavailable"] == [] and big["html_pages"]  # every planned page answered 200
    for who in ("region", "advisor"):
        keys = [page["key"] for page in big["people"][who]["pages"]]
        assert {"api_list_status", "api_detail", "api_list", "page_list", "page_list_status", "page_detail"} <= set(
            keys
        )
        for page_small, page_big in zip(small["people"][who]["pages"], big["people"][who]["pages"], strict=True):
            assert page_small["key"] == page_big["key"]
            assert page_small["queries"] == page_big["queries"] and page_big["queries"] >= 1, page_big
    assert big["baseline"]["queries"] == 1


def test_the_api_walk_takes_orders_from_reception_to_delivery(db):
    orders_seed(orders=10, customers=10, stores=2, batch=10)
    data = walk_prepare(clients=2)
    transport = InProcessTransport(Client())
    before = {b.part_id: b.on_hand for b in StockBalance.objects.all()}

    timings = []
    for client in range(2):
        tokens = walk_tokens(transport, data, client)
        timings += walk_order(transport, data, tokens, client=client, serial=client)

    walked = ServiceOrder.objects.exclude(pk__in=ServiceOrder.objects.order_by("id")[:10].values("pk"))
    assert [order.status for order in walked] == [S.DELIVERED, S.DELIVERED]
    kinds = Counter(kind for kind, _status, _wall, _server in timings)
    assert kinds["create"] == 2 and kinds["deliver"] == 2 and kinds["job_finish"] == 2
    assert {status for _kind, status, _wall, _server in timings} <= {200, 201}
    assert all(server > 0 and wall >= server for _kind, _status, wall, server in timings)
    after = {b.part_id: b.on_hand for b in StockBalance.objects.all()}
    assert sum(before.values()) - sum(after.values()) == sum(
        line.quantity for line in ServiceOrderLine.objects.filter(order__in=walked, kind=LineKind.PART)
    )
    assert ledger_mismatches() == []
