"""The embedded batch engine: compiled point-in-time cuts, then each source reduced.

For each source, the point-in-time cut of every application is found by a compiled pass
(:mod:`._gather`): the events of the application's user strictly before ``t``
(:data:`~pit.USER_CUTS`, links included through :func:`pit.edge_table`), or each
neighbour's bills due before ``t``. Each source is then reduced by a kernel generated
from its expressions (:mod:`._fused`), which also computes the features reading only
that source; a source whose expressions the generator does not write goes through the
block engine (:mod:`._blocks`). The post stage computes the remaining features (those reading
several sources, or a block-engine source) from the stored aggregates.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from thinfile_credit.features import _blocks, _fused, _gather, pit
from thinfile_credit.features._blocks import _Gathered, _reduce_gathered, _segment_bounds
from thinfile_credit.features._expr import Expr, empty_value, iter_aggs, to_narwhals
from thinfile_credit.features._plan import APP, Plan, SourcePlan
from thinfile_credit.features._windows import (
    _Axis,
    _window_column,
    _window_masks,
    _window_width,
)

__all__ = ["run_segments"]


def run_segments(
    plan: Plan,
    apps: pl.LazyFrame,
    frames: dict[str, pl.LazyFrame],
    n_apps: int,
    *,
    default_dpd: int = 90,
    batch: int = 12,
) -> pl.DataFrame:
    """Compute ``plan`` for applications ``0..n_apps-1`` (``apps``: _app, user_id, _t).

    Returns a frame with ``_app`` and one Float64 column per feature (NaN where a feature
    is undefined), in ``_app`` order.
    """
    import narwhals.stable.v2 as nw

    app_df = apps.select(APP, "user_id", "_t").collect()
    frames_nw = {n: nw.from_native(lf) for n, lf in frames.items()}
    columns: dict[str, np.ndarray] = {}
    done: dict[str, np.ndarray] = {}  # features computed by the sources' kernels
    local, outside = _local_features(plan)
    # the only users whose own events are read
    users = nw.from_native(app_df.select("user_id").unique().lazy())
    # the edge table and its cut serve the edges and the neighbours' bills: made once,
    # kept until the last of the two is done
    edge_sources = [s for s in ("edges", "peer_bills") if s in plan.sources]
    edge_cut: _Gathered | None = None
    for source, sp in plan.sources.items():
        if not all(table in frames for table in pit.SOURCE_TABLES[source]):
            for name, node in sp.aggs.items():
                columns[name] = np.full(n_apps, empty_value(node))
            continue
        if source in edge_sources and edge_cut is None:
            edges = pit.user_table("edges", frames_nw, default_dpd, users).to_native().collect()
            edge_cut = _user_cut(app_df, edges, pit.LINK_SINCE, ["peer_id"], in_order=True)
        features = local.get(source, {})
        if source == "edges":
            assert edge_cut is not None
            g, table = edge_cut, edge_cut.table
        elif source == "peer_bills":  # the neighbours' bills, cut through the edge table
            assert edge_cut is not None
            bills = pit.user_table("bills", frames_nw).to_native().collect()
            g = _gather_peer_bills(bills, edge_cut.block())
            # the expressions read the neighbour's id as peer_id
            table = bills.with_columns(pl.col("user_id").alias("peer_id"))
        else:
            table = pit.user_table(source, frames_nw, users=users).to_native().collect()
            g = None
        kernel = _kernel(sp, table, features, outside)
        if kernel is not None:
            if g is None:
                g = _user_cut(app_df, table, pit.USER_CUTS[source], [], in_order=True)
            q_app, q_t = g.per_query[APP], g.per_query["_t"]
            out = _reduce_fused(kernel, table, g.index, q_app, q_t, app_df, g.breaks)
            _split_outputs(out, features, columns, done)
        else:
            if source != "peer_bills":  # the block engine wants rows in window bands
                g = _gather_cut(source, sp, app_df, table)
            assert g is not None
            columns.update(_reduce_gathered(g, sp, n_apps, batch))
        if edge_sources and source == edge_sources[-1]:
            edge_cut = None
    # NaN marks "no value" in the NumPy reductions; the post stage reads it as null. The
    # frame wraps the NumPy arrays without copying them.
    wide = pl.DataFrame({APP: np.arange(n_apps, dtype=np.int64), "_t": app_df["_t"], **columns})
    del columns
    return _post_stage(plan, wide, done)


def _local_features(plan: Plan) -> tuple[dict[str, dict[str, Expr]], set[str]]:
    """Features reading the aggregates of one source only (source -> name -> expression),
    which that source's kernel computes, and the aggregates the others read."""
    local: dict[str, dict[str, Expr]] = {}
    outside: set[str] = set()
    for f in plan.features:
        nodes = list(iter_aggs(f.expr))
        sources = {node.args[1] for node in nodes}
        if len(sources) == 1:
            local.setdefault(sources.pop(), {})[f.name] = f.expr
        else:
            outside.update(plan.agg_column(node) for node in nodes)
    return local, outside


