"""The compiled point-in-time cut (features._gather) against plainly written rules."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.features import _gather
from thinfile_credit.features import _segment_kernels as kernels

DAY = 86_400_000_000


@st.composite
def cuts(draw: st.DrawFn) -> dict[str, object]:
    n_users = draw(st.integers(1, 6))
    n_events = draw(st.integers(0, 40))
    n_queries = draw(st.integers(0, 12))
    times = st.one_of(st.none(), st.integers(0, 400)).map(
        lambda d: _gather.NULL_TIME if d is None else d * DAY
    )
    return {
        "event_users": draw(
            st.lists(st.integers(-1, n_users - 1), min_size=n_events, max_size=n_events)
        ),
        "cut_time": draw(st.lists(times, min_size=n_events, max_size=n_events)),
        "band_time": draw(st.lists(times, min_size=n_events, max_size=n_events)),
        "query_users": draw(
            st.lists(st.integers(-1, n_users - 1), min_size=n_queries, max_size=n_queries)
        ),
        "query_t": draw(
            st.lists(
                st.integers(1, 400).map(lambda d: d * DAY), min_size=n_queries, max_size=n_queries
            )
        ),
        "widths": sorted(set(draw(st.lists(st.sampled_from([30, 90, 180, 365]), max_size=4)))),
        "n_users": n_users,
    }


def _band(band_time: int, t: int, widths: list[int], due: bool) -> int:
    if band_time == _gather.NULL_TIME or (due and band_time >= t):
        return len(widths)
    for j, w in enumerate(widths):
        if t - band_time <= w * DAY:
            return j
    return len(widths)


@settings(max_examples=150, deadline=None)
@given(case=cuts(), in_order=st.booleans(), due=st.booleans())
def test_cut_index_keeps_exactly_the_events_before_t_band_by_band(
    case: dict[str, object], in_order: bool, due: bool
) -> None:
    eu = np.array(case["event_users"], dtype=np.int64)
    ct = np.array(case["cut_time"], dtype=np.int64)
    bt = np.array(case["band_time"], dtype=np.int64)
    qu = np.array(case["query_users"], dtype=np.int64)
    qt = np.array(case["query_t"], dtype=np.int64)
    widths: list[int] = case["widths"]  # type: ignore[assignment]
    w = np.array(widths, dtype=np.int64) * DAY
    index = _gather.cut_index(
        qu, qt, eu, int(case["n_users"]), ct, bt, w, due=due, in_order=in_order
    )
    rows = index.rows()
    assert rows.size == index.size
    seen = set()
    for i, q in enumerate(index.queries.tolist()):
        seen.add(q)
        mine = rows[index.start[i] : index.start[i + 1]].tolist()
        want = [e for e in range(eu.size) if eu[e] == qu[q] and qu[q] >= 0 and ct[e] < qt[q]]
        assert sorted(mine) == want
        bands = [_band(int(bt[e]), int(qt[q]), widths, due) for e in mine]
        assert bands == sorted(bands)
    # a query left out has no user with events
    for q in set(range(qu.size)) - seen:
        assert qu[q] < 0 or not (eu == qu[q]).any()
    if in_order:
        assert index.queries.tolist() == sorted(index.queries.tolist())


@settings(max_examples=100, deadline=None)
@given(
    counts=st.lists(st.integers(0, 7), min_size=1, max_size=30),
    max_rows=st.integers(1, 20),
    data=st.data(),
)
def test_blocks_cover_the_queries_in_order_and_respect_breaks(
    counts: list[int], max_rows: int, data: st.DataObject
) -> None:
    n = len(counts)
    breaks = np.array([True, *data.draw(st.lists(st.booleans(), min_size=n - 1, max_size=n - 1))])
    index = _gather.CutIndex(np.arange(n), np.r_[0, np.cumsum(counts)], ())
    blocks = index.blocks(max_rows, breaks)
    assert blocks[0][0] == 0
    assert blocks[-1][1] == n
    for (_, b), (c, _) in itertools.pairwise(blocks):
        assert b == c
    allowed = set(np.flatnonzero(breaks).tolist()) | {n}
    for first, last in blocks:
        assert last > first
        assert first in allowed
        assert last in allowed
        rows = int(index.start[last] - index.start[first])
        # over the limit only when no allowed end comes earlier
        if rows > max_rows:
            assert not any(first < p < last for p in allowed)


@pytest.mark.parametrize(
    ("queries", "events"),
    [
        (pl.Series([5, 7, 5]), pl.Series([7, 9, 5, 5, 11])),  # compact integers
        (pl.Series([5, 10**15]), pl.Series([10**15, 3, 5])),  # sparse integers
        (pl.Series(["a", "b"]), pl.Series(["b", "z", "a", None])),  # text
    ],
)
def test_user_codes_match_equal_ids_and_mark_absent_users(
    queries: pl.Series, events: pl.Series
) -> None:
    q, e, n = _gather.user_codes(queries, events)
    assert q.min() >= 0
    assert q.max() < n
    for i, u in enumerate(events.to_list()):
        hit = [j for j, v in enumerate(queries.to_list()) if v == u]
        if hit:
            assert e[i] == q[hit[0]]
        else:
            assert e[i] == -1


@settings(max_examples=100, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 9), min_size=1, max_size=8),
    data=st.data(),
)
def test_distinct_of_segment_keeps_the_first_row_of_each_code_in_code_order(
    sizes: list[int], data: st.DataObject
) -> None:
    n = sum(sizes)
    bounds = np.r_[0, np.cumsum(sizes)]
    codes = np.array(data.draw(st.lists(st.integers(-1, 4), min_size=n, max_size=n)), np.int64)
    rows = kernels.distinct_of_segment(bounds, codes)
    expected = []
    for lo, hi in itertools.pairwise(bounds):
        seg = codes[lo:hi].tolist()
        expected += [lo + seg.index(c) for c in sorted(set(seg)) if c >= 0]
    assert rows.tolist() == expected


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 40),
    kind=st.sampled_from(["sum", "max"]),
    data=st.data(),
)
def test_over_kernel_equals_polars_over(n: int, kind: str, data: st.DataObject) -> None:
    key = np.array(data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)), np.int64)
    raw = data.draw(st.lists(st.one_of(st.none(), st.floats(-1e3, 1e3)), min_size=n, max_size=n))
    v = np.array([np.nan if x is None else x for x in raw])
    got = kernels.over(kernels.KINDS[kind], v, key, 6)
    frame = pl.DataFrame({"k": key, "v": pl.Series(raw, dtype=pl.Float64)})
    agg = pl.col("v").sum() if kind == "sum" else pl.col("v").max()
    want = frame.select(agg.over("k"))["v"].to_numpy().astype(np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9, equal_nan=True)


@settings(max_examples=100, deadline=None)
@given(sizes=st.lists(st.integers(0, 60), min_size=1, max_size=6), data=st.data())
def test_regroup_numbers_equal_pairs_inside_segments(sizes: list[int], data: st.DataObject) -> None:
    n = sum(sizes)
    bounds = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    seg = np.repeat(np.arange(len(sizes)), sizes).astype(np.int64)
    codes = np.array(data.draw(st.lists(st.integers(-2, 3), min_size=n, max_size=n)), np.int64)
    got, count = kernels.regroup(bounds, seg, codes)
    pairs = list(zip(seg.tolist(), codes.tolist(), strict=True))
    assert count == len(set(pairs))
    assert sorted(set(got.tolist())) == list(range(count))
    for i in range(n):
        for j in range(n):
            assert (got[i] == got[j]) == (pairs[i] == pairs[j])


_THREADED_BUILDS = """
import sys
from concurrent.futures import ThreadPoolExecutor

import numba
from _feat_gen import make_tables

from thinfile_credit.features import FeatureBuilder

tables = make_tables(n_users=300, seed=11, apps_per_user=3)
fb = FeatureBuilder()
serial = fb.build(tables)
with ThreadPoolExecutor(4) as pool:
    results = list(pool.map(lambda _: fb.build(tables), range(8)))
assert numba.threading_layer() == "workqueue", numba.threading_layer()
assert all(r.equals(serial) for r in results)
print("ok")
"""


@pytest.mark.slow
def test_builds_in_threads_under_the_workqueue_layer() -> None:
    """Builds from several threads equal the serial build, even under numba's fallback
    threading layer, which aborts the process if two threads launch parallel kernels at
    once (without the lock in ``_gather`` this process dies with SIGABRT)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "NUMBA_THREADING_LAYER": "workqueue"}
    here = Path(__file__).parent
    run = subprocess.run(
        [sys.executable, "-c", _THREADED_BUILDS],
        cwd=here,
        env={**env, "PYTHONPATH": str(here)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().endswith("ok")
