"""Vectorised ranking of reason groups and the tidy reasons frame.

Examples
--------
>>> import numpy as np
>>> loss = np.array([[5.0, 9.0, 5.0], [0.0, -1.0, 2.0]])
>>> p = top_reasons(loss, max_reasons=2, also_considered=False, min_points=1.0)
>>> p.rows.tolist(), p.groups.tolist(), p.slots.tolist()
([0, 0, 1], [1, 0, 2], [0, 1, 0])
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import from_polars

__all__ = [
    "RESOLUTION",
    "GroupLoss",
    "Layout",
    "RankedReasons",
    "Routes",
    "group_layout",
    "rank_keys",
    "reasons_frame",
    "top_reasons",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class RankedReasons:
    """The chosen (applicant, group) pairs in rank order, as parallel arrays."""

    rows: NDArray[np.intp]
    slots: NDArray[np.intp]
    groups: NDArray[np.intp]
    points: NDArray[np.float64]


#: Feature columns grouped, each non-empty group's start, and the non-empty groups.
Layout = tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]


def group_layout(membership: FloatArray, fallback: FloatArray | None = None) -> Layout:
    """How :class:`GroupLoss` sums a ``(features, groups)`` 0/1 membership.

    Returns the columns grouped (in column order within a group), each non-empty
    group's start in that order, and the non-empty groups. With a ``fallback`` (the
    routes' ``(features, groups)`` targets) the columns are the features' own losses
    followed by the routed losses of the features that have a route.

    Examples
    --------
    >>> import numpy as np
    >>> order, starts, groups = group_layout(np.array([[0, 1], [1, 0], [0, 1.0]]))
    >>> order.tolist(), starts.tolist(), groups.tolist()
    ([1, 0, 2], [0, 1], [0, 1])
    """
    if fallback is not None:
        membership = np.vstack([membership, fallback[fallback.any(axis=1)]])
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
    the group's text would misstate it. Gains there stay with the group.
    """

    feature_baseline: FloatArray  # (features,)
    fallback: FloatArray  # (features, groups), 0/1: each feature's route target
    # feature-major, like the blocks: a block of rows is a contiguous slice of each
    to_fallback: NDArray[np.bool_]  # (features, n)
    at_end: NDArray[np.bool_]  # (features, n)

    @cached_property
    def routed(self) -> NDArray[np.intp]:
        """Features that have a route."""
        return np.flatnonzero(self.fallback.any(axis=1))


@dataclass(frozen=True)
class GroupLoss:
    """Points each reason group costs, ``sign * (baseline - values @ membership)``, lazily.

    :func:`top_reasons` asks for it a block of rows at a time, so a large batch never
    holds the whole ``(n, groups)`` matrix; :meth:`full` materialises it. With
    ``routes`` each feature's own loss is routed per applicant (see :class:`Routes`) and
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

    @property
    def shape(self) -> tuple[int, int]:
        """``(n, groups)``, like the matrix it stands for."""
        return self.values.shape[0], self.membership.shape[1]

    @cached_property
    def _columns(self) -> Layout:
        if self.layout is not None:
            return self.layout
        return group_layout(self.membership, None if self.routes is None else self.routes.fallback)

    def block(self, start: int, stop: int) -> FloatArray:
        """Rows ``start:stop`` as a C-contiguous ``(groups, m)`` array.

        Each group's points are summed over its features in feature order, row by row,
        so a row's result does not depend on how many rows share the block (a matrix
        product's summation order does): one applicant alone gets exactly its batch row.
        """
        if self.routes is not None:
            return self._routed_block(self.routes, start, stop)
        order, starts, nonempty = self._columns
        rows = self.values[start:stop]
        out: FloatArray = np.zeros((self.shape[1], rows.shape[0]))
        if nonempty.size:
            # Feature-major rows, so each group is a run of whole-row additions.
            out[nonempty] = np.add.reduceat(rows.T[order], starts, axis=0)
        np.subtract(self.baseline[:, None], out, out=out)
        if self.sign < 0:
            np.negative(out, out=out)
        return out

    def _routed_block(self, routes: Routes, start: int, stop: int) -> FloatArray:
        """:meth:`block` with each feature's loss routed per applicant."""
        order, starts, nonempty = self._columns
        n_features = self.values.shape[1]
        routed = routes.routed
        # rows: every feature's own loss, then the routed loss of each feature that has a
        # route (the layout stacks the membership over those features' fallback)
        both = np.empty((n_features + routed.size, stop - start))
        lost = both[:n_features]
        np.subtract(routes.feature_baseline[:, None], self.values[start:stop].T, out=lost)
        if self.sign < 0:
            np.negative(lost, out=lost)
        moved = routes.to_fallback[:, start:stop]
        both[n_features:] = np.where(moved[routed], lost[routed], 0.0)
        gone = np.greater(lost, 0.0)
        gone &= routes.at_end[:, start:stop]
        gone |= moved
        np.copyto(lost, 0.0, where=gone)
        out: FloatArray = np.zeros((self.shape[1], lost.shape[1]))
        if nonempty.size:
            out[nonempty] = np.add.reduceat(both[order], starts, axis=0)
        return out

    def full(self) -> FloatArray:
        """The whole ``(n, groups)`` matrix (a column-major view), built a block of
        rows at a time so no temporary spans the batch."""
        n = self.shape[0]
        out: FloatArray = np.empty((self.shape[1], n))
        with _one_blas_thread(n):
            for start in range(0, n, _FULL_CHUNK):
                stop = min(n, start + _FULL_CHUNK)
                out[:, start:stop] = self.block(start, stop)
        return out.T


