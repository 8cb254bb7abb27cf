"""Same features whatever the dataframe: pandas, Polars, PyArrow, DuckDB; online = batch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from _feat_gen import make_tables

from thinfile_credit.features import FeatureBuilder
from thinfile_credit.schema import EventTables


@pytest.fixture(scope="module")
def tables() -> EventTables:
    return make_tables(n_users=100, seed=7, apps_per_user=2)


@pytest.fixture(scope="module")
def polars_result(tables: EventTables) -> pl.DataFrame:
    return FeatureBuilder().build(tables)


def assert_same_features(got: pl.DataFrame, want: pl.DataFrame, names: list[str]) -> None:
    assert got["application_id"].to_list() == want["application_id"].to_list()
    for name in names:
        a = got[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        b = want[name].to_numpy()
        ok = np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
        assert ok.all(), (name, a[~ok][:3], b[~ok][:3])


@pytest.mark.parametrize("kind", ["pandas", "pyarrow"])
def test_pandas_and_pyarrow_match_polars(
    tables: EventTables, polars_result: pl.DataFrame, kind: str
) -> None:
    fb = FeatureBuilder()
    out = fb.build(tables.to_kind(kind))
    if kind == "pandas":
        assert isinstance(out, pd.DataFrame)
        got = pl.from_pandas(out)
    else:
        assert isinstance(out, pa.Table)
        got = pl.from_arrow(out)
    assert list(got.columns) == ["application_id", "user_id", "applied_at", *fb.feature_names_]
    assert_same_features(got, polars_result, fb.feature_names_)


def test_result_keeps_application_order_and_keys(
    tables: EventTables, polars_result: pl.DataFrame
) -> None:
    assert polars_result.select("application_id", "user_id", "applied_at").equals(
        tables.applications.select("application_id", "user_id", "applied_at")
    )
    shuffled = tables.applications.sample(fraction=1.0, shuffle=True, seed=3)
    again = FeatureBuilder().build(tables, applications=shuffled)
    assert again["application_id"].to_list() == shuffled["application_id"].to_list()
    joined = again.join(polars_result, on="application_id", suffix="_b")
    for name in ("cons_gmv_sum_90d", "bill_overdue_count_now", "thin_file"):
        np.testing.assert_allclose(joined[name], joined[f"{name}_b"], equal_nan=True)


def test_duckdb_engine_matches_polars(tables: EventTables, polars_result: pl.DataFrame) -> None:
    """The same plan on DuckDB through narwhals (the engine compared in the benchmark)."""
    duckdb = pytest.importorskip("duckdb")
    import narwhals.stable.v2 as nw

    from thinfile_credit.features._plan import run_narwhals
    from thinfile_credit.features.builder import prepare_polars

    fb = FeatureBuilder()
    prepared = {n: prepare_polars(n, df).collect() for n, df in tables}
    apps = (
        prepared.pop("applications")
        .with_row_index("_app")
        .with_columns(pl.col("_app").cast(pl.Int64), _t=pl.col("applied_at"))
    )
    con = duckdb.connect()
    rels = {n: nw.from_native(con.from_arrow(df.to_arrow())) for n, df in prepared.items()}
    app_rel = nw.from_native(con.from_arrow(apps.select("_app", "user_id", "_t").to_arrow()))
    out = run_narwhals(fb._plan(), app_rel, rels).sort("_app").to_native().pl()
    out = out.with_columns(pl.col(fb.feature_names_).fill_null(np.nan))
    assert_same_features(
        out.with_columns(application_id=polars_result["application_id"]),
        polars_result,
        fb.feature_names_,
    )


def test_build_one_equals_batch_for_200_applications(
    tables: EventTables, polars_result: pl.DataFrame
) -> None:
    fb = FeatureBuilder()
    events = {name: tables[name].to_dicts() for name in tables.names() if name != "applications"}
    assert polars_result.height == 200
    for row in polars_result.iter_rows(named=True):
        online = fb.build_one(events, row["applied_at"], user_id=row["user_id"])
        assert list(online) == fb.feature_names_
        a = np.array(list(online.values()))
        b = np.array([row[n] for n in fb.feature_names_])
        ok = np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
        assert ok.all(), (row["application_id"], np.array(fb.feature_names_)[~ok])


def test_build_one_accepts_small_frames_and_infers_the_user(tables: EventTables) -> None:
    fb = FeatureBuilder()
    app = tables.applications.row(5, named=True)
    uid = app["user_id"]
    own = {
        "orders": tables.orders.filter(pl.col("user_id") == uid).to_pandas(),
        "profile_changes": tables.profile_changes.filter(pl.col("user_id") == uid),
    }
    from_frames = fb.build_one(own, app["applied_at"])
    from_dicts = fb.build_one(
        {
            k: pl.from_pandas(v).to_dicts() if isinstance(v, pd.DataFrame) else v.to_dicts()
            for k, v in own.items()
        },
        app["applied_at"],
        user_id=uid,
    )
    assert from_frames.keys() == from_dicts.keys()
    np.testing.assert_allclose(
        list(from_frames.values()), list(from_dicts.values()), equal_nan=True
    )


def test_aware_timestamps_give_the_same_instants(
    tables: EventTables, polars_result: pl.DataFrame
) -> None:
    """Aware timestamps are compared as instants: moving them to another zone changes
    nothing but the local clock, read in the column's zone (Shanghai: UTC + 8 hours)."""
    from thinfile_credit.features import ConsumptionFeatures

    shanghai = {}
    for name, df in tables:
        shanghai[name] = df.with_columns(
            pl.col(c).dt.replace_time_zone("UTC").dt.convert_time_zone("Asia/Shanghai")
            for c, dt in df.schema.items()
            if isinstance(dt, pl.Datetime)
        )
    fb = FeatureBuilder()
    others = fb.families_[1:]
    got = fb.build(EventTables(**shanghai))
    eight = FeatureBuilder([ConsumptionFeatures(utc_offset_hours=8), *others]).build(tables)
    assert_same_features(got, eight, fb.feature_names_)
    assert not got["cons_active_days_30d"].equals(polars_result["cons_active_days_30d"])
    # a zero offset reads the instants' UTC clock, the naive tables' wall clock here
    utc = FeatureBuilder([ConsumptionFeatures(utc_offset_hours=0.0), *others])
    assert_same_features(utc.build(EventTables(**shanghai)), polars_result, fb.feature_names_)


