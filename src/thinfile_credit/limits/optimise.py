"""Tuning limit policies: coordinate/grid search over ladder parameters, MDP comparison.

Both optimisers maximise 12-month simulated profit subject to a loss-rate constraint
(by default: no higher than the default ladder's). Candidates are simulated with the
same ``random_state`` (common random numbers), so differences come from the policy,
not from the dice; the final comparison re-simulates every policy on a *fresh* seed so
that a policy tuned to one draw of the dice is not flattered by it.

Examples
--------
>>> from thinfile_credit.limits.simulate import make_population
>>> pop = make_population(3000, random_state=0)
>>> res = search_ladder(pop, space={"promotion_cycles": [2, 3]}, months=6, random_state=0)
>>> res.ladder.promotion_cycles in (2, 3)
True
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from thinfile_credit.errors import SpecError
from thinfile_credit.limits._checks import check_count, check_number
from thinfile_credit.limits.engine import DEFAULT_LADDER
from thinfile_credit.limits.ladder import InitialBand, LimitLadder, checked_ladder
from thinfile_credit.limits.mdp import MDPPolicy
from thinfile_credit.limits.simulate import SimulationResult, simulate

__all__ = [
    "DEFAULT_SPACE",
    "PolicyComparison",
    "SearchResult",
    "apply_params",
    "compare_policies",
    "mean_summary",
    "search_ladder",
]

#: Ladder parameters searched by default, with candidate values.
DEFAULT_SPACE: dict[str, list[Any]] = {
    "band_shift": [-20.0, -10.0, 0.0, 10.0, 20.0],
    "initial_rung_shift": [-1, 0, 1],
    "promotion_cycles": [2, 3, 4, 6],
    "promotion_steps": [1, 2],
    "min_promotion_score": [520.0, 540.0, 560.0, 580.0],
    "min_promotion_utilisation": [0.0, 0.2, 0.4],
    "affordability_multiple": [1.0, 1.5, 2.0, 3.0],
}

_LADDER_FIELDS = {
    "promotion_cycles",
    "promotion_steps",
    "min_promotion_score",
    "min_promotion_utilisation",
    "cooldown_cycles",
    "unfreeze_cycles",
}
_CAP_FIELDS = {"affordability_multiple", "expected_loss_budget", "income_share"}


def apply_params(ladder: LimitLadder, params: dict[str, Any]) -> LimitLadder:
    """A ladder with search parameters applied.

    Besides ladder and cap fields (``promotion_cycles``, ``affordability_multiple``...),
    two derived parameters move the first-limit bands: ``band_shift`` adds points to
    every band cut-off, ``initial_rung_shift`` moves every band's first limit that many
    rungs (clipped to the ladder).

    Raises
    ------
    SpecError
        On an unknown parameter, or a ``band_shift`` that is not a finite number or an
        ``initial_rung_shift`` that is not a whole number (text such as ``"1"`` and
        booleans are refused, not parsed); :class:`~thinfile_credit.errors.PolicyError`
        if the result is not a valid ladder.

    Examples
    --------
    >>> L = apply_params(LimitLadder(), {"band_shift": 10, "promotion_cycles": 2})
    >>> L.initial_bands[0].lower, L.promotion_cycles
    (510.0, 2)
    """
    if not isinstance(params, dict):
        raise SpecError(f"params must be a dict of search parameters, got {params!r:.60}")
    ladder_kw: dict[str, Any] = {}
    cap_kw: dict[str, Any] = {}
    bands = ladder.initial_bands
    for name, value in params.items():
        if name in _LADDER_FIELDS:
            ladder_kw[name] = value
        elif name in _CAP_FIELDS:
            cap_kw[name] = value
        elif name == "band_shift":
            shift = float(check_number("apply_params", "band_shift", value))
            bands = tuple(
                InitialBand(
                    None if b.lower is None else b.lower + shift,
                    None if b.upper is None else b.upper + shift,
                    b.limit,
                )
                for b in bands
            )
        elif name == "initial_rung_shift":
            steps = check_number("apply_params", "initial_rung_shift", value, integer=True)
            top = len(ladder.rungs) - 1
            bands = tuple(
                replace(
                    b,
                    limit=ladder.rungs[int(np.clip(ladder.rungs.index(b.limit) + steps, 0, top))],
                )
                for b in bands
            )
        else:
            raise SpecError(f"unknown ladder search parameter {name!r}")
    caps = replace(ladder.caps, **cap_kw) if cap_kw else ladder.caps
    return replace(ladder, initial_bands=bands, caps=caps, **ladder_kw)


@dataclass(frozen=True)
class SearchResult:
    """Outcome of :func:`search_ladder`.

    Parameters
    ----------
    ladder : LimitLadder
        The best feasible ladder found (the base ladder if nothing beat it).
    params : dict
        Parameter values of ``ladder``, only those that differ from the base: a value
        that leaves the base ladder as it is (``promotion_steps=1`` on a ladder with 1,
        ``band_shift=0``) is left out, so an empty dict means the base ladder won.
    summary : dict
        Its simulation summary.
    max_loss_rate : float
        The constraint used.
    history : pandas.DataFrame
        Every evaluated candidate: parameters, profit, loss rate, thin-file share at
        ¥500, feasibility.

    Examples
    --------
    See :func:`search_ladder`.
    """

    ladder: LimitLadder
    params: dict[str, Any]
    summary: dict[str, float]
    max_loss_rate: float
    history: Any


def search_ladder(
    population: Any,
    *,
    base: LimitLadder | None = None,
    space: dict[str, list[Any]] | None = None,
    max_loss_rate: float | None = None,
    method: str = "coordinate",
    rounds: int = 2,
    multipliers: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0),
    months: int = 12,
    random_state: int = 0,
    max_evaluations: int = 400,
    repeats: int = 1,
    **simulate_kwargs: Any,
) -> SearchResult:
    """Search ladder parameters for the highest simulated profit under a loss-rate cap.

    Parameters
    ----------
    population : DataFrame
        As for :func:`~thinfile_credit.limits.simulate`.
    base : LimitLadder, optional
        Starting ladder (default ladder).
    space : dict, optional
        Parameter name -> candidate values (default :data:`DEFAULT_SPACE`); names as in
        :func:`apply_params`.
    max_loss_rate : float, optional
        Constraint; default the base ladder's simulated loss rate.
    method : {"coordinate", "grid"}, default "coordinate"
        Coordinate ascent (each parameter in turn, ``rounds`` passes) or the full grid.
    rounds : int, default 2
    multipliers : tuple of float, default (0, 0.5, 1, 2)
        Coordinate ascent maximises ``profit - mu * credit_loss`` once per ``mu``; the
        answer is the most profitable feasible candidate seen in any pass.
    months : int, default 12
    random_state : int, default 0
        Seed shared by every candidate (common random numbers).
    max_evaluations : int, default 400
        Refuse a grid larger than this.
    repeats : int, default 1
        Simulations per candidate (seeds ``random_state + 2k``), averaged: more repeats,
        less chance of tuning to one draw of the dice.
    **simulate_kwargs
        Passed to :func:`~thinfile_credit.limits.simulate` (``economics``, ``product``...).

    Returns
    -------
    SearchResult

    Raises
    ------
    SpecError
        On an unknown method or parameter, a ``space`` whose values are not a non-empty
        list (or tuple) of candidates each valid on its own, a grid above
        ``max_evaluations``, ``rounds``, ``repeats`` or ``max_evaluations`` that are not
        whole numbers >= 1, a ``random_state`` that is not a whole number >= 0, or a
        ``max_loss_rate`` or multiplier that is not a finite number >= 0 (text and
        booleans are refused, not parsed).

    Examples
    --------
    >>> from thinfile_credit.limits.simulate import make_population
    >>> pop = make_population(1500, random_state=0)
    >>> res = search_ladder(pop, space={"promotion_steps": [1, 2]}, method="grid", months=4)
    >>> len(res.history), res.summary["loss_rate"] <= res.max_loss_rate
    (3, True)
    """
    import pandas as pd

    base = checked_ladder(base, DEFAULT_LADDER, "base")
    space = _checked_space(base, DEFAULT_SPACE if space is None else space)
    repeats = check_count("search_ladder", "repeats", repeats, 1)
    rounds = check_count("search_ladder", "rounds", rounds, 1)
    max_evaluations = check_count("search_ladder", "max_evaluations", max_evaluations, 1)
    random_state = check_count("search_ladder", "random_state", random_state, 0)
    if max_loss_rate is not None:
        max_loss_rate = check_number("search_ladder", "max_loss_rate", max_loss_rate, low=0.0)
    if not isinstance(multipliers, (tuple, list)) or not multipliers:
        raise SpecError(f"multipliers must be a non-empty tuple of numbers, got {multipliers!r}")
    for mu in multipliers:
        check_number("search_ladder", "multipliers", mu, low=0.0)
    seeds = [random_state + 2 * k for k in range(repeats)]
    if method not in ("coordinate", "grid"):
        raise SpecError(f"method must be 'coordinate' or 'grid', got {method!r}")
    cache: dict[tuple[Any, ...], dict[str, float]] = {}
    rows: list[dict[str, Any]] = []

    def evaluate(params: dict[str, Any]) -> dict[str, float] | None:
        key = tuple(sorted(params.items()))
        if key in cache:
            return cache[key]
        try:
            ladder = apply_params(base, params)
        except SpecError:
            return None
        summary = mean_summary(ladder, population, months, seeds, **simulate_kwargs)
        cache[key] = summary
        rows.append({**params, **_headline(summary)})
        return summary

    base_summary = evaluate({})
    assert base_summary is not None
    limit = base_summary["loss_rate"] if max_loss_rate is None else float(max_loss_rate)
    best_params: dict[str, Any] = {}
    best = base_summary if base_summary["loss_rate"] <= limit else None

    def better(s: dict[str, float] | None) -> bool:
        return (
            s is not None
            and s["loss_rate"] <= limit + 1e-12
            and (best is None or s["profit"] > best["profit"])
        )

    if method == "grid":
        names = list(space)
        size = int(np.prod([len(space[n]) for n in names]))
        if size > max_evaluations:
            raise SpecError(f"grid of {size} candidates exceeds max_evaluations={max_evaluations}")
        for combo in itertools.product(*(space[n] for n in names)):
            params = dict(zip(names, combo))
            s = evaluate(params)
            if better(s):
                best, best_params = s, params
    else:
        # Coordinate ascent on the Lagrangian profit - mu * credit loss for each mu: a
        # single move rarely raises profit without raising losses, but a loss-cutting
        # move followed by a profit-raising one often does both.
        for mu in multipliers:
            point: dict[str, Any] = {}
            point_value = _lagrangian(base_summary, mu)
            for _ in range(rounds):
                changed = False
                for name, values in space.items():
                    for value in values:
                        params = {**point, name: value}
                        s = evaluate(params)
                        if s is None:
                            continue
                        if better(s):
                            best, best_params = s, params
                        if _lagrangian(s, mu) > point_value + 1e-9:
                            point, point_value, changed = params, _lagrangian(s, mu), True
                    if len(cache) >= max_evaluations:
                        break
                if not changed or len(cache) >= max_evaluations:
                    break
    for row in rows:
        row["feasible"] = row["loss_rate"] <= limit + 1e-12
    if best is None:
        best, best_params = base_summary, {}
    return SearchResult(
        ladder=apply_params(base, best_params),
        params=_changed(base, best_params),
        summary=best,
        max_loss_rate=limit,
        history=pd.DataFrame(rows),
    )


@dataclass(frozen=True)
class PolicyComparison:
    """Default ladder vs searched ladder vs MDP policy, on fresh simulation seeds.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per policy: 12-month ``profit``, ``loss_rate``, ``thin_file_share_500``,
        ``approval_rate``, ``revenue``, ``realised_loss``, differences to the default and
        ``beats_default`` (more profit at no higher loss rate).
    policies : dict
        ``"default"`` and ``"searched"`` ladders, ``"mdp"`` policy.
    results : dict
        Each policy's evaluation runs: a tuple of :class:`SimulationResult`, one per
        evaluation seed (``evaluation_seed + 2k``, ``k < evaluation_repeats``). The
        table's figures are the means of these runs' summaries.
    note : str
        Closing note: whether each optimised policy beat the default, and why not.

    Examples
    --------
    See :func:`compare_policies`.
    """

    table: Any
    policies: dict[str, Any]
    results: dict[str, tuple[SimulationResult, ...]]
    note: str


def compare_policies(
    population: Any,
    *,
    ladder: LimitLadder | None = None,
    months: int = 12,
    random_state: int = 0,
    evaluation_seed: int | None = None,
    space: dict[str, list[Any]] | None = None,
    loss_weights: tuple[float, ...] = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0),
    rounds: int = 2,
    margin: float = 0.05,
    repeats: int = 2,
    evaluation_repeats: int = 3,
    **simulate_kwargs: Any,
) -> PolicyComparison:
    """Tune a searched ladder and an MDP policy, then compare them with the default.

    Both optimisers are tuned on ``random_state`` (``repeats`` seeds ``random_state +
    2k``) under the constraint "loss rate no higher than the default ladder's, less a
    relative ``margin``" (default 5 %, so that a policy tuned to the edge of the
    constraint does not cross it on other dice), then all three policies are simulated
    on the same ``evaluation_repeats`` fresh seeds ``evaluation_seed + 2k`` (default
    ``evaluation_seed = random_state + 1``). ``table`` averages those runs, and
    ``results`` holds them.

    The MDP is fitted on the default ladder's simulated account-month panel (the
    "replayed histories"); its loss weight (a Lagrange multiplier) is the one among
    ``loss_weights`` with the highest in-sample profit that meets the constraint.

    Returns
    -------
    PolicyComparison

    Raises
    ------
    SpecError
        On a ``ladder`` that is not a :class:`LimitLadder`, a ``margin`` that is not a
        number in [0, 1), seeds or repeat counts that are not whole numbers (>= 0 and
        >= 1), empty ``loss_weights``, or any setting :func:`search_ladder` or
        :class:`MDPPolicy` refuses.

    Examples
    --------
    >>> from thinfile_credit.limits.simulate import make_population
    >>> pop = make_population(2000, random_state=0)
    >>> cmp = compare_policies(pop, months=6, space={"promotion_cycles": [2, 3]},
    ...                        loss_weights=(1.0, 2.0), repeats=1, evaluation_repeats=1)
    >>> cmp.table["policy"].tolist()
    ['default', 'searched', 'mdp']
    >>> run = cmp.results["mdp"][0]           # one run per evaluation seed
    >>> bool(cmp.table.loc[2, "profit"] == run.summary["profit"])
    True
    """
    import pandas as pd

    default = checked_ladder(ladder, DEFAULT_LADDER)
    random_state = check_count("compare_policies", "random_state", random_state, 0)
    eval_seed = (
        random_state + 1
        if evaluation_seed is None
        else check_count("compare_policies", "evaluation_seed", evaluation_seed, 0)
    )
    check_number("compare_policies", "margin", margin, low=0.0, high=1.0, high_open=True)
    repeats = check_count("compare_policies", "repeats", repeats, 1)
    evaluation_repeats = check_count(
        "compare_policies", "evaluation_repeats", evaluation_repeats, 1
    )
    if not isinstance(loss_weights, (tuple, list)) or not loss_weights:
        raise SpecError(f"loss_weights must be a non-empty tuple of numbers, got {loss_weights!r}")
    tune_seeds = [random_state + 2 * k for k in range(repeats)]
    eval_seeds = [eval_seed + 2 * k for k in range(evaluation_repeats)]
    tuned = simulate(
        default, population, months, random_state=random_state, return_panel=True, **simulate_kwargs
    )
    target = mean_summary(default, population, months, tune_seeds, **simulate_kwargs)["loss_rate"]
    target *= 1.0 - margin
    search = search_ladder(
        population,
        base=default,
        space=space,
        max_loss_rate=target,
        rounds=rounds,
        months=months,
        random_state=random_state,
        repeats=repeats,
        **simulate_kwargs,
    )
    econ = simulate_kwargs.get("economics")
    product = simulate_kwargs.get("product")
    best_mdp: MDPPolicy | None = None
    best_profit = -np.inf
    fallback: tuple[float, MDPPolicy] | None = None
    mdp_log = []
    for w in loss_weights:
        mdp = MDPPolicy(default, loss_weight=w, economics=econ, product=product).fit(tuned.panel)
        trial = mean_summary(mdp, population, months, tune_seeds, **simulate_kwargs)
        mdp_log.append((w, trial["profit"], trial["loss_rate"]))
        if trial["loss_rate"] <= target and trial["profit"] > best_profit:
            best_mdp, best_profit = mdp, trial["profit"]
        if fallback is None or trial["loss_rate"] < fallback[0]:
            fallback = (trial["loss_rate"], mdp)
    mdp_feasible = best_mdp is not None
    if best_mdp is None:
        assert fallback is not None
        best_mdp = fallback[1]

    policies: dict[str, Any] = {"default": default, "searched": search.ladder, "mdp": best_mdp}
    # The table is the mean of exactly these runs, so the two never describe different dice.
    results = {
        name: tuple(
            simulate(p, population, months, random_state=seed, **simulate_kwargs)
            for seed in eval_seeds
        )
        for name, p in policies.items()
    }
    summaries = {name: _mean([r.summary for r in runs]) for name, runs in results.items()}
    base = summaries["default"]
    rows = []
    for name, s in summaries.items():
        rows.append(
            {
                "policy": name,
                "profit": s["profit"],
                "profit_vs_default": s["profit"] - base["profit"],
                "loss_rate": s["loss_rate"],
                "loss_rate_vs_default": s["loss_rate"] - base["loss_rate"],
                "thin_file_share_500": s["thin_file_share_500"],
                "approval_rate": s["approval_rate"],
                "revenue": s["revenue"],
                "realised_loss": s["realised_loss"],
                "beats_default": bool(
                    name != "default"
                    and s["profit"] > base["profit"]
                    and s["loss_rate"] <= base["loss_rate"]
                ),
            }
        )
    table = pd.DataFrame(rows)
    note = _note(table, search, mdp_feasible, mdp_log, target, best_mdp)
    if search.params:
        note += "\nsearched parameters: " + ", ".join(
            f"{k}={v}" for k, v in sorted(search.params.items())
        )
    note += f"\nMDP loss weight: {best_mdp.loss_weight:g}"
    shares = ", ".join(
        f"{r.policy} {r.thin_file_share_500:.1%}" for r in table.itertuples(index=False)
    )
    note += (
        f"\ninclusion (thin-file applicants reaching ¥500 by month {months}): {shares}; "
        "profit and inclusion can pull apart, so weigh this column before adopting a policy."
    )
    return PolicyComparison(table=table, policies=policies, results=results, note=note)


def mean_summary(
    policy: Any, population: Any, months: int, seeds: list[int], **simulate_kwargs: Any
) -> dict[str, float]:
    """Summary of :func:`~thinfile_credit.limits.simulate` averaged over several seeds.

    Examples
    --------
    >>> from thinfile_credit.limits.simulate import make_population
    >>> pop = make_population(500, random_state=0)
    >>> s = mean_summary(LimitLadder(), pop, 3, [0, 2])
    >>> 0 <= s["approval_rate"] <= 1
    True
    """
    kw = {"cohort": None, **simulate_kwargs}
    return _mean(
        [simulate(policy, population, months, random_state=seed, **kw).summary for seed in seeds]
    )


def _mean(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}


def _checked_space(base: LimitLadder, space: Any) -> dict[str, list[Any]]:
    """``space`` as name -> list of candidates, every candidate valid on its own.

    A candidate that fails alone is a mistake in the space (``"2"`` for 2, a typo'd
    name), not a move the search may quietly skip.
    """
    if not isinstance(space, dict) or not space:
        raise SpecError(
            f"the search space needs at least one parameter with values, got {space!r:.60}"
        )
    out: dict[str, list[Any]] = {}
    for name, values in space.items():
        if isinstance(values, np.ndarray) and values.ndim == 1:
            values = values.tolist()
        if not isinstance(values, (list, tuple, range)) or not len(values):
            raise SpecError(
                f"the search space needs at least one value per parameter: space[{name!r}] "
                f"must be a non-empty list of candidate values, got {values!r}"
            )
        for value in values:
            apply_params(base, {name: value})
        out[name] = list(values)
    return out


def _changed(base: LimitLadder, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters whose value moves the base ladder (``promotion_steps=1`` on a
    ladder that already has 1, or ``band_shift=0``, does not)."""
    return {k: v for k, v in params.items() if apply_params(base, {k: v}) != base}


