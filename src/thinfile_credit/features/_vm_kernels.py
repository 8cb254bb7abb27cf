"""The vector machine's instruction set and the compiled loops that run it (numba, cached).

A :class:`~thinfile_credit.features._vm.Program` is an int64 array of instructions over
float64 registers; :func:`run_code` runs a range of them in one compiled call, the
aggregates included. The arithmetic follows NumPy's to the bit (its floor division and
remainder, its pairwise summation, ``std`` with ``ddof=1``, ``np.median``), so the
compiled online path gives what the tree walker gives. Kept apart from the program
builder (:mod:`~thinfile_credit.features._vm`): numba's cache of these functions is keyed
on this file's modification time, so editing the builder does not recompile them.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from thinfile_credit.features._segment_kernels import KINDS, _shell_sort, distinct_sorted

__all__ = [
    "AGG_CODES",
    "floor_divide",
    "is_in",
    "keep",
    "over_window",
    "pairwise_sum",
    "reduce_kept",
    "remainder",
    "run_code",
]

# Instructions are rows ``(op, dst, a, b, c)`` of an int64 array. Registers hold
# float64: booleans as 1.0/0.0, null as NaN, strings and other objects as codes (one
# number per distinct value of the call, NaN for None).
_FILL = 0  # dst <- consts[a]
_ADD, _SUB, _MUL, _DIV, _FLOORDIV, _MOD = 1, 2, 3, 4, 5, 6  # dst <- a op b
_LT, _LE, _GT, _GE, _EQ, _NE, _AND, _OR = 7, 8, 9, 10, 11, 12, 13, 14
_NOT, _ISNULL = 15, 16  # dst <- op a
_WHEN = 17  # dst <- a ? b : c
_ISIN = 18  # dst <- a in consts[b : b + c]
_OVER_SUM, _OVER_MAX = 19, 20  # dst <- window of a per group b (-1: all rows), groups consts[c]
_AGG = 21  # out[dst] <- kind c of a where mask b (-1: none)

#: Aggregate kinds of :data:`_AGG` instructions: the batch kernels' numbering.
AGG_CODES = KINDS
_COUNT, _SUM, _MEAN, _MAX, _MIN, _STD, _MEDIAN, _NUNIQUE = (
    KINDS[k] for k in ("count", "sum", "mean", "max", "min", "std", "median", "nunique")
)
_SORTING = (_MEDIAN, _NUNIQUE)  # reorder the kept values


@numba.njit(cache=True, nogil=True, error_model="numpy")
def run_code(
    regs: np.ndarray,
    code: np.ndarray,
    start: int,
    stop: int,
    consts: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover
    """Run ``code[start:stop]`` on the registers ``regs`` (one row each)."""
    n = regs.shape[1]
    buf = np.empty(n, np.float64)
    tmp = np.empty(n, np.float64)
    seen = np.zeros(0, np.int64)  # distinct counts of whole numbers, made on first use
    last = -1  # the aggregate whose kept values buf[:kept] holds, in row order
    kept = 0
    for k in range(start, stop):
        op = code[k, 0]
        dst = code[k, 1]
        a = code[k, 2]
        b = code[k, 3]
        c = code[k, 4]
        if op == _FILL:
            regs[dst, :] = consts[a]
        elif op <= _OR:
            _binary(op, regs[dst], regs[a], regs[b])
        elif op in (_NOT, _ISNULL):
            _unary(op, regs[dst], regs[a])
        elif op == _WHEN:
            z, cond, x, y = regs[dst], regs[a], regs[b], regs[c]
            for i in range(n):
                z[i] = x[i] if cond[i] != 0.0 else y[i]
        elif op == _ISIN:
            is_in(regs[dst], regs[a], consts[b : b + c])
        elif op in (_OVER_SUM, _OVER_MAX):
            n_groups = int(consts[c]) + 1 if b >= 0 else 0
            group = regs[b] if b >= 0 else regs[a]
            over_window(op == _OVER_SUM, regs[dst], regs[a], group, n_groups, buf)
            last = -1  # buf overwritten
        else:
            if last < 0 or code[last, 2] != a or code[last, 3] != b:
                mask = regs[b] if b >= 0 else regs[a]
                kept = keep(regs[a], mask, b >= 0, buf)
            last = k
            if c == _NUNIQUE and seen.size == 0:
                seen = np.zeros(4 * n + 64, np.int64)
            out[dst] = reduce_kept(c, buf, kept, tmp, seen)
            if c in _SORTING:
                last = -1  # buf reordered


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _binary(op: int, z: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:  # pragma: no cover
    """``z = x op y`` elementwise, with NumPy's rules (``div`` by 0 is null)."""
    n = z.size
    if op == _ADD:
        for i in range(n):
            z[i] = x[i] + y[i]
    elif op == _SUB:
        for i in range(n):
            z[i] = x[i] - y[i]
    elif op == _MUL:
        for i in range(n):
            z[i] = x[i] * y[i]
    elif op == _DIV:
        for i in range(n):
            z[i] = x[i] / y[i] if y[i] != 0.0 else np.nan
    elif op == _FLOORDIV:
        for i in range(n):
            z[i] = floor_divide(x[i], y[i])
    elif op == _MOD:
        for i in range(n):
            z[i] = remainder(x[i], y[i])
    elif op == _LT:
        for i in range(n):
            z[i] = 1.0 if x[i] < y[i] else 0.0
    elif op == _LE:
        for i in range(n):
            z[i] = 1.0 if x[i] <= y[i] else 0.0
    elif op == _GT:
        for i in range(n):
            z[i] = 1.0 if x[i] > y[i] else 0.0
    elif op == _GE:
        for i in range(n):
            z[i] = 1.0 if x[i] >= y[i] else 0.0
    elif op == _EQ:
        for i in range(n):
            z[i] = 1.0 if x[i] == y[i] else 0.0
    elif op == _NE:
        for i in range(n):
            z[i] = 1.0 if x[i] != y[i] else 0.0
    elif op == _AND:
        for i in range(n):
            z[i] = 1.0 if x[i] != 0.0 and y[i] != 0.0 else 0.0
    else:
        for i in range(n):
            z[i] = 1.0 if x[i] != 0.0 or y[i] != 0.0 else 0.0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _unary(op: int, z: np.ndarray, x: np.ndarray) -> None:  # pragma: no cover
    """``not`` (NaN is true, as in NumPy's bool cast) or ``is_null`` elementwise."""
    if op == _NOT:
        for i in range(z.size):
            z[i] = 1.0 if x[i] == 0.0 else 0.0
    else:
        for i in range(z.size):
            z[i] = 1.0 if x[i] != x[i] else 0.0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def is_in(z: np.ndarray, x: np.ndarray, members: np.ndarray) -> None:  # pragma: no cover
    """``z = x in members``: codes (whole numbers from 0, NaN for None) looked up in a
    table of the members' codes (-1: a literal no row holds)."""
    size = 0
    for v in members:
        size = max(size, int(v) + 1)
    table = np.zeros(size, np.bool_)
    for v in members:
        if v >= 0.0:
            table[int(v)] = True
    for i in range(x.size):
        v = x[i]
        z[i] = 1.0 if v == v and v < size and table[int(v)] else 0.0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def floor_divide(a: float, b: float) -> float:  # pragma: no cover
    """``np.floor_divide`` of two floats (NumPy's ``npy_floor_divide``)."""
    if b == 0.0:
        return a / b
    if _integral(a) and _integral(b):  # exact for such whole numbers, and quicker
        return np.floor(a / b)
    mod = np.fmod(a, b)
    div = (a - mod) / b
    if mod != 0.0 and (b < 0.0) != (mod < 0.0):
        div -= 1.0
    if div != 0.0:
        floordiv = np.floor(div)
        if div - floordiv > 0.5:
            floordiv += 1.0
        return floordiv
    return math.copysign(0.0, a / b)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def remainder(a: float, b: float) -> float:  # pragma: no cover
    """``np.mod`` of two floats (NumPy's ``npy_remainder``)."""
    if b == 0.0 or b != b or a != a:
        return np.nan
    if _integral(a) and _integral(b):
        r = a - b * np.floor(a / b)
        return r if r != 0.0 else math.copysign(0.0, b)
    mod = np.fmod(a, b)
    if mod != 0.0:
        if (b < 0.0) != (mod < 0.0):
            mod += b
        return mod
    return math.copysign(0.0, b)


