"""datasets.stratified_split on bad input: typed errors before sklearn, same split otherwise."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.model_selection import train_test_split

from thinfile_credit.datasets import stratified_split
from thinfile_credit.errors import DataError, SpecError, ThinfileError


def _frame(n: int = 60, seed: int = 2024) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"row": np.arange(n), "x": rng.normal(size=n).round(3)})
    y = pd.Series((rng.random(n) < 0.3).astype("int64"), name="bad")
    return X, y


# -- the benchmark split is unchanged -------------------------------------------------------

# Recorded from the implementation before the input checks were added (seed 42, 70/30):
# the public-data benchmarks in the docs depend on these exact rows.
RECORDED_TEST_ROWS = [44, 17, 45, 49, 33, 7, 9, 39, 12, 11, 21, 32, 50, 42, 28, 16, 35, 41]
RECORDED_TRAIN_ROWS = [
    31, 1, 47, 55, 29, 38, 24, 46, 59, 15, 14, 22, 18, 25, 51, 13, 0, 56, 43, 4, 40,
    52, 23, 8, 27, 30, 6, 58, 2, 10, 36, 3, 48, 54, 20, 53, 57, 34, 5, 26, 19, 37,
]  # fmt: skip


def test_default_split_is_bit_identical_to_the_recorded_one() -> None:
    X, y = _frame()
    Xtr, Xte, ytr, yte = stratified_split(X, y)
    assert Xte["row"].tolist() == RECORDED_TEST_ROWS
    assert Xtr["row"].tolist() == RECORDED_TRAIN_ROWS
    # Labels still belong to their rows, and every index is fresh.
    assert ytr.tolist() == y.loc[RECORDED_TRAIN_ROWS].tolist()
    assert yte.tolist() == y.loc[RECORDED_TEST_ROWS].tolist()
    for part in (Xtr, Xte, ytr, yte):
        assert isinstance(part.index, pd.RangeIndex)
        assert part.index.start == 0
    assert ytr.name == "bad"
    assert ytr.dtype == np.int64


@given(
    labels=st.lists(st.sampled_from([0, 1]), min_size=8, max_size=80),
    test_size=st.floats(0.05, 0.95),
    seed=st.integers(0, 2**32 - 1),
    offset=st.integers(-5, 1000),
)
def test_valid_input_splits_exactly_like_train_test_split(
    labels: list[int], test_size: float, seed: int, offset: int
) -> None:
    """Every accepted input gives sklearn's own split; every refused one a typed error."""
    index = pd.RangeIndex(offset, offset + len(labels))
    X = pd.DataFrame({"row": np.arange(len(labels))}, index=index)
    y = pd.Series(labels, index=index, name="bad")
    try:
        got = stratified_split(X, y, test_size=test_size, random_state=seed)
    except DataError:
        if min(labels.count(0), labels.count(1)) < 2:
            return  # one class (sklearn would split it; a 0/1 benchmark cannot use it)
        with pytest.raises(ValueError):  # sklearn would refuse it too
            train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)
        return
    want = train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g.to_numpy(), w.to_numpy())
    # Pairs survive the split: each returned label is its row's label.
    for Xpart, ypart in ((got[0], got[2]), (got[1], got[3])):
        assert ypart.tolist() == [labels[r] for r in Xpart["row"]]


@given(
    labels=st.lists(st.sampled_from([0, 1]), min_size=4, max_size=40),
    data=st.data(),
)
def test_split_follows_the_index_or_refuses(labels: list[int], data: st.DataObject) -> None:
    """A y in another row order is never paired by position: it is a DataError."""
    X = pd.DataFrame({"row": np.arange(len(labels))})
    y = pd.Series(labels, name="bad")
    order = data.draw(st.permutations(list(range(len(labels)))))
    shuffled = y.iloc[order]
    if list(order) != list(range(len(labels))):
        with pytest.raises(DataError, match="not aligned") as info:
            stratified_split(X, shuffled)
        assert info.value.table == "y"
        return
    try:
        Xtr, _, ytr, _ = stratified_split(X, shuffled)
    except DataError:
        return  # too few rows of a class: refused, never mislabelled
    assert ytr.tolist() == [labels[r] for r in Xtr["row"]]


# -- misaligned inputs ----------------------------------------------------------------------


def test_shuffled_y_index_is_refused_not_mislabelled() -> None:
    X = pd.DataFrame({"applicant": range(10)})
    y = pd.Series([0, 1] * 5, name="bad")
    with pytest.raises(DataError, match="indexes differ") as info:
        stratified_split(X, y.sort_values())
    assert info.value.table == "y"


def test_other_index_labels_are_refused() -> None:
    X = pd.DataFrame({"a": range(10)})
    y = pd.Series([0, 1] * 5, index=range(100, 110))
    with pytest.raises(DataError, match="not aligned"):
        stratified_split(X, y)


@pytest.mark.parametrize(
    ("X", "y"),
    [
        (pd.DataFrame({"a": range(10)}), [0, 1] * 4 + [0]),
        (np.zeros((10, 2)), np.array([0, 1] * 6)),
        (pd.DataFrame({"a": range(10)}), pd.Series([0, 1] * 5).iloc[:9]),
    ],
)
def test_lengths_that_differ_are_a_data_error(X: object, y: object) -> None:
    with pytest.raises(DataError) as info:
        stratified_split(X, y)  # type: ignore[arg-type]
    assert info.value.table == "y"


