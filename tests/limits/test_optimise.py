from __future__ import annotations

import pytest

from thinfile_credit.errors import PolicyError, SpecError
from thinfile_credit.limits import LimitLadder
from thinfile_credit.limits.optimise import apply_params, compare_policies, search_ladder
from thinfile_credit.limits.simulate import make_population


@pytest.fixture(scope="module")
def pop():
    return make_population(3000, random_state=11)


def test_apply_params() -> None:
    base = LimitLadder()
    L = apply_params(
        base,
        {
            "band_shift": -10,
            "initial_rung_shift": 1,
            "affordability_multiple": 2.0,
            "promotion_steps": 2,
        },
    )
    assert [b.lower for b in L.initial_bands] == [490, 530, 560, 590, 620]
    assert [b.limit for b in L.initial_bands] == [100, 200, 500, 1000, 2000]
    assert L.caps.affordability_multiple == 2.0
    assert L.promotion_steps == 2
    top = apply_params(base, {"initial_rung_shift": 10})
    assert {b.limit for b in top.initial_bands} == {10000.0}
    with pytest.raises(SpecError, match="unknown ladder search parameter"):
        apply_params(base, {"colour": 1})
    with pytest.raises(PolicyError):
        apply_params(base, {"promotion_cycles": 0})


def test_grid_search_respects_constraint(pop) -> None:
    space = {"promotion_cycles": [2, 3, 4], "min_promotion_score": [520.0, 560.0]}
    res = search_ladder(pop, space=space, method="grid", months=6, random_state=0)
    hist = res.history
    assert len(hist) == 1 + 6  # the base plus the grid (the base point repeats in it)
    feasible = hist[hist["feasible"]]
    assert res.summary["loss_rate"] <= res.max_loss_rate + 1e-12
    assert res.summary["profit"] == pytest.approx(feasible["profit"].max())
    assert apply_params(LimitLadder(), res.params) == res.ladder


def test_coordinate_search_never_worse_than_base(pop) -> None:
    space = {"promotion_steps": [1, 2], "min_promotion_utilisation": [0.0, 0.4]}
    res = search_ladder(pop, space=space, months=6, random_state=0, rounds=2)
    base = res.history.iloc[0]
    assert res.summary["profit"] >= base["profit"]
    assert res.summary["loss_rate"] <= res.max_loss_rate + 1e-12


def test_tight_constraint_keeps_base(pop) -> None:
    res = search_ladder(pop, space={"promotion_steps": [2]}, max_loss_rate=0.0, months=4)
    assert res.params == {}
    assert res.ladder == LimitLadder()


def test_search_errors(pop) -> None:
    with pytest.raises(SpecError, match="method"):
        search_ladder(pop, method="anneal")
    with pytest.raises(SpecError, match="exceeds max_evaluations"):
        search_ladder(pop, method="grid", max_evaluations=5)
    with pytest.raises(SpecError, match="at least one"):
        search_ladder(pop, space={"promotion_steps": []})


@pytest.mark.slow
def test_compare_policies_table(pop) -> None:
    cmp = compare_policies(
        pop,
        months=6,
        space={"promotion_cycles": [2, 3], "min_promotion_score": [540.0, 560.0]},
        loss_weights=(1.0, 3.0),
    )
    t = cmp.table
    assert t["policy"].tolist() == ["default", "searched", "mdp"]
    assert t.loc[0, "profit_vs_default"] == 0
    for name in ("searched", "mdp"):
        row = t.set_index("policy").loc[name]
        assert row["beats_default"] == (
            row["profit_vs_default"] > 0 and row["loss_rate_vs_default"] <= 0
        )
        assert name in cmp.note
    assert set(cmp.results) == {"default", "searched", "mdp"}
    with pytest.raises(SpecError, match="margin"):
        compare_policies(pop, months=2, margin=1.5)


@pytest.mark.parametrize("method", ["grid", "coordinate"])
def test_searched_params_leave_out_values_equal_to_the_base(method) -> None:
    """The reviewer's grid: affordability_multiple=3.0 is the base's own value, so it is
    not a searched change; the ladder is the same with or without it."""
    pop = make_population(1500, random_state=3)
    space = {"promotion_steps": [1, 2], "affordability_multiple": [3.0, 2.5], "band_shift": [0.0]}
    res = search_ladder(
        pop, space=space, method=method, months=6, random_state=5, max_loss_rate=10.0
    )
    base = LimitLadder()
    assert "band_shift" not in res.params
    for name, value in res.params.items():
        assert apply_params(base, {name: value}) != base, name
    assert apply_params(base, res.params) == res.ladder
    if method == "grid":
        assert res.params == {"promotion_steps": 2}


def test_compare_policies_table_is_the_mean_of_its_results() -> None:
    """The table used to average three evaluation seeds while ``results`` held the first
    seed's run only; now ``results`` holds every run the table averages."""
    import numpy as np

    pop = make_population(1500, random_state=0)
    cmp = compare_policies(
        pop,
        months=4,
        space={"promotion_cycles": [2, 3]},
        loss_weights=(1.0, 2.0),
        repeats=1,
        evaluation_repeats=2,
    )
    for row in cmp.table.itertuples(index=False):
        runs = cmp.results[row.policy]
        assert len(runs) == 2
        for column in ("profit", "loss_rate", "approval_rate", "thin_file_share_500"):
            mean = float(np.mean([r.summary[column] for r in runs]))
            assert getattr(row, column) == mean, (row.policy, column)
        # Two different seeds (evaluation_seed + 2k), each a full result.
        assert runs[0].summary != runs[1].summary
        assert len(runs[0].monthly) == 4
