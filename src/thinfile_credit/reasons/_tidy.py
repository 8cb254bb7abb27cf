"""Reason-group losses and the tidy reasons frame.

Holds how each applicant's feature points become the points every reason group costs
(:func:`group_layout`, :class:`Routes` - missing-value and beyond routes -, and
:class:`GroupLoss`, whose group sums, bit for bit those of ``np.add.reduceat``, are in
:mod:`thinfile_credit.reasons._sums`), :func:`reasons_frame`, the tidy
``application_id, rank, code, text, points_lost, also_considered`` frame built from
ranked reasons, and small helpers :class:`~thinfile_credit.reasons.coder.ReasonCoder`
shares with them. Ranking the losses into each applicant's top reasons is in
:mod:`thinfile_credit.reasons._ranking`, which imports this module (never the reverse,
but for a type).

Examples
--------
>>> import numpy as np
>>> membership = np.array([[1, 0], [1, 0], [0, 1.0]])
>>> loss = GroupLoss(np.array([[1.0, 2.0, 3.0]]), membership, np.array([5.0, 1.0]), 1.0)
>>> loss.full().tolist()
[[2.0, -2.0]]
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import from_polars
from thinfile_credit.errors import DataError

# the sum kernels keep their import path here (tests and callers use it)
from thinfile_credit.reasons._sums import _group_sums as _group_sums
from thinfile_credit.reasons._sums import _masked_rows, _Reduceat, _Sums

if TYPE_CHECKING:
    from thinfile_credit.reasons._ranking import RankedReasons

__all__ = [
    "GroupLoss",
    "Layout",
    "Routes",
    "group_layout",
    "reasons_frame",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


#: Feature columns grouped, each non-empty group's start, and the non-empty groups.
Layout = tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]


def group_layout(
    membership: FloatArray, fallback: FloatArray | None = None, beyond: FloatArray | None = None
) -> Layout:
    """How :class:`GroupLoss` sums a ``(features, groups)`` 0/1 membership.

    Returns the columns grouped (in column order within a group), each non-empty
    group's start in that order, and the non-empty groups. With a ``fallback`` (the
    routes' ``(features, groups)`` targets) the columns are the features' own losses
    followed by the routed losses of the features that have a route, then (with
    ``beyond``, the far-side targets) the far-side losses of the features that have one.

    Examples
    --------
    >>> import numpy as np
    >>> order, starts, groups = group_layout(np.array([[0, 1], [1, 0], [0, 1.0]]))
    >>> order.tolist(), starts.tolist(), groups.tolist()
    ([1, 0, 2], [0, 1], [0, 1])
    """
    if fallback is not None:
        membership = np.vstack([membership, fallback[fallback.any(axis=1)]])
    if beyond is not None:
        membership = np.vstack([membership, beyond[beyond.any(axis=1)]])
    members = [np.flatnonzero(membership[:, g]) for g in range(membership.shape[1])]
    nonempty = np.flatnonzero([m.size > 0 for m in members])
    sizes = np.array([members[g].size for g in nonempty], dtype=np.intp)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    order = np.concatenate([members[g] for g in nonempty]) if nonempty.size else sizes
    return order.astype(np.intp), starts, nonempty


@dataclass(frozen=True)
class Routes:
    """Per-applicant routing of feature losses (``ReasonCoder(check_values=True)``).

    A feature's loss ``sign * (feature_baseline - value)`` goes to its own group, to its
    group's missing-value route where ``to_fallback`` is set, or, if it is a loss (above
    zero) where ``at_end`` is set, to no group: the value sits at the favourable end, so
    the group's text would misstate it - unless the value is strictly :attr:`past` the
    end and the feature has a ``beyond`` target, whose text states the far side: there
    the loss goes to that group. Gains there stay with the group.

    The cells are read from the applicants' values a block of rows at a time
    (``flags``), as the losses are: a batch never holds them whole unless
    :attr:`to_fallback`, :attr:`at_end` or :attr:`past` is asked for.
    """

    feature_baseline: FloatArray  # (features,)
    fallback: FloatArray  # (features, groups), 0/1: each feature's route target
    #: ``flags(start, stop, to_fallback, at_end[, past])`` writes rows ``start:stop`` into
    #: feature-major ``(features, stop - start)`` bool buffers (at-end cells are never
    #: missing; ``past``, given only with beyond routes, has a row per
    #: :attr:`beyond_routed` feature); it leaves the rows of features it never flags as
    #: they are (zeros)
    flags: Callable[..., None]
    n_rows: int
    #: ``(features, groups)``, 0/1: each feature's far-side target; ``None``: none has one
    beyond: FloatArray | None = None

    @cached_property
    def routed(self) -> NDArray[np.intp]:
        """Features that have a route."""
        return np.flatnonzero(self.fallback.any(axis=1))

    @cached_property
    def beyond_routed(self) -> NDArray[np.intp]:
        """Features that have a far-side (beyond) route, in the order of :attr:`past`."""
        if self.beyond is None:
            return np.empty(0, dtype=np.intp)
        return np.flatnonzero(self.beyond.any(axis=1))

    @property
    def past(self) -> BoolArray:
        """``(beyond-routed features, n)``: the value lies strictly past the end."""
        return self._whole[2]

    @property
    def to_fallback(self) -> BoolArray:
        """``(features, n)``: the value is missing and the feature has a route."""
        return self._whole[0]

    @property
    def at_end(self) -> BoolArray:
        """``(features, n)``: the value sits at or beyond the favourable end."""
        return self._whole[1]

    @cached_property
    def _whole(self) -> tuple[BoolArray, BoolArray, BoolArray]:
        shape = (self.fallback.shape[0], self.n_rows)
        moved, at_end = np.zeros(shape, dtype=np.bool_), np.zeros(shape, dtype=np.bool_)
        past = np.zeros((self.beyond_routed.size, self.n_rows), dtype=np.bool_)
        if self.beyond is None:
            self.flags(0, self.n_rows, moved, at_end)
        else:
            self.flags(0, self.n_rows, moved, at_end, past)
        return moved, at_end, past


@dataclass(frozen=True)
class GroupLoss:
    """Points each reason group costs, ``sign * (baseline - values @ membership)``, lazily.

    Ranking (:func:`thinfile_credit.reasons._ranking.top_reasons`) asks for it a block
    of rows at a time, so a large batch never holds the whole ``(n, groups)`` matrix;
    :meth:`full` materialises it. With ``routes`` each feature's own loss is routed per
    applicant (see :class:`Routes`) and
    ``baseline`` is unused.
    """

    values: FloatArray  # (n, features)
    membership: FloatArray  # (features, groups), 0/1
    baseline: FloatArray  # (groups,)
    sign: float
    routes: Routes | None = None
    #: :func:`group_layout` of the membership (stacked over the routes' fallback with
    #: routes), when the caller keeps it; computed otherwise
    layout: Layout | None = None
    #: With routes: the table named when ``values`` hold a non-finite number, found
    #: block by block as they are read (the caller has not checked them: a large batch
    #: is then read once, not twice); ``None`` when they are known to be finite
    unchecked: str | None = None
    #: A cache of the group-sum plans (:meth:`_plan`, :meth:`_live_plan`), which depend
    #: only on the membership, the routes' fallback and the layout: a caller building
    #: many GroupLoss objects of one model (a coder) shares one; each keeps its own when
    #: ``None``
    plans: dict[Any, Any] | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(n, groups)``, like the matrix it stands for."""
        return self.values.shape[0], self.membership.shape[1]

    @cached_property
    def _columns(self) -> Layout:
        if self.layout is not None:
            return self.layout
        if self.routes is None:
            return group_layout(self.membership)
        return group_layout(self.membership, self.routes.fallback, self.routes.beyond)

    def block(self, start: int, stop: int) -> FloatArray:
        """Rows ``start:stop`` as a C-contiguous ``(groups, m)`` array.

        Each group's points are summed over its feature-major rows exactly as
        ``np.add.reduceat`` sums them (see :func:`_group_sums`), one whole row of
        applicants at a time, so a row's result does not depend on how many rows share
        the block (a matrix product's summation order does): one applicant alone gets
        exactly its batch row.
        """
        out: FloatArray = np.empty((self.shape[1], stop - start))
        self._fill(start, stop, out, self._scratch(stop - start))
        return out

    @cached_property
    def _plans(self) -> dict[Any, Any]:
        """:attr:`plans`, or this object's own cache."""
        return {} if self.plans is None else self.plans

    @property
    def _plan(self) -> _Plan:
        """Each non-empty group's rows of the block's terms, the empty groups, and the
        same sums as ``np.add.reduceat`` arguments.

        Without routes the terms are the features' points (feature-major); with routes
        they are every feature's own loss, then every feature's routed loss (the routed
        row of a feature without a route is read by no group), then the far-side loss of
        every feature with a beyond route.
        """
        key = ("plan", self.routes is not None)
        found: _Plan | None = self._plans.get(key)
        if found is not None:
            return found
        order, starts, nonempty = self._columns
        n_features = self.values.shape[1]
        rows = order.tolist()
        if self.routes is not None:
            routed = self.routes.routed.tolist()
            # layout rows: own losses, routed losses (R), far-side losses; term rows:
            # own (F), routed (F, one per feature), far-side
            far = n_features + len(routed)
            rows = [
                k
                if k < n_features
                else n_features + routed[k - n_features]
                if k < far
                else 2 * n_features + k - far
                for k in rows
            ]
        bounds = [*starts.tolist(), len(rows)]
        groups = tuple(
            (g, rows[bounds[i]], tuple(rows[bounds[i] + 1 : bounds[i + 1]]), False)
            for i, g in enumerate(nonempty.tolist())
        )
        empty = np.setdiff1d(np.arange(self.shape[1]), nonempty).astype(np.intp)
        index = np.array(rows, dtype=np.intp)
        self._plans[key] = found = (groups, empty, (index, starts.astype(np.intp), nonempty))
        return found

    @property
    def _pairwise_routed(self) -> BoolArray:
        """Features whose routed row a group summing 9 or more terms reads (every
        block writes it; :meth:`_live_plan` leaves such groups whole)."""
        found: BoolArray | None = self._plans.get("pairwise")
        if found is not None:
            return found
        n_features = self.values.shape[1]
        found = np.zeros(n_features, dtype=np.bool_)
        for _, first, rest, _ in self._plan[0]:
            if len(rest) >= 8:
                for k in (first, *rest):
                    if n_features <= k < 2 * n_features:  # (far-side rows: always written)
                        found[k - n_features] = True
        self._plans["pairwise"] = found
        return found

    def _live_plan(self, live: tuple[bool, ...]) -> _Sums:
        """:attr:`_plan`'s groups for a block in which only the features ``live`` have a
        routed (missing) loss: the other routed rows are +0.0 throughout and are not
        added (see :func:`_group_sums`). Cached per pattern of live features (a few
        hundred at most)."""
        cache: dict[tuple[bool, ...], _Sums] = self._plans.setdefault("live", {})
        found = cache.get(live)
        if found is not None:
            return found
        n_features = self.values.shape[1]

        def dead(k: int) -> bool:
            # far-side rows (from 2 * n_features) are written in every block
            return n_features <= k < 2 * n_features and not live[k - n_features]

        groups = []
        for g, first, rest, _ in self._plan[0]:
            terms = (first, *rest)
            if len(rest) >= 8 or not any(dead(k) for k in terms):
                # NumPy's pairwise sum of 8 or more: every term keeps its place
                groups.append((g, first, rest, False))
                continue
            kept = tuple(k for k in rest if not dead(k))
            groups.append((g, -1 if dead(first) else first, kept, True))
        if len(cache) >= _LIVE_PLANS:
            cache.clear()
        cache[live] = found = tuple(groups)
        return found

    def _scratch(self, rows: int) -> _Scratch | None:
        """Buffers for blocks of up to ``rows`` rows (routes only), reused block after
        block: on a large batch fresh memory (page faults) costs more than arithmetic."""
        if self.routes is None:
            return None
        n_far = self.routes.beyond_routed.size
        return _Scratch(self.values.shape[1], min(rows, _TERMS_CHUNK), rows, n_far)

    def _fill(self, start: int, stop: int, out: FloatArray, scratch: _Scratch | None) -> None:
        """Rows ``start:stop`` into ``out``, a ``(groups, m)`` array with contiguous rows."""
        groups, empty, reduceat = self._plan
        if empty.size:
            out[empty] = 0.0
        if self.routes is None:
            for first in range(start, stop, _TERMS_CHUNK):
                block = self.values[first : min(stop, first + _TERMS_CHUNK)]
                # read in memory order first: the feature-major view then hits cache
                np.maximum.reduce(block, axis=None, initial=-np.inf)
                target = out[:, first - start : first - start + len(block)]
                _group_sums(block.T, groups, target, reduceat)
            np.subtract(self.baseline[:, None], out, out=out)
            if self.sign < 0:
                np.negative(out, out=out)
            return
        assert scratch is not None
        # the applicants' cells for the whole block at once (fewer, longer calls), then
        # the terms a cache-sized part at a time
        moved, at_end = scratch.moved[:, : stop - start], scratch.at_end[:, : stop - start]
        past = None if scratch.past is None else scratch.past[:, : stop - start]
        if past is None:  # (no beyond route: the calls and work of a catalog without them)
            self.routes.flags(start, stop, moved, at_end)
        else:
            self.routes.flags(start, stop, moved, at_end, past)
        step = scratch.terms.shape[1]
        for first in range(start, stop, step):
            last = min(stop, first + step)
            part = slice(first - start, last - start)
            far = None if past is None else past[:, part]
            terms, live = self._routed_terms(
                first, last, scratch, moved[:, part], at_end[:, part], far
            )
            if live is None:
                _group_sums(terms, groups, out[:, part], reduceat)
            else:
                _group_sums(terms, self._live_plan(live), out[:, part])

    def _routed_terms(
        self,
        start: int,
        stop: int,
        scratch: _Scratch,
        moved: BoolArray,
        at_end: BoolArray,
        past: BoolArray | None,
    ) -> tuple[FloatArray, tuple[bool, ...] | None]:
        """Every feature's own loss, routed away where missing or unstated at the
        favourable end, stacked over every feature's loss routed to its missing-value
        group and every beyond-routed feature's loss past the end, as
        ``(2 * features + beyond-routed, m)`` rows of ``scratch``; and which features have
        a routed loss in the block (the others' routed rows, all +0.0, are written only
        where a group's sum reads them), or ``None`` for a few rows, whose routed rows
        are all written. ``moved`` and ``at_end`` are the rows' :class:`Routes` cells,
        ``past`` the block's (``None`` without beyond routes)."""
        routes = self.routes
        assert routes is not None
        n_features, m = self.values.shape[1], stop - start
        terms = scratch.terms[:, :m]
        lost, moved_lost = terms[:n_features], terms[n_features : 2 * n_features]
        # Read each part in memory order first (checking it is finite when asked to):
        # the transposed copy then finds it in cache instead of striding through memory.
        for first in range(start, stop, _COPY_ROWS):
            last = min(stop, first + _COPY_ROWS)
            block = self.values[first:last]
            if self.unchecked is None:
                np.maximum.reduce(block, axis=None, initial=-np.inf)
            elif not np.isfinite(np.add.reduce(block, axis=None)):
                _refuse_non_finite(self.values, self.unchecked)
            part = lost[:, first - start : last - start]
            np.subtract(routes.feature_baseline[:, None], block.T, out=part)
        if self.sign < 0:
            np.negative(lost, out=lost)
        # Masks applied as ANDs with int8 0 / -1 (all ones once widened): bit for bit
        # ``np.where(mask, lost, 0.0)``, several times faster than it or copyto(where=),
        # and NumPy widens the int8 in small buffers, so no int64 mask spans the block.
        bits, mask = lost.view(np.int64), scratch.mask[:, :m]
        np.negative(moved.view(np.int8), out=mask)
        routed_bits = moved_lost.view(np.int64)
        live: BoolArray | None = None
        if m < _FEW_ROWS:  # (one applicant: fewer calls beat less work)
            np.bitwise_and(bits, mask, out=routed_bits)
        else:
            live = np.logical_or.reduce(moved, axis=1)
            # (a pairwise sum of 8 or more reads its routed rows even where all +0.0)
            _masked_rows(bits, mask, routed_bits, live | self._pairwise_routed)
        # a loss (above zero) at the favourable end is unstated; a moved one leaves
        dropped = np.greater(lost, 0.0, out=scratch.dropped[:, :m])
        dropped &= at_end
        dropped |= moved
        if past is not None:
            # a loss strictly past the end goes to the beyond group (such a value is at
            # the end too, so its own row drops it below)
            far = routes.beyond_routed
            far_lost = terms[2 * n_features :]
            np.take(lost, far, axis=0, out=far_lost, mode="clip")
            assert scratch.go is not None
            go = np.greater(far_lost, 0.0, out=scratch.go[:, :m])
            go &= past
            far_mask = mask[: far.size]
            np.negative(go.view(np.int8), out=far_mask)
            far_bits = far_lost.view(np.int64)
            np.bitwise_and(far_bits, far_mask, out=far_bits)
        np.subtract(dropped.view(np.int8), 1, out=mask)  # 0 where dropped, else -1
        if live is None:
            np.bitwise_and(bits, mask, out=bits)
            return terms, None
        _masked_rows(bits, mask, bits, np.logical_or.reduce(dropped, axis=1))
        return terms, tuple(live.tolist())

    def full(self) -> FloatArray:
        """The whole ``(n, groups)`` matrix (a column-major view), built a block of
        rows at a time so no temporary spans the batch."""
        n = self.shape[0]
        out: FloatArray = np.empty((self.shape[1], n))
        scratch = self._scratch(min(n, _FULL_CHUNK))
        for start in range(0, n, _FULL_CHUNK):
            stop = min(n, start + _FULL_CHUNK)
            self._fill(start, stop, out[:, start:stop], scratch)
        return out.T


