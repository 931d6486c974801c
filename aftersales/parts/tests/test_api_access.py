"""Who may read and post stock through the API: anonymous, every role of the matrix, and another branch.

"Allowed" comes from the role matrix (`ROLES[...].permissions`), so these walks follow it when it grows;
the expectations that matter most are also pinned literally, so that a slip in the matrix is caught.
"""

import itertools
from decimal import Decimal

import pytest

from aftersales.core.testing import api_client, make_person, walk_role_matrix
from aftersales.org.roles import ROLES
from aftersales.parts.models import StockBalance, StockMove
from aftersales.parts.services import ledger

API = "/api/v1"
D = Decimal
_serial = itertools.count(1)

NO_PARTS_ROLES = {"customer_care", "install_supervisor", "hr"}
STORE_ROLES = {"parts_keeper", "parts_manager", "service_manager"}


def roles_with(perm: str) -> set[str]:
    return {code for code, role in ROLES.items() if perm in role.permissions}


def _walk(**kwargs):
    mismatches = walk_role_matrix(client_for=api_client, anonymous=401, **kwargs)
    assert not mismatches, "\n".join(str(m) for m in mismatches)


def _json_post(body_for):
    def send(client, url):
        return client.post(url, body_for(), content_type="application/json")

    return send


def _get(client, url):
    return client.get(url)


@pytest.fixture
def shop(warehouse, other_warehouse, part, stock):
    """Plenty of `part` in both stores' default warehouses, and one receipt move in each."""
    own_move = stock(warehouse, part, 1000, "10.00").lines.get().move
    other_move = stock(other_warehouse, part, 1000, "10.00").lines.get().move
    return {"own_move": own_move, "other_move": other_move}


# -- the matrix itself, pinned --------------------------------------------------------------------------------------------


def test_only_the_stores_roles_post_stock():
    for perm in ("issue_stock", "receive_stock", "transfer_stock", "adjust_stock", "add_warehouse"):
        assert roles_with(f"parts.{perm}") == STORE_ROLES, perm


def test_the_front_desk_reserves_parts_for_its_orders_but_does_not_move_stock():
    assert roles_with("parts.reserve_stock") == STORE_ROLES | {
        "service_advisor",
        "service_supervisor",
        "regional_manager",
    }


def test_every_role_but_three_sees_stock():
    for perm in ("view_stockbalance", "view_stockreservation", "view_part", "view_warehouse"):
        assert roles_with(f"parts.{perm}") == set(ROLES) - NO_PARTS_ROLES, perm


def test_the_ledger_itself_is_for_the_stores_and_those_who_report_on_it():
    assert roles_with("parts.view_stockmove") == STORE_ROLES | {"regional_manager", "finance"}


# -- reads --------------------------------------------------------------------------------------------------------------------


def test_stock_list_by_role(branch, other_branch, shop):
    _walk(
        own_url=f"{API}/stock",
        other_url=None,
        allowed=roles_with("parts.view_stockbalance"),
        own_branch=branch,
        other_branch=other_branch,
        send=_get,
    )


def test_move_list_by_role(branch, other_branch, shop):
    _walk(
        own_url=f"{API}/stock/moves",
        other_url=None,
        allowed=roles_with("parts.view_stockmove"),
        own_branch=branch,
        other_branch=other_branch,
        send=_get,
    )


def test_reservation_list_by_role(branch, other_branch, shop):
    _walk(
        own_url=f"{API}/stock/reservations",
        other_url=None,
        allowed=roles_with("parts.view_stockreservation"),
        own_branch=branch,
        other_branch=other_branch,
        send=_get,
    )


def test_a_move_by_role_and_branch(branch, other_branch, shop):
    _walk(
        own_url=f"{API}/stock/moves/{shop['own_move'].pk}",
        other_url=f"{API}/stock/moves/{shop['other_move'].pk}",
        allowed=roles_with("parts.view_stockmove"),
        own_branch=branch,
        other_branch=other_branch,
        send=_get,
    )


def test_a_warehouse_by_role_and_branch(branch, other_branch, warehouse, other_warehouse):
    _walk(
        own_url=f"{API}/warehouses/{warehouse.pk}",
        other_url=f"{API}/warehouses/{other_warehouse.pk}",
        allowed=roles_with("parts.view_warehouse"),
        own_branch=branch,
        other_branch=other_branch,
        send=_get,
    )


def test_parts_by_role(branch, other_branch, part):
    for url in (f"{API}/parts", f"{API}/parts/{part.pk}"):
        _walk(
            own_url=url,
            other_url=None,
            allowed=roles_with("parts.view_part"),
            own_branch=branch,
            other_branch=other_branch,
            send=_get,
        )


# -- posts ----------------------------------------------------------------------------------------------------------------------


