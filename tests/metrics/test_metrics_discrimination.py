"""AUC, Gini, KS and bootstrap intervals against scikit-learn, SciPy and hand examples."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.metrics import auc, bootstrap_ci, discrimination, gini, ks


@st.composite
def labelled_scores(draw: st.DrawFn, weighted: bool = False):
    n = draw(st.integers(2, 60))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    y[0], y[1] = 0, 1  # both classes present
    # Few distinct values force heavy ties.
    s = np.array(draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n)), dtype=float)
    s = s * draw(st.sampled_from([1.0, 0.1, 250.0]))
    w = None
    if weighted:
        w = np.array(draw(st.lists(st.floats(0.01, 10, allow_nan=False), min_size=n, max_size=n)))
    return y, s, w


@given(labelled_scores())
def test_auc_equals_sklearn_with_ties(data):
    y, s, _ = data
    assert auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert auc(y, s, higher_is_better=True) == pytest.approx(roc_auc_score(y, -s), abs=1e-12)


@given(labelled_scores(weighted=True))
def test_weighted_auc_equals_sklearn(data):
    y, s, w = data
    assert auc(y, s, sample_weight=w) == pytest.approx(
        roc_auc_score(y, s, sample_weight=w), abs=1e-10
    )


@given(labelled_scores())
def test_ks_equals_scipy_ks_2samp(data):
    y, s, _ = data
    expected = ks_2samp(s[y == 1], s[y == 0]).statistic
    result = ks(y, s)
    assert result.statistic == pytest.approx(expected, abs=1e-12)
    # The reported score attains the maximum gap.
    f_bad = np.mean(s[y == 1] <= result.score)
    f_good = np.mean(s[y == 0] <= result.score)
    assert abs(f_bad - f_good) == pytest.approx(result.statistic, abs=1e-12)
    assert result.cum_bad_share == pytest.approx(f_bad)


def _exact_ks_score(y, s, w=None):
    """Smallest t attaining max_t |F_bad(t) - F_good(t)|, in exact fractions."""
    w = np.ones(len(y), dtype=int) if w is None else w
    n_bad = sum(Fraction(int(wi)) for yi, wi in zip(y, w) if yi == 1)
    n_good = sum(Fraction(int(wi)) for yi, wi in zip(y, w) if yi == 0)
    gaps = {}
    for t in sorted(set(s)):
        below_bad = sum(Fraction(int(wi)) for yi, si, wi in zip(y, s, w) if yi == 1 and si <= t)
        below_good = sum(Fraction(int(wi)) for yi, si, wi in zip(y, s, w) if yi == 0 and si <= t)
        gaps[t] = abs(below_bad / n_bad - below_good / n_good)
    top = max(gaps.values())
    return min(t for t, g in gaps.items() if g == top), top


def test_ks_score_tied_maximum_is_the_smallest_cut_off():
    # Gaps 1/3 at 396 and at 735; in floats 2/3 - 1 = 0.33333333333333337 won.
    y = [1, 0, 1, 0, 1]
    s = [877.0, 735.0, 625.0, 466.0, 396.0]
    r = ks(y, s)
    assert r.score == 396.0
    assert (r.cum_bad_share, r.cum_good_share) == (pytest.approx(1 / 3), 0.0)
    assert r.statistic == pytest.approx(1 / 3, abs=1e-15)
    assert discrimination(y, s).ks_score == 396.0
    # Weights take the relative-tolerance path: unit weights give the same cut-off.
    assert ks(y, s, sample_weight=[1.0] * 5).score == 396.0


def test_ks_score_on_every_labelling_of_up_to_eight_distinct_scores():
    # 494 labellings; rounding picked a later tied maximum on 24 of them.
    for n in range(2, 9):
        for y in itertools.product([0, 1], repeat=n):
            if 0 < sum(y) < n:
                s = [float(i) for i in range(n)]
                assert ks(y, s).score == _exact_ks_score(y, s)[0], y


@given(labelled_scores())
def test_ks_score_is_the_exact_smallest_maximiser(data):
    y, s, _ = data
    score, top = _exact_ks_score(y, s)
    r = ks(y, s)
    assert r.score == score
    assert abs(r.cum_bad_share - r.cum_good_share) == pytest.approx(float(top), abs=1e-12)


@given(labelled_scores(), st.lists(st.integers(1, 4), min_size=60, max_size=60))
def test_weighted_ks_score_breaks_ties_like_repeated_rows(data, reps):
    y, s, _ = data
    w = np.array(reps[: y.size], dtype=float)
    assert ks(y, s, sample_weight=w).score == _exact_ks_score(y, s, w)[0]
    assert (
        ks(y, s, sample_weight=w).score
        == ks(np.repeat(y, reps[: y.size]), np.repeat(s, reps[: y.size])).score
    )


@given(labelled_scores(), st.lists(st.integers(1, 4), min_size=60, max_size=60))
def test_integer_weights_equal_repeated_rows(data, reps):
    y, s, _ = data
    w = np.array(reps[: y.size])
    yr, sr = np.repeat(y, w), np.repeat(s, w)
    assert ks(y, s, sample_weight=w).statistic == pytest.approx(ks(yr, sr).statistic, abs=1e-12)
    assert auc(y, s, sample_weight=w) == pytest.approx(auc(yr, sr), abs=1e-12)


@given(labelled_scores())
def test_gini_is_two_auc_minus_one(data):
    y, s, _ = data
    assert gini(y, s) == pytest.approx(2 * auc(y, s) - 1, abs=1e-15)


def test_hand_computed_examples():
    # 2 bads x 2 goods = 4 pairs; bad 0.35 beats good 0.1 only, bad 0.8 beats both.
    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    # A tie between a bad and a good counts one half.
    assert auc([0, 1], [0.5, 0.5]) == 0.5
    assert auc([0, 1, 0, 1], [0.2, 0.2, 0.1, 0.9]) == 0.875
    # Bad CDF: 1/3 at 1, 2/3 at 2, 1 at 3; good CDF 0, 0, 1/2, 1 -> max gap 2/3 at 2.
    r = ks([1, 1, 0, 0, 1], [1.0, 2.0, 3.0, 4.0, 3.0])
    assert r.statistic == pytest.approx(2 / 3)
    assert r.score == 2.0
    assert (r.cum_bad_share, r.cum_good_share) == (pytest.approx(2 / 3), 0.0)


def test_weighted_hand_example():
    # Weights 3 on the bad at 0.9 and 1 elsewhere: pairs (bad, good) weighted.
    y = [1, 1, 0, 0]
    s = [0.9, 0.2, 0.5, 0.1]
    w = [3, 1, 1, 1]
    # bad 0.9 (w3) beats both goods: 3*2 = 6; bad 0.2 (w1) beats good 0.1: 1. Total 8.
    assert auc(y, s, sample_weight=w) == pytest.approx(7 / 8)


def test_discrimination_matches_parts_and_points_direction():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 3000)
    points = 600 - 30 * y + rng.normal(0, 40, 3000).round()
    d = discrimination(y, points, higher_is_better=True)
    assert d.auc == pytest.approx(roc_auc_score(y, -points), abs=1e-12)
    assert d.auc > 0.5
    assert d.ks == pytest.approx(ks_2samp(points[y == 1], points[y == 0]).statistic)
    assert d.n == 3000
    assert d.n_bad == y.sum()
    assert d.bad_rate == pytest.approx(y.mean())


@pytest.mark.parametrize(
    "convert", [list, np.asarray, pd.Series, pl.Series], ids=["list", "numpy", "pandas", "polars"]
)
def test_accepts_array_likes(convert):
    assert auc(convert([0, 1, 0, 1]), convert([0.1, 0.7, 0.4, 0.3])) == 0.75
    assert auc(np.array([False, True]), [0.1, 0.2]) == 1.0


# -- bootstrap -------------------------------------------------------------------------


def test_bootstrap_is_seeded_and_brackets_estimate():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 800)
    s = y + rng.normal(size=800)
    a = bootstrap_ci(y, s, n_resamples=300, random_state=42)
    b = bootstrap_ci(y, s, n_resamples=300, random_state=42)
    assert a == b
    for name in ("auc", "gini", "ks"):
        ci = a[name]
        assert ci.lower <= ci.estimate <= ci.upper
        assert ci.n_resamples == 300
    assert a["auc"].estimate == pytest.approx(roc_auc_score(y, s))
    assert a["gini"].lower == pytest.approx(2 * a["auc"].lower - 1)


def test_bootstrap_replicate_equals_resampled_metric():
    # One replicate computed through count weights equals the metric on resampled rows.
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    s = np.round(y + rng.normal(size=200), 1)
    idx = rng.integers(0, 200, 200)
    counts = np.bincount(idx, minlength=200)
    assert auc(y, s, sample_weight=counts) == pytest.approx(auc(y[idx], s[idx]), abs=1e-12)


def test_bootstrap_standard_error_is_plausible():
    # The DeLong-free sanity check: SE of AUC shrinks roughly like 1/sqrt(n).
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 4000)
    s = y + rng.normal(size=4000)
    small = bootstrap_ci(y[:500], s[:500], metrics=["auc"], n_resamples=300, random_state=0)
    large = bootstrap_ci(y, s, metrics=["auc"], n_resamples=300, random_state=0)
    ratio = small["auc"].std_error / large["auc"].std_error
    assert 2.0 < ratio < 4.0  # sqrt(8) = 2.83


def test_bootstrap_unstratified_weighted_and_points():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300)
    points = 600 - 40 * y + rng.normal(0, 30, 300)
    out = bootstrap_ci(
        y,
        points,
        n_resamples=100,
        stratified=False,
        sample_weight=rng.random(300) + 0.5,
        higher_is_better=True,
        random_state=1,
    )
    assert out["auc"].estimate > 0.7
    assert out["auc"].lower < out["auc"].estimate < out["auc"].upper


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"metrics": ["roc"]}, "metrics"),
        ({"metrics": "auc"}, "metrics"),  # a bare name is not a list of names
        ({"metrics": 5}, "metrics"),
        ({"n_resamples": 0}, "n_resamples"),
        ({"n_resamples": True}, "n_resamples"),
        ({"confidence": 1.5}, "confidence"),
        ({"confidence": "x"}, "confidence"),
        ({"confidence": float("nan")}, "confidence"),
    ],
)
def test_bootstrap_bad_arguments(kwargs, match):
    with pytest.raises(SpecError, match=match):
        bootstrap_ci([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], **kwargs)


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "s", "w", "column", "match"),
    [
        ([], [], None, "score", "no rows"),
        ([0, 1, 1], [0.1, 0.2], None, "y_true", "3 rows"),
        ([0, 1], [0.1, np.nan], None, "score", "NaN or infinite"),
        ([0, 1], [0.1, np.inf], None, "score", "NaN or infinite"),
        ([1, 1, 1], [0.1, 0.2, 0.3], None, "y_true", "only one class"),
        ([0, 2], [0.1, 0.2], None, "y_true", "0/1"),
        ([0, 1], [0.1, 0.2], [1.0, -1.0], "sample_weight", "non-negative"),
        ([0, 1], [0.1, 0.2], [1.0], "sample_weight", "1 rows"),
        ([0, 1, 0], [0.1, 0.2, 0.3], [1.0, 0.0, 2.0], "y_true", "only one class"),
        ([0, 1], ["a", "b"], None, "score", "numeric"),
    ],
)
def test_bad_input_raises_named_errors(y, s, w, column, match):
    with pytest.raises(DataError, match=match) as info:
        auc(y, s, sample_weight=w)
    assert info.value.column == column
    assert str(info.value).startswith(column)


def test_nan_score_error_names_rows():
    with pytest.raises(DataError) as info:
        ks([0, 1, 0, 1], [0.1, np.nan, 0.3, np.nan])
    assert info.value.rows == [1, 3]


def test_nullable_pandas_dtypes_and_missing_values_are_named():
    y = pd.Series([0, 1, 0, 1], dtype="Int64")
    s = pd.Series([0.1, 0.7, 0.4, 0.3], dtype="Float64")
    assert auc(y, s) == 0.75
    with pytest.raises(DataError, match="missing") as info:
        auc(pd.Series([0, 1, None], dtype="Int64"), [0.1, 0.2, 0.3])
    assert info.value.rows == [2]
    with pytest.raises(DataError, match="NaN") as info:
        auc([0, 1, 0], pd.Series([0.1, None, 0.3], dtype="Float64"))
    assert info.value.rows == [1]
