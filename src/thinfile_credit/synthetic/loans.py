"""The platform's micro-loans and their instalments.

Earlier loans (before a user's first application) follow a limit ladder: a first loan of
¥50-500 depending on spending capacity, one rung up after every loan repaid on time,
the same rung after a loan repaid a little late, and a freeze (no further loans) after
a loan that went 30+ days past due. Their outcomes are driven by the
``loan_delinquency`` factor.

Every application is approved (an "approve-all" sample, so the labels have no
selection bias) and gets a loan disbursed at ``applied_at`` under the limit the ladder
had reached. Its instalments carry the outcome: a bad application's loan has an
instalment that is 30+ days past due within the performance window; a good one is at
most 29 days late within the window (it may still default later, so vintage curves keep
rising slowly after the window, as real ones do).

Schedules are 30-day cycles: instalment ``k`` is due at midnight ``30 k`` days after the
disbursement day; a payment at or after the horizon's end is not observed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit.synthetic.applications import Timeline
from thinfile_credit.synthetic.clock import last_moment, to_timestamps
from thinfile_credit.synthetic.config import MarketplaceConfig
from thinfile_credit.synthetic.users import LatentUsers, sigmoid

__all__ = [
    "CYCLE_DAYS",
    "LADDER_RUNGS",
    "MONTHLY_FEE",
    "Installments",
    "Loans",
    "draw_application_loans",
    "draw_loan_history",
    "installments_frame",
    "loans_frame",
    "schedule_installments",
]

#: Credit limits of the platform's ladder, yuan.
LADDER_RUNGS: NDArray[np.float64] = np.array(
    [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0]
)
#: Days per repayment cycle.
CYCLE_DAYS = 30
#: Flat monthly fee on the principal (within China's 24% APR cap for these terms).
MONTHLY_FEE = 0.015
_CAPACITY_BANDS = np.array([600.0, 1200.0, 2500.0])  # -> first rung 50 / 100 / 200 / 500
_ON_TIME, _SLIGHTLY_LATE, _DELINQUENT = 0, 1, 2


@dataclass(frozen=True)
class Loans:
    """Loans as arrays; ``application`` is the 0-based application position or -1."""

    user: NDArray[np.int64]
    disbursed: NDArray[np.float64]
    principal: NDArray[np.float64]
    term: NDArray[np.int64]
    limit: NDArray[np.float64]
    application: NDArray[np.int64]
    outcome: NDArray[np.int64]
    default_k: NDArray[np.int64]  # first 30+ DPD instalment (1-based), 0 if none
    p_late: NDArray[np.float64]  # chance each other instalment is 1-29 days late

    def __len__(self) -> int:
        return len(self.user)

    @staticmethod
    def concat(parts: list[Loans]) -> Loans:
        """Stack several loan sets and order them by disbursement (then user)."""
        cols = {
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in Loans.__dataclass_fields__
        }
        order = np.lexsort((cols["user"], cols["disbursed"]))
        return Loans(**{k: v[order] for k, v in cols.items()})


@dataclass(frozen=True)
class Installments:
    """Instalments as arrays, ordered by loan then instalment number."""

    loan: NDArray[np.int64]  # position in Loans
    number: NDArray[np.int64]
    due: NDArray[np.float64]
    amount_due: NDArray[np.float64]
    paid: NDArray[np.float64]
    amount_paid: NDArray[np.float64]


def initial_rung(capacity: NDArray[np.float64]) -> NDArray[np.int64]:
    """First ladder rung by monthly spending capacity (¥50, 100, 200 or 500).

    Examples
    --------
    >>> LADDER_RUNGS[initial_rung(np.array([300.0, 3000.0]))].tolist()
    [50.0, 500.0]
    """
    return np.searchsorted(_CAPACITY_BANDS, capacity).astype(np.int64)


def draw_loan_history(
    cfg: MarketplaceConfig, users: LatentUsers, tl: Timeline, rng: np.random.Generator
) -> tuple[Loans, NDArray[np.int64]]:
    """Run the limit ladder for repeat borrowers up to their first application.

    The loop runs over repayment cycles and is vectorised across users.

    Returns
    -------
    loans : Loans
        Earlier loans (``application == -1``).
    rung : numpy.ndarray
        Each user's ladder rung when the history stops (first rung for a frozen user).

    Examples
    --------
    >>> from thinfile_credit.synthetic import MarketplaceConfig
    >>> from thinfile_credit.synthetic.users import draw_users
    >>> from thinfile_credit.synthetic.applications import draw_timeline
    >>> cfg = MarketplaceConfig(n_users=300)
    >>> rng = np.random.default_rng(0)
    >>> users = draw_users(cfg, rng)
    >>> loans, rung = draw_loan_history(cfg, users, draw_timeline(cfg, users, rng), rng)
    >>> bool((loans.principal <= loans.limit).all())
    True
    """
    horizon = float(cfg.horizon_days)
    first_rung = initial_rung(users.capacity)
    rung = first_rung.copy()
    frozen = np.zeros(users.n, dtype=bool)
    t = tl.loans_from.copy()
    cutoff = np.where(np.isnan(tl.first_application), horizon, tl.first_application)
    delinquency = users.repayment_propensity("loan_delinquency")
    parts: list[Loans] = []
    while True:
        active = ~frozen & (t < cutoff) & (t + CYCLE_DAYS < horizon)
        idx = np.flatnonzero(active)
        if len(idx) == 0:
            break
        start = t[idx]
        term = _fitting_term(
            rng.choice([1, 3, 6], size=len(idx), p=[0.5, 0.35, 0.15]), start, horizon
        )
        limit = LADDER_RUNGS[rung[idx]]
        principal = _principal(limit * rng.uniform(0.4, 1.0, size=len(idx)), limit)
        d = delinquency[idx]
        p_del = sigmoid(-3.8 + 1.3 * d)
        p_slight = sigmoid(-1.9 + 1.2 * d)
        u = rng.random(len(idx))
        outcome = np.where(
            u < p_del, _DELINQUENT, np.where(u < p_del + p_slight, _SLIGHTLY_LATE, _ON_TIME)
        )
        default_k = np.where(
            outcome == _DELINQUENT, 1 + (rng.random(len(idx)) * term).astype(np.int64), 0
        )
        p_late = np.select([outcome == _SLIGHTLY_LATE, outcome == _DELINQUENT], [0.5, 0.3], 0.0)
        parts.append(
            Loans(
                user=idx.astype(np.int64),
                disbursed=start,
                principal=principal,
                term=term,
                limit=limit,
                application=np.full(len(idx), -1, dtype=np.int64),
                outcome=outcome.astype(np.int64),
                default_k=default_k.astype(np.int64),
                p_late=p_late,
            )
        )
        promote = outcome == _ON_TIME
        rung[idx[promote]] = np.minimum(rung[idx[promote]] + 1, len(LADDER_RUNGS) - 1)
        frozen[idx[outcome == _DELINQUENT]] = True
        t[idx] = np.floor(start) + CYCLE_DAYS * term + rng.exponential(25.0, size=len(idx))
    rung = np.where(frozen, 0, rung)
    empty = _empty_loans()
    return Loans.concat([empty, *parts]), rung.astype(np.int64)


def draw_application_loans(
    cfg: MarketplaceConfig,
    users: LatentUsers,
    tl: Timeline,
    rung: NDArray[np.int64],
    true_pd: NDArray[np.float64],
    bad: NDArray[np.bool_],
    rng: np.random.Generator,
) -> Loans:
    """One loan per application, disbursed at ``applied_at``, carrying its outcome.

    Examples
    --------
    >>> from thinfile_credit.synthetic import make_marketplace
    >>> mk = make_marketplace(300, backend="polars")
    >>> mk.tables.loans["application_id"].null_count() < mk.tables.loans.height
    True
    """
    n_app = len(tl.app_user)
    horizon = float(cfg.horizon_days)
    window = cfg.performance_window_days
    user = tl.app_user
    start = tl.app_time
    term = _fitting_term(rng.choice([1, 3, 6], size=n_app, p=[0.3, 0.4, 0.3]), start, horizon)
    limit = LADDER_RUNGS[rung[user]]
    principal = _principal(np.minimum(tl.app_requested, limit), limit)

    # Bad: the first 30+ DPD instalment must reach 30 days past due inside the window.
    k_max_in = np.minimum(term, window // CYCLE_DAYS - 1)
    k_bad = 1 + (rng.random(n_app) * k_max_in).astype(np.int64)
    # Good loans may still default after the window (instalments beyond it only).
    k_min_out = window // CYCLE_DAYS
    late_default = ~bad & (term >= k_min_out) & (rng.random(n_app) < 0.3 * true_pd)
    span_out = np.maximum(term - k_min_out + 1, 1)
    k_out = k_min_out + (rng.random(n_app) * span_out).astype(np.int64)
    outcome = np.where(bad | late_default, _DELINQUENT, _SLIGHTLY_LATE)
    default_k = np.where(bad, k_bad, np.where(late_default, k_out, 0))
    d = users.repayment_propensity("loan_delinquency")[user]
    late_bills = users.repayment_propensity("late_bills")[user]
    p_late = sigmoid(-2.6 + 0.7 * d + 0.4 * late_bills + 1.2 * bad)
    return Loans(
        user=user.astype(np.int64),
        disbursed=start,
        principal=principal,
        term=term,
        limit=limit,
        application=np.arange(n_app, dtype=np.int64),
        outcome=outcome.astype(np.int64),
        default_k=default_k.astype(np.int64),
        p_late=p_late,
    )


def schedule_installments(
    cfg: MarketplaceConfig, loans: Loans, rng: np.random.Generator
) -> Installments:
    """Expand loans into instalments and draw when (and how much) each was paid.

    Before a loan's first delinquent instalment each instalment is paid on time or, with
    the loan's ``p_late``, 1-29 days late. From the delinquent instalment on, a loan is
    either recovered in one payment 31+ days after that due date (40%) or never repaid,
    sometimes after a partial payment.

    Examples
    --------
    >>> from thinfile_credit.synthetic import make_marketplace
    >>> mk = make_marketplace(300, backend="polars")
    >>> int(mk.tables.installments["installment_no"].min())
    1
    """
    horizon = float(cfg.horizon_days)
    term = loans.term
    loan = np.repeat(np.arange(len(loans), dtype=np.int64), term)
    number = np.arange(len(loan)) - np.repeat(np.cumsum(term) - term, term) + 1
    n = len(loan)
    due = np.floor(loans.disbursed[loan]) + CYCLE_DAYS * number
    amount_due = np.round(loans.principal[loan] * (1.0 / term[loan] + MONTHLY_FEE), 2)

    early = rng.random(n) * 5.0
    paid = np.maximum(due - early, loans.disbursed[loan])
    slightly = rng.random(n) < loans.p_late[loan]
    late_days = np.minimum(rng.geometric(0.2, size=n), 29) + 0.9 * rng.random(n)
    paid = np.where(slightly, due + late_days, paid)
    amount_paid = amount_due.copy()

    kd = loans.default_k[loan]
    delinquent_loan = loans.default_k > 0
    recovered_loan = delinquent_loan & (rng.random(len(loans)) < 0.4)
    first_default_due = np.floor(loans.disbursed) + CYCLE_DAYS * loans.default_k
    recovery = first_default_due + 31.0 + rng.exponential(60.0, size=len(loans))
    in_default = (kd > 0) & (number >= kd)
    caught = in_default & recovered_loan[loan] & (due < recovery[loan])
    paid = np.where(caught, recovery[loan], paid)
    lost = in_default & ~recovered_loan[loan]
    paid[lost] = np.nan
    amount_paid[lost] = 0.0
    partial = lost & (number == kd) & (rng.random(n) < 0.3)
    paid[partial] = due[partial] + rng.uniform(0.0, 20.0, int(partial.sum()))
    amount_paid[partial] = np.round(
        amount_due[partial] * rng.uniform(0.2, 0.8, int(partial.sum())), 2
    )

    unseen = paid > last_moment(horizon)
    paid[unseen] = np.nan
    amount_paid[unseen] = 0.0
    return Installments(
        loan, number.astype(np.int64), due.astype(np.float64), amount_due, paid, amount_paid
    )


def loans_frame(cfg: MarketplaceConfig, users: LatentUsers, loans: Loans) -> pl.DataFrame:
    """The ``loans`` table (``application_id`` null for loans drawn before applying).

    Examples
    --------
    >>> from thinfile_credit.synthetic import make_marketplace
    >>> sorted(set(make_marketplace(300, backend="polars").tables.loans["product"]))
    ['bullet', 'installment']
    """
    app_id = pl.Series("application_id", loans.application + 1, dtype=pl.Int64)
    return pl.DataFrame(
        {
            "loan_id": np.arange(1, len(loans) + 1, dtype=np.int64),
            "user_id": users.user_id[loans.user],
            "disbursed_at": to_timestamps(cfg.start_date, loans.disbursed),
            "principal": loans.principal,
            "product": np.where(loans.term == 1, "bullet", "installment"),
            "credit_limit": loans.limit,
        }
    ).with_columns(pl.when(app_id > 0).then(app_id).otherwise(None).alias("application_id"))


def installments_frame(cfg: MarketplaceConfig, inst: Installments) -> pl.DataFrame:
    """The ``installments`` table (``loan_id`` = loan position + 1).

    Examples
    --------
    >>> from thinfile_credit.synthetic import make_marketplace
    >>> make_marketplace(300, backend="polars").tables.installments.columns[:3]
    ['loan_id', 'installment_no', 'due_at']
    """
    start = cfg.start_date
    return pl.DataFrame(
        {
            "loan_id": inst.loan + 1,
            "installment_no": inst.number,
            "due_at": to_timestamps(start, inst.due),
            "amount_due": inst.amount_due,
            "paid_at": to_timestamps(start, inst.paid),
            "amount_paid": inst.amount_paid,
        }
    )


def _fitting_term(
    term: NDArray[np.int64], start: NDArray[np.float64], horizon: float
) -> NDArray[np.int64]:
    # The whole schedule must fall before the horizon's end: shorten terms that overrun.
    fits = np.floor(start) + CYCLE_DAYS * term < horizon
    fallback = np.maximum((horizon - np.floor(start) - 1) // CYCLE_DAYS, 1).astype(np.int64)
    return np.where(fits, term, np.minimum(term, fallback)).astype(np.int64)


def _principal(amount: NDArray[np.float64], limit: NDArray[np.float64]) -> NDArray[np.float64]:
    rounded = np.round(amount / 10.0) * 10.0
    return np.clip(rounded, np.minimum(50.0, limit), limit)


def _empty_loans() -> Loans:
    f, i = np.empty(0, dtype=np.float64), np.empty(0, dtype=np.int64)
    return Loans(i, f, f, i, f, i, i, i, f)
