"""Exact cases, published values and the conindex identities."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import disparity as dp

# Closed-form values computed in double precision; only rounding separates the two sides.
CLOSED_FORM_TOL = 1e-8
# pysal's own tests state these values to the digits shown; compare at that precision.
PUBLISHED_5DP = 1e-5

MEXICO = Path(__file__).resolve().parents[1] / "reference" / "measures" / "mexico.csv"


def test_theil_of_two_income_classes_is_ln2():
    df = pd.DataFrame({"y": [0, 0, 0, 10, 10, 10], "g": [0, 0, 0, 1, 1, 1]})
    assert dp.theil(df, "y").value == pytest.approx(math.log(2), abs=CLOSED_FORM_TOL)
    r = dp.theil(df, "y", "g")
    assert r.value == pytest.approx(math.log(2), abs=CLOSED_FORM_TOL)
    assert r.between.value == pytest.approx(math.log(2), abs=CLOSED_FORM_TOL)
    assert r.within.value == pytest.approx(0.0, abs=CLOSED_FORM_TOL)


@pytest.mark.parametrize("n", [2, 3, 10, 101])
def test_gini_of_one_rich_person(n):
    df = pd.DataFrame({"y": [0.0] * (n - 1) + [1.0]})
    assert dp.gini(df, "y").value == pytest.approx((n - 1) / n, abs=CLOSED_FORM_TOL)
    assert dp.gini(df, "y", correction=True).value == pytest.approx(1.0, abs=CLOSED_FORM_TOL)


def test_equal_incomes_give_zero_for_every_index():
    df = pd.DataFrame({"y": [7.5] * 9, "x": np.arange(9.0), "w": np.arange(1.0, 10.0)})
    values = [
        dp.gini(df, "y", weights="w").value,
        dp.theil(df, "y", weights="w").value,
        dp.mld(df, "y", weights="w").value,
        dp.ge(df, "y", alpha=2, weights="w").value,
        dp.ge(df, "y", alpha=0.5, weights="w").value,
        dp.ge(df, "y", alpha=-1, weights="w").value,
        dp.cv(df, "y", weights="w", se="none").value,
        dp.atkinson(df, "y", epsilon=0.5, weights="w").value,
        dp.atkinson(df, "y", epsilon=1, weights="w").value,
        dp.atkinson(df, "y", epsilon=2, weights="w").value,
        dp.concentration_index(df, "y", "x", weights="w").value,
    ]
    assert values == pytest.approx([0.0] * len(values), abs=1e-12)


def test_gini_equals_mean_absolute_difference_form():
    rng = np.random.default_rng(5)
    y, w = rng.lognormal(size=50), rng.uniform(0.5, 2, 50)
    expected = (np.outer(w, w) * np.abs(y[:, None] - y[None, :])).sum() / (2 * w.sum() * (w @ y))
    df = pd.DataFrame({"y": y, "w": w})
    assert dp.gini(df, "y", weights="w").value == pytest.approx(expected, rel=CLOSED_FORM_TOL)


@pytest.fixture(scope="module")
def mexico() -> pd.DataFrame:
    return pd.read_csv(MEXICO)


def test_pysal_published_gini(mexico):
    # inequality/tests/test_gini.py: Gini(pcgdp1940) = 0.35372371173452849
    assert dp.gini(mexico, "pcgdp1940").value == pytest.approx(0.35372371173452849,
                                                               rel=CLOSED_FORM_TOL)


def test_pysal_published_theil_and_decomposition(mexico):
    # inequality/tests/test_theil.py: Theil T by decade and between-region part (hanson98)
    theil_t = [0.20894344, 0.15222451, 0.10472941, 0.10194725, 0.09560113, 0.10511256, 0.10660832]
    between = [0.0345889, 0.02816853, 0.05260921, 0.05931219, 0.03205257, 0.02963731, 0.03635872]
    for year, t, b in zip(range(1940, 2010, 10), theil_t, between, strict=True):
        r = dp.theil(mexico, f"pcgdp{year}", "hanson98")
        assert r.value == pytest.approx(t, abs=PUBLISHED_5DP * 1e-3)
        assert r.between.value == pytest.approx(b, abs=PUBLISHED_5DP * 1e-2)
        assert r.within.value + r.between.value == pytest.approx(r.value, abs=1e-12)


def test_pysal_published_atkinson():
    # inequality/tests/test_atkinson.py: incomes 10..50
    df = pd.DataFrame({"y": [10.0, 20, 30, 40, 50]})
    r = dp.atkinson(df, "y", epsilon=0.5)
    assert r.value == pytest.approx(0.06315, abs=PUBLISHED_5DP)
    assert r.ede.value == pytest.approx(28.105398233, abs=1e-8)
    assert dp.atkinson(df, "y", epsilon=1).value == pytest.approx(0.1316096, abs=1e-7)
    assert dp.atkinson(df, "y", epsilon=0).value == pytest.approx(0.0, abs=1e-15)


def test_against_installed_pysal_on_random_data():
    import inequality as ineq  # in the dev extra: the comparison must run, not skip
    from inequality.gini import Gini
    from inequality.theil import Theil, TheilD

    rng = np.random.default_rng(11)
    y = rng.lognormal(3, 1, 500)
    g = rng.integers(0, 4, 500)
    df = pd.DataFrame({"y": y, "g": g})
    assert dp.gini(df, "y").value == pytest.approx(Gini(y).g, rel=CLOSED_FORM_TOL)
    assert dp.theil(df, "y").value == pytest.approx(float(Theil(y).T), rel=CLOSED_FORM_TOL)
    td = TheilD(y, g)
    r = dp.theil(df, "y", "g")
    assert r.between.value == pytest.approx(float(td.bg[0]), rel=CLOSED_FORM_TOL)
    assert r.within.value == pytest.approx(float(td.wg[0]), rel=CLOSED_FORM_TOL)
    assert ineq is not None


class TestConindexIdentities:
    """O'Donnell, O'Neill, Van Ourti & Walsh (2016), conindex: the indices' relations."""

    @pytest.fixture
    def df(self) -> pd.DataFrame:
        rng = np.random.default_rng(3)
        n = 300
        inc = rng.lognormal(8, 0.7, n)
        score = np.clip(np.round(rng.normal(5 + (inc > 3000), 2)), 0, 10)
        return pd.DataFrame({"inc": inc, "score": score, "h": (score > 6).astype(float),
                             "w": rng.uniform(1, 5, n)})

    def test_generalized_is_standard_times_mean(self, df):
        c = dp.concentration_index(df, "score", "inc", weights="w").value
        gc = dp.concentration_index(df, "score", "inc", kind="generalized", weights="w").value
        mu = np.average(df["score"], weights=df["w"])
        assert gc == pytest.approx(mu * c, rel=CLOSED_FORM_TOL)

    def test_erreygers_is_four_mean_over_range_times_standard(self, df):
        c = dp.concentration_index(df, "score", "inc", weights="w").value
        e = dp.concentration_index(df, "score", "inc", kind="erreygers", bounds=(0, 10),
                                   weights="w").value
        mu = np.average(df["score"], weights=df["w"])
        assert e == pytest.approx(4 * mu / 10 * c, rel=CLOSED_FORM_TOL)

    def test_wagstaff_for_binary_is_c_over_one_minus_mean(self, df):
        c = dp.concentration_index(df, "h", "inc", weights="w").value
        wg = dp.concentration_index(df, "h", "inc", kind="wagstaff", bounds=(0, 1),
                                    weights="w").value
        mu = np.average(df["h"], weights=df["w"])
        assert wg == pytest.approx(c / (1 - mu), rel=CLOSED_FORM_TOL)

    def test_ci_is_twice_covariance_with_fractional_rank_over_mean(self, df):
        y, x = df["h"].to_numpy(), df["inc"].to_numpy()
        n = len(y)
        r = (np.argsort(np.argsort(x)) + 0.5) / n
        expected = 2 * np.cov(y, r, bias=True)[0, 1] / y.mean()
        got = dp.concentration_index(df, "h", "inc").value
        assert got == pytest.approx(expected, rel=CLOSED_FORM_TOL)