def test_text_ids_give_the_same_features(tables: EventTables, polars_result: pl.DataFrame) -> None:
    """User, peer, loan and application ids may be text instead of integers."""
    as_text = {}
    for name, df in tables:
        as_text[name] = df.with_columns(
            pl.col(c).cast(pl.String)
            for c in ("application_id", "user_id", "peer_id", "loan_id")
            if c in df.columns
        )
    fb = FeatureBuilder()
    got = fb.build(EventTables(**as_text))
    assert got["application_id"].dtype == pl.String
    assert_same_features(
        got.with_columns(pl.col("application_id").cast(pl.Int64)), polars_result, fb.feature_names_
    )
    events = {n: as_text[n].to_dicts() for n in as_text if n != "applications"}
    row = polars_result.row(7, named=True)
    online = fb.build_one(events, row["applied_at"], user_id=str(row["user_id"]))
    a = np.array(list(online.values()))
    b = np.array([row[n] for n in fb.feature_names_])
    assert np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True).all()


def test_lazy_polars_in_lazy_polars_out(tables: EventTables, polars_result: pl.DataFrame) -> None:
    fb = FeatureBuilder(windows=(30,))
    out = fb.build(EventTables(**{n: df.lazy() for n, df in tables}))
    assert isinstance(out, pl.LazyFrame)
    assert_same_features(out.collect(), fb.build(tables), fb.feature_names_)


def test_marketplace_features_are_bit_identical_build_after_build() -> None:
    """A loan's instalments tie on its disbursement moment, the time they are cut by;
    an unordered join of instalments to loans summed them in a different order from one
    build to the next (``loan_outstanding_amount_now`` differed in its last bits)."""
    from thinfile_credit.synthetic import make_marketplace

    tables = make_marketplace(n_users=3000, seed=0).tables
    first = FeatureBuilder().build(tables)
    for _ in range(4):
        # pandas equals: same shape, dtypes and values, NaN equal to NaN
        assert FeatureBuilder().build(tables).equals(first)
