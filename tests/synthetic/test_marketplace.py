"""make_marketplace: determinism, integrity of every table, and the planted realism."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from thinfile_credit.schema import TABLES, EventTables
from thinfile_credit.synthetic import RISK_FACTORS, Marketplace, make_marketplace
from thinfile_credit.synthetic.loans import LADDER_RUNGS

ALL_TABLES = tuple(TABLES)  # the data model's eight tables, in model order


def _all_frames(mk: Marketplace) -> dict[str, pl.DataFrame]:
    out = {name: pl.DataFrame(frame) for name, frame in mk.tables}
    out["truth"] = mk.truth
    out["users"] = mk.users
    return out


# -- determinism -----------------------------------------------------------------------------


def test_same_seed_gives_identical_frames() -> None:
    a = make_marketplace(800, seed=5, backend="polars")
    b = make_marketplace(800, seed=5, backend="polars")
    for name, frame in _all_frames(a).items():
        assert frame.equals(_all_frames(b)[name]), name
    assert a.config == b.config
    assert a.horizon_end == b.horizon_end


def test_different_seeds_differ() -> None:
    a = make_marketplace(800, seed=5, backend="polars")
    b = make_marketplace(800, seed=6, backend="polars")
    for name in ("orders", "bills", "loans", "edges", "profiles"):
        assert not a.tables[name].equals(b.tables[name]), name
    assert not a.truth.equals(b.truth)


@pytest.mark.parametrize("backend", ["pandas", "pyarrow"])
def test_backends_hold_the_same_data(backend: str, market: Marketplace) -> None:
    other = make_marketplace(config=dataclasses.replace(market.config, backend=backend))
    for name, frame in market.tables:
        converted = other.tables[name]
        assert isinstance(converted, pd.DataFrame if backend == "pandas" else pa.Table)
        assert pl.DataFrame(
            pl.from_pandas(converted) if backend == "pandas" else pl.from_arrow(converted)
        ).equals(frame), name


def test_pandas_dtypes_follow_the_schema() -> None:
    mk = make_marketplace(300, seed=1)
    for name, frame in mk.tables:
        assert isinstance(frame, pd.DataFrame)
        for col in TABLES[name].columns:
            assert col.name in frame.columns, (name, col.name)
            dtype = frame[col.name].dtype
            if col.dtype == "datetime":
                assert dtype == np.dtype("datetime64[us]"), (name, col.name, dtype)
            elif col.dtype == "float":
                assert dtype == np.float64, (name, col.name, dtype)
            elif col.dtype in ("id", "int"):
                assert str(dtype) in ("int64", "Int64"), (name, col.name, dtype)
            else:
                assert pd.api.types.is_string_dtype(dtype), (name, col.name, dtype)
    assert str(mk.tables.loans["application_id"].dtype) == "Int64"


def test_config_is_json_serialisable(market: Marketplace) -> None:
    assert market.config.to_json()
    assert market.config.n_users == 4_000


# -- integrity -------------------------------------------------------------------------------


def test_all_tables_present_with_schema_columns(market: Marketplace) -> None:
    assert market.tables.names() == ALL_TABLES
    for name, frame in market.tables:
        assert frame.height > 0, name
        assert set(TABLES[name].required_columns) <= set(frame.columns), name
        assert frame.select(TABLES[name].key).is_duplicated().sum() == 0, name


def test_every_foreign_key_resolves(market: Marketplace) -> None:
    t = market.tables
    users = set(t.profiles["user_id"].to_list())
    assert len(users) == market.config.n_users
    for name in ("applications", "orders", "bills", "loans", "edges", "profile_changes"):
        assert set(t[name]["user_id"].to_list()) <= users, name
    assert set(t.edges["peer_id"].to_list()) <= users
    assert set(t.installments["loan_id"].to_list()) <= set(t.loans["loan_id"].to_list())
    # every loan has its instalments 1..n
    counts = t.installments.group_by("loan_id").agg(pl.len(), pl.col("installment_no").max())
    assert counts.height == t.loans.height
    assert (counts["len"] == counts["installment_no"]).all()


def test_every_application_has_one_loan_disbursed_when_applied(market: Marketplace) -> None:
    t = market.tables
    app_loans = t.loans.filter(pl.col("application_id").is_not_null())
    assert app_loans["application_id"].n_unique() == app_loans.height == t.applications.height
    joined = app_loans.join(t.applications, on="application_id", suffix="_app")
    assert (joined["user_id"] == joined["user_id_app"]).all()
    assert (joined["disbursed_at"] == joined["applied_at"]).all()
    assert (joined["credit_limit"] >= joined["principal"]).all()
    assert market.truth["application_id"].to_list() == t.applications["application_id"].to_list()


def test_no_event_at_or_after_horizon_and_none_before_start(market: Marketplace) -> None:
    end = market.horizon_end
    start = dt.datetime.fromisoformat(market.config.start)
    assert end == dt.datetime(2025, 1, 1)
    for name, frame in market.tables:
        for col in frame.columns:
            if frame[col].dtype == pl.Datetime("us"):
                values = frame[col].drop_nulls()
                assert (values < end).all(), (name, col)
                assert (values >= start).all(), (name, col)


def test_timestamps_are_ordered(market: Marketplace) -> None:
    t = market.tables
    reg = t.profiles.select("user_id", "registered_at")
    b = t.bills
    assert (b["due_at"] >= b["issued_at"]).all()
    assert (b.drop_nulls("paid_at")["paid_at"] >= b.drop_nulls("paid_at")["issued_at"]).all()
    inst = t.installments.join(t.loans.select("loan_id", "disbursed_at"), on="loan_id")
    assert (inst["due_at"] > inst["disbursed_at"]).all()
    paid = inst.drop_nulls("paid_at")
    assert (paid["paid_at"] >= paid["disbursed_at"]).all()
    for name, col in (
        ("orders", "ordered_at"),
        ("bills", "issued_at"),
        ("loans", "disbursed_at"),
        ("applications", "applied_at"),
        ("profile_changes", "changed_at"),
    ):
        joined = t[name].join(reg, on="user_id")
        assert (joined[col] >= joined["registered_at"]).all(), name
    edges = t.edges.join(reg, on="user_id").join(
        reg.rename({"user_id": "peer_id", "registered_at": "peer_registered_at"}), on="peer_id"
    )
    assert (edges["since"] >= edges["registered_at"]).all()
    assert (edges["since"] >= edges["peer_registered_at"]).all()
    verified = t.profiles.drop_nulls("phone_verified_at")
    assert (verified["phone_verified_at"] >= verified["registered_at"]).all()


def test_amounts_are_non_negative_and_paid_within_due(market: Marketplace) -> None:
    t = market.tables
    assert (t.orders["amount"] > 0).all()
    for name in ("bills", "installments"):
        f = t[name]
        assert (f["amount_due"] > 0).all(), name
        assert (f["amount_paid"] >= 0).all(), name
        assert (f["amount_paid"] <= f["amount_due"] + 1e-9).all(), name
        assert (f.filter(pl.col("paid_at").is_null())["amount_paid"] == 0).all(), name
    assert (t.loans["principal"] > 0).all()


def test_applications_fall_in_the_mature_window(market: Marketplace) -> None:
    cfg = market.config
    apps = market.tables.applications["applied_at"]
    first = dt.datetime(2024, 1, 1)
    last = market.horizon_end - dt.timedelta(days=cfg.performance_window_days)
    assert apps.min() >= first
    assert apps.max() < last
    per_user = market.tables.applications.group_by("user_id").len()
    assert (per_user["len"] > 1).sum() > 0  # some users apply several times


# -- the label -------------------------------------------------------------------------------


def _plain_bad(mk: Marketplace) -> dict[int, bool]:
    """The DPD rule written out row by row, independent of the generator's code."""
    window = dt.timedelta(days=mk.config.performance_window_days)
    thirty = dt.timedelta(days=30)
    loans = {r["loan_id"]: r for r in mk.tables.loans.iter_rows(named=True) if r["application_id"]}
    bad = {a: False for a in mk.tables.applications["application_id"].to_list()}
    for inst in mk.tables.installments.iter_rows(named=True):
        loan = loans.get(inst["loan_id"])
        if loan is None:
            continue
        reaches_30_at = inst["due_at"] + thirty
        if reaches_30_at > loan["disbursed_at"] + window:
            continue
        unpaid_at_30 = (
            inst["paid_at"] is None
            or inst["paid_at"] >= reaches_30_at
            or inst["amount_paid"] < inst["amount_due"]
        )
        if unpaid_at_30:
            bad[loan["application_id"]] = True
    return bad


