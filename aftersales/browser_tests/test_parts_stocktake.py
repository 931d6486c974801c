"""A stocktake in the browser: the keeper counts on the downloaded sheet, the parts manager approves it.

Every page a test opens is watched by the `web` fixture: a JavaScript error or a console error on any of
them fails the test.
"""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from aftersales.browser_tests.helpers import UI_LANGUAGE, ui_text, unlabelled_fields
from aftersales.core.testing import make_person
from aftersales.core.xlsx import XLSX_CONTENT_TYPE
from aftersales.parts.choices import MoveKind, StocktakeStatus
from aftersales.parts.forms_stocktake import CountSheetUploadForm, StocktakeStartForm
from aftersales.parts.models import StockBalance, StockMove, Stocktake
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive
from aftersales.parts.tests.factories import PartFactory

pytestmark = pytest.mark.browser


def action(text: str) -> re.Pattern:
    """The name of a button or link that starts with a sign ("＋ New part"): exactly `text` after it."""
    return re.compile(rf"^\W*{re.escape(ui_text(text))}$")


#: What the keeper finds on the shelves, against what the system holds.
SYSTEM = {"BP-002": "4", "OF-001": "10", "SP-003": "6"}
COUNTED = {"BP-002": 4, "OF-001": 8, "SP-003": 7}


@pytest.fixture
def warehouse(branch):
    return warehouse_default_for(branch)


@pytest.fixture
def parts_keeper(branch, warehouse):
    return make_person(role="parts_keeper", branch=branch, username="keeper")


@pytest.fixture
def parts_manager(branch, warehouse):
    return make_person(role="parts_manager", branch=branch, username="manager")


@pytest.fixture
def stocked_parts(admin_user, warehouse):
    """Three parts in BJ01 at ¥20.00 each, received through the ledger."""
    parts = {code: PartFactory(code=code) for code in SYSTEM}
    stock_receive(
        actor=admin_user,
        warehouse=warehouse,
        lines=[
            ReceiptLineIn(part=parts[code], quantity=Decimal(quantity), unit_cost=Decimal("20.00"))
            for code, quantity in SYSTEM.items()
        ],
    )
    return parts


def label(form_class, name: str) -> str:
    with translation.override(UI_LANGUAGE):
        return str(form_class.base_fields[name].label)


def status_label(status: StocktakeStatus) -> str:
    with translation.override(UI_LANGUAGE):
        return str(status.label)


def cell(row, column: str):
    return row.locator(f"td[data-label='{ui_text(column)}']")


def count_row(page: Page, code: str):
    return page.locator("#results tbody tr", has=page.get_by_text(code, exact=True))


