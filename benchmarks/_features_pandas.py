"""The baseline: a straightforward pandas merge-filter-groupby of the same features.

Written the way an analyst would: merge applications with each event table on the user,
keep rows strictly before the application, then one ``groupby().agg()`` per window.
It computes every feature of ``FeatureBuilder()`` (checked equal at small size in
``benchmarks/features.py --check``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from thinfile_credit.features.consumption import DEFAULT_ESSENTIAL_CATEGORIES

DAY = pd.Timedelta(days=1)
WINDOWS = (30, 90, 180, 365)
# The category map is configuration, not logic: take the library default as input.
ESSENTIAL = list(DEFAULT_ESSENTIAL_CATEGORIES)


def _div(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a / b.where(b != 0)).astype(float)


def pandas_features(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    apps = t["applications"][["application_id", "user_id", "applied_at"]]
    out = apps.set_index("application_id")
    idx = out.index
    feats: dict[str, pd.Series] = {}

    # consumption
    o = apps.merge(t["orders"], on="user_id")
    o = o[o["ordered_at"] < o["applied_at"]].copy()
    o["age"] = o["applied_at"] - o["ordered_at"]
    o["day"] = o["ordered_at"].dt.floor("D")
    o["period"] = (o["age"] - pd.Timedelta(microseconds=1)) // pd.Timedelta(days=30)
    o["ess_amt"] = o["amount"].where(o["category"].isin(ESSENTIAL), 0.0)
    o["refund"] = o["status"].eq("refunded")
    o["ret"] = o["status"].eq("returned")
    o["cancel"] = o["status"].eq("cancelled")
    o["kept_amt"] = o["amount"].where(o["status"].eq("paid"))
    o["inst"] = (o["installments"] > 1) | o["payment_method"].isin(
        ["pay_later", "installment", "instalment"]
    )
    o["night"] = o["ordered_at"].dt.hour < 6
    for w in WINDOWS:
        ow = o[o["age"] <= w * DAY]
        g = ow.groupby("application_id")
        a = g.agg(
            n=("amount", "size"),
            s=("amount", "sum"),
            mean=("amount", "mean"),
            med=("amount", "median"),
            mx=("amount", "max"),
            sd=("amount", "std"),
            days=("day", "nunique"),
            months=("period", "nunique"),
            cats=("category", "nunique"),
            ess=("ess_amt", "sum"),
            refund=("refund", "sum"),
            ret=("ret", "sum"),
            cancel=("cancel", "sum"),
            basket=("kept_amt", "mean"),
            inst=("inst", "sum"),
            night=("night", "sum"),
        ).reindex(idx)
        cc = ow.groupby(["application_id", "category"]).size()
        p = cc / cc.groupby(level=0).transform("sum")
        ent = (-(p * np.log(p))).groupby(level=0).sum().reindex(idx)
        prev = (
            o[(o["age"] > w * DAY) & (o["age"] <= 2 * w * DAY)]
            .groupby("application_id")
            .size()
            .reindex(idx)
            .fillna(0)
        )
        n = a["n"].fillna(0)
        s = f"_{w}d"
        feats[f"cons_order_count{s}"] = n
        feats[f"cons_gmv_sum{s}"] = a["s"].fillna(0)
        feats[f"cons_gmv_mean{s}"] = a["mean"]
        feats[f"cons_gmv_median{s}"] = a["med"]
        feats[f"cons_gmv_max{s}"] = a["mx"]
        feats[f"cons_gmv_std{s}"] = a["sd"]
        feats[f"cons_active_days{s}"] = a["days"].fillna(0)
        feats[f"cons_active_months{s}"] = a["months"].fillna(0)
        feats[f"cons_category_count{s}"] = a["cats"].fillna(0)
        feats[f"cons_category_entropy{s}"] = ent.where(n > 0)
        feats[f"cons_essential_share{s}"] = _div(a["ess"].fillna(0), a["s"].fillna(0))
        feats[f"cons_refund_rate{s}"] = _div(a["refund"], n)
        feats[f"cons_return_rate{s}"] = _div(a["ret"], n)
        feats[f"cons_cancel_rate{s}"] = _div(a["cancel"], n)
        feats[f"cons_basket_mean{s}"] = a["basket"]
        feats[f"cons_order_trend{s}"] = _div(n - prev, n + prev)
        feats[f"cons_instalment_share{s}"] = _div(a["inst"], n)
        feats[f"cons_night_share{s}"] = _div(a["night"], n)
    g = o.groupby("application_id")["age"]
    feats["cons_days_since_last_order"] = (g.min() / DAY).reindex(idx)
    feats["cons_days_since_first_order"] = (g.max() / DAY).reindex(idx)

    # bills
    b = apps.merge(t["bills"], on="user_id")
    b = b[b["issued_at"] < b["applied_at"]].copy()
    T = b["applied_at"]
    paid_t = b["paid_at"] < T
    full_t = paid_t & (b["amount_paid"] >= b["amount_due"])
    b["ontime"] = full_t & (b["paid_at"] <= b["due_at"])
    b["full"] = full_t
    b["late"] = np.where(
        full_t, ((b["paid_at"] - b["due_at"]) / DAY).clip(lower=0), (T - b["due_at"]) / DAY
    )
    b["due"] = b["due_at"] < T
    b["l3"] = b["late"] > 3
    b["l30"] = b["late"] > 30
    b["overdue"] = b["due"] & ~full_t
    b["owed"] = (b["amount_due"] - b["amount_paid"].where(paid_t, 0.0)).where(b["overdue"], 0.0)
    for w in WINDOWS:
        bw = b[b["due"] & (T - b["due_at"] <= w * DAY)]
        a = (
            bw.groupby("application_id")
            .agg(
                n=("late", "size"),
                ontime=("ontime", "sum"),
                full=("full", "sum"),
                mean=("late", "mean"),
                mx=("late", "max"),
                l3=("l3", "sum"),
                l30=("l30", "sum"),
            )
            .reindex(idx)
        )
        n = a["n"].fillna(0)
        s = f"_{w}d"
        feats[f"bill_due_count{s}"] = n
        feats[f"bill_ontime_share{s}"] = _div(a["ontime"], n)
        feats[f"bill_full_paid_share{s}"] = _div(a["full"], n)
        feats[f"bill_mean_days_late{s}"] = a["mean"]
        feats[f"bill_max_days_late{s}"] = a["mx"]
        feats[f"bill_late3_count{s}"] = a["l3"].fillna(0)
        feats[f"bill_late30_count{s}"] = a["l30"].fillna(0)
    g = b.groupby("application_id")
    feats["bill_overdue_count_now"] = g["overdue"].sum().reindex(idx).fillna(0)
    feats["bill_overdue_amount_now"] = g["owed"].sum().reindex(idx).fillna(0)

    # loans
    ln = apps.merge(t["loans"], on="user_id")
    ln = ln[ln["disbursed_at"] < ln["applied_at"]].copy()
    ln["age"] = ln["applied_at"] - ln["disbursed_at"]
    for w in WINDOWS:
        feats[f"loan_count_{w}d"] = (
            ln[ln["age"] <= w * DAY].groupby("application_id").size().reindex(idx).fillna(0)
        )
    feats["loan_count_ever"] = ln.groupby("application_id").size().reindex(idx).fillna(0)
    i = ln[["application_id", "applied_at", "loan_id"]].merge(t["installments"], on="loan_id")
    T = i["applied_at"]
    paid_t = i["paid_at"] < T
    full_t = paid_t & (i["amount_paid"] >= i["amount_due"])
    due = i["due_at"] < T
    ontime = full_t & (i["paid_at"] <= i["due_at"])
    early = full_t & (i["paid_at"] <= i["due_at"] - DAY)
    i["due"] = due
    i["dpd"] = np.where(
        full_t, ((i["paid_at"] - i["due_at"]) // DAY).clip(lower=0), (T - i["due_at"]) // DAY
    )
    i["dpd"] = i["dpd"].where(due)
    i["open_dpd"] = ((T - i["due_at"]) // DAY).where(due & ~full_t)
    i["ontime"] = due & ontime
    i["early"] = due & early
    i["bad"] = due & ~ontime
    i["bad_due"] = i["due_at"].where(i["bad"])
    i["last_bad"] = i.groupby("application_id")["bad_due"].transform("max")
    i["streak"] = i["ontime"] & (i["last_bad"].isna() | (i["due_at"] > i["last_bad"]))
    i["open"] = ~full_t
    i["owed"] = (i["amount_due"] - i["amount_paid"].where(paid_t, 0.0)).where(~full_t, 0.0)
    comp = i.groupby(["application_id", "loan_id"])["open"].sum()
    g = i.groupby("application_id")
    a = g.agg(
        ndue=("due", "sum"),
        mx=("dpd", "max"),
        cur=("open_dpd", "max"),
        streak=("streak", "sum"),
        early=("early", "sum"),
        ontime=("ontime", "sum"),
        bad=("bad", "sum"),
        owed=("owed", "sum"),
    ).reindex(idx)
    feats["loan_completed_count"] = (comp == 0).groupby(level=0).sum().reindex(idx).fillna(0)
    feats["loan_max_dpd_ever"] = a["mx"]
    feats["loan_current_dpd"] = a["cur"].fillna(0)
    feats["loan_ontime_streak"] = a["streak"].fillna(0)
    feats["loan_early_share"] = _div(a["early"], a["ndue"])
    feats["loan_ontime_share"] = _div(a["ontime"], a["ndue"])
    feats["loan_late_share"] = _div(a["bad"], a["ndue"])
    feats["loan_outstanding_amount_now"] = a["owed"].fillna(0)
    last = (
        ln.sort_values("disbursed_at").groupby("application_id").tail(1).set_index("application_id")
    )
    last_t = ln.groupby("application_id")["disbursed_at"].transform("max")
    lastrows = ln[ln["disbursed_at"] == last_t]
    feats["loan_limit_utilisation_last"] = (
        _div(lastrows["principal"], lastrows["credit_limit"])
        .groupby(lastrows["application_id"])
        .max()
        .reindex(idx)
    )
    feats["loan_days_since_last_loan"] = (ln.groupby("application_id")["age"].min() / DAY).reindex(
        idx
    )
    del last

    # social
    e = t["edges"]
    both = pd.concat(
        [
            e[["user_id", "peer_id", "kind", "since"]],
            e.rename(columns={"user_id": "peer_id", "peer_id": "user_id"})[
                ["user_id", "peer_id", "kind", "since"]
            ],
        ]
    )
    ae = apps.merge(both, on="user_id")
    ae = ae[(ae["since"] < ae["applied_at"]) & (ae["peer_id"] != ae["user_id"])]
    ae = ae.groupby(["application_id", "peer_id", "kind"], as_index=False).agg(
        applied_at=("applied_at", "first"), since=("since", "min")
    )
    inst = t["installments"].merge(t["loans"][["loan_id", "user_id"]], on="loan_id")
    horizon = inst["due_at"] + 90 * DAY
    cured = (
        inst["paid_at"].notna()
        & (inst["paid_at"] < horizon)
        & (inst["amount_paid"] >= inst["amount_due"])
    )
    dflt = horizon[~cured].groupby(inst["user_id"][~cured]).min().rename("peer_default_at")
    ae = ae.merge(dflt, left_on="peer_id", right_index=True, how="left")
    ae["dflt_peer"] = ae["peer_id"].where(ae["peer_default_at"] < ae["applied_at"])
    g = ae.groupby("application_id")
    deg = g["peer_id"].nunique().reindex(idx).fillna(0)
    for k in ("social", "transfer", "referral"):
        feats[f"soc_degree_{k}"] = (
            ae[ae["kind"] == k]
            .groupby("application_id")["peer_id"]
            .nunique()
            .reindex(idx)
            .fillna(0)
        )
    feats["soc_degree_total"] = deg
    nd = g["dflt_peer"].nunique().reindex(idx).fillna(0)
    feats["soc_default_neighbour_count"] = nd
    feats["soc_default_neighbour_share"] = _div(nd, deg)
    peers = ae[["application_id", "applied_at", "peer_id"]].drop_duplicates(
        ["application_id", "peer_id"]
    )
    pb = peers.merge(t["bills"].rename(columns={"user_id": "peer_id"}), on="peer_id")
    pb = pb[pb["due_at"] < pb["applied_at"]]
    pb = pb.assign(
        ontime=(pb["paid_at"] < pb["applied_at"])
        & (pb["paid_at"] <= pb["due_at"])
        & (pb["amount_paid"] >= pb["amount_due"])
    )
    share = pb.groupby(["application_id", "peer_id"])["ontime"].mean()
    feats["soc_neighbour_ontime_share_mean"] = share.groupby(level=0).mean().reindex(idx)
    feats["soc_new_edges_30d"] = (
        ae[ae["applied_at"] - ae["since"] <= 30 * DAY]
        .groupby("application_id")
        .size()
        .reindex(idx)
        .fillna(0)
    )

    # tenure
    p = apps.merge(t["profiles"], on="user_id")
    p = p[p["registered_at"] < p["applied_at"]].set_index("application_id")
    feats["ten_account_age_days"] = ((p["applied_at"] - p["registered_at"]) / DAY).reindex(idx)
    ver = p["phone_verified_at"] < p["applied_at"]
    feats["ten_phone_verified"] = ver.astype(float).reindex(idx).fillna(0)
    feats["ten_phone_verified_age_days"] = (
        ((p["applied_at"] - p["phone_verified_at"]) / DAY).where(ver).reindex(idx)
    )
    c = apps.merge(t["profile_changes"], on="user_id")
    c = c[c["changed_at"] < c["applied_at"]]
    for w in WINDOWS:
        cw = c[c["applied_at"] - c["changed_at"] <= w * DAY]
        for k in ("device", "address", "phone"):
            feats[f"ten_{k}_changes_{w}d"] = (
                cw[cw["kind"] == k].groupby("application_id").size().reindex(idx).fillna(0)
            )

    # thin file
    first = (
        pd.concat(
            [
                o.groupby("application_id")["ordered_at"].min(),
                b.groupby("application_id")["issued_at"].min(),
                ln.groupby("application_id")["disbursed_at"].min(),
            ],
            axis=1,
        )
        .min(axis=1)
        .reindex(idx)
    )
    hist = ((out["applied_at"] - first) / DAY).fillna(0)
    no = o.groupby("application_id").size().reindex(idx).fillna(0)
    nb = b.groupby("application_id").size().reindex(idx).fillna(0)
    nl = feats["loan_count_ever"]
    feats["thin_history_days"] = hist
    feats["thin_order_count"] = no
    feats["thin_bill_count"] = nb
    feats["thin_loan_count"] = nl
    feats["thin_event_count"] = no + nb + nl
    feats["thin_file"] = ((hist < 180) | (no + nb + nl < 10)).astype(float)
    res = pd.DataFrame({k: v.astype(float) for k, v in feats.items()}, index=idx)
    return pd.concat([out, res], axis=1).reset_index()
