"""Reads of service orders, each starting from the access funnel, in a fixed number of queries."""

from django.db.models import F, Prefetch, Q, QuerySet

from aftersales.core.access import get_for_user_or_404
from aftersales.service.models import OrderEvent, OrderPhoto, ServiceOrder, ServiceOrderLine

ORDER_SORTS = {
    "number": ("number",),
    "-number": ("-number",),
    "promised_at": (F("promised_at").asc(nulls_last=True), "id"),
    "-promised_at": (F("promised_at").desc(nulls_last=True), "-id"),
    "created_at": ("id",),
    "-created_at": ("-id",),
}


def order_search(queryset: QuerySet, q: str) -> QuerySet:
    """An order number, a plate, a VIN's end, a customer's name or mobile."""
    q = (q or "").strip()
    if not q:
        return queryset
    upper = q.upper()
    return queryset.filter(
        Q(number__icontains=upper)
        | Q(asset__plate__icontains=upper)
        | Q(asset__vin__endswith=upper)
        | Q(customer__name__icontains=q)
        | Q(customer__mobile__startswith=q)
    )


def order_list(
    *,
    user,
    status: str | list | None = None,
    branch: int | None = None,
    q: str = "",
    type: str = "",
    advisor: int | None = None,
    technician: int | None = None,
    asset=None,
    customer=None,
    sort: str = "",
) -> QuerySet:
    queryset = ServiceOrder.objects.for_user(user).select_related("branch", "customer", "asset", "advisor")
    if status:
        queryset = queryset.filter(status__in=[status] if isinstance(status, str) else list(status))
    if branch:
        queryset = queryset.filter(branch_id=branch)
    if type:
        queryset = queryset.filter(type=type)
    if advisor:
        queryset = queryset.filter(advisor_id=advisor)
    if technician:
        queryset = queryset.filter(pk__in=ServiceOrderLine.objects.filter(technician_id=technician).values("order_id"))
    if asset:
        queryset = queryset.filter(asset=asset)
    if customer:
        queryset = queryset.filter(customer=customer)
    queryset = order_search(queryset, q)
    return queryset.order_by(*ORDER_SORTS.get(sort, ("-id",)))


def order_visible(*, user, pk) -> ServiceOrder:
    """The order alone, for an action that re-reads it under its lock (404 when not the user's to see)."""
    return get_for_user_or_404(ServiceOrder.objects.all(), user, pk=pk)


def order_detail(*, user, pk) -> ServiceOrder:
    """One order with its lines, events, payments, consents, photos and release pass (a fixed number of queries)."""
    queryset = ServiceOrder.objects.select_related(
        "branch",
        "customer",
        "asset",
        "advisor",
        "assignee",
        "warehouse",
        "comeback_of",
        "corrects",
        "release_pass",
        "team",
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=ServiceOrderLine.objects.select_related("part", "technician__employee").order_by("id"),
        ),
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor__employee").order_by("id")),
        "payments",
        "consents",
        Prefetch("photos", queryset=OrderPhoto.objects.select_related("uploaded_by__employee").order_by("id")),
    )
    return get_for_user_or_404(queryset, user, pk=pk)


def line_detail(*, user, pk) -> ServiceOrderLine:
    """One line, through its order's funnel (another branch's line is a 404)."""
    return get_for_user_or_404(
        ServiceOrderLine.objects.select_related("order__branch", "part", "technician"), user, pk=pk
    )


def technician_jobs(*, user) -> QuerySet:
    """The signed-in technician's open jobs, the oldest promise first, with their clocked spans."""
    return (
        ServiceOrderLine.objects.filter(technician=user, kind="labour", consent="approved")
        .exclude(job_status="finished")
        .filter(order__status__in=["dispatched", "in_progress"])
        .select_related("order__customer", "order__asset")
        .prefetch_related("clock_spans")
        .order_by("order__promised_at", "id")
    )
