"""Money in integer fen for the schedules (private): bounds, half-up arithmetic, rows.

The schedule constructors of :mod:`thinfile_credit.pricing.schedules` compute in integer
fen with rates as exact decimals (its docstring states the money convention). This module
holds the bounds a schedule can hold (:data:`MAX_FEN`, re-exported by ``schedules``, and
the largest day offset); the 60-digit decimal context; half-up rounding of a decimal and
of ``fen * rate``; the conversion of a yuan amount to whole fen and back; exact totals of
yuan amounts; and the (principal, interest) rows of level-payment and level-principal
repayment.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

import numpy as np

#: The largest amount, in fen, a schedule holds: ¥10,000,000,000,000.00 (ten trillion).
#: Schedules hand amounts out as float yuan, and a float holds every whole fen exactly
#: only up to about 2**46 yuan (7.0e13): above it neighbouring floats are more than a fen
#: apart, so fen would be lost (an ¥1e15 loan's rows summed to two fen short). Up to
#: 10**15 fen every amount ``k / 100`` reads back as exactly ``k`` fen, by its repr or by
#: ``round(amount * 100)`` (the float error stays below 0.23 fen).
MAX_FEN = 10**15
#: The largest day offset a schedule holds (int64).
_MAX_DAY = 2**63 - 1

# Exact decimal arithmetic for money: 60 digits never round a fen amount times a rate.
_CTX = Context(prec=60, rounding=ROUND_HALF_UP)
#: MAX_FEN in yuan, for messages.
_MAX_YUAN = f"{MAX_FEN // 100:,}.{MAX_FEN % 100:02d}"
#: Why amounts stop there, for messages.
_MAX_WHY = "the largest amount float yuan hold to the fen"
# An input amount is whole fen when it is within this many fen of one (float noise such
# as 0.1 + 0.2 passes; 0.001 yuan does not).
_FEN_TOLERANCE = Decimal("1e-6")


def _cents(value: Any) -> Decimal:
    """``value`` yuan in fen, exactly as its float's repr reads (not rounded)."""
    return _CTX.multiply(Decimal(repr(float(value))), 100)


def _fen(value: float) -> int | None:
    """``value`` yuan in integer fen, or None when it is not a whole number of fen."""
    cents = _cents(value)
    whole = _to_int(cents)
    return whole if abs(cents - whole) <= _FEN_TOLERANCE else None


def _fen_of(amount: Any) -> int:
    """A whole-fen yuan amount from a schedule (a float up to :data:`MAX_FEN` fen) in fen,
    exactly: its repr is the amount to the fen."""
    return _to_int(_cents(amount))


def _total(*amounts: Iterable[Any] | float) -> float:
    """The exact sum of yuan amounts (floats or arrays of them), rounded half-up to the fen.

    Summed as decimals, not floats: a float sum of many large amounts drifts by more than
    half a fen, and the totals a borrower is shown must not.
    """
    total = Decimal(0)
    for part in amounts:
        for value in np.ravel(np.asarray(part, dtype=np.float64)).tolist():
            total = _CTX.add(total, Decimal(repr(value)))
    return float(total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP, context=_CTX))


def _to_int(amount: Decimal) -> int:
    """Round a decimal half-up to an integer (fen)."""
    return int(amount.to_integral_value(rounding=ROUND_HALF_UP))


def _times(cents: int, rate: Decimal) -> int:
    """``cents * rate`` rounded half-up to the fen."""
    return _to_int(_CTX.multiply(cents, rate))


def _amortise(principal: int, rate: Decimal, n: int, level: int) -> list[tuple[int, int]] | None:
    """Rows (principal, interest) in fen paying ``level`` a month, or None if that repays
    the loan before the last month."""
    balance = principal
    rows: list[tuple[int, int]] = []
    for _ in range(n - 1):
        interest = _times(balance, rate)
        paid = level - interest
        if paid >= balance:
            return None
        rows.append((paid, interest))
        balance -= paid
    rows.append((balance, _times(balance, rate)))
    return rows


def _level_principal(principal: int, n: int) -> list[int]:
    """``principal`` fen in ``n`` parts: the truncated share, a fen more for the last ones."""
    share, extra = divmod(principal, n)
    return [share] * (n - extra) + [share + 1] * extra
