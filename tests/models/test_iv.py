"""dp.iv against AER::ivreg (with diagnostics) and linearmodels."""

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IV2SLS, IVLIML
from linearmodels.iv.results import IVGMMResults, IVResults

import disparity as dp
from disparity.errors import SpecificationError
from disparity.models.iv import parse_iv_formula
from tests._assert import assert_terms_close

from .conftest import r_series

R_CLOSED_FORM_TOL = 1e-8
WRAPPER_TOL = 1e-10
F = "yiv ~ 1 + x1 + [dend ~ z1 + z2]"


@pytest.mark.reference
def test_2sls_against_aer(sample, rref):
    res = dp.iv(F, sample)
    ref = rref["ivreg"]
    assert_terms_close(res.params, r_series(ref), R_CLOSED_FORM_TOL)
    assert_terms_close(res.std_errors, r_series(ref, "se"), R_CLOSED_FORM_TOL)
    diag = res.extra["diagnostics"].set_index("test")
    for ours, theirs in [
        ("weak_instruments[dend]", "Weak instruments"),
        ("wu_hausman", "Wu-Hausman"),
        ("sargan", "Sargan"),
    ]:
        assert diag.loc[ours, "statistic"] == pytest.approx(
            ref["diagnostics"][theirs]["statistic"], rel=R_CLOSED_FORM_TOL
        )
        assert diag.loc[ours, "p_value"] == pytest.approx(
            ref["diagnostics"][theirs]["p-value"], rel=1e-6
        )
        assert diag.loc[ours, "df1"] == ref["diagnostics"][theirs]["df1"]


@pytest.mark.parametrize("estimator, cls", [("2sls", IV2SLS), ("liml", IVLIML)])
@pytest.mark.parametrize(
    "kind, lm_args",
    [
        ("iid", dict(cov_type="unadjusted", debiased=True)),
        ("HC1", dict(cov_type="robust", debiased=True)),
        ("HC0", dict(cov_type="robust", debiased=False)),
    ],
)
def test_linearmodels_parity(sample, estimator, cls, kind, lm_args):
    res = dp.iv(F, sample, estimator=estimator, vcov=kind)
    lm = cls.from_formula(F, sample).fit(**lm_args)
    assert_terms_close(res.params, lm.params.rename({"Intercept": "Intercept"}), WRAPPER_TOL)
    assert_terms_close(res.std_errors, lm.std_errors, WRAPPER_TOL)


def test_clustered_2sls_matches_linearmodels(sample):
    res = dp.iv(F, sample, vcov="cluster", cluster="county")
    lm = IV2SLS.from_formula(F, sample).fit(
        cov_type="clustered", clusters=sample.county, debiased=True
    )
    assert_terms_close(res.std_errors, lm.std_errors, WRAPPER_TOL)


def test_formula_parsing():
    assert parse_iv_formula("y ~ 1 + x + [d ~ z1 + z2]") == ("y ~ 1 + x", ["d"], ["z1", "z2"])
    assert parse_iv_formula("y ~ [d ~ z]") == ("y ~ 1", ["d"], ["z"])
    with pytest.raises(SpecificationError, match=r"\[endogenous ~ instruments\]"):
        parse_iv_formula("y ~ x + d")


def test_under_identified_is_rejected(sample):
    with pytest.raises(SpecificationError, match="Under-identified"):
        dp.iv("yiv ~ 1 + x1 + [dend + x2 ~ z1]", sample)


def test_exactly_identified_has_no_sargan(sample):
    res = dp.iv("yiv ~ 1 + x1 + [dend ~ z1]", sample)
    assert "sargan" not in set(res.extra["diagnostics"].test)
    assert np.isfinite(res.params["dend"])


def test_cragg_donald_equals_first_stage_f_with_one_endogenous(sample):
    diag = dp.iv(F, sample).extra["diagnostics"].set_index("test")
    assert diag.loc["cragg_donald", "statistic"] == pytest.approx(
        diag.loc["weak_instruments[dend]", "statistic"], rel=1e-10
    )
    two = dp.iv("yiv ~ 1 + x1 + [dend + x2 ~ z1 + z2 + log_gdp]", sample).extra["diagnostics"]
    two = two.set_index("test")
    # The minimum eigenvalue cannot exceed the weaker first stage's F.
    assert two.loc["cragg_donald", "statistic"] <= two.loc["weak_instruments[x2]", "statistic"]


