"""Creating and editing the organisation through its pages: valid input saves, invalid input is shown beside its field."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from aftersales.core.models import AuditEvent
from aftersales.core.testing import PASSWORD
from aftersales.org import services
from aftersales.org.models import Branch, Employee, Position, Team, User
from aftersales.org.tests.factories import PositionFactory, TeamFactory

NEW_PASSWORD = "Workshop-2026!"


def _field_error_shown(response, field: str) -> bool:
    """The error sits beside its field: in the form's errors and rendered under the input."""
    assert response.status_code == 200, response.status_code
    return field in response.context["form"].errors and f'id="id_{field}_error"' in response.content.decode()


def _toasts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- branches ---------------------------------------------------------------------------------------------------------


def test_branch_created_through_its_page(pages, regional, region):
    response = pages(regional).post(
        "/org/branches/new/", {"code": "gz01", "name": "广州天河店", "kind": "store", "parent": region.pk}
    )

    branch = Branch.objects.get(code="GZ01")
    assert response.status_code == 302
    assert response["Location"] == f"/org/branches/{branch.pk}/"
    assert (branch.name, branch.parent) == ("广州天河店", region)
    assert _toasts(response)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"code": "广州01", "name": "广州天河店", "kind": "store"}, "code"),
        ({"code": "BJ01", "name": "重复的编码", "kind": "store"}, "code"),
        ({"code": "GZ01", "name": "", "kind": "store"}, "name"),
        ({"code": "GZ01", "name": "广州天河店", "kind": "shop"}, "kind"),
    ],
)
def test_invalid_branch_is_shown_beside_the_field_and_not_saved(pages, regional, region, branch, data, field):
    before = Branch.objects.count()

    response = pages(regional).post("/org/branches/new/", {**data, "parent": region.pk})

    assert _field_error_shown(response, field)
    assert Branch.objects.count() == before


def test_branch_without_region_is_shown_beside_parent(pages, regional):
    response = pages(regional).post("/org/branches/new/", {"code": "GZ01", "name": "广州天河店", "kind": "store"})

    assert _field_error_shown(response, "parent")
    assert not Branch.objects.filter(code="GZ01").exists()


def test_branch_parent_offers_only_regions_the_user_sees(pages, regional, region, branch):
    form = pages(regional).get("/org/branches/new/").context["form"]

    assert list(form.fields["parent"].queryset) == [region]


def test_service_manager_edits_their_branch_and_its_region_stays(pages, manager, branch, region):
    client = pages(manager)
    form = client.get(f"/org/branches/{branch.pk}/edit/").context["form"]
    assert form.fields["parent"].disabled

    response = client.post(
        f"/org/branches/{branch.pk}/edit/",
        {"code": "BJ01", "name": "北京朝阳旗舰店", "kind": "store", "phone": "010-12345678", "active": "on"},
    )

    assert response.status_code == 302
    branch.refresh_from_db()
    assert (branch.name, branch.phone, branch.parent) == ("北京朝阳旗舰店", "010-12345678", region)


def test_regional_manager_editing_their_region_keeps_it_under_the_head_office(pages, regional, region):
    head_office = region.parent
    form = pages(regional).get(f"/org/branches/{region.pk}/edit/").context["form"]
    assert head_office in form.fields["parent"].queryset

    response = pages(regional).post(
        f"/org/branches/{region.pk}/edit/",
        {"code": "RN", "name": "华北大区", "kind": "region", "parent": head_office.pk, "active": "on"},
    )

    assert response.status_code == 302
    region.refresh_from_db()
    assert (region.name, region.parent) == ("华北大区", head_office)


def test_branch_edit_refused_shows_the_error_and_the_title_keeps_the_saved_name(pages, admin_user, region):
    head_office = region.parent
    sub = Branch.objects.create(code="RN2", name="天津片区", kind="region", parent=region)

    response = pages(admin_user).post(
        f"/org/branches/{region.pk}/edit/",
        {"code": "RN", "name": "不该保存", "kind": "region", "parent": sub.pk, "active": "on"},
    )

    assert _field_error_shown(response, "parent")
    assert "不该保存" not in response.content.decode().split("<form", 1)[0]
    region.refresh_from_db()
    assert (region.name, region.parent) == ("华北区域", head_office)
    assert not AuditEvent.objects.exists()


