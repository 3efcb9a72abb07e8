"""Benchmark: read_survey vs pandas.read_stata on a large labelled .dta (issue 2).

Writes a 1,000,000 x 50 Stata 118 file (45 value-labelled int8 columns, 5 doubles) once under
benchmarks/_work/, then in one run times each reader (median of --repeat runs, each in a fresh child
process so peak RSS is the reader's own) and prints wall-time ratios and peak RSS relative to the
in-memory size of the frame.

    python benchmarks/bench_io.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

WORK = Path(__file__).resolve().parent / "_work"

CHILD = r"""
import json, resource, sys, time
import pandas as pd
import disparity as dp
import pyreadstat
which, path = sys.argv[1], sys.argv[2]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
if which == "disparity":
    import disparity as dp
    t = time.perf_counter(); df = dp.read_survey(path); dt = time.perf_counter() - t
elif which == "pandas":
    t = time.perf_counter(); df = pd.read_stata(path); dt = time.perf_counter() - t
elif which == "pyreadstat":
    import pyreadstat
    t = time.perf_counter(); df, _ = pyreadstat.read_dta(path, apply_value_formats=True); dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": dt, "peak": peak, "base": base, "frame": int(df.memory_usage(deep=True).sum())}))
"""



def make_file(rows: int) -> Path:
    path = WORK / f"labelled_{rows}x50.dta"
    if path.exists():
        return path
    WORK.mkdir(exist_ok=True)
    rng = np.random.default_rng(20261122)
    data = {f"q{i:02d}": rng.integers(1, 6, rows).astype(np.int8) for i in range(45)}
    for i in range(5):
        data[f"x{i}"] = rng.normal(size=rows)
    df = pd.DataFrame(data)
    labels = {f"q{i:02d}": {1: "很不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "很满意"} for i in range(45)}
    df.to_stata(path, version=118, write_index=False, value_labels=labels)
    return path


def run(which: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, which, str(path)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pyreadstat", action="store_true", help="also time pyreadstat (slow)")
    args = ap.parse_args()
    path = make_file(args.rows)
    readers = ["disparity", "pandas"] + (["pyreadstat"] if args.pyreadstat else [])
    results = {}
    for which in readers:
        runs = [run(which, path) for _ in range(args.repeat)]
        secs = float(np.median([r["seconds"] for r in runs]))
        peak = float(np.median([r["peak"] for r in runs]))
        base = float(np.median([r["base"] for r in runs]))
        results[which] = {"seconds": secs, "peak": peak, "base": base, "frame": runs[0]["frame"]}
    ref = results["pandas"]["seconds"]
    print(f"file: {path.name} ({path.stat().st_size / 1e6:.0f} MB), {args.rows:,} rows x 50 columns "
          "(45 labelled int8, 5 double)")
    print(f"{'reader':<12}{'seconds':>10}{'x pandas':>10}{'peak RSS-base MB':>18}{'frame MB':>10}{'peak/frame':>12}")
    for which, r in results.items():
        extra = r["peak"] - r["base"]
        print(f"{which:<12}{r['seconds']:>10.3f}{r['seconds'] / ref:>10.2f}{extra / 1e6:>18.0f}"
              f"{r['frame'] / 1e6:>10.0f}{extra / r['frame']:>12.2f}")


if __name__ == "__main__":
    main()
