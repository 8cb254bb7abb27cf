"""The embedded batch engine: compiled cuts, Polars row expressions, compiled per-
application reductions.

For each source, the point-in-time cut of every application is found by a compiled pass
(:mod:`._gather`; the links and neighbours' bills the same way, other sources through
the narwhals cut and one sort), rows grouped by application and, inside an application,
by window band. A block of about :data:`CHUNK_ROWS` rows at a time is gathered, its
``over`` windows computed, its masks and values evaluated by Polars (multi-threaded, with
common sub-expressions shared) from the same :class:`~thinfile_credit.features._expr.Expr`
definitions as every other engine, and each aggregate reduced over the contiguous
application segments by one compiled pass (:mod:`._segment_kernels`).

Why not a Polars ``group_by`` with a hundred aggregations? Measured on this machine,
Polars' group-by pays a full scatter per aggregate (about 10x a pandas ``groupby().sum()``
over 70 columns of 750k rows), while contiguous segments cost one sequential pass per
aggregate, and nested windows on the band column are prefixes of each segment.
"""

from __future__ import annotations

import functools
import itertools
import operator
from dataclasses import dataclass

import numpy as np
import polars as pl

from thinfile_credit.features import _fused, _gather, pit
from thinfile_credit.features._expr import AGG_KINDS, Expr, to_narwhals
from thinfile_credit.features._plan import APP, Plan, SourcePlan
from thinfile_credit.features._windows import (
    _PREFIX_KINDS,
    _Axis,
    _Prefix,
    _window_column,
    _window_masks,
    _window_of,
    _window_width,
    _Windows,
)

__all__ = ["run_segments"]

#: Rows of a point-in-time cut reduced at once (whole applications; see _reduce_source).
CHUNK_ROWS = 1_000_000


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
    app_nw = nw.from_native(apps)
    frames_nw = {n: nw.from_native(lf) for n, lf in frames.items()}
    columns: dict[str, np.ndarray] = {}
    done: dict[str, np.ndarray] = {}  # features computed by the sources' kernels
    local, outside = _local_features(plan)
    # the edge table serves the edges and the neighbours' bills: made once, kept for both
    edge_users = [s for s in plan.sources if s in ("edges", "peer_bills")]
    edge_table: pl.DataFrame | None = None
    for source, sp in plan.sources.items():
        if not all(table in frames for table in pit.SOURCE_TABLES[source]):
            for name, node in sp.aggs.items():
                columns[name] = np.full(n_apps, _empty_value(node))
            continue
        if source in edge_users and edge_table is None:
            edge_table = pit.user_table("edges", frames_nw, default_dpd).to_native().collect()
        tcol = _window_column(sp)
        features = local.get(source, {})
        if source in pit.USER_CUTS:
            table = (
                edge_table
                if source == "edges" and edge_table is not None
                else pit.user_table(source, frames_nw).to_native().collect()
            )
            kernel = _kernel(sp, table, features, outside)
            if kernel is not None:
                cut_column = pit.USER_CUTS[source]
                out = _fused_user_cut(kernel, table, cut_column, app_df)
                _split_outputs(out, features, columns, done)
            else:
                gathered = _gather_cut(source, sp, app_df, table, tcol)
                columns.update(_reduce_gathered(gathered, sp, n_apps, batch, tcol))
        elif source == "peer_bills" and edge_table is not None:
            table = pit.user_table("bills", frames_nw).to_native().collect()
            links = _user_cut(app_df, edge_table, pit.LINK_SINCE, ["peer_id"]).block()
            g = _gather_peer_bills(app_df, table, links)
            kernel = _kernel(sp, table, features, outside, aliases={"peer_id": "user_id"})
            if kernel is not None:
                q_app, q_t = g.per_query[APP], g.per_query["_t"]
                out = _reduce_fused(kernel, table, g.index, q_app, q_t, app_df, g.breaks)
                _split_outputs(out, features, columns, done)
            else:
                columns.update(_reduce_gathered(g, sp, n_apps, batch, tcol))
        else:
            cut = pit.cut_narwhals(source, app_nw, frames_nw, default_dpd=default_dpd)
            base = _sorted_cut(cut.to_native(), sp, tcol)
            if tcol is not None and base[tcol.column].null_count():
                tcol = None
            columns.update(_reduce_source(base, sp, n_apps, batch, tcol))
        if source in edge_users:
            edge_users.remove(source)
            if not edge_users:
                edge_table = None
    # NaN marks "no value" in the NumPy reductions; the post stage reads it as null. The
    # frame wraps the NumPy arrays without copying them.
    wide = pl.DataFrame({APP: np.arange(n_apps, dtype=np.int64), "_t": app_df["_t"], **columns})
    del columns
    return _post_stage(plan, wide, done)