# -- positions --------------------------------------------------------------------------------------------------------


def test_position_created_through_its_page(pages, person):
    boss = PositionFactory(code="service_manager", name="售后服务经理")

    response = pages(person("hr")).post(
        "/org/positions/new/",
        {
            "code": "service_advisor",
            "name": "服务顾问",
            "duties": "1、接待客户。\n2、开具工单。",
            "reports_to": boss.pk,
        },
    )

    position = Position.objects.get(code="service_advisor")
    assert response.status_code == 302
    assert position.reports_to == boss
    detail = pages(person("technician")).get(f"/org/positions/{position.pk}/").content.decode()
    assert "接待客户" in detail and "开具工单" in detail


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"code": "Service Advisor", "name": "服务顾问"}, "code"),
        ({"code": "cashier", "name": "重复"}, "code"),
        ({"code": "advisor", "name": ""}, "name"),
    ],
)
def test_invalid_position_is_shown_beside_the_field_and_not_saved(pages, person, data, field):
    PositionFactory(code="cashier")

    response = pages(person("hr")).post("/org/positions/new/", data)

    assert _field_error_shown(response, field)
    assert Position.objects.count() == 1


def test_position_reporting_line_in_a_circle_is_shown_beside_reports_to(pages, person):
    top = PositionFactory(code="manager", name="经理")
    bottom = PositionFactory(code="advisor", name="顾问", reports_to=top)

    response = pages(person("hr")).post(
        f"/org/positions/{top.pk}/edit/", {"code": "manager", "name": "经理", "reports_to": bottom.pk, "active": "on"}
    )

    assert _field_error_shown(response, "reports_to")
    top.refresh_from_db()
    assert top.reports_to is None


def test_position_edited_through_its_page(pages, person):
    position = PositionFactory(code="cashier", name="收银员", duties="收款")

    response = pages(person("regional_manager")).post(
        f"/org/positions/{position.pk}/edit/",
        {"code": "cashier", "name": "收银员", "duties": "收款、开票", "active": "on"},
    )

    assert response.status_code == 302
    position.refresh_from_db()
    assert position.duties == "收款、开票"


# -- employees --------------------------------------------------------------------------------------------------------


def _employee_data(branch, **overrides) -> dict:
    data = {
        "username": "zhangwei",
        "password": NEW_PASSWORD,
        "employee_no": "E0001",
        "name": "张伟",
        "mobile": "13800138000",
        "branch": branch.pk,
        "roles": ["service_advisor"],
        "hired_on": "2026-03-01",
    }
    return {**data, **overrides}


def test_employee_created_through_the_page_can_sign_in_with_the_role(pages, manager, branch):
    team = TeamFactory(branch=branch)
    position = PositionFactory()

    response = pages(manager).post("/org/employees/new/", _employee_data(branch, team=team.pk, position=position.pk))

    employee = Employee.objects.get(employee_no="E0001")
    assert response.status_code == 302
    assert (employee.name, employee.team, employee.position, str(employee.hired_on)) == (
        "张伟",
        team,
        position,
        "2026-03-01",
    )
    assert services.employee_roles(employee) == ["service_advisor"]
    assert Client().login(username="zhangwei", password=NEW_PASSWORD)
    detail = pages(manager).get(f"/org/employees/{employee.pk}/").content.decode()
    assert str(services.ROLES["service_advisor"].label) in detail


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"mobile": "12800138000"}, "mobile"),
        ({"password": "12345678"}, "password"),
        ({"password": ""}, "password"),
        ({"employee_no": ""}, "employee_no"),
        ({"hired_on": "2026-02-30"}, "hired_on"),
        ({"roles": ["hr"]}, "roles"),  # not a role a service manager may grant: not even offered
    ],
)
def test_invalid_employee_is_shown_beside_the_field_and_not_saved(pages, manager, branch, override, field):
    response = pages(manager).post("/org/employees/new/", _employee_data(branch, **override))

    assert _field_error_shown(response, field)
    assert not User.objects.filter(username="zhangwei").exists()


