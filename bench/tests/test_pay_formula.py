"""The pay formula benchmark's code on tiny counts, so that it cannot rot between benchmark runs (no timing asserted)."""

import json
from decimal import Decimal

import pytest

from aftersales.pay.formula import compile_formula
from aftersales.pay.tests.samples import MONTHLY_INCOME
from bench import pay_formula
from bench.pay_formula import (
    FORMULA,
    check_agreement,
    closure_evaluator,
    employee_values,
    evaluators,
    hand_written,
    main,
    measure,
)


def test_the_benchmark_measures_the_policy_formula():
    assert FORMULA == MONTHLY_INCOME


def test_every_evaluator_gives_the_hand_written_value_on_every_employee():
    rows = employee_values(40)

    assert len({row["月考核分"] for row in rows}) == 30  # scores 70 … 99: divisions of every length
    assert all(value.__class__ is Decimal and value.as_tuple().exponent == -2 for row in rows for value in row.values())
    assert check_agreement(evaluators(), rows) == []
    # employee 18: 600 + (900 + 1000) × 88 / 88 + 0 + 27 × 30 + 1666 × 70% = 600 + 1900 + 810 + 1166.2
    assert hand_written(rows[18]) == Decimal("4476.2")


def test_a_wrong_evaluator_is_reported():
    functions = evaluators()
    functions["compiled"] = ("off by a fen", lambda v: hand_written(v) + Decimal("0.01"))

    problems = check_agreement(functions, employee_values(3))

    assert len(problems) == 3 and problems[0].startswith("off by a fen: employee 0:")


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("IF(a >= 20, 30, 20) × a", {"a": Decimal(20)}),
        ("IF(a >= 20, 30, 20) × a", {"a": Decimal(19)}),
        ("MIN(a, 5) + MAX(a, 1, 2) - ABS(-a) + ROUND(a / 3, 2) + -a%", {"a": Decimal(7)}),
        ("AND(a > 1, a < 9) + OR(a = 1, a <> 7) + NOT(a <= 7) + (a >= 7)", {"a": Decimal(7)}),
        ("a AND NOT b OR 0", {"a": Decimal(1), "b": Decimal(0)}),
    ],
)
def test_the_tree_of_closures_computes_what_the_compiled_formula_does(text, values):
    assert closure_evaluator(text)(values) == compile_formula(text).evaluate(values)


def test_measure_with_tiny_counts():
    result = measure(rounds=3, evaluations=20, employees=4, warmup=0)

    assert list(result["labels"]) == ["hand", "compiled", "closures", "walker", "empty"]
    assert (result["rounds"], result["evaluations"], result["employees"]) == (3, 20, 4)
    for key in result["labels"]:
        assert len(result["rates"][key]) == 3 and all(rate > 0 for rate in result["rates"][key])
        assert result["median_rate"][key] > 0
        assert result["min_ratio"][key] <= result["median_ratio"][key] <= result["max_ratio"][key]
    assert result["median_ratio"]["hand"] == 1
    assert result["disagreements"] == []


def test_main_prints_a_table_and_exits_by_the_goal(capsys):
    assert main(["--rounds", "2", "--evaluations", "10", "--employees", "3", "--goal", "0"]) == 0
    out = capsys.readouterr().out
    assert "compiled (Formula.evaluate)" in out and "tree of closures" in out and "OK:" in out

    assert main(["--rounds", "2", "--evaluations", "10", "--employees", "3", "--goal", "1000"]) == 1
    assert "GOALS MISSED" in capsys.readouterr().out


def test_main_prints_json(capsys, tmp_path):
    assert main(["--rounds", "2", "--evaluations", "10", "--employees", "3", "--goal", "0", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["formula"] == FORMULA and document["goal"] == 0 and document["failures"] == []
    assert set(document["median_ratio"]) == {"hand", "compiled", "closures", "walker", "empty"}
    assert document["clock"] == "cpu" and document["machine"]["cores"]

    path = tmp_path / "pay_formula.json"
    assert main(["--rounds", "1", "--evaluations", "5", "--clock", "wall", "--goal", "0", "--json", str(path)]) == 0
    assert json.loads(path.read_text(encoding="utf-8"))["clock"] == "wall"


def test_main_fails_when_the_evaluators_disagree(monkeypatch, capsys):
    monkeypatch.setattr(pay_formula, "hand_written", lambda v: Decimal(0))

    assert main(["--rounds", "1", "--evaluations", "5", "--employees", "2", "--goal", "0"]) == 1
    assert "the evaluators disagree" in capsys.readouterr().out
