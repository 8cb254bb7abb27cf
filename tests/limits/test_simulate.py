from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.limits import LimitLadder
from thinfile_credit.limits.simulate import (
    Economics,
    make_population,
    population_from_marketplace,
    simulate,
)
from thinfile_credit.scale import ScoreScale


@pytest.fixture(scope="module")
def pop() -> pd.DataFrame:
    return make_population(3000, random_state=7)


def test_seeded_and_reproducible(pop) -> None:
    a = simulate(LimitLadder(), pop, 6, random_state=3)
    b = simulate(LimitLadder(), pop, 6, random_state=3)
    c = simulate(LimitLadder(), pop, 6, random_state=4)
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    assert a.summary == b.summary
    assert a.summary["profit"] != c.summary["profit"]


def test_outputs(pop) -> None:
    res = simulate(LimitLadder(), pop, 8, random_state=0, return_panel=True)
    m = res.monthly
    assert m["month"].tolist() == list(range(1, 9))
    for col in ("revenue", "expected_loss", "realised_loss", "profit", "exposure", "drawn"):
        assert (m[col] >= 0).all() or col == "profit"
    assert np.isclose(m["cumulative_profit"].iloc[-1], res.summary["profit"])
    assert np.isclose(
        m["profit"].sum(),
        (m["revenue"] - m["funding_cost"] - m["servicing_cost"] - m["realised_loss"]).sum()
        - m["loss_allowance"].iloc[-1],
    )
    # Cohort rows add up to the monthly totals.
    by = res.by_cohort.groupby("month")[["revenue", "realised_loss", "profit"]].sum()
    np.testing.assert_allclose(by["revenue"].to_numpy(), m["revenue"].to_numpy())
    np.testing.assert_allclose(by["profit"].to_numpy(), m["profit"].to_numpy())
    assert set(res.by_cohort["cohort"]) == {0, 1}
    # Inclusion: non-decreasing over months, non-increasing over rungs.
    inc = res.inclusion.pivot(index="month", columns="limit", values="thin_file_share")
    assert (inc.diff().iloc[1:] >= -1e-12).all().all()
    assert (inc.T.diff().iloc[1:] <= 1e-12).all().all()
    assert res.summary["thin_file_share_500"] == pytest.approx(inc.loc[8, 500.0])
    assert 0 < res.summary["approval_rate"] <= 1
    assert res.summary["loss_rate"] > 0
    # The panel is a replay-history frame with limits on the ladder's rungs.
    panel = res.panel
    assert isinstance(panel, pl.DataFrame)
    assert set(panel["limit"].unique().to_list()) <= set(LimitLadder().rungs)
    assert {"account_id", "cycle", "dpd", "utilisation", "score", "start_dpd"} <= set(panel.columns)


def test_pd_sources(pop) -> None:
    base = simulate(LimitLadder(), pop, 4, random_state=0).summary
    # A PD of zero everywhere: no losses at all.
    safe = pop.assign(true_pd=0.0)
    s = simulate(LimitLadder(), safe, 4, random_state=0).summary
    assert s["realised_loss"] == 0.0
    assert s["credit_loss"] == 0.0
    # Without a PD column the PD implied by the score is used.
    no_pd = simulate(LimitLadder(), pop.drop(columns="true_pd"), 4, random_state=0).summary
    assert no_pd["profit"] != base["profit"]

    class Scorer:
        feature_names_in_ = np.array(["x"])
        scale_ = ScoreScale()

        def predict_proba(self, X):
            p = np.full(len(X), 0.5)
            return np.column_stack([1 - p, p])

        def score(self, X, y=None):
            return np.full(len(X), 610.0)

    pop2 = pop.drop(columns=["score"]).assign(x=1.0)
    risky = simulate(LimitLadder(), pop2, 6, pd_model=Scorer(), random_state=0).summary
    assert risky["approval_rate"] == 1.0  # every score is 610
    assert risky["loss_rate"] > base["loss_rate"]