def test_bad_matches_the_dpd_rule_recomputed_plainly() -> None:
    mk = make_marketplace(1_500, seed=3, backend="polars")
    plain = _plain_bad(mk)
    truth = dict(zip(mk.truth["application_id"].to_list(), mk.truth["bad"].to_list()))
    assert truth == plain
    assert 0 < sum(plain.values()) < len(plain)


def test_true_pd_is_a_probability_and_ranks_the_outcome(market: Marketplace) -> None:
    tr = market.truth
    assert tr["true_pd"].is_between(0.0, 1.0, closed="none").all()
    bad_mean = tr.filter(pl.col("bad"))["true_pd"].mean()
    good_mean = tr.filter(~pl.col("bad"))["true_pd"].mean()
    assert bad_mean > good_mean
    auc = roc_auc_score(tr["bad"].to_numpy(), tr["true_pd"].to_numpy())
    assert 0.75 < auc < 0.92
    np.testing.assert_allclose(tr["true_pd"], 1 / (1 + np.exp(-tr["log_odds"])), rtol=1e-12)


def test_default_rate_is_in_the_configured_band(market: Marketplace) -> None:
    low, high = market.config.default_rate_band
    assert low <= market.default_rate <= high


def test_default_rate_band_is_configurable() -> None:
    mk = make_marketplace(4_000, seed=2, backend="polars", default_rate_band=(0.03, 0.05))
    assert 0.03 <= mk.default_rate <= 0.05


