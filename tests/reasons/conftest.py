from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _reason_models import LogisticPoints, credit_frame


@pytest.fixture(scope="session")
def credit_data():
    return credit_frame(600, seed=0)


@pytest.fixture(scope="session")
def logistic_model(credit_data):
    X, y = credit_data
    return LogisticPoints().fit(X, y)
