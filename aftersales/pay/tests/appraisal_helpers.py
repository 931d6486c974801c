"""Shared by the appraisal tests: a test-only metric with known values, people, forms and appraisals."""

from contextlib import contextmanager
from decimal import Decimal

from aftersales.core.testing import make_person
from aftersales.org.models import Position
from aftersales.pay.choices import ItemSource, PeriodKind
from aftersales.pay.metrics import METRICS, MetricValue, Source, register
from aftersales.pay.services import appraisals as svc

#: The name of the test-only metric (a valid formula name, registered by `metric_registered`).
TEST_METRIC = "测试次数"
ANNUAL_ONLY = "测试年度数"


@contextmanager
def metric_registered(values: dict):
    """Register `测试次数` answering `values[employee_pk]` (0 for the others) and recording each call's period;
    `测试年度数` exists for annual periods only. Both are removed from `METRICS` afterwards."""
    calls = []

    def compute(employees, period):
        calls.append((sorted(e.pk for e in employees), period))
        return {
            e.pk: MetricValue(Decimal(values[e.pk]), [Source("audit", n + 1, f"AUD-{n + 1}") for n in range(2)])
            for e in employees
            if e.pk in values
        }

    register(TEST_METRIC, "test metric", "次")(compute)
    register(ANNUAL_ONLY, "annual only", "次", kinds=(PeriodKind.ANNUAL,))(lambda employees, period: {})
    try:
        yield calls
    finally:
        METRICS.pop(TEST_METRIC, None)
        METRICS.pop(ANNUAL_ONLY, None)


def staff(branch, other_branch):
    """An installer with a position, their manager, HR, a technician colleague, and another branch's manager."""
    position = Position.objects.create(code="installer", name="安装工")
    people = {
        "employee": make_person(role="technician", branch=branch),
        "colleague": make_person(role="technician", branch=branch),
        "manager": make_person(role="install_supervisor", branch=branch),
        "hr": make_person(role="hr", branch=branch),
        "other_manager": make_person(role="install_supervisor", branch=other_branch),
        "other_employee": make_person(role="technician", branch=other_branch),
    }
    for key in ("employee", "colleague", "other_employee"):
        employee = people[key].employee
        employee.position = position
        employee.save(update_fields=["position"])
    people["position"] = position
    return people


def manual(name="工作质量", weight="40"):
    return {"name": name, "weight": weight, "source": ItemSource.MANUAL, "metric": "", "rule": ""}


def metric_item(name="督查完成", weight="60", rule=f"MIN({TEST_METRIC} / 10, 1) × 100", metric=TEST_METRIC):
    return {"name": name, "weight": weight, "source": ItemSource.METRIC, "metric": metric, "rule": rule}


def make_form(hr, position, items=None, kind=PeriodKind.MONTHLY, name="安装工月度考核"):
    return svc.appraisal_form_create(
        actor=hr, name=name, position=position, kind=kind, items=items or [manual(), metric_item()]
    )
