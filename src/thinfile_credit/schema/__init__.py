"""The event data model: table specs, the :class:`EventTables` container and validation.

Examples
--------
>>> from thinfile_credit.schema import TABLES, EventTables
>>> TABLES["installments"].key
('loan_id', 'installment_no')
>>> EventTables().validate().names()
()
"""

from thinfile_credit.schema.event_tables import EventTables
from thinfile_credit.schema.problems import SchemaProblem, SchemaValidationError, problems_frame
from thinfile_credit.schema.tables import (
    ORDER_STATUSES,
    PROFILE_CHANGE_KINDS,
    TABLES,
    ColumnSpec,
    TableSpec,
)
from thinfile_credit.schema.validate import validate_table, validate_tables

__all__ = [
    "ORDER_STATUSES",
    "PROFILE_CHANGE_KINDS",
    "TABLES",
    "ColumnSpec",
    "EventTables",
    "SchemaProblem",
    "SchemaValidationError",
    "TableSpec",
    "problems_frame",
    "validate_table",
    "validate_tables",
]
