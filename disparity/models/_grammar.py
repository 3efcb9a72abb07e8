"""The formula grammar for untrusted text (analysis files, report specs), and the pre-evaluation
check of formulas written in Python code.

Untrusted formulas are *parsed* by the small grammar below, never handed to an evaluator as
written. The parse tree holds only data columns, numbers, formula operators and calls of an
allowlist of transforms; it is rendered back into a formula string in which every column is a
validated name (backquoted or ``Q('...')`` when it is not a plain identifier), and only that
string reaches formulaic. Grammar (``^`` and ``**`` are the same operator)::

    formula  := [sum] "~" sum
    sum      := ["-"] prod (("+" | "-") prod)*
    prod     := inter (("*" | "/") inter)*
    inter    := power (":" power)*
    power    := atom [("^" | "**") INT]             INT in 1..3 (interaction order)
    atom     := "(" sum ")" | "0" | "1" | column | call | "[" sum "~" sum "]"  (IV block)
    call     := "C(" column ")" | "lag(" column ["," INT] ")" | "I(" arith ")" | FN "(" arith ")"
    arith    := aprod (("+" | "-") aprod)*
    aprod    := unary (("*" | "/") unary)*
    unary    := ("-" | "+") unary | apower
    apower   := aatom [("**" | "^") exponent]        exponent: column or integer -3..3
    aatom    := NUMBER | column | "(" arith ")" | FN "(" arith ")" | "I(" arith ")"
    column   := NAME | "`" any text "`" | "Q(" STRING ")"     (must be a column of the data)

A power's base may not contain another power, so numeric constants stay small (no
``9 ** 9 ** 9``); length, nesting depth and the number of expanded terms are bounded.

Formulas from Python code (trusted callers) may use all of formulaic, but :func:`python_names`
checks them *before* anything is evaluated: their Python parts are read with :mod:`ast`, and
only data columns, formulaic's transforms, our transforms, ``np.<pure function>`` and a few
pure built-ins may appear; no dunder attributes, lambdas, comprehensions or I/O.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NoReturn

import numpy as np

from ..errors import SpecificationError

__all__ = ["Node", "parse_safe", "render", "quote_name", "python_names", "expression_names", "SAFE_FUNCTIONS",
           "MAX_POWER"]

#: Transforms a formula from an analysis file may call (``Q`` quotes a column name).
SAFE_FUNCTIONS: frozenset[str] = frozenset(
    {"log", "log1p", "exp", "sqrt", "abs", "C", "I", "Q", "standardize", "standardise", "center",
     "scale", "lag"}
)
_ARITH_FUNCTIONS = frozenset({"log", "log1p", "exp", "sqrt", "abs", "standardize", "standardise", "center",
                              "scale", "I"})
#: Largest exponent (literal power inside ``I()``, or interaction order) an untrusted formula may use.
MAX_POWER = 3
MAX_LENGTH = 5000
MAX_DEPTH = 40
MAX_TERMS = 2000

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<quoted>`[^`]*`)
      | (?P<string>'(?:[^'\\\n]|\\[^\n])*'|"(?:[^"\\\n]|\\[^\n])*")
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>[^\W\d]\w*)
      | (?P<op>\*\*|[-+*/:^(),~\[\]])
    )""",
    re.VERBOSE,
)


_BARE = re.compile(r"[^\W\d]\w*")
_NUMBERISH = re.compile(r"[0-9]+(?:\.[0-9]*)?")  # backquoted, formulaic may read these as literals (`1`)


@dataclass(frozen=True)
class Node:
    """One node of a parsed formula: ``kind`` is one of formula, col, num, call, op, neg, group, iv."""

    kind: str
    value: str = ""
    children: tuple[Node, ...] = ()


def _allowed_text() -> str:
    return (f"column names (`any name` in backquotes), numbers, + - * / : ^ ( ) ~ and the transforms "
            f"{', '.join(sorted(SAFE_FUNCTIONS))}")


