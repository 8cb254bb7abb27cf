"""Family specs: validation, serialisation, naming convention and the data dictionary."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from thinfile_credit.errors import SpecError
from thinfile_credit.features import (
    BillFeatures,
    ConsumptionFeatures,
    FeatureBuilder,
    FeatureFamily,
    LoanFeatures,
    SocialFeatures,
    TenureFeatures,
    ThinFileFeatures,
)

FAMILIES = [
    ConsumptionFeatures,
    BillFeatures,
    LoanFeatures,
    SocialFeatures,
    TenureFeatures,
    ThinFileFeatures,
]
PREFIX = {
    "consumption": "cons_",
    "bills": "bill_",
    "loans": "loan_",
    "social": "soc_",
    "tenure": "ten_",
    "thin_file": "thin_",
}


@pytest.mark.parametrize("cls", FAMILIES)
def test_round_trip_through_json(cls: type[FeatureFamily]) -> None:
    fam = cls()
    again = FeatureFamily.from_dict(json.loads(fam.to_json()))
    assert again == fam
    assert again.feature_names == fam.feature_names


@pytest.mark.parametrize("windows", [(), (0,), (-5,), (30, 30), (1.5,), (True,), "30"])
def test_bad_windows_fail_at_construction(windows: object) -> None:
    with pytest.raises(SpecError, match="window"):
        ConsumptionFeatures(windows=windows)  # type: ignore[arg-type]


def test_windows_are_sorted_and_name_the_features() -> None:
    fam = BillFeatures(windows=(90, 7))
    assert fam.windows == (7, 90)
    assert "bill_ontime_share_7d" in fam.feature_names


@pytest.mark.parametrize(
    "make",
    [
        lambda: ConsumptionFeatures(night_hours=(3, 3)),
        lambda: ConsumptionFeatures(night_hours=(0, 25)),
        lambda: ConsumptionFeatures(essential_categories="food"),
        lambda: ConsumptionFeatures(utc_offset_hours=20),
        lambda: SocialFeatures(kinds=("social", "social")),
        lambda: SocialFeatures(default_dpd=0),
        lambda: TenureFeatures(change_kinds=("bad kind",)),
        lambda: ThinFileFeatures(min_events=-1),
        lambda: LoanFeatures(early_days=0),
    ],
)
def test_bad_options_fail_loudly(make: object) -> None:
    with pytest.raises(SpecError):
        make()  # type: ignore[operator]


def test_unknown_spec_fields_and_types_are_rejected() -> None:
    with pytest.raises(SpecError, match="unknown options"):
        ConsumptionFeatures.from_dict({"type": "ConsumptionFeatures", "window": [30]})
    with pytest.raises(SpecError, match="unknown feature family"):
        FeatureFamily.from_dict({"type": "Nope"})


def test_two_families_producing_one_name_are_rejected() -> None:
    with pytest.raises(SpecError, match="two families"):
        FeatureBuilder([BillFeatures(), BillFeatures()]).feature_names_
    with pytest.raises(SpecError):
        FeatureBuilder([]).feature_names_


def test_names_follow_the_convention_and_are_stable() -> None:
    fb = FeatureBuilder()
    names = fb.feature_names_
    assert names == FeatureBuilder().feature_names_
    assert len(names) == len(set(names))
    d = fb.describe()
    for row in d.itertuples():
        assert row.name.startswith(PREFIX[row.family]), row.name
        if not pd.isna(row.window):
            assert re.search(rf"_{int(row.window)}d$", row.name), row.name
    assert names[-1] == "thin_file"


def test_data_dictionary_is_complete() -> None:
    fb = FeatureBuilder()
    d = fb.describe()
    assert list(d.columns) == [
        "name",
        "family",
        "window",
        "definition",
        "definition_zh",
        "unit",
        "direction",
        "neutral",
        "when_undefined",
    ]
    assert d["name"].tolist() == fb.feature_names_
    # only the order trends have a neutral value inside their range: 0, below it decline
    neutral = d.dropna(subset=["neutral"])
    assert neutral["name"].str.startswith("cons_order_trend_").all()
    assert len(neutral) == 4
    assert (neutral["neutral"] == 0.0).all()
    assert set(d["direction"]) <= {"higher_is_riskier", "higher_is_safer", "neutral"}
    assert d["definition"].str.len().min() > 10
    assert set(d["unit"]) <= {"count", "yuan", "days", "share", "ratio", "nats", "flag"}
    assert d.loc[d["name"] == "bill_max_days_late_365d", "direction"].item() == "higher_is_riskier"
    assert fb.describe(kind="polars").height == len(fb.feature_names_)


def test_builder_round_trips_and_documents_every_name_in_the_docs() -> None:
    from pathlib import Path

    fb = FeatureBuilder()
    again = FeatureBuilder.from_dict(json.loads(json.dumps(fb.to_dict())))
    assert again.feature_names_ == fb.feature_names_
    page = Path(__file__).resolve().parents[2] / "docs" / "concepts" / "features.md"
    if page.exists():
        text = page.read_text()
        missing = [n for n in fb.feature_names_ if f"`{n}`" not in text]
        assert not missing, missing


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({}, "no 'families'"),
        ({"validate": True}, "no 'families'"),
        ([], "expected a mapping"),
        ({"families": "ConsumptionFeatures"}, "list of family specs"),
        ({"families": ["ConsumptionFeatures"]}, "list of family specs"),
        ({"families": [], "windows": [30]}, "unknown options ['windows']"),
        ({"families": [{"type": "ConsumptionFeatures"}], "validate": "false"}, "true or false"),
    ],
)
def test_builder_from_a_bad_spec_raises_a_spec_error_naming_the_field(
    data: object, words: str
) -> None:
    with pytest.raises(SpecError) as err:
        FeatureBuilder.from_dict(data)  # type: ignore[arg-type]
    assert words in str(err.value)
    assert "FeatureBuilder" in str(err.value)


def test_neutral_values_are_finite() -> None:
    from thinfile_credit.errors import SpecError
    from thinfile_credit.features._expr import agg, col
    from thinfile_credit.features.spec import FeatureDef

    expr = agg("count", "orders", col("amount"))
    assert (
        FeatureDef(
            "x", "consumption", None, "x", "ratio", "higher_is_safer", expr, neutral=0.5
        ).neutral
        == 0.5
    )
    with pytest.raises(SpecError, match="neutral must be a finite number"):
        FeatureDef(
            "x", "consumption", None, "x", "ratio", "higher_is_safer", expr, neutral=float("nan")
        )
