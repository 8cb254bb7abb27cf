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

from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions

from thinfile_credit.binning._text import is_missing
from thinfile_credit.errors import DataError, ModelError, NotFittedError, SpecError
from thinfile_credit.protocol import Contributions
from thinfile_credit.reasons._errors import ProtectedFeatureError, ReasonMappingError
from thinfile_credit.reasons._inputs import (
    _as_matrix,
    _build_like,
    _check_contributions,
    _check_protocol,
    _fingerprint_frame,
    _ids,
    _input_kind,
    _model_frame,
    _output_kind,
)
from thinfile_credit.reasons._ranking import top_reasons
from thinfile_credit.reasons._tidy import (
    GroupLoss,
    Routes,
    _group_sum,
    _near_cutoff,
    _refuse_non_finite,
    group_layout,
    reasons_frame,
)
from thinfile_credit.reasons._values import (
    RouteSpec,
    _value_source,
    best_scoring_value,
    builtin_feature,
    favourable_end,
    side,
    smallest_positive,
)
from thinfile_credit.reasons.catalog import ReasonCatalog
from thinfile_credit.reasons.explanation import Explanation, Hint, Reason

__all__ = ["ReasonCoder"]

FloatArray = NDArray[np.float64]


class ReasonCoder(BaseEstimator):
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
        ``points_below_max`` every feature only on the adverse side of that value. Needs
        the applicants' features at explain time.

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
    favourable_end_ : dict of str -> float
        With ``check_values``: per feature of known direction, its neutral value where
        the dictionary gives one (0 for order trends), else the reference sample's most
        favourable value (its minimum for ``higher_is_riskier``, its maximum for
        ``higher_is_safer``); in a group with a ``claim``, for its neutral features (and
        for all its features with ``points_below_max``) the value the model scores best,
        for ``"none"`` the smallest positive value. A value at or beyond it loses points
        no reason states.
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
        self.groups_ = tuple(
            sorted(set(match.groups.values()) | set(self.missing_routes_.values()))
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
        self._input_names = tuple(str(n) for n in model.feature_names_in_)
        reference = _model_frame(X_reference, names, self._input_names)
        self.reference_fingerprint_ = _fingerprint_frame(reference.select(list(names)))
        self.reference_score_mean_ = float(scores.mean())
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

        best_rows: NDArray[np.intp] | None = None
        if self.method == "points_below_max" and self.best_source_ == "reference":
            group_values = values @ membership
            pick = group_values.argmax if self._sign > 0 else group_values.argmin
            best_rows = pick(axis=0)
            self.group_baseline_points_ = group_values[best_rows, np.arange(len(self.groups_))]
        else:
            self.group_baseline_points_ = np.nan_to_num(self.baseline_points_) @ membership
        self._routes: RouteSpec | None = None
        self.favourable_end_: dict[str, float] = {}
        if routed:
            spec = self._fit_routes(names, values, reference, best_rows)
            # nothing to check (no route, no known direction): the plain group sums
            if spec.fallback.any() or not np.isnan(spec.end).all():
                self._routes = spec
        self._own_group = np.where(membership.any(axis=1), membership.argmax(axis=1), -1)
        self._fallback_group = self._own_group.copy()
        if self._routes is not None:
            has = self._routes.fallback.any(axis=1)
            self._fallback_group[has] = self._routes.fallback[has].argmax(axis=1)
        self._layout = group_layout(
            membership, None if self._routes is None else self._routes.fallback
        )
        self._reference_kind = _input_kind(X_reference)
        # A private copy: hint grids and Owen backgrounds must not follow later edits of
        # the caller's frame, or the stored fingerprint would no longer describe them.
        self._X_reference = reference
        self._hint_finder: Any = None
        self.__dict__.pop("_enum_cache", None)
        return self

    def _fit_best(
        self, model: Any, X: Any, values: FloatArray, names: tuple[str, ...]
    ) -> FloatArray:
        below = getattr(model, "points_below_max", None)
        if callable(below):
            pbm = _as_matrix(below(X), names, what="points_below_max")
            best = values + self._sign * pbm
            # A scorecard's maximum is one number per feature; anything else is
            # re-evaluated per applicant at explain time.
            if np.all(np.ptp(best, axis=0) <= 1e-9 * np.maximum(1.0, np.abs(best).max(axis=0))):
                self.best_source_ = "model"
                return best[0].copy()
            self._pbm_per_row = True
            self.best_source_ = "model"
            return np.full(len(names), np.nan)
        # Without a model maximum (a GBM), the best *group* total seen in the reference
        # sample: per-feature maxima would add up the gaps of correlated features that
        # never reach their best together and inflate large groups.
        self.best_source_ = "reference"
        return np.full(len(names), np.nan)

    def _fit_routes(
        self,
        names: tuple[str, ...],
        values: FloatArray,
        reference: pl.DataFrame,
        best_rows: NDArray[np.intp] | None,
    ) -> RouteSpec:
        """Per-feature baselines, missing-value routes, directions and favourable ends."""
        index = {code: j for j, code in enumerate(self.groups_)}
        own = self._membership.argmax(axis=1)
        grouped = self._membership.any(axis=1)
        if self._pbm_per_row:
            # the loss is the model's own points below max, per row: a zero baseline
            baseline = np.zeros(len(names))
        elif best_rows is not None:
            # split the best group total into the best row's own feature points, so a
            # feature's loss can leave its group and the rest still adds up
            baseline = np.where(grouped, values[best_rows[own], np.arange(len(names))], 0.0)
        else:
            baseline = np.nan_to_num(self.baseline_points_)
        fallback = np.zeros_like(self._membership)
        for i, name in enumerate(names):
            code = self.feature_groups_.get(name)
            target = None if code is None else self.missing_routes_.get(code)
            if target is not None:
                fallback[i, index[target]] = 1.0
        dictionary: dict[str, Any] = {}
        if self.dictionary is not None:
            from thinfile_credit.reasons.hints import _dictionary

            dictionary = _dictionary(self.dictionary)
        direction = np.zeros(len(names), dtype=np.int8)
        end = np.full(len(names), np.nan)
        for i, name in enumerate(names):
            if name not in self.feature_groups_:
                continue
            info = dictionary.get(name, {})
            told = info.get("direction")
            builtin_side, builtin_neutral = builtin_feature(name)
            sign = side(told if told else builtin_side)
            direction[i] = sign
            # the dictionary's neutral value when it has the column, else the built-in
            neutral = (
                _number_or_none(info["neutral"], name) if "neutral" in info else builtin_neutral
            )
            end[i] = (
                favourable_end(reference, name, sign) if neutral is None or not sign else neutral
            )
            claim = self.catalog_.group(self.feature_groups_[name]).claim
            column = reference.get_column(name)
            if (
                claim is not None
                and (neutral is None or not sign)
                and (column.dtype.is_numeric() or column.dtype == pl.Boolean)
            ):
                x = column.cast(pl.Float64).fill_null(np.nan).to_numpy()
                if claim == "none":
                    # "no bill payment history": false from the first bill on
                    sign, end[i] = 1, smallest_positive(x)
                elif not sign and (told or builtin_side) == "neutral":
                    # no risk direction (how many bills fell due): the text ("few
                    # bills") is true on its side of the value the model scores best;
                    # a feature of unknown direction may measure the inverse and is
                    # left alone
                    sign = 1 if claim == "low" else -1
                    end[i] = best_scoring_value(x, values[:, i], self._sign, sign)
                elif sign and self.method == "points_below_max":
                    # losses measured from the best: "account too new" is false from
                    # the value the model scores best on (a model scoring fewer orders
                    # best never says "little shopping activity")
                    end[i] = best_scoring_value(x, values[:, i], self._sign, sign)
                direction[i] = sign
            if not np.isnan(end[i]):
                self.favourable_end_[name] = float(end[i])
        return RouteSpec(baseline, fallback, direction, end)

    def _routed(
        self,
        values: FloatArray,
        baseline: FloatArray,
        sign: float,
        X: Any,
        unchecked: str | None = None,
    ) -> GroupLoss:
        """:class:`GroupLoss` of ``values`` routed by the applicants' values ``X``
        (``unchecked``: the table named if ``values`` turn out not to be finite, see
        :attr:`GroupLoss.unchecked`)."""
        spec = self._routes
        assert spec is not None
        try:
            if X is None:
                raise DataError(
                    "reasons are checked against the applicants' values (check_values=True): "
                    "pass X, or fit the coder with check_values=False",
                    table="X",
                )
            # value_flags, read a block of rows at a time as the losses are (while the
            # block's contributions are in cache), missing cells only of routed features
            has_route = np.asarray(spec.fallback.any(axis=1), dtype=np.bool_)
            names = tuple(self.feature_names_in_)
            flags = _value_source(X, names, self._input_names, spec, has_route)
            if flags.n_rows != values.shape[0]:
                raise DataError(
                    f"X has {flags.n_rows} rows but the contributions {values.shape[0]}: "
                    "they must describe the same applicants, in the same order",
                    table="X",
                )
        except Exception:
            if unchecked is not None:
                _refuse_non_finite(values, unchecked)  # that error came first, as it did
            raise
        routes = Routes(
            feature_baseline=baseline, fallback=spec.fallback, flags=flags.fill, n_rows=flags.n_rows
        )
        return GroupLoss(
            values,
            self._membership,
            self.group_baseline_points_,
            sign,
            routes,
            self._layout,
            unchecked,
            self._sum_plans(),
        )

    # --- explaining -------------------------------------------------------------------
    def points_lost(self, X: Any) -> FloatArray:
        """Points each reason group costs each applicant (the quantity reasons rank).

        Parameters
        ----------
        X : DataFrame or array
            Applicants, in the model's input form.

        Returns
        -------
        ndarray of shape (n, len(groups_))
            Positive where the group pushed towards decline; columns follow ``groups_``.
        """
        self._check_fitted()
        contrib = self.model_.contributions(X)
        return self._group_loss(contrib, X)

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

    def group_contributions(self, X: Any) -> FloatArray:
        """Points each reason group adds to each applicant's score (sums over its features).

        Protected features belong to no group, so with ``fairness_analysis=True`` the rows
        do not add up to the score; otherwise ``baseline + row sum == score``.

        Parameters
        ----------
        X : DataFrame or array
            Applicants, in the model's input form.

        Returns
        -------
        ndarray of shape (n, len(groups_))
            Columns follow ``groups_``.
        """
        self._check_fitted()
        contrib = self.model_.contributions(X)
        values = _check_contributions(contrib, table="X")
        self._check_names(contrib)
        return _group_sum(values, self._membership)

    def explain(self, X: Any, ids: Any = None, *, language: str | None = None) -> Any:
        """Reasons for a batch of applicants as a tidy frame.

        Parameters
        ----------
        X : DataFrame or array
            Applicants in the model's input form.
        ids : array-like, optional
            Application ids (row positions when omitted).
        language : str, optional
            Overrides the coder's ``language``.

        Returns
        -------
        DataFrame
            One row per (applicant, reason): ``application_id``, ``rank``, ``code``,
            ``text``, ``points_lost``, ``also_considered`` (and ``hint`` with
            ``hints=True``); of the kind of ``X`` (pandas for arrays). Applicants with no
            adverse group have no rows.
        """
        self._check_fitted()
        contrib = self.model_.contributions(X)
        kind = _output_kind(X)
        return self._frame(contrib, X, ids, language, kind)

    def explain_contributions(
        self,
        contributions: Contributions,
        ids: Any = None,
        *,
        X: Any = None,
        language: str | None = None,
        output: str = "pandas",
    ) -> Any:
        """Reasons from already computed contributions (no second scoring pass).

        Parameters
        ----------
        contributions : Contributions
            The model's contributions for the applicants.
        ids : array-like, optional
            Application ids.
        X : DataFrame or array, optional
            The applicants' features, in the same order as the contributions; needed
            with ``check_values`` (when the catalog routes or directions apply to a model
            feature), for hints, and for a model whose maxima are per row.
        language : str, optional
            Overrides the coder's ``language``.
        output : {"pandas", "polars", "pyarrow"}, default "pandas"
            Kind of frame returned.
        """
        self._check_fitted()
        if output not in ("pandas", "polars", "pyarrow"):
            raise SpecError(f"output must be 'pandas', 'polars' or 'pyarrow', got {output!r}")
        return self._frame(contributions, X, ids, language, output)

    def explain_one(
        self,
        row: Any,
        application_id: Any = None,
        *,
        language: str | None = None,
        hints: bool | None = None,
    ) -> Explanation:
        """Reasons for one applicant as a structured :class:`Explanation`.

        Parameters
        ----------
        row : mapping, one-row frame, 1-D array or Contributions
            The applicant's features (a ``{feature: value}`` mapping, a one-row frame or a
            1-D array in model order), or the model's one-row contributions.
        application_id : object, optional
            Carried into the result.
        language : str, optional
            Overrides the coder's ``language``.
        hints : bool, optional
            Overrides the coder's ``hints``.
        """
        self._check_fitted()
        lang = self._language(language)
        want_hints = self.hints if hints is None else bool(hints)
        if isinstance(row, Contributions):
            contrib, X = row, None
        else:
            X, fast = self._one_row_input(row)
            contrib = fast if fast is not None else self.model_.contributions(X)
        values = _check_contributions(contrib, table="applicant")
        if values.shape[0] != 1:
            raise DataError(f"explain_one needs exactly one applicant, got {values.shape[0]}")
        self._check_names(contrib)
        if X is None and self._routes is not None:
            raise DataError(
                "explain_one(contributions) cannot check the reasons against the "
                "applicant's values (check_values=True): use "
                "explain_contributions(contributions, X=features), or fit the coder "
                "with check_values=False",
                table="applicant",
            )
        lazy = self._loss(contrib, X)
        loss = lazy.full() if isinstance(lazy, GroupLoss) else lazy
        # the batch's own ranking, so one applicant gets exactly the reasons of a batch
        ranked = top_reasons(loss, self.max_reasons, self.also_considered, self.min_points)
        short, long = self._texts[lang]
        routed = self._through(lazy, np.zeros(1, dtype=np.intp)) if ranked.groups.size else None
        through = None if routed is None else routed[0]
        picked = [
            Reason(
                rank=int(slot) + 1,
                code=self.groups_[j],
                text=short[j],
                long_text=long[j],
                points_lost=float(lost),
                features=(
                    self._group_features[self.groups_[j]]
                    if through is None
                    else tuple(str(n) for n in self.feature_names_in_[through == j])
                ),
                also_considered=bool(slot >= self.max_reasons),
            )
            for slot, j, lost in zip(ranked.slots.tolist(), ranked.groups.tolist(), ranked.points)
        ]
        if want_hints and picked:
            if X is None:
                raise DataError("hints need the applicant's features, not only contributions")
            found = self._hints_for(X, [(0, r.code) for r in picked], lang, lazy)
            picked = [_with_hint(r, h) for r, h in zip(picked, found)]
        main = tuple(r for r in picked if not r.also_considered)
        extra_reason = next((r for r in picked if r.also_considered), None)
        return Explanation(
            application_id=application_id,
            score=float(contrib.total()[0]),
            language=lang,
            method=self.method,
            reasons=main,
            also_considered=extra_reason,
        )

    # --- internals --------------------------------------------------------------------
    def _through(
        self, loss: FloatArray | GroupLoss, rows: NDArray[np.intp]
    ) -> NDArray[np.intp] | None:
        """For applicants ``rows``: the group each feature's points went to (-1: unstated,
        or a protected feature); ``None`` when every feature speaks through its own
        group."""
        routes = loss.routes if isinstance(loss, GroupLoss) else None
        if routes is None or not isinstance(loss, GroupLoss):
            return None
        lost = routes.feature_baseline - loss.values[rows]
        if loss.sign < 0:
            lost = -lost
        own, fallback = self._own_group, self._fallback_group
        moved = routes.to_fallback[:, rows].T
        target = np.where(moved, fallback, own)
        target[routes.at_end[:, rows].T & (lost > 0) & ~moved] = -1
        return target

    def _group_loss(self, contrib: Contributions, X: Any) -> FloatArray:
        loss = self._loss(contrib, X)
        return loss.full() if isinstance(loss, GroupLoss) else loss

    def _loss(self, contrib: Contributions, X: Any) -> FloatArray | GroupLoss:
        """Points lost per group: lazily (a :class:`GroupLoss`) when they are linear."""
        # Routed sums read the contributions a block of rows at a time and refuse
        # non-finite ones as they go: a large batch is read once, not twice.
        defer = self.attribution == "sum" and self._routes is not None and not self._pbm_per_row
        values, unchecked = _contribution_values(contrib, defer)
        self._check_names(contrib)
        if self.attribution == "owen":
            from thinfile_credit.reasons.owen import owen_points_lost

            if X is None:
                raise DataError("Owen attribution needs the applicants' features (pass X)")
            if isinstance(X, Mapping):
                X = pl.DataFrame({k: [v] for k, v in X.items()}, strict=False)
            return owen_points_lost(self, X, max_evals=self.owen_max_evals)
        if self._pbm_per_row:
            if X is None:
                raise DataError(
                    "this model's maxima vary by applicant; pass X to explain_contributions"
                )
            pbm = _as_matrix(
                self.model_.points_below_max(X), tuple(self.feature_names_in_), "points_below_max"
            )
            if self._routes is not None:
                # sign -1 against a zero baseline: each feature's loss is its pbm
                return self._routed(pbm, self._routes.feature_baseline, -1.0, X)
            return _group_sum(pbm, self._membership)
        if self._routes is not None:
            return self._routed(values, self._routes.feature_baseline, self._sign, X, unchecked)
        return GroupLoss(
            values,
            self._membership,
            self.group_baseline_points_,
            self._sign,
            None,
            self._layout,
            plans=self._sum_plans(),
        )

    def _sum_plans(self) -> dict[Any, Any]:
        """The group-sum plans every :class:`GroupLoss` of this fit shares (a refit
        starts afresh: they are kept with the layout they were made for)."""
        layout, plans = self.__dict__.get("_sum_plans_cache", (None, {}))
        if layout is not self._layout:
            plans = {}
            self.__dict__["_sum_plans_cache"] = (self._layout, plans)
        return plans

    def _frame(
        self, contrib: Contributions, X: Any, ids: Any, language: str | None, kind: str
    ) -> Any:
        lang = self._language(language)
        if X is not None:
            n_x, n_c = _n_rows(X), contrib.values.shape[0]
            if n_x != n_c:
                raise DataError(
                    f"X has {n_x} rows but the contributions {n_c}: they must describe the "
                    "same applicants, in the same order",
                    table="X",
                )
        loss = self._loss(contrib, X)
        picked = top_reasons(loss, self.max_reasons, self.also_considered, self.min_points)
        hint_texts: list[str | None] | None = None
        if self.hints:
            if X is None:
                raise DataError("hints need the applicants' features (pass X)")
            pairs = [(int(r), self.groups_[int(g)]) for r, g in zip(picked.rows, picked.groups)]
            found = self._hints_for(X, pairs, lang, loss)
            hint_texts = [None if h is None else h.text for h in found]
        cache: dict[str, Any] = self.__dict__.setdefault("_enum_cache", {})
        return reasons_frame(
            picked,
            _ids(ids, loss.shape[0]),
            self.groups_,
            self._texts[lang][0],
            self.max_reasons,
            kind,
            hint_texts=hint_texts,
            cache=cache.setdefault(lang, {}),
        )

    def _hints_for(
        self,
        X: Any,
        pairs: list[tuple[int, str]],
        lang: str,
        loss: FloatArray | GroupLoss,
    ) -> list[Hint | None]:
        from thinfile_credit.reasons.hints import HintFinder

        if self._hint_finder is None:
            self._hint_finder = HintFinder.from_coder(self)
        rows = np.array(sorted({r for r, _ in pairs}), dtype=np.intp)
        through = self._through(loss, rows)
        allowed: list[frozenset[str]] | None = None
        if through is not None:
            # a hint moves a feature whose points this reason states for this applicant,
            # never one routed to it (a missing value) or left unstated
            at = {int(r): i for i, r in enumerate(rows)}
            index = {c: j for j, c in enumerate(self.groups_)}
            names = self.feature_names_in_
            allowed = [
                frozenset(str(n) for n in names[through[at[r]] == index[code]]) for r, code in pairs
            ]
        return self._hint_finder.find(X, pairs, lang, allowed=allowed)

    def _one_row_input(self, row: Any) -> tuple[Any, Contributions | None]:
        names = [str(n) for n in self.feature_names_in_]
        if isinstance(row, Mapping):
            missing = [n for n in names if n not in row]
            if missing:
                raise DataError(
                    "model features missing from the applicant",
                    table="applicant",
                    column=", ".join(missing),
                )
            fast = self._contributions_one(row, names)
            if fast is not None:
                return row, fast
            data = {n: [row.get(n)] for n in self._input_names}
            for n in names:
                data.setdefault(n, [row[n]])
            return _build_like(data, list(data), self._reference_kind), None
        if isinstance(row, np.ndarray) or (isinstance(row, Sequence) and not isinstance(row, str)):
            arr = np.asarray(row)
            width = {len(names), len(self._input_names)}
            if arr.ndim != 1 or arr.shape[0] not in width:
                raise DataError(
                    f"a 1-D applicant row needs {len(names)} values in model order, "
                    f"got shape {arr.shape}",
                    table="applicant",
                )
            cols = names if arr.shape[0] == len(names) else list(self._input_names)
            data = {n: [arr[i]] for i, n in enumerate(cols)}
            return _build_like(data, cols, self._reference_kind), None
        return row, None

    def _contributions_one(self, row: Mapping[str, Any], names: list[str]) -> Contributions | None:
        # A scorer's own single-applicant path (e.g. WoEScorecard.contributions_one) avoids
        # building a one-row frame, which alone costs more than the reasons.
        one = getattr(self.model_, "contributions_one", None)
        score_one = getattr(self.model_, "score_one", None)
        if not (callable(one) and callable(score_one)):
            return None
        points = one(row)
        values = np.array([[float(points[n]) for n in names]], dtype=np.float64)
        baseline = float(score_one(row)) - float(values.sum())
        return Contributions(values, np.array([baseline]), tuple(names))

    def _language(self, language: str | None) -> str:
        lang = self.language if language is None else language
        if lang not in self._texts:
            raise SpecError(
                f"language {lang!r} is not in the catalog (has {', '.join(self._texts)})"
            )
        return lang

    def _check_names(self, contrib: Contributions) -> None:
        names = tuple(str(n) for n in contrib.feature_names)
        if names != tuple(self.feature_names_in_):
            raise ModelError(
                "contributions name different features than the model the coder was fitted "
                f"on (got {len(names)}, expected {self.n_features_in_})",
                table="contributions",
                column="feature_names",
            )

    def _check_fitted(self) -> None:
        if not hasattr(self, "groups_"):
            raise NotFittedError("this ReasonCoder is not fitted yet; call fit(model, X)")

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "groups_")


