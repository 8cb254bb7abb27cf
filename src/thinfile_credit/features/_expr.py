"""A tiny feature-expression language: one definition, three engines.

Every feature is written once as an :class:`Expr` tree. The tree compiles to a narwhals
expression (which runs lazily on Polars, DuckDB and PySpark) for batch work, and is
evaluated directly with NumPy for a single applicant online. Keeping the language small
is what makes "the online number equals the batch number" checkable: each node has one
documented meaning, including what happens to nulls and to empty groups.

Two stages exist:

* **row level** - columns of one *source* (a point-in-time cut of an event table joined
  to applications, see :mod:`thinfile_credit.features.pit`): arithmetic, comparisons,
  ``when``, ``over`` (a sum/max over the rows of the same application, optionally per
  extra partition columns);
* **aggregate** - :func:`agg` reduces a row-level expression over the rows of one
  application in one source; arithmetic on aggregates (the *post* stage) builds the
  final feature. ``_t`` (the application moment) is available in both stages.

Null rules shared by every engine: arithmetic with null is null; a comparison with null
is false inside ``when``/masks; ``a / b`` is null when ``b`` is 0 or null; ``sum``,
``count`` and ``nunique`` of nothing are 0; ``mean``, ``min``, ``max``, ``std``
(``ddof=1``) and ``median`` of nothing are null (NaN in the output).

Examples
--------
>>> e = (col("amount") * 2).key
>>> e
'mul(col(amount),lit(2))'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

__all__ = [
    "AGG_KINDS",
    "DAY_US",
    "HOUR_US",
    "Expr",
    "agg",
    "col",
    "iter_aggs",
    "lit",
    "log",
    "over",
    "when",
]

#: Microseconds in a day and an hour: all timestamps are integer microseconds internally.
DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000

#: Aggregations and what they give for an empty group (``None`` = null).
AGG_KINDS: dict[str, float | None] = {
    "sum": 0.0,
    "count": 0.0,
    "nunique": 0.0,
    "mean": None,
    "min": None,
    "max": None,
    "std": None,
    "median": None,
}

_BINARY = {
    "add",
    "sub",
    "mul",
    "div",
    "floordiv",
    "mod",
    "lt",
    "le",
    "gt",
    "ge",
    "eq",
    "ne",
    "and",
    "or",
}


class Unsupported(Exception):
    """An expression a compiled engine (the batch kernels, the online machine) does not
    handle; the caller falls back to the interpreting engine."""


class Expr:
    """One node of a feature expression (immutable; compared by structural ``key``)."""

    __slots__ = ("_key", "args", "op")

    def __init__(self, op: str, *args: Any) -> None:
        self.op = op
        self.args = args
        self._key: str | None = None

    @property
    def key(self) -> str:
        """Structural identity: equal keys mean equal expressions (used to share work)."""
        if self._key is None:
            parts = [a.key if isinstance(a, Expr) else _scalar_key(a) for a in self.args]
            self._key = f"{self.op}({','.join(parts)})"
        return self._key

    def __repr__(self) -> str:
        return f"Expr<{self.key}>"

    def __hash__(self) -> int:
        return hash(self.key)

    # arithmetic ---------------------------------------------------------------
    def __add__(self, other: Any) -> Expr:
        return Expr("add", self, _wrap(other))

    def __radd__(self, other: Any) -> Expr:
        return Expr("add", _wrap(other), self)

    def __sub__(self, other: Any) -> Expr:
        return Expr("sub", self, _wrap(other))

    def __rsub__(self, other: Any) -> Expr:
        return Expr("sub", _wrap(other), self)

    def __mul__(self, other: Any) -> Expr:
        return Expr("mul", self, _wrap(other))

    def __rmul__(self, other: Any) -> Expr:
        return Expr("mul", _wrap(other), self)

    def __truediv__(self, other: Any) -> Expr:
        return Expr("div", self, _wrap(other))

    def __rtruediv__(self, other: Any) -> Expr:
        return Expr("div", _wrap(other), self)

    def __floordiv__(self, other: Any) -> Expr:
        return Expr("floordiv", self, _wrap(other))

    def __mod__(self, other: Any) -> Expr:
        return Expr("mod", self, _wrap(other))

    # comparisons and logic ----------------------------------------------------
    def __lt__(self, other: Any) -> Expr:
        return Expr("lt", self, _wrap(other))

    def __le__(self, other: Any) -> Expr:
        return Expr("le", self, _wrap(other))

    def __gt__(self, other: Any) -> Expr:
        return Expr("gt", self, _wrap(other))

    def __ge__(self, other: Any) -> Expr:
        return Expr("ge", self, _wrap(other))

    def eq(self, other: Any) -> Expr:
        """Equality (``==`` is kept for structural comparison)."""
        return Expr("eq", self, _wrap(other))

    def ne(self, other: Any) -> Expr:
        """Inequality."""
        return Expr("ne", self, _wrap(other))

    def __and__(self, other: Any) -> Expr:
        return Expr("and", self, _wrap(other))

    def __or__(self, other: Any) -> Expr:
        return Expr("or", self, _wrap(other))

    def __invert__(self) -> Expr:
        return Expr("not", self)

    def is_null(self) -> Expr:
        """True where the value is null."""
        return Expr("is_null", self)

    def is_in(self, values: tuple[Any, ...]) -> Expr:
        """True where the value is one of ``values``."""
        return Expr("is_in", self, tuple(values))

    def to_float(self) -> Expr:
        """Cast to a float (booleans become 0/1)."""
        return Expr("float", self)


def col(name: str) -> Expr:
    """A column of the current source (or of the aggregate frame in the post stage)."""
    return Expr("col", name)


def lit(value: Any) -> Expr:
    """A literal number, string, boolean or ``None`` (null)."""
    return Expr("lit", value)


def when(cond: Expr, then: Any, otherwise: Any = None) -> Expr:
    """``then`` where ``cond`` is true, else ``otherwise`` (null by default)."""
    return Expr("when", cond, _wrap(then), _wrap(otherwise))


def log(x: Expr) -> Expr:
    """Natural logarithm."""
    return Expr("log", x)


def over(kind: str, value: Expr, by: tuple[str, ...] = ()) -> Expr:
    """``kind`` ("sum" or "max") of ``value`` over the rows of the same application and
    the same values of the ``by`` columns, broadcast back to every row."""
    if kind not in ("sum", "max"):
        raise ValueError(f"over supports sum and max, not {kind!r}")
    return Expr("over", kind, value, tuple(by))


def agg(kind: str, source: str, value: Expr, mask: Expr | None = None) -> Expr:
    """Reduce ``value`` over one application's rows of ``source`` where ``mask`` holds."""
    if kind not in AGG_KINDS:
        raise ValueError(f"unknown aggregation {kind!r}")
    return Expr("agg", kind, source, value, mask)


