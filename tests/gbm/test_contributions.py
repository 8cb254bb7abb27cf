"""Properties: monotone scores, exact additivity, agreement with shap.TreeExplainer."""

from __future__ import annotations

import numpy as np
import pytest
import shap
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from thinfile_credit.gbm import GBMScorer

from ._data import logistic_credit

ENGINES = ["sklearn", "lightgbm", "xgboost"]
NUMERIC = ["bill_max_days_late_365d", "ten_account_age_days", "noise"]
CONSTRAINTS = {"bill_max_days_late_365d": 1, "ten_account_age_days": "decreasing"}


@pytest.fixture(scope="module")
def fitted() -> dict[str, GBMScorer]:
    X, y, _ = logistic_credit(3000, seed=3)
    X = X[NUMERIC]
    return {
        engine: GBMScorer(
            engine,
            n_estimators=80,
            learning_rate=0.15,
            num_leaves=16,
            monotone=CONSTRAINTS,
            cv=3,
            random_state=0,
        ).fit(X, y)
        for engine in ENGINES
    }


rows = arrays(
    np.float64,
    shape=st.tuples(st.integers(1, 20), st.just(3)),
    elements=st.one_of(st.floats(-50, 2000), st.just(np.nan)),
)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=25)
@given(base=rows, grid=st.lists(st.floats(-50, 2000), min_size=2, max_size=12))
def test_score_is_monotone_in_constrained_features(fitted, engine, base, grid):
    model = fitted[engine]
    import pandas as pd

    grid = np.sort(np.array(grid))
    for column, direction in (("bill_max_days_late_365d", 1), ("ten_account_age_days", -1)):
        j = NUMERIC.index(column)
        for row in base:
            frame = pd.DataFrame(np.repeat(row[None, :], grid.size, axis=0), columns=NUMERIC)
            frame[column] = grid
            points = model.score(frame)
            # +1: a higher value never lowers the PD, so (higher = better) points never rise.
            steps = np.diff(points) * direction
            assert np.all(steps <= 1e-9), (column, j, points)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=25)
@given(X=rows)
def test_contributions_add_up_to_the_score(fitted, engine, X):
    import pandas as pd

    model = fitted[engine]
    frame = pd.DataFrame(X, columns=NUMERIC)
    c = model.contributions(frame)
    assert np.max(np.abs(c.total() - model.score(frame))) < 1e-6


@pytest.mark.parametrize("engine", ENGINES)
def test_raw_contributions_match_shap_tree_explainer(fitted, engine):
    X, _, _ = logistic_credit(400, seed=11)
    X = X[NUMERIC]
    model = fitted[engine]
    ours = model.contributions(X, unit="raw_log_odds")
    # The served model averages the all-rows booster and the 3 fold boosters; TreeSHAP
    # of an average is the average of the members' TreeSHAP.
    assert len(model.booster_.members) == 4
    values, base = np.zeros(X.shape), 0.0
    for member in model.booster_.members:
        explainer = shap.TreeExplainer(member.model)
        if engine == "xgboost":
            import xgboost as xgb

            v = explainer.shap_values(xgb.DMatrix(X.to_numpy()))
        else:
            v = explainer.shap_values(X.to_numpy())
        v = np.asarray(v)
        values += v[..., -1] if v.ndim == 3 else v
        base += float(np.ravel(explainer.expected_value)[-1])
    n = len(model.booster_.members)
    # XGBoost accumulates in float32; the others agree to double precision.
    tol = 1e-5 if engine == "xgboost" else 1e-9
    np.testing.assert_allclose(ours.values, values / n, atol=tol)
    np.testing.assert_allclose(ours.baseline, base / n, atol=tol)


def test_points_are_slope_times_calibrated_log_odds(fitted):
    X, _, _ = logistic_credit(200, seed=5)
    model = fitted["lightgbm"]
    lo = model.contributions(X[NUMERIC], unit="log_odds")
    pts = model.contributions(X[NUMERIC])
    np.testing.assert_allclose(pts.values, model.scale_.slope * lo.values)
    np.testing.assert_allclose(pts.baseline, model.scale_.points_from_log_odds(lo.baseline))
