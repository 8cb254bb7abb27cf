"""The fitting procedure behind :class:`~thinfile_credit.gbm.GBMScorer`.

1. **Rounds.** With early stopping and no eval set, a stratified ``validation_fraction``
   of the rows is held out; the booster trained on the rest stops at the best
   validation log-loss after ``n_iter_no_change`` rounds without improvement. The final
   booster is then refit on *all* rows with that many rounds scaled by
   ``1 / (1 - validation_fraction)`` (more rows support proportionally more rounds).
   With a user eval set, the final booster is trained on all rows and stopped on it.
2. **Cross-fitting.** ``cv`` fold boosters, each trained on all rows but one fold with
   the same number of rounds as the final booster, predict the rows they did not see.
3. **Served model.** With ``ensemble=True`` (the default) the scorer serves the mean
   margin of the final booster and the ``cv`` fold boosters (an
   :class:`~thinfile_credit.gbm.engines.AveragedBooster`): the fold boosters are trained
   for calibration anyway, and averaging them cuts the variance of a single booster at
   no extra fit cost. With ``ensemble=False`` it serves the final booster alone.
4. **Calibration.** The calibrator is fitted on the out-of-fold margins (with the user's
   sample weights, not class weights, so PD matches observed bad rates) and applied to
   the served margin. Every row was seen by some member of the ensemble (the final
   booster saw them all), so a booster of the same shape and rounds predicting rows it
   never saw - the out-of-fold margin - stands in for the served margin; averaging such
   boosters leaves the margin's scale close to a single booster's. The calibrator is
   strictly increasing, so ranking (AUC, KS) is that of the served margin whatever the
   calibration. ``ensemble=False`` is the ``ensemble=False`` scheme of scikit-learn's
   ``CalibratedClassifierCV``; ``ensemble=True`` differs from that class's
   ``ensemble=True`` by averaging margins (not probabilities) under one calibrator, so
   the served model is one additive sum of trees and its TreeSHAP contributions stay
   exact.

Without calibration (``calibration=None``) nothing is cross-fitted, so there are no fold
boosters and the final booster is served alone; the same holds, with a
:class:`CalibrationFallbackWarning`, when too few rows of a class make ``cv`` folds
impossible. Class weights that differ between the classes need the calibrator (the
reweighted booster's own PD is not the observed bad rate's), so with them both cases
are refused instead. Likewise, when the minority class has too few rows to hold out a stratified
validation split (fewer than 4, or fewer than ``1 / validation_fraction``: 10 at the
default 10 %), early stopping is skipped with an :class:`EarlyStoppingFallbackWarning`
and the booster trains all ``n_estimators`` rounds.

Rows with sample weight 0 never enter the early-stopping validation split (they stay
in the training part, where they weigh nothing) and the calibrator ignores them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import ModelError
from thinfile_credit.gbm.calibration import LogOddsCalibrator, make_calibrator
from thinfile_credit.gbm.engines import BoostingParams, FittedBooster, fit_booster

__all__ = [
    "CalibrationFallbackWarning",
    "EarlyStoppingFallbackWarning",
    "cross_fit",
    "fit_final_booster",
]

FloatArray = NDArray[np.float64]
Valid = tuple[FloatArray, NDArray[Any], FloatArray]


class CalibrationFallbackWarning(UserWarning):
    """Too few bads (or goods) to cross-fit a calibrator; the raw margin is used."""


class EarlyStoppingFallbackWarning(UserWarning):
    """Too few bads (or goods) to hold out a validation split; all rounds are trained."""


def fit_final_booster(
    engine: str,
    params: BoostingParams,
    X: FloatArray,
    y: NDArray[Any],
    w: FloatArray,
    monotone: Sequence[int],
    categorical: Sequence[int],
    *,
    early_stopping: bool,
    validation_fraction: float,
    n_iter_no_change: int,
    eval_set: Valid | None,
    seed: int,
) -> tuple[FittedBooster, int | None]:
    """Fit the booster used for scoring; returns it and the early-stopping round (if any).

    Warns
    -----
    EarlyStoppingFallbackWarning
        Early stopping without ``eval_set`` but too few rows of a class (with a positive
        weight) to hold out a stratified validation split: all ``n_estimators`` rounds
        are trained and the round is None.
    """
    fit = _fitter(engine, monotone, categorical)
    if not early_stopping:
        return fit(params, X, y, w, None, None), None
    if eval_set is not None:
        booster = fit(params, X, y, w, eval_set, n_iter_no_change)
        return booster, booster.n_iter
    minority = weighted_minority(y, w)
    if minority < 4 or minority * validation_fraction < 1:
        # Early stopping needs both classes on each side of the split.
        warnings.warn(
            f"only {minority} rows of the minority class: too few to hold out a "
            f"{validation_fraction:g} validation split for early stopping (at least 4, "
            f"and 1/validation_fraction); training all {params.n_estimators} rounds. "
            "Pass eval_set=(X_val, y_val), or set n_estimators with early_stopping=False",
            EarlyStoppingFallbackWarning,
            stacklevel=3,
        )
        return fit(params, X, y, w, None, None), None
    tr, va = _validation_split(y, w, validation_fraction, seed)
    probe = fit(params, X[tr], y[tr], w[tr], (X[va], y[va], w[va]), n_iter_no_change)
    best = probe.n_iter
    rounds = min(params.n_estimators, max(1, round(best / (1.0 - validation_fraction))))
    return fit(replace(params, n_estimators=rounds), X, y, w, None, None), best


def cross_fit(
    method: str | None,
    engine: str,
    params: BoostingParams,
    X: FloatArray,
    y: NDArray[Any],
    w_train: FloatArray,
    w_user: FloatArray,
    monotone: Sequence[int],
    categorical: Sequence[int],
    *,
    cv: Any,
    seed: int,
    keep_folds: bool,
    reweighted: bool = False,
) -> tuple[LogOddsCalibrator, list[FittedBooster]]:
    """Train the ``cv`` fold boosters and fit the calibrator on their out-of-fold margins.

    Parameters
    ----------
    method : {"isotonic", "sigmoid"} or None
        Calibration method; None means no cross-fitting at all: the identity map and no
        fold boosters.
    engine, params, X, y, w_train, monotone, categorical
        As for the final booster; fold ``k`` is seeded ``params.seed + k + 1``.
    w_user : ndarray
        The user's sample weights (without class weights) for the calibrator.
    cv : int, splitter or iterable
        Folds; an int means that many stratified, shuffled folds (capped at the
        minority-class count).
    seed : int
        Seed of the fold assignment.
    keep_folds : bool
        Return the fold boosters (for an ensemble).
    reweighted : bool, default False
        ``w_train`` weighs the classes differently from ``w_user`` (``class_weight``):
        the booster's own PD is then no PD, so the fallback below raises instead.

    Returns
    -------
    (calibrator, folds)
        The fitted calibrator and the fold boosters (empty unless ``keep_folds``).

    Warns
    -----
    CalibrationFallbackWarning
        A calibration method was asked for but fewer than 2 rows of a class make folds
        impossible; the identity calibrator is returned and no fold is trained.

    Raises
    ------
    ModelError
        The same shortage with ``reweighted``: the uncalibrated PD would be off by the
        class weights (``column="class_weight"``).
    """
    calibrator = make_calibrator(method)
    if method is None:
        return calibrator, []
    splits = _calibration_folds(cv, y, w_user, seed)
    if splits is None:
        if reweighted:
            raise ModelError(
                f"only {weighted_minority(y, w_user)} rows of the minority class: too few "
                f"to cross-fit a {method} calibrator, which class_weight needs to bring "
                "the PD back to the observed bad rate; set class_weight=None",
                column="class_weight",
            )
        warnings.warn(
            f"only {weighted_minority(y, w_user)} rows of the minority class: too few to "
            "cross-fit a "
            f"{method} calibrator; predicted PD is the booster's own",
            CalibrationFallbackWarning,
            stacklevel=3,
        )
        return make_calibrator(None), []
    fit = _fitter(engine, monotone, categorical)
    oof = np.full(y.shape[0], np.nan)
    folds = []
    for k, (tr, te) in enumerate(splits):
        fold_params = replace(params, seed=params.seed + k + 1)
        booster = fit(fold_params, X[tr], y[tr], w_train[tr], None, None)
        oof[te] = booster.raw_margin(X[te])
        if keep_folds:
            folds.append(booster)
    seen = ~np.isnan(oof)
    if not seen.all():
        # A user-given splitter may leave rows out of every test fold; calibrate on the rest.
        oof, y, w_user = oof[seen], y[seen], w_user[seen]
    return calibrator.fit(oof, y, w_user), folds


# --- helpers ----------------------------------------------------------------------------
def _fitter(engine: str, monotone: Sequence[int], categorical: Sequence[int]) -> Any:
    def fit(
        params: BoostingParams,
        X: FloatArray,
        y: NDArray[Any],
        w: FloatArray,
        valid: Valid | None,
        patience: int | None,
    ) -> FittedBooster:
        return fit_booster(
            engine,
            params,
            X,
            y,
            w,
            monotone,
            categorical,
            valid=valid,
            early_stopping_rounds=patience,
        )

    return fit


def weighted_minority(y: NDArray[Any], w: FloatArray) -> int:
    """Rows of the rarer class among the rows with a positive weight (the sample)."""
    return int(np.bincount(y[w > 0], minlength=2).min())


def _calibration_folds(
    cv: Any, y: NDArray[Any], w: FloatArray, seed: int
) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]] | None:
    from sklearn.model_selection import StratifiedKFold, check_cv

    if cv is None or isinstance(cv, (int, np.integer)):
        # Folds are stratified over the rows with a positive weight; rows weighted 0
        # (outside the sample) are dealt round the folds at random.
        n_splits = int(min(5 if cv is None else cv, weighted_minority(y, w)))
        if n_splits < 2:
            return None
        weighted = np.flatnonzero(w > 0)
        folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        splits = list(folds.split(np.zeros(weighted.size), y[weighted]))
        if weighted.size == y.shape[0]:
            return splits
        unweighted = np.flatnonzero(w <= 0)
        deal = np.random.default_rng(seed).permutation(unweighted.size) % n_splits
        out = []
        for k, (_, te) in enumerate(splits):
            test = np.sort(np.concatenate([weighted[te], unweighted[deal == k]]))
            out.append((np.setdiff1d(np.arange(y.shape[0]), test), test))
        return out
    # A splitter of the caller's is used as given, but every fold booster must see both
    # classes among the rows in the sample (positive weight).
    splitter = check_cv(cv, y, classifier=True)
    splits = list(splitter.split(np.zeros((y.shape[0], 1)), y))
    for k, (tr, _) in enumerate(splits):
        if weighted_minority(y[tr], w[tr]) == 0:
            raise ModelError(
                f"the training rows of fold {k} hold only one class among rows with a "
                "positive sample weight; use a stratified splitter or cv=<int>",
                column="cv",
            )
    return splits


def _validation_split(
    y: NDArray[Any], w: FloatArray, fraction: float, seed: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    # Only rows with a positive weight can tell the validation loss anything, so only
    # they are split; rows weighted 0 stay in the training part (where they weigh 0).
    from sklearn.model_selection import StratifiedShuffleSplit

    weighted = np.flatnonzero(w > 0)
    yw = y[weighted]
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    tr, va = next(splitter.split(np.zeros(yw.shape[0]), yw))
    if weighted.size == y.shape[0]:
        return tr, va
    unweighted = np.flatnonzero(w <= 0)
    return np.concatenate([weighted[tr], unweighted]), weighted[va]
