"""The limit-ladder policy: rungs, first-limit bands, promotion, delinquency rules and caps.

A :class:`LimitLadder` is data: a frozen, validated, JSON-serialisable description of
how a lender grows a small first limit as the borrower repays on time. The engines in
:mod:`thinfile_credit.limits.engine` apply it.

Default caps (configurable, **not legal advice**)
-------------------------------------------------
The per-borrower ceilings default to the CBIRC/PBoC *Interim Measures for the
Administration of Online Small Loan Business* (draft for comment, November 2020):
an individual's online small-loan balance may not exceed **¥300,000** nor **one third of
the borrower's average annual income over the last three years**, whichever is lower.
``LimitCaps.regulatory_ceiling`` and ``LimitCaps.income_share`` carry those figures;
set them to whatever rules bind your licence.

Examples
--------
>>> ladder = LimitLadder()
>>> ladder.rungs[:4]
(50.0, 100.0, 200.0, 500.0)
>>> LimitLadder.from_json(ladder.to_json()) == ladder
True
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import PolicyError, SpecError
from thinfile_credit.limits._checks import is_real
from thinfile_credit.scale import ScoreScale

__all__ = ["DEFAULT_BANDS", "DEFAULT_RUNGS", "InitialBand", "LimitCaps", "LimitLadder"]

DEFAULT_RUNGS: tuple[float, ...] = (50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0)


@dataclass(frozen=True)
class InitialBand:
    """A score band and the first limit it earns.

    Parameters
    ----------
    lower : float or None
        Lowest score in the band (inclusive), on the ladder's score scale; ``None`` for
        a band open-ended below (the safest band of a lower-is-better scale).
    upper : float or None
        Upper bound (exclusive); ``None`` for a band open-ended above (the safest band
        of a higher-is-better scale).
    limit : float
        First limit for the band; must be one of the ladder's rungs.

    Raises
    ------
    PolicyError
        When a bound or the limit is not a finite number (text and booleans included),
        ``upper`` does not exceed ``lower``, both bounds are ``None``, or the limit is
        not positive.

    Examples
    --------
    >>> InitialBand(560, 590, 100).contains(575)
    True
    >>> InitialBand(None, 300, 1000).contains(120)
    True
    >>> InitialBand(560, 590, "100")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.PolicyError: InitialBand.limit must be a positive amount, got '100'
    """

    lower: float | None
    upper: float | None
    limit: float

    def __post_init__(self) -> None:
        if self.lower is not None and not (is_real(self.lower) and math.isfinite(self.lower)):
            raise PolicyError(
                f"InitialBand.lower must be a finite score (or None), got {self.lower!r}"
            )
        if self.upper is not None and not (
            is_real(self.upper)
            and math.isfinite(self.upper)
            and (self.lower is None or self.upper > self.lower)
        ):
            raise PolicyError(
                f"InitialBand.upper must be a finite score above lower {self.lower!r} "
                f"(or None), got {self.upper!r}"
            )
        if self.lower is None and self.upper is None:
            raise PolicyError(
                "InitialBand: lower and upper cannot both be None (one side of the score "
                "range, the riskiest, must end in a bound beyond which no line is granted)"
            )
        if not (is_real(self.limit) and math.isfinite(self.limit) and self.limit > 0):
            raise PolicyError(f"InitialBand.limit must be a positive amount, got {self.limit!r}")
        if self.lower is not None:
            object.__setattr__(self, "lower", float(self.lower))
        if self.upper is not None:
            object.__setattr__(self, "upper", float(self.upper))
        object.__setattr__(self, "limit", float(self.limit))

    def contains(self, score: float) -> bool:
        """Whether ``score`` falls in ``[lower, upper)`` (a ``None`` bound is open)."""
        return (self.lower is None or score >= self.lower) and (
            self.upper is None or score < self.upper
        )


DEFAULT_BANDS: tuple[InitialBand, ...] = (
    InitialBand(500.0, 540.0, 50.0),
    InitialBand(540.0, 570.0, 100.0),
    InitialBand(570.0, 600.0, 200.0),
    InitialBand(600.0, 630.0, 500.0),
    InitialBand(630.0, None, 1000.0),
)


@dataclass(frozen=True)
class LimitCaps:
    """Per-borrower ceilings; the binding one is the lowest.

    Parameters
    ----------
    affordability_multiple : float or None, default 3.0
        Limit at most this many times the borrower's average monthly spend (the
        ``capacity`` passed to the engines). ``None`` disables the cap.
    income_share : float or None, default 1/3
        Limit at most this share of annual income where income is known (2020 draft
        online small-loan rules). ``None`` disables it.
    regulatory_ceiling : float, default 300000
        Absolute ceiling per borrower, yuan (2020 draft rules: ¥300k).
    expected_loss_budget : float or None, default 150
        Highest expected loss per account, yuan: ``limit * PD * lgd <= budget``, with PD
        from the score through the ladder's scale. ``None`` disables it.
    lgd : float, default 0.9
        Loss given default used by the expected-loss budget (unsecured, thin file).

    Examples
    --------
    >>> LimitCaps(expected_loss_budget=None).regulatory_ceiling
    300000.0
    """

    affordability_multiple: float | None = 3.0
    income_share: float | None = 1.0 / 3.0
    regulatory_ceiling: float = 300_000.0
    expected_loss_budget: float | None = 150.0
    lgd: float = 0.9

    def __post_init__(self) -> None:
        for name in ("affordability_multiple", "income_share", "expected_loss_budget"):
            value = getattr(self, name)
            if value is not None and not (is_real(value) and value > 0):
                raise PolicyError(f"LimitCaps.{name} must be a positive number or None")
        if not (is_real(self.regulatory_ceiling) and self.regulatory_ceiling > 0):
            raise PolicyError("LimitCaps.regulatory_ceiling must be a positive amount")
        if self.income_share is not None and self.income_share > 1:
            raise PolicyError("LimitCaps.income_share must not exceed 1 (all of income)")
        if not (is_real(self.lgd) and 0 < self.lgd <= 1):
            raise PolicyError("LimitCaps.lgd must lie in (0, 1]")
        object.__setattr__(self, "regulatory_ceiling", float(self.regulatory_ceiling))


@dataclass(frozen=True)
class LimitLadder:
    """A credit-limit ladder policy.

    Parameters
    ----------
    rungs : tuple of float
        Allowed limits in yuan, strictly increasing. Every limit the engines assign is a
        rung (or 0 for no line).
    initial_bands : tuple of InitialBand
        Contiguous, non-overlapping score bands with their first limit, sorted by score.
        They follow the scale's direction: the riskiest side of the range ends in a
        bound beyond which applicants get no line, and the safest band is open-ended.
        With higher scores better (the default), the lowest band has a finite ``lower``
        (scores below it get no line) and the top band ``upper=None``. With
        ``ScoreScale(higher_is_better=False)`` the lowest band is the safest and has
        ``lower=None``, and the top band has a finite ``upper`` (scores at or above it
        get no line).
    promotion_cycles : int, default 3
        Consecutive on-time billing cycles needed before an increase.
    promotion_steps : int, default 1
        Rungs moved up per promotion.
    min_promotion_score : float or None, default 540
        Behaviour score needed for an increase (``None``: no condition).
    min_promotion_utilisation : float, default 0.2
        Share of the limit in use needed for an increase (lines nobody uses stay small).
    freeze_dpd : int, default 1
        Days past due at which the line is frozen (no new drawdowns, no increase).
    cut_dpd : int, default 30
        Days past due at which the limit is cut to the highest rung not above the
        outstanding balance (never below the first rung).
    close_dpd : int, default 90
        Days past due at which the line is closed for good.
    unfreeze_cycles : int, default 1
        On-time cycles after a delinquency before a freeze lifts.
    cooldown_cycles : int, default 2
        Cycles after any change (raise, cut, unfreeze) during which no raise is allowed.
    caps : LimitCaps
        Per-borrower ceilings.
    scale : ScoreScale
        Scale of the scores the ladder reads (PD for the loss budget; band direction).

    Raises
    ------
    PolicyError
        On an inconsistent policy: rungs that are not positive numbers (text, booleans
        and None included) or not strictly increasing, bands overlapping or with gaps,
        bands against the scale's direction (an open-ended band on the riskiest side, a
        bounded safest band), a band limit that is not a rung, a ceiling below the first
        rung, thresholds out of order.

    Examples
    --------
    >>> LimitLadder(rungs=(100.0, 50.0))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.PolicyError: LimitLadder.rungs must be strictly increasing, ...

    On a lower-is-better scale the bands mirror: the lowest scores are the safest.

    >>> lower = LimitLadder(
    ...     rungs=(50.0, 500.0, 1000.0),
    ...     initial_bands=(InitialBand(None, 560, 1000), InitialBand(560, 620, 500),
    ...                    InitialBand(620, 700, 50)),
    ...     min_promotion_score=None, scale=ScoreScale(higher_is_better=False))
    >>> lower.band_index([450.0, 600.0, 699.0, 700.0]).tolist()
    [0, 1, 2, -1]
    """

    rungs: tuple[float, ...] = DEFAULT_RUNGS
    initial_bands: tuple[InitialBand, ...] = DEFAULT_BANDS
    promotion_cycles: int = 3
    promotion_steps: int = 1
    min_promotion_score: float | None = 540.0
    min_promotion_utilisation: float = 0.2
    freeze_dpd: int = 1
    cut_dpd: int = 30
    close_dpd: int = 90
    unfreeze_cycles: int = 1
    cooldown_cycles: int = 2
    caps: LimitCaps = field(default_factory=LimitCaps)
    scale: ScoreScale = field(default_factory=ScoreScale)

    def __post_init__(self) -> None:
        raw = tuple(self.rungs) if _iterable(self.rungs) else ()
        # Text is refused, not parsed: a rung read from "100" or True is a guessed line.
        bad = [i for i, r in enumerate(raw) if not (is_real(r) and math.isfinite(r) and r > 0)]
        if not raw or bad:
            shown = f": rungs[{bad[0]}] is {raw[bad[0]]!r}" if bad else ""
            raise PolicyError(
                "LimitLadder.rungs must be one or more positive amounts (numbers; text, "
                f"booleans and None are refused){shown}"
            )
        rungs = tuple(float(r) for r in raw)
        object.__setattr__(self, "rungs", rungs)
        if not isinstance(self.caps, LimitCaps):
            raise PolicyError("LimitLadder.caps must be a LimitCaps")
        if not isinstance(self.scale, ScoreScale):  # the bands' direction depends on it
            raise PolicyError("LimitLadder.scale must be a ScoreScale")
        if len(rungs) > 100:
            raise PolicyError(f"LimitLadder.rungs: at most 100 rungs, got {len(rungs)}")
        if any(b <= a for a, b in itertools.pairwise(rungs)):
            raise PolicyError(f"LimitLadder.rungs must be strictly increasing, got {rungs}")
        self._check_bands()
        for name in (
            "promotion_cycles",
            "promotion_steps",
            "freeze_dpd",
            "cut_dpd",
            "close_dpd",
            "unfreeze_cycles",
        ):
            _check_int(name, getattr(self, name), minimum=1)
        _check_int("cooldown_cycles", self.cooldown_cycles, minimum=0)
        if not self.freeze_dpd <= self.cut_dpd <= self.close_dpd:
            raise PolicyError(
                "LimitLadder: need freeze_dpd <= cut_dpd <= close_dpd, got "
                f"{self.freeze_dpd}, {self.cut_dpd}, {self.close_dpd}"
            )
        if self.min_promotion_score is not None and not (
            is_real(self.min_promotion_score) and math.isfinite(self.min_promotion_score)
        ):
            raise PolicyError("LimitLadder.min_promotion_score must be a finite score or None")
        u = self.min_promotion_utilisation
        if not (is_real(u) and 0 <= u <= 1):
            raise PolicyError("LimitLadder.min_promotion_utilisation must lie in [0, 1]")
        if self.caps.regulatory_ceiling < rungs[0]:
            raise PolicyError(
                f"LimitCaps.regulatory_ceiling {self.caps.regulatory_ceiling:g} is below the "
                f"first rung {rungs[0]:g}: no borrower could ever get a line"
            )

    def _check_bands(self) -> None:
        bands = self.initial_bands
        if not _iterable(bands) or not bands:
            raise PolicyError("LimitLadder.initial_bands must hold at least one InitialBand")
        bands = tuple(
            _build(InitialBand, b, "initial band") if isinstance(b, dict) else b for b in bands
        )
        object.__setattr__(self, "initial_bands", bands)
        for i, band in enumerate(bands):
            if not isinstance(band, InitialBand):
                raise PolicyError(f"LimitLadder.initial_bands[{i}] is not an InitialBand")
            # InitialBand validated its own bounds and limit when it was built.
            if band.limit not in self.rungs:
                raise PolicyError(f"initial band {i}: limit {band.limit:g} is not a rung")
        for i, (a, b) in enumerate(itertools.pairwise(bands)):
            if b.lower is None:
                raise PolicyError(
                    f"initial band {i + 1}: only the first band may be open-ended below "
                    "(lower=None); bands must be sorted by lower bound"
                )
            if a.lower is not None and b.lower < a.lower:
                raise PolicyError("LimitLadder.initial_bands must be sorted by lower bound")
            if a.upper is None or a.upper > b.lower:
                raise PolicyError(
                    f"initial bands {i} and {i + 1} overlap: [{a.lower}, {a.upper}) "
                    f"and [{b.lower}, {b.upper})"
                )
            if a.upper < b.lower:
                raise PolicyError(
                    f"initial bands {i} and {i + 1} leave a gap: scores in "
                    f"[{a.upper}, {b.lower}) have no band"
                )
        _check_band_direction(bands, self.scale)
        limits = [b.limit for b in bands]
        # Bands run from low to high scores: limits ascend when higher scores are better,
        # descend when lower scores are (equal neighbours are allowed either way).
        if limits != sorted(limits, reverse=not self.scale.higher_is_better):
            raise PolicyError(
                "initial band limits must rise with creditworthiness (with the scale's "
                "direction), got " + ", ".join(f"{x:g}" for x in limits)
            )

    # --- derived views ----------------------------------------------------------------
    @property
    def band_edges(self) -> np.ndarray:
        """Lower bounds of the initial bands (``-inf`` for one open-ended below)."""
        return np.array(
            [-np.inf if b.lower is None else b.lower for b in self.initial_bands],
            dtype=np.float64,
        )

    def band_index(self, scores: Any) -> NDArray[np.int64]:
        """Initial band of each score: its position in ``initial_bands``, or -1 for none.

        -1 means no first line: a score beyond the riskiest band's bound (below the
        lowest band when higher scores are better, at or above the top band's ``upper``
        when lower scores are better), or NaN.

        Examples
        --------
        >>> LimitLadder().band_index([480.0, 500.0, 575.0, 900.0]).tolist()
        [-1, 0, 2, 4]
        """
        s = np.asarray(scores, dtype=np.float64)
        band = np.searchsorted(self.band_edges, s, side="right") - 1
        top = self.initial_bands[-1].upper
        beyond = np.isnan(s) if top is None else np.isnan(s) | (s >= top)
        return np.where(beyond, -1, band).astype(np.int64)

    @property
    def band_rungs(self) -> np.ndarray:
        """Rung index of each initial band's first limit."""
        return np.array([self.rungs.index(float(b.limit)) for b in self.initial_bands])

    def rung_index(self, limit: float) -> int:
        """Index of ``limit`` among the rungs (-1 for 0, no line).

        Raises
        ------
        PolicyError
            If ``limit`` is neither 0 nor a rung.

        Examples
        --------
        >>> LimitLadder().rung_index(500)
        3
        """
        if limit == 0:
            return -1
        try:
            return self.rungs.index(float(limit))
        except ValueError:
            raise PolicyError(f"limit {limit:g} is not a rung of this ladder") from None

    def with_changes(self, **changes: Any) -> LimitLadder:
        """A copy with some fields replaced (validated again).

        Raises
        ------
        SpecError
            On a name that is not a field of the ladder.
        PolicyError
            When the changed ladder is inconsistent.

        Examples
        --------
        >>> LimitLadder().with_changes(promotion_cycles=2).promotion_cycles
        2
        """
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise SpecError(f"unknown LimitLadder fields: {sorted(unknown)}")
        return replace(self, **changes)

    # --- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-data representation (JSON-safe)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["rungs"] = list(self.rungs)
        out["initial_bands"] = [asdict(b) for b in self.initial_bands]
        out["caps"] = asdict(self.caps)
        out["scale"] = self.scale.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LimitLadder:
        """Rebuild from :meth:`to_dict`.

        Raises
        ------
        SpecError
            When ``data`` (or a band or the caps in it) is not a mapping, or has unknown
            or missing keys.
        PolicyError
            When the rebuilt ladder is inconsistent.
        """
        kw = _fields_of(cls, data, "LimitLadder")
        if isinstance(kw.get("rungs"), list):
            kw["rungs"] = tuple(kw["rungs"])
        if isinstance(kw.get("initial_bands"), list):
            kw["initial_bands"] = tuple(kw["initial_bands"])  # dicts are built in validation
        if "caps" in kw:
            kw["caps"] = _build(LimitCaps, kw["caps"], "LimitCaps")
        if "scale" in kw:
            kw["scale"] = ScoreScale.from_dict(kw["scale"])
        return cls(**kw)

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LimitLadder:
        """Rebuild from :meth:`to_json`; text that is not JSON raises :class:`SpecError`."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as err:
            raise SpecError(f"LimitLadder JSON cannot be read: {err}") from None
        return cls.from_dict(data)


def checked_ladder(ladder: Any, default: LimitLadder, name: str = "ladder") -> LimitLadder:
    """``ladder`` (``default`` when None), refused with :class:`SpecError` if it is not a
    :class:`LimitLadder`: a policy passed by mistake (text, a dict) must not fail later
    as an ``AttributeError`` deep in an engine.

    Examples
    --------
    >>> checked_ladder(None, LimitLadder()) == LimitLadder()
    True
    >>> checked_ladder("x", LimitLadder())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.SpecError: ladder must be a LimitLadder, got str ...
    """
    if ladder is None:
        return default
    if not isinstance(ladder, LimitLadder):
        raise SpecError(
            f"{name} must be a LimitLadder, got {type(ladder).__name__} {ladder!r:.60}"
            " (rebuild a saved policy with LimitLadder.from_dict or from_json)"
        )
    return ladder


def _fields_of(cls: type, data: Any, what: str) -> dict[str, Any]:
    """``data`` as keyword arguments of the dataclass ``cls``; SpecError otherwise."""
    if not isinstance(data, dict):
        raise SpecError(f"a {what} is rebuilt from a dict, got {type(data).__name__}")
    names = [f for f in fields(cls) if f.init]
    unknown = set(data) - {f.name for f in names}
    if unknown:
        raise SpecError(f"unknown {what} fields: {sorted(unknown)}")
    missing = [
        f.name
        for f in names
        if f.name not in data and f.default is MISSING and f.default_factory is MISSING
    ]
    if missing:
        raise SpecError(f"{what} is missing fields: {missing}")
    return dict(data)


def _build(cls: type, data: Any, what: str) -> Any:
    """An instance of the dataclass ``cls`` from the mapping ``data`` (SpecError if not)."""
    return cls(**_fields_of(cls, data, what))


def _check_band_direction(bands: tuple[InitialBand, ...], scale: ScoreScale) -> None:
    """The riskiest side ends in a bound (no line beyond it); the safest band is open."""
    first, top = bands[0], bands[-1]
    if scale.higher_is_better:
        if first.lower is None:
            raise PolicyError(
                "the lowest initial band is the riskiest on a higher-is-better scale: it "
                "needs a finite lower bound (scores below it get no line), not lower=None"
            )
        if top.upper is not None:
            raise PolicyError("the top initial band must be open-ended (upper=None)")
        return
    if first.lower is not None:
        raise PolicyError(
            "on a lower-is-better scale (ScoreScale(higher_is_better=False)) the lowest "
            "initial band is the safest and must be open-ended (lower=None); with a lower "
            f"bound of {first.lower:g}, the best applicants, scoring below it, would get "
            "no line"
        )
    if top.upper is None:
        raise PolicyError(
            "on a lower-is-better scale (ScoreScale(higher_is_better=False)) the top "
            "initial band is the riskiest and needs a finite upper bound (scores at or "
            "above it get no line); upper=None would give every risky applicant a line"
        )


def _iterable(value: Any) -> bool:
    return isinstance(value, (tuple, list))


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise PolicyError(f"LimitLadder.{name} must be an integer >= {minimum}, got {value!r}")
