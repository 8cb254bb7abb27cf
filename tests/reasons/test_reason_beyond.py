"""Beyond routes (``ReasonGroup.beyond``): losses on the far side of a group's text are
worded by a group whose text holds there, never by a false one, and cost nothing when a
catalog has none."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from thinfile_credit.errors import SpecError
from thinfile_credit.protocol import Contributions
from thinfile_credit.reasons import ReasonCatalog, ReasonCoder, ReasonGroup, default_catalog
from thinfile_credit.scale import ScoreScale

DATA = Path(__file__).resolve().parent / "data"


def _group(code, text, features=(), **kw):
    return ReasonGroup(code, {"en": text}, {"en": text}, tuple(features), **kw)


class Wavy:
    """``10 sin(3x + j)`` points per feature (-4 where missing): charges any value, on
    either side of any end, as a boosted model with interactions can."""

    def __init__(self, names, higher_is_better=True):
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.scale_ = ScoreScale(higher_is_better=higher_is_better)
        self.classes_ = np.array([0, 1])

    def contributions(self, X):
        names = tuple(str(n) for n in self.feature_names_in_)
        x = pd.DataFrame(X)[list(names)].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            points = np.where(np.isnan(x), -4.0, 10 * np.sin(3 * x + np.arange(len(names))))
        return Contributions(points, np.full(x.shape[0], 500.0), names)

    def score(self, X):
        return self.contributions(X).total()

    def predict_proba(self, X):
        p = self.scale_.pd_from_points(self.score(X))
        return np.column_stack([1 - p, p])


#: name, direction, neutral value, group
FEATURES = (
    ("bills", "neutral", None, "FEW"),  # "few bills": far side "many bills"
    ("trend", "higher_is_safer", 0.0, "DEC"),  # "declining": far side "rising"
    ("late", "higher_is_riskier", None, "LATE"),  # factual, no route: left unstated
    ("balance", "higher_is_riskier", None, "HIGH"),  # "high balance": far side "low"
    ("debt", "higher_is_riskier", None, "HI2"),  # its target's claim is "high": no route
)
NAMES = tuple(f[0] for f in FEATURES)


def beyond_catalog():
    return ReasonCatalog(
        groups=(
            _group("FEW", "Few bills", ("bills",), claim="low", beyond="MANY"),
            _group("MANY", "Many bills", claim="high"),
            _group("DEC", "Declining activity", ("trend",), beyond="RISE"),
            _group("RISE", "Rising activity", claim="high"),
            _group("LATE", "Late payments", ("late",)),
            _group("HIGH", "High balance", ("balance",), claim="high", beyond="LOW"),
            _group("LOW", "Low balance", claim="low"),
            # a far side below the end, which a "high" text does not describe
            _group("HI2", "High debt", ("debt",), claim="high", beyond="HI3"),
            _group("HI3", "Very high debt", claim="high"),
        ),
        languages=("en",),
    )


DICTIONARY = pd.DataFrame(
    {
        "name": list(NAMES),
        "definition": list(NAMES),
        "unit": ["count"] * len(NAMES),
        "direction": [f[1] for f in FEATURES],
        "neutral": [f[2] for f in FEATURES],
    }
)


@st.composite
def applicants(draw):
    n = draw(st.integers(2, 30))
    values = draw(
        arrays(
            np.float64,
            (n, len(NAMES)),
            elements=st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 7.0, math.nan]),
        )
    )
    return pd.DataFrame(values, columns=list(NAMES))


def _coder(X, method, higher, catalog=None, **kw):
    return ReasonCoder(
        catalog=catalog or beyond_catalog(),
        method=method,
        min_points=0.0,
        language="en",
        dictionary=DICTIONARY,
        **kw,
    ).fit(Wavy(NAMES, higher), X)


@settings(max_examples=80, deadline=None)
@given(
    X=applicants(),
    method=st.sampled_from(["vs_population", "points_below_max", "vs_cutoff"]),
    higher=st.booleans(),
)
def test_a_loss_is_never_stated_on_a_side_its_text_is_false(X, method, higher):
    cutoff = {"cutoff": 500.0, "min_cutoff_rows": 2} if method == "vs_cutoff" else {}
    coder = _coder(X, method, higher, **cutoff)
    assert set(coder.beyond_routes_) <= {"FEW", "DEC", "HIGH"}
    assert "HI3" not in coder.groups_  # "very high debt" never states low debt
    loss = coder._loss(coder.model_.contributions(X), X)
    through = coder._through(loss, np.arange(len(X)))
    lost = coder._sign * (coder._routes.feature_baseline - coder.model_.contributions(X).values)
    groups = np.array([*coder.groups_, "-"])
    ends = coder.favourable_end_
    for j, name in enumerate(NAMES):
        value, stated = X[name].to_numpy(), groups[through[:, j]]
        adverse = lost[:, j] > 0
        present = ~np.isnan(value)
        if name in ends:
            end = ends[name]
            # "few" / "declining" / "high" hold on one side of the end, "many" / "rising" /
            # "low" strictly on the other; at the end itself no text holds
            side = {"bills": 1, "trend": 1, "late": -1, "balance": -1, "debt": -1}[name]
            own = stated == coder.feature_groups_[name]
            assert (side * value[adverse & own & present] < side * end).all()
            far = stated == coder.beyond_routes_.get(coder.feature_groups_[name], "?")
            assert (side * value[adverse & far] > side * end).all()
            at = adverse & present & (value == end)
            assert (stated[at] == "-").all()
        # a far-side target only ever states its source's features, past their end
        for target in ("MANY", "RISE", "LOW"):
            hit = stated == target
            assert not hit[~adverse].any()
            assert name == {"MANY": "bills", "RISE": "trend", "LOW": "balance"}[target] or (
                not hit.any()
            )
        assert not (stated == "HI3").any()


@settings(max_examples=60, deadline=None)
@given(
    X=applicants(),
    method=st.sampled_from(["vs_population", "points_below_max"]),
    higher=st.booleans(),
)
def test_stated_routed_and_unstated_points_add_up_to_every_loss(X, method, higher):
    checked = _coder(X, method, higher)
    plain = _coder(X, method, higher, check_values=False)
    unstated = checked.unstated_points(X)
    assert (unstated >= 0).all()
    np.testing.assert_allclose(
        checked.points_lost(X).sum(axis=1) + unstated.sum(axis=1),
        plain.points_lost(X).sum(axis=1),
        atol=1e-9,
    )
    # a reason lists exactly the features whose points make it up, routed ones included;
    # one applicant alone gets its batch row
    batch = checked.explain(X)
    for i in range(len(X)):
        one = checked.explain_one(X.iloc[i].to_dict())
        rows = batch[batch["application_id"] == i]
        assert list(one.codes) == rows["code"].astype(str).tolist()
        assert [r.points_lost for r in one.reasons] == rows["points_lost"].tolist()
        silent = {NAMES[j] for j in np.flatnonzero(unstated[i] > 0)}
        for r in one.reasons:
            assert r.features
            assert not silent & set(r.features)


def test_far_side_losses_go_to_the_beyond_group():
    ref = pd.DataFrame(
        {
            "bills": [0.0, 1, 2, 3, 4, 5, 6, 8],
            "trend": [-1.0, -0.5, 0, 0.5, 1, 0.25, -0.25, 0],
            "late": [0.0, 1, 2, 3, 0, 1, 2, 3],
            "balance": [0.0, 1, 2, 3, 4, 5, 6, 7],
            "debt": [0.0, 1, 2, 3, 4, 5, 6, 7],
        }
    )
    coder = _coder(ref, "vs_population", True)
    # the balance's end is the reference's lowest value: no reference applicant lies
    # below it, so "low balance" is built for no one
    assert coder.beyond_routes_ == {"FEW": "MANY", "DEC": "RISE"}
    assert {"MANY", "RISE"} <= set(coder.groups_)
    assert "LOW" not in coder.groups_
    rising = ref.assign(trend=1.0).iloc[[0]]
    c = Wavy(NAMES).contributions(ref).values.mean(axis=0)
    charged = c[1] - 10 * math.sin(3 * 1.0 + 1)
    assert charged > 0  # the model charges a rising trend ...
    lost = dict(zip(coder.groups_, coder.points_lost(rising)[0]))
    assert lost["DEC"] == 0.0  # ... which "declining activity" would misstate
    assert lost["RISE"] == pytest.approx(charged)
    e = coder.explain_one(rising.iloc[0].to_dict())
    assert {r.code: r.features for r in e.reasons}["RISE"] == ("trend",)
    assert coder.unstated_points(rising)[0, 1] == 0.0
    # without the route the same loss is unstated
    plain = beyond_catalog().to_dict()
    for g in plain["groups"]:
        g.pop("beyond", None)
    plain["groups"] = [g for g in plain["groups"] if g["features"]]
    unrouted = _coder(ref, "vs_population", True, catalog=ReasonCatalog.from_dict(plain))
    assert unrouted.beyond_routes_ == {}
    assert unrouted.unstated_points(rising)[0, 1] == pytest.approx(charged)


def test_a_route_is_followed_once():
    catalog = ReasonCatalog(
        groups=(
            _group("A01", "Declining activity", ("trend",), beyond="B01"),
            # B01's own far side (fewer bills than the model scores best) goes to C01
            _group("B01", "Rising activity or many bills", ("bills",), claim="high", beyond="C01"),
            _group("C01", "Few bills", claim="low"),
            _group("D01", "Other", ("late", "balance", "debt")),
        ),
        languages=("en",),
    )
    ref = pd.DataFrame({n: [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] for n in NAMES})
    coder = _coder(ref, "vs_population", True, catalog=catalog)
    assert coder.beyond_routes_ == {"A01": "B01", "B01": "C01"}
    X = ref.assign(trend=1.0)
    through = coder._through(coder._loss(coder.model_.contributions(X), X), np.arange(len(X)))
    groups = np.array([*coder.groups_, "-"])
    # A01's far side goes to B01, never on to B01's own far-side group
    assert set(groups[through[:, NAMES.index("trend")]]) <= {"A01", "B01", "-"}
    assert "B01" in set(groups[through[:, NAMES.index("trend")]])


def test_route_validation_and_round_trips(tmp_path):
    a = _group("A01", "a", ("a*",), beyond="B01")
    b = _group("B01", "b")
    catalog = ReasonCatalog(groups=(a, b), languages=("en",))
    assert catalog.beyond_route("A01") == "B01"
    assert catalog.beyond_route("B01") is None
    assert a.to_dict()["beyond"] == "B01"
    assert "beyond" not in b.to_dict()
    assert catalog.to_dict()["format_version"] == 2
    assert ReasonCatalog.from_json(catalog.to_json()) == catalog
    pytest.importorskip("yaml")
    assert ReasonCatalog.from_yaml(catalog.to_yaml()) == catalog
    assert ReasonCatalog.load(catalog.save(tmp_path / "c.yaml")) == catalog
    with pytest.raises(SpecError, match="beyond routes name no group of the catalog: A01 -> C01"):
        ReasonCatalog(groups=(_group("A01", "a", ("a*",), beyond="C01"),), languages=("en",))
    with pytest.raises(SpecError, match="A01: beyond must name another group"):
        _group("A01", "a", ("a*",), beyond="A01")
    for bad in ("lower", 3, ["B01"], ""):
        with pytest.raises(SpecError, match=r"A01: beyond=.* is not a code"):
            _group("A01", "a", ("a*",), beyond=bad)
    data = catalog.to_dict()
    data["groups"][0]["beyond"] = 7  # a JSON number
    with pytest.raises(SpecError, match="beyond=7 is not a code"):
        ReasonCatalog.from_dict(data)
    with pytest.raises(SpecError, match="unknown group key"):
        ReasonGroup.from_dict({**a.to_dict(), "beyound": "B01"})
    # a format 1 file predates beyond routes: it cannot name one
    with pytest.raises(SpecError, match="A01: a beyond route needs catalog format_version 2"):
        ReasonCatalog.from_dict({**catalog.to_dict(), "format_version": 1})


def _without_beyond(catalog):
    """The catalog less its beyond routes and the groups only they speak through."""
    data = catalog.to_dict()
    for g in data["groups"]:
        g.pop("beyond", None)
    targets = {g.beyond for g in catalog.groups if g.beyond}
    data["groups"] = [g for g in data["groups"] if g["code"] not in targets]
    return ReasonCatalog.from_dict(data)


def test_a_format_1_file_of_version_3_still_loads():
    old = ReasonCatalog.load(DATA / "default_catalog_v3_format1.json")
    assert json.loads((DATA / "default_catalog_v3_format1.json").read_text())["format_version"] == 1
    assert old.version == "3"
    now = _without_beyond(default_catalog())
    assert old.to_dict() == {**now.to_dict(), "version": "3"}


def test_default_catalog_beyond_routes_and_texts():
    cat = default_catalog()
    routes = {g.code: g.beyond for g in cat.groups if g.beyond}
    assert routes == {
        "BIL04": "BIL04_HIGH",
        "LON05": "LON05_HIGH",
        "CON02": "CON02_HIGH",
        "CON05": "CON05_HIGH",
    }
    assert cat.text("CON05_HIGH", "en") == "Recent increase in shopping activity"
    assert cat.text("BIL04_HIGH", "en") == "Many bills or large amounts falling due"
    assert cat.text("LON05_HIGH", "en") == "Long time since the last loan"
    for code in routes.values():
        target = cat.group(code)
        # speaks only for the far side of its source: claims no feature itself
        assert not target.features
        assert not target.patterns
        assert target.claim in ("high", "low")
        for lang in ("zh", "en"):
            assert cat.text(code, lang).strip()
            assert cat.text(code, lang, long=True).strip()
    # the texts printed on letters so far are unchanged
    old = ReasonCatalog.load(DATA / "default_catalog_v3_format1.json")
    for g in old.groups:
        new = cat.group(g.code)
        assert (dict(new.short), dict(new.long), new.patterns, new.claim, new.missing) == (
            dict(g.short),
            dict(g.long),
            g.patterns,
            g.claim,
            g.missing,
        )
    assert set(routes.values()).isdisjoint(old.codes)
    assert not set(routes.values()) & {a.code for a in cat.actions}


def test_check_values_off_and_owen_take_no_route():
    ref = pd.DataFrame({n: [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] for n in NAMES})
    plain = _coder(ref, "vs_population", True, check_values=False)
    assert plain.beyond_routes_ == {}
    assert "MANY" not in plain.groups_
    pytest.importorskip("shap")
    owen = _coder(ref, "vs_population", True, attribution="owen", owen_max_evals=10)
    assert owen.beyond_routes_ == {}
    assert "RISE" not in owen.groups_


def test_far_side_features_are_never_hinted():
    """A reason's hints move only its own stated features: a feature routed to it from
    another group's far side is not hinted (nor, for that applicant, by its own group)."""
    # the model scores 9 bills best and charges 10
    ref = pd.DataFrame({n: [0.0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] for n in NAMES})
    catalog = ReasonCatalog(
        groups=(
            _group("FEW", "Few bills", ("bills",), claim="low", beyond="MANY"),
            # the target has a feature of its own: only that one is hinted
            _group("MANY", "Many bills", ("late",)),
            _group("REST", "Other", ("trend", "balance", "debt")),
        ),
        languages=("en",),
    )
    coder = _coder(ref, "vs_population", True, catalog=catalog, hints=True)
    assert coder.beyond_routes_ == {"FEW": "MANY"}
    X = pd.DataFrame(
        np.random.default_rng(0).choice([0.0, 1, 2, 3, 5, 7, 8, 10], size=(60, len(NAMES))),
        columns=list(NAMES),
    )
    loss = coder._loss(coder.model_.contributions(X), X)
    through = coder._through(loss, np.arange(len(X)))
    routed = 0
    for i in range(len(X)):
        far = through[i, 0] == coder.groups_.index("MANY")
        routed += far
        for r in coder.explain_one(X.iloc[i].to_dict()).reasons:
            if r.code == "MANY" and far:
                assert "bills" in r.features
            if r.hint is not None:
                assert coder.feature_groups_[r.hint.feature] == r.code
                assert r.hint.feature in r.features
                assert not (far and r.hint.feature == "bills")
    assert routed > 0


