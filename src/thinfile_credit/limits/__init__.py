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
from thinfile_credit.limits.mdp import MDPPolicy, TransitionModel, dpd_bucket, estimate_transitions
from thinfile_credit.limits.optimise import (
    DEFAULT_SPACE,
    PolicyComparison,
    SearchResult,
    apply_params,
    compare_policies,
    search_ladder,
)
from thinfile_credit.limits.population import make_population, population_from_marketplace
from thinfile_credit.limits.reason_codes import (
    ADVERSE_REASONS,
    LIMIT_REASONS,
    REASON_LIST,
    reason_text,
)
from thinfile_credit.limits.replay import LadderArrays, replay, step_arrays
from thinfile_credit.limits.simulate import (
    DEFAULT_PRODUCT,
    Economics,
    SimulationResult,
    simulate,
)

__all__ = [
    "ACTION_LIST",
    "ADVERSE_REASONS",
    "DEFAULT_BANDS",
    "DEFAULT_LADDER",
    "DEFAULT_PRODUCT",
    "DEFAULT_RUNGS",
    "DEFAULT_SPACE",
    "LIMIT_REASONS",
    "REASON_LIST",
    "AccountState",
    "Action",
    "CycleOutcome",
    "Economics",
    "InitialBand",
    "LadderArrays",
    "LimitCaps",
    "LimitLadder",
    "MDPPolicy",
    "PolicyComparison",
    "SearchResult",
    "SimulationResult",
    "TransitionModel",
    "apply_params",
    "compare_policies",
    "dpd_bucket",
    "estimate_transitions",
    "explain_initial_limit",
    "initial_limit",
    "make_population",
    "open_account",
    "population_from_marketplace",
    "reason_text",
    "replay",
    "search_ladder",
    "simulate",
    "step",
    "step_arrays",
]
