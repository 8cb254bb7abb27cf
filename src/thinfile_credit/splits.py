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
import math
from fractions import Fraction
from typing import Any

import numpy as np
import polars as pl

from thinfile_credit._frames import FrameKind, from_polars, to_polars
from thinfile_credit._numbers import is_real
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
        Rows with ``time < cutoff`` go to train, the rest (ties included) to test. A
        ``datetime.date``/``datetime``, ``pandas.Timestamp``, ``numpy.datetime64`` or
        ISO string (``"2024-08-01"``, ``"2024-08-01T12:00"``,
        ``"2024-08-01T12:00+08:00"``); ``NaT`` is not a time. Nanoseconds count: a
        cut-off finer than the column's unit is compared exactly, as its ceiling in
        that unit.
        Naive and time-zone-aware times never mix: an aware cut-off needs an aware
        column (it is compared as the same instant in the column's zone) and a naive
        one is read as wall-clock time in an aware column's zone, where it must exist
        and be unambiguous (not in a daylight-saving gap or overlap). On a ``Date``
        column, where a date means the whole day, the cut-off must be a date (or
        midnight).
    test_share : float, optional
        Instead of ``cutoff``: the test set is the ``n_test = ceil(test_share * n)``
        latest of the ``n`` rows (a product within 1e-6 of a whole number counts as
        that number, so 0.3 of 90 rows is 27), and the cut-off is the time of the
        earliest of them. Rows sharing that time also go to test, so a timestamp is
        never split and the realised test set can be larger than ``n_test``.

    Returns
    -------
    (train, test)
        Frames of the input kind, each in the input row order. A pandas input's rows
        are selected from it as they are (``frame.iloc[positions]``), keeping its index
        and dtypes.

    Raises
    ------
    SpecError
        Neither or both of ``cutoff`` and ``test_share``; a ``test_share`` that is not a
        number (a bool or a string such as ``"0.3"``) or lies outside (0, 1); a
        ``time_col`` that is not a string; a cut-off that is not a date or time (``NaT``,
        a number), that mixes naive and aware with the column,
        that does not exist or is ambiguous in the column's time zone, or that has a
        time of day on a ``Date`` column.
    SchemaError
        Missing or non-temporal ``time_col``, or missing times.
    DataError
        An unreadable frame, or an empty train or test side (with ``test_share``: the
        earliest time already holds the ``n_test``-th latest row, e.g. all rows share
        one timestamp).

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> df = pl.DataFrame({"t": [dt.date(2024, m, 1) for m in range(1, 11)]})
    >>> train, test = out_of_time_split(df, "t", test_share=0.2)
    >>> test["t"].to_list()
    [datetime.date(2024, 9, 1), datetime.date(2024, 10, 1)]
    >>> train, test = out_of_time_split(df, "t", test_share=0.9)  # 9 of 10 rows
    >>> train.height, test.height
    (1, 9)
    >>> out_of_time_split(df, "t", cutoff="2024-08-01T12:00")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.SpecError: cutoff '2024-08-01T12:00' has a time of day but ...
    """
    if (cutoff is None) == (test_share is None):
        raise SpecError("give exactly one of cutoff or test_share")
    if test_share is not None:
        test_share = _share("test_share", test_share)
    df, kind = to_polars(frame, table="frame")
    _check_column_name("time_col", time_col)
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
        n_test = _n_test_rows(test_share, df.height)
        # Compared inside Polars: a Python datetime would drop nanoseconds.
        cut = pl.col(time_col).sort().get(df.height - n_test)
        mask = df.select(pl.col(time_col) >= cut).to_series().to_numpy()
        if mask.all():
            earliest = df[time_col].min()
            raise DataError(
                f"the train side of the split is empty: the {n_test} latest rows reach back "
                f"to the earliest time {earliest!s}; lower test_share",
                table="frame",
                column=time_col,
            )
    else:
        is_test = pl.col(time_col) >= _cutoff_literal(cutoff, dtype, time_col)
        mask = df.select(is_test).to_series().to_numpy()
    for side, name in ((~mask, "train"), (mask, "test")):
        if not side.any():
            raise DataError(
                f"the {name} side of the split is empty; move the cut-off",
                table="frame",
                column=time_col,
            )
    return _take(frame, df, kind, ~mask), _take(frame, df, kind, mask)


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
        Share of rows (or of groups) in the test set, per stratum. A stratum of ``n``
        rows (or groups) puts exactly ``round(test_size * n)`` of them in test: Python's
        ``round`` of the floating-point product, so an exact half goes to the even
        neighbour (0.5 of 5 rows is 2, of 7 rows 4; 0.25 of 10 is 2; 0.1 of 5 is 0) and
        the product is the float one (``0.3 * 15`` is 4.5, so 4; ``0.3 * 5`` is 1.5, so
        2). A small stratum can thus put no row in test, or (with a large
        ``test_size``) all of them. The rule is fixed: published splits depend on it.
    group_col : str, optional
        Keep all rows with the same value together (e.g. ``user_id``). Groups are then
        stratified by their largest target value (a user with any bad loan is a bad
        user).
    random_state : int or numpy Generator, optional
        Seed (an integer >= 0) or generator.

    Returns
    -------
    (train, test)
        Frames of the input kind, each in the input row order. A pandas input's rows
        are selected from it as they are (``frame.iloc[positions]``), keeping its index
        and dtypes.

    Raises
    ------
    SpecError
        A ``test_size`` that is not a number in (0, 1) (booleans and strings
        included), a ``random_state`` that is neither None, an integer >= 0 nor a
        generator, or column names that are not strings.
    SchemaError
        A missing ``target_col`` or ``group_col``, missing group ids, or a target or
        group column of lists, arrays, structs or Python objects (no stratum label or
        group id).
    DataError
        An unreadable or empty frame, or an empty train or test side.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"bad": [0] * 80 + [1] * 20})
    >>> train, test = stratified_split(df, "bad", test_size=0.25, random_state=0)
    >>> len(test), int(test["bad"].sum())
    (25, 5)
    """
    test_size = _share("test_size", test_size)
    rng = _generator(random_state)
    df, kind = to_polars(frame, table="frame")
    _check_column_name("target_col", target_col)
    if group_col is not None:
        _check_column_name("group_col", group_col)
    for col in (target_col, group_col):
        if col is not None and col not in df.columns:
            raise SchemaError("column not found", table="frame", column=col)
    for col, what in ((target_col, "stratum labels"), (group_col, "group ids")):
        if col is not None and (df[col].dtype.is_nested() or df[col].dtype == pl.Object):
            raise SchemaError(
                f"{what} must be plain values (numbers, text, dates, booleans), got "
                f"{df[col].dtype}",
                table="frame",
                column=col,
            )
    if df.height == 0:
        raise DataError("no rows to split", table="frame")
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
    for side, name in ((~mask, "train"), (mask, "test")):
        if not side.any():
            raise DataError(
                f"the {name} side of the split is empty; change test_size", table="frame"
            )
    return _take(frame, df, kind, ~mask), _take(frame, df, kind, mask)


def _share(name: str, value: Any) -> float:
    """``value`` as a float if it is a real number strictly between 0 and 1."""
    if not is_real(value) or not 0.0 < value < 1.0:
        raise SpecError(f"{name} must be a number in (0, 1), got {value!r}")
    return float(value)


def _generator(random_state: Any) -> np.random.Generator:
    """A generator from a seed (an integer >= 0), a generator, a ``SeedSequence``, a
    ``RandomState`` (as ``numpy.random.default_rng`` reads it) or None."""
    if random_state is None or isinstance(
        random_state, np.random.Generator | np.random.SeedSequence | np.random.RandomState
    ):
        return np.random.default_rng(random_state)
    if (
        isinstance(random_state, bool | np.bool_)
        or not isinstance(random_state, int | np.integer)
        or random_state < 0
    ):
        raise SpecError(
            "random_state must be None, an integer >= 0, a numpy Generator, SeedSequence or "
            f"RandomState, got {random_state!r}"
        )
    return np.random.default_rng(int(random_state))


def _check_column_name(name: str, column: Any) -> None:
    if not isinstance(column, str):
        raise SpecError(f"{name} must be a column name (a string), got {column!r}")


def _take(frame: Any, df: pl.DataFrame, kind: FrameKind, mask: np.ndarray) -> Any:
    """The rows of ``mask``, as the kind of frame the caller gave."""
    if kind == "pandas":
        # Straight from the caller's frame: index and (nullable) dtypes stay as they are.
        return frame.iloc[np.flatnonzero(mask)]
    return from_polars(df.filter(pl.Series(mask)), kind)


def _n_test_rows(share: float, n: int) -> int:
    """How many of ``n`` rows a ``share`` asks for: ``ceil(share * n)``, at least one.

    Computed exactly on the float's value, a product within 1e-6 of a whole number
    counting as that number: 0.3 is not exactly 3/10 in binary, yet 0.3 of 90 rows is 27.

    Examples
    --------
    >>> _n_test_rows(0.9, 10), _n_test_rows(0.3, 90), _n_test_rows(0.25, 10)
    (9, 27, 3)
    """
    return max(1, min(n, math.ceil(Fraction(share) * n - Fraction(1, 10**6))))


def _cutoff_literal(cutoff: Any, dtype: pl.DataType, column: str) -> pl.Expr:
    """The cut-off as a literal of the time column's dtype, refusing silent shifts."""
    where = f"frame.{column}"
    # Nanoseconds past ``value`` (a Python time: whole microseconds, floored).
    extra_ns = 0
    if isinstance(cutoff, str):
        try:
            value: Any = dt.datetime.fromisoformat(cutoff)
        except ValueError:
            raise SpecError(f"cutoff must be an ISO date or datetime, got {cutoff!r}") from None
    elif hasattr(cutoff, "to_pydatetime"):  # pandas Timestamp (or NaT, refused below)
        value = cutoff.to_pydatetime(warn=False)
        nanos = getattr(cutoff, "nanosecond", 0)
        extra_ns = int(nanos) if nanos == nanos else 0  # NaT's is NaN
    elif isinstance(cutoff, np.datetime64) and not np.isnat(cutoff):
        floor = cutoff.astype("datetime64[us]")
        value = floor.item()  # an int outside years 1-9999
        extra_ns = math.ceil((cutoff - floor) / np.timedelta64(1, "ns"))
    elif isinstance(cutoff, dt.date):
        value = cutoff
    else:
        value = None
    # pandas' NaT is a datetime subclass that is no time at all (NaT != NaT).
    if not isinstance(value, dt.date) or value != value:
        raise SpecError(f"cutoff must be a date or datetime, got {cutoff!r}")
    aware = isinstance(value, dt.datetime) and value.utcoffset() is not None
    if dtype == pl.Date:
        if aware:
            raise SpecError(
                f"cutoff {cutoff!r} is time-zone aware but {where} holds dates; give a date"
            )
        if isinstance(value, dt.datetime):
            if value.time() != dt.time(0) or extra_ns:
                raise SpecError(
                    f"cutoff {cutoff!r} has a time of day but {where} holds dates "
                    "(a whole day each); give a date"
                )
            value = value.date()
        return pl.lit(value, pl.Date)
    assert isinstance(dtype, pl.Datetime)
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    # Round up to the column's unit: a row at t >= cutoff exactly when t >= the ceiling.
    # An ns column keeps the nanoseconds, added to the literal at the end.
    step_us = {"ns": 0, "us": 1, "ms": 1000}[dtype.time_unit]
    if step_us and (extra_ns or value.microsecond % step_us):
        try:
            value += dt.timedelta(microseconds=step_us - value.microsecond % step_us)
        except OverflowError:
            raise SpecError(f"cutoff {cutoff!r} is after the last representable time") from None
    nanos = pl.duration(nanoseconds=extra_ns if step_us == 0 else 0)
    zone = dtype.time_zone
    if zone is None:
        if aware:
            raise SpecError(
                f"cutoff {cutoff!r} is time-zone aware but {where} is naive; naive and "
                "aware times never mix: give a naive cut-off or localise the column"
            )
        return pl.lit(value, dtype) + nanos
    if aware:
        utc = value.astimezone(dt.UTC).replace(tzinfo=None)
        instant = pl.Series([utc]).dt.replace_time_zone("UTC").dt.convert_time_zone(zone)
    else:
        local = pl.Series([value])
        earliest = local.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
        unique = local.dt.replace_time_zone(zone, ambiguous="null", non_existent="null")
        if earliest.is_null().any() or unique.is_null().any():
            problem = (
                "does not exist (clocks jump forward)"
                if earliest.is_null().any()
                else "is ambiguous (clocks go back)"
            )
            raise SpecError(
                f"cutoff {cutoff!r} {problem} in the time zone {zone} of {where}; "
                "give it with a UTC offset"
            )
        instant = unique
    return pl.lit(instant.cast(dtype).item(), dtype) + nanos
