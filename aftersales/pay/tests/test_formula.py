"""The formula language of pay policies: every operator, function, full-width form, error and its column.

Formulas are compiled once and evaluated many times; every test goes through the public contract only
(`compile_formula`, `Formula.names`, `Formula.evaluate`, `FormulaError`). Expected values are exact `Decimal`s.
"""

import builtins
from decimal import Decimal

import pytest
from django.utils import translation

from aftersales.pay.formula import FormulaError, compile_formula, is_valid_name
from aftersales.pay.tests.samples import MONTHLY_INCOME

D = Decimal


def ev(text: str, **values) -> Decimal:
    """Compile and evaluate; plain ints and strings of values become Decimals."""
    return compile_formula(text).evaluate({k: v if isinstance(v, Decimal) else D(v) for k, v in values.items()})


def error_of(text: str, values: dict | None = None) -> FormulaError:
    """The FormulaError of compiling (and, given values, evaluating) `text`."""
    with pytest.raises(FormulaError) as caught:
        formula = compile_formula(text)
        if values is not None:
            formula.evaluate(values)
    return caught.value


# -- numbers and arithmetic -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2", "3"),
        ("7 - 10", "-3"),
        ("6 * 7", "42"),
        ("6 × 7", "42"),
        ("7 / 2", "3.5"),
        ("7 ÷ 2", "3.5"),
        ("1 + 2 × 3", "7"),
        ("(1 + 2) × 3", "9"),
        ("（1 + 2）× 3", "9"),
        ("(（1 + 2) × 3） - 1", "8"),
        ("8 / 4 / 2", "1"),  # left to right
        ("10 - 3 - 2", "5"),
        ("2 × 3 / 4", "1.5"),
        ("-5", "-5"),
        ("--5", "5"),
        ("-(2 + 3)", "-5"),
        ("2 × -3", "-6"),
        ("+4", "4"),
        ("70%", "0.7"),
        ("-5%", "-0.05"),
        ("50%%", "0.005"),
        ("(1 + 1)%", "0.02"),
        ("200 × 15%", "30.00"),
        (".5 + 1", "1.5"),
        ("0.1 + 0.2", "0.3"),
        ("1.10 + 2.205", "3.305"),
        ("1 + 1.0", "2.0"),  # each number as written: 1.0 keeps its decimal
        ("100 / 8", "12.5"),
    ],
)
def test_arithmetic_is_exact_decimal(text, expected):
    result = ev(text)

    assert result.__class__ is Decimal
    assert result == D(expected)
    assert str(result) == expected


def test_point_one_plus_point_two_is_exactly_point_three():
    assert ev("a + b", a="0.1", b="0.2") == D("0.3")
    assert ev("a + b", a="0.1", b="0.2") != 0.1 + 0.2  # not the float answer


def test_names_in_the_formula_read_their_values():
    assert ev("a × b - c", a="2.5", b="4", c="1") == D("9.0")
    assert ev("月考核分 / 88 × 100%", 月考核分="88") == D("1")
    assert ev("base_pay + 提成2 + A1", base_pay="1", 提成2="2", A1="3") == D("6")
    assert ev("业绩奖 × 70%", 业绩奖="1000") == D("700")
    assert ev("a%", a="35") == D("0.35")
    assert ev("-a", a="3") == D("-3")
    assert ev("+a", a="3") == D("3")


def test_the_monthly_income_formula_of_the_policy():
    values = {
        "基本工资": 600,
        "职务工资": 900,
        "行政奖": 1000,
        "月考核分": 88,
        "补助": 0,
        "提成奖": 750,
        "业绩奖": 1000,
    }

    assert ev(MONTHLY_INCOME, **values) == D("3950")
    # 80 points: (900 + 1000) × 80 / 88 = 1727.27…, not rounded by the formula (a sheet rounds its lines)
    result = ev(MONTHLY_INCOME, **{**values, "月考核分": 80})
    assert result == D(600) + D(1900) * D(80) / D(88) + D(750) + D(700)
    assert str(result).startswith("3777.2727272727")


