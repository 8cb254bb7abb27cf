"""GBMScorer group contributions equal sums of shap.TreeExplainer values (LightGBM, XGBoost)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _reason_models import credit_frame

from thinfile_credit.reasons import ReasonCoder

shap = pytest.importorskip("shap")
gbm = pytest.importorskip("thinfile_credit.gbm")


def _fit(engine: str, calibration: str | None = None):
    pytest.importorskip(engine)
    X, y = credit_frame(1500, seed=4)
    model = gbm.GBMScorer(
        engine=engine,
        n_estimators=60,
        learning_rate=0.1,
        calibration=calibration,
        early_stopping=False,
        random_state=0,
        n_jobs=1,
    ).fit(X, y)
    return X, model


def _shap_log_odds(model, X):
    """shap.TreeExplainer on every fitted native booster, averaged like the served model."""
    values = []
    for member in model.booster_.members:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # lightgbm output-format notice
            sv = shap.TreeExplainer(member.model).shap_values(X.to_numpy(dtype=float))
        sv = np.asarray(sv[1] if isinstance(sv, list) else sv, dtype=float)
        if sv.ndim == 3:  # (n, k, classes)
            sv = sv[:, :, 1]
        values.append(sv)
    sv = np.mean(values, axis=0)
    assert sv.shape == X.shape
    return sv


def _group_sums(values, columns, coder):
    return np.column_stack(
        [
            values[:, [columns.index(f) for f in coder._group_features[code]]].sum(axis=1)
            for code in coder.groups_
        ]
    )


@pytest.mark.parametrize("engine", ["lightgbm", "xgboost"])
def test_group_contributions_equal_shap_tree_explainer(engine):
    X, model = _fit(engine)
    # the plain group sums (check_values routes some losses by the applicant's value)
    coder = ReasonCoder(method="vs_population", check_values=False).fit(model, X)
    sample = X.iloc[:300]
    columns = list(X.columns)
    points = model.scale_.points_from_log_odds_contributions(_shap_log_odds(model, sample))
    expected = _group_sums(points, columns, coder)
    np.testing.assert_allclose(coder.group_contributions(sample), expected, atol=1e-6, rtol=0)
    # reasons rank exactly those sums against the population baseline
    ref = model.scale_.points_from_log_odds_contributions(_shap_log_odds(model, X))
    lost = _group_sums(ref, columns, coder).mean(axis=0) - expected
    np.testing.assert_allclose(coder.points_lost(sample), lost, atol=1e-6, rtol=0)
    out = coder.explain(sample)
    first = out[out["rank"] == 1]
    for app, code in zip(first["application_id"], first["code"].astype(str)):
        assert coder.groups_[int(np.argmax(lost[app]))] == code


@pytest.mark.parametrize("engine", ["lightgbm", "xgboost"])
def test_calibration_rescales_rows_without_reordering_groups(engine):
    X, model = _fit(engine, calibration="sigmoid")
    coder = ReasonCoder(method="vs_population").fit(model, X)
    sample = X.iloc[:200]
    shap_groups = _group_sums(_shap_log_odds(model, sample), list(X.columns), coder)
    groups = coder.group_contributions(sample)
    # one positive factor per row (GBMScorer's calibration rescaling) times the slope
    ratio = groups / (model.scale_.slope * shap_groups)
    finite = np.abs(shap_groups) > 1e-9
    per_row = np.nanmedian(np.where(finite, ratio, np.nan), axis=1)
    assert (per_row > 0).all()
    np.testing.assert_allclose(
        groups[finite], (model.scale_.slope * shap_groups * per_row[:, None])[finite], atol=1e-6
    )
