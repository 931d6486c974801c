"""The organisation API exactly as the issue states it: fields, list shape, status codes, error shape."""

import pytest
from django.test import Client

from aftersales.core.testing import PASSWORD
from aftersales.org import services
from aftersales.org.models import Branch, Employee, Position, Team
from aftersales.org.tests.factories import PositionFactory, TeamFactory

API = "/api/v1"
NEW_PASSWORD = "Workshop-2026!"


def _post(client: Client, path: str, body: dict):
    return client.post(f"{API}{path}", body, content_type="application/json")


def _patch(client: Client, path: str, body: dict):
    return client.patch(f"{API}{path}", body, content_type="application/json")


def _get(client: Client, path: str, **params):
    return client.get(f"{API}{path}", params)


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    return body


def _list(response) -> dict:
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"items", "count"}
    return body


def _employee_body(branch, **overrides) -> dict:
    body = {
        "username": "zhangwei",
        "password": NEW_PASSWORD,
        "name": "张伟",
        "employee_no": "E0001",
        "mobile": "13800138000",
        "branch": branch.pk,
        "position": None,
        "roles": ["service_advisor"],
        "team": None,
    }
    return {**body, **overrides}


# -- anonymous --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/branches", "/positions", "/employees", "/teams", "/branches/1", "/employees/1"])
def test_anonymous_requests_answer_401(db, path):
    body = _error(Client().get(f"{API}{path}"), 401)

    assert body["code"] == "not_authenticated"


def test_anonymous_create_answers_401(db, branch):
    _error(_post(Client(), "/employees", _employee_body(branch)), 401)
    assert not Employee.objects.exists()


# -- branches ---------------------------------------------------------------------------------------------------------


def test_branch_list_has_the_contract_fields_and_only_visible_branches(api, manager, branch, other_branch):
    body = _list(_get(api(manager), "/branches"))

    assert body["count"] == 1
    (item,) = body["items"]
    assert {"id", "code", "name", "kind", "parent"} <= set(item)
    assert (item["id"], item["code"], item["name"], item["kind"], item["parent"]) == (
        branch.pk,
        "BJ01",
        "北京朝阳店",
        "store",
        branch.parent_id,
    )


def test_branch_list_pages_and_searches(api, regional, region, branch, other_branch):
    client = api(regional)

    everything = _list(_get(client, "/branches"))
    second = _list(_get(client, "/branches", page=2, page_size=1))
    found = _list(_get(client, "/branches", q="上海"))

    assert [b["code"] for b in everything["items"]] == ["BJ01", "RN", "SH01"]
    assert everything["count"] == 3
    assert (second["count"], [b["code"] for b in second["items"]]) == (3, ["RN"])
    assert (found["count"], [b["code"] for b in found["items"]]) == (1, ["SH01"])


def test_regional_manager_creates_a_branch_201(api, regional, region):
    response = _post(
        api(regional),
        "/branches",
        {"code": "gz01", "name": "广州天河店", "kind": "service_center", "parent": region.pk},
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["name"], body["kind"], body["parent"]) == (
        "GZ01",
        "广州天河店",
        "service_center",
        region.pk,
    )
    assert Branch.objects.get(pk=body["id"]).parent == region


def test_branch_with_an_unknown_kind_answers_422_naming_kind(api, regional, region):
    body = _error(
        _post(api(regional), "/branches", {"code": "GZ01", "name": "广州", "kind": "shop", "parent": region.pk}), 422
    )

    assert list(body["fields"]) == ["kind"]
    assert not Branch.objects.filter(code="GZ01").exists()


def test_branch_without_a_name_answers_422_naming_name(api, regional, region):
    body = _error(_post(api(regional), "/branches", {"code": "GZ01", "parent": region.pk}), 422)

    assert "name" in body["fields"]


def test_branch_under_a_region_the_user_cannot_see_answers_422_naming_parent(api, regional, region):
    east = Branch.objects.create(code="RE", name="华东区域", kind="region", parent=region.parent)

    body = _error(_post(api(regional), "/branches", {"code": "HZ01", "name": "杭州", "parent": east.pk}), 422)

    assert list(body["fields"]) == ["parent"]


