"""Bulk data for the service-order benchmark: staff, a parts catalogue and many orders in every status.

A million orders through the services would take hours (each is a dozen transactions), so the orders, their
lines, events, consents, payments and release passes are inserted in bulk, one transaction per chunk
(`bulk_create`; on PostgreSQL `COPY` of the same prepared values, see `insert`). They hold to what the
services would have written:

- numbers `WO-<store>-<day>-NNNN` and `RP-<store>-<day>-NNNN`, unique, counted per store and day, and the
  `DocumentSequence` rows advanced to the last number used, so orders opened later through the services
  continue the count and never collide;
- line amounts from `totals.line_amount`, the consented total and the payments from `totals.order_totals`
  (payments add up to exactly what the customer pays), unit prices defaulting as `line_add` defaults them;
- line, job and part states that match the order's status, and an event for each step the services record
  (create, a `line_added` per line, submit_estimate, approve, dispatch, issue_parts, job_start / job_finish,
  the automatic `status` moves, qc_pass, settle, deliver, cancel), with the services' payloads.

What is not written: the stock ledger is left alone (part lines are issued without a stock move, approved
lines unreserved as when stock was short), and no notifications. See docs/performance.md.

Order number i (counted over the bench stores) is always the same order: it is drawn from a generator seeded
with i, at a fixed point of the timeline (`TIMELINE_START` + i orders at `PER_DAY` a day, in shop hours).
Its status depends on its distance from the newest order asked for: the last day's orders are open at every
step, older ones mostly delivered. Re-running with the same count does nothing; a larger count continues
where the last run stopped (the earlier run's open orders stay open, as stale orders would).
"""

import datetime as dt
import random
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, reset_queries, transaction
from django.db.models import DateField

from aftersales.core.models import DocumentSequence
from aftersales.customers.models import Asset, Customer
from aftersales.org.models import Branch, User
from aftersales.parts.models import Part
from aftersales.parts.services.catalogue import warehouse_default_for
from aftersales.service.choices import Consent, JobStatus, LineKind, OrderStatus, OrderType, PartState, Payer
from aftersales.service.models import OrderConsent, OrderEvent, Payment, ReleasePass, ServiceOrder, ServiceOrderLine
from aftersales.service.totals import line_amount, order_totals
from bench.seed import ADVISOR, _person, bench_branches, bench_people, bench_seed

S = OrderStatus
SEED = 5151
ZONE = ZoneInfo("Asia/Shanghai")
TIMELINE_START = dt.datetime(2023, 11, 1, tzinfo=ZONE)
#: Orders a day over the bench region (about 228 a store with four stores): a million orders span three years.
PER_DAY = 912
SHOP_OPENS, SHOP_HOURS = dt.timedelta(hours=8), dt.timedelta(hours=10)
RATE = Decimal("120.00")
#: Stock put on the first store's shelves for the API walk (`bench.orders`), per walk part.
WALK_STOCK = Decimal("100000")
WALK_PARTS = 8

#: The bench staff of each store: role → how many (the first store's first advisor is bench_seed's `bench-advisor`).
STAFF = {
    "service_advisor": 3,
    "technician": 6,
    "dispatcher": 1,
    "parts_keeper": 1,
    "qc_inspector": 1,
    "cashier": 1,
}
STAFF_NAMES = "王磊 李娜 张伟 刘洋 陈静 杨勇 黄敏 赵强 吴军 周杰 徐涛 孙丽 马超 朱明 胡斌 郭鹏 何飞 高健".split()

#: The bench catalogue: code, name, category, retail price (the warranty price is 70 % of it).
PARTS = (
    ("BSO-OIL-5W30", "全合成机油 5W-30（升）", "油液", "68.00"),
    ("BSO-FLT-OIL", "机油滤清器", "滤清器", "58.00"),
    ("BSO-FLT-AIR", "空气滤清器", "滤清器", "85.00"),
    ("BSO-FLT-CAB", "空调滤清器", "滤清器", "95.00"),
    ("BSO-SPARK", "火花塞", "点火", "75.00"),
    ("BSO-COOLANT", "冷却液（升）", "油液", "45.00"),
    ("BSO-BRK-FLUID", "刹车油（瓶）", "油液", "88.00"),
    ("BSO-WIPER", "雨刮片", "车身", "128.00"),
    ("BSO-BRK-PADF", "前刹车片", "制动", "420.00"),
    ("BSO-BRK-PADR", "后刹车片", "制动", "360.00"),
    ("BSO-BRK-DISC", "前刹车盘", "制动", "680.00"),
    ("BSO-BAT-60", "蓄电池 60Ah", "电器", "680.00"),
    ("BSO-TYRE", "轮胎 225/45R17", "轮胎", "780.00"),
    ("BSO-SHOCK", "前减震器", "悬挂", "950.00"),
    ("BSO-AC-GAS", "空调冷媒（瓶）", "空调", "160.00"),
    ("BSO-BUMPER-F", "前保险杠", "车身", "1850.00"),
    ("BSO-LAMP-F", "前大灯总成", "电器", "2600.00"),
    ("BSO-PAINT", "油漆辅料（套）", "车身", "600.00"),
    ("BSO-PUMP", "水泵", "冷却", "920.00"),
    ("BSO-THERMO", "节温器", "冷却", "260.00"),
    ("BSO-SENSOR-O2", "氧传感器", "电器", "540.00"),
    ("BSO-GASKET", "气门室盖垫", "发动机", "180.00"),
)

