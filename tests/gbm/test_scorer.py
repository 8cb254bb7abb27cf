"""GBMScorer: scikit-learn conformance, behaviour and the scorer protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from thinfile_credit.gbm import GBMScorer
from thinfile_credit.protocol import Contributions, Scorer
from thinfile_credit.scale import ScoreScale

from ._data import logistic_credit

ENGINES = ["sklearn", "lightgbm", "xgboost"]

_BY_DESIGN = {
    "check_class_weight_classifiers": (
        "by design: class_weight reweights the booster only; the cross-fitted calibration "
        "is fitted on the observed bad rate, so the PD (and predict's PD > 0.5) does not "
        "move toward the up-weighted class "
        "(test_class_weight_moves_the_booster_and_calibration_brings_pd_back checks the "
        "booster does react)"
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "the early-stopping split, row subsampling and the stratified calibration folds "
        "are drawn over rows, so a row repeated twice is not the same draw as a row "
        "with weight 2"
    ),
    "check_classifiers_classes": (
        "by design: text class labels are refused with a DataError (which of 'good' and "
        "'bad' is bad cannot be read off their order); a scorer needs 0/1 (1 = bad), "
        "booleans or numbers whose larger value is bad (test_text_labels_are_refused)"
    ),
}


def _expected_failures(estimator: GBMScorer) -> dict[str, str]:
    return dict(_BY_DESIGN)


# The checks fit on a few dozen rows: too few bads for a validation split or calibration
# folds, so the fallbacks (each tested on its own below) warn on every fit.
@pytest.mark.filterwarnings("ignore::thinfile_credit.gbm.EarlyStoppingFallbackWarning")
@pytest.mark.filterwarnings("ignore::thinfile_credit.gbm.CalibrationFallbackWarning")
@parametrize_with_checks(
    [
        GBMScorer(
            engine, n_estimators=20, learning_rate=0.3, min_child_samples=5, cv=3, random_state=0
        )
        for engine in ENGINES
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def credit():
    return logistic_credit(4000, seed=1)


def _small(engine: str, **kw) -> GBMScorer:
    params = dict(
        n_estimators=150, learning_rate=0.1, cv=3, random_state=0, categorical_features=["city"]
    )
    params.update(kw)
    return GBMScorer(engine, **params)


@pytest.mark.parametrize("engine", ENGINES)
def test_protocol_and_additivity(engine, credit):
    X, y, _ = credit
    model = _small(engine).fit(X, y)
    assert isinstance(model, Scorer)
    c = model.contributions(X)
    assert isinstance(c, Contributions)
    assert c.feature_names == tuple(X.columns)
    assert np.max(np.abs(c.total() - model.score(X))) < 1e-6
    lo = model.contributions(X, unit="log_odds")
    assert np.max(np.abs(lo.total() - model.decision_function(X))) < 1e-9
    raw = model.contributions(X, unit="raw_log_odds")
    assert np.max(np.abs(raw.total() - model.raw_margin(X))) < 1e-9
    # PD, log-odds and points agree through the scale.
    pd_bad = model.predict_proba(X)[:, 1]
    np.testing.assert_allclose(model.scale_.pd_from_points(model.score(X)), pd_bad, rtol=1e-9)
    assert roc_auc_score(y, pd_bad) > 0.7


@pytest.mark.parametrize("engine", ENGINES)
def test_calibration_keeps_ranking_and_contribution_signs(engine, credit):
    X, y, _ = credit
    model = _small(engine, calibration="isotonic").fit(X, y)
    raw = model.contributions(X, unit="raw_log_odds")
    cal = model.contributions(X, unit="log_odds")
    # One positive factor per row: signs and within-row order survive calibration.
    assert np.all(np.sign(cal.values) == np.sign(raw.values))
    assert roc_auc_score(y, model.raw_margin(X)) == pytest.approx(
        roc_auc_score(y, model.decision_function(X)), abs=1e-12
    )


def test_platt_rescales_by_a_constant(credit):
    X, y, _ = credit
    model = _small("lightgbm", calibration="sigmoid").fit(X, y)
    raw = model.contributions(X, unit="raw_log_odds").values
    cal = model.contributions(X, unit="log_odds").values
    mask = np.abs(raw) > 1e-8
    ratio = cal[mask] / raw[mask]
    np.testing.assert_allclose(ratio, model.calibrator_.slope_, rtol=1e-9)


def test_no_calibration_is_the_raw_margin(credit):
    X, y, _ = credit
    model = _small("lightgbm", calibration=None).fit(X, y)
    np.testing.assert_allclose(model.decision_function(X), model.raw_margin(X))


def test_frames_in_any_kind_give_the_same_scores(credit):
    X, y, _ = credit
    model = _small("lightgbm").fit(X, y)
    expected = model.score(X)
    np.testing.assert_allclose(model.score(pl.from_pandas(X)), expected)
    np.testing.assert_allclose(model.score(pa.Table.from_pandas(X)), expected)


def test_deterministic_with_random_state(credit):
    X, y, _ = credit
    a = _small("lightgbm", random_state=7).fit(X, y).score(X)
    b = _small("lightgbm", random_state=7).fit(X, y).score(X)
    np.testing.assert_array_equal(a, b)


def test_custom_scale_and_direction(credit):
    X, y, _ = credit
    scale = ScoreScale(base_score=500, base_odds=20, pdo=40, higher_is_better=False)
    model = _small("sklearn", scale=scale).fit(X, y)
    points = model.score(X)
    np.testing.assert_allclose(points, scale.points_from_pd(model.predict_proba(X)[:, 1]))
    c = model.contributions(X.head(50))
    np.testing.assert_allclose(c.total(), points[:50], atol=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_eval_set_early_stopping(engine, credit):
    X, y, _ = credit
    Xv, yv, _ = logistic_credit(1500, seed=9)
    model = _small(engine, n_estimators=2000, n_iter_no_change=20).fit(X, y, eval_set=(Xv, yv))
    assert model.best_iteration_ == model.n_iter_ < 2000


def test_internal_early_stopping_refits_on_all_rows(credit):
    X, y, _ = credit
    model = _small("lightgbm", n_estimators=3000, n_iter_no_change=20).fit(X, y)
    assert model.best_iteration_ is not None
    assert model.n_iter_ == round(model.best_iteration_ / 0.9)
    fixed = _small("lightgbm", n_estimators=40, early_stopping=False).fit(X, y)
    assert fixed.best_iteration_ is None
    assert fixed.n_iter_ == 40


def test_class_weight_moves_the_booster_and_calibration_brings_pd_back(credit):
    from scipy.special import expit

    X, y, _ = credit
    plain = _small("lightgbm", ensemble=False).fit(X, y)
    weighted = _small("lightgbm", ensemble=False, class_weight="balanced").fit(X, y)
    # The booster's own PD moves toward the up-weighted class...
    assert expit(weighted.raw_margin(X)).mean() > expit(plain.raw_margin(X)).mean() + 0.1
    # ...and the calibrator, fitted on the true rates, brings it back.
    assert weighted.predict_proba(X)[:, 1].mean() == pytest.approx(y.mean(), abs=0.02)


def test_categorical_auto_and_unseen_categories(credit):
    X, y, _ = credit
    model = _small("lightgbm", categorical_features="auto").fit(X, y)
    assert set(model.encoder_.categories) == {"city"}
    # Categories are ordered safest first by training bad rate.
    assert model.encoder_.categories["city"][-1] == "east"
    new = X.head(5).copy()
    new["city"] = ["west", None, "north", "east", "south"]
    assert np.isfinite(model.score(new)).all()


def test_pandas_categorical_dtype_is_implicitly_categorical(credit):
    X, y, _ = credit
    Xc = X.assign(city=X["city"].astype("category"))
    model = _small("xgboost", categorical_features=None).fit(Xc, y)
    assert "city" in model.encoder_.categories


def test_feature_importances_and_report(credit):
    X, y, _ = credit
    model = _small("lightgbm", monotone="auto").fit(X, y)
    assert model.feature_importances_.shape == (4,)
    assert model.feature_importances_[2] < model.feature_importances_[0]
    report = model.monotone_report_
    assert list(report.columns) == [
        "feature",
        "rho",
        "p_value",
        "trend",
        "direction",
        "source",
        "conflict",
    ]


def test_shallow_defaults():
    model = GBMScorer()
    assert (model.num_leaves, model.learning_rate, model.calibration) == (8, 0.03, "isotonic")
    assert model.ensemble is True


@pytest.mark.parametrize("engine", ENGINES)
def test_ensemble_serves_the_mean_of_the_all_rows_and_fold_boosters(engine, credit):
    X, y, _ = credit
    model = _small(engine, n_estimators=40, early_stopping=False).fit(X, y)
    members = model.booster_.members
    assert len(members) == 1 + 3  # all-rows booster, then one per calibration fold
    assert all(m.n_iter == model.n_iter_ == 40 for m in members)
    design = model.encoder_.transform(X)
    margins = np.mean([m.raw_margin(design) for m in members], axis=0)
    np.testing.assert_allclose(model.raw_margin(X), margins, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        model.decision_function(X), model.calibrator_.log_odds(margins), atol=1e-12
    )
    raw = np.mean([m.raw_contributions(design) for m in members], axis=0)
    c = model.contributions(X, unit="raw_log_odds")
    np.testing.assert_allclose(c.values, raw[:, :-1], atol=1e-12)
    np.testing.assert_allclose(c.baseline, raw[:, -1], atol=1e-12)
    assert np.max(np.abs(model.contributions(X).total() - model.score(X))) < 1e-6
    np.testing.assert_allclose(
        model.feature_importances_, np.mean([m.feature_importances() for m in members], 0)
    )


def test_ensemble_false_serves_the_all_rows_booster_alone(credit):
    X, y, _ = credit
    kw = dict(n_estimators=40, early_stopping=False)
    single = _small("lightgbm", ensemble=False, **kw).fit(X, y)
    averaged = _small("lightgbm", **kw).fit(X, y)
    assert single.booster_.members == (single.booster_,)
    # Same seeds: the single model is the ensemble's first member, calibrated alike.
    design = single.encoder_.transform(X)
    first = averaged.booster_.members[0]
    np.testing.assert_array_equal(single.raw_margin(X), first.raw_margin(design))
    np.testing.assert_array_equal(
        single.calibrator_.log_odds(np.linspace(-3, 1, 9)),
        averaged.calibrator_.log_odds(np.linspace(-3, 1, 9)),
    )


def test_no_calibration_means_no_fold_boosters(credit):
    X, y, _ = credit
    model = _small("lightgbm", calibration=None, n_estimators=40).fit(X, y)
    assert model.booster_.members == (model.booster_,)


def test_averaged_booster_rejects_mixed_engines(credit):
    from thinfile_credit.errors import ModelError
    from thinfile_credit.gbm.engines import AveragedBooster

    X, y, _ = credit
    kw = dict(n_estimators=5, early_stopping=False, calibration=None)
    a = _small("lightgbm", **kw).fit(X, y).booster_
    b = _small("sklearn", **kw).fit(X, y).booster_
    with pytest.raises(ModelError, match="different engines"):
        AveragedBooster([a, b])
    with pytest.raises(ModelError, match="at least one"):
        AveragedBooster([])


def test_pandas_categorical_of_integers_is_categorical(credit):
    """Nominal codes (province 11, 31, ...) in a pandas categorical are categories."""
    rng = np.random.default_rng(0)
    n = 4000
    region = rng.choice([11, 31, 44, 51, 65], n)
    risk = {11: 0.05, 31: 0.30, 44: 0.06, 51: 0.28, 65: 0.04}
    y = (rng.random(n) < np.vectorize(risk.get)(region)).astype(int)
    X = pd.DataFrame({"amt": rng.normal(size=n), "region": pd.Categorical(region)})
    model = _small("lightgbm", categorical_features=None, monotone="auto").fit(X, y)
    assert set(model.encoder_.categories["region"]) == {"11", "31", "44", "51", "65"}
    assert model.monotone_report_.set_index("feature").loc["region", "source"] == "categorical"
    # Scored as the same categorical or as plain integer codes: the same scores.
    rows = X.head(20)
    np.testing.assert_array_equal(model.score(rows), model.score(rows.assign(region=region[:20])))


@pytest.mark.parametrize("engine", ENGINES)
def test_all_missing_training_column_is_inert_with_a_warning(engine, credit):
    from thinfile_credit.gbm import AllMissingFeatureWarning

    X, y, _ = credit
    X = X.assign(bureau_score=np.nan)  # no bureau file for anyone in the sample
    with pytest.warns(AllMissingFeatureWarning, match="bureau_score: no value"):
        model = _small(engine, n_estimators=40).fit(X, y)
    new = X.head(6).assign(bureau_score=[600.0, np.nan, 710.0, 1.0, np.nan, 850.0])
    c = model.contributions(new)
    j = c.feature_names.index("bureau_score")
    np.testing.assert_array_equal(c.values[:, j], 0.0)
    assert np.max(np.abs(c.total() - model.score(new))) < 1e-6
    # Its value cannot move a score.
    np.testing.assert_allclose(
        model.score(new), model.score(new.assign(bureau_score=np.nan)), rtol=0, atol=1e-9
    )


def test_early_stopping_fallback_warns():
    from thinfile_credit.gbm import EarlyStoppingFallbackWarning

    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame({"amt": rng.normal(size=n), "age": rng.uniform(0, 1000, n)})
    y = np.zeros(n, dtype=int)
    y[rng.choice(n, 9, replace=False)] = 1  # 9 bads: a 10 % split cannot hold one
    model = GBMScorer("lightgbm", n_estimators=30, min_child_samples=2, cv=3, random_state=0)
    with pytest.warns(
        EarlyStoppingFallbackWarning, match=r"only 9 rows.*at least 4, and 1/validation_fraction"
    ):
        model.fit(X, y)
    assert model.best_iteration_ is None
    assert model.n_iter_ == 30
    # 40 bads, but 37 weighted 0: only the 3 in the sample count, so still no split.
    y = np.zeros(n, dtype=int)
    y[rng.choice(n, 40, replace=False)] = 1
    w = np.ones(n)
    w[np.flatnonzero(y == 1)[:37]] = 0.0
    with pytest.warns(EarlyStoppingFallbackWarning, match=r"only 3 rows"):
        model.fit(X, y, sample_weight=w)
    assert model.best_iteration_ is None
    y[rng.choice(np.flatnonzero(y == 0), 1)] = 1  # 10 bads: early stopping runs
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", EarlyStoppingFallbackWarning)
        assert model.fit(X, y).best_iteration_ is not None


def test_rows_weighted_zero_stay_out_of_the_validation_split():
    from thinfile_credit.gbm._training import _validation_split

    y = np.r_[np.zeros(80, dtype=int), np.ones(20, dtype=int)]
    w = np.ones(100)
    plain = _validation_split(y, w, 0.2, seed=3)
    w[::3] = 0.0
    tr, va = _validation_split(y, w, 0.2, seed=3)
    assert np.all(w[va] > 0)
    assert sorted(np.r_[tr, va].tolist()) == list(range(100))
    assert np.bincount(y[va]).min() >= 1
    # With every weight positive the split is the plain stratified split, as before.
    from sklearn.model_selection import StratifiedShuffleSplit

    splitter = StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=3)
    expected = next(splitter.split(np.zeros(100), y))
    np.testing.assert_array_equal(plain[0], expected[0])
    np.testing.assert_array_equal(plain[1], expected[1])
    # Bads weighted 0 do not count towards the minority that early stopping needs.
    from thinfile_credit.gbm._training import weighted_minority

    w[y == 1] = 0.0
    w[np.flatnonzero(y == 1)[:5]] = 1.0
    assert weighted_minority(y, w) == 5


def test_calibration_folds_count_and_spread_only_rows_in_the_sample():
    from thinfile_credit.gbm._training import _calibration_folds

    y = np.r_[np.zeros(80, dtype=int), np.ones(20, dtype=int)]
    w = np.ones(100)
    # Every weight positive: the plain stratified folds, as before.
    from sklearn.model_selection import StratifiedKFold

    plain = _calibration_folds(5, y, w, seed=3)
    expected = StratifiedKFold(5, shuffle=True, random_state=3).split(np.zeros(100), y)
    for (tr, te), (etr, ete) in zip(plain, expected, strict=True):
        np.testing.assert_array_equal(te, ete)
        np.testing.assert_array_equal(tr, etr)
    # 3 bads with a positive weight, 17 weighted 0: 3 folds, each holding one of them.
    w[np.flatnonzero(y == 1)[3:]] = 0.0
    folds = _calibration_folds(5, y, w, seed=3)
    assert len(folds) == 3
    tests = np.concatenate([te for _, te in folds])
    assert sorted(tests.tolist()) == list(range(100))
    for tr, te in folds:
        assert np.intersect1d(tr, te).size == 0
        assert ((y[te] == 1) & (w[te] > 0)).sum() == 1
    # A single bad in the sample: no folds (the caller falls back to no calibration).
    w[np.flatnonzero(y == 1)[1:]] = 0.0
    assert _calibration_folds(5, y, w, seed=3) is None


def test_balanced_class_weight_counts_the_rows_in_the_sample(monkeypatch):
    import thinfile_credit.gbm.scorer as scorer_module

    seen = {}
    real = scorer_module.fit_final_booster

    def spy(engine, params, X, y, w, *args, **kwargs):
        seen["y"], seen["w"] = y, w
        return real(engine, params, X, y, w, *args, **kwargs)

    monkeypatch.setattr(scorer_module, "fit_final_booster", spy)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400)})
    y = np.r_[np.zeros(300, dtype=int), np.ones(100, dtype=int)]
    w = np.ones(400)
    w[300:390] = 0.0  # 90 of the 100 bads are outside the sample
    GBMScorer("lightgbm", n_estimators=5, class_weight="balanced", cv=2, random_state=0).fit(
        X, y, sample_weight=w
    )
    # In the sample: 300 goods, 10 bads -> n / (2 n_class) = 310/600 and 310/20.
    np.testing.assert_allclose(seen["w"][:300], 310 / 600)
    np.testing.assert_allclose(seen["w"][390:], 310 / 20)
    assert (seen["w"][300:390] == 0).all()


def test_a_given_splitter_whose_fold_lacks_a_weighted_class_is_refused():
    from sklearn.model_selection import KFold

    from thinfile_credit.errors import ModelError
    from thinfile_credit.gbm._training import _calibration_folds

    y = np.r_[np.ones(30, dtype=int), np.zeros(60, dtype=int)]
    w = np.ones(90)
    # Unshuffled 3-fold: fold 0 tests rows 0-29, so its training rows hold no bad.
    with pytest.raises(ModelError, match="fold 0") as err:
        _calibration_folds(KFold(3), y, w, seed=0)
    assert err.value.column == "cv"
    assert len(_calibration_folds(KFold(3, shuffle=True, random_state=0), y, w, seed=0)) == 3
