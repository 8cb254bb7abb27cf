"""WoEBinner: scikit-learn conformance, Missing/Special/Unknown bins, fallbacks, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from thinfile_credit.binning import WoEBinner
from thinfile_credit.errors import DataError, ModelError, SpecError

# scikit-learn's generic checks sometimes build targets other than 0/1 (e.g. {1, 2}); WoE
# is defined for a 0/1 target (1 = bad) and the library rejects anything else by design.
NOT_ZERO_ONE = "target other than 0/1; WoE needs a 0/1 target (1 = bad) by design"


def _expected_failures(estimator: object) -> dict[str, str]:
    return {"check_estimators_dtypes": NOT_ZERO_ONE}


@parametrize_with_checks([WoEBinner()], expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


def _data(n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 75, n).astype(float)
    channel = rng.choice(["app", "web", "shop", "call"], n, p=[0.5, 0.3, 0.15, 0.05])
    bills = rng.poisson(1.2, n).astype(float)
    z = -2.0 - (age - 40) / 15 + 0.5 * bills + np.where(channel == "call", 1.0, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    X = pd.DataFrame({"age": age, "channel": channel, "late_bills": bills})
    missing = rng.random(n) < 0.08
    X.loc[missing, "late_bills"] = np.nan
    # missing late-bill data is risky in this population
    y[missing] = (rng.random(missing.sum()) < 0.45).astype(int)
    return X, y


def test_woe_sign_convention_positive_means_riskier() -> None:
    X, y = _data()
    binner = WoEBinner().fit(X, y)
    table = binner.binning_table("age")
    regular = table[table["fallback"] == ""]
    # event rate and WoE rank bins the same way: WoE = ln(%bad / %good)
    assert np.all(np.diff(np.argsort(regular["bad_rate"].to_numpy())) != 0)
    rate = regular["bad_rate"].to_numpy()
    woe = regular["woe"].to_numpy()
    assert np.all(np.sign(np.diff(rate)) == np.sign(np.diff(woe)))
    overall = y.mean()
    for r, w in zip(rate, woe):
        assert (w > 0) == (r > overall)


def test_missing_values_get_the_fitted_missing_woe_not_zero() -> None:
    X, y = _data()
    binner = WoEBinner().fit(X, y)
    fb = binner.binnings_["late_bills"]
    missing_woe = fb.woe[fb.missing_bin]
    assert fb.fallback[fb.missing_bin] == ""
    assert missing_woe > 0.5  # the missing group is clearly riskier
    woe = binner.transform(X)
    assert np.all(woe[X["late_bills"].isna().to_numpy(), 2] == missing_woe)
    counts = binner.binning_table("late_bills").set_index("condition")["count"]
    assert counts["missing"] == X["late_bills"].isna().sum()


def test_empty_missing_bin_gets_riskiest_fallback_or_neutral_when_asked() -> None:
    X, y = _data()
    fb = WoEBinner().fit(X, y).binnings_["age"]  # no missing ages at fit
    regular = fb.woe[: fb.n_regular]
    assert fb.fallback[fb.missing_bin] == "riskiest"
    assert fb.woe[fb.missing_bin] == max(regular)
    neutral = WoEBinner(empty_bin_woe="neutral").fit(X, y).binnings_["age"]
    assert neutral.fallback[neutral.missing_bin] == "neutral"
    assert neutral.woe[neutral.missing_bin] == 0.0


def test_unseen_category_goes_to_unknown_bin_with_documented_fallback() -> None:
    X, y = _data()
    binner = WoEBinner().fit(X, y)
    fb = binner.binnings_["channel"]
    new = X.head(3).copy()
    new["channel"] = ["telegram", None, "app"]
    woe = binner.transform(new)[:, 1]
    assert woe[0] == fb.woe[fb.unknown_bin] == max(fb.woe[: fb.n_regular])
    assert woe[1] == fb.woe[fb.missing_bin]
    assert woe[2] == fb.woe[fb.category_bin("app")]
    assert fb.fallback[fb.unknown_bin] == "riskiest"


def test_special_codes_get_one_bin_each_and_pure_bins_are_smoothed() -> None:
    X, y = _data()
    X.loc[:39, "age"] = -1.0  # "unknown date of birth", all bad
    X.loc[40:139, "age"] = -2.0
    y[:40] = 1
    binner = WoEBinner(feature_params={"age": {"special_codes": [-1, -2, -3]}}).fit(X, y)
    fb = binner.binnings_["age"]
    assert fb.special_codes == (-1.0, -2.0, -3.0)
    first = fb.n_regular
    assert fb.n_event[first] == 40
    assert fb.n_nonevent[first] == 0
    assert fb.fallback[first] == "smoothed"
    assert math.isfinite(fb.woe[first])
    assert fb.fallback[first + 2] == "riskiest"  # -3 never seen
    assert fb.n_event[first + 1] + fb.n_nonevent[first + 1] == 100
    woe = binner.transform(X.head(45))[:, 0]
    assert np.all(woe[:40] == fb.woe[first])


def test_out_of_range_values_fall_in_end_bins() -> None:
    X, y = _data()
    binner = WoEBinner().fit(X, y)
    fb = binner.binnings_["age"]
    idx = fb.bin_index(np.array([-1e9, 1e9, 10.0, 200.0]))
    assert idx.tolist() == [0, fb.n_regular - 1, 0, fb.n_regular - 1]


def test_infinite_values_raise_unless_declared_special() -> None:
    X, y = _data()
    X.loc[5, "age"] = np.inf
    with pytest.raises(DataError, match=r"age: infinite values.*rows: 5"):
        WoEBinner().fit(X, y)
    binner = WoEBinner(feature_params={"age": {"special_codes": [math.inf]}}).fit(X, y)
    fb = binner.binnings_["age"]
    assert fb.n_event[fb.n_regular] + fb.n_nonevent[fb.n_regular] == 1
    clean, _ = _data()
    fitted = WoEBinner().fit(clean, y)
    bad = clean.head(3).copy()
    bad.loc[1, "late_bills"] = -np.inf
    with pytest.raises(DataError, match="late_bills"):
        fitted.transform(bad)


def test_constant_and_all_missing_features_get_one_bin_and_zero_iv() -> None:
    X, y = _data()
    X["flat"] = 3.0
    X["empty"] = np.nan
    binner = WoEBinner().fit(X, y)
    assert binner.iv_["flat"] == 0.0
    assert binner.iv_["empty"] == 0.0
    assert binner.binnings_["flat"].splits == ()
    woe = binner.transform(X)
    assert np.ptp(woe[:, 3]) == 0
    assert np.ptp(woe[:, 4]) == 0


def test_rare_categories_are_pooled_and_mapped_at_transform() -> None:
    X, y = _data(n=6000)
    X.loc[:9, "channel"] = "fax"  # 10 rows = 0.17 %
    binner = WoEBinner(cat_cutoff=0.01).fit(X, y)
    fb = binner.binnings_["channel"]
    assert "fax" in fb.rare_categories
    assert fb.rare_bin is not None
    assert fb.RARE in fb.groups[fb.rare_bin]
    assert fb.category_bin("fax") == fb.rare_bin
    assert binner.transform(X.head(1))[0, 1] == fb.woe[fb.rare_bin]
    # the token itself is no category: an applicant spelled so is unseen
    assert fb.category_bin(fb.RARE) == fb.unknown_bin


def _rare_token_data(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    cat = rng.choice(["app", "web", "shop", "x1", "x2"], n, p=[0.45, 0.3, 0.21, 0.02, 0.02])
    y = (rng.random(n) < np.where(cat == "app", 0.02, 0.3)).astype(int)
    return pd.DataFrame({"cat": pd.Series(cat, dtype=object)}), y


@pytest.mark.parametrize("share", [0.3, 0.01], ids=["common", "itself rare"])
def test_a_real_category_spelled_as_the_rare_token_is_refused_when_pooling(share) -> None:
    X, y = _rare_token_data()
    rows = np.flatnonzero(np.random.default_rng(1).random(len(X)) < share)
    X.loc[rows, "cat"] = "__rare__"
    with pytest.raises(DataError, match="'__rare__' is the name the binning gives") as info:
        WoEBinner(cat_cutoff=0.05).fit(X, y)
    assert (info.value.table, info.value.column) == ("X", "cat")
    assert info.value.rows == rows.tolist()


def test_a_real_category_spelled_as_the_rare_token_is_a_category_without_pooling() -> None:
    X, y = _rare_token_data()
    X.loc[X["cat"] == "shop", "cat"] = "__rare__"
    fb = WoEBinner().fit(X, y).binnings_["cat"]  # no cat_cutoff: no token, no clash
    assert fb.rare_bin is None
    assert fb.rare_categories == ()
    assert fb.category_bin("__rare__") != fb.unknown_bin
    assert fb.n_event[fb.unknown_bin] + fb.n_nonevent[fb.unknown_bin] == 0
    label = fb.bin_labels()[fb.category_bin("__rare__")]
    assert "__rare__" in label
    assert "<rare>" not in label
    # ...and with cat_cutoff it may stand as a special code (its own bin, never pooled)
    binner = WoEBinner(cat_cutoff=0.05, feature_params={"cat": {"special_codes": ["__rare__"]}})
    fb = binner.fit(X, y).binnings_["cat"]
    assert fb.rare_categories == ("x1", "x2")
    assert fb.bin_index(np.array(["__rare__"], dtype=object))[0] == fb.n_regular


@pytest.mark.parametrize(
    "frame",
    [
        lambda v: pd.DataFrame({"c": pd.Series(v, dtype=object)}),
        lambda v: pl.DataFrame({"c": v}),
        lambda v: pa.table({"c": v}),
        lambda v: pd.DataFrame({"c": pd.Series(v, dtype="string")}),
    ],
    ids=["pandas object", "polars", "pyarrow", "pandas string"],
)
def test_category_text_with_a_trailing_nul_is_kept_exact(frame) -> None:
    # NumPy's fixed-width str drops trailing NULs: "a\x00" must stay apart from "a"
    rng = np.random.default_rng(0)
    texts = ["a\x00", "b", "a"]
    values = [texts[i] for i in rng.integers(0, 3, 3000)]
    rate = {"a\x00": 0.5, "b": 0.05, "a": 0.2}
    y = (rng.random(3000) < np.array([rate[v] for v in values])).astype(int)
    binner = WoEBinner().fit(frame(values), y)
    fb = binner.binnings_["c"]
    assert {c for g in fb.groups for c in g} == set(texts)
    assert fb.n_event[fb.unknown_bin] + fb.n_nonevent[fb.unknown_bin] == 0
    bins = binner.transform_bins(frame(texts)).ravel()
    assert fb.unknown_bin not in bins.tolist()
    assert len(set(bins.tolist())) == 3


def test_numeric_codes_can_be_binned_as_categories() -> None:
    X, y = _data()
    X["region"] = (np.arange(len(X)) % 4).astype(float)
    binner = WoEBinner(categorical_features=["region"]).fit(X, y)
    fb = binner.binnings_["region"]
    assert fb.kind == "categorical"
    assert {c for g in fb.groups for c in g} == {"0", "1", "2", "3"}
    assert np.isfinite(binner.transform(X)).all()


def test_monotonic_trend_is_respected() -> None:
    X, y = _data()
    for trend, sign in (("ascending", 1), ("descending", -1)):
        binner = WoEBinner(feature_params={"age": {"monotonic_trend": trend}}).fit(X, y)
        fb = binner.binnings_["age"]
        rates = np.asarray(fb.n_event[: fb.n_regular]) / (
            np.asarray(fb.n_event[: fb.n_regular]) + np.asarray(fb.n_nonevent[: fb.n_regular])
        )
        assert np.all(sign * np.diff(rates) >= 0)


def test_frames_of_every_kind_give_the_same_woe() -> None:
    X, y = _data(n=1500)
    expected = WoEBinner().fit(X, y).transform(X)
    for frame in (pl.from_pandas(X), pa.Table.from_pandas(X)):
        got = WoEBinner().fit(frame, y).transform(frame)
        assert np.array_equal(got, expected)
    numeric = X[["age", "late_bills"]]
    arr = WoEBinner().fit(numeric.to_numpy(), y).transform(numeric.to_numpy())
    assert np.array_equal(arr, WoEBinner().fit(numeric, y).transform(numeric))


def test_set_output_pandas_and_polars_keep_feature_names() -> None:
    X, y = _data(n=1500)
    out = WoEBinner().set_output(transform="pandas").fit(X, y).transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(X.columns)
    out_pl = WoEBinner().set_output(transform="polars").fit(X, y).transform(X)
    assert isinstance(out_pl, pl.DataFrame)
    assert out_pl.columns == list(X.columns)


def test_reordered_columns_are_matched_by_name_and_missing_ones_named() -> None:
    X, y = _data(n=1500)
    binner = WoEBinner().fit(X, y)
    shuffled = X[["late_bills", "age", "channel"]].assign(extra=1)
    assert np.array_equal(binner.transform(shuffled), binner.transform(X))
    with pytest.raises(ModelError, match="missing: channel"):
        binner.transform(X.drop(columns="channel"))
    numeric = X[["age", "late_bills"]]
    fitted = WoEBinner().fit(numeric.to_numpy(), y)
    with pytest.raises(ModelError, match="X has 3 features, but WoEBinner is expecting 2"):
        fitted.transform(np.ones((2, 3)))


def test_target_errors_are_typed_and_name_y() -> None:
    X, y = _data(n=500)
    with pytest.raises(ModelError, match="y: target has only one class"):
        WoEBinner().fit(X, np.zeros(len(X)))
    with pytest.raises(DataError, match=r"y: target must be 0/1.*rows: 0"):
        WoEBinner().fit(X, np.r_[2, y[1:]])
    with pytest.raises(DataError, match="y: target has 10 rows but X has 500"):
        WoEBinner().fit(X, y[:10])
    with pytest.raises(DataError, match="missing values"):
        WoEBinner().fit(X, np.r_[np.nan, y[1:]])


def test_bad_options_raise_spec_error() -> None:
    X, y = _data(n=500)
    with pytest.raises(SpecError, match="nope"):
        WoEBinner(feature_params={"nope": {}}).fit(X, y)
    with pytest.raises(SpecError, match="age: unknown binning options"):
        WoEBinner(feature_params={"age": {"trend": "up"}}).fit(X, y)
    with pytest.raises(SpecError, match="age: monotonic_trend"):
        WoEBinner(feature_params={"age": {"monotonic_trend": "up"}}).fit(X, y)
    with pytest.raises(SpecError, match="categorical_features not in X"):
        WoEBinner(categorical_features=["zzz"]).fit(X, y)


def test_binning_table_lists_every_feature() -> None:
    X, y = _data(n=1500)
    binner = WoEBinner().fit(X, y)
    table = binner.binning_table()
    assert set(table["feature"]) == set(X.columns)
    for name, fb in binner.binnings_.items():
        assert table.loc[table["feature"] == name, "iv"].sum() == pytest.approx(fb.iv)
    with pytest.raises(SpecError, match="zzz"):
        binner.binning_table("zzz")


@pytest.mark.slow
def test_parallel_fit_equals_serial() -> None:
    X, y = _data(n=3000)
    serial = WoEBinner().fit(X, y)
    parallel = WoEBinner(n_jobs=2).fit(X, y)
    assert serial.binnings_ == parallel.binnings_


def test_float_special_code_of_a_numeric_column_binned_as_categorical_is_honoured() -> None:
    rng = np.random.default_rng(0)
    region = rng.choice([1.0, 2.0, 3.0, -1.0], 3000)  # -1 = "region withheld"
    y = (rng.random(3000) < np.where(region == -1, 0.5, 0.1)).astype(int)
    X = pd.DataFrame({"region": region})
    withheld = int((region == -1).sum())
    fitted = []
    for code in (-1, -1.0, np.int64(-1), "-1"):
        params = {"region": {"special_codes": [code]}}
        binner = WoEBinner(categorical_features=["region"], feature_params=params).fit(X, y)
        fb = binner.binnings_["region"]
        assert fb.special_codes == ("-1",)
        assert fb.n_event[fb.n_regular] + fb.n_nonevent[fb.n_regular] == withheld
        assert all("-1" not in group for group in fb.groups)
        woe = binner.transform(pd.DataFrame({"region": [-1.0, -1, 2.0]}))[:, 0]
        assert woe[0] == woe[1] == fb.woe[fb.n_regular]
        fitted.append(fb)
    assert all(fb == fitted[0] for fb in fitted)


def test_category_text_does_not_depend_on_the_container_dtype() -> None:
    rng = np.random.default_rng(1)
    codes = rng.choice([1.0, 2.0, 3.0], 3000)
    y = (rng.random(3000) < np.where(codes == 3.0, 0.4, 0.1)).astype(int)
    containers = {
        "float": pd.DataFrame({"c": codes}),
        "categorical": pd.DataFrame({"c": pd.Categorical(codes)}),
        "object": pd.DataFrame({"c": pd.Series(codes, dtype=object)}),
        "int": pd.DataFrame({"c": codes.astype(np.int64)}),
        "polars": pl.DataFrame({"c": codes}),
    }
    expected = None
    for fit_kind, fit_frame in containers.items():
        binner = WoEBinner(categorical_features=["c"]).fit(fit_frame, y)
        fb = binner.binnings_["c"]
        assert {c for g in fb.groups for c in g} == {"1", "2", "3"}, fit_kind
        for kind, frame in containers.items():
            woe = binner.transform(frame)[:, 0]
            assert fb.unknown_bin not in binner.transform_bins(frame)[:, 0], (fit_kind, kind)
            expected = woe if expected is None else expected
            assert np.array_equal(woe, expected), (fit_kind, kind)


def test_nan_objects_are_missing_at_fit_as_at_transform() -> None:
    from thinfile_credit.binning import BinningOptions, fit_feature_binning

    rng = np.random.default_rng(2)
    values = rng.choice(np.array(["a", "b", float("nan"), None], dtype=object), 2000)
    y = (rng.random(2000) < 0.2).astype(np.int8)
    fb = fit_feature_binning("c", values, y, BinningOptions(dtype="categorical"))
    assert {c for g in fb.groups for c in g} == {"a", "b"}
    n_missing = sum(v is None or v != v for v in values)
    assert fb.n_event[fb.missing_bin] + fb.n_nonevent[fb.missing_bin] == n_missing
    assert np.array_equal(
        np.bincount(fb.bin_index(values), minlength=fb.n_bins)[: fb.n_bins],
        np.add(fb.n_event, fb.n_nonevent),
    )


def test_text_in_a_numeric_feature_is_an_error_naming_table_column_and_rows() -> None:
    X, y = _data(n=500)
    binner = WoEBinner().fit(X, y)
    bad = X.head(5).astype({"age": object})
    bad.loc[1, "age"] = "12"  # numeric-looking text is not parsed
    bad.loc[3, "age"] = "nan"  # nor is "nan" text taken for a missing value
    with pytest.raises(DataError, match=r"X\.age: numeric feature received .*'12'.*\(rows: 1, 3\)"):
        binner.transform(bad)
    with pytest.raises(DataError, match=r"X\.age: .*\(rows: 1, 3\)"):
        binner.transform_bins(bad)
    as_text = X.assign(age=X["age"].astype(str))
    with pytest.raises(DataError, match=r"X\.age: numeric feature received .*rows: 0, 1, 2"):
        WoEBinner(feature_params={"age": {"dtype": "numeric"}}).fit(as_text, y)
    fitted = WoEBinner().fit(X[["age"]].to_numpy(), y)
    with pytest.raises(DataError, match=r"X\.x0: .*\(rows: 1\)"):
        fitted.transform(np.array([[30.0], ["12"]], dtype=object))


@pytest.mark.parametrize(
    "rows",
    [
        [["a", 1.0], ["b", 2.0], ["a", 3.0], ["b", 4.0]],
        # text that spells numbers is still text: never parsed as a number
        [["12", 1.0], ["7", None], ["12", 3.0], ["7", 4.0]],
    ],
)
def test_text_in_an_array_column_is_binned_as_category(rows) -> None:
    X = np.array(rows * 50, dtype=object)
    y = np.array([0, 1, 0, 0] * 50)
    binner = WoEBinner().fit(X, y)
    assert binner.binnings_["x0"].kind == "categorical"
    assert binner.binnings_["x1"].kind == "numeric"


def test_options_optbinning_would_reject_raise_spec_error_before_fitting() -> None:
    X, y = _data(n=500)
    cases = [
        ({"min_n_bins": 5, "max_n_bins": 2}, "min_n_bins \\(5\\) must not exceed max_n_bins"),
        ({"min_bin_size": 0.7}, "min_bin_size must lie in \\(0, 0.5\\]"),
        ({"min_bin_size": 0.3, "max_bin_size": 0.2}, "min_bin_size \\(0.3\\) must not exceed"),
        ({"min_prebin_size": 0.6}, "min_prebin_size must lie in \\(0, 0.5\\]"),
    ]
    for kwargs, message in cases:
        with pytest.raises(SpecError, match="^" + message):
            WoEBinner(**kwargs).fit(X, y)
        with pytest.raises(SpecError, match="^age: " + message):
            WoEBinner(feature_params={"age": kwargs}).fit(X, y)


def test_nullable_targets_with_missing_values_raise_data_error_naming_the_rows() -> None:
    X, _ = _data(n=6)
    for target in (
        pd.Series([0, 1, None, 1, 0, 1], dtype="boolean"),
        pd.Series([0, 1, pd.NA, 1, 0, 1], dtype="Int64"),
        pl.Series([0, 1, None, 1, 0, 1], dtype=pl.Int8),
        np.array([0, 1, pd.NA, 1, 0, 1], dtype=object),
    ):
        with pytest.raises(DataError, match=r"y: target must be 0/1.*missing values \(rows: 2\)"):
            WoEBinner().fit(X, target)
    with pytest.raises(DataError, match=r"y: target must be 0/1.*\(rows: 1\)"):
        WoEBinner().fit(X, np.array([0, "bad", 1, 1, 0, 1], dtype=object))


def test_a_frame_is_matched_by_position_when_fitted_on_an_array() -> None:
    X, y = _data(n=800)
    numeric = X[["age", "late_bills"]]
    binner = WoEBinner().fit(numeric.to_numpy(), y)
    renamed = numeric.set_axis(["a", "b"], axis=1)
    with pytest.warns(UserWarning, match="X has feature names, but WoEBinner was fitted without"):
        got = binner.transform(renamed)
    assert np.array_equal(got, binner.transform(numeric.to_numpy()))
