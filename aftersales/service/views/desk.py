"""Pages: the service advisor's desk (前台工作台) — one branch's day at a glance: today's appointments, the
orders at each step, the ones waiting for the customer's consent, and the late ones (promised time passed,
not delivered yet).

Every figure and list is read in a fixed number of queries however many orders the branch has: one
aggregate for all the counts, one short list per group (`LIST_SIZE` rows each), one for the appointments.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.core.pages import perm_required
from aftersales.core.pagination import positive_int
from aftersales.org.models import Branch
from aftersales.service.choices import Consent, OrderStatus
from aftersales.service.forms_appointments import booking_branches
from aftersales.service.models import Appointment, AppointmentStatus, ServiceOrderLine
from aftersales.service.selectors import order_list

S = OrderStatus
#: How many orders each group lists; its count says how many there are in all.
LIST_SIZE = 8
#: Orders still on the desk's mind: everything neither delivered nor cancelled.
NOT_DONE = (
    S.RECEPTION,
    S.AWAITING_APPROVAL,
    S.APPROVED,
    S.DISPATCHED,
    S.IN_PROGRESS,
    S.QUALITY_CHECK,
    S.COMPLETED,
    S.SETTLED,
)
WORKSHOP = (S.APPROVED, S.DISPATCHED, S.IN_PROGRESS, S.QUALITY_CHECK)


@dataclass(frozen=True)
class Group:
    """One box of the desk: which orders, in what words."""

    key: str
    title: object
    empty: object
    statuses: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """The one status the order list can filter the group by, if it is one status."""
        return self.statuses[0] if len(self.statuses) == 1 else ""


GROUPS = (
    Group("reception", _("Reception"), _("Nobody at reception."), (S.RECEPTION,)),
    Group("awaiting_approval", _("Awaiting approval"), _("No estimate waits for approval."), (S.AWAITING_APPROVAL,)),
    Group("workshop", _("In the workshop"), _("Nothing in the workshop."), WORKSHOP),
    Group("completed", _("Ready for settlement"), _("Nothing to settle."), (S.COMPLETED,)),
    Group("settled", _("Ready for delivery"), _("Nothing to deliver."), (S.SETTLED,)),
    Group("consent", _("Waiting for consent"), _("Nothing waits for the customer's consent.")),
    Group("late", _("Late"), _("Nothing is late.")),
)


@dataclass(frozen=True)
class Box:
    group: Group
    count: int
    orders: list

    @property
    def more(self) -> int:
        return max(self.count - len(self.orders), 0)


def _branch_of(request, branches: list[Branch]) -> Branch | None:
    """The branch asked for (404 unless the user sees it), else the user's own, else the first they see."""
    by_pk = {branch.pk: branch for branch in branches}
    asked = positive_int(request.GET.get("branch"), 0)
    if asked:
        if asked not in by_pk:
            raise Http404
        return by_pk[asked]
    own = getattr(getattr(request.user, "employee", None), "branch_id", None)
    return by_pk.get(own) or (branches[0] if branches else None)


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def desk_appointments(*, user, branch: Branch, day: datetime.date) -> list[Appointment]:
    """The branch's appointments of the day still expected or already here, by time."""
    start, end = _day_bounds(day)
    return list(
        Appointment.objects.for_user(user)
        .filter(
            branch=branch,
            starts_at__gte=start,
            starts_at__lt=end,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED),
        )
        .select_related("customer", "asset", "advisor__employee", "order")
        .order_by("starts_at", "id")
    )


def _group_filter(group: Group, now) -> Q:
    if group.key == "consent":
        return Q(status=S.AWAITING_APPROVAL) | Q(has_pending=True)
    if group.key == "late":
        return Q(promised_at__lt=now)
    return Q(status__in=group.statuses)


def desk_boxes(*, user, branch: Branch, now) -> list[Box]:
    """Each group's count (one aggregate over the branch's open orders) and its first orders, the soonest
    promised first (one query per group)."""
    pending = ServiceOrderLine.objects.filter(order=OuterRef("pk"), consent=Consent.PENDING)
    # `order_list` starts from the access funnel; the branch narrows it to the desk's one.
    open_orders = (
        order_list(user=user, branch=branch.pk, status=list(NOT_DONE)).annotate(has_pending=Exists(pending)).order_by()
    )
    counts = open_orders.aggregate(**{g.key: Count("pk", filter=_group_filter(g, now)) for g in GROUPS})
    rows = open_orders.select_related("advisor__employee").order_by(F("promised_at").asc(nulls_last=True), "id")
    boxes = []
    for group in GROUPS:
        orders = list(rows.filter(_group_filter(group, now))[:LIST_SIZE])
        for order in orders:
            order.late = order.promised_at is not None and order.promised_at < now
        boxes.append(Box(group, counts[group.key], orders))
    return boxes


def _branches(user) -> QuerySet:
    return booking_branches(user).only("pk", "code", "name")


@perm_required("service.view_serviceorder")
def desk(request):
    branches = list(_branches(request.user))
    branch = _branch_of(request, branches)
    now = timezone.now()
    today = timezone.localdate(now)
    context = {
        "branches": branches,
        "branch": branch,
        "today": today,
        "appointments": desk_appointments(user=request.user, branch=branch, day=today) if branch else [],
        "boxes": desk_boxes(user=request.user, branch=branch, now=now) if branch else [],
    }
    return render(request, "service/desk.html", context)


urlpatterns = [
    path("", desk, name="desk"),
]
