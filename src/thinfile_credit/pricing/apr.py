"""All-in APR by internal rate of return over every cash flow, plus the labelled simple rate.

The **APR** (annual percentage rate) of a schedule is the IRR of the lender's cash flows
(money out at disbursement net of any upfront fee, every payment back, every fee) per
period, annualised two ways:

* **nominal** ``= periods_per_year * periodic IRR`` — the figure Chinese disclosure rules
  call the 年化利率 under the IRR method and the one compared with the 24 % cap;
* **effective** ``= (1 + periodic IRR) ** periods_per_year - 1`` — compounded (EAR).

The **simple-interest rate** (total cost / principal / term in years) is what "0.6 % a
month" advertising implies. It is reported *only* with that label: on an amortising loan
it understates the true cost by roughly half. The principal is the amount contracted
(:attr:`Schedule.principal`, for a revolving ledger the total drawn), *not* net of an
upfront fee: the fee is already part of the total cost, and the conventional 单利 figure
divides by the contract amount. The term runs from disbursement to the last payment
(30-day months and 360-day years for instalment loans, 365-day years for revolving).

Examples
--------
>>> from thinfile_credit.pricing.schedules import flat_fee
>>> a = apr(flat_fee(1000, 0.006, 12))
>>> round(a.nominal, 4), round(a.simple_interest_rate, 4)
(0.1303, 0.072)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.pricing.schedules import DAYS_PER_MONTH, Schedule
from thinfile_credit.scale import real_numbers

__all__ = ["APR", "apr", "effective_annual_rate", "irr"]

_WHAT = "cash flows and their times"


@dataclass(frozen=True)
class APR:
    """The annualised cost of a schedule.

    Parameters
    ----------
    periodic_rate : float
        IRR per period (a month for instalment loans, a day for revolving ledgers).
    periods_per_year : int
        12 or 365.
    nominal : float
        ``periods_per_year * periodic_rate`` — the IRR APR.
    effective : float
        ``(1 + periodic_rate) ** periods_per_year - 1``.
    simple_interest_rate : float
        Total cost / principal / years, with the principal as contracted (for revolving,
        the total drawn), not net of an upfront fee. **Not an APR**; shown only with this
        label.

    Examples
    --------
    >>> from thinfile_credit.pricing.schedules import equal_instalment
    >>> round(apr(equal_instalment(1000, 0.02, 12)).nominal, 4)
    0.24
    """

    periodic_rate: float
    periods_per_year: int
    nominal: float
    effective: float
    simple_interest_rate: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-data representation."""
        return asdict(self)


def apr(schedule: Schedule) -> APR:
    """IRR APR (nominal and effective) and the labelled simple rate of a schedule.

    Instalment schedules are solved per 30-day month (12 periods a year); revolving
    ledgers per day (365 a year), matching how each product's rate is quoted.

    Parameters
    ----------
    schedule : Schedule
        From :mod:`thinfile_credit.pricing.schedules`.

    Returns
    -------
    APR
        An interest- and fee-free schedule has an APR of exactly 0.

    Raises
    ------
    SpecError
        If ``schedule`` is not a :class:`~thinfile_credit.pricing.schedules.Schedule`.

    Examples
    --------
    >>> from thinfile_credit.pricing.schedules import equal_principal, revolving
    >>> apr(equal_principal(1000, 0.0, 12)).nominal
    0.0
    >>> a = apr(revolving([(0, 1000.0)], 0.0005, repay_all_on=30))
    >>> round(a.nominal, 4)   # 1.5 % simple over 30 days is 0.0497 %/day compounded
    0.1812

    The simple rate divides by the amount contracted; an upfront fee is a cost, not a
    smaller principal:

    >>> from thinfile_credit.pricing.schedules import flat_fee
    >>> round(apr(flat_fee(1000, 0.006, 12, upfront_fee_rate=0.02)).simple_interest_rate, 4)
    0.092
    """
    if not isinstance(schedule, Schedule):
        raise SpecError(
            "apr needs a Schedule (from thinfile_credit.pricing.schedules or "
            f"Product.schedule), got {type(schedule).__name__} {schedule!r:.60}"
        )
    amounts, days = schedule.cashflows()
    if schedule.kind == "revolving":
        period_days, per_year, year_days = 1, 365, 365
    else:
        period_days, per_year, year_days = DAYS_PER_MONTH, 12, 360
    rate = irr(amounts, days / period_days)
    if schedule.total_cost == 0:
        # Nothing paid beyond the principal: the flows sum to zero and the rate is exactly
        # 0, not the solver's noise (-4e-18 would reach a borrower as "-0.00%").
        rate = 0.0
    years = float(days.max()) / year_days
    # The amount contracted (total drawn for revolving), not net of an upfront fee.
    simple = schedule.total_cost / schedule.principal / years if years > 0 else math.inf
    return APR(
        periodic_rate=rate,
        periods_per_year=per_year,
        nominal=rate * per_year,
        effective=(1.0 + rate) ** per_year - 1.0,
        simple_interest_rate=simple,
    )


