"""Issue 22 (item 4): peak memory of the regressions, measured in a child process per case.

Each case runs in a fresh ``python`` child: it imports disparity, warms the code path on a small
frame (so lazy imports are paid before the baseline), reads its resident set (``VmRSS``), builds
the ``n x 4`` frame (y, x1, x2 and an integer cluster column ``g``; float64 / int64, 8 bytes a
cell; the frame takes its arrays over, ``copy=False``, so building it never holds them twice)
and fits once. The parent collects the child's peak RSS from the kernel (``os.wait4``, the
child's own ``ru_maxrss`` -- the figure ``resource.getrusage(RUSAGE_CHILDREN)`` reports for a
single child). The table gives

* ``peak / frame``: (peak RSS - RSS before the frame existed) / bytes of the frame, i.e. the frame
  itself (1x) plus everything the fit allocated at its peak (target <= 2: no n x k copy beyond
  the design);
* ``fit extra / frame``: the same without the frame (peak - RSS with the frame built).

Also ``dp.ols(absorb=...)`` (two fixed effects; the frame then has the two effect columns as well).

Run: ``python benchmarks/bench_memory.py [--rows N]`` (default 5,000,000).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # benchmarks/_record.py

CASES = {
    "dp.ols HC1": "dp.ols('y ~ x1 + x2', df, vcov='HC1')",
    "dp.ols cluster": "dp.ols('y ~ x1 + x2', df, vcov='cluster', cluster='g', few_clusters='analytic')",
    "dp.logit HC1": "dp.logit('b ~ x1 + x2', df, vcov='HC1')",
    "dp.logit cluster": "dp.logit('b ~ x1 + x2', df, vcov='cluster', cluster='g')",
    "dp.ols absorb=[g, h] HC1": "dp.ols('y ~ x1 + x2', df, absorb=['g', 'h'], vcov='HC1')",
}

CHILD = r"""
import json, sys, time, warnings
import numpy as np, pandas as pd
import disparity as dp

def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) * 1024
    return 0

def frame(n, binary, absorb, seed=0):
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    g = rng.integers(0, max(n // 1000, 50), n)
    cols = {'x1': x1, 'x2': x2, 'g': g}
    eta = 0.5 * x1 - 0.25 * x2
    if binary:
        cols['b'] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(np.float64)
    else:
        cols['y'] = eta + rng.normal(size=n)
    if absorb:
        cols['h'] = rng.integers(0, 20, n)
        cols['y'] = cols['y'] + 0.1 * cols['h']
    del eta
    # copy=False: the frame takes the arrays over, so building it never holds the data twice
    # (otherwise that transient, 2x the frame, would be the peak whatever the fit does)
    return pd.DataFrame(cols, copy=False)

n, expr = int(sys.argv[1]), sys.argv[2]
binary, absorb = 'logit' in expr, 'absorb' in expr
warnings.simplefilter('ignore')
df = frame(2_000, binary, absorb, seed=1)
eval(expr)  # warm-up: imports and first-call costs before the baseline
del df
base = rss()
df = frame(n, binary, absorb)
nbytes = int(df.memory_usage(index=False, deep=True).sum())
with_frame = rss()
c0 = time.process_time(); t0 = time.perf_counter()
r = eval(expr)
cpu, wall = time.process_time() - c0, time.perf_counter() - t0
print(json.dumps({'base': base, 'with_frame': with_frame, 'frame_bytes': nbytes,
                  'ncols': df.shape[1], 'cpu': cpu, 'wall': wall,
                  'params': [float(v) for v in r.params]}))
"""


def measure(n: int, expr: str) -> dict:
    """Run one case in a child and return its figures with the child's peak RSS (``wait4``)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE.parent) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    r, w = os.pipe()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(n), expr], stdout=w,
                            stderr=subprocess.DEVNULL, env=env)
    os.close(w)
    with os.fdopen(r) as fh:
        out = fh.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"child failed ({proc.returncode}) for {expr}")
    res = json.loads(out.strip().splitlines()[-1])
    res["peak"] = usage.ru_maxrss * 1024  # kilobytes on Linux
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--only", default=None, help="run only the cases whose name contains this")
    args = ap.parse_args()
    rows = []
    for name, expr in CASES.items():
        if args.only and args.only not in name:
            continue
        m = measure(args.rows, expr)
        fb = m["frame_bytes"]
        rows.append({
            "case": name, "frame columns": m["ncols"], "frame MiB": fb / 2**20,
            "peak RSS MiB": m["peak"] / 2**20,
            "peak / frame": (m["peak"] - m["base"]) / fb,
            "fit extra / frame": (m["peak"] - m["with_frame"]) / fb,
            "CPU s": m["cpu"], "wall s": m["wall"],
        })
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    text = (f"# Peak memory of the regressions, {args.rows:,} rows\n\n"
            + table.to_markdown(index=False, floatfmt=".3g") + "\n")
    (HERE / "MEMORY.md").write_text(text)
    print(text)
    from _record import record

    headline = [{"figure": f"{r['case']}: peak RSS / frame, {args.rows:,} rows",
                 "value": r["peak / frame"], "target": "<= 2", "met": r["peak / frame"] <= 2}
                for r in rows if "absorb" not in r["case"]]
    record("memory", f"Peak RSS of dp.ols / dp.logit on {args.rows:,} x 4 (child process per case)",
           table, headline=headline,
           notes=["peak / frame = (child's peak RSS - its RSS before the frame was built) / frame "
                  "bytes; the frame itself counts 1x."])


if __name__ == "__main__":
    main()
