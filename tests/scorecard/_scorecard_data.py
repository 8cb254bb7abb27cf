"""Synthetic thin-file style data with missing values, special codes and categories."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_applicants(n: int = 10_000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Features named by the library's convention and a 0/1 bad flag drawn from a logit."""
    rng = np.random.default_rng(seed)
    orders = rng.poisson(6, n).astype(float)
    gmv = np.round(rng.lognormal(6, 1, n), 2)
    ontime = np.round(rng.beta(6, 1.5, n), 3)
    dpd = rng.choice([0, 0, 0, 0, 3, 10, 35, 95], n).astype(float)
    age_days = rng.integers(5, 2500, n).astype(float)
    device = rng.choice(["android", "ios", "web", "feature_phone"], n, p=[0.55, 0.3, 0.12, 0.03])
    z = (
        -2.2
        - 0.12 * (orders - 6)
        - 0.25 * np.log(gmv / 400)
        - 2.0 * (ontime - 0.8)
        + 0.02 * dpd
        - 0.0006 * (age_days - 1000)
        + np.select([device == "feature_phone", device == "web"], [0.8, 0.3], 0.0)
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    X = pd.DataFrame(
        {
            "cons_order_count_90d": orders,
            "cons_gmv_sum_365d": gmv,
            "bill_ontime_share_180d": ontime,
            "loan_max_dpd_ever": dpd,
            "ten_account_age_days": age_days,
            "ten_device_type": device,
        }
    )
    # no bill history for a tenth of applicants; -1 = "bureau record withheld"
    no_bills = rng.random(n) < 0.1
    X.loc[no_bills, "bill_ontime_share_180d"] = np.nan
    y[no_bills] = (rng.random(no_bills.sum()) < 0.25).astype(int)
    withheld = rng.random(n) < 0.03
    X.loc[withheld, "loan_max_dpd_ever"] = -1.0
    return X, y
