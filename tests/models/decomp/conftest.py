"""Fixtures for decomposition tests: stored inputs and reference values under tests/reference/decomp."""

import json
from pathlib import Path

import pandas as pd
import pytest

REF = Path(__file__).resolve().parents[2] / "reference" / "decomp"


@pytest.fixture(scope="session")
def ccard() -> pd.DataFrame:
    return pd.read_csv(REF / "ccard.csv")


@pytest.fixture(scope="session")
def chifeng_income() -> pd.DataFrame:
    return pd.read_csv(REF / "chifeng_income.csv", dtype={"county": str})


@pytest.fixture(scope="session")
def oaxaca_ref() -> dict:
    return json.loads((REF / "oaxaca_reference.json").read_text())
