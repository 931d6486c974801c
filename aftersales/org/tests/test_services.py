"""Every write of the organisation: who may, what is refused (naming the field), what is audited."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from aftersales.core.audit import audit_events_for
from aftersales.core.models import AuditAction, AuditEvent
from aftersales.core.testing import PASSWORD
from aftersales.org import services
from aftersales.org.models import Branch, Employee, Position, Team, User
from aftersales.org.tests.factories import PositionFactory, TeamFactory

NEW_PASSWORD = "Workshop-2026!"


def _refused(call, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value


def _fields(error: ValidationError) -> set[str]:
    return set(error.message_dict)


def _events(instance, action=None):
    return [event for event in audit_events_for(instance) if action is None or event.action == action]


def _employee_kwargs(branch, **overrides):
    values = {
        "username": "zhangwei",
        "password": NEW_PASSWORD,
        "name": "张伟",
        "employee_no": "E0001",
        "branch": branch,
        "mobile": "13800138000",
    }
    return {**values, **overrides}


# -- branches ---------------------------------------------------------------------------------------------------------


def test_regional_manager_creates_a_store_in_their_region(regional, region):
    branch = services.branch_create(actor=regional, code=" gz01 ", name=" 广州天河店 ", kind="store", parent=region)

    assert (branch.code, branch.name, branch.parent) == ("GZ01", "广州天河店", region)
    (event,) = _events(branch, AuditAction.CREATE)
    assert event.actor == regional
    assert event.changes["code"] == {"before": None, "after": "GZ01"}
    # the new store is in the creator's sight straight away
    assert Branch.objects.for_user(regional).filter(pk=branch.pk).exists()


def test_creating_a_branch_needs_the_permission(manager, region):
    with pytest.raises(PermissionDenied):
        services.branch_create(actor=manager, code="GZ01", name="广州天河店", kind="store", parent=region)

    assert not Branch.objects.filter(code="GZ01").exists()


def test_a_new_branch_must_belong_to_a_region(regional):
    error = _refused(services.branch_create, actor=regional, code="GZ01", name="广州天河店", kind="store")

    assert _fields(error) == {"parent"}


def test_a_new_branch_cannot_go_under_a_store(regional, branch):
    error = _refused(services.branch_create, actor=regional, code="GZ01", name="广州", kind="store", parent=branch)

    assert _fields(error) == {"parent"}


def test_a_new_branch_cannot_go_under_a_region_the_actor_does_not_work_for(regional, region):
    east = Branch.objects.create(code="RE", name="华东区域", kind="region", parent=region.parent)

    error = _refused(services.branch_create, actor=regional, code="HZ01", name="杭州店", kind="store", parent=east)

    assert _fields(error) == {"parent"}


def test_branch_codes_are_unique(regional, region, branch):
    error = _refused(services.branch_create, actor=regional, code="bj01", name="重复", kind="store", parent=region)

    assert _fields(error) == {"code"}


def test_superuser_creates_a_head_office_without_parent(admin_user):
    branch = services.branch_create(actor=admin_user, code="HQ2", name="新总部", kind="head_office")

    assert branch.parent is None


def test_service_manager_renames_their_branch_and_the_change_is_audited(manager, branch):
    services.branch_update(actor=manager, branch=branch, data={"name": "北京朝阳旗舰店", "code": "bj01"})

    branch.refresh_from_db()
    assert (branch.code, branch.name) == ("BJ01", "北京朝阳旗舰店")
    (event,) = _events(branch, AuditAction.UPDATE)
    assert event.changes == {"name": {"before": "北京朝阳店", "after": "北京朝阳旗舰店"}}


def test_service_manager_cannot_move_their_branch_to_another_region(manager, branch, region):
    east = Branch.objects.create(code="RE", name="华东区域", kind="region", parent=region.parent)

    with pytest.raises(PermissionDenied):
        services.branch_update(actor=manager, branch=branch, data={"parent": east})

    assert Branch.objects.get(pk=branch.pk).parent == region


def test_a_branch_cannot_be_taken_out_of_its_region_by_a_regional_manager(regional, branch):
    error = _refused(services.branch_update, actor=regional, branch=branch, data={"parent": None})

    assert _fields(error) == {"parent"}


def test_changing_a_branch_needs_the_permission(person, branch):
    with pytest.raises(PermissionDenied):
        services.branch_update(actor=person("technician"), branch=branch, data={"name": "改名"})


def test_a_region_cannot_be_placed_under_its_own_sub_region(admin_user, region):
    sub = Branch.objects.create(code="RN2", name="天津片区", kind="region", parent=region)

    error = _refused(services.branch_update, actor=admin_user, branch=region, data={"parent": sub})

    assert _fields(error) == {"parent"}
    assert Branch.objects.get(pk=region.pk).parent == region.parent


def test_a_region_cannot_be_its_own_parent(admin_user, region):
    error = _refused(services.branch_update, actor=admin_user, branch=region, data={"parent": region})

    assert _fields(error) == {"parent"}


def test_the_head_office_has_no_parent(admin_user, region):
    head_office = region.parent

    error = _refused(services.branch_update, actor=admin_user, branch=head_office, data={"parent": region})

    assert _fields(error) == {"parent"}


# -- positions --------------------------------------------------------------------------------------------------------


def test_hr_creates_a_position_with_its_job_description(hr):
    boss = PositionFactory(code="service_manager", name="售后服务经理")

    position = services.position_create(
        actor=hr,
        code="service_advisor",
        name="服务顾问",
        duties="1、接待客户。\n2、开具工单。",
        kpis="客户满意度",
        reports_to=boss,
    )

    assert position.duty_lines() == ["1、接待客户。", "2、开具工单。"]
    assert position.reports_to == boss
    (event,) = _events(position, AuditAction.CREATE)
    assert event.changes["reports_to"] == {"before": None, "after": "售后服务经理"}


def test_service_manager_cannot_create_a_position(manager):
    with pytest.raises(PermissionDenied):
        services.position_create(actor=manager, code="washer", name="洗车工")

    assert not Position.objects.filter(code="washer").exists()


@pytest.mark.parametrize(("code", "field"), [("Service Advisor", "code"), ("", "code")])
def test_position_code_must_be_lower_case_letters_digits_and_underscores(hr, code, field):
    error = _refused(services.position_create, actor=hr, code=code, name="服务顾问")

    assert field in _fields(error)


def test_position_codes_are_unique(hr):
    PositionFactory(code="cashier")

    error = _refused(services.position_create, actor=hr, code="cashier", name="收银员")

    assert _fields(error) == {"code"}


def test_reporting_lines_cannot_go_round_in_a_circle(hr):
    top = PositionFactory(code="manager")
    middle = PositionFactory(code="supervisor", reports_to=top)
    bottom = PositionFactory(code="advisor", reports_to=middle)

    error = _refused(services.position_update, actor=hr, position=top, data={"reports_to": bottom})

    assert _fields(error) == {"reports_to"}
    assert Position.objects.get(pk=top.pk).reports_to is None


def test_a_position_cannot_report_to_itself(hr):
    position = PositionFactory(code="manager")

    error = _refused(services.position_update, actor=hr, position=position, data={"reports_to": position})

    assert _fields(error) == {"reports_to"}


def test_position_update_records_the_changed_duties(hr):
    position = PositionFactory(code="cashier", duties="收款")

    services.position_update(actor=hr, position=position, data={"duties": "收款、开票", "name": position.name})

    (event,) = _events(position, AuditAction.UPDATE)
    assert event.changes == {"duties": {"before": "收款", "after": "收款、开票"}}


def test_changing_a_position_needs_the_permission(manager):
    position = PositionFactory()

    with pytest.raises(PermissionDenied):
        services.position_update(actor=manager, position=position, data={"name": "改名"})


# -- teams ------------------------------------------------------------------------------------------------------------


def test_workshop_manager_creates_a_team_led_by_a_colleague(person, branch):
    leader = person("technician").employee
    actor = person("workshop_manager")

    team = services.team_create(actor=actor, name=" 机修一组 ", branch=branch, leader=leader)

    assert (team.name, team.branch, team.leader) == ("机修一组", branch, leader)
    (event,) = _events(team, AuditAction.CREATE)
    assert event.changes["leader"]["after"] == str(leader)


def test_a_team_cannot_be_created_in_a_branch_the_actor_does_not_work_for(person, other_branch):
    error = _refused(services.team_create, actor=person("workshop_manager"), name="机修一组", branch=other_branch)

    assert _fields(error) == {"branch"}


def test_a_team_leader_must_work_at_the_team_branch(person, branch, other_branch, regional):
    stranger = person("technician", branch=other_branch).employee

    error = _refused(services.team_create, actor=regional, name="机修一组", branch=branch, leader=stranger)

    assert _fields(error) == {"leader"}


def test_a_leader_working_at_the_branch_as_a_second_branch_is_accepted(person, branch, other_branch, regional):
    helper = person("technician", branch=other_branch).employee
    helper.branches.add(branch)

    team = services.team_create(actor=regional, name="机修一组", branch=branch, leader=helper)

    assert team.leader == helper


def test_team_names_are_unique_within_a_branch_only(person, branch, regional, other_branch):
    services.team_create(actor=regional, name="机修一组", branch=branch)
    services.team_create(actor=regional, name="机修一组", branch=other_branch)

    with pytest.raises(ValidationError):
        services.team_create(actor=regional, name="机修一组", branch=branch)
    assert Team.objects.filter(name="机修一组").count() == 2


def test_creating_a_team_needs_the_permission(person, branch):
    with pytest.raises(PermissionDenied):
        services.team_create(actor=person("technician"), name="机修一组", branch=branch)


def test_a_team_cannot_be_moved_to_a_branch_the_actor_does_not_work_for(person, branch, other_branch):
    team = TeamFactory(branch=branch)

    error = _refused(services.team_update, actor=person("workshop_manager"), team=team, data={"branch": other_branch})

    assert _fields(error) == {"branch"}
    assert Team.objects.get(pk=team.pk).branch == branch


def test_changing_a_team_leader_is_audited(person, branch):
    team = TeamFactory(branch=branch)
    leader = person("technician").employee

    services.team_update(actor=person("install_supervisor"), team=team, data={"leader": leader})

    (event,) = _events(team, AuditAction.UPDATE)
    assert event.changes == {"leader": {"before": None, "after": str(leader)}}


def test_team_update_refuses_a_leader_from_another_branch(person, branch, other_branch, regional):
    team = TeamFactory(branch=branch)
    stranger = person("technician", branch=other_branch).employee

    error = _refused(services.team_update, actor=regional, team=team, data={"leader": stranger})

    assert _fields(error) == {"leader"}


# -- employees --------------------------------------------------------------------------------------------------------


def test_service_manager_creates_an_employee_who_can_sign_in_with_the_roles_given(manager, branch):
    position = PositionFactory(code="service_advisor", name="服务顾问")
    team = TeamFactory(branch=branch)

    employee = services.employee_create(
        actor=manager,
        **_employee_kwargs(branch, position=position, team=team, roles=["service_advisor", "customer_care"]),
    )

    assert (employee.name, employee.employee_no, employee.branch, employee.position, employee.team) == (
        "张伟",
        "E0001",
        branch,
        position,
        team,
    )
    assert services.employee_roles(employee) == ["customer_care", "service_advisor"]
    assert Client().login(username="zhangwei", password=NEW_PASSWORD)
    created = _events(employee, AuditAction.CREATE)
    assert created[0].changes["mobile"] == {"before": None, "after": "13800138000"}
    (roles_event,) = _events(employee, AuditAction.ROLES)
    assert roles_event.changes == {"roles": {"before": [], "after": ["customer_care", "service_advisor"]}}


def test_creating_an_employee_needs_the_permission(person, branch):
    with pytest.raises(PermissionDenied):
        services.employee_create(actor=person("technician"), **_employee_kwargs(branch))

    assert not User.objects.filter(username="zhangwei").exists()


def test_an_employee_cannot_be_created_in_a_branch_the_actor_does_not_work_for(manager, other_branch):
    error = _refused(services.employee_create, actor=manager, **_employee_kwargs(other_branch))

    assert _fields(error) == {"branch"}


def test_additional_branches_must_be_ones_the_actor_works_for(manager, branch, other_branch):
    error = _refused(services.employee_create, actor=manager, **_employee_kwargs(branch, branches=[other_branch]))

    assert _fields(error) == {"branches"}


@pytest.mark.parametrize("taken", ["zhangwei", "ZhangWei"])
def test_user_names_are_unique_whatever_the_case(manager, branch, taken):
    services.employee_create(actor=manager, **_employee_kwargs(branch))

    error = _refused(
        services.employee_create, actor=manager, **_employee_kwargs(branch, username=taken, employee_no="E2")
    )

    assert _fields(error) == {"username"}


def test_employee_numbers_are_unique_and_no_account_is_left_behind(manager, branch):
    services.employee_create(actor=manager, **_employee_kwargs(branch))

    error = _refused(services.employee_create, actor=manager, **_employee_kwargs(branch, username="lina"))

    assert _fields(error) == {"employee_no"}
    assert not User.objects.filter(username="lina").exists()


@pytest.mark.parametrize("weak", ["12345678", "password", "Ab1", "zhangwei2026"])
def test_weak_password_is_refused_and_nothing_is_created(manager, branch, weak):
    error = _refused(services.employee_create, actor=manager, **_employee_kwargs(branch, password=weak))

    assert _fields(error) == {"password"}
    assert not User.objects.filter(username="zhangwei").exists()


def test_invalid_mobile_is_refused(manager, branch):
    error = _refused(services.employee_create, actor=manager, **_employee_kwargs(branch, mobile="12800138000"))

    assert _fields(error) == {"mobile"}


def test_an_employee_cannot_join_a_team_of_another_branch(regional, branch, other_branch):
    team = TeamFactory(branch=other_branch)

    error = _refused(services.employee_create, actor=regional, **_employee_kwargs(branch, team=team))

    assert _fields(error) == {"team"}


def test_unknown_role_is_refused_naming_the_roles(manager, branch):
    error = _refused(services.employee_create, actor=manager, **_employee_kwargs(branch, roles=["mechanic"]))

    assert _fields(error) == {"roles"}


def test_a_role_the_actor_cannot_grant_is_refused(manager, branch):
    with pytest.raises(PermissionDenied):
        services.employee_create(actor=manager, **_employee_kwargs(branch, roles=["hr"]))

    assert not User.objects.filter(username="zhangwei").exists()


def test_employee_update_records_each_changed_field(manager, person, branch):
    employee = person("technician").employee
    position = PositionFactory(name="机修技师")

    services.employee_update(
        actor=manager, employee=employee, data={"name": "李娜", "position": position, "mobile": employee.mobile}
    )

    employee.refresh_from_db()
    assert (employee.name, employee.position) == ("李娜", position)
    (event,) = _events(employee, AuditAction.UPDATE)
    assert event.changes == {
        "name": {"before": employee.user.username, "after": "李娜"},
        "position": {"before": None, "after": "机修技师"},
    }


def test_team_of_another_branch_is_refused_on_update(regional, person, other_branch):
    employee = person("technician").employee

    error = _refused(
        services.employee_update, actor=regional, employee=employee, data={"team": TeamFactory(branch=other_branch)}
    )

    assert _fields(error) == {"team"}


def test_moving_an_employee_to_a_branch_the_actor_does_not_work_for_is_refused(manager, person, other_branch):
    employee = person("technician").employee

    error = _refused(services.employee_update, actor=manager, employee=employee, data={"branch": other_branch})

    assert _fields(error) == {"branch"}


def test_deactivating_an_employee_closes_their_account(manager, person):
    employee = person("technician").employee
    assert Client().login(username=employee.user.username, password=PASSWORD)

    services.employee_update(actor=manager, employee=employee, data={"active": False})

    employee.refresh_from_db()
    assert employee.active is False
    assert employee.user.is_active is False
    assert not Client().login(username=employee.user.username, password=PASSWORD)
    page = Client().post("/accounts/login/", {"username": employee.user.username, "password": PASSWORD})
    assert page.status_code == 200 and page.context["form"].errors
    with pytest.raises(PermissionDenied):
        services.api_token_issue(username=employee.user.username, password=PASSWORD, address="127.0.0.1")


def test_reactivating_an_employee_opens_their_account_again(manager, person):
    employee = person("technician").employee
    services.employee_update(actor=manager, employee=employee, data={"active": False})

    services.employee_update(actor=manager, employee=employee, data={"active": True})

    assert Client().login(username=employee.user.username, password=PASSWORD)


def test_nobody_can_deactivate_themselves(manager):
    error = _refused(services.employee_update, actor=manager, employee=manager.employee, data={"active": False})

    assert _fields(error) == {"active"}
    manager.refresh_from_db()
    assert manager.is_active and manager.employee.active


def test_changing_an_employee_needs_the_permission(person):
    employee = person("technician").employee

    with pytest.raises(PermissionDenied):
        services.employee_update(actor=person("dispatcher"), employee=employee, data={"name": "改名"})


def test_roles_granted_and_removed_are_audited(manager, person):
    employee = person(["technician", "qc_inspector"]).employee

    services.employee_update(actor=manager, employee=employee, data={}, roles=["technician", "dispatcher"])

    assert services.employee_roles(employee) == ["dispatcher", "technician"]
    (event,) = _events(employee, AuditAction.ROLES)
    assert event.actor == manager
    assert event.changes == {"roles": {"before": ["qc_inspector", "technician"], "after": ["dispatcher", "technician"]}}


def test_setting_the_same_roles_again_records_nothing(manager, person):
    employee = person("technician").employee

    services.employee_update(actor=manager, employee=employee, data={}, roles=["technician"])

    assert not _events(employee, AuditAction.ROLES)


def test_a_role_the_actor_cannot_grant_cannot_be_removed_either(manager, person):
    employee = person(["hr", "technician"]).employee

    with pytest.raises(PermissionDenied):
        services.employee_update(actor=manager, employee=employee, data={}, roles=["technician"])

    assert services.employee_roles(employee) == ["hr", "technician"]


def test_a_role_the_actor_cannot_grant_may_stay_while_other_roles_change(manager, person):
    employee = person(["hr", "technician"]).employee

    services.employee_update(actor=manager, employee=employee, data={}, roles=["hr", "technician", "dispatcher"])

    assert services.employee_roles(employee) == ["dispatcher", "hr", "technician"]


def test_groups_that_are_not_roles_are_not_reported_as_roles(manager, person):
    employee = person("technician").employee
    employee.user.groups.add(Group.objects.create(name="night-shift"))

    assert services.employee_roles(employee) == ["technician"]


def test_additional_branches_changed_are_audited(regional, person, branch, other_branch):
    employee = person("technician").employee

    services.employee_update(actor=regional, employee=employee, data={}, branches=[other_branch])

    assert list(employee.branches.all()) == [other_branch]
    (event,) = _events(employee, AuditAction.UPDATE)
    assert event.changes == {"branches": {"before": [], "after": [str(other_branch)]}}


def test_branches_the_actor_cannot_see_are_kept_when_editing_the_others(manager, person, branch, other_branch, region):
    employee = person("technician").employee
    employee.branches.add(other_branch)
    tianjin = Branch.objects.create(code="TJ01", name="天津店", kind="store", parent=region)
    manager.employee.branches.add(tianjin)

    services.employee_update(actor=manager, employee=employee, data={}, branches=[tianjin])

    assert set(employee.branches.all()) == {other_branch, tianjin}


def test_a_manager_resets_a_password_and_it_is_audited_without_the_password(manager, person):
    employee = person("technician").employee

    services.employee_update(actor=manager, employee=employee, data={}, password=NEW_PASSWORD)

    assert Client().login(username=employee.user.username, password=NEW_PASSWORD)
    (event,) = _events(employee, AuditAction.PASSWORD)
    assert NEW_PASSWORD not in str(event.changes) + str(event.payload)


def test_a_weak_password_reset_is_refused(manager, person):
    employee = person("technician").employee

    error = _refused(services.employee_update, actor=manager, employee=employee, data={}, password="12345678")

    assert _fields(error) == {"password"}
    assert Client().login(username=employee.user.username, password=PASSWORD)


# -- a user's own password ---------------------------------------------------------------------------------------------


def test_a_user_changes_their_own_password(person):
    user = person("technician")

    services.password_change(user=user, old_password=PASSWORD, new_password=NEW_PASSWORD)

    assert Client().login(username=user.username, password=NEW_PASSWORD)
    (event,) = _events(user.employee, AuditAction.PASSWORD)
    assert event.actor == user


def test_password_change_with_the_wrong_current_password_is_refused(person):
    user = person("technician")

    error = _refused(services.password_change, user=user, old_password="wrong", new_password=NEW_PASSWORD)

    assert _fields(error) == {"old_password"}
    assert Client().login(username=user.username, password=PASSWORD)


def test_password_change_to_a_weak_password_is_refused(person):
    user = person("technician")

    error = _refused(services.password_change, user=user, old_password=PASSWORD, new_password="password")

    assert _fields(error) == {"password"}


def test_a_user_without_employee_record_changes_their_password_without_audit(db):
    user = User.objects.create_user(username="loner", password=PASSWORD)

    services.password_change(user=user, old_password=PASSWORD, new_password=NEW_PASSWORD)

    assert Client().login(username="loner", password=NEW_PASSWORD)
    assert not AuditEvent.objects.exists()


# -- sign-in throttling and tokens ------------------------------------------------------------------------------------


def test_sign_in_failures_throttle_one_user_name_from_one_address(settings, db):
    settings.AFTERSALES = {**settings.AFTERSALES, "LOGIN_FAILURES_ALLOWED": 3}
    for _ in range(2):
        services.signin_failed(username="Zhang", address="10.0.0.1")
    assert not services.signin_throttled(username="zhang", address="10.0.0.1")

    services.signin_failed(username="zhang", address="10.0.0.1")

    assert services.signin_throttled(username="ZHANG", address="10.0.0.1")
    assert not services.signin_throttled(username="zhang", address="10.0.0.2")
    assert not services.signin_throttled(username="li", address="10.0.0.1")


def test_a_successful_sign_in_clears_the_failures(settings, db):
    settings.AFTERSALES = {**settings.AFTERSALES, "LOGIN_FAILURES_ALLOWED": 2}
    services.signin_failed(username="zhang", address="10.0.0.1")

    services.signin_succeeded(username="zhang", address="10.0.0.1")
    services.signin_failed(username="zhang", address="10.0.0.1")

    assert not services.signin_throttled(username="zhang", address="10.0.0.1")


def test_a_token_is_issued_for_the_right_password_and_names_its_user(person):
    user = person("technician")

    token = services.api_token_issue(username=user.username, password=PASSWORD, address="127.0.0.1")

    assert services.api_token_user(token) == user
    assert services.api_token_user(token + "x") is None


def test_wrong_password_issues_no_token_and_counts_a_failure(person, settings):
    settings.AFTERSALES = {**settings.AFTERSALES, "LOGIN_FAILURES_ALLOWED": 1}
    user = person("technician")

    with pytest.raises(PermissionDenied):
        services.api_token_issue(username=user.username, password="wrong", address="127.0.0.1")

    with pytest.raises(services.SigninThrottled):
        services.api_token_issue(username=user.username, password=PASSWORD, address="127.0.0.1")


def test_employee_records_are_not_deleted_by_deactivation(manager, person):
    employee = person("technician").employee

    services.employee_update(actor=manager, employee=employee, data={"active": False})

    assert Employee.objects.filter(pk=employee.pk).exists()