class _Parser:
    def __init__(self, text: str, columns: set[str], *, allow_iv: bool) -> None:
        self.text = text
        self.columns = columns
        self.allow_iv = allow_iv
        self.iv_blocks = 0
        self.depth = 0
        self.toks: list[tuple[str, str, int]] = []
        pos = 0
        stripped = text.rstrip()
        while pos < len(stripped):
            m = _TOKEN.match(stripped, pos)
            if m is None or m.end() == pos:
                self.fail(f"unexpected text {stripped[pos:].lstrip()[:20]!r}")
            kind = m.lastgroup or ""
            self.toks.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0

    # -- helpers
    def fail(self, what: str) -> NoReturn:
        raise SpecificationError(
            f"Formula {self.text!r} is not allowed from an analysis file: {what}. Only "
            f"{_allowed_text()} may be used."
        )

    def peek(self, k: int = 0) -> tuple[str, str]:
        j = self.i + k
        if j < len(self.toks):
            return self.toks[j][0], self.toks[j][1]
        return "end", ""

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok[0] == "end":
            self.fail("it ends too early")
        self.i += 1
        return tok

    def expect(self, op: str) -> None:
        kind, tok = self.take()
        if tok != op or kind != "op":
            self.fail(f"expected {op!r}, found {tok!r}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"brackets are nested more than {MAX_DEPTH} deep")

    # -- formula level
    def formula(self) -> Node:
        lhs = None
        if self.peek() != ("op", "~"):
            lhs = self.sum()
        if self.peek() != ("op", "~"):
            self.fail("it needs one '~' between the outcome and the regressors" if self.peek()[0] == "end"
                      else f"unexpected text {self.peek()[1]!r}")
        self.take()
        rhs = self.sum(top=True)
        if self.peek()[0] != "end":
            self.fail(f"unexpected text {self.peek()[1]!r}")
        return Node("formula", "two" if lhs is not None else "one", ((lhs,) if lhs is not None else ()) + (rhs,))

    def terms(self) -> Node:
        out = self.sum()
        if self.peek()[0] != "end":
            self.fail(f"unexpected text {self.peek()[1]!r}")
        return out

    def sum(self, top: bool = False) -> Node:
        if self.peek() == ("op", "-"):  # "-1" / "- 0": remove the intercept
            self.take()
            kind, tok = self.take()
            if kind != "number" or tok not in ("0", "1"):
                self.fail("a leading '-' may only remove the intercept ('- 1')")
            node = Node("neg", "", (Node("num", tok),))
        else:
            node = self.prod(top)
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            node = Node("op", op, (node, self.prod(top)))
        return node

    def prod(self, top: bool) -> Node:
        node = self.inter(top)
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            node = Node("op", op, (node, self.inter(top)))
        return node

    def inter(self, top: bool) -> Node:
        node = self.fpower(top)
        while self.peek() == ("op", ":"):
            self.take()
            node = Node("op", ":", (node, self.fpower(top)))
        return node

    def fpower(self, top: bool) -> Node:
        node = self.fatom(top)
        if self.peek() in (("op", "^"), ("op", "**")):
            self.take()
            kind, tok = self.take()
            if kind != "number" or not tok.isdigit() or not 1 <= int(tok) <= MAX_POWER:
                self.fail(f"exponents must be whole numbers from 1 to {MAX_POWER} (found {tok!r})")
            node = Node("op", "**", (node, Node("num", tok)))
            if self.peek() in (("op", "^"), ("op", "**")):
                self.fail("powers cannot be chained")
        return node

    def fatom(self, top: bool) -> Node:
        kind, tok = self.peek()
        if (kind, tok) == ("op", "("):
            self.take()
            self.enter()
            inner = self.sum()
            self.expect(")")
            self.depth -= 1
            return Node("group", "", (inner,))
        if (kind, tok) == ("op", "[") and self.allow_iv and top:
            self.take()
            self.iv_blocks += 1
            if self.iv_blocks > 1:
                self.fail("an IV formula has exactly one [endogenous ~ instruments] block")
            endog = self.sum()
            self.expect("~")
            instr = self.sum()
            self.expect("]")
            return Node("iv", "", (endog, instr))
        if kind == "number":
            self.take()
            if tok not in ("0", "1"):
                self.fail(f"the number {tok} stands alone; numbers belong inside I(), e.g. I(x / {tok})")
            return Node("num", tok)
        if kind == "name" and self.peek(1) == ("op", "("):
            return self.call(top_level=True)
        if kind in ("name", "quoted"):
            return self.column()
        self.fail(f"unexpected text {tok!r}" if tok else "it ends too early")

    def column(self) -> Node:
        kind, tok = self.take()
        if kind == "name" and tok == "Q" and self.peek() == ("op", "("):
            self.take()
            skind, s = self.take()
            if skind != "string":
                self.fail("Q() takes one quoted column name, e.g. Q('acs.46')")
            self.expect(")")
            try:  # a string literal only (the token pattern admits nothing else): read, not run
                name = ast.literal_eval(s)
            except (ValueError, SyntaxError):
                self.fail(f"{s} is not a valid quoted name")
            if not isinstance(name, str):
                self.fail("Q() takes one quoted column name")
        elif kind == "quoted":
            name = tok[1:-1]
        elif kind == "name":
            if keyword.iskeyword(tok):
                self.fail(f"{tok!r} is a Python keyword; write a column of that name in backquotes")
            name = tok
        else:
            self.fail(f"expected a column name, found {tok!r}")
        if name not in self.columns:
            raise SpecificationError(
                f"Formula {self.text!r} uses {name!r}, which is not a column of the data. Check the "
                "spelling, or write a name with spaces or dots in backquotes (`acs.46`)."
            )
        return Node("col", name)

    def call(self, top_level: bool) -> Node:
        _, fn = self.take()
        if fn == "Q":
            self.i -= 1
            return self.column()
        if fn not in SAFE_FUNCTIONS:
            self.fail(f"it calls {fn}(), which is not allowed (not one of the transforms)")
        if not top_level and fn not in _ARITH_FUNCTIONS:
            self.fail(f"{fn}() may only be used as a term of its own, not inside an expression")
        self.expect("(")
        self.enter()
        if fn == "C":
            args: tuple[Node, ...] = (self.column(),)
        elif fn == "lag":
            col = self.column()
            args = (col,)
            if self.peek() == ("op", ","):
                self.take()
                kind, tok = self.take()
                if kind != "number" or not tok.isdigit() or not 1 <= int(tok) <= 100:
                    self.fail("lag() takes a column and a lag from 1 to 100, e.g. lag(x, 1)")
                args = (col, Node("num", tok))
        else:
            args = (self.arith(),)
        self.expect(")")
        self.depth -= 1
        return Node("call", fn, args)

    # -- arithmetic inside I() and transforms
    def arith(self) -> Node:
        node = self.aprod()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            node = Node("op", op, (node, self.aprod()))
        return node

    def aprod(self) -> Node:
        node = self.unary()
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            node = Node("op", op, (node, self.unary()))
        return node

    def unary(self) -> Node:
        if self.peek() in (("op", "-"), ("op", "+")):
            op = self.take()[1]
            self.enter()
            inner = self.unary()
            self.depth -= 1
            return Node("neg", op, (inner,))
        return self.apower()

    def apower(self) -> Node:
        base = self.aatom()
        if self.peek() not in (("op", "^"), ("op", "**")):
            return base
        self.take()
        if _contains_power(base):
            self.fail("a power's base cannot contain another power; write one power, e.g. I(x ** 3)")
        sign = ""
        if self.peek() in (("op", "-"), ("op", "+")):
            sign = self.take()[1]
        kind, tok = self.peek()
        if kind == "number":
            self.take()
            if not tok.isdigit() or int(tok) > MAX_POWER:
                self.fail(f"exponents must be whole numbers from -{MAX_POWER} to {MAX_POWER} or a column "
                          f"(found {sign}{tok})")
            exp = Node("num", tok)
        elif kind in ("name", "quoted") and self.peek(1) != ("op", "("):
            exp = self.column()
        else:
            self.fail(f"exponents must be whole numbers from -{MAX_POWER} to {MAX_POWER} or a column, "
                      "not an expression")
        if sign == "-":
            exp = Node("neg", "-", (exp,))
        if self.peek() in (("op", "^"), ("op", "**")):
            self.fail("exponents cannot be chained (x ** 2 ** 2); write one power")
        return Node("op", "**", (base, exp))

    def aatom(self) -> Node:
        kind, tok = self.peek()
        if (kind, tok) == ("op", "("):
            self.take()
            self.enter()
            inner = self.arith()
            self.expect(")")
            self.depth -= 1
            return Node("group", "", (inner,))
        if kind == "number":
            self.take()
            return Node("num", tok)
        if kind == "name" and self.peek(1) == ("op", "("):
            return self.call(top_level=False)
        if kind in ("name", "quoted"):
            return self.column()
        self.fail(f"unexpected text {tok!r}" if tok else "it ends too early")


def _contains_power(node: Node) -> bool:
    if node.kind == "op" and node.value == "**":
        return True
    return any(_contains_power(c) for c in node.children)


def _term_bound(node: Node) -> int:
    """An upper bound on the number of terms a formula-level expression expands to."""
    if node.kind in ("col", "num", "call"):
        return 1
    if node.kind in ("group", "neg"):
        return _term_bound(node.children[0])
    if node.kind == "iv":
        return _term_bound(node.children[0]) + _term_bound(node.children[1])
    a, b = (_term_bound(c) for c in node.children)
    if node.value in ("+", "-"):
        return a + b
    if node.value == ":":
        return a * b
    if node.value in ("*", "/"):
        return a + b + a * b
    k = int(node.children[1].value)  # "**"
    return sum(math.comb(a, j) for j in range(1, k + 1)) if a < 10_000 else a**k


def parse_safe(formula: str, columns: Iterable[str], *, allow_iv: bool = False, one_sided: bool = False) -> Node:
    """Parse an untrusted formula (or, with ``one_sided``, a list of terms) into a :class:`Node` tree.

    Raises
    ------
    SpecificationError
        Naming what is not allowed, or the name that is not a column.
    """
    if not isinstance(formula, str):
        raise SpecificationError(f"A formula must be a string, got {type(formula).__name__}.")
    if len(formula) > MAX_LENGTH:
        raise SpecificationError(f"Formula of {len(formula):,} characters is too long (at most {MAX_LENGTH:,}).")
    p = _Parser(formula, set(map(str, columns)), allow_iv=allow_iv)
    tree = p.terms() if one_sided else p.formula()
    rhs = tree.children[-1] if tree.kind == "formula" else tree
    if _term_bound(rhs) > MAX_TERMS:
        raise SpecificationError(
            f"Formula {formula!r} expands to more than {MAX_TERMS:,} terms; write fewer interactions."
        )
    return tree


def quote_name(name: str) -> str:
    """A column name as formula text: bare when it is a plain identifier, else quoted.

    Examples
    --------
    >>> quote_name("income"), quote_name("acs.46"), quote_name("年龄")
    ('income', '`acs.46`', '年龄')
    """
    name = str(name)
    if (_BARE.fullmatch(name) and name.isidentifier() and unicodedata.normalize("NFKC", name) == name
            and not keyword.iskeyword(name) and name not in SAFE_FUNCTIONS):
        return name  # Python would read it as this very name (NFKC-stable identifier)
    if "`" in name or name.endswith("\\"):
        # formulaic's tokenizer cannot read a backquote even inside Q("..."), and reads a final
        # backslash as escaping the closing backquote
        raise SpecificationError(
            f"Column {name!r} contains a backquote or ends with a backslash, which no formula can name; "
            "rename the column (e.g. df.rename(columns={...}))."
        )
    if _NUMBERISH.fullmatch(name) or name.strip() == ".":
        # formulaic reads a backquoted number as a literal (`1` is 1) and a backquoted "." as its
        # "all other columns" operator
        return f"Q({name!r})"
    return f"`{name}`"


def render(node: Node) -> str:
    """Formula text of a parse tree (only validated names, numbers and allowlisted calls)."""
    k = node.kind
    if k == "formula":
        parts = [render(c) for c in node.children]
        return f"{parts[0]} ~ {parts[1]}" if node.value == "two" else f"~ {parts[0]}"
    if k == "col":
        return quote_name(node.value)
    if k == "num":
        return node.value
    if k == "group":
        return f"({render(node.children[0])})"
    if k == "neg":
        return f"{node.value or '-'}{render(node.children[0])}" if node.value else f"- {render(node.children[0])}"
    if k == "iv":
        return f"[{render(node.children[0])} ~ {render(node.children[1])}]"
    if k == "call":
        return f"{node.value}({', '.join(render(c) for c in node.children)})"
    a, b = (render(c) for c in node.children)
    return f"{a}{node.value}{b}" if node.value == ":" else f"{a} {node.value} {b}"


# --------------------------------------------------------------------------- Python-side formulas

#: Built-ins a Python-side formula may call (pure, bounded).
SAFE_BUILTINS = frozenset({"abs", "min", "max", "round", "float", "int", "bool", "str", "len", "sum"})
#: numpy functions besides ufuncs a Python-side formula may use.
_NUMPY_PURE = frozenset({"where", "clip", "round", "around", "nan_to_num", "pi", "e", "nan", "inf", "float64",
                         "int64", "mean", "median", "std", "var", "percentile", "quantile", "digitize", "cumsum",
                         "diff", "select", "isin", "log", "exp", "sqrt", "abs", "asarray", "array"})
#: Attributes of data columns a Python-side formula may use (pure pandas accessors and methods).
_SERIES_PURE = frozenset({"astype", "abs", "round", "clip", "rank", "mean", "median", "std", "var", "sum", "min",
                          "max", "fillna", "isna", "notna", "shift", "diff", "cumsum", "pct_change", "between",
                          "isin", "where", "mask", "cat", "codes", "dt", "year", "month", "day", "values",
                          "eq", "ne", "lt", "le", "gt", "ge", "map"})
_FORBIDDEN_NODES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr,
                    ast.Await, ast.Yield, ast.YieldFrom, ast.JoinedStr, ast.FormattedValue, ast.Starred)
