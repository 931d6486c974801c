"""The page shell: the language switch in the top bar, and the navigation on a phone."""

import re

import pytest
from playwright.sync_api import expect

from aftersales.browser_tests.helpers import chinese_translations_exist, ui_text
from aftersales.customers.tests.factories import VehicleFactory

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}


def test_language_switch_turns_the_pages_english_and_back_to_chinese(web, advisor):
    # Given the advisor on the home page, in Chinese by default
    page = web.new_page(user=advisor)
    page.goto("/")
    navigation = page.get_by_role("complementary")  # its name changes with the language
    expect(navigation).to_have_accessible_name(ui_text("Main navigation"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    chinese_label = ui_text("Customers", "zh-hans")
    expect(navigation.get_by_role("link", name=chinese_label, exact=True)).to_be_visible()
    if chinese_translations_exist():
        expect(navigation.get_by_role("link", name="Customers", exact=True)).to_have_count(0)

    # When they choose English in the top bar's language switch
    language = page.locator(".topbar").get_by_label(ui_text("Language"), exact=True)
    language.select_option("en")

    # Then the page comes back in English, on the same page
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(navigation.get_by_role("link", name="Customers", exact=True)).to_be_visible()
    expect(page.locator(".topbar").get_by_label("Language", exact=True)).to_have_value("en")

    # And the choice holds on the next page
    navigation.get_by_role("link", name="Customers", exact=True).click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")

    # When they switch back to Chinese, the same page is Chinese again
    page.locator(".topbar").get_by_label("Language", exact=True).select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(chinese_label)


def test_phone_folds_the_navigation_behind_the_menu_button(web, advisor, branch):
    # Given an advisor on a phone, with customers on file
    VehicleFactory(customer__branch=branch, customer__name="钱九", plate="京A12345")
    VehicleFactory(customer__branch=branch, customer__name="孙十", plate="京B54321")
    page = web.new_page(user=advisor, **PHONE)
    page.goto("/")

    # Then the navigation is folded away and the menu button shows
    sidebar = page.locator(".sidebar")
    menu = page.get_by_role("button", name=ui_text("Menu"))
    expect(sidebar).not_to_be_in_viewport()
    expect(sidebar).to_be_hidden()  # off screen and out of the keyboard's way, too
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    language_label = page.locator(".topbar").get_by_text(ui_text("Language"), exact=True)
    assert language_label.bounding_box()["height"] < 30  # one line, not a column of single characters

    # When they tap the menu button
    menu.tap()

    # Then the navigation slides in, and its customer link leads to the customer list
    expect(sidebar).to_be_in_viewport()
    expect(menu).to_have_attribute("aria-expanded", "true")
    sidebar.get_by_role("link", name=ui_text("Customers"), exact=True).tap()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(sidebar).not_to_be_in_viewport()

    # And the list is usable on the phone: rows readable and tappable, nothing wider than the screen
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(2)
    for row in rows.all():
        expect(row).to_be_visible()
        expect(row).to_be_in_viewport(ratio=0.9)
    expect(page.get_by_role("link", name=ui_text("New customer"))).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="孙十").tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text("孙十")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
