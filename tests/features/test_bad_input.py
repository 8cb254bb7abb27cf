"""Bad input is handled as documented or rejected with a typed error naming table/column/rows."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from _feat_gen import make_tables

from thinfile_credit.errors import DataError, SchemaError
from thinfile_credit.features import FeatureBuilder
from thinfile_credit.schema import EventTables


@pytest.fixture(scope="module")
def tables() -> EventTables:
    return make_tables(n_users=12, seed=5)


def _expect(err: pytest.ExceptionInfo[BaseException], *words: str) -> None:
    text = str(err.value)
    for w in words:
        assert w in text, (w, text)


def test_null_event_timestamp_is_rejected(tables: EventTables) -> None:
    orders = tables.orders.with_columns(
        ordered_at=pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise("ordered_at")
    )
    with pytest.raises(SchemaError) as err:
        FeatureBuilder().build(tables.replace(orders=orders))
    _expect(err, "orders", "ordered_at", "3")


def test_naive_and_aware_timestamps_mixed_are_rejected(tables: EventTables) -> None:
    orders = tables.orders.with_columns(pl.col("ordered_at").dt.replace_time_zone("UTC"))
    with pytest.raises(SchemaError) as err:
        FeatureBuilder().build(tables.replace(orders=orders))
    _expect(err, "ordered_at")


@pytest.mark.parametrize("validate", [True, False])
def test_duplicated_application_ids_are_rejected(tables: EventTables, validate: bool) -> None:
    apps = pl.concat([tables.applications, tables.applications[2:3]])
    with pytest.raises(SchemaError) as err:
        FeatureBuilder(validate=validate).build(tables, applications=apps)
    _expect(err, "applications", "application_id")


def test_null_application_moment_is_rejected_without_validation(tables: EventTables) -> None:
    apps = tables.applications.with_columns(
        applied_at=pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise("applied_at")
    )
    with pytest.raises(SchemaError) as err:
        FeatureBuilder(validate=False).build(tables, applications=apps)
    _expect(err, "applications.applied_at", "1")


def test_duplicated_order_ids_are_rejected(tables: EventTables) -> None:
    orders = pl.concat([tables.orders, tables.orders[:1]])
    with pytest.raises(SchemaError) as err:
        FeatureBuilder().build(tables.replace(orders=orders))
    _expect(err, "orders", "order_id")


def test_negative_amounts_are_rejected(tables: EventTables) -> None:
    bills = tables.bills.with_columns(amount_due=pl.col("amount_due") * -1)
    with pytest.raises(SchemaError) as err:
        FeatureBuilder().build(tables.replace(bills=bills))
    _expect(err, "bills", "amount_due")


def test_missing_required_column_is_named_even_without_validation(tables: EventTables) -> None:
    with pytest.raises(SchemaError) as err:
        FeatureBuilder(validate=False).build(tables.replace(orders=tables.orders.drop("amount")))
    _expect(err, "orders", "amount")


def test_text_timestamps_are_rejected(tables: EventTables) -> None:
    orders = tables.orders.with_columns(pl.col("ordered_at").cast(pl.String))
    with pytest.raises(SchemaError) as err:
        FeatureBuilder(validate=False).build(tables.replace(orders=orders))
    _expect(err, "orders", "ordered_at")


def test_unknown_table_is_rejected(tables: EventTables) -> None:
    with pytest.raises(SchemaError, match="unknown tables"):
        FeatureBuilder().build({"applications": tables.applications, "invoices": tables.orders})


def test_no_applications_is_rejected(tables: EventTables) -> None:
    with pytest.raises(SchemaError, match="applications"):
        FeatureBuilder().build(tables.replace(applications=None))


def test_unsorted_events_give_the_same_features(tables: EventTables) -> None:
    fb = FeatureBuilder()
    shuffled = EventTables(**{n: df.sample(fraction=1.0, shuffle=True, seed=1) for n, df in tables})
    a = fb.build(tables)
    b = fb.build(shuffled, applications=tables.applications)
    np.testing.assert_allclose(
        a.select(fb.feature_names_).to_numpy(),
        b.select(fb.feature_names_).to_numpy(),
        rtol=1e-9,
        equal_nan=True,
    )


def test_events_of_users_without_applications_are_ignored(tables: EventTables) -> None:
    fb = FeatureBuilder()
    applicants = tables.applications["user_id"].unique().implode()
    others = tables.orders.filter(~pl.col("user_id").is_in(applicants))
    extra = others.with_columns(
        order_id=pl.col("order_id") + 10**6, user_id=pl.lit(999_999, dtype=pl.Int64)
    )
    a = fb.build(tables)
    b = fb.build(tables.replace(orders=pl.concat([tables.orders, extra])))
    assert a.equals(b, null_equal=True) or np.allclose(
        a.select(fb.feature_names_).to_numpy(),
        b.select(fb.feature_names_).to_numpy(),
        equal_nan=True,
    )


def test_applicants_without_history_get_valid_features(tables: EventTables) -> None:
    fb = FeatureBuilder()
    apps = pl.DataFrame(
        {
            "application_id": [1, 2],
            "user_id": [555_555, 555_556],
            "applied_at": [datetime(2024, 1, 1), datetime(2024, 2, 1)],
        }
    )
    row = fb.build(tables, applications=apps).row(0, named=True)
    undefined = set(fb.describe(kind="polars").filter(pl.col("when_undefined") != "")["name"])
    for name in fb.feature_names_:
        if name in undefined:
            assert math.isnan(row[name]), name
        else:
            assert not math.isnan(row[name]), name
    assert row["thin_file"] == 1.0
    assert row["cons_order_count_30d"] == 0.0
    assert row["thin_history_days"] == 0.0
    assert row["loan_current_dpd"] == 0.0
    # only applications, no event table at all: same answers
    alone = fb.build(EventTables(applications=apps)).row(0, named=True)
    assert alone.keys() == row.keys()
    for name in fb.feature_names_:
        assert (math.isnan(alone[name]) and math.isnan(row[name])) or alone[name] == row[name]


def test_build_one_rejects_bad_events() -> None:
    fb = FeatureBuilder(windows=(30,))
    t = datetime(2024, 1, 10)
    good = {
        "user_id": 1,
        "ordered_at": datetime(2024, 1, 1),
        "amount": 5.0,
        "category": "food",
        "status": "paid",
    }
    with pytest.raises(SchemaError) as err:
        fb.build_one({"orders": [good, {**good, "ordered_at": None}]}, t)
    _expect(err, "orders.ordered_at", "1")
    with pytest.raises(SchemaError) as err:
        fb.build_one({"orders": [good, {**good, "amount": -1.0}]}, t)
    _expect(err, "orders.amount", "1")
    aware = {**good, "ordered_at": datetime(2024, 1, 1, tzinfo=UTC)}
    with pytest.raises(SchemaError) as err:
        fb.build_one({"orders": [aware]}, t)
    _expect(err, "orders.ordered_at", "naive")
    with pytest.raises(SchemaError) as err:
        fb.build_one({"orders": [{k: v for k, v in good.items() if k != "amount"}]}, t)
    _expect(err, "orders.amount")
    with pytest.raises(DataError) as err:
        fb.build_one({"orders": [good, {**good, "user_id": 2}]}, t)
    _expect(err, "user_id")
    with pytest.raises(SchemaError, match="unknown tables"):
        fb.build_one({"invoices": []}, t)
    with pytest.raises(SchemaError, match="applied_at"):
        fb.build_one({"orders": [good]}, None)


def test_build_one_event_exactly_at_t_is_excluded() -> None:
    fb = FeatureBuilder(windows=(30,))
    t = datetime(2024, 1, 10, 12)
    o = {"user_id": 1, "amount": 5.0, "category": "food", "status": "paid"}
    row = fb.build_one(
        {"orders": [{**o, "ordered_at": t}, {**o, "ordered_at": t - timedelta(microseconds=1)}]}, t
    )
    assert row["cons_order_count_30d"] == 1.0


_D = datetime(2024, 1, 1)
_PAID_BILL = {
    "user_id": 1,
    "issued_at": _D,
    "due_at": _D + timedelta(days=5),
    "amount_due": 9.0,
    "paid_at": _D + timedelta(days=2),
    "amount_paid": 9.0,
}
#: (table, good row, the field that breaks it, check): a bad row follows a good one
_ROW_RULE_CASES = [
    (
        "orders",
        {
            "user_id": 1,
            "ordered_at": _D,
            "amount": 5.0,
            "category": "food",
            "status": "refunded",
            "status_at": _D + timedelta(days=1),
        },
        {"status_at": _D - timedelta(seconds=1)},
        ("status_at", "status_before_order"),
    ),
    (
        "bills",
        _PAID_BILL,
        {"due_at": _D - timedelta(days=1)},
        ("due_at", "due_before_issue"),
    ),
    (
        "bills",
        _PAID_BILL,
        {"paid_at": _D - timedelta(days=1)},
        ("paid_at", "paid_before_issue"),
    ),
    (
        "bills",
        {**_PAID_BILL, "paid_at": None, "amount_paid": 0.0},
        {"amount_paid": 4.0},
        ("amount_paid", "paid_without_date"),
    ),
    (
        "installments",
        {
            "loan_id": 1,
            "installment_no": 1,
            "due_at": _D + timedelta(days=30),
            "amount_due": 50.0,
            "paid_at": None,
            "amount_paid": 0.0,
        },
        {"amount_paid": 50.0},
        ("amount_paid", "paid_without_date"),
    ),
    (
        "edges",
        {"user_id": 1, "peer_id": 2, "kind": "social", "since": _D},
        {"peer_id": 1},
        ("peer_id", "self_loop"),
    ),
]


@pytest.mark.parametrize(("table", "good", "change", "fault"), _ROW_RULE_CASES)
def test_build_one_refuses_rows_batch_validation_refuses(
    table: str, good: dict, change: dict, fault: tuple[str, str]
) -> None:
    """One applicant's events break the same row rules as a batch's, named alike."""
    from thinfile_credit.schema import validate_tables

    fb = FeatureBuilder(windows=(30,))
    t = datetime(2024, 3, 1)
    loans = [{"loan_id": 1, "user_id": 1, "disbursed_at": _D, "principal": 100.0}]
    extra = {"loans": loans} if table == "installments" else {}
    # user_id given: links alone do not tell the applicant from the peer
    fb.build_one({table: [good], **extra}, t, user_id=1)  # the good row alone is accepted
    events = {table: [good, {**good, **change}], **extra}
    with pytest.raises(SchemaError) as err:
        fb.build_one(events, t, user_id=1)
    column, check = fault
    _expect(err, f"{table}.{column}", check)
    assert (err.value.table, err.value.column, list(err.value.rows)) == (table, column, [1])
    problems = validate_tables(
        EventTables(**{k: pl.DataFrame(v) for k, v in events.items()}), errors="collect"
    )
    assert [(p.location, p.check, tuple(p.rows)) for p in problems if p.check == check] == [
        (f"{table}.{column}", check, (1,))
    ]


@pytest.mark.parametrize("missing", [None, float("nan"), "pd.NA"])
@pytest.mark.parametrize(("table", "column"), [("edges", "peer_id"), ("orders", "user_id")])
def test_build_one_refuses_null_ids(missing: object, table: str, column: str) -> None:
    """A null id is named as batch validation names it, never dropped nor taken for a
    self-loop (two null ids compared equal)."""
    import pandas as pd

    value = pd.NA if missing == "pd.NA" else missing
    fb = FeatureBuilder(windows=(30,))
    rows = {
        "edges": {"user_id": 1, "peer_id": 2, "kind": "social", "since": _D},
        "orders": {
            "user_id": 1,
            "ordered_at": _D,
            "amount": 5.0,
            "category": "food",
            "status": "paid",
        },
    }
    good = rows[table]
    with pytest.raises(SchemaError) as err:
        fb.build_one({table: [good, {**good, column: value}]}, datetime(2024, 3, 1), user_id=1)
    assert (err.value.table, err.value.column, list(err.value.rows)) == (table, column, [1])
    assert "null values" in str(err.value)
    if table == "edges":  # both ids null: still a null, not a self-loop
        with pytest.raises(SchemaError, match="null values") as err:
            fb.build_one(
                {table: [good, {**good, "user_id": value, "peer_id": value}]},
                datetime(2024, 3, 1),
                user_id=1,
            )
        assert err.value.column == "user_id"


def test_build_one_knows_every_row_rule_of_the_data_model() -> None:
    """build_one reads names and messages from batch validation's rules; each needs its
    array form, and each has a case above."""
    from thinfile_credit.features._online_checks import AT_FAULT as _AT_FAULT
    from thinfile_credit.schema._checks import _ROW_RULES

    checks = {rule.check for rules in _ROW_RULES.values() for rule in rules}
    assert set(_AT_FAULT) == checks
    assert {case[3][1] for case in _ROW_RULE_CASES} == checks


_ORDER = {"user_id": 1, "ordered_at": _D, "amount": 5.0, "category": "food", "status": "paid"}
_EDGE = {"user_id": 1, "peer_id": 2, "kind": "social", "since": _D}
_LOAN = {"loan_id": 7, "user_id": 1, "disbursed_at": _D, "principal": 100.0}
_INSTALMENT = {
    "loan_id": 7,
    "installment_no": 1,
    "due_at": _D + timedelta(days=30),
    "amount_due": 50.0,
    "paid_at": None,
    "amount_paid": 0.0,
}
#: (events whose ids mix integers and text, the table and column named, rows named)
_ID_KIND_CASES = [
    ({"orders": [_ORDER], "edges": [{**_EDGE, "peer_id": "2"}]}, "edges", "peer_id", [0]),
    (
        {"orders": [_ORDER], "edges": [_EDGE, {**_EDGE, "user_id": "1", "peer_id": "3"}]},
        "edges",
        "user_id",
        [1],
    ),
    (
        {"loans": [_LOAN], "installments": [{**_INSTALMENT, "loan_id": "7"}]},
        "installments",
        "loan_id",
        [0],
    ),
]


@pytest.mark.parametrize(("events", "table", "column", "rows"), _ID_KIND_CASES)
def test_build_one_refuses_ids_of_both_kinds_as_batch_does(
    events: dict, table: str, column: str, rows: list[int]
) -> None:
    """Integer and text ids of one entity never match (``1 != "1"``): refused, named as
    batch validation's ``id_kind`` check names them, never silently left out."""
    from thinfile_credit.schema import validate_tables

    fb = FeatureBuilder(windows=(30,))
    with pytest.raises(SchemaError) as err:
        fb.build_one(events, datetime(2024, 3, 1), user_id=1)
    assert (err.value.table, err.value.column) == (table, column)
    assert list(err.value.rows) == rows
    assert "id_kind" in str(err.value)
    frames = {k: pl.DataFrame(v) for k, v in events.items()}
    if table == "edges" and column == "user_id":
        return  # a column of both kinds is a dtype problem for a frame
    problems = validate_tables(EventTables(**frames), errors="collect")
    assert [p.location for p in problems if p.check == "id_kind"] == [f"{table}.{column}"]


