"""Calibration of a booster's raw margin to probability of default, in log-odds.

A calibrator is a strictly increasing map ``g`` from the booster's raw margin ``f(x)`` to
calibrated log-odds of bad; the scorer's PD is ``sigmoid(g(f(x)))`` and its score is the
:class:`~thinfile_credit.scale.ScoreScale` of ``g(f(x))``.

* :class:`PlattLogOdds` - ``g(f) = a f + b`` fitted by weighted maximum likelihood.
* :class:`IsotonicLogOdds` - pool-adjacent-violators on ``(f, y)``; each pooled block
  becomes a knot at its mean margin with its observed bad rate (clipped away from 0 and
  1), knots are joined by straight lines in log-odds, and beyond the outer knots the map
  continues with the Platt slope. Each block's rate is shrunk towards the overall rate
  by one pseudo-row, so a small end block of only bads does not claim PD 1. The result
  is *strictly* increasing, so - unlike the step function of plain isotonic
  regression - it never ties two applicants the raw model ranked apart: AUC and KS are
  exactly those of the raw margin, while the bad rate per decile follows the isotonic
  fit.
* :class:`IdentityLogOdds` - ``g(f) = f`` (no calibration).

How calibration enters contributions
------------------------------------
TreeSHAP splits the raw margin exactly: ``f(x) = f0 + sum_j phi_j(x)`` where ``f0`` is the
booster's expected value. With ``g0 = g(f0)`` the calibrated log-odds are split by one
per-row factor

``r(x) = (g(f(x)) - g0) / (f(x) - f0)``,

the slope of the chord of ``g`` between ``f0`` and ``f(x)`` (when ``f(x) = f0``, or the
difference is lost to rounding, the one-sided derivative of ``g`` at ``f0`` on the side
of ``f(x)``: at an isotonic knot the two sides differ),

``baseline = g0``, ``psi_j(x) = r(x) phi_j(x)``, so ``g0 + sum_j psi_j(x) = g(f(x))``
exactly. Because ``g`` is strictly increasing, ``r(x) > 0``: every contribution keeps its
sign and the ordering of contributions within a row is unchanged. For Platt ``r = a``
for every row, so calibrated contributions are the raw ones times a constant. See
:func:`rescale_contributions`.

Sample weights
--------------
Every calibrator is fitted on the rows with a positive weight only: a row weighted 0
(an indeterminate, a policy exclusion) carries no information about the bad rate.
(scikit-learn's ``IsotonicRegression`` drops such rows when fitting but still predicts
interpolated values for them, which would form blocks of zero weight and misplace the
knots.)

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> f = rng.normal(size=5000)
>>> y = (rng.random(5000) < 1 / (1 + np.exp(-(0.5 * f - 1)))).astype(int)
>>> platt = PlattLogOdds().fit(f, y, np.ones(5000))
>>> round(platt.slope_, 1), round(platt.intercept_, 1)
(0.5, -1.0)
>>> iso = IsotonicLogOdds().fit(f, y, np.ones(5000))
>>> bool(np.all(np.diff(iso.log_odds(np.sort(f))) > 0))
True
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import DataError, ModelError

__all__ = [
    "IdentityLogOdds",
    "IsotonicLogOdds",
    "LogOddsCalibrator",
    "PlattLogOdds",
    "make_calibrator",
    "rescale_contributions",
]

FloatArray = NDArray[np.float64]

#: Pseudo-rows at the overall bad rate added to every isotonic block.
_PRIOR_ROWS = 1.0
#: Smallest slope a calibrator may have: keeps g strictly increasing, so ranks survive.
_MIN_SLOPE = 1e-6


class LogOddsCalibrator(ABC):
    """A strictly increasing map from raw margin to calibrated log-odds of bad."""

    kind: str = ""

    @abstractmethod
    def fit(self, margin: FloatArray, y: NDArray[Any], sample_weight: FloatArray) -> Any:
        """Fit on out-of-fold raw margins and the 0/1 target."""

    @abstractmethod
    def log_odds(self, margin: FloatArray) -> FloatArray:
        """Calibrated log-odds ``g(f)``."""

    @abstractmethod
    def derivative(self, margin: FloatArray) -> FloatArray:
        """``g'(f)`` (right derivative at knots)."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Plain-data parameters (JSON-safe)."""

    def secant(self, start: FloatArray, delta: FloatArray) -> FloatArray:
        """Slope of the chord of ``g`` from ``start`` to ``start + delta``.

        ``(g(start + delta) - g(start)) / delta``, and where that quotient is not a
        positive number (``delta == 0``, or a difference lost to rounding) the one-sided
        derivative of ``g`` at ``start`` on the side of ``delta``, so the result is
        always positive and ``g(start) + secant * delta == g(start + delta)`` to
        rounding.

        Examples
        --------
        >>> IdentityLogOdds().secant(np.array([0.5, 0.5]), np.array([0.25, 0.0])).tolist()
        [1.0, 1.0]
        """
        start = np.asarray(start, dtype=np.float64)
        delta = np.asarray(delta, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            chord = (self.log_odds(start + delta) - self.log_odds(start)) / delta
        usable = np.isfinite(chord) & (chord > 0)
        if usable.all():
            return chord
        # At a knot the left and right slopes differ: take the side f(x) lies on.
        side = np.where(delta < 0, np.nextafter(start, -np.inf), start)
        return np.where(usable, chord, self.derivative(side))


class IdentityLogOdds(LogOddsCalibrator):
    """No calibration: ``g(f) = f``.

    Examples
    --------
    >>> IdentityLogOdds().log_odds(np.array([0.3])).tolist()
    [0.3]
    """

    kind = "none"

    def fit(self, margin: FloatArray, y: NDArray[Any], sample_weight: FloatArray) -> Any:
        """Nothing to learn."""
        return self

    def log_odds(self, margin: FloatArray) -> FloatArray:
        """Returns ``margin`` unchanged."""
        return np.asarray(margin, dtype=np.float64)

    def derivative(self, margin: FloatArray) -> FloatArray:
        """Ones."""
        return np.ones_like(np.asarray(margin, dtype=np.float64))

    def secant(self, start: FloatArray, delta: FloatArray) -> FloatArray:
        """Ones: the identity's chords all have slope 1."""
        return np.ones_like(np.asarray(delta, dtype=np.float64))

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": "none"}``."""
        return {"kind": self.kind}


class PlattLogOdds(LogOddsCalibrator):
    """Platt scaling in log-odds: ``g(f) = slope_ * f + intercept_``.

    Examples
    --------
    >>> cal = PlattLogOdds().fit(np.array([-2.0, -1, 0, 1, 2] * 20),
    ...                          np.array([0, 0, 1, 0, 1] * 20), np.ones(100))
    >>> bool(cal.slope_ > 0)
    True
    """

    kind = "sigmoid"

    def fit(self, margin: FloatArray, y: NDArray[Any], sample_weight: FloatArray) -> Any:
        """Weighted maximum likelihood of ``y ~ sigmoid(a f + b)`` (rows weighted 0 ignored)."""
        f, yy, w = _weighted_rows(margin, y, sample_weight)
        self.slope_, self.intercept_ = _platt(f, yy, w)
        return self

    def log_odds(self, margin: FloatArray) -> FloatArray:
        """``slope_ * f + intercept_``."""
        return self.slope_ * np.asarray(margin, dtype=np.float64) + self.intercept_

    def derivative(self, margin: FloatArray) -> FloatArray:
        """The constant ``slope_``."""
        return np.full_like(np.asarray(margin, dtype=np.float64), self.slope_)

    def secant(self, start: FloatArray, delta: FloatArray) -> FloatArray:
        """The constant ``slope_``: every chord of a line has its slope."""
        return np.full_like(np.asarray(delta, dtype=np.float64), self.slope_)

    def to_dict(self) -> dict[str, Any]:
        """Slope and intercept."""
        return {"kind": self.kind, "slope": self.slope_, "intercept": self.intercept_}


class IsotonicLogOdds(LogOddsCalibrator):
    """Isotonic calibration made strictly increasing (see the module notes).

    Attributes
    ----------
    knots_margin_, knots_log_odds_ : ndarray
        Knot positions (mean raw margin of each pooled block) and calibrated log-odds.
    tail_slope_ : float
        Slope used beyond the outer knots (the Platt slope on the same data).

    Examples
    --------
    >>> f = np.linspace(-3, 3, 600)
    >>> y = (np.random.default_rng(1).random(600) < 1 / (1 + np.exp(-f))).astype(int)
    >>> cal = IsotonicLogOdds().fit(f, y, np.ones(600))
    >>> bool(np.all(np.diff(cal.log_odds(f)) > 0))
    True
    """

    kind = "isotonic"

    def fit(self, margin: FloatArray, y: NDArray[Any], sample_weight: FloatArray) -> Any:
        """Pool adjacent violators, then knots at block means (rows weighted 0 ignored)."""
        from sklearn.isotonic import IsotonicRegression

        # Zero-weight rows must not reach IsotonicRegression: it leaves them out of the
        # fit but predicts interpolated values for them, which form blocks of weight 0
        # whose centre (0.0) would become a misplaced knot.
        f, yy, w = _weighted_rows(margin, y, sample_weight)
        fitted = IsotonicRegression(increasing=True).fit(f, yy, sample_weight=w).predict(f)
        # Blocks are runs of equal fitted value; pool their margins and weights.
        values, inverse = np.unique(fitted, return_inverse=True)
        weight = np.bincount(inverse, weights=w, minlength=values.size).astype(np.float64)
        centre = np.bincount(inverse, weights=w * f, minlength=values.size) / np.maximum(
            weight, np.finfo(float).tiny
        )
        # A small end block of only bads (or goods) would get a PD of 1 (or 0) and
        # infinite log-odds. Shrink every block towards the overall bad rate by one
        # pseudo-row, then pool again in case shrinkage reordered small blocks.
        overall = float(np.average(yy, weights=w))
        pd_ = (values * weight + _PRIOR_ROWS * overall) / (weight + _PRIOR_ROWS)
        pd_ = (
            IsotonicRegression(increasing=True)
            .fit(centre, pd_, sample_weight=weight)
            .predict(centre)
        )
        eps = 1e-12
        pd_ = np.clip(pd_, eps, 1.0 - eps)
        pd_, centre = _merge_ties(pd_, centre, weight)
        self.knots_margin_ = centre
        self.knots_log_odds_ = np.log(pd_) - np.log1p(-pd_)
        slope, _ = _platt(f, yy, w)
        self.tail_slope_ = float(slope)
        return self

    def log_odds(self, margin: FloatArray) -> FloatArray:
        """Piecewise-linear interpolation, Platt-slope tails."""
        f = np.asarray(margin, dtype=np.float64)
        xk, zk = self.knots_margin_, self.knots_log_odds_
        out = np.interp(f, xk, zk)
        lo, hi = f < xk[0], f > xk[-1]
        out[lo] = zk[0] + self.tail_slope_ * (f[lo] - xk[0])
        out[hi] = zk[-1] + self.tail_slope_ * (f[hi] - xk[-1])
        return out

    def _slopes(self) -> FloatArray:
        """Slope of segment ``s`` for ``s = searchsorted(knots, f, "right")``: the tails
        at both ends, the knot-to-knot slopes between."""
        xk, zk = self.knots_margin_, self.knots_log_odds_
        tail = np.array([self.tail_slope_])
        return np.concatenate([tail, np.diff(zk) / np.diff(xk), tail])

    def derivative(self, margin: FloatArray) -> FloatArray:
        """Slope of the segment holding each margin (the right one at a knot)."""
        f = np.asarray(margin, dtype=np.float64)
        return self._slopes()[np.searchsorted(self.knots_margin_, f, side="right")]

    def secant(self, start: FloatArray, delta: FloatArray) -> FloatArray:
        """Exact chord slope of the piecewise-linear map.

        Within one segment it is that segment's slope, across one knot the two slopes
        weighted by the lengths on either side, computed from the knots rather than
        from a difference of ``g`` values (which rounding dominates when ``delta`` is
        tiny); across several knots, the chord of ``g``.

        Examples
        --------
        >>> cal = IsotonicLogOdds()
        >>> cal.knots_margin_, cal.knots_log_odds_ = np.array([0.0, 1.0]), np.array([0.0, 2.0])
        >>> cal.tail_slope_ = 1.0
        >>> cal.secant(np.array([0.5, 0.5, 0.5]), np.array([1e-15, 1.0, 0.0])).tolist()
        [2.0, 1.5, 2.0]
        """
        start = np.asarray(start, dtype=np.float64)
        delta = np.asarray(delta, dtype=np.float64)
        xk, slopes = self.knots_margin_, self._slopes()
        lo, hi = np.minimum(start, start + delta), np.maximum(start, start + delta)
        first = np.searchsorted(xk, lo, side="right")  # segment just right of lo
        inside = np.searchsorted(xk, hi, side="left") - first  # knots strictly in (lo, hi)
        out = slopes[first]  # for delta == 0: the derivative (the right one at a knot)
        one = np.flatnonzero(inside == 1)
        if one.size:
            k = xk[first[one]]
            left, right = slopes[first[one]], slopes[first[one] + 1]
            out[one] = (left * (k - lo[one]) + right * (hi[one] - k)) / (hi[one] - lo[one])
        many = np.flatnonzero(inside > 1)
        if many.size:
            out[many] = super().secant(start[many], delta[many])
        return out

    def to_dict(self) -> dict[str, Any]:
        """Knots and tail slope."""
        return {
            "kind": self.kind,
            "knots_margin": self.knots_margin_.tolist(),
            "knots_log_odds": self.knots_log_odds_.tolist(),
            "tail_slope": self.tail_slope_,
        }


def make_calibrator(method: str | None) -> LogOddsCalibrator:
    """A fresh calibrator for ``"isotonic"``, ``"sigmoid"`` or None.

    Examples
    --------
    >>> make_calibrator("sigmoid").kind
    'sigmoid'
    """
    if method is None:
        return IdentityLogOdds()
    if method == "isotonic":
        return IsotonicLogOdds()
    if method == "sigmoid":
        return PlattLogOdds()
    raise ModelError(f"calibration must be 'isotonic', 'sigmoid' or None, got {method!r}")


def rescale_contributions(
    raw: FloatArray, calibrator: LogOddsCalibrator
) -> tuple[FloatArray, FloatArray]:
    """Carry raw TreeSHAP values through the calibration map.

    Parameters
    ----------
    raw : ndarray of shape (n, k + 1)
        TreeSHAP in raw log-odds; last column the expected value ``f0``.
    calibrator : LogOddsCalibrator
        The fitted map ``g``.

    Returns
    -------
    (values, baseline)
        ``values`` of shape (n, k) in calibrated log-odds and ``baseline = g(f0)`` of
        shape (n,), with ``baseline + values.sum(1) == g(f)`` where
        ``f = raw.sum(1)``.

    Examples
    --------
    >>> raw = np.array([[0.5, -0.2, -1.0]])
    >>> cal = PlattLogOdds(); cal.slope_, cal.intercept_ = 2.0, 0.1
    >>> values, base = rescale_contributions(raw, cal)
    >>> values.round(12).tolist(), base.round(12).tolist()
    ([[1.0, -0.4]], [-1.9])
    """
    phi = raw[:, :-1]
    f0 = raw[:, -1]
    # The chord slope makes g0 + r * sum(phi) == g(f) hold to rounding however close
    # f is to f0; the derivative stands in only where the chord is undefined (f == f0).
    ratio = calibrator.secant(f0, phi.sum(axis=1))
    return phi * ratio[:, None], calibrator.log_odds(f0)


# --- helpers ----------------------------------------------------------------------------
def _weighted_rows(
    margin: FloatArray, y: NDArray[Any], sample_weight: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    f = np.asarray(margin, dtype=np.float64).reshape(-1)
    yy = np.asarray(y, dtype=np.float64).reshape(-1)
    w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if not f.shape == yy.shape == w.shape:
        raise DataError(
            f"margin, y and sample_weight differ in length ({f.size}, {yy.size}, {w.size})"
        )
    keep = w > 0
    if not keep.any():
        raise DataError("sample weights are all zero: nothing to calibrate on")
    if keep.all():
        return f, yy, w
    return f[keep], yy[keep], w[keep]


def _platt(f: FloatArray, y: NDArray[Any], w: FloatArray) -> tuple[float, float]:
    from scipy.optimize import minimize

    f = np.asarray(f, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    w = w / w.sum()
    prior = float(np.clip(np.sum(w * y), 1e-6, 1 - 1e-6))

    def loss(theta: FloatArray) -> tuple[float, FloatArray]:
        z = theta[0] * f + theta[1]
        # log(1 + e^z) - y z, computed without overflow
        nll = np.sum(w * (np.logaddexp(0.0, z) - y * z))
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        r = w * (p - y)
        return float(nll), np.array([np.sum(r * f), np.sum(r)])

    start = np.array([1.0, np.log(prior / (1 - prior)) - np.sum(w * f)])
    res = minimize(loss, start, jac=True, method="L-BFGS-B")
    slope, intercept = float(res.x[0]), float(res.x[1])
    if not slope > _MIN_SLOPE:
        # The margin carries no usable ranking here; keep g increasing anyway so the
        # booster's order (and any monotone constraint) survives calibration.
        slope = _MIN_SLOPE
        intercept = float(np.log(prior / (1 - prior)) - slope * np.sum(w * f))
    return slope, intercept


def _merge_ties(
    pd_: FloatArray, centre: FloatArray, weight: FloatArray
) -> tuple[FloatArray, FloatArray]:
    keep_pd: list[float] = []
    keep_x: list[float] = []
    keep_w: list[float] = []
    for p, x, wt in zip(pd_, centre, weight):
        if keep_pd and p <= keep_pd[-1]:
            total = keep_w[-1] + wt
            keep_x[-1] = (keep_x[-1] * keep_w[-1] + x * wt) / total if total > 0 else x
            keep_w[-1] = total
            continue
        keep_pd.append(float(p))
        keep_x.append(float(x))
        keep_w.append(float(wt))
    xs = np.array(keep_x)
    # Block means are increasing already; guard against equal centres from zero weights.
    for i in range(1, xs.size):
        if xs[i] <= xs[i - 1]:
            xs[i] = np.nextafter(xs[i - 1], np.inf)
    return np.array(keep_pd), xs
