"""FeatureBinning and BinningOptions: plain data, WoE fallbacks, validation."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.binning import BinningOptions, FeatureBinning, compute_woe
from thinfile_credit.errors import DataError, SpecError

counts = st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=2, max_size=8)


@given(counts)
def test_woe_is_finite_and_ordered_like_bad_rates(pairs: list[tuple[int, int]]) -> None:
    good = [g for g, _ in pairs]
    bad = [b for _, b in pairs]
    if sum(good) == 0 or sum(bad) == 0:
        return
    woe, flags = compute_woe(good, bad)
    assert all(math.isfinite(w) for w in woe)
    fitted = [(b / (g + b), w) for g, b, w, f in zip(good, bad, woe, flags) if f == ""]
    for (r1, w1), (r2, w2) in itertools.pairwise(fitted):
        if r1 < r2:
            assert w1 < w2
    for g, b, f in zip(good, bad, flags):
        if g + b == 0:
            assert f == "riskiest"
        elif g == 0 or b == 0:
            assert f == "smoothed"


@given(counts)
def test_dict_round_trip_is_exact(pairs: list[tuple[int, int]]) -> None:
    n_regular = len(pairs) - 3
    if n_regular < 1:
        return
    fb = FeatureBinning.from_counts(
        "f",
        "numeric",
        splits=[float(i) + 0.1 for i in range(n_regular - 1)],
        special_codes=(-1.0,),
        n_nonevent=[g for g, _ in pairs],
        n_event=[b for _, b in pairs],
    )
    again = FeatureBinning.from_dict(json.loads(json.dumps(fb.to_dict())))
    assert again == fb


def test_categorical_binning_maps_rare_special_unknown_and_missing() -> None:
    fb = FeatureBinning.from_counts(
        "device",
        "categorical",
        groups=[["ios"], ["android", FeatureBinning.RARE]],
        rare_categories=["blackberry"],
        special_codes=["N/A"],
        n_nonevent=[90, 80, 5, 10, 0],
        n_event=[5, 20, 5, 10, 0],
    )
    idx = fb.bin_index(np.array(["ios", "blackberry", "N/A", None, "zune"], dtype=object))
    assert idx.tolist() == [0, 1, 2, 3, 4]
    assert fb.fallback[4] == "riskiest"
    table = fb.table()
    assert table["condition"].tolist()[:3] == ["{ios}", "{android, <rare>}", "special 'N/A'"]
    assert table["count"].sum() == 225


def test_numeric_binning_rejects_text_and_infinity() -> None:
    fb = FeatureBinning.from_counts(
        "x", "numeric", splits=(1.0,), n_nonevent=[5, 5, 0, 0], n_event=[1, 2, 0, 0]
    )
    with pytest.raises(DataError, match="x: numeric feature received non-numeric values"):
        fb.bin_index(np.array(["a"], dtype=object))
    with pytest.raises(DataError, match=r"x: infinite values.*rows: 1"):
        fb.bin_index(np.array([0.0, np.inf]))


def test_malformed_binnings_raise_spec_error() -> None:
    with pytest.raises(SpecError, match="x: splits must be strictly increasing"):
        FeatureBinning.from_counts(
            "x", "numeric", splits=(2.0, 1.0), n_nonevent=[1] * 5, n_event=[1] * 5
        )
    with pytest.raises(SpecError, match="x: woe must have"):
        FeatureBinning(
            "x",
            "numeric",
            n_nonevent=(1, 1, 1),
            n_event=(1, 1, 1),
            woe=(0.0,),
            fallback=("", "", ""),
        )
    with pytest.raises(SpecError, match="malformed feature binning"):
        FeatureBinning.from_dict({"name": "x"})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dtype": "text"}, "dtype"),
        ({"monotonic_trend": "up"}, "monotonic_trend"),
        ({"max_n_prebins": 1}, "max_n_prebins"),
        ({"min_bin_size": 0.0}, "min_bin_size"),
        ({"max_n_bins": 0}, "max_n_bins"),
        ({"special_codes": ("a",)}, "special codes must be numbers"),
        ({"special_codes": (float("nan"),)}, "NaN cannot be a special code"),
        ({"special_codes": (1, 1.0)}, "repeat"),
        ({"empty_bin_woe": "zero"}, "empty_bin_woe"),
    ],
)
def test_binning_options_fail_loudly(kwargs: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        BinningOptions(**kwargs)


def test_binning_options_are_frozen_plain_data() -> None:
    opts = BinningOptions(special_codes=(-9, -8))
    assert opts.special_codes == (-9.0, -8.0)
    assert json.loads(json.dumps(opts.to_dict()))["special_codes"] == [-9.0, -8.0]
    with pytest.raises(AttributeError):
        opts.max_n_bins = 3  # type: ignore[misc]
