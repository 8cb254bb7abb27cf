"""Checks of a :class:`~thinfile_credit.binning.FeatureBinning`'s stored fields.

Every field is read as written, never coerced: counts are non-negative whole numbers,
splits and WoE finite reals, categories texts under the categorical text rule
(:func:`~thinfile_credit.binning._text.category_text`), fallback flags from
:data:`FALLBACK_FLAGS`. Each check raises :class:`~thinfile_credit.errors.SpecError`
naming the feature (``column``), the field and the bins at fault (``rows``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from thinfile_credit.binning._text import category_text, number_value
from thinfile_credit.errors import SpecError

__all__ = [
    "FALLBACK_FLAGS",
    "JSON_INFINITY",
    "bin_counts",
    "category_groups",
    "category_list",
    "code_to_json",
    "fallback_flags",
    "finite_reals",
    "list_items",
    "special_code_values",
    "whole_number",
]


#: Fallback flags a binning may carry (see the module notes).
FALLBACK_FLAGS = frozenset({"", "smoothed", "riskiest", "neutral"})

#: The texts :meth:`FeatureBinning.to_dict` writes for an infinite numeric special code.
JSON_INFINITY = {"inf": math.inf, "-inf": -math.inf}


def bin_counts(values: Any, field: str, name: str | None = None) -> list[int]:
    """Per-bin counts as ints: non-negative whole numbers only (no bools, text or 5.9).

    Raises
    ------
    SpecError
        Naming the feature, the field and the bins at fault.

    Examples
    --------
    >>> bin_counts([3, 4.0], "n_event")
    [3, 4]
    >>> bin_counts([3, -1, True], "n_event", "age")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.SpecError: age: n_event must be non-negative ..., got -1 (rows: 1, 2)
    """
    items = list_items(values, field, name)
    out = [whole_number(value) for value in items]
    bad = [i for i, count in enumerate(out) if count is None or count < 0]
    if bad:
        raise SpecError(
            f"{field} must be non-negative integers, got {items[bad[0]]!r}",
            column=name,
            rows=bad,
        )
    return [count for count in out if count is not None]


def whole_number(value: Any) -> int | None:
    """``value`` as an int when it is a whole number (not a bool); else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        x = float(value)
        return int(x) if math.isfinite(x) and x.is_integer() else None
    return None


def list_items(values: Any, field: str, name: str | None) -> list[Any]:
    """A list field's items: a list, tuple or 1-D array - never text or a mapping."""
    if isinstance(values, (list, tuple)):
        return list(values)
    if isinstance(values, np.ndarray) and values.ndim == 1:
        return values.tolist()
    raise SpecError(f"{field} must be a list, got {type(values).__name__} {values!r}", column=name)


def finite_reals(values: Any, field: str, name: str) -> list[float]:
    """Finite real numbers (no bools, text or None) as floats."""
    items = list_items(values, field, name)
    out: list[float] = []
    bad: list[int] = []
    for i, value in enumerate(items):
        ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
        x = float(value) if ok else math.nan
        if not math.isfinite(x):
            bad.append(i)
        out.append(x)
    if bad:
        raise SpecError(
            f"{field} must be finite numbers, got {items[bad[0]]!r}", column=name, rows=bad
        )
    return out


def category_list(values: Any, field: str, name: str) -> list[str]:
    """Category texts under the categorical text rule (``11.0`` -> ``"11"``)."""
    items = list_items(values, field, name)
    texts = [category_text(v) for v in items]
    missing = [i for i, t in enumerate(texts) if t is None]
    if missing:
        raise SpecError(
            f"{field} holds a missing value ({items[missing[0]]!r}), which is never a "
            "category: missing values always go to the Missing bin",
            column=name,
            rows=missing,
        )
    return [t for t in texts if t is not None]


def category_groups(groups: Any, name: str) -> tuple[tuple[str, ...], ...]:
    """Every regular bin's categories as texts; a category may belong to one bin only."""
    out = tuple(
        tuple(category_list(group, f"groups[{b}]", name))
        for b, group in enumerate(list_items(groups, "groups", name))
    )
    where: dict[str, int] = {}
    for b, group in enumerate(out):
        for category in group:
            if where.setdefault(category, b) != b or group.count(category) > 1:
                raise SpecError(
                    f"groups: category {category!r} is listed more than once (bins "
                    f"{where[category]} and {b}); a category belongs to one bin",
                    column=name,
                    rows=sorted({where[category], b}),
                )
    return out


def fallback_flags(values: Any, name: str) -> list[str]:
    items = list_items(values, "fallback", name)
    bad = [i for i, f in enumerate(items) if not isinstance(f, str) or f not in FALLBACK_FLAGS]
    if bad:
        raise SpecError(
            f"fallback flags must be one of {sorted(FALLBACK_FLAGS)}, got {items[bad[0]]!r}",
            column=name,
            rows=bad,
        )
    return [str(f) for f in items]


def code_to_json(code: Any) -> Any:
    if isinstance(code, str):
        return code
    value = float(code)
    return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")


def special_code_values(
    kind: str, codes: Sequence[Any], name: str | None = None
) -> tuple[Any, ...]:
    """Special codes as binning compares them: floats (numeric) or category texts.

    Raises
    ------
    SpecError
        Text or NaN as a numeric code, a missing marker as a categorical one, or repeats.

    Examples
    --------
    >>> import numpy as np
    >>> special_code_values("categorical", [-1.0, "N/A"]), special_code_values("numeric", [-9])
    (('-1', 'N/A'), (-9.0,))
    """
    out: list[Any] = []
    for code in codes:
        if kind == "numeric":
            try:
                value: Any = number_value(code)
            except TypeError:
                raise SpecError(
                    f"numeric special codes must be numbers, got {tuple(codes)!r}", column=name
                ) from None
            if math.isnan(value):
                raise SpecError("NaN cannot be a special code; it is always Missing", column=name)
        else:
            value = category_text(code)
            if value is None:
                raise SpecError(
                    f"missing values cannot be special codes; they are always Missing, "
                    f"got {code!r}",
                    column=name,
                )
        out.append(value)
    if len(set(out)) != len(out):
        raise SpecError(f"special codes repeat: {tuple(out)!r}", column=name)
    return tuple(out)
