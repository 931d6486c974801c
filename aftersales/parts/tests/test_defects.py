"""Defects: recording one, returning it to the supplier or scrapping it (with a move out of stock when the units are
in the warehouse), the summary by part and by supplier with known answers, and the pages."""

import datetime
import html as html_lib
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction, AuditEvent
from aftersales.core.testing import make_person, page_client, walk_role_matrix
from aftersales.org.roles import ROLES
from aftersales.parts.choices import DefectSource, DefectStatus, MoveKind
from aftersales.parts.models import Defect, StockBalance, StockMove
from aftersales.parts.services import defects as df
from aftersales.parts.services import ledger
from aftersales.parts.services.ledger import InsufficientStock
from aftersales.parts.tests.factories import PartFactory, SupplierFactory

pytestmark = pytest.mark.usefixtures("english")
D = Decimal
LIST = reverse("parts:defect_list")
CREATE = reverse("parts:defect_create")
SUMMARY = reverse("parts:defect_summary")
EXPORT = reverse("parts:defect_summary_export")


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def toasts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def balance_of(part, warehouse) -> StockBalance:
    return StockBalance.objects.get(part=part, warehouse=warehouse)


def record(actor, part, warehouse, quantity="2", source=DefectSource.RECEIPT, **kwargs) -> Defect:
    kwargs.setdefault("reason", "外壳破裂")
    return df.defect_record(actor=actor, part=part, warehouse=warehouse, quantity=quantity, source=source, **kwargs)


@pytest.fixture
def in_stock(warehouse, part, stock):
    """10 of `part` @ 12.00 in `warehouse`."""
    stock(warehouse, part, 10, "12.00")
    return part


# -- recording ----------------------------------------------------------------------------------------------------------


def test_a_defect_is_numbered_and_defaults_to_the_parts_usual_supplier(warehouse, in_stock, supplier, keeper):
    defect = record(keeper, in_stock, warehouse, reference="GR-BJ01-1")

    assert defect.number.startswith("DF-BJ01-")
    assert (defect.supplier, defect.status, defect.quantity) == (supplier, DefectStatus.OPEN, D("2"))
    assert defect.created_by == keeper and defect.reference == "GR-BJ01-1"
    assert AuditEvent.objects.filter(object_id=defect.pk, action=AuditAction.CREATE).exists()
    # recording moves no stock
    assert balance_of(in_stock, warehouse).on_hand == D("10")


def test_a_named_supplier_overrides_the_usual_one(warehouse, in_stock, keeper):
    other = SupplierFactory(code="DENSO")
    assert record(keeper, in_stock, warehouse, supplier=other).supplier == other


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"quantity": "0"}, {"quantity"}),
        ({"quantity": "1.234"}, {"quantity"}),
        ({"reason": "  "}, {"reason"}),
        ({"source": "lost"}, {"source"}),
        ({"quantity": "-1", "reason": ""}, {"quantity", "reason"}),
    ],
)
def test_a_defect_with_bad_fields_is_refused_naming_them(warehouse, part, keeper, fields, errors):
    with pytest.raises(ValidationError) as refused:
        record(keeper, part, warehouse, **fields)
    assert set(refused.value.message_dict) == errors
    assert not Defect.objects.exists()


def test_a_role_without_the_defect_permission_cannot_record_one(warehouse, part, person):
    with pytest.raises(PermissionDenied):
        record(person("technician"), part, warehouse)


def test_a_keeper_cannot_record_a_defect_in_another_branch(other_warehouse, part, keeper):
    with pytest.raises(Http404):
        record(keeper, part, other_warehouse)


# -- return and scrap -------------------------------------------------------------------------------------------------


