"""Feature specs: the definition of one feature and the base of every feature family.

A family is a small frozen, validated, JSON-serialisable dataclass (its windows and
options). :meth:`FeatureFamily.features` turns it into :class:`FeatureDef` objects: the
name, the data-dictionary entry and one expression that every engine runs.

Examples
--------
>>> from thinfile_credit.features import ConsumptionFeatures
>>> fam = ConsumptionFeatures(windows=(30, 90))
>>> fam.to_dict()["windows"]
[30, 90]
>>> ConsumptionFeatures.from_dict(fam.to_dict()) == fam
True
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Literal

from thinfile_credit.errors import SpecError
from thinfile_credit.features._expr import Expr

__all__ = ["DEFAULT_WINDOWS", "Direction", "FeatureDef", "FeatureFamily", "check_windows"]

#: Default look-back windows in days.
DEFAULT_WINDOWS: tuple[int, ...] = (30, 90, 180, 365)

Direction = Literal["higher_is_riskier", "higher_is_safer", "neutral"]
_DIRECTIONS = ("higher_is_riskier", "higher_is_safer", "neutral")


@dataclass(frozen=True)
class FeatureDef:
    """One feature: its name, its data-dictionary entry and its expression.

    Parameters
    ----------
    name : str
        Column name, ``<family>_<measure>[_<window>d]``.
    family : str
        Family name (``consumption``, ``bills``...).
    window : int or None
        Look-back window in days, ``None`` for "ever" or "now" features.
    definition : str
        What the number means, in the lender's words (powers reason texts).
    unit : str
        ``count``, ``yuan``, ``days``, ``share``, ``ratio``, ``nats``, ``flag``.
    direction : {"higher_is_riskier", "higher_is_safer", "neutral"}
        Expected direction of risk as the value grows.
    expr : Expr
        The one definition every engine runs.
    when_undefined : str
        When the value is NaN (empty string: never).
    definition_zh : str, default ""
        The definition in plain simplified Chinese, a noun phrase without a final full
        stop (``最近90天到期的账单笔数``): Chinese reason hints name the feature with it.
        Empty when there is none (hints then name the feature's reason group).
    neutral : float, optional
        The value at which the feature speaks neither for nor against the applicant,
        when it has one inside its range (0 for an order trend: below it activity
        declined). Reason codes leave a loss unstated on its favourable side, where a
        text such as "declining shopping activity" would be false; ``None`` (most
        features) means the favourable end of the observed range.

    Examples
    --------
    >>> from thinfile_credit.features._expr import agg, col
    >>> f = FeatureDef("cons_x", "consumption", None, "x", "count", "neutral",
    ...                agg("count", "orders", col("amount")), definition_zh="订单笔数")
    >>> f.name, f.definition_zh
    ('cons_x', '订单笔数')
    """

    name: str
    family: str
    window: int | None
    definition: str
    unit: str
    direction: Direction
    expr: Expr
    when_undefined: str = ""
    definition_zh: str = ""
    neutral: float | None = None

    def __post_init__(self) -> None:
        if self.direction not in _DIRECTIONS:
            raise SpecError(f"feature {self.name}: direction must be one of {_DIRECTIONS}")
        if self.neutral is not None and (
            isinstance(self.neutral, bool)
            or not isinstance(self.neutral, numbers.Real)
            or not math.isfinite(self.neutral)
        ):
            raise SpecError(f"feature {self.name}: neutral must be a finite number")


def check_windows(windows: Any, owner: str) -> tuple[int, ...]:
    """Validate look-back windows: positive whole days, no repeats; returned sorted.

    Examples
    --------
    >>> check_windows([90, 30], "demo")
    (30, 90)
    """
    try:
        values = tuple(windows)
    except TypeError:
        raise SpecError(f"{owner}: windows must be a sequence of days, got {windows!r}") from None
    if not values:
        raise SpecError(f"{owner}: at least one window is needed")
    for w in values:
        if isinstance(w, bool) or not isinstance(w, int) or w <= 0:
            raise SpecError(f"{owner}: windows must be positive whole days, got {w!r}")
    if len(set(values)) != len(values):
        raise SpecError(f"{owner}: repeated window in {values!r}")
    return tuple(sorted(values))


@dataclass(frozen=True)
class FeatureFamily:
    """Base of the feature families: validation, serialisation, feature listing.

    Subclasses declare their options as dataclass fields, set ``prefix`` and ``family``
    and implement :meth:`features`.
    """

    prefix: ClassVar[str] = ""
    family: ClassVar[str] = ""

    def features(self) -> list[FeatureDef]:  # pragma: no cover - abstract
        """Every feature of the family in a stable order."""
        raise NotImplementedError

    def _def(
        self,
        name: str,
        window: int | None,
        definition: str,
        unit: str,
        direction: Direction,
        expr: Expr,
        undefined: str = "",
        *,
        definition_zh: str = "",
        neutral: float | None = None,
    ) -> FeatureDef:
        """A :class:`FeatureDef` of this family (shared by every family's listing).

        ``definition_zh`` is the Chinese definition (see :class:`FeatureDef`).
        """
        return FeatureDef(
            name,
            self.family,
            window,
            definition,
            unit,
            direction,
            expr,
            undefined,
            definition_zh=definition_zh,
            neutral=neutral,
        )

    @property
    def feature_names(self) -> list[str]:
        """Names of :meth:`features`, in order."""
        return [f.name for f in self.features()]

    def sources(self) -> set[str]:
        """Point-in-time sources this family aggregates over."""
        from thinfile_credit.features._expr import iter_aggs

        return {a.args[1] for f in self.features() for a in iter_aggs(f.expr)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (tuples become lists) including the family ``type``."""
        out: dict[str, Any] = {"type": type(self).__name__}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = _jsonable(value)
        return out

    def to_json(self) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureFamily:
        """Rebuild a family from :meth:`to_dict` output (validates again)."""
        data = dict(data)
        kind = data.pop("type", cls.__name__)
        target = _family_class(kind) if cls is FeatureFamily else cls
        if target.__name__ != kind:
            raise SpecError(f"expected a {target.__name__} spec, got {kind!r}")
        names = {f.name for f in fields(target)}
        unknown = set(data) - names
        if unknown:
            raise SpecError(f"{kind}: unknown options {sorted(unknown)}")
        return target(**{k: _tupled(v) for k, v in data.items()})


def _family_class(name: str) -> type[FeatureFamily]:
    from thinfile_credit import features

    cls = getattr(features, name, None)
    if not (isinstance(cls, type) and issubclass(cls, FeatureFamily)):
        raise SpecError(f"unknown feature family {name!r}")
    return cls


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _tupled(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    return value
