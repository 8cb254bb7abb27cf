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
    "ScoreScale": "thinfile_credit.scale",
    "Contributions": "thinfile_credit.protocol",
    "Scorer": "thinfile_credit.protocol",
    "ThinfileError": "thinfile_credit.errors",
    "SchemaError": "thinfile_credit.errors",
    "DataError": "thinfile_credit.errors",
    "SpecError": "thinfile_credit.errors",
    "ModelError": "thinfile_credit.errors",
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
