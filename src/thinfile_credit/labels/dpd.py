"""Repayment histories: checking loans and instalments, and days past due (DPD).

DPD convention
--------------
Dates are compared at day resolution. An instalment is **paid in full** when it has a
``paid_at`` and ``amount_paid >= amount_due - tolerance``; a partial payment leaves it
unpaid. ``amount_due`` must be a finite number, and so must ``amount_paid`` wherever
``paid_at`` is set (an unpaid instalment may leave it null or NaN); anything else raises
:class:`~thinfile_credit.errors.SchemaError` naming the rows, in pandas and Polars alike.
Its DPD on day ``d`` is

* ``max(0, paid - due)`` days, frozen, if it was paid in full on or before ``d``;
* ``max(0, d - due)`` days otherwise (a payment after ``d`` is not yet known on ``d``).

This *worst-ever* DPD is non-decreasing in ``d``, so "the loan reached 30 DPD within the
window" is the same as "its DPD at the window's end is at least 30". The *current* DPD
used for roll rates instead drops to 0 once the instalment is paid
(:func:`current_dpd_expr`).

Examples
--------
>>> import pandas as pd
>>> from thinfile_credit.labels import instalment_dpd
>>> loans = pd.DataFrame({"loan_id": [1], "user_id": [7],
...                       "disbursed_at": pd.to_datetime(["2024-01-01"])})
>>> inst = pd.DataFrame({"loan_id": [1, 1], "installment_no": [1, 2],
...     "due_at": pd.to_datetime(["2024-02-01", "2024-03-01"]),
...     "amount_due": [100.0, 100.0],
...     "paid_at": pd.to_datetime(["2024-02-11", "2024-03-20"]),
...     "amount_paid": [100.0, 60.0]})
>>> instalment_dpd(loans, inst, as_of="2024-04-01")["dpd"].tolist()
[10, 31]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from thinfile_credit._frames import FrameKind, from_polars, to_polars
from thinfile_credit.errors import DataError, SchemaError, SpecError

__all__ = ["RepaymentHistory", "current_dpd_expr", "instalment_dpd", "worst_dpd_expr"]

_LOAN_COLUMNS = ("loan_id", "user_id", "disbursed_at")
_INSTALMENT_COLUMNS = ("loan_id", "due_at", "amount_due", "paid_at", "amount_paid")


@dataclass(frozen=True)
class RepaymentHistory:
    """Validated loans and instalments at day resolution (the input of every label).

    Attributes
    ----------
    loans : polars.DataFrame
        The loans as given plus ``disbursed_day`` (Date) and ``_row`` (input position).
    installments : polars.DataFrame
        ``loan_id``, ``due_day``, ``paid_day`` (Date of the full payment, null while not
        paid in full), ``disbursed_day`` and ``_row``.
    kind : str
        Frame library of the ``loans`` input, for returning results in kind.
    last_day : datetime.date
        The latest disbursement or payment date (the default ``as_of``; scheduled due
        dates are not events and may lie in the future).
    """

    loans: pl.DataFrame
    installments: pl.DataFrame
    kind: FrameKind
    last_day: dt.date

    @classmethod
    def from_frames(
        cls, loans: Any, installments: Any, *, tolerance: float = 0.01
    ) -> RepaymentHistory:
        """Check and prepare the ``loans`` and ``installments`` tables.

        Raises
        ------
        SchemaError
            Missing columns, non-date columns, duplicate or null loan ids, missing
            dates, negative or infinite amounts, a null or NaN ``amount_due``, a null or
            NaN ``amount_paid`` on an instalment with a ``paid_at`` (an unpaid one, with
            a null ``paid_at``, may leave it missing: it is unpaid whatever the amount),
            instalments of unknown loans, instalments due or paid before their loan was
            disbursed.
        DataError
            No loans at all.
        """
        if not tolerance >= 0:
            raise SpecError(f"tolerance must be >= 0, got {tolerance!r}")
        lo, kind = to_polars(loans, table="loans")
        ins, _ = to_polars(installments, table="installments")
        _require(lo, "loans", _LOAN_COLUMNS)
        _require(ins, "installments", _INSTALMENT_COLUMNS)
        if lo.height == 0:
            raise DataError("no loans: the loans table is empty", table="loans")
        if ins.height == 0:
            # An empty table carries no dtypes worth checking (pandas gives object).
            ins = ins.with_columns(
                pl.col("due_at", "paid_at").cast(pl.Date),
                pl.col("amount_due", "amount_paid").cast(pl.Float64),
                pl.col("loan_id").cast(lo["loan_id"].dtype),
            )
        lo = lo.with_row_index("_row").with_columns(
            disbursed_day=_as_day(lo, "loans", "disbursed_at")
        )
        _no_nulls(lo, "loans", "loan_id")
        _no_nulls(lo, "loans", "disbursed_day", column="disbursed_at")
        dup = lo.filter(pl.col("loan_id").is_duplicated())
        if dup.height:
            raise SchemaError(
                "loan_id is not unique", table="loans", column="loan_id", rows=_rows(dup)
            )
        ins = ins.with_row_index("_row").with_columns(
            due_day=_as_day(ins, "installments", "due_at"),
            paid_on=_as_day(ins, "installments", "paid_at"),
        )
        _no_nulls(ins, "installments", "due_day", column="due_at")
        for col in ("amount_due", "amount_paid"):
            if not ins[col].dtype.is_numeric():
                raise SchemaError("must be numeric", table="installments", column=col)
            _finite_amounts(ins, col)
            neg = ins.filter(pl.col(col) < 0)
            if neg.height:
                raise SchemaError(
                    "negative amounts", table="installments", column=col, rows=_rows(neg)
                )
        if ins["loan_id"].dtype != lo["loan_id"].dtype:
            try:
                ins = ins.with_columns(pl.col("loan_id").cast(lo["loan_id"].dtype))
            except pl.exceptions.PolarsError:
                raise SchemaError(
                    f"loan_id type {ins['loan_id'].dtype} does not match loans.loan_id "
                    f"type {lo['loan_id'].dtype}",
                    table="installments",
                    column="loan_id",
                ) from None
        ins = ins.join(
            lo.select("loan_id", "disbursed_day"), on="loan_id", how="left", coalesce=True
        )
        unknown = ins.filter(pl.col("disbursed_day").is_null())
        if unknown.height:
            ids = unknown["loan_id"].unique(maintain_order=True).to_list()
            raise SchemaError(
                f"instalments of unknown loans (loan_id {ids[:5]})",
                table="installments",
                column="loan_id",
                rows=_rows(unknown),
            )
        for col, day in (("due_at", "due_day"), ("paid_at", "paid_on")):
            early = ins.filter(pl.col(day) < pl.col("disbursed_day"))
            if early.height:
                raise SchemaError(
                    "dated before the loan was disbursed",
                    table="installments",
                    column=col,
                    rows=_rows(early),
                )
        # The default as_of is the last thing that *happened*: a disbursement or a payment.
        # Due dates are a schedule and may lie in the future of the extract; using them
        # would make young loans look mature and their future instalments overdue.
        last_paid = ins["paid_on"].max()
        # A partial payment leaves the instalment unpaid: only a full payment has a day.
        paid_full = pl.col("paid_on").is_not_null() & (
            pl.col("amount_paid") >= pl.col("amount_due") - tolerance
        )
        ins = ins.sort("_row").select(
            "_row",
            "loan_id",
            "due_day",
            pl.when(paid_full).then(pl.col("paid_on")).alias("paid_day"),
            "disbursed_day",
        )
        last = max(d for d in (lo["disbursed_day"].max(), last_paid) if d is not None)
        assert isinstance(last, dt.date)
        return cls(loans=lo, installments=ins, kind=kind, last_day=last)

    def as_of_day(self, as_of: Any) -> dt.date:
        """Resolve ``as_of`` (None, date, datetime, timestamp or ISO string) to a date."""
        if as_of is None:
            return self.last_day
        return parse_day(as_of, "as_of")


def instalment_dpd(
    loans: Any, installments: Any, *, as_of: Any = None, tolerance: float = 0.01
) -> Any:
    """Worst-ever DPD of every instalment as of a date.

    Parameters
    ----------
    loans, installments : DataFrame
        Tables of :data:`thinfile_credit.schema.TABLES` (pandas, Polars or PyArrow).
    as_of : date-like, optional
        Observation date; defaults to the latest disbursement or payment in the data.
        Payments after it are treated as not yet made.
    tolerance : float, default 0.01
        A payment short of ``amount_due`` by at most this much (yuan) counts as full.

    Returns
    -------
    DataFrame
        Same kind as ``loans``: the instalments in input order with ``loan_id``,
        ``due_day``, ``paid_day`` (day of the full payment, null if not paid in full)
        and ``dpd``.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> loans = pl.DataFrame({"loan_id": [1], "user_id": [1],
    ...                       "disbursed_at": [dt.date(2024, 1, 1)]})
    >>> inst = pl.DataFrame({"loan_id": [1], "due_at": [dt.date(2024, 2, 1)],
    ...     "amount_due": [50.0], "paid_at": [None], "amount_paid": [0.0]},
    ...     schema_overrides={"paid_at": pl.Date})
    >>> instalment_dpd(loans, inst, as_of="2024-02-15")["dpd"].to_list()
    [14]
    """
    hist = RepaymentHistory.from_frames(loans, installments, tolerance=tolerance)
    day = hist.as_of_day(as_of)
    out = hist.installments.select(
        "loan_id", "due_day", "paid_day", dpd=worst_dpd_expr(pl.lit(day))
    )
    return from_polars(out, hist.kind)


def worst_dpd_expr(day: pl.Expr) -> pl.Expr:
    """Worst-ever DPD of an instalment on ``day`` (frozen at the day it was paid in full)."""
    paid_by = pl.col("paid_day").is_not_null() & (pl.col("paid_day") <= day)
    late_paid = (pl.col("paid_day") - pl.col("due_day")).dt.total_days()
    late_open = (day - pl.col("due_day")).dt.total_days()
    return pl.when(paid_by).then(late_paid).otherwise(late_open).clip(lower_bound=0)


def current_dpd_expr(day: pl.Expr) -> pl.Expr:
    """Current DPD of an instalment on ``day``: 0 once paid in full, else days overdue."""
    paid_by = pl.col("paid_day").is_not_null() & (pl.col("paid_day") <= day)
    late_open = (day - pl.col("due_day")).dt.total_days().clip(lower_bound=0)
    return pl.when(paid_by).then(0).otherwise(late_open)


def parse_day(value: Any, name: str) -> dt.date:
    """Turn a date, datetime, pandas Timestamp, NumPy datetime64 or ISO string into a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            raise SpecError(f"{name} must be an ISO date, got {value!r}") from None
    if hasattr(value, "to_pydatetime"):
        out = value.to_pydatetime()
        assert isinstance(out, dt.datetime)
        return out.date()
    try:
        day = pl.Series([value]).cast(pl.Date).item()
    except Exception:
        raise SpecError(f"{name} must be a date, got {value!r}") from None
    if not isinstance(day, dt.date):
        raise SpecError(f"{name} must be a date, got {value!r}")
    return day


