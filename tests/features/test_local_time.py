"""Local hours and calendar days read each order's own wall clock.

``cons_night_share_*`` and ``cons_active_days_*`` take the hour and day of each order on
its own wall clock by default: naive timestamps as given, time-zone-aware ones in their
column's zone, daylight saving included, a Spark ``TimestampType`` in the session time
zone. ``utc_offset_hours=<number>`` keeps the fixed offset of earlier versions (``0.0``:
aware timestamps read in UTC) and ``time_zone`` reads every instant in one zone. Every
engine agrees: Polars, pandas, the block engine, the narwhals plan, ``build_one``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thinfile_credit.errors import SpecError
from thinfile_credit.features import ConsumptionFeatures, FeatureBuilder, FeatureFamily, _fused
from thinfile_credit.schema import EventTables

LOCAL = ("cons_night_share_30d", "cons_active_days_30d")
FB = FeatureBuilder([ConsumptionFeatures(windows=(30,))])
ZONES = ("Asia/Shanghai", "America/New_York", "UTC", "Australia/Lord_Howe")
# UTC moments of daylight-saving changes in 2024: New York (spring, autumn), Lord Howe
# (half an hour: April, October), and a summer day for contrast
CHANGES = (
    datetime(2024, 3, 10, 7),
    datetime(2024, 11, 3, 6),
    datetime(2024, 4, 6, 15),
    datetime(2024, 10, 5, 16),
    datetime(2024, 7, 1),
)
HOUR = timedelta(hours=1)


def _orders(moments: pl.Series) -> pl.DataFrame:
    n = moments.len()
    return pl.DataFrame(
        {
            "order_id": range(n),
            "user_id": [1] * n,
            "ordered_at": moments,
            "amount": [10.0 + i for i in range(n)],
            "category": ["food"] * n,
            "status": ["paid"] * n,
        }
    )


def _apps(moment: pl.Series) -> pl.DataFrame:
    return pl.DataFrame({"application_id": [1], "user_id": [1], "applied_at": moment})


def _in_zone(utc: list[datetime], zone: str) -> pl.Series:
    """The instants (naive UTC datetimes) as an aware column of ``zone``."""
    return (
        pl.Series(utc, dtype=pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(zone)
    )


def _row(fb: FeatureBuilder, orders: Any, apps: Any) -> dict[str, float]:
    out = fb.build(EventTables(applications=apps, orders=orders))
    if not isinstance(out, pl.DataFrame):
        out = pl.from_pandas(out) if hasattr(out, "iloc") else pl.from_arrow(out)
    return out.row(0, named=True)


def _same(a: dict[str, float], b: dict[str, float], names: tuple[str, ...] = LOCAL) -> bool:
    return all(
        (math.isnan(a[n]) and math.isnan(b[n])) or math.isclose(a[n], b[n], abs_tol=1e-12)
        for n in names
    )


@st.composite
def application(draw: st.DrawFn) -> tuple[datetime, list[datetime]]:
    """An application moment near a daylight-saving change and its orders (UTC instants),
    at least two hours inside the 30-day window: a window compares instants, a naive
    copy wall clocks, and the two differ by the change of offset (an hour at most)."""
    t = draw(st.sampled_from(CHANGES)) + timedelta(
        minutes=draw(st.integers(-3 * 1440, 25 * 1440)), seconds=draw(st.integers(0, 59))
    )
    ago = st.integers(120, 30 * 1440 - 120).map(lambda m: timedelta(minutes=m))
    orders = draw(st.lists(ago, min_size=1, max_size=25))
    return t, [t - d for d in orders]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(app=application(), zone=st.sampled_from(ZONES))
def test_aware_orders_read_their_own_wall_clock(
    app: tuple[datetime, list[datetime]], zone: str
) -> None:
    """Aware orders give the local features of the same wall-clock times held naive, on
    Polars and pandas input and online."""
    t, moments = app
    orders, apps = _orders(_in_zone(moments, zone)), _apps(_in_zone([t], zone))
    naive = _row(
        FB,
        orders.with_columns(pl.col("ordered_at").dt.replace_time_zone(None)),
        apps.with_columns(pl.col("applied_at").dt.replace_time_zone(None)),
    )
    got = _row(FB, orders, apps)
    assert _same(got, naive), (got, naive)
    assert _same(_row(FB, orders.to_pandas(), apps.to_pandas()), naive)
    online = FB.build_one({"orders": orders.to_dicts()}, apps["applied_at"][0])
    # every feature, not only the local ones: online equals the batch row
    assert _same(online, got, tuple(FB.feature_names_))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    app=application(), zone=st.sampled_from(ZONES), held=st.sampled_from(["naive", "Europe/Paris"])
)
def test_time_zone_reads_instants_in_that_zone(
    app: tuple[datetime, list[datetime]], zone: str, held: str
) -> None:
    """``time_zone`` reads UTC-held data (naive timestamps taken as UTC, or aware ones of
    any zone) as its own wall clock would be read in that zone."""
    t, moments = app
    local = _row(FB, _orders(_in_zone(moments, zone)), _apps(_in_zone([t], zone)))
    fb = FeatureBuilder([ConsumptionFeatures(windows=(30,), time_zone=zone)])

    def as_held(utc: list[datetime]) -> pl.Series:
        return pl.Series(utc, dtype=pl.Datetime("us")) if held == "naive" else _in_zone(utc, held)

    orders, apps = _orders(as_held(moments)), _apps(as_held([t]))
    got = _row(fb, orders, apps)
    assert _same(got, local), (got, local)
    online = fb.build_one({"orders": orders.to_dicts()}, apps["applied_at"][0])
    assert _same(online, got, tuple(fb.feature_names_))


# ------------------------------------------------------------------ every engine


def _narwhals(fb: FeatureBuilder, orders: pl.DataFrame, apps: pl.DataFrame) -> dict[str, float]:
    """The narwhals plan (what Spark runs) on DuckDB relations, clocks prepared as the
    batch builder prepares them."""
    duckdb = pytest.importorskip("duckdb")
    import narwhals.stable.v2 as nw

    from thinfile_credit.features._plan import run_narwhals
    from thinfile_credit.features.builder import prepare_polars

    plan = fb._polars_plan({"applications": apps, "orders": orders})
    keys = prepare_polars("applications", apps).collect().with_row_index("_app")
    keys = keys.select(pl.col("_app").cast(pl.Int64), "user_id", _t=pl.col("applied_at"))
    con = duckdb.connect()
    frame = prepare_polars("orders", orders, plan.clocks).collect()
    rels = {"orders": nw.from_native(con.from_arrow(frame.to_arrow()))}
    out = run_narwhals(plan, nw.from_native(con.from_arrow(keys.to_arrow())), rels)
    return out.to_native().pl().fill_null(np.nan).row(0, named=True)


def _new_york_summer() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Orders at 01:00, 03:00, 05:59 and 06:30 (the last two on July 3) New York summer
    time (EDT, UTC-4)."""
    utc = [datetime(2024, 7, 1, 5), datetime(2024, 7, 2, 7), datetime(2024, 7, 3, 9, 59)]
    utc.append(datetime(2024, 7, 3, 10, 30))
    zone = "America/New_York"
    return _orders(_in_zone(utc, zone)), _apps(_in_zone([datetime(2024, 7, 10, 16)], zone))


