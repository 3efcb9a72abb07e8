"""dp.glm and the count models against R (glm, sandwich, survey, MASS::glm.nb, pscl) and statsmodels."""

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import disparity as dp
from disparity.errors import DataValueError, SpecificationError

REF = Path(__file__).resolve().parents[1] / "reference" / "glm"
# R's glm and ours both run IRLS to a relative deviance change of ~1e-14: agreement to ~1e-8.
GLM_TOL = 1e-6
# pscl maximises with optim (reltol 1e-15 here) and takes SEs from optim's finite-difference
# Hessian of the analytic gradient, good to ~2e-6 relative; estimates and log likelihoods agree
# far more closely.
PSCL_SE_TOL = 5e-6
DESIGN = dp.SurveyDesign(weights="w", strata="stratum", psu="county")
F = "spend ~ x1 + x2 + urban"
ZI_NAMES = {"inflate_Intercept": "zero_(Intercept)", "inflate_z": "zero_z", "Intercept": "count_(Intercept)",
            "x1": "count_x1", "x2": "count_x2"}
HURDLE_NAMES = {"zero_Intercept": "zero_(Intercept)", "zero_z": "zero_z", "Intercept": "count_(Intercept)",
                "x1": "count_x1", "x2": "count_x2"}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "spending_sample.csv")


@pytest.fixture(scope="module")
def pos(data) -> pd.DataFrame:
    return data[data.spend > 0]


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "r_reference.json").read_text())


def check(res, block, rtol, se_rtol=None, names=None):
    ours = res.params.rename(names or {}).rename({"Intercept": "(Intercept)"})
    se = res.std_errors.rename(names or {}).rename({"Intercept": "(Intercept)"})
    coef, rse = pd.Series(block["coef"], dtype=float), pd.Series(block["se"], dtype=float)
    np.testing.assert_allclose(ours[coef.index], coef, rtol=rtol)
    np.testing.assert_allclose(se[rse.index], rse, rtol=se_rtol or rtol)


@pytest.mark.reference
@pytest.mark.parametrize("key, kwargs", [
    ("gamma_log", dict(family="gamma", link="log")),
    ("gamma_log_pw_cl", dict(family="gamma", link="log", weights="w", vcov="cluster", cluster="county")),
    ("gamma_log_pw_hc0", dict(family="gamma", link="log", weights="w", vcov="HC0")),
    ("gamma_log_svy", dict(family="gamma", link="log", vcov="survey", design=DESIGN)),
    ("gamma_identity", dict(family="gamma", link="identity")),
    ("invgauss_log", dict(family="inverse_gaussian", link="log")),
])
def test_glm_against_r(pos, ref, key, kwargs):
    res = dp.glm(F, pos, information="eim", **kwargs)  # R's glm bread is the expected information
    check(res, ref[key], GLM_TOL)
    if "deviance" in ref[key]:
        assert res.stats["deviance"] == pytest.approx(ref[key]["deviance"], rel=1e-9)
    if "dispersion" in ref[key]:
        assert res.stats["scale"] == pytest.approx(ref[key]["dispersion"], rel=1e-8)


