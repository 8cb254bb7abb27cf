"""Fitting one feature's optimal binning on optbinning, with our own Missing/Special/Unknown bins.

optbinning chooses the split points (or category groups) under the monotonicity and
bin-size constraints; this module then counts goods and bads per bin itself, so every
special code gets its own bin, unseen categories have an Unknown bin, and empty or pure
bins get the documented fallback WoE (see :mod:`thinfile_credit.binning._feature`).

Numeric pre-binning uses :func:`~thinfile_credit.binning._prebin.cart_prebin_splits`, an
exact and much faster replica of optbinning's own CART pre-binning, whose result is handed
to optbinning as ``user_splits``: the optimal bins are those optbinning would find.
"""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.binning._feature import FeatureBinning, special_code_values
from thinfile_credit.binning._prebin import cart_prebin_splits
from thinfile_credit.binning._text import factorize_texts, numeric_values
from thinfile_credit.errors import DataError, SpecError

__all__ = ["MONOTONIC_TRENDS", "BinningOptions", "fit_feature_binning"]

#: Monotonic trends optbinning accepts (``None`` = no constraint).
MONOTONIC_TRENDS = (
    "auto",
    "auto_heuristic",
    "auto_asc_desc",
    "ascending",
    "descending",
    "convex",
    "concave",
    "peak",
    "valley",
    "peak_heuristic",
    "valley_heuristic",
)


