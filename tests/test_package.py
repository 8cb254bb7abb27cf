"""The package's public surface: lazy names resolve, import stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import thinfile_credit as tc


@pytest.mark.parametrize("name", sorted(tc._LAZY))
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(tc, name) is not None
    assert name in dir(tc)


def test_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        tc.nope


def test_import_does_not_load_heavy_dependencies() -> None:
    code = (
        "import sys, thinfile_credit; "
        "heavy = [m for m in ('optbinning', 'shap', 'lightgbm', 'xgboost', 'pyspark') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version_is_pep440() -> None:
    from packaging.version import Version

    assert str(Version(tc.__version__)) == tc.__version__