#: Rows per block when :meth:`GroupLoss.full` materialises a batch.
_FULL_CHUNK = 8192
#: Rows read (and transposed) at a time: a part of the block that stays in L2.
_COPY_ROWS = 4096
#: Blocks of fewer rows mask every feature row whole (fewer calls beat less work).
_FEW_ROWS = 512
#: The groups' sums, the groups without terms, and the same sums for ``reduceat``.
_Plan = tuple[_Sums, NDArray[np.intp], _Reduceat]
#: Most patterns of live features whose group-sum plans are kept.
_LIVE_PLANS = 256
#: Most rows whose terms are built at a time (a few feature-major buffers this wide:
#: long enough to amortise NumPy's per-call cost, short enough to stay in cache).
_TERMS_CHUNK = 8192


class _Scratch:
    """Block buffers of :meth:`GroupLoss._routed_terms`, allocated once per batch."""

    def __init__(self, n_features: int, rows: int, flag_rows: int, n_far: int = 0) -> None:
        # own losses, missing-routed losses, then far-side losses of beyond routes
        self.terms: FloatArray = np.empty((2 * n_features + n_far, rows))
        self.mask = np.empty((n_features, rows), dtype=np.int8)
        self.dropped = np.empty((n_features, rows), dtype=np.bool_)
        # zeros: Routes.flags leaves the rows of features it never flags as they are
        self.moved = np.zeros((n_features, flag_rows), dtype=np.bool_)
        self.at_end = np.zeros((n_features, flag_rows), dtype=np.bool_)
        # far-side buffers only with beyond routes (None: the blocks skip that work)
        self.go: BoolArray | None = None
        self.past: BoolArray | None = None
        if n_far:
            self.go = np.empty((n_far, rows), dtype=np.bool_)
            self.past = np.zeros((n_far, flag_rows), dtype=np.bool_)