def test_taken_user_name_is_shown_beside_user_name(pages, manager, branch, person):
    taken = person("technician")

    response = pages(manager).post("/org/employees/new/", _employee_data(branch, username=taken.username.upper()))

    assert _field_error_shown(response, "username")
    assert not Employee.objects.filter(employee_no="E0001").exists()


def test_employee_form_offers_only_the_roles_the_user_may_grant(pages, manager):
    offered = {
        code for code, _label in pages(manager).get("/org/employees/new/").context["form"].fields["roles"].choices
    }

    assert offered == services.roles_grantable_by(manager)
    assert "hr" not in offered and "regional_manager" not in offered


def test_team_of_another_branch_is_shown_beside_team(pages, regional, branch, other_branch):
    team = TeamFactory(branch=other_branch)

    response = pages(regional).post("/org/employees/new/", _employee_data(branch, team=team.pk))

    assert _field_error_shown(response, "team")
    assert not Employee.objects.filter(employee_no="E0001").exists()


def _edit_data(employee, **overrides) -> dict:
    data = {
        "username": employee.user.username,
        "employee_no": employee.employee_no,
        "name": employee.name,
        "mobile": employee.mobile,
        "branch": employee.branch_id,
        "roles": services.employee_roles(employee),
        "active": "on",
    }
    return {**data, **overrides}


def test_employee_edited_through_the_page_keeps_the_password_when_left_empty(pages, manager, person):
    employee = person("technician").employee

    response = pages(manager).post(
        f"/org/employees/{employee.pk}/edit/",
        _edit_data(employee, name="李娜", mobile="13900139000", roles=["technician", "dispatcher"]),
    )

    assert response.status_code == 302
    employee.refresh_from_db()
    assert (employee.name, employee.mobile) == ("李娜", "13900139000")
    assert services.employee_roles(employee) == ["dispatcher", "technician"]
    assert Client().login(username=employee.user.username, password=PASSWORD)
    page = pages(manager).get(f"/org/employees/{employee.pk}/").content.decode()
    history = page[page.index('aria-labelledby="audit-title"') :]
    assert "李娜" in history and "13900139000" in history


def test_the_user_name_cannot_be_changed_on_the_edit_page(pages, manager, person):
    employee = person("technician").employee
    username = employee.user.username

    pages(manager).post(f"/org/employees/{employee.pk}/edit/", _edit_data(employee, username="hijacked"))

    employee.user.refresh_from_db()
    assert employee.user.username == username


def test_employee_deactivated_through_the_page_can_no_longer_sign_in(pages, manager, person):
    user = person("technician")

    data = _edit_data(user.employee)
    del data["active"]
    response = pages(manager).post(f"/org/employees/{user.employee.pk}/edit/", data)

    assert response.status_code == 302
    assert not Client().login(username=user.username, password=PASSWORD)


def test_deactivating_oneself_is_shown_beside_active(pages, manager):
    data = _edit_data(manager.employee)
    del data["active"]

    response = pages(manager).post(f"/org/employees/{manager.employee.pk}/edit/", data)

    assert _field_error_shown(response, "active")
    manager.refresh_from_db()
    assert manager.is_active


def test_removing_a_role_one_may_not_grant_is_shown_beside_roles(pages, manager, person):
    employee = person(["hr", "technician"]).employee

    response = pages(manager).post(f"/org/employees/{employee.pk}/edit/", _edit_data(employee, roles=["technician"]))

    assert _field_error_shown(response, "roles")
    assert services.employee_roles(employee) == ["hr", "technician"]


def test_editing_keeps_additional_branches_the_editor_cannot_see(pages, manager, person, other_branch):
    employee = person("technician").employee
    employee.branches.add(other_branch)

    response = pages(manager).post(f"/org/employees/{employee.pk}/edit/", _edit_data(employee, name="李娜"))

    assert response.status_code == 302
    assert list(employee.branches.all()) == [other_branch]


# -- teams ------------------------------------------------------------------------------------------------------------


def test_team_created_through_its_page_and_its_members_listed(pages, person, branch, manager):
    leader = person("technician").employee
    client = pages(person("workshop_manager"))

    response = client.post(
        "/org/teams/new/", {"name": "机修一组", "branch": branch.pk, "kind": "workshop", "leader": leader.pk}
    )

    team = Team.objects.get(name="机修一组")
    assert response.status_code == 302
    assert team.leader == leader
    services.employee_update(actor=manager, employee=leader, data={"team": team})
    detail = client.get(f"/org/teams/{team.pk}/")
    assert list(detail.context["members"]) == [leader]


