"""Survey inference against R survey 4.1 and convey 0.2.5 (tests/reference/survey/).

One test per design kind (stratified, one-stage cluster, two-stage with and without fpc, the
survey package's ``fpc`` data, single-PSU rules, replicate JK1/JKn/bootstrap/BRR/Fay) × missing-data
rule (complete data; missing values as domains; subpopulations) × estimator family (descriptives,
linear and logit models, inequality measures).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from tests._assert import assert_close

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"
# closed-form estimators (means, totals, ratios, WLS, linearised inequality indices): R and we sum
# the same terms in a different order; 1e-8 relative leaves a margin of ~1e5 over rounding
TOL = 1e-8
# iteratively fitted models (logit): R stops its IRLS at glm.control(epsilon = 1e-12)
TOL_ITER = 1e-6


def _load(name: str) -> pd.DataFrame:
    d = pd.read_csv(REF / name)
    return d.rename(columns=lambda c: c.replace(".", "_"))


REFS = pd.read_csv(REF / "reference.csv", dtype={"value": str})


def ref(case: str, stat: str) -> np.ndarray:
    sel = REFS[(REFS["case"] == case) & (REFS["stat"] == stat)]
    assert not sel.empty, f"no reference {case}/{stat}"
    return sel["value"].astype(float).to_numpy()


# shares of a stratification variable have SE and deff 0 exactly in R and ~1e-17 here (rounding)
ATOL_PROPORTION = 1e-14


def close(actual, expected, tol=TOL, atol=0.0):
    """:func:`tests._assert.assert_close` at this file's reference tolerance unless told otherwise."""
    assert_close(actual, expected, rtol=tol, atol=atol)


API = {"strat": "apistrat.csv", "strat_wr": "apistrat.csv", "clus1": "apiclus1.csv",
       "clus2": "apiclus2.csv", "clus2_wr": "apiclus2.csv"}
DESIGNS = {
    "strat": dp.SurveyDesign(weights="pw", strata="stype", fpc="fpc"),
    "strat_wr": dp.SurveyDesign(weights="pw", strata="stype"),
    "clus1": dp.SurveyDesign(weights="pw", psu="dnum", fpc="fpc"),
    "clus2": dp.SurveyDesign(weights="pw", psu="dnum", ssu="snum", fpc="fpc1", fpc2="fpc2"),
    "clus2_wr": dp.SurveyDesign(weights="pw", psu="dnum", ssu="snum"),
}


@pytest.fixture(scope="module", params=list(DESIGNS))
def api(request):
    d = _load(API[request.param])
    d["yes"] = (d["sch_wide"] == "Yes").astype(float)
    return request.param, d, DESIGNS[request.param]


def test_mean_total_complete(api):
    nm, d, des = api
    r = dp.svy_mean(d, "api00", design=des)
    close(r.estimate, ref(f"mean_api00_{nm}", "estimate"))
    close(r.std_error, ref(f"mean_api00_{nm}", "se"))
    close(r.deff, ref(f"mean_api00_{nm}", "deff"))
    assert r.table["df"].iloc[0] == ref(f"design_{nm}", "degf")[0]


def test_missing_values_are_domains(api):
    nm, d, des = api
    r = dp.svy_mean(d, "acs_46", design=des)
    close(r.estimate, ref(f"mean_acs46_{nm}", "estimate"))
    close(r.std_error, ref(f"mean_acs46_{nm}", "se"))
    close(r.deff, ref(f"mean_acs46_{nm}", "deff"))
    t = dp.svy_total(d, "enroll", design=des)
    close(t.estimate, ref(f"total_enroll_{nm}", "estimate"))
    close(t.std_error, ref(f"total_enroll_{nm}", "se"))
    close(t.deff, ref(f"total_enroll_{nm}", "deff"))
    q = dp.svy_ratio(d, "api_stu", "enroll", design=des)
    close(q.estimate, ref(f"ratio_{nm}", "estimate"))
    close(q.std_error, ref(f"ratio_{nm}", "se"))


