"""Repayment schedules: equal instalment, equal principal, flat fee, bullet and revolving.

Money convention
----------------
Amounts are Python floats in yuan holding **whole fen** (0.01 yuan). Amounts passed in
(principal, drawdowns, repayments) must already be whole fen: a sub-fen amount raises
:class:`~thinfile_credit.errors.SpecError` instead of being rounded away. No amount -
principal, drawdown, total repaid - may exceed :data:`MAX_FEN` fen (¥10 trillion), nor
a day offset 2**63 - 1: beyond them a :class:`~thinfile_credit.errors.SpecError` is
raised. The bound is what float yuan hold exactly: up to it every amount reads back as
its fen (``round(amount * 100)``), while above about 2**46 yuan (7.0e13) neighbouring
floats lie more than a fen apart and rows would no longer add up to the principal.
Totals (interest, fees, cost, repayable) are exact decimal sums of the rows. Schedules are
computed in integer fen, with rates read as written (``Decimal(repr(rate))``) and every
rounding half-up (``ROUND_HALF_UP``, the rule on Chinese bank statements), so ``0.125``
becomes ``0.13`` rather than banker's ``0.12``.

* **Interest** of every instalment row is the interest accrued on the principal owed at
  the start of that month, ``round_half_up(balance_before * monthly_rate)``. No row
  carries a rounding plug, so no row charges interest on a balance already repaid.
* **Fees** are ``round_half_up(principal * rate)``: each month for a monthly fee (on the
  *original* principal), once at disbursement for an upfront fee.
* **Principal** is repaid by the method's rule (below) and the **last instalment repays
  whatever principal is still owed, plus that month's accrued interest**. The balance
  reaches zero on the last row and never before; no amount is negative.
* **Equal instalment.** The level payment is the closed-form annuity ``A`` rounded
  half-up to the fen, or one fen less when that would repay the loan before the last
  month (a fen a month compounds over long terms). The last payment absorbs the
  compounded rounding: with ``s = ((1 + r)**n - 1) / r`` (``s = n`` at ``r = 0``) and
  ``A'`` the level payment, ``|last - A| <= (0.005 + |A' - A|) * s``. It is a fen or two
  for the usual terms (¥1,000 at 2 %/month over 12 months: 94.56 a month, last 94.54) but
  large for long terms at high rates (over 360 months, ¥1,000 at 2 %/month pays a level
  ¥20.01 and a last ¥445.53: one fen a month compounds at 2 % for 30 years).
* **Total interest** is the sum of the rows' interest, the interest actually charged. For
  equal instalments it differs from the closed form ``n * A - P`` by at most
  ``0.005 * s + |A' - A| * (s - n)`` (the tests check this bound); e.g. ¥134.70 against
  the calculators' ¥134.72 for ¥1,000 at 2 %/month over 12 months. For equal principal it
  is within ``n * (0.005 + 0.01 * r * n)`` of ``P * r * (n + 1) / 2``; for a bullet loan
  it is exactly ``n * round_half_up(P * r)``.

APRs are computed on the rounded cash flows the borrower actually pays.

Examples
--------
>>> s = equal_instalment(1000, 0.02, 12)
>>> float(s.payment[0]), float(s.payment[-1]), s.total_interest
(94.56, 94.54, 134.7)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.pricing._loan_terms import (
    _check_loan,
    _day,
    _is_real,
    _Loan,
    _parse_events,
    _rate,
)
from thinfile_credit.pricing._money import (
    _CTX,
    _MAX_DAY,
    _MAX_WHY,
    _MAX_YUAN,
    MAX_FEN,
    _amortise,
    _cents,
    _level_principal,
    _times,
    _to_int,
    _total,
)

__all__ = [
    "DAYS_PER_MONTH",
    "MAX_FEN",
    "Schedule",
    "bullet",
    "equal_instalment",
    "equal_principal",
    "flat_fee",
    "revolving",
    "round_fen",
]

#: Day offset of month ``k`` in the schedules: 30-day months (a 360-day loan year), the
#: convention of most Chinese instalment products; only revolving ledgers count real days.
DAYS_PER_MONTH = 30

FloatArray = NDArray[np.float64]


def round_fen(amount: float) -> float:
    """Round a yuan amount half-up to the fen.

    Raises
    ------
    DataError
        If ``amount`` is not a finite number, or beyond :data:`MAX_FEN` fen either side
        of zero.

    Examples
    --------
    >>> round_fen(0.125), round_fen(94.55959)
    (0.13, 94.56)
    """
    if not _is_real(amount) or not math.isfinite(float(amount)):
        raise DataError(f"cannot round {amount!r} to the fen: not a finite number")
    cents = _cents(amount)
    if abs(cents) > MAX_FEN:
        raise DataError(f"cannot round {amount!r} to the fen: beyond {_MAX_YUAN} yuan ({_MAX_WHY})")
    return float(Decimal(_to_int(cents)).scaleb(-2))


@dataclass(frozen=True)
class Schedule:
    """A repayment schedule: one row per instalment (or per repayment for revolving).

    Parameters
    ----------
    kind : str
        ``"equal_instalment"``, ``"equal_principal"``, ``"flat_fee"``, ``"bullet"`` or
        ``"revolving"``.
    principal : float
        Amount lent (for revolving: the total drawn).
    day : ndarray of int
        Day offset of each payment from disbursement.
    principal_paid, interest, fee, payment, balance : ndarray of float
        Per-row principal repaid, interest, fees, total payment and principal still owed
        after the payment.
    upfront_fee : float, default 0
        Fee deducted or charged at disbursement (day 0); part of the cost of credit.
    draws : tuple of (day, amount), default ()
        Revolving only: each drawdown; for instalment loans the single draw is implied.

    Examples
    --------
    >>> s = bullet(1000, 0.01, 3)
    >>> s.payment.tolist()
    [10.0, 10.0, 1010.0]
    >>> s.to_frame().columns.tolist()
    ['instalment_no', 'day', 'principal', 'interest', 'fee', 'payment', 'balance']
    """

    kind: str
    principal: float
    day: NDArray[np.int64]
    principal_paid: FloatArray
    interest: FloatArray
    fee: FloatArray
    payment: FloatArray
    balance: FloatArray
    upfront_fee: float = 0.0
    draws: tuple[tuple[int, float], ...] = field(default=())

    @property
    def n_payments(self) -> int:
        """Number of payment rows."""
        return len(self.payment)

    @property
    def total_interest(self) -> float:
        """Interest over the life of the loan (the sum of the rows' interest), yuan."""
        return _total(self.interest)

    @property
    def total_fees(self) -> float:
        """Every fee, upfront and periodic, yuan."""
        return _total(self.fee, self.upfront_fee)

    @property
    def total_cost(self) -> float:
        """Total cost of credit: interest plus every fee, yuan."""
        return _total(self.interest, self.fee, self.upfront_fee)

    @property
    def total_repayable(self) -> float:
        """Principal plus total cost, yuan."""
        return _total(self.principal, self.interest, self.fee, self.upfront_fee)

    def cashflows(self) -> tuple[FloatArray, NDArray[np.int64]]:
        """The borrower's cash flows seen by the lender, with their day offsets.

        Day 0 carries ``-principal + upfront_fee`` (money out net of the fee kept);
        each later row carries the payment received. Revolving draws are negative
        flows on their own days. Same-day flows are netted.

        Returns
        -------
        (amounts, days) : (ndarray, ndarray)
            Sorted by day.
        """
        draws = self.draws or ((0, self.principal),)
        days = [d for d, _ in draws] + [0] + self.day.tolist()
        amounts = [-a for _, a in draws] + [self.upfront_fee] + self.payment.tolist()
        d = np.asarray(days, dtype=np.int64)
        a = np.asarray(amounts, dtype=np.float64)
        uniq, inverse = np.unique(d, return_inverse=True)
        netted = np.zeros(len(uniq))
        np.add.at(netted, inverse, a)
        return netted, uniq

    def to_frame(self) -> Any:
        """The schedule as a pandas DataFrame (one row per payment)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "instalment_no": np.arange(1, self.n_payments + 1),
                "day": self.day,
                "principal": self.principal_paid,
                "interest": self.interest,
                "fee": self.fee,
                "payment": self.payment,
                "balance": self.balance,
            }
        )


def equal_instalment(
    principal: float,
    monthly_rate: float,
    n_months: int,
    *,
    monthly_fee_rate: float = 0.0,
    upfront_fee_rate: float = 0.0,
) -> Schedule:
    """Equal instalment (等额本息): a level monthly payment of principal plus interest.

    Each month's interest is accrued on the balance owed at its start; the level payment
    is the annuity rounded to the fen (one fen less if that would repay the loan early)
    and the last payment repays what is still owed plus its interest. See the module
    docstring for how far the last payment and the total interest can move from the
    closed form.

    Parameters
    ----------
    principal : float
        Amount lent, yuan, in whole fen (at least one fen per instalment).
    monthly_rate : float
        Interest per month on the outstanding balance (0.02 = 2 %/month).
    n_months : int
        Number of monthly instalments.
    monthly_fee_rate : float, default 0
        Flat fee per month on the *original* principal, added to each payment.
    upfront_fee_rate : float, default 0
        Fee at disbursement as a share of principal.

    Returns
    -------
    Schedule

    Raises
    ------
    SpecError
        On a principal that is not a positive whole-fen amount (of at most
        :data:`MAX_FEN` fen), a rate outside [0, 1), a term that is not an integer >= 1,
        or a schedule repaying more than :data:`MAX_FEN` fen in all.

    Examples
    --------
    >>> s = equal_instalment(1000, 0.02, 12)
    >>> s.payment[:2].tolist(), float(s.payment[-1]), s.total_interest
    ([94.56, 94.56], 94.54, 134.7)
    """
    loan = _check_loan(principal, monthly_rate, n_months, monthly_fee_rate, upfront_fee_rate)
    p, n, r = loan.principal, loan.n, float(loan.rate)
    # Annuity factor sum((1 + r) ** -k, k = 1..n): expm1/log1p keep it exact for small
    # rates; below 1e-12 (down to 0 and subnormals) its series is exact to the last bit.
    factor = -math.expm1(-n * math.log1p(r)) / r if r >= 1e-12 else n * (1 - (n + 1) * r / 2)
    exact = p / 100 / factor
    # Never below the first month's interest: a float annuity within noise of a half-fen
    # could round below it, and the balance would then grow (negative amortisation).
    level = max(_to_int(_CTX.multiply(Decimal(repr(exact)), 100)), _times(p, loan.rate))
    rows = _amortise(p, loan.rate, n, level)
    while rows is None:
        # The rounded-up payment would repay the loan before the last month; a fen less
        # provably does not (its shortfall outweighs any interest rounding), and at the
        # interest-only payment the balance never falls, so this ends.
        level -= 1
        rows = _amortise(p, loan.rate, n, level)
    return _build("equal_instalment", loan, rows)


def equal_principal(
    principal: float,
    monthly_rate: float,
    n_months: int,
    *,
    monthly_fee_rate: float = 0.0,
    upfront_fee_rate: float = 0.0,
) -> Schedule:
    """Equal principal (等额本金): the same principal each month plus interest on the balance.

    Payments fall over time. Each month repays ``principal / n`` truncated to the fen;
    the remaining ``principal mod n`` fen are repaid one fen each with the last
    instalments, so principal parts differ by at most a fen and sum to the amount lent.
    Parameters as in :func:`equal_instalment`.

    Examples
    --------
    >>> s = equal_principal(1200, 0.01, 12)
    >>> float(s.payment[0]), float(s.payment[-1]), s.total_interest
    (112.0, 101.0, 78.0)
    >>> equal_principal(1000, 0.01, 3).principal_paid.tolist()
    [333.33, 333.33, 333.34]
    """
    loan = _check_loan(principal, monthly_rate, n_months, monthly_fee_rate, upfront_fee_rate)
    rows = []
    balance = loan.principal
    for paid in _level_principal(loan.principal, loan.n):
        rows.append((paid, _times(balance, loan.rate)))
        balance -= paid
    return _build("equal_principal", loan, rows)


def flat_fee(
    principal: float,
    monthly_fee_rate: float,
    n_months: int,
    *,
    upfront_fee_rate: float = 0.0,
) -> Schedule:
    """Flat-fee instalments: principal / n each month plus a fee on the original principal.

    The headline "0.6 % a month" of such products hides an IRR APR roughly twice the
    simple figure, because the fee is charged on principal already repaid. Principal is
    split as in :func:`equal_principal`.

    Examples
    --------
    >>> s = flat_fee(1200, 0.006, 12)
    >>> float(s.payment[0]), s.total_fees
    (107.2, 86.4)
    """
    loan = _check_loan(principal, 0.0, n_months, monthly_fee_rate, upfront_fee_rate)
    rows = [(paid, 0) for paid in _level_principal(loan.principal, loan.n)]
    return _build("flat_fee", loan, rows)


def bullet(
    principal: float,
    monthly_rate: float,
    n_months: int,
    *,
    monthly_fee_rate: float = 0.0,
    upfront_fee_rate: float = 0.0,
) -> Schedule:
    """Bullet (先息后本): interest every month, all principal with the last payment.

    Every month charges the interest accrued on the full principal,
    ``round_half_up(principal * monthly_rate)``, so total interest is ``n`` times that.

    Examples
    --------
    >>> bullet(1000, 0.01, 3).total_interest
    30.0
    """
    loan = _check_loan(principal, monthly_rate, n_months, monthly_fee_rate, upfront_fee_rate)
    interest = _times(loan.principal, loan.rate)
    rows = [(0, interest)] * (loan.n - 1) + [(loan.principal, interest)]
    return _build("bullet", loan, rows)


def revolving(
    events: Iterable[tuple[int, float]],
    daily_rate: float,
    *,
    repay_all_on: int | None = None,
) -> Schedule:
    """Daily-interest revolving credit (随借随还): borrow any day, repay any day.

    Interest accrues each day at ``daily_rate`` on the principal outstanding at the end
    of the previous day (simple daily interest, not compounded). Accrual is kept
    **unrounded**; a repayment is charged the accrued interest rounded half-up to the fen
    (the sub-fen remainder, either sign, carries forward), then repays principal. So the
    interest of a ledger that ends at zero is the exact simple daily interest rounded to
    the fen, however the period is split into events.

    Parameters
    ----------
    events : iterable of (day, amount)
        Positive amounts are drawdowns, negative amounts are repayments, in whole fen,
        on integer days (>= 0, non-decreasing) counted from the line's opening. Amounts
        must be finite and non-zero.
    daily_rate : float
        Interest per day (0.0005 = 0.05 %/day, an 18.25 % simple annual rate).
    repay_all_on : int, optional
        Settle everything owed (interest and principal) on this day, as when a
        borrower closes the line; not before the last event. Without it the ledger must
        already end at zero.

    Returns
    -------
    Schedule
        One row per repayment (``balance`` is the principal still owed after it);
        ``draws`` holds the drawdowns.

    Raises
    ------
    SpecError
        Naming ``events.day`` / ``events.amount`` and the offending rows (positions in
        ``events``): a day that is not an integer in ``[0, 2**63)`` or goes backwards, an
        amount that is not a finite, non-zero, whole-fen number of at most
        :data:`MAX_FEN` fen, a ledger not starting with a drawdown, a repayment exceeding
        what is owed, or debt left unpaid; also a ``repay_all_on`` that is not such a
        day, and a ledger repaying more than :data:`MAX_FEN` fen in all.

    Examples
    --------
    >>> s = revolving([(0, 1000.0)], 0.0005, repay_all_on=30)
    >>> s.interest.tolist(), s.payment.tolist()
    ([15.0], [1015.0])
    """
    rate = _rate("daily_rate", daily_rate, below_one=False)
    ev = _parse_events(events)
    if not ev or ev[0][1] <= 0:
        raise SpecError(
            "a revolving ledger must start with a drawdown", table="events", column="amount"
        )
    backwards = [i + 1 for i, (a, b) in enumerate(itertools.pairwise(ev)) if b[0] < a[0]]
    if backwards:
        raise SpecError(
            "days must be in non-decreasing order", table="events", column="day", rows=backwards
        )
    settle_day: int | None = None
    if repay_all_on is not None:
        settle_day = _day(repay_all_on)
        if settle_day is None or not ev[-1][0] <= settle_day <= _MAX_DAY:
            raise SpecError(
                f"repay_all_on must be an integer day (at most 2**63 - 1) on or after the "
                f"last event (day {ev[-1][0]}), got {repay_all_on!r}"
            )
    # (position in events or -1 for the settlement, day, amount in fen, settle everything)
    steps = [(i, d, a, False) for i, (d, a) in enumerate(ev)]
    if settle_day is not None:
        steps.append((-1, settle_day, 0, True))

    owed, accrued, last_day = 0, Decimal(0), ev[0][0]  # fen; accrued interest unrounded
    drawn = 0
    draws: list[tuple[int, float]] = []
    out_day: list[int] = []
    rows: list[tuple[int, int]] = []
    balance: list[int] = []
    for pos, day, amount, settle in steps:
        accrued = _CTX.add(accrued, _CTX.multiply(_CTX.multiply(owed, rate), day - last_day))
        last_day = day
        if amount > 0:
            draws.append((day, amount / 100))
            drawn += amount
            owed += amount
            continue
        due = _to_int(accrued) if accrued > 0 else 0  # interest posted, to the fen
        if settle and owed + due == 0:
            continue  # nothing left to settle
        pay = owed + due if settle else -amount
        if pay > owed + due:
            raise SpecError(
                f"repayment of {pay / 100:.2f} on day {day} exceeds the "
                f"{(owed + due) / 100:.2f} owed",
                table="events",
                column="amount",
                rows=[pos],
            )
        interest = min(due, pay)
        accrued = _CTX.subtract(accrued, interest)
        owed -= pay - interest
        out_day.append(day)
        rows.append((pay - interest, interest))
        balance.append(owed)
    left = owed + (_to_int(accrued) if accrued > 0 else 0)
    if left > 0:
        raise SpecError(
            f"the revolving ledger leaves {left / 100:.2f} unpaid; pass repay_all_on=",
            table="events",
            column="amount",
        )
    loan = _Loan(drawn, len(rows), rate, Decimal(0), Decimal(0))
    return _build("revolving", loan, rows, day=out_day, balance=balance, draws=tuple(draws))


# --- helpers ----------------------------------------------------------------------------
def _build(
    kind: str,
    loan: _Loan,
    rows: list[tuple[int, int]],
    day: list[int] | None = None,
    balance: list[int] | None = None,
    draws: tuple[tuple[int, float], ...] = (),
) -> Schedule:
    """Assemble a schedule from (principal, interest) rows in fen.

    Every amount is non-negative, so the total repaid bounds each row, each running sum
    and the principal: when it is within :data:`MAX_FEN`, so is every array below.
    """
    fee_fen = _times(loan.principal, loan.fee_rate)
    upfront = _times(loan.principal, loan.upfront_fee_rate)
    total = sum(p + i for p, i in rows) + fee_fen * len(rows) + upfront
    if max(total, loan.principal) > MAX_FEN:
        raise SpecError(
            f"the {kind} schedule would repay {_CTX.divide(total, 100):.6E} yuan, beyond the "
            f"{_MAX_YUAN} yuan ({_MAX_WHY}) a schedule can hold: lower the amount, rate or "
            "term"
        )
    paid = np.array([p for p, _ in rows], dtype=np.int64)
    interest = np.array([i for _, i in rows], dtype=np.int64)
    fee = np.full(len(rows), fee_fen, dtype=np.int64)
    owed = loan.principal - np.cumsum(paid) if balance is None else np.array(balance, np.int64)
    days = day if day is not None else [DAYS_PER_MONTH * (k + 1) for k in range(len(rows))]
    return Schedule(
        kind=kind,
        principal=loan.principal / 100,
        day=np.asarray(days, dtype=np.int64),
        principal_paid=paid / 100,
        interest=interest / 100,
        fee=fee / 100,
        payment=(paid + interest + fee) / 100,
        balance=owed / 100,
        upfront_fee=upfront / 100,
        draws=draws,
    )
