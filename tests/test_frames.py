"""The dataframe edge: any supported frame in, the same kind out."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from thinfile_credit._frames import (
    UnreadableFrameError,
    column_names,
    frame_kind,
    from_polars,
    is_spark,
    missing_objects_as_null,
    select_columns,
    to_polars,
    unreadable_columns,
)
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


def test_mixed_object_column_raises_data_error_naming_table_column_and_rows() -> None:
    # A pyarrow ArrowInvalid used to escape from every public function.
    frame = pd.DataFrame(
        {
            "ok": [1, 2, 3, 4, 5],
            "zip_code": pd.Series([100000, "10001A", None, 200000, "9X"], dtype=object),
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    with pytest.raises(DataError, match="mixes values of different kinds") as info:
        to_polars(frame, table="applications")
    err = info.value
    assert (err.table, err.column, err.rows) == ("applications", "zip_code", [1, 4])
    assert isinstance(err.__cause__, type(None))  # a clean error, not a chained pyarrow one


def test_every_unreadable_column_is_found() -> None:
    frame = pd.DataFrame({"a": [1, "x", 2], "b": [1.0, 2.0, 3.0], "c": [{"k": 1}, 2, 3]})
    found = unreadable_columns(frame)
    assert [(c.column, c.rows) for c in found] == [("a", (1,)), ("c", (0,))]
    with pytest.raises(DataError, match=r"also unreadable: c") as info:
        to_polars(frame, table="orders")
    assert info.value.column == "a"


def test_duplicate_column_names_raise_data_error() -> None:
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(DataError, match="more than once") as info:
        to_polars(frame, table="orders")
    assert (info.value.table, info.value.column) == ("orders", "a")


def test_unreadable_arrow_column_raises_data_error() -> None:
    union = pa.UnionArray.from_dense(
        pa.array([0, 1], type=pa.int8()),
        pa.array([0, 0], type=pa.int32()),
        [pa.array([1]), pa.array(["a"])],
    )
    with pytest.raises(DataError, match="cannot be read") as info:
        to_polars(pa.table({"a": [1, 2], "u": union}), table="edges")
    assert (info.value.table, info.value.column) == ("edges", "u")


def test_failing_lazy_frame_raises_data_error() -> None:
    lazy = pl.LazyFrame({"a": ["x"]}).select(pl.col("a").cast(pl.Int64))
    with pytest.raises(DataError, match="cannot be read as a table") as info:
        to_polars(lazy, table="orders")
    assert info.value.table == "orders"


def test_good_input_converts_as_before(pdf: pd.DataFrame) -> None:
    df, kind = to_polars(pdf, table="orders")
    expected = pl.from_pandas(pdf)
    assert kind == "pandas"
    assert df.equals(expected)
    assert unreadable_columns(pdf) == []


# ------------------------------------------------------------------ reading only some columns


def _with_junk(kind: str) -> object:
    if kind == "pandas":
        return pd.DataFrame({"a": [1, 2], "junk": pd.Series([1, "x"], dtype=object), "b": [3, 4]})
    interval = pa.array([pa.scalar((1, 2, 3), pa.month_day_nano_interval())] * 2)
    return pa.table({"a": [1, 2], "junk": interval, "b": [3, 4]})


@pytest.mark.parametrize("kind", ["pandas", "pyarrow"])
def test_columns_not_asked_for_are_never_read(kind: str) -> None:
    frame = _with_junk(kind)
    with pytest.raises(UnreadableFrameError) as info:
        to_polars(frame, table="t")
    assert info.value.column == "junk"
    df, got = to_polars(frame, table="t", columns=["b", "a", "absent"])
    assert got == kind
    assert df.columns == ["a", "b"]  # the frame's order
    assert df.equals(pl.DataFrame({"a": [1, 2], "b": [3, 4]}))


@pytest.mark.parametrize("kind", ["pandas", "pyarrow"])
def test_a_duplicated_name_asked_for_stays_an_error(kind: str) -> None:
    if kind == "pandas":
        frame = pd.DataFrame([[1, 2, 3]], columns=["a", "a", "x"])
    else:
        frame = pa.table([pa.array([1]), pa.array([2]), pa.array([3])], names=["a", "a", "x"])
    with pytest.raises(UnreadableFrameError, match="more than once") as info:
        to_polars(frame, table="t", columns=["a"])
    assert (info.value.table, info.value.column) == ("t", "a")
    df, _ = to_polars(frame, table="t", columns=["x"])
    assert df.columns == ["x"]


@pytest.mark.parametrize("kind", ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb"])
def test_select_columns_every_kind(kind: str) -> None:
    base = pl.DataFrame({"a": [1], "b": [2], "c": [3]})
    if kind == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        frame = duckdb.from_arrow(base.to_arrow())
    else:
        frame = {
            "pandas": base.to_pandas(),
            "polars": base,
            "polars-lazy": base.lazy(),
            "pyarrow": base.to_arrow(),
        }[kind]
    assert column_names(frame) == ["a", "b", "c"]
    picked = select_columns(frame, {"c", "a"})
    assert frame_kind(picked) == kind
    assert column_names(picked) == ["a", "c"]
    assert select_columns(frame, ["a", "b", "c"]) is frame  # nothing left out: as given


def test_select_columns_keeps_the_pandas_index() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [3, 4]}, index=[9, 4])
    assert list(select_columns(frame, ["b"]).index) == [9, 4]


def test_from_polars_gives_a_pandas_result_the_index() -> None:
    index = pd.Index(["x", "y"], name="key")
    out = from_polars(pl.DataFrame({"a": [1, 2]}), "pandas", index=index)
    assert out.index.equals(index)
    assert out.index.name == "key"
    # other kinds have no index: ignored
    assert isinstance(from_polars(pl.DataFrame({"a": [1, 2]}), "polars", index=index), pl.DataFrame)
    with pytest.raises(DataError, match="3 labels"):
        from_polars(pl.DataFrame({"a": [1, 2]}), "pandas", index=pd.Index([1, 2, 3]))


def test_missing_objects_read_as_null_only_for_pandas_object_columns() -> None:
    pdf = pd.DataFrame(
        {
            "empty": pd.Series([None, None], dtype=object),
            "text": pd.Series(["a", None], dtype=object),
            "nums": pd.Series([None, None], dtype="float64"),  # typed: kept
        }
    )
    df, kind = to_polars(pdf)
    out = missing_objects_as_null(pdf, kind, df)
    assert out.schema["empty"] == pl.Null
    assert out.schema["text"] == pl.String
    assert out.schema["nums"] == df.schema["nums"]
    polars_frame = pl.DataFrame({"empty": [None, None]}, schema={"empty": pl.String})
    assert (
        missing_objects_as_null(polars_frame, "polars", polars_frame).schema["empty"] == pl.String
    )


def test_an_index_named_like_a_result_column_keeps_its_labels_not_its_name() -> None:
    """Frames indexed by their own id (``set_index("application_id", drop=False)``)
    would make the result's ``application_id`` both a level and a column: merges,
    groupby and reset_index on it fail. The labels stay, the clashing name goes."""
    index = pd.Index([12, 10], name="application_id")
    out = from_polars(
        pl.DataFrame({"application_id": [12, 10], "f": [1.0, 2.0]}), "pandas", index=index
    )
    assert out.index.tolist() == [12, 10]
    assert out.index.name is None
    out.reset_index()  # no clash
    other = pd.Index([5, 6], name="row")
    kept = from_polars(pl.DataFrame({"f": [1.0, 2.0]}), "pandas", index=other)
    assert kept.index.name == "row"
