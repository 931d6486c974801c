"""Policy sheets: lines `名称 = 公式` in any order, using each other; inputs, cycles, duplicates, rounding per line.

The installation supervisor's sheet is the seed's policy (`samples.SUPERVISOR_SHEET`): with 88 points, 25
inspections, no violations and a 业绩奖 of 1000 the month's income is
600 + (900 + 1000) × 88 / 88 + 0 + 25 × 30 + 1000 × 70% = 600 + 1900 + 750 + 700 = 3950.00.
"""

import itertools
import random
from decimal import Decimal

import pytest
from django.utils import translation

from aftersales.pay.formula import FormulaError, compile_formula
from aftersales.pay.policy import PolicySheet, round_fen
from aftersales.pay.tests.samples import SUPERVISOR_INPUTS, SUPERVISOR_SHEET, supervisor_inputs

D = Decimal


def sheet_error(text: str, inputs: dict | None = None) -> FormulaError:
    with pytest.raises(FormulaError) as caught:
        sheet = PolicySheet.parse(text)
        if inputs is not None:
            sheet.evaluate(inputs)
    return caught.value


# -- the seed's policy ----------------------------------------------------------------------------------------------------


def test_the_issue_example_the_supervisor_earns_3950():
    sheet = PolicySheet.parse(SUPERVISOR_SHEET)

    result = sheet.evaluate(supervisor_inputs())

    assert result == {
        "月收入": D("3950.00"),
        "基本工资": D("600.00"),
        "职务工资": D("900.00"),
        "补助": D("0.00"),
        "行政奖": D("1000.00"),
        "提成奖": D("750.00"),
    }
    assert list(result) == ["月收入", "基本工资", "职务工资", "补助", "行政奖", "提成奖"]  # as written
    assert str(result["月收入"]) == "3950.00"


@pytest.mark.parametrize(
    ("inspections", "commission", "income"),
    [
        (0, "0.00", "3200.00"),
        (1, "20.00", "3220.00"),
        (19, "380.00", "3580.00"),  # 19 × 20: one short of the threshold
        (20, "600.00", "3800.00"),  # 20 × 30: at the threshold every inspection pays 30
        (21, "630.00", "3830.00"),
        (25, "750.00", "3950.00"),
    ],
)
def test_the_twenty_inspection_threshold_on_both_sides(inspections, commission, income):
    result = PolicySheet.parse(SUPERVISOR_SHEET).evaluate(supervisor_inputs(inspections=inspections))

    assert result["提成奖"] == D(commission)
    assert result["月收入"] == D(income)


def test_audit_rewards_add_and_fines_subtract():
    result = PolicySheet.parse(SUPERVISOR_SHEET).evaluate(supervisor_inputs(rewards="60", fines="15"))

    assert result["提成奖"] == D("795.00")  # 750 + 60 - 15
    assert result["月收入"] == D("3995.00")


def test_a_score_below_par_lowers_the_income_rounded_half_up_to_the_fen():
    result = PolicySheet.parse(SUPERVISOR_SHEET).evaluate(supervisor_inputs(score="80"))

    # (900 + 1000) × 80 / 88 = 1727.2727…: 600 + 1727.27… + 750 + 700 = 3777.2727… → 3777.27
    assert result["月收入"] == D("3777.27")


def test_inputs_are_the_names_used_and_not_defined():
    sheet = PolicySheet.parse(SUPERVISOR_SHEET)

    assert sheet.inputs == SUPERVISOR_INPUTS
    assert isinstance(sheet.inputs, frozenset)
    assert [line.name for line in sheet.lines] == ["月收入", "基本工资", "职务工资", "补助", "行政奖", "提成奖"]
    assert [line.number for line in sheet.lines] == [1, 2, 3, 4, 5, 6]
    assert PolicySheet.parse("a = 1\nb = a + c").inputs == frozenset({"c"})
    assert PolicySheet.parse("a = 1\nb = a × 2").inputs == frozenset()


# -- order and dependencies -----------------------------------------------------------------------------------------


def test_the_result_is_the_same_whatever_the_order_of_the_lines():
    lines = SUPERVISOR_SHEET.strip().splitlines()
    expected = PolicySheet.parse(SUPERVISOR_SHEET).evaluate(supervisor_inputs(score="80", inspections=19))
    shuffler = random.Random(5)
    orders = [list(reversed(lines))] + [shuffler.sample(lines, len(lines)) for _ in range(30)]

    for order in orders:
        sheet = PolicySheet.parse("\n".join(order))
        assert sheet.inputs == SUPERVISOR_INPUTS
        result = sheet.evaluate(supervisor_inputs(score="80", inspections=19))
        assert result == expected, order
        assert list(result) == [line.split(" = ")[0] for line in order]  # keyed in the order written


def test_every_order_of_a_chain_of_lines():
    lines = ["d = c × 2", "c = b + a", "b = a × 10", "a = x + 1"]

    for order in itertools.permutations(lines):
        assert PolicySheet.parse("\n".join(order)).evaluate({"x": D(1)}) == {
            "a": D("2.00"),
            "b": D("20.00"),
            "c": D("22.00"),
            "d": D("44.00"),
        }


