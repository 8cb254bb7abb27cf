from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
import pyxirr
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import DataError
from thinfile_credit.pricing import (
    apr,
    bullet,
    effective_annual_rate,
    equal_instalment,
    equal_principal,
    flat_fee,
    irr,
    revolving,
)


def test_flat_fee_apr_worked_example() -> None:
    a = apr(flat_fee(1200, 0.006, 12))  # 1200 splits into whole-fen instalments
    assert a.nominal == pytest.approx(0.130342, abs=1e-6)
    assert round(a.nominal, 4) == 0.1303
    assert a.simple_interest_rate == pytest.approx(0.072)
    assert a.effective == pytest.approx((1 + a.periodic_rate) ** 12 - 1)


def test_equal_instalment_apr_is_the_contract_rate() -> None:
    a = apr(equal_instalment(100_000, 0.01, 24))
    assert a.nominal == pytest.approx(0.12, abs=1e-5)


@given(
    principal=st.floats(100, 50_000),
    rate=st.floats(0.0, 0.04),
    fee=st.floats(0.0, 0.01),
    n=st.integers(2, 120),
    kind=st.sampled_from([equal_instalment, equal_principal]),
)
def test_apr_matches_numpy_financial(principal, rate, fee, n, kind) -> None:
    s = kind(round(principal, 2), rate, n, monthly_fee_rate=fee)
    amounts, _ = s.cashflows()
    ours = apr(s).periodic_rate
    assert ours == pytest.approx(npf.irr(amounts), abs=1e-8)


@given(
    principal=st.integers(5_000, 30_000_000).map(lambda c: c / 100),
    rate=st.floats(0.001, 0.04),
    n=st.integers(1, 360),
    kind=st.sampled_from([equal_instalment, equal_principal, bullet]),
)
def test_apr_is_the_contract_rate_up_to_fen_rounding(principal, rate, n, kind) -> None:
    """Without fees, the IRR is the monthly rate: each month charges ``rate`` on the balance,
    off only by the half-fen rounding of each month's interest. To first order the IRR
    moves by ``sum(e_k v**k) / sum(B_k v**k)`` for rounding errors ``|e_k| <= 0.005`` on
    opening balances ``B_k`` (``v = 1 / (1 + rate)``); a fifth more allows for curvature.
    Extra interest anywhere (a plugged last instalment) breaks it."""
    s = kind(principal, rate, n)
    opening = np.concatenate([[s.principal], s.balance[:-1]])
    v = (1 + rate) ** -np.arange(1, n + 1, dtype=float)
    bound = 0.005 * v.sum() / (opening * v).sum()
    a = apr(s)
    assert abs(a.periodic_rate - rate) <= 1.2 * bound + 1e-12
    assert a.nominal == pytest.approx(12 * a.periodic_rate)


def test_apr_catches_extra_interest_on_the_last_instalment() -> None:
    s = equal_instalment(1000, 0.02, 12)
    s.payment[-1] += 10.0  # the reviewer's mutant, applied to one schedule
    s.interest[-1] += 10.0
    opening = np.concatenate([[s.principal], s.balance[:-1]])
    v = 1.02 ** -np.arange(1, 13, dtype=float)
    assert apr(s).periodic_rate - 0.02 > 10 * 0.005 * v.sum() / (opening * v).sum()


def test_simple_rate_divides_by_the_amount_contracted() -> None:
    # Total cost 72 interest-free fees + 20 upfront fee over a year on 1000 contracted:
    # 9.2 %, not 92 / 980.
    s = flat_fee(1000, 0.006, 12, upfront_fee_rate=0.02)
    assert s.total_cost == 92.0
    assert apr(s).simple_interest_rate == pytest.approx(0.092)
    # A month at 0 % with a 10 % upfront fee: 100 / 1000 / (30 / 360) = 120 %.
    one = equal_instalment(1000, 0.0, 1, upfront_fee_rate=0.10)
    assert apr(one).simple_interest_rate == pytest.approx(1.2)


def test_simple_rate_of_revolving_uses_the_total_drawn() -> None:
    s = revolving([(0, 1000.0), (10, -500.0), (20, 300.0)], 0.0005, repay_all_on=45)
    assert s.principal == 1300.0
    expected = s.total_cost / 1300.0 / (45 / 365)
    assert apr(s).simple_interest_rate == pytest.approx(expected)


@given(
    principal=st.integers(5_000, 10_000_000).map(lambda c: c / 100),
    fee=st.floats(0, 0.01),
    upfront=st.floats(0, 0.05),
    n=st.integers(1, 360),
)
def test_simple_rate_is_total_cost_over_principal_and_years(principal, fee, upfront, n) -> None:
    s = flat_fee(principal, fee, n, upfront_fee_rate=upfront)
    assert apr(s).simple_interest_rate == pytest.approx(s.total_cost / principal / (n / 12))


@given(
    flows=st.lists(st.floats(1, 5_000), min_size=1, max_size=15),
    gaps=st.lists(st.integers(1, 90), min_size=15, max_size=15),
    outlay=st.floats(100, 20_000),
)
def test_irregular_dates_match_pyxirr(flows, gaps, outlay) -> None:
    import datetime as dt

    amounts = [-outlay, *flows]
    days = np.concatenate([[0], np.cumsum(gaps[: len(flows)])])
    start = dt.date(2025, 1, 1)
    dates = [start + dt.timedelta(days=int(d)) for d in days]
    expected = pyxirr.xirr(dates, amounts)
    if expected is None or not np.isfinite(expected) or expected > 1e6:
        return
    assert effective_annual_rate(amounts, days) == pytest.approx(expected, abs=1e-8, rel=1e-9)


def test_irr_simple() -> None:
    assert irr([-100, 110]) == pytest.approx(0.1, abs=1e-12)
    assert irr([-100, 90]) == pytest.approx(-0.1, abs=1e-12)


@pytest.mark.parametrize("flows", [[100, 10], [-100, -10], [-100, np.nan], [[-1, 1]]], ids=str)
def test_irr_bad_flows(flows) -> None:
    with pytest.raises(DataError):
        irr(flows)
