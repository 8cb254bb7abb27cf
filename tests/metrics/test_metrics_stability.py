"""PSI / CSI: binning, zero cells, categorical and missing values, flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, SchemaError, SpecError
from thinfile_credit.metrics import csi, psi, psi_flag


def test_psi_hand_example_with_given_edges():
    ref = [1, 2, 3, 4]  # shares 0.5 / 0.5 on edge 2.5
    cur = [1, 3, 4, 5]  # shares 0.25 / 0.75
    r = psi(ref, cur, bins=[2.5])
    expected = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)
    assert r.value == pytest.approx(expected)
    assert r.table["ref_share"].tolist() == [0.5, 0.5]
    assert r.table["bin"].tolist() == ["(-inf, 2.5]", "(2.5, inf]"]


def test_psi_default_bins_are_reference_deciles():
    ref = np.arange(1000.0)
    r = psi(ref, ref)
    assert r.value == 0.0
    assert len(r.table) == 10
    assert r.table["ref_share"].tolist() == pytest.approx([0.1] * 10)
    assert r.flag == "stable"


def test_zero_cell_floor_is_epsilon():
    r = psi([1, 1, 2, 2], [1, 1, 1, 1], bins=[1.5], epsilon=1e-4)
    expected = (1 - 0.5) * np.log(1 / 0.5) + (1e-4 - 0.5) * np.log(1e-4 / 0.5)
    assert r.value == pytest.approx(expected)
    assert np.isfinite(r.value)


def test_tied_feature_gets_fewer_bins_and_missing_bin():
    ref = np.array([0.0] * 70 + [1.0] * 20 + [np.nan] * 10)
    cur = np.array([0.0] * 50 + [1.0] * 20 + [np.nan] * 30)
    r = psi(ref, cur)
    assert r.table["bin"].tolist() == ["(-inf, 0]", "(0, inf]", "missing"]
    assert r.table["ref_share"].tolist() == pytest.approx([0.7, 0.2, 0.1])
    assert r.table["cur_share"].tolist() == pytest.approx([0.5, 0.2, 0.3])


def test_categorical_psi_with_new_category():
    r = psi(["a", "a", "b", "b"], ["a", "b", "c", None])
    assert r.table["bin"].tolist() == ["a", "b", "c", "missing"]
    assert r.table["ref_share"].tolist() == [0.5, 0.5, 0, 0]
    assert r.flag == "significant"


def test_weighted_psi_equals_repeated_rows():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=200).round(1)
    cur = rng.normal(0.3, 1, size=150).round(1)
    wr = rng.integers(1, 4, 200)
    wc = rng.integers(1, 4, 150)
    a = psi(ref, cur, reference_weight=wr, current_weight=wc)
    b = psi(np.repeat(ref, wr), np.repeat(cur, wc))
    assert a.value == pytest.approx(b.value)


@given(st.lists(st.floats(-100, 100), min_size=5, max_size=100), st.integers(1, 20))
def test_psi_properties(values, bins):
    ref = np.array(values)
    assert psi(ref, ref, bins=bins).value == pytest.approx(0.0, abs=1e-12)
    shifted = psi(ref, ref + 1000, bins=bins).value
    assert shifted >= 0


def test_flags_at_conventional_thresholds():
    assert [psi_flag(v) for v in (0.0, 0.0999, 0.10, 0.2499, 0.25, np.inf)] == [
        "stable",
        "stable",
        "moderate",
        "moderate",
        "significant",
        "significant",
    ]


@pytest.mark.parametrize("make", [pd.DataFrame, pl.DataFrame, pa.table])
def test_csi_frames_in_kind(make):
    rng = np.random.default_rng(1)
    ref = make(
        {
            "age": rng.integers(18, 70, 2000).tolist(),
            "city": rng.choice(["a", "b", "c"], 2000).tolist(),
            "flag": rng.integers(0, 2, 2000).tolist(),
        }
    )
    cur = make(
        {
            "age": rng.integers(30, 80, 2000).tolist(),
            "city": rng.choice(["a", "b", "c"], 2000).tolist(),
            "flag": rng.integers(0, 2, 2000).tolist(),
        }
    )
    out = csi(ref, cur, categorical=["flag"])
    assert type(out) is type(ref)
    tidy = pl.from_arrow(out) if isinstance(out, pa.Table) else pl.DataFrame(out)
    rows = {r["feature"]: r for r in tidy.to_dicts()}
    assert rows["age"]["flag"] == "significant"
    assert rows["city"]["kind"] == "categorical"
    assert rows["city"]["flag"] == "stable"
    assert rows["flag"]["kind"] == "categorical"
    assert rows["flag"]["n_bins"] == 2
    assert tidy["psi"].to_list() == sorted(tidy["psi"].to_list(), reverse=True)


def test_stability_bad_input():
    with pytest.raises(DataError, match="no rows") as info:
        psi([], [1.0])
    assert info.value.column == "reference"
    with pytest.raises(SpecError, match="epsilon"):
        psi([1.0], [1.0], epsilon=0)
    with pytest.raises(SpecError, match="increasing"):
        psi([1.0], [1.0], bins=[2, 1])
    with pytest.raises(DataError, match="non-negative") as info:
        psi([1.0, 2.0], [1.0], reference_weight=[1, -1])
    assert info.value.column == "reference_weight"
    with pytest.raises(SchemaError, match="not found") as info:
        csi(pd.DataFrame({"a": [1]}), pd.DataFrame({"b": [1]}), features=["a"])
    assert info.value.table == "current"


def test_left_closed_bins_match_policy_cutoffs():
    ref = [590, 600, 600, 610]
    cur = [600, 600, 600, 600]
    right = psi(ref, cur, bins=[600])
    left = psi(ref, cur, bins=[600], closed="left")
    assert right.table["bin"].tolist() == ["(-inf, 600]", "(600, inf]"]
    assert right.table["ref_share"].tolist() == [0.75, 0.25]
    assert left.table["bin"].tolist() == ["[-inf, 600)", "[600, inf)"]
    assert left.table["ref_share"].tolist() == [0.25, 0.75]
    assert left.table["cur_share"].tolist() == [0.0, 1.0]
    many = np.linspace(0, 1, 200)[1:-1]  # more edges than the small-integer path takes
    x = np.random.default_rng(0).random(500)
    for closed in ("right", "left"):
        fast = psi(x, x[::-1], bins=list(many[:50]), closed=closed).table["ref_count"]
        slow = psi(x, x[::-1], bins=list(many), closed=closed).table["ref_count"]
        assert fast.sum() == slow.sum() == 500
    with pytest.raises(SpecError, match="closed"):
        psi([1.0], [1.0], closed="both")


# -- mixed kinds, infinities and the missing label ----------------------------------------


@pytest.mark.parametrize("make", [pd.DataFrame, pl.DataFrame])
def test_csi_numeric_reference_text_current_is_a_schema_error(make):
    ref = make({"score": [1.0, 2.0, 3.0, 4.0], "income": [1.0, 2.0, 3.0, 4.0]})
    cur = make({"score": [1.0, 2.0, 3.0, 4.0], "income": ["1", "2", "n/a", "4"]})
    with pytest.raises(SchemaError, match=r"numeric .* in reference but text") as info:
        csi(ref, cur)
    assert (info.value.table, info.value.column, info.value.rows) == ("current", "income", [2])
    # even when every string parses: text is never converted silently
    parses = make({"score": [1.0, 2.0, 3.0, 4.0], "income": ["1", "2", "3", "4"]})
    with pytest.raises(SchemaError, match="never converted") as info:
        csi(ref, parses)
    assert (info.value.table, info.value.column, info.value.rows) == (
        "current",
        "income",
        [0, 1, 2, 3],
    )
    # the other way round, and numbers against booleans, too
    with pytest.raises(SchemaError, match=r"text .* in reference but numeric") as info:
        csi(parses, ref)
    assert (info.value.table, info.value.column) == ("current", "income")
    flags = make({"income": [True, False, True, True]})
    with pytest.raises(SchemaError, match="boolean") as info:
        csi(ref, flags, features=["income"])
    assert info.value.column == "income"


def test_csi_all_null_column_fits_any_kind():
    ref = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    cur = pd.DataFrame({"x": [None, None, None, None]}, dtype=object)
    out = csi(ref, cur)
    assert out["cur_missing_share"].tolist() == [1.0]


def test_psi_rejects_infinite_values():
    with pytest.raises(DataError, match="infinite") as info:
        psi([1.0, 2.0, 3.0, np.inf], [1.0, 2.0, 3.0, 4.0], bins=2)
    assert (info.value.column, info.value.rows) == ("reference", [3])
    with pytest.raises(DataError, match="infinite") as info:
        psi([1.0, 2.0, 3.0, 4.0], [-np.inf, 2.0, 3.0, 4.0], bins=[2.5])
    assert (info.value.column, info.value.rows) == ("current", [0])
    # NaN is still a missing value, not an error
    assert psi([1.0, np.nan], [1.0, 2.0], bins=[1.5]).table["bin"].tolist()[-1] == "missing"
    with pytest.raises(DataError, match="infinite") as info:
        csi(pd.DataFrame({"x": [1.0, 2.0]}), pl.DataFrame({"x": [1.0, float("-inf")]}))
    assert (info.value.table, info.value.column, info.value.rows) == ("current", "x", [1])


def test_psi_numbers_against_text_is_an_error():
    with pytest.raises(DataError, match="text") as info:
        psi([1.0, 2.0, 3.0], ["1", "2", "x"])
    assert info.value.column == "current"
    with pytest.raises(DataError, match="text") as info:
        psi(np.array(["a", None, "b"], dtype=object), [1, 2, 3])
    assert (info.value.column, info.value.rows) == ("reference", [0, 2])
    # asked for explicitly as categories, 1 and "1" are still not one category
    with pytest.raises(DataError, match="text") as info:
        psi([1, 2], ["1", "2"], categorical=True)
    assert (info.value.column, info.value.rows) == ("current", [0, 1])
    with pytest.raises(DataError, match="numeric bins need numbers") as info:
        psi(["a", "b"], ["a", "b"], categorical=False)
    assert info.value.column == "reference"


@pytest.mark.parametrize("make", [pd.DataFrame, pl.DataFrame])
def test_a_category_called_missing_is_not_the_missing_bin(make):
    r = psi(["a", "missing", None, "a"], ["a", "missing", "missing", "a"])
    assert r.table["bin"].tolist() == ["a", "missing", "<missing>"]
    assert r.table["ref_count"].tolist() == [2, 1, 1]
    assert r.table["cur_count"].tolist() == [2, 2, 0]
    ref = make({"c": ["a", "missing", None, "a"]})
    cur = make({"c": ["a", "missing", "missing", "a"]})
    out = pl.DataFrame(csi(ref, cur))
    assert out["ref_missing_share"].to_list() == [0.25]
    assert out["cur_missing_share"].to_list() == [0.0]
    assert out["n_bins"].to_list() == [3]
