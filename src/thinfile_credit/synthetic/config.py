"""The frozen, validated specification of a synthetic marketplace."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from thinfile_credit._numbers import is_real
from thinfile_credit.errors import SpecError

__all__ = ["RATE_CAPS", "Backend", "MarketplaceConfig"]

Backend = Literal["pandas", "polars", "pyarrow"]
_BACKENDS: tuple[str, ...] = ("pandas", "polars", "pyarrow")
_WHERE = "MarketplaceConfig"

#: Largest value of each rate the generator can simulate (all must also be >= 0).
RATE_CAPS: Mapping[str, float] = MappingProxyType(
    {
        "repeat_application_rate": 100.0,
        "orders_per_month": 1_000.0,
        "mean_degree": 1_000.0,
        "signal_strength": 5.0,
        "noise": 5.0,
    }
)
#: Dates Python's ``datetime`` (and so every frame library's conversion) can hold.
FIRST_DAY = np.datetime64("0001-01-01", "D")
LAST_DAY = np.datetime64("9999-12-31", "D")


@dataclass(frozen=True)
class MarketplaceConfig:
    """Everything that defines one synthetic marketplace (with the seed, its whole output).

    The defaults describe a mid-sized Chinese e-commerce platform that lends small
    amounts: 40% thin-file users, two years of history, applications in the second year
    and a 180-day performance window. Every field is validated at construction; a bad
    value raises :class:`~thinfile_credit.errors.SpecError` naming the field.

    Rates are capped at values the generator can simulate (``RATE_CAPS``): larger
    ones overflow NumPy's Poisson sampler or ``exp`` (infinite incomes), and a risk
    spread wider than ``noise`` or ``signal_strength`` of 5 leaves many default-rate
    bands out of reach of the intercept calibration. Dates must stay within
    ``0001-01-01`` .. ``9999-12-31``, the range of Python's ``datetime``.

    Parameters
    ----------
    n_users : int, default 10_000
        Number of platform users (applicants and non-applicants).
    seed : int, default 0
        Seed of every random draw; the same config gives identical tables.
    thin_file_share : float, default 0.4
        Share of users with little platform history: registered shortly before they
        apply, few orders, no pay-later bills, no earlier loans, no bureau file.
    start : str, default "2023-01-01"
        First day of the simulated horizon (ISO date, from ``0001-01-01``).
    months : int, default 24
        Length of the horizon; ``horizon_end = start + months``, at most ``9999-12-31``.
        Months are calendar months: a start on the 29th to 31st ends on the same day of
        the month or, in a shorter month, on its last day (``2023-08-31`` + 18 months
        is ``2025-02-28``).
        Applications fall in ``[start + 12 months, horizon_end -
        performance_window_days)``.
    performance_window_days : int, default 180
        Days after disbursement within which 30+ days past due makes an application bad.
    default_rate_band : (float, float), default (0.08, 0.12)
        Band for the share of bad applications; the generator targets its midpoint by
        shifting the intercept of the true log-odds (within [-20, 20]), and
        :func:`~thinfile_credit.synthetic.make_marketplace` raises ``SpecError`` when
        the mean true PD it reaches is outside the band.
    apply_share : float, default 0.7
        Share of users who apply at least once.
    repeat_application_rate : float, default 0.3
        Mean number of further applications of an applicant (Poisson), at most 100.
    pay_later_share : float, default 0.85
        Share of thick-file users with a pay-later account (monthly bills).
    loan_history_share : float, default 0.55
        Share of thick-file users who borrowed before their first application.
    bureau_share : float, default 0.75
        Share of thick-file users with a credit-bureau file (a ``bureau_score``).
    stated_income_share : float, default 0.5
        Share of users who stated an income.
    orders_per_month : float, default 2.0
        Median order rate of an engaged thick-file user, above 0 and at most 1,000.
    mean_degree : float, default 3.0
        Mean number of links a thick-file user initiates (thin-file: half), at most
        1,000.
    homophily : float, default 0.8
        Probability that a link stays inside the user's community, whose members share
        a network risk factor (so risky users link to risky users).
    community_size : int, default 40
        Mean community size.
    signal_strength : float, default 1.0
        Multiplies every planted risk factor's weight in the true log-odds; at most 5.
    noise : float, default 0.35
        Standard deviation of the unobservable part of each user's risk; at most 5.
    backend : {"pandas", "polars", "pyarrow"}, default "pandas"
        Frame library of the returned tables.

    Examples
    --------
    >>> cfg = MarketplaceConfig(n_users=500, seed=3)
    >>> cfg.horizon_end_date
    '2025-01-01'
    >>> MarketplaceConfig.from_json(cfg.to_json()) == cfg
    True
    """

    n_users: int = 10_000
    seed: int = 0
    thin_file_share: float = 0.4
    start: str = "2023-01-01"
    months: int = 24
    performance_window_days: int = 180
    default_rate_band: tuple[float, float] = (0.08, 0.12)
    apply_share: float = 0.7
    repeat_application_rate: float = 0.3
    pay_later_share: float = 0.85
    loan_history_share: float = 0.55
    bureau_share: float = 0.75
    stated_income_share: float = 0.5
    orders_per_month: float = 2.0
    mean_degree: float = 3.0
    homophily: float = 0.8
    community_size: int = 40
    signal_strength: float = 1.0
    noise: float = 0.35
    backend: Backend = "pandas"

    def __post_init__(self) -> None:
        band = self.default_rate_band
        if isinstance(band, list):  # from JSON
            object.__setattr__(self, "default_rate_band", tuple(band))
        _check_int(self, "n_users", low=1)
        _check_int(self, "seed", low=0)
        _check_int(self, "months", low=13)
        _check_int(self, "performance_window_days", low=60)
        _check_int(self, "community_size", low=2)
        for name in (
            "thin_file_share",
            "apply_share",
            "pay_later_share",
            "loan_history_share",
            "bureau_share",
            "stated_income_share",
            "homophily",
        ):
            _check_float(self, name, 0.0, 1.0)
        if self.apply_share == 0.0:
            _fail("apply_share", "must be above 0 (there would be no applications)")
        for name, cap in RATE_CAPS.items():
            _check_float(self, name, 0.0, cap)
        if self.orders_per_month == 0.0:
            _fail("orders_per_month", "must be above 0")
        band = self.default_rate_band
        if (
            not isinstance(band, tuple)
            or len(band) != 2
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in band)
            or not 0.0 < band[0] <= band[1] < 1.0
        ):
            _fail(
                "default_rate_band", f"must be (low, high) with 0 < low <= high < 1, got {band!r}"
            )
        if self.backend not in _BACKENDS:
            _fail("backend", f"must be one of {_BACKENDS}, got {self.backend!r}")
        if not isinstance(self.start, str):
            _fail("start", f"must be an ISO date string such as '2023-01-01', got {self.start!r}")
        try:
            start = np.datetime64(self.start, "D")
        except (ValueError, TypeError):
            _fail("start", f"must be an ISO date such as '2023-01-01', got {self.start!r}")
        if str(start) != str(self.start)[:10] or len(str(self.start)) != 10:
            _fail("start", f"must be an ISO date such as '2023-01-01', got {self.start!r}")
        _check_dates(start, self.months)
        if self.application_window_days < 30:
            _fail(
                "performance_window_days",
                f"leaves {self.application_window_days} days for applications between "
                f"start + 12 months and horizon_end - {self.performance_window_days} days; "
                "need at least 30 (lengthen months or shorten the window)",
            )

    # -- derived dates -------------------------------------------------------------------
    @property
    def start_date(self) -> np.datetime64:
        """First day of the horizon as ``datetime64[D]``."""
        return np.datetime64(self.start, "D")

    @property
    def horizon_end_date(self) -> str:
        """``start + months`` as an ISO date: no event happens at or after it."""
        return str(_add_months(self.start_date, self.months))

    @property
    def horizon_days(self) -> int:
        """Length of the horizon in days."""
        return int((_add_months(self.start_date, self.months) - self.start_date).astype(int))

    @property
    def application_start_day(self) -> int:
        """Day offset (from ``start``) of the first possible application: start + 12 months."""
        return int((_add_months(self.start_date, 12) - self.start_date).astype(int))

    @property
    def application_window_days(self) -> int:
        """Length of the application window in days."""
        return self.horizon_days - self.performance_window_days - self.application_start_day

    @property
    def target_default_rate(self) -> float:
        """Midpoint of ``default_rate_band``: the mean true PD the generator aims for."""
        return float(sum(self.default_rate_band) / 2.0)

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (tuples become lists)."""
        out = asdict(self)
        out["default_rate_band"] = list(self.default_rate_band)
        return out

    def to_json(self) -> str:
        """JSON text with sorted keys (stable across runs)."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MarketplaceConfig:
        """Rebuild from :meth:`to_dict` output; unknown keys raise ``SpecError``."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SpecError(f"unknown fields {unknown}", table=_WHERE)
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> MarketplaceConfig:
        """Rebuild from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))


def _add_months(day: np.datetime64, months: int) -> np.datetime64:
    """The same day of the month ``months`` later, clamped to that month's last day.

    31 January + 1 month is 28 (or 29) February, as calendars and pandas'
    ``DateOffset(months=...)`` count, not 3 March.

    Examples
    --------
    >>> str(_add_months(np.datetime64("2023-08-31"), 18))
    '2025-02-28'
    >>> str(_add_months(np.datetime64("2023-01-01"), 24))
    '2025-01-01'
    """
    month = day.astype("datetime64[M]") + np.timedelta64(months, "M")
    offset = day - day.astype("datetime64[M]").astype("datetime64[D]")
    last = (month + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    return min(month.astype("datetime64[D]") + offset, last)


def _check_dates(start: np.datetime64, months: int) -> None:
    """``start`` and ``start + months`` within :data:`FIRST_DAY` .. :data:`LAST_DAY`."""
    if start < FIRST_DAY:
        _fail("start", f"must be on or after {FIRST_DAY}, got {start}")
    if _add_months(start, 13) > LAST_DAY:  # even the shortest horizon ends too late
        _fail("start", f"leaves no 13-month horizon before {LAST_DAY}, got {start}")
    # A huge count of months would overflow datetime64 arithmetic: test it first.
    if months > 12 * 10_000 or _add_months(start, months) > LAST_DAY:
        ends = "after year 9999" if months > 12 * 10_000 else f"on {_add_months(start, months)}"
        _fail(
            "months",
            f"start + months ends {ends}, past the last possible day {LAST_DAY}; shorten "
            f"months or start earlier (got months={months}, start={start})",
        )


def _fail(name: str, message: str) -> None:
    raise SpecError(message, table=_WHERE, column=name)


def _check_int(cfg: MarketplaceConfig, name: str, low: int) -> None:
    value = getattr(cfg, name)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        _fail(name, f"must be an integer, got {value!r}")
    if value < low:
        _fail(name, f"must be at least {low}, got {value}")


def _check_float(cfg: MarketplaceConfig, name: str, low: float, high: float) -> None:
    value = getattr(cfg, name)
    if not is_real(value):
        _fail(name, f"must be a number, got {value!r}")
    if not math.isfinite(value):
        _fail(name, f"must be a finite number, got {value}")
    if not low <= value <= high:
        _fail(name, f"must be in [{low}, {high}], got {value}")
