"""Installation orders: the installation team (required, an active installation team of the branch), the schedule, the
customer's acceptance of the self-check items (验收), the quality check that passes only over an accepted
installation, jobs dispatched only to the team's members, the API and the pages (reception, the order page's
acceptance form and record, the printed acceptance form with its results)."""

import datetime
import html as html_lib
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from aftersales.core.errors import Conflict
from aftersales.core.testing import make_person
from aftersales.org.models import Employee, Team
from aftersales.service.choices import JobStatus, OrderStatus, OrderType
from aftersales.service.models import OrderEvent, ServiceOrder
from aftersales.service.services import installation, jobs, orders
from aftersales.service.services.installation import CHECK_CODES, INSTALLATION_CHECKS
from aftersales.service.tests.conftest import API, act, post
from aftersales.service.views import printing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]
S = OrderStatus
ALL_PASSED = dict.fromkeys(CHECK_CODES, True)


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def install(shop, **fields) -> ServiceOrder:
    fields.setdefault("team", shop.install_team)
    return orders.order_create(
        actor=shop.advisor,
        branch=shop.branch,
        customer=shop.customer,
        type=OrderType.INSTALLATION,
        concerns="全屋定制柜体及木门安装",
        **fields,
    )


def in_team(user, team) -> None:
    Employee.objects.filter(user=user).update(team=team)
    user.refresh_from_db()


def record(shop, order, *, actor=None, **checks):
    return installation.order_acceptance_record(
        actor=actor or shop.qc,
        order=order,
        checks={**ALL_PASSED, **checks},
        signed_by="业主张女士",
        method="signature",
        notes="柜门缝隙均匀",
    )


def refusal(call) -> Conflict:
    with pytest.raises(Conflict) as caught:
        call()
    return caught.value


# -- the team and the schedule ------------------------------------------------------------------------------------------


def test_an_installation_order_without_a_team_is_refused_naming_the_team(shop):
    with pytest.raises(ValidationError) as caught:
        install(shop, team=None)

    assert "team" in caught.value.message_dict
    assert not ServiceOrder.objects.exists()


@pytest.mark.parametrize("which", ["workshop", "other_branch", "inactive"])
def test_the_team_must_be_an_active_installation_team_of_the_branch(shop, other_branch, which):
    team = {
        "workshop": lambda: Team.objects.create(branch=shop.branch, name="机修一组", kind="workshop"),
        "other_branch": lambda: Team.objects.create(branch=other_branch, name="安装二组", kind="installation"),
        "inactive": lambda: Team.objects.create(branch=shop.branch, name="安装旧组", kind="installation", active=False),
    }[which]()

    with pytest.raises(ValidationError) as caught:
        install(shop, team=team)

    assert list(caught.value.message_dict) == ["team"]
    assert not ServiceOrder.objects.exists()


def test_an_installation_order_keeps_its_team_and_schedule(shop):
    when = timezone.now() + datetime.timedelta(days=2)

    order = install(shop, scheduled_at=when)

    order.refresh_from_db()
    assert (order.team, order.scheduled_at, order.status) == (shop.install_team, when, S.RECEPTION)
    assert OrderEvent.objects.get(order=order, action="create").payload == {"type": "installation", "team": "安装一组"}


def test_other_types_take_no_team_and_no_schedule(shop):
    with pytest.raises(ValidationError) as caught:
        orders.order_create(
            actor=shop.advisor,
            branch=shop.branch,
            customer=shop.customer,
            type=OrderType.REPAIR,
            team=shop.install_team,
            scheduled_at=timezone.now(),
        )

    assert set(caught.value.message_dict) == {"team", "scheduled_at"}


# -- dispatch to the team -----------------------------------------------------------------------------------------------


def test_an_installations_jobs_go_only_to_members_of_its_team(shop, person):
    walked = shop.walk(S.APPROVED, type=OrderType.INSTALLATION)
    outsider = person("technician")  # of the branch, not of the team
    first, second = walked.labour

    with pytest.raises(ValidationError) as caught:
        orders.order_dispatch(
            actor=shop.dispatcher,
            order=walked.order,
            assignments=[
                {"line": first.pk, "technician": shop.technician.pk},
                {"line": second.pk, "technician": outsider.pk},
            ],
        )

    assert list(caught.value.message_dict) == ["assignments.1.technician"]
    assert "安装一组" in caught.value.message_dict["assignments.1.technician"][0]
    first.refresh_from_db()
    assert first.technician_id is None, "a refused dispatch assigns nothing"
    assert walked.fresh().status == S.APPROVED

    in_team(outsider, shop.install_team)
    orders.order_dispatch(
        actor=shop.dispatcher, order=walked.order, assignments=[{"line": second.pk, "technician": outsider.pk}]
    )
    second.refresh_from_db()
    assert (second.technician_id, second.job_status) == (outsider.pk, JobStatus.ASSIGNED)


