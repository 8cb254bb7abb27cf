"""Real-time decision for one applicant: raw events -> features -> score -> reasons -> limit.

The same feature definitions serve the batch path (training) and this online path; the
scorecard scores a plain dict without pandas; reasons and the first limit follow from the
score. Run it with ``python examples/realtime_decision.py``.
"""

from __future__ import annotations

import time

import numpy as np

from thinfile_credit.features import FeatureBuilder
from thinfile_credit.limits import LimitLadder, explain_initial_limit
from thinfile_credit.reasons import ReasonCoder
from thinfile_credit.scorecard import WoEScorecard
from thinfile_credit.synthetic import make_marketplace

OWN_TABLES = ("orders", "bills", "loans", "edges", "profiles", "profile_changes")


def train(seed: int = 0) -> tuple[FeatureBuilder, WoEScorecard, ReasonCoder, float, object]:
    """Offline: fit a scorecard and a reason coder on a synthetic marketplace."""
    mk = make_marketplace(n_users=4_000, seed=seed)
    builder = FeatureBuilder()
    X = builder.build(mk.tables)
    y = mk.truth.set_index("application_id").loc[X["application_id"], "bad"].to_numpy()
    names = builder.feature_names_
    card = WoEScorecard(random_state=seed).fit(X[names], y)
    cutoff = float(np.quantile(card.score(X[names]), 0.25))
    coder = ReasonCoder(method="vs_cutoff", cutoff=cutoff, language="en").fit(card, X[names])
    return builder, card, coder, cutoff, mk


def applicant_events(mk: object, user_id: int) -> dict[str, object]:
    """The raw rows a service would fetch for one user (here: from the synthetic tables)."""
    tables = mk.tables  # type: ignore[attr-defined]
    events: dict[str, object] = {}
    for name in OWN_TABLES:
        frame = tables[name]
        events[name] = frame[frame["user_id"] == user_id]
    loans = events["loans"]
    inst = tables.installments
    events["installments"] = inst[inst["loan_id"].isin(loans["loan_id"])]  # type: ignore[index]
    return events


def decide(builder, card, coder, cutoff, events, applied_at) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Online: one applicant's decision, reasons and first limit."""
    features = builder.build_one(events, applied_at)
    score = card.score_one(features)
    approved = score >= cutoff
    decision: dict[str, object] = {"score": round(score, 1), "approved": approved}
    if approved:
        capacity = (features.get("cons_gmv_sum_90d") or 0.0) / 3.0
        limit = explain_initial_limit([score], [capacity], ladder=LimitLadder())
        decision["first_limit"] = float(limit["limit"].iloc[0])
    else:
        explanation = coder.explain_one(features)
        decision["reasons"] = [(r.code, r.text) for r in explanation.reasons]
    return decision


def main() -> None:
    builder, card, coder, cutoff, mk = train()
    apps = mk.tables.applications.head(5)  # type: ignore[attr-defined]
    for app in apps.itertuples():
        events = applicant_events(mk, app.user_id)
        start = time.perf_counter()
        decision = decide(builder, card, coder, cutoff, events, app.applied_at)
        ms = (time.perf_counter() - start) * 1e3
        print(f"application {app.application_id}: {decision}  ({ms:.1f} ms)")


if __name__ == "__main__":
    main()
