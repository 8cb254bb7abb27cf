"""Checking a reason's text against the applicant's value (``ReasonCoder(check_values=True)``).

A group's text describes an adverse value ("late bill payments"). A model can still charge
points where the applicant's value says otherwise: a missing bill feature (no bill was
due), or a value at the favourable end of the range (no late bill at all) that a boosted
model with interactions scores below average. These helpers find such cells so the coder
words the first by the group's missing-value route and states the second not at all -
unless the value lies strictly past the end (a rising order trend under "declining
shopping activity") and the group has a beyond route whose text states that side.

Examples
--------
>>> import numpy as np
>>> spec = RouteSpec(
...     feature_baseline=np.zeros(2), fallback=np.zeros((2, 1)),
...     direction=np.array([-1, 1], dtype=np.int8), end=np.array([0.0, 1.0]),
... )
>>> missing, at_end = value_flags({"late": 0, "ontime": float("nan")}, ("late", "ontime"),
...                               ("late", "ontime"), spec)
>>> missing.tolist(), at_end.tolist()
([[False, True]], [[True, False]])
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit.binning._text import is_missing, number_value
from thinfile_credit.reasons._inputs import _model_frame

__all__ = [
    "RouteSpec",
    "best_scoring_value",
    "builtin_feature",
    "favourable_end",
    "side",
    "smallest_positive",
    "value_flags",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Feature direction -> sign of the favourable side (+1: higher is safer).
_SIDE = {"higher_is_safer": 1, "higher_is_riskier": -1}
_WINDOW = re.compile(r"_\d+d$")


@dataclass(frozen=True)
class RouteSpec:
    """What a fitted coder needs to route losses by value.

    Attributes
    ----------
    feature_baseline : ndarray of shape (features,)
        Reference points each feature's loss is measured from.
    fallback : ndarray of shape (features, groups)
        0/1: the group each feature's missing values are worded by (a zero row: none).
    direction : ndarray of int8, shape (features,)
        The favourable side: +1 higher is safer, -1 higher is riskier (for a neutral
        feature in a group with a claim, the side its text does not describe), 0 none.
    end : ndarray of shape (features,)
        Where a loss stops being stated: the reference sample's most favourable value,
        the feature's neutral value, or in a group with a claim the value the model
        scores best (``"none"``: the smallest positive value); NaN where there is none
        (unknown direction, not numeric).
    beyond : ndarray of shape (features, groups), optional
        0/1: the group each feature's losses strictly beyond ``end`` (on the favourable
        side) are worded by (``ReasonGroup.beyond``; a zero row: none, they go unstated).
        ``None``: no feature has one.
    """

    feature_baseline: FloatArray
    fallback: FloatArray
    direction: NDArray[np.int8]
    end: FloatArray
    beyond: FloatArray | None = None

    @cached_property
    def bars(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The favourable sides as floats, and per feature ``side * end - slack`` and
        ``side * end + slack`` (see :func:`_at_end` and :func:`_past_end`), computed once:
        one applicant's flags are a few comparisons."""
        sign = self.direction.astype(np.float64)
        return sign, _end_bars(sign, self.end), _past_bars(sign, self.end)

    @cached_property
    def beyond_routed(self) -> NDArray[np.intp]:
        """Features that have a beyond route, in order (the rows of the ``past`` flags)."""
        if self.beyond is None:
            return np.empty(0, dtype=np.intp)
        return np.flatnonzero(self.beyond.any(axis=1))


@lru_cache(maxsize=1)
def _builtin() -> dict[str, tuple[str, float | None]]:
    from thinfile_credit.features import FeatureBuilder

    return {_WINDOW.sub("", f.name): (f.direction, f.neutral) for f in FeatureBuilder().features()}


def builtin_feature(name: str) -> tuple[str | None, float | None]:
    """Direction and neutral value of one of the library's own features, whatever its
    window; ``(None, None)`` for any other name.

    Examples
    --------
    >>> builtin_feature("cons_order_trend_60d"), builtin_feature("bill_late3_count_30d")
    (('higher_is_safer', 0.0), ('higher_is_riskier', None))
    >>> builtin_feature("my_feature")
    (None, None)
    """
    return _builtin().get(_WINDOW.sub("", name), (None, None))


