"""Expression nodes as generated code, for the kernels of :mod:`._fused`.

Each node of a feature expression becomes a value and a validity flag in the kernel's
source (:class:`_Val`); :class:`_Body` writes the statements computing the nodes of the
current row (or, in the post stage, of the current application's aggregates), each
distinct node once, following the null rules of :mod:`._expr`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from thinfile_credit.features._expr import AGG_KINDS, Expr, Unsupported

if TYPE_CHECKING:
    from thinfile_credit.features._fused_codegen import _Generator

__all__: list[str] = []


@dataclass(frozen=True)
class _Column:
    name: str
    kind: str  # "i" integer (times too), "f" float, "b" boolean, "c" categorical code
    nullable: bool


_CMP = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
_ARITH = {"add": "+", "sub": "-", "mul": "*"}


@dataclass(frozen=True)
class _Val:
    """A generated node: value code, validity code, type ("i", "f", "b", "c:<column>",
    "n" for a null literal, "s" for a text literal)."""

    v: str
    ok: str
    typ: str


class _Body:
    """Lines computing expression nodes for the current row ``r``, each node once."""

    def __init__(
        self, gen: _Generator, indent: str, in_over: bool = False, post: bool = False
    ) -> None:
        self.gen = gen
        self.indent = indent
        self.in_over = in_over
        self.post = post  # the post stage: aggregates are leaves, columns are not
        self.lines: list[str] = []
        self.memo: dict[str, _Val] = {}

    def emit(self, v: str, ok: str, typ: str) -> _Val:
        n = self.gen.fresh()
        self.lines.append(f"{self.indent}v{n} = {v}")
        if ok in ("True", "False"):
            return _Val(f"v{n}", ok, typ)
        self.lines.append(f"{self.indent}ok{n} = {ok}")
        return _Val(f"v{n}", f"ok{n}", typ)

    def node(self, e: Expr) -> _Val:
        if e.key not in self.memo:
            self.memo[e.key] = self._node(e)
        return self.memo[e.key]

    def _node(self, e: Expr) -> _Val:
        op, a = e.op, e.args
        if op == "col":
            if self.post and a[0] != "_t":
                raise Unsupported(f"column {a[0]} after aggregation")
            return self._column(a[0])
        if op == "agg":
            if not self.post or e.key not in self.gen.agg_vars:
                raise Unsupported(f"aggregate {e.key}")
            j = self.gen.agg_vars[e.key]
            # the post stage reads an aggregate's NaN as null, then an empty sum, count
            # or distinct count as its empty value
            empty = AGG_KINDS[a[0]]
            if empty is None:
                return _Val(f"a{j}", f"(a{j} == a{j})", "f")
            return self.emit(f"a{j} if a{j} == a{j} else {float(empty)!r}", "True", "f")
        if op == "lit":
            return _literal(a[0])
        if op in ("and", "or"):
            return self._logic(op, self.node(a[0]), self.node(a[1]))
        if op in _CMP:
            return self._compare(op, a[0], a[1])
        if op in _ARITH:
            x, y = self._numbers(a[0], a[1])
            typ = "i" if x.typ == y.typ == "i" else "f"
            return self.emit(f"{_as(x, typ)} {_ARITH[op]} {_as(y, typ)}", _both(x.ok, y.ok), typ)
        if op == "div":
            x, y = self._numbers(a[0], a[1])
            if a[1].op == "lit" and a[1].args[0] != 0:
                return self.emit(f"{_as(x, 'f')} / {_as(y, 'f')}", x.ok, "f")
            ok = _both(_both(x.ok, y.ok), f"({y.v} != 0)")
            return self.emit(f"{_as(x, 'f')} / {_as(y, 'f')} if {y.v} != 0 else 0.0", ok, "f")
        if op in ("floordiv", "mod"):
            x, y = self._numbers(a[0], a[1])
            divisor = a[1].args[0] if a[1].op == "lit" else None
            if not (x.typ == "i" and isinstance(divisor, int) and divisor != 0):
                raise Unsupported(f"{op} of {e.key}")
            sym = "//" if op == "floordiv" else "%"
            return self.emit(f"{x.v} {sym} {divisor}", x.ok, "i")
        if op == "not":
            x = self._bool(self.node(a[0]))
            return self.emit(f"not ({_both(x.ok, x.v)})", "True", "b")
        if op == "is_null":
            x = self.node(a[0])
            return self.emit(f"not ({x.ok})", "True", "b")
        if op == "is_in":
            return self._is_in(self.node(a[0]), a[1])
        if op == "float":
            x = self.node(a[0])
            if x.typ == "b":
                return self.emit(f"1.0 if {x.v} else 0.0", x.ok, "f")
            if x.typ in ("i", "f"):
                return self.emit(f"np.float64({x.v})", x.ok, "f")
            raise Unsupported(f"float of {x.typ}")
        if op == "when":
            return self._when(self._bool(self.node(a[0])), self.node(a[1]), self.node(a[2]))
        if op == "log":
            x = self.node(a[0])
            if x.typ not in ("i", "f"):
                raise Unsupported("log of a non-number")
            # written inline, not as a statement: inside a ``when`` it is computed only
            # for the rows the condition keeps (a logarithm costs more than a row read)
            return _Val(f"np.log(np.float64({x.v}))", x.ok, "f")
        if op == "over":
            if self.in_over:
                raise Unsupported("over inside over")
            return self.gen.over_value(e)
        raise Unsupported(op)

    def _column(self, name: str) -> _Val:
        if name == "_t":
            return _Val("t", "True", "i")
        col = self.gen.column(name)
        j = self.gen.columns.index(col)
        ok = f"P[r].k{j}" if col.nullable else "True"
        typ = f"c:{name}" if col.kind == "c" else col.kind
        return self.emit(f"P[r].f{j}", ok, typ)

    def _numbers(self, x_e: Any, y_e: Any) -> tuple[_Val, _Val]:
        x, y = self.node(x_e), self.node(y_e)
        for v in (x, y):
            if v.typ not in ("i", "f"):
                raise Unsupported(f"arithmetic on {v.typ}")
        return x, y

    def _bool(self, x: _Val) -> _Val:
        if x.typ == "n":
            return _Val("False", "False", "b")
        if x.typ != "b":
            raise Unsupported(f"a condition of type {x.typ}")
        return x

    def _logic(self, op: str, x: _Val, y: _Val) -> _Val:
        x, y = self._bool(x), self._bool(y)
        if x.ok == y.ok == "True":
            return self.emit(f"{x.v} {op} {y.v}", "True", "b")
        if op == "and":
            decided = f"(({x.ok}) and not {x.v}) or (({y.ok}) and not {y.v})"
            value = f"not ({decided})"
        else:
            decided = f"(({x.ok}) and {x.v}) or (({y.ok}) and {y.v})"
            value = f"({decided})"
        ok = f"({decided}) or (({x.ok}) and ({y.ok}))"
        return self.emit(value, ok, "b")

    def _compare(self, op: str, x_e: Any, y_e: Any) -> _Val:
        x, y = self.node(x_e), self.node(y_e)
        if x.typ == "s" and y.typ.startswith("c:"):
            x, y = y, x
            op = {"lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}.get(op, op)
        if x.typ.startswith("c:") and y.typ == "s" and op in ("eq", "ne"):
            slot = self.gen.literal(x.typ[2:], y.v)
            return self.emit(f"{x.v} {_CMP[op]} L[{slot}]", x.ok, "b")
        if x.typ not in ("i", "f") or y.typ not in ("i", "f"):
            raise Unsupported(f"comparison of {x.typ} and {y.typ}")
        ok = _both(x.ok, y.ok)
        if x.typ == y.typ == "i":
            return self.emit(f"{x.v} {_CMP[op]} {y.v}", ok, "b")
        a, b = _as(x, "f"), _as(y, "f")
        code = {
            "lt": f"_fk.f_lt({a}, {b})",
            "le": f"_fk.f_le({a}, {b})",
            "gt": f"_fk.f_lt({b}, {a})",
            "ge": f"_fk.f_le({b}, {a})",
            "eq": f"_fk.f_eq({a}, {b})",
            "ne": f"not _fk.f_eq({a}, {b})",
        }[op]
        return self.emit(code, ok, "b")

    def _is_in(self, x: _Val, values: tuple[Any, ...]) -> _Val:
        if x.typ.startswith("c:") and all(isinstance(v, str) for v in values):
            slots = [self.gen.literal(x.typ[2:], v) for v in values]
            tests = " or ".join(f"{x.v} == L[{s}]" for s in slots) or "False"
        elif x.typ == "i" and all(type(v) is int for v in values):
            tests = " or ".join(f"{x.v} == {v}" for v in values) or "False"
        else:
            raise Unsupported(f"is_in on {x.typ}")
        return self.emit(f"({tests})", x.ok, "b")

    def _when(self, cond: _Val, then: _Val, other: _Val) -> _Val:
        typ = _common(then.typ, other.typ)
        c = _both(cond.ok, cond.v)
        v = f"{_as(then, typ)} if {c} else {_as(other, typ)}"
        return self.emit(v, f"({then.ok}) if {c} else ({other.ok})", typ)


def _literal(value: Any) -> _Val:
    if value is None:
        return _Val("0", "False", "n")
    if isinstance(value, bool):
        return _Val(repr(value), "True", "b")
    if isinstance(value, int):
        return _Val(repr(value), "True", "i")
    if isinstance(value, float):
        if value != value:
            return _Val("np.nan", "True", "f")
        if value in (float("inf"), -float("inf")):
            return _Val("np.inf" if value > 0 else "-np.inf", "True", "f")
        return _Val(f"np.float64({value!r})", "True", "f")
    if isinstance(value, str):
        return _Val(value, "True", "s")
    raise Unsupported(f"literal {value!r}")


def _common(a: str, b: str) -> str:
    if a == "n":
        return b if b != "n" else "f"
    if b == "n" or a == b:
        return a
    if {a, b} == {"i", "f"}:
        return "f"
    raise Unsupported(f"when of {a} and {b}")


def _as(x: _Val, typ: str) -> str:
    """The value of ``x`` as ``typ`` (a null literal's placeholder of that type)."""
    if x.typ == "n":
        return {"f": "np.nan", "b": "False"}.get(typ, "0")
    if typ == "f" and x.typ != "f":
        return f"np.float64({x.v})"
    return x.v


def _number(x: _Val) -> tuple[str, str]:
    """``x`` as a float (a boolean as 1.0/0.0) and when it counts as a present value:
    valid, and for a float not NaN (how the reductions read a value)."""
    if x.typ not in ("i", "f", "b", "n") and not x.typ.startswith("c:"):
        raise Unsupported(f"a number from {x.typ}")
    if x.typ == "b":
        return f"(1.0 if {x.v} else 0.0)", x.ok
    present = _both(x.ok, f"({x.v} == {x.v})") if x.typ == "f" else x.ok
    return _as(x, "f") if x.typ == "n" else f"np.float64({x.v})", present


def _both(a: str, b: str) -> str:
    if a == "True":
        return b
    if b == "True":
        return a
    if "False" in (a, b):
        return "False"
    return f"({a} and {b})"
