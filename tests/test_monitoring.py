"""monitor(): score PSI, CSI, bands, performance and flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from thinfile_credit.errors import DataError, SchemaError, SpecError
from thinfile_credit.metrics import auc, csi, psi
from thinfile_credit.monitoring import MonitoringReport, monitor
from thinfile_credit.scale import ScoreScale


def population(seed: int, shift: float = 0.0, noise: float = 30.0, n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 70, n) + shift
    y = (rng.random(n) < 0.1).astype(float)
    score = 620 - 60 * y + rng.normal(0, noise, n) + shift
    return pd.DataFrame({"score": score, "age": age, "city": rng.choice(["a", "b"], n), "bad": y})


class PointsModel:
    """A minimal Scorer: points from age only (enough for monitor's use of .score)."""

    scale_ = ScoreScale()
    feature_names_in_ = np.array(["age"])

    def score(self, X, y=None):
        return 500 + 3.0 * np.asarray(X["age"], dtype=float)


def test_stable_population_raises_no_flags():
    report = monitor(population(0), population(1), target_col="bad", features=["age", "city"])
    assert isinstance(report, MonitoringReport)
    assert report.score_psi.flag == "stable"
    assert set(report.csi["flag"]) == {"stable"}
    assert report.flags == ()
    perf = report.performance.set_index("period")
    ref = population(0)
    assert perf.loc["reference", "auc"] == pytest.approx(
        auc(ref["bad"], ref["score"], higher_is_better=True)
    )
    assert report.bands["ref_share"].sum() == pytest.approx(1.0)


def test_shifted_population_and_weaker_score_are_flagged():
    report = monitor(
        population(0), population(1, shift=25, noise=80), target_col="bad", features=["age"]
    )
    assert report.score_psi.flag in {"moderate", "significant"}
    assert report.score_psi.value == pytest.approx(
        psi(population(0)["score"], population(1, shift=25, noise=80)["score"]).value
    )
    text = " | ".join(report.flags)
    assert "score PSI" in text
    assert "feature age CSI" in text
    assert "Gini fell" in text


def test_outcomes_known_only_for_part_of_current():
    ref = population(0)
    cur = population(1)
    cur.loc[cur.index[2000:], "bad"] = np.nan  # immature: outcome not known yet
    report = monitor(ref, cur, target_col="bad", features=[])
    perf = report.performance.set_index("period")
    assert perf.loc["current", "n_known"] == 2000
    assert perf.loc["current", "bad_rate"] == pytest.approx(cur["bad"].iloc[:2000].mean())
    assert report.bands["cur_n_bad"].sum() == cur["bad"].iloc[:2000].sum()
    assert report.csi.empty


def test_model_scores_frames_without_score_column():
    ref = population(0).drop(columns="score")
    cur = population(1, shift=10).drop(columns="score")
    report = monitor(ref, cur, model=PointsModel())
    model = PointsModel()
    expected = psi(model.score(ref), model.score(cur))
    assert report.score_psi.value == pytest.approx(expected.value)
    assert report.csi["feature"].tolist() == ["age"]  # the model's features by default
    assert report.csi["psi"].iloc[0] == pytest.approx(
        csi(ref, cur, features=["age"])["psi"].iloc[0]
    )


def test_to_frame_tidy_and_in_kind():
    ref = pl.from_pandas(population(0))
    cur = pl.from_pandas(population(1))
    tidy = monitor(ref, cur, target_col="bad", features=["age", "city"]).to_frame()
    assert isinstance(tidy, pl.DataFrame)
    assert tidy.columns == ["section", "item", "metric", "value", "flag"]
    assert set(tidy["section"]) == {"score", "feature", "band", "performance"}
    feature_rows = tidy.filter(pl.col("section") == "feature")
    assert sorted(feature_rows["item"].to_list()) == ["age", "city"]
    assert tidy.filter(pl.col("metric") == "auc").height == 2


def test_monitor_with_policy_bands():
    report = monitor(population(0), population(1), bins=[560, 600, 640], features=[])
    assert report.bands["band"].tolist() == [
        "(-inf, 560]",
        "(560, 600]",
        "(600, 640]",
        "(640, inf]",
    ]


def test_monitor_bad_input():
    ref = population(0)
    with pytest.raises(SchemaError, match="no model") as info:
        monitor(ref.drop(columns="score"), ref)
    assert (info.value.table, info.value.column) == ("reference", "score")
    with pytest.raises(DataError, match="NaN") as info:
        monitor(ref, ref.assign(score=np.nan))
    assert info.value.column == "score"
    with pytest.raises(SchemaError, match="target") as info:
        monitor(ref, ref.drop(columns="bad"), target_col="bad", features=[])
    assert info.value.table == "current"
    with pytest.raises(DataError, match="0/1") as info:
        monitor(ref, ref.assign(bad=2.0), target_col="bad", features=[])
    assert info.value.column == "bad"
    with pytest.raises(DataError, match="no rows"):
        monitor(ref.iloc[:0], ref)
    with pytest.raises(SchemaError, match="model feature"):
        monitor(ref.drop(columns=["score", "age"]), ref, model=PointsModel())


def test_monitor_left_closed_policy_bands_count_cutoff_in_upper_band():
    ref = pd.DataFrame({"score": [590.0, 600.0, 610.0, 620.0], "bad": [1, 1, 0, 0]})
    report = monitor(ref, ref, bins=[600], closed="left", target_col="bad", features=[])
    assert report.bands["band"].tolist() == ["[-inf, 600)", "[600, inf)"]
    assert report.bands["ref_share"].tolist() == [0.25, 0.75]
    assert report.bands["ref_n_bad"].tolist() == [1.0, 1.0]


def test_monitor_csi_uses_the_score_bins():
    ref, cur = population(0), population(1, shift=5)
    for bins in (4, 20):
        report = monitor(ref, cur, bins=bins, features=["age"])
        direct = pl.DataFrame(csi(ref, cur, features=["age"], bins=bins))
        assert len(report.score_psi.table) == bins
        assert report.csi["n_bins"].tolist() == direct["n_bins"].to_list() == [bins]
        assert report.csi["psi"].tolist() == pytest.approx(direct["psi"].to_list())
    # fixed score edges fit the score only: features keep reference deciles
    edged = monitor(ref, cur, bins=[560, 600, 640], features=["age"])
    assert edged.csi["n_bins"].tolist() == [10]


def test_monitor_feature_of_another_kind_is_a_schema_error():
    ref = pd.DataFrame({"score": [1.0, 2, 3, 4], "income": [1.0, 2.0, 3.0, 4.0]})
    cur = pd.DataFrame({"score": [1.0, 2, 3, 4], "income": ["1", "2", "n/a", "4"]})
    for r, c in ((ref, cur), (pl.from_pandas(ref), pl.from_pandas(cur))):
        with pytest.raises(SchemaError, match="text") as info:
            monitor(r, c)
        assert (info.value.table, info.value.column, info.value.rows) == (
            "current",
            "income",
            [2],
        )


def test_monitor_target_error_names_the_table_and_the_frames_row():
    ref = pd.DataFrame({"score": np.arange(100.0), "bad": [0, 1] * 50})
    cur = ref.astype({"bad": object})
    cur.loc[:9, "bad"] = None  # outcomes not yet known for the first 10 rows
    cur.loc[37, "bad"] = 2  # row 37 of the frame, row 27 of the known outcomes
    with pytest.raises(DataError, match="0/1") as info:
        monitor(ref, cur, target_col="bad", features=[])
    assert (info.value.table, info.value.column, info.value.rows) == ("current", "bad", [37])
    assert str(info.value).startswith("current.bad:")
    bad_ref = ref.astype({"bad": float})
    bad_ref.loc[[3, 5], "bad"] = np.nan
    bad_ref.loc[[4, 90], "bad"] = 0.5
    with pytest.raises(DataError, match="0/1") as info:
        monitor(bad_ref, ref, target_col="bad", features=[])
    assert (info.value.table, info.value.column, info.value.rows) == ("reference", "bad", [4, 90])


def test_monitor_text_outcomes_are_refused_with_their_rows():
    ref = pd.DataFrame({"score": np.arange(6.0), "bad": [0, 1] * 3})
    cur = ref.assign(bad=["0", "1", None, "1", "0", "1"])
    with pytest.raises(DataError, match="never read as a number") as info:
        monitor(ref, cur, target_col="bad", features=[])
    assert (info.value.table, info.value.column, info.value.rows) == (
        "current",
        "bad",
        [0, 1, 3, 4, 5],
    )


def test_monitor_score_errors_name_the_table():
    ref = pd.DataFrame({"score": np.arange(100.0)})
    cur = ref.copy()
    cur.loc[7, "score"] = np.nan
    with pytest.raises(DataError, match="NaN") as info:
        monitor(ref, cur)
    assert (info.value.table, info.value.column, info.value.rows) == ("current", "score", [7])
    with pytest.raises(DataError, match="never read as a number") as info:
        monitor(ref.assign(score=ref["score"].astype(str)), ref)
    assert (info.value.table, info.value.column, info.value.rows[:2]) == (
        "reference",
        "score",
        [0, 1],
    )


def test_monitor_model_score_errors_name_the_table_and_rows():
    class NaNModel(PointsModel):
        def score(self, X, y=None):
            out = super().score(X)
            out[[2, 11]] = np.nan
            return out

    ref = population(0).drop(columns="score")
    with pytest.raises(DataError, match="NaN") as info:
        monitor(ref, ref, model=NaNModel())
    assert (info.value.table, info.value.column, info.value.rows) == ("reference", "score", [2, 11])


@pytest.mark.parametrize("gini_drop", [float("nan"), float("inf"), -0.1, 1.5, "0.1", True, None])
def test_monitor_refuses_a_gini_drop_that_is_not_a_share(gini_drop):
    with pytest.raises(SpecError, match="gini_drop"):
        monitor(population(0), population(1), target_col="bad", gini_drop=gini_drop)


@pytest.mark.parametrize(
    ("setting", "value"),
    [("bins", "x"), ("bins", [600, "650"]), ("epsilon", "x"), ("closed", "both")],
)
def test_monitor_refuses_bad_psi_settings_as_spec_errors(setting, value):
    """``bins="x"`` escaped as NumPy's ValueError and ``epsilon="x"`` as a TypeError."""
    with pytest.raises(SpecError, match=setting):
        monitor(population(0), population(1), **{setting: value})


def test_monitor_still_flags_a_gini_fall_at_the_edges_of_gini_drop():
    weak = population(1, noise=200.0)
    assert any(
        "Gini fell" in f for f in monitor(population(0), weak, target_col="bad", gini_drop=0).flags
    )
    assert not any(
        "Gini fell" in f for f in monitor(population(0), weak, target_col="bad", gini_drop=1).flags
    )
