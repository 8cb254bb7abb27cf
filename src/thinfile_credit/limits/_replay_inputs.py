"""Checks and normalisation of the tables given to ``replay`` (private).

They turn the ``histories`` and ``initial`` tables of
:func:`~thinfile_credit.limits.replay.replay` into what its loop needs: the required
columns (:func:`_require`); cycles that are numbers or dates, with no NaN, null or
duplicate (account, cycle) row, sorted by account and cycle only when they are not already
(:func:`_sorted`); DPD as whole days (:func:`_days`); numeric columns as float arrays
(:func:`_floats`, :func:`_optional`); and each account's opening
:class:`~thinfile_credit.limits.ladder_arrays.LadderArrays` state, from its ``initial`` row
or first history row (:func:`_initial_state`). Every error quotes rows as positions in the
caller's table, not in the sorted frame (:func:`_original`).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._keys import align_key
from thinfile_credit.errors import DataError, SchemaError
from thinfile_credit.limits._checks import numeric_column
from thinfile_credit.limits.engine import not_whole_days, rung_index
from thinfile_credit.limits.ladder import LimitLadder
from thinfile_credit.limits.ladder_arrays import _R, LadderArrays


def _require(df: pl.DataFrame, columns: tuple[str, ...], table: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(f"missing required column(s) {missing}", table=table, column=missing[0])


def _sorted(hist: pl.DataFrame) -> tuple[pl.DataFrame, NDArray[np.int64] | None]:
    """The histories sorted by account and cycle, and the input row of each sorted row.

    The row map is None when the input is already in order (the common case for exports);
    error messages quote input rows through it. Cycles must be numbers or dates: text
    would be ordered alphabetically (``"10"`` before ``"9"``), so it is refused.
    """
    cycle_type = hist.schema["cycle"]
    if not (cycle_type.is_numeric() or cycle_type.is_temporal()):
        raise SchemaError(
            f"must be numbers or dates, got {cycle_type} (text cycles would be ordered "
            "alphabetically, '10' before '9'; booleans are not cycles)",
            table="histories",
            column="cycle",
        )
    if cycle_type.is_float():
        nan = hist["cycle"].is_nan().fill_null(False)
        if nan.any():
            raise SchemaError(
                "NaN cycles have no place in the order",
                table="histories",
                column="cycle",
                rows=np.flatnonzero(nan.to_numpy()).tolist(),
            )
    for col in ("account_id", "cycle", "dpd", "utilisation"):
        nulls = hist[col].is_null()
        if nulls.any():
            raise SchemaError(
                "null values",
                table="histories",
                column=col,
                rows=np.flatnonzero(nulls.to_numpy()).tolist(),
            )
    ids = hist["account_id"]
    cyc = hist["cycle"]
    # Skip the sort when the frame is already ordered (the common case for exports).
    if hist.height > 1:
        same = (ids[1:] == ids[:-1]).to_numpy()
        ordered = bool(((ids[1:] > ids[:-1]).to_numpy() | same).all()) and bool(
            ((cyc[1:] > cyc[:-1]).to_numpy() | ~same).all()
        )
    else:
        ordered = True
    if ordered:
        return hist, None
    hist = hist.with_row_index("_row").sort(["account_id", "cycle"], maintain_order=True)
    order = hist["_row"].to_numpy().astype(np.int64)
    same = (hist["account_id"][1:] == hist["account_id"][:-1]).to_numpy()
    dup = same & (hist["cycle"][1:] == hist["cycle"][:-1]).to_numpy()
    if dup.any():
        raise SchemaError(
            "duplicate (account_id, cycle) rows",
            table="histories",
            column="cycle",
            rows=order[1:][dup].tolist(),
        )
    return hist.drop("_row"), order


def _original(rows: NDArray[np.int64], order: NDArray[np.int64] | None) -> list[int]:
    """Input row numbers of sorted rows (for error messages)."""
    return sorted((rows if order is None else order[rows]).tolist())


def _days(hist: pl.DataFrame, order: NDArray[np.int64] | None) -> NDArray[np.int64]:
    """``dpd`` as whole days: fractional, non-finite or negative values are errors."""
    col = hist["dpd"]
    if col.dtype.is_integer():
        days = col.to_numpy().astype(np.int64, copy=False)
        bad = days < 0
    else:
        values = numeric_column(hist, "dpd", "histories").to_numpy()
        bad = not_whole_days(values)
        days = np.where(bad, 0, values).astype(np.int64)
    if bad.any():
        raise SchemaError(
            "must be whole, non-negative days",
            table="histories",
            column="dpd",
            rows=_original(np.flatnonzero(bad), order),
        )
    return days


def _initial_state(
    L: LimitLadder,
    accounts: pl.DataFrame,
    init: pl.DataFrame,
    table: str = "initial",
    rows: NDArray[np.int64] | None = None,
) -> LadderArrays:
    """Opening states of ``accounts`` from ``init`` (whose row ``i`` is ``table`` row
    ``rows[i]``, or ``i`` when ``rows`` is None, in error messages)."""
    init = init.with_columns(
        pl.Series("_row", np.arange(init.height) if rows is None else rows, dtype=pl.Int64)
    )
    dups = init["account_id"].is_duplicated()
    if dups.any():
        raise SchemaError(
            "duplicate account_id",
            table=table,
            column="account_id",
            rows=init["_row"].filter(dups).to_list(),
        )
    try:
        # Lossless only: a cast would truncate 1.7 to 1 and read "01" as 1, handing one
        # account's limit to another.
        key = align_key(
            init["account_id"],
            accounts.schema["account_id"],
            table=table,
            column="account_id",
            reference="histories.account_id",
        )
    except SchemaError as err:  # quote this table's rows
        quoted = None if err.rows is None else init["_row"].gather(err.rows).to_list()
        raise SchemaError(err.message, table=table, column="account_id", rows=quoted) from None
    init = init.with_columns(key)
    # Amounts are read as numbers only: text ("500") and booleans are refused.
    init = init.with_columns(
        numeric_column(init, c, table)
        for c in ("limit", "cap", "score", "capacity", "income")
        if c in init.columns
    )
    if init.height == accounts.height and init["account_id"].equals(accounts["account_id"]):
        joined = init  # already aligned (the usual export order): skip the join
    else:
        joined = accounts.join(init, on="account_id", how="left", maintain_order="left")
    probe = "limit" if "limit" in init.columns else "score"
    if probe not in init.columns:
        raise SchemaError(
            "needs either 'limit' or 'score' and 'capacity'", table=table, column="score"
        )
    absent = joined["_row"].is_null()
    if absent.any():
        raise SchemaError(
            "accounts in histories without an initial row (rows: their account ids)",
            table=table,
            column="account_id",
            rows=joined["account_id"].filter(absent).to_list(),
        )
    n = joined.height
    src = joined["_row"].to_numpy()
    nulls = joined[probe].is_null().to_numpy()
    if nulls.any():
        raise SchemaError(
            "null values", table=table, column=probe, rows=sorted(src[nulls].tolist())
        )
    if "limit" not in init.columns:
        _require(init, ("score", "capacity"), table)
        income = joined["income"].to_numpy() if "income" in joined.columns else None
        try:
            return LadderArrays.open(
                L, joined["score"].to_numpy(), joined["capacity"].to_numpy(), income
            )
        except DataError as err:  # quote this table's rows, not account positions
            quoted = None if err.rows is None else sorted(src[np.asarray(err.rows)].tolist())
            raise type(err)(err.message, table=table, column=err.column, rows=quoted) from None
    rung = rung_index(L, joined["limit"].to_numpy())
    if (rung == -2).any():
        raise SchemaError(
            "initial limit is not a rung of the ladder (or 0)",
            table=table,
            column="limit",
            rows=sorted(src[rung == -2].tolist()),
        )
    # An account's own cap (e.g. the lender's affordability assessment); a null cap means
    # none was set, so only the regulatory ceiling binds - never "no cap".
    given = (
        joined["cap"].fill_null(np.nan).to_numpy() if "cap" in init.columns else np.full(n, np.nan)
    )
    bad = given < 0
    if bad.any():
        raise SchemaError(
            "must not be negative (null where the account has no cap of its own)",
            table=table,
            column="cap",
            rows=sorted(src[bad].tolist()),
        )
    # The regulatory ceiling applies on top where the cap is used (ceiling_cap in
    # step_arrays), as for a state built by hand.
    cap = np.where(np.isnan(given), np.inf, given)
    return LadderArrays.from_rungs(L, rung, cap, np.full(n, _R["LIM_CAP_ACCOUNT"]))


def _floats(df: pl.DataFrame, name: str) -> NDArray[np.float64]:
    """A numeric ``histories`` column as float64 (NaN where null)."""
    return numeric_column(df, name, "histories").fill_null(np.nan).to_numpy()


def _optional(df: pl.DataFrame, name: str, n: int) -> NDArray[np.float64]:
    return _floats(df, name) if name in df.columns else np.full(n, np.nan)
