"""The stock pages: balances and the ledger, receipts with several lines, issue, return, transfer, adjustment,
reversal from the move page, reservations, query counts of the lists, other branches, and who may do what."""

import html as html_lib
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from aftersales.core.testing import make_person, page_client, walk_role_matrix
from aftersales.org.roles import ROLES
from aftersales.parts.choices import MoveKind, ReservationStatus
from aftersales.parts.models import GoodsReceipt, StockBalance, StockMove, StockReservation
from aftersales.parts.services import ledger
from aftersales.parts.tests.factories import PartFactory, WarehouseFactory

pytestmark = pytest.mark.usefixtures("english")

D = Decimal


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def toasts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def field_errors(response, auto_id: str) -> list[str]:
    match = re.search(rf'<ul class="errorlist" id="{re.escape(auto_id)}_error">(.*?)</ul>', text(response), re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1), re.S) if match else []


def balance(part, warehouse) -> StockBalance | None:
    return StockBalance.objects.filter(part=part, warehouse=warehouse).first()


def allowed(*perms: str) -> set[str]:
    return {code for code, role in ROLES.items() if set(perms) <= role.permissions}


@pytest.fixture
def client(pages, keeper):
    return pages(keeper)


@pytest.fixture
def brake_pad(db):
    return PartFactory(code="BP-002", name="刹车片", barcode="6900000000017", oem_number="45022-T2A-A01")


def receipt_post(warehouse, rows, *, blank: int = 3, supplier=None, note="") -> dict:
    """A receipt form as the page posts it: `rows` of (part text, quantity, unit cost), then `blank` empty rows."""
    data = {"warehouse": warehouse.pk, "supplier": supplier.pk if supplier else "", "note": note}
    for index, (part, quantity, cost) in enumerate([*rows, *([("", "", "")] * blank)]):
        data[f"lines-{index}-part"] = part
        data[f"lines-{index}-quantity"] = quantity
        data[f"lines-{index}-unit_cost"] = cost
    return data


# -- receipts ---------------------------------------------------------------------------------------------------------


def test_receiving_two_lines_through_the_page_posts_a_receipt_its_moves_and_the_balances(
    client, warehouse, part, brake_pad, supplier
):
    # given the receipt page with its default warehouse chosen and five empty rows
    page = client.get(reverse("parts:receipt_create"))
    assert page.context["form"]["warehouse"].value() == warehouse.pk
    assert len(page.context["lines"]) == 5

    # when two lines are filled, one by part code, one by scanned barcode, and three left blank
    data = receipt_post(
        warehouse, [("of-001", "10", "12.50"), (brake_pad.barcode, "4", "80")], supplier=supplier, note="到货"
    )
    response = client.post(reverse("parts:receipt_create"), data)

    # then one receipt with two lines and two receipt moves is posted, and the page goes to it with a toast
    receipt = GoodsReceipt.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("parts:receipt_detail", args=[receipt.pk])
    assert receipt.supplier == supplier and receipt.note == "到货" and receipt.warehouse == warehouse
    moves = list(StockMove.objects.order_by("id"))
    assert [(m.part, m.kind, m.quantity, m.value, m.reference) for m in moves] == [
        (part, MoveKind.RECEIPT, D("10"), D("125.00"), receipt.number),
        (brake_pad, MoveKind.RECEIPT, D("4"), D("320.00"), receipt.number),
    ]
    assert (balance(part, warehouse).on_hand, balance(part, warehouse).value) == (D("10"), D("125.00"))
    assert balance(brake_pad, warehouse).average_cost == D("80")
    detail = client.get(response["Location"])
    assert f"Receipt {receipt.number} posted: 2 lines into {warehouse.code}." in toasts(detail)
    assert "BP-002" in text(detail) and "¥445.00" in text(detail)


