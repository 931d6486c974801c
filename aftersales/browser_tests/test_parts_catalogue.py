"""The parts catalogue in the browser: the 配件 navigation by role, creating a part, finding it by OEM and barcode.

Every page a test opens is watched by the `web` fixture: a JavaScript error or a console error on any of
them (pages, htmx partials, redirects) fails the test.
"""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect

from aftersales.browser_tests.helpers import UI_LANGUAGE, field_label, ui_text, unlabelled_fields
from aftersales.core.navigation import NAVIGATION
from aftersales.core.testing import make_person
from aftersales.org.roles import ROLES
from aftersales.parts.forms import PartForm
from aftersales.parts.models import Part
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive
from aftersales.parts.tests.factories import PartFactory, SupplierFactory

pytestmark = pytest.mark.browser


def action(text: str) -> re.Pattern:
    """The name of a button or link that starts with a sign ("＋ New part"): exactly `text` after it."""
    return re.compile(rf"^\W*{re.escape(ui_text(text))}$")


PARTS_SECTION = "Parts"


@pytest.fixture
def parts_keeper(branch):
    """A parts keeper of BJ01, whose store has its default warehouse."""
    warehouse_default_for(branch)
    return make_person(role="parts_keeper", branch=branch, username="keeper")


@pytest.fixture
def technician(branch):
    return make_person(role="technician", branch=branch, username="tech")


def parts_entries_for(role: str) -> list[str]:
    """The labels of the 配件 section's entries that `role`'s permissions allow, in navigation order."""
    permissions = ROLES[role].permissions
    with translation.override("en"):
        (items,) = [items for title, items in NAVIGATION if str(title) == PARTS_SECTION]
    with translation.override(UI_LANGUAGE):
        return [str(item.label) for item in items if item.perm is None or item.perm in permissions]


def parts_section_links(page: Page):
    """The links of the 配件 section: the list right after its heading in the left navigation."""
    navigation = page.get_by_role("complementary", name=ui_text("Main navigation"))
    heading = navigation.get_by_role("heading", name=ui_text(PARTS_SECTION), exact=True)
    expect(heading).to_be_visible()
    return heading.locator("xpath=following-sibling::ul[1]").get_by_role("link")


def retail_price_error(value: str) -> str:
    """What the part's retail price field says about `value`, in the interface language."""
    with translation.override(UI_LANGUAGE):
        try:
            Part._meta.get_field("retail_price").run_validators(Decimal(value))
        except ValidationError as exc:
            return exc.messages[0]
    raise AssertionError(f"{value} is a valid retail price")


