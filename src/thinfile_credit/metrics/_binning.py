"""Quantile grouping that never splits tied scores across groups."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit._numbers import is_real
from thinfile_credit.errors import SpecError

__all__ = ["check_bins", "check_n_bins", "tie_safe_quantile_bins"]


def check_n_bins(n_bins: Any, name: str = "n_bins") -> int:
    """Return ``n_bins`` as an int >= 1 or raise :class:`SpecError` naming ``name``."""
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise SpecError(f"{name} must be a positive integer, got {n_bins!r}")
    return int(n_bins)


def check_bins(bins: Any, name: str) -> int | NDArray[np.float64]:
    """A number of quantile bins (int >= 1) or interior edges (float64), else SpecError.

    Edges are a non-empty 1-D sequence of finite, strictly increasing real numbers; text
    (``"600"``) and booleans are refused, never read as numbers.

    Examples
    --------
    >>> check_bins(5, "bins"), check_bins([550, 600.5], "bands").tolist()
    (5, [550.0, 600.5])
    >>> check_bins("x", "bands")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.SpecError: bands must be a positive integer or ..., got 'x'
    """
    if isinstance(bins, int | np.integer) and not isinstance(bins, bool | np.bool_):
        return check_n_bins(bins, name)
    refused = SpecError(
        f"{name} must be a positive integer or a non-empty sequence of finite, strictly "
        f"increasing numbers (bin edges), got {bins!r}"
    )
    if isinstance(bins, str | bytes | dict) or not hasattr(bins, "__len__"):
        raise refused
    try:
        raw = np.asarray(bins, dtype=object)
    except ValueError:  # ragged nesting
        raise refused from None
    if raw.ndim != 1 or raw.size == 0 or not all(is_real(v) for v in raw.tolist()):
        raise refused
    edges = raw.astype(np.float64)
    if not np.isfinite(edges).all() or (np.diff(edges) <= 0).any():
        raise refused
    return edges


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
