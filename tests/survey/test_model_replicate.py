"""GLMs and count models with a dp.ReplicateDesign against R (tests/reference/survey/make_model_rep.R).

Gamma and Poisson against ``survey::svyglm`` on the JK1 and bootstrap ``svrepdesign``; the
negative binomial, zero-inflated Poisson and Poisson hurdle against their R fits (MASS, pscl)
refitted on every replicate column by ``survey::withReplicates``. Missing-data rules and
subpopulations are checked as properties (the replicate estimates use the estimation rows only).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import SpecificationError

from .test_against_r import REF, TOL_ITER, _rep

REFS = pd.read_csv(REF / "model_rep.csv", dtype={"estimate": str, "se": str})
# pscl maximises with optim (reltol 1e-15): each replicate estimate is good to ~1e-7, and the
# replicate deviations (a tenth of the estimate) carry that error into the SE at ~1e-6
PSCL_TOL = 1e-5


def _data(nm: str):
    d, des = _rep(nm)
    d = d.copy()
    d["nb"] = (d["enroll"] // 100).astype(float)
    d["zc"] = np.where(d["api00"] > 750, 0, d["enroll"] // 100).astype(float)
    return d, des


FITS = {
    "gamma": lambda d, des: dp.glm("api00 ~ ell + meals", d, family="gamma", link="log", design=des),
    "poisson": lambda d, des: dp.poisson("nb ~ ell + meals", d, design=des),
    "negbin": lambda d, des: dp.negbin("nb ~ ell + meals", d, design=des),
    "zip": lambda d, des: dp.zip("zc ~ ell + meals", d, inflate="~ meals", design=des),
    "hurdle": lambda d, des: dp.hurdle("zc ~ ell + meals", d, zero="~ meals", design=des),
}


def _name(model: str, term: str) -> str:
    part, _, var = term.partition("_") if term.startswith(("count_", "zero_")) else ("", "", term)
    var = "Intercept" if var == "(Intercept)" else var
    if part == "zero":
        return ("inflate_" if model == "zip" else "zero_") + var
    return var


@pytest.mark.parametrize("case", sorted(REFS["case"].unique()))
def test_replicate_models_match_r(case):
    model, nm = case.rsplit("_", 1)
    d, des = _data(nm)
    r = FITS[model](d, des)
    want = REFS[REFS["case"] == case]
    names = [_name(model, t) for t in want["term"]]
    tol = PSCL_TOL if model in ("zip", "hurdle") else TOL_ITER
    np.testing.assert_allclose(r.params[names], want["estimate"].astype(float), rtol=tol)
    np.testing.assert_allclose(r.std_errors[names], want["se"].astype(float), rtol=tol)
    assert r.spec.vcov == "survey"


@pytest.mark.parametrize("model", list(FITS))
def test_replicate_models_missing_and_subpop(model):
    d, des = _data("jk1")
    d.loc[d.index[::7], "ell"] = np.nan  # incomplete rows
    dom = FITS[model](d, des).std_errors
    drop = FITS[model](d, replace(des, missing="drop")).std_errors
    np.testing.assert_allclose(dom, drop, rtol=1e-12)  # replicate refits use the estimation rows
    # a subpopulation: its rows' estimates, SEs from the replicate weights (rows outside weigh 0)
    sub = FITS[model](d, des.subset("mobility < 25"))
    rows = FITS[model](d.loc[d["mobility"] < 25], des)
    np.testing.assert_allclose(sub.params, rows.params, rtol=1e-10)
    np.testing.assert_allclose(sub.std_errors, rows.std_errors, rtol=1e-8)
    assert not np.allclose(sub.std_errors, dom, rtol=1e-3)


def test_suest_twopart_refuses_replicate_design():
    d, des = _data("jk1")
    d["spend"] = np.where(d["api00"] > 750, 0.0, d["enroll"].astype(float))
    r = dp.twopart("spend ~ ell + meals", d, design=des)  # each part refitted per replicate
    assert np.isfinite(r.std_errors).all()
    with pytest.raises(SpecificationError, match="replicate"):
        dp.twopart("spend ~ ell + meals", d, design=des, vcov="survey", suest=True)


@pytest.mark.parametrize("model", [*sorted(FITS), "logit", "ols"])
def test_replicate_results_pickle_and_refit_after_loading(model):
    # a replicate-design result keeps its refit as data (no closure): it pickles, and the
    # unpickled result recomputes the same replicate variance
    import pickle

    d, des = _data("jk1")
    d["hi"] = (d["api00"] > 700).astype(int)
    fits = {**FITS,
            "logit": lambda d, des: dp.logit("hi ~ ell + meals", d, design=des),
            "ols": lambda d, des: dp.ols("api00 ~ ell + meals", d, design=des)}
    r = fits[model](d, des)
    c = pickle.loads(pickle.dumps(r))
    again = c.with_vcov("survey").std_errors.to_numpy()
    np.testing.assert_array_equal(again, r.with_vcov("survey").std_errors.to_numpy())
    np.testing.assert_allclose(again, r.std_errors.to_numpy(), rtol=1e-12)
    assert c.spec.vcov == "survey"
