"""Smaller checks of the service pages: the advisor's desk puts an order in the box of the step it is at.

The order is moved through the services between looks (the walk through the pages is `test_service_flow.py`).
Every page is watched by the `web` fixture: a JavaScript error or a console error on any of them fails the test.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from aftersales.browser_tests.helpers import UI_LANGUAGE, ui_text
from aftersales.core.testing import make_person
from aftersales.customers.tests.factories import VehicleFactory
from aftersales.service.choices import LineKind, OrderStatus
from aftersales.service.services import lines, orders

pytestmark = pytest.mark.browser

S = OrderStatus
#: The desk's boxes, by key (`#desk-<key>`), in the order the page shows them.
BOXES = ("reception", "awaiting_approval", "workshop", "completed", "settled", "consent", "late")


def label(choice) -> str:
    with translation.override(UI_LANGUAGE):
        return str(choice.label)


def box(page: Page, key: str):
    return page.locator(f"#desk-{key}")


def expect_boxes(page: Page, order, *, holding: set[str], status: OrderStatus) -> None:
    """The order is listed (with its status) in exactly the boxes `holding`; every other box is empty."""
    for key in BOXES:
        count = box(page, key).get_by_role("heading", level=2).locator("small")
        if key in holding:
            expect(count).to_have_text("1")
            row = box(page, key).locator("tbody tr")
            expect(row).to_have_count(1)
            expect(row.get_by_role("link", name=order.number, exact=True)).to_be_visible()
            expect(row).to_contain_text("张伟")
            expect(row).to_contain_text("京A88888")
            expect(row.locator(".tag").first).to_have_text(label(status))
        else:
            expect(count).to_have_text("0")
            expect(box(page, key).locator("tbody tr")).to_have_count(0)
    figures = page.get_by_role("navigation", name=ui_text("Orders by step"))
    expect(figures.locator(".stat .value")).to_have_text(["1" if key in holding else "0" for key in BOXES])


def test_desk_shows_the_order_in_the_box_of_its_step_as_it_moves_on(web, branch, advisor, admin_user):
    # Given an order opened at reception for 张伟's car, promised in five hours
    car = VehicleFactory(customer__branch=branch, customer__name="张伟", plate="京A88888")
    dispatcher = make_person(role="dispatcher", branch=branch)
    technician = make_person(role="technician", branch=branch)
    promised = timezone.now() + datetime.timedelta(hours=5)
    order = orders.order_create(
        actor=advisor, branch=branch, customer=car.customer, asset=car, concerns="刹车异响", promised_at=promised
    )

    # When the advisor opens the desk from the navigation
    page = web.new_page(user=advisor)
    page.goto("/")
    page.get_by_role("complementary").get_by_role("link", name=ui_text("Service desk"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/service/$"))

    # Then the order is in the reception box, and nowhere else
    expect(page.get_by_role("heading", level=1)).to_contain_text(branch.name)
    expect_boxes(page, order, holding={"reception"}, status=S.RECEPTION)

    # When the estimate goes to the customer
    line = lines.line_add(
        actor=advisor, order=order, kind=LineKind.LABOUR, name="检查刹车", hours=Decimal("1"), rate=Decimal("100")
    )
    orders.order_submit_estimate(actor=advisor, order=order)
    page.reload()

    # Then it waits for approval, and for the customer's consent
    expect_boxes(page, order, holding={"awaiting_approval", "consent"}, status=S.AWAITING_APPROVAL)

    # When the customer consents and the job goes to a technician
    orders.order_approve(actor=advisor, order=order, method="phone", by="车主本人")
    orders.order_dispatch(actor=dispatcher, order=order, assignments=[{"line": line.pk, "technician": technician.pk}])
    page.reload()

    # Then it is in the workshop, and its number leads to the order's page
    expect_boxes(page, order, holding={"workshop"}, status=S.DISPATCHED)
    box(page, "workshop").get_by_role("link", name=order.number, exact=True).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(order.get_absolute_url())}$"))
    expect(page.get_by_role("heading", level=1).locator(".tag").last).to_have_text(label(S.DISPATCHED))


def test_desk_counts_an_order_past_its_promised_time_as_late(web, branch, advisor):
    # Given an order whose promised time passed an hour ago, still at reception
    car = VehicleFactory(customer__branch=branch, customer__name="张伟", plate="京A88888")
    promised = timezone.now() - datetime.timedelta(hours=1)
    order = orders.order_create(actor=advisor, branch=branch, customer=car.customer, asset=car, promised_at=promised)

    # When the advisor opens the desk
    page = web.new_page(user=advisor)
    page.goto("/service/")

    # Then it is in reception and in the late box, marked late, and the late figure stands out
    expect_boxes(page, order, holding={"reception", "late"}, status=S.RECEPTION)
    late_row = box(page, "late").locator("tbody tr")
    expect(late_row).to_have_class(re.compile(r"\blate\b"))
    expect(late_row).to_contain_text(ui_text("Late"))
    figures = page.get_by_role("navigation", name=ui_text("Orders by step"))
    expect(figures.locator(".stat-bad")).to_have_count(1)
    expect(figures.locator(".stat-bad")).to_have_attribute("href", "#desk-late")