#: The jobs of each order type: operation, hours, and the parts it uses (code, quantity).
JOBS = {
    OrderType.MAINTENANCE: (
        ("更换机油机滤", "0.50", (("BSO-OIL-5W30", 4), ("BSO-FLT-OIL", 1))),
        ("更换空气滤清器", "0.30", (("BSO-FLT-AIR", 1),)),
        ("更换空调滤清器", "0.30", (("BSO-FLT-CAB", 1),)),
        ("更换火花塞", "1.00", (("BSO-SPARK", 4),)),
        ("更换刹车油", "0.80", (("BSO-BRK-FLUID", 1),)),
        ("更换冷却液", "0.80", (("BSO-COOLANT", 4),)),
        ("常规保养检查", "0.50", ()),
    ),
    OrderType.REPAIR: (
        ("更换前刹车片", "1.20", (("BSO-BRK-PADF", 1),)),
        ("更换前刹车盘及刹车片", "2.00", (("BSO-BRK-DISC", 2), ("BSO-BRK-PADF", 1))),
        ("更换后刹车片", "1.20", (("BSO-BRK-PADR", 1),)),
        ("更换蓄电池", "0.50", (("BSO-BAT-60", 1),)),
        ("更换雨刮片", "0.20", (("BSO-WIPER", 2),)),
        ("更换轮胎及动平衡", "1.00", (("BSO-TYRE", 2),)),
        ("更换前减震器", "2.50", (("BSO-SHOCK", 2),)),
        ("空调系统检修加注冷媒", "1.50", (("BSO-AC-GAS", 1),)),
        ("检查底盘异响", "1.00", ()),
        ("四轮定位", "1.00", ()),
    ),
    OrderType.ACCIDENT: (
        ("更换前保险杠", "2.00", (("BSO-BUMPER-F", 1), ("BSO-PAINT", 1))),
        ("更换前大灯总成", "1.00", (("BSO-LAMP-F", 1),)),
        ("钣金修复", "3.00", (("BSO-PAINT", 1),)),
        ("局部喷漆", "4.00", (("BSO-PAINT", 1),)),
    ),
    OrderType.WARRANTY: (
        ("更换水泵（三包）", "2.50", (("BSO-PUMP", 1), ("BSO-COOLANT", 4))),
        ("更换节温器（三包）", "1.50", (("BSO-THERMO", 1),)),
        ("更换氧传感器（三包）", "1.00", (("BSO-SENSOR-O2", 1),)),
        ("更换气门室盖垫（三包）", "1.80", (("BSO-GASKET", 1),)),
    ),
}
TYPES = (OrderType.MAINTENANCE, OrderType.REPAIR, OrderType.ACCIDENT, OrderType.WARRANTY)
TYPE_WEIGHTS = (55, 30, 7, 8)
DEFAULT_PAYER = {OrderType.WARRANTY: Payer.WARRANTY, OrderType.ACCIDENT: Payer.INSURANCE}
CONCERNS = {
    OrderType.MAINTENANCE: ("定期保养", "保养，顺便检查轮胎", "保养灯亮了", "做个常规保养，下午要用车"),
    OrderType.REPAIR: ("刹车有异响", "打火困难", "空调不凉", "过减速带咯噔响", "方向盘抖动", "雨刮刮不干净"),
    OrderType.ACCIDENT: ("前杠追尾受损", "右前大灯撞坏", "停车场剐蹭，左侧车门凹陷"),
    OrderType.WARRANTY: ("水温偏高", "发动机故障灯亮", "机油渗漏"),
}
INSURERS = ("中国人保财险", "平安产险", "太平洋产险", "国寿财险")
PAYMENT_METHODS = ("wechat", "alipay", "card", "cash", "transfer")
PAYMENT_WEIGHTS = (45, 20, 20, 10, 5)
CONSENT_METHODS = ("in_person", "phone", "wechat", "signature")

