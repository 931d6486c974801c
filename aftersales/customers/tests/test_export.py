"""Export of the filtered customer list to xlsx, in the import sheet's layout."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from aftersales.customers import services
from aftersales.customers.imports import COLUMNS, check_rows, map_headers, parse_row
from aftersales.customers.models import Asset, Customer
from aftersales.customers.tests.factories import EN_HEADERS, CustomerFactory, DeviceFactory, VehicleFactory, valid_vin
from aftersales.org.roles import ROLES

pytestmark = pytest.mark.usefixtures("english")

EXPORT = reverse("customers:customer_export")


@pytest.fixture
def advisor(person):
    return person("service_advisor")


@pytest.fixture
def data(branch, other_branch):
    zhang = CustomerFactory(
        branch=branch, name="张伟", mobile="13812345678", id_number="11010519491231002X", source="phone"
    )
    VehicleFactory(
        customer=zhang,
        vin=valid_vin(1),
        plate="京A12345",
        brand="大众",
        model="帕萨特",
        year=2022,
        mileage=35000,
        insurance_expiry=datetime.date(2027, 3, 31),
    )
    VehicleFactory(customer=zhang, vin=valid_vin(2), plate="京B54321", brand="丰田", model="卡罗拉", year=2019)
    company = CustomerFactory(
        branch=branch,
        name="北京顺达物流有限公司",
        kind="company",
        mobile="13700001111",
        id_number="91110000600037341L",
        source="fleet",
        address="北京市大兴区亦庄科创街18号",
        notes="月结客户",
    )
    VehicleFactory(customer=company, vin=valid_vin(3), plate="京BD12345", year=2024)
    DeviceFactory(customer=company)  # not a vehicle: not exported
    CustomerFactory(branch=branch, name="李娜", mobile="13998765432", source="referral")
    VehicleFactory(customer__branch=other_branch, customer__name="王芳", plate="沪C88888")
    return {"zhang": zhang, "company": company}


def download(client, **params):
    response = client.get(EXPORT, params)
    assert response.status_code == 200
    return response


def sheet_rows(response) -> list[list]:
    workbook = load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def by_name(rows) -> dict[str, list[list]]:
    found: dict[str, list[list]] = {}
    for row in rows[1:]:
        found.setdefault(row[0], []).append(row)
    return found


def test_export_downloads_a_real_xlsx_named_for_the_customers(advisor, data, pages):
    response = download(pages(advisor))

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=UTF-8''customers-") and disposition.endswith(".xlsx")
    assert load_workbook(io.BytesIO(response.content)).worksheets[0].title == "customers"


def test_export_has_one_row_per_vehicle_in_the_import_layout(advisor, data, pages):
    rows = sheet_rows(download(pages(advisor)))

    assert rows[0] == EN_HEADERS
    customers = by_name(rows)
    assert set(customers) == {"张伟", "北京顺达物流有限公司", "李娜"}
    assert sorted(row[7] for row in customers["张伟"]) == sorted([valid_vin(1), valid_vin(2)])
    [first] = [row for row in customers["张伟"] if row[8] == "京A12345"]
    assert first == [
        "张伟",
        "Person",
        "13812345678",
        "11010519491231002X",
        None,
        "Phone",
        None,
        valid_vin(1),
        "京A12345",
        "大众",
        "帕萨特",
        2022,
        35000,
        datetime.datetime(2027, 3, 31),
    ]
    [company] = customers["北京顺达物流有限公司"]
    assert company[:9] == [
        "北京顺达物流有限公司",
        "Company",
        "13700001111",
        "91110000600037341L",
        "北京市大兴区亦庄科创街18号",
        "Fleet contract",
        "月结客户",
        valid_vin(3),
        "京BD12345",
    ]
    [li] = customers["李娜"]
    assert li[:7] == ["李娜", "Person", "13998765432", None, None, "Referral", None]
    assert li[7:] == [None] * 7


def test_export_leaves_out_other_branches(advisor, data, pages):
    rows = sheet_rows(download(pages(advisor)))

    assert "王芳" not in by_name(rows)
    assert all(row[8] != "沪C88888" for row in rows)


def test_a_regional_manager_exports_both_stores(person, region, data, pages):
    rows = sheet_rows(download(pages(person("regional_manager", branch=region))))

    assert set(by_name(rows)) == {"张伟", "北京顺达物流有限公司", "李娜", "王芳"}


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"q": "京B54321"}, {"张伟"}),
        ({"q": valid_vin(3)[-6:]}, {"北京顺达物流有限公司"}),
        ({"q": "1399876"}, {"李娜"}),
        ({"kind": "company"}, {"北京顺达物流有限公司"}),
        ({"source": "referral"}, {"李娜"}),
        ({"q": "13", "kind": "person"}, {"张伟", "李娜"}),
        ({"q": "没有这个人"}, set()),
    ],
    ids=["plate", "vin-tail", "mobile", "kind", "source", "search-and-kind", "nothing"],
)
def test_export_honours_the_lists_search_and_filters(advisor, data, pages, params, expected):
    rows = sheet_rows(download(pages(advisor), **params))

    assert rows[0] == EN_HEADERS
    assert set(by_name(rows)) == expected


def test_export_honours_the_active_filter(advisor, data, pages):
    services.customer_update(actor=advisor, customer=data["zhang"], data={"active": False})
    client = pages(advisor)

    assert "张伟" not in by_name(sheet_rows(download(client)))
    assert set(by_name(sheet_rows(download(client, active="0")))) == {"张伟"}
    assert "张伟" in by_name(sheet_rows(download(client, active="all")))


def test_export_honours_the_branch_filter(person, region, other_branch, data, pages):
    rows = sheet_rows(download(pages(person("regional_manager", branch=region)), branch=other_branch.pk))

    assert set(by_name(rows)) == {"王芳"}


def test_exported_headers_are_accepted_by_the_importer_and_every_row_parses(advisor, data, pages):
    rows = sheet_rows(download(pages(advisor)))

    mapping = map_headers(rows[0])
    assert set(mapping) == {column.key for column in COLUMNS}
    parsed = [parse_row(line, values, mapping) for line, values in enumerate(rows[1:], start=2)]
    assert all(row.parse_errors == [] for row in parsed)
    by_vin = {row.asset["vin"]: row for row in parsed if row.asset}
    first = by_vin[valid_vin(1)]
    assert first.customer == {
        "name": "张伟",
        "kind": "person",
        "mobile": "13812345678",
        "id_number": "11010519491231002X",
        "address": "",
        "source": "phone",
        "notes": "",
    }
    assert first.asset["insurance_expiry"] == datetime.date(2027, 3, 31)
    assert (first.asset["year"], first.asset["mileage"]) == (2022, 35000)
    assert by_vin[valid_vin(3)].customer["kind"] == "company"
    assert by_vin[valid_vin(3)].customer["source"] == "fleet"
    assert [row.asset for row in parsed if row.customer["name"] == "李娜"] == [None]


def test_exported_rows_check_clean_once_the_originals_are_gone(advisor, branch, data, pages):
    rows = sheet_rows(download(pages(advisor)))
    mapping = map_headers(rows[0])
    Asset.objects.filter(branch=branch).delete()
    Customer.objects.filter(branch=branch).delete()

    parsed = [parse_row(line, values, mapping) for line, values in enumerate(rows[1:], start=2)]
    check_rows(parsed, branch=branch)

    assert [row.errors for row in parsed] == [[] for _ in parsed]
    assert [row.warnings for row in parsed] == [[] for _ in parsed]


def test_exported_vins_collide_when_imported_next_to_the_originals(advisor, other_branch, data, pages):
    rows = sheet_rows(download(pages(advisor)))
    parsed = [parse_row(line, values, map_headers(rows[0])) for line, values in enumerate(rows[1:], start=2)]

    check_rows(parsed, branch=other_branch)

    assert all(row.errors == ["VIN: Another vehicle already has this VIN."] for row in parsed if row.asset)


EXPORTERS = sorted(code for code, role in ROLES.items() if "customers.export_customer" in role.permissions)
NON_EXPORTERS = sorted(set(ROLES) - set(EXPORTERS))


@pytest.mark.parametrize("role", NON_EXPORTERS)
def test_roles_without_export_customer_get_403(person, data, pages, role):
    assert pages(person(role)).get(EXPORT).status_code == 403


@pytest.mark.parametrize("role", EXPORTERS)
def test_roles_with_export_customer_download(person, data, pages, role):
    user = person(role, branch=data["zhang"].branch)

    assert "张伟" in by_name(sheet_rows(download(pages(user))))


def test_the_role_matrix_lets_advisors_and_finance_export_but_not_technicians():
    assert {"service_advisor", "finance", "customer_care"} <= set(EXPORTERS)
    assert {"technician", "parts_keeper", "hr", "dispatcher"} <= set(NON_EXPORTERS)


def test_anonymous_users_are_sent_to_sign_in(client, data):
    response = client.get(EXPORT)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
