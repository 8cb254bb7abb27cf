"""Small marketplaces shared by the synthetic-generator tests (generated once per session)."""

from __future__ import annotations

import pytest

from thinfile_credit.synthetic import Marketplace, make_marketplace


@pytest.fixture(scope="session")
def market() -> Marketplace:
    """4,000 users, Polars frames, default configuration."""
    return make_marketplace(n_users=4_000, seed=11, backend="polars")
