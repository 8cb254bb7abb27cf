"""Vintage curves and roll-rate matrices on hand-made histories."""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest
from _histories import D0, day, tables
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.labels import (
    bad_flag,
    delinquency_snapshots,
    roll_rate_matrix,
    suggest_window,
    vintage_curves,
)


def test_vintage_hand_example():
    # Two January loans, one February loan. Loan 1 never pays (30 DPD on day 60),
    # loan 3 pays 45 days late (reaches 30 DPD on day 31 + 30 + 30 = day 91).
    lo, ins = tables(
        [(1, 1, 0), (2, 2, 10), (3, 3, 31)],
        [(1, 30, 10, None, 0), (2, 40, 10, 41, 10), (3, 61, 10, 106, 10)],
    )
    v = vintage_curves(lo, ins, dpd=30, as_of=day(140))
    jan = v[v["cohort"] == pd.Timestamp("2024-01-01")]
    assert jan["months_on_book"].tolist() == [1, 2, 3, 4]
    assert jan["cohort_size"].tolist() == [2, 2, 2, 2]
    # Loan 2 (disbursed Jan 11) is observed 4 whole months by May 20 (day 140).
    assert jan["n_loans"].tolist() == [2, 2, 2, 2]
    assert jan["n_bad"].tolist() == [0, 1, 1, 1]  # loan 1 reaches 30 DPD on Mar 1
    feb = v[v["cohort"] == pd.Timestamp("2024-02-01")]
    # Loan 3 reaches 30 DPD on day 91 = Apr 1 = Feb 1 + 2 months (counted on that day).
    assert feb["n_bad"].tolist() == [0, 1, 1]
    assert feb["bad_rate"].tolist() == [0.0, 1.0, 1.0]


def test_vintage_final_point_agrees_with_bad_flag():
    rng = np.random.default_rng(0)
    loans, inst = [], []
    for i in range(60):
        start = int(rng.integers(0, 90))
        loans.append((i, i, start))
        for k in range(1, 4):
            due = start + 30 * k
            late = int(rng.choice([0, 5, 20, 45, 200]))
            inst.append((i, due, 10.0, due + late if late < 200 else None, 10.0))
    lo, ins = tables(loans, inst)
    as_of = day(600)
    v = pl.from_pandas(vintage_curves(lo, ins, dpd=30, as_of=as_of, max_months_on_book=12))
    at12 = v.filter(pl.col("months_on_book") == 12)
    # Twelve calendar months >= 335 days: every loan that is bad within 335 days is ever-bad.
    flags = bad_flag(lo, ins, dpd=30, window=335, as_of=as_of)
    assert at12["n_bad"].sum() >= (flags["bad"] == 1).sum()
    flags366 = bad_flag(lo, ins, dpd=30, window=366, as_of=as_of)
    assert at12["n_bad"].sum() <= (flags366["bad"] == 1).sum()


@given(st.lists(st.tuples(st.integers(0, 100), st.sampled_from([0, 10, 40, None])), min_size=1))
def test_vintage_curves_never_decrease(rows):
    loans = [(i, i, start) for i, (start, _) in enumerate(rows)]
    inst = [
        (i, start + 30, 10.0, None if late is None else start + 30 + late, 10.0)
        for i, (start, late) in enumerate(rows)
    ]
    lo, ins = tables(loans, inst)
    v = pl.from_pandas(vintage_curves(lo, ins, as_of=day(500)))
    full = v.filter(pl.col("n_loans") == pl.col("cohort_size"))
    for _, grp in full.group_by("cohort"):
        assert (np.diff(grp.sort("months_on_book")["n_bad"].to_numpy()) >= 0).all()


def test_vintage_newest_first_table_starting_with_a_loan_under_a_month():
    """The Polars ``offset_by("{m}mo")`` path panicked (a BaseException) when the first
    loan of the table had been on book under a month by ``as_of``."""
    lo = pd.DataFrame(
        {
            "loan_id": [2, 1],
            "user_id": [2, 1],
            "disbursed_at": pd.to_datetime(["2023-10-01", "2023-04-29"]),
        }
    )
    ins = pd.DataFrame(
        {
            "loan_id": [1, 2],
            "due_at": pd.to_datetime(["2023-05-29", "2023-11-01"]),
            "amount_due": [100.0, 100.0],
            "paid_at": pd.to_datetime(["2023-05-30", None]),
            "amount_paid": [100.0, 0.0],
        }
    )
    newest_first = vintage_curves(lo, ins, dpd=30, as_of="2023-10-22")
    oldest_first = vintage_curves(lo.iloc[::-1], ins, dpd=30, as_of="2023-10-22")
    pd.testing.assert_frame_equal(newest_first, oldest_first)
    # Only the April loan is a month on book (Apr 29 + 5 months = Sep 29 <= Oct 22).
    assert newest_first["months_on_book"].tolist() == [1, 2, 3, 4, 5]
    assert set(newest_first["cohort"]) == {pd.Timestamp("2023-04-01")}
    assert newest_first["n_bad"].tolist() == [0] * 5