def test_a_route_the_reference_never_takes_is_not_built():
    """The model scores 3 bills best; a reference sample with nobody above 3 never takes
    the "many bills" route, so it is not built: it would only cost time. A later
    applicant charged for 7 bills then loses points no reason states, which
    reason_coverage reports (refit on a reference holding such applicants)."""
    from thinfile_credit.reasons import reason_coverage

    class Peaked(Wavy):
        def contributions(self, X):
            names = tuple(str(n) for n in self.feature_names_in_)
            x = pd.DataFrame(X)[list(names)].to_numpy(dtype=float)
            return Contributions(-((x - 3.0) ** 2), np.full(x.shape[0], 500.0), names)

    catalog = ReasonCatalog(
        groups=(
            _group("FEW", "Few bills", ("bills",), claim="low", beyond="MANY"),
            _group("MANY", "Many bills", claim="high"),
        ),
        languages=("en",),
    )
    told = DICTIONARY.iloc[[0]]

    def coder(ref):
        return ReasonCoder(catalog=catalog, language="en", dictionary=told).fit(
            Peaked(("bills",)), ref
        )

    low = coder(pd.DataFrame({"bills": [0.0, 1, 2, 3, 3, 3]}))
    assert low.favourable_end_ == {"bills": 3.0}
    assert low.beyond_routes_ == {}
    assert low.groups_ == ("FEW",)
    assert low._routes.beyond is None
    seven = pd.DataFrame({"bills": [7.0]})
    assert low.unstated_points(seven)[0, 0] == pytest.approx(16.0)
    assert reason_coverage(low, seven)["feature"].tolist() == ["bills"]
    wide = coder(pd.DataFrame({"bills": [0.0, 1, 2, 3, 3, 3, 5, 8]}))
    assert wide.beyond_routes_ == {"FEW": "MANY"}
    assert wide.unstated_points(seven)[0, 0] == 0.0
    assert wide.explain_one({"bills": 7.0}).codes == ("MANY",)


