"""Side-by-side comparison of the generator with real public data.

* Order amounts and inter-order gaps against the UCI *Online Retail II* invoices
  (a UK gift retailer, GBP): amounts are compared as *shape* - each quantile divided by
  the median, and the spread of log amounts - because currency and basket type differ;
  gaps are compared in days.
* Bill lateness against the UCI *Default of Credit Card Clients* (Taiwan, 2005)
  monthly repayment status ``PAY_x``: the share of statements paid on time, one month
  late, and two or more months late, overall and split by the eventual outcome.

The real files are never bundled: pass the folder holding them (``../shared/data/...``
on the lender's machine).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from thinfile_credit._frames import to_polars
from thinfile_credit.errors import DataError
from thinfile_credit.synthetic.marketplace import Marketplace, make_marketplace

__all__ = [
    "QUANTILES",
    "compare_with_online_retail",
    "compare_with_taiwan",
    "lateness_shares",
    "order_shape",
]

#: Quantiles shown in the comparison tables.
QUANTILES: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
_LATENESS = ("on time", "1 month late (1-29 days)", "2+ months late (30+ days or unpaid)")


def order_shape(amounts: np.ndarray, gaps_days: np.ndarray) -> pd.DataFrame:
    """Quantiles of order amounts (relative to the median) and of inter-order gaps.

    Parameters
    ----------
    amounts : numpy.ndarray
        Positive order (or invoice) totals.
    gaps_days : numpy.ndarray
        Positive gaps between a customer's consecutive orders, in days.

    Returns
    -------
    pandas.DataFrame
        Index ``q10 ... q99`` plus ``log_sd`` (standard deviation of log amounts);
        columns ``amount_over_median`` and ``gap_days``.

    Examples
    --------
    >>> out = order_shape(np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0]))
    >>> float(out.loc["q50", "amount_over_median"])
    1.0
    """
    amounts = np.asarray(amounts, dtype=np.float64)
    gaps_days = np.asarray(gaps_days, dtype=np.float64)
    if len(amounts) == 0 or len(gaps_days) == 0:
        raise DataError("need at least one amount and one gap to compare shapes")
    qa = np.quantile(amounts, QUANTILES)
    qg = np.quantile(gaps_days, QUANTILES)
    index = [f"q{round(q * 100):02d}" for q in QUANTILES] + ["log_sd"]
    return pd.DataFrame(
        {
            "amount_over_median": [*(qa / np.median(amounts)), float(np.log(amounts).std())],
            "gap_days": [*qg, float(np.log(gaps_days).std())],
        },
        index=index,
    )


def compare_with_online_retail(
    path: str | Path, marketplace: Marketplace | None = None
) -> pd.DataFrame:
    """Order-amount and inter-order-gap quantiles: Online Retail II versus synthetic.

    Real side: invoices of identified customers, cancellations (``C`` prefix) removed,
    each invoice's total ``sum(Quantity * Price)`` over its lines; gaps between a
    customer's consecutive invoices (same-moment invoices merged). Synthetic side: paid
    orders and gaps between a user's consecutive orders.

    Parameters
    ----------
    path : str or Path
        Folder holding ``online_retail_ii_*.parquet`` (or the parquet file itself).
    marketplace : Marketplace, optional
        The synthetic data; default ``make_marketplace(10_000, seed=0)``.

    Returns
    -------
    pandas.DataFrame
        Index ``q10 ... q99, log_sd``; columns ``real_amount_over_median``,
        ``synthetic_amount_over_median``, ``real_gap_days``, ``synthetic_gap_days``.

    Examples
    --------
    >>> compare_with_online_retail("../shared/data/online_retail_ii")  # doctest: +SKIP
    """
    files = _files(path, "*.parquet")
    raw = pl.concat([pl.read_parquet(f) for f in files], how="vertical_relaxed")
    invoices = (
        raw.filter(
            pl.col("Customer ID").is_not_null()
            & ~pl.col("Invoice").cast(pl.String).str.starts_with("C")
        )
        .with_columns(pl.col("InvoiceDate").cast(pl.String).str.to_datetime(strict=False))
        .group_by("Invoice")
        .agg(
            pl.col("Customer ID").first().alias("customer"),
            pl.col("InvoiceDate").first().alias("at"),
            (pl.col("Quantity") * pl.col("Price")).sum().alias("amount"),
        )
        .filter(pl.col("amount") > 0)
    )
    real = order_shape(invoices["amount"].to_numpy(), _gaps(invoices, "customer", "at"))

    mk = marketplace if marketplace is not None else make_marketplace(10_000, seed=0)
    orders = to_polars(mk.tables.orders, table="orders")[0].filter(pl.col("status") == "paid")
    synth = order_shape(orders["amount"].to_numpy(), _gaps(orders, "user_id", "ordered_at"))
    return pd.DataFrame(
        {
            "real_amount_over_median": real["amount_over_median"],
            "synthetic_amount_over_median": synth["amount_over_median"],
            "real_gap_days": real["gap_days"],
            "synthetic_gap_days": synth["gap_days"],
        }
    )


def lateness_shares(bills: Any, as_of: Any, settle_days: int = 60) -> pd.Series:
    """Share of bills paid on time, 1-29 days late, and 30+ days late or unpaid.

    Only bills due at least ``settle_days`` before ``as_of`` count, so that every
    bill's status is settled. A partial payment counts by its date, like the Taiwan
    data's "minimum paid" status.

    Examples
    --------
    >>> from thinfile_credit.synthetic import make_marketplace
    >>> mk = make_marketplace(500, backend="polars")
    >>> round(float(lateness_shares(mk.tables.bills, mk.horizon_end).sum()), 6)
    1.0
    """
    b = to_polars(bills, table="bills")[0]
    b = b.filter(pl.col("due_at") < pl.lit(as_of) - pl.duration(days=settle_days))
    late_days = (pl.col("paid_at") - pl.col("due_at")).dt.total_seconds() / 86_400.0
    status = (
        pl.when(pl.col("paid_at").is_null() | (late_days >= 30))
        .then(2)
        .when(late_days > 0)
        .then(1)
        .otherwise(0)
    )
    counts = np.bincount(b.select(status.alias("s"))["s"].to_numpy(), minlength=3)
    return pd.Series(counts / max(counts.sum(), 1), index=list(_LATENESS), name="share")


def compare_with_taiwan(path: str | Path, marketplace: Marketplace | None = None) -> pd.DataFrame:
    """Bill-lateness shares: Taiwan card statements versus synthetic pay-later bills.

    Real side: every ``PAY_0, PAY_2 ... PAY_6`` status of statements with consumption
    (``-2`` = no consumption is dropped): ``<= 0`` on time (paid in full or minimum
    paid), ``1`` one month late, ``>= 2`` two or more months late. Synthetic side:
    settled bills by days late. Both overall and split by outcome (Taiwan: default next
    month; synthetic: the user has a bad application).

    Parameters
    ----------
    path : str or Path
        Folder holding ``default_of_credit_card_clients.csv`` (or the file).
    marketplace : Marketplace, optional
        The synthetic data; default ``make_marketplace(10_000, seed=0)``.

    Returns
    -------
    pandas.DataFrame
        Index: the three lateness states; columns ``real_all``, ``synthetic_all``,
        ``real_defaulters``, ``synthetic_bad_users``, ``real_others``,
        ``synthetic_good_users``.

    Examples
    --------
    >>> compare_with_taiwan("../shared/data/taiwan_default")  # doctest: +SKIP
    """
    files = _files(path, "*.csv")
    raw = pl.read_csv(files[0], infer_schema_length=None)
    status_cols = [
        c
        for c in ("PAY_0", "PAY_1", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6")
        if c in raw.columns
    ]
    target = next((c for c in raw.columns if c.lower().startswith("default")), None)
    if not status_cols or target is None:
        raise DataError("expected PAY_x status columns and a default target", table=str(files[0]))

    def real_shares(frame: pl.DataFrame) -> np.ndarray:
        values = np.concatenate([frame[c].to_numpy() for c in status_cols])
        values = values[values != -2]
        counts = np.array([(values <= 0).sum(), (values == 1).sum(), (values >= 2).sum()])
        return counts / max(counts.sum(), 1)

    mk = marketplace if marketplace is not None else make_marketplace(10_000, seed=0)
    bills = to_polars(mk.tables.bills, table="bills")[0]
    truth = to_polars(mk.truth)[0]
    bad_users = truth.filter(pl.col("bad"))["user_id"].unique()
    is_bad = pl.col("user_id").is_in(bad_users.implode())
    applicants = truth["user_id"].unique().implode()
    return pd.DataFrame(
        {
            "real_all": real_shares(raw),
            "synthetic_all": lateness_shares(bills, mk.horizon_end).to_numpy(),
            "real_defaulters": real_shares(raw.filter(pl.col(target) == 1)),
            "synthetic_bad_users": lateness_shares(bills.filter(is_bad), mk.horizon_end).to_numpy(),
            "real_others": real_shares(raw.filter(pl.col(target) == 0)),
            "synthetic_good_users": lateness_shares(
                bills.filter(~is_bad & pl.col("user_id").is_in(applicants)), mk.horizon_end
            ).to_numpy(),
        },
        index=list(_LATENESS),
    )


def _files(path: str | Path, pattern: str) -> list[Path]:
    p = Path(path)
    files = [p] if p.is_file() else sorted(p.glob(pattern))
    if not files:
        raise DataError(f"no {pattern} file found in {p}")
    return files


def _gaps(frame: pl.DataFrame, who: str, at: str) -> np.ndarray:
    moments = frame.select(who, at).unique().sort(who, at)
    gaps = moments.select(
        ((pl.col(at).diff().over(who)).dt.total_seconds() / 86_400.0).alias("gap")
    )["gap"].drop_nulls()
    values = gaps.to_numpy()
    return np.asarray(values[values > 0], dtype=np.float64)
