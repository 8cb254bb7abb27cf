"""Input handling for the reason coder: frames in, model columns out, and sample fingerprints.

Examples
--------
>>> import pandas as pd
>>> a = fingerprint(pd.DataFrame({"x": [1.0, float("nan")]}))
>>> a == fingerprint(pd.DataFrame({"x": [1.0, float("nan")]}))
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import frame_kind, from_polars, to_polars
from thinfile_credit.errors import DataError, ModelError
from thinfile_credit.protocol import Contributions

__all__ = ["fingerprint"]

FloatArray = NDArray[np.float64]


def fingerprint(X: Any, columns: Sequence[str] | None = None) -> str:
    """SHA-256 of a sample's columns (names, dtypes, values), stable across processes.

    Parameters
    ----------
    X : DataFrame or 2-D array
        The sample.
    columns : sequence of str, optional
        Columns to hash, in this order (all columns when omitted).

    Examples
    --------
    >>> import pandas as pd
    >>> a = fingerprint(pd.DataFrame({"x": [1.0, float("nan")]}))
    >>> a == fingerprint(pd.DataFrame({"x": [1.0, float("nan")]}))
    True
    >>> a == fingerprint(pd.DataFrame({"x": [1.0, 2.0]}))
    False
    """
    df = _to_polars_frame(X, columns)
    return _fingerprint_frame(df if columns is None else df.select(list(columns)))


def _fingerprint_frame(df: pl.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update(f"rows={df.height};".encode())
    for name in df.columns:
        s = df.get_column(name)
        digest.update(f"{name}:{s.dtype};".encode())
        if s.dtype.is_numeric() or s.dtype == pl.Boolean:
            arr = s.cast(pl.Float64).to_numpy()
            arr = np.where(np.isnan(arr), np.nan, arr)  # one NaN bit pattern
            digest.update(np.ascontiguousarray(arr, dtype="<f8").tobytes())
        else:
            text = "\x1f".join("\x00" if v is None else str(v) for v in s.to_list())
            digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def _check_protocol(model: Any) -> None:
    missing = [
        attr
        for attr in ("contributions", "score", "scale_", "feature_names_in_")
        if not hasattr(model, attr)
    ]
    if missing:
        raise ModelError(
            f"{type(model).__name__} does not implement the scorer protocol "
            f"(missing: {', '.join(missing)}); is it fitted?"
        )


def _check_contributions(contrib: Any, *, table: str) -> FloatArray:
    if not isinstance(contrib, Contributions):
        raise ModelError(f"contributions() returned {type(contrib).__name__}, not Contributions")
    values = np.asarray(contrib.values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(contrib.feature_names):
        raise ModelError("contributions values must be (n_rows, n_features)", table=table)
    # One reduction settles the common case; rows are located only when something is off.
    if not np.isfinite(values.sum()):
        bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
        if bad.size:
            raise DataError("non-finite contributions", table=table, rows=bad.tolist())
    return values


def _as_matrix(value: Any, names: tuple[str, ...], what: str) -> FloatArray:
    if isinstance(value, Contributions):
        return np.asarray(value.values, dtype=np.float64)
    if hasattr(value, "columns") and not isinstance(value, np.ndarray):
        df, _ = to_polars(value, table=what)
        missing = [n for n in names if n not in df.columns]
        if missing:
            raise ModelError(f"{what} lacks features: {', '.join(missing)}", table=what)
        return df.select(names).cast(pl.Float64).to_numpy()
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != len(names):
        raise ModelError(f"{what} must be (n_rows, {len(names)}), got {arr.shape}", table=what)
    return arr


def _ids(ids: Any, n: int) -> Any:
    if ids is None:
        return None
    if isinstance(ids, pl.Series):
        series = ids
    elif hasattr(ids, "to_numpy") or hasattr(ids, "__array__") or isinstance(ids, Sequence):
        values = ids.to_numpy() if hasattr(ids, "to_numpy") else np.asarray(ids)
        series = pl.Series("application_id", values)
    else:
        raise DataError(f"ids must be array-like, got {type(ids).__name__}", column="ids")
    if series.len() != n:
        raise DataError(
            f"{series.len()} ids for {n} applicants", table="applications", column="ids"
        )
    return series.alias("application_id")


def _input_kind(X: Any) -> str:
    if isinstance(X, np.ndarray):
        return "numpy"
    try:
        return frame_kind(X)
    except DataError:
        return "numpy"


def _output_kind(X: Any) -> str:
    kind = _input_kind(X)
    return kind if kind in ("pandas", "polars", "pyarrow") else "pandas"


def _build_like(data: dict[str, list[Any]], names: list[str], kind: str) -> Any:
    if kind == "numpy":
        return np.array([[data[n][0] for n in names]], dtype=np.float64)
    if kind == "pandas":
        import pandas as pd

        return pd.DataFrame(data, columns=names)
    df = pl.DataFrame(data)
    return from_polars(df, kind if kind in ("polars", "pyarrow") else "polars")  # type: ignore[arg-type]


def _to_polars_frame(X: Any, columns: Sequence[str] | None) -> pl.DataFrame:
    return _model_frame(X, columns, None)


def _model_frame(
    X: Any, columns: Sequence[str] | None, input_names: Sequence[str] | None
) -> pl.DataFrame:
    """``X`` as Polars with the model's features, keeping any other input column it needs.

    ``columns`` are the features the model explains; ``input_names`` (the model's
    ``feature_names_in_``) may be wider, e.g. a scorecard whose selection dropped some
    inputs but which still takes every input column positionally from an array.
    """
    if isinstance(X, np.ndarray) or not hasattr(X, "columns"):
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise DataError(f"expected a 2-D sample, got shape {arr.shape}", table="X")
        if input_names is not None and arr.shape[1] == len(input_names):
            names = list(input_names)
        elif columns is not None and arr.shape[1] == len(columns):
            names = list(columns)
        elif columns is None:
            names = [f"x{i}" for i in range(arr.shape[1])]
        else:
            raise DataError(
                f"sample has {arr.shape[1]} columns, model has {len(columns)}", table="X"
            )
        df = pl.DataFrame({n: arr[:, i] for i, n in enumerate(names)})
    else:
        df, _ = to_polars(X, table="X")
    if columns is None:
        return df
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError("sample lacks model features", table="X", column=", ".join(missing))
    keep = [c for c in (input_names or ()) if c in df.columns]
    keep += [c for c in columns if c not in keep]
    return df.select(keep)
