"""Small hand-made repayment histories for the label tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

D0 = dt.date(2024, 1, 1)


def day(offset: int) -> pd.Timestamp:
    """The timestamp ``offset`` days after 2024-01-01."""
    return pd.Timestamp(D0 + dt.timedelta(days=offset))


def tables(
    loans: list[tuple[Any, Any, int]],
    instalments: list[tuple[Any, int, float, int | None, float]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build loans ``(loan_id, user_id, disbursed)`` and instalments
    ``(loan_id, due, amount_due, paid or None, amount_paid)``; days are offsets from D0."""
    lo = pd.DataFrame(
        {
            "loan_id": [x[0] for x in loans],
            "user_id": [x[1] for x in loans],
            "disbursed_at": [day(x[2]) for x in loans],
        }
    )
    no = {}
    rows = []
    for loan_id, due, amount_due, paid, amount_paid in instalments:
        no[loan_id] = no.get(loan_id, 0) + 1
        rows.append(
            {
                "loan_id": loan_id,
                "installment_no": no[loan_id],
                "due_at": day(due),
                "amount_due": amount_due,
                "paid_at": day(paid) if paid is not None else pd.NaT,
                "amount_paid": amount_paid,
            }
        )
    ins = pd.DataFrame(
        rows,
        columns=["loan_id", "installment_no", "due_at", "amount_due", "paid_at", "amount_paid"],
    )
    ins["paid_at"] = pd.to_datetime(ins["paid_at"])
    ins["due_at"] = pd.to_datetime(ins["due_at"])
    return lo, ins