def test_ties_in_rank_share_their_mean_rank():
    # rank ties: the order of tied rows must not matter
    df = pd.DataFrame({"y": [1.0, 5.0, 2.0, 8.0, 3.0, 4.0], "x": [1, 2, 2, 2, 3, 3]})
    a = dp.concentration_index(df, "y", "x").value
    b = dp.concentration_index(df.iloc[::-1], "y", "x").value
    assert a == pytest.approx(b, abs=1e-15)
    # by hand: a tie group's rank is its weight before plus half its own weight, over n
    r = np.array([0.5, 1 + 1.5, 1 + 1.5, 1 + 1.5, 4 + 1, 4 + 1]) / 6
    y = df["y"].to_numpy()
    assert a == pytest.approx(2 * np.mean(y * r) / y.mean() - 1, rel=CLOSED_FORM_TOL)


def test_lorenz_curve_vertices_and_generalized():
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0]})
    pts = dp.lorenz(df, "y").points
    assert pts["p"].tolist() == pytest.approx([0, 0.25, 0.5, 0.75, 1.0])
    assert pts["ordinate"].tolist() == pytest.approx([0, 0.1, 0.3, 0.6, 1.0])
    gl = dp.lorenz(df, "y", generalized=True).points
    assert gl["ordinate"].tolist() == pytest.approx([0, 0.25, 0.75, 1.5, 2.5])
    grid = dp.lorenz(df, "y", points=2).points
    assert grid["ordinate"].tolist() == pytest.approx([0, 0.3, 1.0])