def test_branch_with_a_bad_code_answers_422_naming_code(api, regional, region):
    body = _error(_post(api(regional), "/branches", {"code": "广州1", "name": "广州", "parent": region.pk}), 422)

    assert list(body["fields"]) == ["code"]


def test_service_manager_cannot_create_a_branch_403(api, manager, region):
    body = _error(_post(api(manager), "/branches", {"code": "GZ01", "name": "广州", "parent": region.pk}), 403)

    assert body["code"] == "forbidden"


def test_branch_patch_changes_only_what_is_sent(api, manager, branch):
    response = _patch(api(manager), f"/branches/{branch.pk}", {"phone": "010-12345678"})

    assert response.status_code == 200
    branch.refresh_from_db()
    assert (branch.phone, branch.name, branch.code, branch.parent_id) == (
        "010-12345678",
        "北京朝阳店",
        "BJ01",
        response.json()["parent"],
    )


def test_branch_patch_with_a_bad_kind_answers_422(api, manager, branch):
    body = _error(_patch(api(manager), f"/branches/{branch.pk}", {"kind": "warehouse"}), 422)

    assert list(body["fields"]) == ["kind"]


def test_another_branch_answers_404_for_get_and_patch(api, manager, other_branch):
    client = api(manager)

    assert _error(_get(client, f"/branches/{other_branch.pk}"), 404)["code"] == "not_found"
    _error(_patch(client, f"/branches/{other_branch.pk}", {"name": "改名"}), 404)
    assert Branch.objects.get(pk=other_branch.pk).name == "上海浦东店"


def test_a_missing_branch_answers_404_like_a_hidden_one(api, manager):
    _error(_get(api(manager), "/branches/999999"), 404)


# -- positions --------------------------------------------------------------------------------------------------------


def test_hr_creates_a_position_201_and_reads_it_back(api, hr):
    client = api(hr)

    response = _post(client, "/positions", {"code": "service_advisor", "name": "服务顾问", "duties": "接待客户"})

    assert response.status_code == 201
    created = response.json()
    assert {"id", "code", "name", "duties"} <= set(created)
    fetched = _get(client, f"/positions/{created['id']}").json()
    assert (fetched["code"], fetched["name"], fetched["duties"]) == ("service_advisor", "服务顾问", "接待客户")


def test_position_list_pages_and_searches(api, person):
    PositionFactory(code="cashier", name="收银员")
    PositionFactory(code="dispatcher", name="车间调度")
    client = api(person("technician"))

    assert _list(_get(client, "/positions"))["count"] == 2
    found = _list(_get(client, "/positions", q="调度"))
    assert [p["code"] for p in found["items"]] == ["dispatcher"]
    assert [p["code"] for p in _list(_get(client, "/positions", page=2, page_size=1))["items"]] == ["dispatcher"]


def test_service_manager_cannot_create_a_position_403(api, manager):
    _error(_post(api(manager), "/positions", {"code": "washer", "name": "洗车工"}), 403)
    assert not Position.objects.exists()


def test_duplicate_position_code_answers_422_naming_code(api, hr):
    PositionFactory(code="cashier")

    body = _error(_post(api(hr), "/positions", {"code": "cashier", "name": "收银员"}), 422)

    assert list(body["fields"]) == ["code"]


def test_position_reporting_to_an_unknown_position_answers_422(api, hr):
    body = _error(_post(api(hr), "/positions", {"code": "cashier", "name": "收银员", "reports_to": 99999}), 422)

    assert list(body["fields"]) == ["reports_to"]


# -- employees --------------------------------------------------------------------------------------------------------


def test_manager_creates_an_employee_201_and_the_password_is_never_returned(api, manager, branch):
    position = PositionFactory()
    team = TeamFactory(branch=branch)

    response = _post(api(manager), "/employees", _employee_body(branch, position=position.pk, team=team.pk))

    assert response.status_code == 201
    body = response.json()
    assert "password" not in body
    assert NEW_PASSWORD not in response.content.decode()
    expected = {
        "username": "zhangwei",
        "name": "张伟",
        "employee_no": "E0001",
        "mobile": "13800138000",
        "branch": branch.pk,
        "position": position.pk,
        "roles": ["service_advisor"],
        "team": team.pk,
    }
    assert {key: body[key] for key in expected} == expected
    assert Client().login(username="zhangwei", password=NEW_PASSWORD)