def test_team_leader_from_another_branch_is_shown_beside_leader(pages, regional, person, branch, other_branch):
    stranger = person("technician", branch=other_branch).employee

    response = pages(regional).post(
        "/org/teams/new/", {"name": "机修一组", "branch": branch.pk, "kind": "workshop", "leader": stranger.pk}
    )

    assert _field_error_shown(response, "leader")
    assert not Team.objects.exists()


def test_team_without_a_name_is_shown_beside_name(pages, person, branch):
    response = pages(person("workshop_manager")).post(
        "/org/teams/new/", {"name": "", "branch": branch.pk, "kind": "workshop"}
    )

    assert _field_error_shown(response, "name")
    assert not Team.objects.exists()


def test_team_name_taken_in_the_branch_is_refused(pages, person, branch):
    TeamFactory(branch=branch, name="机修一组")

    response = pages(person("workshop_manager")).post(
        "/org/teams/new/", {"name": "机修一组", "branch": branch.pk, "kind": "workshop"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert Team.objects.count() == 1


def test_team_edited_through_its_page(pages, person, branch):
    team = TeamFactory(branch=branch, name="机修一组")

    response = pages(person("install_supervisor")).post(
        f"/org/teams/{team.pk}/edit/", {"name": "安装一组", "branch": branch.pk, "kind": "installation", "active": "on"}
    )

    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.kind) == ("安装一组", "installation")


def test_team_cannot_be_moved_to_another_branch_through_the_page(pages, person, branch, other_branch):
    team = TeamFactory(branch=branch, name="机修一组")

    response = pages(person("workshop_manager")).post(
        f"/org/teams/{team.pk}/edit/",
        {"name": "机修一组", "branch": other_branch.pk, "kind": "workshop", "active": "on"},
    )

    assert _field_error_shown(response, "branch")
    team.refresh_from_db()
    assert team.branch == branch


# -- lists ------------------------------------------------------------------------------------------------------------


def test_employee_list_searches_and_filters(pages, manager, person, branch):
    technician = person("technician")
    advisor = person("service_advisor")
    client = pages(manager)

    by_name = client.get("/org/employees/", {"q": technician.username}).context["page"].items
    by_role = client.get("/org/employees/", {"role": "service_advisor"}).context["page"].items

    assert [e.user for e in by_name] == [technician]
    assert [e.user for e in by_role] == [advisor]


def test_inactive_employees_are_listed_only_when_asked(pages, manager, person):
    gone = person("technician")
    services.employee_update(actor=manager, employee=gone.employee, data={"active": False})
    client = pages(manager)

    default = {e.user for e in client.get("/org/employees/").context["page"].items}
    inactive = {e.user for e in client.get("/org/employees/", {"active": "0"}).context["page"].items}

    assert gone not in default
    assert inactive == {gone}


def test_list_search_answers_htmx_with_the_results_only(pages, manager, person):
    person("technician")

    response = pages(manager).get("/org/employees/", {"q": "technician"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert response.templates[0].name == "org/_employee_table.html"


def test_employee_whose_position_was_deactivated_can_still_be_edited(pages, manager, person):
    employee = person("technician").employee
    retired = PositionFactory(active=False)
    Employee.objects.filter(pk=employee.pk).update(position=retired)
    employee.refresh_from_db()

    response = pages(manager).post(
        f"/org/employees/{employee.pk}/edit/", _edit_data(employee, name="改名后", position=retired.pk)
    )

    assert response.status_code == 302
    employee.refresh_from_db()
    assert (employee.name, employee.position) == ("改名后", retired)


def test_employee_history_shows_roles_by_their_names(pages, manager, person):
    employee = person("technician").employee

    pages(manager).post(f"/org/employees/{employee.pk}/edit/", _edit_data(employee, roles=["technician", "dispatcher"]))
    page = pages(manager).get(f"/org/employees/{employee.pk}/").content.decode()
    history = page[page.index('aria-labelledby="audit-title"') :]

    assert "车间调度" in history and "维修技师" in history
    assert "dispatcher" not in history
