"""The Spark path: the same plan on PySpark DataFrames, computed on the cluster.

Nothing is collected to the driver: the tables are prepared with Spark SQL functions
(timestamps to integer microseconds with ``unix_micros``) and the plan runs through
narwhals' lazy PySpark backend, so every feature has the definition the Polars and
NumPy paths use.

Naive timestamps (``TimestampNTZType``) are read as their wall clock, whatever the
session time zone, and time-zone aware ``TimestampType`` columns as instants, as the
embedded engines read them. A ``TimestampType`` column has no zone of its own: its local
hours and days (``ConsumptionFeatures(utc_offset_hours=None)``) are read in the session
time zone (``spark.sql.session.timeZone``), as Spark's own ``hour()`` reads them.

Recommended session setting: ``spark.sql.constraintPropagation.enabled=false``. The plan
holds hundreds of conditional expressions, and Catalyst's constraint propagation is
super-linear in their number: on a local session it cut the planning of the consumption
family from 27 s to 5 s. The library does not change your session's settings itself.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from thinfile_credit._optional import require
from thinfile_credit.errors import SchemaError
from thinfile_credit.features._local_time import clocks_of, computed_clocks, parse_clock

if TYPE_CHECKING:
    from thinfile_credit.features._plan import Plan
    from thinfile_credit.features.builder import FeatureBuilder
    from thinfile_credit.schema import EventTables

__all__ = ["build_spark", "prepare_spark"]


def build_spark(builder: FeatureBuilder, tables: EventTables) -> Any:
    """Features for every application of PySpark ``tables`` as a PySpark DataFrame.

    Parameters
    ----------
    builder : FeatureBuilder
        Which features.
    tables : EventTables
        All present tables are PySpark DataFrames of one session.

    Returns
    -------
    pyspark.sql.DataFrame
        ``application_id``, ``user_id``, ``applied_at`` and the features (double, null
        where undefined), lazily defined.
    """
    import narwhals.stable.v2 as nw

    from thinfile_credit._frames import is_spark
    from thinfile_credit.features._plan import APP, run_narwhals
    from thinfile_credit.features.builder import KEY_COLUMNS, TABLE_COLUMNS

    require("pyspark", "spark")
    from pyspark.sql import functions as F

    for name, frame in tables:
        if not is_spark(frame):
            raise SchemaError("mix of PySpark and local frames; convert all to Spark", table=name)
    apps_raw = tables.applications
    plan = _spark_plan(builder, tables, apps_raw.sparkSession)
    prepared = {
        name: prepare_spark(name, frame, plan.clocks)
        for name, frame in tables
        if name in TABLE_COLUMNS
    }
    missing = [c for c in KEY_COLUMNS if c not in apps_raw.columns]
    if missing:
        raise SchemaError(f"required columns missing: {missing}", table="applications")
    keys = prepared.pop("applications").select(
        F.col("application_id").alias(APP), "user_id", F.col("applied_at").alias("_t")
    )
    frames = {n: nw.from_native(df) for n, df in prepared.items()}
    feats = run_narwhals(plan, nw.from_native(keys), frames, default_dpd=builder._default_dpd())
    native = feats.to_native()
    out = apps_raw.select(*KEY_COLUMNS).join(
        native.withColumnRenamed(APP, "application_id"), on="application_id", how="left"
    )
    return out.select(*KEY_COLUMNS, *[f.name for f in plan.features])


def _spark_plan(builder: FeatureBuilder, tables: EventTables, session: Any) -> Plan:
    """The builder's plan, computing the local clocks that differ from their column: a
    ``TimestampType`` column's own clock unless the session time zone is UTC."""
    from pyspark.sql import types as T

    base = builder._base_plan()
    if not base.clocks:
        return base
    session_zone = session.conf.get("spark.sql.session.timeZone")
    zones = [
        (f.name, session_zone if isinstance(f.dataType, T.TimestampType) else None)
        for _, frame in tables
        for f in frame.schema.fields
        if isinstance(f.dataType, (T.TimestampType, T.TimestampNTZType))
    ]
    return base.localised(computed_clocks(base.clocks, zones))