def test_returning_a_defect_found_on_receipt_takes_it_out_of_stock_at_the_average_cost(
    warehouse, in_stock, stock, keeper
):
    # given 10 @ 12.00 and 10 @ 13.00 (an average of 12.50), 2 found broken on receipt
    stock(warehouse, in_stock, 10, "13.00")
    defect = record(keeper, in_stock, warehouse, quantity="2")

    df.defect_return_to_supplier(actor=keeper, defect=defect)

    defect.refresh_from_db()
    assert defect.status == DefectStatus.RETURNED and defect.closed_at is not None
    move = defect.return_move
    assert (move.kind, move.quantity, move.value) == (MoveKind.SUPPLIER_RETURN, D("-2"), D("-25.00"))
    assert (move.reference, move.document_type, move.document_id) == (defect.number, "defect", defect.pk)
    balance = balance_of(in_stock, warehouse)
    assert (balance.on_hand, balance.value) == (D("18"), D("225.00"))
    event = AuditEvent.objects.get(object_id=defect.pk, action=AuditAction.STATUS)
    assert event.payload == {"from": "open", "to": "returned", "move": move.pk}


def test_a_defect_found_on_receipt_is_set_aside_so_nobody_can_issue_it(warehouse, in_stock, keeper, admin_user):
    ledger.stock_reserve(actor=admin_user, warehouse=warehouse, part=in_stock, quantity=7, reference="WO-1")

    defect = record(keeper, in_stock, warehouse, quantity="2")

    held = balance_of(in_stock, warehouse)
    assert (held.on_hand, held.reserved, held.available) == (D("10"), D("9"), D("1"))
    with pytest.raises(InsufficientStock):
        ledger.stock_issue(actor=admin_user, warehouse=warehouse, part=in_stock, quantity=2, reference="WO-2")
    df.defect_return_to_supplier(actor=keeper, defect=defect)
    after = balance_of(in_stock, warehouse)
    assert (after.on_hand, after.reserved, after.available) == (D("8"), D("7"), D("1"))


def test_recording_more_defective_units_than_are_available_is_refused_and_saves_nothing(
    warehouse, in_stock, keeper, admin_user
):
    ledger.stock_reserve(actor=admin_user, warehouse=warehouse, part=in_stock, quantity=9, reference="WO-1")

    with pytest.raises(InsufficientStock) as refused:
        record(keeper, in_stock, warehouse, quantity="2")

    assert in_stock.code in str(refused.value.message)
    assert not Defect.objects.exists()
    assert balance_of(in_stock, warehouse).reserved == D("9")
    assert not StockMove.objects.filter(kind=MoveKind.SUPPLIER_RETURN).exists()


def test_returning_a_defect_found_in_use_moves_no_stock(warehouse, in_stock, keeper):
    defect = record(keeper, in_stock, warehouse, quantity="1", source=DefectSource.IN_USE)

    df.defect_return_to_supplier(actor=keeper, defect=defect)

    defect.refresh_from_db()
    assert defect.status == DefectStatus.RETURNED and defect.return_move is None
    assert balance_of(in_stock, warehouse).on_hand == D("10")


def test_scrapping_a_defect_found_on_receipt_writes_it_off_with_an_adjustment(warehouse, in_stock, keeper):
    defect = record(keeper, in_stock, warehouse, quantity="3")

    df.defect_scrap(actor=keeper, defect=defect)

    defect.refresh_from_db()
    assert defect.status == DefectStatus.SCRAPPED
    move = defect.return_move
    assert (move.kind, move.quantity, move.value) == (MoveKind.ADJUSTMENT, D("-3"), D("-36.00"))
    assert move.note == f"scrapped defect {defect.number}"
    assert balance_of(in_stock, warehouse).on_hand == D("7")


@pytest.mark.parametrize("first", [df.defect_return_to_supplier, df.defect_scrap])
@pytest.mark.parametrize("second", [df.defect_return_to_supplier, df.defect_scrap])
def test_a_closed_defect_cannot_be_closed_again(warehouse, in_stock, keeper, first, second):
    defect = record(keeper, in_stock, warehouse, quantity="1")
    first(actor=keeper, defect=defect)

    with pytest.raises(Conflict) as refused:
        second(actor=keeper, defect=Defect.objects.get(pk=defect.pk))

    assert refused.value.code == "defect_closed"
    assert balance_of(in_stock, warehouse).on_hand == D("9")


