"""Monitoring a deployed score: population drift, feature drift and realised performance.

:func:`monitor` compares a *current* population (e.g. last month's applicants) with the
*reference* population the model was developed or last validated on:

* **score PSI** on the reference's score deciles (see :mod:`thinfile_credit.metrics`);
* **CSI** of every feature with the same binning and zero-cell rules (``bins``
  reference quantiles, or deciles when the score has fixed band edges);
* **bands**: for each score band, the share of applicants and - where outcomes are
  known (non-null target) - the bad rate in each period;
* **performance** (where outcomes are known in both periods): AUC, Gini, KS and bad rate;
  a Gini below ``(1 - gini_drop) x`` the reference Gini is flagged.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from thinfile_credit.monitoring import monitor
>>> rng = np.random.default_rng(0)
>>> ref = pd.DataFrame({"score": rng.normal(600, 50, 2000), "age": rng.integers(18, 70, 2000)})
>>> cur = pd.DataFrame({"score": rng.normal(640, 50, 2000), "age": rng.integers(18, 70, 2000)})
>>> report = monitor(ref, cur, features=["age"])
>>> report.score_psi.flag, report.flags
('significant', ('score PSI 0.72 is significant (>= 0.25)',))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import FrameKind, from_polars, to_polars
from thinfile_credit.errors import DataError, SchemaError, SpecError
from thinfile_credit.metrics import PSI_THRESHOLDS, PSIResult, csi, discrimination, psi
from thinfile_credit.metrics._validation import check_binary_target, check_scores

__all__ = ["MonitoringReport", "monitor"]


@dataclass(frozen=True)
class MonitoringReport:
    """The result of :func:`monitor`.

    Attributes
    ----------
    score_psi : PSIResult
        PSI of the score with its per-bin table.
    csi : pandas.DataFrame
        One row per feature (see :func:`~thinfile_credit.metrics.csi`); empty without
        features.
    bands : pandas.DataFrame
        Per score band: ``band``, ``ref_share``, ``cur_share`` and, where outcomes are
        known, ``ref_n_bad``, ``ref_bad_rate``, ``cur_n_bad``, ``cur_bad_rate``.
    performance : pandas.DataFrame
        ``period`` (reference/current), ``n_known`` (rows with an outcome), ``bad_rate``,
        ``auc``, ``gini``, ``ks``; empty without a target column.
    flags : tuple of str
        Plain-language alerts, empty when nothing needs attention.
    kind : str
        Frame library of ``reference``, used by :meth:`to_frame`.
    """

    score_psi: PSIResult
    csi: pd.DataFrame
    bands: pd.DataFrame
    performance: pd.DataFrame
    flags: tuple[str, ...]
    kind: FrameKind = field(default="pandas")

    def to_frame(self) -> Any:
        """Everything as one tidy long frame (kind of the reference input).

        Columns ``section`` (score, feature, band, performance), ``item`` (score column,
        feature, band or period), ``metric``, ``value`` and ``flag`` (PSI flag for PSI and
        CSI rows, null elsewhere).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> ref = pd.DataFrame({"score": np.arange(100.0)})
        >>> tidy = monitor(ref, ref).to_frame()
        >>> tidy.iloc[0][["section", "metric", "flag"]].tolist()
        ['score', 'psi', 'stable']
        """
        rows: list[dict[str, Any]] = [
            {
                "section": "score",
                "item": "score",
                "metric": "psi",
                "value": self.score_psi.value,
                "flag": self.score_psi.flag,
            }
        ]
        for rec in self.csi.to_dict("records"):
            rows.append(
                {
                    "section": "feature",
                    "item": rec["feature"],
                    "metric": "csi",
                    "value": rec["psi"],
                    "flag": rec["flag"],
                }
            )
        for rec in self.bands.to_dict("records"):
            for metric, value in rec.items():
                if metric != "band":
                    rows.append(_row("band", rec["band"], str(metric), value))
        for rec in self.performance.to_dict("records"):
            for metric, value in rec.items():
                if metric != "period":
                    rows.append(_row("performance", rec["period"], str(metric), value))
        out = pl.DataFrame(
            rows,
            schema={
                "section": pl.String,
                "item": pl.String,
                "metric": pl.String,
                "value": pl.Float64,
                "flag": pl.String,
            },
        )
        return from_polars(out, self.kind)


def monitor(
    reference: Any,
    current: Any,
    *,
    model: Any = None,
    score_col: str = "score",
    target_col: str | None = None,
    features: Sequence[str] | None = None,
    bins: int | Sequence[float] = 10,
    closed: Literal["right", "left"] = "right",
    higher_is_better: bool | None = None,
    epsilon: float = 1e-4,
    gini_drop: float = 0.10,
) -> MonitoringReport:
    """Compare a current population with the reference one.

    Parameters
    ----------
    reference, current : DataFrame
        pandas, Polars or PyArrow frames with the score (or the model's features), the
        features to watch and optionally the outcome.
    model : Scorer, optional
        Any object with ``score(X)`` (see :class:`~thinfile_credit.protocol.Scorer`); used
        to score a frame that lacks ``score_col``, on its ``feature_names_in_`` columns.
        Its features are also the default watch list, and its ``scale_`` gives the score
        direction.
    score_col : str, default "score"
        Score column.
    target_col : str, optional
        Outcome column (1 = bad, null = not yet known); enables bad rates by band and
        performance.
    features : sequence of str, optional
        Columns to compute CSI for; default the model's features, else every column
        shared by both frames other than the score and target.
    bins : int or sequence of float, default 10
        Score bands: reference quantiles, or interior edges (e.g. the policy's bands).
        An integer also sets the number of reference quantile bins of every numeric
        feature's CSI; with edges (which fit the score only) features use deciles.
    closed : {"right", "left"}, default "right"
        Closed end of the score bands (see :func:`~thinfile_credit.metrics.psi`); use
        ``"left"`` with policy cut-offs on points.
    higher_is_better : bool, optional
        Score direction for AUC; default from ``model.scale_``, else True (points).
    epsilon : float, default 1e-4
        PSI zero-cell floor.
    gini_drop : float, default 0.10
        Relative Gini decrease from reference to current that raises a flag, in
        ``[0, 1]``.

    Returns
    -------
    MonitoringReport

    Raises
    ------
    SchemaError
        A missing score column with no model, a missing feature / target column, or a
        feature of another kind in ``current`` than in ``reference`` (e.g. text where
        the reference is numeric; see :func:`~thinfile_credit.metrics.csi`).
    DataError
        NaN, infinite or non-numeric scores, outcomes other than 0/1/null, empty frames;
        ``table`` names the frame, ``column`` the score or target column and ``rows`` the
        offending rows of that frame (positions, counted over all its rows).
    SpecError
        A ``gini_drop`` that is not a number in ``[0, 1]`` (NaN would never flag), or a
        ``bins``, ``closed`` or ``epsilon`` that :func:`~thinfile_credit.metrics.psi`
        refuses.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> y = rng.integers(0, 2, 1000)
    >>> ref = pd.DataFrame({"score": 600 - 40 * y + rng.normal(0, 30, 1000), "bad": y})
    >>> report = monitor(ref, ref.assign(bad=np.where(np.arange(1000) < 500, y, None)),
    ...                  target_col="bad")
    >>> report.performance["period"].tolist(), report.performance["n_known"].tolist()
    (['reference', 'current'], [1000, 500])
    """
    _check_gini_drop(gini_drop)
    ref_df, kind = to_polars(reference, table="reference")
    cur_df, _ = to_polars(current, table="current")
    for df, name in ((ref_df, "reference"), (cur_df, "current")):
        if df.height == 0:
            raise DataError("no rows to monitor", table=name)
    if higher_is_better is None:
        scale = getattr(model, "scale_", None)
        higher_is_better = bool(getattr(scale, "higher_is_better", True))
    ref_score = _scores(ref_df, "reference", score_col, model)
    cur_score = _scores(cur_df, "current", score_col, model)
    score_psi = psi(ref_score, cur_score, bins=bins, epsilon=epsilon, closed=closed)

    if features is None:
        if model is not None and hasattr(model, "feature_names_in_"):
            features = [str(f) for f in model.feature_names_in_]
        else:
            skip = {score_col, target_col}
            features = [c for c in ref_df.columns if c in cur_df.columns and c not in skip]
    csi_table = (
        pd.DataFrame(
            columns=[
                "feature",
                "kind",
                "psi",
                "flag",
                "n_bins",
                "ref_missing_share",
                "cur_missing_share",
            ]
        )
        if not features
        else csi(
            ref_df, cur_df, features=features, bins=_feature_bins(bins), epsilon=epsilon
        ).to_pandas()
    )

    edges = score_psi.table["upper"].to_numpy()
    edges = edges[np.isfinite(edges)]
    bands = score_psi.table[["bin", "ref_share", "cur_share"]].rename(columns={"bin": "band"})
    performance = pd.DataFrame(columns=["period", "n_known", "bad_rate", "auc", "gini", "ks"])
    flags: list[str] = []
    if score_psi.flag != "stable":
        flags.append(_psi_message("score PSI", score_psi.value, score_psi.flag))
    for rec in csi_table.to_dict("records"):
        if rec["flag"] != "stable":
            flags.append(_psi_message(f"feature {rec['feature']} CSI", rec["psi"], rec["flag"]))

    if target_col is not None:
        perf_rows = []
        for df, s, name, prefix in (
            (ref_df, ref_score, "reference", "ref"),
            (cur_df, cur_score, "current", "cur"),
        ):
            y, known = _outcomes(df, name, target_col)
            band_idx = np.searchsorted(
                edges, s[known], side="left" if closed == "right" else "right"
            )
            n = np.bincount(band_idx, minlength=edges.size + 1).astype(np.float64)
            n_bad = np.bincount(band_idx, weights=y, minlength=edges.size + 1)
            if "missing" in set(bands["band"]):
                n, n_bad = np.append(n, 0.0), np.append(n_bad, 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                bands[f"{prefix}_n_bad"] = n_bad
                bands[f"{prefix}_bad_rate"] = np.where(n > 0, n_bad / np.maximum(n, 1), np.nan)
            row: dict[str, Any] = {
                "period": name,
                "n_known": int(known.sum()),
                "bad_rate": float(y.mean()) if y.size else np.nan,
                "auc": np.nan,
                "gini": np.nan,
                "ks": np.nan,
            }
            if y.size and 0 < y.sum() < y.size:
                d = discrimination(y, s[known], higher_is_better=higher_is_better)
                row.update(auc=d.auc, gini=d.gini, ks=d.ks)
            perf_rows.append(row)
        performance = pd.DataFrame(perf_rows)
        g_ref, g_cur = perf_rows[0]["gini"], perf_rows[1]["gini"]
        if np.isfinite(g_ref) and np.isfinite(g_cur) and g_cur < (1.0 - gini_drop) * g_ref:
            flags.append(
                f"Gini fell from {g_ref:.3f} to {g_cur:.3f} "
                f"(more than {gini_drop:.0%} below the reference)"
            )
    return MonitoringReport(
        score_psi=score_psi,
        csi=csi_table,
        bands=bands,
        performance=performance,
        flags=tuple(flags),
        kind=kind,
    )


def _check_gini_drop(gini_drop: Any) -> None:
    if (
        isinstance(gini_drop, bool)
        or not isinstance(gini_drop, int | float | np.integer | np.floating)
        or not math.isfinite(float(gini_drop))
        or not 0.0 <= float(gini_drop) <= 1.0
    ):
        raise SpecError(f"gini_drop must be a number in [0, 1], got {gini_drop!r}")


def _in_table(exc: DataError, table: str, positions: NDArray[np.intp] | None = None) -> DataError:
    """``exc`` naming ``table``, its rows mapped from a subset back to the frame's rows."""
    rows = exc.rows
    if rows is not None and positions is not None:
        rows = positions[np.asarray(rows, dtype=np.intp)].tolist()
    return type(exc)(exc.message, table=table, column=exc.column, rows=rows)


def _feature_bins(bins: int | Sequence[float]) -> int:
    """CSI bins: the score's number of quantile bins, or deciles beside fixed edges."""
    if isinstance(bins, int | np.integer) and not isinstance(bins, bool):
        return int(bins)
    return 10


def _scores(df: pl.DataFrame, table: str, score_col: str, model: Any) -> NDArray[np.float64]:
    if score_col in df.columns:
        try:
            return check_scores(df[score_col].to_numpy(), score_col)
        except DataError as exc:
            raise _in_table(exc, table) from None
    if model is None:
        raise SchemaError(
            "score column not found and no model was given to score the frame",
            table=table,
            column=score_col,
        )
    names = [str(f) for f in getattr(model, "feature_names_in_", df.columns)]
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise SchemaError(f"model feature(s) {missing[:5]} not found", table=table)
    try:
        return check_scores(np.asarray(model.score(df.select(names).to_pandas())), score_col)
    except DataError as exc:  # the model's scores, one per row of the frame
        raise _in_table(exc, table) from None


def _outcomes(
    df: pl.DataFrame, table: str, target_col: str
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    if target_col not in df.columns:
        raise SchemaError("target column not found", table=table, column=target_col)
    col = df[target_col]
    known = col.is_not_null().to_numpy()
    if col.dtype.is_float():
        known &= ~np.isnan(col.fill_null(0).to_numpy())
    if not known.any():
        return np.empty(0), known
    try:
        y = check_binary_target(col.to_numpy()[known], target_col).astype(np.float64)
    except DataError as exc:  # rows of the known-outcome subset -> rows of the frame
        raise _in_table(exc, table, np.flatnonzero(known)) from None
    return y, known


def _psi_message(what: str, value: float, flag: str) -> str:
    bound = PSI_THRESHOLDS[1] if flag == "significant" else PSI_THRESHOLDS[0]
    return f"{what} {value:.2f} is {flag} (>= {bound:.2f})"


def _row(section: str, item: Any, metric: str, value: Any) -> dict[str, Any]:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    return {"section": section, "item": str(item), "metric": metric, "value": v, "flag": None}
