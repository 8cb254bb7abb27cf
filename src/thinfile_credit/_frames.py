"""The dataframe edge: accept pandas, Polars, PyArrow (and Spark where stated), compute on
Polars, and hand back the kind of frame the caller gave.

Computing *through* narwhals on a pandas backend is very slow for grouped time-window
work (measured: 28 s for 20k orders versus 0.3 s through Polars), so public functions
convert once at the edge with :func:`to_polars` and convert back with :func:`from_polars`.

Examples
--------
>>> import pandas as pd
>>> pdf = pd.DataFrame({"a": [1, 2]})
>>> pl_df, kind = to_polars(pdf)
>>> kind
'pandas'
>>> type(from_polars(pl_df, kind)).__name__
'DataFrame'
"""

from __future__ import annotations

import datetime as dt
import decimal
import numbers
from collections import Counter
from collections.abc import Collection
from typing import Any, Literal, NamedTuple

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl

from thinfile_credit.errors import DataError

__all__ = [
    "DUPLICATE_NAME",
    "FrameKind",
    "UnreadableColumn",
    "UnreadableFrameError",
    "column_names",
    "frame_kind",
    "from_polars",
    "is_spark",
    "missing_objects_as_null",
    "select_columns",
    "to_polars",
    "unreadable_columns",
]

#: What :func:`unreadable_columns` says of a column whose name appears more than once.
DUPLICATE_NAME = "column name appears more than once"

FrameKind = Literal["pandas", "polars", "polars-lazy", "pyarrow", "spark", "duckdb"]


def is_spark(frame: Any) -> bool:
    """True when ``frame`` is a PySpark DataFrame (without importing pyspark)."""
    return type(frame).__module__.split(".")[0] == "pyspark"


def frame_kind(frame: Any) -> FrameKind:
    """Name the dataframe library ``frame`` belongs to.

    Raises
    ------
    DataError
        If ``frame`` is not a supported dataframe.
    """
    if is_spark(frame):
        return "spark"
    if isinstance(frame, pl.DataFrame):
        return "polars"
    if isinstance(frame, pl.LazyFrame):
        return "polars-lazy"
    root = type(frame).__module__.split(".")[0]
    if root == "pandas" and hasattr(frame, "columns"):
        return "pandas"
    if root == "pyarrow" and hasattr(frame, "schema") and hasattr(frame, "num_rows"):
        return "pyarrow"
    if root in ("duckdb", "_duckdb"):
        return "duckdb"
    raise DataError(
        "expected a pandas, Polars, PyArrow, DuckDB or PySpark DataFrame, "
        f"got {type(frame).__name__}"
    )


def to_polars(
    frame: Any, table: str | None = None, *, columns: Collection[str] | None = None
) -> tuple[pl.DataFrame, FrameKind]:
    """Convert any supported eager frame to a Polars DataFrame.

    Parameters
    ----------
    frame : DataFrame-like
        pandas, Polars (eager or lazy), PyArrow Table or DuckDB relation.
    table : str, optional
        Table name used in error messages.
    columns : collection of str, optional
        Read only these columns (those present, in the frame's order): any other
        column is never converted, so one that cannot be read does no harm. Default:
        every column. See :func:`select_columns`.

    Returns
    -------
    (polars.DataFrame, kind)
        The data and the name of the library it came from, for :func:`from_polars`.

    Raises
    ------
    DataError
        ``frame`` is not a supported frame, or a column cannot be converted (e.g. a
        pandas object column mixing numbers and text); the error names ``table``, the
        first such column and example row positions.

    Examples
    --------
    >>> import pandas as pd
    >>> to_polars(pd.DataFrame({"zip": [100000, "10001A"]}), table="apps")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit._frames.UnreadableFrameError: apps.zip: mixes values ... (rows: 1)
    """
    try:
        kind = frame_kind(frame)
    except DataError as exc:
        raise DataError(exc.message, table=table) from None
    if kind == "polars":
        return frame, kind
    if kind == "spark":
        raise DataError(
            "a PySpark DataFrame cannot be collected to one machine here; use the Spark code path",
            table=table,
        )
    if columns is not None:
        frame = select_columns(frame, columns, kind=kind)
    try:
        return _convert(frame, kind), kind
    except MemoryError:
        raise  # not a data problem, and probing column by column would only make it worse
    except Exception as exc:  # narwhals/pyarrow/polars raise various types for a bad column
        raise _conversion_error(frame, kind, table, exc) from None


