"""The value rule of binning: exact integer categories, and whole-array fast paths that
read every column exactly as the value-by-value rule does."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.binning import BinningOptions, WoEBinner, _columns, _text, fit_feature_binning
from thinfile_credit.binning._columns import binary_target, extract_columns
from thinfile_credit.binning._text import (
    category_text,
    category_texts,
    factorize_texts,
    floats_and_failures,
    number_value,
    numeric_values,
)
from thinfile_credit.errors import DataError, ModelError

BIG = 2**53

# --- exact integer categories ------------------------------------------------------------


@given(st.integers(min_value=-(2**200), max_value=2**200))
def test_an_integer_category_keeps_every_digit(value: int) -> None:
    assert category_text(value) == str(value)
    assert category_text(value + 1) != category_text(value)
    if -(2**63) <= value < 2**63:
        assert category_text(np.int64(value)) == str(value)
    if 0 <= value < 2**64:
        assert category_text(np.uint64(value)) == str(value)


@given(st.lists(st.integers(BIG - 2**20, 2**63 - 1), min_size=1, max_size=40))
def test_large_integer_ids_get_the_same_text_in_batch_and_one_by_one(ids: list[int]) -> None:
    expected = [str(v) for v in ids]
    as_int64 = np.asarray(ids, dtype=np.int64)
    assert category_texts(as_int64).tolist() == expected
    assert category_texts(np.asarray(ids, dtype=object)).tolist() == expected
    assert category_texts(as_int64.astype(np.uint64)).tolist() == expected
    assert [category_text(v) for v in as_int64] == expected  # NumPy scalars, one by one
    _, texts = factorize_texts(as_int64)
    assert len(texts) - 1 == len(set(ids))  # distinct ids stay distinct (last: missing)
    # every container brings them to binning exactly: pandas (plain and nullable), Polars,
    # NumPy and object arrays
    frames = [
        pd.DataFrame({"id": as_int64}),
        pd.DataFrame({"id": pd.array(ids, dtype="Int64")}),
        pd.DataFrame({"id": pd.array([*ids, None], dtype="Int64")}).iloc[:-1],
        pl.DataFrame({"id": ids}, schema={"id": pl.Int64}),
        pl.DataFrame({"id": [*ids, None]}, schema={"id": pl.Int64}).head(len(ids)),
        as_int64.reshape(-1, 1),
        np.asarray(ids, dtype=object).reshape(-1, 1),
    ]
    for frame in frames:
        cols = extract_columns(frame)
        assert cols.is_numeric(0)
        assert category_texts(cols.arrays[0]).tolist() == expected, type(frame)
        assert np.array_equal(numeric_values(cols.arrays[0], "id"), as_int64.astype(np.float64))


def test_integers_within_float64_still_arrive_as_float64() -> None:
    for frame in (
        pd.DataFrame({"a": np.arange(5)}),
        pl.DataFrame({"a": list(range(5))}),
        np.arange(10).reshape(5, 2),
    ):
        assert all(a.dtype == np.float64 for a in extract_columns(frame).arrays)


def test_two_ids_beyond_2_53_are_two_categories_when_fitted_and_scored() -> None:
    rng = np.random.default_rng(0)
    ids = np.array([110101199001011234, 110101199001011235, 110101199001011236])
    values = rng.choice(ids, 3000)
    y = (rng.random(3000) < np.where(values == ids[0], 0.5, 0.05)).astype(int)
    for frame in (pd.DataFrame({"id": values}), pl.DataFrame({"id": values})):
        binner = WoEBinner(categorical_features=["id"], max_n_bins=3).fit(frame, y)
        fb = binner.binnings_["id"]
        assert {c for g in fb.groups for c in g} == {str(v) for v in ids}
        bins = binner.transform_bins(frame)[:, 0]
        assert fb.unknown_bin not in bins
        one = [fb.category_bin(category_text(v)) for v in values.tolist()]
        assert bins.tolist() == one


# --- fast paths agree with the value-by-value rule ---------------------------------------

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.sampled_from([np.float32(0.1), np.int64(-3), np.uint8(7), np.bool_(True)]),
    st.sampled_from([Decimal("2.5"), Decimal("NaN"), Decimal("sNaN"), Fraction(1, 3)]),
)
missing = st.sampled_from([None, math.nan, pd.NA, pd.NaT, np.datetime64("NaT")])
oddities = st.sampled_from(["12", "nan", b"1", "x", np.datetime64("2020-01-01"), 1j, 10**400])


def _by_hand(values: list[Any], text_numbers: bool) -> tuple[list[float], list[int]]:
    out, bad = [], []
    for i, value in enumerate(values):
        try:
            out.append(number_value(value))
        except TypeError:
            try:
                if not text_numbers:
                    raise
                out.append(float(value))
            except (TypeError, ValueError, OverflowError):
                out.append(math.nan)
                bad.append(i)
    return out, bad


@settings(max_examples=150)
@given(
    st.lists(st.one_of(numbers, missing), min_size=1, max_size=30),
    st.lists(oddities, max_size=2),
    st.booleans(),
)
def test_whole_array_reading_equals_the_value_rule(
    values: list[Any], odd: list[Any], text_numbers: bool
) -> None:
    values = values + odd
    expected, expected_bad = _by_hand(values, text_numbers)
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    got, bad = floats_and_failures(arr, text_numbers=text_numbers)
    assert bad == expected_bad
    keep = [i for i in range(len(values)) if i not in bad]
    np.testing.assert_array_equal(got[keep], np.asarray(expected)[keep])


def test_text_and_missing_markers_keep_their_meaning_on_the_fast_path() -> None:
    col = np.array([1, None, 2.5, pd.NA, pd.NaT, np.float32(0.1), True], dtype=object)
    out = numeric_values(col, "x")
    assert out[[0, 2, 6]].tolist() == [1.0, 2.5, 1.0]
    assert np.isnan(out[[1, 3, 4]]).all()
    assert out[5] == float(np.float32(0.1))
    assert np.isnan(numeric_values(np.array([np.datetime64("NaT"), None]), "x")).all()
    for text in ("12", b"12", "nan"):
        with pytest.raises(DataError, match=r"X\.x: numeric feature .*\(rows: 2\)"):
            numeric_values(np.array([1.0, None, text], dtype=object), "x")


def test_whole_columns_never_go_value_by_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """Numbers in object arrays, numeric targets and categories take C-level paths."""

    def per_value(value: Any) -> float:
        raise AssertionError("a per-value loop ran")

    monkeypatch.setattr(_text, "number_value", per_value)
    monkeypatch.setattr(_columns, "number_value", per_value)
    rng = np.random.default_rng(0)
    col = rng.normal(size=5000).astype(object)
    col[::7] = None
    col[3] = pd.NA
    assert np.isnan(numeric_values(col, "x")[[0, 3, 7]]).all()
    frame = np.column_stack([col, rng.integers(0, 3, 5000).astype(object), col.astype(str)])
    cols = extract_columns(frame)
    assert [a.dtype.kind for a in cols.arrays] == ["f", "f", "O"]
    y = (rng.random(5000) < 0.2).astype(np.int64)
    for target in (pd.Series(y), pl.Series(y), y, pd.Series(y.astype(object)), y.astype(str)):
        assert binary_target(target, 5000).tolist() == y.tolist()
    fb = fit_feature_binning(
        "c", cols.arrays[2], y.astype(np.int8), BinningOptions(dtype="categorical")
    )
    assert fb.n_bins >= 3


def test_binary_target_keeps_its_messages() -> None:
    with pytest.raises(ModelError, match=r"only one class \(1\)"):
        binary_target(pd.Series([1, 1, 1]), 3)
    with pytest.raises(ModelError, match=r"only one class \(0\)"):
        binary_target(np.zeros(3, dtype=np.int64), 3)
    with pytest.raises(DataError, match=r"values other than 0 and 1 .*\(rows: 1\)"):
        binary_target(pd.Series([0, 2, 1]), 3)
    with pytest.raises(DataError, match=r"continuous values.*\(rows: 1\)"):
        binary_target(pl.Series([0.0, 0.5, 1.0]), 3)
    with pytest.raises(DataError, match=r"values other than 0 and 1.*\(rows: 1\)"):
        binary_target(np.array([0, "bad", 1], dtype=object), 3)
    assert binary_target(np.array(["0", "1", 1], dtype=object), 3).tolist() == [0, 1, 1]
