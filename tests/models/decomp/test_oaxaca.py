"""dp.oaxaca: published Stata output, R first-principles references, statsmodels parity, properties, bad input."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disparity.errors import DataValueError, DisparityError, SpecificationError
from disparity.models.decomp import oaxaca
from tests._assert import assert_decomposition

# Closed-form least squares computed two ways agrees to rounding.
CLOSED_FORM_TOL = 1e-8
# Stata's oaxaca output as printed (7 significant digits) in statsmodels' test suite.
STATA_PRINT_TOL = 5e-4
# The R reference takes the Jacobian by central differences: exact for bilinear functions
# but with rounding error of order eps / h (h = 1e-6 relative), i.e. about 1e-10.
R_JACOBIAN_TOL = 1e-7
# Parity with statsmodels' OaxacaBlinder (same closed form).
STATSMODELS_TOL = 1e-10

CCARD = "AVGEXP ~ AGE + INCOME + INCOMESQ"
CHIFENG = "lninc ~ age + edu_years + female + C(county)"

# Stata 'oaxaca AVGEXP AGE INCOME INCOMESQ, by(OWNRENT) swap' on Greene's credit-card data, as
# published in statsmodels/stats/tests/test_oaxaca.py (statsmodels 0.15); stored with provenance
# in tests/reference/decomp/README.md.
STATA_THREEFOLD = {"gap": 158.7504, "endowments": 321.7482, "coefficients": 75.45371, "interaction": -238.4515}
STATA_TWOFOLD = {
    "pooled": (130.8095, 27.94091),
    "neumark": (139.22577, 19.52467),
    "A": (83.29673, 75.45370),
    "B": (321.7482, -162.9978),
}


@pytest.mark.reference
def test_stata_threefold_ccard(ccard):
    r = oaxaca(CCARD, ccard, by="OWNRENT", se="none")
    assert r.groups == (1, 0)
    assert r.gap.value == pytest.approx(STATA_THREEFOLD["gap"], rel=STATA_PRINT_TOL)
    for part in ("endowments", "coefficients", "interaction"):
        assert getattr(r.threefold, part).value == pytest.approx(STATA_THREEFOLD[part], rel=STATA_PRINT_TOL)


@pytest.mark.reference
@pytest.mark.parametrize("reference", ["pooled", "neumark", "A", "B"])
def test_stata_twofold_ccard(ccard, reference):
    r = oaxaca(CCARD, ccard, by="OWNRENT", reference=reference, se="none")
    exp, unexp = STATA_TWOFOLD[reference]
    assert r.twofold.explained.value == pytest.approx(exp, rel=STATA_PRINT_TOL)
    assert r.twofold.unexplained.value == pytest.approx(unexp, rel=STATA_PRINT_TOL)


@pytest.mark.reference
def test_stata_reverse_groups(ccard):
    # Stata without 'swap' (group 1 = OWNRENT 0): gap -158.7504, E -83.29674, C 162.9978, I -238.4515
    r = oaxaca(CCARD, ccard, by="OWNRENT", group_a=0, se="none")
    assert r.gap.value == pytest.approx(-158.7504, rel=STATA_PRINT_TOL)
    assert r.threefold.endowments.value == pytest.approx(-83.29674, rel=STATA_PRINT_TOL)
    assert r.threefold.coefficients.value == pytest.approx(162.9978, rel=STATA_PRINT_TOL)
    assert r.threefold.interaction.value == pytest.approx(-238.4515, rel=STATA_PRINT_TOL)


def _check_against_r(r, block):
    got = {"gap": r.gap, **{p: getattr(r.threefold, p) for p in ("endowments", "coefficients", "interaction")},
           "explained": r.twofold.explained, "unexplained": r.twofold.unexplained}
    assert_decomposition(got, r.detail(), block, rtol=CLOSED_FORM_TOL, se_rtol=R_JACOBIAN_TOL, atol=1e-9,
                         se_atol=1e-9, detail_atol=1e-9, detail_se_atol=1e-9)


@pytest.mark.reference
@pytest.mark.parametrize("reference", ["A", "B", "pooled", "neumark", "cotton", "reimers"])
def test_r_reference_ccard(ccard, oaxaca_ref, reference):
    r = oaxaca(CCARD, ccard, by="OWNRENT", reference=reference)
    _check_against_r(r, oaxaca_ref[f"ccard_{reference}"])


@pytest.mark.reference
def test_r_reference_weighted_normalised(chifeng_income, oaxaca_ref):
    r = oaxaca(CHIFENG, chifeng_income, by="urban", weights="weight")
    assert r.spec.normalized == ("C(county)",)
    _check_against_r(r, oaxaca_ref["chifeng_pooled_weighted"])


@pytest.mark.reference
def test_r_reference_survey(chifeng_income, oaxaca_ref):
    import disparity as dp

    design = dp.SurveyDesign(weights="weight", strata="strata", psu="psu")
    r = oaxaca(CHIFENG, chifeng_income, by="urban", vcov="survey", design=design)
    _check_against_r(r, oaxaca_ref["chifeng_pooled_survey"])


@pytest.mark.reference
def test_r_reference_neumark_unweighted(chifeng_income, oaxaca_ref):
    r = oaxaca(CHIFENG, chifeng_income, by="urban", reference="neumark")
    _check_against_r(r, oaxaca_ref["chifeng_neumark_unweighted"])


def test_statsmodels_parity(ccard):
    from statsmodels.stats.oaxaca import OaxacaBlinder
    from statsmodels.tools.tools import add_constant

    exog = add_constant(ccard[["AGE", "INCOME", "INCOMESQ", "OWNRENT"]], prepend=False)
    sm = OaxacaBlinder(ccard["AVGEXP"], exog, "OWNRENT", hasconst=True)
    endow, coef, inter, gap = sm.three_fold().params
    r = oaxaca(CCARD, ccard, by="OWNRENT", se="none")
    np.testing.assert_allclose(
        [r.threefold.endowments.value, r.threefold.coefficients.value, r.threefold.interaction.value, r.gap.value],
        [endow, coef, inter, gap], rtol=STATSMODELS_TOL,
    )
    for kind, ref in (("pooled", "pooled"), ("nuemark", "neumark")):  # statsmodels' spelling
        unexp, exp, _ = sm.two_fold(two_fold_type=kind).params
        r2 = oaxaca(CCARD, ccard, by="OWNRENT", reference=ref, se="none")
        np.testing.assert_allclose([r2.twofold.explained.value, r2.twofold.unexplained.value], [exp, unexp],
                                   rtol=STATSMODELS_TOL)
    # statsmodels computes the Cotton shares before swapping the groups (so with swap=True the
    # larger share goes to the wrong group); compare without the swap, group A = OWNRENT 0.
    sm0 = OaxacaBlinder(ccard["AVGEXP"], exog, "OWNRENT", hasconst=True, swap=False)
    unexp, exp, _ = sm0.two_fold(two_fold_type="cotton").params
    r3 = oaxaca(CCARD, ccard, by="OWNRENT", group_a=0, reference="cotton", se="none")
    np.testing.assert_allclose([r3.twofold.explained.value, r3.twofold.unexplained.value], [exp, unexp],
                               rtol=STATSMODELS_TOL)


def test_normalisation_invariant_to_base_category(chifeng_income):
    df = chifeng_income.copy()
    r1 = oaxaca(CHIFENG, df, by="urban", se="none").detail(by_term=True)
    df2 = df.assign(county="c" + df["county"].where(df["county"] != "150430", "000"))  # new base
    r2 = oaxaca(CHIFENG, df2, by="urban", se="none").detail(by_term=True)
    np.testing.assert_allclose(r1["estimate"], r2["estimate"], rtol=CLOSED_FORM_TOL, atol=1e-12)
    # without normalisation the intercept's unexplained share depends on the base
    n1 = oaxaca(CHIFENG, df, by="urban", se="none", normalize=False).detail()
    n2 = oaxaca(CHIFENG, df2, by="urban", se="none", normalize=False).detail()
    i1 = n1.query("component == 'coefficients' and term == 'Intercept'")["estimate"].item()
    i2 = n2.query("component == 'coefficients' and term == 'Intercept'")["estimate"].item()
    assert abs(i1 - i2) > 1e-3


def test_parts_add_up_and_detail_sums(chifeng_income):
    r = oaxaca(CHIFENG, chifeng_income, by="urban", weights="weight")
    tf, tw = r.threefold, r.twofold
    assert tf.endowments.value + tf.coefficients.value + tf.interaction.value == pytest.approx(r.gap.value, rel=1e-12)
    assert tw.explained.value + tw.unexplained.value == pytest.approx(r.gap.value, rel=1e-12)
    w, y, u = chifeng_income["weight"], chifeng_income["lninc"], chifeng_income["urban"] == 1
    assert r.gap.value == pytest.approx(np.average(y[u], weights=w[u]) - np.average(y[~u], weights=w[~u]), rel=1e-10)
    det = r.detail()
    assert det.groupby("component")["estimate"].sum()["explained"] == pytest.approx(tw.explained.value, rel=1e-12)
    tidy = r.tidy()
    assert list(tidy.columns) == ["part", "term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    assert float(r) == r.gap.value


@pytest.mark.slow
def test_bootstrap_agrees_with_delta(ccard):
    d = oaxaca(CCARD, ccard, by="OWNRENT")
    b = oaxaca(CCARD, ccard, by="OWNRENT", se="bootstrap", reps=1000, seed=7)
    # 1000 draws: the bootstrap SE has ~2.2% Monte Carlo error; heavy tails in 72 rows add more.
    assert b.twofold.explained.std_error == pytest.approx(d.twofold.explained.std_error, rel=0.25)
    assert b.gap.std_error == pytest.approx(d.gap.std_error, rel=0.15)
    b2 = oaxaca(CCARD, ccard, by="OWNRENT", se="bootstrap", reps=1000, seed=7)
    assert b2.gap.std_error == b.gap.std_error  # seeded: reproducible


def test_bootstrap_seed_and_cluster(chifeng_income):
    r1 = oaxaca(CHIFENG, chifeng_income, by="urban", se="bootstrap", reps=15, seed=3, cluster="psu")
    r2 = oaxaca(CHIFENG, chifeng_income, by="urban", se="bootstrap", reps=15, seed=3, cluster="psu")
    assert r1.gap.std_error == r2.gap.std_error > 0
    assert "clusters resampled" in r1.spec.notes[-1]


def test_cluster_delta_larger_than_hc0_for_clustered_data(chifeng_income):
    hc = oaxaca(CHIFENG, chifeng_income, by="urban")
    cl = oaxaca(CHIFENG, chifeng_income, by="urban", vcov="cluster", cluster="psu")
    assert cl.gap.value == hc.gap.value
    assert cl.gap.std_error != hc.gap.std_error


@settings(max_examples=8, deadline=None)
@given(shift=st.floats(-5, 5), scale=st.floats(0.1, 10))
def test_affine_outcome_property(shift, scale):
    rng = np.random.default_rng(0)
    n = 200
    df = pd.DataFrame({"g": rng.integers(0, 2, n), "x": rng.normal(size=n), "z": rng.normal(size=n)})
    df["y"] = 1 + df.x + 0.5 * df.g * df.z + rng.normal(size=n)
    base = oaxaca("y ~ x + z", df, by="g", se="none")
    moved = oaxaca("y ~ x + z", df.assign(y=shift + scale * df.y), by="g", se="none")
    # a shift cancels in the gap; scaling scales every part
    assert moved.gap.value == pytest.approx(scale * base.gap.value, rel=1e-8, abs=1e-9)
    assert moved.twofold.explained.value == pytest.approx(scale * base.twofold.explained.value, rel=1e-8, abs=1e-9)


def test_fweights_equal_replicated_rows(ccard):
    df = ccard.assign(f=np.arange(len(ccard)) % 3 + 1)
    rep = df.loc[df.index.repeat(df.f)]
    r1 = oaxaca(CCARD, df, by="OWNRENT", weights="f", weight_type="fweight")
    r2 = oaxaca(CCARD, rep, by="OWNRENT")
    assert r1.twofold.explained.value == pytest.approx(r2.twofold.explained.value, rel=CLOSED_FORM_TOL)
    assert r1.twofold.explained.std_error == pytest.approx(r2.twofold.explained.std_error, rel=CLOSED_FORM_TOL)


def test_user_weight_reference(ccard):
    r = oaxaca(CCARD, ccard, by="OWNRENT", reference=0.5, se="none")
    s = oaxaca(CCARD, ccard, by="OWNRENT", reference="reimers", se="none")
    assert r.twofold.explained.value == s.twofold.explained.value
    assert r.twofold.reference == "weight 0.5"


# ---- bad input -------------------------------------------------------------------------------


def test_too_few_observations_in_a_group(ccard):
    df = pd.concat([ccard[ccard.OWNRENT == 0], ccard[ccard.OWNRENT == 1].head(3)])
    with pytest.raises(DataValueError, match=r"Group 1(\.0)? of 'OWNRENT' has 3 complete observations"):
        oaxaca(CCARD, df, by="OWNRENT")


def test_covariate_constant_within_group(chifeng_income):
    df = chifeng_income.assign(insured=np.where(chifeng_income.urban == 1, 1, chifeng_income.age % 2))
    with pytest.raises(DataValueError, match=r"\['insured'\] do not vary"):
        oaxaca("lninc ~ age + insured", df, by="urban")


def test_group_column_problems(ccard):
    with pytest.raises(DataValueError, match="exactly two values"):
        oaxaca(CCARD, ccard.assign(g=np.arange(len(ccard)) % 3), by="g")
    with pytest.raises(SpecificationError, match="must name a column"):
        oaxaca(CCARD, ccard, by="nope")
    with pytest.raises(SpecificationError, match="appears in the formula"):
        oaxaca(CCARD + " + OWNRENT", ccard, by="OWNRENT")
    with pytest.raises(SpecificationError, match="group_a=5"):
        oaxaca(CCARD, ccard, by="OWNRENT", group_a=5)
    with pytest.raises(SpecificationError, match="no intercept"):
        oaxaca("AVGEXP ~ 0 + AGE", ccard, by="OWNRENT")


def test_options_checked(ccard):
    with pytest.raises(SpecificationError, match="reference='jann'.*'pooled'"):
        oaxaca(CCARD, ccard, by="OWNRENT", reference="jann")
    with pytest.raises(SpecificationError, match="needs cluster="):
        oaxaca(CCARD, ccard, by="OWNRENT", vcov="cluster")
    with pytest.raises(SpecificationError, match="needs design="):
        oaxaca(CCARD, ccard, by="OWNRENT", vcov="survey")
    with pytest.raises(DisparityError, match="not categorical terms"):
        oaxaca(CCARD, ccard, by="OWNRENT", normalize=["AGE"])


def test_display_contract(ccard):
    r = oaxaca(CCARD, ccard, by="OWNRENT")
    assert "<table>" in r._repr_html_()
    s = r.summary()
    assert "overall" in s.tables and "detail" in s.tables
    assert "gap" in str(s)
    lo, hi = r.twofold.explained.conf_int(0.9)
    assert lo < r.twofold.explained.value < hi
    assert set(r.models) == {"A", "B", "pooled"}


# ---- nonlinear (logit/probit) variant ----------------------------------------------------------

# R's glm() (run with epsilon = 1e-14) and our Fisher scoring stop at slightly different
# iterates, and the R reference differentiates mean predictions numerically (h = 1e-6).
GLM_CONVERGENCE_TOL = 1e-7
LOGIT = "hi ~ age + edu_years + female + C(county)"


@pytest.fixture(scope="module")
def binary_income(chifeng_income) -> pd.DataFrame:
    return chifeng_income.assign(hi=(chifeng_income.lninc > chifeng_income.lninc.median()).astype(float))


@pytest.mark.reference
def test_logit_against_r(binary_income, oaxaca_ref):
    r = oaxaca(LOGIT, binary_income, by="urban", model="logit", weights="weight")
    assert r.threefold is None
    got = {"explained": r.twofold.explained, "unexplained": r.twofold.unexplained, "gap": r.gap,
           "mean_a": r.mean_a, "mean_b": r.mean_b}
    assert_decomposition(got, r.detail(), oaxaca_ref["chifeng_logit_pooled"], rtol=GLM_CONVERGENCE_TOL,
                         se_rtol=GLM_CONVERGENCE_TOL, detail_atol=1e-9, detail_se_atol=1e-9)


def test_logit_means_are_observed_shares(binary_income):
    # the logit score equations with an intercept reproduce the weighted outcome share in each group
    r = oaxaca(LOGIT, binary_income, by="urban", model="logit", weights="weight", se="none")
    u = binary_income.urban == 1
    w, y = binary_income.weight, binary_income.hi
    assert r.mean_a.value == pytest.approx(np.average(y[u], weights=w[u]), rel=1e-9)
    assert r.mean_b.value == pytest.approx(np.average(y[~u], weights=w[~u]), rel=1e-9)
    assert r.twofold.explained.value + r.twofold.unexplained.value == pytest.approx(r.gap.value, rel=1e-12)
    det = r.detail()
    assert det.query("component == 'explained'")["estimate"].sum() == pytest.approx(r.twofold.explained.value, rel=1e-10)
    assert set(r.tidy()["part"]) == {"overall", "twofold"}


def test_probit_delta_close_to_bootstrap(binary_income):
    d = oaxaca(LOGIT, binary_income, by="urban", model="probit", reference="B")
    b = oaxaca(LOGIT, binary_income, by="urban", model="probit", reference="B", se="bootstrap", reps=100, seed=4)
    assert b.twofold.explained.value == d.twofold.explained.value
    # 100 draws: Monte Carlo error of a bootstrap SE is about 7%; allow 25%
    assert b.twofold.explained.std_error == pytest.approx(d.twofold.explained.std_error, rel=0.25)


def test_binary_model_needs_binary_outcome(chifeng_income):
    with pytest.raises(DataValueError, match="needs a binary outcome coded 0/1, but 'lninc'"):
        oaxaca(CHIFENG, chifeng_income, by="urban", model="logit")


def test_bundled_survey_end_to_end():
    import disparity as dp

    s = dp.datasets.chifeng_survey()
    design = dp.SurveyDesign(weights="weight", strata="strata", psu="psu")
    r = oaxaca("log(income) ~ age + edu_years + C(county)", s, by="urban", vcov="survey", design=design)
    assert r.groups == ("城镇", "农村")  # urban minus rural, from the category order 农村, 城镇
    assert r.nobs["A"] + r.nobs["B"] + r.spec.n_dropped == len(s)
    # DGP (data/README.md): ln income has +0.35 for urban and +0.04 per year of schooling, and
    # urban residents have about 3 more years of schooling, so both parts are clearly positive.
    assert r.twofold.unexplained.value == pytest.approx(0.35, abs=0.1)
    assert r.twofold.explained.value > 0 and r.twofold.explained.conf_int()[0] > 0
    assert r.glance()["model"].item() == "linear"
    # the insurance scheme is constant within the urban group (no NRCMS members): a clear error
    with pytest.raises(DataValueError, match=r"In group '城镇' of 'urban' the covariate\(s\) .*NRCMS"):
        oaxaca("log(income) ~ age + C(scheme)", s, by="urban")


def test_rows_without_group_are_counted(ccard):
    df = ccard.assign(OWNRENT=ccard.OWNRENT.where(ccard.index % 10 != 0))
    r = oaxaca(CCARD, df, by="OWNRENT", se="none")
    assert r.spec.n_dropped == int(df.OWNRENT.isna().sum()) == 8
    assert r.nobs["A"] + r.nobs["B"] == len(ccard) - 8
