"""Point-in-time features for a synthetic marketplace: batch, data dictionary, online."""

import math

import polars as pl

from thinfile_credit.features import (
    BillFeatures,
    ConsumptionFeatures,
    FeatureBuilder,
    ThinFileFeatures,
)
from thinfile_credit.schema import EventTables
from thinfile_credit.synthetic import make_marketplace

# 1. A seeded marketplace: pandas frames of every event table plus applications.
market = make_marketplace(1_000, seed=7)
tables = market.tables

# 2. All families, default windows (30, 90, 180, 365 days): one row per application.
fb = FeatureBuilder()
X = fb.build(tables)  # pandas in, pandas out
print(type(X).__name__, X.shape)
print(
    X[
        [
            "application_id",
            "cons_order_count_90d",
            "bill_ontime_share_180d",
            "loan_max_dpd_ever",
            "soc_default_neighbour_share",
            "thin_file",
        ]
    ].head()
)

# 3. The data dictionary behind reason texts.
dictionary = fb.describe()
print(
    dictionary.loc[dictionary["name"].str.startswith("bill_"), ["name", "unit", "direction"]].head(
        8
    )
)

# 4. Your frame in, your frame out: the same tables as Polars give Polars.
X_pl = fb.build(tables.to_kind("polars"))
assert isinstance(X_pl, pl.DataFrame)

# 5. Online: one applicant's raw events (dicts) give exactly the batch row.
app = X.iloc[0]
events = {
    name: pl.from_pandas(frame).to_dicts() for name, frame in tables if name != "applications"
}
row = fb.build_one(events, app["applied_at"].to_pydatetime(), user_id=app["user_id"])
for name in fb.feature_names_:
    a, b = row[name], app[name]
    assert (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
print("build_one equals the batch row for application", app["application_id"])

# 6. Your own families and options: shorter windows, a stricter thin-file rule.
custom = FeatureBuilder(
    [
        ConsumptionFeatures(windows=(7, 30), essential_categories=("groceries", "baby")),
        BillFeatures(windows=(90,), late_days=(1, 7)),
        ThinFileFeatures(min_history_days=365, min_events=20),
    ]
)
print(custom.feature_names_[:5], "...", len(custom.feature_names_), "features")
Xc = custom.build(
    EventTables(applications=tables.applications, orders=tables.orders, bills=tables.bills)
)
print("thin-file share:", round(float(Xc["thin_file"].mean()), 3))
