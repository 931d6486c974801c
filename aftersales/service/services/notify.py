"""In-app notifications to staff, with an optional SMS, and the delay warning of an order.

`notify` writes its rows when the caller's transaction commits (`transaction.on_commit`): an action that rolls
back notifies nobody, and nobody is told about a change they cannot see yet. `notify_once` writes its row inside
the caller's transaction (so that it can tell whether it was already written; a rollback removes it) and sends
its SMS on commit. Delivery is synchronous
and small (one INSERT, one SELECT of mobiles, one call of the SMS sender per mobile); a failing SMS gateway is
logged and never undoes or fails the action, which has already committed.
"""

import datetime
import logging
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.service.models import Notification, ServiceOrder
from aftersales.service.sms import sms_sender

logger = logging.getLogger(__name__)

#: The kinds of notification, with what the list page calls them and the colour of their tag.
KINDS: dict[str, tuple] = {
    "consent_needed": (gettext_lazy("Consent needed"), "warn"),
    "delay": (gettext_lazy("Delay"), "warn"),
    "qc_failed": (gettext_lazy("QC failed"), "bad"),
    "rework": (gettext_lazy("Rework"), "bad"),
    "ready_for_delivery": (gettext_lazy("Ready for delivery"), "ok"),
    "job_assigned": (gettext_lazy("Job assigned"), "info"),
}

MESSAGE_MAX = Notification._meta.get_field("message").max_length


def notify(*, users: Iterable, kind: str, message: str, order: ServiceOrder | None = None, sms: bool = False) -> None:
    """Tell each of `users` (None entries skipped, each user once) `message` when the current transaction commits;
    with `sms`, also text it to each one's employee mobile, if they have one.

    The message is stored as given (cut to the column's 300 characters): callers translate it when they make it.
    """
    _schedule(users=users, kind=kind, message=message, order=order, sms=sms)


def notify_once(*, user, kind: str, order: ServiceOrder | None, message: str, key: str, sms: bool = False) -> bool:
    """`notify` one user, at most once per (user, kind, order, key); returns False when already told.

    The table has no column for the key, so "the same key" is recognised by the same message: the caller must
    put what the key stands for into the message (the delay warning names the new expected time). Unlike
    `notify`, the row is written at once, inside the caller's transaction (a rollback still takes it away), so
    that a second call in the same transaction sees it; the SMS waits for the commit. Two concurrent
    transactions can still both write it: a unique `key` column would close that.
    """
    _check_kind(kind)
    message = _fit(message)
    if user is None or _already_told(user_id=user.pk, kind=kind, order=order, message=message):
        return False
    Notification.objects.create(user=user, order=order, kind=kind, message=message)
    if sms:
        transaction.on_commit(lambda: _send_sms([user.pk], message), robust=True)
    return True


def notification_mark_read(*, user, notification: Notification) -> None:
    """Mark one of the user's own notifications read (an already read one keeps its first read time)."""
    if notification.user_id != user.pk:
        raise Http404  # someone else's looks like a missing one
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)


def notification_mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def expected_finish(now: datetime.datetime, remaining_hours: Decimal) -> datetime.datetime:
    """When the work should be done: `now` plus the remaining hours (to the second, half up; none below zero).

    Clock hours: no working-day calendar, breaks or technician availability are taken into account.
    """
    seconds = max(Decimal(remaining_hours), Decimal(0)) * 3600
    return now + datetime.timedelta(seconds=int(seconds.to_integral_value(rounding=ROUND_HALF_UP)))


def order_delay_check(*, order: ServiceOrder, expected_finish: datetime.datetime) -> bool:
    """Warn the order's advisor (in-app and by SMS) when the work is now expected to finish after the promised time.

    Once per order and expected time (to the minute shown): a later, different estimate warns again. Returns
    whether a warning was sent; no promised time, no advisor, or finishing on time → False. The message is in
    the site's language (`LANGUAGE_CODE`), whoever's action found the delay, so that the same delay found by two
    people reads the same, is recognised as already sent, and the SMS is in the language of the site.
    """
    promised = order.promised_at
    if promised is None or order.advisor_id is None or expected_finish <= promised:
        return False
    plate = order.asset.plate if order.asset_id else ""
    values = {"number": order.number, "plate": plate, "promised": _local(promised), "expected": _local(expected_finish)}
    with translation.override(settings.LANGUAGE_CODE):
        if plate:
            message = _("%(number)s (%(plate)s) may be late: promised for %(promised)s, now expected at %(expected)s.")
        else:
            message = _("%(number)s may be late: promised for %(promised)s, now expected at %(expected)s.")
    return notify_once(
        user=order.advisor,
        kind="delay",
        order=order,
        message=message % values,
        key=expected_finish.isoformat(),
        sms=True,
    )


# -- delivery ---------------------------------------------------------------------------------------------------------


def _schedule(*, users: Iterable, kind: str, message: str, order, sms: bool) -> None:
    _check_kind(kind)
    user_ids = list(dict.fromkeys(user.pk for user in users if user is not None))
    if not user_ids:
        return
    message = _fit(message)
    order_id = order.pk if order is not None else None

    def deliver() -> None:
        Notification.objects.bulk_create(
            [Notification(user_id=pk, order_id=order_id, kind=kind, message=message) for pk in user_ids]
        )
        if sms:
            _send_sms(user_ids, message)

    # robust: the action has committed; a failure here is logged by Django and must not turn it into an error page.
    transaction.on_commit(deliver, robust=True)


def _send_sms(user_ids: list[int], text: str) -> None:
    from aftersales.org.models import Employee

    mobiles = Employee.objects.filter(user_id__in=user_ids).exclude(mobile="").values_list("mobile", flat=True)
    sender = sms_sender()
    for mobile in mobiles:
        try:
            sender.send(mobile, text)
        except Exception:  # one failing number or gateway hiccup must not stop the others
            logger.exception("SMS to %s failed", mobile)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")


def _already_told(*, user_id: int, kind: str, order, message: str) -> bool:
    return Notification.objects.filter(user_id=user_id, kind=kind, order=order, message=message).exists()


def _fit(message: str) -> str:
    message = str(message)
    return message if len(message) <= MESSAGE_MAX else message[: MESSAGE_MAX - 1] + "…"


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