def test_a_receipt_row_with_an_unknown_part_names_the_row_and_saves_nothing(client, warehouse, part):
    # when row 3 holds a code no part has (row 2 left blank)
    data = receipt_post(warehouse, [("OF-001", "2", "10"), ("", "", ""), ("NO-SUCH", "1", "5")], blank=2)
    response = client.post(reverse("parts:receipt_create"), data)

    # then the page comes back naming row 3 and its error, keeps what was typed, and nothing was saved
    assert response.status_code == 200
    message = "No part has the code, OEM number or barcode “NO-SUCH”."
    assert f"Line 3: Part: {message}" in text(response)
    assert field_errors(response, "id_lines-2-part") == [message]
    assert 'value="NO-SUCH"' in text(response)
    assert not GoodsReceipt.objects.exists() and not StockMove.objects.exists() and balance(part, warehouse) is None


def test_a_row_the_service_refuses_is_shown_on_its_own_row_even_after_blank_rows(client, warehouse, part):
    # given a part that is no longer active
    old = PartFactory(code="OLD-1", active=False)

    # when it is received on row 3, after a good row and a blank one
    data = receipt_post(warehouse, [("OF-001", "2", "10"), ("", "", ""), ("OLD-1", "1", "5")], blank=0)
    response = client.post(reverse("parts:receipt_create"), data)

    # then the service's error (its line 2 of 2) lands on row 3 of the page and nothing is saved
    assert response.status_code == 200
    assert field_errors(response, "id_lines-2-part") == [f"Part {old.code} is no longer active."]
    assert "Line 3: Part:" in text(response)
    assert not GoodsReceipt.objects.exists() and not StockMove.objects.exists()


def test_a_receipt_with_only_blank_rows_asks_for_a_line(client, warehouse):
    response = client.post(reverse("parts:receipt_create"), receipt_post(warehouse, [], blank=5))

    assert response.status_code == 200
    assert "Add at least one line." in text(response)
    assert not GoodsReceipt.objects.exists()


def test_a_row_with_a_part_but_no_quantity_is_not_taken_for_blank(client, warehouse, part):
    response = client.post(reverse("parts:receipt_create"), receipt_post(warehouse, [("OF-001", "", "10")]))

    assert response.status_code == 200
    assert field_errors(response, "id_lines-0-quantity") == ["This field is required."]
    assert "Line 1: Quantity:" in text(response)
    assert not GoodsReceipt.objects.exists()


def test_add_line_without_javascript_keeps_the_rows_and_adds_one_without_saving(client, warehouse, part):
    data = {**receipt_post(warehouse, [("OF-001", "2", "10"), ("XX", "", "")], blank=0), "add_line": "1"}

    response = client.post(reverse("parts:receipt_create"), data)

    assert response.status_code == 200
    lines = response.context["lines"]
    assert len(lines) == 3 and not any(line.is_bound for line in lines)
    assert 'value="OF-001"' in text(response) and 'value="XX"' in text(response)
    assert "errorlist" not in text(response)
    assert not GoodsReceipt.objects.exists()


def test_add_line_with_htmx_answers_the_next_row_and_moves_the_button_on(client):
    response = client.get(reverse("parts:receipt_line") + "?index=5", headers={"HX-Request": "true"})

    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert 'name="lines-5-part"' in body and "Line 6" in body
    assert 'id="add-line"' in body and 'hx-swap-oob="true"' in body and "index=6" in body


def test_receipt_list_shows_the_receipts_with_their_value_and_searches_by_part(client, warehouse, part, stock):
    receipt = stock(warehouse, part, 3, "7.00")
    stock(warehouse, PartFactory(code="ZZ-9"), 1, "1.00")

    response = client.get(reverse("parts:receipt_list") + "?q=OF-001")

    assert [r.number for r in response.context["page"].items] == [receipt.number]
    assert "¥21.00" in text(response)