def test_a_defect_without_a_supplier_can_be_scrapped_but_not_returned(warehouse, keeper, stock):
    orphan = PartFactory(code="NOSUP-1", supplier=None)
    stock(warehouse, orphan, 1)
    defect = record(keeper, orphan, warehouse, quantity="1")

    with pytest.raises(Conflict) as refused:
        df.defect_return_to_supplier(actor=keeper, defect=defect)
    assert refused.value.code == "no_supplier"
    assert df.defect_actions(user=keeper, defect=defect) == [DefectStatus.SCRAPPED]

    df.defect_scrap(actor=keeper, defect=defect)
    assert balance_of(orphan, warehouse).on_hand == D("0")


def test_closing_a_defect_needs_the_change_permission(warehouse, in_stock, keeper, person):
    defect = record(keeper, in_stock, warehouse)
    with pytest.raises(PermissionDenied):
        df.defect_scrap(actor=person("finance"), defect=defect)
    defect.refresh_from_db()
    assert defect.status == DefectStatus.OPEN


# -- summary ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def summary_data(warehouse, other_warehouse, stock, keeper, admin_user, supplier):
    """This month: filter A (avg 10.00) 2 + 1 from BOSCH (one returned: −20.00), 4 from DENSO; pump B (avg 50.00)
    1 from BOSCH, found in use. Last month: 5 of A. Another branch: 7 of A."""
    denso = SupplierFactory(code="DENSO", name="电装")
    filter_a = PartFactory(code="A-FILTER", name="滤清器", supplier=supplier)
    pump_b = PartFactory(code="B-PUMP", name="水泵", supplier=supplier)
    stock(warehouse, filter_a, 20, "10.00")
    stock(warehouse, pump_b, 5, "50.00")
    stock(other_warehouse, filter_a, 10, "10.00")
    returned = record(keeper, filter_a, warehouse, quantity="2")
    df.defect_return_to_supplier(actor=keeper, defect=returned)
    record(keeper, filter_a, warehouse, quantity="1")
    record(keeper, filter_a, warehouse, quantity="4", supplier=denso)
    record(keeper, pump_b, warehouse, quantity="1", source=DefectSource.IN_USE)
    old = record(keeper, filter_a, warehouse, quantity="5")
    Defect.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=40))
    record(admin_user, filter_a, other_warehouse, quantity="7")
    return {"A": filter_a, "B": pump_b, "denso": denso}


def test_the_summary_by_part_and_by_supplier_has_the_known_answers(warehouse, summary_data, keeper, supplier):
    today = timezone.localdate()

    summary = df.defect_summary(user=keeper, date_from=today - datetime.timedelta(days=7), date_to=today)

    by_part = [(r.code, r.records, r.quantity, r.value) for r in summary.by_part]
    assert by_part == [("A-FILTER", 3, D("7"), D("70.00")), ("B-PUMP", 1, D("1"), D("50.00"))]
    by_supplier = [(r.code, r.records, r.quantity, r.value) for r in summary.by_supplier]
    assert by_supplier == [("BOSCH", 3, D("4"), D("80.00")), ("DENSO", 1, D("4"), D("40.00"))]
    assert (summary.records, summary.quantity, summary.value) == (4, D("8"), D("120.00"))


def test_the_summary_counts_older_defects_when_the_period_includes_them(summary_data, keeper):
    today = timezone.localdate()
    summary = df.defect_summary(user=keeper, date_from=today - datetime.timedelta(days=60), date_to=today)
    assert summary.by_part[0].code == "A-FILTER" and summary.by_part[0].quantity == D("12")


