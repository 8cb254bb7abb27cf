"""The design matrix: any frame in, a float64 matrix with integer-coded categories out.

Numeric columns pass through as float64 (nulls become NaN, which every engine routes
natively). Categorical columns are coded ``0 .. m-1`` in order of their smoothed training
bad rate, safest first. For LightGBM and XGBoost the codes are declared categorical and
split natively; for scikit-learn they are split as ordinals, which for a binary target
reaches the best two-way partition of the categories (Fisher, 1958) while keeping the
trees threshold-only, so TreeSHAP stays exact.

Columns are categorical when declared, or when their dtype says so: a pandas
``category`` column (whatever its categories: a pandas categorical of integer codes is
categorical too), a Polars ``Categorical``/``Enum`` or a PyArrow dictionary column.

Each categorical column's training *kind* is recorded: ``"numeric"`` (numbers or
booleans; ``1`` and ``1.0`` are the same category) or ``"text"``. A category's text
follows the binning rule (:func:`thinfile_credit.binning._text.category_text`): an
integer keeps every digit, however large (ids beyond 2**53 stay distinct), a whole
float is written as that integer (``3.0`` -> ``"3"``), booleans are ``"1"``/``"0"``.
At scoring the same kind is required: the codes ``1, 2, 3`` arriving as the text
``"1", "2", "3"`` (or the reverse) raise :class:`~thinfile_credit.errors.DataError`
naming the column, rather than matching no category. Within the right kind, a category
unseen at fit time is legitimately new and, like a missing value, becomes NaN
("missing"): the trees route it the way they route missing values.

Missing values are ``None``, NaN and ``<NA>``: a column holding nothing else (a one-row
frame built from ``{"amt": None}``, read as text) is a column of missing values, numeric
or categorical, exactly as the same value inside a batch.

Frames (pandas, Polars, PyArrow) are always named: every column by ``str(name)``, so a
pandas frame with integer column names is matched by name like any other; two names
that read the same (``1`` and ``"1"``) raise. Only arrays are positional
(``x0 .. x{k-1}``).

Numeric values must be finite and within the float32 range (``|x| <= 3.4e38``): LightGBM
and XGBoost compare against float32 thresholds, so larger values are rejected for every
engine alike, with the column and rows named.

Examples
--------
>>> import pandas as pd, numpy as np
>>> X = pd.DataFrame({"amt": [1.0, 2.0, None, 4.0], "city": ["a", "b", "a", "c"]})
>>> enc = DesignEncoder.fit(X, np.array([0, 1, 0, 1]), np.ones(4), categorical=["city"])
>>> enc.transform(X).round(2).tolist()
[[1.0, 0.0], [2.0, 1.0], [nan, 0.0], [4.0, 2.0]]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import DUPLICATE_NAME, is_spark, to_polars
from thinfile_credit.binning._text import category_text, fast_floats, is_missing
from thinfile_credit.errors import DataError, ModelError

__all__ = [
    "CellTypeError",
    "DesignEncoder",
    "collected",
    "column_names",
    "dtype_categorical_columns",
    "to_frame",
]

FloatArray = NDArray[np.float64]

#: Pseudo-count pulling a rare category's bad rate towards the overall rate when ordering.
_PRIOR_ROWS = 10.0
#: Largest finite float32: LightGBM and XGBoost work with float32 thresholds.
_FLOAT32_MAX = float(np.finfo(np.float32).max)
#: How many offending row positions an error keeps (messages quote the first few).
_ROWS_KEPT = 20
#: Category text of numbers: the binning rule (every digit of an integer, whole floats
#: as integers), and the rule of models fitted before it (``repr(float(v))``, which
#: merged integers beyond 2**53), kept so that those models score as they always did.
CATEGORY_TEXT = "category_text"
LEGACY_FLOAT_TEXT = "repr_float"


class CellTypeError(DataError, TypeError):
    """A cell of an array holding neither a number nor text (a dict, a list...).

    Also a ``TypeError``, as NumPy's own conversion of such a cell raises.
    """


@dataclass(frozen=True)
class DesignEncoder:
    """Fitted column coding: which columns are categorical and the code of each category.

    Build with :meth:`fit`; apply with :meth:`transform`.

    Parameters
    ----------
    feature_names : tuple of str
        Column order of the design matrix.
    categories : dict
        For each categorical column, its categories (as text) in code order.
    kinds : dict
        For each categorical column with a typed value at fit time, ``"numeric"`` or
        ``"text"``; scoring data of the other kind raises.
    numeric_text : {"category_text", "repr_float"}, default "category_text"
        How numeric categories are written: the binning rule, or ``repr(float(v))`` for
        encoders fitted (and pickled or stored) before it, which keep scoring as they did.
    """

    feature_names: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    kinds: dict[str, str] = field(default_factory=dict)
    numeric_text: str = CATEGORY_TEXT

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Pickles from before ``numeric_text`` existed hold repr(float) categories.
        self.__dict__.update({"numeric_text": LEGACY_FLOAT_TEXT, **state})

    @classmethod
    def fit(
        cls,
        X: Any,
        y: NDArray[Any],
        sample_weight: FloatArray,
        categorical: Sequence[str] | str | None = None,
        *,
        frame: pl.DataFrame | None = None,
    ) -> DesignEncoder:
        """Learn the coding from training data.

        Parameters
        ----------
        X : DataFrame-like or array
            pandas, Polars, PyArrow or a 2-D NumPy array.
        y : array of {0, 1}
            1 = bad.
        sample_weight : array
            Row weights (used for the bad rates that order categories).
        categorical : sequence of str, "auto" or None
            Columns to treat as categorical; ``"auto"`` takes every non-numeric column.
            Columns with a categorical dtype (pandas ``category``, Polars
            ``Categorical``/``Enum``, PyArrow dictionary) are categorical either way.
        frame : polars.DataFrame, optional
            ``to_frame(X)``, when the caller has it already (the training frame is then
            converted once).

        Raises
        ------
        ModelError
            A declared categorical column is absent, or a non-numeric column was not
            declared categorical (the message names the columns).
        DataError
            Two column names that read the same as text, or input that is not 2-D.
        """
        X = collected(X)
        implicit = dtype_categorical_columns(X)  # before Polars turns int categories to Int64
        if frame is None:
            frame = to_frame(X)
        names = tuple(frame.columns)
        if categorical is None:
            declared: set[str] = set()
        elif isinstance(categorical, str) and categorical == "auto":
            declared = {c for c in names if not _is_numeric(frame[c].dtype)}
        elif isinstance(categorical, str):
            declared = {categorical}
        else:
            declared = {str(c) for c in categorical}
        absent = sorted(declared - set(names))
        if absent:
            raise ModelError(
                "categorical_features names columns not in the training data",
                column=", ".join(absent),
            )
        implicit |= dtype_categorical_columns(frame)
        undeclared = [
            c for c in names if c not in declared | implicit and not _is_numeric(frame[c].dtype)
        ]
        if undeclared:
            raise ModelError(
                "non-numeric columns must be declared in categorical_features "
                '(or pass categorical_features="auto")',
                column=", ".join(undeclared),
            )
        categories: dict[str, tuple[str, ...]] = {}
        kinds: dict[str, str] = {}
        overall = float(np.average(y, weights=sample_weight)) if sample_weight.sum() else 0.5
        for name in names:
            if name in declared | implicit:
                categories[name] = _order_by_bad_rate(frame[name], y, sample_weight, overall)
                kind = _kind(frame[name])
                if kind is not None:
                    kinds[name] = kind
        return cls(feature_names=names, categories=categories, kinds=kinds)

    @property
    def categorical_indices(self) -> list[int]:
        """Positions of categorical columns in the design matrix."""
        return [j for j, n in enumerate(self.feature_names) if n in self.categories]

    def transform(self, X: Any, table: str | None = None) -> FloatArray:
        """The float64 design matrix for ``X`` (columns already checked by the caller).

        Raises
        ------
        DataError
            Infinite values or values beyond the float32 range in a numeric column (rows
            named), text in a numeric column, or a categorical column whose kind
            (numeric or text) differs from training.
        CellTypeError
            A categorical column holding lists, dicts or other values with no text of
            their own (column and rows named).
        """
        frame = to_frame(X)
        if tuple(frame.columns) != self.feature_names:
            frame = frame.select(list(self.feature_names))
        out = np.empty((frame.height, len(self.feature_names)), dtype=np.float64)
        for j, name in enumerate(self.feature_names):
            col = frame[name]
            if name in self.categories:
                if col.dtype.is_nested() or col.dtype == pl.Object:
                    _cells_as_text(col, table)  # raises, naming the rows
                self._check_kind(col, name, table)
                out[:, j] = _codes(col, self.categories[name], self.numeric_text, table)
                continue
            if col.null_count() == col.len():
                # Nothing but missing values (an all-None object column reads as text).
                out[:, j] = np.nan
                continue
            if not _is_numeric(col.dtype):
                raise DataError(
                    f"expected a numeric column, got {col.dtype}", table=table, column=name
                )
            values = col.cast(pl.Float64).fill_null(np.nan).to_numpy()
            bad = np.flatnonzero(np.isinf(values))
            if bad.size:
                rows = bad[:_ROWS_KEPT].tolist()
                raise DataError("infinite values", table=table, column=name, rows=rows)
            bad = np.flatnonzero(np.abs(values) > _FLOAT32_MAX)
            if bad.size:
                raise DataError(
                    f"values beyond the float32 range (|x| > {_FLOAT32_MAX:.4g}) that "
                    "the boosting engines compute in; rescale the column (e.g. to "
                    "thousands) or cap it",
                    table=table,
                    column=name,
                    rows=bad[:_ROWS_KEPT].tolist(),
                )
            out[:, j] = values
        return out

    def _check_kind(self, col: pl.Series, name: str, table: str | None) -> None:
        expected = self.kinds.get(name)
        got = _kind(col)
        if expected is None or got is None or got == expected:
            return
        shown = ", ".join(self.categories[name][:5])
        more = ", ..." if len(self.categories[name]) > 5 else ""
        rows = np.flatnonzero(_present(col).to_numpy())[:_ROWS_KEPT].tolist()
        raise DataError(
            f"categorical column was {expected} at fit time (categories {shown}{more}) "
            f"but is {got} ({col.dtype}) now, so its values would match no category; "
            f"pass it as {expected} values, as in training",
            table=table,
            column=name,
            rows=rows,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON-safe) for artefacts."""
        return {
            "feature_names": list(self.feature_names),
            "categories": {k: list(v) for k, v in self.categories.items()},
            "kinds": dict(self.kinds),
            "numeric_text": self.numeric_text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DesignEncoder:
        """Rebuild from :meth:`to_dict` output.

        Data written before ``numeric_text`` was recorded holds numeric categories as
        ``repr(float)`` text (``"1.0"``) and keeps that rule. Data written before kinds
        were recorded gets them from the stored categories.
        """
        categories = {k: tuple(v) for k, v in data["categories"].items()}
        rule = str(data.get("numeric_text", LEGACY_FLOAT_TEXT))
        if rule not in (CATEGORY_TEXT, LEGACY_FLOAT_TEXT):
            raise DataError(f"unknown numeric_text rule {rule!r}", column="numeric_text")
        kinds = data.get("kinds")
        if kinds is None:
            kinds = {k: _stored_kind(v, rule) for k, v in categories.items() if v}
        return cls(
            feature_names=tuple(data["feature_names"]),
            categories=categories,
            kinds=dict(kinds),
            numeric_text=rule,
        )


def dtype_categorical_columns(X: Any) -> set[str]:
    """Columns whose dtype itself says categorical.

    A pandas ``category`` column (whatever the type of its categories), a Polars
    ``Categorical`` or ``Enum`` column and a PyArrow dictionary column. Must be asked of
    the caller's frame: converted to Polars, a pandas categorical of integers becomes
    plain ``Int64``.

    Examples
    --------
    >>> import pandas as pd
    >>> sorted(dtype_categorical_columns(pd.DataFrame({"region": pd.Categorical([11, 31]),
    ...                                                "amt": [1.0, 2.0]})))
    ['region']
    """
    if isinstance(X, pl.DataFrame):
        return {c for c, dt in X.schema.items() if isinstance(dt, (pl.Categorical, pl.Enum))}
    root = type(X).__module__.split(".")[0]
    if root == "pandas" and hasattr(X, "dtypes") and hasattr(X, "columns"):
        import pandas as pd

        return {str(c) for c, dt in X.dtypes.items() if isinstance(dt, pd.CategoricalDtype)}
    if root == "pyarrow" and hasattr(X, "schema"):
        import pyarrow as pa

        return {f.name for f in X.schema if pa.types.is_dictionary(f.type)}
    return set()


def collected(X: Any) -> Any:
    """``X`` itself, or a Polars ``LazyFrame`` collected: the scorer reads every row."""
    return X.collect() if isinstance(X, pl.LazyFrame) else X


def column_names(X: Any, table: str = "X") -> list[str] | None:
    """Column names of a frame as text (``str(name)``), or None for arrays.

    Every pandas, Polars, PyArrow (and Spark) frame is named, whatever the type of its
    column names: a pandas frame with integer names is matched by name like any other.

    Raises
    ------
    DataError
        Two columns whose names read the same as text (``1`` and ``"1"``).

    Examples
    --------
    >>> import pandas as pd
    >>> column_names(pd.DataFrame({0: [1.0], "b": [2.0]})), column_names(np.zeros((1, 2)))
    (['0', 'b'], None)
    """
    if isinstance(X, pl.LazyFrame):
        return [str(c) for c in X.collect_schema().names()]
    if isinstance(X, np.ndarray) or not hasattr(X, "shape"):
        return None
    if is_spark(X):
        cols: Any = X.columns
    else:
        # PyArrow tables: ``columns`` holds the data, ``column_names`` the names.
        cols = getattr(X, "column_names", None)
        if cols is None:
            cols = getattr(X, "columns", None)
    if cols is None:
        return None
    names = [str(c) for c in cols]
    if len(set(names)) < len(names):
        counts = Counter(names)
        twice = [n for n in counts if counts[n] > 1]
        raise DataError(DUPLICATE_NAME, table=table, column=", ".join(twice))
    return names


def to_frame(X: Any) -> pl.DataFrame:
    """A Polars frame for any accepted input; arrays get columns ``x0 .. x{k-1}``.

    Frames keep their column names as text (see :func:`column_names`); a Polars
    ``LazyFrame`` is collected.

    Raises
    ------
    DataError
        Sparse input, input that is not 2-D, no rows or no columns, duplicated column
        names, or a frame column that cannot be read.
    CellTypeError
        A cell of an array that is neither a number nor text (a ``DataError`` and a
        ``TypeError``).
    """
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise DataError(
            "sparse input is not supported; dense data is required (pass an array or a DataFrame)"
        )
    X = collected(X)
    names = column_names(X)
    if isinstance(X, pl.DataFrame):
        frame = X
    elif names is not None:
        frame, _ = to_polars(X, table="X")
        if frame.columns != names:  # names that are not text: keep their str() form
            frame = frame.rename(dict(zip(frame.columns, names)))
    else:
        frame = _array_frame(np.asarray(X))
    if frame.width == 0:
        raise DataError(
            f"0 feature(s) (shape=({frame.height}, 0)) while a minimum of 1 is required."
        )
    if frame.height == 0:
        raise DataError(f"0 sample(s) (shape=(0, {frame.width})) while a minimum of 1 is required.")
    return frame


def _array_frame(arr: NDArray[Any]) -> pl.DataFrame:
    if arr.ndim != 2:
        raise DataError(
            f"Expected 2D array, got an array of shape {arr.shape} instead. Reshape your "
            "data either using array.reshape(-1, 1) if your data has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )
    names = [f"x{j}" for j in range(arr.shape[1])]
    if arr.dtype == object:
        try:
            return _array_frame(arr.astype(np.float64))
        except (TypeError, ValueError):  # text, <NA> or other objects: column by column
            return pl.DataFrame([_object_column(arr[:, j], n) for j, n in enumerate(names)])
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        return pl.DataFrame({n: arr[:, j].astype(str) for j, n in enumerate(names)})
    return pl.DataFrame(arr.astype(np.float64, copy=False), schema=names)


def _object_column(values: NDArray[Any], name: str) -> pl.Series:
    """One column of an ``object`` array: numbers and missing markers as Float64, else
    text with ``None`` for every missing marker (``None``, NaN, ``<NA>``)."""
    floats = fast_floats(values)
    if floats is not None:
        return pl.Series(name, floats, dtype=pl.Float64)
    cells = values.tolist()
    odd = [
        i
        for i, v in enumerate(cells)
        if not (isinstance(v, (str, bytes, int, float, np.number, np.bool_)) or is_missing(v))
    ]
    if odd:
        raise CellTypeError(
            "argument must be a string or a number (or a missing value), got "
            f"{type(cells[odd[0]]).__name__}",
            table="X",
            column=name,
            rows=odd[:_ROWS_KEPT],
        )
    return pl.Series(name, [None if is_missing(v) else v for v in cells], strict=False)


# --- helpers ----------------------------------------------------------------------------
def _is_numeric(dtype: Any) -> bool:
    return bool(dtype.is_numeric() or dtype == pl.Boolean or dtype == pl.Null)


def _present(col: pl.Series) -> pl.Series:
    """Which values are there: neither null nor, in a float column, NaN."""
    there = col.is_not_null()
    return there & col.is_not_nan().fill_null(False) if col.dtype.is_float() else there


def _kind(col: pl.Series) -> str | None:
    # A column without a value (all null or NaN, whatever its dtype) fits either kind.
    dtype = col.dtype
    if dtype == pl.Null or not _present(col).any():
        return None
    if dtype == pl.Boolean or dtype.is_numeric():
        return "numeric"
    return "text"


def _stored_kind(categories: tuple[str, ...], rule: str) -> str:
    def numeric(text: str) -> bool:
        try:
            value: Any = int(text) if rule == CATEGORY_TEXT else None
        except ValueError:
            value = None
        try:
            value = float(text) if value is None else value
        except ValueError:
            return False
        written = category_text(value) if rule == CATEGORY_TEXT else repr(float(value))
        return written == text

    return "numeric" if all(numeric(c) for c in categories) else "text"


def _as_text(col: pl.Series, rule: str = CATEGORY_TEXT, table: str | None = None) -> pl.Series:
    if not (col.dtype == pl.Boolean or col.dtype.is_numeric()):
        return _cells_as_text(col, table)
    # Numeric categories: 1 and 1.0 are the same category.
    if rule == LEGACY_FLOAT_TEXT:
        as_float = col.cast(pl.Float64)
        return pl.Series(
            col.name,
            [None if v is None or v != v else repr(float(v)) for v in as_float.to_list()],
            dtype=pl.String,
        )
    values = col.fill_nan(None) if col.dtype.is_float() else col
    distinct = values.drop_nulls().unique()
    # The binning rule once per distinct value; Int64/UInt64 values arrive as Python
    # ints, so ids beyond 2**53 keep every digit.
    texts = [category_text(v) for v in distinct.to_list()]
    return values.replace_strict(distinct, texts, default=None, return_dtype=pl.String)


def _cells_as_text(col: pl.Series, table: str | None) -> pl.Series:
    """A non-numeric categorical column as text; cells that have no text of their own
    (lists, dicts, durations, bytes that are not UTF-8) are refused, not stringified."""
    # A struct would cast to "{1}" and a list not at all: neither is a category.
    if not (col.dtype.is_nested() or col.dtype == pl.Object):
        try:
            return col.cast(pl.String)
        except pl.exceptions.PolarsError:
            pass
    cells = col.to_list()
    odd = [i for i, v in enumerate(cells) if v is not None and not _has_text(v)]
    found = type(cells[odd[0]]).__name__ if odd else str(col.dtype)
    raise CellTypeError(
        f"categories must be text or numbers (or missing), got {found} values "
        f"({col.dtype}); pass each category as one text or number",
        table=table,
        column=col.name,
        rows=odd[:_ROWS_KEPT],
    )


def _has_text(value: Any) -> bool:
    if isinstance(value, bytes):
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    return isinstance(value, (str, int, float, np.number, np.bool_))


def _order_by_bad_rate(
    col: pl.Series, y: NDArray[Any], w: FloatArray, overall: float
) -> tuple[str, ...]:
    text = _as_text(col, table="X")
    frame = pl.DataFrame({"c": text, "y": y.astype(np.float64) * w, "w": w}).drop_nulls("c")
    stats = frame.group_by("c").agg(pl.col("y").sum(), pl.col("w").sum())
    rate = (stats["y"] + _PRIOR_ROWS * overall) / (stats["w"] + _PRIOR_ROWS)
    order = stats.with_columns(rate.alias("rate")).sort(["rate", "c"])
    return tuple(order["c"].to_list())


def _codes(
    col: pl.Series, categories: tuple[str, ...], rule: str, table: str | None = None
) -> FloatArray:
    mapping = pl.DataFrame(
        {"c": list(categories), "code": np.arange(len(categories), dtype=np.float64)},
        schema={"c": pl.String, "code": pl.Float64},
    )
    text = pl.DataFrame({"c": _as_text(col, rule, table)})
    coded = text.join(mapping, on="c", how="left", maintain_order="left")["code"]
    return coded.fill_null(np.nan).to_numpy().astype(np.float64, copy=False)