# -- issue, return, transfer, adjustment ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name, field",
    [
        ("parts:issue_create", "warehouse"),
        ("parts:return_create", "warehouse"),
        ("parts:transfer_create", "source"),
        ("parts:adjustment_create", "warehouse"),
        ("parts:reservation_create", "warehouse"),
        ("parts:receipt_create", "warehouse"),
    ],
)
def test_every_stock_form_opens_with_the_keepers_default_warehouse_chosen(client, warehouse, url_name, field):
    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert response.context["form"][field].value() == warehouse.pk
    assert f'<label for="id_{field}" class="required">' in text(response)


def test_issue_page_is_prefilled_from_the_stock_list_link_and_shows_what_is_available(client, warehouse, part, stock):
    stock(warehouse, part, 5)

    response = client.get(reverse("parts:issue_create") + f"?part={part.pk}&warehouse={warehouse.pk}")

    form = response.context["form"]
    assert form["warehouse"].value() == warehouse.pk and 'value="OF-001"' in text(response)
    assert response.context["beside"]["balance"].available == D("5")


def test_issuing_through_the_page_posts_the_move_and_goes_to_it(client, warehouse, part, stock):
    stock(warehouse, part, 5)

    response = client.post(
        reverse("parts:issue_create"),
        {"warehouse": warehouse.pk, "part": part.oem_number, "quantity": "2", "reference": "RO-1001"},
    )

    move = StockMove.objects.get(kind=MoveKind.ISSUE)
    assert response.status_code == 302 and response["Location"] == reverse("parts:move_detail", args=[move.pk])
    assert (move.quantity, move.reference) == (D("-2"), "RO-1001")
    assert balance(part, warehouse).on_hand == D("3")
    assert f"Issued 2 × OF-001 from {warehouse.code}." in toasts(client.get(response["Location"]))


def test_issuing_more_than_is_available_shows_the_conflict_and_changes_nothing(client, warehouse, part, stock):
    stock(warehouse, part, 3)

    response = client.post(
        reverse("parts:issue_create"), {"warehouse": warehouse.pk, "part": "OF-001", "quantity": "5", "reference": ""}
    )

    assert response.status_code == 200
    assert f"Not enough stock of OF-001 in {warehouse.code}: 3 available, 5 asked for." in text(response)
    assert 'class="notice notice-bad" role="alert"' in text(response)
    assert balance(part, warehouse).on_hand == D("3")
    assert not StockMove.objects.filter(kind=MoveKind.ISSUE).exists()


def test_issue_offers_only_the_users_active_warehouses(client, warehouse, other_warehouse, part, stock, branch):
    closed = WarehouseFactory(branch=branch, active=False)
    stock(other_warehouse, part, 5)

    page = client.get(reverse("parts:issue_create"))
    response = client.post(
        reverse("parts:issue_create"), {"warehouse": other_warehouse.pk, "part": "OF-001", "quantity": "1"}
    )

    assert list(page.context["form"].fields["warehouse"].queryset) == [warehouse]
    assert closed.code not in text(page)
    assert response.status_code == 200 and field_errors(response, "id_warehouse")
    assert balance(part, other_warehouse).on_hand == D("5")


def test_returning_parts_through_the_page_puts_them_back_at_the_average_cost(client, warehouse, part, stock):
    stock(warehouse, part, 4, "10.00")

    response = client.post(
        reverse("parts:return_create"),
        {"warehouse": warehouse.pk, "part": "OF-001", "quantity": "1", "reference": "RO-7", "unit_cost": ""},
    )

    move = StockMove.objects.get(kind=MoveKind.RETURN)
    assert response.status_code == 302 and (move.quantity, move.value) == (D("1"), D("10.00"))
    assert balance(part, warehouse).on_hand == D("5")


