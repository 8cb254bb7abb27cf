"""Calibration: does a predicted PD of 5 % mean 5 % of such borrowers go bad?

Examples
--------
>>> from thinfile_credit.metrics import brier_score
>>> round(brier_score([0, 1], [0.2, 0.6]), 6)
0.1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from thinfile_credit.errors import DataError
from thinfile_credit.metrics._binning import check_n_bins, tie_safe_quantile_bins
from thinfile_credit.metrics._validation import check_binary_target, check_scores, check_weights

__all__ = ["HosmerLemeshow", "brier_score", "calibration_table", "hosmer_lemeshow"]


@dataclass(frozen=True)
class HosmerLemeshow:
    """Hosmer-Lemeshow goodness-of-fit test.

    Attributes
    ----------
    statistic : float
        ``sum_g (O_g - E_g)^2 / (E_g (1 - E_g / n_g))`` over the PD groups.
    dof : int
        Degrees of freedom, number of groups minus 2.
    pvalue : float
        Upper tail of the chi-square distribution with ``dof`` degrees of freedom; small
        values mean the PDs are miscalibrated.
    table : pandas.DataFrame
        The grouped table the statistic was computed from (see :func:`calibration_table`).
    """

    statistic: float
    dof: int
    pvalue: float
    table: pd.DataFrame


def brier_score(y_true: Any, pd_: Any, *, sample_weight: Any = None) -> float:
    """Mean squared difference between predicted PD and outcome (lower is better).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Outcome, 1 = bad.
    pd_ : array-like of shape (n,)
        Predicted probabilities of default in [0, 1].
    sample_weight : array-like, optional
        Non-negative weights (a weighted mean).

    Returns
    -------
    float
        Equals :func:`sklearn.metrics.brier_score_loss`.

    Examples
    --------
    >>> brier_score([0, 0, 1], [0.0, 0.5, 1.0])
    0.08333333333333333
    """
    y, p, w = _checked_pd(y_true, pd_, sample_weight)
    return float(np.average((p - y) ** 2, weights=w))


def calibration_table(
    y_true: Any, pd_: Any, *, n_bins: int = 10, sample_weight: Any = None
) -> pd.DataFrame:
    """Expected versus observed bad rate by quantile group of predicted PD.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Outcome, 1 = bad.
    pd_ : array-like of shape (n,)
        Predicted PDs in [0, 1].
    n_bins : int, default 10
        Quantile groups (deciles). Tied PDs are never split across groups.
    sample_weight : array-like, optional
        Non-negative weights. Quantiles are those of the positive-weight rows: a PD
        whose rows all weigh zero joins the group of the nearest lower PD with positive
        weight (the first group if none), so no group is empty and ``pd_min`` /
        ``pd_max`` still cover every row.

    Returns
    -------
    pandas.DataFrame
        One row per group, lowest PD first: ``bin``, ``pd_min``, ``pd_max``, ``count``,
        ``expected_bad`` (sum of PDs), ``observed_bad``, ``expected_pd`` (mean PD),
        ``observed_rate`` and ``difference`` (observed minus expected rate).

    Examples
    --------
    >>> t = calibration_table([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)
    >>> t[["expected_pd", "observed_rate"]].round(2).values.tolist()
    [[0.15, 0.0], [0.8, 1.0]]
    """
    n_bins = check_n_bins(n_bins)
    y, p, w = _checked_pd(y_true, pd_, sample_weight)
    return _grouped(y, p, w, n_bins)


def hosmer_lemeshow(
    y_true: Any, pd_: Any, *, n_bins: int = 10, sample_weight: Any = None
) -> HosmerLemeshow:
    """Hosmer-Lemeshow test of calibration over quantile groups of predicted PD.

    Parameters
    ----------
    y_true, pd_, n_bins, sample_weight
        As for :func:`calibration_table`. With weights, group counts, expected and
        observed bads are weighted sums, which treats weights as frequency weights.

    Returns
    -------
    HosmerLemeshow
        Statistic, degrees of freedom (groups - 2), p-value and the grouped table.

    Raises
    ------
    DataError
        Fewer than three groups, or a group whose variance ``E (1 - E / n)`` is not
        finite and positive (expected bad count 0 or equal to its size); the statistic
        is never NaN. Zero-weight rows never form a group of their own (they join the
        group of the nearest lower PD with positive weight), so every group counts
        towards ``dof``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.01, 0.5, 5000)
    >>> y = rng.random(5000) < p
    >>> hosmer_lemeshow(y, p).pvalue > 0.01
    True
    """
    n_bins = check_n_bins(n_bins)
    y, p, w = _checked_pd(y_true, pd_, sample_weight)
    table = _grouped(y, p, w, n_bins)
    if len(table) < 3:
        raise DataError(
            f"Hosmer-Lemeshow needs at least 3 PD groups, got {len(table)}", column="pd"
        )
    n_g = table["count"].to_numpy()
    e_g = table["expected_bad"].to_numpy()
    o_g = table["observed_bad"].to_numpy()
    bins = table["bin"].to_numpy()
    empty = ~(n_g > 0)
    if empty.any():  # cannot happen with _grouped's binning; never a silent NaN
        raise DataError(
            "a PD group has no weight, so its variance is undefined",
            column="pd",
            rows=bins[empty].tolist(),
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        var = e_g * (1.0 - e_g / n_g)
    bad = ~(np.isfinite(var) & (var > 0))
    if bad.any():
        raise DataError(
            "a PD group has every PD equal to 0 or 1, so its variance is zero",
            column="pd",
            rows=bins[bad].tolist(),
        )
    statistic = float(((o_g - e_g) ** 2 / var).sum())
    if not np.isfinite(statistic):
        raise DataError("the Hosmer-Lemeshow statistic is not finite", column="pd")
    dof = len(table) - 2
    return HosmerLemeshow(
        statistic=statistic,
        dof=dof,
        pvalue=float(stats.chi2.sf(statistic, dof)),
        table=table,
    )


def _checked_pd(
    y_true: Any, pd_: Any, sample_weight: Any
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    p = check_scores(pd_, "pd")
    outside = (p < 0) | (p > 1)
    if outside.any():
        rows = np.flatnonzero(outside)
        raise DataError(
            "probabilities of default must lie in [0, 1]", column="pd", rows=rows[:5].tolist()
        )
    y = check_binary_target(y_true, n=p.size).astype(np.float64)
    w = check_weights(sample_weight, p.size)
    return y, p, w


def _grouped(
    y: NDArray[np.float64], p: NDArray[np.float64], w: NDArray[np.float64] | None, n_bins: int
) -> pd.DataFrame:
    bins = tie_safe_quantile_bins(p, w, n_bins)
    k = int(bins.max()) + 1
    ww = np.ones(p.size) if w is None else w
    count = np.bincount(bins, weights=ww, minlength=k)
    expected = np.bincount(bins, weights=ww * p, minlength=k)
    observed = np.bincount(bins, weights=ww * y, minlength=k)
    pmin = np.full(k, np.inf)
    pmax = np.full(k, -np.inf)
    np.minimum.at(pmin, bins, p)
    np.maximum.at(pmax, bins, p)
    return pd.DataFrame(
        {
            "bin": np.arange(1, k + 1),
            "pd_min": pmin,
            "pd_max": pmax,
            "count": count,
            "expected_bad": expected,
            "observed_bad": observed,
            "expected_pd": expected / count,
            "observed_rate": observed / count,
            "difference": observed / count - expected / count,
        }
    )
