"""A tiny seeded random marketplace for feature tests (independent of the synthetic module)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

from thinfile_credit.schema import EventTables

START = datetime(2023, 1, 1)
CATEGORIES = ("grocery", "toys", "fashion", "electronics", "health")
STATUSES = ("paid", "paid", "paid", "cancelled", "refunded", "returned")


def _times(rng: np.random.Generator, n: int, days: float = 400.0) -> list[datetime]:
    # whole minutes so every engine sees identical instants
    mins = rng.integers(0, int(days * 24 * 60), size=n)
    return [START + timedelta(minutes=int(m)) for m in mins]


def make_tables(
    n_users: int = 30, seed: int = 0, apps_per_user: int = 2, status_times: bool = True
) -> EventTables:
    """Every table, with late, unpaid, partly paid and paid-after-application rows.

    ``status_times``: orders carry ``status_at`` (refunds, returns and cancellations days
    after ordering, some at the very moment of the order; paid orders half null), drawn
    from a stream of their own so every other column is the same without it.
    """
    rng = np.random.default_rng(seed)
    users = np.arange(1, n_users + 1)
    # applications: some users twice, user n_users has no history at all
    n_apps = n_users * apps_per_user
    app_users = rng.choice(users, size=n_apps)
    app_users[0] = n_users
    apps = pl.DataFrame(
        {
            "application_id": np.arange(100, 100 + n_apps),
            "user_id": app_users,
            "applied_at": _times(rng, n_apps),
        }
    )
    active = users[:-1]
    n_o = n_users * 12
    orders = pl.DataFrame(
        {
            "order_id": np.arange(n_o),
            "user_id": rng.choice(active, n_o),
            "ordered_at": _times(rng, n_o),
            "amount": np.round(rng.lognormal(3, 1, n_o), 2),
            "category": rng.choice(CATEGORIES, n_o),
            "status": rng.choice(STATUSES, n_o),
            "payment_method": pl.Series(
                [
                    None if m == "none" else m
                    for m in rng.choice(["card", "pay_later", "none"], n_o)
                ],
                dtype=pl.String,
            ),
            "installments": rng.choice([1, 1, 3, 6], n_o),
        }
    )
    n_b = n_users * 6
    issued = _times(rng, n_b)
    due = [i + timedelta(days=int(d)) for i, d in zip(issued, rng.integers(5, 30, n_b))]
    late = rng.integers(-5, 60, n_b)
    paid_flag = rng.random(n_b) < 0.85
    paid_at = [
        d + timedelta(days=int(k), hours=int(h)) if p else None
        for d, k, h, p in zip(due, late, rng.integers(0, 24, n_b), paid_flag)
    ]
    amount_due = np.round(rng.uniform(10, 300, n_b), 2)
    partial = rng.random(n_b) < 0.1
    amount_paid = np.where(paid_flag, np.where(partial, amount_due / 2, amount_due), 0.0)
    bills = pl.DataFrame(
        {
            "bill_id": np.arange(n_b),
            "user_id": rng.choice(active, n_b),
            "issued_at": issued,
            "due_at": due,
            "amount_due": amount_due,
            "paid_at": pl.Series(paid_at, dtype=pl.Datetime("us")),
            "amount_paid": amount_paid,
        }
    )
    n_l = n_users * 2
    disbursed = _times(rng, n_l, days=300)
    loans = pl.DataFrame(
        {
            "loan_id": np.arange(n_l),
            "user_id": rng.choice(active, n_l),
            "disbursed_at": disbursed,
            "principal": np.round(rng.uniform(50, 500, n_l), 2),
            "product": rng.choice(["installment", "revolving"], n_l),
            "credit_limit": pl.Series(
                [600.0 if r < 0.8 else None for r in rng.random(n_l)], dtype=pl.Float64
            ),
        }
    )
    rows = []
    for lid, d0 in zip(loans["loan_id"], disbursed):
        k = int(rng.integers(1, 5))
        for j in range(1, k + 1):
            due_i = d0 + timedelta(days=30 * j)
            r = rng.random()
            if r < 0.6:
                pa, amt = due_i - timedelta(days=int(rng.integers(0, 5))), 1.0
            elif r < 0.8:
                pa, amt = due_i + timedelta(days=int(rng.integers(1, 150))), 1.0
            elif r < 0.9:
                pa, amt = due_i + timedelta(days=int(rng.integers(0, 20))), 0.5
            else:
                pa, amt = None, 0.0
            rows.append((lid, j, due_i, 100.0, pa, 100.0 * amt if pa else 0.0))
    inst = pl.DataFrame(
        rows,
        schema={
            "loan_id": pl.Int64,
            "installment_no": pl.Int64,
            "due_at": pl.Datetime("us"),
            "amount_due": pl.Float64,
            "paid_at": pl.Datetime("us"),
            "amount_paid": pl.Float64,
        },
        orient="row",
    )
    pairs = set()
    while len(pairs) < n_users * 2:
        a, b = rng.choice(active, 2, replace=False)
        pairs.add((int(a), int(b), str(rng.choice(["social", "transfer", "referral"]))))
    pairs_l = sorted(pairs)
    edges = pl.DataFrame(
        {
            "user_id": [p[0] for p in pairs_l],
            "peer_id": [p[1] for p in pairs_l],
            "kind": [p[2] for p in pairs_l],
            "since": _times(rng, len(pairs_l)),
        }
    )
    reg = [
        START - timedelta(days=int(d)) + timedelta(days=200)
        for d in rng.integers(0, 400, len(active))
    ]
    phone = [
        r + timedelta(days=int(d)) if rng.random() < 0.8 else None
        for r, d in zip(reg, rng.integers(0, 100, len(active)))
    ]
    profiles = pl.DataFrame(
        {
            "user_id": active,
            "registered_at": reg,
            "phone_verified_at": pl.Series(phone, dtype=pl.Datetime("us")),
        }
    )
    n_c = n_users * 3
    changes = pl.DataFrame(
        {
            "user_id": rng.choice(active, n_c),
            "changed_at": _times(rng, n_c),
            "kind": rng.choice(["device", "address", "phone"], n_c),
        }
    ).unique(["user_id", "changed_at", "kind"], maintain_order=True)
    if status_times:
        orders = orders.with_columns(status_at=_status_times(orders, seed))
    return EventTables(
        applications=apps,
        orders=orders,
        bills=bills,
        loans=loans,
        installments=inst,
        edges=edges,
        profiles=profiles,
        profile_changes=changes,
    )


def _status_times(orders: pl.DataFrame, seed: int) -> pl.Series:
    """When each order reached its status: 0-60 days after ordering in whole minutes
    (1 in 10 at the order's very moment); for a paid order, null half of the time."""
    rng = np.random.default_rng([seed, 1])
    n = orders.height
    minutes = np.where(rng.random(n) < 0.1, 0, rng.integers(0, 60 * 24 * 60, n))
    null = (orders["status"] == "paid").to_numpy() & (rng.random(n) < 0.5)
    return pl.Series(
        "status_at",
        [
            None if skip else at + timedelta(minutes=int(m))
            for at, m, skip in zip(orders["ordered_at"], minutes, null, strict=True)
        ],
        dtype=pl.Datetime("us"),
    )