def test_risk_driver_names_the_largest_component(market: Marketplace) -> None:
    tr = market.truth
    comps = np.column_stack([tr[f"component_{k}"].to_numpy() for k in RISK_FACTORS])
    expected = np.where(comps.max(1) > 0, np.array(RISK_FACTORS)[comps.argmax(1)], "none")
    assert tr["risk_driver"].to_list() == expected.tolist()
    assert set(RISK_FACTORS) <= set(tr["risk_driver"].unique().to_list())


# -- realism ---------------------------------------------------------------------------------


def test_thin_file_share_matches_config(market: Marketplace) -> None:
    assert market.thin_file_share == pytest.approx(0.4, abs=0.001)
    apps_thin = market.truth["thin_file"].mean()
    assert 0.35 < apps_thin < 0.45
    mk = make_marketplace(1_000, seed=1, thin_file_share=0.7, backend="polars")
    assert mk.thin_file_share == pytest.approx(0.7, abs=0.001)


def test_thin_file_users_have_little_history(market: Marketplace) -> None:
    t, users = market.tables, market.users
    thin = set(users.filter(pl.col("thin_file"))["user_id"].to_list())
    assert not thin & set(t.bills["user_id"].to_list())
    early = t.loans.filter(pl.col("application_id").is_null())
    assert not thin & set(early["user_id"].to_list())
    thin_profiles = t.profiles.filter(pl.col("user_id").is_in(list(thin)))
    assert thin_profiles["bureau_score"].null_count() == thin_profiles.height
    apps = t.applications.join(t.profiles, on="user_id").join(users, on="user_id")
    tenure = (apps["applied_at"] - apps["registered_at"]).dt.total_days()
    is_thin = apps["thin_file"]
    assert tenure.filter(is_thin).median() < 120 < tenure.filter(~is_thin).median()
    orders_before = (
        t.orders.join(
            t.applications.group_by("user_id").agg(pl.col("applied_at").min()), on="user_id"
        )
        .filter(pl.col("ordered_at") < pl.col("applied_at"))
        .group_by("user_id")
        .len()
        .join(users, on="user_id")
    )
    by_kind = orders_before.group_by("thin_file").agg(pl.col("len").median())
    thin_median = by_kind.filter(pl.col("thin_file"))["len"][0]
    thick_median = by_kind.filter(~pl.col("thin_file"))["len"][0]
    assert thin_median * 4 < thick_median