# --- module helpers -----------------------------------------------------------------------
def _default() -> ReasonCatalog:
    from thinfile_credit.reasons.default_catalog import default_catalog

    return default_catalog()


def _number_or_none(value: Any, name: str) -> float | None:
    """A dictionary's ``neutral`` cell: a finite number, ``None`` when empty.

    Raises
    ------
    DataError
        For anything else (text, a boolean, an infinity), naming the feature.
    """
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise DataError(
            f"neutral value {value!r} of feature {name!r} is not a number",
            table="dictionary",
            column="neutral",
        )
    number = float(value)
    if not np.isfinite(number):
        raise DataError(
            f"neutral value {value!r} of feature {name!r} is not finite",
            table="dictionary",
            column="neutral",
        )
    return number


def _with_hint(reason: Reason, hint: Hint | None) -> Reason:
    if hint is None:
        return reason
    from dataclasses import replace

    return replace(reason, hint=hint)


def _contribution_values(contrib: Any, defer: bool) -> tuple[FloatArray, str | None]:
    """The contributions' values as float64, checked as ``_check_contributions`` checks
    them; with ``defer`` a large batch is checked for all but finiteness, which the
    routed loss blocks check as they read it (the table they name is returned)."""
    if defer and isinstance(contrib, Contributions):
        values = np.asarray(contrib.values, dtype=np.float64)
        if values.ndim == 2 and values.shape[0] >= _DEFER_ROWS:
            from dataclasses import replace

            _check_contributions(replace(contrib, values=values[:0]), table="X")
            return values, "X"
    return _check_contributions(contrib, table="X"), None


#: Batches from this many rows check their contributions while ranking them.
_DEFER_ROWS = 2048


def _n_rows(X: Any) -> int:
    """Rows of a frame or array (pandas, Polars, PyArrow, NumPy)."""
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)
