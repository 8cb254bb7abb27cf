from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, SchemaError
from thinfile_credit.limits import (
    Action,
    CycleOutcome,
    InitialBand,
    LimitCaps,
    LimitLadder,
    open_account,
    replay,
    step,
)
from thinfile_credit.limits.engine import loss_cap


@st.composite
def ladders(draw) -> LimitLadder:
    n = draw(st.integers(2, 8))
    rungs = sorted(draw(st.sets(st.integers(1, 200), min_size=n, max_size=n)))
    rungs = tuple(float(r * 50) for r in rungs)
    cuts = sorted(draw(st.sets(st.integers(480, 680), min_size=1, max_size=4)))
    band_rungs = sorted(
        draw(st.lists(st.sampled_from(rungs), min_size=len(cuts), max_size=len(cuts)))
    )
    bands = tuple(
        InitialBand(float(lo), float(hi) if hi is not None else None, lim)
        for lo, hi, lim in zip(cuts, [*cuts[1:], None], band_rungs)
    )
    freeze = draw(st.integers(1, 10))
    cut = draw(st.integers(freeze, 60))
    close = draw(st.integers(cut, 120))
    budget = draw(st.one_of(st.none(), st.floats(5, 500)))
    return LimitLadder(
        rungs=rungs,
        initial_bands=bands,
        promotion_cycles=draw(st.integers(1, 4)),
        promotion_steps=draw(st.integers(1, 3)),
        min_promotion_score=draw(st.one_of(st.none(), st.floats(450, 700))),
        min_promotion_utilisation=draw(st.floats(0, 0.6)),
        freeze_dpd=freeze,
        cut_dpd=cut,
        close_dpd=close,
        unfreeze_cycles=draw(st.integers(1, 3)),
        cooldown_cycles=draw(st.integers(0, 5)),
        caps=LimitCaps(
            affordability_multiple=draw(st.one_of(st.none(), st.floats(0.5, 10))),
            expected_loss_budget=budget,
        ),
    )


cycles = st.builds(
    lambda dpd, u, s, b: (dpd, u, s, b),
    st.one_of(st.just(0), st.just(0), st.just(0), st.integers(0, 130)),
    st.floats(0, 1.2),
    st.one_of(st.just(math.nan), st.floats(450, 720)),
    st.one_of(st.none(), st.floats(0, 30000)),
)


@st.composite
def books(draw):
    ladder = draw(ladders())
    n_acc = draw(st.integers(1, 6))
    accounts = []
    for a in range(n_acc):
        score = draw(st.floats(450, 720))
        capacity = draw(st.floats(0, 5000))
        income = draw(st.one_of(st.just(math.nan), st.floats(0, 500000)))
        history = draw(st.lists(cycles, min_size=1, max_size=14))
        accounts.append((a, score, capacity, income, history))
    return ladder, accounts


def _fold(ladder, score, capacity, income, history):
    state = open_account(score, capacity, income=income, ladder=ladder)
    out = []
    for dpd, u, s, b in history:
        state, action, reason = step(state, CycleOutcome(dpd, u, s, b), ladder)
        out.append((state, action, reason))
    return out


@given(books())
def test_replay_equals_folding_step(book) -> None:
    ladder, accounts = book
    rows, init = [], []
    use_balance = any(b is not None for acc in accounts for *_, b in acc[4])
    for a, score, capacity, income, history in accounts:
        init.append({"account_id": a, "score": score, "capacity": capacity, "income": income})
        for c, (dpd, u, s, b) in enumerate(history):
            rows.append(
                {
                    "account_id": a,
                    "cycle": c,
                    "dpd": dpd,
                    "utilisation": u,
                    "score": s,
                    "balance": b if b is not None else np.nan,
                }
            )
    hist = pd.DataFrame(rows)
    if not use_balance:
        hist = hist.drop(columns="balance")
    # Shuffle: replay must sort.
    hist = hist.sample(frac=1.0, random_state=0)
    out = replay(hist, pd.DataFrame(init), ladder=ladder)
    for a, score, capacity, income, history in accounts:
        if use_balance:
            history = [(d, u, s, b if b is not None else None) for d, u, s, b in history]
        expected = _fold(ladder, score, capacity, income, history)
        got = out[out["account_id"] == a]
        assert list(got["cycle"]) == list(range(len(history)))
        for (state, action, reason), row in zip(expected, got.itertuples()):
            assert row.limit == state.limit
            assert row.rung == state.rung
            assert row.action == action.value
            assert row.reason_code == (reason or "")
            assert row.frozen == state.frozen
            assert row.closed == state.closed
            assert row.streak == state.streak
            assert row.cooldown == state.cooldown


