"""The pay metrics on records with known counts: inspections, audits and their postings, installations and piece
rates, team sizes, revenue and hours of settled orders, the year's payslips and performance bonuses.

Orders are built through the real services (`shop.walk`); the services stamp the current time, so each test then
moves `completed_at` / `settled_at` to the moment it is about (the last minute of the month counts, the first
minute of the next does not). Audits, postings, pay runs and payslips are rows made directly.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from aftersales.core.testing import make_person
from aftersales.customers.tests.factories import VehicleFactory
from aftersales.org.models import Employee, Team
from aftersales.org.tests.factories import PositionFactory
from aftersales.pay.choices import PeriodKind, RunStatus
from aftersales.pay.metrics import METRICS, Period, Source, metric_values
from aftersales.pay.models import PayInput, PayPolicy, PayRun, Payslip, PieceRate
from aftersales.quality.choices import AuditStatus, PostingKind
from aftersales.quality.models import Audit, AuditPosting, Checklist, ChecklistItem, Violation
from aftersales.service.choices import OrderStatus, OrderType
from aftersales.service.models import ServiceOrder
from aftersales.service.services import jobs, lines, orders
from aftersales.service.tests.conftest import Shop

pytestmark = pytest.mark.django_db
S = OrderStatus
MARCH = Period.month(2026, 3)
YEAR = Period.year(2026)


@pytest.fixture
def shop(branch, admin_user):
    return Shop(branch=branch, admin=admin_user)


def local(*args) -> datetime.datetime:
    """An aware time in the project's zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.datetime(*args))


def stamp(order, **times) -> None:
    """Move the times the services stamped (now) to the moment the test is about."""
    ServiceOrder.objects.filter(pk=order.pk).update(**times)


def emp(user) -> Employee:
    return Employee.objects.get(user=user)


def compute(key: str, people, period: Period = MARCH) -> dict:
    """`{employee: (value, [(label, amount), …])}` of one metric for the given users or employees."""
    employees = [person if isinstance(person, Employee) else emp(person) for person in people]
    values = metric_values([key], employees, period)[key]
    return {
        employee: (values[employee.pk].value, [(s.label, s.amount) for s in values[employee.pk].sources])
        for employee in employees
    }


def one(key: str, person, period: Period = MARCH):
    return next(iter(compute(key, [person], period).values()))


def member(user, team) -> None:
    Employee.objects.filter(user=user).update(team=team)


# -- the registry -----------------------------------------------------------------------------------------------------


def test_every_metric_of_the_policy_is_registered_with_its_unit_periods_and_a_description():
    expected = {
        "售后检查单数": "单",
        "督查次数": "次",
        "督查违规项数": "项",
        "督查奖励": "元",
        "违规扣罚": "元",
        "安装单数": "单",
        "计件金额": "元",
        "班组人数": "人",
        "产值": "元",
        "工时": "小时",
        "月收入总和": "元",
        "全年业绩奖": "元",
    }
    assert {key: metric.unit for key, metric in METRICS.items()} == expected
    annual_only = {key for key, metric in METRICS.items() if metric.kinds == (PeriodKind.ANNUAL,)}
    assert annual_only == {"月收入总和", "全年业绩奖"}
    both = (PeriodKind.MONTHLY, PeriodKind.ANNUAL)
    assert all(METRICS[key].kinds == both for key in set(expected) - annual_only)
    with translation.override("en"):
        descriptions = [str(metric.description) for metric in METRICS.values()]
    assert all(len(text) > 20 and "stub" not in text for text in descriptions)
    assert len(set(descriptions)) == len(descriptions)


def test_every_employee_gets_a_value_zero_without_records(shop):
    employees = [emp(shop.advisor), emp(shop.cashier)]
    values = metric_values(list(METRICS), employees, YEAR)
    for key in METRICS:
        assert set(values[key]) == {e.pk for e in employees}, key
        assert all(v.value == 0 and v.sources == [] for v in values[key].values()), key
    assert metric_values(list(METRICS), [], YEAR) == {key: {} for key in METRICS}


# -- 售后检查单数 ----------------------------------------------------------------------------------------------------------


