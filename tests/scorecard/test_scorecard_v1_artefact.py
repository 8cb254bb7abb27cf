"""Version-1 scorecard artefacts: migrated on load, they score as the earlier library did.

``data/v1_scorecard.json`` was written once by the library as it was before the category
text rule (artefact version 1), with this script (run with that release on the path)::

    def frame(n, seed):
        r = np.random.default_rng(seed)
        region = r.choice([1.0, 2.0, 3.0, -1.0], n, p=[0.35, 0.3, 0.3, 0.05])
        grade = r.choice([1.0, 2.0, 2.5], n)
        owner = r.random(n) < 0.4
        channel = r.choice(["app", "web", "3.0"], n)  # text, one of it number-like
        x = r.normal(size=n)
        z = (-2 + x + 0.9 * (region == 3.0) + 1.2 * (region == -1.0) - 0.6 * (grade == 1.0)
             + 0.5 * owner + 0.4 * (channel == "web"))
        y = (r.random(n) < 1 / (1 + np.exp(-z))).astype(int)
        return pd.DataFrame({
            "x": x,
            "region": pd.Series(region, dtype=object),   # stored as "1.0", code "-1.0"
            "grade": pd.Categorical(grade),               # stored as "1.0", "2.5"
            "owner": pd.Series(owner, dtype=object),      # stored as "True"/"False"
            "channel": pd.Series(channel, dtype=object),  # text, verbatim
        }), y

    X, y = frame(6000, 0)
    binner = WoEBinner(feature_params={"region": {"special_codes": [-1.0]}})
    card = WoEScorecard(min_iv=0.0, max_corr=None, binner=binner).fit(X, y)
    Xs, _ = frame(60, 1)   # + a missing region, owner and grade in rows 0, 1, 2
    # stored: card.to_json(), Xs column by column, card.score(Xs)
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from thinfile_credit.errors import ArtefactError
from thinfile_credit.scorecard import VERSION, ScorecardWarning, WoEScorecard
from thinfile_credit.scorecard._json import migrate_v1_binning

FIXTURE = Path(__file__).parent / "data" / "v1_scorecard.json"


def _fixture() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text())
    return data


def _old_rows(rows: dict[str, list[Any]]) -> pd.DataFrame:
    """The scoring rows in the containers the version-1 model was fitted on."""
    return pd.DataFrame(
        {
            "x": rows["x"],
            "region": pd.Series(rows["region"], dtype=object),
            "grade": pd.Categorical(rows["grade"]),
            "owner": pd.Series(rows["owner"], dtype=object),
            "channel": pd.Series(rows["channel"], dtype=object),
        }
    )


def _load(card: dict[str, Any]) -> WoEScorecard:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScorecardWarning)  # this artefact migrates cleanly
        return WoEScorecard.from_json(json.dumps(card))


def test_v1_artefact_scores_the_old_models_data_exactly_as_the_old_library() -> None:
    fixture = _fixture()
    assert fixture["card"]["version"] == 1
    card = _load(fixture["card"])
    X = _old_rows(fixture["rows"])
    expected = np.asarray(fixture["old_scores"])
    assert np.array_equal(card.score(X), expected)
    one = [card.score_one({c: X[c].iloc[i] for c in X.columns}) for i in range(len(X))]
    assert np.array_equal(np.asarray(one), expected)
    # the same values in today's other containers land in the same bins too
    as_numbers = X.assign(
        region=X["region"].astype(float),
        grade=X["grade"].astype(float),
        owner=X["owner"].astype("boolean"),
    )
    assert np.array_equal(card.score(as_numbers), expected)


def test_v1_artefact_is_migrated_and_written_back_as_the_current_version() -> None:
    card = _load(_fixture()["card"])
    region = card.binner_.binnings_["region"]
    assert region.special_codes == ("-1",)
    assert region.groups == (("1.0", "1"), ("2.0", "2"), ("3.0", "3"))
    assert card.binner_.binnings_["owner"].groups == (("False", "0"), ("True", "1"))
    assert card.binner_.binnings_["grade"].groups == (("1.0", "1"), ("2.0", "2"), ("2.5",))
    channel = card.binner_.binnings_["channel"]
    assert channel.groups == (("app",), ("3.0", "3"), ("web",))
    # text stays text: the string "3.0" and "app" score as they did
    assert channel.category_bin("3.0") == channel.category_bin("3") == 1
    text = card.to_json()
    assert json.loads(text)["version"] == VERSION == 2
    again = WoEScorecard.from_json(text)
    assert again.to_json() == text
    X = _old_rows(_fixture()["rows"])
    assert np.array_equal(again.score(X), card.score(X))


def test_reviewers_v1_artefact_scores_whole_floats_in_object_columns_as_before() -> None:
    # a v1 card fitted on pandas object columns of whole floats: without the migration
    # every region fell in the Unknown bin
    card = _load(_fixture()["card"])
    fb = card.binner_.binnings_["region"]
    values = np.array([1.0, 2.0, 3.0, -1.0, "3.0", None], dtype=object)
    assert fb.unknown_bin not in fb.bin_index(values).tolist()


def test_migration_keeps_text_and_unchanged_numbers_as_they_are() -> None:
    old = {
        "name": "c",
        "kind": "categorical",
        "groups": [["app", "03", "3.00", "2.5", "7"], ["inf", "nan", "1e+20", "-0.0"]],
        "rare_categories": [],
        "special_codes": ["N/A"],
    }
    new = migrate_v1_binning(old)
    assert new["groups"][0] == ["app", "03", "3.00", "2.5", "7"]
    assert new["groups"][1] == ["inf", "nan", "1e+20", "-0.0", "100000000000000000000", "0"]
    assert new["special_codes"] == ["N/A"]
    numeric = {"name": "x", "kind": "numeric", "special_codes": [-1.0], "groups": []}
    assert migrate_v1_binning(numeric) is numeric


def test_migration_aliases_rare_categories_and_rewrites_special_codes() -> None:
    old = {
        "name": "c",
        "kind": "categorical",
        "groups": [["a", "__rare__"], ["b"]],
        "rare_categories": ["4.0", "True"],
        "special_codes": ["-1.0", "-9"],
    }
    new = migrate_v1_binning(old)
    assert new["groups"] == [["a", "__rare__"], ["b"]]
    assert new["rare_categories"] == ["4.0", "True", "4", "1"]
    assert new["special_codes"] == ["-1", "-9"]


def test_ambiguous_migrations_are_skipped_with_a_warning() -> None:
    old = {
        "name": "c",
        "kind": "categorical",
        "groups": [["3"], ["3.0", "1.0"], ["True"]],
        "rare_categories": [],
        "special_codes": [],
    }
    with pytest.warns(ScorecardWarning, match=r"c: version-1 categories left as stored") as rec:
        new = migrate_v1_binning(old)
    message = str(rec[0].message)
    assert "'3.0' -> '3' (already a category of another bin)" in message
    assert "'1.0' and 'True' -> '1' (different bins)" in message
    assert new["groups"] == [["3"], ["3.0", "1.0"], ["True"]]
    # the same text in the same bin is no conflict
    same = {**old, "groups": [["3", "3.0"], ["1.0", "True"]]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert migrate_v1_binning(same)["groups"] == [["3", "3.0"], ["1.0", "True", "1"]]


def test_v1_integer_categories_beyond_2_53_warn_that_they_may_be_rounded() -> None:
    old = {
        "name": "id",
        "kind": "categorical",
        "groups": [["110101199001011232", "7"]],
        "rare_categories": [],
        "special_codes": [],
    }
    with pytest.warns(ScorecardWarning, match=r"id: version-1 categories beyond 2\*\*53"):
        migrate_v1_binning(old)


def test_unknown_versions_are_still_rejected() -> None:
    card = _fixture()["card"]
    for version in (0, 3, True, "1"):
        with pytest.raises(ArtefactError, match=f"version {version!r}; this library reads 1, 2"):
            WoEScorecard.from_json(json.dumps({**card, "version": version}))
