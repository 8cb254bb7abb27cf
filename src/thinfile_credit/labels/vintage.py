"""Vintage curves: the ever-bad rate of each disbursement cohort by months on book.

A cohort is the calendar month of disbursement. At ``m`` months on book a loan counts
toward the curve when ``disbursed + m months <= as_of`` (it has been observed that long),
and it is *ever bad* when some instalment reached the DPD threshold on or before
``disbursed + m months``. Curves rise and flatten; the months on book where they flatten
is the natural performance window (see :func:`suggest_window`).

Examples
--------
>>> import pandas as pd
>>> from thinfile_credit.labels import vintage_curves
>>> loans = pd.DataFrame({"loan_id": [1, 2], "user_id": [1, 2],
...     "disbursed_at": pd.to_datetime(["2024-01-05", "2024-01-20"])})
>>> inst = pd.DataFrame({"loan_id": [1, 2],
...     "due_at": pd.to_datetime(["2024-02-05", "2024-02-20"]),
...     "amount_due": [100.0, 100.0], "paid_at": [pd.NaT, pd.Timestamp("2024-02-21")],
...     "amount_paid": [0.0, 100.0]})
>>> v = vintage_curves(loans, inst, dpd=30, as_of="2024-06-30")
>>> v[["months_on_book", "n_loans", "n_bad"]].values.tolist()[:3]
[[1, 2, 0], [2, 2, 0], [3, 2, 1]]
"""

from __future__ import annotations

from typing import Any

import polars as pl

from thinfile_credit._frames import from_polars, to_polars
from thinfile_credit.errors import DataError, SchemaError, SpecError
from thinfile_credit.labels._args import finite_number, whole_number
from thinfile_credit.labels.bad_flag import _check_dpd
from thinfile_credit.labels.dpd import RepaymentHistory

__all__ = ["first_bad_day_expr", "suggest_window", "vintage_curves"]

#: The columns of :func:`vintage_curves`' output that :func:`suggest_window` reads, and
#: the numeric ones among them.
_CURVE_COLUMNS = ("cohort", "months_on_book", "cohort_size", "n_loans", "n_bad")
_CURVE_COUNTS = _CURVE_COLUMNS[1:]