def column_names(frame: Any, kind: FrameKind | None = None) -> list[str]:
    """The column names of a pandas, Polars, PyArrow or DuckDB frame, as text, in order.

    A PyArrow Table's ``columns`` are its arrays, not their names; pandas names may be
    any hashable (compared as ``str``).

    Examples
    --------
    >>> import pyarrow as pa
    >>> column_names(pa.table({"a": [1], "b": [2]}))
    ['a', 'b']
    """
    kind = kind or frame_kind(frame)
    if kind == "pyarrow":
        return list(frame.column_names)
    if kind == "polars-lazy":
        return list(frame.collect_schema().names())
    return [str(c) for c in frame.columns]


def select_columns(frame: Any, columns: Collection[str], *, kind: FrameKind | None = None) -> Any:
    """``frame`` reduced to the columns named in ``columns`` that it has, in its order.

    Nothing else of the frame is read, so an extra column that cannot be converted (a
    pandas object column mixing numbers and text, a PyArrow interval column) does no
    harm. A name in ``columns`` that appears several times is kept every time, so its
    duplication is still reported. The frame itself is returned when nothing is left
    out; the pandas index is kept.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1], "junk": [object()], "b": [2]})
    >>> list(select_columns(df, {"b", "a"}).columns)
    ['a', 'b']
    """
    kind = kind or frame_kind(frame)
    if kind == "spark":
        return frame
    wanted = set(columns)
    names = column_names(frame, kind)
    keep = [i for i, name in enumerate(names) if name in wanted]
    if len(keep) == len(names):
        return frame
    if kind == "pandas":
        return frame.iloc[:, keep]
    if kind == "pyarrow":
        return frame.select(keep)
    if kind in ("polars", "polars-lazy"):
        return frame.select([names[i] for i in keep])
    import duckdb

    return frame.select(*[duckdb.ColumnExpression(names[i]) for i in keep])


def missing_objects_as_null(frame: Any, kind: FrameKind, df: pl.DataFrame) -> pl.DataFrame:
    """``df`` (converted from ``frame``) with pandas ``object`` columns holding no value
    read as the entirely null columns they are (``pl.Null``).

    pandas stores an all-missing column, and every column of an empty frame made with
    ``pd.DataFrame(columns=[...])``, as ``object``, which converts to text; read as text
    it would clash with integer ids elsewhere. Validation and the feature builder read
    such columns alike through this function.

    Examples
    --------
    >>> import pandas as pd
    >>> pdf = pd.DataFrame(columns=["user_id"])
    >>> missing_objects_as_null(pdf, "pandas", to_polars(pdf)[0]).schema["user_id"]
    Null
    """
    if kind != "pandas" or not len(df.columns):
        return df
    objects = {str(c) for c, dtype in frame.dtypes.items() if dtype == np.dtype(object)}
    nulls = [
        pl.lit(None, pl.Null).alias(c)
        for c in df.columns
        if c in objects and df[c].null_count() == df.height and df.schema[c] != pl.Null
    ]
    return df.with_columns(nulls) if nulls else df


class UnreadableColumn(NamedTuple):
    """A column that cannot be converted to Polars, found by :func:`unreadable_columns`."""

    column: str
    message: str
    #: 0-based positions of the values at fault: in a column mixing kinds of values,
    #: those not of its most common kind (all of them; empty when not known).
    rows: tuple[int, ...]


def unreadable_columns(frame: Any) -> list[UnreadableColumn]:
    """Probe a pandas or PyArrow frame column by column for what cannot be converted.

    Only called after converting the whole frame failed, so its cost does not matter.
    Columns whose name appears more than once are reported as such.

    Examples
    --------
    >>> import pandas as pd
    >>> (found,) = unreadable_columns(pd.DataFrame({"a": [1, 2], "b": [1.5, "x"]}))
    >>> found.column, found.rows
    ('b', (1,))
    >>> found.message
    'mixes values of different kinds (number, text); cannot be read'
    """
    kind = frame_kind(frame)
    if kind not in ("pandas", "pyarrow"):
        return []
    names = column_names(frame, kind)
    counts = Counter(names)
    out = [UnreadableColumn(name, DUPLICATE_NAME, ()) for name in counts if counts[name] > 1]
    for i, name in enumerate(names):
        if counts[name] > 1:
            continue
        part = frame.iloc[:, [i]] if kind == "pandas" else frame.select([i])
        try:
            _convert(part, kind)
        except Exception as exc:
            out.append(_describe_unreadable(name, part, kind, exc))
    return out


