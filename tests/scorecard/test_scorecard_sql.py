"""SQL export: the CASE WHEN scorecard run in DuckDB returns exactly the Python scores."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from _scorecard_data import synthetic_applicants

from thinfile_credit.binning import FeatureBinning, WoEBinner
from thinfile_credit.errors import SpecError
from thinfile_credit.scorecard import WoEScorecard, feature_case_sql

BINNER = WoEBinner(feature_params={"loan_max_dpd_ever": {"special_codes": [-1]}}, cat_cutoff=0.05)


def scoring_frame(n: int = 10_000, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """10k rows with NULLs, NaNs, special codes, unseen categories and out-of-range values."""
    X, _ = synthetic_applicants(n, seed=seed)
    rng = np.random.default_rng(seed)
    nan_rows = rng.random(n) < 0.05
    X["ontime_is_nan"] = nan_rows & X["bill_ontime_share_180d"].notna()
    X.loc[rng.random(n) < 0.02, "ten_device_type"] = None
    X.loc[rng.random(n) < 0.02, "ten_device_type"] = "smart_fridge"
    X.loc[rng.random(n) < 0.02, "cons_gmv_sum_365d"] = 1e12
    X.loc[rng.random(n) < 0.02, "cons_order_count_90d"] = -50.0
    return X, nan_rows


@pytest.fixture(scope="module")
def fitted() -> dict[bool, WoEScorecard]:
    X, y = synthetic_applicants(8000, seed=3)
    return {
        flag: WoEScorecard(binner=BINNER, round_points=flag, min_iv=0.0).fit(X, y)
        for flag in (True, False)
    }


def _python_scores(card: WoEScorecard, X: pd.DataFrame) -> np.ndarray:
    frame = X.drop(columns="ontime_is_nan").copy()
    frame.loc[X["ontime_is_nan"], "bill_ontime_share_180d"] = np.nan
    return card.score(frame)


def _duckdb_scores(card: WoEScorecard, X: pd.DataFrame, dialect: str) -> np.ndarray:
    con = duckdb.connect()
    con.register("raw", X.drop(columns="ontime_is_nan").assign(nan_flag=X["ontime_is_nan"]))
    # genuine IEEE NaN in one place, SQL NULL (from pandas' NaN) in others
    con.execute(
        "CREATE TABLE applicants AS SELECT * REPLACE ("
        "CASE WHEN nan_flag THEN CAST('NaN' AS DOUBLE) ELSE bill_ontime_share_180d END"
        " AS bill_ontime_share_180d) FROM raw"
    )
    nan_count = con.execute(
        "SELECT count(*) FROM applicants WHERE isnan(bill_ontime_share_180d)"
    ).fetchone()
    assert nan_count is not None
    assert nan_count[0] == int(X["ontime_is_nan"].sum())
    sql = card.to_sql(dialect, table="applicants")
    return con.execute(sql).df()["score"].to_numpy(dtype=np.float64)


@pytest.mark.parametrize("dialect", ["duckdb", "postgresql"])
@pytest.mark.parametrize("integer", [True, False], ids=["integer-points", "float-points"])
def test_sql_in_duckdb_equals_python_scores(fitted, dialect: str, integer: bool) -> None:
    card = fitted[integer]
    X, _ = scoring_frame()
    assert X["ontime_is_nan"].sum() > 100
    assert X["bill_ontime_share_180d"].isna().sum() > 100
    expected = _python_scores(card, X)
    got = _duckdb_scores(card, X, dialect)
    assert len(got) == 10_000
    if integer:
        assert np.array_equal(got, expected)
    else:
        assert np.max(np.abs(got - expected)) <= 1e-9


def test_ansi_sql_handles_nulls_exactly(fitted) -> None:
    card = fitted[True]
    X, _ = scoring_frame()
    X["ontime_is_nan"] = False  # ANSI SQL has no NaN: missing values are NULL only
    expected = _python_scores(card, X)
    assert np.array_equal(_duckdb_scores(card, X, "ansi"), expected)


def test_contribution_columns_match_python(fitted) -> None:
    card = fitted[False]
    X, _ = scoring_frame(2000)
    frame = X.drop(columns="ontime_is_nan")
    con = duckdb.connect()
    con.register("t", frame)
    out = con.execute(card.to_sql("duckdb", table="t", contributions=True)).df()
    expected = card.contributions(frame).to_frame()
    for name in card.features_:
        assert np.array_equal(out[f"points_{name}"].to_numpy(), expected[name].to_numpy())


def test_expression_form_and_quoting() -> None:
    X, y = synthetic_applicants(3000, seed=5)
    X = X.rename(columns={"cons_order_count_90d": 'orders "90d"'})
    card = WoEScorecard(round_points=True, min_iv=0.0).fit(X, y)
    expr = card.to_sql("duckdb")
    assert expr.startswith("(")
    assert '"orders ""90d"""' in expr
    con = duckdb.connect()
    con.register("t", X)
    got = con.execute(f"SELECT {expr} AS s FROM t").df()["s"].to_numpy()
    assert np.array_equal(got, card.score(X))
    spark_sql = card.to_sql("spark")
    assert '`orders "90d"`' in spark_sql
    assert "isnan(" in spark_sql


