"""Issue 3 speed benchmark: one run, side by side, ratios to the peers.

(a) Two-way fixed effects with entity-clustered SEs, 1,000,000 rows (50,000 entities x 20 years):
    dp.panel vs pyfixest.feols and linearmodels.PanelOLS (targets: <= 1.2x pyfixest, <= 0.5x PanelOLS).
(b) Wild cluster bootstrap (WCR, Rademacher), 9,999 draws, 100,000 rows, 12 clusters:
    dp.ols(vcov="wild") (p-values and test-inversion intervals for every coefficient) vs
    wildboottest (p-value of one coefficient) (target: >= 10x faster); p-values compared too.

Run: ``python benchmarks/bench_models.py`` (needs the ``bench`` extra: pyfixest, wildboottest).
Timings are medians of interleaved repeats; the first call of each contender is a warm-up
(numba compilation for pyfixest/wildboottest) and is not timed.
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings

import numpy as np
import pandas as pd

import disparity as dp


def _median_times(contenders: dict, repeats: int) -> dict[str, float]:
    for fn in contenders.values():  # warm-up (JIT compilation, caches)
        fn()
    times: dict[str, list[float]] = {k: [] for k in contenders}
    order = list(contenders)
    rng = np.random.default_rng(0)
    for _ in range(repeats):
        rng.shuffle(order)
        for name in order:
            t0 = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - t0)
    return {k: float(np.median(v)) for k, v in times.items()}


def fe_panel_data(n_entities: int = 50_000, n_years: int = 20, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ent = np.repeat(np.arange(n_entities), n_years)
    yr = np.tile(np.arange(2000, 2000 + n_years), n_entities)
    a = rng.normal(size=n_entities)[ent]
    g = rng.normal(size=n_years)[yr - 2000]
    x1 = rng.normal(size=ent.size) + 0.5 * a
    x2 = rng.normal(size=ent.size) + 0.3 * g
    y = 1.0 * x1 - 0.5 * x2 + a + g + rng.normal(size=ent.size)
    return pd.DataFrame({"id": ent, "year": yr, "x1": x1, "x2": x2, "y": y})


def bench_fe(repeats: int = 3) -> pd.DataFrame:
    import pyfixest as pf
    from linearmodels.panel import PanelOLS

    df = fe_panel_data()
    indexed = df.set_index(["id", "year"])
    contenders = {
        "dp.panel(model='fe', effects='twoway', vcov='cluster')": lambda: dp.panel(
            "y ~ x1 + x2", df, entity="id", time="year", effects="twoway", vcov="cluster"
        ),
        "pyfixest.feols('y ~ x1 + x2 | id + year', vcov={'CRV1': 'id'})": lambda: pf.feols(
            "y ~ x1 + x2 | id + year", data=df, vcov={"CRV1": "id"}
        ).tidy(),
        "linearmodels PanelOLS(entity+time effects).fit(clustered)": lambda: PanelOLS(
            indexed.y, indexed[["x1", "x2"]], entity_effects=True, time_effects=True
        ).fit(cov_type="clustered", cluster_entity=True),
    }
    med = _median_times(contenders, repeats)
    ours = med[next(iter(contenders))]
    ours_res = dp.panel(
        "y ~ x1 + x2", df, entity="id", time="year", effects="twoway", vcov="cluster"
    )
    pf_res = pf.feols("y ~ x1 + x2 | id + year", data=df, vcov={"CRV1": "id"})
    agree = float(np.max(np.abs(ours_res.params.to_numpy() - pf_res.coef().to_numpy())))
    rows = [{"contender": k, "median_s": v, "ours_over_theirs": ours / v} for k, v in med.items()]
    out = pd.DataFrame(rows)
    out.attrs["max_abs_coef_diff_vs_pyfixest"] = agree
    return out


def wild_data(n: int = 100_000, G: int = 12, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, G, n)
    x1 = rng.normal(size=n) + rng.normal(size=G)[g]
    x2 = rng.normal(size=n)
    y = 0.02 * x1 + 0.1 * x2 + rng.normal(size=G)[g] + rng.normal(size=n)
    return pd.DataFrame({"g": g, "x1": x1, "x2": x2, "y": y})


def bench_wild(repeats: int = 3) -> pd.DataFrame:
    import statsmodels.api as sm
    from wildboottest.wildboottest import wildboottest

    df = wild_data()
    X = sm.add_constant(df[["x1", "x2"]])

    def theirs():
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return wildboottest(
                sm.OLS(df.y, X), B=9999, cluster=df.g, param="x1", seed=3, show=False
            )

    def ours():
        return dp.ols("y ~ x1 + x2", df, vcov="wild", cluster="g", reps=9999, seed=3)

    med = _median_times(
        {"dp.ols(vcov='wild'), all 3 coefficients + CIs": ours, "wildboottest(param='x1')": theirs},
        repeats,
    )
    first = next(iter(med.values()))
    out = pd.DataFrame(
        [{"contender": k, "median_s": v, "ours_over_theirs": first / v} for k, v in med.items()]
    )
    out.attrs["p_ours"] = float(ours().pvalues["x1"])
    out.attrs["p_theirs"] = float(theirs()["p-value"].iloc[0])
    return out


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    pd.set_option("display.max_colwidth", 80)
    fe = bench_fe()
    print("(a) two-way FE + clustered SEs, 1,000,000 rows (50,000 x 20)")
    print(fe.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"max |coef difference| vs pyfixest: {fe.attrs['max_abs_coef_diff_vs_pyfixest']:.2e}")
    r_pf, r_lm = fe.ours_over_theirs.iloc[1], fe.ours_over_theirs.iloc[2]
    print(
        f"target <= 1.2x pyfixest: {'met' if r_pf <= 1.2 else 'NOT met'} ({r_pf:.2f}x); "
        f"target <= 0.5x PanelOLS: {'met' if r_lm <= 0.5 else 'NOT met'} ({r_lm:.2f}x)"
    )
    print()
    wb = bench_wild()
    print("(b) wild cluster bootstrap, 9,999 draws, 100,000 rows, 12 clusters")
    print(wb.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(
        f"p-value of x1: disparity {wb.attrs['p_ours']:.4f}, wildboottest {wb.attrs['p_theirs']:.4f}"
    )
    speedup = 1 / wb.ours_over_theirs.iloc[1]
    print(
        f"target >= 10x faster than wildboottest: {'met' if speedup >= 10 else 'NOT met'} ({speedup:.1f}x)"
    )
