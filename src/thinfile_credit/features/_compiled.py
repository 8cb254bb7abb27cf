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
  than float64 and object) is evaluated by the tree walker itself, for that source or
  for the post stage (seeded with the aggregates already computed).

This module holds the entry point: :class:`CompiledPlan`, which runs one source after
another and then the post stage, and :func:`compile_plan`. The machine's programs are
built in :mod:`~thinfile_credit.features._vm` and run by the kernels of
:mod:`~thinfile_credit.features._vm_kernels`.

The machine follows the tree walker's rules to the bit: NumPy's pairwise summation, its
floor division and remainder, ``std`` with ``ddof=1``, ``np.median``, natural logarithms
by NumPy itself (between machine calls). Two liberties: the ``min`` or ``max`` of values
equal but for the sign of zero may be either (so may NumPy's, by SIMD lane); and an
``over`` partition by an object column groups values by Python's equality, where the
walker groups them by their text, so the two differ on columns mixing ``7`` and ``"7"``
(or ``1`` and ``1.0``), which a typed event table never holds.
``tests/features/test_compiled.py`` checks the compiled plan against the walker, and the
machine's arithmetic against NumPy's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from thinfile_credit.features._expr import Expr, NumpyEvaluator, _nrows, empty_value
from thinfile_credit.features._plan import Plan
from thinfile_credit.features._vm import Program, build_post_program, build_program

__all__ = ["CompiledPlan", "compile_plan"]

_MISSING: Any = object()


class CompiledPlan:
    """Features of one application from its point-in-time cut.

    Each source writes its aggregates to a contiguous range of one array
    (:class:`SourceRunner`); the post program (or, when the machine cannot run the post
    stage, the tree walker) computes the features from them.
    """

    def __init__(self) -> None:
        self.n_aggs = 0
        self.sources: dict[str, SourceRunner] = {}
        self.post: Program | None = None
        self.exprs: list[Expr] = []  # the features' expressions
        self.agg_keys: list[str] = []  # the aggregates' keys, in their order in the array
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
        return _walk_post(self.exprs, self.agg_keys, aggs, t)


class SourceRunner:
    """The aggregates of one source, written to ``aggs[lo:hi]`` in plan order.

    Runs a :class:`Program`, built on first use for the dtypes of the source's columns
    (one set in practice), or the tree walker when the machine cannot run the
    expressions on those dtypes.
    """

    def __init__(self, source: str, aggs: list[Expr], lo: int):
        self.source = source
        self.aggs = aggs
        self.lo = lo
        self.hi = lo + len(aggs)
        self.empty = np.array([empty_value(node) for node in aggs])
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
            aggs[self.lo : self.hi] = _walk_source(self.source, self.aggs, cols, t)

    def _program(self, cols: Mapping[str, np.ndarray]) -> Program | None:
        try:
            dtypes = tuple([cols[c].dtype for c in self.columns])
        except (KeyError, AttributeError):
            return None  # the tree walker reports what is wrong
        program = self.programs.get(dtypes, _MISSING)
        if program is _MISSING:
            program = build_program(self.aggs, dict(zip(self.columns, dtypes)))
            self.programs[dtypes] = program
        return program


def compile_plan(plan: Plan) -> CompiledPlan:
    """Compile every feature of ``plan`` into one :class:`CompiledPlan`.

    Raises
    ------
    ValueError
        A feature reads a column outside an aggregate.
    """
    out = CompiledPlan()
    out.names = [feat.name for feat in plan.features]
    out.exprs = [feat.expr for feat in plan.features]
    _check_post(out.exprs)
    for source, sp in plan.sources.items():
        aggs = list(sp.aggs.values())
        out.sources[source] = SourceRunner(source, aggs, len(out.agg_keys))
        out.agg_keys.extend(node.key for node in aggs)
    out.n_aggs = len(out.agg_keys)
    out.post = build_post_program(out.exprs, out.agg_keys)
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


def _check_post(exprs: list[Expr]) -> None:
    stack = list(exprs)
    while stack:
        e = stack.pop()
        if e.op == "agg":
            continue
        if e.op == "col" and e.args[0] != "_t":
            raise ValueError(f"column {e.args[0]!r} outside an aggregate")
        stack.extend(a for a in e.args if isinstance(a, Expr))


def _walk_source(
    source: str, aggs: list[Expr], cols: Mapping[str, np.ndarray], t: float
) -> list[float]:
    """The aggregates ``aggs`` of one source's rows ``cols``, by the tree walker."""
    return NumpyEvaluator({source: dict(cols)}, t).values(aggs)


def _walk_post(exprs: list[Expr], agg_keys: list[str], aggs: np.ndarray, t: float) -> list[float]:
    """The features ``exprs`` by the tree walker, from the aggregates already computed."""
    known = dict(zip(agg_keys, aggs.astype(np.float64).tolist()))
    return NumpyEvaluator({}, t, known=known).values(exprs)
