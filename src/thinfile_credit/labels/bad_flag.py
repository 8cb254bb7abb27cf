"""The bad flag: did a loan reach the DPD threshold within its performance window?

Definition
----------
A loan disbursed on day ``D`` with a performance window of ``W`` days is observed up to
``D + W``. It is

* **bad** if some instalment's worst DPD (see :mod:`thinfile_credit.labels.dpd`) reaches
  ``dpd`` on or before ``D + W``, i.e. ``due + dpd <= D + W`` and the instalment was not
  paid in full before ``due + dpd``;
* **indeterminate** if not bad but its worst DPD in the window falls in the optional
  ``indeterminate`` band (e.g. 1-29 days): neither clearly good nor bad, excluded from
  model development;
* **good** otherwise;
* **immature** if the window has not elapsed by ``as_of`` (``D + W > as_of``): its outcome
  is unknown and it is excluded from training, but returned so nothing vanishes.

Immature loans that are already bad
-----------------------------------
A loan can reach the threshold before its window ends. By default it is still
``immature``: every loan then has the same observation length, so bad rates of recent
and old cohorts are comparable and the modelling sample is not enriched with early
defaulters. ``early_bad=True`` flags such loans ``bad`` straight away (useful for
monitoring, where an early default is a fact worth counting).

Examples
--------
>>> import pandas as pd
>>> from thinfile_credit.labels import bad_flag
>>> loans = pd.DataFrame({"loan_id": [1, 2], "user_id": [10, 11],
...     "disbursed_at": pd.to_datetime(["2024-01-01", "2024-01-01"])})
>>> inst = pd.DataFrame({"loan_id": [1, 2],
...     "due_at": pd.to_datetime(["2024-02-01", "2024-02-01"]),
...     "amount_due": [100.0, 100.0],
...     "paid_at": pd.to_datetime(["2024-02-03", "2024-04-15"]),
...     "amount_paid": [100.0, 100.0]})
>>> out = bad_flag(loans, inst, dpd=30, window=90, as_of="2024-06-30")
>>> out[["loan_id", "max_dpd_in_window", "status", "bad"]].values.tolist()
[[1, 2, 'good', 0], [2, 59, 'bad', 1]]
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import polars as pl

from thinfile_credit._frames import from_polars
from thinfile_credit.errors import SpecError
from thinfile_credit.labels._args import MAX_DAYS, flag, whole_number
from thinfile_credit.labels.dpd import RepaymentHistory, worst_dpd_expr

__all__ = ["STATUSES", "bad_flag", "window_days"]

#: The values of ``status`` in :func:`bad_flag`'s output.
STATUSES: tuple[str, ...] = ("bad", "good", "indeterminate", "immature")


def bad_flag(
    loans: Any,
    installments: Any,
    *,
    dpd: int = 30,
    window: int | str | dt.timedelta = "180D",
    as_of: Any = None,
    indeterminate: tuple[int, int] | None = None,
    early_bad: bool = False,
    tolerance: float = 0.01,
) -> Any:
    """Label every loan bad, good, indeterminate or immature.

    Parameters
    ----------
    loans : DataFrame
        ``loans`` table (``loan_id``, ``user_id``, ``disbursed_at``, optionally
        ``application_id``), pandas, Polars or PyArrow.
    installments : DataFrame
        ``installments`` table (``loan_id``, ``due_at``, ``amount_due``, ``paid_at``,
        ``amount_paid``).
    dpd : int, default 30
        Days-past-due threshold defining bad: a whole number of days >= 1.
    window : int, str or timedelta, default "180D"
        Performance window after disbursement: whole days as an int, ``"180D"`` or a
        timedelta (see :func:`window_days`). The window of the latest loan must end by
        9999-12-31.
    as_of : date-like, optional
        Observation date (a date, datetime, pandas Timestamp, NumPy datetime64 or ISO
        string); defaults to the latest disbursement or payment in the data (pass the
        data extraction date when you know it). Events after it are ignored.
    indeterminate : (int, int), optional
        Inclusive DPD band of whole days, e.g. ``(1, 29)``, whose loans are
        indeterminate; its upper end must be below ``dpd``.
    early_bad : bool, default False
        Flag immature loans that already reached ``dpd`` as bad (see module notes).
    tolerance : float, default 0.01
        Shortfall (yuan) still counted as paid in full: a finite number >= 0.

    Returns
    -------
    DataFrame
        Same kind as ``loans``, one row per loan in input order: ``loan_id``, ``user_id``,
        ``application_id`` (if given), ``disbursed_at``, ``window_end`` (date),
        ``n_installments``, ``max_dpd_in_window`` (worst DPD up to the window end or
        ``as_of``, whichever is first), ``status`` and ``bad`` (1/0 for bad/good, null
        otherwise). A pandas result keeps the pandas ``loans``' index.

    Raises
    ------
    SpecError
        Invalid ``dpd``, ``window``, ``indeterminate``, ``early_bad``, ``tolerance`` or
        ``as_of``: numbers that are not whole days where days are meant (``29.9`` is
        not truncated), booleans or text where numbers are meant, a non-finite
        ``tolerance``, an ``as_of`` that is not a date, or a window ending after
        9999-12-31 for some loan.
    SchemaError
        Malformed tables (see :meth:`~thinfile_credit.labels.RepaymentHistory.from_frames`).
    DataError
        No loans at all.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> loans = pl.DataFrame({"loan_id": ["a"], "user_id": [1],
    ...                       "disbursed_at": [dt.datetime(2024, 5, 1)]})
    >>> inst = pl.DataFrame({"loan_id": ["a"], "due_at": [dt.datetime(2024, 6, 1)],
    ...     "amount_due": [80.0], "paid_at": [dt.datetime(2024, 6, 10)],
    ...     "amount_paid": [80.0]})
    >>> bad_flag(loans, inst, window="60D", as_of="2024-06-15")["status"].to_list()
    ['immature']
    >>> bad_flag(loans, inst, window="60D", as_of="2024-07-01")["status"].to_list()
    ['good']
    >>> bad_flag(loans, inst, window=45, as_of="2024-12-31",
    ...          indeterminate=(1, 29))["status"].to_list()
    ['indeterminate']
    """
    threshold = _check_dpd(dpd)
    days = window_days(window)
    band = _check_band(indeterminate, threshold)
    early = flag("early_bad", early_bad)
    hist = RepaymentHistory.from_frames(loans, installments, tolerance=tolerance)
    as_of_day = hist.as_of_day(as_of)
    _check_window_end(hist, days, window)
    lo = hist.loans.with_columns(
        window_end=pl.col("disbursed_day") + pl.duration(days=days),
    ).with_columns(
        mature=pl.col("window_end") <= pl.lit(as_of_day),
        observed_to=pl.min_horizontal(pl.col("window_end"), pl.lit(as_of_day)),
    )
    worst = (
        hist.installments.join(lo.select("loan_id", "observed_to"), on="loan_id")
        .group_by("loan_id")
        .agg(
            n_installments=pl.len(),
            max_dpd_in_window=worst_dpd_expr(pl.col("observed_to")).max(),
        )
    )
    lo = lo.join(worst, on="loan_id", how="left").with_columns(
        pl.col("n_installments").fill_null(0).cast(pl.Int64),
        pl.col("max_dpd_in_window").fill_null(0).cast(pl.Int64),
    )
    reached = pl.col("max_dpd_in_window") >= threshold
    in_band = (
        pl.col("max_dpd_in_window").is_between(band[0], band[1])
        if band is not None
        else pl.lit(False)
    )
    status = (
        pl.when(pl.col("mature") & reached)
        .then(pl.lit("bad"))
        .when(pl.col("mature") & in_band)
        .then(pl.lit("indeterminate"))
        .when(pl.col("mature"))
        .then(pl.lit("good"))
        .when(pl.lit(early) & reached)
        .then(pl.lit("bad"))
        .otherwise(pl.lit("immature"))
    )
    keep = ["loan_id", "user_id"]
    if "application_id" in lo.columns:
        keep.append("application_id")
    out = (
        lo.sort("_row")
        .with_columns(status=status)
        .select(
            *keep,
            "disbursed_at",
            "window_end",
            "n_installments",
            "max_dpd_in_window",
            "status",
            bad=pl.when(pl.col("status") == "bad")
            .then(pl.lit(1, pl.Int8))
            .when(pl.col("status") == "good")
            .then(pl.lit(0, pl.Int8)),
        )
    )
    return from_polars(out, hist.kind, index=hist.loans_index)


def window_days(window: int | str | dt.timedelta) -> int:
    """Parse a performance window into whole days.

    Parameters
    ----------
    window : int, str or timedelta
        Days as an integer (``90``), a string ``"NNND"`` (``"180D"``) or a
        ``datetime.timedelta`` of whole days.

    Returns
    -------
    int
        The window in days, from 1 to 3,652,058 (the span of the calendar, 0001-01-01
        to 9999-12-31).

    Raises
    ------
    SpecError
        Another type (floats and booleans included), a timedelta with a fraction of a
        day, or a number of days outside that range.

    Examples
    --------
    >>> window_days("180D"), window_days(90), window_days(dt.timedelta(weeks=26))
    (180, 90, 182)
    """
    if isinstance(window, (bool, np.bool_)):
        raise SpecError(f"window must be days (int, 'NNND' or timedelta), got {window!r}")
    if isinstance(window, np.timedelta64):  # an np.integer too: read as a duration
        if np.isnat(window):
            raise SpecError(f"window must be days (int, 'NNND' or timedelta), got {window!r}")
        days_float = float(window / np.timedelta64(1, "D"))
        if not days_float.is_integer():
            raise SpecError(f"window must be a whole number of days, got {window!r}")
        window = dt.timedelta(days=int(days_float))
    if isinstance(window, (int, np.integer)):
        days = int(window)
    elif isinstance(window, dt.timedelta):
        if window % dt.timedelta(days=1):
            raise SpecError(f"window must be a whole number of days, got {window!r}")
        days = window.days
    elif isinstance(window, str) and re.fullmatch(r"\s*\d+\s*[dD]\s*", window):
        days = int(window.strip()[:-1])
    else:
        raise SpecError(f"window must be days (int, 'NNND' or timedelta), got {window!r}")
    if days < 1:
        raise SpecError(f"window must be at least one day, got {window!r}")
    if days > MAX_DAYS:
        raise SpecError(f"window must be at most {MAX_DAYS:,} days, got {window!r}")
    return days


def _check_window_end(hist: RepaymentHistory, days: int, window: Any) -> None:
    """Refuse a window whose end falls after the calendar's last day for some loan."""
    latest = hist.loans["disbursed_day"].max()
    assert isinstance(latest, dt.date)
    if (dt.date.max - latest).days < days:
        raise SpecError(
            f"window {window!r} ends after {dt.date.max} for the loans disbursed on "
            f"{latest}; give a window of at most {(dt.date.max - latest).days:,} days"
        )


def _check_dpd(dpd: Any) -> int:
    return whole_number("dpd threshold", dpd, minimum=1)


def _check_band(band: tuple[int, int] | None, threshold: int) -> tuple[int, int] | None:
    if band is None:
        return None
    if isinstance(band, (str, bytes)) or not hasattr(band, "__len__") or len(band) != 2:
        raise SpecError(f"indeterminate must be a (low, high) pair of days, got {band!r}")
    lo, hi = (whole_number("indeterminate", b, minimum=0) for b in band)
    if not 0 <= lo <= hi < threshold:
        raise SpecError(
            f"indeterminate band {band!r} must satisfy 0 <= low <= high < dpd ({threshold})"
        )
    return lo, hi
