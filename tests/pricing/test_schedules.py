from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.pricing import (
    bullet,
    equal_instalment,
    equal_principal,
    flat_fee,
    revolving,
    round_fen,
)
from thinfile_credit.pricing.schedules import Schedule


# --- independent reference arithmetic --------------------------------------------------
def fen(amount: float) -> int:
    """A whole-fen float as integer fen."""
    return round(amount * 100)


def accrued(balance: float, rate: float) -> float:
    """Interest accrued on ``balance`` for a month at ``rate``, rounded half-up to the fen
    (the rounding the schedules module documents), computed without the module."""
    exact = Decimal(repr(float(balance))) * Decimal(repr(float(rate)))
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def balance_before(s: Schedule) -> np.ndarray:
    return np.concatenate([[s.principal], s.balance[:-1]])


def annuity(principal: float, rate: float, n: int) -> float:
    """The unrounded level payment, in exact decimal arithmetic (subnormal rates too)."""
    if rate == 0:
        return principal / n
    with localcontext() as ctx:
        ctx.prec = 1200
        r = Decimal(rate)
        return float(Decimal(repr(principal)) * r / (1 - (1 + r) ** -n))


def growth(rate: float, n: int) -> float:
    """``s = ((1 + r)**n - 1) / r``: how a fen a month compounds over the term."""
    return float(n) if rate == 0 else math.expm1(n * math.log1p(rate)) / rate


def assert_well_formed(s: Schedule, principal: float) -> None:
    """Invariants every instalment schedule keeps, in integer fen."""
    n = s.n_payments
    for column in (s.principal_paid, s.interest, s.fee, s.payment, s.balance):
        assert np.all(column >= 0)
        assert np.allclose(np.round(column * 100), column * 100, rtol=0, atol=1e-6)  # fen
    assert sum(fen(p) for p in s.principal_paid) == fen(principal)
    owed = fen(principal) - np.cumsum([fen(p) for p in s.principal_paid])
    assert np.array_equal(owed, [fen(b) for b in s.balance])
    # The balance reaches zero on the last row and never before.
    assert np.all(s.balance[:-1] > 0)
    assert s.balance[-1] == 0
    assert s.principal_paid[-1] > 0
    assert np.array_equal(
        [fen(x) for x in s.payment],
        [fen(p) + fen(i) + fen(f) for p, i, f in zip(s.principal_paid, s.interest, s.fee)],
    )
    assert s.day.tolist() == [30 * (k + 1) for k in range(n)]


def assert_interest_is_accrued(s: Schedule, rate: float) -> None:
    """Every row charges the interest accrued on its opening balance, no more, no less."""
    expected = [accrued(b, rate) for b in balance_before(s)]
    assert s.interest.tolist() == expected


# --- worked examples ---------------------------------------------------------------------
def test_equal_instalment_worked_example() -> None:
    s = equal_instalment(1000, 0.02, 12)
    assert np.all(s.payment[:-1] == 94.56)
    assert s.payment[-1] == 94.54  # 92.69 still owed + 1.85 interest on it
    assert s.interest[0] == 20.0
    assert s.interest[-1] == 1.85
    assert_interest_is_accrued(s, 0.02)
    assert_well_formed(s, 1000)
    # Interest actually charged; calculators' closed form 12 * 94.5596 - 1000 is 134.72.
    assert s.total_interest == 134.70
    assert abs(s.total_interest - (12 * annuity(1000, 0.02, 12) - 1000)) < 0.02


def test_equal_principal_falls() -> None:
    s = equal_principal(1200, 0.01, 12)
    assert np.all(np.diff(s.payment) < 0)
    assert np.all(s.principal_paid == 100.0)
    assert s.total_interest == 78.0
    assert_interest_is_accrued(s, 0.01)


def test_equal_principal_spreads_the_odd_fen_to_the_last_rows() -> None:
    assert equal_principal(1000, 0.01, 3).principal_paid.tolist() == [333.33, 333.33, 333.34]
    s = equal_principal(1000, 0.01, 6)  # 100000 fen = 6 * 16666 + 4
    assert s.principal_paid.tolist() == [166.66] * 2 + [166.67] * 4


