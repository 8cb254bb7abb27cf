"""Bad input gets typed errors that name the column at fault."""

from __future__ import annotations

import builtins

import numpy as np
import pandas as pd
import pytest

from thinfile_credit.errors import DataError, MissingDependencyError, ModelError, ThinfileError
from thinfile_credit.gbm import GBMScorer
from thinfile_credit.gbm.scorer import ScorerNotFittedError

from ._data import logistic_credit


@pytest.fixture(scope="module")
def data():
    return logistic_credit(800, seed=2)


@pytest.fixture(scope="module")
def model(data):
    X, y, _ = data
    return GBMScorer(
        "sklearn", n_estimators=30, cv=3, random_state=0, categorical_features=["city"]
    ).fit(X, y)


def test_unknown_engine(data):
    X, y, _ = data
    with pytest.raises(ModelError, match=r"engine.*unknown engine 'catboost'"):
        GBMScorer("catboost").fit(X, y)


def test_single_class(data):
    X, _, _ = data
    with pytest.raises(ModelError, match=r"y: training data has only 1 class"):
        GBMScorer("sklearn", categorical_features=["city"]).fit(X, np.zeros(len(X)))


def test_three_classes(data):
    X, _, _ = data
    y = np.arange(len(X)) % 3
    with pytest.raises(ModelError, match=r"Only binary classification"):
        GBMScorer("sklearn", categorical_features=["city"]).fit(X, y)


def test_text_column_not_declared(data):
    X, y, _ = data
    X = X.assign(segment=np.where(y == 1, "a", "b"))
    with pytest.raises(ModelError, match=r"city, segment: non-numeric columns"):
        GBMScorer("sklearn").fit(X, y)


def test_declared_categorical_absent(data):
    X, y, _ = data
    with pytest.raises(ModelError, match=r"town"):
        GBMScorer("sklearn", categorical_features=["city", "town"]).fit(X, y)


def test_missing_column_at_scoring_names_it(model, data):
    X, _, _ = data
    with pytest.raises(
        ModelError, match=r"(?s)noise.*Feature names seen at fit time, yet now missing"
    ):
        model.score(X.drop(columns="noise"))


def test_extra_column_at_scoring_names_it(model, data):
    X, _, _ = data
    with pytest.raises(ModelError, match=r"cons_order_count_90d"):
        model.predict_proba(X.assign(cons_order_count_90d=1.0))


def test_wrong_width_array(model, data):
    _X, _, _ = data
    with pytest.raises(ModelError, match=r"features"):
        model.score(np.zeros((3, 2)))


def test_text_in_a_numeric_column_at_scoring(model, data):
    X, _, _ = data
    bad = X.head(3).assign(noise=["1", "x", "2"])
    with pytest.raises(DataError, match=r"X\.noise: expected a numeric column"):
        model.score(bad)


def test_infinite_values_name_column_and_rows(model, data):
    X, _, _ = data
    bad = X.head(6).copy()
    bad.loc[[1, 4], "ten_account_age_days"] = np.inf
    with pytest.raises(DataError, match=r"X.ten_account_age_days: infinite values \(rows: 1, 4\)"):
        model.contributions(bad)


def test_not_fitted_is_both_kinds():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(ScorerNotFittedError) as info:
        GBMScorer().score(np.zeros((2, 2)))
    assert isinstance(info.value, NotFittedError)
    assert isinstance(info.value, ThinfileError)


def test_bad_unit(model, data):
    with pytest.raises(ModelError, match=r"unit"):
        model.contributions(data[0].head(2), unit="probability")


def test_eval_set_with_unknown_labels(data):
    X, y, _ = data
    with pytest.raises(DataError, match=r"eval_set\.y"):
        GBMScorer("sklearn", categorical_features=["city"]).fit(
            X, y, eval_set=(X.head(10), np.full(10, 7))
        )


def test_sample_weight_checks(data):
    X, y, _ = data
    w = np.ones(len(y))
    w[3] = -1
    with pytest.raises(DataError, match=r"rows: 3"):
        GBMScorer("sklearn", categorical_features=["city"]).fit(X, y, sample_weight=w)