def test_more_generous_ladder_lends_more(pop) -> None:
    small = simulate(LimitLadder(), pop, 6, random_state=0).summary
    big = simulate(LimitLadder(promotion_steps=3), pop, 6, random_state=0).summary
    assert big["mean_drawn"] > small["mean_drawn"]


@pytest.mark.parametrize(
    ("frame", "column"),
    [
        (lambda p: p.drop(columns="capacity"), "capacity"),
        (lambda p: p.drop(columns=["score", "true_pd"]), "score"),
        (lambda p: p.assign(capacity=-1.0), "capacity"),
        (lambda p: p.assign(true_pd=1.5), "true_pd"),
        (lambda p: p.assign(score=np.nan), "score"),
        (lambda p: p.drop(columns="thin_file"), "thin_file"),
        (lambda p: p.assign(thin_file=2), "thin_file"),
    ],
)
def test_bad_population(pop, frame, column) -> None:
    with pytest.raises(DataError) as err:
        simulate(LimitLadder(), frame(pop), 3, random_state=0)
    assert err.value.table == "population"
    assert err.value.column == column


def test_bad_settings(pop) -> None:
    with pytest.raises(DataError, match="months"):
        simulate(LimitLadder(), pop, 0)
    with pytest.raises(DataError, match="cohort"):
        simulate(LimitLadder(), pop, 2, cohort="region")
    with pytest.raises(SpecError, match="roll_rates"):
        Economics(roll_rates=(0.5, 0.5))
    with pytest.raises(SpecError, match="lgd"):
        Economics(lgd=0.0)


def test_population_from_marketplace() -> None:
    class Mk:
        truth = pl.DataFrame(
            {
                "application_id": [10, 11, 12],
                "user_id": [1, 2, 3],
                "true_pd": [0.01, 0.1, 0.4],
                "thin_file": [0, 1, 1],
                "capacity": [900.0, 300.0, None],
            }
        )

    with pytest.raises(DataError, match="missing values") as err:
        population_from_marketplace(Mk(), random_state=0)  # a missing capacity is not 0
    assert (err.value.table, err.value.column, list(err.value.rows)) == (
        "truth",
        "capacity",
        [2],
    )
    Mk.truth = Mk.truth.with_columns(pl.col("capacity").fill_null(150.0))
    pop = population_from_marketplace(Mk(), random_state=0)
    assert pop["account_id"].tolist() == [10, 11, 12]
    assert pop["score"].is_monotonic_decreasing
    assert pop["capacity"].tolist() == [900.0, 300.0, 150.0]
    nan_pd = Mk.truth.with_columns(pl.Series("true_pd", [0.01, float("nan"), 0.4]))
    with pytest.raises(DataError, match="missing values") as err:
        population_from_marketplace(type("NanPd", (), {"truth": nan_pd})())
    assert (err.value.column, list(err.value.rows)) == ("true_pd", [1])
    given = population_from_marketplace(Mk(), scores=[600, 590, 580])
    assert given["score"].tolist() == [600, 590, 580]
    with pytest.raises(DataError, match="align"):
        population_from_marketplace(Mk(), scores=[1, 2])

    class Bad:
        truth = pd.DataFrame({"application_id": [1]})

    with pytest.raises(DataError) as err:
        population_from_marketplace(Bad())
    assert err.value.column == "true_pd"


def test_cohort_approval_rates(pop) -> None:
    res = simulate(LimitLadder(), pop, 2, random_state=0)
    first = res.by_cohort[res.by_cohort["month"] == 1].set_index("cohort")
    assert first["applicants"].sum() == len(pop)
    overall = (first["approval_rate"] * first["applicants"]).sum() / len(pop)
    assert overall == pytest.approx(res.summary["approval_rate"])
    assert res.monthly["approval_rate"].iloc[0] == pytest.approx(res.summary["approval_rate"])
    # Thin-file applicants are riskier, so fewer of them get a line.
    assert first.loc[1, "approval_rate"] <= first.loc[0, "approval_rate"]
