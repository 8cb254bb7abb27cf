"""The compiled loops behind :mod:`~thinfile_credit.features._gather` (numba, cached).

Imported on first use only: compiling (or loading the cache) costs a moment that a
script which never builds features in batch should not pay.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["bucket", "cut"]


@numba.njit(cache=True, nogil=True)
def bucket(codes: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Stable counting sort of rows by code: ``order[ptr[c]:ptr[c + 1]]`` are code ``c``."""
    ptr = np.zeros(n_codes + 1, np.int64)
    for i in range(codes.size):
        c = codes[i]
        if c >= 0:
            ptr[c + 1] += 1
    for c in range(n_codes):
        ptr[c + 1] += ptr[c]
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
    ptr = np.zeros(n_codes + 1, np.int64)
    for i in range(codes.size):
        c = codes[i]
        if c >= 0:
            ptr[c + 1] += 1
    for c in range(n_codes):
        ptr[c + 1] += ptr[c]
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


@numba.njit(cache=True, nogil=True)
def cut(
    ptr: np.ndarray,
    order: np.ndarray,
    cut_time: np.ndarray,
    band_time: np.ndarray,
    q_order: np.ndarray,
    q_code: np.ndarray,
    q_t: np.ndarray,
    widths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Rows with ``cut_time < t`` per query, grouped by window band; see ``cut_index``.

    ``cut_time`` and ``band_time`` are in bucket order (as ``order``).

    Queries are taken in ``q_order`` (by user, so each bucket is read while it is in
    cache); the returned ``start`` indexes that order.
    """
    nq = q_order.size
    k = widths.size
    # the user's times in bucket order: the loops below read memory sequentially
    start = np.zeros(nq + 1, np.int64)
    for i in range(nq):
        q = q_order[i]
        c = q_code[q]
        n = 0
        if c >= 0:
            t = q_t[q]
            for p in range(ptr[c], ptr[c + 1]):
                if cut_time[p] < t:
                    n += 1
        start[i + 1] = start[i] + n
    rows = np.empty(start[nq], np.int64)
    counts = np.zeros(k + 1, np.int64)
    thresholds = np.empty(k, np.int64)
    for i in range(nq):
        q = q_order[i]
        c = q_code[q]
        if c < 0 or start[i + 1] == start[i]:
            continue
        t = q_t[q]
        if k == 0:
            pos = start[i]
            for p in range(ptr[c], ptr[c + 1]):
                if cut_time[p] < t:
                    rows[pos] = order[p]
                    pos += 1
            continue
        for j in range(k):
            thresholds[j] = t - widths[j]  # inside window j: band_time >= t - width
        counts[:] = 0
        for p in range(ptr[c], ptr[c + 1]):
            if cut_time[p] < t:
                b = 0
                bt = band_time[p]
                while b < k and not (bt != _NULL and bt >= thresholds[b]):
                    b += 1
                counts[b] += 1
        offset = start[i]
        for b in range(k + 1):
            n = counts[b]
            counts[b] = offset
            offset += n
        for p in range(ptr[c], ptr[c + 1]):
            if cut_time[p] < t:
                b = 0
                bt = band_time[p]
                while b < k and not (bt != _NULL and bt >= thresholds[b]):
                    b += 1
                rows[counts[b]] = order[p]
                counts[b] += 1
    return rows, start


_NULL = np.iinfo(np.int64).max