class Dialogs:
    """Accepts the page's confirmation dialogs, and remembers what they asked."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("dialog", self._answer)

    def _answer(self, dialog) -> None:
        self.messages.append(dialog.message)
        dialog.accept()


def filled_sheet(sheet_bytes: bytes, counts: dict[str, int]) -> bytes:
    """The downloaded count sheet with the counted quantities written in, as the keeper saves it."""
    workbook = load_workbook(io.BytesIO(sheet_bytes))
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[2]]
    code_column = headers.index(ui_text("Part code")) + 1
    counted_column = headers.index(ui_text("Counted quantity")) + 1
    for row in range(3, sheet.max_row + 1):
        code = sheet.cell(row=row, column=code_column).value
        sheet.cell(row=row, column=counted_column, value=counts[code])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_keeper_counts_on_the_downloaded_sheet_and_the_manager_approves_the_variances(
    web, parts_keeper, parts_manager, warehouse, stocked_parts
):
    # Given three parts in BJ01, and the keeper on the stocktakes page
    page = web.new_page(user=parts_keeper)
    dialogs = Dialogs(page)
    page.goto("/")
    page.get_by_role("complementary").get_by_role("link", name=ui_text("Stocktakes"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/parts/stocktakes/$"))

    # When they start a stocktake of the whole warehouse
    page.get_by_role("link", name=action("New stocktake")).click()
    expect(page).to_have_url(re.compile(r"/parts/stocktakes/new/$"))
    assert unlabelled_fields(page) == []
    expect(page.get_by_label(label(StocktakeStartForm, "warehouse"), exact=True)).to_have_value(str(warehouse.pk))
    page.get_by_label(label(StocktakeStartForm, "note"), exact=True).fill("月末盘点")
    page.get_by_role("button", name=ui_text("Save"), exact=True).click()

    # Then the stocktake's page lists a line per part with its system quantity, counting
    expect(page).to_have_url(re.compile(r"/parts/stocktakes/\d+/$"))
    stocktake = Stocktake.objects.get()
    assert page.url.endswith(stocktake.get_absolute_url())
    status = page.get_by_role("heading", level=1).locator(".tag")
    expect(status).to_have_text(status_label(StocktakeStatus.COUNTING))
    expect(page.locator("#results tbody tr")).to_have_count(3)
    for code, quantity in SYSTEM.items():
        expect(cell(count_row(page, code), "System quantity")).to_have_text(quantity)
    assert unlabelled_fields(page) == []

    # When they download the count sheet through the browser
    sheet_link = page.get_by_role("link", name=action("Count sheet"))
    with page.expect_download() as download_info:
        sheet_link.click()
    download = download_info.value

    # Then it is an xlsx sheet named after the stocktake: a title row, the headers, one row per line
    assert download.suggested_filename == f"{stocktake.number}.xlsx"
    sheet_bytes = Path(download.path()).read_bytes()
    rows = [list(row) for row in load_workbook(io.BytesIO(sheet_bytes), read_only=True).worksheets[0].values]
    assert stocktake.number in rows[0]
    headers = rows[1]
    assert headers[-2:] == [ui_text("System quantity"), ui_text("Counted quantity")]
    columns = [headers.index(ui_text(name)) for name in ("Part code", "System quantity", "Counted quantity")]
    padded = [row + [None] * (len(headers) - len(row)) for row in rows[2:]]  # trailing blanks are not stored
    assert [tuple(row[c] for c in columns) for row in padded] == [
        (code, int(quantity), None) for code, quantity in SYSTEM.items()
    ]

    # When they fill in what they counted and upload the sheet
    page.get_by_label(label(CountSheetUploadForm, "file"), exact=True).set_input_files(
        files=[{"name": "盘点表.xlsx", "mimeType": XLSX_CONTENT_TYPE, "buffer": filled_sheet(sheet_bytes, COUNTED)}]
    )
    page.get_by_role("button", name=ui_text("Read the counts"), exact=True).click()

    # Then the counts and the variances show on the lines: two short, one over, one right
    expect(page).to_have_url(re.compile(rf"{re.escape(stocktake.get_absolute_url())}$"))
    expect(page.locator(".toast")).to_have_text(
        ui_text("Counts read from the sheet: %(counted)d lines.") % {"counted": 3}
    )
    for code, variance in (("BP-002", "0"), ("OF-001", "-2"), ("SP-003", "+1")):
        row = count_row(page, code)
        expect(row.get_by_label(ui_text("Counted quantity of %(code)s") % {"code": code}, exact=True)).to_have_value(
            str(COUNTED[code])
        )
        expect(cell(row, "Variance")).to_have_text(variance)
    expect(cell(count_row(page, "OF-001"), "Variance value")).to_have_text("-¥40.00")
    expect(cell(count_row(page, "SP-003"), "Variance value")).to_have_text("¥20.00")

    # When they submit it for approval (and confirm)
    page.get_by_role("button", name=ui_text("Submit for approval"), exact=True).click()

    # Then it waits for approval, which the keeper may not give
    expect(status).to_have_text(status_label(StocktakeStatus.SUBMITTED))
    assert dialogs.messages == [ui_text("Submit the counts for approval?")]
    expect(page.get_by_role("button", name=ui_text("Approve and post"), exact=True)).to_have_count(0)
    assert not StockMove.objects.filter(kind=MoveKind.STOCKTAKE).exists()

    # When the parts manager opens it and approves it (and confirms)
    manager_page = web.new_page(user=parts_manager)
    manager_dialogs = Dialogs(manager_page)
    manager_page.goto(stocktake.get_absolute_url())
    manager_page.get_by_role("button", name=ui_text("Approve and post"), exact=True).click()

    # Then it is approved, and the counted lines are read-only now
    manager_status = manager_page.get_by_role("heading", level=1).locator(".tag")
    expect(manager_status).to_have_text(status_label(StocktakeStatus.APPROVED))
    approved = ui_text("Stocktake %(number)s approved; the variances are posted.")
    expect(manager_page.locator(".toast")).to_have_text(approved % {"number": stocktake.number})
    assert manager_dialogs.messages == [
        ui_text("Approve the stocktake and post every variance to the stock ledger? This cannot be undone.")
    ]
    expect(manager_page.locator("#results input[name=counted]")).to_have_count(0)

    # And the ledger holds one stocktake move per variance, found by the stocktake's number
    manager_page.get_by_role("complementary").get_by_role("link", name=ui_text("Stock moves"), exact=True).click()
    expect(manager_page).to_have_url(re.compile(r"/parts/moves/$"))
    manager_page.wait_for_load_state("load")  # htmx (deferred) listens before we type
    moves = manager_page.locator("#results tbody tr")
    with manager_page.expect_response(lambda r: "reference=" in r.url and r.request.headers.get("hx-request")):
        manager_page.get_by_label(ui_text("Reference"), exact=True).fill(stocktake.number)
    expect(moves).to_have_count(2)
    with translation.override(UI_LANGUAGE):
        stocktake_kind = str(MoveKind.STOCKTAKE.label)
    for code, quantity, after in (("OF-001", "-2", "8"), ("SP-003", "+1", "7")):
        row = moves.filter(has_text=code)
        expect(cell(row, "Kind")).to_have_text(stocktake_kind)
        expect(cell(row, "Quantity")).to_have_text(quantity)
        expect(cell(row, "On hand after")).to_have_text(after)
        expect(cell(row, "Reference")).to_have_text(stocktake.number)
    on_hand = dict(StockBalance.objects.filter(warehouse=warehouse).values_list("part__code", "on_hand"))
    assert on_hand == {code: Decimal(counted) for code, counted in COUNTED.items()}

    # And the keeper's page, once reloaded, shows the approval too
    page.reload()
    expect(status).to_have_text(status_label(StocktakeStatus.APPROVED))