def test_missing_drop_rule_differs(api):
    """missing='drop' forms the design on complete rows only: the old, non-R answer."""
    nm, d, des = api
    from dataclasses import replace

    # dropping rows leaves some two-stage PSUs with one school: give those no variance here
    des = replace(des, single_psu="certainty")
    dropped = dp.svy_mean(d, "acs_46", design=replace(des, missing="drop"))
    domain = dp.svy_mean(d, "acs_46", design=des)
    assert dropped.estimate == pytest.approx(domain.estimate, rel=1e-12)
    complete = d.dropna(subset=["acs_46"])
    close(dropped.std_error, [dp.svy_mean(complete, "acs_46", design=des).std_error], 1e-12)


def test_by_domains(api):
    nm, d, des = api
    r = dp.svy_mean(d, "api00", design=des, by="stype")
    close(r.table["estimate"], ref(f"by_api00_stype_{nm}", "estimate"))
    close(r.table["std_error"], ref(f"by_api00_stype_{nm}", "se"))
    close(r.table["deff"], ref(f"by_api00_stype_{nm}", "deff"))
    if (REFS["case"] == f"by_acs46_stype_{nm}").any():
        r = dp.svy_mean(d, "acs_46", design=des, by="stype")
        # R reports 0 (SE 0) for a domain without any complete row; it has no row here
        present = ref(f"by_acs46_stype_{nm}", "estimate") != 0
        assert r.table.shape[0] == present.sum()
        close(r.table["estimate"], ref(f"by_acs46_stype_{nm}", "estimate")[present])
        close(r.table["std_error"], ref(f"by_acs46_stype_{nm}", "se")[present])


def test_subpopulation(api):
    nm, d, des = api
    r = dp.svy_mean(d, "api00", design=des, subpop="sch_wide == 'Yes'")
    close(r.estimate, ref(f"subset_mean_api00_{nm}", "estimate"))
    close(r.std_error, ref(f"subset_mean_api00_{nm}", "se"))
    same = dp.svy_mean(d, "api00", design=des.subset("`sch_wide` == 'Yes'"))
    assert same.std_error == r.std_error
    from dataclasses import replace

    r_df = dp.svy_mean(d, "api00", design=replace(des, df="r"), subpop="sch_wide == 'Yes'")
    assert r_df.table["df"].iloc[0] == ref(f"subset_mean_api00_{nm}", "degf")[0]


def test_linear_model(api):
    nm, d, des = api
    m = dp.ols("api00 ~ ell + meals + mobility", d, vcov="survey", design=des)
    close(m.params, ref(f"glm_{nm}", "estimate"))
    close(m.std_errors, ref(f"glm_{nm}", "se"))
    from dataclasses import replace

    m_r = dp.ols("api00 ~ ell + meals + mobility", d, vcov="survey", design=replace(des, df="r"))
    assert m_r.df == ref(f"glm_{nm}", "df_resid")[0]  # R summary.svyglm: degf - k + 1
    assert m.df == ref(f"design_{nm}", "degf")[0]  # Stata: #PSU - #strata


def test_linear_model_missing_regressor_is_domain(api):
    nm, d, des = api
    m = dp.ols("api00 ~ ell + acs_46", d, vcov="survey", design=des)
    close(m.params, ref(f"glm_na_{nm}", "estimate"))
    close(m.std_errors, ref(f"glm_na_{nm}", "se"))
    from dataclasses import replace

    m_r = dp.ols("api00 ~ ell + acs_46", d, vcov="survey", design=replace(des, df="r"))
    assert m_r.df == ref(f"glm_na_{nm}", "df_resid")[0]  # PSUs of the estimation domain


