"""WoEScorecard input edge: object numbers score as numbers, duplicate names, misuse typed."""

from __future__ import annotations

import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from thinfile_credit.errors import DataError, NotFittedError
from thinfile_credit.scorecard import WoEScorecard


def _applicants(n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "income": np.round(rng.lognormal(8, 0.5, n), 2),
            "late_bills": rng.poisson(1.0, n).astype(float),
        }
    )
    z = -2.5 - 0.8 * np.log(X["income"] / 3000) + 0.7 * X["late_bills"]
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    X.loc[rng.random(n) < 0.05, "income"] = np.nan
    return X, y


def _as(X: pd.DataFrame, container: str) -> object:
    """``X`` with its numbers in another container (NaN = missing)."""
    if container == "float64":
        return X
    if container == "polars":
        return pl.from_pandas(X, nan_to_null=True)
    if container == "Float64":
        return X.astype("Float64")
    out = {}
    for c in X.columns:
        missing = X[c].isna()
        if container == "object":
            out[c] = pd.Series(
                [None if m else float(v) for v, m in zip(X[c], missing)], dtype=object
            )
        else:  # Decimal, as read_sql returns NUMERIC columns
            out[c] = pd.Series(
                [None if m else Decimal(str(v)) for v, m in zip(X[c], missing)], dtype=object
            )
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def fitted() -> tuple[WoEScorecard, pd.DataFrame]:
    X, y = _applicants()
    return WoEScorecard().fit(X, y), X


def test_decimal_columns_fit_and_score_as_numbers(fitted) -> None:
    card, X = fitted
    X_dec = _as(X, "Decimal")
    _, y = _applicants()
    on_decimal = WoEScorecard().fit(X_dec, y)
    assert on_decimal.binner_.binnings_["income"].kind == "numeric"
    new = pd.DataFrame({"income": [1234.56, 9999.99], "late_bills": [0.0, 0.0]})
    scores = on_decimal.score(new)
    assert scores[0] != scores[1]  # not one Unknown bin for every new income
    assert np.array_equal(scores, card.score(new))
    # a model fitted on floats reads Decimal and object-float columns as numbers too
    for container in ("object", "Decimal"):
        assert np.array_equal(card.score(_as(X.head(50), container)), card.score(X.head(50)))
        assert np.array_equal(
            card.contributions(_as(X.head(50), container)).values,
            card.contributions(X.head(50)).values,
        )


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1))
def test_same_numbers_give_the_same_scorecard_in_every_container(seed: int) -> None:
    X, y = _applicants(n=2000, seed=seed)
    reference = WoEScorecard(min_iv=0.0).fit(X, y)
    expected = reference.score(X)
    for container in ("object", "Decimal", "Float64", "polars"):
        data = _as(X, container)
        card = WoEScorecard(min_iv=0.0).fit(data, y)
        for name, fb in reference.binner_.binnings_.items():
            assert card.binner_.binnings_[name] == fb, container
        assert card.features_ == reference.features_
        assert np.array_equal(card.score(data), expected), container
        assert np.array_equal(reference.score(data), expected), container


def test_duplicate_column_names_are_refused_in_every_scoring_path(fitted) -> None:
    card, X = fitted
    dup = pd.concat([X.head(3), pd.DataFrame({"late_bills": [0.0, 0.0, 0.0]})], axis=1)
    paths = {
        "score": card.score,
        "predict_proba": card.predict_proba,
        "predict": card.predict,
        "decision_function": card.decision_function,
        "contributions": card.contributions,
        "points_below_max": card.points_below_max,
    }
    for label, path in paths.items():
        with pytest.raises(DataError, match="appears more than once") as err:
            path(dup)
        assert (err.value.table, err.value.column) == ("X", "late_bills"), label
    mixed = X.head(3).copy()
    mixed[0] = 1.0
    mixed.columns = ["income", "late_bills", "0"]
    mixed.insert(3, 0, 2.0, allow_duplicates=True)  # 0 and "0": one name after str()
    with pytest.raises(DataError, match="appears more than once") as err:
        card.score(mixed)
    assert err.value.column == "0"
    arrow = pa.table([pa.array(dup.iloc[:, i]) for i in range(3)], names=list(dup.columns))
    with pytest.raises(DataError, match="appears more than once") as err:
        card.score(arrow)
    assert (err.value.table, err.value.column) == ("X", "late_bills")


def test_duplicate_column_names_are_refused_in_fit() -> None:
    X, y = _applicants(n=500)
    X.columns = ["a", "a"]
    with pytest.raises(DataError, match="appears more than once") as err:
        WoEScorecard().fit(X, y)
    assert (err.value.table, err.value.column) == ("X", "a")


def test_unfitted_scorecard_raises_the_librarys_not_fitted_error() -> None:
    one = {"income": 1.0, "late_bills": 0.0}
    calls = {
        "score_one": lambda c: c.score_one(one),
        "contributions_one": lambda c: c.contributions_one(one),
        "score": lambda c: c.score(pd.DataFrame([one])),
        "table": lambda c: c.table(),
        "get_feature_names_out": lambda c: c.get_feature_names_out(),
    }
    for label, call in calls.items():
        with pytest.raises(NotFittedError, match="WoEScorecard is not fitted") as err:
            call(WoEScorecard())
        assert isinstance(err.value, SklearnNotFittedError), label


@pytest.mark.parametrize("applicant", [[1.0, 2.0], (1.0, 2.0), "income", np.array([1.0, 2.0])])
def test_score_one_needs_a_mapping(fitted, applicant) -> None:
    card, _ = fitted
    for method in (card.score_one, card.contributions_one):
        with pytest.raises(DataError, match="must be a mapping") as err:
            method(applicant)
        assert err.value.table == "applicant"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert card.score_one({"income": 1.0, "late_bills": 0.0}) > 0


def test_score_one_reads_a_pandas_row_as_its_mapping(fitted) -> None:
    """``card.score_one(X.iloc[i])`` worked before the mapping check; it still does."""
    card, X = fitted
    row = X.iloc[3]
    assert card.score_one(row) == card.score_one(row.to_dict())
    assert card.contributions_one(row) == card.contributions_one(row.to_dict())
