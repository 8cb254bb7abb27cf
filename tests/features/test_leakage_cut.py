"""Point-in-time property on a synthetic marketplace: a full build equals a cut build.

For every application ``(u, t)`` the features of the full batch build must equal the
features built from the data *as it was known strictly before t* - for every user, the
applicant's neighbours included: events at or after ``t`` dropped, payments made at or
after ``t`` blanked, an order's refund, return or cancellation reached at or after ``t``
undone (the order still ``paid``), profile facts from ``t`` on removed. The cut is written
below in plain
Polars filters (:func:`_known_before`), independently of :mod:`thinfile_credit.features.pit`,
so a wrong library cut cannot make the comparison pass.

The data is made adversarial: several applications of the same user at different
moments (before and after the marketplace's own one), and extra rows placed *exactly*
at each application moment (orders, orders placed before ``t`` whose status was reached
exactly at ``t`` - and others just before and after it -, bills issued, due and paid at
``t``, loans
disbursed at ``t``, instalments and a neighbour's bill paid at ``t``, a neighbour's
default observed exactly at ``t``, links and profile changes from ``t``, phone
verification and registration at ``t``). Every application is also
checked against the online path (:meth:`FeatureBuilder.build_one`).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import numba
import numpy as np
import polars as pl
import pytest

from thinfile_credit.features import FeatureBuilder, _fused
from thinfile_credit.schema import EventTables
from thinfile_credit.synthetic import make_marketplace

SEED = 11
N_USERS = 24
N_EARLIER = 8  # extra applications of existing applicants, dated before their own one
N_LATER = 8  # ... and after it
TOL = 1e-9

FB = FeatureBuilder()
NAMES: list[str] = list(FB.feature_names_)
Tables = dict[str, pl.DataFrame]


# ---------------------------------------------------------------------------------------
# the reference cut: what was known strictly before t (plain Polars, not pit.py)
# ---------------------------------------------------------------------------------------


def _unpay(df: pl.DataFrame, t: datetime) -> pl.DataFrame:
    """A payment made at or after ``t`` has not happened yet: blank it."""
    paid = pl.col("paid_at").is_not_null() & (pl.col("paid_at") < t)
    return df.with_columns(
        amount_paid=pl.when(paid).then(pl.col("amount_paid")).otherwise(0.0),
        paid_at=pl.when(paid).then(pl.col("paid_at")).otherwise(None),
    )


def _status_as_of(orders: pl.DataFrame, t: datetime) -> pl.DataFrame:
    """A status reached at or after ``t`` has not happened yet: the order is still paid."""
    reached = pl.col("status_at").is_null() | (pl.col("status_at") < t)
    return orders.with_columns(
        status=pl.when(reached).then(pl.col("status")).otherwise(pl.lit("paid")),
        status_at=pl.when(reached).then(pl.col("status_at")).otherwise(None),
    )


def _known_before(tables: Tables, t: datetime) -> Tables:
    """Every table (all users) cut to what was known strictly before ``t``."""
    loans = tables["loans"].filter(pl.col("disbursed_at") < t)
    return {
        "orders": _status_as_of(tables["orders"].filter(pl.col("ordered_at") < t), t),
        "bills": _unpay(tables["bills"].filter(pl.col("issued_at") < t), t),
        "loans": loans,
        # a schedule is known with its loan; its payments only once made
        "installments": _unpay(
            tables["installments"].filter(pl.col("loan_id").is_in(loans["loan_id"].implode())), t
        ),
        "edges": tables["edges"].filter(pl.col("since") < t),
        "profiles": tables["profiles"]
        .filter(pl.col("registered_at") < t)
        .with_columns(
            phone_verified_at=pl.when(pl.col("phone_verified_at") < t)
            .then(pl.col("phone_verified_at"))
            .otherwise(None)
        ),
        "profile_changes": tables["profile_changes"].filter(pl.col("changed_at") < t),
    }


# ---------------------------------------------------------------------------------------
# the scenario
# ---------------------------------------------------------------------------------------


def _rows(frame: pl.DataFrame, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """``rows`` appended to ``frame`` (missing columns null, dtypes kept)."""
    if not rows:
        return frame
    extra = pl.DataFrame(
        [{c: r.get(c) for c in frame.columns} for r in rows], schema=frame.schema, orient="row"
    )
    return pl.concat([frame, extra])


def _applications(tables: Tables, rng: np.random.Generator) -> pl.DataFrame:
    """The marketplace's applications plus more of the same users at other moments."""
    apps = tables["applications"]
    n = apps.height
    earlier = apps[rng.choice(n, N_EARLIER, replace=False)].with_columns(
        application_id=pl.col("application_id") + 100_000,
        applied_at=pl.col("applied_at")
        - pl.Series(
            [
                timedelta(days=int(d), minutes=int(m))
                for d, m in rng.integers(1, 300, (N_EARLIER, 2))
            ]
        ),
    )
    later = apps[rng.choice(n, N_LATER, replace=False)].with_columns(
        application_id=pl.col("application_id") + 200_000,
        applied_at=pl.col("applied_at")
        + pl.Series(
            [timedelta(days=int(d), minutes=int(m)) for d, m in rng.integers(1, 200, (N_LATER, 2))]
        ),
    )
    # two applications exactly at an existing event: an order of the user, their registration
    order = (
        tables["orders"].join(apps.select("user_id"), on="user_id", how="semi").row(0, named=True)
    )
    prof = (
        tables["profiles"].join(apps.select("user_id"), on="user_id", how="semi").row(0, named=True)
    )
    template = apps.row(0, named=True)
    at_events = [
        {
            **template,
            "application_id": 300_001,
            "user_id": order["user_id"],
            "applied_at": order["ordered_at"],
        },
        {
            **template,
            "application_id": 300_002,
            "user_id": prof["user_id"],
            "applied_at": prof["registered_at"],
        },
    ]
    out = _rows(pl.concat([apps, earlier, later]), at_events)
    assert out["application_id"].n_unique() == out.height
    assert out.group_by("user_id").len()["len"].max() >= 3  # someone applies 3+ times
    return out


