"""Bad input and awkward input: frames named by any type, lone missing values, class
weights, large integer categories, untyped errors and text labels."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.utils._param_validation import InvalidParameterError

from thinfile_credit.errors import DataError, ModelError, SpecError, ThinfileError
from thinfile_credit.gbm import DesignEncoder, GBMScorer
from thinfile_credit.gbm.design import CellTypeError
from thinfile_credit.gbm.scorer import GBMParameterError

FAST = dict(n_estimators=20, learning_rate=0.2, cv=2, random_state=0, min_child_samples=10)


def _gbm(engine: str = "sklearn", **kw) -> GBMScorer:
    return GBMScorer(engine, **{**FAST, "early_stopping": False, **kw})


@pytest.fixture(scope="module")
def numbers():
    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.uniform(0, 10, n)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * X.a - 0.3 * X.b)))).astype(int)
    return X, y


# --- frames with names that are not text --------------------------------------------------
@pytest.fixture(scope="module")
def int_named(numbers):
    X, y = numbers
    Xi = X.set_axis([0, 1], axis=1)
    return Xi, y, _gbm().fit(Xi, y), _gbm().fit(X.set_axis(["0", "1"], axis=1), y)


def test_integer_named_frame_is_matched_by_name(int_named):
    Xi, _, model, _ = int_named
    assert model.feature_names_in_.tolist() == ["0", "1"]
    rows = Xi.head(5)
    expected = model.score(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(model.score(rows[[1, 0]]), expected)
    c = model.contributions(rows[[1, 0]])
    assert c.feature_names == ("0", "1")
    np.testing.assert_allclose(c.total(), expected, atol=1e-6)
    # An array is still positional (with scikit-learn's warning about the names).
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(model.score(rows.to_numpy()), expected)


def test_integer_named_frame_missing_a_column_names_it(int_named):
    Xi, _, model, _ = int_named
    with pytest.raises(ModelError, match=r"(?s)^X\.1, 2: .*unseen.*- 2\n.*missing.*- 1\n") as e:
        model.score(Xi.head(3).set_axis([0, 2], axis=1))
    assert (e.value.table, e.value.column) == ("X", "1, 2")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations([0, 1]), rows=st.lists(st.integers(0, 599), min_size=1, max_size=8))
def test_integer_and_text_names_give_identical_scores_in_any_order(int_named, order, rows):
    Xi, _, by_int, by_text = int_named
    part = Xi.iloc[rows]
    expected = by_int.score(part)
    np.testing.assert_array_equal(by_int.score(part[order]), expected)
    as_text = part[order].set_axis([str(c) for c in order], axis=1)
    np.testing.assert_array_equal(by_text.score(as_text), expected)
    np.testing.assert_array_equal(by_int.score(as_text), expected)


def test_mixed_name_types_fit_and_score_by_name(numbers):
    X, y = numbers
    Xm = X.set_axis([0, "b"], axis=1)
    model = _gbm().fit(Xm, y)
    assert model.feature_names_in_.tolist() == ["0", "b"]
    np.testing.assert_array_equal(model.score(Xm[["b", 0]].head(4)), model.score(Xm.head(4)))


def test_names_that_read_the_same_as_text_are_refused(numbers, int_named):
    X, y = numbers
    twice = X.set_axis([1, "1"], axis=1)
    with pytest.raises(DataError, match=r"^X\.1: column name appears more than once") as e:
        _gbm().fit(twice, y)
    assert e.value.column == "1"
    _, _, model, _ = int_named
    with pytest.raises(DataError, match="more than once"):
        model.score(X.head(2).set_axis([0, "0"], axis=1))


def test_categorical_dtype_column_with_an_integer_name_is_categorical(numbers):
    X, y = numbers
    rng = np.random.default_rng(1)
    Xc = X.set_axis([0, 1], axis=1).assign(**{})
    Xc[2] = pd.Categorical(rng.choice([11, 22, 33], len(Xc)))
    model = _gbm(calibration=None, n_estimators=5).fit(Xc, y)
    assert model.encoder_.categories.keys() == {"2"}
    assert set(model.encoder_.categories["2"]) == {"11", "22", "33"}
    # Declared by its integer name, and constrained by its integer name, likewise.
    declared = _gbm(calibration=None, n_estimators=5, categorical_features=[2], monotone={0: 1})
    declared.fit(Xc.astype({2: "int64"}), y)
    assert declared.encoder_.categories.keys() == {"2"}
    assert declared.monotone_constraints_ == {"0": 1, "1": 0, "2": 0}


def test_monotone_keys_that_read_the_same_are_refused(numbers):
    X, y = numbers
    with pytest.raises(ModelError, match=r"^0: monotone names a column twice"):
        _gbm(monotone={0: 1, "0": -1}).fit(X.set_axis([0, 1], axis=1), y)


def test_nullable_float_with_na_is_a_missing_value(int_named):
    Xi, _, model, _ = int_named
    rows = Xi.head(3).astype("Float64")
    rows.iloc[0, 0] = pd.NA
    nan_rows = Xi.head(3).copy()
    nan_rows.iloc[0, 0] = np.nan
    np.testing.assert_array_equal(model.score(rows), model.score(nan_rows))
    # The same <NA> in an object array (positional) is missing too, not a TypeError.
    cells = nan_rows.to_numpy().astype(object)
    cells[0, 0] = pd.NA
    with pytest.warns(UserWarning, match="valid feature names"):
        np.testing.assert_array_equal(model.score(cells), model.score(nan_rows))


def test_a_cell_that_is_no_value_is_a_typed_type_error(numbers):
    X, y = numbers
    cells = X.to_numpy().astype(object)
    cells[[3, 7], 1] = [{"foo": "bar"}, [1]]
    with pytest.raises(CellTypeError, match=r"^X\.x1: argument must be a string or a number") as e:
        _gbm().fit(cells, y)
    assert isinstance(e.value, TypeError)
    assert isinstance(e.value, DataError)
    assert e.value.rows == [3, 7]


@pytest.fixture(scope="module")
def with_category():
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame({"a": rng.normal(size=n), "c": rng.choice(["x", "y"], n)})
    y = (rng.random(n) < 1 / (1 + np.exp(-X.a.to_numpy()))).astype(int)
    return X, y, _gbm(categorical_features=["c"]).fit(X, y)


def _cells(values, n: int, at: list[int]) -> pd.Series:
    out = pd.Series(["x"] * n, dtype=object)
    out.iloc[at] = pd.Series(values, dtype=object).to_numpy()
    return out


@pytest.mark.parametrize(
    "cells",
    [
        [[1], [2]],  # lists: Polars cannot cast them to text at all
        [{"k": 1}, {"k": 2}],  # dicts would be written "{1}", a category of nothing
        [b"\xff", b"\xfe"],  # bytes that are not UTF-8
        [pd.Timedelta(1), pd.Timedelta(2)],
    ],
    ids=["lists", "dicts", "bytes", "durations"],
)
def test_categorical_cells_that_are_no_category_are_typed_errors(with_category, cells):
    X, y, model = with_category
    n = len(X)
    # Every cell of the column (a frame column has one type) or two among missing values.
    for column, rows in (
        (pd.Series([*cells] * (n // 2), dtype=object), list(range(20))),
        (_cells(cells, n, [5, 9]).where(lambda s: s.index.isin([5, 9])), [5, 9]),
    ):
        for call in (
            lambda: model.score(X.assign(c=column)),
            lambda: model.contributions(X.assign(c=column)),
            lambda: _gbm(categorical_features=["c"]).fit(X.assign(c=column), y),
        ):
            with pytest.raises(
                CellTypeError, match=r"^X\.c: categories must be text or numbers"
            ) as e:
                call()
            assert (e.value.column, e.value.rows) == ("c", rows)


# --- one applicant with a JSON null -------------------------------------------------------
@pytest.fixture(scope="module")
def applicants():
    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame(
        {
            "late": rng.exponential(10, n),
            "age": rng.uniform(0, 1000, n),
            "city": rng.choice(["a", "b", "c"], n),
            "grade": rng.choice([1, 2, 3], n),
        }
    )
    X.loc[:50, "late"] = np.nan
    z = 0.08 * X.late.fillna(20) - 0.002 * X.age - 1 + 0.3 * X.grade
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    model = _gbm(categorical_features=["city", "grade"]).fit(X, y)
    return X, model


def test_one_applicant_with_none_scores_like_the_batch(applicants):
    _, model = applicants
    one = {"late": None, "age": 120.0, "city": "a", "grade": 2}
    other = {"late": 3.0, "age": 5.0, "city": "b", "grade": 1}
    batch = model.score(pd.DataFrame([one, other]))[0]
    assert model.score(pd.DataFrame([one]))[0] == batch
    assert model.score(pd.DataFrame([{**one, "late": np.nan}]))[0] == batch


def test_one_array_row_with_a_missing_text_category_is_missing(applicants):
    X, _ = applicants
    y = (X["late"].fillna(20) > 10).astype(int).to_numpy()
    model = _gbm(categorical_features=["x2"]).fit(X[["late", "age", "city"]].to_numpy(), y)
    row = np.array([[3.0, 120.0, None]], dtype=object)
    batch = np.array([[3.0, 120.0, None], [1.0, 2.0, "a"]], dtype=object)
    assert model.score(row)[0] == model.score(batch)[0]


_MISSING = st.sampled_from([None, np.nan])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    late=st.one_of(_MISSING, st.floats(0, 60)),
    age=st.one_of(_MISSING, st.floats(0, 1000)),
    city=st.one_of(_MISSING, st.sampled_from(["a", "b", "c", "new"])),
    grade=st.one_of(_MISSING, st.sampled_from([1, 2, 3, 9])),
    kind=st.sampled_from(["pandas", "polars"]),
)
def test_one_row_scores_as_its_row_in_a_batch(applicants, late, age, city, grade, kind):
    X, model = applicants
    row = {"late": late, "age": age, "city": city, "grade": grade}
    others = X.head(3).to_dict("records")

    def frame(records):
        if kind == "pandas":
            return pd.DataFrame(records)
        return pl.DataFrame(records, strict=False, nan_to_null=False)

    alone = model.score(frame([row]))
    in_batch = model.score(frame([*others, row]))
    assert alone[0] == in_batch[-1]
    c = model.contributions(frame([row]))
    np.testing.assert_allclose(c.values[0], model.contributions(frame([*others, row])).values[-1])


# --- class weights ------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["sklearn", "lightgbm", "xgboost"])
@pytest.mark.parametrize(
    ("class_weight", "message"),
    [
        ({0: -1.0, 1: 1.0}, r"class 0 must be a finite number > 0, got -1\.0"),
        ({0: 0.0, 1: 1.0}, r"class 0 must be a finite number > 0, got 0\.0"),
        ({0: np.inf, 1: 1.0}, r"class 0 must be a finite number > 0, got inf"),
        ({0: np.nan, 1: 1.0}, r"class 0 must be a finite number > 0, got nan"),
        ({1: True}, r"class 1 must be a finite number > 0, got True"),
        ({1: "2"}, r"class 1 must be a finite number > 0, got '2'"),
        ({2: 1.0}, r"entry for 2, which is not a class of y \(classes: 0, 1\)"),
        ({True: 2.0}, r"entry for True, which is not a class of y"),
    ],
)
def test_bad_class_weights_name_class_weight(numbers, engine, class_weight, message):
    X, y = numbers
    with pytest.raises(ModelError, match=rf"^class_weight: .*{message}") as e:
        _gbm(engine, class_weight=class_weight).fit(X, y)
    assert e.value.column == "class_weight"


def test_good_class_weights_fit(numbers):
    X, y = numbers
    for cw in ({0: 1, 1: 3}, {np.int64(1): np.float32(2.5)}, {1: 2.0}, "balanced"):
        assert np.isfinite(_gbm(class_weight=cw).fit(X, y).score(X.head(3))).all()


@pytest.mark.parametrize("engine", ["sklearn", "lightgbm", "xgboost"])
@pytest.mark.parametrize("class_weight", ["balanced", {1: 5.0}, {0: 0.5}, {0: 1.0, 1: 2.0}])
def test_class_weights_without_calibration_are_refused(numbers, engine, class_weight):
    # Nothing would bring the reweighted booster's PD back to the observed bad rate.
    X, y = numbers
    with pytest.raises(GBMParameterError, match=r"^class_weight: .*calibration") as e:
        _gbm(engine, class_weight=class_weight, calibration=None).fit(X, y)
    assert e.value.column == "class_weight"
    assert isinstance(e.value, SpecError)
    assert isinstance(e.value, InvalidParameterError)


@pytest.mark.parametrize("class_weight", [None, {0: 2.0, 1: 2.0}, {1: 1.0}, {np.int64(0): 1}])
def test_class_weights_that_keep_the_balance_fit_without_calibration(numbers, class_weight):
    X, y = numbers
    model = _gbm(class_weight=class_weight, calibration=None).fit(X, y)
    np.testing.assert_allclose(model.decision_function(X), model.raw_margin(X))


@pytest.mark.parametrize("engine", ["sklearn", "lightgbm", "xgboost"])
def test_class_weighted_pd_stays_near_the_bad_rate(engine):
    # 7.5 % bads weighted "balanced": the booster alone would say about 50 % on average.
    rng = np.random.default_rng(0)
    n = 3000
    X = pd.DataFrame({"x": rng.normal(size=n), "m": rng.normal(size=n)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(-3 + X.x + 0.5 * X.m)))).astype(int)
    model = _gbm(engine, class_weight="balanced", calibration="sigmoid").fit(X, y)
    assert model.predict_proba(X)[:, 1].mean() == pytest.approx(y.mean(), abs=0.01)


def test_class_weights_with_too_few_rows_to_calibrate_are_refused(numbers):
    X, y = numbers
    y = np.zeros(len(y), dtype=int)
    y[:1] = 1  # one bad: no calibration folds
    with pytest.warns(UserWarning, match="too few to cross-fit"):
        _gbm().fit(X, y)  # unweighted: the booster's own PD, with a warning
    with pytest.raises(ModelError, match=r"^class_weight: .*too few to cross-fit") as e:
        _gbm(class_weight={1: 10.0}).fit(X, y)
    assert e.value.column == "class_weight"


def test_training_weights_that_overflow_are_refused(numbers):
    X, y = numbers
    w = np.full(len(y), 1e300)
    with pytest.raises(ModelError, match=r"^class_weight: .*not finite \(overflow\)"):
        _gbm(class_weight={1: 1e300}).fit(X, y, sample_weight=w)


# --- integer categories beyond 2**53 -------------------------------------------------------
@pytest.fixture(scope="module")
def merchants():
    rng = np.random.default_rng(0)
    n = 2000
    safe, risky = 2**60, 2**60 + 1
    merchant = rng.choice(np.array([safe, risky], dtype=np.int64), n)
    y = (rng.random(n) < np.where(merchant == risky, 0.6, 0.05)).astype(int)
    X = pd.DataFrame({"merchant": merchant, "x": rng.normal(size=n)})
    model = GBMScorer(
        "lightgbm",
        **{**FAST, "n_estimators": 40},
        early_stopping=False,
        categorical_features=["merchant"],
    ).fit(X, y)
    return X, y, model, (safe, risky)


def test_large_integer_categories_stay_distinct(merchants):
    _, _, model, (safe, risky) = merchants
    assert set(model.encoder_.categories["merchant"]) == {str(safe), str(risky)}
    one = pd.DataFrame({"merchant": np.array([safe, risky], dtype=np.int64), "x": [0.0, 0.0]})
    points = model.score(one)
    assert points[0] - points[1] > 40  # the risky merchant scores far lower
    # Unsigned and object columns holding the same ids find the same categories.
    np.testing.assert_array_equal(model.score(one.astype({"merchant": "uint64"})), points)
    np.testing.assert_array_equal(model.score(one.astype({"merchant": object})), points)


def test_category_text_is_the_binning_rule():
    X = pd.DataFrame({"f": [3.0, 2.5, 3.0, np.nan], "b": [True, False, True, None]})
    enc = DesignEncoder.fit(X, np.array([0, 1, 0, 1]), np.ones(4), categorical=["f", "b"])
    assert set(enc.categories["f"]) == {"3", "2.5"}
    assert set(enc.categories["b"]) == {"1", "0"}
    # 3 and 3.0 are the same category.
    codes = enc.transform(pd.DataFrame({"f": [3, 2], "b": [1, 0]}))
    assert codes[0, 0] == enc.transform(X)[0, 0]
    assert np.isnan(codes[1, 0])


def _legacy_model(model: GBMScorer) -> GBMScorer:
    """``model`` as pickled before the binning rule: repr(float) categories, no rule."""
    old = pickle.loads(pickle.dumps(model))
    enc = old.encoder_
    state = dict(vars(enc))
    del state["numeric_text"]
    state["categories"] = {
        k: tuple(repr(float(c)) if enc.kinds.get(k) == "numeric" else c for c in v)
        for k, v in enc.categories.items()
    }
    blank = object.__new__(DesignEncoder)
    object.__setattr__(blank, "__dict__", state)  # what an old pickle holds
    old.encoder_ = blank
    return pickle.loads(pickle.dumps(old))


def test_models_pickled_before_the_rule_score_as_before(applicants):
    X, model = applicants
    old = _legacy_model(model)
    assert old.encoder_.numeric_text == "repr_float"
    assert old.encoder_.categories["grade"][0].endswith(".0")
    np.testing.assert_array_equal(old.score(X), model.score(X))
    np.testing.assert_array_equal(old.score(X.astype({"grade": float})), model.score(X))


def test_pickled_models_keep_the_rule(merchants):
    X, _, model, _ = merchants
    again = pickle.loads(pickle.dumps(model))
    assert again.encoder_.numeric_text == "category_text"
    np.testing.assert_array_equal(again.score(X.head(50)), model.score(X.head(50)))


def test_unknown_stored_rule_is_refused(applicants):
    _, model = applicants
    data = {**model.encoder_.to_dict(), "numeric_text": "str"}
    with pytest.raises(DataError, match=r"numeric_text: unknown numeric_text rule 'str'"):
        DesignEncoder.from_dict(data)


# --- errors that used to escape untyped ---------------------------------------------------
def test_text_sample_weights_are_data_errors(numbers):
    X, y = numbers
    for w in (["a"] * len(y), ["1"] * len(y), np.array(["1.0"] * len(y))):
        with pytest.raises(DataError, match=r"^sample_weight: sample weights must be numbers"):
            _gbm().fit(X, y, sample_weight=w)
    with pytest.raises(DataError, match=r"found '2' \(rows: 599\)$") as e:
        _gbm().fit(X, y, sample_weight=[1.0] * (len(y) - 1) + ["2"])
    assert (e.value.table, e.value.rows) == ("sample_weight", [599])
    with pytest.raises(DataError, match=r"^sample_weight: .*finite.*\(rows: 4\)$") as e:
        _gbm().fit(X, y, sample_weight=[1.0] * 4 + [None] + [1.0] * (len(y) - 5))
    assert e.value.rows == [4]


def test_text_target_with_nan_is_a_data_error(numbers):
    X, y = numbers
    labels = np.concatenate([y[:-1].astype(str), ["nan"]])
    with pytest.raises(DataError, match=r"^y: target holds text labels \('0', '1', 'nan'\)"):
        _gbm().fit(X, labels)


def test_eval_set_lengths_must_agree(numbers):
    X, y = numbers
    model = GBMScorer("sklearn", **FAST, n_iter_no_change=5)
    with pytest.raises(DataError, match=r"^eval_set\.y: X has 50 rows but y has 40"):
        model.fit(X, y, eval_set=(X.head(50), y[:40]))
    with pytest.raises(DataError, match=r"^eval_set\.w: sample_weight has 3 values for 50"):
        model.fit(X, y, eval_set=(X.head(50), y[:50], [1.0, 1.0, 1.0]))
    with pytest.raises(ModelError, match=r"(?s)^eval_set\.X\.b: .*missing"):
        model.fit(X, y, eval_set=(X.head(50).drop(columns="b"), y[:50]))


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"learning_rate": -1}, "learning_rate"),
        ({"monotone": np.array([1, -1])}, "monotone"),
        ({"n_estimators": 0}, "n_estimators"),
        ({"class_weight": [1.0, 2.0]}, "class_weight"),
        ({"calibration": "beta"}, "calibration"),
    ],
)
def test_invalid_parameters_are_spec_errors_naming_them(numbers, params, name):
    X, y = numbers
    with pytest.raises(GBMParameterError, match=rf"^{name}: The '{name}' parameter") as e:
        _gbm(**params).fit(X, y)
    assert e.value.column == name
    assert isinstance(e.value, SpecError)
    assert isinstance(e.value, InvalidParameterError)


def test_polars_lazy_frames_are_collected(numbers):
    X, y = numbers
    lazy = pl.from_pandas(X).lazy()
    model = _gbm().fit(lazy, y)
    assert model.feature_names_in_.tolist() == ["a", "b"]
    np.testing.assert_array_equal(model.score(lazy.head(4)), model.score(X.head(4)))
    np.testing.assert_array_equal(
        model.contributions(lazy.head(4)).values, model.contributions(X.head(4)).values
    )


# --- text labels ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda bad: np.where(bad, "bad", "good"),
        lambda bad: np.where(bad, "bad", "good").astype(object),
        lambda bad: pd.Series(np.where(bad, "bad", "good"), dtype="category"),
        lambda bad: pd.Series(np.where(bad, "bad", "good"), dtype="string"),
        lambda bad: pl.Series(np.where(bad, "bad", "good")),
        lambda bad: np.where(bad, "1", "0"),
    ],
    ids=["str", "object", "category", "pandas-string", "polars", "digits-as-text"],
)
def test_text_labels_are_refused(numbers, make):
    X, y = numbers
    with pytest.raises(DataError, match=r"^y: target holds text labels.*0/1 \(1 = bad\)") as e:
        _gbm().fit(X, make(y == 1))
    assert isinstance(e.value, ThinfileError)
    assert e.value.table == "y"


def test_a_text_label_among_numbers_names_its_row(numbers):
    X, y = numbers
    labels = y.astype(object)
    labels[5] = "bad"
    with pytest.raises(DataError, match=r"^y: target holds text labels \('bad'\).*\(rows: 5\)$"):
        _gbm().fit(X, labels)


def test_boolean_and_numeric_labels_orient_bad_as_documented(numbers):
    X, y = numbers
    by_int = _gbm().fit(X, y)
    by_bool = _gbm().fit(X, y == 1)
    assert by_bool.classes_.tolist() == [False, True]
    np.testing.assert_array_equal(by_bool.score(X.head(20)), by_int.score(X.head(20)))
    german = _gbm().fit(X, y + 1)  # 1 = good, 2 = bad
    assert german.classes_.tolist() == [1, 2]
    np.testing.assert_array_equal(german.score(X.head(20)), by_int.score(X.head(20)))
