"""The manual-input pages: the grid of a branch's employees for a month (saved all or nothing, read-only once the
month is locked), the xlsx template and its import (checked first, each error naming the line and the column,
then saved all or nothing), and the adjustments."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.core.models import AuditEvent
from aftersales.core.testing import make_person, page_client, walk_role_matrix
from aftersales.pay.models import PayAdjustment, PayInput
from aftersales.pay.services.inputs import pay_inputs_set
from aftersales.pay.tests.pages_support import (  # noqa: F401 - english is a fixture
    MONTH,
    allowed,
    english,
    locked_run,
    plain,
    text,
    toasts,
    xlsx_file,
    xlsx_rows,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

GRID = reverse("pay:input_list")
TEMPLATE = reverse("pay:input_template")
IMPORT = reverse("pay:input_import")
COMMIT = reverse("pay:input_import_commit")
ADJUSTMENTS = reverse("pay:adjustment_list")
NEW_ADJUSTMENT = reverse("pay:adjustment_create")


def pick(pay_shop, names="业绩奖", month=MONTH) -> dict:
    return {"branch": pay_shop.branch.pk, "month": month, "names": names}


def cell(employee, index=0) -> str:
    return f"v-{employee.pk}-{index}"


def value(employee, name="业绩奖", month="2026-11-01"):
    row = PayInput.objects.filter(employee=employee, name=name, month=month).first()
    return None if row is None else row.value


@pytest.fixture
def staff(pay_shop):
    """Two supervisors of the branch and one of the other branch."""
    return (
        pay_shop.supervisor("zhang"),
        pay_shop.supervisor("li"),
        pay_shop.supervisor("wang", branch=pay_shop.other_branch),
    )


# -- the grid ---------------------------------------------------------------------------------------------------------


def test_the_grid_lists_the_branchs_active_employees_with_their_values(pay_shop, staff):
    zhang, li, wang = staff
    pay_inputs_set(actor=pay_shop.hr, employee=zhang, month=MONTH, values={"业绩奖": "1200"})
    li.active = False
    li.save(update_fields=["active"])

    response = page_client(pay_shop.hr).get(GRID, pick(pay_shop))

    assert response.status_code == 200
    shown = {row["employee"].pk: row["cells"][0]["text"] for row in response.context["rows"]}
    assert shown[zhang.pk] == "1200.00"
    assert li.pk not in shown and wang.pk not in shown
    assert f'name="{cell(zhang)}" value="1200.00"' in text(response)
    assert not response.context["closed"]


def test_the_page_without_a_choice_shows_only_the_picker(pay_shop):
    response = page_client(pay_shop.hr).get(GRID)

    assert response.status_code == 200
    assert "rows" not in response.context
    assert response.context["form"].initial["names"] == "业绩奖"  # the manual input of the active policies


def test_saving_writes_what_changed_in_one_go(pay_shop, staff):
    zhang, li, _wang = staff
    pay_inputs_set(actor=pay_shop.hr, employee=zhang, month=MONTH, values={"业绩奖": "1200"})
    before = AuditEvent.objects.count()

    response = page_client(pay_shop.hr).post(
        GRID, {**pick(pay_shop), cell(zhang): "1200.00", cell(li): "1,500"}, follow=True
    )

    assert value(li) == Decimal("1500.00")
    assert value(zhang) == Decimal("1200.00")
    assert AuditEvent.objects.count() == before + 1  # only Li's new input was written
    assert any("1 employees" in m or "Saved" in m for m in toasts(response))
    assert response.redirect_chain[-1][0].startswith(GRID + "?branch=")


def test_one_bad_cell_saves_nothing_and_marks_the_row(pay_shop, staff):
    zhang, li, _wang = staff
    pay_inputs_set(actor=pay_shop.hr, employee=zhang, month=MONTH, values={"业绩奖": "1200"})

    response = page_client(pay_shop.hr).post(GRID, {**pick(pay_shop), cell(zhang): "1300", cell(li): "很多"})

    assert response.status_code == 200
    assert value(zhang) == Decimal("1200.00") and value(li) is None
    rows = {row["employee"].pk: row for row in response.context["rows"]}
    assert rows[li.pk]["errors"] == ["业绩奖: “很多” is not a number."]
    assert rows[li.pk]["cells"][0]["text"] == "很多"  # what was typed stays in the cell
    assert rows[zhang.pk]["cells"][0]["text"] == "1300"


def test_a_value_cannot_be_blanked_out(pay_shop, staff):
    zhang, _li, _wang = staff
    pay_inputs_set(actor=pay_shop.hr, employee=zhang, month=MONTH, values={"业绩奖": "1200"})

    response = page_client(pay_shop.hr).post(GRID, {**pick(pay_shop), cell(zhang): ""})

    rows = {row["employee"].pk: row for row in response.context["rows"]}
    assert "enter 0" in rows[zhang.pk]["errors"][0]
    assert value(zhang) == Decimal("1200.00")


def test_an_employee_of_another_branch_cannot_be_written_through_the_grid(pay_shop, staff):
    zhang, _li, wang = staff

    response = page_client(pay_shop.hr).post(GRID, {**pick(pay_shop), cell(zhang): "10", cell(wang): "999"})

    assert response.status_code == 200
    assert value(wang) is None and value(zhang) is None


def test_another_branch_cannot_be_picked(pay_shop, staff):
    response = page_client(pay_shop.hr).get(GRID, {**pick(pay_shop), "branch": pay_shop.other_branch.pk})

    assert response.status_code == 200
    assert response.context["form"].errors["branch"]
    assert "rows" not in response.context


def test_several_inputs_are_columns_of_the_grid(pay_shop, staff):
    zhang, _li, _wang = staff

    page_client(pay_shop.hr).post(
        GRID, {**pick(pay_shop, names="业绩奖、全勤奖"), cell(zhang, 0): "100", cell(zhang, 1): "50"}
    )

    assert value(zhang) == Decimal("100.00") and value(zhang, "全勤奖") == Decimal("50.00")


def test_a_locked_month_is_read_only(pay_shop, fake_metric):
    _run, supervisor = locked_run(pay_shop, fake_metric)
    client = page_client(pay_shop.hr)

    page = client.get(GRID, pick(pay_shop))
    posted = client.post(GRID, {**pick(pay_shop), cell(supervisor): "5000"}, follow=True)

    assert page.context["closed"]
    assert 'id="month-closed"' in text(page)
    assert f'name="{cell(supervisor)}"' not in text(page)
    assert 'id="save-inputs"' not in text(page)
    assert value(supervisor) == Decimal("1000.00")
    assert any("locked" in m for m in toasts(posted))


def test_the_grid_runs_the_same_queries_however_many_employees(pay_shop, django_assert_num_queries):
    client = page_client(pay_shop.hr)
    first = pay_shop.supervisor("first")
    pay_inputs_set(actor=pay_shop.hr, employee=first, month=MONTH, values={"业绩奖": "1"})
    with CaptureQueriesContext(connection) as few:
        assert client.get(GRID, pick(pay_shop)).status_code == 200
    for number in range(8):
        employee = pay_shop.supervisor(f"more{number}")
        pay_inputs_set(actor=pay_shop.hr, employee=employee, month=MONTH, values={"业绩奖": "1"})
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(GRID, pick(pay_shop))
    assert len(response.context["rows"]) == 11  # nine supervisors, HR and the manager


def test_the_inputs_pages_are_for_hr_and_the_manager(pay_shop):
    mismatches = walk_role_matrix(
        own_url=GRID,
        other_url=None,
        allowed=allowed("pay.view_payinput"),
        own_branch=pay_shop.branch,
        other_branch=pay_shop.other_branch,
        send=lambda client, url: client.get(url),
    )
    assert not mismatches, "\n".join(map(str, mismatches))
    finance = page_client(make_person(role="finance", branch=pay_shop.branch))
    assert finance.post(IMPORT).status_code == 403
    assert finance.post(COMMIT, {"token": "x"}).status_code == 403


# -- xlsx template and import -----------------------------------------------------------------------------------------


def test_the_template_lists_the_employees_with_their_values(pay_shop, staff):
    zhang, li, _wang = staff
    pay_inputs_set(actor=pay_shop.hr, employee=zhang, month=MONTH, values={"业绩奖": "1200"})

    response = page_client(pay_shop.hr).get(TEMPLATE, pick(pay_shop, names="业绩奖,全勤奖"))

    assert response.status_code == 200
    header, *rows = xlsx_rows(response)
    assert header == ["Employee number", "Name", "业绩奖", "全勤奖"]
    by_number = {row[0]: row for row in rows}
    assert by_number[zhang.employee_no] == [zhang.employee_no, zhang.name, 1200, None]
    assert by_number[li.employee_no][2] is None
    assert len(rows) == 4  # zhang, li, HR, the manager


def test_the_template_has_chinese_headers_in_chinese(pay_shop, staff):
    from django.conf import settings

    client = page_client(pay_shop.hr)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    header = xlsx_rows(client.get(TEMPLATE, pick(pay_shop)))[0]
    assert header == ["工号", "姓名", "业绩奖"]


def preview(pay_shop, rows, month=MONTH):
    return page_client(pay_shop.hr).post(
        IMPORT, {"branch": pay_shop.branch.pk, "month": month, "file": xlsx_file(rows)}
    )


def test_a_valid_sheet_is_previewed_then_imported(pay_shop, staff):
    zhang, li, _wang = staff
    rows = [
        ["工号", "姓名", "业绩奖", "全勤奖"],
        [zhang.employee_no, zhang.name, 1200, None],
        [li.employee_no, li.name, 800.5, 50],
    ]

    checked = preview(pay_shop, rows)

    assert checked.status_code == 200
    result = checked.context["result"]
    assert not result.bad_rows and result.token
    assert value(zhang) is None  # nothing saved by the check
    imported = page_client(pay_shop.hr).post(COMMIT, {"token": result.token}, follow=True)
    assert value(zhang) == Decimal("1200.00")
    assert value(li) == Decimal("800.50") and value(li, "全勤奖") == Decimal("50.00")
    assert value(zhang, "全勤奖") is None  # a blank cell changes nothing
    assert any("Imported 3 values of 2 employees" in m for m in toasts(imported))


def test_every_row_error_names_the_line_and_the_column_and_nothing_can_be_imported(pay_shop, staff):
    zhang, li, wang = staff
    rows = [
        ["工号", "姓名", "业绩奖"],
        [zhang.employee_no, zhang.name, 1200],
        ["T99999", "无名", 100],
        [li.employee_no, li.name, "很多"],
        [wang.employee_no, wang.name, 100],
        [zhang.employee_no, "别人", 5],
    ]

    response = preview(pay_shop, rows)

    result = response.context["result"]
    errors = {row.line: row.errors for row in result.rows}
    assert errors[3] == [f"Employee number: there is no employee T99999 in {pay_shop.branch.name}."]
    assert errors[4] == ["业绩奖: “很多” is not a number."]
    assert errors[5][0].startswith("Employee number: there is no employee")  # another branch's employee
    assert any(e.startswith("Name: “别人” is not the name of") for e in errors[6])
    assert any("also on line 2" in e for e in errors[6]) and any("also on line 6" in e for e in errors[2])
    assert not result.token
    assert 'id="input-import-commit"' not in text(response)
    assert "Line" in plain(response)
    assert not PayInput.objects.exists()


def test_a_locked_month_is_a_row_error(pay_shop, fake_metric):
    _run, supervisor = locked_run(pay_shop, fake_metric)

    response = preview(pay_shop, [["工号", "业绩奖"], [supervisor.employee_no, 5000]])

    (row,) = response.context["result"].rows
    assert "locked" in row.errors[0]
    assert value(supervisor) == Decimal("1000.00")


def test_the_import_is_all_or_nothing_when_the_database_changed_since_the_check(pay_shop, staff):
    zhang, li, _wang = staff
    checked = preview(pay_shop, [["工号", "业绩奖"], [zhang.employee_no, 1200], [li.employee_no, 800]])
    token = checked.context["result"].token
    li.active = False  # after the check, before the confirmation
    li.save(update_fields=["active"])

    response = page_client(pay_shop.hr).post(COMMIT, {"token": token})

    assert response.status_code == 409
    errors = {row.line: row.errors for row in response.context["result"].rows}
    assert errors[3] and "no longer active" in errors[3][0]
    assert value(zhang) is None and value(li) is None


def test_a_changed_token_is_refused(pay_shop, staff):
    zhang, _li, _wang = staff
    token = preview(pay_shop, [["工号", "业绩奖"], [zhang.employee_no, 1200]]).context["result"].token

    response = page_client(pay_shop.hr).post(COMMIT, {"token": token[:-3] + "abc"}, follow=True)

    assert response.redirect_chain[-1][0] == IMPORT
    assert any("upload the sheet again" in m for m in toasts(response))
    assert not PayInput.objects.exists()


def test_a_sheet_with_unknown_columns_or_no_employee_column_is_refused_beside_the_file(pay_shop, staff):
    no_number = preview(pay_shop, [["姓名", "业绩奖"], ["张三", 1]])
    bad_column = preview(pay_shop, [["工号", "业绩奖 (元)"], ["T00001", 1]])
    not_xlsx = page_client(pay_shop.hr).post(
        IMPORT, {"branch": pay_shop.branch.pk, "month": MONTH, "file": xlsx_file([["x"]], name="inputs.csv")}
    )

    assert "no “Employee number” column" in no_number.context["form"].errors["file"][0]
    assert "业绩奖 (元)" in bad_column.context["form"].errors["file"][0]
    assert not_xlsx.context["form"].errors["file"]


def test_another_hr_cannot_confirm_a_sheet_of_a_branch_they_do_not_see(pay_shop, staff):
    zhang, _li, _wang = staff
    token = preview(pay_shop, [["工号", "业绩奖"], [zhang.employee_no, 1200]]).context["result"].token
    other_hr = make_person(role="hr", branch=pay_shop.other_branch)

    assert page_client(other_hr).post(COMMIT, {"token": token}).status_code == 404
    assert not PayInput.objects.exists()


# -- adjustments ------------------------------------------------------------------------------------------------------


def test_hr_records_a_correction_of_a_locked_run_paid_in_a_later_month(pay_shop, fake_metric):
    run, supervisor = locked_run(pay_shop, fake_metric)
    client = page_client(pay_shop.hr)
    form = client.get(NEW_ADJUSTMENT, {"employee": supervisor.pk, "corrects": run.pk})
    assert form.context["form"].initial["corrects"] == str(run.pk)

    response = client.post(
        NEW_ADJUSTMENT,
        {"employee": supervisor.pk, "month": "2026-12", "amount": "150.00", "reason": "漏记检查单", "corrects": run.pk},
    )

    adjustment = PayAdjustment.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert adjustment.amount == Decimal("150.00") and adjustment.corrects == run
    run_page = client.get(run.get_absolute_url())
    assert [a.pk for a in run_page.context["adjustments"]] == [adjustment.pk]
    listed = client.get(ADJUSTMENTS)
    assert [a.pk for a in listed.context["page"].items] == [adjustment.pk]


def test_an_adjustment_into_the_locked_month_is_refused_beside_the_month(pay_shop, fake_metric):
    run, supervisor = locked_run(pay_shop, fake_metric)

    response = page_client(pay_shop.hr).post(
        NEW_ADJUSTMENT,
        {"employee": supervisor.pk, "month": MONTH, "amount": "10", "reason": "补发", "corrects": run.pk},
    )

    assert "locked" in response.context["form"].errors["month"][0]
    assert not PayAdjustment.objects.exists()


def test_adjustments_are_hrs_and_another_branchs_employee_cannot_be_chosen(pay_shop, staff):
    _zhang, _li, wang = staff
    response = page_client(pay_shop.hr).post(
        NEW_ADJUSTMENT, {"employee": wang.pk, "month": "2026-12", "amount": "10", "reason": "补发"}
    )
    assert response.context["form"].errors["employee"]
    for role in ("service_manager", "finance", "technician"):
        client = page_client(make_person(role=role, branch=pay_shop.branch))
        assert client.get(NEW_ADJUSTMENT).status_code == 403
        assert client.get(ADJUSTMENTS).status_code == 403
    assert not PayAdjustment.objects.exists()


def test_the_adjustment_list_runs_the_same_queries_however_many(pay_shop, staff, django_assert_num_queries):
    zhang, li, _wang = staff
    client = page_client(pay_shop.hr)

    def add(employee, count):
        for number in range(count):
            PayAdjustment.objects.create(
                employee=employee,
                month="2026-12-01",
                amount=Decimal("10"),
                reason=f"补发{number}",
                created_by=pay_shop.hr,
            )

    add(zhang, 1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(ADJUSTMENTS).status_code == 200
    add(li, 6)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(ADJUSTMENTS)
    assert len(response.context["page"].items) == 7
