"""``GBMScorer``: gradient boosting on the shared score scale, monotone and calibrated."""

from __future__ import annotations

import os
import warnings
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import check_is_fitted

from thinfile_credit._optional import require
from thinfile_credit._sklearn_errors import ScorerNotFittedError
from thinfile_credit.errors import DataError, ModelError, SpecError
from thinfile_credit.gbm._inputs import (
    binary_target,
    check_class_weight,
    check_training_weights,
    class_weight_shifts_prior,
    fitted_columns,
    record_features,
    sample_weight_array,
    target_labels,
    unobserved_columns,
)
from thinfile_credit.gbm._training import cross_fit, fit_final_booster
from thinfile_credit.gbm.calibration import rescale_contributions
from thinfile_credit.gbm.design import DesignEncoder, collected, to_frame
from thinfile_credit.gbm.engines import ENGINES, AveragedBooster, BoostingParams
from thinfile_credit.gbm.monotone import report_frame, resolve_monotone
from thinfile_credit.protocol import Contributions
from thinfile_credit.scale import ScoreScale

__all__ = [
    "AllMissingFeatureWarning",
    "GBMParameterError",
    "GBMScorer",
    "ScorerNotFittedError",
]

FloatArray = NDArray[np.float64]


class GBMParameterError(SpecError, InvalidParameterError):
    """A hyper-parameter of the wrong type or out of range; ``column`` names it.

    Also scikit-learn's ``InvalidParameterError`` (a ``ValueError`` and ``TypeError``),
    which its parameter checks expect.
    """


class AllMissingFeatureWarning(UserWarning):
    """A feature has no value in the training data, so it cannot affect any score.

    The model is fitted with the feature inert (no split in any engine, 0 points in
    every contribution); the warning names it so the gap in the data is noticed.
    """