def test_hansen_j_with_robust_variance(sample):
    from linearmodels.iv import IVGMM

    diag = dp.iv(F, sample, vcov="HC1").extra["diagnostics"].set_index("test")
    ref = IVGMM.from_formula(F, sample, weight_type="robust").fit(cov_type="robust").j_stat
    assert diag.loc["hansen_j", "statistic"] == pytest.approx(float(ref.stat), rel=1e-10)
    assert "hansen_j" not in set(dp.iv(F, sample).extra["diagnostics"].test)


@pytest.mark.parametrize(
    "kind, lm_args",
    [
        ("HC0", dict(cov_type="robust", debiased=False)),
        ("HC1", dict(cov_type="robust", debiased=True)),
    ],
)
def test_robust_first_stage_f_matches_linearmodels(sample, kind, lm_args):
    diag = dp.iv(F, sample, vcov=kind).extra["diagnostics"].set_index("test")
    lm = IV2SLS.from_formula(F, sample).fit(**lm_args)
    wald = float(lm.first_stage.diagnostics.loc["dend", "f.stat"])  # chi2(q) Wald statistic
    assert diag.loc[f"weak_instruments_{kind}[dend]", "statistic"] == pytest.approx(
        wald / 2, rel=1e-10
    )


def test_clustered_first_stage_f_matches_linearmodels(sample):
    diag = dp.iv(F, sample, vcov="cluster", cluster="county").extra["diagnostics"].set_index("test")
    lm = IV2SLS.from_formula(F, sample).fit(
        cov_type="clustered", clusters=sample.county, debiased=True
    )
    wald = float(lm.first_stage.diagnostics.loc["dend", "f.stat"])
    assert diag.loc["weak_instruments_cluster[dend]", "statistic"] == pytest.approx(
        wald / 2, rel=1e-10
    )


def test_effective_f_reduces_to_first_stage_f_under_homoskedasticity(sample):
    from disparity.models import _weakiv as wk

    Xc = np.column_stack([np.ones(len(sample)), sample.x1])
    part = lambda a: a - Xc @ np.linalg.lstsq(Xc, a, rcond=None)[0]  # noqa: E731
    f_eff, *_ = wk.mop_moments(
        part(sample.yiv.to_numpy()), part(sample.dend.to_numpy()),
        part(sample[["z1", "z2"]].to_numpy()), weights=None, kind="iid", codes=None,
        bandwidth=None, k_total=4,
    )
    first_f = (
        dp.iv(F, sample)
        .extra["diagnostics"]
        .set_index("test")
        .loc["weak_instruments[dend]", "statistic"]
    )
    assert f_eff == pytest.approx(first_f, rel=1e-10)
    robust = dp.iv(F, sample, vcov="HC1").extra["diagnostics"].set_index("test")
    assert 0 < robust.loc["effective_f[dend]", "statistic"] < np.inf


# --- Stata ivregress output stored by linearmodels (tests/reference/models/stata) -----------------

STATA = Path(__file__).resolve().parents[1] / "reference" / "models" / "stata"
# Stata printed with estout %13.12g: 12 significant digits, fewer for small numbers (.00223983298
# has 9). A value matches if it agrees to 1e-8 relative or to half a unit of its last printed digit.
STATA_TOL = 1e-8
STATA_IV = json.loads((STATA / "stata_iv.json").read_text())
VCE = {
    "vce(unadjusted)": ("iid", "y_unadjusted"),
    "vce(robust)": ("HC1", "y_robust"),
    "vce(cluster cluster_id)": ("cluster", "y_clustered"),
    "vce(hac bartlett 12)": ("hac", "y_kernel"),
}


def printed_tol(x: float) -> float:
    """Half a unit of the last digit Stata printed (recovered from the shortest repr)."""
    mant, _, exp = f"{x:.12g}".partition("e")
    digits = len(mant.split(".")[1]) if "." in mant else 0
    return max(STATA_TOL * abs(x), 0.5 * 10.0 ** (-digits + (int(exp) if exp else 0)))


def _stata_iv_cases() -> list[str]:
    return list(STATA_IV["simulated"])


def test_every_stored_stata_run_is_compared():
    # weighted GMM with centred robust/cluster/HAC moments (72 runs) included
    assert len(_stata_iv_cases()) == 768
    assert sum("center" in k and "weighted_True" in k for k in _stata_iv_cases()) == 96


def test_weighted_centred_cue_is_refused(iv_sim):
    # no Stata CUE to follow, and linearmodels centres weighted moments unlike Stata's GMM
    with pytest.raises(SpecificationError, match="center=True with weights.*'cue'"):
        dp.iv("y_robust ~ 1 + [x1 ~ z1 + z2]", iv_sim, estimator="cue", vcov="HC1",
              weights="weights", center=True)


