"""The :class:`EventTables` container: any subset of the data model's tables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import Any

import polars as pl

from thinfile_credit._frames import FrameKind, from_polars, to_polars

__all__ = ["EventTables"]


@dataclass(frozen=True)
class EventTables:
    """A lender's platform tables, each optional, as native frames.

    Frames may be pandas, Polars or PyArrow (one kind across the container is usual but
    not required). Nothing is copied or converted at construction: validation happens in
    :meth:`validate`, conversion at the edge of each computation.

    Parameters
    ----------
    applications, orders, bills, loans, installments, edges, profiles, profile_changes
        The tables described in :data:`thinfile_credit.schema.TABLES`; ``None`` when the
        platform does not provide one.

    Examples
    --------
    >>> import pandas as pd
    >>> tables = EventTables(orders=pd.DataFrame({"order_id": [1]}))
    >>> tables.names()
    ('orders',)
    """

    applications: Any = None
    orders: Any = None
    bills: Any = None
    loans: Any = None
    installments: Any = None
    edges: Any = None
    profiles: Any = None
    profile_changes: Any = None

    def names(self) -> tuple[str, ...]:
        """Names of the tables present, in data-model order."""
        return tuple(f.name for f in fields(self) if getattr(self, f.name) is not None)

    def __getitem__(self, name: str) -> Any:
        if name not in {f.name for f in fields(self)}:
            raise KeyError(f"unknown table {name!r}")
        return getattr(self, name)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for name in self.names():
            yield name, getattr(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        """The table ``name`` or ``default`` when absent."""
        value = self[name]
        return default if value is None else value

    def replace(self, **tables: Any) -> EventTables:
        """A copy with some tables replaced (or removed with ``None``)."""
        return replace(self, **tables)

    def to_polars(self) -> dict[str, pl.DataFrame]:
        """Every present table as a Polars DataFrame, by name."""
        return {name: to_polars(frame, table=name)[0] for name, frame in self}

    def to_kind(self, kind: FrameKind) -> EventTables:
        """Every present table converted to ``kind`` ("pandas", "polars", "pyarrow")."""
        return EventTables(**{n: from_polars(df, kind) for n, df in self.to_polars().items()})

    def validate(self) -> EventTables:
        """Check every present table against the data model and the others.

        Returns
        -------
        EventTables
            ``self``, so calls chain: ``tables = EventTables(...).validate()``.

        Raises
        ------
        SchemaError
            Naming the table, column and example offending rows.
        """
        from thinfile_credit.schema.validate import validate_tables

        validate_tables(self)
        return self