def vintage_curves(
    loans: Any,
    installments: Any,
    *,
    dpd: int = 30,
    as_of: Any = None,
    max_months_on_book: int | None = None,
    tolerance: float = 0.01,
) -> Any:
    """Ever-``dpd``+ rate by months on book for each monthly disbursement cohort.

    Parameters
    ----------
    loans, installments : DataFrame
        The ``loans`` and ``installments`` tables (pandas, Polars or PyArrow).
    dpd : int, default 30
        DPD threshold of "ever bad": a whole number of days >= 1.
    as_of : date-like, optional
        Observation date (a date, datetime, pandas Timestamp, NumPy datetime64 or ISO
        string); defaults to the latest disbursement or payment in the data (pass the
        data extraction date when you know it).
    max_months_on_book : int, optional
        Longest horizon, a whole number of months >= 1; by default (and at most) the
        oldest cohort's observed months.
    tolerance : float, default 0.01
        Shortfall (yuan) still counted as paid in full: a finite number >= 0.

    Returns
    -------
    DataFrame
        Same kind as ``loans``, long format, one row per cohort and months on book with at
        least one observed loan: ``cohort`` (first day of the disbursement month),
        ``months_on_book``, ``cohort_size``, ``n_loans`` (observed that long), ``n_bad``
        (ever reached ``dpd``) and ``bad_rate``. Pivot on ``months_on_book`` for the
        classic triangle.

    Raises
    ------
    SpecError
        A ``dpd``, ``max_months_on_book``, ``tolerance`` or ``as_of`` of the wrong type
        or out of range (``dpd=29.9`` and ``max_months_on_book=True`` included).
    SchemaError
        Malformed tables (see :meth:`~thinfile_credit.labels.RepaymentHistory.from_frames`).
    DataError
        No loans, or no loan on book a full month by ``as_of``.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> loans = pl.DataFrame({"loan_id": [1], "user_id": [1],
    ...                       "disbursed_at": [dt.date(2024, 1, 1)]})
    >>> inst = pl.DataFrame({"loan_id": [1], "due_at": [dt.date(2024, 2, 1)],
    ...     "amount_due": [10.0], "paid_at": [dt.date(2024, 3, 15)], "amount_paid": [10.0]})
    >>> vintage_curves(loans, inst, as_of="2024-04-01")["n_bad"].to_list()
    [0, 0, 1]
    """
    threshold = _check_dpd(dpd)
    if max_months_on_book is not None:
        max_months_on_book = whole_number(
            "max_months_on_book", max_months_on_book, minimum=1, maximum=None, unit="months"
        )
    hist = RepaymentHistory.from_frames(loans, installments, tolerance=tolerance)
    as_of_day = hist.as_of_day(as_of)
    first_bad = hist.installments.group_by("loan_id").agg(
        first_bad_day=first_bad_day_expr(threshold).min()
    )
    disbursed = pl.col("disbursed_day")
    lo = (
        hist.loans.select("loan_id", "disbursed_day")
        .join(first_bad, on="loan_id", how="left")
        .select(
            cohort=disbursed.dt.truncate("1mo"),
            observed_months=_months_between(disbursed, pl.lit(as_of_day)),
            # Ever bad at m months on book from the first m with disbursed + m months
            # on or after the first bad day: one past the last m strictly before it.
            bad_from_month=_months_between(disbursed, pl.col("first_bad_day") - pl.duration(days=1))
            + 1,
        )
    )
    longest = lo["observed_months"].max()
    observed = int(longest) if isinstance(longest, int) else 0
    # No loan is observed beyond the oldest cohort's months: a longer horizon adds none.
    horizon = min(max_months_on_book or observed, observed)
    if horizon < 1:
        raise DataError(f"no loan has been on book a full month by {as_of_day}", table="loans")
    sizes = lo.group_by("cohort").agg(cohort_size=pl.len())
    # Loans sharing a cohort, observed months and first bad month count alike: expanding
    # those few groups (not every loan) over the months on book keeps the grid small.
    groups = lo.group_by("cohort", "observed_months", "bad_from_month").agg(n=pl.len())
    mob = pl.col("months_on_book")
    out = (
        groups.join(pl.DataFrame({"months_on_book": range(1, horizon + 1)}), how="cross")
        .filter(mob <= pl.col("observed_months"))
        .group_by("cohort", "months_on_book")
        .agg(
            n_loans=pl.col("n").sum(),
            n_bad=pl.col("n").filter(pl.col("bad_from_month") <= mob).sum(),
        )
        .join(sizes, on="cohort")
        .with_columns(
            pl.col("n_loans", "n_bad", "cohort_size").cast(pl.Int64),
            bad_rate=pl.col("n_bad") / pl.col("n_loans"),
        )
        .sort("cohort", "months_on_book")
        .select("cohort", "months_on_book", "cohort_size", "n_loans", "n_bad", "bad_rate")
    )
    return from_polars(out, hist.kind)


