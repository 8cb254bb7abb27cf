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
    return card, X[train], X[test].reset_index(drop=True), df[test].reset_index(drop=True), y[train]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "floor"), [("vs_population", 0.8), ("vs_cutoff", 0.8), ("points_below_max", 0.8)]
)
def test_planted_late_bills_reason_ranks_first(marketplace_model, method, floor):
    card, X_ref, X, truth, _ = marketplace_model
    first, driven = first_reasons_of_late_bill_declines(card, X_ref, X, truth, method)
    share = float(np.mean([first.get(i, "") in BILL_REASONS for i in driven]))
    print(f"planted late_bills, {method}: {share:.3f} of {len(driven)} declines ranked first")
    assert share >= floor


def first_reasons_of_late_bill_declines(model, X_ref, X, truth, method):
    """Principal reason per declined applicant (lowest 20% of scores), and the declined
    applicants whose true risk is driven by the planted late-bills factor and who show it
    (two or more bills paid over 3 days late in the year before applying)."""
    scores = model.score(X)
    cutoff = float(np.quantile(scores, 0.2))
    declined = np.flatnonzero(scores < cutoff)
    coder = ReasonCoder(method=method, cutoff=cutoff).fit(model, X_ref)
    out = coder.explain(X.iloc[declined], ids=declined)
    first = out[out["rank"] == 1].set_index("application_id")["code"].astype(str)
    driven = [
        i
        for i in declined
        if truth["risk_driver"].iat[i] == "late_bills" and X["bill_late3_count_365d"].iat[i] >= 2
    ]
    assert len(driven) >= 30
    return first, driven


#: What the generator's ``late_bills`` factor drives (synthetic/users.py): bill lateness,
#: and also night-time orders and cancellations (the category / order-time mix, CON04).
LATE_BILLS_MANIFESTATIONS = BILL_REASONS | {"CON04"}


@pytest.mark.slow
def test_planted_late_bills_reason_for_a_gbm(marketplace_model):
    """A GBM with library defaults on the same split; figures reported in the docs.

    The issue's 80% is met by the scorecard above; a GBM spreads credit over correlated
    features of other groups (measured 60-69% bill reasons first, 84-85% counting the night-order
    mix the same factor drives), so this guards the measured level, not the target.
    """
    gbm = pytest.importorskip("thinfile_credit.gbm")
    pytest.importorskip("lightgbm")
    _card, X_ref, X, truth, y_ref = marketplace_model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = gbm.GBMScorer(random_state=0).fit(X_ref, y_ref)
    first, driven = first_reasons_of_late_bill_declines(model, X_ref, X, truth, "vs_population")
    strict = float(np.mean([first.get(i, "") in BILL_REASONS for i in driven]))
    factor = float(np.mean([first.get(i, "") in LATE_BILLS_MANIFESTATIONS for i in driven]))
    print(f"GBM: bill reasons first {strict:.3f}, factor's reasons first {factor:.3f}")
    assert strict >= 0.55
    assert factor >= 0.75
