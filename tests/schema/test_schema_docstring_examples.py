"""The Examples sections of the schema and datasets docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "thinfile_credit.schema",
    "thinfile_credit.schema.tables",
    "thinfile_credit.schema.event_tables",
    "thinfile_credit.schema.problems",
    "thinfile_credit.schema.validate",
    "thinfile_credit.datasets",
    "thinfile_credit.datasets.german",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
