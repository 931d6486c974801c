"""The demo pay department: pay policies written as the policy documents read, piece rates, appraisal scores, a
performance bonus, 4S audits of the installation team, and the pay runs of last month (locked) and this month
(computed), at both demo stores.

Who is paid, and by which policy (one policy per position, company-wide):
- 售服安装主管 (梁飞, BJ02): the seed's formula, `月收入 = 基本工资 + (职务工资 + 行政奖) × 月考核分 / 88 + 补助 +
  提成奖 + 业绩奖 × 70%`, with 30 元 per after-sales inspection from 20 a month (else 20 元), plus his 4S audit
  rewards, less his share of fines on a team he is in (none here); and its year-end policy (`年终业绩奖 = 全年业绩奖 × 30% × 年终考核分 / 88`);
- 安装工 (谢鹏, BJ02, 安装一组): paid by piece, the team's piece amount shared by its members, less the fines;
- 维修技师 (赵军, 吴勇, 孙涛 at BJ01; 郑斌 at BJ02): base pay and the hours sold at a rate, times the score;
- 服务顾问 (张伟, 刘芳 at BJ01; 罗洋 at BJ02): base pay and 1% of the revenue of their settled orders.

The installation supervisor and the installation team work at BJ02 (see `seed.PEOPLE`), so both stores get their
runs: BJ01 by its HR (何丽), approved by its manager; BJ02 by the demo administrator (HR's role is limited to BJ01),
approved by 林海. Two things are set up here for the policies to apply: the position 安装工 (the catalogue's 维修技师
covers installers too, but a policy is per position), which 谢鹏 takes; and 梁飞 audits 安装一组, so he is no
longer one of its members (an auditor can't be a member of the team he audits; 谢鹏 leads it).

The records the metrics read are the demo's own: the BJ02 inspections and installation order, BJ01's settled
orders (all of today), and the two audits recorded here on the installation order. Last month has none of them,
so its payslips are base pay, scores and the bonus.

Everything goes through the services (policies, piece rates, appraisals, inputs, audits, runs). Idempotent: each
thing is found by its natural key first (a policy by its code, a rate by its product type, an appraisal by its
employee and period, an audit by its order and notes, a run by its branch and month); a run that cannot be
computed is reported as a warning and left out.
"""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from aftersales.core.errors import Conflict
from aftersales.demo.service import INSTALLATION
from aftersales.org import services as org_services
from aftersales.org.models import Employee, Position, Team, User
from aftersales.pay.choices import AppraisalStatus, PeriodKind, RunStatus
from aftersales.pay.models import Appraisal, PayInput, PayPolicy, PayRun, PieceRate
from aftersales.pay.services.appraisals import appraisal_confirm, appraisal_create
from aftersales.pay.services.inputs import pay_inputs_set
from aftersales.pay.services.policies import piece_rate_set, policy_create
from aftersales.pay.services.runs import pay_run_act, pay_run_create
from aftersales.quality.models import Audit
from aftersales.quality.services import audit_record
from aftersales.service.models import ServiceOrder

logger = logging.getLogger(__name__)

INSTALLER_POSITION = {
    "code": "installer",
    "name": "安装工",
    "duties": (
        "1、按售服安装主管的安排按时上门安装，现场文明施工，遵守服务4S标准。\n"
        "2、安装完成后清理场地，对门边线接角、门扇开启、门锁功能、油漆刮花、钉眼修补等项目自检。\n"
        "3、自检合格后配合验收，验收不合格时及时整改；发现产品生产加工问题及时反馈。"
    ),
    "kpis": "1、计件量（按产品计件单价）\n2、自检项目合格率、验收一次通过率\n3、4S督查违规项数",
    "reports_to": "install_supervisor",
}

SUPERVISOR_SHEET = """\
# 售服安装主管 月收入（岗位职责待遇制度）
月收入 = 基本工资 + (职务工资 + 行政奖) × 月考核分 / 88 + 补助 + 提成奖 + 业绩奖 × 70%
基本工资 = 600
职务工资 = 900
补助 = 0
行政奖 = 1000
# 售后检查每月20户以上30元/单，不足20户20元/单；4S督查奖励，减本人所在小组的违规扣罚
提成奖 = 售后检查单数 × IF(售后检查单数 >= 20, 30, 20) + 督查奖励 − 违规扣罚
"""
SUPERVISOR_YEAR_SHEET = """\
# 售服安装主管 年收入：每月业绩奖发70%，其余30%按年终考核分年底发放
年收入 = 月收入总和 + 年终业绩奖
年终业绩奖 = 全年业绩奖 × 30% × 年终考核分 / 88
"""
INSTALLER_SHEET = """\
# 安装工 计件工资：小组的计件金额由组员平分
月收入 = 基本工资 + 计件工资 − 违规扣罚
基本工资 = 1500
计件工资 = 计件金额 / MAX(班组人数, 1)
"""
TECHNICIAN_SHEET = """\
# 维修技师：售出工时按工时单价计，乘月考核分/88
月收入 = 基本工资 + 工时工资
基本工资 = 2200
工时单价 = 35
工时工资 = 工时 × 工时单价 × 月考核分 / 88
"""
ADVISOR_SHEET = """\
# 服务顾问：产值提成1%
月收入 = 基本工资 + 产值提成
基本工资 = 2500
产值提成 = 产值 × 1%
"""


