"""Consumption features from e-commerce orders (prefix ``cons_``)."""

from __future__ import annotations

from dataclasses import dataclass

from thinfile_credit._numbers import is_real
from thinfile_credit.errors import SpecError
from thinfile_credit.features import pit
from thinfile_credit.features._expr import DAY_US, HOUR_US, Expr, agg, col, lit, log, over
from thinfile_credit.features._local_time import check_zone, local_clock
from thinfile_credit.features.spec import DEFAULT_WINDOWS, FeatureDef, FeatureFamily, check_windows

__all__ = ["DEFAULT_ESSENTIAL_CATEGORIES", "ConsumptionFeatures"]

#: Categories counted as essential spending unless configured otherwise.
DEFAULT_ESSENTIAL_CATEGORIES: tuple[str, ...] = (
    "grocery",
    "groceries",
    "food",
    "fresh_food",
    "household",
    "utilities",
    "health",
    "pharmacy",
    "baby",
    "mother_baby",
    "personal_care",
    "transport",
)

_SRC = "orders"


@dataclass(frozen=True)
class ConsumptionFeatures(FeatureFamily):
    """Spending behaviour on the platform before the application moment.

    Parameters
    ----------
    windows : tuple of int, default (30, 90, 180, 365)
        Look-back windows in days; an order at ``ordered_at`` is in window ``w`` when
        ``t - w days <= ordered_at < t``.
    essential_categories : tuple of str
        Order categories counted as essential spending (``cons_essential_share_*``).
    instalment_methods : tuple of str, default ("pay_later", "installment", "instalment")
        Payment methods that count as buying on instalments, besides
        ``installments > 1``.
    night_hours : (int, int), default (0, 6)
        Local hours ``[start, end)`` counted as night-time; ``start > end`` wraps midnight.
    utc_offset_hours : float or None, default None
        The clock local hours and calendar days (``cons_night_share_*``,
        ``cons_active_days_*``) are read on. ``None``: each order's own wall clock -
        naive timestamps as given, time-zone-aware ones in their column's zone, order by
        order, daylight saving included (a Spark ``TimestampType`` column in the session
        time zone, ``spark.sql.session.timeZone``, as Spark's ``hour()`` reads it). A
        number of hours in ``[-14, 14]``: that fixed offset added to the timestamp as
        held, naive or UTC instant (``0.0``, the default of earlier versions, reads
        aware timestamps in UTC; a spec saved with it builds as it did).
    time_zone : str or None, default None
        An IANA zone (``"Asia/Shanghai"``) in which to read every order's instant,
        daylight saving included, for data held in UTC or another zone: aware
        timestamps are converted, **naive ones are taken as UTC**. Not with a numeric
        ``utc_offset_hours``.

    Raises
    ------
    SpecError
        Bad windows, categories or night hours; ``utc_offset_hours`` neither ``None``
        nor a number in ``[-14, 14]`` (a bool is refused); an unknown ``time_zone``, or
        one given with ``utc_offset_hours``.

    Notes
    -----
    Windows and "days since" features compare instants and never depend on the zone;
    only the local hour and calendar day do. On a day when the clocks change the hour
    is the wall clock's: no order falls in the skipped spring hour, and the orders of
    both passes through the repeated autumn hour count as that hour.

    The refund, return and cancel rates and the kept-basket mean read each order's status
    as known at the application moment (:func:`~thinfile_credit.features.pit.has_status_at_t`):
    a refund, return or cancellation counts only once reached (``orders.status_at``)
    strictly before it. Without a ``status_at`` column the final status is taken as known
    since the order was placed, which leaks later decisions into back-tests.

    Examples
    --------
    >>> fam = ConsumptionFeatures(windows=(30,))
    >>> fam.feature_names[:3]
    ['cons_order_count_30d', 'cons_gmv_sum_30d', 'cons_gmv_mean_30d']

    Orders at 02:00 in Shanghai are night-time orders, whatever zone the column holds:

    >>> import polars as pl
    >>> from datetime import datetime
    >>> from thinfile_credit.features import FeatureBuilder
    >>> from thinfile_credit.schema import EventTables
    >>> def shanghai(values):
    ...     return pl.Series(values).dt.replace_time_zone("Asia/Shanghai")
    >>> apps = pl.DataFrame({"application_id": [1], "user_id": [7],
    ...                      "applied_at": shanghai([datetime(2024, 3, 1, 12)])})
    >>> orders = pl.DataFrame({"order_id": [1], "user_id": [7],
    ...     "ordered_at": shanghai([datetime(2024, 2, 20, 2)]), "amount": [50.0],
    ...     "category": ["food"], "status": ["paid"]})
    >>> tables = EventTables(applications=apps, orders=orders)
    >>> FeatureBuilder([fam]).build(tables)["cons_night_share_30d"][0]
    1.0
    >>> utc = ConsumptionFeatures(windows=(30,), utc_offset_hours=0.0)  # 18:00 UTC
    >>> FeatureBuilder([utc]).build(tables)["cons_night_share_30d"][0]
    0.0
    """

    windows: tuple[int, ...] = DEFAULT_WINDOWS
    essential_categories: tuple[str, ...] = DEFAULT_ESSENTIAL_CATEGORIES
    instalment_methods: tuple[str, ...] = ("pay_later", "installment", "instalment")
    night_hours: tuple[int, int] = (0, 6)
    utc_offset_hours: float | None = None
    time_zone: str | None = None

    prefix = "cons"
    family = "consumption"

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", check_windows(self.windows, "ConsumptionFeatures"))
        for name in ("essential_categories", "instalment_methods"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise SpecError(f"ConsumptionFeatures.{name} must be a tuple of strings")
            object.__setattr__(self, name, tuple(value))
        hours = tuple(self.night_hours)
        if len(hours) != 2 or not all(isinstance(h, int) and 0 <= h <= 24 for h in hours):
            raise SpecError("ConsumptionFeatures.night_hours must be two hours in [0, 24]")
        if hours[0] == hours[1]:
            raise SpecError("ConsumptionFeatures.night_hours must not be an empty range")
        object.__setattr__(self, "night_hours", hours)
        offset = self.utc_offset_hours
        if offset is not None and not (is_real(offset) and -14 <= offset <= 14):
            raise SpecError(
                "ConsumptionFeatures.utc_offset_hours must be None (each timestamp's own "
                f"wall clock) or a number of hours in [-14, 14], got {offset!r}"
            )
        if self.time_zone is not None:
            check_zone(self.time_zone, "ConsumptionFeatures.time_zone")
            if offset is not None:
                raise SpecError(
                    "ConsumptionFeatures: give time_zone or a numeric utc_offset_hours, not both"
                )

    def features(self) -> list[FeatureDef]:
        """Every consumption feature, windows in increasing order, then "ever" ones."""
        out: list[FeatureDef] = []
        for w in self.windows:
            out.extend(self._window_features(w))
        when_none = "no order before the application"
        out.append(
            self._def(
                "cons_days_since_last_order",
                None,
                "Days from the most recent order to the application.",
                "days",
                "higher_is_riskier",
                agg("min", _SRC, pit.age_days("ordered_at")),
                when_none,
                definition_zh="最近一次下单距申请时的天数",
            )
        )
        out.append(
            self._def(
                "cons_days_since_first_order",
                None,
                "Days from the first ever order to the application.",
                "days",
                "higher_is_safer",
                agg("max", _SRC, pit.age_days("ordered_at")),
                when_none,
                definition_zh="首次下单距申请时的天数",
            )
        )
        return out

    # ------------------------------------------------------------------------------

    def _local_clock(self) -> Expr:
        """The wall clock of each order, in microseconds (see ``utc_offset_hours``)."""
        if self.utc_offset_hours is None:
            return local_clock("ordered_at", self.time_zone)
        return col("ordered_at") + round(self.utc_offset_hours * HOUR_US)

    def _window_features(self, w: int) -> list[FeatureDef]:
        inw = pit.within("ordered_at", w)
        amount = col("amount")
        n = agg("count", _SRC, amount, inw)
        gmv = agg("sum", _SRC, amount, inw)
        local = self._local_clock()
        hour = (local % DAY_US) // HOUR_US
        start, end = self.night_hours
        night = (hour >= start) & (hour < end) if start < end else (hour >= start) | (hour < end)
        instalment = (col("installments") > 1) | col("payment_method").is_in(
            self.instalment_methods
        )
        period = (pit.T - col("ordered_at") - 1) // (30 * DAY_US)
        cat_n = over("sum", inw.to_float(), by=("category",))
        sum_log = agg("sum", _SRC, log(cat_n), inw)
        prev = ((pit.T - col("ordered_at")) > lit(w * DAY_US)) & (
            (pit.T - col("ordered_at")) <= lit(2 * w * DAY_US)
        )
        n_prev = agg("count", _SRC, amount, prev)
        essential = col("category").is_in(self.essential_categories)
        # statuses as known at t: a refund decided after the application is not one yet
        kept = pit.has_status_at_t("paid")

        def share(mask: Expr) -> Expr:
            return agg("sum", _SRC, mask.to_float(), inw) / n

        s = f"_{w}d"
        none = f"no order in the last {w} days"
        zh = f"最近{w}天"
        d = self._def
        return [
            d(
                f"cons_order_count{s}",
                w,
                f"Orders placed in the last {w} days (any status).",
                "count",
                "higher_is_safer",
                n,
                definition_zh=f"{zh}下单笔数（不论订单状态）",
            ),
            d(
                f"cons_gmv_sum{s}",
                w,
                f"Total order value (GMV) in the last {w} days.",
                "yuan",
                "higher_is_safer",
                gmv,
                definition_zh=f"{zh}订单总金额",
            ),
            d(
                f"cons_gmv_mean{s}",
                w,
                f"Mean order value in the last {w} days.",
                "yuan",
                "neutral",
                agg("mean", _SRC, amount, inw),
                none,
                definition_zh=f"{zh}平均每笔订单金额",
            ),
            d(
                f"cons_gmv_median{s}",
                w,
                f"Median order value in the last {w} days.",
                "yuan",
                "neutral",
                agg("median", _SRC, amount, inw),
                none,
                definition_zh=f"{zh}订单金额的中位数",
            ),
            d(
                f"cons_gmv_max{s}",
                w,
                f"Largest order value in the last {w} days.",
                "yuan",
                "neutral",
                agg("max", _SRC, amount, inw),
                none,
                definition_zh=f"{zh}单笔订单的最高金额",
            ),
            d(
                f"cons_gmv_std{s}",
                w,
                f"Standard deviation (ddof=1) of order values in the last {w} days.",
                "yuan",
                "higher_is_riskier",
                agg("std", _SRC, amount, inw),
                f"fewer than two orders in the last {w} days",
                definition_zh=f"{zh}订单金额的波动幅度（样本标准差）",
            ),
            d(
                f"cons_active_days{s}",
                w,
                f"Distinct local calendar days with an order in the last {w} days.",
                "count",
                "higher_is_safer",
                agg("nunique", _SRC, local // DAY_US, inw),
                definition_zh=f"{zh}有下单的天数（按当地日期计）",
            ),
            d(
                f"cons_active_months{s}",
                w,
                f"Distinct 30-day periods (counted back from the application) with an order "
                f"in the last {w} days.",
                "count",
                "higher_is_safer",
                agg("nunique", _SRC, period, inw),
                definition_zh=f"{zh}有下单的30天时段数（从申请时起往前每30天为一段）",
            ),
            d(
                f"cons_category_count{s}",
                w,
                f"Distinct product categories ordered in the last {w} days.",
                "count",
                "higher_is_safer",
                agg("nunique", _SRC, col("category"), inw),
                definition_zh=f"{zh}购买过的商品品类数",
            ),
            d(
                f"cons_category_entropy{s}",
                w,
                f"Shannon entropy (nats) of the category mix of orders in the last {w} days.",
                "nats",
                "higher_is_safer",
                log(n) - sum_log / n,
                none,
                definition_zh=f"{zh}订单品类的分散程度（香农熵，单位奈特）",
            ),
            d(
                f"cons_essential_share{s}",
                w,
                f"Share of GMV spent on essential categories in the last {w} days.",
                "share",
                "higher_is_safer",
                agg("sum", _SRC, amount, inw & essential) / gmv,
                f"no order value in the last {w} days",
                definition_zh=f"{zh}订单金额中生活必需品类的占比",
            ),
            d(
                f"cons_refund_rate{s}",
                w,
                f"Share of orders refunded before the application, last {w} days.",
                "share",
                "higher_is_riskier",
                share(pit.has_status_at_t("refunded")),
                none,
                definition_zh=f"{zh}订单中在申请前已退款的占比",
            ),
            d(
                f"cons_return_rate{s}",
                w,
                f"Share of orders returned before the application, last {w} days.",
                "share",
                "higher_is_riskier",
                share(pit.has_status_at_t("returned")),
                none,
                definition_zh=f"{zh}订单中在申请前已退货的占比",
            ),
            d(
                f"cons_cancel_rate{s}",
                w,
                f"Share of orders cancelled before the application, last {w} days.",
                "share",
                "higher_is_riskier",
                share(pit.has_status_at_t("cancelled")),
                none,
                definition_zh=f"{zh}订单中在申请前已取消的占比",
            ),
            d(
                f"cons_basket_mean{s}",
                w,
                f"Mean value of kept orders (not refunded, returned or cancelled before the "
                f"application) in the last {w} days.",
                "yuan",
                "neutral",
                agg("mean", _SRC, amount, inw & kept),
                f"no kept order in the last {w} days",
                definition_zh=f"{zh}实际成交（申请前未退款、退货或取消）订单的平均金额",
            ),
            d(
                f"cons_order_trend{s}",
                w,
                f"(orders in the last {w} days - orders in the {w} days before) / their sum; "
                "+1 all recent, -1 all earlier.",
                "ratio",
                "higher_is_safer",
                (n - n_prev) / (n + n_prev),
                f"no order in the last {2 * w} days",
                definition_zh=f"{zh}相比之前{w}天的下单趋势（两段下单笔数之差÷两者之和：1表示"
                "全在近期，-1表示全在之前）",
                neutral=0.0,
            ),
            d(
                f"cons_instalment_share{s}",
                w,
                f"Share of orders bought on instalments or pay-later, last {w} days.",
                "share",
                "higher_is_riskier",
                share(instalment),
                none,
                definition_zh=f"{zh}使用分期或先用后付的订单占比",
            ),
            d(
                f"cons_night_share{s}",
                w,
                f"Share of orders placed at night (local hours {start}-{end}), last {w} days.",
                "share",
                "higher_is_riskier",
                share(night),
                none,
                definition_zh=f"{zh}在夜间（当地时间{start}点至{end}点）下单的订单占比",
            ),
        ]
