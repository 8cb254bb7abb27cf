"""Bad input: each defect raises SchemaError naming the table, the column and the rows.

Every case runs on pandas, Polars and PyArrow frames built from the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import polars as pl
import pytest
from schema_tables_data import KINDS, convert, valid_tables

from thinfile_credit.errors import SchemaError, ThinfileError
from thinfile_credit.schema import EventTables, SchemaValidationError, validate_tables

Tables = dict[str, pl.DataFrame]


def _set(table: str, column: str, row: int, value: object) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        df = t[table]
        values = df.get_column(column).to_list()
        values[row] = value
        t[table] = df.with_columns(pl.Series(column, values, dtype=df.schema[column]))

    return mutate


def _with(table: str, *exprs: pl.Expr) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        t[table] = t[table].with_columns(*exprs)

    return mutate


def _drop(table: str, column: str) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        t[table] = t[table].drop(column)

    return mutate


def _tz(table: str, column: str, tz: str) -> Callable[[Tables], None]:
    return _with(table, pl.col(column).dt.replace_time_zone(tz))


def _all_tz(tz: str) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        for name, df in t.items():
            cols = [c for c, d in df.schema.items() if isinstance(d, pl.Datetime)]
            t[name] = df.with_columns(pl.col(cols).dt.replace_time_zone(tz))

    return mutate


def _then(*mutations: Callable[[Tables], None]) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        for m in mutations:
            m(t)

    return mutate


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Tables], None]
    table: str
    column: str
    checks: tuple[str, ...]  # the check name (pandas may see NaN as null, hence a set)
    rows: tuple[int, ...] = ()  # rows that must be quoted
    # pandas has no date dtype: Polars dates arrive as datetime64, so rebuild the defect.
    pandas_mutate: Callable[[dict[str, pd.DataFrame]], None] | None = None


def _pandas_dates(table: str, column: str) -> Callable[[dict[str, pd.DataFrame]], None]:
    def mutate(t: dict[str, pd.DataFrame]) -> None:
        t[table][column] = t[table][column].dt.date  # object column of datetime.date

    return mutate


CASES = [
    Case("missing-column", _drop("orders", "amount"), "orders", "amount", ("missing_column",)),
    Case(
        "negative-amount",
        _set("orders", "amount", 2, -5.0),
        "orders",
        "amount",
        ("min_value",),
        (2,),
    ),
    Case(
        "negative-principal",
        _set("loans", "principal", 1, -1.0),
        "loans",
        "principal",
        ("min_value",),
        (1,),
    ),
    Case(
        "negative-requested",
        _set("applications", "requested_amount", 0, -100.0),
        "applications",
        "requested_amount",
        ("min_value",),
        (0,),
    ),
    Case(
        "zero-installments",
        _set("orders", "installments", 3, 0),
        "orders",
        "installments",
        ("min_value",),
        (3,),
    ),
    Case(
        "status-not-allowed",
        _set("orders", "status", 1, "lost"),
        "orders",
        "status",
        ("allowed",),
        (1,),
    ),
    Case(
        "change-kind-not-allowed",
        _set("profile_changes", "kind", 0, "email"),
        "profile_changes",
        "kind",
        ("allowed",),
        (0,),
    ),
    Case(
        "duplicate-order-id",
        _set("orders", "order_id", 3, 10),
        "orders",
        "order_id",
        ("duplicate_key",),
        (0, 3),
    ),
    Case(
        "duplicate-profile",
        _set("profiles", "user_id", 2, 2),
        "profiles",
        "user_id",
        ("duplicate_key",),
        (1, 2),
    ),
    Case(
        "duplicate-installment-no",
        _set("installments", "installment_no", 1, 1),
        "installments",
        "(loan_id, installment_no)",
        ("duplicate_key",),
        (0, 1),
    ),
    Case(
        "null-user-id",
        _set("orders", "user_id", 1, None),
        "orders",
        "user_id",
        ("null",),
        (1,),
    ),
    Case(
        "null-issued-at",
        _set("bills", "issued_at", 0, None),
        "bills",
        "issued_at",
        ("null",),
        (0,),
    ),
    Case(
        "nan-amount",
        _set("orders", "amount", 0, float("nan")),
        "orders",
        "amount",
        ("nan", "null"),  # pandas stores a missing float as NaN: read as null
        (0,),
    ),
    Case(
        "inf-amount-due",
        _set("bills", "amount_due", 2, float("inf")),
        "bills",
        "amount_due",
        ("infinite",),
        (2,),
    ),
    Case(
        "date-as-text",
        _with("orders", pl.col("ordered_at").dt.strftime("%Y-%m-%d")),
        "orders",
        "ordered_at",
        ("dtype",),
    ),
    Case(
        "date-not-datetime",
        _with("loans", pl.col("disbursed_at").cast(pl.Date)),
        "loans",
        "disbursed_at",
        ("dtype",),
        pandas_mutate=_pandas_dates("loans", "disbursed_at"),
    ),
    Case(
        "fractional-installment-no",
        _with("installments", pl.col("installment_no").cast(pl.Float64) + 0.5),
        "installments",
        "installment_no",
        ("dtype",),
    ),
    Case(
        "numeric-category",
        _with("orders", pl.col("installments").alias("category")),
        "orders",
        "category",
        ("dtype",),
    ),
    Case(
        "due-before-issue",
        _set("bills", "due_at", 1, datetime(2023, 12, 1)),
        "bills",
        "due_at",
        ("due_before_issue",),
        (1,),
    ),
    Case(
        "paid-before-issue",
        _set("bills", "paid_at", 0, datetime(2023, 12, 31)),
        "bills",
        "paid_at",
        ("paid_before_issue",),
        (0,),
    ),
    Case(
        "status-before-order",
        _set("orders", "status_at", 1, datetime(2024, 1, 8)),
        "orders",
        "status_at",
        ("status_before_order",),
        (1,),
    ),
    Case(
        "status-at-as-text",
        _with("orders", pl.col("status_at").dt.strftime("%Y-%m-%d")),
        "orders",
        "status_at",
        ("dtype",),
    ),
    Case(
        "status-at-as-numbers",
        _with("orders", pl.col("status_at").dt.epoch("s")),
        "orders",
        "status_at",
        ("dtype",),
    ),
    Case(
        "status-at-aware-among-naive",
        _tz("orders", "status_at", "UTC"),
        "orders",
        "status_at",
        ("time_zone",),
    ),
    Case(
        "bill-paid-without-date",
        _set("bills", "amount_paid", 2, 10.0),
        "bills",
        "amount_paid",
        ("paid_without_date",),
        (2,),
    ),
    Case(
        "installment-paid-without-date",
        _set("installments", "amount_paid", 3, 78.0),
        "installments",
        "amount_paid",
        ("paid_without_date",),
        (3,),
    ),
    Case(
        "installment-paid-before-disbursal",
        _set("installments", "paid_at", 2, datetime(2024, 2, 1)),
        "installments",
        "paid_at",
        ("paid_before_disbursed",),
        (2,),
    ),
    Case(
        "installment-due-before-disbursal",
        _set("installments", "due_at", 0, datetime(2024, 1, 1)),
        "installments",
        "due_at",
        ("due_before_disbursed",),
        (0,),
    ),
    Case(
        "unknown-loan",
        _set("installments", "loan_id", 3, 99),
        "installments",
        "loan_id",
        ("foreign_key",),
        (3,),
    ),
    Case(
        "self-loop",
        _set("edges", "peer_id", 1, 2),
        "edges",
        "peer_id",
        ("self_loop",),
        (1,),
    ),
    Case(
        "aware-across-tables",
        _tz("orders", "ordered_at", "UTC"),
        "orders",
        "ordered_at",
        ("time_zone",),
    ),
    Case(
        "aware-within-table",
        _tz("bills", "due_at", "UTC"),
        "bills",
        "due_at",
        ("time_zone",),
    ),
    Case(
        "time-zones-across-tables",
        _then(_all_tz("Asia/Shanghai"), _tz("edges", "since", "UTC")),
        "edges",
        "since",
        ("time_zone",),
    ),
    Case(
        "naive-among-aware",
        _then(
            _all_tz("UTC"), _with("profiles", pl.col("registered_at").dt.replace_time_zone(None))
        ),
        "profiles",
        "registered_at",
        ("time_zone",),
    ),
    Case(
        "id-kind-mismatch",
        _with("profiles", pl.col("user_id").cast(pl.String)),
        "profiles",
        "user_id",
        ("id_kind",),
    ),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_defect_is_reported(case: Case, kind: str) -> None:
    tables = valid_tables()
    case.mutate(tables)
    frames = {n: convert(df, kind) for n, df in tables.items()}
    if kind == "pandas" and case.pandas_mutate is not None:
        case.pandas_mutate(frames)
    event_tables = EventTables(**frames)

    with pytest.raises(SchemaError) as info:
        event_tables.validate()
    err = info.value
    assert isinstance(err, ThinfileError)
    assert isinstance(err, ValueError)
    message = str(err)
    assert case.table in message
    assert case.column in message
    assert (err.table, err.column) == (case.table, case.column), message
    assert isinstance(err, SchemaValidationError)
    assert len(err.problems) == 1, message  # the defect and nothing else
    problem = err.problems[0]
    assert problem.check in case.checks
    assert set(case.rows) <= set(problem.rows)
    for row in case.rows:
        assert str(row) in message


@pytest.mark.parametrize("kind", KINDS)
def test_valid_tables_pass(kind: str) -> None:
    tables = EventTables(**{n: convert(df, kind) for n, df in valid_tables().items()})
    assert validate_tables(tables, errors="collect") == []
    assert tables.validate() is tables


@pytest.mark.parametrize("kind", KINDS)
def test_all_aware_in_one_zone_pass(kind: str) -> None:
    tables = valid_tables()
    _all_tz("Asia/Shanghai")(tables)
    assert (
        validate_tables({n: convert(df, kind) for n, df in tables.items()}, errors="collect") == []
    )


# ------------------------------------------------------------------ pandas-only traps


def test_pandas_object_column_mixing_naive_and_aware() -> None:
    orders = valid_tables()["orders"].to_pandas()
    stamps = [pd.Timestamp("2024-01-05", tz="UTC")] + [pd.Timestamp("2024-01-09")] * 3
    orders["ordered_at"] = pd.Series(stamps, dtype=object)
    with pytest.raises(
        SchemaValidationError, match=r"orders\.ordered_at: .*Python objects"
    ) as info:
        EventTables(orders=orders).validate()
    assert info.value.problems[0].check == "dtype"


def test_pandas_object_column_mixing_time_zones() -> None:
    bills = valid_tables()["bills"].to_pandas()
    bills["issued_at"] = pd.Series(
        [
            pd.Timestamp("2024-01-01", tz="UTC"),
            pd.Timestamp("2024-01-01", tz="Asia/Shanghai"),
            pd.Timestamp("2024-02-01", tz="UTC"),
        ],
        dtype=object,
    )
    with pytest.raises(SchemaError, match=r"bills\.issued_at"):
        EventTables(bills=bills).validate()


def test_pandas_id_column_mixing_numbers_and_text() -> None:
    orders = valid_tables()["orders"].to_pandas()
    orders["order_id"] = pd.Series([10, "x11", 12, 13], dtype=object)
    problems = validate_tables({"orders": orders}, errors="collect")
    assert [(p.table, p.column, p.check) for p in problems] == [("orders", "order_id", "dtype")]
    assert problems[0].rows == (1,)  # the value not of the column's most common kind
    assert "number, text" in problems[0].message


def test_pandas_duplicated_column_name() -> None:
    orders = valid_tables()["orders"].to_pandas()
    orders = pd.concat([orders, orders[["amount"]]], axis=1)
    with pytest.raises(SchemaError, match=r"orders\.amount: column name appears more than once"):
        EventTables(orders=orders).validate()


def test_pandas_nullable_integer_ids_as_float_are_accepted() -> None:
    loans = valid_tables()["loans"].to_pandas()
    assert loans["application_id"].dtype == np.float64  # Polars -> pandas: NaN for null
    assert validate_tables({"loans": loans}, errors="collect") == []


def test_pandas_rows_are_positions_not_index_labels() -> None:
    orders = valid_tables()["orders"].to_pandas()
    orders.index = [50, 40, 30, 20]
    orders.loc[30, "amount"] = -1.0
    with pytest.raises(SchemaError) as info:
        EventTables(orders=orders).validate()
    assert info.value.rows == [2]


# ------------------------------------------------------------------ other bad input


def test_not_a_frame() -> None:
    with pytest.raises(SchemaError, match=r"orders: .*expected a pandas"):
        EventTables(orders=[{"order_id": 1}]).validate()


def test_unknown_table_name_in_mapping() -> None:
    with pytest.raises(SchemaError, match=r"payments: not a table of the model"):
        validate_tables({"payments": pl.DataFrame({"a": [1]})})


def test_bad_errors_mode() -> None:
    with pytest.raises(SchemaError, match="errors must be"):
        validate_tables(EventTables(), errors="warn")  # type: ignore[call-overload]


def test_not_tables() -> None:
    with pytest.raises(SchemaError, match="expected EventTables"):
        validate_tables([1, 2])  # type: ignore[call-overload]


def test_many_offending_rows_quote_five_and_count_the_rest() -> None:
    n = 40
    orders = pl.DataFrame(
        {
            "order_id": range(n),
            "user_id": [1] * n,
            "ordered_at": [datetime(2024, 1, 1)] * n,
            "amount": [-1.0 if i % 3 == 0 else 1.0 for i in range(n)],
            "category": ["food"] * n,
            "status": ["paid"] * n,
        }
    )
    with pytest.raises(SchemaValidationError) as info:
        validate_tables({"orders": orders})
    err = info.value
    assert err.rows == [0, 3, 6, 9, 12]
    assert err.problems[0].n_rows == 14
    assert "in 14 rows (rows: 0, 3, 6, 9, 12 and 9 more)" in str(err)


def test_all_problems_listed_in_one_error() -> None:
    tables = valid_tables()
    _set("orders", "amount", 0, -1.0)(tables)
    _set("edges", "peer_id", 0, 1)(tables)
    _drop("bills", "due_at")(tables)
    with pytest.raises(SchemaValidationError) as info:
        validate_tables(tables)
    err = info.value
    # Structural problems first.
    assert [(p.table, p.column, p.check) for p in err.problems] == [
        ("bills", "due_at", "missing_column"),
        ("orders", "amount", "min_value"),
        ("edges", "peer_id", "self_loop"),
    ]
    text = str(err)
    assert text.startswith("bills.due_at: required column is missing")
    assert "and 2 more problems:" in text
    assert "orders.amount" in text
    assert "edges.peer_id" in text


def test_date_dtype_message_gives_a_hint() -> None:
    loans = valid_tables()["loans"].with_columns(pl.col("disbursed_at").cast(pl.Date))
    with pytest.raises(SchemaError, match="cast the dates to datetimes"):
        validate_tables({"loans": loans})
