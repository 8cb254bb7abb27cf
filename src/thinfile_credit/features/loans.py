"""Loan-repayment features for repeat borrowers (prefix ``loan_``)."""

from __future__ import annotations

from dataclasses import dataclass

from thinfile_credit.features import pit
from thinfile_credit.features._expr import DAY_US, agg, col, over, when
from thinfile_credit.features.spec import DEFAULT_WINDOWS, FeatureDef, FeatureFamily, check_windows

__all__ = ["LoanFeatures"]

_LOANS = "loans"
_INST = "installments"


@dataclass(frozen=True)
class LoanFeatures(FeatureFamily):
    """The applicant's own history with the platform's micro-loans.

    Loans count from their disbursement strictly before ``t``; instalments are visible
    with their loan, count as due only when due strictly before ``t``, and as paid only
    when paid strictly before ``t``. DPD (days past due) are whole days: an instalment
    unpaid at ``t`` is ``floor((t - due_at) / 1 day)`` days past due; one paid in full
    before ``t`` was ``max(0, floor((paid_at - due_at) / 1 day))`` days past due.

    Parameters
    ----------
    windows : tuple of int, default (30, 90, 180, 365)
        Windows for ``loan_count_<w>d`` (loans disbursed in the window).
    early_days : int, default 1
        An instalment paid in full at least this many days before its due date is
        "early"; paid in full by the due date otherwise is "on time".

    Examples
    --------
    >>> "loan_max_dpd_ever" in LoanFeatures().feature_names
    True
    """

    windows: tuple[int, ...] = DEFAULT_WINDOWS
    early_days: int = 1

    prefix = "loan"
    family = "loans"

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", check_windows(self.windows, "LoanFeatures"))
        check_windows((self.early_days,), "LoanFeatures.early_days")

    def features(self) -> list[FeatureDef]:
        """Windowed loan counts, then the repayment-history features."""
        d = self._def
        out = [
            d(
                f"loan_count_{w}d",
                w,
                f"Loans disbursed in the last {w} days.",
                "count",
                "higher_is_riskier",
                agg("count", _LOANS, col("principal"), pit.within("disbursed_at", w)),
                definition_zh=f"最近{w}天放款的借款笔数",
            )
            for w in self.windows
        ]
        due = pit.is_due()
        n_due = agg("count", _INST, col("amount_due"), due)
        settled_t = pit.paid_in_full_by(pit.T)
        dpd_paid = (col("paid_at") - col("due_at")) // DAY_US
        dpd_open = (pit.T - col("due_at")) // DAY_US
        dpd = when(due, when(settled_t, when(dpd_paid > 0, dpd_paid, 0), dpd_open))
        ontime = pit.paid_in_full_by(col("due_at"))
        early = pit.paid_in_full_by(col("due_at") - self.early_days * DAY_US)
        bad = due & ~ontime
        last_bad = over("max", when(bad, col("due_at")))
        streak = due & ontime & (last_bad.is_null() | (col("due_at") > last_bad))
        open_loan = over("sum", (~settled_t).to_float(), by=("loan_id",))
        last_time = over("max", col("disbursed_at"))
        is_last = col("disbursed_at").eq(last_time)
        current = agg("max", _INST, dpd_open, pit.overdue_at_t())
        owed = col("amount_due") - pit.amount_paid_at_t()
        none = "no instalment due before the application"
        out += [
            d(
                "loan_count_ever",
                None,
                "Loans disbursed before the application.",
                "count",
                "neutral",
                agg("count", _LOANS, col("principal")),
                definition_zh="申请前历史累计放款的借款笔数",
            ),
            d(
                "loan_completed_count",
                None,
                "Loans whose every instalment was paid in full before the application.",
                "count",
                "higher_is_safer",
                agg("nunique", _INST, col("loan_id"), open_loan.eq(0.0)),
                definition_zh="申请前每期都已全额还清的借款笔数",
            ),
            d(
                "loan_max_dpd_ever",
                None,
                "Worst days past due of any instalment, as known at the application.",
                "days",
                "higher_is_riskier",
                agg("max", _INST, dpd),
                none,
                definition_zh="历史上任一期借款分期的最长逾期天数（以申请时所知为准）",
            ),
            d(
                "loan_current_dpd",
                None,
                "Days past due of the oldest instalment unpaid at the application (0 if none).",
                "days",
                "higher_is_riskier",
                when(current.is_null(), 0.0, current),
                definition_zh="申请时未还清的借款分期中最早一期的逾期天数（没有则为0）",
            ),
            d(
                "loan_ontime_streak",
                None,
                "On-time instalments since the last late or missed one.",
                "count",
                "higher_is_safer",
                agg("sum", _INST, streak.to_float()),
                definition_zh="自上次逾期或漏还以来连续按时还款的分期期数",
            ),
            d(
                "loan_early_share",
                None,
                f"Share of due instalments paid in full {self.early_days}+ days early.",
                "share",
                "higher_is_safer",
                agg("sum", _INST, early.to_float(), due) / n_due,
                none,
                definition_zh=f"已到期的借款分期中提前{self.early_days}天或更早全额还清的占比",
            ),
            d(
                "loan_ontime_share",
                None,
                "Share of due instalments paid in full by the due date (early included).",
                "share",
                "higher_is_safer",
                agg("sum", _INST, ontime.to_float(), due) / n_due,
                none,
                definition_zh="已到期的借款分期中按期全额还清（不晚于到期日，含提前还清）的占比",
            ),
            d(
                "loan_late_share",
                None,
                "Share of due instalments not paid in full by the due date.",
                "share",
                "higher_is_riskier",
                agg("sum", _INST, bad.to_float()) / n_due,
                none,
                definition_zh="已到期的借款分期中未按期全额还清（到期日后才还清或仍未还清）的占比",
            ),
            d(
                "loan_outstanding_amount_now",
                None,
                "Amount of all instalments (due or not) not yet repaid at the application.",
                "yuan",
                "higher_is_riskier",
                agg("sum", _INST, owed, ~settled_t),
                definition_zh="申请时全部借款分期（不论是否到期）尚未还清的金额",
            ),
            d(
                "loan_limit_utilisation_last",
                None,
                "Principal of the most recent loan over the credit limit in force then.",
                "ratio",
                "higher_is_riskier",
                agg("max", _LOANS, col("principal") / col("credit_limit"), is_last),
                "no loan before the application, or its limit is unknown",
                definition_zh="最近一笔借款的本金占当时授信额度的比例",
            ),
            d(
                "loan_days_since_last_loan",
                None,
                "Days from the most recent disbursement to the application.",
                "days",
                "neutral",
                agg("min", _LOANS, pit.age_days("disbursed_at")),
                "no loan before the application",
                definition_zh="最近一次借款放款距申请时的天数",
            ),
        ]
        return out
