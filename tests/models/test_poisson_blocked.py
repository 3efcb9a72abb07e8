"""The blocked Newton fit of dp.poisson gives statsmodels' IRLS numbers (issue 18 item 8)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import DomainWarning

import disparity as dp
from disparity.errors import DataValueError
from disparity.models import _meat
from disparity.models._poisson import fit_poisson

#: Both fits iterate to the same fixed point; they differ only by rounding of their sums.
SAME_FIT = 1e-12
#: statsmodels' IRLS stops on a deviance change, a few ulps short of the fixed point when the
#: link is not canonical (linear convergence).
SM_IRLS = 1e-10


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 4000
    d = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                      "w": rng.uniform(0.5, 2.0, n), "fw": rng.integers(1, 4, n),
                      "days": rng.uniform(1, 30, n)})
    d["y"] = rng.poisson(np.exp(-0.5 + 0.4 * d.x1 - 0.2 * d.x2 + 0.5 * np.log(d.days)))
    return d


def _sm(d, **kw):
    X = sm.add_constant(d[["x1", "x2"]])
    return sm.GLM(d.y, X, family=sm.families.Poisson(), **kw).fit(
        method="IRLS", tol=1e-13, maxiter=200, tol_criterion="deviance")


@pytest.mark.parametrize("case", ["plain", "pweight exposure", "fweight offset"])
def test_poisson_matches_statsmodels_irls(data, case, monkeypatch):
    monkeypatch.setattr(_meat, "MEAT_BLOCK", 1000)  # several row blocks
    if case == "plain":
        r, ref = dp.poisson("y ~ x1 + x2", data), _sm(data)
    elif case == "pweight exposure":
        r = dp.poisson("y ~ x1 + x2", data, weights="w", exposure="days", vcov="HC1")
        ref = _sm(data, var_weights=data.w, exposure=data.days)
    else:
        r = dp.poisson("y ~ x1 + x2", data, weights="fw", weight_type="fweight", offset="x2")
        ref = _sm(data, freq_weights=data.fw, offset=data.x2)
    np.testing.assert_allclose(r.params.to_numpy(), ref.params.to_numpy(), rtol=SAME_FIT)
    assert r.stats["loglik"] == pytest.approx(ref.llf, rel=SAME_FIT)
    assert r.stats["deviance"] == pytest.approx(ref.deviance, rel=SAME_FIT)
    if case != "pweight exposure":  # iid: the inverse information
        np.testing.assert_allclose(r.std_errors.to_numpy(), ref.bse.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(r.extra["scores"], ref.model.score_obs(ref.params.to_numpy()),
                               rtol=1e-10, atol=1e-12)
    raw = r.raw  # statsmodels' results at our estimates, built on access
    assert type(raw).__module__.startswith("statsmodels")
    np.testing.assert_array_equal(raw.params.to_numpy(), r.params.to_numpy())
    assert raw.llf == pytest.approx(ref.llf, rel=SAME_FIT)


def test_refit_with_other_weights_is_a_weighted_fit(data):
    X = np.column_stack([np.ones(len(data)), data.x1, data.x2])
    y = data.y.to_numpy(float)
    b, _ = fit_poisson(X, y, data.w.to_numpy(), None)
    np.testing.assert_allclose(b, _sm(data, var_weights=data.w).params.to_numpy(), rtol=SAME_FIT)


def test_a_category_without_counts_drifts_as_statsmodels_and_a_perfect_fit_is_refused():
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"x": rng.normal(size=500), "g": rng.integers(0, 3, 500)})
    d["y"] = rng.poisson(np.exp(0.3 * d.x)) * (d.g != 2)
    r = dp.poisson("y ~ x + C(g)", d)  # the all-zero category's coefficient heads to -inf
    assert r.params.iloc[-1] < -20
    np.testing.assert_allclose(r.params.iloc[:3], [-0.029029, 0.334479, 0.086743], atol=1e-6)
    with pytest.raises(DataValueError, match="perfectly predicted"):
        dp.poisson("y ~ C(g)", d.assign(y=(d.g + 1) * 3))


GLM_CASES = {
    "gamma log": ("gamma", "log"),
    "gamma inverse": ("gamma", "inverse"),
    "gaussian identity": ("gaussian", "identity"),
    "gaussian log": ("gaussian", "log"),
    "inverse gaussian log": ("inverse_gaussian", "log"),
    "poisson identity": ("poisson", "identity"),
}


@pytest.mark.parametrize("case", list(GLM_CASES))
@pytest.mark.parametrize("weighting", ["none", "pweight", "fweight"])
def test_glm_blocked_irls_matches_statsmodels_irls(data, case, weighting, monkeypatch):
    from disparity.models.glm import sm_family

    monkeypatch.setattr(_meat, "MEAT_BLOCK", 1000)
    family, link = GLM_CASES[case]
    d = data.assign(pos=np.exp(0.5 + 0.3 * data.x1 - 0.1 * data.x2) * np.random.default_rng(3).gamma(
        4.0, 0.25, len(data)), cnt=data.y + 10)
    yname = "cnt" if family == "poisson" else "pos"
    kw: dict = {} if weighting == "none" else (
        {"weights": "w"} if weighting == "pweight" else {"weights": "fw", "weight_type": "fweight"})
    r = dp.glm(f"{yname} ~ x1 + x2", d, family=family, link=link, information="eim", **kw)
    smkw = {} if weighting == "none" else (
        {"var_weights": d.w} if weighting == "pweight" else {"freq_weights": d.fw})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        ref = sm.GLM(d[yname], sm.add_constant(d[["x1", "x2"]]), family=sm_family(family, link),
                     **smkw).fit(method="IRLS", tol=1e-13, maxiter=200, tol_criterion="deviance")
    # statsmodels' deviance criterion stops Fisher scoring of a non-canonical link early (up to
    # ~1e-11 here); the blocked fit iterates to rounding: compare with Fisher steps from there
    b = ref.params.to_numpy().copy()
    for _ in range(60):
        b = b - np.linalg.solve(ref.model.hessian(b, observed=False), ref.model.score(b))
    np.testing.assert_allclose(r.params.to_numpy(), b, rtol=SAME_FIT)
    np.testing.assert_allclose(r.params.to_numpy(), ref.params.to_numpy(), rtol=SM_IRLS)
    if weighting != "pweight":  # pweights get HC0; the iid variance is the expected information
        np.testing.assert_allclose(r.std_errors.to_numpy(), ref.bse.to_numpy(), rtol=1e-10)
    for stat, val in (("deviance", ref.deviance), ("scale", ref.scale), ("loglik", ref.llf),
                      ("pearson_chi2", ref.pearson_chi2)):
        assert r.stats[stat] == pytest.approx(val, rel=SM_IRLS), stat
    np.testing.assert_allclose(np.asarray(r.raw.bse), ref.bse.to_numpy(), rtol=1e-10)  # raw works


def test_glm_poisson_drift_stops_as_statsmodels():
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"x": rng.normal(size=500), "g": rng.integers(0, 3, 500)})
    d["y"] = rng.poisson(np.exp(0.3 * d.x)) * (d.g != 2)
    r = dp.glm("y ~ x + C(g)", d, family="poisson")
    assert r.params.iloc[-1] < -20
    np.testing.assert_allclose(r.params.iloc[:3], [-0.029029, 0.334479, 0.086743], atol=1e-6)


def test_poisson_and_glm_run_no_statsmodels_irls_iteration(data, monkeypatch):
    from statsmodels.genmod.generalized_linear_model import GLM

    calls = []
    real = GLM._fit_irls

    def spy(self, *a, **kw):
        calls.append(kw.get("maxiter"))
        return real(self, *a, **kw)

    monkeypatch.setattr(GLM, "_fit_irls", spy)
    r = dp.poisson("y ~ x1 + x2", data, vcov="HC1")
    assert calls == []  # the blocked fit; statsmodels' results only when raw is read
    assert r.raw.params.shape == (3,) and calls == []  # (statsmodels' Newton with maxiter=0)
    dp.glm("y ~ x1 + x2", data.assign(y=data.y + 1.0), family="gamma", link="log")
    assert calls == [0]  # GLMResults at the estimates, no iteration
