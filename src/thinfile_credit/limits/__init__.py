"""Limit ladders: small first limits, step-ups on on-time repayment, freezes, cuts and caps.

* :class:`LimitLadder` — the policy as a frozen, validated, JSON-serialisable spec;
* :func:`initial_limit`, :func:`step`, :func:`replay` — first limits, the pure one-cycle
  transition and its vectorised replay over many histories;
* :func:`simulate` — portfolio Monte Carlo (profit, loss, inclusion);
* :func:`search_ladder`, :class:`MDPPolicy`, :func:`compare_policies` — optimisation.

Examples
--------
>>> from thinfile_credit.limits import LimitLadder, initial_limit
>>> initial_limit([530, 600], capacity=[300, 300], ladder=LimitLadder()).tolist()
[50.0, 500.0]
"""

from thinfile_credit.limits.engine import (
    ACTION_LIST,
    DEFAULT_LADDER,
    AccountState,
    Action,
    CycleOutcome,
    explain_initial_limit,
    initial_limit,
    open_account,
    step,
)
from thinfile_credit.limits.ladder import (
    DEFAULT_BANDS,
    DEFAULT_RUNGS,
    InitialBand,
    LimitCaps,
    LimitLadder,
)
from thinfile_credit.limits.reason_codes import (
    ADVERSE_REASONS,
    LIMIT_REASONS,
    REASON_LIST,
    reason_text,
)
from thinfile_credit.limits.replay import LadderArrays, replay, step_arrays

__all__ = [
    "ACTION_LIST",
    "ADVERSE_REASONS",
    "DEFAULT_BANDS",
    "DEFAULT_LADDER",
    "DEFAULT_RUNGS",
    "LIMIT_REASONS",
    "REASON_LIST",
    "AccountState",
    "Action",
    "CycleOutcome",
    "InitialBand",
    "LadderArrays",
    "LimitCaps",
    "LimitLadder",
    "explain_initial_limit",
    "initial_limit",
    "open_account",
    "reason_text",
    "replay",
    "step",
    "step_arrays",
]
