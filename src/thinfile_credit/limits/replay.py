"""Vectorised replay of a ladder over many accounts' repayment histories.

The engine loops over billing cycles only; each cycle updates every account at once with
NumPy, applying exactly the rules of :func:`thinfile_credit.limits.engine.step` (a
property test checks ``replay`` against folding ``step`` over each history).

Examples
--------
>>> import pandas as pd
>>> hist = pd.DataFrame({
...     "account_id": [1, 1, 1, 1, 2, 2],
...     "cycle": [1, 2, 3, 4, 1, 2],
...     "dpd": [0, 0, 0, 0, 12, 0],
...     "utilisation": [0.5, 0.5, 0.5, 0.5, 0.9, 0.1],
...     "score": [610.0] * 6,
... })
>>> init = pd.DataFrame({"account_id": [1, 2], "score": [610.0, 560.0],
...                      "capacity": [800.0, 800.0]})
>>> out = replay(hist, init)
>>> out["limit"].tolist()
[500.0, 500.0, 1000.0, 1000.0, 100.0, 100.0]
>>> out["action"].tolist()[3:]
['hold', 'freeze', 'unfreeze']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import from_polars, to_polars
from thinfile_credit._keys import align_key
from thinfile_credit.errors import DataError, SchemaError
from thinfile_credit.limits._checks import float_array, numeric_column
from thinfile_credit.limits.engine import (
    ACTION_LIST,
    DEFAULT_LADDER,
    Action,
    ceiling_cap,
    not_whole_days,
    open_rungs,
    rung_index,
)
from thinfile_credit.limits.engine import loss_cap as _loss_cap
from thinfile_credit.limits.engine import rung_at_most as _rung_at_most
from thinfile_credit.limits.ladder import LimitLadder
from thinfile_credit.limits.reason_codes import REASON_INDEX, REASON_LIST

__all__ = ["LadderArrays", "replay", "step_arrays"]

_A = {a: np.int8(i) for i, a in enumerate(ACTION_LIST)}
_R = {code: np.int8(i) for code, i in REASON_INDEX.items()}


@dataclass
class LadderArrays:
    """Ladder state of many accounts as parallel NumPy arrays (see ``AccountState``).

    Examples
    --------
    >>> s = LadderArrays.open(LimitLadder(), [530.0, 610.0], [1000.0, 1000.0])
    >>> s.limit.tolist(), s.take(np.array([1])).rung.tolist()
    ([50.0, 500.0], [3])
    """

    rung: NDArray[np.int64]
    limit: NDArray[np.float64]
    cap: NDArray[np.float64]
    cap_reason: NDArray[np.int8]
    streak: NDArray[np.int32]
    cooldown: NDArray[np.int32]
    frozen: NDArray[np.bool_]
    closed: NDArray[np.bool_]

    @classmethod
    def open(
        cls,
        ladder: LimitLadder,
        scores: Any,
        capacity: Any,
        income: Any = None,
    ) -> LadderArrays:
        """Opening states for applicants (rung -1 where no line is granted)."""
        rung, cap, cap_reason, _ = open_rungs(ladder, scores, capacity, income)
        return cls.from_rungs(ladder, rung, cap, cap_reason)

    @classmethod
    def from_rungs(
        cls,
        ladder: LimitLadder,
        rung: NDArray[np.int64],
        cap: NDArray[np.float64],
        cap_reason: NDArray[np.int8],
    ) -> LadderArrays:
        """States from opening rungs and caps (streaks and cool-downs at zero)."""
        n = len(rung)
        return cls(
            rung=rung.astype(np.int64),
            limit=_limits(ladder, rung),
            cap=np.asarray(cap, dtype=np.float64),
            cap_reason=np.asarray(cap_reason, dtype=np.int8),
            streak=np.zeros(n, dtype=np.int32),
            cooldown=np.zeros(n, dtype=np.int32),
            frozen=np.zeros(n, dtype=bool),
            closed=np.zeros(n, dtype=bool),
        )

    def take(self, index: NDArray[np.int64]) -> LadderArrays:
        """The states of a subset of accounts."""
        return LadderArrays(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def put(self, index: NDArray[np.int64], other: LadderArrays) -> None:
        """Write ``other`` back into the positions ``index`` (in place)."""
        for f in fields(self):
            getattr(self, f.name)[index] = getattr(other, f.name)


def step_arrays(
    ladder: LimitLadder,
    state: LadderArrays,
    dpd: NDArray[np.int64],
    utilisation: NDArray[np.float64],
    score: NDArray[np.float64],
    balance: NDArray[np.float64] | None = None,
    target: NDArray[np.int64] | None = None,
) -> tuple[LadderArrays, NDArray[np.int8], NDArray[np.int8]]:
    """One billing cycle for many accounts: the vectorised twin of ``engine.step``.

    Parameters
    ----------
    ladder : LimitLadder
    state : LadderArrays
    dpd, utilisation, score : ndarray of shape (n,)
        The cycle's outcome per account (NaN score where none).
    balance : ndarray, optional
        Outstanding balance (default ``utilisation * limit``; NaN entries likewise).
    target : ndarray of int, optional
        A policy's wanted rung per account (e.g. an MDP policy). When given it replaces
        the ladder's promotion rule for on-time, unfrozen accounts: a move up is still
        barred during a cool-down and bounded by the caps and ``promotion_steps``; a move
        down is a cut with ``LIM_CUT_RISK``. Delinquency rules are unchanged.

    Returns
    -------
    (LadderArrays, actions, reasons)
        New state; int8 codes into ``ACTION_LIST`` and ``REASON_LIST``.

    Raises
    ------
    DataError
        Naming the array (table ``step_arrays``) and the offending positions: DPD that
        is not a whole non-negative number of days, negative or non-finite utilisation,
        infinite scores, negative or infinite balances, targets that are not rungs (or
        -1), text or booleans where numbers are meant, or an array whose length is not
        the number of accounts. Naming the field (table ``LadderArrays``) for a state
        that is not on ``ladder``: a rung out of range, a limit that is not its rung's,
        a NaN or negative cap, an unknown cap reason, negative counters, flags that are
        not booleans, or fields of unequal lengths.

    Notes
    -----
    The checks cost a few passes over the arrays; :func:`replay` and
    :func:`~thinfile_credit.limits.simulate` check their inputs once and then call the
    unchecked kernel every cycle.

    Examples
    --------
    >>> L = LimitLadder()
    >>> s = LadderArrays.open(L, [610.0], [800.0])
    >>> s, a, r = step_arrays(L, s, np.array([3]), np.array([0.5]), np.array([610.0]))
    >>> ACTION_LIST[a[0]].value, REASON_LIST[r[0]]
    ('freeze', 'LIM_FREEZE_DPD')
    >>> step_arrays(L, s, np.array([-5]), np.array([0.5]), np.array([610.0]))
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.DataError: step_arrays.dpd: must be whole, non-negative days (rows: 0)
    """
    if not isinstance(ladder, LimitLadder):
        raise DataError(f"ladder must be a LimitLadder, got {type(ladder).__name__}")
    n = _check_state(ladder, state)
    days = _argument(dpd, "dpd", n)
    _refuse_rows(not_whole_days(days), "dpd", "must be whole, non-negative days")
    util = _argument(utilisation, "utilisation", n)
    scores = _argument(score, "score", n)
    bal = None if balance is None else _argument(balance, "balance", n)
    for name, bad, why in _cycle_problems(util, scores, bal):
        _refuse_rows(bad, name, why)
    wanted = None
    if target is not None:
        goal = _argument(target, "target", n)
        top = len(ladder.rungs) - 1
        off = not_whole_days(goal + 1) | (goal > top)
        _refuse_rows(off, "target", f"must be a rung index in 0..{top}, or -1")
        wanted = goal.astype(np.int64)
    return _step_arrays(ladder, state, days.astype(np.int64), util, scores, bal, wanted)


def _step_arrays(
    ladder: LimitLadder,
    state: LadderArrays,
    dpd: NDArray[np.int64],
    utilisation: NDArray[np.float64],
    score: NDArray[np.float64],
    balance: NDArray[np.float64] | None = None,
    target: NDArray[np.int64] | None = None,
) -> tuple[LadderArrays, NDArray[np.int8], NDArray[np.int8]]:
    """:func:`step_arrays` without its input checks, for callers that checked once."""
    L = ladder
    rungs = np.asarray(L.rungs)
    top = len(rungs) - 1
    n = len(state.rung)
    dpd = np.asarray(dpd)
    action = np.zeros(n, dtype=np.int8)
    reason = np.zeros(n, dtype=np.int8)
    rung = state.rung.copy()
    streak = state.streak.copy()
    frozen = state.frozen.copy()
    closed = state.closed.copy()
    in_cool = state.cooldown > 0
    cool = np.maximum(state.cooldown - 1, 0)
    C = L.cooldown_cycles

    live = ~state.closed & (state.rung >= 0)
    close = live & (dpd >= L.close_dpd)
    rung[close] = -1
    closed[close] = True
    frozen[close] = True
    streak[close] = 0
    cool[close] = 0
    action[close] = _A[Action.CLOSE]
    reason[close] = _R["LIM_CLOSE_DPD"]

    cut_zone = live & ~close & (dpd >= L.cut_dpd)
    if cut_zone.any():
        bal = state.limit * utilisation if balance is None else balance
        bal = np.where(np.isnan(bal), state.limit * utilisation, bal)
        cut_to = np.minimum(np.maximum(_rung_at_most(L, bal), 0), state.rung)
        do_cut = cut_zone & (cut_to < state.rung)
        rung[do_cut] = cut_to[do_cut]
        frozen[do_cut] = True
        streak[do_cut] = 0
        cool[do_cut] = C
        action[do_cut] = _A[Action.CUT]
        reason[do_cut] = _R["LIM_CUT_DPD"]
    else:
        do_cut = cut_zone
    late = live & ~close & ~do_cut & (dpd >= L.freeze_dpd)
    newly = late & ~state.frozen
    frozen[late] = True
    streak[late] = 0
    action[newly] = _A[Action.FREEZE]
    reason[newly] = _R["LIM_FREEZE_DPD"]

    ontime = live & (dpd < L.freeze_dpd)
    streak += ontime  # a bool add: cheaper than a masked update on most accounts
    unfreeze = ontime & state.frozen & (streak >= L.unfreeze_cycles)
    frozen[unfreeze] = False
    cool[unfreeze] = C
    action[unfreeze] = _A[Action.UNFREEZE]
    reason[unfreeze] = _R["LIM_UNFREEZE"]

    open_ok = ontime & ~state.frozen
    if target is None:
        want = open_ok & (streak >= L.promotion_cycles) & (state.rung < top)
    else:
        target = np.asarray(target)
        down = open_ok & (target < state.rung) & (target >= 0)
        rung[down] = target[down]
        streak[down] = 0
        cool[down] = C
        action[down] = _A[Action.CUT]
        reason[down] = _R["LIM_CUT_RISK"]
        want = open_ok & (target > state.rung) & (state.rung < top)
    refuse = np.zeros(n, dtype=bool)
    refuse_reason = np.zeros(n, dtype=np.int8)

    def _refuse(mask: NDArray[np.bool_], code: str) -> NDArray[np.bool_]:
        mask = mask & ~refuse
        refuse[mask] = True
        refuse_reason[mask] = _R[code]
        return mask

    _refuse(want & in_cool, "LIM_NO_INCREASE_COOLDOWN")
    if target is None:
        needs_score = L.min_promotion_score is not None or L.caps.expected_loss_budget is not None
        if needs_score:
            _refuse(want & np.isnan(score), "LIM_NO_INCREASE_NO_SCORE")
        if L.min_promotion_score is not None:
            low = (
                score < L.min_promotion_score
                if L.scale.higher_is_better
                else score > L.min_promotion_score
            )
            _refuse(want & low, "LIM_NO_INCREASE_SCORE")
        _refuse(want & (utilisation < L.min_promotion_utilisation), "LIM_NO_INCREASE_USAGE")
    elif L.caps.expected_loss_budget is not None:
        _refuse(want & np.isnan(score), "LIM_NO_INCREASE_NO_SCORE")
    # Only accounts still in line for a raise need their caps evaluated.
    go = np.flatnonzero(want & ~refuse)
    cap, cap_code = ceiling_cap(L, state.cap[go], state.cap_reason[go])
    if len(go) and L.caps.expected_loss_budget is not None:
        by_loss = _loss_cap(L, score[go])
        tighter = by_loss < cap
        cap = np.where(tighter, by_loss, cap)
        cap_code = np.where(tighter, _R["LIM_CAP_LOSS_BUDGET"], cap_code).astype(np.int8)
    goal = np.minimum(state.rung[go] + L.promotion_steps, top)
    if target is not None:
        goal = np.minimum(goal, target[go])
    goal = np.minimum(goal, _rung_at_most(L, cap))
    raise_ok = goal > state.rung[go]
    up, capped = go[raise_ok], go[~raise_ok]
    refuse[capped] = True
    refuse_reason[capped] = cap_code[~raise_ok]
    rung[up] = goal[raise_ok]
    streak[up] = 0
    cool[up] = C
    action[up] = _A[Action.INCREASE]
    reason[up] = _R["LIM_INCREASE"]
    action[refuse] = _A[Action.REFUSE_INCREASE]
    reason[refuse] = refuse_reason[refuse]

    new = LadderArrays(
        rung=rung,
        limit=_limits(L, rung),
        cap=state.cap,
        cap_reason=state.cap_reason,
        streak=streak,
        cooldown=cool,
        frozen=frozen,
        closed=closed,
    )
    return new, action, reason


def replay(
    histories: Any,
    initial: Any = None,
    *,
    ladder: LimitLadder | None = None,
) -> Any:
    """Replay a ladder over many accounts' billing-cycle histories at once.

    Parameters
    ----------
    histories : DataFrame (pandas, Polars or PyArrow)
        One row per account and cycle: ``account_id``, ``cycle`` (a number or a date:
        cycles are replayed in numeric or time order; text cycles are refused, as their
        order would be alphabetical, ``"10"`` before ``"9"``), ``dpd`` (days past due at
        cycle end, a whole number >= 0), ``utilisation`` (>= 0); optional ``score``
        (behaviour score; NaN/null where none) and ``balance`` (outstanding, yuan).
        Numbers must be numeric columns: text (``"45"``) and booleans are refused.
    initial : DataFrame, optional
        One row per account: ``account_id`` (of the histories' key type, or converted
        to it only where no id changes: ``1.0`` matches ``1``, ``1.7`` and ``"1"`` are
        refused) and either ``score`` + ``capacity``
        (+ optional ``income``) to open each account with the ladder, or ``limit``
        (a rung, or 0) + optional ``cap`` (the account's own ceiling, yuan; null where
        it has none) for accounts already on the book; the ladder's regulatory ceiling
        applies on top of any cap. Without it,
        each account opens from its first history row, which must then carry
        ``capacity`` (and ``income`` if known) and whose ``score`` is taken as the
        application score.
    ladder : LimitLadder, optional
        Defaults to the default ladder.

    Returns
    -------
    DataFrame of the input's kind
        One row per history row, sorted by ``account_id`` then ``cycle``, with the state
        *after* the cycle: ``limit``, ``rung``, ``action``, ``reason_code`` (empty when
        none), ``frozen``, ``closed``, ``streak``, ``cooldown``. A pandas result keeps
        each row's index label from ``histories``, so ``histories["limit"] =
        result["limit"]`` pairs every row with its own cycle whatever the input order.

    Raises
    ------
    SchemaError
        On missing columns, nulls, text or boolean columns where numbers are meant, text
        or boolean or NaN cycles, DPD that is not a whole non-negative number of days,
        negative or non-finite utilisation or balance, infinite scores, duplicate
        (account, cycle) rows, initial account ids that would change when converted to
        the histories' key type, accounts without an initial row, an initial limit that
        is not a rung, or a negative cap. Rows are quoted as positions in the input
        table.
    DataError
        On non-finite or negative opening scores, capacities or incomes (table
        ``initial``, or ``histories`` without one).

    Notes
    -----
    Cost is O(rows) NumPy work in a Python loop over the longest history's cycles.
    Histories of unequal length are handled by updating only the accounts that have a
    row at each position.

    Examples
    --------
    See the module docstring for a two-account example.

    >>> import polars as pl
    >>> h = pl.DataFrame({"account_id": [7], "cycle": [1], "dpd": [40], "utilisation": [0.2]})
    >>> replay(h, pl.DataFrame({"account_id": [7], "limit": [500.0]}))["limit"].to_list()
    [100.0]
    """
    L = ladder or DEFAULT_LADDER
    hist, kind = to_polars(histories, table="histories")
    _require(hist, ("account_id", "cycle", "dpd", "utilisation"), "histories")
    hist, order = _sorted(hist)
    ids = hist["account_id"]
    n_rows = hist.height
    starts_mask = np.ones(n_rows, dtype=bool)
    if n_rows:
        starts_mask[1:] = (ids[1:] != ids[:-1]).to_numpy()
    starts = np.flatnonzero(starts_mask)
    if initial is None:
        # Each account opens from its first history row; errors quote those rows.
        _require(hist, ("score", "capacity"), "histories")
        keep = [c for c in ("account_id", "score", "capacity", "income") if c in hist.columns]
        init = hist.select(keep).gather(starts)
        init_table, init_rows = "histories", starts if order is None else order[starts]
    else:
        init, _ = to_polars(initial, table="initial")
        init_table, init_rows = "initial", None
    _require(init, ("account_id",), init_table)
    accounts = hist.select(pl.col("account_id").gather(starts))
    state = _initial_state(L, accounts, init, init_table, init_rows)
    lengths = np.diff(np.append(starts, n_rows))
    dpd = _days(hist, order)
    util = _floats(hist, "utilisation")
    score = _optional(hist, "score", n_rows)
    balance = _optional(hist, "balance", n_rows) if "balance" in hist.columns else None
    for name, bad, why in _cycle_problems(util, score, balance):
        if bad.any():
            raise SchemaError(
                why, table="histories", column=name, rows=_original(np.flatnonzero(bad), order)
            )

    max_len = int(lengths.max()) if n_rows else 0
    n_acc = len(starts)
    uniform = bool(n_rows) and bool(np.all(lengths == max_len))
    # Results are written per cycle into contiguous (cycles x accounts) blocks of small
    # integer types; the limit is derived from the rung at the end.
    out: dict[str, NDArray[Any]] = {
        "rung": np.zeros((max_len, n_acc), dtype=np.int8),
        "action": np.zeros((max_len, n_acc), dtype=np.int8),
        "reason": np.zeros((max_len, n_acc), dtype=np.int8),
        "frozen": np.zeros((max_len, n_acc), dtype=bool),
        "closed": np.zeros((max_len, n_acc), dtype=bool),
        "streak": np.zeros((max_len, n_acc), dtype=np.int32),
        "cooldown": np.zeros((max_len, n_acc), dtype=np.int32),
    }
    if uniform:
        # One transpose per input column makes every cycle a contiguous row.
        by_cycle = {
            name: np.ascontiguousarray(arr.reshape(n_acc, max_len).T)
            for name, arr in (("dpd", dpd), ("util", util), ("score", score), ("bal", balance))
            if arr is not None
        }
    for t in range(max_len):
        if uniform:
            acc: NDArray[np.int64] | slice = slice(None)
            current = state
            c_dpd, c_util, c_score = by_cycle["dpd"][t], by_cycle["util"][t], by_cycle["score"][t]
            bal = by_cycle["bal"][t] if balance is not None else None
        else:
            acc = np.flatnonzero(lengths > t)
            rows = starts[acc] + t
            current = state.take(acc)
            c_dpd, c_util, c_score = dpd[rows], util[rows], score[rows]
            bal = None if balance is None else balance[rows]
        new, action, reason = _step_arrays(L, current, c_dpd, c_util, c_score, bal)
        if isinstance(acc, slice):
            state = new
        else:
            state.put(acc, new)
        out["rung"][t, acc] = new.rung
        out["action"][t, acc] = action
        out["reason"][t, acc] = reason
        out["frozen"][t, acc] = new.frozen
        out["closed"][t, acc] = new.closed
        out["streak"][t, acc] = new.streak
        out["cooldown"][t, acc] = new.cooldown
    if uniform:
        flat = {k: np.ascontiguousarray(v.T).reshape(-1) for k, v in out.items()}
    else:
        account = np.repeat(np.arange(n_acc), lengths)
        position = np.arange(n_rows) - np.repeat(starts, lengths)
        flat = {k: v[position, account] for k, v in out.items()}
    with_zero = np.concatenate([[0.0], np.asarray(L.rungs)])
    result = hist.select("account_id", "cycle").with_columns(
        pl.Series("limit", with_zero[flat["rung"].astype(np.int64) + 1]),
        pl.Series("rung", flat["rung"]),
        _labels("action", flat["action"], [a.value for a in ACTION_LIST]),
        _labels("reason_code", flat["reason"], list(REASON_LIST)),
        pl.Series("frozen", flat["frozen"]),
        pl.Series("closed", flat["closed"]),
        pl.Series("streak", flat["streak"]),
        pl.Series("cooldown", flat["cooldown"]),
    )
    index = getattr(histories, "index", None) if kind == "pandas" else None
    if index is not None and order is not None:
        index = index[order]  # each sorted row keeps its own input row's label
    return from_polars(result, kind, index=index)


# --- helpers ----------------------------------------------------------------------------
def _limits(ladder: LimitLadder, rung: NDArray[np.int64]) -> NDArray[np.float64]:
    # Rung -1 (no line) maps to 0 through a table with a leading zero: one take.
    table = np.concatenate([[0.0], np.asarray(ladder.rungs)])
    return table[rung + 1]


def _labels(name: str, codes: NDArray[np.int8], labels: list[str]) -> pl.Series:
    # Gathering from the small label series is several times cheaper than a mapping.
    return pl.Series(name, labels, dtype=pl.Enum(labels)).gather(pl.Series(codes))


def _require(df: pl.DataFrame, columns: tuple[str, ...], table: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(f"missing required column(s) {missing}", table=table, column=missing[0])


def _sorted(hist: pl.DataFrame) -> tuple[pl.DataFrame, NDArray[np.int64] | None]:
    """The histories sorted by account and cycle, and the input row of each sorted row.

    The row map is None when the input is already in order (the common case for exports);
    error messages quote input rows through it. Cycles must be numbers or dates: text
    would be ordered alphabetically (``"10"`` before ``"9"``), so it is refused.
    """
    cycle_type = hist.schema["cycle"]
    if not (cycle_type.is_numeric() or cycle_type.is_temporal()):
        raise SchemaError(
            f"must be numbers or dates, got {cycle_type} (text cycles would be ordered "
            "alphabetically, '10' before '9'; booleans are not cycles)",
            table="histories",
            column="cycle",
        )
    if cycle_type.is_float():
        nan = hist["cycle"].is_nan().fill_null(False)
        if nan.any():
            raise SchemaError(
                "NaN cycles have no place in the order",
                table="histories",
                column="cycle",
                rows=np.flatnonzero(nan.to_numpy()).tolist(),
            )
    for col in ("account_id", "cycle", "dpd", "utilisation"):
        nulls = hist[col].is_null()
        if nulls.any():
            raise SchemaError(
                "null values",
                table="histories",
                column=col,
                rows=np.flatnonzero(nulls.to_numpy()).tolist(),
            )
    ids = hist["account_id"]
    cyc = hist["cycle"]
    # Skip the sort when the frame is already ordered (the common case for exports).
    if hist.height > 1:
        same = (ids[1:] == ids[:-1]).to_numpy()
        ordered = bool(((ids[1:] > ids[:-1]).to_numpy() | same).all()) and bool(
            ((cyc[1:] > cyc[:-1]).to_numpy() | ~same).all()
        )
    else:
        ordered = True
    if ordered:
        return hist, None
    hist = hist.with_row_index("_row").sort(["account_id", "cycle"], maintain_order=True)
    order = hist["_row"].to_numpy().astype(np.int64)
    same = (hist["account_id"][1:] == hist["account_id"][:-1]).to_numpy()
    dup = same & (hist["cycle"][1:] == hist["cycle"][:-1]).to_numpy()
    if dup.any():
        raise SchemaError(
            "duplicate (account_id, cycle) rows",
            table="histories",
            column="cycle",
            rows=order[1:][dup].tolist(),
        )
    return hist.drop("_row"), order


def _original(rows: NDArray[np.int64], order: NDArray[np.int64] | None) -> list[int]:
    """Input row numbers of sorted rows (for error messages)."""
    return sorted((rows if order is None else order[rows]).tolist())


def _days(hist: pl.DataFrame, order: NDArray[np.int64] | None) -> NDArray[np.int64]:
    """``dpd`` as whole days: fractional, non-finite or negative values are errors."""
    col = hist["dpd"]
    if col.dtype.is_integer():
        days = col.to_numpy().astype(np.int64, copy=False)
        bad = days < 0
    else:
        values = numeric_column(hist, "dpd", "histories").to_numpy()
        bad = not_whole_days(values)
        days = np.where(bad, 0, values).astype(np.int64)
    if bad.any():
        raise SchemaError(
            "must be whole, non-negative days",
            table="histories",
            column="dpd",
            rows=_original(np.flatnonzero(bad), order),
        )
    return days


def _initial_state(
    L: LimitLadder,
    accounts: pl.DataFrame,
    init: pl.DataFrame,
    table: str = "initial",
    rows: NDArray[np.int64] | None = None,
) -> LadderArrays:
    """Opening states of ``accounts`` from ``init`` (whose row ``i`` is ``table`` row
    ``rows[i]``, or ``i`` when ``rows`` is None, in error messages)."""
    init = init.with_columns(
        pl.Series("_row", np.arange(init.height) if rows is None else rows, dtype=pl.Int64)
    )
    dups = init["account_id"].is_duplicated()
    if dups.any():
        raise SchemaError(
            "duplicate account_id",
            table=table,
            column="account_id",
            rows=init["_row"].filter(dups).to_list(),
        )
    try:
        # Lossless only: a cast would truncate 1.7 to 1 and read "01" as 1, handing one
        # account's limit to another.
        key = align_key(
            init["account_id"],
            accounts.schema["account_id"],
            table=table,
            column="account_id",
            reference="histories.account_id",
        )
    except SchemaError as err:  # quote this table's rows
        quoted = None if err.rows is None else init["_row"].gather(err.rows).to_list()
        raise SchemaError(err.message, table=table, column="account_id", rows=quoted) from None
    init = init.with_columns(key)
    # Amounts are read as numbers only: text ("500") and booleans are refused.
    init = init.with_columns(
        numeric_column(init, c, table)
        for c in ("limit", "cap", "score", "capacity", "income")
        if c in init.columns
    )
    if init.height == accounts.height and init["account_id"].equals(accounts["account_id"]):
        joined = init  # already aligned (the usual export order): skip the join
    else:
        joined = accounts.join(init, on="account_id", how="left", maintain_order="left")
    probe = "limit" if "limit" in init.columns else "score"
    if probe not in init.columns:
        raise SchemaError(
            "needs either 'limit' or 'score' and 'capacity'", table=table, column="score"
        )
    absent = joined["_row"].is_null()
    if absent.any():
        raise SchemaError(
            "accounts in histories without an initial row (rows: their account ids)",
            table=table,
            column="account_id",
            rows=joined["account_id"].filter(absent).to_list(),
        )
    n = joined.height
    src = joined["_row"].to_numpy()
    nulls = joined[probe].is_null().to_numpy()
    if nulls.any():
        raise SchemaError(
            "null values", table=table, column=probe, rows=sorted(src[nulls].tolist())
        )
    if "limit" not in init.columns:
        _require(init, ("score", "capacity"), table)
        income = joined["income"].to_numpy() if "income" in joined.columns else None
        try:
            return LadderArrays.open(
                L, joined["score"].to_numpy(), joined["capacity"].to_numpy(), income
            )
        except DataError as err:  # quote this table's rows, not account positions
            quoted = None if err.rows is None else sorted(src[np.asarray(err.rows)].tolist())
            raise type(err)(err.message, table=table, column=err.column, rows=quoted) from None
    rung = rung_index(L, joined["limit"].to_numpy())
    if (rung == -2).any():
        raise SchemaError(
            "initial limit is not a rung of the ladder (or 0)",
            table=table,
            column="limit",
            rows=sorted(src[rung == -2].tolist()),
        )
    # An account's own cap (e.g. the lender's affordability assessment); a null cap means
    # none was set, so only the regulatory ceiling binds - never "no cap".
    given = (
        joined["cap"].fill_null(np.nan).to_numpy() if "cap" in init.columns else np.full(n, np.nan)
    )
    bad = given < 0
    if bad.any():
        raise SchemaError(
            "must not be negative (null where the account has no cap of its own)",
            table=table,
            column="cap",
            rows=sorted(src[bad].tolist()),
        )
    # The regulatory ceiling applies on top where the cap is used (ceiling_cap in
    # step_arrays), as for a state built by hand.
    cap = np.where(np.isnan(given), np.inf, given)
    return LadderArrays.from_rungs(L, rung, cap, np.full(n, _R["LIM_CAP_ACCOUNT"]))


def _floats(df: pl.DataFrame, name: str) -> NDArray[np.float64]:
    """A numeric ``histories`` column as float64 (NaN where null)."""
    return numeric_column(df, name, "histories").fill_null(np.nan).to_numpy()


def _cycle_problems(
    util: NDArray[np.float64],
    score: NDArray[np.float64],
    balance: NDArray[np.float64] | None,
) -> Iterator[tuple[str, NDArray[np.bool_], str]]:
    """``(column, bad rows mask, why)`` for a cycle's outcomes (replay and step_arrays)."""
    yield "utilisation", ~(np.isfinite(util) & (util >= 0)), "must be finite and not negative"
    yield "score", np.isinf(score), "must be finite"
    if balance is not None:
        ok = np.isnan(balance) | (np.isfinite(balance) & (balance >= 0))
        yield "balance", ~ok, "must be finite and not negative"


