"""Validation behaviour on valid and borderline input: what passes, what is reported how."""

from __future__ import annotations

import pickle
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from schema_tables_data import KINDS, convert, valid_tables

from thinfile_credit.errors import SchemaError
from thinfile_credit.schema import (
    EventTables,
    SchemaProblem,
    SchemaValidationError,
    problems_frame,
    validate_table,
    validate_tables,
)


@pytest.mark.parametrize("kind", KINDS)
def test_extra_columns_are_kept_and_ignored(kind: str) -> None:
    orders = valid_tables()["orders"].with_columns(
        pl.lit("x").alias("merchant"), pl.lit(-1.0).alias("discount")
    )
    frame = convert(orders, kind)
    assert validate_table(frame, "orders", errors="collect") == []
    assert "merchant" in EventTables(orders=frame).validate().to_polars()["orders"].columns


def test_optional_columns_may_be_absent() -> None:
    orders = valid_tables()["orders"].drop("payment_method", "installments", "status_at")
    applications = valid_tables()["applications"].select("application_id", "user_id", "applied_at")
    assert validate_tables({"orders": orders, "applications": applications}, errors="collect") == []


@pytest.mark.parametrize("kind", KINDS)
def test_status_at_may_be_null_at_the_order_moment_or_on_a_paid_order(kind: str) -> None:
    orders = valid_tables()["orders"]
    # the paid order carries its payment moment, another status is known when placed
    assert orders.filter(pl.col("status") == "paid")["status_at"].is_not_null().all()
    assert orders["status_at"].null_count() == 1
    at_order = orders.with_columns(status_at=pl.col("ordered_at"))  # reached at once
    all_null = orders.with_columns(status_at=pl.lit(None, pl.Datetime("us")))
    for frame in (orders, at_order, all_null):
        assert validate_table(convert(frame, kind), "orders", errors="collect") == []


@pytest.mark.parametrize("kind", KINDS)
def test_status_reached_before_the_order_names_table_column_and_rows(kind: str) -> None:
    orders = valid_tables()["orders"].with_columns(
        status_at=pl.when(pl.col("order_id").is_in([11, 13]))
        .then(pl.col("ordered_at") - pl.duration(seconds=1))
        .otherwise(pl.col("status_at"))
    )
    with pytest.raises(SchemaValidationError) as info:
        validate_table(convert(orders, kind), "orders")
    err = info.value
    assert (err.table, err.column, err.rows) == ("orders", "status_at", [1, 3])
    assert [p.check for p in err.problems] == ["status_before_order"]
    assert str(err) == "orders.status_at: status reached before ordered_at in 2 rows (rows: 1, 3)"


@pytest.mark.parametrize("kind", KINDS)
def test_empty_tables_pass(kind: str) -> None:
    tables = {n: convert(df.clear(), kind) for n, df in valid_tables().items()}
    assert validate_tables(tables, errors="collect") == []


def test_all_null_nullable_column_of_null_dtype_passes() -> None:
    bills = valid_tables()["bills"].with_columns(
        pl.lit(None).alias("paid_at"), pl.lit(0.0).alias("amount_paid")
    )
    assert bills.schema["paid_at"] == pl.Null
    assert validate_table(bills, "bills", errors="collect") == []


def test_pandas_empty_frames_built_from_column_names_pass() -> None:
    # pd.DataFrame(columns=[...]) makes every column object; it used to be read as text
    # and rejected with "parse the text with pd.to_datetime" where Polars passes.
    tables = {n: pd.DataFrame(columns=df.columns) for n, df in valid_tables().items()}
    assert all((frame.dtypes == np.dtype(object)).all() for frame in tables.values())
    assert validate_tables(tables, errors="collect") == []