def test_issues_by_role(branch, other_branch, warehouse, part, shop):
    _walk(
        own_url=f"{API}/stock/issues",
        other_url=None,
        allowed=roles_with("parts.issue_stock"),
        own_branch=branch,
        other_branch=other_branch,
        send=_json_post(lambda: {"warehouse": warehouse.pk, "part": part.pk, "quantity": "1", "reference": "WO"}),
        ok=201,
    )
    assert StockBalance.objects.get(warehouse=warehouse, part=part).on_hand == D("1000") - len(STORE_ROLES)


def test_receipts_by_role(branch, other_branch, warehouse, part):
    _walk(
        own_url=f"{API}/stock/receipts",
        other_url=None,
        allowed=roles_with("parts.receive_stock"),
        own_branch=branch,
        other_branch=other_branch,
        send=_json_post(
            lambda: {"warehouse": warehouse.pk, "lines": [{"part": part.pk, "quantity": "1", "unit_cost": "5"}]}
        ),
        ok=201,
    )
    assert StockBalance.objects.get(warehouse=warehouse, part=part).on_hand == len(STORE_ROLES)


def test_returns_by_role(branch, other_branch, warehouse, part, shop):
    _walk(
        own_url=f"{API}/stock/returns",
        other_url=None,
        allowed=roles_with("parts.issue_stock"),
        own_branch=branch,
        other_branch=other_branch,
        send=_json_post(lambda: {"warehouse": warehouse.pk, "part": part.pk, "quantity": "1"}),
        ok=201,
    )


def test_adjustments_by_role(branch, other_branch, warehouse, part, shop):
    _walk(
        own_url=f"{API}/stock/adjustments",
        other_url=None,
        allowed=roles_with("parts.adjust_stock"),
        own_branch=branch,
        other_branch=other_branch,
        send=_json_post(lambda: {"warehouse": warehouse.pk, "part": part.pk, "quantity": "-1", "reason": "破损"}),
        ok=201,
    )


def test_transfers_by_role(branch, other_branch, warehouse, part, shop):
    from aftersales.parts.tests.factories import WarehouseFactory

    second = WarehouseFactory(branch=branch, code="BJ01-B")
    _walk(
        own_url=f"{API}/stock/transfers",
        other_url=None,
        allowed=roles_with("parts.transfer_stock"),
        own_branch=branch,
        other_branch=other_branch,
        send=_json_post(lambda: {"source": warehouse.pk, "destination": second.pk, "part": part.pk, "quantity": 1}),
        ok=201,
    )
    assert StockBalance.objects.get(warehouse=second, part=part).on_hand == len(STORE_ROLES)


def test_reservations_by_role(branch, other_branch, warehouse, part, shop):
    _walk(
        own_url=f"{API}/stock/reservations",
        other_url=None,
        allowed=roles_with("parts.reserve_stock"),
        own_branch=branch,
        other_branch=other_branch,
        send=_json_post(lambda: {"warehouse": warehouse.pk, "part": part.pk, "quantity": "1", "reference": "WO"}),
        ok=201,
    )


def test_warehouse_create_by_role(branch, other_branch):
    _walk(
        own_url=f"{API}/warehouses",
        other_url=None,
        allowed=roles_with("parts.add_warehouse"),
        own_branch=branch,
        other_branch=other_branch,
        send=_json_post(lambda: {"code": f"BJ01-{next(_serial)}", "name": "分库", "branch": branch.pk}),
        ok=201,
    )


def test_part_create_and_change_by_role(branch, other_branch, part):
    _walk(
        own_url=f"{API}/parts",
        other_url=None,
        allowed=roles_with("parts.add_part"),
        own_branch=branch,
        other_branch=other_branch,
        send=_json_post(lambda: {"code": f"NEW-{next(_serial)}", "name": "新配件"}),
        ok=201,
    )
    _walk(
        own_url=f"{API}/parts/{part.pk}",
        other_url=None,
        allowed=roles_with("parts.change_part"),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.patch(url, {"name": "机油滤清器"}, content_type="application/json"),
    )


def _fresh(make, other):
    """`send` for an action that uses its object up: a new own object for every request, the other branch's as is."""

    def send(client, url):
        target = other if url == "other" else make()
        return client.post(target, {}, content_type="application/json")

    return send


def test_reversals_by_role_and_branch(branch, other_branch, warehouse, part, shop, admin_user):
    def fresh_move_url():
        move = ledger.stock_issue(actor=admin_user, warehouse=warehouse, part=part, quantity=1)
        return f"{API}/stock/moves/{move.pk}/reverse"

    _walk(
        own_url="own",
        other_url="other",
        allowed=roles_with("parts.adjust_stock"),
        own_branch=branch,
        other_branch=other_branch,
        send=_fresh(fresh_move_url, f"{API}/stock/moves/{shop['other_move'].pk}/reverse"),
        ok=201,
    )
    assert not StockMove.objects.filter(reverses=shop["other_move"]).exists()


