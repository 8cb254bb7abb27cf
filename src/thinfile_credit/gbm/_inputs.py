"""Checks on what :meth:`GBMScorer.fit` and the scoring methods are given.

Each turns bad input into a typed error naming the table, column and rows at fault:
the target (missing, infinite or non-integer labels), the sample weights, and the
columns at scoring (the fitted names in another order are fine: they are matched by
name).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from thinfile_credit.errors import DataError, ModelError
from thinfile_credit.gbm.design import column_names

__all__ = ["binary_target", "mismatch", "reordered", "sample_weight_array"]

FloatArray = NDArray[np.float64]


def binary_target(y: Any, n_rows: int) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """The target as 0/1 (1 = the larger label, "bad") and the two class labels.

    Raises
    ------
    DataError
        Wrong length, or missing, infinite or non-integer values (``y``, rows named).
    ModelError
        One class, or more than two.
    """
    import pandas as pd

    nullable = isinstance(y, (pd.Series, pd.Index)) and pd.api.types.is_extension_array_dtype(y)
    if nullable and y.dtype.kind in "iufb":
        # Nullable Int64/boolean: <NA> becomes NaN (named below), not an object array.
        y = y.to_numpy(dtype=np.float64, na_value=np.nan) if y.hasnans else y.to_numpy()
    try:
        y = column_or_1d(y, warn=True)
    except ValueError as exc:
        raise DataError(str(exc), table="y") from None
    if y.shape[0] != n_rows:
        raise DataError(f"X has {n_rows} rows but y has {y.shape[0]}", table="y")
    missing = np.asarray(pd.isna(y), dtype=bool)
    if y.dtype.kind == "f":
        missing |= np.isinf(y)
    if missing.any():
        raise DataError(
            "target is missing (or infinite) for some rows; every row needs its outcome "
            "(1 = bad): drop the rows or resolve the outcome",
            table="y",
            rows=np.flatnonzero(missing)[:20].tolist(),
        )
    if y.dtype.kind == "f":
        fractional = np.flatnonzero(y != np.trunc(y))
        if fractional.size:
            raise DataError(
                "target must hold class labels (e.g. 0/1, 1 = bad), found non-integer "
                "values (Unknown label type: continuous)",
                table="y",
                rows=fractional[:20].tolist(),
            )
    try:
        check_classification_targets(y)
    except ValueError as exc:
        raise DataError(f"target must hold class labels (e.g. 0/1): {exc}", table="y") from None
    classes = np.unique(y)
    if classes.size == 1:
        raise ModelError(
            f"training data has only 1 class ({classes[0]!r}); a scorer needs goods and bads",
            table="y",
        )
    if classes.size > 2:
        raise ModelError(
            "Only binary classification is supported: a scorer's classes are good and bad "
            f"(1 = bad); y has {classes.size} classes",
            table="y",
        )
    return (y == classes[1]).astype(np.int64), classes


def sample_weight_array(sample_weight: Any, n: int) -> FloatArray:
    """Row weights as float64: ones for None; finite, non-negative, not all zero."""
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if w.shape[0] != n:
        raise DataError(f"sample_weight has {w.shape[0]} values for {n} rows")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise DataError("sample weights must be finite and >= 0", rows=bad.tolist())
    if not w.sum() > 0:
        raise DataError("sample weights are all zero: nothing to learn from")
    return w


def reordered(model: Any, X: Any) -> bool:
    """True when ``X`` has exactly the fitted column names, in another order."""
    given = column_names(X)
    fitted = getattr(model, "feature_names_in_", None)
    if given is None or fitted is None:
        return False
    expected = [str(c) for c in fitted]
    return (
        given != expected
        and len(given) == len(expected) == len(set(given))
        and set(given) == set(expected)
    )


def mismatch(model: Any, X: Any) -> str | None:
    """Names missing from ``X`` then names ``X`` has but ``fit`` did not see, or None."""
    given = column_names(X)
    fitted = getattr(model, "feature_names_in_", None)
    if given is None or fitted is None:
        return None
    missing = [c for c in fitted if c not in given]
    unseen = [c for c in given if c not in set(fitted)]
    return ", ".join(missing + unseen) or None


def unobserved_columns(X: NDArray[np.float64], w: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Columns of the design with no value among the rows with a positive weight.

    Such a feature can get no split (rows weighted 0 carry no gradient), so it is inert.

    Examples
    --------
    >>> X = np.array([[1.0, np.nan], [2.0, 5.0]])
    >>> unobserved_columns(X, np.array([1.0, 0.0])).tolist()
    [False, True]
    """
    return np.asarray(np.isnan(X[np.asarray(w) > 0]).all(axis=0), dtype=bool)
