"""Compile a fitted scorecard to SQL: one ``CASE WHEN`` per feature, summed with the baseline.

Supported dialects: ``"ansi"``, ``"postgresql"``, ``"duckdb"``, ``"spark"``. The SQL
handles every value exactly as :meth:`WoEScorecard.score` does:

* missing values - ``NULL``, and NaN in dialects that have it (``isnan`` in DuckDB and
  Spark, ``= 'NaN'`` in PostgreSQL) - get the Missing bin's points;
* special codes are tested before the intervals, each with its own points;
* numeric intervals are ``[lo, hi)``: ``WHEN x < s0 ... WHEN x < s1 ... ELSE last``, so
  out-of-range values land in the end bins;
* categories are listed per group (rare categories spelled out); anything else is Unknown.

Every float (split, special code, points) is written as ``CAST('<repr>' AS DOUBLE)`` with
Python's shortest round-trip text, so the engine parses the very same double; the sum is
written baseline first, then features in model order, the order Python adds them in.

Categories are written as string literals escaped for the dialect: ANSI, PostgreSQL
(with ``standard_conforming_strings``, its default) and DuckDB double a single quote and
keep a backslash as it is; Spark SQL reads a backslash as the start of an escape, so there
a backslash is doubled and a quote written as backslash-quote (with Spark's default
``spark.sql.parser.escapedStringLiterals=false``). Any Unicode text is written as is.

The one difference: SQL cannot raise, so an infinite value that is not a special code
falls in an end bin instead of raising :class:`~thinfile_credit.errors.DataError`.
Categorical features compare text: store their columns as strings (the category texts
of :func:`~thinfile_credit.binning._text.category_text`, e.g. ``"1"`` for ``1.0``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from thinfile_credit.binning import FeatureBinning
from thinfile_credit.errors import SpecError

if TYPE_CHECKING:
    from thinfile_credit.scorecard._scorecard import WoEScorecard

__all__ = ["DIALECTS", "feature_case_sql", "scorecard_to_sql"]

#: Dialect names and aliases accepted by :func:`scorecard_to_sql`.
DIALECTS = {
    "ansi": "ansi",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "duckdb": "duckdb",
    "spark": "spark",
    "sparksql": "spark",
}


def scorecard_to_sql(
    card: WoEScorecard,
    dialect: str = "ansi",
    *,
    table: str | None = None,
    score_name: str = "score",
    contributions: bool = False,
) -> str:
    """SQL for a fitted scorecard.

    Parameters
    ----------
    card : WoEScorecard
        Fitted scorecard.
    dialect : {"ansi", "postgresql", "duckdb", "spark"}
        Target engine.
    table : str, optional
        Without it, the score *expression* is returned; with it, a full
        ``SELECT *, <score> AS score FROM table`` query.
    score_name : str
        Name of the score column (with ``table``).
    contributions : bool
        Also select each feature's points as ``points_<feature>`` (with ``table``).

    Returns
    -------
    str

    Raises
    ------
    SpecError
        Unknown dialect.

    Examples
    --------
    >>> import numpy as np, duckdb, pandas as pd
    >>> from thinfile_credit.scorecard import WoEScorecard
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"dpd": rng.poisson(1.0, 3000).astype(float)})
    >>> y = (rng.random(3000) < 1 / (1 + np.exp(2.5 - X["dpd"]))).astype(int)
    >>> card = WoEScorecard(round_points=True).fit(X, y)
    >>> sql = card.to_sql("duckdb", table="X")
    >>> from_sql = duckdb.sql(sql).df()["score"].to_numpy()
    >>> bool((from_sql == card.score(X)).all())
    True
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(card, "compiled_")
    name = DIALECTS.get(str(dialect).lower())
    if name is None:
        raise SpecError(f"unknown SQL dialect {dialect!r}; known: {', '.join(sorted(DIALECTS))}")
    integer = bool(card.round_points)
    cases = [
        feature_case_sql(feature.binning, feature.points, name, integer=integer)
        for feature in card.compiled_.features
    ]
    baseline = _number(card.baseline_points_, name, integer)
    expression = " +\n  ".join([baseline, *cases])
    if table is None:
        return f"(\n  {expression}\n)"
    columns = [f"(\n  {expression}\n) AS {_quote(score_name, name)}"]
    if contributions:
        for feature, case in zip(card.compiled_.features, cases):
            columns.append(f"{case} AS {_quote('points_' + feature.name, name)}")
    return "SELECT *,\n" + ",\n".join(columns) + f"\nFROM {table}"


