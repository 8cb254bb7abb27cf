"""The :class:`FeatureBuilder`: every family, one row per application, any dataframe."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache
from typing import Any

import polars as pl

from thinfile_credit._frames import (
    frame_kind,
    from_polars,
    is_spark,
    missing_objects_as_null,
    to_polars,
)
from thinfile_credit.errors import SchemaError, SpecError
from thinfile_credit.features._ids import ENTITY, normalise_ids
from thinfile_credit.features._local_time import clocks_of, computed_clocks, polars_clock
from thinfile_credit.features._plan import APP, Plan, make_plan
from thinfile_credit.features._segments import run_segments
from thinfile_credit.features.bills import BillFeatures
from thinfile_credit.features.consumption import ConsumptionFeatures
from thinfile_credit.features.loans import LoanFeatures
from thinfile_credit.features.social import SocialFeatures
from thinfile_credit.features.spec import DEFAULT_WINDOWS, FeatureDef, FeatureFamily, check_windows
from thinfile_credit.features.tenure import TenureFeatures
from thinfile_credit.features.thin_file import ThinFileFeatures
from thinfile_credit.schema import EventTables

__all__ = ["KEY_COLUMNS", "FeatureBuilder"]

#: Columns identifying each output row, before the features.
KEY_COLUMNS: tuple[str, ...] = ("application_id", "user_id", "applied_at")

#: Columns of each event table the features read; optional ones are filled with nulls.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "applications": ("application_id", "user_id", "applied_at"),
    "orders": (
        "user_id",
        "ordered_at",
        "amount",
        "category",
        "status",
        "status_at",
        "payment_method",
        "installments",
    ),
    "bills": ("user_id", "issued_at", "due_at", "amount_due", "paid_at", "amount_paid"),
    "loans": ("loan_id", "user_id", "disbursed_at", "principal", "credit_limit"),
    "installments": ("loan_id", "installment_no", "due_at", "amount_due", "paid_at", "amount_paid"),
    "edges": ("user_id", "peer_id", "kind", "since"),
    "profiles": ("user_id", "registered_at", "phone_verified_at"),
    "profile_changes": ("user_id", "changed_at", "kind"),
}
OPTIONAL_COLUMNS: dict[tuple[str, str], pl.DataType] = {
    # a time column is read as integer microseconds: absent, it is all null (the final
    # status counts as known since the order was placed)
    ("orders", "status_at"): pl.Int64(),
    ("orders", "payment_method"): pl.String(),
    ("orders", "installments"): pl.Int64(),
    ("loans", "credit_limit"): pl.Float64(),
}
TIME_COLUMNS = {
    "applied_at",
    "ordered_at",
    "status_at",
    "issued_at",
    "due_at",
    "paid_at",
    "disbursed_at",
    "since",
    "registered_at",
    "phone_verified_at",
    "changed_at",
}
ID_COLUMNS = set(ENTITY)
CODED_COLUMNS = {"category", "status", "payment_method", "kind"}
FLOAT_COLUMNS = {"amount", "amount_due", "amount_paid", "principal", "credit_limit"}


class FeatureBuilder:
    """Point-in-time features for every application, from a platform's event tables.

    Parameters
    ----------
    families : sequence of FeatureFamily, optional
        The families to compute, in output order. Default: consumption, bills, loans,
        social, tenure and thin-file with ``windows``.
    windows : tuple of int, default (30, 90, 180, 365)
        Windows of the default families (ignored when ``families`` is given).
    validate : bool, default True
        Check the tables against the data model first
        (:func:`thinfile_credit.schema.validate_tables`): null timestamps, mixed naive
        and aware timestamps, duplicated keys, negative amounts, dangling loans... are
        rejected with a :class:`~thinfile_credit.errors.SchemaError` naming table,
        column and rows. Duplicated application ids and null application moments are
        rejected even when ``False``.

    Notes
    -----
    Windows compare instants: an aware timestamp is its instant, whatever its zone, and
    a naive one its wall clock. Local hours and calendar days (``cons_night_share_*``,
    ``cons_active_days_*``) read each timestamp's own wall clock by default: naive ones
    as given, aware ones in their column's zone, daylight saving included (02:00 in
    ``Asia/Shanghai`` is 02:00), a Spark ``TimestampType`` in the session time zone. See
    :class:`ConsumptionFeatures` (``utc_offset_hours``, ``time_zone``) for a fixed offset
    or another zone. Only an aware column outside UTC, or a zone, costs a per-event
    conversion (about 0.1 s per million orders).

    The work is one join of applications to each event table on ``user_id``, a strict
    time filter, and one ``group_by`` per table on Polars' lazy engine: roughly
    ``O(events per application)`` per application, memory bounded by the largest
    joined table. PySpark input runs the same plan on Spark.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> from thinfile_credit.schema import EventTables
    >>> apps = pl.DataFrame({"application_id": [1], "user_id": [7],
    ...                      "applied_at": [datetime(2024, 3, 1)]})
    >>> orders = pl.DataFrame({"order_id": [1, 2], "user_id": [7, 7],
    ...     "ordered_at": [datetime(2024, 2, 20), datetime(2024, 3, 2)],
    ...     "amount": [50.0, 80.0], "category": ["food", "toys"],
    ...     "status": ["paid", "paid"]})
    >>> fb = FeatureBuilder(windows=(30,))
    >>> X = fb.build(EventTables(applications=apps, orders=orders))
    >>> X["cons_order_count_30d"][0], X["thin_file"][0]
    (1.0, 1.0)
    """

    def __init__(
        self,
        families: Sequence[FeatureFamily] | None = None,
        *,
        windows: Sequence[int] = DEFAULT_WINDOWS,
        validate: bool = True,
    ) -> None:
        self.families = families
        self.windows = windows
        self.validate = validate

    # -- what is computed ------------------------------------------------------------
    @property
    def families_(self) -> list[FeatureFamily]:
        """The families actually used (defaults resolved)."""
        if self.families is not None:
            fams = list(self.families)
            for fam in fams:
                if not isinstance(fam, FeatureFamily):
                    raise SpecError(f"not a feature family: {fam!r}")
            if not fams:
                raise SpecError("FeatureBuilder needs at least one feature family")
            return fams
        w = check_windows(self.windows, "FeatureBuilder")
        return [
            ConsumptionFeatures(windows=w),
            BillFeatures(windows=w),
            LoanFeatures(windows=w),
            SocialFeatures(),
            TenureFeatures(windows=w),
            ThinFileFeatures(),
        ]

    def features(self) -> list[FeatureDef]:
        """Every feature definition, in output order (names must be unique)."""
        out: list[FeatureDef] = []
        seen: set[str] = set()
        for fam in self.families_:
            for f in fam.features():
                if f.name in seen:
                    raise SpecError(f"feature {f.name!r} is produced by two families")
                seen.add(f.name)
                out.append(f)
        return out

    @property
    def feature_names_(self) -> list[str]:
        """Feature column names in their stable output order."""
        return [f.name for f in self.features()]

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """Feature names as a NumPy array (scikit-learn convention)."""
        import numpy as np

        return np.asarray(self.feature_names_, dtype=object)

    def describe(self, kind: str = "pandas") -> Any:
        """The data dictionary: one row per feature.

        Columns: ``name``, ``family``, ``window``, ``definition``, ``definition_zh``
        (the definition in plain Chinese, for Chinese reason hints), ``unit``,
        ``direction``, ``neutral`` (the value that speaks neither for nor against the
        applicant, where a feature has one: 0 for order trends), ``when_undefined``. See
        :func:`thinfile_credit.features.describe`.
        """
        from thinfile_credit.features.dictionary import describe

        return describe(self.features(), kind=kind)

    def _default_dpd(self) -> int:
        for fam in self.families_:
            if isinstance(fam, SocialFeatures):
                return fam.default_dpd
        return 90

    def _plan(self, clocks: frozenset[str] = frozenset()) -> Plan:
        """The plan, reading the local clocks ``clocks`` as computed columns and every
        other one it can from its base column (exact for naive and UTC columns; see
        :meth:`Plan.localised`)."""
        return self._base_plan().localised(clocks)

    def _base_plan(self) -> Plan:
        families = tuple(self.families) if self.families is not None else None
        try:
            return _cached_plan(families, tuple(self.windows))
        except TypeError:  # unhashable user-supplied family: plan afresh
            return make_plan(self.features())

    # -- batch -------------------------------------------------------------------------
    def build(self, tables: EventTables | Mapping[str, Any], applications: Any = None) -> Any:
        """Features for every application, as known at its moment.

        Parameters
        ----------
        tables : EventTables or mapping of table name to frame
            pandas, Polars, PyArrow or DuckDB frames, or all PySpark DataFrames.
        applications : frame, optional
            ``application_id``, ``user_id``, ``applied_at``; default
            ``tables.applications``.

        Returns
        -------
        frame
            Same kind as ``applications``: ``application_id``, ``user_id``,
            ``applied_at`` then :attr:`feature_names_` (float64, NaN where undefined),
            one row per application in input order. A pandas result carries the
            applications' index, so ``apps["f"] = X["f"]`` pairs every application
            with its own features (Polars, PyArrow and DuckDB frames have no index).
            Columns of the tables that no feature reads are ignored, never converted.

        Raises
        ------
        SchemaError
            Bad tables (see ``validate``), duplicated application ids, null moments.

        Notes
        -----
        PySpark input is not validated (that would collect the tables); validate a
        sample locally with :meth:`EventTables.validate`.
        """
        tables = _as_tables(tables, applications)
        if tables.applications is None:
            raise SchemaError("no applications given", table="applications")
        if is_spark(tables.applications):
            from thinfile_credit.features.spark import build_spark

            return build_spark(self, tables)
        if self.validate:
            tables.validate()
        polars = {name: _read(name, frame) for name, frame in tables}
        out = build_polars(self._polars_plan(polars), polars, default_dpd=self._default_dpd())
        kind = frame_kind(tables.applications)
        # one row per application, in their order: a pandas result keeps their index
        index = tables.applications.index if kind == "pandas" else None
        return from_polars(out, kind, index=index)

    def _polars_plan(self, tables: Mapping[str, pl.DataFrame]) -> Plan:
        """The plan for these tables: a local clock is computed only where it differs
        from its column (an aware column not in UTC, or a zone other than UTC)."""
        base = self._base_plan()
        if not base.clocks:
            return base
        zones = [
            (c, dtype.time_zone)
            for df in tables.values()
            for c, dtype in df.schema.items()
            if isinstance(dtype, pl.Datetime)
        ]
        return base.localised(computed_clocks(base.clocks, zones))

    def build_one(
        self, user_events: Mapping[str, Any], applied_at: Any, user_id: Any = None
    ) -> dict[str, float]:
        """Features of one applicant from their raw events, equal to the batch row.

        See :func:`thinfile_credit.features.online.build_one`.
        """
        from thinfile_credit.features.online import build_one

        return build_one(self, user_events, applied_at, user_id=user_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready spec of the builder (its families)."""
        return {"families": [f.to_dict() for f in self.families_], "validate": self.validate}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureBuilder:
        """Rebuild a builder from :meth:`to_dict` output.

        Raises
        ------
        SpecError
            ``data`` is not a mapping, lacks ``families``, holds an unknown key, a
            family that is not a mapping, or a ``validate`` that is not a bool.

        Examples
        --------
        >>> fb = FeatureBuilder(windows=(30,))
        >>> FeatureBuilder.from_dict(fb.to_dict()).feature_names_ == fb.feature_names_
        True
        """
        if not isinstance(data, Mapping):
            raise SpecError(f"FeatureBuilder: expected a mapping, got {type(data).__name__}")
        unknown = sorted(map(str, set(data) - {"families", "validate"}))
        if unknown:
            raise SpecError(f"FeatureBuilder: unknown options {unknown}")
        if "families" not in data:
            raise SpecError("FeatureBuilder: the spec has no 'families' (a list of family specs)")
        families = data["families"]
        if not isinstance(families, list | tuple) or not all(
            isinstance(d, Mapping) for d in families
        ):
            raise SpecError(
                "FeatureBuilder: 'families' must be a list of family specs (mappings), got "
                f"{families!r:.80}"
            )
        validate = data.get("validate", True)
        if not isinstance(validate, bool):
            raise SpecError(f"FeatureBuilder: 'validate' must be true or false, got {validate!r}")
        fams = [FeatureFamily.from_dict(d) for d in families]
        return cls(families=fams, validate=validate)

    def __repr__(self) -> str:
        names = ", ".join(type(f).__name__ for f in self.families_)
        return f"FeatureBuilder([{names}], {len(self.feature_names_)} features)"


