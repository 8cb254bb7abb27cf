"""Account facts and their time-stamped changes.

* ``phone_verified_at`` - most users verify within days of registering; users high on
  the ``unstable_identity`` factor more often never do.
* ``stated_income`` - for some users: annual income implied by spending capacity, with
  noise and some over-statement by riskier users.
* ``bureau_score`` - only for thick-file users with a bureau file: a 300-950 score that
  falls with latent risk (correlation about -0.6), null for everyone else.
* ``profile_changes`` - device, address and (rarely) phone changes, a Poisson process
  whose rate grows with ``unstable_identity``.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit.schema import PROFILE_CHANGE_KINDS
from thinfile_credit.synthetic.applications import Timeline
from thinfile_credit.synthetic.clock import last_moment, to_timestamps
from thinfile_credit.synthetic.config import MarketplaceConfig
from thinfile_credit.synthetic.users import LatentUsers, sigmoid

__all__ = ["CHANGE_RATES", "bureau_scores", "profile_changes_frame", "profiles_frame"]

#: Yearly change rate of a user at the factor's mean, by kind (device, address, phone).
CHANGE_RATES: dict[str, float] = {"device": 0.8, "address": 0.4, "phone": 0.06}
_CHANGE_SLOPE: dict[str, float] = {"device": 1.0, "address": 0.8, "phone": 0.8}


def bureau_scores(users: LatentUsers, rng: np.random.Generator) -> NDArray[np.float64]:
    """Bureau score per user (NaN without a bureau file).

    Examples
    --------
    >>> from thinfile_credit.synthetic import MarketplaceConfig
    >>> from thinfile_credit.synthetic.users import draw_users
    >>> users = draw_users(MarketplaceConfig(n_users=500), np.random.default_rng(0))
    >>> s = bureau_scores(users, np.random.default_rng(1))
    >>> bool(np.isnan(s[users.thin]).all())
    True
    """
    z = (users.risk - users.risk.mean()) / max(float(users.risk.std()), 1e-9)
    score = 650.0 - 55.0 * z + 70.0 * rng.standard_normal(users.n)
    score = np.clip(np.round(score), 300.0, 950.0)
    return np.where(users.has_bureau, score, np.nan)


def profiles_frame(
    cfg: MarketplaceConfig, users: LatentUsers, tl: Timeline, rng: np.random.Generator
) -> pl.DataFrame:
    """The ``profiles`` table (one row per user).

    Examples
    --------
    >>> from thinfile_credit.synthetic import make_marketplace
    >>> make_marketplace(200, backend="polars").tables.profiles.columns
    ['user_id', 'registered_at', 'phone_verified_at', 'stated_income', 'bureau_score']
    """
    n = users.n
    horizon = float(cfg.horizon_days)
    unstable = users.factors["unstable_identity"]
    verifies = rng.random(n) < sigmoid(1.8 - 1.2 * unstable)
    verified = tl.registered + rng.exponential(3.0, size=n)
    verified = np.where(verifies & (verified <= last_moment(horizon)), verified, np.nan)

    # Spending is roughly a third of income; riskier users overstate a little.
    annual = users.capacity * 12.0 / 0.35
    annual = annual * np.exp(0.35 * rng.standard_normal(n) + 0.1 * users.risk)
    income = np.where(users.states_income, np.round(annual, -2), np.nan)
    return pl.DataFrame(
        {
            "user_id": users.user_id,
            "registered_at": to_timestamps(cfg.start_date, tl.registered),
            "phone_verified_at": to_timestamps(cfg.start_date, verified),
            "stated_income": income,
            "bureau_score": bureau_scores(users, rng),
        }
    ).with_columns(pl.col("stated_income", "bureau_score").fill_nan(None))


def profile_changes_frame(
    cfg: MarketplaceConfig, users: LatentUsers, tl: Timeline, rng: np.random.Generator
) -> pl.DataFrame:
    """The ``profile_changes`` table, ordered by time.

    Examples
    --------
    >>> from thinfile_credit.synthetic import make_marketplace
    >>> sorted(set(make_marketplace(300, backend="polars").tables.profile_changes["kind"]))
    ['address', 'device', 'phone']
    """
    horizon = float(cfg.horizon_days)
    years = (horizon - tl.registered) / 365.25
    unstable = users.factors["unstable_identity"]
    users_out: list[NDArray[np.int64]] = []
    times: list[NDArray[np.float64]] = []
    kinds: list[NDArray[np.int64]] = []
    for code, kind in enumerate(PROFILE_CHANGE_KINDS):
        rate = CHANGE_RATES[kind] * np.exp(_CHANGE_SLOPE[kind] * unstable - 0.2)
        count = rng.poisson(rate * years)
        who = np.repeat(np.arange(users.n, dtype=np.int64), count)
        lo = tl.registered[who]
        users_out.append(who)
        times.append(lo + rng.random(len(who)) * (last_moment(horizon) - lo))
        kinds.append(np.full(len(who), code, dtype=np.int64))
    who = np.concatenate(users_out)
    t = np.concatenate(times)
    kind_code = np.concatenate(kinds)
    order = np.lexsort((kind_code, who, t))
    frame = pl.DataFrame(
        {
            "user_id": users.user_id[who[order]],
            "changed_at": to_timestamps(cfg.start_date, t[order]),
            "kind": pl.Series(PROFILE_CHANGE_KINDS).gather(kind_code[order]),
        }
    )
    # The key is (user_id, changed_at, kind): drop the rare same-second duplicate.
    return frame.unique(subset=["user_id", "changed_at", "kind"], keep="first", maintain_order=True)