def test_build_one_refuses_a_user_id_of_the_other_kind() -> None:
    """``user_id="1"`` for rows naming user ``1`` used to give an applicant without
    orders; it is refused naming the rows."""
    fb = FeatureBuilder(windows=(30,))
    events = {"orders": [_ORDER, {**_ORDER, "amount": 7.0}]}
    with pytest.raises(SchemaError) as err:
        fb.build_one(events, datetime(2024, 3, 1), user_id="1")
    assert (err.value.table, err.value.column, list(err.value.rows)) == (
        "orders",
        "user_id",
        [0, 1],
    )
    _expect(err, "id_kind", "user_id argument ('1')")
    text = {"orders": [{**o, "user_id": "1"} for o in events["orders"]]}
    with pytest.raises(SchemaError, match="id_kind"):
        fb.build_one(text, datetime(2024, 3, 1), user_id=1)
    assert fb.build_one(text, datetime(2024, 1, 20), user_id="1")["cons_order_count_30d"] == 2.0


@pytest.mark.parametrize("user_id", [1, np.int64(1), np.uint8(1), 1.0])
def test_build_one_reads_integer_ids_of_any_integer_type_alike(user_id: object) -> None:
    fb = FeatureBuilder(windows=(30,))
    events = {"orders": [_ORDER, {**_ORDER, "user_id": user_id}]}
    row = fb.build_one(events, datetime(2024, 1, 20), user_id=user_id)
    assert row["cons_order_count_30d"] == 2.0
    want = fb.build_one({"orders": [_ORDER, _ORDER]}, datetime(2024, 1, 20), user_id=1)
    np.testing.assert_array_equal(list(row.values()), list(want.values()))