def test_bullet_and_flat_fee() -> None:
    s = bullet(1000, 0.01, 6)
    assert s.principal_paid[:-1].sum() == 0
    assert s.principal_paid[-1] == 1000
    f = flat_fee(1000, 0.006, 12)
    assert f.total_fees == 72.0
    assert f.total_interest == 0.0
    assert f.principal_paid.sum() == pytest.approx(1000.0)


def test_bullet_charges_the_same_accrued_interest_every_month() -> None:
    # 333.33 * 1.33 % = 4.433289: 4.43 every month, no plug on the last one.
    s = bullet(333.33, 0.0133, 360)
    assert np.all(s.interest == 4.43)
    assert s.total_interest == round_fen(360 * 4.43)


def test_upfront_fee_counts_in_cost_and_cashflow() -> None:
    s = equal_instalment(1000, 0.01, 6, upfront_fee_rate=0.02)
    amounts, days = s.cashflows()
    assert days[0] == 0
    assert amounts[0] == pytest.approx(-980.0)
    assert s.total_cost == pytest.approx(s.total_interest + 20.0)


# --- long terms: the former last-instalment plug -----------------------------------------
def test_long_term_rounded_up_level_never_repays_early() -> None:
    # The annuity 20.016 rounds up to 20.02, which would repay the loan in month 350 and
    # leave 0.00 rows and a last row of pure "interest" on a zero balance. One fen less
    # keeps every month level and the balance positive until the last.
    s = equal_instalment(1000, 0.02, 360)
    assert_well_formed(s, 1000)
    assert_interest_is_accrued(s, 0.02)
    assert np.all(s.payment[:-1] == 20.01)
    assert s.interest[-1] == accrued(s.balance[-2], 0.02)
    assert s.payment[-1] == round_fen(s.balance[-2] + s.interest[-1])


def test_long_term_rounded_down_level_charges_the_last_interest() -> None:
    # The annuity 2001.6044 rounds down; the last month's interest on 2255.35 owed was
    # clamped to 0 by the old plug. Now it is the interest accrued: 45.11.
    s = equal_instalment(100_000, 0.02, 360)
    assert_well_formed(s, 100_000)
    assert s.balance[-2] == 2255.35
    assert s.interest[-1] == 45.11
    assert s.payment[-1] == 2300.46


@pytest.mark.parametrize("n", [37, 60, 77, 120, 240, 249, 360])
@pytest.mark.parametrize(
    ("principal", "rate"), [(1000, 0.02), (50, 0.02), (300_000, 0.005), (12_345.67, 0.0133)]
)
def test_long_equal_instalments(principal: float, rate: float, n: int) -> None:
    s = equal_instalment(principal, rate, n)
    assert_well_formed(s, principal)
    assert_interest_is_accrued(s, rate)
    assert len(set(s.payment[:-1].tolist())) <= 1


@pytest.mark.parametrize(("principal", "rate"), [(33.5, 0.11), (33.5, 0.15), (50.0, 0.5)])
def test_high_rates_never_amortise_negatively(principal: float, rate: float) -> None:
    # The float annuity once rounded one fen below the first month's interest: the
    # balance grew every month (and overflowed at 15 %/month over 360 months).
    s = equal_instalment(principal, rate, 360)
    assert_well_formed(s, principal)
    assert (s.principal_paid >= 0).all()
    assert s.balance.max() <= principal


# --- properties --------------------------------------------------------------------------
principals = st.integers(5_000, 30_000_000).map(lambda c: c / 100)  # ¥50 to ¥300,000
rates = st.floats(0, 0.04)
terms = st.integers(1, 360)  # every term a Product allows


