"""The formula language of pay policies: what HR types, read exactly as the policy document writes it.

    月收入 = 基本工资 + (职务工资 + 行政奖) × 月考核分 / 88 + 补助 + 提成奖 + 业绩奖 × 70%

- numbers (`70%` is 0.7), names in Chinese or ASCII, `+ - * / × ÷`, parentheses `( )` or `（ ）`;
- comparisons `> >= < <= = <>` (also `≥ ≤ ≠`), `IF(cond, a, b)`, `AND`, `OR`, `NOT` (as functions, or
  `a AND b`, `NOT a`), `MIN`, `MAX`, `ROUND(x, n)` (half up), `ABS`;
- full-width commas, digits, letters and operators are read as their ASCII forms.

Arithmetic is exact `Decimal`; a comparison is true or false (1 or 0 where a number is needed). There is
no attribute access and no call but the functions above: the text is parsed into our own tree, never
handed to Python's `eval`. `compile_formula` turns the tree into a Python function built from that tree
(so a formula evaluates at nearly the speed of the same arithmetic written by hand); when that fast
path raises, the tree is walked again to say which column went wrong.

Errors are `FormulaError` with a message in Chinese (English when English is the active language) naming
the problem and its column: a syntax error, an unknown function or name, division by zero, a wrong
number of arguments.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["FUNCTIONS", "Formula", "FormulaError", "compile_formula", "is_valid_name", "narrow_name"]

# --------------------------------------------------------------------------------------------- errors

_MESSAGES: dict[str, tuple[str, str]] = {
    # code: (Chinese, English)
    "empty": ("公式为空", "the formula is empty"),
    "bad_char": ("第 {column} 列：无法识别的字符“{char}”", "column {column}: unexpected character “{char}”"),
    "bad_number": ("第 {column} 列：数字“{text}”写法不对", "column {column}: “{text}” is not a number"),
    "expected_operand": (
        "第 {column} 列：这里缺少数字、名称或左括号",
        "column {column}: a number, a name or an opening bracket is missing here",
    ),
    "unexpected": ("第 {column} 列：多余的“{token}”", "column {column}: unexpected “{token}”"),
    "unexpected_end": ("第 {column} 列：公式不完整，缺少运算对象", "column {column}: the formula ends too early"),
    "unclosed": ("第 {column} 列：左括号没有对应的右括号", "column {column}: this bracket is never closed"),
    "unmatched": ("第 {column} 列：多余的右括号", "column {column}: a closing bracket without an opening one"),
    "unknown_function": ("第 {column} 列：未知函数“{name}”", "column {column}: unknown function “{name}”"),
    "arity": (
        "第 {column} 列：{name} 需要 {expected} 个参数，写了 {given} 个",
        "column {column}: {name} takes {expected} arguments, {given} given",
    ),
    "keyword_name": (
        "第 {column} 列：“{name}”是保留字，不能用作名称",
        "column {column}: “{name}” is a reserved word, not a name",
    ),
    "unknown_name": ("第 {column} 列：未知名称“{name}”", "column {column}: unknown name “{name}”"),
    "not_a_number": (
        "第 {column} 列：“{name}”的值不是数字",
        "column {column}: the value of “{name}” is not a number",
    ),
    "division_by_zero": ("第 {column} 列：除数为零", "column {column}: division by zero"),
    "round_digits": (
        "第 {column} 列：ROUND 的小数位数必须是 -10 到 10 之间的整数",
        "column {column}: ROUND's digits must be a whole number from -10 to 10",
    ),
    "invalid": ("第 {column} 列：无法计算（{detail}）", "column {column}: cannot be computed ({detail})"),
    "too_complex": (
        "公式嵌套太深或太长（最多 {depth} 层）",
        "the formula is nested too deeply or too long (at most {depth} levels)",
    ),
    # policy sheets
    "line_syntax": ("应写成“名称 = 公式”", "write it as “name = formula”"),
    "bad_line_name": ("“{name}”不是合法的名称", "“{name}” is not a valid name"),
    "duplicate": ("“{name}”与第 {first} 行重名", "“{name}” is already defined on line {first}"),
    "cycle": ("“{name}”循环引用：{path}", "“{name}” refers to itself: {path}"),
    "missing_input": ("缺少输入“{name}”（第 {lines} 行用到）", "the input “{name}” is missing (used on line {lines})"),
    "empty_sheet": ("方案没有任何一行“名称 = 公式”", "the policy has no “name = formula” line"),
    "no_total": ("合计行“{name}”不在方案中", "the total line “{name}” is not in the policy"),
}
_LINE_PREFIX = ("第 {line} 行", "line {line}")
_LINE_NAME_PREFIX = ("第 {line} 行“{name}”", "line {line} “{name}”")


def _english() -> bool:
    try:
        from django.utils.translation import get_language

        return (get_language() or "").startswith("en")
    except Exception:  # no Django settings: the language's own default, Chinese
        return False


class FormulaError(ValueError):
    """A formula or policy sheet that cannot be read or evaluated.

    `code` names the problem (`bad_char`, `unknown_name`, `division_by_zero`, `arity`, `cycle` …),
    `column` is 1-based within the formula (or the sheet's line), `line` the sheet's line number when
    the error comes from a sheet, `name` the name or line concerned. `str(error)` is the message.
    """

    def __init__(self, code: str, *, column: int | None = None, line: int | None = None, **params):
        self.code = code
        self.column = column
        self.line = line
        self.params = params
        self.name = params.get("name")
        super().__init__(self.message)

    @property
    def message(self) -> str:
        lang = 1 if _english() else 0
        text = _MESSAGES[self.code][lang].format(column=self.column, **self.params)
        if self.line is not None:
            line_name = self.params.get("line_name")
            prefix = (_LINE_NAME_PREFIX if line_name else _LINE_PREFIX)[lang].format(line=self.line, name=line_name)
            text = f"{prefix}：{text}" if lang == 0 else f"{prefix}: {text}"
        return text

    def __str__(self) -> str:
        return self.message

    def in_line(self, line: int, line_name: str | None, offset: int = 0) -> FormulaError:
        """The same error placed on a sheet's line; `offset` turns formula columns into line columns."""
        params = dict(self.params)
        if line_name:
            params["line_name"] = line_name
        column = self.column + offset if self.column is not None else None
        return FormulaError(self.code, column=column, line=line, **params)


# ------------------------------------------------------------------------------------------- tokens

_WIDE = {
    "×": "*",
    "÷": "/",
    "−": "-",
    "–": "-",
    "≥": ">=",
    "≤": "<=",
    "≠": "<>",
    "（": "(",
    "）": ")",
    "，": ",",
}


def _narrow(ch: str) -> str:
    """Full-width ASCII forms (U+FF01–FF5E) and the typeset operators as their ASCII spelling."""
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    return _WIDE.get(ch, ch)


KEYWORDS = frozenset({"AND", "OR", "NOT"})
#: Function name → (least, most) number of arguments (None: any number).
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "IF": (3, 3),
    "AND": (1, None),
    "OR": (1, None),
    "NOT": (1, 1),
    "MIN": (1, None),
    "MAX": (1, None),
    "ROUND": (2, 2),
    "ABS": (1, 1),
}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # num, name, op, end
    value: str
    column: int


