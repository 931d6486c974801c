"""The parts API exactly as issue #3 states it: paths, fields, decimal strings, status codes, the error shape."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from aftersales.org.models import Branch
from aftersales.parts.models import Part, StockBalance, StockDemand, StockMove, Warehouse
from aftersales.parts.services import ledger
from aftersales.parts.tests.factories import PartFactory, WarehouseFactory

D = Decimal
API = "/api/v1"
#: An API list: the token, the user's roles, the employee, the branch tree, the count, the page (with its joins).
LIST_QUERIES = 6
BALANCE_FIELDS = {"part", "warehouse", "on_hand", "reserved", "available", "average_cost", "value"}


def _get(client: Client, path: str, **params):
    return client.get(f"{API}{path}", params)


def _post(client: Client, path: str, body):
    return client.post(f"{API}{path}", body, content_type="application/json")


def _patch(client: Client, path: str, body):
    return client.patch(f"{API}{path}", body, content_type="application/json")


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def _list(response) -> dict:
    body = _ok(response)
    assert set(body) == {"items", "count"}
    return body


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert isinstance(body["message"], str) and body["message"]
    return body


def _decimal(value) -> Decimal:
    """A quantity or amount from JSON: it must be a string holding a decimal."""
    assert isinstance(value, str), f"{value!r} is not a decimal string"
    return D(value)


def balance_of(part, warehouse) -> StockBalance:
    return StockBalance.objects.get(part=part, warehouse=warehouse)


def ledger_state() -> tuple:
    balances = sorted(StockBalance.objects.values_list("part_id", "warehouse_id", "on_hand", "reserved", "value"))
    return balances, StockMove.objects.count()


@pytest.fixture
def client(api, keeper):
    return api(keeper)


@pytest.fixture
def stocked(warehouse, part, stock):
    """`part` in `warehouse`: 10 @ 10.00 then 30 @ 12.00 → 40 on hand worth 460.00 (average 11.50)."""
    stock(warehouse, part, 10, "10.00")
    stock(warehouse, part, 30, "12.00")
    return part


# -- anonymous and error shape ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/parts"),
        ("post", "/parts"),
        ("get", "/parts/1"),
        ("patch", "/parts/1"),
        ("get", "/warehouses"),
        ("post", "/warehouses"),
        ("get", "/stock"),
        ("get", "/stock/moves"),
        ("get", "/stock/moves/1"),
        ("post", "/stock/receipts"),
        ("post", "/stock/issues"),
        ("post", "/stock/returns"),
        ("post", "/stock/transfers"),
        ("post", "/stock/adjustments"),
        ("post", "/stock/moves/1/reverse"),
        ("get", "/stock/reservations"),
        ("post", "/stock/reservations"),
        ("post", "/stock/reservations/1/release"),
        ("post", "/stock/reservations/1/issue"),
    ],
)
def test_anonymous_requests_answer_401(db, method, path):
    response = getattr(Client(), method)(f"{API}{path}", {}, content_type="application/json")

    assert _error(response, 401)["code"] == "not_authenticated"


def test_a_role_without_the_permission_gets_403_and_nothing_changes(api, person, warehouse, stocked):
    before = ledger_state()

    body = _error(
        _post(
            api(person("technician")), "/stock/issues", {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": 1}
        ),
        403,
    )

    assert body["code"] == "forbidden"
    assert ledger_state() == before


# -- parts --------------------------------------------------------------------------------------------------------------


def test_part_list_has_the_contract_fields_with_decimal_strings(client, part):
    Part.objects.filter(pk=part.pk).update(reorder_point=D("4.5"))

    body = _list(_get(client, "/parts"))

    assert body["count"] == 1
    (item,) = body["items"]
    assert {"id", "code", "name", "unit", "retail_price", "oem_number", "reorder_point"} <= set(item)
    assert (item["id"], item["code"], item["name"], item["unit"], item["oem_number"]) == (
        part.pk,
        "OF-001",
        "机油滤清器",
        "个",
        "15400-RTA-003",
    )
    assert _decimal(item["retail_price"]) == D("58.00")
    assert _decimal(item["reorder_point"]) == D("4.5")


def test_part_list_searches_by_code_oem_number_and_barcode(client, part):
    PartFactory(code="BP-100", name="刹车片")

    found = {q: [p["code"] for p in _list(_get(client, "/parts", q=q))["items"]] for q in ("of-0", "15400", "刹车")}

    assert found == {"of-0": ["OF-001"], "15400": ["OF-001"], "刹车": ["BP-100"]}


def test_part_create_answers_201_with_the_part(client):
    body = _ok(
        _post(
            client,
            "/parts",
            {
                "code": "sp-7",
                "name": "火花塞",
                "unit": "支",
                "retail_price": "45.5",
                "oem_number": "bkr6e",
                "reorder_point": 20,
            },
        ),
        201,
    )

    part = Part.objects.get(pk=body["id"])
    assert (body["code"], body["name"], body["unit"], body["oem_number"]) == ("SP-7", "火花塞", "支", "BKR6E")
    assert (_decimal(body["retail_price"]), _decimal(body["reorder_point"])) == (D("45.5"), D("20"))
    assert (part.code, part.retail_price, part.reorder_point) == ("SP-7", D("45.50"), D("20"))


def test_part_create_returns_what_a_later_get_returns(client):
    created = _ok(_post(client, "/parts", {"code": "SP-8", "name": "火花塞", "retail_price": 45.5}), 201)

    assert created == _ok(_get(client, f"/parts/{created['id']}"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "火花塞"}, "code"),
        ({"code": "SP-9"}, "name"),
        ({"code": "OF-001", "name": "重复"}, "code"),
        ({"code": "配件1", "name": "坏代码"}, "code"),
        ({"code": "SP-9", "name": "x", "retail_price": "-1"}, "retail_price"),
        ({"code": "SP-9", "name": "x", "retail_price": "1.005"}, "retail_price"),
        ({"code": "SP-9", "name": "x", "reorder_point": "abc"}, "reorder_point"),
    ],
)
def test_part_create_with_bad_input_answers_422_naming_the_field(client, part, body, field):
    response = _post(client, "/parts", body)

    assert field in _error(response, 422)["fields"]
    assert Part.objects.count() == 1


def test_part_get_and_patch_change_only_what_is_sent(client, part):
    body = _ok(_patch(client, f"/parts/{part.pk}", {"retail_price": "60", "reorder_point": "5"}))

    assert (_decimal(body["retail_price"]), _decimal(body["reorder_point"])) == (D("60"), D("5"))
    part.refresh_from_db()
    assert (part.retail_price, part.reorder_point, part.name, part.oem_number) == (
        D("60"),
        D("5"),
        "机油滤清器",
        "15400-RTA-003",
    )
    got = _ok(_get(client, f"/parts/{part.pk}"))
    assert (got["code"], _decimal(got["retail_price"])) == ("OF-001", D("60.00"))


def test_part_patch_with_a_taken_code_answers_422_naming_code(client, part):
    other = PartFactory(code="BP-100")

    assert list(_error(_patch(client, f"/parts/{other.pk}", {"code": "of-001"}), 422)["fields"]) == ["code"]
    other.refresh_from_db()
    assert other.code == "BP-100"


def test_a_missing_part_answers_404(client, db):
    assert _error(_get(client, "/parts/999999"), 404)["code"] == "not_found"
    _error(_patch(client, "/parts/999999", {"name": "x"}), 404)


def test_a_role_that_may_only_view_parts_cannot_create_or_change_them(api, person, part):
    technician = api(person("technician"))

    assert _ok(_get(technician, f"/parts/{part.pk}"))["code"] == "OF-001"
    _error(_post(technician, "/parts", {"code": "X1", "name": "x"}), 403)
    _error(_patch(technician, f"/parts/{part.pk}", {"name": "x"}), 403)
    part.refresh_from_db()
    assert part.name == "机油滤清器"


# -- warehouses ---------------------------------------------------------------------------------------------------------


def test_warehouse_list_has_the_contract_fields_and_only_the_users_branch(client, warehouse, other_warehouse, branch):
    body = _list(_get(client, "/warehouses"))

    assert body["count"] == 1
    (item,) = body["items"]
    assert {"id", "code", "name", "branch", "is_default"} <= set(item)
    assert (item["id"], item["code"], item["branch"], item["is_default"]) == (warehouse.pk, "BJ01", branch.pk, True)


def test_warehouse_list_filters_by_branch(api, person, region, warehouse, other_warehouse, other_branch):
    client = api(person("regional_manager", branch=region))

    everything = _list(_get(client, "/warehouses"))
    shanghai = _list(_get(client, "/warehouses", branch=other_branch.pk))

    assert [w["code"] for w in everything["items"]] == ["BJ01", "SH01"]
    assert (shanghai["count"], [w["id"] for w in shanghai["items"]]) == (1, [other_warehouse.pk])


def test_warehouse_create_answers_201_and_a_new_default_takes_over(client, warehouse, branch):
    body = _ok(
        _post(client, "/warehouses", {"code": "bj01-b", "name": "北京二库", "branch": branch.pk, "is_default": True}),
        201,
    )

    assert (body["code"], body["name"], body["branch"], body["is_default"]) == ("BJ01-B", "北京二库", branch.pk, True)
    warehouse.refresh_from_db()
    assert warehouse.is_default is False
    assert Warehouse.objects.filter(branch=branch, is_default=True).get().pk == body["id"]


def test_warehouse_create_not_default_leaves_the_default(client, warehouse, branch):
    body = _ok(_post(client, "/warehouses", {"code": "BJ01-C", "name": "三库", "branch": branch.pk}), 201)

    assert body["is_default"] is False
    warehouse.refresh_from_db()
    assert warehouse.is_default is True


def test_warehouse_create_in_another_branch_answers_422_naming_branch(client, other_branch):
    body = _error(_post(client, "/warehouses", {"code": "SH01-B", "name": "上海二库", "branch": other_branch.pk}), 422)

    assert list(body["fields"]) == ["branch"]
    assert not Warehouse.objects.filter(code="SH01-B").exists()


def test_warehouse_create_with_a_taken_code_answers_422_naming_code(client, warehouse, branch):
    body = _error(_post(client, "/warehouses", {"code": "bj01", "name": "重复", "branch": branch.pk}), 422)

    assert list(body["fields"]) == ["code"]


def test_warehouse_get_answers_its_fields_and_404_for_another_branch(client, warehouse, other_warehouse):
    assert _ok(_get(client, f"/warehouses/{warehouse.pk}"))["code"] == "BJ01"
    assert _error(_get(client, f"/warehouses/{other_warehouse.pk}"), 404)["code"] == "not_found"


def test_a_branch_created_through_the_api_comes_with_its_default_warehouse(api, person, region):
    client = api(person("regional_manager", branch=region))

    created = _ok(_post(client, "/branches", {"code": "GZ01", "name": "广州天河店", "parent": region.pk}), 201)

    body = _list(_get(client, "/warehouses", branch=created["id"]))
    assert body["count"] == 1
    assert (body["items"][0]["code"], body["items"][0]["is_default"]) == ("GZ01", True)
    assert Branch.objects.get(pk=created["id"]).warehouses.get().is_default


# -- receipts -----------------------------------------------------------------------------------------------------------


def test_a_receipt_answers_201_and_stocks_the_warehouse(client, warehouse, part):
    other = PartFactory(code="AF-002")

    body = _ok(
        _post(
            client,
            "/stock/receipts",
            {
                "warehouse": warehouse.pk,
                "lines": [
                    {"part": part.pk, "quantity": "10", "unit_cost": "10.00"},
                    {"part": other.pk, "quantity": 2.5, "unit_cost": 4},
                ],
            },
        ),
        201,
    )

    assert body["number"].startswith("GR-BJ01-")
    assert body["warehouse"] == warehouse.pk
    assert [(line["part"], _decimal(line["quantity"]), _decimal(line["unit_cost"])) for line in body["lines"]] == [
        (part.pk, D("10"), D("10")),
        (other.pk, D("2.5"), D("4")),
    ]
    assert [(m["kind"], _decimal(m["value"]), m["reference"]) for m in body["moves"]] == [
        ("receipt", D("10.00") * 10, body["number"]),
        ("receipt", D("10.00"), body["number"]),
    ]
    assert (balance_of(part, warehouse).on_hand, balance_of(other, warehouse).value) == (D("10"), D("10.00"))


def test_receipts_at_different_costs_average_in_the_stock_answer(client, warehouse, part):
    for quantity, cost in (("10", "10.00"), ("30", "12.00")):
        lines = [{"part": part.pk, "quantity": quantity, "unit_cost": cost}]
        _ok(_post(client, "/stock/receipts", {"warehouse": warehouse.pk, "lines": lines}), 201)

    (item,) = _list(_get(client, "/stock", part=part.pk, warehouse=warehouse.pk))["items"]

    assert (_decimal(item["on_hand"]), _decimal(item["average_cost"]), _decimal(item["value"])) == (
        D("40"),
        D("11.5"),
        D("460.00"),
    )


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([{"part": "PART", "quantity": "-1", "unit_cost": "1"}], "lines.0.quantity"),
        ([{"part": "PART", "quantity": "0", "unit_cost": "1"}], "lines.0.quantity"),
        ([{"part": "PART", "quantity": "1.005", "unit_cost": "1"}], "lines.0.quantity"),
        ([{"part": "PART", "quantity": "1", "unit_cost": "-0.01"}], "lines.0.unit_cost"),
        (
            [{"part": "PART", "quantity": "1", "unit_cost": "1"}, {"part": 999999, "quantity": 1, "unit_cost": 1}],
            "lines.1.part",
        ),
        ([{"part": "PART", "quantity": "1"}], "lines.0.unit_cost"),
        ([], "lines"),
        (None, "lines"),
    ],
)
def test_a_bad_receipt_answers_422_naming_the_field_and_posts_nothing(client, warehouse, part, lines, field):
    body = {"warehouse": warehouse.pk}
    if lines is not None:
        body["lines"] = [{**line, "part": part.pk if line["part"] == "PART" else line["part"]} for line in lines]

    error = _error(_post(client, "/stock/receipts", body), 422)

    assert field in error["fields"], error
    assert not StockMove.objects.exists()
    assert not StockBalance.objects.filter(on_hand__gt=0).exists()


def test_a_receipt_into_another_branchs_warehouse_answers_422_naming_warehouse(client, other_warehouse, part):
    lines = [{"part": part.pk, "quantity": "1", "unit_cost": "1"}]

    error = _error(_post(client, "/stock/receipts", {"warehouse": other_warehouse.pk, "lines": lines}), 422)

    assert list(error["fields"]) == ["warehouse"]
    assert not StockMove.objects.exists()


def test_a_receipt_from_an_unknown_supplier_answers_422_naming_supplier(client, warehouse, part):
    lines = [{"part": part.pk, "quantity": "1", "unit_cost": "1"}]

    error = _error(_post(client, "/stock/receipts", {"warehouse": warehouse.pk, "lines": lines, "supplier": 999}), 422)

    assert list(error["fields"]) == ["supplier"]


# -- issues -------------------------------------------------------------------------------------------------------------


def test_an_issue_answers_201_with_the_move_valued_at_the_average(client, keeper, warehouse, stocked):
    body = _ok(
        _post(
            client,
            "/stock/issues",
            {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": "8", "reference": "WO-1"},
        ),
        201,
    )

    assert (body["kind"], body["part"], body["warehouse"], body["reference"]) == (
        "issue",
        stocked.pk,
        warehouse.pk,
        "WO-1",
    )
    assert (_decimal(body["quantity"]), _decimal(body["value"]), _decimal(body["unit_cost"])) == (
        D("-8"),
        D("-92.00"),
        D("11.5"),
    )
    assert (_decimal(body["on_hand_after"]), _decimal(body["value_after"])) == (D("32"), D("368.00"))
    assert (body["created_by"], body["reverses"]) == (keeper.pk, None)
    assert StockMove.objects.get(pk=body["id"]).value == D("-92.00")


def test_an_issue_beyond_available_answers_409_and_changes_nothing(client, warehouse, stocked):
    before = ledger_state()

    body = _error(
        _post(
            client,
            "/stock/issues",
            {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": "41", "reference": "WO-2"},
        ),
        409,
    )

    assert body["code"] == "insufficient_stock"
    assert "40" in body["message"]
    assert ledger_state() == before
    assert StockDemand.objects.filter(reference="WO-2", filled=0, open=True).exists()


def test_an_issue_of_reserved_units_answers_409(client, keeper, warehouse, stocked):
    ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=stocked, quantity=38, reference="WO-3/1")

    body = _error(_post(client, "/stock/issues", {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": 3}), 409)

    assert body["code"] == "insufficient_stock"
    assert balance_of(stocked, warehouse).on_hand == D("40")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "1.005"}, "quantity"),
        ({"quantity": "many"}, "quantity"),
        ({"part": 999999}, "part"),
        ({"warehouse": 999999}, "warehouse"),
        ({"warehouse": None}, "warehouse"),
        ({"reference": "x" * 81}, "reference"),
    ],
)
def test_a_bad_issue_answers_422_naming_the_field(client, warehouse, stocked, change, field):
    before = ledger_state()
    body = {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": "1", "reference": "WO-4", **change}

    error = _error(_post(client, "/stock/issues", body), 422)

    assert list(error["fields"]) == [field]
    assert ledger_state() == before


@pytest.mark.parametrize("quantity", ["1e30", "-1e30", 1e30, "10000000000", "1e-30", "NaN", "Infinity"])
def test_an_absurd_quantity_answers_422_not_a_server_error(client, warehouse, stocked, quantity):
    body = {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": quantity}

    assert list(_error(_post(client, "/stock/issues", body), 422)["fields"]) == ["quantity"]


@pytest.mark.parametrize(("quantity", "unit_cost"), [("1", "1e30"), ("9999999999.99", "9999999999.9999")])
def test_a_receipt_worth_more_than_a_balance_can_hold_answers_422(client, warehouse, part, quantity, unit_cost):
    lines = [{"part": part.pk, "quantity": quantity, "unit_cost": unit_cost}]

    error = _error(_post(client, "/stock/receipts", {"warehouse": warehouse.pk, "lines": lines}), 422)

    assert error["fields"]
    assert not StockMove.objects.exists()


def test_an_issue_without_a_quantity_answers_422_naming_quantity(client, warehouse, stocked):
    error = _error(_post(client, "/stock/issues", {"warehouse": warehouse.pk, "part": stocked.pk}), 422)

    assert list(error["fields"]) == ["quantity"]


def test_an_issue_from_another_branchs_warehouse_answers_422_naming_warehouse(client, other_warehouse, part, stock):
    stock(other_warehouse, part, 5, "10.00")
    before = ledger_state()

    error = _error(
        _post(client, "/stock/issues", {"warehouse": other_warehouse.pk, "part": part.pk, "quantity": 1}), 422
    )

    assert list(error["fields"]) == ["warehouse"]
    assert ledger_state() == before


# -- stock and moves ------------------------------------------------------------------------------------------------------


def test_stock_answers_the_contract_fields_as_decimal_strings(client, keeper, warehouse, stocked):
    ledger.stock_reserve(actor=keeper, warehouse=warehouse, part=stocked, quantity="2.5", reference="WO-5/1")

    body = _list(_get(client, "/stock", part=stocked.pk, warehouse=warehouse.pk))

    assert body["count"] == 1
    (item,) = body["items"]
    assert BALANCE_FIELDS <= set(item)
    assert (item["part"], item["warehouse"]) == (stocked.pk, warehouse.pk)
    assert {key: _decimal(item[key]) for key in BALANCE_FIELDS - {"part", "warehouse"}} == {
        "on_hand": D("40"),
        "reserved": D("2.5"),
        "available": D("37.5"),
        "average_cost": D("11.5"),
        "value": D("460.00"),
    }


def test_stock_filters_by_part_and_warehouse(client, keeper, warehouse, branch, stocked, stock):
    other_part = PartFactory(code="AF-002")
    second = WarehouseFactory(branch=branch, code="BJ01-B")
    stock(warehouse, other_part, 1, "1")
    stock(second, stocked, 2, "1")

    def pairs(**params):
        body = _list(_get(client, "/stock", **params))
        assert body["count"] == len(body["items"])
        return sorted((item["part"], item["warehouse"]) for item in body["items"])

    assert pairs() == sorted([(stocked.pk, warehouse.pk), (other_part.pk, warehouse.pk), (stocked.pk, second.pk)])
    assert pairs(part=stocked.pk) == sorted([(stocked.pk, warehouse.pk), (stocked.pk, second.pk)])
    assert pairs(warehouse=second.pk) == [(stocked.pk, second.pk)]
    assert pairs(part=other_part.pk, warehouse=second.pk) == []


def test_empty_filters_mean_any_as_the_issue_writes_them(client, warehouse, stocked):
    for path in ("/stock?part=&warehouse=", "/stock/moves?part=&warehouse=", "/warehouses?branch="):
        body = _list(client.get(f"{API}{path}"))
        assert body["count"] >= 1, path


def test_a_filter_that_is_not_an_id_answers_422_naming_it(client, db):
    assert list(_error(_get(client, "/stock", part="abc"), 422)["fields"]) == ["part"]


def test_the_openapi_schema_keeps_the_id_filters_integers(client, db):
    schema = _ok(client.get(f"{API}/openapi.json"))

    (params,) = [
        op["parameters"] for path, ops in schema["paths"].items() if path.endswith("/stock") for op in ops.values()
    ]
    types = {p["name"]: p["schema"] for p in params if p["name"] in ("part", "warehouse")}
    assert all("integer" in str(value) for value in types.values()), types


def test_stock_of_another_branch_is_not_listed(client, warehouse, other_warehouse, part, stock):
    stock(other_warehouse, part, 3, "1")

    assert _list(_get(client, "/stock"))["count"] == 0
    assert _list(_get(client, "/stock", warehouse=other_warehouse.pk))["items"] == []


def test_stock_list_runs_the_same_queries_for_few_and_many_rows(client, warehouse, stock):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _list(_get(client, "/stock"))
        return len(captured)

    stock(warehouse, PartFactory(), 1, "1")
    queries()  # the first request of a token does its one-off bookkeeping
    few = queries()
    for _ in range(30):
        stock(warehouse, PartFactory(), 1, "1")

    assert queries() == few == LIST_QUERIES


def test_moves_are_the_ledger_newest_first(client, keeper, warehouse, stocked):
    ledger.stock_issue(actor=keeper, warehouse=warehouse, part=stocked, quantity=1, reference="WO-6")
    ids = list(StockMove.objects.filter(part=stocked, warehouse=warehouse).order_by("-id").values_list("id", flat=True))

    body = _list(_get(client, "/stock/moves", part=stocked.pk, warehouse=warehouse.pk))

    assert [m["id"] for m in body["items"]] == ids
    assert body["count"] == 3
    newest = body["items"][0]
    assert (newest["kind"], _decimal(newest["quantity"]), _decimal(newest["value"])) == ("issue", D("-1"), D("-11.50"))
    assert [m["kind"] for m in body["items"]] == ["issue", "receipt", "receipt"]


def test_moves_filter_by_part_and_warehouse(client, warehouse, branch, stocked, stock):
    other_part = PartFactory(code="AF-002")
    second = WarehouseFactory(branch=branch, code="BJ01-B")
    stock(warehouse, other_part, 1, "1")
    stock(second, stocked, 2, "1")

    by_part = _list(_get(client, "/stock/moves", part=other_part.pk))
    by_warehouse = _list(_get(client, "/stock/moves", warehouse=second.pk))

    assert [(m["part"], m["warehouse"]) for m in by_part["items"]] == [(other_part.pk, warehouse.pk)]
    assert [(m["part"], m["warehouse"]) for m in by_warehouse["items"]] == [(stocked.pk, second.pk)]


def test_another_branchs_moves_are_not_listed_and_answer_404(client, other_warehouse, part, stock):
    move = stock(other_warehouse, part, 3, "1").lines.get().move

    assert _list(_get(client, "/stock/moves"))["count"] == 0
    _error(_get(client, f"/stock/moves/{move.pk}"), 404)
    _error(_post(client, f"/stock/moves/{move.pk}/reverse", {}), 404)


def test_moves_list_runs_the_same_queries_for_few_and_many_rows(client, keeper, warehouse, stocked):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _list(_get(client, "/stock/moves"))
        return len(captured)

    queries()
    few = queries()
    for _ in range(30):
        ledger.stock_issue(actor=keeper, warehouse=warehouse, part=stocked, quantity=1)

    assert queries() == few == LIST_QUERIES


def test_a_move_cannot_be_changed_or_deleted_through_the_api(client, warehouse, stocked):
    move = StockMove.objects.filter(part=stocked).first()
    before = StockMove.objects.filter(pk=move.pk).values().get()

    assert _ok(_get(client, f"/stock/moves/{move.pk}"))["id"] == move.pk
    assert _patch(client, f"/stock/moves/{move.pk}", {"quantity": "1"}).status_code == 405
    assert client.put(f"{API}/stock/moves/{move.pk}", {}, content_type="application/json").status_code == 405
    assert client.delete(f"{API}/stock/moves/{move.pk}").status_code == 405
    assert StockMove.objects.filter(pk=move.pk).values().get() == before


# -- returns, transfers, adjustments, reversals --------------------------------------------------------------------------


def test_a_return_answers_201_at_the_given_cost_or_the_average(client, warehouse, stocked):
    at_cost = _ok(
        _post(
            client,
            "/stock/returns",
            {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": "1", "unit_cost": "20", "reference": "WO-7"},
        ),
        201,
    )
    at_average = _ok(
        _post(client, "/stock/returns", {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": 2}), 201
    )

    assert (at_cost["kind"], _decimal(at_cost["value"]), at_cost["reference"]) == ("return", D("20.00"), "WO-7")
    assert _decimal(at_average["value"]) == D("23.41")  # 2 × the average 480.00 / 41 = 11.7073 → 23.4146
    assert balance_of(stocked, warehouse).on_hand == D("43")


def test_a_return_with_a_negative_cost_answers_422_naming_unit_cost(client, warehouse, stocked):
    body = {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": "1", "unit_cost": "-1"}

    assert list(_error(_post(client, "/stock/returns", body), 422)["fields"]) == ["unit_cost"]


def test_a_transfer_answers_201_with_both_moves_at_the_average(client, warehouse, branch, stocked):
    second = WarehouseFactory(branch=branch, code="BJ01-B")

    body = _ok(
        _post(
            client,
            "/stock/transfers",
            {
                "source": warehouse.pk,
                "destination": second.pk,
                "part": stocked.pk,
                "quantity": "4",
                "reference": "TR-1",
            },
        ),
        201,
    )

    assert set(body) == {"out_move", "in_move"}
    assert (body["out_move"]["kind"], _decimal(body["out_move"]["quantity"]), _decimal(body["out_move"]["value"])) == (
        "transfer_out",
        D("-4"),
        D("-46.00"),
    )
    assert (body["in_move"]["warehouse"], _decimal(body["in_move"]["value"])) == (second.pk, D("46.00"))
    assert (balance_of(stocked, second).on_hand, balance_of(stocked, second).average_cost) == (D("4"), D("11.5"))


def test_a_transfer_beyond_available_answers_409_and_changes_nothing(client, warehouse, branch, stocked):
    second = WarehouseFactory(branch=branch, code="BJ01-B")
    before = ledger_state()

    body = _error(
        _post(
            client,
            "/stock/transfers",
            {"source": warehouse.pk, "destination": second.pk, "part": stocked.pk, "quantity": 41},
        ),
        409,
    )

    assert body["code"] == "insufficient_stock"
    assert ledger_state() == before


def test_a_transfer_to_another_branchs_warehouse_answers_422_naming_destination(
    client, warehouse, other_warehouse, stocked
):
    body = {"source": warehouse.pk, "destination": other_warehouse.pk, "part": stocked.pk, "quantity": 1}

    assert list(_error(_post(client, "/stock/transfers", body), 422)["fields"]) == ["destination"]
    assert balance_of(stocked, warehouse).on_hand == D("40")


def test_an_adjustment_answers_201_and_down_beyond_stock_answers_409(client, warehouse, stocked):
    gain = _ok(
        _post(
            client,
            "/stock/adjustments",
            {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": "2", "reason": "盘盈"},
        ),
        201,
    )
    before = ledger_state()
    refused = _post(
        client,
        "/stock/adjustments",
        {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": "-43", "reason": "丢失"},
    )

    assert (gain["kind"], _decimal(gain["value"]), gain["reference"]) == ("adjustment", D("23.00"), "盘盈")
    assert _error(refused, 409)["code"] == "insufficient_stock"
    assert ledger_state() == before


@pytest.mark.parametrize(("reason", "field"), [(None, "reason"), ("   ", "reason")])
def test_an_adjustment_without_a_reason_answers_422_naming_reason(client, warehouse, stocked, reason, field):
    body = {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": "-1"}
    if reason is not None:
        body["reason"] = reason

    assert list(_error(_post(client, "/stock/adjustments", body), 422)["fields"]) == [field]


def test_a_reversal_answers_201_and_a_second_one_409(client, keeper, warehouse, stocked):
    move = ledger.stock_issue(actor=keeper, warehouse=warehouse, part=stocked, quantity=8, reference="WO-8")

    reversal = _ok(_post(client, f"/stock/moves/{move.pk}/reverse", {"note": "开错了"}), 201)
    again = _error(_post(client, f"/stock/moves/{move.pk}/reverse", {}), 409)
    of_reversal = _error(_post(client, f"/stock/moves/{reversal['id']}/reverse", {}), 409)

    assert (reversal["reverses"], reversal["kind"], reversal["note"]) == (move.pk, "issue", "开错了")
    assert (_decimal(reversal["quantity"]), _decimal(reversal["value"])) == (D("8"), D("92.00"))
    assert (again["code"], of_reversal["code"]) == ("already_reversed", "already_reversal")
    balance = balance_of(stocked, warehouse)
    assert (balance.on_hand, balance.value) == (D("40"), D("460.00"))


def test_reversing_a_receipt_whose_units_were_issued_answers_409(client, keeper, warehouse, part, stock):
    receipt_move = stock(warehouse, part, 2, "10").lines.get().move
    ledger.stock_issue(actor=keeper, warehouse=warehouse, part=part, quantity=1)

    assert _error(_post(client, f"/stock/moves/{receipt_move.pk}/reverse", {}), 409)["code"] == "insufficient_stock"
    assert not StockMove.objects.filter(reverses=receipt_move).exists()


def test_a_role_without_adjust_cannot_reverse(api, person, warehouse, stocked):
    move = StockMove.objects.first()

    _error(_post(api(person("finance")), f"/stock/moves/{move.pk}/reverse", {}), 403)

    assert not StockMove.objects.filter(reverses=move).exists()


# -- language -------------------------------------------------------------------------------------------------------------


def test_the_409_message_follows_the_requested_language(api, keeper, warehouse, stocked):
    body = {"warehouse": warehouse.pk, "part": stocked.pk, "quantity": "41"}
    client = api(keeper)

    english = client.post(f"{API}/stock/issues", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")

    assert english.status_code == 409
    assert "Not enough stock of OF-001" in english.json()["message"]