@given(books())
def test_ladder_invariants(book) -> None:
    ladder, accounts = book
    rungs = set(ladder.rungs)
    for _, score, capacity, income, history in accounts:
        state = open_account(score, capacity, income=income, ladder=ladder)
        assert state.limit == 0 or state.limit in rungs
        assert state.limit <= state.cap * (1 + 1e-9) or state.limit == 0
        assert state.limit <= loss_cap(ladder, np.array([score]))[0] * (1 + 1e-9)
        for dpd, u, s, b in history:
            before = state
            state, action, reason = step(state, CycleOutcome(dpd, u, s, b), ladder)
            # Always a rung (or no line), never above the static cap.
            assert state.limit == 0 or state.limit in rungs
            assert state.limit <= max(before.limit, state.cap * (1 + 1e-9))
            if state.limit > before.limit:
                assert dpd < ladder.freeze_dpd  # never raised while any DPD > 0
                assert before.cooldown == 0  # never during a cool-down
                assert not before.frozen
                assert action is Action.INCREASE
                steps = ladder.rungs.index(state.limit) - ladder.rungs.index(before.limit)
                assert 1 <= steps <= ladder.promotion_steps
                # ...and never above the expected-loss budget at the current score.
                assert state.limit <= loss_cap(ladder, np.array([s]))[0] * (1 + 1e-9)
            if action.adverse:
                assert reason is not None
            else:
                assert reason is None or action in (Action.INCREASE, Action.UNFREEZE)


@given(st.lists(cycles, min_size=1, max_size=30), st.floats(450, 720), st.floats(0, 4000))
def test_default_ladder_moves_at_most_one_rung(history, score, capacity) -> None:
    ladder = LimitLadder()
    state = open_account(score, capacity, ladder=ladder)
    for dpd, u, s, b in history:
        new, _, _ = step(state, CycleOutcome(dpd, u, s, b), ladder)
        if new.rung > state.rung:
            assert new.rung == state.rung + 1
        state = new


def test_replay_accepts_polars_and_existing_limits() -> None:
    hist = pl.DataFrame(
        {
            "account_id": ["a", "a", "b"],
            "cycle": [1, 2, 1],
            "dpd": [0, 0, 95],
            "utilisation": [0.5, 0.5, 1.0],
        }
    )
    init = pl.DataFrame({"account_id": ["a", "b"], "limit": [200.0, 500.0]})
    out = replay(
        hist,
        init,
        ladder=LimitLadder(
            min_promotion_score=None, caps=LimitCaps(expected_loss_budget=None), promotion_cycles=2
        ),
    )
    assert isinstance(out, pl.DataFrame)
    assert out["limit"].to_list() == [200.0, 500.0, 0.0]
    assert out["action"].to_list() == ["hold", "increase", "close"]
    assert out["reason_code"].to_list() == ["", "LIM_INCREASE", "LIM_CLOSE_DPD"]


@pytest.mark.parametrize(
    ("hist", "init", "column"),
    [
        (
            {"account_id": [1], "cycle": [1], "dpd": [0]},
            {"account_id": [1], "limit": [50.0]},
            "utilisation",
        ),
        (
            {"account_id": [1], "cycle": [1], "dpd": [-1], "utilisation": [0.1]},
            {"account_id": [1], "limit": [50.0]},
            "dpd",
        ),
        (
            {"account_id": [1, 1], "cycle": [2, 2], "dpd": [0, 0], "utilisation": [0.1, 0.2]},
            {"account_id": [1], "limit": [50.0]},
            "cycle",
        ),
        (
            {"account_id": [1, 2], "cycle": [1, 1], "dpd": [0, 0], "utilisation": [0.1, 0.2]},
            {"account_id": [1], "limit": [50.0]},
            "account_id",
        ),
        (
            {"account_id": [1, 2], "cycle": [1, 1], "dpd": [0, 0], "utilisation": [0.1, 0.2]},
            {"account_id": [1, 2], "limit": [50.0, None]},
            "limit",
        ),
        (
            {"account_id": [1], "cycle": [1], "dpd": [0], "utilisation": [0.1]},
            {"account_id": [1], "limit": [75.0]},
            "limit",
        ),
        (
            {"account_id": [1], "cycle": [1], "dpd": [None], "utilisation": [0.1]},
            {"account_id": [1], "limit": [50.0]},
            "dpd",
        ),
    ],
)
def test_replay_bad_input(hist, init, column) -> None:
    with pytest.raises(SchemaError) as err:
        replay(pd.DataFrame(hist), pd.DataFrame(init))
    assert err.value.column == column
    assert err.value.table in ("histories", "initial")


