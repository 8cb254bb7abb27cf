"""Planted-factor recovery on the synthetic marketplace (features -> scorecard -> reasons)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from thinfile_credit.reasons import ReasonCoder

synthetic = pytest.importorskip("thinfile_credit.synthetic")
features = pytest.importorskip("thinfile_credit.features")
scorecard = pytest.importorskip("thinfile_credit.scorecard")

BILL_REASONS = {"BIL01", "BIL02", "BIL03"}


@pytest.fixture(scope="module")
def marketplace_model():
    mk = synthetic.make_marketplace(n_users=20000, seed=3)
    F = features.FeatureBuilder().build(mk.tables, mk.tables.applications)
    F = F if isinstance(F, pd.DataFrame) else F.to_pandas()
    truth = mk.truth if isinstance(mk.truth, pd.DataFrame) else mk.truth.to_pandas()
    df = F.merge(truth[["application_id", "bad", "risk_driver"]], on="application_id")
    names = [
        c for c in F.columns if c.split("_")[0] in {"cons", "bill", "loan", "soc", "ten", "thin"}
    ]
    X = df[names].astype(float)
    y = df["bad"].astype(int).to_numpy()
    train = np.arange(len(df)) % 2 == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        card = scorecard.WoEScorecard().fit(X[train], y[train])
    test = ~train
    return card, X[train], X[test].reset_index(drop=True), df[test].reset_index(drop=True)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "floor"), [("vs_population", 0.8), ("vs_cutoff", 0.8), ("points_below_max", 0.8)]
)
def test_planted_late_bills_reason_ranks_first(marketplace_model, method, floor):
    card, X_ref, X, truth = marketplace_model
    scores = card.score(X)
    cutoff = float(np.quantile(scores, 0.2))
    declined = np.flatnonzero(scores < cutoff)
    coder = ReasonCoder(method=method, cutoff=cutoff).fit(card, X_ref)
    out = coder.explain(X.iloc[declined], ids=declined)
    first = out[out["rank"] == 1].set_index("application_id")["code"].astype(str)
    # declined applicants whose true risk is driven by the planted late-bills factor and
    # who show it: two or more bills paid over 3 days late in the year before applying
    driven = [
        i
        for i in declined
        if truth["risk_driver"].iat[i] == "late_bills" and X["bill_late3_count_365d"].iat[i] >= 2
    ]
    assert len(driven) >= 30
    share = float(np.mean([first.get(i, "") in BILL_REASONS for i in driven]))
    print(f"planted late_bills, {method}: {share:.3f} of {len(driven)} declines ranked first")
    assert share >= floor