def test_transferring_moves_stock_between_two_warehouses_of_the_branch(client, branch, warehouse, part, stock):
    # given a second warehouse in the branch and 6 at 10.00 in the first
    annex = WarehouseFactory(branch=branch, code="BJ01-B")
    stock(warehouse, part, 6, "10.00")

    # when 4 are transferred
    response = client.post(
        reverse("parts:transfer_create"),
        {"source": warehouse.pk, "destination": annex.pk, "part": "OF-001", "quantity": "4", "reference": ""},
    )

    # then an out move and an in move of the same value are posted, and the page shows the out move
    out_move = StockMove.objects.get(kind=MoveKind.TRANSFER_OUT)
    in_move = StockMove.objects.get(kind=MoveKind.TRANSFER_IN)
    assert response["Location"] == reverse("parts:move_detail", args=[out_move.pk])
    assert (out_move.quantity, in_move.quantity, in_move.value) == (D("-4"), D("4"), D("40.00"))
    assert out_move.reference == in_move.reference and out_move.reference.startswith("TR")
    assert (balance(part, warehouse).on_hand, balance(part, annex).on_hand) == (D("2"), D("4"))


def test_transferring_into_the_same_warehouse_is_refused_beside_the_destination(client, warehouse, part, stock):
    stock(warehouse, part, 6)

    response = client.post(
        reverse("parts:transfer_create"),
        {"source": warehouse.pk, "destination": warehouse.pk, "part": "OF-001", "quantity": "1"},
    )

    assert field_errors(response, "id_destination") == ["Choose another warehouse than the source."]
    assert StockMove.objects.count() == 1


def test_an_adjustment_needs_a_reason(client, warehouse, part, stock):
    stock(warehouse, part, 6)
    data = {"warehouse": warehouse.pk, "part": "OF-001", "quantity": "-2", "unit_cost": "", "reason": ""}

    refused = client.post(reverse("parts:adjustment_create"), data)
    posted = client.post(reverse("parts:adjustment_create"), {**data, "reason": "货架破损"})

    assert field_errors(refused, "id_reason") == ["Say why the stock is adjusted."]
    move = StockMove.objects.get(kind=MoveKind.ADJUSTMENT)
    assert posted.status_code == 302 and (move.quantity, move.note) == (D("-2"), "货架破损")
    assert balance(part, warehouse).on_hand == D("4")


# -- the ledger and reversal ------------------------------------------------------------------------------------------


def test_reversing_a_move_from_its_page_posts_the_opposite_move(client, warehouse, part, stock):
    # given a receipt of 5 at 10.00
    stock(warehouse, part, 5, "10.00")
    move = StockMove.objects.get()

    # when the keeper opens the move, then its reverse page, and confirms with a note
    detail = client.get(reverse("parts:move_detail", args=[move.pk]))
    confirm = client.get(reverse("parts:move_reverse", args=[move.pk]))
    response = client.post(reverse("parts:move_reverse", args=[move.pk]), {"note": "录错数量"})

    # then the opposite move is posted, the stock is back to nothing, and each move points at the other
    assert reverse("parts:move_reverse", args=[move.pk]) in text(detail)
    assert confirm.status_code == 200 and "data-confirm" in text(confirm)
    reversal = StockMove.objects.get(reverses=move)
    assert response["Location"] == reverse("parts:move_detail", args=[reversal.pk])
    assert (reversal.quantity, reversal.value, reversal.note) == (D("-5"), D("-50.00"), "录错数量")
    assert balance(part, warehouse).on_hand == D("0") and balance(part, warehouse).value == D("0")
    original = client.get(reverse("parts:move_detail", args=[move.pk]))
    assert f"reversed by move #{reversal.pk}" in text(original)
    assert reverse("parts:move_reverse", args=[move.pk]) not in text(original)
    reversal_page = client.get(response["Location"])
    assert f"This move reverses move #{move.pk}." in re.sub(r"<[^>]+>", "", text(reversal_page))


def test_reversing_a_receipt_whose_stock_is_gone_shows_the_conflict_and_posts_nothing(
    client, keeper, warehouse, part, stock
):
    stock(warehouse, part, 5)
    receipt_move = StockMove.objects.get()
    ledger.stock_issue(actor=keeper, warehouse=warehouse, part=part, quantity=4)

    response = client.post(reverse("parts:move_reverse", args=[receipt_move.pk]), {"note": ""})

    assert response.status_code == 200
    assert f"Not enough stock of OF-001 in {warehouse.code}: 1 available, 5 asked for." in text(response)
    assert not StockMove.objects.filter(reverses=receipt_move).exists()
    assert balance(part, warehouse).on_hand == D("1")


