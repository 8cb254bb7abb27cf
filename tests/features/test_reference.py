"""The builder against an independent, plainly written reference (tests/features/reference.py)."""

from __future__ import annotations

import math

import pytest
from _feat_gen import make_tables
from _feat_reference import reference_features

from thinfile_credit.features import FeatureBuilder


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_feature_matches_the_reference(seed: int) -> None:
    tables = make_tables(n_users=25, seed=seed)
    fb = FeatureBuilder()
    X = fb.build(tables)
    rows = {name: tables[name].to_dicts() for name in tables.names() if name != "applications"}
    assert set(reference_features(rows, X.row(0, named=True))) == set(fb.feature_names_)
    mismatches = []
    for app in X.iter_rows(named=True):
        ref = reference_features(rows, app)
        for name in fb.feature_names_:
            if not _close(app[name], ref[name]):
                mismatches.append((app["application_id"], name, app[name], ref[name]))
    assert not mismatches, mismatches[:10]
