"""A Markov decision process for limit management, solved by value iteration.

States are (score band x rung x delinquency bucket): bands are the ladder's initial
bands, rungs its rungs, buckets current / 1–29 / 30–59 / 60–89 days past due, with
charge-off absorbing. In a current state the lender picks next month's limit — one rung
down, hold, or one rung up; in a delinquent state the line is frozen (the ladder's safety
rules are not up for optimisation). Transition probabilities are estimated from
replayed account-month histories with hierarchical smoothing: a sparse (band, rung)
cell borrows strength from its band, and the band from the whole book, with a prior
weight of ``smoothing`` observations.

Reward of a current month at rung ``r`` (limit ``L``, drawn ``D = u * L``)::

    P(stay current) * yield * D - funding * D - servicing
        - loss_weight * P(miss) * P(charge-off | miss) * lgd * (D + ccf * (L - D))

so expected credit loss is booked when the account first misses (when the exposure at
default is fixed). ``loss_weight > 1`` is a Lagrange multiplier that trades profit for a
lower loss rate; :func:`thinfile_credit.limits.optimise.compare_policies` tunes it.

Examples
--------
>>> from thinfile_credit.limits import LimitLadder, simulate
>>> from thinfile_credit.limits.simulate import make_population
>>> pop = make_population(3000, random_state=0)
>>> panel = simulate(LimitLadder(), pop, 6, random_state=0, return_panel=True).panel
>>> policy = MDPPolicy().fit(panel)
>>> policy.policy_.shape
(5, 8)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import to_polars
from thinfile_credit.errors import DataError, ModelError, NotFittedError
from thinfile_credit.limits._checks import check_number, float_array, numeric_column
from thinfile_credit.limits._replay_inputs import _sorted
from thinfile_credit.limits.engine import (
    DEFAULT_LADDER,
    _check_inputs,
    loss_cap,
    not_whole_days,
    rung_at_most,
    rung_index,
    static_caps,
)
from thinfile_credit.limits.ladder import LimitLadder, checked_ladder
from thinfile_credit.limits.ladder_arrays import LadderArrays
from thinfile_credit.limits.simulate import DEFAULT_PRODUCT, Economics
from thinfile_credit.pricing.product import Product

__all__ = ["MDPPolicy", "TransitionModel", "dpd_bucket", "estimate_transitions"]

N_BUCKETS = 4  # non-absorbing delinquency buckets; index 4 is charge-off


def dpd_bucket(dpd: Any) -> NDArray[np.int64]:
    """Delinquency bucket of days past due: 0, 1–29, 30–59, 60–89, 90+ → 0..4.

    Raises
    ------
    DataError
        (column ``dpd``, with the positions) On values that are not a whole,
        non-negative number of days: NaN is unknown, not charged off; -5 is not current.
        Text and booleans are refused too.

    Examples
    --------
    >>> dpd_bucket([0, 5, 30, 75, 200]).tolist()
    [0, 1, 2, 3, 4]
    >>> dpd_bucket([0, float("nan"), -5])
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.DataError: dpd: must be whole, non-negative days (rows: 1, 2)
    """
    days = float_array(dpd, "dpd")
    bad = np.flatnonzero(not_whole_days(days).reshape(-1))
    if len(bad):
        raise DataError("must be whole, non-negative days", column="dpd", rows=bad.tolist())
    return np.searchsorted(np.array([1, 30, 60, 90]), days, side="right")


@dataclass(frozen=True)
class TransitionModel:
    """Smoothed transition probabilities and usage by (band, rung).

    Parameters
    ----------
    probabilities : ndarray of shape (bands, rungs, 4, 5)
        ``P[b, r, d, d']`` from bucket ``d`` to ``d'`` (4 = charge-off).
    counts : ndarray of shape (bands, rungs, 4, 5)
        Observed transitions behind them.
    utilisation : ndarray of shape (bands, rungs)
        Mean share of the limit drawn by current accounts (smoothed likewise).

    Examples
    --------
    >>> import numpy as np
    >>> m = TransitionModel(np.ones((1, 1, 4, 5)) / 5, np.zeros((1, 1, 4, 5)), np.ones((1, 1)))
    >>> m.probabilities.sum(axis=-1).tolist()
    [[[1.0, 1.0, 1.0, 1.0]]]
    """

    probabilities: NDArray[np.float64]
    counts: NDArray[np.float64]
    utilisation: NDArray[np.float64]


def estimate_transitions(
    histories: Any, ladder: LimitLadder | None = None, *, smoothing: float = 20.0
) -> TransitionModel:
    """Estimate bucket transitions per (score band, rung) from account-month histories.

    Parameters
    ----------
    histories : DataFrame
        One row per account and cycle: ``account_id``, ``cycle``, ``score``, ``limit``
        (in force during the cycle), ``dpd`` (at its end), ``utilisation``; optional
        ``start_dpd`` (otherwise the account's previous row, 0 for the first). The
        ``panel`` of :func:`~thinfile_credit.limits.simulate` has this form.
    ladder : LimitLadder, optional
        Supplies the bands and rungs.
    smoothing : float, default 20
        Prior weight, in observations, of the pooled estimate for each cell. A cell with
        no observations takes the pooled estimate even at 0.

    Returns
    -------
    TransitionModel

    Raises
    ------
    SpecError
        When ``smoothing`` is not a finite number >= 0.
    DataError
        On missing columns; null, NaN or infinite values; text or booleans where
        numbers are meant; text cycles; DPD that is not whole days; duplicate
        ``(account_id, cycle)`` rows (a :class:`~thinfile_credit.errors.SchemaError`:
        each would be counted twice); a limit that is neither a rung nor 0; or no
        usable rows. Rows with limit 0 (no line) or starting charged off are skipped:
        they have no transition to learn. Rows are quoted as positions in the input.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"account_id": [1, 1, 1], "cycle": [1, 2, 3],
    ...                   "score": [560.0] * 3, "limit": [100.0] * 3,
    ...                   "dpd": [0, 10, 0], "utilisation": [0.5] * 3})
    >>> m = estimate_transitions(h, smoothing=0.0)
    >>> m.probabilities[1, 1, 0].round(2).tolist()   # band 1, rung ¥100, from current
    [0.5, 0.5, 0.0, 0.0, 0.0]
    """
    L = checked_ladder(ladder, DEFAULT_LADDER)
    check_number("estimate_transitions", "smoothing", smoothing, low=0.0)
    df, _ = to_polars(histories, table="histories")
    need = ["account_id", "cycle", "score", "limit", "dpd", "utilisation"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataError("missing required column", table="histories", column=missing[0])
    derive_start = "start_dpd" not in df.columns
    # replay's ordering: nulls in the keys, text cycles and duplicate (account_id, cycle)
    # rows are refused (a duplicate would count one transition twice).
    df, order = _sorted(df)
    rows = np.arange(df.height) if order is None else order
    df = df.with_columns(pl.Series("_row", rows))  # errors quote input rows
    values = {c: _finite(df, c) for c in ("score", "limit", "dpd", "utilisation")}
    days, limit = values["dpd"], values["limit"]
    _reject(df, "dpd", not_whole_days(days), "must be whole, non-negative days")
    r = rung_index(L, limit)
    _reject(df, "limit", r == -2, "must be a rung of the ladder, or 0")
    if derive_start:
        # The account's previous row's DPD, 0 for its first row.
        same = (df["account_id"][1:] == df["account_id"][:-1]).to_numpy()
        start = np.zeros_like(days)
        start[1:] = np.where(same, days[:-1], 0.0)
    else:
        start = _finite(df, "start_dpd")
        _reject(df, "start_dpd", not_whole_days(start), "must be whole, non-negative days")
    d0 = dpd_bucket(start)
    d1 = dpd_bucket(days)
    # Rows without a line (limit 0) or already charged off carry no transition to learn.
    valid = (d0 < N_BUCKETS) & (limit > 0)
    if not valid.any():
        raise DataError(
            "no usable rows (every row has limit 0 or starts charged off)",
            table="histories",
            column="limit",
        )
    b = _band(L, values["score"])
    B, R = len(L.initial_bands), len(L.rungs)
    counts = np.zeros((B, R, N_BUCKETS, N_BUCKETS + 1))
    np.add.at(counts, (b[valid], r[valid], d0[valid], d1[valid]), 1.0)
    glob = counts.sum(axis=(0, 1))
    glob_p = _normalise(glob, _structural_prior(), 1.0)
    band_p = _normalise(counts.sum(axis=1), glob_p[None], smoothing)
    probs = _normalise(counts, band_p[:, None], smoothing)

    util = values["utilisation"]
    cur = valid & (d0 == 0)
    s = np.zeros((B, R))
    c = np.zeros((B, R))
    np.add.at(s, (b[cur], r[cur]), np.clip(util[cur], 0, 1))
    np.add.at(c, (b[cur], r[cur]), 1.0)
    overall = s.sum() / max(c.sum(), 1.0)
    band_n = c.sum(1) + smoothing
    band_u = np.where(
        band_n > 0, (s.sum(1) + smoothing * overall) / np.maximum(band_n, 1e-300), overall
    )
    util_br = np.where(
        c + smoothing > 0,
        (s + smoothing * band_u[:, None]) / np.maximum(c + smoothing, 1e-300),
        band_u[:, None],
    )
    return TransitionModel(probabilities=probs, counts=counts, utilisation=util_br)


class MDPPolicy:
    """Profit-maximising limit policy from an MDP over (band, rung, delinquency).

    Parameters
    ----------
    ladder : LimitLadder, optional
        Bands, rungs, caps and the delinquency rules the policy keeps.
    discount : float, default 0.98
        Monthly discount factor.
    smoothing : float, default 20
        See :func:`estimate_transitions`.
    loss_weight : float, default 1.0
        Multiplier on expected credit loss in the reward (1 = plain profit).
    product : Product, optional
        Pricing (monthly yield); default :data:`~thinfile_credit.limits.simulate.DEFAULT_PRODUCT`.
    economics : Economics, optional
        LGD, CCF, funding and servicing costs.
    max_initial_step : int, default 0
        How many rungs above the ladder's band limit a first limit may be.
    tol : float, default 1e-8
    max_iter : int, default 10000

    Attributes
    ----------
    transitions_ : TransitionModel
    value_ : ndarray of shape (bands, rungs, 4)
    policy_ : ndarray of shape (bands, rungs)
        Target rung for a current account in each (band, rung).
    initial_rungs_ : ndarray of shape (bands,)
    n_iter_ : int

    Examples
    --------
    >>> MDPPolicy(discount=0.9).discount
    0.9
    """

    def __init__(
        self,
        ladder: LimitLadder | None = None,
        *,
        discount: float = 0.98,
        smoothing: float = 20.0,
        loss_weight: float = 1.0,
        product: Product | None = None,
        economics: Economics | None = None,
        max_initial_step: int = 0,
        tol: float = 1e-8,
        max_iter: int = 10000,
    ) -> None:
        self.ladder = ladder or DEFAULT_LADDER
        self.discount = discount
        self.smoothing = smoothing
        self.loss_weight = loss_weight
        self.product = product
        self.economics = economics
        self.max_initial_step = max_initial_step
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, histories: Any) -> MDPPolicy:
        """Estimate transitions from ``histories`` and solve the MDP by value iteration.

        Parameters
        ----------
        histories : DataFrame
            See :func:`estimate_transitions`.

        Returns
        -------
        self

        Raises
        ------
        SpecError
            When ``ladder`` is not a :class:`LimitLadder`; naming the parameter
            (``MDPPolicy.<name>``) when it is not a finite number
            in range: ``discount`` in (0, 1), ``loss_weight`` >= 0, ``tol`` > 0,
            ``max_initial_step`` a whole number >= 0, ``max_iter`` a whole number >= 1;
            or ``smoothing`` (see :func:`estimate_transitions`).
        DataError
            On bad ``histories`` (see :func:`estimate_transitions`).
        ModelError
            When value iteration does not converge in ``max_iter`` iterations.
        """

        def check(name: str, **bounds: Any) -> Any:
            return check_number("MDPPolicy", name, getattr(self, name), **bounds)

        check("discount", low=0.0, high=1.0, low_open=True, high_open=True)
        check("loss_weight", low=0.0)
        check("tol", low=0.0, low_open=True)
        check("max_initial_step", low=0, integer=True)
        check("max_iter", low=1, integer=True)
        checked_ladder(self.ladder, DEFAULT_LADDER, "MDPPolicy.ladder")
        self.transitions_ = estimate_transitions(histories, self.ladder, smoothing=self.smoothing)
        rewards = self._rewards(self.transitions_)
        self.value_, self.policy_, self.n_iter_ = _value_iteration(
            self.transitions_.probabilities, rewards, self.discount, self.tol, self.max_iter
        )
        band_rungs = self.ladder.band_rungs
        best = np.empty(len(band_rungs), dtype=np.int64)
        for b, base in enumerate(band_rungs):
            hi = min(int(base) + int(self.max_initial_step), len(self.ladder.rungs) - 1)
            best[b] = int(np.argmax(self.value_[b, : hi + 1, 0]))
        self.initial_rungs_ = best
        return self

    def open_states(self, scores: Any, capacity: Any, income: Any = None) -> LadderArrays:
        """Opening states: the MDP's first rung per band, within every cap.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        DataError
            As :func:`~thinfile_credit.limits.initial_limit`: missing or infinite scores
            or capacities, negative capacity or income, infinite income, text or
            booleans, or arrays of different lengths (column and rows named).
        """
        self._check_fitted()
        L = self.ladder
        s, cap_vec, inc = _check_inputs(scores, capacity, income)  # the ladder path's checks
        cap, cap_reason = static_caps(L, cap_vec, inc)
        allowed = rung_at_most(L, np.minimum(cap, loss_cap(L, s)))
        band = L.band_index(s)
        rung = np.where(band >= 0, self.initial_rungs_[np.maximum(band, 0)], -1)
        rung = np.minimum(rung, allowed)
        return LadderArrays.from_rungs(L, rung.astype(np.int64), cap, cap_reason)

    def target_rungs(self, scores: Any, state: LadderArrays) -> NDArray[np.int64]:
        """The MDP's wanted rung for each account (its current rung if it has no line)."""
        self._check_fitted()
        band = _band(self.ladder, np.asarray(scores, dtype=np.float64))
        rung = state.rung
        wanted = self.policy_[band, np.maximum(rung, 0)]
        return np.where(rung >= 0, wanted, rung).astype(np.int64)

    def policy_table(self) -> Any:
        """The policy as a pandas DataFrame: band x current limit → target limit."""
        import pandas as pd

        self._check_fitted()
        rungs = np.asarray(self.ladder.rungs)
        bands = [
            f"[{'-∞' if b.lower is None else f'{b.lower:g}'}, "
            f"{'∞' if b.upper is None else f'{b.upper:g}'})"
            for b in self.ladder.initial_bands
        ]
        return pd.DataFrame(rungs[self.policy_], index=bands, columns=[f"{r:g}" for r in rungs])

    # --- internals ----------------------------------------------------------------------
    def _rewards(self, model: TransitionModel) -> NDArray[np.float64]:
        econ = self.economics or Economics()
        product = self.product or DEFAULT_PRODUCT
        P = model.probabilities
        limit = np.asarray(self.ladder.rungs)[None, :]
        drawn = model.utilisation * limit
        ead = drawn + econ.ccf * (limit - drawn)
        funding = econ.funding_rate / 12.0
        p_chargeoff = P[:, :, 1, 2] * P[:, :, 2, 3] * P[:, :, 3, 4]
        current = (
            P[:, :, 0, 0] * product.monthly_yield() * drawn
            - funding * drawn
            - econ.servicing_cost
            - self.loss_weight * P[:, :, 0, 1] * p_chargeoff * econ.lgd * ead
        )
        late = -funding * ead - econ.servicing_cost
        rewards = np.empty(P.shape[:3])
        rewards[:, :, 0] = current
        rewards[:, :, 1:] = late[:, :, None]
        return rewards

    def _check_fitted(self) -> None:
        if not hasattr(self, "policy_"):
            raise NotFittedError("MDPPolicy is not fitted yet; call fit(histories) first")


