"""Fixtures of the workshop tests: the service tests' shop (BJ01 with one person per role) plus technicians with
skills, bays, and approved orders whose jobs need a skill, a level and maybe a bay.

Plans are made for tomorrow unless a test says otherwise, so that the time of day the suite runs at does not
matter (today's plan starts from now)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.core.testing import make_person
from aftersales.customers.tests.factories import VehicleFactory
from aftersales.service.choices import LineKind
from aftersales.service.services import lines, orders
from aftersales.service.tests.conftest import Shop
from aftersales.workshop.models import Bay, TechnicianSkill

API = "/api/v1"


class Workshop(Shop):
    """The shop with a workshop: technicians by skill, bays, and a helper to make approved orders of given jobs."""

    def __init__(self, *, branch, admin):
        super().__init__(branch=branch, admin=admin)
        self.tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        self.workshop_manager = make_person(role="workshop_manager", branch=branch)

    def technician_with(self, skills: dict[str, int], *, username=None, name=None):
        """A new technician of the branch with these skills; returns their employee."""
        user = make_person(role="technician", branch=self.branch, username=username)
        employee = user.employee
        if name:
            employee.name = name
            employee.save(update_fields=["name"])
        for skill, level in skills.items():
            TechnicianSkill.objects.create(employee=employee, skill=skill, level=level)
        return employee

    def bay(self, code: str, *kinds: str) -> Bay:
        return Bay.objects.create(branch=self.branch, code=code, name=f"工位{code}", kinds=list(kinds))

    def order_with(self, *jobs: dict, promised_at=None, plate=None):
        """An approved repair order with one labour line per dict (`name`, `hours`, `skill`, `min_level`,
        `bay_kind`); returns (order, [lines])."""
        asset = VehicleFactory(customer=self.customer, plate=plate) if plate else self.vehicle
        order = orders.order_create(
            actor=self.advisor,
            branch=self.branch,
            customer=self.customer,
            asset=asset,
            type="repair",
            mileage=1000,
            concerns="检查",
        )
        made = [
            lines.line_add(
                actor=self.advisor,
                order=order,
                kind=LineKind.LABOUR,
                name=job.get("name", f"作业{index + 1}"),
                hours=str(job.get("hours", "1")),
                rate="100",
                skill=job.get("skill", ""),
                min_level=job.get("min_level", 1),
                bay_kind=job.get("bay_kind", ""),
            )
            for index, job in enumerate(jobs)
        ]
        if promised_at is not None:
            from aftersales.service.models import ServiceOrder

            ServiceOrder.objects.filter(pk=order.pk).update(promised_at=promised_at)
        orders.order_submit_estimate(actor=self.advisor, order=order)
        self.approve(order)
        order.refresh_from_db()
        for line in made:
            line.refresh_from_db()
        return order, made

    def at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def workshop(branch, admin_user):
    return Workshop(branch=branch, admin=admin_user)


HOUR = Decimal("1.00")


# -- helpers of the service and API tests (dispatch, clock, delays, board) --------------------------------------------


def apply_rows(rows) -> list[dict]:
    """A proposal's rows (`ProposedPlan.assignments()`) as `dispatch_apply` takes them."""
    return [{"line": r["line"], "technician": r["technician"], "bay": r["bay"], "start": r["start"]} for r in rows]


def lunch_break(workshop, start=(12, 0), end=(13, 0)):
    """The branch works 08:30–17:30 with a break (12:00–13:00 by default), set through the settings service."""
    from aftersales.workshop.services.setup import workshop_hours_set

    return workshop_hours_set(
        actor=workshop.workshop_manager,
        branch=workshop.branch,
        start=datetime.time(8, 30),
        end=datetime.time(17, 30),
        break_start=datetime.time(*start),
        break_end=datetime.time(*end),
    )


def off_on(workshop, day, *users):
    """Give each of `users` (accounts) a day off on `day`, as the dispatcher would."""
    from aftersales.workshop.services.setup import day_off_add

    for user in users:
        day_off_add(actor=workshop.dispatcher, employee=user.employee, date=day, reason="休假")


@pytest.fixture
def foreign_order(other_branch):
    """An approved repair order of another branch (SH01) with one 机修 job: (order, line)."""
    advisor = make_person(role="service_advisor", branch=other_branch)
    vehicle = VehicleFactory(customer__branch=other_branch, plate="沪B67890")
    order = orders.order_create(
        actor=advisor,
        branch=other_branch,
        customer=vehicle.customer,
        asset=vehicle,
        type="repair",
        mileage=1000,
        concerns="检查",
    )
    line = lines.line_add(
        actor=advisor, order=order, kind=LineKind.LABOUR, name="外店作业", hours="1", rate="100", skill="机修"
    )
    orders.order_submit_estimate(actor=advisor, order=order)
    orders.order_approve(actor=advisor, order=order, method="phone", by="车主本人")
    order.refresh_from_db()
    line.refresh_from_db()
    return order, line


@pytest.fixture
def in_english(settings):
    """Messages in English (the source language): requests, direct calls, and notifications (site language)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
