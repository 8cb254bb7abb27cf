"""The online evaluator compiled once per plan: a flat list of NumPy steps.

:class:`~thinfile_credit.features._expr.NumpyEvaluator` walks the expression trees on
every call, looking nodes up by their structural key; for one applicant that bookkeeping
costs more than the arithmetic. :func:`compile_plan` resolves the walk once: every
distinct node becomes a numbered slot and a closure that reads its inputs' slots, so a
call is one pass over a list. Each closure calls the same helpers as the tree walker
(``_np_binary``, ``_scalar_binary``, ``_agg`` rules...), so both give the same numbers;
``tests/features/test_compiled.py`` checks them against each other.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from thinfile_credit.features._expr import (
    _BINARY,
    AGG_KINDS,
    Expr,
    _is_object,
    _np_binary,
    _np_is_null,
    _scalar_binary,
)
from thinfile_credit.features._plan import Plan

__all__ = ["CompiledPlan", "compile_plan"]

Step = Callable[[list[Any]], Any]


class CompiledPlan:
    """Features of one application from its point-in-time cut, as flat NumPy steps.

    Slot 0 holds ``_t``; per source, slot ``columns[source][name]`` holds a column of the
    cut. Sources with no rows skip their steps and give each aggregate its empty value.
    """

    def __init__(self, n_slots: int) -> None:
        self.n_slots = n_slots
        self.constants: dict[int, Any] = {}
        self.template: list[Any] = []
        self.columns: dict[str, dict[str, int]] = {}
        self.row_steps: dict[str, list[tuple[int, Step]]] = {}
        self.agg_empty: dict[str, list[tuple[int, float]]] = {}
        self.post_steps: list[tuple[int, Step]] = []
        self.outputs: list[int] = []
        self.names: list[str] = []
        self.default_dpd = 90  # set by the online path from the builder's social family

    def run(self, sources: dict[str, dict[str, np.ndarray]], t: float) -> list[float]:
        """Feature values (NaN for null) in plan order."""
        vals = self.template.copy()
        vals[0] = np.float64(t)
        with np.errstate(all="ignore"):
            for source, steps in self.row_steps.items():
                cols = sources.get(source)
                n = _nrows(cols) if cols is not None else 0
                if n == 0:
                    for slot, empty in self.agg_empty[source]:
                        vals[slot] = np.float64(empty)
                    continue
                for name, slot in self.columns[source].items():
                    vals[slot] = cols[name]  # type: ignore[index]
                vals[1] = n
                for slot, step in steps:
                    vals[slot] = step(vals)
            for slot, step in self.post_steps:
                vals[slot] = step(vals)
        return [float(vals[i]) for i in self.outputs]


def compile_plan(plan: Plan) -> CompiledPlan:
    """Compile every feature of ``plan`` into one :class:`CompiledPlan`."""
    return _Compiler(plan).compiled


class _Compiler:
    def __init__(self, plan: Plan) -> None:
        # slot 0: _t; slot 1: row count of the source being evaluated
        self.n = 2
        self.slots: dict[tuple[str, str], int] = {}
        self.out = CompiledPlan(0)
        # kinds reduced from each (value, mask): counts alone need no filtered copy
        self.kinds: dict[tuple[str, str], set[str]] = {}
        for sp in plan.sources.values():
            for node in sp.aggs.values():
                self.kinds.setdefault(_kept_key(node), set()).add(node.args[0])
        for source, sp in plan.sources.items():
            self.out.columns[source] = {}
            self.out.row_steps[source] = []
            self.out.agg_empty[source] = []
            for node in sp.aggs.values():
                self._agg(node)
        for feat in plan.features:
            self.out.outputs.append(self._node(feat.expr, "", self.out.post_steps))
            self.out.names.append(feat.name)
        self.out.n_slots = self.n
        self.out.template = [None] * self.n
        for slot, value in self.out.constants.items():
            self.out.template[slot] = value
        self.compiled = self.out

    def _new(self, key: tuple[str, str]) -> int:
        slot = self.n
        self.n += 1
        self.slots[key] = slot
        return slot

    def _agg(self, e: Expr) -> int:
        hit = self.slots.get(("agg", e.key))
        if hit is not None:
            return hit
        kind, source, value, mask = e.args
        steps = self.out.row_steps[source]
        kkey = _kept_key(e)
        kept = self.slots.get(kkey)
        if kept is None:
            v_slot = self._node(value, source, steps)
            m_slot = self._node(mask, source, steps) if mask is not None else -1
            # a value's null test is shared by all the masks it is aggregated under
            vkey = (source, f"valid:{value.key}")
            valid = self.slots.get(vkey)
            if valid is None:
                valid = self._new(vkey)
                steps.append((valid, _valid_step(v_slot)))
            kept = self._new(kkey)
            if self.kinds[kkey] == {"count"}:
                steps.append((kept, _count_step(valid, m_slot)))
            else:
                steps.append((kept, _kept_step(valid, m_slot)))
        if self.kinds[kkey] == {"count"}:
            return self._alias(e, kept, source)
        slot = self._new(("agg", e.key))
        steps.append((slot, _reduce_step(kind, kept)))
        empty = AGG_KINDS[kind]
        self.out.agg_empty[source].append((slot, np.nan if empty is None else float(empty)))
        return slot

    def _alias(self, e: Expr, slot: int, source: str) -> int:
        # the count step already holds the aggregate's value
        self.slots[("agg", e.key)] = slot
        self.out.agg_empty[source].append((slot, 0.0))
        return slot

    def _node(self, e: Expr, source: str, steps: list[tuple[int, Step]]) -> int:
        if e.op == "agg":
            return self._agg(e)
        key = (source, e.key)
        hit = self.slots.get(key)
        if hit is not None:
            return hit
        op, a = e.op, e.args
        if op == "col":
            if a[0] == "_t":
                return 0
            if source == "":
                raise ValueError(f"column {a[0]!r} outside an aggregate")
            slot = self._new(key)
            self.out.columns[source][a[0]] = slot
            return slot
        if op == "lit":
            v = a[0]
            const = np.float64(np.nan) if v is None else v
            if isinstance(v, (bool, int, float)):
                const = np.float64(v)
            slot = self._new(key)
            self.out.constants[slot] = const  # filled in before any step runs
            return slot
        if op == "over":
            inner = self._node(a[1], source, steps)
            groups = -1
            if a[2]:
                gkey = (source, f"groups:{';'.join(a[2])}")
                groups = self.slots.get(gkey, -1)
                if groups < 0:
                    by_slots = [self._node(Expr("col", b), source, steps) for b in a[2]]
                    groups = self._new(gkey)
                    steps.append((groups, _groups_step(by_slots)))
            slot = self._new(key)
            steps.append((slot, _over_step(a[0], inner, groups)))
            return slot
        args = [self._node(x, source, steps) if isinstance(x, Expr) else x for x in a]
        step = _row_step(e, args)
        slot = self._new(key)
        steps.append((slot, step))
        return slot


_UFUNCS: dict[str, Any] = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
    "eq": np.equal,
    "ne": np.not_equal,
}


# Python float arithmetic and comparisons give what _scalar_binary's NumPy scalars give
# (IEEE results, NaN compares false); division, floor division and modulo stay there.
_SCALAR: dict[str, Callable[[float, float], Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "eq": operator.eq,
    "ne": operator.ne,
}


def _is_f64(x: Any) -> bool:
    return type(x) is np.float64 or (type(x) is np.ndarray and x.dtype == np.float64)


def _row_step(e: Expr, args: list[Any]) -> Step:
    op = e.op
    if op in _BINARY:
        i, j = args

        ufunc = _UFUNCS.get(op)
        scalar = _SCALAR.get(op)
        logical = {"and": np.logical_and, "or": np.logical_or}.get(op)

        def binary(v: list[Any]) -> Any:
            x, y = v[i], v[j]
            if isinstance(x, (float, np.floating)) and isinstance(y, (float, np.floating)):
                if scalar is not None:
                    return scalar(float(x), float(y))
                return _scalar_binary(op, float(x), float(y))
            if logical is not None:  # what _np_binary does for and/or
                return logical(x, y)
            # float arrays (the usual case) skip _np_binary's conversions: same result
            if ufunc is not None and _is_f64(x) and _is_f64(y):
                return ufunc(x, y)
            return _np_binary(op, x, y)

        return binary
    if op == "not":
        (i,) = args
        return lambda v: ~np.asarray(v[i], dtype=bool)
    if op == "is_null":
        (i,) = args

        def is_null(v: list[Any]) -> Any:
            x = v[i]
            if isinstance(x, (float, np.floating)):
                return bool(np.isnan(x))
            return _np_is_null(x)

        return is_null
    if op == "is_in":
        i, values = args
        choices = np.asarray(values, dtype=object)
        try:
            members = frozenset(values)
        except TypeError:  # unhashable choices: NumPy's comparison only
            members = None

        def is_in(v: list[Any]) -> np.ndarray:
            x = np.asarray(v[i])
            if members is not None and x.dtype == object:
                # set membership: NumPy sorts object arrays to answer isin
                found = map(members.__contains__, x.tolist())
                return np.fromiter(found, bool, x.size).reshape(x.shape)
            return np.isin(x, choices)

        return is_in
    if op == "float":
        (i,) = args
        return lambda v: np.asarray(v[i], dtype=np.float64)
    if op == "log":
        (i,) = args
        return lambda v: np.log(np.asarray(v[i], dtype=np.float64))
    if op == "when":
        c_i, x_i, y_i = args
        null_other = e.args[2].op == "lit" and e.args[2].args[0] is None

        def when(v: list[Any]) -> Any:
            c = v[c_i]
            if isinstance(c, bool):
                return v[x_i] if c else v[y_i]
            c = np.asarray(c, dtype=bool)
            x, y = v[x_i], v[y_i]
            if _is_object(x) or _is_object(y):
                y = None if null_other else y
                return np.where(c, np.asarray(x, dtype=object), np.asarray(y, dtype=object))
            return np.where(c, np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))

        return when
    raise ValueError(f"cannot compile {op!r}")


def _groups_step(by_slots: list[int]) -> Step:
    def groups(v: list[Any]) -> tuple[np.ndarray, int]:
        # dense ids of the distinct ``by`` values (shared by every window over them)
        rows = zip(*(v[s].tolist() for s in by_slots))
        ids: dict[tuple[Any, ...], int] = {}
        inverse = np.array([ids.setdefault(r, len(ids)) for r in rows], dtype=np.intp)
        return inverse, len(ids)

    return groups


def _over_step(kind: str, inner: int, groups: int) -> Step:
    def over(v: list[Any]) -> np.ndarray:
        # the tree walker's window rules (NumpyEvaluator._over), with shared group ids
        n = v[1]
        x = np.broadcast_to(np.asarray(v[inner], dtype=np.float64), (n,))
        present = ~np.isnan(x)
        if groups < 0:
            if kind == "sum":
                total = x[present].sum() if n else 0.0
            else:
                total = x[present].max() if present.any() else np.nan
            return np.full(n, total)
        inverse, n_groups = v[groups]
        if kind == "sum":
            sums = np.bincount(inverse, weights=np.where(present, x, 0.0), minlength=n_groups)
            return sums[inverse]
        best = np.full(n_groups, -np.inf)
        np.maximum.at(best, inverse[present], x[present])
        best[np.isneginf(best)] = np.nan
        return best[inverse]

    return over


def _valid_step(v_slot: int) -> Step:
    def valid(v: list[Any]) -> tuple[np.ndarray, np.ndarray | None]:
        n = v[1]
        x = np.asarray(v[v_slot])
        if x.ndim == 0:
            x = np.full(n, x)
        if x.dtype.kind == "f":
            nulls = np.isnan(x)
            # no nulls (the usual case): masks need no extra "and" with the null test
            return x, (~nulls if nulls.any() else None)
        if x.dtype == object:
            return x, ~_np_is_null(x)
        return x, None

    return valid


def _kept_key(node: Expr) -> tuple[str, str]:
    _kind, source, value, mask = node.args
    return (source, f"kept:{value.key}:{mask.key if mask is not None else ''}")


def _count_step(valid: int, m_slot: int) -> Step:
    def count(v: list[Any]) -> np.float64:
        x, keep = v[valid]
        if m_slot >= 0:
            m = np.asarray(v[m_slot], dtype=bool)
            m = m if m.ndim else np.full(v[1], bool(m))
            keep = m if keep is None else keep & m
        return np.float64(x.size if keep is None else np.count_nonzero(keep))

    return count


def _kept_step(valid: int, m_slot: int) -> Step:
    def kept(v: list[Any]) -> np.ndarray:
        x, keep = v[valid]
        if m_slot >= 0:
            m = np.asarray(v[m_slot], dtype=bool)
            m = m if m.ndim else np.full(v[1], bool(m))
            keep = m if keep is None else keep & m
        return x if keep is None else x[keep]

    return kept


def _reduce_step(kind: str, kept: int) -> Step:
    empty = AGG_KINDS[kind]
    none = np.float64(np.nan if empty is None else empty)
    if kind == "nunique":
        return lambda v: np.float64(len(set(v[kept].tolist())))
    if kind == "count":
        return lambda v: np.float64(v[kept].size)

    # ufunc reductions directly: what the ndarray methods call, minus their wrappers
    direct = {"sum": np.add.reduce, "min": np.minimum.reduce, "max": np.maximum.reduce}.get(kind)

    def reduce(v: list[Any]) -> Any:
        x = v[kept]
        n = x.size
        if n == 0:
            return none
        if x.dtype != np.float64:
            x = x.astype(np.float64)
        if direct is not None:
            return direct(x)
        if kind == "mean":
            return np.add.reduce(x) / n
        if kind == "median":
            return np.median(x)
        return x.std(ddof=1) if n > 1 else np.float64(np.nan)

    return reduce


def _nrows(cols: dict[str, np.ndarray]) -> int:
    for v in cols.values():
        return len(v)
    return 0
