"""Purchasing in the browser, as a parts keeper of BJ01: an order of two lines placed and received in two goes.

Every page a test opens is watched by the `web` fixture: a JavaScript error or a console error on any of
them fails the test.
"""

import re
from decimal import Decimal

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from aftersales.browser_tests.helpers import UI_LANGUAGE, ui_text, unlabelled_fields
from aftersales.core.testing import make_person
from aftersales.parts.choices import PurchaseStatus
from aftersales.parts.forms_purchasing import OrderLineForm, PurchaseOrderForm
from aftersales.parts.models import GoodsReceipt, PurchaseOrder, StockBalance
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.parts.tests.factories import PartFactory, SupplierFactory

pytestmark = pytest.mark.browser


def action(text: str) -> re.Pattern:
    """The name of a button or link that starts with a sign ("＋ New part"): exactly `text` after it."""
    return re.compile(rf"^\W*{re.escape(ui_text(text))}$")


@pytest.fixture
def warehouse(branch):
    return warehouse_default_for(branch)


@pytest.fixture
def parts_keeper(branch, warehouse):
    return make_person(role="parts_keeper", branch=branch, username="keeper")


def label(form_class, name: str) -> str:
    with translation.override(UI_LANGUAGE):
        return str(form_class.base_fields[name].label)


def status_label(status: PurchaseStatus) -> str:
    with translation.override(UI_LANGUAGE):
        return str(status.label)


def on_hand(part, warehouse) -> Decimal:
    balance = StockBalance.objects.filter(part=part, warehouse=warehouse).first()
    return balance.on_hand if balance else Decimal("0")


