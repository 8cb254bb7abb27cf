"""Pricing: repayment schedules, IRR-based APR, product specs with an APR lint, disclosure.

Examples
--------
>>> from thinfile_credit.pricing import equal_instalment, apr
>>> s = equal_instalment(1000, 0.02, 12)
>>> float(s.payment[0]), s.total_interest, round(apr(s).nominal, 4)
(94.56, 134.7, 0.24)
"""

from thinfile_credit.pricing.apr import APR, apr, effective_annual_rate, irr
from thinfile_credit.pricing.disclosure import LABELS, Disclosure, disclosure, early_repayment_cost
from thinfile_credit.pricing.product import (
    REPAYMENT_KINDS,
    PricingWarning,
    Product,
    ProductLint,
    lint,
)
from thinfile_credit.pricing.schedules import (
    DAYS_PER_MONTH,
    Schedule,
    bullet,
    equal_instalment,
    equal_principal,
    flat_fee,
    revolving,
    round_fen,
)

__all__ = [
    "APR",
    "DAYS_PER_MONTH",
    "LABELS",
    "REPAYMENT_KINDS",
    "Disclosure",
    "PricingWarning",
    "Product",
    "ProductLint",
    "Schedule",
    "apr",
    "bullet",
    "disclosure",
    "early_repayment_cost",
    "effective_annual_rate",
    "equal_instalment",
    "equal_principal",
    "flat_fee",
    "irr",
    "lint",
    "revolving",
    "round_fen",
]
