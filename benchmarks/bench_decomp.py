"""Speed of dp.oaxaca, dp.mediation and dp.threshold against named peers, side by side in one run.

Peers: statsmodels' OaxacaBlinder (point decomposition; bootstrap standard errors) and Mediation
(bootstrap), and for the threshold search the obvious approach, one dp.panel fit per candidate
threshold. Each pair is timed in the same run (best of ``--repeat``) and reported as a ratio
(peer time / our time; > 1 means we are faster), since the machine is shared.

    python benchmarks/bench_decomp.py [--n 5000] [--reps 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import disparity as dp
from disparity.models.decomp import mediation, oaxaca, threshold


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def survey_like(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"urban": rng.integers(0, 2, n)})
    for j in range(5):
        df[f"x{j}"] = rng.normal(size=n) + 0.3 * df.urban
    df["y"] = 1 + df[[f"x{j}" for j in range(5)]].sum(axis=1) * (1 + 0.2 * df.urban) + rng.normal(size=n)
    df["m"] = 0.5 * df.urban + 0.2 * df.x0 + rng.normal(size=n)
    df["y2"] = 0.4 * df.m + 0.1 * df.urban + 0.2 * df.x0 + rng.normal(size=n)
    return df


def threshold_panel(n_e: int, T: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    e, t = np.repeat(np.arange(n_e), T), np.tile(np.arange(T), n_e)
    q, x, z = rng.uniform(0, 10, e.size), rng.normal(size=e.size), rng.normal(size=e.size)
    y = rng.normal(size=n_e)[e] + 0.5 * z + np.where(q <= 4, 1.0, -0.5) * x + rng.normal(size=e.size)
    return pd.DataFrame({"id": e, "year": t, "q": q, "x": x, "z": z, "y": y})


def brute_force_threshold(df: pd.DataFrame, cands: np.ndarray) -> float:
    best = (np.inf, np.nan)
    for g in cands:
        d = df.assign(x1=df.x * (df.q <= g), x2=df.x * (df.q > g))
        m = dp.panel("y ~ z + x1 + x2", d, entity="id", time="year")
        ssr = float(m.raw["resid"] @ m.raw["resid"])
        best = min(best, (ssr, g))
    return best[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import statsmodels.api as sm
    from statsmodels.stats.mediation import Mediation
    from statsmodels.stats.oaxaca import OaxacaBlinder

    df = survey_like(args.n)
    xs = [f"x{j}" for j in range(5)]
    formula = "y ~ " + " + ".join(xs)
    exog = sm.add_constant(df[xs + ["urban"]])
    rows = []

    def sm_point():
        ob = OaxacaBlinder(df["y"], exog, "urban", hasconst=True)
        ob.three_fold()
        ob.two_fold()

    ours = best_of(lambda: oaxaca(formula, df, by="urban", se="none"), args.repeat)
    peer = best_of(sm_point, args.repeat)
    rows.append(("oaxaca point (threefold+twofold)", "statsmodels OaxacaBlinder", ours, peer))

    ours = best_of(lambda: oaxaca(formula, df, by="urban"), args.repeat)
    rows.append(("oaxaca delta-method SEs", "(no peer: statsmodels has bootstrap only)", ours, np.nan))

    ours = best_of(lambda: oaxaca(formula, df, by="urban", se="bootstrap", reps=args.reps, seed=1), 1)
    peer = best_of(lambda: OaxacaBlinder(df["y"], exog, "urban", hasconst=True).two_fold(True, n=args.reps), 1)
    rows.append((f"oaxaca bootstrap SEs ({args.reps} reps)", "statsmodels two_fold(std=True)", ours, peer))

    sub = df.iloc[: min(args.n, 1000)]
    ours = best_of(lambda: mediation("y2 ~ urban + x0", sub, treatment="urban", mediator="m",
                                     reps=args.reps, seed=1), 1)

    def sm_med():
        om = sm.OLS.from_formula("y2 ~ urban + m + x0", sub)
        mm = sm.OLS.from_formula("m ~ urban + x0", sub)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Mediation(om, mm, "urban", "m").fit(method="bootstrap", n_rep=args.reps)

    peer = best_of(sm_med, 1)
    rows.append((f"mediation bootstrap ({args.reps} reps, n={len(sub)})", "statsmodels Mediation", ours, peer))

    tp = threshold_panel(60, 10)
    r = threshold("y ~ z", tp, threshold_var="q", regime="x", entity="id", time="year", grid=100, reps=0)
    ours = best_of(lambda: threshold("y ~ z", tp, threshold_var="q", regime="x", entity="id", time="year",
                                     grid=100, reps=0), args.repeat)
    peer = best_of(lambda: brute_force_threshold(tp, r.raw["candidates"]), 1)
    rows.append(("threshold search (600 obs, 100 candidates)", "dp.panel per candidate", ours, peer))

    print(f"{'task':48s} {'peer':42s} {'ours (s)':>9s} {'peer (s)':>9s} {'ratio':>7s}")
    for task, name, o, p in rows:
        ratio = p / o if np.isfinite(p) else float("nan")
        print(f"{task:48s} {name:42s} {o:9.3f} {p:9.3f} {ratio:7.1f}")


if __name__ == "__main__":
    main()