def test_ints_given_as_values_are_computed_exactly_as_decimals():
    formula = compile_formula("IF(a / b = 0.1, a / c, 0)")

    # 1 / 10 would be the float 0.1 (not equal to Decimal 0.1) and 1 / 3 a float if ints were divided as ints
    result = formula.evaluate({"a": 1, "b": 10, "c": 3})
    assert result == D(1) / D(3)
    assert result.__class__ is Decimal


# -- comparisons and logic --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "less", "equal", "greater"),  # a op b for a < b, a = b, a > b
    [
        (">", 0, 0, 1),
        (">=", 0, 1, 1),
        ("≥", 0, 1, 1),
        ("＞＝", 0, 1, 1),
        ("＞", 0, 0, 1),
        ("<", 1, 0, 0),
        ("<=", 1, 1, 0),
        ("≤", 1, 1, 0),
        ("＜＝", 1, 1, 0),
        ("＜", 1, 0, 0),
        ("=", 0, 1, 0),
        ("＝", 0, 1, 0),
        ("==", 0, 1, 0),
        ("<>", 1, 0, 1),
        ("≠", 1, 0, 1),
        ("＜＞", 1, 0, 1),
        ("!=", 1, 0, 1),
    ],
)
def test_comparisons_are_one_or_zero(op, less, equal, greater):
    formula = compile_formula(f"a {op} b")

    assert formula.evaluate({"a": D(1), "b": D(2)}) == less
    assert formula.evaluate({"a": D("2.00"), "b": D(2)}) == equal
    assert formula.evaluate({"a": D(3), "b": D(2)}) == greater
    assert formula.evaluate({"a": D(3), "b": D(2)}).__class__ is Decimal


def test_a_comparison_is_a_number_where_a_number_is_wanted():
    assert ev("(a > b) × 100 + (a < b)", a=3, b=2) == D(100)
    assert ev("(a > 1) + (a > 2) + (a > 3)", a=3) == D(2)
    assert ev("MAX(a > 1, 0.5)", a=3) == D(1)


def test_if_chooses_a_branch():
    assert ev("IF(a >= 20, 30, 20)", a=20) == D(30)
    assert ev("IF(a >= 20, 30, 20)", a=19) == D(20)
    assert ev("IF(a, 1, 2)", a=0) == D(2)  # a number is true when it is not zero
    assert ev("IF(a, 1, 2)", a="0.01") == D(1)
    assert ev("IF(a > 0, IF(a > 10, 3, 2), 1)", a=11) == D(3)
    assert ev("if(a > 0, 1, 2)", a=1) == D(1)


def test_if_is_lazy():
    formula = compile_formula("IF(a > 0, 1 / a, 0)")

    assert formula.evaluate({"a": D(0)}) == 0
    assert formula.evaluate({"a": D(4)}) == D("0.25")
    assert ev("IF(a = 0, 0, 100 ÷ a)", a=0) == 0
    # a name the branch not taken reads need not be given
    assert compile_formula("IF(a > 0, b, 0)").evaluate({"a": D(0)}) == 0


def test_and_or_not_as_functions():
    assert ev("AND(1, 1, 1)") == 1
    assert ev("AND(1, 0, 1)") == 0
    assert ev("AND(a > 0)", a=1) == 1
    assert ev("OR(0, 0, 1)") == 1
    assert ev("OR(0, 0, 0)") == 0
    assert ev("NOT(0)") == 1
    assert ev("NOT(a > 1)", a=5) == 0
    assert ev("IF(AND(a >= 20, b = 0), 30, 20)", a=25, b=0) == D(30)
    assert ev("IF(OR(a >= 20, b > 0), 30, 20)", a=5, b=1) == D(30)


