"""Optional extras: a missing one names the pip command."""

from __future__ import annotations

import pytest

from thinfile_credit._optional import require
from thinfile_credit.errors import MissingDependencyError


def test_require_returns_installed_module() -> None:
    assert require("json", "core").__name__ == "json"


def test_missing_module_names_the_extra() -> None:
    with pytest.raises(MissingDependencyError, match=r'pip install "thinfile-credit\[spark\]"'):
        require("definitely_not_a_module_xyz", "spark")


def test_missing_dependency_is_an_import_error() -> None:
    with pytest.raises(ImportError):
        require("definitely_not_a_module_xyz", "plot")
