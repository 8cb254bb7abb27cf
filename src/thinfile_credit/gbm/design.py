"""The design matrix: any frame in, a float64 matrix with integer-coded categories out.

Numeric columns pass through as float64 (nulls become NaN, which every engine routes
natively). Categorical columns are coded ``0 .. m-1`` in order of their smoothed training
bad rate, safest first. For LightGBM and XGBoost the codes are declared categorical and
split natively; for scikit-learn they are split as ordinals, which for a binary target
reaches the best two-way partition of the categories (Fisher, 1958) while keeping the
trees threshold-only, so TreeSHAP stays exact. Categories unseen at fit time and
missing values both become NaN ("missing").

Examples
--------
>>> import pandas as pd, numpy as np
>>> X = pd.DataFrame({"amt": [1.0, 2.0, None, 4.0], "city": ["a", "b", "a", "c"]})
>>> enc = DesignEncoder.fit(X, np.array([0, 1, 0, 1]), np.ones(4), categorical=["city"])
>>> enc.transform(X).round(2).tolist()
[[1.0, 0.0], [2.0, 1.0], [nan, 0.0], [4.0, 2.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import is_spark, to_polars
from thinfile_credit.errors import DataError, ModelError

__all__ = ["DesignEncoder", "column_names", "to_frame"]

FloatArray = NDArray[np.float64]

#: Pseudo-count pulling a rare category's bad rate towards the overall rate when ordering.
_PRIOR_ROWS = 10.0


@dataclass(frozen=True)
class DesignEncoder:
    """Fitted column coding: which columns are categorical and the code of each category.

    Build with :meth:`fit`; apply with :meth:`transform`.

    Parameters
    ----------
    feature_names : tuple of str
        Column order of the design matrix.
    categories : dict
        For each categorical column, its categories (as text) in code order.
    """

    feature_names: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]

    @classmethod
    def fit(
        cls,
        X: Any,
        y: NDArray[Any],
        sample_weight: FloatArray,
        categorical: Sequence[str] | str | None = None,
    ) -> DesignEncoder:
        """Learn the coding from training data.

        Parameters
        ----------
        X : DataFrame-like or array
            pandas, Polars, PyArrow or a 2-D NumPy array.
        y : array of {0, 1}
            1 = bad.
        sample_weight : array
            Row weights (used for the bad rates that order categories).
        categorical : sequence of str, "auto" or None
            Columns to treat as categorical; ``"auto"`` takes every non-numeric column.
            Columns with a pandas/Polars categorical dtype are categorical either way.

        Raises
        ------
        ModelError
            A declared categorical column is absent, or a non-numeric column was not
            declared categorical (the message names the columns).
        """
        frame = to_frame(X)
        names = tuple(frame.columns)
        if categorical is None:
            declared: set[str] = set()
        elif isinstance(categorical, str) and categorical == "auto":
            declared = {c for c in names if not _is_numeric(frame[c].dtype)}
        elif isinstance(categorical, str):
            declared = {categorical}
        else:
            declared = {str(c) for c in categorical}
        absent = sorted(declared - set(names))
        if absent:
            raise ModelError(
                "categorical_features names columns not in the training data",
                column=", ".join(absent),
            )
        implicit = {c for c in names if frame[c].dtype in (pl.Categorical, pl.Enum)}
        undeclared = [
            c for c in names if c not in declared | implicit and not _is_numeric(frame[c].dtype)
        ]
        if undeclared:
            raise ModelError(
                "non-numeric columns must be declared in categorical_features "
                '(or pass categorical_features="auto")',
                column=", ".join(undeclared),
            )
        categories: dict[str, tuple[str, ...]] = {}
        overall = float(np.average(y, weights=sample_weight)) if sample_weight.sum() else 0.5
        for name in names:
            if name in declared | implicit:
                categories[name] = _order_by_bad_rate(frame[name], y, sample_weight, overall)
        return cls(feature_names=names, categories=categories)

    @property
    def categorical_indices(self) -> list[int]:
        """Positions of categorical columns in the design matrix."""
        return [j for j, n in enumerate(self.feature_names) if n in self.categories]

    def transform(self, X: Any, table: str | None = None) -> FloatArray:
        """The float64 design matrix for ``X`` (columns already checked by the caller).

        Raises
        ------
        DataError
            Infinite values in a numeric column (rows named), or text in a numeric column.
        """
        frame = to_frame(X)
        if tuple(frame.columns) != self.feature_names:
            frame = frame.select(list(self.feature_names))
        out = np.empty((frame.height, len(self.feature_names)), dtype=np.float64)
        for j, name in enumerate(self.feature_names):
            col = frame[name]
            if name in self.categories:
                out[:, j] = _codes(col, self.categories[name])
                continue
            if not _is_numeric(col.dtype):
                raise DataError(
                    f"expected a numeric column, got {col.dtype}", table=table, column=name
                )
            values = col.cast(pl.Float64).fill_null(np.nan).to_numpy()
            bad = np.flatnonzero(np.isinf(values))
            if bad.size:
                raise DataError("infinite values", table=table, column=name, rows=bad.tolist())
            out[:, j] = values
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON-safe) for artefacts."""
        return {
            "feature_names": list(self.feature_names),
            "categories": {k: list(v) for k, v in self.categories.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DesignEncoder:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            feature_names=tuple(data["feature_names"]),
            categories={k: tuple(v) for k, v in data["categories"].items()},
        )


def column_names(X: Any) -> list[str] | None:
    """String column names of a frame, or None for arrays (scikit-learn's convention)."""
    if isinstance(X, np.ndarray) or not hasattr(X, "shape"):
        return None
    if is_spark(X):
        return list(X.columns)
    cols = getattr(X, "columns", None)
    if cols is None:
        cols = getattr(X, "column_names", None)
    if cols is None:
        return None
    names = list(cols)
    return [str(c) for c in names] if all(isinstance(c, str) for c in names) else None


def to_frame(X: Any) -> pl.DataFrame:
    """A Polars frame for any accepted input; arrays get columns ``x0 .. x{k-1}``.

    Raises
    ------
    DataError
        Sparse input, input that is not 2-D, or no rows or no columns.
    """
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise DataError(
            "sparse input is not supported; dense data is required (pass an array or a DataFrame)"
        )
    if isinstance(X, pl.DataFrame):
        frame = X
    elif hasattr(X, "shape") and not isinstance(X, np.ndarray) and column_names(X) is not None:
        frame, _ = to_polars(X)
    else:
        frame = _array_frame(np.asarray(X))
    if frame.width == 0:
        raise DataError(
            f"0 feature(s) (shape=({frame.height}, 0)) while a minimum of 1 is required."
        )
    if frame.height == 0:
        raise DataError(f"0 sample(s) (shape=(0, {frame.width})) while a minimum of 1 is required.")
    return frame


def _array_frame(arr: NDArray[Any]) -> pl.DataFrame:
    if arr.ndim != 2:
        raise DataError(
            f"Expected 2D array, got an array of shape {arr.shape} instead. Reshape your "
            "data either using array.reshape(-1, 1) if your data has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )
    names = [f"x{j}" for j in range(arr.shape[1])]
    if arr.dtype == object:
        try:
            # A cell that is neither text nor a number (a dict, a list) raises TypeError.
            return _array_frame(arr.astype(np.float64))
        except ValueError:  # text among the cells: keep each column as given
            return pl.DataFrame(
                {n: pl.Series(arr[:, j].tolist(), strict=False) for j, n in enumerate(names)}
            )
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        return pl.DataFrame({n: arr[:, j].astype(str) for j, n in enumerate(names)})
    return pl.DataFrame(arr.astype(np.float64, copy=False), schema=names)


# --- helpers ----------------------------------------------------------------------------
def _is_numeric(dtype: Any) -> bool:
    return bool(dtype.is_numeric() or dtype == pl.Boolean or dtype == pl.Null)


def _as_text(col: pl.Series) -> pl.Series:
    if col.dtype == pl.Boolean or col.dtype.is_numeric():
        # Numeric categories: 1 and 1.0 are the same category.
        as_float = col.cast(pl.Float64)
        return pl.Series(
            col.name,
            [None if v is None or v != v else repr(float(v)) for v in as_float.to_list()],
            dtype=pl.String,
        )
    return col.cast(pl.String)


def _order_by_bad_rate(
    col: pl.Series, y: NDArray[Any], w: FloatArray, overall: float
) -> tuple[str, ...]:
    text = _as_text(col)
    frame = pl.DataFrame({"c": text, "y": y.astype(np.float64) * w, "w": w}).drop_nulls("c")
    stats = frame.group_by("c").agg(pl.col("y").sum(), pl.col("w").sum())
    rate = (stats["y"] + _PRIOR_ROWS * overall) / (stats["w"] + _PRIOR_ROWS)
    order = stats.with_columns(rate.alias("rate")).sort(["rate", "c"])
    return tuple(order["c"].to_list())


def _codes(col: pl.Series, categories: tuple[str, ...]) -> FloatArray:
    mapping = pl.DataFrame(
        {"c": list(categories), "code": np.arange(len(categories), dtype=np.float64)},
        schema={"c": pl.String, "code": pl.Float64},
    )
    text = pl.DataFrame({"c": _as_text(col)})
    coded = text.join(mapping, on="c", how="left", maintain_order="left")["code"]
    return coded.fill_null(np.nan).to_numpy().astype(np.float64, copy=False)
