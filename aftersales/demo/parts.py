"""The demo parts department: five suppliers, 60 parts, two warehouses at BJ01, and eight months of stock history.

The stock story is posted once, in date order, so that the move history reads like a real one and the
reports have something to show:
- opening stock at BJ01 (the main warehouse and the body-shop store 钣喷仓) and at BJ02 eight months ago;
- monthly replenishment per supplier, topping each part up to its level, at slowly drifting costs (the
  moving average moves);
- issues to work orders, a few returns of parts drawn too many, two transfers from BJ01 to BJ02;
- parts untouched since the opening stock (dead stock, 240 days), slow movers, a couple of parts left
  below their reorder point;
- today: a few issues, two reservations and one refused issue (an open shortage, for the fill rate).

Everything goes through the parts services, as the demo administrator. Receipts and today's work use the
document services (`stock_receive`, `stock_issue`, `stock_reserve`); the back-dated issues, returns and
transfers go through the ledger's `stock_post`, the one service that takes a posting time. References name
demo jobs (`JOB-BJ01-20260412-03`), not service-order numbers, which belong to the service orders. To stay fast,
the issues and returns of a week are posted in one ledger call per warehouse (at the time of the week's
first one). Idempotent: what exists is found by its code, and the stock story only runs while none of the
demo parts has a move.
"""

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from aftersales.core.numbers import document_number_next
from aftersales.parts.choices import MoveKind
from aftersales.parts.models import Bin, Part, StockBalance, StockMove, Supplier, Warehouse
from aftersales.parts.services import catalogue
from aftersales.parts.services.ledger import InsufficientStock, MoveRequest, stock_issue, stock_post, stock_reserve
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive

SUPPLIERS = (
    # code, name, contact, phone, address
    ("BOSCH", "博世汽车配件", "刘经理", "010-84561200", "北京市朝阳区酒仙桥路10号"),
    ("SGM-PC", "上汽通用配件中心", "华北区客服", "400-820-2020", "上海市浦东新区申江路1500号"),
    ("MICHELIN", "米其林轮胎", "张经理", "010-59281100", "北京市朝阳区望京街8号"),
    ("SHELL", "壳牌润滑油", "王经理", "010-65998800", "北京市东城区东直门南大街11号"),
    ("BJKX", "本地快修件商行", "赵老板", "13701234567", "北京市丰台区京开路汽配城B区21号"),
)

MAIN, BODY, BJ02 = "main", "body", "bj02"
BODY_WAREHOUSE = ("BJ01-BP", "钣喷仓", "北京市朝阳区东三环北路38号 钣喷车间")
DAYS = 240  # eight months of history
BATCH_DAYS = 7  # the issues and returns of a week go to the ledger in one call per warehouse
FEN = Decimal("0.01")


@dataclass(frozen=True)
class DemoPart:
    code: str
    name: str
    oem: str
    brand: str
    category: str
    unit: str
    retail: str
    cost: str
    reorder_point: int
    reorder_quantity: int
    supplier: str
    per_job: int  # what one work order usually takes
    jobs: float  # work orders a month at BJ01 that take it (BJ02 has a third as many)
    open_bj01: int  # opening stock at BJ01, in the warehouse named by `home`
    open_bj02: int = 0
    home: str = MAIN
    replenish: bool = True

    def monthly(self, where: str) -> float:
        return self.per_job * self.jobs / (3 if where == BJ02 else 1)

    def opening(self, where: str) -> int:
        if where == BJ02:
            return self.open_bj02
        return self.open_bj01 if self.home == where else 0

    def level(self, where: str) -> Decimal:
        """What monthly replenishment tops the stock up to: the opening stock, and enough to stay above the
        reorder point for a month and a half."""
        if not self.opening(where):
            return Decimal(0)
        return Decimal(max(self.opening(where), self.reorder_point + round(1.5 * self.monthly(where))))