def test_employee_list_and_detail_never_show_a_password(api, manager, person):
    person("technician")
    client = api(manager)

    listing = _get(client, "/employees")
    detail = _get(client, f"/employees/{manager.employee.pk}")

    assert all("password" not in item for item in _list(listing)["items"])
    assert "password" not in detail.json()


def test_employee_list_shows_the_own_branch_and_searches(api, manager, person, other_branch):
    technician = person("technician")
    stranger = person("technician", branch=other_branch)
    client = api(manager)

    body = _list(_get(client, "/employees"))
    found = _list(_get(client, "/employees", q=technician.username))

    usernames = {item["username"] for item in body["items"]}
    assert usernames == {manager.username, technician.username}
    assert stranger.username not in usernames
    assert [item["username"] for item in found["items"]] == [technician.username]
    assert _list(_get(client, "/employees", page=2, page_size=1))["count"] == 2


def test_regional_manager_sees_the_employees_of_both_stores(api, regional, person, other_branch):
    beijing = person("technician")
    shanghai = person("technician", branch=other_branch)

    usernames = {item["username"] for item in _list(_get(api(regional), "/employees"))["items"]}

    assert {beijing.username, shanghai.username, regional.username} <= usernames


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"roles": ["mechanic"]}, "roles"),
        ({"mobile": "12800138000"}, "mobile"),
        ({"password": "12345678"}, "password"),
        ({"employee_no": None}, "employee_no"),
    ],
)
def test_invalid_employee_answers_422_naming_the_field(api, manager, branch, override, field):
    body = _error(_post(api(manager), "/employees", _employee_body(branch, **override)), 422)

    assert field in body["fields"]
    assert not Employee.objects.filter(name="张伟").exists()


def test_employee_without_a_required_field_answers_422_naming_it(api, manager, branch):
    body = _employee_body(branch)
    del body["employee_no"]

    error = _error(_post(api(manager), "/employees", body), 422)

    assert list(error["fields"]) == ["employee_no"]


def test_employee_in_another_branch_answers_422_naming_branch(api, manager, other_branch):
    body = _error(_post(api(manager), "/employees", _employee_body(other_branch)), 422)

    assert list(body["fields"]) == ["branch"]


def test_employee_in_a_team_of_another_branch_answers_422_naming_team(api, regional, branch, other_branch):
    team = TeamFactory(branch=other_branch)

    body = _error(_post(api(regional), "/employees", _employee_body(branch, team=team.pk)), 422)

    assert list(body["fields"]) == ["team"]


def test_granting_a_role_the_user_cannot_grant_answers_403(api, manager, branch):
    _error(_post(api(manager), "/employees", _employee_body(branch, roles=["regional_manager"])), 403)
    assert not Employee.objects.filter(name="张伟").exists()


def test_technician_cannot_list_or_create_employees_403(api, person, branch):
    client = api(person("technician"))

    _error(_get(client, "/employees"), 403)
    _error(_post(client, "/employees", _employee_body(branch)), 403)


def test_employee_patch_changes_only_what_is_sent(api, manager, person):
    employee = person("technician").employee
    mobile_before = employee.mobile

    response = _patch(
        api(manager), f"/employees/{employee.pk}", {"name": "李娜", "roles": ["technician", "dispatcher"]}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["roles"], body["mobile"], body["employee_no"]) == (
        "李娜",
        ["dispatcher", "technician"],
        mobile_before,
        employee.employee_no,
    )


def test_employee_patch_sets_a_new_password_without_returning_it(api, manager, person):
    user = person("technician")

    response = _patch(api(manager), f"/employees/{user.employee.pk}", {"password": NEW_PASSWORD})

    assert response.status_code == 200
    assert "password" not in response.json()
    assert Client().login(username=user.username, password=NEW_PASSWORD)


