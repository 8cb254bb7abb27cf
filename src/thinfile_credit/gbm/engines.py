"""Engine adapters: one small interface over LightGBM, XGBoost and scikit-learn.

Every adapter fits a binary log-loss booster on a float64 design matrix (categorical
features already integer-coded, missing values as NaN), honours per-feature monotone
constraints, sample weights, early stopping on a validation set or a fixed number of
rounds, and returns a :class:`FittedBooster` that reports

* ``raw_margin(X)`` - the booster's log-odds of bad, before calibration;
* ``raw_contributions(X)`` - exact TreeSHAP values in log-odds, shape ``(n, k + 1)``, the
  last column being the expected value (the SHAP baseline), so each row sums to
  ``raw_margin``.

:class:`AveragedBooster` serves the mean margin of several fitted boosters. TreeSHAP is
additive over a sum of trees, so its contributions are the mean of its members'
contributions and still sum exactly to its margin.

A column with no value at all in the rows a booster is fitted on (a bureau score nobody
in the sample has) gets no split in any engine, so it contributes exactly 0 to every
margin: LightGBM and XGBoost do this by themselves, and the scikit-learn adapter fits on
a constant stand-in for such a column (its binner rejects a column without values).

TreeSHAP comes from each library's native code: LightGBM ``pred_contrib``, XGBoost
``pred_contribs`` and, for scikit-learn's ``HistGradientBoostingClassifier``,
``shap.TreeExplainer`` (which reads the fitted trees directly).

Examples
--------
>>> import numpy as np
>>> from thinfile_credit.gbm.engines import BoostingParams, fit_booster
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(300, 2)); y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
>>> params = BoostingParams(n_estimators=20, learning_rate=0.1, num_leaves=4)
>>> booster = fit_booster("sklearn", params, X, y, np.ones(300), [0, 0], [])
>>> phi = booster.raw_contributions(X[:3])
>>> bool(np.allclose(phi.sum(axis=1), booster.raw_margin(X[:3])))
True
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit._optional import require
from thinfile_credit.errors import ModelError

__all__ = ["ENGINES", "AveragedBooster", "BoostingParams", "FittedBooster", "fit_booster"]

FloatArray = NDArray[np.float64]

#: Engine names and the ``thinfile-credit`` extra that installs each (None: core).
ENGINES: dict[str, str | None] = {"lightgbm": "lightgbm", "xgboost": "xgboost", "sklearn": None}


@dataclass(frozen=True)
class BoostingParams:
    """Engine-neutral hyperparameters, translated by each adapter.

    Parameters
    ----------
    n_estimators : int
        Maximum number of boosting rounds.
    learning_rate : float
        Shrinkage per round.
    num_leaves : int
        Maximum leaves per tree (LightGBM ``num_leaves``, XGBoost ``max_leaves`` with
        loss-guided growth, scikit-learn ``max_leaf_nodes``).
    max_depth : int or None
        Maximum depth; None for no limit beyond ``num_leaves``.
    min_child_samples : int
        Minimum rows in a leaf (XGBoost: converted to a hessian weight at the base rate).
    subsample : float
        Row fraction per round (ignored by scikit-learn, which has no row subsampling).
    colsample_bytree : float
        Feature fraction (scikit-learn: per split, its ``max_features``).
    reg_lambda : float
        L2 penalty on leaf values.
    n_jobs : int
        Threads.
    seed : int
        Seed for the engine's random choices.
    engine_params : dict
        Extra native parameters, passed through verbatim (they win over the above).
    """

    n_estimators: int = 100
    learning_rate: float = 0.1
    num_leaves: int = 31
    max_depth: int | None = None
    min_child_samples: int = 20
    subsample: float = 1.0
    colsample_bytree: float = 1.0
    reg_lambda: float = 0.0
    n_jobs: int = 1
    seed: int = 0
    engine_params: dict[str, Any] = field(default_factory=dict)


class FittedBooster(ABC):
    """A fitted booster on an integer-coded float64 design matrix."""

    engine: str = ""

    def __init__(self, model: Any, n_iter: int) -> None:
        self.model = model
        self.n_iter = int(n_iter)

    @abstractmethod
    def raw_margin(self, X: FloatArray) -> FloatArray:
        """Log-odds of bad before calibration, shape ``(n,)``."""

    @abstractmethod
    def raw_contributions(self, X: FloatArray) -> FloatArray:
        """Exact TreeSHAP in log-odds, shape ``(n, k + 1)``; last column the baseline."""

    @abstractmethod
    def feature_importances(self) -> FloatArray:
        """Total split gain per feature."""

    @property
    def members(self) -> tuple[FittedBooster, ...]:
        """The single boosters whose margins are averaged; ``(self,)`` for one booster."""
        return (self,)


class AveragedBooster(FittedBooster):
    """The mean margin of several boosters fitted by the same engine.

    ``raw_margin`` is the mean of the members' margins and ``raw_contributions`` the mean
    of their TreeSHAP values: TreeSHAP is linear in the model, so the mean contributions
    (baseline included) are exactly the TreeSHAP values of the averaged model and each
    row still sums to ``raw_margin``. Explaining costs the sum of the members' costs.

    Parameters
    ----------
    members : sequence of FittedBooster
        At least one booster, all from the same engine and on the same design matrix.

    Attributes
    ----------
    model : list
        The members' native models, in order.
    n_iter : int
        The first member's rounds.

    Raises
    ------
    ModelError
        No member, or members from different engines.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2)); y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    >>> members = [
    ...     fit_booster("sklearn", BoostingParams(n_estimators=10, seed=s), X, y,
    ...                 np.ones(300), [0, 0], [])
    ...     for s in (1, 2)
    ... ]
    >>> avg = AveragedBooster(members)
    >>> bool(np.allclose(avg.raw_contributions(X[:3]).sum(axis=1), avg.raw_margin(X[:3])))
    True
    """

    def __init__(self, members: Sequence[FittedBooster]) -> None:
        if not members:
            raise ModelError("an averaged booster needs at least one member")
        engines = {m.engine for m in members}
        if len(engines) != 1:
            raise ModelError(f"members come from different engines: {sorted(engines)}")
        super().__init__([m.model for m in members], members[0].n_iter)
        self.engine = members[0].engine
        self._members = tuple(members)

    @property
    def members(self) -> tuple[FittedBooster, ...]:
        """The averaged boosters."""
        return self._members

    def raw_margin(self, X: FloatArray) -> FloatArray:
        """Mean of the members' margins."""
        return self._mean(lambda m: m.raw_margin(X))

    def raw_contributions(self, X: FloatArray) -> FloatArray:
        """Mean of the members' TreeSHAP values (last column: mean expected value)."""
        return self._mean(lambda m: m.raw_contributions(X))

    def feature_importances(self) -> FloatArray:
        """Mean of the members' importances."""
        return self._mean(lambda m: m.feature_importances())

    def _mean(self, member_output: Callable[[FittedBooster], FloatArray]) -> FloatArray:
        # Accumulate in place: one member's output in memory at a time besides the sum.
        total = np.array(member_output(self._members[0]), dtype=np.float64)
        for member in self._members[1:]:
            total += member_output(member)
        total /= len(self._members)
        return total


