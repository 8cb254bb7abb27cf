"""Labels from repayment histories: the bad flag, vintage curves and roll rates.

Examples
--------
>>> from thinfile_credit.labels import STATUSES
>>> STATUSES
('bad', 'good', 'indeterminate', 'immature')
"""

from thinfile_credit.labels.bad_flag import STATUSES, bad_flag, window_days
from thinfile_credit.labels.dpd import RepaymentHistory, instalment_dpd
from thinfile_credit.labels.roll_rates import (
    DEFAULT_BUCKETS,
    delinquency_snapshots,
    roll_rate_matrix,
)
from thinfile_credit.labels.vintage import suggest_window, vintage_curves

__all__ = [
    "DEFAULT_BUCKETS",
    "STATUSES",
    "RepaymentHistory",
    "bad_flag",
    "delinquency_snapshots",
    "instalment_dpd",
    "roll_rate_matrix",
    "suggest_window",
    "vintage_curves",
    "window_days",
]
