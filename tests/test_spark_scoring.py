"""Spark batch scoring: GBMScorer through mapInPandas, the scorecard through its SQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from thinfile_credit.errors import DataError, ModelError
from thinfile_credit.gbm import GBMScorer
from thinfile_credit.spark_scoring import EXECUTOR_ERROR_PREFIX, score_spark

# Tests that use the Spark session are marked ``spark``; the planning checks are not.


def _data(n: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "bill_max_days_late_365d": rng.exponential(8.0, n),
            "ten_account_age_days": rng.uniform(0, 1500, n),
            "cons_order_count_90d": rng.poisson(3, n).astype(float),
        }
    )
    X.loc[::13, "cons_order_count_90d"] = np.nan
    z = -1.5 + 0.09 * X["bill_max_days_late_365d"] - 0.0012 * X["ten_account_age_days"]
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return X, y.to_numpy()


@pytest.fixture(scope="module")
def gbm():
    X, y = _data()
    return GBMScorer("lightgbm", n_estimators=60, cv=3, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def rows(spark):
    X, _ = _data(600, seed=5)
    frame = X.assign(application_id=np.arange(len(X)))
    return frame, spark.createDataFrame(frame)


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_gbm_scores_match_local(gbm, rows):
    frame, sdf = rows
    out = score_spark(gbm, sdf).toPandas().sort_values("application_id")
    assert list(out.columns) == [*frame.columns, "score", "pd"]
    np.testing.assert_allclose(
        out["score"].to_numpy(), gbm.score(frame[list(gbm.feature_names_in_)]), atol=1e-9
    )
    np.testing.assert_allclose(
        out["pd"].to_numpy(),
        gbm.predict_proba(frame.drop(columns="application_id"))[:, 1],
        atol=1e-12,
    )


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_gbm_contributions_add_up(gbm, rows):
    _, sdf = rows
    out = score_spark(gbm, sdf, contributions=True, pd_col=None).toPandas()
    points = out[[f"points_{f}" for f in gbm.feature_names_in_]].to_numpy()
    baseline = gbm.contributions(out[list(gbm.feature_names_in_)].head(1)).baseline[0]
    np.testing.assert_allclose(baseline + points.sum(1), out["score"], atol=1e-6)


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_missing_feature_is_named(gbm, rows):
    _, sdf = rows
    with pytest.raises(DataError, match=r"spark_df\.ten_account_age_days"):
        score_spark(gbm, sdf.drop("ten_account_age_days"))


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_output_clash_and_wrong_frame(gbm, rows):
    frame, sdf = rows
    with pytest.raises(DataError, match=r"spark_df\.score"):
        score_spark(gbm, sdf.withColumnRenamed("application_id", "score"))
    # Spark resolves names case-insensitively: "Score" would make `score` ambiguous.
    with pytest.raises(DataError, match=r"spark_df\.score: output columns already exist.*Score"):
        score_spark(gbm, sdf.withColumnRenamed("application_id", "Score"))
    with pytest.raises(DataError, match=r"spark_df\.out: output columns would share a name"):
        score_spark(gbm, sdf, score_col="out", pd_col="out")
    with pytest.raises(DataError, match=r"PySpark"):
        score_spark(gbm, frame)
    with pytest.raises(ModelError, match=r"not fitted"):
        score_spark(GBMScorer(), sdf)


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_scorecard_scores_through_its_sql(rows):
    scorecard = pytest.importorskip("thinfile_credit.scorecard")
    X, y = _data(4000, seed=1)
    card = scorecard.WoEScorecard().fit(X, y)
    frame, sdf = rows
    out = score_spark(card, sdf, contributions=True).toPandas().sort_values("application_id")
    local = card.score(frame[list(card.feature_names_in_)])
    np.testing.assert_allclose(out["score"].to_numpy(), local, atol=1e-9)
    np.testing.assert_allclose(
        out["pd"].to_numpy(),
        card.predict_proba(frame[list(card.feature_names_in_)])[:, 1],
        atol=1e-9,
    )
    points = out[[f"points_{f}" for f in card.feature_names_in_]].to_numpy()
    np.testing.assert_allclose(card.baseline_points_ + points.sum(1), out["score"], atol=1e-9)
    # Forcing the Python path gives the same scores.
    via_pandas = score_spark(card, sdf, use_sql=False).toPandas().sort_values("application_id")
    np.testing.assert_allclose(via_pandas["score"].to_numpy(), local, atol=1e-9)


@pytest.fixture(scope="module")
def card_with_dropped_feature():
    scorecard = pytest.importorskip("thinfile_credit.scorecard")
    X, y = _data(4000, seed=1)
    X = X.assign(noise=np.random.default_rng(2).normal(size=len(X)))
    card = scorecard.WoEScorecard(min_iv=0.05, random_state=0).fit(X, y)
    kept = set(card.contributions(X.head(2)).feature_names)
    assert "noise" in card.feature_names_in_
    assert "noise" not in kept
    return card


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_map_in_pandas_contributions_pad_dropped_features(card_with_dropped_feature, spark):
    card = card_with_dropped_feature
    X, _ = _data(300, seed=7)
    frame = X.assign(noise=0.5, application_id=np.arange(len(X)))
    sdf = spark.createDataFrame(frame)
    via_pandas = (
        score_spark(card, sdf, contributions=True, use_sql=False)
        .toPandas()
        .sort_values("application_id", ignore_index=True)
    )
    via_sql = (
        score_spark(card, sdf, contributions=True, use_sql=True)
        .toPandas()
        .sort_values("application_id", ignore_index=True)
    )
    assert list(via_pandas.columns) == list(via_sql.columns)
    assert (via_pandas["points_noise"] == 0.0).all()
    pd.testing.assert_frame_equal(via_pandas, via_sql, check_exact=False, atol=1e-9)
    points = via_pandas[[f"points_{f}" for f in card.feature_names_in_]].to_numpy()
    np.testing.assert_allclose(card.baseline_points_ + points.sum(1), via_pandas["score"])


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_executor_error_reaches_the_driver_named(gbm, spark):
    from pyspark.errors import PythonException

    X, _ = _data(600, seed=5)
    X.loc[250, "bill_max_days_late_365d"] = np.inf
    sdf = spark.createDataFrame(X.assign(application_id=np.arange(len(X)))).coalesce(1)
    previous = spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch")
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "100")
    try:
        with pytest.raises(PythonException) as info:
            score_spark(gbm, sdf, use_sql=False).collect()
    finally:
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", previous)
    text = str(info.value)
    assert f"{EXECUTOR_ERROR_PREFIX} (DataError) in partition 0: " in text
    # row 50 of the third batch is row 250 of the (single) partition
    assert "X.bill_max_days_late_365d: infinite values (rows: 250; counted from the start" in text


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_feature_columns_are_found_case_insensitively(gbm, rows):
    frame, sdf = rows
    upper = sdf.withColumnRenamed("ten_account_age_days", "TEN_Account_Age_Days")
    out = score_spark(gbm, upper, use_sql=False).toPandas().sort_values("application_id")
    assert "TEN_Account_Age_Days" in out.columns
    np.testing.assert_allclose(
        out["score"].to_numpy(), gbm.score(frame[list(gbm.feature_names_in_)]), atol=1e-9
    )


# --- output-name planning (no Spark needed) ----------------------------------------------
FEATURES = ["bill_max_days_late_365d", "noise"]


@pytest.mark.parametrize(
    ("kw", "inputs", "case_sensitive", "named"),
    [
        (dict(score_col="out", pd_col="out"), ["a"], False, "out"),
        (dict(score_col="OUT", pd_col="out"), ["a"], False, "OUT"),
        (dict(score_col="points_noise", contributions=True), ["a"], False, "points_noise"),
        (dict(pd_col="Points_Noise", contributions=True), ["a"], False, "Points_Noise"),
        (dict(), ["a", "Score"], False, "score"),
        (dict(), ["a", "PD"], False, "pd"),
        (dict(contributions=True), ["POINTS_NOISE"], False, "points_noise"),
        (dict(), ["score"], True, "score"),
    ],
)
def test_output_names_must_be_unique_and_new(kw, inputs, case_sensitive, named):
    from thinfile_credit.spark_scoring import _check_output_names

    args = dict(score_col="score", pd_col="pd", contributions=False)
    args.update(kw)
    with pytest.raises(DataError, match=rf"^spark_df\.{named}: "):
        _check_output_names(FEATURES, inputs, case_sensitive=case_sensitive, **args)


def test_output_names_differing_in_case_pass_when_spark_is_case_sensitive():
    from thinfile_credit.spark_scoring import _check_output_names

    _check_output_names(
        FEATURES,
        ["Score", "PD"],
        score_col="score",
        pd_col="pd",
        contributions=True,
        case_sensitive=True,
    )
    _check_output_names(
        FEATURES, ["x"], score_col="SCORE", pd_col="score", contributions=False, case_sensitive=True
    )


@pytest.mark.parametrize(
    ("inputs", "case_sensitive", "named"),
    [
        (["a", "A", "b"], False, "a"),
        (["b", "a", "a"], True, "a"),
        (["bill_max_days_late_365d", "noise", "NOISE"], False, "noise"),
    ],
)
def test_duplicated_input_names_are_refused(inputs, case_sensitive, named):
    from thinfile_credit.spark_scoring import _input_columns

    with pytest.raises(DataError, match=rf"^spark_df\.{named}: input column names appear more"):
        _input_columns(FEATURES, inputs, case_sensitive=case_sensitive)


def test_input_columns_resolve_as_spark_does():
    from thinfile_credit.spark_scoring import _input_columns

    inputs = ["x", "Bill_Max_Days_Late_365D", "NOISE"]
    assert _input_columns(FEATURES, inputs, case_sensitive=False) == inputs[1:]
    with pytest.raises(DataError, match=r"^spark_df\.bill_max_days_late_365d, noise: columns"):
        _input_columns(FEATURES, inputs, case_sensitive=True)
    # names differing only in case are distinct columns when Spark is case-sensitive
    assert _input_columns(FEATURES, [*FEATURES, "Noise"], case_sensitive=True) == FEATURES


def test_executor_error_message_carries_table_column_and_partition_rows():
    from thinfile_credit.errors import SchemaError
    from thinfile_credit.spark_scoring import _executor_error

    err = _executor_error(SchemaError("bad", table="X", column="f", rows=[0, 4]), 100)
    assert type(err) is SchemaError
    assert str(err).startswith(f"{EXECUTOR_ERROR_PREFIX} (SchemaError) in partition ")
    assert str(err).endswith("X.f: bad (rows: 100, 104; counted from the start of the partition)")
    plain = _executor_error(ModelError("no rows"), 5)
    assert str(plain).endswith(": no rows")