@pytest.mark.parametrize("kind", ["pandas", "pandas-object", "polars", "pyarrow"])
def test_all_null_nullable_column_passes_for_every_frame_kind(kind: str) -> None:
    bills = valid_tables()["bills"].with_columns(
        pl.lit(None).alias("paid_at"), pl.lit(0.0).alias("amount_paid")
    )
    if kind == "pandas-object":
        frame = bills.to_pandas().assign(paid_at=pd.Series([None] * 3, dtype=object))
        assert frame["paid_at"].dtype == object
    else:
        frame = convert(bills, kind)
    assert validate_table(frame, "bills", errors="collect") == []


@pytest.mark.parametrize("kind", ["pandas-object", "polars"])
def test_all_null_required_column_reports_nulls(kind: str) -> None:
    orders = valid_tables()["orders"].with_columns(pl.lit(None).alias("user_id"))
    frame = orders
    if kind == "pandas-object":
        frame = orders.to_pandas().assign(user_id=pd.Series([None] * 4, dtype=object))
    (problem,) = validate_table(frame, "orders", errors="collect")
    assert (problem.column, problem.check, problem.n_rows) == ("user_id", "null", 4)


def test_pandas_object_column_with_text_is_still_text() -> None:
    bills = valid_tables()["bills"].to_pandas()
    bills["paid_at"] = pd.Series(["2024-01-10", None, None], dtype=object)
    (problem,) = validate_table(bills, "bills", errors="collect")
    assert (problem.column, problem.check) == ("paid_at", "dtype")
    assert "pd.to_datetime" in problem.message


def test_unsigned_64_bit_ids_above_int64_resolve_across_tables() -> None:
    # Hashed / snowflake ids above 2**63 used to crash the cross-table checks.
    big = 2**63 + 5
    tables = valid_tables()
    loans = tables["loans"].with_columns(pl.Series("loan_id", [big, big + 1], dtype=pl.UInt64))
    inst = tables["installments"].with_columns(
        pl.Series("loan_id", [big, big, big + 1, big + 1], dtype=pl.UInt64)
    )
    assert validate_tables({"loans": loans, "installments": inst}, errors="collect") == []
    # An unknown id is reported at its row.
    missing = inst.with_columns(pl.Series("loan_id", [big, big, big + 1, 7], dtype=pl.UInt64))
    (problem,) = validate_tables({"loans": loans, "installments": missing}, errors="collect")
    assert (problem.column, problem.check, problem.rows) == ("loan_id", "foreign_key", (3,))
    # Instalments are matched to their loans by these ids (due before disbursal).
    early = inst.with_columns(pl.col("due_at").dt.offset_by("-1y"))
    problems = validate_tables({"loans": loans, "installments": early}, errors="collect")
    assert {(p.check, p.n_rows) for p in problems} == {("due_before_disbursed", 4)}
    # Integer ids of another width still compare with them.
    small = tables["loans"].with_columns(pl.col("loan_id").cast(pl.Int8))
    (problem,) = validate_tables({"loans": small, "installments": inst}, errors="collect")
    assert (problem.check, problem.n_rows) == ("foreign_key", 4)


@pytest.mark.parametrize("kind", KINDS)
def test_whole_float_ids_beyond_int64_are_a_dtype_problem_naming_rows(kind: str) -> None:
    orders = valid_tables()["orders"].with_columns(
        pl.Series("order_id", [1.0, 1e20, 3.0, -1e19]), pl.Series("user_id", [1.0, 1.0, 2.0, 3.0])
    )
    (problem,) = validate_table(convert(orders, kind), "orders", errors="collect")
    assert (problem.column, problem.check, problem.n_rows, problem.rows) == (
        "order_id",
        "dtype",
        2,
        (1, 3),
    )
    assert "beyond the 64-bit integer range" in problem.message


def test_fractional_float_ids_name_their_rows() -> None:
    orders = valid_tables()["orders"].with_columns(pl.Series("order_id", [1.0, 1.5, 3.0, 4.0]))
    (problem,) = validate_table(orders, "orders", errors="collect")
    assert (problem.check, problem.n_rows, problem.rows) == ("dtype", 1, (1,))
    assert "not whole numbers" in problem.message


