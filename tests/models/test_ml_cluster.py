"""Two-way (and one-way) clustered sandwiches of the ML estimators against R's ``sandwich::vcovCL``.

Reference values: ``tests/reference/mlcluster/`` (R script, data, README with versions). Each
variant maps one of our small-sample options to one ``vcovCL`` call:

=================  ======================================  ==================================================
variant            ours (``with_vcov("cluster", ...)``)    R
=================  ======================================  ==================================================
one_hc0            ``cluster="a"`` (default ``ssc="ml"``)  ``vcovCL(cluster = ~a, type = "HC0")``
one_hc1            ``ssc="cr1"``                           ``type = "HC1"`` (× (N-1)/(N-k))
one_none           ``ssc="none"``                          ``type = "HC0", cadjust = FALSE``
two_hc0            ``cluster=["a", "b"]``                  ``cluster = ~a + b, type = "HC0"``
two_hc1            ``ssc="cr1"``                           ``type = "HC1"``
two_none           ``ssc="none"``                          ``cadjust = FALSE``
two_hc0_multi0     ``multi0=True``                         ``multi0 = TRUE``
two_hc1_multi0     ``ssc="cr1", multi0=True``              ``type = "HC1", multi0 = TRUE``
two_hc0_fix        ``fix=True``                            ``fix = TRUE``
=================  ======================================  ==================================================
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import SpecificationError

REF = Path(__file__).resolve().parents[1] / "reference" / "mlcluster"
R = json.loads((REF / "r_reference.json").read_text())
DATA = pd.read_csv(REF / "mlcluster_sample.csv")

#: glm fits (R refitted from its converged coefficients, IRLS to a 1e-14 deviance change; ours
#: to 1e-13): the sandwiches agree to ~1e-15 (canonical links) and ~6e-11 (probit, whose
#: expected-information bread moves with the last IRLS step); 1e-9 leaves room for BLAS order.
TOL_GLM = 1e-9
#: polr, zeroinfl, hurdle: R's estimates come from optim (reltol 1e-15: coefficients to ~1e-8
#: relative), so the meats, exact functions of the estimates, agree to ~1e-8 (largest seen 9e-9).
TOL_OPTIM_MEAT = 5e-8
#: ... and R's bread is vcov() of optim's finite-difference Hessian (good to ~1e-6; the largest
#: difference seen is 4.5e-7), so the covariances themselves compare at this.
TOL_OPTIM_VCOV = 2e-6

VARIANTS: dict[str, tuple[str | list[str], dict[str, object]]] = {
    "one_hc0": ("a", {}),
    "one_hc1": ("a", {"ssc": "cr1"}),
    "one_none": ("a", {"ssc": "none"}),
    "two_hc0": (["a", "b"], {}),
    "two_hc1": (["a", "b"], {"ssc": "cr1"}),
    "two_none": (["a", "b"], {"ssc": "none"}),
    "two_hc0_multi0": (["a", "b"], {"multi0": True}),
    "two_hc1_multi0": (["a", "b"], {"ssc": "cr1", "multi0": True}),
    "two_hc0_fix": (["a", "b"], {"fix": True}),
}

FITS = {
    "logit": lambda: dp.logit("ybin ~ x1 + x2", DATA, vcov="cluster", cluster=["a", "b"]),
    "logit_w": lambda: dp.logit("ybin ~ x1 + x2", DATA, weights="w", vcov="cluster", cluster=["a", "b"]),
    # R's glm bread is the expected information
    "probit": lambda: dp.probit("ybin ~ x1 + x2", DATA, vcov="cluster", cluster=["a", "b"],
                                information="eim"),
    "probit_w": lambda: dp.probit("ybin ~ x1 + x2", DATA, weights="w", vcov="cluster",
                                  cluster=["a", "b"], information="eim"),
    "poisson": lambda: dp.poisson("ycount ~ x1 + x2", DATA, vcov="cluster", cluster=["a", "b"]),
    "poisson_w": lambda: dp.poisson("ycount ~ x1 + x2", DATA, weights="w", vcov="cluster",
                                    cluster=["a", "b"]),
    "negbin": lambda: dp.negbin("ycount ~ x1 + x2", DATA, vcov="cluster", cluster=["a", "b"]),
    "polr_logit": lambda: dp.ordered("yord ~ x1 + x2", DATA, vcov="cluster", cluster=["a", "b"]),
    "polr_probit": lambda: dp.ordered("yord ~ x1 + x2", DATA, link="probit", vcov="cluster",
                                      cluster=["a", "b"]),
    "zip": lambda: dp.zip("yzi ~ x1 + x2", DATA, inflate="z", vcov="cluster", cluster=["a", "b"]),
    "hurdle_poisson": lambda: dp.hurdle("ycount ~ x1 + x2", DATA, zero="z", vcov="cluster",
                                        cluster=["a", "b"]),
}
_cache: dict[str, dp.ModelResult] = {}


def fit(model: str) -> dp.ModelResult:
    if model not in _cache:
        _cache[model] = FITS[model]()
    return _cache[model]


def r_order(model: str, names: list[str]) -> list[int]:
    """Positions of R's parameters among ours (pscl: count_*, zero_*; ours: inflate_* first)."""
    def ours(n: str) -> str:
        n = n.replace("(Intercept)", "Intercept")
        if model == "zip":
            return n.replace("count_", "").replace("zero_", "inflate_")
        if model.startswith("hurdle"):
            return n.replace("count_", "")
        return n
    rn = R[model]["names"]
    if model.startswith("polr"):
        rn = rn + ["0|1", "1|2", "2|3"]
    return [names.index(ours(n)) for n in rn]


