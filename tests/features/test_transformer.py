"""FeatureTransformer: a scikit-learn transformer around the builder."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl
import pytest
from _feat_gen import make_tables
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from thinfile_credit.errors import DataError
from thinfile_credit.features import FeatureBuilder, FeatureTransformer, ThinFileFeatures

SMALL = FeatureBuilder([ThinFileFeatures()])


@parametrize_with_checks([FeatureTransformer(builder=SMALL)])
def test_sklearn_compatible(estimator, check):  # type: ignore[no-untyped-def]
    check(estimator)


def test_transform_equals_build_and_fits_in_a_pipeline() -> None:
    tables = make_tables(n_users=15, seed=2)
    fb = FeatureBuilder(windows=(30, 90))
    ft = FeatureTransformer(tables=tables, builder=fb).fit(tables.applications)
    got = ft.transform(tables.applications)
    want = fb.build(tables).select(fb.feature_names_).to_numpy()
    np.testing.assert_allclose(got, want, equal_nan=True)
    assert list(ft.get_feature_names_out()) == fb.feature_names_
    pipe = make_pipeline(
        FeatureTransformer(tables=tables, builder=FeatureBuilder([ThinFileFeatures()])),
        StandardScaler(),
    )
    assert pipe.fit_transform(tables.applications).shape == (tables.applications.height, 6)


def test_numeric_applications_array() -> None:
    tables = make_tables(n_users=6, seed=1)
    apps = tables.applications
    seconds = apps["applied_at"].dt.epoch("s").to_numpy().astype(float)
    X = np.column_stack([apps["user_id"].to_numpy(), seconds])
    ft = FeatureTransformer(tables=tables, builder=SMALL).fit(X)
    got = ft.transform(X)
    want = SMALL.build(tables).select(SMALL.feature_names_).to_numpy()
    np.testing.assert_allclose(got, want, equal_nan=True)


def test_bad_applications_are_rejected() -> None:
    with pytest.raises(ValueError):
        FeatureTransformer(builder=SMALL).fit(np.array([[1.0, np.nan]]))
    with pytest.raises(DataError, match="applications"):
        FeatureTransformer(builder=SMALL).fit(
            pl.DataFrame({"user_id": [1], "applied_at": [datetime(2024, 1, 1)]})
        )
