"""Nested time windows of a source as prefixes of each application's rows.

A window mask ``t - X <= w`` (:func:`pit.within`), or the same for rows already due
(:func:`pit.due_within`), keeps the rows of an application whose moment ``X`` lies in the
window. With the rows of every application ordered by *band* (the narrowest window
holding them first, rows in no window last), the windows on one column are prefixes of
the application's rows: :class:`_Windows` holds where each ends, and :class:`_Prefix`
reduces a value over all of them in one compiled pass per aggregate. This module
recognises the windows and picks the column (:class:`_Axis`) a source is banded on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thinfile_credit.features import pit
from thinfile_credit.features._expr import Expr
from thinfile_credit.features._plan import SourcePlan


@dataclass(frozen=True)
class _Axis:
    """The time column nested windows run on; ``due``: the windows also require
    ``column < t`` (:func:`pit.due_within`), so rows not yet due are in none."""

    column: str
    due: bool = False


def _plain_window(mask: Expr) -> tuple[str, float] | None:
    """``(X, w)`` when ``mask`` is exactly ``t - X <= w`` (:func:`pit.within`)."""
    if mask.op != "le" or mask.args[1].op != "lit":
        return None
    diff = mask.args[0]
    if diff.op != "sub" or diff.args[0].key != "col(_t)" or diff.args[1].op != "col":
        return None
    bound = mask.args[1].args[0]
    if not isinstance(bound, (int, float)) or isinstance(bound, bool):
        return None
    return str(diff.args[1].args[0]), float(bound)


def _window_spec(mask: Expr) -> tuple[_Axis, float] | None:
    """The axis and width of a window mask: :func:`pit.within` or :func:`pit.due_within`."""
    plain = _plain_window(mask)
    if plain is not None:
        return _Axis(plain[0]), plain[1]
    if mask.op != "and":
        return None
    due, inner = mask.args
    plain = _plain_window(inner) if isinstance(inner, Expr) else None
    if plain is None or due.key != pit.is_due(plain[0]).key:
        return None
    return _Axis(plain[0], due=True), plain[1]


def _window_of(mask: Expr) -> _Axis | None:
    """The axis of a window mask (None if ``mask`` is not a window)."""
    spec = _window_spec(mask)
    return None if spec is None else spec[0]


def _window_width(mask: Expr) -> float:
    spec = _window_spec(mask)
    assert spec is not None
    return spec[1]


def _window_masks(sp: SourcePlan, axis: _Axis) -> list[Expr]:
    """The distinct window masks on ``axis`` among the aggregates of ``sp``."""
    found: dict[str, Expr] = {}
    for node in sp.aggs.values():
        mask = node.args[3]
        if mask is not None and _window_of(mask) == axis:
            found.setdefault(mask.key, mask)
    return list(found.values())


def _window_column(sp: SourcePlan) -> _Axis | None:
    """The window axis most aggregates of ``sp`` are windowed on (None if none)."""
    counts: dict[_Axis, int] = {}
    for node in sp.aggs.values():
        mask = node.args[3]
        axis = _window_of(mask) if mask is not None else None
        if axis is not None:
            counts[axis] = counts.get(axis, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else None


class _Windows:
    """Nested windows on the sort column as bounds of every segment's leading rows.

    ``his[j]`` is where window ``j`` (narrowest first) ends in each segment.
    """

    def __init__(self, starts: np.ndarray, his: list[np.ndarray]) -> None:
        self.starts = np.asarray(starts, np.int64)
        self.ends = np.ascontiguousarray(np.column_stack(his), dtype=np.int64)


class _Prefix:
    """Reductions of one value over the nested windows (segment prefixes) of ``_Windows``.

    With rows in window bands, a window mask keeps a prefix of every segment, so one
    compiled pass per kind (:func:`._segment_kernels.windowed`) gives that aggregate for
    every window of every segment, with no masked copy of the value.
    """

    def __init__(self, v: np.ndarray, windows: _Windows) -> None:
        self.v = v
        self.windows = windows
        self._by_kind: dict[str, np.ndarray] = {}

    def reduce(self, kind: str, j: int) -> np.ndarray:
        """``kind`` (any aggregate kind) of the value over window ``j``."""
        if kind not in self._by_kind:
            from thinfile_credit.features import _segment_kernels as kernels
            from thinfile_credit.features._gather_kernels import call

            w = self.windows
            code = kernels.KINDS[kind]
            self._by_kind[kind] = call(kernels.windowed, code, self.v, w.starts, w.ends)
        return self._by_kind[kind][:, j]