# -- the acceptance and the quality check ----------------------------------------------------------------------------


def test_the_acceptance_is_recorded_with_its_items_signer_and_method(shop):
    walked = shop.walk(S.QUALITY_CHECK, type=OrderType.INSTALLATION)

    record(shop, walked.order, door_lock=False)

    acceptance = walked.fresh().acceptance
    assert acceptance["checks"] == {**ALL_PASSED, "door_lock": False}
    assert sorted(acceptance["checks"]) == sorted(CHECK_CODES)  # PostgreSQL (jsonb) keeps no key order
    assert (acceptance["signed_by"], acceptance["method"], acceptance["by"], acceptance["notes"]) == (
        "业主张女士",
        "signature",
        shop.qc.pk,
        "柜门缝隙均匀",
    )
    assert datetime.datetime.fromisoformat(acceptance["at"]) <= timezone.now()
    event = OrderEvent.objects.filter(order=walked.order).last()
    assert (event.action, event.actor, event.payload["failed"]) == ("acceptance", shop.qc, ["door_lock"])
    assert walked.order.status == S.QUALITY_CHECK, "recording the acceptance moves nothing"


def test_the_quality_check_of_an_installation_needs_the_customers_acceptance(shop):
    walked = shop.walk(S.QUALITY_CHECK, type=OrderType.INSTALLATION)

    missing = refusal(lambda: orders.order_qc_pass(actor=shop.qc, order=walked.order))
    assert missing.code == "acceptance_missing"

    record(shop, walked.order, door_lock=False, nail_holes=False)
    failed = refusal(lambda: orders.order_qc_pass(actor=shop.qc, order=walked.order))
    assert failed.code == "acceptance_failed"
    assert "Door lock function" in str(failed.message) and "Nail hole repair" in str(failed.message)
    assert "Paint scratches" not in str(failed.message)
    assert walked.fresh().status == S.QUALITY_CHECK

    record(shop, walked.order)
    orders.order_qc_pass(actor=shop.qc, order=walked.order)
    assert walked.fresh().status == S.COMPLETED


def test_after_rework_the_customer_accepts_again(shop):
    """Given an accepted installation sent back for rework, when its jobs are finished again, then the old acceptance
    no longer counts: the quality check needs a new one."""
    walked = shop.walk(S.QUALITY_CHECK, type=OrderType.INSTALLATION)
    record(shop, walked.order)
    first = walked.labour[0]
    orders.order_qc_fail(actor=shop.qc, order=walked.order, reason="门扇开启有异响", lines=[first.pk])
    jobs.job_act(actor=shop.technician, line=first, action="start")
    shop.finish(first)
    assert walked.fresh().status == S.QUALITY_CHECK

    assert refusal(lambda: orders.order_qc_pass(actor=shop.qc, order=walked.order)).code == "acceptance_missing"

    record(shop, walked.order)
    orders.order_qc_pass(actor=shop.qc, order=walked.order)
    assert walked.fresh().status == S.COMPLETED


def test_an_installation_runs_to_delivery_with_its_acceptance(shop):
    walked = shop.walk(S.DELIVERED, type=OrderType.INSTALLATION)

    actions = list(OrderEvent.objects.filter(order=walked.order).values_list("action", flat=True))
    assert actions.index("acceptance") < actions.index("qc_pass") < actions.index("settle")
    assert walked.order.release_pass.number.startswith("RP-BJ01-")


@pytest.mark.parametrize("status", [S.IN_PROGRESS, S.COMPLETED])
def test_the_acceptance_is_recorded_only_in_quality_check(shop, status):
    walked = shop.walk(status, type=OrderType.INSTALLATION)
    events = OrderEvent.objects.filter(order=walked.order).count()

    refused = refusal(lambda: record(shop, walked.order))

    assert refused.code == "invalid_status"
    assert str(S(status).label) in str(refused.message)
    assert OrderEvent.objects.filter(order=walked.order).count() == events


