"""A tiny fixed points-table scorer for documentation examples (not a modelling tool).

It implements the scorer protocol with hand-written bins so that the reason-code examples
run in milliseconds without fitting a model; real work uses
:class:`~thinfile_credit.scorecard.WoEScorecard` or :class:`~thinfile_credit.gbm.GBMScorer`.

Examples
--------
>>> model, X = tiny_scorecard()
>>> model.score(X.iloc[:2]).tolist()
[510.0, 600.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from thinfile_credit.protocol import Contributions
from thinfile_credit.scale import ScoreScale

__all__ = ["PointsTable", "tiny_scorecard"]

#: feature -> (upper bin edges, points per bin); bins are (-inf, e0], (e0, e1], ..., (e_last, inf)
_TABLE: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "bill_overdue_count_now": ((0.0, 1.0), (60.0, 25.0, 5.0)),
    "bill_max_days_late_365d": ((0.0, 5.0, 30.0), (55.0, 45.0, 30.0, 10.0)),
    "cons_order_count_90d": ((2.0, 10.0), (20.0, 35.0, 45.0)),
    "ten_account_age_days": ((90.0, 365.0), (15.0, 30.0, 40.0)),
}


class PointsTable:
    """Scorer protocol over a fixed table of bins and points (documentation aid).

    Parameters
    ----------
    table : dict of feature -> (upper edges, points)
        Right-closed bins; ``len(points) == len(edges) + 1``.
    intercept : float, default 400
        Points every applicant starts from (the baseline).
    scale : ScoreScale, optional
        Score scale used by ``predict_proba``.
    """

    def __init__(
        self,
        table: dict[str, tuple[tuple[float, ...], tuple[float, ...]]],
        intercept: float = 400.0,
        scale: ScoreScale | None = None,
    ) -> None:
        self.table = table
        self.intercept = intercept
        self.scale_ = scale or ScoreScale()
        self.feature_names_in_ = np.asarray(list(table), dtype=object)
        self.classes_ = np.array([0, 1])

    def fit(self, X: Any, y: Any = None, **kwargs: Any) -> PointsTable:
        """Nothing to learn: the table is fixed."""
        return self

    def contributions(self, X: Any) -> Contributions:
        """Points of each feature's bin."""
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X, columns=list(self.table))
        cols = []
        for name, (edges, points) in self.table.items():
            x = frame[name].to_numpy(dtype=np.float64)
            cols.append(np.asarray(points)[np.searchsorted(np.asarray(edges), x, side="left")])
        values = np.column_stack(cols)
        return Contributions(
            values=values,
            baseline=np.full(values.shape[0], float(self.intercept)),
            feature_names=tuple(self.table),
        )

    def points_below_max(self, X: Any) -> NDArray[np.float64]:
        """Points each feature gave up versus its safest bin (``>= 0`` on either scale)."""
        values = self.contributions(X).values
        if self.scale_.higher_is_better:
            return np.array([max(p) for _, p in self.table.values()])[None, :] - values
        return values - np.array([min(p) for _, p in self.table.values()])[None, :]

    def score(self, X: Any, y: Any = None) -> NDArray[np.float64]:
        """Points (higher is better)."""
        return self.contributions(X).total()

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """PD from the points through ``scale_``."""
        pd_bad = self.scale_.pd_from_points(self.score(X))
        return np.column_stack([1.0 - pd_bad, pd_bad])


def tiny_scorecard() -> tuple[PointsTable, pd.DataFrame]:
    """A fixed four-feature scorecard and six applicants.

    Examples
    --------
    >>> model, X = tiny_scorecard()
    >>> X.shape
    (6, 4)
    """
    X = pd.DataFrame(
        {
            "bill_overdue_count_now": [2, 0, 1, 0, 0, 3],
            "bill_max_days_late_365d": [12, 0, 40, 3, 0, 60],
            "cons_order_count_90d": [5, 14, 1, 8, 20, 0],
            "ten_account_age_days": [400, 800, 30, 200, 1000, 50],
        }
    )
    return PointsTable(_TABLE), X
