"""The fast CART pre-binning reproduces optbinning's; fitted bins and IV match optbinning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from optbinning import BinningProcess
from optbinning.binning.prebinning import PreBinning

from thinfile_credit.binning import WoEBinner
from thinfile_credit.binning._prebin import cart_prebin_splits


def _draw(kind: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == 0:
        x = rng.normal(size=n)
    elif kind == 1:
        x = rng.integers(0, 30, n).astype(float)
    elif kind == 2:
        x = np.round(rng.exponential(size=n) * 100, 1)
    else:
        x = rng.lognormal(size=n) * 1e4
    signal = np.sin(x / (np.std(x) + 1e-12) * 2) * 1.5 - 1
    y = (rng.random(n) < 1 / (1 + np.exp(-signal))).astype(np.int8)
    return x, y


@settings(max_examples=30)
@given(st.integers(0, 3), st.integers(20, 5000), st.integers(0, 10_000), st.sampled_from([5, 20]))
# equal improvements: scikit-learn's frontier (a std::vector heap) pops them in heap
# order, not insertion order
@example(kind=2, n=20, seed=513, n_bins=5)
def test_prebins_equal_optbinning_cart(kind: int, n: int, seed: int, n_bins: int) -> None:
    x, y = _draw(kind, n, seed)
    min_leaf = int(np.ceil(0.05 * n))
    theirs = PreBinning("classification", "cart", n_bins, min_leaf).fit(x, y).splits
    ours = cart_prebin_splits(x, y, min_leaf, n_bins)
    assert np.array_equal(ours, theirs)


def test_prebins_handle_edge_cases() -> None:
    assert cart_prebin_splits(np.empty(0), np.empty(0, dtype=np.int8), 1, 20).size == 0
    x = np.full(100, 3.0)
    y = np.r_[np.zeros(50), np.ones(50)].astype(np.int8)
    assert cart_prebin_splits(x, y, 5, 20).size == 0  # constant
    x = np.arange(100.0)
    assert cart_prebin_splits(x, np.zeros(100, dtype=np.int8), 5, 20).size == 0  # pure


@pytest.mark.slow
def test_fitted_iv_equals_optbinning_binning_process() -> None:
    rng = np.random.default_rng(0)
    n = 60_000
    X = pd.DataFrame({f"f{i}": rng.normal(size=n) * (i + 1) for i in range(4)})
    X["f4"] = np.round(rng.exponential(size=n), 1)
    X.loc[rng.random(n) < 0.05, "f1"] = np.nan
    z = X["f0"] - X["f1"].fillna(0) / 2 + np.sin(X["f2"]) + X["f4"] - 3
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    names = list(X.columns)
    trend = {c: {"monotonic_trend": "auto_asc_desc"} for c in names}
    process = BinningProcess(names, binning_fit_params=trend).fit(X, y)
    ours = WoEBinner().fit(X, y)
    summary = process.summary().set_index("name")
    for name in names:
        theirs = process.get_binned_variable(name)
        assert np.array_equal(ours.binnings_[name].splits, theirs.splits)
        assert ours.iv_[name] == pytest.approx(summary.loc[name, "iv"], abs=1e-6)
