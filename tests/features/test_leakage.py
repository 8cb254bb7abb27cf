"""Leakage: nothing at or after an application's moment may change its features."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from _feat_gen import make_tables
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from thinfile_credit.features import FeatureBuilder, SocialFeatures
from thinfile_credit.schema import ORDER_STATUSES, EventTables

FB = FeatureBuilder()
TIME_OF = {
    "orders": "ordered_at",
    "bills": "issued_at",
    "loans": "disbursed_at",
    "edges": "since",
    "profile_changes": "changed_at",
}


def _same(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    bad = []
    for k in FB.feature_names_:
        x, y = a[k], b[k]
        if not ((math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-9 * max(1.0, abs(y))):
            bad.append(k)
    return bad


def _features(tables: EventTables, app: pl.DataFrame) -> dict[str, Any]:
    return FB.build(tables, applications=app).row(0, named=True)


later = st.integers(min_value=0, max_value=400 * 24 * 60).map(lambda m: timedelta(minutes=m))


def _future_version(tables: EventTables, t: datetime, uid: int, data: st.DataObject) -> EventTables:
    """Add, remove and change only what happens at or after ``t``."""
    out = dict(iter(tables))
    if data.draw(st.booleans(), label="drop future events"):
        for name, col in TIME_OF.items():
            out[name] = out[name].filter(pl.col(col) < t)
        kept = out["loans"]["loan_id"]
        out["installments"] = out["installments"].filter(pl.col("loan_id").is_in(kept.implode()))
    # change payments made at or after t (and due dates at or after t)
    for name in ("bills", "installments"):
        df = out[name]
        late = pl.col("paid_at") >= t
        shift = data.draw(st.sampled_from(["null", "later"]), label=f"{name} payment change")
        new_paid = (
            pl.lit(None, dtype=pl.Datetime("us"))
            if shift == "null"
            else pl.col("paid_at") + timedelta(days=3)
        )
        df = df.with_columns(
            paid_at=pl.when(late).then(new_paid).otherwise(pl.col("paid_at")),
            amount_paid=pl.when(late)
            .then(0.0 if shift == "null" else pl.col("amount_paid") * 0.5)
            .otherwise(pl.col("amount_paid")),
        )
        if name == "bills":
            df = df.with_columns(
                due_at=pl.when(pl.col("due_at") >= t)
                .then(pl.col("due_at") + timedelta(days=1))
                .otherwise(pl.col("due_at")),
            ).with_columns(
                paid_at=pl.when(pl.col("paid_at") < pl.col("issued_at"))
                .then(None)
                .otherwise(pl.col("paid_at"))
            )
        out[name] = df
    # statuses reached at or after t: any other final status, reached any time later
    late = pl.col("status_at") >= t
    status = data.draw(st.sampled_from(ORDER_STATUSES), label="status reached after t")
    out["orders"] = out["orders"].with_columns(
        status=pl.when(late).then(pl.lit(status)).otherwise(pl.col("status")),
        status_at=pl.when(late)
        .then(pl.col("status_at") + data.draw(later, label="status moved"))
        .otherwise(pl.col("status_at")),
    )
    # add new events at or after t for the applicant and a peer
    peer = data.draw(st.sampled_from(out["profiles"]["user_id"].to_list()), label="peer")
    d = [data.draw(later, label=f"offset {i}") for i in range(5)]
    _append(
        out,
        "orders",
        order_id=10**6,
        user_id=uid,
        ordered_at=t + d[0],
        amount=999.0,
        category="toys",
        status="refunded",
        status_at=t + d[0] + timedelta(days=1),
        payment_method="pay_later",
        installments=6,
    )
    _append(
        out,
        "bills",
        bill_id=10**6,
        user_id=uid,
        issued_at=t + d[1],
        due_at=t + d[1],
        amount_due=50.0,
        paid_at=None,
        amount_paid=0.0,
    )
    _append(
        out,
        "loans",
        loan_id=10**6,
        user_id=uid,
        disbursed_at=t + d[2],
        principal=80.0,
        product="installment",
        credit_limit=100.0,
    )
    _append(
        out,
        "installments",
        loan_id=10**6,
        installment_no=1,
        due_at=t + d[2] + timedelta(days=30),
        amount_due=80.0,
        paid_at=None,
        amount_paid=0.0,
    )
    if peer != uid:
        _append(out, "edges", user_id=uid, peer_id=peer, kind="newkind", since=t + d[3])
        out["edges"] = out["edges"].unique(["user_id", "peer_id", "kind"], keep="first")
    _append(out, "profile_changes", user_id=uid, changed_at=t + d[4], kind="device")
    out["profile_changes"] = out["profile_changes"].unique(["user_id", "changed_at", "kind"])
    return EventTables(**out)


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), pick=st.integers(0, 15), data=st.data())
def test_events_at_or_after_t_never_change_features(
    seed: int, pick: int, data: st.DataObject
) -> None:
    tables = make_tables(n_users=8, seed=seed)
    app = tables.applications[pick : pick + 1]
    t, uid = app["applied_at"][0], app["user_id"][0]
    before = _features(tables, app)
    after = _features(_future_version(tables, t, uid, data), app)
    assert _same(before, after) == []


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), pick=st.integers(0, 15), shift=later)
def test_payment_moved_past_t_makes_the_bill_overdue(
    seed: int, pick: int, shift: timedelta
) -> None:
    tables = make_tables(n_users=8, seed=seed)
    app = tables.applications[pick : pick + 1]
    t, uid = app["applied_at"][0], app["user_id"][0]
    bills = tables.bills
    settled = bills.filter(
        (pl.col("user_id") == uid)
        & (pl.col("due_at") < t)
        & (pl.col("paid_at") < t)
        & (pl.col("amount_paid") >= pl.col("amount_due"))
    )
    assume(settled.height > 0)
    target = settled["bill_id"][0]
    amount = settled["amount_due"][0]
    moved = bills.with_columns(
        paid_at=pl.when(pl.col("bill_id") == target).then(pl.lit(t + shift)).otherwise("paid_at")
    )
    before = _features(tables, app)
    after = _features(tables.replace(bills=moved), app)
    assert after["bill_overdue_count_now"] == before["bill_overdue_count_now"] + 1
    assert math.isclose(
        after["bill_overdue_amount_now"], before["bill_overdue_amount_now"] + amount
    )
    online = FB.build_one({"bills": moved.to_dicts()}, t, user_id=uid)
    assert online["bill_overdue_count_now"] == after["bill_overdue_count_now"]


T0 = datetime(2024, 6, 1, 12)


def _social_tables(due_days_before: float, paid_days_after_due: float | None) -> EventTables:
    due = T0 - timedelta(days=due_days_before)
    paid = None if paid_days_after_due is None else due + timedelta(days=paid_days_after_due)
    return EventTables(
        applications=pl.DataFrame({"application_id": [1], "user_id": [1], "applied_at": [T0]}),
        edges=pl.DataFrame(
            {
                "user_id": [1],
                "peer_id": [2],
                "kind": ["social"],
                "since": [T0 - timedelta(days=400)],
            }
        ),
        loans=pl.DataFrame(
            {
                "loan_id": [5],
                "user_id": [2],
                "disbursed_at": [due - timedelta(days=30)],
                "principal": [100.0],
                "product": ["installment"],
            }
        ),
        installments=pl.DataFrame(
            {
                "loan_id": [5],
                "installment_no": [1],
                "due_at": [due],
                "amount_due": [100.0],
                "paid_at": pl.Series([paid], dtype=pl.Datetime("us")),
                "amount_paid": [0.0 if paid is None else 100.0],
            }
        ),
    )


@given(
    due_before=st.floats(0, 300, allow_nan=False),
    paid_after=st.none() | st.floats(-10, 400, allow_nan=False),
)
def test_neighbour_default_counts_only_if_observed_before_t(
    due_before: float, paid_after: float | None
) -> None:
    tables = _social_tables(due_before, paid_after)
    moment = T0 - timedelta(days=due_before) + timedelta(days=90)
    due = T0 - timedelta(days=due_before)
    paid = None if paid_after is None else due + timedelta(days=paid_after)
    assume(paid is None or paid >= due - timedelta(days=10))
    cured = paid is not None and paid < moment
    expected = float(moment < T0 and not cured)
    fb = FeatureBuilder([SocialFeatures()])
    got = fb.build(tables).row(0, named=True)
    assert got["soc_default_neighbour_count"] == expected
    assert got["soc_default_neighbour_share"] == expected
    online = fb.build_one(
        {k: v.to_dicts() for k, v in tables if k != "applications"}, T0, user_id=1
    )
    assert online["soc_default_neighbour_count"] == expected


def _append(tables: dict, name: str, **row: object) -> None:
    """Add one row to ``tables[name]``, keeping its schema."""
    frame = tables[name]
    extra = pl.DataFrame({k: [v] for k, v in row.items()}, schema=frame.schema)
    tables[name] = pl.concat([frame, extra])
