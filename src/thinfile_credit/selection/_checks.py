"""Input checks shared by every selection stage: nothing is dropped or kept on bad input.

A NaN compares False with everything, so an unchecked NaN IV would pass both IV
thresholds and a NaN in a WoE column would read as a constant feature; an unknown option
would silently run another one. These checks turn each into a typed error naming the
feature or the parameter.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import DataError, SpecError

__all__ = [
    "CRITERIA",
    "DIRECTIONS",
    "check_option",
    "check_threshold",
    "checked_iv",
    "checked_names",
    "checked_stage_inputs",
    "checked_target",
    "checked_woe",
]

#: Stepwise criteria: penalised likelihood (AIC, BIC) or validation AUC.
CRITERIA = ("aic", "bic", "auc")
#: Stepwise directions.
DIRECTIONS = ("forward", "backward")


def checked_names(names: Sequence[str]) -> list[str]:
    """Feature names as a list: text, each once.

    Raises
    ------
    SpecError
        A name that is not text, or ``names`` given as one string.
    DataError
        A name given twice (``table="woe"``, ``column`` the name): its IV and its column
        would be confused.

    Examples
    --------
    >>> checked_names(("a", "b"))
    ['a', 'b']
    >>> checked_names(["a", "a"])
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.DataError: woe.a: feature name appears more than once (rows: 0, 1)
    """
    # a list, tuple, array, pandas Index (``woe.columns``) or dict keys; never one string
    if isinstance(names, (str, bytes)) or not hasattr(names, "__iter__"):
        raise SpecError(f"names must be a list of feature names, got {names!r}")
    out = list(names)
    for name in out:
        if not isinstance(name, str):
            raise SpecError(f"feature names must be text, got {name!r}")
    if len(set(out)) != len(out):
        seen: set[str] = set()
        for name in out:
            if name in seen:
                raise DataError(
                    "feature name appears more than once",
                    table="woe",
                    column=name,
                    rows=[i for i, n in enumerate(out) if n == name],
                )
            seen.add(name)
    return out


def checked_woe(woe: Any, names: Sequence[str], n_rows: int | None = None) -> NDArray[np.float64]:
    """The WoE matrix as finite float64, shape ``(n_rows, len(names))``.

    Raises
    ------
    DataError
        Not a 2-D numeric matrix, a shape that disagrees with ``names`` (or ``n_rows``
        targets), or a value that is not finite: ``table="woe"``, ``column`` the first
        feature holding one, ``rows`` its rows.

    Examples
    --------
    >>> checked_woe(np.array([[0.1, np.nan]]), ["a", "b"])
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.DataError: woe.b: WoE values must be finite, got nan (rows: 0)
    """
    arr = np.asarray(woe)
    if arr.dtype.kind not in "iuf":
        raise DataError(f"WoE must be a numeric matrix, got dtype {arr.dtype}", table="woe")
    if (
        arr.ndim != 2
        or arr.shape[1] != len(names)
        or (n_rows is not None and arr.shape[0] != n_rows)
    ):
        targets = "" if n_rows is None else f" and {n_rows} targets"
        raise DataError(
            f"woe has shape {arr.shape} but there are {len(names)} names{targets}", table="woe"
        )
    out = np.asarray(arr, dtype=np.float64)
    finite = np.isfinite(out)
    if not finite.all():
        bad_cols = np.flatnonzero(~finite.all(axis=0))
        j = int(bad_cols[0])
        rows = np.flatnonzero(~finite[:, j]).tolist()
        also = [names[int(k)] for k in bad_cols[1:]]
        raise DataError(
            f"WoE values must be finite, got {float(out[rows[0], j])!r}"
            + (f" (also in: {', '.join(also)})" if also else ""),
            table="woe",
            column=names[j],
            rows=rows,
        )
    return out


def checked_target(y: Any, n_rows: int) -> NDArray[np.int8]:
    """A 0/1 target of ``n_rows`` rows with both classes, as ``int8`` (``table="y"``)."""
    from thinfile_credit.binning._columns import binary_target

    return binary_target(y, n_rows, table="y")


def checked_iv(iv: Mapping[str, Any], names: Collection[str]) -> dict[str, float]:
    """The IV of every name, as a finite float.

    Raises
    ------
    SpecError
        ``iv`` is not a mapping, a name has no IV, or an IV is not a finite real number
        (NaN, ``None``, text, a bool); ``table="iv"``, ``column`` names the feature.

    Examples
    --------
    >>> checked_iv({"a": 0.3, "b": float("nan")}, ["a", "b"])
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.SpecError: iv.b: information value must be a finite number, got nan
    """
    if not isinstance(iv, Mapping):
        if not callable(getattr(iv, "items", None)):  # a pandas Series of IVs reads as one
            raise SpecError(f"iv must be a mapping of feature name to IV, got {type(iv).__name__}")
        iv = dict(iv.items())
    missing = [n for n in names if n not in iv]
    if missing:
        raise SpecError(f"no IV given for: {', '.join(missing)}")
    out: dict[str, float] = {}
    for name in names:
        value = iv[name]
        ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
        if not ok or not math.isfinite(float(value)):
            raise SpecError(
                f"information value must be a finite number, got {value!r}",
                table="iv",
                column=name,
            )
        out[name] = float(value)
    return out


def checked_stage_inputs(
    woe: Any,
    names: Sequence[str],
    iv: Mapping[str, Any],
    threshold: tuple[str, Any, float, float | None],
) -> tuple[NDArray[np.float64], list[str], dict[str, float]]:
    """A filter stage's WoE matrix, names and IVs, each checked as above, and its threshold.

    ``threshold`` is ``(name, value, low, high)`` for :func:`check_threshold`.
    """
    checked = checked_names(names)
    out = checked_woe(woe, checked), checked, checked_iv(iv, checked)
    check_threshold(*threshold)
    return out


def check_threshold(name: str, value: Any, low: float, high: float | None) -> None:
    """A finite real number (not a bool) in ``[low, high]``, else a SpecError naming it."""
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, (bool, np.bool_))
        or not math.isfinite(float(value))
    ):
        raise SpecError(f"{name} must be a finite number, got {value!r}")
    number = float(value)
    if number < low or (high is not None and number > high):
        upper = f", {high:g}]" if high is not None else ", inf)"
        raise SpecError(f"{name} must lie in [{low:g}{upper}, got {value!r}")


def check_option(name: str, value: Any, allowed: Sequence[Any]) -> None:
    """``value`` is one of ``allowed``, else a SpecError naming the parameter.

    Examples
    --------
    >>> check_option("criterion", "gini", CRITERIA)
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.SpecError: criterion must be one of 'aic', 'bic', 'auc', got 'gini'
    """
    if not isinstance(value, str | type(None)) or value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise SpecError(f"{name} must be one of {shown}, got {value!r}")
