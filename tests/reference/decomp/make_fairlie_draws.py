"""Random draws (subsamples and term orders) of dp.fairlie for the R reference computation.

The draws are inputs, not results: ``fairlie_reference.R`` recomputes the decomposition from them
independently. Run from the repository root: ``python tests/reference/decomp/make_fairlie_draws.py``.
"""

import json
from pathlib import Path

import pandas as pd

import disparity as dp

HERE = Path(__file__).resolve().parent
ch = pd.read_csv(HERE / "chifeng_income.csv", dtype={"county": str})
ch["hi"] = (ch["lninc"] > ch["lninc"].median()).astype(int)
CASES = {
    "logit_pooled_random": dict(model="logit", reference="pooled", order="random", reps=8, seed=20261201),
    "probit_B_fixed": dict(model="probit", reference="B", order="fixed", reps=3, seed=7, information="eim"),
    "logit_neumark_random_cluster": dict(model="logit", reference="neumark", order="random", reps=4, seed=3,
                                         vcov="cluster", cluster="county"),
}
out = {}
for key, kw in CASES.items():
    r = dp.fairlie("hi ~ age + edu_years + female + C(county)", ch, by="urban", **kw)
    out[key] = {"options": kw, "subsample": r.raw["subsample"].tolist(), "orders": r.raw["orders"].tolist(),
                "terms": r.raw["terms"], "a_larger": bool(r.raw["a_larger"])}
(HERE / "fairlie_draws.json").write_text(json.dumps(out))