def _as_day(df: pl.DataFrame, table: str, column: str) -> pl.Expr:
    dtype = df[column].dtype
    if dtype == pl.Date:
        return pl.col(column)
    if isinstance(dtype, pl.Datetime):
        return pl.col(column).dt.date()
    if dtype == pl.Null:
        return pl.col(column).cast(pl.Date)
    raise SchemaError(f"must be a date or datetime, got {dtype}", table=table, column=column)


def _finite_amounts(ins: pl.DataFrame, col: str) -> None:
    """Reject amounts that would silently decide "paid in full" (see ``from_frames``).

    pandas turns a missing float into NaN and Polars into null; both are missing here,
    so the two kinds behave identically.
    """
    value = pl.col(col).cast(pl.Float64)
    infinite = ins.filter(value.is_infinite())
    if infinite.height:
        raise SchemaError(
            "infinite amounts", table="installments", column=col, rows=_rows(infinite)
        )
    missing = value.is_null() | value.is_nan()
    if col == "amount_due":
        bad = ins.filter(missing)
        what = "missing (null or NaN) amounts due"
    else:  # only a payment's amount matters: unpaid rows may leave it missing
        bad = ins.filter(missing & pl.col("paid_on").is_not_null())
        what = "missing (null or NaN) amount paid on instalments with a paid_at"
    if bad.height:
        raise SchemaError(what, table="installments", column=col, rows=_rows(bad))


def _require(df: pl.DataFrame, table: str, columns: tuple[str, ...]) -> None:
    for col in columns:
        if col not in df.columns:
            raise SchemaError("required column is missing", table=table, column=col)


def _no_nulls(df: pl.DataFrame, table: str, name: str, column: str | None = None) -> None:
    bad = df.filter(pl.col(name).is_null())
    if bad.height:
        raise SchemaError("missing values", table=table, column=column or name, rows=_rows(bad))


def _rows(df: pl.DataFrame) -> list[int]:
    return df["_row"].head(5).to_list()
