"""MarketplaceConfig: validation, serialisation, overrides."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.errors import SpecError
from thinfile_credit.synthetic import MarketplaceConfig, make_marketplace
from thinfile_credit.synthetic.config import RATE_CAPS


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n_users", 0),
        ("n_users", 2.5),
        ("seed", -1),
        ("thin_file_share", 1.5),
        ("thin_file_share", -0.1),
        ("thin_file_share", math.nan),
        ("apply_share", 0.0),
        ("months", 6),
        ("performance_window_days", 30),
        ("default_rate_band", (0.2, 0.1)),
        ("default_rate_band", (0.0, 0.1)),
        ("default_rate_band", (0.1,)),
        ("backend", "spark"),
        ("start", "2023-13-01"),
        ("start", "not a date"),
        ("start", 20230101),
        ("start", "2023-01-01T05:00"),
        ("noise", math.inf),
        ("mean_degree", -1.0),
        ("orders_per_month", 0.0),
        ("community_size", 1),
        ("homophily", 2.0),
    ],
)
def test_bad_value_raises_spec_error_naming_field(field: str, value: object) -> None:
    with pytest.raises(SpecError) as info:
        MarketplaceConfig(**{field: value})  # type: ignore[arg-type]
    assert f"MarketplaceConfig.{field}" in str(info.value)


def test_application_window_too_short_is_rejected() -> None:
    with pytest.raises(SpecError, match="performance_window_days"):
        MarketplaceConfig(months=18, performance_window_days=170)


def test_make_marketplace_rejects_unknown_option() -> None:
    with pytest.raises(SpecError, match="colour"):
        make_marketplace(100, colour="blue")


def test_make_marketplace_validates_arguments() -> None:
    with pytest.raises(SpecError, match="thin_file_share"):
        make_marketplace(100, thin_file_share=2.0)


def test_config_is_frozen_and_json_roundtrips() -> None:
    cfg = MarketplaceConfig(n_users=123, default_rate_band=(0.05, 0.07))
    with pytest.raises(AttributeError):
        cfg.n_users = 5  # type: ignore[misc]
    again = MarketplaceConfig.from_json(cfg.to_json())
    assert again == cfg
    assert json.loads(cfg.to_json())["default_rate_band"] == [0.05, 0.07]
    with pytest.raises(SpecError, match="unknown fields"):
        MarketplaceConfig.from_dict({**cfg.to_dict(), "bogus": 1})


def test_derived_dates() -> None:
    cfg = MarketplaceConfig(start="2023-01-01", months=24, performance_window_days=180)
    assert cfg.horizon_end_date == "2025-01-01"
    assert cfg.horizon_days == 731
    assert cfg.application_start_day == 365
    assert cfg.application_window_days == 731 - 180 - 365
    assert cfg.target_default_rate == pytest.approx(0.10)


def test_config_argument_and_overrides() -> None:
    cfg = MarketplaceConfig(n_users=150, seed=4, backend="polars")
    mk = make_marketplace(config=cfg, homophily=0.5)
    assert mk.config.homophily == 0.5
    assert mk.config.n_users == 150


@settings(max_examples=25)
@given(
    share=st.floats(0.0, 1.0),
    band_low=st.floats(0.01, 0.4),
    width=st.floats(0.0, 0.3),
    months=st.integers(20, 48),
)
def test_valid_configs_roundtrip(share: float, band_low: float, width: float, months: int) -> None:
    cfg = MarketplaceConfig(
        thin_file_share=share, default_rate_band=(band_low, band_low + width), months=months
    )
    assert MarketplaceConfig.from_json(cfg.to_json()) == cfg
    assert cfg.application_window_days >= 30


# -- values accepted must be simulable ------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("orders_per_month", 1e30),
        ("orders_per_month", 1_000.5),
        ("mean_degree", 1e300),
        ("repeat_application_rate", 1e30),
        ("noise", 1e6),
        ("noise", 5.01),
        ("signal_strength", 1e6),
        ("signal_strength", 5.01),
    ],
)
def test_rates_above_their_cap_are_refused(field: str, value: float) -> None:
    with pytest.raises(SpecError, match=r"must be in \[0\.0, ") as info:
        MarketplaceConfig(**{field: value})  # type: ignore[arg-type]
    assert (info.value.table, info.value.column) == ("MarketplaceConfig", field)
    assert RATE_CAPS[field] < value


@pytest.mark.parametrize("field", sorted(RATE_CAPS))
def test_each_rate_cap_itself_is_accepted(field: str) -> None:
    assert getattr(MarketplaceConfig(**{field: RATE_CAPS[field]}), field) == RATE_CAPS[field]


@pytest.mark.parametrize(
    ("start", "months", "field"),
    [
        ("9998-01-01", 24, "months"),  # ends 10000-01-01
        ("2023-01-01", 100_000, "months"),
        ("2023-01-01", 10**30, "months"),  # would overflow datetime64 arithmetic
        ("9999-01-01", 13, "start"),  # no horizon fits
        ("0000-06-01", 24, "start"),  # before Python's first datetime
    ],
)
def test_horizon_outside_python_dates_is_refused(start: str, months: int, field: str) -> None:
    with pytest.raises(SpecError) as info:
        MarketplaceConfig(start=start, months=months)
    assert (info.value.table, info.value.column) == ("MarketplaceConfig", field)


def test_horizon_ending_on_the_last_python_date_is_accepted() -> None:
    cfg = MarketplaceConfig(start="9998-01-31", months=23)
    assert cfg.horizon_end_date == "9999-12-31"
    mk = make_marketplace(config=dataclasses.replace(cfg, n_users=150))
    assert mk.horizon_end == dt.datetime(9999, 12, 31)
    mk.tables.validate()


def test_unreachable_default_rate_band_is_a_spec_error() -> None:
    # The widest allowed risk spread cannot be squeezed into a 0.1-0.2 % default rate by
    # an intercept in [-20, 20]; the rate used to land far outside the band silently.
    with pytest.raises(
        SpecError, match=r"calibrated mean true PD is 0\.0\d+, outside the band \[0\.001, 0\.002\]"
    ) as info:
        make_marketplace(
            n_users=2_000, noise=5.0, signal_strength=5.0, default_rate_band=(0.001, 0.002)
        )
    assert (info.value.table, info.value.column) == ("MarketplaceConfig", "default_rate_band")


@settings(max_examples=12, deadline=None)
@given(
    noise=st.floats(0.0, RATE_CAPS["noise"]),
    signal=st.floats(0.0, RATE_CAPS["signal_strength"]),
    orders=st.floats(0.01, 50.0),
    degree=st.floats(0.0, RATE_CAPS["mean_degree"]),
    repeat=st.floats(0.0, 5.0),
    band_low=st.floats(0.005, 0.9),
    width=st.floats(0.0, 0.09),
    seed=st.integers(0, 2**40),
)
def test_accepted_configs_simulate_or_refuse_the_band(
    noise: float,
    signal: float,
    orders: float,
    degree: float,
    repeat: float,
    band_low: float,
    width: float,
    seed: int,
) -> None:
    """An accepted config gives finite tables with a mean true PD inside the band, or a
    SpecError about the band; never a crash, an infinity or a silent miss."""
    band = (band_low, band_low + width)
    try:
        mk = make_marketplace(
            n_users=60,
            seed=seed,
            backend="polars",
            noise=noise,
            signal_strength=signal,
            orders_per_month=orders,
            mean_degree=degree,
            repeat_application_rate=repeat,
            default_rate_band=band,
        )
    except SpecError as err:
        column = err.column
    else:
        column = None
    if column is not None:
        assert column == "default_rate_band"
        return
    income = mk.tables.profiles["stated_income"].drop_nulls().to_numpy()
    assert np.isfinite(income).all()
    mean_pd = float(mk.truth["true_pd"].mean() or 0.0)
    if mk.truth.height:
        assert band[0] - 1e-9 <= mean_pd <= band[1] + 1e-9


@settings(max_examples=200, deadline=None)
@given(
    year=st.integers(1990, 2100),
    month=st.integers(1, 12),
    day=st.one_of(st.integers(1, 31), st.integers(29, 31)),  # month ends often
    months=st.integers(16, 400),  # 12 months + a 60-day window + 30 days to apply
)
def test_horizon_end_is_the_calendar_month_end_not_the_next_month(
    year: int, month: int, day: int, months: int
) -> None:
    """start + months counts calendar months: a 31st lands on a shorter month's last day
    (31 Jan + 25 months is 28 Feb, not 3 Mar), the same date as pandas' DateOffset."""
    import calendar

    import pandas as pd

    # A day past the month's end stands for its last day.
    start = dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))
    cfg = MarketplaceConfig(
        n_users=100, start=start.isoformat(), months=months, performance_window_days=60
    )
    calendar = (pd.Timestamp(start) + pd.DateOffset(months=months)).date()
    assert cfg.horizon_end_date == calendar.isoformat()
    first_application = (pd.Timestamp(start) + pd.DateOffset(months=12)).date()
    assert cfg.application_start_day == (first_application - start).days


def test_reviewers_month_end_start_keeps_every_event_before_the_month_end() -> None:
    cfg = MarketplaceConfig(n_users=200, start="2023-08-31", months=18, performance_window_days=60)
    assert cfg.horizon_end_date == "2025-02-28"
    mk = make_marketplace(
        n_users=300,
        seed=0,
        start="2023-01-31",
        months=25,
        performance_window_days=60,
        backend="polars",
    )
    assert mk.horizon_end == dt.datetime(2025, 2, 28)
    assert mk.tables.orders["ordered_at"].max() < dt.datetime(2025, 2, 28)
    # A start on day 1..28 is unaffected: the default horizon is as before.
    assert MarketplaceConfig().horizon_end_date == "2025-01-01"
