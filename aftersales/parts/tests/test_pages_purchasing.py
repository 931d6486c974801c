"""The purchasing pages: create with lines by part code, place, receive twice, buttons from the transition table,
draft-only editing, receipt reversal, suggested orders, the list with filters and a fixed query count, and who may
open what."""

import html as html_lib
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from aftersales.core.testing import walk_role_matrix
from aftersales.org.roles import ROLES
from aftersales.parts.choices import PurchaseStatus
from aftersales.parts.models import PurchaseOrder, StockBalance
from aftersales.parts.services import purchasing as svc
from aftersales.parts.tests.factories import PartFactory, SupplierFactory

pytestmark = pytest.mark.usefixtures("english")

D = Decimal
LIST = reverse("parts:purchase_list")
CREATE = reverse("parts:purchase_create")
SUGGESTIONS = reverse("parts:purchase_suggestions")


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def toasts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def field_errors(response, auto_id: str) -> list[str]:
    match = re.search(rf'<ul class="errorlist" id="{re.escape(auto_id)}_error">(.*?)</ul>', text(response), re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1), re.S) if match else []


def allowed(*perms: str) -> set[str]:
    return {code for code, role in ROLES.items() if set(perms) <= role.permissions}


def order_post(supplier, warehouse=None, rows=(), **head) -> dict:
    data = {
        "supplier": supplier.pk,
        "expected_on": "",
        "notes": "",
        "lines-TOTAL_FORMS": str(max(len(rows), 1)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **head,
    }
    if warehouse is not None:
        data["warehouse"] = warehouse.pk
    for index, (code, quantity, cost) in enumerate(rows):
        data.update(
            {f"lines-{index}-part": code, f"lines-{index}-quantity": quantity, f"lines-{index}-unit_cost": cost}
        )
    return data


@pytest.fixture
def client(pages, keeper):
    return pages(keeper)


def make_order(keeper, warehouse, supplier, lines, *, place=False):
    order = svc.purchase_order_create(actor=keeper, supplier=supplier, warehouse=warehouse, lines=lines)
    return svc.purchase_order_place(actor=keeper, order=order) if place else order


# -- the whole round ----------------------------------------------------------------------------------------------------


def test_create_place_receive_twice_and_the_order_is_received(client, keeper, warehouse, supplier, part, stock):
    # given 10 filters at 10.00 on the shelf and a second part
    stock(warehouse, part, 10, "10.00")
    PartFactory(code="BP-002", name="刹车片")

    # when the keeper creates an order by part codes (lower case, one row left empty, one cost left empty)
    response = client.post(
        CREATE,
        order_post(
            supplier,
            warehouse,
            rows=[("of-001", "10", ""), ("", "", ""), ("BP-002", "4", "180")],
            notes="urgent",
        ),
    )
    order = PurchaseOrder.objects.get()
    assert response.status_code == 302 and response.url == order.get_absolute_url()
    assert [(li.part.code, li.quantity, li.unit_cost) for li in order.lines.order_by("id")] == [
        ("OF-001", D("10"), D("10")),
        ("BP-002", D("4"), D("180")),
    ]
    detail = client.get(order.get_absolute_url())
    assert "Draft" in text(detail) and order.number in text(detail)
    assert [a.url_name for a in detail.context["actions"]] == ["purchase_place", "purchase_cancel"]
    assert not detail.context["can_receive"]

    # when it is placed
    response = client.post(reverse("parts:purchase_place", args=[order.pk]), follow=True)
    assert toasts(response) == [f"Purchase order {order.number} is now Ordered."]
    assert [a.url_name for a in response.context["actions"]] == ["purchase_cancel"]
    assert response.context["can_receive"] and not response.context["can_edit"]

    # when the receive page is opened, each outstanding line defaults to its outstanding quantity and ordered cost
    receive_url = reverse("parts:purchase_receive", args=[order.pk])
    page = client.get(receive_url)
    filter_line, pad_line = order.lines.order_by("id")
    form = page.context["form"]
    assert form[f"quantity_{filter_line.pk}"].value() == D("10") and form[f"unit_cost_{pad_line.pk}"].value() == D(
        "180"
    )

    # when 6 filters arrive at 12.00 and no pads
    response = client.post(
        receive_url,
        {
            f"quantity_{filter_line.pk}": "6",
            f"unit_cost_{filter_line.pk}": "12",
            f"quantity_{pad_line.pk}": "0",
            f"unit_cost_{pad_line.pk}": "180",
            "note": "first delivery",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == order.get_absolute_url()
    assert toasts(response)[0].endswith(": 1 line.")
    order.refresh_from_db()
    assert order.status == PurchaseStatus.PARTIAL
    balance = StockBalance.objects.get(warehouse=warehouse, part=part)
    assert (balance.on_hand, balance.value, balance.average_cost) == (D("16"), D("172"), D("10.75"))
    assert [a.url_name for a in response.context["actions"]] == ["purchase_close"]

    # when the rest arrives at the defaults
    page = client.get(receive_url)
    rows = page.context["form"].rows
    assert [(line.pk, line.outstanding) for line, _q, _c in rows] == [(filter_line.pk, D("4")), (pad_line.pk, D("4"))]
    response = client.post(
        receive_url,
        {
            f"quantity_{filter_line.pk}": "4",
            f"unit_cost_{filter_line.pk}": "10",
            f"quantity_{pad_line.pk}": "4",
            f"unit_cost_{pad_line.pk}": "180",
            "note": "",
        },
        follow=True,
    )

    # then the order is received, shows two receipts and no more buttons
    order.refresh_from_db()
    assert order.status == PurchaseStatus.RECEIVED
    assert response.context["actions"] == [] and not response.context["can_receive"]
    assert len(response.context["receipts"]) == 2
    assert "Received" in text(response) and "first delivery" in text(response)
    assert client.get(receive_url).status_code == 302


def test_create_shows_errors_beside_the_rows(client, warehouse, supplier, part):
    response = client.post(
        CREATE, order_post(supplier, warehouse, rows=[("NOPE", "1", ""), ("OF-001", "", "5"), ("OF-001", "-3", "")])
    )
    assert response.status_code == 200
    assert field_errors(response, "id_lines-0-part") == ["No part with code NOPE."]
    assert field_errors(response, "id_lines-1-quantity") == ["Enter a quantity."]
    assert not PurchaseOrder.objects.exists()

    # the service's line errors land beside the row they name (here the third row is the second filled one)
    response = client.post(
        CREATE, order_post(supplier, warehouse, rows=[("OF-001", "1", ""), ("", "", ""), ("OF-001", "0.001", "")])
    )
    assert field_errors(response, "id_lines-2-quantity")
    response = client.post(CREATE, order_post(supplier, warehouse, rows=[("OF-001", "1", ""), ("OF-001", "2", "")]))
    assert field_errors(response, "id_lines-1-part") == ["Part OF-001 is already on line 1."]
    response = client.post(CREATE, order_post(supplier, warehouse, rows=[]))
    assert "Add at least one line." in text(response)
    assert not PurchaseOrder.objects.exists()


def test_more_rows_keeps_what_was_typed(client, warehouse, supplier, part):
    data = order_post(supplier, warehouse, rows=[("OF-001", "3", "")], notes="keep me")
    data["more_rows"] = "1"
    response = client.post(CREATE, data)
    assert response.status_code == 200 and not PurchaseOrder.objects.exists()
    formset = response.context["formset"]
    assert len(formset.forms) == 6 and formset.forms[0]["part"].value() == "OF-001"
    assert response.context["form"]["notes"].value() == "keep me"
    assert "errorlist" not in response.content.decode()


def test_edit_is_for_drafts_only(client, keeper, warehouse, supplier, part):
    order = make_order(keeper, warehouse, supplier, [(part, 1, 10)])
    url = reverse("parts:purchase_edit", args=[order.pk])
    acme = SupplierFactory(code="ACME")
    page = client.get(url)
    assert page.context["formset"].forms[0]["part"].value() == "OF-001"

    data = order_post(acme, rows=[("OF-001", "5", "11")], notes="changed")
    data["lines-INITIAL_FORMS"] = "1"
    response = client.post(url, data)

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.supplier == acme and order.notes == "changed"
    assert [(li.quantity, li.unit_cost) for li in order.lines.all()] == [(D("5"), D("11"))]
    history = client.get(order.get_absolute_url()).context["history"]
    assert any(row.label == "Lines" for entry in history for row in entry.rows)

    svc.purchase_order_place(actor=keeper, order=order)
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == order.get_absolute_url()
    assert toasts(response) == ["Only a draft can be edited; this order is Ordered."]


def test_receive_page_shows_over_receipt_beside_the_line(client, keeper, warehouse, supplier, part):
    order = make_order(keeper, warehouse, supplier, [(part, 5, 10)], place=True)
    (line,) = order.lines.all()
    url = reverse("parts:purchase_receive", args=[order.pk])
    response = client.post(url, {f"quantity_{line.pk}": "6", f"unit_cost_{line.pk}": "10"})
    assert response.status_code == 200
    assert field_errors(response, f"id_quantity_{line.pk}") == ["Only 5 of OF-001 are outstanding."]
    response = client.post(url, {f"quantity_{line.pk}": "0", f"unit_cost_{line.pk}": "10"})
    assert "Enter a quantity for at least one line." in text(response)
    assert not order.receipts.exists()


def test_cancel_and_close_buttons_post_their_moves(client, keeper, warehouse, supplier, part):
    draft = make_order(keeper, warehouse, supplier, [(part, 5, 10)])
    response = client.post(reverse("parts:purchase_cancel", args=[draft.pk]), follow=True)
    assert toasts(response) == [f"Purchase order {draft.number} is now Cancelled."]

    # a move the table does not allow is refused with a message, not a crash
    response = client.post(reverse("parts:purchase_close", args=[draft.pk]), follow=True)
    assert "cannot become Closed short" in toasts(response)[0]
    draft.refresh_from_db()
    assert draft.status == PurchaseStatus.CANCELLED
    assert client.get(reverse("parts:purchase_cancel", args=[draft.pk])).status_code == 405


def test_reverse_a_receipt_from_the_order_page(client, keeper, warehouse, supplier, part):
    order = make_order(keeper, warehouse, supplier, [(part, 5, 10)], place=True)
    receipt = svc.purchase_order_receive(actor=keeper, order=order, lines=[(order.lines.get(), 5)])
    url = reverse("parts:purchase_receipt_reverse", args=[order.pk, receipt.pk])

    response = client.post(url, follow=True)

    assert toasts(response) == [f"Receipt {receipt.number} reversed."]
    order.refresh_from_db()
    assert order.status == PurchaseStatus.ORDERED
    assert response.context["receipts"][0].reversed and "Reversed" in text(response)
    response = client.post(url, follow=True)
    assert toasts(response) == ["This receipt has already been reversed."]


# -- suggested orders ---------------------------------------------------------------------------------------------------


def test_suggestions_page_lists_and_creates_orders(client, keeper, warehouse, supplier, other_warehouse):
    low = PartFactory(code="LOW-1", reorder_point=5, reorder_quantity=10, supplier=supplier)
    orphan = PartFactory(code="ORPHAN", reorder_point=2)

    page = client.get(SUGGESTIONS)

    assert page.status_code == 200 and page.context["warehouse"] == warehouse
    assert [g.supplier for g in page.context["groups"]] == [supplier, None]
    body = text(page)
    assert f'name="part" value="{low.pk}"' in body and f'name="part" value="{orphan.pk}"' not in body
    assert "No supplier" in body

    response = client.post(SUGGESTIONS, {"warehouse": warehouse.pk, "part": [low.pk]})

    order = PurchaseOrder.objects.get()
    assert response.status_code == 302 and response.url == order.get_absolute_url()
    assert (order.supplier, order.warehouse, order.status) == (supplier, warehouse, PurchaseStatus.DRAFT)
    assert order.lines.get().quantity == D("10")

    # a part that cannot be picked is refused beside the list; another branch's warehouse is 404
    response = client.post(SUGGESTIONS, {"warehouse": warehouse.pk, "part": [orphan.pk]})
    assert response.status_code == 200 and PurchaseOrder.objects.count() == 1
    assert client.get(f"{SUGGESTIONS}?warehouse={other_warehouse.pk}").status_code == 404


def test_suggestions_may_be_read_but_not_ordered_by_a_regional_manager(pages, person, region, warehouse, supplier):
    PartFactory(code="LOW-1", reorder_point=5, supplier=supplier)
    manager = pages(person("regional_manager", branch=region))
    page = manager.get(f"{SUGGESTIONS}?warehouse={warehouse.pk}")
    assert page.status_code == 200 and 'name="part"' not in page.content.decode()
    assert manager.post(SUGGESTIONS, {"warehouse": warehouse.pk, "part": []}).status_code == 403


# -- the list ----------------------------------------------------------------------------------------------------------


def test_list_filters_by_status_supplier_and_warehouse(
    client, keeper, warehouse, other_warehouse, supplier, part, admin_user
):
    acme = SupplierFactory(code="ACME")
    draft = make_order(keeper, warehouse, supplier, [(part, 1, 10)])
    placed = make_order(keeper, warehouse, acme, [(part, 2, 10), (PartFactory(), 1, "0.5")], place=True)
    make_order(admin_user, other_warehouse, supplier, [(part, 3, 10)])

    def numbers(query=""):
        return [o.number for o in client.get(LIST + query).context["page"].items]

    assert numbers() == [placed.number, draft.number]
    assert numbers("?status=ordered") == [placed.number]
    assert numbers(f"?supplier={acme.pk}") == [placed.number]
    assert numbers(f"?warehouse={warehouse.pk}&status=draft") == [draft.number]
    assert numbers(f"?q={draft.number[-4:]}") == [draft.number]
    assert numbers("?status=nonsense") == [placed.number, draft.number]
    page = client.get(LIST)
    assert "¥20.50" in text(page)
    partial = client.get(LIST + "?status=ordered", headers={"HX-Request": "true"})
    assert b"<html" not in partial.content and placed.number in text(partial)


def add_orders(count, *, keeper, warehouse, supplier):
    for number in range(count):
        make_order(keeper, warehouse, supplier, [(PartFactory(), 1 + number, 10), (PartFactory(), 1, 1)])


# session, user, roles, employee with its branches, branch tree (5) + capped count, rows (with supplier and
# warehouse), the lines of the page's orders (with parts), the filter bar's suppliers and warehouses
LIST_QUERIES = 10


def test_list_runs_the_same_queries_for_3_orders_and_for_60(
    client, keeper, warehouse, supplier, django_assert_num_queries
):
    add_orders(3, keeper=keeper, warehouse=warehouse, supplier=supplier)
    with django_assert_num_queries(LIST_QUERIES):
        few = client.get(LIST + "?status=draft")
    add_orders(57, keeper=keeper, warehouse=warehouse, supplier=supplier)
    with django_assert_num_queries(LIST_QUERIES):
        many = client.get(LIST + "?status=draft")
    assert len(few.context["page"].items) == 3
    assert len(many.context["page"].items) == settings.AFTERSALES["PAGE_SIZE"] and many.context["page"].has_next


# -- who may open what ------------------------------------------------------------------------------------------------


@pytest.fixture
def orders(admin_user, warehouse, other_warehouse, supplier, part):
    """An ordered order in each store."""
    own = make_order(admin_user, warehouse, supplier, [(part, 5, 10)], place=True)
    other = make_order(admin_user, other_warehouse, supplier, [(part, 5, 10)], place=True)
    return own, other


def get(client, url):
    return client.get(url)


@pytest.mark.parametrize(
    ("url_name", "perms"),
    [
        ("parts:purchase_detail", ["parts.view_purchaseorder"]),
        ("parts:purchase_receive", ["parts.receive_stock"]),
    ],
)
def test_order_pages_by_role_and_branch(url_name, perms, orders, branch, other_branch):
    own, other = orders
    mismatches = walk_role_matrix(
        own_url=reverse(url_name, args=[own.pk]),
        other_url=reverse(url_name, args=[other.pk]),
        allowed=allowed(*perms),
        own_branch=branch,
        other_branch=other_branch,
        send=get,
    )
    assert mismatches == []


@pytest.mark.parametrize(
    ("url", "perm"),
    [
        (LIST, "parts.view_purchaseorder"),
        (CREATE, "parts.add_purchaseorder"),
        (SUGGESTIONS, "parts.view_purchaseorder"),
    ],
)
def test_list_pages_by_role(url, perm, branch, other_branch, warehouse):
    mismatches = walk_role_matrix(
        own_url=url, other_url=None, allowed=allowed(perm), own_branch=branch, other_branch=other_branch, send=get
    )
    assert mismatches == []


def test_a_technician_gets_403_and_changes_nothing(pages, person, orders):
    own, _other = orders
    technician = pages(person("technician"))
    (line,) = own.lines.all()
    assert technician.get(LIST).status_code == 403
    assert technician.post(reverse("parts:purchase_cancel", args=[own.pk])).status_code == 403
    response = technician.post(reverse("parts:purchase_receive", args=[own.pk]), {f"quantity_{line.pk}": "1"})
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.status == PurchaseStatus.ORDERED and not own.receipts.exists()


def test_another_branchs_order_is_404_even_for_a_keeper(pages, person, orders, other_branch):
    own, _other = orders
    stranger = pages(person("parts_keeper", branch=other_branch))
    for name in ("purchase_detail", "purchase_edit", "purchase_receive"):
        assert stranger.get(reverse(f"parts:{name}", args=[own.pk])).status_code == 404
    assert stranger.post(reverse("parts:purchase_cancel", args=[own.pk])).status_code == 404
    own.refresh_from_db()
    assert own.status == PurchaseStatus.ORDERED


def test_detail_page_queries_do_not_grow_with_receipts(client, keeper, warehouse, supplier, part):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = make_order(keeper, warehouse, supplier, [(part, 10, 10), (PartFactory(), 10, 1)], place=True)
    first, second = order.lines.order_by("id")
    url = order.get_absolute_url()
    svc.purchase_order_receive(actor=keeper, order=order, lines=[(first, 1), (second, 1)])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _n in range(3):
        svc.purchase_order_receive(actor=keeper, order=order, lines=[(first, 1), (second, 1)])
    with CaptureQueriesContext(connection) as four:
        response = client.get(url)
    assert len(response.context["receipts"]) == 4
    assert len(four.captured_queries) == len(one.captured_queries)