@pytest.mark.parametrize("bad", [True, 1.5, b"1", (1,)])
def test_build_one_refuses_ids_that_are_neither_integers_nor_text(bad: object) -> None:
    fb = FeatureBuilder(windows=(30,))
    with pytest.raises(SchemaError, match="expected integer or text identifiers") as err:
        fb.build_one({"orders": [_ORDER, {**_ORDER, "user_id": bad}]}, datetime(2024, 3, 1))
    assert (err.value.table, err.value.column, list(err.value.rows)) == ("orders", "user_id", [1])
    with pytest.raises(SchemaError, match="integer or text identifier") as err:
        fb.build_one({"orders": [_ORDER]}, datetime(2024, 3, 1), user_id=bad)
    assert (err.value.table, err.value.column) == ("applications", "user_id")


def _ids_as(tables: EventTables, cast: pl.DataType, offset: int = 0) -> EventTables:
    """Every user and peer id of ``tables`` shifted by ``offset`` and cast to ``cast``."""
    out = {}
    for name, df in tables:
        cols = [
            (pl.col(c).cast(pl.Int128) + offset).cast(cast)
            for c in ("user_id", "peer_id")
            if c in df.columns
        ]
        out[name] = df.with_columns(cols) if cols else df
    return EventTables(**out)


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize(
    ("cast", "offset"),
    [
        (pl.Float64, 0),
        (pl.Int32, 0),
        (pl.UInt64, 0),
        (pl.UInt64, 2**63 + 5),
        (pl.Int64, 2**62),
        (pl.Int64, -(2**63) + 5),
        (pl.Int64, 2**53 + 2),
        (pl.String, 2**62),
    ],
)
def test_ids_validation_accepts_build_the_same_features(
    tables: EventTables, cast: pl.DataType, offset: int, validate: bool
) -> None:
    """Whole-number float ids (pandas' storage of an integer column that held a missing
    value) and unsigned hashes above 2**63 pass validation; they build the features of
    the plain integer ids, instead of failing inside a join. Hashed ids beyond 2**53,
    which float64 cannot tell apart, used to merge neighbours in the social features."""
    want = FeatureBuilder().build(tables)
    got = FeatureBuilder(validate=validate).build(_ids_as(tables, cast, offset))
    np.testing.assert_array_equal(
        got.select(pl.exclude("user_id")).to_numpy(), want.select(pl.exclude("user_id")).to_numpy()
    )