@dataclass(frozen=True)
class DemoPolicy:
    code: str
    name: str
    position: str
    sheet: str
    total: str
    kind: str = PeriodKind.MONTHLY


POLICIES = (
    DemoPolicy("AZZG", "售服安装主管薪酬", "install_supervisor", SUPERVISOR_SHEET, "月收入"),
    DemoPolicy(
        "AZZG-NZ", "售服安装主管年终", "install_supervisor", SUPERVISOR_YEAR_SHEET, "年终业绩奖", PeriodKind.ANNUAL
    ),
    DemoPolicy("AZG", "安装工计件工资", INSTALLER_POSITION["code"], INSTALLER_SHEET, "月收入"),
    DemoPolicy("WXJS", "维修技师工时工资", "technician", TECHNICIAN_SHEET, "月收入"),
    DemoPolicy("FWGW", "服务顾问薪酬", "service_advisor", ADVISOR_SHEET, "月收入"),
)
#: Piece rates per product type (the asset's model); the empty type is the rate of every other product.
PIECE_RATES = (("衣柜", "120.00"), ("橱柜", "150.00"), ("木门", "80.00"), ("", "100.00"))

#: The people paid, by user name: (monthly score last month, this month).
SCORES = {
    "install": ("92", "90"),
    "installer1": ("86", "88"),
    "tech1": ("90", "88"),
    "tech2": ("85", "87"),
    "tech3": ("88", "93"),
    "tech4": ("84", "88"),
    "advisor": ("91", "89"),
    "advisor2": ("87", "90"),
    "advisor3": ("88", "86"),
}
#: The installation supervisor's performance bonus (业绩奖): last month, this month.
BONUS = ("install", ("1000.00", "1200.00"))
SUPERVISOR, INSTALLER, INSTALL_TEAM = "install", "installer1", ("BJ02", "安装一组")
#: Per store: who runs pay (None: the demo administrator), who approves it.
RUNNERS = {"BJ01": ("hr", "manager"), "BJ02": (None, "manager2")}
#: The 4S audits of BJ02's installation order, by 梁飞: notes (their key), violations (checklist item, note).
AUDITS = (
    (
        "上门督查：充电桩安装现场",
        (("S03", "进门未穿鞋套"), ("S14", "完工未清理现场，线缆包装留在车库")),
    ),
    ("电话回访督查：安装服务规范", (("S02", "未佩戴工牌"),)),
)


def _months() -> tuple[datetime.date, datetime.date]:
    """The first days of last month and of this month (local)."""
    this = timezone.localdate().replace(day=1)
    return (this - datetime.timedelta(days=1)).replace(day=1), this


def _installer_position(admin, positions: dict[str, Position]) -> Position:
    position = Position.objects.filter(code=INSTALLER_POSITION["code"]).first()
    if position is None:
        data = INSTALLER_POSITION
        position = org_services.position_create(
            actor=admin,
            code=data["code"],
            name=data["name"],
            duties=data["duties"],
            kpis=data["kpis"],
            reports_to=positions.get(data["reports_to"]),
        )
    return position


def _installation_team(admin, people: dict[str, Employee], installer_position: Position) -> None:
    """谢鹏 is an installer (安装工) and leads 安装一组; 梁飞, who audits the team, is not one of its members."""
    installer, supervisor = people.get(INSTALLER), people.get(SUPERVISOR)
    team = Team.objects.filter(branch__code=INSTALL_TEAM[0], name=INSTALL_TEAM[1]).first()
    if installer is not None and installer.position_id != installer_position.pk:
        org_services.employee_update(actor=admin, employee=installer, data={"position": installer_position})
    if team is None or installer is None or supervisor is None:
        return
    if supervisor.team_id == team.pk:
        org_services.employee_update(actor=admin, employee=supervisor, data={"team": None})
    if team.leader_id != installer.pk and installer.team_id == team.pk:
        org_services.team_update(actor=admin, team=team, data={"leader": installer})


def _policies(hr, positions: dict[str, Position]) -> int:
    created = 0
    for policy in POLICIES:
        position = positions[policy.position]
        if PayPolicy.objects.filter(code=policy.code).exists():
            continue
        if PayPolicy.objects.filter(position=position, kind=policy.kind, active=True).exists():
            continue  # HR has written its own policy for this position
        policy_create(
            actor=hr,
            code=policy.code,
            name=policy.name,
            position=position,
            sheet=policy.sheet,
            total=policy.total,
            kind=policy.kind,
        )
        created += 1
    for product_type, rate in PIECE_RATES:
        if not PieceRate.objects.filter(product_type=product_type).exists():
            piece_rate_set(actor=hr, product_type=product_type, rate=Decimal(rate))
    return created


