"""A scikit-learn transformer around :class:`FeatureBuilder` for pipelines."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from thinfile_credit._keys import align_key
from thinfile_credit.errors import DataError
from thinfile_credit.features.builder import KEY_COLUMNS, FeatureBuilder
from thinfile_credit.schema import EventTables

__all__ = ["FeatureTransformer"]


class FeatureTransformer(TransformerMixin, BaseEstimator):
    """Turn applications into point-in-time features inside a scikit-learn pipeline.

    ``X`` is the applications: a frame with ``application_id``, ``user_id`` and
    ``applied_at``, or a numeric 2-D array whose first column is the user id (a whole
    number: ``7.5`` is refused with a :class:`~thinfile_credit.errors.SchemaError`, never
    read as user 7) and last column the application moment in seconds since 1970-01-01
    (the application id is the row position; other columns are ignored). The event tables
    are a parameter, so the same fitted pipeline scores new applications against the
    platform's history.

    Parameters
    ----------
    tables : EventTables or mapping, optional
        The platform's event tables (``applications`` is ignored: ``X`` replaces it).
        ``None`` means no history at all (every applicant is thin-file).
    builder : FeatureBuilder, optional
        Which features; default ``FeatureBuilder()``.

    Attributes
    ----------
    builder_ : FeatureBuilder
        The builder used.
    n_features_in_ : int
        Columns of ``X`` at fit.
    feature_names_out_ : ndarray of str
        Output feature names.

    Examples
    --------
    >>> import numpy as np
    >>> from thinfile_credit.features import FeatureBuilder
    >>> X = np.array([[10, 1.7e9], [11, 1.7e9]])
    >>> ft = FeatureTransformer(builder=FeatureBuilder(windows=(30,))).fit(X)
    >>> ft.transform(X).shape[0]
    2
    """

    def __init__(self, tables: Any = None, builder: FeatureBuilder | None = None) -> None:
        self.tables = tables
        self.builder = builder

    def fit(self, X: Any, y: Any = None) -> FeatureTransformer:
        """Check ``X`` and fix the output columns (nothing is learned from the data)."""
        apps = _applications(X, reset=True, owner=self)
        self.builder_ = self.builder if self.builder is not None else FeatureBuilder()
        if not isinstance(self.builder_, FeatureBuilder):
            raise DataError(f"builder must be a FeatureBuilder, got {type(self.builder_).__name__}")
        self.feature_names_out_ = np.asarray(self.builder_.feature_names_, dtype=object)
        del apps
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Features of each application in ``X`` (rows in input order, float64)."""
        check_is_fitted(self, "builder_")
        apps = _applications(X, reset=False, owner=self)
        tables = self.tables if self.tables is not None else EventTables()
        if not isinstance(tables, EventTables):
            tables = EventTables(**dict(tables))
        out = self.builder_.build(tables.replace(applications=apps))
        return out.select(list(self.feature_names_out_)).to_numpy().astype(np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output feature names."""
        check_is_fitted(self, "builder_")
        return self.feature_names_out_.copy()

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.input_tags.two_d_array = True
        tags.input_tags.allow_nan = False
        # the user-id column holds identifiers (whole numbers, a fraction is refused), so
        # scikit-learn's common checks are to pass whole-number data, not random floats
        tags.input_tags.categorical = True
        return tags


def _applications(X: Any, *, reset: bool, owner: FeatureTransformer) -> pl.DataFrame:
    """Applications as a Polars frame from a frame or a 3-column numeric array."""
    from sklearn.utils.validation import validate_data

    from thinfile_credit._frames import column_names, frame_kind, to_polars

    try:
        kind = frame_kind(X)
        is_frame = True
    except DataError:
        is_frame = False
    if is_frame:
        names = column_names(X, kind)
        missing = [c for c in KEY_COLUMNS if c not in names]
        if missing:
            raise DataError(f"required columns missing: {missing}", table="applications")
        if reset:
            owner.n_features_in_ = len(names)
            owner.feature_names_in_ = np.asarray(names, dtype=object)
        elif len(names) != owner.n_features_in_:
            raise DataError(
                f"X has {len(names)} columns, the transformer was fitted with "
                f"{owner.n_features_in_}"
            )
        # only the keys are read: other columns of X are ignored, even unreadable ones
        df, _ = to_polars(X, table="applications", columns=KEY_COLUMNS)
        return df.select(*KEY_COLUMNS)
    arr = validate_data(owner, X, reset=reset, dtype=np.float64, ensure_min_samples=1)
    micros = np.round(arr[:, -1] * 1e6).astype(np.int64)
    return pl.DataFrame(
        {
            "application_id": np.arange(arr.shape[0]),
            "user_id": _user_ids(np.asarray(X)[:, 0]),
            "applied_at": pl.Series(micros).cast(pl.Datetime("us")),
        }
    )


#: Whole numbers from here on are not all representable as float64.
_EXACT_FLOAT_LIMIT = 2**53


def _user_ids(raw: Any) -> Any:
    """The user-id column as int64: integers as given, floats only when whole and below
    2**53.

    The float64 copy scikit-learn's validation makes would merge ids beyond 2**53 (one
    applicant would get another user's history), so ids are read from the input itself;
    a fractional id (``7.5``) is refused as the batch builder refuses it, not truncated
    to user 7.
    """
    kind = raw.dtype.kind
    bad: list[int]
    floats: np.ndarray | None = None  # the float ids to read (0.0 elsewhere), if any
    if kind in "iu":
        ids = raw.astype(np.int64)
        bad = np.flatnonzero(raw > np.iinfo(np.int64).max).tolist() if kind == "u" else []
    elif kind == "f":
        fits = np.abs(raw) < _EXACT_FLOAT_LIMIT  # NaN and infinities fail too
        floats = np.where(fits, raw, 0.0).astype(np.float64)
        ids = np.zeros(len(raw), dtype=np.int64)
        bad = np.flatnonzero(~fits).tolist()
    else:  # object arrays mix Python ints (exact at any size) with other values
        values = raw.tolist()
        ids = np.zeros(len(values), dtype=np.int64)
        floats = np.zeros(len(values), dtype=np.float64)
        bad = []
        for i, value in enumerate(values):
            if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                if -(2**63) <= int(value) < 2**63:
                    ids[i] = int(value)
                    continue
            elif isinstance(value, (float, np.floating)) and abs(float(value)) < _EXACT_FLOAT_LIMIT:
                floats[i] = value
                continue
            bad.append(i)
    if floats is not None:
        # the library's lossless key rule: a float id is read only if it is a whole number
        whole = align_key(
            pl.Series("user_id", floats),
            pl.Int64(),
            table="applications",
            column="user_id",
            reference="64-bit integer ids",
        )
        ids = ids + whole.to_numpy()
    if bad:
        raise DataError(
            "user ids in a float array must be below 2**53 (float64 holds no larger whole "
            "number exactly, so two users would merge); pass such ids in a DataFrame or an "
            "integer array",
            table="applications",
            column="user_id",
            rows=bad,
        )
    return ids
