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
from thinfile_credit.selection._filters import variance_inflation


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


@settings(max_examples=60)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(2, 6),
    st.integers(30, 600),
    st.booleans(),
)
def test_vif_filter_breaks_exact_linear_combinations_for_any_data(
    seed: int, k: int, n: int, woe_like: bool
) -> None:
    rng = np.random.default_rng(seed)
    if woe_like:  # WoE columns take a handful of values
        W = np.column_stack([rng.choice(rng.normal(size=4), n) for _ in range(k)])
    else:
        W = rng.normal(size=(n, k))
    members = rng.choice(k, size=int(rng.integers(2, k + 1)), replace=False)
    coef = rng.normal(size=members.size) * 10.0 ** rng.integers(-3, 4, size=members.size)
    position = int(rng.integers(0, k + 1))
    W = np.insert(W, position, W[:, members] @ coef, axis=1)  # exact, no noise
    names = [f"f{j}" for j in range(k + 1)]
    iv = {name: float(rng.random()) for name in names}
    dropped = vif_filter(W, names, iv, max_vif=10.0)
    assert dropped, "an exact linear combination must not survive"
    assert dropped == vif_filter(W, names, iv, max_vif=10.0)  # deterministic
    kept = [j for j, name in enumerate(names) if name not in dropped]
    Z = W[:, kept] - W[:, kept].mean(axis=0)
    assert np.linalg.matrix_rank(Z) == len(kept)  # what is left is not collinear
    if len(kept) > 1:
        assert variance_inflation(W[:, kept]).max() <= 10.0
    # every member of the combination has an infinite VIF, however it is scaled, and the
    # first drop is the lowest-IV feature among those tied at infinity
    original = [j if j < position else j + 1 for j in members]
    combination = {names[j] for j in original} | {names[position]}
    vif = variance_inflation(W)
    involved = [name for name, value in zip(names, vif) if value == np.inf]
    assert combination <= set(involved)
    first = next(iter(dropped))
    assert "exact linear combination" in dropped[first]
    assert first == min(involved, key=lambda name: (iv[name], -names.index(name)))


def test_vif_of_an_exact_combination_is_infinite_not_a_huge_negative_number() -> None:
    for seed in range(8):  # seeds where inverting the singular matrix gave VIF ~ 1
        rng = np.random.default_rng(seed)
        a, b, c = rng.normal(size=(3, 500))
        W = np.column_stack([a, b, a + b, c])
        vif = variance_inflation(W)
        assert np.all(np.isinf(vif[:3]))
        assert vif[3] < 1.1
        dropped = vif_filter(W, ["a", "b", "s", "c"], {"a": 0.5, "b": 0.4, "s": 0.3, "c": 0.2})
        assert list(dropped) == ["s"]


def test_stepwise_on_auc_needs_two_of_each_class() -> None:
    W, _, _, _ = _problem(n=200)
    few = np.zeros(200, dtype=np.int8)
    few[7] = 1
    with pytest.raises(DataError, match=r"y: .*at least 2 bads \(1\).*got 1;.*\(rows: 7\)"):
        stepwise(W[:, :2], few, ["a", "a_twin"], criterion="auc")
    with pytest.raises(DataError, match=r"y: .*at least 2 goods \(0\)"):
        stepwise(W[:, :2], 1 - few, ["a", "a_twin"], criterion="auc")
    assert stepwise(W[:, :2], few, ["a", "a_twin"], criterion="bic")  # AIC/BIC need no split


def _vif_by_regressions(W: np.ndarray) -> np.ndarray:
    """Reference VIFs: one least-squares regression per column (``O(k⁴)``)."""
    Z = W - W.mean(axis=0)
    norm = np.sqrt((Z * Z).sum(axis=0))
    Z = Z / np.where(norm > 0, norm, 1.0)
    out = np.ones(W.shape[1])
    for j in range(W.shape[1]):
        if norm[j] == 0 or W.shape[1] < 2:
            continue
        others = np.delete(Z, j, axis=1)
        beta = np.linalg.lstsq(others, Z[:, j], rcond=None)[0]
        residual = Z[:, j] - others @ beta
        unexplained = float(residual @ residual)
        out[j] = np.inf if unexplained <= 1e-10 else 1.0 / unexplained
    return out


@settings(max_examples=80)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(2, 14),
    st.integers(5, 400),
    st.sampled_from(["random", "correlated", "exact", "duplicate", "constant"]),
)
def test_all_vifs_from_one_factorisation_equal_one_regression_per_column(
    seed: int, k: int, n: int, design: str
) -> None:
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n, k))
    if design == "correlated":  # strong but not exact collinearity
        W[:, -1] = W[:, :-1] @ rng.normal(size=k - 1) + rng.normal(scale=0.05, size=n)
    elif design == "exact":
        members = rng.choice(k, size=int(rng.integers(2, k + 1)), replace=False)
        coef = rng.normal(size=members.size) * 10.0 ** rng.integers(-3, 4, size=members.size)
        W = np.insert(W, int(rng.integers(0, k + 1)), W[:, members] @ coef, axis=1)
    elif design == "duplicate":
        W[:, -1] = W[:, 0]
    elif design == "constant":
        W[:, int(rng.integers(0, k))] = 3.0
    got, expected = variance_inflation(W), _vif_by_regressions(W)
    assert np.array_equal(np.isinf(got), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-6)


def test_vif_filter_needs_no_regression_per_column(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(size=(2000, 30))
    W = np.column_stack([base, base @ rng.normal(size=(30, 30)) * 0.3])
    names = [f"f{j}" for j in range(60)]
    iv = {name: 0.1 + j * 1e-3 for j, name in enumerate(names)}

    def regression(*args: object, **kwargs: object) -> None:
        raise AssertionError("one least-squares fit per column: O(k^4) per pass")

    monkeypatch.setattr(np.linalg, "lstsq", regression)
    dropped = vif_filter(W, names, iv, max_vif=5.0)
    assert len(dropped) >= 30
    kept = [j for j, name in enumerate(names) if name not in dropped]
    monkeypatch.undo()
    assert _vif_by_regressions(W[:, kept]).max() <= 5.0