def _scores(admin, people: dict[str, Employee], users: dict[str, User], months) -> None:
    """Each paid person's monthly score of both months: given by their manager, confirmed by HR."""
    for username, scores in SCORES.items():
        employee = people.get(username)
        if employee is None:
            continue
        code = employee.branch.code
        runner, approver = RUNNERS.get(code, (None, None))
        manager = users.get(approver) or admin
        confirmer = users.get(runner) or admin
        for month, score in zip(months, scores, strict=True):
            period = f"{month:%Y-%m}"
            appraisal = Appraisal.objects.filter(employee=employee, kind=PeriodKind.MONTHLY, period=period).first()
            if appraisal is None:
                appraisal = appraisal_create(actor=manager, employee=employee, period=period, score=score)
            if appraisal.status == AppraisalStatus.REVIEWED:
                appraisal_confirm(actor=confirmer, appraisal=appraisal)


def _bonus(admin, people: dict[str, Employee], months) -> None:
    username, amounts = BONUS
    employee = people.get(username)
    if employee is None:
        return
    for month, amount in zip(months, amounts, strict=True):
        if not PayInput.objects.filter(employee=employee, month=month, name="业绩奖").exists():
            pay_inputs_set(actor=admin, employee=employee, month=month, values={"业绩奖": amount}, note="月度业绩奖")


def _audits(people: dict[str, Employee], users: dict[str, User]) -> int:
    """梁飞's 4S audits of 安装一组 on BJ02's installation order (one 30 元 fine per violation)."""
    supervisor = people.get(SUPERVISOR)
    order = (
        ServiceOrder.objects.filter(branch__code=INSTALL_TEAM[0], concerns=INSTALLATION.concerns)
        .select_related("branch", "team")
        .first()
    )
    if supervisor is None or order is None or order.team is None:
        return 0
    created = 0
    for notes, violations in AUDITS:
        if Audit.objects.filter(order=order, notes=notes).exists():
            continue
        try:
            with transaction.atomic():
                audit_record(
                    actor=users[SUPERVISOR],
                    auditor=supervisor,
                    order=order,
                    team=order.team,
                    violations=violations,
                    notes=notes,
                )
        except (Conflict, ValidationError, PermissionDenied) as exc:
            logger.warning("demo audit %r not recorded: %s", notes, exc)
            continue
        created += 1
    return created


def _runs(admin, branches, users: dict[str, User], months) -> list[PayRun]:
    """Last month's run, computed, approved and locked; this month's, computed. A run that fails is left out."""
    runs = []
    last, this = months
    for code, (runner, approver) in RUNNERS.items():
        branch = branches.get(code)
        if branch is None:
            continue
        actor = users.get(runner) or admin
        manager = users.get(approver) or admin
        for month, lock in ((last, True), (this, False)):
            period = f"{month:%Y-%m}"
            run = (
                PayRun.objects.filter(branch=branch, kind=PeriodKind.MONTHLY, period=period)
                .exclude(status=RunStatus.CANCELLED)
                .first()
            )
            try:
                with transaction.atomic():
                    if run is None:
                        run = pay_run_create(actor=actor, branch=branch, period=period)
                    if lock and run.status == RunStatus.COMPUTED:
                        run = pay_run_act(actor=manager, run=run, action="approve")
                    if lock and run.status == RunStatus.APPROVED:
                        run = pay_run_act(actor=actor, run=run, action="lock")
            except (Conflict, ValidationError, PermissionDenied) as exc:
                fields = getattr(exc, "fields", None) or {}
                logger.warning("demo pay run %s %s not made: %s %s", code, period, exc, fields)
                continue
            runs.append(run)
    return runs


@transaction.atomic
def demo_pay(admin, branches) -> int:
    """Create whatever of the demo pay data is missing; return how many pay runs were created.

    `branches` maps branch codes to branches (as `seed.demo_seed` passes them).
    """
    positions = {p.code: p for p in Position.objects.all()}
    positions[INSTALLER_POSITION["code"]] = _installer_position(admin, positions)
    users = User.objects.in_bulk(
        {*SCORES, BONUS[0], *(name for pair in RUNNERS.values() for name in pair if name)}, field_name="username"
    )
    people = {
        e.user.username: e
        for e in Employee.objects.filter(user__username__in=list(SCORES)).select_related("user", "branch", "team")
    }
    _installation_team(admin, people, positions[INSTALLER_POSITION["code"]])
    hr = users.get(RUNNERS["BJ01"][0]) or admin
    _policies(hr, positions)
    months = _months()
    _scores(admin, people, users, months)
    _bonus(admin, people, months)
    _audits(people, users)
    before = PayRun.objects.count()
    _runs(admin, branches, users, months)
    return PayRun.objects.count() - before
