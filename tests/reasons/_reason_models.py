"""Protocol-conforming scorers for the reason-code tests (independent of the model areas)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from thinfile_credit.protocol import Contributions
from thinfile_credit.reasons._values import RouteSpec
from thinfile_credit.scale import ScoreScale


class LogisticPoints:
    """A logistic regression on raw features, reported in points on a ScoreScale.

    contributions_j = slope * coef_j * (x_j - mean_j); baseline = points at the mean.
    """

    def __init__(self, scale: ScoreScale | None = None) -> None:
        self.scale = scale

    def fit(self, X: pd.DataFrame, y: Any) -> LogisticPoints:
        self.scale_ = self.scale or ScoreScale()
        self.feature_names_in_ = np.asarray(list(X.columns), dtype=object)
        x = X.to_numpy(dtype=float)
        self.mean_ = x.mean(axis=0)
        sd = x.std(axis=0)
        lr = LogisticRegression(C=10.0, max_iter=1000).fit((x - self.mean_) / sd, y)
        self.coef_ = lr.coef_[0] / sd
        self.intercept_ = float(lr.intercept_[0]) - float(self.coef_ @ self.mean_)
        self.classes_ = lr.classes_
        return self

    def _arr(self, X: Any) -> np.ndarray:
        if isinstance(X, pd.DataFrame):
            return X[list(self.feature_names_in_)].to_numpy(dtype=float)
        return np.asarray(X, dtype=float)

    def contributions(self, X: Any) -> Contributions:
        x = self._arr(X)
        coef = self.coef_
        z = (x - self.mean_) * coef
        values = self.scale_.points_from_log_odds_contributions(z)
        base = float(self.scale_.points_from_log_odds(self.intercept_ + coef @ self.mean_))
        return Contributions(values, np.full(x.shape[0], base), tuple(self.feature_names_in_))

    def score(self, X: Any, y: Any = None) -> np.ndarray:
        return self.contributions(X).total()

    def predict_proba(self, X: Any) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-(self._arr(X) @ self.coef_ + self.intercept_)))
        return np.column_stack([1 - p, p])


class TreePoints:
    """LightGBM or XGBoost booster adapter: native TreeSHAP in log-odds -> points."""

    def __init__(self, engine: str = "lightgbm", n_estimators: int = 40, seed: int = 0) -> None:
        self.engine = engine
        self.n_estimators = n_estimators
        self.seed = seed

    def fit(self, X: pd.DataFrame, y: Any) -> TreePoints:
        self.scale_ = ScoreScale()
        self.feature_names_in_ = np.asarray(list(X.columns), dtype=object)
        if self.engine == "lightgbm":
            import lightgbm as lgb

            self.model_ = lgb.LGBMClassifier(
                n_estimators=self.n_estimators,
                num_leaves=8,
                learning_rate=0.1,
                random_state=self.seed,
                verbose=-1,
                deterministic=True,
                n_jobs=1,
            ).fit(X, y)
        else:
            import xgboost as xgb

            self.model_ = xgb.XGBClassifier(
                n_estimators=self.n_estimators,
                max_depth=3,
                learning_rate=0.1,
                random_state=self.seed,
                n_jobs=1,
                tree_method="hist",
            ).fit(X, y)
        self.classes_ = np.array([0, 1])
        return self

    def _log_odds_contrib(self, X: pd.DataFrame) -> np.ndarray:
        if self.engine == "lightgbm":
            return np.asarray(self.model_.predict(X, pred_contrib=True), dtype=float)
        import xgboost as xgb

        booster = self.model_.get_booster()
        return np.asarray(booster.predict(xgb.DMatrix(X), pred_contribs=True), dtype=float)

    def contributions(self, X: pd.DataFrame) -> Contributions:
        raw = self._log_odds_contrib(X)
        values = self.scale_.points_from_log_odds_contributions(raw[:, :-1])
        base = self.scale_.points_from_log_odds(raw[:, -1])
        return Contributions(values, base, tuple(self.feature_names_in_))

    def score(self, X: Any, y: Any = None) -> np.ndarray:
        return self.contributions(X).total()

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.model_.predict_proba(X)


def credit_frame(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Synthetic applicants with features named by the library's convention."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "bill_ontime_share_180d": rng.beta(5, 1.5, n),
            "bill_max_days_late_365d": rng.poisson(4, n).astype(float),
            "bill_overdue_count_now": rng.poisson(0.3, n).astype(float),
            "cons_order_count_90d": rng.poisson(8, n).astype(float),
            "cons_gmv_sum_365d": rng.gamma(2.0, 800.0, n),
            "loan_current_dpd": (rng.random(n) < 0.1) * rng.integers(1, 60, n).astype(float),
            "soc_degree_social": rng.poisson(5, n).astype(float),
            "ten_account_age_days": rng.integers(10, 2000, n).astype(float),
            "thin_history_days": rng.integers(0, 900, n).astype(float),
        }
    )
    z = (
        -3.0
        - 3.0 * (X["bill_ontime_share_180d"] - 0.75)
        + 0.08 * X["bill_max_days_late_365d"]
        + 0.9 * X["bill_overdue_count_now"]
        - 0.05 * X["cons_order_count_90d"]
        + 0.03 * X["loan_current_dpd"]
        - 0.0008 * X["ten_account_age_days"]
        - 0.001 * X["thin_history_days"]
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return X, y


class IdentityPoints:
    """A scorer whose contributions are its inputs: score = 500 + sum(x).

    Lets property tests drive the coder with arbitrary contribution matrices.
    """

    def __init__(self, feature_names: tuple[str, ...], higher_is_better: bool = True) -> None:
        self.feature_names_in_ = np.asarray(feature_names, dtype=object)
        self.scale_ = ScoreScale(higher_is_better=higher_is_better)
        self.classes_ = np.array([0, 1])

    def fit(self, X: Any, y: Any = None) -> IdentityPoints:
        return self

    def contributions(self, X: Any) -> Contributions:
        x = np.asarray(X, dtype=float)
        names = tuple(str(n) for n in self.feature_names_in_)
        return Contributions(x, np.full(x.shape[0], 500.0), names)

    def score(self, X: Any, y: Any = None) -> np.ndarray:
        return self.contributions(X).total()

    def predict_proba(self, X: Any) -> np.ndarray:
        p = self.scale_.pd_from_points(self.score(X))
        return np.column_stack([1 - p, p])


#: Features of :func:`late_share_kind_spec`.
LATE_SHARE_KIND = ("late", "share", "kind")


def late_share_kind_spec() -> RouteSpec:
    """Routes of three features: a late count (favourable end 0, lower is safer), an
    on-time share (end 1.0) and a category code with no direction."""
    return RouteSpec(
        feature_baseline=np.zeros(3),
        fallback=np.zeros((3, 1)),
        direction=np.array([-1, 1, 0], dtype=np.int8),
        end=np.array([0.0, 1.0, np.nan]),
    )
