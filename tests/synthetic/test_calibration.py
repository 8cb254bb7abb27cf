"""Calibration against real public data (skipped where ../shared/data is absent)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from thinfile_credit.errors import DataError
from thinfile_credit.synthetic import Marketplace
from thinfile_credit.synthetic.calibration import (
    compare_with_online_retail,
    compare_with_taiwan,
    lateness_shares,
    order_shape,
)


@pytest.mark.realdata
def test_order_amount_and_gap_shapes_match_online_retail(
    shared_data: Callable[[str], Path], market: Marketplace
) -> None:
    table = compare_with_online_retail(shared_data("online_retail_ii"), marketplace=market)
    assert list(table.index) == ["q10", "q25", "q50", "q75", "q90", "q95", "q99", "log_sd"]
    assert table.loc["q50", "real_amount_over_median"] == pytest.approx(1.0)
    assert table.loc["q50", "synthetic_amount_over_median"] == pytest.approx(1.0)
    # Relative spread of amounts within a factor 1.6 of the real shop's at every quantile.
    ratio = table["synthetic_amount_over_median"] / table["real_amount_over_median"]
    assert ratio.between(1 / 1.6, 1.6).all(), ratio
    # Gaps: same right skew (q90 / q50 within a factor 1.5), level within a factor 4.
    real_skew = table.loc["q90", "real_gap_days"] / table.loc["q50", "real_gap_days"]
    synth_skew = table.loc["q90", "synthetic_gap_days"] / table.loc["q50", "synthetic_gap_days"]
    assert real_skew / 1.5 < synth_skew < real_skew * 1.5
    level = table.loc["q50", "synthetic_gap_days"] / table.loc["q50", "real_gap_days"]
    assert 0.25 < level < 4


@pytest.mark.realdata
def test_bill_lateness_resembles_taiwan_statuses(
    shared_data: Callable[[str], Path], market: Marketplace
) -> None:
    table = compare_with_taiwan(shared_data("taiwan_default"), marketplace=market)
    np.testing.assert_allclose(table.sum(axis=0), 1.0)
    assert abs(table.loc["on time", "real_all"] - table.loc["on time", "synthetic_all"]) < 0.1
    # In both worlds, the ones who default were late far more often.
    for real, synth in (
        ("real_defaulters", "synthetic_bad_users"),
        ("real_others", "synthetic_good_users"),
    ):
        assert table.loc["on time", real] > 0.5
        assert table.loc["on time", synth] > 0.5
    assert table.loc["on time", "real_defaulters"] < table.loc["on time", "real_others"]
    assert (
        table.loc["on time", "synthetic_bad_users"] < table.loc["on time", "synthetic_good_users"]
    )
    late = "2+ months late (30+ days or unpaid)"
    assert table.loc[late, "synthetic_bad_users"] > 2 * table.loc[late, "synthetic_good_users"]


def test_lateness_shares_sum_to_one(market: Marketplace) -> None:
    shares = lateness_shares(market.tables.bills, market.horizon_end)
    assert shares.sum() == pytest.approx(1.0)
    assert shares.iloc[0] > 0.8  # most statements are paid on time


def test_order_shape_rejects_empty_input() -> None:
    with pytest.raises(DataError, match="at least one"):
        order_shape(np.array([]), np.array([1.0]))


def test_missing_real_file_is_a_data_error(tmp_path: Path, market: Marketplace) -> None:
    with pytest.raises(DataError, match=r"\*\.parquet"):
        compare_with_online_retail(tmp_path, marketplace=market)
    with pytest.raises(DataError, match=r"\*\.csv"):
        compare_with_taiwan(tmp_path, marketplace=market)
