"""Checks of the labels' scalar arguments: day counts, amounts, shares and flags.

Numbers are never coerced: ``1.7`` days is not 1 day, ``True`` is not 1 and ``"0.5"``
is not a share, so each is refused with :class:`~thinfile_credit.errors.SpecError`
naming the argument.

Examples
--------
>>> from thinfile_credit.labels._args import whole_number
>>> whole_number("dpd", 30, minimum=1)
30
>>> whole_number("dpd", 29.9, minimum=1)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
thinfile_credit.errors.SpecError: dpd must be a whole number of days ..., got 29.9
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from thinfile_credit._numbers import is_real
from thinfile_credit.errors import SpecError

__all__ = ["MAX_DAYS", "finite_number", "flag", "whole_number"]

#: The most days any day count may span: from 0001-01-01 to 9999-12-31, the calendar's
#: whole range (a longer window or threshold could not end on any date).
MAX_DAYS = (dt.date.max - dt.date.min).days


def whole_number(
    name: str, value: Any, *, minimum: int, maximum: int | None = MAX_DAYS, unit: str = "days"
) -> int:
    """``value`` as an ``int`` if it is an integer (not a bool) within the bounds."""
    ok = not isinstance(value, (bool, np.bool_, np.timedelta64)) and isinstance(
        value, (int, np.integer)
    )
    if not ok or value < minimum or (maximum is not None and value > maximum):
        bounds = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum:,}"
        raise SpecError(f"{name} must be a whole number of {unit} {bounds}, got {value!r}")
    return int(value)


def finite_number(name: str, value: Any) -> float:
    """``value`` as a ``float`` if it is a finite real number (not a bool or a string)."""
    if not is_real(value) or not math.isfinite(value):
        raise SpecError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def flag(name: str, value: Any) -> bool:
    """``value`` if it is a bool (``"no"`` is not False)."""
    if not isinstance(value, (bool, np.bool_)):
        raise SpecError(f"{name} must be True or False, got {value!r}")
    return bool(value)
