"""featuretools DFS with a cutoff time per application (run in its own venv, pandas<3).

Usage: python _features_ft.py DATA_DIR N_APPS -> prints JSON {"seconds", "n_apps", "features"}
Per window (30/90/180/365 days, ``training_window``) it aggregates orders (count, sum,
mean, median, max, std, num_unique of category) and bills (count, mean, max of days
late, sum of on-time flags) for each application's user as of the application moment.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import pandas as pd

warnings.filterwarnings("ignore")


def main() -> None:
    import featuretools as ft

    folder, n_apps = sys.argv[1], int(sys.argv[2])
    apps = pd.read_parquet(f"{folder}/applications.parquet").head(n_apps)
    users = apps["user_id"].unique()
    orders = pd.read_parquet(f"{folder}/orders.parquet")
    orders = orders[orders["user_id"].isin(users)]
    bills = pd.read_parquet(f"{folder}/bills.parquet")
    bills = bills[bills["user_id"].isin(users)].copy()
    bills["days_late"] = (bills["paid_at"] - bills["due_at"]).dt.total_seconds() / 86400
    bills["ontime"] = (bills["paid_at"] <= bills["due_at"]).astype(float)
    start = time.perf_counter()
    es = ft.EntitySet("marketplace")
    es.add_dataframe(
        dataframe_name="users", dataframe=pd.DataFrame({"user_id": users}), index="user_id"
    )
    es.add_dataframe(
        dataframe_name="orders",
        dataframe=orders[["order_id", "user_id", "ordered_at", "amount", "category"]],
        index="order_id",
        time_index="ordered_at",
    )
    es.add_dataframe(
        dataframe_name="bills",
        dataframe=bills[["bill_id", "user_id", "due_at", "days_late", "ontime"]],
        index="bill_id",
        time_index="due_at",
    )
    es.add_relationship("users", "user_id", "orders", "user_id")
    es.add_relationship("users", "user_id", "bills", "user_id")
    cutoff = pd.DataFrame({"user_id": apps["user_id"], "time": apps["applied_at"]})
    n_features = 0
    for w in (30, 90, 180, 365):
        _fm, defs = ft.dfs(
            entityset=es,
            target_dataframe_name="users",
            cutoff_time=cutoff,
            agg_primitives=["count", "sum", "mean", "median", "max", "std", "num_unique"],
            trans_primitives=[],
            training_window=f"{w} days",
            max_depth=1,
            cutoff_time_in_index=True,
            verbose=False,
        )
        n_features += len(defs)
    print(
        json.dumps(
            {"seconds": time.perf_counter() - start, "n_apps": len(apps), "features": n_features}
        )
    )


if __name__ == "__main__":
    main()
