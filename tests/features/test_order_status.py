"""Order statuses as known at the application moment (``orders.status_at``).

An order's ``status`` is its final status; ``status_at`` says when it was reached. At an
application moment ``t`` a refund, return or cancellation counts only if reached strictly
before ``t``; until then the order is ``paid``. Without the column the final status is
taken as known (the behaviour before the column existed). Every engine must agree: the
batch build with and without generated kernels, the narwhals plan (DuckDB), ``build_one``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from _feat_reference import reference_features
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.errors import SchemaError
from thinfile_credit.features import ConsumptionFeatures, FeatureBuilder, _fused, pit
from thinfile_credit.schema import ORDER_STATUSES, EventTables

T = datetime(2024, 6, 1, 12)
DAY = timedelta(days=1)
US = timedelta(microseconds=1)
FB = FeatureBuilder([ConsumptionFeatures(windows=(30,))])
STATUS_FEATURES = (
    "cons_refund_rate_30d",
    "cons_return_rate_30d",
    "cons_cancel_rate_30d",
    "cons_basket_mean_30d",
)
ENGINES = ("fused", "blocks", "narwhals", "online")


def _order(i: int, ordered: datetime, status: str, status_at: datetime | None) -> dict[str, Any]:
    return dict(
        order_id=i,
        user_id=1,
        ordered_at=ordered,
        amount=10.0 * i,
        category="food",
        status=status,
        status_at=status_at,
        payment_method="card",
        installments=1,
    )


# placed before t; the final status reached before, exactly at or after t
ORDERS = [
    _order(1, T - 20 * DAY, "refunded", T - DAY),  # refunded before t: counts
    _order(2, T - 10 * DAY, "refunded", T),  # refunded exactly at t: still paid
    _order(3, T - 5 * DAY, "returned", T + 3 * DAY),  # returned after t: still paid
    _order(4, T - 3 * DAY, "cancelled", T - US),  # cancelled just before t: counts
    _order(5, T - 2 * DAY, "paid", T + timedelta(hours=1)),  # paid after t: paid anyway
    _order(6, T - DAY, "cancelled", None),  # known when placed: counts
]
EXPECTED = {
    "cons_refund_rate_30d": 1 / 6,
    "cons_return_rate_30d": 0.0,
    "cons_cancel_rate_30d": 2 / 6,
    "cons_basket_mean_30d": (20.0 + 30.0 + 50.0) / 3,  # orders 2, 3 and 5 are kept at t
}
# the final statuses, as if all known at t (no status_at)
FINAL = {
    "cons_refund_rate_30d": 2 / 6,
    "cons_return_rate_30d": 1 / 6,
    "cons_cancel_rate_30d": 2 / 6,
    "cons_basket_mean_30d": 50.0,
}


def _orders_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "order_id": pl.Int64,
            "user_id": pl.Int64,
            "ordered_at": pl.Datetime("us"),
            "amount": pl.Float64,
            "category": pl.String,
            "status": pl.String,
            "status_at": pl.Datetime("us"),
            "payment_method": pl.String,
            "installments": pl.Int64,
        },
        orient="row",
    )


def _apps(*moments: datetime) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "application_id": range(len(moments)),
            "user_id": [1] * len(moments),
            "applied_at": moments,
        }
    )


def _features(
    engine: str,
    orders: pl.DataFrame,
    apps: pl.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
    fb: FeatureBuilder = FB,
) -> list[dict[str, float]]:
    """One feature row per application, computed by ``engine``."""
    if engine == "online":
        events = {"orders": orders.to_dicts()}
        return [fb.build_one(events, t, user_id=1) for t in apps["applied_at"]]
    if engine == "narwhals":
        return _narwhals(orders, apps, fb)
    monkeypatch.setattr(_fused, "ENABLED", engine == "fused")
    out = fb.build(EventTables(applications=apps, orders=orders))
    return [{n: r[n] for n in fb.feature_names_} for r in out.iter_rows(named=True)]


def _narwhals(orders: pl.DataFrame, apps: pl.DataFrame, fb: FeatureBuilder) -> list[dict]:
    """The narwhals plan (what Spark runs) on DuckDB relations."""
    duckdb = pytest.importorskip("duckdb")
    import narwhals.stable.v2 as nw

    from thinfile_credit.features._plan import run_narwhals
    from thinfile_credit.features.builder import prepare_polars

    keys = prepare_polars("applications", apps).collect()
    keys = keys.with_row_index("_app").with_columns(pl.col("_app").cast(pl.Int64))
    keys = keys.select("_app", "user_id", _t=pl.col("applied_at"))
    con = duckdb.connect()
    frame = nw.from_native(con.from_arrow(prepare_polars("orders", orders).collect().to_arrow()))
    app_rel = nw.from_native(con.from_arrow(keys.to_arrow()))
    out = run_narwhals(fb._plan(), app_rel, {"orders": frame}).sort("_app").to_native().pl()
    out = out.with_columns(pl.col(fb.feature_names_).fill_null(np.nan))
    return [{n: r[n] for n in fb.feature_names_} for r in out.iter_rows(named=True)]


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def _status_part(row: dict[str, float]) -> dict[str, float]:
    return {k: row[k] for k in STATUS_FEATURES}


# ------------------------------------------------------------------------------ behaviour


@pytest.mark.parametrize("engine", ENGINES)
def test_a_status_counts_only_once_reached_before_t(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (row,) = _features(engine, _orders_frame(ORDERS), _apps(T), monkeypatch)
    assert row["cons_order_count_30d"] == 6.0
    assert _status_part(row) == pytest.approx(EXPECTED)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_same_orders_count_later_once_their_statuses_are_reached(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a microsecond after t the refund at t counts; four days after, the return too
    later = _features(engine, _orders_frame(ORDERS), _apps(T + US, T + 4 * DAY), monkeypatch)
    assert later[0]["cons_refund_rate_30d"] == pytest.approx(2 / 6)
    assert later[0]["cons_return_rate_30d"] == 0.0
    assert _status_part(later[1]) == pytest.approx(FINAL)


@pytest.mark.parametrize("engine", ENGINES)
def test_without_status_at_the_final_status_counts(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The column absent: every status taken as known (as before the column existed),
    the same as a column entirely null."""
    orders = _orders_frame(ORDERS)
    (absent,) = _features(engine, orders.drop("status_at"), _apps(T), monkeypatch)
    all_null = orders.with_columns(status_at=pl.lit(None, pl.Datetime("us")))
    (null,) = _features(engine, all_null, _apps(T), monkeypatch)
    assert _status_part(absent) == pytest.approx(FINAL)
    assert all(_close(absent[k], null[k]) for k in FB.feature_names_)