@given(principal=principals, rate=rates, n=terms)
def test_equal_instalment_properties(principal: float, rate: float, n: int) -> None:
    s = equal_instalment(principal, rate, n, monthly_fee_rate=0.001)
    assert_well_formed(s, principal)
    assert_interest_is_accrued(s, rate)
    exact = annuity(principal, rate, n)
    level = round_fen(float(s.payment[0] - s.fee[0])) if n > 1 else round_fen(exact)
    # Level payment: the annuity to the fen, or one fen less (never repays early).
    assert level in (round_fen(exact), round_fen(round_fen(exact) - 0.01))
    assert np.all(s.payment[:-1] == s.payment[0])
    # Total interest against the closed form n * A - P, within the documented bound
    # 0.005 * s + |A' - A| * (s - n) (plus half a fen for the total's own rounding).
    g = growth(rate, n)
    d = abs(level - exact)
    assert abs(s.total_interest - (n * exact - principal)) <= 0.005 * g + d * (g - n) + 0.006
    last = round_fen(float(s.payment[-1] - s.fee[-1]))
    assert abs(last - exact) <= (0.005 + d) * g + 1e-6


@given(principal=principals, rate=rates, n=terms)
def test_equal_principal_properties(principal: float, rate: float, n: int) -> None:
    s = equal_principal(principal, rate, n)
    assert_well_formed(s, principal)
    assert_interest_is_accrued(s, rate)
    parts = [fen(p) for p in s.principal_paid]
    assert max(parts) - min(parts) <= 1
    assert parts == sorted(parts)
    bound = n * (0.005 + 0.01 * rate * n)
    assert abs(s.total_interest - principal * rate * (n + 1) / 2) <= bound + 0.006


@given(principal=principals, rate=rates, n=terms)
def test_bullet_properties(principal: float, rate: float, n: int) -> None:
    s = bullet(principal, rate, n, monthly_fee_rate=0.002)
    assert_well_formed(s, principal)
    assert_interest_is_accrued(s, rate)
    assert s.total_interest == round_fen(n * accrued(principal, rate))


@given(principal=principals, fee=st.floats(0, 0.02), n=terms)
def test_flat_fee_properties(principal: float, fee: float, n: int) -> None:
    s = flat_fee(principal, fee, n)
    assert_well_formed(s, principal)
    assert np.all(s.interest == 0)
    assert np.all(s.fee == accrued(principal, fee))


def test_schedules_catch_a_plugged_last_instalment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The invariants above fail on the reviewer's mutant (¥10 more on the last row)."""
    import thinfile_credit.pricing.schedules as sch

    build = sch._build

    def mutant(*args: Any, **kwargs: Any) -> Schedule:
        s = build(*args, **kwargs)
        s.interest[-1] += 10.0
        s.payment[-1] += 10.0
        return s

    monkeypatch.setattr(sch, "_build", mutant)
    s = equal_instalment(1000, 0.02, 12)
    with pytest.raises(AssertionError):
        assert_interest_is_accrued(s, 0.02)
    with pytest.raises(AssertionError):
        test_equal_instalment_properties.hypothesis.inner_test(1000.0, 0.02, 12)


# --- revolving ---------------------------------------------------------------------------
def test_revolving_ledger_daily_interest() -> None:
    s = revolving([(0, 1000.0), (10, -500.0), (20, 300.0)], 0.0005, repay_all_on=45)
    # 10 days on 1000 = 5.00 interest, paid first from the 500 repayment.
    assert s.interest[0] == 5.0
    assert s.principal_paid[0] == 495.0
    # Then 505 for 10 days (2.525) and 805 for 25 days (10.0625): 12.5875 -> 12.59.
    assert s.interest[1] == pytest.approx(12.59)
    # Balance is the principal still owed after each repayment (not total drawn - repaid).
    assert s.balance.tolist() == [505.0, 0.0]
    assert s.draws == ((0, 1000.0), (20, 300.0))


def test_revolving_accrues_unrounded() -> None:
    # 8 yuan for 30 days at 0.05 %/day is 0.12 whether or not the month is split.
    one = revolving([(0, 8.0)], 0.0005, repay_all_on=30)
    split = revolving([(0, 8.0)] + [(d, 0.01) for d in range(1, 30)], 0.0005, repay_all_on=30)
    assert one.interest.tolist() == [0.12]
    exact = sum(Fraction(800 + min(d, 29), 100) * Fraction("0.0005") for d in range(30))
    assert split.interest.sum() == pytest.approx(float(round(exact, 2)))  # 0.1222 -> 0.12
    assert split.n_payments == 1