def _refuse_non_finite(values: FloatArray, table: str) -> None:
    """Raise :class:`DataError` naming the rows of ``values`` that are not finite (none:
    the block only summed to an overflow)."""
    bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
    if bad.size:
        raise DataError("non-finite contributions", table=table, rows=bad.tolist())


def reasons_frame(
    picked: RankedReasons,
    ids: pl.Series | None,
    codes: tuple[str, ...],
    texts: list[str],
    max_reasons: int,
    kind: str,
    *,
    hint_texts: list[str | None] | None = None,
    cache: dict[str, Any] | None = None,
) -> Any:
    """The tidy frame: ``application_id, rank, code, text, points_lost, also_considered``."""
    texts_unique = list(dict.fromkeys(texts))
    position = {t: i for i, t in enumerate(texts_unique)}
    lookup = np.array([position[t] for t in texts], dtype=_code_dtype(len(texts_unique)))
    if len(texts_unique) == len(texts) and lookup.dtype == picked.groups.dtype:
        # a text per group (the usual catalog): the codes are the groups' (a copy, as
        # the two columns must not share memory)
        text_pos = picked.groups.copy()
    else:
        text_pos = lookup[picked.groups]
    app: Any = picked.rows if ids is None else ids.gather(picked.rows)
    rank = np.add(picked.slots, 1, dtype=np.int32)
    if picked.slots.size and int(picked.slots.max()) >= max_reasons:
        also = picked.slots >= max_reasons
    else:  # no "also considered" reason (one pass over compact slots, not two)
        also = np.zeros(picked.slots.size, dtype=np.bool_)
    cache = {} if cache is None else cache
    if kind == "pandas":
        # Straight to pandas: categoricals from codes copy no strings, and skip the
        # Polars -> Arrow -> pandas round trip (half the cost of a large batch). The codes
        # come from top_reasons and the lookup table, in range by construction.
        import pandas as pd

        if "dtypes" not in cache:
            cache["dtypes"] = (
                pd.CategoricalDtype(pd.Index(list(codes))),
                pd.CategoricalDtype(pd.Index(texts_unique)),
            )
        code_dtype, text_dtype = cache["dtypes"]
        frame = pd.DataFrame(
            {
                "application_id": app.to_numpy() if isinstance(app, pl.Series) else app,
                "rank": rank,
                "code": pd.Categorical.from_codes(picked.groups, dtype=code_dtype, validate=False),
                "text": pd.Categorical.from_codes(text_pos, dtype=text_dtype, validate=False),
                "points_lost": picked.points,
                "also_considered": also,
            },
            copy=False,
        )
        if hint_texts is not None:
            frame["hint"] = hint_texts
        return frame
    if "enums" not in cache:  # building a Polars Enum dtype costs milliseconds
        cache["enums"] = (
            pl.Series("code", list(codes), dtype=pl.Enum(list(codes))),
            pl.Series("text", texts_unique, dtype=pl.Enum(texts_unique)),
        )
    code_series, text_series = cache["enums"]
    columns: dict[str, Any] = {
        "application_id": app,
        "rank": rank,
        "code": code_series.gather(picked.groups),
        "text": text_series.gather(text_pos),
        "points_lost": picked.points,
        "also_considered": also,
    }
    if hint_texts is not None:
        columns["hint"] = hint_texts
    return from_polars(pl.DataFrame(columns), kind)  # type: ignore[arg-type]


