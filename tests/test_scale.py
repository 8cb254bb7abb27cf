"""ScoreScale: the affine points <-> log-odds <-> PD map, its round trips and its validation."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.scale import ScoreScale

scales = st.builds(
    ScoreScale,
    base_score=st.floats(-1000, 2000, allow_nan=False),
    base_odds=st.floats(0.01, 1000),
    pdo=st.floats(1.0, 200),
    higher_is_better=st.booleans(),
)


def test_defaults_are_600_at_50_to_1_with_20_pdo() -> None:
    scale = ScoreScale()
    assert scale.points_from_pd(1 / 51) == pytest.approx(600.0, abs=1e-9)
    # doubling the good:bad odds (50:1 -> 100:1) adds pdo points
    assert scale.points_from_pd(1 / 101) - scale.points_from_pd(1 / 51) == pytest.approx(20.0)
    assert scale.points_from_pd(1 / 26) == pytest.approx(580.0)


def test_lower_is_better_mirrors_the_scale() -> None:
    up, down = ScoreScale(), ScoreScale(higher_is_better=False)
    z = np.linspace(-6, 6, 13)
    assert np.allclose(up.points_from_log_odds(z) - 600, -(down.points_from_log_odds(z) - 600))
    assert up.slope == -down.slope < 0


@given(scales, st.floats(-30, 30))
def test_points_log_odds_round_trip(scale: ScoreScale, z: float) -> None:
    back = scale.log_odds_from_points(scale.points_from_log_odds(z))
    assert float(back) == pytest.approx(z, abs=1e-7 * max(1.0, abs(z)) + 1e-9)


@given(scales, st.floats(1e-9, 1 - 1e-9))
def test_pd_points_round_trip(scale: ScoreScale, pd_bad: float) -> None:
    back = float(scale.pd_from_points(scale.points_from_pd(pd_bad)))
    assert back == pytest.approx(pd_bad, rel=1e-6, abs=1e-12)


@given(scales, st.floats(-20, 20), st.floats(-20, 20))
def test_points_are_monotone_in_log_odds_in_the_scale_direction(
    scale: ScoreScale, z1: float, z2: float
) -> None:
    p1, p2 = scale.points_from_log_odds([z1, z2])
    if z1 < z2:
        assert (p1 >= p2) if scale.higher_is_better else (p1 <= p2)


@given(scales, st.lists(st.floats(-3, 3), min_size=1, max_size=8), st.floats(-5, 0))
def test_contributions_add_up_to_the_points(
    scale: ScoreScale, parts: list[float], intercept: float
) -> None:
    total = scale.points_from_log_odds(intercept + sum(parts))
    pieces = (
        scale.points_from_log_odds(intercept)
        + scale.points_from_log_odds_contributions(parts).sum()
    )
    assert float(pieces) == pytest.approx(float(total), abs=1e-7)


@given(scales)
def test_dict_and_json_round_trip(scale: ScoreScale) -> None:
    assert ScoreScale.from_dict(scale.to_dict()) == scale
    assert ScoreScale.from_json(scale.to_json()) == scale
    json.loads(scale.to_json())  # plain JSON


def test_pd_of_zero_and_one_map_to_infinities() -> None:
    points = ScoreScale().points_from_pd([0.0, 1.0])
    assert points[0] == math.inf
    assert points[1] == -math.inf


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"base_odds": 0}, "base_odds"),
        ({"base_odds": -5}, "base_odds"),
        ({"pdo": 0}, "pdo"),
        ({"pdo": -20}, "pdo"),
        ({"pdo": math.nan}, "pdo"),
        ({"base_score": math.inf}, "base_score"),
        ({"base_score": "600"}, "base_score"),
        ({"base_odds": True}, "base_odds"),
    ],
)
def test_bad_parameters_raise_spec_error_naming_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(SpecError, match=field):
        ScoreScale(**kwargs)


def test_direction_must_be_bool() -> None:
    with pytest.raises(SpecError, match="higher_is_better"):
        ScoreScale(higher_is_better=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-0.1, 1.5, math.nan])
def test_pd_outside_unit_interval_is_rejected(bad: float) -> None:
    with pytest.raises(SpecError, match="PD") as info:
        ScoreScale().points_from_pd([0.5, bad])
    assert (info.value.column, info.value.rows) == ("pd", [1])


@given(st.lists(st.floats(0, 1), min_size=1, max_size=8), st.data())
def test_pd_outside_unit_interval_names_every_position(pds: list[float], data) -> None:
    at = sorted(data.draw(st.sets(st.integers(0, len(pds) - 1), min_size=1)))
    for i in at:
        pds[i] = data.draw(st.sampled_from([math.nan, -1e-12, 1.0 + 1e-12, -math.inf]))
    with pytest.raises(SpecError, match="outside") as info:
        ScoreScale().points_from_pd(np.asarray(pds))
    assert (info.value.column, info.value.rows) == ("pd", at[:5])


@pytest.mark.parametrize(
    ("values", "rows"),
    [
        (["0.02"], [0]),  # text is not read as a number
        ([0.02, "0.5"], [1]),
        ([True, False], [0, 1]),  # True is not a PD of 1 (-inf points)
        ([0.5, True], [1]),  # NumPy alone would make this 1.0
        (["a"], [0]),  # was a bare ValueError from NumPy
        (np.array([0.1, "x"], dtype=object), [1]),
        (np.array([True]), [0]),
        ("0.02", [0]),
        (True, [0]),
    ],
)
def test_points_from_pd_refuses_text_and_booleans(values, rows: list[int]) -> None:
    with pytest.raises(DataError, match="PD must be numbers") as info:
        ScoreScale().points_from_pd(values)
    assert (info.value.column, info.value.rows) == ("pd", rows)


@pytest.mark.parametrize(
    ("values", "rows"),
    [(["-4"], [0]), ([-4.0, True], [1]), (np.array(["1.5"]), [0]), (False, [0])],
)
def test_points_from_log_odds_refuses_text_and_booleans(values, rows: list[int]) -> None:
    with pytest.raises(DataError, match="log-odds must be numbers") as info:
        ScoreScale().points_from_log_odds(values)
    assert (info.value.column, info.value.rows) == ("log_odds", rows)


def test_points_accept_decimal_fraction_and_numpy_numbers_as_before() -> None:
    scale = ScoreScale()
    expected = scale.points_from_pd(np.array([0.02, 0.5, 0.25]))
    for values in (
        [Decimal("0.02"), Fraction(1, 2), 0.25],
        [np.float32(0.02), np.float64(0.5), 0.25],
        np.array([Decimal("0.02"), Fraction(1, 2), 0.25], dtype=object),
    ):
        np.testing.assert_allclose(scale.points_from_pd(values), expected, rtol=1e-6)
    assert float(scale.points_from_pd(Decimal(1) / Decimal(51))) == pytest.approx(600.0)
    assert scale.points_from_pd([0, 1]).tolist() == [math.inf, -math.inf]  # ints stay numbers
    z = [Decimal("-4"), Fraction(-1, 2), 3]
    np.testing.assert_allclose(
        scale.points_from_log_odds(z), scale.points_from_log_odds([-4.0, -0.5, 3.0])
    )
    assert scale.points_from_pd(np.empty(0)).shape == (0,)


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(SpecError, match="unknown ScoreScale fields"):
        ScoreScale.from_dict({"base_score": 600, "odds": 50})


def test_is_frozen() -> None:
    scale = ScoreScale()
    with pytest.raises(AttributeError):
        scale.pdo = 40  # type: ignore[misc]


@pytest.mark.parametrize("text", ["{bad", "", "[1, 2]", "null", '"scale"', '{"pdo": NaN}'])
def test_from_json_of_unreadable_text_is_a_spec_error(text: str) -> None:
    with pytest.raises(SpecError):
        ScoreScale.from_json(text)


def test_from_json_error_is_worded_as_products() -> None:
    with pytest.raises(SpecError, match="ScoreScale JSON cannot be read"):
        ScoreScale.from_json("{bad")


@given(scales, st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=6), st.integers(0, 5))
def test_nan_points_are_refused_naming_their_positions(
    scale: ScoreScale, points: list[float], at: int
) -> None:
    at = min(at, len(points) - 1)
    points[at] = math.nan
    with pytest.raises(DataError, match="NaN") as info:
        scale.pd_from_points(points)
    assert (info.value.column, info.value.rows) == ("points", [at])


def test_infinite_points_are_pd_zero_and_one_the_inverse_of_points_from_pd() -> None:
    scale = ScoreScale()
    assert scale.pd_from_points([math.inf, -math.inf]).tolist() == [0.0, 1.0]
    assert scale.pd_from_points(scale.points_from_pd([0.0, 1.0])).tolist() == [0.0, 1.0]


@pytest.mark.parametrize("points", [["600", "610"], np.array([600.0, "610"], dtype=object), [True]])
def test_text_or_boolean_points_are_refused(points) -> None:
    with pytest.raises(DataError, match="points must be numbers") as info:
        ScoreScale().pd_from_points(points)
    assert info.value.column == "points"
