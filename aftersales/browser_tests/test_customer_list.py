"""The customer list: live search that updates the table in place, and pagination."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from aftersales.browser_tests.helpers import ui_text, unlabelled_fields
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory

pytestmark = pytest.mark.browser
PAGE_SIZE = settings.AFTERSALES["PAGE_SIZE"]


def test_typing_a_plate_filters_the_table_in_place_and_pages_still_work(web, advisor, branch):
    # Given a page and five more of customers with a vehicle each, one of them with plate 粤BD12345
    oldest = CustomerFactory(branch=branch, name="最早的客户")
    VehicleFactory(customer=oldest)
    for _ in range(PAGE_SIZE + 3):
        VehicleFactory(customer__branch=branch)
    wanted = VehicleFactory(customer=CustomerFactory(branch=branch, name="周八"), plate="粤BD12345").customer
    page = web.new_page(user=advisor)
    page.goto("/customers/")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(PAGE_SIZE)
    assert unlabelled_fields(page) == []  # the search box and every filter
    page.evaluate("window.loadedOnce = true")  # survives only if the page is not reloaded

    # When the advisor types the plate into the search box
    search = page.get_by_label(ui_text("Search"), exact=True)
    with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request") == "true") as answer:
        search.press_sequentially("粤BD12345", delay=20)

    # Then an htmx request replaces just the table: one row, that customer; the URL carries the search
    assert answer.value.ok
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("周八")
    expect(rows.first.get_by_role("link", name="周八")).to_have_attribute("href", f"/customers/{wanted.pk}/")
    expect(page).to_have_url(re.compile(r"[?&]q=%E7%B2%A4BD12345(&|$)"))
    assert page.evaluate("window.loadedOnce") is True
    expect(page.get_by_role("link", name=ui_text("Next"))).to_have_count(0)

    # When the search is cleared, the table shows the first page again; then the advisor goes to the next page
    search.fill("")
    expect(rows).to_have_count(PAGE_SIZE)
    expect(page.locator("#results")).not_to_contain_text("最早的客户")
    page.get_by_role("link", name=ui_text("Next")).click()

    # Then the second page lists the remaining five customers, the oldest among them
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect(rows).to_have_count(5)
    expect(page.locator("#results")).to_contain_text("最早的客户")
    expect(page.get_by_role("link", name="2", exact=True)).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name=ui_text("Previous")).click()
    expect(page).to_have_url(re.compile(r"[?&]page=1(&|$)"))
    expect(rows).to_have_count(PAGE_SIZE)
