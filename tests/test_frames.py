"""The dataframe edge: any supported frame in, the same kind out."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from thinfile_credit._frames import frame_kind, from_polars, is_spark, to_polars
from thinfile_credit.errors import DataError


@pytest.fixture
def pdf() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "amount": [1.5, None, 3.0],
            "category": ["a", "b", None],
            "at": pd.to_datetime(["2024-01-01", "2024-02-01", None]),
        }
    )


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow", "polars-lazy"])
def test_round_trip_keeps_kind_and_values(pdf: pd.DataFrame, kind: str) -> None:
    base = pl.from_pandas(pdf)
    native = {
        "pandas": pdf,
        "polars": base,
        "pyarrow": base.to_arrow(),
        "polars-lazy": base.lazy(),
    }[kind]
    assert frame_kind(native) == kind
    df, got_kind = to_polars(native)
    assert got_kind == kind
    assert isinstance(df, pl.DataFrame)
    assert df.columns == list(pdf.columns)
    assert df["amount"].null_count() == 1
    back = from_polars(df, got_kind)
    assert frame_kind(back) == kind


def test_duckdb_relation_round_trip(pdf: pd.DataFrame) -> None:
    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.from_arrow(pl.from_pandas(pdf).to_arrow())
    df, kind = to_polars(rel)
    assert kind == "duckdb"
    assert df.height == 3
    assert frame_kind(from_polars(df, kind)) == "duckdb"


@pytest.mark.parametrize("bad", [[1, 2], {"a": [1]}, 3.0, "frame"])
def test_unsupported_input_raises_data_error_naming_table(bad: object) -> None:
    with pytest.raises(DataError, match="orders"):
        to_polars(bad, table="orders")


def test_is_spark_false_for_local_frames(pdf: pd.DataFrame) -> None:
    assert not is_spark(pdf)
    assert not is_spark(pa.table({"a": [1]}))


def test_from_polars_rejects_spark_kind() -> None:
    with pytest.raises(DataError):
        from_polars(pl.DataFrame({"a": [1]}), "spark")
