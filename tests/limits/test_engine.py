from __future__ import annotations

import math

import numpy as np
import pytest

from thinfile_credit.errors import DataError
from thinfile_credit.limits import (
    AccountState,
    Action,
    CycleOutcome,
    LimitCaps,
    LimitLadder,
    explain_initial_limit,
    initial_limit,
    open_account,
    step,
)

NO_BUDGET = LimitLadder(caps=LimitCaps(expected_loss_budget=None))


def test_initial_limit_by_band_and_decline() -> None:
    limits = initial_limit(
        [499.9, 500, 539.9, 540, 575, 605, 700], capacity=np.full(7, 1e4), ladder=NO_BUDGET
    )
    assert limits.tolist() == [0, 50, 50, 100, 200, 500, 1000]


def test_caps_bind_and_are_explained() -> None:
    ladder = LimitLadder(caps=LimitCaps(expected_loss_budget=20.0))
    table = explain_initial_limit(
        [650, 650, 650, 500],
        capacity=[1e5, 100, 1e5, 1e5],
        income=[1200, np.nan, np.nan, np.nan],
        ladder=ladder,
    )
    # income 1200/3 = 400 -> 200 rung; affordability 300 -> 200; the loss budget
    # at 500 points (PD ~ 0.39) allows ~57 -> 50.
    assert table["limit"].tolist() == [200.0, 200.0, 1000.0, 50.0]
    assert table["reason_code"].tolist() == [
        "LIM_CAP_INCOME",
        "LIM_CAP_AFFORDABILITY",
        "",
        "",
    ]
    assert table.loc[3, "cap_loss_budget"] < 100


def test_regulatory_ceiling_caps_the_top() -> None:
    ladder = LimitLadder(caps=LimitCaps(regulatory_ceiling=800.0, expected_loss_budget=None))
    assert initial_limit([700], [1e6], ladder=ladder).tolist() == [500.0]


def test_loss_budget_declines_when_even_first_rung_too_risky() -> None:
    ladder = LimitLadder(caps=LimitCaps(expected_loss_budget=5.0))
    t = explain_initial_limit([505], [1e4], ladder=ladder)
    assert t["limit"].tolist() == [0.0]
    assert t["reason_code"].tolist() == ["LIM_CAP_LOSS_BUDGET"]
    assert explain_initial_limit([400], [1e4])["reason_code"].tolist() == ["LIM_DECLINE_SCORE"]


@pytest.mark.parametrize(
    ("kw", "column"),
    [
        ({"scores": [np.nan, 600], "capacity": [1, 1]}, "score"),
        ({"scores": [600, 600], "capacity": [1, np.nan]}, "capacity"),
        ({"scores": [600, 600], "capacity": [1, -1]}, "capacity"),
        ({"scores": [600], "capacity": [1, 2]}, "capacity"),
        ({"scores": [600], "capacity": [1], "income": [-5]}, "income"),
        ({"scores": ["a"], "capacity": [1]}, "score"),
    ],
)
def test_initial_limit_bad_input(kw, column) -> None:
    with pytest.raises(DataError) as err:
        initial_limit(**kw)
    assert err.value.column == column


def run(state, cycles, ladder):
    out = []
    for c in cycles:
        state, action, reason = step(state, c, ladder)
        out.append((state.limit, action, reason))
    return state, out


def test_promotion_path_and_cooldown() -> None:
    ladder = LimitLadder(cooldown_cycles=4, caps=LimitCaps(expected_loss_budget=None))
    s = open_account(560.0, capacity=1e4, ladder=ladder)
    assert s.limit == 100.0
    good = CycleOutcome(dpd=0, utilisation=0.5, score=600.0)
    s, out = run(s, [good] * 7, ladder)
    limits = [x[0] for x in out]
    assert limits == [100, 100, 200, 200, 200, 200, 200]
    # After the raise the streak restarts; at streak 3 the cool-down (4) still applies.
    assert out[5][1] is Action.REFUSE_INCREASE
    assert out[5][2] == "LIM_NO_INCREASE_COOLDOWN"
    s, out = run(s, [good], ladder)
    assert out[0][:2] == (500.0, Action.INCREASE)


