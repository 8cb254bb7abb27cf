"""How FeatureBuilder reads the frames it is given and hands its result back.

* a pandas result keeps the applications' index (index-aligned assignment pairs every
  application with its own features);
* columns no feature reads are never read, so an extra column that cannot be converted
  does no harm (a duplicated name of a column that *is* read stays an error);
* an empty pandas table made with ``pd.DataFrame(columns=[...])`` (object columns) is
  read as validation reads it: null columns, not text ids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from _feat_gen import make_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thinfile_credit._frames import UnreadableFrameError
from thinfile_credit.errors import DataError
from thinfile_credit.features import FeatureBuilder, FeatureTransformer
from thinfile_credit.schema import EventTables, SchemaValidationError

BUILDER = FeatureBuilder(windows=(30, 90))


@pytest.fixture(scope="module")
def tables() -> EventTables:
    return make_tables(n_users=10, seed=3)


@pytest.fixture(scope="module")
def reference(tables: EventTables) -> pd.DataFrame:
    """Features built from Polars, one row per application id."""
    return BUILDER.build(tables).to_pandas().set_index("application_id")


def _pandas_tables(tables: EventTables) -> dict[str, pd.DataFrame]:
    return {name: frame.to_pandas() for name, frame in tables}


# ------------------------------------------------------------------ the pandas index


def test_pandas_result_keeps_the_applications_index(tables: EventTables) -> None:
    frames = _pandas_tables(tables)
    apps = frames["applications"].sort_values("user_id", ascending=False)
    apps.index = apps.index * 10 + 7  # labels that are not positions
    X = BUILDER.build(EventTables(**frames), applications=apps)
    assert X.index.equals(apps.index)
    assert X["application_id"].tolist() == apps["application_id"].tolist()
    # ordinary index-aligned pandas assignment pairs every application with its own row
    apps["orders_90d"] = X["cons_order_count_90d"]
    truth = BUILDER.build(tables).to_pandas().set_index("application_id")
    expected = apps["application_id"].map(truth["cons_order_count_90d"])
    pd.testing.assert_series_equal(apps["orders_90d"], expected, check_names=False)


def test_pandas_result_keeps_a_named_or_text_index(tables: EventTables) -> None:
    apps = tables.applications.to_pandas()
    apps.index = pd.Index([f"app-{i}" for i in range(len(apps))], name="key")
    X = BUILDER.build(tables, applications=apps)
    assert X.index.equals(apps.index)
    assert X.index.name == "key"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_pandas_index_is_kept_and_rows_match(
    tables: EventTables, reference: pd.DataFrame, data: st.DataObject
) -> None:
    apps = tables.applications.to_pandas()
    n = len(apps)
    order = data.draw(st.permutations(range(n)), label="order")
    labels = data.draw(
        st.lists(st.integers(-(10**6), 10**6), min_size=n, max_size=n, unique=True),
        label="labels",
    )
    apps = apps.iloc[list(order)]
    apps.index = pd.Index(labels)
    X = BUILDER.build(tables, applications=apps)
    assert list(X.index) == labels
    assert X["application_id"].tolist() == apps["application_id"].tolist()
    expected = reference.loc[apps["application_id"].to_numpy(), BUILDER.feature_names_]
    np.testing.assert_array_equal(
        X[BUILDER.feature_names_].to_numpy(), expected.to_numpy(), strict=True
    )


@pytest.mark.parametrize("kind", ["polars", "pyarrow"])
def test_other_kinds_are_returned_as_before(tables: EventTables, kind: str) -> None:
    apps = tables.applications if kind == "polars" else tables.applications.to_arrow()
    X = BUILDER.build(tables, applications=apps)
    assert isinstance(X, pl.DataFrame if kind == "polars" else pa.Table)
    got = pl.from_arrow(X) if kind == "pyarrow" else X
    assert got.equals(BUILDER.build(tables), null_equal=True)  # the same rows and values


# ------------------------------------------------------------------ extra columns


@pytest.mark.parametrize("validate", [True, False])
def test_unreadable_extra_pandas_columns_are_ignored(
    tables: EventTables, reference: pd.DataFrame, validate: bool
) -> None:
    frames = _pandas_tables(tables)
    for name, frame in frames.items():
        mixed = [10 if i % 2 else "SPRING" for i in range(len(frame))]
        frame["coupon"] = pd.Series(mixed, dtype=object, index=frame.index)
    X = FeatureBuilder(windows=(30, 90), validate=validate).build(EventTables(**frames))
    got = X.set_index("application_id")[BUILDER.feature_names_]
    pd.testing.assert_frame_equal(got, reference[BUILDER.feature_names_])


@pytest.mark.parametrize("validate", [True, False])
def test_unreadable_extra_arrow_column_is_ignored(
    tables: EventTables, reference: pd.DataFrame, validate: bool
) -> None:
    orders = tables.orders.to_arrow()
    interval = pa.array([pa.scalar((1, 2, 3), pa.month_day_nano_interval())] * orders.num_rows)
    orders = orders.append_column("interval", interval)
    # a duplicated name of a column no feature reads is an extra column like any other
    for _ in range(2):
        orders = orders.append_column("note", pa.array(np.arange(orders.num_rows)))
    X = FeatureBuilder(windows=(30, 90), validate=validate).build(tables.replace(orders=orders))
    got = X.to_pandas().set_index("application_id")[BUILDER.feature_names_]
    pd.testing.assert_frame_equal(got, reference[BUILDER.feature_names_])


def test_duplicated_read_column_stays_an_error(tables: EventTables) -> None:
    orders = tables.orders.to_pandas()
    orders = pd.concat([orders, orders[["amount"]]], axis=1)
    bad = tables.replace(orders=orders)
    with pytest.raises(UnreadableFrameError, match="more than once") as info:
        FeatureBuilder(validate=False).build(bad)
    assert (info.value.table, info.value.column) == ("orders", "amount")
    with pytest.raises(SchemaValidationError) as info2:
        FeatureBuilder().build(bad)
    assert (info2.value.table, info2.value.column) == ("orders", "amount")
    assert info2.value.problems[0].check == "duplicate_column"


def test_unreadable_read_column_stays_an_error(tables: EventTables) -> None:
    orders = tables.orders.to_pandas()
    orders["category"] = pd.Series(
        ["food", 3, *["toys"] * (len(orders) - 2)], dtype=object, index=orders.index
    )
    with pytest.raises(UnreadableFrameError, match="mixes values") as info:
        FeatureBuilder(validate=False).build(tables.replace(orders=orders))
    assert (info.value.table, info.value.column, info.value.rows) == ("orders", "category", [1])


def test_transformer_ignores_unreadable_extra_columns(tables: EventTables) -> None:
    apps = tables.applications.to_pandas()
    apps["note"] = pd.Series([1 if i % 2 else "x" for i in range(len(apps))], dtype=object)
    ft = FeatureTransformer(tables, builder=BUILDER).fit(apps)
    assert ft.n_features_in_ == 4
    assert list(ft.feature_names_in_) == [*apps.columns]
    out = ft.transform(apps)
    expected = BUILDER.build(tables, applications=apps.drop(columns="note"))
    np.testing.assert_array_equal(out, expected[BUILDER.feature_names_].to_numpy())
    with pytest.raises(DataError, match="3 columns, the transformer was fitted with 4"):
        ft.transform(apps.drop(columns="note"))


# ------------------------------------------------------------------ empty pandas tables


def _empty_bills() -> pd.DataFrame:
    columns = ["bill_id", "user_id", "issued_at", "due_at", "amount_due", "paid_at", "amount_paid"]
    return pd.DataFrame(columns=columns)  # every column object, as pandas makes it


@pytest.mark.parametrize("validate", [True, False])
def test_empty_pandas_table_of_object_columns_builds(tables: EventTables, validate: bool) -> None:
    bills = _empty_bills()
    assert all(dtype == np.dtype(object) for dtype in bills.dtypes)
    fb = FeatureBuilder(windows=(30, 90), validate=validate)
    X = fb.build(tables.replace(bills=bills))
    typed = pl.DataFrame(schema=tables.bills.schema)  # the same empty table, typed
    expected = fb.build(tables.replace(bills=typed)).to_pandas()
    pd.testing.assert_frame_equal(X.to_pandas(), expected)


def test_empty_pandas_table_next_to_text_user_ids(tables: EventTables) -> None:
    text = EventTables(
        **{
            name: frame.with_columns(
                pl.col(c).cast(pl.String) for c in ("user_id", "peer_id") if c in frame.columns
            )
            for name, frame in tables
        }
    )
    X = BUILDER.build(text.replace(bills=_empty_bills()))
    typed = pl.DataFrame(schema=text.bills.schema)
    assert typed.schema["user_id"] == pl.String
    assert X.equals(BUILDER.build(text.replace(bills=typed)))


# ------------------------------------------------------------------ time zones


def test_aware_timestamps_give_their_zones_hours_unless_an_offset_is_set() -> None:
    """Documented: local hours of aware timestamps are read in the column's zone; a
    numeric ``utc_offset_hours`` is added to the UTC instant instead (0: UTC hours)."""
    from thinfile_credit.features import ConsumptionFeatures

    apps = pl.DataFrame(
        {"application_id": [1], "user_id": [7], "applied_at": [pd.Timestamp("2024-03-01 12:00")]}
    )
    orders = pl.DataFrame(
        {
            "order_id": [1, 2],
            "user_id": [7, 7],
            "ordered_at": [pd.Timestamp("2024-02-20 02:00"), pd.Timestamp("2024-02-21 03:00")],
            "amount": [50.0, 80.0],
            "category": ["food"] * 2,
            "status": ["paid"] * 2,
        }
    )

    def aware(df: pl.DataFrame, c: str) -> pl.DataFrame:
        return df.with_columns(pl.col(c).dt.replace_time_zone("Asia/Shanghai"))

    local = EventTables(applications=apps, orders=orders)
    zoned = EventTables(applications=aware(apps, "applied_at"), orders=aware(orders, "ordered_at"))
    name = "cons_night_share_30d"
    default = FeatureBuilder(windows=(30,))
    assert default.build(local)[name][0] == 1.0
    assert default.build(zoned)[name][0] == 1.0  # 02:00 and 03:00 in Shanghai
    utc = FeatureBuilder([ConsumptionFeatures(windows=(30,), utc_offset_hours=0.0)])
    assert utc.build(zoned)[name][0] == 0.0  # 18:00 and 19:00 UTC
    shifted = FeatureBuilder([ConsumptionFeatures(windows=(30,), utc_offset_hours=8)])
    assert shifted.build(zoned)[name][0] == 1.0
