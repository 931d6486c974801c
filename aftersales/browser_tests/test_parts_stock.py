"""Stock in the browser, as a parts keeper of BJ01: receiving, the ledger, issuing, reversing, reservations, a phone.

Every page a test opens is watched by the `web` fixture: a JavaScript error or a console error on any of
them (pages, htmx partials, redirects) fails the test.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect

from aftersales.browser_tests.helpers import UI_LANGUAGE, ui_text, unlabelled_fields
from aftersales.core.testing import make_person
from aftersales.parts.choices import MoveKind, ReservationStatus
from aftersales.parts.forms_stock import (
    IssueForm,
    MoveReverseForm,
    ReceiptForm,
    ReceiptLineForm,
    ReservationForm,
    ReservationIssueForm,
)
from aftersales.parts.models import GoodsReceipt, StockBalance, StockMove, StockReservation
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive
from aftersales.parts.tests.factories import PartFactory, SupplierFactory

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}


def action(text: str) -> re.Pattern:
    """The name of a button or link that starts with a sign ("＋ New part"): exactly `text` after it."""
    return re.compile(rf"^\W*{re.escape(ui_text(text))}$")


@pytest.fixture
def warehouse(branch):
    """BJ01's default warehouse (code BJ01)."""
    return warehouse_default_for(branch)


@pytest.fixture
def parts_keeper(branch, warehouse):
    return make_person(role="parts_keeper", branch=branch, username="keeper")


@pytest.fixture
def supplier(db):
    return SupplierFactory(code="BOSCH", name="博世汽配")


@pytest.fixture
def oil_filter(supplier):
    return PartFactory(
        code="OF-001", name="机油滤清器", oem_number="15400-RTA-003", barcode="6901234567892", supplier=supplier
    )


@pytest.fixture
def brake_pads(supplier):
    return PartFactory(code="BP-002", name="前刹车片", unit="套", supplier=supplier)


@pytest.fixture
def in_stock(admin_user, warehouse):
    """`in_stock(part, quantity, unit_cost)`: receive stock into BJ01 through the ledger, as set-up."""

    def receive(part, quantity, unit_cost):
        line = ReceiptLineIn(part=part, quantity=Decimal(quantity), unit_cost=Decimal(unit_cost))
        return stock_receive(actor=admin_user, warehouse=warehouse, lines=[line])

    return receive


def label(form_class, name: str) -> str:
    """The label of a stock form's field in the interface language (these forms need a user to build)."""
    with translation.override(UI_LANGUAGE):
        return str(form_class.base_fields[name].label)


def balance(part, warehouse) -> tuple[Decimal, Decimal]:
    row = StockBalance.objects.get(part=part, warehouse=warehouse)
    return row.on_hand, row.reserved


def open_from_navigation(page: Page, entry: str) -> None:
    page.get_by_role("complementary").get_by_role("link", name=ui_text(entry), exact=True).click()


def cell(row, column: str):
    """The cell of a responsive table row under `column` (each cell carries its column's label)."""
    return row.locator(f"td[data-label='{ui_text(column)}']")


def expect_balance_row(page: Page, warehouse, *, on_hand: str, reserved: str, available: str) -> None:
    """The part page's row of `warehouse` in the stock-by-warehouse table."""
    row = page.locator(f"#balances tr[data-warehouse='{warehouse.code}']")
    expect(cell(row, "On hand")).to_have_text(on_hand)
    expect(cell(row, "Reserved")).to_have_text(reserved)
    expect(cell(row, "Available")).to_have_text(available)


def stock_row(page: Page, part):
    return page.locator("#results tbody tr", has=page.get_by_role("link", name=part.code, exact=True))


