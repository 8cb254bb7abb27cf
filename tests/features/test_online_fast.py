"""The online path's batched conversions equal the value-by-value ones they replace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from _feat_gen import make_tables
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import SchemaError
from thinfile_credit.features.online import _naive_micros, events_to_arrays, tables_to_arrays

EPOCH = datetime(1970, 1, 1)
moments = st.one_of(st.none(), st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31)))


def _reference(values: list[datetime | None]) -> np.ndarray:
    return np.array(
        [np.nan if v is None else (v - EPOCH) // timedelta(microseconds=1) for v in values],
        dtype=np.float64,
    )


@given(st.lists(moments, min_size=0, max_size=200))
def test_naive_micros_are_exact(values: list[datetime | None]) -> None:
    # short lists go value by value, long ones through pandas: both exact
    np.testing.assert_array_equal(_naive_micros(values), _reference(values))


def test_naive_micros_decline_aware_values() -> None:
    naive = [EPOCH + timedelta(days=i) for i in range(100)]
    aware = [v.replace(tzinfo=UTC) for v in naive]
    for values in (aware, naive[:50] + aware[:50], aware[:3], naive[:2] + aware[:1]):
        assert _naive_micros(values) is None


def test_tables_convert_as_each_table_does() -> None:
    tables = make_tables(n_users=30, seed=4)
    events = {n: tables[n].to_dicts() for n in tables.names() if n != "applications"}
    assert sum(v is None for r in events["bills"] for v in r.values())  # unpaid bills
    together = tables_to_arrays(events)
    for name, rows in events.items():
        alone = events_to_arrays(name, rows)
        assert together[name].keys() == alone.keys()
        for column, arr in alone.items():
            assert arr.dtype == together[name][column].dtype
            np.testing.assert_array_equal(together[name][column], arr)


def test_tables_reject_mixed_time_zones_like_each_table() -> None:
    t0 = datetime(2024, 1, 1)
    orders = [
        {
            "user_id": 1,
            "ordered_at": t0 - timedelta(hours=i),
            "amount": 1.0,
            "category": "a",
            "status": "paid",
        }
        for i in range(80)
    ]
    changes = [{"user_id": 1, "changed_at": t0.replace(tzinfo=UTC), "kind": "device"}]
    events = {"orders": orders, "profile_changes": changes}
    with pytest.raises(SchemaError) as batched:
        tables_to_arrays(events)
    state: dict = {}
    events_to_arrays("orders", orders, state)
    with pytest.raises(SchemaError) as alone:
        events_to_arrays("profile_changes", changes, state)
    assert str(batched.value) == str(alone.value)
    assert "first seen: orders.ordered_at" in str(batched.value)
