"""Input checks shared by every metric: one place that turns array-likes into clean NumPy.

Every check raises :class:`~thinfile_credit.errors.DataError` naming the argument at fault
and example offending positions, so a validation notebook fails on the first bad row
rather than returning a plausible-looking number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from thinfile_credit.errors import DataError

__all__ = [
    "MISSING",
    "as_1d",
    "check_binary_target",
    "check_both_classes",
    "check_scores",
    "check_weights",
    "missing_label",
]

#: Label of the bin or group of missing values, unless a real label already uses it.
MISSING = "missing"


def missing_label(labels: Any) -> str:
    """The label for missing values that no real label in ``labels`` already uses.

    ``"missing"``, or ``"<missing>"`` (``"<<missing>>"``...) when a real category or
    segment is literally called ``"missing"``, so the two are never merged.

    Examples
    --------
    >>> missing_label(["a", "b"]), missing_label(["a", "missing"])
    ('missing', '<missing>')
    """
    return free_label(MISSING, labels)


def free_label(label: str, labels: Any) -> str:
    """``label``, bracketed (``"<all>"``, ``"<<all>>"``...) until no real label uses it.

    Examples
    --------
    >>> free_label("all", ["a", "b"]), free_label("all", ["all", "b"])
    ('all', '<all>')
    """
    taken = {str(x) for x in labels}
    while label in taken:
        label = f"<{label}>"
    return label


def as_1d(values: Any, name: str) -> NDArray[Any]:
    """Convert a list, NumPy array, pandas/Polars Series or PyArrow array to a 1-D array."""
    # Nullable pandas dtypes (Int64, Float64, boolean) would come out as objects holding
    # pd.NA; missing values become NaN so the checks below can name them.
    if isinstance(values, pd.Series | pd.Index) and _is_nullable_number(values.dtype):
        return np.asarray(values.to_numpy(dtype="float64", na_value=np.nan))
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        try:
            values = values.to_numpy()
        except TypeError:  # pyarrow ChunkedArray.to_numpy needs no arguments; others might
            values = np.asarray(values)
    arr = np.asarray(values)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise DataError(f"expected a 1-D array, got shape {arr.shape}", column=name)
    return arr


def check_scores(values: Any, name: str = "score") -> NDArray[np.float64]:
    """Return ``values`` as finite float64; NaN, infinite and non-numeric values are errors."""
    arr = as_1d(values, name)
    if arr.size == 0:
        raise DataError("no rows: the metric needs at least one score", column=name)
    try:
        out = arr.astype(np.float64, copy=False)
    except (TypeError, ValueError):
        raise DataError(f"scores must be numeric, got dtype {arr.dtype}", column=name) from None
    bad = ~np.isfinite(out)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise DataError(
            f"{rows.size} score(s) are NaN or infinite", column=name, rows=rows[:5].tolist()
        )
    return out


def check_binary_target(
    values: Any, name: str = "y_true", *, n: int | None = None
) -> NDArray[np.bool_]:
    """Return the outcome as a boolean array (True = bad); only 0/1 or booleans are accepted."""
    arr = as_1d(values, name)
    if arr.size == 0:
        raise DataError("no rows: the metric needs at least one outcome", column=name)
    if n is not None and arr.size != n:
        raise DataError(f"has {arr.size} rows but the scores have {n}", column=name)
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind in "iu":
        # Integer outcomes are checked without a float copy (large validation sets).
        out = arr == 1
        bad = ~(out | (arr == 0))
        if bad.any():
            rows = np.flatnonzero(bad)
            raise DataError(
                "outcome must be 0/1 (1 = bad); found other values",
                column=name,
                rows=rows[:5].tolist(),
            )
        return out
    try:
        num = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"outcome must be 0/1 (1 = bad), got dtype {arr.dtype}", column=name
        ) from None
    bad = ~((num == 0) | (num == 1))
    if bad.any():
        rows = np.flatnonzero(bad)
        raise DataError(
            "outcome must be 0/1 (1 = bad); found other values or missing outcomes",
            column=name,
            rows=rows[:5].tolist(),
        )
    return num == 1


def check_weights(values: Any, n: int, name: str = "sample_weight") -> NDArray[np.float64] | None:
    """Return non-negative finite float64 weights of length ``n`` (``None`` passes through)."""
    if values is None:
        return None
    arr = as_1d(values, name)
    if arr.size != n:
        raise DataError(f"has {arr.size} rows but the scores have {n}", column=name)
    try:
        out = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError(f"weights must be numeric, got dtype {arr.dtype}", column=name) from None
    bad = ~np.isfinite(out) | (out < 0)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise DataError(
            "weights must be finite and non-negative", column=name, rows=rows[:5].tolist()
        )
    if not out.sum() > 0:
        raise DataError("all weights are zero", column=name)
    return out


def check_both_classes(
    y: NDArray[np.bool_], w: NDArray[np.float64] | None, name: str = "y_true"
) -> tuple[float, float]:
    """Return the (weighted) number of bads and goods; a single class is an error."""
    if w is None:
        n_bad = float(np.count_nonzero(y))
        n_good = float(y.size - n_bad)
    else:
        n_bad = float(w[y].sum())
        n_good = float(w[~y].sum())
    if n_bad <= 0 or n_good <= 0:
        which = "bad (1)" if n_bad <= 0 else "good (0)"
        raise DataError(
            f"only one class present: no {which} outcomes with positive weight, "
            "so discrimination is undefined",
            column=name,
        )
    return n_bad, n_good


def _is_nullable_number(dtype: Any) -> bool:
    return isinstance(dtype, pd.api.extensions.ExtensionDtype) and (
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    )
