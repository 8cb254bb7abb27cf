"""Fast seeded event tables for the features benchmark (NumPy, no Python loops)."""

from __future__ import annotations

import numpy as np
import polars as pl

DAY_US = 86_400_000_000
START_US = 1_672_531_200_000_000  # 2023-01-01
HORIZON_DAYS = 730
CATEGORIES = np.array(
    ["grocery", "toys", "fashion", "electronics", "health", "home", "beauty", "sports"]
)
STATUSES = np.array(["paid"] * 8 + ["cancelled", "refunded", "returned"])


def _ts(us: np.ndarray) -> pl.Series:
    return pl.Series(us.astype(np.int64)).cast(pl.Datetime("us"))


def make_tables(
    n_users: int, n_orders: int, n_bills: int, n_installments: int, n_apps: int, seed: int = 0
) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    span = HORIZON_DAYS * DAY_US
    apps = pl.DataFrame(
        {
            "application_id": np.arange(n_apps, dtype=np.int64),
            "user_id": rng.integers(0, n_users, n_apps),
            "applied_at": _ts(START_US + 365 * DAY_US + rng.integers(0, 365 * DAY_US, n_apps)),
        }
    )
    orders = pl.DataFrame(
        {
            "order_id": np.arange(n_orders, dtype=np.int64),
            "user_id": rng.integers(0, n_users, n_orders),
            "ordered_at": _ts(START_US + rng.integers(0, span, n_orders)),
            "amount": np.round(rng.lognormal(4, 1, n_orders), 2),
            "category": pl.Series(CATEGORIES[rng.integers(0, len(CATEGORIES), n_orders)]),
            "status": pl.Series(STATUSES[rng.integers(0, len(STATUSES), n_orders)]),
            "payment_method": pl.Series(
                np.array(["card", "balance", "pay_later"])[rng.integers(0, 3, n_orders)]
            ),
            "installments": rng.choice(np.array([1, 1, 1, 3, 6]), n_orders),
        }
    )
    issued = START_US + rng.integers(0, span, n_bills)
    due = issued + rng.integers(5, 30, n_bills) * DAY_US
    paid = rng.random(n_bills) < 0.9
    paid_at = np.where(paid, due + rng.integers(-5 * DAY_US, 40 * DAY_US, n_bills), 0)
    amount_due = np.round(rng.uniform(10, 500, n_bills), 2)
    bills = pl.DataFrame(
        {
            "bill_id": np.arange(n_bills, dtype=np.int64),
            "user_id": rng.integers(0, n_users, n_bills),
            "issued_at": _ts(issued),
            "due_at": _ts(due),
            "amount_due": amount_due,
            "paid_at": _ts(paid_at).set(pl.Series(~paid), None)
            if False
            else _ts(paid_at).scatter(np.flatnonzero(~paid), None),
            "amount_paid": np.where(paid, amount_due, 0.0),
        }
    )
    n_loans = max(1, n_installments // 4)
    disb = START_US + rng.integers(0, span - 150 * DAY_US, n_loans)
    loans = pl.DataFrame(
        {
            "loan_id": np.arange(n_loans, dtype=np.int64),
            "user_id": rng.integers(0, n_users, n_loans),
            "disbursed_at": _ts(disb),
            "principal": np.round(rng.uniform(50, 2000, n_loans), 2),
            "product": pl.Series(np.array(["installment"] * n_loans)),
            "credit_limit": np.full(n_loans, 2000.0),
        }
    )
    loan_of = np.repeat(np.arange(n_loans), 4)[:n_installments]
    no = np.tile(np.arange(1, 5), n_loans)[:n_installments]
    idue = disb[loan_of] + no * 30 * DAY_US
    ipaid = rng.random(n_installments) < 0.93
    ipaid_at = np.where(ipaid, idue + rng.integers(-3 * DAY_US, 20 * DAY_US, n_installments), 0)
    inst = pl.DataFrame(
        {
            "loan_id": loan_of.astype(np.int64),
            "installment_no": no.astype(np.int64),
            "due_at": _ts(idue),
            "amount_due": np.full(n_installments, 100.0),
            "paid_at": _ts(ipaid_at).scatter(np.flatnonzero(~ipaid), None),
            "amount_paid": np.where(ipaid, 100.0, 0.0),
        }
    )
    n_edges = n_users * 2
    a = rng.integers(0, n_users, n_edges)
    b = (a + 1 + rng.integers(0, n_users - 1, n_edges)) % n_users
    edges = pl.DataFrame(
        {
            "user_id": a,
            "peer_id": b,
            "kind": pl.Series(
                np.array(["social", "transfer", "referral"])[rng.integers(0, 3, n_edges)]
            ),
            "since": _ts(START_US + rng.integers(0, span, n_edges)),
        }
    ).unique(["user_id", "peer_id", "kind"])
    profiles = pl.DataFrame(
        {
            "user_id": np.arange(n_users, dtype=np.int64),
            "registered_at": _ts(START_US - rng.integers(0, 700 * DAY_US, n_users)),
            "phone_verified_at": _ts(START_US + rng.integers(0, 100 * DAY_US, n_users)),
        }
    )
    n_ch = n_users
    changes = pl.DataFrame(
        {
            "user_id": rng.integers(0, n_users, n_ch),
            "changed_at": _ts(START_US + rng.integers(0, span, n_ch)),
            "kind": pl.Series(np.array(["device", "address", "phone"])[rng.integers(0, 3, n_ch)]),
        }
    ).unique(["user_id", "changed_at", "kind"])
    return {
        "applications": apps,
        "orders": orders,
        "bills": bills,
        "loans": loans,
        "installments": inst,
        "edges": edges,
        "profiles": profiles,
        "profile_changes": changes,
    }
