"""What a person of another branch meets when they open this branch's pages."""

import pytest
from playwright.sync_api import expect

from aftersales.browser_tests.helpers import ui_text
from aftersales.core.testing import make_person
from aftersales.customers.tests.factories import VehicleFactory

pytestmark = pytest.mark.browser


def test_employee_of_another_branch_gets_the_not_found_page_for_this_branchs_customer(web, branch, other_branch):
    # Given a customer with a vehicle in BJ01, and a service advisor of SH01 with a link to them
    vehicle = VehicleFactory(customer__branch=branch, customer__name="卫十四")
    outsider = make_person(role="service_advisor", branch=other_branch, username="sh-advisor")
    page = web.new_page(user=outsider)
    web.allow_console(r"status of 404")  # Chromium logs the status of the 404 page itself

    for url in (vehicle.customer.get_absolute_url(), vehicle.get_absolute_url()):
        # When they open the customer's (or the vehicle's) page
        response = page.goto(url)

        # Then they get the shell's 404 page, which gives nothing of the customer away
        assert response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text(ui_text("Not found"))
        expect(page.locator("#content")).not_to_contain_text("卫十四")
        expect(page.get_by_role("link", name=ui_text("Back to the home page"))).to_be_visible()