def test_logit(api):
    nm, d, des = api
    m = dp.logit("yes ~ ell + meals", d, vcov="survey", design=des)
    close(m.params, ref(f"logit_{nm}", "estimate"), TOL_ITER)
    close(m.std_errors, ref(f"logit_{nm}", "se"), TOL_ITER)


@pytest.mark.parametrize("var", ["api00", "acs_46"])
def test_inequality_convey(api, var):
    nm, d, des = api
    key = var.replace("_", "")
    g = dp.gini(d, var, design=des, ranks="convey")
    close(g.value, ref(f"convey_gini_{key}_{nm}", "estimate"))
    close(g.std_error, ref(f"convey_gini_{key}_{nm}", "se"))
    for a in (0, 1, 2):
        r = dp.ge(d, var, alpha=a, design=des)
        close(r.value, ref(f"convey_ge{a}_{key}_{nm}", "estimate"))
        close(r.std_error, ref(f"convey_ge{a}_{key}_{nm}", "se"))
    for e in (0.5, 1, 2):
        r = dp.atkinson(d, var, epsilon=e, design=des)
        close(r.value, ref(f"convey_atk{e:g}_{key}_{nm}", "estimate"))
        close(r.std_error, ref(f"convey_atk{e:g}_{key}_{nm}", "se"))


def test_gini_midpoint_differs_from_convey():
    d = _load("apistrat.csv")
    des = DESIGNS["strat"]
    mid = dp.gini(d, "api00", design=des).value
    cv = dp.gini(d, "api00", design=des, ranks="convey").value
    close(cv, ref("convey_gini_api00_strat", "estimate"))
    assert abs(mid - cv) / cv > 0.01


def test_fpc_data():
    d = _load("fpc.csv")
    des = dp.SurveyDesign(weights="weight", strata="stratid", psu="psuid", fpc="Nh")
    r = dp.svy_mean(d, "x", design=des)
    close(r.estimate, ref("mean_x_fpc", "estimate"))
    close(r.std_error, ref("mean_x_fpc", "se"))
    close(r.deff, ref("mean_x_fpc", "deff"))
    t = dp.svy_total(d, "x", design=des)
    close(t.std_error, ref("total_x_fpc", "se"))
    assert r.table["df"].iloc[0] == ref("design_fpc", "degf")[0]


@pytest.mark.parametrize("rule,r_rule", [("certainty", "certainty"), ("scaled", "average"),
                                         ("centered", "adjust")])
def test_single_psu_rules(rule, r_rule):
    d = _load("apistrat.csv")
    des = dp.SurveyDesign(weights="pw", strata="cname", single_psu=rule)
    r = dp.svy_mean(d, "api00", design=des)
    close(r.std_error, ref(f"lonely_{r_rule}", "se"))
    t = dp.svy_total(d, "api00", design=des)
    close(t.std_error, ref(f"lonely_total_{r_rule}", "se"))
    with pytest.raises(dp.errors.DataValueError, match="single PSU"):
        dp.svy_mean(d, "api00", design=dp.SurveyDesign(weights="pw", strata="cname"))


# ---- replicate designs -----------------------------------------------------------------------

def _rep(nm: str, **kw):
    base = _load("apistrat.csv" if nm == "jkn" else "apiclus1.csv")
    rw = pd.read_csv(REF / f"rep_{nm}.csv")
    assert (rw["snum"].to_numpy() == base["snum"].to_numpy()).all()
    cols = [c for c in rw.columns if c.startswith("rw")]
    d = pd.concat([base, rw[cols]], axis=1)
    kind = {"jk1": "JK1", "boot": "bootstrap", "jkn": "JKn"}[nm]
    des = dp.ReplicateDesign(weights="pw", replicates=cols, type=kind,
                             scale=float(ref(f"rep_{nm}", "scale")[0]),
                             rscales=list(ref(f"rep_{nm}", "rscales")), **kw)
    return d, des


