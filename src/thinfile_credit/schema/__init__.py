"""The event data model: table specs, the :class:`EventTables` container and validation."""

from thinfile_credit.schema.event_tables import EventTables
from thinfile_credit.schema.tables import (
    ORDER_STATUSES,
    PROFILE_CHANGE_KINDS,
    TABLES,
    ColumnSpec,
    TableSpec,
)

__all__ = [
    "ORDER_STATUSES",
    "PROFILE_CHANGE_KINDS",
    "TABLES",
    "ColumnSpec",
    "EventTables",
    "TableSpec",
]