@pytest.mark.parametrize("engine", ENGINES)
def test_status_at_changes_nothing_but_the_status_features(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = _orders_frame(ORDERS)
    (timed,) = _features(engine, orders, _apps(T), monkeypatch)
    (final,) = _features(engine, orders.drop("status_at"), _apps(T), monkeypatch)
    changed = {k for k in FB.feature_names_ if not _close(timed[k], final[k])}
    assert changed == {"cons_refund_rate_30d", "cons_return_rate_30d", "cons_basket_mean_30d"}


def test_aware_status_times_compare_as_instants(monkeypatch: pytest.MonkeyPatch) -> None:
    orders = _orders_frame(ORDERS).with_columns(
        pl.col("ordered_at", "status_at")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone("Asia/Shanghai")
    )
    apps = _apps(T).with_columns(
        pl.col("applied_at").dt.replace_time_zone("UTC").dt.convert_time_zone("Asia/Shanghai")
    )
    for engine in ("fused", "online"):
        (row,) = _features(engine, orders, apps, monkeypatch)
        assert _status_part(row) == pytest.approx(EXPECTED), engine


def test_pandas_input_with_missing_status_times(monkeypatch: pytest.MonkeyPatch) -> None:
    orders = _orders_frame(ORDERS).to_pandas()
    assert orders["status_at"].isna().sum() == 1  # NaT
    out = FB.build(EventTables(applications=_apps(T).to_pandas(), orders=orders))
    assert _status_part(out.iloc[0].to_dict()) == pytest.approx(EXPECTED)


def test_pandas_column_of_none_reads_as_no_status_times() -> None:
    """``orders["status_at"] = None`` makes an object column: validated and built as the
    entirely null column it is, the same as no column."""
    orders = _orders_frame(ORDERS).to_pandas()
    orders["status_at"] = None
    assert orders["status_at"].dtype == object
    apps = _apps(T).to_pandas()
    out = FB.build(EventTables(applications=apps, orders=orders))
    assert _status_part(out.iloc[0].to_dict()) == pytest.approx(FINAL)


def test_has_status_at_t_rejects_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="unknown order status 'lost'"):
        pit.has_status_at_t("lost")


# ------------------------------------------------------------------------------ bad input


