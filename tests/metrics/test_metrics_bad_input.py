"""Bad input to the metrics: categories under the scorecard's text rule, never merged across
kinds, and text never read where numbers are meant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.metrics import (
    adverse_impact_ratio,
    bootstrap_ci,
    brier_score,
    calibration_table,
    csi,
    gini,
    lift_table,
    psi,
    score_band_table,
)
from thinfile_credit.metrics._validation import as_1d

codes = st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=40)


def _as_dtype(values: list[int], dtype: str, with_nan: bool) -> pd.Series:
    """The same codes as pandas holds them in ``dtype`` (float64 once a NaN joins them)."""
    s = pd.Series(values + ([None] if with_nan else []), dtype="Int64")
    if dtype == "float64":
        return s.astype("float64")
    if dtype == "object":
        return pd.Series([None if v is pd.NA else int(v) for v in s], dtype=object)
    return s if with_nan else s.astype(dtype)


@settings(max_examples=60, deadline=None)
@given(
    codes,
    st.sampled_from(["Int64", "int64", "float64", "object"]),
    st.sampled_from(["Int64", "int64", "float64", "object"]),
    st.booleans(),
)
def test_psi_of_a_categorical_sample_against_itself_is_zero_whatever_its_dtype(
    values: list[int], ref_dtype: str, cur_dtype: str, with_nan: bool
) -> None:
    ref = _as_dtype(values, ref_dtype, with_nan and ref_dtype != "int64")
    cur = _as_dtype(values, cur_dtype, with_nan and ref_dtype != "int64")
    r = psi(ref, cur, categorical=True)
    assert r.value == 0.0
    assert r.flag == "stable"
    assert [b for b in r.table["bin"] if b != "missing"] == sorted({str(v) for v in values})


@settings(max_examples=30, deadline=None)
@given(codes, st.booleans())
def test_csi_of_a_numeric_code_column_against_itself_is_zero_with_a_nan(
    values: list[int], polars_frames: bool
) -> None:
    ref = pd.DataFrame({"province": pd.Series([*values, None], dtype="Int64")})
    cur = pd.DataFrame({"province": ref["province"].astype("float64")})  # 11 -> 11.0
    if polars_frames:
        ref, cur = pl.from_pandas(ref), pl.from_pandas(cur)
    out = pl.DataFrame(csi(ref, cur, categorical=["province"]))
    assert out["psi"].to_list() == [0.0]
    assert out["n_bins"].to_list() == [len(set(values)) + 1]


def test_reviewers_int64_against_float64_codes_are_the_same_categories() -> None:
    same = [11, 12, 11, 12] * 50
    r = psi(pd.Series(same, dtype="Int64"), pd.Series(same, dtype="int64"), categorical=True)
    assert (r.value, r.table["bin"].tolist()) == (0.0, ["11", "12"])
    r = psi(np.array(same, dtype=np.int64), np.array(same, dtype=float), categorical=True)
    assert r.value == 0.0


def test_categorical_ids_beyond_2_53_keep_every_digit() -> None:
    ref = pd.Series([2**60, 2**60 + 1, None], dtype="Int64")
    cur = pd.Series([2**60 + 1, 2**60 + 1, 2**60 + 1], dtype="Int64")
    r = psi(ref, cur, categorical=True)
    assert r.table["bin"].tolist() == [str(2**60), str(2**60 + 1), "missing"]
    ref_df, cur_df = pl.DataFrame({"x": [2**60, None]}), pl.DataFrame({"x": [2**60 + 1, 2**60]})
    out = csi(ref_df, cur_df, categorical=["x"])
    assert pl.DataFrame(out)["n_bins"].to_list() == [3]


@pytest.mark.parametrize("categorical", [None, True, False])
def test_psi_numbers_against_number_text_is_an_error_never_a_merge(categorical) -> None:
    with pytest.raises(DataError, match="text") as info:
        psi(np.array([1, 2] * 5), np.array(["1", "2"] * 5), categorical=categorical)
    assert (info.value.column, info.value.rows) == ("current", [0, 1, 2, 3, 4])
    with pytest.raises(DataError, match="text") as info:
        psi(np.array(["1", None, "2"], dtype=object), [1.0, 2.0, 3.0], categorical=categorical)
    assert (info.value.column, info.value.rows) == ("reference", [0, 2])


def test_psi_text_beside_numbers_in_one_sample_is_an_error() -> None:
    # a list: NumPy alone would make ["1", "1"] of it
    with pytest.raises(DataError, match="beside numbers") as info:
        psi([1, "1", 2], [1, 2, 2], categorical=True)
    assert (info.value.column, info.value.rows) == ("reference", [1])


@pytest.mark.parametrize("categorical", [None, True, False])
def test_psi_booleans_against_numbers_is_an_error(categorical) -> None:
    with pytest.raises(DataError, match="booleans") as info:
        psi(np.array([True, False] * 50), np.array([1, 0] * 50), categorical=categorical)
    assert (info.value.column, info.value.rows) == ("reference", [0, 1, 2, 3, 4])


def test_booleans_are_categories_1_and_0_whatever_the_container() -> None:
    r = psi(pd.Series([True, None, False], dtype="boolean"), np.array([True, False, False]))
    assert r.table["bin"].tolist() == ["0", "1", "missing"]
    r = psi(pd.Series([True, False], dtype="boolean"), np.array([True, False]))
    assert r.value == 0.0


def test_psi_numeric_bins_never_read_text() -> None:
    with pytest.raises(DataError, match="numeric bins need numbers") as info:
        psi(np.array(["610", "620"], dtype=object), ["610", "620"], categorical=False)
    assert (info.value.column, info.value.rows) == ("reference", [0, 1])


def test_adverse_impact_ratio_groups_by_category_text() -> None:
    t = adverse_impact_ratio([1, 0, 1, 1], pd.Series([1, 1.0, 2, 2], dtype=object))
    assert t["group"].tolist() == [1, 2]  # 1 and 1.0 are one group, shown as first given
    assert t["count"].tolist() == [2.0, 2.0]
    t = adverse_impact_ratio([1, 0, 1, 1], [0, 0, 1, 1], reference_group=np.int64(1))
    assert (t["reference_group"].tolist(), t["ratio"].tolist()) == ([1, 1], [0.5, 1.0])


def test_adverse_impact_ratio_reports_groups_by_the_values_given() -> None:
    """Lookups by the caller's own values (``t[t.group == True]``) keep working."""
    t = adverse_impact_ratio([1, 0, 1, 1], [False, False, True, True])
    assert t["group"].tolist() == [False, True]
    assert len(t[t["group"] == True]) == 1  # noqa: E712 - the caller's own lookup
    t = adverse_impact_ratio([1, 0, 1, 1, 0, 1], ["a", "a", "b", "b", None, None])
    # a missing group is kept apart, shown by its label
    assert t["group"].tolist() == ["a", "b", "missing"]
    assert t["count"].tolist() == [2.0, 2.0, 2.0]
    assert t["approval_rate"].tolist() == [0.5, 1.0, 0.5]


