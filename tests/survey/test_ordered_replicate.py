"""dp.ordered on replicate-weight designs against R (tests/reference/survey/make_ordered_rep.R).

Logit: ``survey::svyolr`` on a ``svrepdesign``; probit: the same replicate refits with
``MASS::polr(method = "probit")`` (survey 4.1 refits replicates as logistic whatever ``method``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import disparity as dp

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"
# MASS::polr maximises with optim(BFGS, reltol 1e-8 by default): its estimates and each replicate's
# refit are settled to about 1e-5 relative; ours are Newton-converged to 1e-11
TOL_POLR = 3e-5  # measured: at most 1.4e-5 (JK1 logit SEs)


def _design(nm: str) -> tuple[pd.DataFrame, dp.ReplicateDesign]:
    base = pd.read_csv(REF / "apiclus1.csv")
    rw = pd.read_csv(REF / f"rep_{nm}.csv")
    refs = pd.read_csv(REF / "reference.csv", dtype={"value": str})

    def ref(stat: str) -> list[float]:
        sel = refs[(refs["case"] == f"rep_{nm}") & (refs["stat"] == stat)]
        return sel["value"].astype(float).tolist()

    cols = [c for c in rw.columns if c.startswith("rw")]
    d = pd.concat([base[["stype", "ell", "meals", "pw"]], rw[cols]], axis=1)
    d["stype"] = d["stype"].map({"E": 0, "M": 1, "H": 2})
    des = dp.ReplicateDesign(weights="pw", replicates=cols,
                             type="JK1" if nm == "jk1" else "bootstrap",
                             scale=ref("scale")[0], rscales=ref("rscales"))
    return d, des


@pytest.mark.parametrize("nm", ["jk1", "boot"])
@pytest.mark.parametrize("link", ["logit", "probit"])
def test_ordered_replicate_design_matches_r(nm, link):
    d, des = _design(nm)
    expect = pd.read_csv(REF / "ordered_rep.csv")
    method = "logistic" if link == "logit" else "probit"
    expect = expect[expect["case"] == f"ordered_{method}_{nm}"]
    r = dp.ordered("stype ~ ell + meals", d, link=link, vcov="survey", design=des)
    assert r.spec.vcov == "survey"
    np.testing.assert_allclose(r.params.to_numpy(), expect["estimate"], rtol=TOL_POLR)
    np.testing.assert_allclose(r.std_errors.to_numpy(), expect["se"], rtol=TOL_POLR)
    # replicate variances differ from the Taylor/sandwich ones: the refits really ran
    hc = dp.ordered("stype ~ ell + meals", d, link=link, weights="pw", vcov="HC0")
    assert not np.allclose(hc.std_errors.to_numpy(), r.std_errors.to_numpy(), rtol=1e-3)


def test_ordered_design_alone_means_survey_variance():
    d, des = _design("jk1")
    alone = dp.ordered("stype ~ ell + meals", d, design=des)
    spelled = dp.ordered("stype ~ ell + meals", d, vcov="survey", design=des)
    assert alone.spec.vcov == "survey"
    np.testing.assert_array_equal(alone.std_errors, spelled.std_errors)
    assert any("design= given" in n for n in alone.summary().notes)
    hc0 = dp.ordered("stype ~ ell + meals", d, vcov="HC0", design=des)  # explicit: honoured
    ref = dp.ordered("stype ~ ell + meals", d, vcov="HC0", weights="pw")
    assert hc0.spec.vcov == "HC0"
    np.testing.assert_allclose(hc0.std_errors, ref.std_errors, rtol=1e-12)
