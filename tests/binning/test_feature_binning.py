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


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_n_bins": 5, "max_n_bins": 2}, "min_n_bins"),
        ({"min_bin_size": 0.7}, r"min_bin_size must lie in \(0, 0.5\]"),
        ({"min_bin_size": 0.3, "max_bin_size": 0.2}, "must not exceed max_bin_size"),
        ({"min_prebin_size": 0.6}, r"min_prebin_size must lie in \(0, 0.5\]"),
        ({"max_bin_size": 1.5}, r"max_bin_size must lie in \(0, 1\]"),
        ({"cat_cutoff": 0.0}, "cat_cutoff"),
        ({"time_limit": -1}, "time_limit"),
        ({"max_n_bins": True}, "max_n_bins"),
        ({"dtype": "categorical", "special_codes": (None,)}, "missing values cannot be special"),
        ({"dtype": "categorical", "special_codes": (-1, "-1")}, "repeat"),
        ({"special_codes": ("-1",)}, "special codes must be numbers"),
    ],
)
def test_binning_options_mirror_optbinning_bounds(kwargs: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        BinningOptions(**kwargs)


def test_categorical_special_codes_follow_the_text_rule() -> None:
    for code in (-1, -1.0, np.int64(-1), np.float32(-1.0), "-1"):
        assert BinningOptions(dtype="categorical", special_codes=(code,)).special_codes == ("-1",)
    opts = BinningOptions(max_n_prebins=np.int64(10), min_bin_size=np.float32(0.25))
    assert type(opts.max_n_prebins) is int
    assert json.loads(json.dumps(opts.to_dict()))["min_bin_size"] == 0.25


def test_text_rule_is_one_for_every_value_type() -> None:
    import pandas as pd

    from thinfile_credit.binning._text import category_text, category_texts

    same = [3, 3.0, np.int64(3), np.float32(3.0), np.uint8(3)]
    assert {category_text(v) for v in same} == {"3"}
    assert category_text(True) == category_text(np.bool_(True)) == "1"
    assert category_text(False) == "0"
    assert category_text(np.float32(0.1)) == repr(float(np.float32(0.1)))
    for missing in (None, float("nan"), np.float32("nan"), pd.NA, pd.NaT):
        assert category_text(missing) is None
    assert category_text("nan") == "nan"
    values = np.array([*same, True, None, "x", float("nan"), {"k": 1}], dtype=object)
    assert category_texts(values).tolist() == [category_text(v) for v in values]