#: Rows per block when :meth:`GroupLoss.full` materialises a batch.
_FULL_CHUNK = 4096


def top_reasons(
    loss: NDArray[np.float64] | GroupLoss,
    max_reasons: int,
    also_considered: bool,
    min_points: float,
    *,
    chunk: int = 4096,
) -> RankedReasons:
    """Rank every row's groups by points lost; keep the adverse ones up to the limit.

    Groups are ranked by :func:`rank_keys`: larger loss first, losses equal on a grid
    of :data:`RESOLUTION` points (``1e-9``) tied and broken by column order (the groups
    sorted by code), so float noise never reorders reasons and the ranking is identical
    in every process. A group is kept if its rounded loss is above zero and at least
    ``min_points`` rounded the same way; its exact loss is reported. The top groups
    are found by ``limit`` passes of a column-wise maximum over the keys (each pass
    retires its winner) instead of a per-row sort, and rows are processed ``chunk`` at a
    time so every temporary stays in cache: on large batches fresh memory (page faults),
    not arithmetic, is what costs. ``loss`` is an ``(n, groups)`` array or a
    :class:`GroupLoss`, computed block by block.
    """
    n, n_groups = loss.shape
    limit = min(max_reasons + (1 if also_considered else 0), n_groups)
    size = n * limit
    # compact dtypes: on a large batch every output page is a fresh page fault
    rows, slots = np.empty(size, dtype=np.intp), np.empty(size, dtype=np.int32)
    groups, points = np.empty(size, dtype=_code_dtype(n_groups)), np.empty(size)
    # adverse and at least min_points, both on the ranking keys' grid (see rank_keys)
    floor = _floor_key(min_points, n_groups)
    if n == 1 and not isinstance(loss, GroupLoss):
        return _rank_row(np.asarray(loss, dtype=np.float64)[0], limit, floor)
    every = np.arange(min(chunk, n))
    filled = 0
    # only a GroupLoss multiplies matrices; an array needs no BLAS context
    with _one_blas_thread(n if isinstance(loss, GroupLoss) else 0):
        for start in range(0, n if limit else 0, chunk):
            filled = _rank_block(
                _block(loss, start, min(n, start + chunk)),
                start,
                limit,
                floor,
                every,
                (rows, slots, groups, points),
                filled,
            )
    return RankedReasons(rows[:filled], slots[:filled], groups[:filled], points[:filled])


def _rank_row(loss: FloatArray, limit: int, floor: int) -> RankedReasons:
    """One applicant (``explain_one``): the same keys and rules as the blocks, sorted."""
    keys = rank_keys(loss[None, :])[0]
    slots: list[int] = []
    groups: list[int] = []
    for j in np.argsort(keys)[::-1][:limit].tolist():
        if keys[j] < floor:
            break
        slots.append(len(slots))
        groups.append(j)
    picked = np.array(groups, dtype=np.intp)
    return RankedReasons(
        np.zeros(len(slots), dtype=np.intp),
        np.array(slots, dtype=np.int32),
        picked.astype(_code_dtype(loss.size)),
        loss[picked],
    )


def _block(loss: NDArray[np.float64] | GroupLoss, start: int, stop: int) -> FloatArray:
    if isinstance(loss, GroupLoss):
        return loss.block(start, stop)
    return np.ascontiguousarray(loss[start:stop].T)


def _rank_block(
    by_group: FloatArray,
    start: int,
    limit: int,
    floor: int,
    every: NDArray[np.intp],
    out: tuple[NDArray[Any], NDArray[Any], NDArray[Any], FloatArray],
    filled: int,
) -> int:
    """Rank one ``(groups, m)`` block into ``out`` from position ``filled``; new end."""
    n_groups, m = by_group.shape
    low = _low_mask(n_groups)
    here = every[:m]
    keys = rank_keys(by_group, axis=0)
    cols = np.empty((limit, m), dtype=np.intp)
    tops = np.empty((limit, m), dtype=np.int64)
    for slot in range(limit):
        best = np.maximum.reduce(keys, axis=0, out=tops[slot])
        np.subtract(n_groups - 1, best & low, out=cols[slot])
        if slot + 1 < limit:
            keys[cols[slot], here] = _RETIRED
    lost = by_group.ravel()[cols * m + here]  # (limit, m): each row's ranked losses
    # adverse and at least min_points, on the keys' grid; once a slot fails, later
    # (smaller) slots do too
    keep = tops >= floor
    for slot in range(1, limit):
        keep[slot] &= keep[slot - 1]
    counts = np.add.reduce(keep, axis=0, dtype=np.intp)
    row = np.repeat(here, counts)
    ends = np.cumsum(counts)
    rank = np.arange(row.size, dtype=np.intp) - np.repeat(ends - counts, counts)
    flat = rank * m + row
    stop = filled + row.size
    rows, slots, groups, points = out
    np.add(row, start, out=rows[filled:stop])
    slots[filled:stop] = rank
    groups[filled:stop] = cols.ravel()[flat]
    points[filled:stop] = lost.ravel()[flat]
    return stop


