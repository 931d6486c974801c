"""The print pages of a service order: each document standalone with the branch header and the order number as a QR
code, the right lines and totals by payer, the release pass only once issued, the acceptance form only for
installations, nothing loaded from elsewhere, a fixed number of queries, and who may print what."""

import html as html_lib
import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from aftersales.core.testing import walk_role_matrix
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory
from aftersales.org.roles import ROLES
from aftersales.parts.tests.factories import PartFactory
from aftersales.service.choices import (
    Consent,
    JobStatus,
    LineKind,
    OrderStatus,
    OrderType,
    PartState,
    Payer,
    PaymentMethod,
)
from aftersales.service.models import Payment, ReleasePass, ServiceOrder, ServiceOrderLine
from aftersales.service.qr import qr_svg

pytestmark = pytest.mark.usefixtures("english")

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
DOCS = ("print_job_card", "print_estimate", "print_settlement", "print_release_pass", "print_acceptance")


@pytest.fixture
def english(settings):
    """Pages in English (the source language): the Chinese catalogue is compiled by the lead."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def url(name: str, order) -> str:
    return reverse(f"service:{name}", args=[order.pk])


def totals_table(response) -> dict[str, str]:
    """The rows of the totals table: label → amount as printed."""
    table = re.search(r'<table class="totals">(.*?)</table>', text(response), re.S)
    assert table, "no totals table"
    rows = re.findall(r'<th scope="row">(.*?)</th><td class="num">(.*?)</td>', table.group(1), re.S)
    return {label.strip(): amount.strip() for label, amount in rows}


def table_rows(response, heading_id: str) -> list[list[str]]:
    """The body rows (cell texts) of the first table in the section headed `heading_id`."""
    section = re.search(rf'aria-labelledby="{heading_id}">(.*?)</section>', text(response), re.S)
    assert section, f"no section {heading_id}"
    body = re.search(r"<tbody>(.*?)</tbody>", section.group(1), re.S)
    assert body, f"no table in {heading_id}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows
    ]


def make_order(branch, *, number: str, type=OrderType.REPAIR, **fields) -> ServiceOrder:
    customer = CustomerFactory(branch=branch, name=f"客户-{number}")
    asset = VehicleFactory(customer=customer)
    return ServiceOrder.objects.create(
        number=number, branch=branch, type=type, customer=customer, asset=asset, **fields
    )


def labour(order, name, hours, rate, *, payer=Payer.CUSTOMER, consent=Consent.APPROVED, technician=None):
    return ServiceOrderLine.objects.create(
        order=order,
        kind=LineKind.LABOUR,
        name=name,
        hours=D(hours),
        rate=D(rate),
        amount=(D(hours) * D(rate)).quantize(D("0.01")),
        payer=payer,
        consent=consent,
        technician=technician,
        job_status=JobStatus.ASSIGNED if technician else JobStatus.UNASSIGNED,
    )


def part_line(order, part, quantity, unit_price, *, payer=Payer.CUSTOMER, consent=Consent.APPROVED):
    return ServiceOrderLine.objects.create(
        order=order,
        kind=LineKind.PART,
        name=part.name,
        part=part,
        quantity=D(quantity),
        unit_price=D(unit_price),
        amount=(D(quantity) * D(unit_price)).quantize(D("0.01")),
        payer=payer,
        consent=consent,
        part_state=PartState.ISSUED,
    )


@pytest.fixture
def technician(person):
    return person("technician", username="tech-li")


@pytest.fixture
def advisor(person):
    return person("service_advisor", username="advisor-zhang")


@pytest.fixture
def order(branch, technician, advisor):
    """A repair order of BJ01: labour 2 h × 150 = 300.00 paid by the customer, a warranty part 1 × 80 = 80.00,
    a line added later still awaiting consent (200.00) and a cancelled line (50.00)."""
    branch.address = "北京市朝阳区酒仙桥路 8 号"
    branch.phone = "010-8888 6666"
    branch.save()
    order = make_order(
        branch,
        number="SO-BJ01-2026-000123",
        status=OrderStatus.COMPLETED,
        advisor=advisor,
        mileage=30500,
        fuel="50",
        concerns="刹车时有异响",
        walkaround={
            "items": [{"area": "左前门", "damage": "划痕"}, {"area": "后保险杠", "damage": "凹陷"}],
            "photos": ["walkaround/1.jpg", "walkaround/2.jpg", "walkaround/3.jpg"],
        },
        promised_at=datetime(2026, 11, 26, 17, 30, tzinfo=SHANGHAI),
    )
    order.asset.plate = "京A12345"
    order.asset.save()
    labour(order, "更换前刹车片", "2", "150.00", technician=technician)
    part_line(order, PartFactory(code="BP-001", name="前刹车片"), "1", "80.00", payer=Payer.WARRANTY)
    labour(order, "加装行车记录仪", "1", "200.00", consent=Consent.PENDING)
    labour(order, "洗车", "1", "50.00", consent=Consent.CANCELLED)
    return order


def assert_print_page(response, order, branch):
    """Standalone print page: the branch header, the order number and its QR code, a print button, A4 stylesheet."""
    assert response.status_code == 200
    page = text(response)
    assert order.number in page
    assert '<svg width="' in page and f"<title>{order.number}</title>" in page
    assert branch.name in page and branch.address in page and branch.phone in page
    assert "data-print" in page and "print.css" in page
    assert 'class="sidebar"' not in page, "print pages are not in the app shell"


# -- the documents ------------------------------------------------------------------------------------------------


def test_job_card_shows_reception_walkaround_labour_with_technician_and_parts(pages, order, branch, technician):
    response = pages(technician).get(url("print_job_card", order))

    assert_print_page(response, order, branch)
    page = text(response)
    assert "Repair order / job card" in page
    for shown in ("京A12345", order.asset.vin, "30500 km", "1/2", "刹车时有异响", "2026-11-26 17:30", "advisor-zhang"):
        assert shown in page, shown
    assert table_rows(response, "walkaround-heading") == [["1", "左前门", "划痕"], ["2", "后保险杠", "凹陷"]]
    assert "3 photos on file." in page
    labour_rows = table_rows(response, "labour-heading")
    assert [row[1:5] for row in labour_rows] == [
        ["更换前刹车片", "—", "tech-li", "2"],
        ["加装行车记录仪 (awaiting consent)", "—", "—", "1"],
    ]
    assert [row[1:5] for row in table_rows(response, "parts-heading")] == [
        ["BP-001", "前刹车片", "1", "Warranty (maker)"]
    ]
    assert "洗车" not in page, "cancelled lines are not printed"
    assert "Customer signature" in page


def test_job_card_of_an_order_without_walkaround_says_no_damage(pages, branch, advisor):
    bare = make_order(branch, number="SO-BJ01-2026-000200", walkaround={})

    response = pages(advisor).get(url("print_job_card", bare))

    assert response.status_code == 200
    assert "No damage recorded." in text(response)
    assert "photos on file" not in text(response)


def test_estimate_lists_every_open_line_with_payer_and_totals_by_payer(pages, order, branch, advisor):
    response = pages(advisor).get(url("print_estimate", order))

    assert_print_page(response, order, branch)
    page = text(response)
    assert '<h1 class="doc-title">Estimate</h1>' in page
    rows = table_rows(response, "lines-heading")
    assert [row[2:] for row in rows] == [
        ["更换前刹车片", "2", "¥150.00", "Customer", "¥300.00"],
        ["BP-001 前刹车片", "1", "¥80.00", "Warranty (maker)", "¥80.00"],
        ["加装行车记录仪 (awaiting consent, not in the totals)", "1", "¥200.00", "Customer", "¥200.00"],
    ]
    assert totals_table(response) == {
        "Labour": "¥300.00",
        "Parts": "¥80.00",
        "Paid by: Customer": "¥300.00",
        "Paid by: Warranty (maker)": "¥80.00",
        "Total": "¥380.00",
        "Customer payable": "¥300.00",
        "Added lines awaiting consent": "¥200.00",
    }
    assert "洗车" not in page
    assert "Customer consent" in page and "Customer signature" in page


def test_settlement_bills_consented_lines_only_with_payments_and_cashier(pages, order, branch, person):
    cashier = person("cashier", username="cashier-wang")
    Payment.objects.create(order=order, method=PaymentMethod.CASH, amount=D("100.00"), received_by=cashier)
    Payment.objects.create(order=order, method=PaymentMethod.WECHAT, amount=D("200.00"), received_by=cashier)

    response = pages(cashier).get(url("print_settlement", order))

    assert_print_page(response, order, branch)
    page = text(response)
    assert "Settlement statement" in page
    assert [row[2] for row in table_rows(response, "lines-heading")] == ["更换前刹车片", "BP-001 前刹车片"]
    assert "加装行车记录仪" not in page and "洗车" not in page
    assert totals_table(response) == {
        "Labour": "¥300.00",
        "Parts": "¥80.00",
        "Paid by: Customer": "¥300.00",
        "Paid by: Warranty (maker)": "¥80.00",
        "Total": "¥380.00",
        "Customer payable": "¥300.00",
    }
    payments = table_rows(response, "payments-heading")
    assert [(row[1], row[3], row[4]) for row in payments] == [
        ("Cash", "cashier-wang", "¥100.00"),
        ("WeChat Pay", "cashier-wang", "¥200.00"),
    ]
    assert re.search(r"<th[^>]*>Paid</th><td class=\"num\">¥300.00</td>", page)
    assert re.search(r"<dt>Cashier</dt><dd>cashier-wang</dd>", page)


def test_release_pass_prints_its_number_plate_customer_and_time(pages, order, branch, advisor):
    ReleasePass.objects.create(order=order, number="RP-BJ01-2026-000042", issued_by=advisor)

    response = pages(advisor).get(url("print_release_pass", order))

    assert_print_page(response, order, branch)
    page = text(response)
    assert "RP-BJ01-2026-000042" in page
    assert "京A12345" in page and order.customer.name in page
    issued = ReleasePass.objects.get(order=order).created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert f"<dt>Issued at</dt><dd>{issued}</dd>" in page


def test_release_pass_of_an_order_not_yet_delivered_is_not_found(pages, order, advisor):
    response = pages(advisor).get(url("print_release_pass", order))

    assert response.status_code == 404


def test_acceptance_form_of_an_installation_has_the_self_check_items_and_signature(pages, branch, person):
    supervisor = person("install_supervisor")
    installer = person("technician", username="installer-zhao")
    install = make_order(branch, number="IN-BJ01-2026-000007", type=OrderType.INSTALLATION)
    labour(install, "安装入户门", "3", "100.00", technician=installer)

    response = pages(supervisor).get(url("print_acceptance", install))

    assert_print_page(response, install, branch)
    page = text(response)
    assert "Installation acceptance form" in page
    items = table_rows(response, "items-heading")
    assert [row[1] for row in items] == [
        "Door frame line joints",
        "Door leaf opening and closing",
        "Door lock function",
        "Paint scratches",
        "Nail hole repair",
    ]
    assert all(row[2:4] == ["", ""] for row in items), "pass and fail are left as boxes to tick"
    assert "<dt>Installers</dt><dd>installer-zhao</dd>" in page
    assert "Customer acceptance signature" in page


def test_acceptance_form_of_a_repair_order_is_not_found(pages, order, advisor):
    response = pages(advisor).get(url("print_acceptance", order))

    assert response.status_code == 404


# -- what a print page may contain ---------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", DOCS)
def test_print_pages_load_nothing_from_elsewhere_and_run_no_inline_script(pages, branch, advisor, doc):
    install = make_order(branch, number="IN-BJ01-2026-000300", type=OrderType.INSTALLATION, walkaround={"items": []})
    labour(install, "安装", "1", "100.00")
    ReleasePass.objects.create(order=install, number="RP-BJ01-2026-000300")

    response = pages(advisor).get(url(doc, install))

    assert response.status_code == 200
    page = response.content.decode()
    assert "http://" not in page and "https://" not in page
    addresses = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert addresses and all(a.startswith("/") and not a.startswith("//") for a in addresses), addresses
    assert "onclick" not in page.lower()
    assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", page)), "scripts come from static files only"


def test_short_text_makes_a_full_qr_code_not_a_micro_one():
    svg = qr_svg("SO1", title="SO1")

    # A version 1 QR code is 21 modules plus a 4-module quiet zone each side, at scale 3; Micro QR would be smaller
    # and most phone scanners cannot read it.
    assert svg.startswith('<svg width="87" height="87" class="qr">')
    assert "<title>SO1</title>" in svg
    assert "http" not in svg


# -- fixed cost ------------------------------------------------------------------------------------------------


def test_job_card_and_settlement_run_the_same_queries_for_2_lines_as_for_12(pages, order, person, advisor):
    client = pages(advisor)

    def count(name):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(name, order)).status_code == 200
        return len(captured)

    before = {name: count(name) for name in ("print_job_card", "print_estimate", "print_settlement")}
    for index in range(5):
        labour(order, f"工时{index}", "1", "100.00", technician=person("technician"))
        part_line(order, PartFactory(), "2", "30.00")
        Payment.objects.create(order=order, method=PaymentMethod.CARD, amount=D("1.00"), received_by=person("cashier"))

    assert {name: count(name) for name in before} == before


# -- who may print -------------------------------------------------------------------------------------------------


def test_every_role_that_sees_orders_may_print_them_and_no_one_from_another_branch(branch, other_branch, order):
    theirs = make_order(other_branch, number="SO-SH01-2026-000001")
    viewers = {code for code, role in ROLES.items() if "service.view_serviceorder" in role.permissions}
    assert "technician" in viewers and "hr" not in viewers

    mismatches = walk_role_matrix(
        own_url=url("print_job_card", order),
        other_url=url("print_job_card", theirs),
        allowed=viewers,
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, target: client.get(target),
    )

    assert mismatches == []


@pytest.mark.parametrize("doc", DOCS)
def test_another_branchs_order_is_not_found_on_every_document(pages, other_branch, person, doc):
    theirs = make_order(other_branch, number="IN-SH01-2026-000009", type=OrderType.INSTALLATION)
    ReleasePass.objects.create(order=theirs, number="RP-SH01-2026-000009")
    outsider = person("service_manager")

    assert pages(outsider).get(url(doc, theirs)).status_code == 404
    assert pages(person("service_manager", branch=other_branch)).get(url(doc, theirs)).status_code == 200


@pytest.mark.parametrize("doc", DOCS)
def test_hr_may_not_print_orders(pages, branch, person, doc):
    install = make_order(branch, number="IN-BJ01-2026-000010", type=OrderType.INSTALLATION)

    assert pages(person("hr")).get(url(doc, install)).status_code == 403