def test_ids_the_builder_cannot_read_exactly_are_refused_without_validation(
    tables: EventTables,
) -> None:
    fb = FeatureBuilder(validate=False)
    fraction = tables.orders.with_columns(pl.col("user_id").cast(pl.Float64))
    fraction = fraction.with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(pl.col("user_id") + 0.5)
        .otherwise(pl.col("user_id"))
        .alias("user_id")
    )
    with pytest.raises(SchemaError, match="not exactly") as err:
        fb.build(tables.replace(orders=fraction))
    assert (err.value.table, err.value.column, list(err.value.rows)) == ("orders", "user_id", [3])
    text = tables.orders.with_columns(pl.col("user_id").cast(pl.String))
    with pytest.raises(SchemaError, match="id_kind") as err:
        fb.build(tables.replace(orders=text))
    assert (err.value.table, err.value.column) == ("orders", "user_id")
    flags = tables.orders.with_columns(pl.col("user_id") > 0)
    with pytest.raises(SchemaError, match="integer or text identifiers") as err:
        fb.build(tables.replace(orders=flags))
    assert (err.value.table, err.value.column) == ("orders", "user_id")


def test_text_ids_build_bit_identical_features_run_after_run(tables: EventTables) -> None:
    """Neighbours' bills are summed in the order of their ids' codes; with text ids the
    codes followed the order users first appeared in a group-by's output, which changes
    from run to run (the neighbours' on-time share differed in its last bits)."""
    text = _ids_as(tables, pl.String)
    first = FeatureBuilder().build(text)
    for _ in range(6):
        assert FeatureBuilder().build(text).equals(first, null_equal=True)
