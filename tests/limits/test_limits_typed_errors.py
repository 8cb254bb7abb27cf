"""Settings of the wrong kind raise the library's typed errors naming the setting, never
a bare ValueError/TypeError/AttributeError, and text is never parsed as a number."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from thinfile_credit.errors import DataError, PolicyError, SpecError
from thinfile_credit.limits import (
    AccountState,
    CycleOutcome,
    InitialBand,
    LimitLadder,
    apply_params,
    compare_policies,
    explain_initial_limit,
    initial_limit,
    make_population,
    open_account,
    replay,
    search_ladder,
    simulate,
    step,
)
from thinfile_credit.limits.mdp import MDPPolicy, estimate_transitions

BAND = (InitialBand(500, None, 50),)


@pytest.fixture(scope="module")
def pop() -> pd.DataFrame:
    return make_population(300, random_state=0)


@pytest.mark.parametrize("bad", ["abc", None, "100", True, float("nan"), [100]])
def test_rungs_must_be_numbers(bad) -> None:
    with pytest.raises(PolicyError, match=r"positive amounts.*rungs\[1\] is") as info:
        LimitLadder(rungs=(50, bad), initial_bands=BAND)
    assert repr(bad) in str(info.value)


def test_numeric_rungs_still_read() -> None:
    ladder = LimitLadder(rungs=(50, np.float32(100.0), np.int64(200)), initial_bands=BAND)
    assert ladder.rungs == (50.0, 100.0, 200.0)
    assert all(type(r) is float for r in ladder.rungs)


def test_a_non_ladder_is_a_spec_error_in_every_engine() -> None:
    hist = pd.DataFrame({"account_id": [1], "cycle": [1], "dpd": [0], "utilisation": [0.5]})
    init = pd.DataFrame({"account_id": [1], "score": [600.0], "capacity": [500.0]})
    calls = [
        lambda: initial_limit([600.0], [500.0], ladder="x"),
        lambda: explain_initial_limit([600.0], [500.0], ladder={"rungs": [50]}),
        lambda: open_account(600.0, 500.0, ladder="x"),
        lambda: step(AccountState(50.0, 0, 1e4), CycleOutcome(dpd=0), "x"),
        lambda: replay(hist, init, ladder="x"),
        lambda: estimate_transitions(hist, "x"),
        lambda: MDPPolicy("x").fit(hist),
    ]
    for call in calls:
        with pytest.raises(SpecError, match="must be a LimitLadder"):
            call()


@pytest.mark.parametrize("policy", [None, "x", LimitLadder().to_dict(), MDPPolicy])
def test_simulate_refuses_what_is_no_policy(pop, policy) -> None:
    with pytest.raises(SpecError, match="policy must be a LimitLadder"):
        simulate(policy, pop, 2)


@pytest.mark.parametrize("seed", ["x", True, 1.5, -1])
def test_simulate_refuses_bad_seeds(pop, seed) -> None:
    with pytest.raises(SpecError, match="random_state"):
        simulate(LimitLadder(), pop, 2, random_state=seed)
    with pytest.raises(SpecError, match="random_state"):
        make_population(10, random_state=seed)


def test_simulate_takes_generators_and_seed_sequences(pop) -> None:
    a = simulate(LimitLadder(), pop, 2, random_state=np.random.default_rng(4)).summary
    b = simulate(LimitLadder(), pop, 2, random_state=np.random.SeedSequence(4)).summary
    assert a == b == simulate(LimitLadder(), pop, 2, random_state=4).summary


@pytest.mark.parametrize("values", [[[1], [2]], [{"a": 1}, {"a": 2}]], ids=["list", "struct"])
def test_simulate_refuses_nested_cohort_labels(pop, values) -> None:
    frame = pl.from_pandas(pop).with_columns(c=pl.Series([values[i % 2] for i in range(len(pop))]))
    with pytest.raises(DataError, match="cohort labels must be plain values") as info:
        simulate(LimitLadder(), frame, 2, cohort="c")
    assert (info.value.table, info.value.column) == ("population", "c")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"band_shift": "x"}, "band_shift"),
        ({"band_shift": "10"}, "band_shift"),
        ({"band_shift": True}, "band_shift"),
        ({"initial_rung_shift": "1"}, "initial_rung_shift"),
        ({"initial_rung_shift": 0.5}, "initial_rung_shift"),
        ({"initial_rung_shift": None}, "initial_rung_shift"),
    ],
)
def test_apply_params_never_parses_text(params, match) -> None:
    with pytest.raises(SpecError, match=match) as info:
        apply_params(LimitLadder(), params)
    assert info.value.column == match


def test_apply_params_shifts_an_open_lower_band() -> None:
    from thinfile_credit.scale import ScoreScale

    lib = LimitLadder(
        rungs=(50.0, 500.0),
        initial_bands=(InitialBand(None, 560, 500), InitialBand(560, 620, 50)),
        scale=ScoreScale(higher_is_better=False),
        min_promotion_score=None,
    )
    moved = apply_params(lib, {"band_shift": -10, "initial_rung_shift": 1})
    assert moved.initial_bands == (InitialBand(None, 550, 500), InitialBand(550, 610, 500))


@pytest.mark.parametrize(
    ("kw", "column_or_text"),
    [
        ({"space": {"promotion_cycles": 3}}, "non-empty list"),
        ({"space": {"promotion_cycles": "23"}}, "non-empty list"),
        ({"space": ["promotion_cycles"]}, "at least one parameter"),
        # a bad value after the first is not skipped silently either
        ({"space": {"promotion_cycles": [2, "3"]}}, "promotion_cycles"),
        ({"space": {"band_shift": [0, "x"]}}, "band_shift"),
        ({"rounds": "2"}, "rounds"),
        ({"rounds": 0}, "rounds"),
        ({"max_loss_rate": "x"}, "max_loss_rate"),
        ({"max_loss_rate": float("nan")}, "max_loss_rate"),
        ({"random_state": "a"}, "random_state"),
        ({"random_state": 1.0}, "random_state"),
        ({"repeats": "2"}, "repeats"),
        ({"max_evaluations": None}, "max_evaluations"),
        ({"multipliers": (0.0, "1")}, "multipliers"),
        ({"base": "x"}, "base must be a LimitLadder"),
    ],
)
def test_search_ladder_refuses_bad_settings(pop, kw, column_or_text) -> None:
    kw = {"space": {"promotion_cycles": [2]}, **kw}
    with pytest.raises(SpecError, match=column_or_text):
        search_ladder(pop, months=2, **kw)


def test_search_ladder_accepts_numpy_candidates(pop) -> None:
    res = search_ladder(pop, space={"promotion_cycles": np.array([2, 3])}, months=2, method="grid")
    assert len(res.history) == 3


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"margin": "0.05"}, "margin"),
        ({"margin": 1.0}, "margin"),
        ({"random_state": "0"}, "random_state"),
        ({"evaluation_seed": -1}, "evaluation_seed"),
        ({"evaluation_repeats": 0}, "evaluation_repeats"),
        ({"loss_weights": ()}, "loss_weights"),
        ({"ladder": "x"}, "must be a LimitLadder"),
    ],
)
def test_compare_policies_refuses_bad_settings(pop, kw, match) -> None:
    with pytest.raises(SpecError, match=match):
        compare_policies(pop, months=2, **kw)
