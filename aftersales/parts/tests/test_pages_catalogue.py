"""The catalogue and location pages: the parts list (quick search, barcode jump, filters, stock across the
warehouses the user sees, export), the part page, suppliers, warehouses and bins, with their query counts and
who may open them."""

import html as html_lib
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from aftersales.core.models import AuditEvent
from aftersales.core.testing import walk_role_matrix
from aftersales.core.xlsx import XLSX_CONTENT_TYPE
from aftersales.org.roles import ROLES
from aftersales.parts.models import Bin, Part, StockBalance, Supplier, Warehouse
from aftersales.parts.services import ledger
from aftersales.parts.tests.factories import PartFactory, SupplierFactory, WarehouseFactory

pytestmark = pytest.mark.usefixtures("english")

LIST = reverse("parts:part_list")
CREATE = reverse("parts:part_create")
EXPORT = reverse("parts:part_export")
SUPPLIERS = reverse("parts:supplier_list")
WAREHOUSES = reverse("parts:warehouse_list")
HTMX = {"HX-Request": "true"}


def allowed(*perms: str) -> set[str]:
    """The roles whose permissions include every one of `perms`."""
    return {code for code, role in ROLES.items() if set(perms) <= role.permissions}


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def field_errors(response, auto_id: str) -> list[str]:
    """The errors the page shows beside one field (the list the field's template links to it)."""
    match = re.search(rf'<ul class="errorlist" id="{re.escape(auto_id)}_error">(.*?)</ul>', text(response), re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1), re.S) if match else []


def toasts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def listed_codes(response) -> list[str]:
    return [p.code for p in response.context["page"].items]


@pytest.fixture
def client(pages, keeper):
    return pages(keeper)


@pytest.fixture
def catalogue(part, supplier):
    """Four more parts beside the oil filter (OF-001): brake pads of two brands, a spark plug, an inactive belt."""
    other = SupplierFactory(code="NGK", name="日本特殊陶业")
    return {
        "filter": part,
        "pad": PartFactory(code="BP-100", name="前刹车片", brand="博世", category="制动", supplier=supplier),
        "pad2": PartFactory(code="BP-200", name="后刹车片", brand="天合", category="制动", retail_price="260.00"),
        "plug": PartFactory(
            code="SP-7", name="火花塞", oem_number="12290-R40-A01", category="点火", supplier=other, retail_price="45"
        ),
        "belt": PartFactory(code="TB-9", name="正时皮带", active=False, category="传动"),
        "other_supplier": other,
    }


# -- the list: quick search, barcode jump, filters, sorting -----------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("of-0", ["OF-001"]),  # the start of a code, typed in lower case
        ("15400-RTA", ["OF-001"]),  # the start of an OEM number
        ("12290", ["SP-7"]),
        ("刹车片", ["BP-100", "BP-200"]),  # a word of the name
        ("后 刹车", ["BP-200"]),  # every word must match
        ("博世", ["BP-100"]),  # the brand
    ],
)
def test_quick_search_finds_parts_by_code_oem_number_and_name(client, catalogue, q, expected):
    # when the keeper searches
    response = client.get(LIST, {"q": q})

    # then exactly the matching active parts are listed
    assert response.status_code == 200
    assert listed_codes(response) == expected


def test_scanning_the_barcode_of_one_part_opens_its_page(client, catalogue):
    # when a scanned barcode is submitted in the search box
    response = client.get(LIST, {"q": "6901234567892", "active": "1"})

    # then the part's page opens straight away
    assert response.status_code == 302
    assert response["Location"] == reverse("parts:part_detail", args=[catalogue["filter"].pk])


def test_a_barcode_shared_by_two_parts_lists_both_instead_of_jumping(client, catalogue):
    # given two parts with the same barcode (a maker's bulk code)
    Part.objects.filter(code__in=["BP-100", "BP-200"]).update(barcode="6900000000001")

    # when it is scanned
    response = client.get(LIST, {"q": "6900000000001"})

    # then both are listed for the keeper to choose
    assert response.status_code == 200
    assert listed_codes(response) == ["BP-100", "BP-200"]


def test_live_search_answers_with_the_results_table_only_and_never_jumps(client, catalogue):
    # when the live search (htmx) asks with a complete barcode
    response = client.get(LIST, {"q": "6901234567892"}, headers=HTMX)

    # then it answers with the table holding that part, without the page shell or a redirect
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert listed_codes(response) == ["OF-001"]


