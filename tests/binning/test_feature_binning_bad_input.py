"""FeatureBinning refuses what it used to coerce: non-finite WoE, lossy counts, text fields."""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.binning import FeatureBinning, WoEBinner, compute_woe
from thinfile_credit.binning._text import category_text
from thinfile_credit.errors import SpecError


def _numeric() -> dict[str, Any]:
    return FeatureBinning.from_counts(
        "dpd", "numeric", splits=(1.0, 30.0), n_nonevent=[90, 40, 5, 3, 0], n_event=[5, 10, 5, 2, 0]
    ).to_dict()


@pytest.mark.parametrize(
    ("field", "value", "message", "rows"),
    [
        ("woe", ["NaN", 0.1, 0.2, 0.3, 0.4], "woe must be finite numbers, got 'NaN'", [0]),
        ("woe", [0.0, "inf", 0.2, 0.3, 0.4], "woe must be finite numbers, got 'inf'", [1]),
        ("woe", [0.0, 0.1, float("nan"), 0.3, 0.4], "woe must be finite", [2]),
        ("woe", [0.0, 0.1, 0.2, float("inf"), None], "woe must be finite", [3, 4]),
        ("woe", [True, 0.1, 0.2, 0.3, 0.4], "woe must be finite", [0]),
        ("n_event", [5.9, 10, 5, 2, 0], "n_event must be non-negative integers, got 5.9", [0]),
        ("n_event", [-5, 10, 5, 2, 0], "n_event must be non-negative integers, got -5", [0]),
        ("n_nonevent", [90, True, 5, 3, 0], "n_nonevent must be non-negative integers", [1]),
        ("n_nonevent", [90, "40", 5, 3, 0], "n_nonevent must be non-negative integers", [1]),
        ("splits", "12", "splits must be a list, got str '12'", None),
        ("splits", [1.0, "30"], "splits must be finite numbers", [1]),
        ("n_event", {"a": 1}, "n_event must be a list", None),
        ("fallback", ["", "", "", "", "zero"], "fallback flags must be one of", [4]),
        ("special_codes", "-1", "special_codes must be a list", None),
    ],
)
def test_from_dict_refuses_what_it_used_to_coerce(
    field: str, value: Any, message: str, rows: list[int] | None
) -> None:
    with pytest.raises(SpecError, match="malformed feature binning: " + message) as err:
        FeatureBinning.from_dict({**_numeric(), field: value})
    assert err.value.column == "dpd"
    assert err.value.rows == rows


def test_from_dict_needs_a_mapping_and_a_text_name() -> None:
    with pytest.raises(SpecError, match="expected a dict, got list"):
        FeatureBinning.from_dict([1, 2])  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="feature name must be text"):
        FeatureBinning.from_dict({**_numeric(), "name": 3})
    with pytest.raises(SpecError, match="no 'woe'") as err:
        FeatureBinning.from_dict({k: v for k, v in _numeric().items() if k != "woe"})
    assert err.value.column == "dpd"


def test_from_counts_refuses_lossy_or_negative_counts() -> None:
    for bad, shown in (([5.9, 10, 5, 2, 0], "5.9"), ([-1, 10, 5, 2, 0], "-1")):
        with pytest.raises(
            SpecError, match=f"n_event must be non-negative integers, got {shown}"
        ) as err:
            FeatureBinning.from_counts(
                "dpd", "numeric", splits=(1.0, 30.0), n_nonevent=[9, 4, 5, 3, 0], n_event=bad
            )
        assert (err.value.column, err.value.rows) == ("dpd", [0])
    with pytest.raises(SpecError, match="n_nonevent has 2 entries but n_event 3"):
        compute_woe([1, 2], [1, 2, 3])
    # whole floats are whole counts: nothing is lost
    fb = FeatureBinning.from_counts(
        "dpd", "numeric", splits=(1.0,), n_nonevent=[9.0, 4, 0, 0], n_event=[1, 2.0, 0, 0]
    )
    assert fb.n_nonevent == (9, 4, 0, 0)
    assert all(type(c) is int for c in fb.n_event)


def test_category_groups_follow_the_category_text_rule() -> None:
    c = FeatureBinning.from_counts(
        "region",
        "categorical",
        groups=[["11"], ["22"]],
        n_nonevent=[50, 40, 0, 0],
        n_event=[5, 10, 0, 0],
    )
    stored = FeatureBinning.from_dict({**c.to_dict(), "groups": [[11.0], [np.int64(22)]]})
    assert stored.groups == (("11",), ("22",))
    assert stored == c
    assert stored.bin_index(np.array([11, 22.0, 33])).tolist() == [0, 1, stored.unknown_bin]
    with pytest.raises(SpecError, match="category '11' is listed more than once") as err:
        FeatureBinning.from_dict({**c.to_dict(), "groups": [[11.0], ["11"]]})
    assert (err.value.column, err.value.rows) == ("region", [0, 1])
    with pytest.raises(SpecError, match="groups\\[1\\] holds a missing value") as err:
        FeatureBinning.from_dict({**c.to_dict(), "groups": [["11"], ["22", None]]})
    assert (err.value.column, err.value.rows) == ("region", [1])
    with pytest.raises(SpecError, match="groups must be a list"):
        FeatureBinning.from_dict({**c.to_dict(), "groups": "1122"})


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(-(2**60), 2**60),
            st.floats(allow_nan=False, allow_infinity=False, width=64),
            st.text(min_size=1, max_size=4),
        ),
        min_size=1,
        max_size=6,
        unique_by=category_text,
    )
)
def test_any_category_value_reads_as_its_text(categories: list[Any]) -> None:
    groups = [[c] for c in categories]
    n = len(groups) + 2
    by_value = FeatureBinning.from_counts(
        "f", "categorical", groups=groups, n_nonevent=[3] * n, n_event=[1] * n
    )
    by_text = FeatureBinning.from_counts(
        "f",
        "categorical",
        groups=[[category_text(c)] for c in categories],
        n_nonevent=[3] * n,
        n_event=[1] * n,
    )
    assert by_value == by_text
    assert FeatureBinning.from_dict(json.loads(json.dumps(by_value.to_dict()))) == by_value
    values = np.empty(len(categories), dtype=object)
    values[:] = categories
    assert by_value.bin_index(values).tolist() == list(range(len(categories)))


def test_every_binning_the_library_fits_round_trips() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "code": rng.choice([1.0, 2.0, 3.5, -1.0], n),
            "flag": pd.Series(rng.random(n) < 0.3, dtype=object),
            "device": rng.choice(["app", "web", "3.0", "rare"], n, p=[0.5, 0.3, 0.19, 0.01]),
        }
    )
    X.loc[rng.random(n) < 0.05, "x"] = np.nan
    y = (rng.random(n) < 1 / (1 + np.exp(2 - X["x"].fillna(0)))).astype(int)
    binner = WoEBinner(
        categorical_features=["code"],
        cat_cutoff=0.02,
        feature_params={"code": {"special_codes": [-1]}, "x": {"special_codes": [-99.0]}},
    ).fit(X, y)
    for fb in binner.binnings_.values():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert FeatureBinning.from_dict(json.loads(json.dumps(fb.to_dict()))) == fb
