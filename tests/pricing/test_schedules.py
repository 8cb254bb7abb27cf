from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import SpecError
from thinfile_credit.pricing import (
    bullet,
    equal_instalment,
    equal_principal,
    flat_fee,
    revolving,
    round_fen,
)


def test_equal_instalment_worked_example() -> None:
    s = equal_instalment(1000, 0.02, 12)
    assert np.all(s.payment == 94.56)
    assert s.total_interest == 134.72
    assert s.principal_paid.sum() == pytest.approx(1000.0, abs=1e-9)
    assert s.balance[-1] == 0.0
    assert s.interest[0] == 20.0


def test_equal_principal_falls() -> None:
    s = equal_principal(1200, 0.01, 12)
    assert np.all(np.diff(s.payment) < 0)
    assert np.all(s.principal_paid == 100.0)
    assert s.total_interest == 78.0


def test_bullet_and_flat_fee() -> None:
    s = bullet(1000, 0.01, 6)
    assert s.principal_paid[:-1].sum() == 0
    assert s.principal_paid[-1] == 1000
    f = flat_fee(1000, 0.006, 12)
    assert f.total_fees == 72.0
    assert f.total_interest == 0.0
    assert f.principal_paid.sum() == pytest.approx(1000.0)


def test_upfront_fee_counts_in_cost_and_cashflow() -> None:
    s = equal_instalment(1000, 0.01, 6, upfront_fee_rate=0.02)
    amounts, days = s.cashflows()
    assert days[0] == 0
    assert amounts[0] == pytest.approx(-980.0)
    assert s.total_cost == pytest.approx(s.total_interest + 20.0)


def test_revolving_ledger_daily_interest() -> None:
    s = revolving([(0, 1000.0), (10, -500.0), (20, 300.0)], 0.0005, repay_all_on=45)
    # 10 days on 1000 = 5.00 interest, paid first from the 500 repayment.
    assert s.interest[0] == 5.0
    assert s.principal_paid[0] == 495.0
    # Then 505 for 10 days (2.525 -> 2.53) and 805 for 25 days (10.0625 -> 10.06).
    assert s.interest[1] == pytest.approx(12.59)
    assert s.balance[-1] == 0.0
    assert s.draws == ((0, 1000.0), (20, 300.0))


def test_round_fen_half_up() -> None:
    assert round_fen(0.125) == 0.13
    assert round_fen(2.675) == 2.68  # binary float 2.67499... still rounds as written


@given(
    principal=st.floats(50, 300_000),
    rate=st.floats(0, 0.05),
    n=st.integers(1, 36),
    kind=st.sampled_from([equal_instalment, equal_principal, bullet]),
)
def test_schedules_repay_principal_exactly(principal: float, rate: float, n: int, kind) -> None:
    principal = round_fen(principal)
    s = kind(principal, rate, n)
    assert s.principal_paid.sum() == pytest.approx(principal, abs=0.005)
    assert s.balance[-1] == pytest.approx(0.0, abs=0.005)
    assert np.all(s.interest >= 0)
    assert np.allclose(np.round(s.payment * 100), s.payment * 100, atol=1e-6)  # whole fen
    # Total interest is the exact figure to within a fen per instalment.
    assert np.all(s.payment >= 0)
    assert s.payment[-1] > 0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: equal_instalment(0, 0.01, 12), "principal"),
        (lambda: equal_instalment(1000, -0.01, 12), "monthly_rate"),
        (lambda: equal_principal(1000, 0.01, 0), "instalments"),
        (lambda: flat_fee(1000, 1.5, 12), "monthly_fee_rate"),
        (lambda: revolving([(0, 100.0), (5, -200.0)], 0.001), "exceeds"),
        (lambda: revolving([(0, 100.0)], 0.001), "unpaid"),
        (lambda: revolving([(5, 100.0), (1, -10.0)], 0.001, repay_all_on=9), "order"),
        (lambda: revolving([(0, -5.0)], 0.001), "drawdown"),
    ],
)
def test_bad_inputs(call, match: str) -> None:
    with pytest.raises(SpecError, match=match):
        call()
