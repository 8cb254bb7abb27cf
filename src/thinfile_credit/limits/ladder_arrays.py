"""Ladder states of many accounts as arrays, and one billing cycle applied to all of them.

* :class:`LadderArrays` - every account's rung, limit, cap, streak, cool-down and flags as
  parallel NumPy arrays, the vectorised form of
  :class:`~thinfile_credit.limits.engine.AccountState`;
* :func:`step_arrays` - one billing cycle for every account at once, applying exactly the
  rules of :func:`thinfile_credit.limits.engine.step`, after checking its inputs;
* ``_step_arrays`` - the same cycle without the checks: the kernel that
  :func:`~thinfile_credit.limits.replay.replay` and
  :func:`~thinfile_credit.limits.simulate.simulate` run every cycle once they have checked
  their inputs.

:class:`LadderArrays` and :func:`step_arrays` are also importable from
:mod:`thinfile_credit.limits.replay` and :mod:`thinfile_credit.limits`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import DataError
from thinfile_credit.limits._checks import float_array
from thinfile_credit.limits.engine import (
    ACTION_LIST,
    Action,
    ceiling_cap,
    not_whole_days,
    open_rungs,
)
from thinfile_credit.limits.engine import loss_cap as _loss_cap
from thinfile_credit.limits.engine import rung_at_most as _rung_at_most
from thinfile_credit.limits.ladder import LimitLadder
from thinfile_credit.limits.reason_codes import REASON_INDEX, REASON_LIST

__all__ = ["LadderArrays", "step_arrays"]

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


# --- helpers ----------------------------------------------------------------------------
def _limits(ladder: LimitLadder, rung: NDArray[np.int64]) -> NDArray[np.float64]:
    # Rung -1 (no line) maps to 0 through a table with a leading zero: one take.
    table = np.concatenate([[0.0], np.asarray(ladder.rungs)])
    return table[rung + 1]


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
