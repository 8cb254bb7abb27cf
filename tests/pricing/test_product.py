from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import PolicyError, SpecError
from thinfile_credit.pricing import (
    PricingWarning,
    Product,
    apr,
    disclosure,
    early_repayment_cost,
    lint,
)


def test_product_round_trip_json() -> None:
    p = Product(name="分期12", repayment="equal_principal", term_months=12, monthly_rate=0.012)
    assert Product.from_json(p.to_json()) == p
    assert Product.from_dict(p.to_dict()) == p


def test_lint_ok_warn_refuse() -> None:
    ok = Product(name="ok", repayment="equal_instalment", term_months=12, monthly_rate=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert lint(ok).status == "ok"
    hot = Product(name="hot", repayment="equal_instalment", term_months=12, monthly_rate=0.018)
    with pytest.warns(PricingWarning, match="warning line"):
        assert lint(hot).status == "warn"
    with pytest.raises(PolicyError, match=r"exceeds the cap 20\.00%"):
        lint(hot, cap=0.20)


def test_exactly_two_percent_a_month_is_at_not_over_the_cap() -> None:
    p = Product(name="cap", repayment="equal_instalment", term_months=12, monthly_rate=0.02)
    assert round(p.apr().nominal, 4) == 0.24


def test_construction_refuses_over_cap_including_fees() -> None:
    # 1.5 %/month interest + 0.6 %/month flat fee is well over 24 % by IRR.
    with pytest.raises(PolicyError, match="'fees': IRR APR"):
        Product(
            name="fees",
            repayment="equal_instalment",
            term_months=12,
            monthly_rate=0.015,
            monthly_fee_rate=0.006,
        )
    # A configurable cap (e.g. the 36 % judicial line) lets it through.
    Product(
        name="fees",
        repayment="equal_instalment",
        term_months=12,
        monthly_rate=0.015,
        monthly_fee_rate=0.006,
        apr_cap=0.36,
    )


def test_revolving_product_yield() -> None:
    p = Product(name="r", repayment="revolving", term_months=1, daily_rate=0.0005)
    assert p.monthly_yield() == pytest.approx(0.015)
    assert p.schedule(500).interest.sum() == pytest.approx(7.5)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"repayment": "balloon"}, "repayment must be one of"),
        ({"term_months": 0}, "term_months"),
        ({"monthly_rate": -0.1}, "monthly_rate"),
        ({"daily_rate": 0.001}, "revolving only"),
        ({"apr_warn": 0.3}, "apr_warn"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_products(kw, match) -> None:
    base = {"name": "p", "repayment": "equal_instalment", "term_months": 12, "monthly_rate": 0.01}
    with pytest.raises(SpecError, match=match):
        Product(**{**base, **kw})


def test_unknown_field() -> None:
    with pytest.raises(SpecError, match="unknown Product fields"):
        Product.from_dict({"name": "p", "repayment": "bullet", "term_months": 3, "colour": 1})


# --- the cap holds for every amount a product prices ----------------------------------------
TWO_PERCENT = {"term_months": 12, "monthly_rate": 0.02}


@pytest.mark.parametrize("kind", ["equal_instalment", "equal_principal", "bullet"])
@pytest.mark.parametrize("term", [1, 3, 6, 12, 24, 36, 120, 360])
@given(principal=st.integers(5_000, 1_000_000).map(lambda c: c / 100))
def test_no_schedule_exceeds_the_cap(kind: str, term: int, principal: float) -> None:
    p = Product(name="p", repayment=kind, term_months=term, monthly_rate=0.02)
    figure = round(p.apr(principal).nominal, 4)
    if figure > p.apr_cap:
        with pytest.raises(
            PolicyError, match=rf"IRR APR {figure:.2%} at principal {principal:.2f}"
        ):
            p.schedule(principal)
        with pytest.raises(PolicyError, match=r"exceeds the cap 24\.00%"):
            disclosure(p, principal)
    else:
        assert round(apr(p.schedule(principal)).nominal, 4) <= p.apr_cap
        shown = disclosure(p, principal, lang="en").summary.iloc[0, 1]
        assert float(shown.rstrip("%")) <= 24.0


def test_small_principal_over_the_cap_is_refused() -> None:
    # 2 %/month is 24.00 % on ¥10,000 but 24.03 % on ¥80 after fen rounding.
    p = Product(name="p", repayment="equal_instalment", **TWO_PERCENT)
    assert round(p.apr().nominal, 4) == 0.24
    assert round(p.apr(80).nominal, 4) == 0.2403
    with pytest.raises(PolicyError, match=r"IRR APR 24\.03% at principal 80\.00 exceeds"):
        p.schedule(80)
    with pytest.raises(PolicyError, match=r"at principal 80\.00"):
        disclosure(p, 80)
    with pytest.raises(PolicyError, match=r"at principal 80\.00"):
        early_repayment_cost(p, 80)
    # The reviewer's case: 3 months, ¥100, disclosed as 24.02 % before the fix.
    short = Product(name="p", repayment="equal_instalment", term_months=3, monthly_rate=0.02)
    with pytest.raises(PolicyError, match=r"24\.02% at principal 100\.00"):
        disclosure(short, 100)


def test_min_principal_is_checked_at_construction_and_lint() -> None:
    with pytest.raises(PolicyError, match=r"at principal 80\.00 exceeds the cap"):
        Product(name="p", repayment="equal_instalment", min_principal=80, **TWO_PERCENT)
    p = Product(
        name="p",
        repayment="equal_instalment",
        term_months=12,
        monthly_rate=0.0195,
        min_principal=50,
    )
    assert p.checked_principals() == (50, 10000.0)
    with pytest.raises(PolicyError, match=r"below the product's minimum 50\.00"):
        p.schedule(49.99)
    assert p.schedule(50).principal == 50.0
    with pytest.warns(PricingWarning):
        result = lint(p)
    assert result.apr.nominal == max(p.apr(50).nominal, p.apr().nominal)
    with pytest.raises(PolicyError, match=r"at principal 50\.00 exceeds the cap"):
        lint(p, cap=round(p.apr(50).nominal, 4) - 0.0001, warn_at=0.2)


def test_min_principal_round_trips() -> None:
    p = Product(name="p", repayment="bullet", term_months=3, monthly_rate=0.01, min_principal=50)
    assert Product.from_json(p.to_json()) == p


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"reference_principal": "10000"}, "reference_principal must be a number"),
        ({"reference_principal": None}, "reference_principal must be a number"),
        ({"reference_principal": math.nan}, "reference_principal must be finite"),
        ({"reference_principal": 0}, "reference_principal must be a positive amount"),
        ({"reference_principal": 100.001}, "whole fen"),
        ({"min_principal": "50"}, "min_principal must be a number"),
        ({"min_principal": -5.0}, "min_principal must be a positive amount"),
        ({"min_principal": 20000}, "min_principal 20000.0 exceeds reference_principal"),
        ({"monthly_rate": "0.01"}, "monthly_rate must be a number"),
        ({"monthly_rate": True}, "monthly_rate must be a number"),
        ({"apr_cap": math.inf}, "apr_cap must be finite"),
        ({"term_months": 12.0}, "term_months"),
        ({"refund_unearned_fees": "yes"}, "refund_unearned_fees must be True or False"),
        ({"repayment": ["bullet"]}, "repayment must be one of"),
        ({"repayment": "flat_fee", "monthly_fee_rate": 0.005}, "flat_fee charges"),
    ],
)
def test_bad_parameters_raise_spec_error_not_type_error(kw, match) -> None:
    base = {"name": "p", "repayment": "equal_instalment", "term_months": 12, "monthly_rate": 0.01}
    with pytest.raises(SpecError, match=match):
        Product(**{**base, **kw})


