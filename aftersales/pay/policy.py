"""Policy sheets: a pay policy written as lines `名称 = 公式`, in any order, lines using each other.

    月收入 = 基本工资 + (职务工资 + 行政奖) × 月考核分 / 88 + 补助 + 提成奖 + 业绩奖 × 70%
    提成奖 = 售后检查单数 × IF(售后检查单数 >= 20, 30, 20)
    基本工资 = 600

Blank lines and lines starting with `#` or `//` are ignored. A name defined twice or a cycle is a
`FormulaError` naming the line; the names used but not defined are the sheet's `inputs`. Evaluating
computes the lines in dependency order and rounds each one half up to the fen as soon as it is
computed, so a later line uses the rounded value, exactly as a payslip shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from aftersales.pay.formula import Formula, FormulaError, compile_formula, is_valid_name, narrow_name

FEN = Decimal("0.01")


def round_fen(value: Decimal) -> Decimal:
    """Half up (四舍五入) to the fen."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SheetLine:
    """One line of a sheet: its number in the text (1-based), its name and its compiled formula."""

    number: int
    name: str
    formula: Formula
    offset: int = 0  # the line's column just before the formula starts

    @property
    def text(self) -> str:
        return self.formula.text


def _split_line(raw: str) -> tuple[str, str, int] | None:
    """(name, formula text, column where the formula starts) of one `名称 = 公式` line; None for blank/comment."""
    stripped = raw.strip()
    if not stripped or stripped.startswith("#") or stripped.startswith("//"):
        return None
    positions = [i for i in (raw.find("="), raw.find("＝")) if i >= 0]
    if not positions:
        raise FormulaError("line_syntax")
    split = min(positions)
    return raw[:split].strip(), raw[split + 1 :], split + 1


class PolicySheet:
    """A parsed policy: `lines` as written, `inputs` (names it needs from outside), `evaluate(inputs)`."""

    def __init__(self, text: str, lines: list[SheetLine]):
        self.text = text
        self.lines: tuple[SheetLine, ...] = tuple(lines)
        self._by_name = {line.name: line for line in lines}
        used = set().union(*(line.formula.names for line in lines)) if lines else set()
        self.inputs: frozenset[str] = frozenset(used - set(self._by_name))
        # the inputs in the order the sheet first reads them, so a missing one is always the same one reported
        self._input_order: tuple[str, ...] = tuple(
            dict.fromkeys(
                name
                for line in lines
                for name in sorted(line.formula.names, key=line.formula._first_columns.get)
                if name in self.inputs
            )
        )
        self._order: tuple[SheetLine, ...] = tuple(self._evaluation_order())

    # ------------------------------------------------------------------ parsing

    @classmethod
    def parse(cls, text: str) -> PolicySheet:
        lines: list[SheetLine] = []
        seen: dict[str, int] = {}
        for number, raw in enumerate((text or "").splitlines(), start=1):
            try:
                parts = _split_line(raw)
            except FormulaError as exc:
                raise exc.in_line(number, None) from None
            if parts is None:
                continue
            name, formula_text, offset = parts
            if not is_valid_name(name):
                raise FormulaError("bad_line_name", line=number, name=name)
            name = narrow_name(name)  # as the formulas read it: a line ａ is the a other lines use
            if name in seen:
                raise FormulaError("duplicate", line=number, name=name, first=seen[name])
            try:
                formula = compile_formula(formula_text)
            except FormulaError as exc:
                raise exc.in_line(number, name, offset) from None
            seen[name] = number
            lines.append(SheetLine(number=number, name=name, formula=formula, offset=offset))
        if not lines:
            raise FormulaError("empty_sheet")
        return cls(text, lines)

    def _evaluation_order(self) -> list[SheetLine]:
        """Lines after the lines they use (depth first, in written order); a cycle names its first line."""
        done: set[str] = set()
        order: list[SheetLine] = []
        for line in self.lines:
            self._visit(line, done, [], order)
        return order

    def _visit(self, line: SheetLine, done: set[str], path: list[str], order: list[SheetLine]) -> None:
        if line.name in done:
            return
        if line.name in path:
            cycle = [*path[path.index(line.name) :], line.name]
            first = min((self._by_name[name] for name in cycle), key=lambda item: item.number)
            raise FormulaError("cycle", line=first.number, name=first.name, path=" → ".join(cycle))
        path.append(line.name)
        for name in sorted(line.formula.names, key=lambda n: self._by_name[n].number if n in self._by_name else 0):
            dependency = self._by_name.get(name)
            if dependency is not None:
                self._visit(dependency, done, path, order)
        path.pop()
        done.add(line.name)
        order.append(line)

    # ------------------------------------------------------------------ reading

    @property
    def names(self) -> tuple[str, ...]:
        """The names the sheet defines, as written."""
        return tuple(line.name for line in self.lines)

    def line(self, name: str) -> SheetLine:
        return self._by_name[name]

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def users_of(self, name: str) -> list[int]:
        """The numbers of the lines that use `name`."""
        return [line.number for line in self.lines if name in line.formula.names]

    # ------------------------------------------------------------------ evaluating

    def evaluate(self, inputs: Mapping[str, Decimal]) -> dict[str, Decimal]:
        """Every line's value, rounded half up to the fen as soon as it is computed, in written order."""
        values: dict[str, Decimal] = {}
        for name in self._input_order:
            try:
                values[name] = inputs[name]
            except KeyError:
                lines = "、".join(str(number) for number in self.users_of(name))
                raise FormulaError("missing_input", name=name, lines=lines) from None
        for line in self._order:
            try:
                value = line.formula.evaluate(values)
            except FormulaError as exc:
                raise exc.in_line(line.number, line.name, line.offset) from None
            values[line.name] = value.quantize(FEN, rounding=ROUND_HALF_UP)
        return {line.name: values[line.name] for line in self.lines}