def _local_features(plan: Plan) -> tuple[dict[str, dict[str, Expr]], set[str]]:
    """Features reading the aggregates of one source only (source -> name -> expression),
    which that source's kernel computes, and the aggregates the others read."""
    from thinfile_credit.features._expr import iter_aggs

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
    sp: SourcePlan,
    table: pl.DataFrame,
    features: dict[str, Expr],
    outside: set[str],
    aliases: dict[str, str] | None = None,
) -> _fused.FusedKernel | None:
    """The generated kernel of a source large enough for one, computing its local
    ``features`` if it can (else only its aggregates), or None."""
    if table.height < _fused.MIN_ROWS:
        return None
    keep = {name for name in sp.aggs if name in outside}
    kernel = _fused.kernel_for(sp, table, features=features, keep=keep, aliases=aliases)
    return kernel or _fused.kernel_for(sp, table, aliases=aliases)


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

    from thinfile_credit.features._expr import iter_aggs

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


@dataclass
class _Gathered:
    """A compiled cut, not yet materialised: its ``columns`` of ``table`` at the rows of
    ``index``, plus ``per_query`` arrays (query-number order) repeated onto them.

    ``breaks`` (bool per query position) marks where a block may start: queries of one
    application must stay in one block.
    """

    index: _gather.CutIndex
    table: pl.DataFrame
    columns: list[str]
    per_query: dict[str, np.ndarray]
    breaks: np.ndarray | None = None

    def block(self, first: int = 0, last: int | None = None) -> pl.DataFrame:
        """The rows of queries ``first:last`` (query positions), materialised."""
        last = self.index.queries.size if last is None else last
        rows = self.index.rows(first, last)
        return _gather.gather(self.table, rows, self.columns).with_columns(
            pl.Series(name, self.index.repeat(arr, first, last))
            for name, arr in self.per_query.items()
        )


def _reduce_gathered(
    g: _Gathered, sp: SourcePlan, n_apps: int, batch: int, tcol: _Axis | None
) -> dict[str, np.ndarray]:
    """Every aggregate of one source from a compiled cut, one block of rows at a time.

    Blocks of about :data:`CHUNK_ROWS` rows (whole applications) are gathered, given
    their windows and reduced before the next is gathered, so no cut-sized frame or
    temporary ever exists: row-sized arrays stay small enough to be recycled by the
    allocator instead of being fresh pages each time (see :func:`_reduce_source`).
    """
    out = {name: np.full(n_apps, _empty_value(node)) for name, node in sp.aggs.items()}
    for first, last in g.index.blocks(CHUNK_ROWS, g.breaks):
        if g.index.start[last] == g.index.start[first]:
            continue  # these applications keep the empty values
        base = _with_coded_windows(g.block(first, last), sp)
        block_tcol = None if tcol is None or base[tcol.column].null_count() else tcol
        _reduce_rows(base, sp, batch, block_tcol, out)
    return out


def _fused_user_cut(
    kernel: _fused.FusedKernel,
    table: pl.DataFrame,
    cut_column: str,
    apps: pl.DataFrame,
) -> dict[str, np.ndarray]:
    """:func:`_reduce_fused` of the cut of ``table`` (keyed by ``user_id``) at
    ``cut_column`` strictly before each application's moment, in application order."""
    codes, event_codes, n_codes = _gather.user_codes(apps["user_id"], table["user_id"])
    t = apps["_t"].to_numpy()
    cut = _gather.as_times(table[cut_column])
    index = _gather.cut_index(codes, t, event_codes, n_codes, cut, in_order=True)
    return _reduce_fused(kernel, table, index, apps[APP].to_numpy(), t, apps)


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
    arrays = kernel.arrays(table)
    literals = kernel.literal_codes(table)
    seen = np.zeros(n_apps, np.bool_)
    for first, last in index.blocks(4 * CHUNK_ROWS, breaks):
        if breaks is None:
            heads = np.arange(first, last)
        else:
            heads = first + np.flatnonzero(breaks[first:last])
        starts = np.r_[index.start[heads], index.start[last]] - index.start[first]
        q = index.queries[heads]
        rows = index.rows(first, last)
        kernel.run(result, query_app[q], starts, rows, query_t[q], literals, arrays)
        seen[query_app[q]] = True
    rest = np.flatnonzero(~seen)
    if rest.size:
        t = apps["_t"].to_numpy()
        empty = np.zeros(rest.size + 1, np.int64)
        kernel.run(result, rest, empty, empty[:0], t[rest], literals, arrays)
    return dict(zip(kernel.names, result, strict=True))


