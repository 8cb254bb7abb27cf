"""The data model's specs: ColumnSpec / TableSpec helpers and the consistency of TABLES."""

from __future__ import annotations

import dataclasses

import pytest

from thinfile_credit.schema import (
    ORDER_STATUSES,
    PROFILE_CHANGE_KINDS,
    TABLES,
    ColumnSpec,
    TableSpec,
)

NUMERIC = {"float", "int"}


def test_the_eight_tables_in_model_order() -> None:
    assert list(TABLES) == [
        "applications",
        "orders",
        "bills",
        "loans",
        "installments",
        "edges",
        "profiles",
        "profile_changes",
    ]
    assert all(spec.name == name for name, spec in TABLES.items())


def test_column_lookup_and_required_columns() -> None:
    orders = TABLES["orders"]
    assert orders.column("amount") == ColumnSpec(
        "amount", "float", min_value=0.0, description="Order value (GMV), yuan."
    )
    assert orders.required_columns == (
        "order_id",
        "user_id",
        "ordered_at",
        "amount",
        "category",
        "status",
    )
    with pytest.raises(KeyError, match="orders has no column 'price'"):
        orders.column("price")


def test_specs_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        TABLES["orders"].key = ("x",)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        TABLES["orders"].columns[0].nullable = True  # type: ignore[misc]


def test_column_spec_defaults() -> None:
    col = ColumnSpec("x", "int")
    assert (col.required, col.nullable, col.min_value, col.allowed) == (True, False, None, None)
    table = TableSpec("t", (col,), key=("x",))
    assert table.user_column == "user_id"
    assert table.foreign_keys == ()
    assert table.required_columns == ("x",)


@pytest.mark.parametrize("name", list(TABLES))
def test_table_spec_is_consistent(name: str) -> None:
    spec = TABLES[name]
    names = [c.name for c in spec.columns]
    assert len(names) == len(set(names)), "column names must be unique"
    assert spec.description
    for col in spec.columns:
        assert col.description, f"{name}.{col.name} lacks a description"
        assert col.dtype in {"id", "datetime", "float", "int", "string"}
        if col.min_value is not None:
            assert col.dtype in NUMERIC
        if col.allowed is not None:
            assert col.dtype == "string"
        if col.required is False:
            assert col.name not in spec.key
    for key in spec.key:
        col = spec.column(key)
        assert col.required
        assert not col.nullable, f"key column {name}.{key} may not be null"
    if spec.time_column is not None:
        time_col = spec.column(spec.time_column)
        assert time_col.dtype == "datetime"
        assert not time_col.nullable
    if spec.user_column is not None:
        assert spec.column(spec.user_column).dtype == "id"
    for column, other, other_column in spec.foreign_keys:
        assert spec.column(column).dtype == "id"
        assert other_column in TABLES[other].key


def test_amounts_are_never_negative() -> None:
    for spec in TABLES.values():
        for col in spec.columns:
            if col.name.startswith("amount") or col.name in {"principal", "credit_limit"}:
                assert col.min_value == 0.0, f"{spec.name}.{col.name}"


def test_closed_value_sets() -> None:
    assert TABLES["orders"].column("status").allowed == ORDER_STATUSES
    assert set(ORDER_STATUSES) == {"paid", "cancelled", "refunded", "returned"}
    assert TABLES["profile_changes"].column("kind").allowed == PROFILE_CHANGE_KINDS


def test_nullable_payment_dates() -> None:
    for name in ("bills", "installments"):
        assert TABLES[name].column("paid_at").nullable
        assert not TABLES[name].column("amount_paid").nullable


def test_status_at_is_an_optional_nullable_time() -> None:
    col = TABLES["orders"].column("status_at")
    assert (col.dtype, col.required, col.nullable) == ("datetime", False, True)
    assert "status_at" not in TABLES["orders"].required_columns
