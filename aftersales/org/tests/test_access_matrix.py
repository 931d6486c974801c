"""Who may open and change what: every org page and API endpoint × anonymous, every role, another branch.

"Allowed" comes from the role matrix (`ROLES[...].permissions`), so these tests follow it when it grows;
a few expectations are also pinned literally, so that a slip in the matrix itself is caught.
"""

import itertools

import pytest

from aftersales.core.testing import api_client, make_person, page_client, walk_role_matrix
from aftersales.org.models import Branch, Employee, Position, Team
from aftersales.org.roles import ROLES
from aftersales.org.tests.factories import PositionFactory, TeamFactory

NEW_PASSWORD = "Workshop-2026!"
_serial = itertools.count(1)


def roles_with(perm: str) -> set[str]:
    return {code for code, role in ROLES.items() if perm in role.permissions}


@pytest.fixture
def objects(branch, other_branch):
    """One object of each kind in the own branch and, where they belong to a branch, one in the other branch."""
    return {
        "branch": (branch, other_branch),
        "position": (PositionFactory(code="service_advisor", name="服务顾问"), None),
        "employee": (
            make_person(role=None, branch=branch, username="target-bj").employee,
            make_person(role=None, branch=other_branch, username="target-sh").employee,
        ),
        "team": (TeamFactory(branch=branch, name="机修一组"), TeamFactory(branch=other_branch, name="机修一组")),
    }


def _urls(pattern: str, pair) -> tuple[str, str | None]:
    own, other = pair
    return pattern.format(pk=own.pk), (pattern.format(pk=other.pk) if other is not None else None)


def _walk(**kwargs):
    mismatches = walk_role_matrix(**kwargs)
    assert not mismatches, "\n".join(str(m) for m in mismatches)


def _walk_api(**kwargs):
    """The same walk through the API: bearer-token clients, and 401 for anonymous callers."""
    _walk(client_for=api_client, anonymous=401, **kwargs)


def _get(client, url):
    return client.get(url)


# -- the matrix itself, pinned ----------------------------------------------------------------------------------------


def test_the_matrix_grants_org_changes_to_the_expected_roles():
    assert roles_with("org.add_branch") == {"regional_manager"}
    assert roles_with("org.change_branch") == {"regional_manager", "service_manager"}
    assert roles_with("org.add_position") == {"regional_manager", "hr"}
    assert roles_with("org.add_employee") == {"regional_manager", "service_manager", "hr"}
    assert roles_with("org.change_employee") == {"regional_manager", "service_manager", "hr"}
    assert roles_with("org.add_team") == {
        "regional_manager",
        "service_manager",
        "hr",
        "workshop_manager",
        "install_supervisor",
    }
    assert roles_with("org.view_branch") == set(ROLES)  # everyone reads the organisation
    assert "technician" not in roles_with("org.view_employee")
    assert "parts_keeper" not in roles_with("org.view_employee")


# -- pages: lists -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "perm"),
    [
        ("/org/branches/", "org.view_branch"),
        ("/org/positions/", "org.view_position"),
        ("/org/employees/", "org.view_employee"),
        ("/org/teams/", "org.view_team"),
        ("/org/roles/", "org.view_employee"),
    ],
)
def test_list_pages_follow_the_matrix(branch, other_branch, url, perm):
    _walk(
        own_url=url,
        other_url=None,
        allowed=roles_with(perm),
        own_branch=branch,
        other_branch=other_branch,
        send=_get,
    )


# -- pages: details and forms (GET) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "pattern", "perm"),
    [
        ("branch", "/org/branches/{pk}/", "org.view_branch"),
        ("branch", "/org/branches/{pk}/edit/", "org.change_branch"),
        ("position", "/org/positions/{pk}/", "org.view_position"),
        ("position", "/org/positions/{pk}/edit/", "org.change_position"),
        ("employee", "/org/employees/{pk}/", "org.view_employee"),
        ("employee", "/org/employees/{pk}/edit/", "org.change_employee"),
        ("team", "/org/teams/{pk}/", "org.view_team"),
        ("team", "/org/teams/{pk}/edit/", "org.change_team"),
    ],
)
def test_object_pages_follow_the_matrix_and_hide_other_branches(objects, branch, other_branch, kind, pattern, perm):
    own_url, other_url = _urls(pattern, objects[kind])

    _walk(
        own_url=own_url,
        other_url=other_url,
        allowed=roles_with(perm),
        own_branch=branch,
        other_branch=other_branch,
        send=_get,
    )