def _value_iteration(
    P: NDArray[np.float64],
    R: NDArray[np.float64],
    gamma: float,
    tol: float,
    max_iter: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64], int]:
    B, n_rungs = R.shape[:2]
    V = np.zeros((B, n_rungs, N_BUCKETS))
    moves = np.array([-1, 0, 1])
    targets = np.clip(np.arange(n_rungs)[:, None] + moves[None, :], 0, n_rungs - 1)  # (R, 3)
    P_live = P[..., :N_BUCKETS]  # charge-off has value 0
    n_iter = 0
    for iteration in range(1, max_iter + 1):
        n_iter = iteration
        cont = np.einsum("brde,bre->brd", P_live, V)  # expected next value if rung held
        q_current = R[:, :, 0] + gamma * cont[:, :, 0]  # value of *choosing* rung r now
        choice = q_current[:, targets]  # (B, R, 3)
        new = np.empty_like(V)
        new[:, :, 0] = choice.max(axis=2)
        new[:, :, 1:] = R[:, :, 1:] + gamma * cont[:, :, 1:]
        delta = float(np.max(np.abs(new - V)))
        V = new
        if delta < tol * (1 - gamma) / (2 * gamma):
            break
    else:
        raise ModelError(f"value iteration did not converge in {max_iter} iterations")
    q_current = R[:, :, 0] + gamma * np.einsum("brde,bre->brd", P_live, V)[:, :, 0]
    policy = targets[np.arange(n_rungs)[None, :], np.argmax(q_current[:, targets], axis=2)]
    return V, policy.astype(np.int64), n_iter


