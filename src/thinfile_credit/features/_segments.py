"""The embedded batch engine: Polars for the cut and row expressions, NumPy segment
reductions for the per-application aggregates.

Why not a Polars ``group_by`` with a hundred aggregations? Measured on this machine,
Polars' group-by pays a full scatter per aggregate (about 10x a pandas ``groupby().sum()``
over 70 columns of 750k rows), while sorting the cut once by application and reducing
contiguous segments with ``np.add.reduceat``/``np.fmax.reduceat`` costs one pass per
aggregate. Row-level expressions still run on Polars (multi-threaded, lazily, with common
sub-expressions shared) from the same :class:`~thinfile_credit.features._expr.Expr`
definitions; aggregates are produced in batches so at most ``batch`` value columns of the
largest cut are in memory at once.
"""

from __future__ import annotations

import functools
import itertools
import operator

import numpy as np
import polars as pl

from thinfile_credit.features import pit
from thinfile_credit.features._expr import AGG_KINDS, Expr, to_narwhals
from thinfile_credit.features._plan import APP, Plan, SourcePlan

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

    Returns a frame with ``_app`` and one Float64 column per feature, in ``_app`` order.
    """
    import narwhals.stable.v2 as nw

    app_nw = nw.from_native(apps)
    frames_nw = {n: nw.from_native(lf) for n, lf in frames.items()}
    columns: dict[str, np.ndarray] = {}
    for source, sp in plan.sources.items():
        if not all(t in frames for t in pit.SOURCE_TABLES[source]):
            for name, node in sp.aggs.items():
                columns[name] = np.full(n_apps, _empty_value(node))
            continue
        cut = pit.cut_narwhals(source, app_nw, frames_nw, default_dpd=default_dpd)
        windows = sp.windows()
        if windows:
            cut = cut.with_columns(
                *[to_narwhals(n, APP).alias(sp.row_names[k]) for k, n in windows.items()]
            )
        tcol = _window_column(sp)
        if tcol is None:
            base = cut.to_native().sort(APP).collect()
        else:
            # inside each application, rows in the narrowest window first, then the next
            # window's...: every window on tcol is then a prefix of the application's rows
            # (see _Prefix). One integer key sorts faster than (application, time).
            nested = [
                to_narwhals(m, APP).fill_null(False).cast(nw.Int64) for m in _window_masks(sp, tcol)
            ]
            inside = functools.reduce(operator.add, nested)
            key = nw.col(APP) * (len(nested) + 1) + (len(nested) - inside)
            base = cut.with_columns(key.alias("_key")).to_native().sort("_key").collect()
            base = base.drop("_key")
            if base[tcol].null_count():
                tcol = None
        columns.update(_reduce_source(base, sp, n_apps, batch, tcol))
        del base
    t = apps.select("_t").collect()["_t"]
    # NaN marks "no value" in the NumPy reductions; the post stage works with nulls
    wide = pl.DataFrame({APP: np.arange(n_apps, dtype=np.int64), "_t": t})
    for name in list(columns):  # pop as we go: one copy of the aggregates at a time
        wide = wide.with_columns(pl.Series(name, columns.pop(name)).fill_nan(None))
    post = [
        to_narwhals(f.expr, APP, agg_column=plan.agg_column).cast(nw.Float64).alias(f.name)
        for f in plan.features
    ]
    out = nw.from_native(wide.lazy()).select(APP, *post).to_native().collect()
    return out


def _empty_value(node: Expr) -> float:
    empty = AGG_KINDS[node.args[0]]
    return np.nan if empty is None else float(empty)


def _reduce_source(
    base: pl.DataFrame,
    sp: SourcePlan,
    n_apps: int,
    batch: int,
    tcol: str | None = None,
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
    starts = np.flatnonzero(np.r_[True, app[1:] != app[:-1]])
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
    tcol: str | None,
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
    n = app.size
    starts = np.flatnonzero(np.r_[True, app[1:] != app[:-1]])
    seg_apps = app[starts]
    seg_of_row = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, n]))

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
            key=lambda k: float(mask_exprs[k].args[1].args[0]),
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
            series = part[f"_v{j}"]
            v, codes = _as_numbers(series)
            order: np.ndarray | None = None
            valid = ~np.isnan(v)
            shared: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            pre = None if windows_t is None else _Prefix(v, valid, windows_t)
            for name, node in by_value[k]:
                kind, mask = node.args[0], node.args[3]
                mkey = "" if mask is None else mask.key
                if pre is not None and mkey in prefix and kind in _PREFIX_KINDS and not codes:
                    out[name][seg_apps] = pre.reduce(kind, prefix[mkey])
                    continue
                if mkey not in shared:  # mean, median, max... of one value share the work
                    present = valid if mask is None else valid & masks[mkey]
                    shared[mkey] = (present, np.add.reduceat(present, starts, dtype=np.int64))
                present, count = shared[mkey]
                if kind == "median" and order is None:
                    order = np.lexsort((v, seg_of_row))
                per_seg = _reduce(kind, v, codes, present, count, starts, seg_of_row, order)
                out[name][seg_apps] = per_seg
        del part


_PREFIX_KINDS = ("count", "sum", "mean", "max", "min")


def _window_of(mask: Expr) -> str | None:
    """``X`` when ``mask`` is exactly the window ``t - X <= w`` (:func:`pit.within`)."""
    if mask.op != "le" or mask.args[1].op != "lit":
        return None
    diff = mask.args[0]
    if diff.op != "sub" or diff.args[0].key != "col(_t)" or diff.args[1].op != "col":
        return None
    bound = mask.args[1].args[0]
    if not isinstance(bound, (int, float)) or isinstance(bound, bool):
        return None
    return str(diff.args[1].args[0])


def _window_masks(sp: SourcePlan, tcol: str) -> list[Expr]:
    """The distinct window masks on ``tcol`` among the aggregates of ``sp``."""
    found: dict[str, Expr] = {}
    for node in sp.aggs.values():
        mask = node.args[3]
        if mask is not None and _window_of(mask) == tcol:
            found.setdefault(mask.key, mask)
    return list(found.values())


def _window_column(sp: SourcePlan) -> str | None:
    """The time column most aggregates of ``sp`` are windowed on (None if none)."""
    counts: dict[str, int] = {}
    for node in sp.aggs.values():
        mask = node.args[3]
        col = _window_of(mask) if mask is not None else None
        if col is not None and node.args[0] in _PREFIX_KINDS:
            counts[col] = counts.get(col, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else None


class _Windows:
    """Nested windows on the sort column as bounds of every segment's leading rows.

    ``his[j]`` is where window ``j`` (narrowest first) ends in each segment; the rows
    between consecutive bounds form *bands*, and window ``j`` is bands ``0..j``.
    """

    def __init__(self, starts: np.ndarray, his: list[np.ndarray]) -> None:
        self.starts = starts
        self.his = his
        bounds = np.column_stack([starts, *his])  # (segments, windows + 1), non-decreasing
        self.idx = bounds.ravel()
        self.nonempty = bounds[:, 1:] > bounds[:, :-1]


class _Prefix:
    """Reductions of one value over the nested windows (segment prefixes) of ``_Windows``.

    With rows newest first, a window mask keeps a prefix of every segment, so sums,
    counts, means and extremes need no masked copy of the value: one reduceat over the
    band bounds of a zero-filled (or +-inf-filled) value gives every band of every
    segment in a single pass, and a running sum (max, min) across a segment's few bands
    gives all its windows. Counts come from an exact integer running count.
    """

    def __init__(self, v: np.ndarray, valid: np.ndarray, windows: _Windows) -> None:
        self.v = v
        self.valid = valid
        self.windows = windows
        self._bands: dict[str, np.ndarray] = {}
        self._running: np.ndarray | None = None

    def _fill(self, kind: str) -> np.ndarray:
        fill = {"sum": 0.0, "max": -np.inf, "min": np.inf}[kind]
        out = np.full(self.v.size + 1, fill)  # +1: a bound may equal the row count
        np.copyto(out[:-1], self.v, where=self.valid)
        return out

    def _windowed(self, kind: str) -> np.ndarray:
        """``(segments, windows)``: the reduction of every window of every segment."""
        hit = self._bands.get(kind)
        if hit is None:
            red = {"sum": np.add, "max": np.maximum, "min": np.minimum}[kind]
            w = self.windows
            k = len(w.his)
            bands = red.reduceat(self._fill(kind), w.idx).reshape(-1, k + 1)[:, :k]
            # reduceat gives the first element of an empty band: the neutral value instead
            neutral = {"sum": 0.0, "max": -np.inf, "min": np.inf}[kind]
            bands = np.where(w.nonempty, bands, neutral)
            hit = self._bands[kind] = red.accumulate(bands, axis=1)
        return hit

    def count(self, j: int) -> np.ndarray:
        if self._running is None:
            self._running = np.concatenate([[0], np.cumsum(self.valid, dtype=np.int64)])
        return self._running[self.windows.his[j]] - self._running[self.windows.starts]

    def reduce(self, kind: str, j: int) -> np.ndarray:
        """``kind`` (count, sum, mean, max, min) of the value over window ``j``."""
        count = self.count(j)
        if kind == "count":
            return count.astype(np.float64)
        if kind in ("max", "min"):
            return np.where(count > 0, self._windowed(kind)[:, j], np.nan)
        total = self._windowed("sum")[:, j]
        if kind == "sum":
            return total
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _as_numbers(series: pl.Series) -> tuple[np.ndarray, bool]:
    """Float values with NaN for null; text becomes dense integer codes."""
    if series.dtype in (pl.Categorical, pl.Enum):
        return series.to_physical().cast(pl.Float64).fill_null(np.nan).to_numpy(), True
    if series.dtype == pl.String:
        codes = series.cast(pl.Categorical).to_physical().cast(pl.Float64).fill_null(np.nan)
        return codes.to_numpy(), True
    return series.cast(pl.Float64).fill_null(np.nan).to_numpy(), False


def _reduce(
    kind: str,
    v: np.ndarray,
    codes: bool,
    present: np.ndarray,
    count: np.ndarray,
    starts: np.ndarray,
    seg: np.ndarray,
    order: np.ndarray | None,
) -> np.ndarray:
    """One aggregate per contiguous segment over the ``present`` rows (masked, not null)."""
    if kind == "nunique":
        return _nunique(v, present, seg, starts.size)
    if kind == "count":
        return count.astype(np.float64)
    if codes:
        raise ValueError(f"{kind} of text values")
    w = np.where(present, v, 0.0)
    total = np.add.reduceat(w, starts)
    if kind == "sum":
        return total
    if kind in ("max", "min"):
        fill = -np.inf if kind == "max" else np.inf
        red = np.maximum if kind == "max" else np.minimum
        best = red.reduceat(np.where(present, v, fill), starts)
        return np.where(count > 0, best, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        if kind == "mean":
            return mean
        if kind == "std":
            dev = np.where(present, v - mean[seg], 0.0)
            ss = np.add.reduceat(dev * dev, starts)
            return np.where(count > 1, np.sqrt(ss / np.maximum(count - 1, 1)), np.nan)
    if kind == "median":
        assert order is not None
        return _median(v, present, order, starts, count)
    raise ValueError(f"unknown aggregation {kind!r}")


def _median(
    v: np.ndarray, present: np.ndarray, order: np.ndarray, starts: np.ndarray, count: np.ndarray
) -> np.ndarray:
    """Median per segment from one (segment, value) sort shared by every mask.

    ``order`` sorts rows by segment then value; the k-th kept value of a segment is found
    on the running count of kept rows, which is non-decreasing over the whole array.
    """
    kept = present[order]
    running = np.cumsum(kept)
    before = running[starts] - kept[starts]
    lo = before + (np.maximum(count, 1) - 1) // 2 + 1
    hi = before + np.maximum(count, 1) // 2 + 1
    pos_lo = np.searchsorted(running, lo, side="left")
    pos_hi = np.searchsorted(running, hi, side="left")
    sorted_v = v[order]
    last = len(v) - 1
    out = (sorted_v[np.minimum(pos_lo, last)] + sorted_v[np.minimum(pos_hi, last)]) / 2.0
    return np.where(count > 0, out, np.nan)


def _nunique(v: np.ndarray, present: np.ndarray, seg: np.ndarray, n_seg: int) -> np.ndarray:
    """Distinct values per segment: hash (segment, value) pairs, count per segment."""
    import pandas as pd

    s = seg[present]
    x = v[present]
    if x.size == 0:
        return np.zeros(n_seg)
    ints = x.astype(np.int64)
    if np.array_equal(ints, x):
        low = ints.min()
        span = int(ints.max() - low) + 1
        uniq = pd.unique(s.astype(np.int64) * span + (ints - low))
        return np.bincount(uniq // span, minlength=n_seg).astype(np.float64)
    pairs = pd.DataFrame({"s": s, "x": x}).drop_duplicates()
    return np.bincount(pairs["s"].to_numpy(), minlength=n_seg).astype(np.float64)