#: Statuses by the order's age in days from the newest order: (age below, [(status, weight)]).
STATUS_BY_AGE = (
    (
        1,
        (
            (S.RECEPTION, 8),
            (S.AWAITING_APPROVAL, 12),
            (S.APPROVED, 8),
            (S.DISPATCHED, 10),
            (S.IN_PROGRESS, 25),
            (S.QUALITY_CHECK, 8),
            (S.COMPLETED, 9),
            (S.SETTLED, 6),
            (S.DELIVERED, 12),
            (S.CANCELLED, 2),
        ),
    ),
    (3, ((S.DELIVERED, 87), (S.SETTLED, 4), (S.COMPLETED, 3), (S.IN_PROGRESS, 2), (S.CANCELLED, 4))),
    (
        30,
        (
            (S.DELIVERED, 94.5),
            (S.CANCELLED, 4),
            (S.IN_PROGRESS, 0.5),
            (S.APPROVED, 0.5),
            (S.COMPLETED, 0.3),
            (S.SETTLED, 0.2),
        ),
    ),
    (None, ((S.DELIVERED, 96), (S.CANCELLED, 4))),
)
#: The full process in order; an order has gone through every status up to its own.
PROCESS = (
    S.RECEPTION,
    S.AWAITING_APPROVAL,
    S.APPROVED,
    S.DISPATCHED,
    S.IN_PROGRESS,
    S.QUALITY_CHECK,
    S.COMPLETED,
    S.SETTLED,
    S.DELIVERED,
)


def reached(status: str, step: str) -> bool:
    """Whether an order in `status` has been through `step` (a cancelled order only through reception/estimate)."""
    return status != S.CANCELLED and PROCESS.index(status) >= PROCESS.index(step)


# -- the bench's people, parts and customers ---------------------------------------------------------------------------


@dataclass
class Store:
    branch: Branch
    warehouse_id: int
    staff: dict[str, list[int]]


@dataclass
class OrdersBench:
    region: Branch
    stores: list[Store]
    parts: dict[str, Part]
    customers: list[tuple[int, int, tuple[int, ...]]] = field(default_factory=list)  # id, branch id, asset ids

    def store(self, branch_id: int) -> Store:
        return next(store for store in self.stores if store.branch.pk == branch_id)


def staff_username(role: str, store: Branch, number: int) -> str:
    if role == "service_advisor" and number == 1 and store.code.endswith("01"):
        return ADVISOR
    return f"bench-{role.replace('_', '-')}-{store.code.lower()}-{number}"


def orders_bench_people(stores: list[Branch]) -> dict[int, dict[str, list[int]]]:
    """Each store's staff (`STAFF`), created when missing; password `bench.seed.PASSWORD`."""
    staff: dict[int, dict[str, list[int]]] = {}
    serial = 0
    for store_number, store in enumerate(stores):
        staff[store.pk] = {}
        for role, count in STAFF.items():
            ids = []
            for number in range(1, count + 1):
                serial += 1
                username = staff_username(role, store, number)
                user = User.objects.filter(username=username, employee__branch=store).first()
                if user is None:  # made once (hashing a password is slow; bench_seed made `bench-advisor`)
                    name = STAFF_NAMES[(serial + store_number) % len(STAFF_NAMES)] + f"{number:02d}"
                    user = _person(
                        username=username,
                        name=name,
                        employee_no=f"BO-{store.code}-{role[:5].upper()}-{number}",
                        branch=store,
                        role=role,
                    )
                ids.append(user.pk)
            staff[store.pk][role] = ids
    return staff


def orders_bench_parts() -> dict[str, Part]:
    existing = {part.code: part for part in Part.objects.filter(code__in=[code for code, *_ in PARTS])}
    missing = [
        Part(
            code=code,
            name=name,
            category=category,
            brand="BENCH",
            unit="个",
            retail_price=Decimal(price),
            warranty_price=(Decimal(price) * Decimal("0.7")).quantize(Decimal("0.01")),
        )
        for code, name, category, price in PARTS
        if code not in existing
    ]
    for part in missing:
        part.full_clean()
    Part.objects.bulk_create(missing)
    return {part.code: part for part in Part.objects.filter(code__in=[code for code, *_ in PARTS])}