def test_inspections_count_the_completed_ones_of_the_month_whose_assignee_is_the_employee(shop):
    inspector = make_person(role="install_supervisor", branch=shop.branch)
    colleague = make_person(role="install_supervisor", branch=shop.branch)

    def inspection(who, when, *, then_cancel=False, type=OrderType.INSPECTION):
        order = shop.walk(S.COMPLETED, type=type, assignee=who).order
        if then_cancel:
            orders.order_cancel(actor=shop.manager, order=order, reason="客户撤销")
        stamp(order, completed_at=when)
        return order

    first = inspection(inspector, local(2026, 3, 1, 0, 0))
    last = inspection(inspector, local(2026, 3, 31, 23, 59))
    inspection(inspector, local(2026, 4, 1, 0, 0))  # next month
    inspection(inspector, local(2026, 2, 28, 23, 59, 59))  # last month
    inspection(inspector, local(2026, 3, 15, 10, 0), then_cancel=True)  # cancelled after completion
    inspection(inspector, local(2026, 3, 16, 10, 0), type=OrderType.CALL_OUT)  # a call-out is no inspection
    shop.walk(S.DISPATCHED, type=OrderType.INSPECTION, assignee=inspector)  # not done yet
    theirs = inspection(colleague, local(2026, 3, 10, 9, 0))

    result = compute("售后检查单数", [inspector, colleague, shop.technician])

    assert result[emp(inspector)] == (Decimal("2"), [(first.number, ""), (last.number, "")])
    assert result[emp(colleague)] == (Decimal("1"), [(theirs.number, "")])
    assert result[emp(shop.technician)] == (Decimal("0"), [])
    assert one("售后检查单数", inspector, YEAR)[0] == Decimal("4")  # the year holds Feb and April too
    sources = metric_values(["售后检查单数"], [emp(inspector)], MARCH)["售后检查单数"][emp(inspector).pk].sources
    assert sources[0] == Source("order", first.pk, first.number)


# -- 督查次数, 督查违规项数, 督查奖励, 违规扣罚 ---------------------------------------------------------------------------------


@pytest.fixture
def audits(shop):
    """A checklist, an installation order to audit and a maker of audits with `n` violations."""
    checklist = Checklist.objects.create(code="T4S", name="测试标准", fine_amount=Decimal("30.00"))
    items = [ChecklistItem.objects.create(checklist=checklist, code=f"T{i}", text=f"条目{i}") for i in range(3)]
    order = shop.walk(S.COMPLETED, type=OrderType.INSTALLATION).order
    made = []

    def make(auditor, on, violations=0, status=AuditStatus.RECORDED):
        audit = Audit.objects.create(
            number=f"AU-T-{len(made) + 1:04d}",
            branch=shop.branch,
            checklist=checklist,
            order=order,
            team=order.team,
            auditor=emp(auditor),
            audited_on=on,
            status=status,
            fine_per_violation=Decimal("30.00"),
            violation_count=violations,
            fine_total=Decimal("30.00") * violations,
            created_by=shop.admin,
        )
        for index in range(violations):
            Violation.objects.create(audit=audit, item=items[index % 3], note="未穿鞋套", fine=Decimal("30.00"))
        made.append(audit)
        return audit

    return make


def post(audit, who, kind, amount, month, reverses=None) -> AuditPosting:
    return AuditPosting.objects.create(
        audit=audit, employee=emp(who), kind=kind, amount=Decimal(amount), month=month, reverses=reverses
    )


def test_audits_and_their_violations_count_the_recorded_audits_of_the_month_by_the_auditor(shop, audits):
    auditor = make_person(role="install_supervisor", branch=shop.branch)
    other = make_person(role="install_supervisor", branch=shop.branch)
    first = audits(auditor, datetime.date(2026, 3, 1), violations=2)
    clean = audits(auditor, datetime.date(2026, 3, 31))
    middle = audits(auditor, datetime.date(2026, 3, 15), violations=1)
    audits(auditor, datetime.date(2026, 4, 1), violations=3)  # next month
    audits(auditor, datetime.date(2026, 2, 28), violations=1)  # last month
    audits(auditor, datetime.date(2026, 3, 10), violations=2, status=AuditStatus.CANCELLED)
    theirs = audits(other, datetime.date(2026, 3, 10), violations=1)

    done = compute("督查次数", [auditor, other, shop.technician])
    found = compute("督查违规项数", [auditor, other, shop.technician])

    assert done[emp(auditor)] == (Decimal("3"), [(first.number, ""), (middle.number, ""), (clean.number, "")])
    assert done[emp(other)] == (Decimal("1"), [(theirs.number, "")])
    assert done[emp(shop.technician)] == (Decimal("0"), [])
    # the audit without violations adds nothing and is not listed
    assert found[emp(auditor)] == (Decimal("3"), [(first.number, "2"), (middle.number, "1")])
    assert found[emp(other)] == (Decimal("1"), [(theirs.number, "1")])
    assert found[emp(shop.technician)] == (Decimal("0"), [])
    assert one("督查违规项数", auditor, YEAR)[0] == Decimal("7")