def _at_t(tables: Tables, apps: pl.DataFrame) -> Tables:
    """Add, for every application, rows exactly at its moment ``t`` (applicant and a neighbour)."""
    T = dict(tables)
    day = timedelta(days=1)
    users = T["profiles"]["user_id"].to_list()
    ids = {
        k: int(T[k][c].max()) + 1
        for k, c in (("orders", "order_id"), ("bills", "bill_id"), ("loans", "loan_id"))
    }
    add: dict[str, list[dict[str, Any]]] = {k: [] for k in T}
    verified: dict[int, datetime] = {}
    for i, r in enumerate(apps.iter_rows(named=True)):
        u, t, aid = r["user_id"], r["applied_at"], r["application_id"]
        # a neighbour linked before t if there is one (so the peer's rows reach u's features)
        links = T["edges"].filter(
            ((pl.col("user_id") == u) | (pl.col("peer_id") == u)) & (pl.col("since") < t)
        )
        peers = sorted(set(links["user_id"].to_list() + links["peer_id"].to_list()) - {u})
        peer = peers[i % len(peers)] if peers else users[(7 * i + 3) % len(users)]
        oid, bid, lid = ids["orders"] + 10 * i, ids["bills"] + 10 * i, ids["loans"] + 3 * i
        add["orders"] += [
            _order(oid, u, t, 777.0, "refunded", status_at=t),  # placed and refunded at t
            # placed before t, final status reached exactly at, just before or after t
            _order(oid + 1, u, t - 3 * day, 41.0, "refunded", status_at=t),
            _order(oid + 2, u, t - 20 * day, 52.0, "returned", status_at=t - _US),
            _order(oid + 3, u, t - 2 * day, 63.0, "cancelled", status_at=t + _US),
            _order(oid + 4, u, t - 40 * day, 74.0, "returned", status_at=t + 5 * day),
            _order(oid + 5, u, t - day, 85.0, "paid", status_at=t),  # paid exactly at t
        ]
        add["bills"] += [
            _bill(bid, u, t, t, 55.0, paid=t),  # issued, due and paid at t
            _bill(bid + 1, u, t - 20 * day, t - 3 * day, 40.0, paid=t),  # overdue at t
            _bill(bid + 2, peer, t - 10 * day, t, 5.0),  # neighbour: due at t, unpaid
            _bill(bid + 3, peer, t - 30 * day, t - 5 * day, 9.0, paid=t),  # neighbour: paid at t
        ]
        add["loans"] += [
            _loan(lid, u, t, 90.0, 100.0, application_id=aid),
            _loan(lid + 1, u, t - 60 * day, 30.0, 50.0),
            # the neighbour's loan: one instalment becomes a known default exactly at t
            _loan(lid + 2, peer, t - 150 * day, 60.0, 60.0),
        ]
        add["installments"] += [
            _instalment(lid, 1, t, 90.0),
            # an older loan's instalment due before t, paid in full exactly at t
            _instalment(lid + 1, 1, t - 30 * day, 30.0, paid=t),
            # neighbour: due 90 days before t, unpaid (default moment == t)
            _instalment(lid + 2, 1, t - 90 * day, 30.0),
            # neighbour: due 100 days before t, paid in full only at t (a default before t)
            _instalment(lid + 2, 2, t - 100 * day, 30.0, paid=t),
        ]
        if peer != u:
            add["edges"].append(dict(user_id=u, peer_id=peer, kind="transfer", since=t))
        add["profile_changes"].append(dict(user_id=u, changed_at=t, kind="phone"))
        verified.setdefault(u, t)
    out = {k: _rows(v, add.get(k, [])) for k, v in T.items()}
    out["edges"] = out["edges"].unique(
        ["user_id", "peer_id", "kind"], keep="first", maintain_order=True
    )
    out["profile_changes"] = out["profile_changes"].unique(
        ["user_id", "changed_at", "kind"], keep="first", maintain_order=True
    )
    # phone verified exactly at (one of) the applicant's moments when it was not before
    when = pl.col("user_id").replace_strict(verified, default=None, return_dtype=pl.Datetime("us"))
    out["profiles"] = out["profiles"].with_columns(
        phone_verified_at=pl.when(
            pl.col("phone_verified_at").is_null() | (pl.col("phone_verified_at") > when)
        )
        .then(when)
        .otherwise(pl.col("phone_verified_at"))
    )
    return out