def test_the_search_box_is_focused_and_live(client, catalogue):
    page = text(client.get(LIST))
    search = re.search(r'<input type="search" name="q"[^>]*>', page).group(0)
    assert "autofocus" in search
    assert f'hx-get="{LIST}"' in page and 'hx-target="#results"' in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["BP-100", "BP-200", "OF-001", "SP-7"]),  # active parts by code
        ({"category": "制动"}, ["BP-100", "BP-200"]),
        ({"supplier": "BOSCH"}, ["BP-100", "OF-001"]),
        ({"active": "0"}, ["TB-9"]),
        ({"active": "all"}, ["BP-100", "BP-200", "OF-001", "SP-7", "TB-9"]),
        ({"sort": "-retail_price"}, ["BP-200", "BP-100", "OF-001", "SP-7"]),
        ({"sort": "retail_price"}, ["SP-7", "OF-001", "BP-100", "BP-200"]),
        ({"sort": "name", "category": "制动"}, ["BP-100", "BP-200"]),
    ],
)
def test_list_filters_and_sorts_through_get_parameters(client, catalogue, supplier, params, expected):
    if params.get("supplier") == "BOSCH":
        params = {**params, "supplier": supplier.pk}
    response = client.get(LIST, params)
    assert listed_codes(response) == expected


def test_the_filter_bar_offers_the_categories_and_active_suppliers(client, catalogue):
    SupplierFactory(code="GONE", name="已停用供应商", active=False)
    page = text(client.get(LIST))
    for category in ("制动", "点火", "传动"):
        assert f'<option value="{category}"' in page
    assert "BOSCH" in page and "NGK" in page and "GONE" not in page


def test_list_shows_on_hand_and_available_of_the_warehouses_the_user_sees(
    client, keeper, part, warehouse, other_warehouse, stock
):
    # given 5 of the part here (2 reserved) and 7 in the other store
    stock(warehouse, part, 5)
    stock(other_warehouse, part, 7)
    ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=part, quantity=2, reference="RO-1")

    # when the keeper of this store lists the parts
    row = client.get(LIST).context["page"].items[0]

    # then the totals count this store only
    assert (row.code, row.stock_on_hand, row.stock_available) == ("OF-001", Decimal("5"), Decimal("3"))


def test_list_shows_the_stock_of_every_branch_to_a_regional_manager(
    pages, person, region, part, warehouse, other_warehouse, stock
):
    stock(warehouse, part, 5)
    stock(other_warehouse, part, 7)
    row = pages(person("regional_manager", branch=region)).get(LIST).context["page"].items[0]
    assert (row.stock_on_hand, row.stock_available) == (Decimal("12"), Decimal("12"))


def test_a_part_without_stock_lists_zero(client, part):
    row = client.get(LIST).context["page"].items[0]
    assert (row.stock_on_hand, row.stock_available) == (Decimal("0"), Decimal("0"))


def test_new_part_and_export_show_only_to_roles_that_may(pages, person, part):
    keeper_page = text(pages(person("parts_keeper")).get(LIST))
    advisor_page = text(pages(person("service_advisor")).get(LIST))
    assert CREATE in keeper_page and EXPORT in keeper_page
    assert CREATE not in advisor_page and EXPORT not in advisor_page


# -- export -----------------------------------------------------------------------------------------------------------


def test_export_gives_an_xlsx_of_the_filtered_list(client, catalogue, warehouse, stock):
    # given stock of one brake pad
    stock(warehouse, catalogue["pad"], 4, "120.00")

    # when the brake pads are exported
    response = client.get(EXPORT, {"category": "制动", "sort": "-retail_price"})

    # then the sheet holds exactly those rows, in the list's order, with their stock
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:2] == ("Part code", "Name") and "On hand" in header
    on_hand = header.index("On hand")
    assert [(r[0], r[on_hand]) for r in body] == [("BP-200", 0), ("BP-100", 4)]


def test_export_is_refused_without_the_export_permission(pages, person, part):
    assert pages(person("service_advisor")).get(EXPORT).status_code == 403


# -- query counts -----------------------------------------------------------------------------------------------------


def add_parts(count, *, warehouse, other_warehouse, stock, keeper):
    for _n in range(count):
        p = PartFactory(supplier=SupplierFactory())
        stock(warehouse, p, 3)
        stock(other_warehouse, p, 2)
        ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=p, quantity=1, reference="RO")


def add_suppliers(count, **_kwargs):
    for _n in range(count):
        PartFactory(supplier=SupplierFactory())