@dataclass(frozen=True)
class BinningOptions:
    """Binning settings for one feature (frozen, validated at construction).

    Every bound optbinning enforces at fit is checked here, so a bad option fails when it
    is written rather than deep inside a fit.

    Parameters
    ----------
    dtype : {"numeric", "categorical"}
        How the feature is binned.
    monotonic_trend : str or None, default "auto_asc_desc"
        Event-rate trend across numeric bins (optbinning's names).
    max_n_prebins : int, default 20
        At least 2.
    min_prebin_size : float, default 0.05
        Share of all rows, in ``(0, 0.5]``.
    min_n_bins, max_n_bins : int, optional
        Positive, ``min_n_bins <= max_n_bins``.
    min_bin_size, max_bin_size : float, optional
        Shares of all rows: ``min_bin_size`` in ``(0, 0.5]``, ``max_bin_size`` in
        ``(0, 1]``, ``min_bin_size <= max_bin_size``.
    special_codes : tuple, default ()
        Values that get their own Special bin: numbers for a numeric feature (stored as
        floats); for a categorical one, stored as text by the categorical text rule, so
        ``-1``, ``-1.0`` and ``np.int64(-1)`` all mean the category ``"-1"``.
    cat_cutoff : float, optional
        Categories rarer than this share are pooled into one rare level; in ``(0, 1]``.
    empty_bin_woe : {"riskiest", "neutral"}, default "riskiest"
        WoE of bins without data at fit.
    time_limit : float, default 100
        Solver time limit in seconds (``>= 0``).

    Examples
    --------
    >>> BinningOptions(dtype="numeric", max_n_bins=5).max_n_bins
    5
    >>> try:
    ...     BinningOptions(dtype="numeric", monotonic_trend="upwards")
    ... except SpecError as exc:
    ...     print(str(exc)[-13:])
    got 'upwards'
    >>> try:
    ...     BinningOptions(min_n_bins=5, max_n_bins=2)
    ... except SpecError as exc:
    ...     print(exc)
    min_n_bins (5) must not exceed max_n_bins (2)
    >>> BinningOptions(dtype="categorical", special_codes=(-1.0,)).special_codes
    ('-1',)
    """

    dtype: Literal["numeric", "categorical"] = "numeric"
    monotonic_trend: str | None = "auto_asc_desc"
    max_n_prebins: int = 20
    min_prebin_size: float = 0.05
    min_n_bins: int | None = None
    max_n_bins: int | None = None
    min_bin_size: float | None = None
    max_bin_size: float | None = None
    special_codes: tuple[Any, ...] = field(default_factory=tuple)
    cat_cutoff: float | None = None
    empty_bin_woe: Literal["riskiest", "neutral"] = "riskiest"
    time_limit: float = 100.0

    def __post_init__(self) -> None:
        if self.dtype not in ("numeric", "categorical"):
            raise SpecError(f"dtype must be 'numeric' or 'categorical', got {self.dtype!r}")
        if self.monotonic_trend is not None and self.monotonic_trend not in MONOTONIC_TRENDS:
            raise SpecError(
                f"monotonic_trend must be one of {', '.join(MONOTONIC_TRENDS)} or None, "
                f"got {self.monotonic_trend!r}"
            )
        if not _is_int(self.max_n_prebins) or self.max_n_prebins < 2:
            raise SpecError(f"max_n_prebins must be an int >= 2, got {self.max_n_prebins!r}")
        # optbinning's bounds (its _check_parameters), so they fail here and not at fit
        for name, upper in _SHARE_BOUNDS.items():
            value = getattr(self, name)
            if value is not None and (not _is_real(value) or not 0.0 < float(value) <= upper):
                raise SpecError(f"{name} must lie in (0, {upper:g}], got {value!r}")
        for name in ("min_n_bins", "max_n_bins"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or value < 1):
                raise SpecError(f"{name} must be a positive int, got {value!r}")
        for low, high in (("min_n_bins", "max_n_bins"), ("min_bin_size", "max_bin_size")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise SpecError(f"{low} ({lo!r}) must not exceed {high} ({hi!r})")
        if not _is_real(self.time_limit) or not float(self.time_limit) >= 0.0:
            raise SpecError(f"time_limit must be a number of seconds >= 0, got {self.time_limit!r}")
        if self.empty_bin_woe not in ("riskiest", "neutral"):
            raise SpecError(
                f"empty_bin_woe must be 'riskiest' or 'neutral', got {self.empty_bin_woe!r}"
            )
        codes = special_code_values(self.dtype, tuple(self.special_codes))
        object.__setattr__(self, "special_codes", codes)
        # plain Python numbers, so to_dict() is JSON-ready whatever the caller passed
        for name in ("max_n_prebins", "min_n_bins", "max_n_bins"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, int(getattr(self, name)))
        for name in (*_SHARE_BOUNDS, "time_limit"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, float(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        out = asdict(self)
        out["special_codes"] = list(self.special_codes)
        return out


def fit_feature_binning(
    name: str, values: NDArray[Any], y: NDArray[np.int8], options: BinningOptions
) -> FeatureBinning:
    """Fit the optimal binning of one feature.

    Parameters
    ----------
    name : str
        Feature name (for messages and tables).
    values : ndarray
        Numbers (numeric; text raises) or any values (categorical; read through the
        categorical text rule, see :func:`~thinfile_credit.binning._text.category_text`).
    y : ndarray of 0/1
        Target, 1 = bad.
    options : BinningOptions
        Settings.

    Returns
    -------
    FeatureBinning

    Raises
    ------
    DataError
        Infinite values not declared special, or text in a numeric feature.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000); y = (rng.random(2000) < 1 / (1 + np.exp(2 - x))).astype("int8")
    >>> fb = fit_feature_binning("x", x, y, BinningOptions())
    >>> fb.kind, fb.n_regular > 1, all(np.diff(fb.woe[: fb.n_regular]) > 0)
    ('numeric', True, True)
    """
    if options.dtype == "numeric":
        return _fit_numeric(name, values, y, options)
    return _fit_categorical(name, values, y, options)


# --- helpers ----------------------------------------------------------------------------

#: Upper bound of every option that is a share of all rows (the lower bound is 0, open).
_SHARE_BOUNDS = {
    "min_prebin_size": 0.5,
    "min_bin_size": 0.5,
    "max_bin_size": 1.0,
    "cat_cutoff": 1.0,
}


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _optbinning_kwargs(options: BinningOptions) -> dict[str, Any]:
    return {
        "monotonic_trend": options.monotonic_trend,
        "max_n_prebins": options.max_n_prebins,
        "min_prebin_size": options.min_prebin_size,
        "min_n_bins": options.min_n_bins,
        "max_n_bins": options.max_n_bins,
        "min_bin_size": options.min_bin_size,
        "max_bin_size": options.max_bin_size,
        "time_limit": options.time_limit,
    }


def _fit_numeric(
    name: str, values: NDArray[Any], y: NDArray[np.int8], options: BinningOptions
) -> FeatureBinning:
    from optbinning import OptimalBinning

    x = numeric_values(values, name)
    codes = np.asarray(options.special_codes, dtype=np.float64)
    is_special = np.isin(x, codes) if codes.size else np.zeros(x.shape, dtype=bool)
    bad_inf = np.isinf(x) & ~is_special
    if bad_inf.any():
        raise DataError(
            "infinite values (declare them as special codes to bin them)",
            table="X",
            column=name,
            rows=np.flatnonzero(bad_inf).tolist(),
        )
    is_missing = np.isnan(x)
    clean = ~(is_special | is_missing)
    xc, yc = x[clean], y[clean]
    splits: list[float] = []
    if xc.size and xc.min() < xc.max():
        min_leaf = int(np.ceil(options.min_prebin_size * x.size))
        prebins = cart_prebin_splits(xc, yc, min_leaf, options.max_n_prebins)
        if prebins.size:
            optb = OptimalBinning(
                name=name,
                dtype="numerical",
                special_codes=list(codes) if codes.size else None,
                user_splits=prebins,
                **_optbinning_kwargs(options),
            )
            # optbinning sees every row (missing and special too) so bin-size shares are
            # the same as in its own BinningProcess.
            optb.fit(x, y)
            splits = [float(s) for s in np.asarray(optb.splits, dtype=np.float64)]
    n_regular = len(splits) + 1
    idx = np.searchsorted(np.asarray(splits, dtype=np.float64), x, side="right")
    for offset, code in enumerate(codes.tolist()):
        idx[x == code] = n_regular + offset
    idx[is_missing] = n_regular + codes.size
    n_bins = n_regular + codes.size + 2
    n_event = np.bincount(idx, weights=y, minlength=n_bins).astype(np.int64)
    n_all = np.bincount(idx, minlength=n_bins).astype(np.int64)
    return FeatureBinning.from_counts(
        name,
        "numeric",
        splits=splits,
        special_codes=tuple(codes.tolist()),
        n_nonevent=(n_all - n_event).tolist(),
        n_event=n_event.tolist(),
        empty_bin_woe=options.empty_bin_woe,
    )


def _fit_categorical(
    name: str, values: NDArray[Any], y: NDArray[np.int8], options: BinningOptions
) -> FeatureBinning:
    from optbinning import OptimalBinning

    # the categorical text rule, exactly as transform and scoring apply it: a NaN object
    # is Missing here too, and 3, 3.0 and np.int64(3) are all the category "3". The rule
    # runs once per distinct value; rows only index into per-value tables.
    index, texts = factorize_texts(values)
    table = np.empty(len(texts), dtype=object)
    table[:] = texts
    text = table[index]
    is_missing = np.asarray([t is None for t in texts], dtype=bool)[index]
    codes = list(options.special_codes)
    if codes:
        code_set = set(codes)
        special = np.asarray([t in code_set for t in texts], dtype=bool)
        is_special = special[index]
    else:  # no special codes: no scan
        is_special = np.zeros(text.size, dtype=bool)
    clean = ~(is_missing | is_special)
    # Count per distinct text (two raw values may share one: 1 and "1"), never through
    # NumPy's fixed-width str, which drops trailing NULs ("a\x00" would become "a").
    text_id: dict[str, int] = {}
    code_text = np.asarray(
        [-1 if t is None else text_id.setdefault(t, len(text_id)) for t in texts], dtype=np.intp
    )
    row_text = code_text[index[clean]]
    counts = np.bincount(row_text, minlength=len(text_id))
    level_text = np.empty(len(text_id), dtype=object)
    level_text[:] = list(text_id)
    rare: list[str] = []
    if options.cat_cutoff is not None and row_text.size:
        rare = sorted(
            t for t, c in zip(text_id, counts.tolist()) if 0 < c / text.size < options.cat_cutoff
        )
        if rare:
            _refuse_rare_token(name, text_id, text, clean)
            level_text[[text_id[t] for t in rare]] = FeatureBinning.RARE
    categories = level_text[row_text]
    levels = np.asarray(sorted(set(level_text[counts > 0].tolist())), dtype=object)
    groups: list[list[str]]
    if levels.size >= 2:
        optb = OptimalBinning(name=name, dtype="categorical", **_optbinning_kwargs(options))
        optb.fit(categories, y[clean])
        groups = [[str(c) for c in np.asarray(g, dtype=object)] for g in optb.splits]
        seen = {c for g in groups for c in g}
        groups += [[c] for c in levels.tolist() if c not in seen]
    else:
        groups = [levels.tolist()]
    probe = FeatureBinning(
        name=name,
        kind="categorical",
        groups=tuple(tuple(g) for g in groups),
        rare_categories=tuple(rare),
        special_codes=tuple(codes),
        n_nonevent=(0,) * (len(groups) + len(codes) + 2),
        n_event=(0,) * (len(groups) + len(codes) + 2),
        woe=(0.0,) * (len(groups) + len(codes) + 2),
        fallback=("",) * (len(groups) + len(codes) + 2),
    )
    idx = probe.bin_index(text)
    n_bins = probe.n_bins
    n_event = np.bincount(idx, weights=y, minlength=n_bins).astype(np.int64)
    n_all = np.bincount(idx, minlength=n_bins).astype(np.int64)
    return FeatureBinning.from_counts(
        name,
        "categorical",
        groups=groups,
        rare_categories=rare,
        special_codes=tuple(codes),
        n_nonevent=(n_all - n_event).tolist(),
        n_event=n_event.tolist(),
        empty_bin_woe=options.empty_bin_woe,
    )


def _refuse_rare_token(
    name: str, text_id: dict[str, int], text: NDArray[Any], clean: NDArray[np.bool_]
) -> None:
    """A real category spelled as the token of the pooled rare categories is refused:
    scoring could not tell it from them, and the exported SQL lists only real ones."""
    if FeatureBinning.RARE not in text_id:
        return
    rows = np.flatnonzero(clean & (text == FeatureBinning.RARE))
    if not rows.size:  # a special code of that text has its own bin: no clash
        return
    raise DataError(
        f"the category {FeatureBinning.RARE!r} is the name the binning gives the pooled "
        "rare categories (cat_cutoff); rename that category in the data, or bin without "
        "cat_cutoff",
        table="X",
        column=name,
        rows=rows.tolist(),
    )
