"""The compiled loops behind :mod:`~thinfile_credit.features._gather` (numba, cached).

Imported on first use only: compiling (or loading the cache) costs a moment that a
script which never builds features in batch should not pay.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

__all__ = ["bucket", "bucket_times", "call", "count", "frozen", "rows"]


def call(kernel: Any, *args: Any) -> Any:
    """``kernel(*args)`` with every array argument as a read-only C-contiguous view.

    numba compiles a kernel once per argument types, and read-only arrays (NumPy views
    of Polars columns) are a different type from writable ones: passing all arrays the
    same way keeps one compiled version of each kernel (the first build compiles them).
    """
    return kernel(*frozen(*args))


def frozen(*args: Any) -> list[Any]:
    """The arguments with each array as a read-only C-contiguous view (see :func:`call`)."""
    out = []
    for a in args:
        if isinstance(a, np.ndarray):
            a = np.ascontiguousarray(a).view()
            a.flags.writeable = False
        out.append(a)
    return out


@numba.njit(cache=True, nogil=True)
def _offsets(codes: np.ndarray, n_codes: int) -> np.ndarray:  # pragma: no cover
    """Where each code's rows start in code order (``-1`` codes left out)."""
    ptr = np.zeros(n_codes + 1, np.int64)
    for i in range(codes.size):
        c = codes[i]
        if c >= 0:
            ptr[c + 1] += 1
    for c in range(n_codes):
        ptr[c + 1] += ptr[c]
    return ptr


@numba.njit(cache=True, nogil=True)
def bucket(codes: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Stable counting sort of rows by code: ``order[ptr[c]:ptr[c + 1]]`` are code ``c``."""
    ptr = _offsets(codes, n_codes)
    fill = ptr[:-1].copy()
    order = np.empty(ptr[n_codes], np.int64)
    for i in range(codes.size):
        c = codes[i]
        if c >= 0:
            order[fill[c]] = i
            fill[c] += 1
    return ptr, order


@numba.njit(cache=True, nogil=True)
def bucket_times(
    codes: np.ndarray, n_codes: int, cut_time: np.ndarray, band_time: np.ndarray, banded: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """:func:`bucket`, also moving the times into bucket order in the same pass."""
    ptr = _offsets(codes, n_codes)
    fill = ptr[:-1].copy()
    n = ptr[n_codes]
    order = np.empty(n, np.int64)
    cut_sorted = np.empty(n, np.int64)
    band_sorted = np.empty(n if banded else 0, np.int64)
    for i in range(codes.size):
        c = codes[i]
        if c >= 0:
            p = fill[c]
            order[p] = i
            cut_sorted[p] = cut_time[i]
            if banded:
                band_sorted[p] = band_time[i]
            fill[c] = p + 1
    return ptr, order, cut_sorted, band_sorted


#: Queries per parallel task of :func:`cut`.
_TASK = 16384


@numba.njit(cache=True, nogil=True, parallel=True)
def count(
    ptr: np.ndarray, cut_time: np.ndarray, q_order: np.ndarray, q_code: np.ndarray, q_t: np.ndarray
) -> np.ndarray:  # pragma: no cover
    """Where each query's rows start, queries in ``q_order`` (``cut_time`` in bucket order).

    Queries are taken in ``q_order`` (by user, a bucket is read while it is in cache);
    tasks of consecutive queries run in parallel.
    """
    nq = q_order.size
    n_tasks = (nq + _TASK - 1) // _TASK
    kept = np.zeros(nq + 1, np.int64)
    for task in numba.prange(n_tasks):
        for i in range(task * _TASK, min(nq, (task + 1) * _TASK)):
            q = q_order[i]
            c = q_code[q]
            t = q_t[q]
            n = 0
            for p in range(ptr[c], ptr[c + 1]):
                n += cut_time[p] < t
            kept[i + 1] = n
    return np.cumsum(kept)


@numba.njit(cache=True, nogil=True, parallel=True)
def rows(
    ptr: np.ndarray,
    order: np.ndarray,
    cut_time: np.ndarray,
    band_time: np.ndarray,
    q_order: np.ndarray,
    q_code: np.ndarray,
    q_t: np.ndarray,
    widths: np.ndarray,
    due: bool,
    start: np.ndarray,
    first: int,
    last: int,
) -> np.ndarray:  # pragma: no cover
    """The event rows of queries ``q_order[first:last]``, band by band (see ``cut_index``).

    Each query writes only its own rows, so the result does not depend on the threads.
    """
    k = widths.size
    base = start[first]
    out = np.empty(start[last] - base, np.int64)
    n_tasks = (last - first + _TASK - 1) // _TASK
    for task in numba.prange(n_tasks):
        counts = np.zeros(k + 1, np.int64)
        thresholds = np.empty(k, np.int64)
        for i in range(first + task * _TASK, min(last, first + (task + 1) * _TASK)):
            if start[i + 1] > start[i]:
                q = q_order[i]
                _write(
                    out,
                    start[i] - base,
                    ptr,
                    order,
                    cut_time,
                    band_time,
                    q_code[q],
                    q_t[q],
                    widths,
                    due,
                    counts,
                    thresholds,
                )
    return out


@numba.njit(cache=True, nogil=True, inline="always")
def _write(
    rows: np.ndarray,
    offset: int,
    ptr: np.ndarray,
    order: np.ndarray,
    cut_time: np.ndarray,
    band_time: np.ndarray,
    c: int,
    t: int,
    widths: np.ndarray,
    due: bool,
    counts: np.ndarray,
    thresholds: np.ndarray,
) -> None:  # pragma: no cover
    """One query's rows from ``offset`` on: band by band, bucket order inside a band.

    With ``due``, a row with ``band_time`` at or after ``t`` is in no window.
    """
    k = widths.size
    if k == 0:
        for p in range(ptr[c], ptr[c + 1]):
            if cut_time[p] < t:
                rows[offset] = order[p]
                offset += 1
        return
    for j in range(k):
        thresholds[j] = t - widths[j]  # inside window j: band_time >= t - width
    counts[:] = 0
    for p in range(ptr[c], ptr[c + 1]):
        if cut_time[p] < t:
            counts[_band(band_time[p], thresholds, due, t)] += 1
    for b in range(k + 1):
        n = counts[b]
        counts[b] = offset
        offset += n
    for p in range(ptr[c], ptr[c + 1]):
        if cut_time[p] < t:
            b = _band(band_time[p], thresholds, due, t)
            rows[counts[b]] = order[p]
            counts[b] += 1


@numba.njit(cache=True, nogil=True, inline="always")
def _band(bt: int, thresholds: np.ndarray, due: bool, t: int) -> int:  # pragma: no cover
    """The narrowest window holding a row (``len(thresholds)``: none); null is in none,
    and so is a row not yet due (``bt >= t``) when the windows are ``due``."""
    if bt == _NULL or (due and bt >= t):
        return thresholds.size
    b = 0
    while b < thresholds.size and bt < thresholds[b]:
        b += 1
    return b


_NULL = np.iinfo(np.int64).max