def test_only_installation_orders_record_an_acceptance(shop):
    walked = shop.walk(S.QUALITY_CHECK)

    assert refusal(lambda: record(shop, walked.order)).code == "not_for_this_type"
    assert walked.fresh().acceptance == {}


def test_only_who_may_pass_the_quality_check_records_the_acceptance(shop, person):
    walked = shop.walk(S.QUALITY_CHECK, type=OrderType.INSTALLATION)

    for user in (shop.advisor, shop.technician, shop.cashier):
        with pytest.raises(PermissionDenied):
            record(shop, walked.order, actor=user)
    record(shop, walked.order, actor=person("install_supervisor"))

    assert walked.fresh().acceptance["checks"] == ALL_PASSED


@pytest.mark.parametrize(
    ("checks", "signed_by", "method", "fields"),
    [
        ({"door_lock": True}, "业主", "signature", {"checks"}),  # the other four items missing
        ({**ALL_PASSED, "window": True}, "业主", "signature", {"checks"}),
        ({**ALL_PASSED, "door_lock": "yes"}, "业主", "signature", {"checks"}),
        ("all passed", "业主", "signature", {"checks"}),
        (ALL_PASSED, "  ", "signature", {"signed_by"}),
        (ALL_PASSED, "业主", "email", {"method"}),
    ],
)
def test_an_incomplete_acceptance_is_refused_beside_its_field(shop, checks, signed_by, method, fields):
    walked = shop.walk(S.QUALITY_CHECK, type=OrderType.INSTALLATION)

    with pytest.raises(ValidationError) as caught:
        installation.order_acceptance_record(
            actor=shop.qc, order=walked.order, checks=checks, signed_by=signed_by, method=method
        )

    assert set(caught.value.message_dict) == fields
    assert walked.fresh().acceptance == {}


# -- the API -----------------------------------------------------------------------------------------------------------


def test_the_api_opens_an_installation_with_its_team_and_schedule(shop, branch):
    body = {"branch": branch.pk, "customer": shop.customer.pk, "type": "installation", "concerns": "木门安装"}

    refused = post(shop.api(shop.advisor), f"{API}/work-orders", body)
    assert refused.status_code == 422
    assert "team" in refused.json()["fields"]

    created = post(
        shop.api(shop.advisor),
        f"{API}/work-orders",
        {**body, "team": shop.install_team.pk, "scheduled_at": "2030-03-01T09:00:00+08:00"},
    )
    assert created.status_code == 201, created.content
    order = created.json()
    assert (order["team"], order["acceptance"]) == (shop.install_team.pk, {})
    assert datetime.datetime.fromisoformat(order["scheduled_at"]) == datetime.datetime.fromisoformat(
        "2030-03-01T09:00:00+08:00"
    )
    listed = shop.api(shop.advisor).get(f"{API}/work-orders?type=installation").json()["items"]
    assert [(o["id"], o["team"]) for o in listed] == [(order["id"], shop.install_team.pk)]


def test_the_api_refuses_another_branchs_team(shop, branch, other_branch):
    theirs = Team.objects.create(branch=other_branch, name="安装二组", kind="installation")

    response = post(
        shop.api(shop.advisor),
        f"{API}/work-orders",
        {"branch": branch.pk, "customer": shop.customer.pk, "type": "installation", "team": theirs.pk},
    )

    assert response.status_code == 422
    assert "team" in response.json()["fields"]


def test_the_api_records_the_acceptance_and_then_the_check_passes(shop):
    walked = shop.walk(S.QUALITY_CHECK, type=OrderType.INSTALLATION)
    url = f"{API}/work-orders/{walked.order.pk}/acceptance"
    qc = shop.api(shop.qc)
    body = {"checks": ALL_PASSED, "signed_by": "业主张女士", "method": "wechat", "notes": "满意"}

    assert act(qc, walked.order.pk, "qc_pass").json()["code"] == "acceptance_missing"
    assert post(shop.api(shop.technician), url, body).status_code == 403
    invalid = post(qc, url, {**body, "method": "email"})
    assert invalid.status_code == 422 and "method" in invalid.json()["fields"]

    recorded = post(qc, url, body)

    assert recorded.status_code == 200, recorded.content
    order = recorded.json()
    assert order["acceptance"]["checks"] == ALL_PASSED
    assert (order["acceptance"]["signed_by"], order["acceptance"]["method"]) == ("业主张女士", "wechat")
    assert order["events"][-1]["action"] == "acceptance"
    passed = act(qc, walked.order.pk, "qc_pass")
    assert passed.status_code == 200 and passed.json()["status"] == "completed"
    assert post(qc, url, body).json()["code"] == "invalid_status"


