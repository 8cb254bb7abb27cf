"""Out-of-time and stratified splits."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, SchemaError, SpecError
from thinfile_credit.splits import out_of_time_split, stratified_split


@pytest.fixture
def apps() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 1000
    return pd.DataFrame(
        {
            "application_id": np.arange(n),
            "user_id": rng.integers(0, 300, n),
            "applied_at": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "bad": (rng.random(n) < 0.1).astype(int),
        }
    )


def test_out_of_time_by_cutoff(apps):
    train, test = out_of_time_split(apps, "applied_at", cutoff="2024-10-01")
    assert train["applied_at"].max() < pd.Timestamp("2024-10-01") <= test["applied_at"].min()
    assert len(train) + len(test) == len(apps)
    # Input row order is kept on each side.
    assert train["application_id"].is_monotonic_increasing


def test_out_of_time_by_share_keeps_ties_together(apps):
    train, test = out_of_time_split(apps, "applied_at", test_share=0.25)
    assert train["applied_at"].max() < test["applied_at"].min()
    assert 0.25 <= len(test) / len(apps) < 0.25 + 10 / len(apps)


def _expected_test_rows(days: list[int], share: float) -> int:
    """The documented rule, written independently: the ceil(share * n) latest rows (a
    product within 1e-6 of a whole number counting as it), plus rows tied with the
    earliest of them."""
    n = len(days)
    n_test = max(1, math.ceil(Fraction(share) * n - Fraction(1, 10**6)))
    cut = sorted(days)[n - n_test]
    return sum(d >= cut for d in days)


@given(st.lists(st.integers(0, 30), min_size=1, max_size=80), st.floats(0.01, 0.99))
def test_out_of_time_share_property(days: list[int], share: float) -> None:
    df = pl.DataFrame({"t": [dt.date(2024, 1, 1) + dt.timedelta(days=d) for d in days]})
    expected = _expected_test_rows(days, share)
    if expected == len(days):
        # Genuinely impossible: the rows the share asks for reach back to the earliest
        # time (e.g. all rows share one timestamp), so nothing is left to train on.
        with pytest.raises(DataError, match="train side") as info:
            out_of_time_split(df, "t", test_share=share)
        assert info.value.column == "t"
        return
    train, test = out_of_time_split(df, "t", test_share=share)
    assert test.height == expected
    assert train.height + test.height == len(days)
    assert train["t"].max() < test["t"].min()


@pytest.mark.parametrize(
    ("share", "n", "n_test"),
    [(0.9, 10, 9), (0.3, 90, 27), (0.7, 10, 7), (0.1, 10, 1), (0.3, 170, 51), (0.5, 3, 2)],
)
def test_out_of_time_share_is_exact_on_distinct_times(share: float, n: int, n_test: int) -> None:
    # (1 - 0.9) * 10 is 0.9999999999999998 in floats: the split must still be 9 / 1.
    df = pl.DataFrame({"t": [dt.datetime(2024, 1, 1) + dt.timedelta(hours=h) for h in range(n)]})
    train, test = out_of_time_split(df, "t", test_share=share)
    assert (train.height, test.height) == (n - n_test, n_test)


def test_out_of_time_share_scan_of_whole_products() -> None:
    # Every (share, n) whose exact product is a whole number gets exactly that many rows.
    for share in (0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        exact = Fraction(str(share))
        for n in range(1, 401):
            if (exact * n).denominator != 1 or exact * n in (0, n):
                continue
            df = pl.DataFrame({"t": np.arange(n).astype("datetime64[D]")})
            _, test = out_of_time_split(df, "t", test_share=share)
            assert test.height == exact * n, (share, n)


@pytest.mark.parametrize("make", [pl.from_pandas, pa.Table.from_pandas])
def test_out_of_time_frame_kinds(apps, make):
    frame = make(apps)
    train, test = out_of_time_split(frame, "applied_at", cutoff=dt.date(2024, 7, 1))
    assert type(train) is type(frame)
    assert type(test) is type(frame)
    assert len(train) + len(test) == len(apps)


def test_out_of_time_timezone_aware():
    df = pl.DataFrame({"t": [dt.datetime(2024, 1, d, 12) for d in range(1, 11)]}).with_columns(
        pl.col("t").dt.replace_time_zone("Asia/Shanghai")
    )
    train, test = out_of_time_split(df, "t", cutoff="2024-01-06")
    assert (train.height, test.height) == (5, 5)


def test_stratified_split_keeps_bad_rate_and_is_seeded(apps):
    train, test = stratified_split(apps, "bad", test_size=0.3, random_state=7)
    again, _ = stratified_split(apps, "bad", test_size=0.3, random_state=7)
    pd.testing.assert_frame_equal(train, again)
    n_bad = apps["bad"].sum()
    assert test["bad"].sum() == round(0.3 * n_bad)
    assert len(test) == round(0.3 * n_bad) + round(0.3 * (len(apps) - n_bad))
    assert set(train["application_id"]).isdisjoint(test["application_id"])


def test_stratified_split_groups_keep_users_together(apps):
    train, test = stratified_split(apps, "bad", group_col="user_id", random_state=1)
    assert set(train["user_id"]).isdisjoint(test["user_id"])
    users = apps.groupby("user_id")["bad"].max()
    test_users = users[users.index.isin(test["user_id"])]
    assert test_users.sum() == round(0.3 * users.sum())
    assert len(train) + len(test) == len(apps)


def test_split_bad_input(apps):
    with pytest.raises(SpecError, match="exactly one"):
        out_of_time_split(apps, "applied_at")
    with pytest.raises(SpecError, match="test_share"):
        out_of_time_split(apps, "applied_at", test_share=1.5)
    with pytest.raises(SchemaError) as info:
        out_of_time_split(apps, "when", cutoff="2024-01-01")
    assert info.value.column == "when"
    with pytest.raises(SchemaError, match="date or datetime") as info:
        out_of_time_split(apps, "bad", cutoff="2024-01-01")
    assert info.value.column == "bad"
    with pytest.raises(SchemaError, match="missing times") as info:
        out_of_time_split(apps.assign(applied_at=pd.NaT), "applied_at", cutoff="2024-01-01")
    with pytest.raises(DataError, match="train side"):
        out_of_time_split(apps, "applied_at", cutoff="2020-01-01")
    with pytest.raises(SpecError, match="ISO"):
        out_of_time_split(apps, "applied_at", cutoff="soon")
    with pytest.raises(SpecError, match="test_size"):
        stratified_split(apps, "bad", test_size=0)
    with pytest.raises(SchemaError) as info:
        stratified_split(apps, "target")
    assert info.value.column == "target"
    with pytest.raises(DataError, match="empty"):
        stratified_split(apps.iloc[:1], "bad", test_size=0.3)


# --------------------------------------------------------------------------- cut-offs


def _hourly(zone: str | None, day: dt.date = dt.date(2024, 8, 1)) -> pl.DataFrame:
    start = dt.datetime(day.year, day.month, day.day)
    df = pl.DataFrame({"t": [start + dt.timedelta(hours=h) for h in range(24)]})
    return df if zone is None else df.with_columns(pl.col("t").dt.replace_time_zone(zone))


@pytest.mark.parametrize(
    "cutoff",
    ["2024-08-01T12:00+08:00", pd.Timestamp("2024-08-01 12:00", tz="Asia/Shanghai")],
)
def test_aware_cutoff_on_naive_column_is_refused(cutoff: object) -> None:
    # It used to be converted to UTC silently: 12:00+08:00 became naive 04:00.
    with pytest.raises(SpecError, match=r"aware.*naive"):
        out_of_time_split(_hourly(None), "t", cutoff=cutoff)


@pytest.mark.parametrize(
    "cutoff",
    [
        "2024-08-01T12:00",  # wall-clock time in the column's zone
        "2024-08-01T12:00+08:00",
        "2024-08-01T04:00Z",
        pd.Timestamp("2024-08-01 12:00", tz="Asia/Shanghai"),
        pd.Timestamp("2024-08-01 12:00"),
        np.datetime64("2024-08-01T12:00"),
    ],
)
def test_cutoff_on_aware_column_is_the_same_instant(cutoff: object) -> None:
    train, test = out_of_time_split(_hourly("Asia/Shanghai"), "t", cutoff=cutoff)
    assert (train.height, test.height) == (12, 12)
    assert test["t"].min() == dt.datetime(2024, 8, 1, 12, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("cutoff", "problem"),
    [("2024-03-10T02:30", "does not exist"), ("2024-11-03T01:30", "is ambiguous")],
)
def test_naive_cutoff_in_a_dst_change_names_the_cutoff(cutoff: str, problem: str) -> None:
    df = pl.DataFrame({"t": [dt.datetime(2024, m, 1) for m in range(1, 13)]}).with_columns(
        pl.col("t").dt.replace_time_zone("America/New_York")
    )
    with pytest.raises(SpecError, match=f"{cutoff!r} {problem}.*America/New_York"):
        out_of_time_split(df, "t", cutoff=cutoff)
    # With its UTC offset the same moment is unambiguous.
    train, test = out_of_time_split(df, "t", cutoff=f"{cutoff}-05:00")
    assert train.height + test.height == 12


def test_cutoff_with_a_time_of_day_on_a_date_column_is_refused() -> None:
    df = pl.DataFrame({"t": [dt.date(2024, 7, 31), dt.date(2024, 8, 1), dt.date(2024, 8, 2)]})
    with pytest.raises(SpecError, match="time of day") as info:
        out_of_time_split(df, "t", cutoff="2024-08-01T12:00")
    assert "'2024-08-01T12:00'" in str(info.value)
    with pytest.raises(SpecError, match="aware"):
        out_of_time_split(df, "t", cutoff="2024-08-01T00:00+08:00")
    for midnight in (
        "2024-08-01",
        "2024-08-01T00:00",
        dt.datetime(2024, 8, 1),
        dt.date(2024, 8, 1),
    ):
        _, test = out_of_time_split(df, "t", cutoff=midnight)
        assert test["t"].to_list() == [dt.date(2024, 8, 1), dt.date(2024, 8, 2)]


def test_cutoff_finer_than_a_millisecond_column_rounds_up() -> None:
    df = pl.DataFrame(
        {"t": [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, 0, 0, 0, 1000)]},
        schema={"t": pl.Datetime("ms")},
    )
    train, test = out_of_time_split(df, "t", cutoff="2024-01-01T00:00:00.000500")
    assert (train.height, test.height) == (1, 1)


# --------------------------------------------------------------------------- pandas output


@pytest.fixture
def nullable() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "applied_at": pd.date_range("2024-01-01", periods=8, freq="D"),
            "bad": [0, 1] * 4,
            "n_loans": pd.array([1, None, 2, 3, None, 4, 5, 6], dtype="Int64"),
            "verified": pd.array([True, None, False, True, True, False, None, True], "boolean"),
            "channel": pd.Categorical(["app", "web"] * 4),
            "user_id": pd.array([1, 1, 2, 2, 3, 3, 4, 4], dtype="UInt32"),
        },
        index=[17, 16, 15, 14, 13, 12, 11, 10],
    )


@pytest.mark.parametrize(
    "split",
    [
        lambda f: out_of_time_split(f, "applied_at", cutoff="2024-01-05"),
        lambda f: out_of_time_split(f, "applied_at", test_share=0.5),
        lambda f: stratified_split(f, "bad", test_size=0.5, random_state=0),
        lambda f: stratified_split(f, "bad", test_size=0.5, group_col="user_id", random_state=0),
    ],
)
def test_pandas_splits_keep_index_and_dtypes(nullable: pd.DataFrame, split) -> None:
    train, test = split(nullable)
    assert len(train) + len(test) == len(nullable)
    for part in (train, test):
        assert (part.dtypes == nullable.dtypes).all()
        # Index labels still point at the same rows of the input (y.loc[train.index] works).
        pd.testing.assert_frame_equal(part, nullable.loc[part.index])
        assert list(part.index) == [i for i in nullable.index if i in set(part.index)]


def test_pandas_and_polars_give_the_same_rows(apps: pd.DataFrame) -> None:
    for split in (
        lambda f: out_of_time_split(f, "applied_at", test_share=0.3),
        lambda f: stratified_split(f, "bad", group_col="user_id", random_state=3),
    ):
        pd_test = split(apps)[1]
        pl_test = split(pl.from_pandas(apps))[1]
        assert pd_test["application_id"].tolist() == pl_test["application_id"].to_list()


def test_unreadable_column_raises_data_error_naming_it() -> None:
    df = pd.DataFrame(
        {
            "applied_at": pd.date_range("2024-01-01", periods=6, freq="D"),
            "bad": [0, 1] * 3,
            "zip_code": pd.Series([100000, "10001A", 200000, 3, 4, 5], dtype=object),
        }
    )
    for split in (
        lambda: stratified_split(df, "bad", test_size=0.5, random_state=0),
        lambda: out_of_time_split(df, "applied_at", cutoff="2024-01-04"),
    ):
        with pytest.raises(DataError, match="mixes values") as info:
            split()
        assert (info.value.table, info.value.column, info.value.rows) == ("frame", "zip_code", [1])


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("cutoff", [pd.NaT, np.datetime64("NaT"), 2024, 2024.5, True], ids=repr)
def test_cutoff_that_is_no_time_is_refused(apps: pd.DataFrame, cutoff: object) -> None:
    with pytest.raises(SpecError, match="cutoff"):
        out_of_time_split(apps, "applied_at", cutoff=cutoff)


def test_numpy_cutoff_outside_python_years_is_refused() -> None:
    df = pl.DataFrame({"t": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)]})
    with pytest.raises(SpecError, match="cutoff"):
        out_of_time_split(df, "t", cutoff=np.datetime64(10**7, "D"))  # year 29349


@pytest.mark.parametrize("share", ["0.3", True, np.True_, float("nan"), [0.3], 0, 1], ids=repr)
def test_shares_must_be_numbers_in_the_open_unit_interval(apps: pd.DataFrame, share: object):
    with pytest.raises(SpecError, match="test_share"):
        out_of_time_split(apps, "applied_at", test_share=share)
    with pytest.raises(SpecError, match="test_size"):
        stratified_split(apps, "bad", test_size=share)


def test_numpy_shares_and_seeds_are_numbers(apps: pd.DataFrame) -> None:
    want = out_of_time_split(apps, "applied_at", test_share=0.3)
    got = out_of_time_split(apps, "applied_at", test_share=np.float64(0.3))
    pd.testing.assert_frame_equal(got[1], want[1])
    a = stratified_split(apps, "bad", test_size=np.float64(0.3), random_state=np.int64(3))
    b = stratified_split(apps, "bad", test_size=0.3, random_state=3)
    pd.testing.assert_frame_equal(a[1], b[1])


@pytest.mark.parametrize("seed", ["x", -1, 1.5, True], ids=repr)
def test_random_state_must_be_a_seed_or_generator(apps: pd.DataFrame, seed: object) -> None:
    with pytest.raises(SpecError, match="random_state"):
        stratified_split(apps, "bad", random_state=seed)


def test_column_names_must_be_strings(apps: pd.DataFrame) -> None:
    with pytest.raises(SpecError, match="time_col"):
        out_of_time_split(apps, ["applied_at"], cutoff="2024-06-01")
    with pytest.raises(SpecError, match="target_col"):
        stratified_split(apps, ["bad"])
    with pytest.raises(SpecError, match="group_col"):
        stratified_split(apps, "bad", group_col=["user_id"])


def _nanos(unit: str) -> pd.DataFrame:
    t = pd.Timestamp("2024-01-01")
    offsets = pd.to_timedelta([0, 100, 900, 10**9], unit="ns")
    return pd.DataFrame({"t": (t + offsets).as_unit(unit)})


@pytest.mark.parametrize("unit", ["ns", "us", "ms"])
@pytest.mark.parametrize(
    "cutoff",
    [
        pd.Timestamp("2024-01-01") + pd.Timedelta(nanoseconds=500),
        np.datetime64("2024-01-01T00:00:00.000000500"),
        pd.Timestamp("2024-01-01 00:00:00.000000500", tz="UTC"),
    ],
    ids=repr,
)
def test_cutoff_nanoseconds_are_not_dropped(unit: str, cutoff: object) -> None:
    df = _nanos(unit)
    if getattr(cutoff, "tz", None) is not None:
        df["t"] = df["t"].dt.tz_localize("UTC")
    train, test = out_of_time_split(df, "t", cutoff=cutoff)
    # Each row on the side the exact comparison puts it (the column's own times).
    cut = (
        pd.Timestamp(cutoff).tz_localize(None) if pd.Timestamp(cutoff).tz else pd.Timestamp(cutoff)
    )
    times = df["t"].dt.tz_localize(None) if getattr(cutoff, "tz", None) else df["t"]
    assert len(test) == int((times >= cut).sum())
    assert len(train) == int((times < cut).sum())
    assert len(train) == (2 if unit == "ns" else 3)


def test_cutoff_nanoseconds_on_a_date_column_are_a_time_of_day() -> None:
    df = pl.DataFrame({"t": [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]})
    with pytest.raises(SpecError, match="time of day"):
        out_of_time_split(df, "t", cutoff=np.datetime64("2024-01-02T00:00:00.000000001"))


@pytest.mark.parametrize(
    "seed",
    [None, np.random.default_rng(3), np.random.SeedSequence(3), np.random.RandomState(3)],
    ids=["None", "Generator", "SeedSequence", "RandomState"],
)
def test_random_state_takes_what_numpy_default_rng_takes(apps: pd.DataFrame, seed) -> None:
    """Accepted before the checks, as numpy.random.default_rng reads them; still accepted."""
    train, test = stratified_split(apps, "bad", random_state=seed)
    assert len(train) + len(test) == len(apps)


@pytest.mark.parametrize(
    ("frame", "kw", "column"),
    [
        (pl.DataFrame({"y": [[1], [2], [1], [2]]}), {}, "y"),
        (pd.DataFrame({"y": [[1], [2], [1], [2]]}), {}, "y"),
        (pl.DataFrame({"y": [{"a": 1}, {"a": 2}, {"a": 1}, {"a": 2}]}), {}, "y"),
        (pl.DataFrame({"y": [0, 1, 0, 1], "g": [[1], [2], [1], [2]]}), {"group_col": "g"}, "g"),
        (pl.DataFrame({"y": [[0], [1], [0], [1]], "g": [1, 2, 3, 4]}), {"group_col": "g"}, "y"),
    ],
)
def test_stratified_split_refuses_nested_labels_as_schema_errors(frame, kw, column) -> None:
    """A list target used to escape as Polars' InvalidOperationError; a struct target or
    list group ids were split on their text form."""
    with pytest.raises(SchemaError, match="must be plain values") as info:
        stratified_split(frame, "y", test_size=0.5, random_state=0, **kw)
    assert (info.value.table, info.value.column) == ("frame", column)


@pytest.mark.parametrize(
    ("test_size", "n", "n_test"),
    [(0.5, 5, 2), (0.5, 7, 4), (0.25, 10, 2), (0.3, 15, 4), (0.3, 5, 2), (0.3, 45, 14)],
)
def test_stratified_split_rounds_each_stratum_as_documented(test_size, n, n_test) -> None:
    """round(test_size * n) on the float product, halves to even (the fixed rule)."""
    frame = pd.DataFrame({"bad": [0] * n + [1] * 10})
    _, test = stratified_split(frame, "bad", test_size=test_size, random_state=0)
    assert int((test["bad"] == 0).sum()) == n_test
    assert n_test == round(test_size * n)
