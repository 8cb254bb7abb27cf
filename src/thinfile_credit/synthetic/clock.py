"""Simulated time: the seasonal shopping calendar, times of day and timestamp conversion.

Inside the generator every moment is a float number of days since ``config.start``;
:func:`to_timestamps` turns them into naive ``datetime64[us]`` rounded to the second.
The platform clock is its local time, so the hour of day is meaningful (night orders
are 00:00-05:00).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "HOUR_PROFILE",
    "day_weights",
    "last_moment",
    "sample_days",
    "to_timestamps",
]

#: Relative order intensity by hour of day (evening peak, quiet small hours).
HOUR_PROFILE: NDArray[np.float64] = np.array(
    [3, 2, 1.2, 0.8, 0.6, 0.6, 1, 2, 3.5, 4.5, 5, 5.5, 6, 5.5, 5, 5, 5, 5.5, 6, 7, 8.5, 9, 8, 5.5],
    dtype=np.float64,
)
HOUR_PROFILE = HOUR_PROFILE / HOUR_PROFILE.sum()

_SECONDS_PER_DAY = 86_400


def last_moment(horizon_days: float) -> float:
    """The last representable second before the horizon's end, in days since start.

    Every simulated moment is clipped to it (or dropped beyond it) so that no timestamp,
    once rounded to the second, reaches ``horizon_end``.

    Examples
    --------
    >>> round(last_moment(1.0) * 86_400)
    86399
    """
    return float(horizon_days) - 1.0 / _SECONDS_PER_DAY


def day_weights(start: np.datetime64, n_days: int) -> NDArray[np.float64]:
    """Relative shopping intensity of each day of the horizon.

    Weekends are busier; the platform festivals spike (Singles' Day 11-11 about six
    times a normal day, the 6-18 mid-year sale and 12-12 less); the days around the
    spring festival are quiet; mid-month pay days lift spending a little.

    Parameters
    ----------
    start : numpy.datetime64
        First day of the horizon.
    n_days : int
        Number of days.

    Returns
    -------
    numpy.ndarray
        ``n_days`` positive weights.

    Examples
    --------
    >>> w = day_weights(np.datetime64("2023-11-01"), 30)
    >>> int(np.argmax(w))  # 11-11
    10
    """
    days = start.astype("datetime64[D]") + np.arange(n_days)
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    month_start = days.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    dom = (days - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    w = np.ones(n_days)
    w[weekday >= 5] *= 1.25
    w[(dom >= 10) & (dom <= 15)] *= 1.1
    festivals = [(11, 11, 6.0), (11, 10, 1.8), (11, 12, 1.8), (6, 18, 3.5), (6, 17, 1.5)]
    festivals += [(6, 19, 1.5), (12, 12, 2.0)]
    for m, d, factor in festivals:
        w[(month == m) & (dom == d)] *= factor
    quiet = ((month == 1) & (dom >= 20)) | ((month == 2) & (dom <= 15))
    w[quiet] *= 0.8
    return w


def sample_days(
    rng: np.random.Generator,
    weights: NDArray[np.float64],
    low: NDArray[np.float64],
    high: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Draw one moment per row in ``[low, high)`` with density proportional to ``weights``.

    Inverse-CDF sampling over the piecewise-constant daily intensity, vectorised over
    rows (each row has its own interval).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    weights : numpy.ndarray
        Daily intensity (from :func:`day_weights`).
    low, high : numpy.ndarray
        Interval of each draw in days since start, ``0 <= low < high <= len(weights)``.

    Returns
    -------
    numpy.ndarray
        Moments in days since start.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = sample_days(rng, np.ones(10), np.array([2.0]), np.array([3.0]))
    >>> bool(2.0 <= t[0] < 3.0)
    True
    """
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    n = len(weights)

    def cdf(t: NDArray[np.float64]) -> NDArray[np.float64]:
        k = np.clip(np.floor(t).astype(np.int64), 0, n - 1)
        return cum[k] + (t - k) * weights[k]

    u = cdf(low) + rng.random(len(low)) * (cdf(high) - cdf(low))
    k = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, n - 1)
    t = k + (u - cum[k]) / weights[k]
    return np.clip(t, low, np.nextafter(high, low))


def with_hour(
    rng: np.random.Generator, t: NDArray[np.float64], night_prob: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Replace the time of day of each moment: night (00-05h) with ``night_prob``, else the
    platform's hourly profile; the day is kept.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = with_hour(rng, np.array([5.5, 7.2]), np.array([1.0, 1.0]))
    >>> bool(np.all((t % 1) < 5 / 24))
    True
    """
    n = len(t)
    hours = rng.choice(24, size=n, p=HOUR_PROFILE).astype(np.float64)
    night = rng.random(n) < night_prob
    hours[night] = rng.integers(0, 5, size=int(night.sum()))
    frac = (hours + rng.random(n)) / 24.0
    return np.floor(t) + frac


def to_timestamps(start: np.datetime64, t: NDArray[np.float64]) -> NDArray[np.datetime64]:
    """Days since ``start`` to naive ``datetime64[us]`` rounded to the second (NaN → NaT).

    Examples
    --------
    >>> to_timestamps(np.datetime64("2023-01-01"), np.array([0.5, np.nan]))
    array(['2023-01-01T12:00:00.000000',                        'NaT'],
          dtype='datetime64[us]')
    """
    base = start.astype("datetime64[s]").astype(np.int64)
    missing = np.isnan(t)
    seconds = np.floor(np.where(missing, 0.0, t) * _SECONDS_PER_DAY).astype(np.int64) + base
    out = (seconds * 1_000_000).astype("datetime64[us]")
    out[missing] = np.datetime64("NaT")
    return out
