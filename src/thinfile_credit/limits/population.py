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
from numpy.typing import NDArray

from thinfile_credit._frames import to_polars
from thinfile_credit.errors import DataError
from thinfile_credit.limits._checks import generator, numeric_column
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
    rng = generator(random_state)
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
        rng = generator(random_state)
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


def read_population(
    pop: pl.DataFrame,
    scale: ScoreScale,
    pd_model: Any,
    pd_column: str,
    cohort: str | None,
) -> tuple[Any, ...]:
    """The checked inputs of :func:`~thinfile_credit.limits.simulate` from a population.

    Returns ``(score, pd, capacity, income, thin, cohort_codes, cohort_labels)``;
    :class:`DataError` names the ``population`` column and rows at fault.
    """
    n = pop.height
    if n == 0:
        raise DataError("population is empty", table="population")
    for col in ("capacity", "thin_file"):
        if col not in pop.columns:
            raise DataError("missing required column", table="population", column=col)
    score = None
    if pd_model is not None:
        names = [str(c) for c in getattr(pd_model, "feature_names_in_", [])]
        missing = [c for c in names if c not in pop.columns]
        if not names or missing:
            raise DataError(
                f"pd_model needs feature columns {missing or 'feature_names_in_'}",
                table="population",
                column=missing[0] if missing else None,
            )
        X = pop.select(names).to_pandas()
        pd12 = np.asarray(pd_model.predict_proba(X))[:, 1].astype(np.float64)
        if "score" not in pop.columns:
            score = np.asarray(pd_model.score(X), dtype=np.float64)
            _refuse(
                ~np.isfinite(score), "score", "pd_model.score gave missing or non-finite scores"
            )
    elif pd_column in pop.columns:
        pd12 = _numeric(pop, pd_column)
    else:
        pd12 = None
    if score is None:
        if "score" not in pop.columns:
            raise DataError("missing required column", table="population", column="score")
        score = _numeric(pop, "score")
    if pd12 is None:
        pd12 = scale.pd_from_points(score)
    _refuse(~((pd12 >= 0) & (pd12 <= 1)), pd_column, "PD must lie in [0, 1]")
    capacity = _numeric(pop, "capacity")
    _refuse(capacity < 0, "capacity", "must not be negative")
    if "income" in pop.columns:
        income = numeric_column(pop, "income", "population").fill_null(np.nan).to_numpy()
        why = "must not be negative or infinite (NaN/null where unknown)"
        _refuse(np.isinf(income) | (income < 0), "income", why)
    else:
        income = np.full(n, np.nan)
    flag = pop["thin_file"]
    thin_flag = (  # a flag may be boolean; nulls become NaN and fail the 0/1 check
        flag.cast(pl.Float64).fill_null(np.nan).to_numpy()
        if flag.dtype == pl.Boolean
        else _numeric(pop, "thin_file")
    )
    _refuse((thin_flag != 0) & (thin_flag != 1), "thin_file", "must be 0 or 1 (or boolean)")
    thin = thin_flag.astype(bool)
    if cohort is None:
        codes, labels = np.zeros(n, dtype=np.int64), ["all"]
    else:
        if cohort not in pop.columns:
            raise DataError("cohort column not found", table="population", column=cohort)
        values = pop[cohort]
        if values.dtype.is_nested() or values.dtype == pl.Object:
            raise DataError(
                f"cohort labels must be plain values (numbers, text, dates), got {values.dtype}",
                table="population",
                column=cohort,
            )
        uniques = values.unique(maintain_order=False).sort()
        labels = uniques.to_list()
        codes = values.replace_strict(
            dict(zip(labels, range(len(labels)))), return_dtype=pl.Int64
        ).to_numpy()
    return score, pd12, capacity, income, thin, codes, labels


def _numeric(pop: pl.DataFrame, col: str) -> NDArray[np.float64]:
    arr = numeric_column(pop, col, "population").fill_null(np.nan).to_numpy()
    _refuse(~np.isfinite(arr), col, "missing or non-finite values")
    return arr


def _refuse(bad: NDArray[np.bool_], column: str, why: str) -> None:
    """DataError naming the population ``column`` and its ``bad`` rows, if any."""
    rows = np.flatnonzero(bad)
    if len(rows):
        raise DataError(why, table="population", column=column, rows=rows.tolist())
