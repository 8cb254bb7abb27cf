"""Extra columns are allowed and ignored: never read, so never a reason to fail.

Only the columns of a table's spec are converted. A duplicated name of a spec column is
still reported (in ``"collect"`` mode as a problem, never raised), and an all-missing
pandas ``object`` column reads as null, alike in validation and in the feature builder.
"""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from schema_tables_data import KINDS, convert, valid_tables

from thinfile_credit.errors import DataError
from thinfile_credit.schema import SchemaValidationError, _checks, validate_table, validate_tables


def _interval_column(n: int) -> pa.Array:
    return pa.array([pa.scalar((1, 2, 3), pa.month_day_nano_interval())] * n)


def test_pandas_extra_column_mixing_numbers_and_text_is_ignored() -> None:
    orders = valid_tables()["orders"].to_pandas()
    orders["coupon"] = pd.Series([10, "SPRING", None, 3.5], dtype=object)
    assert validate_table(orders, "orders", errors="collect") == []
    validate_table(orders, "orders")  # raise mode: nothing to raise


def test_pandas_extra_duplicated_column_is_ignored() -> None:
    orders = valid_tables()["orders"].to_pandas()
    orders = pd.concat([orders, pd.DataFrame({"x": [1] * 4, "y": [2] * 4})], axis=1)
    orders.columns = [*orders.columns[:-2], "x", "x"]
    assert validate_table(orders, "orders", errors="collect") == []


@pytest.mark.parametrize("errors", ["collect", "raise"])
def test_arrow_extra_unreadable_column_is_ignored(errors: str) -> None:
    orders = valid_tables()["orders"].to_arrow()
    orders = orders.append_column("interval", _interval_column(orders.num_rows))
    assert validate_table(orders, "orders", errors=errors) in ([], None)  # type: ignore[call-overload]


def test_arrow_duplicated_spec_column_is_collected_not_raised() -> None:
    orders = valid_tables()["orders"].to_arrow()
    orders = orders.append_column("amount", pa.array([1.0, 2.0, 3.0, 4.0]))
    orders = orders.append_column("interval", _interval_column(orders.num_rows))
    problems = validate_table(orders, "orders", errors="collect")
    assert [(p.table, p.column, p.check) for p in problems] == [
        ("orders", "amount", "duplicate_column")
    ]
    with pytest.raises(SchemaValidationError) as info:
        validate_table(orders, "orders")
    assert (info.value.table, info.value.column) == ("orders", "amount")


def test_arrow_unreadable_spec_column_is_collected_and_the_rest_checked() -> None:
    orders = valid_tables()["orders"].to_arrow()
    index = orders.column_names.index("category")
    orders = orders.set_column(index, "category", _interval_column(orders.num_rows))
    amount = orders.column_names.index("amount")
    orders = orders.set_column(amount, "amount", pa.array([1.0, -2.0, 3.0, 4.0]))
    problems = validate_table(orders, "orders", errors="collect")
    found = {(p.column, p.check): p.rows for p in problems}
    assert ("category", "dtype") in found
    assert found[("amount", "min_value")] == (1,)


def test_failure_reading_the_readable_columns_is_collected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orders = valid_tables()["orders"].to_arrow()
    orders = orders.append_column("amount", pa.array([1.0, 2.0, 3.0, 4.0]))
    calls = []
    real = _checks.to_polars

    def second_read_fails(frame, table=None, **kw):  # type: ignore[no-untyped-def]
        calls.append(table)
        if len(calls) > 1:
            raise DataError("cannot be read as a table: disk on fire", table=table)
        return real(frame, table, **kw)

    monkeypatch.setattr(_checks, "to_polars", second_read_fails)
    problems = validate_table(orders, "orders", errors="collect")
    assert [(p.column, p.check) for p in problems] == [
        ("amount", "duplicate_column"),
        (None, "unreadable"),
    ]
    assert "disk on fire" in problems[1].message


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_validates_with_unread_extra_columns(kind: str) -> None:
    tables = {
        name: convert(df.with_columns(pl.lit("extra").alias("zz_extra")), kind)
        for name, df in valid_tables().items()
    }
    assert validate_tables(tables, errors="collect") == []


def test_empty_pandas_table_of_object_columns_is_valid() -> None:
    bills = pd.DataFrame(columns=list(valid_tables()["bills"].columns))
    tables = {**valid_tables(), "bills": bills}
    assert validate_tables(tables, errors="collect") == []
