"""The compiled online evaluator equals the expression-tree walker it replaces."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from _feat_gen import make_tables

from thinfile_credit.features import FeatureBuilder, pit
from thinfile_credit.features._compiled import compile_plan
from thinfile_credit.features._expr import NumpyEvaluator
from thinfile_credit.features.online import _scalar_micros, events_to_arrays


def _both(fb: FeatureBuilder, events: dict, applied_at: datetime, uid: object):
    plan = fb._plan()
    t = _scalar_micros(applied_at, "applications", "applied_at", {})
    arrays = {k: events_to_arrays(k, v, {}) for k, v in events.items()}
    sources = {
        s: pit.cut_numpy(s, uid, t, arrays, default_dpd=fb._default_dpd()) for s in plan.sources
    }
    walked = NumpyEvaluator(sources, t).values([f.expr for f in plan.features])
    return np.array(compile_plan(plan).run(sources, t)), np.array(walked)


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
