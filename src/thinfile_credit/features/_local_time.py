"""Local clocks: the wall-clock reading of a time column, for hours of day and calendar days.

Every engine holds a time as integer microseconds since 1970-01-01: a naive timestamp as
its wall-clock reading, a time-zone-aware one as its instant (its reading in UTC), so
windows compare instants. A local hour or calendar day (``cons_night_share_*``,
``cons_active_days_*``) needs a wall clock instead, which an expression reads from the
*local clock* of the column, a virtual column named after it (:func:`local_clock`):

* ``ordered_at@local``: each event's wall clock in its own zone - a naive timestamp as
  given, an aware one in its column's zone (its own ``utcoffset()`` online, the session
  time zone for a Spark ``TimestampType``), daylight saving included;
* ``ordered_at@Asia/Shanghai``: the wall clock of the instant in that zone (a naive
  timestamp is read as UTC).

A local clock is computed (*materialised*, as a column beside its base column) only when
it differs from the base column: the own clock of a naive or UTC column, and the UTC clock
of any column, *are* the base column, and the plan reads that instead
(:meth:`~thinfile_credit.features._plan.Plan.localised`), so naive data does no extra
work per event.

Examples
--------
>>> local_clock("ordered_at").key
'col(ordered_at@local)'
>>> parse_clock("ordered_at@Asia/Shanghai")
('ordered_at', 'Asia/Shanghai')
>>> needs_column("ordered_at@local", None), needs_column("ordered_at@local", "Asia/Shanghai")
(False, True)
"""

from __future__ import annotations

import datetime as _dt
import zoneinfo
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from thinfile_credit.errors import SpecError
from thinfile_credit.features._expr import Expr, col

__all__ = [
    "add_numpy_clocks",
    "check_zone",
    "clocks_of",
    "clocks_read",
    "computed_clocks",
    "local_clock",
    "needs_column",
    "numpy_clock",
    "parse_clock",
    "polars_clock",
    "read_from_base",
    "rename_columns",
]

_SEP = "@"
#: The zone part of a column's own clock (no IANA zone is called so).
_OWN = "local"
_EPOCH_UTC = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_US = _dt.timedelta(microseconds=1)


def local_clock(column: str, zone: str | None = None) -> Expr:
    """The wall clock of ``column`` in microseconds: in each event's own zone (``None``)
    or in the IANA ``zone`` (instants read there, naive timestamps taken as UTC)."""
    return col(f"{column}{_SEP}{zone or _OWN}")


def parse_clock(name: str) -> tuple[str, str | None] | None:
    """``(base column, zone)`` of a local clock's name (zone ``None``: the column's own);
    ``None`` for an ordinary column."""
    base, sep, zone = name.partition(_SEP)
    if not sep:
        return None
    return base, (None if zone == _OWN else zone)


def clocks_of(bases: Collection[str], present: Iterable[str]) -> tuple[str, ...]:
    """The local clocks of the ``bases`` columns among the ``present`` column names."""
    return tuple(c for c in present if _SEP in c and c.partition(_SEP)[0] in bases)


def needs_column(name: str, column_zone: str | None) -> bool:
    """Whether the clock ``name`` of a base column in ``column_zone`` (``None``: naive)
    differs from the base column, so has to be computed."""
    parsed = parse_clock(name)
    assert parsed is not None
    zone = parsed[1]
    if zone is None:
        return column_zone not in (None, "UTC")
    return zone != "UTC"


def computed_clocks(
    clocks: Iterable[str], zones: Iterable[tuple[str, str | None]]
) -> frozenset[str]:
    """The ``clocks`` to compute, given the ``(column, zone)`` of the time columns of the
    tables (zone ``None``: naive): those differing from a base column present."""
    zones = list(zones)
    out = set()
    for clock in clocks:
        base = clock.partition(_SEP)[0]
        if any(c == base and needs_column(clock, zone) for c, zone in zones):
            out.add(clock)
    return frozenset(out)


def read_from_base(name: str) -> str | None:
    """The base column of clock ``name`` if the clock equals it whenever it is not
    computed (the own clock of a naive or UTC column, the UTC clock), else ``None``."""
    parsed = parse_clock(name)
    return parsed[0] if parsed is not None and parsed[1] in (None, "UTC") else None