def orders_bench_setup(*, stores: int = 4, customers: int = 0, load_customers: bool = True) -> OrdersBench:
    """The bench region and its stores (those of `bench_seed`), their staff and warehouses, the bench parts, and
    at least `customers` bench customers with vehicles (topped up by `bench_seed`)."""
    if customers:
        bench_seed(customers=customers, branches=stores)
    with transaction.atomic():
        region, branches = bench_branches(stores)
        if not customers:  # bench_seed made them otherwise
            bench_people(region, branches)
        staff = orders_bench_people(branches)
        parts = orders_bench_parts()
        store_list = [Store(branch=b, warehouse_id=warehouse_default_for(b).pk, staff=staff[b.pk]) for b in branches]
    bench = OrdersBench(region=region, stores=store_list, parts=parts)
    if load_customers:
        store_ids = [store.branch.pk for store in store_list]
        assets: dict[int, list[int]] = {}
        for asset_id, customer_id in (
            Asset.objects.filter(branch_id__in=store_ids, active=True).order_by("id").values_list("id", "customer_id")
        ):
            assets.setdefault(customer_id, []).append(asset_id)
        bench.customers = [
            (customer_id, branch_id, tuple(assets.get(customer_id, ())))
            for customer_id, branch_id in Customer.objects.filter(branch_id__in=store_ids, active=True)
            .order_by("id")
            .values_list("id", "branch_id")
        ]
    return bench


def bench_order_count(bench: OrdersBench) -> int:
    return ServiceOrder.objects.filter(branch__in=[store.branch for store in bench.stores]).count()


# -- one order, drawn from its number ----------------------------------------------------------------------------------


def timeline_at(serial: int) -> dt.datetime:
    """Order number `serial`'s reception time: `PER_DAY` orders a day, spread over the shop's hours."""
    day, slot = divmod(serial, PER_DAY)
    return TIMELINE_START + dt.timedelta(days=day) + SHOP_OPENS + SHOP_HOURS * slot / PER_DAY


def status_for(rng: random.Random, age_days: float) -> str:
    for limit, weights in STATUS_BY_AGE:
        if limit is None or age_days < limit:
            statuses, chances = zip(*weights, strict=True)
            return rng.choices(statuses, chances)[0]
    raise AssertionError("unreachable")


@dataclass
class Step:
    action: str
    at: dt.datetime
    actor: int | None
    from_status: str = ""
    to_status: str = ""
    payload: dict = field(default_factory=dict)


@dataclass
class Plan:
    """An order before it is written: the order, its lines, and what happened to it."""

    order: ServiceOrder
    lines: list[ServiceOrderLine]
    store: Store
    consent: tuple[str, str] | None = None  # method, by
    payments: list[tuple[str, Decimal]] = field(default_factory=list)
    release_number: str = ""
    cancelled_from: str = ""
    times: dict[str, dt.datetime] = field(default_factory=dict)


class Numbers:
    """Per store, prefix and day counters, as `core.numbers.document_number_next` keeps them."""

    def __init__(self, branch_ids: list[int]):
        self.last = {
            (row.prefix, row.branch_id, row.day): row.last
            for row in DocumentSequence.objects.filter(branch_id__in=branch_ids, prefix__in=("WO", "RP"))
        }
        self.touched: set[tuple[str, int, dt.date]] = set()

    def next(self, prefix: str, branch: Branch, at: dt.datetime) -> str:
        day = at.astimezone(ZONE).date()
        key = (prefix, branch.pk, day)
        self.last[key] = self.last.get(key, 0) + 1
        self.touched.add(key)
        return f"{prefix}-{branch.code}-{day:%Y%m%d}-{self.last[key]:04d}"

    def save(self) -> None:
        rows = [DocumentSequence(prefix=p, branch_id=b, day=d, last=self.last[(p, b, d)]) for p, b, d in self.touched]
        DocumentSequence.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["prefix", "branch", "day"], update_fields=["last"]
        )
        self.touched.clear()


def _lines_for(rng: random.Random, order_type: str) -> list[tuple]:
    """2–4 lines from one or two jobs of the type, each job's labour line followed by its parts:
    ("labour", name, hours) and ("part", code, quantity)."""
    jobs = rng.sample(JOBS[order_type], 2 if rng.random() < 0.35 else 1)
    lines: list[tuple] = []
    for name, hours, parts in jobs:
        lines.append(("labour", name, Decimal(hours)))
        lines += [("part", code, Decimal(quantity)) for code, quantity in parts]
    if len(lines) < 2:  # a check alone: the customer also has the oil changed
        name, hours, parts = JOBS[OrderType.MAINTENANCE][0]
        lines += [("labour", name, Decimal(hours))] + [("part", c, Decimal(q)) for c, q in parts]
    while len(lines) > 4:  # at most two labour lines, so a part line is always there to drop
        lines.pop(max(i for i, line in enumerate(lines) if line[0] == "part"))
    return lines


