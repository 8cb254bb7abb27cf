"""Group contributions of tree models equal sums of shap.TreeExplainer values."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _reason_models import TreePoints, credit_frame

from thinfile_credit.reasons import ReasonCoder

shap = pytest.importorskip("shap")


def _shap_points(model, X):
    """shap.TreeExplainer values (log-odds of bad) converted to points."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # lightgbm output-format notice
        sv = shap.TreeExplainer(model.model_).shap_values(X)
    sv = sv[1] if isinstance(sv, list) else sv
    sv = np.asarray(sv, dtype=float)
    if sv.ndim == 3:  # (n, k, classes)
        sv = sv[:, :, 1]
    assert sv.shape == X.shape
    return model.scale_.points_from_log_odds_contributions(sv)


def _group_sums(points, columns, coder):
    return np.column_stack(
        [
            points[:, [columns.index(f) for f in coder._group_features[code]]].sum(axis=1)
            for code in coder.groups_
        ]
    )


@pytest.mark.parametrize("engine", ["lightgbm", "xgboost"])
def test_group_contributions_equal_shap_tree_explainer(engine):
    pytest.importorskip(engine)
    X, y = credit_frame(1500, seed=4)
    model = TreePoints(engine=engine, n_estimators=40).fit(X, y)
    coder = ReasonCoder(method="vs_population").fit(model, X)
    sample = X.iloc[:300]
    columns = list(X.columns)
    expected = _group_sums(_shap_points(model, sample), columns, coder)
    np.testing.assert_allclose(coder.group_contributions(sample), expected, atol=1e-6, rtol=0)
    # the reasons rank exactly those sums against the population baseline
    base = _group_sums(_shap_points(model, X), columns, coder).mean(axis=0)
    np.testing.assert_allclose(coder.points_lost(sample), base - expected, atol=1e-6, rtol=0)
    out = coder.explain(sample)
    first = out[out["rank"] == 1]
    lost = base - expected
    for app, code in zip(first["application_id"], first["code"].astype(str)):
        assert coder.groups_[int(np.argmax(lost[app]))] == code