def test_glm_oim_is_statsmodels_observed_hessian(pos):
    res = dp.glm(F, pos, family="gamma", link="log")
    X = sm.add_constant(pos[["x1", "x2", "urban"]])
    smr = sm.GLM(pos.spend, X, family=sm.families.Gamma(sm.families.links.Log())).fit(
        method="newton", tol=1e-13, maxiter=200)  # statsmodels' Newton fit reports the observed Hessian
    np.testing.assert_allclose(res.params.to_numpy(), smr.params.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(res.std_errors.to_numpy(), smr.bse.to_numpy(), rtol=1e-7)
    assert res.stats["loglik"] == pytest.approx(smr.llf, rel=1e-12)
    eim = res.with_vcov("iid", information="eim")
    assert not np.allclose(eim.std_errors, res.std_errors, rtol=1e-4)
    assert type(res.raw).__module__.startswith("statsmodels")
    back = pickle.loads(pickle.dumps(res.raw))
    np.testing.assert_array_equal(back.params, res.raw.params)


def test_glm_marginal_effect_of_a_log_link_is_mu_beta(pos):
    res = dp.glm(F, pos, family="gamma", link="log")
    me = res.marginal_effects("x1").tidy().iloc[0]
    mu = res.extra["fitted"]
    assert me.estimate == pytest.approx(float(np.mean(mu)) * res.params["x1"], rel=1e-7)


@pytest.mark.reference
def test_poisson_against_r(data, ref):
    res = dp.poisson("visits ~ x1 + x2", data, exposure="days")
    check(res, ref["poisson_expo"], GLM_TOL)
    assert res.stats["loglik"] == pytest.approx(ref["poisson_expo"]["loglik"], rel=1e-10)
    assert res.stats["aic"] == pytest.approx(ref["poisson_expo"]["aic"], rel=1e-10)
    cl = dp.poisson("visits ~ x1 + x2", data, exposure="days", weights="w", vcov="cluster", cluster="county")
    check(cl, ref["poisson_pw_cl"], GLM_TOL)
    same = dp.poisson("visits ~ x1 + x2 + lg", data.assign(lg=np.log(data.days)))
    assert same.params["lg"] == pytest.approx(1.0, abs=0.3)  # the offset's coefficient is ~1 when free
    with pytest.raises(SpecificationError, match="offset= or exposure="):
        dp.poisson("visits ~ x1", data, offset="days", exposure="days")


@pytest.mark.reference
def test_negbin_against_mass(data, ref):
    r = ref["negbin"]
    eim = dp.negbin("visits ~ x1 + x2", data, exposure="days", information="eim")
    check(eim, r, GLM_TOL)
    alpha = eim.params["alpha"]
    assert 1 / alpha == pytest.approx(r["theta"], rel=1e-7)
    assert eim.std_errors["alpha"] / alpha**2 == pytest.approx(r["se_theta_final"], rel=1e-7)
    assert eim.stats["loglik"] == pytest.approx(r["loglik"], rel=1e-10)
    oim = dp.negbin("visits ~ x1 + x2", data, exposure="days")
    from statsmodels.discrete.discrete_model import NegativeBinomial

    X = sm.add_constant(data[["x1", "x2"]]).to_numpy()
    smr = NegativeBinomial(data.visits.to_numpy(), X, loglike_method="nb2",
                           offset=np.log(data.days.to_numpy())).fit(method="newton", disp=0, tol=1e-12)
    np.testing.assert_allclose(oim.params.to_numpy(), smr.params, rtol=1e-7)
    np.testing.assert_allclose(oim.std_errors.to_numpy(), smr.bse, rtol=1e-6)
    assert oim.stats["pseudo_r2"] == pytest.approx(smr.prsquared, rel=1e-7)


@pytest.mark.reference
@pytest.mark.parametrize("fn, key", [(dp.zip, "zip"), (dp.zinb, "zinb")])
def test_zero_inflated_against_pscl(data, ref, fn, key):
    res = fn("visits_zi ~ x1 + x2", data, inflate="~ z")
    check(res, ref[key], 1e-6, PSCL_SE_TOL, ZI_NAMES)
    assert res.stats["loglik"] == pytest.approx(ref[key]["loglik"], rel=1e-10)
    if key == "zinb":
        a = res.params["alpha"]
        assert 1 / a == pytest.approx(ref[key]["theta"], rel=1e-6)
        assert res.std_errors["alpha"] / a == pytest.approx(ref[key]["se_logtheta"], rel=PSCL_SE_TOL)


@pytest.mark.reference
@pytest.mark.parametrize("dist, key", [("poisson", "hurdle_poisson"), ("negbin", "hurdle_negbin")])
def test_hurdle_against_pscl(data, ref, dist, key):
    res = dp.hurdle("visits ~ x1 + x2", data, zero="~ z", dist=dist)
    check(res, ref[key], 1e-6, PSCL_SE_TOL, HURDLE_NAMES)
    assert res.stats["loglik"] == pytest.approx(ref[key]["loglik"], rel=1e-10)


def test_weighted_counts_equal_replicated_rows(data):
    """fweights give the estimates (and iid SEs) of the data with rows replicated."""
    sub = data.iloc[:400].assign(f=(np.arange(400) % 3) + 1)
    rep = sub.loc[sub.index.repeat(sub.f)]
    for fn, kw in [(dp.negbin, {}), (dp.zip, {"inflate": "~ z"}), (dp.hurdle, {"zero": "~ z"})]:
        y = "visits_zi" if fn is dp.zip else "visits"
        a = fn(f"{y} ~ x1 + x2", sub, weights="f", weight_type="fweight", **kw)
        b = fn(f"{y} ~ x1 + x2", rep, **kw)
        np.testing.assert_allclose(a.params, b.params, rtol=1e-7)
        np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-5)
        assert a.nobs == b.nobs == len(rep)


