"""Speed of dp.regions.to_code on a 1,000,000-row column against the floor: a prepared dict mapped
with pandas (what a user who already had a name-to-code table would write).

The column mixes prefecture and county names, pinyin and province short names, ``n_unique``
distinct values in all; to_code resolves each distinct value once (with ``within=`` per row in the
second case) and broadcasts. Both sides are timed in the same run, best of three, and reported as a
ratio, since the machine is shared.

    python benchmarks/bench_regions.py [--rows 1000000] [--unique 3000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import disparity as dp


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--unique", type=int, default=3000)
    a = ap.parse_args()
    d = dp.regions.divisions()
    d = d[d["level"] != "province"]
    counts = d.groupby("region")["region_code"].transform("size")
    d = d[counts == 1].head(a.unique)  # names unique in the latest list, so no within= is needed
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(d), a.rows)
    names = pd.Series(d["region"].to_numpy()[pick])
    provs = pd.Series(d["province_code"].to_numpy()[pick])
    table = dict(zip(d["region"], d["region_code"], strict=True))
    dp.regions.to_code(names.iloc[:10])  # load the code table once, outside the timing
    floor = best_of(lambda: names.map(table))
    plain = best_of(lambda: dp.regions.to_code(names))
    within = best_of(lambda: dp.regions.to_code(names, within=provs))
    junk = pd.Series([f"Placeville{i}" for i in range(a.rows)]).iloc[pick % 1000]  # 1,000 unknown names
    coerce = best_of(lambda: dp.regions.to_code(junk, errors="coerce"))
    assert (dp.regions.to_code(names) == names.map(table)).all()
    print(f"| case ({a.rows:,} rows, {len(d):,} distinct names) | seconds | ratio to dict map |")
    print("|---|---:|---:|")
    print(f"| pandas Series.map(dict) (floor) | {floor:.3f} | 1.00 |")
    print(f"| dp.regions.to_code | {plain:.3f} | {plain / floor:.2f} |")
    print(f"| dp.regions.to_code(within=column) | {within:.3f} | {within / floor:.2f} |")
    print(f"| dp.regions.to_code, 1,000 distinct unknown names, errors='coerce' | {coerce:.3f} | {coerce / floor:.2f} |")


if __name__ == "__main__":
    main()