def side(direction: Any) -> int:
    """+1 for ``higher_is_safer``, -1 for ``higher_is_riskier``, 0 for anything else.

    Examples
    --------
    >>> side("higher_is_riskier"), side("neutral"), side(None)
    (-1, 0, 0)
    """
    return _SIDE.get(str(direction), 0)


def favourable_end(reference: pl.DataFrame, name: str, side: int) -> float:
    """The reference's most favourable value of ``name`` (NaN when it has none).

    Examples
    --------
    >>> favourable_end(pl.DataFrame({"x": [3.0, None, 1.0]}), "x", -1)
    1.0
    """
    s = reference.get_column(name)
    if side == 0 or not (s.dtype.is_numeric() or s.dtype == pl.Boolean):
        return math.nan
    values = s.cast(pl.Float64).drop_nulls().drop_nans()
    if values.len() == 0:
        return math.nan
    best = values.max() if side > 0 else values.min()
    return float(best)  # type: ignore[arg-type]


def value_flags(
    X: Any, names: Sequence[str], input_names: Sequence[str], spec: RouteSpec
) -> tuple[BoolArray, BoolArray]:
    """Which cells are missing, and which sit at or beyond the favourable end.

    Parameters
    ----------
    X : mapping (one applicant), DataFrame or 2-D array
        The applicants, in the model's input form.
    names : sequence of str
        The model's explained features, in contribution order.
    input_names : sequence of str
        The model's ``feature_names_in_`` (for positional arrays).
    spec : RouteSpec
        Directions and favourable ends.

    Returns
    -------
    missing, at_end : bool ndarrays of shape (n, features)
        Transposed views of feature-major arrays (``.T`` is C-contiguous), the layout
        the loss blocks read.
    """
    if isinstance(X, Mapping):
        return _row_flags(X, names, spec)[:2]
    source = _value_source(X, names, input_names, spec)
    missing = np.zeros((len(names), source.n_rows), dtype=bool)
    at_end = np.zeros_like(missing)
    source.fill(0, source.n_rows, missing, at_end)
    return missing.T, at_end.T


def _value_source(
    X: Any,
    names: Sequence[str],
    input_names: Sequence[str],
    spec: RouteSpec,
    missing_rows: BoolArray | None = None,
) -> _ColumnFlags | _ArrayFlags:
    """:func:`value_flags` of ``X``, to be read a block of rows at a time.

    Numeric columns are kept (views of a pandas frame's own float64 data) and flagged
    block by block, so no ``(features, n)`` array is built: on a large batch its fresh
    pages cost more than the comparisons. ``missing_rows`` (per feature, default all)
    limits the missing flags to the features that need them; the other features'
    missing cells are never flagged.
    """
    wanted = np.ones(len(names), dtype=bool) if missing_rows is None else missing_rows
    if isinstance(X, Mapping):
        return _ArrayFlags(*_row_flags(X, names, spec), wanted, spec.beyond_routed)
    columns = _pandas_numbers(X, names)
    if columns is None:
        frame = _model_frame(_narrow(X, names), names, input_names).select(names)
        if not all(d.is_numeric() or d == pl.Boolean for d in frame.dtypes):
            return _ArrayFlags(*_mixed_flags(frame, spec), wanted, spec.beyond_routed)
        # nulls become NaN
        columns = [s.cast(pl.Float64).to_numpy() for s in frame.iter_columns()]
    return _ColumnFlags(columns, spec, wanted)


