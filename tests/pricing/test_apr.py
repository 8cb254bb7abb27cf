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
    effective_annual_rate,
    equal_instalment,
    equal_principal,
    flat_fee,
    irr,
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
    n=st.integers(2, 36),
    kind=st.sampled_from([equal_instalment, equal_principal]),
)
def test_apr_matches_numpy_financial(principal, rate, fee, n, kind) -> None:
    s = kind(round(principal, 2), rate, n, monthly_fee_rate=fee)
    amounts, _ = s.cashflows()
    ours = apr(s).periodic_rate
    assert ours == pytest.approx(npf.irr(amounts), abs=1e-8)


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