def test_a_line_may_use_several_others_and_be_used_by_several():
    sheet = PolicySheet.parse("合计 = 甲 + 乙 + 丙\n甲 = 底数\n乙 = 甲 × 2\n丙 = 甲 + 乙\n底数 = 10")

    assert sheet.evaluate({}) == {"合计": D(60), "甲": D(10), "乙": D(20), "丙": D(30), "底数": D(10)}


# -- rounding ----------------------------------------------------------------------------------------------------------


def test_each_line_is_rounded_as_it_is_computed_and_later_lines_use_the_rounded_value():
    sheet = PolicySheet.parse("合计 = 单价 × 3\n单价 = 总额 / 3")

    result = sheet.evaluate({"总额": D(100)})

    assert result["单价"] == D("33.33")  # 33.333… rounded on its own line
    assert result["合计"] == D("99.99")  # 33.33 × 3, not 100.00
    # the same arithmetic in one formula, rounded once at the end, gives 100.00: the rounding of the line matters
    assert round_fen(compile_formula("总额 / 3 × 3").evaluate({"总额": D(100)})) == D("100.00")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.125", "0.13"),  # half up, not half even (0.12)
        ("0.135", "0.14"),
        ("2.675", "2.68"),
        ("0.124", "0.12"),
        ("-0.125", "-0.13"),  # half away from zero
        ("7", "7.00"),
        ("1E+3", "1000.00"),
    ],
)
def test_lines_are_rounded_half_up_to_the_fen(value, expected):
    result = PolicySheet.parse("x = a").evaluate({"a": D(value)})

    assert str(result["x"]) == expected


def test_round_fen():
    assert round_fen(D("0.005")) == D("0.01")
    assert round_fen(D("-0.005")) == D("-0.01")
    assert str(round_fen(D("12"))) == "12.00"


# -- the text of a sheet ----------------------------------------------------------------------------------------------


def test_comments_blank_lines_indentation_and_full_width_forms():
    sheet = PolicySheet.parse(
        "# 安装主管 2026\n"
        "\n"
        "  月收入 = 基本工资 + 提成奖\n"
        "// 提成：满 20 单每单 30 元\n"
        "   \n"
        "提成奖 ＝ 售后检查单数 × IF（售后检查单数 ≥ ２０，３０，２０）\n"
        "基本工资=600\n"
    )

    assert [(line.number, line.name) for line in sheet.lines] == [(3, "月收入"), (6, "提成奖"), (7, "基本工资")]
    assert sheet.evaluate({"售后检查单数": D(20)}) == {"月收入": D(1200), "提成奖": D(600), "基本工资": D(600)}


def test_a_line_name_in_full_width_letters_is_the_name_the_formulas_read():
    sheet = PolicySheet.parse("ａ１ = 1\nb = a1 + ａ１")

    assert sheet.inputs == frozenset()
    assert sheet.evaluate({}) == {"a1": D(1), "b": D(2)}


def test_sheet_lines_keep_their_formula_and_offset():
    sheet = PolicySheet.parse("x = 1\n  提成奖 = 售后检查单数 × 30")
    line = sheet.lines[1]

    assert (line.number, line.name, line.offset) == (2, "提成奖", 7)
    assert line.text.strip() == "售后检查单数 × 30"
    assert line.formula.names == frozenset({"售后检查单数"})


# -- errors --------------------------------------------------------------------------------------------------------------


def test_a_duplicate_name_names_the_line():
    error = sheet_error("a = 1\n# 注释\nb = 2\na = 3")

    assert (error.code, error.line, error.name) == ("duplicate", 4, "a")
    assert str(error) == "第 4 行：“a”与第 1 行重名"
    with translation.override("en"):
        assert str(error) == "line 4: “a” is already defined on line 1"


def test_a_duplicate_written_in_full_width_letters_is_a_duplicate():
    error = sheet_error("ab = 1\nａｂ = 2")

    assert (error.code, error.line, error.name) == ("duplicate", 2, "ab")


@pytest.mark.parametrize(
    ("text", "line", "name", "path"),
    [
        ("a = a + 1", 1, "a", "a → a"),
        ("x = 1\ny = y × 2", 2, "y", "y → y"),
        ("a = b + 1\nb = a + 1", 1, "a", "a → b → a"),
        ("b = a + 1\na = b + 1", 1, "b", "b → a → b"),
        ("a = b\nb = c\nc = a", 1, "a", "a → b → c → a"),
        ("总额 = 甲\n甲 = 乙 + 1\n乙 = 丙\n丙 = 甲", 2, "甲", "甲 → 乙 → 丙 → 甲"),
        ("c = a\nx = 1\na = b\nb = c", 1, "c", "c → a → b → c"),
    ],
)
def test_a_cycle_names_its_first_line(text, line, name, path):
    error = sheet_error(text)

    assert (error.code, error.line, error.name) == ("cycle", line, name)
    assert str(error) == f"第 {line} 行：“{name}”循环引用：{path}"


