"""dp.twopart against the twopm-equivalent computation in R (tests/reference/glm/r_reference.R)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import DataValueError, SpecificationError

REF = Path(__file__).resolve().parents[1] / "reference" / "glm"
# Both sides are closed-form given IRLS fits converged to ~1e-14 (R) and 1e-13 (statsmodels).
TWOPART_TOL = 1e-6
F = "spend ~ x1 + x2 + urban"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "spending_sample.csv")


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "r_reference.json").read_text())


def ame(res, var):
    return res.marginal_effects(var).tidy().iloc[0]


@pytest.mark.reference
def test_logit_gamma_against_r(data, ref):
    m = dp.twopart(F, data, information="eim")  # R's glm bread (EIM) for the gamma part
    for var in ("x1", "x2"):
        me, r = ame(m, var), ref["twopart_gamma"][var]
        assert me.estimate == pytest.approx(r["estimate"], rel=TWOPART_TOL)
        assert me.std_error == pytest.approx(r["se"], rel=TWOPART_TOL)
    assert m.stats["mean_prediction"] == pytest.approx(ref["twopart_gamma"]["x1"]["mean"], rel=TWOPART_TOL)
    # the parts are the stand-alone fits
    first = dp.logit("any ~ x1 + x2 + urban", data.assign(any=(data.spend > 0).astype(int)))
    np.testing.assert_allclose(m.params.iloc[:4], first.params, rtol=1e-12)
    assert list(m.params.index[:2]) == ["logit_Intercept", "logit_x1"]


@pytest.mark.reference
def test_pweighted_clustered_against_r(data, ref):
    m = dp.twopart(F, data, information="eim", weights="w", vcov="cluster", cluster="county")
    me, r = ame(m, "x1"), ref["twopart_gamma_pw_cl"]["x1"]
    assert me.estimate == pytest.approx(r["estimate"], rel=TWOPART_TOL)
    assert me.std_error == pytest.approx(r["se"], rel=TWOPART_TOL)
    assert m.stats["mean_prediction"] == pytest.approx(r["mean"], rel=TWOPART_TOL)


@pytest.mark.reference
def test_log_ols_with_duan_smearing_against_r(data, ref):
    m = dp.twopart(F, data, second="ols_log")
    r = ref["twopart_logols"]
    assert m.stats["smearing"] == pytest.approx(r["smearing"], rel=1e-12)
    assert ame(m, "x1").estimate == pytest.approx(r["x1"]["estimate"], rel=TWOPART_TOL)
    assert ame(m, "x1").std_error == pytest.approx(r["x1"]["se"], rel=TWOPART_TOL)
    assert m.stats["mean_prediction"] == pytest.approx(r["x1"]["mean"], rel=TWOPART_TOL)
    g = dp.twopart(F, data, second="ols_log", smearing="group", smear_by="urban")
    r = ref["twopart_logols_group"]
    assert g.extra["smearing"][0] == pytest.approx(r["smearing"]["0"], rel=1e-12)
    assert g.extra["smearing"][1] == pytest.approx(r["smearing"]["1"], rel=1e-12)
    assert ame(g, "x1").estimate == pytest.approx(r["x1"]["estimate"], rel=TWOPART_TOL)
    assert ame(g, "x1").std_error == pytest.approx(r["x1"]["se"], rel=TWOPART_TOL)


def test_bootstrap_se_is_close_to_delta_and_reproducible(data):
    sub = data.iloc[:600]
    a = dp.twopart(F, sub, se="bootstrap", reps=40, seed=3)
    b = dp.twopart(F, sub, se="bootstrap", reps=40, seed=3)
    d = dp.twopart(F, sub)
    sa, sd = ame(a, "x1").std_error, ame(d, "x1").std_error
    assert sa == ame(b, "x1").std_error
    assert ame(a, "x1").estimate == ame(d, "x1").estimate
    assert 0.6 < sa / sd < 1.5  # 40 draws: the bootstrap SE is within sampling noise of the delta SE
    c = dp.twopart(F, sub, se="bootstrap", reps=20, seed=3, vcov="cluster", cluster="county")
    assert ame(c, "x1").std_error != sa


def test_suest_covariance(data):
    block = dp.twopart(F, data, weights="w", vcov="cluster", cluster="county")
    joint = dp.twopart(F, data, weights="w", vcov="cluster", cluster="county", suest=True)
    k = 4
    np.testing.assert_allclose(joint.cov.to_numpy()[:k, :k], block.cov.to_numpy()[:k, :k], rtol=1e-10)
    assert np.abs(joint.cov.to_numpy()[:k, k:]).max() > 0
    assert np.all(block.cov.to_numpy()[:k, k:] == 0)
    assert ame(joint, "x1").estimate == ame(block, "x1").estimate
    with pytest.raises(SpecificationError, match="suest=True needs a robust vcov"):
        dp.twopart(F, data, suest=True)


def test_twopart_with_survey_design_and_in_regression_table(data):
    des = dp.SurveyDesign(weights="w", strata="stratum", psu="county")
    s = dp.twopart(F, data, vcov="survey", design=des)
    assert s.df == 25 and s.spec.vcov == "survey"
    t = dp.regression_table([s], stats=("nobs",), lang="en")
    assert any(r[0].startswith("glm") for r in t.body)


def test_twopart_input_errors(data):
    with pytest.raises(DataValueError, match="negative values"):
        dp.twopart(F, data.assign(spend=data.spend - 1))
    with pytest.raises(SpecificationError, match="must be a column"):
        dp.twopart("np.log(spend) ~ x1", data)
    with pytest.raises(SpecificationError, match="smearing='group' needs"):
        dp.twopart(F, data, smearing="group")
    with pytest.raises(SpecificationError, match="second='tobit'"):
        dp.twopart(F, data, second="tobit")
    with pytest.raises(SpecificationError, match="with a survey design use se='delta'"):
        dp.twopart(F, data, se="bootstrap", vcov="survey", design=dp.SurveyDesign(weights="w"))