def test_the_summary_of_one_warehouse_or_of_another_branch(summary_data, warehouse, other_warehouse, keeper):
    regional = make_person(role="regional_manager", branch=warehouse.branch.parent)
    today = timezone.localdate()

    assert df.defect_summary(user=regional, date_from=today, date_to=today).quantity == D("15")
    assert df.defect_summary(user=regional, date_from=today, date_to=today, warehouse=other_warehouse).quantity == 7
    assert df.defect_summary(user=keeper, date_from=today, date_to=today, warehouse=other_warehouse).records == 0


def test_a_defect_value_is_its_moves_value_or_quantity_times_the_average_cost():
    assert df.defect_value(quantity=D("3"), average_cost=D("3.3333"), moved_value=None) == D("10.00")
    assert df.defect_value(quantity=D("1"), average_cost=D("0.005"), moved_value=None) == D("0.01")  # half up
    assert df.defect_value(quantity=D("2"), average_cost=D("9"), moved_value=D("-25.00")) == D("25.00")
    assert df.defect_value(quantity=D("2"), average_cost=None, moved_value=None) == D("0.00")


# -- pages ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def client(pages, keeper):
    return pages(keeper)


def test_recording_a_defect_on_the_page_goes_to_its_page(client, warehouse, in_stock, supplier):
    response = client.post(
        CREATE,
        {
            "part": in_stock.code.lower(),
            "warehouse": warehouse.pk,
            "quantity": "2",
            "source": "receipt",
            "supplier": "",
            "reason": "漏油",
            "reference": "",
        },
    )

    defect = Defect.objects.get()
    assert response.status_code == 302 and response.url == reverse("parts:defect_detail", args=[defect.pk])
    assert (defect.part, defect.supplier, defect.reason) == (in_stock, supplier, "漏油")