def feature_case_sql(
    binning: FeatureBinning, points: Any, dialect: str = "ansi", *, integer: bool = False
) -> str:
    """The ``CASE WHEN`` giving one feature's points.

    Examples
    --------
    >>> fb = FeatureBinning.from_counts("age", "numeric", splits=(30.0,),
    ...                                 n_nonevent=[40, 50, 5, 0], n_event=[10, 5, 5, 0])
    >>> sql = feature_case_sql(fb, (-5, 10, -20, -20), "duckdb", integer=True)
    >>> print(sql.replace(" WHEN", chr(10) + " WHEN"))
    CASE
     WHEN "age" IS NULL OR isnan("age") THEN -20
     WHEN "age" < CAST('30.0' AS DOUBLE) THEN -5 ELSE 10 END
    """
    dialect = DIALECTS.get(dialect, dialect)
    if dialect not in DIALECTS.values():
        raise SpecError(f"unknown SQL dialect {dialect!r}")
    col = _quote(binning.name, dialect)
    pts = [_number(float(p), dialect, integer) for p in points]
    parts: list[str] = ["CASE"]
    if binning.kind == "numeric":
        parts.append(f"WHEN {_missing_numeric(col, dialect)} THEN {pts[binning.missing_bin]}")
        for i, code in enumerate(binning.special_codes):
            parts.append(
                f"WHEN {col} = {_double(float(code), dialect)} THEN {pts[binning.n_regular + i]}"
            )
        for i, split in enumerate(binning.splits):
            parts.append(f"WHEN {col} < {_double(split, dialect)} THEN {pts[i]}")
        parts.append(f"ELSE {pts[binning.n_regular - 1]}")
    else:
        parts.append(f"WHEN {col} IS NULL THEN {pts[binning.missing_bin]}")
        for i, code in enumerate(binning.special_codes):
            parts.append(
                f"WHEN {col} = {_text(str(code), dialect)} THEN {pts[binning.n_regular + i]}"
            )
        # the very map Python scoring uses: a rare category also listed in a group, or a
        # category spelled as the rare token, scores the same in both
        for b, members in enumerate(binning.bin_categories()):
            if members:
                listed = ", ".join(_text(c, dialect) for c in members)
                parts.append(f"WHEN {col} IN ({listed}) THEN {pts[b]}")
        parts.append(f"ELSE {pts[binning.unknown_bin]}")
    parts.append("END")
    return " ".join(parts)


# --- helpers ----------------------------------------------------------------------------


def _quote(identifier: str, dialect: str) -> str:
    if dialect == "spark":
        return "`" + identifier.replace("`", "``") + "`"
    return '"' + identifier.replace('"', '""') + '"'


def _text(value: str, dialect: str) -> str:
    """A string literal the dialect reads back as exactly ``value``."""
    if dialect == "spark":
        # Spark unescapes string literals: a lone backslash would start an escape
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "'" + value.replace("'", "''") + "'"


def _double(value: float, dialect: str) -> str:
    kind = "DOUBLE PRECISION" if dialect in ("ansi", "postgresql") else "DOUBLE"
    if math.isnan(value):
        text = "NaN"
    elif math.isinf(value):
        text = "Infinity" if value > 0 else "-Infinity"
    else:
        text = repr(float(value))
    return f"CAST('{text}' AS {kind})"


def _number(value: float, dialect: str, integer: bool) -> str:
    if integer and float(value).is_integer():
        return str(int(value))
    return _double(value, dialect)


def _missing_numeric(col: str, dialect: str) -> str:
    if dialect in ("duckdb", "spark"):
        return f"{col} IS NULL OR isnan({col})"
    if dialect == "postgresql":
        return f"{col} IS NULL OR {col} = CAST('NaN' AS DOUBLE PRECISION)"
    return f"{col} IS NULL"
