"""E-commerce orders: how often, when, what and how much each user buys.

* **Rate** - Poisson over the account's life; higher for engaged users and users with
  more spending capacity; thin-file users buy at half the rate.
* **When** - the seasonal calendar of :mod:`~thinfile_credit.synthetic.clock` (weekends,
  11-11, 6-18, 12-12, quiet spring festival) and an hourly profile; impulsive users
  (partly the ones who pay bills late) order more often at night.
* **What** - essentials (groceries, household, baby, health) versus discretionary
  (apparel, beauty, electronics, luxury, games, travel); impulsive and high-capacity
  users lean discretionary.
* **How much** - lognormal per category scaled by capacity, with a Pareto tail for the
  rare very large basket.
* **Outcome** - cancelled, refunded, returned (apparel most) or paid, and when that
  final status was reached (:func:`draw_status_times`): cancellations within hours,
  refunds within days, returns within weeks; card and balance payments within minutes.
* **Payment** - pay-later (once the account has it), card or balance; larger pay-later
  orders are often split into 3, 6 or 12 instalments.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit.synthetic.applications import Timeline
from thinfile_credit.synthetic.clock import (
    day_weights,
    last_moment,
    sample_days,
    to_timestamps,
    with_hour,
)
from thinfile_credit.synthetic.config import MarketplaceConfig
from thinfile_credit.synthetic.users import CAPACITY_MEDIAN, LatentUsers, sigmoid

__all__ = [
    "CATEGORIES",
    "DISCRETIONARY",
    "ESSENTIALS",
    "PAYMENT_METHODS",
    "Orders",
    "draw_orders",
    "draw_status_times",
    "orders_frame",
]

#: Everyday categories (the ``cons_`` features' essentials share).
ESSENTIALS: tuple[str, ...] = ("groceries", "household", "baby", "health")
#: Discretionary categories.
DISCRETIONARY: tuple[str, ...] = ("apparel", "beauty", "electronics", "luxury", "games", "travel")
#: All categories, essentials first (codes index into this tuple).
CATEGORIES: tuple[str, ...] = ESSENTIALS + DISCRETIONARY
#: Payment methods (codes index into this tuple).
PAYMENT_METHODS: tuple[str, ...] = ("pay_later", "card", "balance")
_STATUSES: tuple[str, ...] = ("paid", "cancelled", "refunded", "returned")

_WITHIN_ESSENTIAL = np.array([0.45, 0.27, 0.13, 0.15])
_WITHIN_DISCRETIONARY = np.array([0.34, 0.20, 0.17, 0.04, 0.17, 0.08])
#: Median basket (yuan) and log-sd per category, for a user of median capacity.
_MEDIAN = np.array([60.0, 80.0, 110.0, 85.0, 130.0, 110.0, 320.0, 700.0, 45.0, 380.0])
_LOG_SD = np.array([0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.7, 0.6, 0.8, 0.6])
_RETURN_P = np.array([0.02, 0.02, 0.03, 0.02, 0.10, 0.04, 0.05, 0.04, 0.0, 0.02])
#: Days from ordering to the final status, lognormal per status (paid, cancelled,
#: refunded, returned): median and log-sd. A payment confirms in minutes, a cancellation
#: comes within hours, a refund within days, a return after delivery and the trip back.
_STATUS_DELAY_MEDIAN = np.array([2.0 / 1440.0, 4.0 / 24.0, 5.0, 12.0])
_STATUS_DELAY_LOG_SD = np.array([0.8, 0.9, 0.6, 0.4])


@dataclass(frozen=True)
class Orders:
    """The orders as arrays, in ``order_id`` (time) order."""

    user: NDArray[np.int64]  # position in LatentUsers
    time: NDArray[np.float64]
    amount: NDArray[np.float64]
    category: NDArray[np.int64]
    status: NDArray[np.int64]
    method: NDArray[np.int64]
    installments: NDArray[np.int64]
    #: When the final status was reached (days since start, NaN: known when placed);
    #: None until :func:`draw_status_times` has drawn it.
    status_time: NDArray[np.float64] | None = None

    def __len__(self) -> int:
        return len(self.user)


def draw_orders(
    cfg: MarketplaceConfig, users: LatentUsers, tl: Timeline, rng: np.random.Generator
) -> Orders:
    """Draw every order of every user over the horizon (fully vectorised).

    Examples
    --------
    >>> from thinfile_credit.synthetic import MarketplaceConfig
    >>> from thinfile_credit.synthetic.users import draw_users
    >>> from thinfile_credit.synthetic.applications import draw_timeline
    >>> cfg = MarketplaceConfig(n_users=100)
    >>> rng = np.random.default_rng(0)
    >>> users = draw_users(cfg, rng)
    >>> orders = draw_orders(cfg, users, draw_timeline(cfg, users, rng), rng)
    >>> bool((orders.amount > 0).all())
    True
    """
    horizon = float(cfg.horizon_days)
    rate = cfg.orders_per_month * np.exp(0.6 * users.engagement + 0.3 * users.capacity_z - 0.18)
    rate = np.where(users.thin, 0.5 * rate, rate)
    span = horizon - tl.registered
    count = rng.poisson(rate * span / 30.44)
    user = np.repeat(np.arange(users.n, dtype=np.int64), count)
    n = len(user)

    lo, hi = tl.registered[user], np.full(n, horizon)
    weights = day_weights(cfg.start_date, cfg.horizon_days)
    t = sample_days(rng, weights, lo, hi)
    imp = users.impulsivity[user]
    t = with_hour(rng, t, sigmoid(-2.7 + 0.9 * imp))
    t = np.clip(t, lo, last_moment(horizon))

    p_disc = sigmoid(-0.2 + 0.5 * imp + 0.25 * users.capacity_z[user])
    disc = rng.random(n) < p_disc
    category = np.where(
        disc,
        len(ESSENTIALS) + rng.choice(len(DISCRETIONARY), size=n, p=_WITHIN_DISCRETIONARY),
        rng.choice(len(ESSENTIALS), size=n, p=_WITHIN_ESSENTIAL),
    ).astype(np.int64)

    scale = (users.capacity[user] / CAPACITY_MEDIAN) ** 0.45
    amount = _MEDIAN[category] * scale * np.exp(_LOG_SD[category] * rng.standard_normal(n))
    tail = rng.random(n) < 0.015
    amount[tail] *= 1.0 + rng.pareto(1.8, size=int(tail.sum()))
    amount = np.maximum(np.round(amount, 2), 0.5)

    u = rng.random(n)
    p_cancel = 0.02 + 0.05 * sigmoid(imp - 1.0)
    p_refund = np.full(n, 0.02)
    p_return = _RETURN_P[category]
    status = np.select(
        [u < p_cancel, u < p_cancel + p_refund, u < p_cancel + p_refund + p_return],
        [1, 2, 3],
        default=0,
    ).astype(np.int64)

    can_pay_later = t >= tl.pay_later_from[user]
    pay_later = can_pay_later & (rng.random(n) < sigmoid(0.5 * imp))
    method = np.where(pay_later, 0, np.where(rng.random(n) < 0.55, 1, 2)).astype(np.int64)
    split = pay_later & (amount > 300.0) & (rng.random(n) < 0.35)
    installments = np.where(split, rng.choice([3, 6, 12], size=n, p=[0.5, 0.3, 0.2]), 1)

    order = np.argsort(t, kind="stable")
    return Orders(
        user=user[order],
        time=t[order],
        amount=amount[order],
        category=category[order],
        status=status[order],
        method=method[order],
        installments=installments[order].astype(np.int64),
    )


def draw_status_times(cfg: MarketplaceConfig, orders: Orders, rng: np.random.Generator) -> Orders:
    """``orders`` with the moment each reached its final status (``status_at``).

    * **paid** - the payment moment, minutes after ordering, for card and balance
      orders; null for pay-later orders, whose status holds from the moment they are
      placed (the platform pays the merchant at once);
    * **cancelled** - hours after ordering (median 4 hours);
    * **refunded** - days after it (median 5 days);
    * **returned** - weeks after it, once delivered and sent back (median 12 days).

    A status reached after the horizon is moved to its last moment, so that ``status``
    stays as drawn and no timestamp reaches the horizon's end. The delays come from
    their own random stream (``rng``): the other columns of a seed are the same with or
    without them.

    Examples
    --------
    >>> from thinfile_credit.synthetic import MarketplaceConfig
    >>> from thinfile_credit.synthetic.users import draw_users
    >>> from thinfile_credit.synthetic.applications import draw_timeline
    >>> cfg = MarketplaceConfig(n_users=100)
    >>> rng = np.random.default_rng(0)
    >>> users = draw_users(cfg, rng)
    >>> orders = draw_orders(cfg, users, draw_timeline(cfg, users, rng), rng)
    >>> timed = draw_status_times(cfg, orders, np.random.default_rng(1))
    >>> known = ~np.isnan(timed.status_time)
    >>> bool((timed.status_time[known] >= timed.time[known]).all())
    True
    >>> bool(np.isnan(timed.status_time[(orders.status == 0) & (orders.method == 0)]).all())
    True
    """
    n = len(orders)
    median = _STATUS_DELAY_MEDIAN[orders.status]
    delay = median * np.exp(_STATUS_DELAY_LOG_SD[orders.status] * rng.standard_normal(n))
    status_time = np.minimum(orders.time + delay, last_moment(float(cfg.horizon_days)))
    status_time[(orders.status == 0) & (orders.method == 0)] = np.nan
    return replace(orders, status_time=status_time)


def orders_frame(cfg: MarketplaceConfig, users: LatentUsers, orders: Orders) -> pl.DataFrame:
    """The ``orders`` table (``status_at`` when the orders carry their status times).

    Examples
    --------
    >>> from thinfile_credit.synthetic import make_marketplace
    >>> make_marketplace(200, backend="polars").tables.orders.columns[:4]
    ['order_id', 'user_id', 'ordered_at', 'amount']
    """
    columns = {
        "order_id": np.arange(1, len(orders) + 1, dtype=np.int64),
        "user_id": users.user_id[orders.user],
        "ordered_at": to_timestamps(cfg.start_date, orders.time),
        "amount": orders.amount,
        "category": pl.Series(CATEGORIES).gather(orders.category),
        "status": pl.Series(_STATUSES).gather(orders.status),
    }
    if orders.status_time is not None:
        columns["status_at"] = to_timestamps(cfg.start_date, orders.status_time)
    columns["payment_method"] = pl.Series(PAYMENT_METHODS).gather(orders.method)
    columns["installments"] = orders.installments
    return pl.DataFrame(columns)
