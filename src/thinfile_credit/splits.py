"""Train/test splits a credit validation expects: out-of-time and stratified in-time.

An **out-of-time** split trains on applications before a cut-off date and tests on those
after, the closest offline stand-in for deploying a model on future applicants. A
**stratified** in-time split keeps the bad rate equal in both parts; with ``group_col``
(e.g. ``user_id``) all rows of a borrower land on the same side, so several loans of one
user cannot leak across the split.

Examples
--------
>>> import pandas as pd
>>> from thinfile_credit.splits import out_of_time_split
>>> df = pd.DataFrame({"applied_at": pd.date_range("2024-01-01", periods=10, freq="MS"),
...                    "bad": [0, 1] * 5})
>>> train, test = out_of_time_split(df, "applied_at", cutoff="2024-08-01")
>>> len(train), len(test)
(7, 3)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from thinfile_credit._frames import from_polars, to_polars
from thinfile_credit.errors import DataError, SchemaError, SpecError

__all__ = ["out_of_time_split", "stratified_split"]


def out_of_time_split(
    frame: Any,
    time_col: str,
    *,
    cutoff: Any = None,
    test_share: float | None = None,
) -> tuple[Any, Any]:
    """Split rows into those before and those on or after a cut-off time.

    Parameters
    ----------
    frame : DataFrame
        pandas, Polars or PyArrow frame, e.g. applications with their labels.
    time_col : str
        Date or datetime column, e.g. ``applied_at``.
    cutoff : date-like, optional
        Rows with ``time < cutoff`` go to train, the rest to test. Strings are parsed as
        ISO dates/datetimes.
    test_share : float, optional
        Instead of ``cutoff``: the latest ``test_share`` of rows form the test set. The
        cut-off is the earliest time at which that share is reached, so rows sharing a
        timestamp stay together and the realised share can be slightly larger.

    Returns
    -------
    (train, test)
        Frames of the input kind, each in the input row order.

    Raises
    ------
    SpecError
        Neither or both of ``cutoff`` and ``test_share``, or a share outside (0, 1).
    SchemaError
        Missing or non-temporal ``time_col``, or missing times.
    DataError
        An empty train or test side.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> df = pl.DataFrame({"t": [dt.date(2024, m, 1) for m in range(1, 11)]})
    >>> train, test = out_of_time_split(df, "t", test_share=0.2)
    >>> test["t"].to_list()
    [datetime.date(2024, 9, 1), datetime.date(2024, 10, 1)]
    """
    if (cutoff is None) == (test_share is None):
        raise SpecError("give exactly one of cutoff or test_share")
    df, kind = to_polars(frame, table="frame")
    if time_col not in df.columns:
        raise SchemaError("column not found", table="frame", column=time_col)
    dtype = df[time_col].dtype
    if not (dtype == pl.Date or isinstance(dtype, pl.Datetime)):
        raise SchemaError(
            f"must be a date or datetime, got {dtype}", table="frame", column=time_col
        )
    nulls = np.flatnonzero(df[time_col].is_null().to_numpy())
    if nulls.size:
        raise SchemaError("missing times", table="frame", column=time_col, rows=nulls[:5].tolist())
    if df.height == 0:
        raise DataError("no rows to split", table="frame")
    if test_share is not None:
        if not 0.0 < test_share < 1.0:
            raise SpecError(f"test_share must be in (0, 1), got {test_share!r}")
        times = df[time_col].sort()
        k = int(np.floor((1.0 - test_share) * df.height))
        cut_value = times[min(k, df.height - 1)]
        is_test = pl.col(time_col) >= cut_value
    else:
        is_test = pl.col(time_col) >= _cutoff_literal(cutoff, dtype)
    mask = df.select(is_test).to_series()
    train, test = df.filter(~mask), df.filter(mask)
    for part, name in ((train, "train"), (test, "test")):
        if part.height == 0:
            raise DataError(f"the {name} side of the split is empty; move the cut-off")
    return from_polars(train, kind), from_polars(test, kind)


def stratified_split(
    frame: Any,
    target_col: str,
    *,
    test_size: float = 0.3,
    group_col: str | None = None,
    random_state: int | np.random.Generator | None = None,
) -> tuple[Any, Any]:
    """Random in-time split with the same bad rate in train and test.

    Parameters
    ----------
    frame : DataFrame
        pandas, Polars or PyArrow frame.
    target_col : str
        Stratification column (the 0/1 outcome, or any label; nulls form a stratum).
    test_size : float, default 0.3
        Share of rows (or of groups) in the test set, per stratum, rounded.
    group_col : str, optional
        Keep all rows with the same value together (e.g. ``user_id``). Groups are then
        stratified by their largest target value (a user with any bad loan is a bad
        user).
    random_state : int or numpy Generator, optional
        Seed.

    Returns
    -------
    (train, test)
        Frames of the input kind, each in the input row order.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"bad": [0] * 80 + [1] * 20})
    >>> train, test = stratified_split(df, "bad", test_size=0.25, random_state=0)
    >>> len(test), int(test["bad"].sum())
    (25, 5)
    """
    if not 0.0 < test_size < 1.0:
        raise SpecError(f"test_size must be in (0, 1), got {test_size!r}")
    df, kind = to_polars(frame, table="frame")
    for col in (target_col, group_col):
        if col is not None and col not in df.columns:
            raise SchemaError("column not found", table="frame", column=col)
    if df.height == 0:
        raise DataError("no rows to split", table="frame")
    rng = np.random.default_rng(random_state)
    if group_col is None:
        units = df.select(_stratum=pl.col(target_col).cast(pl.String).fill_null("<null>"))
        unit_index = np.arange(df.height)
    else:
        nulls = np.flatnonzero(df[group_col].is_null().to_numpy())
        if nulls.size:
            raise SchemaError(
                "missing group ids", table="frame", column=group_col, rows=nulls[:5].tolist()
            )
        units = (
            df.group_by(group_col, maintain_order=True)
            .agg(_stratum=pl.col(target_col).max().cast(pl.String).fill_null("<null>"))
            .select("_stratum", group_col)
        )
        unit_index = (
            df.select(group_col)
            .join(units.with_row_index("_u"), on=group_col, how="left", maintain_order="left")["_u"]
            .to_numpy()
        )
    strata = units["_stratum"].to_numpy()
    test_units = np.zeros(units.height, dtype=bool)
    for label in sorted(set(strata.tolist())):
        members = np.flatnonzero(strata == label)
        n_test = round(test_size * members.size)
        test_units[rng.permutation(members)[:n_test]] = True
    mask = test_units[unit_index]
    train, test = df.filter(pl.Series(~mask)), df.filter(pl.Series(mask))
    for part, name in ((train, "train"), (test, "test")):
        if part.height == 0:
            raise DataError(f"the {name} side of the split is empty; change test_size")
    return from_polars(train, kind), from_polars(test, kind)


def _cutoff_literal(cutoff: Any, dtype: pl.DataType) -> pl.Expr:
    if isinstance(cutoff, str):
        try:
            value: Any = dt.datetime.fromisoformat(cutoff)
        except ValueError:
            raise SpecError(f"cutoff must be an ISO date or datetime, got {cutoff!r}") from None
    elif hasattr(cutoff, "to_pydatetime"):
        value = cutoff.to_pydatetime()
    elif isinstance(cutoff, dt.date):
        value = cutoff
    else:
        raise SpecError(f"cutoff must be a date or datetime, got {cutoff!r}")
    if dtype == pl.Date:
        return pl.lit(value.date() if isinstance(value, dt.datetime) else value, pl.Date)
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    assert isinstance(dtype, pl.Datetime)
    if dtype.time_zone is not None and value.tzinfo is None:
        return pl.lit(value).dt.replace_time_zone(dtype.time_zone).cast(dtype)
    return pl.lit(value).cast(dtype)
