"""Group sums that add exactly as ``np.add.reduceat`` does, a whole row of applicants
at a time, and the masked copies of loss rows they read.

:class:`~thinfile_credit.reasons._tidy.GroupLoss` sums each reason group's terms with
:func:`_group_sums` (bit for bit ``np.add.reduceat`` along axis 0, many times faster on
the few rows of a group) and masks feature rows with :func:`_masked_rows`; they live
here to keep :mod:`thinfile_credit.reasons._tidy` within the module-size rule.

Examples
--------
>>> import numpy as np
>>> terms = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
>>> out = np.empty((2, 2))
>>> _group_sums(terms, ((0, 0, (1,), False), (1, 2, (), False)), out)
>>> out.tolist()
[[4.0, 6.0], [5.0, 6.0]]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__: list[str] = []

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Per non-empty group: its first term row (-1: left out), its other term rows, and
#: whether rows known to be +0.0 were left out (see :func:`_group_sums`).
_Sums = tuple[tuple[int, int, tuple[int, ...], bool], ...]
#: The groups' term rows in one array, each non-empty group's start in it, and those
#: groups: ``np.add.reduceat``'s arguments.
_Reduceat = tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]


def _group_sums(
    terms: FloatArray, groups: _Sums, out: FloatArray, reduceat: _Reduceat | None = None
) -> None:
    """``out[g] = np.add.reduceat(terms[rows], [0], axis=0)[0]`` for each group's term
    rows (``first``, then ``rest``), bit for bit.

    Along axis 0 ``reduceat`` adds, applicant by applicant, a group's first row to
    NumPy's pairwise sum of its other rows (:func:`_pairwise_rows`) in an inner loop
    over the group's few rows; the same additions made a whole row at a time are many
    times faster and round identically. A group may leave out rows known to be +0.0
    (``first`` -1 when it is one, ``normalise`` set): adding +0.0 changes a sum only
    where it is -0.0, to +0.0, wherever it is added, so one ``+ 0.0`` at the end gives
    the same bits; the rows left out of a pairwise sum of fewer than 8 (which NumPy adds
    in order) move no other row's place. For a few applicants (one, from
    ``explain_one``) ``reduceat`` itself is quicker: its ``(rows, starts, groups)`` give
    the same bits in one call.
    """
    if reduceat is not None and terms.shape[1] < _REDUCEAT_ROWS:
        rows, starts, nonempty = reduceat
        if nonempty.size:
            out[nonempty] = np.add.reduceat(terms[rows], starts, axis=0)
        return
    for g, first, rest, normalise in groups:
        target = out[g]
        if rest:
            _pairwise_rows(terms, rest, target)
            if first >= 0:
                np.add(terms[first], target, out=target)
        elif first >= 0:
            np.copyto(target, terms[first])
        else:
            target.fill(0.0)
            continue
        if normalise:
            target += 0.0


def _pairwise_rows(terms: FloatArray, rows: tuple[int, ...], out: FloatArray) -> None:
    """``out`` = NumPy's pairwise sum of ``terms[rows]`` (``pairwise_sum`` in
    ``loops_utils.h.src``) for every column: in order below 8 rows, with 8 accumulators
    up to 128, else the two halves (split at a multiple of 8) added."""
    n = len(rows)
    if n < 8:
        # NumPy starts from -0.0, and -0.0 + x == x
        if n == 1:
            np.copyto(out, terms[rows[0]])
            return
        np.add(terms[rows[0]], terms[rows[1]], out=out)
        for k in rows[2:]:
            np.add(out, terms[k], out=out)
        return
    if n <= 128:
        acc = [terms[k].copy() for k in rows[:8]]
        whole = n - n % 8
        for i in range(8, whole, 8):
            for j in range(8):
                acc[j] += terms[rows[i + j]]
        np.add(acc[0], acc[1], out=out)
        np.add(acc[2], acc[3], out=acc[2])
        out += acc[2]
        np.add(acc[4], acc[5], out=acc[4])
        np.add(acc[6], acc[7], out=acc[6])
        acc[4] += acc[6]
        out += acc[4]
        for k in rows[whole:]:
            out += terms[k]
        return
    half = n // 2
    half -= half % 8
    _pairwise_rows(terms, rows[:half], out)
    rest = np.empty_like(out)
    _pairwise_rows(terms, rows[half:], rest)
    out += rest


def _masked_rows(
    bits: NDArray[np.int64], mask: NDArray[np.int8], out: NDArray[np.int64], rows: BoolArray
) -> None:
    """``out = bits & mask`` on the feature rows ``rows`` (the others are left as they
    are): one whole-block AND, or one per run of adjacent rows when a quarter or more
    need none."""
    count = int(np.count_nonzero(rows))
    if 4 * count > 3 * rows.size:
        np.bitwise_and(bits, mask, out=out)
        return
    edges = np.flatnonzero(np.diff(rows, prepend=False, append=False)).tolist()
    for a, b in zip(edges[::2], edges[1::2]):
        np.bitwise_and(bits[a:b], mask[a:b], out=out[a:b])


#: Blocks of fewer rows sum their groups with one ``np.add.reduceat``.
_REDUCEAT_ROWS = 16
