from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, NotFittedError, SpecError
from thinfile_credit.limits import LadderArrays, LimitLadder, step_arrays
from thinfile_credit.limits.engine import ACTION_LIST, Action
from thinfile_credit.limits.mdp import MDPPolicy, dpd_bucket, estimate_transitions
from thinfile_credit.limits.simulate import make_population, simulate


@pytest.fixture(scope="module")
def panel():
    pop = make_population(4000, random_state=1)
    return simulate(LimitLadder(), pop, 8, random_state=1, return_panel=True).panel


def test_dpd_bucket() -> None:
    assert dpd_bucket([0, 1, 29, 30, 59, 60, 89, 90, 400]).tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_transitions_are_distributions(panel) -> None:
    model = estimate_transitions(panel)
    P = model.probabilities
    np.testing.assert_allclose(P.sum(axis=-1), 1.0)
    assert (P >= 0).all()
    # From current an account can only stay current or miss.
    assert np.allclose(P[:, :, 0, 2:], 0.0)
    assert model.counts.sum() == panel.height
    assert ((model.utilisation > 0) & (model.utilisation < 1)).all()


def test_smoothing_pulls_sparse_cells_to_the_band(panel) -> None:
    model = estimate_transitions(panel, smoothing=20.0)
    raw = estimate_transitions(panel, smoothing=0.0)
    b = 0
    n = model.counts[b].sum(axis=(1, 2))
    empty = np.flatnonzero(n == 0)
    full = np.flatnonzero(n > 0)
    assert len(empty)  # high rungs of the lowest band are never reached in 8 months
    band_counts = model.counts[b].sum(axis=0)[0]
    band_rate = band_counts[1] / band_counts.sum()
    for r in empty:
        # An empty cell takes its band's (pooled) estimate, with or without smoothing.
        assert np.isfinite(raw.probabilities[b, r]).all()
        assert model.probabilities[b, r, 0, 1] == pytest.approx(band_rate, abs=0.01)
    # Without smoothing an observed cell is its raw frequency.
    r = full[0]
    cell = model.counts[b, r, 0]
    assert raw.probabilities[b, r, 0, 1] == pytest.approx(cell[1] / cell.sum())


def test_transitions_from_histories_without_start_dpd(panel) -> None:
    model = estimate_transitions(panel.drop("start_dpd"))
    np.testing.assert_allclose(model.probabilities.sum(axis=-1), 1.0)


def test_value_iteration_satisfies_bellman(panel) -> None:
    policy = MDPPolicy(discount=0.95).fit(panel)
    P = policy.transitions_.probabilities[..., :4]
    R = policy._rewards(policy.transitions_)
    V = policy.value_
    g = 0.95
    cont = np.einsum("brde,bre->brd", P, V)
    q = R[:, :, 0] + g * cont[:, :, 0]
    n_rungs = V.shape[1]
    for r in range(n_rungs):
        options = [max(r - 1, 0), r, min(r + 1, n_rungs - 1)]
        np.testing.assert_allclose(V[:, r, 0], q[:, options].max(axis=1), atol=1e-5)
        chosen = policy.policy_[:, r]
        assert set(np.unique(chosen)) <= set(options)
        np.testing.assert_allclose(q[np.arange(len(chosen)), chosen], V[:, r, 0], atol=1e-5)
    np.testing.assert_allclose(V[:, :, 1:], R[:, :, 1:] + g * cont[:, :, 1:], atol=1e-5)


def test_heavier_loss_weight_is_more_cautious(panel) -> None:
    bold = MDPPolicy(loss_weight=1.0).fit(panel)
    shy = MDPPolicy(loss_weight=6.0).fit(panel)
    assert (shy.policy_ <= bold.policy_).all()
    assert shy.policy_.sum() < bold.policy_.sum()
    assert (shy.initial_rungs_ <= LimitLadder().band_rungs).all()
    table = bold.policy_table()
    assert table.shape == (5, 8)


def test_mdp_policy_in_simulation(panel) -> None:
    pop = make_population(2000, random_state=2)
    policy = MDPPolicy().fit(panel)
    res = simulate(policy, pop, 6, random_state=0)
    assert set(res.inclusion["limit"]) == set(LimitLadder().rungs)
    assert res.summary["approval_rate"] > 0


