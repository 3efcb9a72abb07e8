"""The unexplained part of dp.oaxaca split into parts A and B, against R oaxaca and a delta-method route."""

import json
from pathlib import Path

import numpy as np
import pytest

import disparity as dp
from disparity.models.decomp import oaxaca
from tests._assert import assert_decomposition

from .test_oaxaca import CCARD, CHIFENG, CLOSED_FORM_TOL, R_JACOBIAN_TOL

REF = Path(__file__).resolve().parents[2] / "reference" / "decomp"
# R oaxaca group.weight -> our reference, with group A = OWNRENT 0 (R oaxaca's group A).
R_WEIGHTS = {0.0: "B", 1.0: "A", 0.5: "reimers", 0.625: "cotton", -1.0: "neumark", -2.0: "pooled"}


@pytest.fixture(scope="module")
def split_ref() -> dict:
    return json.loads((REF / "oaxaca_split_reference.json").read_text())


@pytest.mark.reference
@pytest.mark.parametrize("i", range(6))
def test_unexplained_split_matches_r_oaxaca(ccard, split_ref, i):
    ro = split_ref["r_oaxaca"]
    reference = R_WEIGHTS[ro["group_weight"][i]]
    r = oaxaca(CCARD, ccard, by="OWNRENT", group_a=0, reference=reference, se="none")
    t = r.twofold
    assert t.explained.value == pytest.approx(ro["explained"][i], rel=CLOSED_FORM_TOL)
    assert t.unexplained.value == pytest.approx(ro["unexplained"][i], rel=CLOSED_FORM_TOL)
    assert t.unexplained_a.value == pytest.approx(ro["unexplained_a"][i], rel=CLOSED_FORM_TOL, abs=1e-9)
    assert t.unexplained_b.value == pytest.approx(ro["unexplained_b"][i], rel=CLOSED_FORM_TOL, abs=1e-9)
    det = r.detail()
    v = ro["variables"][i]
    for comp in ("unexplained_a", "unexplained_b", "unexplained", "explained"):
        rows = det[det["component"] == comp]
        assert [("(Intercept)" if s == "Intercept" else s) for s in rows["term"]] == v["term"]
        np.testing.assert_allclose(rows["estimate"], v[comp], rtol=CLOSED_FORM_TOL, atol=1e-9)


def _check_split(r, block):
    parts = ("unexplained_a", "unexplained_b")
    got = {name: getattr(r.twofold, name) for name in parts}
    assert_decomposition(got, r.detail(), block, rtol=CLOSED_FORM_TOL, se_rtol=R_JACOBIAN_TOL, atol=1e-9,
                         se_atol=1e-8, detail_atol=1e-9, detail_se_atol=1e-8, parts=parts)


@pytest.mark.reference
@pytest.mark.parametrize("reference", ["A", "B", "pooled", "neumark", "cotton", "reimers"])
def test_split_standard_errors_against_delta_method(ccard, split_ref, reference):
    r = oaxaca(CCARD, ccard, by="OWNRENT", reference=reference)
    _check_split(r, split_ref["delta"][f"ccard_{reference}"])


@pytest.mark.reference
def test_split_with_survey_design(chifeng_income, split_ref):
    design = dp.SurveyDesign(weights="weight", strata="strata", psu="psu")
    r = oaxaca(CHIFENG, chifeng_income, by="urban", vcov="survey", design=design)
    _check_split(r, split_ref["delta"]["chifeng_pooled_survey"])


@pytest.mark.parametrize("model", ["linear", "logit", "probit"])
def test_parts_add_up_and_appear_in_tidy(chifeng_income, model):
    df = chifeng_income.assign(hi=(chifeng_income.lninc > chifeng_income.lninc.median()).astype(float))
    f = CHIFENG if model == "linear" else CHIFENG.replace("lninc", "hi")
    r = oaxaca(f, df, by="urban", model=model, weights="weight", reference="reimers")
    t = r.twofold
    assert t.unexplained_a.value + t.unexplained_b.value == pytest.approx(t.unexplained.value, abs=1e-12)
    det = r.detail()
    for comp in ("unexplained_a", "unexplained_b"):
        assert det.loc[det.component == comp, "estimate"].sum() == pytest.approx(getattr(t, comp).value, abs=1e-12)
        assert getattr(t, comp).std_error > 0
    assert {"unexplained_a", "unexplained_b"} <= set(r.tidy()["term"])
    # pooled with the group dummy (Jann 2008): the reference intercept is the group coded 0's, whose
    # part of the unexplained gap is then zero in the linear model (its residuals have mean zero)
    if model == "linear":
        rp = oaxaca(f, df, by="urban", weights="weight")
        coded0 = "unexplained_b" if rp.groups[0] == 1 else "unexplained_a"
        assert abs(getattr(rp.twofold, coded0).value) < 1e-10
    # reference = B: B's coefficients are the reference, so its part is zero (and has no variance)
    rb = oaxaca(f, df, by="urban", model=model, weights="weight", reference="B")
    assert rb.twofold.unexplained_b.value == 0 and rb.twofold.unexplained_b.std_error == 0
    assert rb.twofold.unexplained_a.value == pytest.approx(rb.twofold.unexplained.value, abs=1e-12)


def test_logit_split_is_the_counterfactual_mean_difference(chifeng_income):
    """Unexplained A = mean F(x_A b_A) - mean F(x_A b*) over group A (weighted)."""
    df = chifeng_income.assign(hi=(chifeng_income.lninc > chifeng_income.lninc.median()).astype(float))
    r = oaxaca(CHIFENG.replace("lninc", "hi"), df, by="urban", model="logit", weights="weight", se="none")
    Xa = r.models["A"].extra["X"]
    wa = r.models["A"].extra["weights"]
    ba = r.models["A"].params.to_numpy()
    bs = r.models["pooled"].params.to_numpy()[: len(ba)]
    F = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    ua = np.average(F(Xa @ ba), weights=wa) - np.average(F(Xa @ bs), weights=wa)
    assert r.twofold.unexplained_a.value == pytest.approx(ua, abs=1e-10)
