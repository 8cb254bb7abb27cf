"""The WoE scorecard: binning + selection + logistic regression + points, with JSON and SQL export.

* :class:`WoEScorecard` - scikit-learn classifier implementing the scorer protocol.
* :func:`scorecard_to_json` / :func:`scorecard_from_json` - versioned, pickle-free artefact.
* :func:`scorecard_to_sql` (module :mod:`thinfile_credit.scorecard.sql`) - ``CASE WHEN`` SQL
  for ANSI, PostgreSQL, DuckDB and Spark.
* :class:`CompiledScorecard` (module :mod:`thinfile_credit.scorecard.fast`) - the NumPy batch
  and pure-Python single-applicant scoring paths.
"""

from thinfile_credit.scorecard._json import FORMAT, VERSION, scorecard_from_json, scorecard_to_json
from thinfile_credit.scorecard._scorecard import ScorecardWarning, WoEScorecard
from thinfile_credit.scorecard.fast import CompiledFeature, CompiledScorecard
from thinfile_credit.scorecard.sql import DIALECTS, feature_case_sql, scorecard_to_sql

__all__ = [
    "DIALECTS",
    "FORMAT",
    "VERSION",
    "CompiledFeature",
    "CompiledScorecard",
    "ScorecardWarning",
    "WoEScorecard",
    "feature_case_sql",
    "scorecard_from_json",
    "scorecard_to_json",
    "scorecard_to_sql",
]