def test_rewards_and_penalties_sum_the_month_s_postings_reversals_included(shop, audits):
    auditor = make_person(role="install_supervisor", branch=shop.branch)
    mate = make_person(role="technician", branch=shop.branch)
    member(mate, shop.install_team)
    march, feb, april = datetime.date(2026, 3, 1), datetime.date(2026, 2, 1), datetime.date(2026, 4, 1)
    a1 = audits(auditor, datetime.date(2026, 3, 2), violations=2)
    a2 = audits(auditor, datetime.date(2026, 3, 20), violations=1)
    old = audits(auditor, datetime.date(2026, 2, 20), violations=1)  # cancelled in March: reversed in March
    later = audits(auditor, datetime.date(2026, 4, 2), violations=1)
    post(a1, auditor, PostingKind.REWARD, "60.00", march)
    post(a2, auditor, PostingKind.REWARD, "30.00", march)
    old_reward = post(old, auditor, PostingKind.REWARD, "30.00", feb)
    post(old, auditor, PostingKind.REWARD, "-30.00", march, reverses=old_reward)
    post(later, auditor, PostingKind.REWARD, "30.00", april)
    for person in (shop.technician, mate):
        post(a1, person, PostingKind.PENALTY, "30.00", march)
        post(a2, person, PostingKind.PENALTY, "15.00", march)
        old_share = post(old, person, PostingKind.PENALTY, "15.00", feb)
        post(old, person, PostingKind.PENALTY, "-15.00", march, reverses=old_share)
        post(later, person, PostingKind.PENALTY, "15.00", april)
    outsider = make_person(role="technician", branch=shop.branch)

    rewards = compute("督查奖励", [auditor, shop.technician, outsider])
    penalties = compute("违规扣罚", [auditor, shop.technician, mate, outsider])

    assert rewards[emp(auditor)] == (
        Decimal("60.00"),
        [(a1.number, "60.00"), (a2.number, "30.00"), (old.number, "-30.00")],
    )
    assert rewards[emp(shop.technician)] == (Decimal("0"), [])  # a fine is no reward
    assert rewards[emp(outsider)] == (Decimal("0"), [])
    expected = (Decimal("30.00"), [(a1.number, "30.00"), (a2.number, "15.00"), (old.number, "-15.00")])
    assert penalties[emp(shop.technician)] == expected
    assert penalties[emp(mate)] == expected
    assert penalties[emp(auditor)] == (Decimal("0"), [])  # a reward is no fine
    assert one("督查奖励", auditor, Period.month(2026, 2)) == (Decimal("30.00"), [(old.number, "30.00")])
    assert one("违规扣罚", mate, YEAR)[0] == Decimal("60.00")  # 30 + 15 + 15 − 15 + 15
    assert str(rewards[emp(auditor)][0]) == "60.00"


# -- 安装单数, 计件金额, 班组人数 ----------------------------------------------------------------------------------------------


def installation(shop, when, *, model="帕萨特", then_cancel=False):
    """An installation completed by the shop's team on an asset of `model`, moved to `when`."""
    shop.vehicle = VehicleFactory(customer=shop.customer, model=model)
    order = shop.walk(S.COMPLETED, type=OrderType.INSTALLATION).order
    if then_cancel:
        orders.order_cancel(actor=shop.manager, order=order, reason="客户退单")
    stamp(order, completed_at=when)
    return order


@pytest.fixture
def crews(shop):
    """The shop's installation team (its technician, a mate, a member who left), another team, a loner."""
    team = shop.install_team
    mate = make_person(role="technician", branch=shop.branch)
    gone = make_person(role="technician", branch=shop.branch)
    member(mate, team)
    Employee.objects.filter(user=gone).update(team=team, active=False)
    rival_team = Team.objects.create(branch=shop.branch, name="安装二组", kind="installation")
    rival = make_person(role="technician", branch=shop.branch)
    member(rival, rival_team)
    loner = make_person(role="technician", branch=shop.branch)
    return {"technician": shop.technician, "mate": mate, "rival": rival, "loner": loner}


