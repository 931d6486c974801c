"""Adding an asset of another kind than a vehicle on the customer's page."""

import re

import pytest
from playwright.sync_api import expect

from aftersales.browser_tests.helpers import field_label, ui_text, unlabelled_fields
from aftersales.customers.forms import AssetForm
from aftersales.customers.models import Asset
from aftersales.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.browser

IMEI = "490154203237518"  # Luhn check digit 8 is right


def test_choosing_device_shows_serial_and_imei_instead_of_vin_and_saves_the_device(web, advisor, branch):
    # Given a customer's page
    customer = CustomerFactory(branch=branch, name="吴十一")
    page = web.new_page(user=advisor)
    page.goto(f"/customers/{customer.pk}/")

    # When the advisor adds an asset, the form starts as a vehicle: VIN shown, serial and IMEI hidden
    page.get_by_role("link", name=ui_text("Add asset")).click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/assets/new/$"))
    kind = page.get_by_label(field_label(AssetForm, "kind"), exact=True)
    vin = page.get_by_label(field_label(AssetForm, "vin"), exact=True)
    plate = page.get_by_label(field_label(AssetForm, "plate"), exact=True)
    serial = page.get_by_label(field_label(AssetForm, "serial"), exact=True)
    imei = page.get_by_label(field_label(AssetForm, "imei"), exact=True)
    expect(kind).to_have_value("vehicle")
    expect(vin).to_be_visible()
    expect(serial).to_be_hidden()
    expect(imei).to_be_hidden()

    # When they choose the kind "device"
    kind.select_option("device")

    # Then the serial and IMEI fields show and the vehicle's fields hide; the brand and model stay
    expect(serial).to_be_visible()
    expect(imei).to_be_visible()
    assert unlabelled_fields(page) == []
    expect(vin).to_be_hidden()
    expect(plate).to_be_hidden()
    expect(page.get_by_label(field_label(AssetForm, "model"), exact=True)).to_be_visible()

    # When they fill the device in and save
    serial.fill("F2LZK0ABCD12")
    imei.fill(IMEI)
    page.get_by_label(field_label(AssetForm, "brand"), exact=True).fill("Apple")
    page.get_by_label(field_label(AssetForm, "model"), exact=True).fill("iPhone 15")
    page.get_by_role("button", name=ui_text("Save"), exact=True).click()

    # Then they are back on the customer's page, which lists the device
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    expect(page.get_by_role("cell", name=IMEI)).to_be_visible()
    expect(page.locator(".toast")).to_have_text(ui_text("Asset added."))
    device = Asset.objects.get(customer=customer)
    assert (device.kind, device.serial, device.imei, device.model) == ("device", "F2LZK0ABCD12", IMEI, "iPhone 15")
    assert (device.vin, device.plate, device.branch_id) == ("", "", branch.pk)
