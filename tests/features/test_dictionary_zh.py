"""Chinese definitions in the data dictionary, and the Chinese reason hints they name."""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd
import polars as pl
import pytest

from thinfile_credit.features import (
    FeatureBuilder,
    FeatureDef,
    SocialFeatures,
    TenureFeatures,
    ThinFileFeatures,
    describe,
)
from thinfile_credit.features._expr import agg, col
from thinfile_credit.features.dictionary import DICTIONARY_COLUMNS

CJK = re.compile(r"[\u4e00-\u9fff]")
#: An ASCII snake_case identifier (a column name such as ``paid_at``).
SNAKE = re.compile(r"[A-Za-z0-9]*_[A-Za-z0-9_]*")

DEFAULT = FeatureBuilder().features()


def _plain_chinese(text: str) -> bool:
    return bool(CJK.search(text)) and not SNAKE.search(text)


@pytest.mark.parametrize("feature", DEFAULT, ids=lambda f: f.name)
def test_every_default_feature_has_a_plain_chinese_definition(feature: FeatureDef) -> None:
    zh = feature.definition_zh
    assert zh, feature.name
    assert zh.strip() == zh, feature.name
    assert CJK.search(zh), (feature.name, zh)
    assert not SNAKE.search(zh), (feature.name, zh)
    assert feature.name not in zh
    # a noun phrase: hint templates embed it ("使{label}降到1"), so no final full stop
    assert not zh.endswith(("。", ".", "；", "，")), (feature.name, zh)
    assert zh.count("（") == zh.count("）"), (feature.name, zh)


def test_chinese_definitions_keep_the_window() -> None:
    # "最近N天", not "近N天": the generic hint template "将{label}从..." would read
    # "将近90天..." ("nearly 90 days")
    for f in DEFAULT:
        if f.window is not None:
            assert f"最近{f.window}天" in f.definition_zh, (f.name, f.definition_zh)
        else:
            assert not re.search(r"近\d+天", f.definition_zh), (f.name, f.definition_zh)


def test_chinese_definitions_are_unique_where_english_ones_are() -> None:
    english = Counter(f.definition for f in DEFAULT)
    chinese = Counter(f.definition_zh for f in DEFAULT)
    clashes = [
        (f.name, f.definition_zh)
        for f in DEFAULT
        if english[f.definition] == 1 and chinese[f.definition_zh] > 1
    ]
    assert not clashes
    # features sharing an English definition share the Chinese one too
    by_english: dict[str, set[str]] = {}
    for f in DEFAULT:
        by_english.setdefault(f.definition, set()).add(f.definition_zh)
    assert all(len(v) == 1 for v in by_english.values())


def test_options_reach_the_chinese_definitions() -> None:
    social = {f.name: f.definition_zh for f in SocialFeatures(default_dpd=60).features()}
    assert "逾期60天" in social["soc_default_neighbour_count"]
    thin = ThinFileFeatures(min_history_days=90, min_events=5).features()[-1]
    assert "90天" in thin.definition_zh
    assert "5笔" in thin.definition_zh
    # user-defined kinds are shown as given, never as a snake_case identifier
    custom = SocialFeatures(kinds=("family_member",)).features()[0]
    assert _plain_chinese(custom.definition_zh)
    assert "family member" in custom.definition_zh
    changes = TenureFeatures(windows=(7,), change_kinds=("bank_card",)).features()[-1]
    assert changes.definition_zh.startswith("最近7天")
    assert _plain_chinese(changes.definition_zh)
    assert "bank card" in changes.definition_zh


def test_definition_zh_is_optional_and_positional_calls_still_work() -> None:
    e = agg("count", "orders", col("amount"))
    f = FeatureDef("cons_x", "consumption", None, "x", "count", "neutral", e, "never")
    assert (f.when_undefined, f.definition_zh) == ("never", "")
    d = describe([f], kind="polars")
    assert d["definition_zh"].to_list() == [""]


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_describe_has_the_chinese_column(kind: str) -> None:
    fb = FeatureBuilder()
    d = fb.describe(kind=kind)
    assert isinstance(d, pd.DataFrame if kind == "pandas" else pl.DataFrame)
    assert list(d.columns) == list(DICTIONARY_COLUMNS)
    assert list(d.columns).index("definition_zh") == list(d.columns).index("definition") + 1
    values = list(d["definition_zh"])
    assert values == [f.definition_zh for f in fb.features()]
    assert all(isinstance(v, str) and _plain_chinese(v) for v in values)


def test_describe_polars_dtype_is_string() -> None:
    d = FeatureBuilder().describe(kind="polars")
    assert d.schema["definition_zh"] == pl.String


# --- end to end: the dictionary names features in Chinese reason hints -----------------
@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_chinese_hints_use_the_dictionary_definitions(kind: str) -> None:
    from thinfile_credit.reasons import ReasonCoder
    from thinfile_credit.reasons._demo import tiny_scorecard

    fb = FeatureBuilder()
    zh = {f.name: f.definition_zh for f in fb.features()}
    model, X = tiny_scorecard()
    names = [str(n) for n in X.columns]
    assert set(names) <= set(zh)  # the demo scorecard uses built-in features
    coder = ReasonCoder(hints=True, dictionary=fb.describe(kind=kind)).fit(model, X)

    e = coder.explain_one(X.iloc[0].to_dict())
    first = e.reasons[0].hint
    assert first.feature == "bill_overdue_count_now"
    assert first.text == f"结清逾期账单，使{zh['bill_overdue_count_now']}降到1（约加20分）"

    hinted = []
    for i in range(len(X)):
        for r in coder.explain_one(X.iloc[i].to_dict()).reasons:
            if r.hint is None:
                continue
            hinted.append(r.hint.feature)
            text = r.hint.text
            assert zh[r.hint.feature] in text, text
            assert "相关指标" not in text  # no fallback to the reason group
            assert "将近" not in text
            assert not SNAKE.search(text), text
            assert not [n for n in names if n in text], text
    assert len(set(hinted)) >= 2
    # the batch frame carries the same texts
    batch = coder.explain(X)["hint"].dropna().tolist()
    assert batch
    assert all(any(zh[n] in h for n in names) for h in batch)
    assert not [h for h in batch if SNAKE.search(h)]