def test_missing_extra_names_the_pip_command(data, monkeypatch):
    X, y, _ = data
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "lightgbm":
            raise ImportError("No module named 'lightgbm'")
        return real_import(name, *args, **kwargs)

    import sys

    monkeypatch.delitem(sys.modules, "lightgbm", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    import importlib

    monkeypatch.setattr(importlib, "import_module", lambda n: fake_import(n))
    with pytest.raises(MissingDependencyError, match=r'pip install "thinfile-credit\[lightgbm\]"'):
        GBMScorer("lightgbm", categorical_features=["city"]).fit(X, y)


def test_errors_survive_a_process_boundary():
    import pickle

    err = ModelError("bad constraint", column="x")
    assert str(pickle.loads(pickle.dumps(err))) == "x: bad constraint"


# --- the target -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make_y", "message", "rows"),
    [
        (
            lambda y: np.where(np.isin(np.arange(y.size), [5, 9]), np.nan, y.astype(float)),
            "target is missing",
            "5, 9",
        ),
        (
            lambda y: pd.Series(y).astype("Int64").mask(pd.Series(np.arange(y.size) == 5)),
            "target is missing",
            "5",
        ),
        (
            lambda y: np.where(np.arange(y.size) == 3, None, y).astype(object),
            "target is missing",
            "3",
        ),
        (
            lambda y: np.where(np.arange(y.size) == 7, 0.5, y.astype(float)),
            "non-integer values",
            "7",
        ),
        (lambda y: np.where(np.arange(y.size) == 2, np.inf, y.astype(float)), "infinite", "2"),
    ],
    ids=["nan", "pandas-NA", "None", "continuous", "inf"],
)
def test_bad_target_values_are_data_errors_naming_rows(data, make_y, message, rows):
    X, y, _ = data
    with pytest.raises(DataError, match=rf"^y: .*{message}.*\(rows: {rows}\)$"):
        GBMScorer("sklearn", n_estimators=5, categorical_features=["city"]).fit(X, make_y(y))


def test_nullable_target_without_missing_values_fits(data):
    X, y, _ = data
    model = GBMScorer("sklearn", n_estimators=5, cv=3, categorical_features=["city"])
    model.fit(X, pd.Series(y).astype("Int64"))
    assert model.classes_.tolist() == [0, 1]


def test_one_class_among_weighted_rows(data):
    X, y, _ = data
    with pytest.raises(ModelError, match=r"sample_weight: .*only 1 class.*positive sample weight"):
        GBMScorer("sklearn", categorical_features=["city"]).fit(X, y, sample_weight=1.0 - y)


# --- values the engines cannot represent ----------------------------------------------
@pytest.mark.parametrize("engine", ["sklearn", "lightgbm", "xgboost"])
def test_values_beyond_float32_are_refused_by_every_engine(data, engine):
    X, y, _ = data
    X = X.drop(columns="city")
    fitted = GBMScorer(engine, n_estimators=10, cv=3, random_state=0).fit(X, y)
    rows = X.head(5).copy()
    rows.loc[[1, 3], "noise"] = [1e39, -1e39]
    with pytest.raises(DataError, match=r"X\.noise: values beyond the float32 range.*rows: 1, 3"):
        fitted.score(rows)
    big = X.copy()
    big.loc[7, "noise"] = -1e39
    with pytest.raises(DataError, match=r"X\.noise: values beyond the float32 range.*rows: 7"):
        GBMScorer(engine, n_estimators=10, cv=3).fit(big, y)
    # The float32 maximum itself is fine.
    rows.loc[[1, 3], "noise"] = float(np.finfo(np.float32).max)
    assert np.isfinite(fitted.score(rows)).all()


# --- categorical kinds ----------------------------------------------------------------
@pytest.fixture(scope="module")
def graded():
    rng = np.random.default_rng(0)
    n = 3000
    grade = rng.integers(1, 4, n)
    y = (rng.random(n) < np.array([0.03, 0.15, 0.45])[grade - 1]).astype(int)
    X = pd.DataFrame({"amt": rng.normal(size=n), "grade": grade})
    kw = dict(n_estimators=40, learning_rate=0.1, cv=3, random_state=0)
    numeric = GBMScorer("lightgbm", categorical_features=["grade"], **kw).fit(X, y)
    text = GBMScorer("lightgbm", categorical_features=["grade"], **kw).fit(
        X.assign(grade=X["grade"].astype(str)), y
    )
    return numeric, text