@lru_cache(maxsize=32)
def _cached_plan(families: tuple[FeatureFamily, ...] | None, windows: tuple[int, ...]) -> Plan:
    # Families are frozen (hashable) specs: the plan, its expressions and their keys
    # are built once per configuration, which matters for the online path.
    return make_plan(FeatureBuilder(families, windows=windows).features())


def _read(name: str, frame: Any) -> pl.DataFrame:
    """One event table in Polars, read as validation reads it.

    Only the columns features read are converted (extra columns are ignored, even
    unreadable ones), and a pandas object column holding no value (an empty
    ``pd.DataFrame(columns=[...])``) is read as the null column it is, not as text.
    """
    df, kind = to_polars(frame, table=name, columns=TABLE_COLUMNS.get(name))
    return missing_objects_as_null(frame, kind, df)


def _as_tables(tables: EventTables | Mapping[str, Any], applications: Any) -> EventTables:
    if not isinstance(tables, EventTables):
        if not isinstance(tables, Mapping):
            raise SchemaError(f"expected EventTables or a mapping, got {type(tables).__name__}")
        unknown = set(tables) - set(TABLE_COLUMNS)
        if unknown:
            raise SchemaError(f"unknown tables {sorted(unknown)}")
        tables = EventTables(**dict(tables))
    if applications is not None:
        tables = tables.replace(applications=applications)
    return tables


