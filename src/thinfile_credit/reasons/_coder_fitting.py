"""The fitted state of a :class:`~thinfile_credit.reasons.coder.ReasonCoder` and the fitting
steps ``fit`` hands off.

* ``_FittedState`` - the parameters and fitted attributes the coder's mixins read, declared
  for the type checker only (``ReasonCoder.__init__`` and ``fit`` set them), and the
  fitted-or-not checks.
* ``_BaselineFitting`` - ``points_below_max`` maxima from the model (``_fit_best``) and, for
  ``check_values``, the per-feature directions and favourable ends (``_fit_ends``), and the
  baselines, missing-value and beyond routes (``_fit_routes``).
* ``_default`` / ``_number_or_none`` - the built-in catalog, and a data dictionary's
  ``neutral`` cell read as a number.

``ReasonCoder`` inherits the mixins; they sit outside :mod:`thinfile_credit.reasons.coder`
only to keep that module within the module-size rule (the class stays there).
"""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit.binning._text import is_missing
from thinfile_credit.errors import DataError, NotFittedError
from thinfile_credit.reasons._inputs import _as_matrix
from thinfile_credit.reasons._tidy import Layout
from thinfile_credit.reasons._values import (
    RouteSpec,
    _past_end,
    best_scoring_value,
    builtin_feature,
    favourable_end,
    side,
    smallest_positive,
)
from thinfile_credit.reasons.catalog import ReasonCatalog

__all__: list[str] = []

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


class _FittedState:
    """What the mixins of ``ReasonCoder`` read from ``self`` (see ``ReasonCoder``'s
    parameters and attributes); the declarations exist for the type checker only."""

    if TYPE_CHECKING:
        # parameters
        method: str
        max_reasons: int
        min_points: float
        language: str
        also_considered: bool
        hints: bool
        dictionary: Any
        attribution: str
        owen_max_evals: int
        # fitted
        catalog_: ReasonCatalog
        model_: Any
        feature_names_in_: NDArray[Any]
        n_features_in_: int
        feature_groups_: dict[str, str]
        missing_routes_: dict[str, str]
        beyond_routes_: dict[str, str]
        groups_: tuple[str, ...]
        baseline_points_: FloatArray
        group_baseline_points_: FloatArray
        best_source_: str
        favourable_end_: dict[str, float]
        _sign: float
        _membership: FloatArray
        _group_features: dict[str, tuple[str, ...]]
        _texts: dict[str, tuple[list[str], list[str]]]
        _input_names: tuple[str, ...]
        _pbm_per_row: bool
        _routes: RouteSpec | None
        _own_group: NDArray[np.intp]
        _fallback_group: NDArray[np.intp]
        _beyond_group: NDArray[np.intp]
        _layout: Layout
        _reference_kind: str
        _hint_finder: Any

    def _check_fitted(self) -> None:
        if not hasattr(self, "groups_"):
            raise NotFittedError("this ReasonCoder is not fitted yet; call fit(model, X)")

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "groups_")