def _lagrangian(summary: dict[str, float], mu: float) -> float:
    return summary["profit"] - mu * summary["credit_loss"]


def _headline(summary: dict[str, float]) -> dict[str, float]:
    return {k: summary[k] for k in ("profit", "loss_rate", "thin_file_share_500", "approval_rate")}


def _note(
    table: Any,
    search: SearchResult,
    mdp_feasible: bool,
    mdp_log: list[tuple[float, float, float]],
    target: float,
    mdp: MDPPolicy,
) -> str:
    lines = []
    by = table.set_index("policy")
    for name in ("searched", "mdp"):
        row = by.loc[name]
        if row["beats_default"]:
            lines.append(
                f"{name}: beats the default by {row['profit_vs_default']:,.0f} profit at a "
                f"loss rate {row['loss_rate']:.2%} vs {by.loc['default', 'loss_rate']:.2%}."
            )
            continue
        why = []
        if name == "searched" and not search.params:
            why.append(
                "no searched candidate beat the default in-sample under the constraint "
                f"(loss rate <= {search.max_loss_rate:.2%})"
            )
        if name == "mdp" and not mdp_feasible:
            tried = ", ".join(f"w={w:g}: {lr:.2%}" for w, _, lr in mdp_log)
            why.append(
                f"no loss weight met the default's in-sample loss rate {target:.2%} "
                f"({tried}); the least lossy MDP (w={mdp.loss_weight:g}) is shown"
            )
        if row["profit_vs_default"] <= 0:
            why.append("on the fresh evaluation seed its profit did not exceed the default's")
        if row["loss_rate_vs_default"] > 0:
            why.append(
                "its loss rate rose on the fresh seed (it was tuned to the limit of the "
                "constraint in-sample, so seed noise can tip it over)"
            )
        lines.append(f"{name}: does not beat the default — " + "; ".join(why) + ".")
    return "\n".join(lines)
