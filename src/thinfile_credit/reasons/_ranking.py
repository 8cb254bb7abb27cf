"""Ranking of reason groups: each applicant's top reasons from their group losses.

Holds :func:`top_reasons`, which picks every applicant's adverse reason groups in rank
order from an ``(n, groups)`` matrix of losses or a
:class:`~thinfile_credit.reasons._tidy.GroupLoss` (block by block, or one applicant
alone), the integer ranking keys it orders groups by (:func:`rank_keys`, on the grid of
:data:`RESOLUTION` points) and :class:`RankedReasons`, the chosen (applicant, group)
pairs it returns. The losses themselves and the tidy frame built from the ranked
reasons are in :mod:`thinfile_credit.reasons._tidy`.

Examples
--------
>>> import numpy as np
>>> loss = np.array([[5.0, 9.0, 5.0], [0.0, -1.0, 2.0]])
>>> p = top_reasons(loss, max_reasons=2, also_considered=False, min_points=1.0)
>>> p.rows.tolist(), p.groups.tolist(), p.slots.tolist()
([0, 0, 1], [1, 0, 2], [0, 1, 0])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.reasons._tidy import GroupLoss, _code_dtype

__all__ = ["RESOLUTION", "RankedReasons", "rank_keys", "top_reasons"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class RankedReasons:
    """The chosen (applicant, group) pairs in rank order, as parallel arrays (slots and
    groups in compact integer dtypes)."""

    rows: NDArray[np.intp]
    slots: NDArray[np.signedinteger[Any]]
    groups: NDArray[np.signedinteger[Any]]
    points: NDArray[np.float64]


def top_reasons(
    loss: NDArray[np.float64] | GroupLoss,
    max_reasons: int,
    also_considered: bool,
    min_points: float,
    *,
    chunk: int = 16384,
) -> RankedReasons:
    """Rank every row's groups by points lost; keep the adverse ones up to the limit.

    Groups are ranked by :func:`rank_keys`: larger loss first, losses equal on a grid
    of :data:`RESOLUTION` points (``1e-9``) tied and broken by column order (the groups
    sorted by code), so float noise never reorders reasons and the ranking is identical
    in every process. A group is kept if its rounded loss is above zero and at least
    ``min_points`` rounded the same way; its exact loss is reported. The top groups
    are found by ``limit`` passes of a column-wise maximum over the keys (each pass
    retires its winner) instead of a per-row sort, and rows are processed ``chunk`` at a
    time in buffers allocated once, so every temporary stays in cache: on large batches
    fresh memory (page faults), not arithmetic, is what costs. ``loss`` is an
    ``(n, groups)`` array or a :class:`GroupLoss`, computed block by block.
    """
    n, n_groups = loss.shape
    limit = min(max_reasons + (1 if also_considered else 0), n_groups)
    # adverse and at least min_points, both on the ranking keys' grid (see rank_keys)
    floor = _floor_key(min_points, n_groups)
    if n == 1 and not isinstance(loss, GroupLoss):
        return _rank_row(np.asarray(loss, dtype=np.float64)[0], limit, floor)
    size = n * limit
    # compact dtypes: on a large batch every output page is a fresh page fault (only
    # the pages filled are ever touched)
    out = _Picked(
        np.empty(size, dtype=np.intp),
        np.empty(size, dtype=_code_dtype(limit)),
        np.empty(size, dtype=_code_dtype(n_groups)),
        np.empty(size),
    )
    filled = 0
    if limit and n:
        ranker = _BlockRanker(n_groups, limit, floor, min(chunk, n))
        scratch = loss._scratch(min(chunk, n)) if isinstance(loss, GroupLoss) else None
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            by_group = ranker.loss_block(stop - start)
            if isinstance(loss, GroupLoss):
                loss._fill(start, stop, by_group, scratch)
            else:
                np.copyto(by_group, loss[start:stop].T)
            filled = ranker.rank(by_group, start, out, filled)
    return RankedReasons(
        out.rows[:filled], out.slots[:filled], out.groups[:filled], out.points[:filled]
    )


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


@dataclass(frozen=True)
class _Picked:
    """Output arrays of :func:`top_reasons`, filled block by block."""

    rows: NDArray[np.intp]
    slots: NDArray[np.signedinteger[Any]]
    groups: NDArray[np.signedinteger[Any]]
    points: FloatArray


class _BlockRanker:
    """Ranks ``(groups, m)`` blocks of losses in buffers allocated once per batch."""

    def __init__(self, n_groups: int, limit: int, floor: int, rows: int) -> None:
        self.n_groups, self.limit, self.floor = n_groups, limit, floor
        self.bits = _position_bits(n_groups)
        self.low = _low_mask(n_groups)
        self.offsets = _key_offsets(n_groups, self.bits)
        # flat, so a block of any m is a C-contiguous (groups, m) reshape of a prefix
        self._loss: FloatArray = np.empty(n_groups * rows)
        self._keys: FloatArray = np.empty(n_groups * rows)
        self._last = np.empty(rows, dtype=np.intp)
        self._best = np.empty(rows, dtype=np.int64)
        self._flat = np.empty(rows, dtype=np.intp)
        # applicant-major (m, limit), the order of the output
        self._kept = np.empty(rows * limit, dtype=np.bool_)
        self._flats = np.empty(rows * limit, dtype=np.intp)
        self._m = -1

    def loss_block(self, m: int) -> FloatArray:
        """The ``(groups, m)`` buffer a block's losses are written to."""
        return self._loss[: self.n_groups * m].reshape(self.n_groups, m)

    def rank(self, by_group: FloatArray, start: int, out: _Picked, filled: int) -> int:
        """Rank one C-contiguous ``(groups, m)`` block into ``out`` from position
        ``filled``; returns the new end."""
        n_groups, m = by_group.shape
        limit = self.limit
        if m != self._m:
            # flat position of (last group, applicant): a key's low bits count groups
            # back from the last one
            np.add(np.arange(m), (n_groups - 1) * m, out=self._last[:m])
            self._m = m
        keys = _block_keys(by_group, self.bits, self.offsets, self._keys[: n_groups * m])
        flat_keys, flat_loss = keys.reshape(-1), by_group.reshape(-1)
        last, best, flat = self._last[:m], self._best[:m], self._flat[:m]
        kept = self._kept[: m * limit].reshape(m, limit)
        flats = self._flats[: m * limit].reshape(m, limit)
        for slot in range(limit):
            np.maximum.reduce(keys, axis=0, out=best)
            np.greater_equal(best, self.floor, out=kept[:, slot])
            # flat position of each applicant's winner: last - (n_groups - 1 - group) * m
            np.bitwise_and(best, self.low, out=flat)
            np.multiply(flat, m, out=flat)
            np.subtract(last, flat, out=flat)
            if slot + 1 < limit:
                flat_keys[flat] = _RETIRED
            flats[:, slot] = flat
        # Kept (applicant, slot) pairs in output order. Keys are distinct within a row
        # and each pass takes the largest left, so a row's kept slots are a prefix.
        pick = np.flatnonzero(kept)
        stop = filled + pick.size
        rows, slots = out.rows[filled:stop], out.slots[filled:stop]
        if limit & (limit - 1):
            np.floor_divide(pick, limit, out=rows)
            np.subtract(pick, rows * limit, out=slots, casting="unsafe")
        else:  # a power of two (four reasons): shift and mask
            np.right_shift(pick, limit.bit_length() - 1, out=rows)
            np.bitwise_and(pick, limit - 1, out=slots, casting="unsafe")
        where = flats.reshape(-1).take(pick)
        # (in range by construction; mode "raise" would copy through a buffer)
        np.take(flat_loss, where, out=out.points[filled:stop], mode="clip")
        groups = out.groups[filled:stop]
        if m & (m - 1):
            np.floor_divide(where, m, out=groups, casting="unsafe")
        else:  # a full block
            np.right_shift(where, m.bit_length() - 1, out=groups, casting="unsafe")
        rows += start
        return stop


