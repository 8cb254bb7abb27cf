"""How the batch builder reads id columns, so ids of one entity compare across tables.

The feature kernels join and group on 64-bit integer or text ids, and hold values as
float64, which tells integers apart only up to ``2**53``. Validation accepts ids that do
not arrive so (it reads them the same way): whole-number floats (pandas stores an integer
column that held a missing value as float64), unsigned 64-bit hashes above ``2**63``, and
hashed ids beyond ``2**53``. Casting them blindly fails inside a join or changes them
(``7.0`` becomes the text ``"7.0"``, which matches no ``7``), and two hashed neighbours
read as one merge in the social features' distinct counts. :func:`normalise_ids` chooses
one exact reading per entity (users and peers; loans) or refuses the tables, naming
table, column and rows, even when validation is off.

Examples
--------
>>> import polars as pl
>>> from thinfile_credit.features._ids import normalise_ids
>>> tables = {"applications": pl.DataFrame({"user_id": [7, 8]}),
...           "orders": pl.DataFrame({"user_id": [7.0, 8.0]})}
>>> normalise_ids(tables)["orders"]["user_id"].to_list()
[7, 8]
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from thinfile_credit._keys import align_key, key_kind
from thinfile_credit.errors import SchemaError

__all__ = ["ENTITY", "normalise_ids"]

#: Id columns and the entity they name (a peer is a user), as validation groups them.
ENTITY = {"user_id": "user", "peer_id": "user", "loan_id": "loan"}
#: The largest integer float64 holds exactly, with all below it.
_EXACT = 2**53


def normalise_ids(tables: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """``tables`` with every id column read one way per entity: integers as ``Int64``
    (whole floats included; when some id lies beyond ``2**53``, every id of the entity
    replaced by its rank among them all), text as ``String``.

    Raises
    ------
    SchemaError
        Ids of one entity of both kinds (integer and text), floats that are not whole
        numbers (or beyond 64 bits), or an id column of another type (booleans, dates).
    """
    kinds: dict[str, list[tuple[str, str, str]]] = {}
    for table, df in tables.items():
        for column, entity in ENTITY.items():
            if column in df.columns and df.schema[column] != pl.Null:
                kind = key_kind(df.schema[column])
                if kind == "other":
                    raise SchemaError(
                        f"expected integer or text identifiers, got {df.schema[column]}",
                        table=table,
                        column=column,
                    )
                kinds.setdefault(entity, []).append((table, column, kind))
    reads: dict[tuple[str, str], pl.Series] = {}
    for columns in kinds.values():
        first_table, first_column, first = columns[0]
        first_kind = "text" if first == "text" else "integer"
        for table, column, kind in columns:
            if ("text" if kind == "text" else "integer") != first_kind:
                raise SchemaError(
                    f"id_kind: holds {'text' if kind == 'text' else 'integer'} ids but "
                    f"{first_table}.{first_column} holds {first_kind} ids; ids of one entity "
                    "must be of one kind in every table (1 and '1' name different users)",
                    table=table,
                    column=column,
                )
        if first_kind == "text":
            reads.update({(t, c): tables[t][c].cast(pl.String) for t, c, _ in columns})
        else:
            reads.update(_integer_reads(tables, [(t, c) for t, c, _ in columns]))
    out = dict(tables)
    for (table, column), series in reads.items():
        out[table] = out[table].with_columns(series.alias(column))
    return out


def _integer_reads(
    tables: Mapping[str, pl.DataFrame], columns: list[tuple[str, str]]
) -> dict[tuple[str, str], pl.Series]:
    """Int64 readings of one entity's integer (or whole float) id columns.

    The feature kernels hold values as float64, which tells integers apart only up to
    ``2**53``: beyond it two users' ids can read as one (a distinct count of neighbours
    with hashed ids would merge them). When any id lies beyond, every id of the entity
    is replaced by its rank among all of them, in every table alike: the same order and
    equalities, in a range float64 holds exactly.
    """
    values = {}
    for table, column in columns:
        series = tables[table][column]
        if series.dtype.is_float():
            series = align_key(
                series, pl.Int64(), table=table, column=column, reference="64-bit integer ids"
            )
        values[(table, column)] = series
    if not any(_beyond_exact(s) for s in values.values()):
        return {key: s if s.dtype == pl.Int64 else s.cast(pl.Int64) for key, s in values.items()}
    every = pl.concat([s.cast(pl.Int128) for s in values.values()])
    ranks = every.rank("dense").cast(pl.Int64)
    out, start = {}, 0
    for key, s in values.items():
        out[key] = ranks.slice(start, s.len())
        start += s.len()
    return out


def _beyond_exact(ids: pl.Series) -> bool:
    """Whether some id is an integer float64 cannot hold exactly."""
    low, high = ids.min(), ids.max()
    return low is not None and (int(low) < -_EXACT or int(high) > _EXACT)  # type: ignore[arg-type]