class GBMScorer(ClassifierMixin, BaseEstimator):
    """Gradient-boosted scorer: LightGBM, XGBoost or scikit-learn, on the shared scale.

    A scikit-learn binary classifier (class 1 = bad) implementing the scorer protocol:
    ``predict_proba`` gives a calibrated PD, ``score`` points on ``scale_`` and
    ``contributions`` exact TreeSHAP per feature in points, with
    ``baseline + values.sum(1) == score`` for every row.

    Parameters
    ----------
    engine : {"lightgbm", "xgboost", "sklearn"}, default "lightgbm"
        Boosting library. LightGBM and XGBoost come with the extras of the same name;
        ``"sklearn"`` uses ``HistGradientBoostingClassifier`` and needs no extra.
    n_estimators : int, default 1000
        Maximum boosting rounds (early stopping usually ends far sooner).
    learning_rate : float, default 0.03
        Shrinkage per round.
    num_leaves : int, default 8
        Leaves per tree. Shallow trees scored as well or better than LightGBM's default
        31 leaves on the public credit datasets and make explanations several times
        cheaper (TreeSHAP cost grows with leaves x depth).
    max_depth : int or None, default None
        Optional depth limit.
    min_child_samples : int, default 50
        Minimum rows per leaf.
    subsample : float, default 0.8
        Row fraction per round (LightGBM, XGBoost).
    colsample_bytree : float, default 0.5
        Feature fraction per tree (scikit-learn: per split).
    reg_lambda : float, default 5.0
        L2 penalty on leaf values.
    monotone : None, dict, sequence or "auto", default None
        Monotone constraints on the PD. ``+1`` / ``"increasing"``: a higher value never
        lowers the PD (riskier); ``-1`` / ``"decreasing"``: never raises it; ``0``: free.
        A dict constrains the named features, ``"auto"`` infers directions from the data
        (see :mod:`thinfile_credit.gbm.monotone`); the outcome is in ``monotone_report_``.
    monotone_alpha : float, default 0.01
        Significance level for ``monotone="auto"`` and for flagging explicit constraints
        that contradict the data.
    categorical_features : None, sequence of str or "auto", default None
        Categorical columns (coded internally; see :mod:`thinfile_credit.gbm.design`).
        ``"auto"`` takes every non-numeric column. Text columns not declared raise.
    early_stopping : bool, default True
        Choose the number of rounds on a validation split (or ``eval_set``). Without
        ``eval_set`` the split is a stratified ``validation_fraction`` of the rows with
        a positive weight; when the minority class has too few of them to hold one out
        (fewer than 4, or fewer than ``1 / validation_fraction``: 10 at the default),
        early stopping is skipped with an
        :class:`~thinfile_credit.gbm.EarlyStoppingFallbackWarning` and all
        ``n_estimators`` rounds are trained (``best_iteration_`` is None).
    validation_fraction : float, default 0.1
        Share of rows held out for early stopping when no ``eval_set`` is given.
    n_iter_no_change : int, default 100
        Early-stopping patience in rounds.
    class_weight : None, "balanced" or dict, default None
        Reweights classes for the booster only; the calibrator is fitted on the true
        rates, so the PD stays calibrated. Weights that differ between the classes
        therefore need ``calibration``: with ``calibration=None`` (or too few rows of a
        class to calibrate) ``fit`` refuses them. A dict maps class labels (of
        ``classes_``) to finite weights ``> 0``; a class it leaves out weighs 1.
    calibration : {"isotonic", "sigmoid"} or None, default "isotonic"
        Cross-fitted calibration of the margin to PD (see
        :mod:`thinfile_credit.gbm.calibration`).
    cv : int, cross-validation splitter or iterable of (train, test), default 5
        Folds for cross-fitting (an int means stratified, shuffled folds).
    ensemble : bool, default True
        Serve the mean margin of the all-rows booster and the ``cv`` fold boosters that
        cross-fitted calibration trains anyway (``booster_.members``); False serves the
        all-rows booster alone, as does ``calibration=None`` (nothing is cross-fitted).
        Averaging cuts the variance of a single booster at no extra fit time; explaining
        costs ``cv + 1`` times one booster's TreeSHAP. ``score``, ``predict_proba`` and
        ``contributions`` all use the averaged model; the calibrator is fitted on
        out-of-fold margins (see :mod:`thinfile_credit.gbm._training`).
    scale : ScoreScale or None, default None
        Points scale; None means ``ScoreScale()`` (600 at 50:1, 20 points to double).
    random_state : int, RandomState or None, default None
        Seeds the validation split, folds and engine.
    n_jobs : int or None, default None
        Threads for the engine; None means 1 (scikit-learn's convention), -1 every core.
    engine_params : dict or None, default None
        Native parameters passed to the engine verbatim (they override the above).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Class labels; ``classes_[1]`` is "bad".
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit``, as text (``str(name)``: a pandas column named
        ``2`` is ``"2"``); only when ``X`` was a frame (pandas, Polars, PyArrow), whose
        columns are then matched by name at scoring.
    scale_ : ScoreScale
        The points scale in use.
    booster_ : FittedBooster
        The served model: with ``ensemble`` and calibration an ``AveragedBooster`` of the
        all-rows booster (``booster_.members[0]``) and the fold boosters, else the
        all-rows booster alone (``booster_.members == (booster_,)``).
        Each member's ``model`` is the native LightGBM ``Booster``, XGBoost ``Booster``
        or scikit-learn estimator.
    n_iter_ : int
        Boosting rounds in each booster (the all-rows booster and every fold booster).
    best_iteration_ : int or None
        Round chosen by early stopping on the validation data (None without it).
    calibrator_ : LogOddsCalibrator
        Map from raw margin to calibrated log-odds.
    monotone_constraints_ : dict
        Constraint per feature actually used.
    monotone_report_ : pandas.DataFrame
        One row per feature: ``feature, rho, p_value, trend, direction, source, conflict``.
    feature_importances_ : ndarray
        Total split gain per feature (split counts for scikit-learn), averaged over
        ``booster_.members``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"bill_max_days_late_365d": rng.exponential(10, 2000),
    ...                   "ten_account_age_days": rng.uniform(0, 1000, 2000)})
    >>> z = 0.08 * X.bill_max_days_late_365d - 0.002 * X.ten_account_age_days - 2
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(-z))).astype(int)
    >>> model = GBMScorer(engine="sklearn", n_estimators=100, learning_rate=0.1,
    ...                   monotone="auto", cv=3, random_state=0).fit(X, y)
    >>> model.monotone_constraints_
    {'bill_max_days_late_365d': 1, 'ten_account_age_days': -1}
    >>> c = model.contributions(X.head(3))
    >>> bool(np.allclose(c.total(), model.score(X.head(3))))
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "engine": [str],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "num_leaves": [Interval(Integral, 2, None, closed="left")],
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "min_child_samples": [Interval(Integral, 1, None, closed="left")],
        "subsample": [Interval(Real, 0, 1, closed="right")],
        "colsample_bytree": [Interval(Real, 0, 1, closed="right")],
        "reg_lambda": [Interval(Real, 0, None, closed="left")],
        "monotone": [None, dict, list, tuple, StrOptions({"auto"})],
        "monotone_alpha": [Interval(Real, 0, 1, closed="neither")],
        "categorical_features": [None, list, tuple, StrOptions({"auto"})],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [None, dict, StrOptions({"balanced"})],
        "calibration": [None, StrOptions({"isotonic", "sigmoid"})],
        "cv": ["cv_object"],
        "ensemble": ["boolean"],
        "scale": [ScoreScale, None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "engine_params": [dict, None],
    }

    def __init__(
        self,
        engine: str = "lightgbm",
        *,
        n_estimators: int = 1000,
        learning_rate: float = 0.03,
        num_leaves: int = 8,
        max_depth: int | None = None,
        min_child_samples: int = 50,
        subsample: float = 0.8,
        colsample_bytree: float = 0.5,
        reg_lambda: float = 5.0,
        monotone: Any = None,
        monotone_alpha: float = 0.01,
        categorical_features: Any = None,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 100,
        class_weight: Any = None,
        calibration: str | None = "isotonic",
        cv: Any = 5,
        ensemble: bool = True,
        scale: ScoreScale | None = None,
        random_state: Any = None,
        n_jobs: int | None = None,
        engine_params: dict[str, Any] | None = None,
    ) -> None:
        self.engine = engine
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.monotone = monotone
        self.monotone_alpha = monotone_alpha
        self.categorical_features = categorical_features
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.calibration = calibration
        self.cv = cv
        self.ensemble = ensemble
        self.scale = scale
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.engine_params = engine_params

    # --- fitting ------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any,
        eval_set: Any = None,
        sample_weight: Any = None,
    ) -> GBMScorer:
        """Fit the booster, its monotone constraints and its calibrator.

        Parameters
        ----------
        X : DataFrame-like or array of shape (n, k)
            pandas, Polars (a ``LazyFrame`` is collected), PyArrow or NumPy; missing
            values allowed. A frame's columns are named by ``str(name)``.
        y : array-like of shape (n,)
            Binary target of numbers or booleans; the larger label (``classes_[1]``:
            1 of 0/1, True of booleans, 2 of 1/2) is "bad". Text labels raise.
        eval_set : (X_val, y_val[, w_val]) or a list holding one such tuple, optional
            Validation data for early stopping instead of an internal split. Only with
            ``early_stopping=True``: with early stopping off it would have no use, so it
            raises rather than being ignored.
        sample_weight : array-like of shape (n,), optional
            Row weights. A row weighted 0 is out of the sample: it does not enter the
            early-stopping validation split, the monotone trend test or the calibrator.

        Returns
        -------
        self

        Raises
        ------
        GBMParameterError
            A hyper-parameter of the wrong type or out of range (a ``SpecError`` naming
            it, and scikit-learn's ``InvalidParameterError``), or a ``class_weight``
            that weighs the classes differently with ``calibration=None`` (nothing would
            bring the PD back to the observed bad rate).
        ModelError
            Unknown engine, a single class (among rows with a positive weight), more
            than two classes, text columns not declared categorical, a bad monotone
            constraint (the message names the column), ``eval_set`` with
            ``early_stopping=False``, or a ``class_weight`` entry that is not a class of
            ``y`` or whose weight is not a finite number > 0 (``class_weight`` named), or
            such weights with too few rows of a class to cross-fit the calibrator.
        DataError
            Missing, infinite, non-integer or text target values (``y``, rows named);
            sample weights that are not numbers, negative, infinite or all zero; two
            column names that read the same as text; infinite values or values beyond
            the float32 range in ``X`` (column and rows named); an ``eval_set`` whose
            ``X`` and ``y`` differ in length.
        MissingDependencyError
            The engine's extra is not installed.

        Warns
        -----
        AllMissingFeatureWarning
            A column has no value in the training data; it is kept but inert.
        EarlyStoppingFallbackWarning
            Too few rows of a class to hold out an early-stopping split.
        CalibrationFallbackWarning
            Too few rows of a class to cross-fit the calibrator.
        """
        self._check_params()
        if eval_set is not None and not self.early_stopping:
            raise ModelError(
                "eval_set is only used for early stopping, which is off "
                "(early_stopping=False); drop eval_set or set early_stopping=True",
                column="eval_set",
            )
        if self.engine not in ENGINES:
            raise ModelError(
                f"unknown engine {self.engine!r}; choose one of {', '.join(ENGINES)}",
                column="engine",
            )
        extra = ENGINES[self.engine]
        if extra is not None:
            require(self.engine, extra)
        X = collected(X)
        frame = to_frame(X)  # raises on sparse, 1-D or empty input, duplicated names
        record_features(self, X, frame.width)
        y01, classes = binary_target(y, frame.height)
        self.classes_ = classes
        w_user = sample_weight_array(sample_weight, y01.shape[0])
        weighted_classes = np.unique(y01[w_user > 0])
        if weighted_classes.size < 2:
            raise ModelError(
                f"training data has only 1 class ({classes[weighted_classes[0]]!r}) among "
                "rows with a positive sample weight; a scorer needs goods and bads",
                column="sample_weight",
            )
        check_class_weight(self.class_weight, classes)
        reweighted = class_weight_shifts_prior(self.class_weight, classes)
        if reweighted and self.calibration is None:
            # A PD must be a probability: the reweighted booster's is not (mean PD near
            # the weighted bad rate, not the observed one), and no offset undoes it
            # row by row, so the combination is refused rather than served.
            raise GBMParameterError(
                f"class_weight={self.class_weight!r} weighs goods and bads differently, "
                "which moves the booster's PD away from the observed bad rate; only "
                "calibration (fitted on the true rates) brings it back, and calibration "
                "is None. Set calibration='isotonic' or 'sigmoid', or class_weight=None",
                column="class_weight",
            )
        # "balanced" counts the classes among the rows in the sample (positive weight).
        in_sample = np.flatnonzero(w_user > 0)
        w_train = w_user * compute_sample_weight(
            self.class_weight,
            classes[y01],
            indices=in_sample if self.class_weight == "balanced" else None,
        )
        check_training_weights(w_train, y01, classes)
        self.scale_ = self.scale if self.scale is not None else ScoreScale()

        # The caller's X, not the Polars copy: a pandas categorical of integer codes is
        # categorical by its dtype, which the conversion loses.
        self.encoder_ = DesignEncoder.fit(X, y01, w_user, self.categorical_features, frame=frame)
        design = self.encoder_.transform(frame, table="X")
        names = list(self.encoder_.feature_names)
        unobserved = unobserved_columns(design, w_user)
        empty = [n for n, e in zip(names, unobserved) if e]
        if empty:
            warnings.warn(
                f"{', '.join(empty)}: no value in the training data; the feature gets no "
                "split and contributes 0 points to every score (fit on data where it is "
                "observed, or drop it)",
                AllMissingFeatureWarning,
                stacklevel=2,
            )
        constraints, report = resolve_monotone(
            self.monotone,
            names,
            set(self.encoder_.categories),
            design,
            y01,
            w_user,
            alpha=self.monotone_alpha,
            unobserved=unobserved,
        )
        self.monotone_constraints_ = dict(zip(names, constraints))
        self.monotone_report_ = report_frame(report)

        rng = check_random_state(self.random_state)
        seeds = rng.randint(np.iinfo(np.int32).max, size=3)
        params = self._boosting_params(int(seeds[0]))
        categorical = self.encoder_.categorical_indices
        booster, best = fit_final_booster(
            self.engine,
            params,
            design,
            y01,
            w_train,
            constraints,
            categorical,
            early_stopping=self.early_stopping,
            validation_fraction=self.validation_fraction,
            n_iter_no_change=self.n_iter_no_change,
            eval_set=self._eval_set(eval_set) if self.early_stopping else None,
            seed=int(seeds[1]),
        )
        self.n_iter_ = booster.n_iter
        self.best_iteration_ = best
        fold_params = BoostingParams(**{**params.__dict__, "n_estimators": booster.n_iter})
        self.calibrator_, folds = cross_fit(
            self.calibration,
            self.engine,
            fold_params,
            design,
            y01,
            w_train,
            w_user,
            constraints,
            categorical,
            cv=self.cv,
            seed=int(seeds[2]),
            keep_folds=self.ensemble,
            reweighted=reweighted,
        )
        self.booster_ = AveragedBooster([booster, *folds]) if folds else booster
        self.feature_importances_ = self.booster_.feature_importances()
        return self

    # --- scoring ------------------------------------------------------------------------
    def decision_function(self, X: Any) -> FloatArray:
        """Calibrated log-odds of bad, ``g(f(x))``.

        Columns are matched by name (``str(name)``, in any order) when both ``X`` and
        the training data were frames, by position when either was an array
        (scikit-learn's warning when only one side has names). A column of nothing but
        missing values (``None``, NaN, ``<NA>``) is missing, whatever its dtype.

        Raises
        ------
        ModelError
            Columns differ from those seen in ``fit``: missing or unexpected names
            (listed), or a different number of columns.
        DataError
            Text in a numeric column, infinite values or values beyond the float32
            range (column and rows named), a categorical column given as numbers
            after training on text (or the reverse), or two column names that read the
            same as text.
        """
        self._check_fitted()
        return self.calibrator_.log_odds(self.raw_margin(X))

    def raw_margin(self, X: Any) -> FloatArray:
        """The served model's log-odds ``f(x)`` before calibration.

        With ``ensemble``, the mean of the margins of ``booster_.members``.
        """
        return self.booster_.raw_margin(self._design(X))

    def predict_proba(self, X: Any) -> FloatArray:
        """Probability of each class; column 1 is the calibrated PD."""
        z = self.decision_function(X)
        pd_bad = 0.5 * (1.0 + np.tanh(0.5 * z))
        return np.column_stack([1.0 - pd_bad, pd_bad])

    def predict(self, X: Any) -> NDArray[Any]:
        """Class label: ``classes_[1]`` (bad) where the PD exceeds 0.5."""
        bad = self.decision_function(X) > 0
        return self.classes_[bad.astype(np.intp)]

    def score(self, X: Any, y: Any = None) -> FloatArray:
        """Points on ``scale_`` for every row (``y`` is accepted and ignored).

        Model selection must pass an explicit ``scoring=`` (e.g. ``"roc_auc"``): this is
        the credit score, not scikit-learn's accuracy.
        """
        z = self.decision_function(X)
        return self.scale_.points_from_log_odds(z)

    def contributions(self, X: Any, *, unit: str = "points") -> Contributions:
        """Exact per-feature contributions with a baseline.

        Parameters
        ----------
        X : DataFrame-like or array
            Rows to explain.
        unit : {"points", "log_odds", "raw_log_odds"}, default "points"
            ``"points"``: on ``scale_``, summing to :meth:`score`; ``"log_odds"``:
            calibrated log-odds, summing to :meth:`decision_function`;
            ``"raw_log_odds"``: the engine's TreeSHAP before calibration, summing to
            :meth:`raw_margin`.

        Returns
        -------
        Contributions
            ``baseline + values.sum(1)`` equals the chosen output for every row.

        Notes
        -----
        Calibration enters through one positive factor per row,
        ``r(x) = (g(f(x)) - g(f0)) / (f(x) - f0)``, applied to the raw TreeSHAP values
        (see :func:`thinfile_credit.gbm.calibration.rescale_contributions`); points are
        ``scale_.slope`` times log-odds, plus ``scale_.intercept_points`` in the
        baseline. With ``ensemble`` the raw TreeSHAP values are the mean of the members'
        (exact for the averaged model, TreeSHAP being linear in the model). Cost is the
        engine's TreeSHAP on every member, O(rows x members x trees x leaves x depth).
        """
        if unit not in ("points", "log_odds", "raw_log_odds"):
            raise ModelError(f"unit must be 'points', 'log_odds' or 'raw_log_odds', got {unit!r}")
        self._check_fitted()
        raw = self.booster_.raw_contributions(self._design(X))
        names = self.encoder_.feature_names
        if unit == "raw_log_odds":
            return Contributions(values=raw[:, :-1], baseline=raw[:, -1], feature_names=names)
        values, baseline = rescale_contributions(raw, self.calibrator_)
        if unit == "log_odds":
            return Contributions(values=values, baseline=baseline, feature_names=names)
        return Contributions(
            values=self.scale_.points_from_log_odds_contributions(values),
            baseline=self.scale_.points_from_log_odds(baseline),
            feature_names=names,
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.classifier_tags.multi_class = False
        return tags

    # --- helpers --------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, "calibrator_")
        except SklearnNotFittedError:
            raise ScorerNotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(X, y) first"
            ) from None

    def _check_params(self) -> None:
        try:
            self._validate_params()
        except InvalidParameterError as exc:
            text = str(exc)
            name = text.split("'")[1] if text.startswith("The '") else None
            raise GBMParameterError(text, column=name) from None

    def _design(self, X: Any) -> FloatArray:
        self._check_fitted()
        return self._encode(X)

    def _encode(self, X: Any, table: str = "X") -> FloatArray:
        X = collected(X)
        frame = to_frame(X)
        # Frames by name (any order), arrays by position.
        frame = fitted_columns(self, X, frame, self.encoder_.feature_names, table)
        return self.encoder_.transform(frame, table=table)

    def _boosting_params(self, seed: int) -> BoostingParams:
        return BoostingParams(
            n_estimators=self.n_estimators,
            learning_rate=float(self.learning_rate),
            num_leaves=self.num_leaves,
            max_depth=self.max_depth,
            min_child_samples=self.min_child_samples,
            subsample=float(self.subsample),
            colsample_bytree=float(self.colsample_bytree),
            reg_lambda=float(self.reg_lambda),
            n_jobs=_threads(self.n_jobs),
            seed=seed,
            engine_params=dict(self.engine_params or {}),
        )

    def _eval_set(self, eval_set: Any) -> tuple[FloatArray, NDArray[Any], FloatArray] | None:
        if eval_set is None:
            return None
        if isinstance(eval_set, list):
            if len(eval_set) != 1:
                raise ModelError("eval_set must hold exactly one (X, y) pair")
            eval_set = eval_set[0]
        if not isinstance(eval_set, tuple) or len(eval_set) not in (2, 3):
            raise ModelError("eval_set must be (X_val, y_val) or (X_val, y_val, w_val)")
        design = self._encode(eval_set[0], table="eval_set.X")
        n = design.shape[0]
        yv = target_labels(eval_set[1], n, table="eval_set.y")
        unknown = ~np.isin(yv, self.classes_)
        if unknown.any():
            raise DataError(
                "eval_set labels not seen in training",
                table="eval_set",
                column="y",
                rows=np.flatnonzero(unknown).tolist(),
            )
        y01 = (yv == self.classes_[1]).astype(np.int64)
        w = eval_set[2] if len(eval_set) == 3 else None
        return design, y01, sample_weight_array(w, n, table="eval_set.w")


def _threads(n_jobs: int | None) -> int:
    # scikit-learn's convention: None is one thread. OpenMP engines asked for more
    # threads than free cores slow down by orders of magnitude on a busy machine.
    if n_jobs is None or n_jobs == 0:
        return 1
    cpus = os.cpu_count() or 1
    return max(1, cpus + 1 + n_jobs) if n_jobs < 0 else int(n_jobs)
