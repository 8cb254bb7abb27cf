"""Fixtures for the schema tests: valid event tables and frame-kind conversion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from schema_tables_data import convert, valid_tables


@pytest.fixture(scope="session")
def make_tables() -> Callable[[], dict[str, pl.DataFrame]]:
    """A factory of fresh, valid, cross-consistent Polars tables (all eight)."""
    return valid_tables


@pytest.fixture(scope="session")
def as_kind() -> Callable[[pl.DataFrame, str], Any]:
    """Convert a Polars frame to "pandas", "polars" or "pyarrow"."""
    return convert
