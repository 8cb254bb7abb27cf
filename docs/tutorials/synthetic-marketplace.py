"""Tutorial: generate a synthetic thin-file marketplace and look inside it.

Run with ``python docs/tutorials/synthetic-marketplace.py`` (about ten seconds).
"""

import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from thinfile_credit.synthetic import bad_from_installments, make_marketplace

# 1. Generate: 5,000 users, 40% thin-file, two years, Polars frames.
mk = make_marketplace(n_users=5_000, seed=42, backend="polars")
print(mk.summary())
print("horizon ends", mk.horizon_end, "| config:", mk.config.to_json()[:80], "...")

# 2. The tables are what a lender sees; the truth is kept apart.
t = mk.tables
print(t.orders.head(3))
truth_cols = ["application_id", "user_id", "true_pd", "bad", "thin_file", "risk_driver"]
print(mk.truth.select(truth_cols).head(3))

# 3. The label is in the tables: 30+ days past due within the performance window.
flags = bad_from_installments(t.loans, t.installments, t.applications, 180)
assert (flags == mk.truth["bad"].to_numpy()).all()

# 4. Thin-file versus thick-file applicants.
by_file = mk.truth.group_by("thin_file").agg(
    pl.len().alias("applications"),
    pl.col("bad").mean().alias("bad_rate"),
    pl.col("true_pd").mean().alias("mean_true_pd"),
)
bureau = t.profiles.join(mk.users.select("user_id", "thin_file"), on="user_id")
coverage = bureau.group_by("thin_file").agg(
    pl.col("bureau_score").is_not_null().mean().alias("bureau_coverage")
)
print(by_file.join(coverage, on="thin_file").sort("thin_file"))

# 5. Which planted factor drives each application's risk?
print(
    mk.truth.group_by("risk_driver")
    .agg(pl.len().alias("applications"), pl.col("bad").mean().alias("bad_rate"))
    .sort("applications", descending=True)
)

# 6. A few point-in-time features (events strictly before applied_at) and a quick model.
apps = t.applications.select("application_id", "user_id", "applied_at")


def before(table: pl.DataFrame, time_col: str, *aggs: pl.Expr) -> pl.DataFrame:
    seen = apps.join(table, on="user_id").filter(pl.col(time_col) < pl.col("applied_at"))
    return apps.select("application_id").join(
        seen.group_by("application_id").agg(*aggs), on="application_id", how="left"
    )


paid_late = pl.col("paid_at").is_null() | (pl.col("paid_at") >= pl.col("applied_at"))
features = (
    before(
        t.orders,
        "ordered_at",
        pl.len().alias("orders"),
        pl.col("amount").sum().log1p().alias("log_gmv"),
        (pl.col("ordered_at").dt.hour() < 5).mean().alias("night_share"),
    )
    .join(
        before(
            t.bills,
            "due_at",
            (paid_late | (pl.col("paid_at") > pl.col("due_at"))).mean().alias("bill_late_share"),
        ),
        on="application_id",
    )
    .join(
        before(t.profile_changes, "changed_at", pl.len().alias("profile_changes")),
        on="application_id",
    )
    .join(apps, on="application_id")
    .join(t.profiles.select("user_id", "registered_at"), on="user_id")
    .with_columns(
        ((pl.col("applied_at") - pl.col("registered_at")).dt.total_days()).alias("account_age")
    )
    .join(mk.truth.select("application_id", "bad", "true_pd"), on="application_id")
    .sort("application_id")
    .fill_null(0)
)
cols = ["orders", "log_gmv", "night_share", "bill_late_share", "profile_changes", "account_age"]
train = features["application_id"] % 3 != 0
X, y = features.select(cols).to_numpy(), features["bad"].to_numpy()
model = LogisticRegression(max_iter=2_000).fit(X[train.to_numpy()], y[train.to_numpy()])
test = (~train).to_numpy()
auc_model = roc_auc_score(y[test], model.predict_proba(X[test])[:, 1])
auc_truth = roc_auc_score(y[test], features["true_pd"].to_numpy()[test])
print(
    f"AUC of a 6-feature logistic model: {auc_model:.3f}  (true PD, the ceiling: {auc_truth:.3f})"
)
