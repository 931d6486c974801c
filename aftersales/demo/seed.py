"""The demo dealership: a region with two branches, staff in every role, 200 customers with vehicles.

Idempotent: every object is looked up by its natural key first, so a second run changes nothing.
Everything is created through the services (as the demo administrator), so the demo data carries
the same audit trail and search digests as real data.
"""

from dataclasses import dataclass

from django.db import transaction

from aftersales.customers import services as customer_services
from aftersales.customers.models import Asset
from aftersales.demo.fake import fake_customers
from aftersales.demo.parts import demo_parts
from aftersales.demo.pay import demo_pay
from aftersales.demo.service import demo_service
from aftersales.demo.workshop import seed_workshop
from aftersales.org import services as org_services
from aftersales.org.choices import BranchKind, TeamKind
from aftersales.org.models import Branch, Employee, Position, Team, User
from aftersales.org.position_catalogue import POSITIONS

DEMO_PASSWORD = "Demo@2026"
ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    name: str
    branch: str
    position: str
    roles: tuple[str, ...]
    team: str | None = None


BRANCHES = (
    # code, name, kind, parent, address, phone
    ("HQ", "集团总部", BranchKind.HEAD_OFFICE, None, "北京市朝阳区建国路88号", "010-65000000"),
    ("RNORTH", "华北区域", BranchKind.REGION, "HQ", "北京市朝阳区建国路88号", "010-65000001"),
    ("BJ01", "北京朝阳4S店", BranchKind.STORE, "RNORTH", "北京市朝阳区东三环北路38号", "010-65001234"),
    ("BJ02", "北京亦庄服务站", BranchKind.SERVICE_CENTER, "RNORTH", "北京市大兴区亦庄科创街18号", "010-67885678"),
)
TEAMS = (
    ("BJ01", "机修一组", TeamKind.WORKSHOP),
    ("BJ01", "钣喷组", TeamKind.WORKSHOP),
    ("BJ02", "机修组", TeamKind.WORKSHOP),
    ("BJ02", "安装一组", TeamKind.INSTALLATION),
)
PEOPLE = (
    DemoPerson("region", "周立群", "RNORTH", "regional_manager", ("regional_manager",)),
    DemoPerson("manager", "王建国", "BJ01", "service_manager", ("service_manager",)),
    DemoPerson("supervisor", "李秀英", "BJ01", "service_supervisor", ("service_supervisor",)),
    DemoPerson("advisor", "张伟", "BJ01", "service_advisor", ("service_advisor",)),
    DemoPerson("advisor2", "刘芳", "BJ01", "service_advisor", ("service_advisor",)),
    DemoPerson("workshop", "陈志强", "BJ01", "workshop_manager", ("workshop_manager",)),
    DemoPerson("dispatcher", "杨磊", "BJ01", "dispatcher", ("dispatcher",)),
    DemoPerson("tech1", "赵军", "BJ01", "technician", ("technician",), "机修一组"),
    DemoPerson("tech2", "吴勇", "BJ01", "technician", ("technician",), "机修一组"),
    DemoPerson("tech3", "孙涛", "BJ01", "technician", ("technician",), "钣喷组"),
    DemoPerson("techadvisor", "周明", "BJ01", "technical_advisor", ("technical_advisor",)),
    DemoPerson("qc", "徐刚", "BJ01", "qc_inspector", ("qc_inspector",)),
    DemoPerson("parts", "马超", "BJ01", "parts_keeper", ("parts_manager",)),
    DemoPerson("storekeeper", "韩雪", "BJ01", "parts_keeper", ("parts_keeper",)),
    DemoPerson("cashier", "朱娟", "BJ01", "cashier", ("cashier",)),
    DemoPerson("claims", "胡艳", "BJ01", "claims_clerk", ("claims_clerk",)),
    DemoPerson("care", "郭静", "BJ01", "customer_care", ("customer_care",)),
    DemoPerson("hr", "何丽", "BJ01", "hr", ("hr",)),
    DemoPerson("finance", "高敏", "BJ01", "finance", ("finance",)),
    DemoPerson("manager2", "林海", "BJ02", "service_manager", ("service_manager",)),
    DemoPerson("advisor3", "罗洋", "BJ02", "service_advisor", ("service_advisor", "customer_care")),
    DemoPerson("tech4", "郑斌", "BJ02", "technician", ("technician",), "机修组"),
    DemoPerson("install", "梁飞", "BJ02", "install_supervisor", ("install_supervisor",), "安装一组"),
    DemoPerson("installer1", "谢鹏", "BJ02", "technician", ("technician",), "安装一组"),
)
CUSTOMERS = 200