def fit_booster(
    engine: str,
    params: BoostingParams,
    X: FloatArray,
    y: NDArray[Any],
    sample_weight: FloatArray,
    monotone: Sequence[int],
    categorical: Sequence[int],
    *,
    valid: tuple[FloatArray, NDArray[Any], FloatArray] | None = None,
    early_stopping_rounds: int | None = None,
) -> FittedBooster:
    """Fit one booster.

    Parameters
    ----------
    engine : {"lightgbm", "xgboost", "sklearn"}
        Which library.
    params : BoostingParams
        Hyperparameters.
    X, y, sample_weight : arrays
        Training data (``y`` in {0, 1}, 1 = bad).
    monotone : sequence of int
        Per feature: +1 PD non-decreasing in the feature, -1 non-increasing, 0 free.
    categorical : sequence of int
        Column positions holding integer category codes.
    valid : (X, y, w), optional
        Validation data for early stopping.
    early_stopping_rounds : int, optional
        Stop when the validation log-loss has not improved for this many rounds; the
        booster keeps the best round. Ignored without ``valid``.

    Returns
    -------
    FittedBooster

    Raises
    ------
    ModelError
        Unknown engine.
    MissingDependencyError
        The engine's extra is not installed.
    """
    if engine == "lightgbm":
        return _fit_lightgbm(
            params, X, y, sample_weight, monotone, categorical, valid, early_stopping_rounds
        )
    if engine == "xgboost":
        return _fit_xgboost(
            params, X, y, sample_weight, monotone, categorical, valid, early_stopping_rounds
        )
    if engine == "sklearn":
        return _fit_sklearn(params, X, y, sample_weight, monotone, valid, early_stopping_rounds)
    raise ModelError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