def test_installations_count_the_team_s_completed_orders_of_the_month_for_each_member(shop, crews):
    first = installation(shop, local(2026, 3, 1, 0, 0))
    last = installation(shop, local(2026, 3, 31, 23, 59), model="迈腾")
    installation(shop, local(2026, 4, 1, 0, 0))  # next month
    installation(shop, local(2026, 3, 12, 9, 0), then_cancel=True)
    repair = shop.walk(S.COMPLETED).order  # a repair by the same technician is no installation
    stamp(repair, completed_at=local(2026, 3, 12, 9, 0))
    settled = shop.walk(S.SETTLED, type=OrderType.INSTALLATION).order  # settled since: still counts
    stamp(settled, completed_at=local(2026, 3, 20, 9, 0))

    result = compute("安装单数", crews.values())

    expected = (Decimal("3"), [(first.number, ""), (settled.number, ""), (last.number, "")])
    assert result[emp(crews["technician"])] == expected
    assert result[emp(crews["mate"])] == expected
    assert result[emp(crews["rival"])] == (Decimal("0"), [])
    assert result[emp(crews["loner"])] == (Decimal("0"), [])


def test_piece_amount_takes_the_rate_of_the_asset_s_product_type_else_the_default(shop, crews):
    PieceRate.objects.create(product_type="帕萨特", rate=Decimal("80.00"))
    PieceRate.objects.create(product_type="", rate=Decimal("50.00"))
    PieceRate.objects.create(product_type="途观", rate=Decimal("200.00"), active=False)
    passat = installation(shop, local(2026, 3, 1, 0, 0))
    magotan = installation(shop, local(2026, 3, 10, 0, 0), model="迈腾")  # no rate of its own
    tiguan = installation(shop, local(2026, 3, 31, 23, 59), model="途观")  # its rate is inactive
    installation(shop, local(2026, 4, 1, 0, 0))  # next month

    result = compute("计件金额", crews.values())

    expected = (
        Decimal("180.00"),
        [(passat.number, "80.00"), (magotan.number, "50.00"), (tiguan.number, "50.00")],
    )
    assert result[emp(crews["technician"])] == expected
    assert result[emp(crews["mate"])] == expected  # the team's amount; a policy divides by 班组人数
    assert result[emp(crews["rival"])] == (Decimal("0"), [])
    assert result[emp(crews["loner"])] == (Decimal("0"), [])

    PieceRate.objects.filter(product_type="").delete()  # without a default rate the others pay nothing
    assert one("计件金额", crews["mate"]) == (
        Decimal("80.00"),
        [(passat.number, "80.00"), (magotan.number, "0.00"), (tiguan.number, "0.00")],
    )


def test_team_size_counts_the_active_members_of_the_employee_s_team(shop, crews):
    result = compute("班组人数", crews.values())

    assert result[emp(crews["technician"])][0] == Decimal("2")  # the member who left is not counted
    assert [label for label, _amount in result[emp(crews["mate"])][1]] == sorted(
        [emp(crews["technician"]).name, emp(crews["mate"]).name]
    )
    assert result[emp(crews["rival"])][0] == Decimal("1")
    assert result[emp(crews["loner"])] == (Decimal("0"), [])


# -- 产值, 工时 --------------------------------------------------------------------------------------------------------------


def settle_without_second_job(shop):
    """An order whose second labour line (100.00, 1 h, already assigned) is cancelled before the work: it is
    settled with one job of 180.00 (1.5 h) and the oil filter of 58.00."""
    walked = shop.walk(S.DISPATCHED)
    first, second = walked.labour
    lines.line_cancel(actor=shop.advisor, line=second, reason="客户不做")
    jobs.job_act(actor=shop.technician, line=first, action="start")
    shop.finish(first)
    orders.order_qc_pass(actor=shop.qc, order=walked.fresh())
    shop.settle(walked.fresh())
    return walked.fresh()


