"""A real-time decision service: POST an applicant's raw events, get a decision back.

Needs the ``service`` extra (``pip install "thinfile-credit[service]"``). Run it with
``uvicorn examples.service:app`` after training, or ``python examples/service.py`` for a
self-check that trains on synthetic data and answers one request in-process.

The service keeps only pure-data artefacts in memory: the scorecard as JSON (no pickle)
and the reason coder fitted at start-up. Every response carries the score, the decision,
up to four adverse reasons in the requested language, or the first limit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from thinfile_credit._optional import require
from thinfile_credit.features import FeatureBuilder
from thinfile_credit.limits import LimitLadder, explain_initial_limit
from thinfile_credit.reasons import ReasonCoder
from thinfile_credit.schema import TABLES
from thinfile_credit.scorecard import WoEScorecard
from thinfile_credit.synthetic import make_marketplace

fastapi = require("fastapi", "service")
pydantic = require("pydantic", "service")


class Applicant(pydantic.BaseModel):  # type: ignore[misc,name-defined]
    """The request: when the person applied and their raw platform events per table."""

    applied_at: datetime
    events: dict[str, list[dict[str, Any]]]
    language: str = "zh"


def build_app(seed: int = 0, n_users: int = 3_000) -> Any:
    """Train a scorecard on a synthetic marketplace and return the FastAPI app."""
    mk = make_marketplace(n_users=n_users, seed=seed)
    builder = FeatureBuilder()
    X = builder.build(mk.tables)
    y = mk.truth.set_index("application_id").loc[X["application_id"], "bad"].to_numpy()
    names = builder.feature_names_
    # Round-trip through JSON: what a service would load from its artefact store.
    card = WoEScorecard.from_json(WoEScorecard(random_state=seed).fit(X[names], y).to_json())
    cutoff = float(np.quantile(card.score(X[names]), 0.25))
    coder = ReasonCoder(method="vs_cutoff", cutoff=cutoff).fit(card, X[names])
    ladder = LimitLadder()

    app = fastapi.FastAPI(title="thinfile-credit decision service")

    @app.post("/decide")
    def decide(applicant: Applicant) -> dict[str, Any]:
        features = builder.build_one(_parse_times(applicant.events), applicant.applied_at)
        score = card.score_one(features)
        if score < cutoff:
            explanation = coder.explain_one(features, language=applicant.language)
            return {
                "approved": False,
                "score": score,
                "reasons": [{"code": r.code, "text": r.text} for r in explanation.reasons],
            }
        capacity = (features.get("cons_gmv_sum_90d") or 0.0) / 3.0
        limit = explain_initial_limit([score], [capacity], ladder=ladder)
        return {"approved": True, "score": score, "first_limit": float(limit["limit"].iloc[0])}

    app.state.marketplace = mk
    return app


def _parse_times(events: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """JSON carries timestamps as ISO text; the data model says which columns they are."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table, rows in events.items():
        spec = TABLES.get(table)
        times = {c.name for c in spec.columns if c.dtype == "datetime"} if spec else set()
        out[table] = [
            {
                k: datetime.fromisoformat(v) if k in times and isinstance(v, str) else v
                for k, v in row.items()
            }
            for row in rows
        ]
    return out


def main() -> None:
    testclient = require("fastapi.testclient", "service")
    app = build_app()
    mk = app.state.marketplace
    apps = mk.tables.applications
    for row in apps.head(3).itertuples():
        events = {}
        for name in ("orders", "bills", "loans", "profiles", "profile_changes"):
            frame = mk.tables[name]
            rows = frame[frame["user_id"] == row.user_id]
            events[name] = rows.astype(object).where(rows.notna(), None).to_dict("records")
        body = {"applied_at": row.applied_at.isoformat(), "events": _jsonable(events)}
        response = testclient.TestClient(app).post("/decide", json=body)
        response.raise_for_status()
        print(row.application_id, response.json())


def _jsonable(events: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    def convert(v: Any) -> Any:
        if hasattr(v, "isoformat"):
            return v.isoformat()
        if isinstance(v, np.generic):
            return v.item()
        return v

    return {t: [{k: convert(v) for k, v in r.items()} for r in rows] for t, rows in events.items()}


if __name__ == "__main__":
    main()
