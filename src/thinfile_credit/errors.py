"""The library's exception hierarchy.

Every error raised on bad input derives from :class:`ThinfileError`, so a service can
catch one type, and from the matching built-in (``ValueError``, ``KeyError``,
``ImportError``...) so generic handlers and scikit-learn's own checks keep working.
Messages name the table, the column and example offending rows.

Examples
--------
>>> from thinfile_credit.errors import SchemaError, ThinfileError
>>> err = SchemaError("negative amounts", table="orders", column="amount", rows=[3, 7])
>>> isinstance(err, ThinfileError) and isinstance(err, ValueError)
True
>>> print(err)
orders.amount: negative amounts (rows: 3, 7)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "ArtefactError",
    "DataError",
    "LeakageError",
    "MissingDependencyError",
    "ModelError",
    "NotFittedError",
    "PolicyError",
    "SchemaError",
    "SpecError",
    "ThinfileError",
    "format_rows",
]

#: How many offending row labels an error message quotes before eliding the rest.
MAX_ROWS_IN_MESSAGE = 5


def format_rows(rows: Iterable[Any], limit: int = MAX_ROWS_IN_MESSAGE) -> str:
    """Render example offending row labels for an error message.

    Parameters
    ----------
    rows : iterable
        Row labels (positions or ids) at fault.
    limit : int, default 5
        How many to quote; the remainder is counted.

    Returns
    -------
    str
        ``"3, 7, 9"`` or ``"3, 7, 9, 11, 12 and 40 more"``.

    Examples
    --------
    >>> format_rows(range(8), limit=3)
    '0, 1, 2 and 5 more'
    """
    items = list(rows)
    shown = ", ".join(str(r) for r in items[:limit])
    extra = len(items) - limit
    return f"{shown} and {extra} more" if extra > 0 else shown


class ThinfileError(Exception):
    """Base class of every error this library raises on purpose.

    Parameters
    ----------
    message : str
        What is wrong, in the lender's words.
    table, column : str, optional
        Where it is wrong; prefixed to the message as ``table.column:``.
    rows : sequence, optional
        Example offending row labels or ids, quoted at the end of the message.
    """

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        column: str | None = None,
        rows: Sequence[Any] | None = None,
    ) -> None:
        self.message = message
        self.table = table
        self.column = column
        self.rows = list(rows) if rows is not None else None
        super().__init__(self._render())

    def _render(self) -> str:
        where = ".".join(p for p in (self.table, self.column) if p)
        text = f"{where}: {self.message}" if where else self.message
        if self.rows:
            text += f" (rows: {format_rows(self.rows)})"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the keyword-only context when an error crosses a process boundary
        # (joblib workers, Spark executors).
        return (_rebuild, (type(self), self.message, self.table, self.column, self.rows))


def _rebuild(
    cls: type[ThinfileError],
    message: str,
    table: str | None,
    column: str | None,
    rows: list[Any] | None,
) -> ThinfileError:
    return cls(message, table=table, column=column, rows=rows)


class DataError(ThinfileError, ValueError):
    """Input data that cannot be used as given (empty, NaN scores, wrong lengths...)."""


class SchemaError(DataError):
    """An event table breaks the data model: missing column, wrong dtype, bad key, bad value."""


class LeakageError(DataError):
    """A computation would use information from at or after the application moment."""


class SpecError(ThinfileError, ValueError):
    """A specification object (window, scale, catalog, ladder, product) is inconsistent."""


class PolicyError(SpecError):
    """A lending policy breaks a rule: a limit ladder or product that may not be offered."""


class ModelError(ThinfileError, ValueError):
    """A model cannot be fitted or applied as asked (one class, mismatched features...)."""


class NotFittedError(ThinfileError, ValueError, AttributeError):
    """An estimator or coder was used before ``fit``.

    Also derives from ``AttributeError`` and ``ValueError`` like scikit-learn's
    ``NotFittedError``, so ``check_is_fitted`` based code treats it alike.
    """


class ArtefactError(ThinfileError, ValueError):
    """A saved model artefact is corrupt, tampered with, or from an incompatible version."""


class MissingDependencyError(ThinfileError, ImportError):
    """An optional extra is needed; the message names the ``pip install`` command."""
