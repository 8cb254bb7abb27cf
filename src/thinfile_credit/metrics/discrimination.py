"""Discrimination: AUC, Gini, Kolmogorov-Smirnov and their bootstrap confidence intervals.

All of them come from one pass over the scores sorted once. The outcome is 0/1 with
**1 = bad**. By default a higher score means *riskier* (a PD, as scikit-learn expects);
pass ``higher_is_better=True`` for scorecard points, where a higher score is safer.

Conventions
-----------
* **AUC** is the probability that a random bad scores riskier than a random good, ties
  counting one half (the trapezoidal ROC area). It equals
  :func:`sklearn.metrics.roc_auc_score` with or without ``sample_weight``.
* **Gini** (accuracy ratio) is ``2 * AUC - 1``.
* **KS** is ``max_t |F_bad(t) - F_good(t)|`` where ``F`` is the (weighted) share of a
  class with score ``<= t``; without weights it equals the statistic of
  :func:`scipy.stats.ks_2samp` on the bad and good scores. With weights the empirical
  distribution functions are weighted (integer weights give the same value as repeating
  rows). The KS score is the smallest ``t`` attaining the maximum: the cut-off
  ``score <= t`` versus ``score > t`` that separates bads from goods best. Ties for
  the maximum are decided exactly when unweighted (integer counts); with weights a gap
  within a relative ``1e-9`` of the maximum counts as attaining it.

Notes
-----
Complexity is one ``O(n log n)`` sort per class (NumPy's SIMD sort when unweighted, an
argsort when weighted) and a linear merge; everything after is ``O(n)``. Ties are
handled exactly by summing each class within every distinct score.

Examples
--------
>>> from thinfile_credit.metrics import auc, gini, ks
>>> y = [0, 0, 1, 1]
>>> pd_ = [0.1, 0.4, 0.35, 0.8]
>>> auc(y, pd_)
0.75
>>> round(gini(y, pd_), 2)
0.5
>>> ks(y, pd_).statistic
0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.metrics._validation import (
    check_binary_target,
    check_both_classes,
    check_fraction,
    check_scores,
    check_weights,
)

__all__ = [
    "BootstrapCI",
    "Discrimination",
    "KSResult",
    "auc",
    "bootstrap_ci",
    "discrimination",
    "gini",
    "ks",
]

_METRICS = ("auc", "gini", "ks")
# Bootstrap replicates are processed in blocks of about this many (replicate, row) cells
# so memory stays bounded (8 bytes each) whatever n and n_resamples are.
_BLOCK_CELLS = 4_000_000
# Weighted KS gaps within this relative distance of the maximum count as attaining it
# (float sums of weights cannot tell exact ties apart).
_KS_TIE_RTOL = 1e-9


@dataclass(frozen=True)
class KSResult:
    """Kolmogorov-Smirnov statistic and where it occurs.

    Attributes
    ----------
    statistic : float
        ``max_t |F_bad(t) - F_good(t)|`` in [0, 1].
    score : float
        The smallest score ``t`` at which the maximum is attained (exactly when
        unweighted; with weights, within a relative ``1e-9`` of the maximum).
    cum_bad_share, cum_good_share : float
        ``F_bad(t)`` and ``F_good(t)``: the shares of bads and goods scoring ``<= t``.
    """

    statistic: float
    score: float
    cum_bad_share: float
    cum_good_share: float


@dataclass(frozen=True)
class Discrimination:
    """AUC, Gini and KS computed from one sort (see :func:`discrimination`)."""

    auc: float
    gini: float
    ks: float
    ks_score: float
    n: int
    n_bad: float
    n_good: float

    @property
    def bad_rate(self) -> float:
        """Weighted share of bads."""
        return self.n_bad / (self.n_bad + self.n_good)


@dataclass(frozen=True)
class BootstrapCI:
    """A percentile bootstrap confidence interval.

    Attributes
    ----------
    estimate : float
        The metric on the full sample.
    lower, upper : float
        Percentile interval bounds.
    confidence : float
        Nominal coverage, e.g. 0.95.
    std_error : float
        Standard deviation of the bootstrap replicates.
    n_resamples : int
        Replicates used (non-stratified replicates that drew a single class are dropped).
    """

    estimate: float
    lower: float
    upper: float
    confidence: float
    std_error: float
    n_resamples: int


def auc(
    y_true: Any,
    score: Any,
    *,
    sample_weight: Any = None,
    higher_is_better: bool = False,
) -> float:
    """Area under the ROC curve, exact on ties and with optional sample weights.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Outcome, 1 = bad, 0 = good.
    score : array-like of shape (n,)
        Finite scores. Higher = riskier unless ``higher_is_better``.
    sample_weight : array-like of shape (n,), optional
        Non-negative weights.
    higher_is_better : bool, default False
        ``True`` for scorecard points (higher = safer).

    Returns
    -------
    float
        AUC in [0, 1]; equals ``sklearn.metrics.roc_auc_score`` (with ``-score`` when
        ``higher_is_better``).

    Raises
    ------
    DataError
        Empty input, mismatched lengths, NaN/infinite scores, outcomes other than 0/1,
        negative weights, a single class, or text where numbers are meant (scores,
        outcomes, weights: ``"610"`` is never read as 610; ``column`` names the
        argument, ``rows`` the positions).

    Examples
    --------
    >>> auc([0, 1, 0, 1], [0.2, 0.2, 0.1, 0.9])
    0.875
    >>> auc([0, 1], [700, 550], higher_is_better=True)
    1.0
    """
    return discrimination(
        y_true, score, sample_weight=sample_weight, higher_is_better=higher_is_better
    ).auc


def gini(
    y_true: Any,
    score: Any,
    *,
    sample_weight: Any = None,
    higher_is_better: bool = False,
) -> float:
    """Gini coefficient (accuracy ratio) ``2 * AUC - 1``.

    Parameters are those of :func:`auc`.

    Examples
    --------
    >>> gini([0, 1, 0, 1], [0.2, 0.2, 0.1, 0.9])
    0.75
    """
    return discrimination(
        y_true, score, sample_weight=sample_weight, higher_is_better=higher_is_better
    ).gini


def ks(y_true: Any, score: Any, *, sample_weight: Any = None) -> KSResult:
    """Kolmogorov-Smirnov separation between the bad and good score distributions.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Outcome, 1 = bad, 0 = good.
    score : array-like of shape (n,)
        Finite scores (direction does not matter for KS).
    sample_weight : array-like of shape (n,), optional
        Non-negative weights; the distribution functions are then weighted.

    Returns
    -------
    KSResult
        Statistic (equal to ``scipy.stats.ks_2samp(score[y == 1], score[y == 0])``
        when unweighted), the score where it occurs and both cumulative shares there.

    Examples
    --------
    >>> r = ks([1, 1, 0, 0, 1], [1.0, 2.0, 3.0, 4.0, 3.0])
    >>> round(r.statistic, 4), r.score
    (0.6667, 2.0)
    """
    y, s, w = _checked(y_true, score, sample_weight)
    groups = _GroupedScores.build(y, s, w)
    return groups.ks()


def discrimination(
    y_true: Any,
    score: Any,
    *,
    sample_weight: Any = None,
    higher_is_better: bool = False,
) -> Discrimination:
    """AUC, Gini and KS from a single sort of the scores.

    Parameters are those of :func:`auc`. Prefer this to separate calls on large data:
    the sort dominates the cost and is shared.

    Returns
    -------
    Discrimination
        ``auc``, ``gini``, ``ks``, ``ks_score``, ``n`` and the (weighted) bad and good
        counts.

    Examples
    --------
    >>> d = discrimination([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> d.auc, d.ks, d.ks_score
    (0.75, 0.5, 0.1)
    """
    y, s, w = _checked(y_true, score, sample_weight)
    groups = _GroupedScores.build(y, s, w)
    area = groups.auc()
    if higher_is_better:
        area = 1.0 - area  # exact: ties get one half either way
    k = groups.ks()
    return Discrimination(
        auc=area,
        gini=2.0 * area - 1.0,
        ks=k.statistic,
        ks_score=k.score,
        n=int(s.size),
        n_bad=groups.n_bad,
        n_good=groups.n_good,
    )


def bootstrap_ci(
    y_true: Any,
    score: Any,
    *,
    metrics: Sequence[str] = _METRICS,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    sample_weight: Any = None,
    stratified: bool = True,
    higher_is_better: bool = False,
    random_state: int | np.random.Generator | None = None,
) -> dict[str, BootstrapCI]:
    """Percentile bootstrap confidence intervals for AUC, Gini and KS.

    Rows are resampled with replacement; each replicate is evaluated on the original sort
    order with the resampling counts as weights, so no replicate is re-sorted and blocks
    of replicates are computed together as matrix operations.

    Parameters
    ----------
    y_true, score, sample_weight, higher_is_better
        As for :func:`auc`.
    metrics : sequence of {"auc", "gini", "ks"}, default all three
        Which intervals to compute.
    n_resamples : int, default 1000
        Bootstrap replicates.
    confidence : float, default 0.95
        Nominal coverage of the interval, in (0, 1).
    stratified : bool, default True
        Resample bads and goods separately, keeping their counts (as ``pROC`` does);
        otherwise resample all rows, dropping any replicate that draws a single class.
    random_state : int or numpy Generator, optional
        Seed for reproducible intervals.

    Returns
    -------
    dict of str to BootstrapCI
        One interval per requested metric.

    Raises
    ------
    SpecError
        ``metrics`` not a non-empty list of known names, ``n_resamples`` not an integer
        >= 1, or ``confidence`` not a number in (0, 1).
    DataError
        Bad outcomes, scores or weights (named, with rows), a single class, or fewer
        than two replicates holding both classes.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500)
    >>> s = y + rng.normal(size=500)
    >>> ci = bootstrap_ci(y, s, n_resamples=200, random_state=0)
    >>> ci["auc"].lower < ci["auc"].estimate < ci["auc"].upper
    True
    """
    _check_metric_names(metrics)
    if (
        isinstance(n_resamples, bool | np.bool_)
        or not isinstance(n_resamples, int | np.integer)
        or n_resamples < 1
    ):
        raise SpecError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    confidence = check_fraction("confidence", confidence)
    y, s, w = _checked(y_true, score, sample_weight)
    groups = _GroupedScores.build(y, s, w)
    rng = np.random.default_rng(random_state)
    n = s.size
    pos_idx = np.flatnonzero(groups.labels)
    neg_idx = np.flatnonzero(~groups.labels)
    block = max(1, _BLOCK_CELLS // n)
    aucs: list[NDArray[np.float64]] = []
    kss: list[NDArray[np.float64]] = []
    done = 0
    while done < n_resamples:
        b = min(block, n_resamples - done)
        offsets = (np.arange(b) * n)[:, None]
        if stratified:
            draws = np.concatenate(
                [
                    pos_idx[rng.integers(0, pos_idx.size, (b, pos_idx.size))],
                    neg_idx[rng.integers(0, neg_idx.size, (b, neg_idx.size))],
                ],
                axis=1,
            )
        else:
            draws = rng.integers(0, n, (b, n))
        counts = np.bincount((draws + offsets).ravel(), minlength=b * n).reshape(b, n)
        weights = counts if groups.weights is None else counts * groups.weights
        a, k = groups.replicate_auc_ks(weights)
        aucs.append(a)
        kss.append(k)
        done += b
    auc_rep = np.concatenate(aucs)
    ks_rep = np.concatenate(kss)
    if higher_is_better:
        auc_rep = 1.0 - auc_rep
    valid = np.isfinite(auc_rep)
    auc_rep, ks_rep = auc_rep[valid], ks_rep[valid]
    if auc_rep.size < 2:
        raise DataError("fewer than two bootstrap replicates contained both classes")
    full_auc = groups.auc()
    if higher_is_better:
        full_auc = 1.0 - full_auc
    replicates = {"auc": auc_rep, "gini": 2.0 * auc_rep - 1.0, "ks": ks_rep}
    estimates = {"auc": full_auc, "gini": 2.0 * full_auc - 1.0, "ks": groups.ks().statistic}
    tail = (1.0 - confidence) / 2.0
    out: dict[str, BootstrapCI] = {}
    for m in metrics:
        rep = replicates[m]
        lo, hi = np.quantile(rep, [tail, 1.0 - tail])
        out[m] = BootstrapCI(
            estimate=float(estimates[m]),
            lower=float(lo),
            upper=float(hi),
            confidence=float(confidence),
            std_error=float(rep.std(ddof=1)),
            n_resamples=int(rep.size),
        )
    return out


def _check_metric_names(metrics: Any) -> None:
    """``metrics`` is a non-empty collection of known names (a bare ``"auc"`` is not)."""
    iterable = hasattr(metrics, "__iter__") and not isinstance(metrics, str | bytes)
    names = list(metrics) if iterable else []
    if not names or any(not isinstance(m, str) or m not in _METRICS for m in names):
        raise SpecError(f"metrics must be a non-empty list drawn from {_METRICS}, got {metrics!r}")


def _checked(
    y_true: Any, score: Any, sample_weight: Any
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64] | None]:
    s = check_scores(score)
    y = check_binary_target(y_true, n=s.size)
    w = check_weights(sample_weight, s.size)
    check_both_classes(y, w)
    return y, s, w


@dataclass(frozen=True)
class _GroupedScores:
    """Scores merged in ascending order with per-distinct-score bad and good totals."""

    values: NDArray[np.float64]  # sorted scores, one per row
    labels: NDArray[np.bool_]  # True = bad, in sorted order
    weights: NDArray[np.float64] | None  # in sorted order
    starts: NDArray[np.intp]  # first row of each distinct score
    bad: NDArray[Any]  # bad total per distinct score (int64 when unweighted)
    good: NDArray[Any]
    n_bad: float
    n_good: float

    @classmethod
    def build(
        cls, y: NDArray[np.bool_], s: NDArray[np.float64], w: NDArray[np.float64] | None
    ) -> _GroupedScores:
        s_bad, s_good = s[y], s[~y]
        if w is None:
            # Sorting each class on its own uses NumPy's SIMD sort, much faster than an
            # argsort; a stable argsort of the two sorted runs is then a linear merge.
            s_bad.sort()
            s_good.sort()
            w_sorted = None
        else:
            ob, og = np.argsort(s_bad), np.argsort(s_good)
            s_bad, s_good = s_bad[ob], s_good[og]
            w_sorted = np.concatenate([w[y][ob], w[~y][og]])
        merged = np.concatenate([s_bad, s_good])
        order = np.argsort(merged, kind="stable")
        values = merged[order]
        labels = order < s_bad.size
        if w_sorted is not None:
            w_sorted = w_sorted[order]
        change = np.flatnonzero(values[1:] != values[:-1]) + 1
        starts = np.concatenate([[0], change]).astype(np.intp)
        if w_sorted is None:
            bad = np.add.reduceat(labels, starts, dtype=np.int64)
            sizes = np.diff(np.append(starts, values.size))
            good = sizes - bad
        else:
            wb = np.where(labels, w_sorted, 0.0)
            bad = np.add.reduceat(wb, starts)
            good = np.add.reduceat(w_sorted - wb, starts)
        return cls(
            values=values,
            labels=labels,
            weights=w_sorted,
            starts=starts,
            bad=bad,
            good=good,
            n_bad=float(bad.sum()),
            n_good=float(good.sum()),
        )

    def auc(self) -> float:
        goods_below = np.cumsum(self.good) - self.good
        if self.bad.dtype.kind == "i":
            # Integer arithmetic keeps the unweighted AUC exact (half-credits doubled).
            twice = 2 * int(np.dot(self.bad, goods_below)) + int(np.dot(self.bad, self.good))
            return twice / (2.0 * self.n_bad * self.n_good)
        num = float(np.dot(self.bad, goods_below) + 0.5 * np.dot(self.bad, self.good))
        return num / (self.n_bad * self.n_good)

    def ks(self) -> KSResult:
        cum_bad, cum_good = np.cumsum(self.bad), np.cumsum(self.good)
        cdf_bad = cum_bad / self.n_bad
        cdf_good = cum_good / self.n_good
        gap = np.abs(cdf_bad - cdf_good)
        statistic = float(gap.max())
        # The KS score is the smallest t attaining the maximum, but rounding breaks exact
        # ties (2/3 - 1/3 > 1 - 2/3 in floats): compare the gaps exactly in integers
        # (cross-multiplied counts), or within a relative tolerance when weighted.
        if cum_bad.dtype.kind == "i":
            n_bad, n_good = int(cum_bad[-1]), int(cum_good[-1])
            i = int(np.argmax(np.abs(cum_bad * n_good - cum_good * n_bad)))
        else:
            i = int(np.argmax(gap >= statistic * (1.0 - _KS_TIE_RTOL)))
        return KSResult(
            statistic=statistic,
            score=float(self.values[self.starts[i]]),
            cum_bad_share=float(cdf_bad[i]),
            cum_good_share=float(cdf_good[i]),
        )

    def replicate_auc_ks(
        self, weights: NDArray[Any]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """AUC and KS for each row of ``weights`` (replicates x rows, in sorted order)."""
        wb = weights * self.labels
        bad = np.add.reduceat(wb, self.starts, axis=1).astype(np.float64)
        good = np.add.reduceat(weights - wb, self.starts, axis=1).astype(np.float64)
        n_bad = bad.sum(axis=1)
        n_good = good.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            cum_good = np.cumsum(good, axis=1)
            area = np.einsum("ij,ij->i", bad, cum_good - 0.5 * good) / (n_bad * n_good)
            gap = np.abs(np.cumsum(bad, axis=1) / n_bad[:, None] - cum_good / n_good[:, None])
            ks_rep = gap.max(axis=1)
        single = (n_bad <= 0) | (n_good <= 0)
        area[single] = np.nan
        ks_rep[single] = np.nan
        return area, ks_rep