@pytest.mark.parametrize(
    ("cycle", "reason"),
    [
        (CycleOutcome(0, 0.5, 500.0), "LIM_NO_INCREASE_SCORE"),
        (CycleOutcome(0, 0.5, math.nan), "LIM_NO_INCREASE_NO_SCORE"),
        (CycleOutcome(0, 0.05, 600.0), "LIM_NO_INCREASE_USAGE"),
    ],
)
def test_refused_increase_reasons(cycle, reason) -> None:
    s = AccountState(limit=100.0, rung=1, cap=1e6, streak=5)
    new, action, code = step(s, cycle)
    assert (new.limit, action, code) == (100.0, Action.REFUSE_INCREASE, reason)


def test_refused_at_cap_names_the_cap() -> None:
    s = AccountState(limit=200.0, rung=2, cap=450.0, cap_reason="LIM_CAP_INCOME", streak=5)
    new, action, code = step(s, CycleOutcome(0, 0.9, 650.0), NO_BUDGET)
    assert (new.limit, action, code) == (200.0, Action.REFUSE_INCREASE, "LIM_CAP_INCOME")
    ladder = LimitLadder(caps=LimitCaps(expected_loss_budget=2.0))
    s = AccountState(limit=200.0, rung=2, cap=1e6, streak=5)
    assert step(s, CycleOutcome(0, 0.9, 600.0), ladder)[2] == "LIM_CAP_LOSS_BUDGET"


def test_top_rung_holds_without_reason() -> None:
    s = AccountState(limit=10000.0, rung=7, cap=1e6, streak=9)
    assert step(s, CycleOutcome(0, 0.9, 700.0))[1:] == (Action.HOLD, None)


def test_freeze_cure_cut_close() -> None:
    ladder = NO_BUDGET
    s = AccountState(limit=2000.0, rung=5, cap=1e6, streak=2)
    s, a, r = step(s, CycleOutcome(dpd=3, utilisation=0.8), ladder)
    assert (s.frozen, s.streak, a, r) == (True, 0, Action.FREEZE, "LIM_FREEZE_DPD")
    s2, a, r = step(s, CycleOutcome(dpd=10, utilisation=0.8), ladder)
    assert (a, r) == (Action.HOLD, None)
    s3, a, r = step(s2, CycleOutcome(dpd=0, utilisation=0.8, score=600.0), ladder)
    assert (s3.frozen, a, r) == (False, Action.UNFREEZE, "LIM_UNFREEZE")
    # 30+ DPD cuts to the highest rung not above the balance.
    s4, a, r = step(s, CycleOutcome(dpd=35, utilisation=0.8, balance=1234.0), ladder)
    assert (s4.limit, a, r) == (1000.0, Action.CUT, "LIM_CUT_DPD")
    # Balance default: utilisation * limit = 1600 -> 1000.
    assert step(s, CycleOutcome(dpd=35, utilisation=0.8), ladder)[0].limit == 1000.0
    # Never below the first rung.
    assert step(s, CycleOutcome(dpd=35, balance=3.0), ladder)[0].limit == 50.0
    s5, a, r = step(s4, CycleOutcome(dpd=95), ladder)
    assert (s5.limit, s5.closed, a, r) == (0.0, True, Action.CLOSE, "LIM_CLOSE_DPD")
    assert step(s5, CycleOutcome(dpd=0, utilisation=0.5, score=700.0), ladder)[1] is Action.HOLD


def test_no_line_accounts_stay_put() -> None:
    s = open_account(400.0, capacity=500.0)
    assert s.rung == -1
    assert step(s, CycleOutcome(0, 1.0, 700.0))[1] is Action.HOLD


def test_action_adverse_flags() -> None:
    assert Action.CUT.adverse
    assert not Action.INCREASE.adverse
