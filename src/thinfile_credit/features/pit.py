"""Point-in-time cuts: the one place that decides what is known at an application moment.

For an application by user ``u`` at moment ``t``:

* **events** (orders, bills issued, loans disbursed, links, profile changes) count only
  if they happened strictly before ``t``;
* a bill or instalment is **due** only if its due date is strictly before ``t``;
* a **payment** counts only if it was made strictly before ``t``: a payment at or after
  ``t`` is treated as not yet made, so a bill due before ``t`` and paid at or after ``t``
  is *overdue at t*, and the amount paid known at ``t`` is 0;
* a neighbour's **default** counts only if it was observed strictly before ``t``: an
  instalment becomes a known default ``default_dpd`` days (90 by default) after its due
  date unless it was paid in full strictly before that moment (:func:`default_moments`);
* instalments are visible with their loan (from its disbursement);
* an order's final **status** (refunded, returned, cancelled) counts only if it was
  reached strictly before ``t`` (``status_at``; null means known since the order was
  placed): until then the order counts as ``paid`` (:func:`has_status_at_t`);
* profile facts (registration, phone verification) count only if before ``t``.

Each rule exists twice in this module and nowhere else: as a *cut* (which rows of an
event table belong to an application - a join on the user and a strict time filter,
written once for narwhals frames and once for NumPy arrays) and as row-level
:class:`~thinfile_credit.features._expr.Expr` helpers (:func:`is_due`, :func:`paid_by_t`,
:func:`overdue_at_t`...) that every feature family uses instead of touching ``_t``.

Examples
--------
>>> from thinfile_credit.features import pit
>>> pit.within("ordered_at", 30).key
'le(sub(col(_t),col(ordered_at)),lit(2592000000000))'
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np

from thinfile_credit.features._expr import DAY_US, Expr, col, lit, when
from thinfile_credit.features._local_time import clocks_of
from thinfile_credit.schema.tables import ORDER_STATUSES

__all__ = [
    "LINK_SINCE",
    "PEER_BILLS_DUE",
    "SOURCES",
    "USER_CUTS",
    "T",
    "age_days",
    "amount_paid_at_t",
    "cut_narwhals",
    "cut_numpy",
    "days_late_at_t",
    "default_moments",
    "due_within",
    "edge_table",
    "has_status_at_t",
    "is_due",
    "link_table",
    "overdue_at_t",
    "paid_by_t",
    "paid_in_full_by",
    "source_columns",
    "status_known_at_t",
    "user_table",
    "within",
]

#: The application moment (integer microseconds) on every row of every source.
T = col("_t")

#: Sources a feature may aggregate over, and the columns each one holds after the cut.
SOURCES: dict[str, tuple[str, ...]] = {
    "orders": (
        "ordered_at",
        "amount",
        "category",
        "status",
        "status_at",
        "payment_method",
        "installments",
    ),
    "bills": ("issued_at", "due_at", "amount_due", "paid_at", "amount_paid"),
    "loans": ("loan_id", "disbursed_at", "principal", "credit_limit"),
    "installments": (
        "loan_id",
        "installment_no",
        "due_at",
        "amount_due",
        "paid_at",
        "amount_paid",
    ),
    "edges": ("peer_id", "kind", "since", "peer_default_at"),
    "peer_bills": ("peer_id", "due_at", "amount_due", "paid_at", "amount_paid"),
    "profiles": ("registered_at", "phone_verified_at"),
    "profile_changes": ("changed_at", "kind"),
}


#: The event table each source is cut from (``peer_bills`` joins edges to bills).
SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "orders": ("orders",),
    "bills": ("bills",),
    "loans": ("loans",),
    "installments": ("installments", "loans"),
    "edges": ("edges",),
    "peer_bills": ("edges", "bills"),
    "profiles": ("profiles",),
    "profile_changes": ("profile_changes",),
}


#: A link counts from this moment, strictly before ``t`` (:func:`link_table` rows).
LINK_SINCE = "since"

#: Sources whose cut is "the application's user's rows with this moment strictly before
#: ``t``" (the table is :func:`user_table`); every engine's cut of them follows this map.
USER_CUTS: dict[str, str] = {
    "orders": "ordered_at",
    "bills": "issued_at",
    "loans": "disbursed_at",
    "installments": "disbursed_at",
    "profiles": "registered_at",
    "profile_changes": "changed_at",
    "edges": LINK_SINCE,
}


#: A neighbour's bill counts once due strictly before ``t``.
PEER_BILLS_DUE = "due_at"


def source_columns(source: str, present: Any) -> tuple[str, ...]:
    """The columns a cut of ``source`` carries: :data:`SOURCES` ``[source]``, then the
    local clocks of those columns among the ``present`` columns of its table (computed
    only when they differ from their base column, see :mod:`._local_time`)."""
    cols = SOURCES[source]
    clocks = clocks_of(cols, present)
    return (*cols, *clocks) if clocks else cols


# ---------------------------------------------------------------------------------------
# row-level rules (shared by every engine through the expression language)
# ---------------------------------------------------------------------------------------


def age_days(column: str) -> Expr:
    """Days from ``column`` to the application moment (positive for past events)."""
    return (T - col(column)) / DAY_US


def within(column: str, days: int) -> Expr:
    """The event at ``column`` lies in the window ``[t - days, t)``.

    Only for a source's cut column (rows are already strictly before ``t``).
    """
    return (T - col(column)) <= lit(days * DAY_US)


def is_due(column: str = "due_at") -> Expr:
    """The bill or instalment fell due strictly before ``t``."""
    return col(column) < T


def due_within(days: int, column: str = "due_at") -> Expr:
    """Due strictly before ``t`` and no more than ``days`` days before it."""
    return is_due(column) & ((T - col(column)) <= lit(days * DAY_US))


def paid_by_t() -> Expr:
    """A payment date known at ``t``: made strictly before ``t``."""
    return col("paid_at") < T


def paid_in_full_by(limit: Expr) -> Expr:
    """Paid in full no later than ``limit`` *and* strictly before ``t``."""
    return paid_by_t() & (col("paid_at") <= limit) & (col("amount_paid") >= col("amount_due"))


def amount_paid_at_t() -> Expr:
    """Amount paid as known at ``t`` (0 when the payment came at or after ``t``)."""
    return when(paid_by_t(), col("amount_paid"), 0.0)


def overdue_at_t() -> Expr:
    """Due before ``t`` and not paid in full before ``t``."""
    return is_due() & ~(paid_in_full_by(T))


def days_late_at_t() -> Expr:
    """Days late of a due item as seen at ``t``.

    Paid in full before ``t``: ``max(0, paid_at - due_at)``; otherwise (unpaid, partly
    paid, or paid at/after ``t``) it is still running: ``t - due_at``. Null if not due.
    """
    settled = paid_in_full_by(T)
    late_paid = (col("paid_at") - col("due_at")) / DAY_US
    running = (T - col("due_at")) / DAY_US
    return when(
        is_due(),
        when(settled, when(late_paid > 0.0, late_paid, 0.0), running),
    )


def status_known_at_t() -> Expr:
    """The order's final ``status`` was known strictly before ``t``.

    It was when ``status_at`` is null (the status held from the moment the order was
    placed, as a payment does; an orders table without ``status_at`` reads as all null)
    or strictly before ``t``.

    Examples
    --------
    >>> status_known_at_t().key
    'or(is_null(col(status_at)),lt(col(status_at),col(_t)))'
    """
    return col("status_at").is_null() | (col("status_at") < T)


def has_status_at_t(status: str) -> Expr:
    """The order's status as known at ``t`` is ``status`` (one of ``ORDER_STATUSES``).

    The ``status`` column holds the order's *final* status. A refund, return or
    cancellation reached at or after ``t`` had not happened at ``t``: until then the
    order counts as ``paid``. Written as masks (no text-valued ``when``) so the compiled
    engines run it.

    Parameters
    ----------
    status : {"paid", "cancelled", "refunded", "returned"}
        The status tested.

    Examples
    --------
    >>> has_status_at_t("refunded").key
    'and(eq(col(status),lit(refunded)),or(is_null(col(status_at)),lt(col(status_at),col(_t))))'
    >>> has_status_at_t("paid").key
    'or(eq(col(status),lit(paid)),not(or(is_null(col(status_at)),lt(col(status_at),col(_t)))))'
    """
    if status not in ORDER_STATUSES:
        raise ValueError(f"unknown order status {status!r}; expected one of {ORDER_STATUSES}")
    final = col("status").eq(status)
    if status == "paid":
        return final | ~status_known_at_t()
    return final & status_known_at_t()


# ---------------------------------------------------------------------------------------
# cuts on narwhals frames (Polars lazy, DuckDB, PySpark)
# ---------------------------------------------------------------------------------------


def cut_narwhals(
    source: str,
    apps: Any,
    frames: dict[str, Any],
    *,
    default_dpd: int = 90,
) -> Any:
    """Rows of ``source`` belonging to each application, as of its moment.

    Parameters
    ----------
    source : str
        One of :data:`SOURCES`.
    apps : narwhals.LazyFrame
        ``_app`` (application key), ``user_id``, ``_t`` (microseconds).
    frames : dict
        Event tables as narwhals LazyFrames with timestamps in integer microseconds and
        the columns of the data model (optional columns filled with nulls).
    default_dpd : int
        Days past due after which an unpaid instalment is a known default.

    Returns
    -------
    narwhals.LazyFrame
        ``_app``, ``_t`` and the columns of :data:`SOURCES` ``[source]``.
    """
    import narwhals.stable.v2 as nw

    keys = apps.select("_app", "user_id", "_t")
    cols = list(SOURCES[source])
    if source in USER_CUTS:
        table = user_table(source, frames, default_dpd)
        cols = list(source_columns(source, table.collect_schema().names()))
        out = keys.join(table, on="user_id").filter(nw.col(USER_CUTS[source]) < nw.col("_t"))
    elif source == "peer_bills":
        peers = _app_links(keys, frames["edges"]).unique(["_app", "peer_id"])
        bills = frames["bills"].select(
            nw.col("user_id").alias("peer_id"), "due_at", "amount_due", "paid_at", "amount_paid"
        )
        out = peers.join(bills, on="peer_id").filter(nw.col(PEER_BILLS_DUE) < nw.col("_t"))
    else:
        raise ValueError(f"unknown source {source!r}")
    return out.select("_app", "_t", *cols)


def user_table(
    source: str, frames: dict[str, Any], default_dpd: int = 90, users: Any = None
) -> Any:
    """The table a :data:`USER_CUTS` source is cut from: one row per event with its user.

    Instalments take their loan's user and disbursement moment (they are visible with
    their loan); edges are :func:`edge_table`; the other sources are their own table.
    ``users`` (a frame of distinct ``user_id``, of the same kind as ``frames``), if
    given, keeps only their rows: an application's cut reads its own user's rows only,
    so a batch of few applications need not touch the other users' events.
    """
    if source == "edges":
        return edge_table(frames, default_dpd, users)
    if source != "installments":
        return _of_users(frames[source], users)
    loans = _of_users(frames["loans"], users).select("loan_id", "user_id", "disbursed_at")
    return _join_in_order(frames["installments"], loans, "loan_id")


def _join_in_order(left: Any, right: Any, on: str) -> Any:
    """``left`` inner-joined to ``right`` on ``on``, rows in ``left``'s order where the
    engine can keep it (Polars).

    A loan's instalments share its disbursement moment, the time they are cut and
    sorted by; rows tied there are summed in the order the join returns them, and an
    unordered parallel join changed ``loan_outstanding_amount_now`` in its last bits
    from one build of the same tables to the next.
    """
    import narwhals as nw
    import polars as pl

    native_left, native_right = nw.to_native(left), nw.to_native(right)
    if isinstance(native_left, pl.DataFrame | pl.LazyFrame) and isinstance(
        native_right, pl.DataFrame | pl.LazyFrame
    ):
        # numbering the rows and sorting on them is 3x cheaper than maintain_order
        row = "__left_row"
        joined = (
            native_left.lazy()
            .with_row_index(row)
            .join(native_right.lazy(), on=on)
            .sort(row)
            .drop(row)
        )
        return nw.from_native(joined if isinstance(native_left, pl.LazyFrame) else joined.collect())
    return left.join(right, on=on)


def edge_table(frames: dict[str, Any], default_dpd: int = 90, users: Any = None) -> Any:
    """The ``edges`` source as a table keyed by user, cut like :data:`USER_CUTS` by
    :data:`LINK_SINCE` (``user_id, peer_id, kind, since, peer_default_at``).

    One row per (user, peer, kind) with the earliest ``since`` of its links, and the
    peer's default moment (:func:`default_moments`) beside it. Cut at ``t``, this gives
    one row per (peer, kind) among the links known at ``t`` with the earliest of them: a
    triple has a link strictly before ``t`` exactly when its earliest link is, and that
    earliest link is then the earliest of those known at ``t``. ``users``: as in
    :func:`user_table` (the users whose links are kept; peers are any user).
    """
    import narwhals.stable.v2 as nw

    triples = (
        _of_users(link_table(frames["edges"]), users)
        .group_by("user_id", "peer_id", "kind")
        .agg(nw.col(LINK_SINCE).min())
    )
    if "loans" not in frames or "installments" not in frames:
        # No loan data: no neighbour's default is known (a missing table is empty).
        return triples.with_columns(nw.lit(None, dtype=nw.Int64()).alias("peer_default_at"))
    moments = default_moments(frames["loans"], frames["installments"], default_dpd)
    return triples.join(moments, on="peer_id", how="left")


def _of_users(frame: Any, users: Any) -> Any:
    return frame if users is None else frame.join(users, on="user_id", how="semi")


def link_table(edges: Any) -> Any:
    """Every link in both directions (``user_id, peer_id, kind, since``), no self-links."""
    import narwhals.stable.v2 as nw

    both = nw.concat(
        [
            edges.select("user_id", "peer_id", "kind", "since"),
            edges.select(
                nw.col("peer_id").alias("user_id"),
                nw.col("user_id").alias("peer_id"),
                "kind",
                "since",
            ),
        ]
    )
    return both.filter(nw.col("peer_id") != nw.col("user_id"))


def _app_links(keys: Any, edges: Any) -> Any:
    """``_app, _t, peer_id`` of every link known before ``t``.

    Links count in both directions (:func:`link_table`) from ``since``, strictly before
    ``t``. One row per edge row: callers deduplicate at the grain they need.
    """
    import narwhals.stable.v2 as nw

    joined = keys.join(link_table(edges), on="user_id").filter(nw.col(LINK_SINCE) < nw.col("_t"))
    return joined.select("_app", "_t", "peer_id")


def default_moments(loans: Any, installments: Any, default_dpd: int = 90) -> Any:
    """When each user's first default became known (narwhals LazyFrames in and out).

    An instalment defaults ``default_dpd`` days after its due date unless it was paid in
    full strictly before that moment; the user's default moment is the earliest such
    moment. A later repayment does not undo a default already observed.

    Returns
    -------
    narwhals.LazyFrame
        ``peer_id`` (the defaulting user) and ``peer_default_at`` (microseconds).
    """
    import narwhals.stable.v2 as nw

    horizon = nw.col("due_at") + default_dpd * DAY_US
    cured = (
        ~nw.col("paid_at").is_null()
        & (nw.col("paid_at") < horizon)
        & (nw.col("amount_paid") >= nw.col("amount_due"))
    )
    inst = installments.join(loans.select("loan_id", "user_id"), on="loan_id")
    return (
        inst.filter(~cured)
        .group_by("user_id")
        .agg(horizon.min().alias("peer_default_at"))
        .select(nw.col("user_id").alias("peer_id"), "peer_default_at")
    )


# ---------------------------------------------------------------------------------------
# cuts on NumPy arrays (one application, online)
# ---------------------------------------------------------------------------------------

Arrays = dict[str, np.ndarray]


def cut_numpy(
    source: str,
    user_id: Any,
    t: float,
    tables: dict[str, Arrays],
    *,
    default_dpd: int = 90,
    clocks: Collection[str] = (),
) -> Arrays:
    """The same cut as :func:`cut_narwhals` for one application on NumPy arrays.

    ``tables`` maps table names to column arrays with times as float microseconds
    (NaN for null). Rows of other users are ignored except where the source needs
    neighbours (``edges`` defaults and ``peer_bills``). ``clocks``: the local clocks
    computed in ``tables`` (see :func:`source_columns`), carried with their columns.
    """
    cols = SOURCES[source]
    if source in USER_CUTS and source not in ("installments", "edges"):
        time_col = USER_CUTS[source]
        tab = tables.get(source)
        if tab is None:
            return _empty(cols)
        keep = (tab["user_id"] == user_id) & (tab[time_col] < t)
        # the usual case (naive times) carries no clock and looks for none
        carried = source_columns(source, clocks) if clocks else cols
        return {c: tab[c][keep] for c in carried}
    if source == "installments":
        loans, inst = tables.get("loans"), tables.get("installments")
        if loans is None or inst is None:
            return _empty(cols)
        mine = (loans["user_id"] == user_id) & (loans["disbursed_at"] < t)
        keep = np.isin(inst["loan_id"], loans["loan_id"][mine])
        return {c: inst[c][keep] for c in cols}
    if source == "edges":
        peer, kind, since = _np_app_edges(user_id, t, tables.get("edges"))
        moments = _np_default_moments(tables, default_dpd)
        dflt = np.array([moments.get(p, np.nan) for p in peer.tolist()], dtype=np.float64)
        return {"peer_id": peer, "kind": kind, "since": since, "peer_default_at": dflt}
    if source == "peer_bills":
        peer, _, _ = _np_app_edges(user_id, t, tables.get("edges"))
        bills = tables.get("bills")
        if bills is None or peer.size == 0:
            return _empty(cols)
        keep = np.isin(bills["user_id"], np.unique(peer)) & (bills["due_at"] < t)
        out = {c: bills[c][keep] for c in cols if c != "peer_id"}
        return {"peer_id": bills["user_id"][keep], **out}
    raise ValueError(f"unknown source {source!r}")


def _empty(cols: tuple[str, ...]) -> Arrays:
    return {c: np.empty(0, dtype=np.float64) for c in cols}


def _np_app_edges(
    user_id: Any, t: float, edges: Arrays | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if edges is None or len(edges["user_id"]) == 0:
        empty = np.empty(0, dtype=object)
        return empty, empty, np.empty(0)
    u, p, k, s = edges["user_id"], edges["peer_id"], edges["kind"], edges["since"]
    fwd = (u == user_id) & (s < t) & (p != user_id)
    bwd = (p == user_id) & (s < t) & (u != user_id)
    first: dict[tuple[Any, Any], float] = {}
    for peer, kind, since in zip(
        np.concatenate([p[fwd], u[bwd]]).tolist(),
        np.concatenate([k[fwd], k[bwd]]).tolist(),
        np.concatenate([s[fwd], s[bwd]]).tolist(),
    ):
        key = (peer, kind)
        if key not in first or since < first[key]:
            first[key] = since
    peers = np.empty(len(first), dtype=object)
    peers[:] = [k[0] for k in first]
    kinds = np.empty(len(first), dtype=object)
    kinds[:] = [k[1] for k in first]
    return peers, kinds, np.array(list(first.values()), dtype=np.float64)


def _np_default_moments(tables: dict[str, Arrays], default_dpd: int) -> dict[Any, float]:
    loans, inst = tables.get("loans"), tables.get("installments")
    if loans is None or inst is None or len(inst["loan_id"]) == 0:
        return {}
    owner = dict(zip(loans["loan_id"].tolist(), loans["user_id"].tolist()))
    horizon = inst["due_at"] + default_dpd * DAY_US
    paid = inst["paid_at"]
    with np.errstate(invalid="ignore"):
        cured = ~np.isnan(paid) & (paid < horizon) & (inst["amount_paid"] >= inst["amount_due"])
    out: dict[Any, float] = {}
    for loan, moment in zip(inst["loan_id"][~cured].tolist(), horizon[~cured].tolist()):
        user = owner.get(loan)
        if user is not None and (user not in out or moment < out[user]):
            out[user] = moment
    return out
