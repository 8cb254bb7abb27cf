"""Pay-later statements: one bill per user and month with pay-later spending.

A month's bill collects the user's paid (not cancelled, refunded or returned) pay-later
orders of that month plus the month's share of earlier orders split into instalments.
It is issued on the first days of the next month and due ten days later.

Lateness is tied to the ``late_bills`` factor (and weakly to low capacity): a bill is
paid on time, 1-29 days late, or 30+ days late / never. A payment that would land at
or after the horizon's end is not yet observed (``paid_at`` null, nothing paid).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit.synthetic.clock import last_moment, to_timestamps
from thinfile_credit.synthetic.config import MarketplaceConfig
from thinfile_credit.synthetic.orders import Orders
from thinfile_credit.synthetic.users import LatentUsers, sigmoid

__all__ = ["DUE_DAYS", "Bills", "bills_frame", "draw_bills", "month_starts"]

#: Days between a statement and its due date.
DUE_DAYS = 10.0


@dataclass(frozen=True)
class Bills:
    """Bills as arrays, in ``bill_id`` order (issue time, then user)."""

    user: NDArray[np.int64]
    issued: NDArray[np.float64]
    due: NDArray[np.float64]
    amount_due: NDArray[np.float64]
    paid: NDArray[np.float64]  # NaN while unpaid
    amount_paid: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.user)


def month_starts(cfg: MarketplaceConfig, extra: int = 13) -> NDArray[np.float64]:
    """Day offset of the first day of each month from ``start``'s month onwards.

    Examples
    --------
    >>> from thinfile_credit.synthetic import MarketplaceConfig
    >>> month_starts(MarketplaceConfig())[:3].tolist()
    [0.0, 31.0, 59.0]
    """
    first = cfg.start_date.astype("datetime64[M]")
    months = first + np.arange(cfg.months + extra)
    return (months.astype("datetime64[D]") - cfg.start_date).astype(np.float64)


def draw_bills(
    cfg: MarketplaceConfig, users: LatentUsers, orders: Orders, rng: np.random.Generator
) -> Bills:
    """Aggregate pay-later orders into monthly statements and draw their repayment.

    Examples
    --------
    >>> from thinfile_credit.synthetic import MarketplaceConfig
    >>> from thinfile_credit.synthetic.users import draw_users
    >>> from thinfile_credit.synthetic.applications import draw_timeline
    >>> from thinfile_credit.synthetic.orders import draw_orders
    >>> cfg = MarketplaceConfig(n_users=300)
    >>> rng = np.random.default_rng(0)
    >>> users = draw_users(cfg, rng)
    >>> orders = draw_orders(cfg, users, draw_timeline(cfg, users, rng), rng)
    >>> bills = draw_bills(cfg, users, orders, rng)
    >>> bool((bills.due > bills.issued).all())
    True
    """
    horizon = float(cfg.horizon_days)
    starts = month_starts(cfg)
    billable = np.flatnonzero((orders.method == 0) & (orders.status == 0))
    n_split = orders.installments[billable]
    src = np.repeat(billable, n_split)
    # position of each piece within its order: 0, 1, ..., n-1
    k = np.arange(len(src)) - np.repeat(np.cumsum(n_split) - n_split, n_split)
    month = np.searchsorted(starts, orders.time[src], side="right") - 1 + k
    piece = orders.amount[src] / orders.installments[src]

    n_months = len(starts)
    key = orders.user[src] * n_months + month
    ukey, inverse = np.unique(key, return_inverse=True)
    amount_due: NDArray[np.float64] = np.round(np.bincount(inverse, weights=piece), 2).astype(
        np.float64
    )
    user = (ukey // n_months).astype(np.int64)
    bill_month = ukey % n_months
    statement_day = (users.user_id % 4).astype(np.float64)  # each user's statement day
    issued = starts[np.minimum(bill_month + 1, n_months - 1)] + statement_day[user]
    issued = np.where(bill_month + 1 < n_months, issued, np.inf)
    due = issued + DUE_DAYS
    keep = due < horizon
    user, issued, due, amount_due = user[keep], issued[keep], due[keep], amount_due[keep]
    amount_due = np.maximum(amount_due, 0.01).astype(np.float64)

    paid, amount_paid = _draw_repayment(users, user, issued, due, amount_due, rng)
    late = paid > last_moment(horizon)
    paid[late] = np.nan
    amount_paid[late | np.isnan(paid)] = 0.0
    order = np.lexsort((user, issued))
    return Bills(
        user=user[order],
        issued=issued[order],
        due=due[order],
        amount_due=amount_due[order],
        paid=paid[order],
        amount_paid=amount_paid[order],
    )


def bills_frame(cfg: MarketplaceConfig, users: LatentUsers, bills: Bills) -> pl.DataFrame:
    """The ``bills`` table.

    Examples
    --------
    >>> from thinfile_credit.synthetic import make_marketplace
    >>> make_marketplace(200, backend="polars").tables.bills.columns
    ['bill_id', 'user_id', 'issued_at', 'due_at', 'amount_due', 'paid_at', 'amount_paid']
    """
    start = cfg.start_date
    return pl.DataFrame(
        {
            "bill_id": np.arange(1, len(bills) + 1, dtype=np.int64),
            "user_id": users.user_id[bills.user],
            "issued_at": to_timestamps(start, bills.issued),
            "due_at": to_timestamps(start, bills.due),
            "amount_due": bills.amount_due,
            "paid_at": to_timestamps(start, bills.paid),
            "amount_paid": bills.amount_paid,
        }
    )


def _draw_repayment(
    users: LatentUsers,
    user: NDArray[np.int64],
    issued: NDArray[np.float64],
    due: NDArray[np.float64],
    amount_due: NDArray[np.float64],
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    n = len(user)
    late_factor = users.repayment_propensity("late_bills")[user]
    p_late = sigmoid(-3.0 + 1.5 * late_factor - 0.25 * users.capacity_z[user])
    p_severe = sigmoid(-0.3 + 1.1 * late_factor)
    u = rng.random(n)
    severe = u < p_late * p_severe
    minor = ~severe & (u < p_late)

    # On time: most pay in the last days before the due date.
    paid = due - (due - issued) * rng.random(n) ** 2
    minor_days = np.minimum(rng.geometric(0.15, size=n), 29) + 0.9 * rng.random(n)
    paid = np.where(minor, due + minor_days, paid)
    severe_days = 30.0 + rng.exponential(40.0, size=n)
    never = severe & (rng.random(n) < 0.4)
    paid = np.where(severe, due + severe_days, paid)
    paid[never] = np.nan

    amount_paid = amount_due.copy()
    partial = (minor & (rng.random(n) < 0.15)) | (severe & ~never & (rng.random(n) < 0.3))
    amount_paid[partial] = np.round(
        amount_due[partial] * rng.uniform(0.3, 0.9, int(partial.sum())), 2
    )
    amount_paid[never] = 0.0
    return paid, amount_paid