def add_warehouses(count, *, warehouse, stock, **_kwargs):
    for _n in range(count):
        w = WarehouseFactory(branch=warehouse.branch)
        Bin.objects.create(warehouse=w, code="A-01")
        stock(w, PartFactory(), 2)


# Every signed-in page: session, user, roles, employee (4). Branch-scoped data: the employee comes with its
# further branches, then the branch tree (5). A list adds the capped count and the page of rows.
SIGNED_IN, SCOPED = 4, 5


@pytest.mark.parametrize(
    ("url", "add_rows", "queries", "headers"),
    [
        # + count, rows (with their stock sums), the filter bar's categories and suppliers
        (LIST, add_parts, SCOPED + 4, {}),
        # a search first looks for a part carrying exactly that barcode (a scan)
        (LIST + "?q=P0&sort=-retail_price&active=all", add_parts, SCOPED + 5, {}),
        # the live search: no filter bar
        (LIST + "?q=P0", add_parts, SCOPED + 2, HTMX),
        # company-wide suppliers: no branch tree; + count, rows (with their part counts)
        (SUPPLIERS, add_suppliers, SIGNED_IN + 2, {}),
        # + count, rows (with bins, stocked parts, value), the filter bar's branches
        (WAREHOUSES, add_warehouses, SCOPED + 3, {}),
    ],
    ids=["parts", "parts searched and sorted", "parts live search", "suppliers", "warehouses"],
)
def test_list_pages_run_the_same_queries_for_3_rows_and_for_15(
    pages, keeper, warehouse, other_warehouse, stock, django_assert_num_queries, url, add_rows, queries, headers
):
    viewer = pages(keeper)
    rows = {"warehouse": warehouse, "other_warehouse": other_warehouse, "stock": stock, "keeper": keeper}
    add_rows(3, **rows)
    with django_assert_num_queries(queries):
        few = viewer.get(url, headers=headers)
    add_rows(12, **rows)
    with django_assert_num_queries(queries):
        many = viewer.get(url, headers=headers)
    assert few.status_code == many.status_code == 200
    assert len(few.context["page"].items) >= 3
    assert len(many.context["page"].items) >= 15


# -- create and edit a part -------------------------------------------------------------------------------------------


def part_post(**overrides) -> dict:
    data = {
        "code": "af-220 ",
        "name": "空气滤清器",
        "oem_number": "17220-r5a-a00",
        "brand": "曼牌",
        "category": "滤清器",
        "unit": "个",
        "barcode": "6901234500001",
        "retail_price": "86.50",
        "warranty_price": "60",
        "reorder_point": "4",
        "reorder_quantity": "10",
        "supplier": "",
    }
    return {**data, **overrides}


def test_create_a_part_through_the_page(client, supplier, keeper):
    # when the keeper saves a new part
    response = client.post(CREATE, part_post(supplier=supplier.pk))

    # then it is stored in canonical form, its page opens and the creation is recorded
    part = Part.objects.get(code="AF-220")
    assert response.status_code == 302 and response["Location"] == part.get_absolute_url()
    assert (part.oem_number, part.retail_price, part.supplier, part.active) == (
        "17220-R5A-A00",
        Decimal("86.50"),
        supplier,
        True,
    )
    assert AuditEvent.objects.filter(object_id=part.pk, actor=keeper, action="create").exists()


