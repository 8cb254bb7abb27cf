"""Thin-file indicators: how much platform history there is to judge (prefix ``thin_``)."""

from __future__ import annotations

from dataclasses import dataclass

from thinfile_credit.features import pit
from thinfile_credit.features._expr import DAY_US, Expr, agg, col, when
from thinfile_credit.features.spec import FeatureDef, FeatureFamily, check_windows

__all__ = ["ThinFileFeatures"]


@dataclass(frozen=True)
class ThinFileFeatures(FeatureFamily):
    """History length, event counts and the ``thin_file`` flag.

    The history starts at the applicant's first order, bill issue or loan disbursement
    before ``t`` (account registration alone is not history). ``thin_file`` is 1 when
    ``thin_history_days < min_history_days`` **or** ``thin_event_count < min_events``;
    an applicant with no history at all has ``thin_history_days = 0``, all counts 0 and
    ``thin_file = 1``.

    Parameters
    ----------
    min_history_days : int, default 180
        Shortest history, in days, that is not thin.
    min_events : int, default 10
        Fewest orders + bills + loans that is not thin.

    Examples
    --------
    >>> ThinFileFeatures().feature_names[-1]
    'thin_file'
    """

    min_history_days: int = 180
    min_events: int = 10

    prefix = "thin"
    family = "thin_file"

    def __post_init__(self) -> None:
        check_windows((self.min_history_days,), "ThinFileFeatures.min_history_days")
        check_windows((self.min_events,), "ThinFileFeatures.min_events")

    def features(self) -> list[FeatureDef]:
        """History days, counts per table, total, flag."""
        first = _earliest(
            agg("min", "orders", col("ordered_at")),
            agg("min", "bills", col("issued_at")),
            agg("min", "loans", col("disbursed_at")),
        )
        history = when(first.is_null(), 0.0, (pit.T - first) / DAY_US)
        n_orders = agg("count", "orders", col("ordered_at"))
        n_bills = agg("count", "bills", col("issued_at"))
        n_loans = agg("count", "loans", col("disbursed_at"))
        total = n_orders + n_bills + n_loans
        flag = when(
            (history < float(self.min_history_days)) | (total < float(self.min_events)), 1.0, 0.0
        )
        f = self.family
        return [
            FeatureDef(
                "thin_history_days",
                f,
                None,
                "Days from the first order, bill or loan to the application (0 if none).",
                "days",
                "higher_is_safer",
                history,
                definition_zh="首次下单、账单或借款距申请时的天数（没有则为0）",
            ),
            FeatureDef(
                "thin_order_count",
                f,
                None,
                "Orders placed before the application.",
                "count",
                "higher_is_safer",
                n_orders,
                definition_zh="申请前历史累计下单笔数",
            ),
            FeatureDef(
                "thin_bill_count",
                f,
                None,
                "Bills issued before the application.",
                "count",
                "higher_is_safer",
                n_bills,
                definition_zh="申请前历史累计出账的账单笔数",
            ),
            FeatureDef(
                "thin_loan_count",
                f,
                None,
                "Loans disbursed before the application.",
                "count",
                "higher_is_safer",
                n_loans,
                definition_zh="申请前历史累计放款的借款笔数",
            ),
            FeatureDef(
                "thin_event_count",
                f,
                None,
                "Orders + bills + loans before the application.",
                "count",
                "higher_is_safer",
                total,
                definition_zh="申请前历史累计的下单、账单和借款总笔数",
            ),
            FeatureDef(
                "thin_file",
                f,
                None,
                f"1 if history is shorter than {self.min_history_days} days or has fewer "
                f"than {self.min_events} events, else 0.",
                "flag",
                "higher_is_riskier",
                flag,
                definition_zh=f"平台记录是否过少（历史不足{self.min_history_days}天，或下单、账单和"
                f"借款合计少于{self.min_events}笔为1，否则为0）",
            ),
        ]


def _earliest(*values: Expr) -> Expr:
    """The smallest non-null value (null when all are null)."""
    out = values[0]
    for v in values[1:]:
        out = when(out.is_null(), v, when(v.is_null(), out, when(v < out, v, out)))
    return out
