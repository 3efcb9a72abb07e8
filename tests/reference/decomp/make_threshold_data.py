"""Simulated balanced panel with two known thresholds, input of threshold_reference.R.

Run from the repository root:  python tests/reference/decomp/make_threshold_data.py
Writes threshold_panel.csv (seed 19990601): 30 entities x 8 periods,
y = mu_i + 0.5 z + x * (1.0 if q <= 3; 0.2 if 3 < q <= 7; -0.8 if q > 7) + N(0, 0.5^2),
q ~ U(0, 10) rounded to 2 decimals, x, z ~ N(0, 1), mu_i ~ N(0, 1).
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(19990601)
n_e, T = 30, 8
e = np.repeat(np.arange(1, n_e + 1), T)
t = np.tile(np.arange(2001, 2001 + T), n_e)
q = np.round(rng.uniform(0, 10, e.size), 2)
x = rng.normal(size=e.size)
z = rng.normal(size=e.size)
mu = rng.normal(size=n_e)[e - 1]
slope = np.select([q <= 3, q <= 7], [1.0, 0.2], -0.8)
y = mu + 0.5 * z + slope * x + rng.normal(scale=0.5, size=e.size)
pd.DataFrame({"id": e, "year": t, "q": q, "x": x, "z": z, "y": y}).to_csv(
    Path(__file__).resolve().parent / "threshold_panel.csv", index=False, float_format="%.17g"
)
