"""The data model's rules on one applicant's event arrays (the online path).

:func:`thinfile_credit.features.online.build_one` reads events without a dataframe, so
batch validation never sees them: these checks refuse what validation refuses (null ids,
ids of two kinds, rows breaking a row rule), naming table, column and rows, rather than
let a row silently drop out of a feature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from thinfile_credit.errors import DataError, SchemaError
from thinfile_credit.features._ids import ENTITY

#: Tables whose user_id names the applicant (edges also hold peers).
OWN_TABLES = ("orders", "bills", "loans", "profiles", "profile_changes")


#: The rows breaking each of the data model's row rules (``schema`` validation's
#: ``_ROW_RULES``, which name the table, column and message), on column arrays.
AT_FAULT: dict[str, Callable[[Mapping[str, np.ndarray]], Any]] = {
    "status_before_order": lambda a: a["status_at"] < a["ordered_at"],
    "due_before_issue": lambda a: a["due_at"] < a["issued_at"],
    "paid_before_issue": lambda a: a["paid_at"] < a["issued_at"],
    "paid_without_date": lambda a: (a["amount_paid"] > 0) & np.isnan(a["paid_at"]),
    "self_loop": lambda a: self_loops(a),
}


#: Key columns, never null (the data model's ids).
IDS = frozenset(ENTITY)


def no_null_ids(arr: np.ndarray, table: str, column: str) -> None:
    """Refuse missing ids (``None``, NaN, ``pd.NA``), as batch validation does."""
    import pandas as pd

    bad = np.flatnonzero(pd.isna(arr))
    if bad.size:
        raise SchemaError("null values", table=table, column=column, rows=bad.tolist())


def self_loops(a: Mapping[str, np.ndarray]) -> np.ndarray:
    """Edges linking a user to itself (ids are checked non-null before)."""
    return np.fromiter(
        (bool(u == p) for u, p in zip(a["user_id"], a["peer_id"])), bool, len(a["user_id"])
    )


def id_kind(value: Any) -> str | None:
    """``"integer"`` or ``"text"``; ``None`` for anything else (a bool, a fraction)."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer):
        return "integer"
    if isinstance(value, float | np.floating) and np.isfinite(value) and value == int(value):
        return "integer"  # a whole float, as a pandas integer column with nulls holds ids
    return None


def check_id_kinds(arrays: Mapping[str, Mapping[str, np.ndarray]], user_id: Any) -> None:
    """Refuse ids that are neither integers nor text, and ids of one entity of both kinds
    (``user_id=1`` never matches a row's ``"1"``: the rows would be silently left out).

    The reference kind of users is ``user_id``'s when given, else the first id column's,
    as batch validation's ``id_kind`` check takes the first table's.
    """
    refs: dict[str, tuple[str, str]] = {}
    if user_id is not None:
        kind = id_kind(user_id)
        if kind is None:
            raise SchemaError(
                f"user_id={user_id!r}: expected an integer or text identifier",
                table="applications",
                column="user_id",
            )
        refs["user"] = (f"the user_id argument ({user_id!r})", kind)
    for table, columns in arrays.items():
        for column, entity in ENTITY.items():
            ids = columns.get(column)
            if ids is None or not ids.size:
                continue
            kinds = column_kinds(ids, table, column)
            first = kinds if isinstance(kinds, str) else str(kinds[0])
            where, ref = refs.setdefault(entity, (f"{table}.{column}", first))
            if isinstance(kinds, str):
                off = np.arange(ids.size) if kinds != ref else np.empty(0, np.intp)
            else:
                off = np.flatnonzero(kinds != ref)
            if off.size:
                other = "text" if ref == "integer" else "integer"
                raise SchemaError(
                    f"id_kind: holds {other} ids but {where} holds {ref} ids; ids of one "
                    "entity must be of one kind (1 and '1' name different users)",
                    table=table,
                    column=column,
                    rows=off.tolist(),
                )


def column_kinds(ids: np.ndarray, table: str, column: str) -> str | np.ndarray:
    """The kind of a column's ids: one string when they are all integers or all text
    (the usual case: one C-level pass), else each id's kind."""
    if ids.size < 128:  # a set of types costs less than pandas' call
        types = set(map(type, ids.tolist()))
        if types == {int}:
            return "integer"
        if types == {str}:
            return "text"
    else:
        from pandas.api.types import infer_dtype

        inferred = infer_dtype(ids, skipna=False)
        if inferred == "integer":
            return "integer"
        if inferred == "string":
            return "text"
    kinds = [id_kind(v) for v in ids.tolist()]
    bad = [i for i, k in enumerate(kinds) if k is None]
    if bad:
        raise SchemaError(
            "expected integer or text identifiers", table=table, column=column, rows=bad
        )
    return np.array(kinds)


def check_rows(arrays: Mapping[str, Mapping[str, np.ndarray]]) -> None:
    """Refuse rows breaking the data model's row rules, as batch validation does (a
    status reached before its order, a bill due before it was issued, money paid without
    a date, a user linked to itself), naming table, column and rows."""
    from thinfile_credit.schema._checks import _ROW_RULES

    for table, columns in arrays.items():
        if not columns or not len(next(iter(columns.values()))):
            continue
        for rule in _ROW_RULES.get(table, ()):
            with np.errstate(invalid="ignore"):
                bad = np.flatnonzero(AT_FAULT[rule.check](columns))
            if bad.size:
                raise SchemaError(
                    f"{rule.check}: {rule.message}",
                    table=table,
                    column=rule.column,
                    rows=bad.tolist(),
                )


def no_nulls(arr: np.ndarray, table: str, column: str) -> None:
    """Refuse NaN in a float column that may hold no nulls."""
    bad = np.flatnonzero(np.isnan(arr))
    if bad.size:
        raise SchemaError("null values", table=table, column=column, rows=bad.tolist())


def infer_user(arrays: Mapping[str, dict[str, np.ndarray]]) -> Any:
    """The one user the own tables' rows name; ``None`` when there are no events at all
    (the no-history row is every user's)."""
    users: set[Any] = set()
    for name in OWN_TABLES:
        if name in arrays and "user_id" in arrays[name]:
            users.update(arrays[name]["user_id"].tolist())
    if len(users) > 1:
        raise DataError(
            f"events of several users ({sorted(map(str, users))[:5]}); pass user_id=",
            table="user_events",
            column="user_id",
        )
    if users:
        return users.pop()
    if any(len(next(iter(columns.values()), ())) for columns in arrays.values()):
        # only links or instalments: links name the applicant and peers alike, and
        # instalments name no user, so a guess would drop the applicant's links
        raise DataError(
            "user_id cannot be inferred: no orders, bills, loans or profile rows name the "
            "applicant; pass user_id=",
            table="user_events",
            column="user_id",
        )
    return None