def test_revenue_and_hours_count_the_not_cancelled_lines_of_the_orders_settled_in_the_month(shop):
    # every walked order: labour 180.00 (1.5 h) + 100.00 (1 h) by the technician, an oil filter of 58.00
    first = shop.walk(S.SETTLED).order
    stamp(first, settled_at=local(2026, 3, 1, 0, 0))
    last = shop.walk(S.DELIVERED).order  # delivered since: still counts
    stamp(last, settled_at=local(2026, 3, 31, 23, 59))
    stamp(shop.walk(S.SETTLED).order, settled_at=local(2026, 4, 1, 0, 0))  # next month
    shop.walk(S.COMPLETED)  # not settled
    partial = settle_without_second_job(shop)
    stamp(partial, settled_at=local(2026, 3, 15, 12, 0))
    stranger = make_person(role="technician", branch=shop.branch)

    revenue = compute("产值", [shop.advisor, shop.technician, stranger, shop.cashier])
    hours = compute("工时", [shop.advisor, shop.technician, stranger])

    # the advisor: every line of their orders; the technician: their labour lines on others' orders
    assert revenue[emp(shop.advisor)] == (
        Decimal("914.00"),
        [(first.number, "338.00"), (partial.number, "238.00"), (last.number, "338.00")],
    )
    assert revenue[emp(shop.technician)] == (
        Decimal("740.00"),
        [(first.number, "280.00"), (partial.number, "180.00"), (last.number, "280.00")],
    )
    assert revenue[emp(stranger)] == (Decimal("0"), [])
    assert revenue[emp(shop.cashier)] == (Decimal("0"), [])  # who settled is not who earned
    assert hours[emp(shop.technician)] == (
        Decimal("6.50"),
        [(first.number, "2.50"), (partial.number, "1.50"), (last.number, "2.50")],
    )
    assert hours[emp(shop.advisor)] == (Decimal("0"), [])
    assert hours[emp(stranger)] == (Decimal("0"), [])
    assert one("产值", shop.advisor, YEAR)[0] == Decimal("1252.00")


def test_an_advisor_who_also_did_the_work_counts_each_line_once(shop):
    both = make_person(role=["service_advisor", "technician"], branch=shop.branch)
    shop.advisor = shop.technician = both
    order = shop.walk(S.SETTLED).order
    stamp(order, settled_at=local(2026, 3, 5, 10, 0))

    assert one("产值", both) == (Decimal("338.00"), [(order.number, "338.00")])
    assert one("工时", both) == (Decimal("2.50"), [(order.number, "2.50")])


# -- 月收入总和, 全年业绩奖 ---------------------------------------------------------------------------------------------------


def test_monthly_income_sums_the_current_payslips_of_the_year_s_locked_monthly_runs(shop):
    policy = PayPolicy.objects.create(
        code="install_sup",
        name="售服安装主管",
        position=PositionFactory(),
        sheet="月收入 = 1",
        total="月收入",
        created_by=shop.admin,
    )
    me, colleague = emp(shop.manager), emp(shop.advisor)

    def run(start: datetime.date, slips: dict, status=RunStatus.LOCKED, kind=PeriodKind.MONTHLY, version=1):
        monthly = kind == PeriodKind.MONTHLY
        end = Period.month(start.year, start.month).end if monthly else Period.year(start.year).end
        made = PayRun.objects.create(
            number=f"PR-{start:%Y%m}-{kind}",
            branch=shop.branch,
            kind=kind,
            period=f"{start:%Y-%m}" if monthly else f"{start:%Y}",
            period_start=start,
            period_end=end,
            status=status,
            version=version,
            created_by=shop.admin,
        )
        for (who, slip_version), total in slips.items():
            Payslip.objects.create(
                run=made,
                version=slip_version,
                employee=who,
                policy=policy,
                position="售服安装主管",
                total=Decimal(total),
            )
        return made

    january = run(datetime.date(2026, 1, 1), {(me, 1): "3950.00", (colleague, 1): "2000.00"})
    # February was recomputed: only the second computation counts
    february = run(datetime.date(2026, 2, 1), {(me, 1): "100.00", (me, 2): "4000.50"}, version=2)
    run(datetime.date(2026, 3, 1), {(me, 1): "3000.00"}, status=RunStatus.APPROVED)  # not locked yet
    run(datetime.date(2025, 12, 1), {(me, 1): "3900.00"})  # last year
    run(datetime.date(2027, 1, 1), {(me, 1): "3900.00"})  # next year
    run(datetime.date(2026, 1, 1), {(me, 1): "50000.00"}, kind=PeriodKind.ANNUAL)  # the year-end run itself

    result = compute("月收入总和", [me, colleague, emp(shop.cashier)], YEAR)

    assert result[me] == (Decimal("7950.50"), [(january.number, "3950.00"), (february.number, "4000.50")])
    assert result[colleague] == (Decimal("2000.00"), [(january.number, "2000.00")])
    assert result[emp(shop.cashier)] == (Decimal("0"), [])


