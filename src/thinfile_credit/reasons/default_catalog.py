"""The built-in reason catalog covering every feature family of :mod:`thinfile_credit.features`.

Texts follow adverse-action practice: specific ("bills currently overdue"), about the
applicant's record rather than the model, and free of protected attributes. Chinese texts
are written for a consumer reading a mobile notice; English texts read as a decline letter.

Examples
--------
>>> cat = default_catalog()
>>> cat.text("THN01", "en")
'Purchase history too short to assess'
>>> cat.group_of("ten_account_age_days")
'TEN01'
"""

from __future__ import annotations

from functools import lru_cache

from thinfile_credit.reasons.catalog import ActionReason, ReasonCatalog, ReasonGroup

__all__ = ["default_action_reasons", "default_catalog"]

#: Where a group's missing values are worded (``ReasonGroup.missing``), for the groups
#: whose text a missing value would make false: a missing bill feature means no bill was
#: due in its window ("limited bill payment record", not "late bill payments": the
#: applicant may have older bills, so not "no bill payment history" either), a missing
#: loan feature no loan, a missing windowed shopping feature no order in that window, a
#: missing neighbour share no neighbour. Groups whose text stays true without a record
#: (BIL04, LON03, CON01, SOC02, ...) keep their missing values.
_MISSING_ROUTES: dict[str, str] = {
    **dict.fromkeys(("BIL01", "BIL02", "BIL03"), "BIL04"),
    **dict.fromkeys(("LON01", "LON02", "LON04"), "LON03"),
    **dict.fromkeys(("CON02", "CON03", "CON04", "CON05", "CON06"), "CON01"),
    "SOC01": "SOC02",
    # no loan yet: "limited record of repaid loans", not "loans taken recently"
    "LON05": "LON03",
}

#: Where a group's losses on the far side of its text are worded (``ReasonGroup.beyond``):
#: a value past the feature's neutral or best-scoring value that the model still charges,
#: which the group's own text would misstate. Each target's text is true of every value
#: routed to it, read as the source's text is, relative to the same value: its claim
#: takes only the far side ("high": above the value, "low": below it). A target's code
#: names its source and side (``BIL04_HIGH``): it sorts next to its source, and the next
#: numbers (``BIL05``...) stay free for lenders' own groups. Groups without a route leave
#: such losses unstated: LON03's on-time shares and streaks above the best value are not
#: "many loans"; an old account (TEN01) or a perfect on-time record (BIL01) is no adverse
#: fact; SOC02's far side (the marketplace GBM scores no transfer link best: 14 of 2,619
#: applicants, about one point each) would read "many connections" for a single link,
#: beside SOC03's "many new connections"; LON04's far side exists only with
#: points_below_max, where a scorecard's best-scoring balance can be large (10,800 CNY
#: in the benchmark's), so "low balance" would be said of 9,000 CNY.
_BEYOND_ROUTES: dict[str, str] = {
    # more bills than the model scores best: not "few", but "many"
    "BIL04": "BIL04_HIGH",
    # days since the last loan past the best value: not "recently", but "long ago"
    "LON05": "LON05_HIGH",
    # an order trend above 0: shopping rose, it did not decline
    "CON05": "CON05_HIGH",
    # order amounts or spending above the best value: not "low", but "large" or "high"
    "CON02": "CON02_HIGH",
}

#: Groups whose text compares the applicant with others (``ReasonGroup.claim``): "few",
#: "limited", "too new" describe low values, "many", "a high share" high ones. Their
#: losses are stated only on the adverse side of the value the model scores best, and
#: their neutral features (how many bills fell due, loans ever taken, links, basket
#: sizes) only on the side the text describes. Texts stating a fact (late or overdue
#: payments, linked defaults) have none; "none" marks a text saying there is nothing.
_CLAIMS: dict[str, str] = {
    **dict.fromkeys(
        ("BIL04", "LON03", "CON01", "CON02", "SOC02", "TEN01", "THN01", "THN03"), "low"
    ),
    **dict.fromkeys(("LON04", "CON03", "CON04", "CON06", "SOC03", "TEN02"), "high"),
    # many loans, or one taken recently: its neutral feature is the days since the last
    # loan, where a *short* time is what the text describes
    "LON05": "low",
    # "no bill payment history" is false from the first bill on
    "THN02": "none",
    # the beyond targets describe the far side of their source's text
    **dict.fromkeys(("BIL04_HIGH", "LON05_HIGH", "CON05_HIGH", "CON02_HIGH"), "high"),
}


