"""Bad input gets typed errors that name the column at fault."""

from __future__ import annotations

import builtins

import numpy as np
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