@pytest.mark.parametrize("kind", ["pandas", "pyarrow"])
def test_categorical_integer_ids_are_integer_ids(kind: str) -> None:
    # A pandas Categorical (or Arrow dictionary) of integer ids must compare as integers
    # with the integer user_id of another table, not as text.
    tables = valid_tables()
    apps = tables["applications"].to_pandas()
    apps["user_id"] = pd.Categorical(apps["user_id"])
    frame = apps if kind == "pandas" else pa.Table.from_pandas(apps, preserve_index=False)
    problems = validate_tables(
        {"applications": frame, "profiles": tables["profiles"]}, errors="collect"
    )
    assert problems == []


def test_categorical_and_enum_text_columns() -> None:
    orders = valid_tables()["orders"].with_columns(
        pl.col("status").cast(pl.Enum(["paid", "cancelled", "refunded", "returned", "lost"])),
        pl.col("category").cast(pl.Categorical),
    )
    assert validate_table(orders, "orders", errors="collect") == []
    bad = orders.with_columns(pl.lit("lost").cast(orders.schema["status"]).alias("status"))
    (problem,) = validate_table(bad, "orders", errors="collect")
    assert (problem.column, problem.check, problem.n_rows) == ("status", "allowed", 4)


def test_text_ids_and_mixed_integer_widths_resolve() -> None:
    t = valid_tables()
    loans = t["loans"].with_columns(pl.col("loan_id").cast(pl.Int32))
    installments = t["installments"].with_columns(pl.col("loan_id").cast(pl.UInt16))
    assert validate_tables({"loans": loans, "installments": installments}, errors="collect") == []
    loans = t["loans"].with_columns(pl.col("loan_id").cast(pl.String))
    installments = t["installments"].with_columns(
        pl.col("loan_id").cast(pl.String).cast(pl.Categorical)
    )
    assert validate_tables({"loans": loans, "installments": installments}, errors="collect") == []


def test_time_units_may_differ() -> None:
    t = valid_tables()
    loans = t["loans"].with_columns(pl.col("disbursed_at").dt.cast_time_unit("ns"))
    installments = t["installments"].with_columns(pl.col("paid_at").dt.cast_time_unit("ms"))
    assert validate_tables({"loans": loans, "installments": installments}, errors="collect") == []


def test_integer_amounts_are_numbers() -> None:
    orders = valid_tables()["orders"].with_columns(pl.col("amount").round(0).cast(pl.Int64))
    assert validate_table(orders, "orders", errors="collect") == []


def test_boolean_is_not_a_number() -> None:
    orders = valid_tables()["orders"].with_columns(pl.lit(True).alias("amount"))
    (problem,) = validate_table(orders, "orders", errors="collect")
    assert (problem.column, problem.check) == ("amount", "dtype")
    assert "expected numbers, got Boolean" in problem.message


def test_foreign_keys_need_both_tables() -> None:
    t = valid_tables()
    installments = t["installments"].with_columns(pl.col("loan_id") + 90)
    assert validate_table(installments, "installments", errors="collect") == []
    problems = validate_tables(
        {"loans": t["loans"], "installments": installments}, errors="collect"
    )
    assert [(p.column, p.check, p.n_rows) for p in problems] == [("loan_id", "foreign_key", 4)]


def test_installments_against_duplicated_loans_use_first_loan_row() -> None:
    t = valid_tables()
    loans = pl.concat([t["loans"], t["loans"].head(1)])
    problems = validate_tables(
        {"loans": loans, "installments": t["installments"]}, errors="collect"
    )
    assert [(p.table, p.check, p.rows) for p in problems] == [("loans", "duplicate_key", (0, 2))]


def test_lazy_and_duckdb_frames() -> None:
    orders = valid_tables()["orders"]
    assert validate_table(orders.lazy(), "orders", errors="collect") == []
    relation = duckdb.from_arrow(orders.to_arrow())
    assert validate_table(relation, "orders", errors="collect") == []