def order_plan(bench: OrdersBench, numbers: Numbers, serial: int, newest: int) -> Plan:
    """Order number `serial` (0-based) of a set whose newest is number `newest`: always the same order."""
    rng = random.Random(SEED * 1_000_003 + serial)
    created = timeline_at(serial)
    customer_id, branch_id, asset_ids = bench.customers[rng.randrange(len(bench.customers))]
    store = bench.store(branch_id)
    order_type = rng.choices(TYPES, TYPE_WEIGHTS)[0]
    status = status_for(rng, (newest - serial) / PER_DAY)
    advisor = rng.choice(store.staff["service_advisor"])
    minutes = dt.timedelta(minutes=1)
    times = {"create": created}
    times["submit_estimate"] = created + rng.randint(10, 40) * minutes
    times["approve"] = times["submit_estimate"] + rng.randint(5, 60) * minutes
    times["dispatch"] = times["approve"] + rng.randint(2, 30) * minutes
    times["issue_parts"] = times["dispatch"] + rng.randint(2, 20) * minutes
    times["start"] = times["issue_parts"] + rng.randint(2, 30) * minutes
    order = ServiceOrder(
        number=numbers.next("WO", store.branch, created),
        branch=store.branch,
        type=order_type,
        status=status,
        customer_id=customer_id,
        asset_id=rng.choice(asset_ids) if asset_ids else None,
        advisor_id=advisor,
        created_by_id=advisor,
        mileage=rng.randrange(3_000, 180_000, 7),
        fuel=rng.choice(("25", "50", "50", "75", "100")),
        concerns=rng.choice(CONCERNS[order_type]),
        walkaround={"exterior": rng.choice(([], ["左后门划痕"], ["前杠擦伤"], [])), "valuables": "已提醒"},
        valuables_acknowledged=True,
        promised_at=created + dt.timedelta(hours=rng.choice((2, 4, 6, 24, 30))),
        insurer=rng.choice(INSURERS) if order_type == OrderType.ACCIDENT else "",
        warehouse_id=store.warehouse_id,
        created_at=created,
        updated_at=created,
    )
    plan = Plan(order=order, lines=[], store=store, times=times)
    if status == S.CANCELLED:
        plan.cancelled_from = rng.choice((S.RECEPTION, S.AWAITING_APPROVAL, S.AWAITING_APPROVAL))
        times["cancel"] = times["submit_estimate"] + rng.randint(10, 120) * minutes
        order.cancel_reason = rng.choice(("客户不同意报价", "客户改约", "客户自行处理"))
    payer = DEFAULT_PAYER.get(order_type, Payer.CUSTOMER)
    technicians = store.staff["technician"]
    clock = times["start"]
    first_job = True
    for number, (kind, what, amount) in enumerate(_lines_for(rng, order_type)):
        line_payer = payer
        if payer == Payer.CUSTOMER and rng.random() < 0.05:
            line_payer = rng.choice((Payer.GOODWILL, Payer.INTERNAL))
        line = ServiceOrderLine(
            kind=kind,
            payer=line_payer,
            consent=Consent.APPROVED if reached(status, S.APPROVED) else Consent.ESTIMATE,
            added_by_id=advisor,
            created_at=created + (number + 1) * 2 * minutes,
        )
        if kind == LineKind.LABOUR:
            line.name, line.hours, line.rate = what, amount, RATE
            line.amount = line_amount(kind=kind, hours=line.hours, rate=line.rate)
            line.job_status = JobStatus.UNASSIGNED
            if reached(status, S.DISPATCHED):
                line.technician_id, line.job_status = rng.choice(technicians), JobStatus.ASSIGNED
            if reached(status, S.QUALITY_CHECK) or (status == S.IN_PROGRESS and first_job):
                line.started_at = clock
                line.job_status = JobStatus.IN_PROGRESS
            first_job = False
            if reached(status, S.QUALITY_CHECK):
                clock = clock + dt.timedelta(hours=float(line.hours)) + rng.randint(0, 20) * minutes
                line.finished_at, line.job_status = clock, JobStatus.FINISHED
                line.self_check_passed, line.self_check_notes = True, rng.choice(("", "已自检", "路试正常"))
        else:
            part = bench.parts[what]
            line.part, line.name, line.quantity = part, part.name, amount
            line.unit_price = part.warranty_price if line_payer == Payer.WARRANTY else part.retail_price
            line.amount = line_amount(kind=kind, quantity=line.quantity, unit_price=line.unit_price)
            line.part_state = PartState.ISSUED if reached(status, S.IN_PROGRESS) else PartState.NOT_RESERVED
        line.updated_at = line.created_at
        plan.lines.append(line)
    totals = order_totals(plan.lines)
    times["quality_check"] = clock
    times["qc_pass"] = clock + rng.randint(5, 40) * minutes
    times["settle"] = max(times["qc_pass"], order.promised_at - dt.timedelta(minutes=30)) + rng.randint(1, 30) * minutes
    times["deliver"] = times["settle"] + rng.randint(5, 60 * 20) * minutes
    if reached(status, S.APPROVED):
        order.consented_total = totals.customer_payable
        order.approved_at = times["approve"]
        plan.consent = (rng.choice(CONSENT_METHODS), rng.choice(("车主本人", "车主家属", "车队负责人")))
    if reached(status, S.COMPLETED):
        order.completed_at = times["qc_pass"]
    if reached(status, S.SETTLED):
        order.settled_at = times["settle"]
        payable = totals.customer_payable
        if payable > 0:
            if payable > 100 and rng.random() < 0.3:
                first = (payable * Decimal(rng.choice(("0.5", "0.8")))).quantize(Decimal("0.01"))
                plan.payments = [("wechat", first), ("cash", payable - first)]
            else:
                plan.payments = [(rng.choices(PAYMENT_METHODS, PAYMENT_WEIGHTS)[0], payable)]
    if reached(status, S.DELIVERED):
        order.delivered_at = times["deliver"]
        plan.release_number = numbers.next("RP", store.branch, times["deliver"])
    last = {
        S.RECEPTION: "create",
        S.AWAITING_APPROVAL: "submit_estimate",
        S.APPROVED: "approve",
        S.DISPATCHED: "dispatch",
        S.IN_PROGRESS: "start",
        S.QUALITY_CHECK: "quality_check",
        S.COMPLETED: "qc_pass",
        S.SETTLED: "settle",
        S.DELIVERED: "deliver",
        S.CANCELLED: "cancel",
    }[status]
    order.updated_at = times[last]
    return plan


