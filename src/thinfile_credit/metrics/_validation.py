"""Input checks shared by every metric: one place that turns array-likes into clean NumPy.

Every check raises :class:`~thinfile_credit.errors.DataError` naming the argument at fault
and example offending positions, so a validation notebook fails on the first bad row
rather than returning a plausible-looking number.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from thinfile_credit._numbers import is_real
from thinfile_credit.binning._text import TEXT_KINDS, floats_and_failures, value_kind
from thinfile_credit.errors import DataError, SpecError

__all__ = [
    "MISSING",
    "as_1d",
    "check_binary_target",
    "check_both_classes",
    "check_fraction",
    "check_scores",
    "check_weights",
    "kind_rows",
    "missing_label",
    "refuse_mixed_kinds",
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
    """Convert a list, NumPy array, pandas/Polars Series or PyArrow array to a 1-D array.

    Nothing changes kind on the way: a list mixing numbers with text or booleans
    (``[1, "1"]``, ``[True, 2]``) stays an ``object`` array of its own values, where NumPy
    would make text (``"1"``) or integers (``1``) of them all. pandas' nullable numbers
    come out as float64 with NaN for ``pd.NA``, except nullable booleans (booleans, with
    ``None`` for ``pd.NA``) and integers beyond 2**53 (integers, not rounded floats).

    Examples
    --------
    >>> as_1d([1, "1"], "group").tolist(), as_1d([1, 2.5], "x").dtype
    ([1, '1'], dtype('float64'))
    """
    # Nullable pandas dtypes (Int64, Float64, boolean) would come out as objects holding
    # pd.NA; missing values become NaN so the checks below can name them.
    if isinstance(values, pd.Series | pd.Index) and _is_nullable_number(values.dtype):
        if pd.api.types.is_bool_dtype(values.dtype):  # booleans stay booleans, not 1.0/0.0
            return _objects(values) if values.hasnans else np.asarray(values, dtype=bool)
        if _beyond_float(values):  # ids past 2**53 keep every digit
            return _objects(values)
        return np.asarray(values.to_numpy(dtype="float64", na_value=np.nan))
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        try:
            values = values.to_numpy()
        except TypeError:  # pyarrow ChunkedArray.to_numpy needs no arguments; others might
            values = np.asarray(values)
    arr = _list_array(values) if isinstance(values, list | tuple) else np.asarray(values)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise DataError(f"expected a 1-D array, got shape {arr.shape}", column=name)
    return arr


#: ``infer_dtype`` kinds of a list NumPy would silently turn into text or integers.
_MIXED_KINDS = frozenset({"mixed", "mixed-integer"})


def _list_array(values: list[Any] | tuple[Any, ...]) -> NDArray[Any]:
    """A list as NumPy reads it, unless that would merge kinds (``1`` and ``"1"``)."""
    arr = np.asarray(values)
    if arr.dtype == object or arr.ndim != 1:
        return arr
    raw = np.empty(len(values), dtype=object)
    raw[:] = list(values)
    if str(pd.api.types.infer_dtype(raw, skipna=True)) in _MIXED_KINDS:
        return raw
    return arr


def _objects(values: pd.Series | pd.Index) -> NDArray[Any]:
    """A nullable column's own Python values, ``None`` for ``pd.NA``."""
    out = np.empty(len(values), dtype=object)
    out[:] = [None if v is pd.NA else v for v in values.tolist()]
    return out


def _beyond_float(values: pd.Series | pd.Index) -> bool:
    """Whether a nullable integer column holds values float64 cannot hold exactly."""
    if not pd.api.types.is_integer_dtype(values.dtype) or not values.notna().any():
        return False
    return bool(max(abs(int(values.min())), abs(int(values.max()))) > 2**53)


def _numbers(arr: NDArray[Any], name: str, what: str) -> NDArray[np.float64]:
    """``arr`` as float64, refusing text (``"610"``) and other non-numbers by row."""
    out, bad = _floats(arr)
    if bad:
        raise DataError(
            f"{what}; found non-numbers such as {_example(arr[bad[0]])} "
            "(text is never read as a number)",
            column=name,
            rows=bad[:5],
        )
    return out


def _floats(arr: NDArray[Any]) -> tuple[NDArray[np.float64], list[int]]:
    """Float64 of numbers, booleans and missing markers; the rows of anything else."""
    if arr.dtype.kind in "mM":  # dates and durations are not scores, weights or outcomes
        return np.full(arr.size, np.nan), list(range(arr.size))
    return floats_and_failures(arr)


