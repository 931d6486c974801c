"""The pay-policy pages: the list (a fixed number of queries), a policy's page (sheet, lines, inputs with their
sources, history, the "try it" box), the editor (HR pastes the policy; "Check" lists the inputs with their
sources, by htmx or by a plain round trip; errors beside the fields), and the piece rates."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.core.testing import make_person, page_client, walk_role_matrix
from aftersales.org.tests.factories import PositionFactory
from aftersales.pay.models import PayPolicy, PieceRate
from aftersales.pay.services.policies import policy_create
from aftersales.pay.tests.pages_support import allowed, english, plain, text  # noqa: F401 - english is a fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

LIST = reverse("pay:policy_list")
CREATE = reverse("pay:policy_create")
CHECK = reverse("pay:policy_check")
PIECE_RATES = reverse("pay:piecerate_list")
SET_RATE = reverse("pay:piecerate_set")
HTMX = {"HTTP_HX_REQUEST": "true"}

#: The seed's policy as HR pastes it from the document: full-width brackets, ×, ÷ and %.
PASTED = """月收入 = 基本工资 + （职务工资 + 行政奖）× 月考核分 ÷ 88 + 补助 + 提成奖 + 业绩奖 × 70%
基本工资 = 600
职务工资 = 900
补助 = 0
行政奖 = 1000
提成奖 = 售后检查单数 × IF(售后检查单数 >= 20, 30, 20)
"""


def detail(policy) -> str:
    return reverse("pay:policy_detail", args=[policy.pk])


def edit(policy) -> str:
    return reverse("pay:policy_edit", args=[policy.pk])


def form_data(position, **overrides) -> dict:
    data = {"code": "AZZG2", "name": "安装主管（新）", "position": position.pk, "kind": "monthly", "sheet": PASTED,
            "total": "月收入", "active": "on"}  # fmt: skip
    data.update(overrides)
    return data


def binding_rows(response) -> dict[str, dict]:
    """The inputs' rows the page shows: name → the values of its source, key and value fields."""
    rows = {}
    for form in response.context["rows"]:
        rows[form.input_name] = {key: form[key].value() for key in ("source", "key", "value")}
    return rows


def posted_bindings(rows: dict[str, dict]) -> dict:
    data = {"bindings-count": len(rows)}
    for index, (name, values) in enumerate(rows.items()):
        data[f"b{index}-name"] = name
        for key, value in values.items():
            data[f"b{index}-{key}"] = value or ""
    return data


@pytest.fixture
def position():
    return PositionFactory(name="售后主管")


# -- list and detail --------------------------------------------------------------------------------------------------