@pytest.mark.parametrize(
    ("url", "perm"),
    [
        ("/org/branches/new/", "org.add_branch"),
        ("/org/positions/new/", "org.add_position"),
        ("/org/employees/new/", "org.add_employee"),
        ("/org/teams/new/", "org.add_team"),
    ],
)
def test_create_forms_follow_the_matrix(branch, other_branch, url, perm):
    _walk(
        own_url=url,
        other_url=None,
        allowed=roles_with(perm),
        own_branch=branch,
        other_branch=other_branch,
        send=_get,
    )


# -- pages: creating (POST) -------------------------------------------------------------------------------------------


def _page_create_body(kind: str, *, branch, region) -> dict:
    n = next(_serial)
    return {
        "branch": {"code": f"N{n:03d}", "name": f"新门店{n}", "kind": "store", "parent": region.pk},
        "position": {"code": f"position_new_{n}", "name": f"新岗位{n}", "duties": "接待客户"},
        "employee": {
            "username": f"new-{n}",
            "password": NEW_PASSWORD,
            "employee_no": f"N{n:05d}",
            "name": f"新员工{n}",
            "mobile": "13800138000",
            "branch": branch.pk,
        },
        "team": {"name": f"新组{n}", "branch": branch.pk, "kind": "workshop"},
    }[kind]


@pytest.mark.parametrize(
    ("kind", "url", "perm", "model"),
    [
        ("branch", "/org/branches/new/", "org.add_branch", Branch),
        ("position", "/org/positions/new/", "org.add_position", Position),
        ("employee", "/org/employees/new/", "org.add_employee", Employee),
        ("team", "/org/teams/new/", "org.add_team", Team),
    ],
)
def test_creating_through_pages_follows_the_matrix(region, branch, other_branch, kind, url, perm, model):
    # a branch is created under a region, so its creators work for the region
    own_branch = region if kind == "branch" else branch
    before = model.objects.count()

    _walk(
        own_url=url,
        other_url=None,
        allowed=roles_with(perm),
        own_branch=own_branch,
        other_branch=other_branch,
        send=lambda client, url: client.post(url, _page_create_body(kind, branch=branch, region=region)),
        ok=302,
    )

    created = model.objects.count() - before
    if model is Employee:
        created -= len(ROLES)  # walk_role_matrix makes one person per role
    assert created == len(roles_with(perm))


# -- pages: editing (POST) --------------------------------------------------------------------------------------------


def _page_edit_body(kind: str, obj, *, branch, region) -> dict:
    name = f"改名{next(_serial)}"
    if kind == "branch":
        return {"code": obj.code, "name": name, "kind": obj.kind, "parent": region.pk, "active": "on"}
    if kind == "position":
        return {"code": obj.code, "name": name, "duties": obj.duties, "active": "on"}
    if kind == "employee":
        return {
            "username": obj.user.username,
            "employee_no": obj.employee_no,
            "name": name,
            "branch": branch.pk,
            "active": "on",
        }
    return {"name": name, "branch": branch.pk, "kind": "workshop", "active": "on"}


@pytest.mark.parametrize(
    ("kind", "pattern", "perm"),
    [
        ("branch", "/org/branches/{pk}/edit/", "org.change_branch"),
        ("position", "/org/positions/{pk}/edit/", "org.change_position"),
        ("employee", "/org/employees/{pk}/edit/", "org.change_employee"),
        ("team", "/org/teams/{pk}/edit/", "org.change_team"),
    ],
)
def test_editing_through_pages_follows_the_matrix(objects, region, branch, other_branch, kind, pattern, perm):
    own, other = objects[kind]
    other_name = other.name if other is not None else None
    own_url, other_url = _urls(pattern, objects[kind])

    _walk(
        own_url=own_url,
        other_url=other_url,
        allowed=roles_with(perm),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.post(url, _page_edit_body(kind, own, branch=branch, region=region)),
        ok=302,
    )

    own.refresh_from_db()
    assert own.name.startswith("改名")
    if other is not None:
        other.refresh_from_db()
        assert other.name == other_name


# -- pages: literal expectations --------------------------------------------------------------------------------------


def test_technician_cannot_open_the_employee_list(person):
    assert page_client(person("technician")).get("/org/employees/").status_code == 403


def test_hr_creates_an_employee_through_the_page(person, branch, region):
    response = page_client(person("hr")).post(
        "/org/employees/new/", _page_create_body("employee", branch=branch, region=region)
    )

    assert response.status_code == 302
    employee = Employee.objects.get(name__startswith="新员工")
    assert response["Location"] == f"/org/employees/{employee.pk}/"


def test_service_manager_cannot_create_a_position(person):
    client = page_client(person("service_manager"))

    assert client.get("/org/positions/new/").status_code == 403
    assert client.post("/org/positions/new/", {"code": "washer", "name": "洗车工"}).status_code == 403
    assert not Position.objects.filter(code="washer").exists()