@pytest.fixture(scope="module")
def scenario() -> tuple[Tables, pl.DataFrame]:
    rng = np.random.default_rng(SEED)
    tables = dict(iter(make_marketplace(n_users=N_USERS, seed=SEED, backend="polars").tables))
    apps = _applications(tables, rng)
    tables = _at_t({k: v for k, v in tables.items() if k != "applications"}, apps)
    return tables, apps


def _build(tables: Tables, apps: pl.DataFrame, validate: bool = True) -> pl.DataFrame:
    return FeatureBuilder(validate=validate).build(EventTables(**tables, applications=apps))


@pytest.fixture(scope="module")
def reference(scenario: tuple[Tables, pl.DataFrame]) -> list[dict[str, Any]]:
    """One feature row per application, each built on the data known strictly before its t."""
    tables, apps = scenario
    # Many one-row builds: numba's parallel launch costs more than the work on busy CI
    # cores (about 5x here), so these run single-threaded; the full builds keep the default.
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return [
            _build(_known_before(tables, t), apps[i : i + 1], validate=False).row(0, named=True)
            for i, t in enumerate(apps["applied_at"])
        ]
    finally:
        numba.set_num_threads(threads)


# ---------------------------------------------------------------------------------------
# comparison
# ---------------------------------------------------------------------------------------


def _close(x: float, y: float) -> bool:
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y or abs(x - y) <= TOL * max(1.0, abs(y))


def _mismatches(
    apps: pl.DataFrame, got: list[dict[str, Any]], want: list[dict[str, Any]]
) -> list[str]:
    out = []
    for r, g, w in zip(apps.iter_rows(named=True), got, want, strict=True):
        for k in NAMES:
            if not _close(g[k], w[k]):
                out.append(
                    f"application {r['application_id']} (user {r['user_id']}, "
                    f"t={r['applied_at']}): {k} = {g[k]!r}, expected {w[k]!r}"
                )
    return out


def _report(what: str, bad: list[str]) -> str:
    return f"{len(bad)} {what} mismatch(es); first: {bad[0] if bad else ''}"


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "blocks"])
def test_full_build_equals_build_on_data_known_before_t(
    scenario: tuple[Tables, pl.DataFrame],
    reference: list[dict[str, Any]],
    fused: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_fused, "ENABLED", fused)
    tables, apps = scenario
    full = _build(tables, apps)
    assert full.height == apps.height
    assert full["application_id"].to_list() == apps["application_id"].to_list()
    bad = _mismatches(apps, list(full.iter_rows(named=True)), reference)
    assert not bad, _report("full-vs-cut", bad)