def _g(
    code: str,
    short: tuple[str, str],
    long: tuple[str, str],
    patterns: tuple[str, ...],
    hints: dict[str, tuple[str, str]] | None = None,
    features: tuple[str, ...] = (),
) -> ReasonGroup:
    return ReasonGroup(
        code=code,
        short={"zh": short[0], "en": short[1]},
        long={"zh": long[0], "en": long[1]},
        patterns=patterns,
        features=features,
        hints={d: {"zh": t[0], "en": t[1]} for d, t in (hints or {}).items()},
        missing=_MISSING_ROUTES.get(code),
        claim=_CLAIMS.get(code),
        beyond=_BEYOND_ROUTES.get(code),
    )


_GROUPS: tuple[ReasonGroup, ...] = (
    # --- bill payment -------------------------------------------------------------------
    _g(
        "BIL01",
        ("账单有逾期支付记录", "Late bill payments"),
        (
            "近期有账单未在到期日前支付，或逾期天数较长。",
            "Recent bills were paid after their due date, or paid very late.",
        ),
        ("bill_*late*", "bill_ontime*", "bill_on_time*"),
        {
            "increase": (
                "今后账单按时支付，使{label}提高到{target}（约加{points}分）",
                "Pay upcoming bills on time to raise {label} to {target} (+{points} points)",
            ),
            "decrease": (
                "今后账单按时支付，使{label}降到{target}（约加{points}分）",
                "Pay upcoming bills on time so {label} falls to {target} (+{points} points)",
            ),
        },
    ),
    _g(
        "BIL02",
        ("目前有逾期未付的账单", "Bills currently overdue"),
        (
            "申请时仍有已到期但尚未支付的账单。",
            "At the time of application, one or more bills were past due and unpaid.",
        ),
        ("bill_overdue*", "bill_*_overdue*"),
        {
            "decrease": (
                "结清逾期账单，使{label}降到{target}（约加{points}分）",
                "Settle overdue bills to bring {label} down to {target} (+{points} points)",
            )
        },
    ),
    _g(
        "BIL03",
        ("账单未全额支付", "Bills not paid in full"),
        (
            "部分账单只支付了一部分金额。",
            "Some bills were only partly paid.",
        ),
        ("bill_*full*", "bill_*partial*"),
    ),
    _g(
        "BIL04",
        ("账单支付记录较少", "Limited bill payment record"),
        (
            "平台上的账单支付记录不足以充分评估还款习惯。",
            "There are too few bills on the platform to judge payment habits.",
        ),
        ("bill_due_count*", "bill_count*", "bill_bills*", "bill_*amount_due*", "bill_n_*"),
    ),
    _g(
        "BIL04_HIGH",
        ("到期账单笔数较多或金额较大", "Many bills or large amounts falling due"),
        (
            "平台上到期的账单笔数较多，或到期金额较大。",
            "Many bills, or bills for large amounts, fell due on the platform.",
        ),
        (),  # speaks only for BIL04's features above the value the model scores best
    ),
    # --- loan repayment -----------------------------------------------------------------
    _g(
        "LON01",
        ("目前有借款逾期未还", "Loan repayment currently past due"),
        (
            "申请时已有借款分期逾期未还。",
            "At the time of application, a loan instalment was past due.",
        ),
        ("loan_current_dpd*", "loan_*overdue*"),
        {
            "decrease": (
                "还清逾期分期，使{label}降到{target}（约加{points}分）",
                "Repay the overdue instalment to bring {label} to {target} (+{points} points)",
            )
        },
    ),
    _g(
        "LON02",
        ("借款曾有逾期还款", "Late loan repayments in the past"),
        (
            "过往借款中有分期未按时偿还。",
            "Past loan instalments were repaid late.",
        ),
        ("loan_max_dpd*", "loan_*late*", "loan_*dpd_ever*", "loan_ever_*"),
    ),
    _g(
        "LON03",
        ("按时还清借款的记录较少", "Limited record of repaid loans"),
        (
            "在平台上借款并按时还清的记录较少。",
            "There is little record of loans taken and repaid on time on the platform.",
        ),
        (
            # every loan count but the windowed ones (LON05), as in version 2
            "re:loan_(?!count_[0-9]+d$).*count.*",
            "loan_*completed*",
            "loan_*streak*",
            "loan_*early*",
            "loan_*ontime*",
            "loan_*on_time*",
            "loan_*taken*",
            "re:loan_days_since(?!_last_loan).*",
        ),
    ),
    _g(
        "LON04",
        ("已用额度或未还余额较高", "High use of credit limit or outstanding balance"),
        (
            "最近一笔借款使用了大部分可用额度，或申请时仍有较多未还余额。",
            "The most recent loan used most of the available limit, or a large balance was "
            "still outstanding at the time of application.",
        ),
        ("loan_*util*", "loan_outstanding*"),
    ),
    _g(
        "LON05",
        ("近期借款较多或较频繁", "Loans taken recently or in quick succession"),
        (
            "申请前不久在平台上借款，或近期借款次数较多。",
            "A loan was taken on the platform shortly before the application, or several "
            "loans were taken recently.",
        ),
        ("re:loan_count_[0-9]+d", "loan_days_since_last_loan*"),
    ),
    _g(
        "LON05_HIGH",
        ("距上次借款时间较长", "Long time since the last loan"),
        (
            "距上次在平台上借款已有较长时间。",
            "The last loan on the platform was taken a long time before the application.",
        ),
        (),  # speaks only for LON05's days since the last loan, past the best value
    ),
    # --- consumption --------------------------------------------------------------------
    _g(
        "CON01",
        ("近期购物活跃度低", "Little recent shopping activity"),
        (
            "近期在平台上的下单次数或活跃天数较少。",
            "Few orders or active days on the platform recently.",
        ),
        ("cons_order_count*", "cons_active_*", "cons_days_since_last*", "cons_n_orders*"),
    ),
    _g(
        "CON02",
        ("消费金额较低或波动较大", "Low or irregular spending"),
        (
            "在平台上的消费金额较低，或各期之间波动较大。",
            "Spending on the platform is low or varies strongly from period to period.",
        ),
        ("cons_gmv*", "cons_*basket*", "cons_spend*", "cons_amount*"),
    ),
    _g(
        "CON03",
        ("退款、退货或取消订单较多", "Many refunds, returns or cancellations"),
        (
            "订单中退款、退货或取消的比例较高。",
            "A high share of orders was refunded, returned or cancelled.",
        ),
        ("cons_*refund*", "cons_*return*", "cons_*cancel*"),
    ),
    _g(
        "CON04",
        ("非必需品或深夜消费占比较高", "High share of discretionary or late-night purchases"),
        (
            "消费品类、必需品占比或下单时间的分布与按时还款人群差异较大。",
            "The mix of categories, essentials and order times differs from that of "
            "applicants who repay on time.",
        ),
        ("cons_*categor*", "cons_*essential*", "cons_*discretionary*", "cons_*night*"),
    ),
    _g(
        "CON05",
        ("购物活跃度下降", "Declining shopping activity"),
        (
            "最近一期的消费比上一期明显减少。",
            "Shopping in the latest period fell compared with the period before.",
        ),
        ("cons_*trend*", "cons_*growth*", "cons_*change*"),
    ),
    _g(
        "CON06",
        ("分期购物占比较高", "Many purchases paid in instalments"),
        (
            "较大比例的订单使用分期付款。",
            "A large share of orders was paid in instalments.",
        ),
        ("cons_*instal*",),
    ),
    _g(
        "CON05_HIGH",
        ("近期购物活跃度上升", "Recent increase in shopping activity"),
        (
            "最近一期的购物比上一期有所增加。",
            "Shopping in the latest period rose compared with the period before.",
        ),
        (),  # speaks only for CON05's trends above 0 (no decline)
    ),
    _g(
        "CON02_HIGH",
        ("单笔订单金额或消费总额较高", "Large orders or high spending"),
        (
            "在平台上的单笔订单金额较大，或消费总额较高。",
            "Orders on the platform were for large amounts, or total spending was high.",
        ),
        (),  # speaks only for CON02's amounts above the value the model scores best
    ),
    # --- social graph -------------------------------------------------------------------
    _g(
        "SOC01",
        ("关联账户存在违约或还款较差", "Linked accounts with defaults or poor repayment"),
        (
            "与您有关联的账户中，有账户在申请前已发生违约或还款较差。",
            "Accounts linked to yours had defaulted or repaid poorly before the application.",
        ),
        ("soc_*default*", "soc_*neighbo*", "soc_*contact*_ontime*"),
    ),
    _g(
        "SOC02",
        ("社交关联较少", "Few established connections"),
        (
            "平台上已建立的社交或转账关联较少。",
            "Few established social or transfer connections on the platform.",
        ),
        ("soc_degree*",),
    ),
    _g(
        "SOC03",
        ("近期新增关联较多", "Many new connections recently"),
        (
            "最近新建立的关联账户数量较多。",
            "Many connections were created shortly before the application.",
        ),
        ("soc_*new*", "soc_edges_*", "soc_*recent*"),
    ),
    # --- tenure and stability -----------------------------------------------------------
    _g(
        "TEN01",
        ("账户注册时间较短", "Account too new"),
        (
            "账户或手机号验证时间较短，尚不足以评估。",
            "The account, or its verified phone number, is too new to assess.",
        ),
        ("ten_account_age*", "ten_phone_verified*"),
        {
            "time": (
                "再过{delta}，{label}将达到{target}（约加{points}分）",
                "In {delta}, {label} reaches {target} (+{points} points)",
            )
        },
    ),
    _g(
        "TEN02",
        ("设备、手机号或地址变更频繁", "Frequent device, phone or address changes"),
        (
            "近期更换设备、手机号或收货地址的次数较多。",
            "The device, phone number or delivery address changed several times recently.",
        ),
        ("ten_*change*",),
    ),
    # --- thin file ----------------------------------------------------------------------
    _g(
        "THN01",
        ("购物记录时间太短，无法评估", "Purchase history too short to assess"),
        (
            "在平台上的消费记录时间太短，尚不足以评估信用。",
            "The purchase history on the platform is too short to assess creditworthiness.",
        ),
        ("thin_history*", "thin_file", "cons_days_since_first*", "thin_*order*"),
        {
            "time": (
                "继续在平台正常消费，{delta}后{label}将达到{target}（约加{points}分）",
                "Keep using the platform: in {delta}, {label} reaches {target} (+{points} points)",
            )
        },
    ),
    _g(
        "THN02",
        ("平台上没有账单支付记录", "No bill payment history on the platform"),
        (
            "平台上没有您的账单支付记录。",
            "There is no record of bill payments on the platform.",
        ),
        ("thin_*bill*", "thin_no_bill*"),
    ),
    _g(
        "THN03",
        ("平台活动记录太少，无法评估", "Too little platform activity to assess"),
        (
            "在平台上的各类活动记录太少，尚不足以评估信用。",
            "There are too few events of any kind on the platform to assess creditworthiness.",
        ),
        ("thin_*event*", "thin_*activity*", "thin_*loan*", "thin_*edge*", "thin_*sparse*"),
    ),
)


