"""How load_public reads a dataset's target: only its documented codes, nothing silently."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.datasets import PUBLIC_DATASETS, PublicDataset, load_public
from thinfile_credit.errors import DataError, SpecError

# The codings each dataset's README documents (bad, good).
DOCUMENTED = {
    "give_me_some_credit": (1, 0),
    "heloc": ("Bad", "Good"),
    "taiwan_default": (1, 0),
    "german_credit": (2, 1),
}


def _write(folder: Path, name: str, target: list[object]) -> None:
    spec = PUBLIC_DATASETS[name]
    frame = pd.DataFrame({spec.target: target, "x": range(len(target))})
    frame.to_csv(folder / spec.file, index=False)


def test_every_dataset_records_its_documented_good_and_bad_codes() -> None:
    assert {n: (s.bad_value, s.good_value) for n, s in PUBLIC_DATASETS.items()} == DOCUMENTED


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_documented_codes_map_to_one_and_zero(name: str, tmp_path: Path) -> None:
    bad, good = DOCUMENTED[name]
    _write(tmp_path, name, [bad, good, good, bad])
    X, y = load_public(name, tmp_path)
    assert y.tolist() == [1, 0, 0, 1]
    assert list(X["x"]) == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_missing_target_is_an_error_naming_the_rows(name: str, tmp_path: Path) -> None:
    bad, good = DOCUMENTED[name]
    _write(tmp_path, name, [bad, None, good, None])
    with pytest.raises(DataError, match="missing target in 2 rows") as info:
        load_public(name, tmp_path)
    err = info.value
    assert (err.table, err.column, err.rows) == (name, PUBLIC_DATASETS[name].target, [1, 3])


def test_unknown_target_code_is_an_error_not_a_good(tmp_path: Path) -> None:
    # A typo'd "bad" used to be labelled good.
    _write(tmp_path, "heloc", ["Bad", "Good", "bad", "Good"])
    with pytest.raises(DataError, match=r"heloc\.RiskPerformance: target value\(s\) 'bad'") as info:
        load_public("heloc", tmp_path)
    assert info.value.rows == [2]


@given(st.lists(st.sampled_from([0, 1, 2, 7]), min_size=1, max_size=30))
def test_target_is_refused_exactly_when_a_code_is_unknown(tmp_path_factory, codes) -> None:
    folder = tmp_path_factory.mktemp("taiwan")
    _write(folder, "taiwan_default", codes)
    unknown = [i for i, c in enumerate(codes) if c not in (0, 1)]
    if unknown:
        with pytest.raises(DataError) as info:
            load_public("taiwan_default", folder)
        assert info.value.rows == unknown
    else:
        assert load_public("taiwan_default", folder)[1].tolist() == codes


def test_a_spec_without_a_distinct_good_value_is_refused() -> None:
    with pytest.raises(SpecError, match="good_value"):
        PublicDataset("mine", "mine.csv", "target", 1)
    with pytest.raises(SpecError, match="good_value"):
        PublicDataset("mine", "mine.csv", "target", 1, good_value=1)
    assert PublicDataset("mine", "mine.csv", "target", 1, good_value=0).good_value == 0


# -- files that hold no usable rows --------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "cannot read .* as CSV: No columns to parse"),
        (b"\n\n", "cannot read .* as CSV"),
        (b"SeriousDlqin2yrs,age\n1,30\n0,40,5\n", "cannot read .* as CSV: Error tokenizing"),
        # Rows longer than the header: pandas would shift the values under other names.
        (b"SeriousDlqin2yrs,age\n1,30,7,8\n0,40,5,6\n", "data rows have 2 more field"),
        (b"SeriousDlqin2yrs,age\n1,\xff\xfe30\n", "cannot read .* as CSV"),
    ],
)
def test_unreadable_file_is_a_data_error_naming_the_dataset(
    tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "cs-training.csv").write_bytes(content)
    with pytest.raises(DataError, match=message) as info:
        load_public("give_me_some_credit", tmp_path)
    assert info.value.table == "give_me_some_credit"
    assert "cs-training.csv" in str(info.value)


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_header_only_file_is_a_data_error_not_an_empty_dataset(name: str, tmp_path: Path) -> None:
    _write(tmp_path, name, [])
    with pytest.raises(DataError, match="has a header but no data rows") as info:
        load_public(name, tmp_path)
    assert info.value.table == name


@pytest.mark.parametrize("name", ["give_me_some_credit", "taiwan_default", "german_credit"])
def test_boolean_target_is_not_taken_for_numeric_codes(name: str, tmp_path: Path) -> None:
    # True == 1 in Python: a True/False column used to load as 1/0.
    _write(tmp_path, name, [True, False, False])
    with pytest.raises(DataError, match=r"target value\(s\) True, False in 3 rows") as info:
        load_public(name, tmp_path)
    err = info.value
    assert (err.table, err.column, err.rows) == (name, PUBLIC_DATASETS[name].target, [0, 1, 2])


def test_numbers_written_as_decimals_still_match_numeric_codes(tmp_path: Path) -> None:
    (tmp_path / "default_of_credit_card_clients.csv").write_text(
        "default_payment_next_month,x\n1.0,3\n0.0,4\n"
    )
    assert load_public("taiwan_default", tmp_path)[1].tolist() == [1, 0]


@given(st.lists(st.sampled_from([0, 1, True, False]), min_size=1, max_size=20))
def test_target_codes_compare_type_strictly(tmp_path_factory, codes) -> None:
    """Loaded exactly when every value is a number 0/1; any boolean makes an error."""
    folder = tmp_path_factory.mktemp("strict")
    _write(folder, "taiwan_default", codes)
    if any(isinstance(c, bool) for c in codes):
        with pytest.raises(DataError) as info:
            load_public("taiwan_default", folder)
        assert info.value.column == "default_payment_next_month"
    else:
        assert load_public("taiwan_default", folder)[1].tolist() == codes