def test_the_api_acceptance_of_a_repair_order_is_409_and_another_branchs_404(shop, other_branch):
    walked = shop.walk(S.QUALITY_CHECK)
    body = {"checks": ALL_PASSED, "signed_by": "车主", "method": "phone"}

    repair = post(shop.api(shop.qc), f"{API}/work-orders/{walked.order.pk}/acceptance", body)
    stranger = post(
        shop.api(make_person(role="qc_inspector", branch=other_branch)),
        f"{API}/work-orders/{walked.order.pk}/acceptance",
        body,
    )

    assert (repair.status_code, repair.json()["code"]) == (409, "not_for_this_type")
    assert stranger.status_code == 404


# -- pages -------------------------------------------------------------------------------------------------------------


def order_url(order) -> str:
    return reverse("service:order_detail", args=[order.pk])


def test_reception_opens_an_installation_with_its_team_and_schedule(shop, pages):
    team = shop.install_team
    url = reverse("service:order_create") + f"?customer={shop.customer.pk}"
    client = pages(shop.advisor)
    form = {
        "customer": shop.customer.pk,
        "branch": shop.branch.pk,
        "asset": shop.vehicle.pk,
        "type": "installation",
        "concerns": "木门安装",
        "valuables_acknowledged": "on",
    }

    page = text(client.get(url))
    assert 'name="team"' in page and 'name="scheduled_at"' in page
    assert "BJ01 · 安装一组" in page

    missing = client.post(url, form)
    assert missing.status_code == 200
    assert re.search(r'id="id_team_error"', missing.content.decode()), "the error is shown beside the team"
    assert not ServiceOrder.objects.exists()

    opened = client.post(url, {**form, "team": team.pk, "scheduled_at": "2030-03-01T09:00"})
    order = ServiceOrder.objects.get()
    assert opened.status_code == 302
    assert (order.team, timezone.localtime(order.scheduled_at).strftime("%Y-%m-%d %H:%M")) == (
        team,
        "2030-03-01 09:00",
    )


def test_the_order_page_shows_the_team_the_schedule_and_only_team_members_to_dispatch(shop, pages, person):
    order = install(shop, scheduled_at=timezone.make_aware(datetime.datetime(2030, 3, 1, 9, 0)))
    outsider = person("technician", username="outsider-li")
    shop.add_labour(order, name="安装入户门")
    orders.order_submit_estimate(actor=shop.advisor, order=order)
    shop.approve(order)

    page = text(pages(shop.dispatcher).get(order_url(order)))

    assert "<dt>Installation team</dt><dd>安装一组</dd>" in page
    assert "<dt>Scheduled for</dt><dd>2030-03-01 09:00</dd>" in page
    dispatch = re.search(r'id="action-dispatch">(.*?)</details>', page, re.S).group(1)
    assert shop.technician.username in dispatch
    assert outsider.username not in dispatch


def test_the_acceptance_form_is_on_an_installation_in_quality_check_for_the_inspector_only(shop, pages):
    installing = shop.walk(S.QUALITY_CHECK, type=OrderType.INSTALLATION).order
    repair = shop.walk(S.QUALITY_CHECK).order
    working = shop.walk(S.IN_PROGRESS, type=OrderType.INSTALLATION).order
    form_action = reverse("service:order_acceptance", args=[installing.pk])

    page = text(pages(shop.qc).get(order_url(installing)))
    assert form_action in page
    assert len(re.findall(r'type="checkbox" name="acceptance-check_', page)) == len(INSTALLATION_CHECKS)
    for _code, label in INSTALLATION_CHECKS:
        assert str(label) in page
    assert 'name="acceptance-signed_by"' in page and 'name="acceptance-method"' in page

    assert form_action not in text(pages(shop.advisor).get(order_url(installing))), "no QC permission"
    for other in (repair, working):
        page = text(pages(shop.qc).get(order_url(other)))
        assert reverse("service:order_acceptance", args=[other.pk]) not in page
        assert 'id="acceptance"' not in page


