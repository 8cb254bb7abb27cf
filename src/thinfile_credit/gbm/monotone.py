"""Monotone constraints: explicit per feature, or inferred from the data with a report.

Sign convention
---------------
A constraint says how the **probability of default** moves with the feature:

* ``+1`` (or ``"increasing"``): a higher value never lowers the PD (riskier);
  e.g. ``bill_max_days_late_365d``;
* ``-1`` (or ``"decreasing"``): a higher value never raises the PD (safer);
  e.g. ``ten_account_age_days``;
* ``0`` (or ``"none"``): unconstrained.

On the default :class:`~thinfile_credit.scale.ScoreScale` (higher score = better) a ``+1``
feature therefore can only *lower* the score as it grows. This is the opposite of the
"score direction" some scorecard tools use, so an explicit constraint that contradicts a
significant rank correlation in the training data is flagged in the report and raises a
:class:`MonotoneConflictWarning` - usually a sign-convention slip.

``monotone="auto"`` infers each numeric feature's direction from the Spearman rank
correlation with the bad flag, kept only when it is significant (two-sided p-value below
``alpha``) **and** the trend of the bad rate across quantile bins agrees (the rank
correlation between bin order and bin bad rate is at least ``min_trend``). Features whose
bad rate is U-shaped (significant overall, but no consistent binned trend) stay free.
Categorical features are never constrained (their codes carry no business order).

The bins are quantile bins, except that a value held by at least ``1 / n_bins`` of the
rows (a *mass point*: 0 days late for most applicants, the common level of a flag) gets
a bin of its own - otherwise its quantile edges coincide and a feature that is 0 for 95 %
of the rows would be a single bin with no trend at all. A binary feature therefore has
two bins, and its trend is the sign of the step between them. Rows with sample weight 0
take no part in the test or the bins.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(2000, 2))
>>> y = (rng.random(2000) < 1 / (1 + np.exp(-2 * X[:, 0]))).astype(int)
>>> cons, report = resolve_monotone("auto", ["risk", "noise"], set(), X, y, np.ones(2000))
>>> cons
[1, 0]
>>> [r.direction for r in report]
[1, 0]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import ModelError
from thinfile_credit.gbm._inputs import unobserved_columns

__all__ = [
    "MonotoneConflictWarning",
    "MonotoneDecision",
    "parse_direction",
    "report_frame",
    "resolve_monotone",
]

FloatArray = NDArray[np.float64]

_WORDS = {
    "increasing": 1,
    "riskier": 1,
    "+": 1,
    "decreasing": -1,
    "safer": -1,
    "-": -1,
    "none": 0,
    "free": 0,
}


class MonotoneConflictWarning(UserWarning):
    """An explicit constraint contradicts a significant trend in the training data."""


@dataclass(frozen=True)
class MonotoneDecision:
    """One feature's row of ``monotone_report_``.

    Parameters
    ----------
    feature : str
        Column name.
    rho : float
        Spearman rank correlation with the bad flag (NaN for categorical features).
    p_value : float
        Two-sided p-value of ``rho``.
    trend : float
        Rank correlation between quantile-bin order and bin bad rate.
    direction : int
        The constraint used: +1 riskier as it grows, -1 safer, 0 free.
    source : str
        ``"explicit"``, ``"auto"``, ``"not significant"``, ``"no consistent trend"``,
        ``"categorical"``, ``"constant"``, ``"all missing"`` (no observed value in
        training) or ``"unconstrained"``.
    conflict : bool
        True when an explicit direction opposes a significant correlation.
    """

    feature: str
    rho: float
    p_value: float
    trend: float
    direction: int
    source: str
    conflict: bool = False


def parse_direction(value: Any, feature: str) -> int:
    """Turn one user-given direction into -1, 0 or +1.

    Raises
    ------
    ModelError
        Anything but -1, 0, +1 or the words ``"increasing"``/``"decreasing"``/``"none"``
        (the message names the feature).

    Examples
    --------
    >>> parse_direction("decreasing", "ten_account_age_days")
    -1
    >>> parse_direction(2, "x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.ModelError: x: monotone direction must be +1 (higher value = ...
    """
    if isinstance(value, str) and value.strip().lower() in _WORDS:
        return _WORDS[value.strip().lower()]
    numeric = not isinstance(value, (bool, str)) and isinstance(value, (int, float, np.number))
    if numeric and float(value) in (-1.0, 0.0, 1.0):
        return int(value)
    raise ModelError(
        "monotone direction must be +1 (higher value = higher PD), -1, 0 or "
        f"'increasing'/'decreasing'/'none', got {value!r}",
        column=feature,
    )


def resolve_monotone(
    monotone: Mapping[str, Any] | Sequence[Any] | str | None,
    feature_names: Sequence[str],
    categorical: set[str],
    X: FloatArray,
    y: NDArray[Any],
    sample_weight: FloatArray,
    *,
    alpha: float = 0.01,
    min_trend: float = 0.8,
    n_bins: int = 10,
    unobserved: NDArray[np.bool_] | None = None,
) -> tuple[list[int], list[MonotoneDecision]]:
    """Per-feature constraints and the report explaining each.

    Parameters
    ----------
    monotone : dict, sequence, "auto" or None
        Explicit ``{feature: direction}`` (features not named are free), a sequence with
        one direction per feature, ``"auto"`` to infer, or None for no constraints.
    feature_names : sequence of str
        Design-matrix columns.
    categorical : set of str
        Categorical columns (never constrained).
    X, y, sample_weight : arrays
        Training design matrix, 0/1 target, weights.
    alpha : float
        Significance level of the Spearman test in ``"auto"`` mode.
    min_trend : float
        Minimum binned-trend agreement in ``"auto"`` mode.
    n_bins : int
        Quantile bins for the trend check (a value held by at least ``1 / n_bins`` of
        the rows gets a bin of its own).
    unobserved : ndarray of bool, optional
        Columns with no value among positive-weight rows, when the caller has them
        already (computed from ``X`` and ``sample_weight`` otherwise).

    Returns
    -------
    (constraints, report)

    Raises
    ------
    ModelError
        A constraint names a column not in the data, constrains a categorical column,
        has an invalid direction, or a sequence has the wrong length.
    """
    names = list(feature_names)
    stats = [_trend_stats(X[:, j], y, sample_weight, n_bins) for j in range(len(names))]
    if unobserved is None:
        unobserved = unobserved_columns(X, np.asarray(sample_weight))
    observed = dict(zip(names, ~unobserved))
    if monotone is None:
        explicit: dict[str, int] | None = {}
    elif isinstance(monotone, str):
        if monotone != "auto":
            raise ModelError(
                f"monotone must be None, 'auto', a dict or a sequence, got {monotone!r}"
            )
        explicit = None
    elif isinstance(monotone, Mapping):
        # Keys are matched as text, like column names (a pandas column 2 is "2").
        keys = [str(k) for k in monotone]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ModelError(
                "monotone names a column twice (keys that read the same as text)",
                column=", ".join(twice),
            )
        missing = [k for k in keys if k not in names]
        if missing:
            raise ModelError(
                "monotone constraint on a column not in the training data",
                column=", ".join(missing),
            )
        explicit = {str(k): parse_direction(v, str(k)) for k, v in monotone.items()}
    else:
        seq = list(monotone)
        if len(seq) != len(names):
            raise ModelError(
                f"monotone has {len(seq)} directions for {len(names)} features; "
                "pass a dict {feature: direction} to constrain a subset"
            )
        explicit = {n: parse_direction(v, n) for n, v in zip(names, seq)}

    constraints: list[int] = []
    report: list[MonotoneDecision] = []
    for name, (rho, p_value, trend) in zip(names, stats):
        if name in categorical:
            if explicit and explicit.get(name, 0) != 0:
                raise ModelError(
                    "a categorical column cannot carry a monotone constraint", column=name
                )
            decision = MonotoneDecision(name, np.nan, np.nan, np.nan, 0, "categorical")
        elif explicit is not None:
            direction = explicit.get(name, 0)
            conflict = bool(direction != 0 and p_value < alpha and np.sign(rho) == -direction)
            source = "explicit" if direction != 0 else "unconstrained"
            decision = MonotoneDecision(name, rho, p_value, trend, direction, source, conflict)
            if conflict:
                warnings.warn(
                    f"{name}: constraint {direction:+d} (+1 = higher value, higher PD) "
                    f"contradicts the data (Spearman rho {rho:+.3f}, p={p_value:.2g}); "
                    "check the sign convention",
                    MonotoneConflictWarning,
                    stacklevel=3,
                )
        elif not observed[name]:
            decision = MonotoneDecision(name, rho, p_value, trend, 0, "all missing")
        else:
            decision = _auto_decision(name, rho, p_value, trend, alpha, min_trend)
        constraints.append(decision.direction)
        report.append(decision)
    return constraints, report


def report_frame(report: Sequence[MonotoneDecision]) -> Any:
    """The report as a pandas DataFrame (one row per feature).

    Examples
    --------
    >>> report_frame([MonotoneDecision("a", 0.2, 0.001, 1.0, 1, "auto")]).loc[0, "source"]
    'auto'
    """
    import pandas as pd

    return pd.DataFrame([asdict(r) for r in report])


# --- helpers ----------------------------------------------------------------------------
def _auto_decision(
    name: str, rho: float, p_value: float, trend: float, alpha: float, min_trend: float
) -> MonotoneDecision:
    if np.isnan(rho):
        return MonotoneDecision(name, rho, p_value, trend, 0, "constant")
    if p_value >= alpha:
        return MonotoneDecision(name, rho, p_value, trend, 0, "not significant")
    direction = int(np.sign(rho))
    if np.isnan(trend) or trend * direction < min_trend:
        return MonotoneDecision(name, rho, p_value, trend, 0, "no consistent trend")
    return MonotoneDecision(name, rho, p_value, trend, direction, "auto")


def _trend_stats(
    x: FloatArray, y: NDArray[Any], w: FloatArray, n_bins: int
) -> tuple[float, float, float]:
    from scipy.stats import spearmanr

    ok = ~np.isnan(x) & (w > 0)  # a row weighted 0 is not part of the sample
    xs, ys, ws = x[ok], y[ok].astype(np.float64), w[ok]
    if xs.size < 3 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return float("nan"), float("nan"), float("nan")
    # One sort serves the rank test and the quantile bins (this runs for every feature of
    # every fit: the monotone report).
    order = np.argsort(xs)
    x_sorted = xs[order]
    # The significance test is the plain (unweighted) Spearman test; weights enter the
    # binned bad rates, which decide whether the trend is consistent.
    rho, p_value = _spearman_binary(x_sorted, order, ys)
    starts = _bin_starts(x_sorted, n_bins)
    w_sorted = ws[order]
    weight = np.add.reduceat(w_sorted, starts)
    bad = np.add.reduceat(w_sorted * ys[order], starts)
    filled = weight > 0
    rates = bad[filled] / weight[filled]
    if rates.size < 2 or np.ptp(rates) == 0:
        return rho, p_value, float("nan")
    if rates.size == 2:  # a binary feature: the trend is the sign of the step
        return rho, p_value, float(np.sign(rates[1] - rates[0]))
    return rho, p_value, float(spearmanr(np.arange(rates.size), rates).statistic)


def _bin_starts(x_sorted: FloatArray, n_bins: int) -> NDArray[np.intp]:
    """First position of each bin in the sorted values: quantile bins, mass points apart.

    Bin ``k`` holds ``edges[k-1] <= x < edges[k]``, a run of the sorted values. A value
    held by at least ``1 / n_bins`` of the rows gets a run of its own: its quantile edges
    coincide, so without this a feature that is 0 for 95 % of the rows (or a rare 0/1
    flag) would be one bin and show no trend.
    """
    n = x_sorted.size
    edges = np.unique(np.quantile(x_sorted, np.linspace(0, 1, n_bins + 1)[1:-1]))
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(x_sorted[1:], x_sorted[:-1], out=new[1:])
    first = np.flatnonzero(new)
    count = np.diff(np.append(first, n))
    heavy = count * n_bins >= n
    starts = np.unique(
        np.concatenate(
            [
                [0],
                np.searchsorted(x_sorted, edges, side="left"),
                first[heavy],
                first[heavy] + count[heavy],
            ]
        )
    )
    return starts[starts < n]


def _spearman_binary(
    x_sorted: FloatArray, order: NDArray[np.intp], y: FloatArray
) -> tuple[float, float]:
    """Spearman's rho of ``x`` against a 0/1 ``y`` and its two-sided p-value.

    What ``scipy.stats.spearmanr`` gives (average ranks for ties, Pearson correlation of
    the ranks, a t test on ``n - 2`` degrees of freedom), without its generic machinery:
    ``y`` has two values, so its ranks need no sort, and ``x`` arrives sorted
    (``x_sorted = x[order]``).
    """
    from scipy.stats import t as student_t

    n = x_sorted.size
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(x_sorted[1:], x_sorted[:-1], out=new[1:])
    bounds = np.append(np.flatnonzero(new), n)
    avg = (bounds[:-1] + bounds[1:] + 1) / 2.0  # average 1-based rank of each tie group
    rank_x = np.empty(n)
    rank_x[order] = np.repeat(avg, np.diff(bounds))
    n1 = float(np.count_nonzero(y))
    n0 = n - n1
    rank_y = np.where(y != 0, n0 + (n1 + 1) / 2.0, (n0 + 1) / 2.0)
    rx = rank_x - rank_x.mean()
    ry = rank_y - rank_y.mean()
    denom = np.sqrt(np.dot(rx, rx) * np.dot(ry, ry))
    if denom == 0:
        return float("nan"), float("nan")
    rho = float(np.clip(np.dot(rx, ry) / denom, -1.0, 1.0))
    dof = n - 2
    if dof <= 0:
        return rho, float("nan")
    if abs(rho) == 1.0:
        return rho, 0.0
    t_stat = rho * np.sqrt(dof / ((1.0 - rho) * (1.0 + rho)))
    return rho, float(2.0 * student_t.sf(abs(t_stat), dof))
