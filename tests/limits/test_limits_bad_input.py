"""Bad input to the limit engines raises typed errors naming table, column and rows.

Nothing is dropped or coerced: a limit decided on a guessed value is a wrong answer.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import DataError, PolicyError, SchemaError, SpecError
from thinfile_credit.limits import (
    ACTION_LIST,
    REASON_LIST,
    Action,
    CycleOutcome,
    InitialBand,
    LadderArrays,
    LimitLadder,
    MDPPolicy,
    dpd_bucket,
    estimate_transitions,
    initial_limit,
    make_population,
    replay,
    simulate,
    step,
    step_arrays,
)
from thinfile_credit.limits.engine import AccountState
from thinfile_credit.limits.ladder_arrays import _step_arrays
from thinfile_credit.limits.simulate import Economics, _require_finite

LADDER = LimitLadder()


def _hist(**columns):
    base = {
        "account_id": [1, 1, 2],
        "cycle": [1, 2, 1],
        "dpd": [0, 0, 0],
        "utilisation": [0.5, 0.5, 0.5],
        "score": [610.0] * 3,
    }
    base.update(columns)
    return pd.DataFrame(base)


def _mdp_hist(n_copies: int = 1) -> pd.DataFrame:
    h = pd.DataFrame(
        {
            "account_id": [1, 1, 1, 2, 2, 2],
            "cycle": [1, 2, 3, 1, 2, 3],
            "score": [560.0] * 6,
            "limit": [100.0] * 6,
            "dpd": [0, 10, 0, 0, 0, 40],
            "utilisation": [0.5] * 6,
        }
    )
    return pd.concat([h] * n_copies, ignore_index=True)


# --- 1. replay: initial account ids are aligned without changing any id -----------------
@pytest.mark.parametrize(
    ("ids", "rows"),
    [([1.7, 2.2], [0, 1]), ([1.0, 2.5], [1]), ([2.0, 1e30], [1])],
)
def test_replay_refuses_initial_ids_a_cast_would_change(ids, rows) -> None:
    init = pd.DataFrame({"account_id": ids, "limit": [5000.0, 50.0]})
    with pytest.raises(SchemaError, match=r"histories\.account_id") as err:
        replay(_hist(), init)
    assert (err.value.table, err.value.column, err.value.rows) == ("initial", "account_id", rows)


@pytest.mark.parametrize("ids", [["1", "2"], ["01", "2"], [True, False]])
def test_replay_refuses_initial_ids_of_another_kind(ids) -> None:
    init = pd.DataFrame({"account_id": ids, "limit": [5000.0, 50.0]})
    with pytest.raises(SchemaError, match="keys") as err:
        replay(_hist(), init)
    assert (err.value.table, err.value.column) == ("initial", "account_id")


def test_replay_accepts_whole_float_initial_ids() -> None:
    init = pd.DataFrame({"account_id": [2.0, 1.0], "limit": [50.0, 5000.0]})
    assert replay(_hist(), init)["limit"].tolist() == [5000.0, 5000.0, 50.0]


@given(
    ids=st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=6, unique=True),
    limits=st.lists(st.sampled_from([0.0, *LADDER.rungs]), min_size=6, max_size=6),
    dpd=st.lists(st.sampled_from([0, 0, 5, 40, 95]), min_size=12, max_size=12),
    hist_type=st.sampled_from([pl.Int32, pl.Int64, pl.Float64]),
    init_type=st.sampled_from([pl.Int32, pl.Int64, pl.Float64]),
)
def test_whole_number_ids_of_any_numeric_type_give_identical_replays(
    ids, limits, dpd, hist_type, init_type
) -> None:
    n = len(ids)
    hist = pl.DataFrame(
        {
            "account_id": np.repeat(ids, 2),
            "cycle": np.tile([1, 2], n),
            "dpd": dpd[: 2 * n],
            "utilisation": [0.5] * (2 * n),
        }
    )
    init = pl.DataFrame({"account_id": ids[::-1], "limit": limits[:n][::-1]})
    reference = replay(hist, init)
    got = replay(
        hist.with_columns(pl.col("account_id").cast(hist_type)),
        init.with_columns(pl.col("account_id").cast(init_type)),
    )
    assert got.drop("account_id").equals(reference.drop("account_id"))
    assert got["account_id"].cast(pl.Int64).equals(reference["account_id"])


# --- 2. Economics: every field a finite real number in range ---------------------------
ECON_FIELDS = [
    "lgd",
    "ccf",
    "funding_rate",
    "servicing_cost",
    "utilisation_mean",
    "utilisation_concentration",
    "utilisation_noise",
    "overextension",
    "pd_horizon_months",
]


@pytest.mark.parametrize("field", ECON_FIELDS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "0.5", True, None])
def test_economics_refuses_non_numbers(field, value) -> None:
    with pytest.raises(SpecError) as err:
        Economics(**{field: value})
    assert (err.value.table, err.value.column) == ("Economics", field)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"lgd": 0.0}, "lgd"),
        ({"ccf": 1.5}, "ccf"),
        ({"utilisation_mean": 1.0}, "utilisation_mean"),
        ({"utilisation_concentration": 0.0}, "utilisation_concentration"),
        ({"funding_rate": -0.01}, "funding_rate"),
        ({"pd_horizon_months": 12.5}, "pd_horizon_months"),
        ({"pd_horizon_months": 0}, "pd_horizon_months"),
        ({"roll_rates": (0.5, math.nan, 0.8)}, "roll_rates"),
        ({"roll_rates": (0.5, "0.7", 0.8)}, "roll_rates"),
        ({"roll_rates": (0.5, 0.7)}, "roll_rates"),
        ({"roll_rates": 0.5}, "roll_rates"),
    ],
)
def test_economics_refuses_out_of_range(kw, field) -> None:
    with pytest.raises(SpecError) as err:
        Economics(**kw)
    assert err.value.column == field


def test_economics_keeps_whole_months_as_int() -> None:
    econ = Economics(pd_horizon_months=12.0, roll_rates=[0.5, 0.5, 1])
    assert econ.pd_horizon_months == 12
    assert isinstance(econ.pd_horizon_months, int)
    assert econ.roll_rates == (0.5, 0.5, 1.0)


@given(
    field=st.sampled_from(ECON_FIELDS),
    value=st.one_of(st.just(math.nan), st.just(math.inf), st.just(-math.inf)),
)
def test_no_non_finite_economics_reaches_a_simulation(field, value) -> None:
    with pytest.raises(SpecError):
        Economics(**{field: value})


def test_simulation_refuses_nan_money_figures() -> None:
    frame = pd.DataFrame({"profit": [1.0, np.nan], "revenue": [1.0, 2.0]})
    with pytest.raises(DataError, match="profit") as err:
        _require_finite(frame, "monthly")
    assert err.value.rows == [1]


def test_simulate_refuses_nan_scores_from_the_model() -> None:
    class Model:
        feature_names_in_ = np.array(["capacity"])

        def predict_proba(self, X):
            return np.column_stack([np.full(len(X), 0.9), np.full(len(X), 0.1)])

        def score(self, X):
            out = np.full(len(X), 600.0)
            out[3] = np.nan
            return out

    pop = make_population(20, random_state=0).drop(columns="score")
    with pytest.raises(DataError) as err:
        simulate(LADDER, pop, 2, pd_model=Model(), random_state=0)
    assert (err.value.table, err.value.column, err.value.rows) == ("population", "score", [3])


# --- 3. step_arrays and AccountState ---------------------------------------------------
def _fresh(n: int = 2) -> LadderArrays:
    s = LadderArrays.open(LADDER, [610.0] * n, [1000.0] * n)
    s.streak[:] = 5
    return s


GOOD = {
    "dpd": np.array([0, 0]),
    "utilisation": np.array([0.5, 0.5]),
    "score": np.array([610.0, 610.0]),
}


@pytest.mark.parametrize(
    ("column", "values", "rows"),
    [
        ("dpd", [np.nan, 45.0], [0]),
        ("dpd", [0, -5], [1]),
        ("dpd", [1.5, 0], [0]),
        ("dpd", [np.inf, 0], [0]),
        ("utilisation", [np.nan, 0.0], [0]),
        ("utilisation", [0.5, -0.1], [1]),
        ("utilisation", [np.inf, 0.5], [0]),
        ("score", [np.inf, 610.0], [0]),
        ("balance", [-1.0, 0.0], [0]),
        ("balance", [0.0, np.inf], [1]),
        ("target", [9, 3], [0]),
        ("target", [3, 1.5], [1]),
        ("target", [-2, 3], [0]),
    ],
)
def test_step_arrays_refuses_bad_values(column, values, rows) -> None:
    args = {**GOOD, column: np.array(values)}
    with pytest.raises(DataError) as err:
        step_arrays(LADDER, _fresh(), **args)
    assert (err.value.table, err.value.column, err.value.rows) == ("step_arrays", column, rows)


@pytest.mark.parametrize("column", ["dpd", "utilisation", "score", "balance", "target"])
@pytest.mark.parametrize("values", [[0], [0, 0, 0], [[0, 0]], 0])
def test_step_arrays_never_broadcasts(column, values) -> None:
    with pytest.raises(DataError, match="one value per account") as err:
        step_arrays(LADDER, _fresh(), **{**GOOD, column: np.array(values)})
    assert err.value.column == column


@pytest.mark.parametrize("values", [[True, False], ["0", "0"]])
def test_step_arrays_refuses_booleans_and_text(values) -> None:
    with pytest.raises(DataError, match="numeric") as err:
        step_arrays(LADDER, _fresh(), **{**GOOD, "dpd": np.array(values)})
    assert err.value.column == "dpd"


@pytest.mark.parametrize(
    ("field", "value", "rows"),
    [
        ("limit", np.array([500.0, 123.0]), [1]),
        ("rung", np.array([3, 8]), [1]),
        ("cap", np.array([np.nan, 1000.0]), [0]),
        ("cap", np.array([1000.0, -100.0]), [1]),
        ("cap_reason", np.array([0, 99], dtype=np.int8), [1]),
        ("streak", np.array([-1, 0], dtype=np.int32), [0]),
        ("cooldown", np.array([0, -2], dtype=np.int32), [1]),
        ("frozen", np.array([0, 1]), None),
        ("closed", np.array([0.0, 1.0]), None),
        ("cap", np.array([1000.0]), None),
        ("rung", np.array([3.0, 3.0]), None),
    ],
)
def test_step_arrays_refuses_states_off_the_ladder(field, value, rows) -> None:
    state = _fresh()
    setattr(state, field, value)
    with pytest.raises(DataError) as err:
        step_arrays(LADDER, state, **GOOD)
    assert (err.value.table, err.value.column, err.value.rows) == ("LadderArrays", field, rows)


@given(
    rung=st.lists(st.integers(-1, 7), min_size=1, max_size=20),
    data=st.data(),
)
def test_checked_and_unchecked_step_arrays_agree_on_valid_input(rung, data) -> None:
    n = len(rung)

    def draw(strategy):
        return np.array(data.draw(st.lists(strategy, min_size=n, max_size=n)))

    state = LadderArrays.from_rungs(
        LADDER, np.array(rung), draw(st.floats(10, 20000)), np.zeros(n, dtype=np.int8)
    )
    state.streak[:] = draw(st.integers(0, 5))
    dpd = draw(st.sampled_from([0, 0, 5, 45, 100]))
    util = draw(st.floats(0, 1.5))
    score = draw(st.one_of(st.just(math.nan), st.floats(450, 700)))
    balance = draw(st.one_of(st.just(math.nan), st.floats(0, 20000)))
    target = draw(st.integers(-1, 7))
    checked = step_arrays(LADDER, state, dpd, util, score, balance, target)
    unchecked = _step_arrays(LADDER, state, dpd, util, score, balance, target)
    assert np.array_equal(checked[1], unchecked[1])
    assert np.array_equal(checked[2], unchecked[2])
    assert np.array_equal(checked[0].rung, unchecked[0].rung)


@pytest.mark.parametrize(
    ("kw", "column"),
    [
        ({"cap": math.nan}, "cap"),
        ({"cap": -100.0}, "cap"),
        ({"cap": "1000"}, "cap"),
        ({"limit": math.nan}, "limit"),
        ({"limit": -500.0}, "limit"),
        ({"limit": True}, "limit"),
        ({"rung": -2}, "rung"),
        ({"rung": 3.0}, "rung"),
        ({"rung": True}, "rung"),
        ({"limit": 0.0}, "rung"),  # no line but a rung
        ({"cap_reason": "NOPE"}, "cap_reason"),
        ({"streak": -1}, "streak"),
        ({"cooldown": 1.5}, "cooldown"),
        ({"frozen": 1}, "frozen"),
        ({"closed": "no"}, "closed"),
    ],
)
def test_account_state_is_validated(kw, column) -> None:
    fields = {"limit": 500.0, "rung": 3, "cap": 1e6, **kw}
    with pytest.raises(DataError) as err:
        AccountState(**fields)
    assert (err.value.table, err.value.column) == ("AccountState", column)


def test_account_state_accepts_no_cap_and_no_line() -> None:
    assert AccountState(limit=0.0, rung=-1, cap=math.inf).rung == -1


@pytest.mark.parametrize(
    ("kw", "column"),
    [({"limit": 123.0, "rung": 3}, "limit"), ({"limit": 20000.0, "rung": 8}, "rung")],
)
def test_step_refuses_a_state_off_its_ladder(kw, column) -> None:
    state = AccountState(cap=1e6, streak=10, **kw)
    with pytest.raises(DataError) as err:
        step(state, CycleOutcome(dpd=0, utilisation=0.5, score=610.0), LADDER)
    assert (err.value.table, err.value.column) == ("AccountState", column)


def test_step_refuses_other_types() -> None:
    state = AccountState(limit=500.0, rung=3, cap=1e6)
    with pytest.raises(DataError, match="CycleOutcome"):
        step(state, 0, LADDER)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="AccountState"):
        step({"limit": 500.0}, CycleOutcome(dpd=0), LADDER)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "column"),
    [
        ({"utilisation": True}, "utilisation"),
        ({"score": True}, "score"),
        ({"balance": "1"}, "balance"),
    ],
)
def test_cycle_outcome_refuses_booleans_and_text(kw, column) -> None:
    with pytest.raises(DataError) as err:
        CycleOutcome(dpd=0, **kw)
    assert (err.value.table, err.value.column) == ("CycleOutcome", column)


def test_a_cap_without_a_reason_refuses_with_the_account_cap_code() -> None:
    # A cap that leaves no higher rung refuses the raise; the refusal must carry a code.
    state = AccountState(limit=500.0, rung=3, cap=600.0, streak=10)
    _, action, reason = step(state, CycleOutcome(dpd=0, utilisation=0.5, score=610.0), LADDER)
    assert (action, reason) == (Action.REFUSE_INCREASE, "LIM_CAP_ACCOUNT")
    arrays = _fresh(1)
    arrays.cap[:] = 600.0
    arrays.cap_reason[:] = 0
    _, a, r = step_arrays(LADDER, arrays, np.array([0]), np.array([0.5]), np.array([610.0]))
    assert (ACTION_LIST[a[0]], REASON_LIST[r[0]]) == (Action.REFUSE_INCREASE, "LIM_CAP_ACCOUNT")


# --- 4. MDP --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def policy() -> MDPPolicy:
    return MDPPolicy().fit(_mdp_hist())


@pytest.mark.parametrize(
    ("args", "column", "rows"),
    [
        (([610.0], [1000.0], [-100.0]), "income", [0]),
        (([610.0, 600.0], [1000.0, -100.0], None), "capacity", [1]),
        (([610.0], [1000.0], [math.inf]), "income", [0]),
        (([610.0, 620.0], [1000.0], None), "capacity", None),
        (([610.0], [1000.0], [1.0, 2.0]), "income", None),
        ((["610"], [1000.0], None), "score", None),
        (([True], [1000.0], None), "score", None),
    ],
)
def test_mdp_open_states_checks_like_the_ladder(policy, args, column, rows) -> None:
    with pytest.raises(DataError) as err:
        policy.open_states(*args)
    assert (err.value.column, err.value.rows) == (column, rows)
    with pytest.raises(DataError) as ladder_err:  # the ladder path says the same
        initial_limit(args[0], args[1], income=args[2])
    assert (ladder_err.value.column, ladder_err.value.rows) == (column, rows)


@pytest.mark.parametrize(
    ("values", "rows"),
    [([0, np.nan, -5], [1, 2]), ([1.5], [0]), ([np.inf, 3], [0])],
)
def test_dpd_bucket_refuses_unknown_days(values, rows) -> None:
    with pytest.raises(DataError) as err:
        dpd_bucket(values)
    assert (err.value.column, err.value.rows) == ("dpd", rows)


def test_dpd_bucket_refuses_text_and_booleans() -> None:
    for values in (["5"], [True]):
        with pytest.raises(DataError, match="numeric"):
            dpd_bucket(values)


@pytest.mark.parametrize("smoothing", [math.nan, math.inf, -1.0, "20", True, None])
def test_estimate_transitions_refuses_bad_smoothing(smoothing) -> None:
    with pytest.raises(SpecError) as err:
        estimate_transitions(_mdp_hist(), smoothing=smoothing)
    assert err.value.column == "smoothing"


def test_estimate_transitions_refuses_duplicate_rows() -> None:
    with pytest.raises(SchemaError, match="duplicate") as err:
        estimate_transitions(_mdp_hist(2), smoothing=0.0)
    assert (err.value.table, err.value.column) == ("histories", "cycle")
    assert err.value.rows == [6, 7, 8, 9, 10, 11]


@given(seed=st.integers(0, 2**32 - 1), start=st.booleans())
def test_estimate_transitions_does_not_depend_on_row_order(seed, start) -> None:
    h = _mdp_hist()
    if start:
        h = h.assign(start_dpd=[0, 0, 10, 0, 0, 0])
    reference = estimate_transitions(h, smoothing=0.0)
    shuffled = estimate_transitions(h.sample(frac=1.0, random_state=seed), smoothing=0.0)
    assert np.array_equal(reference.counts, shuffled.counts)


@pytest.mark.parametrize(
    ("kw", "column"),
    [
        ({"max_initial_step": -5}, "max_initial_step"),
        ({"max_initial_step": 1.5}, "max_initial_step"),
        ({"loss_weight": math.nan}, "loss_weight"),
        ({"discount": "0.9"}, "discount"),
        ({"discount": math.nan}, "discount"),
        ({"tol": 0.0}, "tol"),
        ({"max_iter": 0}, "max_iter"),
    ],
)
def test_mdp_policy_refuses_bad_parameters(kw, column) -> None:
    with pytest.raises(SpecError) as err:
        MDPPolicy(**kw).fit(_mdp_hist())
    assert (err.value.table, err.value.column) == ("MDPPolicy", column)


# --- 5. untyped exceptions -----------------------------------------------------------
@pytest.mark.parametrize("text", ["{bad", "[1, 2]", "null", None])
def test_ladder_from_json_refuses_what_is_not_a_ladder(text) -> None:
    with pytest.raises(SpecError):
        LimitLadder.from_json(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"initial_bands": [{"lower": 0, "upper": None, "limit": 50, "x": 1}]}, "unknown"),
        ({"initial_bands": [{"lower": 0, "limit": 50}]}, "missing"),
        ({"initial_bands": ["band"]}, "InitialBand"),
        ({"caps": {"colour": "red"}}, "unknown LimitCaps"),
        ({"caps": 5}, "LimitCaps"),
        ({"rungs": 5}, "rungs"),
    ],
)
def test_ladder_from_dict_raises_spec_errors(data, match) -> None:
    with pytest.raises(SpecError, match=match):
        LimitLadder.from_dict(data)


def test_with_changes_refuses_unknown_fields() -> None:
    with pytest.raises(SpecError, match="foo"):
        LimitLadder().with_changes(foo=1)


@pytest.mark.parametrize("column", ["cap", "limit"])
def test_replay_refuses_text_amounts_in_initial(column) -> None:
    init = pd.DataFrame({"account_id": [1, 2], "limit": [500.0, 50.0]})
    init[column] = ["x", "500"] if column == "cap" else ["500", "50"]
    with pytest.raises(SchemaError, match="numeric") as err:
        replay(_hist(), init)
    assert (err.value.table, err.value.column) == ("initial", column)


@pytest.mark.parametrize("column", ["score", "capacity", "income"])
@pytest.mark.parametrize("value", ["610", True])
def test_replay_refuses_text_and_booleans_when_opening(column, value) -> None:
    init = pd.DataFrame({"account_id": [1, 2], "score": [610.0] * 2, "capacity": [800.0] * 2})
    init[column] = [value, value]
    with pytest.raises(SchemaError, match="numeric") as err:
        replay(_hist(), init)
    assert (err.value.table, err.value.column) == ("initial", column)


def test_replay_quotes_initial_rows_for_bad_opening_values() -> None:
    init = pd.DataFrame({"account_id": [2, 1], "score": [610.0, 610.0], "capacity": [800.0, -1.0]})
    with pytest.raises(DataError) as err:
        replay(_hist(), init)
    assert (err.value.table, err.value.column, err.value.rows) == ("initial", "capacity", [1])


@pytest.fixture(scope="module")
def pop() -> pd.DataFrame:
    return make_population(50, random_state=0)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("income", "x"),
        ("income", True),
        ("score", "610"),
        ("capacity", True),
        ("true_pd", "0.1"),
        ("thin_file", "1"),
    ],
)
def test_simulate_refuses_text_and_booleans(pop, column, value) -> None:
    with pytest.raises(SchemaError, match="numeric") as err:
        simulate(LADDER, pop.assign(**{column: value}), 1)
    assert (err.value.table, err.value.column) == ("population", column)


def test_simulate_accepts_boolean_thin_file_flags(pop) -> None:
    a = simulate(LADDER, pop, 2, random_state=0).summary
    b = simulate(LADDER, pop.assign(thin_file=pop["thin_file"].astype(bool)), 2, random_state=0)
    assert a == b.summary


# --- 6. replay: cycles are ordered as numbers or dates; booleans are not numbers ---------
@pytest.mark.parametrize(
    "cycles", [["9", "10", "11", "12"], [True, False, True, False], pd.Categorical(list("abcd"))]
)
def test_replay_refuses_cycles_that_are_not_numbers_or_dates(cycles) -> None:
    hist = pd.DataFrame(
        {"account_id": [1, 1, 2, 2], "cycle": cycles, "dpd": [45, 0, 0, 0], "utilisation": 0.5}
    )
    init = pd.DataFrame({"account_id": [1, 2], "limit": [500.0, 500.0]})
    with pytest.raises(SchemaError, match="numbers or dates") as err:
        replay(hist, init)
    assert (err.value.table, err.value.column) == ("histories", "cycle")


def test_replay_refuses_nan_cycles() -> None:
    hist = pl.DataFrame(
        {"account_id": [1, 1], "cycle": [1.0, float("nan")], "dpd": [0, 0], "utilisation": 0.5}
    )
    with pytest.raises(SchemaError, match="NaN") as err:
        replay(hist, pl.DataFrame({"account_id": [1], "limit": [500.0]}))
    assert (err.value.column, err.value.rows) == ("cycle", [1])


def test_replay_orders_date_cycles_in_time() -> None:
    days = [dt.date(2024, m, 1) for m in (3, 1, 2)]
    hist = pd.DataFrame(
        {"account_id": [1] * 3, "cycle": days, "dpd": [0, 45, 0], "utilisation": 0.5}
    )
    out = replay(hist, pd.DataFrame({"account_id": [1], "limit": [500.0]}))
    assert [c.date() for c in out["cycle"]] == sorted(days)
    assert out["action"].tolist() == ["cut", "unfreeze", "hold"]  # January first


def test_estimate_transitions_refuses_text_cycles() -> None:
    h = _mdp_hist().assign(cycle=["1", "2", "3"] * 2)
    with pytest.raises(SchemaError) as err:
        estimate_transitions(h)
    assert (err.value.table, err.value.column) == ("histories", "cycle")


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("dpd", [True, False, False]),
        ("utilisation", [True, True, True]),
        ("dpd", ["45", "0", "0"]),
        ("utilisation", ["0.5"] * 3),
        ("score", [True] * 3),
        ("balance", ["10"] * 3),
    ],
)
def test_replay_refuses_booleans_and_text_as_numbers(column, values) -> None:
    init = pd.DataFrame({"account_id": [1, 2], "limit": [500.0, 500.0]})
    with pytest.raises(SchemaError, match="numeric") as err:
        replay(_hist(**{column: values}), init)
    assert (err.value.table, err.value.column) == ("histories", column)


@pytest.mark.parametrize("column", ["score", "limit", "dpd", "utilisation"])
def test_estimate_transitions_refuses_text_numbers(column) -> None:
    h = _mdp_hist()
    h[column] = h[column].astype(str)
    with pytest.raises(SchemaError, match="numeric") as err:
        estimate_transitions(h)
    assert (err.value.table, err.value.column) == ("histories", column)


# --- 7. text and booleans where numbers are meant ------------------------------------
@pytest.mark.parametrize(
    ("kw", "column"),
    [
        ({"scores": ["610"], "capacity": [1000.0]}, "score"),
        ({"scores": [True], "capacity": [1000.0]}, "score"),
        ({"scores": [610.0], "capacity": np.array(["1000"], dtype=object)}, "capacity"),
        ({"scores": [610.0], "capacity": [1000.0], "income": [False]}, "income"),
    ],
)
def test_initial_limit_refuses_text_and_booleans(kw, column) -> None:
    with pytest.raises(DataError, match="numeric") as err:
        initial_limit(**kw)
    assert err.value.column == column


def test_initial_limit_refuses_infinite_income() -> None:
    with pytest.raises(DataError) as err:
        initial_limit([610.0, 610.0], [1000.0, 1000.0], income=[np.nan, np.inf])
    assert (err.value.column, err.value.rows) == ("income", [1])
    assert initial_limit([610.0], [1000.0], income=[np.nan]).tolist() == [500.0]


@pytest.mark.parametrize(
    "args",
    [
        (500, None, "50"),
        ("500", None, 50),
        (500, "600", 50),
        (500, math.nan, 50),
        (math.nan, None, 50),
        (500, 400, 50),
        (500, None, -50),
        (500, None, True),
    ],
)
def test_initial_band_is_validated(args) -> None:
    with pytest.raises(PolicyError, match="InitialBand"):
        InitialBand(*args)


def test_initial_band_stores_floats() -> None:
    band = InitialBand(500, 600, 50)
    assert (band.lower, band.upper, band.limit) == (500.0, 600.0, 50.0)
    assert all(isinstance(v, float) for v in (band.lower, band.upper, band.limit))


@pytest.mark.parametrize(("value", "rows"), [(-1.0, [3]), (math.inf, [3])])
def test_simulate_names_the_table_for_bad_income(pop, value, rows) -> None:
    income = pop["income"].to_numpy().copy()
    income[3] = value
    with pytest.raises(DataError) as err:
        simulate(LADDER, pop.assign(income=income), 1)
    assert (err.value.table, err.value.column, err.value.rows) == ("population", "income", rows)