class _ColumnFlags:
    """Missing, at-the-favourable-end and past-the-end cells of float columns, a block
    at a time.

    One comparison per cell, :func:`_at_end`'s and :func:`_past_end`'s bit for bit
    (``-x >= bar`` is ``x <= -bar``); a missing (NaN) value is never at or past the end.
    """

    def __init__(self, columns: Sequence[FloatArray], spec: RouteSpec, wanted: BoolArray):
        self.columns = columns
        self.n_rows = int(columns[0].shape[0]) if columns else 0
        sign = spec.direction.astype(np.float64)
        bars = _end_bars(sign, spec.end)
        self._missing = np.flatnonzero(wanted).tolist()
        # features without a side or an end are never at it
        self._ends = [
            (j, float(sign[j]), float(bars[j])) for j in np.flatnonzero(~np.isnan(bars)).tolist()
        ]
        # past the end: only features with a beyond route, in the rows of ``past``
        self._past: list[tuple[int, int, float, float]] = []
        if spec.beyond is not None:
            far = _past_bars(sign, spec.end)
            self._past = [
                (k, j, float(sign[j]), float(far[j]))
                for k, j in enumerate(spec.beyond_routed.tolist())
                if not math.isnan(far[j])
            ]

    def fill(
        self,
        start: int,
        stop: int,
        missing: BoolArray,
        at_end: BoolArray,
        past: BoolArray | None = None,
    ) -> None:
        """Flag rows ``start:stop`` into feature-major ``(features, stop - start)``
        buffers (``past``: ``(beyond-routed features, stop - start)``); the rows of
        features never flagged are left as they are (zeros)."""
        for j in self._missing:
            np.isnan(self.columns[j][start:stop], out=missing[j])
        for j, sign, bar in self._ends:
            x = self.columns[j][start:stop]
            if sign == 1.0:
                np.greater_equal(x, bar, out=at_end[j])
            elif sign == -1.0:
                np.less_equal(x, -bar, out=at_end[j])
            else:
                np.greater_equal(x * sign, bar, out=at_end[j])
        if past is None:
            return
        for k, j, sign, bar in self._past:
            x = self.columns[j][start:stop]
            if sign == 1.0:
                np.greater(x, bar, out=past[k])
            else:  # beyond routes need a side: -1
                np.less(x, -bar, out=past[k])


class _ArrayFlags:
    """Flags computed whole (one applicant, or a frame holding text or categories)."""

    def __init__(
        self,
        missing: BoolArray,
        at_end: BoolArray,
        past: BoolArray | None,
        wanted: BoolArray,
        beyond_routed: NDArray[np.intp],
    ) -> None:
        self.n_rows = int(missing.shape[0])
        self._missing = missing.T & wanted[:, None]
        self._at_end = at_end.T & ~missing.T
        # (a missing value, NaN, is never past an end)
        self._past = None if past is None else past.T[beyond_routed]

    def fill(
        self,
        start: int,
        stop: int,
        missing: BoolArray,
        at_end: BoolArray,
        past: BoolArray | None = None,
    ) -> None:
        """As :meth:`_ColumnFlags.fill`."""
        np.copyto(missing, self._missing[:, start:stop])
        np.copyto(at_end, self._at_end[:, start:stop])
        if past is not None and self._past is not None:
            np.copyto(past, self._past[:, start:stop])


def _mixed_flags(
    frame: pl.DataFrame, spec: RouteSpec
) -> tuple[BoolArray, BoolArray, BoolArray | None]:
    """:func:`value_flags` column by column, for frames holding text or categories, and
    (with beyond routes) the cells past the end (see :func:`_past_end`)."""
    missing = np.zeros(frame.shape, dtype=bool)
    at_end = np.zeros(frame.shape, dtype=bool)
    past = None if spec.beyond is None else np.zeros(frame.shape, dtype=bool)
    for j, s in enumerate(frame.iter_columns()):
        null = s.is_null()
        if s.dtype.is_float():
            null = null | s.is_nan().fill_null(True)
        missing[:, j] = null.to_numpy()
        if s.dtype.is_numeric() or s.dtype == pl.Boolean:
            values = s.cast(pl.Float64).fill_null(math.nan).to_numpy()
            at_end[:, j] = _at_end(values, spec.direction[j], spec.end[j])
            if past is not None:
                past[:, j] = _past_end(values, spec.direction[j], spec.end[j])
    return missing, at_end, past


