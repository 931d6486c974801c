"""The audit pages: checklists (list, editor with item rows, the fine split), the audit list with a fixed number of
queries, recording an audit from an order, the audit page (photos, postings, cancelling), the photo stream behind
the access check, each employee's fines and rewards, the order-page snippet, and who may open what."""

import datetime
import html as html_lib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from aftersales.core.testing import make_person, page_client, walk_role_matrix
from aftersales.org.roles import ROLES
from aftersales.quality.choices import AuditStatus
from aftersales.quality.models import Audit, AuditPosting, Checklist, QualitySettings, ViolationPhoto

pytestmark = pytest.mark.usefixtures("english")
LIST = reverse("quality:audit_list")
CREATE = reverse("quality:audit_create")
CHECKLISTS = reverse("quality:checklist_list")
MINE = reverse("quality:my_postings")


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def toasts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def allowed(perm: str) -> set[str]:
    return {code for code, role in ROLES.items() if perm in role.permissions}


def picture(fmt="JPEG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 130, 30)).save(buffer, fmt)
    return SimpleUploadedFile(f"p.{fmt.lower()}", buffer.getvalue(), content_type="image/jpeg")


# -- checklists --------------------------------------------------------------------------------------------------------


def test_the_checklist_list_and_page_show_the_4s_standard(site):
    client = page_client(site.supervisor)
    checklist = Checklist.objects.get(code="4S")

    listing = client.get(CHECKLISTS)
    page = client.get(reverse("quality:checklist_detail", args=[checklist.pk]))

    assert listing.status_code == 200 and checklist.name in text(listing)
    assert page.status_code == 200
    assert "S16" in text(page) and "自检合格后请客户验收签字" in text(page)
    assert reverse("quality:checklist_edit", args=[checklist.pk]) not in text(page)  # no role to edit
    assert reverse("quality:checklist_edit", args=[checklist.pk]) in text(
        page_client(site.manager).get(page.request["PATH_INFO"])
    )


def test_who_may_open_the_checklists(branch, other_branch):
    mismatches = walk_role_matrix(
        own_url=CHECKLISTS,
        other_url=None,
        allowed=allowed("quality.view_audit"),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


def test_who_may_create_a_checklist(branch, other_branch):
    mismatches = walk_role_matrix(
        own_url=reverse("quality:checklist_create"),
        other_url=None,
        allowed=allowed("quality.add_checklist"),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


def rows(*items, total=None) -> dict:
    """The item formset's POST data: `(code, text, active[, delete])` rows."""
    data = {"items-TOTAL_FORMS": str(total or len(items)), "items-INITIAL_FORMS": "0"}
    for index, row in enumerate(items):
        code, item_text, active, *delete = row
        data[f"items-{index}-code"] = code
        data[f"items-{index}-text"] = item_text
        if active:
            data[f"items-{index}-active"] = "on"
        if delete and delete[0]:
            data[f"items-{index}-DELETE"] = "on"
    return data


def test_a_checklist_is_created_from_its_rows(site):
    data = {"code": "svc", "name": "服务标准", "fine_amount": "25", "active": "on"}
    data.update(rows(("A1", "统一着装", True), ("", "", True), ("A2", "文明用语", False), total=4))

    response = page_client(site.manager).post(reverse("quality:checklist_create"), data)

    checklist = Checklist.objects.get(code="SVC")
    assert response.status_code == 302 and response["Location"] == checklist.get_absolute_url()
    assert list(checklist.items.values_list("code", "text", "active")) == [
        ("A1", "统一着装", True),
        ("A2", "文明用语", False),
    ]


def test_a_row_in_error_is_shown_beside_the_row(site):
    data = {"code": "DUP", "name": "重复", "fine_amount": "25", "active": "on"}
    data.update(rows(("A1", "一", True), ("A1", "二", True)))

    response = page_client(site.manager).post(reverse("quality:checklist_create"), data)

    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.forms[1].errors["code"] == ["The code A1 is already used by row 1."]
    assert not Checklist.objects.filter(code="DUP").exists()


def test_editing_refuses_to_remove_an_item_with_violations(site):
    checklist = Checklist.objects.get(code="4S")
    site.record([("S01", "")])
    items = list(checklist.items.order_by("position"))
    data = {"name": checklist.name, "fine_amount": "30.00", "is_default": "on", "active": "on"}
    data.update(rows(*[(i.code, i.text, True, i.code == "S01") for i in items]))

    response = page_client(site.manager).post(reverse("quality:checklist_edit", args=[checklist.pk]), data)

    assert response.status_code == 200
    assert "deactivate it instead" in response.context["form"].non_field_errors()[0]
    assert checklist.items.count() == 16
    # unticking "in use" is the way
    data.pop("items-0-DELETE")
    data.pop("items-0-active")
    response = page_client(site.manager).post(reverse("quality:checklist_edit", args=[checklist.pk]), data)
    assert response.status_code == 302
    assert not checklist.items.get(code="S01").active


def test_the_fine_split_page(site):
    client = page_client(site.manager)
    url = reverse("quality:settings")

    assert client.get(url).status_code == 200
    response = client.post(url, {"branch": site.branch.pk, "fine_split": "leader"})

    assert response.status_code == 302
    assert QualitySettings.objects.get(branch=site.branch).fine_split == "leader"
    assert page_client(site.supervisor).get(url).status_code == 403


# -- the list ----------------------------------------------------------------------------------------------------------


LIST_QUERIES = 7  # session, user, role names, employee and branch tree (visible branches); capped count, rows


@pytest.mark.parametrize("audits", [2, 25])
def test_the_list_runs_a_fixed_number_of_queries(site, audits, django_assert_num_queries):
    for index in range(audits):
        site.record([("S01", "")] if index % 2 else [])
    client = page_client(site.manager)
    client.get(LIST)  # warm the session

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(LIST, HTTP_HX_REQUEST="true")  # the results alone
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as whole:
        response = client.get(LIST)
    assert response.status_code == 200
    assert len(whole.captured_queries) == LIST_QUERIES + 3  # the filter bar: branches, teams, auditors
    assert len(response.context["page"].items) == min(audits, 20)


def test_the_list_filters(site):
    first = site.record([("S01", "")])
    other = site.record([], order=site.new_order())
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    old = site.record([], audited_on=last_month)
    client = page_client(site.manager)

    def numbers(**params):
        return [a.pk for a in client.get(LIST, params).context["page"].items]

    assert numbers() == [other.pk, first.pk, old.pk]
    assert numbers(q=other.order.number.lower()) == [other.pk]
    assert numbers(month=last_month.strftime("%Y-%m")) == [old.pk]
    assert numbers(status="cancelled") == []
    assert numbers(auditor=site.auditor.pk) == [other.pk, first.pk, old.pk]


def test_who_may_open_the_audit_list(branch, other_branch):
    mismatches = walk_role_matrix(
        own_url=LIST,
        other_url=None,
        allowed=allowed("quality.view_audit"),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


# -- recording ---------------------------------------------------------------------------------------------------------


def test_the_order_is_found_by_its_number_or_id(site):
    client = page_client(site.supervisor)

    by_number = client.get(CREATE, {"q": site.order.number[-8:]})
    by_id = client.get(CREATE, {"q": str(site.order.pk)}, HTTP_HX_REQUEST="true")

    assert [o.pk for o in by_number.context["results"]] == [site.order.pk]
    assert site.order.pk in [o.pk for o in by_id.context["results"]]
    assert f"?order={site.order.pk}" in text(by_id)


def test_the_form_defaults_to_the_orders_team_and_the_signed_in_auditor(site):
    response = page_client(site.supervisor).get(CREATE, {"order": site.order.pk})

    form = response.context["form"]
    assert response.status_code == 200
    assert form["team"].value() == site.team.pk and form["auditor"].value() == site.auditor.pk
    assert [row["item"].code for row in response.context["rows"]][:2] == ["S01", "S02"]
    assert 'id="violated-S16"' in text(response)


def test_an_audit_is_recorded_from_the_page(site):
    data = {
        "order": site.order.pk,
        "checklist": Checklist.objects.get(code="4S").pk,
        "auditor": site.auditor.pk,
        "team": site.team.pk,
        "audited_on": timezone.localdate().isoformat(),
        "violated": ["S03", "S12"],
        "note-S03": "未穿鞋套",
        "note-S12": "柜门刮花",
        "note-S01": "ignored: not ticked",
    }

    response = page_client(site.supervisor).post(CREATE, data)

    audit = Audit.objects.get()
    assert response.status_code == 302 and response["Location"] == audit.get_absolute_url()
    assert [(v.item.code, v.note) for v in audit.violations.order_by("id")] == [
        ("S03", "未穿鞋套"),
        ("S12", "柜门刮花"),
    ]
    assert audit.fine_total == 60 and AuditPosting.objects.filter(audit=audit).count() == 4


def test_an_error_on_a_row_comes_back_beside_it(site):
    data = {
        "order": site.order.pk,
        "auditor": site.auditor.pk,
        "team": site.team.pk,
        "audited_on": timezone.localdate().isoformat(),
        "violated": ["S05"],
        "note-S05": "x" * 301,
    }

    response = page_client(site.supervisor).post(CREATE, data)

    assert response.status_code == 200
    row = next(r for r in response.context["rows"] if r["item"].code == "S05")
    assert row["checked"] and row["errors"] == ["Use at most 300 characters."]
    assert not Audit.objects.exists()


def test_violations_without_a_team_come_back_on_the_team(site):
    data = {
        "order": site.order.pk,
        "auditor": site.auditor.pk,
        "team": "",
        "audited_on": timezone.localdate().isoformat(),
        "violated": ["S05"],
    }

    response = page_client(site.supervisor).post(CREATE, data)

    assert response.status_code == 200 and "team" in response.context["form"].errors


def test_who_may_record_an_audit_on_the_page(site, branch, other_branch):
    mismatches = walk_role_matrix(
        own_url=f"{CREATE}?order={site.order.pk}",
        other_url=None,
        allowed=allowed("quality.add_audit"),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


def test_another_branchs_order_is_404_on_the_form(site, far):
    assert page_client(site.supervisor).get(CREATE, {"order": far.order.pk}).status_code == 404


# -- the audit's page --------------------------------------------------------------------------------------------------


def test_the_audit_page_shows_violations_postings_and_history(site):
    audit = site.record([("S03", "未穿鞋套")])

    response = page_client(site.manager).get(audit.get_absolute_url())

    page = text(response)
    assert response.status_code == 200
    assert "未穿鞋套" in page and "¥30.00" in page and "¥10.00" in page
    assert reverse("quality:audit_cancel", args=[audit.pk]) in page
    assert reverse("quality:violation_photo_add", args=[audit.pk, audit.violations.get().pk]) in page
    assert 'data-confirm="' in page
    assert response.context["history"]


@pytest.mark.parametrize("violations", [1, 6])
def test_the_audit_page_runs_a_fixed_number_of_queries(site, violations):
    from aftersales.quality import services

    audit = site.record([(f"S{n:02d}", "") for n in range(1, violations + 1)])
    for violation in audit.violations.all():
        services.violation_photo_add(actor=site.supervisor, violation=violation, image=picture())
    client = page_client(site.manager)
    client.get(audit.get_absolute_url())

    with CaptureQueriesContext(connection) as queries:
        response = client.get(audit.get_absolute_url())

    assert response.status_code == 200 and len(response.context["violations"]) == violations
    # session, user, roles, employee, branch tree; the audit, violations, photos, postings; history
    assert len(queries.captured_queries) == 10


def test_who_may_open_an_audit(site, far, branch, other_branch):
    own = site.record([("S01", "")])
    other = far.record([("S01", "")])
    mismatches = walk_role_matrix(
        own_url=own.get_absolute_url(),
        other_url=other.get_absolute_url(),
        allowed=allowed("quality.view_audit"),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert mismatches == []


def test_a_fined_member_sees_the_audit_and_a_technician_with_no_part_does_not(site, branch):
    audit = site.record([("S01", "")])
    member_page = page_client(site.members[0]).get(audit.get_absolute_url())
    stranger = make_person(role="technician", branch=branch)

    assert member_page.status_code == 200
    assert reverse("quality:audit_cancel", args=[audit.pk]) not in text(member_page)
    assert page_client(stranger).get(audit.get_absolute_url()).status_code == 403
    assert page_client(stranger).get(LIST).status_code == 403


def test_cancelling_from_the_page(site):
    audit = site.record([("S01", "")])
    url = reverse("quality:audit_cancel", args=[audit.pk])

    refused = page_client(site.supervisor).post(url, {"reason": "x"})
    empty = page_client(site.manager).post(url, {"reason": ""}, follow=True)
    done = page_client(site.manager).post(url, {"reason": "误判"}, follow=True)

    assert refused.status_code == 403
    assert any("Reason" in t for t in toasts(empty))
    assert done.status_code == 200 and any("cancelled" in t for t in toasts(done))
    audit.refresh_from_db()
    assert audit.status == AuditStatus.CANCELLED and audit.cancel_reason == "误判"
    assert reverse("quality:audit_cancel", args=[audit.pk]) not in text(done)


def test_a_photo_is_uploaded_on_the_page_and_streamed_only_to_those_who_see_the_audit(site, far, branch):
    audit = site.record([("S12", "刮花")])
    violation = audit.violations.get()
    add = reverse("quality:violation_photo_add", args=[audit.pk, violation.pk])

    response = page_client(site.supervisor).post(add, {"image": picture()}, follow=True)
    bad = page_client(site.supervisor).post(add, {"image": SimpleUploadedFile("x.jpg", b"nope")}, follow=True)
    refused = page_client(site.members[0]).post(add, {"image": picture()})

    photo = ViolationPhoto.objects.get()
    url = reverse("quality:violation_photo", args=[audit.pk, photo.pk])
    assert any("Photo added" in t for t in toasts(response)) and url in text(response)
    assert any("not a JPEG" in t for t in toasts(bad))
    assert refused.status_code == 403
    streamed = page_client(site.members[0]).get(url)
    assert streamed.status_code == 200 and streamed["Content-Type"] == "image/jpeg"
    assert streamed["Cache-Control"].startswith("private")
    assert page_client(make_person(role="technician", branch=branch)).get(url).status_code == 404
    assert page_client(far.manager).get(url).status_code == 404
    assert page_client().get(url).status_code == 302
    wrong_audit = site.record([])
    assert (
        page_client(site.manager).get(reverse("quality:violation_photo", args=[wrong_audit.pk, photo.pk])).status_code
        == 404
    )


# -- my fines and rewards ----------------------------------------------------------------------------------------------


def test_each_side_sees_the_audit_behind_every_fine_and_reward(site):
    audit = site.record([("S01", ""), ("S02", "")])

    member = page_client(site.members[0]).get(MINE)
    auditor = page_client(site.supervisor).get(MINE)

    assert member.status_code == auditor.status_code == 200
    assert audit.get_absolute_url() in text(member) and audit.get_absolute_url() in text(auditor)
    assert [p.amount for p in member.context["postings"]] == [20]
    assert [(p.kind, p.amount) for p in auditor.context["postings"]] == [("reward", 60)]
    assert page_client(site.members[0]).get(audit.get_absolute_url()).status_code == 200


def test_my_postings_show_one_month_at_a_time(site):
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    old = site.record([("S01", "")], audited_on=last_month)
    site.record([("S02", "")])
    client = page_client(site.members[0])

    latest = client.get(MINE)
    earlier = client.get(MINE, {"month": last_month.strftime("%Y-%m")})

    assert [m.month for m in latest.context["months"]] == [
        timezone.localdate().replace(day=1),
        last_month.replace(day=1),
    ]
    assert [p.audit_id for p in earlier.context["postings"]] == [old.pk]
    assert latest.context["postings"][0].audit_id != old.pk


MINE_QUERIES = 6  # session, user, role names, employee; the months' sums, the month's postings


@pytest.mark.parametrize("audits", [1, 12])
def test_my_postings_run_a_fixed_number_of_queries(site, audits, django_assert_num_queries):
    for _ in range(audits):
        site.record([("S01", "")])
    client = page_client(site.members[0])
    client.get(MINE)

    with django_assert_num_queries(MINE_QUERIES):
        response = client.get(MINE)
    assert len(response.context["postings"]) == audits


def test_someone_without_postings_sees_an_empty_page(site):
    response = page_client(site.advisor).get(MINE)

    assert response.status_code == 200 and response.context["postings"] == []
    assert page_client().get(MINE).status_code == 302


# -- the order page's snippet ------------------------------------------------------------------------------------------


def test_the_order_snippet_lists_the_orders_audits(site):
    audit = site.record([("S01", "")])
    request = RequestFactory().get("/")
    request.user = site.supervisor
    template = Template("{% load quality_tags %}{% order_audits order %}")

    html = template.render(Context({"request": request, "order": site.order}))

    assert audit.number in html
    assert f"{CREATE}?order={site.order.pk}" in html
    request.user = make_person(role="service_advisor", branch=site.branch)
    assert template.render(Context({"request": request, "order": site.order})).strip() == ""
    request.user = make_person(role="finance", branch=site.branch)
    html = template.render(Context({"request": request, "order": site.order}))
    assert audit.number in html and CREATE not in html
