"""The fitted state of a :class:`~thinfile_credit.reasons.coder.ReasonCoder` and the fitting
steps ``fit`` hands off.

* ``_FittedState`` - the parameters and fitted attributes the coder's mixins read, declared
  for the type checker only (``ReasonCoder.__init__`` and ``fit`` set them), and the
  fitted-or-not checks.
* ``_BaselineFitting`` - ``points_below_max`` maxima from the model (``_fit_best``) and, for
  ``check_values``, the per-feature baselines, missing-value routes, directions and
  favourable ends (``_fit_routes``).
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
    best_scoring_value,
    builtin_feature,
    favourable_end,
    side,
    smallest_positive,
)
from thinfile_credit.reasons.catalog import ReasonCatalog

__all__: list[str] = []

FloatArray = NDArray[np.float64]


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
        _layout: Layout
        _reference_kind: str
        _hint_finder: Any

    def _check_fitted(self) -> None:
        if not hasattr(self, "groups_"):
            raise NotFittedError("this ReasonCoder is not fitted yet; call fit(model, X)")

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "groups_")


class _BaselineFitting(_FittedState):
    """``fit``'s baseline steps: the model's maxima and the ``check_values`` routes."""

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
