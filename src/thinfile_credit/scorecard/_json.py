"""Versioned JSON artefact of a fitted scorecard: pure data, no pickle.

Schema (``"format": "thinfile-scorecard"``, ``"version": 1``)::

    {
      "format": "thinfile-scorecard", "version": 1, "library_version": "...",
      "scale": {"base_score": 600.0, "base_odds": 50.0, "pdo": 20.0, "higher_is_better": true},
      "round_points": false,
      "feature_names_in": [...], "fitted_with_names": true,
      "intercept": -3.1, "baseline_points": 596.4,
      "binnings": [FeatureBinning.to_dict(), ...],          # every input feature
      "model": [{"feature": "...", "coefficient": 0.93, "points": [...]}, ...],
      "selection": {"records": [...]}, "sign_report": [...]
    }

Floats are written with Python's shortest round-trip ``repr``, so points, edges and WoE
come back bit-for-bit and scores are identical after a round trip. Keys are sorted so the
same model always gives byte-identical text.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from thinfile_credit.binning import FeatureBinning, WoEBinner
from thinfile_credit.errors import ArtefactError, SpecError
from thinfile_credit.scale import ScoreScale
from thinfile_credit.selection import SelectionReport

if TYPE_CHECKING:
    from thinfile_credit.scorecard._scorecard import WoEScorecard

__all__ = ["FORMAT", "VERSION", "scorecard_from_json", "scorecard_to_json"]

FORMAT = "thinfile-scorecard"
VERSION = 1


def scorecard_to_json(card: WoEScorecard) -> str:
    """Serialise a fitted :class:`WoEScorecard` (see the module docstring for the schema).

    Examples
    --------
    >>> import numpy as np
    >>> from thinfile_credit.scorecard import WoEScorecard
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(2000, 2))
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(2 - X[:, 0]))).astype(int)
    >>> card = WoEScorecard().fit(X, y)
    >>> text = scorecard_to_json(card)
    >>> json.loads(text)["format"], json.loads(text)["version"]
    ('thinfile-scorecard', 1)
    >>> again = scorecard_from_json(text)
    >>> bool(np.array_equal(again.score(X), card.score(X)))
    True
    """
    from sklearn.utils.validation import check_is_fitted

    from thinfile_credit._version import __version__

    check_is_fitted(card, "compiled_")
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "library_version": __version__,
        "scale": card.scale_.to_dict(),
        "round_points": bool(card.round_points),
        "feature_names_in": [str(n) for n in card.feature_names_in_],
        "fitted_with_names": bool(card._fitted_with_names),
        "intercept": float(card.intercept_[0]),
        "baseline_points": float(card.baseline_points_),
        "binnings": [fb.to_dict() for fb in card.binner_.binnings_.values()],
        "model": [
            {
                "feature": name,
                "coefficient": float(card.coef_[0, j]),
                "points": [float(p) for p in card.points_[name]],
            }
            for j, name in enumerate(card.features_)
        ],
        "selection": card.selection_.to_dict(),
        "sign_report": list(card.sign_report_),
    }
    return json.dumps(data, sort_keys=True, allow_nan=False, indent=1)


def scorecard_from_json(text: str) -> WoEScorecard:
    """Rebuild a fitted :class:`WoEScorecard` from :func:`scorecard_to_json` text.

    Raises
    ------
    ArtefactError
        Not a scorecard artefact, an unsupported version, or malformed content.

    Examples
    --------
    >>> scorecard_from_json('{"format": "pickle"}')
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.ArtefactError: not a 'thinfile-scorecard' artefact
    """
    from thinfile_credit.scorecard._scorecard import WoEScorecard

    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ArtefactError(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArtefactError(f"not a {FORMAT!r} artefact")
    if data.get("version") != VERSION:
        raise ArtefactError(
            f"unsupported {FORMAT} version {data.get('version')!r}; this library reads {VERSION}"
        )
    try:
        scale = ScoreScale.from_dict(data["scale"])
        binnings = {b["name"]: FeatureBinning.from_dict(b) for b in data["binnings"]}
        card = WoEScorecard(scale=scale, round_points=bool(data["round_points"]))
        card.scale_ = scale
        names = [str(n) for n in data["feature_names_in"]]
        binner = WoEBinner()
        binner.binnings_ = binnings
        binner.iv_ = {n: fb.iv for n, fb in binnings.items()}
        binner.feature_names_in_ = np.asarray(names, dtype=object)
        binner.n_features_in_ = len(names)
        binner._fitted_with_names = bool(data["fitted_with_names"])
        card.binner_ = binner
        card.features_ = tuple(str(m["feature"]) for m in data["model"])
        card.coef_ = np.asarray([[float(m["coefficient"]) for m in data["model"]]]).reshape(1, -1)
        card.intercept_ = np.array([float(data["intercept"])])
        card.points_ = {
            str(m["feature"]): np.asarray(m["points"], dtype=np.float64) for m in data["model"]
        }
        card.baseline_points_ = float(data["baseline_points"])
        card.selection_ = SelectionReport.from_dict(data["selection"])
        card.sign_report_ = list(data["sign_report"])
        card.classes_ = np.array([0, 1])
        card.feature_names_in_ = np.asarray(names, dtype=object)
        card.n_features_in_ = len(names)
        card._fitted_with_names = bool(data["fitted_with_names"])
        card.estimator_ = None
        card._compile()
    except (KeyError, TypeError, ValueError, SpecError) as exc:
        raise ArtefactError(f"malformed scorecard artefact: {exc}") from None
    return card
