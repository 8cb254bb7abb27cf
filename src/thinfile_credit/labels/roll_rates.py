"""Roll rates: how loans move between delinquency buckets from one month-end to the next.

At each calendar month-end ``s`` up to ``as_of`` every disbursed loan has a *current*
DPD: the days overdue of its oldest instalment not paid in full by ``s`` (an instalment
paid late no longer counts once paid). Loans whose instalments are all paid in full are
``closed`` (and leaves the panel). The roll-rate matrix counts, for loans open at one month-end, the bucket at the
next: e.g. the share of 30-59 loans rolling to 60-89 is the key loss-forecasting ratio.

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

import polars as pl

from thinfile_credit._frames import from_polars
from thinfile_credit.errors import SpecError
from thinfile_credit.labels.dpd import RepaymentHistory, current_dpd_expr

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
        Last observation date, default the latest date in the data.
    buckets : sequence of int, default (1, 30, 60, 90)
        Increasing lower DPD bounds of the delinquent buckets; DPD 0 is ``current``.
    tolerance : float, default 0.01
        Shortfall (yuan) still counted as paid in full.

    Returns
    -------
    DataFrame
        Same kind as ``loans``: ``loan_id``, ``snapshot`` (month-end date), ``dpd``,
        ``bucket`` (``closed`` once every instalment is paid in full).

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
    first = hist.loans["disbursed_day"].min()
    assert isinstance(first, dt.date)
    ends = pl.date_range(first, as_of_day, "1mo", eager=True).dt.month_end()
    ends = ends.filter(ends <= as_of_day).unique().sort()
    # After the month-end at which a loan closes its state can no longer change, so the
    # panel stops there: this keeps the loans x month-ends x instalments join small.
    closes = hist.installments.group_by("loan_id").agg(
        close_day=pl.when(pl.col("paid_day").is_null().any())
        .then(None)
        .otherwise(pl.col("paid_day").max())
    )
    panel = (
        hist.loans.select("loan_id", "disbursed_day")
        .join(closes, on="loan_id", how="left")
        .join(pl.DataFrame({"snapshot": ends}), how="cross")
        .filter(
            (pl.col("snapshot") >= pl.col("disbursed_day"))
            & (
                pl.col("close_day").is_null()
                | (pl.col("snapshot") <= pl.col("close_day").dt.month_end())
            )
        )
        .drop("close_day")
    )
    state = (
        panel.join(hist.installments.drop("disbursed_day"), on="loan_id", how="inner")
        .group_by("loan_id", "snapshot")
        .agg(
            dpd=current_dpd_expr(pl.col("snapshot")).max().cast(pl.Int64),
            closed=(pl.col("paid_day") <= pl.col("snapshot")).fill_null(False).all(),
        )
    )
    # Loans without any instalment are open and current at every month-end.
    panel = panel.join(state, on=["loan_id", "snapshot"], how="left").with_columns(
        pl.col("dpd").fill_null(0), pl.col("closed").fill_null(False)
    )
    labels = _labels(bounds)
    bucket: Any = pl.when(pl.col("closed")).then(pl.lit(_CLOSED))
    bucket = bucket.when(pl.col("dpd") < bounds[0]).then(pl.lit(labels[0]))
    for i, lo in enumerate(bounds):
        hi = bounds[i + 1] if i + 1 < len(bounds) else None
        cond = pl.col("dpd") >= lo if hi is None else pl.col("dpd").is_between(lo, hi - 1)
        bucket = bucket.when(cond).then(pl.lit(labels[i + 1]))
    return panel.with_columns(bucket=bucket.otherwise(None)).sort("loan_id", "snapshot")


def _labels(bounds: list[int]) -> list[str]:
    out = ["current"]
    for i, lo in enumerate(bounds):
        out.append(f"{lo}+" if i + 1 == len(bounds) else f"{lo}-{bounds[i + 1] - 1}")
    return out


def _check_buckets(buckets: Sequence[int]) -> list[int]:
    b = list(buckets)
    if not b or any(not isinstance(x, int) or isinstance(x, bool) for x in b):
        raise SpecError(f"buckets must be a non-empty sequence of ints, got {buckets!r}")
    if b[0] < 1 or any(y <= x for x, y in itertools.pairwise(b)):
        raise SpecError(f"buckets must be strictly increasing and start at >= 1, got {b}")
    return b
