"""Unstated points and the per-feature coverage report (``reasons.coverage``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_reason_values import NAMES, PeakedPoints, WavyPoints, _claim_catalog, samples

from thinfile_credit.errors import NotFittedError
from thinfile_credit.protocol import Contributions
from thinfile_credit.reasons import (
    ReasonCatalog,
    ReasonCoder,
    ReasonGroup,
    reason_coverage,
    unstated_points,
)
from thinfile_credit.scale import ScoreScale

COLUMNS = [
    "feature",
    "code",
    "applicants",
    "share",
    "mean_points",
    "max_points",
    "outranks_a_reason",
]


@settings(max_examples=60, deadline=None)
@given(
    X=samples(),
    method=st.sampled_from(["vs_population", "points_below_max"]),
    higher=st.booleans(),
)
def test_stated_and_unstated_points_add_up_to_every_loss(X, method, higher):
    """Every point a feature loses is either in a group's loss or unstated: nothing is
    lost twice or silently dropped."""
    model = WavyPoints(higher_is_better=higher)
    checked = ReasonCoder(method=method, min_points=0.0).fit(model, X)
    # a rising order trend the model charges goes to "recent increase in shopping
    # activity" (a beyond route, built when the reference sample holds such a charge)
    assert set(checked.beyond_routes_.items()) <= {("CON05", "CON05_HIGH")}
    plain = ReasonCoder(method=method, min_points=0.0, check_values=False).fit(model, X)
    unstated = checked.unstated_points(X)
    assert unstated.shape == (len(X), len(checked.feature_names_in_))
    assert (unstated >= 0).all()
    np.testing.assert_allclose(
        checked.points_lost(X).sum(axis=1) + unstated.sum(axis=1),
        plain.points_lost(X).sum(axis=1),
        atol=1e-9,
    )
    np.testing.assert_array_equal(plain.unstated_points(X), 0.0)
    # an unstated feature is in no reason the applicant is given
    for i in np.flatnonzero(unstated.any(axis=1))[:5]:
        given_features = {
            f for r in checked.explain_one(X.iloc[i].to_dict()).reasons for f in r.features
        }
        silent = {checked.feature_names_in_[j] for j in np.flatnonzero(unstated[i] > 0)}
        assert not silent & given_features


def test_a_count_past_the_best_value_is_unstated_under_a_low_claim():
    """The model scores 3 bills best and charges more; "few bills" is false from 3 on, so
    those losses are unstated, and counted per feature."""
    ref = pd.DataFrame({"n": [0.0, 1, 2, 3, 3, 4, 5, 6, 8, 12]})
    X = pd.DataFrame({"n": [0.0, 1.0, 3.0, 5.0, 12.0, 40.0]})
    coder = ReasonCoder(catalog=_claim_catalog("low"), min_points=1.0, language="en")
    dictionary = pd.DataFrame(
        {"name": ["n"], "definition": ["bills"], "unit": ["count"], "direction": ["neutral"]}
    )
    coder = coder.set_params(dictionary=dictionary).fit(PeakedPoints(("n",)), ref)
    plain = ReasonCoder(
        catalog=_claim_catalog("low"), min_points=1.0, check_values=False, language="en"
    )
    lost = plain.fit(PeakedPoints(("n",)), ref).points_lost(X)[:, 0]
    want = np.where((X["n"] >= 3.0) & (lost > 0), lost, 0.0)
    np.testing.assert_allclose(unstated_points(coder, X)[:, 0], want, atol=1e-12)
    report = reason_coverage(coder, X)
    assert list(report.columns) == COLUMNS
    row = report.iloc[0]
    counted = want[want >= 1.0]
    assert (row["feature"], row["code"], row["applicants"]) == ("n", "A01", counted.size)
    assert row["share"] == pytest.approx(counted.size / len(X))
    assert row["mean_points"] == pytest.approx(counted.mean())
    assert row["max_points"] == pytest.approx(counted.max())
    # the only group is silent for these applicants: a principal slot is free
    assert row["outranks_a_reason"] == counted.size


class Counts:
    """Peaked counts, each best at 3 (``-(x - 3)**2`` points), and linear ones (each unit
    costs one point)."""

    scale_ = ScoreScale()
    classes_ = np.array([0, 1])

    def __init__(self, peaked=("n",), linear=("m",)):
        self.peaked, self.linear = tuple(peaked), tuple(linear)
        self.feature_names_in_ = np.asarray([*self.peaked, *self.linear], dtype=object)

    def contributions(self, X):
        names = tuple(self.feature_names_in_)
        x = np.asarray(pd.DataFrame(X)[list(names)], dtype=float)
        k = len(self.peaked)
        points = np.column_stack([-((x[:, :k] - 3.0) ** 2), -x[:, k:]])
        return Contributions(points, np.full(x.shape[0], 500.0), names)

    def score(self, X):
        return self.contributions(X).total()

    def predict_proba(self, X):
        p = 1.0 / (1.0 + np.exp((self.score(X) - 500.0) / 20.0))
        return np.column_stack([1 - p, p])


def _counts_coder(peaked=("n",), linear=("m",)):
    """A coder over :class:`Counts`: each peaked count in its own "few ..." group (claim
    low), each linear one in a factual group; one principal reason, min_points 1."""
    groups = [
        ReasonGroup(f"A{i:02d}", {"en": f"Few {f}"}, {"en": f"Few {f}"}, (f,), claim="low")
        for i, f in enumerate(peaked)
    ] + [
        ReasonGroup(f"B{i:02d}", {"en": f"Many {f}"}, {"en": f"Many {f}"}, (f,))
        for i, f in enumerate(linear)
    ]
    names = [*peaked, *linear]
    dictionary = pd.DataFrame(
        {
            "name": names,
            "definition": names,
            "unit": ["count"] * len(names),
            "direction": ["neutral"] * len(peaked) + ["higher_is_riskier"] * len(linear),
        }
    )
    ref = pd.DataFrame(
        {
            **{f: [0.0, 1, 2, 3, 3, 4, 5, 6, 8, 12] for f in peaked},
            **{f: [0.0] * 10 for f in linear},
        }
    )
    return ReasonCoder(
        catalog=ReasonCatalog(groups=tuple(groups), languages=("en",)),
        method="points_below_max",
        max_reasons=1,
        min_points=1.0,
        language="en",
        dictionary=dictionary,
    ).fit(Counts(peaked, linear), ref)


def test_outranks_counts_applicants_whose_principal_reasons_miss_a_larger_loss():
    coder = _counts_coder()
    # n = 7 loses 16 unstated points ("few bills" is false); m costs 5, 20, nothing or
    # exactly 16 (a tie is not "more"); n = 4 loses exactly min_points
    X = pd.DataFrame({"n": [7.0, 7.0, 7.0, 3.0, 4.0, 7.0], "m": [5.0, 20.0, 0.0, 20.0, 0.0, 16.0]})
    np.testing.assert_allclose(coder.unstated_points(X)[:, 0], [16.0, 16.0, 16.0, 0.0, 1.0, 16.0])
    np.testing.assert_array_equal(coder.unstated_points(X)[:, 1], 0.0)
    report = reason_coverage(coder, X).set_index("feature")
    assert list(report.index) == ["n"]
    # 16 > 5 (row 0), 16 < 20 (row 1), 16 = 16 (row 5), no reason at all: the slot is
    # free (rows 2, 4)
    assert report.loc["n", "applicants"] == 5
    assert report.loc["n", "outranks_a_reason"] == 3


def test_the_report_is_sorted_by_outranking_then_applicants_then_name():
    coder = _counts_coder(peaked=("p", "n", "k"))  # model order differs from the sort
    # n: 3 applicants, 1 outranking; k: 2 applicants, 2 outranking (free slots);
    # p: exactly n's counts, so the tie goes by name
    X = pd.DataFrame(
        {
            "k": [3.0, 3.0, 3.0, 5.0, 5.0],
            "n": [7.0, 7.0, 7.0, 3.0, 3.0],
            "p": [7.0, 7.0, 7.0, 3.0, 3.0],
            "m": [40.0, 40.0, 0.0, 0.0, 0.0],
        }
    )
    report = reason_coverage(coder, X)
    assert report["feature"].tolist() == ["k", "n", "p"]
    assert report["applicants"].tolist() == [2, 3, 3]
    assert report["outranks_a_reason"].tolist() == [2, 1, 1]


def test_without_unstated_points_the_report_is_empty_and_typed():
    X = pd.DataFrame({"n": [0.0, 1.0, 2.0, 3.0, 5.0]})
    coder = ReasonCoder(catalog=_claim_catalog(None), min_points=0.0, language="en")
    coder = coder.fit(PeakedPoints(("n",)), X)
    report = reason_coverage(coder, X)
    assert report.empty
    assert list(report.columns) == COLUMNS
    assert str(report["applicants"].dtype) == "int64"


def test_the_report_is_of_the_kind_of_its_input():
    rng = np.random.default_rng(0)
    values = rng.choice([0.0, 0.5, 1.0, 2.0, 7.0, np.nan], size=(40, len(NAMES)))
    X = pd.DataFrame(values, columns=list(NAMES))
    coder = ReasonCoder(min_points=0.0).fit(WavyPoints(), X)
    want = reason_coverage(coder, X)
    assert len(want) > 0  # the wavy model charges values the texts would misstate
    got = reason_coverage(coder, pl.from_pandas(X))
    assert isinstance(got, pl.DataFrame)
    pd.testing.assert_frame_equal(got.to_pandas(), want)
    np.testing.assert_array_equal(
        unstated_points(coder, pl.from_pandas(X)), coder.unstated_points(X)
    )


def test_protected_features_are_never_counted_as_unstated():
    from _reason_models import IdentityPoints

    names = ("bill_overdue_count_now", "gender", "cons_order_count_90d")
    X = np.array([[0.0, -50.0, 0.0], [10.0, 0.0, 5.0], [-10.0, 50.0, -5.0]])
    coder = ReasonCoder(fairness_analysis=True, method="vs_population").fit(
        IdentityPoints(names), X
    )
    unstated = coder.unstated_points(X)
    np.testing.assert_array_equal(unstated[:, 1], 0.0)
    assert "gender" not in set(reason_coverage(coder, X)["feature"])


def test_an_unfitted_coder_is_refused():
    X = pd.DataFrame({"n": [0.0, 1.0]})
    with pytest.raises(NotFittedError):
        unstated_points(ReasonCoder(), X)
    with pytest.raises(NotFittedError):
        reason_coverage(ReasonCoder(), X)