def prepare_spark(name: str, df: Any, clocks: Collection[str] = ()) -> Any:
    """Spark counterpart of :func:`thinfile_credit.features.builder.prepare_polars`."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from thinfile_credit.features.builder import (
        FLOAT_COLUMNS,
        ID_COLUMNS,
        OPTIONAL_COLUMNS,
        TABLE_COLUMNS,
        TIME_COLUMNS,
    )

    spark_types = {"String": T.StringType(), "Int64": T.LongType(), "Float64": T.DoubleType()}
    present = set(df.columns)
    cols = []
    for c in TABLE_COLUMNS[name]:
        if c not in present:
            if (name, c) not in OPTIONAL_COLUMNS:
                raise SchemaError("required column missing", table=name, column=c)
            dtype = spark_types[str(OPTIONAL_COLUMNS[(name, c)])]
            cols.append(F.lit(None).cast(dtype).alias(c))
            continue
        field = df.schema[c].dataType
        if c in TIME_COLUMNS:
            if isinstance(field, T.DateType):
                # as the embedded engines: midnight would move events earlier
                raise SchemaError(
                    "a date column has no time of day: give timestamps (the moment of each event)",
                    table=name,
                    column=c,
                )
            if isinstance(field, (T.TimestampType, T.TimestampNTZType)):
                cols.append(_micros(F.col(c), field).alias(c))
            elif isinstance(field, T.NullType):
                cols.append(F.lit(None).cast("long").alias(c))
            else:
                raise SchemaError(f"expected a timestamp column, got {field}", table=name, column=c)
        elif c in FLOAT_COLUMNS:
            cols.append(F.col(c).cast("double").alias(c))
        elif c in ID_COLUMNS and isinstance(field, T.IntegralType):
            cols.append(F.col(c).cast("long").alias(c))
        else:
            cols.append(F.col(c))
    for clock in clocks_of([c for c in TABLE_COLUMNS[name] if c in present], clocks):
        base = parse_clock(clock)
        assert base is not None
        cols.append(_clock(base[1], F.col(base[0]), df.schema[base[0]].dataType).alias(clock))
    return df.select(*cols)


def _micros(col: Any, field: Any) -> Any:
    """A time column as microseconds since 1970-01-01, as the embedded engines count them.

    An aware timestamp is its instant. A naive timestamp is its wall-clock reading,
    assembled from its calendar fields: casting it to Spark's timestamp would
    read it in the session time zone, which moves times in a daylight-saving gap by an
    hour (an event after the application could then land before it).
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if isinstance(field, T.TimestampType):
        return F.unix_micros(col)
    return _wall_clock(col)


def _clock(zone: str | None, col: Any, field: Any) -> Any:
    """A local clock (see :mod:`._local_time`) of a time column, in microseconds: its own
    wall clock (``zone`` None) or that of its instant in ``zone``."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if not isinstance(field, (T.TimestampType, T.TimestampNTZType)):
        return F.lit(None).cast("long")
    if zone is None:
        # a TimestampType's fields in the session time zone, as Spark's hour() reads them
        return _wall_clock(col)
    # a naive timestamp is taken as UTC: its wall clock is its instant
    instant = col if isinstance(field, T.TimestampType) else F.timestamp_micros(_wall_clock(col))
    # from_utc_timestamp gives the instant whose UTC reading is the wall clock in zone
    return F.unix_micros(F.from_utc_timestamp(instant, zone))


def _wall_clock(col: Any) -> Any:
    """The wall clock of a timestamp as microseconds since 1970-01-01, from its calendar
    fields (a ``TimestampType``'s in the session time zone)."""
    from pyspark.sql import functions as F

    day = F.unix_date(F.to_date(col)).cast("long") * 86_400_000_000
    return (
        day
        + F.hour(col).cast("long") * 3_600_000_000
        + F.minute(col).cast("long") * 60_000_000
        + (F.date_part(F.lit("SECOND"), col) * 1_000_000).cast("long")
    )
