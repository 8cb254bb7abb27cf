"""Latent user traits: the hidden causes behind every synthetic table.

Each user has standard-normal risk factors, each driving one observable behaviour:

============================  =====================================================
factor                        what it drives (observable)
============================  =====================================================
``late_bills``                pay-later bill lateness; night orders, cancellations
``loan_delinquency``          lateness and delinquency on earlier loans
``unstable_identity``         device/address/phone changes; unverified phone
``risky_network``             shared by a community; links stay mostly inside it
``low_spend``                 minus the (standardised log) spending capacity
============================  =====================================================

plus an unobservable idiosyncratic part. A user's latent risk is the weighted sum; the
application-level ``short_history`` factor is added when applications are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.synthetic.config import MarketplaceConfig

__all__ = ["FACTOR_WEIGHTS", "RISK_FACTORS", "LatentUsers", "draw_users", "sigmoid"]

#: The planted risk factors, in the order used for ``risk_driver``.
RISK_FACTORS: tuple[str, ...] = (
    "late_bills",
    "loan_delinquency",
    "short_history",
    "unstable_identity",
    "risky_network",
    "low_spend",
)

#: Weight of each standard-normal factor in the true log-odds (times ``signal_strength``).
FACTOR_WEIGHTS: dict[str, float] = {
    "late_bills": 0.65,
    "loan_delinquency": 0.5,
    "unstable_identity": 0.5,
    "risky_network": 0.55,
    "low_spend": 0.45,
}
#: Extra log-odds for an applicant whose account is new (scaled by 1 - tenure / 1 year).
SHORT_HISTORY_WEIGHT = 1.0

#: Weight of the community's network risk in each member's repayment propensities.
NETWORK_IN_REPAYMENT = 0.9

#: Median monthly spending capacity (yuan) and its log-scale dispersion.
CAPACITY_MEDIAN = 900.0
CAPACITY_SIGMA = 0.8


@dataclass(frozen=True)
class LatentUsers:
    """Per-user hidden state (arrays aligned by position; ``user_id = position + 1``)."""

    user_id: NDArray[np.int64]
    thin: NDArray[np.bool_]
    factors: dict[str, NDArray[np.float64]]
    idiosyncratic: NDArray[np.float64]
    risk: NDArray[np.float64]
    impulsivity: NDArray[np.float64]
    capacity: NDArray[np.float64]
    capacity_z: NDArray[np.float64]
    engagement: NDArray[np.float64]
    community: NDArray[np.int64]
    applies: NDArray[np.bool_]
    has_bureau: NDArray[np.bool_]
    has_pay_later: NDArray[np.bool_]
    has_loan_history: NDArray[np.bool_]
    states_income: NDArray[np.bool_]

    @property
    def n(self) -> int:
        """Number of users."""
        return len(self.user_id)

    def repayment_propensity(self, factor: str) -> NDArray[np.float64]:
        """Standardised propensity to repay late, for ``"late_bills"`` or ``"loan_delinquency"``.

        It mixes the user's own factor with the community's network risk, so that
        neighbours' repayment behaviour reveals the ``risky_network`` factor.
        """
        mixed = self.factors[factor] + NETWORK_IN_REPAYMENT * self.factors["risky_network"]
        return np.asarray(mixed / np.sqrt(1.0 + NETWORK_IN_REPAYMENT**2), dtype=np.float64)

    def components(self, scale: float) -> dict[str, NDArray[np.float64]]:
        """Each user-level factor's contribution to the true log-odds."""
        return {k: scale * FACTOR_WEIGHTS[k] * v for k, v in self.factors.items()}


def draw_users(cfg: MarketplaceConfig, rng: np.random.Generator) -> LatentUsers:
    """Draw every user's latent traits and account flags.

    Parameters
    ----------
    cfg : MarketplaceConfig
        The marketplace specification.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    LatentUsers

    Examples
    --------
    >>> from thinfile_credit.synthetic import MarketplaceConfig
    >>> users = draw_users(MarketplaceConfig(n_users=1000), np.random.default_rng(0))
    >>> round(float(users.thin.mean()), 1)
    0.4
    """
    n = cfg.n_users
    thin = np.zeros(n, dtype=bool)
    thin[rng.permutation(n)[: round(cfg.thin_file_share * n)]] = True

    # Repayment discipline is one trait seen twice (bills and loans): correlate them.
    discipline = rng.standard_normal(n)
    late_bills = 0.7 * discipline + 0.714 * rng.standard_normal(n)
    loan_delinquency = 0.7 * discipline + 0.714 * rng.standard_normal(n)
    unstable = rng.standard_normal(n)
    n_comm = max(1, round(n / cfg.community_size))
    # Communities gather people of similar repayment discipline (birds of a feather):
    # chunk users ordered by a noisy discipline score.
    affinity = late_bills + loan_delinquency + 1.2 * rng.standard_normal(n)
    community = np.empty(n, dtype=np.int64)
    community[np.argsort(affinity, kind="stable")] = np.arange(n) * n_comm // n
    community_risk = rng.standard_normal(n_comm)
    risky_network = community_risk[community]
    # Capacity is mildly better for disciplined users; low spend is a risk factor.
    capacity_z = -0.3 * discipline + 0.954 * rng.standard_normal(n)
    capacity = CAPACITY_MEDIAN * np.exp(CAPACITY_SIGMA * capacity_z)
    factors = {
        "late_bills": late_bills,
        "loan_delinquency": loan_delinquency,
        "unstable_identity": unstable,
        "risky_network": risky_network,
        "low_spend": -capacity_z,
    }
    # Thin-file users are a little riskier on average (self-selection of new accounts).
    idiosyncratic = cfg.noise * rng.standard_normal(n) + 0.15 * thin
    scale = cfg.signal_strength
    risk = idiosyncratic + sum(scale * FACTOR_WEIGHTS[k] * v for k, v in factors.items())
    # Impulsive shopping (night orders, discretionary mix, cancellations) partly reveals
    # repayment discipline even for users with no bills or loans.
    impulsivity = 0.65 * late_bills + 0.35 * loan_delinquency + 0.55 * rng.standard_normal(n)
    engagement = rng.standard_normal(n)

    thick = ~thin
    return LatentUsers(
        user_id=np.arange(1, n + 1, dtype=np.int64),
        thin=thin,
        factors=factors,
        idiosyncratic=idiosyncratic,
        risk=np.asarray(risk, dtype=np.float64),
        impulsivity=impulsivity,
        capacity=capacity,
        capacity_z=capacity_z,
        engagement=engagement,
        community=community.astype(np.int64),
        applies=rng.random(n) < cfg.apply_share,
        has_bureau=thick & (rng.random(n) < cfg.bureau_share),
        has_pay_later=thick & (rng.random(n) < cfg.pay_later_share),
        has_loan_history=thick & (rng.random(n) < cfg.loan_history_share),
        states_income=rng.random(n) < cfg.stated_income_share,
    )


def sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Logistic function, elementwise.

    Examples
    --------
    >>> float(sigmoid(np.array([0.0]))[0])
    0.5
    """
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)
