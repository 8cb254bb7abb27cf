"""Adverse impact screening: approval rate of each group relative to a reference group.

The "four-fifths rule" (US EEOC Uniform Guidelines, widely used as a fair-lending
screen) flags a group whose approval rate is below 80 % of the reference group's. It is a
screening statistic, not a legal conclusion: a flag calls for a closer look at the
policy and at whether the difference is explained by legitimate credit factors.

Examples
--------
>>> from thinfile_credit.metrics import adverse_impact_ratio
>>> t = adverse_impact_ratio([1, 1, 0, 1, 0, 0], ["a", "a", "a", "b", "b", "b"])
>>> t[["group", "approval_rate", "ratio", "flag"]].values.tolist()
[['a', 0.6666666666666666, 1.0, False], ['b', 0.3333333333333333, 0.5, True]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from thinfile_credit.binning._text import category_text, category_texts
from thinfile_credit.errors import DataError
from thinfile_credit.metrics._validation import (
    as_1d,
    check_binary_target,
    check_fraction,
    check_weights,
    missing_label,
    refuse_mixed_kinds,
)

__all__ = ["adverse_impact_ratio"]


def adverse_impact_ratio(
    approved: Any,
    group: Any,
    *,
    reference_group: Any = None,
    sample_weight: Any = None,
    threshold: float = 0.8,
) -> pd.DataFrame:
    """Approval rate of every group divided by that of the reference group.

    Parameters
    ----------
    approved : array-like of shape (n,)
        1/True where the applicant was (or would be) approved, e.g. ``score >= cutoff``.
    group : array-like of shape (n,)
        Group label of each applicant (e.g. ``thin_file``, age band). Groups are named by
        the scorecard's category rule
        (:func:`~thinfile_credit.binning._text.category_text`): ``1``, ``1.0`` and
        ``np.int64(1)`` are group ``"1"``, ``True``/``False`` are ``"1"``/``"0"``; text
        or booleans beside numbers are an error, so ``1`` and ``"1"`` are never merged.
        Missing labels form a group named ``"missing"`` (``"<missing>"`` when a real
        group is called ``"missing"``, so the two are never merged).
    reference_group : optional
        The comparison group, a label as in ``group`` (``1`` or ``"1"`` for numeric
        groups); by default the group with the highest approval rate, as the four-fifths
        rule prescribes.
    sample_weight : array-like, optional
        Non-negative weights.
    threshold : float, default 0.8
        Ratios below it are flagged.

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted by its text): ``group`` (the first value given for it:
        values with one text, such as 11 and 11.0, are one group), ``count``, ``n_approved``,
        ``approval_rate``, ``reference_group``, ``ratio`` and ``flag``
        (``ratio < threshold``).

    Raises
    ------
    SpecError
        A ``threshold`` that is not a number in (0, 1].
    DataError
        Empty input, mismatched lengths, approvals other than 0/1, text or booleans
        beside numbers in ``group`` (``column="group"``, ``rows`` the text or booleans)
        or against a numeric ``reference_group``, an unknown reference group or a
        reference group with no approvals.

    Examples
    --------
    >>> t = adverse_impact_ratio([1, 0, 1, 1], [0, 0, 1.0, 1], reference_group=1)
    >>> t["group"].tolist(), t["ratio"].tolist()
    ([0.0, 1.0], [0.5, 1.0])
    """
    threshold = check_fraction("threshold", threshold, one_allowed=True)
    appr = check_binary_target(approved, "approved")
    g = as_1d(group, "group")
    if g.size != appr.size:
        raise DataError(f"has {g.size} rows but approved has {appr.size}", column="group")
    w = check_weights(sample_weight, appr.size)
    refuse_mixed_kinds({"group": g})
    labels = pd.Series(category_texts(g), dtype=object)
    present = labels.notna()
    labels = labels.where(present, missing_label(labels[present].unique()))
    frame = pd.DataFrame(
        {"group": labels, "w": 1.0 if w is None else w, "a": appr * (1.0 if w is None else w)}
    )
    agg = frame.groupby("group", sort=True).agg(count=("w", "sum"), n_approved=("a", "sum"))
    agg["approval_rate"] = agg["n_approved"] / agg["count"]
    ref: Any
    if reference_group is None:
        ref = agg["approval_rate"].idxmax()
    else:
        given = np.empty(1, dtype=object)
        given[0] = reference_group
        refuse_mixed_kinds({"group": g, "reference_group": given})
        ref = category_text(reference_group)
        if ref not in agg.index:
            raise DataError(
                f"reference group {reference_group!r} does not occur; groups are {list(agg.index)}",
                column="group",
            )
    rates = dict(zip(agg.index.tolist(), agg["approval_rate"].tolist()))
    ref_rate = float(rates[ref])
    if ref_rate <= 0:
        raise DataError(
            f"reference group {ref!r} has no approvals, so the ratio is undefined",
            column="approved",
        )
    # groups are formed by their text (11 and 11.0 are one group) but reported by the
    # value the caller gave, so a lookup such as ``table[table.group == 2]`` still works
    given_value = pd.Series(g, dtype=object).groupby(labels.to_numpy(), sort=True).first()
    shown = {
        label: value if value is not None and value == value else label  # missing: its text
        for label, value in given_value.reindex(agg.index).items()
    }
    agg["reference_group"] = pd.Series([shown[ref]] * len(agg), index=agg.index, dtype=object)
    agg["ratio"] = agg["approval_rate"] / ref_rate
    agg["flag"] = agg["ratio"] < threshold
    out = agg.reset_index()
    out["group"] = pd.Series([shown[label] for label in agg.index], dtype=object)
    return out[
        ["group", "count", "n_approved", "approval_rate", "reference_group", "ratio", "flag"]
    ]
