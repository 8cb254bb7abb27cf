"""Owen values of reason groups (shap Partition explainer)."""

from __future__ import annotations

import numpy as np
import pytest

from thinfile_credit.errors import SpecError
from thinfile_credit.reasons import ReasonCoder, group_linkage, owen_group_values

pytest.importorskip("shap")


def test_linkage_merges_groups_first():
    Z = group_linkage([[0, 3], [1, 2, 4]])
    assert Z.shape == (4, 4)
    assert (np.diff(Z[:, 2]) >= 0).all()
    assert Z[:, 3].tolist() == [2.0, 2.0, 3.0, 5.0]
    import scipy.cluster.hierarchy as hierarchy

    assert hierarchy.is_valid_linkage(group_linkage([[0, 3], [1, 2, 4], [5]]))
    assert (Z[:3, 2] < 1).all()
    assert Z[3, 2] > 1


@pytest.mark.slow  # shap compiles its Partition kernels (numba) on first use
def test_owen_equals_group_contributions_for_additive_models(logistic_model, credit_data):
    X, _ = credit_data
    # the plain group sums, as Owen values attribute them (no routing by value)
    coder = ReasonCoder(method="vs_population", check_values=False).fit(logistic_model, X.iloc[:80])
    values, base = owen_group_values(coder, X.iloc[:5], max_evals=300)
    # additive in the features: the Owen value of a group is its contribution minus the
    # background mean, exactly what vs_population sums
    np.testing.assert_allclose(values, -coder.points_lost(X.iloc[:5]), atol=1e-8)
    np.testing.assert_allclose(base, logistic_model.score(X.iloc[:80]).mean())


def test_owen_attribution_in_the_coder(credit_data):
    X, y = credit_data
    gbm = pytest.importorskip("thinfile_credit.gbm")
    model = gbm.GBMScorer(
        n_estimators=20,
        learning_rate=0.1,
        early_stopping=False,
        calibration=None,
        random_state=0,
        n_jobs=1,
    ).fit(X, y)
    summed = ReasonCoder(method="vs_population", max_reasons=2, check_values=False).fit(
        model, X.iloc[:100]
    )
    owen = ReasonCoder(
        method="vs_population", max_reasons=2, attribution="owen", owen_max_evals=200
    ).fit(model, X.iloc[:100])
    sample = X.iloc[:4]
    lost = owen.points_lost(sample)
    # efficiency: Owen group values add up to score minus the background mean
    values, base = owen_group_values(owen, sample, max_evals=200)
    np.testing.assert_allclose(values.sum(axis=1) + base, model.score(sample), atol=1e-6)
    out = owen.explain(sample)
    assert set(out["code"].astype(str)) <= set(owen.groups_)
    assert (out["points_lost"] > 0).all()
    assert lost.shape == summed.points_lost(sample).shape
    # Owen coalitions are the catalog's fixed groups: no value routing, no route targets
    assert owen.groups_ == summed.groups_
    assert owen.missing_routes_ == {}
    assert owen.beyond_routes_ == {}
    e = owen.explain_one(sample.iloc[0].to_dict())
    assert list(e.codes) == out[out["application_id"] == 0]["code"].astype(str).tolist()
    with pytest.raises(SpecError, match="attribution='owen'"):
        ReasonCoder(attribution="owen").fit(model, X.iloc[:50])


def test_groups_only_routes_reach_have_no_owen_value():
    from thinfile_credit.reasons._demo import tiny_scorecard

    model, X = tiny_scorecard()
    routed = ReasonCoder(method="vs_population").fit(model, X)
    plain = ReasonCoder(method="vs_population", check_values=False).fit(model, X)
    empty = [j for j, c in enumerate(routed.groups_) if not routed._group_features[c]]
    assert empty  # route targets without features of their own
    values, _ = owen_group_values(routed, X.iloc[:2], max_evals=200)
    expected, _ = owen_group_values(plain, X.iloc[:2], max_evals=200)
    assert (values[:, empty] == 0).all()
    kept = [j for j in range(len(routed.groups_)) if j not in empty]
    np.testing.assert_allclose(values[:, kept], expected, atol=1e-9)