def test_pweights_cluster_and_survey_for_counts(data):
    a = dp.zinb("visits_zi ~ x1 + x2", data, inflate="~ z", weights="w")
    assert a.spec.vcov == "HC0"
    c = a.with_vcov("cluster", cluster="county")
    s = dp.zinb("visits_zi ~ x1 + x2", data, inflate="~ z", vcov="survey", design=DESIGN)
    np.testing.assert_allclose(s.params, a.params, rtol=1e-10)
    assert s.df == 30 - 5 and c.stats["n_clusters"] == 30
    # survey meat with one PSU per cluster and strata: differs from the clustered one, same order
    assert np.all(np.abs(np.log(s.std_errors / c.std_errors)) < 0.5)


def test_irr(data):
    r = dp.poisson("visits ~ x1 + x2", data, exposure="days", vcov="HC1")
    t = dp.irr(r)
    np.testing.assert_allclose(t["irr"], np.exp(r.params), rtol=1e-14)
    np.testing.assert_allclose(t["std_error"], np.exp(r.params) * r.std_errors, rtol=1e-14)
    ci = r.conf_int()
    np.testing.assert_allclose(t["conf_low"], np.exp(ci["conf_low"]), rtol=1e-12)
    zi = dp.irr(dp.zip("visits_zi ~ x1 + x2", data, inflate="~ z"))
    assert zi["term"].tolist() == ["Intercept", "x1", "x2"]
    h = dp.irr(dp.hurdle("visits ~ x1 + x2", data, zero="~ z", dist="negbin"))
    assert h["term"].tolist() == ["Intercept", "x1", "x2"]
    with pytest.raises(SpecificationError, match="irr\\(\\) needs a count model"):
        dp.irr(dp.ols("visits ~ x1", data))


def test_count_and_glm_input_errors(data, pos):
    with pytest.raises(DataValueError, match="non-negative whole-number"):
        dp.poisson("x1 ~ x2", data)
    with pytest.raises(DataValueError, match="strictly positive outcome"):
        dp.glm(F, data, family="gamma", link="log")
    with pytest.raises(SpecificationError, match="family='tweedie'"):
        dp.glm(F, pos, family="tweedie")
    with pytest.raises(SpecificationError, match="link='logit'"):
        dp.glm(F, pos, family="gamma", link="logit")
    with pytest.raises(SpecificationError, match="dist='zip'"):
        dp.hurdle("visits ~ x1", data, dist="zip")
    with pytest.raises(DataValueError, match="positive"):
        dp.poisson("visits ~ x1", data.assign(days=0), exposure="days")
    with pytest.raises(DataValueError, match="both zero and positive"):
        dp.hurdle("visits ~ x1", data.assign(visits=data.visits + 1))


def test_count_models_in_regression_table(data):
    m = [dp.poisson("visits ~ x1 + x2", data), dp.negbin("visits ~ x1 + x2", data),
         dp.hurdle("visits ~ x1 + x2", data, zero="~ z")]
    t = dp.regression_table(m, stats=("nobs", "loglik", "aic"), lang="en")
    rows = {r[0]: r[1:] for r in t.body}
    assert all(c != "" for c in rows["AIC"])
    assert rows["Observations"] == ("1200", "1200", "1200") or rows.get("N") == ("1200", "1200", "1200")


@pytest.fixture(scope="module")
def randhie() -> pd.DataFrame:
    return sm.datasets.randhie.load_pandas().data