@pytest.fixture(scope="module")
def iv_sim() -> pd.DataFrame:
    return pd.read_csv(STATA / "iv_simulated.csv")


def _assert_stata(res, run) -> None:
    for term in res.params.index:
        st = "_cons" if term == "Intercept" else term
        b, t = run["b"][st], run["t"][st]
        assert abs(res.params[term] - b) <= printed_tol(b), (term, res.params[term], b)
        ours_t = res.params[term] / res.std_errors[term]
        assert abs(ours_t - t) <= printed_tol(t) + abs(t) * STATA_TOL, (term, ours_t, t)
    # every cell of e(V), and of the GMM weight matrix e(W) (not with i.region instruments: Stata's
    # base level differs from the formula's, and W depends on how the instruments are coded)
    for stored, ours in [("V", res.cov), ("W", res.raw.get("gmm_weight_matrix"))]:
        if stored not in run or (stored == "W" and "gmm" not in res.spec.estimator):
            continue
        if any("." in c for c in run[stored]["names"]):
            continue
        names = ["Intercept" if c == "_cons" else c for c in run[stored]["names"]]
        got = ours.loc[names, names].to_numpy().ravel()
        for a, b in zip(got, np.ravel(run[stored]["values"]), strict=True):
            assert abs(a - b) <= printed_tol(b) + abs(b) * STATA_TOL, (stored, a, b)


@pytest.mark.reference
@pytest.mark.parametrize("key", _stata_iv_cases())
def test_iv_against_stata(iv_sim, key):
    run = STATA_IV["simulated"][key]
    method, n_endog, n_exog, n_instr, weighted, vce, other = key.split("-", 6)
    kind, depvar = VCE[vce.replace("wmatrix", "vce")]
    endog = ["x1", "x2"][: int(n_endog.rsplit("_", 1)[1])]
    instr = ["z1", "z2"][: int(n_instr.rsplit("_", 1)[1])]
    exog = ["x3", "x4", "x5"] if n_exog.endswith("_3") else []
    rhs = (["0"] if "noconstant" in other else ["1"]) + exog
    formula = f"{depvar} ~ {' + '.join(rhs)} + [{' + '.join(endog)} ~ {' + '.join(instr)}]"
    res = dp.iv(
        formula,
        iv_sim,
        estimator=method,
        vcov=kind,
        cluster="cluster_id" if kind == "cluster" else None,
        bandwidth=12 if kind == "hac" else None,
        weights="weights" if weighted.endswith("True") else None,
        small="small" in other,
        center="center" in other,
    )
    _assert_stata(res, run)
    if method == "gmm" and run["stats"].get("J") is not None and len(instr) > len(endog):
        j = res.extra["diagnostics"].set_index("test").loc["gmm_j", "statistic"]
        assert abs(j - run["stats"]["J"]) <= printed_tol(run["stats"]["J"])
    if method == "liml":
        assert abs(res.stats["kappa"] - run["stats"]["kappa"]) <= printed_tol(run["stats"]["kappa"])


@pytest.mark.reference
@pytest.mark.parametrize("key", list(STATA_IV["housing"]))
def test_iv_factor_instruments_against_stata(key):
    # ivregress ... rent pcturban (hsngval = faminc i.region): C(region) among the instruments.
    run = STATA_IV["housing"][key]
    method, vce, size = key.split("-")
    d = pd.read_csv(STATA / "iv_housing.csv")
    res = dp.iv(
        "rent ~ pcturban + [hsngval ~ faminc + C(region)]",
        d,
        estimator=method,
        vcov={"unadjusted": "iid", "robust": "HC1", "cluster": "cluster"}[vce],
        cluster="division" if vce == "cluster" else None,
        small=size == "small",
    )
    _assert_stata(res, run)
    assert res.extra["first_stage"]["hsngval"].shape[0] == 2 + 1 + 3  # non-reference regions only


# Kleibergen-Paap rk statistics from ivreg2r 0.1.0 (an R port of Stata's ivreg2/ranktest), as
# published in linearmodels' tests/iv/test_rank_tests.py: (rk LM, df, rk Wald F); model B of that file.
KP_REFERENCE = {
    "HC1": (28.2011546920011, 2, 17.3639182117703),
    "cluster": (28.4875757936386, 2, 22.2146455418097),
}
KP_TOL = 1e-8


