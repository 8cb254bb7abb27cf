"""The data dictionary: what every feature means, its unit and its direction of risk."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from thinfile_credit._frames import from_polars
from thinfile_credit.features.spec import FeatureDef

__all__ = ["DICTIONARY_COLUMNS", "describe"]

#: Columns of the data dictionary, in order.
DICTIONARY_COLUMNS: tuple[str, ...] = (
    "name",
    "family",
    "window",
    "definition",
    "definition_zh",
    "unit",
    "direction",
    "neutral",
    "when_undefined",
)


def describe(features: Sequence[FeatureDef], kind: str = "pandas") -> Any:
    """One row per feature: name, family, window, definitions, unit, direction.

    Parameters
    ----------
    features : sequence of FeatureDef
        E.g. ``FeatureBuilder().features()``.
    kind : {"pandas", "polars", "pyarrow"}, default "pandas"
        Frame kind returned.

    Returns
    -------
    frame
        Columns :data:`DICTIONARY_COLUMNS`. ``window`` is null for "ever"/"now"
        features; ``definition`` is in English and ``definition_zh`` the same in plain
        simplified Chinese (empty when a feature has none), which Chinese reason hints
        use to name the feature (:class:`~thinfile_credit.reasons.ReasonCoder`'s
        ``dictionary``); ``direction`` is ``higher_is_riskier``, ``higher_is_safer`` or
        ``neutral``; ``neutral`` is the value that speaks neither for nor against the
        applicant where a feature has one (0 for order trends; null for most), which
        reason codes use to keep a text such as "declining activity" true;
        ``when_undefined`` says when the value is NaN (empty: never).

    Examples
    --------
    >>> from thinfile_credit.features import BillFeatures
    >>> d = describe(BillFeatures(windows=(30,)).features(), kind="polars")
    >>> d.filter(d["name"] == "bill_overdue_count_now")["direction"][0]
    'higher_is_riskier'
    >>> d.filter(d["name"] == "bill_overdue_count_now")["definition_zh"][0]
    '申请时已到期但尚未还清的账单笔数'
    """
    frame = pl.DataFrame(
        {
            "name": [f.name for f in features],
            "family": [f.family for f in features],
            "window": pl.Series([f.window for f in features], dtype=pl.Int64),
            "definition": [f.definition for f in features],
            "definition_zh": [f.definition_zh for f in features],
            "unit": [f.unit for f in features],
            "direction": [f.direction for f in features],
            "neutral": pl.Series([f.neutral for f in features], dtype=pl.Float64),
            "when_undefined": [f.when_undefined for f in features],
        },
        schema_overrides={"window": pl.Int64, "neutral": pl.Float64},
    )
    return from_polars(frame, kind)  # type: ignore[arg-type]
