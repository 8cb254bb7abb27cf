"""Public entry point: :func:`make_marketplace` and the :class:`Marketplace` it returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import from_polars, to_polars
from thinfile_credit.errors import SpecError
from thinfile_credit.schema import EventTables
from thinfile_credit.synthetic.applications import applications_frame, draw_timeline
from thinfile_credit.synthetic.bills import bills_frame, draw_bills
from thinfile_credit.synthetic.config import Backend, MarketplaceConfig
from thinfile_credit.synthetic.loans import (
    Loans,
    draw_application_loans,
    draw_loan_history,
    installments_frame,
    loans_frame,
    schedule_installments,
)
from thinfile_credit.synthetic.orders import draw_orders, draw_status_times, orders_frame
from thinfile_credit.synthetic.profiles import profile_changes_frame, profiles_frame
from thinfile_credit.synthetic.social import edges_frame
from thinfile_credit.synthetic.users import RISK_FACTORS, LatentUsers, draw_users, sigmoid

__all__ = ["Marketplace", "bad_from_installments", "make_marketplace"]

# Independent random streams, one per part, so that changing how one table is drawn
# leaves the others identical for the same seed. New streams go at the end: the i-th
# child of a SeedSequence does not depend on how many are spawned, so the earlier
# streams (and every column drawn from them) stay bit-identical.
_STREAMS = (
    "users",
    "timeline",
    "orders",
    "bills",
    "loans",
    "profiles",
    "social",
    "outcome",
    "order_status",
)


#: The intercept calibration searches [-bound, bound] (log-odds).
_INTERCEPT_BOUND = 20.0
#: Slack when checking the calibrated mean PD against ``default_rate_band`` (rounding).
_BAND_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Marketplace:
    """A generated marketplace: the platform's tables and the ground truth behind them.

    Attributes
    ----------
    tables : EventTables
        All eight event tables, in the configured frame library. This is everything a
        lender would see; models must use only these.
    truth : DataFrame
        One row per application: ``application_id``, ``user_id``, ``applied_at``,
        ``true_pd`` (the probability the application goes bad), ``bad`` (realised:
        its loan reached 30+ days past due within the performance window, derivable
        from the tables), ``thin_file``, ``risk`` (the user's latent log-odds part),
        ``capacity`` (monthly spending capacity, yuan), ``log_odds`` (the full true
        log-odds), ``risk_driver`` (the planted factor adding most to the log-odds, or
        ``"none"`` when no factor adds risk) and one ``component_<factor>`` column per
        factor.
    users : DataFrame
        One row per user: ``user_id``, ``thin_file``, ``applies``, ``risk``,
        ``capacity``, ``has_bureau``, ``has_pay_later``, ``has_loan_history``,
        ``community`` and each standardised latent factor.
    horizon_end : datetime.datetime
        End of the simulated horizon (naive); no event happens at or after it.
    config : MarketplaceConfig
        The frozen configuration used.

    Examples
    --------
    >>> mk = make_marketplace(n_users=500, seed=1, backend="polars")
    >>> mk.tables.names()[:3]
    ('applications', 'orders', 'bills')
    >>> 0.0 < mk.default_rate < 0.3
    True
    """

    tables: EventTables
    truth: Any
    users: Any
    horizon_end: dt.datetime
    config: MarketplaceConfig

    @property
    def default_rate(self) -> float:
        """Share of applications that went bad."""
        return _mean(to_polars(self.truth)[0]["bad"]) if _n(self.truth) else 0.0

    @property
    def thin_file_share(self) -> float:
        """Share of users who are thin-file."""
        return _mean(to_polars(self.users)[0]["thin_file"])

    def summary(self) -> Any:
        """Rows per table plus headline shares, as a two-column frame (``item``, ``value``).

        Examples
        --------
        >>> mk = make_marketplace(n_users=300, backend="polars")
        >>> mk.summary()["item"].to_list()[:2]
        ['applications rows', 'orders rows']
        """
        items = [(f"{name} rows", float(_n(frame))) for name, frame in self.tables]
        items += [
            ("thin-file share (users)", round(self.thin_file_share, 4)),
            ("default rate (applications)", round(self.default_rate, 4)),
            ("mean true PD", round(_mean(to_polars(self.truth)[0]["true_pd"]), 4)),
        ]
        frame = pl.DataFrame({"item": [i for i, _ in items], "value": [v for _, v in items]})
        return _convert(frame, self.config.backend)


def make_marketplace(
    n_users: int = 10_000,
    seed: int = 0,
    *,
    thin_file_share: float = 0.4,
    start: str = "2023-01-01",
    months: int = 24,
    performance_window_days: int = 180,
    backend: Backend = "pandas",
    config: MarketplaceConfig | None = None,
    **options: Any,
) -> Marketplace:
    """Generate a seeded thin-file marketplace with known ground truth.

    Parameters
    ----------
    n_users, seed, thin_file_share, start, months, performance_window_days, backend
        See :class:`MarketplaceConfig`.
    config : MarketplaceConfig, optional
        A complete configuration; when given, the other arguments must be left at
        their defaults.
    **options
        Any other :class:`MarketplaceConfig` field (``default_rate_band``,
        ``homophily``...).

    Returns
    -------
    Marketplace

    Raises
    ------
    SpecError
        On an invalid configuration value (the message names the field), or when the
        calibrated mean true PD is outside ``default_rate_band`` (a risk spread from
        ``noise`` and ``signal_strength`` too wide for the band; ``column`` is
        ``"default_rate_band"``).

    Notes
    -----
    Time and memory are linear in the number of users (about 45 orders, 6 bills and 2
    loans per user with the defaults); everything is vectorised NumPy except a loop over
    loan cycles that is vectorised across users.

    Examples
    --------
    >>> mk = make_marketplace(n_users=1_000, seed=7)
    >>> mk.truth.columns[:4].tolist()
    ['application_id', 'user_id', 'applied_at', 'true_pd']
    >>> bool((mk.tables.orders["ordered_at"] < mk.horizon_end).all())
    True
    """
    unknown = sorted(set(options) - {f.name for f in fields(MarketplaceConfig)})
    if unknown:
        raise SpecError(f"unknown options {unknown}", table="MarketplaceConfig")
    if config is None:
        config = MarketplaceConfig(
            n_users=n_users,
            seed=seed,
            thin_file_share=thin_file_share,
            start=start,
            months=months,
            performance_window_days=performance_window_days,
            backend=backend,
            **options,
        )
    elif options:
        config = MarketplaceConfig.from_dict({**config.to_dict(), **options})
    cfg = config
    seeds = np.random.SeedSequence(cfg.seed).spawn(len(_STREAMS))
    rngs = {name: np.random.default_rng(s) for name, s in zip(_STREAMS, seeds)}
    users = draw_users(cfg, rngs["users"])
    tl = draw_timeline(cfg, users, rngs["timeline"])
    orders = draw_orders(cfg, users, tl, rngs["orders"])
    orders = draw_status_times(cfg, orders, rngs["order_status"])
    bills = draw_bills(cfg, users, orders, rngs["bills"])
    history, rung = draw_loan_history(cfg, users, tl, rngs["loans"])

    components = _components(cfg, users, tl.app_user, tl.short_history(cfg.signal_strength))
    base = users.risk[tl.app_user] + components["short_history"]
    intercept = _intercept_for(base, cfg.target_default_rate)
    log_odds = intercept + base
    true_pd = sigmoid(log_odds)
    _check_calibrated(cfg, true_pd)
    planned_bad = rngs["outcome"].random(len(true_pd)) < true_pd
    app_loans = draw_application_loans(cfg, users, tl, rung, true_pd, planned_bad, rngs["loans"])
    loans = Loans.concat([history, app_loans])
    inst = schedule_installments(cfg, loans, rngs["loans"])

    loans_pl = loans_frame(cfg, users, loans)
    inst_pl = installments_frame(cfg, inst)
    apps_pl = applications_frame(cfg, users, tl)
    bad = bad_from_installments(loans_pl, inst_pl, apps_pl, cfg.performance_window_days)
    tables_pl = {
        "applications": apps_pl,
        "orders": orders_frame(cfg, users, orders),
        "bills": bills_frame(cfg, users, bills),
        "loans": loans_pl,
        "installments": inst_pl,
        "edges": edges_frame(cfg, users, tl, rngs["social"]),
        "profiles": profiles_frame(cfg, users, tl, rngs["profiles"]),
        "profile_changes": profile_changes_frame(cfg, users, tl, rngs["profiles"]),
    }
    truth = _truth_frame(users, tl.app_user, apps_pl, true_pd, bad, log_odds, components)
    users_pl = _users_frame(users)
    end = cfg.start_date + np.timedelta64(cfg.horizon_days, "D")
    return Marketplace(
        tables=EventTables(**{k: _convert(v, cfg.backend) for k, v in tables_pl.items()}),
        truth=_convert(truth, cfg.backend),
        users=_convert(users_pl, cfg.backend),
        horizon_end=dt.datetime.fromisoformat(str(end)),
        config=cfg,
    )


def bad_from_installments(
    loans: pl.DataFrame,
    installments: pl.DataFrame,
    applications: pl.DataFrame,
    performance_window_days: int,
    dpd: int = 30,
) -> NDArray[np.bool_]:
    """Each application's bad flag, read off its loan's instalments.

    An application is bad when an instalment of the loan it led to is ``dpd``+ days past
    due within ``performance_window_days`` of disbursement: the instalment's due date
    plus ``dpd`` days is inside the window and it was not fully paid within ``dpd`` days
    of its due date (unpaid, paid late, or only partly paid).

    Parameters
    ----------
    loans, installments, applications : polars.DataFrame
        Tables as in :data:`thinfile_credit.schema.TABLES`.
    performance_window_days : int
        The performance window.
    dpd : int, default 30
        Days-past-due threshold.

    Returns
    -------
    numpy.ndarray
        One bool per application row, in the applications' order.

    Examples
    --------
    >>> mk = make_marketplace(n_users=300, backend="polars")
    >>> t = mk.tables
    >>> flags = bad_from_installments(t.loans, t.installments, t.applications, 180)
    >>> bool((flags == mk.truth["bad"].to_numpy()).all())
    True
    """
    threshold = pl.duration(days=dpd)
    window_end = pl.col("disbursed_at") + pl.duration(days=performance_window_days)
    reached = (
        installments.join(
            loans.select("loan_id", "disbursed_at", "application_id"), on="loan_id", how="inner"
        )
        .filter(
            pl.col("application_id").is_not_null()
            & (pl.col("due_at") + threshold <= window_end)
            & (
                pl.col("paid_at").is_null()
                | (pl.col("paid_at") >= pl.col("due_at") + threshold)
                | (pl.col("amount_paid") < pl.col("amount_due"))
            )
        )
        .select("application_id")
        .unique()
    )
    flags = applications.select("application_id").join(
        reached.with_columns(pl.lit(True).alias("bad")), on="application_id", how="left"
    )
    return flags["bad"].fill_null(False).to_numpy().astype(bool)


def _components(
    cfg: MarketplaceConfig,
    users: LatentUsers,
    app_user: NDArray[np.int64],
    short_history: NDArray[np.float64],
) -> dict[str, NDArray[np.float64]]:
    per_user = users.components(cfg.signal_strength)
    out = {k: per_user[k][app_user] for k in RISK_FACTORS if k != "short_history"}
    out["short_history"] = short_history
    return {k: out[k] for k in RISK_FACTORS}


def _intercept_for(base: NDArray[np.float64], target: float) -> float:
    # Mean PD is increasing in the intercept: bisection to hit the target default rate.
    if len(base) == 0:
        return 0.0
    low, high = -_INTERCEPT_BOUND, _INTERCEPT_BOUND
    for _ in range(60):
        mid = (low + high) / 2.0
        if float(sigmoid(mid + base).mean()) < target:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0


def _check_calibrated(cfg: MarketplaceConfig, true_pd: NDArray[np.float64]) -> None:
    """Refuse a marketplace whose mean true PD misses ``default_rate_band``.

    The intercept search is bounded, so a risk spread too wide for the band (large
    ``noise`` or ``signal_strength``) would otherwise leave the rate silently outside it.
    """
    if len(true_pd) == 0:
        return
    low, high = cfg.default_rate_band
    mean_pd = float(true_pd.mean())
    if not low - _BAND_TOLERANCE <= mean_pd <= high + _BAND_TOLERANCE:
        raise SpecError(
            f"the calibrated mean true PD is {mean_pd:.4f}, outside the band "
            f"[{low}, {high}]: with noise={cfg.noise} and "
            f"signal_strength={cfg.signal_strength} the risk spread is too wide for an "
            f"intercept in [{-_INTERCEPT_BOUND}, {_INTERCEPT_BOUND}] to reach it; lower "
            "noise or signal_strength, or widen the band",
            table="MarketplaceConfig",
            column="default_rate_band",
        )


def _truth_frame(
    users: LatentUsers,
    app_user: NDArray[np.int64],
    apps: pl.DataFrame,
    true_pd: NDArray[np.float64],
    bad: NDArray[np.bool_],
    log_odds: NDArray[np.float64],
    components: dict[str, NDArray[np.float64]],
) -> pl.DataFrame:
    matrix = np.column_stack([components[k] for k in RISK_FACTORS])
    top = np.argmax(matrix, axis=1) if len(matrix) else np.empty(0, dtype=np.int64)
    names = np.array(RISK_FACTORS, dtype=object)[top]
    driver = np.where(matrix.max(axis=1) > 0.0, names, "none") if len(matrix) else names
    return pl.DataFrame(
        {
            "application_id": apps["application_id"],
            "user_id": apps["user_id"],
            "applied_at": apps["applied_at"],
            "true_pd": true_pd,
            "bad": bad,
            "thin_file": users.thin[app_user],
            "risk": users.risk[app_user],
            "capacity": users.capacity[app_user],
            "log_odds": log_odds,
            "risk_driver": pl.Series(driver.tolist(), dtype=pl.String),
            **{f"component_{k}": components[k] for k in RISK_FACTORS},
        }
    )


def _users_frame(users: LatentUsers) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "user_id": users.user_id,
            "thin_file": users.thin,
            "applies": users.applies,
            "risk": users.risk,
            "capacity": users.capacity,
            "has_bureau": users.has_bureau,
            "has_pay_later": users.has_pay_later,
            "has_loan_history": users.has_loan_history,
            "community": users.community,
            **{k: v for k, v in users.factors.items()},
        }
    )


def _convert(frame: pl.DataFrame, backend: str) -> Any:
    if backend != "pandas":
        return from_polars(frame, backend)  # type: ignore[arg-type]
    out = frame.to_pandas()
    # Integer ids with nulls would become float64 in pandas: keep them integers.
    for name, dtype in frame.schema.items():
        if dtype.is_integer() and frame[name].null_count():
            out[name] = out[name].astype("Int64")
    return out


def _n(frame: Any) -> int:
    return int(frame.shape[0]) if hasattr(frame, "shape") else int(frame.num_rows)


def _mean(series: pl.Series) -> float:
    return float(series.cast(pl.Float64).mean() or 0.0)  # type: ignore[arg-type]
