"""Observed vs expected information and the fit statistics of logit, probit and ordered models."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.miscmodels.ordinal_model import OrderedModel

import disparity as dp
from disparity.models.ordered import _expected_information, _loglik_parts

REF = Path(__file__).resolve().parents[1] / "reference" / "models"
# Stata prints its ML results after convergence to a relative gradient of ~1e-8 (nrtolerance);
# our fits are converged to rounding, so the stored figures agree to about 1e-7.
STATA_TOL = 1e-6
# Two converged implementations of the same likelihood.
WRAPPER_TOL = 1e-8


@pytest.fixture(scope="module")
def spector() -> pd.DataFrame:
    return sm.datasets.spector.load_pandas().data


@pytest.mark.reference
@pytest.mark.parametrize("link", ["probit", "logit"])
def test_binary_models_match_stata_on_spector(spector, link):
    ref = json.loads((REF / "stata_spector.json").read_text())
    r = getattr(dp, link)("GRADE ~ GPA + TUCE + PSI", spector)
    assert r.spec.options["information"] == "oim"
    np.testing.assert_allclose(r.params[ref["order"]], ref[link]["params"], rtol=STATA_TOL)
    np.testing.assert_allclose(r.std_errors[ref["order"]], ref[link]["bse"], rtol=STATA_TOL)
    g = r.glance().iloc[0]
    for ours, theirs in [("loglik", "llf"), ("ll_null", "llnull"), ("pseudo_r2", "prsquared"),
                         ("aic", "aic"), ("bic", "bic"), ("count_r2", "count_r2")]:
        assert g[ours] == pytest.approx(ref[link][theirs], rel=STATA_TOL), ours


def test_probit_eim_is_the_glm_bread(spector):
    oim = dp.probit("GRADE ~ GPA + TUCE + PSI", spector)
    eim = dp.probit("GRADE ~ GPA + TUCE + PSI", spector, information="eim")
    glm = sm.GLM(spector.GRADE, sm.add_constant(spector[["GPA", "TUCE", "PSI"]]),
                 family=sm.families.Binomial(sm.families.links.Probit())).fit(tol=1e-13)
    np.testing.assert_allclose(eim.std_errors.to_numpy(), glm.bse.to_numpy(), rtol=WRAPPER_TOL)
    # the figure: EIM standard errors are up to 3% off Stata's default
    rel = np.max(np.abs(eim.std_errors / oim.std_errors - 1))
    assert 0.02 < rel < 0.04
    assert oim.with_vcov("iid", information="eim").std_errors.equals(eim.std_errors)
    # robust variances change their bread too
    assert not np.allclose(oim.with_vcov("HC0").std_errors, eim.with_vcov("HC0").std_errors)
    with pytest.raises(dp.errors.SpecificationError, match="'oim', 'eim'"):
        dp.probit("GRADE ~ GPA", spector, information="opg")


def test_logit_raw_is_the_statsmodels_result(spector):
    r = dp.logit("GRADE ~ GPA + TUCE + PSI", spector)
    assert type(r.raw).__module__.startswith("statsmodels")
    np.testing.assert_allclose(r.raw.params, r.params.to_numpy(), rtol=0, atol=0)


def test_ordered_fit_statistics_match_statsmodels(sample):
    r = dp.ordered("yo ~ x1 + x2", sample)
    m = OrderedModel(sample.yo, sample[["x1", "x2"]], distr="logit").fit(
        method="newton", disp=0, maxiter=100)
    g = r.glance().iloc[0]
    assert g["loglik"] == pytest.approx(m.llf, rel=WRAPPER_TOL)
    assert g["pseudo_r2"] == pytest.approx(m.prsquared, rel=1e-7)
    assert g["aic"] == pytest.approx(m.aic, rel=WRAPPER_TOL)
    assert g["bic"] == pytest.approx(m.bic, rel=WRAPPER_TOL)
    np.testing.assert_allclose(r.params.iloc[:2], m.params.iloc[:2], rtol=1e-7)
    np.testing.assert_allclose(r.std_errors.iloc[:2], m.bse.iloc[:2], rtol=1e-6)
    pred = np.argmax(m.predict(), axis=1)
    assert g["count_r2"] == pytest.approx(np.mean(pred == sample.yo.to_numpy() - 1), abs=1e-15)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_ordered_expected_information_is_the_expected_hessian(sample, link):
    """EIM = sum_i sum_j p_ij (-H_i at y = j): the Hessian code averaged over the outcome."""
    r = dp.ordered("yo ~ x1 + x2", sample, link=link, information="eim")
    theta = r.params.to_numpy()
    X = sample[["x1", "x2"]].to_numpy()
    w = np.ones(len(X))
    J = 4
    from disparity.models.ordered import _dist

    cdf = _dist(link)[0]
    eta = X @ theta[:2]
    cum = np.column_stack([np.zeros(len(X)), *[cdf(z - eta) for z in theta[2:]], np.ones(len(X))])
    p = np.diff(cum, axis=1)
    expected = np.zeros((5, 5))
    for i in range(len(X)):
        for j in range(J):
            H = _loglik_parts(theta, X[i:i + 1], np.array([j]), w[:1], J, link)[2]
            expected += p[i, j] * (-H)
    np.testing.assert_allclose(_expected_information(theta, X, w, J, link), expected, rtol=1e-9)
    np.testing.assert_allclose(r.cov.to_numpy(), np.linalg.inv(expected), rtol=1e-9)
    oim = dp.ordered("yo ~ x1 + x2", sample, link=link)
    assert not np.allclose(oim.std_errors, r.std_errors, rtol=1e-4)


# Our block-wise Newton fit and statsmodels' IRLS both converge to rounding (issue 18 item 3).
OWN_FIT_TOL = 1e-10


@pytest.mark.parametrize("link", ["logit", "probit"])
@pytest.mark.parametrize("weighted", [False, True])
def test_own_binary_fit_matches_statsmodels_glm(spector, link, weighted):
    df = spector.assign(w=np.linspace(0.5, 2.0, len(spector)))
    kw = {"weights": "w"} if weighted else {}
    r = getattr(dp, link)("GRADE ~ GPA + TUCE + PSI", df, vcov="HC0", **kw)
    lk = sm.families.links.Logit() if link == "logit" else sm.families.links.Probit()
    glm = sm.GLM(df.GRADE, sm.add_constant(df[["GPA", "TUCE", "PSI"]]),
                 family=sm.families.Binomial(lk), var_weights=df.w if weighted else None)
    # the deviance criterion stops early (probit gradient 2e-8); on the parameters, at rounding
    ref = glm.fit(tol=1e-15, tol_criterion="params", maxiter=500, cov_type="HC0")
    np.testing.assert_allclose(r.params.to_numpy(), ref.params.to_numpy(), rtol=OWN_FIT_TOL)
    np.testing.assert_allclose(r.glance()["loglik"].iloc[0], ref.llf, rtol=OWN_FIT_TOL)
    # the sandwich with statsmodels' information (observed, and expected) and score_obs
    S = glm.score_obs(ref.params.to_numpy())
    for info in ("oim", "eim"):
        B = np.linalg.inv(-glm.hessian(ref.params.to_numpy(), observed=info == "oim"))
        se = np.sqrt(np.diag(B @ S.T @ S @ B))
        got = r.with_vcov("HC0", information=info).std_errors.to_numpy()
        np.testing.assert_allclose(got, se, rtol=1e-8)
    # the scores, formed on demand, are statsmodels' score_obs
    np.testing.assert_allclose(r.extra["scores"], glm.score_obs(ref.params.to_numpy()),
                               rtol=1e-8, atol=1e-12)


def test_binary_raw_is_built_on_first_access_and_kept(spector):
    import pickle

    r = dp.logit("GRADE ~ GPA + TUCE + PSI", spector)
    stored = type(r).raw.stored  # the raw slot as stored (ModelResult is slotted; no __dict__)
    assert getattr(stored(r), "lazy_raw", False)  # nothing of statsmodels held yet
    recipe = pickle.loads(pickle.dumps(stored(r)))  # plain data, no closure
    c = pickle.loads(pickle.dumps(r))
    assert getattr(stored(c), "lazy_raw", False)  # pickling a result does not build its raw
    assert getattr(stored(r.replace(df=None)), "lazy_raw", False)
    assert stored(r.replace(df=None)) is stored(r)
    first = r.raw
    assert first is r.raw  # built once
    assert stored(r) is first  # and kept in the slot
    assert type(first).__name__ == "GLMResultsWrapper"
    np.testing.assert_array_equal(recipe.build().params, r.params.to_numpy())
    np.testing.assert_array_equal(c.raw.params, r.params.to_numpy())
