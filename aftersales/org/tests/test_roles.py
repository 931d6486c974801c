"""The role matrix in code becomes one group per role, with exactly the role's permissions."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from aftersales.org.roles import ROLES, Role
from aftersales.org.services import roles_grantable_by, roles_sync


def _group_perms(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{app}.{codename}" for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def _all_group_perms() -> dict[str, set[str]]:
    return {code: _group_perms(code) for code in ROLES}


@pytest.fixture
def no_groups(db):
    Group.objects.all().delete()


def test_sync_creates_one_group_per_role_with_exactly_the_matrix_permissions(no_groups):
    roles_sync()

    assert set(Group.objects.values_list("name", flat=True)) == set(ROLES)
    for code, role in ROLES.items():
        assert _group_perms(code) == set(role.permissions), code


def test_sync_is_idempotent(no_groups):
    roles_sync()
    ids = dict(Group.objects.values_list("name", "pk"))
    perms = _all_group_perms()

    roles_sync()

    assert dict(Group.objects.values_list("name", "pk")) == ids
    assert _all_group_perms() == perms


def test_sync_takes_away_a_permission_added_by_hand_and_restores_one_removed(db):
    technician = Group.objects.get(name="technician")
    delete_branch = Permission.objects.get(content_type__app_label="org", codename="delete_branch")
    view_branch = Permission.objects.get(content_type__app_label="org", codename="view_branch")
    technician.permissions.add(delete_branch)
    technician.permissions.remove(view_branch)

    roles_sync()

    assert _group_perms("technician") == set(ROLES["technician"].permissions)


def test_sync_leaves_groups_that_are_not_roles_alone(db):
    extra = Group.objects.create(name="night-shift")
    extra.permissions.add(Permission.objects.get(content_type__app_label="org", codename="view_team"))

    roles_sync()

    assert _group_perms("night-shift") == {"org.view_team"}


def test_the_matrix_is_in_force_after_migrate(db):
    # post_migrate ran roles_sync when the test database was built
    assert _all_group_perms() == {code: set(role.permissions) for code, role in ROLES.items()}


def test_apply_roles_command_restores_the_matrix(no_groups):
    call_command("apply_roles", verbosity=0)

    assert _all_group_perms() == {code: set(role.permissions) for code, role in ROLES.items()}


def test_a_misspelt_permission_in_the_matrix_stops_the_sync(db, monkeypatch):
    typo = Role(code="typo_role", label="Typo", description="", permissions=frozenset({"org.veiw_branch"}))
    monkeypatch.setitem(ROLES, "typo_role", typo)

    with pytest.raises(ValueError, match=r"org\.veiw_branch"):
        roles_sync()


def test_every_role_of_the_domain_is_in_the_matrix():
    assert set(ROLES) == {
        "regional_manager",
        "service_manager",
        "service_supervisor",
        "service_advisor",
        "workshop_manager",
        "dispatcher",
        "technician",
        "technical_advisor",
        "qc_inspector",
        "parts_manager",
        "parts_keeper",
        "cashier",
        "claims_clerk",
        "customer_care",
        "install_supervisor",
        "hr",
        "finance",
    }


# -- who may grant which role -----------------------------------------------------------------------------------------


def test_service_manager_cannot_grant_regional_manager_or_hr(person):
    grantable = roles_grantable_by(person("service_manager"))

    assert "regional_manager" not in grantable
    assert "hr" not in grantable
    assert {"service_manager", "service_advisor", "technician", "parts_keeper"} <= grantable


def test_hr_cannot_grant_roles_that_edit_customers(person):
    grantable = roles_grantable_by(person("hr"))

    assert "hr" in grantable
    assert "service_advisor" not in grantable
    assert "parts_keeper" not in grantable  # it moves stock, which HR may not
    assert "regional_manager" not in grantable


def test_someone_holding_several_roles_grants_what_the_union_covers(person):
    both = person(["service_manager", "hr"])

    assert "hr" in roles_grantable_by(both)
    assert "regional_manager" not in roles_grantable_by(both)  # still no branch creation


def test_person_without_roles_grants_nothing(person):
    assert roles_grantable_by(person(None)) == set()


def test_superuser_grants_every_role(admin_user):
    assert roles_grantable_by(admin_user) == set(ROLES)
