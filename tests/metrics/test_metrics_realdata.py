"""Real data: Taiwan credit-card default with a trivial score (last month's repayment status)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from thinfile_credit.metrics import bootstrap_ci, discrimination, lift_table, psi

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def taiwan(shared_data) -> pd.DataFrame:
    folder = shared_data("taiwan_default")
    return pd.read_csv(folder / "default_of_credit_card_clients.csv")


def test_trivial_score_agrees_with_sklearn_and_scipy(taiwan):
    y = taiwan["default_payment_next_month"].to_numpy()
    score = taiwan["PAY_0"].to_numpy().astype(float)  # heavily tied: 11 distinct values
    d = discrimination(y, score)
    assert d.auc == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert d.ks == pytest.approx(ks_2samp(score[y == 1], score[y == 0]).statistic, abs=1e-12)
    assert 0.65 < d.auc < 0.75
    weights = taiwan["LIMIT_BAL"].to_numpy() / 1e5
    d_w = discrimination(y, score, sample_weight=weights)
    assert d_w.auc == pytest.approx(roc_auc_score(y, score, sample_weight=weights), abs=1e-10)
    ci = bootstrap_ci(y, score, n_resamples=100, random_state=0)
    assert ci["auc"].lower < d.auc < ci["auc"].upper
    table = lift_table(y, score)
    assert table["count"].sum() == len(y)
    assert table["bad_rate"].iloc[0] > table["bad_rate"].iloc[-1]


def test_psi_between_halves_is_stable(taiwan):
    limit = taiwan["LIMIT_BAL"].to_numpy()
    rng = np.random.default_rng(0)
    mask = rng.random(limit.size) < 0.5
    assert psi(limit[mask], limit[~mask]).flag == "stable"