_BLAS: list[Any] = []
#: Below this many rows a multi-threaded BLAS call is not worth limiting.
_SINGLE_THREAD_ROWS = 2_000


def _one_blas_thread(n_rows: int) -> Any:
    """A context running BLAS on one thread for large batches (a no-op for small ones).

    Group sums are tall, thin products; a multi-threaded BLAS spends far longer starting
    and synchronising threads than multiplying (measured 100 ms vs 2 ms for
    100k x 19 x 12 on two busy cores).
    """
    if n_rows < _SINGLE_THREAD_ROWS:
        return contextlib.nullcontext()
    if not _BLAS:
        from threadpoolctl import ThreadpoolController

        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def _group_sum(values: FloatArray, membership: FloatArray) -> FloatArray:
    """``values @ membership`` (feature points summed within groups), column-major."""
    with _one_blas_thread(values.shape[0]):
        return (membership.T @ values.T).T


def _code_dtype(n_categories: int) -> type[np.signedinteger[Any]]:
    """The integer type pandas itself uses for categorical codes of this many categories."""
    for kind in (np.int8, np.int16, np.int32):
        if n_categories < np.iinfo(kind).max:
            return kind
    return np.int64


def _near_cutoff(scores: FloatArray, cutoff: float, band: float, min_rows: int) -> NDArray[Any]:
    distance = np.abs(scores - cutoff)
    rows = np.flatnonzero(distance <= band)
    if rows.size >= min_rows or rows.size == scores.size:
        return rows
    take = min(min_rows, scores.size)
    return np.sort(np.argsort(distance, kind="stable")[:take])
