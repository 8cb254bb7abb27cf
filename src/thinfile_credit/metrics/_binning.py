"""Quantile grouping that never splits tied scores across groups."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import DataError

__all__ = ["check_n_bins", "tie_safe_quantile_bins"]


def check_n_bins(n_bins: Any, name: str = "n_bins") -> int:
    """Return ``n_bins`` as an int >= 1 or raise :class:`DataError`."""
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise DataError(f"{name} must be a positive integer, got {n_bins!r}")
    return int(n_bins)


def tie_safe_quantile_bins(
    values: NDArray[np.float64], weights: NDArray[np.float64] | None, n_bins: int
) -> NDArray[np.intp]:
    """Assign rows to ``n_bins`` quantile groups of ``values`` (ascending), 0-based.

    Each distinct value goes wholly to the group containing the midpoint of its
    cumulative (weighted) share, so equal scores always share a group; groups are then
    renumbered consecutively, so fewer than ``n_bins`` may come back when values are
    heavily tied. The quantiles are those of the positive-weight rows: a distinct value
    whose rows all have weight zero joins the group of the nearest smaller value with
    positive weight (the first group when there is none), so every row gets a group but
    every group has positive total weight - never an empty group of zero-weight rows.
    ``weights`` must be non-negative with a positive sum (``check_weights``).

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array([0.1, 0.1, 0.2, 0.3, 0.3, 0.4])
    >>> tie_safe_quantile_bins(values, None, 3).tolist()
    [0, 0, 1, 2, 2, 2]
    >>> weights = np.array([1.0, 1.0, 0.0, 1.0, 1.0, 1.0])  # 0.2 weighs nothing
    >>> tie_safe_quantile_bins(values, weights, 3).tolist()
    [0, 0, 0, 1, 1, 2]
    """
    order = np.argsort(values, kind="stable")
    v = values[order]
    w = np.ones(v.size) if weights is None else weights[order]
    change = np.flatnonzero(v[1:] != v[:-1]) + 1
    starts = np.concatenate([[0], change])
    group_w = np.add.reduceat(w, starts)
    total = group_w.sum()
    mid = (np.cumsum(group_w) - 0.5 * group_w) / total
    group_bin = np.minimum((mid * n_bins).astype(np.intp), n_bins - 1)
    weightless = ~(group_w > 0)
    if weightless.any():
        # each weightless value takes the group of the last positive-weight value before
        # it (group_bin is non-decreasing, so groups stay contiguous in value order)
        last = np.maximum.accumulate(np.where(weightless, -1, np.arange(group_w.size)))
        last[last < 0] = np.flatnonzero(~weightless)[0]
        group_bin = group_bin[last]
    _, group_bin = np.unique(group_bin, return_inverse=True)
    sizes = np.diff(np.append(starts, v.size))
    out = np.empty(values.size, dtype=np.intp)
    out[order] = np.repeat(group_bin, sizes)
    return out