def test_mixed_frame_kinds_in_one_container() -> None:
    t = valid_tables()
    tables = EventTables(
        loans=convert(t["loans"], "pandas"),
        installments=convert(t["installments"], "pyarrow"),
        orders=t["orders"],
    )
    assert validate_tables(tables, errors="collect") == []


def test_validate_chains_and_raises() -> None:
    t = valid_tables()
    tables = EventTables(**t)
    assert tables.validate() is tables
    bad = tables.replace(orders=t["orders"].with_columns(pl.lit(-1.0).alias("amount")))
    with pytest.raises(SchemaError, match=r"orders\.amount"):
        bad.validate()


def test_collect_mode_and_problems_frame() -> None:
    t = valid_tables()
    t["orders"] = t["orders"].with_columns(pl.lit("lost").alias("status"))
    t["bills"] = t["bills"].drop("amount_due")
    problems = validate_tables(t, errors="collect")
    frame = problems_frame(problems)
    assert frame.columns == ["table", "column", "check", "n_rows", "rows", "message"]
    assert frame.select("table", "column", "check", "n_rows").rows() == [
        ("bills", "amount_due", "missing_column", 0),
        ("orders", "status", "allowed", 4),
    ]
    assert frame["rows"].to_list()[1] == [0, 1, 2, 3]
    assert problems_frame([]).height == 0


def test_error_pickles_with_its_problems() -> None:
    problem = SchemaProblem("bills", "due_at", "due_before_issue", "due before", 1, (4,))
    err = SchemaValidationError.from_problems([problem, problem])
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is SchemaValidationError
    assert back.problems == err.problems
    assert str(back) == str(err)
    assert (back.table, back.column, back.rows) == ("bills", "due_at", [4])


def test_problem_rendering() -> None:
    assert str(SchemaProblem("orders", None, "unreadable", "bad")) == "orders: bad"
    one = SchemaProblem("orders", "amount", "nan", "NaN value", 1, (0,))
    assert str(one) == "orders.amount: NaN value in 1 row (rows: 0)"
    assert one.to_dict()["rows"] == [0]


def test_long_problem_lists_are_truncated_in_the_message() -> None:
    problems = [SchemaProblem("orders", f"c{i}", "dtype", "bad") for i in range(30)]
    text = str(SchemaValidationError.from_problems(problems))
    assert "and 29 more problems:" in text
    assert "9 more (see .problems)" in text


@pytest.mark.slow
def test_million_orders_validate() -> None:
    n = 1_000_000
    rng = np.random.default_rng(0)
    orders = pl.DataFrame(
        {
            "order_id": np.arange(n),
            "user_id": rng.integers(0, 100_000, n),
            "ordered_at": pl.datetime_range(
                datetime(2024, 1, 1), datetime(2024, 1, 12, 13, 46, 39), "1s", eager=True
            ),
            "amount": rng.lognormal(4, 1, n),
            "category": rng.choice(["food", "toys", "home"], n),
            "status": rng.choice(["paid", "refunded"], n),
        }
    )
    assert validate_table(orders, "orders", errors="collect") == []
    bad = orders.with_columns(
        pl.when(pl.col("order_id") % 1000 == 7).then(-1.0).otherwise("amount").alias("amount")
    )
    (problem,) = validate_table(bad, "orders", errors="collect")
    assert problem.n_rows == 1000
    assert problem.rows == (7, 1007, 2007, 3007, 4007)


def test_duplicate_key_quotes_the_repeated_value() -> None:
    t = valid_tables()
    bills = t["bills"].with_columns(pl.Series("bill_id", ["b1", "b3", "b3"]))
    (problem,) = validate_table(bills, "bills", errors="collect")
    assert problem.rows == (1, 2)
    assert "first repeated: bill_id='b3'" in problem.message
    installments = t["installments"].with_columns(pl.Series("installment_no", [1, 2, 2, 2]))
    (problem,) = validate_table(installments, "installments", errors="collect")
    assert problem.column == "(loan_id, installment_no)"
    assert "first repeated: loan_id=8, installment_no=2" in problem.message