P = DemoPart
# fmt: off
PARTS = (
    # code, name, OEM number, brand, category, unit, retail, cost, reorder point, reorder qty, supplier, per job, jobs/month, opening BJ01, opening BJ02
    P("OIL-HX8-0W20", "壳牌喜力HX8 0W-20全合成机油(散装)", "550046402", "壳牌", "机油", "升", "98", "52", 60, 200, "SHELL", 4, 16, 160, 70),
    P("OIL-HX7-5W30", "壳牌喜力HX7 5W-30合成技术机油(散装)", "550046373", "壳牌", "机油", "升", "68", "35", 40, 120, "SHELL", 4, 10, 100, 40),
    P("OIL-ULTRA-5W40", "壳牌超凡喜力5W-40全合成机油", "550046268", "壳牌", "机油", "升", "128", "70", 16, 48, "SHELL", 4, 3, 40),
    P("OIL-DEXOS1-0W20", "ACDelco Dexos1 0W-20全合成机油", "19376709", "ACDelco", "机油", "升", "88", "48", 24, 80, "SGM-PC", 4, 6, 80, 24),
    P("1987479107", "博世DOT4刹车油 1L", "B000750M3", "博世", "刹车油", "升", "88", "38", 6, 24, "BOSCH", 1, 6, 24, 8),
    P("CLT-G13", "大众G13长效冷却液", "G013A8JM1", "大众", "冷却液", "升", "45", "20", 12, 40, "BJKX", 4, 3, 40),
    P("CLT-TOYOTA-LLC", "丰田超长效冷却液(红色)", "08889-80060", "丰田", "冷却液", "升", "38", "16", 8, 24, "BJKX", 4, 2, 24, 8),
    P("ATF-DSG-G052182", "DSG双离合变速箱油", "G052182A2", "大众", "变速箱油", "升", "168", "85", 8, 24, "BJKX", 4, 2, 24),
    P("ATF-TOYOTA-WS", "丰田WS自动变速箱油", "08886-02305", "丰田", "变速箱油", "升", "118", "60", 8, 24, "BJKX", 4, 1, 16),
    P("WASH-25-2L", "-25℃玻璃水 2L", "", "龟牌", "玻璃水", "个", "25", "8", 20, 60, "BJKX", 2, 10, 60, 24),
    P("0986AF0253", "机油滤清器(大众EA888)", "06L115562B", "博世", "滤清器", "个", "68", "32", 12, 40, "BOSCH", 1, 12, 40, 10),
    P("0986AF0287", "机油滤清器(丰田/本田)", "90915-YZZD4", "博世", "滤清器", "个", "48", "21", 12, 40, "BOSCH", 1, 10, 40, 10),
    P("55594651", "机油滤清器(别克)", "55594651", "ACDelco", "滤清器", "个", "58", "26", 6, 20, "SGM-PC", 1, 6, 20, 6),
    P("0986AF2260", "空气滤清器(大众迈腾)", "5Q0129620B", "博世", "滤清器", "个", "128", "58", 5, 15, "BOSCH", 1, 5, 15),
    P("0986AF2396", "空气滤清器(丰田凯美瑞)", "17801-0V020", "博世", "滤清器", "个", "118", "52", 4, 12, "BOSCH", 1, 4, 12),
    P("0986AF5386", "活性炭空调滤清器(大众)", "5Q0819653", "博世", "滤清器", "个", "158", "62", 6, 20, "BOSCH", 1, 6, 20, 6),
    P("0986AF5392", "空调滤清器(本田雅阁)", "80292-TBA-A11", "博世", "滤清器", "个", "138", "55", 4, 12, "BOSCH", 1, 4, 12),
    P("23388785", "空调滤清器(别克君越)", "23388785", "ACDelco", "滤清器", "个", "158", "70", 3, 10, "SGM-PC", 1, 3, 10),
    P("0450906457", "燃油滤清器(大众)", "5Q0201051J", "博世", "滤清器", "个", "220", "105", 2, 6, "BOSCH", 1, 0.6, 8),
    P("0986494929", "前刹车片(大众迈腾)", "3Q0698151", "博世", "刹车片", "套", "680", "355", 3, 8, "BOSCH", 1, 3, 8, 4),
    P("0986494931", "后刹车片(大众迈腾)", "3Q0698451", "博世", "刹车片", "套", "520", "270", 2, 6, "BOSCH", 1, 2, 6),
    P("0986AB1398", "前刹车片(丰田凯美瑞)", "04465-33471", "博世", "刹车片", "套", "560", "290", 2, 6, "BOSCH", 1, 2, 6, 3),
    P("13432386", "前刹车片(别克君越)", "13432386", "ACDelco", "刹车片", "套", "760", "410", 4, 8, "SGM-PC", 1, 0.8, 8, replenish=False),
    P("0986479A73", "前刹车盘(大众迈腾)", "5Q0615301F", "博世", "刹车盘", "个", "620", "320", 2, 4, "BOSCH", 2, 0.3, 6),
    P("0242135524", "铱金火花塞(大众EA888)", "06K905601B", "博世", "火花塞", "个", "128", "58", 12, 32, "BOSCH", 4, 3, 32, 8),
    P("0242236562", "双铂金火花塞(丰田)", "90919-01253", "博世", "火花塞", "个", "98", "45", 8, 24, "BOSCH", 4, 2, 24),
    P("0242129515", "铱金火花塞(本田)", "12290-R48-H01", "博世", "火花塞", "个", "118", "52", 8, 16, "BOSCH", 4, 1.5, 16),
    P("12681460", "火花塞(别克1.5T)", "12681460", "ACDelco", "火花塞", "个", "108", "48", 4, 12, "SGM-PC", 4, 1, 12),
    P("3397008536", "无骨雨刮片 24寸", "", "博世", "雨刮", "条", "98", "38", 6, 20, "BOSCH", 1, 6, 20, 6),
    P("3397008533", "无骨雨刮片 18寸", "", "博世", "雨刮", "条", "78", "30", 6, 20, "BOSCH", 1, 6, 20, 6),
    P("3397004629", "后雨刮片 12寸", "", "博世", "雨刮", "条", "58", "20", 3, 10, "BOSCH", 1, 2, 10),
    P("3397007586", "迈腾专用雨刮片(套装)", "3G1998002", "博世", "雨刮", "套", "268", "110", 3, 8, "BOSCH", 1, 3, 10),
    P("MI-2155517-P4", "米其林浩悦4 215/55R17 94V", "", "米其林", "轮胎", "条", "899", "620", 8, 16, "MICHELIN", 2, 3, 16, 4),
    P("MI-2255018-P4", "米其林浩悦4 225/50R18 95W", "", "米其林", "轮胎", "条", "1180", "820", 4, 8, "MICHELIN", 2, 1.5, 12),
    P("MI-2056016-EP", "米其林韧悦 205/60R16 92V", "", "米其林", "轮胎", "条", "699", "480", 4, 12, "MICHELIN", 2, 2, 16, 8),
    P("MI-2355519-SUV", "米其林PS4 SUV 235/55R19 105Y", "", "米其林", "轮胎", "条", "1580", "1120", 2, 4, "MICHELIN", 2, 0.3, 8),
    P("MI-2454519-PS4S", "米其林竞驰PS4S 245/45R19 102Y", "", "米其林", "轮胎", "条", "2280", "1650", 0, 4, "MICHELIN", 2, 0, 4),
    P("0092S4E080", "博世AGM起停蓄电池 70Ah", "000915105DE", "博世", "蓄电池", "个", "1380", "820", 3, 6, "BOSCH", 1, 0.6, 6, replenish=False),
    P("0092S40040", "博世S4蓄电池 60Ah", "", "博世", "蓄电池", "个", "680", "390", 2, 6, "BOSCH", 1, 1.5, 8, 3),
    P("0092L50080", "博世EFB起停蓄电池 80Ah", "", "博世", "蓄电池", "个", "1180", "700", 1, 3, "BOSCH", 1, 0.4, 4),
    P("LMP-H7-OSRAM", "欧司朗H7卤素大灯灯泡 12V55W", "64210", "欧司朗", "灯泡", "个", "68", "25", 6, 20, "BJKX", 2, 3, 20, 6),
    P("LMP-H11-PHILIPS", "飞利浦H11雾灯灯泡", "12362", "飞利浦", "灯泡", "个", "78", "30", 4, 12, "BJKX", 2, 1.5, 12),
    P("LMP-W5W", "示宽灯泡 W5W", "2825", "欧司朗", "灯泡", "个", "12", "3", 10, 50, "BJKX", 2, 4, 50),
    P("LMP-P21-5W", "刹车灯泡 P21/5W", "7528", "欧司朗", "灯泡", "个", "15", "4", 10, 40, "BJKX", 2, 3, 40),
    P("LMP-D3S", "氙气大灯灯泡 D3S", "66340", "欧司朗", "灯泡", "个", "680", "380", 0, 2, "BJKX", 1, 0, 4),
    P("1987947950", "多楔带 6PK1153", "06J903137F", "博世", "皮带", "条", "168", "75", 3, 8, "BOSCH", 1, 1.5, 10),
    P("BLT-TOYOTA-TB", "正时皮带套装(丰田)", "13568-09130", "盖茨", "皮带", "套", "980", "560", 0, 2, "BJKX", 1, 0, 3),
    P("12637196", "发电机皮带(别克)", "12637196", "ACDelco", "皮带", "条", "220", "105", 2, 4, "SGM-PC", 1, 0.4, 6),
    P("CHM-FUEL-CLEAN", "燃油系统清洗剂", "", "3M", "养护品", "个", "88", "28", 10, 40, "BJKX", 1, 10, 40, 12),
    P("CHM-THROTTLE", "节气门清洗剂", "", "3M", "养护品", "个", "58", "15", 6, 24, "BJKX", 1, 4, 24),
    P("AC-R1234YF", "空调制冷剂 R1234yf", "", "霍尼韦尔", "空调", "罐", "480", "260", 2, 6, "BJKX", 1, 1.5, 8),
    P("SHK-5Q0413031", "前减震器(大众迈腾)", "5Q0413031FP", "萨克斯", "减震器", "个", "1280", "720", 0, 2, "BJKX", 2, 0.15, 4),
    P("BDY-CAMRY-LAMP-L", "左前大灯总成(凯美瑞)", "81150-33D70", "丰田", "车身件", "个", "4580", "3200", 0, 1, "BJKX", 1, 0, 0),
    P("PNT-2K-CLEAR", "双组份清漆", "", "PPG", "油漆", "升", "260", "150", 4, 12, "BJKX", 1, 5, 12, home=BODY),
    P("PNT-BASE-WHITE", "水性色漆 珍珠白", "", "PPG", "油漆", "升", "380", "220", 2, 6, "BJKX", 1, 2, 6, home=BODY),
    P("PNT-PUTTY", "原子灰", "", "3M", "钣喷辅料", "罐", "85", "40", 3, 10, "BJKX", 1, 4, 10, home=BODY),
    P("PNT-SAND-P800", "水砂纸 P800", "", "3M", "钣喷辅料", "张", "5", "1.5", 30, 200, "BJKX", 10, 6, 200, home=BODY),
    P("PNT-MASK-TAPE", "美纹纸胶带 18mm", "", "3M", "钣喷辅料", "卷", "12", "5", 10, 40, "BJKX", 2, 6, 40, home=BODY),
    P("BDY-MAGOTAN-BUMPER", "前保险杠皮(迈腾)", "3GD807221", "大众", "车身件", "个", "2380", "1500", 0, 1, "BJKX", 1, 0, 1, home=BODY),
    P("BDY-MAGOTAN-FENDER-R", "右前翼子板(迈腾)", "3GD821022", "大众", "车身件", "个", "1260", "780", 0, 1, "BJKX", 1, 0.15, 2, home=BODY),
)
# fmt: on


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(FEN, rounding=ROUND_HALF_UP)


