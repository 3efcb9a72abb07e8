"""Speed of the rank-based and decomposable measures on 10,000,000 weighted rows.

Compares, side by side in one run, dp.gini / dp.concentration_index (with SE) / dp.theil with an
urban-rural decomposition against the floor for rank-based indices (one ``numpy.argsort`` of the
same column) and against pysal ``inequality`` where it has the measure (its Gini and TheilD are
unweighted and give no standard error, so they do strictly less work).

The machine is shared and timings are noisy, so every round times every task once, in turn, and
the table reports the best time per task and the median over rounds of the per-round ratio.

Run:  python benchmarks/bench_measures.py [n_rows] [rounds]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

import disparity as dp

FLOOR = "numpy.argsort(y) [floor]"
PYSAL_GINI = "pysal inequality Gini (unweighted, no SE)"
PYSAL_THEIL = "pysal inequality TheilD (unweighted, no SE)"


def _clock(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rng = np.random.default_rng(20261122)
    df = pd.DataFrame({
        "y": rng.lognormal(7.0, 1.0, n),
        "x": rng.lognormal(9.0, 0.8, n),
        "w": rng.uniform(50.0, 500.0, n),
        "urban": rng.integers(0, 2, n).astype(np.int8),
    })
    y = df["y"].to_numpy()
    tasks: dict[str, tuple[Callable[[], object], str | None]] = {
        FLOOR: (lambda: np.argsort(y), None),
        "dp.gini weighted, analytic SE": (lambda: dp.gini(df, "y", weights="w"), PYSAL_GINI),
        "dp.gini weighted, se='none'": (lambda: dp.gini(df, "y", weights="w", se="none"),
                                        PYSAL_GINI),
        "dp.gini unweighted, analytic SE": (lambda: dp.gini(df, "y"), PYSAL_GINI),
        "dp.concentration_index weighted, analytic SE": (
            lambda: dp.concentration_index(df, "y", "x", weights="w"), None),
        "dp.theil weighted, urban/rural decomposition, SE": (
            lambda: dp.theil(df, "y", "urban", weights="w"), PYSAL_THEIL),
        "dp.theil weighted, urban/rural decomposition, se='none'": (
            lambda: dp.theil(df, "y", "urban", weights="w", se="none"), PYSAL_THEIL),
    }
    try:
        from inequality.gini import Gini
        from inequality.theil import TheilD

        urban = df["urban"].to_numpy()
        tasks[PYSAL_GINI] = (lambda: Gini(y), None)
        tasks[PYSAL_THEIL] = (lambda: TheilD(y, urban), None)
    except ImportError:
        print("pysal inequality not installed; peer rows skipped (pip install inequality)")
    times: dict[str, list[float]] = {name: [] for name in tasks}
    for _ in range(rounds):
        for name, (fn, _peer) in tasks.items():
            times[name].append(_clock(fn))

    def ratio(name: str, other: str) -> float:
        return statistics.median(a / b for a, b in zip(times[name], times[other], strict=True))

    print(f"n = {n:,} rows, {rounds} rounds; best time, and median per-round ratio "
          "to numpy.argsort and to the pysal peer")
    print(f"{'task':58s} {'best s':>7s} {'/argsort':>9s} {'/pysal':>7s}")
    for name, (_fn, peer) in tasks.items():
        vs_peer = f"{ratio(name, peer):7.2f}" if peer in times else f"{'':7s}"
        print(f"{name:58s} {min(times[name]):7.3f} {ratio(name, FLOOR):9.2f} {vs_peer}")


if __name__ == "__main__":
    main()
