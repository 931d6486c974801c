"""Reception registers a customer with their first vehicle on the "new customer" page."""

import re

import pytest
from playwright.sync_api import Page, expect

from aftersales.browser_tests.helpers import field_label, ui_text, unlabelled_fields
from aftersales.customers.forms import CustomerForm, VehicleForm
from aftersales.customers.models import Asset, Customer

pytestmark = pytest.mark.browser

VALID_VIN = "LFV2A21K8C3012345"  # check digit (9th character) 8 is right
WRONG_CHECK_DIGIT_VIN = "LFV2A21K6C3012345"  # the same VIN with 6 where 8 belongs


def open_new_customer_page(page: Page) -> None:
    """From the home page: 客户 in the left navigation, then the list's "new customer" button."""
    page.goto("/")
    navigation = page.get_by_role("complementary", name=ui_text("Main navigation"))
    navigation.get_by_role("link", name=ui_text("Customers"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    page.get_by_role("link", name=ui_text("New customer")).click()
    expect(page).to_have_url(re.compile(r"/customers/new/$"))


def fill_customer(page: Page, *, name: str, mobile: str) -> None:
    page.get_by_label(field_label(CustomerForm, "name"), exact=True).fill(name)
    page.get_by_label(field_label(CustomerForm, "mobile"), exact=True).fill(mobile)


def fill_vehicle(page: Page, *, vin: str, plate: str) -> None:
    page.get_by_label(field_label(VehicleForm, "vin"), exact=True).fill(vin)
    page.get_by_label(field_label(VehicleForm, "plate"), exact=True).fill(plate)
    page.get_by_label(field_label(VehicleForm, "brand"), exact=True).fill("比亚迪")
    page.get_by_label(field_label(VehicleForm, "model"), exact=True).fill("汉 EV")
    page.get_by_label(field_label(VehicleForm, "year"), exact=True).fill("2022")
    page.get_by_label(field_label(VehicleForm, "mileage"), exact=True).fill("12000")


def save(page: Page) -> None:
    page.get_by_role("button", name=ui_text("Save"), exact=True).click()


def test_advisor_creates_a_customer_with_a_vehicle_from_the_navigation(web, advisor, branch):
    # Given a service advisor of one store on the new-customer page, reached from the navigation
    page = web.new_page(user=advisor)
    open_new_customer_page(page)
    branch_select = page.get_by_label(field_label(CustomerForm, "branch"), exact=True)
    expect(branch_select).to_have_value(str(branch.pk))  # their only branch is chosen for them
    assert unlabelled_fields(page) == []

    # When they fill in the customer and the vehicle (a new-energy plate typed with a space) and save
    fill_customer(page, name="王小明", mobile="13912345678")
    fill_vehicle(page, vin=VALID_VIN, plate="粤B D12345")
    save(page)

    # Then they land on the customer's page, which shows the vehicle and the history
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    customer = Customer.objects.get(name="王小明")
    assert page.url.endswith(f"/customers/{customer.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("王小明")
    expect(page.get_by_role("link", name="粤BD12345 比亚迪 汉 EV")).to_be_visible()
    expect(page.get_by_role("cell", name=VALID_VIN)).to_be_visible()
    expect(page.get_by_role("heading", name=ui_text("History"))).to_be_visible()
    expect(page.locator(".audit li")).not_to_have_count(0)
    expect(page.locator(".toast")).to_contain_text("王小明")

    # And the database holds the customer in the store with the vehicle, plate and mobile normalised
    assert (customer.mobile, customer.branch_id, customer.created_by_id) == ("13912345678", branch.pk, advisor.pk)
    vehicle = Asset.objects.get(customer=customer)
    assert (vehicle.kind, vehicle.vin, vehicle.plate) == ("vehicle", VALID_VIN, "粤BD12345")
    assert (vehicle.brand, vehicle.model, vehicle.year, vehicle.mileage) == ("比亚迪", "汉 EV", 2022, 12000)
    assert vehicle.branch_id == branch.pk


def test_vin_with_wrong_check_digit_is_saved_once_the_advisor_confirms_it(web, advisor):
    # Given the new-customer page filled with a VIN whose check digit is wrong
    page = web.new_page(user=advisor)
    open_new_customer_page(page)
    fill_customer(page, name="李四", mobile="13800138000")
    fill_vehicle(page, vin=WRONG_CHECK_DIGIT_VIN, plate="京A12345")
    confirm = page.get_by_label(field_label(VehicleForm, "confirm_vin"), exact=True)
    expect(confirm).to_have_count(0)  # nothing to confirm before the VIN was checked

    # When they save
    save(page)

    # Then the page warns about the check digit, offers the confirmation box, and nothing is saved
    expect(page).to_have_url(re.compile(r"/customers/new/$"))
    expect(page.locator(".notice-warn")).to_be_visible()
    expect(
        page.locator(".field.has-error", has=page.get_by_label(field_label(VehicleForm, "vin"), exact=True))
    ).to_contain_text("8")
    expect(confirm).to_be_visible()
    expect(confirm).not_to_be_checked()
    assert not Customer.objects.exists()
    assert unlabelled_fields(page) == []

    # When they tick the box and save again (the form kept what they typed)
    expect(page.get_by_label(field_label(VehicleForm, "vin"), exact=True)).to_have_value(WRONG_CHECK_DIGIT_VIN)
    confirm.check()
    save(page)

    # Then the customer is saved with the VIN exactly as typed
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    customer = Customer.objects.get(name="李四")
    assert page.url.endswith(f"/customers/{customer.pk}/")
    expect(page.get_by_role("cell", name=WRONG_CHECK_DIGIT_VIN)).to_be_visible()
    assert Asset.objects.get(customer=customer).vin == WRONG_CHECK_DIGIT_VIN


def test_invalid_mobile_is_shown_beside_the_field_and_nothing_is_saved(web, advisor):
    # Given the new-customer page
    page = web.new_page(user=advisor)
    open_new_customer_page(page)

    # When the mobile is too short to be a mainland mobile number
    fill_customer(page, name="赵六", mobile="12345")
    save(page)

    # Then the error stands beside the mobile field, the other fields keep their input, nothing is saved
    expect(page).to_have_url(re.compile(r"/customers/new/$"))
    mobile = page.get_by_label(field_label(CustomerForm, "mobile"), exact=True)
    mobile_field = page.locator(".field", has=mobile)
    expect(mobile_field.locator(".errorlist")).to_be_visible()
    expect(mobile_field.locator(".errorlist")).to_contain_text("12345")
    expect(mobile).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".errorlist")).to_have_count(1)  # only the mobile is wrong
    expect(page.get_by_label(field_label(CustomerForm, "name"), exact=True)).to_have_value("赵六")
    assert not Customer.objects.exists()
