"""regression_table reads statsmodels, linearmodels and pyfixest results: their own numbers and notes."""

import warnings

import numpy as np
import pandas as pd
import pytest

from disparity.reports import regression_table


def _cells(table, label):
    i = [r[0] for r in table.body].index(label)
    return table.body[i], table.body[i + 1]


def test_statsmodels_ols_cluster(sample):
    import statsmodels.formula.api as smf

    res = smf.ols("y ~ x1 + x2", data=sample).fit(cov_type="cluster", cov_kwds={"groups": sample["county"]})
    t = regression_table(res, stats=["nobs", "r2", "adj_r2", "n_clusters"], lang="en")
    est, se = _cells(t, "x1")
    assert est[1].startswith(f"{res.params['x1']:.3f}")
    assert se[1] == f"({res.bse['x1']:.3f})"
    stats = {r[0]: r[1] for r in t.body}
    assert stats["Observations"] == str(int(res.nobs))
    assert stats["R²"] == f"{res.rsquared:.3f}"
    assert stats["Adjusted R²"] == f"{res.rsquared_adj:.3f}"
    assert stats["Clusters"] == str(sample["county"].nunique())
    assert t.notes[0].startswith("Cluster-robust standard errors in parentheses.")
    assert _cells(t, "Constant")[0][1].startswith(f"{res.params['Intercept']:.3f}")
    head = [c.text for c in t.header[-1]]
    assert head == ["", "y"]


def test_statsmodels_logit_and_hc(sample):
    import statsmodels.formula.api as smf

    logit = smf.logit("yb ~ x1 + x2", data=sample).fit(disp=0)
    ols = smf.ols("y ~ x1", data=sample).fit(cov_type="HC1")
    t = regression_table([logit, ols], stats=["nobs", "pseudo_r2", "r2"])
    est, se = _cells(t, "x1")
    assert se[1:] == (f"({logit.bse['x1']:.3f})", f"({ols.bse['x1']:.3f})")
    stats = {r[0]: r[1:] for r in t.body}
    assert stats["伪R²"] == (f"{logit.prsquared:.3f}", "")
    assert stats["R²"] == ("", f"{ols.rsquared:.3f}")
    assert "第(1)列为标准误，第(2)列为异方差稳健标准误" in t.notes[0]


def test_linearmodels_panel_fixed_effects(sample):
    from linearmodels.panel import PanelOLS

    d = sample.assign(t=sample.groupby("county").cumcount()).set_index(["county", "t"])
    res = PanelOLS.from_formula("y ~ x1 + x2 + EntityEffects", data=d).fit(cov_type="clustered", cluster_entity=True)
    t = regression_table(res, indicators={"County FE": ["entity"]}, stats=["nobs", "r2_within"], lang="en")
    est, se = _cells(t, "x2")
    assert est[1].startswith(f"{res.params['x2']:.3f}")
    assert se[1] == f"({res.std_errors['x2']:.3f})"
    stats = {r[0]: r[1] for r in t.body}
    assert stats["County FE"] == "Yes"
    assert stats["Within R²"] == f"{res.rsquared_within:.3f}"
    assert stats["Observations"] == str(res.nobs)
    # linearmodels panel results do not expose the clustering variable: the note stays generic
    assert t.notes[0].startswith("Cluster-robust standard errors in parentheses.")


def test_pyfixest_feols_with_fixed_effects(sample):
    pf = pytest.importorskip("pyfixest")
    with warnings.catch_warnings():
        # pyfixest may warn about its optional numba/JAX paths on first use; not our concern here
        warnings.simplefilter("ignore")
        fit = pf.feols("y ~ x1 + x2 | county", data=sample, vcov={"CRV1": "county"})
    t = regression_table(fit, indicators={"县固定效应": ["county"]}, labels={"county": "县"}, stats=["nobs", "r2", "n_clusters"])
    est, se = _cells(t, "x1")
    assert est[1].startswith(f"{fit.coef()['x1']:.3f}")
    assert se[1] == f"({fit.se()['x1']:.3f})"
    stats = {r[0]: r[1] for r in t.body}
    assert stats["县固定效应"] == "是"
    assert stats["观测值"] == str(len(sample))
    assert stats["聚类数"] == str(sample["county"].nunique())
    assert t.notes[0].startswith("括号内为聚类到县层面的标准误；")
    assert t.data.set_index("term").loc["x2", "p_value"] == pytest.approx(float(fit.pvalue()["x2"]), rel=0, abs=0)


def test_mixing_libraries_in_one_table(sample, models):
    import statsmodels.formula.api as smf

    res = smf.ols("y ~ x1", data=sample).fit()
    t = regression_table([res, models["m1"]], stats=["nobs"])
    assert [c.text for c in t.header[0]] == ["", "(1)", "(2)"]
    assert {r[0] for r in t.body} >= {"x1", "dev", "benefit_gap", "常数项", "观测值"}
    assert np.isfinite(t.data["estimate"]).all() and isinstance(t.data, pd.DataFrame)