@pytest.mark.parametrize("engine", ["fused", "blocks", "narwhals", "online"])
def test_every_engine_reads_the_columns_zone(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three of the four orders are at night on New York's summer clock (a fixed
    winter offset of -5 would put the 06:30 order at 05:30, at night, too), on three
    local days."""
    orders, apps = _new_york_summer()
    if engine == "online":
        row = FB.build_one({"orders": orders.to_dicts()}, apps["applied_at"][0])
    elif engine == "narwhals":
        row = _narwhals(FB, orders, apps)
    else:
        monkeypatch.setattr(_fused, "ENABLED", engine == "fused")
        row = _row(FB, orders, apps)
    assert (row["cons_night_share_30d"], row["cons_active_days_30d"]) == (0.75, 3.0)
    winter = FeatureBuilder([ConsumptionFeatures(windows=(30,), utc_offset_hours=-5)])
    assert _row(winter, orders, apps)["cons_night_share_30d"] == 1.0


def test_pyarrow_input_reads_the_columns_zone() -> None:
    orders, apps = _new_york_summer()
    row = _row(FB, orders.to_arrow(), apps.to_arrow())
    assert (row["cons_night_share_30d"], row["cons_active_days_30d"]) == (0.75, 3.0)


def test_online_reads_each_values_own_offset() -> None:
    """Events given one by one may each carry their own zone: each is read on its own."""
    t = datetime(2024, 7, 10, 12, tzinfo=UTC)
    events = [
        datetime(2024, 7, 1, 2, tzinfo=timezone(timedelta(hours=8))),  # 02:00 in +08:00
        datetime(2024, 7, 2, 3, tzinfo=ZoneInfo("America/New_York")),  # 03:00 EDT
        datetime(2024, 7, 3, 12, tzinfo=UTC),  # noon
    ]
    orders = [
        {"user_id": 1, "ordered_at": e, "amount": 1.0, "category": "food", "status": "paid"}
        for e in events
    ]
    row = FB.build_one({"orders": orders}, t)
    assert row["cons_night_share_30d"] == pytest.approx(2 / 3)
    assert row["cons_active_days_30d"] == 3.0


def test_naive_and_utc_data_compute_no_clock() -> None:
    """Only an aware column outside UTC (or a zone) costs a conversion: for naive or UTC
    data the plan reads the timestamps as held, as before local clocks existed."""
    orders, apps = _new_york_summer()

    def plan_for(zone: str | None) -> Any:
        o = orders.with_columns(pl.col("ordered_at").dt.convert_time_zone(zone or "UTC"))
        if zone is None:
            o = o.with_columns(pl.col("ordered_at").dt.replace_time_zone(None))
        return FB._polars_plan({"applications": apps, "orders": o})

    assert plan_for(None).clocks == plan_for("UTC").clocks == frozenset()
    assert plan_for(None) is FB._plan()
    assert plan_for("Asia/Shanghai").clocks == {"ordered_at@local"}
    from thinfile_credit.features.builder import prepare_polars

    naive = orders.with_columns(pl.col("ordered_at").dt.replace_time_zone(None))
    assert prepare_polars("orders", naive, plan_for(None).clocks).collect_schema().names() == (
        prepare_polars("orders", naive).collect_schema().names()
    )


# ------------------------------------------------------------------ fixed offsets


def _shanghai_night() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Orders at 02:00 and 03:00 in Shanghai (18:00 and 19:00 UTC the day before)."""
    zone = "Asia/Shanghai"
    local = [datetime(2024, 2, 20, 2), datetime(2024, 2, 21, 3)]
    orders = _orders(pl.Series(local).dt.replace_time_zone(zone))
    return orders, _apps(pl.Series([datetime(2024, 3, 1, 12)]).dt.replace_time_zone(zone))


