"""WoEScorecard: scikit-learn conformance, the scorer protocol, signs, points, JSON, bad input."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from _scorecard_data import synthetic_applicants
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from thinfile_credit.binning import WoEBinner
from thinfile_credit.errors import ArtefactError, DataError, ModelError
from thinfile_credit.protocol import Contributions, Scorer
from thinfile_credit.scale import ScoreScale
from thinfile_credit.scorecard import ScorecardWarning, WoEScorecard

NOT_ZERO_ONE = "target other than 0/1; the scorecard needs a 0/1 target (1 = bad) by design"


def _expected_failures(estimator: object) -> dict[str, str]:
    return {
        "check_estimators_dtypes": NOT_ZERO_ONE,
        "check_classifier_data_not_an_array": NOT_ZERO_ONE,
        "check_classifiers_classes": NOT_ZERO_ONE + " (string class labels)",
    }


@parametrize_with_checks([WoEScorecard()], expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    return synthetic_applicants(6000, seed=1)


@pytest.fixture(scope="module")
def card(data) -> WoEScorecard:
    X, y = data
    # min_iv=0: the device type (IV ~0.017) must stay in, so that every test using this
    # card covers a categorical feature too
    fitted = WoEScorecard(
        binner=WoEBinner(feature_params={"loan_max_dpd_ever": {"special_codes": [-1]}}),
        min_iv=0.0,
    ).fit(X, y)
    assert "ten_device_type" in fitted.features_
    assert fitted.binner_.binnings_["ten_device_type"].kind == "categorical"
    return fitted


@pytest.fixture(scope="module")
def plain_card(data) -> WoEScorecard:
    X, y = data
    return WoEScorecard().fit(X, y)


@pytest.fixture(scope="module")
def int_card(data) -> WoEScorecard:
    X, y = data
    return WoEScorecard(round_points=True).fit(X, y)


def test_implements_the_scorer_protocol(card, data) -> None:
    X, _ = data
    assert isinstance(card, Scorer)
    assert card.scale_ == ScoreScale()
    assert list(card.classes_) == [0, 1]
    assert card.n_features_in_ == X.shape[1]
    assert list(card.feature_names_in_) == list(X.columns)
    pd_bad = card.predict_proba(X)[:, 1]
    assert np.allclose(card.scale_.pd_from_points(card.score(X)), pd_bad)
    assert np.allclose(card.decision_function(X), np.log(pd_bad / (1 - pd_bad)))
    assert np.array_equal(card.predict(X), (pd_bad >= 0.5).astype(int))
    c = card.contributions(X)
    assert isinstance(c, Contributions)
    assert c.feature_names == card.features_
    assert np.max(np.abs(c.total() - card.score(X))) < 1e-9


def test_float_points_reproduce_the_logistic_regression(card, data) -> None:
    X, _ = data
    woe = card.binner_.transform(X)
    cols = [list(card.binner_.feature_names_in_).index(f) for f in card.features_]
    z = card.estimator_.decision_function(woe[:, cols])
    assert np.allclose(card.decision_function(X), z, atol=1e-9)


def test_every_coefficient_is_positive_under_the_woe_convention(card) -> None:
    assert np.all(card.coef_ > 0)


def _suppressor_data() -> tuple[pd.DataFrame, np.ndarray]:
    """x2 is riskier on its own (marginal slope +0.55) but protective given x1 (-0.8)."""
    rng = np.random.default_rng(0)
    x1 = rng.normal(size=8000)
    x2 = 0.9 * x1 + np.sqrt(1 - 0.81) * rng.normal(size=8000)
    z = -2.0 + 1.5 * x1 - 0.8 * x2
    y = (rng.random(8000) < 1 / (1 + np.exp(-z))).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "noise": rng.normal(size=8000)}), y


def test_wrong_sign_features_are_dropped_reported_warned_or_raised() -> None:
    X, y = _suppressor_data()
    kwargs = {"max_corr": None, "min_iv": 0.0}
    dropped = WoEScorecard(**kwargs).fit(X, y)
    with pytest.warns(ScorecardWarning, match="wrong-sign coefficients kept: x2"):
        warned = WoEScorecard(on_wrong_sign="warn", **kwargs).fit(X, y)
    assert warned.sign_report_[0]["feature"] == "x2"
    assert warned.sign_report_[0]["action"] == "kept"
    assert "x2" in warned.features_
    assert np.any(warned.coef_ <= 0)
    assert np.all(dropped.coef_ > 0)
    offenders = {r["feature"] for r in dropped.sign_report_}
    assert offenders
    assert offenders.isdisjoint(dropped.features_)
    stages = dropped.selection_.to_frame().set_index("feature")["stage"]
    assert all(stages[f] == "sign" for f in offenders)
    with pytest.raises(ModelError, match="wrong sign"):
        WoEScorecard(on_wrong_sign="raise", **kwargs).fit(X, y)


def test_integer_points_give_integer_scores_and_keep_bin_order(plain_card, int_card, data) -> None:
    card = plain_card
    X, _ = data
    s = int_card.score(X)
    assert np.array_equal(s, np.round(s))
    for name in int_card.features_:
        raw = card.points_.get(name)
        if raw is None:
            continue
        rounded = int_card.points_[name]
        order = np.argsort(raw, kind="stable")
        assert np.all(np.diff(rounded[order]) >= 0)
    assert np.corrcoef(s, card.score(X))[0, 1] > 0.99


def test_table_is_the_printable_scorecard(int_card, data) -> None:
    X, _ = data
    table = int_card.table()
    assert table.iloc[0]["feature"] == "(baseline)"
    assert set(table["feature"]) == {"(baseline)", *int_card.features_}
    row = X.iloc[[0]]
    bins = int_card.binner_.transform_bins(row)[0]
    names = list(int_card.binner_.feature_names_in_)
    total = table.iloc[0]["points"]
    for f in int_card.features_:
        b = bins[names.index(f)]
        total += table[(table["feature"] == f) & (table["bin"] == b)]["points"].item()
    assert total == int_card.score(row)[0]


def test_points_below_max_is_the_gap_to_each_best_bin(card, data) -> None:
    X, _ = data
    gap = card.points_below_max(X)
    assert gap.shape == (len(X), len(card.features_))
    assert np.all(gap >= -1e-12)
    values = card.contributions(X).values
    best = np.array([card.points_[f].max() for f in card.features_])
    assert np.allclose(values + gap, best)


def test_single_applicant_path_matches_batch(card, data) -> None:
    X, _ = data
    rows = X.head(200).to_dict("records")
    batch = card.score(X.head(200))
    one = np.array([card.score_one(r) for r in rows])
    assert np.array_equal(one, batch)
    # odd values in the categorical feature: bools, ints, NaN, None, numpy scalars
    odd = [True, False, np.bool_(True), 3, np.int64(3), 2.0, np.float32(0.1), np.nan, None]
    mixed = X.head(len(odd)).copy()
    mixed["ten_device_type"] = pd.Series(odd, dtype=object, index=mixed.index)
    records = mixed.to_dict("records")
    assert [r["ten_device_type"] for r in records][:3] == [True, False, np.bool_(True)]
    expected = card.score(mixed)
    assert np.array_equal([card.score_one(r) for r in records], expected)
    for value, score in zip(odd, expected):
        one_row = mixed.head(1).copy()
        one_row["ten_device_type"] = [value]  # the column takes the value's own dtype
        assert card.score(one_row)[0] == card.score_one({**records[0], "ten_device_type": value})
        assert np.isfinite(score)
    parts = card.contributions_one(rows[0])
    assert list(parts) == list(card.features_)
    assert sum(parts.values()) + card.baseline_points_ == pytest.approx(batch[0], abs=1e-9)
    with pytest.raises(ModelError, match="applicant: applicant lacks model features"):
        card.score_one({"cons_order_count_90d": 3.0})


def test_missing_special_unknown_and_out_of_range_values(card, data) -> None:
    X, _ = data
    row = X.head(1).copy()
    base = card.score(row)[0]
    fb = card.binner_.binnings_["bill_ontime_share_180d"]
    points = card.points_.get("bill_ontime_share_180d")
    assert points is not None
    row.loc[:, "bill_ontime_share_180d"] = np.nan
    c = card.contributions(row).to_frame()
    assert c["bill_ontime_share_180d"].item() == points[fb.missing_bin]
    assert fb.fallback[fb.missing_bin] == ""  # fitted WoE, not a fallback
    assert points[fb.missing_bin] != 0.0
    row2 = X.head(1).copy()
    row2.loc[:, "ten_device_type"] = "smart_fridge"
    assert "ten_device_type" in card.features_
    dev = card.binner_.binnings_["ten_device_type"]
    unknown = card.points_["ten_device_type"][dev.unknown_bin]
    assert card.contributions(row2).to_frame()["ten_device_type"].item() == unknown
    assert card.contributions_one(row2.iloc[0].to_dict())["ten_device_type"] == unknown
    row3 = X.head(1).copy()
    row3.loc[:, "ten_account_age_days"] = 1e12
    assert np.isfinite(card.score(row3)[0])
    assert np.isfinite(base)


def test_inputs_of_every_kind_score_the_same(card, data) -> None:
    X, _ = data
    expected = card.score(X)
    assert np.array_equal(card.score(pl.from_pandas(X)), expected)
    assert np.array_equal(card.score(pa.Table.from_pandas(X)), expected)
    assert np.array_equal(card.score(X[list(X.columns)[::-1]]), expected)


def test_numpy_scoring_needs_the_fitted_width() -> None:
    X, y = synthetic_applicants(3000, seed=3)
    numeric = X.drop(columns="ten_device_type").to_numpy()
    card = WoEScorecard().fit(numeric, y)
    assert np.array_equal(card.score(numeric), card.score(numeric.copy()))
    with pytest.raises(ModelError, match="X has 4 features, but WoEScorecard is expecting 5"):
        card.score(numeric[:, :4])
    # fitted without names, a frame of the fitted width is matched by position (with
    # scikit-learn's warning), as WoEBinner.transform does
    frame = X.drop(columns="ten_device_type")
    with pytest.warns(UserWarning, match="X has feature names, but WoEScorecard was fitted"):
        assert np.array_equal(card.score(frame), card.score(numeric))
    with pytest.warns(UserWarning, match="X has feature names"):
        assert np.array_equal(card.points_below_max(frame), card.points_below_max(numeric))
    with (
        pytest.warns(UserWarning, match="X has feature names"),
        pytest.raises(ModelError, match="X has 3 features, but WoEScorecard is expecting 5"),
    ):
        card.score(frame.iloc[:, :3])


def test_missing_columns_are_named(card, data) -> None:
    X, _ = data
    used = card.features_[0]
    with pytest.raises(ModelError, match=f"X: feature columns seen at fit are missing: {used}"):
        card.score(X.drop(columns=used))


def test_infinite_values_raise_data_error_naming_the_column(card, data) -> None:
    X, _ = data
    bad = X.head(5).copy()
    bad.loc[3, card.features_[0]] = np.inf
    with pytest.raises(DataError, match=f"{card.features_[0]}: infinite values.*rows: 3"):
        card.score(bad)


def test_bad_targets_raise_typed_errors(data) -> None:
    X, y = data
    with pytest.raises(ModelError, match="one class"):
        WoEScorecard().fit(X, np.ones(len(X)))
    with pytest.raises(DataError, match="y: target must be 0/1"):
        WoEScorecard().fit(X, y * 2)


def test_no_surviving_feature_warns_and_scores_the_average() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"noise": rng.normal(size=2000)})
    y = (rng.random(2000) < 0.1).astype(int)
    with pytest.warns(ScorecardWarning, match="no feature passed selection"):
        card = WoEScorecard(min_iv=0.5).fit(X, y)
    assert card.features_ == ()
    assert np.ptp(card.score(X)) == 0
    assert card.predict_proba(X)[0, 1] == pytest.approx(y.mean())


def test_json_round_trip_gives_identical_scores(card, int_card, data) -> None:
    X, _ = data
    for fitted in (card, int_card):
        text = fitted.to_json()
        payload = json.loads(text)
        assert payload["format"] == "thinfile-scorecard"
        assert payload["version"] == 2
        again = WoEScorecard.from_json(text)
        assert np.array_equal(again.score(X), fitted.score(X))
        assert again.to_json() == text  # byte-identical artefact
        assert again.table().equals(fitted.table())


def test_json_rejects_foreign_or_future_artefacts(card) -> None:
    payload = json.loads(card.to_json())
    with pytest.raises(ArtefactError, match="version 3"):
        WoEScorecard.from_json(json.dumps({**payload, "version": 3}))
    with pytest.raises(ArtefactError, match="not a 'thinfile-scorecard' artefact"):
        WoEScorecard.from_json(json.dumps({"format": "pickle"}))
    with pytest.raises(ArtefactError, match="not valid JSON"):
        WoEScorecard.from_json("{")
    broken = {**payload, "model": [{"feature": "x"}]}
    with pytest.raises(ArtefactError, match="malformed"):
        WoEScorecard.from_json(json.dumps(broken))


def test_custom_scale_is_used(data) -> None:
    X, y = data
    scale = ScoreScale(base_score=300, base_odds=20, pdo=40, higher_is_better=False)
    card = WoEScorecard(scale=scale).fit(X, y)
    assert card.scale_ is scale
    default = WoEScorecard().fit(X, y)
    assert np.corrcoef(card.score(X), default.score(X))[0, 1] < -0.999


def test_works_in_pipeline_and_grid_search(data) -> None:
    X, y = data
    pipe = Pipeline([("identity", FunctionTransformer()), ("card", WoEScorecard())])
    pipe.fit(X, y)
    assert pipe.predict_proba(X).shape == (len(X), 2)
    grid = GridSearchCV(
        WoEScorecard(),
        {"min_iv": [0.02, 0.1], "binner__max_n_bins": [3, None]},
        scoring="roc_auc",
        cv=2,
    )
    grid.set_params(estimator__binner=WoEBinner())
    grid.fit(X, y)
    assert grid.best_score_ > 0.6


@settings(max_examples=15)
@given(st.integers(0, 10_000), st.integers(1, 50))
def test_contributions_sum_to_score_for_every_row(card, data, seed, n) -> None:
    X, _ = data
    rows = X.sample(n, random_state=seed, replace=True).reset_index(drop=True)
    rng = np.random.default_rng(seed)
    # sprinkle missing values and out-of-range numbers
    rows.loc[rng.random(n) < 0.2, "bill_ontime_share_180d"] = np.nan
    rows.loc[rng.random(n) < 0.2, "cons_gmv_sum_365d"] = 1e9
    c = card.contributions(rows)
    assert np.max(np.abs(c.baseline + c.values.sum(axis=1) - card.score(rows))) <= 1e-9


@settings(max_examples=15)
@given(
    st.sampled_from(["cons_order_count_90d", "ten_account_age_days", "cons_gmv_sum_365d"]),
    st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=30),
)
def test_score_is_monotone_in_a_feature_with_monotone_bins(card, data, feature, values) -> None:
    if feature not in card.features_:
        return
    X, _ = data
    fb = card.binner_.binnings_[feature]
    points = card.points_[feature][: fb.n_regular]
    diffs = np.diff(points)
    assert np.all(diffs >= 0) or np.all(diffs <= 0)  # auto_asc_desc bins are monotone
    grid = np.sort(np.asarray(values))
    rows = pd.concat([X.head(1)] * len(grid), ignore_index=True)
    rows[feature] = grid
    scores = card.score(rows)
    steps = np.diff(scores)
    assert np.all(steps >= 0) or np.all(steps <= 0)


def _bills_and_orders(n: int = 4000) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "bill_overdue_count_now": rng.poisson(1.0, n).astype(float),
            "cons_order_count_90d": rng.poisson(6, n).astype(float),
        }
    )
    z = -2.5 + 0.7 * X["bill_overdue_count_now"] - 0.15 * (X["cons_order_count_90d"] - 6)
    return X, (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)


@pytest.mark.parametrize("higher_is_better", [True, False])
def test_points_below_max_is_the_distance_from_the_safest_bin_on_either_scale(
    higher_is_better: bool,
) -> None:
    from thinfile_credit.reasons import ReasonCoder

    X, y = _bills_and_orders()
    card = WoEScorecard(scale=ScoreScale(higher_is_better=higher_is_better)).fit(X, y)
    assert card.features_ == ("bill_overdue_count_now", "cons_order_count_90d")
    risky = pd.DataFrame({"bill_overdue_count_now": [9.0], "cons_order_count_90d": [0.0]})
    safe = pd.DataFrame({"bill_overdue_count_now": [0.0], "cons_order_count_90d": [30.0]})
    gap = card.points_below_max(pd.concat([X, risky, safe], ignore_index=True))
    assert np.all(gap >= 0)
    assert np.array_equal(card.points_below_max(safe), np.zeros((1, 2)))
    assert np.all(card.points_below_max(risky) > 10)
    # the gap is measured in the safe direction: towards more points when higher is
    # better, towards fewer when lower is better
    values = card.contributions(X).values
    if higher_is_better:
        best = np.array([card.points_[f].max() for f in card.features_])
        assert np.allclose(values + card.points_below_max(X), best)
    else:
        best = np.array([card.points_[f].min() for f in card.features_])
        assert np.allclose(values - card.points_below_max(X), best)
    # end to end: the riskiest applicant gets adverse reasons, the safest none
    coder = ReasonCoder(language="en").fit(card, X)
    risky_reasons = coder.explain(risky)
    assert len(risky_reasons) == 2
    assert np.allclose(sorted(risky_reasons["points_lost"]), sorted(gap[-2]))
    assert len(coder.explain(safe)) == 0


def test_text_in_a_numeric_feature_raises_in_both_scoring_paths(card, data) -> None:
    X, _ = data
    feature = "cons_order_count_90d"
    assert feature in card.features_
    rows = X.head(4).astype({feature: object})
    rows.loc[1, feature] = "12"
    rows.loc[2, feature] = "nan"
    with pytest.raises(DataError, match=rf"X\.{feature}: numeric feature .*'12' \(rows: 1, 2\)"):
        card.score(rows)
    with pytest.raises(DataError, match=rf"X\.{feature}: .*\(rows: 1, 2\)"):
        card.contributions(rows)
    record = X.iloc[0].to_dict()
    for text in ("12", "nan", np.str_("3"), b"3"):
        with pytest.raises(DataError, match=rf"applicant\.{feature}: numeric feature"):
            card.score_one({**record, feature: text})
    # missing markers of every kind are Missing in both paths
    for missing in (None, np.nan, pd.NA, np.float32("nan")):
        one = {**record, feature: missing}
        frame = pd.DataFrame({k: pd.Series([v], dtype=object) for k, v in one.items()})
        frame = frame.astype({k: float for k in one if k != "ten_device_type" and k != feature})
        assert card.score_one(one) == card.score(frame)[0]


@pytest.fixture(scope="module")
def mixed_card() -> WoEScorecard:
    """Numeric, bool-coded, number-coded and text categorical features."""
    rng = np.random.default_rng(5)
    n = 4000
    x = rng.normal(size=n)
    flag = rng.random(n) < 0.4
    region = rng.choice([1.0, 2.0, 3.0], n)
    device = rng.choice(["ios", "android", "3"], n)
    z = -2 + x + 1.2 * flag + 0.8 * (region == 3.0) + 0.8 * (device == "android")
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    X = pd.DataFrame({"x": x, "flag": flag, "region": region, "device": device})
    binner = WoEBinner(categorical_features=["flag", "region"])
    fitted = WoEScorecard(binner=binner, min_iv=0.0).fit(X, y)
    assert fitted.features_ == ("x", "flag", "region", "device")
    return fitted


_ANY_NUMBER = st.one_of(
    st.booleans(),
    st.booleans().map(np.bool_),
    st.integers(-3, 4),
    st.integers(-3, 4).map(np.int64),
    st.floats(-4, 4, allow_nan=False).map(lambda v: round(v, 1)),
    st.integers(-3, 4).map(float),
    st.floats(-4, 4, width=32).map(np.float32),
    st.sampled_from([None, np.nan, pd.NA]),
)
_ANY_CATEGORY = st.one_of(
    _ANY_NUMBER,
    st.sampled_from(["ios", "android", "3", "3.0", "1", "True", "nan", "fridge", np.inf]),
)


@settings(max_examples=60)
@given(x=_ANY_NUMBER, flag=_ANY_CATEGORY, region=_ANY_CATEGORY, device=_ANY_CATEGORY)
def test_score_one_equals_batch_for_values_of_every_type(mixed_card, x, flag, region, device):
    card = mixed_card
    record = {"x": x, "flag": flag, "region": region, "device": device}
    one = card.score_one(record)
    assert one == card.score(pd.DataFrame([record]))[0]  # columns of the values' own dtypes
    as_objects = pd.DataFrame({k: pd.Series([v], dtype=object) for k, v in record.items()})
    assert one == card.score(as_objects)[0]
    parts = card.contributions_one(record)
    assert list(parts.values()) == card.contributions(as_objects).values[0].tolist()


_ID = 110101199001011234  # an 18-digit id: beyond 2**53, float64 would merge neighbours


@pytest.fixture(scope="module")
def id_card() -> WoEScorecard:
    """A categorical feature of integer ids that float64 cannot tell apart."""
    rng = np.random.default_rng(8)
    n = 4000
    ids = _ID + rng.integers(0, 4, n)
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2 + x + 1.5 * (ids == _ID + 1))))).astype(int)
    binner = WoEBinner(categorical_features=["id"])
    fitted = WoEScorecard(binner=binner, min_iv=0.0).fit(pd.DataFrame({"x": x, "id": ids}), y)
    assert fitted.features_ == ("x", "id")
    fb = fitted.binner_.binnings_["id"]
    assert {c for g in fb.groups for c in g} == {str(_ID + k) for k in range(4)}
    return fitted


@settings(max_examples=40)
@given(
    st.lists(st.integers(-2, 6), min_size=1, max_size=12),
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=3),
)
def test_integer_ids_beyond_2_53_score_alike_in_batch_and_one_by_one(id_card, near, far):
    card = id_card
    ids = [_ID + k for k in near] + far
    x = np.linspace(-1, 1, len(ids))
    one = [card.score_one({"x": float(v), "id": i}) for v, i in zip(x, ids)]
    assert one == [card.score_one({"x": v, "id": np.int64(i)}) for v, i in zip(x, ids)]
    frames = [
        pd.DataFrame({"x": x, "id": np.asarray(ids, dtype=np.int64)}),
        pd.DataFrame({"x": x, "id": pd.array(ids, dtype="Int64")}),
        pd.DataFrame({"x": x, "id": pd.Series(ids, dtype=object)}),
        pl.DataFrame({"x": x, "id": ids}, schema={"x": pl.Float64, "id": pl.Int64}),
    ]
    for frame in frames:
        assert card.score(frame).tolist() == one
    # neighbouring ids are different categories: only _ID + 1 is the risky one
    fb = card.binner_.binnings_["id"]
    risky = card.score_one({"x": 0.0, "id": _ID + 1})
    assert all(card.score_one({"x": 0.0, "id": _ID + k}) > risky for k in (0, 2, 3))
    assert fb.bin_index(np.array([_ID + 5, 2**53])).tolist() == [fb.unknown_bin] * 2


def test_stepwise_on_auc_with_too_few_bads_is_a_data_error() -> None:
    x = np.arange(60, dtype=float)
    x[-3:] = np.nan
    y = np.zeros(60, dtype=int)
    y[-1] = 1
    X = pd.DataFrame({"x": x})
    with pytest.raises(DataError, match=r"y: stepwise on validation AUC needs at least 2 bads"):
        WoEScorecard(min_iv=0.0, stepwise="forward", stepwise_criterion="auc").fit(X, y)
