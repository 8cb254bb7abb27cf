"""Owen values of reason groups through shap's Partition explainer (optional attribution).

Summing per-feature TreeSHAP values within a group is exact for the group's *total*
contribution but splits interaction effects between groups by the per-feature Shapley
rule. Owen values treat the reason groups as a coalition structure: players inside a group
cooperate first, then groups play against each other, so a group's attribution is the
Shapley value of the group in the game between groups. shap's
:class:`~shap.explainers.PartitionExplainer` computes them when its masker's clustering is
the group hierarchy; this module builds that hierarchy from a fitted
:class:`~thinfile_credit.reasons.ReasonCoder` and returns group values in points relative
to a background sample (the coder's reference, or the applicants near the cutoff).

Cost: ``max_evals`` model evaluations of ``len(background)`` rows per explained applicant
(500 x 100 = 50,000 rows by default), against one TreeSHAP pass for the summed
contributions; ``benchmarks/reasons.py`` measures whether the top reasons change enough to
pay for it.

Examples
--------
>>> from thinfile_credit.reasons import ReasonCoder, owen_group_values
>>> from thinfile_credit.reasons._demo import tiny_scorecard
>>> model, X = tiny_scorecard()
>>> coder = ReasonCoder(method="vs_population", check_values=False).fit(model, X)
>>> values, base = owen_group_values(coder, X.iloc[:1], max_evals=200)
>>> values.shape
(1, 4)
>>> # additive model: Owen values are the group contributions minus their reference mean
>>> bool(abs(values + coder.points_lost(X.iloc[:1])).max() < 1e-9)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import from_polars
from thinfile_credit._optional import require
from thinfile_credit.errors import NotFittedError

__all__ = ["group_linkage", "owen_group_values", "owen_points_lost"]

FloatArray = NDArray[np.float64]


def group_linkage(groups: list[list[int]]) -> FloatArray:
    """A SciPy-style linkage matrix merging each group's features first, then the groups.

    Merges are balanced (pairwise rounds), which keeps the hierarchy shallow so shap's
    Partition explainer reaches every group within a small evaluation budget.

    Parameters
    ----------
    groups : list of list of int
        Feature positions of each group; together a partition of ``range(n_features)``.

    Returns
    -------
    ndarray of shape (n_features - 1, 4)
        ``[left, right, distance, size]`` rows; within-group merges at distances below 1,
        between-group merges above 1, non-decreasing.

    Examples
    --------
    >>> group_linkage([[0, 2], [1]]).tolist()
    [[0.0, 2.0, 0.5, 2.0], [3.0, 1.0, 1.5, 3.0]]
    """
    n = sum(len(g) for g in groups)
    rows: list[list[float]] = []
    size: dict[int, int] = {i: 1 for i in range(n)}
    next_id = n

    def one_round(sets: list[list[int]], level: float) -> list[list[int]]:
        # merge neighbours pairwise inside every set; all sets advance together so node
        # ids (row order) and distances both increase
        nonlocal next_id
        out = []
        for nodes in sets:
            merged: list[int] = []
            for a, b in zip(nodes[::2], nodes[1::2]):
                total = size[a] + size[b]
                rows.append([float(a), float(b), level, float(total)])
                size[next_id] = total
                merged.append(next_id)
                next_id += 1
            if len(nodes) % 2:
                merged.append(nodes[-1])
            out.append(merged)
        return out

    sets = [list(members) for members in groups]
    level = 0.5
    while any(len(s) > 1 for s in sets):
        sets = one_round(sets, level)
        level += 1e-3
    tops = [[s[0] for s in sets]]
    level = 1.5
    while len(tops[0]) > 1:
        tops = one_round(tops, level)
        level += 0.5
    return np.asarray(rows, dtype=np.float64).reshape(-1, 4)


def owen_group_values(
    coder: Any,
    X: Any,
    *,
    background: Any = None,
    max_background: int = 100,
    max_evals: int = 500,
    random_state: int = 0,
) -> tuple[FloatArray, FloatArray]:
    """Owen value of every reason group, in points, for each applicant.

    Parameters
    ----------
    coder : ReasonCoder
        A fitted coder: its model, feature groups and reference sample are used.
    X : DataFrame or array
        Applicants in the model's input form.
    background : DataFrame or array, optional
        Background sample; the coder's reference sample when omitted (for
        ``method="vs_cutoff"``, its reference applicants near the cutoff).
    max_background : int, default 100
        Background rows kept (a seeded random subset of larger samples).
    max_evals : int, default 500
        Model evaluations per applicant (shap's budget; must cover the hierarchy).
    random_state : int, default 0
        Seed for the background subset.

    Returns
    -------
    values : ndarray of shape (n, len(coder.groups_))
        Points each group adds relative to the background's expected score; 0 for a
        group only ``check_values`` routes reach (it holds no feature, so it is no
        coalition).
    base : ndarray of shape (n,)
        The background's expected score.
    """
    if not hasattr(coder, "groups_"):
        raise NotFittedError("this ReasonCoder is not fitted yet; call fit(model, X)")
    shap = require("shap", "shap")
    from thinfile_credit.reasons._inputs import _model_frame

    names = tuple(str(n) for n in coder.feature_names_in_)
    input_names = coder._input_names
    kind = coder._reference_kind
    ref = _model_frame(coder._X_reference if background is None else background, names, input_names)
    if background is None and getattr(coder, "_cutoff_rows", None) is not None:
        ref = ref[coder._cutoff_rows]
    if ref.height > max_background:
        rng = np.random.default_rng(random_state)
        ref = ref[np.sort(rng.choice(ref.height, max_background, replace=False))]
    cols = list(ref.columns)
    position = {c: i for i, c in enumerate(cols)}
    # Hierarchy over every input column: each reason group is a coalition; protected and
    # unused inputs form coalitions of their own (their value never reaches a reason).
    # A group only missing-value routes reach (check_values) holds no feature: it is no
    # coalition and its Owen value is 0.
    by_group: list[list[int]] = [
        [position[f] for f in coder._group_features[c]] for c in coder.groups_
    ]
    members = [m for m in by_group if m]
    claimed = {i for m in members for i in m}
    members += [[i] for i in range(len(cols)) if i not in claimed]
    linkage = group_linkage(members)
    dtypes = ref.schema

    def f(arr: NDArray[Any]) -> FloatArray:
        frame = pl.DataFrame({c: arr[:, i] for i, c in enumerate(cols)}).cast(dtypes, strict=False)
        model_input: Any
        if kind == "numpy":
            model_input = frame.cast(pl.Float64).to_numpy()
        else:
            model_input = from_polars(
                frame, kind if kind in ("pandas", "polars", "pyarrow") else "pandas"
            )
        return np.asarray(coder.model_.score(model_input), dtype=np.float64)

    data = ref.cast(pl.Float64).to_numpy()
    masker = shap.maskers.Partition(data, clustering=linkage)
    explainer = shap.explainers.PartitionExplainer(f, masker)
    x = _model_frame(X, names, input_names).select(cols).cast(pl.Float64).to_numpy()
    out = explainer(x, max_evals=max_evals, silent=True)
    per_feature = np.asarray(out.values, dtype=np.float64).reshape(x.shape[0], len(cols))
    values = np.column_stack([per_feature[:, m].sum(axis=1) for m in by_group])
    base = np.asarray(out.base_values, dtype=np.float64).reshape(-1)
    return values, base


def owen_points_lost(coder: Any, X: Any, **kwargs: Any) -> FloatArray:
    """Points each group costs each applicant by Owen values (positive = adverse).

    The Owen counterpart of :meth:`ReasonCoder.points_lost` for ``vs_population`` /
    ``vs_cutoff`` coders; keyword arguments go to :func:`owen_group_values`.

    Examples
    --------
    >>> from thinfile_credit.reasons import ReasonCoder
    >>> from thinfile_credit.reasons._demo import tiny_scorecard
    >>> model, X = tiny_scorecard()
    >>> coder = ReasonCoder(method="vs_population", check_values=False).fit(model, X)
    >>> owen_points_lost(coder, X.iloc[:2], max_evals=200).shape
    (2, 4)
    """
    values, _ = owen_group_values(coder, X, **kwargs)
    return -coder._sign * values
