"""The vectorised ranking behind batch reasons, against a plain per-row sort."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from thinfile_credit.reasons._tidy import GroupLoss, rank_keys, top_reasons


def reference(loss, max_reasons, also_considered, min_points):
    """Each row sorted on its own: larger loss first, ties by column; adverse prefix."""
    limit = min(max_reasons + int(also_considered), loss.shape[1])
    out = []
    for i, row in enumerate(loss):
        order = sorted(range(loss.shape[1]), key=lambda j: (-row[j], j))[:limit]
        for slot, j in enumerate(order):
            if not (row[j] > 0 and row[j] >= min_points):
                break
            out.append((i, slot, j, row[j]))
    return out


def as_tuples(p):
    return list(zip(p.rows.tolist(), p.slots.tolist(), p.groups.tolist(), p.points.tolist()))


losses = st.integers(1, 12).flatmap(
    lambda g: arrays(
        np.float64,
        st.tuples(st.integers(0, 60), st.just(g)),
        # halves: plenty of exact ties, zeros of both signs and negatives
        elements=st.integers(-8, 8).map(lambda k: k / 2.0),
    )
)


@settings(max_examples=150, deadline=None)
@given(
    loss=losses,
    max_reasons=st.integers(1, 5),
    also=st.booleans(),
    min_points=st.sampled_from([0.0, 0.5, 1.0, 3.0]),
    chunk=st.integers(1, 70),
    fortran=st.booleans(),
)
def test_top_reasons_equals_a_per_row_sort(loss, max_reasons, also, min_points, chunk, fortran):
    given_loss = np.asfortranarray(loss) if fortran else loss
    picked = top_reasons(given_loss, max_reasons, also, min_points, chunk=chunk)
    assert as_tuples(picked) == reference(loss, max_reasons, also, min_points)
    assert np.all(picked.points > 0.0)
    assert np.all(np.bincount(picked.rows, minlength=loss.shape[0]) <= max_reasons + also)


def test_group_loss_blocks_rank_like_the_full_matrix():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(3000, 7))
    membership = np.zeros((7, 3))
    membership[np.arange(7), [0, 0, 1, 1, 2, 2, 2]] = 1.0
    baseline = rng.normal(size=3)
    for sign in (1.0, -1.0):
        lazy = GroupLoss(values, membership, baseline, sign)
        full = lazy.full()
        assert lazy.shape == full.shape == (3000, 3)
        np.testing.assert_allclose(full, sign * (baseline - values @ membership), atol=1e-12)
        a = top_reasons(full, 2, True, 0.1)
        b = top_reasons(lazy, 2, True, 0.1, chunk=257)
        assert as_tuples(a) == as_tuples(b)


def test_rank_keys_order_like_floats_with_ties_by_column():
    row = np.array([[0.5, -0.0, 2.0, 1e-300, 0.5, -3.0, 1e300, 0.0]])
    keys = rank_keys(row)
    assert keys.dtype == np.int64
    order = np.argsort(keys[0])[::-1].tolist()
    # adverse losses by value, ties by column; never-adverse ones (<= 0) after them
    assert order[:5] == [6, 2, 0, 4, 3]
    assert set(order[5:]) == {1, 5, 7}


def test_losses_a_few_ulps_apart_are_ties_broken_by_code():
    x = 3.7
    near = np.nextafter(x, 10.0)  # one unit in the last place above x
    loss = np.array([[x, near, 1.0]])
    picked = top_reasons(loss, 2, False, 0.0)
    assert picked.groups.tolist() == [0, 1]  # by code, not by the last bit
    assert picked.points.tolist() == [x, near]  # exact points are reported
    # the threshold is compared at the same precision: no applicant loses a reason to it
    threshold = np.nextafter(2.0, 3.0)  # 2.0 shares its ranking key
    assert top_reasons(np.array([[2.0, 0.5]]), 4, False, threshold).groups.tolist() == [0]
    # but a reason is never given for a group that did not lower the score
    assert top_reasons(np.array([[0.0, -0.0, -1.0]]), 4, False, 0.0).rows.size == 0


def test_empty_batch_and_zero_reasons():
    empty = top_reasons(np.zeros((0, 4)), 4, False, 0.0)
    assert empty.rows.size == empty.groups.size == 0
    none = top_reasons(-np.ones((5, 3)), 4, False, 0.0)
    assert none.rows.size == 0


@pytest.mark.parametrize("n_groups", [1, 2, 127, 200])
def test_group_codes_fit_their_dtype(n_groups):
    loss = np.tile(np.arange(n_groups, dtype=float)[::-1] + 1.0, (3, 1))
    picked = top_reasons(loss, 4, True, 0.0)
    assert picked.groups.tolist()[: min(5, n_groups)] == list(range(min(5, n_groups)))


@settings(max_examples=100, deadline=None)
@given(loss=losses, max_reasons=st.integers(1, 5), min_points=st.sampled_from([0.0, 1.0]))
def test_one_row_path_equals_the_batch(loss, max_reasons, min_points):
    batch = as_tuples(top_reasons(loss, max_reasons, True, min_points))
    for i in range(loss.shape[0]):
        alone = top_reasons(loss[i : i + 1], max_reasons, True, min_points)
        assert [(i, *t[1:]) for t in as_tuples(alone)] == [t for t in batch if t[0] == i]
