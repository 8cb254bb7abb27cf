"""Monotone constraints: parsing, the sign convention, inference and its report."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from thinfile_credit.errors import ModelError
from thinfile_credit.gbm import GBMScorer, MonotoneConflictWarning, parse_direction
from thinfile_credit.gbm.monotone import resolve_monotone

from ._data import logistic_credit


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        (-1, -1),
        (0, 0),
        (1.0, 1),
        ("increasing", 1),
        ("Decreasing", -1),
        ("none", 0),
        ("riskier", 1),
        ("safer", -1),
    ],
)
def test_parse_direction(value, expected):
    assert parse_direction(value, "f") == expected


@pytest.mark.parametrize("value", [2, -2, 0.5, "up", True, None, "inc"])
def test_invalid_direction_names_the_feature(value):
    with pytest.raises(ModelError, match="bill_max_days_late_365d"):
        parse_direction(value, "bill_max_days_late_365d")


def _design(n=4000, seed=0):
    X, y, _ = logistic_credit(n, seed=seed)
    num = X[["bill_max_days_late_365d", "ten_account_age_days", "noise"]].to_numpy()
    return num, y


def test_auto_infers_the_true_directions_and_reports():
    X, y = _design()
    names = ["bill_max_days_late_365d", "ten_account_age_days", "noise"]
    cons, report = resolve_monotone("auto", names, set(), X, y, np.ones(len(y)))
    assert cons == [1, -1, 0]
    assert [r.source for r in report] == ["auto", "auto", "not significant"]
    assert report[0].rho > 0
    assert report[0].p_value < 1e-10
    assert report[0].trend > 0.8


def test_auto_leaves_u_shaped_features_free():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, 20_000)
    z = 0.8 * x**2 - 2 + 0.15 * x  # significant overall slope, but U-shaped risk
    y = (rng.random(x.size) < 1 / (1 + np.exp(-z))).astype(int)
    cons, report = resolve_monotone("auto", ["u"], set(), x[:, None], y, np.ones(x.size))
    assert report[0].p_value < 0.01
    assert cons == [0]
    assert report[0].source == "no consistent trend"


def test_explicit_conflict_warns_about_the_sign_convention():
    X, y = _design()
    names = ["bill_max_days_late_365d", "ten_account_age_days", "noise"]
    # "Higher score is better" thinking: days late marked -1 - the wrong convention.
    with pytest.warns(MonotoneConflictWarning, match="sign convention"):
        _, report = resolve_monotone(
            {"bill_max_days_late_365d": -1}, names, set(), X, y, np.ones(len(y))
        )
    assert report[0].conflict
    assert report[0].source == "explicit"


def test_constraint_on_missing_column_names_it():
    X, y, _ = logistic_credit(500)
    model = GBMScorer(
        "sklearn", monotone={"bill_max_days_late_90d": 1}, categorical_features=["city"]
    )
    with pytest.raises(ModelError, match="bill_max_days_late_90d"):
        model.fit(X, y)


def test_constraint_with_invalid_value_names_the_column():
    X, y, _ = logistic_credit(500)
    model = GBMScorer(
        "sklearn", monotone={"ten_account_age_days": 2}, categorical_features=["city"]
    )
    with pytest.raises(ModelError, match="ten_account_age_days"):
        model.fit(X, y)


def test_constraint_on_categorical_column_is_refused():
    X, y, _ = logistic_credit(500)
    model = GBMScorer("lightgbm", monotone={"city": 1}, categorical_features=["city"])
    with pytest.raises(ModelError, match="city"):
        model.fit(X, y)


def test_sequence_of_wrong_length():
    X, y, _ = logistic_credit(500)
    model = GBMScorer("sklearn", monotone=[1, 0], categorical_features=["city"])
    with pytest.raises(ModelError, match="2 directions for 4 features"):
        model.fit(X, y)


def test_auto_on_the_scorer_sets_constraints_used_by_the_engine():
    X, y, _ = logistic_credit(3000, seed=4)
    model = GBMScorer(
        "lightgbm",
        n_estimators=60,
        monotone="auto",
        cv=3,
        random_state=0,
        categorical_features=["city"],
    ).fit(X, y)
    assert model.monotone_constraints_ == {
        "bill_max_days_late_365d": 1,
        "ten_account_age_days": -1,
        "noise": 0,
        "city": 0,
    }
    for member in model.booster_.members:  # the all-rows booster and every fold booster
        assert list(member.model.params["monotone_constraints"]) == [1, -1, 0, 0]
    report = model.monotone_report_.set_index("feature")
    assert report.loc["city", "source"] == "categorical"


@settings(max_examples=60, deadline=None)
@given(
    x=st.lists(
        st.one_of(st.integers(-3, 3).map(float), st.floats(-1e3, 1e3)), min_size=3, max_size=80
    ),
    data=st.data(),
)
def test_rank_test_equals_scipy_spearman(x, data):
    """The monotone report's own Spearman test gives scipy's rho and p-value."""
    from scipy.stats import spearmanr

    from thinfile_credit.gbm.monotone import _spearman_binary

    x = np.asarray(x)
    y = np.asarray(data.draw(st.lists(st.integers(0, 1), min_size=x.size, max_size=x.size)))
    assume(0 < y.sum() < y.size and np.ptp(x) > 0)
    order = np.argsort(x)
    rho, p = _spearman_binary(x[order], order, y.astype(float))
    ref = spearmanr(x, y)
    assert rho == pytest.approx(ref.statistic, rel=1e-9, abs=1e-12)
    assert p == pytest.approx(ref.pvalue, rel=1e-7, abs=1e-12)


def _mass_point_data(n=20_000, seed=0):
    rng = np.random.default_rng(seed)
    # 95% of applicants never late; the late ones are riskier the later they are.
    late = np.where(rng.random(n) < 0.95, 0.0, rng.uniform(1, 60, n))
    flag = (rng.random(n) < 0.05).astype(float)  # a rare 0/1 indicator
    z = -3 + 0.05 * late + 1.5 * flag
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return np.column_stack([late, flag, -late]), y


def test_auto_constrains_a_mass_point_feature_and_a_rare_flag():
    X, y = _mass_point_data()
    names = ["bill_max_days_late_365d", "has_collection", "minus_days_late"]
    cons, report = resolve_monotone("auto", names, set(), X, y, np.ones(len(y)))
    assert cons == [1, 1, -1]
    assert [r.source for r in report] == ["auto", "auto", "auto"]
    # Two bins (the mass point and the rest): the trend is the sign of the step.
    assert [r.trend for r in report] == [1.0, 1.0, -1.0]


def test_auto_leaves_a_u_shape_around_a_mass_point_free():
    rng = np.random.default_rng(1)
    n = 20_000
    x = np.where(rng.random(n) < 0.9, 0.0, rng.choice([-1.0, 1.0], n) * rng.uniform(1, 5, n))
    z = -3 + 1.0 * np.abs(x) + 0.3 * x  # riskier away from 0 on both sides
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    cons, report = resolve_monotone("auto", ["u"], set(), x[:, None], y, np.ones(n))
    assert report[0].p_value < 0.01
    assert cons == [0]
    assert report[0].source == "no consistent trend"


def test_mass_point_gets_its_own_bin():
    from thinfile_credit.gbm.monotone import _bin_starts

    x = np.sort(np.r_[np.zeros(95), np.arange(1.0, 6.0)])
    assert _bin_starts(x, 10).tolist() == [0, 95]
    # Without a mass point the bins are the plain quantile bins.
    assert _bin_starts(np.arange(100.0), 10).tolist() == list(range(0, 100, 10))


def test_rows_weighted_zero_are_not_in_the_trend_test():
    X, y = _mass_point_data()
    w = np.ones(len(y))
    X_noise = np.vstack([X, np.full((len(y), 3), 50.0)])  # junk rows, weighted out
    y_noise = np.r_[y, np.zeros(len(y), dtype=int)]
    w_noise = np.r_[w, np.zeros(len(y))]
    names = ["late", "flag", "minus_late"]
    _, ref = resolve_monotone("auto", names, set(), X, y, w)
    _, got = resolve_monotone("auto", names, set(), X_noise, y_noise, w_noise)
    assert got == ref


def test_all_missing_feature_is_reported():
    X, y = _design(1000)
    X = X.copy()
    X[:, 2] = np.nan
    names = ["bill_max_days_late_365d", "ten_account_age_days", "empty"]
    cons, report = resolve_monotone("auto", names, set(), X, y, np.ones(len(y)))
    assert cons[2] == 0
    assert report[2].source == "all missing"
