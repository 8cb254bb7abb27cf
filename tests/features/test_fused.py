"""Generated per-source kernels (features._fused) against the block engine.

The block engine evaluates row expressions with Polars and reduces them with separate
compiled passes; the generated kernel does both in one function. Both must give the
same aggregate for every expression node, null and NaN rule of the language.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from _feat_gen import make_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thinfile_credit.features import FeatureBuilder, _fused, pit
from thinfile_credit.features import _segments as sg
from thinfile_credit.features._expr import DAY_US, Expr, agg, col, lit, log, over, when
from thinfile_credit.features._plan import APP, make_plan
from thinfile_credit.features.spec import FeatureDef

T = col("_t")
AMOUNT, N, CAT, STATUS = col("amount"), col("installments"), col("category"), col("status")


def _exprs() -> list[Expr]:
    """One aggregate per construct the generator writes (and its null rules)."""
    paid = STATUS.eq("paid")
    recent = (T - col("ordered_at")) <= lit(30 * DAY_US)
    days = (col("ordered_at") - T) // DAY_US  # negative: floor division
    return [
        agg("sum", "orders", AMOUNT, N > 1),
        agg("mean", "orders", when(paid, AMOUNT), recent),
        agg("count", "orders", AMOUNT / N),  # null when N is 0 or null
        agg("max", "orders", days),
        agg("min", "orders", days % 7),
        agg("sum", "orders", (paid & (AMOUNT > 10.0)).to_float()),  # three-valued and
        agg("sum", "orders", (CAT.is_null() | (N >= 2)).to_float()),  # three-valued or
        agg("sum", "orders", (~(AMOUNT < 5.0)).to_float()),  # NaN above every number
        agg("sum", "orders", AMOUNT.eq(float("nan")).to_float()),  # NaN equals NaN
        agg("count", "orders", AMOUNT, AMOUNT.ne(3.0)),
        agg("nunique", "orders", CAT, CAT.is_in(("food", "toys"))),
        agg("nunique", "orders", N),
        agg("median", "orders", AMOUNT, recent),
        agg("std", "orders", AMOUNT),
        agg("min", "orders", log(AMOUNT)),  # log of 0 and of negatives
        agg("max", "orders", AMOUNT),
        agg("sum", "orders", over("sum", (AMOUNT > 0.0).to_float(), ("category",))),
        agg("mean", "orders", AMOUNT / over("max", AMOUNT)),
        agg("sum", "orders", over("sum", AMOUNT, ("installments",))),
        agg("max", "orders", over("max", N, ("status",))),
        agg("count", "orders", N, N.is_in((1, 3))),
        agg("sum", "orders", when(AMOUNT > 1.0, N, 2.5)),  # integer and float branches
        agg("sum", "orders", when(recent, days, lit(None))),
        # statuses as known at t: a nullable time compared with t, negated, three-valued
        agg("sum", "orders", pit.has_status_at_t("refunded").to_float(), recent),
        agg("mean", "orders", AMOUNT, pit.has_status_at_t("paid")),
    ]


PLAN = make_plan(
    [
        FeatureDef(f"f{i}", "consumption", None, "test", "count", "neutral", e)
        for i, e in enumerate(_exprs())
    ]
)


@st.composite
def orders(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(0, 60))
    amounts = st.one_of(
        st.none(),
        st.sampled_from([0.0, -2.0, 3.0, float("nan"), float("inf"), -float("inf")]),
        st.floats(-50, 500, allow_nan=False),
    )
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, 4),
                st.integers(0, 120),
                amounts,
                st.one_of(st.none(), st.integers(0, 4)),
                st.one_of(st.none(), st.sampled_from(["food", "toys", "car"])),
                st.one_of(st.none(), st.sampled_from(["paid", "refunded"])),
                # status_at on whole days: some exactly at an application's t
                st.one_of(st.none(), st.integers(0, 130)),
            ),
            min_size=n,
            max_size=n,
        )
    )
    users, days, amount, inst, cat, status, status_day = (
        zip(*rows, strict=True) if rows else ([],) * 7
    )
    return pl.DataFrame(
        {
            "user_id": pl.Series(users, dtype=pl.Int64),
            "ordered_at": pl.Series([d * DAY_US + 7 for d in days], dtype=pl.Int64),
            "amount": pl.Series(amount, dtype=pl.Float64),
            "category": pl.Series(cat, dtype=pl.String).cast(pl.Categorical),
            "status": pl.Series(status, dtype=pl.String).cast(pl.Categorical),
            "status_at": pl.Series(
                [None if d is None else d * DAY_US for d in status_day], dtype=pl.Int64
            ),
            "payment_method": pl.Series(["card"] * len(rows), dtype=pl.Categorical),
            "installments": pl.Series(inst, dtype=pl.Int64),
        }
    )


def _apps() -> pl.DataFrame:
    users = [0, 1, 2, 3, 0, 5]
    t = [30, 60, 90, 121, 121, 10]
    return pl.DataFrame(
        {
            APP: np.arange(len(users), dtype=np.int64),
            "user_id": pl.Series(users, dtype=pl.Int64),
            "_t": pl.Series([d * DAY_US for d in t], dtype=pl.Int64),
        }
    )


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return all(
        (math.isnan(x) and math.isnan(y)) or x == y or abs(x - y) <= 1e-9 * max(1.0, abs(y))
        for x, y in zip(a.tolist(), b.tolist(), strict=True)
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=orders())
def test_kernel_equals_the_block_engine_for_every_construct(table: pl.DataFrame) -> None:
    sp = PLAN.sources["orders"]
    apps = _apps()
    kernel = _fused.kernel_for(sp, table, nullable=True)
    assert kernel is not None
    g = sg._user_cut(apps, table, "ordered_at", [], in_order=True)
    fused = sg._reduce_fused(kernel, table, g.index, g.per_query[APP], g.per_query["_t"], apps)
    blocks = sg._reduce_gathered(sg._gather_cut("orders", sp, apps, table), sp, apps.height, 12)
    for name, node in sp.aggs.items():
        assert _same(fused[name], blocks[name]), (node.key, fused[name], blocks[name])


@pytest.mark.parametrize(
    ("seed", "absent"),
    [(0, ()), (1, ()), (2, ("payment_method", "installments", "status_at"))],
)
def test_every_default_feature_equals_the_block_engine(
    seed: int, absent: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = make_tables(n_users=40, seed=seed)
    if absent:  # optional columns left out are added as nulls the kernels still read
        tables = dataclasses.replace(tables, orders=pl.DataFrame(tables.orders).drop(absent))
    fb = FeatureBuilder()
    monkeypatch.setattr(_fused, "ENABLED", False)
    blocks = fb.build(tables)
    monkeypatch.setattr(_fused, "ENABLED", True)
    # every source must go through a kernel computing its local features, or this test
    # would compare the block engine with itself
    source_of = {id(sp): name for name, sp in fb._plan().sources.items()}
    kernels: list[tuple[str, _fused.FusedKernel | None, dict[str, Expr]]] = []
    real = sg._kernel

    def spy(sp, table, features, outside, *args, **kwargs):
        kernel = real(sp, table, features, outside, *args, **kwargs)
        kernels.append((source_of[id(sp)], kernel, features))
        return kernel

    monkeypatch.setattr(sg, "_kernel", spy)
    monkeypatch.setattr(_fused, "MIN_ROWS", 0)  # kernels specialised to the tables' nulls
    fused = fb.build(tables)
    monkeypatch.setattr(_fused, "MIN_ROWS", 10**12)  # one kernel for any nulls
    generic = fb.build(tables)
    assert sorted(name for name, _, _ in kernels) == sorted(2 * list(source_of.values()))
    for name, kernel, features in kernels:
        assert kernel is not None, name
        assert set(features) <= set(kernel.names), name
    assert fused.columns == blocks.columns == generic.columns
    for name in fb.feature_names_:
        assert _same(fused[name].to_numpy(), blocks[name].to_numpy()), name
        assert _same(generic[name].to_numpy(), blocks[name].to_numpy()), name


def test_unsupported_expressions_fall_back_to_the_block_engine() -> None:
    plan = make_plan(
        [
            FeatureDef("f", "consumption", None, "t", "count", "neutral", e)
            for e in [agg("sum", "orders", AMOUNT // AMOUNT)]  # float floor division
        ]
    )
    table = pl.DataFrame({"user_id": [1], "ordered_at": [1], "amount": [1.0]})
    assert _fused.kernel_for(plan.sources["orders"], table) is None


def _count_kernel(table: pl.DataFrame, mask: Expr) -> _fused.FusedKernel:
    plan = make_plan(
        [
            FeatureDef(
                "f",
                "consumption",
                None,
                "t",
                "count",
                "neutral",
                agg("count", "orders", STATUS, mask),
            )
        ]
    )
    kernel = _fused.kernel_for(plan.sources["orders"], table)
    assert kernel is not None
    return kernel


def test_text_literals_are_coded_in_the_table_categories() -> None:
    table = pl.DataFrame({"status": pl.Series(["paid", "refunded"], dtype=pl.Categorical)})
    kernel = _count_kernel(table, STATUS.eq("refunded") | STATUS.eq("never"))
    codes = kernel.literal_codes(table)
    physical = table["status"].to_physical().to_list()
    assert codes[0] == physical[1]
    assert codes[1] not in physical  # a text no row holds matches no row


def test_cache_dir_honours_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THINFILE_CREDIT_CACHE_DIR", str(tmp_path))
    assert _fused.cache_dir() == tmp_path


def test_text_missing_from_an_enum_matches_no_row() -> None:
    table = pl.DataFrame({"status": pl.Series(["paid"], dtype=pl.Enum(["paid", "late"]))})
    kernel = _count_kernel(table, STATUS.eq("refunded"))
    assert kernel.literal_codes(table).tolist() == [-1]
