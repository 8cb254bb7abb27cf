"""Limit ladders end to end: first limits, one account's journey, replay, simulation, tuning."""

from __future__ import annotations

import pandas as pd

from thinfile_credit.limits import (
    CycleOutcome,
    LimitCaps,
    LimitLadder,
    MDPPolicy,
    explain_initial_limit,
    make_population,
    open_account,
    reason_text,
    replay,
    search_ladder,
    simulate,
    step,
)

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 12)

# 1. The policy is data: validate, serialise, reload.
ladder = LimitLadder(caps=LimitCaps(expected_loss_budget=150.0))
assert LimitLadder.from_json(ladder.to_json()) == ladder
print("rungs:", ladder.rungs)

# 2. First limits for a batch of applicants (scores from any scorer, capacity = monthly spend).
applicants = pd.DataFrame(
    {
        "score": [495.0, 525.0, 560.0, 590.0, 615.0, 650.0, 650.0],
        "capacity": [800.0, 800.0, 800.0, 800.0, 800.0, 120.0, 5000.0],
        "income": [float("nan")] * 6 + [2400.0],
    }
)
offers = explain_initial_limit(
    applicants["score"], applicants["capacity"], income=applicants["income"], ladder=ladder
)
print(offers[["score", "band_limit", "cap_affordability", "limit", "reason_code"]])

# 3. One account's journey, cycle by cycle, with reason texts for every adverse action.
state = open_account(560.0, capacity=800.0, ladder=ladder)
journey = [
    CycleOutcome(dpd=0, utilisation=0.6, score=575.0),
    CycleOutcome(dpd=0, utilisation=0.7, score=580.0),
    CycleOutcome(dpd=0, utilisation=0.8, score=585.0),  # third on-time cycle: raise
    CycleOutcome(dpd=4, utilisation=0.9, score=570.0),  # late: freeze
    CycleOutcome(dpd=0, utilisation=0.5, score=575.0),  # cured: unfreeze
    CycleOutcome(dpd=0, utilisation=0.5, score=580.0),
    CycleOutcome(dpd=0, utilisation=0.5, score=590.0),
    CycleOutcome(dpd=0, utilisation=0.1, score=595.0),  # eligible, but the line is idle
]
for cycle_no, cycle in enumerate(journey, start=1):
    state, action, code = step(state, cycle, ladder)
    text = reason_text(code, "zh") if code else ""
    print(
        f"cycle {cycle_no}: limit {state.limit:>6.0f}  {action.value:<16} {code or '':<24} {text}"
    )

# 4. Replay the same rules over a whole book at once.
history = pd.DataFrame(
    {
        "account_id": [1] * 4 + [2] * 4,
        "cycle": [1, 2, 3, 4] * 2,
        "dpd": [0, 0, 0, 0, 0, 35, 95, 0],
        "utilisation": [0.5] * 4 + [0.9] * 4,
        "score": [600.0] * 8,
    }
)
book = pd.DataFrame({"account_id": [1, 2], "score": [600.0, 610.0], "capacity": [900.0, 900.0]})
print(
    replay(history, book, ladder=ladder)[["account_id", "cycle", "limit", "action", "reason_code"]]
)

# 5. Simulate the portfolio for 12 months (seeded).
population = make_population(5000, random_state=0)
result = simulate(ladder, population, months=12, random_state=0, return_panel=True)
print(
    result.monthly[
        ["month", "accounts_with_line", "mean_limit", "revenue", "realised_loss", "profit"]
    ]
    .round(0)
    .tail(4)
)
print({k: round(v, 4) for k, v in result.summary.items()})
inclusion = result.inclusion[result.inclusion["month"] == 12]
print(inclusion[["limit", "thin_file_share", "thick_file_share"]].round(3))

# 6. Tune: a small coordinate search, and an MDP fitted on the simulated histories.
found = search_ladder(
    population,
    space={"promotion_cycles": [2, 3], "min_promotion_score": [540.0, 560.0]},
    months=12,
    random_state=0,
)
print("searched:", found.params, {k: round(found.summary[k], 4) for k in ("profit", "loss_rate")})
mdp = MDPPolicy(ladder, loss_weight=1.5).fit(result.panel)
print(mdp.policy_table())
mdp_run = simulate(mdp, population, months=12, random_state=0).summary
print("mdp:", {k: round(mdp_run[k], 4) for k in ("profit", "loss_rate", "thin_file_share_500")})
