"""The vector machine's programs: built from expression trees, run by compiled kernels.

Each source's row-level expressions and aggregates become one :class:`Program`: every
distinct node is a register (a row of one 2-D float64 array) written by one instruction
of :mod:`~thinfile_credit.features._vm_kernels`, whose compiled loop runs the whole
program in one call (two or more when a logarithm sits in between: NumPy computes
those). The post stage, the arithmetic on aggregates that gives the features, is one
more program, one row long. Strings and other objects enter the machine as codes, one
number per distinct value of the call (:func:`encode_objects`). What the machine does
not run raises :class:`~thinfile_credit.features._expr.Unsupported` while building, and
the builders return ``None``: the caller then runs the tree walker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from thinfile_credit.features._expr import Expr, Unsupported
from thinfile_credit.features._vm_kernels import (
    _ADD,
    _AGG,
    _AND,
    _DIV,
    _EQ,
    _FILL,
    _FLOORDIV,
    _GE,
    _GT,
    _ISIN,
    _ISNULL,
    _LE,
    _LT,
    _MOD,
    _MUL,
    _NE,
    _NOT,
    _OR,
    _OVER_MAX,
    _OVER_SUM,
    _SORTING,
    _SUB,
    _WHEN,
    AGG_CODES,
    run_code,
)

__all__ = ["Program", "build_post_program", "build_program", "encode_objects"]

# the expression operators the machine runs as one binary instruction
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
