"""Compiled per-segment reductions behind :mod:`~thinfile_credit.features._segments`.

Rows of a cut are grouped by application (a *segment*: ``starts[s]:starts[s + 1]``).
Each function makes one pass over the rows, reading a value (NaN: no value) and an
optional row mask, so an aggregate costs one read of its value instead of the masked
copies, ``reduceat`` calls and running sums the NumPy version needed. Imported on first
use; numba caches the compiled code next to this file.

Semantics (shared with the narwhals engine and checked against it by the tests): a row
counts when its value is present and its mask holds; ``sum`` and ``count`` of no rows
are 0, ``mean``/``median``/``max``/``min`` of no rows and ``std`` (ddof=1) of fewer than
two are NaN; ``median`` of an even count is the mean of the two middle values;
``nunique`` counts distinct values.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["KINDS", "masked", "windowed"]

#: Aggregate kinds and their codes in :func:`masked`.
KINDS = {"count": 0, "sum": 1, "mean": 2, "max": 3, "min": 4, "std": 5, "median": 6, "nunique": 7}


@numba.njit(cache=True, nogil=True)
def masked(
    kind: int, v: np.ndarray, mask: np.ndarray, use_mask: bool, starts: np.ndarray
) -> np.ndarray:  # pragma: no cover
    """One aggregate per segment over the rows whose value is present and mask holds."""
    if kind >= 6:
        return _ordered(kind, v, mask, use_mask, starts)
    n_seg = starts.size - 1
    out = np.empty(n_seg, np.float64)
    for s in range(n_seg):
        lo = starts[s]
        hi = starts[s + 1]
        # branch-free counting: masks are unpredictable, mispredicted branches are not
        c = 0
        total = 0.0
        high = -np.inf
        low = np.inf
        if kind == 3:
            for i in range(lo, hi):
                x = v[i]
                keep = (x == x) & (mask[i] if use_mask else True)
                c += keep
                high = max(high, x if keep else -np.inf)
        elif kind == 4:
            for i in range(lo, hi):
                x = v[i]
                keep = (x == x) & (mask[i] if use_mask else True)
                c += keep
                low = min(low, x if keep else np.inf)
        else:
            for i in range(lo, hi):
                x = v[i]
                keep = (x == x) & (mask[i] if use_mask else True)
                c += keep
                total += x if keep else 0.0
        if kind == 0:
            out[s] = c
        elif kind == 1:
            out[s] = total
        elif c == 0:
            out[s] = np.nan
        elif kind == 2:
            out[s] = total / c
        elif kind == 3:
            out[s] = high
        elif kind == 4:
            out[s] = low
        elif c < 2:
            out[s] = np.nan
        else:
            mean = total / c
            ss = 0.0
            for i in range(lo, hi):
                x = v[i]
                keep = (x == x) & (mask[i] if use_mask else True)
                d = x - mean if keep else 0.0
                ss += d * d
            out[s] = np.sqrt(ss / (c - 1))
    return out


@numba.njit(cache=True, nogil=True)
def _ordered(
    kind: int, v: np.ndarray, mask: np.ndarray, use_mask: bool, starts: np.ndarray
) -> np.ndarray:  # pragma: no cover
    """Median (6) or distinct count (7) per segment: the kept values sorted in place."""
    n_seg = starts.size - 1
    out = np.empty(n_seg, np.float64)
    buf = np.empty(_longest(starts), np.float64)
    for s in range(n_seg):
        c = 0
        for i in range(starts[s], starts[s + 1]):
            x = v[i]
            if x == x and (not use_mask or mask[i]):
                buf[c] = x
                c += 1
        _shell_sort(buf, c)
        out[s] = median_sorted(buf, c) if kind == 6 else distinct_sorted(buf, c)
    return out


@numba.njit(cache=True, nogil=True)
def windowed(
    kind: int, v: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:  # pragma: no cover
    """One aggregate (a :data:`KINDS` code) of every nested window, ``(segments, windows)``.

    ``ends[s, j]`` is where window ``j`` (narrowest first) of segment ``s`` ends: the
    windows are prefixes of the segment, so each window continues the previous one's
    running count, sum and extremes; std, median and distinct counts keep the present
    values in one buffer, sorted again as each band is added.
    """
    n_seg, k = ends.shape
    out = np.empty((n_seg, k), np.float64)
    longest = 0
    if kind >= 5:
        for s in range(n_seg):
            longest = max(longest, ends[s, k - 1] - starts[s])
    buf = np.empty(longest, np.float64)
    for s in range(n_seg):
        c = 0
        sm = 0.0
        mx = -np.inf
        mn = np.inf
        pos = starts[s]
        for j in range(k):
            end = ends[s, j]
            for i in range(pos, end):
                x = v[i]
                if x == x:
                    if kind >= 5:
                        buf[c] = x
                    c += 1
                    sm += x
                    mx = max(mx, x)
                    mn = min(mn, x)
            pos = max(pos, end)
            out[s, j] = _window_value(kind, buf, c, sm, mx, mn)
    return out


@numba.njit(cache=True, nogil=True, inline="always")
def _window_value(
    kind: int, buf: np.ndarray, c: int, sm: float, mx: float, mn: float
) -> float:  # pragma: no cover
    """The aggregate of one window from its running values (``buf[:c]``: its values)."""
    if kind == 0:
        return float(c)
    if kind == 1:
        return sm
    if c == 0:
        return 0.0 if kind == 7 else np.nan  # no value: no distinct value either
    if kind == 2:
        return sm / c
    if kind == 3:
        return mx
    if kind == 4:
        return mn
    if kind == 5:
        if c < 2:
            return np.nan
        total = 0.0
        for i in range(c):
            total += buf[i]
        mean = total / c
        ss = 0.0
        for i in range(c):
            ss += (buf[i] - mean) * (buf[i] - mean)
        return np.sqrt(ss / (c - 1))
    _shell_sort(buf, c)  # the previous window's values are sorted already
    return median_sorted(buf, c) if kind == 6 else distinct_sorted(buf, c)


@numba.njit(cache=True, nogil=True)
def median_sorted(buf: np.ndarray, n: int) -> float:  # pragma: no cover
    """Median of the sorted ``buf[:n]`` (the mean of the middle two for an even ``n``);
    NaN when ``n`` is 0."""
    return (buf[(n - 1) // 2] + buf[n // 2]) / 2.0 if n > 0 else np.nan


@numba.njit(cache=True, nogil=True)
def distinct_sorted(buf: np.ndarray, n: int) -> float:  # pragma: no cover
    """Distinct values of the sorted ``buf[:n]``."""
    distinct = 0
    for i in range(n):
        if i == 0 or buf[i] != buf[i - 1]:
            distinct += 1
    return float(distinct)


@numba.njit(cache=True, nogil=True)
def over(kind: int, v: np.ndarray, key: np.ndarray, n_keys: int) -> np.ndarray:  # pragma: no cover
    """Sum (1) or max (3) of the present values of each row's group, broadcast back.

    ``key`` numbers the groups ``0..n_keys-1``. The sum of a group with no present value
    is 0, its max NaN (null).
    """
    acc = np.zeros(n_keys, np.float64) if kind == 1 else np.full(n_keys, -np.inf)
    seen = np.zeros(n_keys, np.bool_)
    for i in range(v.size):
        x = v[i]
        if x == x:
            g = key[i]
            seen[g] = True
            if kind == 1:
                acc[g] += x
            else:
                acc[g] = max(acc[g], x)
    out = np.empty(v.size, np.float64)
    for i in range(v.size):
        g = key[i]
        out[i] = acc[g] if kind == 1 or seen[g] else np.nan
    return out


@numba.njit(cache=True, nogil=True)
def distinct_of_segment(starts: np.ndarray, codes: np.ndarray) -> np.ndarray:  # pragma: no cover
    """One row per distinct code (``-1``: never) of each segment, segments in order and
    inside a segment by code (the first row of each code): an order that does not
    depend on the order of the rows."""
    out = np.empty(codes.size, np.int64)
    buf = np.empty(_longest(starts), np.int64)
    n = 0
    for s in range(starts.size - 1):
        c = _sorted_rows(buf, starts[s], starts[s + 1], codes, codes)
        for i in range(c):
            r = buf[i]
            if codes[r] >= 0 and (i == 0 or codes[buf[i - 1]] != codes[r]):
                out[n] = r
                n += 1
    return out[:n]


@numba.njit(cache=True, nogil=True)
def regroup(
    starts: np.ndarray, key: np.ndarray, codes: np.ndarray
) -> tuple[np.ndarray, int]:  # pragma: no cover
    """Dense group numbers of (``key``, ``codes``) pairs; groups never span segments.

    ``key`` is a group number that already separates the segments ``starts[s]:starts[s +
    1]``; rows with equal pairs inside a segment share a number. Returns the numbers and
    how many there are.
    """
    out = np.empty(codes.size, np.int64)
    buf = np.empty(_longest(starts), np.int64)
    n = 0
    for s in range(starts.size - 1):
        c = _sorted_rows(buf, starts[s], starts[s + 1], key, codes)
        for i in range(c):
            r = buf[i]
            if i > 0:
                p = buf[i - 1]
                if key[p] != key[r] or codes[p] != codes[r]:
                    n += 1
            out[r] = n
        n += c > 0
    return out, n


@numba.njit(cache=True, nogil=True)
def _sorted_rows(
    buf: np.ndarray, lo: int, hi: int, first: np.ndarray, second: np.ndarray
) -> int:  # pragma: no cover
    """Write rows ``lo:hi`` to ``buf`` sorted by (``first``, ``second``, row); return how
    many."""
    c = hi - lo
    for i in range(c):
        buf[i] = lo + i
    _shell_sort_rows(buf, c, first, second)
    return c


@numba.njit(cache=True, nogil=True)
def _longest(starts: np.ndarray) -> int:  # pragma: no cover
    """Rows of the longest segment ``starts[s]:starts[s + 1]``."""
    longest = 0
    for s in range(starts.size - 1):
        longest = max(longest, starts[s + 1] - starts[s])
    return longest


# Shell sorts (Ciura's gaps, then insertion): segments are short, so this beats a library
# sort, allocates nothing and compiles in a fraction of the time numba's sorts take.
_GAPS = np.array([701, 301, 132, 57, 23, 10, 4, 1], dtype=np.int64)


@numba.njit(cache=True, nogil=True)
def _shell_sort(buf: np.ndarray, n: int) -> None:  # pragma: no cover
    """Sort ``buf[:n]`` in place."""
    for gap in _GAPS:
        for i in range(gap, n):
            x = buf[i]
            j = i
            while j >= gap and buf[j - gap] > x:
                buf[j] = buf[j - gap]
                j -= gap
            buf[j] = x


@numba.njit(cache=True, nogil=True)
def _shell_sort_rows(
    rows: np.ndarray, n: int, first: np.ndarray, second: np.ndarray
) -> None:  # pragma: no cover
    """Sort the row numbers ``rows[:n]`` in place by (``first[row]``, ``second[row]``,
    row): the same order as a stable sort of rows listed in increasing order."""
    for gap in _GAPS:
        for i in range(gap, n):
            x = rows[i]
            j = i
            while j >= gap and _after(rows[j - gap], x, first, second):
                rows[j] = rows[j - gap]
                j -= gap
            rows[j] = x


@numba.njit(cache=True, nogil=True, inline="always")
def _after(a: int, b: int, first: np.ndarray, second: np.ndarray) -> bool:  # pragma: no cover
    if first[a] != first[b]:
        return first[a] > first[b]
    if second[a] != second[b]:
        return second[a] > second[b]
    return a > b
