"""Shared fixtures: real public datasets (skipped when absent) and one Spark session."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis: deterministic in CI, no deadline (2 shared cores make timings noisy).
settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

#: Where the lender's shared public datasets live, relative to the project root.
SHARED_DATA = Path(
    os.environ.get("THINFILE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


@pytest.fixture(scope="session")
def shared_data() -> Callable[[str], Path]:
    """Return a function giving the folder of a public dataset in ``../shared/data``.

    The test that asks for a dataset is skipped, with a message naming the folder,
    when it is absent (a user's fresh machine has none of them).
    """

    def _get(name: str) -> Path:
        folder = SHARED_DATA / name
        if not folder.is_dir():
            pytest.skip(
                f"real dataset {name!r} not found at {folder}; "
                "set THINFILE_SHARED_DATA to the folder holding it to run this test"
            )
        return folder

    return _get


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session per test run, bound to loopback, UI off."""
    pytest.importorskip("pyspark", reason="pyspark not installed (extra 'spark')")
    import shutil

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java is not installed; Spark tests need Java 17")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Workers must run this interpreter (it has the package); a bare "python" may not.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("thinfile-credit-tests")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
