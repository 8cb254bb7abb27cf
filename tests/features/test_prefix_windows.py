"""Window aggregates as segment prefixes (_segments._Prefix) equal the masked path."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from _feat_gen import make_tables
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.features import FeatureBuilder
from thinfile_credit.features import _segments as seg
from thinfile_credit.features._segments import (
    _Prefix,
    _reduce,
    _window_column,
    _window_of,
    _Windows,
)
from thinfile_credit.features.pit import within


@settings(max_examples=80)
@given(
    sizes=st.lists(st.integers(0, 6), min_size=1, max_size=8),
    n_windows=st.integers(1, 4),
    data=st.data(),
)
def test_prefix_reductions_equal_masked_reductions(
    sizes: list[int], n_windows: int, data: st.DataObject
) -> None:
    sizes = [s for s in sizes if s] or [1]
    n = sum(sizes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.intp)
    seg_of_row = np.repeat(np.arange(len(sizes)), sizes)
    raw = data.draw(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), min_size=n, max_size=n))
    v = np.array([np.nan if x is None else x for x in raw])
    valid = ~np.isnan(v)
    # nested prefixes of each segment (narrowest first), possibly empty or whole
    lengths = [sorted(data.draw(st.integers(0, s)) for _ in range(n_windows)) for s in sizes]
    his = [starts + np.array([ls[j] for ls in lengths]) for j in range(n_windows)]
    pre = _Prefix(v, valid, _Windows(starts, his))
    for j, hi in enumerate(his):
        mask = np.arange(n) < np.repeat(hi, sizes)
        present = valid & mask
        count = np.add.reduceat(present, starts, dtype=np.int64)
        for kind in ("count", "sum", "mean", "max", "min"):
            want = _reduce(kind, v, False, present, count, starts, seg_of_row, None)
            got = pre.reduce(kind, j)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-6, equal_nan=True)


def test_window_masks_are_recognised() -> None:
    assert _window_of(within("ordered_at", 30)) == "ordered_at"
    assert _window_of(within("ordered_at", 30) & within("ordered_at", 90)) is None
    plan = FeatureBuilder()._plan()
    assert _window_column(plan.sources["orders"]) == "ordered_at"


@pytest.mark.parametrize("seed", [3, 4])
def test_build_with_prefix_windows_equals_masked_build(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = make_tables(n_users=60, seed=seed, apps_per_user=3)
    fb = FeatureBuilder()
    fast = fb.build(tables)
    monkeypatch.setattr(seg, "_window_column", lambda sp: None)
    slow = fb.build(tables)
    for name in fb.feature_names_:
        a = fast[name].to_numpy()
        b = slow[name].to_numpy()
        ok = np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
        assert ok.all(), (name, a[~ok][:3], b[~ok][:3])
    assert fast.select(pl.col("application_id")).equals(slow.select(pl.col("application_id")))


@pytest.mark.parametrize("chunk_rows", [1, 7, 64])
def test_chunked_reduction_equals_one_pass(
    monkeypatch: pytest.MonkeyPatch, chunk_rows: int
) -> None:
    """Cuts reduced a few applications at a time give the one-pass numbers.

    Equal up to summation order: NumPy's SIMD sums may group a segment's terms
    differently at another memory offset (a last-bit difference).
    """
    tables = make_tables(n_users=40, seed=5)
    whole = FeatureBuilder().build(tables)
    monkeypatch.setattr(seg, "CHUNK_ROWS", chunk_rows)
    chunked = FeatureBuilder().build(tables)
    assert chunked.columns == whole.columns
    assert chunked["application_id"].to_list() == whole["application_id"].to_list()
    for name in whole.columns[1:]:
        if whole[name].dtype.is_numeric():
            np.testing.assert_allclose(
                chunked[name].to_numpy(), whole[name].to_numpy(), rtol=1e-12, err_msg=name
            )
        else:
            assert chunked[name].to_list() == whole[name].to_list(), name
