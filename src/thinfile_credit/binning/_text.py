"""The one rule turning a raw value into what binning sees: a category's text or a number.

Every path that bins or scores a value - fitting, ``transform``, batch scoring, the
single-applicant ``score_one`` - goes through these functions, so a value lands in the same
bin whatever container brought it (a float column, an object column, a pandas
``Categorical``, a Polars frame, a Python ``dict``) and whatever its scalar type
(``bool``, ``np.bool_``, ``int``, ``np.int64``, ``float``, ``np.float32``...).

Categorical features
    ``None``, NaN, ``pd.NA`` and ``NaT`` are missing; ``True``/``False`` are ``"1"``/``"0"``
    (a boolean column arrives as 1.0/0.0); an integer (``int``, ``np.int64``,
    ``np.uint64``...) is written with all its digits, however large
    (``110101199001011234`` stays ``"110101199001011234"``: ids beyond 2**53 are not
    rounded to the nearest float64, so distinct ids stay distinct); any other real number
    is read as a float64 and written without a trailing ``.0`` when it is whole (``3.0``
    -> ``"3"``; ``2.5`` -> ``"2.5"``; ``np.float32(0.1)`` -> ``"0.10000000149011612"``,
    the float64 it widens to; a whole float is written as the exact integer it holds);
    text is kept verbatim; anything else is ``str(value)``. Equal numbers thus always get
    equal text (``3 == 3.0 == np.int64(3)`` -> ``"3"``).
Numeric features
    numbers (and booleans) become float64, missing markers NaN; **text is an error**, even
    when it looks like a number (``"12"``, ``"nan"``): a numeric feature never parses text.

Speed
    Whole columns take C-level paths: a numeric dtype is cast at once, and an ``object``
    column is classified by :func:`pandas.api.types.infer_dtype` (one pass, no parsing) and,
    when it holds only numbers and missing markers, cast at once. The value-by-value loop
    runs only for columns that hold text or unusual objects, to name the offending rows.
    Categorical columns apply the rule once per distinct value (:func:`factorize_texts`).
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
    "TEXT_KINDS",
    "category_text",
    "category_texts",
    "factorize_texts",
    "fast_floats",
    "floats_and_failures",
    "is_missing",
    "number_value",
    "numeric_values",
    "value_kind",
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
    >>> category_text(110101199001011234), category_text(np.uint64(2**64 - 1))
    ('110101199001011234', '18446744073709551615')
    """
    cls = value.__class__
    if cls is str:
        return value
    if cls is int:
        return str(value)
    if value is None:
        return None
    if cls is bool or cls is np.bool_:
        return "1" if value else "0"
    if isinstance(value, str):
        return str(value)
    if isinstance(value, numbers.Integral):  # every digit: never through float64
        return str(int(value))
    if isinstance(value, (numbers.Real, Decimal)):
        try:
            x = float(value)
        except OverflowError:  # beyond the float64 range: its own text
            return str(value)
        except ValueError:  # Decimal("sNaN") refuses float()
            return None if is_missing(value) else str(value)
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
    table = np.empty(len(texts), dtype=object)
    table[:] = texts
    out: NDArray[Any] = table[codes]
    return out


def factorize_texts(values: NDArray[Any]) -> tuple[NDArray[np.intp], list[str | None]]:
    """Codes of every value into a list of distinct raw values' texts.

    The list ends with ``None``, the missing value's text, so the codes (``-1`` for a
    missing value, as pandas numbers it) index it directly: ``texts[code]``.

    The rule is applied once per distinct value: equal values (``1 == 1.0 == True``)
    always get equal text, so hashing the raw values first is safe. Two distinct values
    may share a text (``1`` and ``"1"``).

    Integer arrays are factorised as integers (``int64``/``uint64``), never through
    float64, so ids beyond 2**53 keep every digit exactly as :func:`category_text` writes
    them one at a time.

    Examples
    --------
    >>> import numpy as np
    >>> codes, texts = factorize_texts(np.array([2.0, None, 2, "a"], dtype=object))
    >>> codes.tolist(), texts
    ([0, -1, 0, 1], ['2', 'a', None])
    >>> factorize_texts(np.array([2**53, 2**53 + 1]))[1]
    ['9007199254740992', '9007199254740993', None]
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
    return np.asarray(codes, dtype=np.intp), [*texts, None]


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
        except ValueError:  # Decimal("sNaN") refuses float(); it is still a NaN
            if is_missing(value):
                return math.nan
            raise TypeError(f"{value!r} is not a number") from None
    if is_missing(value):
        return math.nan
    raise TypeError(f"{value!r} is not a number")


def floats_and_failures(
    values: NDArray[Any], *, text_numbers: bool = False
) -> tuple[NDArray[np.float64], list[int]]:
    """Values as :func:`number_value` reads them: the floats and the failing rows.

    With ``text_numbers`` text that spells a number (``"1"``) is read as that number
    (as scikit-learn's label checks read targets); features never allow it.

    A column of numbers and missing markers is converted at once in C (see
    :func:`fast_floats`); only other columns go value by value, to find the failing rows.

    Examples
    --------
    >>> import numpy as np
    >>> out, bad = floats_and_failures(np.array([1, "1", "x"], dtype=object), text_numbers=True)
    >>> out[:2].tolist(), bad
    ([1.0, 1.0], [2])
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64), []
    flat = arr.astype(object).ravel() if arr.dtype != object else arr.ravel()
    fast = _text_floats(flat) if text_numbers else fast_floats(flat)
    if fast is not None:
        return fast, []
    out = np.empty(len(flat), dtype=np.float64)
    bad: list[int] = []
    for i, value in enumerate(flat.tolist()):
        try:
            out[i] = number_value(value)
        except TypeError:
            if not text_numbers:
                bad.append(i)
                continue
            try:
                out[i] = float(value)
            except (TypeError, ValueError, OverflowError):
                bad.append(i)
    return out, bad


