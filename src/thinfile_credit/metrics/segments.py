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
from thinfile_credit.errors import DataError, SchemaError
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
from thinfile_credit.metrics.tables import lift_table, score_band_table

__all__ = ["segment_metrics", "segment_table"]

SegmentTable = Literal["lift", "score_band", "calibration"]


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
        groups, or a group whose PDs are all 0 or all 1).

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
        row: dict[str, Any] = {
            "segment": label,
            "n": int(mask.sum()),
            "weight": total,
            "n_bad": nb,
            "bad_rate": nb / total if total > 0 else np.nan,
        }
        if 0 < nb < total:
            d = discrimination(
                y[mask], s[mask], sample_weight=ws, higher_is_better=higher_is_better
            )
            row.update(auc=d.auc, gini=d.gini, ks=d.ks, ks_score=d.ks_score)
        else:
            row.update(auc=np.nan, gini=np.nan, ks=np.nan, ks_score=np.nan)
        row["score_psi"] = psi(s, s[mask], reference_weight=w, current_weight=ws).value
        if p is not None:
            row["brier"] = brier_score(y[mask], p[mask], sample_weight=ws)
            try:
                row["hl_pvalue"] = hosmer_lemeshow(y[mask], p[mask], sample_weight=ws).pvalue
            except DataError:
                row["hl_pvalue"] = np.nan  # too few distinct PDs in a small segment
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
    funcs: dict[str, Callable[..., pd.DataFrame]] = {
        "lift": lambda y, s, w: lift_table(y, s, sample_weight=w, **options),
        "score_band": lambda y, s, w: score_band_table(s, y, sample_weight=w, **options),
        "calibration": lambda y, s, w: calibration_table(y, s, sample_weight=w, **options),
    }
    if table not in funcs:
        raise DataError(f"table must be one of {sorted(funcs)}, got {table!r}")
    if target_col is None and table != "score_band":
        raise DataError(f"the {table} table needs target_col")
    _, kind, y, s, w, seg = _columns(frame, target_col, score_col, segment_col, weight_col)
    parts = []
    for label, mask in _segments(seg, include_overall):
        part = funcs[table](None if y is None else y[mask], s[mask], None if w is None else w[mask])
        part.insert(0, "segment", label)
        parts.append(part)
    out = pl.from_pandas(pd.concat(parts, ignore_index=True))
    return from_polars(out, kind)


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
    s = check_scores(df[score_col].to_numpy(), score_col)
    y = None
    if target_col is not None:
        y = check_binary_target(df[target_col].to_numpy(), target_col).astype(np.float64)
    w = None if weight_col is None else check_weights(df[weight_col].to_numpy(), s.size, weight_col)
    seg = _segment_labels(df[segment_col])
    return df, kind, y, s, w, seg


def _segment_labels(col: pl.Series) -> NDArray[Any]:
    """Segment labels as strings; null and NaN (pandas' and Polars' missing) alike."""
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