def bread_of(r: dp.ModelResult) -> np.ndarray:
    return np.asarray(r.extra["bread"]) if "bread" in r.extra else np.linalg.inv(-r.raw["hessian"])


def rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def ours(model: str, variant: str) -> tuple[np.ndarray, np.ndarray, dp.ModelResult]:
    """Our covariance and meat (:math:`B^{-1} V B^{-1}`) in R's parameter order."""
    cl, kw = VARIANTS[variant]
    r = fit(model).with_vcov("cluster", cluster=cl, **kw)
    idx = r_order(model, list(r.params.index))
    V = r.cov.to_numpy()
    Bi = np.linalg.inv(bread_of(r))
    M = Bi @ V @ Bi
    return V[np.ix_(idx, idx)], M[np.ix_(idx, idx)], r


GLM = ["logit", "logit_w", "probit", "probit_w", "poisson", "poisson_w"]


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("model", GLM)
def test_glm_clustered_vcov_matches_vcovcl(model: str, variant: str) -> None:
    np.testing.assert_allclose(fit(model).params.to_numpy(), R[model]["coef"], rtol=1e-9)
    V, _, _ = ours(model, variant)
    assert rel(V, np.array(R[model][variant]["vcov"])) < TOL_GLM


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("model", ["polr_logit", "polr_probit", "zip", "hurdle_poisson"])
def test_optim_models_clustered_meat_and_vcov_match(model: str, variant: str) -> None:
    V, M, _ = ours(model, variant)
    assert rel(V, np.array(R[model][variant]["vcov"])) < TOL_OPTIM_VCOV
    if variant != "two_hc0_fix":  # R fixes the covariance, not the meat
        assert rel(M, np.array(R[model][variant]["meat"])) < TOL_OPTIM_MEAT


@pytest.mark.parametrize("variant", ["one_hc0", "one_none", "two_hc0", "two_none", "two_hc0_multi0"])
def test_negbin_coefficient_meat_matches(variant: str) -> None:
    # glm.nb's sandwich holds theta fixed (3 parameters, so no HC1 or fix comparison); the
    # coefficient block of our joint (beta, alpha) meat is the same quantity.
    _, M, _ = ours("negbin", variant)
    assert rel(M[:3, :3], np.array(R["negbin"][variant]["meat"])) < TOL_GLM


def test_fix_bites_where_r_meat_is_indefinite() -> None:
    assert R["polr_probit"]["two_hc0"]["meat_min_eigen"] < 0
    V0, _, _ = ours("polr_probit", "two_hc0")
    V1, _, _ = ours("polr_probit", "two_hc0_fix")
    assert np.linalg.eigvalsh(V0).min() < 0 <= np.linalg.eigvalsh(V1).min() + 1e-15
    assert rel(V1, V0) > 100 * TOL_OPTIM_VCOV  # so the R comparison tells them apart