# -- master data --------------------------------------------------------------------------------------------------------


def _suppliers(admin) -> dict[str, Supplier]:
    found = {s.code: s for s in Supplier.objects.filter(code__in=[row[0] for row in SUPPLIERS])}
    for code, name, contact, phone, address in SUPPLIERS:
        if code not in found:
            found[code] = catalogue.supplier_create(
                actor=admin, code=code, name=name, contact=contact, phone=phone, address=address
            )
    return found


def _parts(admin, suppliers) -> tuple[dict[str, Part], int]:
    found = {p.code: p for p in Part.objects.filter(code__in=[p.code for p in PARTS])}
    created = 0
    for data in PARTS:
        if data.code in found:
            continue
        found[data.code] = catalogue.part_create(
            actor=admin,
            code=data.code,
            name=data.name,
            oem_number=data.oem,
            brand=data.brand,
            category=data.category,
            unit=data.unit,
            retail_price=_money(data.retail),
            warranty_price=_money(Decimal(data.cost) * Decimal("1.2")),
            reorder_point=data.reorder_point,
            reorder_quantity=data.reorder_quantity,
            supplier=suppliers[data.supplier],
        )
        created += 1
    return found, created


def _warehouses(admin, branches) -> dict[str, Warehouse]:
    code, name, address = BODY_WAREHOUSE
    body = Warehouse.objects.filter(code=code).first() or catalogue.warehouse_create(
        actor=admin, code=code, name=name, branch=branches["BJ01"], address=address
    )
    return {
        MAIN: catalogue.warehouse_default_for(branches["BJ01"]),
        BODY: body,
        BJ02: catalogue.warehouse_default_for(branches["BJ02"]),
    }