def iter_aggs(expr: Expr) -> Iterator[Expr]:
    """Every aggregate node inside a post-stage expression (depth first, repeats kept)."""
    if expr.op == "agg":
        yield expr
        return
    for arg in expr.args:
        if isinstance(arg, Expr):
            yield from iter_aggs(arg)


def _wrap(value: Any) -> Expr:
    return value if isinstance(value, Expr) else lit(value)


def _scalar_key(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ";".join(_scalar_key(v) for v in value) + "]"
    return "null" if value is None else str(value)


# ---------------------------------------------------------------------------------------
# narwhals compiler
# ---------------------------------------------------------------------------------------


def to_narwhals(
    expr: Expr,
    app_key: str,
    agg_column: Callable[[Expr], str] | None = None,
    *,
    nan_is_null: bool = False,
) -> Any:
    """Compile ``expr`` to a narwhals expression.

    Parameters
    ----------
    expr : Expr
        Row-level, aggregate or post-stage expression.
    app_key : str
        Column identifying the application (partition of ``over`` and group key).
    agg_column : callable, optional
        In the post stage, maps an aggregate node to the column holding its value.
    nan_is_null : bool, default False
        In the post stage, the aggregate columns mark "no value" with NaN (as the NumPy
        reductions do): read NaN as null.
    """
    import narwhals.stable.v2 as nw

    def go(e: Expr) -> Any:
        op, a = e.op, e.args
        if op == "col":
            return nw.col(a[0])
        if op == "lit":
            return nw.lit(a[0])
        if op == "agg":
            if agg_column is not None:
                empty = AGG_KINDS[a[0]]
                ref = nw.col(agg_column(e))
                if nan_is_null:
                    ref = ref.fill_nan(None)
                return ref if empty is None else ref.fill_null(empty)
            return _nw_agg(e, go)
        if op in _BINARY:
            x, y = go(a[0]), go(a[1])
            if op == "div":
                return nw.when(y != 0).then(x / y)
            return _NW_BINARY[op](x, y)
        if op == "not":
            return ~(go(a[0]).fill_null(False))
        if op == "is_null":
            return go(a[0]).is_null()
        if op == "is_in":
            return go(a[0]).is_in(list(a[1]))
        if op == "float":
            return go(a[0]).cast(nw.Float64)
        if op == "when":
            then = nw.when(go(a[0])).then(go(a[1]))
            if a[2].op == "lit" and a[2].args[0] is None:
                return then
            return then.otherwise(go(a[2]))
        if op == "log":
            return go(a[0]).log()
        if op == "over":
            kind, value, by = a
            inner = go(value)
            red = inner.sum() if kind == "sum" else inner.max()
            return red.over(app_key, *by)
        raise ValueError(f"cannot compile {op!r}")

    return go(expr)


_NW_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "floordiv": lambda x, y: x // y,
    "mod": lambda x, y: x % y,
    "lt": lambda x, y: x < y,
    "le": lambda x, y: x <= y,
    "gt": lambda x, y: x > y,
    "ge": lambda x, y: x >= y,
    "eq": lambda x, y: x == y,
    "ne": lambda x, y: x != y,
    "and": lambda x, y: x & y,
    "or": lambda x, y: x | y,
}


