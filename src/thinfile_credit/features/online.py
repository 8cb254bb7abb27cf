"""The online path: features of one applicant from raw events, in about a millisecond.

A scoring service holds an applicant's recent events as dicts (from a cache or an API),
not as a table of millions of rows. Building a dataframe for them costs more than the
arithmetic, so this path converts the events straight to NumPy arrays, applies the same
point-in-time cut (:func:`thinfile_credit.features.pit.cut_numpy`) and evaluates the same
feature expressions with NumPy. The numbers equal the batch row for the same
application (tested on random applications to 1e-9).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from thinfile_credit.errors import SchemaError
from thinfile_credit.features import pit
from thinfile_credit.features._compiled import compile_plan
from thinfile_credit.features._local_time import add_numpy_clocks
from thinfile_credit.features._online_checks import (
    IDS,
    check_id_kinds,
    check_rows,
    infer_user,
    no_null_ids,
    no_nulls,
)

if TYPE_CHECKING:
    from thinfile_credit.features.builder import FeatureBuilder

__all__ = ["build_one", "events_to_arrays", "tables_to_arrays"]

_EPOCH = _dt.datetime(1970, 1, 1)
_EPOCH_UTC = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_US = _dt.timedelta(microseconds=1)


def build_one(
    builder: FeatureBuilder,
    user_events: Mapping[str, Any],
    applied_at: Any,
    user_id: Any = None,
) -> dict[str, float]:
    """Features of one application from the applicant's raw events.

    Parameters
    ----------
    builder : FeatureBuilder
        Which features to compute.
    user_events : mapping
        Table name -> rows, each a list of dicts, a dict of columns, or a small pandas,
        Polars or PyArrow frame, with the columns of the data model. For social
        features, ``bills``, ``loans`` and ``installments`` may also hold the
        neighbours' rows (they are told apart by ``user_id``). Events at or after
        ``applied_at`` may be included: the point-in-time cut removes them.
    applied_at : datetime, numpy.datetime64 or pandas.Timestamp
        The application moment.
    user_id : optional
        The applicant; inferred when every own-table row (orders, bills, loans, profiles,
        profile changes) names the same user. Required when the events hold only links
        or instalments.

    Returns
    -------
    dict
        Feature name -> float (NaN where undefined), in :attr:`FeatureBuilder.feature_names_`
        order.

    Raises
    ------
    SchemaError
        Events not given as a mapping of table -> rows, rows that are not mappings,
        columns of different lengths, a non-empty table without a required column (all
        the missing columns are named: camelCase keys are not read as the data model's
        names), null timestamps, negative amounts, naive mixed with aware timestamps,
        and rows breaking the data model's row rules as batch validation reports them (a
        status reached before its order, a bill due or paid before it was issued, an
        amount paid without a date, a user linked to itself). Ids that are neither
        integers nor text, and integer ids mixed with text ids of the same entity (users
        and peers, loans), in the events or in ``user_id`` (``1`` and ``"1"`` never
        match, so the applicant's rows would be silently left out).
    DataError
        ``user_id`` cannot be inferred (events of several users, or only links and
        instalments).

    Notes
    -----
    Times are read at microsecond precision, as the batch builder reads them, so the
    features equal the batch row's; the row rules compare at that precision too (batch
    validation compares the frame's own unit: a status 400 ns before its order is
    refused there, not here). Time-zone aware timestamps are compared as instants, as
    the batch builder compares them; batch validation also asks every column to share
    one zone. Local hours and days read each aware timestamp's own ``utcoffset()``,
    which equals the batch reading of a column in that zone.

    Examples
    --------
    >>> from datetime import datetime
    >>> from thinfile_credit.features import FeatureBuilder
    >>> fb = FeatureBuilder(windows=(30,))
    >>> orders = [{"user_id": 1, "ordered_at": datetime(2024, 1, 5), "amount": 20.0,
    ...            "category": "food", "status": "paid"}]
    >>> row = fb.build_one({"orders": orders}, datetime(2024, 1, 10))
    >>> row["cons_order_count_30d"], row["thin_file"]
    (1.0, 1.0)
    """
    from thinfile_credit.features.builder import TABLE_COLUMNS

    if not isinstance(user_events, Mapping):
        raise SchemaError(
            "user_events: expected a mapping of table name -> rows, got "
            f"{type(user_events).__name__}"
        )
    unknown = set(user_events) - set(TABLE_COLUMNS)
    if unknown:
        raise SchemaError(f"unknown tables {sorted(unknown)}")
    tz_state: dict[str, Any] = {}
    t = _scalar_micros(applied_at, "applications", "applied_at", tz_state)
    base = builder._base_plan()
    arrays = tables_to_arrays(user_events, tz_state, base.clocks)
    check_rows(arrays)
    check_id_kinds(arrays, user_id)
    if user_id is None:
        user_id = infer_user(arrays)
    # the local clocks computed (they differ from their column: aware times, a zone)
    computed = frozenset(c for c in base.clocks if any(c in a for a in arrays.values()))
    plan = base.localised(computed)
    compiled = plan.compiled
    if compiled is None:
        # the plan is cached per (families, windows), which also fix the default horizon
        compiled = plan.compiled = compile_plan(plan)
        compiled.default_dpd = builder._default_dpd()
    dpd = compiled.default_dpd
    sources = {
        s: pit.cut_numpy(s, user_id, t, arrays, default_dpd=dpd, clocks=computed)
        for s in plan.sources
    }
    return dict(zip(compiled.names, compiled.run(sources, t)))


def tables_to_arrays(
    user_events: Mapping[str, Any],
    tz_state: dict[str, Any] | None = None,
    clocks: Collection[str] = (),
) -> dict[str, dict[str, np.ndarray]]:
    """:func:`events_to_arrays` of every table, converting their timestamps in one batch.

    Parameters
    ----------
    user_events : mapping
        Table name -> rows (see :func:`build_one`).
    tz_state : dict, optional
        Shared with the application moment's conversion, to reject naive timestamps mixed
        with aware ones.
    clocks : collection of str, optional
        Local clocks the features read (``ordered_at@local``...): each is added beside
        its column where it differs from it (aware timestamps, a zone other than UTC).

    Examples
    --------
    >>> from datetime import datetime
    >>> a = tables_to_arrays({"profile_changes":
    ...     [{"user_id": 1, "changed_at": datetime(1970, 1, 2), "kind": "device"}]})
    >>> float(a["profile_changes"]["changed_at"][0])
    86400000000.0
    """
    state = tz_state if tz_state is not None else {}
    columns = {name: _columns(name, rows, _names(name)) for name, rows in user_events.items()}
    times = _batch_times(columns)
    out = {name: _to_arrays(name, cols, state, times) for name, cols in columns.items()}
    if clocks:
        add_numpy_clocks(out, columns, clocks, aware=bool(state.get("aware")))
    return out


def events_to_arrays(
    table: str, rows: Any, tz_state: dict[str, Any] | None = None
) -> dict[str, np.ndarray]:
    """One table's raw rows as column arrays (times as float microseconds, NaN = null).

    Parameters
    ----------
    table : str
        Table name (selects the columns read).
    rows : list of dict, dict of lists, or a frame
        The events.
    tz_state : dict, optional
        Shared across tables of one call to reject naive timestamps mixed with aware ones.

    Examples
    --------
    >>> from datetime import datetime
    >>> a = events_to_arrays("profile_changes",
    ...     [{"user_id": 1, "changed_at": datetime(1970, 1, 2), "kind": "device"}])
    >>> float(a["changed_at"][0])
    86400000000.0
    """
    columns = _columns(table, rows, _names(table))
    return _to_arrays(table, columns, tz_state if tz_state is not None else {}, {})


def _to_arrays(
    table: str,
    columns: Mapping[str, Sequence[Any]],
    state: dict[str, Any],
    times: Mapping[tuple[str, str], np.ndarray],
) -> dict[str, np.ndarray]:
    """:func:`events_to_arrays` of a table's ``columns``; ``times`` holds time columns
    converted beforehand."""
    plan = _column_plan(table)
    out: dict[str, np.ndarray] = {}
    n = len(next(iter(columns.values()))) if columns else 0
    for c in plan:
        values = columns.get(c.name)
        if values is None:
            if c.optional:
                # an absent optional column is all null; built directly, since converting
                # a list of None (a time column through pandas) costs tens of microseconds
                out[c.name] = np.full(n, None if c.kind == "object" else np.nan)
                continue
            if n == 0:
                values = []
            else:
                raise SchemaError("required column missing", table=table, column=c.name)
        if c.kind == "time":
            arr = times.get((table, c.name))
            if arr is None:
                arr = _times(values, table, c.name, state)
            else:  # naive datetimes (and None)
                _check_tz(False, table, c.name, state)
            if c.not_null and np.isnan(arr).any():
                no_nulls(arr, table, c.name)
        elif c.kind == "number":
            try:  # None becomes NaN in NumPy's float conversion
                arr = np.array(values, dtype=np.float64)
            except (TypeError, ValueError):
                raise SchemaError("expected numbers", table=table, column=c.name) from None
            # one reduction in the usual case (NaN fails ">= 0" too)
            if arr.size and not arr.min() >= 0:
                if c.not_null:
                    no_nulls(arr, table, c.name)
                neg = np.flatnonzero(arr < 0)
                if neg.size:
                    bad = neg.tolist()
                    raise SchemaError("negative values", table=table, column=c.name, rows=bad)
        else:
            arr = np.fromiter(values, dtype=object, count=len(values))
            if c.not_null and arr.size:
                no_null_ids(arr, table, c.name)
        out[c.name] = arr
    return out


def _batch_times(
    tables: Mapping[str, Mapping[str, Sequence[Any]]],
) -> dict[tuple[str, str], np.ndarray]:
    """The naive-datetime columns of every table in one conversion: (table, column) ->
    float microseconds. Empty when some are time-zone aware (then each column converts,
    and is checked, in its turn)."""
    pending = []
    for table, columns in tables.items():
        for c in _column_plan(table):
            values = columns.get(c.name) if c.kind == "time" else None
            if values:
                kinds = set(map(type, values))
                if _dt.datetime in kinds and kinds <= {_dt.datetime, type(None)}:
                    pending.append(((table, c.name), values))
    if not pending:
        return {}
    micros = _naive_micros(list(chain.from_iterable(v for _, v in pending)))
    if micros is None:
        return {}
    bounds = np.cumsum([len(v) for _, v in pending])
    return {key: micros[end - len(v) : end] for (key, v), end in zip(pending, bounds.tolist())}


@dataclass(frozen=True)
class _Column:
    name: str
    kind: str  # "time", "number" or "object"
    optional: bool  # may be absent (then all null)
    not_null: bool  # a null value is an error


_PLANS: dict[str, tuple[_Column, ...]] = {}


_NAMES: dict[str, tuple[str, ...]] = {}
_REQUIRED: dict[str, tuple[str, ...]] = {}


def _names(table: str) -> tuple[str, ...]:
    names = _NAMES.get(table)
    if names is None:
        names = _NAMES[table] = tuple(c.name for c in _column_plan(table))
    return names


def _required(table: str) -> tuple[str, ...]:
    names = _REQUIRED.get(table)
    if names is None:
        names = _REQUIRED[table] = tuple(c.name for c in _column_plan(table) if not c.optional)
    return names


def _column_plan(table: str) -> tuple[_Column, ...]:
    """How to read each column of ``table`` (the data model's rules, looked up once)."""
    plan = _PLANS.get(table)
    if plan is None:
        from thinfile_credit.features.builder import (
            FLOAT_COLUMNS,
            OPTIONAL_COLUMNS,
            TABLE_COLUMNS,
            TIME_COLUMNS,
        )
        from thinfile_credit.schema import TABLES

        spec = TABLES[table]
        cols = []
        for c in TABLE_COLUMNS[table]:
            optional = (table, c) in OPTIONAL_COLUMNS
            if c in TIME_COLUMNS:
                cols.append(_Column(c, "time", optional, not spec.column(c).nullable))
            elif c in FLOAT_COLUMNS or c in ("installments", "installment_no"):
                cols.append(_Column(c, "number", optional, c in FLOAT_COLUMNS and not optional))
            else:  # ids, categories, statuses: a null id would be silently dropped
                cols.append(_Column(c, "object", optional, c in IDS and not optional))
        plan = _PLANS[table] = tuple(cols)
    return plan


def _columns(table: str, rows: Any, wanted: tuple[str, ...]) -> dict[str, Sequence[Any]]:
    """A table's columns as lists; refuses shapes that would otherwise be read as an
    empty table (rows that are not mappings, keys that are not the data model's names),
    which would silently give the applicant a no-history row."""
    if rows is None:
        return {}
    if isinstance(rows, Mapping):
        columns: dict[str, Sequence[Any]] = {
            k: _column_values(table, k, v) for k, v in rows.items()
        }
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            sizes = ", ".join(f"{k}={len(v)}" for k, v in columns.items())
            raise SchemaError(f"columns of different lengths ({sizes})", table=table)
        if lengths and lengths != {0}:
            _require(table, columns)
        return columns
    if isinstance(rows, list):
        if not rows:
            return {}
        # only the columns features read; a column counts as present if any row has it
        first = rows[0]
        if not isinstance(first, Mapping):
            _not_mappings(table, rows)
        try:
            keys = [k for k in wanted if k in first or any(k in r for r in rows)]
        except TypeError:  # a later row that is no container ("k in 5")
            _not_mappings(table, rows)
        _require(table, keys, first)
        if len(keys) > 1 and all(k in first for k in keys):
            try:  # one C-level pass per row when every row has the same keys
                picked = list(zip(*map(itemgetter(*keys), rows)))
            except (KeyError, TypeError):
                pass
            else:
                return dict(zip(keys, picked))
        try:
            return {k: [r.get(k) for r in rows] for k in keys}
        except AttributeError:  # a later row that is not a mapping
            _not_mappings(table, rows)
    from thinfile_credit._frames import to_polars

    df, _ = to_polars(rows, table=table)
    frame_columns: dict[str, Sequence[Any]] = {c: df[c].to_list() for c in df.columns}
    if df.height:
        _require(table, frame_columns)
    return frame_columns


def _column_values(table: str, column: Any, values: Any) -> list[Any]:
    if isinstance(values, str | bytes | Mapping):
        values = None  # iterable, but not a column of values
    try:
        return list(values)
    except TypeError:
        raise SchemaError(
            f"expected a sequence of values, got {type(values).__name__}",
            table=table,
            column=str(column),
        ) from None


def _require(table: str, present: Collection[str], held: Collection[Any] | None = None) -> None:
    """Refuse a non-empty table without every required column, naming all missing (and
    the names the rows hold instead: ``held``, else ``present``)."""
    missing = [c for c in _required(table) if c not in present]
    if missing:
        found = sorted(map(str, present if held is None else held))
        shown = ", ".join(found[:8]) + (" ..." if len(found) > 8 else "")
        raise SchemaError(
            f"required columns missing: {', '.join(missing)} (the rows hold: {shown}; "
            "give the data model's column names)",
            table=table,
            column=missing[0],
        )


def _not_mappings(table: str, rows: list[Any]) -> NoReturn:
    bad = [i for i, r in enumerate(rows) if not isinstance(r, Mapping)]
    kind = type(rows[bad[0]]).__name__ if bad else "?"
    raise SchemaError(
        f"expected each row as a mapping of column name -> value, got {kind}",
        table=table,
        rows=bad,
    )


def _times(values: Sequence[Any], table: str, column: str, state: dict[str, Any]) -> np.ndarray:
    """Float microseconds; vectorised for naive ``datetime`` values (and None)."""
    kinds = set(map(type, values))
    if kinds <= {_dt.datetime, type(None)}:
        out = _naive_micros(values)
        if out is not None:
            if _dt.datetime in kinds:
                _check_tz(False, table, column, state)
            return out
    # aware values, dates, NumPy or pandas timestamps: one at a time, checked
    return np.array([_micros(v, table, column, state) for v in values], dtype=np.float64)


def _naive_micros(values: Sequence[_dt.datetime | None]) -> np.ndarray | None:
    """Exact microseconds since the epoch of naive datetimes (None: NaN); ``None`` when
    some value is time-zone aware.

    ``(v - epoch) // 1 µs`` costs about 0.2 µs a value; pandas converts a long list in
    under half of that (to ``datetime64[us]`` integers, then one float conversion each,
    as ``float(int)`` does).
    """
    if len(values) < 64:  # pandas' fixed cost outweighs the saving
        try:
            micros = [np.nan if v is None else (v - _EPOCH) // _US for v in values]
        except TypeError:
            return None
        return np.array(micros, dtype=np.float64)
    import pandas as pd

    try:
        index = pd.DatetimeIndex(values if isinstance(values, list) else list(values))
    except (TypeError, ValueError):  # naive mixed with aware
        return None
    if index.tz is not None:
        return None
    out = index.as_unit("us").asi8.astype(np.float64)
    nulls = index.isna()
    if nulls.any():
        out[nulls] = np.nan
    return out


def _micros(value: Any, table: str, column: str, state: dict[str, Any]) -> float:
    if value is None:
        return np.nan
    if isinstance(value, _dt.datetime):
        if value != value:  # pandas' NaT: a missing time
            return np.nan
        aware = value.tzinfo is not None and value.utcoffset() is not None
        _check_tz(aware, table, column, state)
        delta = value - (_EPOCH_UTC if aware else _EPOCH)
        return float(delta // _US)
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return np.nan
        _check_tz(False, table, column, state)
        return float(value.astype("datetime64[us]").astype(np.int64))
    if isinstance(value, _dt.date):
        # as validation does: a date has no time of day, and reading it as midnight would
        # move the event (a refund's status_at, an order) earlier than it happened
        raise SchemaError(
            f"a date ({value.isoformat()}) has no time of day: give a datetime (the moment "
            "of the event)",
            table=table,
            column=column,
        )
    if isinstance(value, float) and np.isnan(value):
        return np.nan
    raise SchemaError(
        f"expected a timestamp, got {type(value).__name__}", table=table, column=column
    )


def _scalar_micros(value: Any, table: str, column: str, state: dict[str, Any]) -> float:
    out = _micros(value, table, column, state)
    if np.isnan(out):
        raise SchemaError("null application moment", table=table, column=column)
    return out


def _check_tz(aware: bool, table: str, column: str, state: dict[str, Any]) -> None:
    seen = state.setdefault("aware", aware)
    if seen != aware:
        first = state.get("where", "the application moment")
        raise SchemaError(
            f"naive and time-zone aware timestamps mixed (first seen: {first})",
            table=table,
            column=column,
        )
    state.setdefault("where", f"{table}.{column}")
