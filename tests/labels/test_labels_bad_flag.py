"""The bad flag on hand-made histories, its properties and its bad-input errors."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from _histories import day, tables
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, SchemaError, SpecError
from thinfile_credit.labels import bad_flag, instalment_dpd, window_days


def by_loan(out: pd.DataFrame) -> dict:
    return {r["loan_id"]: r for r in out.to_dict("records")}


def test_paid_late_then_caught_up_is_bad():
    # First instalment paid 40 days late, the later ones on time: worst-ever DPD is 40.
    lo, ins = tables(
        [(1, 10, 0)],
        [(1, 30, 100, 70, 100), (1, 60, 100, 60, 100), (1, 90, 100, 88, 100)],
    )
    r = by_loan(bad_flag(lo, ins, dpd=30, window=180, as_of=day(400)))[1]
    assert (r["max_dpd_in_window"], r["status"], r["bad"]) == (40, "bad", 1)
    assert r["n_installments"] == 3


def test_threshold_edges_paid_on_day_29_and_30():
    lo, ins = tables(
        [(1, 1, 0), (2, 2, 0)],
        [(1, 30, 100, 59, 100), (2, 30, 100, 60, 100)],
    )
    out = by_loan(bad_flag(lo, ins, dpd=30, window=180, as_of=day(400)))
    assert (out[1]["max_dpd_in_window"], out[1]["status"]) == (29, "good")
    assert (out[2]["max_dpd_in_window"], out[2]["status"]) == (30, "bad")


def test_partial_payment_leaves_instalment_unpaid():
    lo, ins = tables(
        [(1, 1, 0), (2, 2, 0)],
        [(1, 30, 100, 31, 60), (2, 30, 100, 31, 99.995)],  # 60 of 100; 99.995 within 0.01
    )
    out = by_loan(bad_flag(lo, ins, dpd=30, window=90, as_of=day(400)))
    assert out[1]["status"] == "bad"
    assert out[1]["max_dpd_in_window"] == 60  # still unpaid at the window end (day 90)
    assert (out[2]["status"], out[2]["max_dpd_in_window"]) == ("good", 1)


def test_immature_window_and_early_bad():
    lo, ins = tables(
        [(1, 1, 0), (2, 2, 100), (3, 3, 100)],
        [(1, 30, 50, 30, 50), (2, 130, 50, None, 0), (3, 130, 50, 131, 50)],
    )
    as_of = day(200)  # loans 2 and 3 have a 180-day window ending on day 280
    out = by_loan(bad_flag(lo, ins, window="180D", as_of=as_of))
    assert out[1]["status"] == "good"
    assert out[2]["status"] == "immature"
    assert pd.isna(out[2]["bad"])
    assert out[2]["max_dpd_in_window"] == 70  # observed to as_of
    assert out[3]["status"] == "immature"
    early = by_loan(bad_flag(lo, ins, window="180D", as_of=as_of, early_bad=True))
    assert (early[2]["status"], early[2]["bad"]) == ("bad", 1)
    assert early[3]["status"] == "immature"  # not bad yet: still immature


def test_indeterminate_band():
    lo, ins = tables(
        [(1, 1, 0), (2, 1, 0), (3, 1, 0)],
        [(1, 30, 10, 30, 10), (2, 30, 10, 45, 10), (3, 30, 10, 80, 10)],
    )
    out = by_loan(bad_flag(lo, ins, dpd=30, window=180, as_of=day(365), indeterminate=(1, 29)))
    assert [out[i]["status"] for i in (1, 2, 3)] == ["good", "indeterminate", "bad"]
    assert pd.isna(out[2]["bad"])
    assert [out[i]["max_dpd_in_window"] for i in (1, 2, 3)] == [0, 15, 50]


def test_several_loans_per_user_and_nothing_dropped():
    lo, ins = tables(
        [(1, 7, 0), (2, 7, 200), (3, 8, 10), (4, 7, 400)],
        [(1, 30, 10, 31, 10), (2, 230, 10, None, 0), (3, 40, 10, 40, 10)],
    )
    lo["application_id"] = ["a1", "a2", "a3", "a4"]
    out = bad_flag(lo, ins, dpd=30, window=90, as_of=day(420))
    assert out["loan_id"].tolist() == [1, 2, 3, 4]  # input order, every loan
    assert out["user_id"].tolist() == [7, 7, 8, 7]
    assert out["application_id"].tolist() == ["a1", "a2", "a3", "a4"]
    assert out["status"].tolist() == ["good", "bad", "good", "immature"]
    assert out["n_installments"].tolist() == [1, 1, 1, 0]
    assert list(out.columns) == [
        "loan_id",
        "user_id",
        "application_id",
        "disbursed_at",
        "window_end",
        "n_installments",
        "max_dpd_in_window",
        "status",
        "bad",
    ]


def test_delinquency_after_window_end_does_not_count():
    lo, ins = tables([(1, 1, 0)], [(1, 80, 10, None, 0)])
    out = bad_flag(lo, ins, dpd=30, window=90, as_of=day(500))
    assert (out["max_dpd_in_window"][0], out["status"][0]) == (10, "good")


def test_as_of_ignores_later_payments_and_defaults_to_last_date():
    lo, ins = tables([(1, 1, 0)], [(1, 30, 10, 300, 10)])
    assert instalment_dpd(lo, ins, as_of=day(100))["dpd"].tolist() == [70]
    assert instalment_dpd(lo, ins)["dpd"].tolist() == [270]  # as_of = day 300


@pytest.mark.parametrize("kind", ["polars", "pyarrow"])
def test_frame_kind_round_trip(kind):
    lo, ins = tables([(1, 1, 0)], [(1, 30, 10, 70, 10)])
    convert = {"polars": pl.from_pandas, "pyarrow": pa.Table.from_pandas}[kind]
    out = bad_flag(convert(lo), convert(ins), window=90, as_of=day(200))
    frame = pl.from_arrow(out) if kind == "pyarrow" else out
    assert type(out) is type(convert(lo))
    assert frame["status"].to_list() == ["bad"]
    assert frame["bad"].dtype == pl.Int8


def test_date_typed_columns_and_timezones():
    loans = pl.DataFrame(
        {"loan_id": [1], "user_id": [1], "disbursed_at": [dt.datetime(2024, 1, 1, 23, 0)]}
    ).with_columns(pl.col("disbursed_at").dt.replace_time_zone("Asia/Shanghai"))
    inst = pl.DataFrame(
        {
            "loan_id": [1],
            "due_at": [dt.date(2024, 2, 1)],
            "amount_due": [1.0],
            "paid_at": [dt.date(2024, 3, 2)],
            "amount_paid": [1.0],
        }
    )
    out = bad_flag(loans, inst, dpd=30, window=90, as_of="2024-12-31")
    assert out["max_dpd_in_window"].to_list() == [30]


# -- property tests --------------------------------------------------------------------


@st.composite
def history(draw: st.DrawFn):
    window = draw(st.integers(10, 200))
    n = draw(st.integers(0, 6))
    inst = []
    for _ in range(n):
        due = draw(st.integers(0, 300))
        paid = draw(st.one_of(st.none(), st.integers(0, 400)))
        if paid is not None and paid < 0:
            paid = None
        full = draw(st.booleans())
        inst.append((1, due, 100.0, paid, 100.0 if full else 40.0))
    return window, inst


def brute_force_worst_dpd(inst, end: int) -> int:
    """Walk day by day; an instalment's DPD grows while unpaid and freezes when paid."""
    worst = 0
    for _, due, amount_due, paid, amount_paid in inst:
        full = paid is not None and amount_paid >= amount_due - 0.01
        for d in range(0, end + 1):
            dpd = (min(paid, d) if full and paid <= d else d) - due
            worst = max(worst, dpd)
    return max(worst, 0)