def _add_months(d: dt.date, months: int) -> dt.date:
    year, month = divmod(d.month - 1 + months, 12)
    year, month = d.year + year, month + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


#: Disbursement days (offsets from 2024-01-01) weighted towards month ends (Jan 31,
#: Feb 29, Mar 30 and 31, Apr 30, May 31), where adding a month clamps the day.
_STARTS = st.one_of(st.sampled_from([30, 59, 89, 90, 120, 151]), st.integers(0, 400))


@given(
    st.lists(
        st.tuples(
            _STARTS,
            st.lists(st.tuples(st.integers(1, 70), st.one_of(st.none(), st.integers(0, 150)))),
        ),
        min_size=1,
        max_size=8,
    ),
    st.integers(31, 450),  # as_of, days after the oldest disbursement
    st.sampled_from([1, 30, 60]),
    st.data(),
)
def test_vintage_matches_month_walk_in_any_row_order(loans, after, threshold, data):
    """vintage_curves equals a per-loan walk over calendar months, whatever the order of
    the loan rows (random, and newest first)."""
    rows = [(i, i, start) for i, (start, _) in enumerate(loans)]
    inst = [
        (i, start + due, 10.0, None if late is None else start + due + late, 10.0)
        for i, (start, schedule) in enumerate(loans)
        for due, late in schedule
    ]
    as_of = D0 + dt.timedelta(days=min(start for start, _ in loans) + after)
    counts: dict[tuple[pd.Timestamp, int], list[int]] = {}
    for i, (start, _) in enumerate(loans):
        disbursed = D0 + dt.timedelta(days=start)
        # An instalment reaches the threshold on due + threshold unless paid before.
        reached = [
            due + threshold
            for lid, due, _, paid, _ in inst
            if lid == i and (paid is None or paid >= due + threshold)
        ]
        first_bad = D0 + dt.timedelta(days=min(reached)) if reached else None
        months = 1
        while (end := _add_months(disbursed, months)) <= as_of:
            cell = counts.setdefault((pd.Timestamp(disbursed.replace(day=1)), months), [0, 0])
            cell[0] += 1
            cell[1] += first_bad is not None and first_bad <= end
            months += 1
    order = data.draw(st.permutations(range(len(rows))), label="row order")
    newest_first = sorted(range(len(rows)), key=lambda i: -rows[i][2])
    lo, ins = tables(rows, inst)
    for positions in (order, newest_first):
        got = vintage_curves(lo.iloc[positions], ins, dpd=threshold, as_of=as_of)
        assert {
            (c, m): [n, b]
            for c, m, n, b in zip(
                got["cohort"], got["months_on_book"], got["n_loans"], got["n_bad"]
            )
        } == counts


def test_suggest_window_uses_fully_observed_cohorts():
    curves = pd.DataFrame(
        {
            "cohort": ["a"] * 4 + ["b"] * 2,
            "months_on_book": [1, 2, 3, 4, 1, 2],
            "cohort_size": [100] * 4 + [50] * 2,
            "n_loans": [100] * 4 + [50] * 2,
            "n_bad": [1, 6, 9, 10, 25, 40],  # cohort b is not observed to month 4
            "bad_rate": [0.01, 0.06, 0.09, 0.10, 0.5, 0.8],
        }
    )
    assert suggest_window(curves, share=0.9) == 3
    assert suggest_window(curves, share=0.5) == 2
    with pytest.raises(DataError, match="whole horizon"):
        suggest_window(curves.assign(n_loans=1))
    with pytest.raises(SpecError):
        suggest_window(curves, share=0)


def test_snapshots_and_roll_rates_hand_example():
    # Disbursed Jan 10, due Feb 10, paid Apr 5: current at Jan 31, 19 DPD at Feb 29,
    # 50 DPD at Mar 31, closed at Apr 30.
    lo, ins = tables([(1, 1, 9)], [(1, 40, 50, 95, 50)])
    snaps = delinquency_snapshots(lo, ins, as_of=day(120))
    assert snaps["snapshot"].tolist() == [
        pd.Timestamp(d) for d in ("2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30")
    ]
    assert snaps["dpd"].tolist() == [0, 19, 50, 0]
    assert snaps["bucket"].tolist() == ["current", "1-29", "30-59", "closed"]
    m = roll_rate_matrix(lo, ins, as_of=day(120))
    assert m["from_bucket"].unique().tolist() == ["current", "1-29", "30-59", "60-89", "90+"]
    assert m["to_bucket"].unique().tolist() == [
        "current",
        "1-29",
        "30-59",
        "60-89",
        "90+",
        "closed",
    ]
    moves = m[m["n"] > 0]
    assert moves[["from_bucket", "to_bucket", "n"]].values.tolist() == [
        ["current", "1-29", 1],
        ["1-29", "30-59", 1],
        ["30-59", "closed", 1],
    ]
    assert moves["rate"].tolist() == [1.0, 1.0, 1.0]
    assert m[m["from_bucket"] == "90+"]["rate"].isna().all()