def test_annual_performance_bonus_sums_the_year_s_业绩奖_inputs(shop):
    me, colleague = emp(shop.manager), emp(shop.advisor)

    def entered(who, month: datetime.date, value: str, name="业绩奖"):
        return PayInput.objects.create(
            employee=who, month=month, name=name, value=Decimal(value), updated_by=shop.admin
        )

    entered(me, datetime.date(2026, 1, 1), "1000.00")
    entered(me, datetime.date(2026, 12, 1), "2000.50")
    entered(me, datetime.date(2026, 5, 1), "300.00", name="补助")  # another input
    entered(me, datetime.date(2025, 12, 1), "999.00")  # last year
    entered(me, datetime.date(2027, 1, 1), "999.00")  # next year
    entered(colleague, datetime.date(2026, 6, 1), "500.00")

    result = compute("全年业绩奖", [me, colleague, emp(shop.cashier)], YEAR)

    assert result[me] == (Decimal("3000.50"), [("2026-01", "1000.00"), ("2026-12", "2000.50")])
    assert result[colleague] == (Decimal("500.00"), [("2026-06", "500.00")])
    assert result[emp(shop.cashier)] == (Decimal("0"), [])


# -- a fixed number of queries ------------------------------------------------------------------------------------------


def test_all_metrics_take_the_same_number_of_queries_for_3_and_for_30_employees(shop, audits):
    team = shop.install_team
    crowd = [make_person(role="technician", branch=shop.branch) for _ in range(27)]
    people = [shop.technician, shop.advisor, shop.manager, *crowd]
    Employee.objects.filter(user__in=crowd).update(team=team)
    PieceRate.objects.create(product_type="", rate=Decimal("50.00"))
    stamp(shop.walk(S.SETTLED).order, settled_at=local(2026, 3, 5, 10, 0))
    stamp(shop.walk(S.COMPLETED, type=OrderType.INSTALLATION).order, completed_at=local(2026, 3, 6, 10, 0))
    for who in (shop.technician, crowd[0], crowd[1]):
        stamp(shop.walk(S.COMPLETED, type=OrderType.INSPECTION, assignee=who).order, completed_at=local(2026, 3, 7))
    policy = PayPolicy.objects.create(
        code="p", name="p", position=PositionFactory(), sheet="月收入 = 1", total="月收入", created_by=shop.admin
    )
    locked = PayRun.objects.create(
        number="PR-1",
        branch=shop.branch,
        period="2026-03",
        period_start=MARCH.start,
        period_end=MARCH.end,
        status=RunStatus.LOCKED,
        version=1,
        created_by=shop.admin,
    )
    for index, person in enumerate(people):
        audit = audits(person, datetime.date(2026, 3, 10), violations=index % 3)
        post(audit, person, PostingKind.REWARD, "30.00", MARCH.start)
        post(audit, person, PostingKind.PENALTY, "10.00", MARCH.start)
        PayInput.objects.create(
            employee=emp(person), month=MARCH.start, name="业绩奖", value=Decimal("100.00"), updated_by=shop.admin
        )
        Payslip.objects.create(
            run=locked, version=1, employee=emp(person), policy=policy, position="p", total=Decimal("1000.00")
        )
    ids = [emp(person).pk for person in people]

    def measure(count: int, period: Period):
        employees = list(Employee.objects.filter(pk__in=ids[:count]))
        keys = [key for key, metric in METRICS.items() if period.kind in metric.kinds]
        with CaptureQueriesContext(connection) as queries:
            values = metric_values(keys, employees, period)
        return len(queries), values

    for period in (MARCH, YEAR):
        few, _values = measure(3, period)
        many, values = measure(30, period)
        assert few == many, (period, few, many)
        assert many <= len(METRICS) + 1  # one query per metric, two for the piece rates
        assert values["督查奖励"][ids[29]].value == Decimal("30.00")
        assert values["班组人数"][ids[0]].value == 28  # the technician and the crowd
    march = measure(30, MARCH)[1]
    assert march["售后检查单数"][ids[0]].value == 1
    assert march["安装单数"][ids[29]].value == 1
    assert march["工时"][ids[0]].value == Decimal("2.50")
    assert values["月收入总和"][ids[29]].value == Decimal("1000.00")
    assert values["全年业绩奖"][ids[29]].value == Decimal("100.00")
