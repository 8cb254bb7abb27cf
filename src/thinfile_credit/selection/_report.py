"""The selection report: why each feature was kept or dropped, stage by stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SelectionRecord", "SelectionReport"]


@dataclass(frozen=True)
class SelectionRecord:
    """One feature's fate.

    Parameters
    ----------
    feature : str
        Feature name.
    iv : float
        Its information value.
    kept : bool
        Whether it survived every stage.
    stage : str
        The stage that decided: ``"constant"``, ``"iv"``, ``"correlation"``, ``"vif"``,
        ``"stepwise"``, ``"sign"`` or ``"kept"``.
    reason : str
        Plain-language reason, e.g. ``"IV 0.011 < min_iv 0.02"``.

    Examples
    --------
    >>> SelectionRecord("age", 0.01, False, "iv", "IV 0.0100 < min_iv 0.02").to_dict()["stage"]
    'iv'
    """

    feature: str
    iv: float
    kept: bool
    stage: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "feature": self.feature,
            "iv": float(self.iv),
            "kept": self.kept,
            "stage": self.stage,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SelectionReport:
    """Every feature's selection record, in input order.

    Examples
    --------
    >>> r = SelectionReport((SelectionRecord("a", 0.3, True, "kept", "passed all stages"),
    ...                      SelectionRecord("b", 0.01, False, "iv", "IV 0.01 < min_iv 0.02")))
    >>> r.selected
    ('a',)
    >>> r.to_frame()["stage"].tolist()
    ['kept', 'iv']
    """

    records: tuple[SelectionRecord, ...]

    @property
    def selected(self) -> tuple[str, ...]:
        """Names of kept features, in input order."""
        return tuple(r.feature for r in self.records if r.kept)

    @property
    def dropped(self) -> dict[str, str]:
        """Dropped feature -> reason."""
        return {r.feature: r.reason for r in self.records if not r.kept}

    def with_dropped(self, feature: str, stage: str, reason: str) -> SelectionReport:
        """A copy where ``feature`` is marked dropped by ``stage``."""
        return SelectionReport(
            tuple(
                SelectionRecord(r.feature, r.iv, False, stage, reason)
                if r.feature == feature
                else r
                for r in self.records
            )
        )

    def to_frame(self) -> Any:
        """pandas DataFrame with one row per feature."""
        import pandas as pd

        return pd.DataFrame([r.to_dict() for r in self.records])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data."""
        return {"records": [r.to_dict() for r in self.records]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SelectionReport:
        """Rebuild from :meth:`to_dict` output."""
        return cls(tuple(SelectionRecord(**r) for r in data["records"]))