@given(history(), st.integers(1, 60))
def test_matches_day_by_day_simulation(h, threshold):
    window, inst = h
    lo, ins = tables([(1, 1, 0)], inst)
    out = bad_flag(lo, ins, dpd=threshold, window=window, as_of=day(1000))
    expected = brute_force_worst_dpd(inst, window)
    assert out["max_dpd_in_window"][0] == expected
    assert out["status"][0] == ("bad" if expected >= threshold else "good")


@given(history(), st.data())
def test_flag_never_depends_on_events_after_the_window(h, data):
    window, inst = h
    lo, ins = tables([(1, 1, 0)], inst)
    base = bad_flag(lo, ins, dpd=30, window=window, as_of=day(600))
    # Rewrite everything that happens after the window end: payments after it move to
    # other dates after it (or vanish, or become partial), instalments due after it
    # change, and new ones appear.
    changed = []
    for loan_id, due, amount_due, paid, amount_paid in inst:
        if paid is not None and paid > window:
            paid = data.draw(st.one_of(st.none(), st.integers(window + 1, 500)))
            amount_paid = data.draw(st.sampled_from([amount_paid, 10.0, 100.0]))
        if due > window:
            due = data.draw(st.integers(window + 1, 500))
            paid = data.draw(st.one_of(st.none(), st.integers(due, 550)))
        changed.append((loan_id, due, amount_due, paid, amount_paid))
    changed.append((1, window + data.draw(st.integers(1, 50)), 100.0, None, 0.0))
    lo2, ins2 = tables([(1, 1, 0)], changed)
    after = bad_flag(lo2, ins2, dpd=30, window=window, as_of=day(data.draw(st.integers(600, 900))))
    cols = ["max_dpd_in_window", "status", "bad"]
    pd.testing.assert_frame_equal(base[cols], after[cols])


