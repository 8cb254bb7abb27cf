"""Improvement hints: next better step, protected/immutable/time-bound rules, phrasing."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from _reason_models import IdentityPoints, credit_frame

from thinfile_credit.errors import DataError
from thinfile_credit.reasons import ReasonCoder, format_value
from thinfile_credit.reasons._demo import PointsTable, tiny_scorecard


def test_hint_is_next_better_bin_with_points_recovered():
    model, X = tiny_scorecard()
    coder = ReasonCoder(language="en", hints=True).fit(model, X)
    e = coder.explain_one(X.iloc[2].to_dict())
    hints = {r.code: r.hint for r in e.reasons}
    # late 40 days -> 12 (bin (5,30]: 10 -> 30 points); overdue 1 -> 0 (25 -> 60)
    assert (hints["BIL01"].target, hints["BIL01"].points) == (12.0, 20.0)
    assert (hints["BIL02"].target, hints["BIL02"].points, hints["BIL02"].direction) == (
        0.0,
        35.0,
        "decrease",
    )
    # account age is time-bound: only forward, phrased as waiting time
    assert hints["TEN01"].direction == "time"
    assert hints["TEN01"].target > 30
    assert hints["TEN01"].text.startswith("In about")


def test_hints_in_batch_frame_and_chinese():
    model, X = tiny_scorecard()
    coder = ReasonCoder(hints=True).fit(model, X)
    out = coder.explain(X)
    assert "hint" in out.columns
    first = out[(out["application_id"] == 0) & (out["rank"] == 1)]["hint"].iloc[0]
    assert first == "结清逾期账单，使「目前有逾期未付的账单」相关指标降到1（约加20分）"
    e = coder.explain_one(X.iloc[0].to_dict())
    assert e.reasons[0].hint.text == first


def test_chinese_hints_never_show_column_names():
    model, X = tiny_scorecard()
    coder = ReasonCoder(hints=True).fit(model, X)
    hints = coder.explain(X)["hint"].dropna().tolist()
    assert hints
    names = [str(n) for n in coder.feature_names_in_]
    assert not [h for h in hints if re.search(r"[a-z]+_[a-z0-9_]+", h)]
    assert not [h for h in hints for n in names if n in h]
    # each hint names the feature by its reason group, in Chinese
    for i in range(len(X)):
        for r in coder.explain_one(X.iloc[i].to_dict()).reasons:
            if r.hint is not None:
                assert f"「{r.text}」相关指标" in r.hint.text


def test_dictionary_labels_name_the_feature_in_each_language():
    model, X = tiny_scorecard()
    dictionary = {
        "bill_overdue_count_now": {
            "definition": "Bills overdue at the application.",
            "label_zh": "当前逾期账单数",
            "unit": "count",
        }
    }
    coder = ReasonCoder(hints=True, dictionary=dictionary).fit(model, X)
    e = coder.explain_one(X.iloc[0].to_dict())
    assert e.reasons[0].hint.text == "结清逾期账单，使当前逾期账单数降到1（约加20分）"
    e = coder.explain_one(X.iloc[0].to_dict(), language="en")
    assert e.reasons[0].hint.text == (
        "Settle overdue bills to bring bills overdue at the application down to 1 (+20 points)"
    )
    as_frame = pd.DataFrame(
        {"name": ["bill_overdue_count_now"], "definition_zh": ["申请时逾期账单笔数"]}
    )
    coder = ReasonCoder(hints=True, dictionary=as_frame).fit(model, X)
    assert (
        "使申请时逾期账单笔数降到1" in coder.explain_one(X.iloc[0].to_dict()).reasons[0].hint.text
    )


def test_no_hint_on_protected_or_immutable_features():
    names = ("bill_overdue_count_now", "gender", "loan_max_dpd_ever")
    model = IdentityPoints(names)
    X = np.array([[0.0, 0.0, 0.0], [-10.0, -10.0, -10.0], [5.0, 5.0, 5.0]])
    # identity points contradict the features' directions (fewer overdue bills score
    # lower), so check_values would rightly leave these losses unstated
    coder = ReasonCoder(
        method="vs_population", hints=True, fairness_analysis=True, check_values=False
    ).fit(model, X)
    e = coder.explain_one(np.array([-10.0, -10.0, -10.0]))
    by_code = {r.code: r for r in e.reasons}
    assert set(by_code) == {"BIL02", "LON02"}  # never the protected feature
    assert by_code["LON02"].hint is None  # max DPD ever cannot be undone
    assert by_code["BIL02"].hint.feature == "bill_overdue_count_now"


def test_gbm_hints_walk_the_grid_and_rescore(credit_data):
    X, y = credit_data
    gbm = pytest.importorskip("thinfile_credit.gbm")
    model = gbm.GBMScorer(
        n_estimators=40,
        learning_rate=0.1,
        early_stopping=False,
        calibration=None,
        monotone="auto",
        random_state=0,
        n_jobs=1,
    ).fit(X, y)
    coder = ReasonCoder(method="vs_population", hints=True, language="en").fit(model, X)
    worst = int(np.argmin(model.score(X)))
    e = coder.explain_one(X.iloc[worst].to_dict())
    assert e.reasons
    for r in e.reasons:
        if r.hint is None:
            continue
        changed = X.iloc[[worst]].copy()
        changed[r.hint.feature] = r.hint.target
        gain = float(model.score(changed)[0] - model.score(X.iloc[[worst]])[0])
        assert r.hint.points == pytest.approx(gain)
        assert gain >= coder.min_points


def test_hints_need_features():
    model, X = tiny_scorecard()
    coder = ReasonCoder(hints=True).fit(model, X)
    with pytest.raises(DataError, match="pass X"):
        coder.explain_contributions(model.contributions(X))
    coder.set_params(check_values=False).fit(model, X)
    with pytest.raises(DataError, match="hints need"):
        coder.explain_contributions(model.contributions(X))
    with pytest.raises(DataError, match="hints need"):
        coder.explain_one(model.contributions(X.iloc[[0]]))


def test_dictionary_labels_and_units():
    model, X = tiny_scorecard()
    dictionary = pd.DataFrame(
        {
            "name": ["bill_overdue_count_now"],
            "definition": ["bills overdue now"],
            "unit": ["count"],
        }
    )
    coder = ReasonCoder(hints=True, language="en", dictionary=dictionary).fit(model, X)
    hint = coder.explain_one(X.iloc[0].to_dict()).reasons[0].hint
    assert hint.text == "Settle overdue bills to bring bills overdue now down to 1 (+20 points)"
    with pytest.raises(DataError, match="dictionary"):
        ReasonCoder(dictionary=pd.DataFrame({"x": [1]})).fit(model, X)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((0.755, "share", "en"), "76%"),
        ((0.2, "ratio", "zh"), "20%"),
        ((0.15, "share", "en", False), "15%"),
        ((1234.5, "yuan", "zh"), "1,234元"),
        ((1234.5, "yuan", "en"), "CNY 1,234"),
        ((3.0, "count", "en", True), "3"),
        ((45.0, "days", "zh", True), "45天"),
        ((1.0, "flag", "en", True), "yes"),
        ((0.0, "flag", "zh", True), "否"),
        ((float("nan"), "count", "en"), "missing"),
    ],
)
def test_format_value(args, expected):
    assert format_value(*args) == expected


def test_share_delta_is_percentage_points():
    assert format_value(0.15, "share", "en", delta=True) == "15 percentage points"


def test_points_table_demo_is_protocol_conforming():
    from thinfile_credit.protocol import Scorer

    model, X = tiny_scorecard()
    assert isinstance(model, Scorer)
    assert isinstance(model, PointsTable)
    np.testing.assert_allclose(model.contributions(X).total(), model.score(X))
    _ = credit_frame
