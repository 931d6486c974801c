"""Which branches a person sees: their own ones, and everything under a region or the head office."""

import pytest

from aftersales.core.access import visible_branch_ids
from aftersales.core.testing import make_person
from aftersales.org.access import branch_ids_for_user, user_sees_branch
from aftersales.org.models import Branch, Employee, User


@pytest.fixture
def tree(region, branch, other_branch):
    """HQ → 华北区域 (RN) → BJ01, SH01 and a sub-region RN2 → TJ01; and a second region RE → HZ01 outside RN."""
    head_office = region.parent
    sub_region = Branch.objects.create(code="RN2", name="天津片区", kind="region", parent=region)
    tianjin = Branch.objects.create(code="TJ01", name="天津河西店", kind="store", parent=sub_region)
    east = Branch.objects.create(code="RE", name="华东区域", kind="region", parent=head_office)
    hangzhou = Branch.objects.create(code="HZ01", name="杭州西湖店", kind="store", parent=east)
    return {
        "HQ": head_office,
        "RN": region,
        "BJ01": branch,
        "SH01": other_branch,
        "RN2": sub_region,
        "TJ01": tianjin,
        "RE": east,
        "HZ01": hangzhou,
    }


def _codes(ids) -> set[str]:
    return set(Branch.objects.filter(pk__in=ids).values_list("code", flat=True))


def test_a_store_employee_sees_only_their_store(tree):
    user = make_person(role="service_advisor", branch=tree["BJ01"])

    assert _codes(branch_ids_for_user(user)) == {"BJ01"}


def test_additional_branches_of_an_employee_are_seen_too(tree):
    user = make_person(role="technician", branch=tree["BJ01"])
    user.employee.branches.add(tree["HZ01"])

    assert _codes(branch_ids_for_user(user)) == {"BJ01", "HZ01"}


def test_a_region_includes_every_branch_under_it_nested(tree):
    user = make_person(role="regional_manager", branch=tree["RN"])

    assert _codes(branch_ids_for_user(user)) == {"RN", "BJ01", "SH01", "RN2", "TJ01"}


def test_the_head_office_includes_every_branch(tree):
    user = make_person(role="regional_manager", branch=tree["HQ"])

    assert _codes(branch_ids_for_user(user)) == set(tree)


def test_an_additional_region_brings_its_branches(tree):
    user = make_person(role="finance", branch=tree["BJ01"])
    user.employee.branches.add(tree["RE"])

    assert _codes(branch_ids_for_user(user)) == {"BJ01", "RE", "HZ01"}


def test_a_store_does_not_open_its_region_or_its_siblings(tree):
    user = make_person(role="service_manager", branch=tree["TJ01"])

    ids = branch_ids_for_user(user)

    assert _codes(ids) == {"TJ01"}
    assert not user_sees_branch(user, tree["RN2"].pk)
    assert not user_sees_branch(user, tree["BJ01"].pk)


def test_the_superuser_sees_every_branch(tree):
    root = make_person(role=None, branch=tree["BJ01"], superuser=True)

    assert visible_branch_ids(root) is None
    assert set(Branch.objects.for_user(root)) == set(tree.values())
    assert user_sees_branch(root, tree["HZ01"].pk)


def test_a_user_without_an_employee_record_sees_nothing(tree):
    user = User.objects.create_user(username="loner", password="Test@pass-2026")

    assert branch_ids_for_user(user) == frozenset()
    assert not Branch.objects.for_user(user).exists()
    assert not Employee.objects.for_user(user).exists()


def test_an_inactive_employee_sees_nothing(tree):
    user = make_person(role="regional_manager", branch=tree["HQ"])
    Employee.objects.filter(user=user).update(active=False)

    assert branch_ids_for_user(user) == frozenset()


def test_a_disabled_account_sees_nothing(tree):
    user = make_person(role="regional_manager", branch=tree["HQ"])
    user.is_active = False

    assert visible_branch_ids(user) == frozenset()
    assert not Branch.objects.for_user(user).exists()


def test_anonymous_sees_nothing(tree):
    from django.contrib.auth.models import AnonymousUser

    assert visible_branch_ids(AnonymousUser()) == frozenset()
    assert not Branch.objects.for_user(AnonymousUser()).exists()


def test_the_funnel_narrows_employees_to_the_visible_branches(tree):
    beijing = make_person(role="technician", branch=tree["BJ01"])
    shanghai = make_person(role="technician", branch=tree["SH01"])
    hangzhou = make_person(role="technician", branch=tree["HZ01"])
    regional = make_person(role="regional_manager", branch=tree["RN"])

    seen = set(Employee.objects.for_user(regional).values_list("user__username", flat=True))

    assert {beijing.username, shanghai.username, regional.username} <= seen
    assert hangzhou.username not in seen


def test_an_employee_working_for_a_second_branch_is_seen_from_it(tree):
    helper = make_person(role="technician", branch=tree["HZ01"])
    helper.employee.branches.add(tree["BJ01"])
    manager = make_person(role="service_manager", branch=tree["BJ01"])

    assert Employee.objects.for_user(manager).filter(user=helper).exists()


def test_visible_branches_are_computed_once_per_user_object(
    tree, django_assert_max_num_queries, django_assert_num_queries
):
    user = make_person(role="regional_manager", branch=tree["RN"])
    user = User.objects.get(pk=user.pk)

    with django_assert_max_num_queries(3):  # the employee with its further branches, the branch tree
        first = visible_branch_ids(user)
    with django_assert_num_queries(0):
        second = visible_branch_ids(user)

    assert first == second == branch_ids_for_user(user)
