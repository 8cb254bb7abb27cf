"""Tutorial: a monotone, calibrated gradient-boosted scorer on the shared score scale."""

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from thinfile_credit.gbm import GBMScorer
from thinfile_credit.scale import ScoreScale

# --- 1. Data: thin-file applicants with a known risk structure --------------------------
rng = np.random.default_rng(7)
n = 8000
X = pd.DataFrame(
    {
        "bill_max_days_late_365d": rng.exponential(8.0, n),
        "ten_account_age_days": rng.uniform(0, 1500, n),
        "cons_order_count_90d": rng.poisson(4, n).astype(float),
        "soc_default_neighbour_share": rng.beta(1, 12, n),
        "thin_segment": rng.choice(["no_file", "thin", "thick"], n, p=[0.4, 0.4, 0.2]),
    }
)
X.loc[rng.random(n) < 0.05, "bill_max_days_late_365d"] = np.nan  # never billed
z = (
    -2.0
    + 0.08 * X["bill_max_days_late_365d"].fillna(10)
    - 0.0012 * X["ten_account_age_days"]
    - 0.08 * X["cons_order_count_90d"]
    + 4.0 * X["soc_default_neighbour_share"]
    + X["thin_segment"].map({"no_file": 0.5, "thin": 0.2, "thick": 0.0})
)
y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
train, test = slice(0, 6000), slice(6000, n)

# --- 2. Fit: monotone constraints inferred from the data, isotonic calibration ---------
model = GBMScorer(
    engine="lightgbm",  # or "xgboost", or "sklearn" (no extra needed)
    monotone="auto",  # +1 = a higher value never lowers the PD
    categorical_features=["thin_segment"],
    calibration="isotonic",
    scale=ScoreScale(base_score=600, base_odds=50, pdo=20),
    random_state=0,
)
model.fit(X[train], y[train])
print(model.monotone_report_[["feature", "rho", "direction", "source"]].round(3))
print(f"rounds kept by early stopping: {model.n_iter_}")

# --- 3. PD, points, AUC ----------------------------------------------------------------
pd_bad = model.predict_proba(X[test])[:, 1]
points = model.score(X[test])
auc = roc_auc_score(y[test], pd_bad)
print(f"test AUC {auc:.3f}; points from {points.min():.0f} to {points.max():.0f}")

# Calibration: predicted vs observed bad rate by decile of PD.
deciles = pd.qcut(pd_bad, 10, labels=False, duplicates="drop")
table = pd.DataFrame({"decile": deciles, "predicted": pd_bad, "observed": y[test]})
print(table.groupby("decile")[["predicted", "observed"]].mean().round(3))

# --- 4. Explain one applicant: baseline + contributions == score ------------------------
applicant = X[test].head(1)
c = model.contributions(applicant)
explanation = pd.Series(c.values[0], index=c.feature_names).sort_values()
print(f"baseline {c.baseline[0]:.1f} points")
print(explanation.round(1))
print(f"sum {c.total()[0]:.4f} == score {model.score(applicant)[0]:.4f}")
assert abs(c.total()[0] - model.score(applicant)[0]) < 1e-6
