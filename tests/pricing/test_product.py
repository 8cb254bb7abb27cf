from __future__ import annotations

import warnings

import pytest

from thinfile_credit.errors import PolicyError, SpecError
from thinfile_credit.pricing import PricingWarning, Product, lint


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
