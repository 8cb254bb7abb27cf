"""Checks of loan terms and revolving events for the schedule constructors (private).

A principal must be a positive whole-fen amount of at most
:data:`~thinfile_credit.pricing.schedules.MAX_FEN` fen, a rate a finite number in range
(read as written, ``Decimal(repr(rate))``), a term an integer >= 1 and a day an integer;
anything else raises :class:`~thinfile_credit.errors.SpecError`, naming the rows of
``events`` at fault for a revolving ledger. :class:`_Loan` holds the checked terms.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeGuard

import numpy as np

from thinfile_credit.errors import SpecError
from thinfile_credit.pricing._money import _MAX_DAY, _MAX_WHY, _MAX_YUAN, MAX_FEN, _fen


@dataclass(frozen=True)
class _Loan:
    """Validated loan terms: principal in fen, term, and rates as exact decimals."""

    principal: int
    n: int
    rate: Decimal
    fee_rate: Decimal
    upfront_fee_rate: Decimal


def _is_real(value: object) -> TypeGuard[int | float | np.integer[Any] | np.floating[Any]]:
    """Whether ``value`` is a real number (bools and strings are not)."""
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def _number(name: str, value: object) -> float:
    if not _is_real(value):
        raise SpecError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise SpecError(f"{name} must be finite, got {value!r}")
    return number


def _rate(name: str, value: object, *, below_one: bool = True) -> Decimal:
    """A finite rate >= 0 (and < 1 unless ``below_one`` is false) as an exact decimal."""
    number = _number(name, value)
    if number < 0 or (below_one and number >= 1):
        interval = "in [0, 1)" if below_one else ">= 0"
        raise SpecError(f"{name} must be a rate {interval}, got {value!r}")
    return Decimal(repr(number))


def _day(value: object) -> int | None:
    """An integer day (ints, or floats without a fractional part), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    return None


def _check_principal(principal: object, name: str = "principal") -> int:
    """``principal`` in integer fen, or :class:`SpecError` if not a positive whole-fen amount."""
    number = _number(name, principal)
    cents = _fen(number)
    if number <= 0 or cents is None:
        raise SpecError(
            f"{name} must be a positive amount in whole fen (0.01 yuan), got {principal!r}"
        )
    if cents > MAX_FEN:
        raise SpecError(f"{name} must be at most {_MAX_YUAN} yuan ({_MAX_WHY}), got {principal!r}")
    return cents


def _check_loan(
    principal: float, rate: float, n: int, fee_rate: float, upfront_fee_rate: float
) -> _Loan:
    cents = _check_principal(principal)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise SpecError(f"the number of instalments must be an integer >= 1, got {n!r}")
    if cents < n:
        raise SpecError(
            f"principal must be at least one fen per instalment ({n / 100:.2f} for {n}), "
            f"got {principal!r}"
        )
    return _Loan(
        principal=cents,
        n=int(n),
        rate=_rate("monthly_rate", rate),
        fee_rate=_rate("monthly_fee_rate", fee_rate),
        upfront_fee_rate=_rate("upfront_fee_rate", upfront_fee_rate),
    )


def _parse_events(events: Iterable[tuple[int, float]]) -> list[tuple[int, int]]:
    """Validate revolving events into (day, amount in fen), naming the rows at fault."""
    try:
        items = list(events)
    except TypeError:
        raise SpecError(
            f"events must be a sequence of (day, amount) pairs, got {events!r}"
        ) from None
    pairs: list[tuple[object, object]] = []
    not_pairs: list[int] = []
    for i, item in enumerate(items):
        try:
            day, amount = item
        except (TypeError, ValueError):
            not_pairs.append(i)
            continue
        pairs.append((day, amount))
    if not_pairs:
        raise SpecError("each event must be a (day, amount) pair", table="events", rows=not_pairs)
    days = [_day(d) for d, _ in pairs]
    bad_days = [i for i, d in enumerate(days) if d is None or d < 0]
    if bad_days:
        raise SpecError("days must be integers >= 0", table="events", column="day", rows=bad_days)
    late = [i for i, d in enumerate(days) if d is not None and d > _MAX_DAY]
    if late:
        raise SpecError(
            "days must be at most 2**63 - 1 (int64)", table="events", column="day", rows=late
        )
    problems: dict[str, list[int]] = {
        "finite numbers": [],
        "non-zero": [],
        "in whole fen": [],
        f"at most {_MAX_YUAN} yuan ({_MAX_WHY})": [],
    }
    fen: list[int] = []
    for i, (_, value) in enumerate(pairs):
        if not _is_real(value) or not math.isfinite(float(value)):
            problems["finite numbers"].append(i)
            continue
        cents = _fen(float(value))
        if cents is None:
            problems["in whole fen"].append(i)
        elif abs(cents) > MAX_FEN:
            problems[f"at most {_MAX_YUAN} yuan ({_MAX_WHY})"].append(i)
        elif cents == 0:
            problems["non-zero"].append(i)
        else:
            fen.append(cents)
    for what, rows in problems.items():
        if rows:
            raise SpecError(f"amounts must be {what}", table="events", column="amount", rows=rows)
    return [(d, a) for d, a in zip(days, fen) if d is not None]