def test_concentration_curve_pools_ties():
    df = pd.DataFrame({"y": [1.0, 3.0, 2.0, 2.0], "x": [1, 2, 2, 3]})
    pts = dp.concentration_curve(df, "y", "x").points
    assert pts["p"].tolist() == pytest.approx([0, 0.25, 0.75, 1.0])
    assert pts["ordinate"].tolist() == pytest.approx([0, 0.125, 0.75, 1.0])


def test_catastrophic_by_hand():
    df = pd.DataFrame({"oop": [0.0, 5, 20, 50], "tot": [100.0, 100, 100, 100]})
    r = dp.catastrophic(df, "oop", "tot", threshold=0.1)
    t = r.table.set_index("component")["estimate"]
    assert t["headcount"] == pytest.approx(0.5)
    assert t["overshoot"] == pytest.approx((0.1 + 0.4) / 4)
    assert t["mean_positive_overshoot"] == pytest.approx(0.25)


def test_impoverishment_by_hand():
    df = pd.DataFrame({"c": [50.0, 120, 130, 300], "oop": [0.0, 30, 5, 10]})
    t = dp.impoverishment(df, "c", "oop", poverty_line=100).table.set_index("component")["estimate"]
    assert t["headcount_pre"] == pytest.approx(0.25)
    assert t["headcount_post"] == pytest.approx(0.5)
    assert t["headcount_change"] == pytest.approx(0.25)
    assert t["gap_pre"] == pytest.approx(50 / 4)
    assert t["gap_post"] == pytest.approx((50 + 10) / 4)
    assert t["normalized_gap_change"] == pytest.approx(10 / 4 / 100)


def test_gap_by_hand():
    df = pd.DataFrame({"y": [1.0, 3, 10, 14], "g": ["rural", "rural", "urban", "urban"]})
    r = dp.gap(df, "y", "g", reference="rural")
    t = r.table.set_index("component")["estimate"]
    assert r.value == pytest.approx(10.0)
    assert t["relative"] == pytest.approx(5.0)
    assert t["ratio"] == pytest.approx(6.0)
    assert t["mean[urban]"] == pytest.approx(12.0)


def test_benefit_incidence_quintile_shares():
    df = pd.DataFrame({"b": np.arange(1.0, 11.0), "inc": np.arange(10.0)})
    r = dp.benefit_incidence(df, "b", "inc")
    shares = r.details["share"].to_numpy()
    assert shares == pytest.approx(np.array([3, 7, 11, 15, 19]) / 55)
    assert shares.sum() == pytest.approx(1.0, abs=1e-15)
    assert r.details["pop_share"].tolist() == pytest.approx([0.2] * 5)


def test_kakwani_of_proportional_payment_is_zero():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"inc": rng.lognormal(size=100)})
    df["tax"] = 0.1 * df["inc"]
    assert dp.kakwani(df, "tax", "inc").value == pytest.approx(0.0, abs=1e-12)