def default_action_reasons() -> tuple[ActionReason, ...]:
    """Reasons for limit-ladder account actions, taken from :mod:`thinfile_credit.limits`.

    The limit ladder keeps its reason table as data next to the engine that emits it
    (:data:`thinfile_credit.limits.reason_codes.LIMIT_REASONS`); the catalog folds it in so
    one catalog serves decline letters and account-action notices alike. The ladder has
    one text per language, used as both the short and the long text.

    Examples
    --------
    >>> codes = [a.code for a in default_action_reasons()]
    >>> "LIM_FREEZE_DPD" in codes
    True
    """
    from thinfile_credit.limits.reason_codes import LIMIT_REASONS

    return tuple(
        ActionReason(code, dict(texts), dict(texts)) for code, texts in LIMIT_REASONS.items()
    )


@lru_cache(maxsize=1)
def default_catalog() -> ReasonCatalog:
    """The built-in catalog: every feature family, thin-file reasons and ladder actions.

    Returns
    -------
    ReasonCatalog
        Cached and immutable; derive variants with ``with_groups``/``with_actions`` or
        ``ReasonCatalog.from_dict(default_catalog().to_dict())`` edited.

    Examples
    --------
    >>> default_catalog().group_of("loan_current_dpd")
    'LON01'
    """
    return ReasonCatalog(
        groups=_GROUPS,
        name="thinfile_credit.default",
        version="4",
        languages=("zh", "en"),
        # Attributes a lender may not base credit decisions on (Reg B / ECOA, China's
        # PIPL sensitive data); the built-in features never produce them, but a lender's
        # own columns with these names are caught.
        protected=(
            "re:.*(gender|ethnic|religio|marital|nationality|pregnan|disabilit|race_).*",
            "sex",
            "*_sex",
            "sex_*",
            "age",
            "age_years",
            "age_band*",
            "age_group*",
            "customer_age*",
            "applicant_age*",
            "birth*",
            "date_of_birth",
        ),
        # History that can never be undone: hints must not suggest changing it.
        immutable=("re:.*max.*_ever.*", "thin_file"),
        time_bound=(
            "ten_account_age*",
            "ten_phone_verified_age*",
            "thin_history*",
            "cons_days_since_first*",
        ),
        actions=default_action_reasons(),
        generic_hints={
            "increase": {
                "zh": "将{label}从{current}提高到{target}（约加{points}分）",
                "en": "Raise {label} from {current} to {target} (+{points} points)",
            },
            "decrease": {
                "zh": "将{label}从{current}降到{target}（约加{points}分）",
                "en": "Bring {label} down from {current} to {target} (+{points} points)",
            },
            "time": {
                "zh": "再过{delta}，{label}将达到{target}（约加{points}分）",
                "en": "In {delta}, {label} reaches {target} (+{points} points)",
            },
        },
    )