def _refuse_rows(bad: NDArray[np.bool_], column: str, why: str, table: str = "step_arrays") -> None:
    if bad.any():
        raise DataError(why, table=table, column=column, rows=np.flatnonzero(bad).tolist())


def _argument(values: Any, name: str, n: int) -> NDArray[np.float64]:
    """A ``step_arrays`` argument as a float array of one value per account."""
    arr = float_array(values, name, table="step_arrays")
    if arr.ndim != 1 or len(arr) != n:
        raise DataError(
            f"must hold one value per account: shape {arr.shape} for {n} accounts "
            "(nothing is broadcast)",
            table="step_arrays",
            column=name,
        )
    return arr


# NumPy dtype kinds of the LadderArrays fields (integers where not listed).
_STATE_KINDS = {"limit": "f", "cap": "f", "frozen": "b", "closed": "b"}
_KIND_NAMES = {"f": "floats", "b": "booleans", "iu": "integers"}


def _check_state(ladder: LimitLadder, state: LadderArrays) -> int:
    """The number of accounts in ``state``, after checking that it sits on ``ladder``."""
    if not isinstance(state, LadderArrays):
        raise DataError(f"state must be LadderArrays, got {type(state).__name__}")
    rung = state.rung
    n = len(rung) if isinstance(rung, np.ndarray) and rung.ndim == 1 else -1
    for f in fields(state):
        arr = getattr(state, f.name)
        if not isinstance(arr, np.ndarray) or arr.shape != (max(n, 0),):
            raise DataError(
                "must be a 1-D array with one entry per account (as long as rung)",
                table="LadderArrays",
                column=f.name,
            )
        kind = _STATE_KINDS.get(f.name, "iu")
        if arr.dtype.kind not in kind:
            raise DataError(
                f"must hold {_KIND_NAMES[kind]}, got {arr.dtype}",
                table="LadderArrays",
                column=f.name,
            )
    top = len(ladder.rungs) - 1

    def refuse(bad: NDArray[np.bool_], column: str, why: str) -> None:
        _refuse_rows(bad, column, why, table="LadderArrays")

    refuse((rung < -1) | (rung > top), "rung", f"must lie in -1..{top} on this ladder")
    refuse(state.limit != _limits(ladder, rung), "limit", "must be the limit of its rung")
    refuse(~(state.cap >= 0), "cap", "must be >= 0 (inf for no cap of its own), not NaN")
    bad_reason = (state.cap_reason < 0) | (state.cap_reason >= len(REASON_LIST))
    refuse(bad_reason, "cap_reason", "must be a code into REASON_LIST")
    for name in ("streak", "cooldown"):
        refuse(getattr(state, name) < 0, name, "must not be negative")
    return n


def _optional(df: pl.DataFrame, name: str, n: int) -> NDArray[np.float64]:
    return _floats(df, name) if name in df.columns else np.full(n, np.nan)
