"""The one rule turning a raw value into what binning sees: a category's text or a number.

Every path that bins or scores a value - fitting, ``transform``, batch scoring, the
single-applicant ``score_one`` - goes through these functions, so a value lands in the same
bin whatever container brought it (a float column, an object column, a pandas
``Categorical``, a Polars frame, a Python ``dict``) and whatever its scalar type
(``bool``, ``np.bool_``, ``int``, ``np.int64``, ``float``, ``np.float32``...).

Categorical features
    ``None``, NaN, ``pd.NA`` and ``NaT`` are missing; ``True``/``False`` are ``"1"``/``"0"``
    (a boolean column arrives as 1.0/0.0); any other number is read as a float64 and
    written without a trailing ``.0`` when it is whole (``3``, ``3.0``, ``np.int64(3)``
    -> ``"3"``; ``2.5`` -> ``"2.5"``; ``np.float32(0.1)`` -> ``"0.10000000149011612"``, the
    float64 it widens to); text is kept verbatim; anything else is ``str(value)``.
Numeric features
    numbers (and booleans) become float64, missing markers NaN; **text is an error**, even
    when it looks like a number (``"12"``, ``"nan"``): a numeric feature never parses text.
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import DataError

__all__ = [
    "category_text",
    "category_texts",
    "factorize_texts",
    "floats_and_failures",
    "is_missing",
    "number_value",
    "numeric_values",
]

_PANDAS_MISSING = frozenset({"NAType", "NaTType"})


def is_missing(value: Any) -> bool:
    """Whether a scalar is a missing marker: ``None``, NaN, ``pd.NA`` or ``NaT``.

    Examples
    --------
    >>> import pandas as pd
    >>> [is_missing(v) for v in (None, float("nan"), pd.NA, pd.NaT, 0.0, "nan")]
    [True, True, True, True, False, False]
    """
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(value != value)
    cls = value.__class__
    if cls.__name__ in _PANDAS_MISSING and cls.__module__.startswith("pandas"):
        return True
    if isinstance(value, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(value))
    if isinstance(value, Decimal):
        return value.is_nan()
    return False


def category_text(value: Any) -> str | None:
    """Text of one value of a categorical feature; ``None`` when it is missing.

    Examples
    --------
    >>> import numpy as np
    >>> [category_text(v) for v in (3, 3.0, np.int64(3), True, np.float32(2.5), "3.0", None)]
    ['3', '3', '3', '1', '2.5', '3.0', None]
    >>> category_text(float("nan")) is None
    True
    """
    cls = value.__class__
    if cls is str:
        return value
    if value is None:
        return None
    if cls is bool or cls is np.bool_:
        return "1" if value else "0"
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (numbers.Real, Decimal)):
        try:
            x = float(value)
        except OverflowError:  # an int beyond float range keeps its digits
            return str(value)
        if x != x:
            return None
        return str(int(x)) if x.is_integer() else repr(x)
    if is_missing(value):
        return None
    return str(value)


def category_texts(values: NDArray[Any]) -> NDArray[Any]:
    """:func:`category_text` of every value: an ``object`` array of ``str`` or ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> category_texts(np.array([3.0, 2.5, np.nan])).tolist()
    ['3', '2.5', None]
    >>> category_texts(np.array([1, "1", 1.0, None, True], dtype=object)).tolist()
    ['1', '1', '1', None, '1']
    """
    codes, texts = factorize_texts(values)
    table = np.empty(len(texts) + 1, dtype=object)
    table[: len(texts)] = texts
    table[-1] = None  # pandas' missing sentinel -1 picks this slot
    out: NDArray[Any] = table[codes]
    return out


def factorize_texts(values: NDArray[Any]) -> tuple[NDArray[np.intp], list[str | None]]:
    """Codes of every value into a list of distinct raw values' texts (-1 = missing).

    The rule is applied once per distinct value: equal values (``1 == 1.0 == True``)
    always get equal text, so hashing the raw values first is safe. Two distinct values
    may share a text (``1`` and ``"1"``).

    Examples
    --------
    >>> import numpy as np
    >>> codes, texts = factorize_texts(np.array([2.0, None, 2, "a"], dtype=object))
    >>> codes.tolist(), texts
    ([0, -1, 0, 1], ['2', 'a'])
    """
    import pandas as pd

    arr = np.asarray(values)
    if arr.dtype.kind in "USMm":
        arr = arr.astype(object)
    flat = arr.ravel()
    try:
        codes, uniques = pd.factorize(flat, use_na_sentinel=True)
    except TypeError:  # unhashable objects (a dict in a cell): text first, then hash
        each = np.empty(flat.shape[0], dtype=object)
        each[:] = [category_text(v) for v in flat.tolist()]
        codes, uniques = pd.factorize(each, use_na_sentinel=True)
    texts = [category_text(u) for u in np.asarray(uniques, dtype=object).tolist()]
    return np.asarray(codes, dtype=np.intp), texts


def number_value(value: Any) -> float:
    """The float64 a value of a numeric feature scores as; NaN for a missing marker.

    Raises
    ------
    TypeError
        For text (even ``"12"``), bytes and anything else that is not a real number.

    Examples
    --------
    >>> import numpy as np
    >>> number_value(np.float32(0.5)), number_value(True), number_value(None)
    (0.5, 1.0, nan)
    """
    if value is None:
        return math.nan
    if isinstance(value, (str, bytes)):
        raise TypeError(f"text {value!r} in a numeric feature")
    if isinstance(value, (numbers.Real, np.bool_, Decimal)):
        try:
            return float(value)
        except OverflowError:
            raise TypeError(f"{value!r} is beyond the float64 range") from None
    if is_missing(value):
        return math.nan
    raise TypeError(f"{value!r} is not a number")


def floats_and_failures(
    values: NDArray[Any], *, text_numbers: bool = False
) -> tuple[NDArray[np.float64], list[int]]:
    """Values one by one through :func:`number_value`: the floats and the failing rows.

    With ``text_numbers`` text that spells a number (``"1"``) is read as that number
    (as scikit-learn's label checks read targets); features never allow it.

    Examples
    --------
    >>> import numpy as np
    >>> out, bad = floats_and_failures(np.array([1, "1", "x"], dtype=object), text_numbers=True)
    >>> out[:2].tolist(), bad
    ([1.0, 1.0], [2])
    """
    out = np.empty(len(values), dtype=np.float64)
    bad: list[int] = []
    for i, value in enumerate(values.tolist()):
        try:
            out[i] = number_value(value)
        except TypeError:
            if not text_numbers:
                bad.append(i)
                continue
            try:
                out[i] = float(value)
            except (TypeError, ValueError):
                bad.append(i)
    return out, bad


def numeric_values(values: NDArray[Any], column: str, *, table: str = "X") -> NDArray[np.float64]:
    """A column of a numeric feature as float64 (missing markers as NaN).

    Raises
    ------
    DataError
        Naming the table, the column and the rows holding text or other non-numbers.

    Examples
    --------
    >>> import numpy as np
    >>> numeric_values(np.array([1, None, 2.5], dtype=object), "x").tolist()
    [1.0, nan, 2.5]
    >>> try:
    ...     numeric_values(np.array([1.0, "12", "nan"], dtype=object), "x")
    ... except DataError as exc:
    ...     print(exc)
    X.x: numeric feature received non-numeric values, e.g. '12' (rows: 1, 2)
    """
    arr = np.asarray(values)
    if arr.dtype == np.float64:
        return arr
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64)
    flat = arr.astype(object).ravel()
    out, bad = floats_and_failures(flat)
    if bad:
        raise DataError(
            f"numeric feature received non-numeric values, e.g. {flat[bad[0]]!r}",
            table=table,
            column=column,
            rows=bad,
        )
    return out
