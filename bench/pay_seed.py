"""Pay-run benchmark data, and the timed pay runs (inside Django; `bench.pay` drives it).

`pay_bench_seed(employees=N)` makes the store `PB<N>` of the bench region `PAYBENCH` holding N active employees
of the installation supervisor's position (售服安装主管), whose policy is the seed's formula
(`aftersales.demo.pay.SUPERVISOR_SHEET`): `月收入 = 基本工资 + (职务工资 + 行政奖) × 月考核分 / 88 + 补助 + 提成奖 +
业绩奖 × 70%`, `提成奖 = 售后检查单数 × IF(售后检查单数 >= 20, 30, 20) + 督查奖励 − 违规扣罚`. For the month `MONTH`
each employee has everything that policy reads:

- a confirmed monthly appraisal score (80–96) and a 业绩奖 input (500–1,500 元);
- 18 to 22 after-sales inspection orders completed in the month with them as the assignee (both sides of the
  20-a-month threshold), spread over the month's days and hours;
- a team: teams of `TEAM_SIZE`, the first member leads; each employee records `AUDITS_PER_EMPLOYEE` 4S audits of
  the next team's completed installation orders (one order per audit, one labour line each), with 0 to 2
  violations of the default 4S checklist; each violation fines the audited team 30 元, shared equally by its
  members (`quality.services.fine_shares`, the rounding to the leader) and credited to the auditor as a reward.

Rows are bulk-inserted (`bench.orders_seed.insert`: COPY on PostgreSQL), not made through the services, but with
the values the services write: order numbers `WO-<store>-<day>-NNNN` and audit numbers `DC-…` counted per day
with `DocumentSequence` advanced; statuses, times, the line's amount from `service.totals.line_amount`, the
consented total from `order_totals`, the installation's acceptance record; the audit's violation count and fines;
postings dated to the audit's month. Not written: order events and notifications (the pay run reads neither).
A store is seeded in one transaction, so it is there whole or not at all; re-running finds it and does nothing.

Every employee's figures follow from their number (`employee_plan`), so `expected_totals` computes the whole
run's payslips by hand, the arithmetic of the policy written out in Python, to check what the run computed.

`pay_run_timings` times `pay_run_create` for the store's month and counts its SQL statements: one unmeasured run,
then `runs` timed ones, each cancelled afterwards (a cancelled run frees the month). The cancelled runs of the
previous benchmark, and their payslips, are deleted first, so every benchmark starts from the same tables.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import connection, reset_queries, transaction
from django.db.models import DateField

from aftersales.customers.models import Customer
from aftersales.customers.services import customer_search_text
from aftersales.demo.fake import fake_customers
from aftersales.demo.pay import SUPERVISOR_SHEET
from aftersales.org.choices import BranchKind, TeamKind
from aftersales.org.models import Branch, Employee, Position, Team, User
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.pay.choices import AppraisalStatus, RunStatus
from aftersales.pay.metrics import Period
from aftersales.pay.models import Appraisal, PayInput, PayPolicy, PayRun, Payslip
from aftersales.pay.services.policies import policy_create
from aftersales.pay.services.runs import pay_run_act, pay_run_create
from aftersales.quality.choices import AuditStatus, PostingKind
from aftersales.quality.models import Audit, AuditPosting, Checklist, ChecklistItem, Violation
from aftersales.quality.services import fine_shares
from aftersales.service.choices import Consent, JobStatus, LineKind, OrderStatus, OrderType, Payer
from aftersales.service.models import ServiceOrder, ServiceOrderLine
from aftersales.service.services.installation import CHECK_CODES
from aftersales.service.totals import line_amount, order_totals
from bench.orders_seed import Numbers, historic_times, insert
from bench.seed import _person

ZONE = ZoneInfo("Asia/Shanghai")
REGION = "PAYBENCH"
STORE_PREFIX = "PB"
#: The month the bench pays (its records all fall in it).
MONTH = "2026-10"
POSITION = "install_supervisor"
POLICY = "BENCH-AZZG"
TEAM_SIZE = 5
AUDITS_PER_EMPLOYEE = 2
CUSTOMERS = 200
FINE = Decimal("30.00")
RATE = Decimal("120.00")
INSTALL_HOURS = Decimal("2.00")
PASSWORD = "Bench@2026"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞鹏斌宇浩凯健俊帆"
FEN = Decimal("0.01")
AUTOMATIC_TIMES = ("created_at", "updated_at")


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


# -- the plan: every employee's figures, from their number -----------------------------------------------------------


@dataclass(frozen=True)
class EmployeePlan:
    index: int
    inspections: int
    score: Decimal
    bonus: Decimal
    audits: tuple[int, ...]  # the violations found in each audit the employee records

    @property
    def team(self) -> int:
        return self.index // TEAM_SIZE


def employee_plan(index: int) -> EmployeePlan:
    return EmployeePlan(
        index=index,
        inspections=18 + index % 5,
        score=Decimal(80 + (index * 7) % 17),
        bonus=Decimal(500 + (index % 11) * 100),
        audits=tuple((index + k) % 3 for k in range(AUDITS_PER_EMPLOYEE)),
    )


def team_count(employees: int) -> int:
    return -(-employees // TEAM_SIZE)


def audited_team(plan: EmployeePlan, employees: int) -> int:
    """The team an employee audits: the next one (never their own)."""
    return (plan.team + 1) % team_count(employees)


def _check_size(employees: int) -> None:
    if employees < 2 * TEAM_SIZE:
        raise ValueError(f"at least {2 * TEAM_SIZE} employees: auditors audit another team than their own")


def month_period():
    return Period.parse(MONTH, "monthly")


def store_code(employees: int) -> str:
    return f"{STORE_PREFIX}{employees}"


def expected_totals(employees: int) -> dict[int, Decimal]:
    """Each employee's 月收入 (by index), the policy's arithmetic written out by hand, line by line, each line
    rounded half up to the fen as the sheet rounds it."""

    _check_size(employees)
    plans = [employee_plan(i) for i in range(employees)]
    rewards = [Decimal("0")] * employees
    penalties = [Decimal("0")] * employees
    members: dict[int, list] = {}
    for plan in plans:
        members.setdefault(plan.team, []).append(SimpleNamespace(pk=plan.index, employee_no=f"{plan.index:06d}"))
    for plan in plans:
        team = members[audited_team(plan, employees)]
        for violations in plan.audits:
            if not violations:
                continue
            total = FINE * violations
            rewards[plan.index] += total
            for share in fine_shares(total=total, members=team, leader=team[0]):
                penalties[share.employee.pk] += share.amount
    totals = {}
    for plan in plans:
        per_inspection = 30 if plan.inspections >= 20 else 20
        commission = _fen(plan.inspections * per_inspection + rewards[plan.index] - penalties[plan.index])
        income = 600 + (900 + 1000) * plan.score / 88 + 0 + commission + plan.bonus * Decimal("0.7")
        totals[plan.index] = _fen(income)
    return totals


# -- writing -----------------------------------------------------------------------------------------------------------


def _stamp(instance, at: dt.datetime):
    """Set the automatic times (`created_at`, `updated_at`) that COPY, or `bulk_create` under `historic_times`,
    would otherwise leave empty."""
    for field in instance._meta.concrete_fields:
        if field.name in AUTOMATIC_TIMES and isinstance(field, DateField):
            setattr(instance, field.attname, at)
    return instance


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    period = month_period()
    return dt.datetime(period.start.year, period.start.month, day, hour, minute, tzinfo=ZONE)


@dataclass(frozen=True)
class SeedResult:
    store: str
    employees: int
    created: bool
    rows: dict[str, int]
    seconds: float


def _policy(actor):
    """The installation supervisor's position and its monthly policy (the seed's formula), made when missing."""
    position = Position.objects.filter(code=POSITION).first()
    if position is None:
        position = Position(code=POSITION, name="售服安装主管")
        position.full_clean()
        position.save()
    policy = PayPolicy.objects.filter(position=position, kind="monthly", active=True).first()
    if policy is None:
        policy = policy_create(
            actor=actor, code=POLICY, name="售服安装主管薪酬", position=position, sheet=SUPERVISOR_SHEET, total="月收入"
        )
    return position, policy


def _region():
    region = Branch.objects.filter(code=REGION).first()
    if region is None:
        region = Branch(code=REGION, name="薪酬压测区域", kind=BranchKind.REGION)
        region.full_clean()
        region.save()
    return region


def bench_actor(store):
    """The store's HR (who runs pay) and service advisor (who opens the installation orders)."""
    hr = _person(username=f"bench-pay-hr-{store.code.lower()}", name="薪酬专员", employee_no=f"{store.code}-HR",
                 branch=store, role="hr")  # fmt: skip
    advisor = _person(username=f"bench-pay-sa-{store.code.lower()}", name="安装接待", employee_no=f"{store.code}-SA",
                      branch=store, role="service_advisor")  # fmt: skip
    return hr, advisor


