"""A plainly written reference implementation of every feature, for tests only.

Pure Python loops over rows as dicts with ``datetime`` values: no expression language,
no dataframe engine, no shared code with the library beyond the feature names and the default
category map (configuration). It
restates each definition of docs/concepts/features.md directly.
"""

from __future__ import annotations

import math
import statistics
from datetime import datetime, timedelta
from typing import Any

from thinfile_credit.features.consumption import DEFAULT_ESSENTIAL_CATEGORIES

NAN = float("nan")
DAY = timedelta(days=1)
# The category map is configuration, not logic: take the library default as input.
ESSENTIAL = set(DEFAULT_ESSENTIAL_CATEGORIES)


def days(delta: timedelta) -> float:
    return delta / DAY


def ratio(a: float, b: float) -> float:
    return a / b if b else NAN


def paid_in_full_by(row: dict[str, Any], limit: datetime, t: datetime) -> bool:
    p = row["paid_at"]
    return p is not None and p < t and p <= limit and row["amount_paid"] >= row["amount_due"]


def status_at_t(order: dict[str, Any], t: datetime) -> str:
    """The order's status as known at ``t``: its final status once reached before ``t``
    (``status_at`` absent or null: reached when placed), else still ``paid``."""
    reached = order.get("status_at")
    return order["status"] if reached is None or reached < t else "paid"