def _gather_cut(
    source: str, sp: SourcePlan, apps: pl.DataFrame, table: pl.DataFrame, tcol: _Axis | None
) -> _Gathered:
    """The cut of a :data:`~pit.USER_CUTS` source, rows by application then window band.

    One compiled pass finds each application's rows (see :mod:`._gather`) already in
    the order :func:`_reduce_rows` needs, so the cut is a gather of each column.
    """
    if tcol is None:
        return _user_cut(apps, table, pit.USER_CUTS[source], list(pit.SOURCES[source]))
    widths = sorted(int(_window_width(m)) for m in _window_masks(sp, tcol))
    return _user_cut(
        apps,
        table,
        pit.USER_CUTS[source],
        list(pit.SOURCES[source]),
        band=tcol,
        widths=np.array(widths, dtype=np.int64),
    )


def _user_cut(
    apps: pl.DataFrame,
    table: pl.DataFrame,
    cut_column: str,
    columns: list[str],
    *,
    band: _Axis | None = None,
    widths: np.ndarray | None = None,
) -> _Gathered:
    """Each application's rows of ``table`` (keyed by ``user_id``) with ``cut_column``
    strictly before ``t``, banded by the ``widths`` windows on ``band`` if given."""
    codes, event_codes, n_codes = _gather.user_codes(apps["user_id"], table["user_id"])
    t = apps["_t"].to_numpy()
    index = _gather.cut_index(
        codes,
        t,
        event_codes,
        n_codes,
        _gather.as_times(table[cut_column]),
        None if band is None else _gather.as_times(table[band.column]),
        widths,
        due=band is not None and band.due,
    )
    return _Gathered(index, table, columns, {APP: apps[APP].to_numpy(), "_t": t})


def _gather_peer_bills(apps: pl.DataFrame, bills: pl.DataFrame, links: pl.DataFrame) -> _Gathered:
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


def _with_coded_windows(base: pl.DataFrame, sp: SourcePlan) -> pl.DataFrame:
    """:func:`_with_windows` for a cut grouped by application, compiled where it can be.

    Each window numbers its groups as (application segment, ``by`` values) and runs one
    compiled pass (:func:`._segment_kernels.over`) instead of a hash partition of the
    whole cut; a window nesting another window goes to Polars.
    """
    import narwhals.stable.v2 as nw

    from thinfile_credit.features import _segment_kernels as kernels
    from thinfile_credit.features._gather_kernels import call

    windows = sp.windows()
    if not windows:
        return base
    bounds = _segment_bounds(base[APP].to_numpy())
    seg = np.repeat(np.arange(bounds.size - 1, dtype=np.int64), np.diff(bounds))
    keys: dict[tuple[str, ...], tuple[np.ndarray, int]] = {}
    fast: dict[str, Expr] = {}
    rest = SourcePlan()
    for k, node in windows.items():
        _kind, value, by = node.args
        if by not in keys:
            keys[by] = _group_key(base, seg, bounds, by)
        if any(n.op == "over" for n in _walk(value)):
            rest.rows[k] = node
            rest.row_names[k] = sp.row_names[k]
        else:
            fast[k] = node
    if fast:
        named = [
            to_narwhals(node.args[1], APP).alias(f"_v{i}") for i, node in enumerate(fast.values())
        ]
        values = nw.from_native(base.lazy()).select(*named).to_native().collect()
        coded = []
        for i, (k, node) in enumerate(fast.items()):
            kind, _value, by = node.args
            v, _ = _as_numbers(values[f"_v{i}"])
            key, n_keys = keys[by]
            out = call(kernels.over, kernels.KINDS[kind], v, key, n_keys)
            series = pl.Series(sp.row_names[k], out)
            # an empty group's max is null; a sum is never NaN unless its values are
            coded.append(series.fill_nan(None) if kind == "max" else series)
        del values
        base = base.with_columns(coded)
    return _with_windows(base.lazy(), rest).collect() if rest.rows else base


