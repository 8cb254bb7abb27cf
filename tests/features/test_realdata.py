"""Consumption features on real orders: UCI Online Retail II (2009-2010), several dates."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from thinfile_credit.features import ConsumptionFeatures, FeatureBuilder, ThinFileFeatures
from thinfile_credit.schema import EventTables

pytestmark = [pytest.mark.realdata]

DATES = [
    datetime(2010, 3, 1),
    datetime(2010, 7, 1),
    datetime(2010, 10, 5),
    datetime(2010, 12, 1),
    datetime(2010, 12, 8),
]


def retail_orders(folder: Path) -> pl.DataFrame:
    """One order per invoice: amount = |sum(Quantity * Price)|, "C" invoices cancelled.

    The data has no product category; the customer's country stands in for it.
    """
    raw = pl.read_parquet(folder / "online_retail_ii_2009_2010.parquet")
    return (
        raw.filter(pl.col("Customer ID").is_not_null())
        .group_by("Invoice")
        .agg(
            pl.col("Customer ID").first().cast(pl.Int64).alias("user_id"),
            pl.col("InvoiceDate").min().str.to_datetime("%Y-%m-%d %H:%M:%S").alias("ordered_at"),
            (pl.col("Quantity") * pl.col("Price")).sum().abs().alias("amount"),
            pl.col("Country").first().alias("category"),
        )
        .with_columns(
            order_id=pl.col("Invoice"),
            status=pl.when(pl.col("Invoice").str.starts_with("C"))
            .then(pl.lit("cancelled"))
            .otherwise(pl.lit("paid")),
        )
        .drop("Invoice")
        .sort("order_id")
    )


@pytest.fixture(scope="module")
def built(shared_data: Callable[[str], Path]) -> tuple[pl.DataFrame, pl.DataFrame]:
    orders = retail_orders(shared_data("online_retail_ii"))
    customers = orders["user_id"].unique().sort()
    apps = pl.concat(
        [pl.DataFrame({"user_id": customers, "applied_at": [d] * len(customers)}) for d in DATES]
    ).with_columns(application_id=pl.int_range(pl.len()))
    fb = FeatureBuilder([ConsumptionFeatures(), ThinFileFeatures()])
    return orders, fb.build(EventTables(applications=apps, orders=orders))


def _row(out: pl.DataFrame, user: int, when: datetime) -> dict[str, float]:
    return out.filter((pl.col("user_id") == user) & (pl.col("applied_at") == when)).row(
        0, named=True
    )


def test_every_customer_at_every_date(built: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    orders, out = built
    assert out.height == orders["user_id"].n_unique() * len(DATES)
    # the order counts add up to the invoices placed before each date
    for d in DATES:
        placed = orders.filter(pl.col("ordered_at") < d).height
        assert out.filter(pl.col("applied_at") == d)["thin_order_count"].sum() == placed
    # a customer's history never shrinks as the date moves on
    per_user = (
        out.sort("applied_at").group_by("user_id").agg(pl.col("thin_order_count").diff().min())
    )
    assert (per_user["thin_order_count"].fill_null(0) >= 0).all()


def test_hand_computed_values(built: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    _, out = built
    # customer 12347: invoice 529924 (2010-10-31 14:20, 611.53), 537626 (2010-12-07 14:57, 711.79)
    r = _row(out, 12347, datetime(2010, 12, 1))
    assert r["cons_order_count_90d"] == 1
    assert math.isclose(r["cons_gmv_sum_90d"], 611.53)
    assert math.isclose(
        r["cons_days_since_last_order"], 30 + (24 * 60 - (14 * 60 + 20)) / (24 * 60)
    )
    assert r["cons_order_count_30d"] == 0
    assert math.isnan(r["cons_gmv_mean_30d"])
    r = _row(out, 12347, datetime(2010, 12, 8))
    assert math.isclose(r["cons_gmv_sum_30d"], 711.79)
    assert math.isclose(r["cons_gmv_sum_90d"], 611.53 + 711.79)
    assert math.isclose(r["cons_gmv_std_90d"], abs(711.79 - 611.53) / math.sqrt(2))
    assert math.isclose(r["cons_days_since_last_order"], (9 * 60 + 3) / (24 * 60))
    assert r["cons_active_days_90d"] == 2
    # customer 12346: 513774 (2010-06-28, 142.31 paid) and C514024 (2010-06-30, 328.54 cancelled)
    r = _row(out, 12346, datetime(2010, 7, 1))
    assert r["cons_order_count_30d"] == 2
    assert math.isclose(r["cons_gmv_sum_30d"], 142.31 + 328.54)
    assert r["cons_cancel_rate_30d"] == 0.5
    assert math.isclose(r["cons_basket_mean_30d"], 142.31)
    # two cancellations on 2010-10-04 are the only orders of the 30 days before 2010-10-05
    r = _row(out, 12346, datetime(2010, 10, 5))
    assert r["cons_order_count_30d"] == 2
    assert r["cons_cancel_rate_30d"] == 1.0
    assert math.isnan(r["cons_basket_mean_30d"])
    assert r["cons_active_days_30d"] == 1