def test_a_move_already_reversed_cannot_be_reversed_again(client, keeper, warehouse, part, stock):
    stock(warehouse, part, 5)
    move = StockMove.objects.get()
    ledger.stock_move_reverse(actor=keeper, move=move)

    page = client.get(reverse("parts:move_reverse", args=[move.pk]))
    again = client.post(reverse("parts:move_reverse", args=[move.pk]), {"note": ""})

    assert "This move has already been reversed." in text(page) and '<form class="card stacked"' not in text(page)
    assert "This move has already been reversed." in text(again)
    assert StockMove.objects.count() == 2


def test_reversing_needs_the_adjust_permission(pages, person, warehouse, part, stock):
    stock(warehouse, part, 5)
    move = StockMove.objects.get()
    advisor = pages(person("finance"))  # reads the ledger, may not correct it

    assert advisor.get(reverse("parts:move_detail", args=[move.pk])).status_code == 200
    assert reverse("parts:move_reverse", args=[move.pk]) not in text(
        advisor.get(reverse("parts:move_detail", args=[move.pk]))
    )
    assert advisor.post(reverse("parts:move_reverse", args=[move.pk]), {"note": ""}).status_code == 403
    assert StockMove.objects.count() == 1


def test_move_list_is_newest_first_tags_reversals_and_filters(client, keeper, warehouse, part, brake_pad, stock):
    stock(warehouse, part, 5)
    stock(warehouse, brake_pad, 2)
    issue = ledger.stock_issue(actor=keeper, warehouse=warehouse, part=part, quantity=1, reference="RO-9")
    reversal = ledger.stock_move_reverse(actor=keeper, move=issue)

    everything = client.get(reverse("parts:move_list"))
    of_part = client.get(reverse("parts:move_list") + f"?part={part.pk}&kind=issue")
    by_search = client.get(reverse("parts:move_list") + "?q=BP-002")
    by_reference = client.get(reverse("parts:move_list") + "?reference=ro-9")

    assert [m.pk for m in everything.context["page"].items] == list(
        StockMove.objects.order_by("-id").values_list("pk", flat=True)
    )
    assert everything.context["page"].items[0] == reversal and "Reversal" in text(everything)
    assert {m.pk for m in of_part.context["page"].items} == {issue.pk, reversal.pk}
    assert [m.part for m in by_search.context["page"].items] == [brake_pad]
    assert {m.pk for m in by_reference.context["page"].items} == {issue.pk, reversal.pk}


def test_move_export_downloads_the_filtered_ledger(client, keeper, warehouse, part, brake_pad, stock):
    stock(warehouse, part, 5, "10.00")
    stock(warehouse, brake_pad, 2)

    response = client.get(reverse("parts:move_export") + f"?part={part.pk}")

    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Move", "Time", "Kind")
    assert len(rows) == 2 and rows[1][4] == "OF-001" and rows[1][7] == 5 and rows[1][9] == 50


# -- stock list -------------------------------------------------------------------------------------------------------


