"""Point-in-time cuts as gather indices, compiled with numba.

A cut of an event table keyed by user (orders, bills, loans...) keeps, for each query
(an application, or an application's neighbour), the user's events strictly before the
query moment. A hash join materialises every (application, event) pair of the user and
filters afterwards, and the batch engine then sorts the result by application and window
band. Here the events are bucketed by user once (a counting sort, linear), and each
query walks its user's bucket twice: once to count the rows it keeps, once to write
their positions grouped by *band* (narrowest window first, see
:class:`~thinfile_credit.features._windows._Windows`). The result is the gather index
of the sorted cut, so the engine moves each column once and never sorts.

The rules themselves (strictly before ``t``; a null moment is never before ``t``; a
window holds ``t - time <= width``, a due window also ``time < t``) are those of
:mod:`~thinfile_credit.features.pit`;
``tests/features/test_gather.py`` checks the index against those rules written plainly,
and the cross-engine tests check every feature against the narwhals engine.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import polars as pl

__all__ = ["NULL_TIME", "CutIndex", "as_times", "cut_index", "gather", "user_codes"]

#: Stands for a null moment: never strictly before any ``t``, inside no window.
NULL_TIME = np.iinfo(np.int64).max

#: Held around the parallel kernels: numba's fallback threading layer (workqueue, used
#: where neither OpenMP nor TBB is found) aborts the process if two threads launch
#: parallel kernels at once, so builds running in threads take turns here.
PARALLEL = threading.Lock()


class CutIndex:
    """Where each query's rows of a cut lie in the event table, written block by block.

    Queries come in ``queries`` order (by user, unless kept in their given order); the
    rows of query ``queries[i]`` are positions ``start[i]:start[i + 1]`` of the cut.
    :meth:`rows` writes the event rows of a range of queries, so a caller can work on a
    cut of any size a block at a time (see :meth:`blocks`).
    """

    def __init__(
        self, queries: np.ndarray, start: np.ndarray, kernel_args: tuple[Any, ...]
    ) -> None:
        self.queries = queries
        self.start = start
        self._args = kernel_args

    @property
    def size(self) -> int:
        """Rows of the whole cut."""
        return int(self.start[-1])

    def rows(self, first: int = 0, last: int | None = None) -> np.ndarray:
        """Event rows of queries ``queries[first:last]``, band by band."""
        from thinfile_credit.features import _gather_kernels as k

        last = self.queries.size if last is None else last
        ptr, order, cut_time, band_time, q_code, q_t, widths, due = self._args
        with PARALLEL:
            return k.call(
                k.rows,
                ptr,
                order,
                cut_time,
                band_time,
                self.queries,
                q_code,
                q_t,
                widths,
                due,
                self.start,
                first,
                last,
            )

    def repeat(self, per_query: np.ndarray, first: int = 0, last: int | None = None) -> np.ndarray:
        """A per-query array (in query-number order) repeated onto the rows of a block."""
        last = self.queries.size if last is None else last
        counts = np.diff(self.start[first : last + 1])
        return np.repeat(np.asarray(per_query)[self.queries[first:last]], counts)

    def blocks(self, max_rows: int, breaks: np.ndarray | None = None) -> list[tuple[int, int]]:
        """Query ranges ``(first, last)`` of at most ``max_rows`` rows each.

        A range holds at least one query (so one query with more rows is a block of its
        own). ``breaks`` (bool per query position) restricts where a block may start.
        """
        n = self.queries.size
        if n == 0:
            return []
        # where a block may end (and the next one start); the last one ends at n
        if breaks is None:
            allowed = np.arange(1, n + 1)
        else:
            allowed = np.r_[np.flatnonzero(breaks[1:]) + 1, n]
        at = self.start[allowed]
        out: list[tuple[int, int]] = []
        first = 0
        while first < n:
            lo = int(np.searchsorted(allowed, first, side="right"))
            hi = int(np.searchsorted(at, self.start[first] + max_rows, side="right"))
            last = int(allowed[hi - 1] if hi > lo else allowed[lo])
            out.append((first, last))
            first = last
        return out


def user_codes(
    query_users: pl.Series, event_users: pl.Series
) -> tuple[np.ndarray, np.ndarray, int]:
    """Dense integer codes of the users: ``(query codes, event codes, n_codes)``.

    Event users absent from the queries get ``-1``. Integer ids in a compact range are
    their own offset from the smallest id; other ids (text, sparse integers) are coded
    through one join on the queries' distinct users.
    """
    if query_users.len() == 0:
        return (
            np.empty(0, np.int64),
            np.full(event_users.len(), -1, np.int64),
            0,
        )
    if query_users.dtype.is_integer() and event_users.dtype.is_integer():
        lo, hi = query_users.min(), query_users.max()
        assert isinstance(lo, int)
        assert isinstance(hi, int)
        span = hi - lo + 1
        if span <= 4 * (query_users.len() + event_users.len()) + 1024:
            q = query_users.to_numpy().astype(np.int64) - lo
            e = event_users.to_numpy().astype(np.int64) - lo
            e[(e < 0) | (e >= span)] = -1
            return q, e, int(span)
    # in order of value: codes (and what is ordered by them, such as the order a
    # neighbour's bills are summed in) must not change from run to run, and the order
    # users first appear in can (the edge table comes from a group-by)
    distinct = query_users.unique().sort().to_frame("_k").with_row_index("_u")
    q = _lookup(query_users, distinct)
    e = _lookup(event_users.cast(query_users.dtype, strict=False), distinct)
    return q, e, distinct.height


def _lookup(users: pl.Series, distinct: pl.DataFrame) -> np.ndarray:
    coded = users.to_frame("_k").join(distinct, on="_k", how="left", maintain_order="left")
    return coded["_u"].fill_null(-1).cast(pl.Int64).to_numpy()


def as_times(series: pl.Series) -> np.ndarray:
    """Integer microseconds with :data:`NULL_TIME` for null."""
    return series.cast(pl.Int64).fill_null(NULL_TIME).to_numpy()


def cut_index(
    query_codes: np.ndarray,
    query_t: np.ndarray,
    event_codes: np.ndarray,
    n_codes: int,
    cut_time: np.ndarray,
    band_time: np.ndarray | None = None,
    widths: np.ndarray | None = None,
    *,
    due: bool = False,
    in_order: bool = False,
) -> CutIndex:
    """The rows of each query's cut: events of its user with ``cut_time < t``.

    Parameters
    ----------
    query_codes, query_t : numpy.ndarray
        Per query, its user's code (``-1``: no events) and moment (int64 microseconds).
    event_codes : numpy.ndarray
        Per event row, its user's code (``-1``: ignored).
    n_codes : int
        Codes run over ``0..n_codes-1``.
    cut_time : numpy.ndarray
        Per event row, the moment that must be strictly before ``t``
        (:data:`NULL_TIME` for null).
    band_time, widths : numpy.ndarray, optional
        Nested windows ``t - band_time <= widths[j]`` (``widths`` ascending): rows of a
        query are ordered narrowest window first, rows outside every window last.
    due : bool, default False
        The windows also require ``band_time < t`` (:func:`pit.due_within`).
    in_order : bool, default False
        Keep the queries in their given order (their rows then follow it) instead of
        grouping them by user, which reads the events faster.

    Returns
    -------
    CutIndex
    """
    from thinfile_credit.features import _gather_kernels as k

    if widths is None or band_time is None:
        widths = np.empty(0, np.int64)
    widths = np.ascontiguousarray(widths, np.int64)
    query_codes = np.ascontiguousarray(query_codes, np.int64)
    banded = widths.size > 0
    ptr, order, cut_sorted, band_sorted = k.call(
        k.bucket_times,
        np.ascontiguousarray(event_codes, np.int64),
        n_codes,
        np.ascontiguousarray(cut_time, np.int64),
        np.ascontiguousarray(cut_time if band_time is None else band_time, np.int64),
        banded,
    )
    if in_order:
        queries = np.flatnonzero(query_codes >= 0)
    else:
        _, queries = k.call(k.bucket, query_codes, n_codes)  # queries without events drop out
    query_t = np.ascontiguousarray(query_t, np.int64)
    with PARALLEL:
        start = k.call(k.count, ptr, cut_sorted, queries, query_codes, query_t)
    args = (ptr, order, cut_sorted, band_sorted, query_codes, query_t, widths, due)
    return CutIndex(queries, start, args)


def gather(table: pl.DataFrame, rows: np.ndarray, columns: list[str]) -> pl.DataFrame:
    """``columns`` of ``table`` at ``rows`` (in that order)."""
    return table.select(columns).gather(pl.Series(rows, dtype=pl.Int64))