# string literals (left alone) or backquoted names (replaced by placeholders before ast.parse)
_QUOTED = re.compile(r"""("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|`([^`]*)`""")
#: Largest constant (in decimal digits) a Python-side formula may compute: beyond a float's range it cannot be data.
MAX_CONSTANT_DIGITS = 308


def _numpy_ok(attr: str) -> bool:
    return attr in _NUMPY_PURE or isinstance(getattr(np, attr, None), np.ufunc)


def _fold(node: ast.AST) -> float | None:
    """The value of a small numeric constant expression, computed without eval (None otherwise)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _fold(node.operand)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp):
        a, b = _fold(node.left), _fold(node.right)
        if a is None or b is None or max(abs(a), abs(b)) > 1e6:
            return None
        ops = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}
        return ops.get(type(node.op))
    return None


def _magnitude(node: ast.AST) -> float | None:
    """An upper bound on log10 of a constant numeric subexpression (None if it involves names)."""
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, int | float):
            return None
        return math.log10(abs(v)) if abs(v) > 1 else 0.0
    if isinstance(node, ast.UnaryOp):
        return _magnitude(node.operand)
    if isinstance(node, ast.BinOp):
        a, b = _magnitude(node.left), _magnitude(node.right)
        if a is None or b is None:
            return None
        if isinstance(node.op, ast.Pow):
            e = _fold(node.right)
            return math.inf if e is None else a * abs(e)
        if isinstance(node.op, ast.Mult):
            return a + b
        return max(a, b) + 1
    return None


def _check_python_expr(formula: str, expr: str, names: set[str], columns: set[str] | None,
                       functions: set[str]) -> None:
    aliases: dict[str, str] = {}

    def sub(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return m.group(1)
        alias = f"__dp_q{len(aliases)}__"
        aliases[alias] = m.group(2)
        return f" {alias} "

    code = _QUOTED.sub(sub, expr)
    try:
        tree = ast.parse(code.strip(), mode="eval")
    except (SyntaxError, ValueError):
        raise SpecificationError(f"Formula {formula!r}: {expr!r} is not a valid expression.") from None

    def bad(what: str) -> SpecificationError:
        return SpecificationError(
            f"Formula {formula!r}: {what} is not allowed in a formula (nothing was evaluated). Formulas may "
            "use data columns, numbers, operators, formulaic's transforms (C, I, center, scale, poly, ...), "
            "log/exp/sqrt/abs, np.<math function> and simple column methods; compute anything else as a "
            "column first."
        )

    modules = {"np", "numpy", "contr"}
    for node in ast.walk(tree):
        if isinstance(node, _FORBIDDEN_NODES):
            raise bad(type(node).__name__.lower())
        if isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                raise bad(f"the attribute {node.attr!r}")
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("np", "numpy") and (columns is None or base.id not in columns):
                if not _numpy_ok(node.attr):
                    raise bad(f"np.{node.attr}")
            elif isinstance(base, ast.Name) and base.id == "contr":
                continue
            elif node.attr not in _SERIES_PURE:
                raise bad(f"the attribute or method .{node.attr}")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.LShift):
            raise bad("'<<'")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            m = _magnitude(node)
            if m is not None and m > MAX_CONSTANT_DIGITS:
                raise bad("a constant this large (a power of a power)")
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    for n in ast.walk(tree):  # Q("acs.46") names a column
        if (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "Q" and n.args
                and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)):
            names.add(n.args[0].value)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Name):
            continue
        name = aliases.get(node.id, node.id)
        if node.id in aliases:
            names.add(name)
        elif columns is not None and name in columns and name not in called:
            names.add(name)
        elif name in functions or name in modules:
            continue
        elif name in SAFE_BUILTINS and name in called:
            continue
        elif name in called:
            raise bad(f"calling {name}()")
        elif name in _PY_BUILTIN_NAMES:
            raise bad(f"the built-in {name!r}")
        else:
            names.add(name)


_PY_BUILTIN_NAMES = frozenset(dir(builtins))


def expression_names(formula: str, expr: str, columns: Iterable[str] | None, functions: Iterable[str]) -> set[str]:
    """The columns one Python expression of ``formula`` uses (checked as in :func:`python_names`)."""
    names: set[str] = set()
    _check_python_expr(formula, expr, names, set(map(str, columns)) if columns is not None else None,
                       set(functions))
    return names


def python_names(formula: str, columns: Iterable[str] | None, functions: Iterable[str]) -> set[str]:
    """The data columns a Python-side formula uses, checked without evaluating anything.

    ``functions`` are the names the evaluation context provides (transforms). Raises
    :class:`SpecificationError` for anything that is not a column, a number, an operator, a
    transform, a pure numpy function or a pure column method.
    """
    from formulaic import Formula

    if not isinstance(formula, str):
        raise SpecificationError(f"A formula must be a string, got {type(formula).__name__}.")
    if len(formula) > 20 * MAX_LENGTH:
        raise SpecificationError(f"Formula of {len(formula):,} characters is too long.")
    try:
        parsed = Formula(formula)  # parsing only: formulaic evaluates nothing here
    except RecursionError:
        raise SpecificationError(f"Formula {formula[:60]!r}... is nested too deeply.") from None
    except Exception as exc:  # noqa: BLE001 - formulaic raises several types for bad syntax
        raise SpecificationError(f"Could not parse formula {formula!r}: {exc}") from None
    cols = set(map(str, columns)) if columns is not None else None
    funcs = set(functions)
    names: set[str] = set()
    from formulaic.formula import SimpleFormula

    simple = [parsed] if isinstance(parsed, SimpleFormula) else list(parsed._flatten())
    for part in simple:
        for term in part:
            for factor in term.factors:
                method = str(getattr(factor.eval_method, "value", factor.eval_method))
                if method == "lookup":
                    names.add(str(factor.expr))
                elif method == "python":
                    try:
                        _check_python_expr(formula, str(factor.expr), names, cols, funcs)
                    except (RecursionError, MemoryError):
                        raise SpecificationError(f"Formula {formula[:60]!r}... is nested too deeply.") from None
    return names
