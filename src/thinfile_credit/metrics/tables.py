"""Rank-ordering tables: lift / gains by quantile and score-band cut-off tables.

Both return a :class:`pandas.DataFrame` (the inputs are arrays, and analysts read these
tables in notebooks and reports). The outcome is 0/1 with 1 = bad; ``higher_is_better``
says whether the score is points (higher = safer) or a PD-like risk (the default).

Examples
--------
>>> from thinfile_credit.metrics import lift_table
>>> t = lift_table([1, 0, 1, 0, 0, 0], [0.9, 0.8, 0.7, 0.3, 0.2, 0.1], n_bins=2)
>>> t["n_bad"].tolist(), t["cum_bad_share"].tolist(), t["lift"].tolist()
([2.0, 0.0], [1.0, 1.0], [2.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from thinfile_credit.metrics._binning import check_bins, check_n_bins, tie_safe_quantile_bins
from thinfile_credit.metrics._validation import (
    check_binary_target,
    check_both_classes,
    check_scores,
    check_weights,
)

__all__ = ["lift_table", "score_band_table"]


def lift_table(
    y_true: Any,
    score: Any,
    *,
    n_bins: int = 10,
    sample_weight: Any = None,
    higher_is_better: bool = False,
) -> pd.DataFrame:
    """Lift and gains table by score quantile, riskiest group first.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Outcome, 1 = bad.
    score : array-like of shape (n,)
        Finite scores.
    n_bins : int, default 10
        Number of quantile groups (deciles by default). Tied scores are never split, so
        heavily tied scores can give fewer, unequal groups.
    sample_weight : array-like, optional
        Non-negative weights; counts and rates are weighted. Groups are quantiles of
        the positive-weight rows: a score whose rows all weigh zero joins the group of
        its nearest riskier neighbour with positive weight, never a group of its own.
    higher_is_better : bool, default False
        ``True`` for points (the lowest points are the riskiest group).

    Returns
    -------
    pandas.DataFrame
        One row per group, ``bin`` 1 = riskiest: ``score_min``, ``score_max``, ``count``,
        ``n_bad``, ``n_good``, ``bad_rate``, ``share``, ``cum_share``, ``cum_n_bad``,
        ``cum_bad_share`` (gains: share of all bads captured so far), ``cum_good_share``,
        ``cum_bad_rate``, ``lift`` (bad rate / overall bad rate), ``cum_lift`` and ``ks``
        (``cum_bad_share - cum_good_share``).

    Raises
    ------
    SpecError
        ``n_bins`` that is not an integer >= 1.
    DataError
        Bad scores, outcomes or weights (named, with rows), or a single class:
        :func:`~thinfile_credit.metrics.segment_table` reports a one-class segment with
        NaN shares instead.

    Examples
    --------
    >>> t = lift_table([1, 1, 0, 0], [0.9, 0.6, 0.4, 0.1], n_bins=2)
    >>> t["cum_bad_share"].tolist(), t["lift"].tolist()
    ([1.0, 1.0], [2.0, 0.0])
    """
    n_bins = check_n_bins(n_bins)
    s = check_scores(score)
    y = check_binary_target(y_true, n=s.size)
    w = check_weights(sample_weight, s.size)
    check_both_classes(y, w)
    return _lift_rows(y, s, w, n_bins, higher_is_better)


def _lift_rows(
    y: NDArray[Any],
    s: NDArray[np.float64],
    w: NDArray[np.float64] | None,
    n_bins: int,
    higher_is_better: bool,
) -> pd.DataFrame:
    """:func:`lift_table` of checked arrays (positive total weight), one class allowed:
    the shares, lift and KS that divide by an absent class's total are then NaN."""
    risk = -s if higher_is_better else s
    # Groups are formed on descending risk so bin 1 is the riskiest.
    bins = tie_safe_quantile_bins(-risk, w, n_bins)
    k = int(bins.max()) + 1
    ww = np.ones(s.size) if w is None else w
    count = np.bincount(bins, weights=ww, minlength=k)
    n_bad = np.bincount(bins, weights=ww * y, minlength=k)
    n_good = count - n_bad
    smin = np.full(k, np.inf)
    smax = np.full(k, -np.inf)
    np.minimum.at(smin, bins, s)
    np.maximum.at(smax, bins, s)
    total, total_bad, total_good = count.sum(), n_bad.sum(), n_good.sum()
    overall = total_bad / total
    cum_count, cum_bad, cum_good = np.cumsum(count), np.cumsum(n_bad), np.cumsum(n_good)
    bad_rate = n_bad / count
    cum_bad_rate = cum_bad / cum_count
    with np.errstate(invalid="ignore", divide="ignore"):  # 0 / 0 for an absent class
        cum_bad_share, cum_good_share = cum_bad / total_bad, cum_good / total_good
        lift, cum_lift = bad_rate / overall, cum_bad_rate / overall
    return pd.DataFrame(
        {
            "bin": np.arange(1, k + 1),
            "score_min": smin,
            "score_max": smax,
            "count": count,
            "n_bad": n_bad,
            "n_good": n_good,
            "bad_rate": bad_rate,
            "share": count / total,
            "cum_share": cum_count / total,
            "cum_n_bad": cum_bad,
            "cum_bad_share": cum_bad_share,
            "cum_good_share": cum_good_share,
            "cum_bad_rate": cum_bad_rate,
            "lift": lift,
            "cum_lift": cum_lift,
            "ks": cum_bad_share - cum_good_share,
        }
    )