def test_stock_list_shows_what_is_in_stock_with_totals_of_the_filtered_rows(
    client, keeper, warehouse, part, brake_pad, stock
):
    # given 5 filters at 10.00, 2 brake pads at 80.00, and a third part whose stock has all gone
    stock(warehouse, part, 5, "10.00")
    stock(warehouse, brake_pad, 2, "80.00")
    gone = PartFactory(code="GONE-1")
    stock(warehouse, gone, 1, "3.00")
    ledger.stock_issue(actor=keeper, warehouse=warehouse, part=gone, quantity=1)

    # when the list is opened, searched, sorted and asked for every balance
    default = client.get(reverse("parts:stock_list"))
    searched = client.get(reverse("parts:stock_list") + "?q=6900000000017")
    by_value = client.get(reverse("parts:stock_list") + "?sort=-value")
    everything = client.get(reverse("parts:stock_list") + "?in_stock=0")

    # then "in stock only" is the default, and the totals follow the filters
    assert [b.part.code for b in default.context["page"].items] == ["BP-002", "OF-001"]
    assert default.context["totals"] == {"quantity": D("7"), "value": D("210.00"), "rows": 2}
    assert "¥210.00" in text(default)
    assert [b.part for b in searched.context["page"].items] == [brake_pad]
    assert searched.context["totals"]["value"] == D("160.00")
    assert [b.part.code for b in by_value.context["page"].items] == ["BP-002", "OF-001"]
    assert [b.part.code for b in everything.context["page"].items] == ["BP-002", "GONE-1", "OF-001"]
    assert everything.context["totals"]["rows"] == 3


def test_stock_export_needs_the_export_permission_and_follows_the_filters(
    pages, person, warehouse, part, brake_pad, stock
):
    stock(warehouse, part, 5, "10.00")
    stock(warehouse, brake_pad, 2, "80.00")
    url = reverse("parts:stock_export") + "?q=OF-001"

    technician = pages(person("technician")).get(url)
    response = pages(person("parts_keeper")).get(url)

    assert technician.status_code == 403
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "Part code"
    assert [row[0] for row in rows[1:]] == ["OF-001"] and rows[1][5] == 5 and rows[1][9] == 50


# -- reservations -----------------------------------------------------------------------------------------------------


def test_reserve_issue_part_and_release_the_rest_through_the_pages(client, warehouse, part, stock):
    stock(warehouse, part, 10)

    # when 4 are reserved for an order
    created = client.post(
        reverse("parts:reservation_create"),
        {"warehouse": warehouse.pk, "part": "OF-001", "quantity": "4", "reference": "RO-2001"},
    )
    reservation = StockReservation.objects.get()
    assert created["Location"] == reverse("parts:reservation_detail", args=[reservation.pk])
    assert balance(part, warehouse).reserved == D("4")

    # and 1 is issued against it
    issued = client.post(reverse("parts:reservation_issue", args=[reservation.pk]), {"quantity": "1"})
    move = StockMove.objects.get(kind=MoveKind.ISSUE)
    assert issued["Location"] == reverse("parts:move_detail", args=[move.pk])
    assert (balance(part, warehouse).on_hand, balance(part, warehouse).reserved) == (D("9"), D("3"))
    detail = client.get(reverse("parts:reservation_detail", args=[reservation.pk]))
    assert reverse("parts:move_detail", args=[move.pk]) in text(detail)

    # and the rest is released
    released = client.post(reverse("parts:reservation_release", args=[reservation.pk]))
    reservation.refresh_from_db()
    assert released["Location"] == reverse("parts:reservation_detail", args=[reservation.pk])
    assert reservation.status == ReservationStatus.RELEASED and reservation.issued == D("1")
    assert (balance(part, warehouse).on_hand, balance(part, warehouse).reserved) == (D("9"), D("0"))
    assert "Reservation for RO-2001 released: 3 × OF-001 are available again." in toasts(
        client.get(released["Location"])
    )


def test_issuing_all_of_a_reservation_without_a_quantity_closes_it(client, keeper, warehouse, part, stock):
    stock(warehouse, part, 10)
    reservation = ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=part, quantity=3, reference="RO-1")

    client.post(reverse("parts:reservation_issue", args=[reservation.pk]), {"quantity": ""})

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.ISSUED and reservation.issued == D("3")
    assert balance(part, warehouse).on_hand == D("7")


def test_a_reservation_beyond_what_is_available_shows_the_conflict(client, warehouse, part, stock):
    stock(warehouse, part, 2)

    response = client.post(
        reverse("parts:reservation_create"),
        {"warehouse": warehouse.pk, "part": "OF-001", "quantity": "3", "reference": "RO-3"},
    )

    assert "2 available, 3 asked for" in text(response)
    assert not StockReservation.objects.exists() and balance(part, warehouse).reserved == D("0")


