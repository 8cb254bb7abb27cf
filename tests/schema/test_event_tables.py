"""The EventTables container: names, item access, replace, conversion round trips."""

from __future__ import annotations

import dataclasses

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal
from schema_tables_data import KINDS, convert, valid_tables

from thinfile_credit.errors import DataError
from thinfile_credit.schema import TABLES, EventTables


def test_empty_container() -> None:
    tables = EventTables()
    assert tables.names() == ()
    assert list(tables) == []
    assert tables.to_polars() == {}


def test_names_follow_model_order_not_argument_order() -> None:
    df = pl.DataFrame({"a": [1]})
    tables = EventTables(profiles=df, orders=df, applications=df)
    assert tables.names() == ("applications", "orders", "profiles")
    assert [name for name, _ in tables] == ["applications", "orders", "profiles"]


def test_fields_match_the_data_model() -> None:
    assert tuple(f.name for f in dataclasses.fields(EventTables)) == tuple(TABLES)


def test_getitem_and_get() -> None:
    orders = pl.DataFrame({"order_id": [1]})
    tables = EventTables(orders=orders)
    assert tables["orders"] is orders
    assert tables["bills"] is None
    assert tables.get("bills") is None
    sentinel = pl.DataFrame()
    assert tables.get("bills", sentinel) is sentinel
    assert tables.get("orders", sentinel) is orders
    with pytest.raises(KeyError, match="unknown table 'payments'"):
        tables["payments"]


def test_replace_returns_a_new_container() -> None:
    t = valid_tables()
    tables = EventTables(orders=t["orders"], bills=t["bills"])
    replaced = tables.replace(bills=None, loans=t["loans"])
    assert replaced.names() == ("orders", "loans")
    assert tables.names() == ("orders", "bills")  # original untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        tables.orders = None  # type: ignore[misc]


def test_nothing_is_converted_at_construction() -> None:
    pdf = pd.DataFrame({"x": [1]})
    assert EventTables(orders=pdf).orders is pdf


@pytest.mark.parametrize("source", KINDS)
@pytest.mark.parametrize("target", KINDS)
def test_to_kind_round_trip(source: str, target: str) -> None:
    original = valid_tables()
    tables = EventTables(**{n: convert(df, source) for n, df in original.items()})
    converted = tables.to_kind(target)  # type: ignore[arg-type]
    expected_type = {"pandas": pd.DataFrame, "polars": pl.DataFrame, "pyarrow": pa.Table}[target]
    assert converted.names() == tables.names()
    for name, frame in converted:
        assert isinstance(frame, expected_type)
    back = converted.to_polars()
    for name, df in original.items():
        # pandas stores an integer column with nulls as float; compare values, not widths.
        assert_frame_equal(back[name], df, check_dtypes=False)
    converted.validate()


def test_to_polars_names_the_table_for_a_non_frame() -> None:
    with pytest.raises(DataError, match="orders"):
        EventTables(orders={"order_id": [1]}).to_polars()
