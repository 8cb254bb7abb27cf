"""Calibrators and calibration quality on data with a known PD."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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
    raw = scorer(calibration=None, class_weight="balanced").fit(X, y)
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
    assert brier < brier_score_loss(yt, raw.predict_proba(Xt)[:, 1])
