"""The payslip pages: each line with its value and formula, each input with its source and the records behind it as
links, printing, "my payslips", and that an employee reads their own payslips (once approved) and nobody else's."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.core.testing import make_person, page_client
from aftersales.pay.models import PayAdjustment, Payslip
from aftersales.pay.services.inputs import pay_inputs_set
from aftersales.pay.services.runs import pay_run_act, pay_run_create
from aftersales.pay.tests.pages_support import (  # noqa: F401 - english is a fixture
    MONTH,
    approved_run,
    computed_run,
    english,
    locked_run,
    plain,
    ready,
    text,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
MINE = reverse("pay:my_payslips")


def detail(payslip) -> str:
    return reverse("pay:payslip_detail", args=[payslip.pk])


def printed(payslip) -> str:
    return reverse("pay:payslip_print", args=[payslip.pk])


def test_the_payslip_explains_each_line_and_links_the_records_behind_each_input(pay_shop, fake_metric):
    run, _supervisor = computed_run(pay_shop, fake_metric)
    payslip = Payslip.objects.get(run=run)

    response = page_client(pay_shop.hr).get(detail(payslip))

    assert response.status_code == 200
    lines = {line.name: line for line in response.context["lines"]}
    assert lines["月收入"].value == Decimal("3950.00")
    assert lines["月收入"].formula.startswith("基本工资 + (职务工资 + 行政奖) × 月考核分 / 88")
    assert lines["提成奖"].value == Decimal("750.00")
    inputs = {line.name: line for line in response.context["inputs"]}
    assert inputs["售后检查单数"].text == "25"
    assert inputs["售后检查单数"].source_label == "Metric from records: 售后检查单数"
    assert inputs["月考核分"].source_label == "Appraisal score: 月考核分"
    assert inputs["业绩奖"].source_label == "Manual input: 业绩奖"
    page = text(response)
    order_url = reverse("service:order_detail", args=[1])
    assert f'<a class="mono" href="{order_url}">WO-TEST</a>' in page
    (appraisal_ref,) = inputs["月考核分"].refs
    assert appraisal_ref.url == reverse("pay:appraisal_detail", args=[appraisal_ref.id])
    (input_ref,) = inputs["业绩奖"].refs
    assert input_ref.url == ""  # a manual input is shown as its month, not a link
    assert "¥3,950.00" in plain(response)


def test_an_audit_reference_links_to_the_audit_page_when_there_is_one(pay_shop, fake_metric):
    from django.urls import NoReverseMatch

    from aftersales.pay import selectors

    run, _supervisor = computed_run(pay_shop, fake_metric)
    payslip = Payslip.objects.get(run=run)
    payslip.lines.append(
        {"name": "督查次数", "kind": "input", "source": "metric", "key": "督查次数", "value": "1",
         "refs": [{"kind": "audit", "id": 7, "label": "DC-7"}]}
    )  # fmt: skip
    _lines, inputs, _adjustments = selectors.payslip_lines(payslip)

    (ref,) = next(line for line in inputs if line.name == "督查次数").refs
    try:
        expected = reverse("quality:audit_detail", args=[7])
    except NoReverseMatch:
        expected = ""
    assert ref.url == expected


def test_an_employee_reads_their_own_payslip_only_once_the_run_is_approved(pay_shop, fake_metric):
    run, supervisor = computed_run(pay_shop, fake_metric)
    payslip = Payslip.objects.get(run=run)
    own = page_client(supervisor.user)

    assert own.get(detail(payslip)).status_code == 404  # not approved yet
    pay_run_act(actor=pay_shop.manager, run=run, action="approve")
    response = own.get(detail(payslip))

    assert response.status_code == 200
    assert response.context["own"]
    assert own.get(printed(payslip)).status_code == 200


def test_an_employee_cannot_open_another_employees_payslip(pay_shop, fake_metric):
    run, supervisor = approved_run(pay_shop, fake_metric)
    colleague = pay_shop.supervisor("colleague")  # same branch, same position, no pay-run role
    payslip = Payslip.objects.get(run=run, employee=supervisor)

    assert page_client(colleague.user).get(detail(payslip)).status_code == 404
    assert page_client(colleague.user).get(printed(payslip)).status_code == 404
    technician = make_person(role="technician", branch=pay_shop.branch)
    assert page_client(technician).get(detail(payslip)).status_code == 404
    other_hr = make_person(role="hr", branch=pay_shop.other_branch)
    assert page_client(other_hr).get(detail(payslip)).status_code == 404
    assert page_client().get(detail(payslip)).status_code == 302  # to sign in


def test_roles_that_read_pay_runs_open_the_branchs_payslips(pay_shop, fake_metric):
    run, _supervisor = computed_run(pay_shop, fake_metric)
    payslip = Payslip.objects.get(run=run)

    for role in ("hr", "service_manager", "finance"):
        user = make_person(role=role, branch=pay_shop.branch)
        assert page_client(user).get(detail(payslip)).status_code == 200, role


def test_an_earlier_computation_is_marked_and_hidden_from_the_employee(pay_shop, fake_metric):
    run, supervisor = computed_run(pay_shop, fake_metric)
    first = Payslip.objects.get(run=run)
    pay_inputs_set(actor=pay_shop.hr, employee=supervisor, month=MONTH, values={"业绩奖": "2000.00"})
    from aftersales.pay.services.runs import pay_run_compute

    run = pay_run_compute(actor=pay_shop.hr, run=run)
    pay_run_act(actor=pay_shop.manager, run=run, action="approve")

    hr_view = page_client(pay_shop.hr).get(detail(first))
    assert hr_view.status_code == 200 and not hr_view.context["current"]
    assert page_client(supervisor.user).get(detail(first)).status_code == 404
    current = Payslip.objects.current().get(run=run)
    assert page_client(supervisor.user).get(detail(current)).status_code == 200


def test_my_payslips_lists_only_my_approved_or_locked_payslips_newest_first(pay_shop, fake_metric):
    supervisor = ready(pay_shop, fake_metric, name="me")
    colleague = ready(pay_shop, fake_metric, name="colleague")
    november = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period=MONTH)
    pay_run_act(actor=pay_shop.manager, run=november, action="approve")
    pay_run_act(actor=pay_shop.hr, run=november, action="lock")
    for employee in (supervisor, colleague):
        pay_shop.confirm_score(employee, "88", period="2026-12")
        pay_inputs_set(actor=pay_shop.hr, employee=employee, month="2026-12", values={"业绩奖": "500"})
    december = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period="2026-12")
    client = page_client(supervisor.user)

    before = [p.run_id for p in client.get(MINE).context["page"].items]
    pay_run_act(actor=pay_shop.manager, run=december, action="approve")
    after = client.get(MINE)

    assert before == [november.pk]  # December is not approved yet
    assert [p.run_id for p in after.context["page"].items] == [december.pk, november.pk]
    assert all(p.employee_id == supervisor.pk for p in after.context["page"].items)


def test_my_payslips_is_open_to_everyone_signed_in_and_shows_nothing_of_others(pay_shop, fake_metric):
    approved_run(pay_shop, fake_metric)

    response = page_client(pay_shop.hr).get(MINE)  # HR reads every payslip of the branch, but has none of their own

    assert response.status_code == 200
    assert list(response.context["page"].items) == []
    assert page_client().get(MINE).status_code == 302


def test_my_payslips_runs_the_same_queries_however_many(pay_shop, fake_metric, django_assert_num_queries):
    _run, supervisor = approved_run(pay_shop, fake_metric)
    client = page_client(supervisor.user)
    with CaptureQueriesContext(connection) as few:
        assert client.get(MINE).status_code == 200
    for month in ("2026-09", "2026-10"):
        pay_shop.confirm_score(supervisor, "90", period=month)
        pay_inputs_set(actor=pay_shop.hr, employee=supervisor, month=month, values={"业绩奖": "100"})
        extra = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period=month)
        pay_run_act(actor=pay_shop.manager, run=extra, action="approve")
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(MINE)
    assert len(response.context["page"].items) == 3


def test_a_locked_payslip_offers_hr_a_correction_and_shows_it_once_made(pay_shop, fake_metric):
    run, supervisor = locked_run(pay_shop, fake_metric)
    payslip = Payslip.objects.get(run=run)
    client = page_client(pay_shop.hr)

    page = text(client.get(detail(payslip)))
    link = f"{reverse('pay:adjustment_create')}?employee={supervisor.pk}&corrects={run.pk}"
    assert link in page
    PayAdjustment.objects.create(
        employee=supervisor, month="2026-12-01", amount=Decimal("50.00"), reason="漏记检查单", corrects=run,
        created_by=pay_shop.hr,
    )  # fmt: skip

    response = client.get(detail(payslip))

    assert [a.reason for a in response.context["corrections"]] == ["漏记检查单"]
    assert "漏记检查单" in plain(response)
    assert not page_client(supervisor.user).get(detail(payslip)).context["can_adjust"]


def test_the_printed_payslip_is_a_standalone_a4_page(pay_shop, fake_metric):
    run, _supervisor = computed_run(pay_shop, fake_metric)
    payslip = Payslip.objects.get(run=run)

    response = page_client(pay_shop.hr).get(printed(payslip))

    assert response.status_code == 200
    page = text(response)
    assert "css/print.css" in page and 'class="sidebar"' not in page
    assert page.count('<main class="sheet"') == 1
    assert "¥3,950.00" in page and "WO-TEST" in page
