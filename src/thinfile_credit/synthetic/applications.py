"""Account timeline and credit applications.

Thick-file users register in the first half-year of the horizon, so they have at least
six months of history when the application window opens (start + 12 months). Thin-file
users register shortly before they apply (days to a few months), which is what makes
their file thin. Applications fall in ``[start + 12 months, horizon_end - window)``
so every label is mature by the horizon's end; some users apply several times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit.synthetic.clock import to_timestamps
from thinfile_credit.synthetic.config import MarketplaceConfig
from thinfile_credit.synthetic.users import SHORT_HISTORY_WEIGHT, LatentUsers

__all__ = ["CHANNELS", "Timeline", "applications_frame", "draw_timeline"]

#: Application channels and their shares.
CHANNELS: tuple[str, ...] = ("app", "web", "partner")
_CHANNEL_P = (0.7, 0.15, 0.15)


@dataclass(frozen=True)
class Timeline:
    """When each user registered, got pay-later, started borrowing and applied.

    Times are days since ``config.start``; application arrays are ordered by
    ``application_id`` (time, then user).
    """

    registered: NDArray[np.float64]
    pay_later_from: NDArray[np.float64]
    loans_from: NDArray[np.float64]
    first_application: NDArray[np.float64]  # NaN for users who never apply
    app_user: NDArray[np.int64]  # position of the applicant in LatentUsers
    app_time: NDArray[np.float64]
    app_requested: NDArray[np.float64]
    app_channel: NDArray[np.int64]

    @property
    def tenure_days(self) -> NDArray[np.float64]:
        """Account age of each applicant at application."""
        return self.app_time - self.registered[self.app_user]

    def short_history(self, scale: float) -> NDArray[np.float64]:
        """Log-odds added for new accounts: full weight at 0 days, none after a year."""
        return scale * SHORT_HISTORY_WEIGHT * np.clip(1.0 - self.tenure_days / 365.0, 0.0, 1.0)


def draw_timeline(cfg: MarketplaceConfig, users: LatentUsers, rng: np.random.Generator) -> Timeline:
    """Draw registration, product activation and application moments.

    Examples
    --------
    >>> from thinfile_credit.synthetic import MarketplaceConfig
    >>> from thinfile_credit.synthetic.users import draw_users
    >>> cfg = MarketplaceConfig(n_users=200)
    >>> rng = np.random.default_rng(0)
    >>> tl = draw_timeline(cfg, draw_users(cfg, rng), rng)
    >>> bool((tl.app_time >= cfg.application_start_day).all())
    True
    """
    n = users.n
    horizon = float(cfg.horizon_days)
    a0 = float(cfg.application_start_day)
    a1 = a0 + cfg.application_window_days
    thin, applies = users.thin, users.applies

    registered = rng.uniform(0.0, 183.0, size=n)
    thin_app = thin & applies
    registered[thin_app] = rng.uniform(a0 - 90.0, a1 - 20.0, size=int(thin_app.sum()))
    thin_idle = thin & ~applies
    registered[thin_idle] = rng.uniform(a0 - 90.0, horizon - 2.0, size=int(thin_idle.sum()))

    first = np.full(n, np.nan)
    first[applies & ~thin] = rng.uniform(a0, a1, size=int((applies & ~thin).sum()))
    # A thin-file applicant applies soon after registering (their reason to sign up).
    lo = np.maximum(a0, registered[thin_app] + 14.0)
    soon = lo + rng.exponential(45.0, size=len(lo))
    late = soon >= a1
    soon[late] = lo[late] + rng.random(int(late.sum())) * (a1 - lo[late])
    first[thin_app] = soon

    who = np.flatnonzero(applies)
    extra = rng.poisson(cfg.repeat_application_rate, size=len(who))
    rep_user = np.repeat(who, extra)
    rep_lo = first[rep_user] + 7.0
    keep = rep_lo < a1
    rep_user, rep_lo = rep_user[keep], rep_lo[keep]
    rep_time = rep_lo + rng.random(len(rep_user)) * (a1 - rep_lo)

    app_user = np.concatenate([who, rep_user]).astype(np.int64)
    app_time = np.concatenate([first[who], rep_time])
    order = np.lexsort((app_user, app_time))
    app_user, app_time = app_user[order], app_time[order]
    n_app = len(app_user)
    requested = users.capacity[app_user] * rng.lognormal(-0.5, 0.6, size=n_app)
    requested = np.clip(np.round(requested / 10.0) * 10.0, 50.0, 50_000.0)

    pay_later_from = registered + rng.exponential(30.0, size=n)
    loans_from = registered + 30.0 + rng.uniform(0.0, 120.0, size=n)
    return Timeline(
        registered=registered,
        pay_later_from=np.where(users.has_pay_later, pay_later_from, np.inf),
        loans_from=np.where(users.has_loan_history, loans_from, np.inf),
        first_application=first,
        app_user=app_user,
        app_time=app_time,
        app_requested=requested,
        app_channel=rng.choice(len(CHANNELS), size=n_app, p=_CHANNEL_P).astype(np.int64),
    )


def applications_frame(cfg: MarketplaceConfig, users: LatentUsers, tl: Timeline) -> pl.DataFrame:
    """The ``applications`` table (one row per application, ids in time order).

    Examples
    --------
    >>> from thinfile_credit.synthetic import MarketplaceConfig
    >>> from thinfile_credit.synthetic.users import draw_users
    >>> cfg = MarketplaceConfig(n_users=100)
    >>> rng = np.random.default_rng(0)
    >>> users = draw_users(cfg, rng)
    >>> applications_frame(cfg, users, draw_timeline(cfg, users, rng)).columns
    ['application_id', 'user_id', 'applied_at', 'requested_amount', 'channel']
    """
    n_app = len(tl.app_user)
    return pl.DataFrame(
        {
            "application_id": np.arange(1, n_app + 1, dtype=np.int64),
            "user_id": users.user_id[tl.app_user],
            "applied_at": to_timestamps(cfg.start_date, tl.app_time),
            "requested_amount": tl.app_requested,
            "channel": pl.Series(CHANNELS).gather(tl.app_channel),
        }
    )
