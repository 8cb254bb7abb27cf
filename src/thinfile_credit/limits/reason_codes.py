"""Reason codes for limit-ladder actions, as data in one place (zh and en texts).

Adverse actions — a freeze, a cut, a closure, a refused increase, a declined or
capped first limit — carry one of these codes so the borrower can be told why. The
general reason catalog folds this table in; keep codes stable once published.

Examples
--------
>>> reason_text("LIM_FREEZE_DPD", "zh")
'存在逾期，额度已冻结'
>>> reason_text("LIM_FREEZE_DPD", "en")
'Limit frozen: a payment is overdue'
"""

from __future__ import annotations

from thinfile_credit.errors import SpecError

__all__ = ["ADVERSE_REASONS", "LIMIT_REASONS", "REASON_INDEX", "REASON_LIST", "reason_text"]

#: code -> {"zh": text, "en": text}. Order matters: vectorised engines store the index.
LIMIT_REASONS: dict[str, dict[str, str]] = {
    "LIM_INCREASE": {
        "zh": "按时还款，额度已提升",
        "en": "Limit raised: repayments made on time",
    },
    "LIM_UNFREEZE": {
        "zh": "逾期已结清，额度已恢复使用",
        "en": "Limit unfrozen: the overdue payment has been settled",
    },
    "LIM_FREEZE_DPD": {
        "zh": "存在逾期，额度已冻结",
        "en": "Limit frozen: a payment is overdue",
    },
    "LIM_CUT_DPD": {
        "zh": "逾期30天以上，额度已下调至未还余额",
        "en": "Limit cut to the outstanding balance: a payment is 30 or more days overdue",
    },
    "LIM_CLOSE_DPD": {
        "zh": "逾期90天以上，额度已关闭",
        "en": "Credit line closed: a payment is 90 or more days overdue",
    },
    "LIM_CUT_RISK": {
        "zh": "根据最新风险评估，额度已下调",
        "en": "Limit reduced after a review of the account's risk",
    },
    "LIM_NO_INCREASE_COOLDOWN": {
        "zh": "额度近期已调整，冷静期内暂不提额",
        "en": "No increase yet: the limit changed recently and a waiting period applies",
    },
    "LIM_NO_INCREASE_SCORE": {
        "zh": "信用评分未达到提额要求",
        "en": "No increase: the credit score is below the level required",
    },
    "LIM_NO_INCREASE_NO_SCORE": {
        "zh": "暂无最新信用评分，暂不提额",
        "en": "No increase: no current credit score is available",
    },
    "LIM_NO_INCREASE_USAGE": {
        "zh": "额度使用率较低，暂不提额",
        "en": "No increase: too little of the current limit is used",
    },
    "LIM_CAP_AFFORDABILITY": {
        "zh": "额度已达按消费能力核定的上限",
        "en": "Limit at the ceiling set by your spending capacity",
    },
    "LIM_CAP_INCOME": {
        "zh": "额度已达年收入三分之一的上限",
        "en": "Limit at the ceiling set by your income",
    },
    "LIM_CAP_REGULATORY": {
        "zh": "额度已达单户授信监管上限",
        "en": "Limit at the regulatory ceiling per borrower",
    },
    "LIM_CAP_LOSS_BUDGET": {
        "zh": "额度已达风险损失预算上限",
        "en": "Limit at the ceiling set by the expected-loss budget",
    },
    "LIM_DECLINE_SCORE": {
        "zh": "信用评分未达到授信要求",
        "en": "No credit line: the credit score is below the level required",
    },
    "LIM_CAP_ACCOUNT": {
        "zh": "额度已达本账户核定的上限",
        "en": "Limit at the ceiling set for this account",
    },
}

#: Codes in a fixed order; index 0 of vectorised reason arrays means "no reason".
REASON_LIST: tuple[str, ...] = ("", *LIMIT_REASONS)
REASON_INDEX: dict[str, int] = {code: i for i, code in enumerate(REASON_LIST)}
#: Codes that mark an adverse action (everything but a raise or an unfreeze).
ADVERSE_REASONS: frozenset[str] = frozenset(LIMIT_REASONS) - {"LIM_INCREASE", "LIM_UNFREEZE"}


def reason_text(code: str, lang: str = "en") -> str:
    """The borrower-facing text of a reason code.

    Parameters
    ----------
    code : str
        A key of :data:`LIMIT_REASONS`.
    lang : {"en", "zh"}

    Raises
    ------
    SpecError
        On an unknown code or language.

    Examples
    --------
    >>> reason_text("LIM_CAP_INCOME")
    'Limit at the ceiling set by your income'
    """
    try:
        return LIMIT_REASONS[code][lang]
    except KeyError:
        raise SpecError(f"unknown limit reason code {code!r} or language {lang!r}") from None