def test_categorical_codes_as_text_after_numeric_training_raise(graded):
    numeric, _ = graded
    as_text = pd.DataFrame({"amt": [0.0, 0.0, 0.0], "grade": ["1", "2", "3"]})
    with pytest.raises(
        DataError, match=r"X\.grade: categorical column was numeric at fit time.*is text"
    ):
        numeric.predict_proba(as_text)
    # Same kind: ints, floats and a pandas categorical of ints all find their category.
    as_int = pd.DataFrame({"amt": [0.0] * 3, "grade": [1, 2, 3]})
    expected = numeric.score(as_int)
    assert len(set(np.round(expected, 6))) == 3
    np.testing.assert_array_equal(numeric.score(as_int.astype({"grade": float})), expected)
    np.testing.assert_array_equal(numeric.score(as_int.astype({"grade": "category"})), expected)


def test_categorical_numbers_after_text_training_raise(graded):
    _, text = graded
    with pytest.raises(DataError, match=r"X\.grade: categorical column was text.*is numeric"):
        text.score(pd.DataFrame({"amt": [0.0], "grade": [1]}))
    # A genuinely new category of the right kind is "unseen": scored like a missing value.
    new = pd.DataFrame({"amt": [0.0, 0.0], "grade": ["9", None]})
    s = text.score(new)
    assert s[0] == s[1]


def test_all_null_categorical_column_at_scoring_is_missing(graded):
    numeric, _ = graded
    rows = pd.DataFrame({"amt": [0.0, 0.0], "grade": [None, None]})
    assert np.isfinite(numeric.score(rows)).all()


def test_encoder_round_trip_keeps_kinds(graded):
    from thinfile_credit.gbm import DesignEncoder

    numeric, text = graded
    for model, kind in ((numeric, "numeric"), (text, "text")):
        enc = model.encoder_
        assert enc.kinds == {"grade": kind}
        assert enc.numeric_text == "category_text"
        assert DesignEncoder.from_dict(enc.to_dict()) == enc
        # Data written before kinds and the category-text rule were recorded: numeric
        # categories as repr(float) text ("1.0"), text categories verbatim.
        legacy = {k: v for k, v in enc.to_dict().items() if k not in ("kinds", "numeric_text")}
        if kind == "numeric":
            legacy["categories"] = {"grade": [repr(float(c)) for c in enc.categories["grade"]]}
        old = DesignEncoder.from_dict(legacy)
        assert old.kinds == enc.kinds
        assert old.numeric_text == "repr_float"
        rows = pd.DataFrame({"amt": [0.0] * 4, "grade": [1, 2, 3, None]})
        rows = rows if kind == "numeric" else rows.assign(grade=["1", "2", "3", None])
        np.testing.assert_array_equal(old.transform(rows), enc.transform(rows))


# --- eval_set without early stopping, column order ------------------------------------
def test_eval_set_without_early_stopping_is_refused(data):
    X, y, _ = data
    model = GBMScorer("sklearn", early_stopping=False, categorical_features=["city"])
    with pytest.raises(ModelError, match=r"eval_set: .*early_stopping=False"):
        model.fit(X, y, eval_set=(X.head(50), y[:50]))


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_reordered_columns_are_matched_by_name(model, data, kind):
    import polars as pl
    import pyarrow as pa

    X, _, _ = data
    expected = model.score(X.head(20))
    rev = X.head(20)[X.columns[::-1]]
    frame = {
        "pandas": lambda f: f,
        "polars": pl.from_pandas,
        "pyarrow": lambda f: pa.Table.from_pandas(f, preserve_index=False),
    }[kind](rev)
    np.testing.assert_array_equal(model.score(frame), expected)
    c = model.contributions(frame)
    assert c.feature_names == tuple(X.columns)
    np.testing.assert_allclose(c.total(), expected, atol=1e-6)


def test_different_names_list_missing_and_extra(model, data):
    X, _, _ = data
    renamed = X.head(5).rename(columns={"noise": "nosie"})
    with pytest.raises(ModelError, match=r"(?s)^X\.noise, nosie: .*unseen at fit time.*nosie"):
        model.score(renamed[renamed.columns[::-1]])
