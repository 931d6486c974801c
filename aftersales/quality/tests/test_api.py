"""The audits API: the checklists' shape, recording an audit (201 with violations and postings), the list and the
detail, cancelling, the error shape (422 naming the row, 409, 404, 403, 401), and who may do what."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.core.testing import api_client, make_person, walk_role_matrix
from aftersales.org.roles import ROLES
from aftersales.quality.models import Audit, AuditPosting
from aftersales.quality.tests.conftest import API, post

pytestmark = pytest.mark.usefixtures("english")
D = Decimal
AUDITS = f"{API}/quality/audits"


def body(site, violations=(), **extra) -> dict:
    return {
        "auditor": site.auditor.pk,
        "order": site.order.pk,
        "team": site.team.pk,
        "violations": [{"item": code, "note": note} for code, note in violations],
        **extra,
    }


def allowed(perm: str) -> set[str]:
    return {code for code, role in ROLES.items() if perm in role.permissions}


def test_the_checklists_list_the_4s_standard_on_a_fresh_database(site, api):
    response = api(site.members[0]).get(f"{API}/quality/checklists")

    assert response.status_code == 200
    (checklist,) = response.json()["items"]
    assert set(checklist) >= {"id", "name", "items", "code", "fine_amount"}
    assert (checklist["code"], checklist["fine_amount"], checklist["is_default"]) == ("4S", "30.00", True)
    assert len(checklist["items"]) == 16
    assert checklist["items"][2] == {"code": "S03", "text": "进门穿鞋套，自我介绍并出示工单"}


def test_the_checklists_leave_out_what_is_not_in_use(site, api):
    from aftersales.quality import services
    from aftersales.quality.models import ChecklistItem

    services.checklist_create(
        actor=site.manager, code="OFF", name="停用", fine_amount="1", items=[("X", "x")], active=False
    )
    ChecklistItem.objects.filter(code="S16").update(active=False)

    items = api(site.supervisor).get(f"{API}/quality/checklists").json()["items"]

    assert [c["code"] for c in items] == ["4S"]
    assert [i["code"] for i in items[0]["items"]][-1] == "S15"


def test_the_checklists_need_a_sign_in():
    assert api_client().get(f"{API}/quality/checklists").status_code == 401


def test_recording_an_audit_answers_201_with_its_violations_and_postings(site, api):
    response = post(api(site.supervisor), AUDITS, body(site, [("S03", "未穿鞋套"), ("S12", "柜门刮花")]))

    assert response.status_code == 201, response.json()
    data = response.json()
    audit = Audit.objects.get()
    month = timezone.localdate().replace(day=1).isoformat()
    assert data["id"] == audit.pk and data["number"] == audit.number
    assert (data["branch"], data["order"], data["team"], data["auditor"]) == (
        site.branch.pk,
        site.order.pk,
        site.team.pk,
        site.auditor.pk,
    )
    assert (data["status"], data["audited_on"], data["fine_total"]) == (
        "recorded",
        timezone.localdate().isoformat(),
        "60.00",
    )
    assert [(v["item"], v["note"], v["fine"]) for v in data["violations"]] == [
        ("S03", "未穿鞋套", "30.00"),
        ("S12", "柜门刮花", "30.00"),
    ]
    assert data["violations"][0]["text"] == "进门穿鞋套，自我介绍并出示工单"
    penalties = [p for p in data["postings"] if p["kind"] == "penalty"]
    rewards = [p for p in data["postings"] if p["kind"] == "reward"]
    assert sorted(p["employee"] for p in penalties) == sorted(e.pk for e in site.member_employees)
    assert {p["amount"] for p in penalties} == {"20.00"} and {p["month"] for p in data["postings"]} == {month}
    assert rewards == [
        {
            "id": rewards[0]["id"],
            "employee": site.auditor.pk,
            "kind": "reward",
            "amount": "60.00",
            "month": month,
            "reverses": None,
        }
    ]


def test_an_audit_with_no_violations_is_an_empty_list(site, api):
    response = post(api(site.supervisor), AUDITS, body(site, [], team=None, notes="全部达标"))

    assert response.status_code == 201
    data = response.json()
    assert (data["violations"], data["postings"], data["fine_total"], data["team"]) == ([], [], "0.00", None)


def test_a_violation_row_in_error_is_named(site, api):
    response = post(api(site.supervisor), AUDITS, body(site, [("S01", ""), ("S01", ""), ("S77", "")]))

    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"violations.1.item", "violations.2.item"}
    assert not Audit.objects.exists()


def test_a_schema_error_is_named_too(site, api):
    response = post(api(site.supervisor), AUDITS, body(site, [("S01", "x" * 301)]))

    assert response.status_code == 422
    assert "violations.0.note" in response.json()["fields"]


def test_ids_the_user_cannot_see_are_422_on_their_field(site, far, api):
    response = post(api(site.supervisor), AUDITS, body(site, [("S01", "")], order=far.order.pk))
    assert response.status_code == 422 and set(response.json()["fields"]) == {"order"}

    response = post(api(site.supervisor), AUDITS, body(site, [("S01", "")], team=far.team.pk))
    assert response.status_code == 422 and set(response.json()["fields"]) == {"team"}

    response = post(api(site.supervisor), AUDITS, body(site, [("S01", "")], team=None))
    assert response.status_code == 422 and set(response.json()["fields"]) == {"team"}


def test_a_team_nobody_can_bear_the_fine_of_is_409(site, api):
    from aftersales.org.models import Employee

    Employee.objects.filter(team=site.team).update(active=False)

    response = post(api(site.supervisor), AUDITS, body(site, [("S01", "")]))

    assert response.status_code == 409
    assert response.json()["code"] == "team_without_members"


def test_a_chosen_checklist_and_date(site, api):
    from aftersales.quality import services

    checklist = services.checklist_create(
        actor=site.manager, code="B", name="B", fine_amount="12.50", items=[("B1", "b")]
    )
    day = timezone.localdate().replace(day=1) - datetime.timedelta(days=3)

    response = post(
        api(site.supervisor),
        AUDITS,
        body(site, [("B1", "")], checklist=checklist.pk, audited_on=day.isoformat()),
    )

    assert response.status_code == 201
    data = response.json()
    assert (data["checklist"], data["audited_on"], data["fine_total"]) == (checklist.pk, day.isoformat(), "12.50")
    assert {p["month"] for p in data["postings"]} == {day.replace(day=1).isoformat()}


def test_the_list_filters_and_pages(site, api):
    first = site.record([("S01", "")])
    other_order = site.new_order()
    second = site.record([], order=other_order)
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    old = site.record([], audited_on=last_month)
    client = api(site.manager)

    everything = client.get(AUDITS).json()
    assert everything["count"] == 3
    assert [a["id"] for a in everything["items"]] == [second.pk, first.pk, old.pk]
    assert set(everything["items"][0]) >= {"id", "number", "order", "team", "auditor", "status", "fine_total"}
    assert [a["id"] for a in client.get(AUDITS, {"q": other_order.number}).json()["items"]] == [second.pk]
    assert [a["id"] for a in client.get(AUDITS, {"month": last_month.strftime("%Y-%m")}).json()["items"]] == [old.pk]
    page = client.get(AUDITS, {"page_size": 2, "page": 2}).json()
    assert (page["count"], [a["id"] for a in page["items"]]) == (3, [old.pk])
    assert client.get(AUDITS, {"status": "cancelled"}).json()["count"] == 0
    assert client.get(AUDITS, {"auditor": site.auditor.pk, "team": site.team.pk}).json()["count"] == 3


def test_the_list_shows_no_other_branchs_audits(site, far, api):
    far.record([("S01", "")])
    site.record([])

    data = api(site.manager).get(AUDITS).json()

    assert data["count"] == 1


def test_cancelling_through_the_api(site, api):
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    audit = site.record([("S01", "")], audited_on=last_month)
    url = f"{AUDITS}/{audit.pk}/actions/cancel"

    response = post(api(site.manager), url, {"reason": "误判"})

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "cancelled" and data["cancel_reason"] == "误判"
    this_month = timezone.localdate().replace(day=1).isoformat()
    reversals = [p for p in data["postings"] if p["reverses"]]
    assert len(reversals) == 4 and {p["month"] for p in reversals} == {this_month}
    assert sum(D(p["amount"]) for p in data["postings"]) == 0
    again = post(api(site.manager), url, {"reason": "再来"})
    assert again.status_code == 409 and again.json()["code"] == "invalid_status"
    assert post(api(site.manager), url, {}).status_code == 422


# -- who may do what ---------------------------------------------------------------------------------------------------


def test_who_may_record_an_audit(site, far, branch, other_branch):
    def send(client, url):
        # an order may be audited again and again: every allowed role records one more
        return post(client, url, body(site, [("S01", "")]))

    mismatches = walk_role_matrix(
        own_url=AUDITS,
        other_url=None,
        allowed=allowed("quality.add_audit"),
        own_branch=branch,
        other_branch=other_branch,
        send=send,
        client_for=api_client,
        ok=201,
        anonymous=401,
    )
    assert mismatches == []


def test_who_may_read_an_audit(site, far, branch, other_branch):
    own = site.record([("S01", "")])
    other = far.record([("S01", "")])
    mismatches = walk_role_matrix(
        own_url=f"{AUDITS}/{own.pk}",
        other_url=f"{AUDITS}/{other.pk}",
        allowed=allowed("quality.view_audit"),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
        client_for=api_client,
        anonymous=401,
    )
    assert mismatches == []


def test_who_may_list_audits(site, branch, other_branch):
    mismatches = walk_role_matrix(
        own_url=AUDITS,
        other_url=None,
        allowed=allowed("quality.view_audit"),
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
        client_for=api_client,
        anonymous=401,
    )
    assert mismatches == []


def test_who_may_cancel_an_audit(site, far, branch, other_branch):
    own = site.record([("S01", "")])
    other = far.record([("S01", "")])
    roles = allowed("quality.cancel_audit")

    def send(client, url):
        response = post(client, url, {"reason": "测试"})
        if response.status_code == 200:  # put it back for the next role
            Audit.objects.filter(pk=own.pk).update(status="recorded")
            AuditPosting.objects.filter(audit=own, reverses__isnull=False).delete()
        return response

    mismatches = walk_role_matrix(
        own_url=f"{AUDITS}/{own.pk}/actions/cancel",
        other_url=f"{AUDITS}/{other.pk}/actions/cancel",
        allowed=roles,
        own_branch=branch,
        other_branch=other_branch,
        send=send,
        client_for=api_client,
        anonymous=401,
    )
    assert mismatches == []


def test_a_fined_member_and_the_auditor_read_the_audit_and_a_stranger_does_not(site, api, branch):
    audit = site.record([("S01", "")])
    stranger = make_person(role="technician", branch=branch)

    for user in (site.members[0], site.supervisor):
        response = api(user).get(f"{AUDITS}/{audit.pk}")
        assert response.status_code == 200
        assert response.json()["number"] == audit.number
    # a technician of the branch with no part in it has no role to read audits: 403, not the audit
    assert api(stranger).get(f"{AUDITS}/{audit.pk}").status_code == 403
    # and a fined member may not cancel it
    assert post(api(site.members[0]), f"{AUDITS}/{audit.pk}/actions/cancel", {"reason": "不服"}).status_code == 403


def test_a_missing_audit_is_404(site, api):
    assert api(site.manager).get(f"{AUDITS}/999999").status_code == 404


def test_an_audit_without_a_team_fines_the_team_that_did_the_order(site, api):
    data = {key: value for key, value in body(site, [("S03", "未穿鞋套")]).items() if key != "team"}
    assert site.order.team_id == site.team.pk

    response = post(api(site.supervisor), AUDITS, data)

    assert response.status_code == 201, response.json()
    assert response.json()["team"] == site.team.pk
    penalties = AuditPosting.objects.filter(kind="penalty")
    assert {p.employee_id for p in penalties} == {m.employee.pk for m in site.members}
