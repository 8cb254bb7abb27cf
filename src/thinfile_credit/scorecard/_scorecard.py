"""`WoEScorecard`: optimal binning + selection + logistic regression + points scaling."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from thinfile_credit.binning import WoEBinner
from thinfile_credit.binning._columns import (
    binary_target,
    extract_columns,
    require_fitted,
    select_columns,
    warn_if_unexpected_names,
)
from thinfile_credit.errors import DataError, ModelError
from thinfile_credit.protocol import Contributions
from thinfile_credit.scale import ScoreScale
from thinfile_credit.scorecard.fast import CompiledFeature, CompiledScorecard
from thinfile_credit.selection import SelectionReport, select_features

__all__ = ["ScorecardWarning", "WoEScorecard"]


class ScorecardWarning(UserWarning):
    """A scorecard was fitted but something about it deserves attention.

    Raised for kept wrong-sign coefficients (``on_wrong_sign="warn"``) and for a model
    left without features by selection.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", ScorecardWarning)  # make it fatal in production
    """


class WoEScorecard(ClassifierMixin, BaseEstimator):
    """A regulator-friendly Weight-of-Evidence scorecard on the shared score scale.

    ``fit`` bins every feature optimally (:class:`~thinfile_credit.binning.WoEBinner`),
    selects features (:func:`~thinfile_credit.selection.select_features`), fits a
    logistic regression of *bad* on the WoE columns, checks coefficient signs, and turns
    ``coefficient x WoE`` of every bin into points on ``scale``. It implements the
    library's scorer protocol: ``predict_proba``, ``score`` (points), ``contributions``
    (per-feature points plus baseline, summing to the score), ``points_below_max``.

    Sign convention: WoE is ``ln(%bad / %good)`` (positive = riskier), so every
    coefficient must be **positive**; a non-positive coefficient means the feature acts
    against its own univariate evidence (usually collinearity) and is reported in
    ``sign_report_`` and, by default, dropped and the model refitted.

    Parameters
    ----------
    scale : ScoreScale, optional
        Points scaling; ``None`` means ``ScoreScale()`` (600 points at 50:1, 20 PDO).
    binner : WoEBinner, optional
        Binning settings (cloned at fit); ``None`` means ``WoEBinner()``.
    min_iv : float, default 0.02
        Features with a lower information value are dropped.
    max_iv : float, optional
        Features with a higher IV are dropped as suspect leakage.
    max_corr : float or None, default 0.8
        Of two WoE columns correlated beyond this, the lower-IV one is dropped.
    max_vif : float, optional
        Largest variance inflation factor allowed.
    stepwise : {"forward", "backward"}, optional
        Stepwise selection after the filters.
    stepwise_criterion : {"aic", "bic", "auc"}, default "bic"
    max_features : int, optional
        Cap for forward stepwise.
    C : float, default 1.0
        Inverse L2 regularisation of the logistic regression.
    on_wrong_sign : {"drop", "warn", "raise"}, default "drop"
        What to do with non-positive coefficients.
    round_points : bool, default False
        Round every bin's points and the baseline to integers (ranking within a feature
        is preserved; scores become integers).
    random_state : int, RandomState or None, default None
        Seed for the validation split of ``stepwise_criterion="auc"``; ``None`` uses 0,
        so fits are deterministic unless asked otherwise.

    Attributes
    ----------
    scale_ : ScoreScale
    binner_ : WoEBinner
    selection_ : SelectionReport
    features_ : tuple of str
        Features in the model.
    coef_ : ndarray of shape (1, n_model_features)
    intercept_ : ndarray of shape (1,)
    points_ : dict of str to ndarray
        Points per bin of every model feature (bin layout of its ``FeatureBinning``).
    baseline_points_ : float
    sign_report_ : list of dict
        Every wrong-sign coefficient met while fitting and the action taken.
    classes_ : ndarray ``[0, 1]``
    feature_names_in_ : ndarray of str
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"income": rng.lognormal(8, 0.5, 4000),
    ...                   "late_bills": rng.poisson(1.0, 4000).astype(float)})
    >>> z = -2.5 - 0.8 * np.log(X["income"] / 3000) + 0.7 * X["late_bills"]
    >>> y = (rng.random(4000) < 1 / (1 + np.exp(-z))).astype(int)
    >>> card = WoEScorecard(round_points=True).fit(X, y)
    >>> card.features_
    ('income', 'late_bills')
    >>> s = card.score(X.head(3)); c = card.contributions(X.head(3))
    >>> bool(np.allclose(c.total(), s)), s.dtype.kind
    (True, 'f')
    >>> one = {"income": 3000.0, "late_bills": 0.0}
    >>> bool(card.score_one(one) == card.score(pd.DataFrame([one]))[0])
    True
    """

    _parameter_constraints: dict[str, list[Any]] = {  # noqa: RUF012 - sklearn API
        "scale": [ScoreScale, None],
        "binner": [HasMethods(["fit", "transform"]), None],
        "min_iv": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iv": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "max_corr": [Interval(numbers.Real, 0, 1, closed="right"), None],
        "max_vif": [Interval(numbers.Real, 1, None, closed="left"), None],
        "stepwise": [StrOptions({"forward", "backward"}), None],
        "stepwise_criterion": [StrOptions({"aic", "bic", "auc"})],
        "max_features": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "C": [Interval(numbers.Real, 0, None, closed="neither")],
        "on_wrong_sign": [StrOptions({"drop", "warn", "raise"})],
        "round_points": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        scale: ScoreScale | None = None,
        binner: WoEBinner | None = None,
        min_iv: float = 0.02,
        max_iv: float | None = None,
        max_corr: float | None = 0.8,
        max_vif: float | None = None,
        stepwise: str | None = None,
        stepwise_criterion: str = "bic",
        max_features: int | None = None,
        C: float = 1.0,
        on_wrong_sign: str = "drop",
        round_points: bool = False,
        random_state: int | None = None,
    ) -> None:
        self.scale = scale
        self.binner = binner
        self.min_iv = min_iv
        self.max_iv = max_iv
        self.max_corr = max_corr
        self.max_vif = max_vif
        self.stepwise = stepwise
        self.stepwise_criterion = stepwise_criterion
        self.max_features = max_features
        self.C = C
        self.on_wrong_sign = on_wrong_sign
        self.round_points = round_points
        self.random_state = random_state

    # --- fitting ------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any) -> WoEScorecard:
        """Bin, select, regress and scale.

        Parameters
        ----------
        X : DataFrame (pandas, Polars, PyArrow) or 2-D array
            Features.
        y : array-like of 0/1
            Target, 1 = bad.

        Returns
        -------
        self

        Raises
        ------
        DataError
            Bad target values, infinite feature values, empty ``X``, a column name given
            twice (after ``str()``, so ``0`` and ``"0"`` clash; names the column).
        ModelError
            One-class target; a wrong-sign coefficient with ``on_wrong_sign="raise"``.
        """
        cols = extract_columns(X)
        target = binary_target(y, cols.n_rows)
        self.scale_ = self.scale if self.scale is not None else ScoreScale()
        binner = clone(self.binner) if self.binner is not None else WoEBinner()
        self.binner_ = binner.fit(X, target)
        names = [str(n) for n in self.binner_.feature_names_in_]
        woe = self.binner_.transform(X)
        report = select_features(
            woe,
            target,
            names,
            self.binner_.iv_,
            min_iv=self.min_iv,
            max_iv=self.max_iv,
            max_corr=self.max_corr,
            max_vif=self.max_vif,
            stepwise_direction=self.stepwise,  # type: ignore[arg-type]
            criterion=self.stepwise_criterion,  # type: ignore[arg-type]
            max_features=self.max_features,
            random_state=_seed(self.random_state),
            C=self.C,
        )
        report, coef, intercept = self._fit_with_signs(woe, target, names, report)
        self.selection_ = report
        self.features_ = report.selected
        self.coef_ = coef.reshape(1, -1)
        self.intercept_ = np.array([intercept])
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.asarray(cols.names, dtype=object)
        self.n_features_in_ = len(cols.names)
        self._fitted_with_names = cols.has_names
        self._set_points()
        return self

    # --- the scorer protocol --------------------------------------------------------------
    def score(self, X: Any, y: Any = None) -> NDArray[np.float64]:
        """Points on ``scale_`` for every row (``y`` is accepted and ignored).

        Model selection must pass an explicit ``scoring=`` (e.g. ``"roc_auc"``), since this
        returns scores rather than accuracy. A column is read as ``fit`` read it: a pandas
        ``object`` column of numbers (``Decimal`` from ``read_sql``) scores as numbers.

        Raises
        ------
        ModelError
            Model feature columns are missing, or an array has the wrong width.
        DataError
            Text in a numeric feature, undeclared infinities, a column name given twice
            (names the column).
        NotFittedError
            Called before ``fit``.
        """
        arrays, n_rows = self._model_columns(X)
        return self.compiled_.score_arrays(arrays, n_rows)

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """``[P(good), P(bad)]`` per row, read off the (possibly rounded) score."""
        points = self.score(X)
        pd_bad = self.scale_.pd_from_points(points)
        return np.column_stack([1.0 - pd_bad, pd_bad])

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Log-odds of bad per row."""
        points = self.score(X)
        return self.scale_.log_odds_from_points(points)

    def predict(self, X: Any) -> NDArray[np.int64]:
        """1 (bad) where the PD is at least 0.5."""
        return (self.decision_function(X) >= 0.0).astype(np.int64)

    def contributions(self, X: Any) -> Contributions:
        """Per-feature points plus the baseline; ``total()`` equals :meth:`score`."""
        arrays, n_rows = self._model_columns(X)
        values = self.compiled_.points_matrix(arrays, n_rows)
        baseline = np.full(values.shape[0], self.baseline_points_)
        return Contributions(values=values, baseline=baseline, feature_names=self.features_)

    def points_below_max(self, X: Any) -> NDArray[np.float64]:
        """Points each model feature gave up versus its best bin, shape ``(n, n_features)``.

        The best bin is the safest one: the most points when ``scale_.higher_is_better``,
        the fewest otherwise. Every entry is a distance ``>= 0`` - how far the applicant's
        bin is from the best bin in the safe direction - so 0 means "nothing lost" on either
        kind of scale. Columns follow :attr:`features_`; reason codes rank them (largest
        shortfall first).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from thinfile_credit.scale import ScoreScale
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"late_bills": rng.poisson(1.0, 3000).astype(float)})
        >>> y = (rng.random(3000) < 1 / (1 + np.exp(2.5 - 0.8 * X["late_bills"]))).astype(int)
        >>> card = WoEScorecard(scale=ScoreScale(higher_is_better=False)).fit(X, y)
        >>> lost = card.points_below_max(pd.DataFrame({"late_bills": [0.0, 6.0]}))
        >>> bool(lost[0, 0] == 0.0), bool(lost[1, 0] > 0)  # the riskier applicant lost points
        (True, True)
        """
        arrays, n_rows = self._model_columns(X)
        values = self.compiled_.points_matrix(arrays, n_rows)
        if self.scale_.higher_is_better:
            best = np.array([self.points_[f].max() for f in self.features_])
            return best - values
        # lower is better: the safest bin has the fewest points, and points above it are lost
        best = np.array([self.points_[f].min() for f in self.features_])
        return values - best

    def score_one(self, applicant: Mapping[str, Any]) -> float:
        """Score of one applicant given as ``{feature: value}``, without pandas or NumPy.

        Equal to :meth:`score` of the same values in a one-row frame, whatever their types
        (``bool``, ``int``, ``float``, NumPy scalars, ``None``/NaN/``pd.NA``).

        Raises
        ------
        ModelError
            A model feature is absent from the mapping.
        DataError
            ``applicant`` is not a mapping (a list, a Series...); text (even ``"12"``) or
            an undeclared infinity in a numeric feature.
        NotFittedError
            Called before ``fit``.
        """
        require_fitted(self, "compiled_")
        if applicant.__class__ is not dict:
            applicant = _one_applicant(applicant)
        return self.compiled_.score_one(applicant)

    def contributions_one(self, applicant: Mapping[str, Any]) -> dict[str, float]:
        """Points per model feature for one applicant (add ``baseline_points_`` for the score).

        Raises
        ------
        ModelError, DataError, NotFittedError
            As :meth:`score_one`.
        """
        require_fitted(self, "compiled_")
        if applicant.__class__ is not dict:
            applicant = _one_applicant(applicant)
        return self.compiled_.contributions_one(applicant)

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[Any]:
        """Names of the model's features."""
        require_fitted(self, "features_")
        return np.asarray(self.features_, dtype=object)

    # --- reporting and export -----------------------------------------------------------
    def table(self) -> Any:
        """The printable scorecard: feature, bin, condition, WoE, points, counts.

        The first row is the baseline; a score is the baseline plus one row per feature.
        """
        import pandas as pd

        require_fitted(self, "points_")
        rows: list[dict[str, Any]] = [
            {
                "feature": "(baseline)",
                "bin": -1,
                "condition": "every applicant",
                "woe": np.nan,
                "coefficient": np.nan,
                "points": self.baseline_points_,
                "count": np.nan,
                "bad_rate": np.nan,
                "fallback": "",
            }
        ]
        for j, name in enumerate(self.features_):
            binning = self.binner_.binnings_[name].table()
            for record in binning.itertuples(index=False):
                rows.append(
                    {
                        "feature": name,
                        "bin": record.bin,
                        "condition": record.condition,
                        "woe": record.woe,
                        "coefficient": float(self.coef_[0, j]),
                        "points": float(self.points_[name][record.bin]),
                        "count": record.count,
                        "bad_rate": record.bad_rate,
                        "fallback": record.fallback,
                    }
                )
        return pd.DataFrame(rows)

    def to_json(self) -> str:
        """The fitted scorecard as versioned JSON (pure data, no pickle).

        See :func:`thinfile_credit.scorecard.scorecard_to_json` for the schema.
        """
        from thinfile_credit.scorecard._json import scorecard_to_json

        return scorecard_to_json(self)

    @classmethod
    def from_json(cls, text: str) -> WoEScorecard:
        """Rebuild a fitted scorecard from :meth:`to_json` output (identical scores)."""
        from thinfile_credit.scorecard._json import scorecard_from_json

        return scorecard_from_json(text)

    def to_sql(
        self,
        dialect: str = "ansi",
        *,
        table: str | None = None,
        score_name: str = "score",
        contributions: bool = False,
    ) -> str:
        """SQL computing the score: one ``CASE WHEN`` per feature, summed with the baseline.

        See :func:`thinfile_credit.scorecard.sql.scorecard_to_sql`.
        """
        from thinfile_credit.scorecard.sql import scorecard_to_sql

        return scorecard_to_sql(
            self, dialect, table=table, score_name=score_name, contributions=contributions
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.poor_score = True
        return tags

    # --- helpers --------------------------------------------------------------------------
    def _model_columns(self, X: Any) -> tuple[list[NDArray[Any]], int]:
        """The model's feature columns of ``X`` in model order, and the row count.

        Fitted on a dataframe: a dataframe's columns are matched by name, an array's by
        position. Fitted on an array: every input is matched by position and must have the
        fitted width (a dataframe's names are ignored with scikit-learn's warning).
        """
        require_fitted(self, "compiled_")
        fitted = list(self.feature_names_in_)
        if self._fitted_with_names:
            # only the model's columns are converted: scoring a wide frame stays cheap
            cols = extract_columns(X, only=self.features_)
            if cols.has_names:
                arrays = select_columns(cols, list(self.features_), fitted_with_names=True)
                return arrays, cols.n_rows
        else:
            cols = extract_columns(X)
            warn_if_unexpected_names(cols, "WoEScorecard")
        arrays = select_columns(cols, fitted, fitted_with_names=False, owner="WoEScorecard")
        position = {name: i for i, name in enumerate(fitted)}
        return [arrays[position[name]] for name in self.features_], cols.n_rows

    def _fit_with_signs(
        self,
        woe: NDArray[np.float64],
        y: NDArray[np.int8],
        names: list[str],
        report: SelectionReport,
    ) -> tuple[SelectionReport, NDArray[np.float64], float]:
        from sklearn.linear_model import LogisticRegression

        self.sign_report_: list[dict[str, Any]] = []
        refit = 0
        while True:
            selected = list(report.selected)
            if not selected:
                warnings.warn(
                    "no feature passed selection; the scorecard gives every applicant the "
                    "sample's average score (see selection_ for the reasons)",
                    ScorecardWarning,
                    stacklevel=3,
                )
                rate = float(np.clip(y.mean(), 1e-12, 1 - 1e-12))
                self.estimator_ = None
                return report, np.zeros(0), float(np.log(rate / (1 - rate)))
            cols = [names.index(n) for n in selected]
            model = LogisticRegression(C=self.C, max_iter=1000)
            model.fit(woe[:, cols], y)
            coef = model.coef_[0].astype(np.float64)
            wrong = [(selected[i], float(coef[i])) for i in np.flatnonzero(coef <= 0)]
            if not wrong:
                self.estimator_ = model
                return report, coef, float(model.intercept_[0])
            if self.on_wrong_sign == "raise":
                listed = ", ".join(f"{n} ({c:+.4f})" for n, c in wrong)
                raise ModelError(
                    "coefficients must be positive under WoE = ln(%bad/%good); "
                    f"wrong sign: {listed}"
                )
            if self.on_wrong_sign == "warn":
                self.sign_report_ += [
                    {"feature": n, "coefficient": c, "refit": refit, "action": "kept"}
                    for n, c in wrong
                ]
                warnings.warn(
                    "wrong-sign coefficients kept: " + ", ".join(n for n, _ in wrong),
                    ScorecardWarning,
                    stacklevel=3,
                )
                self.estimator_ = model
                return report, coef, float(model.intercept_[0])
            # drop the worst offender only: removing one collinear feature often fixes others
            worst, value = min(wrong, key=lambda t: (t[1], t[0]))
            self.sign_report_.append(
                {"feature": worst, "coefficient": value, "refit": refit, "action": "dropped"}
            )
            report = report.with_dropped(
                worst, "sign", f"coefficient {value:+.4f} <= 0 contradicts its WoE (refit {refit})"
            )
            refit += 1

    def _set_points(self) -> None:
        scale = self.scale_
        points: dict[str, NDArray[np.float64]] = {}
        for j, name in enumerate(self.features_):
            woe = np.asarray(self.binner_.binnings_[name].woe, dtype=np.float64)
            # points of a bin = slope * coefficient * WoE: the bin's share of the log-odds
            raw = scale.points_from_log_odds_contributions(self.coef_[0, j] * woe)
            points[name] = np.round(raw) if self.round_points else raw
        baseline = float(scale.points_from_log_odds(self.intercept_[0]))
        self.baseline_points_ = float(round(baseline)) if self.round_points else baseline
        self.points_ = points
        self._compile()

    def _compile(self) -> None:
        self.compiled_ = CompiledScorecard(
            [
                CompiledFeature(self.binner_.binnings_[name], self.points_[name].tolist())
                for name in self.features_
            ],
            self.baseline_points_,
        )


def _one_applicant(applicant: Any) -> Mapping[str, Any]:
    """A mapping, or a pandas row (a ``Series``, e.g. ``X.iloc[i]``) as one; else refused."""
    if isinstance(applicant, Mapping):
        return applicant
    import pandas as pd

    if isinstance(applicant, pd.Series):
        return {str(k): v for k, v in applicant.to_dict().items()}
    raise _not_a_mapping(applicant)


def _not_a_mapping(applicant: Any) -> DataError:
    return DataError(
        "one applicant must be a mapping {feature: value} (a dict) or a pandas row "
        f"(X.iloc[i]), got {type(applicant).__name__}",
        table="applicant",
    )


def _seed(random_state: Any) -> int:
    """An int seed; ``None`` means 0 so that fitting stays deterministic by default."""
    if random_state is None:
        return 0
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    from sklearn.utils import check_random_state

    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
