"""The appraisal pages: the list for HR and managers, opening one, the steps on its page, "my appraisals", and the
appraisal forms with their items table."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from aftersales.core.testing import make_person, page_client, walk_role_matrix
from aftersales.org.roles import ROLES
from aftersales.pay.choices import AppraisalStatus
from aftersales.pay.models import Appraisal, AppraisalForm
from aftersales.pay.services import appraisals as svc
from aftersales.pay.tests.appraisal_helpers import TEST_METRIC, make_form, manual, metric_registered, staff

LIST = reverse("pay:appraisal_list")
MINE = reverse("pay:my_appraisals")
CREATE = reverse("pay:appraisal_create")
FORMS = reverse("pay:appraisal_form_list")
FORM_CREATE = reverse("pay:appraisal_form_create")
D = Decimal


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def people(branch, other_branch):
    return staff(branch, other_branch)


def action_url(appraisal, action):
    return reverse("pay:appraisal_action", args=[appraisal.pk, action])


def toasts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def open_for(people, who="employee", period="2026-11", **kwargs):
    return svc.appraisal_create(actor=people["manager"], employee=people[who].employee, period=period, **kwargs)


# -- the list ---------------------------------------------------------------------------------------------------------


def test_the_list_is_for_roles_that_read_appraisals(branch, other_branch):
    allowed = [code for code, role in ROLES.items() if "pay.view_appraisal" in role.permissions]
    assert set(allowed) >= {"hr", "service_manager", "install_supervisor", "finance", "regional_manager"}
    mismatches = walk_role_matrix(
        own_url=LIST,
        other_url=None,
        allowed=allowed,
        own_branch=branch,
        other_branch=other_branch,
        send=lambda client, url: client.get(url),
    )
    assert not mismatches, "\n".join(map(str, mismatches))


def test_the_list_shows_the_branch_and_filters(people):
    november = open_for(people, score="90")
    colleague = open_for(people, who="colleague")
    december = open_for(people, period="2026-12")
    svc.appraisal_create(
        actor=people["other_manager"], employee=people["other_employee"].employee, period="2026-11", score="70"
    )
    client = page_client(people["hr"])

    def listed(query=""):
        response = client.get(LIST + query)
        assert response.status_code == 200
        return {a.pk for a in response.context["page"].items}

    assert listed() == {november.pk, colleague.pk, december.pk}
    assert listed("?period=2026-11") == {november.pk, colleague.pk}
    assert listed("?status=reviewed") == {november.pk}
    assert listed("?kind=annual") == set()
    assert listed(f"?q={people['colleague'].employee.name}") == {colleague.pk}
    partial = client.get(LIST + "?status=draft", HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b'id="appraisal-table"' in partial.content


def test_the_list_page_runs_the_same_queries_for_3_and_for_25(people, person):
    client = page_client(people["manager"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST)
        assert response.status_code == 200
        return len(captured.captured_queries), response

    for month in (1, 2, 3):
        open_for(people, period=f"2026-{month:02d}")
    few, _response = queries()
    for _number in range(22):
        svc.appraisal_create(actor=people["manager"], employee=person("technician").employee, period="2026-11")
    many, response = queries()
    assert few == many
    assert len(response.context["page"].items) == 20 and response.context["page"].has_next


# -- my appraisals ----------------------------------------------------------------------------------------------------


def test_my_appraisals_are_mine_only_whatever_my_role(people):
    mine = open_for(people)
    open_for(people, who="colleague")
    hr_own = svc.appraisal_create(actor=people["manager"], employee=people["hr"].employee, period="2026-11")
    response = page_client(people["employee"]).get(MINE)
    assert response.status_code == 200
    assert [a.pk for a in response.context["page"].items] == [mine.pk]
    assert f"{mine.get_absolute_url()}#action-self_assess".encode() in response.content
    # HR reads the branch's on the list, but "my appraisals" are their own
    assert [a.pk for a in page_client(people["hr"]).get(MINE).context["page"].items] == [hr_own.pk]
    assert page_client().get(MINE).status_code == 302


def test_my_appraisals_page_runs_the_same_queries_for_1_and_for_12(people):
    client = page_client(people["employee"])
    open_for(people, period="2025-01")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MINE).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for month in range(1, 12):
        open_for(people, period=f"2026-{month:02d}")
    assert queries() == few


# -- one appraisal: the steps -----------------------------------------------------------------------------------------


def test_the_whole_flow_on_the_pages(people):
    with metric_registered({people["employee"].employee.pk: "5"}):
        make_form(people["hr"], people["position"])  # 40 manual + 60 MIN(测试次数 / 10, 1) × 100
        create = page_client(people["manager"]).post(
            CREATE, {"employee": people["employee"].employee.pk, "kind": "monthly", "period": "2026-11"}
        )
        appraisal = Appraisal.objects.get()
        assert create.status_code == 302 and create.url == appraisal.get_absolute_url()

        employee = page_client(people["employee"])
        page = employee.get(appraisal.get_absolute_url())
        assert [a["name"] for a in page.context["actions"]] == ["self_assess"]
        assert b'name="self-item_0"' in page.content and b'name="self-item_1"' not in page.content  # computed
        done = employee.post(
            action_url(appraisal, "self_assess"), {"self-item_0": "95", "self-comment": "好"}, follow=True
        )
        assert "Submit self-assessment: done. The appraisal is Self-assessed." in toasts(done)
        appraisal.refresh_from_db()
        assert appraisal.self_score == D("68.00")  # (40 × 95 + 60 × 50) / 100

        manager = page_client(people["manager"])
        page = manager.get(appraisal.get_absolute_url())
        assert [a["name"] for a in page.context["actions"]] == ["review"]
        bad = manager.post(action_url(appraisal, "review"), {"review-item_0": "abc"})
        assert bad.status_code == 200
        review_form = bad.context["actions"][0]["form"]
        assert review_form.errors["item_0"] == ["Enter a score from 0 to 100."]
        manager.post(action_url(appraisal, "review"), {"review-item_0": "80", "review-comment": "不错"})
        appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.REVIEWED and appraisal.score == D("62.00")  # (3200 + 3000) / 100

    hr = page_client(people["hr"])
    page = hr.get(appraisal.get_absolute_url())
    assert [a["name"] for a in page.context["actions"]] == ["confirm", "return"]
    assert b'data-confirm="Confirm this score?' in page.content
    confirmed = hr.post(action_url(appraisal, "confirm"), follow=True)
    assert "Confirm: done. The appraisal is Confirmed by HR." in toasts(confirmed)
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.CONFIRMED
    assert hr.get(appraisal.get_absolute_url()).context["actions"] == []

    # locked: a step posted anyway is refused with a toast, nothing changes
    refused = hr.post(action_url(appraisal, "return"), {"return-reason": "再看看"}, follow=True)
    assert toasts(refused) == ["The appraisal of 2026-11 is confirmed: its score is locked."]
    refused = page_client(people["manager"]).post(
        action_url(appraisal, "review"), {"review-item_0": "100"}, follow=True
    )
    assert "confirmed: its score is locked" in toasts(refused)[0]
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.CONFIRMED and appraisal.score == D("62.00")
    history = page_client(people["employee"]).get(appraisal.get_absolute_url()).context["history"]
    assert len(history) == 4  # opened, self-assessed, scored, confirmed


def test_a_return_needs_a_reason_on_the_page(people):
    appraisal = open_for(people, score="90")
    hr = page_client(people["hr"])
    response = hr.post(action_url(appraisal, "return"), {"return-reason": ""})
    assert response.status_code == 200 and response.context["actions"][1]["form"].errors["reason"]
    hr.post(action_url(appraisal, "return"), {"return-reason": "依据不足"})
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.SELF_ASSESSED


def test_who_sees_an_appraisal_and_who_may_step(people, person, region):
    appraisal = open_for(people, score="90")
    url = appraisal.get_absolute_url()
    assert page_client(people["colleague"]).get(url).status_code == 404
    assert page_client(people["other_manager"]).get(url).status_code == 404
    assert page_client(people["other_employee"]).get(url).status_code == 404
    assert page_client(person("regional_manager", branch=region)).get(url).status_code == 200
    assert page_client(person("finance")).get(url).context["actions"] == []
    assert page_client(people["employee"]).get(url).context["actions"] == []  # scored: nothing left for them
    # a step the role may not take answers 403; another branch's appraisal 404
    assert page_client(people["manager"]).post(action_url(appraisal, "confirm")).status_code == 403
    assert page_client(people["other_manager"]).post(action_url(appraisal, "review")).status_code == 404
    assert page_client(people["hr"]).post(action_url(appraisal, "nonsense")).status_code == 404
    assert page_client(people["hr"]).get(action_url(appraisal, "confirm")).status_code == 405


def test_opening_an_appraisal_on_the_page(people):
    client = page_client(people["manager"])
    page = client.get(CREATE)
    assert page.status_code == 200
    choices = {pk for pk, _label in page.context["form"].fields["employee"].choices if pk}
    assert people["employee"].employee.pk in {int(str(pk)) for pk in choices}
    assert people["manager"].employee.pk not in {int(str(pk)) for pk in choices}  # not oneself
    assert people["other_employee"].employee.pk not in {int(str(pk)) for pk in choices}  # not another branch's
    bad = client.post(CREATE, {"employee": people["employee"].employee.pk, "kind": "monthly", "period": "2026/11"})
    assert bad.status_code == 200 and bad.context["form"].errors["period"] == ["Write the period like 2026-11."]
    bad = client.post(
        CREATE, {"employee": people["employee"].employee.pk, "kind": "monthly", "period": "2026-11", "score": "120"}
    )
    assert bad.context["form"].errors["score"] == ["Enter a score from 0 to 100."]
    ok = client.post(
        CREATE, {"employee": people["employee"].employee.pk, "kind": "monthly", "period": "2026-11", "score": "91"}
    )
    assert ok.status_code == 302 and Appraisal.objects.get().status == AppraisalStatus.REVIEWED
    again = client.post(
        CREATE, {"employee": people["employee"].employee.pk, "kind": "monthly", "period": "2026-11", "score": "91"}
    )
    assert again.status_code == 200 and again.context["form"].non_field_errors()
    assert page_client(people["colleague"]).get(CREATE).status_code == 403
    assert (
        page_client(make_person(role="finance", branch=people["employee"].employee.branch)).get(CREATE).status_code
        == 403
    )


# -- appraisal forms --------------------------------------------------------------------------------------------------


def rows(*items, total=None) -> dict:
    data = {
        "items-TOTAL_FORMS": str(total if total is not None else len(items)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "50",
    }
    for number, item in enumerate(items):
        for key, value in item.items():
            data[f"items-{number}-{key}"] = value
    return data


def test_hr_writes_a_form_with_its_items(people):
    client = page_client(people["hr"])
    assert client.get(FORM_CREATE).status_code == 200
    with metric_registered({}):
        bad = client.post(
            FORM_CREATE,
            {
                "name": "安装工月度考核",
                "position": people["position"].pk,
                "kind": "monthly",
                "active": "on",
                **rows(
                    {"name": "质量", "weight": "40", "source": "manual"},
                    {"name": "", "weight": "", "source": "manual", "metric": "", "rule": ""},  # an empty row: dropped
                    {"name": "督查", "weight": "60", "source": "metric", "metric": TEST_METRIC, "rule": "基本工资 × 2"},
                ),
            },
        )
        assert bad.status_code == 200
        formset = bad.context["formset"]
        assert "“基本工资”" in formset.forms[2].errors["rule"][0]  # beside the row that has it
        assert not formset.forms[0].errors
        more = client.post(FORM_CREATE, {"name": "x", "kind": "monthly", "more": "1", **rows(manual())})
        assert more.status_code == 200 and len(more.context["formset"].forms) == 4
        assert not AppraisalForm.objects.exists()
        saved = client.post(
            FORM_CREATE,
            {
                "name": "安装工月度考核",
                "position": people["position"].pk,
                "kind": "monthly",
                "active": "on",
                **rows(
                    {"name": "质量", "weight": "40", "source": "manual"},
                    {"name": "", "weight": "", "source": "manual"},
                    {
                        "name": "督查",
                        "weight": "60",
                        "source": "metric",
                        "metric": TEST_METRIC,
                        "rule": f"MIN({TEST_METRIC} / 10, 1) × 100",
                    },
                ),
            },
        )
    form = AppraisalForm.objects.get()
    assert saved.status_code == 302 and saved.url == form.get_absolute_url()
    assert [(i.name, i.weight, i.source) for i in form.items.all()] == [
        ("质量", D("40.00"), "manual"),
        ("督查", D("60.00"), "metric"),
    ]
    detail = client.get(form.get_absolute_url())
    assert detail.status_code == 200 and detail.context["total_weight"] == D("100.00")
    listed = client.get(FORMS)
    assert [(f.pk, f.item_count) for f in listed.context["page"].items] == [(form.pk, 2)]


def test_hr_edits_a_form(people):
    form = make_form(people["hr"], people["position"], items=[manual("甲", "1")])
    client = page_client(people["hr"])
    url = reverse("pay:appraisal_form_edit", args=[form.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["formset"].forms[0].initial["name"] == "甲"
    response = client.post(url, {"name": "新名", "kind": "monthly", **rows(manual("乙", "0"))})
    assert response.context["formset"].forms[0].errors["weight"]
    response = client.post(url, {"name": "新名", "kind": "monthly", **rows(manual("乙", "2"))})
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.name == "新名" and not form.active and [i.name for i in form.items.all()] == ["乙"]


def test_forms_are_hrs_pages(people):
    """HR writes the forms; managers read them (they choose one when they open an appraisal); others see nothing."""
    form = make_form(people["hr"], people["position"], items=[manual()])
    manager = page_client(people["manager"])
    assert manager.get(FORMS).status_code == 200
    assert manager.get(form.get_absolute_url()).status_code == 200
    for who in ("manager", "employee"):
        client = page_client(people[who])
        if who == "employee":
            assert client.get(FORMS).status_code == 403
            assert client.get(form.get_absolute_url()).status_code == 403
        assert client.get(FORM_CREATE).status_code == 403
        assert client.get(reverse("pay:appraisal_form_edit", args=[form.pk])).status_code == 403
    assert page_client(people["hr"]).get(reverse("pay:appraisal_form_detail", args=[999])).status_code == 404
