"""A seeded synthetic thin-file marketplace with known ground truth.

:func:`make_marketplace` draws latent creditworthiness and spending capacity per user,
lets them drive every platform table (orders, pay-later bills, loans and instalments,
social links, profiles and their changes) and returns the tables together with each
application's true default probability, kept apart in ``Marketplace.truth``.

Examples
--------
>>> from thinfile_credit.synthetic import make_marketplace
>>> mk = make_marketplace(n_users=500, seed=0)
>>> sorted(mk.tables.names()) == sorted(
...     ["applications", "orders", "bills", "loans", "installments", "edges", "profiles",
...      "profile_changes"])
True
"""

from thinfile_credit.synthetic.config import MarketplaceConfig
from thinfile_credit.synthetic.marketplace import (
    Marketplace,
    bad_from_installments,
    make_marketplace,
)
from thinfile_credit.synthetic.users import RISK_FACTORS

__all__ = [
    "RISK_FACTORS",
    "Marketplace",
    "MarketplaceConfig",
    "bad_from_installments",
    "make_marketplace",
]
