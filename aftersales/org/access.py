"""Which branches a person may see: their own branches, and every branch under a region or head office."""

from django.http import Http404

from aftersales.core.access import get_for_user_or_404, visible_branch_ids
from aftersales.org.choices import UMBRELLA_KINDS


def branch_ids_for_user(user) -> frozenset[int]:
    """The branches of the user's employee record, with everything under the umbrella ones.

    Two queries: the employee with its further branches (one row per further branch), then the branch
    tree (small: one row per branch). The employee is kept on the user, so the page shell's
    `request.user.employee` costs no further query.
    """
    from django.db.models import F

    from aftersales.org.models import Branch, Employee

    rows = list(Employee.objects.filter(user=user, active=True).annotate(further_branch_id=F("branches__id")))
    if not rows:
        return frozenset()
    employee = rows[0]
    _keep_employee_on_user(user, employee)
    own = {employee.branch_id, *(row.further_branch_id for row in rows if row.further_branch_id)}
    tree = list(Branch.objects.values_list("id", "parent_id", "kind"))
    children: dict[int, list[int]] = {}
    kinds = {}
    for pk, parent_id, kind in tree:
        kinds[pk] = kind
        if parent_id:
            children.setdefault(parent_id, []).append(pk)
    visible, stack = set(), list(own)
    while stack:
        pk = stack.pop()
        if pk in visible:
            continue
        visible.add(pk)
        if kinds.get(pk) in UMBRELLA_KINDS:
            stack.extend(children.get(pk, ()))
    return frozenset(visible)


def _keep_employee_on_user(user, employee) -> None:
    """What `user.employee` would load (the same row), kept for the rest of the request."""
    from aftersales.org.models import Employee

    Employee._meta.get_field("user").remote_field.set_cached_value(user, employee)


def user_sees_branch(user, branch_id: int | None) -> bool:
    ids = visible_branch_ids(user)
    return ids is None or branch_id in ids


def branch_get_for_user_or_404(user, pk):
    from aftersales.org.models import Branch

    return get_for_user_or_404(Branch, user, pk=pk)


def employee_get_for_user_or_404(user, pk):
    from aftersales.org.models import Employee

    return get_for_user_or_404(
        Employee.objects.select_related("user", "branch", "position", "team").prefetch_related("branches"), user, pk=pk
    )


def team_get_for_user_or_404(user, pk):
    from aftersales.org.models import Team

    return get_for_user_or_404(Team.objects.select_related("branch", "leader"), user, pk=pk)


def position_get_or_404(user, pk):
    from aftersales.org.models import Position

    try:
        return Position.objects.for_user(user).select_related("reports_to").get(pk=pk)
    except (Position.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
