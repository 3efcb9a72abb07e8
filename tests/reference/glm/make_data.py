"""Simulate the spending/visits sample used by tests/models/test_glm.py, test_count.py, test_twopart.py.

Run from the repository root: ``python tests/reference/glm/make_data.py`` (numpy seed 20261201).
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261201)
n, G = 1200, 30
county = rng.integers(0, G, n)
stratum = county % 5
u = rng.normal(scale=0.3, size=G)[county]
x1 = rng.normal(size=n)
x2 = rng.binomial(1, 0.45, n)
urban = rng.binomial(1, 0.5, n)
z = rng.normal(size=n)
w = np.round(rng.uniform(0.5, 3.0, n), 3)
days = rng.integers(30, 366, n)
# spending: any use by logit, positive amount gamma with log mean (heteroskedastic by urban)
p_any = 1 / (1 + np.exp(-(-0.2 + 0.6 * x1 + 0.4 * x2 + u)))
any_use = rng.uniform(size=n) < p_any
shape = np.where(urban == 1, 2.0, 1.0)
mean_pos = np.exp(6.0 + 0.3 * x1 + 0.25 * x2 + 0.2 * urban + u)
spend = np.where(any_use, rng.gamma(shape, mean_pos / shape), 0.0)
# visits: NB2 with exposure, plus structural zeros
mu = np.exp(0.6 + 0.4 * x1 - 0.3 * x2 + np.log(days / 365) + 0.5 * u)
alpha = 0.7
lam = rng.gamma(1 / alpha, alpha * mu)
visits = rng.poisson(lam)
struct0 = rng.uniform(size=n) < 1 / (1 + np.exp(-(-1.0 + 0.8 * z)))
visits_zi = np.where(struct0, 0, rng.poisson(np.exp(0.3 + 0.4 * x1 - 0.3 * x2)))
df = pd.DataFrame({
    "county": county, "stratum": stratum, "w": w, "x1": np.round(x1, 6), "x2": x2, "urban": urban,
    "z": np.round(z, 6), "days": days, "spend": np.round(spend, 4), "visits": visits,
    "visits_zi": visits_zi,
})
df.to_csv(Path(__file__).with_name("spending_sample.csv"), index=False)
print(df.describe().T)
