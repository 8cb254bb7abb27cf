"""The input edge of binning and scoring: any frame or array in, one NumPy array per column out.

Binning and scoring work column by column on NumPy arrays (``searchsorted`` on numeric
columns, hash lookups on categorical ones), so pandas, Polars and PyArrow frames are
split into columns once, here, without going through a row-wise representation.
Numeric columns become ``float64`` with missing values as NaN - except integer columns
holding values beyond 2**53 (ids), which keep their exact integers (an integer array, or an
``object`` array with ``None`` where values are missing) so that, binned as categories,
distinct ids stay distinct; everything else becomes an ``object`` array of the values as
given. A pandas ``object`` column is read as NumPy ``object`` columns are: numbers and
missing markers only (``Decimal`` from ``read_sql``, object floats, integers with ``None``)
make a numeric column, any text a categorical one - so the same values bin alike whatever
the container. Column names must be unique after ``str()`` (``0`` and ``"0"`` clash): a
duplicate is refused, never resolved by picking one. Binning reads those through one rule
(:mod:`thinfile_credit.binning._text`): a categorical feature turns every value into its
category text whatever the container dtype, and a numeric feature rejects text naming the
rows that hold it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.binning._text import (
    TEXT_KINDS,
    fast_floats,
    floats_and_failures,
    number_value,
    value_kind,
)
from thinfile_credit.errors import DataError, ModelError

__all__ = [
    "Columns",
    "extract_columns",
    "require_fitted",
    "select_columns",
    "warn_if_unexpected_names",
]


class Columns:
    """Named columns of one input, each a NumPy array of the same length.

    Parameters
    ----------
    names : tuple of str
        Column names (``x0``, ``x1``... for arrays without names).
    arrays : list of ndarray
        ``float64`` for numeric columns (integers beyond 2**53 kept exact), ``object`` (the
        values as given) otherwise.
    has_names : bool
        Whether the input carried real column names (a dataframe).
    n_rows : int, optional
        Row count (needed when no column is kept).
    numeric : sequence of bool, optional
        Which columns hold numbers; by default the ``float64`` ones.

    Examples
    --------
    >>> import numpy as np
    >>> Columns(("a",), [np.array([1.0, 2.0])], has_names=True).n_rows
    2
    """

    __slots__ = ("arrays", "has_names", "n_rows", "names", "numeric")

    def __init__(
        self,
        names: tuple[str, ...],
        arrays: list[NDArray[Any]],
        has_names: bool,
        n_rows: int | None = None,
        numeric: Sequence[bool] | None = None,
    ) -> None:
        self.names = names
        self.arrays = arrays
        self.has_names = has_names
        self.n_rows = n_rows if n_rows is not None else (len(arrays[0]) if arrays else 0)
        self.numeric = (
            tuple(bool(flag) for flag in numeric)
            if numeric is not None
            else tuple(a.dtype == np.float64 for a in arrays)
        )

    def is_numeric(self, i: int) -> bool:
        """True when column ``i`` holds numbers (``float64``, or integers kept exact)."""
        return self.numeric[i]


def extract_columns(X: Any, *, table: str = "X", only: Collection[str] | None = None) -> Columns:
    """Split ``X`` into named NumPy columns.

    Parameters
    ----------
    X : pandas/Polars DataFrame, PyArrow Table, 2-D array-like
        The feature matrix.
    table : str
        Name used in error messages.
    only : collection of str, optional
        For dataframes, convert only these columns (scoring needs just the model's).

    Returns
    -------
    Columns

    Raises
    ------
    DataError
        ``X`` is empty, one-dimensional, complex, or not a table; a column name appears
        more than once (after ``str()``; the error names it); a PyArrow table cannot be
        read (names the column).

    Examples
    --------
    >>> import pandas as pd
    >>> cols = extract_columns(pd.DataFrame({"a": [1, None], "b": ["x", None]}))
    >>> cols.names, cols.arrays[0].tolist(), cols.arrays[1][0], cols.arrays[1].dtype
    (('a', 'b'), [1.0, nan], 'x', dtype('O'))
    >>> import numpy as np
    >>> arr = extract_columns(np.array([["12", 1], ["a", None]], dtype=object))
    >>> [a.dtype.kind for a in arr.arrays]  # text is never parsed as a number
    ['O', 'f']
    >>> ids = extract_columns(pd.DataFrame({"id": [2**53 + 1, 7]}))  # beyond float64
    >>> ids.arrays[0].tolist(), ids.is_numeric(0)
    ([9007199254740993, 7], True)
    >>> from decimal import Decimal  # what read_sql gives for NUMERIC: numbers, not text
    >>> extract_columns(pd.DataFrame({"amt": [Decimal("1.5"), None]})).arrays[0].tolist()
    [1.5, nan]
    >>> extract_columns(pd.DataFrame([[1, 2]], columns=[0, "0"]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.DataError: X.0: column name appears more than once ...
    """
    module = type(X).__module__.split(".")[0]
    if module == "pandas" and hasattr(X, "columns"):
        return _from_pandas(X, table, only)
    if module == "polars":
        import polars as pl

        frame = X.collect() if isinstance(X, pl.LazyFrame) else X
        if isinstance(frame, pl.DataFrame):
            return _from_polars(frame, table, only)
    if module == "pyarrow" and hasattr(X, "schema") and hasattr(X, "num_rows"):
        from thinfile_credit._frames import to_polars

        # a table that polars cannot read (duplicate names...) is a typed error naming
        # the column, as the GBM's input edge reports it
        converted, _ = to_polars(X, table)
        return _from_polars(converted, table, only)
    return _from_array(X, table)


def select_columns(
    cols: Columns,
    feature_names: Sequence[str],
    *,
    fitted_with_names: bool,
    table: str = "X",
    owner: str = "the model",
) -> list[NDArray[Any]]:
    """Return the fitted features of ``cols`` in fitted order.

    Dataframes are matched by column name (extra columns are ignored, order does not
    matter); arrays are matched by position and must have exactly the fitted width.

    Raises
    ------
    ModelError
        Fitted columns are missing (named), or an array has the wrong width.

    Examples
    --------
    >>> import pandas as pd
    >>> cols = extract_columns(pd.DataFrame({"b": [1.0], "a": [2.0]}))
    >>> [a.tolist() for a in select_columns(cols, ["a", "b"], fitted_with_names=True)]
    [[2.0], [1.0]]
    """
    n = len(feature_names)
    if cols.has_names and fitted_with_names:
        index = {name: i for i, name in enumerate(cols.names)}
        missing = [name for name in feature_names if name not in index]
        if missing:
            raise ModelError(
                f"feature columns seen at fit are missing: {', '.join(missing)}", table=table
            )
        return [cols.arrays[index[name]] for name in feature_names]
    if len(cols.arrays) != n:
        raise ModelError(
            f"X has {len(cols.arrays)} features, but {owner} is expecting {n} features as "
            f"input ({', '.join(feature_names[:10])}{'...' if n > 10 else ''})",
            table=table,
        )
    return list(cols.arrays)


def require_fitted(estimator: Any, attribute: str) -> None:
    """Raise the library's ``NotFittedError`` unless ``estimator`` has ``attribute``.

    The error is :class:`thinfile_credit._sklearn_errors.ScorerNotFittedError`, the one
    the GBM raises: both :class:`thinfile_credit.errors.NotFittedError` and scikit-learn's, so
    either ``except`` catches it.

    Examples
    --------
    >>> from thinfile_credit.binning import WoEBinner
    >>> require_fitted(WoEBinner(), "binnings_")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit._sklearn_errors.ScorerNotFittedError: this WoEBinner is not fitted yet; ...
    """
    if hasattr(estimator, attribute):
        return
    from thinfile_credit._sklearn_errors import ScorerNotFittedError  # on error only

    raise ScorerNotFittedError(
        f"this {type(estimator).__name__} is not fitted yet; call fit(X, y) first"
    )


def warn_if_unexpected_names(cols: Columns, owner: str) -> None:
    """scikit-learn's warning for a dataframe given to a model fitted on an array.

    The columns are then matched by position, as scikit-learn estimators do.

    Examples
    --------
    >>> import warnings, pandas as pd
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_unexpected_names(extract_columns(pd.DataFrame({"a": [1.0]})), "WoEBinner")
    >>> str(caught[0].message)
    'X has feature names, but WoEBinner was fitted without feature names'
    """
    if cols.has_names:
        import warnings

        warnings.warn(
            f"X has feature names, but {owner} was fitted without feature names",
            UserWarning,
            stacklevel=4,
        )


# --- helpers ----------------------------------------------------------------------------


def _from_pandas(frame: Any, table: str, only: Collection[str] | None) -> Columns:
    import pandas as pd

    _check_shape(frame.shape, table)
    all_names = [str(c) for c in frame.columns]
    _refuse_duplicate_names(all_names, table)
    positions = [i for i, n in enumerate(all_names) if only is None or n in only]
    names = tuple(all_names[i] for i in positions)
    arrays: list[NDArray[Any]] = []
    numeric: list[bool] = []
    for position in positions:
        series = frame.iloc[:, position]
        dtype = series.dtype
        is_number = True
        if dtype == np.float64:  # the common case: zero-copy, NaN is already NaN
            arrays.append(series.to_numpy())
        elif pd.api.types.is_bool_dtype(dtype) or (
            pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)
        ):
            if pd.api.types.is_complex_dtype(dtype):
                raise DataError(
                    "complex values are not supported", table=table, column=all_names[position]
                )
            if pd.api.types.is_integer_dtype(dtype) and _beyond_float(series.min(), series.max()):
                arrays.append(
                    series.to_numpy(dtype=object, na_value=None)
                    if series.hasnans
                    else series.to_numpy()
                )
            else:
                arrays.append(series.to_numpy(dtype=np.float64, na_value=np.nan))
        elif isinstance(dtype, np.dtype) and dtype.kind == "O":
            # numbers and missing markers (Decimal, object floats, ints with None) are a
            # numeric column, as in a NumPy object array; any text keeps it categorical
            values, is_number = _object_column(series.to_numpy(dtype=object))
            arrays.append(values)
        else:
            arrays.append(series.to_numpy(dtype=object))
            is_number = False
        numeric.append(is_number)
    return Columns(names, arrays, has_names=True, n_rows=frame.shape[0], numeric=numeric)


def _from_polars(frame: Any, table: str, only: Collection[str] | None) -> Columns:
    _check_shape(frame.shape, table)
    names = tuple(c for c in frame.columns if only is None or c in only)
    arrays: list[NDArray[Any]] = []
    numeric: list[bool] = []
    for series in (frame.get_column(c) for c in names):
        is_number = series.dtype.is_numeric() or series.dtype == _polars_bool()
        if is_number and series.dtype.is_integer() and _beyond_float(series.min(), series.max()):
            arrays.append(
                series.to_numpy()
                if series.null_count() == 0
                else np.fromiter(series.to_list(), dtype=object, count=series.len())
            )
        elif is_number:
            arrays.append(series.cast(_polars_float()).fill_null(np.nan).to_numpy())
        else:
            # fromiter keeps list-valued cells as single objects (no broadcasting)
            arrays.append(np.fromiter(series.to_list(), dtype=object, count=series.len()))
        numeric.append(is_number)
    return Columns(
        names,
        [np.ascontiguousarray(a) for a in arrays],
        has_names=True,
        n_rows=frame.shape[0],
        numeric=numeric,
    )


def _from_array(X: Any, table: str) -> Columns:
    from sklearn.utils.validation import check_array

    try:
        arr = check_array(
            X, dtype=None, ensure_all_finite=False, ensure_2d=True, ensure_min_samples=1
        )
    except ValueError as exc:
        raise DataError(str(exc), table=table) from None
    if arr.dtype.kind == "c":
        raise DataError("complex values are not supported", table=table)
    names = tuple(f"x{i}" for i in range(arr.shape[1]))
    if arr.dtype.kind in "biuf":
        as_float = np.asarray(arr, dtype=np.float64)
        exact = (
            np.any(np.abs(as_float) >= _FLOAT_INTEGERS, axis=0)
            if arr.dtype.kind in "iu"
            else np.zeros(arr.shape[1], dtype=bool)
        )
        return Columns(
            names,
            [
                np.ascontiguousarray(arr[:, i] if exact[i] else as_float[:, i])
                for i in range(arr.shape[1])
            ],
            False,
            numeric=[True] * arr.shape[1],
        )
    arrays: list[NDArray[Any]] = []
    numeric: list[bool] = []
    for i in range(arr.shape[1]):
        values, is_number = _object_column(np.asarray(arr[:, i], dtype=object))
        arrays.append(values)
        numeric.append(is_number)
    return Columns(names, arrays, has_names=False, numeric=numeric)


def _object_column(column: NDArray[Any]) -> tuple[NDArray[Any], bool]:
    """An ``object`` column as binning reads it, and whether it holds numbers.

    Numbers (and missing markers) make a numeric column; any text makes it a text column -
    never parse ``"12"`` into a number. A C-level pass decides most columns; the
    value-by-value reading is left for columns holding text or odd objects. Integers
    beyond 2**53 keep their exact values (the column as given).
    """
    floats = _number_column(column)
    if floats is None:
        return column, False
    big = np.abs(floats) >= _FLOAT_INTEGERS
    return (column if big.any() else floats), True


def _refuse_duplicate_names(names: Sequence[str], table: str) -> None:
    """A name given to two columns (after ``str()``) would bin or score one of them silently."""
    if len(set(names)) == len(names):
        return
    from thinfile_credit._frames import DUPLICATE_NAME  # polars: imported on error only

    seen: set[str] = set()
    for name in names:
        if name in seen:
            positions = [i for i, n in enumerate(names) if n == name]
            raise DataError(
                f"{DUPLICATE_NAME} (at column positions "
                f"{', '.join(map(str, positions))}); rename one of them",
                table=table,
                column=name,
            )
        seen.add(name)


def _number_column(column: NDArray[Any]) -> NDArray[np.float64] | None:
    """An object column of numbers and missing markers as float64; None if it holds text."""
    kind = value_kind(column)
    if kind in TEXT_KINDS:
        return None
    floats = fast_floats(column, kind)
    if floats is not None:
        return floats
    try:  # odd objects: value by value, stopping at the first that is not a number
        return np.fromiter(map(number_value, column), np.float64, column.size)
    except TypeError:
        return None


#: From here on float64 no longer holds every integer (2**53 + 1 rounds to 2**53).
_FLOAT_INTEGERS = float(2**53)


def _beyond_float(low: Any, high: Any) -> bool:
    """Whether an integer column's range leaves the integers float64 holds exactly."""
    import pandas as pd

    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return False
    return int(low) < -(2**53) or int(high) > 2**53


def _check_shape(shape: tuple[int, int], table: str) -> None:
    if shape[0] == 0:
        raise DataError("X has 0 rows; at least 1 is required", table=table)
    if shape[1] == 0:
        raise DataError("X has 0 feature columns; at least 1 is required", table=table)


def _polars_float() -> Any:
    import polars as pl

    return pl.Float64


def _polars_bool() -> Any:
    import polars as pl

    return pl.Boolean


def binary_target(y: Any, n_rows: int, *, table: str = "y") -> NDArray[np.int8]:
    """Validate a 0/1 target (1 = bad) and return it as ``int8``.

    Raises
    ------
    DataError
        Wrong length, missing values, or values other than 0 and 1.
    ModelError
        Only one class present.

    Examples
    --------
    >>> binary_target([0, 1, 1], 3).tolist()
    [0, 1, 1]
    >>> try:
    ...     binary_target([0, 2], 2)
    ... except DataError as exc:
    ...     print(str(exc)[:32], "...", str(exc)[-9:])
    y: target must be 0/1 (1 = bad); ... (rows: 1)
    """
    if y is None:
        raise DataError("binning requires y to be passed, but the target y is None", table=table)
    module = type(y).__module__.split(".")[0]
    if module in ("pandas", "polars", "pyarrow"):
        if hasattr(y, "shape") and len(getattr(y, "shape", ())) == 2 and y.shape[1] == 1:
            y = y.iloc[:, 0] if hasattr(y, "iloc") else y.to_series()
        # a numeric Series stays numeric (no per-value objects); nullable or text targets
        # arrive as objects and are read by _target_as_float
        arr = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
        if arr.dtype.kind not in "biuf":
            arr = arr.astype(object)
    else:
        arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        import warnings

        from sklearn.exceptions import DataConversionWarning

        warnings.warn(
            "A column-vector y was passed when a 1d array was expected; it is flattened.",
            DataConversionWarning,
            stacklevel=3,
        )
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"target must be one-dimensional, got shape {arr.shape}", table=table)
    if arr.shape[0] != n_rows:
        raise DataError(f"target has {arr.shape[0]} rows but X has {n_rows}", table=table)
    if arr.dtype == bool or (arr.dtype.kind in "iu" and bool(np.all((arr == 0) | (arr == 1)))):
        values = arr.astype(np.int8)  # booleans and 0/1 integers: no float detour
    else:
        as_float, bad = _target_as_float(arr)
        if bad:
            raise DataError(
                "target must be 0/1 (1 = bad); found values other than 0 and 1 "
                "(Only binary classification is supported)",
                table=table,
                rows=bad,
            )
        invalid = ~((as_float == 0.0) | (as_float == 1.0))
        if invalid.any():
            odd = as_float[invalid]
            if np.isnan(odd).all():
                what = "missing values"
            elif not np.all(np.isnan(odd) | (odd == np.round(odd))):
                what = "continuous values (Unknown label type: continuous)"
            else:
                what = "values other than 0 and 1 (Only binary classification is supported)"
            raise DataError(
                f"target must be 0/1 (1 = bad); found {what}",
                table=table,
                rows=np.flatnonzero(invalid).tolist(),
            )
        values = as_float.astype(np.int8)
    n_bad = int(np.count_nonzero(values))
    if n_bad == 0 or n_bad == values.size:
        only = ("1" if n_bad else "0") if values.size else "none"
        raise ModelError(
            f"target has only one class ({only}); a scorecard needs both goods (0) and bads (1)",
            table=table,
        )
    return values


def _target_as_float(arr: NDArray[Any]) -> tuple[NDArray[np.float64], list[int]]:
    """Target values as floats (missing markers as NaN) and the rows that are not numbers.

    Numeric arrays are cast at once; ``object`` arrays of numbers (and missing markers,
    ``pd.NA`` included) or of text are cast in C too, and only mixed columns go value by
    value, so a nullable boolean or integer target holding ``pd.NA`` is read without asking
    NA for its truth value. Text that spells a number (``"1"``) is read as that number, as
    scikit-learn's label checks do.
    """
    if arr.dtype.kind in "biuf":
        return np.asarray(arr, dtype=np.float64), []
    return floats_and_failures(np.asarray(arr, dtype=object), text_numbers=True)
