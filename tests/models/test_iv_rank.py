"""Kleibergen-Paap rk statistics and Hansen's J of dp.iv (computed in disparity.models._rank and
_ivgmm) against linearmodels.iv, the independent implementation, called here.

Stored ivreg2 values of the same statistics are checked in test_iv.py
(test_kleibergen_paap_against_ivreg2).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IV2SLS, IVGMM

import disparity as dp
from disparity.models._rank import kleibergen_paap

from .conftest import REF

#: Two implementations of the same closed forms; they differ only in the rounding of the
#: partialling-out (least squares here, a pseudo-inverse there): about 1e-14 relative.
RANK_TOL = 1e-10
BANDWIDTH = 3

FORMULAS = {
    "p1 just": ("x3 + x4", ["x1"], ["z1"]),
    "p1 over": ("x3 + x4 + x5", ["x1"], ["z1", "z2"]),
    "p2 just": ("x3", ["x1", "x2"], ["z1", "z2"]),
    "p2 over": ("x3 + x4", ["x1", "x2"], ["z1", "z2", "x5"]),
}
KINDS = {
    "iid": {"cov_type": "unadjusted"},
    "HC0": {"cov_type": "robust"},
    "HC1": {"cov_type": "robust"},
    "cluster": {"cov_type": "clustered"},
    "hac": {"cov_type": "kernel", "kernel": "bartlett", "bandwidth": BANDWIDTH},
}


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    df = pd.read_csv(REF / "stata" / "iv_simulated.csv")
    # a fixed effect with 12 groups of 50 rows (no singletons), unrelated to the regressors
    return df.assign(fe=np.arange(len(df)) % 12)


def _fit(sim, form, kind, weights, absorb):
    exog, endog, instr = FORMULAS[form]
    f = f"y_robust ~ {'0' if absorb else '1'} + {exog} + [{' + '.join(endog)} ~ {' + '.join(instr)}]"
    return dp.iv(f, sim, vcov=kind, cluster="cluster_id" if kind == "cluster" else None,
                 weights=weights, absorb=absorb, bandwidth=BANDWIDTH if kind == "hac" else None)


def _linearmodels(sim, form, kind, weights, absorb, estimator=IV2SLS, **model_kw):
    """The same model in linearmodels; an absorbed effect enters as dummies (what demeaning
    partials out), so its F form counts them among the exogenous regressors."""
    exog, endog, instr = FORMULAS[form]
    X = sim[exog.split(" + ")].assign(const=1.0)
    if absorb:
        X = pd.concat([X, pd.get_dummies(sim[absorb], prefix="fe", drop_first=True, dtype=float)],
                      axis=1)
    w = None if weights is None else sim[weights]
    cfg = dict(KINDS[kind])
    if kind == "cluster":
        cfg["clusters"] = sim["cluster_id"]
    model = estimator(sim["y_robust"], X, sim[endog], sim[instr], weights=w, **model_kw)
    return model.fit(**cfg), X.shape[1]


@pytest.mark.parametrize("absorb", [None, "fe"])
@pytest.mark.parametrize("weights", [None, "weights"])
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("form", list(FORMULAS))
def test_kleibergen_paap_matches_linearmodels(sim, form, kind, weights, absorb):
    res = _fit(sim, form, kind, weights, absorb)
    diag = res.extra["diagnostics"].set_index("test")
    lm_fit, n_exog_lm = _linearmodels(sim, form, kind, weights, absorb)
    lm = lm_fit.first_stage.kleibergen_paap
    f = lm_fit.first_stage.kleibergen_paap_f
    assert diag.loc["kleibergen_paap_lm", "statistic"] == pytest.approx(float(lm.stat), rel=RANK_TOL)
    assert diag.loc["kleibergen_paap_lm", "df1"] == int(lm.df)
    assert diag.loc["kleibergen_paap_lm", "p_value"] == pytest.approx(float(lm.pval), rel=RANK_TOL,
                                                                      abs=1e-15)
    # the F form's n - q - c: our c counts the exogenous regressors, not the absorbed levels
    n, q = res.nobs, len(FORMULAS[form][2])
    n_exog = len(FORMULAS[form][0].split(" + ")) + (0 if absorb else 1)
    scale = (n - q - n_exog) / (n - q - n_exog_lm)
    assert diag.loc["kleibergen_paap_f", "statistic"] == pytest.approx(f * scale, rel=RANK_TOL)
    if kind == "iid":  # the rk statistics reduce to the Cragg-Donald F
        assert diag.loc["kleibergen_paap_f", "statistic"] == pytest.approx(
            diag.loc["cragg_donald", "statistic"], rel=RANK_TOL)
    sy = res.extra["stock_yogo"]
    if sy is not None and kind != "iid":
        assert sy["value"].tolist() == pytest.approx([f * scale] * len(sy), rel=RANK_TOL)


@pytest.mark.parametrize("kind", ["iid", "cluster", "hac"])
def test_with_vcov_recomputes_the_rank_statistics(sim, kind):
    start = dp.iv("y_robust ~ 1 + x3 + x4 + [x1 + x2 ~ z1 + z2 + x5]", sim, vcov="HC1",
                  cluster="cluster_id", weights="weights")
    res = start.with_vcov(kind, **({"bandwidth": BANDWIDTH} if kind == "hac" else {}))
    diag = res.extra["diagnostics"].set_index("test")
    lm_fit, _ = _linearmodels(sim, "p2 over", kind, "weights", None)
    assert diag.loc["kleibergen_paap_lm", "statistic"] == pytest.approx(
        float(lm_fit.first_stage.kleibergen_paap.stat), rel=RANK_TOL)
    assert diag.loc["kleibergen_paap_f", "statistic"] == pytest.approx(
        lm_fit.first_stage.kleibergen_paap_f, rel=RANK_TOL)


def test_rank_deficient_cluster_covariance_drops_df_as_linearmodels(sim):
    # q - p + 1 = 3 restrictions from 2 clusters: a generalized inverse, fewer df. (Not reachable
    # through dp.iv, which refuses such a fit for Hansen's J, so the functions are compared.)
    from linearmodels.iv.common import kleibergen_paap as lm_kp

    codes = np.asarray(sim.index >= 300, dtype=int)
    X = np.column_stack([np.ones(len(sim)), sim["x3"]])
    x, z = sim[["x1"]].to_numpy(), sim[["z1", "z2", "x5"]].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # linearmodels warns about the rank deficit
        ref = lm_kp(x, z, X, "clustered", {"clusters": codes})

    def part(a):
        return a - X @ np.linalg.lstsq(X, a, rcond=None)[0]

    ours = kleibergen_paap(part(x), part(z), n_exog=2, kind="cluster", codes=codes)
    assert int(ref.df) < 3
    assert ours.lm_df == int(ref.df)
    assert ours.lm == pytest.approx(float(ref.stat), rel=RANK_TOL)


def test_undefined_rank_statistics_are_nan():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(200, 2))
    collinear = np.column_stack([z[:, 0], 2 * z[:, 0]])
    x = z @ [[1.0], [0.5]] + rng.normal(size=(200, 1))
    for kind in ("iid", "HC1"):
        r = kleibergen_paap(x, collinear, n_exog=0, kind=kind)
        assert np.isnan(r.lm) and np.isnan(r.wald_f) and r.lm_df == 2
        exact = kleibergen_paap(z @ [[1.0], [0.5]], z, n_exog=0, kind=kind)
        assert np.isnan(exact.lm) and np.isnan(exact.wald_f)
        ok = kleibergen_paap(x, z, n_exog=0, kind=kind)
        assert ok.lm > 0 and ok.wald_f > 0


@pytest.mark.parametrize("weights", [None, "weights"])
@pytest.mark.parametrize("form", ["p1 over", "p2 over"])
@pytest.mark.parametrize("kind", ["HC0", "HC1", "cluster"])
def test_hansen_j_matches_linearmodels_ivgmm(sim, form, kind, weights):
    diag = _fit(sim, form, kind, weights, None).extra["diagnostics"].set_index("test")
    wt = "clustered" if kind == "cluster" else "robust"
    extra = {"clusters": sim["cluster_id"]} if kind == "cluster" else {}
    ref, _ = _linearmodels(sim, form, kind, weights, None, estimator=IVGMM, weight_type=wt, **extra)
    j = ref.j_stat
    assert diag.loc["hansen_j", "statistic"] == pytest.approx(float(j.stat), rel=RANK_TOL)
    assert diag.loc["hansen_j", "df1"] == int(j.df)
    assert diag.loc["hansen_j", "p_value"] == pytest.approx(float(j.pval), rel=RANK_TOL, abs=1e-15)


def test_hansen_j_with_too_few_clusters_is_refused(sim):
    few = sim.assign(g=sim.index // 200)  # 3 clusters, 5 moment conditions
    with pytest.raises(dp.errors.DataValueError, match="Hansen's J"):
        dp.iv("y_robust ~ 1 + x3 + x4 + [x1 ~ z1 + z2]", few, vcov="cluster", cluster="g")


def test_kleibergen_paap_docstring_example_runs():
    import doctest

    from disparity.models import _rank

    finder, runner = doctest.DocTestFinder(recurse=False), doctest.DocTestRunner()
    for test in finder.find(kleibergen_paap, "kleibergen_paap", globs=vars(_rank)):
        assert runner.run(test).failed == 0
    assert test.examples  # the example exists and ran
