"""Fixtures for the report-layer tests: the bundled survey with numeric codes, and fitted models."""

from pathlib import Path

import pandas as pd
import pytest

import disparity as dp

REF = Path(__file__).resolve().parents[1] / "reference"

LABELS = {"county": "县", "dev": "经济发展水平", "benefit_gap": "待遇差距", "support": "支持整合",
          "urban": "城镇", "age": "年龄", "edu_years": "受教育年限"}


@pytest.fixture(scope="session")
def survey() -> pd.DataFrame:
    df = dp.datasets.chifeng_survey()
    for col in ("urban", "support", "female", "chronic"):
        df[col] = df[col].cat.codes.astype(float)
    return df


@pytest.fixture(scope="session")
def models(survey: pd.DataFrame) -> dict:
    m1 = dp.ols("support ~ dev + benefit_gap", survey, vcov="cluster", cluster="county", few_clusters="analytic")
    m2 = dp.ols("support ~ dev * benefit_gap + urban + age + edu_years", survey, vcov="HC1")
    m3 = dp.logit("support ~ dev + benefit_gap + urban", survey)
    return {"m1": m1, "m2": m2, "m3": m3}


@pytest.fixture(scope="session")
def sample() -> pd.DataFrame:
    return pd.read_csv(REF / "models" / "survey_sample.csv")


REQUIRE_TOOLS_ENV = "DISPARITY_REQUIRE_TOOLS"


def require_tool(name: str) -> str:
    """The path of an external program the check needs (xelatex, soffice): skip on a machine
    without it, fail when DISPARITY_REQUIRE_TOOLS is set (a CI job that installs them)."""
    import os
    import shutil

    path = shutil.which(name)
    if path:
        return path
    if os.environ.get(REQUIRE_TOOLS_ENV, "") not in ("", "0"):
        pytest.fail(f"{REQUIRE_TOOLS_ENV} is set, but {name} is not on PATH", pytrace=False)
    pytest.skip(f"{name} is not installed (set {REQUIRE_TOOLS_ENV}=1 to make this a failure)")
