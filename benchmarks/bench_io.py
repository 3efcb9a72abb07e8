"""Benchmark: read_survey vs pandas.read_stata on the same labelled data from every writer (issue 17 item 10).

The same N x 50 frame (45 value-labelled satisfaction items coded 1-5, 5 doubles) is written three
ways, as researchers' files are:

* pandas ``to_stata(version=117)``: Stata 13 format, labels in GBK bytes (what Stata 13 on Chinese
  Windows wrote), int8 codes;
* pandas ``to_stata(version=118)``: Stata 14 format, UTF-8, int8 codes;
* pyreadstat ``write_dta(version=15)``: Stata 15 format 119, UTF-8, codes stored as int32.

Each reader runs in a fresh child process (``--repeat`` times; medians reported), so peak RSS is its
own: the child's peak resident set (``VmHWM``; ``ru_maxrss`` would carry over the parent's size at
the fork, which after writing the files is larger than the child's) minus its resident set after imports and one small warm-up read
(data/chifeng_survey.dta, so one-time set-up on first use is not counted), divided by the in-memory
size of the frame it returned. The time ratio is read_survey / pandas.read_stata (target <= 0.5);
CPU-time ratios are printed too because wall time on a loaded shared machine is noisy.

    python benchmarks/bench_io.py [--rows 500000] [--repeat 3] [--out benchmarks/IO.md]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

WORK = Path(__file__).resolve().parent / "_work"
ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
import pandas as pd
import disparity as dp
which, path, warm = sys.argv[1], sys.argv[2], sys.argv[3]
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()
# one small read first, so that imports and one-time set-up done on first use are not counted
(dp.read_survey if which == "disparity" else pd.read_stata)(warm)
base = rss()
c0 = time.process_time(); t = time.perf_counter()
if which == "disparity":
    df = dp.read_survey(path)
else:
    df = pd.read_stata(path)
dt = time.perf_counter() - t; cpu = time.process_time() - c0
with open("/proc/self/status") as fh:  # VmHWM: this process image's own high-water mark
    peak = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))
print(json.dumps({"seconds": dt, "cpu": cpu, "peak": peak, "base": base,
                  "frame": int(df.memory_usage(deep=True).sum()), "shape": list(df.shape)}))
"""

LABELS = {1: "很不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "很满意"}


def frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(20261122)
    data = {f"q{i:02d}": rng.integers(1, 6, rows).astype(np.int8) for i in range(45)}
    for i in range(5):
        data[f"x{i}"] = rng.normal(size=rows)
    return pd.DataFrame(data)


def make_files(rows: int) -> dict[str, Path]:
    WORK.mkdir(exist_ok=True)
    paths = {w: WORK / f"labelled_{rows}x50_{w}.dta" for w in ("pandas-117", "pandas-118", "pyreadstat-119")}
    if all(p.exists() for p in paths.values()):
        return paths
    df = frame(rows)
    items = [c for c in df.columns if c.startswith("q")]
    gbk = {k: v.encode("gbk").decode("latin-1") for k, v in LABELS.items()}
    df.to_stata(paths["pandas-117"], version=117, write_index=False, value_labels={c: gbk for c in items})
    df.to_stata(paths["pandas-118"], version=118, write_index=False, value_labels={c: LABELS for c in items})
    import pyreadstat

    pyreadstat.write_dta(df, paths["pyreadstat-119"], version=15, variable_value_labels={c: LABELS for c in items})
    for w, p in paths.items():
        fmt = int(p.read_bytes()[28:31])
        assert str(fmt) == w.split("-")[1], (w, fmt)
    return paths


def run(which: str, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    warm = ROOT / "data" / "chifeng_survey.dta"
    out = subprocess.run([sys.executable, "-c", CHILD, which, str(path), str(warm)], check=True, capture_output=True,
                         text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="also write the table (Markdown) here")
    args = ap.parse_args()
    paths = make_files(args.rows)
    lines = [
        f"{args.rows:,} rows x 50 columns (45 value-labelled, 5 double); medians of {args.repeat} runs, "
        f"each in a fresh process; load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        "",
        "| writer | format | file MB | read_survey s | pandas s | ratio (wall) | ratio (CPU) "
        "| peak/frame read_survey | peak/frame pandas |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    table, headline = [], []
    for writer, path in paths.items():
        res = {}
        for which in ("disparity", "pandas"):
            runs = []
            for _ in range(args.repeat):  # alternate readers' runs would be fairer still; medians suffice
                runs.append(run(which, path))
            res[which] = {k: float(np.median([r[k] for r in runs])) for k in ("seconds", "cpu")}
            res[which]["extra"] = float(np.median([r["peak"] - r["base"] for r in runs]))
            res[which]["extra_max"] = float(max(r["peak"] - r["base"] for r in runs))
            res[which]["frame"] = runs[0]["frame"]
        d, p = res["disparity"], res["pandas"]
        lines.append(
            f"| {writer.split('-')[0]} | {writer.split('-')[1]} | {path.stat().st_size / 1e6:.0f} | {d['seconds']:.3f} "
            f"| {p['seconds']:.3f} | {d['seconds'] / p['seconds']:.2f} | {d['cpu'] / p['cpu']:.2f} "
            f"| {d['extra'] / d['frame']:.2f} (max {d['extra_max'] / d['frame']:.2f}) "
            f"| {p['extra'] / p['frame']:.2f} (max {p['extra_max'] / p['frame']:.2f}) |"
        )
        table.append({"writer": writer, "read_survey s": d["seconds"], "pandas s": p["seconds"],
                      "ratio (wall)": d["seconds"] / p["seconds"], "ratio (CPU)": d["cpu"] / p["cpu"],
                      "peak/frame read_survey": d["extra"] / d["frame"],
                      "peak/frame pandas": p["extra"] / p["frame"]})
        headline += [
            {"figure": f"read_survey / pandas.read_stata, {writer} (wall)",
             "value": d["seconds"] / p["seconds"], "target": "<= 0.5",
             "met": d["seconds"] / p["seconds"] <= 0.5},
            {"figure": f"read_survey peak RSS / frame, {writer}", "value": d["extra"] / d["frame"],
             "target": "<= 1.5", "met": d["extra"] / d["frame"] <= 1.5}]
    text = "\n".join(lines)
    print(text)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _record import record

    record("io", lines[0], table, headline=headline)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