def test_and_or_not_as_words():
    assert ev("a > 1 AND b > 1", a=2, b=2) == 1
    assert ev("a > 1 AND b > 1", a=2, b=0) == 0
    assert ev("a > 1 or b > 1", a=0, b=2) == 1
    assert ev("NOT a > 1", a=0) == 1  # NOT binds looser than a comparison
    assert ev("a AND NOT b", a=1, b=0) == 1
    assert ev("1 OR 0 AND 0") == 1  # AND before OR
    assert ev("NOT 0 AND 0") == 0  # (NOT 0) AND 0
    assert ev("a and (b or c)", a=1, b=0, c=1) == 1
    assert ev("a AND (b OR c)", a=1, b=0, c=0) == 0
    assert ev("(a OR b) AND NOT (c)", a=0, b=1, c=0) == 1
    assert ev("IF(a >= 20 AND b = 0, 30, 20)", a=20, b=0) == D(30)


def test_and_or_stop_at_the_answer():
    assert ev("a = 0 OR 1 / a > 1", a=0) == 1
    assert ev("AND(a <> 0, 1 / a > 1)", a=0) == 0
    assert ev("IF(a <> 0 AND 1 / a > 1, 1, 2)", a=0) == D(2)


# -- functions ----------------------------------------------------------------------------------------------------------


def test_min_and_max_take_any_number_of_arguments():
    assert ev("MIN(3)") == 3
    assert ev("MIN(3, 1, 2)") == 1
    assert ev("MIN(a, b, c, d, e)", a=5, b=4, c=-3, d=2, e=1) == -3
    assert ev("MAX(-1, -5)") == -1
    assert ev("MAX(a, 0)", a=-7) == 0
    assert ev("MAX(1, 2, 3, 4, 5, 6, 7, 8)") == 8
    assert ev("MAX(0, MIN(a, 500))", a=800) == 500


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ROUND(2.345, 2)", "2.35"),  # half up, not half even (2.34)
        ("ROUND(2.5, 0)", "3"),
        ("ROUND(3.5, 0)", "4"),
        ("ROUND(-2.5, 0)", "-3"),  # half away from zero, like 四舍五入
        ("ROUND(-2.345, 2)", "-2.35"),
        ("ROUND(2.344, 2)", "2.34"),
        ("ROUND(1.005, 2)", "1.01"),
        ("ROUND(7, 2)", "7.00"),
        ("ROUND(1250, -2)", "1300"),
        ("ROUND(1249.99, -2)", "1200"),
        ("ROUND(1234.5, -1)", "1230"),
        ("ROUND(-1250, -2)", "-1300"),
        ("ROUND(2.5, 0.0)", "3"),  # a whole number written with a decimal is still whole
        ("ROUND(10 / 3, 2)", "3.33"),
        ("round(2.345, 2)", "2.35"),
    ],
)
def test_round_is_half_up(text, expected):
    result = ev(text)

    assert result == D(expected)
    assert str(result) == expected


def test_abs():
    assert ev("ABS(-3.5)") == D("3.5")
    assert ev("ABS(a - b)", a=2, b=5) == 3
    assert ev("ABS(0)") == 0


def test_function_names_are_case_insensitive():
    assert ev("max(1, 2) + Min(3, 4) + abs(-1) + Round(1.25, 1) + iF(1, 1, 0) + aNd(1) + or(0) + not(0)") == D("10.3")
    assert ev("ＭＡＸ（1，2）") == 2  # full-width letters too


# -- full-width forms ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("（１＋２）×３", "9"),
        ("１０ ÷ ４", "2.5"),
        ("１０／４", "2.5"),
        ("６＊７", "42"),
        ("１．５ ＋ ０．５", "2.0"),
        ("７０％", "0.7"),
        ("５ − ２", "3"),  # the typeset minus sign
        ("５ － ２", "3"),  # the full-width hyphen-minus
        ("MAX（1，2，3）", "3"),
        ("IF（2 ≥ 1，10，20）", "10"),
        ("1\u3000+\u30002", "3"),  # the ideographic space
    ],
)
def test_full_width_forms_read_as_ascii(text, expected):
    assert ev(text) == D(expected)


def test_full_width_letters_in_names_read_as_ascii():
    formula = compile_formula("ａ１ + ｂ")

    assert formula.names == frozenset({"a1", "b"})
    assert formula.evaluate({"a1": D(1), "b": D(2)}) == 3


