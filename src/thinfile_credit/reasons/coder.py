"""``ReasonCoder``: principal adverse-action reasons from any scorer's contributions.

The coder works on the scorer protocol only (:class:`~thinfile_credit.protocol.Scorer`):
per-feature points from ``contributions(X)`` are compared with a per-feature baseline,
summed within the catalog's reason groups, and the groups that cost the applicant the most
points become the reasons.

Baselines (``method``)
----------------------
``points_below_max``
    Classic scorecard practice: a feature loses ``max attainable points - points obtained``.
    The maximum comes from the model's own ``points_below_max(X)`` when it has one (a
    scorecard knows its best bin), else from the best contribution seen in the reference
    sample (a GBM has no per-feature maximum independent of the other features).
``vs_population``
    Contribution relative to the average applicant: ``mean over the reference sample -
    contribution``.
``vs_cutoff``
    Contribution relative to the average of reference applicants scoring within
    ``cutoff_band`` points of ``cutoff`` (at least ``min_cutoff_rows`` of the nearest are
    used) - the baseline examiners usually ask for: "what separates you from applicants
    who were just approved?".

All three are linear in the contributions, so a reason's points lost is exactly the sum of
its features' points lost. Only groups that pushed the score towards decline count (points
lost > 0 and at least ``min_points``); they are ranked by points lost, ties broken by code,
and at most ``max_reasons`` are given (four, as US Regulation B practice suggests), plus an
optional "also considered" fifth.

Examples
--------
>>> import numpy as np
>>> from thinfile_credit.reasons import ReasonCoder
>>> from thinfile_credit.reasons._demo import tiny_scorecard
>>> model, X = tiny_scorecard()
>>> coder = ReasonCoder(language="en").fit(model, X)
>>> out = coder.explain(X.iloc[:1])
>>> list(out.columns)
['application_id', 'rank', 'code', 'text', 'points_lost', 'also_considered']
>>> coder.explain_one(X.iloc[0].to_dict()).codes
('BIL02', 'BIL01', 'CON01')
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions

from thinfile_credit.errors import DataError, ModelError, SpecError
from thinfile_credit.reasons._coder_explaining import _Explaining
from thinfile_credit.reasons._coder_fitting import _BaselineFitting, _default
from thinfile_credit.reasons._errors import ProtectedFeatureError, ReasonMappingError
from thinfile_credit.reasons._inputs import (
    _check_contributions,
    _check_protocol,
    _fingerprint_frame,
    _input_kind,
    _model_frame,
)
from thinfile_credit.reasons._tidy import _near_cutoff, group_layout
from thinfile_credit.reasons._values import RouteSpec
from thinfile_credit.reasons.catalog import ReasonCatalog

__all__ = ["ReasonCoder"]

FloatArray = NDArray[np.float64]


# The explaining methods and the fitting and loss helpers are mixins in _coder_*.py
# modules (kept under the module-size rule); the class and its __module__ stay here.
class ReasonCoder(_Explaining, _BaselineFitting, BaseEstimator):
    """Grouped, plain-language adverse-action reasons for any scorer.

    Parameters
    ----------
    catalog : ReasonCatalog, optional
        Reason codes, texts and feature groups; the built-in
        :func:`~thinfile_credit.reasons.default_catalog` when ``None``.
    max_reasons : int, default 4
        Most principal reasons per applicant.
    method : {"points_below_max", "vs_population", "vs_cutoff"}, default "points_below_max"
        Baseline each feature's points are compared with (see the module notes).
    min_points : float, default 1.0
        A group must cost at least this many points to be a reason. Losses and this
        threshold are compared, and ranked, rounded to 1e-9 points, so float noise
        never decides (ties rank by code).
    language : str, default "zh"
        Language of the texts; must be one of the catalog's languages.
    also_considered : bool, default False
        Also report the next reason after the principal ones (rank ``max_reasons + 1``).
    cutoff : float, optional
        Approval cut-off in points; required by ``method="vs_cutoff"``.
    cutoff_band : float, default 10.0
        Half-width in points of the band of reference applicants around ``cutoff``.
    min_cutoff_rows : int, default 30
        If fewer reference applicants fall in the band, the nearest this many are used.
    fairness_analysis : bool, default False
        Allow a model that uses protected features (for a fairness analysis); protected
        features never appear in reasons or hints either way.
    hints : bool, default False
        Attach improvement hints to reasons (costs extra model evaluations).
    dictionary : DataFrame or mapping, optional
        Data dictionary (``FeatureBuilder.describe()``: ``name``, ``definition``, ``unit``,
        ``direction``, optional ``neutral``) used to phrase hints and, with
        ``check_values``, for each feature's direction and neutral value; optional
        ``definition_zh`` or ``label_zh``
        (any catalog language ``xx``: ``label_xx``) name a feature in that language.
        Without them English hints name the feature by its name with spaces, other
        languages by its reason group (``「账户注册时间较短」相关指标``), never a raw
        column name.
    attribution : {"sum", "owen"}, default "sum"
        How group points are attributed: sums of the model's per-feature contributions
        (exact, cheap), or Owen values with the groups as coalitions via shap's Partition
        explainer (``vs_population`` / ``vs_cutoff`` only; costs ``owen_max_evals`` model
        evaluations of 100 background rows per applicant).
    owen_max_evals : int, default 500
        Evaluation budget per applicant for ``attribution="owen"``.
    check_values : bool, default True
        Word a feature's lost points by the applicant's value, not only by the feature's
        group (``attribution="sum"``). Where the value is missing, the points go to the
        group's missing-value route (``ReasonGroup.missing``: an applicant with no bills
        hears "no bill payment history", not "late bill payments"); where the value is at
        the favourable end of the reference sample (no late bill, every bill on time,
        orders rising in every window) the points are not stated at all, since the
        group's text would be false: a model with interactions can charge points there.
        Features take their direction (and neutral value, where one lies inside the
        range: an order trend's 0) from ``dictionary`` or, for the library's own
        features, from the built-in data dictionary; features of unknown direction are
        only routed when missing. In a group whose text compares the applicant with
        others (``ReasonGroup.claim``: "limited bill payment record"), a feature of
        neutral direction (how many bills fell due) is stated only on the side the text
        describes of the value the model scores best (few bills, not many), and with
        ``points_below_max`` every feature only on the adverse side of that value. A loss
        strictly beyond the end, which the group's text would misstate, is worded by the
        group's beyond route (``ReasonGroup.beyond``: a rising order trend as "recent
        increase in shopping activity") where the route's text describes that side, and
        is otherwise not stated. Needs the applicants' features at explain time.

    Attributes
    ----------
    feature_names_in_ : ndarray of str
        Model features, in the model's order.
    feature_groups_ : dict of str -> str
        Reason code of every non-protected model feature.
    groups_ : tuple of str
        Codes of groups holding at least one model feature, sorted (the tie-break order).
    protected_features_ : tuple of str
        Protected model features (non-empty only with ``fairness_analysis=True``).
    baseline_points_ : ndarray of shape (n_features,)
        Per-feature reference points (max attainable, population mean or near-cutoff
        mean); NaN for ``points_below_max`` without model maxima.
    group_baseline_points_ : ndarray of shape (n_groups,)
        Per-group reference points the losses are measured against (sums of
        ``baseline_points_``, or for ``points_below_max`` without model maxima the best
        group total in the reference sample).
    reference_fingerprint_ : str
        SHA-256 of the reference sample's model columns (names, dtypes and values).
    n_reference_ : int
        Rows in the reference sample.
    n_cutoff_rows_ : int
        Reference rows used for ``vs_cutoff`` (0 for other methods).
    best_source_ : {"model", "reference", "none"}
        Where ``points_below_max`` took the per-feature maxima from.
    missing_routes_ : dict of str -> str
        With ``check_values``: the group each model group's missing values are worded by
        (route targets are in ``groups_`` even when no model feature belongs to them).
    beyond_routes_ : dict of str -> str
        With ``check_values``: the group each model group's losses past the end are
        worded by (see :class:`~thinfile_credit.reasons.ReasonGroup` ``beyond``; the
        targets are in ``groups_``), for groups with a feature whose far side the
        target's text states and the model charges some reference applicant on: a route
        the reference never takes (a scorecard whose best bin runs on past the end) is
        not built, and a loss it would have stated stays unstated
        (:func:`~thinfile_credit.reasons.reason_coverage` reports it).
    favourable_end_ : dict of str -> float
        With ``check_values``: per feature of known direction, its neutral value where
        the dictionary gives one (0 for order trends), else the reference sample's most
        favourable value (its minimum for ``higher_is_riskier``, its maximum for
        ``higher_is_safer``); in a group with a ``claim``, for its neutral features (and
        for all its features with ``points_below_max``) the value the model scores best,
        for ``"none"`` the smallest positive value. A value at or beyond it loses points
        no reason states, unless a beyond route states the far side (``beyond_routes_``).
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "catalog": [ReasonCatalog, None],
        "max_reasons": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions({"points_below_max", "vs_population", "vs_cutoff"})],
        "min_points": [Interval(Real, 0, None, closed="left")],
        "language": [str],
        "also_considered": ["boolean"],
        "cutoff": [Real, None],
        "cutoff_band": [Interval(Real, 0, None, closed="neither")],
        "min_cutoff_rows": [Interval(Integral, 1, None, closed="left")],
        "fairness_analysis": ["boolean"],
        "hints": ["boolean"],
        "dictionary": "no_validation",
        "attribution": [StrOptions({"sum", "owen"})],
        "owen_max_evals": [Interval(Integral, 10, None, closed="left")],
        "check_values": ["boolean"],
    }

    def __init__(
        self,
        catalog: ReasonCatalog | None = None,
        max_reasons: int = 4,
        method: str = "points_below_max",
        min_points: float = 1.0,
        language: str = "zh",
        also_considered: bool = False,
        cutoff: float | None = None,
        cutoff_band: float = 10.0,
        min_cutoff_rows: int = 30,
        fairness_analysis: bool = False,
        hints: bool = False,
        dictionary: Any = None,
        attribution: str = "sum",
        owen_max_evals: int = 500,
        check_values: bool = True,
    ) -> None:
        self.catalog = catalog
        self.max_reasons = max_reasons
        self.method = method
        self.min_points = min_points
        self.language = language
        self.also_considered = also_considered
        self.cutoff = cutoff
        self.cutoff_band = cutoff_band
        self.min_cutoff_rows = min_cutoff_rows
        self.fairness_analysis = fairness_analysis
        self.hints = hints
        self.dictionary = dictionary
        self.attribution = attribution
        self.owen_max_evals = owen_max_evals
        self.check_values = check_values

    # --- fitting ----------------------------------------------------------------------
    def fit(self, model: Any, X_reference: Any) -> ReasonCoder:
        """Validate the model against the catalog and learn the baselines.

        Parameters
        ----------
        model : Scorer
            A fitted scorer (``contributions``, ``score``, ``scale_``, ``feature_names_in_``).
        X_reference : DataFrame or array of shape (n, n_features)
            Reference applicants (e.g. the development sample or recent through-the-door
            applicants); their fingerprint and per-feature baselines are stored.

        Returns
        -------
        self

        Raises
        ------
        ModelError
            If ``model`` does not implement the protocol or its contributions do not add
            up to its score; :class:`ReasonMappingError` listing unmapped and multiply
            mapped features; :class:`ProtectedFeatureError` for protected features without
            ``fairness_analysis=True``.
        DataError
            For an empty reference sample or non-finite contributions.
        """
        self._validate_params()
        catalog = self.catalog if self.catalog is not None else _default()
        if self.language not in catalog.languages:
            raise SpecError(
                f"language {self.language!r} is not in catalog {catalog.name!r} "
                f"(has {', '.join(catalog.languages)})"
            )
        if self.method == "vs_cutoff" and self.cutoff is None:
            raise SpecError("method='vs_cutoff' needs a cutoff (points)")
        if self.attribution == "owen" and self.method == "points_below_max":
            raise SpecError(
                "attribution='owen' measures groups against a background sample; use "
                "method='vs_population' or 'vs_cutoff'"
            )
        _check_protocol(model)
        if self.dictionary is not None:
            from thinfile_credit.reasons.hints import _dictionary

            _dictionary(self.dictionary)  # fail at fit, not at the first hint
        contrib = model.contributions(X_reference)
        names = tuple(str(n) for n in contrib.feature_names)
        values = _check_contributions(contrib, table="X_reference")
        if values.shape[0] == 0:
            raise DataError("the reference sample is empty", table="X_reference")
        total = contrib.total()
        scores = np.asarray(model.score(X_reference), dtype=np.float64)
        # float32 engines (XGBoost) add up to ~1e-5 points; a broken model is far off
        bad = np.flatnonzero(~np.isclose(total, scores, rtol=1e-6, atol=1e-6))
        if bad.size:
            raise ModelError(
                "contributions do not add up to the score (baseline + sum != score)",
                table="X_reference",
                rows=bad.tolist(),
            )

        match = catalog.match(names)
        if match.protected and not self.fairness_analysis:
            raise ProtectedFeatureError(
                "the model uses protected attributes: "
                + ", ".join(match.protected)
                + "; refit without them, or pass fairness_analysis=True for a fairness study",
                table="model",
                column="feature_names_in_",
            )
        if not match.ok:
            parts = []
            if match.unmapped:
                parts.append("unmapped features: " + ", ".join(match.unmapped))
            if match.ambiguous:
                parts.append(
                    "features mapped to several groups: "
                    + "; ".join(f"{f} -> {', '.join(c)}" for f, c in match.ambiguous.items())
                )
            raise ReasonMappingError(
                f"catalog {catalog.name!r} does not map every model feature to exactly one "
                "reason group: " + " | ".join(parts),
                unmapped=match.unmapped,
                ambiguous=match.ambiguous,
            )

        self.catalog_ = catalog
        self.model_ = model
        self.scale_ = model.scale_
        self._sign = 1.0 if model.scale_.higher_is_better else -1.0
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        self.feature_groups_ = dict(match.groups)
        self.protected_features_ = tuple(match.protected)
        routed = self.check_values and self.attribution == "sum"
        self.missing_routes_: dict[str, str] = {}
        if routed:
            for group in sorted(set(match.groups.values())):
                target = catalog.missing_route(group)
                if target is not None:
                    self.missing_routes_[group] = target
        self._input_names = tuple(str(n) for n in model.feature_names_in_)
        reference = _model_frame(X_reference, names, self._input_names)
        # per-feature baselines first: which far sides the model charges depends on them
        self._pbm_per_row = False
        self.best_source_ = "none"
        self.n_cutoff_rows_ = 0
        self._cutoff_rows: NDArray[Any] | None = None
        if self.method == "points_below_max":
            self.baseline_points_ = self._fit_best(model, X_reference, values, names)
        elif self.method == "vs_population":
            self.baseline_points_ = values.mean(axis=0)
        else:
            assert self.cutoff is not None  # checked above
            rows = _near_cutoff(scores, float(self.cutoff), self.cutoff_band, self.min_cutoff_rows)
            self.n_cutoff_rows_ = int(rows.size)
            self._cutoff_rows = rows
            self.baseline_points_ = values[rows].mean(axis=0)

        self.favourable_end_: dict[str, float] = {}
        ends = self._fit_ends(names, values, reference) if routed else None
        if ends is not None and ends[2]:
            charged = self._charged_far_sides(names, values, reference, ends, model, X_reference)
            ends = (ends[0], ends[1], charged)
        # a beyond route joins only where a model feature's far side is one its target's
        # text states (it has an end, on the side the target's claim describes) and the
        # model charges it in the reference sample
        self.beyond_routes_: dict[str, str] = (
            {} if ends is None else {match.groups[f]: t for f, t in sorted(ends[2].items())}
        )
        self.groups_ = tuple(
            sorted(
                set(match.groups.values())
                | set(self.missing_routes_.values())
                | set(self.beyond_routes_.values())
            )
        )
        index = {code: j for j, code in enumerate(self.groups_)}
        # Feature -> group indicator; protected features keep an all-zero row so their
        # points never reach a reason.
        membership = np.zeros((len(names), len(self.groups_)), dtype=np.float64)
        for i, name in enumerate(names):
            code = match.groups.get(name)
            if code is not None:
                membership[i, index[code]] = 1.0
        self._membership = membership
        self._group_features = {
            code: tuple(n for n in names if match.groups.get(n) == code) for code in self.groups_
        }
        self._texts = {
            lang: (
                [catalog.text(c, lang) for c in self.groups_],
                [catalog.text(c, lang, long=True) for c in self.groups_],
            )
            for lang in catalog.languages
        }

        self.n_reference_ = int(values.shape[0])
        self.reference_fingerprint_ = _fingerprint_frame(reference.select(list(names)))
        self.reference_score_mean_ = float(scores.mean())
        best_rows: NDArray[np.intp] | None = None
        if self.method == "points_below_max" and self.best_source_ == "reference":
            group_values = values @ membership
            pick = group_values.argmax if self._sign > 0 else group_values.argmin
            best_rows = pick(axis=0)
            self.group_baseline_points_ = group_values[best_rows, np.arange(len(self.groups_))]
        else:
            self.group_baseline_points_ = np.nan_to_num(self.baseline_points_) @ membership
        self._routes: RouteSpec | None = None
        if ends is not None:
            spec = self._fit_routes(names, values, best_rows, ends)
            # nothing to check (no route, no known direction): the plain group sums
            if spec.fallback.any() or not np.isnan(spec.end).all():
                self._routes = spec
        self._own_group = np.where(membership.any(axis=1), membership.argmax(axis=1), -1)
        self._fallback_group = self._own_group.copy()
        self._beyond_group = np.full(len(names), -1, dtype=np.intp)
        if self._routes is not None:
            has = self._routes.fallback.any(axis=1)
            self._fallback_group[has] = self._routes.fallback[has].argmax(axis=1)
            if self._routes.beyond is not None:
                routed_far = self._routes.beyond.any(axis=1)
                self._beyond_group[routed_far] = self._routes.beyond[routed_far].argmax(axis=1)
        if self._routes is None:
            self._layout = group_layout(membership)
        else:
            self._layout = group_layout(membership, self._routes.fallback, self._routes.beyond)
        self._reference_kind = _input_kind(X_reference)
        # A private copy: hint grids and Owen backgrounds must not follow later edits of
        # the caller's frame, or the stored fingerprint would no longer describe them.
        self._X_reference = reference
        self._hint_finder: Any = None
        self.__dict__.pop("_enum_cache", None)
        return self

    def unstated_points(self, X: Any) -> FloatArray:
        """Points each feature costs each applicant that no reason states: the value
        contradicts its group's text (``check_values``), so the loss is left unstated
        rather than misstated. Over a batch, :func:`~thinfile_credit.reasons.reason_coverage`
        summarises them per feature, for monitoring the catalog.

        Parameters
        ----------
        X : DataFrame or array
            Applicants, in the model's input form.

        Returns
        -------
        ndarray of shape (n, n_features)
            Non-negative; columns follow ``feature_names_in_``; all zeros without
            ``check_values`` (see :func:`thinfile_credit.reasons.coverage.unstated_points`).
        """
        from thinfile_credit.reasons.coverage import unstated_points

        return unstated_points(self, X)