def test_a_cycle_in_english():
    error = sheet_error("a = b\nb = a")

    with translation.override("en"):
        assert str(error) == "line 1: “a” refers to itself: a → b → a"


def test_a_missing_input_is_named_with_the_lines_that_use_it():
    sheet = PolicySheet.parse(SUPERVISOR_SHEET)
    inputs = supervisor_inputs()

    for name, lines in [("业绩奖", "1"), ("售后检查单数", "6"), ("月考核分", "1"), ("违规扣罚", "6")]:
        error = sheet_error(SUPERVISOR_SHEET, {k: v for k, v in inputs.items() if k != name})
        assert (error.code, error.name, error.line) == ("missing_input", name, None)
        assert str(error) == f"缺少输入“{name}”（第 {lines} 行用到）"
    with pytest.raises(FormulaError):
        sheet.evaluate({})


def test_a_missing_input_used_on_several_lines_names_them_all_and_the_first_missing_is_reported():
    text = "a = x + y\nb = 2\nc = y × x"

    error = sheet_error(text, {})

    assert (error.code, error.name) == ("missing_input", "x")  # the first the sheet reads
    assert str(error) == "缺少输入“x”（第 1、3 行用到）"
    with translation.override("en"):
        assert str(error) == "the input “x” is missing (used on line 1、3)"


@pytest.mark.parametrize(
    ("text", "line", "column", "code", "message"),
    [
        ("x = 1\ny = 2 +", 2, 8, "unexpected_end", "第 2 行“y”：第 8 列：公式不完整，缺少运算对象"),
        ("x = 1\n\ny = (1 + 2", 3, 5, "unclosed", "第 3 行“y”：第 5 列：左括号没有对应的右括号"),
        ("  提成 = 单数 × 30)", 1, 15, "unmatched", "第 1 行“提成”：第 15 列：多余的右括号"),
        ("x = FOO(1)", 1, 5, "unknown_function", "第 1 行“x”：第 5 列：未知函数“FOO”"),
        ("x=MAX()", 1, 3, "arity", "第 1 行“x”：第 3 列：MAX 需要 1+ 个参数，写了 0 个"),
        ("x ＝ 1 & 2", 1, 7, "bad_char", "第 1 行“x”：第 7 列：无法识别的字符“&”"),
        ("x = ", 1, None, "empty", "第 1 行“x”：公式为空"),
    ],
)
def test_an_error_in_a_line_names_the_line_and_the_column_within_the_line(text, line, column, code, message):
    error = sheet_error(text)

    assert (error.code, error.line, error.column) == (code, line, column)
    assert str(error) == message
    raw = text.splitlines()[line - 1]
    if column is not None and column <= len(raw):
        assert raw[column - 1] in "+()&FM)", raw[column - 1]


def test_an_error_at_evaluation_names_the_line_and_the_column_within_the_line():
    sheet = PolicySheet.parse("x = 1\n人均 = 合计 ÷ 人数\n合计 = 100")

    with pytest.raises(FormulaError) as caught:
        sheet.evaluate({"人数": D(0)})
    error = caught.value
    assert (error.code, error.line, error.column) == ("division_by_zero", 2, 9)
    assert sheet.lines[1].offset + 5 == 9  # the ÷ is the 5th column of the formula " 合计 ÷ 人数"
    assert "第 2 行“人均”：第 9 列：除数为零" == str(error)
    with translation.override("en"):
        assert str(error) == "line 2 “人均”: column 9: division by zero"


def test_an_input_that_is_not_a_number_names_the_line_and_the_input():
    error = sheet_error("x = 1\ny = x + a", {"a": 1.5})

    assert (error.code, error.line, error.column, error.name) == ("not_a_number", 2, 9, "a")
    assert str(error) == "第 2 行“y”：第 9 列：“a”的值不是数字"


@pytest.mark.parametrize(
    ("text", "line", "code", "message"),
    [
        ("x = 1\n这一行没有等号", 2, "line_syntax", "第 2 行：应写成“名称 = 公式”"),
        ("x = 1\n1x = 2", 2, "bad_line_name", "第 2 行：“1x”不是合法的名称"),
        ("月 收入 = 1", 1, "bad_line_name", "第 1 行：“月 收入”不是合法的名称"),
        ("= 1", 1, "bad_line_name", "第 1 行：“”不是合法的名称"),
        ("IF = 1", 1, "bad_line_name", "第 1 行：“IF”不是合法的名称"),
        ("and = 1", 1, "bad_line_name", "第 1 行：“and”不是合法的名称"),
        ("a > = 1", 1, "bad_line_name", "第 1 行：“a >”不是合法的名称"),
    ],
)
def test_a_line_that_is_not_name_equals_formula(text, line, code, message):
    error = sheet_error(text)

    assert (error.code, error.line) == (code, line)
    assert str(error) == message


@pytest.mark.parametrize("text", ["", "   \n\n", "# 只有注释\n// 也是注释"])
def test_an_empty_sheet(text):
    error = sheet_error(text)

    assert error.code == "empty_sheet"
    assert str(error) == "方案没有任何一行“名称 = 公式”"