def test_the_new_part_form_offers_known_categories(client, catalogue):
    page = text(client.get(CREATE))
    assert '<datalist id="part-categories">' in page and '<option value="制动">' in page
    assert 'name="active"' not in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"code": "of-001"}, "code", "already exists"),  # the fixture part's code, typed in lower case
        ({"retail_price": "-1"}, "retail_price", "greater than or equal to 0"),
        ({"reorder_point": "-2"}, "reorder_point", "greater than or equal to 0"),
        ({"code": "滤清器"}, "code", "Use letters, digits"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_invalid_part_input_is_shown_beside_the_field_and_nothing_is_saved(client, part, overrides, field, message):
    before = Part.objects.count()
    response = client.post(CREATE, part_post(**overrides))
    assert response.status_code == 200
    errors = field_errors(response, f"id_{field}")
    assert errors and message in errors[0]
    assert Part.objects.count() == before


def test_edit_a_part_saves_the_change_and_shows_it_in_the_history(client, part, keeper):
    # when the keeper raises the price
    url = reverse("parts:part_edit", args=[part.pk])
    data = part_post(code=part.code, name=part.name, oem_number=part.oem_number, barcode=part.barcode)
    response = client.post(url, {**data, "retail_price": "62.00", "active": "on"})

    # then it is saved and the part page shows the change
    part.refresh_from_db()
    assert response.status_code == 302 and part.retail_price == Decimal("62.00")
    history = client.get(part.get_absolute_url()).context["history"]
    rows = {row.label: (row.before, row.after) for row in history[0].rows}
    assert rows["Retail price"] == ("58.00", "62.00")


def test_edit_with_a_negative_price_shows_the_error_and_changes_nothing(client, part):
    url = reverse("parts:part_edit", args=[part.pk])
    response = client.post(url, part_post(code=part.code, retail_price="-5", active="on"))
    assert field_errors(response, "id_retail_price")
    part.refresh_from_db()
    assert part.retail_price == Decimal("58.00") and part.name == "机油滤清器"


def test_edit_with_a_taken_code_shows_it_beside_the_code(client, catalogue):
    part = catalogue["pad"]
    response = client.post(reverse("parts:part_edit", args=[part.pk]), part_post(code="bp-200", active="on"))
    assert "already exists" in field_errors(response, "id_code")[0]
    part.refresh_from_db()
    assert part.code == "BP-100"


def test_a_viewer_cannot_open_the_edit_page(pages, person, part):
    assert pages(person("service_advisor")).get(reverse("parts:part_edit", args=[part.pk])).status_code == 403


# -- the part page ----------------------------------------------------------------------------------------------------


def test_part_page_shows_balances_of_the_visible_warehouses_only(
    client, keeper, part, warehouse, other_warehouse, stock
):
    # given stock here and in the other store, and a second warehouse here that holds none
    spare = WarehouseFactory(branch=warehouse.branch, code="BJ01-B")
    stock(warehouse, part, 6, "20.00")
    stock(other_warehouse, part, 9, "20.00")
    ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=part, quantity=2, reference="RO-77")

    # when the keeper opens the part
    response = client.get(part.get_absolute_url())

    # then this store's warehouses are listed (the empty one too), the other store's is not
    balances = {b.warehouse.code: b for b in response.context["balances"]}
    assert set(balances) == {warehouse.code, spare.code}
    assert (balances[warehouse.code].on_hand, balances[warehouse.code].available) == (Decimal("6"), Decimal("4"))
    assert balances[warehouse.code].value == Decimal("120.00")
    assert balances[spare.code].on_hand == 0
    assert response.context["totals"] == {
        "on_hand": Decimal("6"),
        "reserved": Decimal("2"),
        "value": Decimal("120.00"),
        "available": Decimal("4"),
    }
    page = text(response)
    assert other_warehouse.code not in page
    # its moves and open reservations are shown, with the way to the whole ledger of the part
    assert [m.warehouse_id for m in response.context["moves"]] == [warehouse.pk]
    assert [r.reference for r in response.context["reservations"]] == ["RO-77"]
    assert f'href="/parts/moves/?part={part.pk}"' in page
    assert 'id="audit-title"' in page


def test_part_page_shows_the_newest_50_moves(client, keeper, part, warehouse, stock):
    for _n in range(52):
        stock(warehouse, part, 1)
    moves = client.get(part.get_absolute_url()).context["moves"]
    assert len(moves) == 50 and moves[0].pk > moves[-1].pk


def test_part_page_offers_the_bins_of_each_warehouse_to_keepers_only(pages, person, part, warehouse):
    Bin.objects.create(warehouse=warehouse, code="A-01-03")
    keeper_page = text(pages(person("parts_keeper")).get(part.get_absolute_url()))
    advisor_page = text(pages(person("service_advisor")).get(part.get_absolute_url()))
    action = reverse("parts:balance_bin", args=[warehouse.pk, part.pk])
    assert action in keeper_page and ">A-01-03</option>" in keeper_page
    assert action not in advisor_page and reverse("parts:part_edit", args=[part.pk]) not in advisor_page


def test_setting_a_home_bin_from_the_part_page(client, part, warehouse, stock):
    stock(warehouse, part, 2)
    shelf = Bin.objects.create(warehouse=warehouse, code="A-01-03")
    url = reverse("parts:balance_bin", args=[warehouse.pk, part.pk])

    response = client.post(url, {"bin": shelf.pk}, follow=True)

    assert StockBalance.objects.get(part=part, warehouse=warehouse).bin == shelf
    assert "A-01-03" in toasts(response)[0]
    assert [b.bin for b in response.context["balances"] if b.warehouse_id == warehouse.pk] == [shelf]

    # and clearing it again
    client.post(url, {"bin": ""})
    assert StockBalance.objects.get(part=part, warehouse=warehouse).bin is None