def test_keeper_receives_two_lines_then_issues_and_reverses_through_the_pages(
    web, parts_keeper, warehouse, supplier, oil_filter, brake_pads
):
    # Given the keeper on the stock list, reached from the navigation, with no stock yet
    page = web.new_page(user=parts_keeper)
    page.goto("/")
    open_from_navigation(page, "Stock")
    expect(page).to_have_url(re.compile(r"/parts/stock/$"))

    # When they open the receipt form: the store's default warehouse is chosen, five empty lines wait
    page.get_by_role("link", name=action("Receive parts")).click()
    expect(page).to_have_url(re.compile(r"/parts/receipts/new/$"))
    expect(page.get_by_label(label(ReceiptForm, "warehouse"), exact=True)).to_have_value(str(warehouse.pk))
    lines = page.locator("fieldset.receipt-line")
    expect(lines).to_have_count(5)
    assert unlabelled_fields(page) == []

    # When they add a line with the button: one more row appears in place, the page is not reloaded
    page.evaluate("window.loadedOnce = true")
    with page.expect_response(lambda r: "/parts/receipts/new/line/" in r.url) as answer:
        page.get_by_role("button", name=action("Add line")).click()
    assert answer.value.ok
    expect(lines).to_have_count(6)
    expect(page).to_have_url(re.compile(r"/parts/receipts/new/$"))
    assert page.evaluate("window.loadedOnce") is True
    expect(page.get_by_role("button", name=action("Add line"))).to_have_count(1)  # the button moved on, not doubled

    # And fill the first line and the added sixth one (the parts typed by code), choose the supplier and post
    page.get_by_label(label(ReceiptForm, "supplier"), exact=True).select_option(label=str(supplier))
    for number, (code, quantity, cost) in ((1, ("OF-001", "10", "25")), (6, ("bp-002", "4", "180.50"))):
        line = page.get_by_role("group", name=ui_text("Line %(number)s") % {"number": number}, exact=True)
        line.get_by_label(label(ReceiptLineForm, "part"), exact=True).fill(code)
        line.get_by_label(label(ReceiptLineForm, "quantity"), exact=True).fill(quantity)
        line.get_by_label(label(ReceiptLineForm, "unit_cost"), exact=True).fill(cost)
    page.get_by_role("button", name=ui_text("Post the receipt"), exact=True).click()

    # Then the receipt's page shows both lines, the empty ones left out
    expect(page).to_have_url(re.compile(r"/parts/receipts/\d+/$"))
    receipt = GoodsReceipt.objects.get()
    assert page.url.endswith(reverse("parts:receipt_detail", args=[receipt.pk]))
    assert (receipt.warehouse, receipt.supplier, receipt.created_by) == (warehouse, supplier, parts_keeper)
    posted = ui_text("Receipt %(number)s posted: %(lines)s lines into %(warehouse)s.")
    expect(page.locator(".toast")).to_have_text(posted % {"number": receipt.number, "lines": 2, "warehouse": "BJ01"})
    receipt_rows = page.locator("table.data tbody tr")
    expect(receipt_rows).to_have_count(2)
    expect(receipt_rows.nth(0)).to_contain_text("OF-001")
    expect(cell(receipt_rows.nth(0), "Value")).to_have_text("¥250.00")
    expect(receipt_rows.nth(1)).to_contain_text("BP-002")
    expect(cell(receipt_rows.nth(1), "Value")).to_have_text("¥722.00")
    expect(page.locator("table.data tfoot")).to_contain_text("¥972.00")

    # When they follow the receipt to its stock moves
    page.get_by_role("link", name=ui_text("Its stock moves"), exact=True).click()

    # Then the ledger holds one receipt move per line, filtered by the receipt's number
    expect(page).to_have_url(re.compile(rf"/parts/moves/\?reference={re.escape(receipt.number)}$"))
    move_rows = page.locator("#results tbody tr")
    expect(move_rows).to_have_count(2)
    with translation.override(UI_LANGUAGE):
        receipt_kind = str(MoveKind.RECEIPT.label)
    for row, (code, quantity) in zip(move_rows.all(), (("BP-002", "+4"), ("OF-001", "+10")), strict=True):
        expect(cell(row, "Kind")).to_have_text(receipt_kind)
        expect(cell(row, "Part")).to_contain_text(code)
        expect(cell(row, "Quantity")).to_have_text(quantity)
        expect(cell(row, "Reference")).to_have_text(receipt.number)

    # When they open the oil filter's page from the stock list
    open_from_navigation(page, "Stock")
    stock_row(page, oil_filter).get_by_role("link", name="OF-001", exact=True).click()

    # Then the balance of BJ01 shows the ten received at ¥25.00 each
    expect(page).to_have_url(re.compile(rf"{re.escape(oil_filter.get_absolute_url())}$"))
    expect_balance_row(page, warehouse, on_hand="10", reserved="0", available="10")
    balances = page.locator(f"#balances tr[data-warehouse='{warehouse.code}']")
    expect(cell(balances, "Average cost")).to_have_text("¥25.00")
    expect(cell(balances, "Stock value")).to_have_text("¥250.00")
    expect(page.locator("#moves tbody tr")).to_have_count(1)

    # When they issue eleven from the stock list's "Issue" button (one more than there is)
    open_from_navigation(page, "Stock")
    stock_row(page, oil_filter).get_by_role("link", name=ui_text("Issue"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/parts/stock/issue/\?"))
    expect(page.get_by_label(label(IssueForm, "part"), exact=True)).to_have_value("OF-001")
    expect(page.get_by_label(label(IssueForm, "warehouse"), exact=True)).to_have_value(str(warehouse.pk))
    assert unlabelled_fields(page) == []
    page.get_by_label(label(IssueForm, "quantity"), exact=True).fill("11")
    page.get_by_label(label(IssueForm, "reference"), exact=True).fill("WO-0001")
    page.get_by_role("button", name=ui_text("Issue parts"), exact=True).click()

    # Then the conflict is shown above the form, the input is kept, and the balance has not changed
    conflict = ui_text(
        "Not enough stock of %(part)s in %(warehouse)s: %(available)s available, %(requested)s asked for."
    )
    expected = conflict % {"part": "OF-001", "warehouse": "BJ01", "available": "10", "requested": "11"}
    expect(page.get_by_role("alert")).to_have_text(expected)
    expect(page).to_have_url(re.compile(r"/parts/stock/issue/"))
    expect(page.get_by_label(label(IssueForm, "quantity"), exact=True)).to_have_value("11")
    expect(page.locator(".stock-beside")).to_contain_text("10")
    assert balance(oil_filter, warehouse) == (Decimal("10"), Decimal("0"))
    assert not StockMove.objects.filter(kind=MoveKind.ISSUE).exists()

    # When they issue the ten that are available
    page.get_by_label(label(IssueForm, "quantity"), exact=True).fill("10")
    page.get_by_role("button", name=ui_text("Issue parts"), exact=True).click()

    # Then the issue's move page shows the stock left, and the balance dropped to nothing
    expect(page).to_have_url(re.compile(r"/parts/moves/\d+/$"))
    issue = StockMove.objects.get(kind=MoveKind.ISSUE)
    assert page.url.endswith(reverse("parts:move_detail", args=[issue.pk]))
    issued = ui_text("Issued %(quantity)s × %(part)s from %(warehouse)s.")
    expect(page.locator(".toast")).to_have_text(issued % {"quantity": "10", "part": "OF-001", "warehouse": "BJ01"})
    assert (issue.quantity, issue.reference, issue.created_by) == (Decimal("-10"), "WO-0001", parts_keeper)
    assert balance(oil_filter, warehouse) == (Decimal("0"), Decimal("0"))

    # When they reverse the issue from its page, but cancel the confirmation first
    page.get_by_role("link", name=ui_text("Reverse"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"/parts/moves/{issue.pk}/reverse/$"))
    page.get_by_label(label(MoveReverseForm, "note"), exact=True).fill("领错了")
    dialogs = []

    def answer(dialog, accept: bool) -> None:
        dialogs.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    reverse_button = page.get_by_role("button", name=ui_text("Reverse the move"), exact=True)
    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    reverse_button.click()
    expect(page).to_have_url(re.compile(rf"/parts/moves/{issue.pk}/reverse/$"))
    assert dialogs == [ui_text("Post the opposite move now? This cannot be undone.")]
    assert not StockMove.objects.filter(reverses=issue).exists()

    # And then confirm it
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    reverse_button.click()

    # Then the reversal's page opens, marked as a reversal of the issue, and the ten are back on hand
    expect(page).to_have_url(re.compile(r"/parts/moves/\d+/$"))
    reversal = StockMove.objects.get(reverses=issue)
    assert page.url.endswith(reverse("parts:move_detail", args=[reversal.pk]))
    done = ui_text("Move #%(id)s reversed by move #%(reversal)s.") % {"id": issue.pk, "reversal": reversal.pk}
    expect(page.locator(".toast")).to_have_text(done)
    expect(page.get_by_role("heading", level=1)).to_contain_text(ui_text("Reversal"))
    expect(page.get_by_role("link", name=ui_text("Reverse"), exact=True)).to_have_count(0)
    assert (reversal.quantity, reversal.note, len(dialogs)) == (Decimal("10"), "领错了", 2)
    page.get_by_role("link", name="OF-001", exact=True).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(oil_filter.get_absolute_url())}$"))
    expect_balance_row(page, warehouse, on_hand="10", reserved="0", available="10")
    assert balance(oil_filter, warehouse) == (Decimal("10"), Decimal("0"))

    # And the issue's own page now says it was reversed, and offers no second reversal
    page.goto(reverse("parts:move_detail", args=[issue.pk]))
    expect(page.get_by_role("heading", level=1)).to_contain_text(ui_text("Reversed"))
    expect(page.get_by_role("link", name=ui_text("Reverse"), exact=True)).to_have_count(0)


def test_keeper_reserves_two_sees_available_drop_and_issues_against_the_reservation(
    web, parts_keeper, warehouse, oil_filter, in_stock
):
    # Given ten oil filters in BJ01, and the keeper on the reservations page
    in_stock(oil_filter, "10", "25.00")
    page = web.new_page(user=parts_keeper)
    page.goto("/")
    open_from_navigation(page, "Reservations")
    expect(page).to_have_url(re.compile(r"/parts/reservations/$"))

    # When they reserve two for a service order, scanning the part's barcode
    page.get_by_role("link", name=action("Reserve parts")).click()
    expect(page).to_have_url(re.compile(r"/parts/reservations/new/$"))
    expect(page.get_by_label(label(ReservationForm, "warehouse"), exact=True)).to_have_value(str(warehouse.pk))
    assert unlabelled_fields(page) == []
    page.get_by_label(label(ReservationForm, "part"), exact=True).fill("6901234567892")
    page.get_by_label(label(ReservationForm, "quantity"), exact=True).fill("2")
    page.get_by_label(label(ReservationForm, "reference"), exact=True).fill("WO-2026-0007")
    page.get_by_role("button", name=ui_text("Reserve parts"), exact=True).click()

    # Then the reservation's page shows it open for the oil filter
    expect(page).to_have_url(re.compile(r"/parts/reservations/\d+/$"))
    reservation = StockReservation.objects.get()
    assert (reservation.part, reservation.quantity, reservation.reference) == (
        oil_filter,
        Decimal("2"),
        "WO-2026-0007",
    )
    reserved = ui_text("Reserved %(quantity)s × %(part)s for %(reference)s.")
    expect(page.locator(".toast")).to_have_text(
        reserved % {"quantity": "2", "part": "OF-001", "reference": "WO-2026-0007"}
    )
    with translation.override(UI_LANGUAGE):
        open_label, issued_label = str(ReservationStatus.OPEN.label), str(ReservationStatus.ISSUED.label)
    expect(page.get_by_role("heading", level=1)).to_contain_text(open_label)

    # When they look at the stock list
    open_from_navigation(page, "Stock")

    # Then two of the ten are reserved and eight are available
    row = stock_row(page, oil_filter)
    expect(cell(row, "On hand")).to_contain_text("10")
    expect(cell(row, "Reserved")).to_have_text("2")
    expect(cell(row, "Available")).to_have_text("8")

    # When they open the reservation from the list and issue against it, leaving the quantity empty (all of it)
    open_from_navigation(page, "Reservations")
    page.locator("#results").get_by_role("link", name="WO-2026-0007").click()
    expect(page).to_have_url(re.compile(rf"/parts/reservations/{reservation.pk}/$"))
    expect(page.get_by_label(label(ReservationIssueForm, "quantity"), exact=True)).to_have_value("")
    page.get_by_role("button", name=ui_text("Issue"), exact=True).click()

    # Then the issue's move page opens: two issued against the reservation, which is closed
    expect(page).to_have_url(re.compile(r"/parts/moves/\d+/$"))
    issue = StockMove.objects.get(kind=MoveKind.ISSUE)
    assert (issue.quantity, issue.reference) == (Decimal("-2"), "WO-2026-0007")
    against = ui_text("Issued %(quantity)s × %(part)s against %(reference)s.")
    expect(page.locator(".toast")).to_have_text(
        against % {"quantity": "2", "part": "OF-001", "reference": "WO-2026-0007"}
    )
    reservation.refresh_from_db()
    assert (reservation.status, reservation.issued) == (ReservationStatus.ISSUED, Decimal("2"))
    assert balance(oil_filter, warehouse) == (Decimal("8"), Decimal("0"))

    # And the stock list shows eight on hand, none reserved, eight available
    open_from_navigation(page, "Stock")
    row = stock_row(page, oil_filter)
    expect(cell(row, "On hand")).to_contain_text("8")
    expect(cell(row, "Reserved")).to_have_text("0")
    expect(cell(row, "Available")).to_have_text("8")

    # And the reservation's page shows it issued, with no issue form left
    page.goto(reverse("parts:reservation_detail", args=[reservation.pk]))
    expect(page.get_by_role("heading", level=1)).to_contain_text(issued_label)
    expect(page.get_by_role("button", name=ui_text("Issue"), exact=True)).to_have_count(0)


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_keeper_issues_parts_on_a_phone_without_horizontal_scrolling(
    web, parts_keeper, warehouse, oil_filter, in_stock
):
    # Given ten oil filters in BJ01, and the keeper on a phone at the stock list
    in_stock(oil_filter, "10", "25.00")
    page = web.new_page(user=parts_keeper, **PHONE)
    page.goto(reverse("parts:stock_list"))
    assert no_horizontal_scroll(page)

    # When they tap "Issue" on the oil filter's row
    stock_row(page, oil_filter).get_by_role("link", name=ui_text("Issue"), exact=True).tap()
    expect(page).to_have_url(re.compile(r"/parts/stock/issue/\?"))

    # Then every field of the form is visible, as wide as is useful and inside the screen, and nothing scrolls sideways
    assert no_horizontal_scroll(page)
    form = page.locator("form.card.stacked")
    fields = [page.get_by_label(label(IssueForm, name), exact=True) for name in IssueForm.base_fields]
    submit = form.get_by_role("button", name=ui_text("Issue parts"), exact=True)
    for control in [*fields, submit]:
        control.scroll_into_view_if_needed()
        expect(control).to_be_visible()
        expect(control).to_be_in_viewport()
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert box["height"] >= 30, box  # big enough to tap
    for field in fields:
        assert field.bounding_box()["width"] >= 250  # the fields take the screen's width, not a sliver of it
    form_box = form.bounding_box()
    assert form_box["x"] >= 0 and form_box["x"] + form_box["width"] <= 390
    assert form.evaluate("el => el.scrollWidth <= el.clientWidth")

    # When they type the quantity and reference and tap the button
    page.get_by_label(label(IssueForm, "quantity"), exact=True).tap()
    page.get_by_label(label(IssueForm, "quantity"), exact=True).fill("3")
    page.get_by_label(label(IssueForm, "reference"), exact=True).fill("WO-0003")
    submit.tap()

    # Then the issue is posted, its page fits the screen too, and seven are left
    expect(page).to_have_url(re.compile(r"/parts/moves/\d+/$"))
    issued = ui_text("Issued %(quantity)s × %(part)s from %(warehouse)s.")
    expect(page.locator(".toast")).to_have_text(issued % {"quantity": "3", "part": "OF-001", "warehouse": "BJ01"})
    assert no_horizontal_scroll(page)
    assert balance(oil_filter, warehouse) == (Decimal("7"), Decimal("0"))
