"""What the reason texts leave unstated: points a model takes that no reason may state.

With ``check_values=True`` a :class:`~thinfile_credit.reasons.ReasonCoder` states a
feature's loss only where its group's text is true of the applicant's value: an on-time
share of 100 % is not "late bill payments", 12 bills are not "few" when the model scores
4 best. Such a loss is left unstated rather than misstated. That is right for the
applicant, but a lender must know how much of each decision goes unexplained: a model
that charges *many* orders or *large* balances needs a catalog group that names them, a
beyond route (``ReasonGroup.beyond``) from the group whose text they contradict.

* :func:`unstated_points` - per applicant and feature, the points lost that no reason
  states;
* :func:`reason_coverage` - per feature, how many applicants lose such points, how many,
  and for how many they would have been a principal reason: what to monitor, and which
  groups a catalog is missing.

Examples
--------
>>> from thinfile_credit.reasons import ReasonCoder, reason_coverage
>>> from thinfile_credit.reasons._demo import tiny_scorecard
>>> model, X = tiny_scorecard()
>>> coder = ReasonCoder(language="en").fit(model, X)
>>> list(reason_coverage(coder, X).columns)  # doctest: +NORMALIZE_WHITESPACE
['feature', 'code', 'applicants', 'share', 'mean_points', 'max_points',
 'outranks_a_reason']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import from_polars
from thinfile_credit.reasons._inputs import _output_kind
from thinfile_credit.reasons._ranking import top_reasons
from thinfile_credit.reasons._tidy import GroupLoss, _refuse_non_finite

if TYPE_CHECKING:
    from thinfile_credit.reasons.coder import ReasonCoder

__all__ = ["reason_coverage", "unstated_points"]

FloatArray = NDArray[np.float64]
_BLOCK = 16384


def unstated_points(coder: ReasonCoder, X: Any) -> FloatArray:
    """Points each feature costs each applicant that no reason states.

    A loss is unstated where ``check_values`` finds the applicant's value contradicts
    the text of the feature's group (see :attr:`ReasonCoder.favourable_end_` and
    :class:`~thinfile_credit.reasons.ReasonGroup` ``claim``) and no beyond route
    (``ReasonGroup.beyond``) states the far side. Losses routed to a missing-value or a
    beyond group are stated there, and protected features (with
    ``fairness_analysis=True``) are never reasons by design, so all count as stated
    here. Without ``check_values``, and with Owen attribution, every loss is stated:
    the result is all zeros.

    Parameters
    ----------
    coder : ReasonCoder
        A fitted coder.
    X : DataFrame or array
        Applicants, in the model's input form.

    Returns
    -------
    ndarray of shape (n, n_features)
        Non-negative; columns follow ``coder.feature_names_in_``.

    Raises
    ------
    NotFittedError
        The coder is not fitted.
    DataError
        ``X`` does not fit the model, or the contributions are not finite.

    Examples
    --------
    >>> from thinfile_credit.reasons import ReasonCoder
    >>> from thinfile_credit.reasons.coverage import unstated_points
    >>> from thinfile_credit.reasons._demo import tiny_scorecard
    >>> model, X = tiny_scorecard()
    >>> coder = ReasonCoder().fit(model, X)
    >>> unstated_points(coder, X).shape == (len(X), len(coder.feature_names_in_))
    True
    """
    coder._check_fitted()
    loss = coder._loss(coder.model_.contributions(X), X)
    return _unstated(coder, loss)


def reason_coverage(coder: ReasonCoder, X: Any) -> Any:
    """Per feature: the applicants losing points that no reason states, and how many.

    Parameters
    ----------
    coder : ReasonCoder
        A fitted coder.
    X : DataFrame or array
        Applicants, in the model's input form (a recent application sample).

    Returns
    -------
    DataFrame
        One row per feature with unstated points of at least the coder's
        ``min_points`` for some applicant (none: an empty frame): ``feature``;
        ``code``, the feature's group; ``applicants``, how many lose such points;
        ``share``, that count over all applicants; ``mean_points`` and ``max_points``
        among them; ``outranks_a_reason``, how many of them lose more points on this
        feature alone than on their weakest principal reason, or have a principal slot
        free (``max_reasons`` not reached): for these the decision's principal reasons
        miss a larger factor. Sorted by ``outranks_a_reason``, then ``applicants``
        (both descending), then feature. Of the kind of ``X`` (pandas for arrays).

    Raises
    ------
    NotFittedError
        The coder is not fitted.
    DataError
        ``X`` does not fit the model, or the contributions are not finite.

    Examples
    --------
    >>> from thinfile_credit.reasons import ReasonCoder, reason_coverage
    >>> from thinfile_credit.reasons._demo import tiny_scorecard
    >>> model, X = tiny_scorecard()
    >>> coder = ReasonCoder().fit(model, X)
    >>> report = reason_coverage(coder, X)
    >>> bool((report["applicants"] >= report["outranks_a_reason"]).all())
    True
    """
    coder._check_fitted()
    loss = coder._loss(coder.model_.contributions(X), X)
    unstated = _unstated(coder, loss)
    n = unstated.shape[0]
    floor = max(float(coder.min_points), 0.0)
    counted = (unstated > 0) & (unstated >= floor)
    ranked = top_reasons(loss, coder.max_reasons, False, coder.min_points)
    # the weakest principal reason's points, for applicants whose principal slots are
    # all taken; a free slot would take any loss over the floor
    last = ranked.slots == coder.max_reasons - 1
    full = np.zeros(n, dtype=bool)
    full[ranked.rows[last]] = True
    weakest = np.full(n, floor)
    weakest[ranked.rows[last]] = ranked.points[last]
    outranks = counted & (~full[:, None] | (unstated > weakest[:, None]))
    applicants = counted.sum(axis=0)
    keep = np.flatnonzero(applicants)
    names = [str(f) for f in coder.feature_names_in_]
    codes = [coder.feature_groups_.get(names[j]) for j in keep]
    points = np.where(counted, unstated, np.nan)[:, keep]
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(points, axis=0) if keep.size else np.empty(0)
        top = np.nanmax(points, axis=0) if keep.size else np.empty(0)
    frame = pl.DataFrame(
        {
            "feature": [names[j] for j in keep],
            "code": codes,
            "applicants": applicants[keep].astype(np.int64),
            "share": applicants[keep] / max(n, 1),
            "mean_points": mean,
            "max_points": top,
            "outranks_a_reason": outranks.sum(axis=0)[keep].astype(np.int64),
        },
        schema={
            "feature": pl.String,
            "code": pl.String,
            "applicants": pl.Int64,
            "share": pl.Float64,
            "mean_points": pl.Float64,
            "max_points": pl.Float64,
            "outranks_a_reason": pl.Int64,
        },
    ).sort(["outranks_a_reason", "applicants", "feature"], descending=[True, True, False])
    return from_polars(frame, _output_kind(X))  # type: ignore[arg-type]


def _unstated(coder: ReasonCoder, loss: FloatArray | GroupLoss) -> FloatArray:
    n_features = len(coder.feature_names_in_)
    n = loss.shape[0]
    out: FloatArray = np.zeros((n, n_features))
    if not isinstance(loss, GroupLoss) or loss.routes is None:
        return out  # no value check: every loss is stated
    if loss.unchecked is not None:
        _refuse_non_finite(loss.values, loss.unchecked)
    stated_by_design = coder._own_group < 0  # protected: never a reason
    for start in range(0, n, _BLOCK):
        rows = np.arange(start, min(n, start + _BLOCK), dtype=np.intp)
        through = coder._through(loss, rows)
        if through is None:
            return out
        lost = loss.routes.feature_baseline - loss.values[rows]
        if loss.sign < 0:
            lost = -lost
        silent = (through == -1) & (lost > 0) & ~stated_by_design
        out[rows] = np.where(silent, lost, 0.0)
    return out
