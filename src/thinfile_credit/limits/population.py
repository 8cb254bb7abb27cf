"""Applicant populations for simulation: a seeded generator and the marketplace adapter.

A population is one row per applicant with ``account_id``, ``score`` (points on the
ladder's scale), ``true_pd`` (12-month probability of default), ``capacity`` (average
monthly spend, yuan), ``income`` (annual, NaN where unknown) and ``thin_file``.

Examples
--------
>>> make_population(100, random_state=0).shape
(100, 6)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from thinfile_credit._frames import to_polars
from thinfile_credit.errors import DataError
from thinfile_credit.scale import ScoreScale

__all__ = ["make_population", "population_from_marketplace"]


def make_population(
    n: int,
    *,
    thin_file_share: float = 0.6,
    random_state: int | None = None,
    scale: ScoreScale | None = None,
) -> Any:
    """A seeded synthetic applicant population for simulation and optimisation.

    Thin-file applicants have higher and less predictable risk: their latent log-odds of
    default are drawn around a 7 % 12-month PD (thick file: 3 %), and their score is a
    noisier estimate of it (log-odds noise 0.6 vs 0.35), as a model built on sparse
    history would be. Capacity (average monthly spend) is log-normal around ¥600 and
    mildly lower for riskier people; income is known for 40 % of thick-file applicants.

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``score``, ``true_pd``, ``capacity``, ``income``, ``thin_file``.

    Examples
    --------
    >>> pop = make_population(1000, random_state=1)
    >>> sorted(pop.columns)
    ['account_id', 'capacity', 'income', 'score', 'thin_file', 'true_pd']
    """
    import pandas as pd

    if n < 1 or not 0 <= thin_file_share <= 1:
        raise DataError("make_population needs n >= 1 and thin_file_share in [0, 1]")
    scale = scale or ScoreScale()
    rng = np.random.default_rng(random_state)
    thin = rng.random(n) < thin_file_share
    z = np.where(thin, rng.normal(-2.6, 0.9, n), rng.normal(-3.4, 0.8, n))
    true_pd = 1.0 / (1.0 + np.exp(-z))
    noise = np.where(thin, 0.6, 0.35) * rng.standard_normal(n)
    score = scale.points_from_log_odds(z + noise)
    capacity = np.exp(rng.normal(np.log(600.0) - 0.15 * (z + 3.0), 0.8, n))
    income = np.where(
        ~thin & (rng.random(n) < 0.4), np.exp(rng.normal(np.log(60000), 0.5, n)), np.nan
    )
    return pd.DataFrame(
        {
            "account_id": np.arange(n),
            "score": np.round(score, 1),
            "true_pd": true_pd,
            "capacity": np.round(capacity, 2),
            "income": np.round(income, 0),
            "thin_file": thin.astype(np.int8),
        }
    )


def population_from_marketplace(
    marketplace: Any,
    *,
    scores: Any = None,
    scale: ScoreScale | None = None,
    score_noise: float = 0.5,
    random_state: int | None = None,
) -> Any:
    """A simulation population from a synthetic marketplace's ground truth.

    Parameters
    ----------
    marketplace : object
        Anything with a ``truth`` frame holding ``application_id``, ``true_pd``,
        ``thin_file`` and ``capacity`` (as ``thinfile_credit.synthetic.make_marketplace``
        returns); an ``income`` column is used when present.
    scores : array-like, optional
        Model scores aligned with ``truth`` rows (e.g. a fitted scorer's ``score``).
        Without them a noisy proxy of the true log-odds (``score_noise``) stands in.

    Returns
    -------
    pandas.DataFrame
        Columns as :func:`make_population`, ``account_id`` being ``application_id``.

    Raises
    ------
    DataError
        A required column is absent or has missing values (a missing capacity is not
        zero capacity), or ``scores`` do not align with the rows.

    Examples
    --------
    >>> import pandas as pd
    >>> class Mk:
    ...     truth = pd.DataFrame({"application_id": [1, 2], "true_pd": [0.02, 0.2],
    ...                           "thin_file": [0, 1], "capacity": [900.0, 200.0]})
    >>> population_from_marketplace(Mk(), random_state=0).shape
    (2, 6)
    """
    import pandas as pd

    truth, _ = to_polars(marketplace.truth, table="truth")
    for col in ("application_id", "true_pd", "thin_file", "capacity"):
        if col not in truth.columns:
            raise DataError("missing column", table="truth", column=col)
        # a missing capacity read as 0 would decline the applicant without a word
        missing = truth[col].is_null()
        if truth[col].dtype.is_float():
            missing |= truth[col].is_nan()
        if missing.any():
            raise DataError(
                "missing values", table="truth", column=col, rows=missing.arg_true().to_list()
            )
    scale = scale or ScoreScale()
    pd_ = truth["true_pd"].cast(pl.Float64).to_numpy()
    if scores is None:
        rng = np.random.default_rng(random_state)
        clipped = np.clip(pd_, 1e-6, 1 - 1e-6)
        z = np.log(clipped) - np.log1p(-clipped) + score_noise * rng.standard_normal(len(pd_))
        score = scale.points_from_log_odds(z)
    else:
        score = np.asarray(scores, dtype=np.float64)
        if len(score) != len(pd_):
            raise DataError("scores must align with truth rows", table="truth", column="score")
    income = (
        truth["income"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        if "income" in truth.columns
        else np.full(len(pd_), np.nan)
    )
    return pd.DataFrame(
        {
            "account_id": truth["application_id"].to_numpy(),
            "score": score,
            "true_pd": pd_,
            "capacity": truth["capacity"].cast(pl.Float64).to_numpy(),
            "income": income,
            "thin_file": truth["thin_file"].cast(pl.Int8).to_numpy(),
        }
    )