def test_the_inspector_records_the_acceptance_on_the_page_and_sees_it(shop, pages):
    order = shop.walk(S.QUALITY_CHECK, type=OrderType.INSTALLATION).order
    client = pages(shop.qc)
    url = reverse("service:order_acceptance", args=[order.pk])
    ticked = {f"acceptance-check_{code}": "on" for code in CHECK_CODES if code != "paint_scratches"}

    invalid = client.post(url, {**ticked, "acceptance-method": "signature"})
    assert invalid.status_code == 200
    assert 'id="id_acceptance-signed_by_error"' in invalid.content.decode()
    order.refresh_from_db()
    assert order.acceptance == {}

    done = client.post(url, {**ticked, "acceptance-signed_by": "业主张女士", "acceptance-method": "signature"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.acceptance["checks"] == {**ALL_PASSED, "paint_scratches": False}

    page = text(client.get(order_url(order)))
    results = dict(re.findall(r'<tr data-check="(\w+)"><td>[^<]*</td><td><span class="tag tag-(\w+)"', page))
    assert results == {**dict.fromkeys(CHECK_CODES, "ok"), "paint_scratches": "bad"}
    assert "业主张女士" in page
    assert "Customer acceptance recorded" in page, "the timeline names the event"
    assert "failed: Paint scratches" in page


def test_a_passed_quality_check_leaves_the_recorded_acceptance_and_no_form(shop, pages):
    order = shop.walk(S.COMPLETED, type=OrderType.INSTALLATION).order

    page = text(pages(shop.qc).get(order_url(order)))

    assert 'id="acceptance"' in page
    assert reverse("service:order_acceptance", args=[order.pk]) not in page
    assert page.count('class="tag tag-ok"') >= len(CHECK_CODES)


def test_the_page_refuses_the_acceptance_of_a_repair_order_with_a_toast(shop, pages):
    order = shop.walk(S.QUALITY_CHECK).order
    body = {f"acceptance-check_{code}": "on" for code in CHECK_CODES}

    response = pages(shop.qc).post(
        reverse("service:order_acceptance", args=[order.pk]),
        {**body, "acceptance-signed_by": "车主", "acceptance-method": "phone"},
        follow=True,
    )

    assert "Only installation orders have an acceptance sign-off" in text(response)
    order.refresh_from_db()
    assert order.acceptance == {}


# -- the printed acceptance form ------------------------------------------------------------------------------------------


def item_rows(response) -> list[list[str]]:
    section = re.search(r'aria-labelledby="items-heading">(.*?)</section>', text(response), re.S).group(1)
    body = re.search(r"<tbody>(.*?)</tbody>", section, re.S).group(1)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_the_printed_acceptance_form_shows_the_recorded_results(shop, pages):
    order = shop.walk(S.QUALITY_CHECK, type=OrderType.INSTALLATION).order
    url = reverse("service:print_acceptance", args=[order.pk])
    assert all(row[2:4] == ["", ""] for row in item_rows(pages(shop.qc).get(url))), "blank boxes before"

    record(shop, order, door_lock=False)
    response = pages(shop.qc).get(url)

    rows = item_rows(response)
    assert [(row[1], row[2], row[3]) for row in rows] == [
        ("Door frame line joints", "✓", ""),
        ("Door leaf opening and closing", "✓", ""),
        ("Door lock function", "", "✗"),
        ("Paint scratches", "✓", ""),
        ("Nail hole repair", "✓", ""),
    ]
    page = text(response)
    assert "<dt>Signed by</dt><dd>业主张女士</dd>" in page
    assert "<dt>How</dt><dd>Signature</dd>" in page
    assert "<strong>☑ Not accepted (see notes)</strong>" in page


def test_the_printed_form_of_an_accepted_installation_ticks_accepted(shop, pages):
    order = shop.walk(S.COMPLETED, type=OrderType.INSTALLATION).order

    response = pages(shop.qc).get(reverse("service:print_acceptance", args=[order.pk]))

    assert all(row[2:4] == ["✓", ""] for row in item_rows(response))
    assert "<strong>☑ Accepted</strong>" in text(response)


def test_the_printed_items_are_the_self_check_items_in_the_same_order():
    """The print template reads the recorded results by the items' codes in the order of the print view's items."""
    assert [str(label) for label in printing.ACCEPTANCE_ITEMS] == [str(label) for _code, label in INSTALLATION_CHECKS]
    template = (printing.__file__.rsplit("/views/", 1)[0]) + "/templates/service/print_acceptance.html"
    with open(template, encoding="utf-8") as handle:
        cycle = re.search(r"{% cycle (.*?) as passed silent %}", handle.read()).group(1)
    assert [name.removeprefix("checks.") for name in cycle.split()] == list(CHECK_CODES)
