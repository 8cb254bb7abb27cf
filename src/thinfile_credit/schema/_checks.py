"""The check engine behind :mod:`thinfile_credit.schema.validate`.

A table is read once into Polars (:func:`read_table`, structural checks), then every
value check of the table becomes one boolean Polars expression "this row is at fault".
:func:`_evaluate` sums all of a table's expressions in a single ``select`` (Polars runs
them in parallel) and fetches example rows only for the checks that fail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from thinfile_credit._frames import (
    DUPLICATE_NAME,
    UnreadableFrameError,
    column_names,
    frame_kind,
    missing_objects_as_null,
    select_columns,
    to_polars,
)
from thinfile_credit.errors import DataError
from thinfile_credit.schema._zones import zone_key
from thinfile_credit.schema.problems import MAX_EXAMPLES, SchemaProblem
from thinfile_credit.schema.tables import ColumnSpec, LogicalType, TableSpec

__all__ = [
    "ReadTable",
    "cross_table_problems",
    "id_kind_problems",
    "read_table",
    "table_value_problems",
    "time_zone_problems",
]

_ROW = "__thinfile_row__"
_DISBURSED = "__thinfile_disbursed_at__"

#: Columns holding ids of one entity under different names.
_ID_FAMILY = {"peer_id": "user_id"}

_WANTED: dict[LogicalType, str] = {
    "id": "integer or text identifiers",
    "datetime": "timestamps (a datetime dtype)",
    "float": "numbers",
    "int": "integers",
    "string": "text",
}


@dataclass(frozen=True)
class _RowRule:
    """A relation between columns of one row that must hold."""

    column: str
    check: str
    message: str
    needs: tuple[str, ...]
    at_fault: pl.Expr


# Bills and instalments share it: money recorded as paid needs the moment it was paid.
_PAID_WITHOUT_DATE = _RowRule(
    "amount_paid",
    "paid_without_date",
    "amount_paid above 0 but paid_at is null",
    ("amount_paid", "paid_at"),
    (pl.col("amount_paid") > 0) & pl.col("paid_at").is_null(),
)


_ROW_RULES: dict[str, tuple[_RowRule, ...]] = {
    "orders": (
        # A status decided before the order existed is a data fault, and would make a
        # refund look known at moments the order was not even placed.
        _RowRule(
            "status_at",
            "status_before_order",
            "status reached before ordered_at",
            ("status_at", "ordered_at"),
            pl.col("status_at") < pl.col("ordered_at"),
        ),
    ),
    "bills": (
        _RowRule(
            "due_at",
            "due_before_issue",
            "due before issued_at",
            ("due_at", "issued_at"),
            pl.col("due_at") < pl.col("issued_at"),
        ),
        _RowRule(
            "paid_at",
            "paid_before_issue",
            "paid before issued_at",
            ("paid_at", "issued_at"),
            pl.col("paid_at") < pl.col("issued_at"),
        ),
        _PAID_WITHOUT_DATE,
    ),
    "installments": (_PAID_WITHOUT_DATE,),
    "edges": (
        _RowRule(
            "peer_id",
            "self_loop",
            "links a user to itself (peer_id == user_id)",
            ("user_id", "peer_id"),
            pl.col("user_id") == pl.col("peer_id"),
        ),
    ),
}


@dataclass
class ReadTable:
    """A table read into Polars with the outcome of its structural checks."""

    spec: TableSpec
    df: pl.DataFrame | None
    problems: list[SchemaProblem]
    #: Spec columns present with a fitting dtype (single-column checks run on these).
    good: set[str]
    #: Good columns that may not be compared with others (time zone or id kind differs).
    incomparable: set[str] = field(default_factory=set)

    @property
    def comparable(self) -> set[str]:
        """Columns usable in checks relating two columns or two tables."""
        return self.good - self.incomparable


def read_table(frame: Any, spec: TableSpec) -> ReadTable:
    """Read ``frame`` into Polars and check its columns and dtypes against ``spec``."""
    problems: list[SchemaProblem] = []
    df, unusable = _read_frame(frame, spec, problems)
    if df is None:
        return ReadTable(spec, None, problems, set())
    for name in spec.required_columns:
        if name not in df.columns and name not in unusable:
            problems.append(
                SchemaProblem(spec.name, name, "missing_column", "required column is missing")
            )
    df, float_problems = _whole_floats_as_integers(df, spec)
    problems += float_problems
    unusable |= {str(p.column) for p in float_problems}
    good: set[str] = set()
    for col in spec.columns:
        if col.name not in df.columns or col.name in unusable:
            continue
        dtype = df.schema[col.name]
        if _fits(dtype, col.dtype):
            good.add(col.name)
        else:
            problems.append(SchemaProblem(spec.name, col.name, "dtype", _dtype_message(dtype, col)))
    return ReadTable(spec, df, problems, good)


def time_zone_problems(read: Mapping[str, ReadTable]) -> list[SchemaProblem]:
    """Every timestamp column must share the time zone of the first one (or be naive);
    names of one zone (``"UTC"``, ``"Etc/UTC"``, ``"+00:00"``) are that one zone."""
    out: list[SchemaProblem] = []
    ref: tuple[str, str | None] | None = None
    for name, table in read.items():
        for col, dtype in _typed_columns(table, "datetime"):
            if not isinstance(dtype, pl.Datetime):
                continue  # an all-null column has no time zone to disagree with
            tz = dtype.time_zone
            if ref is None:
                ref = (f"{name}.{col}", tz)
            elif tz == ref[1]:
                continue
            elif zone_key(tz) == zone_key(ref[1]) and table.df is not None:
                # another name of the zone: shown in the first name (the same instants),
                # as Polars compares two columns only under one zone name
                as_ref = pl.col(col).dt.convert_time_zone(str(ref[1]))
                table.df = table.df.with_columns(as_ref)
            else:
                out.append(SchemaProblem(name, col, "time_zone", _tz_message(tz, *ref)))
                table.incomparable.add(col)
    return out


def id_kind_problems(read: Mapping[str, ReadTable]) -> list[SchemaProblem]:
    """Ids of one entity must be all integers or all text, in every table."""
    out: list[SchemaProblem] = []
    refs: dict[str, tuple[str, str]] = {}
    for name, table in read.items():
        for col, dtype in _typed_columns(table, "id"):
            if dtype == pl.Null:
                continue
            kind = "integer" if dtype.is_integer() else "text"
            family = _ID_FAMILY.get(col, col)
            ref = refs.setdefault(family, (f"{name}.{col}", kind))
            if kind != ref[1]:
                message = (
                    f"holds {kind} ids but {ref[0]} holds {ref[1]} ids; ids of one entity "
                    "must be of one kind in every table"
                )
                out.append(SchemaProblem(name, col, "id_kind", message))
                table.incomparable.add(col)
    return out


def table_value_problems(table: ReadTable) -> list[SchemaProblem]:
    """Nulls, NaN/inf, minimums, allowed values, key uniqueness and row rules."""
    if table.df is None:
        return []
    schema = table.df.schema
    checks: list[tuple[str, str, str, pl.Expr]] = []
    for spec in table.spec.columns:
        if spec.name not in table.good:
            continue
        c, dtype = pl.col(spec.name), schema[spec.name]
        if not spec.nullable:
            checks.append((spec.name, "null", "null in a column that allows none", c.is_null()))
        if dtype.is_float():
            checks.append((spec.name, "nan", "NaN value (use null for missing)", c.is_nan()))
            checks.append((spec.name, "infinite", "infinite value", c.is_infinite()))
        if spec.min_value is not None and dtype.is_numeric():
            message = f"value below the minimum {spec.min_value:g}"
            checks.append((spec.name, "min_value", message, c < spec.min_value))
        if spec.allowed is not None and _is_text(dtype):
            message = f"value outside the allowed set ({', '.join(spec.allowed)})"
            outside = c.is_not_null() & ~c.cast(pl.String).is_in(list(spec.allowed))
            checks.append((spec.name, "allowed", message, outside))
    key = table.spec.key
    if key and all(k in table.good for k in key) and _has_duplicates(table.df, key):
        dup = pl.col(key[0]).is_duplicated() if len(key) == 1 else pl.struct(key).is_duplicated()
        message = f"duplicated key ({', '.join(key)} must be unique)"
        checks.append((_location(key), "duplicate_key", message, dup))
    for rule in _ROW_RULES.get(table.spec.name, ()):
        if all(c in table.comparable for c in rule.needs):
            checks.append((rule.column, rule.check, rule.message, rule.at_fault))
    problems = _evaluate(table.spec.name, table.df.with_row_index(_ROW), checks)
    return [_with_key_example(p, table.df, key) for p in problems]


def cross_table_problems(read: Mapping[str, ReadTable]) -> list[SchemaProblem]:
    """Declared foreign keys resolve; instalments are not due or paid before disbursal."""
    out: list[SchemaProblem] = []
    for name, table in read.items():
        for col, other_name, other_col in table.spec.foreign_keys:
            other = read.get(other_name)
            if (
                other is None
                or table.df is None
                or other.df is None
                or col not in table.comparable
                or other_col not in other.comparable
            ):
                continue
            known = _normalised_id(other.df.get_column(other_col)).drop_nulls().unique()
            values = _normalised_id(table.df.get_column(col))
            if values.dtype != known.dtype:
                continue  # id kinds differ: reported by id_kind_problems
            unknown = pl.col(col).is_not_null() & ~pl.col(col).is_in(known.implode())
            message = f"{col} not found in {other_name}.{other_col}"
            out += _evaluate(
                name,
                values.to_frame(col).with_row_index(_ROW),
                [(col, "foreign_key", message, unknown)],
            )
    out += _installment_timing_problems(read)
    return out


# --------------------------------------------------------------------------- helpers


def _read_frame(
    frame: Any, spec: TableSpec, problems: list[SchemaProblem]
) -> tuple[pl.DataFrame | None, set[str]]:
    """Convert to Polars, reporting (not raising) what makes columns unreadable.

    Only the columns of ``spec`` are read: extra columns are ignored, even one that
    cannot be converted.
    """
    try:
        kind = frame_kind(frame)
        frame = select_columns(frame, [c.name for c in spec.columns], kind=kind)
    except DataError as exc:
        problems.append(SchemaProblem(spec.name, None, "unreadable", exc.message))
        return None, set()
    unusable: set[str] = set()
    if kind == "pandas":
        frame = _pandas_prechecks(frame, spec, problems, unusable)
    try:
        df = to_polars(frame, table=spec.name)[0]
    except DataError as exc:
        # Name the culprit columns (to_polars probed them one at a time) and read the others.
        culprits = exc.culprits if isinstance(exc, UnreadableFrameError) else ()
        if not culprits:
            problems.append(SchemaProblem(spec.name, None, "unreadable", exc.message))
            return None, unusable
        for c in culprits:
            check = "duplicate_column" if c.message == DUPLICATE_NAME else "dtype"
            rows = c.rows[:MAX_EXAMPLES]
            problems.append(SchemaProblem(spec.name, c.column, check, c.message, len(c.rows), rows))
            unusable.add(c.column)
        readable = [n for n in column_names(frame, kind) if n not in unusable]
        frame = select_columns(frame, readable, kind=kind)
        try:
            df = to_polars(frame, table=spec.name)[0]
        except DataError as again:
            problems.append(SchemaProblem(spec.name, None, "unreadable", again.message))
            return None, unusable
    return missing_objects_as_null(frame, kind, df), unusable


def _whole_floats_as_integers(
    df: pl.DataFrame, spec: TableSpec
) -> tuple[pl.DataFrame, list[SchemaProblem]]:
    """Read float id/int columns holding only whole numbers (and nulls) as Int64.

    pandas stores an integer column with missing values as float64 (``NaN`` for null),
    so a nullable ``loans.application_id`` usually arrives as floats; rejecting it would
    punish the most common frame library for its storage, not for a data fault. A float
    column that cannot be read so (a fraction, NaN, infinity, or a whole number outside
    the 64-bit integer range) is reported as a dtype problem naming those rows.
    """
    candidates = [
        c
        for c in spec.columns
        if c.dtype in ("id", "int") and c.name in df.columns and df.schema[c.name].is_float()
    ]
    if not candidates:
        return df, []
    checks = []
    for col in candidates:
        c = pl.col(col.name)
        fraction = c.is_nan() | c.is_infinite() | (c.round(0) != c)
        beyond = ~fraction & ((c < -(2.0**63)) | (c >= 2.0**63))
        got = f"expected {_WANTED[col.dtype]}, got {df.schema[col.name]}"
        checks.append(
            (col.name, "dtype", f"{got} holding values that are not whole numbers", fraction)
        )
        message = f"{got} holding whole numbers beyond the 64-bit integer range"
        checks.append((col.name, "dtype", message, beyond))
    problems = _evaluate(spec.name, df.with_row_index(_ROW), checks)
    at_fault = {p.column for p in problems}
    cast = [pl.col(c.name).cast(pl.Int64) for c in candidates if c.name not in at_fault]
    return (df.with_columns(cast) if cast else df), problems


def _pandas_prechecks(
    frame: Any, spec: TableSpec, problems: list[SchemaProblem], unusable: set[str]
) -> Any:
    """Checks pandas needs before conversion; ``frame`` without duplicated columns."""
    duplicated = frame.columns[frame.columns.duplicated()].unique()
    for name in duplicated:
        problems.append(SchemaProblem(spec.name, str(name), "duplicate_column", DUPLICATE_NAME))
        unusable.add(str(name))
    if len(duplicated):
        frame = frame.loc[:, ~frame.columns.isin(duplicated)]
    for col in spec.columns:
        if col.dtype != "datetime" or col.name not in frame.columns:
            continue
        values = frame[col.name]
        if values.dtype == object and values.notna().any():
            # pandas keeps timestamps as Python objects when one column mixes naive and
            # aware values or several time zones; conversion would silently shift them.
            # (An object column holding no value at all is read as null, see
            # missing_objects_as_null.)
            message = _object_datetime_message(values)
            problems.append(SchemaProblem(spec.name, col.name, "dtype", message))
            unusable.add(col.name)
    return frame


def _object_datetime_message(values: Any) -> str:
    # One sample value is enough to tell text or dates apart from mixed timestamps.
    first = values.loc[values.notna()].iloc[0]
    if isinstance(first, str):
        return "holds text, not timestamps; parse it with pd.to_datetime"
    if isinstance(first, dt.date) and not isinstance(first, dt.datetime):
        return "holds datetime.date objects, not timestamps; convert with pd.to_datetime"
    return (
        "holds Python objects, not datetime64 values (naive and time-zone-aware "
        "timestamps, or several time zones, mixed in one column?); convert it with "
        "pd.to_datetime(..., utc=True) or tz_localize"
    )


def _installment_timing_problems(read: Mapping[str, ReadTable]) -> list[SchemaProblem]:
    inst, loans = read.get("installments"), read.get("loans")
    if inst is None or loans is None or inst.df is None or loans.df is None:
        return []
    if not {"loan_id", "disbursed_at"} <= loans.comparable or "loan_id" not in inst.comparable:
        return []
    left_id = _normalised_id(inst.df.get_column("loan_id"))
    right_id = _normalised_id(loans.df.get_column("loan_id"))
    if left_id.dtype != right_id.dtype:
        return []
    timed = [c for c in ("due_at", "paid_at") if c in inst.comparable]
    if not timed:
        return []
    left = inst.df.select(timed).with_columns(left_id.alias("loan_id")).with_row_index(_ROW)
    # A duplicated loan_id is reported as a key problem; join on its first row only.
    right = pl.DataFrame(
        {"loan_id": right_id, _DISBURSED: loans.df.get_column("disbursed_at")}
    ).unique("loan_id", keep="first", maintain_order=True)
    joined = left.join(right, on="loan_id", how="left", maintain_order="left")
    names = {"due_at": "due_before_disbursed", "paid_at": "paid_before_disbursed"}
    verbs = {"due_at": "due", "paid_at": "paid"}
    checks = [
        (c, names[c], f"{verbs[c]} before its loan's disbursed_at", pl.col(c) < pl.col(_DISBURSED))
        for c in timed
    ]
    return _evaluate("installments", joined, checks)


def _evaluate(
    table: str, df: pl.DataFrame, checks: Iterable[tuple[str, str, str, pl.Expr]]
) -> list[SchemaProblem]:
    """Count the rows failing each check in one pass; quote examples of those that fail.

    ``df`` carries the original row positions in the column ``_ROW``.
    """
    checks = list(checks)
    if not checks:
        return []
    masks = [expr.fill_null(False) for _, _, _, expr in checks]
    counts = df.select([m.sum().alias(f"c{i}") for i, m in enumerate(masks)]).row(0)
    out: list[SchemaProblem] = []
    for (column, check, message, _), mask, n in zip(checks, masks, counts):
        if not n:
            continue
        examples = df.lazy().filter(mask).select(_ROW).head(MAX_EXAMPLES).collect()
        rows = examples.get_column(_ROW).to_list()
        out.append(SchemaProblem(table, column, check, message, int(n), tuple(rows)))
    return out


def _with_key_example(
    problem: SchemaProblem, df: pl.DataFrame, key: tuple[str, ...]
) -> SchemaProblem:
    """Quote the first duplicated key value: rows alone do not say which ids collide."""
    if problem.check != "duplicate_key" or not problem.rows:
        return problem
    values = df.row(problem.rows[0], named=True)
    example = ", ".join(f"{k}={values[k]!r}" for k in key)
    message = f"duplicated key ({', '.join(key)} must be unique; first repeated: {example})"
    return replace(problem, message=message)


def _has_duplicates(df: pl.DataFrame, key: tuple[str, ...]) -> bool:
    # Counting distinct keys is several times faster than marking duplicated rows
    # (instant on an already sorted id column), and valid tables are the common case.
    distinct = pl.col(key[0]).n_unique() if len(key) == 1 else pl.struct(key).n_unique()
    return bool(df.select(distinct).item() < df.height)


def _typed_columns(table: ReadTable, logical: LogicalType) -> list[tuple[str, pl.DataType]]:
    if table.df is None:
        return []
    schema = table.df.schema
    return [
        (c.name, schema[c.name])
        for c in table.spec.columns
        if c.dtype == logical and c.name in table.good
    ]


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))


def _fits(dtype: pl.DataType, logical: LogicalType) -> bool:
    if dtype == pl.Null:
        return True  # entirely null: fits any type; the null check judges it
    if logical == "id":
        return dtype.is_integer() or _is_text(dtype)
    if logical == "datetime":
        return isinstance(dtype, pl.Datetime)
    if logical == "float":
        return dtype.is_numeric()
    if logical == "int":
        return dtype.is_integer()
    return _is_text(dtype)


def _dtype_message(dtype: pl.DataType, col: ColumnSpec) -> str:
    message = f"expected {_WANTED[col.dtype]}, got {dtype}"
    if col.dtype == "datetime" and dtype == pl.String:
        message += "; parse the text with pd.to_datetime or pl.col(...).str.to_datetime"
    elif col.dtype == "datetime" and dtype == pl.Date:
        message += "; cast the dates to datetimes"
    return message


def _tz_message(tz: str | None, ref_location: str, ref_tz: str | None) -> str:
    rule = "all timestamps must be naive or all in one time zone"
    if ref_tz is None:
        return f"is time-zone aware ({tz}) but {ref_location} is naive; {rule}"
    if tz is None:
        return f"is naive but {ref_location} is time-zone aware ({ref_tz}); {rule}"
    return f"has time zone {tz} but {ref_location} has {ref_tz}; {rule}"


def _location(columns: tuple[str, ...]) -> str:
    return columns[0] if len(columns) == 1 else f"({', '.join(columns)})"


def _normalised_id(values: pl.Series) -> pl.Series:
    """Cast ids to one dtype per kind so different widths compare.

    Text ids become ``String``; integer ids ``Int128``, which holds every signed and
    unsigned 64-bit value (a hashed ``UInt64`` id above 2**63 included).
    """
    return values.cast(pl.String) if _is_text(values.dtype) else values.cast(pl.Int128)
