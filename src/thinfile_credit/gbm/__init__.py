"""Gradient-boosted scorers: LightGBM / XGBoost / scikit-learn, monotone and calibrated.

:class:`GBMScorer` implements the library's scorer protocol on the shared
:class:`~thinfile_credit.scale.ScoreScale`: calibrated PD, points, and exact per-feature
contributions in points whose sum with the baseline is the score.

Examples
--------
>>> from thinfile_credit.gbm import GBMScorer
>>> GBMScorer(engine="sklearn").engine
'sklearn'
"""

from thinfile_credit.gbm._training import CalibrationFallbackWarning, EarlyStoppingFallbackWarning
from thinfile_credit.gbm.calibration import (
    IdentityLogOdds,
    IsotonicLogOdds,
    LogOddsCalibrator,
    PlattLogOdds,
    rescale_contributions,
)
from thinfile_credit.gbm.design import DesignEncoder
from thinfile_credit.gbm.engines import ENGINES, AveragedBooster, BoostingParams, FittedBooster
from thinfile_credit.gbm.monotone import (
    MonotoneConflictWarning,
    MonotoneDecision,
    parse_direction,
    resolve_monotone,
)
from thinfile_credit.gbm.scorer import AllMissingFeatureWarning, GBMScorer

__all__ = [
    "ENGINES",
    "AllMissingFeatureWarning",
    "AveragedBooster",
    "BoostingParams",
    "CalibrationFallbackWarning",
    "DesignEncoder",
    "EarlyStoppingFallbackWarning",
    "FittedBooster",
    "GBMScorer",
    "IdentityLogOdds",
    "IsotonicLogOdds",
    "LogOddsCalibrator",
    "MonotoneConflictWarning",
    "MonotoneDecision",
    "PlattLogOdds",
    "parse_direction",
    "rescale_contributions",
    "resolve_monotone",
]
