"""Reasons checked against the applicant's values (``ReasonCoder(check_values=True)``)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.protocol import Contributions
from thinfile_credit.reasons import ReasonCatalog, ReasonCoder, ReasonGroup, default_catalog
from thinfile_credit.scale import ScoreScale

#: (name, group, route of the group's missing values, favourable side; 0: neutral, in
#: a group whose text describes low values, "Few established connections")
FEATURES = (
    ("bill_late3_count_30d", "BIL01", "BIL04", -1),
    ("bill_ontime_share_30d", "BIL01", "BIL04", +1),
    ("cons_order_trend_90d", "CON05", "CON01", +1),
    ("soc_degree_social", "SOC02", None, 0),
    ("ten_account_age_days", "TEN01", None, +1),
    ("thin_bill_count", "THN02", None, +1),
)
NAMES = tuple(f[0] for f in FEATURES)
#: Features with a neutral value inside their range (FeatureDef.neutral)
NEUTRAL = {"cons_order_trend_90d": 0.0}
NAN_POINTS = -4.0


class WavyPoints:
    """A non-monotone scorer: ``10 sin(3x + j)`` points per feature, -4 where missing.

    Like a boosted model with interactions, it can charge points at any value, including
    the favourable end of a feature's range.
    """

    def __init__(self, names=NAMES, higher_is_better=True):
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.scale_ = ScoreScale(higher_is_better=higher_is_better)
        self.classes_ = np.array([0, 1])

    def contributions(self, X):
        names = tuple(str(n) for n in self.feature_names_in_)
        x = pd.DataFrame(X, columns=list(names)) if isinstance(X, np.ndarray) else X
        x = pl.from_pandas(x) if isinstance(x, pd.DataFrame) else x
        x = x.select(names).to_numpy().astype(float)
        j = np.arange(x.shape[1])
        with np.errstate(invalid="ignore"):
            points = np.where(np.isnan(x), NAN_POINTS, 10 * np.sin(3 * x + j))
        return Contributions(points, np.full(x.shape[0], 500.0), names)

    def score(self, X):
        return self.contributions(X).total()

    def predict_proba(self, X):
        p = self.scale_.pd_from_points(self.score(X))
        return np.column_stack([1 - p, p])


def best_scoring_value(x, points, sign, side):
    """The best-scoring distinct value (few distinct values here); ties go to the lowest
    for ``side > 0``, the highest for ``side < 0``."""
    rows = [(v, p) for v, p in zip(x, points) if not math.isnan(v)]
    need = max(1, math.ceil(0.01 * len(rows)))
    best, best_merit = math.nan, -math.inf
    for v in sorted({v for v, _ in rows}, reverse=side < 0):
        pts = [p for w, p in rows if w == v]
        merit = sign * sum(pts) / len(pts)
        if len(pts) >= need and merit > best_merit:
            best, best_merit = v, merit
    return best


def reference_loss(coder, model, X, X_ref):
    """Points lost per group, routed by value with plain loops (an independent spec)."""
    groups = list(coder.groups_)
    names = list(coder.feature_names_in_)
    sign = 1.0 if model.scale_.higher_is_better else -1.0
    c_ref = model.contributions(X_ref).values
    c = model.contributions(X).values
    group_of = [coder.feature_groups_[n] for n in names]
    if coder.method == "vs_population":
        base = c_ref.mean(axis=0)
    else:  # points_below_max from the reference's best group total
        base = np.zeros(len(names))
        for g in set(group_of):
            cols = [k for k, n in enumerate(names) if group_of[k] == g]
            totals = c_ref[:, cols].sum(axis=1)
            best = int(np.argmax(totals) if sign > 0 else np.argmin(totals))
            base[cols] = c_ref[best, cols]
    route = dict((f[1], f[2]) for f in FEATURES)
    side = {f[0]: f[3] for f in FEATURES}
    ref = X_ref[names]
    out = np.zeros((len(X), len(groups)))
    for i in range(len(X)):
        for k, name in enumerate(names):
            value = X[name].iloc[i]
            lost = sign * (base[k] - c[i, k])
            target = group_of[k]
            if pd.isna(value):
                target = route.get(target) or target
            else:
                s = side[name]
                finite = ref[name].dropna()
                end = NEUTRAL.get(name, finite.max() if s > 0 else finite.min())
                claim = default_catalog().group(group_of[k]).claim
                if claim == "none":  # "no bill payment history": false from one bill
                    positive = [v for v in ref[name].dropna() if v > 0]
                    s, end = 1, min(positive) if positive else 1.0
                elif claim is not None and (s == 0 or coder.method == "points_below_max"):
                    # a text comparing with others ("few links", "account too new"): false
                    # from the best-scoring value on; a neutral feature takes its side
                    s = s or (1 if claim == "low" else -1)
                    end = best_scoring_value(ref[name].to_numpy(), c_ref[:, k], sign, s)
                far = default_catalog().group(group_of[k]).beyond
                far_claim = None if far is None else default_catalog().group(far).claim
                if lost > 0 and s * value > s * end and far is not None:
                    # past the end: the beyond group's text holds where its claim
                    # describes that side ("high" above the end, "low" below it)
                    if far_claim is None or far_claim == ("high" if s > 0 else "low"):
                        out[i, groups.index(far)] += lost
                        continue
                if s > 0 and value >= end and lost > 0:
                    continue
                if s < 0 and value <= end and lost > 0:
                    continue
            out[i, groups.index(target)] += lost
    return out


def frame(rows):
    return pd.DataFrame(rows, columns=list(NAMES), dtype=float)


@st.composite
def samples(draw):
    n = draw(st.integers(2, 25))
    # few distinct values so applicants often sit exactly at the reference's ends
    values = draw(
        arrays(
            np.float64,
            (n, len(NAMES)),
            elements=st.sampled_from([0.0, 0.5, 1.0, 2.0, 7.0, math.nan]),
        )
    )
    return frame(values)


@settings(max_examples=60, deadline=None)
@given(
    X=samples(),
    method=st.sampled_from(["vs_population", "points_below_max"]),
    higher=st.booleans(),
)
def test_routed_losses_match_a_loop_reference(X, method, higher):
    model = WavyPoints(higher_is_better=higher)
    coder = ReasonCoder(method=method, min_points=0.0).fit(model, X)
    np.testing.assert_allclose(
        coder.points_lost(X), reference_loss(coder, model, X, X), atol=1e-9, rtol=0
    )
    # one applicant alone gets exactly its batch row, from a mapping or a frame
    batch = coder.explain(X)
    for i in range(len(X)):
        one = coder.explain_one(X.iloc[i].to_dict())
        rows = batch[batch["application_id"] == i]
        assert list(one.codes) == rows["code"].astype(str).tolist()
        assert [r.points_lost for r in one.reasons] == rows["points_lost"].tolist()
        assert coder.explain_one(X.iloc[[i]]) == one


def test_missing_values_are_worded_by_the_route():
    ref = frame([[0, 1.0, 1.0, 3, 400, 5], [2, 0.5, -0.5, 1, 100, 2], [1, 0.8, 0.2, 2, 50, 1]])
    coder = ReasonCoder(method="vs_population", language="en").fit(WavyPoints(), ref)
    assert coder.missing_routes_["BIL01"] == "BIL04"
    assert "BIL04" in coder.groups_  # a route target without features of its own
    assert "SOC02" not in coder.missing_routes_
    no_bills = frame([[math.nan, math.nan, 0.2, 2, 50, 0]])
    lost = dict(zip(coder.groups_, coder.points_lost(no_bills)[0]))
    assert lost["BIL01"] == 0.0  # nothing is said about late bills without bills
    c = WavyPoints().contributions(ref).values.mean(axis=0)
    assert lost["BIL04"] == pytest.approx((c[0] - NAN_POINTS) + (c[1] - NAN_POINTS))
    assert lost["THN02"] == pytest.approx(c[5] - 10 * math.sin(5))  # its own feature only
    unchecked = ReasonCoder(method="vs_population", check_values=False).fit(WavyPoints(), ref)
    plain = dict(zip(unchecked.groups_, unchecked.points_lost(no_bills)[0]))
    assert plain["BIL01"] == pytest.approx((c[0] - NAN_POINTS) + (c[1] - NAN_POINTS))
    assert unchecked.groups_ == tuple(sorted({f[1] for f in FEATURES}))
    assert unchecked.missing_routes_ == {}


def test_losses_at_the_favourable_end_are_not_stated_but_gains_are_kept():
    ref = frame([[0, 1.0, 1.0, 3, 400, 5], [2, 0.5, -0.5, 1, 100, 2], [1, 0.8, 0.2, 2, 50, 1]])
    coder = ReasonCoder(method="vs_population").fit(WavyPoints(), ref)
    assert coder.favourable_end_ == {
        "bill_late3_count_30d": 0.0,
        "bill_ontime_share_30d": 1.0,
        "cons_order_trend_90d": 0.0,  # its neutral value: below it, activity declined
        # a neutral feature in a group comparing with others ("few links"): where the
        # model scores best (10 sin(3x + 3)), on the side its text describes
        "soc_degree_social": 2.0,
        "ten_account_age_days": 400.0,  # known direction: the reference's end
        "thin_bill_count": 1.0,  # "no bill payment history" (claim "none"): from one bill
    }
    c = WavyPoints().contributions(ref).values.mean(axis=0)
    # a rising trend (+1, the end) that the model charges: "declining activity" is false
    rising = frame([[1, 0.8, 1.0, 2, 50, 1]])
    assert c[2] - 10 * math.sin(3 + 2) > 0  # the model does charge it
    lost = dict(zip(coder.groups_, coder.points_lost(rising)[0]))
    assert lost["CON05"] == 0.0
    # a value beyond the reference's end counts as the end too; a gain there stays
    beyond = frame([[1, 0.8, 2.0, 2, 50, 1]])
    gain = c[2] - 10 * math.sin(6 + 2)
    assert gain < 0
    assert coder.points_lost(beyond)[0][coder.groups_.index("CON05")] == pytest.approx(gain)


def test_directions_come_from_the_dictionary_first():
    ref = frame([[0, 1.0, 1.0, 3, 400, 5], [2, 0.5, -0.5, 1, 100, 2]])
    told = pd.DataFrame(
        {
            "name": ["cons_order_trend_90d", "bill_late3_count_30d"],
            "definition": ["trend", "late bills"],
            "unit": ["ratio", "count"],
            "direction": ["higher_is_riskier", "neutral"],
        }
    )
    coder = ReasonCoder(dictionary=told).fit(WavyPoints(), ref)
    # the dictionary's direction, the built-in neutral value (it has no such column)
    assert coder.favourable_end_["cons_order_trend_90d"] == 0.0
    assert "bill_late3_count_30d" not in coder.favourable_end_  # neutral, BIL01: no claim
    # a dictionary's own neutral column wins; an empty cell means the reference's end
    coder = ReasonCoder(dictionary=told.assign(neutral=[None, None])).fit(WavyPoints(), ref)
    assert coder.favourable_end_["cons_order_trend_90d"] == -0.5
    coder = ReasonCoder(dictionary=told.assign(neutral=[0.25, None])).fit(WavyPoints(), ref)
    assert coder.favourable_end_["cons_order_trend_90d"] == 0.25


def test_trend_losses_are_stated_only_when_activity_declined():
    ref = frame([[0, 1.0, 1.0, 3, 400, 5], [2, 0.5, -0.5, 1, 100, 2], [1, 0.8, 0.2, 2, 50, 1]])
    coder = ReasonCoder(method="vs_population", min_points=0.0).fit(WavyPoints(), ref)
    at = coder.groups_.index("CON05")
    c = WavyPoints().contributions(ref).values.mean(axis=0)
    for trend in (0.0, 0.25, 0.5):  # flat or rising: "declining activity" would be false
        lost = c[2] - 10 * math.sin(3 * trend + 2)
        got = coder.points_lost(frame([[1, 0.8, trend, 2, 50, 1]]))[0][at]
        assert got == (pytest.approx(lost) if lost < 0 else 0.0)
    falling = c[2] - 10 * math.sin(3 * -1.0 + 2)
    assert falling > 0
    got = coder.points_lost(frame([[1, 0.8, -1.0, 2, 50, 1]]))[0][at]
    assert got == pytest.approx(falling)


def test_contributions_alone_cannot_be_checked():
    ref = frame([[0, 1.0, 1.0, 3, 400, 5], [2, 0.5, -0.5, 1, 100, 2]])
    model = WavyPoints()
    coder = ReasonCoder().fit(model, ref)
    with pytest.raises(DataError, match="pass X") as err:
        coder.explain_contributions(model.contributions(ref))
    assert err.value.table == "X"
    checked = coder.explain_contributions(model.contributions(ref), X=ref)
    pd.testing.assert_frame_equal(checked, coder.explain(ref))
    with pytest.raises(DataError, match="X has 1 rows but the contributions 2"):
        coder.explain_contributions(model.contributions(ref), X=ref.iloc[:1])


def test_unknown_features_without_routes_keep_the_plain_sums():
    catalog = ReasonCatalog(
        groups=(
            ReasonGroup("A01", {"zh": "甲", "en": "a"}, {"zh": "甲", "en": "a"}, ("a",)),
            ReasonGroup("B01", {"zh": "乙", "en": "b"}, {"zh": "乙", "en": "b"}, ("b",)),
        )
    )
    model = WavyPoints(("a", "b"))
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [2.0, 1.0, 0.0]})
    coder = ReasonCoder(catalog=catalog, method="vs_population").fit(model, X)
    assert coder._routes is None
    assert coder.favourable_end_ == {}
    plain = model.contributions(X).values
    np.testing.assert_allclose(coder.points_lost(X), plain.mean(axis=0) - plain, atol=1e-12)
    coder.explain_contributions(model.contributions(X))  # no X needed: nothing to check


def test_route_validation_and_round_trip():
    a = ReasonGroup("A01", {"en": "a"}, {"en": "a"}, ("a*",), missing="B01")
    b = ReasonGroup("B01", {"en": "b"}, {"en": "b"}, ("b*",))
    catalog = ReasonCatalog(groups=(a, b), languages=("en",))
    assert catalog.missing_route("A01") == "B01"
    assert catalog.missing_route("B01") is None
    again = ReasonCatalog.from_json(catalog.to_json())
    assert again == catalog
    assert again.group("A01").missing == "B01"
    dangling = ReasonGroup("A01", {"en": "a"}, {"en": "a"}, ("a*",), missing="C01")
    with pytest.raises(SpecError, match="A01 -> C01"):
        ReasonCatalog(groups=(dangling,), languages=("en",))
    with pytest.raises(SpecError, match="another group"):
        ReasonGroup("A01", {"en": "a"}, {"en": "a"}, ("a*",), missing="A01")
    with pytest.raises(SpecError, match="is not a code"):
        ReasonGroup("A01", {"en": "a"}, {"en": "a"}, ("a*",), missing="lower")
    with pytest.raises(SpecError, match="unknown group key"):
        ReasonGroup.from_dict({**a.to_dict(), "route": "B01"})


def test_default_catalog_routes_every_record_group_to_a_no_record_reason():
    cat = default_catalog()
    routes = {g.code: g.missing for g in cat.groups if g.missing}
    assert {c for c in routes if c.startswith("BIL")} == {"BIL01", "BIL02", "BIL03"}
    # no recent bill is a limited record, not "no bill payment history": older bills
    # may exist
    assert all(routes[c] == "BIL04" for c in routes if c.startswith("BIL"))
    assert routes["LON02"] == "LON03"
    assert routes["CON05"] == "CON01"
    # texts a missing record leaves true keep their points: no loans is "limited record
    # of repaid loans", not "too little platform activity"
    assert not {"BIL04", "LON03", "CON01", "SOC02", "TEN01"} & set(routes)
    # no loan at all is a limited record, not "loans taken recently"
    assert routes["LON05"] == "LON03"
    assert cat.version == "4"


def test_gbm_reasons_no_longer_contradict_the_applicants_data():
    """A boosted model charges applicants with no bills through bill features; before the
    check those points read "late bill payments" and "declining shopping activity" for
    applicants without bills or with orders rising in every window."""
    pytest.importorskip("lightgbm")
    from thinfile_credit.features import FeatureBuilder
    from thinfile_credit.gbm import GBMScorer
    from thinfile_credit.synthetic import make_marketplace

    mk = make_marketplace(n_users=3000, seed=3)
    F = FeatureBuilder().build(mk.tables, mk.tables.applications)
    F = F if isinstance(F, pd.DataFrame) else F.to_pandas()
    truth = mk.truth if isinstance(mk.truth, pd.DataFrame) else mk.truth.to_pandas()
    df = F.merge(truth[["application_id", "bad"]], on="application_id")
    names = [
        c for c in F.columns if c.split("_")[0] in {"cons", "bill", "loan", "soc", "ten", "thin"}
    ]
    X, y = df[names].astype(float), df["bad"].astype(int).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GBMScorer(n_jobs=1, random_state=0).fit(X, y)
    no_bills = (X["thin_bill_count"] == 0).to_numpy()
    trends = [c for c in X.columns if "trend" in c]
    rising = (X[trends].fillna(0.0) >= 0.0).all(axis=1).to_numpy()  # no window declined

    many_bills = (X["thin_bill_count"] >= 7).to_numpy()

    def said(coder):
        out = coder.explain(X)
        code = out["code"].astype(str)
        apps = out["application_id"].to_numpy()
        late = np.isin(code, ["BIL01", "BIL02", "BIL03"])
        return (
            int(no_bills[apps[late]].sum()),
            int(rising[apps[code == "CON05"]].sum()),
            int(many_bills[apps[code == "BIL04"]].sum()),  # "limited bill payment record"
        )

    before = said(ReasonCoder(method="vs_population", check_values=False).fit(model, X))
    spec = default_catalog().to_dict()
    for group in spec["groups"]:
        group.pop("claim", None)
    unclaimed = ReasonCatalog.from_dict(spec)
    without_claims = said(ReasonCoder(catalog=unclaimed, method="vs_population").fit(model, X))
    after = said(ReasonCoder(method="vs_population").fit(model, X))
    assert before[0] > 20  # the defect this guards against is real on this data
    # the model charges some applicants for *many* bills (a neutral count): only the
    # group's claim keeps that from reading "limited bill payment record"
    assert without_claims[2] > 20
    assert after == (0, 0, 0)


class PeakedPoints(WavyPoints):
    """One neutral count the model scores best at 3: fewer *and* more cost points."""

    def contributions(self, X):
        x = np.asarray(pd.DataFrame(X)[["n"]], dtype=float)
        return Contributions(-((x - 3.0) ** 2), np.full(x.shape[0], 500.0), ("n",))


def _claim_catalog(claim):
    few = {"en": "Few bills"}
    return ReasonCatalog(
        groups=(ReasonGroup("A01", few, few, ("n",), claim=claim),), languages=("en",)
    )


@pytest.mark.parametrize("method", ["vs_population", "points_below_max"])
def test_a_neutral_feature_is_stated_only_on_the_side_its_group_describes(method):
    ref = pd.DataFrame({"n": [0.0, 1, 2, 3, 3, 4, 5, 6, 8, 12]})
    model = PeakedPoints(("n",))
    X = pd.DataFrame({"n": [0.0, 1.0, 3.0, 5.0, 12.0, 40.0]})

    def told(direction):
        return pd.DataFrame(
            {"name": ["n"], "definition": ["bills"], "unit": ["count"], "direction": [direction]}
        )

    def coder(claim, direction="neutral"):
        return ReasonCoder(
            catalog=_claim_catalog(claim),
            method=method,
            min_points=0.0,
            language="en",
            dictionary=None if direction is None else told(direction),
        ).fit(model, ref)

    plain = coder(None)
    assert plain.favourable_end_ == {}  # neutral, no claim: every loss is stated
    lost = plain.points_lost(X)[:, 0]
    low = coder("low")
    assert low.favourable_end_ == {"n": 3.0}  # the value the model scores best
    # "few bills" is true below 3 and false from 3 up, where the model also charges
    want = np.where(X["n"] < 3.0, lost, np.minimum(lost, 0.0))
    np.testing.assert_allclose(low.points_lost(X)[:, 0], want, atol=1e-12)
    assert lost[4] > 0  # the model charges 12 bills ...
    assert low.points_lost(X)[4, 0] == 0.0  # ... but they are not "few"
    high = coder("high")
    want = np.where(X["n"] > 3.0, lost, np.minimum(lost, 0.0))
    np.testing.assert_allclose(high.points_lost(X)[:, 0], want, atol=1e-12)
    # a feature of unknown direction may measure the inverse of the text's quantity
    # (days since the last order under "little activity"): left alone
    unknown = coder("low", direction=None)
    assert unknown.favourable_end_ == {}
    np.testing.assert_allclose(unknown.points_lost(X)[:, 0], lost, atol=1e-12)
    # a feature of known direction takes its side from it; its end is the model's best
    # value only where losses are measured from the best (points_below_max), else the
    # reference's most favourable value
    directed = coder("high", direction="higher_is_safer")
    if method == "points_below_max":
        assert directed.favourable_end_ == {"n": 3.0}
        np.testing.assert_allclose(directed.points_lost(X), low.points_lost(X), atol=1e-12)
    else:
        assert directed.favourable_end_ == {"n": 12.0}
        want = np.where(X["n"] < 12.0, lost, np.minimum(lost, 0.0))
        np.testing.assert_allclose(directed.points_lost(X)[:, 0], want, atol=1e-12)


def test_best_scoring_value_groups_rare_and_continuous_values():
    from thinfile_credit.reasons._values import best_scoring_value

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, 5000)
    points = -np.abs(x - 30.0)  # best at 30: quantile bins of about 5 either side tie
    assert 20.0 <= best_scoring_value(x, points, 1.0, 1) <= 30.0  # the lower bin's start
    assert 30.0 <= best_scoring_value(x, points, 1.0, -1) <= 40.0  # the upper bin's end
    # fewer points are better on a PD-like scale: the bin farthest from 30 wins
    assert best_scoring_value(x, points, -1.0, 1) >= 90.0
    # one scorecard bin spanning several values: means equal up to float noise tie,
    # and the tie goes to the value that makes the text false soonest
    x = np.repeat([0.0, 1.0, 2.0, 3.0], 50)
    points = np.repeat([0.1, 0.1 + 0.2, 0.3, 0.3], 50)  # 0.30000000000000004 vs 0.3
    assert best_scoring_value(x, points, 1.0, 1) == 1.0
    assert best_scoring_value(x, points, 1.0, -1) == 3.0
    # a value held by fewer than 1 % of the rows never decides
    x = np.r_[np.zeros(200), 1.0]
    assert best_scoring_value(x, np.r_[np.zeros(200), 50.0], 1.0, 1) == 0.0
    assert math.isnan(best_scoring_value(np.array([math.nan]), np.zeros(1), 1.0, 1))


def test_claim_validation_and_round_trip():
    group = ReasonGroup("A01", {"en": "a"}, {"en": "a"}, ("a*",), claim="low")
    assert ReasonGroup.from_dict(group.to_dict()) == group
    assert group.to_dict()["claim"] == "low"
    assert "claim" not in ReasonGroup("A01", {"en": "a"}, {"en": "a"}, ("a*",)).to_dict()
    with pytest.raises(SpecError, match=r"A01: claim='few' is not one of 'low', 'high', 'none'"):
        ReasonGroup("A01", {"en": "a"}, {"en": "a"}, ("a*",), claim="few")
    cat = default_catalog()
    claims = {g.code: g.claim for g in cat.groups if g.claim}
    assert claims == {
        **dict.fromkeys(
            ("BIL04", "LON03", "LON05", "CON01", "CON02", "SOC02", "TEN01", "THN01", "THN03"),
            "low",
        ),
        **dict.fromkeys(("LON04", "CON03", "CON04", "CON06", "SOC03", "TEN02"), "high"),
        "THN02": "none",
        # the far sides (beyond routes): many bills, a long time since the last loan,
        # rising orders, large orders or high spending
        **dict.fromkeys(("BIL04_HIGH", "LON05_HIGH", "CON05_HIGH", "CON02_HIGH"), "high"),
    }
    # texts stating a fact have none: one late bill makes "late bill payments" true
    assert not {"BIL01", "BIL02", "BIL03", "LON01", "LON02", "SOC01"} & set(claims)
    # recent loans are loan stacking, not a "limited record of repaid loans"
    assert cat.group_of("loan_count_30d") == "LON05"
    assert cat.group_of("loan_days_since_last_loan") == "LON05"
    assert cat.group_of("loan_count_ever") == "LON03"
    assert cat.group_of("loan_repaid_count") == "LON03"


def test_a_reason_lists_the_features_that_make_it_up():
    ref = frame([[0, 1.0, 1.0, 3, 400, 5], [2, 0.5, -0.5, 1, 100, 2], [1, 0.8, 0.2, 2, 50, 1]])
    coder = ReasonCoder(method="vs_population", min_points=0.0).fit(WavyPoints(), ref)
    e = coder.explain_one(frame([[math.nan, math.nan, 1.0, 2, 50, 0]]).iloc[0].to_dict())
    by_code = {r.code: r.features for r in e.reasons}
    # both bill features are missing: they speak through BIL04 (no feature of its own)
    assert by_code["BIL04"] == ("bill_late3_count_30d", "bill_ontime_share_30d")
    assert by_code["THN02"] == ("thin_bill_count",)
    assert "BIL01" not in by_code
    unchecked = ReasonCoder(method="vs_population", check_values=False).fit(WavyPoints(), ref)
    plain = unchecked.explain_one(frame([[math.nan, math.nan, 1.0, 2, 50, 0]]).iloc[0].to_dict())
    assert {r.code: r.features for r in plain.reasons}["BIL01"] == (
        "bill_late3_count_30d",
        "bill_ontime_share_30d",
    )


def test_value_flags_agree_across_input_kinds():
    import pyarrow as pa
    from _reason_models import LATE_SHARE_KIND, late_share_kind_spec

    from thinfile_credit.reasons._values import value_flags

    names = LATE_SHARE_KIND
    spec = late_share_kind_spec()
    numeric = pd.DataFrame({"late": [0, 2, None], "share": [1.0, np.nan, 1.5], "kind": [1.0] * 3})
    want_missing = [[False, False, False], [False, True, False], [True, False, False]]
    want_end = [[True, True, False], [False, False, False], [False, True, False]]
    for X in (
        numeric,
        pl.from_pandas(numeric),
        pa.Table.from_pandas(numeric),
        numeric.to_numpy(),
        numeric.astype({"late": "Int64"}),
    ):
        missing, at_end = value_flags(X, names, names, spec)
        assert missing.tolist() == want_missing
        assert at_end.tolist() == want_end
    # a text column goes column by column: missing where null, never at an end
    mixed = pl.DataFrame(
        {"late": [0, 2, None], "share": [1.0, None, 1.5], "kind": ["a", None, "b"]}
    )
    missing, at_end = value_flags(mixed, names, names, spec)
    assert missing.tolist() == [[False, False, False], [False, True, True], [True, False, False]]
    assert at_end.tolist() == want_end
    for i in range(3):
        one_missing, one_end = value_flags(mixed.row(i, named=True), names, names, spec)
        assert one_missing[0].tolist() == missing[i].tolist()
        assert one_end[0].tolist() == at_end[i].tolist()


def test_decimal_and_noisy_values_read_as_the_scorers_read_them():
    from decimal import Decimal

    # the reference's largest share is 1.0 computed the long way round
    ref = frame([[0, 1.0000000000000002, 1.0, 3, 400, 5], [2, 0.5, -0.5, 1, 100, 2]])
    coder = ReasonCoder(method="vs_population", min_points=0.0).fit(WavyPoints(), ref)
    X = frame([[2, 1.0, 0.2, 2, 50, 1], [math.nan, 0.5, 0.2, 2, 50, 1]])
    batch = coder.points_lost(X)
    # a share of exactly 1.0 is at the favourable end (within float noise)
    c = WavyPoints().contributions(ref).values.mean(axis=0)
    assert c[1] - 10 * math.sin(3 + 1) > 0  # the model charges it ...
    at_one = batch[0][coder.groups_.index("BIL01")]
    assert at_one == pytest.approx(c[0] - 10 * math.sin(6))  # ... but BIL01 does not say so
    for i in range(2):
        row = {
            k: (Decimal(str(v)) if not math.isnan(v) else Decimal("NaN"))
            for k, v in X.iloc[i].items()
        }
        floats = coder.explain_one(X.iloc[i].to_dict())
        assert coder.explain_one(row) == floats


def test_frames_with_integer_labels_and_large_batches():
    ref = frame([[0, 1.0, 1.0, 3, 400, 5], [2, 0.5, -0.5, 1, 100, 2], [1, 0.8, 0.2, 2, 50, 1]])
    model = WavyPoints(higher_is_better=False)
    coder = ReasonCoder(method="points_below_max").fit(model, ref)
    rng = np.random.default_rng(0)
    big = frame(rng.choice([0.0, 0.5, 1.0, 2.0, math.nan], size=(9000, len(NAMES))))
    whole = coder.points_lost(big)  # built a block of rows at a time
    parts = np.vstack([coder.points_lost(big.iloc[i : i + 1000]) for i in range(0, 9000, 1000)])
    assert np.array_equal(whole, parts)
    # a positional array behaves like the named frame
    assert np.array_equal(coder.points_lost(big.to_numpy()), whole)


def test_hints_move_only_the_features_a_reason_states():
    from thinfile_credit.reasons._demo import tiny_scorecard

    model, X = tiny_scorecard()
    coder = ReasonCoder(language="en", hints=True, min_points=0.0).fit(model, X)
    gaps = X.astype(float)
    gaps.iloc[:, 0] = np.nan  # a missing value routes its points elsewhere
    hinted = 0
    for i in range(len(gaps)):
        for r in coder.explain_one(gaps.iloc[i].to_dict()).reasons:
            if r.hint is not None:
                hinted += 1
                assert r.hint.feature in r.features
                assert coder.feature_groups_[r.hint.feature] == r.code
                assert r.hint.feature != gaps.columns[0]
    assert hinted > 0


class PositionalPoints(WavyPoints):
    """Reads its input by position, whatever the column labels."""

    def contributions(self, X):
        names = tuple(str(n) for n in self.feature_names_in_)
        x = np.asarray(X, dtype=float)
        return Contributions(np.nan_to_num(x, nan=NAN_POINTS), np.full(len(x), 500.0), names)


def test_frames_labelled_by_integers():
    catalog = ReasonCatalog(
        groups=(
            ReasonGroup("A01", {"en": "a"}, {"en": "a"}, ("0",), missing="B01"),
            ReasonGroup("B01", {"en": "b"}, {"en": "b"}, ("1",)),
        ),
        languages=("en",),
    )
    model = PositionalPoints(("0", "1"))
    X = pd.DataFrame([[1.0, 2.0], [np.nan, 0.0], [3.0, 1.0]])  # columns 0 and 1
    coder = ReasonCoder(catalog=catalog, language="en", method="vs_population").fit(model, X)
    lost = coder.points_lost(X)
    assert lost.tolist() == coder.points_lost(X.to_numpy()).tolist()
    assert lost[1, 0] == 0.0  # A01's missing value speaks through B01


def test_edge_values_of_the_check():
    # a reference column entirely missing has no end: an infinite value is not "at" it
    class Clipped(PositionalPoints):
        """Charges more the larger the value, within 5 points (infinities included)."""

        def contributions(self, X):
            names = tuple(str(n) for n in self.feature_names_in_)
            x = np.asarray(X, dtype=float)
            points = np.where(np.isnan(x), NAN_POINTS, np.clip(-x, -5.0, 5.0))
            return Contributions(points, np.full(len(x), 500.0), names)

    ref = frame([[0, 1.0, 1.0, 3, math.nan, 5], [2, 0.5, -0.5, 1, math.nan, 2]])
    coder = ReasonCoder(method="vs_population", min_points=0.0).fit(Clipped(), ref)
    assert "ten_account_age_days" not in coder.favourable_end_
    X = frame([[1, 0.8, 0.2, 2, math.inf, 1], [1, 0.8, 0.2, 2, 20.0, 1]])
    at = coder.groups_.index("TEN01")
    lost = coder.points_lost(X)[:, at]
    assert lost[0] == lost[1] != 0.0  # +inf is stated like any value without an end
    # a repeated feature label is refused, naming the column
    from thinfile_credit.reasons._values import value_flags

    twice = pd.concat([X, X[["bill_late3_count_30d"]]], axis=1)
    with pytest.raises(DataError, match="bill_late3_count_30d"):
        value_flags(twice, NAMES, NAMES, coder._routes)


@pytest.mark.parametrize("bad", ["0", True, math.inf])
def test_neutral_cells_must_be_finite_numbers(bad):
    ref = frame([[0, 1.0, 1.0, 3, 400, 5], [2, 0.5, -0.5, 1, 100, 2]])
    told = pd.DataFrame(
        {"name": ["cons_order_trend_90d"], "direction": ["higher_is_safer"], "neutral": [bad]}
    )
    with pytest.raises(DataError, match="cons_order_trend_90d") as info:
        ReasonCoder(dictionary=told).fit(WavyPoints(), ref)
    assert info.value.column == "neutral"
    from thinfile_credit.features._expr import agg, col
    from thinfile_credit.features.spec import FeatureDef

    with pytest.raises(SpecError, match="neutral must be a finite number"):
        FeatureDef(
            "x",
            "consumption",
            None,
            "x",
            "ratio",
            "neutral",
            agg("count", "orders", col("amount")),
            neutral=bad,
        )


def test_non_finite_model_maxima_never_leak_into_routed_groups():
    class Maxima(WavyPoints):
        def points_below_max(self, X):
            pbm = np.abs(self.contributions(X).values) + 1.0
            if len(pbm) == 3:  # the applicants, not the reference sample
                pbm[0, 0] = math.inf  # bill_late3_count_30d, present for row 0
            return pbm

    ref = frame([[1, 1.0, 1.0, 3, 400, 5], [2, 0.5, -0.5, 1, 100, 2]])
    coder = ReasonCoder(min_points=0.0).fit(Maxima(), ref)
    assert coder._pbm_per_row
    applicants = frame([[1, 1.0, 1.0, 3, 400, 5], [2, 0.5, -0.5, 1, 100, 2], [2, 0.5, 0, 1, 1, 1]])
    lost = dict(zip(coder.groups_, coder.points_lost(applicants)[0]))
    assert lost["BIL04"] == 0.0  # nothing routed there for row 0


def test_no_bill_history_is_said_only_without_bills():
    """THN02 "No bill payment history" (claim "none") is false from the first bill on,
    whatever the model charges for a small count."""
    ref = frame([[0, 1.0, 1.0, 3, 400, 5], [2, 0.5, -0.5, 1, 100, 2], [1, 0.8, 0.2, 2, 50, 0]])
    coder = ReasonCoder(method="vs_population", min_points=0.0).fit(WavyPoints(), ref)
    assert coder.favourable_end_["thin_bill_count"] == 2.0  # the smallest positive count
    at = coder.groups_.index("THN02")
    c = WavyPoints().contributions(ref).values.mean(axis=0)
    for bills in (1.0, 2.0, 3.0, 9.0):
        lost = c[5] - 10 * math.sin(3 * bills + 5)
        got = coder.points_lost(frame([[1, 0.8, 0.2, 2, 50, bills]]))[0][at]
        assert got == (pytest.approx(lost) if lost < 0 or bills < 2 else 0.0)
    charged = [b for b in (1.0, 2.0, 3.0, 9.0) if c[5] - 10 * math.sin(3 * b + 5) > 0]
    assert charged  # the model does charge some counts; none of them from 2 on is stated
    zero = c[5] - 10 * math.sin(5)
    assert coder.points_lost(frame([[1, 0.8, 0.2, 2, 50, 0.0]]))[0][at] == pytest.approx(zero)
