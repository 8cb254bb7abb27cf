"""FeatureTransformer: a scikit-learn transformer around the builder."""

from __future__ import annotations

from datetime import UTC, datetime

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


def test_user_ids_beyond_float_precision_stay_distinct() -> None:
    from datetime import timedelta

    from thinfile_credit.schema import EventTables

    t = datetime(2024, 6, 1, 12)
    # Only user 2**53 has an order; 2**53 + 1 would become 2**53 through float64.
    orders = pl.DataFrame(
        {
            "order_id": [1],
            "user_id": [2**53],
            "ordered_at": [t - timedelta(days=1)],
            "amount": [9.0],
            "category": ["a"],
            "status": ["paid"],
        }
    )
    ft = FeatureTransformer(
        tables=EventTables(orders=orders), builder=FeatureBuilder(windows=(30,))
    )
    seconds = t.replace(tzinfo=UTC).timestamp()
    names = None
    for X in (
        np.array([[2**53 + 1, seconds], [2**53, seconds]], dtype=object),
        np.array([[2**53 + 1, int(seconds)], [2**53, int(seconds)]], dtype=np.int64),
    ):
        got = ft.fit(X).transform(X)
        names = list(ft.get_feature_names_out())
        assert got[:, names.index("cons_order_count_30d")].tolist() == [0.0, 1.0]
    with pytest.raises(DataError, match="2\\*\\*53") as err:
        ft.fit(np.array([[float(2**53 + 2), seconds]]))
    assert (err.value.table, err.value.column, err.value.rows) == ("applications", "user_id", [0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, object])
def test_fractional_user_ids_are_refused_not_truncated(dtype: type) -> None:
    """7.5 is no user: truncating it to 7 would score the applicant on user 7's history."""
    from thinfile_credit.errors import SchemaError
    from thinfile_credit.schema import EventTables

    t = datetime(2024, 6, 1, tzinfo=UTC)
    orders = pl.DataFrame(
        {
            "order_id": [1],
            "user_id": [7],
            "ordered_at": [datetime(2024, 5, 20)],
            "amount": [9.0],
            "category": ["a"],
            "status": ["paid"],
        }
    )
    ft = FeatureTransformer(tables=EventTables(orders=orders), builder=SMALL)
    seconds = t.timestamp()
    whole = np.array([[7.0, seconds], [8.0, seconds]], dtype=dtype)
    got = ft.fit(whole).transform(whole)
    assert got[:, list(ft.get_feature_names_out()).index("thin_order_count")].tolist() == [1, 0]
    X = np.array([[7.0, seconds], [7.5, seconds], [7.999, seconds], [8.0, seconds]], dtype=dtype)
    for call in (ft.fit, ft.transform):
        with pytest.raises(SchemaError) as err:
            call(X)
        assert (err.value.table, err.value.column, err.value.rows) == (
            "applications",
            "user_id",
            [1, 2],
        )


def test_edges_without_loan_tables_build_as_if_those_were_empty() -> None:
    from datetime import timedelta

    from thinfile_credit.schema import EventTables

    t = datetime(2024, 6, 1, 12)
    apps = pl.DataFrame({"application_id": [1], "user_id": [1], "applied_at": [t]})
    edges = pl.DataFrame(
        {"user_id": [1], "peer_id": [2], "kind": ["social"], "since": [t - timedelta(days=3)]}
    )
    builder = FeatureBuilder()
    got = builder.build(EventTables(applications=apps, edges=edges))
    empty = make_tables(n_users=6, seed=0)
    want = builder.build(
        EventTables(
            applications=apps,
            edges=edges,
            loans=empty.loans.clear(),
            installments=empty.installments.clear(),
        )
    )
    assert got.select(builder.feature_names_).equals(want.select(builder.feature_names_))
    online = builder.build_one({"edges": edges}, t, user_id=1)
    row = got.select(builder.feature_names_).row(0, named=True)
    np.testing.assert_allclose(
        [online[n] for n in builder.feature_names_], list(row.values()), equal_nan=True
    )
