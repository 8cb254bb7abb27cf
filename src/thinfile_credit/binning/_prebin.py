"""Exact, fast replica of optbinning's CART pre-binning.

optbinning pre-bins a numeric feature with ``DecisionTreeClassifier(min_samples_leaf=m,
max_leaf_nodes=20)`` on the raw samples; at a million rows that tree is more than 90 % of
the fit time. The tree only ever looks at class counts between distinct (float32) values,
so this module grows the *same* best-first tree on per-value counts: one sort, then
``O(n_distinct)`` vectorised work per node. The arithmetic (float32 features, the 1e-7
feature tolerance, Gini proxy and improvement formulas, first-best tie rule, best-first
expansion order) mirrors scikit-learn's ``BestSplitter`` and ``BestFirstTreeBuilder``, so
the split points - and therefore the optimal bins and IV - are identical; the test suite
checks this against optbinning on random data.

Notes
-----
Complexity: ``O(n log n)`` for the sort plus ``O(n_distinct * max_leaf_nodes)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["cart_prebin_splits"]

# scikit-learn's tree constants (sklearn/tree/_splitter.pyx, _tree.pyx)
_FEATURE_THRESHOLD = 1e-7
_EPSILON = float(np.finfo(np.float64).eps)


def cart_prebin_splits(
    x: NDArray[np.float64], y: NDArray[np.int8], min_samples_leaf: int, max_leaf_nodes: int
) -> NDArray[np.float64]:
    """Split points of optbinning's CART pre-binning, computed from value counts.

    Parameters
    ----------
    x : ndarray of float64
        Clean values (no NaN, no special codes).
    y : ndarray of 0/1
        Target for ``x``.
    min_samples_leaf : int
        Smallest pre-bin, in samples.
    max_leaf_nodes : int
        At most this many pre-bins.

    Returns
    -------
    ndarray of float64
        Sorted unique thresholds, as ``DecisionTreeClassifier.tree_.threshold`` would give.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(100, dtype=float); y = (x > 60).astype(np.int8)
    >>> cart_prebin_splits(x, y, min_samples_leaf=5, max_leaf_nodes=20).tolist()
    [60.5]
    """
    if x.size == 0:
        return np.empty(0)
    xf = x.astype(np.float32)
    values, inverse = np.unique(xf, return_inverse=True)
    n_groups = values.size
    counts = np.bincount(inverse, minlength=n_groups).astype(np.float64)
    events = np.bincount(inverse, weights=y.astype(np.float64), minlength=n_groups)
    # prefix sums with a leading zero: cum[k] = total over groups [0, k)
    cum_n = np.concatenate(([0.0], np.cumsum(counts)))
    cum_1 = np.concatenate(([0.0], np.cumsum(events)))
    v64 = values.astype(np.float64)
    # a split between groups k and k+1 is allowed only if the values differ by > 1e-7
    allowed = v64[1:] > v64[:-1] + _FEATURE_THRESHOLD
    total = cum_n[-1]
    tree = _Tree(v64, values, cum_n, cum_1, allowed, float(min_samples_leaf), total)

    thresholds: list[float] = []
    # scikit-learn's frontier: a std::vector heap (push_heap / pop_heap on improvement
    # alone) holding every node, leaves included with improvement 0. Its order among
    # equal improvements follows the heap's layout, not insertion, so it is replayed
    # exactly: records are (improvement, a, b, split group or -1 for a leaf).
    frontier: list[tuple[float, int, int, int]] = []
    _push(frontier, _record(tree, 0, n_groups))
    splits_left = max_leaf_nodes - 1
    while frontier and splits_left > 0:
        _, a, b, k = _pop(frontier)
        if k < 0:
            continue  # a leaf
        thresholds.append(tree.threshold(k))
        splits_left -= 1
        _push(frontier, _record(tree, a, k + 1))
        _push(frontier, _record(tree, k + 1, b))
    return np.unique(np.asarray(thresholds, dtype=np.float64))


def _record(tree: _Tree, a: int, b: int) -> tuple[float, int, int, int]:
    found = tree.node(a, b)
    return (0.0, a, b, -1) if found is None else (found[0], a, b, found[1])


def _push(heap: list[tuple[float, int, int, int]], record: tuple[float, int, int, int]) -> None:
    """libstdc++ ``push_heap`` with ``improvement <`` as the ordering."""
    heap.append(record)
    _sift_up(heap, len(heap) - 1, 0, record)


def _pop(heap: list[tuple[float, int, int, int]]) -> tuple[float, int, int, int]:
    """libstdc++ ``pop_heap`` then ``pop_back``: the record with the largest improvement."""
    last = len(heap) - 1
    if last > 0:
        value = heap[last]
        heap[last] = heap[0]
        # __adjust_heap: walk the hole down to a leaf along the larger child (the left
        # one when the right is not larger), then sift the moved record back up
        hole = second = 0
        while second < (last - 1) // 2:
            second = 2 * (second + 1)
            if heap[second][0] < heap[second - 1][0]:
                second -= 1
            heap[hole] = heap[second]
            hole = second
        if last % 2 == 0 and second == (last - 2) // 2:
            second = 2 * (second + 1)
            heap[hole] = heap[second - 1]
            hole = second - 1
        _sift_up(heap, hole, 0, value)
    return heap.pop()


def _sift_up(
    heap: list[tuple[float, int, int, int]],
    hole: int,
    top: int,
    value: tuple[float, int, int, int],
) -> None:
    """libstdc++ ``__push_heap``: move ``value`` up from ``hole`` past smaller parents."""
    parent = (hole - 1) // 2
    while hole > top and heap[parent][0] < value[0]:
        heap[hole] = heap[parent]
        hole = parent
        parent = (hole - 1) // 2
    heap[hole] = value


class _Tree:
    """Per-node split search over group ranges ``[a, b)`` of sorted distinct values."""

    def __init__(
        self,
        v64: NDArray[np.float64],
        v32: NDArray[np.float32],
        cum_n: NDArray[np.float64],
        cum_1: NDArray[np.float64],
        allowed: NDArray[np.bool_],
        min_leaf: float,
        total: float,
    ) -> None:
        self.v64, self.v32, self.cum_n, self.cum_1 = v64, v32, cum_n, cum_1
        self.allowed, self.min_leaf, self.total = allowed, min_leaf, total

    def node(self, a: int, b: int) -> tuple[float, int] | None:
        """(improvement, split group) of a node's best split, or None for a leaf."""
        n = self.cum_n[b] - self.cum_n[a]
        n1 = self.cum_1[b] - self.cum_1[a]
        n0 = n - n1
        impurity = 1.0 - (n0 * n0 + n1 * n1) / (n * n)
        if n < 2 or n < 2 * self.min_leaf or impurity <= _EPSILON:
            return None
        found = self._search(a, b)
        if found is None:
            return None
        k, left_imp, right_imp, wl, wr = found
        improvement = (n / self.total) * (impurity - (wr / n * right_imp) - (wl / n * left_imp))
        return improvement, k

    def _search(self, a: int, b: int) -> tuple[int, float, float, float, float] | None:
        if b - a < 2 or self.v64[b - 1] <= self.v64[a] + _FEATURE_THRESHOLD:
            return None
        ok = self.allowed[a : b - 1]
        wl = self.cum_n[a + 1 : b] - self.cum_n[a]
        n = self.cum_n[b] - self.cum_n[a]
        wr = n - wl
        ok = ok & (wl >= self.min_leaf) & (wr >= self.min_leaf)
        if not ok.any():
            return None
        l1 = self.cum_1[a + 1 : b] - self.cum_1[a]
        l0 = wl - l1
        r1 = (self.cum_1[b] - self.cum_1[a]) - l1
        r0 = wr - r1
        with np.errstate(divide="ignore", invalid="ignore"):
            gini_l = 1.0 - (l0 * l0 + l1 * l1) / (wl * wl)
            gini_r = 1.0 - (r0 * r0 + r1 * r1) / (wr * wr)
            proxy = -wr * gini_r - wl * gini_l
        proxy[~ok] = -np.inf
        j = int(np.argmax(proxy))  # first maximum, as the strict '>' scan in sklearn
        return a + j, float(gini_l[j]), float(gini_r[j]), float(wl[j]), float(wr[j])

    def threshold(self, k: int) -> float:
        """Midpoint between groups ``k`` and ``k + 1`` as scikit-learn computes it."""
        lo = float(self.v32[k])
        hi = float(self.v32[k + 1])
        threshold = lo / 2.0 + hi / 2.0
        if threshold == hi or threshold in (np.inf, -np.inf):
            threshold = lo
        return threshold
