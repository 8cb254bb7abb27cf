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

import numpy as np
import pandas as pd
import polars as pl

from thinfile_credit._frames import FrameKind, from_polars, to_polars
from thinfile_credit._keys import align_key
from thinfile_credit.errors import DataError, SchemaError, SpecError
from thinfile_credit.labels._args import finite_number

__all__ = ["RepaymentHistory", "current_dpd_expr", "instalment_dpd", "worst_dpd_expr"]

_LOAN_COLUMNS = ("loan_id", "user_id", "disbursed_at")
_INSTALMENT_COLUMNS = ("loan_id", "due_at", "amount_due", "paid_at", "amount_paid")
#: The key of the installments table (checked when ``installment_no`` is given).
_INSTALMENT_KEY = ("loan_id", "installment_no")


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
    loans_index, installments_index : pandas.Index or None
        The pandas inputs' indexes, which results row for row with an input keep (so
        ``loans["status"] = bad_flag(...)["status"]`` pairs each loan with its own row);
        ``None`` for other kinds.
    """

    loans: pl.DataFrame
    installments: pl.DataFrame
    kind: FrameKind
    last_day: dt.date
    loans_index: Any = None
    installments_index: Any = None

    @classmethod
    def from_frames(
        cls, loans: Any, installments: Any, *, tolerance: float = 0.01
    ) -> RepaymentHistory:
        """Check and prepare the ``loans`` and ``installments`` tables.

        Parameters
        ----------
        loans, installments : DataFrame
            The ``loans`` and ``installments`` tables (pandas, Polars or PyArrow).
        tolerance : float, default 0.01
            A payment short of ``amount_due`` by at most this much (yuan) counts as
            full; a finite number >= 0.

        Raises
        ------
        SchemaError
            Missing columns, non-date columns, duplicate or null loan ids, missing
            dates, negative or infinite amounts, a null or NaN ``amount_due``, a null or
            NaN ``amount_paid`` on an instalment with a ``paid_at`` (an unpaid one, with
            a null ``paid_at``, may leave it missing: it is unpaid whatever the amount),
            instalment ``loan_id`` keys that are not exactly keys of ``loans.loan_id``
            (a fraction such as 2.5 against integer ids, text against numbers: never
            cast to another loan's id), instalments of unknown loans, instalments due or
            paid before their loan was disbursed, and, when the table has an
            ``installment_no``, null instalment numbers or a ``(loan_id,
            installment_no)`` key that is not unique (every row of each duplicated key is
            named).
        SpecError
            A ``tolerance`` that is not a finite number >= 0.
        DataError
            No loans at all.
        """
        if finite_number("tolerance", tolerance) < 0:
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
        # Only a lossless cast: 2.5 or "01" must not become another loan's id.
        key = align_key(
            ins["loan_id"],
            lo["loan_id"].dtype,
            table="installments",
            column="loan_id",
            reference="loans.loan_id",
        )
        ins = ins.with_columns(key)
        _unique_instalments(ins)
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
        return cls(
            loans=lo,
            installments=ins,
            kind=kind,
            last_day=last,
            loans_index=loans.index if isinstance(loans, pd.DataFrame) else None,
            installments_index=(
                installments.index if isinstance(installments, pd.DataFrame) else None
            ),
        )

    def as_of_day(self, as_of: Any) -> dt.date:
        """Resolve ``as_of`` to a date: None is :attr:`last_day`, anything else goes
        through :func:`parse_day` (which raises :class:`SpecError` on a non-date)."""
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
        Observation date (see :func:`parse_day` for the accepted forms); defaults to the
        latest disbursement or payment in the data. Payments after it are treated as not
        yet made.
    tolerance : float, default 0.01
        A payment short of ``amount_due`` by at most this much (yuan) counts as full.

    Returns
    -------
    DataFrame
        Same kind as ``loans``: the instalments in input order with ``loan_id``,
        ``due_day``, ``paid_day`` (day of the full payment, null if not paid in full)
        and ``dpd``. A pandas result keeps the pandas ``installments``' index.

    Raises
    ------
    SpecError
        An ``as_of`` that is not a date, or an invalid ``tolerance``.
    SchemaError
        Malformed tables (see :meth:`RepaymentHistory.from_frames`).
    DataError
        No loans at all.

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
    return from_polars(out, hist.kind, index=hist.installments_index)


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
    """The calendar day a date-like ``value`` names.

    Parameters
    ----------
    value : date-like
        A ``datetime.date``; a ``datetime.datetime`` or ``pandas.Timestamp`` (its date,
        in its own time zone when aware); a ``numpy.datetime64`` (the day it falls on);
        or an ISO 8601 string of a date or a date and time, read as a whole
        (``"2024-06-30"``, ``"2024-06-30T18:00"``, ``"2024-06-30 18:00:00+08:00"``).
    name : str
        The argument's name, for error messages.

    Returns
    -------
    datetime.date

    Raises
    ------
    SpecError
        Anything else: numbers and booleans (``2024`` is not a date, nor a count of days
        since 1970), ``None``, ``NaT``, strings that are not ISO 8601 as a whole, and
        ``datetime64`` values outside the years 1 to 9999.

    Examples
    --------
    >>> import numpy as np
    >>> parse_day("2024-06-30T18:00", "as_of"), parse_day(np.datetime64("2024-06-30"), "as_of")
    (datetime.date(2024, 6, 30), datetime.date(2024, 6, 30))
    >>> parse_day(2024, "as_of")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.SpecError: as_of must be a date (...), got 2024
    """
    if value is pd.NaT or (isinstance(value, np.datetime64) and np.isnat(value)):
        raise SpecError(f"{name} is NaT (not a time); give a date")
    if isinstance(value, dt.datetime):  # pandas.Timestamp included
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        day = value.astype("datetime64[D]").item()
        if not isinstance(day, dt.date):  # NumPy gives an int outside years 1-9999
            raise SpecError(f"{name} {value!r} lies outside the years 1 to 9999")
        return day
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value).date()
        except ValueError:
            raise SpecError(
                f"{name} must be an ISO 8601 date or date and time, got {value!r}"
            ) from None
    raise SpecError(
        f"{name} must be a date (datetime.date, datetime, pandas Timestamp, "
        f"numpy datetime64 or ISO string), got {value!r}"
    )


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


def _unique_instalments(ins: pl.DataFrame) -> None:
    """Refuse a duplicated ``(loan_id, installment_no)``: a stale copy of an instalment
    (unpaid where the other copy is paid) would decide the loan's label."""
    if "installment_no" not in ins.columns:
        return
    _no_nulls(ins, "installments", "installment_no")
    dup = ins.filter(pl.struct(_INSTALMENT_KEY).is_duplicated())
    if dup.height:
        raise SchemaError(
            f"duplicated key ({', '.join(_INSTALMENT_KEY)} must be unique)",
            table="installments",
            column=f"({', '.join(_INSTALMENT_KEY)})",
            rows=dup["_row"].to_list(),
        )


def _require(df: pl.DataFrame, table: str, columns: tuple[str, ...]) -> None:
    for col in columns:
        if col not in df.columns:
            raise SchemaError("required column is missing", table=table, column=col)


def _no_nulls(df: pl.DataFrame, table: str, name: str, column: str | None = None) -> None:
    """Refuse nulls (and NaN, a missing id in a float column) in ``name``."""
    missing = pl.col(name).is_null()
    if df[name].dtype.is_float():
        missing = missing | pl.col(name).is_nan()
    bad = df.filter(missing)
    if bad.height:
        raise SchemaError("missing values", table=table, column=column or name, rows=_rows(bad))


def _rows(df: pl.DataFrame) -> list[int]:
    return df["_row"].head(5).to_list()
