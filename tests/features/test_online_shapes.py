"""build_one refuses event shapes it cannot read, instead of reading them as no history.

A scoring service that hands ``build_one`` an API payload (camelCase keys, rows as
tuples, a ragged dict of columns) must get a typed error naming the table and columns,
never a no-history row (``thin_file=1``) for an applicant who has a history.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, SchemaError
from thinfile_credit.features import FeatureBuilder

T = datetime(2024, 6, 1)
ORDER = {
    "user_id": 1,
    "ordered_at": datetime(2024, 5, 20),
    "amount": 1.0,
    "category": "x",
    "status": "paid",
}
ORDER_COLUMNS = ("user_id", "ordered_at", "amount", "category", "status")
BILL = {
    "user_id": 1,
    "issued_at": datetime(2024, 5, 1),
    "due_at": datetime(2024, 5, 10),
    "amount_due": 5.0,
    "paid_at": None,
    "amount_paid": 0.0,
}


@pytest.fixture(scope="module")
def fb() -> FeatureBuilder:
    return FeatureBuilder(windows=(30,))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


@pytest.mark.parametrize(("table", "row"), [("orders", ORDER), ("bills", BILL)])
def test_rows_with_none_of_the_model_names_are_refused(
    fb: FeatureBuilder, table: str, row: dict[str, object]
) -> None:
    camel = {_camel(k): v for k, v in row.items()}
    with pytest.raises(SchemaError) as err:
        fb.build_one({table: [camel, camel]}, T, user_id=1)
    assert err.value.table == table
    text = str(err.value)
    for column in row:
        if column != "paid_at" or table == "bills":
            assert column in text, (column, text)
    assert _camel("user_id") in text  # the names the rows hold instead


@given(
    dropped=st.sets(st.sampled_from(ORDER_COLUMNS), min_size=1),
    shape=st.sampled_from(["rows", "columns", "frame"]),
)
def test_every_missing_required_column_is_named_in_every_shape(
    dropped: set[str], shape: str
) -> None:
    kept = {k: v for k, v in ORDER.items() if k not in dropped}
    kept["note"] = "extra"  # a non-empty row even when every model column is dropped
    rows: object = [kept, kept]
    if shape == "columns":
        rows = {k: [v, v] for k, v in kept.items()}
    elif shape == "frame":
        rows = pd.DataFrame([kept, kept])
    with pytest.raises(SchemaError) as err:
        FeatureBuilder(windows=(30,)).build_one({"orders": rows}, T, user_id=1)
    assert err.value.table == "orders"
    missing = [c for c in ORDER_COLUMNS if c in dropped]
    assert err.value.column == missing[0]
    for column in missing:
        assert column in str(err.value)


@pytest.mark.parametrize(
    "rows",
    [
        [tuple(ORDER.values())] * 2,
        ["abc"],
        [ORDER, tuple(ORDER.values())],
        [ORDER, 5],
    ],
    ids=["tuples", "strings", "a later tuple", "a later int"],
)
def test_rows_that_are_not_mappings_are_refused(fb: FeatureBuilder, rows: list[object]) -> None:
    with pytest.raises(SchemaError, match="mapping") as err:
        fb.build_one({"orders": rows}, T, user_id=1)
    assert err.value.table == "orders"
    bad = [i for i, r in enumerate(rows) if not isinstance(r, dict)]
    assert err.value.rows == bad


def test_ragged_columns_are_refused(fb: FeatureBuilder) -> None:
    columns = {k: [v, v] for k, v in ORDER.items()}
    columns["ordered_at"] = columns["ordered_at"][:1]
    with pytest.raises(SchemaError, match="different lengths") as err:
        fb.build_one({"orders": columns}, T, user_id=1)
    assert err.value.table == "orders"
    assert "ordered_at=1" in str(err.value)


def test_a_row_given_as_a_dict_of_scalars_is_refused(fb: FeatureBuilder) -> None:
    with pytest.raises(SchemaError, match="sequence of values") as err:
        fb.build_one({"orders": ORDER}, T, user_id=1)
    assert err.value.table == "orders"


def test_events_that_are_not_a_mapping_of_tables_are_refused(fb: FeatureBuilder) -> None:
    with pytest.raises(SchemaError, match="mapping of table name") as err:
        fb.build_one([ORDER], T, user_id=1)  # type: ignore[arg-type]
    assert "list" in str(err.value)


def test_the_shapes_read_still_give_the_same_features(fb: FeatureBuilder) -> None:
    rows = [ORDER, {**ORDER, "amount": 2.0}]
    expected = fb.build_one({"orders": rows}, T, user_id=1)
    assert expected["cons_order_count_30d"] == 2.0
    columns = {k: [r[k] for r in rows] for k in ORDER}
    for shape in ({"orders": columns}, {"orders": pd.DataFrame(rows)}):
        assert fb.build_one(shape, T, user_id=1) == pytest.approx(expected, nan_ok=True)
    empty = fb.build_one({"orders": [], "bills": {}, "loans": None}, T, user_id=1)
    assert empty["thin_file"] == 1.0


def test_user_id_not_inferable_from_links_only_is_refused(fb: FeatureBuilder) -> None:
    edges = [{"user_id": 1, "peer_id": 2, "kind": "social", "since": datetime(2024, 1, 1)}]
    with pytest.raises(DataError, match="cannot be inferred"):
        fb.build_one({"edges": edges}, T)
    assert fb.build_one({"edges": edges}, T, user_id=1)["soc_degree_total"] == 1.0
