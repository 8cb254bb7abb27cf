"""Calibrators and calibration quality on data with a known PD."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit
from sklearn.metrics import brier_score_loss

from thinfile_credit.errors import ModelError
from thinfile_credit.gbm import GBMScorer, IsotonicLogOdds, PlattLogOdds, rescale_contributions
from thinfile_credit.gbm.calibration import make_calibrator

from ._data import logistic_credit


@settings(max_examples=30)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 400))
def test_isotonic_is_strictly_increasing_and_finite(seed, n):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n) * rng.uniform(0.1, 5)
    y = (rng.random(n) < 1 / (1 + np.exp(-f))).astype(int)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    cal = IsotonicLogOdds().fit(f, y, rng.uniform(0.5, 2, n))
    grid = np.sort(np.concatenate([f, rng.normal(size=50) * 10]))
    grid = np.unique(grid)
    z = cal.log_odds(grid)
    assert np.all(np.isfinite(z))
    assert np.all(np.diff(z) > 0)
    assert np.all(cal.derivative(grid) > 0)


@settings(max_examples=30)
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["isotonic", "sigmoid", None]))
def test_rescaled_contributions_sum_exactly(seed, method):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=300)
    y = (rng.random(300) < 1 / (1 + np.exp(-2 * f))).astype(int)
    cal = make_calibrator(method).fit(f, y, np.ones(300))
    phi = rng.normal(size=(40, 5)) * 0.3
    phi[0] = 0.0  # f(x) == f0: the derivative branch
    phi[1] = [1e-12, -1e-12, 0, 0, 0]
    raw = np.column_stack([phi, np.full(40, 0.2)])
    values, base = rescale_contributions(raw, cal)
    np.testing.assert_allclose(base + values.sum(1), cal.log_odds(raw.sum(1)), atol=1e-12)
    assert np.all(np.sign(values) == np.sign(phi))


def test_platt_recovers_a_known_map():
    rng = np.random.default_rng(0)
    f = rng.normal(size=20_000)
    y = (rng.random(20_000) < 1 / (1 + np.exp(-(0.7 * f + 0.4)))).astype(int)
    cal = PlattLogOdds().fit(f, y, np.ones(20_000))
    assert cal.slope_ == pytest.approx(0.7, abs=0.05)
    assert cal.intercept_ == pytest.approx(0.4, abs=0.05)


def test_platt_never_reverses_the_ranking():
    f = np.linspace(-1, 1, 100)
    y = (f < 0).astype(int)  # margin ranks exactly backwards
    cal = PlattLogOdds().fit(f, y, np.ones(100))
    assert cal.slope_ > 0


def test_unknown_calibration_name():
    with pytest.raises(ModelError, match="calibration"):
        make_calibrator("beta")


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_decile_bad_rates_within_bootstrap_interval(method):
    """Observed vs predicted bad rate by decile on held-out rows with a known PD."""
    X, y, _ = logistic_credit(12_000, seed=21)
    Xt, yt, _ = logistic_credit(8_000, seed=22)

    def scorer(**kw):
        return GBMScorer(
            "lightgbm",
            n_estimators=300,
            learning_rate=0.05,
            random_state=0,
            categorical_features=["city"],
            **kw,
        )

    model = scorer(calibration=method).fit(X, y)
    # class weights shift the booster's own PD (calibration=None with them is refused)
    raw = scorer(class_weight="balanced", ensemble=False).fit(X, y)
    raw_pd = expit(raw.raw_margin(Xt))
    pd_hat = model.predict_proba(Xt)[:, 1]
    deciles = np.quantile(pd_hat, np.linspace(0, 1, 11)[1:-1])
    bucket = np.searchsorted(deciles, pd_hat, side="right")
    rng = np.random.default_rng(0)
    misses = 0
    for b in range(10):
        obs = yt[bucket == b]
        predicted = pd_hat[bucket == b].mean()
        boot = rng.choice(obs, size=(2000, obs.size)).mean(axis=1)
        lo, hi = np.quantile(boot, [0.005, 0.995])
        misses += not (lo <= predicted <= hi)
    assert misses <= 1, misses  # 10 intervals at 99%: one miss is plausible chance
    # Brier no worse than the uncalibrated booster: the paired difference per row is not
    # significantly positive (a log-loss booster is nearly calibrated already, so the
    # two differ only by the calibrator's estimation noise).
    uncal = scorer(calibration=None).fit(X, y)
    brier = brier_score_loss(yt, pd_hat)
    diff = (pd_hat - yt) ** 2 - (uncal.predict_proba(Xt)[:, 1] - yt) ** 2
    assert diff.mean() <= 2 * diff.std(ddof=1) / np.sqrt(diff.size), diff.mean()
    # ...and repairs a deliberately biased one (class weights shift the raw PD).
    assert brier < brier_score_loss(yt, raw_pd)


# --- zero sample weights --------------------------------------------------------------
weights_with_zeros = st.lists(
    st.one_of(st.just(0.0), st.floats(0.1, 5.0)), min_size=40, max_size=300
).filter(lambda w: sum(v > 0 for v in w) >= 10)


@settings(max_examples=40)
@given(w=weights_with_zeros, seed=st.integers(0, 10_000))
def test_rows_weighted_zero_change_no_calibrator(w, seed):
    """A row weighted 0 is out of the sample: the calibrator is that of the other rows."""
    w = np.asarray(w)
    rng = np.random.default_rng(seed)
    f = rng.normal(size=w.size) * 2 - 2
    y = (rng.random(w.size) < 1 / (1 + np.exp(-f))).astype(int)
    kept = w > 0
    y[np.flatnonzero(kept)[:2]] = [0, 1]  # both classes among the weighted rows
    iso = IsotonicLogOdds().fit(f, y, w)
    ref = IsotonicLogOdds().fit(f[kept], y[kept], w[kept])
    np.testing.assert_array_equal(iso.knots_margin_, ref.knots_margin_)
    np.testing.assert_array_equal(iso.knots_log_odds_, ref.knots_log_odds_)
    assert iso.tail_slope_ == pytest.approx(ref.tail_slope_, rel=1e-6, abs=1e-9)
    platt = PlattLogOdds().fit(f, y, w)
    platt_ref = PlattLogOdds().fit(f[kept], y[kept], w[kept])
    assert platt.slope_ == pytest.approx(platt_ref.slope_, rel=1e-6, abs=1e-9)
    assert platt.intercept_ == pytest.approx(platt_ref.intercept_, rel=1e-6, abs=1e-9)


def test_isotonic_with_zero_weights_matches_the_weighted_bad_rate():
    rng = np.random.default_rng(1)
    f = rng.normal(size=2000) - 3.0
    y = (rng.random(2000) < 1 / (1 + np.exp(-f))).astype(int)
    w = np.where(rng.random(2000) < 0.2, 0.0, 1.0)  # indeterminates weighted out
    cal = IsotonicLogOdds().fit(f, y, w)
    pd_hat = 1 / (1 + np.exp(-cal.log_odds(f)))
    assert np.average(pd_hat, weights=w) == pytest.approx(np.average(y, weights=w), abs=0.005)


def test_calibrator_refuses_all_zero_weights():
    from thinfile_credit.errors import DataError

    with pytest.raises(DataError, match="all zero"):
        IsotonicLogOdds().fit(np.arange(4.0), np.array([0, 1, 0, 1]), np.zeros(4))


@pytest.mark.parametrize("calibration", ["isotonic", "sigmoid"])
def test_scorer_pd_matches_bad_rate_with_zero_weights(calibration):
    X, y, _ = logistic_credit(4000, seed=1)
    X = X.drop(columns="city")
    w = np.where(np.random.default_rng(0).random(len(y)) < 0.2, 0.0, 1.0)
    model = GBMScorer(
        "lightgbm",
        n_estimators=150,
        learning_rate=0.1,
        cv=3,
        random_state=0,
        calibration=calibration,
    ).fit(X, y, sample_weight=w)
    pd_hat = model.predict_proba(X)[:, 1]
    assert np.average(pd_hat, weights=w) == pytest.approx(np.average(y, weights=w), abs=0.01)


# --- additivity next to a knot ---------------------------------------------------------
@settings(max_examples=60)
@given(
    slopes=st.lists(st.floats(0.01, 500.0), min_size=2, max_size=6),
    gaps=st.lists(st.floats(1e-4, 2.0), min_size=6, max_size=6),
    knot=st.integers(0, 5),
    delta=st.one_of(
        # Normal floats only: a subnormal phi (5e-324) times a slope < 1 underflows to 0.
        st.floats(-1e-9, 1e-9, allow_subnormal=False),
        st.floats(-1e-6, 1e-6, allow_subnormal=False),
        st.sampled_from([0.0, -5e-10, 5e-10]),
    ),
)
def test_contributions_add_up_next_to_a_knot(slopes, gaps, knot, delta):
    """f0 on a knot between segments of very different slopes, f(x) a hair away."""
    cal = IsotonicLogOdds()
    xk = np.cumsum([0.0, *gaps[: len(slopes)]])
    cal.knots_margin_ = xk
    cal.knots_log_odds_ = np.cumsum([-3.0, *(np.asarray(slopes) * np.diff(xk))])
    cal.tail_slope_ = 0.7
    f0 = xk[min(knot, xk.size - 1)]
    phi = np.array([[delta + 0.25, -0.25, 0.0], [delta, 0.0, 0.0], [0.0, 0.0, 0.0]])
    raw = np.column_stack([phi, np.full(3, f0)])
    values, base = rescale_contributions(raw, cal)
    total = base + values.sum(axis=1)
    # 1e-9 log-odds is 3e-8 points on the default scale: far inside the 1e-6 promise.
    np.testing.assert_allclose(total, cal.log_odds(raw.sum(axis=1)), rtol=0, atol=1e-9)
    nonzero = phi != 0
    assert np.all(np.sign(values[nonzero]) == np.sign(phi[nonzero]))


@settings(max_examples=60)
@given(
    slopes=st.lists(st.floats(0.01, 500.0), min_size=2, max_size=6),
    gaps=st.lists(st.floats(1e-3, 2.0), min_size=6, max_size=6),
    segment=st.integers(0, 5),
    where=st.floats(0.1, 0.9),
    delta=st.one_of(st.floats(1e-15, 1e-9), st.floats(-1e-9, -1e-15)),
)
def test_contribution_scale_is_the_segment_slope_for_tiny_sums(slopes, gaps, segment, where, delta):
    """Inside a segment the rescaling factor is that segment's slope, not rounding noise."""
    cal = IsotonicLogOdds()
    xk = np.cumsum([0.0, *gaps[: len(slopes)]])
    cal.knots_margin_ = xk
    cal.knots_log_odds_ = np.cumsum([-3.0, *(np.asarray(slopes) * np.diff(xk))])
    cal.tail_slope_ = 0.7
    i = min(segment, len(slopes) - 1)
    f0 = xk[i] + where * (xk[i + 1] - xk[i])
    raw = np.array([[2 * delta, -delta, f0]])
    values, _ = rescale_contributions(raw, cal)
    np.testing.assert_allclose(values[0] / raw[0, :2], slopes[i], rtol=1e-9)


def test_contribution_scale_across_one_knot_weights_the_two_slopes():
    cal = IsotonicLogOdds()
    cal.knots_margin_, cal.knots_log_odds_ = np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 101.0])
    cal.tail_slope_ = 1.0
    # From 1 - 1e-12 to 1 + 3e-12: a quarter of the way at slope 1, the rest at slope 100.
    r = cal.secant(np.array([1 - 1e-12]), np.array([4e-12]))
    np.testing.assert_allclose(r, [0.25 * 1 + 0.75 * 100], rtol=1e-3)