def _admin() -> User:
    admin = User.objects.filter(username=ADMIN_USERNAME).first()
    if admin is None:
        admin = User.objects.create_superuser(ADMIN_USERNAME, password=DEMO_PASSWORD, first_name="系统管理员")
    return admin


def _branches(admin) -> dict[str, Branch]:
    branches: dict[str, Branch] = {}
    for code, name, kind, parent, address, phone in BRANCHES:
        branch = Branch.objects.filter(code=code).first() or org_services.branch_create(
            actor=admin, code=code, name=name, kind=kind, parent=branches.get(parent), address=address, phone=phone
        )
        branches[code] = branch
    return branches


def _positions(admin) -> dict[str, Position]:
    positions: dict[str, Position] = {}
    for data in POSITIONS:
        position = Position.objects.filter(code=data["code"]).first() or org_services.position_create(
            actor=admin,
            code=data["code"],
            name=data["name"],
            duties=data["duties"],
            kpis=data["kpis"],
            reports_to=positions.get(data["reports_to"]),
            qualifications=data["qualifications"],
        )
        positions[data["code"]] = position
    return positions


def _teams(admin, branches) -> dict[tuple[str, str], Team]:
    teams = {}
    for branch_code, name, kind in TEAMS:
        branch = branches[branch_code]
        teams[(branch_code, name)] = Team.objects.filter(branch=branch, name=name).first() or org_services.team_create(
            actor=admin, name=name, branch=branch, kind=kind
        )
    return teams


def _people(admin, branches, positions, teams) -> int:
    created = 0
    for number, person in enumerate(PEOPLE, start=1):
        if User.objects.filter(username=person.username).exists():
            continue
        team = teams.get((person.branch, person.team)) if person.team else None
        org_services.employee_create(
            actor=admin,
            username=person.username,
            password=DEMO_PASSWORD,
            name=person.name,
            employee_no=f"E{number:04d}",
            branch=branches[person.branch],
            mobile=f"1391000{number:04d}",
            position=positions[person.position],
            roles=list(person.roles),
            team=team,
        )
        created += 1
    for team in teams.values():
        if team.leader_id is None:
            leader = Employee.objects.filter(team=team).order_by("employee_no").first()
            if leader:
                org_services.team_update(actor=admin, team=team, data={"leader": leader})
    return created


def _customers(admin, branches) -> int:
    created = 0
    stores = [branches["BJ01"], branches["BJ02"]]
    known_vins = set(Asset.objects.filter(vin__gt="").values_list("vin", flat=True))
    for index, fake in enumerate(fake_customers(CUSTOMERS, seed=11)):
        if fake.vehicles[0].vin in known_vins:
            continue
        branch = stores[0] if index % 3 else stores[1]
        with transaction.atomic():
            customer = customer_services.customer_create(
                actor=admin,
                name=fake.name,
                branch=branch,
                kind=fake.kind,
                mobile=fake.mobile,
                address=fake.address,
                source=fake.source,
            )
            for vehicle in fake.vehicles:
                customer_services.asset_create(
                    actor=admin,
                    customer=customer,
                    kind="vehicle",
                    vin=vehicle.vin,
                    plate=vehicle.plate,
                    brand=vehicle.brand,
                    model=vehicle.model,
                    year=vehicle.year,
                    mileage=vehicle.mileage,
                )
        created += 1
    return created


def demo_seed() -> dict[str, int]:
    """Create whatever of the demo data is missing; return how many of each were created."""
    with transaction.atomic():
        admin = _admin()
        branches = _branches(admin)
        positions = _positions(admin)
        teams = _teams(admin, branches)
        people = _people(admin, branches, positions, teams)
    customers = _customers(admin, branches)
    parts = demo_parts(admin, branches)
    orders = demo_service(admin, branches)
    seed_workshop(admin, branches)
    demo_pay(admin, branches)
    return {"people": people, "customers": customers, "parts": parts, "orders": orders}


def demo_signins() -> list[tuple[str, str, str]]:
    """(user name, person, roles) for the sign-in list printed by `make run`."""
    rows = [(ADMIN_USERNAME, "系统管理员", "superuser")]
    rows += [(p.username, f"{p.name} · {p.branch}", ", ".join(p.roles)) for p in PEOPLE]
    return rows
