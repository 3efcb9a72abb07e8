"""dp.fairlie against its definition computed in R with the same random draws (tests/reference/decomp)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity.errors import DataValueError, SpecificationError

REF = Path(__file__).resolve().parents[2] / "reference" / "decomp"
F = "hi ~ age + edu_years + female + C(county)"
# Closed form given the coefficients; R's glm (epsilon 1e-14) and statsmodels' IRLS (1e-13) agree
# to ~1e-9 in the coefficients, and a contribution (a difference of mean probabilities) can lose
# two digits of that.
FAIRLIE_TOL = 1e-6


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    ch = pd.read_csv(REF / "chifeng_income.csv", dtype={"county": str})
    return ch.assign(hi=(ch["lninc"] > ch["lninc"].median()).astype(int))


@pytest.fixture(scope="module")
def draws() -> dict:
    return json.loads((REF / "fairlie_draws.json").read_text())


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "fairlie_reference.json").read_text())


@pytest.mark.reference
@pytest.mark.parametrize("case", ["logit_pooled_random", "probit_B_fixed", "logit_neumark_random_cluster"])
def test_fairlie_against_r(sample, draws, ref, case):
    r = dp.fairlie(F, sample, by="urban", **draws[case]["options"])
    # the random draws are the stored ones (the R computation used them)
    np.testing.assert_array_equal(r.raw["subsample"], np.array(draws[case]["subsample"]))
    np.testing.assert_array_equal(r.raw["orders"], np.array(draws[case]["orders"]))
    rr = ref[case]
    assert r.table["term"].tolist() == ["age", "edu_years", "female", "C(county)"]
    np.testing.assert_allclose(r.table["estimate"], rr["estimate"], rtol=FAIRLIE_TOL, atol=1e-12)
    np.testing.assert_allclose(r.table["std_error"], rr["std_error"], rtol=FAIRLIE_TOL)
    assert r.explained.value == pytest.approx(rr["explained"], rel=FAIRLIE_TOL)
    assert r.explained.std_error == pytest.approx(rr["se_explained"], rel=FAIRLIE_TOL)
    assert r.gap.value == pytest.approx(rr["gap"], rel=1e-14)


def test_contributions_add_up_with_equal_groups_and_order_matters():
    """Equal group sizes: no subsampling, the contributions add up to the explained part exactly;
    with a fixed order the result does not depend on the seed, with random orders it does."""
    rng = np.random.default_rng(5)
    n = 600
    g = np.repeat([0, 1], n // 2)
    x1 = rng.normal(size=n) + 0.8 * g
    x2 = rng.normal(size=n) + 0.5 * g + 0.5 * x1
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-0.5 + x1 + x2 + 0.9 * x1 * x2)))).astype(int)
    df = pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": g})
    a = dp.fairlie("y ~ x1 + x2", df, by="g", order="fixed", reps=3, seed=1)
    b = dp.fairlie("y ~ x1 + x2", df, by="g", order="fixed", reps=3, seed=2)
    assert a.table["estimate"].sum() == pytest.approx(a.explained.value, abs=1e-14)
    np.testing.assert_allclose(a.table["estimate"], b.table["estimate"], rtol=0, atol=1e-15)
    c = dp.fairlie("y ~ x1 + x2", df, by="g", order="random", reps=40, seed=1)
    assert c.table["estimate"].sum() == pytest.approx(c.explained.value, abs=1e-14)
    assert not np.allclose(c.table["estimate"], a.table["estimate"], rtol=1e-6)
    assert set(c.raw["orders"][:, 0]) == {0, 1}


def test_fairlie_close_to_yun_detail_for_small_differences(sample):
    """Different approximations of the same split: Fairlie's sequential switching and Yun's
    first-order weights (dp.oaxaca(model='logit')) agree to a few percent of the explained part."""
    fr = dp.fairlie(F, sample, by="urban", reps=30, seed=11)
    ox = dp.oaxaca(F, sample, by="urban", model="logit", normalize=False, se="none")
    assert fr.explained.value == pytest.approx(ox.twofold.explained.value, rel=1e-9)
    det = ox.detail()
    det = det[det.component == "explained"]
    yun = {"edu_years": float(det.loc[det.term == "edu_years", "estimate"].iloc[0]),
           "C(county)": float(det.loc[det.term.str.startswith("C(county)"), "estimate"].sum())}
    for term, value in yun.items():
        ours = float(fr.table.set_index("term").loc[term, "estimate"])
        assert ours == pytest.approx(value, abs=0.05 * fr.explained.value)


def test_fairlie_errors(sample):
    with pytest.raises(DataValueError, match="binary outcome"):
        dp.fairlie("lninc ~ age", sample, by="urban")
    with pytest.raises(SpecificationError, match="reference='cotton'"):
        dp.fairlie(F, sample, by="urban", reference="cotton")
    with pytest.raises(SpecificationError, match="reps="):
        dp.fairlie(F, sample, by="urban", reps=0)
    with pytest.raises(SpecificationError, match="by='nope'"):
        dp.fairlie(F, sample, by="nope")
    with pytest.raises(DataValueError, match="exactly two values"):
        dp.fairlie(F, sample, by="age")
    with pytest.raises(SpecificationError, match="cluster="):
        dp.fairlie(F, sample, by="urban", vcov="cluster")
