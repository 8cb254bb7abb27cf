"""Input checks shared by the limit engines (private).

Numbers are read as numbers only: text (``"610"``) and booleans (``True``) are refused
rather than parsed or counted as 1, because a limit engine that guesses decides a real
credit line on the guess.

Examples
--------
>>> check_number("Economics", "lgd", 0.5, low=0.0, high=1.0, low_open=True)
0.5
>>> check_number("Economics", "lgd", float("nan"), low=0.0)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
thinfile_credit.errors.SpecError: Economics.lgd: must be a finite number >= 0, got nan
>>> float_array(["610"], "score")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
thinfile_credit.errors.DataError: score: must be numeric, got text ...
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._numbers import is_real
from thinfile_credit.errors import DataError, SchemaError, SpecError
from thinfile_credit.splits import _generator

__all__ = [
    "check_count",
    "check_number",
    "float_array",
    "generator",
    "is_real",
    "numeric_column",
]


def check_number(
    owner: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> Any:
    """``value`` if it is a finite real number in the range, else :class:`SpecError`.

    Whole floats are returned as ``int`` when ``integer`` is set; the error names
    ``owner.name``.
    """
    ok = is_real(value) and math.isfinite(value)
    if ok and integer:
        ok = float(value).is_integer()
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        kind = "an integer" if integer else "a finite number"
        if low is not None and high is not None:
            where = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        elif low is not None:
            where = f"{'>' if low_open else '>='} {low:g}"
        elif high is not None:
            where = f"{'<' if high_open else '<='} {high:g}"
        else:
            where = ""
        raise SpecError(
            f"must be {kind}{' ' + where if where else ''}, got {value!r}", table=owner, column=name
        )
    return int(value) if integer else value


def check_count(owner: str, name: str, value: Any, minimum: int) -> int:
    """``value`` as an ``int`` if it is a whole number >= ``minimum``, else SpecError.

    Only integers count (NumPy's included): a float, text such as ``"2"`` or a bool is
    refused, as a seed or a repeat count read from them would be a guess. The error
    names ``owner.name``.
    """
    whole = not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, np.integer))
    if not whole or value < minimum:
        raise SpecError(
            f"must be a whole number >= {minimum}, got {value!r}", table=owner, column=name
        )
    return int(value)


def generator(random_state: Any) -> np.random.Generator:
    """A NumPy generator from ``random_state`` by the library's one seed rule (that of
    :func:`thinfile_credit.splits.stratified_split`): None, an integer >= 0, a
    ``Generator``, ``SeedSequence`` or ``RandomState``; anything else (text, a bool, a
    float) is a :class:`SpecError`."""
    return _generator(random_state)


def numeric_column(df: pl.DataFrame, name: str, table: str) -> pl.Series:
    """Column ``name`` of ``table`` as Float64 (nulls kept); text and booleans refused.

    Raises
    ------
    SchemaError
        When the column is not numeric (Polars would parse ``"610"`` and read ``True``
        as 1).
    """
    col = df[name]
    dtype = col.dtype
    if dtype != pl.Null and not dtype.is_numeric():
        raise SchemaError(
            f"must be numeric, got {dtype} (text and booleans are not read as numbers)",
            table=table,
            column=name,
        )
    return col.cast(pl.Float64)


def float_array(values: Any, name: str, *, table: str | None = None) -> NDArray[np.float64]:
    """``values`` as a float64 array; text, booleans and other objects are refused.

    Raises
    ------
    DataError
        When ``values`` hold text, booleans or anything else that is not a number.
    """
    raw = values if isinstance(values, np.ndarray) else np.asarray(values)
    kind = raw.dtype.kind
    why = None
    if kind == "b":
        why = "booleans"
    elif kind in "USa":
        why = "text"
    elif kind == "O":
        flat = raw.ravel()
        if any(isinstance(x, (str, bytes)) for x in flat):
            why = "text"
        elif any(isinstance(x, (bool, np.bool_)) for x in flat):
            why = "booleans"
    elif kind not in "iuf":
        why = str(raw.dtype)
    if why is None:
        try:
            return raw.astype(np.float64, copy=False)
        except (TypeError, ValueError):
            why = str(raw.dtype)
    raise DataError(
        f"must be numeric, got {why} (text and booleans are not read as numbers)",
        table=table,
        column=name,
    )
