"""Borrower-facing cost disclosure in Chinese and English.

A disclosure states the IRR APR (nominal and effective), the total cost of credit, the
full repayment schedule and what repaying early costs after each instalment — the items
Chinese consumer-credit disclosure guidance asks lenders to show "in a prominent place".
The simple-interest figure appears only with its label saying it is not an APR.

Examples
--------
>>> from thinfile_credit.pricing.product import Product
>>> p = Product(name="12期", repayment="equal_instalment", term_months=12, monthly_rate=0.015)
>>> d = disclosure(p, 1000, lang="en")
>>> d.summary.loc[0, "item"]
'APR (IRR method, nominal annual)'
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from thinfile_credit.errors import SpecError
from thinfile_credit.pricing._money import _fen_of, _times
from thinfile_credit.pricing.apr import APR
from thinfile_credit.pricing.product import Product
from thinfile_credit.pricing.schedules import Schedule

__all__ = ["LABELS", "Disclosure", "disclosure", "early_repayment_cost"]

#: Every label of a disclosure, in each language; extend here to add a language.
LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "apr_nominal": "年化利率（IRR内部收益率法，名义）",
        "apr_effective": "实际年利率（复利）",
        "principal": "借款本金（元）",
        "total_interest": "利息总额（元）",
        "total_fees": "费用总额（元）",
        "total_cost": "借款总成本（利息+费用，元）",
        "total_repayable": "应还总额（元）",
        "simple_rate": "单利折算年利率（非年化利率APR，仅供参考）",
        "repayment": "还款方式",
        "term": "期数",
        "item": "项目",
        "value": "内容",
        "instalment_no": "期次",
        "day": "距放款天数",
        "principal_col": "本金",
        "interest": "利息",
        "fee": "费用",
        "payment": "应还金额",
        "balance": "剩余本金",
        "after_instalment": "于第N期后提前还清",
        "outstanding": "剩余本金",
        "payoff": "提前还清应付",
        "early_cost": "提前还款成本",
        "saving": "较按期还款节省",
        "equal_instalment": "等额本息",
        "equal_principal": "等额本金",
        "flat_fee": "等本等费",
        "bullet": "先息后本",
        "revolving": "随借随还（按日计息）",
    },
    "en": {
        "apr_nominal": "APR (IRR method, nominal annual)",
        "apr_effective": "Effective annual rate (compounded)",
        "principal": "Amount borrowed (CNY)",
        "total_interest": "Total interest (CNY)",
        "total_fees": "Total fees (CNY)",
        "total_cost": "Total cost of credit (interest + fees, CNY)",
        "total_repayable": "Total repayable (CNY)",
        "simple_rate": "Simple-interest rate (NOT an APR, for reference only)",
        "repayment": "Repayment method",
        "term": "Instalments",
        "item": "item",
        "value": "value",
        "instalment_no": "instalment",
        "day": "day",
        "principal_col": "principal",
        "interest": "interest",
        "fee": "fee",
        "payment": "payment",
        "balance": "balance after",
        "after_instalment": "repaid in full after instalment",
        "outstanding": "outstanding principal",
        "payoff": "payoff amount",
        "early_cost": "cost of early repayment",
        "saving": "saving vs. paying to term",
        "equal_instalment": "equal instalment",
        "equal_principal": "equal principal",
        "flat_fee": "flat fee instalments",
        "bullet": "interest-only, principal at end",
        "revolving": "revolving, daily interest",
    },
}


@dataclass(frozen=True)
class Disclosure:
    """A product's cost disclosure for one amount, in one language.

    Parameters
    ----------
    product : Product
    principal : float
    lang : str
    apr : APR
    summary : pandas.DataFrame
        ``item`` / ``value`` rows: APRs, totals, the labelled simple rate.
    schedule : pandas.DataFrame
        The repayment schedule with localised column names.
    early_repayment : pandas.DataFrame
        Payoff amount and cost of repaying in full after each instalment.

    Examples
    --------
    >>> from thinfile_credit.pricing.product import Product
    >>> p = Product(name="x", repayment="equal_principal", term_months=3, monthly_rate=0.01)
    >>> len(disclosure(p, 900, lang="en").schedule)
    3
    """

    product: Product
    principal: float
    lang: str
    apr: APR
    summary: Any
    schedule: Any
    early_repayment: Any

    def to_markdown(self) -> str:
        """The three tables as Markdown (for a web page or a loan contract annex).

        Examples
        --------
        >>> from thinfile_credit.pricing.product import Product
        >>> p = Product(name="x", repayment="bullet", term_months=3, monthly_rate=0.01)
        >>> "年化利率" in disclosure(p, 1000).to_markdown()
        True
        """
        parts = [f"### {self.product.name}", _markdown(self.summary), "", _markdown(self.schedule)]
        if len(self.early_repayment):
            parts += ["", _markdown(self.early_repayment)]
        return "\n".join(parts)


def disclosure(product: Product, principal: float, *, lang: str = "zh") -> Disclosure:
    """Build the disclosure tables for borrowing ``principal`` under ``product``.

    Parameters
    ----------
    product : Product
    principal : float
        Amount borrowed, yuan.
    lang : {"zh", "en"}, default "zh"

    Returns
    -------
    Disclosure

    Raises
    ------
    SpecError
        On an unknown language, or a ``product`` that is not a :class:`Product`.

    Examples
    --------
    >>> from thinfile_credit.pricing.product import Product
    >>> p = Product(name="x", repayment="equal_instalment", term_months=12, monthly_rate=0.02)
    >>> d = disclosure(p, 1000, lang="en")
    >>> d.summary.set_index("item").loc["Total interest (CNY)", "value"]
    '134.70'
    """
    import pandas as pd

    if lang not in LABELS:
        raise SpecError(f"disclosure language must be one of {sorted(LABELS)}, got {lang!r}")
    t = LABELS[lang]
    sched, figures = _product(product).priced(principal)
    rows = [
        (t["apr_nominal"], _percent(figures.nominal)),
        (t["apr_effective"], _percent(figures.effective)),
        (t["repayment"], t[product.repayment]),
        (t["term"], str(sched.n_payments)),
        (t["principal"], f"{sched.principal:.2f}"),
        (t["total_interest"], f"{sched.total_interest:.2f}"),
        (t["total_fees"], f"{sched.total_fees:.2f}"),
        (t["total_cost"], f"{sched.total_cost:.2f}"),
        (t["total_repayable"], f"{sched.total_repayable:.2f}"),
        (t["simple_rate"], _percent(figures.simple_interest_rate)),
    ]
    summary = pd.DataFrame(rows, columns=[t["item"], t["value"]])
    frame = sched.to_frame().rename(
        columns={
            "instalment_no": t["instalment_no"],
            "day": t["day"],
            "principal": t["principal_col"],
            "interest": t["interest"],
            "fee": t["fee"],
            "payment": t["payment"],
            "balance": t["balance"],
        }
    )
    early = _early_repayment_table(product, sched).rename(
        columns={
            "after_instalment": t["after_instalment"],
            "outstanding": t["outstanding"],
            "payoff": t["payoff"],
            "cost": t["early_cost"],
            "saving": t["saving"],
        }
    )
    return Disclosure(product, float(principal), lang, figures, summary, frame, early)


def early_repayment_cost(product: Product, principal: float) -> Any:
    """Cost of repaying everything right after each instalment (before the last).

    The payoff is the outstanding principal, plus the early-repayment fee on it, plus
    (when ``refund_unearned_fees`` is false) every periodic fee not yet reached. The
    saving compares the payoff with the remaining scheduled payments. A revolving line
    charges interest only for days used, so repaying early costs only the fee.

    The fee follows the schedules' money rule: ``round_half_up(outstanding *
    early_repayment_fee_rate)`` to the fen, on the outstanding principal in integer fen
    and the rate read as written (``Decimal(repr(rate))``), so 10 % of ¥1.15 is ¥0.12
    (11.5 fen rounds up), never a float product's ¥0.11. Every column is exact to the
    fen.

    Returns
    -------
    pandas.DataFrame
        Columns ``after_instalment``, ``outstanding``, ``payoff``, ``cost``, ``saving``.

    Examples
    --------
    >>> from thinfile_credit.pricing.product import Product
    >>> p = Product(name="x", repayment="flat_fee", term_months=3, monthly_fee_rate=0.01,
    ...             refund_unearned_fees=False)
    >>> early_repayment_cost(p, 900)["cost"].tolist()
    [18.0, 9.0]
    >>> q = Product(name="y", repayment="equal_principal", term_months=2,
    ...             early_repayment_fee_rate=0.1)
    >>> early_repayment_cost(q, 2.30)[["outstanding", "cost"]].values.tolist()
    [[1.15, 0.12]]
    """
    return _early_repayment_table(_product(product), _product(product).schedule(principal))


def _early_repayment_table(product: Product, sched: Schedule) -> Any:
    """:func:`early_repayment_cost` for a schedule already priced, in integer fen."""
    import pandas as pd

    n = sched.n_payments
    if product.repayment == "revolving" or n < 2:
        return pd.DataFrame(columns=["after_instalment", "outstanding", "payoff", "cost", "saving"])
    rate = Decimal(repr(float(product.early_repayment_fee_rate)))
    balance = [_fen_of(b) for b in sched.balance[:-1]]
    fees = [_fen_of(f) for f in sched.fee]
    payments = [_fen_of(p) for p in sched.payment]
    # Amounts still due after instalment k: a suffix sum over rows k..n-1.
    fees_left = list(itertools.accumulate(reversed(fees)))[::-1]
    payments_left = list(itertools.accumulate(reversed(payments)))[::-1]
    cost = [
        _times(b, rate) + (0 if product.refund_unearned_fees else fees_left[k])
        for k, b in enumerate(balance, start=1)
    ]
    payoff = [b + c for b, c in zip(balance, cost)]
    saving = [payments_left[k] - p for k, p in enumerate(payoff, start=1)]
    return pd.DataFrame(
        {
            "after_instalment": np.arange(1, n),
            "outstanding": np.array(balance, dtype=np.int64) / 100,
            "payoff": np.array(payoff, dtype=np.int64) / 100,
            "cost": np.array(cost, dtype=np.int64) / 100,
            "saving": np.array(saving, dtype=np.int64) / 100,
        }
    )


def _product(product: Any) -> Product:
    if not isinstance(product, Product):
        raise SpecError(f"product must be a Product, got {type(product).__name__} {product!r:.60}")
    return product


def _percent(rate: float) -> str:
    """A rate as a percentage to 0.01 point; a rate that rounds to zero reads "0.00%",
    never "-0.00%" (an IRR solved to -4e-18 on an interest-free loan)."""
    text = f"{rate:.2%}"
    return text[1:] if text.startswith("-") and float(text[1:-1]) == 0 else text


def _markdown(frame: Any) -> str:
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)