def test_bureau_score_only_for_bureau_file_and_tracks_risk(market: Marketplace) -> None:
    prof = market.tables.profiles.join(market.users, on="user_id")
    has = prof["bureau_score"].is_not_null()
    assert (has == prof["has_bureau"]).all()
    scored = prof.filter(has)
    assert scored["bureau_score"].is_between(300, 950).all()
    assert np.corrcoef(scored["bureau_score"], scored["risk"])[0, 1] < -0.4
    assert 0.2 < prof["stated_income"].is_not_null().mean() < 0.8


def test_order_amounts_are_heavy_tailed(market: Marketplace) -> None:
    amount = market.tables.orders["amount"].to_numpy()
    q50, q99 = np.quantile(amount, [0.5, 0.99])
    assert q99 / q50 > 8
    centred = np.log(amount) - np.log(amount).mean()
    assert pd.Series(amount).kurt() > 10  # far heavier than a normal's 0
    assert 0.7 < centred.std() < 1.5


def test_orders_have_categories_statuses_and_seasonality(market: Marketplace) -> None:
    o = market.tables.orders
    assert set(o["status"].unique()) == {"paid", "cancelled", "refunded", "returned"}
    assert 0.8 < (o["status"] == "paid").mean() < 0.95
    assert o["category"].n_unique() == 10
    assert set(o["payment_method"].unique()) == {"pay_later", "card", "balance"}
    assert (o.filter(pl.col("installments") > 1)["payment_method"] == "pay_later").all()
    day = o.with_columns(pl.col("ordered_at").dt.date().alias("d")).group_by("d").len()
    singles = day.filter(pl.col("d") == dt.date(2024, 11, 11))["len"][0]
    november = day.filter(pl.col("d").dt.month() == 11)["len"].median()
    assert singles > 2.5 * november
    weekday = o["ordered_at"].dt.weekday()
    per_day = np.bincount(weekday.to_numpy(), minlength=8)[1:]
    assert per_day[5:].mean() > per_day[:5].mean() * 1.1  # weekend (ISO 6, 7) busier


def test_orders_reach_their_final_status_after_a_realistic_delay(market: Marketplace) -> None:
    o = market.tables.orders
    assert o["status_at"].dtype == pl.Datetime("us")
    assert o.filter(pl.col("status_at") < pl.col("ordered_at")).height == 0
    delay = o.with_columns(
        days=(pl.col("status_at") - pl.col("ordered_at")).dt.total_seconds() / 86_400
    )
    median = dict(delay.group_by("status").agg(pl.col("days").median()).iter_rows())
    # a payment confirms in minutes, a cancellation in hours, a refund in days, a return
    # (delivered and sent back) in weeks
    assert median["paid"] < 10 / 1440
    assert 1 / 24 < median["cancelled"] < 1
    assert 2 < median["refunded"] < 10
    assert 7 < median["returned"] < 20
    # a pay-later order is paid (by the platform's credit) when placed: no time of its own
    paid = o.filter(pl.col("status") == "paid")
    later = paid["payment_method"] == "pay_later"
    assert paid.filter(later)["status_at"].is_null().all()
    assert paid.filter(~later)["status_at"].is_not_null().all()
    assert o.filter(pl.col("status") != "paid")["status_at"].is_not_null().all()


