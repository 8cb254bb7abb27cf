"""Library errors that are also scikit-learn's, for estimators its checks inspect.

scikit-learn's estimator checks expect its own exception types (``check_is_fitted``
raises its ``NotFittedError``), while the library's contract is its own hierarchy. The
classes here are both. They live apart from :mod:`thinfile_credit.errors` so that
importing the error hierarchy never imports scikit-learn.

Examples
--------
>>> from sklearn.exceptions import NotFittedError
>>> from thinfile_credit._sklearn_errors import ScorerNotFittedError
>>> from thinfile_credit.errors import ThinfileError
>>> [issubclass(ScorerNotFittedError, c) for c in (NotFittedError, ThinfileError)]
[True, True]
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from thinfile_credit.errors import NotFittedError

__all__ = ["ScorerNotFittedError"]


class ScorerNotFittedError(NotFittedError, SklearnNotFittedError):
    """An estimator (scorer, binner) used before ``fit``; also scikit-learn's
    ``NotFittedError``."""
