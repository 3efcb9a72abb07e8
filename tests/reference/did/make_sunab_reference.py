"""Sun-Abraham references from pyfixest 0.60.0 (run from the repository root with /work/venv).

Writes ``sunab_reference.json``: pyfixest's saturated event study (``pf.event_study(estimator=
"saturated")``, unit and time effects, CRV1 by unit) on ``sim_panel.csv``: every cohort-by-relative-time
coefficient and SE, and the overall ATT as fixest's ``aggregate(agg = "att")`` defines it — the average
of the post-treatment (relative time >= 0) coefficients weighted by the number of observations of each
cell — with its SE sqrt(R V R') from pyfixest's covariance of the coefficients; the by-cohort and
by-calendar-period averages of the post cells with the same weights.
"""

import json
import re
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf

HERE = Path(__file__).resolve().parent
warnings.simplefilter("ignore")
df = pd.read_csv(HERE / "sim_panel.csv")
sat = pf.event_study(data=df, yname="y", idname="id", tname="t", gname="g", estimator="saturated", cluster="id")
model = sat.mod if hasattr(sat, "mod") else sat
coef, se = sat.coef(), sat.se()
V = np.asarray(model._vcov)
cells = []
for i, name in enumerate(coef.index):
    m = re.match(r"^rel_time::(-?[\d.]+):first_treated_period::(\d+)$", name)
    e, g = int(float(m.group(1))), int(m.group(2))
    n = int(((df["g"] == g) & (df["t"] - df["g"] == e)).sum())
    cells.append({"cohort": g, "event_time": e, "time": g + e, "coef": float(coef.iloc[i]),
                  "se": float(se.iloc[i]), "n_obs": n, "pos": i})
cdf = pd.DataFrame(cells)
b = coef.to_numpy()


def lincomb(mask: np.ndarray) -> dict:
    R = np.zeros(len(b))
    R[cdf["pos"][mask]] = cdf["n_obs"][mask] / cdf["n_obs"][mask].sum()
    return {"estimate": float(R @ b), "se": float(np.sqrt(R @ V @ R))}


post = (cdf["event_time"] >= 0).to_numpy()
out = {
    "_versions": {"pyfixest": version("pyfixest")},
    "cells": cdf.drop(columns="pos").to_dict(orient="list"),
    "att": lincomb(post),
    "group": {int(g): lincomb(post & (cdf["cohort"] == g).to_numpy()) for g in sorted(cdf["cohort"].unique())},
    "calendar": {int(t): lincomb(post & (cdf["time"] == t).to_numpy()) for t in sorted(cdf["time"][post].unique())},
    "n_coef": len(b),
}
(HERE / "sunab_reference.json").write_text(json.dumps(out, indent=1))
print(out["att"])
