"""The scorer protocol every model in the library implements.

A scorer is a fitted scikit-learn binary classifier (class 1 = bad) that also reports on
the shared :class:`~thinfile_credit.scale.ScoreScale`:

* ``predict_proba(X)[:, 1]`` - probability of default (PD);
* ``score(X)`` - points on ``scale_`` (higher is better by default). It accepts and
  ignores a ``y`` argument so scikit-learn's ``score(X, y)`` calling convention works;
  model selection must therefore pass an explicit ``scoring=`` (e.g. ``"roc_auc"``);
* ``contributions(X)`` - a :class:`Contributions` with per-feature points and a baseline
  such that ``baseline + values.sum(axis=1) == score(X)`` (to floating precision).

Reason codes, limit ladders, decisions, reports and monitoring depend only on this
protocol, never on a model type.

Examples
--------
>>> import numpy as np
>>> c = Contributions(values=np.array([[1.0, -2.0]]), baseline=np.array([600.0]),
...                   feature_names=("a", "b"))
>>> c.total().tolist()
[599.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import DataError
from thinfile_credit.scale import ScoreScale

__all__ = ["Contributions", "Scorer"]


@dataclass(frozen=True)
class Contributions:
    """Per-feature points for a batch of applicants.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_features)
        Points each feature adds to each row's score.
    baseline : ndarray of shape (n_rows,)
        Points every row starts from (constant for most models, kept per row so a
        model whose baseline depends on the row can still be explained exactly).
    feature_names : tuple of str
        Column names of ``values``.
    """

    values: NDArray[np.float64]
    baseline: NDArray[np.float64]
    feature_names: tuple[str, ...]

    def total(self) -> NDArray[np.float64]:
        """``baseline + values.sum(axis=1)``: the score the contributions explain."""
        return self.baseline + self.values.sum(axis=1)

    def to_frame(self, baseline_col: str = "baseline") -> Any:
        """A pandas DataFrame with one column per feature plus the baseline.

        Parameters
        ----------
        baseline_col : str, default "baseline"
            Name of the baseline column; must differ from every feature name.

        Raises
        ------
        DataError
            A feature has the baseline column's name (pass another ``baseline_col``).

        Examples
        --------
        >>> c = Contributions(values=np.array([[5.0, -2.0]]), baseline=np.array([600.0]),
        ...                   feature_names=("baseline", "age"))
        >>> c.to_frame(baseline_col="base_points").columns.tolist()
        ['baseline', 'age', 'base_points']
        """
        import pandas as pd

        if baseline_col in self.feature_names:
            raise DataError(
                f"a feature is called {baseline_col!r}, the name of the baseline column; "
                "pass to_frame(baseline_col=...) with another name",
                column=baseline_col,
            )
        out = pd.DataFrame(self.values, columns=list(self.feature_names))
        out[baseline_col] = self.baseline
        return out


@runtime_checkable
class Scorer(Protocol):
    """Structural type of every scorer (WoE scorecard, GBM, anything added later)."""

    scale_: ScoreScale
    feature_names_in_: NDArray[Any]

    def fit(self, X: Any, y: Any, **kwargs: Any) -> Any: ...

    def predict_proba(self, X: Any) -> NDArray[np.float64]: ...

    def score(self, X: Any, y: Any = None) -> NDArray[np.float64]: ...

    def contributions(self, X: Any) -> Contributions: ...