def _kernel(
    sp: SourcePlan, table: pl.DataFrame, features: dict[str, Expr], outside: set[str]
) -> _fused.FusedKernel | None:
    """The generated kernel of a source, computing its local ``features`` if it can (else
    only its aggregates), or None (the block engine then reduces the source)."""
    if not _fused.ENABLED:
        return None
    keep = {name for name in sp.aggs if name in outside}
    nullable = table.height < _fused.MIN_ROWS
    kernel = _fused.kernel_for(sp, table, features=features, keep=keep, nullable=nullable)
    return kernel or _fused.kernel_for(sp, table, nullable=nullable)


def _split_outputs(
    out: dict[str, np.ndarray],
    features: dict[str, Expr],
    columns: dict[str, np.ndarray],
    done: dict[str, np.ndarray],
) -> None:
    for name, values in out.items():
        (done if name in features else columns)[name] = values


def _post_stage(
    plan: Plan, wide: pl.DataFrame, done: dict[str, np.ndarray], group: int = 16
) -> pl.DataFrame:
    """Features from the aggregates, ``group`` features at a time; ``done`` holds the
    features the kernels computed already.

    An aggregate column is dropped once the last feature reading it is computed, so the
    aggregates shrink while the features grow instead of both being held whole. The
    aggregates' NaN is read as null, and a null (undefined) feature is written as NaN.
    """
    import narwhals.stable.v2 as nw

    todo = [f for f in plan.features if f.name not in done]
    last_use: dict[str, int] = {}
    for i, f in enumerate(todo):
        for node in iter_aggs(f.expr):
            last_use[plan.agg_column(node)] = i
    parts = [wide.select(APP)]
    for lo in range(0, len(todo), group):
        chunk = todo[lo : lo + group]
        post = [
            to_narwhals(f.expr, APP, agg_column=plan.agg_column, nan_is_null=True)
            .cast(nw.Float64)
            .fill_null(float("nan"))
            .alias(f.name)
            for f in chunk
        ]
        parts.append(nw.from_native(wide.lazy()).select(*post).to_native().collect())
        used = [c for c, i in last_use.items() if lo <= i < lo + group]
        wide = wide.drop(used)
    parts.append(pl.DataFrame(done))
    return pl.concat(parts, how="horizontal").select(APP, *(f.name for f in plan.features))