# -- bad input ----------------------------------------------------------------------------


def test_unknown_loan_id_is_named():
    lo, ins = tables([(1, 1, 0)], [(1, 30, 10, 30, 10), (9, 30, 10, 30, 10)])
    with pytest.raises(SchemaError, match="unknown loans") as info:
        bad_flag(lo, ins)
    assert (info.value.table, info.value.column, info.value.rows) == (
        "installments",
        "loan_id",
        [1],
    )
    assert "9" in str(info.value)


def test_paid_before_disbursement_is_named():
    lo, ins = tables([(1, 1, 10)], [(1, 30, 10, 5, 10)])
    with pytest.raises(SchemaError, match="before the loan was disbursed") as info:
        bad_flag(lo, ins)
    assert (info.value.table, info.value.column) == ("installments", "paid_at")


@pytest.mark.parametrize(
    ("mutate", "table", "column"),
    [
        (lambda lo, ins: (lo.drop(columns="disbursed_at"), ins), "loans", "disbursed_at"),
        (lambda lo, ins: (lo, ins.drop(columns="amount_paid")), "installments", "amount_paid"),
        (lambda lo, ins: (pd.concat([lo, lo]), ins), "loans", "loan_id"),
        (lambda lo, ins: (lo.assign(disbursed_at=pd.NaT), ins), "loans", "disbursed_at"),
        (lambda lo, ins: (lo, ins.assign(due_at="2024-02-01")), "installments", "due_at"),
        (lambda lo, ins: (lo, ins.assign(amount_due=-1.0)), "installments", "amount_due"),
        (lambda lo, ins: (lo.assign(disbursed_at=day(40)), ins), "installments", "due_at"),
    ],
)
def test_malformed_tables(mutate, table, column):
    lo, ins = tables([(1, 1, 0)], [(1, 30, 10, 30, 10)])
    lo, ins = mutate(lo, ins)
    with pytest.raises(SchemaError) as info:
        bad_flag(lo, ins)
    assert (info.value.table, info.value.column) == (table, column)


NAN, INF = float("nan"), float("inf")
# loan 1 is paid in full on day 30; loan 2 is paid on day 35; loan 3 is never paid
_AMOUNTS_OK = [(1, 30, 10.0, 30, 10.0), (2, 30, 10.0, 35, 10.0), (3, 30, 10.0, None, 0.0)]


def _with_amount(row, column, value):
    """The three-loan history with one instalment's amount replaced."""
    rows = [list(r) for r in _AMOUNTS_OK]
    rows[row][2 if column == "amount_due" else 4] = value
    return tables([(1, 1, 0), (2, 2, 0), (3, 3, 0)], [tuple(r) for r in rows])