# --- LightGBM -------------------------------------------------------------------------------
class _LightGBMBooster(FittedBooster):
    engine = "lightgbm"

    def raw_margin(self, X: FloatArray) -> FloatArray:
        out = self.model.predict(X, raw_score=True, num_iteration=self.n_iter)
        return np.asarray(out, dtype=np.float64)

    def raw_contributions(self, X: FloatArray) -> FloatArray:
        out = self.model.predict(X, pred_contrib=True, num_iteration=self.n_iter)
        return np.asarray(out, dtype=np.float64)

    def feature_importances(self) -> FloatArray:
        gain = self.model.feature_importance(importance_type="gain", iteration=self.n_iter)
        return np.asarray(gain, dtype=np.float64)


def _fit_lightgbm(
    params: BoostingParams,
    X: FloatArray,
    y: NDArray[Any],
    w: FloatArray,
    monotone: Sequence[int],
    categorical: Sequence[int],
    valid: tuple[FloatArray, NDArray[Any], FloatArray] | None,
    early_stopping_rounds: int | None,
) -> FittedBooster:
    lgb = require("lightgbm", "lightgbm")
    native: dict[str, Any] = {
        "objective": "binary",
        "learning_rate": params.learning_rate,
        "num_leaves": params.num_leaves,
        "max_depth": -1 if params.max_depth is None else params.max_depth,
        "min_child_samples": params.min_child_samples,
        "bagging_fraction": params.subsample,
        "bagging_freq": 1 if params.subsample < 1.0 else 0,
        "feature_fraction": params.colsample_bytree,
        "lambda_l2": params.reg_lambda,
        "num_threads": params.n_jobs,
        "seed": params.seed,
        "deterministic": True,
        "verbosity": -1,
        "metric": "binary_logloss",
    }
    if any(monotone):
        native["monotone_constraints"] = list(monotone)
    native.update(params.engine_params)
    cat = list(categorical) or "auto"
    train = lgb.Dataset(X, label=y, weight=w, categorical_feature=cat, free_raw_data=True)
    callbacks = []
    valid_sets = []
    if valid is not None and early_stopping_rounds:
        valid_sets = [
            lgb.Dataset(
                valid[0], label=valid[1], weight=valid[2], reference=train, categorical_feature=cat
            )
        ]
        callbacks.append(lgb.early_stopping(early_stopping_rounds, verbose=False))
    booster = lgb.train(
        native,
        train,
        num_boost_round=params.n_estimators,
        valid_sets=valid_sets,
        callbacks=callbacks,
    )
    n_iter = booster.best_iteration if valid_sets and booster.best_iteration > 0 else None
    return _LightGBMBooster(booster, n_iter or booster.current_iteration())