# -- names ----------------------------------------------------------------------------------------------------------------


def test_names_are_the_names_the_formula_reads():
    assert compile_formula(MONTHLY_INCOME).names == frozenset(
        {"基本工资", "职务工资", "行政奖", "月考核分", "补助", "提成奖", "业绩奖"}
    )
    assert compile_formula("IF(a > 0, b, c) + a + MAX(d, 1)").names == frozenset({"a", "b", "c", "d"})
    assert compile_formula("1 + 2 × MAX(3, 4)").names == frozenset()
    assert isinstance(compile_formula("a").names, frozenset)


def test_names_are_case_sensitive():
    assert compile_formula("a + A").names == frozenset({"a", "A"})
    assert ev("a - A", a=5, A=3) == 2


def test_is_valid_name():
    assert is_valid_name("月考核分")
    assert is_valid_name("base_pay2")
    assert is_valid_name("ａｂ")
    assert not is_valid_name("2a")
    assert not is_valid_name("a b")
    assert not is_valid_name("")
    for word in ("AND", "or", "Not", "IF", "max", "ROUND", "abs", "MIN"):
        assert not is_valid_name(word), word


# -- the sandbox ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "column"),
    [
        ('__import__("os")', "bad_char", 12),
        ('__import__("os").system("touch /tmp/formula-escaped")', "bad_char", 12),
        ("__import__(os)", "unknown_function", 1),
        ("eval(1)", "unknown_function", 1),
        ("open(a)", "unknown_function", 1),
        ("a.b", "bad_char", 2),
        ("a.__class__", "bad_char", 2),
        ("().__class__", "bad_char", 3),
        ('"x"', "bad_char", 1),
        ("'x'", "bad_char", 1),
        ("[1]", "bad_char", 1),
        ("{1}", "bad_char", 1),
        ("a; b", "bad_char", 2),
        ("lambda: 1", "bad_char", 7),
        ("a ** 2", "expected_operand", 4),
        ("a ^ 2", "bad_char", 3),
        ("1e3", "unexpected", 2),
        ("a if b else c", "unexpected", 3),
    ],
)
def test_python_is_not_reachable(text, code, column):
    error = error_of(text)

    assert (error.code, error.column) == (code, column)


