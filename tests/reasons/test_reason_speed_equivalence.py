"""The fast batch paths of reasons give the results of the plain formulations, bit for bit.

The group sums replay ``np.add.reduceat``'s additions a whole row of applicants at a time,
the routed losses are masked with integer ANDs and skip rows known to be +0.0, ranking keys
are built in fewer passes, and a routed batch checks its contributions as it reads them;
each is compared here with the straightforward version it replaces (behaviour, not timing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _reason_models import LATE_SHARE_KIND, late_share_kind_spec

from thinfile_credit.errors import DataError
from thinfile_credit.protocol import Contributions
from thinfile_credit.reasons import ReasonCoder
from thinfile_credit.reasons._demo import tiny_scorecard
from thinfile_credit.reasons._ranking import (
    _block_keys,
    _key_offsets,
    _position_bits,
    rank_keys,
    top_reasons,
)
from thinfile_credit.reasons._tidy import GroupLoss, Routes, _group_sums, group_layout
from thinfile_credit.reasons._values import _value_source, value_flags


def bits(a):
    return np.ascontiguousarray(a, dtype=np.float64).tobytes()


def signed_values(rng, shape, scale=30.0):
    """Points with plenty of exact zeros of both signs, ties and wide magnitudes."""
    x = rng.normal(scale=scale, size=shape) * rng.choice([1.0, 1e-6, 1e6], size=shape)
    x[rng.random(shape) < 0.2] = 0.0
    x[rng.random(shape) < 0.1] = -0.0
    x[rng.random(shape) < 0.1] = 0.5
    return x


@pytest.mark.parametrize("m", [1, 3, 17])
def test_group_sums_add_like_reduceat(m):
    rng = np.random.default_rng(m)
    sizes = [*range(1, 20), 64, 127, 128, 129, 130, 140, 257, 300]
    terms = signed_values(rng, (sum(sizes), m))
    groups, start = [], 0
    for g, size in enumerate(sizes):
        rows = tuple(range(start, start + size))
        groups.append((g, rows[0], rows[1:], False))
        start += size
    out = np.empty((len(sizes), m))
    _group_sums(terms, tuple(groups), out)
    starts = np.cumsum([0, *sizes[:-1]])
    want = np.add.reduceat(terms, starts, axis=0)
    assert out.tobytes() == want.tobytes()


def test_left_out_zero_rows_change_no_bits():
    """Rows of +0.0 left out of a sum of fewer than 8 others (first or later), then one
    ``+ 0.0``: the bits of adding them."""
    rng = np.random.default_rng(1)
    terms = signed_values(rng, (9, 50))
    terms[[0, 3, 8]] = 0.0  # +0.0 rows
    terms[1] = -0.0
    out = np.empty((5, 50))
    plans = (
        (0, -1, (1, 2, 4), True),  # first row left out
        (1, 1, (2, 4, 5), True),  # a later row (3) left out
        (2, -1, (), True),  # everything left out
        (3, 1, (), True),  # only the first row kept
        (4, 2, (4, 5, 6, 7), True),  # rows 3 and 8 left out at the ends
    )
    _group_sums(terms, plans, out)
    full = [(0, 1, 2, 3, 4), (1, 2, 3, 4, 5), (0, 3, 8), (1, 3, 8), (2, 3, 4, 5, 6, 7, 8)]
    for g, rows in enumerate(full):
        want = np.add.reduceat(terms[list(rows)], [0], axis=0)[0]
        assert out[g].tobytes() == want.tobytes()


def test_block_keys_equal_rank_keys():
    rng = np.random.default_rng(2)
    for n_groups in (1, 2, 3, 13, 16, 17, 300):
        loss = signed_values(rng, (n_groups, 40))
        edges = [1e300, -1e300, np.inf, -np.inf, 4.5e6, 1.5e-9, 2.5e-9, 5e-10]
        loss[:, 0] = (edges + [0.0] * n_groups)[:n_groups]
        loss[:, 1] = np.nextafter(1.3, 2.0)
        b = _position_bits(n_groups)
        keys = _block_keys(loss, b, _key_offsets(n_groups, b), np.empty(loss.size))
        assert np.array_equal(keys, rank_keys(loss, axis=0))


def old_routed(values, membership, fallback, baseline, sign, moved, at_end, beyond=None, past=None):
    """The formulation the routed blocks replaced (np.where, copyto(where=), reduceat);
    with ``beyond`` (and ``past``, a row per feature that has a far-side target) the
    losses past the end go to the far-side targets."""
    order, starts, nonempty = group_layout(membership, fallback, beyond)
    n_features = values.shape[1]
    routed = np.flatnonzero(fallback.any(axis=1))
    far = np.empty(0, dtype=int) if beyond is None else np.flatnonzero(beyond.any(axis=1))
    both = np.empty((n_features + routed.size + far.size, values.shape[0]))
    lost = both[:n_features]
    np.subtract(baseline[:, None], values.T, out=lost)
    if sign < 0:
        np.negative(lost, out=lost)
    both[n_features : n_features + routed.size] = np.where(moved[routed], lost[routed], 0.0)
    if far.size:
        both[n_features + routed.size :] = np.where(past & (lost[far] > 0), lost[far], 0.0)
    gone = np.greater(lost, 0.0)
    gone &= at_end
    gone |= moved
    np.copyto(lost, 0.0, where=gone)
    out = np.zeros((membership.shape[1], values.shape[0]))
    if nonempty.size:
        out[nonempty] = np.add.reduceat(both[order], starts, axis=0)
    return out.T


def routed_case(seed, n, n_features=40, n_groups=7, missing_features=None):
    rng = np.random.default_rng(seed)
    values = signed_values(rng, (n, n_features))
    membership = np.zeros((n_features, n_groups))
    own = rng.integers(0, n_groups - 2, n_features)
    own[:12] = 0  # a group of 12 features: NumPy's pairwise sum of 8 or more
    membership[np.arange(n_features), own] = 1.0
    fallback = np.zeros_like(membership)
    has_route = rng.random(n_features) < 0.7
    fallback[has_route, n_groups - 1] = 1.0  # a route-only group
    fallback[has_route & (own == 1), n_groups - 2] = 1.0
    fallback[has_route & (own == 1), n_groups - 1] = 0.0
    baseline = signed_values(rng, n_features)
    baseline[rng.random(n_features) < 0.3] = -0.0
    if missing_features is None:
        missing_features = rng.random(n_features) < 0.5
    moved = (rng.random((n_features, n)) < 0.2) & missing_features[:, None] & has_route[:, None]
    at_end = (rng.random((n_features, n)) < 0.4) & ~moved
    return values, membership, fallback, baseline, moved, at_end


def array_flags(moved, at_end, past=None):
    def fill(start, stop, moved_out, at_end_out, past_out=None):
        np.copyto(moved_out, moved[:, start:stop])
        np.copyto(at_end_out, at_end[:, start:stop])
        if past_out is not None:
            np.copyto(past_out, past[:, start:stop])

    return fill


def beyond_case(seed, membership, at_end):
    """Far-side targets for about half the features - nine of them into one group, so
    a group sums 8 or more terms (NumPy's pairwise sum) - and the cells past the end (a
    part of those at it)."""
    rng = np.random.default_rng(seed)
    n_features, n_groups = membership.shape
    beyond = np.zeros_like(membership)
    has = rng.random(n_features) < 0.5
    has[12:21] = True
    target = rng.integers(0, n_groups, n_features)
    target[12:21] = 2
    beyond[np.flatnonzero(has), target[has]] = 1.0
    far = np.flatnonzero(has)
    past = at_end[far] & (rng.random((far.size, at_end.shape[1])) < 0.7)
    return beyond, past


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize(
    ("n", "missing"),
    [(9000, None), (300, "none"), (300, "few"), (300, "all"), (1, None)],
)
def test_routed_losses_equal_the_plain_formulation_bit_for_bit(sign, n, missing):
    n_features = 40
    live = {
        None: None,
        "none": np.zeros(n_features, dtype=bool),
        "few": np.arange(n_features) < 3,
        "all": np.ones(n_features, dtype=bool),
    }[missing]
    values, membership, fallback, baseline, moved, at_end = routed_case(
        n + n_features, n, n_features, missing_features=live
    )
    routes = Routes(baseline, fallback, array_flags(moved, at_end), n)
    lazy = GroupLoss(values, membership, np.zeros(membership.shape[1]), sign, routes)
    want = old_routed(values, membership, fallback, baseline, sign, moved, at_end)
    assert bits(lazy.full()) == bits(want)
    # ranked block by block (blocks of routed terms inside) like the whole matrix
    for chunk in (777, 16384):
        a = top_reasons(lazy, 3, True, 0.5, chunk=chunk)
        b = top_reasons(np.asarray(want), 3, True, 0.5)
        for field in ("rows", "slots", "groups", "points"):
            assert np.array_equal(getattr(a, field), getattr(b, field))
    # one applicant alone gets exactly its batch row
    for i in range(0, n, max(1, n // 7)):
        one = Routes(baseline, fallback, array_flags(moved[:, i : i + 1], at_end[:, i : i + 1]), 1)
        alone = GroupLoss(values[i : i + 1], membership, np.zeros(membership.shape[1]), sign, one)
        assert bits(alone.full()[0]) == bits(want[i])


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize(("n", "missing"), [(9000, None), (300, "none"), (300, "all"), (5, None)])
def test_beyond_routed_losses_equal_the_plain_formulation_bit_for_bit(sign, n, missing):
    n_features = 40
    live = {None: None, "none": np.zeros(n_features, bool), "all": np.ones(n_features, bool)}
    values, membership, fallback, baseline, moved, at_end = routed_case(
        n + 7, n, n_features, missing_features=live[missing]
    )
    beyond, past = beyond_case(n, membership, at_end)
    routes = Routes(baseline, fallback, array_flags(moved, at_end, past), n, beyond)
    lazy = GroupLoss(values, membership, np.zeros(membership.shape[1]), sign, routes)
    want = old_routed(values, membership, fallback, baseline, sign, moved, at_end, beyond, past)
    assert bits(lazy.full()) == bits(want)
    for chunk in (777, 16384):
        a = top_reasons(lazy, 3, True, 0.5, chunk=chunk)
        b = top_reasons(np.asarray(want), 3, True, 0.5)
        for field in ("rows", "slots", "groups", "points"):
            assert np.array_equal(getattr(a, field), getattr(b, field))
    for i in range(0, n, max(1, n // 7)):
        cells = (moved[:, i : i + 1], at_end[:, i : i + 1], past[:, i : i + 1])
        one = Routes(baseline, fallback, array_flags(*cells), 1, beyond)
        alone = GroupLoss(values[i : i + 1], membership, np.zeros(membership.shape[1]), sign, one)
        assert bits(alone.full()[0]) == bits(want[i])
    # the flags read whole agree with the blocks
    assert np.array_equal(routes.past, past)


def test_plain_losses_equal_the_plain_formulation_bit_for_bit():
    rng = np.random.default_rng(5)
    values = signed_values(rng, (20000, 30))
    membership = np.zeros((30, 6))
    membership[np.arange(30), np.r_[np.zeros(10, int), rng.integers(1, 5, 20)]] = 1.0
    baseline = signed_values(rng, 6)
    order, starts, nonempty = group_layout(membership)
    for sign in (1.0, -1.0):
        sums = np.zeros((6, 20000))
        sums[nonempty] = np.add.reduceat(values.T[order], starts, axis=0)
        want = baseline[:, None] - sums
        if sign < 0:
            want = -want
        assert bits(GroupLoss(values, membership, baseline, sign).full()) == bits(want.T)


def test_unchecked_routed_values_are_refused_by_row_as_they_are_read():
    values, membership, fallback, baseline, moved, at_end = routed_case(7, 20000)
    values[[3, 17000], [0, 5]] = [np.nan, -np.inf]
    routes = Routes(baseline, fallback, array_flags(moved, at_end), 20000)
    lazy = GroupLoss(values, membership, np.zeros(7), 1.0, routes, unchecked="X")
    with pytest.raises(DataError, match=r"X: non-finite contributions \(rows: 3, 17000\)"):
        lazy.full()
    with pytest.raises(DataError, match="non-finite"):
        top_reasons(lazy, 4, False, 1.0)
    # finite values whose block sum overflows are fine
    big = np.full((50, 40), 1e308)
    routes = Routes(baseline, fallback, array_flags(moved[:, :50], at_end[:, :50]), 50)
    with np.errstate(over="ignore"):
        GroupLoss(big, membership, np.zeros(7), 1.0, routes, unchecked="X").full()


@pytest.mark.parametrize("n", [5, 3000])  # checked first / while ranking
def test_coder_refuses_non_finite_contributions_before_anything_about_x(n):
    model, X = tiny_scorecard()
    coder = ReasonCoder(language="en").fit(model, X)
    assert coder._routes is not None  # the routed path
    X = pd.concat([X] * (n // len(X) + 1), ignore_index=True).iloc[:n]
    c = model.contributions(X)
    bad = Contributions(c.values.copy(), c.baseline, c.feature_names)
    bad.values[[1, n - 1], 2] = [np.nan, np.inf]
    for call in (
        lambda: coder.explain_contributions(bad, X=X),
        lambda: coder.explain_contributions(bad),  # no X
        lambda: coder._group_loss(bad, X.iloc[:2]),  # X of other applicants
        lambda: coder.explain_contributions(bad, X=X.drop(columns=[X.columns[0]])),
    ):
        with pytest.raises(DataError, match=rf"X: non-finite contributions \(rows: 1, {n - 1}\)"):
            call()
    with pytest.raises(DataError, match="pass X"):
        coder.explain_contributions(c)


def test_value_source_reads_blocks_like_value_flags():
    names = LATE_SHARE_KIND
    spec = late_share_kind_spec()
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        rng.choice([0.0, 1.0, 1.0 + 1e-12, 2.0, -1.0, np.inf, np.nan], size=(1000, 3)),
        columns=list(names),
    )
    missing, at_end = value_flags(frame, names, names, spec)
    wanted = np.array([True, False, True])
    source = _value_source(frame, names, names, spec, wanted)
    moved_blocks = np.zeros((3, 1000), dtype=bool)
    end_blocks = np.zeros((3, 1000), dtype=bool)
    for start in range(0, 1000, 333):
        stop = min(1000, start + 333)
        source.fill(start, stop, moved_blocks[:, start:stop], end_blocks[:, start:stop])
    assert np.array_equal(moved_blocks, missing.T & wanted[:, None])
    assert np.array_equal(end_blocks, at_end.T)
    assert not (at_end & missing).any()


@pytest.mark.parametrize("n", [0, 1, 5, 20000])
def test_batches_without_features_or_rows(n):
    for n_features in (0, 4):
        membership = np.eye(4)[:n_features, :3] if n_features else np.zeros((0, 3))
        lazy = GroupLoss(np.zeros((n, n_features)), membership, np.arange(3.0), 1.0)
        assert lazy.full().shape == (n, 3)
        assert (lazy.full() == np.arange(3.0)).all()
        picked = top_reasons(lazy, 4, True, 0.5)
        assert picked.rows.tolist() == [i for i in range(n) for _ in (0, 1)]
        assert picked.groups.tolist() == [2, 1] * n
