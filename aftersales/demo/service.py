"""The demo service orders: a day in the life of the BJ01 workshop, and the installation team of BJ02.

About 25 orders at BJ01 stand at every step of the seven steps, each taken there through the service-order
services by the demo person whose job the step is: the advisor (张伟, some 刘芳) opens, estimates, records the
customer's consent and delivers; the storekeeper (韩雪) issues the parts; the dispatcher (杨磊) assigns the jobs;
the technicians (赵军, 吴勇, 孙涛) start, pause and finish them; the inspector (徐刚) passes or fails the quality
check; the cashier (朱娟) settles. Among them: a walk-around damage list at reception, a job paused waiting for
parts, a failed quality check being reworked, a cancelled order whose issued parts went back on the shelf, a line
added after consent that waits for the customer (the advisor has a `consent_needed` notification), an order past
its promised time (starting its work warned the advisor of the delay), a warranty order and an accident order
with its insurer. At BJ02: a charger installation in progress, and two after-sales inspections by the installation supervisor
(梁飞), one completed with its report.

Labour lines take the branch's hourly rate; part lines come from the demo catalogue, and only while the
warehouse has the stock available (the first candidate part that is; none: the line is left out), so that the
demo never leaves a shortage behind. The orders carry today's timestamps (the services set them).

Idempotent: an order is known by its branch and the customer's concerns, which differ from story to story; a
story whose order exists is skipped.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from aftersales.customers.models import Asset
from aftersales.org.models import User
from aftersales.parts.models import Part, StockBalance
from aftersales.service.choices import LineKind, OrderType, PauseReason
from aftersales.service.models import ServiceOrder
from aftersales.service.services.jobs import job_act
from aftersales.service.services.lines import line_add
from aftersales.service.services.orders import order_act, order_create
from aftersales.service.totals import order_totals

#: The steps of the full process, in order; a story stops after its `until` ("open": no lines yet, "lines": the
#: estimate is being written).
STEPS = ("open", "lines", "submit", "approve", "issue", "dispatch", "start", "finish", "qc", "settle", "deliver")


@dataclass(frozen=True)
class Job:
    """A labour line: the operation, its hours (at the branch's rate) and who works it."""

    name: str
    hours: str
    technician: str = "tech1"
    skill: str = "机修"
    payer: str = ""


@dataclass(frozen=True)
class Item:
    """A part line: the first of `parts` (catalogue codes) with `quantity` available in the order's warehouse."""

    parts: tuple[str, ...]
    quantity: int = 1
    payer: str = ""


@dataclass(frozen=True)
class Story:
    """One demo order: the customer's concerns (its key), its vehicle, its lines, and the step it stops after."""

    concerns: str
    until: str
    model: str = ""  # the vehicle model wanted (its parts fit); any vehicle when none is left
    type: str = OrderType.MAINTENANCE
    jobs: tuple[Job, ...] = ()
    items: tuple[Item, ...] = ()
    twist: str = ""  # pause | rework | cancel | added | late (promised in the past: starting work warns the advisor)
    added: tuple[Job | Item, ...] = ()  # lines added after consent (twist "added")
    promised: float = 2  # hours from now, at least an hour more than the jobs take (but for a late story)
    advisor: str = "advisor"
    walkaround: tuple[tuple[str, str], ...] = ()  # (area, damage)
    insurer: str = ""
    fuel: str = "50"
    consent: str = "in_person"
    payments: tuple[str, ...] = ("wechat",)  # methods; the last one takes what the others leave
    reason: str = ""  # why cancelled, or what the quality check found


OIL_CHANGE = "更换机油机滤"
# fmt: off
BJ01_STORIES = (
    # reception (接待)
    Story("常规保养，顾客在休息区等候", "open", model="帕萨特", fuel="75"),
    Story(
        "右后视镜电动折叠失灵，顺便做保养", "lines", model="凯美瑞", fuel="25", promised=5,
        walkaround=(("前保险杠", "右侧划痕约8cm"), ("右后车门", "凹陷一处，直径约3cm"), ("左前轮毂", "路沿擦伤")),
        jobs=(Job("检查右后视镜折叠电机及线路", "0.5", skill="电器"), Job(OIL_CHANGE, "0.8")),
        items=(Item(("OIL-HX7-5W30",), 4), Item(("0986AF0287",))),
    ),
    Story(
        "空调制冷效果差，出风口有异味", "lines", model="雅阁", advisor="advisor2",
        jobs=(Job("空调系统检测", "0.5", skill="空调"), Job("清洗空调蒸发箱", "1.0", skill="空调")),
        items=(Item(("0986AF5392",)),),
    ),
    # awaiting approval (诊断/报价 sent)
    Story(
        "刹车时有尖锐异响，仪表提示刹车片磨损", "submit", model="迈腾", consent="phone",
        jobs=(Job("更换前刹车片", "1.2"), Job("更换刹车油", "0.8")),
        items=(Item(("0986494929",)), Item(("1987479107",))),
    ),
    Story(
        "高速方向盘跑偏，前轮胎内侧偏磨", "submit", model="卡罗拉", advisor="advisor2",
        jobs=(Job("四轮定位", "1.0"), Job("轮胎换位及动平衡", "0.8")),
        items=(Item(("MI-2056016-EP",), 2),),
    ),
    # approved: parts reserved
    Story(
        "5000公里常规保养，更换空调滤", "approve", model="君越", consent="wechat",
        jobs=(Job(OIL_CHANGE, "0.8"), Job("更换空调滤清器", "0.3")),
        items=(Item(("OIL-DEXOS1-0W20",), 4), Item(("55594651",)), Item(("23388785",))),
    ),
    Story(
        "雨刮刮不干净，玻璃水不足", "approve", model="CR-V", promised=2,
        jobs=(Job("更换前雨刮片", "0.3"), Job("添加玻璃水", "0.2")),
        items=(Item(("3397008536",)), Item(("3397008533",)), Item(("WASH-25-2L",))),
    ),
    # dispatched
    Story(
        "6万公里保养，火花塞到期更换", "dispatch", model="迈腾",
        jobs=(Job(OIL_CHANGE, "0.8"), Job("更换火花塞", "1.0")),
        items=(Item(("OIL-HX8-0W20",), 5), Item(("0986AF0253",)), Item(("0242135524",), 4)),
    ),
    Story(
        "左前大灯不亮", "dispatch", model="轩逸", promised=2, advisor="advisor2",
        jobs=(Job("大灯电路检测", "0.5", "tech2", "电器"), Job("更换大灯灯泡", "0.3", "tech2", "电器")),
        items=(Item(("LMP-H7-OSRAM",)),),
    ),
    # in progress
    Story(
        "发动机怠速抖动，故障灯亮", "start", model="A6L", promised=6,
        jobs=(Job("发动机故障诊断", "1.0", "tech2"), Job("清洗节气门及喷油嘴", "0.8", "tech2")),
        items=(Item(("CHM-THROTTLE",)), Item(("CHM-FUEL-CLEAN",))),
    ),
    Story(
        "发动机前部异响，正时皮带到期（10万公里）", "start", model="凯美瑞", twist="pause", promised=7,
        jobs=(Job("更换正时皮带套装", "3.5"), Job("更换多楔带", "0.5")),
        items=(Item(("BLT-TOYOTA-TB",)), Item(("1987947950",))),
    ),
    # quality check
    Story(
        "常规保养，检查刹车系统", "finish", model="帕萨特", promised=1,
        jobs=(Job(OIL_CHANGE, "0.8"), Job("刹车系统检查", "0.3")),
        items=(Item(("OIL-HX8-0W20",), 4), Item(("0986AF0253",))),
    ),
    Story(
        "车内有霉味，更换空调滤", "finish", model="雅阁", promised=1, advisor="advisor2",
        jobs=(Job("更换空调滤清器", "0.3", "tech2", "空调"), Job("空调管路杀菌除味", "0.5", "tech2", "空调")),
        items=(Item(("0986AF5392",)),),
    ),
    # failed the quality check, being reworked (返工)
    Story(
        "过减速带底盘咯噔异响", "finish", model="迈腾", twist="rework", promised=3,
        jobs=(Job("更换前减震器", "2.5", "tech2"), Job("四轮定位", "1.0", "tech2")),
        items=(Item(("SHK-5Q0413031",), 2),),
        reason="试车仍有异响：右前减震器上座螺栓未按规定扭矩紧固",
    ),
    # completed (passed the quality check)
    Story(
        "刹车灯和后示宽灯不亮", "qc", model="卡罗拉", promised=1,
        jobs=(Job("更换刹车灯及示宽灯泡", "0.3", skill="电器"),),
        items=(Item(("LMP-P21-5W",)), Item(("LMP-W5W",), 2)),
    ),
    Story(
        "2万公里保养，加燃油系统清洗", "qc", model="CR-V", promised=2,
        jobs=(Job(OIL_CHANGE, "0.8", "tech2"), Job("燃油系统清洗", "0.5", "tech2")),
        items=(Item(("OIL-HX7-5W30",), 4), Item(("0986AF0287",)), Item(("CHM-FUEL-CLEAN",))),
    ),
    # settled
    Story(
        "冷车启动皮带尖叫", "settle", model="君越", promised=1, payments=("card",),
        jobs=(Job("更换发电机皮带", "0.8"),),
        items=(Item(("12637196",)),),
    ),
    Story(
        "前轮胎鼓包，更换两条前轮胎", "settle", model="5系", promised=1, payments=("alipay",), advisor="advisor2",
        jobs=(Job("更换轮胎及动平衡", "0.6", "tech2"), Job("四轮定位", "1.0", "tech2")),
        items=(Item(("MI-2255018-P4",), 2),),
    ),
    # delivered, with release passes (放行条)
    Story(
        "3万公里保养，更换空气滤", "deliver", model="迈腾", promised=1,
        jobs=(Job(OIL_CHANGE, "0.8"), Job("更换空气滤清器", "0.3")),
        items=(Item(("OIL-HX8-0W20",), 5), Item(("0986AF0253",)), Item(("0986AF2260",))),
    ),
    Story(
        "刹车踏板发软，前刹车片磨损到限", "deliver", model="凯美瑞", promised=1, payments=("cash", "wechat"),
        jobs=(Job("更换前刹车片", "1.2"),),
        items=(Item(("0986AB1398",)),),
    ),
    Story(
        "空调不制冷", "deliver", model="雅阁", promised=1, payments=("card",), consent="signature",
        jobs=(Job("空调系统检测", "0.5", "tech2", "空调"), Job("空调抽真空加注制冷剂", "1.0", "tech2", "空调")),
        items=(Item(("AC-R1234YF",)),),
    ),
    # cancelled after the parts were issued: they go back on the shelf
    Story(
        "电瓶亏电，早上无法启动", "issue", model="轩逸", twist="cancel",
        jobs=(Job("蓄电池检测及更换", "0.5", skill="电器"),),
        items=(Item(("0092S40040",)),),
        reason="顾客决定先充电观察，暂不更换蓄电池",
    ),
    # a line added after consent (增项), waiting for the customer
    Story(
        "常规保养，顺便检查底盘", "start", model="帕萨特", twist="added", promised=3,
        jobs=(Job(OIL_CHANGE, "0.8"),),
        items=(Item(("OIL-HX8-0W20",), 4), Item(("0986AF0253",))),
        added=(Job("更换后刹车片", "1.0"), Item(("0986494931",))),
    ),
    # late: the promised time has passed
    Story(
        "变速箱换挡顿挫", "start", model="A6L", twist="late", promised=-1.5, consent="phone",
        jobs=(Job("更换双离合变速箱油", "1.5", "tech2"), Job("变速箱自适应匹配", "0.5", "tech2")),
        items=(Item(("ATF-DSG-G052182",), 4),),
    ),
    # warranty: the maker pays, the customer only for the washer fluid
    Story(
        "发动机故障灯亮、加速无力（保修期内）", "settle", model="迈腾", type=OrderType.WARRANTY, promised=2,
        jobs=(Job("发动机失火故障诊断", "0.5"), Job("更换火花塞", "1.0")),
        items=(Item(("0242135524",), 4), Item(("WASH-25-2L",), payer="customer")),
    ),
    # accident repair, the insurer pays
    Story(
        "倒车时左前门被剐蹭，走保险理赔", "start", model="卡罗拉", type=OrderType.ACCIDENT, promised=28,
        insurer="中国人民财产保险北京分公司", fuel="75",
        walkaround=(("左前门", "凹陷约15cm，漆面破损"), ("左前翼子板", "划痕")),
        jobs=(Job("钣金修复左前门", "3.0", "tech3", "钣喷"), Job("左前门及翼子板喷漆", "2.5", "tech3", "钣喷")),
    ),
)
# fmt: on
INSTALLATION = Story(
    "安装家用7kW交流充电桩（地下车库）",
    "start",
    model="汉EV",
    type=OrderType.INSTALLATION,
    promised=6,
    advisor="advisor3",
    fuel="",
    jobs=(
        Job("充电桩现场勘测及布线", "2.0", "installer1", "安装"),
        Job("安装调试家用充电桩", "1.5", "installer1", "安装"),
    ),
)
INSPECTIONS = (
    # concerns, report (empty: not visited yet)
    (
        "售后检查：充电桩安装质量回访",
        "安装规范，接地电阻3.2Ω合格，漏电保护动作正常，线缆固定牢固；客户满意，已签字确认。",
    ),
    ("售后检查：行车记录仪加装线路走线检查", ""),
)


#: The demo people (`seed.PEOPLE`) who take the orders' steps.
CAST = ("advisor", "advisor2", "advisor3", "storekeeper", "dispatcher", "tech1", "tech2", "tech3", "qc", "cashier")
CAST += ("install", "installer1")


class _Cast:
    """The demo people by user name, and the vehicles each branch's stories take in turn."""

    def __init__(self, branches):
        self.users = User.objects.in_bulk(CAST, field_name="username")
        self.vehicles = {
            code: list(
                Asset.objects.filter(kind="vehicle", customer__branch=branches[code])
                .select_related("customer")
                .order_by("id")
            )
            for code in ("BJ01", "BJ02")
        }
        self.used: set[int] = set()

    def __getitem__(self, username: str) -> User:
        return self.users[username]

    def vehicle(self, branch_code: str, model: str) -> Asset:
        free = [v for v in self.vehicles[branch_code] if v.pk not in self.used]
        vehicle = next((v for v in free if v.model == model), free[0])
        self.used.add(vehicle.pk)
        return vehicle


def _promised(hours: float) -> datetime.datetime:
    """`hours` from now, on the half hour."""
    moment = timezone.localtime() + datetime.timedelta(hours=hours)
    moment = moment.replace(second=0, microsecond=0) + datetime.timedelta(minutes=(30 - moment.minute % 30) % 30)
    return moment


def _available_part(order, item: Item, parts: dict[str, Part]) -> Part | None:
    for code in item.parts:
        part = parts.get(code)
        balance = part and StockBalance.objects.filter(part=part, warehouse=order.warehouse).first()
        if balance is not None and balance.available >= item.quantity:
            return part
    return None


def _add(actor, order, line: Job | Item, parts) -> object | None:
    if isinstance(line, Job):
        return line_add(
            actor=actor,
            order=order,
            kind=LineKind.LABOUR,
            name=line.name,
            hours=line.hours,
            skill=line.skill,
            payer=line.payer,
        )
    part = _available_part(order, line, parts)
    if part is None:
        return None
    return line_add(actor=actor, order=order, kind=LineKind.PART, part=part, quantity=line.quantity, payer=line.payer)


def _installation_team(branch):
    from aftersales.org.choices import TeamKind
    from aftersales.org.models import Team

    return Team.objects.filter(branch=branch, kind=TeamKind.INSTALLATION, active=True).order_by("id").first()


def _tell(story: Story, branch, cast: _Cast, parts: dict[str, Part], number: int) -> ServiceOrder:
    """Open the story's order and take it through the steps up to `story.until`, each as the person whose step it is."""
    advisor = cast[story.advisor]
    vehicle = cast.vehicle(branch.code, story.model)
    hours = float(sum(Decimal(job.hours) for job in story.jobs))
    walkaround = {"items": [{"area": a, "damage": d} for a, d in story.walkaround], "photos": []}
    order = order_create(
        actor=advisor,
        branch=branch,
        customer=vehicle.customer,
        asset=vehicle,
        type=story.type,
        mileage=(vehicle.mileage or 0) + 120 + 37 * number,
        concerns=story.concerns,
        promised_at=_promised(story.promised if story.twist == "late" else max(story.promised, hours + 1)),
        fuel=story.fuel,
        walkaround=walkaround if story.walkaround else None,
        valuables_acknowledged=True,
        insurer=story.insurer,
        team=_installation_team(branch) if story.type == OrderType.INSTALLATION else None,
    )
    reached = STEPS.index(story.until)

    def due(step: str) -> bool:
        return STEPS.index(step) <= reached

    def act(actor, action, **data):
        nonlocal order
        order = order_act(actor=cast[actor] if isinstance(actor, str) else actor, order=order, action=action, data=data)

    if not due("lines"):
        return order
    lines = [_add(advisor, order, line, parts) for line in (*story.jobs, *story.items)]
    jobs = list(zip(lines[: len(story.jobs)], story.jobs, strict=True))
    if not due("submit"):
        return order
    act(advisor, "submit_estimate")
    if not due("approve"):
        return order
    act(advisor, "approve", method=story.consent, by=vehicle.customer.name)
    has_parts = any(line is not None for line in lines[len(story.jobs) :])
    if due("issue") and has_parts and story.twist != "pause":  # the paused job waits for these very parts
        act("storekeeper", "issue_parts")
    if story.twist == "cancel":
        act(advisor, "cancel", reason=story.reason)
        return order
    if not due("dispatch"):
        return order
    dispatcher = "install" if branch.code == "BJ02" else "dispatcher"
    act(
        dispatcher,
        "dispatch",
        assignments=[{"line": line.pk, "technician": cast[job.technician].pk} for line, job in jobs],
    )
    if not due("start"):
        return order

    def work(line, job: Job, action: str, **data):
        job_act(actor=cast[job.technician], line=line, action=action, **data)

    if not due("finish"):  # work in hand: the first job is on; a job paused for parts lets its technician go on
        work(*jobs[0], "start")
        if story.twist == "pause":
            work(*jobs[0], "pause", reason=PauseReason.PARTS)
            if len(jobs) > 1:
                work(*jobs[1], "start")
        elif story.twist == "added":
            for line in story.added:
                _add(advisor, order, line, parts)
        return order
    for line, job in jobs:
        work(line, job, "start")
        work(line, job, "finish", self_check={"passed": True, "notes": "自检合格"})
    if story.twist == "rework":
        line, job = jobs[0]
        act("qc", "qc_fail", reason=story.reason, lines=[line.pk])
        work(line, job, "start")
        return order
    if not due("qc"):
        return order
    act("install" if branch.code == "BJ02" else "qc", "qc_pass", notes="路试正常，外观清洁")
    if not due("settle"):
        return order
    payable = order_totals(order.lines.all()).customer_payable
    act("cashier", "settle", payments=_payments(story.payments, payable))
    if due("deliver"):
        act(advisor, "deliver")
    return order


def _payments(methods: tuple[str, ...], payable: Decimal) -> list[dict]:
    """The customer's total split over the methods: the first ones a round hundred each, the last the rest."""
    if payable <= 0:
        return []
    payments, left = [], payable
    for method in methods[:-1]:
        amount = min(Decimal(100), left - Decimal("0.01"))
        if amount > 0:
            payments.append({"method": method, "amount": str(amount)})
            left -= amount
    payments.append({"method": methods[-1], "amount": str(left)})
    return payments


def _inspection(branch, cast: _Cast, concerns: str, report: str, number: int) -> ServiceOrder:
    """An after-sales inspection (售后检查): a visit the installation supervisor makes himself, closed with his report."""
    supervisor = cast["install"]
    vehicle = cast.vehicle(branch.code, "汉EV")
    order = order_create(
        actor=supervisor,
        branch=branch,
        customer=vehicle.customer,
        asset=vehicle,
        type=OrderType.INSPECTION,
        concerns=concerns,
        promised_at=_promised(4 + number),
        assignee=supervisor,
    )
    if report:
        order = order_act(actor=supervisor, order=order, action="complete", data={"report": report})
    return order


@transaction.atomic
def demo_service(admin, branches) -> int:
    """Create whatever of the demo service orders is missing; return how many orders were created.

    `admin` is not used: every step is taken by the demo person whose job it is.
    """
    bj01, bj02 = branches["BJ01"], branches["BJ02"]
    wanted = [s.concerns for s in (*BJ01_STORIES, INSTALLATION)] + [concerns for concerns, _r in INSPECTIONS]
    existing = set(
        ServiceOrder.objects.filter(branch__in=[bj01, bj02], concerns__in=wanted).values_list(
            "branch__code", "concerns"
        )
    )
    cast = _Cast(branches)
    codes = {
        code
        for story in BJ01_STORIES
        for line in (*story.items, *story.added)
        if isinstance(line, Item)
        for code in line.parts
    }
    parts = {p.code: p for p in Part.objects.filter(code__in=codes)}
    created = 0
    for number, story in enumerate(BJ01_STORIES, start=1):
        if ("BJ01", story.concerns) in existing:
            cast.vehicle("BJ01", story.model)  # keep the same vehicles for the stories after it
            continue
        _tell(story, bj01, cast, parts, number)
        created += 1
    if ("BJ02", INSTALLATION.concerns) in existing:
        cast.vehicle("BJ02", INSTALLATION.model)
    else:
        _tell(INSTALLATION, bj02, cast, parts, 1)
        created += 1
    for number, (concerns, report) in enumerate(INSPECTIONS, start=1):
        if ("BJ02", concerns) in existing:
            cast.vehicle("BJ02", "汉EV")
            continue
        _inspection(bj02, cast, concerns, report, number)
        created += 1
    return created
