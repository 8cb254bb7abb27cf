"""Checks on what :meth:`GBMScorer.fit` and the scoring methods are given.

Each turns bad input into a typed error naming the table, column and rows at fault:
the target (missing, infinite, non-integer or text labels), the sample and class weights,
and the columns at scoring (the fitted names in another order are fine: they are matched by
name).
"""

from __future__ import annotations

import math
import warnings
from numbers import Real
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from thinfile_credit.binning._text import floats_and_failures
from thinfile_credit.errors import DataError, ModelError
from thinfile_credit.gbm.design import column_names

__all__ = [
    "binary_target",
    "check_class_weight",
    "check_training_weights",
    "class_weight_shifts_prior",
    "fitted_columns",
    "record_features",
    "sample_weight_array",
    "target_labels",
    "unobserved_columns",
]

FloatArray = NDArray[np.float64]


def binary_target(y: Any, n_rows: int, table: str = "y") -> tuple[NDArray[np.int64], NDArray[Any]]:
    """The target as 0/1 (1 = the larger label, "bad") and the two class labels.

    Labels are numbers (the larger is bad: 1 of 0/1, 2 of German credit's 1/2) or
    booleans (True is bad). Text labels are refused: which of ``"bad"``/``"good"`` is
    bad cannot be read off their order.

    Raises
    ------
    DataError
        Wrong length, or missing, infinite, non-integer or text values (``y``, rows
        named).
    ModelError
        One class, or more than two.

    Examples
    --------
    >>> binary_target([1, 2, 2], 3)[0].tolist()
    [0, 1, 1]
    >>> try:
    ...     binary_target(["good", "bad"], 2)
    ... except DataError as exc:
    ...     print(str(exc)[:60])
    y: target holds text labels ('good', 'bad'); which one is ba
    """
    y = target_labels(y, n_rows, table)
    try:
        check_classification_targets(y)
    except ValueError as exc:
        raise DataError(f"target must hold class labels (e.g. 0/1): {exc}", table=table) from None
    classes = np.unique(y)
    if classes.size == 1:
        raise ModelError(
            f"training data has only 1 class ({classes[0]!r}); a scorer needs goods and bads",
            table=table,
        )
    if classes.size > 2:
        raise ModelError(
            "Only binary classification is supported: a scorer's classes are good and bad "
            f"(1 = bad); y has {classes.size} classes",
            table=table,
        )
    return (y == classes[1]).astype(np.int64), classes


def target_labels(y: Any, n_rows: int, table: str = "y") -> NDArray[Any]:
    """``y`` as a 1-D array of labels: ``n_rows`` of them, none missing, integral, no text.

    Raises
    ------
    DataError
        Not 1-D, wrong length, or missing, infinite, non-integer or text values (rows
        named).
    """
    import pandas as pd

    nullable = isinstance(y, (pd.Series, pd.Index)) and pd.api.types.is_extension_array_dtype(y)
    if nullable and y.dtype.kind in "iufb":
        # Nullable Int64/boolean: <NA> becomes NaN (named below), not an object array.
        y = y.to_numpy(dtype=np.float64, na_value=np.nan) if y.hasnans else y.to_numpy()
    try:
        y = column_or_1d(y, warn=True)
    except ValueError as exc:
        raise DataError(str(exc), table=table) from None
    if y.shape[0] != n_rows:
        raise DataError(f"X has {n_rows} rows but y has {y.shape[0]}", table=table)
    _refuse_text_labels(y, table)
    missing = np.asarray(pd.isna(y), dtype=bool)
    if y.dtype.kind == "f":
        missing |= np.isinf(y)
    if missing.any():
        raise DataError(
            "target is missing (or infinite) for some rows; every row needs its outcome "
            "(1 = bad): drop the rows or resolve the outcome",
            table=table,
            rows=np.flatnonzero(missing)[:20].tolist(),
        )
    if y.dtype.kind == "f":
        fractional = np.flatnonzero(y != np.trunc(y))
        if fractional.size:
            raise DataError(
                "target must hold class labels (e.g. 0/1, 1 = bad), found non-integer "
                "values (Unknown label type: continuous)",
                table=table,
                rows=fractional[:20].tolist(),
            )
    return y


