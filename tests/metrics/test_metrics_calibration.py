"""Brier score, calibration table and Hosmer-Lemeshow."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import brier_score_loss

from thinfile_credit.errors import DataError
from thinfile_credit.metrics import brier_score, calibration_table, hosmer_lemeshow


def test_brier_equals_sklearn_with_weights():
    rng = np.random.default_rng(0)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(int)
    w = rng.random(500)
    assert brier_score(y, p) == pytest.approx(brier_score_loss(y, p))
    assert brier_score(y, p, sample_weight=w) == pytest.approx(
        brier_score_loss(y, p, sample_weight=w)
    )


def test_calibration_table_hand_example():
    t = calibration_table([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)
    assert t["count"].tolist() == [2, 2]
    assert t["expected_pd"].tolist() == pytest.approx([0.15, 0.8])
    assert t["observed_rate"].tolist() == [0.0, 1.0]
    assert t["difference"].tolist() == pytest.approx([-0.15, 0.2])


def test_hosmer_lemeshow_hand_computation():
    rng = np.random.default_rng(1)
    p = np.round(rng.uniform(0.05, 0.6, 2000), 3)
    y = (rng.random(2000) < p).astype(int)
    hl = hosmer_lemeshow(y, p, n_bins=10)
    t = hl.table
    n, e, o = t["count"], t["expected_bad"], t["observed_bad"]
    expected = (((o - e) ** 2) / (e * (1 - e / n))).sum()
    assert hl.statistic == pytest.approx(expected)
    assert hl.dof == len(t) - 2 == 8
    assert hl.pvalue == pytest.approx(stats.chi2.sf(expected, 8))
    assert hl.pvalue > 0.001  # calibrated by construction


def test_hosmer_lemeshow_detects_miscalibration():
    rng = np.random.default_rng(2)
    p = rng.uniform(0.05, 0.3, 5000)
    y = (rng.random(5000) < 2 * p).astype(int)  # true PD twice the predicted
    assert hosmer_lemeshow(y, p).pvalue < 1e-6


def test_calibration_bad_input():
    with pytest.raises(DataError, match=r"\[0, 1\]") as info:
        brier_score([0, 1], [0.2, 1.2])
    assert info.value.column == "pd"
    assert info.value.rows == [1]
    with pytest.raises(DataError, match="at least 3"):
        hosmer_lemeshow([0, 1, 0, 1], [0.2, 0.2, 0.4, 0.4])
    with pytest.raises(DataError, match="variance"):
        hosmer_lemeshow([0, 0, 1, 0, 1, 1], [0.0, 0.0, 0.5, 0.5, 1.0, 1.0], n_bins=3)
