"""The event data model: the tables a lender's e-commerce platform provides.

Each table is a :class:`TableSpec` - named columns with a logical type, whether they are
required and nullable, the key, and what the column means. Specs are data; validation
lives in :mod:`thinfile_credit.schema.validate`.

Logical types
-------------
``id``        integer or string identifier (one kind per column)
``datetime``  timestamp; all timestamp columns of all tables are either all naive or all
              time-zone aware (mixing is rejected)
``float``     real number (amounts are in yuan)
``int``       integer
``string``    free or categorical text

Examples
--------
>>> from thinfile_credit.schema import TABLES
>>> TABLES["orders"].key
('order_id',)
>>> [c.name for c in TABLES["bills"].columns][:3]
['bill_id', 'user_id', 'issued_at']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ORDER_STATUSES",
    "PROFILE_CHANGE_KINDS",
    "TABLES",
    "ColumnSpec",
    "LogicalType",
    "TableSpec",
]

LogicalType = Literal["id", "datetime", "float", "int", "string"]

#: Allowed values of ``orders.status``.
ORDER_STATUSES: tuple[str, ...] = ("paid", "cancelled", "refunded", "returned")
#: Allowed values of ``profile_changes.kind``.
PROFILE_CHANGE_KINDS: tuple[str, ...] = ("device", "address", "phone")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an event table.

    Parameters
    ----------
    name : str
        Column name.
    dtype : {"id", "datetime", "float", "int", "string"}
        Logical type.
    required : bool
        Whether the column must be present.
    nullable : bool
        Whether nulls are allowed (e.g. ``paid_at`` for an unpaid bill).
    min_value : float, optional
        Smallest allowed value for numeric columns (``0`` for amounts).
    allowed : tuple of str, optional
        Closed set of allowed values for string columns.
    description : str
        What the column means, in the lender's words.
    """

    name: str
    dtype: LogicalType
    required: bool = True
    nullable: bool = False
    min_value: float | None = None
    allowed: tuple[str, ...] | None = None
    description: str = ""


@dataclass(frozen=True)
class TableSpec:
    """One event table: its columns, key and time ordering.

    Parameters
    ----------
    name : str
        Table name as used in :class:`~thinfile_credit.schema.EventTables`.
    columns : tuple of ColumnSpec
        All columns, required and optional.
    key : tuple of str
        Columns that identify a row uniquely.
    time_column : str, optional
        The moment the row became known to the platform (used for point-in-time cuts).
    user_column : str, optional
        Column linking the row to a user (``None`` for installments, linked via loans).
    description : str
        What the table holds.
    """

    name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    time_column: str | None = None
    user_column: str | None = "user_id"
    description: str = ""
    foreign_keys: tuple[tuple[str, str, str], ...] = field(default=())
    """``(column, other_table, other_column)`` references that must resolve."""

    def column(self, name: str) -> ColumnSpec:
        """Return the spec of column ``name`` (``KeyError`` if unknown)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Names of the columns that must be present."""
        return tuple(c.name for c in self.columns if c.required)


def _c(name: str, dtype: LogicalType, description: str, **kw: object) -> ColumnSpec:
    return ColumnSpec(name=name, dtype=dtype, description=description, **kw)  # type: ignore[arg-type]


APPLICATIONS = TableSpec(
    name="applications",
    description="Credit applications: the moments at which features are computed.",
    key=("application_id",),
    time_column="applied_at",
    columns=(
        _c("application_id", "id", "Unique application identifier."),
        _c("user_id", "id", "The applicant."),
        _c(
            "applied_at", "datetime", "The application moment t; features see only events before t."
        ),
        _c(
            "requested_amount",
            "float",
            "Amount asked for, yuan.",
            required=False,
            nullable=True,
            min_value=0.0,
        ),
        _c(
            "channel",
            "string",
            "Where the application came from (app, web, partner...).",
            required=False,
            nullable=True,
        ),
    ),
)

ORDERS = TableSpec(
    name="orders",
    description="E-commerce orders placed by users on the platform.",
    key=("order_id",),
    time_column="ordered_at",
    columns=(
        _c("order_id", "id", "Unique order identifier."),
        _c("user_id", "id", "The buyer."),
        _c("ordered_at", "datetime", "When the order was placed."),
        _c("amount", "float", "Order value (GMV), yuan.", min_value=0.0),
        _c("category", "string", "Product category of the order."),
        _c("status", "string", "Final status of the order.", allowed=ORDER_STATUSES),
        _c(
            "status_at",
            "datetime",
            "When the order reached its final status (status); null means the status was "
            "known when the order was placed (e.g. paid). Must not be before ordered_at.",
            required=False,
            nullable=True,
        ),
        _c(
            "payment_method",
            "string",
            "How it was paid (balance, card, pay_later...).",
            required=False,
            nullable=True,
        ),
        _c(
            "installments",
            "int",
            "Number of instalments the order was split into (1 = paid at once).",
            required=False,
            min_value=1,
        ),
    ),
)

