"""Authentication backend whose permissions come from the role matrix in code.

A person's roles are their account's groups (named by role code); what each role may do is
`aftersales.org.roles.ROLES`. Reading the matrix directly costs one small query (the group names)
instead of Django's two permission queries per request, and leaves no way for a group edited in
the admin to grant more than the matrix says. Per-user permissions are not used.
"""

from django.contrib.auth.backends import ModelBackend

from aftersales.org.roles import ROLES


class RoleBackend(ModelBackend):
    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_role_perm_cache"):
            codes = user_obj.groups.values_list("name", flat=True)
            user_obj._role_perm_cache = set().union(*(ROLES[code].permissions for code in codes if code in ROLES))
        return user_obj._role_perm_cache

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        return self.get_group_permissions(user_obj, obj)
