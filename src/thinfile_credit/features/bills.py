"""Bill-payment features from platform bills and pay-later statements (prefix ``bill_``)."""

from __future__ import annotations

from dataclasses import dataclass

from thinfile_credit.features import pit
from thinfile_credit.features._expr import agg, col
from thinfile_credit.features.spec import DEFAULT_WINDOWS, FeatureDef, FeatureFamily, check_windows

__all__ = ["BillFeatures"]

_SRC = "bills"


@dataclass(frozen=True)
class BillFeatures(FeatureFamily):
    """How the applicant paid platform bills that fell due before the application.

    A bill counts for window ``w`` when its **due date** lies in ``[t - w days, t)``;
    bills issued but not yet due at ``t`` are ignored. Payments at or after ``t`` are
    unknown at ``t`` (see :mod:`thinfile_credit.features.pit`): such a bill is overdue.

    Parameters
    ----------
    windows : tuple of int, default (30, 90, 180, 365)
        Look-back windows in days over due dates.
    late_days : tuple of int, default (3, 30)
        Thresholds for the ``bill_late<k>_count_*`` features (days late strictly above).

    Examples
    --------
    >>> BillFeatures(windows=(90,)).feature_names[:2]
    ['bill_due_count_90d', 'bill_ontime_share_90d']
    """

    windows: tuple[int, ...] = DEFAULT_WINDOWS
    late_days: tuple[int, ...] = (3, 30)

    prefix = "bill"
    family = "bills"

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", check_windows(self.windows, "BillFeatures"))
        object.__setattr__(
            self, "late_days", check_windows(self.late_days, "BillFeatures.late_days")
        )

    def features(self) -> list[FeatureDef]:
        """Windowed bill features, then the two "now" features."""
        out: list[FeatureDef] = []
        for w in self.windows:
            out.extend(self._window_features(w))
        overdue = pit.overdue_at_t()
        owed = col("amount_due") - pit.amount_paid_at_t()
        out.append(
            self._def(
                "bill_overdue_count_now",
                None,
                "Bills due before the application and not paid in full before it.",
                "count",
                "higher_is_riskier",
                agg("sum", _SRC, overdue.to_float()),
                definition_zh="申请时已到期但尚未还清的账单笔数",
            )
        )
        out.append(
            self._def(
                "bill_overdue_amount_now",
                None,
                "Amount still owed at the application on bills already due.",
                "yuan",
                "higher_is_riskier",
                agg("sum", _SRC, owed, overdue),
                definition_zh="申请时已到期账单仍欠的金额",
            )
        )
        return out

    def _window_features(self, w: int) -> list[FeatureDef]:
        due = pit.due_within(w)
        n = agg("count", _SRC, col("amount_due"), due)
        late = pit.days_late_at_t()
        ontime = pit.paid_in_full_by(col("due_at"))
        full = pit.paid_in_full_by(pit.T)
        s = f"_{w}d"
        none = f"no bill due in the last {w} days"
        zh = f"最近{w}天"
        d = self._def
        out = [
            d(
                f"bill_due_count{s}",
                w,
                f"Bills that fell due in the last {w} days.",
                "count",
                "neutral",
                n,
                definition_zh=f"{zh}到期的账单笔数",
            ),
            d(
                f"bill_ontime_share{s}",
                w,
                f"Share of bills due in the last {w} days paid in full by the due date.",
                "share",
                "higher_is_safer",
                agg("sum", _SRC, ontime.to_float(), due) / n,
                none,
                definition_zh=f"{zh}到期的账单中按期全额还清（不晚于到期日）的占比",
            ),
            d(
                f"bill_full_paid_share{s}",
                w,
                f"Share of bills due in the last {w} days paid in full before the application.",
                "share",
                "higher_is_safer",
                agg("sum", _SRC, full.to_float(), due) / n,
                none,
                definition_zh=f"{zh}到期的账单中在申请前已全额还清的占比",
            ),
            d(
                f"bill_mean_days_late{s}",
                w,
                f"Mean days late of bills due in the last {w} days (unpaid bills count the days "
                "up to the application).",
                "days",
                "higher_is_riskier",
                agg("mean", _SRC, late, due),
                none,
                definition_zh=f"{zh}到期账单的平均逾期天数（未还的账单算到申请时）",
            ),
            d(
                f"bill_max_days_late{s}",
                w,
                f"Most days late of any bill due in the last {w} days.",
                "days",
                "higher_is_riskier",
                agg("max", _SRC, late, due),
                none,
                definition_zh=f"{zh}到期账单中最长的逾期天数",
            ),
        ]
        for k in self.late_days:
            out.append(
                d(
                    f"bill_late{k}_count{s}",
                    w,
                    f"Bills due in the last {w} days paid more than {k} days late or still "
                    f"unpaid more than {k} days after the due date.",
                    "count",
                    "higher_is_riskier",
                    agg("sum", _SRC, (late > float(k)).to_float(), due),
                    definition_zh=f"{zh}到期的账单中逾期超过{k}天的笔数（晚还超过{k}天，"
                    f"或到期超过{k}天仍未还清）",
                )
            )
        return out