def test_an_unknown_part_code_is_shown_beside_the_field(client, warehouse):
    response = client.post(
        CREATE, {"part": "NOPE", "warehouse": warehouse.pk, "quantity": "1", "source": "receipt", "reason": "x"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["part"] == ["No part has the code NOPE."]
    assert not Defect.objects.exists()


def test_the_defect_page_returns_it_to_the_supplier_after_confirmation(client, warehouse, in_stock, keeper):
    defect = record(keeper, in_stock, warehouse, quantity="2")
    page = client.get(reverse("parts:defect_detail", args=[defect.pk]))
    assert page.context["actions"] == [DefectStatus.RETURNED, DefectStatus.SCRAPPED]
    assert 'data-confirm="Return 2 × OF-001 to 博世汽配? They leave the stock now."' in text(page)

    response = client.post(reverse("parts:defect_return", args=[defect.pk]), follow=True)

    assert toasts(response) == [f"Defect {defect.number} returned to the supplier."]
    assert balance_of(in_stock, warehouse).on_hand == D("8")
    assert response.context["actions"] == []


def test_a_refused_defect_is_shown_on_the_form(client, warehouse, in_stock, keeper, admin_user):
    ledger.stock_reserve(actor=admin_user, warehouse=warehouse, part=in_stock, quantity=10, reference="WO-3")
    data = {
        "part": in_stock.code,
        "warehouse": warehouse.pk,
        "quantity": "2",
        "reason": "外壳破裂",
        "source": "receipt",
    }

    response = client.post(CREATE, data)

    assert response.status_code == 200
    assert f"Not enough stock of OF-001 in {warehouse.code}: 0 available, 2 asked for." in text(response)
    assert not Defect.objects.exists()


def test_the_list_filters_by_status_source_supplier_and_part(client, summary_data, warehouse, keeper):
    def numbers(query):
        return {d.part.code + ":" + str(d.quantity) for d in client.get(LIST + query).context["page"].items}

    assert numbers("?status=returned") == {"A-FILTER:2.00"}
    assert numbers("?source=in_use") == {"B-PUMP:1.00"}
    assert numbers(f"?supplier={summary_data['denso'].pk}") == {"A-FILTER:4.00"}
    assert numbers(f"?part={summary_data['B'].pk}") == {"B-PUMP:1.00"}
    assert numbers("?q=b-pu") == {"B-PUMP:1.00"}
    assert len(numbers("")) == 5  # this branch's five; the other branch's is not listed


def test_the_list_page_runs_the_same_queries_for_3_defects_and_for_25(region, warehouse, part, stock, admin_user):
    client = page_client(make_person(role="regional_manager", branch=region))

    def add(count):
        for number in range(count):
            record(admin_user, part, warehouse, quantity="1", supplier=SupplierFactory() if number % 2 else None)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST)
        return len(captured.captured_queries), response

    stock(warehouse, part, 30, "5.00")
    add(3)
    few, _response = queries()
    add(22)
    many, response = queries()
    # signed in and scoped (5), the capped count, the page of rows (with part, supplier, warehouse), the filter
    # bar's suppliers
    assert few == many == 8
    assert len(response.context["page"].items) == 20 and response.context["page"].has_next


def test_the_summary_page_and_its_export(client, summary_data, supplier):
    today = timezone.localdate().isoformat()
    query = f"?date_from={today}&date_to={today}"

    page = client.get(SUMMARY + query)
    assert page.status_code == 200
    assert [r.code for r in page.context["summary"].by_part] == ["A-FILTER", "B-PUMP"]
    assert "¥120.00" in text(page)

    export = client.get(EXPORT + query)
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("Group", "Code", "Name", "Records", "Quantity", "Value at average cost")
    assert rows[1:] == [
        ("By part", "A-FILTER", "滤清器", 3, 7, 70),
        ("By part", "B-PUMP", "水泵", 1, 1, 50),
        ("By supplier", "BOSCH", "博世汽配", 3, 4, 80),
        ("By supplier", "DENSO", "电装", 1, 4, 40),
    ]


def test_the_summary_defaults_to_this_month(client, summary_data):
    page = client.get(SUMMARY)
    first = timezone.localdate().replace(day=1)
    assert page.context["date_from"] == first and page.context["date_to"] == timezone.localdate()


def test_a_summary_period_that_ends_before_it_starts_is_shown_beside_the_end_date(client):
    page = client.get(SUMMARY + "?date_from=2026-05-10&date_to=2026-05-01")
    assert page.context["form"].errors["date_to"] == ["The end date is before the start date."]


@pytest.fixture
def other_defect(other_warehouse, part, admin_user):
    return record(admin_user, part, other_warehouse, source=DefectSource.IN_USE)


@pytest.mark.parametrize(
    ("name", "method"), [("defect_detail", "get"), ("defect_return", "post"), ("defect_scrap", "post")]
)
def test_another_branchs_defect_is_not_found(client, other_defect, name, method):
    response = getattr(client, method)(reverse(f"parts:{name}", args=[other_defect.pk]))
    assert response.status_code == 404
    other_defect.refresh_from_db()
    assert other_defect.status == DefectStatus.OPEN


def test_who_may_open_a_defect(warehouse, part, keeper, other_defect, branch, other_branch):
    defect = record(keeper, part, warehouse, source=DefectSource.IN_USE)
    mismatches = walk_role_matrix(
        own_url=reverse("parts:defect_detail", args=[defect.pk]),
        other_url=reverse("parts:defect_detail", args=[other_defect.pk]),
        allowed={code for code, role in ROLES.items() if "parts.view_defect" in role.permissions},
        own_branch=branch,
        other_branch=other_branch,
        send=lambda c, target: c.get(target),
    )
    assert mismatches == []


def test_who_may_record_a_defect(branch, other_branch):
    mismatches = walk_role_matrix(
        own_url=CREATE,
        other_url=None,
        allowed={code for code, role in ROLES.items() if "parts.add_defect" in role.permissions},
        own_branch=branch,
        other_branch=other_branch,
        send=lambda c, target: c.get(target),
    )
    assert mismatches == []
