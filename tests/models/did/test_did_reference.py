"""DiD estimators against independent implementations and published numbers (tests/reference/did)."""

import json

import numpy as np
import pandas as pd
import pytest

from disparity.models.did import did, event_study

from .conftest import REF

# csdid/drdid fit the propensity score by statsmodels IRLS and we by Newton; both converge far below
# this, which is the agreement target for covariate-adjusted CS.
CS_COVARIATE_TOL = 1e-6
# Unconditional ATT(g,t) and every regression coefficient are closed-form.
CLOSED_FORM_TOL = 1e-8

pytestmark = pytest.mark.reference

CS_SPECS = ["unc_never", "unc_notyet", "unc_never_w", "dr_never", "dr_notyet", "ipw_never", "ipw_notyet",
            "reg_never", "reg_notyet", "dr_never_w", "unc_never_universal", "dr_notyet_universal"]


def _fit(sim: pd.DataFrame, name: str):
    kind, ctrl = name.split("_")[:2]
    return event_study(
        sim, "y", "id", "t", "g", control=ctrl,
        covariates=None if kind == "unc" else ["x1", "x2"],
        method="dr" if kind == "unc" else kind,
        weights="w" if name.endswith("_w") else None, se="analytic", reps=0,
        base_period="universal" if name.endswith("_universal") else "varying",
    )


@pytest.mark.parametrize("name", CS_SPECS)
def test_cs_att_gt_matches_csdid(sim, csref, name):
    ref = csref[name]
    got = _fit(sim, name).att_gt()
    exp = pd.DataFrame({"cohort": ref["group"], "time": ref["time"], "att_ref": ref["att"], "se_ref": ref["se"]})
    m = got.merge(exp, on=["cohort", "time"], how="outer", validate="1:1")
    assert len(m) == len(got) == len(exp) == (40 if name.endswith("_universal") else 35)
    tol = CLOSED_FORM_TOL if name.startswith(("unc", "reg")) else CS_COVARIATE_TOL
    np.testing.assert_allclose(m["att"], m["att_ref"], rtol=0, atol=tol)
    # the universal base's reference cell (t = g - 1) has no standard error on either side
    np.testing.assert_allclose(m["std_error"], m["se_ref"], rtol=0, atol=tol, equal_nan=True)


@pytest.mark.parametrize("name", ["unc_never", "unc_notyet", "dr_never", "ipw_notyet", "reg_never", "dr_never_w",
                                  "dr_notyet_universal"])
@pytest.mark.parametrize("kind", ["simple", "dynamic", "group", "calendar"])
def test_cs_aggregations_match_csdid(sim, csref, name, kind):
    ref = csref[name]["agg"][kind]
    agg = _fit(sim, name).aggregate(kind)
    assert agg.value == pytest.approx(ref["overall_att"], abs=CS_COVARIATE_TOL)
    assert agg.std_error == pytest.approx(ref["overall_se"], abs=CS_COVARIATE_TOL)
    if kind != "simple":
        t = agg.tidy()
        np.testing.assert_allclose(t.iloc[:, 0].to_numpy(float), ref["egt"])
        np.testing.assert_allclose(t["att"], ref["att_egt"], rtol=0, atol=CS_COVARIATE_TOL)
        np.testing.assert_allclose(t["std_error"], ref["se_egt"], rtol=0, atol=CS_COVARIATE_TOL)


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_unconditional_att_gt_is_difference_of_mean_changes(sim, control):
    """ATT(g,t) = mean(Y_t - Y_b | G=g) - mean(Y_t - Y_b | comparison), computed here with pandas."""
    res = event_study(sim, "y", "id", "t", "g", control=control, se="analytic", reps=0).att_gt()
    wide = sim.pivot(index="id", columns="t", values="y")
    g = sim.groupby("id")["g"].first()
    for row in res.itertuples():
        dy = wide[row.time] - wide[row.base]
        ctrl = (g == 0) if control == "never" else ((g == 0) | ((g > max(row.time, row.base)) & (g != row.cohort)))
        expected = dy[g == row.cohort].mean() - dy[ctrl].mean()
        assert row.att == pytest.approx(expected, abs=CLOSED_FORM_TOL)
        assert row.n_control == int(ctrl.sum())


@pytest.mark.parametrize("label,bins", [("twfe_full", None), ("twfe_binned", (-3, 3))])
def test_twfe_event_study_matches_pyfixest(sim, pfref, label, bins):
    res = event_study(sim, "y", "id", "t", "g", estimator="twfe", bins=bins).att_gt()
    names = [f"ev_m{-e}" if e < 0 else f"ev_p{e}" for e in res["event_time"]]
    assert set(names) == set(pfref[label]["coef"])
    np.testing.assert_allclose(res["att"], [pfref[label]["coef"][n] for n in names], rtol=0, atol=CLOSED_FORM_TOL)
    # dp.panel's default ssc="stata" counts the time effects (not nested in the unit clusters) and the
    # constant in K, as fixest/pyfixest's CRV1 does: the SEs agree without any adjustment.
    np.testing.assert_allclose(res["std_error"], [pfref[label]["se"][n] for n in names], rtol=CLOSED_FORM_TOL)


