"""Window aggregates as segment prefixes (_windows._Prefix) equal the masked path."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import polars as pl
import pytest
from _feat_gen import make_tables
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.features import FeatureBuilder, _blocks, _fused
from thinfile_credit.features import _segments as seg
from thinfile_credit.features._blocks import _reduce
from thinfile_credit.features._expr import agg, col
from thinfile_credit.features._windows import (
    _Axis,
    _Prefix,
    _window_column,
    _window_of,
    _Windows,
)
from thinfile_credit.features.pit import due_within, is_due, within
from thinfile_credit.features.spec import FeatureDef, FeatureFamily


@dataclass(frozen=True)
class _PeerWindows(FeatureFamily):
    """Windows over the neighbours' bills: their cut is not in window bands."""

    prefix = "pw"
    family = "pw"

    def features(self) -> list[FeatureDef]:
        due = col("amount_due")
        return [
            self._def(
                "pw_n30",
                30,
                "x",
                "count",
                "neutral",
                agg("count", "peer_bills", due, due_within(30)),
            ),
            self._def(
                "pw_sum90",
                90,
                "x",
                "yuan",
                "neutral",
                agg("sum", "peer_bills", due, due_within(90)),
            ),
            self._def(
                "pw_max90",
                90,
                "x",
                "yuan",
                "neutral",
                agg("max", "peer_bills", due, due_within(90)),
            ),
        ]


def _plain(kind: str, x: np.ndarray) -> float:
    """The aggregate of one segment's kept values, written with plain NumPy."""
    if kind == "count":
        return float(x.size)
    if kind == "sum":
        return float(x.sum())
    if kind == "nunique":
        return float(np.unique(x).size)
    if kind == "std":
        return float(np.std(x, ddof=1)) if x.size > 1 else np.nan
    if x.size == 0:
        return np.nan
    return float({"mean": np.mean, "max": np.max, "min": np.min, "median": np.median}[kind](x))


@settings(max_examples=80)
@given(
    sizes=st.lists(st.integers(1, 9), min_size=1, max_size=8),
    masked=st.booleans(),
    data=st.data(),
)
def test_segment_reductions_equal_plain_numpy(
    sizes: list[int], masked: bool, data: st.DataObject
) -> None:
    n = sum(sizes)
    bounds = np.r_[0, np.cumsum(sizes)]
    values = st.one_of(st.none(), st.floats(-1e6, 1e6), st.sampled_from([0.0, 1.0, 2.5]))
    raw = data.draw(st.lists(values, min_size=n, max_size=n))
    v = np.array([np.nan if x is None else x for x in raw])
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    keep = ~np.isnan(v) & (mask if masked else True)
    for kind in ("count", "sum", "mean", "max", "min", "std", "median", "nunique"):
        got = _reduce(kind, v, False, mask if masked else None, bounds)
        want = [_plain(kind, v[lo:hi][keep[lo:hi]]) for lo, hi in itertools.pairwise(bounds)]
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-6, equal_nan=True, err_msg=kind)


def test_segment_reductions_reject_bad_kinds() -> None:
    bounds = np.array([0, 2])
    v = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="unknown aggregation"):
        _reduce("mode", v, False, None, bounds)
    with pytest.raises(ValueError, match="text values"):
        _reduce("mean", v, True, None, bounds)
    assert _reduce("nunique", v, True, None, bounds).tolist() == [2.0]


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
    bounds = np.r_[starts, n]
    raw = data.draw(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), min_size=n, max_size=n))
    v = np.array([np.nan if x is None else x for x in raw])
    # nested prefixes of each segment (narrowest first), possibly empty or whole
    lengths = [sorted(data.draw(st.integers(0, s)) for _ in range(n_windows)) for s in sizes]
    his = [starts + np.array([ls[j] for ls in lengths]) for j in range(n_windows)]
    pre = _Prefix(v, _Windows(starts, his))
    for j, hi in enumerate(his):
        mask = np.arange(n) < np.repeat(hi, sizes)
        for kind in ("count", "sum", "mean", "max", "min", "std", "median", "nunique"):
            want = _reduce(kind, v, False, mask, bounds)
            got = pre.reduce(kind, j)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-6, equal_nan=True)


def test_window_masks_are_recognised() -> None:
    assert _window_of(within("ordered_at", 30)) == _Axis("ordered_at")
    assert _window_of(within("ordered_at", 30) & within("ordered_at", 90)) is None
    assert _window_of(due_within(30)) == _Axis("due_at", due=True)
    assert _window_of(due_within(30, "paid_at")) == _Axis("paid_at", due=True)
    assert _window_of(is_due() & within("paid_at", 30)) is None
    plan = FeatureBuilder()._plan()
    assert _window_column(plan.sources["orders"]) == _Axis("ordered_at")
    assert _window_column(plan.sources["bills"]) == _Axis("due_at", due=True)


@pytest.mark.parametrize("seed", [3, 4])
def test_build_with_prefix_windows_equals_masked_build(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_fused, "ENABLED", False)  # these windows are the block engine's
    tables = make_tables(n_users=60, seed=seed, apps_per_user=3)
    fb = FeatureBuilder([*FeatureBuilder().families_, _PeerWindows()])
    fast = fb.build(tables)
    monkeypatch.setattr(seg, "_window_column", lambda sp: None)
    slow = fb.build(tables)
    for name in fb.feature_names_:
        a = fast[name].to_numpy()
        b = slow[name].to_numpy()
        ok = np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
        assert ok.all(), (name, a[~ok][:3], b[~ok][:3])
    assert fast.select(pl.col("application_id")).equals(slow.select(pl.col("application_id")))


@pytest.mark.parametrize("kernels", [False, True])
@pytest.mark.parametrize("chunk_rows", [1, 7, 64])
def test_chunked_reduction_equals_one_pass(
    monkeypatch: pytest.MonkeyPatch, chunk_rows: int, kernels: bool
) -> None:
    """Cuts reduced a few applications at a time give the one-pass numbers, in the
    block engine and in the generated kernels (blocks of ``4 * CHUNK_ROWS`` rows).

    Equal up to summation order: NumPy's SIMD sums may group a segment's terms
    differently at another memory offset (a last-bit difference).
    """
    monkeypatch.setattr(_fused, "ENABLED", kernels)
    tables = make_tables(n_users=40, seed=5)
    whole = FeatureBuilder().build(tables)
    monkeypatch.setattr(_blocks, "CHUNK_ROWS", chunk_rows)
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
