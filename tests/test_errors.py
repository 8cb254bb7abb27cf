"""The exception hierarchy: types, messages, pickling across processes."""

from __future__ import annotations

import pickle

import pytest

from thinfile_credit import errors as E


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (E.DataError, ValueError),
        (E.SchemaError, ValueError),
        (E.LeakageError, ValueError),
        (E.SpecError, ValueError),
        (E.PolicyError, ValueError),
        (E.ModelError, ValueError),
        (E.NotFittedError, AttributeError),
        (E.ArtefactError, ValueError),
        (E.MissingDependencyError, ImportError),
    ],
)
def test_every_error_is_a_thinfile_error_and_a_builtin(cls: type, builtin: type) -> None:
    err = cls("boom")
    assert isinstance(err, E.ThinfileError)
    assert isinstance(err, builtin)


def test_message_names_table_column_and_rows() -> None:
    err = E.SchemaError("negative amounts", table="orders", column="amount", rows=[3, 7])
    assert str(err) == "orders.amount: negative amounts (rows: 3, 7)"
    assert err.table == "orders"
    assert err.column == "amount"
    assert err.rows == [3, 7]


def test_message_without_location() -> None:
    assert str(E.DataError("empty input")) == "empty input"
    assert str(E.DataError("bad", table="bills")) == "bills: bad"


def test_long_row_lists_are_elided() -> None:
    err = E.SchemaError("dup", table="t", column="c", rows=list(range(100)))
    assert str(err).endswith("(rows: 0, 1, 2, 3, 4 and 95 more)")


def test_format_rows_limit() -> None:
    assert E.format_rows([1, 2], limit=5) == "1, 2"
    assert E.format_rows(range(4), limit=2) == "0, 1 and 2 more"


def test_errors_survive_pickling() -> None:
    err = E.SchemaError("dup ids", table="orders", column="order_id", rows=[1])
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is E.SchemaError
    assert str(back) == str(err)
    assert back.column == "order_id"