def test_zero_offset_reads_utc_as_before() -> None:
    """``utc_offset_hours=0.0``, the former default, still reads aware timestamps in UTC,
    with the expression of earlier versions."""
    orders, apps = _shanghai_night()
    zero = FeatureBuilder([ConsumptionFeatures(windows=(30,), utc_offset_hours=0.0)])
    assert _row(FB, orders, apps)["cons_night_share_30d"] == 1.0
    assert _row(zero, orders, apps)["cons_night_share_30d"] == 0.0
    key = {f.name: f.expr.key for f in zero.features()}["cons_active_days_30d"]
    assert "nunique,orders,floordiv(add(col(ordered_at),lit(0)),lit(86400000000))" in key
    eight = FeatureBuilder([ConsumptionFeatures(windows=(30,), utc_offset_hours=8)])
    assert _row(eight, orders, apps)["cons_night_share_30d"] == 1.0
    row = zero.build_one({"orders": orders.to_dicts()}, apps["applied_at"][0])
    assert row["cons_night_share_30d"] == 0.0


def test_a_spec_saved_by_an_earlier_version_builds_as_before() -> None:
    """A builder saved before ``utc_offset_hours`` took ``None`` holds ``0.0`` (and no
    ``time_zone``): it loads and reads aware timestamps in UTC, as it did."""
    saved = json.dumps(
        {
            "families": [
                {
                    "type": "ConsumptionFeatures",
                    "windows": [30],
                    "essential_categories": ["food"],
                    "instalment_methods": ["pay_later"],
                    "night_hours": [0, 6],
                    "utc_offset_hours": 0.0,
                }
            ],
            "validate": True,
        }
    )
    fb = FeatureBuilder.from_dict(json.loads(saved))
    (fam,) = fb.families_
    assert isinstance(fam, ConsumptionFeatures)
    assert (fam.utc_offset_hours, fam.time_zone) == (0.0, None)
    orders, apps = _shanghai_night()
    utc = [datetime(2024, 2, 19, 18), datetime(2024, 2, 20, 19)]
    as_utc_wall_clock = _row(
        FB, _orders(pl.Series(utc)), _apps(pl.Series([datetime(2024, 3, 1, 4)]))
    )
    assert _same(_row(fb, orders, apps), as_utc_wall_clock, tuple(fb.feature_names_))