@pytest.mark.parametrize("nm", ["jk1", "boot", "jkn"])
def test_replicate_descriptives(nm):
    d, des = _rep(nm)
    r = dp.svy_mean(d, "api00", design=des)
    close(r.estimate, ref(f"rep_mean_api00_{nm}", "estimate"))
    close(r.std_error, ref(f"rep_mean_api00_{nm}", "se"))
    r = dp.svy_mean(d, "acs_46", design=des)  # missing values
    close(r.std_error, ref(f"rep_mean_acs46_{nm}", "se"))
    t = dp.svy_total(d, "enroll", design=des)
    close(t.std_error, ref(f"rep_total_enroll_{nm}", "se"))
    q = dp.svy_ratio(d, "api_stu", "enroll", design=des)
    close(q.std_error, ref(f"rep_ratio_{nm}", "se"))
    b = dp.svy_mean(d, "api00", design=des, by="stype")
    close(b.table["std_error"], ref(f"rep_by_api00_stype_{nm}", "se"))
    m = dp.svy_mean(d, "api00", design=dp.ReplicateDesign(
        weights="pw", replicates="^rw[0-9]+$", type=des.type, scale=des.scale,
        rscales=des.rscales, mse=True))
    close(m.std_error, ref(f"rep_mse_{nm}", "se"))


@pytest.mark.parametrize("nm", ["jk1", "boot", "jkn"])
def test_replicate_model_and_gini(nm):
    d, des = _rep(nm)
    m = dp.ols("api00 ~ ell + meals + mobility", d, vcov="survey", design=des)
    close(m.params, ref(f"rep_glm_{nm}", "estimate"))
    close(m.std_errors, ref(f"rep_glm_{nm}", "se"))
    g = dp.gini(d, "api00", design=des, ranks="convey")
    close(g.value, ref(f"rep_convey_gini_{nm}", "estimate"))
    close(g.std_error, ref(f"rep_convey_gini_{nm}", "se"))
    a = dp.atkinson(d, "api00", epsilon=0.5, design=des)
    close(a.value, ref(f"rep_convey_atk_{nm}", "estimate"))
    close(a.std_error, ref(f"rep_convey_atk_{nm}", "se"))


@pytest.mark.parametrize("nm", ["jk1", "boot", "jkn"])
def test_replicate_missing_values(nm):
    d, des = _rep(nm)
    m = dp.ols("api00 ~ ell + acs_46", d, vcov="survey", design=des)
    close(m.params, ref(f"rep_glm_na_{nm}", "estimate"))
    close(m.std_errors, ref(f"rep_glm_na_{nm}", "se"))
    g = dp.gini(d, "acs_46", design=des, ranks="convey")
    close(g.value, ref(f"rep_convey_gini_acs46_{nm}", "estimate"))
    close(g.std_error, ref(f"rep_convey_gini_acs46_{nm}", "se"))


def test_brr_and_fay():
    d = _load("scd_rep.csv").assign(w=1.0)
    brr = dp.ReplicateDesign(weights="w", replicates=[f"brr{i}" for i in range(1, 5)], type="BRR")
    r = dp.svy_mean(d, "arrests", design=brr)
    close(r.estimate, ref("rep_brr_arrests", "estimate"))
    close(r.std_error, ref("rep_brr_arrests", "se"))
    close(dp.svy_total(d, "alive", design=brr).std_error, ref("rep_brr_alive_total", "se"))
    fay = dp.ReplicateDesign(weights="w", replicates=[f"fay{i}" for i in range(1, 5)], type="Fay",
                             rho=0.3)
    close(dp.svy_mean(d, "arrests", design=fay).std_error, ref("rep_fay_arrests", "se"))


