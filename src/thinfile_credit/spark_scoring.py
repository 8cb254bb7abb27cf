"""Batch scoring on a Spark cluster: any scorer, no home-made distribution.

:func:`score_spark` adds the score (points), the PD and optionally per-feature points to
a PySpark DataFrame:

* a model that compiles to SQL (``model.to_sql(dialect="spark")``, e.g. the
  :class:`~thinfile_credit.scorecard.WoEScorecard`) is scored by Spark's own SQL engine -
  no Python on the executors;
* any other scorer (e.g. :class:`~thinfile_credit.gbm.GBMScorer`) is shipped to the
  executors once and applied batch by batch through ``DataFrame.mapInPandas`` (Arrow
  record batches, vectorised ``score``), so rows never pass through Python one at a time.

Output columns are appended after the input columns; the input columns are unchanged.
Their names must be distinct from each other and from every input column, compared
case-insensitively as Spark resolves names (unless ``spark.sql.caseSensitive`` is on);
a clash raises :class:`~thinfile_credit.errors.DataError` naming the columns before any
job runs. Model features are found among the input columns by the same rule, and an
input column name that appears more than once is refused.

A :class:`~thinfile_credit.errors.ThinfileError` raised while scoring on an executor
(``mapInPandas`` path, e.g. an infinite feature value) reaches the driver inside Spark's
own ``PythonException``; its message starts with :data:`EXECUTOR_ERROR_PREFIX` and names
the error type, table, column, Spark partition and the offending rows, counted from the
start of that partition.

Examples
--------
>>> from thinfile_credit.spark_scoring import output_columns
>>> output_columns(["a", "b"], score_col="score", pd_col="pd", contributions=True)
['score', 'pd', 'points_a', 'points_b']
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from thinfile_credit._frames import is_spark
from thinfile_credit._optional import require
from thinfile_credit.errors import DataError, ModelError, ThinfileError, format_rows

__all__ = ["EXECUTOR_ERROR_PREFIX", "output_columns", "score_spark"]

#: How the message of an error raised while scoring on a Spark executor begins; Spark
#: hands it to the driver as text inside its ``PythonException``.
EXECUTOR_ERROR_PREFIX = "thinfile_credit error on a Spark executor"


def score_spark(
    model: Any,
    spark_df: Any,
    *,
    score_col: str = "score",
    pd_col: str | None = "pd",
    contributions: bool = False,
    use_sql: bool | None = None,
) -> Any:
    """Score a PySpark DataFrame with a fitted scorer.

    Parameters
    ----------
    model : Scorer
        A fitted scorer (``score``, ``scale_``, ``feature_names_in_``; ``contributions``
        when asked for).
    spark_df : pyspark.sql.DataFrame
        Rows to score; must hold every model feature (extra columns are carried along).
    score_col : str, default "score"
        Name of the points column.
    pd_col : str or None, default "pd"
        Name of the PD column; None to leave it out.
    contributions : bool, default False
        Also add ``points_<feature>`` for every model feature (the baseline is
        ``score - sum(points_*)``).
    use_sql : bool or None, default None
        Score through ``model.to_sql(dialect="spark")``; None means "when the model has
        ``to_sql``". False forces ``mapInPandas``.

    Returns
    -------
    pyspark.sql.DataFrame
        The input columns followed by the score columns (lazy, like any Spark plan).

    Raises
    ------
    DataError
        ``spark_df`` is not a Spark DataFrame, or lacks model features (named), or has
        an input column name more than once, or two output columns share a name
        (``score_col == pd_col``, or ``score_col`` equal to a ``points_<feature>``
        column), or an output column would overwrite an input column. Names are compared
        case-insensitively unless ``spark.sql.caseSensitive`` is true (``"Score"`` in the
        input clashes with ``score``; an input ``"AGE"`` is the model's ``age``).
    ModelError
        The model is not fitted or has no feature names.

    Notes
    -----
    The ``mapInPandas`` path serialises the model once per task with cloudpickle; a
    LightGBM or XGBoost booster travels as its native model bytes. Cost on the
    executors equals ``model.score`` on the same rows plus Arrow conversion. Features
    a model leaves out of its contributions (a scorecard's dropped features) get
    ``points_<feature> = 0.0`` on both paths. An error the model raises there surfaces
    when the result is computed, as Spark's ``PythonException`` whose message starts
    with :data:`EXECUTOR_ERROR_PREFIX` (see the module notes).
    """
    if not is_spark(spark_df):
        raise DataError(f"expected a PySpark DataFrame, got {type(spark_df).__name__}")
    require("pyspark", "spark")
    features = _model_features(model)
    case_sensitive = _case_sensitive(spark_df)
    inputs = _input_columns(features, spark_df.columns, case_sensitive=case_sensitive)
    _check_output_names(
        features,
        spark_df.columns,
        score_col=score_col,
        pd_col=pd_col,
        contributions=contributions,
        case_sensitive=case_sensitive,
    )
    sql = hasattr(model, "to_sql") if use_sql is None else use_sql
    if sql:
        return _score_sql(model, spark_df, score_col, pd_col, contributions)
    return _score_map_in_pandas(model, spark_df, features, inputs, score_col, pd_col, contributions)


def output_columns(
    features: Sequence[str], *, score_col: str, pd_col: str | None, contributions: bool
) -> list[str]:
    """Names of the columns :func:`score_spark` appends, in order."""
    cols = [score_col] + ([pd_col] if pd_col else [])
    if contributions:
        cols += [f"points_{f}" for f in features]
    return cols


# --- helpers ----------------------------------------------------------------------------
def _input_columns(
    features: Sequence[str], input_columns: Sequence[str], *, case_sensitive: bool
) -> list[str]:
    """The input column holding each model feature, found as Spark resolves names.

    Raises
    ------
    DataError
        An input column name appears more than once (Spark cannot tell them apart), or
        model features are missing; names them, ``table`` is ``spark_df``.
    """

    def key(name: str) -> str:
        return name if case_sensitive else name.lower()

    how = "" if case_sensitive else " (Spark compares names case-insensitively)"
    by_key: dict[str, list[str]] = {}
    for name in input_columns:
        by_key.setdefault(key(name), []).append(name)
    repeated = [names for names in by_key.values() if len(names) > 1]
    if repeated:
        raise DataError(
            f"input column names appear more than once{how}: "
            + "; ".join(" and ".join(repr(n) for n in names) for names in repeated)
            + "; rename or drop the duplicates",
            table="spark_df",
            column=", ".join(names[0] for names in repeated),
        )
    missing = [f for f in features if key(f) not in by_key]
    if missing:
        raise DataError(
            "columns required by the model are missing",
            table="spark_df",
            column=", ".join(missing),
        )
    return [by_key[key(f)][0] for f in features]


def _check_output_names(
    features: Sequence[str],
    input_columns: Sequence[str],
    *,
    score_col: str,
    pd_col: str | None,
    contributions: bool,
    case_sensitive: bool,
) -> None:
    """Refuse output names that repeat each other or an input column (Spark's resolution).

    Raises
    ------
    DataError
        Names the clashing columns; ``table`` is ``spark_df``.
    """
    names = output_columns(
        features, score_col=score_col, pd_col=pd_col, contributions=contributions
    )
    labels = ["score_col"] + (["pd_col"] if pd_col else [])
    labels += [f"contribution of {f}" for f in features] if contributions else []
    roles = list(zip(names, labels, strict=True))

    def key(name: str) -> str:
        return name if case_sensitive else name.lower()

    how = "" if case_sensitive else " (Spark compares names case-insensitively)"
    first: dict[str, tuple[str, str]] = {}
    repeats: list[tuple[str, str]] = []  # (name, what the two columns are)
    for name, role in roles:
        if key(name) in first:
            other, other_role = first[key(name)]
            repeats.append((other, f"{other!r} ({other_role}) and {name!r} ({role})"))
        else:
            first[key(name)] = (name, role)
    if repeats:
        raise DataError(
            f"output columns would share a name{how}: {'; '.join(d for _, d in repeats)}; "
            "choose distinct score_col / pd_col",
            table="spark_df",
            column=", ".join(dict.fromkeys(n for n, _ in repeats)),
        )
    existing = {key(c): c for c in input_columns}
    clash = [(name, existing[key(name)]) for name, _ in roles if key(name) in existing]
    if clash:
        detail = ", ".join(n if n == c else f"{n} (input {c})" for n, c in clash)
        raise DataError(
            f"output columns already exist{how}: {detail}; rename or drop the input "
            "columns, or choose other score_col / pd_col",
            table="spark_df",
            column=", ".join(n for n, _ in clash),
        )


def _case_sensitive(spark_df: Any) -> bool:
    value = spark_df.sparkSession.conf.get("spark.sql.caseSensitive", "false")
    return str(value).strip().lower() == "true"


def _model_features(model: Any) -> list[str]:
    if not hasattr(model, "scale_"):
        raise ModelError(f"{type(model).__name__} is not fitted; call fit first")
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        raise ModelError(
            "Spark scoring matches columns by name: fit the model on a DataFrame with column names"
        )
    return [str(n) for n in names]


def _pd_sql(model: Any, score_col: str) -> str:
    scale = model.scale_
    # PD is the logistic of the log-odds the points encode: z = (points - a) / slope.
    return (
        f"1.0D / (1.0D + EXP(-((`{score_col}` - CAST('{scale.intercept_points!r}' AS DOUBLE))"
        f" / CAST('{scale.slope!r}' AS DOUBLE))))"
    )


def _score_sql(
    model: Any, spark_df: Any, score_col: str, pd_col: str | None, contributions: bool
) -> Any:
    import uuid

    from pyspark.sql import functions as F

    if contributions:
        # The model's own query adds the score and one points_<feature> per model
        # feature; it needs a table name, so the frame gets a uniquely named view.
        view = f"thinfile_scoring_{uuid.uuid4().hex}"
        spark_df.createOrReplaceTempView(view)
        query = model.to_sql(dialect="spark", table=view, score_name=score_col, contributions=True)
        scored = spark_df.sparkSession.sql(query)
        # Features the model dropped (e.g. by the scorecard's selection) add no points.
        for name in _model_features(model):
            if f"points_{name}" not in scored.columns:
                scored = scored.withColumn(f"points_{name}", F.lit(0.0))
    else:
        scored = spark_df.withColumn(score_col, F.expr(model.to_sql(dialect="spark")))
    scored = scored.withColumn(score_col, F.col(score_col).cast("double"))
    if pd_col:
        scored = scored.withColumn(pd_col, F.expr(_pd_sql(model, score_col)))
    added = output_columns(
        _model_features(model), score_col=score_col, pd_col=pd_col, contributions=contributions
    )
    return scored.select(*spark_df.columns, *[F.col(c).cast("double") for c in added])


def _score_map_in_pandas(
    model: Any,
    spark_df: Any,
    features: list[str],
    inputs: list[str],
    score_col: str,
    pd_col: str | None,
    contributions: bool,
) -> Any:
    from pyspark.sql.types import DoubleType, StructField, StructType

    added = output_columns(
        features, score_col=score_col, pd_col=pd_col, contributions=contributions
    )
    schema = StructType(
        list(spark_df.schema.fields) + [StructField(c, DoubleType(), True) for c in added]
    )
    # The closure travels to the executors: it must hold plain data, never the frame.
    keep = [*spark_df.columns, *added]

    def score_batch(batch: Any) -> Any:
        if len(batch) == 0:
            for col in added:
                batch[col] = np.array([], dtype=np.float64)
            return batch
        # the model's own names, whatever case the input columns are spelt in
        X = batch[inputs].set_axis(features, axis=1)
        if contributions:
            c = model.contributions(X)
            points = c.total()
            given = {str(name): c.values[:, j] for j, name in enumerate(c.feature_names)}
            for name in features:
                # as the SQL path: a feature the model dropped adds no points
                batch[f"points_{name}"] = given.get(name, 0.0)
        else:
            points = model.score(X)
        batch[score_col] = points
        if pd_col:
            batch[pd_col] = model.scale_.pd_from_points(points)
        return batch[keep]

    def score_batches(batches: Iterator[Any]) -> Iterator[Any]:
        start = 0  # position of the batch's first row in the partition
        for batch in batches:
            try:
                scored = score_batch(batch)
            except ThinfileError as exc:
                raise _executor_error(exc, start) from None
            start += len(batch)
            yield scored

    return spark_df.mapInPandas(score_batches, schema=schema)


def _executor_error(exc: ThinfileError, start: int) -> ThinfileError:
    """``exc`` re-raised on an executor: a message the driver can read and recognise.

    Spark hands only the text of an executor's error to the driver, inside its own
    ``PythonException``; the message therefore starts with :data:`EXECUTOR_ERROR_PREFIX`
    and carries the type, table, column, partition and rows (batch positions turned
    into positions from the start of the partition).

    Examples
    --------
    >>> err = _executor_error(DataError("infinite values", table="X", column="f", rows=[3]), 10)
    >>> print(err)  # doctest: +ELLIPSIS
    thinfile_credit error on a Spark executor (DataError) in partition ...: X.f: infinite ...
    >>> str(err).endswith("(rows: 13; counted from the start of the partition)")
    True
    """
    try:
        from pyspark import TaskContext

        context = TaskContext.get()
    except ImportError:  # pragma: no cover - the executors run pyspark
        context = None
    partition = context.partitionId() if context is not None else "?"
    where = ".".join(p for p in (exc.table, exc.column) if p)
    text = f"{where}: {exc.message}" if where else exc.message
    if exc.rows:
        rows = [
            r + start if isinstance(r, (int, np.integer)) and not isinstance(r, bool) else r
            for r in exc.rows
        ]
        text += f" (rows: {format_rows(rows)}; counted from the start of the partition)"
    message = f"{EXECUTOR_ERROR_PREFIX} ({type(exc).__name__}) in partition {partition}: {text}"
    try:
        out = type(exc)(message)
    except TypeError:  # a subclass with another signature: keep the family's base
        out = ThinfileError(message)
    return out
