"""Pay runs: the seed's policy computed from records, the run failing whole, skipped employees, the states and what
they allow, recomputation keeping earlier payslips, the query count, and who may read a payslip."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.core.errors import Conflict
from aftersales.core.testing import api_client, make_person
from aftersales.org.models import Employee
from aftersales.pay.choices import RunStatus
from aftersales.pay.models import PayInput, PayRun, Payslip
from aftersales.pay.services.inputs import pay_adjustment_create, pay_inputs_set
from aftersales.pay.services.runs import PayRunFailed, pay_run_act, pay_run_compute, pay_run_create

pytestmark = pytest.mark.django_db
API = "/api/v1"


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def ready(pay_shop, fake_metric, *, inspections=25, score="88", bonus="1000.00"):
    supervisor = pay_shop.supervisor()
    pay_shop.confirm_score(supervisor, score)
    pay_inputs_set(actor=pay_shop.hr, employee=supervisor, month="2026-11", values={"业绩奖": bonus})
    fake_metric("售后检查单数", {supervisor: inspections})
    return supervisor


def test_seed_policy_pays_the_supervisor_3950_through_the_api(pay_shop, fake_metric):
    supervisor = ready(pay_shop, fake_metric)
    client = api_client(pay_shop.hr)

    created = post(client, f"{API}/pay/runs", {"branch": pay_shop.branch.pk, "month": "2026-11"})

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "computed"
    (payslip,) = body["payslips"]
    assert payslip["employee"] == supervisor.pk
    assert payslip["lines"]["月收入"] == "3950.00"
    assert payslip["lines"]["提成奖"] == "750.00"
    assert Decimal(payslip["total"]) == Decimal("3950.00")
    fetched = client.get(f"{API}/pay/runs/{body['id']}").json()
    assert fetched["payslips"] == body["payslips"]


@pytest.mark.parametrize(
    ("inspections", "commission", "income"), [(19, "380.00", "3580.00"), (20, "600.00", "3800.00")]
)
def test_the_inspection_commission_rate_changes_at_twenty(pay_shop, fake_metric, inspections, commission, income):
    ready(pay_shop, fake_metric, inspections=inspections)

    run = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period="2026-11")

    payslip = Payslip.objects.get(run=run)
    values = {line["name"]: line["value"] for line in payslip.lines if line["kind"] == "line"}
    assert values["提成奖"] == commission
    assert values["月收入"] == income


def test_a_payslip_explains_each_line_and_where_each_input_came_from(pay_shop, fake_metric):
    supervisor = ready(pay_shop, fake_metric, score="92")

    run = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period="2026-11")

    lines = {line["name"]: line for line in Payslip.objects.get(run=run, employee=supervisor).lines}
    assert lines["月收入"]["formula"].startswith("基本工资 + (职务工资 + 行政奖) × 月考核分 / 88")
    # (900 + 1000) × 92 / 88 = 1986.3636… ; the line is rounded to the fen as soon as it is computed
    assert lines["月收入"]["value"] == str(Decimal("600") + Decimal("1986.36") + Decimal("750") + Decimal("700"))
    assert lines["月考核分"]["source"] == "appraisal"
    assert lines["月考核分"]["refs"][0][0] == "appraisal"
    assert lines["业绩奖"]["source"] == "manual"
    assert lines["售后检查单数"]["source"] == "metric"
    assert lines["售后检查单数"]["refs"] == [["order", 1, "WO-TEST", "1"]]


def test_a_run_fails_whole_listing_each_employee_and_reason(pay_shop, fake_metric):
    complete = ready(pay_shop, fake_metric)
    no_score = pay_shop.supervisor()
    pay_inputs_set(actor=pay_shop.hr, employee=no_score, month="2026-11", values={"业绩奖": "500"})
    no_input = pay_shop.supervisor()
    pay_shop.confirm_score(no_input, "90")
    client = api_client(pay_shop.hr)

    response = post(client, f"{API}/pay/runs", {"branch": pay_shop.branch.pk, "month": "2026-11"})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "pay_run_failed"
    assert set(body["fields"]) == {str(no_score.pk), str(no_input.pk)}
    assert "月考核分" in body["fields"][str(no_score.pk)][0]
    assert "业绩奖" in body["fields"][str(no_input.pk)][0]
    assert str(complete.pk) not in body["fields"]
    assert not PayRun.objects.exists()
    assert not Payslip.objects.exists()


def test_a_division_by_zero_fails_the_run_naming_the_line(pay_shop, fake_metric):
    from aftersales.pay.services.policies import policy_update

    ready(pay_shop, fake_metric)
    policy_update(actor=pay_shop.hr, policy=pay_shop.policy, sheet="月收入 = 业绩奖 / (月考核分 - 88)")

    with pytest.raises(PayRunFailed) as failed:
        pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period="2026-11")

    (reasons,) = failed.value.fields.values()
    assert "月收入" in reasons[0] and "除数为零" in reasons[0]


def test_employees_without_a_policy_are_listed_as_skipped(pay_shop, fake_metric):
    ready(pay_shop, fake_metric)
    cashier = make_person(role="cashier", branch=pay_shop.branch).employee

    run = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period="2026-11")

    skipped = {row["employee"] for row in run.skipped}
    assert cashier.pk in skipped
    assert pay_shop.hr.employee.pk in skipped
    assert run.employee_count == 1


def test_another_branchs_employees_are_not_in_the_run(pay_shop, fake_metric):
    ready(pay_shop, fake_metric)
    pay_shop.supervisor(branch=pay_shop.other_branch)

    run = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period="2026-11")

    assert run.employee_count == 1


def test_states_approve_lock_and_nothing_changes_after_lock(pay_shop, fake_metric):
    supervisor = ready(pay_shop, fake_metric)
    run = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period="2026-11")

    with pytest.raises(Conflict):
        pay_run_act(actor=pay_shop.hr, run=run, action="lock")  # not approved yet
    run = pay_run_act(actor=pay_shop.manager, run=run, action="approve")
    assert run.status == RunStatus.APPROVED
    with pytest.raises(Conflict):
        pay_run_compute(actor=pay_shop.hr, run=run)  # recompute only before approval
    run = pay_run_act(actor=pay_shop.hr, run=run, action="lock")
    assert run.status == RunStatus.LOCKED

    for action in ("compute", "approve", "reopen", "cancel", "lock"):
        actor = pay_shop.manager if action in ("approve", "reopen") else pay_shop.hr
        with pytest.raises(Conflict):
            pay_run_act(actor=actor, run=run, action=action)
    with pytest.raises(Conflict) as locked:
        pay_inputs_set(actor=pay_shop.hr, employee=supervisor, month="2026-11", values={"业绩奖": "9999"})
    assert locked.value.code == "month_locked"
    assert PayInput.objects.get(employee=supervisor).value == Decimal("1000.00")
    with pytest.raises(Conflict):
        pay_adjustment_create(actor=pay_shop.hr, employee=supervisor, month="2026-11", amount="10", reason="补发")


def test_roles_for_each_step_are_enforced_over_the_api(pay_shop, fake_metric):
    ready(pay_shop, fake_metric)
    technician = make_person(role="technician", branch=pay_shop.branch)
    outsider_hr = make_person(role="hr", branch=pay_shop.other_branch)
    body = {"branch": pay_shop.branch.pk, "month": "2026-11"}

    assert post(api_client(technician), f"{API}/pay/runs", body).status_code == 403
    assert post(api_client(pay_shop.manager), f"{API}/pay/runs", body).status_code == 403
    assert post(api_client(outsider_hr), f"{API}/pay/runs", body).status_code == 422  # branch not visible
    run_id = post(api_client(pay_shop.hr), f"{API}/pay/runs", body).json()["id"]

    assert api_client(technician).get(f"{API}/pay/runs/{run_id}").status_code == 403
    assert api_client(outsider_hr).get(f"{API}/pay/runs/{run_id}").status_code == 404
    assert post(api_client(pay_shop.hr), f"{API}/pay/runs/{run_id}/actions/approve").status_code == 403
    assert post(api_client(pay_shop.manager), f"{API}/pay/runs/{run_id}/actions/approve").status_code == 200
    assert post(api_client(pay_shop.manager), f"{API}/pay/runs/{run_id}/actions/lock").status_code == 403
    locked = post(api_client(pay_shop.hr), f"{API}/pay/runs/{run_id}/actions/lock")
    assert locked.status_code == 200 and locked.json()["status"] == "locked"
    assert post(api_client(pay_shop.hr), f"{API}/pay/runs", body).status_code == 409  # one run per month


def test_recompute_before_approval_keeps_the_earlier_payslips(pay_shop, fake_metric):
    supervisor = ready(pay_shop, fake_metric)
    run = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period="2026-11")
    pay_inputs_set(actor=pay_shop.hr, employee=supervisor, month="2026-11", values={"业绩奖": "2000.00"})

    run = pay_run_compute(actor=pay_shop.hr, run=run)

    assert run.version == 2
    assert Payslip.objects.filter(run=run).count() == 2
    current = Payslip.objects.current().get(run=run)
    assert current.total == Decimal("4650.00")  # 3950 + 1000 × 70%
    assert Payslip.objects.get(run=run, version=1).total == Decimal("3950.00")


def test_an_adjustment_is_paid_in_the_later_run(pay_shop, fake_metric):
    supervisor = ready(pay_shop, fake_metric)
    november = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period="2026-11")
    pay_run_act(actor=pay_shop.manager, run=november, action="approve")
    pay_run_act(actor=pay_shop.hr, run=november, action="lock")
    pay_adjustment_create(
        actor=pay_shop.hr,
        employee=supervisor,
        month="2026-12",
        amount="-30.00",
        reason="11月多计一单",
        corrects=november,
    )
    pay_shop.confirm_score(supervisor, "88", period="2026-12")
    pay_inputs_set(actor=pay_shop.hr, employee=supervisor, month="2026-12", values={"业绩奖": "1000"})

    december = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period="2026-12")

    payslip = Payslip.objects.current().get(run=december)
    lines = {line["name"]: line for line in payslip.lines}
    assert lines["调整"]["value"] == "-30.00"
    assert payslip.total == Decimal("3920.00")


def test_compute_reads_a_fixed_number_of_queries(pay_shop, fake_metric):
    def run_for(count, period):
        people = [pay_shop.supervisor() for _ in range(count)]
        for person in people:
            pay_shop.confirm_score(person, "88", period=period)
            PayInput.objects.create(
                employee=person, month=f"{period}-01", name="业绩奖", value=Decimal("1000"), updated_by=pay_shop.hr
            )
        fake_metric("售后检查单数", dict.fromkeys(people, 25))
        with CaptureQueriesContext(connection) as queries:
            run = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period=period)
        Employee.objects.filter(pk__in=[p.pk for p in people]).update(active=False)
        return run, len(queries)

    run_for(1, "2026-08")  # warms the caches a first run fills (permissions, content types)
    small_run, small = run_for(3, "2026-09")
    big_run, big = run_for(12, "2026-10")

    assert (small_run.employee_count, big_run.employee_count) == (3, 12)
    assert big == small


def test_policy_with_a_bad_line_answers_422_naming_the_line(pay_shop):
    client = api_client(pay_shop.hr)
    body = {
        "code": "BAD",
        "name": "坏方案",
        "position": pay_shop.position.pk,
        "sheet": "月收入 = 基本工资 + 1\n基本工资 = (600 + \n",
        "total": "月收入",
        "kind": "annual",
    }

    response = post(client, f"{API}/pay/policies", body)

    assert response.status_code == 422
    assert "第 2 行" in response.json()["fields"]["sheet"][0]


def test_policy_api_binds_inputs_by_name_unless_told(pay_shop):
    client = api_client(pay_shop.hr)
    body = {
        "code": "TECH",
        "name": "技师",
        "position": pay_shop.position.pk,
        "kind": "annual",
        "sheet": "年收入 = 月收入总和 + 全年业绩奖 × 30% × 年终考核分 / 88 + 津贴 + 工龄奖",
        "total": "年收入",
        "bindings": {"津贴": {"source": "constant", "value": "200"}},
    }

    response = post(client, f"{API}/pay/policies", body)

    assert response.status_code == 201, response.content
    bindings = response.json()["bindings"]
    assert bindings["月收入总和"] == {"source": "metric", "key": "月收入总和"}
    assert bindings["年终考核分"] == {"source": "appraisal", "key": "annual"}
    assert bindings["津贴"] == {"source": "constant", "value": "200"}
    assert bindings["工龄奖"] == {"source": "manual", "key": "工龄奖"}
    refused = post(api_client(pay_shop.manager), f"{API}/pay/policies", {**body, "code": "X"})
    assert refused.status_code == 403


def test_an_employee_reads_their_own_payslip_and_no_one_elses(pay_shop, fake_metric):
    supervisor = ready(pay_shop, fake_metric)
    colleague = pay_shop.supervisor()
    pay_shop.confirm_score(colleague, "88")
    pay_inputs_set(actor=pay_shop.hr, employee=colleague, month="2026-11", values={"业绩奖": "0"})
    fake_metric("售后检查单数", {supervisor: 25, colleague: 3})
    run = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period="2026-11")
    mine = Payslip.objects.get(run=run, employee=supervisor)
    theirs = Payslip.objects.get(run=run, employee=colleague)
    client = api_client(supervisor.user)
    assert client.get(f"{API}/pay/payslips/{mine.pk}").status_code == 404  # not before the run is approved
    pay_run_act(actor=pay_shop.manager, run=run, action="approve")

    assert client.get(f"{API}/pay/payslips/{mine.pk}").status_code == 200
    assert client.get(f"{API}/pay/payslips/{theirs.pk}").status_code == 404
    listed = client.get(f"{API}/pay/payslips").json()
    assert [item["id"] for item in listed["items"]] == [mine.pk]
    assert client.get(f"{API}/pay/runs/{run.pk}").status_code == 403
    assert api_client(pay_shop.hr).get(f"{API}/pay/payslips/{theirs.pk}").status_code == 200


def test_inputs_api_sets_and_reads_values(pay_shop):
    supervisor = pay_shop.supervisor()
    client = api_client(pay_shop.hr)

    response = client.put(
        f"{API}/pay/inputs",
        {"employee": supervisor.pk, "month": "2026-11", "values": {"业绩奖": "2000.00"}},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"employee": supervisor.pk, "month": "2026-11", "values": {"业绩奖": "2000.00"}}
    bad = client.put(
        f"{API}/pay/inputs",
        {"employee": supervisor.pk, "month": "2026-13", "values": {"业绩奖": "x"}},
        content_type="application/json",
    )
    assert bad.status_code == 422
    technician = make_person(role="technician", branch=pay_shop.branch)
    refused = api_client(technician).put(
        f"{API}/pay/inputs",
        {"employee": supervisor.pk, "month": "2026-11", "values": {"业绩奖": "1"}},
        content_type="application/json",
    )
    assert refused.status_code == 403


YEAR_END_SHEET = """\
年收入 = 月收入总和 + 年终业绩奖
年终业绩奖 = 全年业绩奖 × 30% × 年终考核分 / 88
"""


def test_the_year_end_run_pays_the_held_back_30_percent(pay_shop, fake_metric):
    from aftersales.pay.services.policies import policy_create

    supervisor = ready(pay_shop, fake_metric, score="88", bonus="1000.00")
    pay_shop.confirm_score(supervisor, "88", period="2026-10")
    pay_inputs_set(actor=pay_shop.hr, employee=supervisor, month="2026-10", values={"业绩奖": "2000.00"})
    for month in ("2026-10", "2026-11"):
        run = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period=month)
        pay_run_act(actor=pay_shop.manager, run=run, action="approve")
        pay_run_act(actor=pay_shop.hr, run=run, action="lock")
    policy_create(
        actor=pay_shop.hr,
        code="AZZG-Y",
        name="售服安装主管年终",
        position=pay_shop.position,
        kind="annual",
        sheet=YEAR_END_SHEET,
        total="年终业绩奖",
    )
    pay_shop.confirm_score(supervisor, "96", period="2026", kind="annual")

    year_end = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period="2026", kind="annual")

    payslip = Payslip.objects.current().get(run=year_end)
    values = {line["name"]: line["value"] for line in payslip.lines}
    assert values["月收入总和"] == "8600.00"  # November 3950.00 + October (3950.00 + 1000 × 70%)
    assert values["全年业绩奖"] == "3000.00"
    assert values["年终业绩奖"] == "981.82"  # 3000 × 30% × 96 / 88 = 981.818…
    assert values["年收入"] == "9581.82"
    assert payslip.total == Decimal("981.82")


@pytest.mark.parametrize(
    "body",
    [{"year": "2026"}, {"year": 2026}, {"month": "2026", "kind": "annual"}, {"period": "2026", "kind": "annual"}],
)
def test_the_api_takes_a_year_end_run_in_each_spelling(pay_shop, body):
    response = post(api_client(pay_shop.hr), f"{API}/pay/runs", {"branch": pay_shop.branch.pk, **body})

    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["period"]) == ("annual", "2026")
