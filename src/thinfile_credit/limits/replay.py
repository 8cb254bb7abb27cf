"""Vectorised replay of a ladder over many accounts' repayment histories.

The engine loops over billing cycles only; each cycle updates every account at once with
NumPy, applying exactly the rules of :func:`thinfile_credit.limits.engine.step` (a
property test checks ``replay`` against folding ``step`` over each history).

This module holds the replay loop. The state arrays and the one-cycle kernel live in
:mod:`thinfile_credit.limits.ladder_arrays` (:class:`LadderArrays` and :func:`step_arrays`
are re-exported here, their documented import path), and the checks and normalisation of
the input tables in ``thinfile_credit.limits._replay_inputs``.

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

from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import from_polars, to_polars
from thinfile_credit.errors import SchemaError
from thinfile_credit.limits._replay_inputs import (
    _days,
    _floats,
    _initial_state,
    _optional,
    _original,
    _require,
    _sorted,
)
from thinfile_credit.limits.engine import ACTION_LIST, DEFAULT_LADDER
from thinfile_credit.limits.ladder import LimitLadder, checked_ladder
from thinfile_credit.limits.ladder_arrays import (
    LadderArrays,
    _cycle_problems,
    _step_arrays,
    step_arrays,
)
from thinfile_credit.limits.reason_codes import REASON_LIST

__all__ = ["LadderArrays", "replay", "step_arrays"]


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
    SpecError
        When ``ladder`` is not a :class:`LimitLadder`.

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
    L = checked_ladder(ladder, DEFAULT_LADDER)
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
def _labels(name: str, codes: NDArray[np.int8], labels: list[str]) -> pl.Series:
    # Gathering from the small label series is several times cheaper than a mapping.
    return pl.Series(name, labels, dtype=pl.Enum(labels)).gather(pl.Series(codes))
