"""The shared score scale: points <-> log-odds <-> probability of default.

Every scorer in the library reports on one :class:`ScoreScale`, so cut-offs, reason
codes, limit ladders and monitoring do not care which model produced a score.

Conventions
-----------
*Log-odds* ``z`` are the log-odds of **bad**: ``z = ln(PD / (1 - PD))``. *Odds* in the
scale's parameters are **good:bad** odds, as lenders quote them ("50 to 1"). With
``factor = pdo / ln 2`` and ``s = +1`` when higher scores are better (``-1`` otherwise)::

    points = base_score + s * factor * (ln(good:bad odds) - ln(base_odds))
           = base_score - s * factor * (z + ln(base_odds))

so a score of ``base_score`` means odds of ``base_odds``, and every ``pdo`` points
double (or, with ``s = -1``, halve) the good:bad odds. The map is affine in ``z``, which is
what lets per-feature log-odds contributions become per-feature points exactly:
``points = intercept_points + slope * z`` with :attr:`ScoreScale.slope` and
:attr:`ScoreScale.intercept_points`.

Examples
--------
>>> from thinfile_credit.scale import ScoreScale
>>> scale = ScoreScale()                     # 600 points at 50:1, 20 points to double
>>> round(float(scale.points_from_pd(1 / 51)), 6)
600.0
>>> round(float(scale.points_from_pd(1 / 101)), 6)   # odds 100:1 -> +20 points
620.0
>>> round(float(scale.pd_from_points(600.0)), 6)
0.019608
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thinfile_credit.errors import SpecError

__all__ = ["ScoreScale"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ScoreScale:
    """Points scaling shared by every scorer.

    Parameters
    ----------
    base_score : float, default 600
        Points awarded at ``base_odds``.
    base_odds : float, default 50
        Good:bad odds at ``base_score`` (50 means 50 goods per bad, PD = 1/51).
    pdo : float, default 20
        Points to double the odds.
    higher_is_better : bool, default True
        Direction: with ``True`` a higher score means a lower PD.

    Raises
    ------
    SpecError
        If ``base_odds`` or ``pdo`` is not a positive finite number, or ``base_score``
        is not finite.
    """

    base_score: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0
    higher_is_better: bool = True

    def __post_init__(self) -> None:
        for name in ("base_score", "base_odds", "pdo"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise SpecError(f"ScoreScale.{name} must be a number, got {value!r}")
            if not math.isfinite(float(value)):
                raise SpecError(f"ScoreScale.{name} must be finite, got {value!r}")
        if self.base_odds <= 0:
            raise SpecError(f"ScoreScale.base_odds must be > 0, got {self.base_odds!r}")
        if self.pdo <= 0:
            raise SpecError(f"ScoreScale.pdo must be > 0, got {self.pdo!r}")
        if not isinstance(self.higher_is_better, bool):
            raise SpecError("ScoreScale.higher_is_better must be True or False")

    # --- the affine map -------------------------------------------------------------
    @property
    def factor(self) -> float:
        """Points per unit of natural-log odds: ``pdo / ln 2``."""
        return float(self.pdo) / math.log(2.0)

    @property
    def slope(self) -> float:
        """d(points) / d(log-odds of bad); negative when higher is better."""
        return -self.factor if self.higher_is_better else self.factor

    @property
    def intercept_points(self) -> float:
        """Points at log-odds of bad ``z = 0`` (PD = 0.5)."""
        return float(self.base_score) + self.slope * math.log(float(self.base_odds))

    def points_from_log_odds(self, log_odds: ArrayLike) -> FloatArray:
        """Points for log-odds of bad ``z`` (array in, array out)."""
        z = np.asarray(log_odds, dtype=np.float64)
        return self.intercept_points + self.slope * z

    def log_odds_from_points(self, points: ArrayLike) -> FloatArray:
        """Log-odds of bad for ``points``; inverse of :meth:`points_from_log_odds`."""
        p = np.asarray(points, dtype=np.float64)
        return (p - self.intercept_points) / self.slope

    def points_from_pd(self, pd: ArrayLike) -> FloatArray:
        """Points for a probability of default in ``(0, 1)``.

        PD of exactly 0 or 1 maps to +/- infinity; values outside [0, 1] raise.
        """
        p = np.asarray(pd, dtype=np.float64)
        if np.any((p < 0) | (p > 1) | np.isnan(p)):
            raise SpecError("PD must lie in [0, 1]")
        with np.errstate(divide="ignore"):
            z = np.log(p) - np.log1p(-p)
        return self.points_from_log_odds(z)

    def pd_from_points(self, points: ArrayLike) -> FloatArray:
        """Probability of default for ``points`` (a logistic of the log-odds)."""
        z = self.log_odds_from_points(points)
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # stable logistic

    def points_from_log_odds_contributions(self, contributions: ArrayLike) -> FloatArray:
        """Convert per-feature log-odds contributions into per-feature points.

        Contributions are differences, so only the slope applies; the intercept belongs
        to the baseline (see :meth:`points_from_log_odds`).
        """
        return self.slope * np.asarray(contributions, dtype=np.float64)

    # --- serialisation --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-data representation (JSON-safe)."""
        return {k: (float(v) if not isinstance(v, bool) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreScale:
        """Rebuild from :meth:`to_dict` output; unknown keys raise :class:`SpecError`."""
        unknown = set(data) - {"base_score", "base_odds", "pdo", "higher_is_better"}
        if unknown:
            raise SpecError(f"unknown ScoreScale fields: {sorted(unknown)}")
        return cls(**data)

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ScoreScale:
        """Rebuild from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))
