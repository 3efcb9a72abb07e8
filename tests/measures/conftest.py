"""Fixtures for the measures tests."""

from pathlib import Path

import pandas as pd
import pytest

REF = Path(__file__).resolve().parents[1] / "reference" / "measures"


@pytest.fixture(scope="session")
def sample() -> pd.DataFrame:
    """The synthetic stratified, clustered survey sample of tests/reference/measures."""
    return pd.read_csv(REF / "sample.csv")


@pytest.fixture(scope="session")
def reference() -> pd.DataFrame:
    """R-computed reference values (make_reference.R)."""
    return pd.read_csv(REF / "reference.csv")
