"""ReasonCoder behaviour, baselines, validation and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from _reason_models import IdentityPoints, LogisticPoints, credit_frame
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from thinfile_credit.errors import DataError, ModelError, NotFittedError, SpecError
from thinfile_credit.reasons import (
    ProtectedFeatureError,
    ReasonCatalog,
    ReasonCoder,
    ReasonMappingError,
    default_catalog,
)
from thinfile_credit.reasons._demo import tiny_scorecard

# A fixed points table and its maxima, by hand:
#   bill_overdue_count_now   (-inf,0]=60  (0,1]=25  (1,inf)=5        max 60
#   bill_max_days_late_365d  (-inf,0]=55  (0,5]=45  (5,30]=30 (30,inf)=10  max 55
#   cons_order_count_90d     (-inf,2]=20  (2,10]=35 (10,inf)=45      max 45
#   ten_account_age_days     (-inf,90]=15 (90,365]=30 (365,inf)=40   max 40
HAND = {
    # row 2: overdue 1 -> 25 (lose 35), late 40 -> 10 (lose 45), orders 1 -> 20 (lose 25),
    #        age 30 -> 15 (lose 25): BIL01 45, BIL02 35, then CON01 = TEN01 = 25 (tie: code)
    2: [("BIL01", 45.0), ("BIL02", 35.0), ("CON01", 25.0), ("TEN01", 25.0)],
    # row 3: overdue 0 (0), late 3 -> 45 (lose 10), orders 8 -> 35 (10), age 200 -> 30 (10)
    3: [("BIL01", 10.0), ("CON01", 10.0), ("TEN01", 10.0)],
    1: [],
}


def test_clone_and_params():
    coder = ReasonCoder(max_reasons=3, language="en")
    assert clone(coder).get_params() == coder.get_params()
    with pytest.raises(InvalidParameterError):
        ReasonCoder(max_reasons=0).fit(*tiny_scorecard())
    with pytest.raises(InvalidParameterError):
        ReasonCoder(method="shapley").fit(*tiny_scorecard())


@pytest.mark.parametrize("row", sorted(HAND))
def test_points_below_max_equals_hand_computation(row):
    model, X = tiny_scorecard()
    coder = ReasonCoder(language="en", min_points=0.5).fit(model, X)
    assert coder.best_source_ == "model"
    e = coder.explain_one(X.iloc[row].to_dict(), application_id=f"A{row}")
    assert [(r.code, r.points_lost) for r in e.reasons] == HAND[row]
    assert e.score == pytest.approx(float(model.score(X.iloc[[row]])[0]))
    assert e.application_id == f"A{row}"


def test_batch_frame_matches_explain_one():
    model, X = tiny_scorecard()
    coder = ReasonCoder(language="zh", also_considered=True, max_reasons=2).fit(model, X)
    out = coder.explain(X, ids=[f"A{i}" for i in range(len(X))])
    assert list(out.columns) == [
        "application_id",
        "rank",
        "code",
        "text",
        "points_lost",
        "also_considered",
    ]
    for i in range(len(X)):
        e = coder.explain_one(X.iloc[i].to_dict())
        rows = out[out["application_id"] == f"A{i}"]
        main = rows[~rows["also_considered"]]
        assert list(main["code"].astype(str)) == list(e.codes)
        assert list(main["text"].astype(str)) == [r.text for r in e.reasons]
        extra = rows[rows["also_considered"]]
        if e.also_considered is None:
            assert extra.empty
        else:
            assert extra["rank"].tolist() == [3]
            assert str(extra["code"].iloc[0]) == e.also_considered.code
    # row 2 has four adverse groups: two reasons + one "also considered"
    assert out[out["application_id"] == "A2"]["code"].astype(str).tolist() == [
        "BIL01",
        "BIL02",
        "CON01",
    ]
    assert out[out["application_id"] == "A2"]["text"].astype(str).iloc[0] == "账单有逾期支付记录"


def test_min_points_and_max_reasons():
    model, X = tiny_scorecard()
    coder = ReasonCoder(min_points=26.0).fit(model, X)
    assert coder.explain_one(X.iloc[2].to_dict()).codes == ("BIL01", "BIL02")
    coder = ReasonCoder(max_reasons=1).fit(model, X)
    out = coder.explain(X)
    assert out.groupby("application_id").size().max() == 1


def test_output_follows_input_kind(logistic_model, credit_data):
    X, _ = credit_data
    coder = ReasonCoder(method="vs_population").fit(logistic_model, X)
    assert isinstance(coder.explain(X.head(5)), pd.DataFrame)
    assert isinstance(coder.explain(pl.from_pandas(X.head(5))), pl.DataFrame)
    assert isinstance(coder.explain(pa.Table.from_pandas(X.head(5))), pa.Table)
    pdf = coder.explain(X.head(5))
    plf = coder.explain(pl.from_pandas(X.head(5))).to_pandas()
    assert pdf["points_lost"].tolist() == plf["points_lost"].tolist()
    contrib = logistic_model.contributions(X.head(5))
    via = coder.explain_contributions(contrib, X=X.head(5), output="polars")
    assert via.to_pandas()["points_lost"].tolist() == pdf["points_lost"].tolist()


def test_vs_population_is_contribution_minus_mean(logistic_model, credit_data):
    X, _ = credit_data
    # the plain group sums (the value check moves or drops some losses: test_reason_values)
    coder = ReasonCoder(method="vs_population", check_values=False).fit(logistic_model, X)
    c = logistic_model.contributions(X).values
    np.testing.assert_allclose(coder.baseline_points_, c.mean(axis=0))
    lost = coder.points_lost(X.head(20))
    g = coder.group_contributions(X.head(20))
    mean_g = (c @ coder._membership).mean(axis=0)
    np.testing.assert_allclose(lost, mean_g - g, atol=1e-9)
    # every group pools its features: BIL01 holds the on-time share and the days late
    assert coder._group_features["BIL01"] == ("bill_ontime_share_180d", "bill_max_days_late_365d")


def test_vs_cutoff_uses_applicants_near_the_cutoff(logistic_model, credit_data):
    X, _ = credit_data
    scores = logistic_model.score(X)
    cutoff = float(np.median(scores))
    coder = ReasonCoder(method="vs_cutoff", cutoff=cutoff, cutoff_band=5.0).fit(logistic_model, X)
    near = np.abs(scores - cutoff) <= 5.0
    assert coder.n_cutoff_rows_ == near.sum() >= 30
    c = logistic_model.contributions(X).values
    np.testing.assert_allclose(coder.baseline_points_, c[near].mean(axis=0))
    # a band holding too few applicants widens to the nearest min_cutoff_rows
    narrow = ReasonCoder(method="vs_cutoff", cutoff=cutoff, cutoff_band=1e-6, min_cutoff_rows=40)
    assert narrow.fit(logistic_model, X).n_cutoff_rows_ == 40
    with pytest.raises(SpecError, match="needs a cutoff"):
        ReasonCoder(method="vs_cutoff").fit(logistic_model, X)


def test_reference_fingerprint_and_points_below_max_fallback(logistic_model, credit_data):
    X, _ = credit_data
    a = ReasonCoder().fit(logistic_model, X)
    b = ReasonCoder().fit(logistic_model, X.copy())
    assert a.reference_fingerprint_ == b.reference_fingerprint_
    assert a.n_reference_ == len(X)
    X2 = X.copy()
    X2.iloc[3, 2] += 1
    assert ReasonCoder().fit(logistic_model, X2).reference_fingerprint_ != a.reference_fingerprint_
    # no points_below_max on the model: the best contribution in the reference sample
    assert a.best_source_ == "reference"
    c = logistic_model.contributions(X).values
    np.testing.assert_allclose(a.group_baseline_points_, (c @ a._membership).max(axis=0))
    assert (a.points_lost(X) >= -1e-9).all()
    assert np.isclose(a.points_lost(X).min(axis=0), 0.0).all()


def test_lower_is_better_scale_flips_direction():
    model = IdentityPoints(("bill_overdue_count_now", "cons_order_count_90d"), False)
    X = np.array([[10.0, -3.0], [0.0, 0.0], [-5.0, 2.0]])
    coder = ReasonCoder(method="vs_population", min_points=0.1, language="en").fit(model, X)
    e = coder.explain_one(np.array([10.0, -3.0]))
    # higher points are worse: +8.33 on overdue bills is adverse, -2.67 on orders is not
    assert e.codes == ("BIL02",)
    assert e.reasons[0].points_lost == pytest.approx(10.0 - 5.0 / 3.0)


def test_unmapped_and_ambiguous_features_fail_fit():
    model = IdentityPoints(("bill_overdue_count_now", "mystery_feature", "other_one"))
    with pytest.raises(ReasonMappingError) as err:
        ReasonCoder().fit(model, np.zeros((3, 3)))
    assert err.value.unmapped == ("mystery_feature", "other_one")
    assert "mystery_feature, other_one" in str(err.value)
    assert str(err.value).startswith("model.feature_names_in_:")
    cat = default_catalog().with_groups(
        [
            ReasonCatalog.from_dict(default_catalog().to_dict()).group("BIL01"),
        ]
    )
    from thinfile_credit.reasons import ReasonGroup

    clash = cat.with_groups(
        [ReasonGroup("ZZZ01", {"zh": "z", "en": "z"}, {"zh": "z", "en": "z"}, patterns=("bill_*",))]
    )
    with pytest.raises(ReasonMappingError) as err:
        ReasonCoder(catalog=clash).fit(
            IdentityPoints(("bill_overdue_count_now",)), np.zeros((2, 1))
        )
    assert err.value.ambiguous == {"bill_overdue_count_now": ("BIL02", "ZZZ01")}


def test_protected_features_refused_unless_fairness_analysis():
    names = ("bill_overdue_count_now", "gender", "cons_order_count_90d")
    model = IdentityPoints(names)
    X = np.array([[0.0, -50.0, 0.0], [10.0, 0.0, 5.0], [-10.0, 50.0, -5.0]])
    with pytest.raises(ProtectedFeatureError, match="gender"):
        ReasonCoder().fit(model, X)
    coder = ReasonCoder(fairness_analysis=True, method="vs_population").fit(model, X)
    assert coder.protected_features_ == ("gender",)
    out = coder.explain(X)
    assert set(out["code"].astype(str)) <= {"BIL02", "CON01"}  # never the protected column
    assert "gender" not in sum((coder._group_features[c] for c in coder.groups_), ())


def test_bad_inputs():
    model, X = tiny_scorecard()
    with pytest.raises(NotFittedError):
        ReasonCoder().explain(X)
    with pytest.raises(ModelError, match="does not implement the scorer protocol"):
        ReasonCoder().fit(object(), X)
    with pytest.raises(SpecError, match="language 'fr'"):
        ReasonCoder(language="fr").fit(model, X)
    with pytest.raises(DataError, match="empty"):
        ReasonCoder().fit(model, X.iloc[:0])
    coder = ReasonCoder().fit(model, X)
    with pytest.raises(DataError, match=r"applications\.ids: 2 ids for 6 applicants"):
        coder.explain(X, ids=["a", "b"])
    with pytest.raises(
        DataError,
        match=r"applicant\.bill_max_days_late_365d, cons_order_count_90d, ten_account_age_days:",
    ):
        coder.explain_one({"bill_overdue_count_now": 1})
    with pytest.raises(DataError, match="needs 4 values"):
        coder.explain_one([1.0, 2.0])
    with pytest.raises(SpecError, match="language 'fr'"):
        coder.explain(X, language="fr")
    with pytest.raises(SpecError, match="output must be"):
        coder.explain_contributions(model.contributions(X), output="csv")
    other = IdentityPoints(("a",))
    with pytest.raises(ModelError, match=r"contributions\.feature_names"):
        coder.explain_contributions(other.contributions(np.zeros((1, 1))))
    with pytest.raises(DataError, match="exactly one applicant"):
        coder.explain_one(model.contributions(X))


def test_contributions_must_add_up_to_the_score():
    class Broken(IdentityPoints):
        def score(self, X, y=None):
            s = super().score(X)
            s[1] += 1.0
            return s

    with pytest.raises(ModelError, match=r"X_reference: contributions do not add up .*rows: 1"):
        ReasonCoder().fit(Broken(("bill_overdue_count_now",)), np.zeros((3, 1)))


def test_non_finite_contributions_name_rows():
    model = IdentityPoints(("bill_overdue_count_now",))
    coder = ReasonCoder(method="vs_population").fit(model, np.zeros((3, 1)))
    with pytest.raises(DataError, match=r"X: non-finite contributions \(rows: 1\)"):
        coder.explain(np.array([[0.0], [np.nan]]))


def test_structured_object_serialises(logistic_model, credit_data):
    import json

    X, _ = credit_data
    coder = ReasonCoder(method="vs_population", also_considered=True).fit(logistic_model, X)
    worst = int(np.argmin(logistic_model.score(X)))
    e = coder.explain_one(X.iloc[worst].to_dict(), application_id=np.int64(7))
    d = json.loads(json.dumps(e.to_dict(), ensure_ascii=False))
    assert d["application_id"] == 7
    assert d["language"] == "zh"
    assert d["method"] == "vs_population"
    assert [r["rank"] for r in d["reasons"]] == list(range(1, len(d["reasons"]) + 1))
    assert all(r["points_lost"] > 0 for r in d["reasons"])


def test_explain_one_accepts_row_kinds(logistic_model, credit_data):
    X, _ = credit_data
    coder = ReasonCoder(method="vs_population").fit(logistic_model, X)
    row = X.iloc[11]
    a = coder.explain_one(row.to_dict())
    b = coder.explain_one(row.to_numpy())
    c = coder.explain_one(X.iloc[[11]])
    assert a == b == c
    # contributions alone do not say which values are missing or favourable
    with pytest.raises(DataError, match=r"explain_contributions\(contributions, X=features\)"):
        coder.explain_one(logistic_model.contributions(X.iloc[[11]]))
    unchecked = ReasonCoder(method="vs_population", check_values=False).fit(logistic_model, X)
    d = unchecked.explain_one(logistic_model.contributions(X.iloc[[11]]))
    assert d == unchecked.explain_one(row.to_dict()) == unchecked.explain_one(X.iloc[[11]])


def test_planted_factor_on_logistic_points():
    """Applicants whose risk comes from one planted factor get that reason first."""
    X, y = credit_frame(3000, seed=1)
    model = LogisticPoints().fit(X, y)
    coder = ReasonCoder(method="vs_population").fit(model, X)
    overdue = X["bill_overdue_count_now"] >= 3
    first = coder.explain(X[overdue]).query("rank == 1")["code"].astype(str)
    assert (first == "BIL02").mean() >= 0.8


def test_refit_replaces_every_learned_piece():
    model, X = tiny_scorecard()
    coder = ReasonCoder(language="en").fit(model, X)
    before = coder.explain(pl.from_pandas(X))
    narrow = IdentityPoints(("bill_overdue_count_now",))
    # identity points run against the feature's direction: the plain group sums
    coder.set_params(method="vs_population", check_values=False).fit(
        narrow, np.array([[0.0], [-9.0], [3.0]])
    )
    out = coder.explain(pl.DataFrame({"x": [-9.0]}).to_numpy())
    assert coder.groups_ == ("BIL02",)
    assert out["code"].astype(str).tolist() == ["BIL02"]
    assert coder.explain(np.array([[-9.0]]), language="en")["text"].astype(str).tolist() == [
        "Bills currently overdue"
    ]
    assert before.height > 0
    polars_out = coder.explain_contributions(
        narrow.contributions(np.array([[-9.0]])), output="polars"
    )
    assert polars_out["code"].to_list() == ["BIL02"]


def test_points_table_on_a_lower_is_better_scale_measures_from_its_safest_bin():
    from thinfile_credit.reasons._demo import PointsTable
    from thinfile_credit.scale import ScoreScale

    model, X = tiny_scorecard()
    # The same table with every point negated on a lower-is-better scale: the safest bin
    # now has the fewest points, and each shortfall is the same distance as before.
    flipped = {k: (edges, tuple(-p for p in points)) for k, (edges, points) in model.table.items()}
    lower = PointsTable(flipped, intercept=-400.0, scale=ScoreScale(higher_is_better=False))
    lost = lower.points_below_max(X)
    assert (lost >= 0).all()
    np.testing.assert_allclose(lost, model.points_below_max(X))


def test_explain_contributions_refuses_x_of_other_applicants():
    model, X = tiny_scorecard()
    coder = ReasonCoder().fit(model, X)
    contrib = model.contributions(X.iloc[:3])
    with pytest.raises(DataError, match="X has 6 rows but the contributions 3") as err:
        coder.explain_contributions(contrib, X=X)
    assert err.value.table == "X"
    coder.explain_contributions(contrib, X=X.iloc[:3])  # same applicants: fine


@pytest.mark.parametrize(
    "name",
    ["Gender", "AGE", "Age", "Marital_Status", "personal_status_sex", "age_band", "customer_age"],
)
def test_protected_attributes_are_recognised_whatever_their_case(name):
    assert default_catalog().is_protected(name)


@pytest.mark.parametrize("name", ["ten_account_age_days", "cons_order_count_90d", "sexton_score"])
def test_ordinary_features_are_not_protected(name):
    assert not default_catalog().is_protected(name)


def test_chinese_and_english_long_texts_of_thn02_say_the_same():
    text = default_catalog().text("THN02", "zh", long=True)
    assert "按时" not in text  # "no record of paying on time" would suggest late payment
