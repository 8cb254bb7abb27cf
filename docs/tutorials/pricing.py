"""Pricing: schedules, IRR APR, the cap lint and a bilingual disclosure."""

from __future__ import annotations

import warnings

from thinfile_credit.errors import PolicyError
from thinfile_credit.pricing import (
    PricingWarning,
    Product,
    apr,
    disclosure,
    equal_instalment,
    flat_fee,
    lint,
    revolving,
)

# 1. The worked example: ¥1,000 over 12 months at 2 %/month, equal instalment.
schedule = equal_instalment(1000, 0.02, 12)
print(schedule.to_frame().head(3))
print("monthly payment:", schedule.payment[0], "total interest:", schedule.total_interest)

# 2. A flat fee of 0.6 %/month: the simple rate hides an APR almost twice as high.
fee_loan = apr(flat_fee(1200, 0.006, 12))
print(f"simple-interest rate (not an APR): {fee_loan.simple_interest_rate:.2%}")
print(f"IRR APR: {fee_loan.nominal:.2%} nominal, {fee_loan.effective:.2%} effective")

# 3. Revolving credit: borrow and repay any day, interest by the day.
ledger = revolving([(0, 1000.0), (10, -500.0), (20, 300.0)], daily_rate=0.0005, repay_all_on=45)
print(ledger.to_frame())
print(f"revolving APR: {apr(ledger).nominal:.2%}")

# 4. Products are specs; one over the cap cannot be built.
product = Product(
    name="分期12期",
    repayment="equal_instalment",
    term_months=12,
    monthly_rate=0.012,
    early_repayment_fee_rate=0.01,
)
print(lint(product))
try:
    Product(name="too dear", repayment="flat_fee", term_months=12, monthly_fee_rate=0.02)
except PolicyError as err:
    print("refused:", err)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    lint(
        Product(
            name="near the line", repayment="equal_instalment", term_months=12, monthly_rate=0.0175
        )
    )
print("warnings:", [str(w.message) for w in caught if issubclass(w.category, PricingWarning)])

# 5. The borrower's disclosure, in Chinese and in English.
zh = disclosure(product, 3000, lang="zh")
en = disclosure(product, 3000, lang="en")
print(zh.summary.to_string(index=False))
print(en.summary.to_string(index=False))
print(en.early_repayment.head(3).to_string(index=False))
print(zh.to_markdown()[:400])