class Dialogs:
    """Answers the page's confirmation dialogs, and remembers what they asked."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("dialog", self._answer)

    def _answer(self, dialog) -> None:
        self.messages.append(dialog.message)
        dialog.accept()


def line_row(page: Page, code: str):
    """The row of the order's lines table (on the order's page) for part `code`."""
    return page.locator("section.card", has=page.get_by_role("heading", name=ui_text("Lines"), exact=True)).locator(
        "tbody tr", has=page.get_by_text(code, exact=True)
    )


def cell(row, column: str):
    return row.locator(f"td[data-label='{ui_text(column)}']")


def expect_line(page: Page, code: str, *, received: str, outstanding: str) -> None:
    row = line_row(page, code)
    expect(cell(row, "Qty received")).to_have_text(received)
    expect(cell(row, "Outstanding")).to_have_text(outstanding)


def test_keeper_orders_two_lines_places_the_order_and_receives_it_in_two_deliveries(web, parts_keeper, warehouse):
    # Given a supplier and two of its parts, and the keeper on the purchase orders page
    supplier = SupplierFactory(code="BOSCH", name="博世汽配")
    oil_filter = PartFactory(code="OF-001", name="机油滤清器", supplier=supplier)
    brake_pads = PartFactory(code="BP-002", name="前刹车片", unit="套", supplier=supplier)
    page = web.new_page(user=parts_keeper)
    dialogs = Dialogs(page)
    page.goto("/")
    page.get_by_role("complementary").get_by_role("link", name=ui_text("Purchase orders"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/parts/purchases/$"))

    # When they write a new order of ten oil filters and four sets of brake pads
    page.get_by_role("link", name=action("New purchase order")).click()
    expect(page).to_have_url(re.compile(r"/parts/purchases/new/$"))
    assert unlabelled_fields(page) == []
    page.get_by_label(label(PurchaseOrderForm, "supplier"), exact=True).select_option(label=str(supplier))
    expect(page.get_by_label(label(PurchaseOrderForm, "warehouse"), exact=True)).to_have_value(str(warehouse.pk))
    for row, (code, quantity, cost) in enumerate((("OF-001", "10", "25"), ("bp-002", "4", "180.50")), start=1):
        for name, value in (("part", code), ("quantity", quantity), ("unit_cost", cost)):
            page.get_by_label(f"{label(OrderLineForm, name)} {row}", exact=True).fill(value)
    page.get_by_role("button", name=ui_text("Save"), exact=True).click()

    # Then the order's page shows a draft of two lines worth ¥972.00
    expect(page).to_have_url(re.compile(r"/parts/purchases/\d+/$"))
    order = PurchaseOrder.objects.get()
    assert page.url.endswith(order.get_absolute_url())
    expect(page.locator(".toast")).to_have_text(ui_text("Purchase order %(number)s saved.") % {"number": order.number})
    status = page.get_by_role("heading", level=1).locator(".tag")
    expect(status).to_have_text(status_label(PurchaseStatus.DRAFT))
    expect_line(page, "OF-001", received="0", outstanding="10")
    expect_line(page, "BP-002", received="0", outstanding="4")
    expect(page.locator("tfoot")).to_contain_text("¥972.00")
    expect(page.get_by_role("link", name=ui_text("Receive"), exact=True)).to_have_count(0)  # not before it is placed

    # When they place the order (and confirm)
    page.get_by_role("button", name=ui_text("Place order"), exact=True).click()

    # Then it is ordered, and may be received
    expect(status).to_have_text(status_label(PurchaseStatus.ORDERED))
    assert dialogs.messages == [ui_text("Send this order to the supplier? Its lines can no longer be edited.")]
    placed = ui_text("Purchase order %(number)s is now %(status)s.")
    expect(page.locator(".toast")).to_have_text(
        placed % {"number": order.number, "status": status_label(PurchaseStatus.ORDERED)}
    )
    expect(page.get_by_role("link", name=ui_text("Edit"), exact=True)).to_have_count(0)

    # When the first delivery brings six oil filters and no brake pads
    page.get_by_role("link", name=ui_text("Receive"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(order.get_absolute_url())}receive/$"))
    assert unlabelled_fields(page) == []
    oil_quantity = page.get_by_label(ui_text("Quantity of %(code)s") % {"code": "OF-001"}, exact=True)
    pads_quantity = page.get_by_label(ui_text("Quantity of %(code)s") % {"code": "BP-002"}, exact=True)
    expect(oil_quantity).to_have_value("10.00")  # all that is outstanding, unless told otherwise
    expect(pads_quantity).to_have_value("4.00")
    oil_quantity.fill("6")
    pads_quantity.fill("0")
    page.get_by_role("button", name=ui_text("Post receipt"), exact=True).click()

    # Then the order is partly received: six in, four outstanding, the pads all outstanding, one receipt listed
    expect(page).to_have_url(re.compile(rf"{re.escape(order.get_absolute_url())}$"))
    expect(status).to_have_text(status_label(PurchaseStatus.PARTIAL))
    first = GoodsReceipt.objects.get()
    expect(page.locator(".toast")).to_have_text(re.compile(re.escape(first.number)))
    expect_line(page, "OF-001", received="6", outstanding="4")
    expect_line(page, "BP-002", received="0", outstanding="4")
    receipts = page.locator("section.card", has=page.get_by_role("heading", name=ui_text("Receipts"), exact=True))
    expect(receipts.locator("tbody tr")).to_have_count(1)
    expect(receipts.get_by_role("link", name=first.number)).to_be_visible()
    assert (on_hand(oil_filter, warehouse), on_hand(brake_pads, warehouse)) == (Decimal("6"), Decimal("0"))

    # When the second delivery brings the rest (the form offers exactly what is outstanding)
    page.get_by_role("link", name=ui_text("Receive"), exact=True).click()
    expect(oil_quantity).to_have_value("4.00")
    expect(pads_quantity).to_have_value("4.00")
    page.get_by_role("button", name=ui_text("Post receipt"), exact=True).click()

    # Then the order is received in full, with two receipts, and nothing more to receive
    expect(page).to_have_url(re.compile(rf"{re.escape(order.get_absolute_url())}$"))
    expect(status).to_have_text(status_label(PurchaseStatus.RECEIVED))
    expect_line(page, "OF-001", received="10", outstanding="0")
    expect_line(page, "BP-002", received="4", outstanding="0")
    expect(receipts.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_role("link", name=ui_text("Receive"), exact=True)).to_have_count(0)
    expect(page.locator(".page-head .actions").get_by_role("button")).to_have_count(0)  # no status move is left
    confirm_receipt = ui_text("Post this receipt? The parts go into stock at the costs entered.")
    assert dialogs.messages[1:] == [confirm_receipt, confirm_receipt]
    order.refresh_from_db()
    assert order.status == PurchaseStatus.RECEIVED
    assert (on_hand(oil_filter, warehouse), on_hand(brake_pads, warehouse)) == (Decimal("10"), Decimal("4"))

    # And the purchase order list shows it received
    page.get_by_role("complementary").get_by_role("link", name=ui_text("Purchase orders"), exact=True).click()
    row = page.locator("#results tbody tr", has=page.get_by_role("link", name=order.number))
    expect(cell(row, "Status")).to_have_text(status_label(PurchaseStatus.RECEIVED))
    expect(cell(row, "Amount")).to_have_text("¥972.00")