def test_float_literals_are_round_trip_exact() -> None:
    splits = (2.0**-40, 0.1, 1 / 3, 123456789.123456789)
    fb = FeatureBinning.from_counts(
        "x", "numeric", splits=splits, n_nonevent=[5] * 7, n_event=[1, 2, 3, 4, 5, 0, 0]
    )
    case = feature_case_sql(fb, [0.1 * i for i in range(7)], "duckdb")
    for s in splits:
        assert f"CAST('{s!r}' AS DOUBLE)" in case
    values = np.array([np.nextafter(s, -np.inf) for s in splits] + list(splits))
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"x": values}))
    got = con.execute(f"SELECT {case} AS p FROM t").df()["p"].to_numpy()
    expected = np.asarray([0.1 * i for i in range(7)])[fb.bin_index(values)]
    assert np.array_equal(got, expected)


def test_unknown_dialect_is_a_spec_error(fitted) -> None:
    with pytest.raises(SpecError, match="unknown SQL dialect 'oracle'"):
        fitted[True].to_sql("oracle")


#: Categories a dialect must read back verbatim: quotes, backslashes (a lone one, one
#: before a quote, one before a letter that would make an escape), Unicode.
AWKWARD = ["o'reilly", "c:\\temp", "end\\", "\\'", "a\\nb", "\\u0041", "上海", "naïve 😀", "''"]


def _awkward_binning() -> tuple[FeatureBinning, list[float]]:
    groups = [[c] for c in AWKWARD[1:]]
    n = len(groups)
    fb = FeatureBinning.from_counts(
        "merchant",
        "categorical",
        groups=groups,
        special_codes=[AWKWARD[0]],
        n_nonevent=[50] * (n + 1) + [0, 0],
        n_event=[5 + i for i in range(n + 1)] + [0, 0],
    )
    points = [float(10 * (i + 1)) for i in range(n + 1)] + [-1.0, -99.0]
    return fb, points


def _python_points(fb: FeatureBinning, points: list[float], values: list) -> list[float]:
    return [points[i] for i in fb.bin_index(np.array(values, dtype=object))]


@pytest.mark.parametrize("dialect", ["ansi", "postgresql", "duckdb"])
def test_categories_with_quotes_backslashes_and_unicode_in_duckdb(dialect: str) -> None:
    fb, points = _awkward_binning()
    values = [*AWKWARD, "unseen", None]
    case = feature_case_sql(fb, points, dialect, integer=True)
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"merchant": pd.Series(values, dtype=object)}))
    got = con.execute(f"SELECT {case} AS p FROM t").df()["p"].tolist()
    assert got == _python_points(fb, points, values)
    assert len(set(got)) == len(got)  # every value in its own bin: nothing fell to Unknown


def test_ansi_categories_in_sqlite() -> None:
    import sqlite3

    fb, points = _awkward_binning()
    values = [*AWKWARD, "unseen", None]
    case = feature_case_sql(fb, points, "ansi", integer=True)
    con = sqlite3.connect(":memory:")
    con.execute('CREATE TABLE t (i INTEGER, "merchant" TEXT)')
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    got = [row[0] for row in con.execute(f"SELECT {case} FROM t ORDER BY i")]
    assert got == _python_points(fb, points, values)


def test_spark_literals_escape_backslashes_and_quotes() -> None:
    fb, points = _awkward_binning()
    case = feature_case_sql(fb, points, "spark", integer=True)
    assert "= 'o\\'reilly'" in case
    assert "'c:\\\\temp'" in case
    assert "'end\\\\'" in case
