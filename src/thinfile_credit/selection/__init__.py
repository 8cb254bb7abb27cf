"""Variable selection for WoE scorecards: IV thresholds, correlation, VIF, stepwise.

:func:`select_features` runs the stages in the order a credit modeller would - drop
constant features, then IV thresholds, the correlation filter (keep the higher-IV one of a
correlated pair), VIF, and optionally forward/backward stepwise on AIC, BIC or validation
AUC - and returns a :class:`SelectionReport` saying which stage dropped each feature and
why. Every stage is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.selection._checks import (
    DIRECTIONS,
    check_option,
    check_threshold,
    checked_iv,
    checked_names,
    checked_target,
    checked_woe,
)
from thinfile_credit.selection._filters import correlation_filter, iv_filter, vif_filter
from thinfile_credit.selection._report import SelectionRecord, SelectionReport
from thinfile_credit.selection._stepwise import check_stepwise_options, stepwise

__all__ = [
    "SelectionRecord",
    "SelectionReport",
    "correlation_filter",
    "iv_filter",
    "select_features",
    "stepwise",
    "vif_filter",
]


def select_features(
    woe: NDArray[np.float64],
    y: NDArray[np.int8],
    names: Sequence[str],
    iv: Mapping[str, float],
    *,
    min_iv: float = 0.02,
    max_iv: float | None = None,
    max_corr: float | None = 0.7,
    max_vif: float | None = None,
    stepwise_direction: Literal["forward", "backward"] | None = None,
    criterion: Literal["aic", "bic", "auc"] = "bic",
    max_features: int | None = None,
    random_state: int | None = 0,
    C: float = 1.0,
) -> SelectionReport:
    """Select WoE features stage by stage and report why each was kept or dropped.

    Parameters
    ----------
    woe : ndarray (n_rows, n_features)
        WoE-encoded features (e.g. :meth:`WoEBinner.transform`).
    y : ndarray of 0/1
        Target, 1 = bad.
    names : sequence of str
        Column names of ``woe``.
    iv : mapping
        Information value per feature.
    min_iv, max_iv : float
        IV thresholds (``max_iv`` catches leakage-like features).
    max_corr : float or None
        Absolute Pearson correlation above which the lower-IV feature is dropped.
    max_vif : float or None
        Largest variance inflation factor allowed.
    stepwise_direction : {"forward", "backward"} or None
        Run stepwise selection on the survivors.
    criterion : {"aic", "bic", "auc"}
        Stepwise criterion.
    max_features : int, optional
        Cap for forward stepwise.
    random_state : int, optional
        Seed of the validation split for ``criterion="auc"``.
    C : float
        Inverse L2 strength of the stepwise logistic regressions.

    Returns
    -------
    SelectionReport

    Raises
    ------
    DataError
        Shapes disagree; a WoE value that is not finite (``table="woe"``, ``column`` the
        feature, ``rows`` its rows); a feature name given twice; a target that is not
        0/1 (``table="y"``, the rows).
    ModelError
        The target holds one class only.
    SpecError
        Bad thresholds; a feature without an IV or whose IV is not a finite number
        (``column`` the feature); ``stepwise_direction`` or ``criterion`` outside the
        documented values, a bad ``max_features`` or ``C`` (the message names the
        parameter).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0); a, b = rng.normal(size=(2, 1000))
    >>> W = np.column_stack([a, a * 0.99 + rng.normal(scale=0.05, size=1000), b, np.zeros(1000)])
    >>> y = (rng.random(1000) < 1 / (1 + np.exp(-a))).astype("int8")
    >>> rep = select_features(W, y, ["a", "a_copy", "b", "flat"],
    ...                       {"a": 0.4, "a_copy": 0.39, "b": 0.01, "flat": 0.0})
    >>> rep.selected, rep.to_frame()["stage"].tolist()
    (('a',), ['kept', 'correlation', 'iv', 'constant'])
    """
    names = checked_names(names)
    woe = checked_woe(woe, names, n_rows=len(y) if hasattr(y, "__len__") else None)
    y = checked_target(y, woe.shape[0])
    iv = checked_iv(iv, names)
    check_threshold("min_iv", min_iv, 0.0, None)
    if max_iv is not None:
        check_threshold("max_iv", max_iv, min_iv, None)
    if max_corr is not None:
        check_threshold("max_corr", max_corr, 0.0, 1.0)
    if max_vif is not None:
        check_threshold("max_vif", max_vif, 1.0, None)
    check_option("stepwise_direction", stepwise_direction, (*DIRECTIONS, None))
    check_stepwise_options(criterion=criterion, max_features=max_features, C=C)

    stage: dict[str, tuple[str, str]] = {}
    spread = np.ptp(woe, axis=0) if woe.shape[0] else np.zeros(len(names))
    for name, width in zip(names, spread):
        if not width > 0:
            stage[name] = ("constant", "a single WoE value (constant, all-missing or one bin)")

    def alive() -> list[str]:
        return [n for n in names if n not in stage]

    for name, reason in iv_filter({n: iv[n] for n in alive()}, min_iv, max_iv).items():
        stage[name] = ("iv", reason)
    if max_corr is not None and len(alive()) > 1:
        current = alive()
        cols = [names.index(n) for n in current]
        for name, reason in correlation_filter(woe[:, cols], current, iv, max_corr).items():
            stage[name] = ("correlation", reason)
    if max_vif is not None and len(alive()) > 1:
        current = alive()
        cols = [names.index(n) for n in current]
        for name, reason in vif_filter(woe[:, cols], current, iv, max_vif).items():
            stage[name] = ("vif", reason)
    if stepwise_direction is not None and alive():
        current = alive()
        cols = [names.index(n) for n in current]
        _, dropped = stepwise(
            woe[:, cols],
            y,
            current,
            direction=stepwise_direction,
            criterion=criterion,
            max_features=max_features,
            random_state=random_state,
            C=C,
        )
        for name, reason in dropped.items():
            stage[name] = ("stepwise", reason)
    records = tuple(
        SelectionRecord(
            n,
            float(iv[n]),
            n not in stage,
            stage.get(n, ("kept", ""))[0],
            stage.get(n, ("", "passed all stages"))[1],
        )
        for n in names
    )
    return SelectionReport(records)
