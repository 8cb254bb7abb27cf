"""align_key: join keys change dtype only when no key changes."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit._keys import align_key
from thinfile_credit.errors import SchemaError


def _align(values: pl.Series, target: pl.DataType) -> pl.Series:
    return align_key(
        values, target, table="installments", column="loan_id", reference="loans.loan_id"
    )


@given(st.lists(st.one_of(st.none(), st.integers(-(2**53), 2**53)), max_size=30))
def test_whole_floats_become_the_same_integers(keys: list[int | None]) -> None:
    floats = pl.Series([None if k is None else float(k) for k in keys], dtype=pl.Float64)
    assert _align(floats, pl.Int64).to_list() == keys


#: floats that are no int64 key: fractions, NaN, infinities, whole values out of range
_NOT_KEYS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()),
    st.sampled_from([float("nan"), float("inf"), float("-inf")]),
    st.floats(min_value=2.0**63, allow_infinity=False),
    st.floats(max_value=-(2.0**64), allow_infinity=False),
)


@given(st.lists(st.integers(-(2**31), 2**31 - 1), max_size=20), _NOT_KEYS, st.integers(0, 20))
def test_a_fraction_or_non_finite_key_is_refused_with_its_row(
    keys: list[int], bad: float, at: int
) -> None:
    at = min(at, len(keys))
    values = [float(k) for k in keys]
    values.insert(at, bad)
    with pytest.raises(SchemaError) as err:
        _align(pl.Series(values, dtype=pl.Float64), pl.Int64)
    assert (err.value.table, err.value.column, list(err.value.rows)) == (
        "installments",
        "loan_id",
        [at],
    )


#: the edges of Int32, where an off-by-one range check would show
_INT32_EDGES = st.sampled_from([2**31 - 1, 2**31, -(2**31), -(2**31) - 1])


@given(st.lists(st.one_of(st.integers(-(2**62), 2**62), _INT32_EDGES), max_size=20))
def test_integers_of_another_width_convert_when_they_fit(keys: list[int]) -> None:
    fits = all(-(2**31) <= k < 2**31 for k in keys)
    if fits:
        assert _align(pl.Series(keys, dtype=pl.Int64), pl.Int32).to_list() == keys
    else:
        with pytest.raises(SchemaError, match="out of range"):
            _align(pl.Series(keys, dtype=pl.Int64), pl.Int32)


@pytest.mark.parametrize(
    ("values", "target"),
    [
        (pl.Series(["01", "2"]), pl.Int64),
        (pl.Series([1, 2]), pl.String),
        (pl.Series([True, False]), pl.Int64),
        (pl.Series([1.0]), pl.String),
    ],
)
def test_keys_of_another_kind_are_refused(values: pl.Series, target: pl.DataType) -> None:
    with pytest.raises(SchemaError, match="must be of one kind") as err:
        _align(values, target)
    assert (err.value.table, err.value.column) == ("installments", "loan_id")
    assert "loans.loan_id" in str(err.value)


def test_text_keys_keep_their_text_across_text_dtypes() -> None:
    cats = pl.Series(["a", "b", None], dtype=pl.Categorical)
    assert _align(cats, pl.String).to_list() == ["a", "b", None]
    assert _align(pl.Series([None, None]), pl.Int64).dtype == pl.Int64


def test_the_int64_edges_read_as_themselves() -> None:
    floats = pl.Series([-(2.0**63), 2.0**62], dtype=pl.Float64)
    assert _align(floats, pl.Int64).to_list() == [-(2**63), 2**62]
