"""Limit engines: first limits (vectorised) and the pure one-cycle state transition.

:func:`step` is the reference semantics of a ladder: one account, one billing cycle, no
side effects. :func:`thinfile_credit.limits.replay` applies the same rules to millions of
accounts at once and is tested to equal folding :func:`step` over each history.

Rules of one cycle, in priority order
-------------------------------------
1. A closed account, or one without a line, stays as it is.
2. ``dpd >= close_dpd``: close the line (limit 0) — ``LIM_CLOSE_DPD``.
3. ``dpd >= cut_dpd``: freeze, and cut the limit to the highest rung not above the
   outstanding balance (never below the first rung) — ``LIM_CUT_DPD``; if no lower
   rung applies, a freeze — ``LIM_FREEZE_DPD``.
4. ``dpd >= freeze_dpd``: freeze — ``LIM_FREEZE_DPD``; the on-time streak resets.
5. On time: the streak grows. A frozen line unfreezes after ``unfreeze_cycles`` on-time
   cycles. An unfrozen line with ``streak >= promotion_cycles`` below the top rung is
   considered for a raise, refused (with a reason) during a cool-down, on a low or
   missing behaviour score, on low utilisation, or when a cap leaves no higher rung;
   otherwise it moves up ``promotion_steps`` rungs (bounded by the caps) and the streak
   restarts. Any change starts a cool-down of ``cooldown_cycles`` cycles.

Examples
--------
>>> ladder = LimitLadder()
>>> s = open_account(610.0, capacity=1000.0, ladder=ladder)
>>> s.limit
500.0
>>> for _ in range(3):
...     s, action, reason = step(s, CycleOutcome(dpd=0, utilisation=0.6, score=610.0), ladder)
>>> s.limit, action.value, reason
(1000.0, 'increase', 'LIM_INCREASE')
>>> s, action, reason = step(s, CycleOutcome(dpd=5, utilisation=0.9), ladder)
>>> action.value, reason
('freeze', 'LIM_FREEZE_DPD')
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from thinfile_credit.errors import DataError
from thinfile_credit.limits._checks import float_array, is_real
from thinfile_credit.limits.ladder import LimitLadder, checked_ladder
from thinfile_credit.limits.reason_codes import REASON_INDEX, REASON_LIST

__all__ = [
    "ACTION_LIST",
    "DEFAULT_LADDER",
    "AccountState",
    "Action",
    "CycleOutcome",
    "explain_initial_limit",
    "initial_limit",
    "open_account",
    "step",
]

#: The ladder the engines use when none is given.
DEFAULT_LADDER = LimitLadder()


class Action(str, Enum):
    """What a cycle did to a line. Values are stable strings; ``ACTION_LIST`` fixes codes.

    Examples
    --------
    >>> Action.FREEZE.value, Action.FREEZE.adverse, Action.INCREASE.adverse
    ('freeze', True, False)
    """

    HOLD = "hold"
    INCREASE = "increase"
    REFUSE_INCREASE = "refuse_increase"
    FREEZE = "freeze"
    UNFREEZE = "unfreeze"
    CUT = "cut"
    CLOSE = "close"

    @property
    def adverse(self) -> bool:
        """Whether the borrower must be told why (freeze, cut, close, refused increase)."""
        return self in (Action.REFUSE_INCREASE, Action.FREEZE, Action.CUT, Action.CLOSE)


#: Actions in code order (the integer codes used by vectorised engines).
ACTION_LIST: tuple[Action, ...] = tuple(Action)


@dataclass(frozen=True)
class AccountState:
    """One account's position on the ladder between cycles.

    Parameters
    ----------
    limit : float
        Limit in force (a rung, or 0 with no line).
    rung : int
        Index of ``limit`` among the rungs; -1 with no line.
    cap : float
        The borrower's static ceiling (affordability, income, regulatory), yuan.
    cap_reason : str
        Reason code of the cap that binds (for refused increases).
    streak : int
        Consecutive on-time cycles since the last delinquency or raise.
    cooldown : int
        Cycles left during which no raise is allowed.
    frozen : bool
        No drawdowns and no raises while true.
    closed : bool
        The line is closed for good.

    Raises
    ------
    DataError
        (table ``AccountState``, column the field) On a limit that is not a finite
        amount >= 0, a rung below -1, a limit of 0 with a rung or a rung -1 with a limit,
        a NaN or negative cap (``inf`` means none), an unknown ``cap_reason``, negative or
        fractional counters, or flags that are not booleans. Whether ``limit`` is the
        rung's limit depends on the ladder: :func:`step` checks it.

    Examples
    --------
    >>> AccountState(limit=200.0, rung=2, cap=1500.0).frozen
    False
    >>> AccountState(limit=200.0, rung=2, cap=float("nan"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.DataError: AccountState.cap: ...
    """

    limit: float
    rung: int
    cap: float
    cap_reason: str = ""
    streak: int = 0
    cooldown: int = 0
    frozen: bool = False
    closed: bool = False

    def __post_init__(self) -> None:
        def bad(column: str, why: str) -> DataError:
            value = getattr(self, column)
            return DataError(f"{why}, got {value!r}", table="AccountState", column=column)

        limit, rung, cap = self.limit, self.rung, self.cap
        if not (is_real(limit) and math.isfinite(limit) and limit >= 0):
            raise bad("limit", "must be a finite amount >= 0 (a rung, or 0 with no line)")
        if not _is_count(rung, minimum=-1):
            raise bad("rung", "must be an integer >= -1 (-1 with no line)")
        if (rung == -1) != (limit == 0):
            raise bad("rung", f"must be -1 exactly when the limit is 0 (limit {limit!r})")
        if not (is_real(cap) and cap >= 0):  # NaN fails the comparison
            raise bad("cap", "must be an amount >= 0 (inf for no cap of its own), not NaN")
        if not isinstance(self.cap_reason, str) or (
            self.cap_reason and self.cap_reason not in REASON_INDEX
        ):
            raise bad("cap_reason", "must be a limit reason code (or empty)")
        for column in ("streak", "cooldown"):
            if not _is_count(getattr(self, column), minimum=0):
                raise bad(column, "must be a whole number >= 0")
        for column in ("frozen", "closed"):
            if not isinstance(getattr(self, column), (bool, np.bool_)):
                raise bad(column, "must be a boolean")


@dataclass(frozen=True)
class CycleOutcome:
    """What happened in one billing cycle.

    Parameters
    ----------
    dpd : int
        Days past due at the end of the cycle (max over the account's obligations).
    utilisation : float, default 0
        Share of the limit drawn in the cycle.
    score : float, default NaN
        Behaviour score on the ladder's scale (NaN if none).
    balance : float, optional
        Outstanding balance, yuan (default ``utilisation * limit``).

    Examples
    --------
    >>> CycleOutcome(dpd=0, utilisation=0.4, score=600.0).balance is None
    True
    """

    dpd: int
    utilisation: float = 0.0
    score: float = math.nan
    balance: float | None = None

    def __post_init__(self) -> None:
        def bad(column: str, why: str) -> DataError:
            return DataError(why, table="CycleOutcome", column=column)

        dpd = self.dpd
        if isinstance(dpd, bool) or not isinstance(dpd, (int, float, np.integer, np.floating)):
            raise bad("dpd", f"must be a whole number of days, got {dpd!r}")
        if not_whole_days(dpd):
            raise bad("dpd", f"must be a whole, non-negative number of days, got {dpd!r}")
        object.__setattr__(self, "dpd", int(dpd))
        for column in ("utilisation", "balance"):
            value = getattr(self, column)
            if value is None:
                continue
            if not is_real(value) or not (math.isfinite(value) and value >= 0):
                raise bad(column, f"must be finite and not negative, got {value!r}")
        if not is_real(self.score) or math.isinf(self.score):
            raise bad("score", f"must be a finite number (NaN when none), got {self.score!r}")


def initial_limit(
    scores: ArrayLike,
    capacity: ArrayLike,
    *,
    income: ArrayLike | None = None,
    ladder: LimitLadder | None = None,
) -> NDArray[np.float64]:
    """First limits for many applicants at once.

    Parameters
    ----------
    scores : array-like of shape (n,)
        Points on the ladder's :class:`~thinfile_credit.scale.ScoreScale` (any scorer's
        ``score(X)``).
    capacity : array-like of shape (n,)
        Average monthly spend (or another monthly capacity measure), yuan.
    income : array-like of shape (n,), optional
        Stated or inferred annual income; NaN where unknown (its cap is then skipped).
    ladder : LimitLadder, optional
        Defaults to :data:`DEFAULT_LADDER`.

    Returns
    -------
    ndarray of shape (n,)
        A rung for each applicant, or 0 for no line.

    Raises
    ------
    DataError
        On NaN or infinite scores or capacity, negative capacity or income, infinite
        income, text or booleans where numbers are meant, or length mismatch (column
        and rows named).
    SpecError
        When ``ladder`` is not a :class:`LimitLadder` (also in the other engines).

    Examples
    --------
    >>> initial_limit([480, 520, 610, 700], capacity=[500, 500, 500, 10]).tolist()
    [0.0, 50.0, 500.0, 0.0]
    """
    ladder = checked_ladder(ladder, DEFAULT_LADDER)
    rung, _, _, _ = open_rungs(ladder, scores, capacity, income)
    return np.where(rung >= 0, np.asarray(ladder.rungs)[np.maximum(rung, 0)], 0.0)


def explain_initial_limit(
    scores: ArrayLike,
    capacity: ArrayLike,
    *,
    income: ArrayLike | None = None,
    ladder: LimitLadder | None = None,
) -> Any:
    """First limits with the band limit, every cap and the binding reason code.

    Returns
    -------
    pandas.DataFrame
        Columns ``score``, ``band_limit``, ``cap_affordability``, ``cap_income``,
        ``cap_regulatory``, ``cap_loss_budget``, ``limit`` and ``reason_code`` (empty when
        the band's limit was granted in full).

    Examples
    --------
    >>> t = explain_initial_limit([610, 610], capacity=[1000, 100])
    >>> t[["limit", "reason_code"]].values.tolist()
    [[500.0, ''], [200.0, 'LIM_CAP_AFFORDABILITY']]
    """
    import pandas as pd

    ladder = checked_ladder(ladder, DEFAULT_LADDER)
    s, cap_vec, inc_vec = _check_inputs(scores, capacity, income)
    rung, _, _, reason = open_rungs(ladder, s, cap_vec, inc_vec)
    caps = ladder.caps
    rungs = np.asarray(ladder.rungs)
    band = ladder.band_index(s)
    band_limit = np.where(band >= 0, rungs[ladder.band_rungs[np.maximum(band, 0)]], 0.0)
    nan = np.full(len(s), np.nan)
    return pd.DataFrame(
        {
            "score": s,
            "band_limit": band_limit,
            "cap_affordability": nan
            if caps.affordability_multiple is None
            else caps.affordability_multiple * cap_vec,
            "cap_income": nan if caps.income_share is None else caps.income_share * inc_vec,
            "cap_regulatory": np.full(len(s), caps.regulatory_ceiling),
            "cap_loss_budget": loss_cap(ladder, s),
            "limit": np.where(rung >= 0, rungs[np.maximum(rung, 0)], 0.0),
            "reason_code": np.asarray(REASON_LIST, dtype=object)[reason],
        }
    )


def open_account(
    score: float,
    capacity: float,
    *,
    income: float | None = None,
    ladder: LimitLadder | None = None,
) -> AccountState:
    """The opening :class:`AccountState` of one applicant.

    Examples
    --------
    >>> open_account(560.0, capacity=400.0).limit
    100.0
    """
    ladder = checked_ladder(ladder, DEFAULT_LADDER)
    inc = None if income is None else [income]
    rung, cap, cap_reason, _ = open_rungs(ladder, [score], [capacity], inc)
    r = int(rung[0])
    return AccountState(
        limit=ladder.rungs[r] if r >= 0 else 0.0,
        rung=r,
        cap=float(cap[0]),
        cap_reason=REASON_LIST[int(cap_reason[0])],
    )


def step(
    state: AccountState, cycle: CycleOutcome, ladder: LimitLadder | None = None
) -> tuple[AccountState, Action, str | None]:
    """Apply one billing cycle to one account (pure; see the module docstring for rules).

    Parameters
    ----------
    state : AccountState
    cycle : CycleOutcome
    ladder : LimitLadder, optional
        Defaults to :data:`DEFAULT_LADDER`.

    Returns
    -------
    (AccountState, Action, str or None)
        The new state, the action and its reason code (``None`` for a plain hold).

    Raises
    ------
    DataError
        When ``state``'s rung is not a rung of ``ladder`` or its limit is not that
        rung's limit (table ``AccountState``), or ``state``/``cycle`` are of other types.

    Examples
    --------
    >>> s = AccountState(limit=500.0, rung=3, cap=1e6)
    >>> step(s, CycleOutcome(dpd=40, balance=260.0))[0].limit
    200.0
    """
    L = checked_ladder(ladder, DEFAULT_LADDER)
    _check_on_ladder(state, cycle, L)
    if state.closed or state.rung < 0:
        return state, Action.HOLD, None
    dpd = cycle.dpd
    cooldown = max(state.cooldown - 1, 0)
    if dpd >= L.close_dpd:
        new = _evolve(state, limit=0.0, rung=-1, closed=True, frozen=True, streak=0, cooldown=0)
        return new, Action.CLOSE, "LIM_CLOSE_DPD"
    if dpd >= L.cut_dpd:
        balance = cycle.balance if cycle.balance is not None else cycle.utilisation * state.limit
        target = min(max(_rung_at_most(L, balance), 0), state.rung)
        if target < state.rung:
            new = _evolve(
                state,
                limit=L.rungs[target],
                rung=target,
                frozen=True,
                streak=0,
                cooldown=L.cooldown_cycles,
            )
            return new, Action.CUT, "LIM_CUT_DPD"
    if dpd >= L.freeze_dpd:
        new = _evolve(state, frozen=True, streak=0, cooldown=cooldown)
        if state.frozen:
            return new, Action.HOLD, None
        return new, Action.FREEZE, "LIM_FREEZE_DPD"
    streak = state.streak + 1
    if state.frozen:
        if streak >= L.unfreeze_cycles:
            new = _evolve(state, frozen=False, streak=streak, cooldown=L.cooldown_cycles)
            return new, Action.UNFREEZE, "LIM_UNFREEZE"
        return _evolve(state, streak=streak, cooldown=cooldown), Action.HOLD, None
    held = _evolve(state, streak=streak, cooldown=cooldown)
    if streak < L.promotion_cycles or state.rung >= len(L.rungs) - 1:
        return held, Action.HOLD, None
    if state.cooldown > 0:
        return held, Action.REFUSE_INCREASE, "LIM_NO_INCREASE_COOLDOWN"
    score = cycle.score
    needs_score = L.min_promotion_score is not None or L.caps.expected_loss_budget is not None
    if needs_score and (score is None or math.isnan(score)):
        return held, Action.REFUSE_INCREASE, "LIM_NO_INCREASE_NO_SCORE"
    if L.min_promotion_score is not None and _worse(L, score, L.min_promotion_score):
        return held, Action.REFUSE_INCREASE, "LIM_NO_INCREASE_SCORE"
    if cycle.utilisation < L.min_promotion_utilisation:
        return held, Action.REFUSE_INCREASE, "LIM_NO_INCREASE_USAGE"
    cap, cap_reason = ceiling_cap(L, state.cap, state.cap_reason)
    if L.caps.expected_loss_budget is not None:
        by_loss = _scalar_loss_cap(L, score)
        if by_loss < cap:
            cap, cap_reason = by_loss, "LIM_CAP_LOSS_BUDGET"
    target = min(state.rung + L.promotion_steps, len(L.rungs) - 1, _rung_at_most(L, cap))
    if target <= state.rung:
        return held, Action.REFUSE_INCREASE, cap_reason
    new = _evolve(state, limit=L.rungs[target], rung=target, streak=0, cooldown=L.cooldown_cycles)
    return new, Action.INCREASE, "LIM_INCREASE"


# --- shared vectorised helpers (also used by replay and simulate) -----------------------
def open_rungs(
    ladder: LimitLadder,
    scores: ArrayLike,
    capacity: ArrayLike,
    income: ArrayLike | None,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int8], NDArray[np.int8]]:
    """Opening rung, static cap, cap reason and opening reason code for many applicants.

    Returns ``(rung, cap, cap_reason, reason)``: rung -1 means no line; ``cap_reason``
    and ``reason`` are indices into :data:`~thinfile_credit.limits.reason_codes.REASON_LIST`.

    Examples
    --------
    >>> rung, cap, _, reason = open_rungs(LimitLadder(), [610.0, 450.0], [100.0, 100.0], None)
    >>> rung.tolist(), cap.tolist()
    ([2, -1], [300.0, 300.0])
    """
    s, cap_in, inc = _check_inputs(scores, capacity, income)
    cap, cap_reason = static_caps(ladder, cap_in, inc)
    band = ladder.band_index(s)
    band_rung = np.where(band >= 0, ladder.band_rungs[np.maximum(band, 0)], -1)
    by_loss = loss_cap(ladder, s)
    binding = np.where(by_loss < cap, REASON_INDEX["LIM_CAP_LOSS_BUDGET"], cap_reason)
    allowed = rung_at_most(ladder, np.minimum(cap, by_loss))
    rung = np.minimum(band_rung, allowed)
    reason = np.where(
        band < 0,
        REASON_INDEX["LIM_DECLINE_SCORE"],
        np.where(rung < band_rung, binding, 0),
    ).astype(np.int8)
    return rung.astype(np.int64), cap, cap_reason.astype(np.int8), reason


def static_caps(
    ladder: LimitLadder, capacity: NDArray[np.float64], income: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """The lowest of the affordability, income and regulatory ceilings, and its reason.

    Examples
    --------
    >>> cap, code = static_caps(LimitLadder(), np.array([100.0, 1e6]), np.array([np.nan, 9e3]))
    >>> cap.tolist()
    [300.0, 3000.0]
    """
    caps = ladder.caps
    n = len(capacity)
    columns = [np.full(n, caps.regulatory_ceiling)]
    codes = [REASON_INDEX["LIM_CAP_REGULATORY"]]
    if caps.affordability_multiple is not None:
        columns.append(caps.affordability_multiple * capacity)
        codes.append(REASON_INDEX["LIM_CAP_AFFORDABILITY"])
    if caps.income_share is not None:
        # Unknown income (NaN) imposes no cap: the rule applies "where income is known".
        columns.append(np.where(np.isnan(income), np.inf, caps.income_share * income))
        codes.append(REASON_INDEX["LIM_CAP_INCOME"])
    stacked = np.vstack(columns)
    which = np.argmin(stacked, axis=0)
    return stacked[which, np.arange(n)], np.asarray(codes, dtype=np.int8)[which]


def loss_cap(ladder: LimitLadder, scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """Highest limit whose expected loss ``limit * PD * lgd`` fits the budget (inf if none).

    Examples
    --------
    >>> round(float(loss_cap(LimitLadder(), np.array([600.0]))[0]))  # PD 1/51, LGD 0.9
    8500
    """
    budget = ladder.caps.expected_loss_budget
    if budget is None:
        return np.full(len(scores), np.inf)
    pd = ladder.scale.pd_from_points(scores)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = budget / (pd * ladder.caps.lgd)
    return np.where(np.isnan(out), np.inf, out)


def rung_at_most(ladder: LimitLadder, amount: NDArray[np.float64]) -> NDArray[np.int64]:
    """Index of the highest rung not above ``amount`` (-1 when below the first rung).

    Examples
    --------
    >>> rung_at_most(LimitLadder(), np.array([20.0, 50.0, 499.0])).tolist()
    [-1, 0, 2]
    """
    rungs = np.asarray(ladder.rungs)
    # A hair of tolerance so a cap computed as 3 * 166.666... still admits the 500 rung.
    return np.searchsorted(rungs, np.asarray(amount) * (1 + 1e-12), side="right") - 1


def rung_index(ladder: LimitLadder, limits: NDArray[np.float64]) -> NDArray[np.int64]:
    """Rung of each limit: -1 for 0 (no line), -2 for an amount that is not a rung.

    Examples
    --------
    >>> rung_index(LimitLadder(), np.array([0.0, 50.0, 75.0, 10000.0])).tolist()
    [-1, 0, -2, 7]
    """
    rungs = np.asarray(ladder.rungs)
    limits = np.asarray(limits, dtype=np.float64)
    r = np.searchsorted(rungs, limits)
    exact = (r < len(rungs)) & (rungs[np.minimum(r, len(rungs) - 1)] == limits)
    return np.where(exact, r, np.where(limits == 0, -1, -2)).astype(np.int64)


def not_whole_days(days: Any) -> NDArray[np.bool_]:
    """Mask of values that are not a whole, non-negative, finite number of days.

    Examples
    --------
    >>> not_whole_days([0, 3.0, 0.9, -1, np.nan]).tolist()
    [False, False, True, True, True]
    """
    values = np.asarray(days, dtype=np.float64)
    return ~(np.isfinite(values) & (values >= 0) & (values == np.floor(values)))


def ceiling_cap(ladder: LimitLadder, cap: Any, reason: Any) -> tuple[Any, Any]:
    """An account's cap and its reason with the regulatory ceiling applied on top.

    Works on scalars (``step``) and arrays (``step_arrays``) alike. A cap without a
    reason (a state built by hand) is the account's own cap: ``LIM_CAP_ACCOUNT``, so a
    refused increase never goes out without a reason code.

    Examples
    --------
    >>> ceiling_cap(LimitLadder(), 1e9, "LIM_CAP_ACCOUNT")
    (300000.0, 'LIM_CAP_REGULATORY')
    >>> ceiling_cap(LimitLadder(), 10.0, "")
    (10.0, 'LIM_CAP_ACCOUNT')
    """
    ceiling = ladder.caps.regulatory_ceiling
    if np.ndim(cap) == 0:
        return (ceiling, "LIM_CAP_REGULATORY") if cap > ceiling else (cap, reason or _OWN_CAP)
    over = cap > ceiling
    code = np.where(reason == 0, REASON_INDEX[_OWN_CAP], reason)
    return (
        np.where(over, ceiling, cap),
        np.where(over, REASON_INDEX["LIM_CAP_REGULATORY"], code).astype(np.int8),
    )


_OWN_CAP = "LIM_CAP_ACCOUNT"


def _is_count(value: Any, minimum: int) -> bool:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        return False
    return bool(value >= minimum)


def _evolve(state: AccountState, **changes: Any) -> AccountState:
    """``state`` with ``changes``, unchecked: :func:`step` derives only valid states from a
    checked one, and re-running ``__post_init__`` on each of them would double its cost."""
    new = object.__new__(AccountState)
    new.__dict__.update(state.__dict__, **changes)
    return new


def _check_on_ladder(state: AccountState, cycle: CycleOutcome, ladder: LimitLadder) -> None:
    """``state`` sits on ``ladder``: its rung exists and its limit is that rung's."""
    if not isinstance(state, AccountState):
        raise DataError(f"state must be an AccountState, got {type(state).__name__}")
    if not isinstance(cycle, CycleOutcome):
        raise DataError(f"cycle must be a CycleOutcome, got {type(cycle).__name__}")
    top = len(ladder.rungs) - 1
    if state.rung > top:
        raise DataError(
            f"rung {state.rung} is not on this ladder (rungs 0..{top}, or -1)",
            table="AccountState",
            column="rung",
        )
    if state.rung >= 0 and state.limit != ladder.rungs[state.rung]:
        raise DataError(
            f"limit {state.limit:g} is not rung {state.rung}'s limit "
            f"{ladder.rungs[state.rung]:g} on this ladder",
            table="AccountState",
            column="limit",
        )


def _rung_at_most(ladder: LimitLadder, amount: float) -> int:
    # Same rule as rung_at_most, in pure Python: step() is the per-account reference.
    return bisect.bisect_right(ladder.rungs, amount * (1 + 1e-12)) - 1


def _scalar_loss_cap(ladder: LimitLadder, score: float) -> float:
    budget = ladder.caps.expected_loss_budget
    assert budget is not None
    pd = float(ladder.scale.pd_from_points(score))
    return budget / (pd * ladder.caps.lgd) if pd > 0 else math.inf


def _worse(ladder: LimitLadder, score: float, threshold: float) -> bool:
    return score < threshold if ladder.scale.higher_is_better else score > threshold


def _check_inputs(
    scores: ArrayLike, capacity: ArrayLike, income: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    s = _vector(scores, "score")
    c = _vector(capacity, "capacity")
    if len(c) != len(s):
        raise DataError(f"{len(s)} scores but {len(c)} capacities", column="capacity")
    if income is None:
        inc = np.full(len(s), np.nan)
    else:
        inc = _vector(income, "income", allow_nan=True)
        if len(inc) != len(s):
            raise DataError(f"{len(s)} scores but {len(inc)} incomes", column="income")
    for name, values in (("capacity", c), ("income", inc)):
        bad = np.flatnonzero(values < 0)
        if len(bad):
            raise DataError("must not be negative", column=name, rows=bad.tolist())
    return s, c, inc


def _vector(values: ArrayLike, name: str, allow_nan: bool = False) -> NDArray[np.float64]:
    """``values`` as a 1-D float array; NaN (missing) only where ``allow_nan``, never inf."""
    arr = float_array(values, name)
    if arr.ndim != 1:
        arr = arr.reshape(-1) if arr.ndim == 0 else arr
        if arr.ndim != 1:
            raise DataError("must be one-dimensional", column=name)
    bad = np.flatnonzero(np.isinf(arr) if allow_nan else ~np.isfinite(arr))
    if len(bad):
        raise DataError("missing or infinite values", column=name, rows=bad.tolist())
    return arr