def test_a_bin_of_another_warehouse_is_refused(client, part, warehouse):
    elsewhere = Bin.objects.create(warehouse=WarehouseFactory(branch=warehouse.branch), code="Z-9")
    response = client.post(
        reverse("parts:balance_bin", args=[warehouse.pk, part.pk]), {"bin": elsewhere.pk}, follow=True
    )
    assert response.status_code == 200 and "valid choice" in toasts(response)[0]
    assert not StockBalance.objects.filter(part=part, warehouse=warehouse, bin__isnull=False).exists()


def test_setting_a_bin_needs_the_warehouse_permission(pages, person, part, warehouse):
    shelf = Bin.objects.create(warehouse=warehouse, code="A-01")
    url = reverse("parts:balance_bin", args=[warehouse.pk, part.pk])
    assert pages(person("service_advisor")).post(url, {"bin": shelf.pk}).status_code == 403


# -- suppliers --------------------------------------------------------------------------------------------------------


def test_supplier_list_searches_and_counts_active_parts(client, catalogue):
    response = client.get(SUPPLIERS, {"q": "bos"})
    assert [(s.code, s.part_count) for s in response.context["page"].items] == [("BOSCH", 2)]


def test_create_and_edit_a_supplier(client, keeper):
    response = client.post(reverse("parts:supplier_create"), {"code": "mann", "name": "曼胡默尔", "phone": "021-1234"})
    supplier = Supplier.objects.get(code="MANN")
    assert response["Location"] == supplier.get_absolute_url()

    url = reverse("parts:supplier_edit", args=[supplier.pk])
    client.post(url, {"code": "MANN", "name": "曼胡默尔（中国）", "contact": "李经理", "active": "on"})
    supplier.refresh_from_db()
    assert (supplier.name, supplier.contact) == ("曼胡默尔（中国）", "李经理")
    assert "李经理" in text(client.get(supplier.get_absolute_url()))


def test_a_taken_supplier_code_is_shown_beside_the_code(client, supplier):
    response = client.post(reverse("parts:supplier_create"), {"code": "bosch", "name": "另一个"})
    assert "already exists" in field_errors(response, "id_code")[0]
    assert Supplier.objects.count() == 1


def test_supplier_page_lists_its_parts_with_their_stock(client, catalogue, warehouse, stock):
    stock(warehouse, catalogue["pad"], 3)
    response = client.get(catalogue["filter"].supplier.get_absolute_url())
    assert [(p.code, p.stock_on_hand) for p in response.context["page"].items] == [
        ("BP-100", Decimal("3")),
        ("OF-001", Decimal("0")),
    ]


# -- warehouses and bins ----------------------------------------------------------------------------------------------


def test_warehouse_list_shows_the_users_branches_with_the_default_tagged(
    client, warehouse, other_warehouse, part, stock
):
    second = WarehouseFactory(branch=warehouse.branch, code="BJ01-B", name="二号库")
    stock(warehouse, part, 2, "15.00")
    response = client.get(WAREHOUSES)
    rows = {w.code: w for w in response.context["page"].items}
    assert set(rows) == {warehouse.code, second.code}
    assert (rows[warehouse.code].stocked_parts, rows[warehouse.code].stock_value) == (1, Decimal("30.00"))
    page = text(response)
    assert page.count(">Default</span>") == 1


def test_create_a_warehouse_for_one_of_the_users_branches_only(client, branch, other_branch):
    # the form offers the user's branch only
    form = client.get(reverse("parts:warehouse_create")).context["form"]
    assert list(form.fields["branch"].queryset) == [branch]

    # another branch is refused beside the field
    response = client.post(reverse("parts:warehouse_create"), {"code": "x1", "name": "外库", "branch": other_branch.pk})
    assert field_errors(response, "id_branch")
    assert not Warehouse.objects.filter(code="X1").exists()

    # its own branch works, and the new warehouse may take over as the default
    response = client.post(
        reverse("parts:warehouse_create"), {"code": "bj01-b", "name": "二号库", "branch": branch.pk, "is_default": "on"}
    )
    created = Warehouse.objects.get(code="BJ01-B")
    assert response["Location"] == created.get_absolute_url()
    assert list(Warehouse.objects.filter(branch=branch, is_default=True)) == [created]


