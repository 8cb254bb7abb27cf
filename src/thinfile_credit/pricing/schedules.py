"""Repayment schedules: equal instalment, equal principal, flat fee, bullet and revolving.

Money convention
----------------
Amounts are Python floats in yuan, rounded **to the fen (0.01) at schedule level**: each
period's interest, fee and principal is rounded half-up to two decimals, and the **last
instalment absorbs the rounding**: its principal is whatever is still owed (so principal
repaid sums exactly to the amount lent) and its interest makes total interest equal the
exact closed-form figure rounded to the fen (for equal instalments ``n * A - P`` with the
unrounded level payment ``A``), which is what independent loan calculators quote.
Rounding uses :class:`decimal.Decimal` internally (``ROUND_HALF_UP``, the rule on
Chinese bank statements), so ``0.125`` becomes ``0.13`` rather than banker's ``0.12``.
APRs are computed on the rounded cash flows the borrower actually pays.

Examples
--------
>>> s = equal_instalment(1000, 0.02, 12)
>>> float(s.payment[0]), s.total_interest
(94.56, 134.72)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import SpecError

__all__ = [
    "DAYS_PER_MONTH",
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

    Examples
    --------
    >>> round_fen(0.125), round_fen(94.55959)
    (0.13, 94.56)
    """
    return float(Decimal(repr(float(amount))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Schedule:
    """A repayment schedule: one row per instalment (or per ledger day for revolving).

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
        """Interest over the life of the loan, yuan."""
        return round_fen(float(self.interest.sum()))

    @property
    def total_fees(self) -> float:
        """Every fee, upfront and periodic, yuan."""
        return round_fen(float(self.fee.sum()) + self.upfront_fee)

    @property
    def total_cost(self) -> float:
        """Total cost of credit: interest plus every fee, yuan."""
        return round_fen(self.total_interest + self.total_fees)

    @property
    def total_repayable(self) -> float:
        """Principal plus total cost, yuan."""
        return round_fen(self.principal + self.total_cost)

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

    Parameters
    ----------
    principal : float
        Amount lent, yuan (> 0).
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

    Examples
    --------
    >>> s = equal_instalment(1000, 0.02, 12)
    >>> s.payment[:2].tolist(), s.total_interest
    ([94.56, 94.56], 134.72)
    """
    _check_loan(principal, monthly_rate, n_months, monthly_fee_rate, upfront_fee_rate)
    r = float(monthly_rate)
    # expm1/log1p keep the annuity factor exact for tiny rates (no 0/0 near r = 0).
    exact = (
        principal / n_months if r == 0.0 else principal * r / -math.expm1(-n_months * math.log1p(r))
    )
    level = round_fen(exact)
    balance = float(principal)
    rows: list[tuple[float, float]] = []
    for k in range(n_months):
        interest = round_fen(balance * r)
        paid = balance if k == n_months - 1 else round_fen(min(level - interest, balance))
        balance = round_fen(balance - paid)
        rows.append((paid, interest))
    return _build(
        "equal_instalment",
        principal,
        rows,
        monthly_fee_rate,
        upfront_fee_rate,
        exact_interest=exact * n_months - principal,
    )


def equal_principal(
    principal: float,
    monthly_rate: float,
    n_months: int,
    *,
    monthly_fee_rate: float = 0.0,
    upfront_fee_rate: float = 0.0,
) -> Schedule:
    """Equal principal (等额本金): the same principal each month plus interest on the balance.

    Payments fall over time. Parameters as in :func:`equal_instalment`.

    Examples
    --------
    >>> s = equal_principal(1200, 0.01, 12)
    >>> float(s.payment[0]), float(s.payment[-1]), s.total_interest
    (112.0, 101.0, 78.0)
    """
    _check_loan(principal, monthly_rate, n_months, monthly_fee_rate, upfront_fee_rate)
    part = round_fen(principal / n_months)
    balance = float(principal)
    rows: list[tuple[float, float]] = []
    for k in range(n_months):
        interest = round_fen(balance * monthly_rate)
        paid = balance if k == n_months - 1 else min(part, balance)
        balance = round_fen(balance - paid)
        rows.append((paid, interest))
    return _build(
        "equal_principal",
        principal,
        rows,
        monthly_fee_rate,
        upfront_fee_rate,
        exact_interest=principal * monthly_rate * (n_months + 1) / 2.0,
    )


def flat_fee(
    principal: float,
    monthly_fee_rate: float,
    n_months: int,
    *,
    upfront_fee_rate: float = 0.0,
) -> Schedule:
    """Flat-fee instalments: principal / n each month plus a fee on the original principal.

    The headline "0.6 % a month" of such products hides an IRR APR roughly twice the
    simple figure, because the fee is charged on principal already repaid.

    Examples
    --------
    >>> s = flat_fee(1200, 0.006, 12)
    >>> float(s.payment[0]), s.total_fees
    (107.2, 86.4)
    """
    _check_loan(principal, 0.0, n_months, monthly_fee_rate, upfront_fee_rate)
    part = round_fen(principal / n_months)
    balance = float(principal)
    rows: list[tuple[float, float]] = []
    for k in range(n_months):
        paid = balance if k == n_months - 1 else min(part, balance)
        balance = round_fen(balance - paid)
        rows.append((paid, 0.0))
    return _build("flat_fee", principal, rows, monthly_fee_rate, upfront_fee_rate)


def bullet(
    principal: float,
    monthly_rate: float,
    n_months: int,
    *,
    monthly_fee_rate: float = 0.0,
    upfront_fee_rate: float = 0.0,
) -> Schedule:
    """Bullet (先息后本): interest every month, all principal with the last payment.

    Examples
    --------
    >>> bullet(1000, 0.01, 3).total_interest
    30.0
    """
    _check_loan(principal, monthly_rate, n_months, monthly_fee_rate, upfront_fee_rate)
    interest = round_fen(principal * monthly_rate)
    rows = [(0.0, interest)] * (n_months - 1) + [(float(principal), interest)]
    return _build(
        "bullet",
        principal,
        rows,
        monthly_fee_rate,
        upfront_fee_rate,
        exact_interest=principal * monthly_rate * n_months,
    )


def revolving(
    events: Sequence[tuple[int, float]],
    daily_rate: float,
    *,
    repay_all_on: int | None = None,
) -> Schedule:
    """Daily-interest revolving credit (随借随还): borrow any day, repay any day.

    Interest accrues each day at ``daily_rate`` on the principal outstanding at the end
    of the previous day (simple daily interest, not compounded). A repayment settles
    accrued interest first, then principal.

    Parameters
    ----------
    events : sequence of (day, amount)
        Positive amounts are drawdowns, negative amounts are repayments, on integer days
        counted from the first draw (day 0).
    daily_rate : float
        Interest per day (0.0005 = 0.05 %/day, an 18.25 % simple annual rate).
    repay_all_on : int, optional
        Settle everything owed (interest and principal) on this day, as when a
        borrower closes the line. Without it the ledger must already end at zero.

    Returns
    -------
    Schedule
        One row per repayment; ``draws`` holds the drawdowns.

    Raises
    ------
    SpecError
        If a repayment exceeds what is owed, days go backwards, or debt is left.

    Examples
    --------
    >>> s = revolving([(0, 1000.0)], 0.0005, repay_all_on=30)
    >>> s.interest.tolist(), s.payment.tolist()
    ([15.0], [1015.0])
    """
    if not (np.isfinite(daily_rate) and daily_rate >= 0):
        raise SpecError(f"daily_rate must be a finite rate >= 0, got {daily_rate!r}")
    ev = [(int(d), float(a)) for d, a in events]
    if repay_all_on is not None:
        ev.append((int(repay_all_on), float("nan")))  # placeholder: settle all
    if not ev or ev[0][1] <= 0:
        raise SpecError("a revolving ledger must start with a drawdown")
    days = [d for d, _ in ev]
    if any(b < a for a, b in itertools.pairwise(days)) or days[0] < 0:
        raise SpecError("revolving events must be in non-decreasing day order from day 0")
    owed, accrued, last_day = 0.0, 0.0, days[0]
    draws: list[tuple[int, float]] = []
    out_day: list[int] = []
    rows: list[tuple[float, float]] = []
    for day, amount in ev:
        accrued = round_fen(accrued + owed * daily_rate * (day - last_day))
        last_day = day
        if amount > 0:
            draws.append((day, round_fen(amount)))
            owed = round_fen(owed + amount)
            continue
        pay = owed + accrued if np.isnan(amount) else -amount
        if pay > round_fen(owed + accrued) + 1e-9:
            raise SpecError(
                f"repayment of {pay:.2f} on day {day} exceeds {owed + accrued:.2f} owed"
            )
        interest = min(accrued, pay)
        principal_part = round_fen(pay - interest)
        accrued = round_fen(accrued - interest)
        owed = round_fen(owed - principal_part)
        out_day.append(day)
        rows.append((principal_part, interest))
    if owed > 0 or accrued > 0:
        raise SpecError("the revolving ledger leaves debt unpaid; pass repay_all_on=")
    total_drawn = round_fen(sum(a for _, a in draws))
    sched = _build("revolving", total_drawn, rows, 0.0, 0.0, day=out_day)
    return Schedule(
        kind=sched.kind,
        principal=sched.principal,
        day=sched.day,
        principal_paid=sched.principal_paid,
        interest=sched.interest,
        fee=sched.fee,
        payment=sched.payment,
        balance=np.round(total_drawn - np.cumsum(sched.principal_paid), 2),
        draws=tuple(draws),
    )


# --- helpers ----------------------------------------------------------------------------
def _check_loan(
    principal: float, rate: float, n: int, fee_rate: float, upfront_fee_rate: float
) -> None:
    if not (np.isfinite(principal) and principal > 0):
        raise SpecError(f"principal must be a positive amount, got {principal!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise SpecError(f"the number of instalments must be an integer >= 1, got {n!r}")
    for name, value in (
        ("monthly_rate", rate),
        ("monthly_fee_rate", fee_rate),
        ("upfront_fee_rate", upfront_fee_rate),
    ):
        if not (np.isfinite(value) and 0 <= value < 1):
            raise SpecError(f"{name} must be a rate in [0, 1), got {value!r}")


def _build(
    kind: str,
    principal: float,
    rows: list[tuple[float, float]],
    monthly_fee_rate: float,
    upfront_fee_rate: float,
    day: list[int] | None = None,
    exact_interest: float | None = None,
) -> Schedule:
    paid = np.array([p for p, _ in rows], dtype=np.float64)
    interest = np.array([i for _, i in rows], dtype=np.float64)
    if exact_interest is not None and len(rows) > 1:
        # The last instalment absorbs per-period rounding so the total is the exact figure.
        last = round_fen(round_fen(exact_interest) - round_fen(float(interest[:-1].sum())))
        interest[-1] = max(last, 0.0)
    fee = np.full(len(rows), round_fen(principal * monthly_fee_rate))
    payment = np.array([round_fen(p + i + f) for p, i, f in zip(paid, interest, fee)])
    balance = np.array([round_fen(principal - s) for s in np.cumsum(paid)])
    days = np.asarray(
        day if day is not None else [DAYS_PER_MONTH * (k + 1) for k in range(len(rows))],
        dtype=np.int64,
    )
    return Schedule(
        kind=kind,
        principal=round_fen(principal),
        day=days,
        principal_paid=paid,
        interest=interest,
        fee=fee,
        payment=payment,
        balance=balance,
        upfront_fee=round_fen(principal * upfront_fee_rate),
    )
