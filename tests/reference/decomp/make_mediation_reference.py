"""Reference values for dp.mediation from statsmodels' Mediation (Imai, Keele & Tingley 2010).

Run from the repository root:  python tests/reference/decomp/make_mediation_reference.py
Writes mediation_sample.csv (simulated, seed 20240601) and mediation_statsmodels.json.
statsmodels' parametric method draws the coefficients of both models from their asymptotic normal
distributions (numpy's global generator, seeded here because statsmodels offers no seed argument)
and averages the implied effects; in the linear-linear model its ACME draws are a*·b*, so their mean
estimates a·b with Monte Carlo error sd(ACME draws)/sqrt(n_rep), stored alongside.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
from statsmodels.stats.mediation import Mediation

HERE = Path(__file__).resolve().parent
N_REP = 400

rng = np.random.default_rng(20240601)
n = 400
df = pd.DataFrame({"x": rng.integers(0, 2, n).astype(float), "w": rng.normal(size=n)})
df["m"] = 0.5 * df.x + 0.3 * df.w + rng.normal(size=n)
df["y"] = 0.4 * df.m + 0.2 * df.x + 0.1 * df.w + rng.normal(size=n)
df.to_csv(HERE / "mediation_sample.csv", index=False, float_format="%.17g")

om = sm.OLS.from_formula("y ~ x + m + w", df)
mm = sm.OLS.from_formula("m ~ x + w", df)
np.random.seed(12345)
res = Mediation(om, mm, "x", "m").fit(method="parametric", n_rep=N_REP)
s = res.summary()
out = {
    "statsmodels": statsmodels.__version__,
    "n_rep": N_REP,
    "acme": float(s.loc["ACME (average)", "Estimate"]),
    "acme_mc_se": float(np.std(res.ACME_ctrl) / np.sqrt(N_REP)),
    "ade": float(s.loc["ADE (average)", "Estimate"]),
    "ade_mc_se": float(np.std(res.ADE_ctrl) / np.sqrt(N_REP)),
    "total": float(s.loc["Total effect", "Estimate"]),
    "total_mc_se": float(np.std(res.total_effect) / np.sqrt(N_REP)),
    "acme_ci": [float(s.loc["ACME (average)", "Lower CI bound"]), float(s.loc["ACME (average)", "Upper CI bound"])],
}
(HERE / "mediation_statsmodels.json").write_text(json.dumps(out, indent=2))
print(out)