def test_no_eval_and_no_builtins(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    formula = compile_formula(MONTHLY_INCOME)
    values = {name: D(1) for name in formula.names}

    assert formula.evaluate(values) == D("4.7") - D(1) + D(2) * D(1) / D(88)
    function = formula._function
    assert function.__globals__ == {"__builtins__": {}}
    # the compiled code reads no global name and no attribute but `__class__` and `is_finite` (its checks that values are finite Decimals)
    assert set(function.__code__.co_names) <= {"__class__", "is_finite"}


def test_names_that_look_like_python_are_just_names():
    formula = compile_formula("__class__ + __builtins__ + v + _D + _E + _k0 + _a0 + self")

    assert formula.names == frozenset({"__class__", "__builtins__", "v", "_D", "_E", "_k0", "_a0", "self"})
    assert formula.evaluate({name: D(1) for name in formula.names}) == 8


# -- errors, their codes, columns and messages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "column", "message"),
    [
        ("", "empty", None, "公式为空"),
        ("   ", "empty", None, "公式为空"),
        ("1 + * 2", "expected_operand", 5, "第 5 列：这里缺少数字、名称或左括号"),
        ("a b", "unexpected", 3, "第 3 列：多余的“b”"),
        ("1 +", "unexpected_end", 4, "第 4 列：公式不完整，缺少运算对象"),
        ("a > ", "unexpected_end", 5, "第 5 列：公式不完整，缺少运算对象"),
        ("MAX(1,)", "expected_operand", 7, "第 7 列：这里缺少数字、名称或左括号"),
        ("a & b", "bad_char", 3, "第 3 列：无法识别的字符“&”"),
        ("a ＆ b", "bad_char", 3, "第 3 列：无法识别的字符“＆”"),
        ("(1 + 2", "unclosed", 1, "第 1 列：左括号没有对应的右括号"),
        ("（1 + 2", "unclosed", 1, "第 1 列：左括号没有对应的右括号"),
        ("2 × (1 + (3 - 1)", "unclosed", 5, "第 5 列：左括号没有对应的右括号"),
        ("MAX(1, 2", "unclosed", 4, "第 4 列：左括号没有对应的右括号"),
        ("(1 2)", "unexpected", 4, "第 4 列：多余的“2”"),
        ("1 + 2)", "unmatched", 6, "第 6 列：多余的右括号"),
        ("1 + 2）", "unmatched", 6, "第 6 列：多余的右括号"),
        ("(1) + )", "unmatched", 7, "第 7 列：多余的右括号"),
        (")", "unmatched", 1, "第 1 列：多余的右括号"),
        ("(1 + )", "expected_operand", 6, "第 6 列：这里缺少数字、名称或左括号"),
        ("SUM(a, b)", "unknown_function", 1, "第 1 列：未知函数“SUM”"),
        ("1 + foo(2)", "unknown_function", 5, "第 5 列：未知函数“foo”"),
        ("AND + 1", "keyword_name", 1, "第 1 列：“AND”是保留字，不能用作名称"),
        ("1 + not", "keyword_name", 5, "第 5 列：“not”是保留字，不能用作名称"),
        ("IF + 1", "keyword_name", 1, "第 1 列：“IF”是保留字，不能用作名称"),
        ("2 × max", "keyword_name", 5, "第 5 列：“max”是保留字，不能用作名称"),
        ("1.2.3", "bad_number", 1, "第 1 列：数字“1.2.3”写法不对"),
        ("a + 1.", "bad_number", 5, "第 5 列：数字“1.”写法不对"),
        ("１．２．３ + 1", "bad_number", 1, "第 1 列：数字“1.2.3”写法不对"),
        ("2 + ٣", "bad_number", 5, "第 5 列：数字“٣”写法不对"),
    ],
)
def test_syntax_errors_name_the_problem_and_its_column(text, code, column, message):
    error = error_of(text)

    assert error.code == code
    assert error.column == column
    assert error.line is None
    assert str(error) == message
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("text", "name", "expected", "given"),
    [
        ("IF(1, 2)", "IF", "3", 2),
        ("IF(1, 2, 3, 4)", "IF", "3", 4),
        ("AND()", "AND", "1+", 0),
        ("OR()", "OR", "1+", 0),
        ("NOT()", "NOT", "1", 0),
        ("NOT(1, 0)", "NOT", "1", 2),
        ("MIN()", "MIN", "1+", 0),
        ("MAX()", "MAX", "1+", 0),
        ("ROUND(1.5)", "ROUND", "2", 1),
        ("ROUND(1.5, 1, 1)", "ROUND", "2", 3),
        ("ABS()", "ABS", "1", 0),
        ("ABS(1, 2)", "ABS", "1", 2),
        ("abs(1, 2)", "ABS", "1", 2),
    ],
)
def test_wrong_number_of_arguments(text, name, expected, given):
    error = error_of(f"1 + {text}")

    assert (error.code, error.column, error.name) == ("arity", 5, name)
    assert str(error) == f"第 5 列：{name} 需要 {expected} 个参数，写了 {given} 个"


def test_unknown_name_is_found_at_evaluation_with_its_column():
    formula = compile_formula("a + 业绩奖 × 70%")

    with pytest.raises(FormulaError) as caught:
        formula.evaluate({"a": D(1)})
    assert (caught.value.code, caught.value.column, caught.value.name) == ("unknown_name", 5, "业绩奖")
    assert str(caught.value) == "第 5 列：未知名称“业绩奖”"