def test_status_times_leave_every_other_column_of_the_seed_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The status times come from a stream of their own: without them (the generator as
    it was before them), every other value of the seed is the same."""
    from thinfile_credit.synthetic import marketplace

    timed = _all_frames(make_marketplace(600, seed=3, backend="polars"))
    monkeypatch.setattr(marketplace, "draw_status_times", lambda cfg, orders, rng: orders)
    untimed = _all_frames(make_marketplace(600, seed=3, backend="polars"))
    assert "status_at" not in untimed["orders"].columns
    timed["orders"] = timed["orders"].drop("status_at")
    for name, frame in untimed.items():
        assert frame.equals(timed[name]), name


def test_risky_users_behave_differently(market: Marketplace) -> None:
    users = market.users.with_columns(
        (pl.col("risk") > pl.col("risk").quantile(0.75)).alias("risky"),
        (pl.col("risk") < pl.col("risk").quantile(0.25)).alias("safe"),
    )

    def compare(frame: pl.DataFrame, value: pl.Expr) -> tuple[float, float]:
        x = frame.join(users, on="user_id").group_by("risky", "safe").agg(value.mean().alias("v"))
        risky = x.filter(pl.col("risky"))["v"][0]
        safe = x.filter(pl.col("safe"))["v"][0]
        return risky, safe

    t = market.tables
    night = compare(t.orders, pl.col("ordered_at").dt.hour() < 5)
    assert night[0] > 1.3 * night[1]
    late = compare(t.bills, pl.col("paid_at").is_null() | (pl.col("paid_at") > pl.col("due_at")))
    assert late[0] > 2 * late[1]
    changes = t.profile_changes.group_by("user_id").len()
    per_user = users.join(changes, on="user_id", how="left").with_columns(
        pl.col("len").fill_null(0)
    )
    assert per_user.filter("risky")["len"].mean() > per_user.filter("safe")["len"].mean()


def test_social_edges_show_homophily(market: Marketplace) -> None:
    risk = market.users.select("user_id", "risk")
    e = market.tables.edges.join(risk, on="user_id").join(
        risk.rename({"user_id": "peer_id", "risk": "peer_risk"}), on="peer_id"
    )
    assert np.corrcoef(e["risk"], e["peer_risk"])[0, 1] > 0.15
    assert set(e["kind"].unique()) == {"social", "transfer", "referral"}


def test_earlier_loans_climb_the_ladder_and_freeze(market: Marketplace) -> None:
    t = market.tables
    early = t.loans.filter(pl.col("application_id").is_null()).sort("user_id", "disbursed_at")
    assert early["credit_limit"].is_in(LADDER_RUNGS.tolist()).all()
    first = early.group_by("user_id", maintain_order=True).first()
    assert first["principal"].is_between(50, 500).all()
    assert first["credit_limit"].max() <= 500
    assert early.group_by("user_id").agg(pl.col("credit_limit").max())["credit_limit"].max() >= 1000
    # after a loan that went 30+ days past due, the user gets no further early loans
    dpd30 = (
        t.installments.filter(
            pl.col("paid_at").is_null()
            | (pl.col("paid_at") >= pl.col("due_at") + pl.duration(days=30))
            | (pl.col("amount_paid") < pl.col("amount_due"))
        )
        .select("loan_id")
        .unique()
        .with_columns(pl.lit(True).alias("delinquent"))
    )
    flagged = early.join(dpd30, on="loan_id", how="left").with_columns(
        pl.col("delinquent").fill_null(False)
    )
    after = flagged.with_columns(
        pl.col("delinquent").cum_sum().shift(1).over("user_id").fill_null(0).alias("before")
    )
    assert after.filter(pl.col("before") > 0).height == 0
    assert flagged["delinquent"].sum() > 0


def test_summary_and_backend_independence(market: Marketplace) -> None:
    summary = market.summary()
    items = dict(zip(summary["item"], summary["value"]))
    assert items["orders rows"] == market.tables.orders.height
    assert items["thin-file share (users)"] == pytest.approx(0.4, abs=0.001)


def test_tables_pass_schema_validation(market: Marketplace) -> None:
    pytest.importorskip("thinfile_credit.schema.validate")
    assert isinstance(market.tables.validate(), EventTables)
    make_marketplace(300, seed=2).tables.validate()  # pandas frames too


@settings(max_examples=6)
@given(seed=st.integers(0, 10_000), n=st.integers(30, 250), thin=st.floats(0.0, 1.0))
def test_small_marketplaces_keep_their_invariants(seed: int, n: int, thin: float) -> None:
    mk = make_marketplace(n, seed=seed, thin_file_share=thin, backend="polars")
    t = mk.tables
    users = set(t.profiles["user_id"].to_list())
    assert len(users) == n
    for name, frame in t:
        if "user_id" in frame.columns:
            assert set(frame["user_id"].to_list()) <= users, name
        for col in frame.columns:
            if frame[col].dtype == pl.Datetime("us"):
                assert (frame[col].drop_nulls() < mk.horizon_end).all(), (name, col)
    assert set(t.installments["loan_id"].to_list()) <= set(t.loans["loan_id"].to_list())
    assert mk.truth.height == t.applications.height
    if mk.truth.height:
        assert mk.truth["true_pd"].is_between(0.0, 1.0, closed="none").all()


def test_point_in_time_features_recover_part_of_the_signal(market: Marketplace) -> None:
    """A plain model on a few pre-application features lands well above chance but
    below the true PD's ceiling (the signal acts through noisy, observable behaviour)."""
    from sklearn.linear_model import LogisticRegression

    t = market.tables
    apps = t.applications.select("application_id", "user_id", "applied_at")

    def before(table: pl.DataFrame, col: str, *aggs: pl.Expr) -> pl.DataFrame:
        seen = apps.join(table, on="user_id").filter(pl.col(col) < pl.col("applied_at"))
        return apps.select("application_id").join(
            seen.group_by("application_id").agg(*aggs), on="application_id", how="left"
        )

    late = (
        pl.col("paid_at").is_null()
        | (pl.col("paid_at") >= pl.col("applied_at"))
        | (pl.col("paid_at") > pl.col("due_at"))
    )
    x = (
        before(
            t.orders, "ordered_at", pl.len().alias("n"), pl.col("amount").sum().log1p().alias("g")
        )
        .join(before(t.bills, "due_at", late.mean().alias("late")), on="application_id")
        .join(before(t.profile_changes, "changed_at", pl.len().alias("chg")), on="application_id")
        .join(apps, on="application_id")
        .join(t.profiles.select("user_id", "registered_at"), on="user_id")
        .with_columns((pl.col("applied_at") - pl.col("registered_at")).dt.total_days().alias("age"))
        .join(market.truth.select("application_id", "bad", "true_pd"), on="application_id")
        .sort("application_id")
        .fill_null(0)
    )
    features = x.select("n", "g", "late", "chg", "age").to_numpy().astype(float)
    features = (features - features.mean(0)) / features.std(0)
    y = x["bad"].to_numpy()
    fit = (x["application_id"] % 3 != 0).to_numpy()
    model = LogisticRegression(max_iter=1_000).fit(features[fit], y[fit])
    auc = roc_auc_score(y[~fit], model.predict_proba(features[~fit])[:, 1])
    ceiling = roc_auc_score(y[~fit], x["true_pd"].to_numpy()[~fit])
    assert 0.62 < auc < ceiling < 0.9