@pytest.mark.parametrize(
    ("group", "rows", "what"),
    [
        ([1, "1", 1, "1"], [1, 3], "text"),  # a list NumPy would make all text
        (np.array([1, "1", 1, "1"], dtype=object), [1, 3], "text"),
        ([True, 1, 2, 2.0], [0], "booleans"),  # a list NumPy would make all integers
    ],
)
def test_adverse_impact_ratio_refuses_text_or_booleans_beside_numbers(group, rows, what) -> None:
    with pytest.raises(DataError, match=what) as info:
        adverse_impact_ratio([1, 0, 1, 0], group)
    assert (info.value.column, info.value.rows) == ("group", rows)


def test_adverse_impact_ratio_refuses_a_text_reference_for_numeric_groups() -> None:
    with pytest.raises(DataError, match="text") as info:
        adverse_impact_ratio([1, 0, 1, 0], [1, 1, 2, 2], reference_group="2")
    assert (info.value.column, info.value.rows) == ("reference_group", [0])


@pytest.mark.parametrize(
    ("call", "column", "rows"),
    [
        (lambda: gini([0, 1, 0, 1], ["610", "620", "630", "640"]), "score", [0, 1, 2, 3]),
        (lambda: gini([0, 1, 0, 1], [610, 620, "630", 640]), "score", [2]),
        (lambda: gini(["0", "1", "0", "1"], [1, 2, 3, 4]), "y_true", [0, 1, 2, 3]),
        (
            lambda: gini([0, 1, 0, 1], [1, 2, 3, 4], sample_weight=[1, "1", 1, 1]),
            "sample_weight",
            [1],
        ),
        (lambda: brier_score([0, 1], np.array(["0.1", "0.2"], dtype=object)), "pd", [0, 1]),
        (lambda: lift_table([0, 1], np.array(["0.1", 0.2], dtype=object)), "score", [0]),
        (
            lambda: score_band_table(np.array([600, "610"], dtype=object), bands=[605]),
            "score",
            [1],
        ),
        (
            lambda: gini([0, 1], np.array(["2024-01-01", "2024-02-01"], dtype="datetime64[D]")),
            "score",
            [0, 1],
        ),
    ],
)
def test_metrics_never_read_text_as_numbers(call, column, rows) -> None:
    with pytest.raises(DataError, match="never read as a number") as info:
        call()
    assert (info.value.column, info.value.rows) == (column, rows)