def _is_name_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def _is_name_char(ch: str) -> bool:
    return ch == "_" or ch.isalnum()


def narrow_name(text: str) -> str:
    """A name as formulas read it: full-width letters, digits and ＿ as their ASCII forms (ａ１ is a1)."""
    return "".join(_narrow(ch) for ch in text)


def is_valid_name(text: str) -> bool:
    """Whether `text` can be a name in a formula: letters (any script), digits and _, not starting with a digit."""
    text = narrow_name(text)
    return (
        bool(text)
        and _is_name_start(text[0])
        and all(_is_name_char(ch) for ch in text)
        and text.upper() not in KEYWORDS
        and text.upper() not in FUNCTIONS
    )


_TWO_CHAR_OPS = {"<=", ">=", "<>", "!=", "=="}
_ONE_CHAR_OPS = set("+-*/%(),<>=")


def _tokenize(text: str) -> list[_Token]:
    chars = [_narrow(ch) for ch in text]
    # A mapped character may stand for two ASCII ones (≥ → ">="); keep each with its original column.
    flat: list[tuple[str, int]] = []
    for index, mapped in enumerate(chars):
        for ch in mapped:
            flat.append((ch, index + 1))
    tokens: list[_Token] = []
    i, n = 0, len(flat)
    while i < n:
        ch, column = flat[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit() or (ch == "." and i + 1 < n and flat[i + 1][0].isdigit()):
            j = i
            while j < n and (flat[j][0].isdigit() or flat[j][0] == "."):
                j += 1
            literal = "".join(c for c, _ in flat[i:j])
            if literal.count(".") > 1 or literal.endswith(".") or not literal.isascii():
                raise FormulaError("bad_number", column=column, text=literal)
            tokens.append(_Token("num", literal, column))
            i = j
        elif _is_name_start(ch):
            j = i
            while j < n and _is_name_char(flat[j][0]):
                j += 1
            tokens.append(_Token("name", "".join(c for c, _ in flat[i:j]), column))
            i = j
        else:
            pair = ch + flat[i + 1][0] if i + 1 < n else ""
            if pair in _TWO_CHAR_OPS and (i + 1 < n and flat[i + 1][1] in (column, column + 1)):
                op = {"!=": "<>", "==": "="}.get(pair, pair)
                tokens.append(_Token("op", op, column))
                i += 2
            elif ch in _ONE_CHAR_OPS:
                tokens.append(_Token("op", ch, column))
                i += 1
            else:
                raise FormulaError("bad_char", column=column, char=text[column - 1])
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


# --------------------------------------------------------------------------------------------- tree


@dataclass(frozen=True, slots=True)
class _Num:
    value: Decimal
    column: int


@dataclass(frozen=True, slots=True)
class _Var:
    name: str
    column: int


@dataclass(frozen=True, slots=True)
class _Unary:
    op: str  # "-", "+", "%"
    operand: object
    column: int


@dataclass(frozen=True, slots=True)
class _Binary:
    op: str  # + - * / = <> < <= > >=
    left: object
    right: object
    column: int


@dataclass(frozen=True, slots=True)
class _Call:
    name: str  # upper case
    args: tuple
    column: int


_COMPARISONS = ("=", "<>", "<", "<=", ">", ">=")


class _Parser:
    """Recursive descent, loosest first: OR, AND, NOT, comparison, + -, * /, unary sign, postfix %."""

    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.pos = 0
        self.open_brackets = 0  # brackets opened and not yet closed at the current token

    @property
    def token(self) -> _Token:
        return self.tokens[self.pos]

    def _peek(self, offset: int = 1) -> _Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def _advance(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _is_keyword(self, word: str) -> bool:
        """`NOT` as a prefix word: `NOT(…)` right before a bracket is the function, read as a call."""
        token = self.token
        return token.kind == "name" and token.value.upper() == word and not self._peek().value == "("

    def _is_infix(self, word: str) -> bool:
        """`AND` / `OR` after an operand are always the infix words, even before a bracket: `a AND (b OR c)`."""
        token = self.token
        return token.kind == "name" and token.value.upper() == word

    def parse(self):
        if self.token.kind == "end":
            raise FormulaError("empty")
        node = self._or()
        token = self.token
        if token.kind != "end":
            if token.value == ")":
                raise FormulaError("unmatched", column=token.column)
            raise FormulaError("unexpected", column=token.column, token=token.value)
        return node

    def _or(self):
        node = self._and()
        while self._is_infix("OR"):
            column = self._advance().column
            node = _Call("OR", (node, self._and()), column)
        return node

    def _and(self):
        node = self._not()
        while self._is_infix("AND"):
            column = self._advance().column
            node = _Call("AND", (node, self._not()), column)
        return node

    def _not(self):
        if self._is_keyword("NOT"):
            column = self._advance().column
            return _Call("NOT", (self._not(),), column)
        return self._comparison()

    def _comparison(self):
        node = self._additive()
        while self.token.kind == "op" and self.token.value in _COMPARISONS:
            token = self._advance()
            node = _Binary(token.value, node, self._additive(), token.column)
        return node

    def _additive(self):
        node = self._term()
        while self.token.kind == "op" and self.token.value in ("+", "-"):
            token = self._advance()
            node = _Binary(token.value, node, self._term(), token.column)
        return node

    def _term(self):
        node = self._unary()
        while self.token.kind == "op" and self.token.value in ("*", "/"):
            token = self._advance()
            node = _Binary(token.value, node, self._unary(), token.column)
        return node

    def _unary(self):
        if self.token.kind == "op" and self.token.value in ("+", "-"):
            token = self._advance()
            operand = self._unary()
            if token.value == "-" and isinstance(operand, _Num):
                return _Num(-operand.value, token.column)
            return _Unary(token.value, operand, token.column)
        return self._postfix()

    def _postfix(self):
        node = self._primary()
        while self.token.kind == "op" and self.token.value == "%":
            column = self._advance().column
            node = _Num(node.value / 100, node.column) if isinstance(node, _Num) else _Unary("%", node, column)
        return node

    def _primary(self):
        token = self.token
        if token.kind == "num":
            self._advance()
            return _Num(Decimal(token.value), token.column)
        if token.kind == "name":
            self._advance()
            if self.token.value == "(" and self.token.kind == "op":
                return self._call(token)
            if token.value.upper() in KEYWORDS or token.value.upper() in FUNCTIONS:
                raise FormulaError("keyword_name", column=token.column, name=token.value)
            return _Var(token.value, token.column)
        if token.kind == "op" and token.value == "(":
            self._advance()
            self.open_brackets += 1
            node = self._or()
            self._close(token)
            return node
        if token.kind == "end":
            raise FormulaError("unexpected_end", column=token.column)
        if token.value == ")":
            raise FormulaError("expected_operand" if self.open_brackets else "unmatched", column=token.column)
        raise FormulaError("expected_operand", column=token.column)

    def _close(self, opening: _Token) -> None:
        if self.token.kind == "op" and self.token.value == ")":
            self._advance()
            self.open_brackets -= 1
            return
        if self.token.kind == "end":
            raise FormulaError("unclosed", column=opening.column)
        raise FormulaError("unexpected", column=self.token.column, token=self.token.value)

    def _call(self, name_token: _Token):
        name = name_token.value.upper()
        if name not in FUNCTIONS:
            raise FormulaError("unknown_function", column=name_token.column, name=name_token.value)
        opening = self._advance()
        self.open_brackets += 1
        args = []
        if not (self.token.kind == "op" and self.token.value == ")"):
            args.append(self._or())
            while self.token.kind == "op" and self.token.value == ",":
                self._advance()
                args.append(self._or())
        self._close(opening)
        least, most = FUNCTIONS[name]
        if len(args) < least or (most is not None and len(args) > most):
            expected = str(least) if least == most else (f"{least}+" if most is None else f"{least}–{most}")
            raise FormulaError("arity", column=name_token.column, name=name, expected=expected, given=len(args))
        return _Call(name, tuple(args), name_token.column)


# ------------------------------------------------------------------------------------- evaluation

_HUNDRED = Decimal(100)
_ONE = Decimal(1)
_ZERO = Decimal(0)
#: How deep a formula's tree may be (brackets, functions, and a long `a + b + …` chain, one level a term).
MAX_DEPTH = 200


def _as_decimal(value) -> Decimal:
    if value.__class__ is Decimal:
        return value
    if value is True:
        return _ONE
    if value is False:
        return _ZERO
    return Decimal(value)


def _round_digits(digits) -> int:
    digits = _as_decimal(digits)
    if not digits.is_finite() or digits != digits.to_integral_value() or not -10 <= digits <= 10:
        raise ValueError("ROUND digits")
    return int(digits)


def _round(value, digits) -> Decimal:
    """ROUND(x, n): half up (四舍五入) to n decimals; a negative n rounds to tens, hundreds … (1250, -2 → 1300)."""
    places = _round_digits(digits)
    result = _as_decimal(value).quantize(_ONE.scaleb(-places), rounding=ROUND_HALF_UP)
    return result.quantize(_ONE) if places < 0 else result  # 1300, not 1.3E+3


def _interpret(node, values: Mapping):
    """Walk the tree; slow, but every error it raises names its column."""
    kind = node.__class__
    if kind is _Num:
        return node.value
    if kind is _Var:
        try:
            value = values[node.name]
        except KeyError:
            raise FormulaError("unknown_name", column=node.column, name=node.name) from None
        if (
            value is None
            or value.__class__ is bool
            or not isinstance(value, (Decimal, int))
            or (isinstance(value, Decimal) and not value.is_finite())
        ):
            raise FormulaError("not_a_number", column=node.column, name=node.name)
        return value
    if kind is _Unary:
        operand = _as_decimal(_interpret(node.operand, values))
        try:
            if node.op == "-":
                return -operand
            if node.op == "+":
                return +operand
            return operand / _HUNDRED
        except ArithmeticError as exc:
            raise FormulaError("invalid", column=node.column, detail=type(exc).__name__) from None
    if kind is _Binary:
        left, right = _interpret(node.left, values), _interpret(node.right, values)
        return _binary(node, left, right)
    return _call(node, values)


def _binary(node: _Binary, left, right):
    op = node.op
    left, right = _as_decimal(left), _as_decimal(right)
    try:
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            if right == 0:
                raise FormulaError("division_by_zero", column=node.column)
            return left / right
        return {
            "=": left == right,
            "<>": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[op]
    except ArithmeticError as exc:
        raise FormulaError("invalid", column=node.column, detail=type(exc).__name__) from None


def _call(node: _Call, values: Mapping):
    name, args = node.name, node.args
    if name == "IF":
        return _interpret(args[1] if _interpret(args[0], values) else args[2], values)
    if name == "AND":
        return all(_interpret(arg, values) for arg in args)
    if name == "OR":
        return any(_interpret(arg, values) for arg in args)
    evaluated = [_interpret(arg, values) for arg in args]
    if name == "NOT":
        return not evaluated[0]
    if name == "MIN":
        return min(_as_decimal(v) for v in evaluated)
    if name == "MAX":
        return max(_as_decimal(v) for v in evaluated)
    if name == "ABS":
        return abs(_as_decimal(evaluated[0]))
    try:
        _round_digits(evaluated[1])
    except (ArithmeticError, ValueError):
        raise FormulaError("round_digits", column=node.column) from None
    try:
        return _round(evaluated[0], evaluated[1])
    except ArithmeticError as exc:  # more digits than the arithmetic holds
        raise FormulaError("invalid", column=node.column, detail=type(exc).__name__) from None


# ---------------------------------------------------------------------------------- compilation


class _Emitter:
    """Builds the function of a formula from its tree:

        def formula(v, _D=Decimal, _E=TypeError, _k0=Decimal("88"), …):
            _a0 = v["基本工资"]
            …
            if _a0.__class__ is not _D or …:
                raise _E
            return _a0 + (_a1 + _a2) * _a3 / _k0 + …

    Every name is read once, up front, and must be a `Decimal` (anything else, an int, a float, a string,
    raises, and `Formula.evaluate` lets the tree walker say which name is wrong, or compute an int exactly).
    NaN and infinities: arithmetic carries them to the result, which `Formula.evaluate` checks; only a name
    read where such a value could vanish (a comparison, a condition, MIN/MAX, a divisor) is checked here.
    Comparisons and AND/OR/NOT are Python booleans where a condition is wanted and Decimal 1 or 0 where a
    number is, so every value is a Decimal and Python never divides ints into floats.
    """

    _OPS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div}
    _CMP = {"=": ast.Eq, "<>": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE}
    _HELPERS = {"MIN": ("_min", min), "MAX": ("_max", max), "ABS": ("_abs", abs), "ROUND": ("_round", _round)}

    def __init__(self):
        self.defaults: dict[str, object] = {"_D": Decimal, "_E": TypeError}
        self.variables: dict[str, str] = {}  # formula name → local name
        self.checked: dict[str, None] = {}  # local names that must be finite before the expression runs
        self._guard = 0  # > 0 while emitting a part whose non-finite value would not reach the result

    @staticmethod
    def _load(name: str) -> ast.expr:
        return ast.Name(name, ast.Load())

    def _const(self, value: Decimal) -> ast.expr:
        exact = value.as_tuple()  # 1 and 1.0 are equal but print differently: keep each as written
        for key, existing in self.defaults.items():
            if key.startswith("_k") and existing.as_tuple() == exact:
                return self._load(key)
        key = f"_k{sum(1 for k in self.defaults if k.startswith('_k'))}"
        self.defaults[key] = value
        return self._load(key)

    def _variable(self, name: str) -> ast.expr:
        local = self.variables.setdefault(name, f"_a{len(self.variables)}")
        if self._guard:
            self.checked[local] = None
        return self._load(local)

    def _guarded(self, emit, node) -> ast.expr:
        self._guard += 1
        try:
            return emit(node)
        finally:
            self._guard -= 1

    def _bool_as_number(self, test: ast.expr) -> ast.expr:
        return ast.IfExp(test, self._const(_ONE), self._const(_ZERO))

    def value(self, node) -> ast.expr:
        """An expression whose value is the node's, a Decimal."""
        kind = node.__class__
        if kind is _Num:
            return self._const(node.value)
        if kind is _Var:
            return self._variable(node.name)
        if kind is _Unary:
            operand = self.value(node.operand)
            if node.op == "%":
                return ast.BinOp(operand, ast.Div(), self._const(_HUNDRED))
            return ast.UnaryOp(ast.USub() if node.op == "-" else ast.UAdd(), operand)
        if kind is _Binary and node.op in self._OPS:
            left = self.value(node.left)
            right = self._guarded(self.value, node.right) if node.op == "/" else self.value(node.right)  # 1 / ∞ = 0
            return ast.BinOp(left, self._OPS[node.op](), right)
        if kind is _Binary or node.name in ("AND", "OR", "NOT"):
            return self._bool_as_number(self.test(node))
        if node.name in ("MIN", "MAX"):
            args = [self._guarded(self.value, arg) for arg in node.args]
        else:
            args = [self.value(arg) for arg in node.args]
        if node.name == "IF":
            return ast.IfExp(self.test(node.args[0]), args[1], args[2])
        name, function = self._HELPERS[node.name]
        self.defaults.setdefault(name, function)
        return ast.Call(self._load(name), args, [])

    def test(self, node) -> ast.expr:
        """An expression that is true when the node is (a comparison, AND/OR/NOT, or a number other than 0)."""
        kind = node.__class__
        if kind is _Binary and node.op in self._CMP:
            left, right = self._guarded(self.value, node.left), self._guarded(self.value, node.right)
            return ast.Compare(left, [self._CMP[node.op]()], [right])
        if kind is _Call and node.name in ("AND", "OR"):
            tests = [self.test(arg) for arg in node.args]
            if len(tests) == 1:
                return tests[0]
            return ast.BoolOp(ast.And() if node.name == "AND" else ast.Or(), tests)
        if kind is _Call and node.name == "NOT":
            return ast.UnaryOp(ast.Not(), self.test(node.args[0]))
        return self._guarded(self.value, node)  # a number as a condition: true unless 0

    def function(self, tree) -> types.FunctionType:
        body_expr = self.value(tree)  # first: it names the variables and constants
        body: list[ast.stmt] = [
            ast.Assign([ast.Name(local, ast.Store())], ast.Subscript(self._load("v"), ast.Constant(name), ast.Load()))
            for name, local in self.variables.items()
        ]
        if self.variables:
            wrong: list[ast.expr] = [
                ast.Compare(
                    ast.Attribute(self._load(local), "__class__", ast.Load()), [ast.IsNot()], [self._load("_D")]
                )
                for local in self.variables.values()
            ]
            wrong += [
                ast.UnaryOp(ast.Not(), ast.Call(ast.Attribute(self._load(local), "is_finite", ast.Load()), [], []))
                for local in self.checked
            ]
            test = wrong[0] if len(wrong) == 1 else ast.BoolOp(ast.Or(), wrong)
            body.append(ast.If(test, [ast.Raise(self._load("_E"), None)], []))
        body.append(ast.Return(body_expr))
        names = list(self.defaults)
        arguments = ast.arguments(
            posonlyargs=[],
            args=[ast.arg("v")] + [ast.arg(name) for name in names],
            kwonlyargs=[],
            kw_defaults=[],
            defaults=[],
        )
        function_def = ast.FunctionDef("formula", arguments, body, [], None, None, type_params=[])
        module = ast.fix_missing_locations(ast.Module([function_def], type_ignores=[]))
        module_code = compile(module, "<formula>", "exec")
        code = next(const for const in module_code.co_consts if isinstance(const, types.CodeType))
        # No globals and no builtins: the function reaches nothing but its argument and its defaults. The tree
        # only ever holds our own nodes: names become string keys of `v`, numbers Decimal defaults.
        return types.FunctionType(code, {"__builtins__": {}}, "formula", tuple(self.defaults[n] for n in names))


def _build_function(tree) -> types.FunctionType:
    return _Emitter().function(tree)


def _children(node) -> tuple:
    kind = node.__class__
    if kind is _Unary:
        return (node.operand,)
    if kind is _Binary:
        return (node.left, node.right)
    if kind is _Call:
        return node.args
    return ()


def _depth(tree) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in _children(node))
    return deepest


def _collect_names(tree) -> dict[str, int]:
    """Each name the tree reads, with the column where it is first read (left to right)."""
    found: dict[str, int] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        if node.__class__ is _Var:
            found.setdefault(node.name, node.column)
        stack.extend(reversed(_children(node)))
    return found


class Formula:
    """A compiled formula. `names` are the names it reads; `evaluate(values)` computes it in `Decimal`."""

    __slots__ = ("_first_columns", "_function", "_tree", "names", "text")

    def __init__(self, text: str, tree):
        self.text = text
        self._tree = tree
        self._first_columns = _collect_names(tree)
        self.names = frozenset(self._first_columns)
        self._function = _build_function(tree)

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def evaluate(self, values: Mapping[str, Decimal]) -> Decimal:
        """The formula's value for these inputs (not rounded: a policy sheet rounds each line)."""
        try:
            result = self._function(values)
            if result.is_finite():
                return result
        except (KeyError, ArithmeticError, TypeError, ValueError):
            pass
        # A missing name, a value that is not a Decimal, a division by zero …: the tree walker computes the
        # exact value (a missing name in an IF branch not taken, an int) or raises the error naming the column.
        return _as_decimal(_interpret(self._tree, values))


def compile_formula(text: str) -> Formula:
    """Parse and compile one formula; a `FormulaError` says what is wrong and where."""
    if not isinstance(text, str):
        raise FormulaError("empty")
    try:
        tree = _Parser(_tokenize(text)).parse()
        if _depth(tree) > MAX_DEPTH:
            raise FormulaError("too_complex", depth=MAX_DEPTH)
        return Formula(text, tree)
    except RecursionError:
        raise FormulaError("too_complex", depth=MAX_DEPTH) from None
