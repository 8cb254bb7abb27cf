"""Segment views: every validation number per segment (thin-file vs thick-file, channel...).

A model that ranks well overall can rank poorly inside the thin-file segment it is meant
for; these functions put the segments side by side.

Examples
--------
>>> import pandas as pd
>>> from thinfile_credit.metrics import segment_metrics
>>> df = pd.DataFrame({"bad": [0, 1, 0, 1, 0, 1], "pd": [.1, .8, .2, .6, .7, .3],
...                    "thin_file": [0, 0, 0, 1, 1, 1]})
>>> segment_metrics(df, target_col="bad", score_col="pd", segment_col="thin_file")[
...     ["segment", "n", "auc"]].values.tolist()
[['all', 6, 0.7777777777777778], ['0', 3, 1.0], ['1', 3, 0.0]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import from_polars, to_polars
from thinfile_credit.errors import DataError, SchemaError, SpecError
from thinfile_credit.metrics._binning import check_bins, check_n_bins
from thinfile_credit.metrics._validation import (
    check_binary_target,
    check_scores,
    check_weights,
    free_label,
    missing_label,
)
from thinfile_credit.metrics.calibration import brier_score, calibration_table, hosmer_lemeshow
from thinfile_credit.metrics.discrimination import discrimination
from thinfile_credit.metrics.stability import psi
from thinfile_credit.metrics.tables import _lift_rows, score_band_table

__all__ = ["segment_metrics", "segment_table"]

SegmentTable = Literal["lift", "score_band", "calibration"]

#: The options each table of :func:`segment_table` takes.
_TABLE_OPTIONS = {
    "lift": ("n_bins", "higher_is_better"),
    "score_band": ("bands", "higher_is_better"),
    "calibration": ("n_bins",),
}


def segment_metrics(
    frame: Any,
    *,
    target_col: str,
    score_col: str,
    segment_col: str,
    pd_col: str | None = None,
    weight_col: str | None = None,
    higher_is_better: bool = False,
    include_overall: bool = True,
) -> Any:
    """Discrimination, calibration and score-mix stability for every segment.

    Parameters
    ----------
    frame : DataFrame
        pandas, Polars or PyArrow frame, one row per scored and matured account.
    target_col : str
        Outcome column, 1 = bad (filter immature and indeterminate loans out first).
    score_col : str
        Score column.
    segment_col : str
        Segment column (e.g. ``thin_file``); labels are reported as strings, missing
        labels (null or NaN) as ``"missing"`` - or ``"<missing>"`` when a real segment is
        called ``"missing"``, so the two are never merged.
    pd_col : str, optional
        Predicted-PD column; adds ``brier`` and the Hosmer-Lemeshow ``hl_pvalue``.
    weight_col : str, optional
        Sample-weight column.
    higher_is_better : bool, default False
        ``True`` when ``score_col`` holds points.
    include_overall : bool, default True
        Start with a row ``"all"`` for the whole population (``"<all>"`` when a real
        segment is called ``"all"``).

    Returns
    -------
    DataFrame
        Same kind as ``frame``: ``segment``, ``n``, ``weight``, ``n_bad``, ``bad_rate``,
        ``auc``, ``gini``, ``ks``, ``ks_score``, ``score_psi`` (segment score mix against
        the whole population), plus ``brier`` and ``hl_pvalue`` with ``pd_col``. A
        segment with a single class gets NaN discrimination rather than an error, and
        NaN ``hl_pvalue`` where Hosmer-Lemeshow is undefined (fewer than three PD
        groups, or a group whose PDs are all 0 or all 1). A segment whose rows all weigh
        zero keeps its row: its ``n``, ``weight`` 0 and NaN for every rate and metric.

    Raises
    ------
    SchemaError
        A named column missing from ``frame``, or a segment column holding lists,
        structs or durations (``column`` the segment column, ``rows`` examples).
    DataError
        Bad outcomes, scores, PDs or weights (``column`` names the column, ``rows`` the
        positions), or weights that are all zero.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"bad": [0, 1, 0, 1], "score": [700, 550, 650, 600],
    ...                    "seg": ["a", "a", "b", "b"]})
    >>> out = segment_metrics(df, target_col="bad", score_col="score", segment_col="seg",
    ...                       higher_is_better=True, include_overall=False)
    >>> out["auc"].to_list()
    [1.0, 1.0]
    """
    df, kind, y_opt, s, w, seg = _columns(frame, target_col, score_col, segment_col, weight_col)
    assert y_opt is not None  # target_col is required here
    y = y_opt
    p = None
    if pd_col is not None:
        if pd_col not in df.columns:
            raise SchemaError("predicted-PD column not found", table="frame", column=pd_col)
        p = check_scores(df[pd_col].to_numpy(), pd_col)
    rows = []
    for label, mask in _segments(seg, include_overall):
        ws = None if w is None else w[mask]
        nb = float(y[mask].sum()) if ws is None else float((y[mask] * ws).sum())
        total = float(mask.sum()) if ws is None else float(ws.sum())
        weighed = total > 0
        row: dict[str, Any] = {
            "segment": label,
            "n": int(mask.sum()),
            "weight": total,
            "n_bad": nb,
            "bad_rate": nb / total if weighed else np.nan,
        }
        if 0 < nb < total:
            d = discrimination(
                y[mask], s[mask], sample_weight=ws, higher_is_better=higher_is_better
            )
            row.update(auc=d.auc, gini=d.gini, ks=d.ks, ks_score=d.ks_score)
        else:
            row.update(auc=np.nan, gini=np.nan, ks=np.nan, ks_score=np.nan)
        row["score_psi"] = (
            psi(s, s[mask], reference_weight=w, current_weight=ws).value if weighed else np.nan
        )
        if p is not None:
            row["brier"] = brier_score(y[mask], p[mask], sample_weight=ws) if weighed else np.nan
            try:
                row["hl_pvalue"] = hosmer_lemeshow(y[mask], p[mask], sample_weight=ws).pvalue
            except DataError:
                row["hl_pvalue"] = np.nan  # too few distinct PDs (or no weight) in a segment
        rows.append(row)
    return from_polars(pl.DataFrame(rows), kind)


def segment_table(
    frame: Any,
    *,
    table: SegmentTable,
    target_col: str | None,
    score_col: str,
    segment_col: str,
    weight_col: str | None = None,
    include_overall: bool = True,
    **options: Any,
) -> Any:
    """A lift, score-band or calibration table for every segment, stacked.

    Parameters
    ----------
    frame : DataFrame
        pandas, Polars or PyArrow frame.
    table : {"lift", "score_band", "calibration"}
        Which table: :func:`~thinfile_credit.metrics.lift_table`,
        :func:`~thinfile_credit.metrics.score_band_table` or
        :func:`~thinfile_credit.metrics.calibration_table` (``score_col`` is then the PD).
    target_col : str or None
        Outcome column, 1 = bad (may be None only for ``"score_band"``).
    score_col, segment_col, weight_col, include_overall
        As for :func:`segment_metrics`.
    **options
        Passed to the table function (``n_bins``, ``bands``, ``higher_is_better``).
        Give explicit ``bands`` edges so score bands line up across segments.

    Returns
    -------
    DataFrame
        Same kind as ``frame``: a ``segment`` column followed by the table's columns.
        A segment with a single class keeps its table, with NaN where a column divides
        by the absent class (a lift table's shares of bads or goods, lift and KS). A
        segment whose rows all weigh zero gets one row: ``count`` 0 and NaN (null)
        elsewhere.

    Raises
    ------
    SpecError
        An unknown ``table``, no ``target_col`` for a table that needs outcomes, an
        option the table does not take, or a bad ``n_bins`` / ``bands``.
    SchemaError
        As for :func:`segment_metrics`.
    DataError
        Bad outcomes, scores or weights (``column`` names the column, ``rows`` the
        positions); for ``"calibration"``, PDs outside [0, 1].

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"bad": [0, 1, 0, 1], "score": [700, 550, 650, 600],
    ...                    "seg": ["a", "a", "b", "b"]})
    >>> t = segment_table(df, table="score_band", target_col="bad", score_col="score",
    ...                   segment_col="seg", bands=[600, 650], higher_is_better=True)
    >>> t[["segment", "band", "count"]].values.tolist()[:2]
    [['all', '[650, inf)', 2.0], ['all', '[600, 650)', 1.0]]
    """
    make = _table_maker(table, target_col, options)
    _, kind, y, s, w, seg = _columns(frame, target_col, score_col, segment_col, weight_col)
    if table == "calibration":
        outside = np.flatnonzero((s < 0) | (s > 1))
        if outside.size:
            raise DataError(
                "probabilities of default must lie in [0, 1]",
                table="frame",
                column=score_col,
                rows=outside[:5].tolist(),
            )
    parts, full = [], []
    for label, mask in _segments(seg, include_overall):
        ws = None if w is None else w[mask]
        if ws is not None and not ws.sum() > 0:
            part = pd.DataFrame({"count": [0.0]})  # no table of nothing, but a row
        else:
            part = make(None if y is None else y[mask], s[mask], ws)
            full.append(part)
        part.insert(0, "segment", label)
        parts.append(part)
    # A weightless segment's one row takes the full tables' columns (NaN elsewhere);
    # the whole frame has positive weight, so some segment has a full table.
    stacked = pd.concat(parts, ignore_index=True).reindex(columns=full[0].columns)
    out = pl.from_pandas(stacked)
    if "bin" in out.columns:  # NaN for a weightless segment would make bins floats
        out = out.with_columns(pl.col("bin").cast(pl.Int64))
    return from_polars(out, kind)


def _table_maker(
    table: Any, target_col: str | None, options: dict[str, Any]
) -> Callable[[NDArray[np.float64] | None, NDArray[np.float64], Any], pd.DataFrame]:
    """The table function of one segment, its settings checked before any data is read."""
    if not (isinstance(table, str) and table in _TABLE_OPTIONS):
        raise SpecError(f"table must be one of {sorted(_TABLE_OPTIONS)}, got {table!r}")
    if target_col is None and table != "score_band":
        raise SpecError(f"the {table} table needs target_col")
    unknown = sorted(set(options) - set(_TABLE_OPTIONS[table]))
    if unknown:
        raise SpecError(
            f"the {table} table takes the options {list(_TABLE_OPTIONS[table])}, got {unknown}"
        )
    if table == "lift":
        n_bins = check_n_bins(options.get("n_bins", 10))
        higher = options.get("higher_is_better", False)

        def lift(y: NDArray[np.float64] | None, s: NDArray[np.float64], w: Any) -> pd.DataFrame:
            assert y is not None  # target_col is required for lift (checked above)
            # One class is allowed here: its shares become NaN, not an error for the call.
            return _lift_rows(y, s, w, n_bins, higher)

        return lift
    if table == "score_band":
        check_bins(options.get("bands", 10), "bands")
        return lambda y, s, w: score_band_table(s, y, sample_weight=w, **options)
    check_n_bins(options.get("n_bins", 10))
    return lambda y, s, w: calibration_table(y, s, sample_weight=w, **options)


def _columns(
    frame: Any,
    target_col: str | None,
    score_col: str,
    segment_col: str,
    weight_col: str | None,
) -> tuple[
    pl.DataFrame,
    Any,
    NDArray[np.float64] | None,
    NDArray[np.float64],
    NDArray[np.float64] | None,
    NDArray[Any],
]:
    df, kind = to_polars(frame, table="frame")
    wanted = [c for c in (target_col, score_col, segment_col, weight_col) if c is not None]
    for col in wanted:
        if col not in df.columns:
            raise SchemaError("column not found", table="frame", column=col)
    try:
        s = check_scores(df[score_col].to_numpy(), score_col)
        y = None
        if target_col is not None:
            y = check_binary_target(df[target_col].to_numpy(), target_col).astype(np.float64)
        w = None
        if weight_col is not None:
            w = check_weights(df[weight_col].to_numpy(), s.size, weight_col)
    except DataError as exc:  # the checks name the column; the frame is the table
        raise type(exc)(exc.message, table="frame", column=exc.column, rows=exc.rows) from None
    seg = _segment_labels(df[segment_col])
    return df, kind, y, s, w, seg


def _segment_labels(col: pl.Series) -> NDArray[Any]:
    """Segment labels as strings; null and NaN (pandas' and Polars' missing) alike."""
    dtype = col.dtype
    if dtype.is_nested() or dtype == pl.Duration or dtype == pl.Object:
        # Lists cannot be cast to a label, and a struct would read as "{1}".
        raise SchemaError(
            f"segment labels must be text, numbers, booleans or dates, got {dtype}",
            table="frame",
            column=col.name,
            rows=col.is_not_null().arg_true().head(5).to_list(),
        )
    if col.dtype.is_float():
        col = col.fill_nan(None)
    labels = col.cast(pl.String)
    present = labels.drop_nulls().unique().to_list()
    return labels.fill_null(missing_label(present)).to_numpy()


def _segments(seg: NDArray[Any], include_overall: bool) -> list[tuple[str, NDArray[np.bool_]]]:
    out: list[tuple[str, NDArray[np.bool_]]] = []
    labels = sorted(set(seg.tolist()))
    if include_overall:
        # "all", or "<all>" when a real segment is called "all", so the two never merge
        out.append((free_label("all", labels), np.ones(seg.size, dtype=bool)))
    for label in labels:
        out.append((str(label), seg == label))
    return out