def test_sun_abraham_matches_pyfixest_saturated(sim, pfref):
    sa = event_study(sim, "y", "id", "t", "g", estimator="sa")
    res = sa.aggregate("dynamic").tidy()
    ref = pd.DataFrame(pfref["sunab"])
    m = res.merge(ref, on="event_time", how="outer", validate="1:1")
    assert len(m) == len(ref) == len(res)
    np.testing.assert_allclose(m["att"], m["coef"], rtol=0, atol=CLOSED_FORM_TOL)
    # ssc="stata" (dp.panel's default) counts the time effects in K as pyfixest does: no adjustment.
    np.testing.assert_allclose(m["std_error"], m["se"], rtol=CLOSED_FORM_TOL)


@pytest.fixture(scope="module")
def saref():
    return json.loads((REF / "sunab_reference.json").read_text())


def test_sun_abraham_cells_and_overall_att_match_pyfixest(sim, saref):
    """att_gt(): every cohort-by-event-time coefficient; aggregate("simple"): fixest's agg = "att"."""
    sa = event_study(sim, "y", "id", "t", "g", estimator="sa")
    cells = sa.att_gt()
    ref = pd.DataFrame(saref["cells"])
    assert len(cells) == len(ref) == saref["n_coef"]
    assert not cells[["cohort", "time"]].isna().any().any()
    m = cells.merge(ref, on=["cohort", "event_time"], validate="1:1")
    assert len(m) == len(ref)
    np.testing.assert_array_equal(m["time_x"], m["time_y"])
    np.testing.assert_allclose(m["att"], m["coef"], rtol=0, atol=CLOSED_FORM_TOL)
    np.testing.assert_allclose(m["n_obs_x"], m["n_obs_y"], rtol=0, atol=0)
    factor = 1.0  # ssc="stata" counts the time effects in K as pyfixest's CRV1 does
    np.testing.assert_allclose(m["std_error"] * factor, m["se"], rtol=CLOSED_FORM_TOL)
    # weights within each event time sum to one
    np.testing.assert_allclose(cells.groupby("event_time")["weight"].sum(), 1.0, rtol=1e-14)
    att = sa.aggregate("simple")
    assert att.value == pytest.approx(saref["att"]["estimate"], abs=CLOSED_FORM_TOL)
    assert att.std_error * factor == pytest.approx(saref["att"]["se"], rel=CLOSED_FORM_TOL)
    w = att.weights
    assert (w["event_time"] >= 0).all() and w["weight"].sum() == pytest.approx(1.0, rel=1e-14)
    for kind, key in (("group", "cohort"), ("calendar", "time")):
        agg = sa.aggregate(kind).tidy().set_index(key)
        for lab, r in saref[kind].items():
            assert agg.loc[int(lab), "att"] == pytest.approx(r["estimate"], abs=CLOSED_FORM_TOL)
            assert agg.loc[int(lab), "std_error"] * factor == pytest.approx(r["se"], rel=CLOSED_FORM_TOL)
    dyn = sa.aggregate("dynamic")
    post = dyn.tidy().query("event_time >= 0")["att"]
    assert dyn.value == pytest.approx(post.mean(), abs=1e-14)
    assert set(dyn.weights.columns) == {"event_time", "cohort", "time", "weight"}
    assert sa.pretrend_test().df == int((dyn.tidy()["event_time"] < 0).sum())


def test_kielmc_2x2_did_wooldridge_example_13_3():
    k = pd.read_csv(REF / "kielmc.csv")
    res = did(k, "rprice", treat="nearinc", post="y81", vcov="iid")
    # Wooldridge, Introductory Econometrics, Example 13.3: delta_1 = -11,863.90 (se 7,456.65)
    assert res.att == pytest.approx(-11863.903252, abs=1e-5)
    assert round(res.att, 2) == -11863.90
    assert res.std_error == pytest.approx(7456.646, abs=1e-3)
    assert res.nobs == 321
    robust = did(k, "rprice", treat="nearinc", post="y81")
    assert robust.att == res.att
    assert robust.model.spec.vcov == "HC1"


@pytest.mark.parametrize("name", ["unc_never", "dr_never", "reg_notyet"])
def test_pretrend_wald_matches_csdid(sim, csref, name):
    """Joint Wald pre-test of all pre-treatment ATT(g,t) (R did's W), from the influence functions."""
    t = _fit(sim, name).pretrend_test()
    assert t.statistic == pytest.approx(csref[name]["pretest_W"], rel=CS_COVARIATE_TOL)
    assert round(t.p_value, 5) == csref[name]["pretest_p"]  # R did and csdid round the p-value to 5 places