def test_the_list_shows_code_name_position_period_and_inputs(pay_shop):
    response = page_client(pay_shop.hr).get(LIST)

    assert response.status_code == 200
    assert [p.pk for p in response.context["page"].items] == [pay_shop.policy.pk]
    row = re.search(r'<tr id="policy-\d+">(.*?)</tr>', text(response), re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == ["AZZG", "售服安装主管薪酬", "售服安装主管", "Monthly", "月收入", "5", "Active"]


def test_the_list_runs_the_same_queries_however_many_policies(pay_shop, django_assert_num_queries):
    client = page_client(pay_shop.hr)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for number in range(8):
        policy_create(
            actor=pay_shop.hr, code=f"P{number}", name=f"方案{number}", position=PositionFactory(),
            sheet="月收入 = 基本工资 + 业绩奖\n基本工资 = 100", total="月收入",
        )  # fmt: skip
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert len(response.context["page"].items) == 9


def test_the_list_and_the_policy_page_are_for_roles_that_read_policies(pay_shop):
    for url in (LIST, detail(pay_shop.policy)):
        mismatches = walk_role_matrix(
            own_url=url,
            other_url=None,
            allowed=allowed("pay.view_paypolicy"),
            own_branch=pay_shop.branch,
            other_branch=pay_shop.other_branch,
            send=lambda client, url: client.get(url),
        )
        assert not mismatches, "\n".join(map(str, mismatches))


def test_the_policy_page_shows_the_sheet_lines_inputs_with_sources_and_history(pay_shop):
    response = page_client(pay_shop.hr).get(detail(pay_shop.policy))

    assert response.status_code == 200
    assert [line["name"] for line in response.context["lines"]] == [
        "月收入",
        "基本工资",
        "职务工资",
        "补助",
        "行政奖",
        "提成奖",
    ]
    inputs = {i.name: i.source_label for i in response.context["inputs"]}
    assert inputs == {
        "业绩奖": "Manual input: 业绩奖",
        "售后检查单数": "Metric from records: 售后检查单数",
        "月考核分": "Appraisal score: 月考核分",
        "督查奖励": "Metric from records: 督查奖励",
        "违规扣罚": "Metric from records: 违规扣罚",
    }
    page = plain(response)
    assert "IF(售后检查单数 >= 20, 30, 20)" in page
    assert "售后检查单数" in page and "After-sales inspection orders completed" in page  # the metric's description
    assert len(response.context["history"]) == 1
    assert response.context["try_form"] is not None


def test_try_it_computes_every_line_without_saving(pay_shop):
    values = {"try": "1"}
    names = sorted(["月考核分", "售后检查单数", "业绩奖", "督查奖励", "违规扣罚"])
    given = {"月考核分": "88", "售后检查单数": "25", "业绩奖": "1000", "督查奖励": "0", "违规扣罚": "0"}
    for index, name in enumerate(names):
        values[f"input_{index}"] = given[name]
    client = page_client(pay_shop.hr)

    whole = client.get(detail(pay_shop.policy), values)
    partial = client.get(detail(pay_shop.policy), values, **HTMX)

    results = {r["name"]: r["value"] for r in whole.context["try_results"]}
    assert results["月收入"] == Decimal("3950.00") and results["提成奖"] == Decimal("750.00")
    assert '<main id="content"' not in text(partial)
    assert re.search(r'data-line="月收入"><strong>3950\.00</strong>', text(partial))
    missing = client.get(detail(pay_shop.policy), {"try": "1"}, **HTMX)
    assert "Enter a number for each input." in text(missing)
    assert PayPolicy.objects.count() == 1


def test_try_it_shows_a_division_by_zero(pay_shop):
    policy = policy_create(
        actor=pay_shop.hr, code="DIV", name="除法", position=PositionFactory(), sheet="月收入 = 100 / 月考核分",
        total="月收入",
    )  # fmt: skip
    response = page_client(pay_shop.hr).get(detail(policy), {"try": "1", "input_0": "0"})
    assert "division by zero" in response.context["try_error"]


# -- the editor -------------------------------------------------------------------------------------------------------


def test_check_by_a_plain_post_lists_each_input_with_its_default_source_and_saves_nothing(pay_shop, position):
    response = page_client(pay_shop.hr).post(CREATE, {**form_data(position), "check": "1"})

    assert response.status_code == 200
    rows = binding_rows(response)
    assert rows == {
        "业绩奖": {"source": "manual", "key": "业绩奖", "value": ""},
        "售后检查单数": {"source": "metric", "key": "售后检查单数", "value": ""},
        "月考核分": {"source": "appraisal", "key": "月考核分", "value": ""},
    }
    assert response.context["line_names"] == ["月收入", "基本工资", "职务工资", "补助", "行政奖", "提成奖"]
    assert 'id="sheet-check-ok"' in text(response)
    assert PayPolicy.objects.count() == 1


def test_check_by_a_plain_post_shows_the_sheets_problem_beside_it(pay_shop, position):
    response = page_client(pay_shop.hr).post(
        CREATE, {**form_data(position, sheet="月收入 = 基本工资 ×\n基本工资 = 600"), "check": "1"}
    )

    assert response.status_code == 200
    error = re.search(r'id="sheet-check-error"><li>(.*?)</li>', text(response)).group(1)
    assert "line 1" in error
    assert 'id="sheet-check-ok"' not in text(response)
    assert not PayPolicy.objects.filter(code="AZZG2").exists()


def test_check_by_htmx_answers_the_rows_and_the_sheets_problem(pay_shop, position):
    client = page_client(pay_shop.hr)

    good = client.post(CHECK, form_data(position), **HTMX)
    bad = client.post(CHECK, form_data(position, sheet="月收入 = 基本工资 +\n基本工资 = 600"), **HTMX)

    assert good.status_code == 200
    assert '<main id="content"' not in text(good)
    assert 'id="sheet-check" aria-live="polite" hx-swap-oob="true"' in text(good)
    assert set(binding_rows(good)) == {"业绩奖", "售后检查单数", "月考核分"}
    assert bad.status_code == 200
    error = re.search(r'id="sheet-check-error"><li>(.*?)</li>', text(bad)).group(1)
    assert "line 1" in error and "column" in error
    assert binding_rows(bad) == {}


def test_hr_saves_a_pasted_policy_binding_an_input_to_a_constant(pay_shop, position):
    client = page_client(pay_shop.hr)
    checked = client.post(CREATE, {**form_data(position), "check": "1"})
    rows = binding_rows(checked)
    rows["售后检查单数"] = {"source": "constant", "key": "", "value": "25"}

    response = client.post(CREATE, {**form_data(position), **posted_bindings(rows)})

    policy = PayPolicy.objects.get(code="AZZG2")
    assert response.status_code == 302 and response["Location"] == detail(policy)
    assert policy.sheet == PASTED.strip()
    assert policy.bindings == {
        "业绩奖": {"source": "manual", "key": "业绩奖"},
        "售后检查单数": {"source": "constant", "value": "25"},
        "月考核分": {"source": "appraisal", "key": "monthly"},
    }
    assert policy.created_by == pay_shop.hr


def test_saving_without_checking_takes_the_default_sources(pay_shop, position):
    response = page_client(pay_shop.hr).post(CREATE, form_data(position))

    assert response.status_code == 302
    policy = PayPolicy.objects.get(code="AZZG2")
    assert policy.bindings["售后检查单数"] == {"source": "metric", "key": "售后检查单数"}


def test_a_sheet_that_cannot_be_read_is_shown_beside_the_field_with_its_line_and_column(pay_shop, position):
    response = page_client(pay_shop.hr).post(
        CREATE, form_data(position, sheet="月收入 = 基本工资 × （1 + \n基本工资 = 600")
    )

    assert response.status_code == 200
    (error,) = response.context["form"].errors["sheet"]
    assert "line 1" in error and "column" in error
    assert re.search(r'id="id_sheet_error"><li>[^<]*line 1', text(response))
    assert not PayPolicy.objects.filter(code="AZZG2").exists()


def test_a_total_that_is_not_a_line_and_a_bad_binding_are_refused(pay_shop, position):
    client = page_client(pay_shop.hr)
    rows = {"业绩奖": {"source": "metric", "key": "不存在的指标", "value": ""}}

    bad_total = client.post(CREATE, form_data(position, total="年收入"))
    bad_binding = client.post(CREATE, {**form_data(position), **posted_bindings(rows)})

    assert "月收入" in bad_total.context["form"].errors["total"][0]
    assert any("不存在的指标" in e for e in bad_binding.context["binding_errors"])
    assert not PayPolicy.objects.filter(code="AZZG2").exists()


def test_a_second_active_policy_for_a_position_or_a_taken_code_is_refused(pay_shop):
    client = page_client(pay_shop.hr)

    same_position = client.post(CREATE, form_data(pay_shop.position))
    same_code = client.post(CREATE, form_data(PositionFactory(), code="AZZG"))

    assert same_position.context["form"].errors["position"]
    assert same_code.context["form"].errors["code"]
    assert PayPolicy.objects.count() == 1


def test_editing_keeps_the_code_and_the_sources_that_were_set(pay_shop):
    policy = pay_shop.policy
    client = page_client(pay_shop.hr)
    page = client.get(edit(policy))
    rows = binding_rows(page)
    assert rows["月考核分"] == {"source": "appraisal", "key": "月考核分", "value": ""}
    rows["业绩奖"] = {"source": "constant", "key": "", "value": "800"}
    sheet = policy.sheet.replace("补助 = 0", "补助 = 50")

    response = client.post(
        edit(policy),
        {**form_data(policy.position, code="CHANGED", name=policy.name, sheet=sheet), **posted_bindings(rows)},
    )

    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.code == "AZZG"  # the code field is disabled
    assert "补助 = 50" in policy.sheet
    assert policy.bindings["业绩奖"] == {"source": "constant", "value": "800"}
    assert len(page_client(pay_shop.hr).get(detail(policy)).context["history"]) == 2


def test_only_hr_may_create_or_edit_policies(pay_shop, position):
    for role in ("service_manager", "finance", "technician"):
        user = make_person(role=role, branch=pay_shop.branch)
        client = page_client(user)
        assert client.get(CREATE).status_code == 403, role
        assert client.post(CREATE, form_data(position)).status_code == 403, role
        assert client.get(edit(pay_shop.policy)).status_code == 403, role
        assert client.post(CHECK, form_data(position), **HTMX).status_code == 403, role
    assert not PayPolicy.objects.filter(code="AZZG2").exists()


def test_the_editor_shows_the_metrics_registry_as_help(pay_shop):
    response = page_client(pay_shop.hr).get(CREATE)

    assert response.status_code == 200
    keys = [m["key"] for m in response.context["metrics"]]
    assert {"售后检查单数", "督查奖励", "计件金额"} <= set(keys)
    assert 'id="metric-table"' in text(response)


# -- piece rates ------------------------------------------------------------------------------------------------------


def test_hr_sets_and_changes_piece_rates(pay_shop):
    client = page_client(pay_shop.hr)

    created = client.post(SET_RATE, {"product_type": "衣柜", "rate": "80", "active": "on"})
    changed = client.post(SET_RATE, {"product_type": "衣柜", "rate": "95.50", "active": "on"}, follow=True)
    client.post(SET_RATE, {"product_type": "", "rate": "40", "active": "on"})

    assert created.status_code == 302
    assert PieceRate.objects.get(product_type="衣柜").rate == Decimal("95.50")
    assert PieceRate.objects.count() == 2
    assert "¥95.50" in plain(changed)
    prefilled = client.get(PIECE_RATES, {"edit": "衣柜"})
    assert prefilled.context["form"].initial["rate"] == Decimal("95.50")


def test_a_bad_rate_is_shown_beside_the_field(pay_shop):
    response = page_client(pay_shop.hr).post(SET_RATE, {"product_type": "衣柜", "rate": "-1"})

    assert response.status_code == 200
    assert response.context["form"].errors["rate"]
    assert not PieceRate.objects.exists()


def test_piece_rates_are_for_hr(pay_shop):
    mismatches = walk_role_matrix(
        own_url=PIECE_RATES,
        other_url=None,
        allowed=allowed("pay.view_piecerate"),
        own_branch=pay_shop.branch,
        other_branch=pay_shop.other_branch,
        send=lambda client, url: client.get(url),
    )
    assert not mismatches, "\n".join(map(str, mismatches))
    manager = page_client(pay_shop.manager)
    assert manager.post(SET_RATE, {"product_type": "衣柜", "rate": "80"}).status_code == 403
    assert not PieceRate.objects.exists()