def reference_features(
    tables: dict[str, list[dict[str, Any]]],
    app: dict[str, Any],
    windows: tuple[int, ...] = (30, 90, 180, 365),
) -> dict[str, float]:
    """Every default feature of one application."""
    t, uid = app["applied_at"], app["user_id"]
    out: dict[str, float] = {}
    orders = [o for o in tables.get("orders", []) if o["user_id"] == uid and o["ordered_at"] < t]
    bills = [b for b in tables.get("bills", []) if b["user_id"] == uid and b["issued_at"] < t]
    loans = [x for x in tables.get("loans", []) if x["user_id"] == uid and x["disbursed_at"] < t]
    loan_ids = {x["loan_id"] for x in loans}
    inst = [i for i in tables.get("installments", []) if i["loan_id"] in loan_ids]

    # consumption ---------------------------------------------------------------------
    for w in windows:
        rec = [o for o in orders if t - o["ordered_at"] <= w * DAY]
        prev = [o for o in orders if w * DAY < t - o["ordered_at"] <= 2 * w * DAY]
        amts = [o["amount"] for o in rec]
        n = len(rec)
        s = f"_{w}d"
        out[f"cons_order_count{s}"] = n
        out[f"cons_gmv_sum{s}"] = sum(amts)
        out[f"cons_gmv_mean{s}"] = statistics.fmean(amts) if amts else NAN
        out[f"cons_gmv_median{s}"] = statistics.median(amts) if amts else NAN
        out[f"cons_gmv_max{s}"] = max(amts) if amts else NAN
        out[f"cons_gmv_std{s}"] = statistics.stdev(amts) if n > 1 else NAN
        out[f"cons_active_days{s}"] = len({o["ordered_at"].date() for o in rec})
        out[f"cons_active_months{s}"] = len(
            {math.ceil(days(t - o["ordered_at"]) / 30) for o in rec}
        )
        cats: dict[str, int] = {}
        for o in rec:
            cats[o["category"]] = cats.get(o["category"], 0) + 1
        out[f"cons_category_count{s}"] = len(cats)
        out[f"cons_category_entropy{s}"] = (
            -sum(c / n * math.log(c / n) for c in cats.values()) if n else NAN
        )
        ess = sum(o["amount"] for o in rec if o["category"] in ESSENTIAL)
        out[f"cons_essential_share{s}"] = ratio(ess, sum(amts))
        for st, name in (("refunded", "refund"), ("returned", "return"), ("cancelled", "cancel")):
            out[f"cons_{name}_rate{s}"] = ratio(sum(status_at_t(o, t) == st for o in rec), n)
        kept = [o["amount"] for o in rec if status_at_t(o, t) == "paid"]
        out[f"cons_basket_mean{s}"] = statistics.fmean(kept) if kept else NAN
        out[f"cons_order_trend{s}"] = ratio(n - len(prev), n + len(prev))
        inst_n = sum(
            (o.get("installments") or 0) > 1
            or o.get("payment_method") in ("pay_later", "installment", "instalment")
            for o in rec
        )
        out[f"cons_instalment_share{s}"] = ratio(inst_n, n)
        out[f"cons_night_share{s}"] = ratio(sum(o["ordered_at"].hour < 6 for o in rec), n)
    ages = [days(t - o["ordered_at"]) for o in orders]
    out["cons_days_since_last_order"] = min(ages) if ages else NAN
    out["cons_days_since_first_order"] = max(ages) if ages else NAN

    # bills ---------------------------------------------------------------------------
    def days_late(b: dict[str, Any]) -> float:
        if paid_in_full_by(b, t, t):
            return max(0.0, days(b["paid_at"] - b["due_at"]))
        return days(t - b["due_at"])

    for w in windows:
        due = [b for b in bills if b["due_at"] < t and t - b["due_at"] <= w * DAY]
        n = len(due)
        late = [days_late(b) for b in due]
        s = f"_{w}d"
        out[f"bill_due_count{s}"] = n
        out[f"bill_ontime_share{s}"] = ratio(
            sum(paid_in_full_by(b, b["due_at"], t) for b in due), n
        )
        out[f"bill_full_paid_share{s}"] = ratio(sum(paid_in_full_by(b, t, t) for b in due), n)
        out[f"bill_mean_days_late{s}"] = statistics.fmean(late) if late else NAN
        out[f"bill_max_days_late{s}"] = max(late) if late else NAN
        out[f"bill_late3_count{s}"] = sum(x > 3 for x in late)
        out[f"bill_late30_count{s}"] = sum(x > 30 for x in late)
    overdue = [b for b in bills if b["due_at"] < t and not paid_in_full_by(b, t, t)]
    out["bill_overdue_count_now"] = len(overdue)
    out["bill_overdue_amount_now"] = sum(
        b["amount_due"]
        - (b["amount_paid"] if b["paid_at"] is not None and b["paid_at"] < t else 0.0)
        for b in overdue
    )

    # loans ---------------------------------------------------------------------------
    for w in windows:
        out[f"loan_count_{w}d"] = sum(t - x["disbursed_at"] <= w * DAY for x in loans)
    out["loan_count_ever"] = len(loans)
    completed = 0
    for lid in loan_ids:
        mine = [i for i in inst if i["loan_id"] == lid]
        if mine and all(paid_in_full_by(i, t, t) for i in mine):
            completed += 1
    out["loan_completed_count"] = completed
    due_i = sorted((i for i in inst if i["due_at"] < t), key=lambda i: i["due_at"])

    def dpd(i: dict[str, Any]) -> int:
        if paid_in_full_by(i, t, t):
            return max(0, math.floor(days(i["paid_at"] - i["due_at"])))
        return math.floor(days(t - i["due_at"]))

    out["loan_max_dpd_ever"] = max((dpd(i) for i in due_i), default=NAN)
    open_dpd = [math.floor(days(t - i["due_at"])) for i in due_i if not paid_in_full_by(i, t, t)]
    out["loan_current_dpd"] = max(open_dpd, default=0)
    streak = 0
    for i in due_i:  # oldest first; a late one resets (ties on due date: late wins)
        ontime = paid_in_full_by(i, i["due_at"], t)
        same_day_bad = any(
            j["due_at"] == i["due_at"] and not paid_in_full_by(j, j["due_at"], t) for j in due_i
        )
        streak = streak + 1 if ontime and not same_day_bad else 0
    out["loan_ontime_streak"] = streak
    n_due = len(due_i)
    out["loan_early_share"] = ratio(
        sum(paid_in_full_by(i, i["due_at"] - DAY, t) for i in due_i), n_due
    )
    out["loan_ontime_share"] = ratio(sum(paid_in_full_by(i, i["due_at"], t) for i in due_i), n_due)
    out["loan_late_share"] = ratio(
        sum(not paid_in_full_by(i, i["due_at"], t) for i in due_i), n_due
    )
    out["loan_outstanding_amount_now"] = sum(
        i["amount_due"]
        - (i["amount_paid"] if i["paid_at"] is not None and i["paid_at"] < t else 0.0)
        for i in inst
        if not paid_in_full_by(i, t, t)
    )
    if loans:
        last = max(x["disbursed_at"] for x in loans)
        utils = [
            x["principal"] / x["credit_limit"]
            for x in loans
            if x["disbursed_at"] == last and x.get("credit_limit")
        ]
        out["loan_limit_utilisation_last"] = max(utils) if utils else NAN
        out["loan_days_since_last_loan"] = days(t - last)
    else:
        out["loan_limit_utilisation_last"] = NAN
        out["loan_days_since_last_loan"] = NAN

    # social --------------------------------------------------------------------------
    links: dict[tuple[Any, str], datetime] = {}
    for e in tables.get("edges", []):
        for a, b in ((e["user_id"], e["peer_id"]), (e["peer_id"], e["user_id"])):
            if a == uid and b != uid and e["since"] < t:
                key = (b, e["kind"])
                links[key] = min(links.get(key, e["since"]), e["since"])
    peers = {p for p, _ in links}
    for k in ("social", "transfer", "referral"):
        out[f"soc_degree_{k}"] = len({p for p, kk in links if kk == k})
    out["soc_degree_total"] = len(peers)
    owner = {x["loan_id"]: x["user_id"] for x in tables.get("loans", [])}

    def defaulted(p: Any) -> bool:
        for i in tables.get("installments", []):
            if owner.get(i["loan_id"]) != p:
                continue
            moment = i["due_at"] + 90 * DAY
            cured = (
                i["paid_at"] is not None
                and i["paid_at"] < moment
                and i["amount_paid"] >= i["amount_due"]
            )
            if not cured and moment < t:
                return True
        return False

    n_def = sum(defaulted(p) for p in peers)
    out["soc_default_neighbour_count"] = n_def
    out["soc_default_neighbour_share"] = ratio(n_def, len(peers))
    shares = []
    for p in peers:
        pb = [b for b in tables.get("bills", []) if b["user_id"] == p and b["due_at"] < t]
        if pb:
            shares.append(sum(paid_in_full_by(b, b["due_at"], t) for b in pb) / len(pb))
    out["soc_neighbour_ontime_share_mean"] = statistics.fmean(shares) if shares else NAN
    out["soc_new_edges_30d"] = sum(t - s <= 30 * DAY for s in links.values())

    # tenure --------------------------------------------------------------------------
    prof = [p for p in tables.get("profiles", []) if p["user_id"] == uid and p["registered_at"] < t]
    if prof:
        p = prof[0]
        out["ten_account_age_days"] = days(t - p["registered_at"])
        v = p["phone_verified_at"]
        ok = v is not None and v < t
        out["ten_phone_verified"] = float(ok)
        out["ten_phone_verified_age_days"] = days(t - v) if ok else NAN
    else:
        out["ten_account_age_days"] = NAN
        out["ten_phone_verified"] = 0.0
        out["ten_phone_verified_age_days"] = NAN
    changes = [
        c for c in tables.get("profile_changes", []) if c["user_id"] == uid and c["changed_at"] < t
    ]
    for w in windows:
        for k in ("device", "address", "phone"):
            out[f"ten_{k}_changes_{w}d"] = sum(
                c["kind"] == k and t - c["changed_at"] <= w * DAY for c in changes
            )

    # thin file -----------------------------------------------------------------------
    firsts = (
        [o["ordered_at"] for o in orders]
        + [b["issued_at"] for b in bills]
        + [x["disbursed_at"] for x in loans]
    )
    history = days(t - min(firsts)) if firsts else 0.0
    total = len(orders) + len(bills) + len(loans)
    out["thin_history_days"] = history
    out["thin_order_count"] = len(orders)
    out["thin_bill_count"] = len(bills)
    out["thin_loan_count"] = len(loans)
    out["thin_event_count"] = total
    out["thin_file"] = float(history < 180 or total < 10)
    return {k: float(v) for k, v in out.items()}