def test_status_reached_before_the_order_is_rejected() -> None:
    bad = _orders_frame([*ORDERS[:2], _order(7, T - 5 * DAY, "refunded", T - 6 * DAY)])
    with pytest.raises(SchemaError) as info:
        FB.build(EventTables(applications=_apps(T), orders=bad))
    err = info.value
    assert (err.table, err.column, err.rows) == ("orders", "status_at", [2])
    assert "status reached before ordered_at" in str(err)


@pytest.mark.parametrize("validate", [True, False])
def test_status_at_as_text_is_rejected(validate: bool) -> None:
    text = _orders_frame(ORDERS).with_columns(pl.col("status_at").dt.strftime("%Y-%m-%d"))
    with pytest.raises(SchemaError) as info:
        FeatureBuilder(validate=validate).build(EventTables(applications=_apps(T), orders=text))
    assert (info.value.table, info.value.column) == ("orders", "status_at")


def test_build_one_rejects_bad_status_times() -> None:
    good = _order(1, T - DAY, "refunded", T - DAY)
    with pytest.raises(SchemaError) as info:
        FB.build_one({"orders": [good, {**good, "status_at": "2024-05-31"}]}, T)
    assert (info.value.table, info.value.column) == ("orders", "status_at")
    aware = {**good, "status_at": (T - DAY).replace(tzinfo=UTC)}
    with pytest.raises(SchemaError, match="naive and time-zone aware") as info:
        FB.build_one({"orders": [aware]}, T)
    assert info.value.column == "status_at"


def test_aware_records_with_missing_status_times() -> None:
    """``df.to_dict("records")`` of a time-zone aware table holds ``pd.NaT`` for a missing
    status time: it is a null, not a naive timestamp mixed with aware ones."""
    import pandas as pd

    aware = _orders_frame(ORDERS).with_columns(
        pl.col("ordered_at", "status_at").dt.replace_time_zone("UTC")
    )
    records = aware.to_pandas().to_dict("records")
    assert any(r["status_at"] is pd.NaT for r in records)
    row = FB.build_one({"orders": records}, T.replace(tzinfo=UTC))
    assert _status_part(row) == pytest.approx(EXPECTED)


@pytest.mark.parametrize("validate", [True, False])
def test_date_status_times_are_rejected(validate: bool) -> None:
    """A date has no time of day: read as midnight, a refund at 15:00 would count for an
    application at noon the same day."""
    dates = _orders_frame(ORDERS).with_columns(pl.col("status_at").dt.date())
    with pytest.raises(SchemaError) as info:
        FeatureBuilder(validate=validate).build(EventTables(applications=_apps(T), orders=dates))
    assert (info.value.table, info.value.column) == ("orders", "status_at")
    good = _order(1, T - DAY, "refunded", T - DAY)
    with pytest.raises(SchemaError, match="has no time of day") as info:
        FB.build_one({"orders": [{**good, "status_at": (T - DAY).date()}]}, T)
    assert (info.value.table, info.value.column) == ("orders", "status_at")


# ------------------------------------------------------------------------------ property


@st.composite
def random_orders(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Orders of user 1 before and after ``T``, statuses reached on either side of it
    (offsets in minutes from ``T``, 0 included) or known when placed."""
    n = draw(st.integers(0, 12))
    rows = []
    for i in range(n):
        placed = T + timedelta(minutes=draw(st.integers(-40 * 1440, 60)))
        status = draw(st.sampled_from(ORDER_STATUSES))
        when = draw(st.none() | st.sampled_from([0, 1, -1]) | st.integers(-40 * 1440, 40 * 1440))
        reached = None if when is None else max(placed, T + timedelta(minutes=when))
        rows.append(_order(i + 1, placed, status, reached))
    return rows


@settings(max_examples=30, deadline=None)
@given(rows=random_orders(), has_column=st.booleans())
def test_every_engine_equals_the_reference(rows: list[dict[str, Any]], has_column: bool) -> None:
    orders = _orders_frame(rows)
    if not has_column:
        orders = orders.drop("status_at")
        rows = [{k: v for k, v in r.items() if k != "status_at"} for r in rows]
    apps = _apps(T)
    want = reference_features({"orders": rows}, apps.row(0, named=True), windows=(30,))
    with pytest.MonkeyPatch.context() as monkeypatch:
        for engine in ENGINES:
            (got,) = _features(engine, orders, apps, monkeypatch)
            bad = [k for k in FB.feature_names_ if not _close(got[k], want[k])]
            assert not bad, (engine, [(k, got[k], want[k]) for k in bad])
