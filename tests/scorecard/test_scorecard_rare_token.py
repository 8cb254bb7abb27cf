"""The token of pooled rare categories (``FeatureBinning.RARE``) never meets real data.

Python scoring (``score``, ``contributions``, ``score_one``, ``contributions_one``) and
every SQL dialect place a category spelled ``"__rare__"`` alike: as a category of its
own when the feature pools no rare categories, as an unseen (Unknown) category when it
does (a fit with ``cat_cutoff`` refuses a real category of that text).

``data/rare_token_head.json`` was written by the library before the token was reserved
(git df42884), with this script (run with that release on the path)::

    r = np.random.default_rng(11)
    n = 4000
    literal = r.choice(["__rare__", "app", "web"], n, p=[0.4, 0.3, 0.3])
    pooled = r.choice(["app", "web", "shop", "x1", "x2"], n, p=[0.45, 0.3, 0.21, 0.02, 0.02])
    z = -2 + 1.5 * (literal == "app") + 1.0 * np.isin(pooled, ["x1", "x2"]) - 0.8 * (
        pooled == "web")
    y = (r.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    X = pd.DataFrame({"literal": pd.Series(literal, dtype=object),
                      "pooled": pd.Series(pooled, dtype=object)})
    binner = WoEBinner(feature_params={"pooled": {"cat_cutoff": 0.05}})
    card = WoEScorecard(min_iv=0.0, max_corr=None, binner=binner).fit(X, y)
    rows = {"literal": ["__rare__", "app", "web", "__rare__", "never-seen", None],
            "pooled": ["x1", "x2", "app", "shop", "web", None]}
    # stored: card.to_json() as "artefact", rows, card.score(pd.DataFrame(rows)) as "scores"
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from thinfile_credit.binning import FeatureBinning, WoEBinner
from thinfile_credit.scorecard import WoEScorecard, feature_case_sql

FIXTURE = Path(__file__).parent / "data" / "rare_token_head.json"
DIALECTS = ["ansi", "postgresql", "duckdb"]


def _sql_scores(card: WoEScorecard, rows: dict[str, list[Any]], dialect: str) -> list[float]:
    con = duckdb.connect()
    con.register("t", pa.table(rows))
    return con.execute(card.to_sql(dialect, table="t")).df()["score"].tolist()


def _assert_everywhere_alike(card: WoEScorecard, rows: dict[str, list[Any]]) -> np.ndarray:
    """Every Python path and every SQL dialect give each row the same points."""
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in rows.items()})
    scores = card.score(frame)
    np.testing.assert_allclose(card.contributions(frame).total(), scores, atol=1e-9)
    for i, applicant in enumerate(frame.to_dict("records")):
        assert card.score_one(applicant) == pytest.approx(scores[i], abs=1e-9)
        assert card.baseline_points_ + sum(card.contributions_one(applicant).values()) == (
            pytest.approx(scores[i], abs=1e-9)
        )
    for dialect in DIALECTS:
        np.testing.assert_allclose(_sql_scores(card, rows, dialect), scores, atol=1e-9)
    # ANSI text in a second engine
    con = sqlite3.connect(":memory:")
    names = list(rows)
    columns = ", ".join('"' + c + '" TEXT' for c in names)
    con.execute(f"CREATE TABLE t (i INTEGER, {columns})")
    con.executemany(
        f"INSERT INTO t VALUES ({', '.join('?' * (len(names) + 1))})",
        [(i, *vals) for i, vals in enumerate(zip(*rows.values()))],
    )
    got = [r[-1] for r in con.execute(card.to_sql("ansi", table="t") + " ORDER BY i")]
    np.testing.assert_allclose(got, scores, atol=1e-9)
    return scores


def _fit(values: np.ndarray, y: np.ndarray, **binner: Any) -> WoEScorecard:
    X = pd.DataFrame({"cat": pd.Series(values, dtype=object)})
    return WoEScorecard(min_iv=0.0, binner=WoEBinner(**binner)).fit(X, y)


def test_a_real_category_spelled_as_the_token_scores_in_its_bin_everywhere() -> None:
    rng = np.random.default_rng(0)
    cat = rng.choice(["__rare__", "app", "web"], 3000, p=[0.4, 0.3, 0.3])
    y = (rng.random(3000) < np.where(cat == "__rare__", 0.02, 0.25)).astype(int)
    card = _fit(cat, y)  # no cat_cutoff: "__rare__" is an ordinary category
    fb = card.binner_.binnings_["cat"]
    assert fb.category_bin("__rare__") != fb.unknown_bin
    scores = _assert_everywhere_alike(card, {"cat": ["__rare__", "app", "web", "unseen", None]})
    assert scores[0] != scores[3]  # not the Unknown bin (SQL used to drop it there)


def test_an_applicant_spelled_as_the_token_is_unseen_when_rare_categories_are_pooled() -> None:
    rng = np.random.default_rng(0)
    cat = rng.choice(["app", "web", "shop", "x1", "x2"], 3000, p=[0.45, 0.3, 0.21, 0.02, 0.02])
    y = (rng.random(3000) < np.where(cat == "app", 0.02, 0.3)).astype(int)
    card = _fit(cat, y, cat_cutoff=0.05)
    fb = card.binner_.binnings_["cat"]
    assert fb.rare_categories == ("x1", "x2")
    assert fb.rare_bin is not None
    rows = {"cat": ["__rare__", "x1", "x2", "never-seen", "app", None]}
    scores = _assert_everywhere_alike(card, rows)
    assert scores[0] == scores[3] != scores[1] == scores[2]  # the token is no category


def test_hand_built_binnings_place_categories_alike_in_python_and_sql() -> None:
    # "x1" is both rare and listed in a group (the group wins, in SQL too); a binning
    # without rare categories holds "__rare__" as an ordinary category
    pooled = FeatureBinning.from_counts(
        "cat",
        "categorical",
        groups=[["a", "x1"], ["b", FeatureBinning.RARE]],
        rare_categories=["x1", "x2"],
        n_nonevent=[50, 40, 0, 0],
        n_event=[5, 20, 0, 0],
    )
    plain = FeatureBinning.from_counts(
        "cat",
        "categorical",
        groups=[["a"], ["b", FeatureBinning.RARE]],
        n_nonevent=[50, 40, 0, 0],
        n_event=[5, 20, 0, 0],
    )
    values = ["a", "b", "x1", "x2", FeatureBinning.RARE, "zzz", None]
    points = [10.0, 20.0, -1.0, -99.0]
    con = duckdb.connect()
    con.register("t", pa.table({"cat": values}))
    for fb, expected in ((pooled, [0, 1, 0, 1, 3, 3, 2]), (plain, [0, 1, 3, 3, 1, 3, 2])):
        assert fb.bin_index(np.array(values, dtype=object)).tolist() == expected
        for dialect in DIALECTS:
            case = feature_case_sql(fb, points, dialect)
            got = con.execute(f"SELECT {case} AS p FROM t").df()["p"].tolist()
            assert got == [points[b] for b in expected], dialect
    assert pooled.bin_categories() == [["a", "x1"], ["b", "x2"]]
    assert plain.bin_categories() == [["a"], ["__rare__", "b"]]


def test_an_artefact_written_before_the_token_was_reserved_scores_as_before() -> None:
    stored = json.loads(FIXTURE.read_text())
    card = WoEScorecard.from_json(json.dumps(stored["artefact"]))
    assert card.binner_.binnings_["literal"].rare_categories == ()
    assert card.binner_.binnings_["pooled"].rare_categories == ("x1", "x2")
    # Python scores exactly as the library that wrote it; SQL, which used to give the
    # real "__rare__" category the Unknown bin's points, now agrees
    scores = _assert_everywhere_alike(card, stored["rows"])
    assert scores.tolist() == stored["scores"]
    # the one deliberate change: an applicant spelled as the token of a pooling feature
    # is unseen (it used to get the rare bin in Python, Unknown in SQL)
    one = {"literal": "app", "pooled": "__rare__"}
    unseen = {"literal": "app", "pooled": "never-seen"}
    assert card.score_one(one) == card.score_one(unseen)
    _assert_everywhere_alike(card, {"literal": ["app", "app"], "pooled": ["__rare__", "x1"]})
