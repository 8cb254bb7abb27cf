"""The online evaluator compiled once per plan: one compiled pass per source.

:class:`~thinfile_credit.features._expr.NumpyEvaluator` walks the expression trees on
every call, looking nodes up by their structural key; for one applicant that bookkeeping,
and NumPy's overhead of about a microsecond per call on arrays of a few hundred rows, cost
far more than the arithmetic. :func:`compile_plan` resolves the walk once per plan:

* each source's row-level expressions and aggregates become one *program* of a small
  vector machine (:class:`Program`): every distinct node is a register (a row of one 2-D
  array) written by one instruction, and a compiled loop (:func:`run_code`, numba) runs
  the whole program, aggregates included, in one call (two or more when a logarithm
  sits in between: NumPy computes those);
* the post stage, the arithmetic on aggregates that gives the features, is one more
  program, one row long;
* what the machine does not run (``when`` over strings, say, or columns of another dtype
  than float64 and object) runs as a flat list of NumPy closures instead, one per
  distinct node (:class:`StepCompiler`).

Both follow the tree walker's rules to the bit: NumPy's pairwise summation, its floor
division and remainder, ``std`` with ``ddof=1``, ``np.median``, natural logarithms by
NumPy itself (between machine calls). One liberty: the ``min`` or ``max`` of values equal
but for the sign of zero may be either (so may NumPy's, by SIMD lane).
``tests/features/test_compiled.py`` checks the compiled plan against the walker, and the
machine's arithmetic against NumPy's.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numba
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

__all__ = ["CompiledPlan", "Program", "build_program", "compile_plan", "encode_objects"]

Step = Callable[[list[Any]], Any]
_MISSING: Any = object()


class CompiledPlan:
    """Features of one application from its point-in-time cut.

    Each source writes its aggregates to a contiguous range of one array
    (:class:`SourceRunner`); the post program (or, when the machine cannot run the post
    stage, the post steps) computes the features from them.
    """

    def __init__(self) -> None:
        self.n_aggs = 0
        self.sources: dict[str, SourceRunner] = {}
        self.post: Program | None = None
        # the step form of the post stage: slot 0 holds _t, slot 2 + i aggregate i
        self.template: list[Any] = []
        self.post_steps: list[tuple[int, Step]] = []
        self.outputs: list[int] = []
        self.names: list[str] = []
        self.default_dpd = 90  # set by the online path from the builder's social family

    def run(self, sources: Mapping[str, Mapping[str, np.ndarray]], t: float) -> list[float]:
        """Feature values (NaN for null) in plan order."""
        t = float(t)
        aggs = np.empty(self.n_aggs)
        with np.errstate(all="ignore"):
            for name, runner in self.sources.items():
                runner.run(sources.get(name), t, aggs)
            if self.post is not None:
                return self.post.run_post(aggs, t)
            vals = self.template.copy()
            vals[0] = np.float64(t)
            vals[2 : 2 + self.n_aggs] = aggs.tolist()
            for slot, step in self.post_steps:
                vals[slot] = step(vals)
        return [float(vals[i]) for i in self.outputs]


class SourceRunner:
    """The aggregates of one source, written to ``aggs[lo:hi]`` in plan order.

    Runs a :class:`Program`, built on first use for the dtypes of the source's columns
    (one set in practice), or the source's step program when the machine cannot run the
    expressions on those dtypes.
    """

    def __init__(self, aggs: list[Expr], lo: int, steps: StepProgram, template: list[Any]):
        self.aggs = aggs
        self.lo = lo
        self.hi = lo + len(aggs)
        self.steps = steps
        self.template = template
        self.empty = np.array([_empty_value(node.args[0]) for node in aggs])
        self.columns = columns_read(aggs)
        self.programs: dict[tuple[Any, ...], Program | None] = {}

    def run(self, cols: Mapping[str, np.ndarray] | None, t: float, aggs: np.ndarray) -> None:
        """Write the aggregates of the rows ``cols`` (``None``: no rows) to ``aggs``."""
        n = _nrows(cols) if cols is not None else 0
        if cols is None or n == 0:
            aggs[self.lo : self.hi] = self.empty
            return
        program = self._program(cols)
        if program is None or not program.run(cols, n, t, aggs[self.lo : self.hi]):
            vals = self.template.copy()
            vals[0] = np.float64(t)
            self.steps.run(cols, n, vals)
            aggs[self.lo : self.hi] = vals[self.lo + 2 : self.hi + 2]

    def _program(self, cols: Mapping[str, np.ndarray]) -> Program | None:
        try:
            dtypes = tuple([cols[c].dtype for c in self.columns])
        except (KeyError, AttributeError):
            return None  # the step program reports what is wrong
        program = self.programs.get(dtypes, _MISSING)
        if program is _MISSING:
            program = build_program(self.aggs, dict(zip(self.columns, dtypes)))
            self.programs[dtypes] = program
        return program


def compile_plan(plan: Plan) -> CompiledPlan:
    """Compile every feature of ``plan`` into one :class:`CompiledPlan`."""
    out = CompiledPlan()
    out.names = [feat.name for feat in plan.features]
    exprs = [feat.expr for feat in plan.features]
    steps = StepCompiler(plan)
    out.outputs = [steps.post(e, out.post_steps) for e in exprs]
    out.template = steps.template()
    agg_keys: list[str] = []
    for source, sp in plan.sources.items():
        aggs = list(sp.aggs.values())
        runner = SourceRunner(aggs, len(agg_keys), steps.source_program(source), out.template)
        out.sources[source] = runner
        agg_keys.extend(node.key for node in aggs)
    out.n_aggs = len(agg_keys)
    out.post = build_post_program(exprs, agg_keys)
    return out


def columns_read(nodes: list[Expr]) -> list[str]:
    """The source columns some expression of ``nodes`` reads (``_t`` aside), sorted."""
    found: set[str] = set()
    stack = list(nodes)
    while stack:
        e = stack.pop()
        if e.op == "col":
            found.add(e.args[0])
            continue
        if e.op == "over":
            found.update(e.args[2])
        stack.extend(a for a in e.args if isinstance(a, Expr))
    found.discard("_t")
    return sorted(found)


def _empty_value(kind: str) -> float:
    empty = AGG_KINDS[kind]
    return np.nan if empty is None else float(empty)


def _nrows(cols: Mapping[str, np.ndarray]) -> int:
    for v in cols.values():
        return len(v)
    return 0


# ---------------------------------------------------------------------------------------
# the vector machine
# ---------------------------------------------------------------------------------------

# Instructions are rows ``(op, dst, a, b, c)`` of an int64 array. Registers hold
# float64: booleans as 1.0/0.0, null as NaN, strings and other objects as codes (one
# number per distinct value of the call, NaN for None).
_FILL = 0  # dst <- consts[a]
_ADD, _SUB, _MUL, _DIV, _FLOORDIV, _MOD = 1, 2, 3, 4, 5, 6  # dst <- a op b
_LT, _LE, _GT, _GE, _EQ, _NE, _AND, _OR = 7, 8, 9, 10, 11, 12, 13, 14
_NOT, _ISNULL = 15, 16  # dst <- op a
_WHEN = 17  # dst <- a ? b : c
_ISIN = 18  # dst <- a in consts[b : b + c]
_OVER_SUM, _OVER_MAX = 19, 20  # dst <- window of a per group b (-1: all rows), groups consts[c]
_AGG = 21  # out[dst] <- kind c of a where mask b (-1: none)

_OPCODES = {
    "add": _ADD,
    "sub": _SUB,
    "mul": _MUL,
    "div": _DIV,
    "floordiv": _FLOORDIV,
    "mod": _MOD,
    "lt": _LT,
    "le": _LE,
    "gt": _GT,
    "ge": _GE,
    "eq": _EQ,
    "ne": _NE,
    "and": _AND,
    "or": _OR,
}
#: Aggregate kinds of :data:`_AGG` instructions.
AGG_CODES = {
    "count": 0,
    "sum": 1,
    "mean": 2,
    "min": 3,
    "max": 4,
    "std": 5,
    "median": 6,
    "nunique": 7,
}
_COUNT, _SUM, _MEAN, _MIN, _MAX, _STD, _MEDIAN, _NUNIQUE = range(8)
_SORTING = (_MEDIAN, _NUNIQUE)  # reorder the kept values


class Unsupported(Exception):
    """An expression the machine does not run (the step program does)."""


@dataclass
class Program:
    """Aggregates of one source, or the post stage, as vector-machine instructions.

    ``phases`` split the instructions where NumPy's logarithm runs between two compiled
    calls: ``(start, stop, logs)`` runs ``code[start:stop]`` then ``log`` of each
    ``(dst, src)`` register pair. A post-stage program has one row per register, the
    aggregates preloaded in the first ones, and reads the features from ``outputs``.
    """

    n_regs: int
    code: np.ndarray
    phases: list[tuple[int, int, list[tuple[int, int]]]]
    consts: np.ndarray  # consts[0] is the application moment, filled per call
    float_loads: list[tuple[str, int]]
    code_loads: list[tuple[str, int]]
    literal_codes: list[tuple[int, Any]]  # (const slot, value) looked up per call
    n_codes_slot: int  # const slot for the number of distinct codes (-1: unused)
    outputs: np.ndarray  # post stage: the features' registers

    def run(self, cols: Mapping[str, np.ndarray], n: int, t: float, out: np.ndarray) -> bool:
        """Write the aggregates of the ``n`` rows ``cols`` to ``out``.

        Returns False (and leaves ``out``) if an object column holds unhashable values.
        """
        regs = np.empty((self.n_regs, n))
        for name, reg in self.float_loads:
            regs[reg] = cols[name]
        consts = self.consts.copy()
        consts[0] = t
        if self.code_loads and not self._load_codes(cols, regs, consts):
            return False
        self._run_phases(regs, consts, out)
        return True

    def run_post(self, aggs: np.ndarray, t: float) -> list[float]:
        """The features from the aggregates ``aggs``."""
        regs = np.empty((self.n_regs, 1))
        regs[: aggs.size, 0] = aggs
        consts = self.consts.copy()
        consts[0] = t
        self._run_phases(regs, consts, aggs[:0])
        return regs[self.outputs, 0].tolist()

    def _run_phases(self, regs: np.ndarray, consts: np.ndarray, out: np.ndarray) -> None:
        for start, stop, logs in self.phases:
            run_code(regs, self.code, start, stop, consts, out)
            for dst, src in logs:
                np.log(regs[src], out=regs[dst])

    def _load_codes(
        self, cols: Mapping[str, np.ndarray], regs: np.ndarray, consts: np.ndarray
    ) -> bool:
        encoded = encode_objects([cols[name] for name, _ in self.code_loads])
        if encoded is None:
            return False
        arrays, codes = encoded
        for (_, reg), arr in zip(self.code_loads, arrays):
            regs[reg] = arr
        for slot, value in self.literal_codes:
            consts[slot] = codes.get(value, -1.0)
        if self.n_codes_slot >= 0:
            consts[self.n_codes_slot] = len(codes)
        return True


def encode_objects(
    columns: list[np.ndarray],
) -> tuple[list[np.ndarray], dict[Any, float]] | None:
    """One numbering of the values of object columns: float codes, NaN for None.

    Equal codes mean equal values, by the hash-and-equality rules of Python's sets (which
    NumPy's object ``==`` and ``np.isin`` agree with). Returns the columns' codes and the
    code of each distinct value (look literals up there), or ``None`` if some value is
    unhashable. Long columns are numbered by ``pandas.factorize`` (a C hash table), as
    long as its rules agree: every missing value it finds is ``None`` (it merges NaN and
    other missing values) and the distinct values are numbers or strings.
    """
    if sum(len(c) for c in columns) >= 128:
        out = _encode_by_pandas(columns)
        if out is not None:
            return out
    lists = [c.tolist() for c in columns]
    try:
        distinct = dict.fromkeys(chain.from_iterable(lists))
    except TypeError:
        return None
    distinct.pop(None, None)
    codes: dict[Any, float] = {v: float(i) for i, v in enumerate(distinct)}
    lookup = codes.copy()
    lookup[None] = np.nan
    arrays = [np.fromiter(map(lookup.__getitem__, x), np.float64, len(x)) for x in lists]
    return arrays, codes


_PLAIN = (str, int, float, np.integer, np.floating)


def _encode_by_pandas(
    columns: list[np.ndarray],
) -> tuple[list[np.ndarray], dict[Any, float]] | None:
    import pandas as pd

    joined = np.concatenate(columns) if len(columns) > 1 else columns[0]
    try:
        numbers, uniques = pd.factorize(joined)
    except TypeError:
        return None
    distinct = uniques.tolist()
    if not all(isinstance(v, _PLAIN) for v in distinct):
        return None
    missing = numbers < 0
    if missing.any() and any(v is not None for v in joined[missing].tolist()):
        return None
    codes = numbers.astype(np.float64)
    codes[missing] = np.nan
    arrays, start = [], 0
    for c in columns:
        arrays.append(codes[start : start + len(c)])
        start += len(c)
    return arrays, {v: float(i) for i, v in enumerate(distinct)}


def build_program(aggs: list[Expr], dtypes: Mapping[str, np.dtype]) -> Program | None:
    """The program computing ``aggs`` on columns of ``dtypes``; ``None`` if unsupported."""
    try:
        return _ProgramBuilder(aggs, dtypes).program()
    except Unsupported:
        return None


def build_post_program(exprs: list[Expr], agg_keys: list[str]) -> Program | None:
    """The program computing the post-stage ``exprs`` from the aggregates ``agg_keys``
    (preloaded in that order); ``None`` if unsupported."""
    builder = _ProgramBuilder([], {}, {key: i for i, key in enumerate(agg_keys)})
    try:
        return builder.program(exprs)
    except Unsupported:
        return None


@dataclass
class _ProgramBuilder:
    aggs: list[Expr]
    dtypes: Mapping[str, np.dtype]
    preloaded: Mapping[str, int] = field(default_factory=dict)  # key -> register
    regs: dict[str, tuple[int, str, int]] = field(default_factory=dict)  # reg, kind, phase
    ops: list[tuple[int, list[int]]] = field(default_factory=list)  # (phase, instruction)
    logs: list[tuple[int, int, int]] = field(default_factory=list)  # (phase, dst, src)
    consts: list[float] = field(default_factory=lambda: [np.nan])
    float_loads: list[tuple[str, int]] = field(default_factory=list)
    code_loads: list[tuple[str, int]] = field(default_factory=list)
    literal_codes: list[tuple[int, Any]] = field(default_factory=list)
    n_regs: int = 0
    n_codes_slot: int = -1

    def __post_init__(self) -> None:
        for key, reg in self.preloaded.items():
            self.regs[key] = (reg, "f", 0)
        self.n_regs = len(self.preloaded)

    def program(self, outputs: list[Expr] | None = None) -> Program:
        """The aggregates' program; with ``outputs``, a post-stage program computing them."""
        for i, node in enumerate(self.aggs):
            self._agg(i, node)
        out_regs = [self._value(e)[0] for e in outputs or []]
        n_phases = 1 + max([p for p, _ in self.ops] + [p for p, _, _ in self.logs], default=0)
        rows: list[list[int]] = []
        phases = []
        for p in range(n_phases):
            start = len(rows)
            ops = [ins for q, ins in self.ops if q == p]
            rows.extend(ins for ins in ops if ins[0] != _AGG)
            # aggregates of one (value, mask) in a row share their kept values; those that
            # sort them (median, nunique) come last
            aggs = [ins for ins in ops if ins[0] == _AGG]
            rows.extend(sorted(aggs, key=lambda ins: (ins[2], ins[3], ins[4] in _SORTING)))
            logs = [(dst, src) for q, dst, src in self.logs if q == p]
            phases.append((start, len(rows), logs))
        return Program(
            n_regs=self.n_regs,
            code=np.array(rows, dtype=np.int64).reshape(-1, 5),
            phases=phases,
            consts=np.array(self.consts, dtype=np.float64),
            float_loads=self.float_loads,
            code_loads=self.code_loads,
            literal_codes=self.literal_codes,
            n_codes_slot=self.n_codes_slot,
            outputs=np.array(out_regs, dtype=np.intp),
        )

    def _agg(self, index: int, e: Expr) -> None:
        kind, _source, value, mask = e.args
        v, v_kind, v_phase = self._value(value)
        if v_kind == "c" and kind not in ("count", "nunique"):
            raise Unsupported("only counts of objects")
        m, phase = -1, v_phase
        if mask is not None:
            m, m_kind, m_phase = self._value(mask)
            if m_kind != "f":
                raise Unsupported("object mask")
            phase = max(phase, m_phase)
        self.ops.append((phase, [_AGG, index, v, m, AGG_CODES[kind]]))

    def _new(self, key: str, kind: str, phase: int) -> int:
        reg = self.n_regs
        self.n_regs += 1
        self.regs[key] = (reg, kind, phase)
        return reg

    def _emit(self, key: str, op: int, args: list[tuple[int, str, int]], *extra: int) -> int:
        phase = max([p for _, _, p in args], default=0)
        reg = self._new(key, "f", phase)
        operands = [r for r, _, _ in args] + list(extra)
        self.ops.append((phase, [op, reg, *operands, *[-1] * (3 - len(operands))]))
        return reg

    def _const(self, value: float) -> int:
        self.consts.append(value)
        return len(self.consts) - 1

    def _value(self, e: Expr) -> tuple[int, str, int]:
        hit = self.regs.get(e.key)
        if hit is None:
            self._compute(e)
            hit = self.regs[e.key]
        return hit

    def _compute(self, e: Expr) -> None:
        op, a, key = e.op, e.args, e.key
        if op == "col":
            self._column(key, a[0])
        elif op == "lit":
            self._emit(key, _FILL, [], self._const(_number(a[0])))
        elif op in ("eq", "ne") and self._object_literal(a[0], a[1]):
            self._compare_objects(e)
        elif op in _OPCODES:
            self._emit(key, _OPCODES[op], [self._number(a[0]), self._number(a[1])])
        elif op == "not":
            self._emit(key, _NOT, [self._number(a[0])])
        elif op == "float":
            self.regs[key] = self._number(a[0])
        elif op == "is_null":
            self._emit(key, _ISNULL, [self._value(a[0])])
        elif op == "when":
            self._emit(key, _WHEN, [self._number(x) for x in a])
        elif op == "is_in":
            self._is_in(e)
        elif op == "log":
            x, _, phase = self._number(a[0])
            reg = self._new(key, "f", phase + 1)
            self.logs.append((phase, reg, x))
        elif op == "over":
            self._over(e)
        else:
            raise Unsupported(op)

    def _column(self, key: str, name: str) -> None:
        if name == "_t":
            self._emit(key, _FILL, [], 0)
            return
        dtype = self.dtypes.get(name)
        if dtype is None:
            raise Unsupported(f"column {name!r} outside an aggregate")
        if dtype == np.float64:
            self.float_loads.append((name, self._new(key, "f", 0)))
        elif dtype == np.dtype(object):
            self.code_loads.append((name, self._new(key, "c", 0)))
        else:
            raise Unsupported(f"column {name!r} of dtype {dtype}")

    def _number(self, e: Expr) -> tuple[int, str, int]:
        out = self._value(e)
        if out[1] != "f":
            raise Unsupported("arithmetic on objects")
        return out

    def _object_literal(self, x: Expr, y: Expr) -> bool:
        """Whether ``x`` vs ``y`` compares objects with a literal."""
        if (x.op == "lit") == (y.op == "lit"):
            return False
        return self._value(y if x.op == "lit" else x)[1] == "c"

    def _compare_objects(self, e: Expr) -> None:
        # an object column against a literal: compare codes (None and NaN match nothing)
        x, y = e.args
        if x.op == "lit":
            x, y = y, x
        literal = y.args[0]
        lit_key = f"code:{y.key}"
        if lit_key not in self.regs:
            if literal is None or (isinstance(literal, float) and literal != literal):
                slot = self._const(np.nan)
            elif _plain_literal(literal):
                slot = self._const(-1.0)
                self.literal_codes.append((slot, literal))
            else:
                raise Unsupported(f"comparison with {literal!r}")
            self._emit(lit_key, _FILL, [], slot)
        op = _EQ if e.op == "eq" else _NE
        self._emit(e.key, op, [self._value(x), self.regs[lit_key]])

    def _is_in(self, e: Expr) -> None:
        x, values = e.args
        arg = self._value(x)
        if arg[1] != "c" or not all(_plain_literal(v) for v in values):
            raise Unsupported("is_in outside object columns")
        start = len(self.consts)
        for v in values:
            slot = self._const(-1.0)
            self.literal_codes.append((slot, v))
        self._emit(e.key, _ISIN, [arg], start, len(values))

    def _over(self, e: Expr) -> None:
        kind, inner, by = e.args
        value = self._number(inner)
        op = _OVER_SUM if kind == "sum" else _OVER_MAX
        if not by:
            self._emit(e.key, op, [value], -1, -1)
            return
        if len(by) != 1:
            raise Unsupported("windows over several columns")
        group = self._value(Expr("col", by[0]))
        if group[1] != "c":
            raise Unsupported("windows over numbers")
        if self.n_codes_slot < 0:
            self.n_codes_slot = self._const(0.0)
        self._emit(e.key, op, [value, group], self.n_codes_slot)


