"""The public-dataset loaders on the real files in ../shared/data (skipped when absent)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from thinfile_credit.datasets import (
    PUBLIC_DATASETS,
    load_german_credit,
    load_public,
    stratified_split,
)
from thinfile_credit.errors import DataError

pytestmark = pytest.mark.realdata

# name -> (rows, feature columns, bad rate) of the files in ../shared/data
EXPECTED = {
    "give_me_some_credit": (119_877, 10, 0.0673),
    "heloc": (8_385, 23, 0.5200),
    "taiwan_default": (24_110, 23, 0.2202),
    "german_credit": (789, 20, 0.3042),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shapes_and_target(name: str, shared_data: Callable[[str], Path]) -> None:
    X, y = load_public(name, shared_data(name))
    rows, cols, bad_rate = EXPECTED[name]
    assert X.shape == (rows, cols)
    assert len(y) == rows
    assert y.name == "bad"
    assert y.dtype == np.int64
    assert set(y.unique()) == {0, 1}
    assert y.mean() == pytest.approx(bad_rate, abs=5e-4)
    spec = PUBLIC_DATASETS[name]
    assert spec.target not in X.columns
    assert not set(spec.drop) & set(X.columns)
    assert isinstance(X.index, pd.RangeIndex)
    numeric = X.select_dtypes("number")
    assert all(dtype == np.float64 for dtype in numeric.dtypes)
    if not spec.categorical:
        assert numeric.shape[1] == cols


def test_special_codes_are_kept(shared_data: Callable[[str], Path]) -> None:
    X, _ = load_public("heloc", shared_data("heloc"))
    values = set(np.unique(X.to_numpy()))
    assert {-9.0, -8.0, -7.0} <= values  # binning treats them as Special values


def test_missing_values_are_kept(shared_data: Callable[[str], Path]) -> None:
    X, _ = load_public("give_me_some_credit", shared_data("give_me_some_credit"))
    assert X["MonthlyIncome"].isna().sum() > 0


def test_german_folder_equals_the_bundled_copy(shared_data: Callable[[str], Path]) -> None:
    X, y = load_public("german_credit", shared_data("german_credit"))
    Xb, yb = load_german_credit(decode=False)
    pd.testing.assert_frame_equal(X, Xb)
    pd.testing.assert_series_equal(y, yb)


def test_stratified_split_keeps_the_bad_rate(shared_data: Callable[[str], Path]) -> None:
    X, y = load_public("taiwan_default", shared_data("taiwan_default"))
    Xtr, Xte, ytr, yte = stratified_split(X, y)
    assert len(Xtr) + len(Xte) == len(X)
    assert len(Xte) == pytest.approx(0.3 * len(X), abs=1)
    assert ytr.mean() == pytest.approx(y.mean(), abs=1e-3)
    assert yte.mean() == pytest.approx(y.mean(), abs=1e-3)
    again = stratified_split(X, y)
    pd.testing.assert_frame_equal(Xte, again[1])


def test_unknown_name() -> None:
    with pytest.raises(DataError, match="unknown public dataset 'nope'"):
        load_public("nope", ".")


def test_missing_file_names_the_dataset(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"heloc: file not found"):
        load_public("heloc", tmp_path)


def test_missing_target_column(tmp_path: Path) -> None:
    pd.DataFrame({"a": [1, 2]}).to_csv(tmp_path / "heloc_dataset_v1.csv", index=False)
    with pytest.raises(DataError, match=r"heloc\.RiskPerformance: target column missing"):
        load_public("heloc", tmp_path)