def pay_bench_store(employees: int):
    return Branch.objects.filter(code=store_code(employees)).first()


def pay_bench_seed(*, employees: int, progress=print) -> SeedResult:
    """The store of `employees` paid employees with their month's records (nothing if it is there already)."""
    _check_size(employees)
    started = time.perf_counter()
    code = store_code(employees)
    existing = pay_bench_store(employees)
    if existing is not None:
        return SeedResult(code, employees, False, _row_counts(existing), time.perf_counter() - started)
    with transaction.atomic():
        rows = _seed_store(employees, code, progress)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE org_employee, service_serviceorder, service_serviceorderline, quality_audit, "
                "quality_violation, quality_auditposting, pay_appraisal, pay_payinput, pay_payslip"
            )
    reset_queries()
    return SeedResult(code, employees, True, rows, time.perf_counter() - started)


def _seed_store(employees: int, code: str, progress) -> dict[str, int]:
    period = month_period()
    region = _region()
    store = Branch(code=code, name=f"薪酬压测门店{employees}", kind=BranchKind.STORE, parent=region)
    store.full_clean()
    store.save()
    warehouse = warehouse_default_for(store)
    hr, advisor = bench_actor(store)
    position, _policy_row = _policy(hr)
    checklist = Checklist.objects.filter(is_default=True, active=True).order_by("pk").first()
    if checklist is None:
        raise RuntimeError("no default checklist: run `manage.py migrate` (quality 0002 makes the 4S checklist)")
    items = list(ChecklistItem.objects.filter(checklist=checklist, active=True).order_by("position", "code"))
    plans = [employee_plan(i) for i in range(employees)]
    opened = _at(1, 8)
    numbers = Numbers([store.pk])
    models = (User, Employee, Team, Customer, ServiceOrder, ServiceOrderLine, Audit, Appraisal, PayInput)
    with historic_times(*models, AuditPosting):
        # teams, people
        teams = [
            _stamp(Team(name=f"安装{n + 1:04d}组", branch=store, kind=TeamKind.INSTALLATION), opened)
            for n in range(team_count(employees))
        ]
        insert(Team, teams, ids=True)
        password = make_password(PASSWORD)  # one hash for all: they are not signed in as
        users = [
            User(username=f"bench-pay-{code.lower()}-{i + 1:05d}", first_name=_name(i), password=password,
                 date_joined=opened)
            for i in range(employees)
        ]  # fmt: skip
        insert(User, users, ids=True)
        people = [
            _stamp(
                Employee(
                    user=users[p.index],
                    employee_no=f"{code}-{p.index + 1:05d}",
                    name=_name(p.index),
                    branch=store,
                    position=position,
                    team=teams[p.team],
                    active=True,
                ),
                opened,
            )
            for p in plans
        ]
        insert(Employee, people, ids=True)
        for n, team in enumerate(teams):
            team.leader = people[n * TEAM_SIZE]
        Team.objects.bulk_update(teams, ["leader"], batch_size=1000)
        members = {n: people[n * TEAM_SIZE : (n + 1) * TEAM_SIZE] for n in range(len(teams))}
        team_number_of = {team.pk: n for n, team in enumerate(teams)}
        progress(f"  {code}: {employees:,} employees in {len(teams):,} teams")

        # scores and performance bonuses
        confirmed = _at(28, 17)
        insert(
            Appraisal,
            [
                _stamp(
                    Appraisal(
                        employee=people[p.index], kind="monthly", period=MONTH, period_start=period.start,
                        status=AppraisalStatus.CONFIRMED, items=[], score=p.score, reviewed_by=hr,
                        reviewed_at=confirmed, confirmed_by=hr, confirmed_at=confirmed, created_by=hr,
                    ),
                    confirmed,
                )
                for p in plans
            ],
        )  # fmt: skip
        insert(
            PayInput,
            [
                _stamp(PayInput(employee=people[p.index], month=period.start, name="业绩奖", value=p.bonus,
                                updated_by=hr), confirmed)
                for p in plans
            ],
        )  # fmt: skip

        # customers
        customers = []
        for fake in fake_customers(CUSTOMERS, seed=7373, start=20_000_000 + employees * 1000):
            customer = Customer(kind=fake.kind, name=fake.name, mobile=fake.mobile, address=fake.address,
                                source=fake.source, branch=store)  # fmt: skip
            customer.search_text = customer_search_text(customer, [])
            customers.append(_stamp(customer, opened))
        insert(Customer, customers, ids=True)

        # after-sales inspections: 18–22 per employee, completed over the month
        orders = []
        for p in plans:
            user = users[p.index]
            for j in range(p.inspections):
                done = _at(1 + (p.index * 3 + j * 5) % 28, 9 + (p.index + j) % 9, (p.index * 7 + j * 13) % 60)
                created = done - dt.timedelta(hours=3)
                order = ServiceOrder(
                    number=numbers.next("WO", store, created), branch=store, type=OrderType.INSPECTION,
                    status=OrderStatus.COMPLETED, customer=customers[(p.index * 31 + j) % len(customers)],
                    advisor=user, assignee=user, created_by=user, concerns="售后检查：安装质量回访",
                    report="安装规范，门扇开启灵活，门锁功能正常；客户满意，已签字确认。",
                    promised_at=created + dt.timedelta(hours=6), completed_at=done, warehouse=warehouse,
                )  # fmt: skip
                _stamp(order, created).updated_at = done
                orders.append(order)
        insert(ServiceOrder, orders)
        inspections = len(orders)
        progress(f"  {code}: {inspections:,} inspection orders")

        # installation orders of the audited teams, and the audits of them
        installations, lines, audits, audit_violations = [], [], [], []
        for p in plans:
            team_number = audited_team(p, employees)
            team = members[team_number]
            for k, violations in enumerate(p.audits):
                day = 1 + (p.index + 11 * k) % 27
                created = _at(day, 8, (p.index + k) % 60)
                done = created + dt.timedelta(hours=5)
                customer = customers[(p.index * 17 + k) % len(customers)]
                order = ServiceOrder(
                    number=numbers.next("WO", store, created), branch=store, type=OrderType.INSTALLATION,
                    status=OrderStatus.COMPLETED, customer=customer, advisor=advisor, created_by=advisor,
                    team=teams[team_number], concerns="全屋定制衣柜、木门安装", scheduled_at=created,
                    promised_at=created + dt.timedelta(hours=8), approved_at=created + dt.timedelta(minutes=20),
                    completed_at=done, warehouse=warehouse,
                    acceptance={"checks": dict.fromkeys(CHECK_CODES, True), "signed_by": customer.name,
                                "method": "in_person", "at": done.isoformat(), "by": advisor.pk, "notes": ""},
                )  # fmt: skip
                line = ServiceOrderLine(
                    kind=LineKind.LABOUR, name="衣柜、木门安装", payer=Payer.CUSTOMER, consent=Consent.APPROVED,
                    hours=INSTALL_HOURS, rate=RATE, skill="安装", technician=team[0].user,
                    job_status=JobStatus.FINISHED, started_at=created + dt.timedelta(hours=1),
                    finished_at=done - dt.timedelta(minutes=30), self_check_passed=True, added_by=advisor,
                    amount=line_amount(kind=LineKind.LABOUR, hours=INSTALL_HOURS, rate=RATE),
                )  # fmt: skip
                order.consented_total = order_totals([line]).customer_payable
                _stamp(order, created).updated_at = done
                _stamp(line, created + dt.timedelta(minutes=5)).updated_at = line.finished_at
                installations.append(order)
                lines.append(line)
                audited_on = (done + dt.timedelta(days=1)).date()
                recorded = dt.datetime.combine(audited_on, dt.time(16, 0), tzinfo=ZONE)
                audit = Audit(
                    number=numbers.next("DC", store, recorded), branch=store, checklist=checklist, order=order,
                    team=teams[team_number], auditor=people[p.index], audited_on=audited_on,
                    status=AuditStatus.RECORDED, fine_per_violation=checklist.fine_amount,
                    violation_count=violations, fine_total=checklist.fine_amount * violations,
                    created_by=users[p.index],
                )  # fmt: skip
                audits.append(_stamp(audit, recorded))
                picked = [items[(p.index + k + v) % len(items)] for v in range(violations)]
                audit_violations.append([(item, "现场督查发现") for item in picked])
        insert(ServiceOrder, installations, ids=True)
        for order, line in zip(installations, lines, strict=True):
            line.order = order
        for order, audit in zip(installations, audits, strict=True):
            audit.order = order
        insert(ServiceOrderLine, lines)
        insert(Audit, audits, ids=True)
        violation_rows, postings = [], []
        for audit, found in zip(audits, audit_violations, strict=True):
            violation_rows += [Violation(audit=audit, item=item, note=note, fine=audit.fine_per_violation)
                               for item, note in found]  # fmt: skip
            if not found:
                continue
            month = audit.audited_on.replace(day=1)
            team = members[team_number_of[audit.team_id]]
            for share in fine_shares(total=audit.fine_total, members=team, leader=team[0]):
                if share.amount:
                    postings.append(_stamp(AuditPosting(audit=audit, employee=share.employee,
                                                        kind=PostingKind.PENALTY, amount=share.amount, month=month),
                                           audit.created_at))  # fmt: skip
            postings.append(
                _stamp(AuditPosting(audit=audit, employee=audit.auditor, kind=PostingKind.REWARD,
                                    amount=audit.fine_total, month=month), audit.created_at)
            )  # fmt: skip
        insert(Violation, violation_rows)
        insert(AuditPosting, postings)
        numbers.save()
        progress(f"  {code}: {len(installations):,} installation orders, {len(audits):,} audits, "
                 f"{len(violation_rows):,} violations, {len(postings):,} postings")  # fmt: skip
    return _row_counts(store)


