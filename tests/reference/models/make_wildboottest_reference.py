"""Wild cluster bootstrap p-values from the independent ``wildboottest`` package (0.3.x).

Model: OLS of y on x1 * log_gdp + x2 in ``survey_sample.csv``, 12 county clusters, WCR
(null imposed), bootstrap type 11, 9,999 draws, Rademacher and Webb weights.
``enumerated``: the same model on the rows of the first G counties (G = 12, 7 and 4; y on x1 + x2
for G = 4), Rademacher weights; wildboottest enumerates all 2^G sign vectors when 2^G < B, so
these p-values are exact: multiples of 1/2^(G-1) once the ties (the sign vectors +1 and -1 that
reproduce the sample) are set aside.
Run from the repository root (needs ``pip install wildboottest``):
``python tests/reference/models/make_wildboottest_reference.py``.
"""

import contextlib
import io
import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from wildboottest.wildboottest import WildboottestCL
from wildboottest.wildboottest import wildboottest as wbt

HERE = Path(__file__).resolve().parent
df = pd.read_csv(HERE / "survey_sample.csv")
model = smf.ols("y ~ x1 * log_gdp + x2", df)
# With 12 clusters and Rademacher weights, wildboottest enumerates all 2^12 sign vectors (exact).
out = {"package": f"wildboottest {version('wildboottest')}", "B": 9999, "pvalues": {}}
for weights in ("rademacher", "webb"):
    res = {}
    for param in model.exog_names:
        with contextlib.redirect_stdout(io.StringIO()):
            r = wbt(
                model,
                B=9999,
                cluster=df.county,
                param=param,
                weights_type=weights,
                seed=20240611,
                show=False,
            )
        res[param] = float(r["p-value"].iloc[0])
    out["pvalues"][weights] = res
# Enumerated cases. wildboottest's p-value counts |t*| > |t| strictly, so the two sign vectors
# that reproduce the sample (|t*| = |t| mathematically) are counted or not by rounding noise. We
# store its p-value and, from its own bootstrap t's, the p-value under the documented tie rule
# (|t*| > |t| (1 + 1e-9)), which is deterministic.
TIE_RTOL = 1e-9
out["enumerated"] = {}
for G, formula in ((12, "y ~ x1 * log_gdp + x2"), (7, "y ~ x1 * log_gdp + x2"), (4, "y ~ x1 + x2")):
    sub = df[df.county.isin(sorted(df.county.unique())[:G])].reset_index(drop=True)
    mod = smf.ols(formula, sub)
    res, ties_out = {}, {}
    for j, param in enumerate(mod.exog_names):
        R = np.zeros(len(mod.exog_names))
        R[j] = 1.0
        boot = WildboottestCL(X=mod.exog, Y=mod.endog, cluster=sub.county.to_numpy(), R=R, B=9999,
                              seed=20240611, parallel=False)
        boot.get_scores(bootstrap_type="11", impose_null=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            boot.get_weights(weights_type="rademacher")
        boot.get_numer()
        boot.get_denom()
        boot.get_tboot()
        boot.get_vcov()
        boot.get_tstat()
        boot.get_pvalue(pval_type="two-tailed")
        t, tb = float(np.ravel(boot.t_stat)[0]), np.abs(np.ravel(boot.t_boot))
        assert tb.size == 2**G, tb.size  # full enumeration
        res[param] = float(boot.pvalue)
        ties_out[param] = float(np.mean(tb > abs(t) * (1 + TIE_RTOL)))
    out["enumerated"][str(G)] = {"formula": formula, "draws": 2**G, "pvalues_wildboottest": res,
                                 "pvalues_ties_not_counted": ties_out}
(HERE / "wildboottest_reference.json").write_text(json.dumps(out, indent=1))
