from __future__ import annotations

import pytest

from thinfile_credit.errors import SpecError
from thinfile_credit.pricing import Product, disclosure, early_repayment_cost


@pytest.fixture
def product() -> Product:
    return Product(
        name="12期",
        repayment="equal_instalment",
        term_months=12,
        monthly_rate=0.02,
        early_repayment_fee_rate=0.01,
    )


def test_disclosure_zh_and_en(product: Product) -> None:
    zh = disclosure(product, 1000)
    en = disclosure(product, 1000, lang="en")
    items = dict(zip(en.summary["item"], en.summary["value"]))
    assert items["APR (IRR method, nominal annual)"] == "24.00%"
    # Interest actually accrued month by month (the last instalment is 94.54).
    assert items["Total interest (CNY)"] == "134.70"
    assert items["Total repayable (CNY)"] == "1134.70"
    assert items["Simple-interest rate (NOT an APR, for reference only)"] == "13.47%"
    assert "NOT an APR" in " ".join(en.summary["item"])
    assert zh.summary.iloc[0, 0].startswith("年化利率")
    assert len(zh.schedule) == 12
    assert "应还金额" in zh.schedule.columns
    md = zh.to_markdown()
    assert "等额本息" in md
    assert "提前还款成本" in md


def test_early_repayment_costs(product: Product) -> None:
    er = early_repayment_cost(product, 1000)
    assert len(er) == 11
    first = er.iloc[0]
    assert first["outstanding"] == pytest.approx(925.44)
    assert first["cost"] == pytest.approx(9.25)  # 1 % of 925.44
    assert (er["saving"] > 0).all()


def test_simple_rate_in_the_disclosure_divides_by_the_amount_borrowed() -> None:
    p = Product(
        name="f",
        repayment="flat_fee",
        term_months=12,
        monthly_fee_rate=0.006,
        upfront_fee_rate=0.02,
    )
    items = dict(zip(*disclosure(p, 1000, lang="en").summary.to_dict("list").values()))
    assert items["Total cost of credit (interest + fees, CNY)"] == "92.00"
    assert items["Simple-interest rate (NOT an APR, for reference only)"] == "9.20%"


def test_unrefunded_fees_add_to_early_cost() -> None:
    p = Product(
        name="f",
        repayment="flat_fee",
        term_months=4,
        monthly_fee_rate=0.01,
        refund_unearned_fees=False,
    )
    assert early_repayment_cost(p, 1000)["cost"].tolist() == [30.0, 20.0, 10.0]


def test_revolving_has_no_early_repayment_penalty() -> None:
    p = Product(name="r", repayment="revolving", term_months=1, daily_rate=0.0005)
    assert len(disclosure(p, 1000).early_repayment) == 0


def test_unknown_language(product: Product) -> None:
    with pytest.raises(SpecError, match="language"):
        disclosure(product, 1000, lang="fr")
