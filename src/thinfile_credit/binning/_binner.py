"""`WoEBinner`: per-feature optimal binning as a scikit-learn transformer with WoE output."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import ClassifierTags
from sklearn.utils._param_validation import Interval, StrOptions

from thinfile_credit.binning._columns import (
    Columns,
    binary_target,
    extract_columns,
    require_fitted,
    select_columns,
    warn_if_unexpected_names,
)
from thinfile_credit.binning._feature import FeatureBinning
from thinfile_credit.binning._fit import MONOTONIC_TRENDS, BinningOptions, fit_feature_binning
from thinfile_credit.errors import SpecError

__all__ = ["WoEBinner"]

_OPTION_KEYS = set(BinningOptions.__dataclass_fields__)


class WoEBinner(TransformerMixin, BaseEstimator):
    """Optimal binning of every feature and Weight-of-Evidence encoding.

    Each feature is binned by optbinning's constrained optimiser (monotone event rate by
    default), with its own **Missing** bin, one **Special** bin per special code and, for
    categorical features, an **Unknown** bin for categories unseen at fit. ``transform``
    returns the *fitted* WoE of each value's bin - missing values get the Missing bin's
    WoE, never a silent 0. WoE is ``ln(%bad / %good)``: positive means riskier than average.

    Parameters
    ----------
    categorical_features : list of str, optional
        Features to bin as categories. By default every non-numeric column is
        categorical and every numeric column numeric.
    monotonic_trend : str or None, default "auto_asc_desc"
        Event-rate trend across numeric bins (optbinning's names: "auto_asc_desc",
        "ascending", "descending", "auto", "peak", "valley", ... or None).
    max_n_prebins : int, default 20
    min_prebin_size : float, default 0.05
    min_n_bins, max_n_bins : int, optional
    min_bin_size, max_bin_size : float, optional
        Bin size bounds as shares of all rows.
    special_codes : list of float, optional
        Codes (e.g. ``-9`` for "no record") binned separately in every numeric feature.
    cat_cutoff : float, optional
        Categories rarer than this share of rows are pooled into one rare level.
    feature_params : dict, optional
        Per-feature overrides, e.g. ``{"age": {"monotonic_trend": "descending",
        "special_codes": [-1]}}``; keys are :class:`BinningOptions` fields.
    empty_bin_woe : {"riskiest", "neutral"}, default "riskiest"
        WoE for bins with no data at fit (no missing values in training, unseen
        categories): the feature's riskiest fitted bin's WoE, or 0.
    n_jobs : int, optional
        Worker processes for fitting features in parallel (joblib/loky); -1 = all cores.

    Attributes
    ----------
    binnings_ : dict of str to FeatureBinning
    iv_ : dict of str to float
        Information value per feature.
    feature_names_in_ : ndarray of str
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"age": rng.integers(18, 70, 3000).astype(float),
    ...                   "channel": rng.choice(["app", "web"], 3000)})
    >>> X.loc[:99, "age"] = np.nan
    >>> y = (rng.random(3000) < 1 / (1 + np.exp((X["age"].fillna(20) - 30) / 8))).astype(int)
    >>> binner = WoEBinner().fit(X, y)
    >>> woe = binner.transform(X)
    >>> woe.shape, bool(np.isfinite(woe).all())
    ((3000, 2), True)
    >>> binner.binning_table("age")[["condition", "count"]].tail(1).to_string(index=False)
    'condition  count\\n  missing    100'
    """

    _parameter_constraints: dict[str, list[Any]] = {  # noqa: RUF012 - sklearn API
        "categorical_features": [list, tuple, None],
        "monotonic_trend": [StrOptions(set(MONOTONIC_TRENDS)), None],
        "max_n_prebins": [Interval(numbers.Integral, 2, None, closed="left")],
        "min_prebin_size": [Interval(numbers.Real, 0, 1, closed="right")],
        "min_n_bins": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "max_n_bins": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "min_bin_size": [Interval(numbers.Real, 0, 1, closed="right"), None],
        "max_bin_size": [Interval(numbers.Real, 0, 1, closed="right"), None],
        "special_codes": [list, tuple, None],
        "cat_cutoff": [Interval(numbers.Real, 0, 1, closed="right"), None],
        "feature_params": [dict, None],
        "empty_bin_woe": [StrOptions({"riskiest", "neutral"})],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(
        self,
        *,
        categorical_features: Sequence[str] | None = None,
        monotonic_trend: str | None = "auto_asc_desc",
        max_n_prebins: int = 20,
        min_prebin_size: float = 0.05,
        min_n_bins: int | None = None,
        max_n_bins: int | None = None,
        min_bin_size: float | None = None,
        max_bin_size: float | None = None,
        special_codes: Sequence[float] | None = None,
        cat_cutoff: float | None = None,
        feature_params: Mapping[str, Mapping[str, Any]] | None = None,
        empty_bin_woe: str = "riskiest",
        n_jobs: int | None = None,
    ) -> None:
        self.categorical_features = categorical_features
        self.monotonic_trend = monotonic_trend
        self.max_n_prebins = max_n_prebins
        self.min_prebin_size = min_prebin_size
        self.min_n_bins = min_n_bins
        self.max_n_bins = max_n_bins
        self.min_bin_size = min_bin_size
        self.max_bin_size = max_bin_size
        self.special_codes = special_codes
        self.cat_cutoff = cat_cutoff
        self.feature_params = feature_params
        self.empty_bin_woe = empty_bin_woe
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> WoEBinner:
        """Fit one optimal binning per feature.

        Parameters
        ----------
        X : DataFrame (pandas, Polars, PyArrow) or 2-D array
            Features.
        y : array-like of 0/1
            Target, 1 = bad.

        Returns
        -------
        self

        Raises
        ------
        DataError
            Bad target values, infinite feature values, empty ``X``, a column name given
            twice (after ``str()``, so ``0`` and ``"0"`` clash; names the column).
        ModelError
            The target has a single class.
        SpecError
            Inconsistent options (e.g. ``min_n_bins > max_n_bins``, ``min_bin_size`` above
            0.5, the bounds optbinning enforces), or ``feature_params`` naming an unknown
            feature or option; an override's error names its feature.
        """
        cols = extract_columns(X)
        target = binary_target(y, cols.n_rows)
        options = self._options(cols)
        self.binnings_ = fit_binnings(cols.names, cols.arrays, target, options, self.n_jobs)
        self.iv_ = {name: fb.iv for name, fb in self.binnings_.items()}
        self.feature_names_in_ = np.asarray(cols.names, dtype=object)
        self.n_features_in_ = len(cols.names)
        self._fitted_with_names = cols.has_names
        return self

    def transform(self, X: Any) -> NDArray[np.float64]:
        """Fitted WoE of every value's bin, shape ``(n_rows, n_features)``.

        Raises
        ------
        ModelError
            Fitted feature columns are missing, or an array has the wrong width.
        DataError
            Infinite values that are not special codes; text in a numeric feature; a
            column name given twice (names the column).
        NotFittedError
            Called before ``fit``.
        """
        arrays = self._columns(X)
        out = np.empty((len(arrays[0]), len(arrays)), dtype=np.float64)
        for j, (name, values) in enumerate(zip(self.feature_names_in_, arrays)):
            out[:, j] = self.binnings_[name].transform(values)
        return out

    def transform_bins(self, X: Any) -> NDArray[np.intp]:
        """Bin index of every value (see :attr:`FeatureBinning.bin_labels`)."""
        arrays = self._columns(X)
        out = np.empty((len(arrays[0]), len(arrays)), dtype=np.intp)
        for j, (name, values) in enumerate(zip(self.feature_names_in_, arrays)):
            out[:, j] = self.binnings_[name].bin_index(values)
        return out

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[Any]:
        """WoE columns keep the input feature names."""
        require_fitted(self, "binnings_")
        if input_features is not None:
            given = np.asarray(input_features, dtype=object)
            if given.shape != self.feature_names_in_.shape or not np.array_equal(
                given, self.feature_names_in_
            ):
                raise ValueError("input_features is not equal to feature_names_in_")
        return np.asarray(self.feature_names_in_, dtype=object)

    def binning_table(self, feature: str | None = None) -> Any:
        """Binning table of one feature, or of all features stacked (pandas DataFrame)."""
        import pandas as pd

        require_fitted(self, "binnings_")
        if feature is not None:
            if feature not in self.binnings_:
                raise SpecError(f"no binning for feature {feature!r}", column=feature)
            return self.binnings_[feature].table()
        return pd.concat([fb.table() for fb in self.binnings_.values()], ignore_index=True)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.target_tags.required = True
        # WoE needs a binary target; this tag makes scikit-learn's generic checks pass
        # two-class targets to this (supervised) transformer.
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags

    # --- helpers ----------------------------------------------------------------------
    def _columns(self, X: Any) -> list[NDArray[Any]]:
        require_fitted(self, "binnings_")
        cols = extract_columns(X)
        fitted_with_names = getattr(self, "_fitted_with_names", True)
        if not fitted_with_names:
            warn_if_unexpected_names(cols, "WoEBinner")
        return select_columns(
            cols,
            list(self.feature_names_in_),
            fitted_with_names=fitted_with_names,
            owner="WoEBinner",
        )

    def _options(self, cols: Columns) -> dict[str, BinningOptions]:
        categorical = set(self.categorical_features or ())
        unknown = categorical - set(cols.names)
        if unknown:
            raise SpecError(f"categorical_features not in X: {', '.join(sorted(unknown))}")
        per_feature = dict(self.feature_params or {})
        unknown = set(per_feature) - set(cols.names)
        if unknown:
            raise SpecError(f"feature_params names features not in X: {', '.join(sorted(unknown))}")
        # the shared options alone first, so their error does not blame the first feature
        shared: dict[str, Any] = {
            "monotonic_trend": self.monotonic_trend,
            "max_n_prebins": self.max_n_prebins,
            "min_prebin_size": self.min_prebin_size,
            "min_n_bins": self.min_n_bins,
            "max_n_bins": self.max_n_bins,
            "min_bin_size": self.min_bin_size,
            "max_bin_size": self.max_bin_size,
            "cat_cutoff": self.cat_cutoff,
            "empty_bin_woe": self.empty_bin_woe,
        }
        BinningOptions(**shared, special_codes=tuple(self.special_codes or ()))
        out: dict[str, BinningOptions] = {}
        for i, name in enumerate(cols.names):
            dtype = "categorical" if (name in categorical or not cols.is_numeric(i)) else "numeric"
            base: dict[str, Any] = {
                **shared,
                "dtype": dtype,
                "special_codes": tuple(self.special_codes or ()) if dtype == "numeric" else (),
            }
            override = dict(per_feature.get(name, {}))
            bad_keys = set(override) - _OPTION_KEYS
            if bad_keys:
                raise SpecError(
                    f"unknown binning options {sorted(bad_keys)}; known: {sorted(_OPTION_KEYS)}",
                    column=name,
                )
            if "special_codes" in override:
                override["special_codes"] = tuple(override["special_codes"] or ())
            base.update(override)
            try:
                out[name] = BinningOptions(**base)
            except SpecError as exc:
                raise SpecError(exc.message, column=name) from None
        return out


def fit_binnings(
    names: Sequence[str],
    arrays: Sequence[NDArray[Any]],
    y: NDArray[np.int8],
    options: Mapping[str, BinningOptions],
    n_jobs: int | None = None,
) -> dict[str, FeatureBinning]:
    """Fit every feature's binning, in worker processes when ``n_jobs`` asks for them.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=1000); y = (rng.random(1000) < 0.1 + 0.3 * (x > 1)).astype("int8")
    >>> out = fit_binnings(["x"], [x], y, {"x": BinningOptions()})
    >>> len(out["x"].splits) > 0
    True
    """
    if n_jobs is None or n_jobs == 1 or len(names) == 1:
        return {n: fit_feature_binning(n, a, y, options[n]) for n, a in zip(names, arrays)}
    from joblib import Parallel, delayed

    # Processes, not threads: optbinning's Python bookkeeping holds the GIL. Large
    # arrays are memory-mapped to the workers by joblib rather than pickled.
    fitted = Parallel(n_jobs=n_jobs, backend="loky")(
        delayed(fit_feature_binning)(n, a, y, options[n]) for n, a in zip(names, arrays)
    )
    return dict(zip(names, fitted))