def _finite(df: pl.DataFrame, column: str) -> NDArray[np.float64]:
    """A numeric ``histories`` column as float64; null, NaN or infinite values are errors."""
    values = numeric_column(df, column, "histories").fill_null(np.nan).to_numpy()
    _reject(df, column, ~np.isfinite(values), "null, NaN or infinite values")
    return values


def _reject(df: pl.DataFrame, column: str, bad: NDArray[np.bool_], why: str) -> None:
    if bad.any():
        rows = sorted(df["_row"].filter(pl.Series(bad)).to_list())
        raise DataError(why, table="histories", column=column, rows=rows)


def _band(ladder: LimitLadder, scores: NDArray[np.float64]) -> NDArray[np.int64]:
    """Band of each score for the transition model: a score with no band (beyond the
    riskiest band's bound, or missing) counts in the riskiest band, whichever end of the
    score range that is on the ladder's scale."""
    riskiest = 0 if ladder.scale.higher_is_better else len(ladder.initial_bands) - 1
    band = ladder.band_index(scores)
    return np.where(band < 0, riskiest, band).astype(np.int64)


def _structural_prior() -> NDArray[np.float64]:
    # From current an account can only stay or miss; from a late bucket it cures or rolls.
    prior = np.zeros((N_BUCKETS, N_BUCKETS + 1))
    prior[0, 0], prior[0, 1] = 0.95, 0.05
    for d in range(1, N_BUCKETS):
        prior[d, 0], prior[d, d + 1] = 0.5, 0.5
    return prior


def _normalise(
    counts: NDArray[np.float64], prior: NDArray[np.float64], weight: float
) -> NDArray[np.float64]:
    total = counts.sum(axis=-1, keepdims=True)
    prior = np.broadcast_to(prior, counts.shape)
    # An empty cell takes the pooled estimate whatever the weight (even 0).
    safe = np.where(total + weight > 0, total + weight, 1.0)
    return np.where(total + weight > 0, (counts + weight * prior) / safe, prior)
