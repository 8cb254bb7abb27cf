"""Fit a WoE scorecard, read it, explain a score, and deploy it as JSON and SQL."""

import json

import duckdb
import numpy as np
import pandas as pd

from thinfile_credit.binning import WoEBinner
from thinfile_credit.metrics import auc, ks
from thinfile_credit.scale import ScoreScale
from thinfile_credit.scorecard import WoEScorecard

# 1. Applicant features named by the library's convention (a stand-in for
#    FeatureBuilder output): some have no bill history, -1 means "bureau record withheld".
rng = np.random.default_rng(42)
n = 20_000
X = pd.DataFrame(
    {
        "cons_order_count_90d": rng.poisson(6, n).astype(float),
        "cons_gmv_sum_365d": np.round(rng.lognormal(6, 1, n), 2),
        "bill_ontime_share_180d": np.round(rng.beta(6, 1.5, n), 3),
        "loan_max_dpd_ever": rng.choice([0, 0, 0, 0, 3, 10, 35, 95], n).astype(float),
        "ten_account_age_days": rng.integers(5, 2500, n).astype(float),
        "ten_device_type": rng.choice(["android", "ios", "web", "feature_phone"], n),
    }
)
z = (
    -2.2
    - 0.12 * (X["cons_order_count_90d"] - 6)
    - 0.25 * np.log(X["cons_gmv_sum_365d"] / 400)
    - 2.0 * (X["bill_ontime_share_180d"] - 0.8)
    + 0.02 * X["loan_max_dpd_ever"]
    - 0.0006 * (X["ten_account_age_days"] - 1000)
    + (X["ten_device_type"] == "feature_phone") * 0.8
)
y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
no_bills = rng.random(n) < 0.1
X.loc[no_bills, "bill_ontime_share_180d"] = np.nan
y[no_bills] = (rng.random(no_bills.sum()) < 0.25).astype(int)
X.loc[rng.random(n) < 0.03, "loan_max_dpd_ever"] = -1.0
train, test = slice(0, 14_000), slice(14_000, n)

# 2. Fit: optimal monotone bins, selection, logistic regression, integer points.
card = WoEScorecard(
    scale=ScoreScale(base_score=600, base_odds=50, pdo=20),
    binner=WoEBinner(feature_params={"loan_max_dpd_ever": {"special_codes": [-1]}}),
    round_points=True,
).fit(X.iloc[train], y[train])

score = card.score(X.iloc[test])
print(f"test AUC {auc(y[test], score, higher_is_better=True):.3f}")
print(f"test KS  {ks(y[test], score).statistic:.3f}")
print(card.selection_.to_frame()[["feature", "iv", "kept", "stage"]].round(3).to_string())

# 3. The printable scorecard: a score is the baseline plus one row per feature.
table = card.table()
print(table[["feature", "condition", "points", "count", "fallback"]].head(12).to_string())

# 4. One applicant, no pandas: a dict in, points out (microseconds).
applicant = {
    "cons_order_count_90d": 2.0,
    "cons_gmv_sum_365d": 120.0,
    "bill_ontime_share_180d": None,  # no bill history -> the fitted Missing bin
    "loan_max_dpd_ever": -1.0,  # special code -> its own bin
    "ten_account_age_days": 40.0,
    "ten_device_type": "smart_tv",  # never seen at fit -> Unknown bin
}
print("score", card.score_one(applicant))
parts = card.contributions_one(applicant)
print("baseline", card.baseline_points_, "+", parts)

# 5. Deploy without pickle: versioned JSON, and SQL for the data warehouse.
text = card.to_json()
again = WoEScorecard.from_json(text)
assert np.array_equal(again.score(X.iloc[test]), score)
print("artefact:", json.loads(text)["format"], "v", json.loads(text)["version"])

con = duckdb.connect()
con.register("applicants", X.iloc[test])
from_sql = con.execute(card.to_sql("duckdb", table="applicants")).df()["score"].to_numpy()
assert np.array_equal(from_sql, score)
print("DuckDB SQL scores equal the Python scores:", bool(np.array_equal(from_sql, score)))
print(card.to_sql("spark").splitlines()[2][:100], "...")
