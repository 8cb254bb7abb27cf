"""Roll rates: how loans move between delinquency buckets from one month-end to the next.

At each calendar month-end ``s`` up to ``as_of`` every disbursed loan has a *current*
DPD: the days overdue of its oldest instalment not paid in full by ``s`` (an instalment
paid late no longer counts once paid). A loan whose instalments are all paid in full is
``closed`` and leaves the panel. The roll-rate matrix counts, for loans open at one
month-end, the bucket at the next: e.g. the share of 30-59 loans rolling to 60-89 is
the key loss-forecasting ratio.

Examples
--------
>>> import pandas as pd
>>> from thinfile_credit.labels import roll_rate_matrix
>>> loans = pd.DataFrame({"loan_id": [1], "user_id": [1],
...                       "disbursed_at": pd.to_datetime(["2024-01-10"])})
>>> inst = pd.DataFrame({"loan_id": [1], "due_at": pd.to_datetime(["2024-02-10"]),
...     "amount_due": [50.0], "paid_at": pd.to_datetime(["2024-04-05"]),
...     "amount_paid": [50.0]})
>>> m = roll_rate_matrix(loans, inst, as_of="2024-04-30")
>>> m[m["n"] > 0][["from_bucket", "to_bucket", "n"]].values.tolist()
[['current', '1-29', 1], ['1-29', '30-59', 1], ['30-59', 'closed', 1]]
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from thinfile_credit._frames import from_polars
from thinfile_credit.errors import SpecError
from thinfile_credit.labels._args import MAX_DAYS
from thinfile_credit.labels.dpd import RepaymentHistory

__all__ = ["DEFAULT_BUCKETS", "delinquency_snapshots", "roll_rate_matrix"]

#: Lower DPD bounds of the delinquent buckets: 1-29, 30-59, 60-89, 90+.
DEFAULT_BUCKETS: tuple[int, ...] = (1, 30, 60, 90)
_CLOSED = "closed"


def delinquency_snapshots(
    loans: Any,
    installments: Any,
    *,
    as_of: Any = None,
    buckets: Sequence[int] = DEFAULT_BUCKETS,
    tolerance: float = 0.01,
) -> Any:
    """Each loan's current DPD and bucket at every month-end from disbursement to ``as_of``.

    A loan whose instalments are all paid in full gets one ``closed`` row, at the first
    month-end after its last payment, and no rows after it.

    Parameters
    ----------
    loans, installments : DataFrame
        The ``loans`` and ``installments`` tables.
    as_of : date-like, optional
        Last observation date; defaults to the latest disbursement or payment in the
        data (pass the data extraction date when you know it).
    buckets : sequence of int, default (1, 30, 60, 90)
        Strictly increasing lower DPD bounds (whole days >= 1) of the delinquent
        buckets; DPD 0 is ``current``.
    tolerance : float, default 0.01
        Shortfall (yuan) still counted as paid in full: a finite number >= 0.

    Returns
    -------
    DataFrame
        Same kind as ``loans``: ``loan_id``, ``snapshot`` (month-end date), ``dpd``,
        ``bucket`` (``closed`` once every instalment is paid in full).

    Raises
    ------
    SpecError
        Invalid ``buckets``, ``tolerance`` or ``as_of`` (not a date).
    SchemaError
        Malformed tables (see :meth:`~thinfile_credit.labels.RepaymentHistory.from_frames`).
    DataError
        No loans at all.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> loans = pl.DataFrame({"loan_id": [1], "user_id": [1],
    ...                       "disbursed_at": [dt.date(2024, 1, 15)]})
    >>> inst = pl.DataFrame({"loan_id": [1], "due_at": [dt.date(2024, 2, 15)],
    ...     "amount_due": [9.0], "paid_at": [None], "amount_paid": [0.0]},
    ...     schema_overrides={"paid_at": pl.Date})
    >>> delinquency_snapshots(loans, inst, as_of="2024-03-31")["bucket"].to_list()
    ['current', '1-29', '30-59']
    """
    bounds = _check_buckets(buckets)
    hist = RepaymentHistory.from_frames(loans, installments, tolerance=tolerance)
    out = _snapshots(hist, hist.as_of_day(as_of), bounds)
    return from_polars(out.select("loan_id", "snapshot", "dpd", "bucket"), hist.kind)


def roll_rate_matrix(
    loans: Any,
    installments: Any,
    *,
    as_of: Any = None,
    buckets: Sequence[int] = DEFAULT_BUCKETS,
    tolerance: float = 0.01,
) -> Any:
    """Month-on-month transition counts and rates between delinquency buckets.

    Parameters
    ----------
    loans, installments, as_of, buckets, tolerance
        As for :func:`delinquency_snapshots`.

    Returns
    -------
    DataFrame
        Same kind as ``loans``, long format over the full grid: ``from_bucket`` (current
        and the delinquent buckets), ``to_bucket`` (those plus ``closed``), ``n`` (loan
        transitions between consecutive month-ends) and ``rate`` (share of the
        ``from_bucket`` row; null when the row is empty). Pivot for the matrix.

    Raises
    ------
    SpecError, SchemaError, DataError
        As for :func:`delinquency_snapshots`.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> loans = pl.DataFrame({"loan_id": [1], "user_id": [1],
    ...                       "disbursed_at": [dt.date(2024, 1, 15)]})
    >>> inst = pl.DataFrame({"loan_id": [1], "due_at": [dt.date(2024, 2, 15)],
    ...     "amount_due": [9.0], "paid_at": [None], "amount_paid": [0.0]},
    ...     schema_overrides={"paid_at": pl.Date})
    >>> m = roll_rate_matrix(loans, inst, as_of="2024-03-31")
    >>> m.filter(pl.col("n") > 0).select("from_bucket", "to_bucket").rows()
    [('current', '1-29'), ('1-29', '30-59')]
    """
    bounds = _check_buckets(buckets)
    hist = RepaymentHistory.from_frames(loans, installments, tolerance=tolerance)
    snaps = _snapshots(hist, hist.as_of_day(as_of), bounds).sort("loan_id", "snapshot")
    moves = (
        snaps.with_columns(
            to_bucket=pl.col("bucket").shift(-1).over("loan_id"),
        )
        .filter(pl.col("to_bucket").is_not_null() & (pl.col("bucket") != _CLOSED))
        .group_by(from_bucket="bucket", to_bucket="to_bucket")
        .agg(n=pl.len().cast(pl.Int64))
    )
    labels = _labels(bounds)
    grid = pl.DataFrame({"from_bucket": labels}).join(
        pl.DataFrame({"to_bucket": [*labels, _CLOSED]}), how="cross"
    )
    order = {b: i for i, b in enumerate([*labels, _CLOSED])}
    out = (
        grid.join(moves, on=["from_bucket", "to_bucket"], how="left")
        .with_columns(pl.col("n").fill_null(0))
        .with_columns(
            rate=pl.when(pl.col("n").sum().over("from_bucket") > 0).then(
                pl.col("n") / pl.col("n").sum().over("from_bucket")
            )
        )
        .with_columns(
            _f=pl.col("from_bucket").replace_strict(order),
            _t=pl.col("to_bucket").replace_strict(order),
        )
        .sort("_f", "_t")
        .drop("_f", "_t")
    )
    return from_polars(out, hist.kind)


def _snapshots(hist: RepaymentHistory, as_of_day: dt.date, bounds: list[int]) -> pl.DataFrame:
    # Month-ends are handled as month numbers (year * 12 + month - 1): stepping dates by
    # "1mo" from a 29th or 31st would drift. A loan's panel runs from the month-end of its
    # disbursement month to the month-end at which it closes, or to the last month-end
    # on or before as_of.
    as_of_m = _last_month_end_index(pl.lit(as_of_day))
    closes = hist.installments.group_by("loan_id").agg(
        close_m=pl.when(pl.col("paid_day").is_null().any())
        .then(None)
        .otherwise(_month_index(pl.col("paid_day").max()))
    )
    panel = (
        hist.loans.select("loan_id", "disbursed_day")
        .join(closes, on="loan_id", how="left")
        .with_columns(
            m=pl.int_ranges(
                _month_index(pl.col("disbursed_day")),
                pl.min_horizontal(pl.col("close_m").fill_null(as_of_m), as_of_m) + 1,
            )
        )
        .explode("m")
        .drop_nulls("m")
    )
    # Only instalments that are overdue and unpaid at some month-end contribute a DPD:
    # explode each one over the month-ends from its due month to the last one before it
    # was paid (most instalments are paid on time and contribute no row).
    last_unpaid = (
        pl.when(pl.col("paid_day").is_null())
        .then(as_of_m)
        .otherwise(
            pl.min_horizontal(
                _last_month_end_index(pl.col("paid_day") - pl.duration(days=1)), as_of_m
            )
        )
    )
    overdue = (
        hist.installments.select(
            "loan_id",
            "due_day",
            m=pl.int_ranges(_month_index(pl.col("due_day")), last_unpaid + 1),
        )
        .explode("m")
        .drop_nulls("m")
        .group_by("loan_id", "m")
        .agg(oldest_due=pl.col("due_day").min())
    )
    state = (
        panel.join(overdue, on=["loan_id", "m"], how="left")
        .with_columns(snapshot=_month_end(pl.col("m")))
        .with_columns(
            dpd=(pl.col("snapshot") - pl.col("oldest_due"))
            .dt.total_days()
            .clip(lower_bound=0)
            .fill_null(0)
            .cast(pl.Int64),
            closed=(pl.col("m") == pl.col("close_m")).fill_null(False),
        )
    )
    labels = _labels(bounds)
    bucket: Any = pl.when(pl.col("closed")).then(pl.lit(_CLOSED))
    bucket = bucket.when(pl.col("dpd") < bounds[0]).then(pl.lit(labels[0]))
    for i, lo in enumerate(bounds):
        hi = bounds[i + 1] if i + 1 < len(bounds) else None
        cond = pl.col("dpd") >= lo if hi is None else pl.col("dpd").is_between(lo, hi - 1)
        bucket = bucket.when(cond).then(pl.lit(labels[i + 1]))
    return (
        state.with_columns(bucket=bucket.otherwise(None))
        .select("loan_id", "snapshot", "dpd", "bucket")
        .sort("loan_id", "snapshot")
    )


def _month_index(day: pl.Expr) -> pl.Expr:
    return day.dt.year().cast(pl.Int64) * 12 + day.dt.month().cast(pl.Int64) - 1


def _last_month_end_index(day: pl.Expr) -> pl.Expr:
    """Month number of the last month-end on or before ``day``."""
    return _month_index(day) - (day != day.dt.month_end()).cast(pl.Int64)


def _month_end(m: pl.Expr) -> pl.Expr:
    return pl.date(m // 12, m % 12 + 1, 1).dt.month_end()


def _labels(bounds: list[int]) -> list[str]:
    out = ["current"]
    for i, lo in enumerate(bounds):
        out.append(f"{lo}+" if i + 1 == len(bounds) else f"{lo}-{bounds[i + 1] - 1}")
    return out


def _check_buckets(buckets: Sequence[int]) -> list[int]:
    if isinstance(buckets, (str, bytes)) or not isinstance(buckets, Sequence | np.ndarray):
        raise SpecError(f"buckets must be a non-empty sequence of ints, got {buckets!r}")
    b = list(buckets)
    whole = [isinstance(x, int | np.integer) and not isinstance(x, bool) for x in b]
    if not b or not all(whole):
        raise SpecError(f"buckets must be a non-empty sequence of ints, got {buckets!r}")
    b = [int(x) for x in b]
    if b[0] < 1 or b[-1] > MAX_DAYS or any(y <= x for x, y in itertools.pairwise(b)):
        raise SpecError(
            f"buckets must be strictly increasing, from >= 1 to <= {MAX_DAYS:,}, got {b}"
        )
    return b