class _BaselineFitting(_FittedState):
    """``fit``'s baseline steps: the model's maxima and the ``check_values`` ends and routes."""

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

    def _fit_ends(
        self, names: tuple[str, ...], values: FloatArray, reference: pl.DataFrame
    ) -> tuple[NDArray[np.int8], FloatArray, dict[str, str]]:
        """Per-feature favourable sides and ends (``favourable_end_``), and the features
        whose losses past the end have a beyond group whose text holds there."""
        dictionary: dict[str, Any] = {}
        if self.dictionary is not None:
            from thinfile_credit.reasons.hints import _dictionary

            dictionary = _dictionary(self.dictionary)
        direction = np.zeros(len(names), dtype=np.int8)
        end = np.full(len(names), np.nan)
        far: dict[str, str] = {}
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
            group = self.catalog_.group(self.feature_groups_[name])
            claim = group.claim
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
                if group.beyond is not None and _states_far_side(
                    self.catalog_.group(group.beyond).claim, int(direction[i])
                ):
                    far[name] = group.beyond
        return direction, end, far

    def _charged_far_sides(
        self,
        names: tuple[str, ...],
        values: FloatArray,
        reference: pl.DataFrame,
        ends: tuple[NDArray[np.int8], FloatArray, dict[str, str]],
        model: Any,
        X_reference: Any,
    ) -> dict[str, str]:
        """Of the features whose far side a beyond group states (``ends[2]``), those the
        model charges there in the reference sample: some reference applicant whose value
        lies strictly past the end loses points on it. A route no reference applicant
        takes would only add work to every batch."""
        direction, end, far = ends
        cols = [i for i, name in enumerate(names) if name in far]
        lost = self._reference_losses(names, values, cols, model, X_reference)
        x = np.column_stack(
            [
                reference.get_column(names[i]).cast(pl.Float64).fill_null(np.nan).to_numpy()
                for i in cols
            ]
        )
        past: BoolArray = _past_end(x, direction[cols], end[cols])
        charged = np.flatnonzero(((lost > 0) & past).any(axis=0))
        return {names[cols[k]]: far[names[cols[k]]] for k in charged.tolist()}

    def _reference_losses(
        self,
        names: tuple[str, ...],
        values: FloatArray,
        cols: list[int],
        model: Any,
        X_reference: Any,
    ) -> FloatArray:
        """The reference sample's losses on features ``cols``, as explaining measures them
        (``baseline_points_`` set)."""
        if self._pbm_per_row:
            pbm = _as_matrix(model.points_below_max(X_reference), names, what="points_below_max")
            return pbm[:, cols]
        if self.best_source_ == "reference":
            # each feature's point in the best reference row of its own group (fit finds
            # it by a matrix product over every group; a plain sum can pick another row
            # only where two group totals tie to the last bit, and then only decides
            # whether a route is built)
            base = np.empty(len(cols))
            for k, i in enumerate(cols):
                code = self.feature_groups_[names[i]]
                own = [j for j, name in enumerate(names) if self.feature_groups_.get(name) == code]
                totals = values[:, own].sum(axis=1)
                base[k] = values[totals.argmax() if self._sign > 0 else totals.argmin(), i]
        else:
            base = np.nan_to_num(self.baseline_points_[cols])
        lost: FloatArray = self._sign * (base - values[:, cols])
        return lost

    def _fit_routes(
        self,
        names: tuple[str, ...],
        values: FloatArray,
        best_rows: NDArray[np.intp] | None,
        ends: tuple[NDArray[np.int8], FloatArray, dict[str, str]],
    ) -> RouteSpec:
        """Per-feature baselines, missing-value and beyond routes, directions and
        favourable ends (``ends``: :meth:`_fit_ends`)."""
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
        beyond = np.zeros_like(self._membership)
        direction, end, far = ends
        for i, name in enumerate(names):
            code = self.feature_groups_.get(name)
            target = None if code is None else self.missing_routes_.get(code)
            if target is not None:
                fallback[i, index[target]] = 1.0
            if name in far:
                beyond[i, index[far[name]]] = 1.0
        # no far-side route: None, so the loss blocks do exactly what they did without
        return RouteSpec(baseline, fallback, direction, end, beyond if beyond.any() else None)


# --- module helpers -----------------------------------------------------------------------


def _default() -> ReasonCatalog:
    from thinfile_credit.reasons.default_catalog import default_catalog

    return default_catalog()


def _states_far_side(claim: str | None, side: int) -> bool:
    """Whether a beyond group with ``claim`` states values past a feature's end on its
    favourable ``side`` (+1: above the end): a ``"high"`` text only values above, a
    ``"low"`` one only values below, a factual text (no claim) both, ``"none"`` neither.

    Examples
    --------
    >>> _states_far_side("high", 1), _states_far_side("high", -1), _states_far_side(None, -1)
    (True, False, True)
    """
    if not side:
        return False
    if claim is None:
        return True
    return (claim == "high" and side > 0) or (claim == "low" and side < 0)


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