def _reduce_fused(
    kernel: _fused.FusedKernel,
    table: pl.DataFrame,
    index: _gather.CutIndex,
    query_app: np.ndarray,
    query_t: np.ndarray,
    apps: pl.DataFrame,
    breaks: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The outputs of a generated kernel (aggregates and features) for every application.

    ``index`` cuts ``table`` with the rows of each application together; query ``q``
    belongs to application ``query_app[q]`` at moment ``query_t[q]``. ``breaks`` (per
    query position) marks where an application's queries start, if it has several (the
    neighbours' bills: one query per neighbour). Blocks of about ``4 * CHUNK_ROWS`` rows
    bound the gather index. Applications the cut never reaches run as empty segments,
    so a feature of no rows is whatever its expression gives (it may depend on ``t``).
    """
    n_apps = apps.height
    # one array per output: the post stage frees each aggregate after its last use
    result = [np.empty(n_apps) for _ in kernel.names]
    packed = kernel.pack(table)
    literals = kernel.literal_codes(table)
    seen = np.zeros(n_apps, np.bool_)
    for first, last in index.blocks(4 * _blocks.CHUNK_ROWS, breaks):
        if breaks is None:
            heads = np.arange(first, last)
        else:
            heads = first + np.flatnonzero(breaks[first:last])
        starts = np.r_[index.start[heads], index.start[last]] - index.start[first]
        q = index.queries[heads]
        rows = index.rows(first, last)
        kernel.run(result, query_app[q], starts, rows, query_t[q], literals, packed)
        seen[query_app[q]] = True
    rest = np.flatnonzero(~seen)
    if rest.size:
        t = apps["_t"].to_numpy()
        empty = np.zeros(rest.size + 1, np.int64)
        kernel.run(result, rest, empty, empty[:0], t[rest], literals, packed)
    return dict(zip(kernel.names, result, strict=True))


def _gather_cut(source: str, sp: SourcePlan, apps: pl.DataFrame, table: pl.DataFrame) -> _Gathered:
    """The cut of a :data:`~pit.USER_CUTS` source, rows by application then window band.

    One compiled pass finds each application's rows (see :mod:`._gather`) already in
    the order :func:`_reduce_rows` needs, so the cut is a gather of each column.
    """
    band = _window_column(sp)
    widths = None
    if band is not None:
        found = sorted(int(_window_width(m)) for m in _window_masks(sp, band))
        widths = np.array(found, dtype=np.int64)
    columns = list(pit.source_columns(source, table.columns))
    return _user_cut(apps, table, pit.USER_CUTS[source], columns, band=band, widths=widths)


def _user_cut(
    apps: pl.DataFrame,
    table: pl.DataFrame,
    cut_column: str,
    columns: list[str],
    *,
    band: _Axis | None = None,
    widths: np.ndarray | None = None,
    in_order: bool = False,
) -> _Gathered:
    """Each application's rows of ``table`` (keyed by ``user_id``) with ``cut_column``
    strictly before ``t``, banded by the ``widths`` windows on ``band`` if given; with
    ``in_order``, applications in their order (see :func:`._gather.cut_index`)."""
    codes, event_codes, n_codes = _gather.user_codes(apps["user_id"], table["user_id"])
    t = apps["_t"].to_numpy()
    index = _gather.cut_index(
        codes,
        t,
        event_codes,
        n_codes,
        _gather.as_times(table[cut_column]),
        None if band is None else _gather.as_times(table[band.column]),
        None if band is None else widths,
        due=band is not None and band.due,
        in_order=in_order,
    )
    per_query = {APP: apps[APP].to_numpy(), "_t": t}
    return _Gathered(index, table, columns, per_query, band=band)


def _gather_peer_bills(bills: pl.DataFrame, links: pl.DataFrame) -> _Gathered:
    """The ``peer_bills`` cut: each distinct neighbour's bills due strictly before ``t``.

    ``links`` holds ``_app, _t, peer_id`` of the edge table's cut (rows of an
    application together, see :func:`pit.edge_table`); deduplicated per
    (application, peer), each pair's bills are cut by a second compiled pass, kept in
    pair order so that an application's rows stay together. An application's
    neighbours come in the order of their codes, not of the edge table's rows (a
    group-by's order changes from run to run, and it is the order their bills are
    summed in).
    """
    from thinfile_credit.features import _segment_kernels as kernels
    from thinfile_credit.features._gather_kernels import call

    codes, event_codes, n_codes = _gather.user_codes(links["peer_id"], bills["user_id"])
    bounds = _segment_bounds(links[APP].to_numpy())
    first = call(kernels.distinct_of_segment, bounds, codes)
    pairs = links[first]
    codes = codes[first]
    t = pairs["_t"].to_numpy()
    due = _gather.as_times(bills[pit.PEER_BILLS_DUE])
    index = _gather.cut_index(codes, t, event_codes, n_codes, due, in_order=True)
    pair_app = pairs[APP].to_numpy()
    q_app = pair_app[index.queries]
    breaks = np.r_[True, q_app[1:] != q_app[:-1]]
    per_query = {APP: pair_app, "_t": t, "peer_id": pairs["peer_id"].to_numpy()}
    cols = [c for c in pit.SOURCES["peer_bills"] if c != "peer_id"]
    return _Gathered(index, bills, cols, per_query, breaks)
