"""Notifications: written on commit (never for a rolled-back action), once per person, once per delay and expected
time; SMS through the configured sender; the list, open and read-all pages (own notifications only); the count
in the page shell."""

import datetime
import logging
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from aftersales.customers.tests.factories import VehicleFactory
from aftersales.org.models import Employee
from aftersales.service import sms
from aftersales.service.models import Notification, ServiceOrder
from aftersales.service.services.notify import (
    expected_finish,
    notification_mark_all_read,
    notify,
    notify_once,
    order_delay_check,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SENDER = f"{__name__}.RecordingSender"


class RecordingSender:
    """An SMS gateway stand-in that keeps what it was asked to send."""

    sent: list[tuple[str, str]] = []

    def send(self, mobile: str, text: str) -> None:
        self.sent.append((mobile, text))


class BrokenSender:
    """A gateway that fails for one number."""

    def send(self, mobile: str, text: str) -> None:
        if mobile == "13900000001":
            raise ConnectionError("gateway down")
        RecordingSender.sent.append((mobile, text))


@pytest.fixture(autouse=True)
def recorded_sms():
    RecordingSender.sent = []
    yield RecordingSender.sent
    RecordingSender.sent = []


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def sms_sender_setting(settings, path: str) -> None:
    settings.AFTERSALES = {**settings.AFTERSALES, "SMS_SENDER": path}


@pytest.fixture
def advisor(person):
    user = person("service_advisor")
    Employee.objects.filter(user=user).update(mobile="13800138000")
    return user


@pytest.fixture
def technician(person):
    return person("technician")


@pytest.fixture
def order(branch, advisor):
    vehicle = VehicleFactory(customer__branch=branch, plate="京A12345")
    return ServiceOrder.objects.create(
        number="RO-BJ01-260501-0001",
        branch=branch,
        customer=vehicle.customer,
        asset=vehicle,
        advisor=advisor,
        promised_at=datetime.datetime(2026, 5, 1, 17, 0, tzinfo=SHANGHAI),
    )


def make_notes(user, count: int, *, order=None, read=False) -> list[Notification]:
    read_at = datetime.datetime(2026, 5, 1, 9, 0, tzinfo=SHANGHAI) if read else None
    return Notification.objects.bulk_create(
        [Notification(user=user, order=order, kind="delay", message=f"note {n}", read_at=read_at) for n in range(count)]
    )


# -- notify ----------------------------------------------------------------------------------------------------------


def test_notify_writes_rows_only_when_the_transaction_commits(advisor, order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            notify(users=[advisor], kind="consent_needed", message="needs consent", order=order)
            assert not Notification.objects.exists()

    assert len(callbacks) == 1
    note = Notification.objects.get()
    assert (note.user, note.order, note.kind, note.message, note.read_at) == (
        advisor,
        order,
        "consent_needed",
        "needs consent",
        None,
    )


def test_notify_in_a_rolled_back_action_notifies_nobody(advisor, order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(users=[advisor], kind="qc_failed", message="failed", order=order, sms=True)
            raise RuntimeError("the action failed")

    assert callbacks == []
    assert not Notification.objects.exists()
    assert RecordingSender.sent == []


def test_notify_tells_each_person_once_and_skips_none(advisor, technician, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[advisor, None, technician, advisor], kind="job_assigned", message="yours")

    assert sorted(Notification.objects.values_list("user_id", flat=True)) == sorted([advisor.pk, technician.pk])
    assert not Notification.objects.filter(order__isnull=False).exists()


def test_notify_with_nobody_schedules_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notify(users=[None], kind="delay", message="late")
    assert callbacks == []


def test_notify_refuses_an_unknown_kind(advisor):
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify(users=[advisor], kind="delayed", message="late")


def test_notify_cuts_a_long_message_to_the_column(advisor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[advisor], kind="qc_failed", message="x" * 500)
    message = Notification.objects.get().message
    assert len(message) == 300
    assert message.endswith("…")


# -- SMS -------------------------------------------------------------------------------------------------------------


def test_sms_goes_to_the_log_by_default(advisor, technician, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.INFO, logger="aftersales.sms")
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[advisor, technician], kind="delay", message="RO-1 is late", sms=True)

    sms_lines = [r.getMessage() for r in caplog.records if r.name == "aftersales.sms"]
    # the technician has no mobile: in-app only
    assert sms_lines == ["SMS to 13800138000: RO-1 is late"]
    assert Notification.objects.count() == 2


def test_no_sms_unless_asked(advisor, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.INFO, logger="aftersales.sms")
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[advisor], kind="delay", message="RO-1 is late")
    assert not [r for r in caplog.records if r.name == "aftersales.sms"]


def test_sms_uses_the_sender_named_in_settings(settings, advisor, django_capture_on_commit_callbacks):
    sms_sender_setting(settings, SENDER)
    assert isinstance(sms.sms_sender(), RecordingSender)
    assert sms.sms_sender() is sms.sms_sender()

    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[advisor], kind="qc_failed", message="RO-1 failed QC", sms=True)

    assert RecordingSender.sent == [("13800138000", "RO-1 failed QC")]