def build_polars(
    plan: Plan, tables: Mapping[str, pl.DataFrame], *, default_dpd: int = 90
) -> pl.DataFrame:
    """Run ``plan`` on Polars tables; keys of ``applications`` plus features."""
    apps = tables["applications"]
    _check_applications(apps)
    tables = _type_null_ids(
        normalise_ids({n: df for n, df in tables.items() if n in TABLE_COLUMNS})
    )
    prepared = {n: prepare_polars(n, df, plan.clocks) for n, df in tables.items()}
    keys = prepared.pop("applications").with_row_index(APP).with_columns(pl.col(APP).cast(pl.Int64))
    app_keys = keys.select(APP, "user_id", pl.col("applied_at").alias("_t"))
    result = run_segments(plan, app_keys, prepared, apps.height, default_dpd=default_dpd)
    names = [f.name for f in plan.features]
    values = result.select(names)
    return pl.concat([apps.select(*KEY_COLUMNS), values], how="horizontal")


def _type_null_ids(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Give an entirely null id column (an empty table) its entity's id type.

    Such a column holds no id of either kind, so it joins and groups like the entity's
    other id columns (integer when no column says otherwise).
    """
    kinds: dict[str, pl.DataType] = {}
    for df in tables.values():
        for column, entity in ENTITY.items():
            if column in df.columns and df.schema[column] != pl.Null:
                kinds.setdefault(entity, df.schema[column])
    out = dict(tables)
    for name, df in tables.items():
        nulls = [
            pl.col(c).cast(kinds.get(e, pl.Int64()))
            for c, e in ENTITY.items()
            if c in df.columns and df.schema[c] == pl.Null
        ]
        if nulls:
            out[name] = df.with_columns(nulls)
    return out


def _check_applications(apps: pl.DataFrame) -> None:
    missing = [c for c in KEY_COLUMNS if c not in apps.columns]
    if missing:
        raise SchemaError(f"required columns missing: {missing}", table="applications")
    nulls = apps.select(pl.col("applied_at").is_null().arg_true()).to_series().to_list()
    if nulls:
        raise SchemaError(
            "null application moment", table="applications", column="applied_at", rows=nulls
        )
    dup = apps.select(pl.col("application_id").is_duplicated().arg_true()).to_series().to_list()
    if dup:
        raise SchemaError(
            "duplicated application ids", table="applications", column="application_id", rows=dup
        )


def prepare_polars(name: str, df: pl.DataFrame, clocks: Collection[str] = ()) -> pl.LazyFrame:
    """Select the columns features read; timestamps to integer microseconds (UTC).

    Naive timestamps are taken as they are; time-zone aware ones as UTC instants.
    Missing optional columns are added as nulls. The local ``clocks`` (see
    :mod:`._local_time`) of the table's columns are added after them.
    """
    missing = [
        c for c in TABLE_COLUMNS[name] if c not in df.columns and (name, c) not in OPTIONAL_COLUMNS
    ]
    if missing:
        raise SchemaError(f"required columns missing: {missing}", table=name, column=missing[0])
    exprs = []
    for c in TABLE_COLUMNS[name]:
        if c not in df.columns:
            absent = pl.lit(None, dtype=OPTIONAL_COLUMNS[(name, c)])
            # coded like a present column: the generated kernels read categoricals, not
            # text, and would hand the whole source to the slower block engine
            exprs.append((absent.cast(pl.Categorical) if c in CODED_COLUMNS else absent).alias(c))
            continue
        dtype = df.schema[c]
        if c in TIME_COLUMNS and not (name == "applications" and c != "applied_at"):
            if dtype == pl.String and df[c].null_count() == df.height:
                # pandas holds a column of None (``orders["status_at"] = None``) as
                # objects, read as text; like validation, read it as the null it is
                dtype = pl.Null()
            exprs.append(_to_micros(c, dtype, name))
        elif c in FLOAT_COLUMNS:
            exprs.append(pl.col(c).cast(pl.Float64))
        elif c in CODED_COLUMNS:
            # small closed vocabularies: categorical codes make comparisons and
            # distinct counts integer work
            exprs.append(pl.col(c).cast(pl.String).cast(pl.Categorical))
        elif c in ID_COLUMNS:
            exprs.append(pl.col(c).cast(pl.Int64 if dtype.is_integer() else pl.String))
        else:
            exprs.append(pl.col(c))
    for clock in clocks_of([c for c in TABLE_COLUMNS[name] if c in df.columns], clocks):
        exprs.append(polars_clock(clock, df.schema))
    return df.lazy().select(exprs)


def _to_micros(c: str, dtype: pl.DataType, table: str) -> pl.Expr:
    if dtype == pl.Null:
        return pl.col(c).cast(pl.Int64)
    if dtype == pl.Date:
        # a date has no time of day: read as midnight it would move an event (a payment,
        # a refund's status_at) earlier than it happened, into applications before it
        raise SchemaError(
            "a date column has no time of day: give datetimes (the moment of each event)",
            table=table,
            column=c,
        )
    if isinstance(dtype, pl.Datetime):
        return pl.col(c).dt.epoch("us")
    raise SchemaError(f"expected a timestamp column, got {dtype}", table=table, column=c)
