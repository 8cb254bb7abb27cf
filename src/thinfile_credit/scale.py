"""The shared score scale: points <-> log-odds <-> probability of default.

Every scorer in the library reports on one :class:`ScoreScale`, so cut-offs, reason
codes, limit ladders and monitoring do not care which model produced a score.

Conventions
-----------
*Log-odds* ``z`` are the log-odds of **bad**: ``z = ln(PD / (1 - PD))``. *Odds* in the
scale's parameters are **good:bad** odds, as lenders quote them ("50 to 1"). With
``factor = pdo / ln 2`` and ``s = +1`` when higher scores are better (``-1`` otherwise)::

    points = base_score + s * factor * (ln(good:bad odds) - ln(base_odds))
           = base_score - s * factor * (z + ln(base_odds))

so a score of ``base_score`` means odds of ``base_odds``, and every ``pdo`` points
double (or, with ``s = -1``, halve) the good:bad odds. The map is affine in ``z``, which is
what lets per-feature log-odds contributions become per-feature points exactly:
``points = intercept_points + slope * z`` with :attr:`ScoreScale.slope` and
:attr:`ScoreScale.intercept_points`.

Examples
--------
>>> from thinfile_credit.scale import ScoreScale
>>> scale = ScoreScale()                     # 600 points at 50:1, 20 points to double
>>> round(float(scale.points_from_pd(1 / 51)), 6)
600.0
>>> round(float(scale.points_from_pd(1 / 101)), 6)   # odds 100:1 -> +20 points
620.0
>>> round(float(scale.pd_from_points(600.0)), 6)
0.019608
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from decimal import Decimal
from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thinfile_credit.errors import DataError, SpecError

__all__ = ["ScoreScale"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ScoreScale:
    """Points scaling shared by every scorer.

    Parameters
    ----------
    base_score : float, default 600
        Points awarded at ``base_odds``.
    base_odds : float, default 50
        Good:bad odds at ``base_score`` (50 means 50 goods per bad, PD = 1/51).
    pdo : float, default 20
        Points to double the odds.
    higher_is_better : bool, default True
        Direction: with ``True`` a higher score means a lower PD.

    Raises
    ------
    SpecError
        If ``base_odds`` or ``pdo`` is not a positive finite number, or ``base_score``
        is not finite.
    """

    base_score: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0
    higher_is_better: bool = True

    def __post_init__(self) -> None:
        for name in ("base_score", "base_odds", "pdo"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise SpecError(f"ScoreScale.{name} must be a number, got {value!r}")
            if not math.isfinite(float(value)):
                raise SpecError(f"ScoreScale.{name} must be finite, got {value!r}")
        if self.base_odds <= 0:
            raise SpecError(f"ScoreScale.base_odds must be > 0, got {self.base_odds!r}")
        if self.pdo <= 0:
            raise SpecError(f"ScoreScale.pdo must be > 0, got {self.pdo!r}")
        if not isinstance(self.higher_is_better, bool):
            raise SpecError("ScoreScale.higher_is_better must be True or False")

    # --- the affine map -------------------------------------------------------------
    @property
    def factor(self) -> float:
        """Points per unit of natural-log odds: ``pdo / ln 2``."""
        return float(self.pdo) / math.log(2.0)

    @property
    def slope(self) -> float:
        """d(points) / d(log-odds of bad); negative when higher is better."""
        return -self.factor if self.higher_is_better else self.factor

    @property
    def intercept_points(self) -> float:
        """Points at log-odds of bad ``z = 0`` (PD = 0.5)."""
        return float(self.base_score) + self.slope * math.log(float(self.base_odds))

    def points_from_log_odds(self, log_odds: ArrayLike) -> FloatArray:
        """Points for log-odds of bad ``z`` (array in, array out).

        Raises
        ------
        DataError
            Log-odds that are not numbers (text such as ``"-4"``, booleans):
            ``column="log_odds"``, ``rows`` the positions in the flattened array.

        Examples
        --------
        >>> ScoreScale().points_from_log_odds([-math.log(50), 0.0]).round(6).tolist()
        [600.0, 487.122876]
        """
        z = real_numbers(log_odds, "log_odds", "log-odds")
        return self.intercept_points + self.slope * z

    def log_odds_from_points(self, points: ArrayLike) -> FloatArray:
        """Log-odds of bad for ``points``; inverse of :meth:`points_from_log_odds`."""
        p = np.asarray(points, dtype=np.float64)
        return (p - self.intercept_points) / self.slope

    def points_from_pd(self, pd: ArrayLike) -> FloatArray:
        """Points for a probability of default in ``(0, 1)``.

        PD of exactly 0 or 1 maps to +/- infinity. ``Decimal`` and ``Fraction`` values
        are read as numbers; text and booleans are not (``True`` is no PD of 1).

        Raises
        ------
        DataError
            PDs that are not numbers (text such as ``"0.02"``, booleans):
            ``column="pd"``, ``rows`` the positions in the flattened array.
        SpecError
            PDs outside [0, 1] or NaN, with the same ``column`` and ``rows``.

        Examples
        --------
        >>> ScoreScale().points_from_pd([1 / 51, 1 / 101]).round(6).tolist()
        [600.0, 620.0]
        >>> try:
        ...     ScoreScale().points_from_pd([0.02, float("nan")])
        ... except SpecError as err:
        ...     print(err.column, err.rows)
        pd [1]
        """
        p = real_numbers(pd, "pd", "PD")
        # min/max propagate NaN, so two reductions check range and NaN on the fast path
        if p.size and not (p.min() >= 0.0 and p.max() <= 1.0):
            rows = np.flatnonzero(~((p >= 0.0) & (p <= 1.0)))
            raise SpecError(
                f"PD must lie in [0, 1]: {rows.size} value(s) outside it or NaN "
                f"(first {float(p.ravel()[rows[0]])!r})",
                column="pd",
                rows=rows[:5].tolist(),
            )
        with np.errstate(divide="ignore"):
            z = np.log(p) - np.log1p(-p)
        # z is checked float64 already: not read again by points_from_log_odds
        return self.intercept_points + self.slope * z

    def pd_from_points(self, points: ArrayLike) -> FloatArray:
        """Probability of default for ``points`` (a logistic of the log-odds).

        Infinite points give PD 0 or 1, the inverse of :meth:`points_from_pd` at PD 0 and
        1; NaN is refused rather than returned as a NaN PD, which every comparison
        (``pd > cut``, a limit's loss cap) would silently read as "no".

        Raises
        ------
        DataError
            NaN points, or points that are not numbers (text such as ``"600"``,
            booleans): ``column="points"``, ``rows`` the positions in the flattened array.

        Examples
        --------
        >>> ScoreScale().pd_from_points([600.0, float("inf")]).round(6).tolist()
        [0.019608, 0.0]
        """
        p = real_numbers(points, "points", "points")
        nan = np.isnan(p)
        if nan.any():
            rows = np.flatnonzero(nan)
            raise DataError(
                f"{rows.size} point value(s) are NaN: no PD",
                column="points",
                rows=rows[:5].tolist(),
            )
        z = self.log_odds_from_points(p)
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # stable logistic

    def points_from_log_odds_contributions(self, contributions: ArrayLike) -> FloatArray:
        """Convert per-feature log-odds contributions into per-feature points.

        Contributions are differences, so only the slope applies; the intercept belongs
        to the baseline (see :meth:`points_from_log_odds`).
        """
        return self.slope * np.asarray(contributions, dtype=np.float64)

    # --- serialisation --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-data representation (JSON-safe)."""
        return {k: (float(v) if not isinstance(v, bool) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreScale:
        """Rebuild from :meth:`to_dict` output; unknown keys raise :class:`SpecError`."""
        if not isinstance(data, dict):
            raise SpecError(f"a ScoreScale is a JSON object of its fields, got {data!r}")
        unknown = set(data) - {"base_score", "base_odds", "pdo", "higher_is_better"}
        if unknown:
            raise SpecError(f"unknown ScoreScale fields: {sorted(unknown)}")
        return cls(**data)

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ScoreScale:
        """Rebuild from :meth:`to_json` output.

        Raises
        ------
        SpecError
            Text that is not JSON (as :meth:`Product.from_json
            <thinfile_credit.pricing.Product.from_json>`), not an object, or not a valid
            scale (see :meth:`from_dict`).

        Examples
        --------
        >>> ScoreScale.from_json('{"pdo": 40.0}').pdo
        40.0
        >>> try:
        ...     ScoreScale.from_json("{bad")
        ... except SpecError as err:
        ...     print(str(err).split(":")[0])
        ScoreScale JSON cannot be read
        """
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as err:
            raise SpecError(f"ScoreScale JSON cannot be read: {err}") from None
        return cls.from_dict(data)


def real_numbers(values: ArrayLike, column: str, what: str) -> FloatArray:
    """``values`` as float64, refusing text (``"600"``), booleans and other non-numbers.

    A list is read value by value: NumPy alone would make text of ``[1, "2"]`` and
    integers of ``[0, True]``. Shared by the scale and :mod:`thinfile_credit.pricing`.
    A float64 array comes back as is (not copied): treat the result as read-only.

    Raises
    ------
    DataError
        ``column`` as given, ``rows`` the positions (in the flattened array) at fault.

    Examples
    --------
    >>> real_numbers([1, 2.5], "x", "x").tolist()
    [1.0, 2.5]
    >>> try:
    ...     real_numbers([1, "2"], "x", "x")
    ... except DataError as err:
    ...     print(err.rows)
    [1]
    """
    if isinstance(values, list | tuple):
        arr = np.asarray(values, dtype=object)
        from pandas.api.types import infer_dtype

        # one C-level pass decides a list of plain numbers (bools and text are not)
        if infer_dtype(arr, skipna=False) in ("floating", "integer", "mixed-integer-float"):
            return arr.astype(np.float64)
    else:
        arr = np.asarray(values)
        if arr.dtype.kind in "iuf":
            # no copy of a float64 array: callers only read it (the scorer's hot path)
            return arr.astype(np.float64, copy=False)
    flat = arr.ravel().astype(object).tolist()
    bad = [i for i, v in enumerate(flat) if not _is_real(v)]
    if bad:
        found = flat[bad[0]]
        why = " (text is never read as a number)" if isinstance(found, str | bytes) else ""
        raise DataError(
            f"{what} must be numbers; found {found!r}{why}", column=column, rows=bad[:5]
        )
    return arr.astype(np.float64)


def _is_real(value: Any) -> bool:
    """A real number: ``float``/``int``/NumPy numbers, ``Decimal`` (ledger amounts from
    SQL) and ``Fraction``; never a bool, text or a duration."""
    if isinstance(value, bool | np.bool_ | np.timedelta64):
        return False
    return isinstance(value, Real | Decimal)