def fast_floats(values: NDArray[Any], kind: str | None = None) -> NDArray[np.float64] | None:
    """A 1-D ``object`` array of numbers and missing markers as float64, in C; else ``None``.

    ``None`` means "not decided here": the array holds text, bytes or objects the fast path
    does not know, or a value that does not convert (an int beyond the float64 range), and
    the caller reads it value by value. Text is never parsed: :func:`pandas.api.types.infer_dtype`
    (one pass, missing markers skipped; pass its result as ``kind`` if already known) must
    find only numbers or booleans before NumPy's cast, which would read ``"12"`` as 12, is
    tried.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> fast_floats(np.array([1, None, 2.5, pd.NA], dtype=object)).tolist()
    [1.0, nan, 2.5, nan]
    >>> fast_floats(np.array([1.0, "12"], dtype=object)) is None
    True
    """
    if kind is None:
        kind = value_kind(values)
    return _cast_numbers(values, kind)


def value_kind(values: NDArray[Any]) -> str:
    """What a 1-D ``object`` array holds, missing markers skipped, in one C-level pass.

    :func:`pandas.api.types.infer_dtype`'s names: ``"floating"``, ``"integer"``,
    ``"string"``, ``"mixed"``, ``"empty"`` (missing markers only)...

    Examples
    --------
    >>> import numpy as np
    >>> value_kind(np.array([1.0, None], dtype=object))
    'floating'
    >>> value_kind(np.array(["a", None], dtype=object))
    'string'
    """
    import pandas as pd

    return str(pd.api.types.infer_dtype(values, skipna=True))


#: Kinds where every value that is not missing is text: never a number.
TEXT_KINDS = frozenset({"string", "bytes"})


#: ``infer_dtype`` kinds of a column holding only numbers (missing markers skipped).
_NUMBER_KINDS = frozenset({"floating", "integer", "mixed-integer-float", "boolean", "decimal"})


def _cast_numbers(values: NDArray[Any], kind: str) -> NDArray[np.float64] | None:
    import pandas as pd

    if kind == "empty":  # missing markers only (NumPy would read NaT as -2**63)
        return np.full(values.shape[0], np.nan)
    if kind not in _NUMBER_KINDS:
        return None
    # ArithmeticError: an int beyond the float64 range, Decimal("sNaN") comparisons
    try:
        # None becomes NaN; every other value goes through float(), as number_value does
        return values.astype(np.float64)
    except (TypeError, ValueError, ArithmeticError):
        pass
    # pd.NA or NaT among the numbers: blank the missing markers, then cast again
    try:
        missing = np.asarray(pd.isna(values), dtype=bool)
        if not missing.any():
            return None
        rest = values.copy()
        rest[missing] = None
        return rest.astype(np.float64)
    except (TypeError, ValueError, ArithmeticError):
        return None


def _text_floats(values: NDArray[Any]) -> NDArray[np.float64] | None:
    """Like :func:`fast_floats` but reading number-spelling text too (targets only)."""
    kind = value_kind(values)
    if kind == "string":  # text and None only: float() of each, as the loop reads them
        try:
            return values.astype(np.float64)
        except (TypeError, ValueError, OverflowError):
            return None
    return _cast_numbers(values, kind)


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
    flat = arr.astype(object).ravel() if arr.dtype != object else arr.ravel()
    out, bad = floats_and_failures(flat)
    if bad:
        raise DataError(
            f"numeric feature received non-numeric values, e.g. {flat[bad[0]]!r}",
            table=table,
            column=column,
            rows=bad,
        )
    return out