def test_revolving_settlement_with_nothing_owed_adds_no_row() -> None:
    s = revolving([(0, 1000.0), (10, -1005.0)], 0.0005, repay_all_on=30)
    assert s.payment.tolist() == [1005.0]


def _half_up(x: Fraction) -> int:
    """Round a non-negative fraction of a fen half-up to an integer fen."""
    return math.floor(x + Fraction(1, 2))


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[tuple[int, float]], float, int]:
    """A revolving ledger: draws and repayments (never more than the principal owed)."""
    rate = draw(st.sampled_from([0.0002, 0.0003, 0.0005, 0.00065, 0.0007, 0.001]))
    day, owed = 0, 0
    events: list[tuple[int, float]] = []
    for k in range(draw(st.integers(1, 12))):
        day += 0 if k == 0 else draw(st.integers(0, 40))
        if owed == 0 or draw(st.booleans()):
            amount = draw(st.integers(1, 500_000))
            owed += amount
        else:
            amount = -draw(st.integers(1, owed))
            owed += amount
        events.append((day, amount / 100))
    return events, rate, day + draw(st.integers(0, 60))


def exact_ledger_interest(s: Schedule, events: list[tuple[int, float]], rate: float) -> Fraction:
    """Exact simple daily interest in fen, from the principal the ledger says was repaid."""
    repaid = iter(zip(s.day.tolist(), [fen(p) for p in s.principal_paid]))
    owed, last, total = 0, events[0][0], Fraction(0)
    steps = [(d, fen(a)) for d, a in events]
    r = Fraction(repr(rate))
    for day, amount in steps:
        total += owed * r * (day - last)
        last = day
        if amount > 0:
            owed += amount
        else:
            row_day, principal = next(repaid)
            assert row_day == day
            owed -= principal
    for row_day, principal in repaid:  # the settlement
        total += owed * r * (row_day - last)
        last = row_day
        owed -= principal
    assert owed == 0
    return total


@given(ledger=ledgers())
def test_revolving_interest_is_the_exact_daily_interest(ledger) -> None:
    events, rate, settle = ledger
    s = revolving(events, rate, repay_all_on=settle)
    charged = sum(fen(i) for i in s.interest)
    assert charged == _half_up(exact_ledger_interest(s, events, rate))
    assert np.all(s.interest >= 0)
    assert np.all(s.principal_paid >= 0)
    assert s.balance[-1] == 0
    assert s.principal == round_fen(sum(a for _, a in events if a > 0))


@given(ledger=ledgers(), data=st.data())
def test_revolving_interest_does_not_depend_on_how_events_are_split(ledger, data) -> None:
    events, rate, settle = ledger
    whole = revolving(events, rate, repay_all_on=settle)
    # Split one event into two same-day events of the same sign: no money moves
    # differently, so the interest charged cannot change.
    i = data.draw(st.integers(0, len(events) - 1))
    day, amount = events[i]
    cents = fen(amount)
    if abs(cents) < 2:
        return
    part = data.draw(st.integers(1, abs(cents) - 1)) * (1 if cents > 0 else -1)
    split = [*events[:i], (day, part / 100), (day, (cents - part) / 100), *events[i + 1 :]]
    parts = revolving(split, rate, repay_all_on=settle)
    assert parts.total_interest == whole.total_interest
    assert parts.total_repayable == whole.total_repayable


# --- bad input ---------------------------------------------------------------------------
def test_round_fen_half_up() -> None:
    assert round_fen(0.125) == 0.13
    assert round_fen(2.675) == 2.68  # binary float 2.67499... still rounds as written