def _bins(admin, warehouses, parts) -> None:
    """Home bins at BJ01: a shelf per category in each warehouse (A-01-01, A-01-02 …, B-01-01 after A-09)."""
    existing = {(b.warehouse_id, b.code): b for b in Bin.objects.filter(warehouse__in=warehouses.values())}
    homed = set(
        StockBalance.objects.filter(warehouse__in=warehouses.values(), bin__isnull=False).values_list(
            "part_id", "warehouse_id"
        )
    )
    shelves: dict[tuple[str, str], int] = {}
    slots: dict[tuple[str, str], int] = defaultdict(int)
    for data in PARTS:
        key = (data.home, data.category)
        if key not in shelves:
            shelves[key] = sum(1 for home, _category in shelves if home == data.home)
        slots[key] += 1
        shelf = shelves[key]
        code = f"{'AB'[shelf // 9]}-{shelf % 9 + 1:02d}-{slots[key]:02d}"
        warehouse = warehouses[data.home]
        bin_ = existing.get((warehouse.pk, code))
        if bin_ is None:
            bin_ = existing[(warehouse.pk, code)] = catalogue.bin_create(actor=admin, warehouse=warehouse, code=code)
        if (parts[data.code].pk, warehouse.pk) not in homed:
            catalogue.balance_bin_set(actor=admin, warehouse=warehouse, part=parts[data.code], bin=bin_)


