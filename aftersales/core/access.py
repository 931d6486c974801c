"""The access funnel: every read of branch-scoped data starts from `Model.objects.for_user(user)`.

A scoped model names the path to its branch in `scope_field` (e.g. `"branch"`). A user sees the
rows of the branches they belong to; a region or head office includes every branch under it;
superusers see everything. What a user cannot see does not exist for them: single objects come
from `get_for_user_or_404`, so another branch's object answers 404, exactly like a missing one.

Role checks (may this user change customers at all?) are separate and answer 403: see
`require_perm`.
"""

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404


def visible_branch_ids(user) -> frozenset[int] | None:
    """The ids of the branches a user may see, or None for "all of them" (superusers).

    Computed once per request and kept on the user object.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return None
    cached = getattr(user, "_visible_branch_ids", None)
    if cached is None:
        from aftersales.org.access import branch_ids_for_user

        cached = branch_ids_for_user(user)
        user._visible_branch_ids = cached
    return cached


def forget_visible_branches(user) -> None:
    """Drop the per-request cache after the user's branches changed."""
    if hasattr(user, "_visible_branch_ids"):
        del user._visible_branch_ids


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows how to narrow itself to what one user may see."""

    def for_user(self, user) -> "ScopedQuerySet":
        ids = visible_branch_ids(user)
        if ids is None:
            return self.all()
        if not ids:
            return self.none()
        return self.filter(**{f"{self.model.scope_field}__in": sorted(ids)})


class SignedInQuerySet(models.QuerySet):
    """Company-wide records (positions, checklists, pay policies, piece rates, appraisal forms): every signed-in user
    may read them; what a role may change is checked by the services."""

    def for_user(self, user):
        return self.all() if getattr(user, "is_authenticated", False) else self.none()


def own_or_branch(queryset, user, *, perm: str, own: models.Q, branch_field: str):
    """The rows of the user's branches for a role holding `perm`, and, for everyone, their own rows (`own`): an
    employee reads their own payslips, appraisals and the audits that fined them, whatever their role."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset.all()
    if user.has_perm(perm):
        ids = visible_branch_ids(user)
        if ids:
            return queryset.filter(models.Q(**{f"{branch_field}__in": sorted(ids)}) | own)
    return queryset.filter(own)


def get_for_user_or_404(queryset_or_model, user, **lookup):
    """One object the user may see, or 404 whether it is missing or another branch's."""
    queryset = queryset_or_model
    if isinstance(queryset_or_model, type) and issubclass(queryset_or_model, models.Model):
        queryset = queryset_or_model.objects.all()
    try:
        return queryset.for_user(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def require_perm(user, perm: str) -> None:
    """Raise 403 unless the user's roles carry `perm` (e.g. `"customers.change_customer"`)."""
    if not user.has_perm(perm):
        raise PermissionDenied