def _narrow(X: Any, names: Sequence[str]) -> Any:
    """Only the explained columns of a named frame (converting the rest costs more).

    Arrays are positional, and a frame with other labels (integers...) or lacking a
    feature goes to ``_model_frame`` whole, which converts or refuses it.
    """
    wanted = set(names)
    if isinstance(X, pl.DataFrame):
        return X.select(names) if wanted <= set(X.columns) else X
    module = type(X).__module__
    if module.startswith("pandas") and hasattr(X, "columns"):
        return X[list(names)] if wanted <= set(X.columns) else X
    if module.startswith("pyarrow") and hasattr(X, "column_names"):
        return X.select(list(names)) if wanted <= set(X.column_names) else X
    return X


def _pandas_numbers(X: Any, names: Sequence[str]) -> list[FloatArray] | None:
    """A pandas frame of numbers and booleans as one float array per feature (missing
    -> NaN; a view of the frame's own data where it already holds float64)."""
    # (on the type: a frame's dtypes are computed afresh on every access)
    if not type(X).__module__.startswith("pandas") or not hasattr(type(X), "dtypes"):
        return None
    columns = X.columns
    if columns.nlevels != 1 or not all(name in columns for name in names):
        return None  # other labels (integers...): _model_frame converts them
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    if not columns.is_unique:
        return None  # a repeated label: _model_frame refuses it by name
    series = [X[name] for name in names]
    if not all(is_numeric_dtype(s.dtype) or is_bool_dtype(s.dtype) for s in series):
        return None
    # NumPy dtypes hold no pd.NA, so only the nullable ones need the (slower)
    # missing-value pass
    return [
        s.to_numpy(dtype=np.float64, na_value=np.nan)
        if not isinstance(s.dtype, np.dtype)
        else s.to_numpy(dtype=np.float64)
        for s in series
    ]


def _row_flags(
    row: Mapping[str, Any], names: Sequence[str], spec: RouteSpec
) -> tuple[BoolArray, BoolArray, BoolArray | None]:
    cells = [_cell(row.get(name)) for name in names]
    values = np.array([c[0] for c in cells], dtype=np.float64)
    missing = np.array([c[1] for c in cells], dtype=bool)
    # _at_end and _past_end with the spec's bars, bit for bit
    sign, end_bar, past_bar = spec.bars
    with np.errstate(invalid="ignore"):
        signed = np.multiply(values, sign)
        at_end = signed >= end_bar
        past = None if spec.beyond is None else (signed > past_bar)[None, :]
    return missing[None, :], at_end[None, :], past


#: Types read as numbers without the slower general conversion.
_FLOATS = frozenset({float, int, bool, np.float64, np.float32, np.int64, np.int32, np.bool_})


def _cell(value: Any) -> tuple[float, bool]:
    """A cell as (number, missing), read as the scorers read numbers (NaN for text,
    which is not missing and has no favourable end)."""
    if type(value) in _FLOATS:
        number = float(value)
        return number, number != number
    try:
        number = number_value(value)
    except TypeError:
        return math.nan, is_missing(value)
    return number, number != number


