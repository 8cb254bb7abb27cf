"""Seeded synthetic credit data for the GBM tests (a logistic ground truth)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def logistic_credit(
    n: int = 3000, seed: int = 0, base_rate_shift: float = -1.5
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Features with known monotone effects, a categorical, missing values; true PD."""
    rng = np.random.default_rng(seed)
    late = rng.exponential(8.0, n)
    age = rng.uniform(0, 1500, n)
    noise = rng.normal(size=n)
    city = rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2])
    late[rng.random(n) < 0.05] = np.nan
    z = (
        base_rate_shift
        + 0.09 * np.nan_to_num(late, nan=8.0)
        - 0.0012 * age
        + np.where(city == "east", 0.6, 0.0)
    )
    pd_true = 1.0 / (1.0 + np.exp(-z))
    y = (rng.random(n) < pd_true).astype(int)
    X = pd.DataFrame(
        {
            "bill_max_days_late_365d": late,
            "ten_account_age_days": age,
            "noise": noise,
            "city": city,
        }
    )
    return X, y, pd_true
