"""Compile feature definitions into one engine-neutral plan and run it on narwhals frames.

The plan groups every aggregate of every feature by source, shares identical work (same
key = same expression), and materialises row-level masks, values and ``over`` windows as
columns before one ``group_by`` per source, so engines that do not eliminate common
sub-expressions inside aggregations (and Spark, which needs windows outside them) run
each piece once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from thinfile_credit.features import pit
from thinfile_credit.features._expr import AGG_KINDS, Expr, iter_aggs, to_narwhals
from thinfile_credit.features._local_time import clocks_read, read_from_base, rename_columns
from thinfile_credit.features.spec import FeatureDef

__all__ = ["Plan", "make_plan", "run_narwhals"]

APP = "_app"


@dataclass
class SourcePlan:
    """Row-level columns and aggregates of one source."""

    rows: dict[str, Expr] = field(default_factory=dict)  # key -> column name via names
    row_names: dict[str, str] = field(default_factory=dict)
    aggs: dict[str, Expr] = field(default_factory=dict)  # agg column name -> agg node

    def windows(self) -> dict[str, Expr]:
        """The ``over`` windows among the row-level columns (key -> node)."""
        return {k: n for k, n in self.rows.items() if n.op == "over"}

    def by_window_columns(self, e: Expr) -> Expr:
        """``e`` reading every materialised ``over`` window from its column.

        Columns created in one ``with_columns`` cannot see each other, so expressions of a
        later stage refer to the windows by name.
        """
        if e.op == "over" and e.key in self.row_names:
            return Expr("col", self.row_names[e.key])
        if e.op in ("col", "lit"):
            return e
        return Expr(
            e.op, *[self.by_window_columns(a) if isinstance(a, Expr) else a for a in e.args]
        )


@dataclass
class Plan:
    """Everything needed to compute a list of features on any engine."""

    features: list[FeatureDef]
    sources: dict[str, SourcePlan]
    agg_names: dict[str, str]  # agg key -> column name
    # the online path's compiled form, built on first use (see _compiled.compile_plan)
    compiled: Any = field(default=None, repr=False, compare=False)
    #: the local clocks (virtual columns, see :mod:`._local_time`) the expressions read
    clocks: frozenset[str] = frozenset()
    _localised: dict[frozenset[str], Plan] = field(default_factory=dict, repr=False, compare=False)

    def agg_column(self, node: Expr) -> str:
        """Column holding the value of aggregate ``node`` in the wide frame."""
        return self.agg_names[node.key]

    def localised(self, computed: frozenset[str] = frozenset()) -> Plan:
        """This plan reading the local clocks ``computed`` as columns, and every other
        clock that equals its base column when not computed (the own clock of a naive or
        UTC column, the UTC clock) from that base column.

        Cached per ``computed``, so each variant (and its compiled online form) is built
        once.
        """
        if not self.clocks:
            return self
        hit = self._localised.get(computed)
        if hit is None:
            bases = {c: read_from_base(c) for c in self.clocks if c not in computed}
            names = {c: base for c, base in bases.items() if base is not None}
            hit = self
            if names:
                hit = make_plan(
                    [replace(f, expr=rename_columns(f.expr, names)) for f in self.features]
                )
            self._localised[computed] = hit
        return hit


def make_plan(features: list[FeatureDef]) -> Plan:
    """Collect, deduplicate and name the work behind ``features``."""
    sources: dict[str, SourcePlan] = {}
    agg_names: dict[str, str] = {}
    for feat in features:
        for node in iter_aggs(feat.expr):
            if node.key in agg_names:
                continue
            _kind, source, value, mask = node.args
            sp = sources.setdefault(source, SourcePlan())
            name = f"_a{len(agg_names)}"
            agg_names[node.key] = name
            sp.aggs[name] = node
            inner = value if mask is None else Expr("when", mask, value, Expr("lit", None))
            # engines aggregate a plain column fastest (Polars' group-by fast path): the
            # masked value is materialised once per aggregate as a row-level column.
            if inner.op != "col":
                _register_rows(inner, sp)
    clocks = clocks_read(f.expr for f in features)
    return Plan(features=features, sources=sources, agg_names=agg_names, clocks=clocks)


def _register_rows(expr: Expr, sp: SourcePlan) -> None:
    # windows first (they may be used inside the parts), then the part itself
    for node in _iter_over(expr):
        if node.key not in sp.row_names:
            sp.row_names[node.key] = f"_r{len(sp.row_names)}"
            sp.rows[node.key] = node
    if expr.key not in sp.row_names:
        sp.row_names[expr.key] = f"_r{len(sp.row_names)}"
        sp.rows[expr.key] = expr


def _iter_over(expr: Expr) -> list[Expr]:
    found: list[Expr] = []
    if expr.op == "over":
        found.extend(_iter_over(expr.args[1]))
        found.append(expr)
        return found
    for arg in expr.args:
        if isinstance(arg, Expr):
            found.extend(_iter_over(arg))
    return found


def run_narwhals(
    plan: Plan,
    apps: Any,
    frames: dict[str, Any],
    *,
    default_dpd: int = 90,
) -> Any:
    """Compute every feature of ``plan`` for every application (narwhals LazyFrames).

    Parameters
    ----------
    plan : Plan
        From :func:`make_plan`.
    apps : narwhals.LazyFrame
        ``_app``, ``user_id``, ``_t``.
    frames : dict
        Prepared event tables (timestamps in integer microseconds); absent tables are
        treated as empty.

    Returns
    -------
    narwhals.LazyFrame
        ``_app`` plus one Float64 column per feature (null where undefined).
    """
    import narwhals.stable.v2 as nw

    wide = apps.select(APP, "_t")
    for source, sp in plan.sources.items():
        needed = pit.SOURCE_TABLES[source]
        if not all(t in frames for t in needed):
            wide = wide.with_columns(
                *[nw.lit(AGG_KINDS[node.args[0]]).alias(name) for name, node in sp.aggs.items()]
            )
            continue
        cut = pit.cut_narwhals(source, apps, frames, default_dpd=default_dpd)
        first, second = _row_columns(sp)
        if first:
            cut = cut.with_columns(*first)
        if second:
            cut = cut.with_columns(*second)
        named = [_agg_expr(node, sp).alias(name) for name, node in sp.aggs.items()]
        grouped = cut.group_by(APP).agg(*named)
        wide = wide.join(grouped, on=APP, how="left")
    post = [
        to_narwhals(f.expr, APP, agg_column=plan.agg_column).cast(nw.Float64).alias(f.name)
        for f in plan.features
    ]
    return wide.select(APP, *post)


def _row_columns(sp: SourcePlan) -> tuple[list[Any], list[Any]]:
    """Materialised row-level expressions: ``over`` windows first, then the rest.

    Columns created in one ``with_columns`` cannot see each other, so the second stage
    refers to the windows of the first by name and to nothing else.
    """
    windows = sp.windows()
    first = [to_narwhals(n, APP).alias(sp.row_names[k]) for k, n in windows.items()]
    second = [
        to_narwhals(sp.by_window_columns(n), APP).alias(sp.row_names[k])
        for k, n in sp.rows.items()
        if k not in windows
    ]
    return first, second


def _agg_expr(node: Expr, sp: SourcePlan) -> Any:
    kind, source, value, mask = node.args
    inner = value if mask is None else Expr("when", mask, value, Expr("lit", None))
    if inner.op != "col":
        inner = Expr("col", sp.row_names[inner.key])
    return to_narwhals(Expr("agg", kind, source, inner, None), APP)
