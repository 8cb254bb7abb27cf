"""WoEBinner input edge: numbers bin as numbers whatever the container; names are unique."""

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

from thinfile_credit.binning import WoEBinner
from thinfile_credit.binning._columns import extract_columns
from thinfile_credit.errors import DataError, NotFittedError


def _income(n: int = 3000, seed: int = 0, missing: float = 0.05) -> tuple[pd.Series, np.ndarray]:
    rng = np.random.default_rng(seed)
    income = np.round(rng.lognormal(8, 0.5, n), 2)
    y = (rng.random(n) < 1 / (1 + np.exp(2 + 0.8 * np.log(income / 3000)))).astype(int)
    values = pd.Series(income)
    values[rng.random(n) < missing] = np.nan
    return values, y


def _containers(values: pd.Series) -> dict[str, object]:
    """The same numbers (NaN = missing) in every container a lender's data arrives in."""
    objects = pd.Series([None if np.isnan(v) else float(v) for v in values], dtype=object)
    decimals = pd.Series([None if np.isnan(v) else Decimal(str(v)) for v in values], dtype=object)
    return {
        "pandas float64": pd.DataFrame({"income": values}),
        "pandas object floats": pd.DataFrame({"income": objects}),
        "pandas Decimal (read_sql)": pd.DataFrame({"income": decimals}),
        "pandas Float64": pd.DataFrame({"income": values.astype("Float64")}),
        "polars": pl.DataFrame({"income": values.to_numpy()}, nan_to_null=True),
        "numpy object": objects.to_numpy().reshape(-1, 1),
    }


def test_pandas_object_numbers_are_binned_as_numbers() -> None:
    values, y = _income()
    for label, X in _containers(values).items():
        binning = next(iter(WoEBinner().fit(X, y).binnings_.values()))
        assert binning.kind == "numeric", label
    # integers with None, as read_sql gives a nullable INTEGER column
    ints = pd.DataFrame({"n": pd.Series([1, None, 3, 4] * 250, dtype=object)})
    cols = extract_columns(ints)
    assert cols.is_numeric(0)
    assert cols.arrays[0].dtype == np.float64
    assert np.isnan(cols.arrays[0][1])


def test_pandas_object_text_stays_categorical_and_categorical_features_wins() -> None:
    values, y = _income()
    mixed = pd.Series(values.astype(object))
    mixed[:100] = "unknown"  # any text: a categorical column, as for a NumPy object array
    cols = extract_columns(pd.DataFrame({"income": mixed}))
    assert not cols.is_numeric(0)
    assert np.array_equal(
        cols.arrays[0][:5], extract_columns(mixed.to_numpy().reshape(-1, 1)).arrays[0][:5]
    )
    # numbers the lender declares categorical (region codes) stay categorical
    region = pd.DataFrame({"region": pd.Series(np.tile([11.0, 22.0, 33.0], 1000), dtype=object)})
    binner = WoEBinner(categorical_features=["region"]).fit(region, y)
    fb = binner.binnings_["region"]
    assert fb.kind == "categorical"
    assert {c for g in fb.groups for c in g} == {"11", "22", "33"}
    as_float = binner.transform(pd.DataFrame({"region": [11.0, 22.0, 33.0]}))
    as_object = binner.transform(
        pd.DataFrame({"region": pd.Series([11, Decimal("22"), 33.0], dtype=object)})
    )
    assert np.array_equal(as_float, as_object)


def test_transform_reads_object_numbers_as_fit_did() -> None:
    values, y = _income()
    binner = WoEBinner().fit(pd.DataFrame({"income": values}), y)
    new = [1234.56, 9999.99, None]
    as_float = binner.transform(pd.DataFrame({"income": [1234.56, 9999.99, np.nan]}))
    as_decimal = binner.transform(
        pd.DataFrame(
            {"income": pd.Series([Decimal(str(v)) if v else None for v in new], dtype=object)}
        )
    )
    assert np.array_equal(as_float, as_decimal)
    assert as_float[0, 0] != as_float[1, 0]  # different incomes, different bins


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.1]))
def test_same_numbers_bin_alike_in_every_container(seed: int, missing: float) -> None:
    values, y = _income(n=1500, seed=seed, missing=missing)
    containers = _containers(values)
    reference = WoEBinner().fit(containers["pandas float64"], y)
    expected = reference.transform(containers["pandas float64"])
    for label, X in containers.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the NumPy input has no names
            binner = WoEBinner().fit(X, y)
            fb = next(iter(binner.binnings_.values()))
            assert fb.to_dict() | {"name": "income"} == reference.binnings_["income"].to_dict(), (
                label
            )
            assert np.array_equal(binner.transform(X), expected), label
            # and a model fitted on floats reads every container as numbers
            if label != "numpy object":
                assert np.array_equal(reference.transform(X), expected), label


@pytest.mark.parametrize(
    ("columns", "duplicate"),
    [(["a", "a"], "a"), ([0, "0"], "0"), (["x", "b", "x"], "x")],
)
def test_duplicate_column_names_are_refused_in_fit(columns: list, duplicate: str) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, len(columns))), columns=columns)
    y = np.tile([0, 1], 100)
    with pytest.raises(DataError, match="appears more than once") as err:
        WoEBinner().fit(X, y)
    assert (err.value.table, err.value.column) == ("X", duplicate)


def test_duplicate_column_names_are_refused_in_transform() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = (rng.random(400) < 1 / (1 + np.exp(-X["a"]))).astype(int)
    binner = WoEBinner().fit(X, y)
    dup = pd.concat([X.head(3), pd.DataFrame({"b": [0.0, 0.0, 0.0]})], axis=1)
    for method in (binner.transform, binner.transform_bins):
        with pytest.raises(DataError, match="appears more than once") as err:
            method(dup)
        assert (err.value.table, err.value.column) == ("X", "b")


def test_pyarrow_duplicate_names_are_a_typed_error() -> None:
    rng = np.random.default_rng(0)
    a = pa.array(rng.normal(size=200))
    table = pa.table([a, a], names=["a", "a"])
    y = np.tile([0, 1], 100)
    with pytest.raises(DataError, match="appears more than once") as err:
        WoEBinner().fit(table, y)
    assert (err.value.table, err.value.column) == ("X", "a")
    binner = WoEBinner().fit(pa.table([a], names=["a"]), y)
    with pytest.raises(DataError, match="appears more than once") as err:
        binner.transform(table)
    assert (err.value.table, err.value.column) == ("X", "a")


def test_unfitted_binner_raises_the_librarys_not_fitted_error() -> None:
    for call in (
        lambda b: b.transform(pd.DataFrame({"a": [1.0]})),
        lambda b: b.transform_bins(pd.DataFrame({"a": [1.0]})),
        lambda b: b.binning_table(),
        lambda b: b.get_feature_names_out(),
    ):
        with pytest.raises(NotFittedError, match="not fitted") as err:
            call(WoEBinner())
        assert isinstance(err.value, SklearnNotFittedError)