def irr(amounts: ArrayLike, times: ArrayLike | None = None) -> float:
    """Internal rate of return per period of cash flows at (possibly fractional) times.

    Solves ``sum(a_i * (1 + r) ** -t_i) = 0`` by Brent's method in ``ln(1 + r)`` on a
    bracket found by expansion, to about 1e-15 precision. The rate does not depend on the
    flows' scale, so they are scaled (by a power of two, exactly) to the largest one first:
    subnormal or huge amounts give the rate of their ratios rather than underflow.

    Parameters
    ----------
    amounts : array-like
        Cash flows (numbers); at least one negative and one positive.
    times : array-like, optional
        Period offsets of ``amounts`` (numbers; default 0, 1, 2, ...).

    Returns
    -------
    float

    Raises
    ------
    DataError
        If the flows do not change sign, are not finite, have no root, or either array
        holds text, booleans or other non-numbers (``column`` is ``"amounts"`` or
        ``"times"``, ``rows`` their positions): text is never read as a number.

    Examples
    --------
    >>> round(irr([-100, 110]), 10)
    0.1
    """
    a = real_numbers(amounts, "amounts", _WHAT)
    t = (
        np.arange(len(a), dtype=np.float64)
        if times is None
        else real_numbers(times, "times", _WHAT)
    )
    if a.ndim != 1 or t.shape != a.shape:
        raise DataError("cash flows and their times must be 1-d arrays of equal length")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(t))):
        raise DataError("cash flows and times must be finite")
    if not (np.any(a < 0) and np.any(a > 0)):
        raise DataError("cash flows must contain both a negative and a positive amount")
    # The rate is scale-free: scaling by a power of two (exact) keeps subnormal or huge
    # flows from underflowing or overflowing in the sums below.
    a = np.ldexp(a, -int(np.frexp(np.max(np.abs(a)))[1]))
    t = t - t.min()

    t_max = float(t.max())

    def npv(x: float) -> float:
        # Solve in x = ln(1 + r): NPV = sum(a * exp(-t x)). Multiplying by exp(t_max x)
        # when x < 0 keeps every exponent <= 0 (no overflow) without moving the root.
        shift = t_max if x < 0 else 0.0
        return float(np.sum(a * np.exp(-(t - shift) * x)))

    lo, hi = -0.5, 0.5
    f_lo, f_hi = npv(lo), npv(hi)
    for _ in range(64):
        if (f_lo <= 0.0) != (f_hi < 0.0) or f_lo == 0.0 or f_hi == 0.0:  # signs, not a product
            break
        # Widen both ends: the root may lie on either side of the start.
        lo, hi = lo * 2.0, hi * 2.0
        f_lo, f_hi = npv(lo), npv(hi)
    else:
        raise DataError("no internal rate of return for these cash flows")
    if f_lo == 0.0:
        return math.expm1(lo)
    if f_hi == 0.0:
        return math.expm1(hi)
    root = brentq(npv, lo, hi, xtol=1e-16, rtol=4 * np.finfo(float).eps, maxiter=500)
    return math.expm1(float(root))


def effective_annual_rate(amounts: ArrayLike, days: ArrayLike, day_count: int = 365) -> float:
    """Effective annual rate of dated cash flows (actual/365), as Excel's ``XIRR``.

    Parameters
    ----------
    amounts : array-like
        Cash flows.
    days : array-like
        Day offset of each flow.
    day_count : int, default 365
        Days per year, a positive number.

    Raises
    ------
    SpecError
        If ``day_count`` is not a positive finite number.
    DataError
        As :func:`irr`; ``column="times"`` names the days.

    Examples
    --------
    >>> round(effective_annual_rate([-1000, 1100], [0, 365]), 10)
    0.1
    """
    if (
        isinstance(day_count, bool)
        or not isinstance(day_count, int | float | np.integer | np.floating)
        or not math.isfinite(float(day_count))
        or day_count <= 0
    ):
        raise SpecError(f"day_count must be a positive number of days, got {day_count!r}")
    return irr(amounts, real_numbers(days, "times", _WHAT) / float(day_count))