def test_regional_manager_sees_the_employees_of_both_stores(person, region, other_branch):
    beijing = person("technician")
    shanghai = person("technician", branch=other_branch)

    response = page_client(person("regional_manager", branch=region)).get("/org/employees/")

    listed = {employee.user.username for employee in response.context["page"].items}
    assert {beijing.username, shanghai.username} <= listed


def test_store_manager_sees_only_their_store_employees(person, other_branch):
    shanghai = person("technician", branch=other_branch)

    response = page_client(person("service_manager")).get("/org/employees/")

    assert shanghai.username not in {employee.user.username for employee in response.context["page"].items}
    assert shanghai.username not in response.content.decode()


# -- API --------------------------------------------------------------------------------------------------------------


def _api_get(client, url):
    return client.get(url)


@pytest.mark.parametrize(
    ("url", "perm"),
    [
        ("/api/v1/branches", "org.view_branch"),
        ("/api/v1/positions", "org.view_position"),
        ("/api/v1/employees", "org.view_employee"),
        ("/api/v1/teams", "org.view_team"),
    ],
)
def test_api_lists_follow_the_matrix(branch, other_branch, url, perm):
    _walk_api(
        own_url=url,
        other_url=None,
        allowed=roles_with(perm),
        own_branch=branch,
        other_branch=other_branch,
        send=_api_get,
    )


@pytest.mark.parametrize(
    ("kind", "pattern", "perm"),
    [
        ("branch", "/api/v1/branches/{pk}", "org.view_branch"),
        ("position", "/api/v1/positions/{pk}", "org.view_position"),
        ("employee", "/api/v1/employees/{pk}", "org.view_employee"),
        ("team", "/api/v1/teams/{pk}", "org.view_team"),
    ],
)
def test_api_reads_follow_the_matrix_and_hide_other_branches(objects, branch, other_branch, kind, pattern, perm):
    own_url, other_url = _urls(pattern, objects[kind])

    _walk_api(
        own_url=own_url,
        other_url=other_url,
        allowed=roles_with(perm),
        own_branch=branch,
        other_branch=other_branch,
        send=_api_get,
    )


def _api_create_body(kind: str, *, branch, region) -> dict:
    n = next(_serial)
    return {
        "branch": {"code": f"A{n:03d}", "name": f"新门店{n}", "kind": "store", "parent": region.pk},
        "position": {"code": f"api_position_{n}", "name": f"新岗位{n}", "duties": "接待客户"},
        "employee": {
            "username": f"api-{n}",
            "password": NEW_PASSWORD,
            "employee_no": f"A{n:05d}",
            "name": f"新员工{n}",
            "mobile": "13800138000",
            "branch": branch.pk,
            "roles": [],
        },
        "team": {"name": f"新组{n}", "branch": branch.pk},
    }[kind]


@pytest.mark.parametrize(
    ("kind", "url", "perm"),
    [
        ("branch", "/api/v1/branches", "org.add_branch"),
        ("position", "/api/v1/positions", "org.add_position"),
        ("employee", "/api/v1/employees", "org.add_employee"),
        ("team", "/api/v1/teams", "org.add_team"),
    ],
)
def test_api_creates_follow_the_matrix(region, branch, other_branch, kind, url, perm):
    own_branch = region if kind == "branch" else branch

    _walk_api(
        own_url=url,
        other_url=None,
        allowed=roles_with(perm),
        own_branch=own_branch,
        other_branch=other_branch,
        send=lambda client, url: client.post(
            url, _api_create_body(kind, branch=branch, region=region), content_type="application/json"
        ),
        ok=201,
    )


@pytest.mark.parametrize(
    ("kind", "pattern", "perm"),
    [
        ("branch", "/api/v1/branches/{pk}", "org.change_branch"),
        ("employee", "/api/v1/employees/{pk}", "org.change_employee"),
        ("team", "/api/v1/teams/{pk}", "org.change_team"),
    ],
)
def test_api_updates_follow_the_matrix_and_hide_other_branches(objects, branch, other_branch, kind, pattern, perm):
    own, other = objects[kind]
    own_url, other_url = _urls(pattern, objects[kind])

    _walk_api(
        own_url=own_url,
        other_url=other_url,
        allowed=roles_with(perm),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.patch(url, {"name": f"改名{next(_serial)}"}, content_type="application/json"),
    )

    own.refresh_from_db()
    other.refresh_from_db()
    assert own.name.startswith("改名")
    assert not other.name.startswith("改名")


def test_api_positions_cannot_be_patched(objects, person):
    position, _none = objects["position"]

    response = api_client(person("hr")).patch(
        f"/api/v1/positions/{position.pk}", {"name": "改名"}, content_type="application/json"
    )

    assert response.status_code == 405