def _as_kind(lo, ins, kind, null):
    if kind == "polars":
        lo, ins = pl.from_pandas(lo), pl.from_pandas(ins, nan_to_null=False)
        if null:  # a real Polars null, not a NaN
            ins = ins.with_columns(pl.col("amount_due", "amount_paid").fill_nan(None))
    elif null:  # pandas' own missing value in a nullable float column
        ins = ins.astype({"amount_due": "Float64", "amount_paid": "Float64"})
        ins.loc[ins["amount_due"].isna(), "amount_due"] = pd.NA
        ins.loc[ins["amount_paid"].isna(), "amount_paid"] = pd.NA
    return lo, ins


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize("null", [False, True])
@pytest.mark.parametrize(
    ("column", "row", "value"),
    [
        ("amount_due", 0, NAN),  # a paid instalment: would be "never paid" (bad)
        ("amount_due", 2, NAN),  # an unpaid one: its amount due is still part of the data
        ("amount_paid", 0, NAN),  # paid_at set: would be unpaid (pandas) or paid (Polars)
        ("amount_paid", 1, NAN),
    ],
)
def test_missing_amounts_are_named_not_coerced(kind, null, column, row, value):
    lo, ins = _as_kind(*_with_amount(row, column, value), kind, null)
    for call in (bad_flag, instalment_dpd):
        with pytest.raises(SchemaError, match="missing") as info:
            call(lo, ins, as_of=day(400))
        assert (info.value.table, info.value.column, info.value.rows) == (
            "installments",
            column,
            [row],
        )


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize(
    ("column", "row"), [("amount_due", 1), ("amount_paid", 0), ("amount_paid", 2)]
)
def test_infinite_amounts_are_named(kind, column, row):
    lo, ins = _as_kind(*_with_amount(row, column, INF), kind, null=False)
    with pytest.raises(SchemaError, match="infinite") as info:
        bad_flag(lo, ins, as_of=day(400))
    assert (info.value.table, info.value.column, info.value.rows) == ("installments", column, [row])


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize("null", [False, True])
def test_unpaid_instalment_may_leave_amount_paid_missing(kind, null):
    # paid_at null: unpaid whatever the amount, in both libraries
    lo, ins = _as_kind(*_with_amount(2, "amount_paid", NAN), kind, null)
    base_lo, base_ins = _with_amount(2, "amount_paid", 0.0)
    got = bad_flag(lo, ins, dpd=30, window=90, as_of=day(400))
    want = bad_flag(base_lo, base_ins, dpd=30, window=90, as_of=day(400))
    got = got.to_pandas() if isinstance(got, pl.DataFrame) else got
    assert got["status"].tolist() == want["status"].tolist() == ["good", "good", "bad"]
    assert got["max_dpd_in_window"].tolist() == want["max_dpd_in_window"].tolist()


def test_empty_loans():
    lo, ins = tables([(1, 1, 0)], [])
    with pytest.raises(DataError, match="empty") as info:
        bad_flag(lo.iloc[:0], ins)
    assert info.value.table == "loans"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dpd": 0},
        {"dpd": 30.5},
        {"window": "6M"},
        {"window": 0},
        {"window": dt.timedelta(hours=5)},
        {"indeterminate": (1, 30)},
        {"indeterminate": (20, 10)},
        {"as_of": "yesterday"},
        {"tolerance": -1},
    ],
)
def test_bad_specs(kwargs):
    lo, ins = tables([(1, 1, 0)], [(1, 30, 10, 30, 10)])
    with pytest.raises(SpecError):
        bad_flag(lo, ins, **kwargs)


def test_window_days_forms():
    assert window_days("180D") == window_days(" 180d ") == window_days(180) == 180
    assert window_days(dt.timedelta(days=90)) == 90


def test_future_schedule_does_not_move_default_as_of():
    # The extract ends on day 100 (last payment); instalment 2 is scheduled for day 400.
    lo, ins = tables([(1, 1, 0)], [(1, 30, 10, 100, 10), (1, 400, 10, None, 0)])
    out = bad_flag(lo, ins, dpd=30, window=90)
    assert out["status"].tolist() == ["bad"]  # window (day 90) elapsed by day 100
    out = bad_flag(lo, ins, dpd=30, window=180)
    assert out["status"].tolist() == ["immature"]  # day 180 is after the extract
    assert out["max_dpd_in_window"].tolist() == [70]  # paid on day 100: frozen at 70
