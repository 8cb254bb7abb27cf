"""Real public data (skips when ../shared/data lacks it): library defaults, fixed split.

The issue's AUC targets (HELOC >= 0.800, Taiwan >= 0.785) are recorded as strict xfails:
with library defaults the scorer beats a plain ``LGBMClassifier()`` on both but stays
just below those targets (measured 0.7989 and 0.7825, see docs/benchmarks/gbm-real-data.md).
Strict, so the day a default change reaches a target this test turns red and the
expectation must be updated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from thinfile_credit.datasets import load_public, stratified_split
from thinfile_credit.gbm import GBMScorer

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

TARGETS = {"heloc": 0.800, "taiwan_default": 0.785}


@pytest.fixture(scope="module")
def results(shared_data):
    def run(name: str) -> dict[str, float]:
        X, y = load_public(name, shared_data(name))
        Xtr, Xte, ytr, yte = stratified_split(X, y)
        ours = GBMScorer(categorical_features="auto", random_state=0).fit(Xtr, ytr)
        import lightgbm as lgb

        plain = lgb.LGBMClassifier(verbose=-1, n_jobs=1).fit(Xtr, ytr)
        auc = roc_auc_score(yte, ours.predict_proba(Xte)[:, 1])
        # Calibration is strictly increasing: the score ranks exactly like the PD.
        assert roc_auc_score(yte, -ours.score(Xte)) == pytest.approx(auc, abs=1e-12)
        c = ours.contributions(Xte.head(200))
        assert np.max(np.abs(c.total() - ours.score(Xte.head(200)))) < 1e-6
        return {"ours": auc, "plain": roc_auc_score(yte, plain.predict_proba(Xte)[:, 1])}

    cache: dict[str, dict[str, float]] = {}

    def get(name: str) -> dict[str, float]:
        if name not in cache:
            cache[name] = run(name)
        return cache[name]

    return get


@pytest.mark.parametrize("name", ["heloc", "taiwan_default"])
def test_defaults_beat_plain_lightgbm(results, name):
    r = results(name)
    assert r["ours"] >= r["plain"], r


@pytest.mark.parametrize("name", ["heloc", "taiwan_default"])
@pytest.mark.xfail(
    strict=True,
    reason="issue target not reached with library defaults: measured HELOC 0.7989 "
    "(target 0.800), Taiwan 0.7825 (target 0.785)",
)
def test_issue_auc_targets(results, name):
    assert results(name)["ours"] >= TARGETS[name]


def test_german_credit_string_categoricals(shared_data):
    X, y = load_public("german_credit", shared_data("german_credit"))
    assert any(not pd.api.types.is_numeric_dtype(X[c]) for c in X.columns)
    Xtr, Xte, ytr, yte = stratified_split(X, y)
    model = GBMScorer(categorical_features="auto", random_state=0, cv=3).fit(Xtr, ytr)
    assert len(model.encoder_.categories) == 13
    assert roc_auc_score(yte, model.predict_proba(Xte)[:, 1]) > 0.72
