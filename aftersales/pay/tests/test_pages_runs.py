"""The pay-run pages: the list (filters, a fixed number of queries), making a run (and its failure list, saving
nothing), the run's page with the steps each role may take, the pay sheet as xlsx, the printed payslips, and who
may open them."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.core.testing import make_person, page_client, walk_role_matrix
from aftersales.org.tests.factories import BranchFactory
from aftersales.pay.models import PayRun, Payslip
from aftersales.pay.tests.pages_support import (  # noqa: F401 - english is a fixture
    MONTH,
    allowed,
    computed_run,
    english,
    locked_run,
    plain,
    ready,
    text,
    toasts,
    xlsx_rows,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

LIST = reverse("pay:run_list")
CREATE = reverse("pay:run_create")


def detail(run) -> str:
    return reverse("pay:run_detail", args=[run.pk])


def action(run, name) -> str:
    return reverse("pay:run_action", args=[run.pk, name])


# -- list -------------------------------------------------------------------------------------------------------------


def test_the_list_shows_the_runs_of_the_visible_branches(pay_shop, fake_metric):
    run, _supervisor = computed_run(pay_shop, fake_metric)
    hidden = BranchFactory()
    theirs = PayRun.objects.create(
        number="GZ-OTHER", branch=hidden, period="2026-10", period_start="2026-10-01", period_end="2026-11-01",
        created_by=pay_shop.hr,
    )  # fmt: skip

    response = page_client(pay_shop.hr).get(LIST)

    assert response.status_code == 200
    listed = [r.pk for r in response.context["page"].items]
    assert listed == [run.pk]
    assert theirs.pk not in listed
    assert "¥3,950.00" in text(response)


def test_the_list_filters_by_status_period_and_branch(pay_shop, fake_metric):
    run, _supervisor = computed_run(pay_shop, fake_metric)
    client = page_client(pay_shop.hr)

    def listed(query: str) -> list[int]:
        return [r.pk for r in client.get(f"{LIST}?{query}").context["page"].items]

    assert listed("status=computed") == [run.pk]
    assert listed("status=locked") == []
    assert listed(f"period={MONTH}") == [run.pk]
    assert listed("period=2026-10") == []
    assert listed(f"branch={pay_shop.branch.pk}") == [run.pk]
    assert listed(f"branch={pay_shop.other_branch.pk}") == []


def test_the_list_runs_the_same_queries_however_many_runs(pay_shop, django_assert_num_queries):
    client = page_client(pay_shop.hr)

    def add(months):
        for month in months:
            PayRun.objects.create(
                number=f"GZ-{month}", branch=pay_shop.branch, period=f"2025-{month:02d}",
                period_start=f"2025-{month:02d}-01", period_end=f"2025-{month:02d}-28", created_by=pay_shop.hr,
            )  # fmt: skip

    add([1])
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    add(range(2, 13))
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert len(response.context["page"].items) == 12


def test_the_list_is_for_roles_that_read_pay_runs(pay_shop):
    mismatches = walk_role_matrix(
        own_url=LIST,
        other_url=None,
        allowed=allowed("pay.view_payrun"),
        own_branch=pay_shop.branch,
        other_branch=pay_shop.other_branch,
        send=lambda client, url: client.get(url),
    )
    assert not mismatches, "\n".join(map(str, mismatches))


# -- create -----------------------------------------------------------------------------------------------------------


def test_hr_makes_the_months_run_and_lands_on_its_page(pay_shop, fake_metric):
    supervisor = ready(pay_shop, fake_metric)
    client = page_client(pay_shop.hr)

    response = client.post(CREATE, {"branch": pay_shop.branch.pk, "kind": "monthly", "month": MONTH}, follow=True)

    run = PayRun.objects.get()
    assert response.redirect_chain[-1][0] == detail(run)
    assert run.status == "computed"
    page = text(response)
    assert f'id="payslip-{Payslip.objects.get(employee=supervisor).pk}"' in page
    assert '<td class="num" data-label="月收入" data-line="月收入">¥3,950.00</td>' in page
    assert any("computed" in message for message in toasts(response))


def test_a_run_that_cannot_compute_lists_each_employee_and_saves_nothing(pay_shop, fake_metric):
    ready(pay_shop, fake_metric)
    no_score = pay_shop.supervisor("no-score")
    client = page_client(pay_shop.hr)

    response = client.post(CREATE, {"branch": pay_shop.branch.pk, "kind": "monthly", "month": MONTH})

    assert response.status_code == 200
    (reasons,) = response.context["failures"]  # one employee, with each of their reasons
    assert all(no_score.name in reason for reason in reasons)
    assert any("月考核分" in reason for reason in reasons) and any("业绩奖" in reason for reason in reasons)
    assert 'id="run-failures"' in text(response)
    assert not PayRun.objects.exists()
    assert not Payslip.objects.exists()


def test_a_second_run_of_the_month_is_refused_on_the_form(pay_shop, fake_metric):
    computed_run(pay_shop, fake_metric)

    response = page_client(pay_shop.hr).post(CREATE, {"branch": pay_shop.branch.pk, "kind": "monthly", "month": MONTH})

    assert response.status_code == 200
    assert "already has a pay run" in " ".join(response.context["form"].non_field_errors())
    assert PayRun.objects.count() == 1


def test_a_year_end_run_needs_a_year_and_a_bad_month_is_shown_beside_the_field(pay_shop):
    client = page_client(pay_shop.hr)

    annual = client.post(CREATE, {"branch": pay_shop.branch.pk, "kind": "annual", "year": ""})
    bad_month = client.post(CREATE, {"branch": pay_shop.branch.pk, "kind": "monthly", "month": "2026-13"})

    assert annual.context["form"].errors["year"]
    assert bad_month.context["form"].errors["month"]
    assert not PayRun.objects.exists()


def test_another_branch_cannot_be_chosen_and_roles_without_the_right_are_refused(pay_shop):
    response = page_client(pay_shop.hr).post(
        CREATE, {"branch": pay_shop.other_branch.pk, "kind": "monthly", "month": MONTH}
    )
    assert response.context["form"].errors["branch"]
    for role in ("service_manager", "finance", "technician"):
        user = make_person(role=role, branch=pay_shop.branch)
        assert page_client(user).get(CREATE).status_code == 403
    assert not PayRun.objects.exists()


# -- the run's page ---------------------------------------------------------------------------------------------------


def test_the_run_page_shows_totals_the_pay_sheet_skipped_employees_and_history(pay_shop, fake_metric):
    run, supervisor = computed_run(pay_shop, fake_metric)

    response = page_client(pay_shop.hr).get(detail(run))

    assert response.status_code == 200
    assert response.context["columns"] == ["月收入", "基本工资", "职务工资", "补助", "行政奖", "提成奖"]
    (row,) = response.context["rows"]
    assert row.payslip.employee == supervisor
    assert dict(row.named)["提成奖"] == Decimal("750.00")
    page = plain(response)
    assert "¥3,950.00" in page
    assert pay_shop.hr.employee.name in page  # skipped: no pay policy for HR's position
    assert "No active pay policy" in page or "No position" in page
    assert response.context["history"]


def test_each_role_sees_only_the_steps_it_may_take(pay_shop, fake_metric):
    run, _supervisor = computed_run(pay_shop, fake_metric)
    finance = make_person(role="finance", branch=pay_shop.branch)

    def steps(user):
        return [a["name"] for a in page_client(user).get(detail(run)).context["actions"]]

    assert steps(pay_shop.hr) == ["compute", "cancel"]
    assert steps(pay_shop.manager) == ["approve"]
    assert steps(finance) == []


def test_approve_and_lock_through_the_buttons_which_ask_first(pay_shop, fake_metric):
    run, _supervisor = computed_run(pay_shop, fake_metric)
    page = text(page_client(pay_shop.manager).get(detail(run)))
    assert re.search(r'id="action-approve"[^>]*data-confirm="Approve this pay run', page)

    approved = page_client(pay_shop.manager).post(action(run, "approve"), follow=True)
    locked = page_client(pay_shop.hr).post(action(run, "lock"), follow=True)

    run.refresh_from_db()
    assert run.status == "locked"
    assert approved.redirect_chain[-1][0] == detail(run)
    assert any("Locked" in m or "locked" in m for m in toasts(locked))


def test_a_step_the_role_may_not_take_is_refused_and_a_wrong_one_is_a_toast(pay_shop, fake_metric):
    run, _supervisor = computed_run(pay_shop, fake_metric)

    refused = page_client(pay_shop.hr).post(action(run, "approve"))
    too_early = page_client(pay_shop.hr).post(action(run, "lock"), follow=True)
    unknown = page_client(pay_shop.hr).post(action(run, "explode"))

    assert refused.status_code == 403
    assert unknown.status_code == 404
    assert any("cannot be" in m for m in toasts(too_early))
    run.refresh_from_db()
    assert run.status == "computed"


def test_recompute_that_fails_lists_the_employees_and_keeps_the_run(pay_shop, fake_metric):
    run, _supervisor = computed_run(pay_shop, fake_metric)
    newcomer = pay_shop.supervisor("newcomer")

    response = page_client(pay_shop.hr).post(action(run, "compute"))

    assert response.status_code == 200
    assert any(newcomer.name in reason for reasons in response.context["failures"] for reason in reasons)
    run.refresh_from_db()
    assert run.version == 1 and Payslip.objects.filter(run=run).count() == 1


def test_the_run_page_of_another_branch_is_not_found_and_roles_without_the_right_are_refused(pay_shop, fake_metric):
    run, _supervisor = computed_run(pay_shop, fake_metric)
    other_hr = make_person(role="hr", branch=pay_shop.other_branch)
    technician = make_person(role="technician", branch=pay_shop.branch)

    for url in (detail(run), reverse("pay:run_export", args=[run.pk]), reverse("pay:run_print", args=[run.pk])):
        assert page_client(other_hr).get(url).status_code == 404
        assert page_client(technician).get(url).status_code == 403
    assert page_client(other_hr).post(action(run, "cancel")).status_code == 404


def test_a_locked_run_offers_hr_a_correction_in_a_later_month(pay_shop, fake_metric):
    run, _supervisor = locked_run(pay_shop, fake_metric)

    hr_page = page_client(pay_shop.hr).get(detail(run))
    manager_page = page_client(pay_shop.manager).get(detail(run))

    assert hr_page.context["actions"] == []
    assert f"{reverse('pay:adjustment_create')}?corrects={run.pk}" in text(hr_page)
    assert not manager_page.context["can_adjust"]


# -- xlsx and print ---------------------------------------------------------------------------------------------------


def test_the_pay_sheet_exports_the_same_columns_and_a_total_row(pay_shop, fake_metric):
    run, supervisor = computed_run(pay_shop, fake_metric)
    second = ready(pay_shop, fake_metric, bonus="2000.00", name="second")
    fake_metric("售后检查单数", {supervisor: 25, second: 10})
    from aftersales.pay.services.runs import pay_run_compute

    run = pay_run_compute(actor=pay_shop.hr, run=run)

    response = page_client(pay_shop.hr).get(reverse("pay:run_export", args=[run.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, *body, total = xlsx_rows(response)
    assert header == [
        "Employee number",
        "Name",
        "Position",
        "月收入",
        "基本工资",
        "职务工资",
        "补助",
        "行政奖",
        "提成奖",
        "Total",
    ]
    by_name = {row[1]: row for row in body}
    assert by_name[supervisor.name][3] == 3950
    # 600 + 1900 + 0 + 10 × 20 + 2000 × 70% = 4100
    assert by_name[second.name][3] == 4100
    assert by_name[second.name][8] == 200
    assert total[0] == "Total"
    assert total[3] == 8050 and total[-1] == 8050
    assert Decimal(str(total[-1])) == run.total


def test_the_pay_sheet_has_chinese_headers_in_chinese(pay_shop, fake_metric):
    from django.conf import settings

    run, _supervisor = computed_run(pay_shop, fake_metric)
    client = page_client(pay_shop.hr)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get(reverse("pay:run_export", args=[run.pk]))
    header = xlsx_rows(response)[0]
    assert header[:3] == ["工号", "姓名", "岗位"] and header[-1] == "合计"


def test_the_print_page_has_one_sheet_per_payslip(pay_shop, fake_metric):
    run, supervisor = computed_run(pay_shop, fake_metric)
    ready(pay_shop, fake_metric, name="second")
    fake_metric("售后检查单数", {supervisor: 25})
    from aftersales.pay.services.runs import pay_run_compute

    pay_run_compute(actor=pay_shop.hr, run=run)
    response = page_client(pay_shop.hr).get(reverse("pay:run_print", args=[run.pk]))

    assert response.status_code == 200
    page = text(response)
    assert page.count('<main class="sheet"') == 2
    assert "break-after: page" in page
    assert "¥3,950.00" in page


def test_another_month_of_the_same_branch_is_a_second_run(pay_shop, fake_metric):
    computed_run(pay_shop, fake_metric)
    supervisor = pay_shop.supervisor("december")
    assert supervisor  # only November's inputs exist: December fails for everyone
    response = page_client(pay_shop.hr).post(
        CREATE, {"branch": pay_shop.branch.pk, "kind": "monthly", "month": "2026-12"}
    )
    assert response.context["failures"]
    assert PayRun.objects.count() == 1


def test_the_run_page_runs_the_same_queries_however_many_payslips(pay_shop, fake_metric, django_assert_num_queries):
    from aftersales.pay.services.runs import pay_run_compute

    run, supervisor = computed_run(pay_shop, fake_metric)
    client = page_client(pay_shop.hr)
    with CaptureQueriesContext(connection) as few:
        assert client.get(detail(run)).status_code == 200
    more = [ready(pay_shop, fake_metric, name=f"more{number}") for number in range(4)]
    fake_metric("售后检查单数", {employee: 25 for employee in [supervisor, *more]})
    run = pay_run_compute(actor=pay_shop.hr, run=run)

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(detail(run))
    assert len(response.context["rows"]) == 5