def test_spec_round_trips_with_the_new_options() -> None:
    for fam in (
        ConsumptionFeatures(),
        ConsumptionFeatures(utc_offset_hours=5.5),
        ConsumptionFeatures(time_zone="America/New_York"),
    ):
        data = json.loads(fam.to_json())
        assert FeatureFamily.from_dict(data) == fam
    assert ConsumptionFeatures().to_dict()["utc_offset_hours"] is None


@pytest.mark.parametrize(
    "offset", [True, 14.5, -15, float("nan"), float("inf"), "8", np.timedelta64(8, "h")]
)
def test_bad_offsets_are_refused(offset: Any) -> None:
    with pytest.raises(SpecError, match="utc_offset_hours"):
        ConsumptionFeatures(utc_offset_hours=offset)


@pytest.mark.parametrize("offset", [None, 0, -14, 14, 5.5, np.float64(8), np.int64(-3)])
def test_good_offsets_are_kept(offset: Any) -> None:
    assert ConsumptionFeatures(utc_offset_hours=offset).utc_offset_hours == offset


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"time_zone": 8}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        # known to the system's zoneinfo, not to Polars' zone database
        ({"time_zone": "localtime"}, "time_zone"),
        ({"time_zone": "posixrules"}, "time_zone"),
        ({"time_zone": "Asia/Shanghai", "utc_offset_hours": 8}, "time_zone"),
        ({"time_zone": "UTC", "utc_offset_hours": 0.0}, "utc_offset_hours"),
    ],
)
def test_bad_time_zones_are_refused(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(SpecError, match=field):
        ConsumptionFeatures(**kwargs)


# ------------------------------------------------------------------ Spark


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.xdist_group("spark")
def test_spark_reads_timestamps_in_the_session_zone(spark: Any) -> None:
    """A ``TimestampType`` column has no zone: its local hours are the session time
    zone's (as Spark's ``hour()``), equal to the same local times held naive; and
    ``time_zone`` reads naive (``TimestampNTZType``) times as UTC."""
    from pyspark.sql import types as T

    spark.conf.set("spark.sql.constraintPropagation.enabled", "false")
    orders, apps = _new_york_summer()
    schema = {"ordered_at": T.TimestampType(), "applied_at": T.TimestampType()}

    def to_spark(df: pl.DataFrame, ntz: bool) -> Any:
        fields = [
            T.StructField(
                c,
                (T.TimestampNTZType() if ntz else schema[c])
                if c in schema
                else {pl.Int64: T.LongType(), pl.Float64: T.DoubleType()}.get(
                    df.schema[c], T.StringType()
                ),
            )
            for c in df.columns
        ]
        return spark.createDataFrame(df.rows(), T.StructType(fields))

    def build(fb: FeatureBuilder, o: pl.DataFrame, a: pl.DataFrame, ntz: bool) -> dict:
        tables = EventTables(applications=to_spark(a, ntz), orders=to_spark(o, ntz))
        return fb.build(tables).collect()[0].asDict()

    before = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        aware = build(FB, orders, apps, ntz=False)
    finally:
        spark.conf.set("spark.sql.session.timeZone", before)
    assert (aware["cons_night_share_30d"], aware["cons_active_days_30d"]) == (0.75, 3.0)
    # the same instants held naive in UTC, read in New York
    fb = FeatureBuilder([ConsumptionFeatures(windows=(30,), time_zone="America/New_York")])
    utc = [
        o.with_columns(pl.col(c).dt.convert_time_zone("UTC").dt.replace_time_zone(None))
        for o, c in ((orders, "ordered_at"), (apps, "applied_at"))
    ]
    naive = build(fb, *utc, ntz=True)
    assert (naive["cons_night_share_30d"], naive["cons_active_days_30d"]) == (0.75, 3.0)
