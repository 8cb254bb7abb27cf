"""Loan products as frozen, validated specs, and the APR lint.

Rate ceilings (configurable defaults, **not legal advice**):

* ``apr_cap = 0.24`` — 24 % a year, the line in the Supreme People's Court's 2015
  provisions on private lending (interest up to 24 % protected, above 36 % void) that
  Chinese regulators' 2017 cash-loan notice (Circular 141) and later window guidance
  used for consumer credit pricing; licensed lenders are expected to keep the IRR APR,
  fees included, within it.
* ``apr_warn = 0.20`` — an internal early-warning line below the cap.

Since August 2020 the court's protected line for *private* lending is four times the
one-year LPR (about 15 % in 2020–2024); lenders under a financial licence are governed
by their own regulators. Set ``apr_cap`` to the line that binds you.

Where the cap is checked
------------------------
Fen rounding moves the APR with the amount, most at small amounts: a product priced at
exactly 2 %/month is at 24.00 % on ¥10,000 but over 24.00 % on some ¥50–¥100 first loans
of a thin-file ladder. So the cap is enforced **for every loan**:
:meth:`Product.schedule` (and with it :func:`~thinfile_credit.pricing.disclosure` and
:func:`~thinfile_credit.pricing.early_repayment_cost`) refuses, with a
:class:`~thinfile_credit.errors.PolicyError` naming the amount and its APR, any amount
whose APR exceeds ``apr_cap``. Construction and :func:`lint` check the product up front
at ``reference_principal`` and, when the product sets one, at ``min_principal``, the
smallest amount it lends. Rounding does not move the APR monotonically with the amount
(a 2 %/month, 12-month product is within 24 % at ¥50 but over it at ¥60 and ¥80), so
passing those two checks does not clear every amount: each amount is still checked when
it is priced. To clear a ladder's rungs up front, price each rung once (``p.apr(rung)``
or ``p.schedule(rung)``) when the product is configured.

Examples
--------
>>> p = Product(name="12m", repayment="equal_instalment", term_months=12, monthly_rate=0.015)
>>> round(p.apr().nominal, 4)
0.18
>>> lint(p).status
'ok'
"""

from __future__ import annotations

import json
import warnings
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any

from thinfile_credit.errors import PolicyError, SpecError
from thinfile_credit.pricing._loan_terms import _check_principal, _number
from thinfile_credit.pricing.apr import APR, apr
from thinfile_credit.pricing.schedules import (
    DAYS_PER_MONTH,
    Schedule,
    bullet,
    equal_instalment,
    equal_principal,
    flat_fee,
    revolving,
)

__all__ = ["REPAYMENT_KINDS", "PricingWarning", "Product", "ProductLint", "lint"]

REPAYMENT_KINDS = ("equal_instalment", "equal_principal", "flat_fee", "bullet", "revolving")

# APRs are disclosed to 0.01 percentage point; comparing at that precision keeps a product
# priced exactly at 2 %/month (24.0008 % after fen rounding) at, not over, a 24 % cap.
_APR_PRECISION = 4


class PricingWarning(UserWarning):
    """A product's APR is above the warning line but within the cap.

    Examples
    --------
    >>> issubclass(PricingWarning, UserWarning)
    True
    """


