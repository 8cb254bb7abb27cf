"""thinfile_credit: credit scoring for thin-file and no-file borrowers.

Score people who have a phone and an e-commerce history but little or no credit-bureau
file: point-in-time features from platform events, WoE scorecards and gradient-boosted
models on one score scale, plain-language reason codes, and limit ladders that start
small and grow with on-time repayment.

Public names are imported lazily so ``import thinfile_credit`` stays fast (optbinning
alone takes seconds to import).

Examples
--------
>>> import thinfile_credit as tc
>>> tc.ScoreScale().base_score
600.0
"""

from __future__ import annotations

import importlib
from typing import Any

from thinfile_credit._version import __version__

# public name -> module that defines it
_LAZY: dict[str, str] = {
    # data model and sample data
    "EventTables": "thinfile_credit.schema",
    "validate_tables": "thinfile_credit.schema",
    "make_marketplace": "thinfile_credit.synthetic",
    "load_german_credit": "thinfile_credit.datasets",
    # features and labels
    "FeatureBuilder": "thinfile_credit.features",
    "FeatureTransformer": "thinfile_credit.features",
    "bad_flag": "thinfile_credit.labels",
    "out_of_time_split": "thinfile_credit.splits",
    # models on one scale
    "ScoreScale": "thinfile_credit.scale",
    "Contributions": "thinfile_credit.protocol",
    "Scorer": "thinfile_credit.protocol",
    "WoEBinner": "thinfile_credit.binning",
    "WoEScorecard": "thinfile_credit.scorecard",
    "GBMScorer": "thinfile_credit.gbm",
    # decisions around the score
    "ReasonCatalog": "thinfile_credit.reasons",
    "ReasonCoder": "thinfile_credit.reasons",
    "LimitLadder": "thinfile_credit.limits",
    "initial_limit": "thinfile_credit.limits",
    "Product": "thinfile_credit.pricing",
    # evidence
    "monitor": "thinfile_credit.monitoring",
    # errors
    "ThinfileError": "thinfile_credit.errors",
    "DataError": "thinfile_credit.errors",
    "SchemaError": "thinfile_credit.errors",
    "SpecError": "thinfile_credit.errors",
    "PolicyError": "thinfile_credit.errors",
    "ModelError": "thinfile_credit.errors",
    "NotFittedError": "thinfile_credit.errors",
    "MissingDependencyError": "thinfile_credit.errors",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'thinfile_credit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