@pytest.mark.reference
@pytest.mark.parametrize("kind", list(KP_REFERENCE))
def test_kleibergen_paap_against_ivreg2(iv_sim, kind):
    res = dp.iv(
        "y_robust ~ 1 + x3 + x4 + x5 + [x1 ~ z1 + z2]",
        iv_sim,
        vcov=kind,
        cluster="cluster_id" if kind == "cluster" else None,
    )
    diag = res.extra["diagnostics"].set_index("test")
    lm, df, f = KP_REFERENCE[kind]
    assert diag.loc["kleibergen_paap_lm", "statistic"] == pytest.approx(lm, rel=KP_TOL)
    assert diag.loc["kleibergen_paap_lm", "df1"] == df
    assert diag.loc["kleibergen_paap_f", "statistic"] == pytest.approx(f, rel=KP_TOL)
    sy = res.extra["stock_yogo"].set_index(["table", "threshold"])
    assert sy.loc[("2sls_size", 0.10), "critical_value"] == 19.93
    assert sy["value"].tolist() == pytest.approx([f] * 4, rel=KP_TOL)  # the rk Wald F, as ivreg2


def test_iv_vcov_outside_the_family_and_bad_small(sample):
    with pytest.raises(SpecificationError, match="not supported by iv models.*'hac'"):
        dp.iv(F, sample, vcov="HC3")
    with pytest.raises(SpecificationError, match="small="):
        dp.iv(F, sample, small="yes")


@pytest.mark.reference
@pytest.mark.parametrize(
    "vcov, cluster, pf_vcov",
    [("iid", None, "iid"), ("HC1", None, "hetero"), ("cluster", "county", {"CRV1": "county"})],
)
def test_iv_absorb_against_pyfixest(sample, vcov, cluster, pf_vcov):
    import warnings

    import pyfixest as pf

    res = dp.iv("yiv ~ x1 + [dend ~ z1 + z2]", sample, absorb=["county", "stratum"], vcov=vcov,
                cluster=cluster, ssc="fixest")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols("yiv ~ x1 | county + stratum | dend ~ z1 + z2", data=sample, vcov=pf_vcov,
                       fixef_rm="singleton", fixef_tol=1e-14)
    assert_terms_close(res.params, ref.coef(), WRAPPER_TOL)
    assert_terms_close(res.std_errors, ref.se(), WRAPPER_TOL)


def test_iv_absorb_only_with_2sls(sample):
    with pytest.raises(SpecificationError, match="absorb="):
        dp.iv(F, sample, estimator="liml", absorb="county")


def test_hac_default_bandwidth_is_the_newey_west_rule(iv_sim):
    from disparity.models.covariance import newey_west_lags

    f = "y_kernel ~ 1 + x3 + [x1 ~ z1 + z2]"
    auto = dp.iv(f, iv_sim, vcov="hac")
    lags = int(np.floor(4 * (len(iv_sim) / 100) ** (2 / 9)))
    assert newey_west_lags(len(iv_sim)) == lags == auto.spec.options["bandwidth"] == 5
    assert_terms_close(auto.std_errors, dp.iv(f, iv_sim, vcov="hac", bandwidth=lags).std_errors, 0)
    assert any("5 lags" in n for n in auto.summary().notes)


def test_pweights_make_iid_robust(iv_sim):
    f = "y_robust ~ 1 + [x1 ~ z1 + z2]"
    pw = dp.iv(f, iv_sim, weights="weights", weight_type="pweight")
    aw = dp.iv(f, iv_sim, weights="weights", vcov="HC1")
    assert pw.spec.vcov == "HC1" and "pweights" in " ".join(pw.summary().notes)
    assert_terms_close(pw.std_errors, aw.std_errors, 0)


def test_large_sample_iv_uses_the_normal(iv_sim):
    res = dp.iv("y_unadjusted ~ 1 + [x1 ~ z1]", iv_sim, small=False)
    assert res.df is None
    assert res.with_vcov("iid", small=True).df == len(iv_sim) - 2
    mop = res.extra["mop_critical"].set_index("tau")
    # one instrument: K_eff = 1, the noncentral chi2(1, 10) 95% quantile (Montiel Olea-Pflueger)
    assert mop.loc[0.10, "critical_value"] == pytest.approx(23.108511211606643, rel=1e-9)


