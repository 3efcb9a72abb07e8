"""Speed of dp.event_study(estimator="cs") against the csdid package (Python port of R did).

Callaway-Sant'Anna ATT(g,t) on a balanced panel (default 100,000 units x 10 periods, 6 cohorts plus
never-treated units), unconditional and doubly robust with two covariates, analytic standard errors
on both sides (csdid ``bstrap=False``), timed side by side in one run; our multiplier bootstrap with
999 draws is timed separately. Also checks that the two give identical ATT(g,t).

    python benchmarks/bench_did.py [--units 100000] [--periods 10] [--repeat 3]

Needs ``pip install csdid``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from disparity.models.did import event_study

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/_record.py


def best_of(fn, repeat: int) -> tuple[float, object, float]:
    """Least wall time of ``repeat`` runs, the result, and the least CPU time of the process
    (which a busy machine disturbs far less than wall time)."""
    best, out, cpu = np.inf, None, np.inf
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return best, out, cpu


def make_panel(n: int, T: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cohorts = np.array([0, 3, 4, 5, 6, 7, 8])  # 0 = never treated; six treated cohorts
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.5, size=n).astype(float)
    p = np.exp(0.3 * x1[:, None] * np.arange(7)[None, :] / 6)
    p /= p.sum(axis=1, keepdims=True)
    g = cohorts[(rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)]
    t = np.arange(1, T + 1)
    a = rng.normal(size=n)
    eff = np.where((g[:, None] > 0) & (t[None, :] >= g[:, None]), 1 + 0.2 * (t[None, :] - g[:, None]), 0.0)
    y = a[:, None] + t[None, :] * (0.2 + 0.3 * x1[:, None]) + eff + rng.normal(size=(n, T))
    return pd.DataFrame({"id": np.repeat(np.arange(1, n + 1), T), "t": np.tile(t, n), "g": np.repeat(g, T),
                         "x1": np.repeat(x1, T), "x2": np.repeat(x2, T), "y": y.ravel()})


def ours(df, cov, se="analytic", reps=0):
    return event_study(df, "y", "id", "t", "g", control="never", covariates=cov, method="dr", se=se,
                       reps=reps, seed=1)


def theirs(df, cov):
    from csdid.att_gt import ATTgt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ATTgt(yname="y", tname="t", idname="id", gname="g", data=df, control_group="nevertreated",
                     xformla=None if cov is None else "y~" + "+".join(cov)).fit(est_method="dr", bstrap=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=100_000)
    ap.add_argument("--periods", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-repeat", type=int, default=2)
    args = ap.parse_args()
    df = make_panel(args.units, args.periods)
    rows = []
    for label, cov in (("unconditional", None), ("doubly robust", ["x1", "x2"])):
        t_us, r_us, c_us = best_of(lambda cov=cov: ours(df, cov), args.repeat)
        t_them, r_them, c_them = best_of(lambda cov=cov: theirs(df, cov), args.peer_repeat)
        a = r_us.att_gt()
        ref = pd.DataFrame({"cohort": r_them.results["group"], "time": r_them.results["year"],
                            "att_ref": r_them.results["att"], "se_ref": r_them.results["se"]})
        m = a.merge(ref, on=["cohort", "time"], how="inner")
        assert len(m) == len(a) == len(ref)
        rows.append({"estimator": f"CS {label}", "disparity_s": t_us, "csdid_s": t_them, "speedup": t_them / t_us,
                     "disparity_cpu_s": c_us, "csdid_cpu_s": c_them, "cpu_speedup": c_them / c_us,
                     "cells": len(a), "max_abs_diff_att": float(np.max(np.abs(m["att"] - m["att_ref"]))),
                     "max_abs_diff_se": float(np.max(np.abs(m["std_error"] - m["se_ref"])))})
        t_boot, _, c_boot = best_of(lambda cov=cov: ours(df, cov, se="bootstrap", reps=999), 1)
        rows.append({"estimator": f"CS {label} + 999 multiplier draws", "disparity_s": t_boot, "csdid_s": np.nan,
                     "speedup": np.nan, "disparity_cpu_s": c_boot, "csdid_cpu_s": np.nan, "cpu_speedup": np.nan,
                     "cells": len(a), "max_abs_diff_att": np.nan, "max_abs_diff_se": np.nan})
    title = (f"Callaway-Sant'Anna ATT(g,t), {args.units:,} units x {args.periods} periods, 6 cohorts + never "
             f"treated; best of {args.repeat} (csdid: best of {args.peer_repeat})")
    print(title)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    from _record import record

    dr = rows[2]
    record("did", title, table, headline=[
        {"figure": "CS doubly robust, csdid time / ours (wall)", "value": dr["speedup"], "target": ">= 20",
         "met": dr["speedup"] >= 20},
        {"figure": "CS doubly robust, csdid time / ours (CPU)", "value": dr["cpu_speedup"], "target": ">= 20",
         "met": dr["cpu_speedup"] >= 20},
        {"figure": "CS doubly robust, max |ATT(g,t) - csdid|", "value": dr["max_abs_diff_att"],
         "target": "<= 1e-10", "met": dr["max_abs_diff_att"] <= 1e-10}])


if __name__ == "__main__":
    main()
