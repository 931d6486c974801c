"""Appraisal services: forms with weighted items, self → manager → HR, metric items through the registry, the
weighted score, locking, validation, roles and branches."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation

from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction, AuditEvent
from aftersales.pay.choices import AppraisalStatus, PeriodKind
from aftersales.pay.metrics import METRICS
from aftersales.pay.models import Appraisal
from aftersales.pay.services import appraisals as svc
from aftersales.pay.tests.appraisal_helpers import (
    ANNUAL_ONLY,
    TEST_METRIC,
    make_form,
    manual,
    metric_item,
    metric_registered,
    staff,
)

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


@pytest.fixture
def metric(people):
    """The test metric: 7 for the employee, 25 for the colleague."""
    with metric_registered({people["employee"].employee.pk: "7", people["colleague"].employee.pk: "25"}) as calls:
        yield calls


def fields_of(exc_info) -> set[str]:
    return set(exc_info.value.message_dict)


def open_appraisal(people, period="2026-11", kind=PeriodKind.MONTHLY, **kwargs) -> Appraisal:
    return svc.appraisal_create(
        actor=people["manager"], employee=people["employee"].employee, period=period, kind=kind, **kwargs
    )


def status_events(appraisal) -> list[dict]:
    events = AuditEvent.objects.filter(object_id=appraisal.pk, action=AuditAction.STATUS).order_by("id")
    return [event.payload for event in events if event.content_type.model == "appraisal"]


# -- the whole flow ---------------------------------------------------------------------------------------------------


def test_self_then_manager_then_hr(people, metric):
    form = make_form(people["hr"], people["position"])
    appraisal = open_appraisal(people)  # the position's form by default
    assert appraisal.status == AppraisalStatus.DRAFT and appraisal.form == form
    assert appraisal.period == "2026-11" and str(appraisal.period_start) == "2026-11-01"
    assert [item["name"] for item in appraisal.items] == ["工作质量", "督查完成"]
    assert appraisal.items[1] == {
        "name": "督查完成", "weight": "60.00", "source": "metric", "metric": TEST_METRIC,
        "rule": f"MIN({TEST_METRIC} / 10, 1) × 100", "self_score": None, "manager_score": None,
        "metric_value": None, "score": None,
    }  # fmt: skip

    svc.appraisal_self_assess(actor=people["employee"], appraisal=appraisal, scores={0: D("90")}, comment="尽力了")
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.SELF_ASSESSED
    # 督查完成 is computed for the self-assessment too: 7 / 10 × 100 = 70; (40 × 90 + 60 × 70) / 100 = 78
    assert appraisal.self_score == D("78.00") and appraisal.self_comment == "尽力了"
    assert [item["self_score"] for item in appraisal.items] == ["90.00", "70.00"]
    assert appraisal.score is None

    svc.appraisal_review(actor=people["manager"], appraisal=appraisal, scores={0: "85.5"}, comment="继续保持")
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.REVIEWED
    assert appraisal.items[0]["manager_score"] == appraisal.items[0]["score"] == "85.50"
    assert appraisal.items[1]["metric_value"] == "7" and appraisal.items[1]["score"] == "70.00"
    assert [source["label"] for source in appraisal.items[1]["sources"]] == ["AUD-1", "AUD-2"]
    assert appraisal.score == D("76.20")  # (40 × 85.5 + 60 × 70) / 100
    assert appraisal.reviewed_by == people["manager"] and appraisal.reviewed_at is not None
    assert appraisal.manager_comment == "继续保持"
    # the registry was asked about this employee and this month
    employees, period = metric[-1]
    assert employees == [people["employee"].employee.pk] and period.label == "2026-11" and period.kind == "monthly"

    svc.appraisal_confirm(actor=people["hr"], appraisal=appraisal)
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.CONFIRMED
    assert appraisal.confirmed_by == people["hr"] and appraisal.confirmed_at is not None
    assert [(e["from"], e["to"], e["step"]) for e in status_events(appraisal)] == [
        ("draft", "self_assessed", "self_assess"),
        ("self_assessed", "reviewed", "review"),
        ("reviewed", "confirmed", "confirm"),
    ]
    # pay runs read confirmed appraisals with one query
    assert list(
        Appraisal.objects.filter(status="confirmed", kind="monthly", period="2026-11").values_list("score", flat=True)
    ) == [D("76.20")]


def test_hr_returns_to_the_manager_with_a_reason(people):
    make_form(people["hr"], people["position"], items=[manual()])
    appraisal = open_appraisal(people)
    svc.appraisal_review(actor=people["manager"], appraisal=appraisal, scores={0: "80"})
    with pytest.raises(ValidationError) as exc:
        svc.appraisal_return(actor=people["hr"], appraisal=appraisal, reason="  ")
    assert fields_of(exc) == {"reason"}

    svc.appraisal_return(actor=people["hr"], appraisal=appraisal, reason="打分依据不足")
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.SELF_ASSESSED
    assert status_events(appraisal)[-1] == {
        "from": "reviewed", "to": "self_assessed", "step": "return", "reason": "打分依据不足",
    }  # fmt: skip
    # the manager scores again, HR confirms
    svc.appraisal_review(actor=people["manager"], appraisal=appraisal, scores={0: "88"})
    svc.appraisal_confirm(actor=people["hr"], appraisal=appraisal)
    appraisal.refresh_from_db()
    assert appraisal.score == D("88.00") and appraisal.status == AppraisalStatus.CONFIRMED


def test_the_direct_score_is_the_managers_and_waits_for_hr(people):
    make_form(people["hr"], people["position"], items=[manual()])  # not used: a score is given
    appraisal = open_appraisal(people, score="92.5")
    assert appraisal.status == AppraisalStatus.REVIEWED and appraisal.score == D("92.50")
    assert appraisal.items == [] and appraisal.form is None
    assert appraisal.reviewed_by == people["manager"] and appraisal.reviewed_at is not None
    # the manager may correct it before HR confirms
    svc.appraisal_review(actor=people["manager"], appraisal=appraisal, score="93")
    svc.appraisal_confirm(actor=people["hr"], appraisal=appraisal)
    appraisal.refresh_from_db()
    assert appraisal.score == D("93.00") and appraisal.status == AppraisalStatus.CONFIRMED


def test_an_appraisal_without_items_is_assessed_and_scored_as_a_whole(people):
    appraisal = open_appraisal(people)  # the position has no form
    assert appraisal.status == AppraisalStatus.DRAFT and appraisal.items == []
    with pytest.raises(ValidationError) as exc:
        svc.appraisal_self_assess(actor=people["employee"], appraisal=appraisal)
    assert fields_of(exc) == {"score"}
    svc.appraisal_self_assess(actor=people["employee"], appraisal=appraisal, score="95")
    with pytest.raises(ValidationError) as exc:
        svc.appraisal_review(actor=people["manager"], appraisal=appraisal, score="100.01")
    assert fields_of(exc) == {"score"}
    svc.appraisal_review(actor=people["manager"], appraisal=appraisal, score="86.555")
    appraisal.refresh_from_db()
    assert (appraisal.self_score, appraisal.score) == (D("95.00"), D("86.56"))


# -- locking ----------------------------------------------------------------------------------------------------------


def test_a_confirmed_appraisal_is_locked_for_every_step(people, metric):
    make_form(people["hr"], people["position"])
    appraisal = open_appraisal(people)
    svc.appraisal_review(actor=people["manager"], appraisal=appraisal, scores={0: "90"})
    svc.appraisal_confirm(actor=people["hr"], appraisal=appraisal)
    appraisal.refresh_from_db()
    before = (appraisal.score, appraisal.items, appraisal.updated_at)

    attempts = [
        lambda: svc.appraisal_self_assess(actor=people["employee"], appraisal=appraisal, scores={0: "100"}),
        lambda: svc.appraisal_review(actor=people["manager"], appraisal=appraisal, scores={0: "100"}),
        lambda: svc.appraisal_confirm(actor=people["hr"], appraisal=appraisal),
        lambda: svc.appraisal_return(actor=people["hr"], appraisal=appraisal, reason="再看看"),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as exc:
            attempt()
        assert exc.value.code == "appraisal_locked"
    appraisal.refresh_from_db()
    assert (appraisal.score, appraisal.items, appraisal.updated_at) == before
    assert len(status_events(appraisal)) == 2


def test_steps_follow_the_transition_table(people):
    make_form(people["hr"], people["position"], items=[manual()])
    appraisal = open_appraisal(people)
    with pytest.raises(Conflict) as exc:  # nothing to confirm yet
        svc.appraisal_confirm(actor=people["hr"], appraisal=appraisal)
    assert exc.value.code == "appraisal_status"
    with pytest.raises(Conflict):
        svc.appraisal_return(actor=people["hr"], appraisal=appraisal, reason="x")
    svc.appraisal_review(actor=people["manager"], appraisal=appraisal, scores={0: "80"})
    with pytest.raises(Conflict) as exc:  # scored: too late to self-assess
        svc.appraisal_self_assess(actor=people["employee"], appraisal=appraisal, scores={0: "99"})
    assert exc.value.code == "appraisal_status"
    assert svc.appraisal_actions(user=people["employee"], appraisal=appraisal) == []
    assert svc.appraisal_actions(user=people["manager"], appraisal=appraisal) == ["review"]
    assert svc.appraisal_actions(user=people["hr"], appraisal=appraisal) == ["confirm", "return"]


# -- metric items and the weighted score ------------------------------------------------------------------------------


def test_metric_items_are_computed_for_the_employee_and_clamped(people, metric):
    items = [
        metric_item("直接", "1", f"{TEST_METRIC} × 20"),  # 7 × 20 = 140 → 100
        metric_item("扣分", "1", f"100 - {TEST_METRIC} × 20"),  # -40 → 0
        metric_item("阶梯", "2", f"IF({TEST_METRIC} >= 20, 100, 60)"),
    ]
    make_form(people["hr"], people["position"], items=items)
    mine = open_appraisal(people)
    theirs = svc.appraisal_create(
        actor=people["manager"], employee=people["colleague"].employee, period="2026-11", kind="monthly"
    )
    svc.appraisal_review(actor=people["manager"], appraisal=mine)
    svc.appraisal_review(actor=people["manager"], appraisal=theirs)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert [item["score"] for item in mine.items] == ["100.00", "0.00", "60.00"]
    assert mine.score == D("55.00")  # (100 + 0 + 2 × 60) / 4
    assert [item["metric_value"] for item in theirs.items] == ["25", "25", "25"]
    assert [item["score"] for item in theirs.items] == ["100.00", "0.00", "100.00"]
    assert theirs.score == D("75.00")


def test_a_metric_that_is_no_longer_registered_or_a_rule_that_fails_names_the_item(people, metric):
    make_form(people["hr"], people["position"], items=[manual(), metric_item(rule=f"100 / ({TEST_METRIC} - 7)")])
    appraisal = open_appraisal(people)
    with pytest.raises(ValidationError) as exc:  # 7 - 7: division by zero
        svc.appraisal_review(actor=people["manager"], appraisal=appraisal, scores={0: "80"})
    assert fields_of(exc) == {"items.1.rule"}
    assert "division by zero" in exc.value.message_dict["items.1.rule"][0]
    METRICS.pop(TEST_METRIC)
    with pytest.raises(ValidationError) as exc:
        svc.appraisal_review(actor=people["manager"], appraisal=appraisal, scores={0: "80"})
    assert fields_of(exc) == {"items.1.metric"}
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.DRAFT


@pytest.mark.parametrize(
    ("weights", "scores", "expected"),
    [
        (["1", "1"], ["90.01", "90"], "90.01"),  # 90.005 rounds half up
        (["1", "1", "1"], ["90", "85", "80.01"], "85.00"),  # 85.00333…
        (["30", "70"], ["100", "0"], "30.00"),
        (["0.5", "2.5"], ["88", "88"], "88.00"),
    ],
)
def test_the_score_is_the_weighted_mean_rounded_half_up(people, weights, scores, expected):
    items = [manual(f"项{n}", weight) for n, weight in enumerate(weights)]
    make_form(people["hr"], people["position"], items=items)
    appraisal = open_appraisal(people)
    svc.appraisal_review(actor=people["manager"], appraisal=appraisal, scores=dict(enumerate(scores)))
    appraisal.refresh_from_db()
    assert appraisal.score == D(expected)


def test_every_manual_item_needs_a_score_from_0_to_100(people):
    make_form(people["hr"], people["position"], items=[manual("甲"), manual("乙"), manual("丙")])
    appraisal = open_appraisal(people)
    with pytest.raises(ValidationError) as exc:
        svc.appraisal_review(actor=people["manager"], appraisal=appraisal, scores={0: "101", 1: "abc", 5: "90"})
    assert fields_of(exc) == {"items.0.score", "items.1.score", "items.2.score", "items.5.score"}
    with pytest.raises(ValidationError) as exc:
        svc.appraisal_self_assess(actor=people["employee"], appraisal=appraisal, scores={0: "-1", 1: "1", 2: "2"})
    assert fields_of(exc) == {"items.0.self_score"}
    with pytest.raises(ValidationError) as exc:  # scored item by item, not as a whole
        svc.appraisal_review(actor=people["manager"], appraisal=appraisal, scores={0: 1, 1: 2, 2: 3}, score="90")
    assert fields_of(exc) == {"score"}


# -- forms ------------------------------------------------------------------------------------------------------------


def test_form_items_are_checked_row_by_row(people, metric):
    items = [
        manual("出勤", "0"),
        metric_item("督查", "10", metric="没有这个指标"),
        metric_item("规则", "10", rule=f"{TEST_METRIC} + 基本工资"),
        metric_item("语法", "10", rule=f"MIN({TEST_METRIC} / 10, 1) ×"),
        metric_item("年度", "10", metric=ANNUAL_ONLY, rule=f"{ANNUAL_ONLY} × 10"),
        metric_item("常数", "10", rule="100"),
        {"name": "", "weight": "-5", "source": "guess"},
    ]
    with pytest.raises(ValidationError) as exc:
        svc.appraisal_form_create(actor=people["hr"], name="", position=None, kind="monthly", items=items)
    errors = exc.value.message_dict
    assert set(errors) == {
        "name", "items.0.weight", "items.1.metric", "items.2.rule", "items.3.rule", "items.4.metric",
        "items.5.rule", "items.6.name", "items.6.weight", "items.6.source",
    }  # fmt: skip
    assert "基本工资" in errors["items.2.rule"][0]
    assert "column" in errors["items.3.rule"][0]
    with pytest.raises(ValidationError) as exc:
        svc.appraisal_form_create(actor=people["hr"], name="空表", kind="monthly", items=[])
    assert fields_of(exc) == {"items"}
    # the annual metric is fine on an annual form
    form = svc.appraisal_form_create(
        actor=people["hr"],
        name="年度",
        kind="annual",
        items=[metric_item("年度", "1", f"{ANNUAL_ONLY} × 10", ANNUAL_ONLY)],
    )
    assert form.items.get().metric == ANNUAL_ONLY


def test_editing_a_form_replaces_its_items_but_not_those_of_appraisals_made(people):
    form = make_form(people["hr"], people["position"], items=[manual("甲", "1")])
    appraisal = open_appraisal(people)
    svc.appraisal_form_update(
        actor=people["hr"], form=form, name="新表", position=people["position"], kind="monthly",
        items=[manual("乙", "2"), manual("丙", "3")],
    )  # fmt: skip
    form.refresh_from_db()
    assert form.name == "新表" and [(i.name, i.weight, i.position) for i in form.items.all()] == [
        ("乙", D("2.00"), 0),
        ("丙", D("3.00"), 1),
    ]
    appraisal.refresh_from_db()
    assert [item["name"] for item in appraisal.items] == ["甲"]
    event = AuditEvent.objects.filter(object_id=form.pk, action=AuditAction.UPDATE).latest("id")
    assert event.changes["name"] == {"before": "安装工月度考核", "after": "新表"}
    assert event.payload["form_items"] == "乙 2.00; 丙 3.00"


def test_forms_are_hrs(people):
    for who in ("manager", "employee"):
        with pytest.raises(PermissionDenied):
            make_form(people[who], people["position"], items=[manual()])
    form = make_form(people["hr"], people["position"], items=[manual()])
    with pytest.raises(PermissionDenied):
        svc.appraisal_form_update(actor=people["manager"], form=form, name="x", kind="monthly", items=[manual()])


# -- opening an appraisal ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "kind", "score", "field"),
    [
        ("2026-13", "monthly", None, "period"),
        ("2026", "monthly", None, "period"),
        ("2026-11", "annual", None, "period"),
        ("26-11", "monthly", None, "period"),
        ("2026-11", "weekly", None, "kind"),
        ("2026-11", "monthly", "101", "score"),
        ("2026-11", "monthly", "-0.01", "score"),
        ("2026-11", "monthly", "九十", "score"),
    ],
)
def test_bad_input_is_refused_by_field(people, period, kind, score, field):
    with pytest.raises(ValidationError) as exc:
        open_appraisal(people, period=period, kind=kind, score=score)
    assert fields_of(exc) == {field}
    assert not Appraisal.objects.exists()


def test_one_appraisal_per_employee_kind_and_period(people):
    open_appraisal(people, period="2026-11")
    with pytest.raises(Conflict) as exc:
        open_appraisal(people, period="2026-11", score="90")
    assert exc.value.code == "appraisal_exists"
    open_appraisal(people, period="2026-12")
    open_appraisal(people, period="2026", kind="annual", score="90")
    assert Appraisal.objects.count() == 3


def test_the_form_must_fit_the_kind_and_not_come_with_a_score(people):
    monthly = make_form(people["hr"], people["position"], items=[manual()])
    with pytest.raises(ValidationError) as exc:
        open_appraisal(people, period="2026", kind="annual", form=monthly)
    assert fields_of(exc) == {"form"}
    with pytest.raises(ValidationError) as exc:
        open_appraisal(people, form=monthly, score="90")
    assert fields_of(exc) == {"form"}


def test_who_may_open_an_appraisal(people, person):
    employee = people["employee"].employee
    with pytest.raises(PermissionDenied):  # a technician has no add_appraisal
        svc.appraisal_create(actor=people["colleague"], employee=employee, period="2026-11")
    with pytest.raises(PermissionDenied):  # nobody appraises themself
        svc.appraisal_create(actor=people["manager"], employee=people["manager"].employee, period="2026-11")
    with pytest.raises(Http404):  # another branch's employee does not exist for them
        svc.appraisal_create(actor=people["manager"], employee=people["other_employee"].employee, period="2026-11")
    with pytest.raises(Http404):  # whatever their role
        svc.appraisal_create(actor=people["other_manager"], employee=employee.pk, period="2026-11")
    roles = ("service_manager", "service_supervisor", "workshop_manager", "install_supervisor", "hr")
    for month, role in enumerate(roles, start=1):
        svc.appraisal_create(actor=person(role), employee=employee, period=f"2026-{month:02d}")


# -- roles and branches on the steps -----------------------------------------------------------------------------------


def test_who_may_take_each_step(people, person):
    make_form(people["hr"], people["position"], items=[manual()])
    appraisal = open_appraisal(people)
    with pytest.raises(PermissionDenied):  # only the employee themself
        svc.appraisal_self_assess(actor=people["manager"], appraisal=appraisal, scores={0: "90"})
    with pytest.raises(Http404):  # a colleague does not even see it
        svc.appraisal_self_assess(actor=people["colleague"], appraisal=appraisal, scores={0: "90"})
    for who in (people["employee"], people["hr"], person("finance"), person("regional_manager")):
        with pytest.raises(PermissionDenied):
            svc.appraisal_review(actor=who, appraisal=appraisal, scores={0: "90"})
    with pytest.raises(Http404):  # another branch's manager: not theirs to see
        svc.appraisal_review(actor=people["other_manager"], appraisal=appraisal, scores={0: "90"})
    svc.appraisal_review(actor=people["manager"], appraisal=appraisal, scores={0: "90"})
    for who in (people["manager"], people["employee"], person("service_manager")):
        with pytest.raises(PermissionDenied):
            svc.appraisal_confirm(actor=who, appraisal=appraisal)
        with pytest.raises(PermissionDenied):
            svc.appraisal_return(actor=who, appraisal=appraisal, reason="x")
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.REVIEWED


def test_nobody_scores_or_confirms_their_own_appraisal(people, person):
    boss = person("service_manager")
    appraisal = svc.appraisal_create(actor=boss, employee=people["manager"].employee, period="2026-11", score="90")
    with pytest.raises(PermissionDenied):
        svc.appraisal_review(actor=people["manager"], appraisal=appraisal, score="100")
    hr_two = person("hr")
    own = svc.appraisal_create(actor=hr_two, employee=people["hr"].employee, period="2026-11", score="90")
    with pytest.raises(PermissionDenied):
        svc.appraisal_confirm(actor=people["hr"], appraisal=own)
    svc.appraisal_confirm(actor=hr_two, appraisal=own)


def test_the_funnel_shows_own_rows_to_everyone_and_the_branch_to_viewers(people, person, region):
    mine = open_appraisal(people, score="90")
    colleague = svc.appraisal_create(
        actor=people["manager"], employee=people["colleague"].employee, period="2026-11", score="80"
    )
    other = svc.appraisal_create(
        actor=people["other_manager"], employee=people["other_employee"].employee, period="2026-11", score="70"
    )
    assert list(svc.appraisal_list(user=people["employee"])) == [mine]
    assert set(svc.appraisal_list(user=people["manager"])) == {mine, colleague}
    assert set(svc.appraisal_list(user=person("finance"))) == {mine, colleague}
    assert set(svc.appraisal_list(user=person("regional_manager", branch=region))) == {mine, colleague, other}
    assert list(svc.appraisal_list(user=people["manager"], q=people["colleague"].employee.employee_no)) == [colleague]
    assert list(svc.appraisal_list(user=people["manager"], status="reviewed", period="2026-11", kind="monthly"))
    assert not list(svc.appraisal_list(user=people["manager"], period="2026-12"))
    with pytest.raises(Http404):
        svc.appraisal_get(user=people["colleague"], pk=mine.pk)