def _name(index: int) -> str:
    return SURNAMES[index % len(SURNAMES)] + GIVEN[(index // len(SURNAMES)) % len(GIVEN)] + f"{index // 2000 or ''}"


def _row_counts(store) -> dict[str, int]:
    orders = ServiceOrder.objects.filter(branch=store)
    return {
        "employees": Employee.objects.filter(branch=store, position__code=POSITION, active=True).count(),
        "inspection orders": orders.filter(type="inspection").count(),
        "installation orders": orders.filter(type="installation").count(),
        "audits": Audit.objects.filter(branch=store).count(),
        "violations": Violation.objects.filter(audit__branch=store).count(),
        "postings": AuditPosting.objects.filter(audit__branch=store).count(),
    }


# -- timing ------------------------------------------------------------------------------------------------------------


TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?([a-z_0-9]+)"?', re.IGNORECASE)


class QueryLog:
    """Counts the SQL statements run through Django's connection (`connection.execute_wrapper`), cheaply: each
    statement's first word and first table, not its text."""

    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        match = TABLE.search(sql[:2000])
        self.statements.append(f"{word} {match.group(1)}" if match else word)
        return execute(sql, params, many, context)

    def summary(self) -> dict[str, int]:
        return dict(Counter(self.statements))


def pay_run_timings(*, employees: int, runs: int = 3, warmup: bool = True) -> dict:
    """Time `pay_run_create` for the store of `employees` (seeded) and its month: an unmeasured run first, then
    `runs` timed ones; each run is checked (every employee paid, the total the hand computation's) and cancelled."""

    store = pay_bench_store(employees)
    if store is None:
        raise RuntimeError(f"store {store_code(employees)} is not seeded: run pay_bench_seed first")
    actor = User.objects.get(username=f"bench-pay-hr-{store.code.lower()}")
    # the cancelled runs of earlier benchmark runs go, so that every benchmark starts from the same tables
    earlier = PayRun.objects.filter(branch=store, status=RunStatus.CANCELLED)
    Payslip.objects.filter(run__in=earlier).delete()
    earlier.delete()
    expected = expected_totals(employees)
    expected_total = sum(expected.values(), Decimal("0"))
    results = []
    for number in range(runs + (1 if warmup else 0)):
        log = QueryLog()
        with connection.execute_wrapper(log):
            started = time.perf_counter()
            run = pay_run_create(actor=actor, branch=store, period=MONTH)
            seconds = time.perf_counter() - started
        payslips = dict(
            Payslip.objects.filter(run=run, version=run.version).values_list("employee__employee_no", "total")
        )
        wrong = [
            no for index, total in expected.items() if payslips.get(no := f"{store.code}-{index + 1:05d}") != total
        ]
        pay_run_act(actor=actor, run=run, action="cancel")
        if warmup and number == 0:
            continue
        results.append(
            {
                "seconds": seconds,
                "queries": len(log.statements),
                "statements": log.summary(),
                "payslips": run.employee_count,
                "skipped": len(run.skipped),
                "total": str(run.total),
                "expected_total": str(expected_total),
                "wrong_payslips": len(wrong),
                "wrong_examples": wrong[:5],
            }
        )
        reset_queries()
    return {"store": store.code, "employees": employees, "month": MONTH, "runs": results, "rows": _row_counts(store)}
