"""Permissions come from the role matrix in code, through the account's groups, and from nowhere else."""

from django.contrib.auth.models import Group, Permission

from aftersales.org.models import User
from aftersales.org.roles import ROLES


def _fresh(user) -> User:
    return User.objects.get(pk=user.pk)  # permissions are cached per user object


def test_a_person_holds_exactly_the_permissions_of_their_roles(person):
    user = person(["service_advisor", "cashier"])

    assert _fresh(user).get_all_permissions() == ROLES["service_advisor"].permissions | ROLES["cashier"].permissions


def test_a_group_that_is_not_a_role_grants_nothing_even_with_permissions(person):
    user = person("technician")
    rogue = Group.objects.create(name="everything")
    rogue.permissions.set(Permission.objects.all())
    user.groups.add(rogue)

    assert not _fresh(user).has_perm("customers.change_customer")
    assert _fresh(user).has_perm("customers.view_customer")


def test_permissions_given_to_the_account_directly_are_ignored(person):
    user = person("technician")
    user.user_permissions.add(Permission.objects.get(codename="change_customer"))

    assert not _fresh(user).has_perm("customers.change_customer")


def test_an_inactive_account_may_do_nothing(person):
    user = person("service_manager")
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert _fresh(user).get_all_permissions() == set()
    assert not _fresh(user).has_perm("customers.view_customer")


def test_a_superuser_may_do_everything(admin_user):
    assert _fresh(admin_user).has_perm("org.add_position")
    assert _fresh(admin_user).has_perm("customers.import_customer")


def test_role_permissions_cost_one_query_per_request(person, django_assert_num_queries):
    user = _fresh(person("service_advisor"))

    with django_assert_num_queries(1):
        assert user.has_perm("customers.view_customer")
        assert not user.has_perm("org.add_employee")
        user.get_all_permissions()
