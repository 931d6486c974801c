"""Reads of service audits, each starting from the access funnel, in a fixed number of queries.

Who sees an audit (`Audit.objects.for_user`): the branch's audits for roles that read audits, and to everyone the
audits they did or that fined or rewarded them. A role that may not read audits asking for one of its own branch's
audits it has no part in is told 403; another branch's audit is 404 for everyone.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.http import Http404

from aftersales.core.access import get_for_user_or_404, visible_branch_ids
from aftersales.quality.choices import AuditStatus, PostingKind
from aftersales.quality.models import Audit, AuditPosting, Checklist, ChecklistItem, Violation, ViolationPhoto

ZERO = Decimal("0.00")


def month_parse(value) -> datetime.date | None:
    """`2026-11` (or a date in it) → 2026-11-01; anything else → None."""
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    text = str(value or "").strip()
    try:
        year, month = text[:7].split("-")
        return datetime.date(int(year), int(month), 1)
    except (TypeError, ValueError):
        return None


# -- checklists ---------------------------------------------------------------------------------------------------------


def checklists_in_use(*, user) -> list[Checklist]:
    """Active checklists with their active items (two queries), the default first."""
    return list(
        Checklist.objects.for_user(user)
        .filter(active=True)
        .prefetch_related(
            Prefetch("items", queryset=ChecklistItem.objects.filter(active=True).order_by("position", "code"))
        )
    )


def checklist_list(*, user) -> QuerySet:
    """Every checklist (the inactive ones too) with its item count."""
    from django.db.models import Count

    return Checklist.objects.for_user(user).annotate(item_count=Count("items", filter=Q(items__active=True)))


def checklist_detail(*, user, pk) -> Checklist:
    queryset = Checklist.objects.prefetch_related(
        Prefetch("items", queryset=ChecklistItem.objects.order_by("position", "code"))
    )
    try:
        return queryset.for_user(user).get(pk=pk)
    except (Checklist.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# -- audits -------------------------------------------------------------------------------------------------------------


def audit_list(
    *,
    user,
    branch: int | None = None,
    team: int | None = None,
    auditor: int | None = None,
    month=None,
    status: str = "",
    q: str = "",
) -> QuerySet:
    """Audits the user may see, newest first. `month` is `2026-11` (or a date); `q` finds an order or audit number."""
    queryset = Audit.objects.for_user(user).select_related("branch", "order", "team", "auditor", "checklist")
    if branch:
        queryset = queryset.filter(branch_id=branch)
    if team:
        queryset = queryset.filter(team_id=team)
    if auditor:
        queryset = queryset.filter(auditor_id=auditor)
    first = month_parse(month) if month else None
    if first is not None:
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        queryset = queryset.filter(audited_on__gte=first, audited_on__lt=following)
    if status in AuditStatus.values:
        queryset = queryset.filter(status=status)
    term = "".join((q or "").split()).upper()
    if term:
        queryset = queryset.filter(Q(order__number__contains=term) | Q(number__contains=term))
    return queryset.order_by("-audited_on", "-id")


def _refuse(user, pk) -> None:
    """404 or, for an audit of a branch the user sees but may not read (no role, no part in it), 403."""
    ids = visible_branch_ids(user)
    if ids and Audit.objects.filter(pk=pk, branch__in=sorted(ids)).exists():
        raise PermissionDenied
    raise Http404


def audit_visible(*, user, pk) -> Audit:
    """The audit alone (for an action that locks it again)."""
    try:
        return Audit.objects.for_user(user).select_related("branch").get(pk=pk)
    except (Audit.DoesNotExist, ValueError, TypeError):
        _refuse(user, pk)


def audit_detail(*, user, pk) -> Audit:
    """One audit with its order, team, auditor, violations (items, photos) and postings: five queries."""
    queryset = Audit.objects.select_related(
        "branch", "checklist", "order", "team", "auditor", "created_by__employee"
    ).prefetch_related(
        Prefetch("violations", queryset=Violation.objects.select_related("item").order_by("id")),
        Prefetch(
            "violations__photos",
            queryset=ViolationPhoto.objects.select_related("uploaded_by__employee").order_by("id"),
        ),
        Prefetch("postings", queryset=AuditPosting.objects.select_related("employee").order_by("id")),
    )
    try:
        return get_for_user_or_404(queryset, user, pk=pk)
    except Http404:
        _refuse(user, pk)


def order_audits(*, user, order) -> list[Audit]:
    """The audits of one order that the user may see (one query), newest first."""
    return list(
        Audit.objects.for_user(user)
        .filter(order=order)
        .select_related("team", "auditor")
        .order_by("-audited_on", "-id")
    )


# -- postings -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthTotals:
    month: datetime.date
    penalties: Decimal
    rewards: Decimal

    @property
    def net(self) -> Decimal:
        return self.rewards - self.penalties


def postings_for(employee, month=None) -> QuerySet:
    """An employee's fines (penalty shares) and rewards, each with the audit behind it (one query), newest first.
    `month` (a date in it or `2026-11`) keeps that month's postings only."""
    queryset = AuditPosting.objects.filter(employee=employee).select_related(
        "audit__order", "audit__team", "audit__auditor"
    )
    first = month_parse(month) if month else None
    if first is not None:
        queryset = queryset.filter(month=first)
    return queryset.order_by("-month", "-id")


def posting_months(employee) -> list[MonthTotals]:
    """Per month, an employee's fines and rewards summed (cancellations included): one query."""
    rows = (
        AuditPosting.objects.filter(employee=employee)
        .values("month")
        .annotate(
            penalties=Sum("amount", filter=Q(kind=PostingKind.PENALTY)),
            rewards=Sum("amount", filter=Q(kind=PostingKind.REWARD)),
        )
        .order_by("-month")
    )
    return [MonthTotals(row["month"], row["penalties"] or ZERO, row["rewards"] or ZERO) for row in rows]
