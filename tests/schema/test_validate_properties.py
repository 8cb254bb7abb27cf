"""Properties: any valid random tables pass; one injected defect is caught at its row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schema_tables_data import KINDS, convert

from thinfile_credit.errors import SchemaError
from thinfile_credit.schema import ORDER_STATUSES, EventTables, SchemaValidationError

START = datetime(2023, 1, 1)
Tables = dict[str, pl.DataFrame]

moments = st.integers(0, 600 * 24).map(lambda h: START + timedelta(hours=h))
amounts = st.floats(0, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def valid_tables(draw: st.DrawFn) -> Tables:
    n = draw(st.integers(1, 25))
    id_kind = draw(st.sampled_from(["int", "text"]))
    ids = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n, unique=True))
    ordered = draw(st.lists(moments, min_size=n, max_size=n))
    # the status reached at the order's moment (0 hours) or later, or known when placed
    status_after = draw(st.lists(st.none() | st.integers(0, 60 * 24), min_size=n, max_size=n))
    orders = pl.DataFrame(
        {
            "order_id": [f"o{i}" for i in ids] if id_kind == "text" else ids,
            "user_id": draw(st.lists(st.integers(1, 20), min_size=n, max_size=n)),
            "ordered_at": ordered,
            "amount": draw(st.lists(amounts, min_size=n, max_size=n)),
            "category": draw(st.lists(st.sampled_from(["food", "home"]), min_size=n, max_size=n)),
            "status": draw(st.lists(st.sampled_from(ORDER_STATUSES), min_size=n, max_size=n)),
            "status_at": [
                None if h is None else t + timedelta(hours=h)
                for t, h in zip(ordered, status_after, strict=True)
            ],
            "installments": draw(st.lists(st.integers(1, 12), min_size=n, max_size=n)),
        },
        schema_overrides={"status_at": pl.Datetime("us")},
    )

    m = draw(st.integers(1, 20))
    issued = draw(st.lists(moments, min_size=m, max_size=m))
    due = [t + timedelta(days=d) for t, d in zip(issued, draw(_ints(m, 0, 60)))]
    paid_after = draw(st.lists(st.none() | st.integers(0, 90), min_size=m, max_size=m))
    bills = pl.DataFrame(
        {
            "bill_id": range(m),
            "user_id": draw(_ints(m, 1, 20)),
            "issued_at": issued,
            "due_at": due,
            "amount_due": draw(st.lists(amounts, min_size=m, max_size=m)),
            "paid_at": [
                None if d is None else t + timedelta(days=d) for t, d in zip(issued, paid_after)
            ],
            "amount_paid": [0.0 if d is None else 10.0 for d in paid_after],
        },
        schema_overrides={"paid_at": pl.Datetime("us")},
    )

    k = draw(st.integers(1, 8))
    disbursed = draw(st.lists(moments, min_size=k, max_size=k))
    loans = pl.DataFrame(
        {
            "loan_id": range(k),
            "user_id": draw(_ints(k, 1, 20)),
            "disbursed_at": disbursed,
            "principal": draw(st.lists(amounts, min_size=k, max_size=k)),
            "product": ["installment"] * k,
        }
    )
    rows = []
    for loan, start in enumerate(disbursed):
        for no in range(1, draw(st.integers(1, 3)) + 1):
            paid = draw(st.booleans())
            rows.append(
                {
                    "loan_id": loan,
                    "installment_no": no,
                    "due_at": start + timedelta(days=30 * no),
                    "amount_due": 50.0,
                    "paid_at": start + timedelta(days=draw(st.integers(0, 40 * no)))
                    if paid
                    else None,
                    "amount_paid": 50.0 if paid else 0.0,
                }
            )
    installments = pl.DataFrame(rows, schema_overrides={"paid_at": pl.Datetime("us")})

    pairs = draw(
        st.lists(
            st.tuples(st.integers(1, 20), st.integers(1, 20)).filter(lambda p: p[0] != p[1]),
            min_size=1,
            max_size=15,
            unique=True,
        )
    )
    edges = pl.DataFrame(
        {
            "user_id": [a for a, _ in pairs],
            "peer_id": [b for _, b in pairs],
            "kind": ["social"] * len(pairs),
            "since": draw(st.lists(moments, min_size=len(pairs), max_size=len(pairs))),
        }
    )
    return {
        "orders": orders,
        "bills": bills,
        "loans": loans,
        "installments": installments,
        "edges": edges,
    }


def _ints(n: int, lo: int, hi: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(lo, hi), min_size=n, max_size=n)


def _put(df: pl.DataFrame, column: str, row: int, value: object) -> pl.DataFrame:
    values = df.get_column(column).to_list()
    values[row] = value
    return df.with_columns(pl.Series(column, values, dtype=df.schema[column]))


def _column(t: Tables, table: str, column: str, row: int, value: object) -> None:
    t[table] = _put(t[table], column, row, value)


def _duplicate_order_id(t: Tables, row: int) -> None:
    other = (row + 1) % t["orders"].height
    _column(t, "orders", "order_id", row, t["orders"]["order_id"][other])


def _due_before_issue(t: Tables, row: int) -> None:
    _column(t, "bills", "due_at", row, t["bills"]["issued_at"][row] - timedelta(days=1))


def _status_before_order(t: Tables, row: int) -> None:
    ordered = t["orders"]["ordered_at"][row]
    _column(t, "orders", "status_at", row, ordered - timedelta(microseconds=1))


def _paid_without_date(t: Tables, row: int) -> None:
    _column(t, "bills", "paid_at", row, None)
    _column(t, "bills", "amount_paid", row, 5.0)


def _self_loop(t: Tables, row: int) -> None:
    _column(t, "edges", "peer_id", row, t["edges"]["user_id"][row])


def _paid_before_disbursal(t: Tables, row: int) -> None:
    loan = t["installments"]["loan_id"][row]
    disbursed = t["loans"].filter(pl.col("loan_id") == loan)["disbursed_at"][0]
    _column(t, "installments", "paid_at", row, disbursed - timedelta(hours=1))
    _column(t, "installments", "amount_paid", row, 50.0)


def _unknown_loan(t: Tables, row: int) -> None:
    _column(t, "installments", "loan_id", row, 10_000)


# defect name -> (table, column, injector)
DEFECTS: dict[str, tuple[str, str, Callable[[Tables, int], None]]] = {
    "negative": ("orders", "amount", lambda t, r: _column(t, "orders", "amount", r, -0.01)),
    "infinite": ("orders", "amount", lambda t, r: _column(t, "orders", "amount", r, float("inf"))),
    "null": ("orders", "user_id", lambda t, r: _column(t, "orders", "user_id", r, None)),
    "status": ("orders", "status", lambda t, r: _column(t, "orders", "status", r, "lost")),
    "instalments": (
        "orders",
        "installments",
        lambda t, r: _column(t, "orders", "installments", r, 0),
    ),
    "duplicate": ("orders", "order_id", _duplicate_order_id),
    "status_before_order": ("orders", "status_at", _status_before_order),
    "due_before_issue": ("bills", "due_at", _due_before_issue),
    "paid_without_date": ("bills", "amount_paid", _paid_without_date),
    "self_loop": ("edges", "peer_id", _self_loop),
    "paid_before_disbursal": ("installments", "paid_at", _paid_before_disbursal),
    "unknown_loan": ("installments", "loan_id", _unknown_loan),
}


@given(tables=valid_tables(), kind=st.sampled_from(KINDS))
def test_valid_random_tables_pass(tables: Tables, kind: str) -> None:
    EventTables(**{n: convert(df, kind) for n, df in tables.items()}).validate()


@settings(max_examples=60)
@given(
    tables=valid_tables(),
    kind=st.sampled_from(KINDS),
    defect=st.sampled_from(sorted(DEFECTS)),
    data=st.data(),
)
def test_one_defect_is_caught_at_its_row(
    tables: Tables, kind: str, defect: str, data: st.DataObject
) -> None:
    table, column, inject = DEFECTS[defect]
    if defect == "duplicate" and tables["orders"].height < 2:
        return
    row = data.draw(st.integers(0, tables[table].height - 1), label="row")
    inject(tables, row)
    frames = EventTables(**{n: convert(df, kind) for n, df in tables.items()})
    with pytest.raises(SchemaError) as info:
        frames.validate()
    err = info.value
    assert isinstance(err, SchemaValidationError)
    assert len(err.problems) == 1, str(err)
    problem = err.problems[0]
    assert (problem.table, problem.column) == (table, column), str(err)
    assert row in problem.rows
    assert f"{table}.{column}" in str(err)
    assert problem.n_rows == (2 if defect == "duplicate" else 1)
