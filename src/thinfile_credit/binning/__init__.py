"""Optimal binning and Weight of Evidence on optbinning, with first-class Missing, Special and
Unknown bins.

* :class:`WoEBinner` - scikit-learn transformer: one optimal binning per feature (fitted in
  parallel processes), WoE output, binning tables.
* :class:`FeatureBinning` - one feature's fitted bins as plain, JSON-safe data.
* :class:`BinningOptions` - per-feature binning settings.

WoE is ``ln(%bad / %good)`` (positive = riskier than average); see
:mod:`thinfile_credit.binning._feature` for the bin layout and the fallbacks used for bins
without data.
"""

from thinfile_credit.binning._binner import WoEBinner
from thinfile_credit.binning._feature import FeatureBinning, compute_woe
from thinfile_credit.binning._fit import MONOTONIC_TRENDS, BinningOptions, fit_feature_binning

__all__ = [
    "MONOTONIC_TRENDS",
    "BinningOptions",
    "FeatureBinning",
    "WoEBinner",
    "compute_woe",
    "fit_feature_binning",
]