# -- the stock story ----------------------------------------------------------------------------------------------------


@dataclass
class _Event:
    at: datetime.datetime
    order: int  # receipts first at the same moment
    kind: str  # opening, replenish, issue, return, transfer
    where: str
    part: str = ""
    quantity: Decimal = Decimal(0)
    supplier: str = ""
    lines: tuple = ()  # receipts: (part code, quantity or level, unit cost)


def _at(rng: random.Random, day: datetime.date) -> datetime.datetime:
    """A moment of a working day (08:00–17:50)."""
    moment = datetime.time(rng.randint(8, 17), rng.choice((0, 10, 15, 20, 30, 40, 45, 50)))
    return timezone.make_aware(datetime.datetime.combine(day, moment))


def _plan(rng: random.Random, start: datetime.date, today: datetime.date) -> list[_Event]:
    """Every receipt, issue, return and transfer of the eight months, in date order. Quantities of issues are
    what the work order asked for; the story gives no more than the shelf holds."""
    events: list[_Event] = []
    for where, day in ((MAIN, start), (BODY, start), (BJ02, start + datetime.timedelta(days=5))):
        lines = defaultdict(list)
        for data in PARTS:
            if data.opening(where):
                lines[data.supplier].append((data.code, Decimal(data.opening(where)), Decimal(data.cost)))
        at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))
        events += [_Event(at, 0, "opening", where, supplier=s, lines=tuple(ls)) for s, ls in lines.items()]

    for month in range(1, DAYS // 30):
        for where in (MAIN, BODY, BJ02):
            lines = defaultdict(list)
            for data in PARTS:
                if data.replenish and data.level(where) and data.monthly(where) >= 1:
                    drift = Decimal(100 + rng.choice((-3, -2, -1, 0, 1, 2, 3, 4))) / 100
                    lines[data.supplier].append(
                        (data.code, data.level(where), (Decimal(data.cost) * drift).quantize(FEN))
                    )
            for supplier, supplier_lines in lines.items():
                at = _at(rng, start + datetime.timedelta(days=30 * month + rng.randint(0, 4)))
                events.append(_Event(at, 0, "replenish", where, supplier=supplier, lines=tuple(supplier_lines)))

    for data in PARTS:
        for where in (MAIN, BODY, BJ02):
            if not data.opening(where) or not data.jobs:
                continue
            jobs = data.jobs / (3 if where == BJ02 else 1)
            for _ in range(max(1, round(jobs * DAYS / 30))):
                at = _at(rng, start + datetime.timedelta(days=rng.randint(3, DAYS - 1)))
                quantity = Decimal(data.per_job + (rng.choice((0, 0, 0, 1)) if data.per_job > 1 else 0))
                events.append(_Event(at, 1, "issue", where, part=data.code, quantity=quantity))
                if rng.random() < 0.03 and at + datetime.timedelta(days=3) < timezone.now():
                    back = at + datetime.timedelta(days=2)
                    events.append(_Event(back, 1, "return", where, part=data.code, quantity=Decimal(1)))

    for days_ago, code, quantity in ((60, "MI-2155517-P4", 4), (35, "WASH-25-2L", 12)):
        at = _at(rng, today - datetime.timedelta(days=days_ago))
        events.append(_Event(at, 1, "transfer", MAIN, part=code, quantity=Decimal(quantity)))
    events.sort(key=lambda e: (e.at, e.order))
    return events


class _Story:
    """Posts the plan, keeping what each shelf holds so that no issue asks for more than is there."""

    def __init__(self, admin, warehouses, parts, suppliers, start):
        self.admin, self.warehouses, self.parts, self.suppliers, self.start = admin, warehouses, parts, suppliers, start
        self.on_hand: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.jobs: dict[tuple[str, datetime.date], int] = defaultdict(int)
        self.pending: dict[str, list[tuple[_Event, MoveRequest]]] = defaultdict(list)

    def week(self, event: _Event) -> int:
        return (timezone.localtime(event.at).date() - self.start).days // BATCH_DAYS

    def flush(self, where: str) -> None:
        batch = self.pending.pop(where, [])
        if batch:
            stock_post(actor=self.admin, posted_at=batch[0][0].at, requests=[request for _e, request in batch])

    def post(self, event: _Event) -> None:
        where, warehouse = event.where, self.warehouses[event.where]
        waiting = self.pending.get(where)
        if waiting and (event.kind not in ("issue", "return") or self.week(waiting[0][0]) != self.week(event)):
            self.flush(where)
        handlers = {
            "opening": self.receive,
            "replenish": self.receive,
            "issue": self.issue,
            "return": self.give_back,
            "transfer": self.transfer,
        }
        handlers[event.kind](event, where, warehouse)

    def receive(self, event: _Event, where: str, warehouse: Warehouse) -> None:
        lines = []
        for code, wanted, cost in event.lines:
            quantity = wanted if event.kind == "opening" else wanted - self.on_hand[(where, code)]
            if quantity > 0:
                lines.append(ReceiptLineIn(part=self.parts[code], quantity=quantity, unit_cost=cost))
                self.on_hand[(where, code)] += quantity
        if lines:
            stock_receive(
                actor=self.admin,
                warehouse=warehouse,
                supplier=self.suppliers[event.supplier],
                lines=lines,
                note="期初库存" if event.kind == "opening" else "月度补货",
                posted_at=event.at,
            )

    def issue(self, event: _Event, where: str, warehouse: Warehouse) -> None:
        quantity = min(event.quantity, self.on_hand[(where, event.part)])
        if quantity <= 0:
            return
        self.on_hand[(where, event.part)] -= quantity
        branch, day = warehouse.branch.code, timezone.localtime(event.at).date()
        self.jobs[(branch, day)] += 1
        request = MoveRequest(
            part_id=self.parts[event.part].pk,
            warehouse_id=warehouse.pk,
            kind=MoveKind.ISSUE,
            quantity=-quantity,
            reference=f"JOB-{branch}-{day:%Y%m%d}-{self.jobs[(branch, day)]:02d}",
            document_type="issue",
        )
        self.pending[where].append((event, request))

    def give_back(self, event: _Event, where: str, warehouse: Warehouse) -> None:
        self.on_hand[(where, event.part)] += event.quantity
        request = MoveRequest(
            part_id=self.parts[event.part].pk,
            warehouse_id=warehouse.pk,
            kind=MoveKind.RETURN,
            quantity=event.quantity,
            document_type="return",
            note="多领退回",
        )
        self.pending[where].append((event, request))

    def transfer(self, event: _Event, where: str, source: Warehouse) -> None:
        """Posted as `stock_transfer` posts one: out of BJ01 and into BJ02 at the same value, one reference."""
        quantity = min(event.quantity, self.on_hand[(where, event.part)])
        if quantity <= 0:
            return
        self.flush(BJ02)
        destination, part = self.warehouses[BJ02], self.parts[event.part]
        reference = document_number_next(prefix="TR", branch=source.branch, day=timezone.localtime(event.at).date())
        out = MoveRequest(
            part_id=part.pk,
            warehouse_id=source.pk,
            kind=MoveKind.TRANSFER_OUT,
            quantity=-quantity,
            reference=reference,
            document_type="transfer",
            note=str(destination),
        )
        into = MoveRequest(
            part_id=part.pk,
            warehouse_id=destination.pk,
            kind=MoveKind.TRANSFER_IN,
            quantity=quantity,
            mirror_previous=True,
            reference=reference,
            document_type="transfer",
            note=str(source),
        )
        stock_post(actor=self.admin, posted_at=event.at, requests=[out, into])
        self.on_hand[(where, event.part)] -= quantity
        self.on_hand[(BJ02, event.part)] += quantity

    def finish(self) -> None:
        for where in list(self.pending):
            self.flush(where)


def _today(admin, warehouses, parts) -> None:
    """This morning's work: a few issues, two reservations, and a part that is not there (an open shortage)."""
    main = warehouses[MAIN]
    stamp = timezone.localdate().strftime("%Y%m%d")

    def reference(number):
        return f"JOB-BJ01-{stamp}-{number:02d}"

    for number, (code, quantity) in enumerate((("0986AF0253", 1), ("OIL-HX8-0W20", 4), ("3397008536", 2)), start=1):
        stock_issue(actor=admin, warehouse=main, part=parts[code], quantity=quantity, reference=reference(number))
    stock_reserve(actor=admin, warehouse=main, part=parts["0986494929"], quantity=1, reference=reference(4))
    stock_reserve(actor=admin, warehouse=main, part=parts["MI-2056016-EP"], quantity=2, reference=reference(5))
    try:
        stock_issue(actor=admin, warehouse=main, part=parts["BDY-CAMRY-LAMP-L"], quantity=1, reference=reference(6))
    except InsufficientStock:
        pass  # the refusal is the point: an open shortage, waiting for a receipt


@transaction.atomic
def demo_parts(admin, branches) -> int:
    """Create whatever of the demo parts department is missing; return how many parts were created."""
    suppliers = _suppliers(admin)
    parts, created = _parts(admin, suppliers)
    warehouses = _warehouses(admin, branches)
    if not StockMove.objects.filter(part__code__in=[p.code for p in PARTS]).exists():
        today = timezone.localdate()
        start = today - datetime.timedelta(days=DAYS)
        story = _Story(admin, warehouses, parts, suppliers, start)
        for event in _plan(random.Random(2026), start, today):
            story.post(event)
        story.finish()
        _today(admin, warehouses, parts)
    _bins(admin, warehouses, parts)
    return created
