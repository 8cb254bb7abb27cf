"""The online evaluator compiled once per plan: one compiled pass per source.

:class:`~thinfile_credit.features._expr.NumpyEvaluator` walks the expression trees on
every call, looking nodes up by their structural key; for one applicant that bookkeeping,
and NumPy's overhead of about a microsecond per call on arrays of a few hundred rows, cost
far more than the arithmetic. :func:`compile_plan` resolves the walk once per plan:

* each source's row-level expressions and aggregates become one *program* of a small
  vector machine (:class:`~thinfile_credit.features._vm.Program`): every distinct node is
  a register (a row of one 2-D array) written by one instruction, and a compiled loop
  (:func:`~thinfile_credit.features._vm_kernels.run_code`, numba) runs the whole program,
  aggregates included, in one call (two or more when a logarithm sits in between: NumPy
  computes those);
* the post stage, the arithmetic on aggregates that gives the features, is one more
  program, one row long;
* what the machine does not run (``when`` over strings, say, or columns of another dtype
  than float64 and object) runs as a flat list of NumPy closures instead, one per
  distinct node (:class:`~thinfile_credit.features._steps.StepCompiler`).

This module holds the entry point: :class:`CompiledPlan`, which runs one source after
another and then the post stage, and :func:`compile_plan`. The machine's programs are
built in :mod:`~thinfile_credit.features._vm` and run by the kernels of
:mod:`~thinfile_credit.features._vm_kernels`; the step programs are in
:mod:`~thinfile_credit.features._steps`.

Both follow the tree walker's rules to the bit: NumPy's pairwise summation, its floor
division and remainder, ``std`` with ``ddof=1``, ``np.median``, natural logarithms by
NumPy itself (between machine calls). One liberty: the ``min`` or ``max`` of values equal
but for the sign of zero may be either (so may NumPy's, by SIMD lane).
``tests/features/test_compiled.py`` checks the compiled plan against the walker, and the
machine's arithmetic against NumPy's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from thinfile_credit.features._expr import AGG_KINDS, Expr
from thinfile_credit.features._plan import Plan
from thinfile_credit.features._steps import Step, StepCompiler, StepProgram
from thinfile_credit.features._vm import (
    Program,
    build_post_program,
    build_program,
    encode_objects,
)

__all__ = ["CompiledPlan", "Program", "build_program", "compile_plan", "encode_objects"]

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