def _nw_agg(e: Expr, go: Callable[[Expr], Any]) -> Any:
    import narwhals.stable.v2 as nw

    kind, _source, value, mask = e.args
    inner = go(value) if mask is None else nw.when(go(mask)).then(go(value))
    if kind == "sum":
        return inner.sum()
    if kind == "count":
        return inner.count()
    if kind == "nunique":
        # n_unique counts null as a value on every backend; masked-out rows are null.
        return inner.n_unique() - (inner.null_count() > 0).cast(nw.Int64)
    if kind == "std":
        return inner.std(ddof=1)
    return getattr(inner, kind)()


# ---------------------------------------------------------------------------------------
# NumPy evaluator (one application)
# ---------------------------------------------------------------------------------------


class NumpyEvaluator:
    """Evaluate expressions for a single application on NumPy arrays.

    Parameters
    ----------
    sources : dict
        Source name -> {column -> 1-d array} holding only this application's rows of the
        point-in-time cut. Times are float microseconds (NaN = null); ``_t`` is a scalar.
    t : float
        The application moment in microseconds.
    known : dict, optional
        Aggregate key -> its value, already computed elsewhere (not recomputed).
    """

    def __init__(
        self,
        sources: dict[str, dict[str, np.ndarray]],
        t: float,
        known: dict[str, float] | None = None,
    ) -> None:
        self.sources = sources
        self.t = t
        self._cache: dict[tuple[str, ...], Any] = {}
        # one memo per source: a plain str key is cheaper than a tuple per lookup
        self._memo: dict[str, dict[str, Any]] = {}
        if known:
            self._memo[""] = {key: np.float64(v) for key, v in known.items()}

    def value(self, expr: Expr) -> float:
        """The post-stage value of ``expr`` as a float (NaN for null)."""
        with np.errstate(all="ignore"):
            out = self._eval(expr, "")
        return float(out) if out is not None else float("nan")

    def values(self, exprs: list[Expr]) -> list[float]:
        """:meth:`value` of several expressions (shares work between them)."""
        with np.errstate(all="ignore"):
            return [float(self._eval(e, "")) for e in exprs]

    def _eval(self, e: Expr, source: str) -> Any:
        memo = self._memo.get(source)
        if memo is None:
            memo = self._memo[source] = {}
        key = e.key
        hit = memo.get(key)
        if hit is not None:
            return hit
        out = self._compute(e, source)
        memo[key] = out
        return out

    def _compute(self, e: Expr, source: str) -> Any:
        op, a = e.op, e.args
        if op == "col":
            if a[0] == "_t":
                return np.float64(self.t)
            return self.sources[source][a[0]]
        if op == "lit":
            v = a[0]
            if v is None:
                return np.float64(np.nan)
            return np.float64(v) if isinstance(v, (bool, int, float)) else v
        if op == "agg":
            return self._agg(e)
        if op in _BINARY:
            x, y = self._eval(a[0], source), self._eval(a[1], source)
            if isinstance(x, (float, np.floating)) and isinstance(y, (float, np.floating)):
                return _scalar_binary(op, float(x), float(y))
            return _np_binary(op, x, y)
        if op == "not":
            return ~np.asarray(self._eval(a[0], source), dtype=bool)
        if op == "is_null":
            x = self._eval(a[0], source)
            if isinstance(x, (float, np.floating)):
                return bool(np.isnan(x))
            return _np_is_null(x)
        if op == "is_in":
            x = self._eval(a[0], source)
            return np.isin(np.asarray(x), np.asarray(a[1], dtype=object))
        if op == "float":
            return np.asarray(self._eval(a[0], source), dtype=np.float64)
        if op == "when":
            c = self._eval(a[0], source)
            if isinstance(c, bool):
                return self._eval(a[1] if c else a[2], source)
            c = np.asarray(c, dtype=bool)
            x, y = self._eval(a[1], source), self._eval(a[2], source)
            if _is_object(x) or _is_object(y):
                y = None if (a[2].op == "lit" and a[2].args[0] is None) else y
                return np.where(c, np.asarray(x, dtype=object), np.asarray(y, dtype=object))
            return np.where(c, np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        if op == "log":
            return np.log(np.asarray(self._eval(a[0], source), dtype=np.float64))
        if op == "over":
            return self._over(a[0], self._eval(a[1], source), a[2], source)
        raise ValueError(f"cannot evaluate {op!r}")

    def _over(self, kind: str, value: Any, by: tuple[str, ...], source: str) -> np.ndarray:
        cols = self.sources[source]
        n = _nrows(cols)
        v = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
        if not by:
            return _over_groups(kind, v, None, 0)
        inverse = _group_ids(cols, by)
        return _over_groups(kind, v, inverse, int(inverse.max()) + 1 if n else 0)

    def _agg(self, e: Expr) -> Any:
        kind, source, value, mask = e.args
        cols = self.sources.get(source)
        if cols is None or _nrows(cols) == 0:
            return np.float64(empty_value(e))
        ck = (source, "kept", value.key, mask.key if mask is not None else "")
        v = self._cache.get(ck)
        if v is None:
            n = _nrows(cols)
            v = np.asarray(self._eval(value, source))
            if v.ndim == 0:
                v = np.full(n, v)
            keep = ~_np_is_null(v)
            if mask is not None:
                m = np.asarray(self._eval(mask, source), dtype=bool)
                keep = keep & (m if m.ndim else np.full(n, bool(m)))
            v = v[keep]
            self._cache[ck] = v
        if kind == "nunique":
            return np.float64(len(set(v.tolist())))
        if kind == "count":
            return np.float64(v.size)
        if v.size == 0:
            return np.float64(empty_value(e))
        x = v.astype(np.float64)
        if kind == "sum":
            return x.sum()
        if kind == "mean":
            return x.mean()
        if kind == "min":
            return x.min()
        if kind == "max":
            return x.max()
        if kind == "median":
            return np.median(x)
        # std, ddof=1: undefined for a single value
        return x.std(ddof=1) if x.size > 1 else np.float64(np.nan)


def empty_value(node: Expr) -> float:
    """The value of the aggregate ``node`` over no rows: 0 for a count or sum (and a
    distinct count), NaN for the others."""
    empty = AGG_KINDS[node.args[0]]
    return np.nan if empty is None else float(empty)


def _over_groups(kind: str, v: np.ndarray, inverse: np.ndarray | None, n_groups: int) -> np.ndarray:
    """An ``over`` window on NumPy: the sum (0 for no value) or max (NaN for no value)
    of the present values of each row's group, broadcast back to the rows.

    ``inverse`` numbers each row's group ``0..n_groups-1``; None puts every row in one.
    """
    present = ~np.isnan(v)
    if inverse is None:
        if kind == "sum":
            total = v[present].sum() if v.size else 0.0
        else:
            total = v[present].max() if present.any() else np.nan
        return np.full(v.size, total)
    if kind == "sum":
        sums = np.bincount(inverse, weights=np.where(present, v, 0.0), minlength=n_groups)
        return sums[inverse]
    best = np.full(n_groups, -np.inf)
    np.maximum.at(best, inverse[present], v[present])
    best[np.isneginf(best)] = np.nan
    return best[inverse]


def _nrows(cols: Mapping[str, np.ndarray]) -> int:
    for v in cols.values():
        return len(v)
    return 0


def _is_object(x: Any) -> bool:
    return (isinstance(x, np.ndarray) and x.dtype == object) or isinstance(x, str)


def _np_is_null(x: Any) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == object:
        return np.array([v is None for v in arr.ravel()], dtype=bool).reshape(arr.shape)
    if arr.dtype.kind == "f":
        return np.isnan(arr)
    return np.zeros(arr.shape, dtype=bool)


def _scalar_binary(op: str, x: float, y: float) -> Any:
    """Post-stage arithmetic on plain floats (NaN = null), faster than NumPy scalars."""
    if op == "div":
        return x / y if y != 0 and y == y else float("nan")  # y == y: not NaN
    if op in ("lt", "le", "gt", "ge", "eq", "ne"):
        return _np_binary(op, np.float64(x), np.float64(y)).item()
    if op in ("and", "or"):
        return bool(x) and bool(y) if op == "and" else bool(x) or bool(y)
    return float(_np_binary(op, np.float64(x), np.float64(y)))


def _np_binary(op: str, x: Any, y: Any) -> Any:
    if op == "and":
        return np.logical_and(x, y)
    if op == "or":
        return np.logical_or(x, y)
    if op in ("eq", "ne") and (_is_object(x) or _is_object(y)):
        res = np.asarray(x, dtype=object) == np.asarray(y, dtype=object)
        return res if op == "eq" else ~res
    x = np.asarray(x, dtype=np.float64) if not isinstance(x, np.floating) else x
    y = np.asarray(y, dtype=np.float64) if not isinstance(y, np.floating) else y
    if op == "add":
        return x + y
    if op == "sub":
        return x - y
    if op == "mul":
        return x * y
    if op == "div":
        return np.where(y != 0, x / np.where(y != 0, y, 1.0), np.nan)
    if op == "floordiv":
        return np.floor_divide(x, y)
    if op == "mod":
        return np.mod(x, y)
    if op == "lt":
        return x < y
    if op == "le":
        return x <= y
    if op == "gt":
        return x > y
    if op == "ge":
        return x >= y
    if op == "eq":
        return x == y
    return x != y


def _group_ids(cols: dict[str, np.ndarray], by: tuple[str, ...]) -> np.ndarray:
    if len(by) == 1:
        _, inverse = np.unique(np.asarray(cols[by[0]]).astype(str), return_inverse=True)
        return inverse.ravel()
    keys = np.array(
        ["\x1f".join(str(c) for c in row) for row in zip(*(cols[b] for b in by))], dtype=object
    )
    _, inverse = np.unique(keys.astype(str), return_inverse=True)
    return inverse.ravel()
