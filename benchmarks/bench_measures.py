"""Speed of the rank-based and decomposable measures on 10,000,000 weighted rows.

Compares, side by side in one run, dp.gini / dp.concentration_index (with SE) / dp.theil with an
urban-rural decomposition against the floor for rank-based indices (one ``numpy.argsort`` of the
same column) and against pysal ``inequality`` where it has the measure (its Gini and TheilD are
unweighted and give no standard error, so they do strictly less work).

The machine is shared and timings are noisy, so every round times every task once, in turn, and
the table reports the best time per task and the median over rounds of the per-round ratio, both
for wall time and for the process's CPU time (``time.process_time``: on a loaded machine the wall
time mostly measures the other processes). The headline figures (issue 22, item 3: Gini and
concentration index with SE <= 1.2x one argsort; Theil with decomposition and SE <= 1x) go to
``benchmarks/results/measures.json`` through ``_record.record``.

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


#: The issue's targets: ratio to one numpy.argsort of the column (issue 22, item 3).
TARGETS = {
    "dp.gini weighted, analytic SE": ("Gini, weighted, SE", 1.2),
    "dp.concentration_index weighted, analytic SE": ("concentration index, weighted, SE", 1.2),
    "dp.theil weighted, urban/rural decomposition, SE": (
        "Theil, weighted, urban/rural decomposition, SE", 1.0),
}


def _clock(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


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
    cpus: dict[str, list[float]] = {name: [] for name in tasks}
    for _ in range(rounds):
        for name, (fn, _peer) in tasks.items():
            wall, cpu = _clock(fn)
            times[name].append(wall)
            cpus[name].append(cpu)

    def ratio(name: str, other: str, of: dict[str, list[float]]) -> float:
        return statistics.median(a / b for a, b in zip(of[name], of[other], strict=True))

    print(f"n = {n:,} rows, {rounds} rounds; best wall and CPU time, and median per-round ratio "
          "to numpy.argsort and to the pysal peer (wall | CPU)")
    print(f"{'task':58s} {'wall s':>7s} {'CPU s':>7s} {'/argsort':>9s} {'CPU/argsort':>12s} "
          f"{'/pysal':>7s} {'CPU/pysal':>10s}")
    table = []
    for name, (_fn, peer) in tasks.items():
        row = {"task": name, "wall s": min(times[name]), "CPU s": min(cpus[name]),
               "x argsort": ratio(name, FLOOR, times), "CPU x argsort": ratio(name, FLOOR, cpus),
               "x pysal": ratio(name, peer, times) if peer in times else None,
               "CPU x pysal": ratio(name, peer, cpus) if peer in times else None}
        table.append(row)
        peer_txt = (f"{row['x pysal']:7.2f} {row['CPU x pysal']:10.2f}" if peer in times
                    else f"{'':7s} {'':10s}")
        print(f"{name:58s} {row['wall s']:7.3f} {row['CPU s']:7.3f} {row['x argsort']:9.2f} "
              f"{row['CPU x argsort']:12.2f} {peer_txt}")
    headline = []
    for name, (figure, target) in TARGETS.items():
        for kind, of in (("CPU", cpus), ("wall", times)):
            value = ratio(name, FLOOR, of)
            headline.append({"figure": f"{figure} / one numpy.argsort ({kind} time)",
                             "value": value, "target": f"<= {target:g}", "met": value <= target})
    from _record import record

    record("measures", f"Rank-based and decomposable measures on {n:,} weighted rows: ratio to one "
           f"numpy.argsort of the column (the floor of a rank-based index), median of {rounds} "
           "interleaved rounds.", table, headline=headline,
           notes=["CPU time is time.process_time() of this process; on a shared machine it is the "
                  "figure that compares like with like, the wall-time ratios are given beside it.",
                  "pysal inequality's Gini and TheilD are unweighted and give no standard error."])

if __name__ == "__main__":
    main()
