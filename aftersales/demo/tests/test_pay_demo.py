"""The demo pay department: the policies as the documents write them, the piece rates, confirmed scores, the audits,
last month's locked run and this month's computed run, payslips computed from the demo's records, and a second run
that adds nothing."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.db import transaction

from aftersales.demo.pay import PIECE_RATES, POLICIES, SCORES, _months, demo_pay
from aftersales.demo.seed import ADMIN_USERNAME, demo_seed
from aftersales.org.models import Branch, Employee, Team, User
from aftersales.pay.choices import AppraisalStatus, PeriodKind, RunStatus
from aftersales.pay.models import Appraisal, PayPolicy, PayRun, Payslip, PieceRate

SEED_FORMULA = "月收入 = 基本工资 + (职务工资 + 行政奖) × 月考核分 / 88 + 补助 + 提成奖 + 业绩奖 × 70%"


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """Seed once for the module (it takes seconds) inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_seed()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db):
    return seeded_once


def _periods() -> tuple[str, str]:
    last, this = _months()
    return f"{last:%Y-%m}", f"{this:%Y-%m}"


def _lines(payslip) -> dict[str, str]:
    return {line["name"]: line["value"] for line in payslip.lines}


def test_the_policies_are_written_as_the_documents_read(seeded):
    policies = {p.code: p for p in PayPolicy.objects.select_related("position")}

    assert set(policies) == {policy.code for policy in POLICIES}
    supervisor = policies["AZZG"]
    assert supervisor.position.code == "install_supervisor" and supervisor.kind == PeriodKind.MONTHLY
    assert SEED_FORMULA in supervisor.sheet
    assert "提成奖 = 售后检查单数 × IF(售后检查单数 >= 20, 30, 20) + 督查奖励 − 违规扣罚" in supervisor.sheet
    assert supervisor.total == "月收入"
    assert supervisor.bindings["售后检查单数"] == {"source": "metric", "key": "售后检查单数"}
    assert supervisor.bindings["月考核分"] == {"source": "appraisal", "key": "monthly"}
    assert supervisor.bindings["业绩奖"] == {"source": "manual", "key": "业绩奖"}
    year_end = policies["AZZG-NZ"]
    assert (year_end.kind, year_end.total, year_end.position_id) == ("annual", "年终业绩奖", supervisor.position_id)
    assert "年终业绩奖 = 全年业绩奖 × 30% × 年终考核分 / 88" in year_end.sheet
    assert year_end.bindings["月收入总和"]["source"] == "metric"
    assert year_end.bindings["年终考核分"] == {"source": "appraisal", "key": "annual"}
    installer = policies["AZG"]
    assert installer.position.name == "安装工"
    assert "计件工资 = 计件金额 / MAX(班组人数, 1)" in installer.sheet
    assert policies["WXJS"].position.code == "technician"
    assert policies["FWGW"].position.code == "service_advisor"
    rates = {r.product_type: r.rate for r in PieceRate.objects.all()}
    assert rates == {product: Decimal(rate) for product, rate in PIECE_RATES}


def test_everyone_paid_has_a_confirmed_score_for_both_months(seeded):
    last, this = _periods()
    confirmed = Appraisal.objects.filter(kind=PeriodKind.MONTHLY, status=AppraisalStatus.CONFIRMED)

    for period in (last, this):
        held = set(confirmed.filter(period=period).values_list("employee__user__username", flat=True))
        assert held == set(SCORES), period
    supervisor = confirmed.get(employee__user__username="install", period=this)
    assert supervisor.score == Decimal(SCORES["install"][1])
    assert supervisor.reviewed_by.username == "manager2"


def test_the_supervisor_audits_a_team_he_is_not_in(seeded):
    from aftersales.quality.models import Audit, AuditPosting

    team = Team.objects.get(branch__code="BJ02", name="安装一组")
    supervisor = Employee.objects.get(user__username="install")
    installer = Employee.objects.get(user__username="installer1")
    assert supervisor.team_id is None
    assert installer.team_id == team.pk == installer.team.pk and team.leader_id == installer.pk
    assert installer.position.name == "安装工"
    audits = Audit.objects.filter(auditor=supervisor, team=team, order__type="installation")
    assert audits.count() == 2
    assert sum(a.violation_count for a in audits) == 3
    postings = AuditPosting.objects.filter(audit__in=audits)
    assert {(p.employee_id, p.kind) for p in postings} == {(installer.pk, "penalty"), (supervisor.pk, "reward")}
    assert sum(p.amount for p in postings if p.kind == "reward") == Decimal("90.00")


def test_last_months_runs_are_locked_and_this_months_are_computed(seeded):
    last, this = _periods()
    runs = {(r.branch.code, r.period): r for r in PayRun.objects.select_related("branch").exclude(status="cancelled")}

    assert set(runs) == {(code, period) for code in ("BJ01", "BJ02") for period in (last, this)}
    for code in ("BJ01", "BJ02"):
        assert runs[(code, last)].status == RunStatus.LOCKED
        current = runs[(code, this)]
        assert current.status == RunStatus.COMPUTED
        assert current.employee_count == Payslip.objects.current().filter(run=current).count() > 0
    paid = set(Payslip.objects.current().filter(run__period=this).values_list("employee__user__username", flat=True))
    assert paid == set(SCORES)
    skipped = {row["employee_no"] for row in runs[("BJ01", this)].skipped}
    assert Employee.objects.get(user__username="hr").employee_no in skipped


def test_the_supervisors_payslip_is_computed_from_the_demos_records(seeded):
    last, this = _periods()
    current = Payslip.objects.current().get(run__period=this, employee__user__username="install")
    lines = _lines(current)

    # one inspection completed this month (20 元, under 20 a month) and 3 violations found (90 元 of rewards)
    assert lines["售后检查单数"] == "1" and lines["督查奖励"] == "90.00" and lines["违规扣罚"] == "0"
    assert lines["提成奖"] == "110.00"
    # 600 + (900 + 1000) × 90 / 88 + 0 + 110 + 1200 × 70%
    assert lines["月收入"] == "3493.18" and current.total == Decimal("3493.18")
    earlier = Payslip.objects.current().get(run__period=last, employee__user__username="install")
    # no records last month: 600 + 1900 × 92 / 88 + 1000 × 70%
    assert earlier.total == Decimal("3286.36")


def test_the_installer_pays_the_teams_fines_and_technicians_are_paid_their_hours(seeded):
    this = _periods()[1]
    current = Payslip.objects.current().filter(run__period=this)

    installer = _lines(current.get(employee__user__username="installer1"))
    assert installer["班组人数"] == "1" and installer["违规扣罚"] == "90.00"
    assert Decimal(installer["月收入"]) == Decimal("1500") + Decimal(installer["计件工资"]) - Decimal("90.00")
    technician = _lines(current.get(employee__user__username="tech1"))
    assert Decimal(technician["工时"]) > 0
    assert Decimal(technician["月收入"]) > Decimal("2200")
    advisor = _lines(current.get(employee__user__username="advisor"))
    assert Decimal(advisor["产值"]) > 0


def test_a_second_run_adds_nothing(seeded):
    labels = {"pay", "quality", "org"}
    before = {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in labels}
    admin = User.objects.get(username=ADMIN_USERNAME)

    assert demo_pay(admin, {b.code: b for b in Branch.objects.all()}) == 0
    assert {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in labels} == before
