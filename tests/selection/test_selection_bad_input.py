"""Selection refuses NaN IVs and WoE, unknown options and bad targets instead of guessing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, ModelError, SpecError
from thinfile_credit.selection import (
    correlation_filter,
    iv_filter,
    select_features,
    stepwise,
    vif_filter,
)


def _problem(n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, n))
    W = np.column_stack([a, b])
    y = (rng.random(n) < 1 / (1 + np.exp(-a))).astype("int8")
    return W, y


@pytest.mark.parametrize("value", [float("nan"), float("inf"), None, "0.3", True, [0.3]])
def test_an_iv_that_is_not_a_finite_number_names_the_feature(value: Any) -> None:
    W, y = _problem()
    iv = {"a": 0.4, "b": value}
    calls = (
        lambda: select_features(W, y, ["a", "b"], iv, min_iv=0.02, max_iv=0.5),
        lambda: iv_filter(iv),
        lambda: correlation_filter(W, ["a", "b"], iv),
        lambda: vif_filter(W, ["a", "b"], iv),
    )
    for call in calls:
        with pytest.raises(SpecError, match="information value must be a finite number") as err:
            call()
        assert (err.value.table, err.value.column) == ("iv", "b")


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=3),
        st.one_of(st.floats(), st.none(), st.text(max_size=2), st.booleans()),
        min_size=1,
        max_size=5,
    ),
    st.floats(0, 1),
)
def test_iv_filter_never_keeps_a_feature_without_a_finite_iv(iv: dict, min_iv: float) -> None:
    bad = [
        k
        for k, v in iv.items()
        if isinstance(v, bool) or not isinstance(v, float) or not np.isfinite(v)
    ]
    if bad:
        with pytest.raises(SpecError) as err:
            iv_filter(iv, min_iv=min_iv)
        assert err.value.column == bad[0]
    else:
        dropped = iv_filter(iv, min_iv=min_iv)
        assert set(dropped) == {k for k, v in iv.items() if v < min_iv}


@pytest.mark.parametrize(("row", "value"), [(3, np.nan), (7, np.inf), (0, -np.inf)])
def test_a_non_finite_woe_is_a_data_error_not_a_constant_feature(row: int, value: float) -> None:
    W, y = _problem()
    W[row, 1] = value
    calls = (
        lambda: select_features(W, y, ["a", "b"], {"a": 0.4, "b": 0.3}),
        lambda: stepwise(W, y, ["a", "b"]),
        lambda: correlation_filter(W, ["a", "b"], {"a": 0.4, "b": 0.3}),
        lambda: vif_filter(W, ["a", "b"], {"a": 0.4, "b": 0.3}),
    )
    for call in calls:
        with pytest.raises(DataError, match="WoE values must be finite") as err:
            call()
        assert (err.value.table, err.value.column, err.value.rows) == ("woe", "b", [row])


def test_woe_must_be_a_numeric_matrix_and_names_unique() -> None:
    W, y = _problem()
    with pytest.raises(DataError, match="numeric matrix"):
        select_features(W.astype(str), y, ["a", "b"], {"a": 0.4, "b": 0.3})
    with pytest.raises(DataError, match="shape"):
        select_features(W[:, 0], y, ["a", "b"], {"a": 0.4, "b": 0.3})
    with pytest.raises(DataError, match="appears more than once") as err:
        select_features(W, y, ["a", "a"], {"a": 0.4})
    assert (err.value.table, err.value.column, err.value.rows) == ("woe", "a", [0, 1])
    with pytest.raises(DataError, match="appears more than once"):
        stepwise(W, y, ["b", "b"])
    with pytest.raises(SpecError, match="feature names must be text"):
        select_features(W, y, ["a", 1], {"a": 0.4, 1: 0.3})  # type: ignore[list-item]


def test_target_must_be_zero_one() -> None:
    W, y = _problem()
    two = y.astype(int)
    two[5] = 2
    for call in (
        lambda t: select_features(W, t, ["a", "b"], {"a": 0.4, "b": 0.3}),
        lambda t: stepwise(W, t, ["a", "b"]),
    ):
        with pytest.raises(DataError, match="0/1") as err:
            call(two)
        assert (err.value.table, err.value.rows) == ("y", [5])
        with pytest.raises(ModelError, match="only one class"):
            call(np.zeros(len(y), dtype=int))


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"criterion": "gini"}, "criterion"),
        ({"criterion": "BIC"}, "criterion"),
        ({"criterion": None}, "criterion"),
        ({"direction": "both"}, "direction"),
        ({"direction": None}, "direction"),
        ({"max_features": 0}, "max_features"),
        ({"max_features": 1.5}, "max_features"),
        ({"C": 0.0}, "C"),
        ({"C": float("nan")}, "C"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"min_auc_gain": -1.0}, "min_auc_gain"),
    ],
)
def test_stepwise_refuses_unknown_options(kwargs: dict, parameter: str) -> None:
    W, y = _problem()
    with pytest.raises(SpecError, match=f"^{parameter} must"):
        stepwise(W, y, ["a", "b"], **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"criterion": "gini"}, "criterion"),
        ({"stepwise_direction": "both"}, "stepwise_direction"),
        ({"max_features": 0}, "max_features"),
        ({"C": -1.0}, "C"),
    ],
)
def test_select_features_refuses_unknown_options(kwargs: dict, parameter: str) -> None:
    W, y = _problem()
    with pytest.raises(SpecError, match=f"^{parameter} must"):
        select_features(W, y, ["a", "b"], {"a": 0.4, "b": 0.3}, **kwargs)


def test_known_options_still_run() -> None:
    W, y = _problem()
    for direction in ("forward", "backward"):
        for criterion in ("aic", "bic", "auc"):
            kept, dropped = stepwise(W, y, ["a", "b"], direction=direction, criterion=criterion)
            assert kept == ["a"]  # b is pure noise
            assert set(dropped) == {"b"}
            assert criterion.upper() in dropped["b"]  # the criterion asked for decided it
            assert direction in dropped["b"]


def test_names_and_ivs_in_pandas_containers_still_run() -> None:
    """``woe.columns`` (a pandas Index), ``dict.keys()`` and IVs as a pandas Series were
    accepted before the checks; they still are, with the same result as lists."""
    import pandas as pd

    W, y = _problem()
    frame = pd.DataFrame(W, columns=["a", "b"])
    iv = {"a": 0.4, "b": 0.3}
    want = select_features(W, y, ["a", "b"], iv)
    assert select_features(W, y, frame.columns, pd.Series(iv)) == want
    assert select_features(W, y, iv.keys(), iv) == want
    assert stepwise(W, y, frame.columns) == stepwise(W, y, ["a", "b"])
