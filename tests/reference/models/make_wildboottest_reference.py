"""Wild cluster bootstrap p-values from the independent ``wildboottest`` package (0.3.x).

Model: OLS of y on x1 * log_gdp + x2 in ``survey_sample.csv``, 12 county clusters, WCR
(null imposed), bootstrap type 11, 9,999 draws, Rademacher and Webb weights.
Run from the repository root (needs ``pip install wildboottest``):
``python tests/reference/models/make_wildboottest_reference.py``.
"""

import contextlib
import io
import json
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import statsmodels.formula.api as smf
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
(HERE / "wildboottest_reference.json").write_text(json.dumps(out, indent=1))