def _example(value: Any) -> str:
    """``repr`` of an offending value, as Python writes it (``'610'``, not ``np.str_``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


_NO_ROWS = np.empty(0, dtype=np.intp)

#: ``infer_dtype`` kinds of an ``object`` column holding numbers only (missing skipped).
_NUMBER_KINDS = frozenset({"floating", "integer", "mixed-integer-float", "decimal"})


def kind_rows(arr: NDArray[Any]) -> dict[str, NDArray[np.intp]]:
    """Positions of the ``"text"``, ``"boolean"`` and ``"number"`` values (missing skipped).

    Examples
    --------
    >>> {k: v.tolist() for k, v in kind_rows(as_1d([1, "1", None, True], "g")).items()}
    {'text': [1], 'boolean': [3], 'number': [0]}
    """
    every = np.arange(arr.size)
    out = {"text": _NO_ROWS, "boolean": _NO_ROWS, "number": _NO_ROWS}
    if arr.dtype.kind in "US":
        return {**out, "text": every}
    if arr.dtype.kind == "b":
        return {**out, "boolean": every}
    if arr.dtype.kind in "iuf":
        return {**out, "number": every}
    if arr.dtype != object:
        return out
    kind = value_kind(arr)  # one C-level pass; the loop below only for mixed samples
    if kind in TEXT_KINDS | {"boolean"} | _NUMBER_KINDS:
        which = "text" if kind in TEXT_KINDS else "boolean" if kind == "boolean" else "number"
        return {**out, which: np.flatnonzero(~pd.isna(arr))}
    text, boolean, number = [], [], []
    for i, v in enumerate(arr.tolist()):
        if isinstance(v, str | bytes):
            text.append(i)
        elif isinstance(v, bool | np.bool_):
            boolean.append(i)
        elif isinstance(v, numbers.Number) and v == v:  # NaN is missing
            number.append(i)
    return {
        "text": np.asarray(text, dtype=np.intp),
        "boolean": np.asarray(boolean, dtype=np.intp),
        "number": np.asarray(number, dtype=np.intp),
    }


def refuse_mixed_kinds(samples: dict[str, NDArray[Any]]) -> None:
    """Refuse numbers beside text or booleans in any of ``samples`` (named arrays).

    Under the category rule (:func:`~thinfile_credit.binning._text.category_text`) ``1``
    and ``"1"``, ``1`` and ``True`` are one category, and bins would read text as numbers;
    so numbers anywhere with text or booleans anywhere is an error naming the sample and
    rows of the text (or booleans): the sample that mixes them, else the one holding them.

    Raises
    ------
    DataError
        ``column`` the sample's name, ``rows`` positions of its text (booleans).

    Examples
    --------
    >>> try:
    ...     refuse_mixed_kinds({"reference": as_1d([1, 2], "r"), "current": as_1d(["1"], "c")})
    ... except DataError as exc:
    ...     print(exc.column, exc.rows, exc.message.split(";")[0])
    current [0] holds text while reference holds numbers
    """
    kinds = {name: kind_rows(arr) for name, arr in samples.items()}
    numeric = [name for name, k in kinds.items() if k["number"].size]
    if not numeric:
        return
    for other in ("text", "boolean"):
        holders = [name for name, k in kinds.items() if k[other].size]
        if not holders:
            continue
        mixed = [name for name in holders if name in numeric]
        name = (mixed or holders)[0]
        what, verb = ("text", "is") if other == "text" else ("booleans", "are")
        where = "beside numbers" if mixed else f"while {numeric[0]} holds numbers"
        raise DataError(
            f"holds {what} {where}; {what} {verb} never read as numbers, nor numbers as "
            f"{what} (1 and '1', 1 and True would be one category): convert one of them",
            column=name,
            rows=kinds[name][other][:5].tolist(),
        )


def check_fraction(name: str, value: Any, *, one_allowed: bool = False) -> float:
    """A setting in ``(0, 1)`` (``(0, 1]`` with ``one_allowed``) as a float, else SpecError.

    Text (``"0.95"``), booleans and NaN are refused, never coerced.

    Examples
    --------
    >>> check_fraction("confidence", 0.95)
    0.95
    >>> check_fraction("threshold", "x", one_allowed=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.SpecError: threshold must be a number in (0, 1], got 'x'
    """
    if not is_real(value) or not (0.0 < value < 1.0 or (one_allowed and value == 1.0)):
        bounds = "(0, 1]" if one_allowed else "(0, 1)"
        raise SpecError(f"{name} must be a number in {bounds}, got {value!r}")
    return float(value)


def check_scores(values: Any, name: str = "score") -> NDArray[np.float64]:
    """Return ``values`` as finite float64; NaN, infinite and non-numeric values are errors."""
    out = _numbers(as_1d(values, name), name, "scores must be numeric")
    if out.size == 0:
        raise DataError("no rows: the metric needs at least one score", column=name)
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
    num = _numbers(arr, name, "outcome must be 0/1 (1 = bad)")
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
    out = _numbers(as_1d(values, name), name, "weights must be numeric")
    if out.size != n:
        raise DataError(f"has {out.size} rows but the scores have {n}", column=name)
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