def _refuse_text_labels(y: NDArray[Any], table: str) -> None:
    if y.dtype.kind in "US":
        text = np.arange(y.shape[0])
    elif y.dtype == object:
        text = np.flatnonzero([isinstance(v, (str, bytes)) for v in y.tolist()])
    else:
        return
    if text.size:
        distinct = list(dict.fromkeys(y[text].tolist()))
        shown = ", ".join(repr(v) for v in distinct[:5]) + (", ..." if len(distinct) > 5 else "")
        raise DataError(
            f"target holds text labels ({shown}); which one is bad cannot be read off "
            "their order: pass 0/1 (1 = bad) or booleans (True = bad)",
            table=table,
            rows=text[:20].tolist() if text.size < y.shape[0] else None,
        )


def sample_weight_array(sample_weight: Any, n: int, table: str = "sample_weight") -> FloatArray:
    """Row weights as float64: ones for None; numbers, finite, non-negative, not all zero.

    Raises
    ------
    DataError
        Wrong length, text or other non-numbers (even ``"1"``), missing, infinite or
        negative weights, or all weights zero (rows named).

    Examples
    --------
    >>> sample_weight_array([1, 0.5], 2).tolist()
    [1.0, 0.5]
    >>> try:
    ...     sample_weight_array([1.0, "2"], 2)
    ... except DataError as exc:
    ...     print(exc)
    sample_weight: sample weights must be numbers; found '2' (rows: 1)
    """
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    raw = np.asarray(sample_weight)
    if raw.dtype.kind in "US" and not isinstance(sample_weight, np.ndarray):
        raw = np.asarray(sample_weight, dtype=object)  # a list: keep its numbers numbers
    if raw.dtype.kind in "biuf":
        w = raw.astype(np.float64).reshape(-1)
    else:
        flat = raw.astype(object).reshape(-1)
        w, failed = floats_and_failures(flat)
        if failed:
            raise DataError(
                f"sample weights must be numbers; found {flat[failed[0]]!r}",
                table=table,
                rows=failed[:20],
            )
    if w.shape[0] != n:
        raise DataError(f"sample_weight has {w.shape[0]} values for {n} rows", table=table)
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise DataError("sample weights must be finite and >= 0", table=table, rows=bad.tolist())
    if not w.sum() > 0:
        raise DataError("sample weights are all zero: nothing to learn from", table=table)
    return w


def record_features(model: Any, X: Any, width: int) -> None:
    """Set ``n_features_in_`` and, for a frame, ``feature_names_in_`` (as text).

    scikit-learn's ``validate_data`` records names only when every one is a ``str``;
    here any frame is named (``str(name)``), so its columns are matched by name at
    scoring.
    """
    names = column_names(X)
    model.n_features_in_ = width
    if names is None:
        if hasattr(model, "feature_names_in_"):
            del model.feature_names_in_
    else:
        model.feature_names_in_ = np.asarray(names, dtype=object)