def rank_keys(loss: NDArray[np.float64], axis: int = 1) -> NDArray[np.int64]:
    """Integer keys that order groups as reasons rank them (largest key first).

    The exact rule: every loss is rounded to a whole number of :data:`RESOLUTION`
    (``1e-9``) points, ``q = rint(max(loss, 0) * 1e9)`` (half to even; never below
    zero: only adverse losses are ever reasons), and groups rank by ``q``, larger
    first, equal ``q`` by column (code) order. So two losses that differ only by float
    noise (``78 / 60`` computed two ways: ``1.2999999999999998`` and
    ``1.3000000000000007``) are the same ``q`` and rank by code, whatever their last
    bits; only losses within a few units in the last place of a half-way point
    ``(k + 0.5) * 1e-9`` can still round apart. The key is ``q`` shifted left
    by ``bits = max(1, ceil(log2(groups)))`` with the reversed column position in the
    low bits, so keys are distinct within a row. ``q`` is capped just below
    ``min(2**52, 2**(62 - bits))``: losses above about 4.5 million points (fewer with
    over 1,024 groups; far outside any score scale) rank as equal.

    :func:`top_reasons` compares ``min_points`` on the same grid and keeps a group only
    if ``q >= max(1, rint(min_points * 1e9))``: a group whose loss rounds to zero (less
    than half a :data:`RESOLUTION`) did not lower the score. The points reported are
    the exact, unrounded losses.

    Examples
    --------
    >>> import numpy as np
    >>> rank_keys(np.array([[1.0, 2.0, 1.0, -5.0]])).argsort(axis=1)[0, ::-1].tolist()
    [1, 0, 2, 3]
    >>> noisy = np.array([[1.3 + 4.4e-16, 1.3 - 2.2e-16]])  # equal up to float noise
    >>> rank_keys(noisy).argsort(axis=1)[0, ::-1].tolist()  # so by column
    [0, 1]
    """
    n_groups = loss.shape[axis]
    bits = _position_bits(n_groups)
    keys = _quantised(loss, bits)
    keys <<= bits
    position = np.int64(n_groups - 1) - np.arange(n_groups, dtype=np.int64)
    keys |= position[:, None] if axis == 0 else position[None, :]
    return keys


#: Grid steps per point: losses are rounded to ``1 / _STEPS_PER_POINT`` points.
_STEPS_PER_POINT = 1e9
#: Losses rank on a grid of this many points (see :func:`rank_keys`).
RESOLUTION = 1.0 / _STEPS_PER_POINT


#: Adding it rounds a float in ``[0, 2**52)`` to an integer (half to even, like
#: ``rint``), which then sits in the low bits of the sum: several times faster than
#: ``rint`` and ``astype`` on a ranking block.
_MAGIC = 2.0**52
_MAGIC_BITS = np.float64(_MAGIC).view(np.int64)


def _quantised(loss: Any, bits: int) -> NDArray[np.int64]:
    """``rint(clip(loss, 0, cap) * 1e9)`` as int64, ``cap`` keeping keys in range."""
    # (np.clip costs microseconds of Python overhead per call: two ufuncs do not)
    scaled = np.maximum(loss, 0.0, dtype=np.float64)
    np.minimum(scaled, _cap_points(bits), out=scaled)
    np.multiply(scaled, _STEPS_PER_POINT, out=scaled)
    scaled += _MAGIC
    keys = scaled.view(np.int64)
    keys -= _MAGIC_BITS
    return keys


def _cap_points(bits: int) -> float:
    """Largest loss (points) ranked apart from larger ones; see :func:`_quantised`."""
    # below 2**52 steps for the magic add, below 2**(62 - bits) so the shifted key fits;
    # 4 steps of margin absorb the rounding of cap / 1e9 * 1e9
    return (min(1 << 52, 1 << (62 - bits)) - 4) / _STEPS_PER_POINT


def _floor_key(min_points: float, n_groups: int) -> int:
    """The smallest key of an adverse loss of at least ``min_points`` (see rank_keys)."""
    bits = _position_bits(n_groups)
    scaled = min(max(float(min_points), 0.0), _cap_points(bits)) * _STEPS_PER_POINT
    return max(1, round(scaled)) << bits  # round() is half to even, like the keys


def _position_bits(n_groups: int) -> int:
    return max(1, (n_groups - 1).bit_length())


def _low_mask(n_groups: int) -> np.int64:
    return np.int64((1 << _position_bits(n_groups)) - 1)


_RETIRED = np.iinfo(np.int64).min


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
    text_pos = lookup[picked.groups]
    app: Any = picked.rows if ids is None else ids.gather(picked.rows)
    rank = np.add(picked.slots, 1, dtype=np.int32)
    also = picked.slots >= max_reasons
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
