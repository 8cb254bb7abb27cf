"""Structured reason objects for services: one :class:`Explanation` per applicant.

Examples
--------
>>> r = Reason(rank=1, code="BIL02", text="Bills currently overdue",
...            long_text="A bill was past due.", points_lost=23.5,
...            features=("bill_overdue_count_now",))
>>> e = Explanation(application_id="A1", score=561.0, language="en",
...                 method="points_below_max", reasons=(r,))
>>> e.codes
('BIL02',)
>>> e.to_dict()["reasons"][0]["points_lost"]
23.5
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Explanation", "Hint", "Reason"]


@dataclass(frozen=True)
class Hint:
    """The smallest change in a reason's features that recovers the most points.

    Attributes
    ----------
    code : str
        Reason code the hint belongs to.
    feature : str
        Feature to change.
    current, target : float
        The applicant's value and the value the hint proposes.
    points : float
        Points the change recovers (model re-scored with ``feature = target``).
    direction : {"increase", "decrease", "time"}
        How the feature must move; ``"time"`` for features that change only with time.
    text : str
        The phrased hint in the coder's language.
    """

    code: str
    feature: str
    current: float
    target: float
    points: float
    direction: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Plain-data representation (JSON-safe)."""
        return {
            "code": self.code,
            "feature": self.feature,
            "current": _json_float(self.current),
            "target": _json_float(self.target),
            "points": round(float(self.points), 6),
            "direction": self.direction,
            "text": self.text,
        }


@dataclass(frozen=True)
class Reason:
    """One adverse-action reason.

    Attributes
    ----------
    rank : int
        1 for the principal reason; the optional "also considered" slot has rank
        ``max_reasons + 1``.
    code : str
        Reason code from the catalog.
    text, long_text : str
        Short and long texts in the explanation's language.
    points_lost : float
        Points the reason's features cost relative to the coder's baseline (always > 0).
    features : tuple of str
        The model features whose points make up the reason: the group's features, or
        with ``ReasonCoder(check_values=True)`` those whose values support its text
        plus features routed to it because the applicant's value is missing.
    also_considered : bool
        True for the optional slot after the principal reasons.
    hint : Hint or None
        Improvement hint, when hints were asked for and one exists.
    """

    rank: int
    code: str
    text: str
    long_text: str
    points_lost: float
    features: tuple[str, ...]
    also_considered: bool = False
    hint: Hint | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-data representation (JSON-safe)."""
        return {
            "rank": self.rank,
            "code": self.code,
            "text": self.text,
            "long_text": self.long_text,
            "points_lost": round(float(self.points_lost), 6),
            "features": list(self.features),
            "also_considered": self.also_considered,
            "hint": None if self.hint is None else self.hint.to_dict(),
        }


@dataclass(frozen=True)
class Explanation:
    """Reasons for one applicant, ready to serialise into a service response.

    Attributes
    ----------
    application_id : object
        The id given to :meth:`ReasonCoder.explain_one` (``None`` if none).
    score : float
        The model score explained.
    language : str
        Language of the texts.
    method : str
        Baseline method of the coder (``points_below_max``, ``vs_population``,
        ``vs_cutoff``).
    reasons : tuple of Reason
        Principal reasons, rank order, at most ``max_reasons``.
    also_considered : Reason or None
        The optional next reason.
    """

    application_id: Any
    score: float
    language: str
    method: str
    reasons: tuple[Reason, ...]
    also_considered: Reason | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        """Codes of the principal reasons in rank order."""
        return tuple(r.code for r in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data representation (JSON-safe)."""
        app_id = self.application_id
        if hasattr(app_id, "item"):
            app_id = app_id.item()
        return {
            "application_id": app_id,
            "score": round(float(self.score), 6),
            "language": self.language,
            "method": self.method,
            "reasons": [r.to_dict() for r in self.reasons],
            "also_considered": (
                None if self.also_considered is None else self.also_considered.to_dict()
            ),
        }


def _json_float(value: float) -> float | None:
    v = float(value)
    return None if v != v else v  # NaN is not JSON