def _group_key(
    base: pl.DataFrame, seg: np.ndarray, bounds: np.ndarray, by: tuple[str, ...]
) -> tuple[np.ndarray, int]:
    """Group numbers ``0..n-1`` of (segment, ``by`` values) and ``n``.

    ``seg`` numbers each row's segment; segment ``s`` is rows ``bounds[s]:bounds[s + 1]``.

    Groups never span segments, so each ``by`` column splits the groups inside each
    segment (:func:`._segment_kernels.regroup`) by an integer identity of its values:
    categorical codes, integers themselves, or a dense rank for anything else or for
    integers with nulls (null is a value of its own, as in a partition).
    """
    from thinfile_credit.features import _segment_kernels as kernels
    from thinfile_credit.features._gather_kernels import call

    key, n_keys = seg, bounds.size - 1
    for c in by:
        s = base[c]
        if s.dtype in (pl.Categorical, pl.Enum):
            codes = s.to_physical().cast(pl.Int64).fill_null(-1).to_numpy()
        elif s.dtype.is_integer() and not s.null_count():
            codes = s.cast(pl.Int64).to_numpy()
        else:
            codes = s.rank("dense").fill_null(0).cast(pl.Int64).to_numpy()
        key, n_keys = call(kernels.regroup, bounds, key, codes)
    return key, int(n_keys)


def _walk(e: Expr) -> list[Expr]:
    out = [e]
    for a in e.args:
        if isinstance(a, Expr):
            out.extend(_walk(a))
    return out


def _sorted_cut(cut: pl.LazyFrame, sp: SourcePlan, tcol: _Axis | None) -> pl.DataFrame:
    """A cut with its windows, sorted by application (then window band)."""
    import narwhals.stable.v2 as nw

    frame = nw.from_native(_with_windows(cut, sp))
    if tcol is None:
        return frame.to_native().sort(APP).collect()
    # inside each application, rows in the narrowest window first, then the next
    # window's...: every window on tcol is then a prefix of the application's rows
    # (see _Prefix). One integer key sorts faster than (application, time).
    nested = [to_narwhals(m, APP).fill_null(False).cast(nw.Int64) for m in _window_masks(sp, tcol)]
    inside = functools.reduce(operator.add, nested)
    key = nw.col(APP) * (len(nested) + 1) + (len(nested) - inside)
    return frame.with_columns(key.alias("_key")).to_native().sort("_key").collect().drop("_key")


def _with_windows(frame: pl.LazyFrame, sp: SourcePlan) -> pl.LazyFrame:
    """``frame`` with the source's ``over`` windows materialised as columns."""
    import narwhals.stable.v2 as nw

    windows = sp.windows()
    if not windows:
        return frame
    exprs = [to_narwhals(n, APP).alias(sp.row_names[k]) for k, n in windows.items()]
    return nw.from_native(frame).with_columns(*exprs).to_native()


def _segment_bounds(app: np.ndarray) -> np.ndarray:
    """Where each run of equal ``app`` values starts, and the length at the end."""
    return np.flatnonzero(np.r_[True, app[1:] != app[:-1], True]) if app.size else np.r_[0]


def _empty_value(node: Expr) -> float:
    empty = AGG_KINDS[node.args[0]]
    return np.nan if empty is None else float(empty)


def _reduce_source(
    base: pl.DataFrame,
    sp: SourcePlan,
    n_apps: int,
    batch: int,
    tcol: _Axis | None = None,
    *,
    chunk_rows: int | None = None,
) -> dict[str, np.ndarray]:
    """Every aggregate of one source, ``chunk_rows`` rows (whole applications) at a time.

    Chunks keep every row-sized temporary small: NumPy arrays above glibc's mmap threshold
    (32 MB at most) are fresh pages on every allocation, and on this kind of machine the
    page faults of a 10M-row cut cost more than the arithmetic. Chunk-sized arrays are
    recycled by the allocator instead, and peak memory drops with them.
    """
    chunk_rows = CHUNK_ROWS if chunk_rows is None else chunk_rows
    out = {name: np.full(n_apps, _empty_value(node)) for name, node in sp.aggs.items()}
    app = base[APP].to_numpy()
    n = app.size
    if n == 0:
        return out
    starts = _segment_bounds(app)[:-1]
    # cut at the first segment start at or after each multiple of chunk_rows
    cuts = np.unique(
        starts[np.minimum(np.searchsorted(starts, np.arange(0, n, chunk_rows)), starts.size - 1)]
    )
    bounds = [*cuts.tolist(), n]
    del app, starts
    for lo, hi in itertools.pairwise(bounds):
        _reduce_rows(base.slice(lo, hi - lo), sp, batch, tcol, out)
    return out


