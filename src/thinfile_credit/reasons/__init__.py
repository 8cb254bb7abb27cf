"""Reason codes: grouped, plain-language adverse-action reasons in Chinese and English.

* :class:`ReasonCatalog` / :class:`ReasonGroup` / :class:`ActionReason` - the spec: codes,
  short and long texts, the feature -> group map, protected / immutable / time-bound
  features; JSON and YAML round trips.
* :func:`default_catalog` - covers every built-in feature family, thin-file reasons and
  limit-ladder actions.
* :class:`ReasonCoder` - fitted on any scorer and a reference sample; ``explain`` gives a
  tidy frame, ``explain_one`` a structured :class:`Explanation` for services.
* :func:`reason_coverage` / :func:`unstated_points` - the points a model takes that no
  reason may state (the value contradicts every text), per feature: what to monitor.
* :func:`owen_points_lost` - optional group attributions by Owen values (shap's Partition
  explainer) for correlated features.

Examples
--------
>>> from thinfile_credit.reasons import ReasonCoder
>>> from thinfile_credit.reasons._demo import tiny_scorecard
>>> model, X = tiny_scorecard()
>>> coder = ReasonCoder(language="en").fit(model, X)
>>> [r.text for r in coder.explain_one(X.iloc[2].to_dict()).reasons][:2]
['Late bill payments', 'Bills currently overdue']
"""

from __future__ import annotations

from thinfile_credit.reasons._errors import ProtectedFeatureError, ReasonMappingError
from thinfile_credit.reasons._inputs import fingerprint
from thinfile_credit.reasons.catalog import (
    ActionReason,
    CatalogMatch,
    ReasonCatalog,
    ReasonGroup,
    match_pattern,
)
from thinfile_credit.reasons.coder import ReasonCoder
from thinfile_credit.reasons.coverage import reason_coverage, unstated_points
from thinfile_credit.reasons.default_catalog import default_action_reasons, default_catalog
from thinfile_credit.reasons.explanation import Explanation, Hint, Reason
from thinfile_credit.reasons.hints import format_value
from thinfile_credit.reasons.owen import group_linkage, owen_group_values, owen_points_lost

__all__ = [
    "ActionReason",
    "CatalogMatch",
    "Explanation",
    "Hint",
    "ProtectedFeatureError",
    "Reason",
    "ReasonCatalog",
    "ReasonCoder",
    "ReasonGroup",
    "ReasonMappingError",
    "default_action_reasons",
    "default_catalog",
    "fingerprint",
    "format_value",
    "group_linkage",
    "match_pattern",
    "owen_group_values",
    "owen_points_lost",
    "reason_coverage",
    "unstated_points",
]