@pytest.mark.parametrize("nm", ["strat", "clus1", "clus2"])
def test_quantiles(nm):
    d = _load(API[nm])
    from dataclasses import replace

    des = replace(DESIGNS[nm], df="r")  # R's Woodruff interval uses degf of the (domain) design
    q = dp.svy_quantile(d, "api00", [0.25, 0.5, 0.9], design=des)
    close(q.table["estimate"], ref(f"quantile_api00_{nm}", "estimate"))
    close(q.table["std_error"], ref(f"quantile_api00_{nm}", "se"))
    close(q.table[["conf_low", "conf_high"]].to_numpy(), ref(f"quantile_api00_{nm}", "ci"))
    q = dp.svy_quantile(d, "acs_46", 0.5, design=des)  # missing values: a domain
    close(q.table["estimate"], ref(f"quantile_acs46_{nm}", "estimate"))
    close(q.table["std_error"], ref(f"quantile_acs46_{nm}", "se"))
    q = dp.svy_quantile(d, "api00", 0.5, design=des, by="stype")
    close(q.table["estimate"], ref(f"by_quantile_api00_{nm}", "estimate"))
    close(q.table["std_error"], ref(f"by_quantile_api00_{nm}", "se"))


def test_replicate_quantiles():
    d, des = _rep("jk1")
    q = dp.svy_quantile(d, "api00", [0.25, 0.5], design=des)
    close(q.table["estimate"], ref("rep_quantile_api00_jk1", "estimate"))
    close(q.table["std_error"], ref("rep_quantile_api00_jk1", "se"))


@pytest.mark.parametrize("nm", ["strat", "clus1", "clus2"])
def test_tables_and_rao_scott(nm):
    d = _load(API[nm])
    des = DESIGNS[nm]
    one = dp.svy_tab(d, "stype", design=des)
    close(one.table["estimate"], ref(f"prop_stype_{nm}", "estimate"))
    close(one.table["std_error"], ref(f"prop_stype_{nm}", "se"), atol=ATOL_PROPORTION)
    close(one.table["deff"], ref(f"prop_stype_{nm}", "deff"), atol=ATOL_PROPORTION)
    assert one.test is None
    two = dp.svy_tab(d, "sch_wide", "stype", design=des)
    close(two.table["estimate"], ref(f"prop_cells_{nm}", "estimate"))
    close(two.table["std_error"], ref(f"prop_cells_{nm}", "se"))
    close(two.table["deff"], ref(f"prop_cells_{nm}", "deff"))
    t = two.test.iloc[0]
    close(t["statistic"], ref(f"chisq_{nm}", "F"))
    close(t["ndf"], ref(f"chisq_{nm}", "ndf"))
    close(t["ddf"], ref(f"chisq_{nm}", "ddf"))
    close(t["p_value"], ref(f"chisq_{nm}", "p"))


@pytest.mark.parametrize("nm", ["strat", "clus1", "clus2"])
def test_rao_scott_with_missing_values(nm):
    from dataclasses import replace

    d = _load(API[nm])
    d["acs_hi"] = np.where(d["acs_46"].isna(), None, np.where(d["acs_46"] > 28, "hi", "lo"))
    # R's subset(design, !is.na(acs.46)) counts the domain's PSUs for the df: df="r"
    t = dp.svy_tab(d, "sch_wide", "acs_hi", design=replace(DESIGNS[nm], df="r")).test.iloc[0]
    close(t["statistic"], ref(f"chisq_na_{nm}", "F"))
    close(t["ddf"], ref(f"chisq_na_{nm}", "ddf"))
    close(t["p_value"], ref(f"chisq_na_{nm}", "p"))


@pytest.mark.parametrize("nm", ["jk1", "boot"])
def test_replicate_logit(nm):
    d, des = _rep(nm)
    d["yes"] = (d["sch_wide"] == "Yes").astype(float)
    m = dp.logit("yes ~ ell + meals", d, vcov="survey", design=des)
    close(m.params, ref(f"rep_logit_{nm}", "estimate"), TOL_ITER)
    close(m.std_errors, ref(f"rep_logit_{nm}", "se"), TOL_ITER)
