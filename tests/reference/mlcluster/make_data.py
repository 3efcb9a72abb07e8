"""Simulated sample with two crossed clustering variables for the two-way clustered ML references.

600 rows; ``a`` (24 levels) and ``b`` (15 levels) are drawn independently, so the clusterings cross
(intersections hold 1-5 rows, some none); each has a random effect in every outcome, so the
clustered variances differ from the robust ones. ``w`` are pweights. Outcomes: ``ybin`` (logit),
``yord`` (4 ordered categories), ``ycount`` (negative binomial, mean 1.5), ``yzi`` (zero-inflated
Poisson, inflation driven by ``z``). Run from the repository root:
``python tests/reference/mlcluster/make_data.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261202)
n = 600
a = rng.integers(0, 24, n)
b = rng.integers(0, 15, n)
ua, ub = rng.normal(0, 0.5, 24), rng.normal(0, 0.5, 15)
x1 = rng.normal(size=n) + 0.4 * ua[a]
x2 = rng.binomial(1, 0.4, n).astype(float)
z = rng.normal(size=n)
w = np.round(rng.uniform(0.5, 2.5, n), 3)
eta = -0.3 + 0.8 * x1 - 0.5 * x2 + ua[a] + ub[b]
ybin = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
ystar = 0.7 * x1 + 0.4 * x2 + ua[a] + ub[b] + rng.logistic(size=n)
yord = np.digitize(ystar, [-1.0, 0.3, 1.5])
mu = np.exp(0.4 + 0.3 * x1 + 0.2 * x2 + 0.5 * (ua[a] + ub[b]))
ycount = rng.poisson(mu * rng.gamma(2.0, 0.5, n))
infl = rng.uniform(size=n) < 1 / (1 + np.exp(-(-0.5 + 0.8 * z)))
yzi = np.where(infl, 0, rng.poisson(mu))
out = pd.DataFrame({"a": a + 1, "b": b + 1, "w": w, "x1": x1.round(6), "x2": x2, "z": z.round(6),
                    "ybin": ybin, "yord": yord, "ycount": ycount, "yzi": yzi})
out.to_csv(Path(__file__).with_name("mlcluster_sample.csv"), index=False)