@pytest.mark.parametrize(("action", "perm", "ok"), [("release", "reserve_stock", 200), ("issue", "issue_stock", 201)])
def test_reservation_actions_by_role_and_branch(
    branch, other_branch, warehouse, other_warehouse, part, shop, admin_user, action, perm, ok
):
    def reservation_url(target):
        reservation = ledger.stock_reserve(actor=admin_user, warehouse=target, part=part, quantity=1, reference="WO")
        return f"{API}/stock/reservations/{reservation.pk}/{action}"

    _walk(
        own_url="own",
        other_url="other",
        allowed=roles_with(f"parts.{perm}"),
        own_branch=branch,
        other_branch=other_branch,
        send=_fresh(lambda: reservation_url(warehouse), reservation_url(other_warehouse)),
        ok=ok,
    )
    assert StockBalance.objects.get(warehouse=other_warehouse, part=part).reserved == D("1")


# -- branches ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/stock/issues", lambda wh, part: {"warehouse": wh.pk, "part": part.pk, "quantity": 1}),
        ("/stock/returns", lambda wh, part: {"warehouse": wh.pk, "part": part.pk, "quantity": 1}),
        ("/stock/adjustments", lambda wh, part: {"warehouse": wh.pk, "part": part.pk, "quantity": -1, "reason": "x"}),
        (
            "/stock/reservations",
            lambda wh, part: {"warehouse": wh.pk, "part": part.pk, "quantity": 1, "reference": "x"},
        ),
        (
            "/stock/receipts",
            lambda wh, part: {"warehouse": wh.pk, "lines": [{"part": part.pk, "quantity": 1, "unit_cost": 1}]},
        ),
        ("/stock/transfers", lambda wh, part: {"source": wh.pk, "destination": wh.pk, "part": part.pk, "quantity": 1}),
    ],
)
def test_another_branchs_warehouse_in_a_body_answers_422_naming_the_field(
    person, other_branch, warehouse, part, shop, path, body
):
    """A keeper of SH01 naming BJ01's warehouse: the id does not exist for them (422), and nothing changes."""
    client = api_client(person("parts_keeper", branch=other_branch))
    before = list(StockBalance.objects.order_by("pk").values_list("on_hand", "reserved", "value"))

    response = client.post(f"{API}{path}", body(warehouse, part), content_type="application/json")

    assert response.status_code == 422, response.content
    field = "source" if path == "/stock/transfers" else "warehouse"
    assert field in response.json()["fields"]
    assert list(StockBalance.objects.order_by("pk").values_list("on_hand", "reserved", "value")) == before
    assert StockMove.objects.count() == 2


def test_a_keeper_sees_only_their_branchs_stock_moves_and_warehouses(
    person, other_branch, warehouse, other_warehouse, shop
):
    client = api_client(person("parts_keeper", branch=other_branch))

    stock = client.get(f"{API}/stock").json()
    moves = client.get(f"{API}/stock/moves").json()
    warehouses = client.get(f"{API}/warehouses").json()
    filtered = client.get(f"{API}/stock", {"warehouse": warehouse.pk}).json()

    assert {item["warehouse"] for item in stock["items"]} == {other_warehouse.pk}
    assert [move["id"] for move in moves["items"]] == [shop["other_move"].pk]
    assert [w["id"] for w in warehouses["items"]] == [other_warehouse.pk]
    assert (filtered["count"], filtered["items"]) == (0, [])


def test_a_regional_manager_sees_both_branches_stock_but_cannot_post(
    person, region, warehouse, other_warehouse, part, shop
):
    client = api_client(person("regional_manager", branch=region))

    stock = client.get(f"{API}/stock", {"part": part.pk}).json()
    moves = client.get(f"{API}/stock/moves", {"part": part.pk}).json()
    issue = client.post(
        f"{API}/stock/issues",
        {"warehouse": warehouse.pk, "part": part.pk, "quantity": 1},
        content_type="application/json",
    )

    assert sorted(item["warehouse"] for item in stock["items"]) == sorted([warehouse.pk, other_warehouse.pk])
    assert stock["count"] == 2
    assert {move["warehouse"] for move in moves["items"]} == {warehouse.pk, other_warehouse.pk}
    assert issue.status_code == 403


def test_a_keeper_working_for_both_branches_sees_and_posts_in_both(
    branch, other_branch, warehouse, other_warehouse, part, shop
):
    """An employee's further branches widen where they see and post, through the same funnel."""
    keeper = make_person(role="parts_keeper", branch=branch)
    keeper.employee.branches.add(other_branch)
    client = api_client(keeper)

    warehouses = client.get(f"{API}/warehouses").json()
    issue = client.post(
        f"{API}/stock/issues",
        {"warehouse": other_warehouse.pk, "part": part.pk, "quantity": 1},
        content_type="application/json",
    )

    assert sorted(w["id"] for w in warehouses["items"]) == sorted([warehouse.pk, other_warehouse.pk])
    assert issue.status_code == 201, issue.content
    assert StockBalance.objects.get(warehouse=other_warehouse, part=part).on_hand == D("999")
