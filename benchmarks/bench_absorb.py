"""Issue 22 (item 1) speed benchmark: absorbing fixed effects, dp vs pyfixest, one run side by side.

(a) Two-way fixed effects + entity-clustered SEs, 1,000,000 rows (50,000 entities x 20 years):
    ``dp.ols(absorb=["id", "year"])`` and ``dp.panel(effects="twoway")`` vs
    ``pyfixest.feols("y ~ x1 + x2 | id + year")`` (target <= 0.3x pyfixest).
(b) Three high-dimensional fixed effects (pyfixest's benchmark design: worker, firm and year
    effects drawn at random), ``n`` rows (default 1,000,000; the issue's 10,000,000 with ``--big``):
    ``dp.ols(absorb=[...])`` vs pyfixest (target <= 0.5x).

Both sides demean to a tight tolerance (pyfixest ``fixef_tol=1e-8``, its default; ours 1e-13),
and the coefficients are compared. Timings are medians of interleaved repeats after one warm-up
call each (numba compilation for pyfixest). The table is written to ``benchmarks/ABSORB.md``.

Run: ``python benchmarks/bench_absorb.py [--big]`` (needs the ``bench`` extra: pyfixest).
"""

from __future__ import annotations

import platform
import sys
import time
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

import disparity as dp


def _median_times(contenders: dict, repeats: int) -> dict[str, float]:
    for fn in contenders.values():
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


def twoway_data(n_entities: int = 50_000, n_years: int = 20, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ent = np.repeat(np.arange(n_entities), n_years)
    yr = np.tile(np.arange(n_years), n_entities)
    a = rng.normal(size=n_entities)[ent]
    g = rng.normal(size=n_years)[yr]
    x1 = rng.normal(size=ent.size) + 0.5 * a
    x2 = rng.normal(size=ent.size) + 0.3 * g
    y = x1 - 0.5 * x2 + a + g + rng.normal(size=ent.size)
    return pd.DataFrame({"id": ent, "year": yr, "x1": x1, "x2": x2, "y": y})


def three_fe_data(n: int, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    worker = rng.integers(0, n // 10, n)
    firm = rng.integers(0, n // 100, n)
    year = rng.integers(0, 20, n)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    y = (
        x1 - 0.5 * x2 + rng.normal(size=n // 10)[worker] + rng.normal(size=n // 100)[firm]
        + rng.normal(size=20)[year] + rng.normal(size=n)
    )
    return pd.DataFrame({"worker": worker, "firm": firm, "year": year, "x1": x1, "x2": x2, "y": y})


def _pf(fml, df, vcov):
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(fml, data=df, vcov=vcov)


def run(big: bool, repeats: int = 3) -> pd.DataFrame:
    rows = []
    df = twoway_data()
    c = {
        "pyfixest feols | id + year, CRV1 id": lambda: _pf("y ~ x1 + x2 | id + year", df, {"CRV1": "id"}),
        "dp.ols(absorb=[id, year], cluster=id)": lambda: dp.ols(
            "y ~ x1 + x2", df, absorb=["id", "year"], vcov="cluster", cluster="id",
            few_clusters="analytic",
        ),
        "dp.panel(effects=twoway, cluster)": lambda: dp.panel(
            "y ~ x1 + x2", df, entity="id", time="year", effects="twoway", vcov="cluster"
        ),
    }
    t = _median_times(c, repeats)
    ref = _pf("y ~ x1 + x2 | id + year", df, {"CRV1": "id"}).coef().to_numpy()
    ours = dp.ols("y ~ x1 + x2", df, absorb=["id", "year"]).params.to_numpy()
    base = t["pyfixest feols | id + year, CRV1 id"]
    for k, v in t.items():
        rows.append({"case": "two-way FE + cluster, 1,000,000 rows", "contender": k,
                     "seconds": v, "ratio_to_pyfixest": v / base,
                     "max_abs_coef_diff": float(np.max(np.abs(ours - ref)))})
    n = 10_000_000 if big else 1_000_000
    df3 = three_fe_data(n)
    fml = "y ~ x1 + x2 | worker + firm + year"
    c3 = {
        "pyfixest feols | worker + firm + year, hetero": lambda: _pf(fml, df3, "hetero"),
        "dp.ols(absorb=[worker, firm, year], HC1)": lambda: dp.ols(
            "y ~ x1 + x2", df3, absorb=["worker", "firm", "year"], vcov="HC1"
        ),
    }
    t3 = _median_times(c3, max(1, repeats - 1))
    ref3 = _pf(fml, df3, "hetero").coef().to_numpy()
    ours3 = dp.ols("y ~ x1 + x2", df3, absorb=["worker", "firm", "year"]).params.to_numpy()
    base3 = t3["pyfixest feols | worker + firm + year, hetero"]
    for k, v in t3.items():
        rows.append({"case": f"three high-dimensional FE, {n:,} rows", "contender": k,
                     "seconds": v, "ratio_to_pyfixest": v / base3,
                     "max_abs_coef_diff": float(np.max(np.abs(ours3 - ref3)))})
    return pd.DataFrame(rows)


def main() -> None:
    import pyfixest

    big = "--big" in sys.argv
    out = run(big)
    head = (
        f"# Absorbed fixed effects vs pyfixest\n\n{date.today()} · Python {platform.python_version()} · "
        f"disparity {dp.__version__} · pyfixest {pyfixest.__version__} · {platform.machine()}, "
        f"{__import__('os').cpu_count()} cores\n\n"
    )
    table = out.to_markdown(index=False, floatfmt=".3g")
    Path(__file__).with_name("ABSORB.md").write_text(head + table + "\n")
    print(head + table)


if __name__ == "__main__":
    main()