def _reduce_rows(
    base: pl.DataFrame,
    sp: SourcePlan,
    batch: int,
    tcol: _Axis | None,
    out: dict[str, np.ndarray],
) -> None:
    """Masks once (bits), each value column once, reduced per application segment.

    Aggregates are grouped by their value expression; each distinct value is computed by
    Polars, handed to NumPy, reduced under each of its masks and dropped, so memory holds
    the masks plus one value column at a time. Results go to ``out`` at the segments'
    applications.
    """
    import narwhals.stable.v2 as nw

    app = base[APP].to_numpy()
    bounds = _segment_bounds(app)  # segment s is rows bounds[s]:bounds[s + 1]
    starts = bounds[:-1]
    seg_apps = app[starts]

    frame = nw.from_native(base.lazy())

    def evaluate(exprs: dict[str, Expr]) -> pl.DataFrame:
        named = [to_narwhals(sp.by_window_columns(e), APP).alias(k) for k, e in exprs.items()]
        return frame.select(*named).to_native().collect()

    masks: dict[str, np.ndarray] = {}
    mask_exprs = {
        node.args[3].key: node.args[3] for node in sp.aggs.values() if node.args[3] is not None
    }
    keys = list(mask_exprs)
    for i in range(0, len(keys), 4 * batch):
        part = evaluate({f"_m{j}": mask_exprs[k] for j, k in enumerate(keys[i : i + 4 * batch])})
        for j, k in enumerate(keys[i : i + 4 * batch]):
            masks[k] = part[f"_m{j}"].fill_null(False).to_numpy()
        del part

    by_value: dict[str, list[tuple[str, Expr]]] = {}
    values: dict[str, Expr] = {}
    for name, node in sp.aggs.items():
        by_value.setdefault(node.args[2].key, []).append((name, node))
        values[node.args[2].key] = node.args[2]
    # windows on the sort column: per application, how many leading rows they hold
    prefix: dict[str, int] = {}  # mask key -> window position, narrowest first
    windows_t: _Windows | None = None
    if tcol is not None:
        nested = sorted(
            (k for k, m in mask_exprs.items() if _window_of(m) == tcol),
            key=lambda k: _window_width(mask_exprs[k]),
        )
        his = [starts + np.add.reduceat(masks[k], starts, dtype=np.int64) for k in nested]
        if nested:
            windows_t = _Windows(starts, his)
            prefix = {k: j for j, k in enumerate(nested)}
    vkeys = list(values)
    for i in range(0, len(vkeys), batch):
        chunk = vkeys[i : i + batch]
        part = evaluate({f"_v{j}": values[k] for j, k in enumerate(chunk)})
        for j, k in enumerate(chunk):
            v, codes = _as_numbers(part[f"_v{j}"])
            pre = None if windows_t is None else _Prefix(v, windows_t)
            allowed = ("count", "nunique") if codes else _PREFIX_KINDS
            for name, node in by_value[k]:
                kind, mask = node.args[0], node.args[3]
                mkey = "" if mask is None else mask.key
                if pre is not None and mkey in prefix and kind in allowed:
                    out[name][seg_apps] = pre.reduce(kind, prefix[mkey])
                else:
                    out[name][seg_apps] = _reduce(kind, v, codes, masks.get(mkey), bounds)
        del part


def _as_numbers(series: pl.Series) -> tuple[np.ndarray, bool]:
    """Float values with NaN for null; text becomes dense integer codes."""
    if series.dtype in (pl.Categorical, pl.Enum):
        return series.to_physical().cast(pl.Float64).fill_null(np.nan).to_numpy(), True
    if series.dtype == pl.String:
        codes = series.cast(pl.Categorical).to_physical().cast(pl.Float64).fill_null(np.nan)
        return codes.to_numpy(), True
    return series.cast(pl.Float64).fill_null(np.nan).to_numpy(), False


def _reduce(
    kind: str, v: np.ndarray, codes: bool, mask: np.ndarray | None, bounds: np.ndarray
) -> np.ndarray:
    """One aggregate per segment (``bounds[s]:bounds[s + 1]``) over the rows whose value
    is present and ``mask`` (if any) holds."""
    from thinfile_credit.features import _segment_kernels as kernels
    from thinfile_credit.features._gather_kernels import call

    if kind not in kernels.KINDS:
        raise ValueError(f"unknown aggregation {kind!r}")
    if codes and kind not in ("count", "nunique"):
        raise ValueError(f"{kind} of text values")
    use = mask is not None
    m = np.ascontiguousarray(mask, dtype=np.bool_) if use else _NO_MASK
    return call(kernels.masked, kernels.KINDS[kind], v, m, use, np.asarray(bounds, np.int64))


_NO_MASK = np.zeros(0, dtype=np.bool_)