def clocks_read(exprs: Iterable[Expr]) -> frozenset[str]:
    """The local clocks the expressions read."""
    found: set[str] = set()
    stack = list(exprs)
    while stack:
        e = stack.pop()
        if e.op == "col":
            if parse_clock(e.args[0]) is not None:
                found.add(e.args[0])
            continue
        stack.extend(a for a in e.args if isinstance(a, Expr))
    return frozenset(found)


def rename_columns(expr: Expr, names: Mapping[str, str]) -> Expr:
    """``expr`` reading column ``names[c]`` wherever it read ``c``."""
    if expr.op == "col":
        return Expr("col", names.get(expr.args[0], expr.args[0]))
    if expr.op == "lit":
        return expr
    args = [rename_columns(a, names) if isinstance(a, Expr) else a for a in expr.args]
    return Expr(expr.op, *args)


def check_zone(zone: Any, owner: str) -> str:
    """An IANA time-zone name, or a :class:`SpecError` naming ``owner`` (the field)."""
    if not isinstance(zone, str) or not zone or _SEP in zone:
        raise SpecError(f"{owner} must be an IANA time-zone name such as 'Asia/Shanghai'")
    import polars as pl

    try:
        zoneinfo.ZoneInfo(zone)
        # Polars ships its own zone database: names only the system's knows ("localtime",
        # "posixrules", "Factory") would otherwise fail at build time, untyped
        pl.Series([0], dtype=pl.Datetime("us", "UTC")).dt.convert_time_zone(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError, pl.exceptions.PolarsError):
        raise SpecError(f"{owner}: unknown time zone {zone!r}") from None
    return zone


# ---------------------------------------------------------------------------------------
# computing a clock: Polars (batch) and NumPy (online); Spark's is in features.spark
# ---------------------------------------------------------------------------------------


def polars_clock(name: str, schema: Mapping[str, Any]) -> Any:
    """The Polars expression computing clock ``name`` from its base column in a frame of
    ``schema``."""
    import polars as pl

    parsed = parse_clock(name)
    assert parsed is not None
    base, zone = parsed
    dtype = schema[base]
    if not isinstance(dtype, pl.Datetime):  # an entirely null column: so is its clock
        return pl.lit(None, dtype=pl.Int64).alias(name)
    x = pl.col(base)
    if zone is not None:
        aware = x if dtype.time_zone is not None else x.dt.replace_time_zone("UTC")
        x = aware.dt.convert_time_zone(zone)
    if zone is not None or dtype.time_zone is not None:
        # dropping the zone keeps each value's wall clock, daylight saving included
        x = x.dt.replace_time_zone(None)
    return x.dt.epoch("us").alias(name)


def numpy_clock(name: str, instants: np.ndarray, values: Sequence[Any] | None) -> np.ndarray:
    """Clock ``name`` online: float microseconds (NaN = null) from the base column's
    ``instants`` and, for a column's own clock, its raw ``values`` (each aware datetime's
    own ``utcoffset()``)."""
    parsed = parse_clock(name)
    assert parsed is not None
    zone = parsed[1]
    if zone is None:
        if values is None:
            return instants
        offsets = [_offset(v) for v in values]
    else:
        tz = zoneinfo.ZoneInfo(zone)
        offsets = [
            _offset((_EPOCH_UTC + _dt.timedelta(microseconds=m)).astimezone(tz)) if m == m else 0
            for m in instants.tolist()
        ]
    return instants + np.array(offsets, dtype=np.float64)


def _offset(value: Any) -> int:
    """Microseconds a datetime's wall clock is ahead of UTC (0: naive, or a null: its
    instant is NaN already; pd.NaT is a datetime unequal to itself)."""
    off = value.utcoffset() if isinstance(value, _dt.datetime) and value == value else None
    return off // _US if off else 0


def add_numpy_clocks(
    arrays: Mapping[str, dict[str, np.ndarray]],
    raw: Mapping[str, Mapping[str, Sequence[Any]]],
    clocks: Iterable[str],
    aware: bool,
) -> None:
    """Add to each table's ``arrays`` the ``clocks`` of its columns that differ from them
    (online): the own clock only when the timestamps are ``aware``; ``raw`` holds each
    table's values as given."""
    for clock in clocks:
        parsed = parse_clock(clock)
        assert parsed is not None
        base, zone = parsed
        if zone == "UTC" or (zone is None and not aware):
            continue
        for table, columns in arrays.items():
            if base in columns:
                values = raw.get(table, {}).get(base)
                columns[clock] = numpy_clock(clock, columns[base], values)