def test_parts_keeper_sees_every_parts_entry_and_stock_marks_only_itself_active(web, parts_keeper):
    # Given a parts keeper on the home page
    page = web.new_page(user=parts_keeper)
    page.goto("/")
    links = parts_section_links(page)

    # Then the 配件 section lists every parts page, the ledger and issuing among them
    expected = parts_entries_for("parts_keeper")
    expect(links).to_have_text(expected)
    for label in ("Parts catalogue", "Stock", "Stock moves", "Goods receipts", "Issue parts", "Reservations"):
        assert ui_text(label) in expected
    expect(page.locator(".sidebar a[aria-current=page]")).to_have_count(0)  # the home page is no parts page

    # When they click 库存 (stock)
    links.filter(has_text=re.compile(rf"^{re.escape(ui_text('Stock'))}$")).click()

    # Then the stock list opens, and only the stock entry is marked active (not the catalogue at /parts/)
    expect(page).to_have_url(re.compile(r"/parts/stock/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(ui_text("Stock"))
    active = page.locator(".sidebar a[aria-current=page]")
    expect(active).to_have_count(1)
    expect(active).to_have_text(ui_text("Stock"))
    expect(active).to_have_attribute("href", reverse("parts:stock_list"))
    expect(links.filter(has_text=ui_text("Parts catalogue"))).not_to_have_attribute("aria-current", "page")

    # When they go on to the ledger, the active mark moves with them
    links.filter(has_text=ui_text("Stock moves")).click()
    expect(page).to_have_url(re.compile(r"/parts/moves/$"))
    expect(active).to_have_count(1)
    expect(active).to_have_text(ui_text("Stock moves"))


def test_technician_sees_only_the_parts_pages_their_role_allows(web, technician):
    # Given a technician, who may look parts and stock up but not see costs or move stock
    page = web.new_page(user=technician)
    page.goto("/")

    # Then the 配件 section holds the catalogue and the stock, and neither the ledger nor issuing nor receipts
    links = parts_section_links(page)
    expected = parts_entries_for("technician")
    expect(links).to_have_text(expected)
    assert ui_text("Parts catalogue") in expected and ui_text("Stock") in expected
    for hidden in ("Stock moves", "Issue parts", "Goods receipts"):
        expect(links.filter(has_text=re.compile(rf"^{re.escape(ui_text(hidden))}$"))).to_have_count(0)

    # And the stock list shows no buttons that move stock
    links.filter(has_text=re.compile(rf"^{re.escape(ui_text('Stock'))}$")).click()
    expect(page).to_have_url(re.compile(r"/parts/stock/$"))
    actions = page.locator(".page-head .actions")
    for label in ("Issue parts", "Receive parts", "Adjust stock", "Stock moves"):
        expect(actions.get_by_role("link", name=ui_text(label))).to_have_count(0)

    # And the ledger's address answers with the "not allowed" page
    web.allow_console(r"status of 403")  # Chromium logs the status of the 403 page itself
    response = page.goto(reverse("parts:move_list"))
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(ui_text("Your role does not allow this"))


def fill_part(page: Page, **values: str) -> None:
    for name, value in values.items():
        page.get_by_label(field_label(PartForm, name), exact=True).fill(value)


def test_keeper_creates_a_part_after_a_price_error_then_finds_it_by_oem_number_and_by_barcode(web, parts_keeper):
    # Given other parts in the catalogue, and the keeper on the new-part page reached from the catalogue
    supplier = SupplierFactory(code="BOSCH", name="博世汽配")
    for code, oem in (("OF-001", "15400-RTA-003"), ("AF-002", "17220-R1A-A01"), ("SP-003", "12290-R48-A01")):
        PartFactory(code=code, oem_number=oem)
    page = web.new_page(user=parts_keeper)
    page.goto("/")
    page.get_by_role("complementary").get_by_role("link", name=ui_text("Parts catalogue"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/parts/$"))
    page.get_by_role("link", name=action("New part")).click()
    expect(page).to_have_url(re.compile(r"/parts/new/$"))
    assert unlabelled_fields(page) == []

    # When they fill in the part with a negative retail price and save
    fill_part(
        page,
        code="bp-0451",
        name="前刹车片",
        oem_number="45022-tla-a01",
        brand="本田",
        category="制动",
        unit="套",
        barcode="6923456789012",
        retail_price="-5",
        warranty_price="300",
    )
    page.get_by_label(field_label(PartForm, "supplier"), exact=True).select_option(label=str(supplier))
    page.get_by_role("button", name=ui_text("Save"), exact=True).click()

    # Then the message stands beside the retail price only, what they typed is kept, and nothing is saved
    expect(page).to_have_url(re.compile(r"/parts/new/$"))
    price = page.get_by_label(field_label(PartForm, "retail_price"), exact=True)
    price_field = page.locator(".field.has-error", has=price)
    expect(price_field.locator(".errorlist")).to_have_text(retail_price_error("-5"))
    expect(price).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".errorlist")).to_have_count(1)
    expect(page.get_by_label(field_label(PartForm, "name"), exact=True)).to_have_value("前刹车片")
    expect(page.get_by_label(field_label(PartForm, "barcode"), exact=True)).to_have_value("6923456789012")
    assert not Part.objects.filter(name="前刹车片").exists()

    # When they correct the price and save again
    price.fill("380")
    page.get_by_role("button", name=ui_text("Save"), exact=True).click()

    # Then they land on the new part's page; the code and OEM number are kept in capitals
    expect(page).to_have_url(re.compile(r"/parts/\d+/$"))
    part = Part.objects.get(name="前刹车片")
    assert page.url.endswith(part.get_absolute_url())
    assert (part.code, part.oem_number, part.barcode) == ("BP-0451", "45022-TLA-A01", "6923456789012")
    assert (part.retail_price, part.warranty_price, part.unit, part.supplier) == (
        Decimal("380.00"),
        Decimal("300.00"),
        "套",
        supplier,
    )
    expect(page.locator(".toast")).to_have_text(ui_text("Part created."))
    expect(page.get_by_role("heading", level=1)).to_contain_text("BP-0451")
    expect(page.get_by_role("heading", level=1)).to_contain_text("前刹车片")

    # When they go back to the catalogue and type the OEM number into the search box
    page.get_by_role("complementary").get_by_role("link", name=ui_text("Parts catalogue"), exact=True).click()
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(4)
    page.wait_for_load_state("load")  # htmx (deferred) listens before we type
    page.evaluate("window.loadedOnce = true")  # survives only if the page is not reloaded
    search = page.get_by_label(ui_text("Search"), exact=True)
    with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request") == "true") as answer:
        search.press_sequentially("45022-TLA", delay=20)

    # Then the table narrows to that part in place, without reloading the page
    assert answer.value.ok
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("link", name="BP-0451")).to_have_attribute("href", part.get_absolute_url())
    expect(rows.first).to_contain_text("45022-TLA-A01")
    expect(page).to_have_url(re.compile(r"[?&]q=45022-TLA(&|$)"))
    assert page.evaluate("window.loadedOnce") is True

    # When they open the catalogue afresh and scan the barcode (the scanner types it and presses Enter)
    page.goto(reverse("parts:part_list"))
    expect(search).to_be_focused()  # the search box waits for the scanner
    page.keyboard.type("6923456789012")
    page.keyboard.press("Enter")

    # Then the part's page opens straight away
    expect(page).to_have_url(re.compile(rf"{re.escape(part.get_absolute_url())}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("BP-0451")


def test_every_parts_page_in_the_keepers_navigation_opens_cleanly_with_labelled_fields(
    web, parts_keeper, branch, admin_user
):
    # Given a part in stock, so that the lists have rows and their buttons
    part = PartFactory(code="OF-001", name="机油滤清器")
    line = ReceiptLineIn(part=part, quantity=Decimal("5"), unit_cost=Decimal("20.00"))
    stock_receive(actor=admin_user, warehouse=warehouse_default_for(branch), lines=[line])
    page = web.new_page(user=parts_keeper)
    page.goto("/")
    labels = parts_entries_for("parts_keeper")

    for label in labels:
        # When the keeper opens each entry of the 配件 section
        page.get_by_role("complementary").get_by_role("link", name=label, exact=True).click()

        # Then the page shows its heading with the entry marked, every field has a label, and htmx is loaded
        active = page.locator(".sidebar a[aria-current=page]")
        expect(active).to_have_text(label)
        expect(page.get_by_role("heading", level=1)).not_to_be_empty()
        assert unlabelled_fields(page) == [], label
        page.wait_for_function("() => typeof window.htmx === 'object'")  # its script loaded and ran
    # (any JavaScript or console error on these pages fails the test through the `web` fixture)
