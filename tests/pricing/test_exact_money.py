"""Money a borrower is shown is exact to the fen: early-repayment fees half-up on integer
fen, amounts no larger than float yuan hold, no "-0.00%" APR, and typed errors for
arguments of the wrong kind (review 2 of the pricing module)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.errors import SpecError
from thinfile_credit.pricing import (
    Product,
    apr,
    bullet,
    disclosure,
    early_repayment_cost,
    equal_instalment,
    equal_principal,
    flat_fee,
    lint,
)
from thinfile_credit.pricing.schedules import MAX_FEN

KINDS = ("equal_principal", "flat_fee", "bullet", "equal_instalment")


def _half_up_fee(outstanding_fen: int, rate: float) -> int:
    """The documented rule, independently: fen times the rate as written, half-up."""
    exact = Decimal(outstanding_fen) * Decimal(repr(rate))
    return int(exact.to_integral_value(rounding=ROUND_HALF_UP))


def _fen(values) -> list[int]:
    return [int(Decimal(repr(float(v))) * 100) for v in values]


def test_reviewers_early_fee_on_one_fifteen_is_twelve_fen() -> None:
    p = Product(name="x", repayment="equal_principal", term_months=2, early_repayment_fee_rate=0.1)
    t = early_repayment_cost(p, 2.30)
    # 115 fen * 10 % = 11.5 fen -> 12 fen half-up (a float product gave 0.11).
    assert t[["outstanding", "cost", "payoff", "saving"]].values.tolist() == [
        [1.15, 0.12, 1.27, -0.12]
    ]
    shown = disclosure(p, 2.30, lang="en").early_repayment
    assert shown["cost of early repayment"].tolist() == [0.12]


@pytest.mark.parametrize(("rate", "step"), [(0.1, 10), (0.03, 100), (0.005, 200)])
def test_every_half_fen_fee_rounds_up(rate, step) -> None:
    """Outstanding balances whose fee is exactly half a fen past a whole one: all round up
    (a float product lands just below the half for some of them)."""
    p = Product(name="x", repayment="equal_principal", term_months=2, early_repayment_fee_rate=rate)
    half = step // 2  # fen at which fen * rate is a whole number and a half
    for outstanding in range(half, 40_000, step):
        t = early_repayment_cost(p, 2 * outstanding / 100)
        want = (outstanding * int(rate * 1000) + 500) // 1000  # half-up in integers
        assert _fen(t["cost"]) == [want], outstanding


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    n=st.integers(2, 24),
    fen=st.integers(200, 10**8),
    rate=st.sampled_from([0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.125, 0.333]),
    refund=st.booleans(),
)
def test_early_repayment_table_is_exact_in_fen(kind, n, fen, rate, refund) -> None:
    kw = {"monthly_fee_rate": 0.003} if kind == "flat_fee" else {"monthly_rate": 0.01}
    p = Product(
        name="x",
        repayment=kind,
        term_months=n,
        early_repayment_fee_rate=rate,
        refund_unearned_fees=refund,
        apr_cap=9.0,
        apr_warn=9.0,
        **kw,
    )
    principal = fen / 100
    sched = p.schedule(principal)
    t = early_repayment_cost(p, principal)
    fees, payments = _fen(sched.fee), _fen(sched.payment)
    for k, row in enumerate(t.itertuples(index=False), start=1):
        outstanding = _fen([row.outstanding])[0]
        assert outstanding == _fen([sched.balance[k - 1]])[0]
        want_cost = _half_up_fee(outstanding, rate) + (0 if refund else sum(fees[k:]))
        assert _fen([row.cost]) == [want_cost]
        assert _fen([row.payoff]) == [outstanding + want_cost]
        assert _fen([row.saving]) == [sum(payments[k:]) - outstanding - want_cost]


@pytest.mark.parametrize(
    ("kind", "kw", "principal", "n"),
    [
        ("equal_principal", {"monthly_rate": 0.0}, 1000, 12),
        ("flat_fee", {"monthly_fee_rate": 0.0}, 1000, 7),
        ("equal_instalment", {"monthly_rate": 0.0}, 999.99, 36),
        ("bullet", {"monthly_rate": 0.0}, 0.07, 5),
    ],
)
def test_an_interest_free_loan_shows_zero_not_negative_zero(kind, kw, principal, n) -> None:
    p = Product(name="p", repayment=kind, term_months=n, **kw)
    figures = p.apr(principal)
    assert (figures.nominal, figures.effective, figures.periodic_rate) == (0.0, 0.0, 0.0)
    assert not np.signbit(figures.nominal)
    for lang in ("en", "zh"):
        values = disclosure(p, principal, lang=lang).summary.iloc[:, 1].tolist()
        assert values[0] == values[1] == "0.00%"
        assert not any(str(v).startswith("-0.00") for v in values)
    assert "-0.00" not in lint(p).message


def test_a_tiny_negative_rate_is_shown_as_zero() -> None:
    from thinfile_credit.pricing.disclosure import _percent

    assert _percent(-4.2e-18) == "0.00%"
    assert _percent(-0.00004) == "0.00%"
    assert _percent(-0.0001) == "-0.01%"
    assert _percent(0.2403) == "24.03%"


@settings(max_examples=200, deadline=None)
@given(
    make=st.sampled_from([equal_instalment, equal_principal, bullet]),
    fen=st.integers(10**12, MAX_FEN // 4),
    n=st.integers(1, 36),
    rate=st.sampled_from([0.0, 0.001, 0.01, 0.02, 0.0333]),
)
def test_schedules_up_to_max_fen_keep_every_fen(make, fen, n, rate) -> None:
    """Up to MAX_FEN (¥10 trillion) every row reads back as its fen, the rows repay the
    principal exactly and the totals are the exact sums of the rows."""
    s = make(fen / 100, rate, n)
    paid = [round(v * 100) for v in s.principal_paid.tolist()]
    assert sum(paid) == fen
    assert _fen(s.principal_paid) == paid
    interest = [round(v * 100) for v in s.interest.tolist()]
    assert round(s.total_interest * 100) == sum(interest)
    assert round(s.total_repayable * 100) == fen + sum(interest)
    assert round(s.total_repayable * 100) == round((s.principal + s.total_cost) * 100)


def test_reviewers_large_principals_are_refused_not_rounded() -> None:
    # 1e15 yuan was accepted and its rows summed to two fen short.
    for yuan in (9.0e13, 1.0e15, 3.0e15):
        with pytest.raises(SpecError, match="float yuan hold to the fen"):
            equal_instalment(yuan, 0.01, 7)
    s = equal_instalment(1e13, 0.0, 7)  # MAX_FEN itself
    assert sum(round(v * 100) for v in s.principal_paid.tolist()) == MAX_FEN
    flat = flat_fee(1e13, 0.0, 3)
    assert flat.principal_paid.tolist() == [3333333333333.33, 3333333333333.33, 3333333333333.34]


def test_wrong_kinds_of_arguments_are_spec_errors() -> None:
    with pytest.raises(SpecError, match="apr needs a Schedule"):
        apr("x")
    with pytest.raises(SpecError, match="product must be a Product"):
        disclosure("x", 100)
    with pytest.raises(SpecError, match="product must be a Product"):
        early_repayment_cost(None, 100)
    with pytest.raises(SpecError, match="lint: product must be a Product"):
        lint({"name": "p"})


@pytest.mark.parametrize(
    ("data", "missing"),
    [
        ({"name": "p"}, "['repayment', 'term_months']"),
        ({"repayment": "bullet", "term_months": 3}, "['name']"),
        ({}, "['name', 'repayment', 'term_months']"),
    ],
)
def test_product_from_dict_names_missing_fields(data, missing) -> None:
    with pytest.raises(SpecError, match="is missing fields") as info:
        Product.from_dict(data)
    assert missing in str(info.value)