# --- XGBoost --------------------------------------------------------------------------------
class _XGBoostBooster(FittedBooster):
    engine = "xgboost"

    def __init__(self, model: Any, n_iter: int, feature_types: list[str], n_jobs: int) -> None:
        super().__init__(model, n_iter)
        self.feature_types = feature_types
        self.n_jobs = n_jobs

    def _matrix(self, X: FloatArray) -> Any:
        xgb = require("xgboost", "xgboost")
        return xgb.DMatrix(
            X, feature_types=self.feature_types, enable_categorical=True, nthread=self.n_jobs
        )

    def raw_margin(self, X: FloatArray) -> FloatArray:
        out = self.model.predict(
            self._matrix(X), output_margin=True, iteration_range=(0, self.n_iter)
        )
        return np.asarray(out, dtype=np.float64)

    def raw_contributions(self, X: FloatArray) -> FloatArray:
        matrix = self._matrix(X)
        rounds = (0, self.n_iter)
        out = np.asarray(
            self.model.predict(matrix, pred_contribs=True, iteration_range=rounds),
            dtype=np.float64,
        )
        # XGBoost accumulates SHAP values in float32: their sum misses the margin by
        # ~1e-6. That rounding is nobody's contribution, so it joins the baseline and
        # baseline + sum(values) equals the margin to float64 precision.
        margin = self.model.predict(matrix, output_margin=True, iteration_range=rounds)
        out[:, -1] += np.asarray(margin, dtype=np.float64) - out.sum(axis=1)
        return out

    def feature_importances(self) -> FloatArray:
        scores = self.model.get_score(importance_type="total_gain")
        k = len(self.feature_types)
        return np.array([float(scores.get(f"f{j}", 0.0)) for j in range(k)])


def _fit_xgboost(
    params: BoostingParams,
    X: FloatArray,
    y: NDArray[Any],
    w: FloatArray,
    monotone: Sequence[int],
    categorical: Sequence[int],
    valid: tuple[FloatArray, NDArray[Any], FloatArray] | None,
    early_stopping_rounds: int | None,
) -> FittedBooster:
    xgb = require("xgboost", "xgboost")
    cat = set(categorical)
    feature_types = ["c" if j in cat else "q" for j in range(X.shape[1])]
    # XGBoost limits leaves by hessian, not rows: a leaf of n rows at the base rate p
    # carries hessian n p (1 - p), which makes min_child_samples mean the same thing.
    p = float(np.average(y, weights=w)) if w.sum() > 0 else 0.5
    native: dict[str, Any] = {
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "tree_method": "hist",
        "eta": params.learning_rate,
        "max_leaves": params.num_leaves,
        "grow_policy": "lossguide",
        "max_depth": 0 if params.max_depth is None else params.max_depth,
        "min_child_weight": params.min_child_samples * p * (1.0 - p),
        "subsample": params.subsample,
        "colsample_bytree": params.colsample_bytree,
        "lambda": params.reg_lambda,
        "nthread": params.n_jobs,
        "seed": params.seed,
        "verbosity": 0,
    }
    if any(monotone):
        native["monotone_constraints"] = "(" + ",".join(str(int(m)) for m in monotone) + ")"
    native.update(params.engine_params)

    def matrix(data: FloatArray, label: NDArray[Any], weight: FloatArray) -> Any:
        return xgb.DMatrix(
            data,
            label=label,
            weight=weight,
            feature_types=feature_types,
            enable_categorical=True,
            nthread=params.n_jobs,
        )

    train = matrix(X, y, w)
    evals = []
    rounds = None
    if valid is not None and early_stopping_rounds:
        evals = [(matrix(*valid), "valid")]
        rounds = early_stopping_rounds
    booster = xgb.train(
        native,
        train,
        num_boost_round=params.n_estimators,
        evals=evals,
        early_stopping_rounds=rounds,
        verbose_eval=False,
    )
    n_iter = booster.best_iteration + 1 if evals else booster.num_boosted_rounds()
    return _XGBoostBooster(booster, n_iter, feature_types, params.n_jobs)


