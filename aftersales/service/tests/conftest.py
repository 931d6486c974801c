"""Fixtures of the service-order rule and API tests: a stocked branch with its people, and a walker that takes an
order to any status through the services.

`shop.walk(status, type=...)` builds an order step by step the way the staff would (lines, estimate, consent,
parts, dispatch, the technician's clock, QC, settlement, delivery), so a test starts from a real state and not
from a status written into a row. Visit types (inspection, call-out) start `dispatched`; the few statuses their
steps never reach are set on the row (`force=True`), only to ask the transition table about them.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.utils import translation

from aftersales.core.testing import api_client, make_person
from aftersales.customers.tests.factories import VehicleFactory
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive
from aftersales.parts.tests.factories import PartFactory
from aftersales.service.choices import VISIT_TYPES, LineKind, OrderStatus, OrderType
from aftersales.service.models import ServiceOrder, ServiceOrderLine
from aftersales.service.services import installation, jobs, lines, orders
from aftersales.service.totals import order_totals

S = OrderStatus
API = "/api/v1"
#: The statuses of the full process, in order (cancelled apart).
FULL_PATH = (
    S.RECEPTION,
    S.AWAITING_APPROVAL,
    S.APPROVED,
    S.DISPATCHED,
    S.IN_PROGRESS,
    S.QUALITY_CHECK,
    S.COMPLETED,
    S.SETTLED,
    S.DELIVERED,
)
CAST = ("service_advisor", "parts_keeper", "dispatcher", "technician", "qc_inspector", "cashier", "service_manager")


def post(client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


def act(client, order_id: int, action: str, body: dict | None = None):
    """`POST /api/v1/work-orders/{id}/actions/{action}`."""
    return post(client, f"{API}/work-orders/{order_id}/actions/{action}", body)


def job(client, line_id: int, action: str, body: dict | None = None):
    """`POST /api/v1/jobs/{line_id}/actions/{action}`."""
    return post(client, f"{API}/jobs/{line_id}/actions/{action}", body)


def payable(order: ServiceOrder) -> Decimal:
    return order_totals(ServiceOrderLine.objects.filter(order=order)).customer_payable


def stock_in(actor, warehouse, part, quantity, unit_cost) -> None:
    stock_receive(
        actor=actor,
        warehouse=warehouse,
        lines=[ReceiptLineIn(part=part, quantity=Decimal(str(quantity)), unit_cost=Decimal(str(unit_cost)))],
    )


@dataclass
class Walked:
    """An order and its lines as the walker made them."""

    order: ServiceOrder
    labour: list[ServiceOrderLine] = field(default_factory=list)
    parts: list[ServiceOrderLine] = field(default_factory=list)
    pending: ServiceOrderLine | None = None

    def fresh(self) -> ServiceOrder:
        self.order.refresh_from_db()
        return self.order


class Shop:
    """BJ01 with one person per role of the process, a customer's car and a stocked oil filter."""

    def __init__(self, *, branch, admin):
        self.branch = branch
        self.admin = admin
        self.people = {role: make_person(role=role, branch=branch) for role in CAST}
        self.advisor = self.people["service_advisor"]
        self.keeper = self.people["parts_keeper"]
        self.dispatcher = self.people["dispatcher"]
        self.technician = self.people["technician"]
        self.qc = self.people["qc_inspector"]
        self.cashier = self.people["cashier"]
        self.manager = self.people["service_manager"]
        self.vehicle = VehicleFactory(customer__branch=branch, plate="京A12345")
        self.customer = self.vehicle.customer
        self.warehouse = warehouse_default_for(branch)
        self.part = PartFactory(code="OF-1", name="机油滤清器", retail_price=Decimal("58.00"))
        stock_in(admin, self.warehouse, self.part, 10, "30.00")
        self._clients = {}
        self._install_team = None

    @property
    def install_team(self):
        """BJ01's installation team (made on first use), the shop's technician its member."""
        if self._install_team is None:
            from aftersales.org.models import Employee, Team

            self._install_team = Team.objects.create(branch=self.branch, name="安装一组", kind="installation")
            Employee.objects.filter(user=self.technician).update(team=self._install_team)
            self.technician.refresh_from_db()
        return self._install_team

    def accept(self, order, actor=None, **failed):
        """Record the customer's acceptance of an installation: every item passed unless named `code=False`."""
        checks = {code: failed.get(code, True) for code in installation.CHECK_CODES}
        return installation.order_acceptance_record(
            actor=actor or self.qc, order=order, checks=checks, signed_by="业主本人", method="signature"
        )

    def api(self, user):
        """One bearer-token client per user (a token is issued once)."""
        if user.pk not in self._clients:
            self._clients[user.pk] = api_client(user)
        return self._clients[user.pk]

    # -- building orders through the services ------------------------------------------------------------------------

    def open(self, *, type=OrderType.REPAIR, assignee=None, actor=None, asset=None) -> ServiceOrder:
        if type in VISIT_TYPES and assignee is None:
            assignee = self.technician
        return orders.order_create(
            actor=actor or self.advisor,
            branch=self.branch,
            customer=self.customer,
            asset=asset or self.vehicle,
            type=type,
            mileage=12000,
            concerns="保养，刹车有异响",
            assignee=assignee,
            team=self.install_team if type == OrderType.INSTALLATION else None,
        )

    def add_labour(self, order, name="更换机油机滤", hours="1.5", rate="120", payer="customer", **extra):
        return lines.line_add(
            actor=self.advisor,
            order=order,
            kind=LineKind.LABOUR,
            name=name,
            hours=hours,
            rate=rate,
            payer=payer,
            **extra,
        )

    def add_part(self, order, part=None, quantity="1", payer="customer", unit_price=None):
        return lines.line_add(
            actor=self.advisor,
            order=order,
            kind=LineKind.PART,
            part=part or self.part,
            quantity=quantity,
            payer=payer,
            unit_price=unit_price,
        )

    def approve(self, order, actor=None):
        return orders.order_approve(actor=actor or self.advisor, order=order, method="phone", by="车主本人")

    def settle(self, order, actor=None):
        amount = payable(order)
        payments = [{"method": "cash", "amount": str(amount)}] if amount else []
        return orders.order_settle(actor=actor or self.cashier, order=order, payments=payments)

    def finish(self, line, technician=None):
        return jobs.job_act(
            actor=technician or self.technician, line=line, action="finish", self_check={"passed": True, "notes": "ok"}
        )

    def walk(
        self,
        to: str,
        *,
        type=OrderType.REPAIR,
        issue: bool = True,
        pending: bool = False,
        assignee=None,
        force: bool = False,
    ) -> Walked:
        """An order of `type` in status `to`, built through the services.

        Full process: two labour lines (180.00 and 100.00) and one oil filter (58.00), all paid by the customer;
        `issue` issues the parts right after consent (else they stay reserved); `pending` adds a labour line after
        consent that still awaits it. In progress = the first job started; quality check = both jobs finished.
        Visit types: created `dispatched` for `assignee`; `force` sets a status their steps never reach.
        """
        if type in VISIT_TYPES:
            return self._walk_visit(to, type=type, assignee=assignee, force=force)
        order = self.open(type=type)
        walked = Walked(order)
        if to == S.CANCELLED:
            orders.order_cancel(actor=self.advisor, order=order, reason="客户改期")
            walked.fresh()
            return walked
        walked.labour = [self.add_labour(order), self.add_labour(order, name="检查刹车", hours="1", rate="100")]
        walked.parts = [self.add_part(order)]
        steps = FULL_PATH[1 : FULL_PATH.index(to) + 1]
        for status in steps:
            self._step(walked, status, issue=issue, pending=pending)
        walked.fresh()
        assert walked.order.status == to, (walked.order.status, to)
        return walked

    def _step(self, walked: Walked, status: str, *, issue: bool, pending: bool) -> None:
        order = walked.fresh()
        first, second = walked.labour
        if status == S.AWAITING_APPROVAL:
            orders.order_submit_estimate(actor=self.advisor, order=order)
        elif status == S.APPROVED:
            self.approve(order)
            if issue:
                orders.order_issue_parts(actor=self.keeper, order=order)
            if pending:
                walked.pending = self.add_labour(order, name="更换刹车片", hours="2", rate="150")
        elif status == S.DISPATCHED:
            assignments = [{"line": line.pk, "technician": self.technician.pk} for line in walked.labour]
            orders.order_dispatch(actor=self.dispatcher, order=order, assignments=assignments)
        elif status == S.IN_PROGRESS:
            jobs.job_act(actor=self.technician, line=first, action="start")
        elif status == S.QUALITY_CHECK:
            self.finish(first)
            jobs.job_act(actor=self.technician, line=second, action="start")
            self.finish(second)
        elif status == S.COMPLETED:
            if order.type == OrderType.INSTALLATION:
                self.accept(order)
            orders.order_qc_pass(actor=self.qc, order=order)
        elif status == S.SETTLED:
            if not issue:
                orders.order_issue_parts(actor=self.keeper, order=order)
            self.settle(order)
        elif status == S.DELIVERED:
            orders.order_deliver(actor=self.advisor, order=order)

    def _walk_visit(self, to, *, type, assignee, force) -> Walked:
        order = self.open(type=type, assignee=assignee or self.technician)
        walked = Walked(order)
        if to == S.DISPATCHED:
            pass
        elif to == S.COMPLETED and not force:
            orders.order_complete(actor=order.assignee, order=order, report="门扇开启正常，门锁功能正常")
        elif to == S.CANCELLED and not force:
            orders.order_cancel(actor=self.advisor, order=order, reason="客户取消")
        elif force:
            ServiceOrder.objects.filter(pk=order.pk).update(status=to)
        else:
            raise ValueError(f"a {type} order does not reach {to} by its steps; pass force=True")
        walked.fresh()
        return walked


@pytest.fixture
def shop(branch, admin_user):
    return Shop(branch=branch, admin=admin_user)


@pytest.fixture
def in_english(settings):
    """Messages in English (the source language), for requests and direct calls."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