def order_steps(plan: Plan) -> list[Step]:
    """The events the services would have recorded, in order (line ids must be known)."""
    order, status, times = plan.order, plan.order.status, plan.times
    advisor, staff = order.advisor_id, plan.store.staff
    labour = [line for line in plan.lines if line.kind == LineKind.LABOUR]
    parts = [line for line in plan.lines if line.kind == LineKind.PART]
    steps = [Step("create", times["create"], advisor, to_status=S.RECEPTION, payload={"type": order.type})]
    for line in plan.lines:
        payload = {
            "line": line.pk,
            "kind": line.kind,
            "name": line.name,
            "payer": line.payer,
            "amount": str(line.amount),
            "consent": Consent.ESTIMATE,
        }
        steps.append(Step("line_added", line.created_at, advisor, payload=payload))
    estimate = order_totals([{**_money(line), "consent": Consent.ESTIMATE} for line in plan.lines])
    submitted = reached(status, S.AWAITING_APPROVAL) or plan.cancelled_from == S.AWAITING_APPROVAL
    if submitted:
        payload = {"total": str(estimate.total), "customer_payable": str(estimate.customer_payable)}
        steps.append(
            Step("submit_estimate", times["submit_estimate"], advisor, S.RECEPTION, S.AWAITING_APPROVAL, payload)
        )
    if plan.cancelled_from:
        before = S.AWAITING_APPROVAL if submitted else S.RECEPTION
        payload = {"reason": order.cancel_reason, "released": [], "returned": []}
        steps.append(Step("cancel", times["cancel"], advisor, before, S.CANCELLED, payload))
        return steps
    if reached(status, S.APPROVED):
        method, by = plan.consent
        payload = {
            "method": method,
            "by": by,
            "lines": [line.pk for line in plan.lines],
            "total": str(order.consented_total),
            "reserved": [],
        }
        steps.append(Step("approve", times["approve"], advisor, S.AWAITING_APPROVAL, S.APPROVED, payload))
    if reached(status, S.DISPATCHED):
        payload = {"assignments": [{"line": line.pk, "technician": line.technician_id} for line in labour]}
        steps.append(Step("dispatch", times["dispatch"], staff["dispatcher"][0], S.APPROVED, S.DISPATCHED, payload))
    if reached(status, S.IN_PROGRESS) and parts:
        payload = {"lines": [line.pk for line in parts]}
        keeper = staff["parts_keeper"][0]
        steps.append(Step("issue_parts", times["issue_parts"], keeper, S.DISPATCHED, S.DISPATCHED, payload))
    if reached(status, S.IN_PROGRESS):
        jobs = []
        for line in labour:
            if line.started_at:
                jobs.append((line.started_at, "job_start", line, JobStatus.ASSIGNED, JobStatus.IN_PROGRESS))
            if line.finished_at:
                jobs.append((line.finished_at, "job_finish", line, JobStatus.IN_PROGRESS, JobStatus.FINISHED))
        jobs.sort(key=lambda job: (job[0], job[1] == "job_start"))
        current = S.DISPATCHED
        for at, action, line, before, after in jobs:
            payload = {"line": line.pk, "job": action[4:], "from": before, "to": after}
            if action == "job_finish":
                payload["self_check"] = {"passed": True, "notes": line.self_check_notes}
            steps.append(Step(action, at, line.technician_id, payload=payload))
            if current == S.DISPATCHED:
                steps.append(Step("status", at, line.technician_id, S.DISPATCHED, S.IN_PROGRESS))
                current = S.IN_PROGRESS
        if reached(status, S.QUALITY_CHECK):
            last_tech = labour[-1].technician_id if labour else None
            steps.append(Step("status", times["quality_check"], last_tech, S.IN_PROGRESS, S.QUALITY_CHECK))
    if reached(status, S.COMPLETED):
        steps.append(
            Step("qc_pass", times["qc_pass"], staff["qc_inspector"][0], S.QUALITY_CHECK, S.COMPLETED, {"notes": ""})
        )
    if reached(status, S.SETTLED):
        payload = {
            "customer_payable": str(order.consented_total),
            "payments": [{"method": method, "amount": str(amount)} for method, amount in plan.payments],
        }
        steps.append(Step("settle", times["settle"], staff["cashier"][0], S.COMPLETED, S.SETTLED, payload))
    if reached(status, S.DELIVERED):
        payload = {"release_pass": plan.release_number}
        steps.append(Step("deliver", times["deliver"], advisor, S.SETTLED, S.DELIVERED, payload))
    return steps


