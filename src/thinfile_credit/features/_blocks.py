"""The block engine: a point-in-time cut reduced a block of applications at a time.

A block of about :data:`CHUNK_ROWS` rows of a cut (whole applications) is gathered as a
Polars frame, its ``over`` windows computed (numbered inside each application, see
:func:`_group_key`), its masks and values evaluated by Polars (multi-threaded, with
common sub-expressions shared) from the same :class:`~thinfile_credit.features._expr.Expr`
definitions as every other engine, and each aggregate reduced over the contiguous
application segments by one compiled pass (:mod:`._segment_kernels`). Nested windows on
a source's time column are prefixes of each segment (:mod:`._windows`).

:mod:`._segments` uses it for sources too small for a generated kernel (:mod:`._fused`)
or with expressions the generator does not write.

Why not a Polars ``group_by`` with a hundred aggregations? Measured on this machine,
Polars' group-by pays a full scatter per aggregate (about 10x a pandas ``groupby().sum()``
over 70 columns of 750k rows), while contiguous segments cost one sequential pass per
aggregate, and nested windows on the band column are prefixes of each segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from thinfile_credit.features import _gather
from thinfile_credit.features._expr import Expr, empty_value, to_narwhals
from thinfile_credit.features._plan import APP, SourcePlan
from thinfile_credit.features._windows import (
    _Axis,
    _Prefix,
    _window_of,
    _window_width,
    _Windows,
)

#: Rows of a point-in-time cut reduced at once (whole applications; see _reduce_gathered).
CHUNK_ROWS = 1_000_000


@dataclass
class _Gathered:
    """A compiled cut, not yet materialised: its ``columns`` of ``table`` at the rows of
    ``index``, plus ``per_query`` arrays (query-number order) repeated onto them.

    ``breaks`` (bool per query position) marks where a block may start: queries of one
    application must stay in one block. ``band``: the window axis the rows of each
    query are ordered by, narrowest window first (None: no such order).
    """

    index: _gather.CutIndex
    table: pl.DataFrame
    columns: list[str]
    per_query: dict[str, np.ndarray]
    breaks: np.ndarray | None = None
    band: _Axis | None = None

    def block(self, first: int = 0, last: int | None = None) -> pl.DataFrame:
        """The rows of queries ``first:last`` (query positions), materialised."""
        last = self.index.queries.size if last is None else last
        rows = self.index.rows(first, last)
        return _gather.gather(self.table, rows, self.columns).with_columns(
            pl.Series(name, self.index.repeat(arr, first, last))
            for name, arr in self.per_query.items()
        )


def _reduce_gathered(
    g: _Gathered, sp: SourcePlan, n_apps: int, batch: int
) -> dict[str, np.ndarray]:
    """Every aggregate of one source from a compiled cut, one block of rows at a time.

    Blocks of about :data:`CHUNK_ROWS` rows (whole applications) are gathered, given
    their windows and reduced before the next is gathered, so no cut-sized frame or
    temporary ever exists. Block-sized arrays stay under glibc's mmap threshold (32 MB
    at most) and are recycled by the allocator; cut-sized ones would be fresh pages on
    every allocation, and on this kind of machine the page faults of a 10M-row cut cost
    more than the arithmetic.
    """
    out = {name: np.full(n_apps, empty_value(node)) for name, node in sp.aggs.items()}
    for first, last in g.index.blocks(CHUNK_ROWS, g.breaks):
        if g.index.start[last] == g.index.start[first]:
            continue  # these applications keep the empty values
        base = _with_coded_windows(g.block(first, last), sp)
        band = g.band
        block_tcol = None if band is None or base[band.column].null_count() else band
        _reduce_rows(base, sp, batch, block_tcol, out)
    return out


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
            for name, node in by_value[k]:
                kind, mask = node.args[0], node.args[3]
                mkey = "" if mask is None else mask.key
                # text codes have a count and a distinct count, nothing else
                if pre is not None and mkey in prefix and (not codes or kind in _TEXT_KINDS):
                    out[name][seg_apps] = pre.reduce(kind, prefix[mkey])
                else:
                    out[name][seg_apps] = _reduce(kind, v, codes, masks.get(mkey), bounds)
        del part


_TEXT_KINDS = ("count", "nunique")


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
    if codes and kind not in _TEXT_KINDS:
        raise ValueError(f"{kind} of text values")
    use = mask is not None
    m = np.ascontiguousarray(mask, dtype=np.bool_) if use else _NO_MASK
    return call(kernels.masked, kernels.KINDS[kind], v, m, use, np.asarray(bounds, np.int64))


_NO_MASK = np.zeros(0, dtype=np.bool_)