def _at_end(values: FloatArray, side: Any, end: Any) -> BoolArray:
    """Values at or beyond their feature's favourable end, within float noise (shares
    computed two ways can end in 1.0000000000000002 instead of 1.0).

    One comparison per cell: ``side * value >= side * end - slack`` is ``value >= end -
    slack`` where higher is safer and ``value <= end + slack`` where higher is riskier;
    features without a side or an end compare with NaN (never, infinities included).
    """
    sign = np.asarray(side, dtype=np.float64)
    bar = _end_bars(sign, np.asarray(end, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        out: BoolArray = np.multiply(values, sign) >= bar
    return out


def _past_end(values: FloatArray, side: Any, end: Any) -> BoolArray:
    """Values strictly past their feature's favourable end, beyond float noise: where a
    ``beyond`` group's text holds (a value at the end itself is on neither side).

    ``side * value > side * end + slack``, the mirror of :func:`_at_end`, so a value
    past the end is always at it too.
    """
    sign = np.asarray(side, dtype=np.float64)
    bar = _past_bars(sign, np.asarray(end, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        out: BoolArray = np.multiply(values, sign) > bar
    return out


def _end_bars(sign: FloatArray, edge: FloatArray) -> FloatArray:
    """``side * end - slack`` per feature (see :func:`_at_end`); NaN without a side or
    an end."""
    slack = _END_TOLERANCE * np.maximum(1.0, np.abs(edge))
    with np.errstate(invalid="ignore"):
        bar: FloatArray = np.where((sign != 0) & ~np.isnan(edge), sign * edge - slack, np.nan)
    return bar


def _past_bars(sign: FloatArray, edge: FloatArray) -> FloatArray:
    """``side * end + slack`` per feature (see :func:`_past_end`); NaN without a side or
    an end."""
    slack = _END_TOLERANCE * np.maximum(1.0, np.abs(edge))
    with np.errstate(invalid="ignore"):
        bar: FloatArray = np.where((sign != 0) & ~np.isnan(edge), sign * edge + slack, np.nan)
    return bar


#: Relative tolerance of "at the favourable end".
_END_TOLERANCE = 1e-9


def best_scoring_value(
    x: FloatArray, points: FloatArray, sign: float, side: int, *, bins: int = 20
) -> float:
    """The value of a feature the model scores best, read off a reference sample.

    Reference rows are grouped by value (each distinct value when there are at most
    ``bins``, else ``bins`` quantile bins) and the group with the best mean points wins
    among groups holding at least 1 % of the finite rows. Of its rows scoring at least
    that mean, the lowest value is returned for ``side > 0`` (a text describing low
    values is false from there up), the highest for ``side < 0``; ties go to the group
    that makes the text false soonest. A quantile bin holding the start of a
    scorecard's best bin thus returns that start, not the bin's first value.

    Parameters
    ----------
    x : ndarray of shape (n,)
        The feature's reference values (NaN for missing).
    points : ndarray of shape (n,)
        The feature's points for the same rows.
    sign : float
        +1 when more points are better (``ScoreScale.higher_is_better``), else -1.
    side : {1, -1}
        +1: the text describes low values; -1: high values.
    bins : int, default 20
        Most value groups.

    Returns
    -------
    float
        NaN when the reference holds no finite value.

    Examples
    --------
    >>> x = np.array([0.0, 1, 2, 3, 4, 5, 6, 7])
    >>> best_scoring_value(x, -((x - 3.0) ** 2), 1.0, 1)  # best at 3 bills
    3.0
    >>> best_scoring_value(x, x, 1.0, 1)  # more is better: only the top is "not few"
    7.0
    """
    finite = np.isfinite(x)
    xs, ps = x[finite], points[finite]
    if xs.size == 0:
        return math.nan
    distinct = np.unique(xs)
    if distinct.size <= bins:
        labels = np.searchsorted(distinct, xs)
    else:
        edges = np.unique(np.quantile(xs, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
        labels = np.searchsorted(edges, xs, side="right")
    counts = np.bincount(labels)
    means = np.bincount(labels, weights=ps) / np.maximum(counts, 1)
    merit = np.where(counts >= max(1, math.ceil(0.01 * xs.size)), sign * means, -np.inf)
    # the text is false from the best group on: ties (within float noise: one scorecard
    # bin spanning several values averages to means differing in the last bits) go to
    # the lowest group for a low-values text (side > 0), the highest for a high-values one
    top = float(merit.max())
    tied = np.flatnonzero(merit >= top - 1e-9 * max(1.0, abs(top)))
    best = int(tied[0] if side > 0 else tied[-1])
    # within the group, only rows scoring at least its mean: a quantile bin straddling
    # two of a scorecard's bins must not pull the end into the weaker one
    inside = labels == best
    level = sign * means[best]
    strong = sign * ps[inside] >= level - 1e-9 * max(1.0, abs(level))
    member = xs[inside][strong]
    return float(member.min() if side > 0 else member.max())


def smallest_positive(x: FloatArray) -> float:
    """Where a text saying "none" ("no bill payment history") stops being true: the
    smallest positive finite value of ``x``, or 1.0 (a count's) when it has none.

    Examples
    --------
    >>> smallest_positive(np.array([0.0, 3.0, 1.0, np.nan]))
    1.0
    >>> smallest_positive(np.array([0.0, 0.0]))
    1.0
    """
    positive = x[np.isfinite(x) & (x > 0)]
    return float(positive.min()) if positive.size else 1.0
