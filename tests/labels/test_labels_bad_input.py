"""Bad input to the labels: typed errors naming table, column and rows, never a coercion."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest
from _histories import day, tables
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import SchemaError, SpecError
from thinfile_credit.labels import (
    bad_flag,
    delinquency_snapshots,
    instalment_dpd,
    roll_rate_matrix,
    suggest_window,
    vintage_curves,
    window_days,
)
from thinfile_credit.labels._args import MAX_DAYS
from thinfile_credit.labels.dpd import parse_day

#: Every public function that reads a repayment history, with the keywords it needs.
LABELS = [
    pytest.param(bad_flag, {"window": 90}, id="bad_flag"),
    pytest.param(instalment_dpd, {}, id="instalment_dpd"),
    pytest.param(vintage_curves, {}, id="vintage_curves"),
    pytest.param(roll_rate_matrix, {}, id="roll_rate_matrix"),
    pytest.param(delinquency_snapshots, {}, id="delinquency_snapshots"),
]

# Loan 1 paid on time; loan 2 paid 73 days late (bad at 30 DPD within 90 days).
TWO_LOANS = ([(1, 10, 0), (2, 11, 0)], [(1, 31, 100.0, 33, 100.0), (2, 31, 100.0, 104, 100.0)])
AS_OF = "2024-06-30"


def _two_loans() -> tuple[pd.DataFrame, pd.DataFrame]:
    return tables(*TWO_LOANS)


# -- 1. instalment loan ids are cast only losslessly ----------------------------------------


@pytest.mark.parametrize(("call", "kwargs"), LABELS)
def test_fractional_instalment_loan_id_is_named_not_truncated(call, kwargs):
    lo, ins = _two_loans()
    ins["loan_id"] = [1.0, 2.5]  # 2.5 is no loan's id; a cast would make it loan 2
    with pytest.raises(SchemaError, match=r"loans\.loan_id") as err:
        call(lo, ins, as_of=AS_OF, **kwargs)
    assert (err.value.table, err.value.column, err.value.rows) == ("installments", "loan_id", [1])


@pytest.mark.parametrize(("call", "kwargs"), LABELS)
@pytest.mark.parametrize("ids", [["01", "2"], ["1", "2"]])
def test_text_instalment_loan_ids_against_integer_ids_are_refused(call, kwargs, ids):
    lo, ins = _two_loans()
    ins["loan_id"] = ids  # "01" would be read as loan 1
    with pytest.raises(SchemaError, match="kind") as err:
        call(lo, ins, as_of=AS_OF, **kwargs)
    assert (err.value.table, err.value.column) == ("installments", "loan_id")


def test_instalment_loan_id_out_of_range_of_the_loans_dtype_is_named():
    lo, ins = (pl.from_pandas(t) for t in _two_loans())
    lo = lo.with_columns(pl.col("loan_id").cast(pl.Int32))
    ins = ins.with_columns(loan_id=pl.Series([1, 2**32 + 2], dtype=pl.Int64))  # wraps to 2
    with pytest.raises(SchemaError) as err:
        bad_flag(lo, ins, window=90, as_of=AS_OF)
    assert (err.value.table, err.value.column, err.value.rows) == ("installments", "loan_id", [1])


_ID_DTYPES = ["int32", "int64", "uint32", "float64", "Int64"]


@given(
    st.lists(
        st.tuples(
            st.integers(1, 6),  # loan
            st.integers(0, 120),  # due, days after disbursement
            st.one_of(st.none(), st.integers(0, 200)),  # paid, days after due
        ),
        max_size=8,
    ),
    st.sampled_from(_ID_DTYPES),
    st.sampled_from(_ID_DTYPES),
)
def test_labels_do_not_depend_on_the_dtype_of_whole_number_loan_ids(rows, loan_dtype, ins_dtype):
    loans = [(i, 100 + i, 3 * i) for i in range(1, 7)]
    inst = [
        (i, 3 * i + due, 10.0, None if p is None else 3 * i + due + p, 10.0) for i, due, p in rows
    ]
    lo, ins = tables(loans, inst)
    base = bad_flag(lo, ins, dpd=30, window=90, as_of=day(400))
    base_dpd = instalment_dpd(lo, ins, as_of=day(400))
    lo2 = lo.astype({"loan_id": loan_dtype})
    ins2 = ins.astype({"loan_id": ins_dtype})
    got = bad_flag(lo2, ins2, dpd=30, window=90, as_of=day(400))
    got_dpd = instalment_dpd(lo2, ins2, as_of=day(400))
    cols = ["n_installments", "max_dpd_in_window", "status", "bad"]
    pd.testing.assert_frame_equal(got[cols], base[cols])
    assert got["loan_id"].tolist() == base["loan_id"].tolist()
    assert got_dpd["dpd"].tolist() == base_dpd["dpd"].tolist()
    assert got_dpd["loan_id"].tolist() == base_dpd["loan_id"].tolist()


# -- 2. as_of is a date, read whole ---------------------------------------------------------


@pytest.mark.parametrize(("call", "kwargs"), LABELS)
@pytest.mark.parametrize(
    "as_of",
    [
        2024,  # not days since 1970
        2024.0,
        True,
        pd.NaT,
        np.datetime64("NaT"),
        "2024-06-30 garbage",  # not read as its first ten characters
        "30/06/2024",
        "",
        np.datetime64(10**7, "D"),  # beyond 9999-12-31
        [dt.date(2024, 6, 30)],
    ],
    ids=repr,
)
def test_as_of_that_is_not_a_date_is_refused(call, kwargs, as_of):
    lo, ins = _two_loans()
    with pytest.raises(SpecError, match="as_of"):
        call(lo, ins, as_of=as_of, **kwargs)


@pytest.mark.parametrize(
    "as_of",
    [
        dt.date(2024, 6, 30),
        dt.datetime(2024, 6, 30, 18),
        pd.Timestamp("2024-06-30 18:00"),
        pd.Timestamp("2024-06-30 18:00", tz="Asia/Shanghai"),
        np.datetime64("2024-06-30"),
        np.datetime64("2024-06-30T18:00:00.123456789"),
        "2024-06-30",
        "2024-06-30T18:00",
        "2024-06-30 18:00:00+08:00",
    ],
    ids=repr,
)
def test_documented_as_of_forms_name_the_same_day(as_of):
    lo, ins = _two_loans()
    want = bad_flag(lo, ins, window=90, as_of=dt.date(2024, 6, 30))
    pd.testing.assert_frame_equal(bad_flag(lo, ins, window=90, as_of=as_of), want)
    assert want["status"].tolist() == ["good", "bad"]


@given(st.dates(), st.times())
def test_parse_day_reads_every_form_of_a_moment_as_its_date(day_, time_):
    moment = dt.datetime.combine(day_, time_)
    forms = [day_, moment, moment.isoformat(), day_.isoformat(), np.datetime64(moment, "us")]
    assert {parse_day(f, "as_of") for f in forms} == {day_}


# -- 3. the installments key (loan_id, installment_no) is unique ----------------------------


@pytest.mark.parametrize(("call", "kwargs"), LABELS)
def test_duplicated_instalment_key_names_every_row_of_it(call, kwargs):
    lo, ins = tables(
        [(1, 10, 0), (2, 11, 0)],
        [(1, 31, 100.0, 31, 100.0), (2, 31, 100.0, 31, 100.0), (1, 61, 100.0, 61, 100.0)],
    )
    # A stale unpaid copy of loan 1's first instalment, after loan 2's rows.
    stale = ins.iloc[[0]].assign(paid_at=pd.NaT, amount_paid=0.0)
    ins = pd.concat([ins, stale], ignore_index=True)
    with pytest.raises(SchemaError, match="unique") as err:
        call(lo, ins, as_of=AS_OF, **kwargs)
    assert err.value.table == "installments"
    assert err.value.column == "(loan_id, installment_no)"
    assert err.value.rows == [0, 3]


def test_null_instalment_number_is_named():
    lo, ins = _two_loans()
    ins["installment_no"] = pd.array([1, None], dtype="Int64")
    with pytest.raises(SchemaError, match="missing") as err:
        bad_flag(lo, ins, window=90, as_of=AS_OF)
    assert (err.value.table, err.value.column, err.value.rows) == (
        "installments",
        "installment_no",
        [1],
    )


def test_same_instalment_number_on_different_loans_is_fine():
    lo, ins = _two_loans()  # both rows are installment_no 1, of loans 1 and 2
    assert bad_flag(lo, ins, window=90, as_of=AS_OF)["status"].tolist() == ["good", "bad"]


# -- 4. windows, thresholds, bands and amounts are checked, never truncated -----------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"window": 2 * 10**8},  # overflowed the date arithmetic: an unpaid loan was "good"
        {"window": 10**30},
        {"window": "99999999999D"},
        {"window": MAX_DAYS},  # within the calendar's span, but past 9999 for 2024 loans
        {"window": 90.0},
        {"window": np.float64(90)},
        {"dpd": True},
        {"dpd": 29.9},
        {"dpd": "30"},
        {"dpd": MAX_DAYS + 1},
        {"indeterminate": (1.7, 29.9)},  # was truncated to (1, 29)
        {"indeterminate": (1, 29.0)},
        {"indeterminate": (True, 5)},
        {"indeterminate": (1, 5, 9)},
        {"indeterminate": "15"},
        {"tolerance": float("inf")},
        {"tolerance": float("nan")},
        {"tolerance": "0.01"},
        {"tolerance": True},
        {"early_bad": "no"},
        {"early_bad": 1},
    ],
    ids=repr,
)
def test_bad_flag_arguments_are_refused(kwargs):
    lo, ins = _two_loans()
    with pytest.raises(SpecError, match=next(iter(kwargs))):
        bad_flag(lo, ins, as_of=AS_OF, **{"window": 90, **kwargs})


def test_window_at_the_end_of_the_calendar_is_accepted():
    lo, ins = _two_loans()
    last = (dt.date.max - dt.date(2024, 1, 1)).days
    out = bad_flag(lo, ins, window=last, as_of=AS_OF)
    assert out["status"].tolist() == ["immature", "immature"]
    assert out["window_end"].tolist() == [pd.Timestamp(dt.date.max)] * 2


@given(st.integers(-(10**20), 10**20))
def test_window_days_is_the_whole_number_or_a_spec_error(n):
    if 1 <= n <= MAX_DAYS:
        assert window_days(n) == window_days(f"{n}D") == window_days(np.int64(n)) == n
    else:
        with pytest.raises(SpecError, match="window"):
            window_days(n)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dpd": 2.5},
        {"dpd": True},
        {"max_months_on_book": True},
        {"max_months_on_book": 1.5},
        {"max_months_on_book": "3"},
        {"tolerance": float("inf")},
    ],
    ids=repr,
)
def test_vintage_arguments_are_refused(kwargs):
    lo, ins = _two_loans()
    with pytest.raises(SpecError, match=next(iter(kwargs))):
        vintage_curves(lo, ins, as_of=AS_OF, **kwargs)


def test_vintage_horizon_beyond_the_data_adds_nothing():
    lo, ins = _two_loans()
    want = vintage_curves(lo, ins, as_of=AS_OF)
    for longest in (want["months_on_book"].max(), 10**12, np.int64(50)):
        got = vintage_curves(lo, ins, as_of=AS_OF, max_months_on_book=longest)
        pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("buckets", [(True, 30), (1, 30.0), "130", (1, MAX_DAYS + 1), 30], ids=repr)
def test_roll_rate_buckets_are_refused(buckets):
    lo, ins = _two_loans()
    with pytest.raises(SpecError, match="buckets"):
        roll_rate_matrix(lo, ins, as_of=AS_OF, buckets=buckets)


def test_roll_rate_buckets_may_be_numpy_integers():
    lo, ins = _two_loans()
    got = roll_rate_matrix(lo, ins, as_of=AS_OF, buckets=np.array([1, 30, 60, 90]))
    pd.testing.assert_frame_equal(got, roll_rate_matrix(lo, ins, as_of=AS_OF))


# -- 5. suggest_window reads the curves it needs --------------------------------------------


def _curves() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cohort": ["2023-01"] * 4,
            "months_on_book": [1, 2, 3, 4],
            "cohort_size": 100,
            "n_loans": 100,
            "n_bad": [1, 6, 9, 10],
            "bad_rate": [0.01, 0.06, 0.09, 0.10],
        }
    )


@pytest.mark.parametrize("column", ["cohort", "months_on_book", "cohort_size", "n_loans", "n_bad"])
def test_suggest_window_names_a_missing_column(column):
    with pytest.raises(SchemaError, match="missing") as err:
        suggest_window(_curves().drop(columns=column))
    assert (err.value.table, err.value.column) == ("curves", column)


def test_suggest_window_names_non_numeric_and_missing_counts():
    with pytest.raises(SchemaError, match="numeric") as err:
        suggest_window(_curves().assign(n_bad=["1", "6", "9", "10"]))
    assert (err.value.table, err.value.column) == ("curves", "n_bad")
    with pytest.raises(SchemaError, match="missing") as err:
        suggest_window(_curves().assign(n_loans=[100, np.nan, 100, 100]))
    assert (err.value.table, err.value.column, err.value.rows) == ("curves", "n_loans", [1])


@pytest.mark.parametrize("share", ["0.9", True, float("nan"), 0, 1.5], ids=repr)
def test_suggest_window_share_is_a_number_in_range(share):
    with pytest.raises(SpecError, match="share"):
        suggest_window(_curves(), share=share)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_nan_loan_id_is_a_missing_loan_id(kind):
    lo, ins = _two_loans()
    lo["loan_id"] = [1.0, np.nan]
    if kind == "polars":  # Polars keeps NaN apart from null
        lo = pl.from_pandas(lo, nan_to_null=False)
    with pytest.raises(SchemaError, match="missing") as err:
        bad_flag(lo, ins.iloc[:1], window=90, as_of=AS_OF)
    assert (err.value.table, err.value.column, err.value.rows) == ("loans", "loan_id", [1])


@given(st.permutations(range(2)), st.permutations(range(2)))
def test_pandas_results_keep_their_inputs_index(loan_order, inst_order):
    """bad_flag is one row per loan, instalment_dpd one per instalment, in input order:
    their pandas results keep the input's index, so index-aligned assignment pairs each
    loan (instalment) with its own row."""
    loans, inst = _two_loans()
    loans.index = pd.Index([70, 80])
    inst.index = pd.Index([7, 8])
    loans, inst = loans.iloc[list(loan_order)], inst.iloc[list(inst_order)]
    flags = bad_flag(loans, inst, window=90, as_of=AS_OF)
    assert flags.index.tolist() == loans.index.tolist()
    assert loans.assign(status=flags["status"]).set_index("loan_id")["status"].to_dict() == {
        1: "good",
        2: "bad",
    }
    dpd = instalment_dpd(loans, inst, as_of=AS_OF)
    assert dpd.index.tolist() == inst.index.tolist()
    paired = inst.assign(dpd=dpd["dpd"]).set_index("loan_id")["dpd"].to_dict()
    assert paired == {1: 2, 2: 73}


def test_numpy_durations_are_read_as_durations():
    """``np.timedelta64`` is a NumPy integer: read as a count it took 90 ns for 90 days."""
    assert window_days(np.timedelta64(180, "D")) == 180
    assert window_days(pd.Timedelta("26W").to_timedelta64()) == 182
    for bad in (np.timedelta64(90, "ns"), np.timedelta64("NaT")):
        with pytest.raises(SpecError, match="window"):
            window_days(bad)
