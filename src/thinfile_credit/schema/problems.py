"""What validation reports: :class:`SchemaProblem` records and the error carrying them.

Examples
--------
>>> p = SchemaProblem("orders", "amount", "min_value", "value below the minimum 0",
...                   n_rows=1, rows=(7,))
>>> str(p)
'orders.amount: value below the minimum 0 in 1 row (rows: 7)'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from thinfile_credit.errors import SchemaError

__all__ = ["MAX_EXAMPLES", "SchemaProblem", "SchemaValidationError", "problems_frame"]

#: How many example rows a problem quotes.
MAX_EXAMPLES = 5
#: How many problems a raised error lists in its message (all are in ``.problems``).
MAX_LISTED_PROBLEMS = 20


@dataclass(frozen=True)
class SchemaProblem:
    """One way an event table breaks the data model.

    Parameters
    ----------
    table : str
        The table at fault.
    column : str or None
        The column at fault; several columns read ``"(loan_id, installment_no)"``;
        ``None`` for a problem with the whole table.
    check : str
        Machine-readable name of the failed check: ``"unreadable"``, ``"duplicate_column"``,
        ``"missing_column"``, ``"dtype"``, ``"null"``, ``"nan"``, ``"infinite"``,
        ``"min_value"``, ``"allowed"``, ``"duplicate_key"``, ``"due_before_issue"``,
        ``"paid_before_issue"``, ``"paid_without_date"``, ``"status_before_order"``,
        ``"self_loop"``, ``"time_zone"``, ``"id_kind"``, ``"foreign_key"``,
        ``"due_before_disbursed"``, ``"paid_before_disbursed"`` or ``"unknown_table"``.
    message : str
        What is wrong, in the lender's words.
    n_rows : int
        How many rows are at fault (``0`` for a problem with a column or table).
    rows : tuple of int
        Up to five example rows, as 0-based positions in the frame as given.

    Examples
    --------
    >>> p = SchemaProblem("bills", "due_at", "due_before_issue", "due before issued_at",
    ...                   n_rows=12, rows=(0, 4, 5, 9, 10))
    >>> print(p)
    bills.due_at: due before issued_at in 12 rows (rows: 0, 4, 5, 9, 10 and 7 more)
    """

    table: str
    column: str | None
    check: str
    message: str
    n_rows: int = 0
    rows: tuple[int, ...] = ()

    @property
    def location(self) -> str:
        """``"table.column"`` (or the table alone)."""
        return f"{self.table}.{self.column}" if self.column else self.table

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.n_rows:
            text += f" in {self.n_rows} row{'s' if self.n_rows != 1 else ''}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows)
            extra = self.n_rows - len(self.rows)
            text += f" (rows: {shown}{f' and {extra} more' if extra > 0 else ''})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The problem as a plain dict (one row of :func:`problems_frame`)."""
        return {
            "table": self.table,
            "column": self.column,
            "check": self.check,
            "n_rows": self.n_rows,
            "rows": list(self.rows),
            "message": self.message,
        }


class SchemaValidationError(SchemaError):
    """A :class:`~thinfile_credit.errors.SchemaError` carrying every problem found.

    ``table``, ``column`` and ``rows`` are those of the first problem; the message lists
    the first problem and then the others, one per line; :attr:`problems` holds all.

    Examples
    --------
    >>> p = SchemaProblem("edges", "peer_id", "self_loop", "links a user to itself",
    ...                   n_rows=1, rows=(3,))
    >>> err = SchemaValidationError.from_problems([p])
    >>> err.table, err.column, err.rows
    ('edges', 'peer_id', [3])
    >>> print(err)
    edges.peer_id: links a user to itself in 1 row (rows: 3)
    """

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        column: str | None = None,
        rows: Sequence[Any] | None = None,
        problems: Iterable[SchemaProblem] = (),
    ) -> None:
        # Set before the base class renders the message from it.
        self.problems: tuple[SchemaProblem, ...] = tuple(problems)
        super().__init__(message, table=table, column=column, rows=rows)

    @classmethod
    def from_problems(cls, problems: Sequence[SchemaProblem]) -> SchemaValidationError:
        """Build the error for a non-empty list of problems."""
        first = problems[0]
        return cls(
            first.message,
            table=first.table,
            column=first.column,
            rows=list(first.rows),
            problems=problems,
        )

    def _render(self) -> str:
        if not self.problems:
            return super()._render()
        lines = [str(self.problems[0])]
        rest = self.problems[1:]
        if rest:
            lines.append(f"and {len(rest)} more problem{'s' if len(rest) != 1 else ''}:")
            lines += [f"  - {p}" for p in rest[:MAX_LISTED_PROBLEMS]]
            if len(rest) > MAX_LISTED_PROBLEMS:
                lines.append(f"  ... {len(rest) - MAX_LISTED_PROBLEMS} more (see .problems)")
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_validation_error, (self.problems,))


def problems_frame(problems: Iterable[SchemaProblem]) -> pl.DataFrame:
    """Tabulate problems from ``errors="collect"`` (one row each) as a Polars frame.

    Examples
    --------
    >>> p = SchemaProblem("orders", "status", "allowed", "value not allowed", 2, (0, 1))
    >>> problems_frame([p]).select("table", "column", "check", "n_rows").row(0)
    ('orders', 'status', 'allowed', 2)
    """
    schema: dict[str, Any] = {
        "table": pl.String,
        "column": pl.String,
        "check": pl.String,
        "n_rows": pl.Int64,
        "rows": pl.List(pl.Int64),
        "message": pl.String,
    }
    return pl.DataFrame([p.to_dict() for p in problems], schema=schema, orient="row")


# --------------------------------------------------------------------------- helpers


def _rebuild_validation_error(problems: tuple[SchemaProblem, ...]) -> SchemaValidationError:
    return SchemaValidationError.from_problems(problems)
