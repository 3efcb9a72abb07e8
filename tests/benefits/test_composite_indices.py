"""Composite indices: published worked examples, R / pymcdm cross-checks and properties."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import disparity as dp
from disparity.errors import DataValueError, SpecificationError

# R's write.csv keeps 15 significant digits; both sides evaluate the same closed forms.
CLOSED_FORM_TOL = 1e-12
# Elsayed et al. (2017) weights are quoted to 6 decimals.
PUBLISHED_6DP_TOL = 5e-7
# The 2022 MPE table gives inputs and outputs to 3 decimals.
HALF_3DP = 5e-4

pytestmark = pytest.mark.reference


@pytest.fixture
def comp_dir(reference_dir):
    return reference_dir / "composite"


def test_entropy_weights_reproduce_elsayed_2017(comp_dir):
    X = pd.read_csv(comp_dir / "elsayed2017_entropy_input.csv", index_col="alternative")
    expected = pd.read_csv(comp_dir / "elsayed2017_entropy_weights.csv", index_col="indicator")["weight"]
    ew = dp.entropy_weights(X, list(X.columns), normalize="proportion")
    np.testing.assert_allclose(ew.weights.to_numpy(), expected.to_numpy(), atol=PUBLISHED_6DP_TOL)
    assert ew["c4"] == pytest.approx(expected["c4"], abs=PUBLISHED_6DP_TOL)
    assert list(ew.tidy().columns) == ["indicator", "entropy", "divergence", "weight"]


def test_coupling_reproduces_published_two_system_table(comp_dir):
    t = pd.read_csv(comp_dir / "mpe2022_coupling_table4.csv", index_col="year")
    ours = dp.coupling_coordination({"urban": t["Uu"], "rural": t["Ur"]})
    # published outputs were computed from unrounded inputs: the published value must lie within
    # the range our formula takes over the rounding box of the inputs (+/- half a unit in the 3rd decimal)
    lo = {c: np.full(len(t), np.inf) for c in "CTD"}
    hi = {c: np.full(len(t), -np.inf) for c in "CTD"}
    for du, dr in itertools.product((-HALF_3DP, 0, HALF_3DP), repeat=2):
        r = dp.coupling_coordination({"urban": t["Uu"] + du, "rural": t["Ur"] + dr})
        for c in "CTD":
            lo[c] = np.minimum(lo[c], r[c].to_numpy())
            hi[c] = np.maximum(hi[c], r[c].to_numpy())
    for c in "CTD":
        pub = t[c].to_numpy()
        assert np.all(pub >= lo[c] - HALF_3DP - 1e-12), c
        assert np.all(pub <= hi[c] + HALF_3DP + 1e-12), c
    np.testing.assert_allclose(ours["D"], t["D"], atol=2 * HALF_3DP)
    assert ours.loc[2015, "band"] == 7 and ours.loc[2015, "level"] == "primary_coordination"


def test_entropy_topsis_obstacle_match_independent_r_code(comp_dir):
    X = pd.read_csv(comp_dir / "r_reference_input.csv")
    cols = list(X.columns)
    direction = {"x3": "-"}
    ref = pd.read_csv(comp_dir / "r_reference_entropy.csv", index_col="indicator")
    ew = dp.entropy_weights(X, cols, direction=direction)
    np.testing.assert_allclose(ew.weights, ref["weight_minmax"], rtol=CLOSED_FORM_TOL)
    np.testing.assert_allclose(ew.entropy, ref["entropy"], rtol=CLOSED_FORM_TOL)
    shifted = dp.entropy_weights(X, cols, direction=direction, shift=0.01)
    np.testing.assert_allclose(shifted.weights, ref["weight_minmax_shift001"], rtol=CLOSED_FORM_TOL)
    prop_ref = pd.read_csv(comp_dir / "r_reference_entropy_proportion.csv", index_col="indicator")
    prop = dp.entropy_weights(X, list(prop_ref.index), normalize="proportion")
    np.testing.assert_allclose(prop.weights, prop_ref["weight_proportion"], rtol=CLOSED_FORM_TOL)

    tref = pd.read_csv(comp_dir / "r_reference_topsis_obstacle.csv")
    tp = dp.topsis(X, cols, direction=direction)  # default: entropy weights, vector normalisation
    np.testing.assert_allclose(tp.scores["d_best"], tref["d_best"], rtol=CLOSED_FORM_TOL)
    np.testing.assert_allclose(tp.closeness, tref["closeness"], rtol=CLOSED_FORM_TOL)
    ci = dp.composite_index(X, cols, method="entropy", direction=direction)
    np.testing.assert_allclose(ci.scores, tref["composite_entropy"], rtol=CLOSED_FORM_TOL)
    ob = dp.obstacle_degree(X, cols, direction=direction)
    np.testing.assert_allclose(ob.obstacle.to_numpy(), tref[[f"obstacle_{c}" for c in cols]].to_numpy(),
                               rtol=CLOSED_FORM_TOL, atol=1e-15)


def test_topsis_and_entropy_match_pymcdm(comp_dir):
    X = pd.read_csv(comp_dir / "r_reference_input.csv")
    cols = list(X.columns)
    ref = pd.read_csv(comp_dir / "pymcdm_reference.csv")
    for norm in ("vector", "minmax"):
        tp = dp.topsis(X, cols, weights="equal", direction={"x3": "-"}, normalize=norm)
        np.testing.assert_allclose(tp.closeness, ref[f"closeness_{norm}_equal"], rtol=1e-12)
    eref = pd.read_csv(comp_dir / "pymcdm_reference_entropy.csv", index_col="indicator")
    ew = dp.entropy_weights(X, list(eref.index), normalize="proportion")
    np.testing.assert_allclose(ew.weights, eref["weight_proportion"], rtol=1e-12)


def test_coupling_variants_match_independent_r_code(comp_dir):
    ref = pd.read_csv(comp_dir / "r_reference_coupling.csv")
    subs = {c: ref[c] for c in ("s1", "s2", "s3")}
    w = [0.4, 0.3, 0.3]
    std = dp.coupling_coordination(subs, weights=w)
    np.testing.assert_allclose(std["C"], ref["C_standard"], rtol=CLOSED_FORM_TOL)
    np.testing.assert_allclose(std["T"], ref["T_weighted"], rtol=CLOSED_FORM_TOL)
    np.testing.assert_allclose(std["D"], ref["D_standard_weighted"], rtol=CLOSED_FORM_TOL)
    k1 = dp.coupling_coordination(subs, k=1)
    np.testing.assert_allclose(k1["C"], ref["C_standard_k1"], rtol=CLOSED_FORM_TOL)
    wang = dp.coupling_coordination(pd.DataFrame(subs), weights=w, variant="wang2021")
    np.testing.assert_allclose(wang["C"], ref["C_wang2021"], rtol=CLOSED_FORM_TOL)
    np.testing.assert_allclose(wang["D"], ref["D_wang2021_weighted"], rtol=CLOSED_FORM_TOL)


# ------------------------------------------------------------------------------ hand-worked
def test_two_system_coupling_closed_form_and_bands():
    out = dp.coupling_coordination({"a": pd.Series([0.2, 0.5, 0.0, 0.0, 1.0]),
                                    "b": pd.Series([0.8, 0.5, 0.4, 0.0, 1.0])})
    # C = 2 sqrt(0.16) / 1.0 = 0.8; T = 0.5; D = sqrt(0.4)
    assert out.loc[0, "C"] == pytest.approx(0.8, abs=1e-15)
    assert out.loc[0, "D"] == pytest.approx(np.sqrt(0.4), abs=1e-15)
    assert out.loc[1, "C"] == pytest.approx(1.0) and out.loc[1, "band"] == 8
    assert out.loc[2, "C"] == 0 and out.loc[2, "D"] == 0 and out.loc[2, "level"] == "extreme_imbalance"
    assert np.isnan(out.loc[3, "C"]) and out.loc[3, "D"] == 0
    assert out.loc[4, "band"] == 10
    assert list(out.columns) == ["C", "T", "D", "band", "level"]
    assert dp.COORDINATION_BANDS.loc[9, "label_zh"] == "优质协调"


def test_integration_index_six_unifications():
    rows = [[0, 0, 0, 1, 0, 0], [1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]]
    panel = pd.DataFrame(rows, columns=list(dp.UNIFICATION_ITEMS))
    panel.insert(0, "year", [2015, 2017, 2015])
    panel.insert(0, "region_code", ["620000", "620000", "120000"])
    out = dp.integration_index(panel)
    assert out["n_unified"].tolist() == [1, 5, 6]
    np.testing.assert_allclose(out["index"], [1 / 6, 5 / 6, 1.0])
    assert out["complete"].tolist() == [False, False, True]
    w = dict.fromkeys(dp.UNIFICATION_ITEMS, 1.0) | {"unify_fund": 5.0}
    np.testing.assert_allclose(dp.integration_index(panel, weights=w)["index"], [0.1, 0.5, 1.0])
    bad = panel.assign(unify_fund=[0, 2, 1])
    with pytest.raises(DataValueError, match="0 or 1"):
        dp.integration_index(bad)


def test_pca_composite_orientation_and_variance_weights():
    rng = np.random.default_rng(1)
    f = rng.normal(size=200)
    df = pd.DataFrame({"a": f + 0.3 * rng.normal(size=200), "b": f + 0.3 * rng.normal(size=200),
                       "c": -f + 0.3 * rng.normal(size=200)})
    ci = dp.composite_index(df, ["a", "b", "c"], method="pca", direction={"c": "-"})
    assert ci.details["loadings"].shape == (3, 1)  # one eigenvalue above 1
    assert np.corrcoef(ci.scores, f)[0, 1] > 0.95
    Z = (df * [1, 1, -1] - (df * [1, 1, -1]).mean()) / (df * [1, 1, -1]).std()
    u = ci.details["loadings"]["PC1"].to_numpy()
    np.testing.assert_allclose(ci.scores, Z.to_numpy() @ u, rtol=1e-12)


def test_obstacle_degree_rows_sum_to_one_and_top():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [3.0, 1.0, 2.0]}, index=["A", "B", "C"])
    ob = dp.obstacle_degree(df, ["x", "y"], weights="equal")
    # A: deviations (1, 0) -> obstacle (1, 0); B: (0.5, 1) -> (1/3, 2/3); C: (0, 0.5) -> (0, 1)
    np.testing.assert_allclose(ob.obstacle.loc["B"], [1 / 3, 2 / 3])
    top = ob.top(1)
    assert top.set_index("unit").loc["B", "indicator"] == "y"
    grouped = dp.obstacle_degree(df, ["x", "y"], weights="equal", groups={"x": "g1", "y": "g1"}).by_group()
    np.testing.assert_allclose(grouped["g1"].dropna(), 1.0)


# ------------------------------------------------------------------------------ errors
def test_composite_errors_name_the_problem():
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [1.0, 2.0, 3.0]})
    with pytest.raises(DataValueError, match=r"'a' has missing.*\[1\]"):
        dp.entropy_weights(df, ["a", "b"])
    with pytest.raises(SpecificationError, match=r"\['zz'\] are not in the data"):
        dp.topsis(df, ["zz"])
    with pytest.raises(SpecificationError, match="use one of 'minmax', 'proportion'"):
        dp.entropy_weights(df.fillna(0), ["a", "b"], normalize="zscore")
    with pytest.raises(SpecificationError, match="cannot reverse"):
        dp.entropy_weights(df.fillna(0), ["a", "b"], normalize="proportion", direction={"a": "-"})
    with pytest.raises(DataValueError, match="No indicator varies"):
        dp.entropy_weights(pd.DataFrame({"a": [1, 1], "b": [2, 2]}), ["a", "b"])
    with pytest.raises(DataValueError, match=r"in \[0, 1\]"):
        dp.coupling_coordination({"a": pd.Series([0.5, 1.5]), "b": pd.Series([0.5, 0.5])})
    with pytest.raises(SpecificationError, match="'up'"):
        dp.topsis(df.fillna(0), ["a", "b"], direction={"a": "up"})


# ------------------------------------------------------------------------------ properties
matrices = arrays(np.float64, st.tuples(st.integers(3, 12), st.integers(2, 5)),
                  elements=st.floats(0, 1000, allow_nan=False, allow_subnormal=False))


def _frame(m):
    return pd.DataFrame(m, columns=[f"x{j}" for j in range(m.shape[1])])


@settings(max_examples=80, deadline=None)
@given(matrices)
def test_entropy_weights_sum_to_one_and_constant_gets_zero(m):
    df = _frame(m)
    df["const"] = 7.0
    cols = list(df.columns)
    assume((df[cols[:-1]].max() - df[cols[:-1]].min()).max() > 1e-6)
    for norm in ("minmax", "proportion"):
        ew = dp.entropy_weights(df, cols, normalize=norm)
        assert ew.weights.sum() == pytest.approx(1.0, abs=1e-12)
        assert (ew.weights >= 0).all()
        assert ew["const"] == 0.0


@settings(max_examples=80, deadline=None)
@given(matrices, st.data())
def test_topsis_ranks_invariant_to_rescaling_under_minmax(m, data):
    df = _frame(m)
    cols = list(df.columns)
    assume(((df.max() - df.min()) > 1e-3).all())
    scale = data.draw(st.lists(st.floats(0.01, 100), min_size=len(cols), max_size=len(cols)))
    offset = data.draw(st.lists(st.floats(-1000, 1000), min_size=len(cols), max_size=len(cols)))
    w = data.draw(st.lists(st.floats(0.05, 1), min_size=len(cols), max_size=len(cols)))
    rescaled = df * scale + offset
    a = dp.topsis(df, cols, weights=w, normalize="minmax")
    b = dp.topsis(rescaled, cols, weights=w, normalize="minmax")
    np.testing.assert_allclose(a.closeness, b.closeness, atol=1e-9)
    ea = dp.entropy_weights(df, cols)
    eb = dp.entropy_weights(rescaled, cols)
    np.testing.assert_allclose(ea.weights, eb.weights, atol=1e-9)


@settings(max_examples=80, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(2, 4)),
              elements=st.floats(0.01, 1, allow_nan=False)), st.sampled_from(["standard", "wang2021"]))
def test_coupling_in_unit_interval_and_one_when_equal(u, variant):
    df = pd.DataFrame(u)
    out = dp.coupling_coordination(df, variant=variant)
    assert ((out["C"] >= -1e-12) & (out["C"] <= 1 + 1e-12)).all()
    assert ((out["D"] >= 0) & (out["D"] <= 1 + 1e-12)).all()
    eq = dp.coupling_coordination(pd.DataFrame({i: u[:, 0] for i in range(u.shape[1])}), variant=variant)
    np.testing.assert_allclose(eq["C"], 1.0, atol=1e-12)


def test_coupling_rejects_misaligned_subsystems():
    a = pd.Series([0.2, 0.4], index=["Gansu", "Tianjin"])
    b = pd.Series([0.3, 0.5], index=["Gansu", "Ningxia"])
    with pytest.raises(SpecificationError, match="different indexes"):
        dp.coupling_coordination({"a": a, "b": b})
    same = dp.coupling_coordination({"a": a, "b": b.set_axis(["Tianjin", "Gansu"])})
    assert same.loc["Gansu", "C"] == pytest.approx(2 * np.sqrt(0.2 * 0.5) / 0.7)