def test_batch_equals_online(
    scenario: tuple[Tables, pl.DataFrame], reference: list[dict[str, Any]]
) -> None:
    tables, apps = scenario
    events = {k: v.to_dicts() for k, v in tables.items()}
    online = [
        FB.build_one(events, r["applied_at"], user_id=r["user_id"])
        for r in apps.iter_rows(named=True)
    ]
    full = list(_build(tables, apps).iter_rows(named=True))
    bad = _mismatches(apps, online, full)
    assert not bad, _report("online-vs-batch", bad)
    # and, per application, online on the full data == the cut reference
    bad = _mismatches(apps, online, reference)
    assert not bad, _report("online-vs-cut", bad)


def test_rows_at_t_would_change_features(
    scenario: tuple[Tables, pl.DataFrame], reference: list[dict[str, Any]]
) -> None:
    """Sensitivity: moving each application 1 microsecond later (so the rows placed at
    its old moment count) changes its features against the cut reference.

    Guards the scenario itself: if the rows at t stopped mattering, the property above
    would pass vacuously.
    """
    tables, apps = scenario
    shifted = apps.with_columns(applied_at=pl.col("applied_at") + timedelta(microseconds=1))
    rows = list(_build(tables, shifted).iter_rows(named=True))
    for r, got, want in zip(apps.iter_rows(named=True), rows, reference, strict=True):
        changed = [k for k in NAMES if not _close(got[k], want[k])]
        assert len(changed) >= 5, (r["application_id"], changed)


_US = timedelta(microseconds=1)


def _order(
    order_id: int, user: int, at: datetime, amount: float, status: str, status_at: datetime
) -> dict[str, Any]:
    return dict(
        order_id=order_id,
        user_id=user,
        ordered_at=at,
        amount=amount,
        category="toys",
        status=status,
        status_at=status_at,
        payment_method="pay_later",
        installments=6,
    )


STATUS_FEATURES = [
    n
    for n in NAMES
    if n.startswith(
        ("cons_refund_rate", "cons_return_rate", "cons_cancel_rate", "cons_basket_mean")
    )
]


def test_final_statuses_would_leak_without_status_at(
    scenario: tuple[Tables, pl.DataFrame], reference: list[dict[str, Any]]
) -> None:
    """Sensitivity: without ``status_at`` (the final status taken as known) exactly the
    status features move away from the cut reference, for most applications.

    Guards the scenario and shows the leak the column closes: the synthetic orders and
    the rows added around each t carry statuses reached after it.
    """
    tables, apps = scenario
    assert len(STATUS_FEATURES) == 16
    final = {**tables, "orders": tables["orders"].drop("status_at")}
    rows = list(_build(final, apps).iter_rows(named=True))
    leaked = 0
    for r, got, want in zip(apps.iter_rows(named=True), rows, reference, strict=True):
        changed = [k for k in NAMES if not _close(got[k], want[k])]
        assert set(changed) <= set(STATUS_FEATURES), (r["application_id"], changed)
        leaked += bool(changed)
    assert leaked > apps.height // 2


# Rows paid in full at ``paid`` or not at all (amount_paid follows from it).
def _bill(
    bill_id: int, user: int, issued: datetime, due: datetime, amount: float, paid: Any = None
) -> dict[str, Any]:
    return dict(
        bill_id=bill_id,
        user_id=user,
        issued_at=issued,
        due_at=due,
        amount_due=amount,
        paid_at=paid,
        amount_paid=amount if paid is not None else 0.0,
    )


def _instalment(
    loan_id: int, no: int, due: datetime, amount: float, paid: Any = None
) -> dict[str, Any]:
    return dict(
        loan_id=loan_id,
        installment_no=no,
        due_at=due,
        amount_due=amount,
        paid_at=paid,
        amount_paid=amount if paid is not None else 0.0,
    )


def _loan(
    loan_id: int,
    user: int,
    at: datetime,
    principal: float,
    limit: float,
    application_id: Any = None,
) -> dict[str, Any]:
    return dict(
        loan_id=loan_id,
        user_id=user,
        disbursed_at=at,
        principal=principal,
        product="installment",
        credit_limit=limit,
        application_id=application_id,
    )