def _block_keys(
    by_group: FloatArray, bits: int, offsets: NDArray[np.uint64], buffer: FloatArray
) -> NDArray[np.int64]:
    """:func:`rank_keys` of a ``(groups, m)`` block along axis 0, bit for bit, in five
    passes over ``buffer`` (flat, ``groups * m``) instead of eight.

    ``rint(clip(loss, 0, cap) * 1e9)`` by the magic add, as :func:`_quantised`; the
    float's bits are then ``_MAGIC_BITS + q``, and ``(q << bits) | position`` is
    ``(bits_of_float << bits) + (position - (_MAGIC_BITS << bits))`` modulo 2**64 (the
    low ``bits`` of the shift are zero), one shift and one add of a per-group constant
    in unsigned arithmetic, which wraps by definition.
    """
    scaled = buffer.reshape(by_group.shape)
    np.clip(by_group, 0.0, _cap_points(bits), out=scaled)
    np.multiply(scaled, _STEPS_PER_POINT, out=scaled)
    scaled += _MAGIC
    raw = scaled.view(np.uint64)
    raw <<= np.uint64(bits)
    raw += offsets[:, None]
    keys: NDArray[np.int64] = scaled.view(np.int64)
    return keys


def _key_offsets(n_groups: int, bits: int) -> NDArray[np.uint64]:
    """``position - (_MAGIC_BITS << bits)`` modulo 2**64 per group (see :func:`_block_keys`)."""
    wrap = 1 << 64
    shifted = (int(_MAGIC_BITS) << bits) % wrap
    position = range(n_groups - 1, -1, -1)
    return np.array([(p - shifted) % wrap for p in position], dtype=np.uint64)


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
