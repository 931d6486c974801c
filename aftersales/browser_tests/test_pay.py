"""Pay in the browser: HR pastes the seed's policy as the document writes it, enters the month's 业绩奖 and runs the
month's pay; the installation supervisor's 月收入 is 3950.00.

Every page a test opens is watched by the `web` fixture: a JavaScript error or a console error on any of them fails
the test.
"""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from aftersales.browser_tests.helpers import ui_text, unlabelled_fields
from aftersales.core.testing import make_person
from aftersales.org.tests.factories import PositionFactory
from aftersales.pay.choices import AppraisalStatus
from aftersales.pay.models import Appraisal, PayInput, PayPolicy, PayRun, Payslip

pytestmark = pytest.mark.browser

MONTH = "2026-11"

#: The installation supervisor's policy exactly as the document writes it: full-width brackets, × ÷ and %.
SEED_POLICY = """月收入 = 基本工资 + （职务工资 + 行政奖）× 月考核分 ÷ 88 + 补助 + 提成奖 + 业绩奖 × 70%
基本工资 = 600
职务工资 = 900
补助 = 0
行政奖 = 1000
提成奖 = 售后检查单数 × IF(售后检查单数 >= 20, 30, 20)"""


def action(text: str) -> re.Pattern:
    """The name of a button or link that starts with a sign ("✓ Check the policy"): exactly `text` after it."""
    return re.compile(rf"^\W*{re.escape(ui_text(text))}$")


@pytest.fixture
def position():
    return PositionFactory(code="install_supervisor_b", name="售服安装主管")


@pytest.fixture
def hr(branch):
    return make_person(role="hr", branch=branch, username="hr")


@pytest.fixture
def supervisor(branch, position, hr):
    """The installation supervisor of BJ01 with November's appraisal confirmed at par (88)."""
    user = make_person(role="install_supervisor", branch=branch, username="supervisor")
    employee = user.employee
    employee.position = position
    employee.save(update_fields=["position"])
    Appraisal.objects.create(
        employee=employee,
        kind="monthly",
        period=MONTH,
        period_start=datetime.date(2026, 11, 1),
        status=AppraisalStatus.CONFIRMED,
        score=Decimal("88"),
        created_by=hr,
    )
    return employee


def test_hr_pastes_the_seed_policy_enters_the_bonus_and_runs_the_month(web, branch, position, hr, supervisor):
    page = web.new_page(user=hr)

    # HR writes the policy: pastes the document's text, checks it, binds the inspections to 25 for the month
    page.goto("/pay/policies/new/")
    page.locator("#id_code").fill("AZZG")
    page.locator("#id_name").fill("售服安装主管薪酬")
    page.locator("#id_position").select_option(label=position.name)
    page.locator("#id_sheet").fill(SEED_POLICY)
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name=action("Check the policy")).click()
    rows = page.locator("#binding-table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#sheet-check-ok")).to_be_visible()
    assert page.evaluate("window.notReloaded === true")  # htmx redrew the rows; the page stayed
    inspections = page.locator("tr[data-input='售后检查单数']")
    expect(inspections.locator("select")).to_have_value("metric")
    expect(page.locator("tr[data-input='月考核分'] select")).to_have_value("appraisal")
    expect(page.locator("tr[data-input='业绩奖'] select")).to_have_value("manual")
    inspections.locator("select").select_option("constant")
    inspections.locator("input[name$='-value']").fill("25")
    page.locator("#id_total").fill("月收入")
    assert unlabelled_fields(page) == []
    page.get_by_role("button", name=action("Save"), exact=True).click()

    policy = PayPolicy.objects.get(code="AZZG")
    expect(page).to_have_url(re.compile(rf"/pay/policies/{policy.pk}/$"))
    expect(page.locator("#policy-total")).to_have_text("月收入")
    assert policy.bindings["售后检查单数"] == {"source": "constant", "value": "25"}

    # … enters November's 业绩奖 for the supervisor on the inputs page
    page.goto("/pay/inputs/")
    page.locator("#id_branch").select_option(str(branch.pk))
    page.locator("#id_month").fill(MONTH)
    page.locator("#id_names").fill("业绩奖")
    page.get_by_role("button", name=action("Show")).click()
    bonus = page.locator(f"#v-{supervisor.pk}-0")
    expect(bonus).to_be_visible()
    bonus.fill("1000")
    page.locator("#save-inputs").click()
    expect(page.locator(f"#v-{supervisor.pk}-0")).to_have_value("1000.00")
    assert PayInput.objects.get(employee=supervisor, name="业绩奖").value == Decimal("1000.00")

    # … and runs the month's pay: the supervisor's 月收入 is 3950.00
    page.goto("/pay/runs/new/")
    page.locator("#id_branch").select_option(str(branch.pk))
    page.locator("#id_kind").select_option("monthly")
    page.locator("#id_month").fill(MONTH)
    page.get_by_role("button", name=action("Compute the pay run")).click()

    run = PayRun.objects.get()
    expect(page).to_have_url(re.compile(rf"/pay/runs/{run.pk}/$"))
    payslip = Payslip.objects.get(run=run, employee=supervisor)
    income = page.locator(f"#payslip-{payslip.pk} td[data-line='月收入']")
    expect(income).to_have_text("¥3,950.00")
    expect(page.locator(f"#payslip-{payslip.pk} td[data-line='提成奖']")).to_have_text("¥750.00")
    assert payslip.total == Decimal("3950.00")

    # the payslip explains the line: the constant 25 and the confirmed score behind it
    page.locator(f"#payslip-{payslip.pk} a").first.click()
    expect(page.locator("tr[data-line='月收入'] td").last).to_have_text("¥3,950.00")
    expect(page.locator("tr[data-input='售后检查单数']")).to_contain_text("25")