@pytest.mark.parametrize(
    ("text", "values", "column"),
    [
        ("1 / 0", {}, 3),
        ("a ÷ (b - 2)", {"a": D(1), "b": D(2)}, 3),
        ("100 + a / b", {"a": D(0), "b": D(0)}, 9),  # 0 / 0 too
        ("MAX(1, 2 / a)", {"a": D(0)}, 10),
        ("a / 2 / (b × 0)", {"a": D(1), "b": D(5)}, 7),  # the second division is the one by zero
    ],
)
def test_division_by_zero_names_the_column_of_the_division(text, values, column):
    error = error_of(text, values)

    assert (error.code, error.column) == ("division_by_zero", column)
    assert str(error) == f"第 {column} 列：除数为零"


@pytest.mark.parametrize("digits", ["0.5", "11", "-11", "a"])
def test_round_digits_must_be_whole_and_in_range(digits):
    error = error_of(f"1 + ROUND(2.5, {digits})", {"a": D("1.5")})

    assert (error.code, error.column) == ("round_digits", 5)
    assert str(error) == "第 5 列：ROUND 的小数位数必须是 -10 到 10 之间的整数"


@pytest.mark.parametrize(
    "value", [1.5, 0.0, "1", "abc", None, True, False, D("NaN"), D("Infinity"), D("-Infinity"), [1]], ids=repr
)
@pytest.mark.parametrize(
    "text", ["a + 1", "IF(a, 1, 2)", "IF(a < 1, 1, 2)", "ROUND(a, 2)", "MAX(a, 0)", "ABS(a)", "a = a", "NOT a"]
)
def test_a_value_that_is_not_a_number_is_an_error(text, value):
    error = error_of(text, {"a": value})

    assert (error.code, error.name) == ("not_a_number", "a")
    assert error.column == text.index("a") + 1
    assert str(error) == f"第 {error.column} 列：“a”的值不是数字"


def test_a_formula_too_deep_is_an_error_not_a_crash():
    assert ev(" + ".join(["1"] * 150)) == 150
    assert ev("(" * 20 + "1" + ")" * 20) == 1

    for text in (
        " + ".join(["1"] * 3000),
        "(" * 1000 + "1" + ")" * 1000,
        "-" * 5000 + "1",
        "MAX(" * 300 + "1" + ")" * 300,
    ):
        error = error_of(text)
        assert error.code == "too_complex"
        assert str(error) == "公式嵌套太深或太长（最多 200 层）"


def test_a_value_too_large_for_round_is_an_error():
    error = error_of("ROUND(10000000000000000000000000000, 2)", {})

    assert (error.code, error.column) == ("invalid", 1)


def test_messages_are_english_when_english_is_active():
    unknown = error_of("a + b", {"a": D(1)})
    with translation.override("en"):
        assert str(unknown) == "column 5: unknown name “b”"
        assert str(error_of("1 + * 2")) == "column 5: a number, a name or an opening bracket is missing here"
        assert str(error_of("(1 + 2")) == "column 1: this bracket is never closed"
        assert str(error_of("1 + 2)")) == "column 6: a closing bracket without an opening one"
        assert str(error_of("FOO(1)")) == "column 1: unknown function “FOO”"
        assert str(error_of("1 / a", {"a": D(0)})) == "column 3: division by zero"
        assert str(error_of("IF(1, 2)")) == "column 1: IF takes 3 arguments, 2 given"
        assert str(error_of("AND + 1")) == "column 1: “AND” is a reserved word, not a name"
        assert str(error_of("1.2.3")) == "column 1: “1.2.3” is not a number"
        assert str(error_of("a", {"a": 1.5})) == "column 1: the value of “a” is not a number"
        assert str(error_of("")) == "the formula is empty"
    assert str(unknown) == "第 5 列：未知名称“b”"  # the message follows the language active when it is read


def test_a_formula_is_compiled_once_and_evaluated_many_times():
    formula = compile_formula("IF(n >= 20, 30, 20) × n")

    assert [formula.evaluate({"n": D(n)}) for n in (0, 19, 20, 25)] == [0, 380, 600, 750]
    assert formula.text == "IF(n >= 20, 30, 20) × n"
    assert "IF(n >= 20" in repr(formula)
