"""The pay formula benchmark: evaluations per second of a compiled formula against the same arithmetic by hand.

    .venv/bin/python -m bench.pay_formula            # --json prints the figures as JSON instead of the table

The formula is the installation supervisor's monthly income, as the policy writes it:

    月收入 = 基本工资 + (职务工资 + 行政奖) × 月考核分 / 88 + 补助 + 提成奖 + 业绩奖 × 70%

Evaluators, each over the same list of `--employees` dicts of `Decimal` inputs (two decimals, as the database
gives them; the score varies, so the division runs to 28 digits as it does in a pay run):

- **hand-written**: the arithmetic as a Python function, names read from the dict, the constants 88 and 0.7 as
  module-level Decimals (what a developer would write; the compiled formula keeps its constants the same way);
- **compiled**: `compile_formula(…).evaluate(values)`, the public call a pay run makes (its checks included: every
  name read is a Decimal, the result is finite);
- **tree of closures**: the same parse tree turned into one Python closure per node (`closure_evaluator`), the
  usual way to "compile" an expression without generating code; for reference (the issue expects about ⅓);
- **tree walker**: `formula._interpret`, the slow path the compiled formula falls back to on an error, to name
  its column; for reference;
- **empty call**: a function that returns its argument, the floor the loop and the call cost.

The machine is shared and noisy, so everything runs in one process, in `--rounds` rounds; each round times
`--evaluations` calls of each evaluator in turn (the order rotates every round, garbage collection off), on the
thread's CPU clock (`--clock cpu`: the time other processes hold the core is not counted; `--clock wall` counts
it). A rate is evaluations ÷ time; the figure is the median of the rounds; a ratio is taken within each round (so both sides
saw the same machine) and its median reported. The goal: compiled ≥ `--goal` (0.5) × hand-written; exits 1
when it is missed or when the evaluators disagree on any value. Needs no database and no Django.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

from aftersales.pay import formula as formula_module
from aftersales.pay.formula import compile_formula

FORMULA = "基本工资 + (职务工资 + 行政奖) × 月考核分 / 88 + 补助 + 提成奖 + 业绩奖 × 70%"
GOAL = 0.5

# -- the evaluators ------------------------------------------------------------------------------------------------------

_K88 = Decimal(88)
_K70 = Decimal("0.7")  # 70%


def hand_written(v):
    """月收入 written by hand over the same dict."""
    return (
        v["基本工资"]
        + (v["职务工资"] + v["行政奖"]) * v["月考核分"] / _K88
        + v["补助"]
        + v["提成奖"]
        + v["业绩奖"] * _K70
    )


def empty_call(v):
    return v


_HUNDRED, _ONE, _ZERO = Decimal(100), Decimal(1), Decimal(0)


def closure_evaluator(text: str):
    """The formula's parse tree as a tree of closures: each node a function of the values calling its children."""
    parser = formula_module._Parser(formula_module._tokenize(text))
    return _closure(parser.parse())


def _closure(node):
    f = formula_module
    kind = node.__class__
    if kind is f._Num:
        value = node.value
        return lambda v: value
    if kind is f._Var:
        name = node.name
        return lambda v: v[name]
    if kind is f._Unary:
        operand = _closure(node.operand)
        if node.op == "-":
            return lambda v: -operand(v)
        if node.op == "+":
            return lambda v: +operand(v)
        return lambda v: operand(v) / _HUNDRED
    if kind is f._Binary:
        left, right = _closure(node.left), _closure(node.right)
        return {
            "+": lambda v: left(v) + right(v),
            "-": lambda v: left(v) - right(v),
            "*": lambda v: left(v) * right(v),
            "/": lambda v: left(v) / right(v),
            "=": lambda v: _ONE if left(v) == right(v) else _ZERO,
            "<>": lambda v: _ONE if left(v) != right(v) else _ZERO,
            "<": lambda v: _ONE if left(v) < right(v) else _ZERO,
            "<=": lambda v: _ONE if left(v) <= right(v) else _ZERO,
            ">": lambda v: _ONE if left(v) > right(v) else _ZERO,
            ">=": lambda v: _ONE if left(v) >= right(v) else _ZERO,
        }[node.op]
    args = [_closure(arg) for arg in node.args]
    if node.name == "IF":
        test, then, otherwise = args
        return lambda v: then(v) if test(v) else otherwise(v)
    if node.name == "AND":
        return lambda v: _ONE if all(arg(v) for arg in args) else _ZERO
    if node.name == "OR":
        return lambda v: _ONE if any(arg(v) for arg in args) else _ZERO
    if node.name == "NOT":
        (operand,) = args
        return lambda v: _ZERO if operand(v) else _ONE
    if node.name in ("MIN", "MAX"):
        pick = min if node.name == "MIN" else max
        return lambda v: pick(arg(v) for arg in args)
    if node.name == "ABS":
        (operand,) = args
        return lambda v: abs(operand(v))
    value, digits = args
    return lambda v: formula_module._round(value(v), digits(v))


def evaluators(text: str = FORMULA) -> dict:
    """Name → (label, function of one values dict), hand-written first."""
    formula = compile_formula(text)
    tree = formula._tree
    return {
        "hand": ("hand-written Python", hand_written),
        "compiled": ("compiled (Formula.evaluate)", formula.evaluate),
        "closures": ("tree of closures", closure_evaluator(text)),
        "walker": ("tree walker (error path)", lambda v: formula_module._interpret(tree, v)),
        "empty": ("empty call (loop floor)", empty_call),
    }


# -- the workload ----------------------------------------------------------------------------------------------------------

_FEN = Decimal("0.01")


