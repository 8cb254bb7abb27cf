"""The scorer protocol's data carrier."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from thinfile_credit.protocol import Contributions


@given(
    arrays(
        np.float64, st.tuples(st.integers(1, 20), st.integers(1, 6)), elements=st.floats(-1e3, 1e3)
    )
)
def test_total_is_baseline_plus_row_sums(values: np.ndarray) -> None:
    baseline = np.full(values.shape[0], 600.0)
    names = tuple(f"f{i}" for i in range(values.shape[1]))
    c = Contributions(values=values, baseline=baseline, feature_names=names)
    np.testing.assert_allclose(c.total(), baseline + values.sum(axis=1))
    frame = c.to_frame()
    assert list(frame.columns) == [*names, "baseline"]
    np.testing.assert_allclose(
        frame.drop(columns="baseline").sum(axis=1) + frame["baseline"], c.total()
    )


def test_to_frame_refuses_a_feature_called_baseline() -> None:
    import pytest

    from thinfile_credit.errors import DataError

    c = Contributions(
        values=np.array([[5.0, -2.0]]),
        baseline=np.array([600.0]),
        feature_names=("baseline", "age"),
    )
    with pytest.raises(DataError, match=r"baseline: a feature is called 'baseline'"):
        c.to_frame()
    frame = c.to_frame(baseline_col="base_points")
    assert list(frame.columns) == ["baseline", "age", "base_points"]
    assert frame.to_numpy().sum() == c.total()[0]
