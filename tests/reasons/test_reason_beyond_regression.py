"""Beyond routes against what came before them: a catalog without beyond routes gives the
results of the code before them bit for bit, and on the synthetic marketplace the far
sides a boosted model charges are now stated, truthfully."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest
from test_reason_beyond import _without_beyond

from thinfile_credit.protocol import Contributions
from thinfile_credit.reasons import ReasonCoder, default_catalog
from thinfile_credit.scale import ScoreScale

# --- a catalog without beyond routes gives HEAD's results, bit for bit ------------------

#: Built-in features (their directions and neutral values come from the data dictionary)
#: spanning every claim, a neutral value, missing-value routes and the far sides the
#: default catalog now routes.
POOL = (
    "bill_due_count_365d",
    "bill_late3_count_90d",
    "bill_ontime_share_180d",
    "cons_order_trend_90d",
    "cons_gmv_median_30d",
    "cons_order_count_90d",
    "loan_days_since_last_loan",
    "loan_outstanding_amount_now",
    "loan_count_30d",
    "soc_degree_social",
    "ten_account_age_days",
    "thin_bill_count",
)


class Sevenths:
    """Points in sevenths (``((5x mod 13) - 6) / 7``, -4/7 where missing): exact on
    every platform, yet sums that differ in order differ in their last bits."""

    def __init__(self, names, higher_is_better=True):
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.scale_ = ScoreScale(higher_is_better=higher_is_better)
        self.classes_ = np.array([0, 1])

    def contributions(self, X):
        names = tuple(str(n) for n in self.feature_names_in_)
        x = pd.DataFrame(X)[list(names)].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            points = np.where(np.isnan(x), -4.0, np.mod(5.0 * x, 13.0) - 6.0) / 7.0
        return Contributions(points, np.full(x.shape[0], 500.0), names)

    def score(self, X):
        return self.contributions(X).total()

    def predict_proba(self, X):
        p = self.scale_.pd_from_points(self.score(X))
        return np.column_stack([1 - p, p])


def head_digests(catalog):
    """SHA-256 of every output of a grid of coders over :class:`Sevenths` (written with
    the API HEAD already had, so the same function gives the stored digests there)."""
    out = {}
    rng = np.random.default_rng(11)
    for n in (300, 20000):
        X = pd.DataFrame(rng.integers(-3, 16, size=(n, len(POOL))).astype(float), columns=POOL)
        X = X.mask(rng.random(X.shape) < 0.15)
        for method in ("points_below_max", "vs_population", "vs_cutoff"):
            for higher in (True, False):
                model = Sevenths(POOL, higher)
                coder = ReasonCoder(
                    catalog=catalog,
                    method=method,
                    max_reasons=3,
                    min_points=0.5,
                    also_considered=True,
                    cutoff=500.0,
                    cutoff_band=0.5,
                    min_cutoff_rows=50,
                ).fit(model, X)
                h = hashlib.sha256()
                h.update(repr((coder.groups_, sorted(coder.favourable_end_.items()))).encode())
                h.update(np.ascontiguousarray(coder.points_lost(X)).tobytes())
                h.update(np.ascontiguousarray(coder.unstated_points(X)).tobytes())
                frame = coder.explain(X)
                h.update(frame["application_id"].to_numpy().tobytes())
                h.update(frame["rank"].to_numpy().tobytes())
                h.update("|".join(frame["code"].astype(str)).encode())
                h.update(frame["points_lost"].to_numpy().tobytes())
                h.update(frame["also_considered"].to_numpy().tobytes())
                for i in range(5):
                    e = coder.explain_one(X.iloc[i].to_dict())
                    h.update(
                        repr([(r.code, r.points_lost, r.features) for r in e.reasons]).encode()
                    )
                out[f"{n}-{method}-{higher}"] = h.hexdigest()[:16]
    return out


#: ``head_digests(default_catalog())`` computed with the code of HEAD ce821d8 (catalog
#: version 3, no beyond routes)
HEAD = {
    "300-points_below_max-True": "514bb7c2804ab4d2",
    "300-points_below_max-False": "ec28f93be258a92f",
    "300-vs_population-True": "e47219a92f2a7585",
    "300-vs_population-False": "951f9c5d528de5be",
    "300-vs_cutoff-True": "783eb50902474a1b",
    "300-vs_cutoff-False": "e218f37f5fe21da9",
    "20000-points_below_max-True": "9807c57c3d6d72a5",
    "20000-points_below_max-False": "57654ff15bce757a",
    "20000-vs_population-True": "04e2b5bcec4deea1",
    "20000-vs_population-False": "db5616a1382ffc4c",
    "20000-vs_cutoff-True": "0e81b4bdd4bd9d47",
    "20000-vs_cutoff-False": "279a478c31547e72",
}


def test_a_catalog_without_beyond_routes_is_bit_identical_to_head():
    assert head_digests(_without_beyond(default_catalog())) == HEAD


# --- the marketplace ------------------------------------------------------------------


@pytest.fixture(scope="module")
def marketplace():
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
    return model, X


def test_the_marketplace_far_sides_are_stated(marketplace):
    """The GBM charges rising orders, many bills and a long time since the last loan,
    which "declining activity", "limited bill record" and "loans taken recently" cannot
    state; the beyond groups state them, truthfully."""
    model, X = marketplace
    top = ("cons_order_trend_90d", "bill_due_count_365d", "loan_days_since_last_loan")

    def unstated(coder):
        counted = coder.unstated_points(X) >= coder.min_points
        names = list(coder.feature_names_in_)
        return int(counted.any(axis=1).sum()), {
            f: int(counted[:, names.index(f)].sum()) for f in top
        }

    before = unstated(
        ReasonCoder(catalog=_without_beyond(default_catalog()), method="vs_population").fit(
            model, X
        )
    )
    coder = ReasonCoder(method="vs_population").fit(model, X)
    after = unstated(coder)
    plain = ReasonCoder(method="vs_population", check_values=False).fit(model, X)
    np.testing.assert_allclose(
        coder.points_lost(X).sum(axis=1) + coder.unstated_points(X).sum(axis=1),
        plain.points_lost(X).sum(axis=1),
        atol=1e-9,
    )
    assert before[0] > 1000
    assert min(before[1].values()) > 100
    assert after[0] < before[0] / 10
    for f in top:
        assert after[1][f] <= before[1][f] / 20, f
    # every routed value lies past its end, on the side the target's text states
    loss = coder._loss(model.contributions(X), X)
    through = coder._through(loss, np.arange(len(X)))
    names = list(coder.feature_names_in_)
    assert set(coder.beyond_routes_.values()) == {
        "CON05_HIGH",
        "BIL04_HIGH",
        "LON05_HIGH",
        "CON02_HIGH",
    }
    for target, side in (
        ("CON05_HIGH", 1),
        ("BIL04_HIGH", 1),
        ("LON05_HIGH", 1),
        ("CON02_HIGH", 1),
    ):
        rows, cols = np.nonzero(through == coder.groups_.index(target))
        for j in set(cols.tolist()):
            values = X[names[j]].to_numpy()[rows[cols == j]]
            assert (side * values > side * coder.favourable_end_[names[j]]).all(), names[j]
    assert np.isin(
        ["CON05_HIGH", "BIL04_HIGH", "LON05_HIGH"], coder.explain(X)["code"].astype(str)
    ).all()
