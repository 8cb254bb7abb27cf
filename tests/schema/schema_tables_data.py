"""Small valid, cross-consistent event tables shared by the schema tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

KINDS = ("pandas", "polars", "pyarrow")


def valid_tables() -> dict[str, pl.DataFrame]:
    d = datetime
    return {
        "applications": pl.DataFrame(
            {
                "application_id": [100, 101, 102],
                "user_id": [1, 2, 3],
                "applied_at": [d(2024, 3, 1), d(2024, 3, 2), d(2024, 3, 3)],
                "requested_amount": [500.0, None, 200.0],
                "channel": ["app", "web", None],
            }
        ),
        "orders": pl.DataFrame(
            {
                "order_id": [10, 11, 12, 13],
                "user_id": [1, 1, 2, 3],
                "ordered_at": [d(2024, 1, 5), d(2024, 1, 9), d(2024, 2, 1), d(2024, 2, 3)],
                "amount": [25.5, 310.0, 0.0, 48.2],
                "category": ["food", "digital", "home", "food"],
                "status": ["paid", "refunded", "cancelled", "returned"],
                # a payment minutes later, a refund weeks later, a cancellation at the
                # very moment of the order, a status known when placed
                "status_at": [d(2024, 1, 5, 0, 3), d(2024, 1, 30), d(2024, 2, 1), None],
                "payment_method": ["card", "pay_later", None, "balance"],
                "installments": [1, 3, 1, 1],
            }
        ),
        "bills": pl.DataFrame(
            {
                "bill_id": ["b1", "b2", "b3"],
                "user_id": [1, 2, 2],
                "issued_at": [d(2024, 1, 1), d(2024, 1, 1), d(2024, 2, 1)],
                "due_at": [d(2024, 1, 15), d(2024, 1, 15), d(2024, 2, 15)],
                "amount_due": [80.0, 120.0, 60.0],
                "paid_at": [d(2024, 1, 10), d(2024, 1, 20), None],
                "amount_paid": [80.0, 120.0, 0.0],
            }
        ),
        "loans": pl.DataFrame(
            {
                "loan_id": [7, 8],
                "user_id": [1, 3],
                "disbursed_at": [d(2024, 1, 20), d(2024, 2, 5)],
                "principal": [300.0, 150.0],
                "product": ["installment", "installment"],
                "credit_limit": [500.0, None],
                "application_id": [None, 102],
            }
        ),
        "installments": pl.DataFrame(
            {
                "loan_id": [7, 7, 8, 8],
                "installment_no": [1, 2, 1, 2],
                "due_at": [d(2024, 2, 20), d(2024, 3, 20), d(2024, 3, 5), d(2024, 4, 5)],
                "amount_due": [155.0, 155.0, 78.0, 78.0],
                "paid_at": [d(2024, 2, 19), None, d(2024, 3, 9), None],
                "amount_paid": [155.0, 0.0, 78.0, 0.0],
            }
        ),
        "edges": pl.DataFrame(
            {
                "user_id": [1, 2],
                "peer_id": [2, 3],
                "kind": ["social", "transfer"],
                "since": [d(2023, 6, 1), d(2023, 9, 1)],
            }
        ),
        "profiles": pl.DataFrame(
            {
                "user_id": [1, 2, 3],
                "registered_at": [d(2022, 1, 1), d(2023, 5, 1), d(2023, 12, 1)],
                "phone_verified_at": [d(2022, 1, 1), None, d(2023, 12, 2)],
                "stated_income": [60000.0, None, 48000.0],
                "bureau_score": [650.0, None, None],
            }
        ),
        "profile_changes": pl.DataFrame(
            {
                "user_id": [1, 1],
                "changed_at": [d(2023, 1, 1), d(2023, 8, 1)],
                "kind": ["device", "address"],
            }
        ),
    }


def convert(df: pl.DataFrame, kind: str) -> Any:
    """A Polars frame as the given kind of frame."""
    if kind == "pandas":
        return df.to_pandas()
    if kind == "pyarrow":
        return df.to_arrow()
    return df