def test_roll_rates_cure_and_partial_payment():
    # Loan 1 cures (pays instalment 1 late, then is current); loan 2 pays only half and
    # rolls all the way to 90+. Month-ends: Jan 31, Feb 29, Mar 31, Apr 30, May 31.
    lo, ins = tables(
        [(1, 1, 0), (2, 2, 0)],
        [
            (1, 40, 10, 95, 10),  # due Feb 10, paid Apr 5
            (1, 140, 10, 140, 10),  # due and paid May 20
            (2, 40, 10, 45, 5),  # due Feb 10, half paid
        ],
    )
    snaps = delinquency_snapshots(lo, ins, as_of=day(160))
    s1 = snaps[snaps["loan_id"] == 1]["bucket"].tolist()
    assert s1 == ["current", "1-29", "30-59", "current", "closed"]
    s2 = snaps[snaps["loan_id"] == 2]
    assert s2["bucket"].tolist() == ["current", "1-29", "30-59", "60-89", "90+"]
    assert s2["dpd"].tolist() == [0, 19, 50, 80, 111]
    m = roll_rate_matrix(lo, ins, as_of=day(160)).set_index(["from_bucket", "to_bucket"])
    assert m.loc[("30-59", "current"), "n"] == 1
    assert m.loc[("30-59", "60-89"), "n"] == 1
    assert m.loc[("30-59", "current"), "rate"] == 0.5
    assert m.loc[("60-89", "90+"), "rate"] == 1.0
    assert m.loc[("current", "closed"), "n"] == 1
    assert m["n"].sum() == 8  # 4 transitions per loan
    # Rates of every non-empty row sum to one.
    sums = m.groupby(level=0)["rate"].sum()
    assert sums[sums > 0].tolist() == pytest.approx([1.0] * (sums > 0).sum())


def test_custom_buckets_and_polars():
    lo, ins = tables([(1, 1, 0)], [(1, 20, 10, None, 0)])  # due Jan 21, never paid
    out = delinquency_snapshots(
        pl.from_pandas(lo), pl.from_pandas(ins), buckets=(1, 15), as_of=day(60)
    )
    assert isinstance(out, pl.DataFrame)
    assert out["dpd"].to_list() == [10, 39]
    assert out["bucket"].to_list() == ["1-14", "15+"]


@pytest.mark.parametrize("buckets", [(), (0, 30), (30, 10), (1.5,)])
def test_bad_buckets(buckets):
    lo, ins = tables([(1, 1, 0)], [(1, 30, 10, None, 0)])
    with pytest.raises(SpecError, match="buckets"):
        roll_rate_matrix(lo, ins, buckets=buckets)


def test_vintage_bad_input():
    lo, ins = tables([(1, 1, 0)], [(1, 30, 10, None, 0)])
    with pytest.raises(DataError, match="full month"):
        vintage_curves(lo, ins, as_of=day(10))
    with pytest.raises(SpecError):
        vintage_curves(lo, ins, max_months_on_book=0)
    with pytest.raises(SpecError):
        vintage_curves(lo, ins, dpd=-5)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 150),  # due, days after disbursement on day 0
            st.one_of(st.none(), st.integers(0, 300)),  # paid
            st.booleans(),  # in full
        ),
        max_size=5,
    ),
    st.integers(0, 40),  # disbursement day
    st.integers(100, 320),  # as_of
)
def test_snapshots_match_month_end_walk(inst, start, as_of):
    rows = [
        (1, start + due, 10.0, None if p is None else start + p, 10.0 if full else 3.0)
        for due, p, full in inst
    ]
    lo, ins = tables([(1, 1, start)], rows)
    got = delinquency_snapshots(lo, ins, as_of=day(as_of))
    month_ends = [
        d for d in pd.date_range(day(0), day(as_of), freq="ME") if day(start) <= d <= day(as_of)
    ]
    expected = []
    for s in month_ends:
        paid = [p is not None and full and day(start + p) <= s for _, p, full in inst]
        if inst and all(paid):
            expected.append((s, 0, "closed"))
            break
        dpd = max(
            [(s - day(start + due)).days for (due, _, _), ok in zip(inst, paid) if not ok] + [0]
        )
        bucket = ["current", "1-29", "30-59", "60-89", "90+"][
            sum(dpd >= b for b in (1, 30, 60, 90))
        ]
        expected.append((s, dpd, bucket))
    assert list(zip(got["snapshot"], got["dpd"], got["bucket"])) == expected
