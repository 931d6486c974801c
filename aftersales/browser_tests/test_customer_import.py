"""Importing customers with their vehicles from an xlsx sheet: template, upload, preview, confirm."""

import io
import re
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from aftersales.browser_tests.helpers import UI_LANGUAGE, field_label, ui_text, unlabelled_fields
from aftersales.core.testing import make_person
from aftersales.core.validators import vin_check_digit_ok
from aftersales.core.xlsx import XLSX_CONTENT_TYPE
from aftersales.customers.forms import ImportUploadForm
from aftersales.customers.imports import COLUMNS, column_labels
from aftersales.customers.models import Asset, Customer

pytestmark = pytest.mark.browser


def sheet_with(headers: list[str], rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_customer_care_fills_the_template_and_imports_it_after_the_preview(web, branch):
    # Given customer care on the import page, reached from the navigation
    clerk = make_person(role="customer_care", branch=branch, username="care")
    page = web.new_page(user=clerk)
    page.goto("/")
    page.get_by_role("complementary").get_by_role("link", name=ui_text("Import customers"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/customers/import/$"))
    assert unlabelled_fields(page) == []

    # When they download the template
    template_link = page.get_by_role("link", name=ui_text("Download the template"))
    answer = page.request.get(template_link.get_attribute("href"))
    assert answer.status == 200
    assert answer.headers["content-type"] == XLSX_CONTENT_TYPE
    with page.expect_download() as download_info:
        template_link.click()
    download = download_info.value

    # Then it is an xlsx workbook whose header row names the columns, with one example row
    assert download.suggested_filename.endswith(".xlsx")
    template = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True).worksheets[0]
    header, *examples = [list(row) for row in template.iter_rows(values_only=True)]
    with translation.override(UI_LANGUAGE):
        assert header == column_labels()
    assert len(examples) == 1 and len(examples[0]) == len(header)
    assert vin_check_digit_ok(examples[0][[column.key for column in COLUMNS].index("vin")])

    # When they fill the template's columns with two customers and upload the sheet
    rows = [
        ["郑十二", "个人", "13700137000", "", "北京市朝阳区建国路1号", "电话", "", "LFV2A21K8C3012345", "京A12345"],
        ["冯十三", "个人", "13600136000", "", "", "", "", "1M8GDM9AXKP042788", "京N D12345"],
    ]
    rows = [row + [None] * (len(header) - len(row)) for row in rows]
    upload = page.get_by_label(field_label(ImportUploadForm, "file"), exact=True)
    upload.set_input_files(
        files=[{"name": "客户.xlsx", "mimeType": XLSX_CONTENT_TYPE, "buffer": sheet_with(header, rows)}]
    )
    expect(page.get_by_label(field_label(ImportUploadForm, "branch"), exact=True)).to_have_value(str(branch.pk))
    page.get_by_role("button", name=ui_text("Check the sheet")).click()

    # Then the preview lists both rows without problems, and nothing is saved yet
    expect(page).to_have_url(re.compile(r"/customers/import/\d+/$"))
    preview_rows = page.locator("table.data tbody tr")
    expect(preview_rows).to_have_count(2)
    expect(preview_rows.nth(0)).to_contain_text("郑十二")
    expect(preview_rows.nth(1)).to_contain_text("京ND12345")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert not Customer.objects.exists()

    # When they press import but cancel the confirmation, nothing happens
    import_button = page.get_by_role("button", name=ui_text("Import %(rows)s rows") % {"rows": 2})
    dialogs = []

    def answer_dialog(dialog, accept):
        dialogs.append((dialog.type, dialog.message))
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer_dialog(dialog, accept=False))
    import_button.click()
    expect(page).to_have_url(re.compile(r"/customers/import/\d+/$"))
    assert dialogs == [("confirm", ui_text("Import every row now?"))]
    assert not Customer.objects.exists()

    # When they press import again and confirm
    page.once("dialog", lambda dialog: answer_dialog(dialog, accept=True))
    import_button.click()

    # Then the customer list shows a toast and both customers with their vehicles
    expect(page).to_have_url(re.compile(r"/customers/$"))
    done = ui_text("Imported %(rows)d rows: %(created)d new customers.") % {"rows": 2, "created": 2}
    expect(page.locator(".toast")).to_have_text(done)
    results = page.locator("#results")
    expect(results.get_by_role("link", name="郑十二")).to_be_visible()
    expect(results.get_by_role("link", name="冯十三")).to_be_visible()
    expect(results).to_contain_text("京ND12345")
    assert len(dialogs) == 2
    assert set(Customer.objects.filter(branch=branch).values_list("name", "mobile")) == {
        ("郑十二", "13700137000"),
        ("冯十三", "13600136000"),
    }
    assert set(Asset.objects.values_list("customer__name", "vin", "plate")) == {
        ("郑十二", "LFV2A21K8C3012345", "京A12345"),
        ("冯十三", "1M8GDM9AXKP042788", "京ND12345"),
    }