BILLS = TableSpec(
    name="bills",
    description="Platform bills and pay-later statements with their repayment.",
    key=("bill_id",),
    time_column="issued_at",
    columns=(
        _c("bill_id", "id", "Unique bill identifier."),
        _c("user_id", "id", "The billed user."),
        _c("issued_at", "datetime", "When the bill was issued."),
        _c("due_at", "datetime", "Due date; must not be before issued_at."),
        _c("amount_due", "float", "Amount due, yuan.", min_value=0.0),
        _c(
            "paid_at",
            "datetime",
            "When the bill was (last) paid; null while unpaid.",
            nullable=True,
        ),
        _c("amount_paid", "float", "Amount paid by paid_at, yuan (0 while unpaid).", min_value=0.0),
    ),
)

LOANS = TableSpec(
    name="loans",
    description="The platform's own micro-loans.",
    key=("loan_id",),
    time_column="disbursed_at",
    columns=(
        _c("loan_id", "id", "Unique loan identifier."),
        _c("user_id", "id", "The borrower."),
        _c("disbursed_at", "datetime", "When the money was paid out."),
        _c("principal", "float", "Principal lent, yuan.", min_value=0.0),
        _c("product", "string", "Loan product (installment, revolving...)."),
        _c(
            "credit_limit",
            "float",
            "Credit limit in force when the loan was drawn, yuan.",
            required=False,
            nullable=True,
            min_value=0.0,
        ),
        _c(
            "application_id",
            "id",
            "The application that led to this loan, when there was one.",
            required=False,
            nullable=True,
        ),
    ),
)

INSTALLMENTS = TableSpec(
    name="installments",
    description="Scheduled repayments of each loan.",
    key=("loan_id", "installment_no"),
    time_column="due_at",
    user_column=None,
    foreign_keys=(("loan_id", "loans", "loan_id"),),
    columns=(
        _c("loan_id", "id", "The loan repaid."),
        _c("installment_no", "int", "1-based position in the schedule.", min_value=1),
        _c("due_at", "datetime", "Due date of this instalment."),
        _c("amount_due", "float", "Amount due, yuan.", min_value=0.0),
        _c(
            "paid_at",
            "datetime",
            "When it was (fully or last) paid; null while unpaid.",
            nullable=True,
        ),
        _c(
            "amount_paid",
            "float",
            "Amount paid by paid_at, yuan; below amount_due means partial.",
            min_value=0.0,
        ),
    ),
)

EDGES = TableSpec(
    name="edges",
    description="Social, transfer and referral links between users.",
    key=("user_id", "peer_id", "kind"),
    time_column="since",
    columns=(
        _c("user_id", "id", "One end of the link."),
        _c("peer_id", "id", "The other end of the link."),
        _c("kind", "string", "Link kind: social, transfer, referral..."),
        _c("since", "datetime", "When the link was first observed."),
    ),
)

PROFILES = TableSpec(
    name="profiles",
    description="Account and phone facts, one row per user.",
    key=("user_id",),
    time_column="registered_at",
    columns=(
        _c("user_id", "id", "The user."),
        _c("registered_at", "datetime", "Account registration time."),
        _c(
            "phone_verified_at",
            "datetime",
            "When the phone number was verified; null if never.",
            nullable=True,
        ),
        _c(
            "stated_income",
            "float",
            "Stated annual income, yuan; null if not stated.",
            required=False,
            nullable=True,
            min_value=0.0,
        ),
        _c(
            "bureau_score",
            "float",
            "Credit-bureau score; null for users without a bureau file.",
            required=False,
            nullable=True,
        ),
    ),
)

PROFILE_CHANGES = TableSpec(
    name="profile_changes",
    description="Time-stamped changes of device, address or phone number.",
    key=("user_id", "changed_at", "kind"),
    time_column="changed_at",
    columns=(
        _c("user_id", "id", "The user."),
        _c("changed_at", "datetime", "When the change happened."),
        _c("kind", "string", "What changed.", allowed=PROFILE_CHANGE_KINDS),
    ),
)

#: Every table of the data model, by name.
TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (APPLICATIONS, ORDERS, BILLS, LOANS, INSTALLMENTS, EDGES, PROFILES, PROFILE_CHANGES)
}
