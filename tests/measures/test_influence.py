"""Analytic standard errors equal the variance of numerically differentiated influence functions.

For every measure and component, u_k = d theta / d w_k is obtained by central finite differences
of the PUBLIC function with the weight column perturbed, and the with-replacement variance
n/(n-1) sum (w_k u_k - mean)^2 is compared with the reported standard error. This checks each
hand-derived (or complex-step) influence function independently of its derivation.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import disparity as dp

# central differences with step 1e-6 * w_k: truncation error O(h^2), rounding O(eps / h)
FINITE_DIFF_TOL = 1e-5


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    n = 36
    inc = rng.lognormal(8, 0.6, n)
    df = pd.DataFrame({
        "inc": inc,
        "inc_r": np.round(inc, -3),  # ties in the ranking variable
        "w": rng.uniform(1, 4, n),
        "urban": rng.integers(0, 2, n),
        "region": rng.choice(["e", "c", "w"], n),
        "age": rng.uniform(20, 80, n),
        "chronic": rng.integers(0, 2, n).astype(float),
    })
    df["cons"] = df["inc"] * rng.uniform(0.6, 1.0, n)
    df["oop"] = df["cons"] * rng.beta(0.8, 5, n)
    df["h"] = (rng.random(n) < 0.3 + 0.3 * df["chronic"]).astype(float)
    df["score"] = np.clip(np.round(rng.normal(5, 2, n), 1), 0, 10)
    return df


MEASURES: dict[str, Callable[[pd.DataFrame], dp.MeasureResult]] = {
    "gini": lambda d: dp.gini(d, "inc", weights="w"),
    "gini_ties": lambda d: dp.gini(d, "inc_r", weights="w"),
    "gini_corrected": lambda d: dp.gini(d, "inc", weights="w", correction=True),
    "ci_standard": lambda d: dp.concentration_index(d, "h", "inc_r", weights="w"),
    "ci_generalized": lambda d: dp.concentration_index(d, "h", "inc", kind="generalized",
                                                       weights="w"),
    "ci_wagstaff": lambda d: dp.concentration_index(d, "score", "inc", kind="wagstaff",
                                                    bounds=(0, 10), weights="w"),
    "ci_erreygers": lambda d: dp.concentration_index(d, "h", "inc", kind="erreygers",
                                                     bounds=(0, 1), weights="w"),
    "theil_region": lambda d: dp.theil(d, "inc", "region", weights="w"),
    "mld_urban": lambda d: dp.mld(d, "inc", "urban", weights="w"),
    "ge_half_region": lambda d: dp.ge(d, "inc", alpha=0.5, group="region", weights="w"),
    "ge_minus1": lambda d: dp.ge(d, "inc", alpha=-1, weights="w"),
    "cv": lambda d: dp.cv(d, "inc", weights="w"),
    "atkinson_1": lambda d: dp.atkinson(d, "inc", epsilon=1, weights="w"),
    "atkinson_2": lambda d: dp.atkinson(d, "inc", epsilon=2, weights="w"),
    "gap_region": lambda d: dp.gap(d, "oop", "region", reference="c", weights="w"),
    "catastrophic": lambda d: dp.catastrophic(d, "oop", "cons", threshold=0.1, rank="inc",
                                              weights="w"),
    "impoverishment": lambda d: dp.impoverishment(d, "cons", "oop", poverty_line=2500,
                                                  weights="w"),
    "kakwani": lambda d: dp.kakwani(d, "oop", "inc", weights="w"),
    "incidence": lambda d: dp.benefit_incidence(d, "oop", "inc", groups=4, weights="w"),
    "ci_decomposition": lambda d: dp.ci_decomposition(d, "h", "inc", ["age", "chronic"],
                                                      weights="w"),
    "horizontal_inequity": lambda d: dp.horizontal_inequity(d, "h", "inc", ["age", "chronic"],
                                                            ["urban"], weights="w"),
}


@pytest.mark.parametrize("name", sorted(MEASURES))
def test_analytic_se_matches_numerical_influence(data, name):
    fn = MEASURES[name]
    base = fn(data)
    est = base.table["estimate"].to_numpy()
    n = len(data)
    w = data["w"].to_numpy()
    u = np.empty((n, est.size))
    for k in range(n):
        h = 1e-6 * w[k]
        up, down = data.copy(), data.copy()
        up.loc[up.index[k], "w"] += h
        down.loc[down.index[k], "w"] -= h
        u[k] = (fn(up).table["estimate"].to_numpy() - fn(down).table["estimate"].to_numpy()) / (2 * h)
    z = u * w[:, None]
    var = n / (n - 1) * ((z - z.mean(axis=0)) ** 2).sum(axis=0)
    np.testing.assert_allclose(base.table["std_error"].to_numpy(), np.sqrt(var),
                               rtol=FINITE_DIFF_TOL, atol=1e-10)