def suggest_window(curves: Any, *, share: float = 0.9) -> int:
    """Months on book by which the ever-bad rate has reached ``share`` of its plateau.

    Only cohorts observed over the whole horizon (every loan seen at the last months on
    book) are pooled, so the curve is not distorted by the changing cohort mix.

    Parameters
    ----------
    curves : DataFrame
        Output of :func:`vintage_curves`: at least ``cohort``, ``months_on_book``,
        ``cohort_size``, ``n_loans`` and ``n_bad``, the last four numeric and without
        missing values.
    share : float, default 0.9
        Fraction of the final ever-bad rate that the window should capture, in (0, 1].

    Returns
    -------
    int
        The suggested performance window in months.

    Raises
    ------
    SpecError
        A ``share`` that is not a number in (0, 1].
    SchemaError
        A missing column, a non-numeric count column, or missing values in one (named
        with the rows).
    DataError
        No cohort covers the whole horizon, or no bads at all.

    Examples
    --------
    >>> import pandas as pd
    >>> curves = pd.DataFrame({"cohort": ["2023-01"] * 4, "months_on_book": [1, 2, 3, 4],
    ...     "cohort_size": 100, "n_loans": 100, "n_bad": [1, 6, 9, 10],
    ...     "bad_rate": [0.01, 0.06, 0.09, 0.10]})
    >>> suggest_window(curves)
    3
    """
    if not 0.0 < finite_number("share", share) <= 1.0:
        raise SpecError(f"share must be in (0, 1], got {share!r}")
    df, _ = to_polars(curves, table="curves")
    _check_curves(df)
    horizon = df["months_on_book"].max()
    full = df.filter(
        (pl.col("months_on_book") == horizon) & (pl.col("n_loans") == pl.col("cohort_size"))
    )["cohort"]
    pooled = (
        df.filter(pl.col("cohort").is_in(full.implode()))
        .group_by("months_on_book")
        .agg(rate=pl.col("n_bad").sum() / pl.col("n_loans").sum())
        .sort("months_on_book")
    )
    if pooled.height == 0:
        raise DataError("no cohort is observed over the whole horizon", table="curves")
    final = pooled["rate"][-1]
    if not final > 0:
        raise DataError("no bads in the fully observed cohorts", table="curves")
    # A relative tolerance keeps 9 / 100 from missing 0.9 * 10 / 100 by rounding.
    reached = pooled.filter(pl.col("rate") >= share * final * (1 - 1e-12))
    return int(reached["months_on_book"][0])


def _check_curves(df: pl.DataFrame) -> None:
    """The columns :func:`suggest_window` reads exist, and its counts are numbers."""
    for col in _CURVE_COLUMNS:
        if col not in df.columns:
            raise SchemaError("required column is missing", table="curves", column=col)
    for col in _CURVE_COUNTS:
        if not df[col].dtype.is_numeric():
            raise SchemaError(f"must be numeric, got {df[col].dtype}", table="curves", column=col)
        missing = df[col].is_null()
        if df[col].dtype.is_float():
            missing = missing | df[col].is_nan()
        rows = missing.arg_true().to_list()
        if rows:
            raise SchemaError("missing values", table="curves", column=col, rows=rows)


def first_bad_day_expr(threshold: int) -> pl.Expr:
    """Day an instalment first reached ``threshold`` DPD (null if paid in full before).

    An instalment reaches it on ``due + threshold`` unless paid in full strictly before.
    """
    reach = pl.col("due_day") + pl.duration(days=threshold)
    paid_before = pl.col("paid_day").is_not_null() & (pl.col("paid_day") < reach)
    return pl.when(paid_before).then(None).otherwise(reach)


def _months_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Whole calendar months from ``start`` to ``end`` (``start + m months <= end``)."""
    months = (end.dt.year().cast(pl.Int64) - start.dt.year()) * 12 + (
        end.dt.month().cast(pl.Int64) - start.dt.month()
    )
    return pl.when(_add_months(start, months) <= end).then(months).otherwise(months - 1)


def _add_months(day: pl.Expr, months: pl.Expr) -> pl.Expr:
    """``day`` plus ``months`` calendar months, clamped to the end of a shorter month.

    Jan 31 + 1 month is Feb 29 in a leap year, as ``dt.offset_by("1mo")`` gives. Built
    from integer month arithmetic because ``dt.offset_by`` with a per-row ``"{m}mo"``
    string panics in Rust (Polars 2.1) on the chunked frames a cross join then filter
    leaves, and a panic is a ``BaseException`` no ``except Exception`` catches.
    """
    index = day.dt.year().cast(pl.Int64) * 12 + (day.dt.month().cast(pl.Int64) - 1) + months
    year, month = index // 12, index % 12 + 1
    last_day = pl.date(year, month, 1).dt.month_end().dt.day()
    return pl.date(year, month, pl.min_horizontal(day.dt.day(), last_day))
