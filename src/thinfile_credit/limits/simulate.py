"""Portfolio Monte Carlo of a limit policy: profit, loss and inclusion month by month.

Each account opens with the policy's first limit, then every month it draws on its line,
repays or falls behind, and the policy reacts. Everything is vectorised over accounts;
only months are looped. Same inputs and ``random_state`` give the same result.

Model of one month (documented assumptions, all configurable via :class:`Economics`)
------------------------------------------------------------------------------------
* **Drawdown.** Each account has a usage propensity ``u ~ Beta`` (mean
  ``utilisation_mean``); a current, unfrozen line is drawn to ``clip(u + noise) * limit``
  (a revolving 随借随还 line redrawn monthly).
* **Delinquency** moves through buckets current → 1–29 → 30–59 → 60–89 → charge-off
  with roll rates ``roll_rates``; anything that does not roll cures to current. The
  monthly entry rate is ``h / prod(roll_rates)`` so the flow into charge-off equals the
  monthly hazard ``h = 1 - (1 - PD) ** (1 / pd_horizon_months)`` of the account's PD.
* **Over-extension.** ``h`` is multiplied by
  ``1 + overextension * max(0, limit / capacity - 1)``: lines beyond a month of spending
  make default likelier, which is what makes caps and slow ladders pay.
* **Exposure at default.** On first missing a payment the borrower draws
  ``ccf * undrawn`` more (credit conversion factor) before the freeze bites; charge-off
  loses ``lgd * balance``.
* **Money.** Revenue is the product's monthly yield on balances of accounts that stay
  current (the pricing module's :meth:`~thinfile_credit.pricing.Product.monthly_yield`);
  funding cost ``funding_rate / 12`` on every balance; a servicing cost per open line.
  A loss allowance is held for delinquent accounts (``lgd * balance`` times the
  probability of rolling on to charge-off from their bucket); its monthly change is a
  cost. Profit = revenue - funding - servicing - realised loss - change in allowance,
  so losses already in the pipeline at the horizon are not deferred out of view.

Examples
--------
>>> from thinfile_credit.limits import LimitLadder
>>> pop = make_population(2000, random_state=0)
>>> res = simulate(LimitLadder(), pop, months=6, random_state=0)
>>> res.monthly.shape[0], 0 < res.summary["approval_rate"] <= 1
(6, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import to_polars
from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.limits._checks import check_number, generator
from thinfile_credit.limits.engine import ACTION_LIST, Action
from thinfile_credit.limits.ladder import LimitLadder
from thinfile_credit.limits.ladder_arrays import LadderArrays, _step_arrays
from thinfile_credit.limits.population import (
    make_population,
    population_from_marketplace,
    read_population,
)
from thinfile_credit.pricing.product import Product

__all__ = [
    "DEFAULT_PRODUCT",
    "Economics",
    "SimulationResult",
    "make_population",
    "population_from_marketplace",
    "simulate",
]

#: Revolving line at 0.05 % a day (18.25 % simple, 18.1 % IRR APR): the default product.
DEFAULT_PRODUCT = Product(
    name="revolving 0.05%/day", repayment="revolving", term_months=1, daily_rate=0.0005
)

#: Days past due reported to the ladder for each delinquency bucket.
BUCKET_DPD = np.array([0, 15, 45, 75, 120], dtype=np.int64)


@dataclass(frozen=True)
class Economics:
    """Assumptions of the simulation (see the module docstring).

    Parameters
    ----------
    lgd : float, default 0.85
    ccf : float, default 0.5
    funding_rate : float, default 0.05
        Annual cost of funds on drawn balances.
    servicing_cost : float, default 0.5
        Yuan per open line per month.
    roll_rates : tuple of 3 floats, default (0.45, 0.7, 0.85)
    utilisation_mean : float, default 0.45
    utilisation_concentration : float, default 4.0
        Beta ``a + b``; smaller means more dispersed usage.
    utilisation_noise : float, default 0.1
    overextension : float, default 0.3
    pd_horizon_months : int, default 12

    Raises
    ------
    SpecError
        Naming the field (``Economics.<field>``) when it is not a finite real number
        (NaN, text and booleans included) in its range: ``lgd``, ``ccf`` and each roll
        rate in (0, 1], ``utilisation_mean`` in (0, 1), ``utilisation_concentration``
        > 0, the costs, ``utilisation_noise`` and ``overextension`` >= 0,
        ``pd_horizon_months`` a whole number >= 1.

    Examples
    --------
    >>> Economics(lgd=0.7).lgd
    0.7
    >>> Economics(funding_rate=float("nan"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.SpecError: Economics.funding_rate: must be a finite number >= 0, got nan
    """

    lgd: float = 0.85
    ccf: float = 0.5
    funding_rate: float = 0.05
    servicing_cost: float = 0.5
    roll_rates: tuple[float, float, float] = (0.45, 0.7, 0.85)
    utilisation_mean: float = 0.45
    utilisation_concentration: float = 4.0
    utilisation_noise: float = 0.1
    overextension: float = 0.3
    pd_horizon_months: int = 12

    def __post_init__(self) -> None:
        def check(name: str, value: Any, **bounds: Any) -> Any:
            return check_number("Economics", name, value, **bounds)

        share = {"low": 0.0, "high": 1.0, "low_open": True}
        check("lgd", self.lgd, **share)
        check("ccf", self.ccf, **share)
        check("utilisation_mean", self.utilisation_mean, **share, high_open=True)
        for name in ("funding_rate", "servicing_cost", "overextension", "utilisation_noise"):
            check(name, getattr(self, name), low=0.0)
        check("utilisation_concentration", self.utilisation_concentration, low=0.0, low_open=True)
        months = check("pd_horizon_months", self.pd_horizon_months, low=1, integer=True)
        object.__setattr__(self, "pd_horizon_months", months)
        rolls = self.roll_rates
        if not isinstance(rolls, (tuple, list)) or len(rolls) != 3:
            raise SpecError(
                f"must be three rates in (0, 1], got {rolls!r}",
                table="Economics",
                column="roll_rates",
            )
        for r in rolls:
            check("roll_rates", r, **share)
        object.__setattr__(self, "roll_rates", tuple(float(r) for r in rolls))

    def to_dict(self) -> dict[str, Any]:
        """Plain-data representation."""
        return asdict(self)


class LimitPolicy(Protocol):
    """What :func:`simulate` needs from a non-ladder policy (e.g. an MDP policy).

    Examples
    --------
    >>> from thinfile_credit.limits.mdp import MDPPolicy
    >>> hasattr(MDPPolicy, "open_states") and hasattr(MDPPolicy, "target_rungs")
    True
    """

    ladder: LimitLadder

    def open_states(self, scores: Any, capacity: Any, income: Any) -> LadderArrays: ...

    def target_rungs(self, scores: Any, state: LadderArrays) -> NDArray[np.int64]: ...


@dataclass(frozen=True)
class SimulationResult:
    """Outputs of :func:`simulate`.

    Parameters
    ----------
    monthly : pandas.DataFrame
        One row per month: approval rate, accounts with a line, limits, drawn balance,
        exposure (EAD),
        revenue, funding and servicing cost, expected and realised loss, profit, its
        running total, the 30+ delinquent share and counts of each ladder action.
    by_cohort : pandas.DataFrame
        Per month and cohort: applicants, approval rate, accounts with a line and the
        same money columns.
    inclusion : pandas.DataFrame
        ``month``, ``limit`` (each rung) and the share of thin-file and thick-file
        applicants whose limit has reached that rung by that month.
    summary : dict
        Horizon totals: ``profit``, ``revenue``, ``realised_loss``, ``expected_loss``,
        ``credit_loss`` (realised loss plus the closing allowance), ``loss_rate``
        (credit loss / average drawn balance, annualised),
        ``approval_rate``, ``thin_file_share_500`` (thin-file applicants reaching ¥500).
    panel : polars.DataFrame or None
        With ``return_panel=True``: one row per account and month in replay-history
        form (``account_id``, ``cycle``, ``score``, ``limit`` in force, ``dpd``,
        ``utilisation``, ``balance``, ``start_dpd``), for estimating transitions.

    Examples
    --------
    >>> res = simulate(LimitLadder(), make_population(500, random_state=0), 3, random_state=0)
    >>> list(res.inclusion.columns)
    ['month', 'limit', 'thin_file_share', 'thick_file_share']
    """

    monthly: Any
    by_cohort: Any
    inclusion: Any
    summary: dict[str, float]
    panel: Any = field(default=None)


def simulate(
    policy: LimitLadder | LimitPolicy,
    population: Any,
    months: int = 12,
    *,
    pd_model: Any = None,
    pd_column: str = "true_pd",
    product: Product | None = None,
    economics: Economics | None = None,
    cohort: str | None = "thin_file",
    random_state: int | np.random.Generator | None = None,
    return_panel: bool = False,
) -> SimulationResult:
    """Simulate a limit policy over a population of applicants.

    Parameters
    ----------
    policy : LimitLadder or MDPPolicy
        The limit policy (anything with ``ladder``, ``open_states`` and
        ``target_rungs`` works).
    population : DataFrame (pandas, Polars or PyArrow)
        One row per applicant: ``score`` (points on the ladder's scale), ``capacity``
        (average monthly spend), ``thin_file`` (0/1); optional ``income`` (annual, NaN
        where unknown), a PD column (``pd_column``, the probability of default over
        ``pd_horizon_months``) and the model's feature columns.
    months : int, default 12
    pd_model : Scorer, optional
        Any fitted scorer; its ``predict_proba`` on the population's feature columns
        (``feature_names_in_``) gives each account's PD, and its ``score`` fills a
        missing ``score`` column. Without it the ``pd_column`` is used, and without that
        the PD implied by ``score`` on the ladder's scale.
    product : Product, optional
        Pricing of the line (default :data:`DEFAULT_PRODUCT`).
    economics : Economics, optional
    cohort : str or None, default "thin_file"
        Column whose values define the cohorts of ``by_cohort``.
    random_state : int, Generator or None
    return_panel : bool, default False

    Returns
    -------
    SimulationResult

    Raises
    ------
    DataError
        On a missing or invalid column (table ``population``, column and rows named):
        non-finite score, capacity or PD, text or booleans where numbers are meant
        (``thin_file`` may be boolean), negative capacity or income, infinite income,
        a ``cohort`` column of lists, structs or other values that cannot label a
        cohort; on ``months`` that is not a positive integer; or if the money totals
        come out non-finite (a pd_model or product giving NaN).
    SpecError
        On a ``policy`` that is neither a :class:`LimitLadder` nor a fitted policy
        object, or a ``random_state`` that is not None, an integer >= 0 or a NumPy
        generator (text and booleans included).

    Notes
    -----
    Memory and time are O(n) per month (see ``benchmarks/limits.py`` for timings).

    Examples
    --------
    >>> pop = make_population(1000, random_state=0)
    >>> a = simulate(LimitLadder(), pop, 6, random_state=1).summary["profit"]
    >>> b = simulate(LimitLadder(), pop, 6, random_state=1).summary["profit"]
    >>> a == b
    True
    """
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 1:
        raise DataError(f"months must be a positive integer, got {months!r}")
    econ = economics or Economics()
    product = product or DEFAULT_PRODUCT
    ladder = _policy_ladder(policy)
    rng = generator(random_state)
    pop, _ = to_polars(population, table="population")
    score, pd12, capacity, income, thin, cohort_codes, cohort_labels = read_population(
        pop, ladder.scale, pd_model, pd_column, cohort
    )
    n = len(score)

    if isinstance(policy, LimitLadder):
        state = LadderArrays.open(ladder, score, capacity, income)
    else:
        state = policy.open_states(score, capacity, income)
    approved = state.rung >= 0
    hazard = 1.0 - (1.0 - pd12) ** (1.0 / econ.pd_horizon_months)
    r1, r2, r3 = econ.roll_rates
    entry_scale = 1.0 / (r1 * r2 * r3)
    mean, conc = econ.utilisation_mean, econ.utilisation_concentration
    propensity = rng.beta(mean * conc, (1 - mean) * conc, n)
    bucket = np.zeros(n, dtype=np.int64)
    balance = np.zeros(n)
    reached = state.limit.copy()
    monthly_yield = product.monthly_yield()
    funding = econ.funding_rate / 12.0
    rung_values = np.asarray(ladder.rungs)

    monthly: list[dict[str, float]] = []
    cohort_rows: list[dict[str, Any]] = []
    inclusion_rows: list[dict[str, float]] = []
    panel: list[dict[str, NDArray[Any]]] = []
    n_cohorts = len(cohort_labels)
    previous_allowance = 0.0
    cohort_size = np.bincount(cohort_codes, minlength=n_cohorts)
    cohort_approved = np.bincount(cohort_codes, weights=approved.astype(float), minlength=n_cohorts)
    cohort_allowance = np.zeros(n_cohorts)
    for month in range(1, months + 1):
        live = (state.rung >= 0) & ~state.closed & (bucket < 4)
        can_draw = live & ~state.frozen & (bucket == 0)
        noise = rng.normal(0.0, econ.utilisation_noise, n)
        use = np.clip(propensity + noise, 0.0, 1.0)
        balance = np.where(can_draw, use * state.limit, balance)
        limit_in_force = state.limit.copy()
        start_bucket = bucket.copy()

        over = np.maximum(limit_in_force / np.maximum(capacity, 1.0) - 1.0, 0.0)
        h = np.minimum(hazard * (1.0 + econ.overextension * over), 0.99)
        draw = rng.random(n)
        roll = np.array([0.0, r1, r2, r3])
        new_bucket = bucket.copy()
        current = live & (bucket == 0) & (balance > 0)
        miss = current & (draw < np.minimum(h * entry_scale, 1.0))
        new_bucket[miss] = 1
        behind = live & (bucket >= 1) & (bucket <= 3)
        rolls = behind & (draw < roll[np.minimum(bucket, 3)])
        new_bucket[rolls] = bucket[rolls] + 1
        new_bucket[behind & ~rolls] = 0
        undrawn = np.maximum(limit_in_force - balance, 0.0)
        balance = np.where(miss, balance + econ.ccf * undrawn, balance)
        charged = live & (new_bucket == 4)
        loss_vec = np.where(charged, econ.lgd * balance, 0.0)
        performing = live & (bucket == 0)
        ead = balance + np.where(performing & ~state.frozen, econ.ccf * undrawn, 0.0)
        el_vec = np.where(performing, h * econ.lgd * ead, 0.0)
        revenue_vec = np.where(live & (new_bucket == 0), monthly_yield * balance, 0.0)
        funding_vec = np.where(live, funding * balance, 0.0)
        servicing_vec = np.where(live, econ.servicing_cost, 0.0)
        # Allowance for the delinquent pipeline: balance that will still roll to charge-off.
        to_chargeoff = np.array([0.0, r1 * r2 * r3, r2 * r3, r3, 0.0])
        still = live & ~charged
        allowance_vec = np.where(still, econ.lgd * balance * to_chargeoff[new_bucket], 0.0)
        drawn_vec = np.where(live, balance, 0.0)
        exposure_vec = np.where(live, ead, 0.0)

        util = np.divide(balance, limit_in_force, out=np.zeros(n), where=limit_in_force > 0)
        if return_panel:
            idx = np.flatnonzero(live)
            panel.append(
                {
                    "account_id": idx,
                    "cycle": np.full(len(idx), month),
                    "score": score[idx],
                    "limit": limit_in_force[idx],
                    "start_dpd": BUCKET_DPD[start_bucket[idx]],
                    "dpd": BUCKET_DPD[new_bucket[idx]],
                    "utilisation": util[idx],
                    "balance": balance[idx],
                }
            )
        target = None if isinstance(policy, LimitLadder) else policy.target_rungs(score, state)
        # Inputs were checked once above; the unchecked kernel keeps the loop cheap.
        state, action, _ = _step_arrays(
            ladder, state, BUCKET_DPD[new_bucket], util, score, balance, target=target
        )
        balance = np.where(charged, 0.0, balance)
        bucket = new_bucket
        reached = np.maximum(reached, state.limit)

        money = {
            "revenue": revenue_vec,
            "funding_cost": funding_vec,
            "servicing_cost": servicing_vec,
            "expected_loss": el_vec,
            "realised_loss": loss_vec,
            "loss_allowance": allowance_vec,
            "drawn": drawn_vec,
            "exposure": exposure_vec,
        }
        row: dict[str, float] = {
            "month": month,
            "approval_rate": float(approved.mean()),
            "accounts_with_line": float(live.sum()),
            "total_limit": float(limit_in_force[live].sum()),
            "mean_limit": float(limit_in_force[live].mean()) if live.any() else 0.0,
        }
        row.update({k: float(v.sum()) for k, v in money.items()})
        row["allowance_change"] = row["loss_allowance"] - previous_allowance
        previous_allowance = row["loss_allowance"]
        row["profit"] = (
            row["revenue"]
            - row["funding_cost"]
            - row["servicing_cost"]
            - row["realised_loss"]
            - row["allowance_change"]
        )
        row["delinquent_30_share"] = float((live & (new_bucket >= 2)).sum() / max(live.sum(), 1))
        counts = np.bincount(action, minlength=len(ACTION_LIST))
        for a in (Action.INCREASE, Action.FREEZE, Action.CUT, Action.CLOSE):
            row[f"n_{a.value}"] = float(counts[ACTION_LIST.index(a)])
        monthly.append(row)
        sums = {
            k: np.bincount(cohort_codes, weights=v, minlength=n_cohorts) for k, v in money.items()
        }
        lines = np.bincount(cohort_codes, weights=live.astype(float), minlength=n_cohorts)
        for c, label in enumerate(cohort_labels):
            entry: dict[str, Any] = {
                "month": month,
                "cohort": label,
                "applicants": float(cohort_size[c]),
                "approval_rate": float(cohort_approved[c] / max(cohort_size[c], 1)),
                "accounts_with_line": lines[c],
            }
            entry.update({k: float(v[c]) for k, v in sums.items()})
            entry["allowance_change"] = entry["loss_allowance"] - cohort_allowance[c]
            cohort_allowance[c] = entry["loss_allowance"]
            entry["profit"] = (
                entry["revenue"]
                - entry["funding_cost"]
                - entry["servicing_cost"]
                - entry["realised_loss"]
                - entry["allowance_change"]
            )
            cohort_rows.append(entry)
        for value in rung_values:
            hit = reached >= value
            inclusion_rows.append(
                {
                    "month": month,
                    "limit": float(value),
                    "thin_file_share": float(hit[thin].mean()) if thin.any() else np.nan,
                    "thick_file_share": float(hit[~thin].mean()) if (~thin).any() else np.nan,
                }
            )

    import pandas as pd

    monthly_df = pd.DataFrame(monthly)
    _require_finite(monthly_df, "monthly")
    monthly_df["month"] = monthly_df["month"].astype(int)
    monthly_df["cumulative_profit"] = monthly_df["profit"].cumsum()
    mean_drawn = float(monthly_df["drawn"].mean())
    realised = float(monthly_df["realised_loss"].sum())
    credit_loss = realised + float(monthly_df["loss_allowance"].iloc[-1])
    summary = {
        "months": float(months),
        "accounts": float(n),
        "approval_rate": float(approved.mean()) if n else 0.0,
        "profit": float(monthly_df["profit"].sum()),
        "revenue": float(monthly_df["revenue"].sum()),
        "realised_loss": realised,
        "expected_loss": float(monthly_df["expected_loss"].sum()),
        "mean_drawn": mean_drawn,
        "credit_loss": credit_loss,
        "loss_rate": credit_loss / mean_drawn * 12.0 / months if mean_drawn > 0 else 0.0,
        "thin_file_share_500": _share(reached, thin, 500.0),
        "thick_file_share_500": _share(reached, ~thin, 500.0),
    }
    # The shares are NaN by design when a cohort is empty; every money total must be real.
    totals = {k: v for k, v in summary.items() if not k.endswith("_share_500")}
    _require_finite(pd.DataFrame([totals]), "summary")
    panel_df = None
    if return_panel:
        panel_df = pl.concat([pl.DataFrame(p) for p in panel]) if panel else None
    return SimulationResult(
        monthly=monthly_df,
        by_cohort=pd.DataFrame(cohort_rows),
        inclusion=pd.DataFrame(inclusion_rows),
        summary=summary,
        panel=panel_df,
    )


# --- helpers ----------------------------------------------------------------------------
def _policy_ladder(policy: Any) -> LimitLadder:
    """The ladder of ``policy``; SpecError unless it is a ladder or a policy object."""
    if isinstance(policy, LimitLadder):
        return policy
    ladder = getattr(policy, "ladder", None)
    methods = all(callable(getattr(policy, m, None)) for m in ("open_states", "target_rungs"))
    if not (isinstance(ladder, LimitLadder) and methods):
        raise SpecError(
            "policy must be a LimitLadder or a policy with a LimitLadder `ladder`, "
            f"`open_states` and `target_rungs` (e.g. a fitted MDPPolicy), got {policy!r:.60}"
        )
    return ladder


def _require_finite(frame: Any, what: str) -> None:
    """Refuse NaN/inf money figures (pandas would skip NaN in a sum and report 0)."""
    values = frame.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        columns = sorted({str(frame.columns[j]) for j in np.flatnonzero(bad.any(axis=0))})
        raise DataError(
            f"the simulation produced non-finite {what} figures in {columns}: an input "
            "(pd_model, product or population column) yields NaN or infinite values",
            table="population",
            rows=np.flatnonzero(bad.any(axis=1)).tolist(),
        )


def _share(reached: NDArray[np.float64], mask: NDArray[np.bool_], level: float) -> float:
    return float((reached[mask] >= level).mean()) if mask.any() else float("nan")