# --- scikit-learn ---------------------------------------------------------------------------
class _SklearnBooster(FittedBooster):
    engine = "sklearn"

    def __init__(self, model: Any, n_iter: int, n_jobs: int) -> None:
        super().__init__(model, n_iter)
        self.n_jobs = n_jobs

    def raw_margin(self, X: FloatArray) -> FloatArray:
        with _openmp_threads(self.n_jobs):
            return np.asarray(self.model.decision_function(X), dtype=np.float64)

    def raw_contributions(self, X: FloatArray) -> FloatArray:
        import shap

        explainer = shap.TreeExplainer(self.model)
        with _openmp_threads(self.n_jobs):
            shap_values = explainer.shap_values(X, check_additivity=False)
        values = np.asarray(shap_values, dtype=np.float64)
        if values.ndim == 3:  # some shap versions return one slice per class
            values = values[..., -1]
        base = float(np.ravel(explainer.expected_value)[-1])
        return np.column_stack([values, np.full(values.shape[0], base)])

    def feature_importances(self) -> FloatArray:
        # HistGradientBoosting keeps no gain per split; count splits per feature instead.
        counts = np.zeros(self.model.n_features_in_)
        for predictors in self.model._predictors:
            for node in predictors[0].nodes:
                if not node["is_leaf"]:
                    counts[node["feature_idx"]] += 1
        return counts


def _fit_sklearn(
    params: BoostingParams,
    X: FloatArray,
    y: NDArray[Any],
    w: FloatArray,
    monotone: Sequence[int],
    valid: tuple[FloatArray, NDArray[Any], FloatArray] | None,
    early_stopping_rounds: int | None,
) -> FittedBooster:
    from sklearn.ensemble import HistGradientBoostingClassifier

    use_valid = valid is not None and bool(early_stopping_rounds)
    native: dict[str, Any] = {
        "learning_rate": params.learning_rate,
        "max_iter": params.n_estimators,
        "max_leaf_nodes": params.num_leaves,
        "max_depth": params.max_depth,
        "min_samples_leaf": params.min_child_samples,
        "l2_regularization": params.reg_lambda,
        "max_features": params.colsample_bytree,
        "monotonic_cst": list(monotone) if any(monotone) else None,
        # Categories arrive ordinal-coded by bad rate (see design.py), so threshold
        # splits on the codes are the optimal binary-target partitions and TreeSHAP
        # (which only knows threshold splits) stays exact.
        "categorical_features": None,
        "early_stopping": use_valid,
        "n_iter_no_change": early_stopping_rounds or 10,
        "validation_fraction": None,
        "random_state": params.seed,
    }
    native.update(params.engine_params)
    model = HistGradientBoostingClassifier(**native)
    empty = np.flatnonzero(np.isnan(X).all(axis=0))
    if empty.size:
        # The binner fails on a column without values; a constant gives it one bin, so
        # the feature gets no split (and zero TreeSHAP) as in LightGBM and XGBoost.
        # Only fitting needs it: at prediction no tree looks at the column.
        X = X.copy()
        X[:, empty] = 0.0
    with _openmp_threads(params.n_jobs):
        if use_valid:
            assert valid is not None
            model.fit(
                X, y, sample_weight=w, X_val=valid[0], y_val=valid[1], sample_weight_val=valid[2]
            )
            n_iter = _truncate_to_best(model)
        else:
            model.fit(X, y, sample_weight=w)
            n_iter = model.n_iter_
    return _SklearnBooster(model, n_iter, params.n_jobs)


def _openmp_threads(n: int) -> Any:
    # HistGradientBoosting has no n_jobs; it uses every OpenMP thread unless limited.
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n, user_api="openmp")


def _truncate_to_best(model: Any) -> int:
    # HistGradientBoosting stops *after* its patience window and keeps every round;
    # LightGBM and XGBoost keep the best round, so cut back to the best validation loss.
    # ``validation_score_[i]`` is the (negative) loss after i rounds.
    scores = np.asarray(model.validation_score_, dtype=np.float64)
    keep = max(1, int(np.argmax(scores)))
    if keep < len(model._predictors):
        model._predictors = model._predictors[:keep]  # n_iter_ is len(_predictors)
    return int(model.n_iter_)
