"""Deterministic fake Chinese customers and vehicles, for the demo data and the benchmark generator.

Every value is valid by our own validators (mobile format, VIN check digit, plate format), so the
generated data goes through the same rules as typed data.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass

from aftersales.core.validators import vin_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志文玉兰红梅飞鹏辉斌波宇浩凯健俊帆晨欣怡子涵雨轩梓萱浩然一诺思远嘉怡"
COMPANY_PREFIXES = ("北京", "朝阳", "京东", "华联", "首汽", "顺达", "恒通", "远航", "鑫源", "中联")
COMPANY_SUFFIXES = (
    "物流有限公司",
    "汽车租赁有限公司",
    "商贸有限公司",
    "科技有限公司",
    "建筑工程有限公司",
    "出租汽车公司",
)
STREETS = (
    "建国路",
    "朝阳北路",
    "东三环中路",
    "望京街",
    "亦庄科创街",
    "京开路",
    "广渠路",
    "西大望路",
    "酒仙桥路",
    "通惠河北路",
)
DISTRICTS = ("朝阳区", "东城区", "海淀区", "丰台区", "大兴区", "通州区", "顺义区")
VEHICLES = (
    ("大众", "帕萨特", "LSV"),
    ("大众", "迈腾", "LFV"),
    ("丰田", "凯美瑞", "LVG"),
    ("丰田", "卡罗拉", "LTV"),
    ("本田", "雅阁", "LHG"),
    ("本田", "CR-V", "LVH"),
    ("别克", "君越", "LSG"),
    ("日产", "轩逸", "LGB"),
    ("奥迪", "A6L", "LFV"),
    ("宝马", "5系", "LBV"),
    ("比亚迪", "汉EV", "LGX"),
    ("特斯拉", "Model 3", "LRW"),
)
ELECTRIC_BRANDS = {"比亚迪", "特斯拉"}
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_TAIL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class FakeVehicle:
    vin: str
    plate: str
    brand: str
    model: str
    year: int
    mileage: int


@dataclass(frozen=True)
class FakeCustomer:
    kind: str
    name: str
    mobile: str
    address: str
    source: str
    vehicles: tuple[FakeVehicle, ...]


def make_vin(rng: random.Random, wmi: str, year: int) -> str:
    """A 17-character VIN with a correct check digit (position 9)."""
    year_codes = "ABCDEFGHJKLMNPRSTVWXY123456789"
    year_code = year_codes[(year - 2010) % len(year_codes)]
    body = (
        wmi
        + "".join(rng.choice(VIN_CHARS) for _ in range(5))
        + "0"
        + year_code
        + "".join(rng.choice(VIN_CHARS) for _ in range(1))
        + "".join(rng.choice("0123456789") for _ in range(6))
    )
    return body[:8] + vin_check_digit(body) + body[9:]


def make_plate(rng: random.Random, electric: bool, city_letter: str) -> str:
    if electric:
        return f"京{city_letter}{rng.choice('DF')}{rng.choice(PLATE_TAIL)}{rng.randrange(10000):04d}"
    return f"京{city_letter}" + "".join(rng.choice(PLATE_TAIL) for _ in range(5))


def make_mobile(rng: random.Random, serial: int) -> str:
    """Distinct for distinct serials: the last eight digits carry the serial."""
    return f"1{rng.choice('3456789')}{rng.randrange(10)}{serial % 100_000_000:08d}"


def fake_customers(count: int, *, seed: int = 2026, start: int = 0) -> Iterator[FakeCustomer]:
    rng = random.Random(seed)
    for index in range(start, start + count):
        rng.seed(seed * 1_000_003 + index)
        company = rng.random() < 0.12
        if company:
            name = rng.choice(COMPANY_PREFIXES) + rng.choice(COMPANY_SUFFIXES)
            if index >= len(COMPANY_PREFIXES) * len(COMPANY_SUFFIXES):
                name = f"{name}（{index}）"
        else:
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        vehicles = []
        for _ in range(rng.choice((1, 1, 1, 2)) if not company else rng.randint(2, 4)):
            brand, model, wmi = rng.choice(VEHICLES)
            year = rng.randint(2012, 2026)
            vehicles.append(
                FakeVehicle(
                    vin=make_vin(rng, wmi, year),
                    plate=make_plate(rng, brand in ELECTRIC_BRANDS, rng.choice(PLATE_LETTERS)),
                    brand=brand,
                    model=model,
                    year=year,
                    mileage=rng.randint(0, 40) * 5000 + rng.randint(0, 4999),
                )
            )
        address = f"北京市{rng.choice(DISTRICTS)}{rng.choice(STREETS)}{rng.randint(1, 300)}号"
        source = rng.choice(("walk_in", "walk_in", "phone", "referral", "online", "vehicle_sale", "insurance"))
        yield FakeCustomer(
            kind="company" if company else "person",
            name=name,
            mobile=make_mobile(rng, index),
            address=address,
            source="fleet" if company else source,
            vehicles=tuple(vehicles),
        )