def _money(line: ServiceOrderLine) -> dict:
    return {"kind": line.kind, "payer": line.payer, "amount": line.amount}


# -- writing -----------------------------------------------------------------------------------------------------------


@contextmanager
def historic_times(*models):
    """Let `bulk_create` keep the given `created_at` / `updated_at` (auto_now and auto_now_add set them to now)."""
    fields = [
        f
        for model in models
        for f in model._meta.concrete_fields
        if isinstance(f, DateField) and (f.auto_now or f.auto_now_add)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


TIMED_MODELS = (ServiceOrder, ServiceOrderLine, OrderEvent, OrderConsent, Payment, ReleasePass)


EVENT_FIELDS = ("order_id", "action", "from_status", "to_status", "actor_id", "created_at", "payload")


def insert(model, objects: list, *, ids: bool = False) -> None:
    """Insert model instances: `bulk_create`, or on PostgreSQL `COPY` (2–3 times faster for a million orders),
    with the same values (each field's `get_db_prep_save`, as `bulk_create` prepares them). With `ids`, the
    instances get their primary keys first (from the table's own sequence), as `bulk_create` returns them."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=1000)
        return
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, len(objects)],
            )
            for instance, (pk,) in zip(objects, cursor.fetchall(), strict=True):
                instance.pk = pk
    fields = [f for f in model._meta.concrete_fields if ids or not f.primary_key]
    rows = ([f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields] for o in objects)
    copy_rows(model, [f.column for f in fields], rows)
    for instance in objects:  # saved, as bulk_create leaves them
        instance._state.adding, instance._state.db = False, connection.alias


def copy_rows(model, columns: list[str], rows) -> None:
    quote = connection.ops.quote_name
    statement = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def insert_events(rows: list[tuple]) -> None:
    """Events as plain tuples of `EVENT_FIELDS` (the bulk of the rows: no model instance each on PostgreSQL)."""
    if connection.vendor != "postgresql":
        OrderEvent.objects.bulk_create([OrderEvent(**dict(zip(EVENT_FIELDS, row, strict=True))) for row in rows])
        return
    from psycopg.types.json import Jsonb

    columns = [OrderEvent._meta.get_field(name).column for name in EVENT_FIELDS]
    copy_rows(OrderEvent, columns, ((*row[:-1], Jsonb(row[-1])) for row in rows))


def write_plans(plans: list[Plan]) -> dict[str, int]:
    """Write a chunk of planned orders with everything they carry; counts of the rows written."""
    orders = [plan.order for plan in plans]
    plans[0].order.full_clean(exclude=["number", "customer", "asset", "advisor", "created_by", "warehouse"])
    insert(ServiceOrder, orders, ids=True)
    lines = []
    for plan in plans:
        for line in plan.lines:
            line.order_id = plan.order.pk
            lines.append(line)
    insert(ServiceOrderLine, lines, ids=True)
    lines[0].full_clean(exclude=["order", "technician", "part", "added_by"])
    events, consents, payments, passes = [], [], [], []
    for plan in plans:
        order = plan.order
        events += [
            (order.pk, step.action, step.from_status, step.to_status, step.actor, step.at, step.payload)
            for step in order_steps(plan)
        ]
        if plan.consent:
            method, by = plan.consent
            consents.append(
                OrderConsent(
                    order_id=order.pk,
                    method=method,
                    by=by,
                    total=order.consented_total,
                    lines=[line.pk for line in plan.lines],
                    recorded_by_id=order.advisor_id,
                    created_at=plan.times["approve"],
                )
            )
        cashier = plan.store.staff["cashier"][0]
        payments += [
            Payment(
                order_id=order.pk, method=method, amount=amount, received_by_id=cashier, created_at=plan.times["settle"]
            )
            for method, amount in plan.payments
        ]
        if plan.release_number:
            passes.append(
                ReleasePass(
                    order_id=order.pk,
                    number=plan.release_number,
                    issued_by_id=order.advisor_id,
                    created_at=plan.times["deliver"],
                )
            )
    insert_events(events)
    insert(OrderConsent, consents)
    insert(Payment, payments)
    insert(ReleasePass, passes)
    return {
        "orders": len(orders),
        "lines": len(lines),
        "events": len(events),
        "consents": len(consents),
        "payments": len(payments),
        "release_passes": len(passes),
    }


def walk_stock(bench: OrdersBench) -> None:
    """The first store's shelves hold `WALK_STOCK` of each walk part (received through `stock_receive`)."""
    from aftersales.parts.models import StockBalance, Warehouse
    from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive

    store = bench.stores[0]
    keeper = User.objects.get(pk=store.staff["parts_keeper"][0])
    lines = []
    for code, *_rest in PARTS[:WALK_PARTS]:
        part = bench.parts[code]
        balance = StockBalance.objects.filter(part=part, warehouse_id=store.warehouse_id).first()
        on_hand = balance.available if balance else Decimal(0)
        if on_hand < WALK_STOCK / 2:
            cost = (part.retail_price * Decimal("0.6")).quantize(Decimal("0.01"))
            lines.append(ReceiptLineIn(part=part, quantity=WALK_STOCK - on_hand, unit_cost=cost))
    if lines:
        stock_receive(actor=keeper, warehouse=Warehouse.objects.get(pk=store.warehouse_id), lines=lines)


@dataclass(frozen=True)
class SeedResult:
    orders_before: int
    orders_created: int
    rows: dict[str, int]
    seconds: float


def orders_seed(
    *,
    orders: int,
    customers: int | None = None,
    stores: int = 4,
    batch: int = 2000,
    progress: Callable[[int, int, dict], None] | None = None,
) -> SeedResult:
    """Top the bench stores up to `orders` service orders (see the module's docstring); never deletes."""
    import time

    if orders < 0 or stores < 1 or batch < 1:
        raise ValueError("orders must be ≥ 0, stores and batch ≥ 1")
    started = time.perf_counter()
    customers = customers if customers is not None else max(1000, orders // 10)
    bench = orders_bench_setup(stores=stores, customers=customers)
    if not bench.customers:
        raise RuntimeError("no bench customers: run bench_seed first")
    walk_stock(bench)
    before = bench_order_count(bench)
    rows = dict.fromkeys(("orders", "lines", "events", "consents", "payments", "release_passes"), 0)
    numbers = Numbers([store.branch.pk for store in bench.stores])
    newest = orders - 1
    for first in range(before, orders, batch):
        size = min(batch, orders - first)
        plans = [order_plan(bench, numbers, serial, newest) for serial in range(first, first + size)]
        with transaction.atomic(), historic_times(*TIMED_MODELS):
            written = write_plans(plans)
            numbers.save()
        for key, value in written.items():
            rows[key] += value
        reset_queries()
        if progress:
            progress(first + size, orders, rows)
    if rows["orders"] and connection.vendor == "postgresql" and connection.get_autocommit():
        # Statistics for the planner, and the visibility map a fresh bulk load lacks (index-only scans need it).
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM (ANALYZE) service_serviceorder, service_serviceorderline, service_orderevent, "
                "service_orderconsent, service_payment, service_releasepass, core_documentsequence"
            )
    return SeedResult(
        orders_before=before, orders_created=rows["orders"], rows=rows, seconds=time.perf_counter() - started
    )
