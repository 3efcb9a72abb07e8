"""Bad input to the DiD estimators raises DisparityError subclasses that name the problem."""

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import DataValueError, SpecificationError


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"i": np.repeat(np.arange(50), 4), "t": np.tile(np.arange(4), 50)})
    df["x"] = rng.normal(size=len(df))
    df["d"] = (df.i < 25).astype(int)
    df["post"] = (df.t >= 2).astype(int)
    df["y"] = rng.normal(size=len(df)) + df.d * df.post
    df["g"] = np.where(df.i < 15, 2, np.where(df.i < 30, 3, 0))
    return df


@pytest.mark.parametrize("covariates", [None, [], 3])
def test_psm_did_without_covariates(panel, covariates):
    with pytest.raises(SpecificationError, match="psm_did needs covariates="):
        dp.psm_did(panel, "y", treat="d", post="post", covariates=covariates, unit="i")


def test_psm_did_takes_one_covariate_name_and_checks_treat(panel):
    a = dp.psm_did(panel, "y", treat="d", post="post", covariates="x", unit="i")
    b = dp.psm_did(panel, "y", treat="d", post="post", covariates=["x"], unit="i")
    assert a.att == b.att
    with pytest.raises(DataValueError, match="treat='t' must be coded 0/1"):
        dp.psm_did(panel, "y", treat="t", post="post", covariates=["x"], unit="i")


def test_text_outcomes_are_named(panel):
    bad = panel.assign(y=np.where(panel.i == 3, "n/a", panel.y.astype(str)))
    with pytest.raises(DataValueError, match=r"Column 'y' must be numeric.*'n/a'"):
        dp.event_study(bad, "y", "i", "t", "g", estimator="sa")
    with pytest.raises(DataValueError, match=r"Column 'y' must be numeric"):
        dp.bacon(panel.assign(y="a"), "y", "i", "t", "g")
