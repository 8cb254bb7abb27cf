"""SQL export in local Spark: the Spark SQL scorecard returns exactly the Python scores."""

from __future__ import annotations

import numpy as np
import pytest
from _scorecard_data import synthetic_applicants
from test_scorecard_sql import BINNER, scoring_frame

from thinfile_credit.scorecard import WoEScorecard

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


@pytest.mark.parametrize("integer", [True, False], ids=["integer-points", "float-points"])
def test_spark_sql_equals_python_scores(spark, integer: bool) -> None:
    X_fit, y = synthetic_applicants(8000, seed=3)
    card = WoEScorecard(binner=BINNER, round_points=integer, min_iv=0.0).fit(X_fit, y)
    X, _ = scoring_frame()
    frame = X.drop(columns="ontime_is_nan").assign(
        nan_flag=X["ontime_is_nan"], row_id=np.arange(len(X))
    )
    frame["ten_device_type"] = frame["ten_device_type"].astype(object)
    spark.createDataFrame(frame).createOrReplaceTempView("raw_applicants")
    # genuine NaN for flagged rows, NULL (from pandas' NaN) elsewhere
    spark.sql(
        "SELECT * , CASE WHEN nan_flag THEN CAST('NaN' AS DOUBLE) "
        "ELSE bill_ontime_share_180d END AS bill_fixed FROM raw_applicants"
    ).drop("bill_ontime_share_180d").withColumnRenamed(
        "bill_fixed", "bill_ontime_share_180d"
    ).createOrReplaceTempView("applicants")
    n_nan = spark.sql(
        "SELECT count(*) AS n FROM applicants WHERE isnan(bill_ontime_share_180d)"
    ).collect()[0]["n"]
    assert n_nan == int(X["ontime_is_nan"].sum()) > 0
    rows = spark.sql(card.to_sql("spark", table="applicants")).select("row_id", "score")
    got_frame = rows.toPandas().sort_values("row_id")
    got = got_frame["score"].to_numpy(dtype=np.float64)
    python = X.drop(columns="ontime_is_nan").copy()
    python.loc[X["ontime_is_nan"], "bill_ontime_share_180d"] = np.nan
    expected = card.score(python)
    assert len(got) == 10_000
    if integer:
        assert np.array_equal(got, expected)
    else:
        assert np.max(np.abs(got - expected)) <= 1e-9


def test_spark_reads_awkward_categories_verbatim(spark) -> None:
    import pandas as pd
    from test_scorecard_sql import AWKWARD, _awkward_binning, _python_points

    from thinfile_credit.scorecard import feature_case_sql

    fb, points = _awkward_binning()
    values = [*AWKWARD, "unseen", None]
    frame = pd.DataFrame({"i": range(len(values)), "merchant": pd.Series(values, dtype=object)})
    spark.createDataFrame(frame).createOrReplaceTempView("awkward")
    case = feature_case_sql(fb, points, "spark", integer=True)
    rows = spark.sql(f"SELECT i, {case} AS p FROM awkward ORDER BY i").collect()
    assert [r["p"] for r in rows] == _python_points(fb, points, values)


def test_spark_places_the_rare_token_as_python_does(spark) -> None:
    # a real "__rare__" category (no pooling) in its bin; an applicant spelled so in a
    # pooling feature unseen - as Python scores them (test_scorecard_rare_token.py)
    import json
    from pathlib import Path

    import pandas as pd

    stored = json.loads((Path(__file__).parent / "data" / "rare_token_head.json").read_text())
    card = WoEScorecard.from_json(json.dumps(stored["artefact"]))
    rows = {k: [*v, v[0]] for k, v in stored["rows"].items()}
    rows["pooled"][-1] = "__rare__"
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in rows.items()})
    spark.createDataFrame(frame.assign(i=range(len(frame)))).createOrReplaceTempView("rare")
    got = spark.sql(card.to_sql("spark", table="rare") + " ORDER BY i").collect()
    np.testing.assert_allclose([r["score"] for r in got], card.score(frame), atol=1e-9)
