"""First-limit bands follow the score scale's direction.

On a lower-is-better scale (``ScoreScale(higher_is_better=False)``: low points, low PD)
the riskiest applicants are at the top of the score range: they are the ones declined,
and the best (lowest) scores get the safest band's limit. The bands used to decline the
best applicants and always give the riskiest a line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.errors import PolicyError
from thinfile_credit.limits import (
    CycleOutcome,
    InitialBand,
    LadderArrays,
    LimitCaps,
    LimitLadder,
    explain_initial_limit,
    initial_limit,
    open_account,
    simulate,
    step,
)
from thinfile_credit.limits.mdp import MDPPolicy
from thinfile_credit.limits.population import make_population
from thinfile_credit.scale import ScoreScale

LOWER = ScoreScale(higher_is_better=False)
#: With base score 600 on both scales, the lower-is-better score of a PD is 1200 minus
#: its higher-is-better score.
MIRROR = 1200.0


def mirrored(ladder: LimitLadder) -> LimitLadder:
    """The same policy on the lower-is-better scale: band [l, u) becomes [M-u, M-l)."""
    bands = tuple(
        InitialBand(
            None if b.upper is None else MIRROR - b.upper,
            MIRROR - b.lower,
            b.limit,
        )
        for b in reversed(ladder.initial_bands)
    )
    score = ladder.min_promotion_score
    return ladder.with_changes(
        initial_bands=bands,
        min_promotion_score=None if score is None else MIRROR - score,
        scale=LOWER,
    )


@st.composite
def ladders(draw, scale: ScoreScale) -> LimitLadder:
    rungs = (50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0)
    cuts = sorted(draw(st.sets(st.integers(480, 700), min_size=1, max_size=5)))
    limits = sorted(draw(st.lists(st.sampled_from(rungs), min_size=len(cuts), max_size=len(cuts))))
    hib = LimitLadder(
        rungs=rungs,
        initial_bands=tuple(
            InitialBand(float(lo), None if hi is None else float(hi), lim)
            for lo, hi, lim in zip(cuts, [*cuts[1:], None], limits)
        ),
        min_promotion_score=None,
        caps=LimitCaps(expected_loss_budget=draw(st.one_of(st.none(), st.floats(5, 500)))),
    )
    return hib if scale.higher_is_better else mirrored(hib)


scores = st.floats(300, 900, allow_nan=False)


@pytest.mark.parametrize("scale", [ScoreScale(), LOWER], ids=["higher", "lower"])
@settings(max_examples=150, deadline=None)
@given(data=st.data(), a=scores, b=scores, capacity=st.floats(0, 5000))
def test_a_safer_applicant_never_gets_a_lower_first_limit(scale, data, a, b, capacity) -> None:
    ladder = data.draw(ladders(scale))
    pd_a, pd_b = scale.pd_from_points([a, b])
    safer, riskier = (a, b) if pd_a <= pd_b else (b, a)
    got = initial_limit([safer, riskier], [capacity, capacity], ladder=ladder)
    assert got[0] >= got[1]
    # The riskiest side is the declined one, the safest band is granted.
    extreme = [300.0, 900.0] if scale.higher_is_better else [900.0, 300.0]
    worst, best = initial_limit(extreme, [1e6, 1e6], ladder=ladder)
    assert worst == 0.0
    if ladder.caps.expected_loss_budget is None:
        assert best == max(b.limit for b in ladder.initial_bands)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), points=st.lists(scores, min_size=1, max_size=20))
def test_the_mirrored_ladder_gives_every_applicant_the_same_first_limit(data, points) -> None:
    hib = data.draw(ladders(ScoreScale()))
    # Off the band edges (a score on an edge belongs to the upper band on both scales).
    points = [p + 0.01 if float(p).is_integer() else p for p in points]
    lib_points = [MIRROR - p for p in points]
    capacity = np.full(len(points), 400.0)
    np.testing.assert_array_equal(
        initial_limit(points, capacity, ladder=hib),
        initial_limit(lib_points, capacity, ladder=mirrored(hib)),
    )


def test_reviewers_lower_is_better_ladder() -> None:
    """The reviewer's bands, restated the way round the scale needs: the best scores
    (lowest points) get ¥1,000 and the riskiest (PD 0.95 and 0.9985) no line, with or
    without the loss budget."""
    bands = (
        InitialBand(None, 560, 1000.0),
        InitialBand(560, 620, 500.0),
        InitialBand(620, 800, 50),
    )
    points = [450.0, 530.0, 600.0, 700.0, 800.0, 900.0]
    for caps in (LimitCaps(expected_loss_budget=None), LimitCaps()):
        ladder = LimitLadder(
            rungs=(50.0, 100.0, 500.0, 1000.0),
            initial_bands=bands,
            caps=caps,
            scale=LOWER,
            min_promotion_score=None,
        )
        t = explain_initial_limit(points, [10_000.0] * 6, ladder=ladder)
        assert t["limit"].tolist() == [1000.0, 1000.0, 500.0, 50.0, 0.0, 0.0]
        assert t["reason_code"].tolist()[-2:] == ["LIM_DECLINE_SCORE"] * 2
    # The loss budget reads the PD through the scale: ¥150 / (0.9985 * 0.9) at 900 points
    # is ¥166.9, which would still allow ¥100: the band rule is what declines.
    pd_900 = float(LOWER.pd_from_points(900.0))
    assert pd_900 == pytest.approx(0.9985, abs=1e-4)
    assert t.loc[5, "cap_loss_budget"] == pytest.approx(150 / (pd_900 * 0.9))


@pytest.mark.parametrize(
    ("bands", "scale", "match"),
    [
        # Lower is better: a floor on the best scores, or no ceiling on the riskiest.
        (((500, 560, 1000), (560, 620, 500), (620, None, 50)), LOWER, "safest and must be"),
        (((None, 560, 1000), (560, None, 50)), LOWER, "riskiest and needs a finite upper"),
        # Higher is better: the riskiest band must have a floor, the best no ceiling.
        (((None, 540, 50), (540, None, 100)), ScoreScale(), "riskiest on a higher-is-better"),
        (((500, 540, 50), (540, 600, 100)), ScoreScale(), "open-ended"),
        # Only the first band may be open below.
        (((None, 540, 1000), (None, 600, 500), (600, 700, 50)), LOWER, "only the first band"),
    ],
)
def test_bands_against_the_scale_direction_are_refused(bands, scale, match) -> None:
    with pytest.raises(PolicyError, match=match):
        LimitLadder(
            rungs=(50.0, 100.0, 500.0, 1000.0),
            initial_bands=tuple(InitialBand(*b) for b in bands),
            scale=scale,
            min_promotion_score=None,
        )


def test_a_band_open_at_both_ends_is_refused() -> None:
    with pytest.raises(PolicyError, match="cannot both be None"):
        InitialBand(None, None, 50)


def test_band_index_and_json_round_trip() -> None:
    hib = LimitLadder()
    lib = mirrored(hib)
    assert lib.initial_bands[0].lower is None
    assert lib.initial_bands[-1].upper == 700.0
    assert lib.band_index([400.0, 569.9, 570.0, 699.9, 700.0, np.nan]).tolist() == [
        0,
        0,
        1,
        4,
        -1,
        -1,
    ]
    assert hib.band_index([499.9, np.nan, 1e9]).tolist() == [-1, -1, 4]
    assert LimitLadder.from_json(lib.to_json()) == lib


def test_engines_agree_on_a_lower_is_better_ladder() -> None:
    lib = mirrored(LimitLadder())
    assert open_account(480.0, capacity=1000.0, ladder=lib).limit == 1000.0  # 720 on HIB
    assert open_account(710.0, capacity=1000.0, ladder=lib).limit == 0.0  # 490 on HIB
    s = LadderArrays.open(lib, [480.0, 710.0], [1000.0, 1000.0])
    assert s.limit.tolist() == [1000.0, 0.0]
    # Promotion reads the mirrored score condition (HIB 540 -> LIB 660: higher is worse).
    state = open_account(650.0, capacity=1e5, ladder=lib)  # HIB 550: ¥100
    refused = state
    for _ in range(3):
        refused, _, reason = step(refused, CycleOutcome(dpd=0, utilisation=0.5, score=670.0), lib)
    assert reason == "LIM_NO_INCREASE_SCORE"


def test_simulating_the_mirrored_ladder_gives_the_same_book() -> None:
    pop = make_population(2000, random_state=3)
    pop["score"] = pop["score"] + 0.05  # off every band edge and score condition
    mirror = pop.assign(score=MIRROR - pop["score"])
    hib = LimitLadder()
    a = simulate(hib, pop, 6, random_state=1)
    b = simulate(mirrored(hib), mirror, 6, random_state=1)
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    # The MDP's bands and its policy table follow the scale as well.
    panel_a = simulate(hib, pop, 6, random_state=1, return_panel=True).panel
    panel_b = simulate(mirrored(hib), mirror, 6, random_state=1, return_panel=True).panel
    mdp_a = MDPPolicy(hib).fit(panel_a)
    mdp_b = MDPPolicy(mirrored(hib)).fit(panel_b)
    np.testing.assert_array_equal(mdp_a.policy_[::-1], mdp_b.policy_)
    assert mdp_b.policy_table().index[0] == "[-∞, 570)"