def test_without_the_setting_the_log_sender_is_used(settings):
    settings.AFTERSALES = {key: value for key, value in settings.AFTERSALES.items() if key != "SMS_SENDER"}
    assert isinstance(sms.sms_sender(), sms.LogSmsSender)


def test_a_failing_sms_is_logged_and_the_others_still_go(
    settings, advisor, person, caplog, django_capture_on_commit_callbacks
):
    sms_sender_setting(settings, f"{__name__}.BrokenSender")
    unlucky = person("service_manager")
    Employee.objects.filter(user=unlucky).update(mobile="13900000001")

    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[unlucky, advisor], kind="delay", message="late", sms=True)

    assert RecordingSender.sent == [("13800138000", "late")]
    assert "SMS to 13900000001 failed" in caplog.text
    assert Notification.objects.count() == 2


# -- notify_once -----------------------------------------------------------------------------------------------------


def test_notify_once_tells_once_for_the_same_message(advisor, order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = notify_once(user=advisor, kind="delay", order=order, message="late: 18:00", key="18:00")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = notify_once(user=advisor, kind="delay", order=order, message="late: 18:00", key="18:00")

    assert (first, again) == (True, False)
    assert callbacks == []
    assert Notification.objects.count() == 1


def test_notify_once_twice_in_one_transaction_stores_one_row(advisor, order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify_once(user=advisor, kind="delay", order=order, message="late: 18:00", key="18:00")
        notify_once(user=advisor, kind="delay", order=order, message="late: 18:00", key="18:00")

    assert Notification.objects.count() == 1


def test_notify_once_in_a_rolled_back_action_leaves_nothing(
    settings, advisor, order, django_capture_on_commit_callbacks
):
    sms_sender_setting(settings, SENDER)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            assert notify_once(user=advisor, kind="delay", order=order, message="late", key="k", sms=True)
            raise RuntimeError("the action failed")

    assert callbacks == []
    assert not Notification.objects.exists()
    assert RecordingSender.sent == []
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_once(user=advisor, kind="delay", order=order, message="late", key="k", sms=True)
    assert RecordingSender.sent == [("13800138000", "late")]


def test_notify_once_is_per_order_and_per_person(advisor, technician, order, django_capture_on_commit_callbacks):
    other = ServiceOrder.objects.create(
        number="RO-BJ01-260501-0002", branch=order.branch, customer=order.customer, advisor=advisor
    )
    with django_capture_on_commit_callbacks(execute=True):
        told = [
            notify_once(user=advisor, kind="delay", order=order, message="late", key="k"),
            notify_once(user=advisor, kind="delay", order=other, message="late", key="k"),
            notify_once(user=technician, kind="delay", order=order, message="late", key="k"),
            notify_once(user=None, kind="delay", order=order, message="late", key="k"),
        ]
    assert told == [True, True, True, False]
    assert Notification.objects.count() == 3


# -- the delay warning -----------------------------------------------------------------------------------------------


def test_expected_finish_adds_the_remaining_hours():
    now = datetime.datetime(2026, 5, 1, 15, 0, tzinfo=SHANGHAI)
    assert expected_finish(now, Decimal("1.5")) == datetime.datetime(2026, 5, 1, 16, 30, tzinfo=SHANGHAI)
    assert expected_finish(now, Decimal("0.0001")) == now  # 0.36 s rounds to nothing
    assert expected_finish(now, Decimal("0.0002")) == now + datetime.timedelta(seconds=1)  # 0.72 s, half up
    assert expected_finish(now, Decimal("-2")) == now  # work already over its hours is due now, not in the past


def test_a_delay_warns_the_advisor_in_app_and_by_sms(settings, order, advisor, django_capture_on_commit_callbacks):
    sms_sender_setting(settings, SENDER)
    late = datetime.datetime(2026, 5, 1, 9, 30, tzinfo=datetime.UTC)  # 17:30 in Shanghai

    with django_capture_on_commit_callbacks(execute=True):
        assert order_delay_check(order=order, expected_finish=late) is True

    note = Notification.objects.get()
    assert (note.user, note.order, note.kind) == (advisor, order, "delay")
    for part in ("RO-BJ01-260501-0001", "京A12345", "2026-05-01 17:00", "2026-05-01 17:30"):
        assert part in note.message
    assert RecordingSender.sent == [("13800138000", note.message)]


def test_a_delay_warns_once_per_expected_time_and_again_for_a_later_one(order, django_capture_on_commit_callbacks):
    late = datetime.datetime(2026, 5, 1, 17, 30, tzinfo=SHANGHAI)
    later = datetime.datetime(2026, 5, 1, 18, 15, tzinfo=SHANGHAI)

    with django_capture_on_commit_callbacks(execute=True):
        told = [
            order_delay_check(order=order, expected_finish=late),
            order_delay_check(order=order, expected_finish=late),
            order_delay_check(order=order, expected_finish=later),
        ]

    assert told == [True, False, True]
    messages = list(Notification.objects.order_by("id").values_list("message", flat=True))
    assert len(messages) == 2
    assert "2026-05-01 17:30" in messages[0]
    assert "2026-05-01 18:15" in messages[1]


def test_a_delay_reads_the_same_whoever_found_it(order, django_capture_on_commit_callbacks):
    late = datetime.datetime(2026, 5, 1, 17, 30, tzinfo=SHANGHAI)
    with django_capture_on_commit_callbacks(execute=True):
        with translation.override("en"):
            first = order_delay_check(order=order, expected_finish=late)
        with translation.override("zh-hans"):
            second = order_delay_check(order=order, expected_finish=late)
    assert (first, second) == (True, False)
    assert Notification.objects.count() == 1


def test_a_delay_without_a_plate_names_the_order(order, django_capture_on_commit_callbacks):
    order.asset = None
    order.save(update_fields=["asset"])
    with django_capture_on_commit_callbacks(execute=True):
        order_delay_check(order=order, expected_finish=datetime.datetime(2026, 5, 2, 8, 0, tzinfo=SHANGHAI))
    message = Notification.objects.get().message
    assert "RO-BJ01-260501-0001" in message
    assert "()" not in message
    assert "2026-05-02 08:00" in message


@pytest.mark.parametrize(
    "change, finish",
    [
        ({}, datetime.datetime(2026, 5, 1, 17, 0, tzinfo=SHANGHAI)),  # exactly on time
        ({}, datetime.datetime(2026, 5, 1, 16, 0, tzinfo=SHANGHAI)),  # early
        ({"promised_at": None}, datetime.datetime(2026, 5, 3, 9, 0, tzinfo=SHANGHAI)),
        ({"advisor": None}, datetime.datetime(2026, 5, 3, 9, 0, tzinfo=SHANGHAI)),
    ],
    ids=["on-time", "early", "no-promise", "no-advisor"],
)
def test_no_delay_warning_when_on_time_or_nobody_to_tell(order, change, finish, django_capture_on_commit_callbacks):
    for field, value in change.items():
        setattr(order, field, value)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert order_delay_check(order=order, expected_finish=finish) is False
    assert callbacks == []
    assert not Notification.objects.exists()


# -- pages -----------------------------------------------------------------------------------------------------------


def test_the_list_shows_my_notifications_newest_first_unread_in_bold(english, pages, advisor, technician, order):
    old = Notification.objects.create(user=advisor, kind="consent_needed", message="older and read", order=order)
    old.read_at = old.created_at
    old.save()
    new = Notification.objects.create(user=advisor, kind="delay", message="newer and unread")
    Notification.objects.create(user=technician, kind="rework", message="someone else's")

    response = pages(advisor).get(reverse("service:notification_list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "someone else's" not in html
    assert [n.pk for n in response.context["page"].items] == [new.pk, old.pk]
    assert "<strong>newer and unread</strong>" in html
    assert "<strong>older and read</strong>" not in html
    assert reverse("service:notification_open", args=[new.pk]) in html
    assert "Mark all as read" in html


def test_the_list_links_the_order_page_once_it_exists(english, pages, advisor, order, monkeypatch):
    Notification.objects.create(user=advisor, kind="delay", message="late", order=order)

    def missing(self):
        raise NoReverseMatch("no order page yet")

    monkeypatch.setattr(ServiceOrder, "get_absolute_url", missing)
    html = pages(advisor).get(reverse("service:notification_list")).content.decode()
    assert "RO-BJ01-260501-0001" in html
    assert f"/orders/{order.pk}/" not in html

    monkeypatch.setattr(ServiceOrder, "get_absolute_url", lambda self: f"/service/orders/{self.pk}/")
    html = pages(advisor).get(reverse("service:notification_list")).content.decode()
    assert f'href="/service/orders/{order.pk}/">RO-BJ01-260501-0001</a>' in html


def test_the_list_pages_20_at_a_time(pages, advisor):
    make_notes(advisor, 25)
    client = pages(advisor)

    first = client.get(reverse("service:notification_list"))
    second = client.get(reverse("service:notification_list"), {"page": 2})

    assert len(first.context["page"].items) == 20
    assert first.context["page"].has_next
    assert [n.message for n in second.context["page"].items] == [f"note {n}" for n in range(4, -1, -1)]


def test_an_empty_list_says_so(english, pages, advisor):
    html = pages(advisor).get(reverse("service:notification_list")).content.decode()
    assert "No notifications." in html
    assert "Mark all as read" not in html


def test_signing_in_is_needed(pages):
    for url in (reverse("service:notification_list"), reverse("service:notification_open", args=[1])):
        response = pages().get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


LIST_QUERIES = 6  # session, user, role names, employee (page head); capped count, the page's rows


@pytest.mark.parametrize("rows", [3, 60])
def test_the_list_runs_a_fixed_number_of_queries(pages, advisor, order, rows, django_assert_num_queries):
    make_notes(advisor, rows // 2, order=order)
    make_notes(advisor, rows - rows // 2, order=None, read=True)
    client = pages(advisor)
    client.get(reverse("service:notification_list"))  # warm the session

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("service:notification_list"))
    assert response.status_code == 200


def test_opening_one_marks_it_read_and_goes_to_its_order(pages, advisor, order, monkeypatch):
    monkeypatch.setattr(ServiceOrder, "get_absolute_url", lambda self: f"/service/orders/{self.pk}/")
    note = Notification.objects.create(user=advisor, kind="delay", message="late", order=order)

    response = pages(advisor).get(reverse("service:notification_open", args=[note.pk]))

    assert response.status_code == 302
    assert response["Location"] == f"/service/orders/{order.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_opening_one_by_post_without_an_order_goes_back_to_the_list(pages, advisor):
    note = Notification.objects.create(user=advisor, kind="job_assigned", message="yours")

    response = pages(advisor).post(reverse("service:notification_open", args=[note.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("service:notification_list")
    note.refresh_from_db()
    assert note.read_at is not None


def test_opening_one_whose_order_page_is_missing_goes_back_to_the_list(pages, advisor, order, monkeypatch):
    def missing(self):
        raise NoReverseMatch("no order page yet")

    monkeypatch.setattr(ServiceOrder, "get_absolute_url", missing)
    note = Notification.objects.create(user=advisor, kind="delay", message="late", order=order)

    response = pages(advisor).get(reverse("service:notification_open", args=[note.pk]))

    assert response["Location"] == reverse("service:notification_list")


def test_opening_a_read_one_keeps_when_it_was_first_read(pages, advisor):
    (note,) = make_notes(advisor, 1, read=True)
    first_read = Notification.objects.get(pk=note.pk).read_at

    pages(advisor).get(reverse("service:notification_open", args=[note.pk]))

    assert Notification.objects.get(pk=note.pk).read_at == first_read


def test_someone_elses_notification_is_not_found(pages, advisor, technician):
    note = Notification.objects.create(user=technician, kind="rework", message="redo it")

    assert pages(advisor).get(reverse("service:notification_open", args=[note.pk])).status_code == 404
    assert pages(advisor).post(reverse("service:notification_open", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_read_marks_only_mine(english, pages, advisor, technician):
    make_notes(advisor, 3)
    (already,) = make_notes(advisor, 1, read=True)
    make_notes(technician, 2)
    first_read = Notification.objects.get(pk=already.pk).read_at

    response = pages(advisor).post(reverse("service:notification_read_all"), follow=True)

    assert response.redirect_chain == [(reverse("service:notification_list"), 302)]
    assert "Marked as read: 3." in response.content.decode()
    assert not Notification.objects.filter(user=advisor, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=technician, read_at__isnull=True).count() == 2
    assert Notification.objects.get(pk=already.pk).read_at == first_read


def test_mark_all_read_needs_a_post(pages, advisor):
    make_notes(advisor, 2)
    assert pages(advisor).get(reverse("service:notification_read_all")).status_code == 405
    assert Notification.objects.filter(read_at__isnull=True).count() == 2


def test_mark_all_read_service_answers_how_many(advisor):
    make_notes(advisor, 4)
    assert notification_mark_all_read(user=advisor) == 4
    assert notification_mark_all_read(user=advisor) == 0


# -- the unread count in the shell -----------------------------------------------------------------------------------


def test_the_header_badge_counts_my_unread_notifications_in_one_query(
    pages, advisor, technician, django_assert_num_queries
):
    make_notes(advisor, 3)
    make_notes(advisor, 2, read=True)
    make_notes(technician, 4)
    client = pages(advisor)
    client.get(reverse("service:notification_badge"))  # the session and user, once

    response = client.get(reverse("service:notification_badge"))

    assert response.context["unread"] == 3
    assert ">3<" in response.content.decode()


def test_the_badge_shows_no_number_when_all_is_read(pages, advisor):
    make_notes(advisor, 2, read=True)
    body = pages(advisor).get(reverse("service:notification_badge")).content.decode()
    assert "badge" not in body.split("notice-link", 1)[1].split("</a>")[0].replace('class="notice-link"', "")


def test_pages_load_the_badge_after_the_page_so_they_pay_no_query_for_it(pages, advisor):
    body = pages(advisor).get(reverse("service:notification_list")).content.decode()
    assert f'hx-get="{reverse("service:notification_badge")}"' in body