@numba.njit(cache=True, nogil=True, inline="always")
def _integral(x: float) -> bool:  # pragma: no cover
    """A whole number of magnitude below 2**52.

    For two such numbers (the divisor not 0) the rounded quotient never reaches the next
    whole number, so ``floor(a / b)`` is the exact floor, and ``a - b * floor(a / b)``
    the exact remainder: what NumPy's division algorithm gives, in a few instructions.
    """
    return -4503599627370496.0 < x < 4503599627370496.0 and x == np.floor(x)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def pairwise_sum(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover
    """NumPy's pairwise sum of ``a[lo:lo + n]`` (``np.add.reduce`` adds it to 0.0).

    Blocks of up to 128 values are summed by :func:`_block_sum`; a longer range is
    split in two (the first half a multiple of 8) and the halves' sums are added. The
    recursion runs on an explicit stack: numba cannot cache recursive functions.
    """
    if n <= 128:
        return _block_sum(a, lo, n)
    starts = np.empty(64, np.int64)  # the frames: a range, and its left half's sum
    sizes = np.empty(64, np.int64)
    left = np.empty(64, np.float64)
    has_left = np.zeros(64, np.bool_)
    top = 0
    starts[0] = lo
    sizes[0] = n
    while True:
        if sizes[top] > 128:  # descend into the left half
            has_left[top] = False
            top += 1
            starts[top] = starts[top - 1]
            sizes[top] = _left_size(sizes[top - 1])
            continue
        total = _block_sum(a, starts[top], sizes[top])
        top -= 1
        while top >= 0 and has_left[top]:  # a right half: finish its parents
            total = left[top] + total
            top -= 1
        if top < 0:
            return total
        left[top] = total  # a left half: on to its right sibling
        has_left[top] = True
        half = _left_size(sizes[top])
        top += 1
        starts[top] = starts[top - 1] + half
        sizes[top] = sizes[top - 1] - half


@numba.njit(cache=True, nogil=True, inline="always")
def _left_size(n: int) -> int:  # pragma: no cover
    half = n // 2
    return half - half % 8


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _block_sum(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover
    """NumPy's sum of up to 128 values: eight interleaved partial sums, then the rest."""
    if n < 8:
        res = -0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    stop = lo + n - n % 8
    i = lo + 8
    while i < stop:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        res += a[i]
        i += 1
    return res


@numba.njit(cache=True, nogil=True, error_model="numpy")
def keep(
    x: np.ndarray, mask: np.ndarray, use_mask: bool, buf: np.ndarray
) -> int:  # pragma: no cover
    """Copy the present values of ``x`` where ``mask`` is true (non-zero) to ``buf``, in
    row order; how many."""
    k = 0
    if use_mask:
        for i in range(x.size):  # branch-free: masks are unpredictable
            v = x[i]
            buf[k] = v
            k += (v == v) & (mask[i] != 0.0)
    else:
        for i in range(x.size):
            v = x[i]
            buf[k] = v
            k += v == v
    return k


@numba.njit(cache=True, nogil=True, error_model="numpy")
def reduce_kept(
    kind: int, buf: np.ndarray, k: int, tmp: np.ndarray, seen: np.ndarray
) -> float:  # pragma: no cover
    """One aggregate (an :data:`AGG_CODES` kind) of ``buf[:k]``, as NumPy computes it.

    ``median`` and ``nunique`` may reorder ``buf[:k]``; ``tmp`` is scratch, and ``seen``
    (zeros, or marks below any earlier mark) counts distinct whole numbers.
    """
    if kind == _COUNT:
        return float(k)
    if kind == _SUM:
        return 0.0 + pairwise_sum(buf, 0, k)
    if kind == _NUNIQUE:
        return float(_distinct(buf, k, seen))
    if k == 0:
        return np.nan
    if kind == _MEAN:
        return (0.0 + pairwise_sum(buf, 0, k)) / k
    if kind in (_MIN, _MAX):
        best = buf[0]
        for i in range(1, k):
            if (buf[i] < best) if kind == _MIN else (buf[i] > best):
                best = buf[i]
        return best
    if kind == _MEDIAN:  # np.median: the mean of the middle value(s)
        _shell_sort(buf, k)
        if k % 2:
            return 0.0 + pairwise_sum(buf, k // 2, 1)
        return (0.0 + pairwise_sum(buf, k // 2 - 1, 2)) / 2.0
    if k < 2:
        return np.nan
    mean = (0.0 + pairwise_sum(buf, 0, k)) / k  # x.std(ddof=1), step by step
    for i in range(k):
        d = buf[i] - mean
        tmp[i] = d * d
    return math.sqrt((0.0 + pairwise_sum(tmp, 0, k)) / (k - 1))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _distinct(buf: np.ndarray, k: int, seen: np.ndarray) -> int:  # pragma: no cover
    """Distinct values of ``buf[:k]`` (-0.0 and 0.0 are one, as in a Python set).

    Whole numbers within a span ``seen`` can index (days, codes...) are marked there with
    a number larger than any mark before (``seen[-1]`` keeps the last); others are sorted
    and counted.
    """
    if k == 0:
        return 0
    lo = buf[0]
    hi = buf[0]
    whole = True
    for i in range(k):
        lo = min(lo, buf[i])
        hi = max(hi, buf[i])
        whole &= buf[i] == np.floor(buf[i])
    if whole and hi - lo < seen.size - 1:
        seen[-1] += 1
        mark = seen[-1]
        distinct = 0
        for i in range(k):
            j = int(buf[i] - lo)
            if seen[j] != mark:
                seen[j] = mark
                distinct += 1
        return distinct
    _shell_sort(buf, k)
    return int(distinct_sorted(buf, k))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def over_window(
    is_sum: bool, z: np.ndarray, x: np.ndarray, group: np.ndarray, n_groups: int, buf: np.ndarray
) -> None:  # pragma: no cover
    """Sum or max of the present ``x`` of each row's group, written to every row.

    ``group`` holds codes ``0..n_groups - 2`` (NaN: the group ``n_groups - 1``); with no
    groups (``n_groups == 0``) all rows are one. The tree walker's rules: a sum adds the
    rows in order per group (``np.bincount``) or pairwise over all rows; a max of no
    present value, or of ``-inf`` only within a group, is null.
    """
    n = x.size
    if n_groups == 0:
        if is_sum:
            k = 0
            for i in range(n):
                buf[k] = x[i]
                if x[i] == x[i]:
                    k += 1
            total = 0.0 + pairwise_sum(buf, 0, k)
        else:
            total = np.nan
            for i in range(n):
                if x[i] == x[i] and not x[i] <= total:
                    total = x[i]
        z[:] = total
        return
    acc = np.zeros(n_groups) if is_sum else np.full(n_groups, -np.inf)
    ids = np.empty(n, np.int64)
    for i in range(n):
        g = int(group[i]) if group[i] == group[i] else n_groups - 1
        ids[i] = g
        if is_sum:
            acc[g] += x[i] if x[i] == x[i] else 0.0
        elif x[i] == x[i] and x[i] > acc[g]:
            acc[g] = x[i]
    if not is_sum:
        for g in range(n_groups):
            if acc[g] == -np.inf:
                acc[g] = np.nan
    for i in range(n):
        z[i] = acc[ids[i]]