def score_band_table(
    score: Any,
    y_true: Any = None,
    *,
    bands: int | Sequence[float] = 10,
    sample_weight: Any = None,
    higher_is_better: bool = False,
) -> pd.DataFrame:
    """Score bands with the approval rate and approved bad rate of each cut-off.

    Bands are left-closed intervals ``[lower, upper)``. Rows run from the best band to
    the worst, and each row's cumulative columns describe the policy "approve this band
    and every better one": for points (``higher_is_better=True``) that is
    ``score >= lower``; for a PD it is ``score < upper``.

    Parameters
    ----------
    score : array-like of shape (n,)
        Finite scores.
    y_true : array-like of shape (n,), optional
        Outcome, 1 = bad. Without it (e.g. a recent, unmatured population) only counts
        and approval rates are returned.
    bands : int or sequence of float, default 10
        Either a number of quantile bands or the interior band edges (increasing).
    sample_weight : array-like, optional
        Non-negative weights.
    higher_is_better : bool, default False
        ``True`` for points.

    Returns
    -------
    pandas.DataFrame
        ``band`` (label), ``lower``, ``upper``, ``count``, ``share``, ``cum_approval_rate``
        and, with outcomes, ``n_bad``, ``bad_rate``, ``cum_n_bad``, ``cum_bad_rate`` (bad
        rate of the approved) and ``cum_bad_share`` (share of all bads approved; NaN
        when there are no bads).

    Raises
    ------
    SpecError
        ``bands`` that is neither an integer >= 1 nor a non-empty sequence of finite,
        strictly increasing numbers (text is refused, not read as numbers).
    DataError
        Bad scores, outcomes or weights (named, with rows).

    Examples
    --------
    >>> t = score_band_table([520, 560, 610, 650, 700], [1, 1, 0, 1, 0],
    ...                      bands=[550, 600, 650], higher_is_better=True)
    >>> t["band"].tolist()
    ['[650, inf)', '[600, 650)', '[550, 600)', '[-inf, 550)']
    >>> t["cum_approval_rate"].tolist()
    [0.4, 0.6, 0.8, 1.0]
    >>> t["cum_bad_rate"].round(3).tolist()
    [0.5, 0.333, 0.5, 0.6]
    """
    checked_bands = check_bins(bands, "bands")
    s = check_scores(score)
    w = check_weights(sample_weight, s.size)
    y = None if y_true is None else check_binary_target(y_true, n=s.size)
    edges = _band_edges(s, w, checked_bands)
    band = np.searchsorted(edges, s, side="right")  # left-closed [lower, upper)
    k = edges.size + 1
    ww = np.ones(s.size) if w is None else w
    count = np.bincount(band, weights=ww, minlength=k)
    lower = np.concatenate([[-np.inf], edges])
    upper = np.concatenate([edges, [np.inf]])
    order = np.arange(k)[::-1] if higher_is_better else np.arange(k)
    keep = order[count[order] > 0]
    total = count.sum()
    cum_count = np.cumsum(count[keep])
    out: dict[str, Any] = {
        "band": [_label(lower[i], upper[i]) for i in keep],
        "lower": lower[keep],
        "upper": upper[keep],
        "count": count[keep],
        "share": count[keep] / total,
        "cum_approval_rate": cum_count / total,
    }
    if y is not None:
        n_bad = np.bincount(band, weights=ww * y, minlength=k)[keep]
        cum_bad = np.cumsum(n_bad)
        total_bad = n_bad.sum()
        out["n_bad"] = n_bad
        out["bad_rate"] = n_bad / count[keep]
        out["cum_n_bad"] = cum_bad
        out["cum_bad_rate"] = cum_bad / cum_count
        with np.errstate(invalid="ignore", divide="ignore"):
            out["cum_bad_share"] = cum_bad / total_bad if total_bad > 0 else np.nan * cum_bad
    return pd.DataFrame(out)


def _band_edges(
    s: NDArray[np.float64], w: NDArray[np.float64] | None, bands: int | NDArray[np.float64]
) -> NDArray[np.float64]:
    if isinstance(bands, int):
        groups = tie_safe_quantile_bins(s, w, bands)
        k = int(groups.max()) + 1
        starts = np.full(k, np.inf)
        np.minimum.at(starts, groups, s)
        return np.sort(starts)[1:]
    return bands


def _label(lo: float, hi: float) -> str:
    def fmt(x: float) -> str:
        return f"{x:g}" if np.isfinite(x) else ("-inf" if x < 0 else "inf")

    return f"[{fmt(lo)}, {fmt(hi)})"