def employee_values(count: int) -> list[dict[str, Decimal]]:
    """`count` employees' inputs, two decimals each as the database gives them; scores from 70 to 99."""
    rows = []
    for i in range(count):
        rows.append(
            {
                name: Decimal(value).quantize(_FEN)
                for name, value in {
                    "基本工资": 600,
                    "职务工资": 900 + 50 * (i % 3),
                    "行政奖": 1000,
                    "月考核分": 70 + i % 30,
                    "补助": 100 * (i % 2),
                    "提成奖": (19 + i % 10) * (30 if 19 + i % 10 >= 20 else 20),
                    "业绩奖": 1000 + 37 * i,
                }.items()
            }
        )
    return rows


def check_agreement(functions: dict, rows: list[dict]) -> list[str]:
    """Every evaluator's value equals the hand-written one on every row (exactly, as Decimals)."""
    problems = []
    for i, row in enumerate(rows):
        expected = hand_written(row)
        for key, (label, function) in functions.items():
            if key == "empty":
                continue
            got = function(row)
            if got != expected or got.__class__ is not Decimal:
                problems.append(f"{label}: employee {i}: {got!r} != {expected!r}")
    return problems


CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}


def _time_batch(function, batch: list[dict], clock) -> float:
    start = clock()
    for values in batch:
        function(values)
    return clock() - start


def measure(
    *, rounds: int = 31, evaluations: int = 10_000, employees: int = 64, warmup: int = 1, clock: str = "cpu"
) -> dict:
    """Interleaved rounds; returns the rates of every round, their medians and the per-round ratios to hand-written."""
    functions = evaluators()
    rows = employee_values(employees)
    problems = check_agreement(functions, rows)
    batch = (rows * (evaluations // len(rows) + 1))[:evaluations]
    keys = list(functions)
    rates: dict[str, list[float]] = {key: [] for key in keys}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for round_number in range(-warmup, rounds):
            shift = round_number % len(keys)
            for key in keys[shift:] + keys[:shift]:
                seconds = _time_batch(functions[key][1], batch, CLOCKS[clock])
                if round_number >= 0:
                    rates[key].append(evaluations / seconds)
    finally:
        if gc_was_enabled:
            gc.enable()
    ratios = {key: [r / h for r, h in zip(rates[key], rates["hand"], strict=True)] for key in keys}
    return {
        "formula": FORMULA,
        "rounds": rounds,
        "evaluations": evaluations,
        "employees": employees,
        "clock": clock,
        "labels": {key: functions[key][0] for key in keys},
        "rates": rates,
        "median_rate": {key: statistics.median(rates[key]) for key in keys},
        "median_ratio": {key: statistics.median(ratios[key]) for key in keys},
        "min_ratio": {key: min(ratios[key]) for key in keys},
        "max_ratio": {key: max(ratios[key]) for key in keys},
        "disagreements": problems,
    }


# -- the report ------------------------------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = platform.processor()
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "os": platform.platform()}


def table(result: dict, goal: float) -> list[str]:
    lines = [
        f"月收入 = {result['formula']}",
        f"{result['rounds']} rounds × {result['evaluations']:,} evaluations of each, interleaved, over "
        f"{result['employees']} employees' inputs; {result['clock']} time; medians of the rounds",
        "",
        f"{'evaluator':<30} {'evals/s':>11} {'µs/eval':>8} {'× hand':>7} {'(min–max of rounds)':>20}",
    ]
    for key, label in result["labels"].items():
        rate = result["median_rate"][key]
        span = f"{result['min_ratio'][key]:.2f}–{result['max_ratio'][key]:.2f}"
        note = f"  goal ≥ {goal:.2f}" if key == "compiled" else ""
        lines.append(
            f"{label:<30} {rate:>11,.0f} {1e6 / rate:>8.3f} {result['median_ratio'][key]:>7.2f} {span:>20}{note}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pay_formula", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=31, help="measured rounds (31)")
    parser.add_argument(
        "--evaluations", type=int, default=10_000, help="evaluations of each evaluator a round (10,000)"
    )
    parser.add_argument("--employees", type=int, default=64, help="distinct input dicts cycled through (64)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first (1)")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="cpu: the thread's CPU time, not the time other processes take the core (default); wall: elapsed time",
    )
    parser.add_argument("--goal", type=float, default=GOAL, help="lowest compiled ÷ hand-written rate (0.5)")
    parser.add_argument(
        "--json", nargs="?", const="-", metavar="FILE", help="print the figures as JSON (or write them to FILE)"
    )
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    started = time.monotonic()
    result = measure(
        rounds=args.rounds, evaluations=args.evaluations, employees=args.employees, warmup=args.warmup, clock=args.clock
    )
    failures = [f"the evaluators disagree: {problem}" for problem in result["disagreements"][:5]]
    ratio = result["median_ratio"]["compiled"]
    if ratio < args.goal:
        failures.append(f"compiled formula at {ratio:.2f} × hand-written, goal ≥ {args.goal:.2f}")
    document = {
        **result,
        "goal": args.goal,
        "machine": machine(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "elapsed_s": round(time.monotonic() - started, 2),
        "failures": failures,
    }

    if args.json == "-":
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        info = document["machine"]
        print(f"{info['cpu']}, {info['cores']} cores, Python {info['python']}")
        print(f"load average before {load_before[0]:.1f}, after {document['load_average']['after'][0]:.1f}")
        print()
        print("\n".join(table(result, args.goal)))
        if args.json:
            path = Path(args.json)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
            print(f"\nWritten to {path}")
        if failures:
            print("\nGOALS MISSED:\n  " + "\n  ".join(failures))
        else:
            print(f"\nOK: the compiled formula runs at {ratio:.2f} × the hand-written speed (goal ≥ {args.goal:.2f}).")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
