"""Money in integer fen for the schedules (private): bounds, half-up arithmetic, rows.

The schedule constructors of :mod:`thinfile_credit.pricing.schedules` compute in integer
fen with rates as exact decimals (its docstring states the money convention). This module
holds the int64 bounds a schedule can hold (:data:`MAX_FEN`, re-exported by
``schedules``, and the largest day offset); the 60-digit decimal context; half-up
rounding of a decimal and of ``fen * rate``; the conversion of a yuan amount to whole fen;
and the (principal, interest) rows of level-payment and level-principal repayment.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

#: The largest amount, in fen, a schedule holds (int64): 92,233,720,368,547,758.07 yuan.
MAX_FEN = 2**63 - 1
#: The largest day offset a schedule holds (int64).
_MAX_DAY = 2**63 - 1

# Exact decimal arithmetic for money: 60 digits never round a fen amount times a rate.
_CTX = Context(prec=60, rounding=ROUND_HALF_UP)
#: MAX_FEN in yuan, for messages.
_MAX_YUAN = f"{MAX_FEN // 100:,}.{MAX_FEN % 100:02d}"
# An input amount is whole fen when it is within this many fen of one (float noise such
# as 0.1 + 0.2 passes; 0.001 yuan does not).
_FEN_TOLERANCE = Decimal("1e-6")


def _fen(value: float) -> int | None:
    """``value`` yuan in integer fen, or None when it is not a whole number of fen."""
    cents = _CTX.multiply(Decimal(repr(float(value))), 100)
    whole = _to_int(cents)
    return whole if abs(cents - whole) <= _FEN_TOLERANCE else None


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
