"""Out-of-time and stratified splits."""

from __future__ import annotations

import datetime as dt

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


@given(st.lists(st.integers(0, 30), min_size=2, max_size=80), st.floats(0.05, 0.95))
def test_out_of_time_share_property(days, share):
    df = pl.DataFrame({"t": [dt.date(2024, 1, 1) + dt.timedelta(days=d) for d in days]})
    if len(set(days)) < 2:
        with pytest.raises(DataError, match="empty"):
            out_of_time_split(df, "t", test_share=share)
        return
    try:
        train, test = out_of_time_split(df, "t", test_share=share)
    except DataError:
        # All rows at the cut-off time: the train side would be empty.
        return
    assert train["t"].max() < test["t"].min()
    assert test.height >= int(np.ceil(share * df.height - 1e-9)) or test.height == df.height


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
