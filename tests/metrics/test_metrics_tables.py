"""Lift / gains and score-band tables."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.metrics import ks, lift_table, score_band_table


def test_lift_table_hand_example():
    y = [1, 0, 1, 0, 0, 0]
    s = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1]
    t = lift_table(y, s, n_bins=2)
    assert t["bin"].tolist() == [1, 2]
    assert t["count"].tolist() == [3, 3]
    assert t["n_bad"].tolist() == [2, 0]
    assert t["bad_rate"].tolist() == pytest.approx([2 / 3, 0])
    assert t["lift"].tolist() == pytest.approx([2.0, 0.0])
    assert t["cum_bad_share"].tolist() == [1.0, 1.0]
    assert t["cum_good_share"].tolist() == pytest.approx([0.25, 1.0])
    assert (t["score_min"].tolist(), t["score_max"].tolist()) == ([0.7, 0.1], [0.9, 0.3])


def test_lift_points_direction_puts_lowest_points_first():
    t = lift_table([1, 0, 0, 0], [500, 600, 700, 800], n_bins=4, higher_is_better=True)
    assert t["score_max"].tolist() == [500, 600, 700, 800]
    assert t["n_bad"].tolist() == [1, 0, 0, 0]


def test_lift_never_splits_ties():
    y = [1, 0, 1, 0, 1, 0, 0, 0]
    s = [5, 5, 5, 5, 5, 5, 1, 0]
    t = lift_table(y, s, n_bins=4)
    # The six tied scores form one group; the table has fewer than 4 groups.
    assert t["count"].iloc[0] == 6
    assert t["count"].sum() == 8


@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 20)), min_size=4, max_size=80),
    st.integers(1, 12),
)
def test_lift_table_invariants(rows, n_bins):
    y = np.array([r[0] for r in rows])
    s = np.array([r[1] for r in rows], dtype=float)
    y[0], y[1] = 0, 1
    t = lift_table(y, s, n_bins=n_bins)
    assert len(t) <= n_bins
    assert t["count"].sum() == len(y)
    assert t["n_bad"].sum() == y.sum()
    assert t["cum_bad_share"].iloc[-1] == pytest.approx(1.0)
    assert (np.diff(t["score_max"]) < 0).all()  # riskiest first, no overlap
    # The largest gap between cumulative shares at group boundaries never exceeds KS.
    assert t["ks"].abs().max() <= ks(y, s).statistic + 1e-12


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 12), st.sampled_from([0.0, 0.0, 1.0, 3.0])),
        min_size=2,
        max_size=60,
    ),
    st.integers(1, 8),
    st.booleans(),
)
def test_zero_weight_rows_never_form_a_group(rows, n_bins, higher_is_better):
    y = np.array([r[0] for r in rows])
    s = np.array([r[1] for r in rows], dtype=float)
    w = np.array([r[2] for r in rows])
    kept = w > 0
    assume(w[y == 1].sum() > 0 and w[y == 0].sum() > 0)
    t = lift_table(y, s, n_bins=n_bins, sample_weight=w, higher_is_better=higher_is_better)
    alone = lift_table(
        y[kept], s[kept], n_bins=n_bins, sample_weight=w[kept], higher_is_better=higher_is_better
    )
    assert (t["count"] > 0).all()
    assert np.isfinite(t["bad_rate"]).all()
    cols = ["bin", "count", "n_bad", "cum_bad_share", "ks"]
    np.testing.assert_array_equal(t[cols].to_numpy(), alone[cols].to_numpy())
    bands = score_band_table(s, y, bands=n_bins, sample_weight=w)
    assert (bands["count"] > 0).all()
    assert bands["count"].sum() == pytest.approx(w.sum())


def test_lift_zero_weight_score_joins_a_neighbour():
    y = [0, 1, 0, 0, 1, 1, 0, 1]
    s = [1, 1, 2, 3, 3, 4, 4, 4]
    w = [1, 1, 0, 1, 1, 1, 1, 1]  # score 2 weighs nothing
    t = lift_table(y, s, n_bins=3, sample_weight=w)
    assert t["count"].tolist() == [3.0, 2.0, 2.0]
    assert t["score_min"].tolist() == [4.0, 2.0, 1.0]  # riskiest first; 2 joins the 3s


def test_score_band_table_cutoffs():
    score = [520, 560, 610, 650, 700]
    y = [1, 1, 0, 1, 0]
    t = score_band_table(score, y, bands=[550, 600, 650], higher_is_better=True)
    assert t["band"].tolist() == ["[650, inf)", "[600, 650)", "[550, 600)", "[-inf, 550)"]
    assert t["count"].tolist() == [2, 1, 1, 1]
    assert t["cum_approval_rate"].tolist() == pytest.approx([0.4, 0.6, 0.8, 1.0])
    # Approving >= 600: rows 610, 650, 700 -> 1 bad of 3.
    assert t["cum_bad_rate"].tolist() == pytest.approx([0.5, 1 / 3, 0.5, 0.6])
    assert t["cum_bad_share"].tolist() == pytest.approx([1 / 3, 1 / 3, 2 / 3, 1.0])


def test_score_band_table_pd_direction_and_no_outcomes():
    t = score_band_table([0.01, 0.02, 0.2, 0.5], bands=[0.05, 0.3])
    assert t["band"].tolist() == ["[-inf, 0.05)", "[0.05, 0.3)", "[0.3, inf)"]
    assert t["cum_approval_rate"].tolist() == pytest.approx([0.5, 0.75, 1.0])
    assert "bad_rate" not in t.columns


def test_score_band_quantiles_and_weights():
    rng = np.random.default_rng(0)
    s = rng.normal(600, 50, 1000)
    y = (rng.random(1000) < 0.1).astype(int)
    w = rng.random(1000) + 0.5
    t = score_band_table(s, y, bands=5, sample_weight=w, higher_is_better=True)
    assert len(t) == 5
    assert t["count"].sum() == pytest.approx(w.sum())
    assert t["cum_approval_rate"].iloc[-1] == pytest.approx(1.0)
    assert t["cum_bad_rate"].iloc[-1] == pytest.approx((w * y).sum() / w.sum())


@pytest.mark.parametrize(
    "bands", [[600, 550], [np.nan], [], 0, "x", [550, "600"], [True], [[1, 2]], 2.5, None]
)
def test_score_band_bad_edges(bands):
    # Text edges are refused, not read as numbers; every refusal is a SpecError.
    with pytest.raises(SpecError, match="bands"):
        score_band_table([1.0, 2.0], bands=bands)


def test_tables_bad_input():
    with pytest.raises(SpecError, match="n_bins"):
        lift_table([0, 1], [0.1, 0.2], n_bins=0)
    with pytest.raises(DataError, match="only one class"):
        lift_table([0, 0], [0.1, 0.2])
    with pytest.raises(DataError) as info:
        score_band_table([1.0, np.nan])
    assert info.value.column == "score"