def test_mdp_errors(panel) -> None:
    with pytest.raises(NotFittedError):
        MDPPolicy().target_rungs([600.0], LadderArrays.open(LimitLadder(), [600.0], [1e3]))
    with pytest.raises(SpecError, match="discount"):
        MDPPolicy(discount=1.0).fit(panel)
    with pytest.raises(DataError) as err:
        estimate_transitions(panel.drop("limit"))
    assert err.value.column == "limit"
    with pytest.raises(DataError, match="no usable rows"):
        estimate_transitions(panel.with_columns(limit=panel["limit"] * 0.0))


@pytest.mark.parametrize(
    ("column", "values", "match"),
    [
        ("limit", [100.0, 100.0, 100.0, 75.0, 75.0, 75.0], "rung"),
        ("dpd", [0, 10, 0, 0, None, 0], "null"),
        ("dpd", [0.0, 10.5, 0.0, 0.0, 0.0, 0.0], "whole"),
        ("score", [560.0, 560.0, 560.0, 560.0, float("nan"), 560.0], "NaN"),
        ("utilisation", [0.5, 0.5, float("inf"), 0.5, 0.5, 0.5], "infinite"),
    ],
)
def test_estimate_transitions_rejects_rows_it_would_drop(column, values, match) -> None:
    frame = {
        "account_id": [1, 1, 1, 2, 2, 2],
        "cycle": [1, 2, 3, 1, 2, 3],
        "score": [560.0] * 6,
        "limit": [100.0] * 6,
        "dpd": [0, 10, 0, 0, 0, 0],
        "utilisation": [0.5] * 6,
    }
    frame[column] = values
    bad = [i for i, v in enumerate(values) if v is None or v != v or v in (75.0, 10.5, np.inf)]
    # Shuffled input: the error quotes positions in the table as given.
    order = [5, 3, 4, 0, 2, 1]
    shuffled = pl.DataFrame(frame, strict=False)[order]
    with pytest.raises(DataError, match=match) as err:
        estimate_transitions(shuffled, smoothing=0.0)
    assert (err.value.table, err.value.column) == ("histories", column)
    assert err.value.rows == sorted(order.index(i) for i in bad)


@given(
    rung=st.lists(st.integers(-1, 7), min_size=1, max_size=30),
    data=st.data(),
)
def test_policy_targets_keep_ladder_invariants(rung, data) -> None:
    ladder = LimitLadder()
    n = len(rung)
    ints = st.lists(st.integers(0, 7), min_size=n, max_size=n)
    state = LadderArrays.from_rungs(
        ladder,
        np.array(rung),
        np.array(data.draw(st.lists(st.floats(10, 20000), min_size=n, max_size=n))),
        np.zeros(n, dtype=np.int8),
    )
    state.cooldown[:] = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    state.frozen[:] = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    target = np.array(data.draw(ints))
    dpd = np.array(data.draw(st.lists(st.sampled_from([0, 0, 5, 45, 100]), min_size=n, max_size=n)))
    util = np.full(n, 0.5)
    score = np.array(data.draw(st.lists(st.floats(480, 700), min_size=n, max_size=n)))
    new, action, _ = step_arrays(ladder, state, dpd, util, score, target=target)
    raised = new.rung > state.rung
    assert not (raised & (dpd > 0)).any()
    assert not (raised & (state.cooldown > 0)).any()
    assert not (raised & state.frozen).any()
    assert ((new.rung - state.rung)[raised] == 1).all()
    assert (new.limit[raised] <= state.cap[raised] * (1 + 1e-9)).all()
    assert np.isin(new.limit, [0.0, *ladder.rungs]).all()
    acts = [ACTION_LIST[a] for a in action]
    assert all(a is Action.INCREASE for a, r in zip(acts, raised) if r)


def test_open_states_bad_input(panel) -> None:
    policy = MDPPolicy().fit(panel)
    with pytest.raises(DataError) as err:
        policy.open_states([600.0, 610.0], [100.0, np.nan])
    assert err.value.column == "capacity"
    assert err.value.rows == [1]
    state = policy.open_states([600.0, 400.0], [1000.0, 1000.0])
    assert state.rung[1] == -1
