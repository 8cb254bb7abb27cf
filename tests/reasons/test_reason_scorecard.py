"""points_below_max reasons of a real WoEScorecard equal a hand computation from table()."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from _reason_models import credit_frame

from thinfile_credit.reasons import ReasonCoder, default_catalog

scorecard = pytest.importorskip("thinfile_credit.scorecard")


@pytest.fixture(scope="module")
def card_and_data():
    X, y = credit_frame(3000, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        card = scorecard.WoEScorecard(round_points=True).fit(X, y)
    return card, X


def _bin_points(table, feature, x):
    """Points of the table row whose printed condition holds x (hand lookup)."""
    rows = table[table["feature"] == feature]
    for cond, pts in zip(rows["condition"], rows["points"]):
        if cond == "missing":
            if isinstance(x, float) and math.isnan(x):
                return pts
            continue
        lo_s, hi_s = cond[1:-1].split(", ")
        lo, hi = float(lo_s), float(hi_s)
        lo_ok = x > lo if cond[0] == "(" else x >= lo
        hi_ok = x < hi if cond[-1] == ")" else x <= hi
        if lo_ok and hi_ok:
            return pts
    raise AssertionError(f"no bin of {feature} holds {x}")


def test_points_below_max_equals_hand_computation_from_table(card_and_data):
    card, X = card_and_data
    table = card.table()
    catalog = default_catalog()
    coder = ReasonCoder(min_points=0.5, max_reasons=4, language="en", check_values=False).fit(
        card, X
    )
    assert coder.best_source_ == "model"
    scores = card.score(X)
    for i in [*list(np.argsort(scores)[:25]), 0, 1, 2]:
        row = X.iloc[int(i)]
        lost: dict[str, float] = {}
        for f in card.features_:
            best = table.loc[table["feature"] == f, "points"].max()
            got = _bin_points(table, f, float(row[f]))
            code = catalog.group_of(f)
            lost[code] = lost.get(code, 0.0) + (best - got)
        expected = sorted(
            ((c, p) for c, p in lost.items() if p > 0 and p >= 0.5), key=lambda t: (-t[1], t[0])
        )[:4]
        got = coder.explain_one(row.to_dict())
        assert [(r.code, r.points_lost) for r in got.reasons] == [
            (c, pytest.approx(p, abs=1e-9)) for c, p in expected
        ]
        baseline = float(table.loc[table["feature"] == "(baseline)", "points"].iloc[0])
        hand_score = baseline + sum(_bin_points(table, f, float(row[f])) for f in card.features_)
        assert got.score == pytest.approx(hand_score)


def test_scorecard_single_applicant_path_matches_batch(card_and_data):
    card, X = card_and_data
    coder = ReasonCoder(also_considered=True).fit(card, X)
    batch = coder.explain(X.iloc[:50])
    for i in range(50):
        e = coder.explain_one(X.iloc[i].to_dict())
        rows = batch[(batch["application_id"] == i) & ~batch["also_considered"]]
        assert list(e.codes) == rows["code"].astype(str).tolist()
        np.testing.assert_allclose([r.points_lost for r in e.reasons], rows["points_lost"])


def test_scorecard_hints_reach_the_next_better_bin(card_and_data):
    card, X = card_and_data
    table = card.table()
    coder = ReasonCoder(hints=True, language="en").fit(card, X)
    worst = X.iloc[int(np.argmin(card.score(X)))].to_dict()
    e = coder.explain_one(worst)
    assert e.reasons
    assert all(r.hint is not None for r in e.reasons if r.code != "THN01")
    for r in e.reasons:
        h = r.hint
        if h is None:
            continue
        assert h.feature in r.features
        # exact split points (the printed conditions are rounded to 6 digits)
        splits = list(card.binner_.binnings_[h.feature].splits)
        rows = table[(table["feature"] == h.feature) & (table["condition"] != "missing")]
        points = rows["points"].tolist()
        lows = [-np.inf, *splits]
        ci = int(np.searchsorted(lows, h.current, side="right")) - 1
        ti = int(np.searchsorted(lows, h.target, side="right")) - 1
        before, after = points[ci], points[ti]
        assert h.points == pytest.approx(after - before)
        # the target is in the *next* better bin: no bin between them gains min_points
        between = range(min(ci, ti) + 1, max(ci, ti))
        assert all(points[b] - before < coder.min_points for b in between)
        if ti > ci:  # moving up: exactly the bin's lower edge
            assert h.target == lows[ti]
        assert h.text.endswith(f"(+{h.points:.0f} points)")