def _number(value: Any) -> float:
    # the tree walker's literals: None is null, booleans and numbers are float64
    if value is None:
        return np.nan
    if isinstance(value, (bool, int, float)):
        return float(np.float64(value))
    raise Unsupported(f"literal {value!r}")


def _plain_literal(value: Any) -> bool:
    """Hashable, and equal to itself: a member matches by code exactly as by ``==``."""
    try:
        hash(value)
    except TypeError:
        return False
    return value is not None and value == value


# ---------------------------------------------------------------------------------------
# compiled kernels of the machine
# ---------------------------------------------------------------------------------------


@numba.njit(cache=True, nogil=True, error_model="numpy")
def run_code(
    regs: np.ndarray,
    code: np.ndarray,
    start: int,
    stop: int,
    consts: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover
    """Run ``code[start:stop]`` on the registers ``regs`` (one row each)."""
    n = regs.shape[1]
    buf = np.empty(n, np.float64)
    tmp = np.empty(n, np.float64)
    seen = np.zeros(0, np.int64)  # distinct counts of whole numbers, made on first use
    last = -1  # the aggregate whose kept values buf[:kept] holds, in row order
    kept = 0
    for k in range(start, stop):
        op = code[k, 0]
        dst = code[k, 1]
        a = code[k, 2]
        b = code[k, 3]
        c = code[k, 4]
        if op == _FILL:
            regs[dst, :] = consts[a]
        elif op <= _OR:
            _binary(op, regs[dst], regs[a], regs[b])
        elif op in (_NOT, _ISNULL):
            _unary(op, regs[dst], regs[a])
        elif op == _WHEN:
            z, cond, x, y = regs[dst], regs[a], regs[b], regs[c]
            for i in range(n):
                z[i] = x[i] if cond[i] != 0.0 else y[i]
        elif op == _ISIN:
            is_in(regs[dst], regs[a], consts[b : b + c])
        elif op in (_OVER_SUM, _OVER_MAX):
            n_groups = int(consts[c]) + 1 if b >= 0 else 0
            group = regs[b] if b >= 0 else regs[a]
            over_window(op == _OVER_SUM, regs[dst], regs[a], group, n_groups, buf)
            last = -1  # buf overwritten
        else:
            if last < 0 or code[last, 2] != a or code[last, 3] != b:
                mask = regs[b] if b >= 0 else regs[a]
                kept = keep(regs[a], mask, b >= 0, buf)
            last = k
            if c == _NUNIQUE and seen.size == 0:
                seen = np.zeros(4 * n + 64, np.int64)
            out[dst] = reduce_kept(c, buf, kept, tmp, seen)
            if c in _SORTING:
                last = -1  # buf reordered


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _binary(op: int, z: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:  # pragma: no cover
    """``z = x op y`` elementwise, with NumPy's rules (``div`` by 0 is null)."""
    n = z.size
    if op == _ADD:
        for i in range(n):
            z[i] = x[i] + y[i]
    elif op == _SUB:
        for i in range(n):
            z[i] = x[i] - y[i]
    elif op == _MUL:
        for i in range(n):
            z[i] = x[i] * y[i]
    elif op == _DIV:
        for i in range(n):
            z[i] = x[i] / y[i] if y[i] != 0.0 else np.nan
    elif op == _FLOORDIV:
        for i in range(n):
            z[i] = floor_divide(x[i], y[i])
    elif op == _MOD:
        for i in range(n):
            z[i] = remainder(x[i], y[i])
    elif op == _LT:
        for i in range(n):
            z[i] = 1.0 if x[i] < y[i] else 0.0
    elif op == _LE:
        for i in range(n):
            z[i] = 1.0 if x[i] <= y[i] else 0.0
    elif op == _GT:
        for i in range(n):
            z[i] = 1.0 if x[i] > y[i] else 0.0
    elif op == _GE:
        for i in range(n):
            z[i] = 1.0 if x[i] >= y[i] else 0.0
    elif op == _EQ:
        for i in range(n):
            z[i] = 1.0 if x[i] == y[i] else 0.0
    elif op == _NE:
        for i in range(n):
            z[i] = 1.0 if x[i] != y[i] else 0.0
    elif op == _AND:
        for i in range(n):
            z[i] = 1.0 if x[i] != 0.0 and y[i] != 0.0 else 0.0
    else:
        for i in range(n):
            z[i] = 1.0 if x[i] != 0.0 or y[i] != 0.0 else 0.0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _unary(op: int, z: np.ndarray, x: np.ndarray) -> None:  # pragma: no cover
    """``not`` (NaN is true, as in NumPy's bool cast) or ``is_null`` elementwise."""
    if op == _NOT:
        for i in range(z.size):
            z[i] = 1.0 if x[i] == 0.0 else 0.0
    else:
        for i in range(z.size):
            z[i] = 1.0 if x[i] != x[i] else 0.0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def is_in(z: np.ndarray, x: np.ndarray, members: np.ndarray) -> None:  # pragma: no cover
    """``z = x in members``: codes (whole numbers from 0, NaN for None) looked up in a
    table of the members' codes (-1: a literal no row holds)."""
    size = 0
    for v in members:
        size = max(size, int(v) + 1)
    table = np.zeros(size, np.bool_)
    for v in members:
        if v >= 0.0:
            table[int(v)] = True
    for i in range(x.size):
        v = x[i]
        z[i] = 1.0 if v == v and v < size and table[int(v)] else 0.0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def floor_divide(a: float, b: float) -> float:  # pragma: no cover
    """``np.floor_divide`` of two floats (NumPy's ``npy_floor_divide``)."""
    if b == 0.0:
        return a / b
    if _integral(a) and _integral(b):  # exact for such whole numbers, and quicker
        return np.floor(a / b)
    mod = np.fmod(a, b)
    div = (a - mod) / b
    if mod != 0.0 and (b < 0.0) != (mod < 0.0):
        div -= 1.0
    if div != 0.0:
        floordiv = np.floor(div)
        if div - floordiv > 0.5:
            floordiv += 1.0
        return floordiv
    return math.copysign(0.0, a / b)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def remainder(a: float, b: float) -> float:  # pragma: no cover
    """``np.mod`` of two floats (NumPy's ``npy_remainder``)."""
    if b == 0.0 or b != b or a != a:
        return np.nan
    if _integral(a) and _integral(b):
        r = a - b * np.floor(a / b)
        return r if r != 0.0 else math.copysign(0.0, b)
    mod = np.fmod(a, b)
    if mod != 0.0:
        if (b < 0.0) != (mod < 0.0):
            mod += b
        return mod
    return math.copysign(0.0, b)


@numba.njit(cache=True, nogil=True, inline="always")
def _integral(x: float) -> bool:  # pragma: no cover
    """A whole number of magnitude below 2**52.

    For two such numbers (the divisor not 0) the rounded quotient never reaches the next
    whole number, so ``floor(a / b)`` is the exact floor, and ``a - b * floor(a / b)``
    the exact remainder: what NumPy's division algorithm gives, in a few instructions.
    """
    return -4503599627370496.0 < x < 4503599627370496.0 and x == np.floor(x)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def pairwise_sum(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover
    """NumPy's pairwise sum of ``a[lo:lo + n]`` (``np.add.reduce`` adds it to 0.0).

    Blocks of up to 128 values are summed by :func:`_block_sum`; a longer range is
    split in two (the first half a multiple of 8) and the halves' sums are added. The
    recursion runs on an explicit stack: numba cannot cache recursive functions.
    """
    if n <= 128:
        return _block_sum(a, lo, n)
    starts = np.empty(64, np.int64)  # the frames: a range, and its left half's sum
    sizes = np.empty(64, np.int64)
    left = np.empty(64, np.float64)
    has_left = np.zeros(64, np.bool_)
    top = 0
    starts[0] = lo
    sizes[0] = n
    while True:
        if sizes[top] > 128:  # descend into the left half
            has_left[top] = False
            top += 1
            starts[top] = starts[top - 1]
            sizes[top] = _left_size(sizes[top - 1])
            continue
        total = _block_sum(a, starts[top], sizes[top])
        top -= 1
        while top >= 0 and has_left[top]:  # a right half: finish its parents
            total = left[top] + total
            top -= 1
        if top < 0:
            return total
        left[top] = total  # a left half: on to its right sibling
        has_left[top] = True
        half = _left_size(sizes[top])
        top += 1
        starts[top] = starts[top - 1] + half
        sizes[top] = sizes[top - 1] - half


@numba.njit(cache=True, nogil=True, inline="always")
def _left_size(n: int) -> int:  # pragma: no cover
    half = n // 2
    return half - half % 8


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _block_sum(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover
    """NumPy's sum of up to 128 values: eight interleaved partial sums, then the rest."""
    if n < 8:
        res = -0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    stop = lo + n - n % 8
    i = lo + 8
    while i < stop:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        res += a[i]
        i += 1
    return res


@numba.njit(cache=True, nogil=True, error_model="numpy")
def keep(
    x: np.ndarray, mask: np.ndarray, use_mask: bool, buf: np.ndarray
) -> int:  # pragma: no cover
    """Copy the present values of ``x`` where ``mask`` is true (non-zero) to ``buf``, in
    row order; how many."""
    k = 0
    if use_mask:
        for i in range(x.size):  # branch-free: masks are unpredictable
            v = x[i]
            buf[k] = v
            k += (v == v) & (mask[i] != 0.0)
    else:
        for i in range(x.size):
            v = x[i]
            buf[k] = v
            k += v == v
    return k


@numba.njit(cache=True, nogil=True, error_model="numpy")
def reduce_kept(
    kind: int, buf: np.ndarray, k: int, tmp: np.ndarray, seen: np.ndarray
) -> float:  # pragma: no cover
    """One aggregate (an :data:`AGG_CODES` kind) of ``buf[:k]``, as NumPy computes it.

    ``median`` and ``nunique`` may reorder ``buf[:k]``; ``tmp`` is scratch, and ``seen``
    (zeros, or marks below any earlier mark) counts distinct whole numbers.
    """
    if kind == _COUNT:
        return float(k)
    if kind == _SUM:
        return 0.0 + pairwise_sum(buf, 0, k)
    if kind == _NUNIQUE:
        return float(_distinct(buf, k, seen))
    if k == 0:
        return np.nan
    if kind == _MEAN:
        return (0.0 + pairwise_sum(buf, 0, k)) / k
    if kind in (_MIN, _MAX):
        best = buf[0]
        for i in range(1, k):
            if (buf[i] < best) if kind == _MIN else (buf[i] > best):
                best = buf[i]
        return best
    if kind == _MEDIAN:  # np.median: the mean of the middle value(s)
        _shell_sort(buf, k)
        if k % 2:
            return 0.0 + pairwise_sum(buf, k // 2, 1)
        return (0.0 + pairwise_sum(buf, k // 2 - 1, 2)) / 2.0
    if k < 2:
        return np.nan
    mean = (0.0 + pairwise_sum(buf, 0, k)) / k  # x.std(ddof=1), step by step
    for i in range(k):
        d = buf[i] - mean
        tmp[i] = d * d
    return math.sqrt((0.0 + pairwise_sum(tmp, 0, k)) / (k - 1))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _distinct(buf: np.ndarray, k: int, seen: np.ndarray) -> int:  # pragma: no cover
    """Distinct values of ``buf[:k]`` (-0.0 and 0.0 are one, as in a Python set).

    Whole numbers within a span ``seen`` can index (days, codes...) are marked there with
    a number larger than any mark before (``seen[-1]`` keeps the last); others are sorted
    and counted.
    """
    if k == 0:
        return 0
    lo = buf[0]
    hi = buf[0]
    whole = True
    for i in range(k):
        lo = min(lo, buf[i])
        hi = max(hi, buf[i])
        whole &= buf[i] == np.floor(buf[i])
    if whole and hi - lo < seen.size - 1:
        seen[-1] += 1
        mark = seen[-1]
        distinct = 0
        for i in range(k):
            j = int(buf[i] - lo)
            if seen[j] != mark:
                seen[j] = mark
                distinct += 1
        return distinct
    _shell_sort(buf, k)
    distinct = 1
    for i in range(1, k):
        if buf[i] != buf[i - 1]:
            distinct += 1
    return distinct


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _shell_sort(buf: np.ndarray, k: int) -> None:  # pragma: no cover
    """Sort ``buf[:k]`` in place (no NaN): short arrays, no allocation, quick to compile."""
    gap = 1
    while gap * 3 + 1 < k:
        gap = gap * 3 + 1
    while gap > 0:
        for i in range(gap, k):
            v = buf[i]
            j = i
            while j >= gap and buf[j - gap] > v:
                buf[j] = buf[j - gap]
                j -= gap
            buf[j] = v
        gap //= 3


@numba.njit(cache=True, nogil=True, error_model="numpy")
def over_window(
    is_sum: bool, z: np.ndarray, x: np.ndarray, group: np.ndarray, n_groups: int, buf: np.ndarray
) -> None:  # pragma: no cover
    """Sum or max of the present ``x`` of each row's group, written to every row.

    ``group`` holds codes ``0..n_groups - 2`` (NaN: the group ``n_groups - 1``); with no
    groups (``n_groups == 0``) all rows are one. The tree walker's rules: a sum adds the
    rows in order per group (``np.bincount``) or pairwise over all rows; a max of no
    present value, or of ``-inf`` only within a group, is null.
    """
    n = x.size
    if n_groups == 0:
        if is_sum:
            k = 0
            for i in range(n):
                buf[k] = x[i]
                if x[i] == x[i]:
                    k += 1
            total = 0.0 + pairwise_sum(buf, 0, k)
        else:
            total = np.nan
            for i in range(n):
                if x[i] == x[i] and not x[i] <= total:
                    total = x[i]
        z[:] = total
        return
    acc = np.zeros(n_groups) if is_sum else np.full(n_groups, -np.inf)
    ids = np.empty(n, np.int64)
    for i in range(n):
        g = int(group[i]) if group[i] == group[i] else n_groups - 1
        ids[i] = g
        if is_sum:
            acc[g] += x[i] if x[i] == x[i] else 0.0
        elif x[i] == x[i] and x[i] > acc[g]:
            acc[g] = x[i]
    if not is_sum:
        for g in range(n_groups):
            if acc[g] == -np.inf:
                acc[g] = np.nan
    for i in range(n):
        z[i] = acc[ids[i]]


# ---------------------------------------------------------------------------------------
# step programs: any expression, one NumPy closure per distinct node
# ---------------------------------------------------------------------------------------


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
