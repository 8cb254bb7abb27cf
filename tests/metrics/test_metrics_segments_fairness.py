"""Segment views and the adverse impact ratio."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from thinfile_credit.errors import DataError, SchemaError
from thinfile_credit.metrics import (
    adverse_impact_ratio,
    auc,
    lift_table,
    segment_metrics,
    segment_table,
)


@pytest.fixture
def scored() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 3000
    thin = rng.random(n) < 0.4
    y = (rng.random(n) < np.where(thin, 0.15, 0.06)).astype(int)
    noise = np.where(thin, 60, 30)
    points = 620 - 60 * y + rng.normal(0, 1, n) * noise
    pd_ = 1 / (1 + np.exp((points - 560) / 30))
    return pd.DataFrame({"bad": y, "score": points.round(), "pd": pd_, "thin_file": thin})


def test_segment_metrics_match_direct_computation(scored):
    out = segment_metrics(
        scored,
        target_col="bad",
        score_col="score",
        segment_col="thin_file",
        pd_col="pd",
        higher_is_better=True,
    )
    assert out["segment"].tolist() == ["all", "false", "true"]
    thin = scored[scored["thin_file"]]
    row = out.set_index("segment").loc["true"]
    assert row["n"] == len(thin)
    assert row["auc"] == pytest.approx(auc(thin["bad"], thin["score"], higher_is_better=True))
    assert row["bad_rate"] == pytest.approx(thin["bad"].mean())
    assert row["gini"] == pytest.approx(2 * row["auc"] - 1)
    # Thin-file scores are noisier: weaker ranking inside the segment.
    assert row["auc"] < out.set_index("segment").loc["false", "auc"]
    assert {"brier", "hl_pvalue", "score_psi", "ks", "ks_score"} <= set(out.columns)


def test_segment_metrics_single_class_segment_is_nan_and_polars_in_kind():
    df = pl.DataFrame({"bad": [0, 1, 0, 0], "score": [0.1, 0.9, 0.3, 0.2], "seg": [1, 1, 2, 2]})
    out = segment_metrics(df, target_col="bad", score_col="score", segment_col="seg")
    assert isinstance(out, pl.DataFrame)
    assert np.isnan(out.filter(pl.col("segment") == "2")["auc"][0])


def test_segment_table_stacks_tables(scored):
    out = segment_table(
        scored,
        table="lift",
        target_col="bad",
        score_col="score",
        segment_col="thin_file",
        higher_is_better=True,
        n_bins=5,
    )
    thin = scored[scored["thin_file"]]
    direct = lift_table(thin["bad"], thin["score"], n_bins=5, higher_is_better=True)
    got = out[out["segment"] == "true"].drop(columns="segment").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, direct, check_dtype=False)
    band = segment_table(
        scored,
        table="score_band",
        target_col=None,
        score_col="score",
        segment_col="thin_file",
        bands=[550, 600, 650],
    )
    assert set(band["segment"]) == {"all", "false", "true"}


def test_segment_bad_input(scored):
    with pytest.raises(SchemaError) as info:
        segment_metrics(scored, target_col="bad", score_col="nope", segment_col="thin_file")
    assert info.value.column == "nope"
    with pytest.raises(DataError, match="table must be"):
        segment_table(
            scored, table="roc", target_col="bad", score_col="score", segment_col="thin_file"
        )
    with pytest.raises(DataError, match="0/1") as info:
        segment_metrics(
            scored.assign(bad=np.nan), target_col="bad", score_col="score", segment_col="thin_file"
        )
    assert info.value.column == "bad"


def test_adverse_impact_ratio_four_fifths_rule():
    approved = [1] * 50 + [0] * 50 + [1] * 30 + [0] * 70
    group = ["thick"] * 100 + ["thin"] * 100
    t = adverse_impact_ratio(approved, group)
    assert t["group"].tolist() == ["thick", "thin"]
    assert t["approval_rate"].tolist() == pytest.approx([0.5, 0.3])
    assert t["reference_group"].tolist() == ["thick", "thick"]
    assert t["ratio"].tolist() == pytest.approx([1.0, 0.6])
    assert t["flag"].tolist() == [False, True]


def test_adverse_impact_ratio_reference_weights_and_missing():
    t = adverse_impact_ratio(
        [1, 0, 1, 1, 1],
        ["a", "a", "b", "b", None],
        reference_group="a",
        sample_weight=[1, 3, 1, 1, 1],
    )
    rates = dict(zip(t["group"], t["approval_rate"]))
    assert rates == {"a": 0.25, "b": 1.0, "missing": 1.0}
    assert dict(zip(t["group"], t["ratio"]))["b"] == pytest.approx(4.0)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_segment_called_missing_is_not_merged_with_missing_labels(kind):
    df = pd.DataFrame(
        {
            "bad": [0, 1, 0, 1, 0, 1],
            "score": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "seg": ["missing", "missing", None, None, "x", "x"],
        }
    )
    frame = pl.from_pandas(df) if kind == "polars" else df
    out = pl.DataFrame(
        segment_metrics(frame, target_col="bad", score_col="score", segment_col="seg")
    )
    assert out["segment"].to_list() == ["all", "<missing>", "missing", "x"]
    assert out["n"].to_list() == [6, 2, 2, 2]
    stacked = pl.DataFrame(
        segment_table(
            frame,
            table="lift",
            target_col="bad",
            score_col="score",
            segment_col="seg",
            include_overall=False,
            n_bins=2,
        )
    )
    assert stacked.group_by("segment").agg(pl.col("count").sum()).sort("segment").rows() == [
        ("<missing>", 2.0),
        ("missing", 2.0),
        ("x", 2.0),
    ]


def test_nan_segment_is_missing_in_pandas_and_polars():
    pandas_frame = pd.DataFrame(
        {"bad": [0, 1, 0, 1], "score": [1.0, 2.0, 3.0, 4.0], "seg": [1.0, np.nan, np.nan, 1.0]}
    )
    polars_nan = pl.from_pandas(pandas_frame, nan_to_null=False)
    assert polars_nan["seg"].is_nan().sum() == 2
    for frame in (pandas_frame, polars_nan):
        out = pl.DataFrame(
            segment_metrics(frame, target_col="bad", score_col="score", segment_col="seg")
        )
        assert out["segment"].to_list() == ["all", "1.0", "missing"]


def test_adverse_impact_group_called_missing_is_kept_apart():
    t = adverse_impact_ratio([1, 0, 1, 1], ["missing", None, "a", "a"], reference_group="a")
    assert t["group"].tolist() == ["<missing>", "a", "missing"]
    assert t["approval_rate"].tolist() == [0.0, 1.0, 1.0]


def test_adverse_impact_bad_input():
    with pytest.raises(DataError, match="does not occur"):
        adverse_impact_ratio([1, 0], ["a", "b"], reference_group="c")
    with pytest.raises(DataError, match="no approvals") as info:
        adverse_impact_ratio([0, 1], ["a", "b"], reference_group="a")
    assert info.value.column == "approved"
    with pytest.raises(DataError, match="rows") as info:
        adverse_impact_ratio([0, 1], ["a"])
    assert info.value.column == "group"
    with pytest.raises(DataError, match="0/1") as info:
        adverse_impact_ratio([0, 5], ["a", "b"])
    assert info.value.column == "approved"


def test_segment_called_all_is_not_merged_with_the_overall_row():
    df = pl.DataFrame(
        {
            "bad": [0, 1, 0, 1, 0, 1],
            "score": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "seg": ["all", "all", "x", "x", "<all>", "<all>"],
        }
    )
    out = pl.DataFrame(segment_metrics(df, target_col="bad", score_col="score", segment_col="seg"))
    assert out["segment"].to_list() == ["<<all>>", "<all>", "all", "x"]
    assert out["n"].to_list() == [6, 2, 2, 2]
