"""The fast top-k ranking equals the stable-sort reference, ties and NaN included."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from thinfile_credit.reasons._tidy import _top_by_sort, top_reasons

# Few distinct values so that ties between groups are common.
VALUES = st.sampled_from([-2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, 3.0, np.nan])


@given(
    arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 8)), elements=VALUES),
    st.integers(0, 5),
    st.booleans(),
    st.sampled_from([0.0, 1.0, 2.5]),
)
def test_top_reasons_equals_stable_sort(
    loss: np.ndarray, max_reasons: int, also: bool, min_points: float
) -> None:
    limit = min(max_reasons + (1 if also else 0), loss.shape[1])
    fast = top_reasons(loss.copy(), max_reasons, also, min_points)
    ref = _top_by_sort(loss.copy(), limit, min_points, overwrite=False)
    for got, want in zip(
        (fast.rows, fast.slots, fast.groups, fast.points),
        (ref.rows, ref.slots, ref.groups, ref.points),
    ):
        np.testing.assert_array_equal(got, want)
    # never a non-positive loss, never more than the limit per applicant
    assert np.all(fast.points > 0)
    if fast.rows.size:
        assert np.bincount(fast.rows).max() <= limit


def test_overwrite_uses_the_input_as_scratch() -> None:
    loss = np.array([[1.0, 3.0, 2.0]])
    picked = top_reasons(loss, max_reasons=2, also_considered=False, min_points=0.0, overwrite=True)
    assert picked.groups.tolist() == [1, 2]
    assert picked.points.tolist() == [3.0, 2.0]
