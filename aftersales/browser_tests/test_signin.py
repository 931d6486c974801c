"""Signing in and out through the real pages."""

import re

import pytest
from playwright.sync_api import expect

from aftersales.browser_tests.helpers import ui_text, unlabelled_fields, username_label
from aftersales.core.testing import PASSWORD

pytestmark = pytest.mark.browser


def test_advisor_signs_in_to_the_chinese_home_page_and_signs_out(web, advisor):
    # Given a service advisor on the sign-in page of a browser that asks for Chinese
    page = web.new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert unlabelled_fields(page) == []

    # When they sign in with their password
    page.get_by_label(username_label(), exact=True).fill("advisor")
    page.get_by_label(ui_text("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=ui_text("Sign in")).click()

    # Then they land on the home page, in Chinese, with the customers of their role in the navigation
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text(ui_text("Home"))
    navigation = page.get_by_role("complementary", name=ui_text("Main navigation"))
    expect(navigation.get_by_role("link", name=ui_text("Customers"), exact=True)).to_be_visible()
    expect(page.locator(".topbar .who")).to_have_text("advisor")

    # When they sign out
    page.get_by_role("button", name=ui_text("Sign out")).click()

    # Then they are back on the sign-in page and the home page asks them to sign in again
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))


def test_wrong_password_shows_an_error_and_stays_on_the_sign_in_page(web, advisor):
    # Given the sign-in page
    page = web.new_page()
    page.goto("/accounts/login/")

    # When the advisor types a wrong password
    page.get_by_label(username_label(), exact=True).fill("advisor")
    page.get_by_label(ui_text("Password"), exact=True).fill("Wrong@pass-2026")
    page.get_by_role("button", name=ui_text("Sign in")).click()

    # Then an error is shown, the page stays the sign-in page and nobody is signed in
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("button", name=ui_text("Sign in"))).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