def test_two_way_is_cgm_identity_for_every_ml_estimator() -> None:
    # V(a, b) = V(a) + V(b) - V(a x b), each with its own G/(G-1): checked on estimators without
    # an R reference above too (zinb, hurdle negbin, glm gamma, two-part with suest)
    d = DATA.assign(ab=DATA["a"].astype(str) + "_" + DATA["b"].astype(str),
                    spend=np.where(DATA["ybin"] == 1, np.exp(0.5 + 0.3 * DATA["x1"]) * (1 + DATA["yzi"]), 0.0))
    fits = [
        dp.zinb("yzi ~ x1 + x2", d, inflate="z", vcov="cluster", cluster="a"),
        dp.hurdle("ycount ~ x1 + x2", d, zero="z", dist="negbin", vcov="cluster", cluster="a"),
        dp.glm("spend ~ x1 + x2", d[d.spend > 0], family="gamma", link="log", vcov="cluster", cluster="a"),
        dp.twopart("spend ~ x1 + x2", d, vcov="cluster", cluster="a", suest=True),
        dp.negbin("ycount ~ x1 + x2", d, vcov="cluster", cluster="a"),
    ]
    for r in fits:
        two = r.with_vcov("cluster", cluster=["a", "b"]).cov.to_numpy()
        one = {c: r.with_vcov("cluster", cluster=c).cov.to_numpy() for c in ("a", "b", "ab")}
        assert rel(two, one["a"] + one["b"] - one["ab"]) < 1e-12, r.spec.estimator
        assert rel(two, one["a"]) > 1e-3


def test_two_way_fit_records_clusters_and_notes() -> None:
    r = fit("logit")
    assert r.spec.cluster == ("a", "b") and r.spec.vcov == "cluster"
    assert r.stats["n_clusters"] == 15  # the smaller dimension
    assert any("Two-way cluster-robust" in n and "24 and 15 clusters" in n for n in r.spec.notes)
    assert any("Only 15 clusters" in n for n in r.spec.notes)
    r2 = r.with_vcov("cluster", cluster=["a", "b"], ssc="cr1", multi0=True)
    assert r2.spec.options["ssc"] == "cr1" and r2.spec.options["multi0"] is True
    assert "ssc" not in r.spec.options  # defaults are not recorded


def test_bad_two_way_options_are_refused() -> None:
    with pytest.raises(SpecificationError, match="one column name or a list of two"):
        dp.logit("ybin ~ x1", DATA, vcov="cluster", cluster=["a", "b", "w"])
    with pytest.raises(SpecificationError, match="'ml'"):
        fit("logit").with_vcov("cluster", ssc="stata")
    with pytest.raises(SpecificationError, match="multi0= must be True or False"):
        fit("poisson").with_vcov("cluster", multi0="yes")
    with pytest.raises(SpecificationError, match="resamples clusters of one variable"):
        dp.twopart("ycount ~ x1", DATA, vcov="cluster", cluster=["a", "b"], se="bootstrap")


def test_model_results_compare_by_content_after_pickle() -> None:
    import pickle

    for r in (fit("logit"), fit("zip"), fit("polr_logit"),
              dp.ols("ycount ~ x1 + x2", DATA, vcov="cluster", cluster=["a", "b"])):
        back = pickle.loads(pickle.dumps(r))
        assert back == r and not (back != r)
        assert r.with_vcov("HC0") != r  # another covariance is another result
    r = fit("logit")
    assert r != r.with_vcov("cluster", cluster="a")  # same vcov kind, other clusters
    nan_params = r.params.copy()
    nan_params.iloc[0] = np.nan
    from dataclasses import replace

    a, b = replace(r, params=nan_params), replace(r, params=nan_params.copy())
    assert a == b  # NaN equals NaN, as pandas .equals
    assert a != r
    assert (r == "not a result") is False
    with pytest.raises(TypeError):
        hash(r)
