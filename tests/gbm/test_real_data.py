"""Real public data (skips when ../shared/data lacks it): library defaults, fixed split.

With library defaults (LightGBM engine, ensemble of the all-rows and 5 fold boosters) the
scorer beats a plain ``LGBMClassifier()`` on all four datasets. The issue's AUC targets
(GMSC >= 0.865, HELOC >= 0.800, Taiwan >= 0.785) are recorded as strict xfails: the
defaults stay just below them (measured 0.8638, 0.7987 and 0.7830, see
docs/benchmarks/gbm-real-data.md). Strict, so the day a default change reaches a target
this test turns red and the expectation must be updated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from thinfile_credit.datasets import load_public, stratified_split
from thinfile_credit.gbm import GBMScorer

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

TARGETS = {"give_me_some_credit": 0.865, "heloc": 0.800, "taiwan_default": 0.785}
DATASETS = [*TARGETS, "german_credit"]


@pytest.fixture(scope="module")
def results(shared_data):
    def run(name: str) -> dict[str, float]:
        X, y = load_public(name, shared_data(name))
        Xtr, Xte, ytr, yte = stratified_split(X, y)
        ours = GBMScorer(categorical_features="auto", random_state=0).fit(Xtr, ytr)
        import lightgbm as lgb

        plain_tr, plain_te = _native_categories(Xtr, Xte)
        plain = lgb.LGBMClassifier(verbose=-1, n_jobs=1).fit(plain_tr, ytr)
        auc = roc_auc_score(yte, ours.predict_proba(Xte)[:, 1])
        # Calibration is strictly increasing: the score ranks exactly like the PD.
        assert roc_auc_score(yte, -ours.score(Xte)) == pytest.approx(auc, abs=1e-12)
        c = ours.contributions(Xte.head(200))
        assert np.max(np.abs(c.total() - ours.score(Xte.head(200)))) < 1e-6
        return {"ours": auc, "plain": roc_auc_score(yte, plain.predict_proba(plain_te)[:, 1])}

    cache: dict[str, dict[str, float]] = {}

    def get(name: str) -> dict[str, float]:
        if name not in cache:
            cache[name] = run(name)
        return cache[name]

    return get


def _native_categories(Xtr: pd.DataFrame, Xte: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    # Plain LightGBM takes text columns only as pandas categoricals (German credit).
    Xtr, Xte = Xtr.copy(), Xte.copy()
    for c in Xtr.columns:
        if not pd.api.types.is_numeric_dtype(Xtr[c]):
            cats = pd.CategoricalDtype(sorted(Xtr[c].dropna().unique()))
            Xtr[c], Xte[c] = Xtr[c].astype(cats), Xte[c].astype(cats)
    return Xtr, Xte


@pytest.mark.parametrize("name", DATASETS)
def test_defaults_beat_plain_lightgbm(results, name):
    r = results(name)
    assert r["ours"] >= r["plain"], r


@pytest.mark.parametrize("name", list(TARGETS))
@pytest.mark.xfail(
    strict=True,
    reason="issue target not reached with library defaults on the fixed split: measured "
    "GMSC 0.8638 (target 0.865), HELOC 0.7987 (target 0.800), Taiwan 0.7830 (target "
    "0.785); over ten split seeds the defaults average 0.8659, 0.7998 and 0.7829 "
    "(docs/benchmarks/gbm-real-data.md)",
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