# Stata and R print their converged ML results to ~1e-8 (full-precision stored figures) ...
PUBLISHED_TOL = 1e-6
# ... and Stata's zip table to 5-7 significant digits.
PRINTED_TOL = 5e-5


@pytest.mark.reference
def test_count_models_match_published_randhie_results(randhie):
    """Visits in the RAND Health Insurance Experiment: Stata's poisson, nbreg, zip and R's glm.nb."""
    ref = json.loads((REF / "stata_randhie.json").read_text())
    rhs = " + ".join(randhie.columns[1:])
    order = ref["order"]
    p = dp.poisson(f"mdvis ~ {rhs}", randhie)
    np.testing.assert_allclose(p.params[order], ref["poisson"]["params"], rtol=PUBLISHED_TOL)
    np.testing.assert_allclose(p.std_errors[order], ref["poisson"]["bse"], rtol=PUBLISHED_TOL)
    for ours, theirs in [("loglik", "llf"), ("ll_null", "llnull"), ("pseudo_r2", "prsquared"), ("aic", "aic"),
                         ("bic", "bic")]:
        # Stata stopped 3e-5 short in the log likelihood (5e-10 relative): ~1e-8 in the pseudo R²
        assert p.stats[ours] == pytest.approx(ref["poisson"][theirs], rel=1e-7), ours
    r = ref["negbin"]
    nb = dp.negbin(f"mdvis ~ {rhs}", randhie, information="eim")
    np.testing.assert_allclose(nb.params[order], r["params"], rtol=PUBLISHED_TOL)
    np.testing.assert_allclose(nb.std_errors[order], r["bse_glm_nb"], rtol=PUBLISHED_TOL)
    assert nb.params["alpha"] == pytest.approx(r["alpha"], rel=PUBLISHED_TOL)
    oim = nb.with_vcov("iid", information="oim")  # Stata's nbreg: joint observed information
    assert oim.std_errors["alpha"] / nb.params["alpha"] == pytest.approx(r["lnalpha_se"], rel=PRINTED_TOL)
    assert oim.std_errors["alpha"] == pytest.approx(r["alpha_se"], rel=PRINTED_TOL)
    for ours, theirs in [("loglik", "llf"), ("ll_null", "llnull"), ("aic", "aic"), ("bic", "bic")]:
        assert nb.stats[ours] == pytest.approx(r[theirs], rel=1e-10), ours
    z = ref["zip"]
    zi = dp.zip("mdvis ~ idp + lpi + fmde", randhie, inflate="~ lncoins")
    np.testing.assert_allclose(zi.params[z["order"]], z["params"], rtol=PRINTED_TOL)
    np.testing.assert_allclose(zi.std_errors[z["order"]], z["bse"], rtol=PRINTED_TOL)
    assert zi.stats["loglik"] == pytest.approx(z["llf"], rel=1e-9)
    assert zi.stats["aic"] == pytest.approx(z["aic"], rel=1e-7)


@pytest.mark.parametrize("dist", ["poisson", "negbin"])
def test_zero_truncated_likelihood_equals_statsmodels(data, dist):
    from statsmodels.discrete.truncated_model import (
        TruncatedLFNegativeBinomialP,
        TruncatedLFPoisson,
    )

    from disparity.models.count import _ZeroTruncated

    pos = data[data.visits > 0]
    X = sm.add_constant(pos[["x1", "x2"]]).to_numpy()
    y, off = pos.visits.to_numpy(), np.log(pos.days.to_numpy() / 365)
    ours = _ZeroTruncated(y, X, off, dist)
    theirs = (TruncatedLFPoisson(y, X, offset=off) if dist == "poisson"
              else TruncatedLFNegativeBinomialP(y, X, offset=off, p=2))
    th = np.array([0.2, 0.3, -0.2] + ([0.6] if dist == "negbin" else []))
    np.testing.assert_allclose(ours.loglikeobs(th), theirs.loglikeobs(th), rtol=1e-12)
    np.testing.assert_allclose(ours.score_obs(th), theirs.score_obs(th), rtol=1e-10, atol=1e-12)
