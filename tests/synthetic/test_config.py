"""MarketplaceConfig: validation, serialisation, overrides."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.errors import SpecError
from thinfile_credit.synthetic import MarketplaceConfig, make_marketplace


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
