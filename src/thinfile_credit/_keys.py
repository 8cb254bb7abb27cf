"""Join keys of two tables brought to one dtype without changing any key.

A key column of one table is often read with another dtype than the table it joins
(pandas stores integer ids with a missing value as floats; one export writes ids as
text). Casting it blindly is wrong: Polars truncates ``2.5`` to ``2`` and reads the
text ``"01"`` as ``1``, so rows land on another entity's key. :func:`align_key` casts
only where every key survives unchanged and refuses the rest, naming the rows.

Examples
--------
>>> import polars as pl
>>> from thinfile_credit._keys import align_key
>>> align_key(pl.Series("loan_id", [1.0, 2.0]), pl.Int64, table="installments",
...           column="loan_id", reference="loans.loan_id").to_list()
[1, 2]
>>> align_key(pl.Series("loan_id", [1.0, 2.5]), pl.Int64, table="installments",
...           column="loan_id", reference="loans.loan_id")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
thinfile_credit.errors.SchemaError: installments.loan_id: ... (rows: 1)
"""

from __future__ import annotations

import polars as pl

from thinfile_credit.errors import SchemaError

__all__ = ["align_key", "key_kind"]


def key_kind(dtype: pl.DataType) -> str:
    """``"integer"``, ``"float"``, ``"text"`` or ``"other"``: what a key of ``dtype`` is."""
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return "text"
    return "other"


def align_key(
    values: pl.Series,
    target: pl.DataType,
    *,
    table: str,
    column: str,
    reference: str,
) -> pl.Series:
    """``values`` (a key column of ``table``) cast to ``target``, the dtype of the key
    they join (``reference``, named in errors), only if no key changes.

    Integer keys of any width convert to each other when they fit; float keys convert
    to integer keys when each is a whole number (and back when each integer is exact in
    a float); text keys join text keys only. Null keys stay null.

    Parameters
    ----------
    values : polars.Series
        The keys to convert.
    target : polars.DataType
        The dtype of the keys they join.
    table, column : str
        Where ``values`` come from, for error messages.
    reference : str
        The joined key, as ``"table.column"``, for error messages.

    Returns
    -------
    polars.Series
        ``values`` as ``target``.

    Raises
    ------
    SchemaError
        Text keys against numeric ones (``"1"`` and ``1`` name different entities, in
        no order a cast can guess), fractional floats against integers, keys that do not
        fit ``target``, or keys of another kind (booleans, dates), with the rows.
    """
    source = values.dtype
    if source == target or source == pl.Null:
        return values.cast(target) if source == pl.Null else values
    have, want = key_kind(source), key_kind(target)
    if "other" in (have, want) or ("text" in (have, want) and have != want):
        raise SchemaError(
            f"holds {_describe(have, source)} keys but {reference} holds "
            f"{_describe(want, target)} keys; keys of one entity must be of one kind "
            "(1 and '1' name different entities)",
            table=table,
            column=column,
        )
    if have == "text":
        return values.cast(target)  # String and Categorical: the same text
    cast = values.cast(target, strict=False)
    # a key changed if it became null, or does not read back as itself
    back = cast.cast(source, strict=False)
    changed = (values.is_not_null() & (cast.is_null() | (back != values))).fill_null(True)
    rows = changed.arg_true().to_list()
    if rows:
        raise SchemaError(
            f"{_describe(have, source)} keys that are not exactly {_describe(want, target)} "
            f"keys of {reference} (fractions, or values out of range)",
            table=table,
            column=column,
            rows=rows,
        )
    return cast


def _describe(kind: str, dtype: pl.DataType) -> str:
    return f"{kind} ({dtype})" if kind != "other" else str(dtype)