def test_iv_bad_input_raises_disparity_errors(sample):
    with pytest.raises(SpecificationError, match="bandwidth='x'"):
        dp.iv(F, sample, vcov="hac", bandwidth="x")
    with pytest.raises(dp.errors.DataValueError, match="constant"):
        dp.iv("c ~ 1 + x1 + [dend ~ z1 + z2]", sample.assign(c=2.0))
    with pytest.raises(SpecificationError, match="not in the data"):
        dp.iv(F, sample, estimator="liml", vcov="cluster", cluster="nope")
    with pytest.raises(dp.errors.DataValueError, match="single cluster"):
        dp.iv(F, sample.assign(g=1), estimator="gmm", vcov="cluster", cluster="g")


def test_gmm_with_fewer_clusters_than_instruments_is_refused(iv_sim):
    few = iv_sim.assign(g=iv_sim.index // 200)  # 3 clusters, 5 moment conditions
    with pytest.raises(dp.errors.DataValueError, match="5 GMM moment conditions from 3 clusters"):
        dp.iv("y_robust ~ 1 + x3 + x4 + [x1 ~ z1 + z2]", few, estimator="gmm", vcov="cluster",
              cluster="g")


@pytest.mark.parametrize("estimator", ["2sls", "liml"])
def test_with_vcov_refits_the_kept_model_and_equals_a_fresh_fit(iv_sim, estimator):
    # with_vcov fits the linearmodels model the result built (its data wrapping does not depend
    # on the variance) instead of building it again; the numbers are a fresh fit's, to the bit
    f = "y_robust ~ 1 + x3 + x4 + x5 + [x1 ~ z1 + z2]"
    res = dp.iv(f, iv_sim, estimator=estimator)
    if estimator == "2sls":  # fitted here; linearmodels' model is built when raw asks for it
        assert res._refit.lm_models.models == {}
        assert isinstance(res.raw["linearmodels"], IVResults)
    kept = dict(res._refit.lm_models.models)
    assert list(kept) == [estimator]
    moved = res.with_vcov("HC1")
    fresh = dp.iv(f, iv_sim, estimator=estimator, vcov="HC1")
    assert res._refit.lm_models.models[estimator] is kept[estimator]
    pd.testing.assert_series_equal(moved.params, fresh.params, check_exact=True)
    pd.testing.assert_frame_equal(moved.cov, fresh.cov, check_exact=True)
    pd.testing.assert_frame_equal(moved.extra["diagnostics"], fresh.extra["diagnostics"],
                                  check_exact=True)
    back = pickle.loads(pickle.dumps(res))
    assert back._refit.lm_models.models == {}  # not pickled; rebuilt when needed
    pd.testing.assert_frame_equal(back.with_vcov("HC1").cov, fresh.cov,
                                  check_exact=True)


@pytest.mark.parametrize("estimator, vcov", [("2sls", "iid"), ("2sls", "cluster"), ("gmm", "iid"),
                                             ("gmm", "HC1")])
def test_raw_linearmodels_is_fitted_on_first_read(iv_sim, estimator, vcov):
    # 2SLS/GMM are computed here; raw["linearmodels"] is the linearmodels fit of the same model
    # with the same covariance, made when first read (and kept; pickled unbuilt)
    f = "y_robust ~ 1 + x3 + x4 + x5 + [x1 ~ z1 + z2]"
    cl = "cluster_id" if vcov == "cluster" else None
    res = dp.iv(f, iv_sim, estimator=estimator, vcov=vcov, cluster=cl)
    raw = res.raw
    assert list(raw) == ["X", "Z", "y", "resid", "linearmodels", "gmm_weight_matrix"]
    assert not raw.is_built("linearmodels")  # not built by the fit
    lm = raw["linearmodels"]
    assert raw["linearmodels"] is lm
    # own GMM with vcov="iid" is linearmodels' IVGMM; the other GMM keeps the 2SLS fit, as before
    assert isinstance(lm, IVGMMResults if (estimator, vcov) == ("gmm", "iid") else IVResults)
    if estimator == "2sls":
        assert_terms_close(res.params, lm.params, WRAPPER_TOL)
        assert_terms_close(res.std_errors, lm.std_errors, WRAPPER_TOL)
        assert lm.cov_type == {"iid": "unadjusted", "cluster": "clustered"}[vcov]
    back = pickle.loads(pickle.dumps(res))
    assert not back.raw.is_built("linearmodels")
    pd.testing.assert_series_equal(back.raw["linearmodels"].params, lm.params, check_exact=True)
    np.testing.assert_array_equal(back.raw["X"], raw["X"])
    liml = dp.iv(f, iv_sim, estimator="liml").raw  # the engine's own fit: there from the start
    assert liml.is_built("linearmodels") and isinstance(liml["linearmodels"], IVResults)