@pytest.mark.parametrize("bad", [math.nan, math.inf, "1.5", None])
def test_round_fen_refuses_non_numbers(bad) -> None:
    with pytest.raises(DataError, match="not a finite number"):
        round_fen(bad)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: equal_instalment(0, 0.01, 12), "principal"),
        (lambda: equal_instalment("1000", 0.01, 12), "principal must be a number"),
        (lambda: equal_instalment(math.nan, 0.01, 12), "principal must be finite"),
        (lambda: equal_instalment(100.001, 0.01, 12), "whole fen"),
        (lambda: equal_instalment(0.05, 0.01, 12), "one fen per instalment"),
        (lambda: equal_instalment(1000, -0.01, 12), "monthly_rate"),
        (lambda: equal_instalment(1000, "0.01", 12), "monthly_rate must be a number"),
        (lambda: equal_instalment(1000, 0.01, 12.0), "instalments"),
        (lambda: equal_principal(1000, 0.01, 0), "instalments"),
        (lambda: bullet(1000, 0.01, True), "instalments"),
        (lambda: flat_fee(1000, 1.5, 12), "monthly_fee_rate"),
        (lambda: bullet(1000, 0.01, 3, upfront_fee_rate=math.inf), "upfront_fee_rate"),
        (lambda: revolving([(0, 100.0), (5, -200.0)], 0.001), r"exceeds.*\(rows: 1\)"),
        (lambda: revolving([(0, 100.0)], 0.001), "unpaid"),
        (lambda: revolving([(5, 100.0), (1, -10.0)], 0.001, repay_all_on=9), "order"),
        (lambda: revolving([(0, -5.0)], 0.001), "drawdown"),
        (lambda: revolving([], 0.001), "drawdown"),
        (lambda: revolving([(0, 100.0)], math.nan, repay_all_on=5), "daily_rate"),
        (lambda: revolving([(0, 100.0)], "0.001", repay_all_on=5), "daily_rate"),
        (lambda: revolving([(0, 100.0)], 0.001, repay_all_on=2.5), "repay_all_on"),
        (lambda: revolving([(3, 100.0)], 0.001, repay_all_on=1), "repay_all_on"),
        (lambda: revolving(5, 0.001), "sequence"),
        (lambda: revolving([(0, 100.0), (1,)], 0.001), r"pair \(rows: 1\)"),
    ],
)
def test_bad_inputs(call: Callable[[], object], match: str) -> None:
    with pytest.raises(SpecError, match=match):
        call()


@pytest.mark.parametrize(
    ("events", "match"),
    [
        # A NaN is not "settle everything": that is repay_all_on's job.
        ([(0, 1000.0), (10, math.nan)], r"events\.amount: amounts must be finite.*rows: 1\)"),
        ([(0, math.inf)], r"events\.amount: amounts must be finite.*rows: 0\)"),
        ([(0, 100.0), (3, -math.inf)], r"events\.amount: amounts must be finite.*rows: 1\)"),
        ([(0, 100.0), (3, "5")], r"events\.amount: amounts must be finite.*rows: 1\)"),
        (
            [(0, 100.0), (3, 0.0), (4, 1.0), (5, -0.0)],
            r"events\.amount: amounts must be non-zero \(rows: 1, 3\)",
        ),
        ([(0, 100.0), (3, 0.004)], r"events\.amount: amounts must be in whole fen.*rows: 1\)"),
        ([(0, 100.0), (1.5, 1.0)], r"events\.day: days must be integers >= 0 \(rows: 1\)"),
        ([(-1, 100.0)], r"events\.day: days must be integers >= 0 \(rows: 0\)"),
        ([(0, 100.0), (True, 1.0)], r"events\.day.*rows: 1\)"),
    ],
)
def test_bad_revolving_events_name_column_and_rows(events, match: str) -> None:
    with pytest.raises(SpecError, match=match) as info:
        revolving(events, 0.0005, repay_all_on=30)
    assert info.value.table == "events"


def test_integral_float_days_are_accepted() -> None:
    s = revolving([(0.0, 100.0), (np.int64(10), -50.0)], 0.001, repay_all_on=20.0)
    assert s.day.tolist() == [10, 20]
