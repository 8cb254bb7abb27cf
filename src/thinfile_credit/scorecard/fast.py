"""Fast scoring: a scorecard compiled to sorted edges and point tables.

Two paths share one compiled form:

* **batch** - per feature, ``np.searchsorted`` on the bin edges and one ``take`` from the
  points table; missing and special values are patched only when a column has any;
* **single applicant** - pure Python ``bisect`` on precompiled lists and dict lookups,
  no NumPy or pandas per call (a few microseconds for dozens of features).

Both give exactly the points the scorecard's table shows, so the score, its SQL and its
JSON artefact agree. Both read values through the same rule
(:mod:`thinfile_credit.binning._text`): a categorical value's text does not depend on
whether it came as ``True``, ``1``, ``1.0`` or ``np.float32(1)``, in a column or a dict, and
text in a numeric feature - even ``"12"`` - raises :class:`~thinfile_credit.errors.DataError`.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.binning._feature import FeatureBinning
from thinfile_credit.binning._text import category_text, number_value, numeric_values
from thinfile_credit.errors import DataError, ModelError

__all__ = ["CompiledFeature", "CompiledScorecard"]

_INF = math.inf


class CompiledFeature:
    """One feature's scoring table.

    Parameters
    ----------
    binning : FeatureBinning
        The fitted bins.
    points : sequence of float
        Points per bin, in the binning's bin layout.

    Examples
    --------
    >>> from thinfile_credit.binning import FeatureBinning
    >>> fb = FeatureBinning.from_counts("dpd", "numeric", splits=(1.0, 30.0),
    ...                                 n_nonevent=[90, 40, 5, 3, 0], n_event=[5, 10, 5, 2, 0])
    >>> f = CompiledFeature(fb, (20.0, 0.0, -40.0, -10.0, -40.0))
    >>> f.points_one(0), f.points_one(45.0), f.points_one(None)
    (20.0, -40.0, -10.0)
    """

    __slots__ = (
        "_all",
        "_lookup",
        "_missing",
        "_regular",
        "_regular_list",
        "_specials",
        "_splits",
        "_splits_inf",
        "_splits_list",
        "_unknown",
        "_with_missing",
        "binning",
        "points",
    )

    def __init__(self, binning: FeatureBinning, points: Sequence[float]) -> None:
        fb = binning
        if len(points) != fb.n_bins:
            raise ModelError(f"expected {fb.n_bins} points, got {len(points)}", column=fb.name)
        self.binning = fb
        self.points = tuple(float(p) for p in points)
        regular = self.points[: fb.n_regular]
        self._splits = np.asarray(fb.splits, dtype=np.float64)
        self._splits_list = list(fb.splits)
        self._regular = np.asarray(regular, dtype=np.float64)
        self._regular_list = list(regular)
        self._all = np.asarray(self.points, dtype=np.float64)
        self._splits_inf = np.append(self._splits, np.inf)
        self._with_missing = np.append(self._regular, self.points[fb.missing_bin])
        self._specials: dict[Any, float] = {
            code: self.points[fb.n_regular + i] for i, code in enumerate(fb.special_codes)
        }
        self._missing = self.points[fb.missing_bin]
        self._unknown = self.points[fb.unknown_bin]
        self._lookup: dict[str, float] = {c: self.points[b] for c, b in fb._lookup.items()}

    @property
    def name(self) -> str:
        """Feature name."""
        return self.binning.name

    def points_array(self, values: NDArray[Any]) -> NDArray[np.float64]:
        """Points of every value (vectorised)."""
        fb = self.binning
        if fb.kind == "numeric":
            x = numeric_values(values, fb.name)
            # edges end with +inf, so NaN (sorted last) and +inf land one past the last
            # regular bin, where the table holds the Missing points: one searchsorted and
            # one take handle missing values too
            out: NDArray[np.float64] = self._with_missing[
                np.searchsorted(self._splits_inf, x, side="right")
            ]
            for code, points in self._specials.items():
                out[x == code] = points
            if np.isinf(x).any():
                fb.bin_index(x)  # raises DataError naming the rows unless all are special
            return out
        return self._all[fb.bin_index(values)]

    def points_one(self, value: Any) -> float:
        """Points of one value, pure Python, by the same value rule as the batch path.

        Raises
        ------
        DataError
            Text (even ``"12"``) or another non-number in a numeric feature, or an
            infinite value that is not a special code; names ``applicant`` and the column.
        """
        if value is None:
            return self._missing
        fb = self.binning
        if fb.kind == "numeric":
            try:
                x = number_value(value)
            except TypeError:
                raise DataError(
                    f"numeric feature received a non-numeric value: {value!r}",
                    table="applicant",
                    column=fb.name,
                ) from None
            if x != x:  # NaN is missing
                return self._missing
            special = self._specials.get(x)
            if special is not None:
                return special
            if x in (math.inf, -math.inf):
                raise DataError(
                    "infinite value (declare it as a special code to bin it)",
                    table="applicant",
                    column=fb.name,
                )
            return self._regular_list[bisect_right(self._splits_list, x)]
        text = category_text(value)
        if text is None:
            return self._missing
        special = self._specials.get(text)
        if special is not None:
            return special
        return self._lookup.get(text, self._unknown)


class CompiledScorecard:
    """A scorecard as edges + point tables, for batch and single-applicant scoring.

    Parameters
    ----------
    features : sequence of CompiledFeature
        The model's features, in scoring order.
    baseline : float
        Points every applicant starts from.

    Examples
    --------
    >>> import numpy as np
    >>> from thinfile_credit.binning import FeatureBinning
    >>> fb = FeatureBinning.from_counts("age", "numeric", splits=(30.0,),
    ...                                 n_nonevent=[40, 50, 5, 0], n_event=[10, 5, 5, 0])
    >>> card = CompiledScorecard([CompiledFeature(fb, (-5.0, 10.0, -20.0, -20.0))], 600.0)
    >>> card.score_one({"age": 45}), card.score_one({"age": None})
    (610.0, 580.0)
    >>> card.score_arrays([np.array([25.0, 45.0, np.nan])]).tolist()
    [595.0, 610.0, 580.0]
    """

    def __init__(self, features: Sequence[CompiledFeature], baseline: float) -> None:
        self.features = tuple(features)
        self.baseline = float(baseline)
        self.names = tuple(f.name for f in self.features)
        # per feature: (name, plain numeric?, edges, points, feature); a plain numeric
        # feature (no special codes) scores a finite float with one bisect, inline
        self._plan = tuple(
            (
                f.name,
                f.binning.kind == "numeric" and not f.binning.special_codes,
                f._splits_list,
                f._regular_list,
                f,
            )
            for f in self.features
        )

    def points_matrix(
        self, arrays: Sequence[NDArray[Any]], n_rows: int | None = None
    ) -> NDArray[np.float64]:
        """Points per row and feature, shape ``(n_rows, n_features)``."""
        n = len(arrays[0]) if arrays else (n_rows or 0)
        out = np.empty((n, len(self.features)), dtype=np.float64)
        for j, (feature, values) in enumerate(zip(self.features, arrays)):
            out[:, j] = feature.points_array(values)
        return out

    def score_arrays(
        self, arrays: Sequence[NDArray[Any]], n_rows: int | None = None
    ) -> NDArray[np.float64]:
        """Scores of a batch, one array per feature in :attr:`names` order.

        The sum runs baseline first, then features in order - the same order as the SQL
        and :meth:`score_one`, so float points agree to the last bit.
        """
        n = len(arrays[0]) if arrays else (n_rows or 0)
        total = np.full(n, self.baseline)
        for feature, values in zip(self.features, arrays):
            total += feature.points_array(values)
        return total

    def score_one(self, applicant: Mapping[str, Any]) -> float:
        """Score of one applicant given as ``{feature: value}`` (pure Python).

        Raises
        ------
        ModelError
            A model feature is absent from ``applicant``.
        DataError
            Text or an undeclared infinity in a numeric feature.
        """
        total = self.baseline
        try:
            for name, plain, edges, points, feature in self._plan:
                value = applicant[name]
                if plain and value.__class__ is float and -_INF < value < _INF:
                    total += points[bisect_right(edges, value)]
                else:
                    total += feature.points_one(value)
        except KeyError:
            raise ModelError(
                f"applicant lacks model features: {', '.join(self._absent(applicant))}",
                table="applicant",
            ) from None
        return total

    def contributions_one(self, applicant: Mapping[str, Any]) -> dict[str, float]:
        """Points per feature for one applicant (add :attr:`baseline` for the score)."""
        absent = self._absent(applicant)
        if absent:
            raise ModelError(
                f"applicant lacks model features: {', '.join(absent)}", table="applicant"
            )
        return {f.name: f.points_one(applicant[f.name]) for f in self.features}

    def _absent(self, applicant: Mapping[str, Any]) -> list[str]:
        return [name for name in self.names if name not in applicant]
