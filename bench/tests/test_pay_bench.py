"""The pay-run benchmark's code on a few employees, so that it cannot rot between benchmark runs: the seed writes
what the pay metrics read, the run pays everyone what the hand computation says, the queries do not grow."""

from decimal import Decimal

import pytest
from django.db import connection

from aftersales.pay.metrics import metric_values
from aftersales.pay.models import PayRun, Payslip
from aftersales.quality.models import AuditPosting
from aftersales.service.models import ServiceOrder
from bench.pay import statement_table, summarise
from bench.pay_seed import (
    TEAM_SIZE,
    employee_plan,
    expected_totals,
    month_period,
    pay_bench_seed,
    pay_bench_store,
    pay_run_timings,
)

pytestmark = pytest.mark.django_db


def quiet(_message):
    pass


def test_the_seed_writes_each_employees_records_and_a_second_seed_adds_nothing():
    first = pay_bench_seed(employees=12, progress=quiet)
    again = pay_bench_seed(employees=12, progress=quiet)

    assert first.created and not again.created
    assert first.rows == again.rows
    plans = [employee_plan(i) for i in range(12)]
    assert first.rows["employees"] == 12
    assert first.rows["inspection orders"] == sum(p.inspections for p in plans)
    assert first.rows["audits"] == first.rows["installation orders"] == 24
    assert first.rows["violations"] == sum(sum(p.audits) for p in plans)
    store = pay_bench_store(12)
    numbers = list(ServiceOrder.objects.filter(branch=store).values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers) and all(n.startswith(f"WO-{store.code}-202610") for n in numbers)
    # each audit's fines add up to its reward, 30 元 a violation
    balance: dict[int, Decimal] = {}
    for audit, kind, amount in AuditPosting.objects.filter(audit__branch=store).values_list("audit", "kind", "amount"):
        assert amount > 0
        balance[audit] = balance.get(audit, Decimal(0)) + (amount if kind == "reward" else -amount)
    assert set(balance.values()) == {Decimal(0)}
    rewards = AuditPosting.objects.filter(audit__branch=store, kind="reward").values_list("amount", flat=True)
    assert sum(rewards) == Decimal("30.00") * first.rows["violations"]


def test_the_metrics_read_the_planned_figures():
    pay_bench_seed(employees=10, progress=quiet)
    from aftersales.org.models import Employee

    people = list(Employee.objects.filter(branch=pay_bench_store(10), position__code="install_supervisor"))
    values = metric_values(["售后检查单数", "督查次数", "督查违规项数"], people, month_period())

    for employee in people:
        plan = employee_plan(int(employee.employee_no.rsplit("-", 1)[1]) - 1)
        assert values["售后检查单数"][employee.pk].value == plan.inspections
        assert values["督查次数"][employee.pk].value == len(plan.audits)
        assert values["督查违规项数"][employee.pk].value == sum(plan.audits)
    assert len({e.team_id for e in people}) == 10 // TEAM_SIZE


def test_the_timed_runs_pay_everyone_the_hand_computation_and_are_cancelled():
    pay_bench_seed(employees=10, progress=quiet)

    answer = pay_run_timings(employees=10, runs=2)

    assert [r["payslips"] for r in answer["runs"]] == [10, 10]
    assert all(r["wrong_payslips"] == 0 for r in answer["runs"])
    assert all(r["seconds"] > 0 and r["queries"] > 0 for r in answer["runs"])
    assert Decimal(answer["runs"][0]["total"]) == sum(expected_totals(10).values())
    assert answer["runs"][0]["total"] == answer["runs"][0]["expected_total"]
    assert set(PayRun.objects.values_list("status", flat=True)) == {"cancelled"}
    assert PayRun.objects.count() == 3  # the unmeasured one and the two timed
    assert Payslip.objects.count() == 30
    # one INSERT for all payslips on SQLite; on PostgreSQL one COPY, which the statement log does not see
    inserts = 0 if connection.vendor == "postgresql" else 1
    assert answer["runs"][0]["statements"].get("INSERT pay_payslip", 0) == inserts

    pay_run_timings(employees=10, runs=1, warmup=False)  # the earlier benchmark's runs go first

    assert PayRun.objects.count() == 1 and Payslip.objects.count() == 10


def test_the_queries_do_not_grow_with_the_employees_and_the_table_says_so():
    pay_bench_seed(employees=10, progress=quiet)
    pay_bench_seed(employees=25, progress=quiet)

    result = {"sizes": {str(n): pay_run_timings(employees=n, runs=1, warmup=False) for n in (10, 25)}}

    assert result["sizes"]["10"]["runs"][0]["queries"] == result["sizes"]["25"]["runs"][0]["queries"]
    lines, failures = summarise(result, goal_seconds=60, goal_size=25)
    assert failures == []
    assert any("queries do not grow" in line and line.endswith("ok") for line in lines)
    assert len(statement_table(result)) > 3
    result["sizes"]["25"]["runs"][0]["queries"] += 1
    result["sizes"]["25"]["runs"][0]["seconds"] = 61
    _lines, failures = summarise(result, goal_seconds=60, goal_size=25)
    assert len(failures) == 2


def test_a_store_too_small_for_two_teams_is_refused():
    with pytest.raises(ValueError):
        pay_bench_seed(employees=TEAM_SIZE, progress=quiet)