def test_a_warehouse_holding_stock_cannot_be_closed(client, warehouse, part, stock):
    stock(warehouse, part, 1)
    data = {"code": warehouse.code, "name": warehouse.name, "branch": warehouse.branch_id, "is_default": "on"}
    response = client.post(reverse("parts:warehouse_edit", args=[warehouse.pk]), data)
    assert "holds stock" in field_errors(response, "id_active")[0]
    warehouse.refresh_from_db()
    assert warehouse.active


def test_warehouse_page_lists_bins_and_paginates_what_is_on_hand(client, admin_user, warehouse, stock):
    # given a bin, 22 parts in stock and one part received and issued again (a balance with nothing on hand)
    Bin.objects.create(warehouse=warehouse, code="A-01")
    used_up = PartFactory(code="ZZ-USED")
    stock(warehouse, used_up, 1)
    ledger.stock_issue(actor=admin_user, warehouse=warehouse, part=used_up, quantity=1, reference="RO-1")
    for n in range(22):
        stock(warehouse, PartFactory(code=f"Q-{n:02d}"), n + 1)

    # when the warehouse page is read, page by page

    first = client.get(warehouse.get_absolute_url())
    second = client.get(warehouse.get_absolute_url(), {"page": 2})

    # then the bins are shown and the stock pages through what is on hand only
    assert [b.code for b in first.context["bins"]] == ["A-01"]
    codes = [b.part.code for b in first.context["page"].items] + [b.part.code for b in second.context["page"].items]
    assert len(first.context["page"].items) == 20 and first.context["page"].has_next
    assert sorted(codes) == [f"Q-{n:02d}" for n in range(22)]  # nothing with zero on hand
    assert first.context["totals"]["lines"] == 22


def test_add_a_bin_from_the_warehouse_page(client, warehouse):
    url = reverse("parts:bin_create", args=[warehouse.pk])
    response = client.post(url, {"bin-code": "a-02-01", "bin-name": "二层"})
    assert response["Location"] == warehouse.get_absolute_url()
    assert Bin.objects.filter(warehouse=warehouse, code="A-02-01").exists()

    # the same code again is shown beside the code field
    again = client.post(url, {"bin-code": "A-02-01"})
    assert again.status_code == 200 and field_errors(again, "id_bin-code")
    assert Bin.objects.filter(warehouse=warehouse).count() == 1


@pytest.mark.parametrize(
    "make_request",
    [
        lambda c, w, p: c.get(reverse("parts:warehouse_detail", args=[w.pk])),
        lambda c, w, p: c.get(reverse("parts:warehouse_edit", args=[w.pk])),
        lambda c, w, p: c.post(reverse("parts:bin_create", args=[w.pk]), {"bin-code": "X"}),
        lambda c, w, p: c.post(reverse("parts:balance_bin", args=[w.pk, p.pk]), {"bin": ""}),
    ],
    ids=["detail", "edit", "bin create", "home bin"],
)
def test_another_branchs_warehouse_is_not_found(client, other_warehouse, part, make_request):
    assert make_request(client, other_warehouse, part).status_code == 404
    assert not Bin.objects.filter(warehouse=other_warehouse).exists()


# -- who may --------------------------------------------------------------------------------------------------------


def test_role_matrix_of_the_new_part_page(branch, other_branch):
    roles = allowed("parts.add_part")
    assert roles == {"parts_keeper", "parts_manager", "service_manager"}
    mismatches = walk_role_matrix(
        own_url=CREATE,
        other_url=None,
        allowed=roles,
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


def test_role_matrix_of_the_warehouse_page(branch, other_branch, warehouse, other_warehouse):
    roles = allowed("parts.view_warehouse")
    assert {"parts_keeper", "technician", "finance"} <= roles and "customer_care" not in roles
    mismatches = walk_role_matrix(
        own_url=warehouse.get_absolute_url(),
        other_url=other_warehouse.get_absolute_url(),
        allowed=roles,
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


@pytest.mark.parametrize(
    ("url_name", "perm"),
    [
        ("part_list", "parts.view_part"),
        ("supplier_list", "parts.view_supplier"),
        ("warehouse_list", "parts.view_warehouse"),
    ],
)
def test_list_pages_answer_403_to_roles_without_the_view_permission(pages, person, url_name, perm):
    assert perm not in ROLES["customer_care"].permissions
    assert pages(person("customer_care")).get(reverse(f"parts:{url_name}")).status_code == 403
    assert pages(person("technician")).get(reverse(f"parts:{url_name}")).status_code == 200
