"""Forward and backward stepwise selection of WoE features on AIC, BIC or validation AUC."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.selection._checks import (
    CRITERIA,
    DIRECTIONS,
    check_option,
    check_threshold,
    checked_names,
    checked_target,
    checked_woe,
)

__all__ = ["check_stepwise_options", "stepwise"]

Criterion = Literal["aic", "bic", "auc"]


def stepwise(
    woe: NDArray[np.float64],
    y: NDArray[np.int8],
    names: Sequence[str],
    *,
    direction: Literal["forward", "backward"] = "forward",
    criterion: Criterion = "bic",
    max_features: int | None = None,
    validation_fraction: float = 0.3,
    random_state: int | None = 0,
    C: float = 1.0,
    min_auc_gain: float = 1e-4,
) -> tuple[list[str], dict[str, str]]:
    """Stepwise selection of features for a logistic regression on WoE.

    Parameters
    ----------
    woe : ndarray (n_rows, n_features)
        WoE-encoded candidates.
    y : ndarray of 0/1
        Target, 1 = bad.
    names : sequence of str
        Candidate names (columns of ``woe``).
    direction : {"forward", "backward"}
        Add the best feature while the criterion improves, or remove the least useful.
    criterion : {"aic", "bic", "auc"}
        Penalised likelihood on all rows, or AUC on a stratified validation split
        (``validation_fraction``, ``random_state``) of a model fitted on the rest.
    max_features : int, optional
        Forward selection stops at this many features.
    C : float
        Inverse L2 strength of the logistic regression.
    min_auc_gain : float
        Smallest AUC change counted as an improvement.

    Returns
    -------
    (selected, dropped)
        Selected names in order of entry (forward) or input order (backward), and a
        reason per rejected feature.

    Raises
    ------
    DataError
        ``criterion="auc"`` with too few goods or bads for a stratified validation split
        holding both classes on each side (at least 2 of each, more for a small sample);
        a WoE value that is not finite (``table="woe"``, ``column`` the feature, ``rows``);
        shapes that disagree; a feature name given twice; a target that is not 0/1.
    ModelError
        The target holds one class only.
    SpecError
        ``direction`` or ``criterion`` outside the documented values (never silently
        another one), ``max_features`` not a positive integer, ``C`` not positive,
        ``validation_fraction`` outside ``(0, 1)``, ``min_auc_gain`` negative or not finite.

    Notes
    -----
    Complexity: ``O(k²)`` logistic fits for ``k`` candidates.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0); W = rng.normal(size=(2000, 3))
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(-(W[:, 0] + W[:, 1])))).astype("int8")
    >>> kept, dropped = stepwise(W, y, ["a", "b", "noise"], criterion="bic")
    >>> kept, sorted(dropped)
    (['b', 'a'], ['noise'])
    """
    check_option("direction", direction, DIRECTIONS)
    check_stepwise_options(criterion=criterion, max_features=max_features, C=C)
    check_threshold("min_auc_gain", min_auc_gain, 0.0, None)
    check_threshold("validation_fraction", validation_fraction, 0.0, 1.0)
    if validation_fraction in (0.0, 1.0):
        raise SpecError(f"validation_fraction must lie in (0, 1), got {validation_fraction!r}")
    names = checked_names(names)
    woe = checked_woe(woe, names, n_rows=len(y) if hasattr(y, "__len__") else None)
    y = checked_target(y, woe.shape[0])
    scorer = _Scorer(woe, y, criterion, validation_fraction, random_state, C)
    k = len(names)
    dropped: dict[str, str] = {}
    label = criterion.upper()
    gain = min_auc_gain if criterion == "auc" else 0.0
    if direction == "forward":
        chosen: list[int] = []
        current = scorer(chosen)
        limit = k if max_features is None else min(k, max_features)
        while len(chosen) < limit:
            trials = [(scorer([*chosen, j]), j) for j in range(k) if j not in chosen]
            best_value, best_j = max(trials, key=lambda t: (t[0], -t[1]))
            if not scorer.improves(best_value, current, gain):
                break
            chosen.append(best_j)
            current = best_value
        for j in range(k):
            if j not in chosen:
                dropped[names[j]] = (
                    f"forward stepwise on {label}: adding it did not improve the model"
                    if max_features is None or len(chosen) < max_features
                    else f"forward stepwise: max_features={max_features} reached"
                )
        return [names[j] for j in chosen], dropped
    active = list(range(k))
    current = scorer(active)
    while len(active) > 1:
        trials = [(scorer([a for a in active if a != j]), j) for j in active]
        best_value, worst_j = max(trials, key=lambda t: (t[0], t[1]))
        if not scorer.improves(best_value, current, gain):
            break
        active.remove(worst_j)
        dropped[names[worst_j]] = f"backward stepwise on {label}: removing it improved the model"
        current = best_value
    return [names[j] for j in active], dropped


def check_stepwise_options(*, criterion: Any, max_features: Any, C: Any) -> None:
    """Refuse a criterion outside :data:`CRITERIA`, a bad ``max_features`` or ``C``.

    Raises
    ------
    SpecError
        Naming the parameter.

    Examples
    --------
    >>> check_stepwise_options(criterion="bic", max_features=None, C=1.0)
    >>> check_stepwise_options(criterion="bic", max_features=0, C=1.0)
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.SpecError: max_features must be a positive integer or None, got 0
    """
    check_option("criterion", criterion, CRITERIA)
    if max_features is not None and (
        not isinstance(max_features, numbers.Integral)
        or isinstance(max_features, (bool, np.bool_))
        or max_features < 1
    ):
        raise SpecError(f"max_features must be a positive integer or None, got {max_features!r}")
    check_threshold("C", C, 0.0, None)
    if C == 0:
        raise SpecError(f"C must be positive, got {C!r}")


class _Scorer:
    """Criterion value of a feature subset, larger is better (so AIC/BIC are negated)."""

    def __init__(
        self,
        woe: NDArray[np.float64],
        y: NDArray[np.int8],
        criterion: Criterion,
        validation_fraction: float,
        random_state: int | None,
        C: float,
    ) -> None:
        self.woe, self.y, self.criterion, self.C = woe, y, criterion, C
        self.cache: dict[tuple[int, ...], float] = {}
        if criterion == "auc":
            self.train, self.valid = _validation_split(y, validation_fraction, random_state)

    def __call__(self, columns: Sequence[int]) -> float:
        key = tuple(sorted(columns))
        if key not in self.cache:
            self.cache[key] = self._evaluate(list(key))
        return self.cache[key]

    @staticmethod
    def improves(new: float, old: float, min_gain: float) -> bool:
        return new > old + min_gain if math.isfinite(old) else math.isfinite(new)

    def _evaluate(self, columns: list[int]) -> float:
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import roc_auc_score

        y = self.y
        if self.criterion == "auc":
            if not columns:
                return 0.5
            cols = np.asarray(columns, dtype=np.intp)
            model = LogisticRegression(C=self.C, max_iter=1000)
            model.fit(self.woe[np.ix_(self.train, cols)], y[self.train])
            p = model.decision_function(self.woe[np.ix_(self.valid, cols)])
            return float(roc_auc_score(y[self.valid], p))
        n = len(y)
        if columns:
            model = LogisticRegression(C=self.C, max_iter=1000)
            model.fit(self.woe[:, columns], y)
            z = model.decision_function(self.woe[:, columns])
        else:
            rate = float(np.clip(y.mean(), 1e-12, 1 - 1e-12))
            z = np.full(n, math.log(rate / (1 - rate)))
        # log-likelihood of a logistic model: sum(y*z - log(1 + e^z)), computed stably
        loglik = float(np.sum(y * z - np.logaddexp(0.0, z)))
        n_params = len(columns) + 1
        penalty = 2.0 * n_params if self.criterion == "aic" else math.log(n) * n_params
        return -(penalty - 2.0 * loglik)


def _validation_split(
    y: NDArray[np.int8], validation_fraction: float, random_state: int | None
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Stratified train/validation rows with both classes on each side, or a DataError."""
    from sklearn.model_selection import train_test_split

    counts = np.bincount(np.asarray(y, dtype=np.intp), minlength=2)
    for label, what in ((0, "goods (0)"), (1, "bads (1)")):
        if counts[label] < 2:
            raise DataError(
                f"stepwise on validation AUC needs at least 2 {what} to split stratified, "
                f"got {counts[label]}; use criterion 'aic' or 'bic' or more data",
                table="y",
                rows=np.flatnonzero(y == label).tolist(),
            )
    idx = np.arange(len(y))
    try:
        train, valid = train_test_split(
            idx, test_size=validation_fraction, stratify=y, random_state=random_state
        )
    except ValueError as exc:  # sample too small for the split sizes
        raise DataError(
            f"stepwise on validation AUC cannot split {len(y)} rows stratified: {exc}",
            table="y",
        ) from None
    for side, rows in (("training", train), ("validation", valid)):
        if np.unique(y[rows]).size < 2:
            raise DataError(
                f"stepwise on validation AUC: the {side} split holds one class only "
                f"({counts[0]} goods, {counts[1]} bads in all); use criterion 'aic' or "
                "'bic' or more data",
                table="y",
            )
    return np.asarray(train, dtype=np.intp), np.asarray(valid, dtype=np.intp)
