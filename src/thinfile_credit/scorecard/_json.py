"""Versioned JSON artefact of a fitted scorecard: pure data, no pickle.

Schema (``"format": "thinfile-scorecard"``, ``"version": 2``)::

    {
      "format": "thinfile-scorecard", "version": 2, "library_version": "...",
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

Loading checks the artefact is what this library writes, so a corrupt or edited file is an
:class:`~thinfile_credit.errors.ArtefactError`, never a scorecard that scores wrongly:

* every number is finite: ``NaN``/``Infinity`` literals (which :func:`json.dumps` writes
  only when asked to) and numbers beyond the float64 range are refused, as is text or
  ``true`` where a number belongs;
* every bin's points are what the scale, the feature's coefficient and the bin's WoE give
  (``scale.slope * coefficient * woe``, rounded to integers when ``round_points``), and
  the baseline is the intercept's points (``scale.points_from_log_odds(intercept)``,
  rounded likewise); the error names the feature (``column``) and bins (``rows``).

Versions
--------
**2** (this library) stores categories under the one category text rule of
:func:`~thinfile_credit.binning._text.category_text`: a number is written the same way
whatever container brought it - ``3``, ``3.0``, ``np.int64(3)`` are ``"3"``, ``True`` and
``False`` are ``"1"`` and ``"0"``, an integer keeps all its digits.

**1** (earlier releases) has the same layout, but the text of a categorical value depended
on its column: a numeric column gave ``"3"``, while an ``object`` or pandas ``Categorical``
column gave ``str(value)`` - ``"3.0"`` for a whole float, ``"True"``/``"False"`` for a
boolean. Read under the new rule those categories would silently fall in the Unknown bin,
so a version-1 artefact is **migrated on load** (and written back as version 2):

* every stored category text (in ``groups``, ``rare_categories``) that is ``"True"`` or
  ``"False"``, or the exact ``str()`` of a float (``"3.0"``, ``"-1.0"``, ``"1e+20"``), gets
  its new-rule text as an alias in the same bin: ``"3.0"`` -> ``"3.0"`` and ``"3"``,
  ``"True"`` -> ``"True"`` and ``"1"``. The old text stays, so data that really is the
  string ``"3.0"`` scores as before too;
* a categorical special code stored that way (``"-1.0"``) is rewritten to its new-rule
  text (``"-1"``): a special code owns its bin, so it cannot keep two texts;
* text that is not number-like (``"app"``, ``"03"``, ``"3.00"``) and texts the rule leaves
  unchanged (``"3"``, ``"2.5"``) stay as they are;
* a migration is skipped - and a :class:`~thinfile_credit.scorecard.ScorecardWarning`
  names it - where it is ambiguous: the new text is already a category of another bin
  (``"3"`` and ``"3.0"`` were separate categories; a number 3 now lands in ``"3"``'s bin),
  or two old texts of different bins map to it (``"1.0"`` and ``"True"``);
* a version-1 category that is an integer beyond 2**53 also warns: version 1 read integer
  columns as float64, so such ids were stored rounded (``110101199001011234`` as
  ``"110101199001011232"``), while they now keep their digits and cannot match; refit.

A migrated artefact scores the data its model was fitted on as the earlier library did.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.binning import FeatureBinning, WoEBinner
from thinfile_credit.binning._text import category_text
from thinfile_credit.errors import ArtefactError, SpecError
from thinfile_credit.scale import ScoreScale
from thinfile_credit.selection import SelectionReport

if TYPE_CHECKING:
    from thinfile_credit.scorecard._scorecard import WoEScorecard

__all__ = [
    "FORMAT",
    "READABLE_VERSIONS",
    "VERSION",
    "migrate_v1_binning",
    "scorecard_from_json",
    "scorecard_to_json",
]

FORMAT = "thinfile-scorecard"
VERSION = 2
#: Versions this library reads (version 1 is migrated on load, see the module docstring).
READABLE_VERSIONS = (1, 2)


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
    ('thinfile-scorecard', 2)
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

    A version-1 artefact is migrated to the current category texts on load (see the
    module docstring); what it cannot migrate unambiguously is named in a
    :class:`~thinfile_credit.scorecard.ScorecardWarning`.

    Raises
    ------
    ArtefactError
        Not a scorecard artefact, an unsupported version, malformed content, a number
        that is not finite (``NaN``, ``Infinity``, beyond float64), or points that
        disagree with the scale, coefficients and WoE, or a baseline that disagrees with
        the intercept (tampering; ``table="model"``, ``column`` the feature, ``rows`` the
        bins).

    Examples
    --------
    >>> scorecard_from_json('{"format": "pickle"}')
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.ArtefactError: not a 'thinfile-scorecard' artefact
    """
    from thinfile_credit.scorecard._scorecard import WoEScorecard

    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except ArtefactError:
        raise
    except (TypeError, ValueError) as exc:
        raise ArtefactError(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArtefactError(f"not a {FORMAT!r} artefact")
    version = data.get("version")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise ArtefactError(
            f"unsupported {FORMAT} version {version!r}; this library reads "
            f"{', '.join(map(str, READABLE_VERSIONS))}"
        )
    absent = [key for key in _FIELDS if key not in data]
    if absent:
        raise ArtefactError(
            f"malformed scorecard artefact: no {', '.join(map(repr, absent))} field"
            f"{'s' if len(absent) > 1 else ''} at the top level"
        )
    try:
        scale = ScoreScale.from_dict(data["scale"])
        stored = _entries(data["binnings"], "binnings", "name")
        if version == 1:
            stored = [migrate_v1_binning(b) for b in stored]
        binnings = {b["name"]: FeatureBinning.from_dict(b) for b in stored}
        _check_model_entries(data["model"], binnings, data["feature_names_in"])
        round_points = _flag(data["round_points"], "round_points")
        card = WoEScorecard(scale=scale, round_points=round_points)
        card.scale_ = scale
        names = [str(n) for n in data["feature_names_in"]]
        binner = WoEBinner()
        binner.binnings_ = binnings
        binner.iv_ = {n: fb.iv for n, fb in binnings.items()}
        binner.feature_names_in_ = np.asarray(names, dtype=object)
        binner.n_features_in_ = len(names)
        binner._fitted_with_names = _flag(data["fitted_with_names"], "fitted_with_names")
        card.binner_ = binner
        card.features_ = tuple(str(m["feature"]) for m in data["model"])
        card.coef_ = np.asarray(
            [[_number(m["coefficient"], f"{m['feature']} coefficient") for m in data["model"]]]
        ).reshape(1, -1)
        card.intercept_ = np.array([_number(data["intercept"], "intercept")])
        card.points_ = {
            str(m["feature"]): np.asarray(
                [_number(p, f"{m['feature']} points") for p in m["points"]], dtype=np.float64
            )
            for m in data["model"]
        }
        card.baseline_points_ = _number(data["baseline_points"], "baseline_points")
        _check_points(card)
        _check_selection(data["selection"])
        card.selection_ = SelectionReport.from_dict(data["selection"])
        card.sign_report_ = list(data["sign_report"])
        card.classes_ = np.array([0, 1])
        card.feature_names_in_ = np.asarray(names, dtype=object)
        card.n_features_in_ = len(names)
        card._fitted_with_names = binner._fitted_with_names
        card.estimator_ = None
        card._compile()
    except ArtefactError:
        raise
    except KeyError as exc:  # a key the checks above do not cover: still say it is one
        raise ArtefactError(f"malformed scorecard artefact: no {exc} field") from None
    except SpecError as exc:  # a binning or the scale: keep the feature and bins it names
        raise ArtefactError(
            f"malformed scorecard artefact: {exc.message}",
            table=exc.table,
            column=exc.column,
            rows=exc.rows,
        ) from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ArtefactError(f"malformed scorecard artefact: {exc}") from None
    return card


#: Top-level fields every readable version has (``format`` and ``version`` are read first).
_FIELDS = (
    "scale",
    "round_points",
    "feature_names_in",
    "fitted_with_names",
    "intercept",
    "baseline_points",
    "binnings",
    "model",
    "selection",
    "sign_report",
)
#: Fields of one ``model`` entry.
_MODEL_FIELDS = ("feature", "coefficient", "points")


def _entries(value: Any, field: str, key: str) -> list[dict[str, Any]]:
    """A list field of objects that each carry ``key``; the error names the entry."""
    if not isinstance(value, list):
        raise ArtefactError(
            f"malformed scorecard artefact: {field} must be a list, got {type(value).__name__}"
        )
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ArtefactError(
                f"malformed scorecard artefact: {field}[{i}] must be an object, "
                f"got {type(entry).__name__}",
                table=field,
                rows=[i],
            )
        if key not in entry:
            raise ArtefactError(
                f"malformed scorecard artefact: {field}[{i}] has no {key!r} field",
                table=field,
                rows=[i],
            )
    return value


def _check_model_entries(
    model: Any, binnings: dict[str, FeatureBinning], feature_names_in: Any
) -> None:
    """Every model entry whole, of a feature with a binning among the input features."""
    entries = _entries(model, "model", "feature")
    inputs = {str(n) for n in feature_names_in} if isinstance(feature_names_in, list) else set()
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        name = entry["feature"]
        column = name if isinstance(name, str) else None
        if not isinstance(name, str):
            raise ArtefactError(
                f"malformed scorecard artefact: model[{i}] feature must be text, got {name!r}",
                table="model",
                rows=[i],
            )
        absent = [key for key in _MODEL_FIELDS if key not in entry]
        if absent:
            raise ArtefactError(
                f"malformed scorecard artefact: model[{i}] has no "
                f"{', '.join(map(repr, absent))} field",
                table="model",
                column=column,
                rows=[i],
            )
        if name in seen:
            raise ArtefactError(
                f"malformed scorecard artefact: model[{i}] repeats feature {name!r}",
                table="model",
                column=name,
                rows=[i],
            )
        seen.add(name)
        where = []
        if name not in binnings:
            where.append(f"has no binning (binnings hold {_listed(binnings)})")
        if name not in inputs:
            where.append(f"is not an input feature (feature_names_in holds {_listed(inputs)})")
        if where:
            raise ArtefactError(
                f"malformed scorecard artefact: model[{i}] feature {name!r} " + " and ".join(where),
                table="model",
                column=name,
                rows=[i],
            )


def _check_selection(selection: Any) -> None:
    """The selection report: ``{"records": [...]}``, each record with every field."""
    from dataclasses import MISSING, fields

    from thinfile_credit.selection._report import SelectionRecord

    if not isinstance(selection, dict) or "records" not in selection:
        raise ArtefactError(
            "malformed scorecard artefact: selection must be an object with a 'records' list"
        )
    needed = [
        f.name
        for f in fields(SelectionRecord)
        if f.default is MISSING and f.default_factory is MISSING
    ]
    for i, record in enumerate(_entries(selection["records"], "selection.records", "feature")):
        absent = [key for key in needed if key not in record]
        if absent:
            raise ArtefactError(
                f"malformed scorecard artefact: selection.records[{i}] (feature "
                f"{record['feature']!r}) has no {', '.join(map(repr, absent))} field",
                table="selection.records",
                rows=[i],
            )


def _listed(names: Any, limit: int = 8) -> str:
    items = sorted(str(n) for n in names)
    if not items:
        return "none"
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(repr(n) for n in items[:limit]) + more


#: Largest difference between stored and recomputed points read as float noise, relative
#: to the points (a library's own artefact agrees exactly: floats round-trip bit-for-bit).
_POINTS_RTOL = 1e-9


def _no_constant(name: str) -> float:
    """``json.loads`` hook for ``NaN``, ``Infinity`` and ``-Infinity`` literals."""
    raise ArtefactError(
        f"non-finite number {name} in the artefact (this library never writes one): "
        "corrupt or tampered with"
    )


def _finite_float(text: str) -> float:
    """``json.loads`` hook for float literals: ``1e999`` would read as infinity."""
    value = float(text)
    if not math.isfinite(value):
        raise ArtefactError(f"number {text} is beyond the float64 range: corrupt artefact")
    return value


def _number(value: Any, what: str) -> float:
    """A JSON number as a finite float; text, booleans and null are malformed."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArtefactError(f"malformed scorecard artefact: {what} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ArtefactError(f"malformed scorecard artefact: {what} {value!r} is not finite")
    return number


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ArtefactError(f"malformed scorecard artefact: {what} must be true or false")
    return value


def _agrees(stored: NDArray[np.float64], raw: NDArray[np.float64], rounded: bool) -> NDArray[Any]:
    """Where stored points are what ``raw`` (unrounded) points give.

    Rounded points must be whole and within half a point of ``raw`` (either side of a tie);
    unrounded ones equal to float noise.
    """
    tol = _POINTS_RTOL * np.maximum(1.0, np.abs(raw))
    if rounded:
        return (stored == np.round(stored)) & (np.abs(stored - raw) <= 0.5 + tol)
    return np.abs(stored - raw) <= tol


def _check_points(card: WoEScorecard) -> None:
    """Refuse points or a baseline the scale, coefficients, WoE and intercept do not give.

    Points are computed at fit time as ``scale.slope * coefficient * woe`` per bin and the
    baseline as ``scale.points_from_log_odds(intercept)`` (both rounded with
    ``round_points``); a stored value that disagrees was edited after fitting.
    """
    scale = card.scale_
    rounded = bool(card.round_points)
    for j, name in enumerate(card.features_):
        woe = np.asarray(card.binner_.binnings_[name].woe, dtype=np.float64)
        stored = card.points_[name]
        if stored.shape != woe.shape:
            raise ArtefactError(
                f"{stored.size} points for {woe.size} bins", table="model", column=name
            )
        coef = float(card.coef_[0, j])
        with np.errstate(all="ignore"):
            raw = scale.points_from_log_odds_contributions(coef * woe)
        bad = np.flatnonzero(~_agrees(stored, raw, rounded))
        if bad.size:
            b = int(bad[0])
            raise ArtefactError(
                f"points disagree with the scale, the coefficient {coef!r} and the bins' "
                f"WoE (bin {b}: stored {float(stored[b])!r}, expected {float(raw[b])!r}"
                f"{', rounded' if rounded else ''}): tampered with or corrupt",
                table="model",
                column=name,
                rows=bad.tolist(),
            )
    raw_base = np.asarray([scale.points_from_log_odds(card.intercept_[0])], dtype=np.float64)
    if not _agrees(np.asarray([card.baseline_points_]), raw_base, rounded)[0]:
        raise ArtefactError(
            f"baseline_points {card.baseline_points_!r} disagree with the intercept "
            f"{float(card.intercept_[0])!r}, whose points are {float(raw_base[0])!r}"
            f"{', rounded' if rounded else ''}: tampered with or corrupt",
            column="baseline_points",
        )


def migrate_v1_binning(data: dict[str, Any]) -> dict[str, Any]:
    """A version-1 ``FeatureBinning.to_dict()`` with its category texts under today's rule.

    Numeric binnings come back unchanged; see the module docstring for the rule. Warns
    (:class:`~thinfile_credit.scorecard.ScorecardWarning`) where it cannot migrate.

    Examples
    --------
    >>> old = {"name": "region", "kind": "categorical", "groups": [["1.0", "2.0"], ["3"]],
    ...        "rare_categories": [], "special_codes": ["-1.0"]}
    >>> new = migrate_v1_binning(old)
    >>> new["groups"], new["special_codes"]
    ([['1.0', '2.0', '1', '2'], ['3']], ['-1'])
    >>> migrate_v1_binning({**old, "groups": [["True"], ["False", "app"]]})["groups"]
    [['True', '1'], ['False', 'app', '0']]
    """
    if data.get("kind") != "categorical":
        return data
    name = str(data.get("name"))
    groups = [[str(c) for c in group] for group in data["groups"]]
    rare = [str(c) for c in data["rare_categories"]]
    codes = [str(c) for c in data["special_codes"]]
    # where each stored text scores: a regular bin, or a special code's bin
    place: dict[str, tuple[str, int]] = {}
    for b, group in enumerate(groups):
        for category in group:
            place.setdefault(category, ("bin", b))
    rare_place = place.get(FeatureBinning.RARE)
    if rare_place is not None:
        for category in rare:
            place.setdefault(category, rare_place)
    for i, code in enumerate(codes):
        place[code] = ("special", i)  # a special code wins over a group, as when scoring
    wanted: dict[str, set[tuple[str, int]]] = {}
    sources: dict[str, list[str]] = {}
    for old, where in place.items():
        new = _v1_text(old)
        if new is not None and new != old:
            wanted.setdefault(new, set()).add(where)
            sources.setdefault(new, []).append(old)
    skipped: list[str] = []
    for new, targets in wanted.items():
        olds = " and ".join(repr(t) for t in sorted(sources[new]))
        if new in place:
            if targets != {place[new]}:
                skipped.append(f"{olds} -> {new!r} (already a category of another bin)")
            continue
        if len(targets) > 1:
            skipped.append(f"{olds} -> {new!r} (different bins)")
            continue
        kind, index = next(iter(targets))
        if kind == "special":
            codes[index] = new
        elif all(old in rare for old in sources[new]):
            rare.append(new)  # a rare category's alias stays rare, out of the groups
        else:
            groups[index].append(new)
    import warnings

    from thinfile_credit.scorecard._scorecard import ScorecardWarning

    if skipped:
        warnings.warn(
            f"{name}: version-1 categories left as stored (ambiguous under the new text "
            f"rule): {'; '.join(skipped)}",
            ScorecardWarning,
            stacklevel=2,
        )
    rounded = [c for c in place if _is_big_integer(c)]
    if rounded:
        warnings.warn(
            f"{name}: version-1 categories beyond 2**53 ({', '.join(rounded[:5])}) may have "
            "been stored rounded (version 1 read integer columns as float64); such ids now "
            "keep their digits and may not match them - refit the scorecard",
            ScorecardWarning,
            stacklevel=2,
        )
    return {**data, "groups": groups, "rare_categories": rare, "special_codes": codes}


def _v1_text(text: str) -> str | None:
    """Today's text of a version-1 category text, or None when it is not number-like.

    Only the texts version 1 wrote for booleans and floats are read as numbers: ``"True"``,
    ``"False"`` and the exact ``str()`` of a float (not ``"03"`` or ``"3.00"``).
    """
    if text == "True":
        return "1"
    if text == "False":
        return "0"
    try:
        value = float(text)
    except ValueError:
        return None
    if str(value) != text:
        return None
    return category_text(value)


def _is_big_integer(text: str) -> bool:
    digits = text[1:] if text.startswith("-") else text
    return digits.isascii() and digits.isdigit() and abs(int(text)) > 2**53
