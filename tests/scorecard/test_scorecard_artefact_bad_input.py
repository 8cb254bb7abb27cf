"""A scorecard artefact that is corrupt or edited after fitting never loads.

Non-finite numbers, text where numbers belong, points that are not what the scale, the
coefficient and the bin's WoE give, and a baseline that is not the intercept's points are
:class:`~thinfile_credit.errors.ArtefactError` naming the feature and bins; every artefact
the library writes, with every option, still loads and scores identically.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile_credit.errors import ArtefactError
from thinfile_credit.scale import ScoreScale
from thinfile_credit.scorecard import WoEScorecard


def _data(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": rng.choice(["x", "y", "z"], n),
        }
    )
    z = -2 + X["a"] - 0.5 * X["b"] + np.where(X["c"] == "z", 0.7, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return X, y


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    return _data()


@pytest.fixture(scope="module")
def card(data) -> WoEScorecard:
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return WoEScorecard(random_state=0, min_iv=0.0).fit(X, y)


@pytest.fixture(scope="module")
def rounded(data) -> WoEScorecard:
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return WoEScorecard(random_state=0, min_iv=0.0, round_points=True).fit(X, y)


def _payload(card: WoEScorecard) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(card.to_json())
    return data


def _load(payload: dict[str, Any]) -> WoEScorecard:
    return WoEScorecard.from_json(json.dumps(payload))


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
@pytest.mark.parametrize("key", ["baseline_points", "intercept", "coefficient", "points", "woe"])
def test_non_finite_numbers_are_refused(card, key, literal) -> None:
    payload = _payload(card)
    marker = 123456.789  # a number written exactly once, then swapped for the literal
    if key in ("baseline_points", "intercept"):
        payload[key] = marker
    elif key == "coefficient":
        payload["model"][0]["coefficient"] = marker
    elif key == "points":
        payload["model"][0]["points"][1] = marker
    else:
        payload["binnings"][0]["woe"][0] = marker
    text = json.dumps(payload).replace(repr(marker), literal)
    assert literal in text
    with pytest.raises(ArtefactError, match=r"non-finite|float64 range"):
        WoEScorecard.from_json(text)


@pytest.mark.parametrize("value", ["1.5", True, None, [1.0]])
def test_text_or_booleans_where_numbers_belong_are_refused(card, value) -> None:
    payload = _payload(card)
    payload["intercept"] = value
    with pytest.raises(ArtefactError, match="intercept must be a number"):
        _load(payload)
    payload = _payload(card)
    payload["model"][0]["points"][0] = value
    with pytest.raises(ArtefactError, match="points must be a number"):
        _load(payload)


def test_text_where_a_flag_belongs_is_refused(card) -> None:
    payload = _payload(card)
    payload["round_points"] = "false"  # bool("false") is True
    with pytest.raises(ArtefactError, match="round_points must be true or false"):
        _load(payload)


@pytest.mark.parametrize("fixture", ["card", "rounded"])
def test_points_edited_after_fitting_are_refused_naming_feature_and_bins(fixture, request) -> None:
    payload = _payload(request.getfixturevalue(fixture))
    feature = payload["model"][1]["feature"]
    payload["model"][1]["points"] = [p + 100 for p in payload["model"][1]["points"]]
    with pytest.raises(ArtefactError, match="points disagree") as info:
        _load(payload)
    n_bins = len(payload["model"][1]["points"])
    assert (info.value.table, info.value.column) == ("model", feature)
    assert info.value.rows == list(range(n_bins))
    payload = _payload(request.getfixturevalue(fixture))
    payload["model"][0]["points"][2] += 1.0
    with pytest.raises(ArtefactError, match="points disagree") as info:
        _load(payload)
    assert (info.value.column, info.value.rows) == (payload["model"][0]["feature"], [2])


def test_a_changed_coefficient_or_woe_no_longer_gives_the_points(card) -> None:
    payload = _payload(card)
    payload["model"][0]["coefficient"] *= 1.5
    with pytest.raises(ArtefactError, match="points disagree") as info:
        _load(payload)
    assert info.value.column == payload["model"][0]["feature"]
    payload = _payload(card)
    feature = payload["model"][0]["feature"]
    binning = next(b for b in payload["binnings"] if b["name"] == feature)
    binning["woe"][0] += 0.3
    with pytest.raises(ArtefactError, match="points disagree") as info:
        _load(payload)
    assert (info.value.column, info.value.rows) == (feature, [0])


def test_points_for_another_number_of_bins_are_refused(card) -> None:
    payload = _payload(card)
    payload["model"][0]["points"].append(0.0)
    with pytest.raises(ArtefactError, match="points for") as info:
        _load(payload)
    assert info.value.column == payload["model"][0]["feature"]


@pytest.mark.parametrize("fixture", ["card", "rounded"])
def test_baseline_that_is_not_the_intercepts_points_is_refused(fixture, request) -> None:
    payload = _payload(request.getfixturevalue(fixture))
    payload["baseline_points"] += 100
    with pytest.raises(ArtefactError, match="baseline_points") as info:
        _load(payload)
    assert info.value.column == "baseline_points"
    payload = _payload(request.getfixturevalue(fixture))
    payload["intercept"] += 1.0
    with pytest.raises(ArtefactError, match="baseline_points"):
        _load(payload)


def test_reviewers_tampered_artefacts_are_refused(card, data) -> None:
    X, _ = data
    payload = _payload(card)
    payload["baseline_points"] = float("nan")
    with pytest.raises(ArtefactError, match="NaN"):
        WoEScorecard.from_json(json.dumps(payload))
    payload = _payload(card)
    payload["model"][0]["coefficient"] = float("nan")
    with pytest.raises(ArtefactError, match="NaN"):
        WoEScorecard.from_json(json.dumps(payload))
    # and the genuine artefact still scores exactly
    assert np.array_equal(_load(_payload(card)).score(X), card.score(X))


def _edit(payload: dict[str, Any], path: str, value: Any = None) -> None:
    """Set (or, with ``value`` None, delete) ``payload`` at ``"model.0.feature"``-style paths."""
    *parents, last = path.split(".")
    node: Any = payload
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    key: Any = int(last) if isinstance(node, list) else last
    if value is None:
        del node[key]
    else:
        node[key] = value


@pytest.mark.parametrize(
    ("path", "value", "message", "where"),
    [
        # the reviewer's file: a model feature with no binning named "'zzz'" only
        (
            "model.0.feature",
            "zzz",
            r"model\[0\] feature 'zzz' has no binning \(binnings hold 'a', 'b', 'c'\) and is "
            r"not an input feature",
            ("model", "zzz", [0]),
        ),
        ("model.1.points", None, r"model\[1\] has no 'points' field", ("model", "b", [1])),
        (
            "model.1.coefficient",
            None,
            r"model\[1\] has no 'coefficient' field",
            ("model", "b", [1]),
        ),
        ("model.0.feature", None, r"model\[0\] has no 'feature' field", ("model", None, [0])),
        ("model.0", 3, r"model\[0\] must be an object, got int", ("model", None, [0])),
        ("binnings.2.name", None, r"binnings\[2\] has no 'name' field", ("binnings", None, [2])),
        ("binnings.2.woe", None, r"malformed feature binning: no 'woe' field", (None, "c", None)),
        ("model", None, r"no 'model' field at the top level", (None, None, None)),
        (
            "binnings",
            [],
            r"model\[0\] feature 'a' has no binning \(binnings hold none\)",
            ("model", "a", [0]),
        ),
        (
            "feature_names_in",
            ["a", "c"],
            r"model\[1\] feature 'b' is not an input feature",
            ("model", "b", [1]),
        ),
        (
            "selection.records.1.iv",
            None,
            r"selection\.records\[1\] \(feature 'b'\) has no 'iv'",
            ("selection.records", None, [1]),
        ),
    ],
)
def test_a_missing_or_dangling_field_is_named_with_where_it_belongs(
    card, path, value, message, where
) -> None:
    payload = _payload(card)
    assert [m["feature"] for m in payload["model"]] == ["a", "b", "c"]
    _edit(payload, path, value)
    with pytest.raises(ArtefactError, match=rf"malformed scorecard artefact: {message}") as info:
        _load(payload)
    assert (info.value.table, info.value.column, info.value.rows) == where


def test_a_repeated_model_feature_is_refused(card) -> None:
    payload = _payload(card)
    payload["model"].append(payload["model"][0])
    with pytest.raises(ArtefactError, match=r"model\[3\] repeats feature 'a'"):
        _load(payload)


@settings(max_examples=12, deadline=None)
@given(
    round_points=st.booleans(),
    higher_is_better=st.booleans(),
    base_score=st.floats(-500, 1500, allow_nan=False),
    base_odds=st.floats(0.5, 200),
    pdo=st.floats(1.0, 100),
    on_wrong_sign=st.sampled_from(["drop", "warn"]),
    seed=st.integers(0, 3),
)
def test_every_artefact_the_library_writes_loads_and_scores_identically(
    round_points, higher_is_better, base_score, base_odds, pdo, on_wrong_sign, seed
) -> None:
    X, y = _data(1500, seed)
    scale = ScoreScale(base_score, base_odds, pdo, higher_is_better)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        card = WoEScorecard(
            scale=scale,
            round_points=round_points,
            on_wrong_sign=on_wrong_sign,
            min_iv=0.0,
            random_state=seed,
        ).fit(X, y)
    text = card.to_json()
    again = WoEScorecard.from_json(text)
    assert again.to_json() == text
    assert np.array_equal(again.score(X), card.score(X))
