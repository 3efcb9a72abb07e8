"""Fixtures for model tests: the stored deterministic sample and the R reference values."""

import json
from pathlib import Path

import pandas as pd
import pytest

REF = Path(__file__).resolve().parents[1] / "reference" / "models"


@pytest.fixture(scope="session")
def sample() -> pd.DataFrame:
    return pd.read_csv(REF / "survey_sample.csv")


@pytest.fixture(scope="session")
def rref() -> dict:
    return json.loads((REF / "r_reference.json").read_text())


def r_series(block: dict, key: str = "coef") -> pd.Series:
    """R names -> formulaic names ('(Intercept)' -> 'Intercept')."""
    vals = block[key]
    return pd.Series(
        {("Intercept" if k == "(Intercept)" else k): float(v) for k, v in vals.items()}
    )