@dataclass(frozen=True)
class Product:
    """A credit product: repayment method, term, rates and fees, and its APR ceiling.

    Parameters
    ----------
    name : str
        Product name shown in disclosures.
    repayment : str
        One of ``"equal_instalment"`` (等额本息), ``"equal_principal"`` (等额本金),
        ``"flat_fee"``, ``"bullet"`` (先息后本) or ``"revolving"`` (随借随还).
    term_months : int
        Number of monthly instalments; for revolving, the example borrowing period
        used for disclosure and the lint (``term_months * 30`` days).
    monthly_rate : float, default 0
        Interest per month on the outstanding balance (instalment products).
    daily_rate : float, default 0
        Interest per day (revolving only).
    monthly_fee_rate : float, default 0
        Fee per month on the original principal.
    upfront_fee_rate : float, default 0
        Fee at disbursement, share of principal.
    early_repayment_fee_rate : float, default 0
        Fee on the outstanding principal when repaid early.
    refund_unearned_fees : bool, default True
        Whether periodic fees for months not yet reached are waived on early repayment.
    apr_cap : float, default 0.24
        Highest nominal IRR APR allowed; construction fails above it.
    apr_warn : float, default 0.20
        :func:`lint` warns at or above this APR.
    reference_principal : float, default 10000
        Amount at which the APR is checked and quoted (fen rounding moves APR slightly
        with size), in whole fen.
    min_principal : float, optional
        Smallest amount the product lends, in whole fen (at most
        ``reference_principal``). Construction and :func:`lint` also check the cap
        there, and :meth:`schedule` refuses smaller amounts. Without it any amount is
        allowed, each checked against the cap when it is priced.

    Raises
    ------
    SpecError
        On an unknown repayment kind, a parameter of the wrong type, or an impossible
        rate, term, fee or amount.
    PolicyError
        If the product's APR exceeds ``apr_cap`` at ``reference_principal`` or at
        ``min_principal``.

    Examples
    --------
    >>> Product(name="revolve", repayment="revolving", term_months=1, daily_rate=0.0005).apr_cap
    0.24
    """

    name: str
    repayment: str
    term_months: int
    monthly_rate: float = 0.0
    daily_rate: float = 0.0
    monthly_fee_rate: float = 0.0
    upfront_fee_rate: float = 0.0
    early_repayment_fee_rate: float = 0.0
    refund_unearned_fees: bool = True
    apr_cap: float = 0.24
    apr_warn: float = 0.20
    reference_principal: float = 10000.0
    min_principal: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SpecError("Product.name must be a non-empty string")
        if not isinstance(self.repayment, str) or self.repayment not in REPAYMENT_KINDS:
            raise SpecError(
                f"Product {self.name!r}: repayment must be one of {REPAYMENT_KINDS}, "
                f"got {self.repayment!r}"
            )
        if (
            isinstance(self.term_months, bool)
            or not isinstance(self.term_months, int)
            or not 1 <= self.term_months <= 360
        ):
            raise SpecError(f"Product {self.name!r}: term_months must be an integer in [1, 360]")
        for name in (
            "monthly_rate",
            "daily_rate",
            "monthly_fee_rate",
            "upfront_fee_rate",
            "early_repayment_fee_rate",
            "apr_cap",
            "apr_warn",
        ):
            value = self._number(name)
            if not 0 <= value < (10 if "apr" in name else 1):
                raise SpecError(f"Product {self.name!r}: {name} out of range: {value!r}")
        if not isinstance(self.refund_unearned_fees, bool):
            raise SpecError(
                f"Product {self.name!r}: refund_unearned_fees must be True or False, "
                f"got {self.refund_unearned_fees!r}"
            )
        for name in ("reference_principal", "min_principal"):
            if name == "min_principal" and self.min_principal is None:
                continue
            _check_principal(self._number(name), f"Product {self.name!r}: {name}")
        if self.min_principal is not None and self.min_principal > self.reference_principal:
            raise SpecError(
                f"Product {self.name!r}: min_principal {self.min_principal!r} exceeds "
                f"reference_principal {self.reference_principal!r}"
            )
        if self.repayment == "flat_fee" and self.monthly_rate:
            raise SpecError(f"Product {self.name!r}: flat_fee charges monthly_fee_rate only")
        if self.repayment == "revolving":
            if self.monthly_rate or self.monthly_fee_rate or self.upfront_fee_rate:
                raise SpecError(
                    f"Product {self.name!r}: a revolving product charges daily_rate only"
                )
        elif self.daily_rate:
            raise SpecError(f"Product {self.name!r}: daily_rate applies to revolving only")
        if self.apr_warn > self.apr_cap:
            raise SpecError(f"Product {self.name!r}: apr_warn must not exceed apr_cap")
        for principal in self.checked_principals():
            _check_cap(self, principal, apr(self._schedule(principal)), self.apr_cap)

    def _number(self, name: str) -> float:
        """A numeric field, validated and stored back as a plain float (JSON-safe even
        when given as a NumPy scalar)."""
        value = _number(f"Product {self.name!r}: {name}", getattr(self, name))
        object.__setattr__(self, name, value)
        return value

    def checked_principals(self) -> tuple[float, ...]:
        """The amounts at which construction and :func:`lint` check the APR cap.

        ``min_principal`` (when set) and ``reference_principal``.

        Examples
        --------
        >>> p = Product(name="p", repayment="bullet", term_months=3, monthly_rate=0.01,
        ...             min_principal=50)
        >>> p.checked_principals()
        (50.0, 10000.0)
        """
        if self.min_principal is None or self.min_principal == self.reference_principal:
            return (self.reference_principal,)
        return (self.min_principal, self.reference_principal)

    # --- engines bound to the spec ------------------------------------------------------
    def schedule(self, principal: float) -> Schedule:
        """The repayment schedule for ``principal`` yuan, refused if over the APR cap.

        Raises
        ------
        SpecError
            If ``principal`` is not a positive whole-fen amount.
        PolicyError
            If ``principal`` is below ``min_principal``, or the schedule's IRR APR (to
            0.01 percentage point) exceeds ``apr_cap`` at this amount (fen rounding
            raises the APR of small loans).

        Examples
        --------
        >>> p = Product(name="p", repayment="equal_instalment", term_months=12, monthly_rate=0.02)
        >>> p.schedule(1000).payment[:2].tolist()
        [94.56, 94.56]
        >>> try:
        ...     p.schedule(80)  # fen rounding puts an ¥80 loan over the cap
        ... except PolicyError as err:
        ...     print(err)
        Product 'p': IRR APR 24.03% at principal 80.00 exceeds the cap 24.00%
        """
        return self.priced(principal)[0]

    def priced(self, principal: float) -> tuple[Schedule, APR]:
        """The schedule for ``principal`` and its APR, from one IRR solve.

        The checks of :meth:`schedule` apply; callers that need both figures (a
        disclosure) avoid solving the APR a second time.

        Examples
        --------
        >>> p = Product(name="p", repayment="bullet", term_months=3, monthly_rate=0.01)
        >>> sched, figures = p.priced(1000)
        >>> round(figures.nominal, 4), float(sched.total_interest)
        (0.12, 30.0)
        """
        sched = self._schedule(principal)
        if self.min_principal is not None and sched.principal < self.min_principal:
            raise PolicyError(
                f"Product {self.name!r}: principal {sched.principal:.2f} is below the "
                f"product's minimum {self.min_principal:.2f}"
            )
        figures = apr(sched)
        _check_cap(self, sched.principal, figures, self.apr_cap)
        return sched, figures

    def _schedule(self, principal: float) -> Schedule:
        """The schedule for ``principal`` without the cap and minimum checks."""
        try:
            return self._engine(principal)
        except SpecError as err:
            raise SpecError(f"Product {self.name!r}: {err}") from err

    def _engine(self, principal: float) -> Schedule:
        kw = {"monthly_fee_rate": self.monthly_fee_rate, "upfront_fee_rate": self.upfront_fee_rate}
        n = self.term_months
        if self.repayment == "equal_instalment":
            return equal_instalment(principal, self.monthly_rate, n, **kw)
        if self.repayment == "equal_principal":
            return equal_principal(principal, self.monthly_rate, n, **kw)
        if self.repayment == "bullet":
            return bullet(principal, self.monthly_rate, n, **kw)
        if self.repayment == "flat_fee":
            return flat_fee(
                principal, self.monthly_fee_rate, n, upfront_fee_rate=self.upfront_fee_rate
            )
        _check_principal(principal)  # named as the principal, not as a ledger event
        return revolving([(0, principal)], self.daily_rate, repay_all_on=n * DAYS_PER_MONTH)

    def apr(self, principal: float | None = None) -> APR:
        """APR of the schedule for ``principal`` (default ``reference_principal``).

        A figure only: it does not refuse an amount over the cap or below
        ``min_principal`` (:meth:`schedule` does), so it can show *why* an amount is
        refused.

        Examples
        --------
        >>> p = Product(name="p", repayment="equal_instalment", term_months=12, monthly_rate=0.02)
        >>> round(p.apr().nominal, 4), round(p.apr(80).nominal, 4)
        (0.24, 0.2403)
        """
        return apr(self._schedule(self.reference_principal if principal is None else principal))

    def monthly_yield(self) -> float:
        """Interest and fee income per yuan of drawn balance per month (for simulation).

        Examples
        --------
        >>> p = Product(name="r", repayment="revolving", term_months=1, daily_rate=0.0005)
        >>> p.monthly_yield()
        0.015
        """
        if self.repayment == "revolving":
            return self.daily_rate * DAYS_PER_MONTH
        return self.apr().periodic_rate

    # --- serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-data representation (JSON-safe)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Product:
        """Rebuild from :meth:`to_dict`; unknown or missing keys raise :class:`SpecError`.

        Examples
        --------
        >>> Product.from_dict({"name": "p"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        thinfile_credit.errors.SpecError: Product 'p' is missing fields: ['repayment', ...
        """
        if not isinstance(data, dict):
            raise SpecError(f"a Product is rebuilt from a dict, got {type(data).__name__}")
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise SpecError(f"unknown Product fields: {sorted(unknown)}")
        missing = [
            f.name
            for f in fields(cls)
            if f.name not in data and f.default is MISSING and f.default_factory is MISSING
        ]
        if missing:
            raise SpecError(f"Product {data.get('name', '')!r} is missing fields: {missing}")
        return cls(**data)

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Product:
        """Rebuild from :meth:`to_json`; text that is not JSON raises :class:`SpecError`."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as err:
            raise SpecError(f"Product JSON cannot be read: {err}") from None
        return cls.from_dict(data)


@dataclass(frozen=True)
class ProductLint:
    """Outcome of :func:`lint`.

    Parameters
    ----------
    product : str
        Product name.
    apr : APR
        The figures at the checked amount with the highest APR (see
        :meth:`Product.checked_principals`).
    status : str
        ``"ok"`` or ``"warn"`` (a breach raises instead).
    message : str
        Human-readable verdict.

    Examples
    --------
    >>> p = Product(name="p", repayment="bullet", term_months=6, monthly_rate=0.01)
    >>> lint(p).message
    'IRR APR 12.00% within 20.00%'
    """

    product: str
    apr: APR
    status: str
    message: str


def lint(
    product: Product, *, cap: float | None = None, warn_at: float | None = None
) -> ProductLint:
    """Refuse a product whose IRR APR exceeds the cap; warn above the warning line.

    The APR is checked at every amount of :meth:`Product.checked_principals`
    (``min_principal`` when set, and ``reference_principal``); the highest counts.
    Each loan is checked again against the product's own ``apr_cap`` when priced
    (:meth:`Product.schedule`).

    Parameters
    ----------
    product : Product
        The product to check.
    cap, warn_at : float, optional
        Override the product's ``apr_cap`` / ``apr_warn`` (e.g. a stricter house line).

    Returns
    -------
    ProductLint

    Raises
    ------
    PolicyError
        If the nominal IRR APR (to 0.01 percentage point) exceeds the cap.
    SpecError
        If ``product`` is not a :class:`Product`, or ``cap`` or ``warn_at`` is not a
        number.

    Warns
    -----
    PricingWarning
        If the APR is at or above the warning line.

    Examples
    --------
    >>> p = Product(name="p", repayment="flat_fee", term_months=12, monthly_fee_rate=0.006)
    >>> lint(p).status
    'ok'
    >>> try:
    ...     lint(p, cap=0.12)
    ... except PolicyError as err:
    ...     print(err)
    Product 'p': IRR APR 13.03% at principal 10000.00 exceeds the cap 12.00%
    """
    if not isinstance(product, Product):
        raise SpecError(f"lint: product must be a Product, got {type(product).__name__}")
    cap = product.apr_cap if cap is None else cap
    warn_at = product.apr_warn if warn_at is None else warn_at
    for name, value in (("cap", cap), ("warn_at", warn_at)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise SpecError(f"lint: {name} must be a number, got {value!r}")
    checked = [(principal, product.apr(principal)) for principal in product.checked_principals()]
    for principal, figures in checked:
        _check_cap(product, principal, figures, cap)
    _, figures = max(checked, key=lambda item: item[1].nominal)
    figure = round(figures.nominal, _APR_PRECISION)
    if figure >= warn_at:
        message = (
            f"Product {product.name!r}: IRR APR {figure:.2%} is at or above the warning "
            f"line {warn_at:.2%} (cap {cap:.2%})"
        )
        warnings.warn(message, PricingWarning, stacklevel=2)
        return ProductLint(product.name, figures, "warn", message)
    return ProductLint(product.name, figures, "ok", f"IRR APR {figure:.2%} within {warn_at:.2%}")


def _check_cap(product: Product, principal: float, figures: APR, cap: float) -> None:
    """Raise :class:`PolicyError` if the APR at ``principal`` (to 0.01 point) exceeds ``cap``."""
    figure = round(figures.nominal, _APR_PRECISION)
    if figure > cap:
        raise PolicyError(
            f"Product {product.name!r}: IRR APR {figure:.2%} at principal {principal:.2f} "
            f"exceeds the cap {cap:.2%}"
        )
