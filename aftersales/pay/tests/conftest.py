"""Fixtures of the pay tests: a branch with the installation supervisor's position and policy (the seed's formula),
HR, a service manager, and helpers to confirm a score or fake a metric's values."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import translation

from aftersales.core.testing import make_person
from aftersales.org.tests.factories import BranchFactory, PositionFactory
from aftersales.pay.choices import AppraisalStatus
from aftersales.pay.metrics import METRICS, Metric, MetricValue, Source
from aftersales.pay.models import Appraisal
from aftersales.pay.services.policies import policy_create

#: The installation supervisor's policy as the seed writes it (岗位职责待遇制度 2.1).
SUPERVISOR_SHEET = """\
# 售服安装主管 月收入
月收入 = 基本工资 + (职务工资 + 行政奖) × 月考核分 / 88 + 补助 + 提成奖 + 业绩奖 × 70%
基本工资 = 600
职务工资 = 900
补助 = 0
行政奖 = 1000
提成奖 = 售后检查单数 × IF(售后检查单数 >= 20, 30, 20) + 督查奖励 - 违规扣罚
"""


@dataclass
class PayShop:
    branch: object
    other_branch: object
    position: object
    hr: object
    manager: object
    policy: object

    def supervisor(self, name: str = "", branch=None):
        user = make_person(role="install_supervisor", branch=branch or self.branch, username=name or None)
        user.employee.position = self.position
        user.employee.save(update_fields=["position"])
        return user.employee

    def confirm_score(self, employee, score, period: str = "2026-11", kind: str = "monthly") -> Appraisal:
        start = f"{period}-01" if kind == "monthly" else f"{period}-01-01"
        return Appraisal.objects.create(
            employee=employee,
            kind=kind,
            period=period,
            period_start=start,
            status=AppraisalStatus.CONFIRMED,
            score=Decimal(score),
            created_by=self.hr,
        )


@pytest.fixture
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def pay_shop(db):
    branch = BranchFactory(code="BJ09")
    other = BranchFactory(code="SH09")
    position = PositionFactory(code="install_supervisor_pos", name="售服安装主管")
    hr = make_person(role="hr", branch=branch)
    manager = make_person(role="service_manager", branch=branch)
    policy = policy_create(
        actor=hr, code="AZZG", name="售服安装主管薪酬", position=position, sheet=SUPERVISOR_SHEET, total="月收入"
    )
    return PayShop(branch=branch, other_branch=other, position=position, hr=hr, manager=manager, policy=policy)


@pytest.fixture
def fake_metric(monkeypatch):
    """Replace a metric by fixed values per employee: `fake_metric("售后检查单数", {employee: 25})`."""

    def install(key: str, values: dict):
        by_id = {employee.pk: Decimal(value) for employee, value in values.items()}
        original = METRICS[key]

        def compute(employees, period):
            return {
                e.pk: MetricValue(by_id[e.pk], [Source("order", 1, "WO-TEST", "1")]) for e in employees if e.pk in by_id
            }

        monkeypatch.setitem(
            METRICS,
            key,
            Metric(
                key=key, description=original.description, unit=original.unit, compute=compute, kinds=original.kinds
            ),
        )

    return install
