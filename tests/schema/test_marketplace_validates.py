"""The synthetic marketplace's tables fit the data model exactly."""

from __future__ import annotations

import pytest

from thinfile_credit.schema import TABLES, validate_tables
from thinfile_credit.synthetic import make_marketplace


@pytest.mark.parametrize(("backend", "seed"), [("polars", 0), ("pandas", 1)])
def test_marketplace_tables_validate_cleanly(backend: str, seed: int) -> None:
    market = make_marketplace(n_users=1_500, seed=seed, backend=backend)  # type: ignore[arg-type]
    assert market.tables.names() == tuple(TABLES)  # every table of the model is generated
    problems = validate_tables(market.tables, errors="collect")
    assert problems == [], "\n".join(str(p) for p in problems)
    market.tables.validate()
