"""The compiled online evaluator equals the expression-tree walker it replaces."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

import numpy as np
import pytest
from _feat_gen import make_tables
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.features import FeatureBuilder, _compiled, pit
from thinfile_credit.features import _vm_kernels as C
from thinfile_credit.features._compiled import compile_plan
from thinfile_credit.features._expr import (
    AGG_KINDS,
    Expr,
    NumpyEvaluator,
    agg,
    col,
    lit,
    log,
    over,
    when,
)
from thinfile_credit.features._plan import make_plan
from thinfile_credit.features._vm import encode_objects
from thinfile_credit.features.online import _scalar_micros, events_to_arrays
from thinfile_credit.features.spec import FeatureDef


@contextmanager
def _walker_calls() -> Iterator[list[str]]:
    """Record every fallback of the compiled plan to the tree walker."""
    calls: list[str] = []
    source, post = _compiled._walk_source, _compiled._walk_post

    def walk_source(*args):
        calls.append("source")
        return source(*args)

    def walk_post(*args):
        calls.append("post")
        return post(*args)

    with (
        mock.patch.object(_compiled, "_walk_source", walk_source),
        mock.patch.object(_compiled, "_walk_post", walk_post),
    ):
        yield calls


def _both(fb: FeatureBuilder, events: dict, applied_at: datetime, uid: object):
    plan = fb._plan()
    t = _scalar_micros(applied_at, "applications", "applied_at", {})
    arrays = {k: events_to_arrays(k, v, {}) for k, v in events.items()}
    sources = {
        s: pit.cut_numpy(s, uid, t, arrays, default_dpd=fb._default_dpd()) for s in plan.sources
    }
    walked = NumpyEvaluator(sources, t).values([f.expr for f in plan.features])
    with _walker_calls() as calls:
        got = compile_plan(plan).run(sources, t)
    assert calls == []  # the machine ran every source and the post stage
    return np.array(got), np.array(walked)


@pytest.mark.parametrize(("seed", "windows"), [(1, (30, 90, 180, 365)), (2, (7, 45))])
def test_compiled_equals_tree_walker(seed: int, windows: tuple[int, ...]) -> None:
    tables = make_tables(n_users=40, seed=seed, apps_per_user=2)
    fb = FeatureBuilder(windows=windows)
    events = {n: tables[n].to_dicts() for n in tables.names() if n != "applications"}
    for row in tables.applications.iter_rows(named=True):
        got, want = _both(fb, events, row["applied_at"], row["user_id"])
        np.testing.assert_array_equal(got, want)


def test_compiled_handles_applicants_without_history() -> None:
    fb = FeatureBuilder()
    got, want = _both(fb, {"orders": []}, datetime(2024, 1, 1), 1)
    np.testing.assert_array_equal(got, want)
    row = fb.build_one({}, datetime(2024, 1, 1), user_id=1)
    assert row["cons_order_count_30d"] == 0.0
    assert row["thin_file"] == 1.0


def test_compiled_plan_is_built_once_per_configuration() -> None:
    fb = FeatureBuilder(windows=(30,))
    fb.build_one({}, datetime(2024, 1, 1), user_id=1)
    first = fb._plan().compiled
    assert first is not None
    fb.build_one({}, datetime(2024, 2, 1), user_id=1)
    assert fb._plan().compiled is first


# ---------------------------------------------------------------------------------------
# the vector machine, operation by operation, against NumPy and the tree walker
# ---------------------------------------------------------------------------------------

SPECIAL = [0.0, -0.0, 1.0, -1.0, 3.0, -7.0, 0.5, np.inf, -np.inf, np.nan, 86_400e6, 2.0**60]
SPECIAL += [2.0**52 - 1, -(2.0**52) + 3, 2.0**52, 2.0**52 + 2, 2.0**53 - 1, 2.0**26 + 1]
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**16), 10**16).map(float),
    st.sampled_from(SPECIAL),
)


def _same_bits(got: np.ndarray, want: np.ndarray) -> None:
    np.testing.assert_array_equal(got, want)
    present = ~np.isnan(want)
    np.testing.assert_array_equal(np.signbit(got[present]), np.signbit(want[present]))


@given(st.lists(st.tuples(numbers, numbers), min_size=1, max_size=40))
def test_floor_divide_and_remainder_are_numpys(pairs: list[tuple[float, float]]) -> None:
    x = np.array([a for a, _ in pairs])
    y = np.array([b for _, b in pairs])
    for op, ufunc in ((C._FLOORDIV, np.floor_divide), (C._MOD, np.mod)):
        got = np.empty_like(x)
        C._binary(op, got, x, y)
        with np.errstate(all="ignore"):
            _same_bits(got, ufunc(x, y))


@given(st.integers(1, 2**26), st.integers(1, 2**26), st.sampled_from([-1.0, 0.0, 1.0]))
def test_whole_number_division_is_numpys_near_the_limits(b: int, k: int, r: float) -> None:
    # a quotient a hair below (or above) a whole number must not round onto it
    x = np.array([b * k + r, -(b * k) + r, b * k + r])
    y = np.array([float(b), float(b), -float(b)])
    for op, ufunc in ((C._FLOORDIV, np.floor_divide), (C._MOD, np.mod)):
        got = np.empty_like(x)
        C._binary(op, got, x, y)
        _same_bits(got, ufunc(x, y))


@given(
    st.integers(0, 3000),
    st.sampled_from(["normal", "integers", "mixed"]),
    st.integers(0, 2**32 - 1),
)
def test_pairwise_sum_is_numpys(n: int, kind: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(3, 2, n) * rng.choice([-1.0, 1.0], n)
    if kind == "integers":
        x = np.round(x)
    elif kind == "mixed":
        x[rng.random(n) < 0.3] *= 1e12
    got = 0.0 + C.pairwise_sum(x, 0, n)
    want = np.add.reduce(x)
    assert got == want
    assert np.signbit(got) == np.signbit(want)


def _source(data: st.DataObject, n: int) -> dict[str, np.ndarray]:
    """A random source: floats with nulls and infinities, 0/1/NaN flags, objects."""
    floats = st.one_of(st.floats(-1e6, 1e6), st.sampled_from([0.0, -0.0, np.nan, np.inf, 2.5]))
    x = np.array(data.draw(st.lists(floats, min_size=n, max_size=n)), dtype=np.float64)
    y = np.array(
        data.draw(st.lists(st.sampled_from([0.0, 2.0, -3.0, np.nan]), min_size=n, max_size=n))
    )
    m = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0, np.nan]), min_size=n, max_size=n)))
    # no two values with one text: the tree walker groups ``over`` windows by str(value)
    g = np.empty(n, dtype=object)
    g[:] = data.draw(st.lists(st.sampled_from(["a", "b", "c", None, 7]), min_size=n, max_size=n))
    return {"x": x, "y": y, "m": m, "g": g}


def _exprs() -> list[Expr]:
    x, y, m, g, t = col("x"), col("y"), col("m"), col("g"), col("_t")
    mask = m > 0.5
    out = [agg(kind, "s", x, mask) for kind in AGG_KINDS]
    out += [agg(kind, "s", x) for kind in AGG_KINDS]
    out += [agg(kind, "s", g, mask) for kind in ("count", "nunique")]
    out += [
        agg("sum", "s", over("sum", x, ("g",))),
        agg("max", "s", over("max", x, ("g",))),
        agg("sum", "s", over("sum", x)),
        agg("min", "s", over("max", x)),
        agg("sum", "s", x // lit(3.0) + x % y + (t - x) // lit(86_400e6)),
        agg("max", "s", (x / y) * lit(2) - lit(None), ~mask | (x >= y)),
        agg("sum", "s", g.eq(lit("a")).to_float(), g.ne(lit("b")) & g.is_in(("a", 7))),
        agg("sum", "s", g.eq(lit(None)).to_float() + g.is_null().to_float()),
        agg("mean", "s", when(mask, x, lit(None)), ~x.is_null()),
        agg("nunique", "s", x // lit(10.0), mask),
        agg("median", "s", log(over("sum", mask.to_float(), ("g",)))),
        agg("sum", "s", log(x) * lit(0.5), x < t),
    ]
    a, b = agg("sum", "s", x, mask), agg("count", "s", g)
    out += [a / b, log(b) - a, when(a.is_null(), lit(0.0), a // b), (a > b) & (b >= a), t - a]
    return out


def _features(exprs: list[Expr]) -> list[FeatureDef]:
    return [
        FeatureDef(f"f{i}", "test", None, "", "count", "neutral", e) for i, e in enumerate(exprs)
    ]


def _compiled_and_walked(
    exprs: list[Expr], sources: dict, t: float, walker: list[str] | None = None
) -> tuple:
    """Compiled and walked values; the compiled plan must fall back to the walker
    exactly as ``walker`` lists (default: never)."""
    compiled = compile_plan(make_plan(_features(exprs)))
    with _walker_calls() as calls:
        got = np.array(compiled.run(sources, t))
    assert calls == (walker or [])
    want = np.array(NumpyEvaluator(sources, t).values(exprs))
    return compiled, got, want


@given(st.data(), st.integers(0, 30))
def test_machine_equals_tree_walker(data: st.DataObject, n: int) -> None:
    sources = {"s": _source(data, n)}
    compiled, got, want = _compiled_and_walked(_exprs(), sources, 12.5)
    # equal as numbers: the min or max of 0.0 and -0.0 may be either (NumPy's own SIMD
    # reductions pick by lane), every other result has the walker's sign too
    np.testing.assert_array_equal(got, want)
    assert compiled.post is not None
    assert all(p is not None for p in compiled.sources["s"].programs.values())


def test_machine_numbers_long_object_columns_like_short_ones() -> None:
    # 128 values and more go through pandas.factorize; None, NaN objects or odd values
    # fall back to Python's own numbering, which the tree walker's sets agree with
    rng = np.random.default_rng(3)
    pool = ["a", "b", None, 1, 1.0, True, np.str_("a"), float("nan"), (1, 2)]
    for n in (5, 200):
        for values in (pool[:4], pool[:7], pool):
            g = np.empty(n, dtype=object)
            g[:] = [values[i] for i in rng.integers(0, len(values), n)]
            sources = {"s": {"g": g, "m": (rng.random(n) < 0.5).astype(float)}}
            exprs = [agg("nunique", "s", col("g"), col("m") > 0), agg("count", "s", col("g"))]
            exprs.append(agg("sum", "s", col("g").eq(lit("a")).to_float()))
            _, got, want = _compiled_and_walked(exprs, sources, 0.0)
            np.testing.assert_array_equal(got, want)


@given(st.lists(st.sampled_from(["a", "b", None, 3, 3.0, False, 0]), min_size=0, max_size=300))
def test_object_codes_follow_python_equality(values: list) -> None:
    g = np.empty(len(values), dtype=object)
    g[:] = values
    arrays, codes = encode_objects([g[: len(g) // 2], g[len(g) // 2 :]])
    got = np.concatenate(arrays)
    for i, u in enumerate(values):
        if u is None:
            assert np.isnan(got[i])
            continue
        assert got[i] == codes[u]
        for j, v in enumerate(values):
            if v is not None:
                assert (got[i] == got[j]) == (u == v)


def test_unsupported_expressions_run_on_the_tree_walker() -> None:
    rng = np.random.default_rng(0)
    g = np.empty(20, dtype=object)
    g[:] = rng.choice(["a", "b"], 20).tolist()
    lists = np.empty(20, dtype=object)
    lists[:] = [[i % 3] for i in range(20)]
    x = rng.normal(size=20)
    cases = [
        ({"s": {"g": g, "x": x}}, agg("nunique", "s", when(col("x") > 0, col("g")))),
        ({"s": {"g": g, "x": x}}, agg("sum", "s", over("sum", col("x"), ("x",)))),
        ({"s": {"g": lists, "x": x}}, agg("sum", "s", col("g").eq(lit("a")).to_float())),
        ({"s": {"g": g, "x": np.arange(20)}}, agg("sum", "s", col("x"), col("g").eq(lit("a")))),
    ]
    for sources, expr in cases:
        compiled, got, want = _compiled_and_walked(
            [expr, expr * lit(2)], sources, 0.0, walker=["source"]
        )
        np.testing.assert_array_equal(got, want)
        runner = compiled.sources["s"]
        program = next(iter(runner.programs.values()))
        assert program is None or not program.run(sources["s"], 20, 0.0, np.empty(1))


def test_unsupported_post_stage_runs_on_the_tree_walker() -> None:
    x = np.array([1.0, 0.5, np.nan, 0.5])
    total = agg("sum", "s", col("x"))
    exprs = [total.is_in((1.0, 2.0)).to_float(), total / lit(2), agg("max", "s", col("x"))]
    compiled, got, want = _compiled_and_walked(exprs, {"s": {"x": x}}, 0.0, walker=["post"])
    assert compiled.post is None
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, [1.0, 1.0, 1.0])


def test_columns_outside_aggregates_are_rejected() -> None:
    with pytest.raises(ValueError, match="outside an aggregate"):
        compile_plan(make_plan(_features([agg("count", "s", col("x")) + col("x")])))