def test_arrays_of_equal_length_pair_by_position() -> None:
    X = np.arange(20).reshape(10, 2)
    y = np.array([0, 1] * 5)
    Xtr, Xte, ytr, _ = stratified_split(X, y)
    assert ytr.tolist() == [r[0] // 2 % 2 for r in Xtr]
    assert len(Xte) == 3


# -- labels ---------------------------------------------------------------------------------


def test_missing_label_names_the_rows() -> None:
    X = pd.DataFrame({"a": range(10)}, index=range(10, 20))
    y = pd.Series([0.0, 1.0] * 5, index=X.index)
    y[13] = np.nan
    y[17] = np.nan
    with pytest.raises(DataError, match="missing label in 2 row") as info:
        stratified_split(X, y)
    assert (info.value.table, info.value.rows) == ("y", [13, 17])


def test_nullable_missing_label_names_the_row() -> None:
    X = pd.DataFrame({"a": range(10)})
    y = pd.Series([0, 1, None, 1, 0, 1, 0, 1, 0, 1], dtype="Int64")
    with pytest.raises(DataError, match="missing label") as info:
        stratified_split(X, y)
    assert info.value.rows == [2]


@pytest.mark.parametrize(
    ("labels", "rows"),
    [
        ([0, 1, 2, 1, 0, 1, 0, 1, 0, 1], [2]),
        ([0, 1, 0, 1, 0.5, 1, 0, 1, 0, 1], [4]),
        (["0", "1"] * 5, list(range(10))),
        ([0, 1, 0, 1, 0, 1, 0, 1, 0, "1"], [9]),
        ([0, 1, 0, 1, 0, 1, 0, 1, -1, 7], [8, 9]),
    ],
)
def test_labels_other_than_zero_one_name_the_rows(labels: list[object], rows: list[int]) -> None:
    X = pd.DataFrame({"a": range(10)})
    with pytest.raises(DataError, match="0 or 1") as info:
        stratified_split(X, pd.Series(labels))
    assert (info.value.table, info.value.rows) == ("y", rows)


def test_boolean_labels_are_accepted_as_they_are() -> None:
    X = pd.DataFrame({"a": range(10)})
    y = pd.Series([False, True] * 5)
    _, _, ytr, _ = stratified_split(X, y)
    assert ytr.dtype == bool


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([0] * 9 + [1], "1 of class 1"),
        ([1] * 10, "0 of class 0"),
        ([], "0 of class 0, 0 of class 1"),
    ],
)
def test_a_class_with_fewer_than_two_rows_is_refused(labels: list[int], message: str) -> None:
    X = pd.DataFrame({"a": range(len(labels))})
    with pytest.raises(DataError, match=message):
        stratified_split(X, pd.Series(labels, dtype="int64"))


def test_test_size_leaving_a_part_too_small_is_refused() -> None:
    X = pd.DataFrame({"a": range(10)})
    y = pd.Series([0, 1] * 5)
    with pytest.raises(DataError, match="1 test rows"):
        stratified_split(X, y, test_size=0.05)
    with pytest.raises(DataError, match="1 train and 9 test rows"):
        stratified_split(X, y, test_size=0.85)


def test_two_dimensional_y_is_refused() -> None:
    with pytest.raises(DataError, match="one-dimensional"):
        stratified_split(np.zeros((10, 1)), np.zeros((10, 2)))


# -- parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "test_size", [0, 0.0, 1, 1.0, -0.3, 1.5, math.nan, math.inf, True, "0.3", 3]
)
def test_test_size_outside_zero_one_is_a_spec_error(test_size: object) -> None:
    X, y = _frame()
    with pytest.raises(SpecError, match="test_size"):
        stratified_split(X, y, test_size=test_size)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "42", True, np.random.default_rng(0)])
def test_random_state_must_be_a_seed(seed: object) -> None:
    X, y = _frame()
    with pytest.raises(SpecError, match="random_state"):
        stratified_split(X, y, random_state=seed)  # type: ignore[arg-type]


def test_random_state_takes_what_train_test_split_takes() -> None:
    """None and a RandomState were accepted before the checks; they still are."""
    X, y = _frame()
    stratified_split(X, y, random_state=None)  # type: ignore[arg-type]
    a = stratified_split(X, y, random_state=np.random.RandomState(3))  # type: ignore[arg-type]
    b = stratified_split(X, y, random_state=np.random.RandomState(3))  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a[1], b[1])


@given(
    test_size=st.one_of(st.floats(allow_nan=True), st.integers(-3, 3), st.booleans()),
    seed=st.one_of(st.integers(-(2**40), 2**40), st.floats(), st.booleans()),
    labels=st.lists(st.sampled_from([0, 1, 2, None, 0.5, True]), max_size=15),
)
def test_bad_input_never_leaks_an_untyped_error(
    test_size: object, seed: object, labels: list[object]
) -> None:
    X = pd.DataFrame({"a": range(len(labels))})
    try:
        stratified_split(X, pd.Series(labels, dtype=object), test_size=test_size, random_state=seed)  # type: ignore[arg-type]
    except ThinfileError:
        pass
