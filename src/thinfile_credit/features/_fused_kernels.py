"""Helpers called from the generated per-source kernels of :mod:`._fused` (numba, cached).

Comparisons of floats follow Polars' total order (NaN equals NaN and is above every
number), so a generated kernel compares exactly as the Polars engine does; ``groups``
numbers the ``over`` partitions of one application's rows.
"""

from __future__ import annotations

import numba
import numpy as np

from thinfile_credit.features._segment_kernels import (
    _shell_sort,
    _sorted_rows,
    distinct_sorted,
    median_sorted,
)

__all__ = ["f_eq", "f_le", "f_lt", "groups", "median_of", "nunique_of", "std_of"]


@numba.njit(cache=True, nogil=True, inline="always")
def f_lt(a: float, b: float) -> bool:  # pragma: no cover
    """``a < b`` with NaN above every number (Polars' order)."""
    if b != b:
        return a == a
    return a < b


@numba.njit(cache=True, nogil=True, inline="always")
def f_le(a: float, b: float) -> bool:  # pragma: no cover
    """``a <= b`` with NaN above every number and equal to itself."""
    if b != b:
        return True
    return a <= b


@numba.njit(cache=True, nogil=True, inline="always")
def f_eq(a: float, b: float) -> bool:  # pragma: no cover
    """``a == b`` with NaN equal to NaN."""
    return a == b or (a != a and b != b)


@numba.njit(cache=True, nogil=True)
def groups(keys: np.ndarray, n: int, order: np.ndarray, out: np.ndarray) -> int:  # pragma: no cover
    """Number the distinct values of ``keys[:n]`` into ``out[:n]``; return how many.

    ``order`` is scratch of at least ``n``. Numbers follow the sorted key order.
    """
    _sorted_rows(order, 0, n, keys, keys)
    g = -1
    for i in range(n):
        p = order[i]
        if i == 0 or keys[p] != keys[order[i - 1]]:
            g += 1
        out[p] = g
    return g + 1


@numba.njit(cache=True, nogil=True)
def median_of(buf: np.ndarray, n: int) -> float:  # pragma: no cover
    """Median of ``buf[:n]`` (sorted in place); NaN when ``n`` is 0."""
    _shell_sort(buf, n)
    return median_sorted(buf, n)


@numba.njit(cache=True, nogil=True)
def nunique_of(buf: np.ndarray, n: int) -> float:  # pragma: no cover
    """Distinct values of ``buf[:n]`` (sorted in place)."""
    _shell_sort(buf, n)
    return distinct_sorted(buf, n)


@numba.njit(cache=True, nogil=True)
def std_of(shifted_sum: float, shifted_squares: float, n: int) -> float:  # pragma: no cover
    """Sample standard deviation (ddof=1) from the sum and the sum of squares of ``n``
    values shifted by one of them; NaN for fewer than two values."""
    if n < 2:
        return np.nan
    ss = shifted_squares - shifted_sum * shifted_sum / n
    return np.sqrt(max(ss, 0.0) / (n - 1))
