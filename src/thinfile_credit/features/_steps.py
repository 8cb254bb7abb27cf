"""Step programs: any expression as a flat list of NumPy closures, one per distinct node.

The fallback of the compiled online path for what the vector machine
(:mod:`~thinfile_credit.features._vm`) does not run: ``when`` over strings, say, or
columns of another dtype than float64 and object. :class:`StepCompiler` resolves the
tree walk of :class:`~thinfile_credit.features._expr.NumpyEvaluator` once per plan:
every distinct node gets a slot of one shared list of values and a closure computing it
from earlier slots, with the walker's rules (NumPy's operations, called the same way).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
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
    over_groups,
)
from thinfile_credit.features._plan import Plan

__all__ = ["Step", "StepCompiler", "StepProgram"]

Step = Callable[[list[Any]], Any]


class StepProgram:
    """One source's aggregates as closures over a shared list of values (slots)."""

    def __init__(self) -> None:
        self.columns: dict[str, int] = {}
        self.steps: list[tuple[int, Step]] = []

    def run(self, cols: Mapping[str, np.ndarray], n: int, vals: list[Any]) -> None:
        """Evaluate on the ``n`` rows ``cols``; slot 1 holds ``n`` meanwhile."""
        for name, slot in self.columns.items():
            vals[slot] = cols[name]
        vals[1] = n
        for slot, step in self.steps:
            vals[slot] = step(vals)


class StepCompiler:
    """Slots and closures of a plan: every source's step program and the post stage.

    Slot 0 holds ``_t``, slot 1 the row count of the source being evaluated, then come
    the aggregates, source by source in plan order.
    """

    def __init__(self, plan: Plan) -> None:
        self.n = 2
        self.slots: dict[tuple[str, str], int] = {}
        self.constants: dict[int, Any] = {}
        self.columns: dict[str, dict[str, int]] = {}
        self.agg_slots: dict[str, int] = {}
        self.programs: dict[str, StepProgram] = {}
        # kinds reduced from each (value, mask): counts alone need no filtered copy
        self.kinds: dict[tuple[str, str], set[str]] = {}
        for sp in plan.sources.values():
            for node in sp.aggs.values():
                self.kinds.setdefault(_kept_key(node), set()).add(node.args[0])
                self.agg_slots[node.key] = self.n
                self.n += 1
        for source, sp in plan.sources.items():
            program = self.programs[source] = StepProgram()
            self.columns[source] = program.columns
            for node in sp.aggs.values():
                self._agg(node, program.steps)

    def source_program(self, source: str) -> StepProgram:
        """The steps computing the aggregates of ``source``."""
        return self.programs[source]

    def post(self, expr: Expr, steps: list[tuple[int, Step]]) -> int:
        """Append the steps of a post-stage expression; its slot."""
        return self._node(expr, "", steps)

    def template(self) -> list[Any]:
        """The initial value list (constants in place)."""
        out: list[Any] = [None] * self.n
        for slot, value in self.constants.items():
            out[slot] = value
        return out

    def _new(self, key: tuple[str, str]) -> int:
        slot = self.n
        self.n += 1
        self.slots[key] = slot
        return slot

    def _agg(self, e: Expr, steps: list[tuple[int, Step]]) -> None:
        kind, source, value, mask = e.args
        slot = self.agg_slots[e.key]
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
            if self.kinds[kkey] == {"count"}:  # the only aggregate of this (value, mask)
                steps.append((slot, _count_step(valid, m_slot)))
                return
            kept = self._new(kkey)
            steps.append((kept, _kept_step(valid, m_slot)))
        steps.append((slot, _reduce_step(kind, kept)))

    def _node(self, e: Expr, source: str, steps: list[tuple[int, Step]]) -> int:
        if e.op == "agg":
            return self.agg_slots[e.key]
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
            self.columns[source][a[0]] = slot
            return slot
        if op == "lit":
            v = a[0]
            const = np.float64(np.nan) if v is None else v
            if isinstance(v, (bool, int, float)):
                const = np.float64(v)
            slot = self._new(key)
            self.constants[slot] = const  # filled in before any step runs
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
        if groups < 0:
            return over_groups(kind, x, None, 0)
        inverse, n_groups = v[groups]
        return over_groups(kind, x, inverse, n_groups)

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


def _kept_rows(v: list[Any], valid: int, m_slot: int) -> tuple[np.ndarray, np.ndarray | None]:
    """A value's array and which rows count (present and masked; None: all of them)."""
    x, keep = v[valid]
    if m_slot >= 0:
        m = np.asarray(v[m_slot], dtype=bool)
        m = m if m.ndim else np.full(v[1], bool(m))
        keep = m if keep is None else keep & m
    return x, keep


def _count_step(valid: int, m_slot: int) -> Step:
    def count(v: list[Any]) -> np.float64:
        x, keep = _kept_rows(v, valid, m_slot)
        return np.float64(x.size if keep is None else np.count_nonzero(keep))

    return count


def _kept_step(valid: int, m_slot: int) -> Step:
    def kept(v: list[Any]) -> np.ndarray:
        x, keep = _kept_rows(v, valid, m_slot)
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