def _convert(frame: Any, kind: FrameKind) -> pl.DataFrame:
    if kind == "polars-lazy":
        out: pl.DataFrame = frame.collect()
        return out
    if kind == "pandas":
        # narwhals handles pandas' index, nullable and pyarrow-backed dtypes uniformly.
        return nw.from_native(frame, eager_only=True).to_polars()
    if kind == "pyarrow":
        table = pl.from_arrow(frame)
        assert isinstance(table, pl.DataFrame)
        return table
    relation: pl.DataFrame = frame.pl()  # duckdb relation
    return relation


class UnreadableFrameError(DataError):
    """A frame that cannot be converted; ``culprits`` lists every unreadable column."""

    culprits: tuple[UnreadableColumn, ...] = ()


def _conversion_error(
    frame: Any, kind: FrameKind, table: str | None, exc: Exception
) -> UnreadableFrameError:
    culprits = unreadable_columns(frame)
    if not culprits:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return UnreadableFrameError(f"cannot be read as a table: {reason}", table=table)
    first = culprits[0]
    message = first.message
    if len(culprits) > 1:
        message += f" (also unreadable: {', '.join(c.column for c in culprits[1:])})"
    err = UnreadableFrameError(message, table=table, column=first.column, rows=first.rows)
    err.culprits = tuple(culprits)  # the probe's findings, so no caller repeats it
    return err


def _describe_unreadable(name: str, part: Any, kind: FrameKind, exc: Exception) -> UnreadableColumn:
    if kind == "pandas" and part.dtypes.iloc[0] == np.dtype(object):
        values = part.iloc[:, 0]
        missing = values.isna().to_numpy()
        kinds = [None if m else _value_kind(v) for v, m in zip(values.tolist(), missing)]
        seen = Counter(k for k in kinds if k is not None)
        if len(seen) > 1:
            common = seen.most_common(1)[0][0]
            rows = tuple(i for i, k in enumerate(kinds) if k is not None and k != common)
            message = f"mixes values of different kinds ({', '.join(seen)}); cannot be read"
            return UnreadableColumn(name, message, rows)
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return UnreadableColumn(name, f"cannot be read: {reason}", ())


def _value_kind(value: Any) -> str:
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "boolean"
    if isinstance(value, (numbers.Number, decimal.Decimal)):
        return "number"
    if isinstance(value, (str, bytes)):
        return "text"
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return "date/time"
    return type(value).__name__


def from_polars(df: pl.DataFrame, kind: FrameKind, *, index: Any = None) -> Any:
    """Convert a Polars result back to the library the input came from.

    Parameters
    ----------
    df : polars.DataFrame
        The computed result.
    kind : str
        What :func:`to_polars` returned for the input.
    index : pandas.Index, optional
        For a pandas result that is row for row the pandas input: the input's index,
        given to the result so that index-aligned pandas code (``apps["f"] = X["f"]``)
        pairs each row with its own input row. Ignored for other kinds.

    Raises
    ------
    DataError
        ``index`` is not as long as ``df``.

    Examples
    --------
    >>> import pandas as pd
    >>> out = from_polars(pl.DataFrame({"a": [1, 2]}), "pandas", index=pd.Index([7, 3]))
    >>> list(out.index)
    [7, 3]
    """
    if kind == "polars":
        return df
    if kind == "polars-lazy":
        return df.lazy()
    if kind == "pandas":
        out = df.to_pandas()
        if index is not None:
            if len(index) != len(out):
                raise DataError(
                    f"a result of {len(out)} rows cannot take an index of {len(index)} labels"
                )
            if any(name is not None and name in out.columns for name in index.names):
                # a level named like a result column (an id kept as both) would make
                # merge, groupby and reset_index on that name ambiguous: labels only
                index = index.set_names([None] * index.nlevels)
            out.index = index
        return out
    if kind == "pyarrow":
        return df.to_arrow()
    if kind == "duckdb":
        import duckdb

        return duckdb.from_arrow(df.to_arrow())
    raise DataError(f"cannot convert a result to {kind!r}")