def fitted_columns(
    model: Any, X: Any, frame: pl.DataFrame, feature_names: tuple[str, ...], table: str = "X"
) -> pl.DataFrame:
    """``frame`` with the fitted columns in fitted order.

    Named on both sides: matched by name (any order). Otherwise by position, with
    scikit-learn's warning when only one side has names.

    Raises
    ------
    ModelError
        Names missing or unseen at fit time (listed, missing first), or a different
        number of columns.
    """
    given = column_names(X, table)
    fitted = getattr(model, "feature_names_in_", None)
    cls = type(model).__name__
    if given is not None and fitted is not None:
        expected = [str(c) for c in fitted]
        if set(given) != set(expected):
            missing = [c for c in expected if c not in set(given)]
            unseen = [c for c in given if c not in set(expected)]
            message = "The feature names should match those that were passed during fit.\n"
            if unseen:
                message += "Feature names unseen at fit time:\n" + "".join(
                    f"- {c}\n" for c in unseen
                )
            if missing:
                message += "Feature names seen at fit time, yet now missing:\n" + "".join(
                    f"- {c}\n" for c in missing
                )
            raise ModelError(message, table=table, column=", ".join(missing + unseen))
        return frame if tuple(frame.columns) == feature_names else frame.select(feature_names)
    if frame.width != model.n_features_in_:
        raise ModelError(
            f"X has {frame.width} features, but {cls} is expecting "
            f"{model.n_features_in_} features as input.",
            table=table,
        )
    if given is None and fitted is not None:
        warnings.warn(
            f"X does not have valid feature names, but {cls} was fitted with feature names",
            UserWarning,
            stacklevel=4,
        )
    elif given is not None and fitted is None:
        warnings.warn(
            f"X has feature names, but {cls} was fitted without feature names",
            UserWarning,
            stacklevel=4,
        )
    # Same width, names absent on one side: go by position.
    return frame.rename(dict(zip(frame.columns, feature_names)))


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


def check_class_weight(class_weight: Any, classes: NDArray[Any]) -> None:
    """Every entry of a ``class_weight`` dict a class of ``y`` with a finite weight > 0."""
    if not isinstance(class_weight, dict):
        return  # None or "balanced" (the type is checked with the other parameters)
    known = set(classes.tolist())
    for label, weight in class_weight.items():
        if isinstance(label, np.generic):
            label = label.item()
        # Booleans and numbers are different labels here (True is not the class 1).
        if label not in known or isinstance(label, bool) != (classes.dtype == bool):
            raise ModelError(
                f"class_weight has an entry for {label!r}, which is not a class of y "
                f"(classes: {', '.join(repr(c) for c in classes.tolist())})",
                column="class_weight",
            )
        if (
            isinstance(weight, (bool, np.bool_))
            or not isinstance(weight, Real)
            or not math.isfinite(float(weight))
            or not float(weight) > 0
        ):
            raise ModelError(
                f"class_weight for class {label!r} must be a finite number > 0, got {weight!r}",
                column="class_weight",
            )


def check_training_weights(w: FloatArray, y01: NDArray[np.int64], classes: NDArray[Any]) -> None:
    """The booster's weights (sample times class weights): finite, >= 0, both classes."""
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise ModelError(
            "sample_weight times class_weight is not finite (overflow) for some rows; "
            "scale the weights down",
            column="class_weight",
            rows=bad[:20].tolist(),
        )
    for code in (0, 1):
        if not w[y01 == code].sum() > 0:
            raise ModelError(
                f"class {classes[code]!r} has no positive training weight "
                "(sample_weight times class_weight)",
                column="class_weight",
            )


def class_weight_shifts_prior(class_weight: Any, classes: NDArray[Any]) -> bool:
    """Whether ``class_weight`` weighs the two classes differently.

    Such weights move the booster's margin away from the log-odds of the observed bad
    rate (by about ``ln(w_bad / w_good)`` at the intercept, and by no closed-form amount
    per row once shrinkage, ``min_child_samples`` and ``reg_lambda`` act on the
    reweighted sample), so only a calibrator fitted on the true rates turns it back into
    a PD. ``"balanced"`` counts as shifting whatever the data (it asks for reweighting);
    a dict whose two weights are equal (a class left out weighs 1) does not. Assumes
    :func:`check_class_weight` passed.

    Examples
    --------
    >>> classes = np.array([0, 1])
    >>> [class_weight_shifts_prior(cw, classes) for cw in (None, "balanced", {1: 5}, {0: 2, 1: 2})]
    [False, True, True, False]
    """
    if class_weight is None:
        return False
    if not isinstance(class_weight, dict):
        return True  # "balanced"
    given = {
        (k.item() if isinstance(k, np.generic) else k): float(v) for k, v in class_weight.items()
    }
    good, bad = (given.get(label, 1.0) for label in classes.tolist())
    return good != bad
