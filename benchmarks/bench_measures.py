"""Speed of the rank-based and decomposable measures on 10,000,000 weighted rows.

Compares, in one run and side by side, dp.gini / dp.concentration_index (with SE) / dp.theil with
an urban-rural decomposition against the floor for rank-based indices (one ``numpy.argsort`` of
the same column) and against pysal ``inequality`` where it has the measure (its Gini and TheilD
are unweighted, so they do strictly less work). Prints a table of times and ratios.

Run:  python benchmarks/bench_measures.py [n_rows] [repeats]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

import disparity as dp


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    rng = np.random.default_rng(20261122)
    df = pd.DataFrame({
        "y": rng.lognormal(7.0, 1.0, n),
        "x": rng.lognormal(9.0, 0.8, n),
        "w": rng.uniform(50.0, 500.0, n),
        "urban": rng.integers(0, 2, n).astype(np.int8),
    })
    y = df["y"].to_numpy()
    rows = []
    t_sort = best_of(lambda: np.argsort(y), repeats)
    rows.append(("numpy.argsort(y) [floor]", t_sort))
    rows.append(("dp.gini weighted, analytic SE",
                 best_of(lambda: dp.gini(df, "y", weights="w"), repeats)))
    rows.append(("dp.gini weighted, se='none'",
                 best_of(lambda: dp.gini(df, "y", weights="w", se="none"), repeats)))
    rows.append(("dp.concentration_index weighted, analytic SE",
                 best_of(lambda: dp.concentration_index(df, "y", "x", weights="w"), repeats)))
    rows.append(("dp.theil weighted by urban, analytic SE",
                 best_of(lambda: dp.theil(df, "y", "urban", weights="w"), repeats)))
    rows.append(("dp.theil weighted by urban, se='none'",
                 best_of(lambda: dp.theil(df, "y", "urban", weights="w", se="none"), repeats)))
    try:
        from inequality.gini import Gini
        from inequality.theil import TheilD

        urban = df["urban"].to_numpy()
        rows.append(("pysal inequality Gini (unweighted)", best_of(lambda: Gini(y), repeats)))
        rows.append(("pysal inequality TheilD (unweighted)",
                     best_of(lambda: TheilD(y, urban), repeats)))
    except ImportError:
        print("pysal inequality not installed; peer rows skipped (pip install inequality)")
    peers = dict(rows)
    print(f"n = {n:,} rows, best of {repeats}; ratios relative to numpy.argsort and to pysal")
    print(f"{'task':50s} {'seconds':>8s} {'/argsort':>9s} {'/pysal':>8s}")
    for name, t in rows:
        peer = None
        if name.startswith("dp.gini"):
            peer = peers.get("pysal inequality Gini (unweighted)")
        elif name.startswith("dp.theil"):
            peer = peers.get("pysal inequality TheilD (unweighted)")
        vs_peer = f"{t / peer:8.2f}" if peer else f"{'':8s}"
        print(f"{name:50s} {t:8.3f} {t / t_sort:9.2f} {vs_peer}")


if __name__ == "__main__":
    main()
