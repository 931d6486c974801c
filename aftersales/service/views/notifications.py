"""Pages: the signed-in person's notifications — the list (newest first, unread in bold), opening one (marks it
read and goes to its order), and marking them all read. Everyone sees only their own: another's is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.core.pages import render_list
from aftersales.service.models import Notification
from aftersales.service.services import notify as services


def _order_url(notification: Notification) -> str | None:
    if notification.order_id is None:
        return None
    try:
        return notification.order.get_absolute_url()
    except NoReverseMatch:  # until the order page exists
        return None


def _with_kinds(items) -> None:
    for notification in items:
        notification.order_url = _order_url(notification)
        notification.kind_label, notification.kind_tone = services.KINDS.get(
            notification.kind, (notification.kind, "neutral")
        )


@login_required
def notification_list(request):
    queryset = (
        Notification.objects.filter(user=request.user)
        .select_related("order")
        .only("kind", "message", "created_at", "read_at", "order__number")
        .order_by("-id")
    )
    return render_list(
        request,
        "service/notification_list.html",
        "service/notification_list_table.html",
        queryset,
        {},
        after_page=_with_kinds,
    )


@require_http_methods(["GET", "POST"])
@login_required
def notification_open(request, pk):
    notification = get_object_or_404(Notification.objects.select_related("order"), pk=pk, user=request.user)
    services.notification_mark_read(user=request.user, notification=notification)
    return redirect(_order_url(notification) or "service:notification_list")


@require_POST
@login_required
def notification_read_all(request):
    count = services.notification_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("Marked as read: %(count)d.") % {"count": count})
    return redirect("service:notification_list")


@login_required
def notification_badge(request):
    """The header's unread count, fetched by htmx after the page has loaded (and every minute), so that no page
    pays a query for it and a page's own query count stays its own."""
    count = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(request, "service/notification_badge.html", {"unread": count})


urlpatterns = [
    path("notifications/badge/", notification_badge, name="notification_badge"),
    path("notifications/", notification_list, name="notification_list"),
    path("notifications/read-all/", notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/open/", notification_open, name="notification_open"),
]
