"""The Spark path gives the embedded engine's numbers on the same data."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from _feat_gen import make_tables

from thinfile_credit.features import FeatureBuilder
from thinfile_credit.schema import EventTables

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark"), pytest.mark.slow]


def test_spark_matches_polars(spark: Any) -> None:
    # the setting the docs recommend: Catalyst's constraint propagation is super-linear in
    # the number of CASE WHEN expressions a plan holds (measured 27 s -> 5 s here)
    spark.conf.set("spark.sql.constraintPropagation.enabled", "false")
    tables = make_tables(n_users=20, seed=11, apps_per_user=2)
    # one window keeps Spark's query planning (the bulk of the time on tiny data) short
    fb = FeatureBuilder(windows=(30,))
    want = fb.build(tables)
    sdfs = {name: spark.createDataFrame(df.to_arrow()) for name, df in tables}
    out = fb.build(EventTables(**sdfs))
    assert type(out).__module__.startswith("pyspark.")
    assert out.columns == ["application_id", "user_id", "applied_at", *fb.feature_names_]
    got = pl.from_arrow(out.toArrow()).sort("application_id")
    want = want.sort("application_id")
    assert got["application_id"].to_list() == want["application_id"].to_list()
    for name in fb.feature_names_:
        a = got[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        b = want[name].to_numpy()
        ok = np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
        assert ok.all(), (name, a[~ok][:3], b[~ok][:3])


def test_spark_rejects_a_mix_of_spark_and_local_frames(spark: Any) -> None:
    from thinfile_credit.errors import SchemaError

    tables = make_tables(n_users=5, seed=1)
    mixed = EventTables(
        applications=spark.createDataFrame(tables.applications.to_arrow()), orders=tables.orders
    )
    with pytest.raises(SchemaError, match="orders"):
        FeatureBuilder().build(mixed)


def test_spark_reads_naive_times_as_wall_clock_whatever_the_session_zone(spark: Any) -> None:
    """A naive time in a daylight-saving gap of the session zone must not move an hour."""
    from datetime import datetime

    from pyspark.sql import types as T

    from thinfile_credit.features import TenureFeatures

    t = datetime(2024, 3, 10, 2, 30)  # in New York's spring-forward gap
    change = datetime(2024, 3, 10, 3, 10)  # 40 minutes after the application
    apps_schema = T.StructType(
        [
            T.StructField("application_id", T.LongType()),
            T.StructField("user_id", T.LongType()),
            T.StructField("applied_at", T.TimestampNTZType()),
        ]
    )
    change_schema = T.StructType(
        [
            T.StructField("user_id", T.LongType()),
            T.StructField("changed_at", T.TimestampNTZType()),
            T.StructField("kind", T.StringType()),
        ]
    )
    fb = FeatureBuilder([TenureFeatures(windows=(30,))], validate=False)
    before = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        out = fb.build(
            EventTables(
                applications=spark.createDataFrame([(1, 1, t)], apps_schema),
                profile_changes=spark.createDataFrame([(1, change, "device")], change_schema),
            )
        ).collect()[0]
    finally:
        spark.conf.set("spark.sql.session.timeZone", before)
    assert out["ten_device_changes_30d"] == 0.0


def test_spark_counts_a_status_only_once_reached_before_t(spark: Any) -> None:
    """``status_at`` exactly at, just before and after ``t`` on Spark, and the final
    status when the column is absent, as on the embedded engine."""
    from datetime import datetime, timedelta

    from thinfile_credit.features import ConsumptionFeatures

    spark.conf.set("spark.sql.constraintPropagation.enabled", "false")
    t = datetime(2024, 6, 1, 12)
    day, us = timedelta(days=1), timedelta(microseconds=1)
    rows = [  # (status, ordered, status_at)
        ("refunded", t - 20 * day, t - day),  # counts
        ("refunded", t - 10 * day, t),  # at t: still paid
        ("returned", t - 5 * day, t + 3 * day),  # after t: still paid
        ("cancelled", t - 3 * day, t - us),  # counts
        ("cancelled", t - day, None),  # known when placed: counts
    ]
    orders = pl.DataFrame(
        {
            "order_id": range(len(rows)),
            "user_id": [1] * len(rows),
            "ordered_at": [r[1] for r in rows],
            "amount": [10.0, 20.0, 30.0, 40.0, 50.0],
            "category": ["food"] * len(rows),
            "status": [r[0] for r in rows],
            "status_at": pl.Series([r[2] for r in rows], dtype=pl.Datetime("us")),
        }
    )
    apps = pl.DataFrame({"application_id": [1, 2], "user_id": [1, 1], "applied_at": [t, t + us]})
    fb = FeatureBuilder([ConsumptionFeatures(windows=(30,))])
    names = ["cons_refund_rate_30d", "cons_return_rate_30d", "cons_cancel_rate_30d"]
    for frame, want in (
        (orders, [[0.2, 0.0, 0.4], [0.4, 0.0, 0.4]]),
        (orders.drop("status_at"), [[0.4, 0.2, 0.4], [0.4, 0.2, 0.4]]),
    ):
        local = EventTables(applications=apps, orders=frame)
        sdfs = EventTables(**{n: spark.createDataFrame(df.to_arrow()) for n, df in local})
        got = pl.from_arrow(fb.build(sdfs).toArrow()).sort("application_id")
        np.testing.assert_allclose(got.select(names).to_numpy(), want, rtol=1e-12)
        np.testing.assert_allclose(fb.build(local).select(names).to_numpy(), want, rtol=1e-12)


def test_spark_rejects_date_columns(spark: Any) -> None:
    """As the embedded engines: a date read as midnight would move an event earlier."""
    from thinfile_credit.errors import SchemaError

    tables = make_tables(n_users=4, seed=0)
    orders = pl.DataFrame(tables.orders).with_columns(pl.col("status_at").dt.date())
    sdfs = EventTables(
        applications=spark.createDataFrame(tables.applications.to_arrow()),
        orders=spark.createDataFrame(orders.to_arrow()),
    )
    with pytest.raises(SchemaError, match="no time of day") as info:
        FeatureBuilder(validate=False).build(sdfs)
    assert (info.value.table, info.value.column) == ("orders", "status_at")
