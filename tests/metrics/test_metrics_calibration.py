"""Brier score, calibration table and Hosmer-Lemeshow."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
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


# -- zero-weight rows ---------------------------------------------------------------------
# 16 PDs; the single 0.2 weighs nothing. Before the fix it formed an empty group of its
# own (n_bins=4) and the Hosmer-Lemeshow statistic came back NaN.
P_ZW = np.array([0.1] * 5 + [0.2] + [0.3] * 5 + [0.4] * 5)
Y_ZW = np.array([0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0])
W_ZW = np.array([1.0] * 5 + [0.0] + [1.0] * 10)


@pytest.mark.parametrize("n_bins", [3, 4, 5, 6])
def test_zero_weight_rows_never_form_a_group(n_bins):
    t = calibration_table(Y_ZW, P_ZW, n_bins=n_bins, sample_weight=W_ZW)
    assert (t["count"] > 0).all()
    assert np.isfinite(t[["expected_pd", "observed_rate"]].to_numpy()).all()
    hl = hosmer_lemeshow(Y_ZW, P_ZW, n_bins=n_bins, sample_weight=W_ZW)
    assert np.isfinite(hl.statistic)
    assert np.isfinite(hl.pvalue)
    assert hl.dof == len(hl.table) - 2 == 1
    # the same groups as without the weightless row; it joins the group below it
    kept = W_ZW > 0
    alone = hosmer_lemeshow(Y_ZW[kept], P_ZW[kept], n_bins=n_bins)
    assert hl.statistic == alone.statistic
    assert t["pd_min"].tolist()[0] == 0.1
    assert t["pd_max"].tolist()[0] == 0.2


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([0.05, 0.1, 0.2, 0.3, 0.5, 0.7]),
            st.booleans(),
            st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0]),
        ),
        min_size=1,
        max_size=60,
    ),
    n_bins=st.integers(1, 8),
)
def test_zero_weight_rows_change_no_group(rows, n_bins):
    p = np.array([r[0] for r in rows])
    y = np.array([int(r[1]) for r in rows])
    w = np.array([r[2] for r in rows])
    assume(w.sum() > 0)
    t = calibration_table(y, p, n_bins=n_bins, sample_weight=w)
    kept = w > 0
    alone = calibration_table(y[kept], p[kept], n_bins=n_bins, sample_weight=w[kept])
    assert (t["count"] > 0).all()
    cols = ["bin", "count", "expected_bad", "observed_bad"]
    np.testing.assert_array_equal(t[cols].to_numpy(), alone[cols].to_numpy())
    # every row is in a group: the groups' ranges cover every PD, weightless ones too
    assert t["pd_min"].min() == p.min()
    assert t["pd_max"].max() == p.max()
    assert (t["pd_min"].to_numpy()[1:] > t["pd_max"].to_numpy()[:-1]).all()


def test_hosmer_lemeshow_never_returns_nan(monkeypatch):
    import thinfile_credit.metrics.calibration as calibration

    table = calibration._grouped(Y_ZW.astype(float), P_ZW, None, 4)
    empty = table.copy()
    empty.loc[1, ["count", "expected_bad", "observed_bad"]] = 0.0
    monkeypatch.setattr(calibration, "_grouped", lambda *args: empty)
    with pytest.raises(DataError, match="no weight") as info:
        hosmer_lemeshow(Y_ZW, P_ZW, n_bins=4)
    assert info.value.rows == [2]
    overflow = table.copy()
    overflow.loc[1, ["count", "expected_bad"]] = [np.inf, np.inf]  # inf * (1 - nan)
    monkeypatch.setattr(calibration, "_grouped", lambda *args: overflow)
    with pytest.raises(DataError, match="variance"):
        hosmer_lemeshow(Y_ZW, P_ZW, n_bins=4)