def test_as_1d_keeps_lists_mixing_kinds_as_their_own_values() -> None:
    assert as_1d([1, "1"], "g").tolist() == [1, "1"]
    assert as_1d([True, 2], "g").tolist() == [True, 2]
    assert as_1d([1, 2.5], "g").dtype == np.float64  # numbers alone: as NumPy reads them
    assert as_1d(["a", "b"], "g").dtype.kind == "U"


_S = [0.1, 0.9, 0.3, 0.6]
_FRAME = pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", "y", "x"]})


@pytest.mark.parametrize(
    ("call", "setting"),
    [
        (lambda: psi(_S, _S, bins="x"), "bins"),
        (lambda: psi(_S, _S, bins=[0.2, "0.5"]), "bins"),  # text is not an edge
        (lambda: psi(_S, _S, bins=True), "bins"),
        (lambda: psi(["a"], ["b"], bins="x"), "bins"),  # unused on categories, still wrong
        (lambda: psi(_S, _S, epsilon="x"), "epsilon"),
        (lambda: psi(_S, _S, epsilon=float("nan")), "epsilon"),
        (lambda: psi(_S, _S, closed=np.array(["left", "right"])), "closed"),
        (lambda: csi(_FRAME, _FRAME, bins="x"), "bins"),
        (lambda: csi(_FRAME, _FRAME, epsilon="x"), "epsilon"),
        (lambda: score_band_table(_S, bands="x"), "bands"),
        (lambda: lift_table([0, 1, 0, 1], _S, n_bins="x"), "n_bins"),
        (lambda: calibration_table([0, 1, 0, 1], _S, n_bins=0), "n_bins"),
        (lambda: adverse_impact_ratio([1, 0], ["a", "b"], threshold="x"), "threshold"),
        (lambda: adverse_impact_ratio([1, 0], ["a", "b"], threshold=float("nan")), "threshold"),
        (lambda: bootstrap_ci([0, 1, 0, 1], _S, confidence="x"), "confidence"),
    ],
)
def test_bad_settings_are_spec_errors_naming_the_setting(call, setting) -> None:
    """Settings were refused with bare ValueError / TypeError (``"x" < 1.0``) before."""
    with pytest.raises(SpecError, match=setting):
        call()
