"""Shared fixtures for the DiD tests: stored reference data and the bundled province panel."""

import json
from pathlib import Path

import pandas as pd
import pytest

import disparity as dp

REF = Path(__file__).resolve().parents[2] / "reference" / "did"


@pytest.fixture(scope="session")
def sim() -> pd.DataFrame:
    return pd.read_csv(REF / "sim_panel.csv")


@pytest.fixture(scope="session")
def csref() -> dict:
    return json.loads((REF / "csdid_reference.json").read_text())


@pytest.fixture(scope="session")
def pfref() -> dict:
    return json.loads((REF / "pyfixest_reference.json").read_text())


@pytest.fixture(scope="session")
def province() -> pd.DataFrame:
    df = dp.datasets.province_panel()
    return df.assign(cohort=df["integration_year"])
