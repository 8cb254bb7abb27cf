from __future__ import annotations

import json

import pytest

from thinfile_credit.errors import PolicyError, SpecError
from thinfile_credit.limits import (
    ADVERSE_REASONS,
    DEFAULT_RUNGS,
    LIMIT_REASONS,
    REASON_LIST,
    InitialBand,
    LimitCaps,
    LimitLadder,
    reason_text,
)
from thinfile_credit.scale import ScoreScale


def test_defaults_and_round_trip() -> None:
    ladder = LimitLadder()
    assert ladder.rungs == DEFAULT_RUNGS
    assert ladder.promotion_cycles == 3
    assert ladder.caps.regulatory_ceiling == 300_000.0
    assert ladder.caps.income_share == pytest.approx(1 / 3)
    text = ladder.to_json()
    json.loads(text)  # plain JSON
    assert LimitLadder.from_json(text) == ladder
    assert LimitLadder.from_dict(ladder.to_dict()) == ladder
    custom = ladder.with_changes(caps=LimitCaps(expected_loss_budget=None), cooldown_cycles=0)
    assert LimitLadder.from_json(custom.to_json()) == custom


def test_bands_given_as_dicts_are_accepted() -> None:
    ladder = LimitLadder(initial_bands=({"lower": 500, "upper": None, "limit": 50},))
    assert ladder.initial_bands[0] == InitialBand(500, None, 50)


def bands(*triples):
    return tuple(InitialBand(*t) for t in triples)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"rungs": (100.0, 50.0)}, "strictly increasing"),
        ({"rungs": (50.0, 50.0)}, "strictly increasing"),
        ({"rungs": ()}, "one or more"),
        ({"rungs": (-5.0, 50.0)}, "positive"),
        ({"initial_bands": bands((500, 560, 50), (550, None, 100))}, "overlap"),
        ({"initial_bands": bands((500, 540, 50), (560, None, 100))}, "gap"),
        ({"initial_bands": bands((500, 540, 75), (540, None, 100))}, "not a rung"),
        ({"initial_bands": bands((500, 540, 50), (540, 600, 100))}, "open-ended"),
        ({"initial_bands": bands((500, 540, 200), (540, None, 100))}, "rise with"),
        ({"initial_bands": ()}, "at least one"),
        ({"caps": LimitCaps(regulatory_ceiling=20.0)}, "below the first rung"),
        ({"freeze_dpd": 40}, "freeze_dpd <= cut_dpd"),
        ({"promotion_cycles": 0}, "promotion_cycles"),
        ({"promotion_steps": 1.5}, "promotion_steps"),
        ({"cooldown_cycles": -1}, "cooldown_cycles"),
        ({"min_promotion_utilisation": 1.5}, "utilisation"),
        ({"min_promotion_score": float("nan")}, "min_promotion_score"),
    ],
)
def test_inconsistent_policy_fails_loudly(kw, match) -> None:
    with pytest.raises(PolicyError, match=match):
        LimitLadder(**kw)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"affordability_multiple": 0}, "affordability_multiple"),
        ({"income_share": 1.5}, "income_share"),
        ({"lgd": 0}, "lgd"),
        ({"regulatory_ceiling": -1}, "regulatory_ceiling"),
    ],
)
def test_bad_caps(kw, match) -> None:
    with pytest.raises(PolicyError, match=match):
        LimitCaps(**kw)


def test_lower_is_better_scale_needs_falling_band_limits() -> None:
    scale = ScoreScale(higher_is_better=False)
    ok = LimitLadder(
        initial_bands=bands((None, 400, 500), (400, 500, 50)),
        scale=scale,
        min_promotion_score=None,
    )
    assert ok.band_rungs.tolist() == [3, 0]
    with pytest.raises(PolicyError, match="rise with"):
        LimitLadder(initial_bands=bands((None, 400, 50), (400, 500, 500)), scale=scale)
    # Neither rising nor falling: the riskiest band may not get the largest first limit.
    with pytest.raises(PolicyError, match="rise with"):
        LimitLadder(
            initial_bands=bands((None, 400, 200), (400, 500, 50), (500, 600, 1000)), scale=scale
        )
    with pytest.raises(PolicyError, match="rise with"):
        LimitLadder(initial_bands=bands((500, 600, 200), (600, 700, 50), (700, None, 1000)))


def test_rung_index() -> None:
    ladder = LimitLadder()
    assert ladder.rung_index(0) == -1
    assert ladder.rung_index(10000) == 7
    with pytest.raises(PolicyError, match="not a rung"):
        ladder.rung_index(75)


def test_unknown_fields() -> None:
    with pytest.raises(SpecError, match="unknown LimitLadder fields"):
        LimitLadder.from_dict({"colour": "red"})


def test_reason_codes_are_complete_data() -> None:
    assert REASON_LIST[0] == ""
    for code, texts in LIMIT_REASONS.items():
        assert code.startswith("LIM_")
        assert texts["zh"]
        assert texts["en"]
    assert reason_text("LIM_FREEZE_DPD", "zh") == "存在逾期，额度已冻结"
    assert reason_text("LIM_FREEZE_DPD") == "Limit frozen: a payment is overdue"
    assert "LIM_INCREASE" not in ADVERSE_REASONS
    assert "LIM_CUT_DPD" in ADVERSE_REASONS
    with pytest.raises(SpecError, match="unknown limit reason"):
        reason_text("NOPE")