def test_employee_patch_with_an_invalid_mobile_answers_422(api, manager, person):
    employee = person("technician").employee

    body = _error(_patch(api(manager), f"/employees/{employee.pk}", {"mobile": "1380013800"}), 422)

    assert list(body["fields"]) == ["mobile"]


def test_employee_patch_deactivates_the_account(api, manager, person):
    user = person("technician")

    response = _patch(api(manager), f"/employees/{user.employee.pk}", {"active": False})

    assert response.json()["active"] is False
    assert not Client().login(username=user.username, password=PASSWORD)


def test_another_branch_employee_answers_404(api, manager, person, other_branch):
    stranger = person("technician", branch=other_branch).employee
    client = api(manager)

    _error(_get(client, f"/employees/{stranger.pk}"), 404)
    _error(_patch(client, f"/employees/{stranger.pk}", {"name": "改名"}), 404)
    assert Employee.objects.get(pk=stranger.pk).name != "改名"


# -- teams ------------------------------------------------------------------------------------------------------------


def test_team_create_201_and_members_are_the_employees_whose_team_it_is(api, person, branch, manager):
    leader = person("technician").employee
    member = person("technician").employee
    client = api(person("workshop_manager"))

    response = _post(client, "/teams", {"name": "机修一组", "branch": branch.pk, "leader": leader.pk})

    assert response.status_code == 201
    team = response.json()
    assert (team["name"], team["branch"], team["leader"], team["members"]) == ("机修一组", branch.pk, leader.pk, [])
    _patch(api(manager), f"/employees/{member.pk}", {"team": team["id"]})
    assert _get(client, f"/teams/{team['id']}").json()["members"] == [member.pk]


def test_team_list_pages_and_searches(api, person, branch, other_branch):
    TeamFactory(branch=branch, name="机修一组")
    TeamFactory(branch=branch, name="钣喷组")
    TeamFactory(branch=other_branch, name="机修二组")
    client = api(person("dispatcher"))

    assert _list(_get(client, "/teams"))["count"] == 2
    assert [t["name"] for t in _list(_get(client, "/teams", q="机修"))["items"]] == ["机修一组"]
    assert len(_list(_get(client, "/teams", page=1, page_size=1))["items"]) == 1


def test_team_leader_from_another_branch_answers_422_naming_leader(api, regional, person, branch, other_branch):
    stranger = person("technician", branch=other_branch).employee

    body = _error(_post(api(regional), "/teams", {"name": "机修一组", "branch": branch.pk, "leader": stranger.pk}), 422)

    assert list(body["fields"]) == ["leader"]


def test_team_without_a_branch_answers_422_naming_branch(api, regional):
    body = _error(_post(api(regional), "/teams", {"name": "机修一组"}), 422)

    assert list(body["fields"]) == ["branch"]


def test_team_patch_changes_only_what_is_sent(api, person, branch):
    team = TeamFactory(branch=branch, name="机修一组", kind="workshop")
    leader = person("technician").employee

    response = _patch(api(person("install_supervisor")), f"/teams/{team.pk}", {"leader": leader.pk})

    assert response.status_code == 200
    team.refresh_from_db()
    assert (team.leader, team.name, team.kind) == (leader, "机修一组", "workshop")


def test_technician_cannot_create_a_team_403(api, person, branch):
    _error(_post(api(person("technician")), "/teams", {"name": "机修一组", "branch": branch.pk}), 403)
    assert not Team.objects.exists()


def test_another_branch_team_answers_404(api, person, other_branch):
    team = TeamFactory(branch=other_branch)
    client = api(person("workshop_manager"))

    _error(_get(client, f"/teams/{team.pk}"), 404)
    _error(_patch(client, f"/teams/{team.pk}", {"name": "改名"}), 404)


def test_api_writes_go_through_the_audited_services(api, manager, person):
    employee = person("technician").employee

    _patch(api(manager), f"/employees/{employee.pk}", {"name": "李娜"})

    from aftersales.core.audit import audit_events_for

    (event,) = audit_events_for(employee)
    assert event.actor == manager
    assert event.changes["name"]["after"] == "李娜"
    assert services.employee_roles(employee) == ["technician"]
