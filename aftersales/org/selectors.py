"""Reads of the organisation pages, from the access funnel, in a fixed number of queries."""

from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch, Q, QuerySet

from aftersales.org.models import Branch, Employee, Position, Team


def branch_list(*, user, q: str = "", kind: str = "") -> QuerySet:
    queryset = (
        Branch.objects.for_user(user)
        .select_related("parent")
        .annotate(employee_count=Count("employees", filter=Q(employees__active=True), distinct=True))
    )
    if q:
        queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(address__icontains=q))
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("code")


def position_list(*, user, q: str = "") -> QuerySet:
    queryset = (
        Position.objects.for_user(user)
        .select_related("reports_to")
        .annotate(employee_count=Count("employees", filter=Q(employees__active=True)))
    )
    if q:
        queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(duties__icontains=q))
    return queryset.order_by("code")


def employee_list(
    *,
    user,
    q: str = "",
    branch: int | None = None,
    position: int | None = None,
    role: str = "",
    active: bool | None = True,
) -> QuerySet:
    queryset = (
        Employee.objects.for_user(user)
        .select_related("user", "branch", "position", "team")
        .prefetch_related(Prefetch("user__groups", queryset=Group.objects.order_by("name")))
    )
    if q:
        queryset = queryset.filter(
            Q(name__icontains=q) | Q(employee_no__icontains=q) | Q(mobile__contains=q) | Q(user__username__icontains=q)
        )
    if branch:
        queryset = queryset.filter(Q(branch_id=branch) | Q(branches=branch)).distinct()
    if position:
        queryset = queryset.filter(position_id=position)
    if role:
        queryset = queryset.filter(user__groups__name=role)
    if active is not None:
        queryset = queryset.filter(active=active)
    return queryset.order_by("employee_no")


def team_list(*, user, q: str = "", branch: int | None = None) -> QuerySet:
    queryset = (
        Team.objects.for_user(user)
        .select_related("branch", "leader")
        .annotate(member_count=Count("members", filter=Q(members__active=True)))
    )
    if q:
        queryset = queryset.filter(name__icontains=q)
    if branch:
        queryset = queryset.filter(branch_id=branch)
    return queryset.order_by("branch__code", "name")