@pytest.mark.parametrize("principal", ["1000", None, math.nan, 100.001, -5.0])
def test_bad_principal_for_a_schedule(principal) -> None:
    p = Product(name="p", repayment="equal_instalment", term_months=12, monthly_rate=0.01)
    with pytest.raises(SpecError, match="principal"):
        p.schedule(principal)


@pytest.mark.parametrize("data", [["name", "p"], 5])
def test_bad_product_dicts(data) -> None:
    with pytest.raises(SpecError, match="rebuilt from a dict"):
        Product.from_dict(data)


@pytest.mark.parametrize("text", ["not json {", b"\xff"])
def test_bad_product_json(text) -> None:
    with pytest.raises(SpecError, match="cannot be read"):
        Product.from_json(text)


def test_bad_principal_for_a_revolving_product_is_named_as_the_principal() -> None:
    p = Product(name="r", repayment="revolving", term_months=1, daily_rate=0.0005)
    with pytest.raises(SpecError, match=r"Product 'r': principal must be finite"):
        p.schedule(math.inf)


@pytest.mark.parametrize("kw", [{"cap": "0.2"}, {"warn_at": "high"}, {"cap": math.nan}])
def test_lint_refuses_non_numeric_lines(kw) -> None:
    p = Product(name="p", repayment="bullet", term_months=3, monthly_rate=0.01)
    with pytest.raises(SpecError, match="must be a number"):
        lint(p, **kw)


def test_numpy_scalars_are_stored_as_plain_numbers() -> None:
    p = Product(
        name="np",
        repayment="equal_instalment",
        term_months=12,
        monthly_rate=np.float64(0.01),
        reference_principal=np.int64(1000),
        min_principal=np.int64(50),
    )
    assert type(p.monthly_rate) is float
    assert type(p.min_principal) is float
    assert Product.from_json(p.to_json()) == p
