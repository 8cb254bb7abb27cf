"""Segment views and the adverse impact ratio."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from thinfile_credit.errors import DataError, SchemaError, SpecError
from thinfile_credit.metrics import (
    adverse_impact_ratio,
    auc,
    calibration_table,
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
    with pytest.raises(SpecError, match="table must be"):
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


def test_segment_table_one_class_segment_keeps_its_table_with_nan_shares():
    """A segment of goods only failed the whole call with "y_true: only one class",
    naming neither the segment nor the target column, while segment_metrics gave NaN."""
    df = pd.DataFrame(
        {"bad": [0, 1, 0, 0, 1], "score": [0.1, 0.9, 0.3, 0.2, 0.5], "seg": list("aabbc")}
    )
    metrics = segment_metrics(df, target_col="bad", score_col="score", segment_col="seg")
    assert np.isnan(metrics.set_index("segment").loc["b", "auc"])
    out = segment_table(
        df, table="lift", target_col="bad", score_col="score", segment_col="seg", n_bins=2
    )
    goods = out[out["segment"] == "b"]
    assert goods["bin"].tolist() == [1, 2]
    assert goods["count"].tolist() == [1.0, 1.0]
    assert goods["bad_rate"].tolist() == [0.0, 0.0]
    assert goods["cum_good_share"].tolist() == [0.5, 1.0]
    for undefined in ("cum_bad_share", "lift", "cum_lift", "ks"):
        assert goods[undefined].isna().all(), undefined
    bads = out[out["segment"] == "c"]  # bads only: no good share, but a lift of 1
    assert bads["lift"].tolist() == [1.0]
    assert bads["cum_good_share"].isna().all()
    assert bads["ks"].isna().all()
    # Segments with both classes are untouched: equal to lift_table on their rows.
    a = df[df["seg"] == "a"]
    got = out[out["segment"] == "a"].drop(columns="segment").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, lift_table(a["bad"], a["score"], n_bins=2))


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_zero_weight_segment_is_a_row_of_nan_not_a_failed_call(kind):
    """A segment whose rows all weigh zero failed segment_metrics with
    "current_weight: all weights are zero" (an internal argument name)."""
    df = pd.DataFrame(
        {
            "bad": [0, 1, 0, 1, 0],
            "score": [0.1, 0.9, 0.3, 0.6, 0.2],
            "seg": ["a", "a", "a", "a", "b"],
            "w": [1.0, 1.0, 1.0, 1.0, 0.0],
        }
    )
    frame = pl.from_pandas(df) if kind == "polars" else df
    cols = {"target_col": "bad", "score_col": "score", "segment_col": "seg", "weight_col": "w"}
    out = pl.DataFrame(segment_metrics(frame, pd_col="score", **cols))
    row = out.filter(pl.col("segment") == "b").row(0, named=True)
    assert (row["n"], row["weight"], row["n_bad"]) == (1, 0.0, 0.0)
    for metric in ("bad_rate", "auc", "gini", "ks", "ks_score", "score_psi", "brier"):
        assert pd.isna(row[metric]), metric
    assert out.filter(pl.col("segment") == "a")["auc"].to_list() == [1.0]
    for table, options in (("lift", {"n_bins": 2}), ("calibration", {"n_bins": 2})):
        stacked = pl.DataFrame(segment_table(frame, table=table, **cols, **options))
        weightless = stacked.filter(pl.col("segment") == "b")
        assert weightless.height == 1
        assert weightless["count"].to_list() == [0.0]
        assert weightless.drop("segment", "count").null_count().row(0) == (1,) * (stacked.width - 2)
        if kind == "polars":  # bins stay whole numbers beside the weightless row
            assert stacked["bin"].dtype == pl.Int64
    a = df[df["seg"] == "a"]
    stacked = segment_table(df, table="calibration", **cols, n_bins=2)
    got = stacked[stacked["segment"] == "a"].drop(columns="segment").reset_index(drop=True)
    direct = calibration_table(a["bad"], a["score"], n_bins=2)
    pd.testing.assert_frame_equal(got, direct, check_dtype=False)


def test_segment_table_settings_and_pd_range_are_named():
    df = pd.DataFrame({"bad": [0, 1, 0, 1], "score": [0.1, 0.9, 1.3, 0.6], "seg": list("aabb")})
    cols = {"target_col": "bad", "score_col": "score", "segment_col": "seg"}
    with pytest.raises(SpecError, match="nbins"):  # was lift_table's TypeError
        segment_table(df, table="lift", nbins=3, **cols)
    with pytest.raises(SpecError, match="bands"):
        segment_table(df, table="score_band", bands="x", **cols)
    with pytest.raises(SpecError, match="target_col"):
        segment_table(df, table="lift", **{**cols, "target_col": None})
    with pytest.raises(DataError, match=r"\[0, 1\]") as info:
        segment_table(df, table="calibration", **cols)
    # The frame's column and row, not the segment's position of it.
    assert (info.value.table, info.value.column, info.value.rows) == ("frame", "score", [2])


@pytest.mark.parametrize(
    "labels",
    [
        [[1], [1], [2], None],
        [{"k": 1}, {"k": 1}, {"k": 2}, None],
        [pd.Timedelta("1D"), pd.Timedelta("1D"), pd.Timedelta("2D"), None],
    ],
    ids=["list", "dict", "duration"],
)
def test_segment_column_of_lists_structs_or_durations_is_a_schema_error(labels):
    """Lists and durations escaped as Polars' InvalidOperationError; structs became labels
    like "{1}"."""
    df = pd.DataFrame({"bad": [0, 1, 0, 1], "score": [0.1, 0.9, 0.3, 0.6], "seg": labels})
    with pytest.raises(SchemaError, match="segment labels") as info:
        segment_metrics(df, target_col="bad", score_col="score", segment_col="seg")
    assert (info.value.table, info.value.column, info.value.rows) == ("frame", "seg", [0, 1, 2])