def test_a_catalog_without_beyond_routes_builds_none():
    ref = pd.DataFrame({n: [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] for n in NAMES})
    coder = _coder(ref, "vs_population", True, catalog=_without_beyond(beyond_catalog()))
    assert coder._routes is not None
    assert coder._routes.beyond is None
    scratch = coder._loss(coder.model_.contributions(ref), ref)._scratch(6)
    assert scratch.terms.shape[0] == 10  # no far-side rows, no far-side buffers
    assert scratch.past is None
    # a route whose target states no side any feature has is not built either
    only = ReasonCatalog(
        groups=(
            _group("HI2", "High debt", NAMES, claim="high", beyond="HI3"),
            _group("HI3", "Very high debt", claim="high"),
        ),
        languages=("en",),
    )
    told = DICTIONARY.assign(direction="higher_is_riskier", neutral=None)
    coder = ReasonCoder(catalog=only, language="en", dictionary=told).fit(Wavy(NAMES), ref)
    assert coder.beyond_routes_ == {}
    assert coder.groups_ == ("HI2",)
    assert coder._routes.beyond is None


def test_past_the_end_flags_agree_across_input_kinds():
    import polars as pl
    import pyarrow as pa
    from _reason_models import LATE_SHARE_KIND, late_share_kind_spec

    from thinfile_credit.reasons._values import _value_source

    names = LATE_SHARE_KIND
    spec = late_share_kind_spec()
    beyond = np.zeros((3, 2))
    beyond[[0, 1], 1] = 1.0  # late and share have a far side; kind has no direction
    from dataclasses import replace

    spec = replace(spec, beyond=beyond)
    numeric = pd.DataFrame(
        {"late": [0.0, -1.0, None, -1e-12], "share": [1.0, 1.0 + 1e-12, 1.5, 2.0], "kind": 1.0}
    )
    # strictly past the end, beyond float noise: a late count below 0, a share above 1
    want = [[False, True, False, False], [False, False, True, True]]

    def past(X):
        source = _value_source(X, names, names, spec)
        out = np.zeros((2, source.n_rows), dtype=bool)
        moved, at_end = np.zeros((3, source.n_rows), bool), np.zeros((3, source.n_rows), bool)
        source.fill(0, source.n_rows, moved, at_end, out)
        assert not (out & ~at_end[:2]).any()  # past the end is always at it
        return out.tolist()

    for X in (
        numeric,
        pl.from_pandas(numeric),
        pa.Table.from_pandas(numeric),
        numeric.to_numpy(),
        numeric.astype({"share": "Float64"}),
        numeric.assign(kind=["a", None, "b", "c"]),  # column by column
    ):
        assert past(X) == want
    for i in range(4):
        row = numeric.iloc[i].to_dict()
        assert past(row) == [[w[i]] for w in want]