def test_replay_opens_from_first_history_row() -> None:
    hist = pd.DataFrame(
        {
            "account_id": [5, 5, 6],
            "cycle": [1, 2, 1],
            "dpd": [0, 0, 0],
            "utilisation": [0.5, 0.5, 0.5],
            "score": [610.0, 611.0, 530.0],
            "capacity": [900.0, 900.0, 10.0],
        }
    )
    out = replay(hist)
    assert out["limit"].tolist() == [500.0, 500.0, 0.0]  # 6: 3 x 10 yuan is below ¥50
    with pytest.raises(SchemaError) as err:
        replay(hist.drop(columns="capacity"))
    assert err.value.column == "capacity"


def test_replay_aligns_key_types() -> None:
    hist = pl.DataFrame(
        {"account_id": [1, 2], "cycle": [1, 1], "dpd": [0, 0], "utilisation": [0.1, 0.1]}
    )
    init = pl.DataFrame({"account_id": pl.Series([2, 1], dtype=pl.Int32), "limit": [100.0, 50.0]})
    assert replay(hist, init)["limit"].to_list() == [50.0, 100.0]
    bad = pl.DataFrame({"account_id": ["x", "y"], "limit": [50.0, 50.0]})
    with pytest.raises(SchemaError) as err:
        replay(hist, bad)
    assert err.value.column == "account_id"


def _books(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [1] * n + [2] * n,
            "cycle": list(range(n)) * 2,
            "dpd": [0] * 2 * n,
            "utilisation": [0.9] * 2 * n,
        }
    )


_FAST = LimitLadder(
    caps=LimitCaps(regulatory_ceiling=1000.0, expected_loss_budget=None),
    min_promotion_score=None,
    cooldown_cycles=0,
    promotion_cycles=1,
)


def test_replay_existing_caps_never_exceed_the_regulatory_ceiling() -> None:
    hist = _books()
    init = pd.DataFrame({"account_id": [1, 2], "limit": [500.0, 500.0], "cap": [np.nan, 800.0]})
    out = replay(hist, init, ladder=_FAST)
    by_account = out.groupby("account_id")
    # No cap of its own: the regulatory ceiling binds (never "no cap").
    assert by_account["limit"].max().to_dict() == {1: 1000.0, 2: 500.0}
    refused = out[out["action"] == "refuse_increase"].groupby("account_id")["reason_code"].last()
    assert refused.to_dict() == {1: "LIM_CAP_REGULATORY", 2: "LIM_CAP_ACCOUNT"}
    above = init.assign(cap=[1e9, 1e9])
    assert replay(hist, above, ladder=_FAST)["limit"].max() == 1000.0
    no_column = replay(hist, init.drop(columns="cap"), ladder=_FAST)
    assert no_column["limit"].max() == 1000.0


def test_replay_rejects_negative_caps_by_input_row() -> None:
    init = pd.DataFrame({"account_id": [2, 1], "limit": [500.0, 500.0], "cap": [-5.0, 800.0]})
    with pytest.raises(SchemaError) as err:
        replay(_books(), init, ladder=_FAST)
    assert (err.value.table, err.value.column, err.value.rows) == ("initial", "cap", [0])


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("utilisation", float("nan")),
        ("utilisation", float("inf")),
        ("dpd", 0.9),
        ("dpd", float("nan")),
        ("balance", -1.0),
        ("balance", float("inf")),
        ("score", float("inf")),
    ],
)
@pytest.mark.parametrize("frame", [pd.DataFrame, pl.DataFrame])
def test_replay_rejects_values_it_cannot_use(column, value, frame) -> None:
    hist = _books(3).assign(dpd=0.0, balance=10.0, score=600.0)
    hist = hist.iloc[[3, 4, 5, 0, 1, 2]].reset_index(drop=True)  # not in order
    hist[column] = hist[column].astype(float)
    hist.loc[4, column] = value
    init = pd.DataFrame({"account_id": [1, 2], "limit": [500.0, 500.0]})
    with pytest.raises(SchemaError) as err:
        replay(frame(hist), frame(init), ladder=_FAST)
    assert (err.value.table, err.value.column, err.value.rows) == ("histories", column, [4])


