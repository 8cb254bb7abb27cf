"""The bundled German Credit sample."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import polars as pl
import pytest

from thinfile_credit.datasets import (
    GERMAN_CREDIT_CATEGORICAL,
    GERMAN_CREDIT_NUMERIC,
    german_credit_codebook,
    load_german_credit,
)
from thinfile_credit.datasets import german as german_module
from thinfile_credit.errors import DataError

COLUMNS = [
    "status_checking",
    "duration_months",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings",
    "present_employment_since",
    "installment_rate_pct_income",
    "personal_status_sex",
    "other_debtors",
    "present_residence_since",
    "property",
    "age_years",
    "other_installment_plans",
    "housing",
    "n_existing_credits_this_bank",
    "job",
    "n_people_liable",
    "telephone",
    "foreign_worker",
]


def test_pandas_shape_dtypes_and_target() -> None:
    X, y = load_german_credit()
    assert isinstance(X, pd.DataFrame)
    assert isinstance(y, pd.Series)
    assert list(X.columns) == COLUMNS
    assert X.shape == (789, 20)
    assert (y.name, y.dtype) == ("bad", np.int64)
    assert int(y.sum()) == 240  # credit_risk == 2
    assert set(GERMAN_CREDIT_NUMERIC) | set(GERMAN_CREDIT_CATEGORICAL) == set(COLUMNS)
    for col in GERMAN_CREDIT_NUMERIC:
        assert X[col].dtype == np.float64
    for col in GERMAN_CREDIT_CATEGORICAL:
        assert pd.api.types.is_string_dtype(X[col])
    assert not X.isna().any().any()


def test_polars_matches_pandas() -> None:
    Xp, yp = load_german_credit(as_frame="polars")
    assert isinstance(Xp, pl.DataFrame)
    assert isinstance(yp, pl.Series)
    X, y = load_german_credit()
    assert Xp.columns == list(X.columns)
    assert yp.to_list() == y.to_list()
    for col in COLUMNS:
        assert Xp[col].to_list() == X[col].to_list()


def test_codes_when_not_decoded() -> None:
    X, _ = load_german_credit(decode=False)
    assert X.loc[0, "status_checking"] == "A12"
    assert X["purpose"].str.match(r"^A4\d+$").all()
    assert set(X["telephone"]) == {"A191", "A192"}


def test_decoding_maps_every_code_through_the_codebook() -> None:
    codes, _ = load_german_credit(as_frame="polars", decode=False)
    labels, _ = load_german_credit(as_frame="polars", decode=True)
    book = german_credit_codebook()
    for col in GERMAN_CREDIT_CATEGORICAL:
        expected = [book[col][c] for c in codes[col].to_list()]
        assert labels[col].to_list() == expected
    assert set(labels["telephone"]) == {"yes", "no"}
    assert set(labels["foreign_worker"]) == {"yes", "no"}
    # UCI A93 is "male : single" (a known mislabel elsewhere says "divorced/separated").
    assert book["personal_status_sex"]["A93"] == "male : single"
    assert book["status_checking"]["A12"] == "0 <= ... < 200 DM"  # trailing space removed


def test_codebook_is_a_fresh_copy() -> None:
    book = german_credit_codebook()
    book["purpose"]["A43"] = "changed"
    assert german_credit_codebook()["purpose"]["A43"] == "radio/television"


def test_bad_as_frame() -> None:
    with pytest.raises(DataError, match="as_frame must be 'pandas' or 'polars'"):
        load_german_credit(as_frame="numpy")  # type: ignore[arg-type]


def test_damaged_bundle_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(german_module._FILES, "german_credit.csv", "0" * 64)
    with pytest.raises(DataError, match=r"german_credit\.csv does not match its SHA-256"):
        load_german_credit()


def test_attribution_ships_with_the_data() -> None:
    data = resources.files("thinfile_credit.datasets") / "data"
    notice = (data / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in notice
    assert "Hofmann" in notice
    assert "789" in notice
    assert "CC BY 4.0" in (load_german_credit.__doc__ or "")