def test_releasing_a_closed_reservation_is_an_error_message(client, keeper, warehouse, part, stock):
    stock(warehouse, part, 2)
    reservation = ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=part, quantity=1, reference="RO-4")
    ledger.stock_reservation_release(actor=keeper, reservation=reservation)

    response = client.post(reverse("parts:reservation_release", args=[reservation.pk]), follow=True)

    assert "This reservation is Released." in toasts(response)


def test_reservation_list_shows_open_ones_by_default(client, keeper, warehouse, part, stock):
    stock(warehouse, part, 5)
    kept = ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=part, quantity=1, reference="RO-OPEN")
    gone = ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=part, quantity=1, reference="RO-GONE")
    ledger.stock_reservation_release(actor=keeper, reservation=gone)

    default = client.get(reverse("parts:reservation_list"))
    everything = client.get(reverse("parts:reservation_list") + "?status=all")

    assert [r.pk for r in default.context["page"].items] == [kept.pk]
    assert [r.pk for r in everything.context["page"].items] == [gone.pk, kept.pk]


# -- other branches ---------------------------------------------------------------------------------------------------


def test_another_branchs_move_receipt_and_reservation_are_not_found(client, admin_user, other_warehouse, part, stock):
    receipt = stock(other_warehouse, part, 5)
    move = StockMove.objects.get()
    reservation = ledger.stock_reserve(
        actor=admin_user, warehouse=other_warehouse, part=part, quantity=1, reference="X"
    )

    for url in (
        reverse("parts:move_detail", args=[move.pk]),
        reverse("parts:move_reverse", args=[move.pk]),
        reverse("parts:receipt_detail", args=[receipt.pk]),
        reverse("parts:reservation_detail", args=[reservation.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("parts:move_reverse", args=[move.pk]), {"note": ""}).status_code == 404
    assert client.post(reverse("parts:reservation_release", args=[reservation.pk])).status_code == 404
    assert client.post(reverse("parts:reservation_issue", args=[reservation.pk])).status_code == 404
    assert StockMove.objects.count() == 1 and StockReservation.objects.get().status == ReservationStatus.OPEN
    assert not client.get(reverse("parts:stock_list")).context["page"].items
    assert not client.get(reverse("parts:move_list")).context["page"].items
    assert not client.get(reverse("parts:receipt_list")).context["page"].items


# -- query counts -----------------------------------------------------------------------------------------------------


def _rows_for_lists(count, *, admin, warehouse, start):
    """`count` parts, each received (a receipt, a move, a balance), reserved, and issued from once."""
    from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive

    for number in range(start, start + count):
        part = PartFactory(code=f"Q-{number:03d}")
        stock_receive(
            actor=admin, warehouse=warehouse, lines=[ReceiptLineIn(part=part, quantity=D("5"), unit_cost=D("2"))]
        )
        ledger.stock_reserve(actor=admin, warehouse=warehouse, part=part, quantity=1, reference=f"RO-{number}")
        ledger.stock_issue(actor=admin, warehouse=warehouse, part=part, quantity=1)


SCOPED = 5  # session, user, role names, the employee with its further branches, the branch tree


@pytest.mark.parametrize(
    "url_name, query, queries",
    [
        # + totals (one aggregate), capped count, rows, the filter bar's branches and warehouses
        ("parts:stock_list", "", SCOPED + 5),
        ("parts:stock_list", "?q=Q-0&in_stock=0&in_stock=1&sort=-value", SCOPED + 5),
        # + capped count, rows (with part, warehouse, user and employee), the filter bar's warehouses
        ("parts:move_list", "", SCOPED + 3),
        ("parts:move_list", "?kind=issue&q=Q&date_from=2000-01-01", SCOPED + 3),
        # + capped count, rows (with lines and value annotated), the filter bar's warehouses and suppliers
        ("parts:receipt_list", "", SCOPED + 4),
        # + capped count, rows, the filter bar's warehouses
        ("parts:reservation_list", "?status=all", SCOPED + 3),
    ],
)
def test_list_pages_run_the_same_queries_for_3_rows_and_for_30(
    url_name, query, queries, region, branch, admin_user, warehouse
):
    # given a regional manager and 3 parts with stock, moves, receipts and reservations
    viewer = page_client(make_person(role="regional_manager", branch=region))
    url = reverse(url_name) + query
    _rows_for_lists(3, admin=admin_user, warehouse=warehouse, start=0)
    with CaptureQueriesContext(connection) as few:
        assert viewer.get(url).status_code == 200

    # when there are 30
    _rows_for_lists(27, admin=admin_user, warehouse=warehouse, start=3)
    with CaptureQueriesContext(connection) as many:
        response = viewer.get(url)

    # then the page ran the same statements, as many as counted above, and showed a full page
    assert len(response.context["page"].items) == 20 and response.context["page"].has_next
    assert len(many.captured_queries) == len(few.captured_queries) == queries
    assert [q["sql"].split(" WHERE ")[0] for q in many.captured_queries] == [
        q["sql"].split(" WHERE ")[0] for q in few.captured_queries
    ]


# -- who may do what --------------------------------------------------------------------------------------------------


def get(client, url):
    return client.get(url)


def test_issue_page_is_open_to_parts_keepers_parts_managers_and_service_managers(branch, other_branch):
    mismatches = walk_role_matrix(
        own_url=reverse("parts:issue_create"),
        other_url=None,
        allowed={"parts_keeper", "parts_manager", "service_manager"},
        own_branch=branch,
        other_branch=other_branch,
        send=get,
    )
    assert allowed("parts.issue_stock") == {"parts_keeper", "parts_manager", "service_manager"}
    assert mismatches == []


def test_issue_post_is_refused_to_roles_without_the_issue_permission(branch, other_branch, part, stock):
    from aftersales.parts.services.catalogue import warehouse_default_for

    warehouse = warehouse_default_for(branch)
    stock(warehouse, part, 100)

    def send(client, url):
        return client.post(url, {"warehouse": warehouse.pk, "part": "OF-001", "quantity": "1"})

    mismatches = walk_role_matrix(
        own_url=reverse("parts:issue_create"),
        other_url=None,
        allowed={"parts_keeper", "parts_manager", "service_manager"},
        own_branch=branch,
        other_branch=other_branch,
        send=send,
        ok=302,
    )
    assert mismatches == []
    assert StockMove.objects.filter(kind=MoveKind.ISSUE).count() == 3


def test_move_list_is_open_to_everyone_holding_view_stockmove(branch, other_branch):
    holders = allowed("parts.view_stockmove")
    assert {"parts_keeper", "parts_manager", "service_manager", "finance", "regional_manager"} <= holders
    # the ledger shows costs: the front desk and the workshop see stock, not the ledger
    assert not {"customer_care", "hr", "install_supervisor", "technician", "cashier", "service_advisor"} & holders

    mismatches = walk_role_matrix(
        own_url=reverse("parts:move_list"),
        other_url=None,
        allowed=holders,
        own_branch=branch,
        other_branch=other_branch,
        send=get,
    )
    assert mismatches == []


def test_a_move_page_answers_its_viewers_and_404_for_another_branchs_move(
    branch, other_branch, warehouse, other_warehouse, part, stock
):
    stock(warehouse, part, 1)
    stock(other_warehouse, part, 1)
    own, other = (StockMove.objects.get(warehouse=w) for w in (warehouse, other_warehouse))

    mismatches = walk_role_matrix(
        own_url=reverse("parts:move_detail", args=[own.pk]),
        other_url=reverse("parts:move_detail", args=[other.pk]),
        allowed=allowed("parts.view_stockmove"),
        own_branch=branch,
        other_branch=other_branch,
        send=get,
    )
    assert mismatches == []