def test_replay_accepts_whole_float_days_and_null_balances() -> None:
    hist = _books(3).assign(dpd=[0.0, 40.0, 0.0] * 2, balance=[np.nan, 100.0, np.nan] * 2)
    init = pd.DataFrame({"account_id": [1, 2], "limit": [500.0, 500.0]})
    ints = replay(hist.assign(dpd=hist["dpd"].astype(int)), init, ladder=_FAST)
    pd.testing.assert_frame_equal(replay(hist, init, ladder=_FAST), ints)
    assert ints["action"].tolist()[:2] == ["increase", "cut"]


def test_replay_errors_on_opening_rows_quote_history_rows() -> None:
    hist = pd.DataFrame(
        {
            "account_id": [6, 5, 5],
            "cycle": [1, 2, 1],
            "dpd": [0, 0, 0],
            "utilisation": [0.5, 0.5, 0.5],
            "score": [610.0, 611.0, 530.0],
            "capacity": [900.0, 900.0, -10.0],
        }
    )
    with pytest.raises(DataError) as err:
        replay(hist)
    # Account 5 opens from its cycle-1 row, input row 2.
    assert (err.value.table, err.value.column, err.value.rows) == ("histories", "capacity", [2])


@pytest.mark.parametrize(
    ("kw", "column"),
    [
        ({"dpd": 0.5}, "dpd"),
        ({"dpd": -1}, "dpd"),
        ({"dpd": True}, "dpd"),
        ({"dpd": 0, "utilisation": math.nan}, "utilisation"),
        ({"dpd": 0, "utilisation": -0.1}, "utilisation"),
        ({"dpd": 0, "balance": math.inf}, "balance"),
        ({"dpd": 0, "score": math.inf}, "score"),
    ],
)
def test_cycle_outcome_rejects_values_step_cannot_use(kw, column) -> None:
    with pytest.raises(DataError) as err:
        CycleOutcome(**kw)
    assert (err.value.table, err.value.column) == ("CycleOutcome", column)
    assert CycleOutcome(dpd=30.0).dpd == 30


def test_replay_null_opening_score_quotes_the_history_row() -> None:
    hist = pd.DataFrame(
        {
            "account_id": [9, 9, 4, 4],
            "cycle": [2, 1, 1, 2],
            "dpd": [0, 0, 0, 0],
            "utilisation": [0.5] * 4,
            "score": [610.0, np.nan, 600.0, 600.0],
            "capacity": [900.0] * 4,
        }
    )
    with pytest.raises(SchemaError) as err:
        replay(hist)
    # Account 9 opens from its cycle-1 row, input row 1 (not "row 9", its id).
    assert (err.value.table, err.value.column, err.value.rows) == ("histories", "score", [1])
    assert all(type(r) is int for r in err.value.rows)


def test_step_applies_the_regulatory_ceiling_to_an_account_cap() -> None:
    from thinfile_credit.limits import AccountState

    state = AccountState(limit=1000.0, rung=4, cap=1e6)
    for _ in range(3):
        state, action, reason = step(state, CycleOutcome(dpd=0, utilisation=0.9), ladder=_FAST)
    assert state.limit == 1000.0
    assert (action, reason) == (Action.REFUSE_INCREASE, "LIM_CAP_REGULATORY")


@given(st.permutations(range(6)), st.booleans())
def test_a_pandas_replay_keeps_each_rows_index_label(order, gaps) -> None:
    """The result is sorted by account and cycle; each row keeps its input row's label,
    so ``histories["limit"] = out["limit"]`` pairs every cycle with its own limit."""
    base = pd.DataFrame(
        {
            "account_id": [5, 5, 5, 6, 6, 6],
            "cycle": [1, 2, 3, 1, 2, 3],
            "dpd": [0, 0, 40, 0, 0, 0],
            "utilisation": [0.5] * 6,
            "score": [610.0] * 3 + [640.0] * 3,
            "capacity": [900.0] * 6,
        }
    )
    if gaps:
        base.index = pd.Index([10, 31, 52, 73, 94, 115])
    want = replay(base)
    shuffled = base.iloc[list(order)]
    out = replay(shuffled)
    assert out.index.tolist() == want.index.tolist()  # the labels of the sorted rows
    aligned = shuffled.assign(limit=out["limit"], action=out["action"])
    for label, row in aligned.iterrows():
        assert row["limit"] == want.loc[label, "limit"]
        assert row["action"] == want.loc[label, "action"]
