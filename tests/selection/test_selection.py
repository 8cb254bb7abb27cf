"""Variable selection: IV, correlation, VIF, stepwise, and the report of why."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.selection import (
    SelectionReport,
    correlation_filter,
    iv_filter,
    select_features,
    stepwise,
    vif_filter,
)


def _problem(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str], dict]:
    rng = np.random.default_rng(seed)
    a, b, c = rng.normal(size=(3, n))
    W = np.column_stack([a, a + rng.normal(0, 0.1, n), b, c, a + b + rng.normal(0, 0.05, n)])
    z = -1.5 + a + 0.6 * b
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.int8)
    names = ["a", "a_twin", "b", "noise", "a_plus_b"]
    iv = {"a": 0.5, "a_twin": 0.45, "b": 0.2, "noise": 0.001, "a_plus_b": 0.6}
    return W, y, names, iv


def test_iv_filter_names_the_threshold() -> None:
    dropped = iv_filter({"x": 0.01, "y": 0.3, "z": 2.0}, min_iv=0.02, max_iv=1.0)
    assert set(dropped) == {"x", "z"}
    assert "suspect leakage" in dropped["z"]


def test_correlation_filter_keeps_the_higher_iv_feature() -> None:
    W, _, names, iv = _problem()
    dropped = correlation_filter(W, names, iv, max_corr=0.9)
    assert "a_twin" in dropped
    assert "a" not in dropped
    assert "with a (higher IV)" in dropped["a_twin"]


def test_vif_filter_breaks_exact_linear_combinations() -> None:
    W, _, _names, iv = _problem()
    dropped = vif_filter(W[:, [0, 2, 4]], ["a", "b", "a_plus_b"], iv, max_vif=10)
    assert len(dropped) == 1
    assert next(iter(dropped.values())).startswith("VIF")


@pytest.mark.parametrize("criterion", ["aic", "bic", "auc"])
def test_forward_stepwise_finds_the_true_features(criterion: str) -> None:
    W, y, _names, _ = _problem()
    kept, dropped = stepwise(W[:, [0, 2, 3]], y, ["a", "b", "noise"], criterion=criterion)
    assert set(kept) >= {"a", "b"}
    assert "noise" in dropped or criterion == "auc"


def test_backward_stepwise_removes_noise() -> None:
    W, y, _, _ = _problem()
    kept, dropped = stepwise(
        W[:, [0, 2, 3]], y, ["a", "b", "noise"], direction="backward", criterion="bic"
    )
    assert kept == ["a", "b"]
    assert list(dropped) == ["noise"]


def test_max_features_caps_forward_stepwise() -> None:
    W, y, _, _ = _problem()
    kept, dropped = stepwise(W[:, [0, 2, 3]], y, ["a", "b", "noise"], max_features=1)
    assert kept == ["a"]
    assert "max_features=1" in dropped["b"]


def test_select_features_reports_every_feature_and_stage() -> None:
    W, y, names, iv = _problem()
    W = np.column_stack([W, np.zeros(len(y))])
    names = [*names, "flat"]
    iv = {**iv, "flat": 0.0}
    report = select_features(
        W, y, names, iv, max_corr=0.9, max_vif=5.0, stepwise_direction="forward"
    )
    frame = report.to_frame().set_index("feature")
    assert list(frame.index) == names
    assert frame.loc["flat", "stage"] == "constant"
    assert frame.loc["noise", "stage"] == "iv"
    assert frame.loc["a_twin", "stage"] == "correlation"
    assert frame.loc[list(report.selected), "kept"].all()
    assert SelectionReport.from_dict(report.to_dict()) == report


@settings(max_examples=10)
@given(st.integers(0, 1000))
def test_selection_is_deterministic(seed: int) -> None:
    W, y, names, iv = _problem(n=800, seed=seed)
    kwargs = {"max_corr": 0.8, "stepwise_direction": "forward", "criterion": "auc"}
    first = select_features(W, y, names, iv, random_state=1, **kwargs)
    second = select_features(W, y, names, iv, random_state=1, **kwargs)
    assert first == second


def test_bad_inputs_are_typed() -> None:
    W, y, names, iv = _problem(n=200)
    with pytest.raises(DataError, match="shape"):
        select_features(W[:, :2], y, names, iv)
    with pytest.raises(SpecError, match="no IV given for: b"):
        select_features(W, y, names, {k: v for k, v in iv.items() if k != "b"})
    with pytest.raises(SpecError, match="max_corr"):
        select_features(W, y, names, iv, max_corr=1.5)
    with pytest.raises(SpecError, match="max_vif"):
        select_features(W, y, names, iv, max_vif=0.5)
    with pytest.raises(SpecError, match="min_iv"):
        select_features(W, y, names, iv, min_iv=-1)
