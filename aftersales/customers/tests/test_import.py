"""Importing customers with their vehicles from an xlsx sheet: preview, all-or-nothing commit, file checks, pages."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.http import Http404
from django.urls import reverse
from openpyxl import Workbook

from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction, AuditEvent
from aftersales.customers import selectors, services
from aftersales.customers.imports import map_headers
from aftersales.customers.models import Asset, Customer, CustomerImport, ImportStatus
from aftersales.customers.services import VinConfirmationRequired
from aftersales.customers.tests.factories import (
    EN_HEADERS,
    ZH_HEADERS,
    CustomerFactory,
    VehicleFactory,
    sheet_row,
    valid_vin,
    with_wrong_check_digit,
    xlsx_bytes,
    xlsx_upload,
)

pytestmark = pytest.mark.usefixtures("english")

VIN_1, VIN_2, VIN_3, VIN_4 = (valid_vin(n) for n in range(1, 5))


@pytest.fixture
def care(person):
    return person("customer_care")


def valid_rows() -> list[list]:
    """Three customers: 张伟 with two vehicles (two rows), a company with one, 李娜 without a vehicle."""
    return [
        sheet_row(
            "张伟",
            "13812345678",
            VIN_1,
            "京A12345",
            brand="大众",
            model="帕萨特",
            year=2022,
            mileage=35000,
            insurance_expiry=datetime.date(2027, 3, 31),
            address="北京市朝阳区建国路88号",
        ),
        sheet_row("张伟", "+86 138 1234 5678", VIN_2.lower(), "京b 54321", brand="丰田", year=2019, mileage="12,000"),
        sheet_row(
            "北京顺达物流有限公司",
            "13700001111",
            VIN_3,
            "京BD12345",
            kind="公司",
            id_number="91110000600037341L",
            source="车队",
        ),
        sheet_row("李娜", "13998765432", source="介绍", notes="老客户介绍"),
    ]


def preview(actor, branch, rows, headers=ZH_HEADERS, name="customers.xlsx"):
    return services.customer_import_preview(actor=actor, branch=branch, upload=xlsx_upload([headers, *rows], name))


def counts():
    return Customer.objects.count(), Asset.objects.count()


def row_at(batch, line):
    [row] = [row for row in batch.rows if row["line"] == line]
    return row


# -- a valid sheet ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [ZH_HEADERS, EN_HEADERS], ids=["chinese-headers", "english-headers"])
def test_valid_sheet_previews_without_errors_and_saves_nothing_yet(care, branch, headers):
    batch = preview(care, branch, valid_rows(), headers)

    assert (batch.row_count, batch.error_count, batch.warning_count) == (4, 0, 0)
    assert batch.valid
    assert batch.status == ImportStatus.PREVIEWED
    assert [row["line"] for row in batch.rows] == [2, 3, 4, 5]
    assert counts() == (0, 0)


@pytest.mark.parametrize("headers", [ZH_HEADERS, EN_HEADERS], ids=["chinese-headers", "english-headers"])
def test_valid_sheet_imports_every_customer_and_vehicle_in_one_go(care, branch, headers):
    batch = preview(care, branch, valid_rows(), headers)

    created = services.customer_import_commit(actor=care, batch=batch)

    assert created == 3
    assert counts() == (3, 3)
    assert CustomerImport.objects.get(pk=batch.pk).status == ImportStatus.COMMITTED
    zhang = Customer.objects.get(name="张伟")
    assert (zhang.mobile, zhang.branch, zhang.source, zhang.created_by) == ("13812345678", branch, "phone", care)
    first, second = zhang.assets.order_by("id")
    assert (first.vin, first.plate, first.brand, first.year, first.mileage) == (VIN_1, "京A12345", "大众", 2022, 35000)
    assert first.insurance_expiry == datetime.date(2027, 3, 31)
    assert (second.vin, second.plate, second.mileage) == (VIN_2, "京B54321", 12000)
    company = Customer.objects.get(kind="company")
    assert (company.id_number, company.source) == ("91110000600037341L", "fleet")
    li = Customer.objects.get(name="李娜")
    assert (li.source, li.notes, li.assets.count()) == ("referral", "老客户介绍", 0)


def test_import_is_audited_on_the_batch_and_on_every_customer_and_vehicle(care, branch):
    batch = preview(care, branch, valid_rows())

    services.customer_import_commit(actor=care, batch=batch)

    [event] = AuditEvent.objects.filter(action=AuditAction.IMPORT)
    assert (event.object_id, event.actor) == (batch.pk, care)
    assert event.payload == {"rows": 4, "customers_created": 3}
    created = AuditEvent.objects.filter(action=AuditAction.CREATE, actor=care)
    assert created.filter(content_type__model="customer").count() == 3
    assert created.filter(content_type__model="asset").count() == 3


def test_imported_customers_are_found_by_their_plates_and_vins(care, branch):
    services.customer_import_commit(actor=care, batch=preview(care, branch, valid_rows()))

    def search(q):
        return [c.name for c in selectors.customer_list(user=care, q=q)]

    assert search("京B54321") == ["张伟"]
    assert search(VIN_3[-6:]) == ["北京顺达物流有限公司"]
    assert search("13998765432") == ["李娜"]


def test_rows_with_the_same_name_and_mobile_become_one_customer_with_several_vehicles(care, branch):
    rows = [sheet_row("张伟", "13812345678", vin, f"京A1234{n}") for n, vin in enumerate((VIN_1, VIN_2, VIN_3))]

    created = services.customer_import_commit(actor=care, batch=preview(care, branch, rows))

    assert created == 1
    [zhang] = Customer.objects.all()
    assert sorted(zhang.assets.values_list("vin", flat=True)) == sorted([VIN_1, VIN_2, VIN_3])


def test_same_name_with_another_mobile_is_another_customer(care, branch):
    rows = [sheet_row("张伟", "13812345678", VIN_1), sheet_row("张伟", "13900001111", VIN_2)]

    created = services.customer_import_commit(actor=care, batch=preview(care, branch, rows))

    assert created == 2


def test_an_existing_customer_of_the_branch_gets_the_vehicles(care, branch):
    existing = CustomerFactory(branch=branch, name="张伟", mobile="13812345678")
    VehicleFactory(customer=existing)
    rows = [sheet_row("张伟", "138-1234-5678", VIN_1, "京A12345"), sheet_row("张伟", "13812345678", VIN_2)]

    batch = preview(care, branch, rows)
    assert [row["existing_customer_id"] for row in batch.rows] == [existing.pk, existing.pk]
    created = services.customer_import_commit(actor=care, batch=batch)

    assert created == 0
    assert Customer.objects.count() == 1
    assert existing.assets.count() == 3
    assert [c.name for c in selectors.customer_list(user=care, q="京A12345")] == ["张伟"]


def test_a_namesake_in_another_branch_is_not_taken_for_the_customer(care, branch, other_branch):
    CustomerFactory(branch=other_branch, name="张伟", mobile="13812345678")

    created = services.customer_import_commit(
        actor=care, batch=preview(care, branch, [sheet_row("张伟", "13812345678", VIN_1)])
    )

    assert created == 1
    assert Customer.objects.get(branch=branch).assets.count() == 1


def test_headers_may_use_the_common_aliases_and_required_marks(care, branch):
    headers = ["姓名*", "手机号码", "车架号", "车牌号", "年款", "行驶里程"]

    batch = preview(care, branch, [["张伟", "13812345678", VIN_1, "京A12345", 2022, 1000]], headers)
    services.customer_import_commit(actor=care, batch=batch)

    vehicle = Asset.objects.get()
    assert (vehicle.customer.name, vehicle.vin, vehicle.plate, vehicle.year, vehicle.mileage) == (
        "张伟",
        VIN_1,
        "京A12345",
        2022,
        1000,
    )


def test_dates_may_be_written_as_text(care, branch):
    rows = [sheet_row("张伟", "13812345678", VIN_1, insurance_expiry="2027年3月31日")]

    services.customer_import_commit(actor=care, batch=preview(care, branch, rows))

    assert Asset.objects.get().insurance_expiry == datetime.date(2027, 3, 31)


# -- a sheet with one bad row -----------------------------------------------------------------------------------------


BAD_ROWS = {
    "bad-mobile": (sheet_row("王芳", "1380013800", VIN_4), "mobile:", "1380013800"),
    "bad-plate": (sheet_row("王芳", "13655556666", VIN_4, "京O12345"), "plate:", "京O12345"),
    "vin-too-short": (sheet_row("王芳", "13655556666", VIN_4[:16]), "VIN:", "17 characters"),
    "vin-with-letter-I": (sheet_row("王芳", "13655556666", "I" + VIN_4[1:]), "VIN:", "never I, O or Q"),
    "year-not-a-number": (sheet_row("王芳", "13655556666", VIN_4, year="2020款"), "Year:", "2020款"),
    "year-out-of-range": (sheet_row("王芳", "13655556666", VIN_4, year=1900), "year:", "1950"),
    "mileage-negative": (sheet_row("王芳", "13655556666", VIN_4, mileage=-5), "Mileage", "negative"),
    "bad-date": (sheet_row("王芳", "13655556666", VIN_4, insurance_expiry="明年"), "Insurance expiry:", "明年"),
    "bad-id-card": (sheet_row("王芳", "13655556666", id_number="110105194912310021"), "ID number:", "ID card"),
    "unknown-kind": (sheet_row("王芳", "13655556666", kind="外星人"), "Customer type:", "外星人"),
    "unknown-source": (sheet_row("王芳", "13655556666", source="路过"), "Source:", "路过"),
    "no-name": (sheet_row("", "13655556666", VIN_4), "name:", "blank"),
    "vehicle-without-vin": (sheet_row("王芳", "13655556666", "", "京A99999"), "VIN:", "required"),
    "vin-twice-in-the-sheet": (sheet_row("王芳", "13655556666", VIN_1), "VIN", "line 2"),
}


@pytest.mark.parametrize("bad, field, detail", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_one_bad_row_is_listed_with_its_line_and_field(care, branch, bad, field, detail):
    rows = [*valid_rows(), bad]

    batch = preview(care, branch, rows)

    assert (batch.row_count, batch.error_count) == (5, 1)
    assert not batch.valid
    bad_row = row_at(batch, 6)
    assert any(error.startswith(field) and detail in error for error in bad_row["errors"]), bad_row["errors"]
    assert all(not row["errors"] for row in batch.rows if row["line"] != 6)


@pytest.mark.parametrize("bad, field, detail", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_sheet_with_one_bad_row_imports_nothing_at_all(care, branch, bad, field, detail):
    batch = preview(care, branch, [*valid_rows(), bad])

    with pytest.raises(ValidationError) as caught:
        services.customer_import_commit(actor=care, batch=batch, confirm_vin=True)

    assert "line 6" in caught.value.messages[0]
    assert counts() == (0, 0)
    assert CustomerImport.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWED
    assert not AuditEvent.objects.filter(action__in=[AuditAction.CREATE, AuditAction.IMPORT]).exists()


def test_a_vin_already_in_the_database_is_an_error_of_its_row(care, branch, other_branch):
    taken = VehicleFactory(customer__branch=other_branch)

    batch = preview(care, branch, [*valid_rows(), sheet_row("王芳", "13655556666", taken.vin)])

    assert row_at(batch, 6)["errors"] == ["VIN: Another vehicle already has this VIN."]
    with pytest.raises(ValidationError):
        services.customer_import_commit(actor=care, batch=batch)
    assert counts() == (1, 1)


def test_every_bad_row_is_listed_not_only_the_first(care, branch):
    rows = [sheet_row("王芳", "12", VIN_1), sheet_row("李娜", "13998765432", VIN_2, "X1"), *valid_rows()[3:]]

    batch = preview(care, branch, rows)

    assert batch.error_count == 2
    assert row_at(batch, 2)["errors"][0].startswith("mobile:")
    assert row_at(batch, 3)["errors"][0].startswith("plate:")


def test_an_unknown_column_refuses_the_file_naming_the_column(care, branch):
    with pytest.raises(ValidationError) as caught:
        preview(care, branch, [[*sheet_row("张伟", "13812345678"), "红色"]], [*ZH_HEADERS, "颜色"])

    assert set(caught.value.message_dict) == {"file"}
    assert "颜色" in caught.value.message_dict["file"][0]
    assert CustomerImport.objects.count() == 0


def test_a_sheet_without_the_name_column_is_refused(care, branch):
    with pytest.raises(ValidationError) as caught:
        preview(care, branch, [["13812345678", VIN_1]], ["手机", "VIN"])

    assert caught.value.message_dict == {"file": ["The sheet has no “Customer name” column."]}
    assert CustomerImport.objects.count() == 0


def test_the_exported_template_headers_are_accepted(care):
    mapping = map_headers(ZH_HEADERS)

    assert mapping == map_headers(EN_HEADERS)
    assert mapping["name"] == 0 and mapping["insurance_expiry"] == 13


# -- VIN check digit warnings -----------------------------------------------------------------------------------------


def test_vin_check_digit_warnings_need_confirm_vin(care, branch):
    wrong = with_wrong_check_digit(VIN_4)
    batch = preview(care, branch, [*valid_rows(), sheet_row("王芳", "13655556666", wrong)])

    assert (batch.error_count, batch.warning_count) == (0, 1)
    assert wrong in row_at(batch, 6)["warnings"][0]

    with pytest.raises(VinConfirmationRequired) as caught:
        services.customer_import_commit(actor=care, batch=batch)
    assert set(caught.value.message_dict) == {"confirm_vin"}
    assert counts() == (0, 0)

    created = services.customer_import_commit(actor=care, batch=batch, confirm_vin=True)
    assert created == 4
    assert Asset.objects.filter(vin=wrong).exists()


# -- the file ---------------------------------------------------------------------------------------------------------


def file_error(actor, branch, upload) -> str:
    with pytest.raises(ValidationError) as caught:
        services.customer_import_preview(actor=actor, branch=branch, upload=upload)
    assert set(caught.value.message_dict) == {"file"}
    assert CustomerImport.objects.count() == 0
    return caught.value.message_dict["file"][0]


def test_a_file_that_is_not_xlsx_is_refused(care, branch):
    upload = SimpleUploadedFile("customers.csv", "客户名称,手机\n张伟,13812345678\n".encode(), content_type="text/csv")

    assert ".xlsx" in file_error(care, branch, upload)


def test_an_old_xls_name_is_refused(care, branch):
    upload = SimpleUploadedFile("customers.xls", xlsx_bytes([ZH_HEADERS, sheet_row("张伟")]))

    assert ".xlsx" in file_error(care, branch, upload)


def test_a_text_file_renamed_to_xlsx_is_refused(care, branch):
    upload = SimpleUploadedFile("customers.xlsx", "客户名称,手机\n张伟,13812345678\n".encode())

    assert "not an xlsx workbook" in file_error(care, branch, upload)


def test_a_zip_that_is_not_a_workbook_is_refused(care, branch):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    upload = SimpleUploadedFile("customers.xlsx", buffer.getvalue())

    assert "cannot be read" in file_error(care, branch, upload)


def test_a_file_over_10_mb_is_refused(care, branch):
    upload = SimpleUploadedFile("customers.xlsx", b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024))

    message = file_error(care, branch, upload)
    assert "at most 10 MB" in message
    assert "10.0 MB" in message


def test_the_size_limit_comes_from_the_settings(care, branch, settings):
    settings.AFTERSALES = {**settings.AFTERSALES, "IMPORT_MAX_BYTES": 3 * 1024 * 1024}
    upload = SimpleUploadedFile("customers.xlsx", b"\0" * (3 * 1024 * 1024 + 1))

    assert "at most 3 MB" in file_error(care, branch, upload)


def test_too_many_rows_are_refused(care, branch, settings):
    settings.AFTERSALES = {**settings.AFTERSALES, "IMPORT_MAX_ROWS": 3}

    message = file_error(care, branch, xlsx_upload([ZH_HEADERS, *valid_rows(), sheet_row("王芳", "13655556666")]))

    assert "more than 3 rows" in message


def test_an_empty_sheet_is_refused(care, branch):
    assert file_error(care, branch, xlsx_upload([])) == "The sheet is empty."


def test_a_sheet_with_headers_only_is_refused(care, branch):
    assert "no customers" in file_error(care, branch, xlsx_upload([ZH_HEADERS, [None] * 14, ["", ""]]))


def test_only_the_first_worksheet_is_read(care, branch):
    import io

    workbook = Workbook()
    workbook.active.append(ZH_HEADERS)
    workbook.active.append(sheet_row("张伟", "13812345678", VIN_1))
    workbook.create_sheet("说明").append(["这里不是数据"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    batch = services.customer_import_preview(
        actor=care, branch=branch, upload=SimpleUploadedFile("customers.xlsx", buffer.getvalue())
    )

    assert (batch.row_count, batch.error_count) == (1, 0)


# -- the batch --------------------------------------------------------------------------------------------------------


def test_a_batch_cannot_be_committed_twice(care, branch):
    batch = preview(care, branch, valid_rows())
    services.customer_import_commit(actor=care, batch=batch)

    with pytest.raises(Conflict):
        services.customer_import_commit(actor=care, batch=CustomerImport.objects.get(pk=batch.pk))
    with pytest.raises(Conflict):
        services.customer_import_commit(actor=care, batch=batch)
    assert counts() == (3, 3)


def test_a_stale_copy_of_a_committed_batch_cannot_commit_again(care, branch):
    batch = preview(care, branch, valid_rows())
    stale = CustomerImport.objects.get(pk=batch.pk)
    services.customer_import_commit(actor=care, batch=batch)

    with pytest.raises(Conflict):
        services.customer_import_commit(actor=care, batch=stale)
    assert counts() == (3, 3)
    kept = CustomerImport.objects.get(pk=batch.pk)
    assert (kept.status, kept.error_count) == (ImportStatus.COMMITTED, 0)
    assert all(not row["errors"] for row in kept.rows)


def test_discard_drops_the_batch_and_it_can_no_longer_be_committed(care, branch):
    batch = preview(care, branch, valid_rows())

    services.customer_import_discard(actor=care, batch=batch)

    assert CustomerImport.objects.get(pk=batch.pk).status == ImportStatus.DISCARDED
    with pytest.raises(Conflict):
        services.customer_import_commit(actor=care, batch=batch)
    with pytest.raises(Conflict):
        services.customer_import_discard(actor=care, batch=batch)
    assert counts() == (0, 0)


def test_another_branchs_batch_is_not_found(care, person, other_branch):
    shanghai = person("customer_care", branch=other_branch)
    batch = preview(shanghai, other_branch, valid_rows())

    with pytest.raises(Http404):
        selectors.customer_import_get(user=care, pk=batch.pk)


def test_a_branch_the_user_does_not_work_for_is_refused(care, other_branch):
    with pytest.raises(ValidationError) as caught:
        preview(care, other_branch, valid_rows())

    assert set(caught.value.message_dict) == {"branch"}


@pytest.mark.parametrize("role", ["service_advisor", "technician", "finance"])
def test_roles_without_import_customer_cannot_preview_or_commit(person, branch, care, role):
    from django.core.exceptions import PermissionDenied

    batch = preview(care, branch, valid_rows())
    someone = person(role)

    with pytest.raises(PermissionDenied):
        preview(someone, branch, valid_rows())
    with pytest.raises(PermissionDenied):
        services.customer_import_commit(actor=someone, batch=batch)
    assert counts() == (0, 0)


def test_a_vin_taken_between_preview_and_commit_is_caught_at_commit(care, branch):
    batch = preview(care, branch, valid_rows())
    VehicleFactory(customer__branch=branch, vin=VIN_3)

    with pytest.raises(ValidationError) as caught:
        services.customer_import_commit(actor=care, batch=batch)

    assert "line 4" in caught.value.messages[0]
    assert counts() == (1, 1)
    batch.refresh_from_db()
    assert (batch.status, batch.error_count) == (ImportStatus.PREVIEWED, 1)
    assert row_at(batch, 4)["errors"] == ["VIN: Another vehicle already has this VIN."]


def test_a_customer_added_between_preview_and_commit_gets_the_vehicles_instead_of_a_twin(care, branch):
    batch = preview(care, branch, valid_rows())
    added = CustomerFactory(branch=branch, name="张伟", mobile="13812345678")

    created = services.customer_import_commit(actor=care, batch=batch)

    assert created == 2
    assert Customer.objects.filter(name="张伟").count() == 1
    assert added.assets.count() == 2


def test_a_failure_while_saving_rolls_back_every_row(care, branch, monkeypatch):
    batch = preview(care, branch, valid_rows())
    real_asset_create = services.asset_create
    calls = []

    def failing_on_the_third_vehicle(**kwargs):
        calls.append(kwargs["vin"])
        if len(calls) == 3:
            raise IntegrityError("duplicate key value violates unique constraint")
        return real_asset_create(**kwargs)

    monkeypatch.setattr(services, "asset_create", failing_on_the_third_vehicle)

    with pytest.raises(IntegrityError):
        services.customer_import_commit(actor=care, batch=batch)

    assert counts() == (0, 0)
    assert CustomerImport.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWED
    assert not AuditEvent.objects.filter(action__in=[AuditAction.CREATE, AuditAction.IMPORT]).exists()


# -- the pages --------------------------------------------------------------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def upload(client, branch, rows, headers=ZH_HEADERS, name="customers.xlsx"):
    return client.post(
        reverse("customers:customer_import"), {"branch": branch.pk, "file": xlsx_upload([headers, *rows], name)}
    )


def test_upload_preview_and_commit_through_the_pages(care, branch, pages):
    client = pages(care)

    response = upload(client, branch, valid_rows())
    batch = CustomerImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:customer_import_preview", args=[batch.pk])

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert messages_of(page) == ["The sheet has been checked."]
    html = page.content.decode()
    assert "Import 4 rows" in html
    assert reverse("customers:customer_import_commit", args=[batch.pk]) in html
    assert "京B54321" in html and "北京顺达物流有限公司" in html
    assert counts() == (0, 0)

    done = client.post(reverse("customers:customer_import_commit", args=[batch.pk]), follow=True)
    assert done.redirect_chain == [(reverse("customers:customer_list"), 302)]
    assert messages_of(done) == ["Imported 4 rows: 3 new customers."]
    assert "张伟" in done.content.decode()
    assert counts() == (3, 3)


def test_a_bad_row_shows_on_the_preview_page_without_the_import_button(care, branch, pages):
    client = pages(care)
    upload(client, branch, [*valid_rows(), sheet_row("王芳", "1380013800", VIN_4)])
    batch = CustomerImport.objects.get()

    page = client.get(reverse("customers:customer_import_preview", args=[batch.pk]))

    html = page.content.decode()
    assert "1 row has errors" in html
    assert "mobile: 1380013800 is not a mainland mobile number" in html
    assert reverse("customers:customer_import_commit", args=[batch.pk]) not in html
    assert [row["line"] for row in page.context["bad_rows"]] == [6]

    forced = client.post(reverse("customers:customer_import_commit", args=[batch.pk]), follow=True)
    assert forced.redirect_chain == [(reverse("customers:customer_import_preview", args=[batch.pk]), 302)]
    [message] = messages_of(forced)
    assert "nothing was imported" in message and "line 6" in message
    assert counts() == (0, 0)


def test_vin_warnings_offer_a_confirm_checkbox_on_the_preview_page(care, branch, pages):
    client = pages(care)
    upload(client, branch, [sheet_row("王芳", "13655556666", with_wrong_check_digit(VIN_4))])
    batch = CustomerImport.objects.get()
    commit_url = reverse("customers:customer_import_commit", args=[batch.pk])

    page = client.get(reverse("customers:customer_import_preview", args=[batch.pk]))
    assert 'name="confirm_vin"' in page.content.decode()

    unconfirmed = client.post(commit_url, follow=True)
    assert "confirm them to import" in messages_of(unconfirmed)[0]
    assert counts() == (0, 0)

    confirmed = client.post(commit_url, {"confirm_vin": "on"}, follow=True)
    assert messages_of(confirmed) == ["Imported 1 rows: 1 new customers."]
    assert counts() == (1, 1)


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("customers.csv", b"name,mobile\n", "Only .xlsx files"),
        ("customers.xlsx", "客户名称\n张伟\n".encode(), "not an xlsx workbook"),
        ("customers.xlsx", xlsx_bytes([]), "The sheet is empty."),
    ],
    ids=["csv", "renamed-text", "empty"],
)
def test_a_bad_file_is_shown_beside_the_file_field(care, branch, pages, name, content, expected):
    response = pages(care).post(
        reverse("customers:customer_import"), {"branch": branch.pk, "file": SimpleUploadedFile(name, content)}
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"file"}
    assert expected in response.context["form"].errors["file"][0]
    html = response.content.decode()
    assert 'id="id_file_error"' in html
    assert CustomerImport.objects.count() == 0


def test_a_big_file_is_refused_on_the_page(care, branch, pages, settings):
    settings.AFTERSALES = {**settings.AFTERSALES, "IMPORT_MAX_BYTES": 1024 * 1024}
    big = SimpleUploadedFile("customers.xlsx", b"\0" * (1024 * 1024 + 10))

    response = pages(care).post(reverse("customers:customer_import"), {"branch": branch.pk, "file": big})

    assert "at most 1 MB" in response.context["form"].errors["file"][0]


def test_an_upload_without_a_file_asks_for_one(care, branch, pages):
    response = pages(care).post(reverse("customers:customer_import"), {"branch": branch.pk})

    assert set(response.context["form"].errors) == {"file"}


def test_discard_through_the_page(care, branch, pages):
    client = pages(care)
    upload(client, branch, valid_rows())
    batch = CustomerImport.objects.get()

    response = client.post(reverse("customers:customer_import_discard", args=[batch.pk]), follow=True)

    assert response.redirect_chain == [(reverse("customers:customer_import"), 302)]
    assert messages_of(response)[-1] == "The sheet was discarded; nothing was imported."
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DISCARDED
    again = client.post(reverse("customers:customer_import_commit", args=[batch.pk]), follow=True)
    assert messages_of(again)[-1] == "This sheet has already been imported or discarded."
    assert counts() == (0, 0)


def test_committing_twice_through_the_page_says_so(care, branch, pages):
    client = pages(care)
    upload(client, branch, valid_rows())
    commit_url = reverse("customers:customer_import_commit", args=[CustomerImport.objects.get().pk])
    client.post(commit_url)

    again = client.post(commit_url, follow=True)

    assert messages_of(again)[-1] == "This sheet has already been imported or discarded."
    assert counts() == (3, 3)


def test_another_branchs_batch_pages_answer_404(care, person, other_branch, pages):
    shanghai = person("customer_care", branch=other_branch)
    batch = preview(shanghai, other_branch, valid_rows())
    client = pages(care)

    assert client.get(reverse("customers:customer_import_preview", args=[batch.pk])).status_code == 404
    assert client.post(reverse("customers:customer_import_commit", args=[batch.pk])).status_code == 404
    assert client.post(reverse("customers:customer_import_discard", args=[batch.pk])).status_code == 404
    assert CustomerImport.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWED


def test_the_downloaded_template_imports_cleanly(care, branch, pages):
    import io

    from openpyxl import load_workbook

    response = pages(care).get(reverse("customers:customer_import_template"))
    rows = [list(row) for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]

    batch = preview(care, branch, rows[1:], headers=rows[0])

    assert (batch.row_count, batch.error_count, batch.warning_count) == (1, 0, 0)
    assert services.customer_import_commit(actor=care, batch=batch) == 1


def test_the_chinese_interface_names_the_line_and_field_in_chinese(care, branch, pages):
    client = pages(care)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"  # the language the user switched to
    refused = client.post(
        reverse("customers:customer_import"),
        {"branch": branch.pk, "file": SimpleUploadedFile("customers.csv", b"a,b\n")},
    )
    assert refused.context["form"].errors["file"] == ["只能导入 .xlsx 文件（Excel 2007 及以上版本）。"]

    client.post(
        reverse("customers:customer_import"),
        {"branch": branch.pk, "file": xlsx_upload([ZH_HEADERS, sheet_row("王芳", "1380013800", VIN_4)])},
    )
    batch = CustomerImport.objects.get()
    page = client.get(reverse("customers:customer_import_preview", args=[batch.pk]))

    assert row_at(batch, 2)["errors"] == ["手机: 1380013800 不是有效的大陆手机号：应为 13–19 开头的 11 位数字。"]
    assert "手机: 1380013800 不是有效的大陆手机号" in page.content.decode()
