"""Bad input to pricing: amounts beyond what float yuan hold to the fen (MAX_FEN), text
cash flows, subnormal flows and day counts that are not positive raise library errors,
never overflow, a lost fen or a wrong rate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, SpecError, ThinfileError
from thinfile_credit.pricing import (
    bullet,
    effective_annual_rate,
    equal_instalment,
    equal_principal,
    irr,
    revolving,
    round_fen,
)
from thinfile_credit.pricing.schedules import MAX_FEN


@pytest.mark.parametrize("make", [equal_instalment, equal_principal, bullet])
def test_a_principal_beyond_max_fen_is_a_spec_error(make) -> None:
    for principal in (1e17, 1e13 + 0.01, 1e15):
        with pytest.raises(SpecError, match="principal must be at most") as info:
            make(principal, 0.02, 12)
        assert "10,000,000,000,000.00" in str(info.value)
        assert "float yuan hold to the fen" in str(info.value)


def test_a_schedule_repaying_more_than_max_fen_is_a_spec_error() -> None:
    # the principal fits, but 600 months at 50 % a month do not
    with pytest.raises(SpecError, match=r"beyond the 10,000,000,000,000\.00 yuan"):
        equal_instalment(9e12, 0.5, 600)
    with pytest.raises(SpecError, match="would repay"):
        bullet(9e12, 0.5, 12)


def test_the_largest_schedules_that_fit_are_exact() -> None:
    s = bullet(1e13, 0.0, 1)  # MAX_FEN
    assert s.payment.tolist() == [1e13]
    assert s.total_repayable == 1e13


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: revolving([(0, 1000)], 5e-4, repay_all_on=10**18), "would repay"),
        (lambda: revolving([(0, 1000)], 1e300, repay_all_on=2**63 - 1), "would repay"),
        (lambda: revolving([(0, 1000)], 5e-4, repay_all_on=2**63), "repay_all_on"),
        (lambda: revolving([(0, 9e12), (1, 9e12)], 0.0, repay_all_on=2), "would repay"),
    ],
)
def test_revolving_beyond_int64_is_a_spec_error(call, match) -> None:
    with pytest.raises(SpecError, match=match):
        call()


def test_revolving_event_days_and_amounts_beyond_int64_name_their_rows() -> None:
    with pytest.raises(SpecError, match="at most 2\\*\\*63 - 1") as info:
        revolving([(0, 100.0), (2**63, -100.0)], 0.0)
    assert (info.value.table, info.value.column, info.value.rows) == ("events", "day", [1])
    with pytest.raises(SpecError, match="hold to the fen") as info:
        revolving([(0, 100.0), (1, 1e13 + 0.01)], 0.0)
    assert (info.value.table, info.value.column, info.value.rows) == ("events", "amount", [1])


@pytest.mark.parametrize("amount", [1e308, -1e308, 1e17, 1e13 + 0.01, -1e13 - 0.01])
def test_round_fen_beyond_max_fen_is_a_data_error(amount) -> None:
    with pytest.raises(DataError, match=r"beyond 10,000,000,000,000\.00 yuan"):
        round_fen(amount)


@given(
    st.one_of(
        st.floats(-1e13, 1e13, allow_nan=False),
        # exact halves of a fen, where half-up and other rules differ
        st.integers(-(10**12), 10**12).map(lambda f: (f + 0.5) / 100),
    )
)
def test_round_fen_within_range_is_half_up_to_the_fen(amount) -> None:
    from decimal import ROUND_HALF_UP, Decimal

    want = float(Decimal(repr(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    out = round_fen(amount)
    assert out == want
    assert round_fen(out) == out


@pytest.mark.parametrize(
    ("amounts", "times", "column", "rows"),
    [
        (["a", "b"], None, "amounts", [0, 1]),
        (["-100", "110"], None, "amounts", [0, 1]),  # text never read as numbers
        ([-100, "110"], None, "amounts", [1]),
        ([-100, 110], [0, True], "times", [1]),  # NumPy alone would read True as 1
        ([-100, 110], np.array(["0", "1"]), "times", [0, 1]),
        (np.array([-100, None, 110], dtype=object), None, "amounts", [1]),
    ],
)
def test_irr_refuses_non_numbers_naming_their_rows(amounts, times, column, rows) -> None:
    with pytest.raises(DataError, match="must be numbers") as info:
        irr(amounts, times)
    assert (info.value.column, info.value.rows) == (column, rows)


@given(
    st.floats(0.0, 0.5),
    st.integers(-1074, 1000),
)
def test_irr_does_not_depend_on_the_flows_scale(rate, exponent) -> None:
    flows = np.array([-1.0, 1.0 + rate])
    scaled = np.ldexp(flows, exponent)  # subnormal up to near-overflow amounts
    assert np.all(scaled != 0)
    assert np.all(np.isfinite(scaled))
    # the rate of the flows as stored (a subnormal keeps fewer digits of 1 + rate)
    assert irr(scaled) == pytest.approx(-scaled[1] / scaled[0] - 1.0, abs=1e-12)
    if exponent >= -1021:  # normal numbers: scaling by a power of two is exact
        assert irr(scaled) == irr(flows)
    assert irr(flows) == pytest.approx(rate, abs=1e-12)


def test_reviewers_subnormal_flows_give_their_rate() -> None:
    assert irr([-1e-320, 2e-320]) == 1.0


@pytest.mark.parametrize("day_count", [-365, 0, float("nan"), float("inf"), "365", True])
def test_effective_annual_rate_refuses_a_day_count_that_is_not_positive(day_count) -> None:
    with pytest.raises(SpecError, match="day_count"):
        effective_annual_rate([-1000, 1100], [0, 365], day_count=day_count)


def test_effective_annual_rate_refuses_text_days() -> None:
    with pytest.raises(DataError, match="must be numbers") as info:
        effective_annual_rate([-1000, 1100], ["0", "365"])
    assert (info.value.column, info.value.rows) == ("times", [0, 1])
    assert effective_annual_rate([-1000, 1100], [0, 360], day_count=360.0) == pytest.approx(0.1)


def test_reviewers_untyped_cases_are_library_errors() -> None:
    for call, error, message in (
        (lambda: equal_instalment(1e17, 0.02, 12), SpecError, "principal must be at most"),
        (
            lambda: revolving([(0, 1000)], 5e-4, repay_all_on=10**18),
            SpecError,
            "revolving schedule would repay",
        ),
        (lambda: round_fen(1e308), DataError, "cannot round 1e\\+308"),
    ):
        with pytest.raises(error, match=message) as info:
            call()
        assert isinstance(info.value, ThinfileError)
    with pytest.raises(DataError, match="must be numbers") as info:
        irr(["a", "b"])
    assert (info.value.column, info.value.rows) == ("amounts", [0, 1])
    assert MAX_FEN == 10**15
    assert math.isfinite(irr([-1e-320, 2e-320]))


def test_decimal_and_fraction_amounts_are_numbers() -> None:
    """Ledger amounts from SQL arrive as ``Decimal``: they are numbers, as before."""
    from decimal import Decimal
    from fractions import Fraction

    from thinfile_credit.scale import ScoreScale

    want = irr([-1000.0, 1012.0], [0, 1])
    assert irr([Decimal("-1000.00"), Decimal("1012.00")], [0, 1]) == pytest.approx(want)
    assert irr([Fraction(-1000), Fraction(1012)], [0, 1]) == pytest.approx(want)
    scale = ScoreScale()
    assert scale.pd_from_points([Decimal("600")])[0] == pytest.approx(
        scale.pd_from_points([600.0])[0]
    )
    with pytest.raises(DataError, match="text is never read"):
        irr(["-1000", "1012"], [0, 1])
    with pytest.raises(DataError) as err:
        irr([np.timedelta64(1, "D"), 2.0], [0, 1])
    assert "text" not in str(err.value)
