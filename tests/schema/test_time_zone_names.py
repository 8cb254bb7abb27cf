"""Names of one time zone are one zone; different zones are still refused."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from schema_tables_data import valid_tables

from thinfile_credit.schema import validate_tables
from thinfile_credit.schema._zones import zone_key

Tables = dict[str, pl.DataFrame]


def _zoned(zone: str, other: str, table: str, column: str) -> Tables:
    """Every timestamp in ``zone``, but ``table.column`` shown in ``other`` (same
    instants)."""
    tables = valid_tables()
    for name, df in tables.items():
        cols = [c for c, d in df.schema.items() if isinstance(d, pl.Datetime)]
        df = df.with_columns(pl.col(cols).dt.replace_time_zone("UTC").dt.convert_time_zone(zone))
        if name == table:
            df = df.with_columns(pl.col(column).dt.convert_time_zone(other))
        tables[name] = df
    return tables


SAME = [
    ("UTC", "Etc/UTC"),
    ("UTC", "Etc/Universal"),
    ("UTC", "Zulu"),
    ("Etc/UTC", "GMT"),
    ("America/New_York", "US/Eastern"),
    ("Asia/Shanghai", "PRC"),
]
DIFFERENT = [
    ("UTC", "Europe/London"),  # zero offset in winter only
    ("Asia/Shanghai", "+08:00"),  # a fixed offset: the same today, not in 1986-1991
    ("America/New_York", "America/Chicago"),
    ("UTC", "+01:00"),
    ("UTC", "Etc/GMT+5"),
]


@pytest.mark.parametrize(("zone", "other"), SAME)
@pytest.mark.parametrize(("table", "column"), [("edges", "since"), ("orders", "status_at")])
def test_names_of_one_zone_pass(zone: str, other: str, table: str, column: str) -> None:
    tables = _zoned(zone, other, table, column)
    assert tables[table].schema[column] != tables["applications"].schema["applied_at"]
    assert validate_tables(tables, errors="collect") == []


@pytest.mark.parametrize(("zone", "other"), DIFFERENT)
def test_different_zones_are_still_refused(zone: str, other: str) -> None:
    tables = _zoned(zone, other, "edges", "since")
    problems = validate_tables(tables, errors="collect")
    assert [(p.location, p.check) for p in problems] == [("edges.since", "time_zone")]
    assert str(tables["edges"].schema["since"].time_zone) in problems[0].message


def test_the_features_of_tables_in_two_names_of_utc_equal_those_in_one() -> None:
    from thinfile_credit.features import FeatureBuilder

    fb = FeatureBuilder(windows=(30,))
    one = fb.build(_zoned("UTC", "UTC", "edges", "since"))
    two = fb.build(_zoned("UTC", "Etc/UTC", "edges", "since"))
    assert two.equals(one)


@given(st.integers(-14 * 60, 14 * 60), st.integers(-14 * 60, 14 * 60))
def test_fixed_offsets_are_one_zone_exactly_when_equal(a: int, b: int) -> None:
    def name(minutes: int) -> str:
        return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    assert (zone_key(name(a)) == zone_key(name(b))) == (a == b)
    assert (zone_key(name(a)) == zone_key("UTC")) == (a == 0)
    assert zone_key(None) is None


@pytest.mark.parametrize(
    ("names", "same"),
    [
        (("UTC", "Etc/UTC", "Etc/Universal", "Zulu", "+00:00", "GMT", "Etc/GMT+0"), True),
        (("Etc/GMT-8", "+08:00"), True),
        (("Etc/GMT+5", "-05:00"), True),
        (("US/Eastern", "America/New_York"), True),
        (("Europe/London", "UTC"), False),
        (("Asia/Shanghai", "+08:00"), False),
        (("Nope/Zone", "Other/Zone"), False),
    ],
)
def test_zone_key_reads_each_name_as_its_zone(names: tuple[str, ...], same: bool) -> None:
    assert (len({zone_key(n) for n in names}) == 1) == same
