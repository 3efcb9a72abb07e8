"""Issue 21 (item 7) speed benchmark: rebuilding the three demo reports with the build cache.

Builds analyses/{chifeng,gansu,national}/report.toml (as ``disparity demo`` does) three ways, in
one process after the imports: in full without a cache, into an empty cache (first build), and
again from the warm cache (nothing changed; target <= 2 s for the three). Also times the warm
rebuild through the command line (three ``disparity report`` processes: interpreter start and
imports included), and checks that the cached rebuild is byte-identical to the full build (with
``SOURCE_DATE_EPOCH`` fixed, so the manifest's time matches too). The table goes to
``benchmarks/CACHE.md``.

Run: ``python benchmarks/bench_cache.py``
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("chifeng", "gansu", "national")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def main() -> None:
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    work = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    os.environ["DISPARITY_CACHE_DIR"] = str(work / "cache")
    t0 = time.perf_counter()
    from disparity.reports.cache import BuildCache
    from disparity.reports.pipeline import load_analysis, run_analysis

    t_import = time.perf_counter() - t0

    def build(tag: str, cache: bool) -> float:
        t = time.perf_counter()
        for n in NAMES:
            run_analysis(load_analysis(ROOT / "analyses" / n / "report.toml"), output=work / tag / n,
                         cache=BuildCache() if cache else False)
        return time.perf_counter() - t

    full = build("full", False)
    cold = build("cached", True)
    warm = build("cached", True)
    identical = all(_files(work / "full" / n) == _files(work / "cached" / n) for n in NAMES)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    for n in NAMES:
        subprocess.run([sys.executable, "-m", "disparity.cli", "report", str(ROOT / "analyses" / n / "report.toml"),
                        "--out", str(work / "cached" / n)], env=env, check=True, capture_output=True)
    cli = time.perf_counter() - t
    rows = [("full build, no cache", full), ("first build into an empty cache", cold),
            ("unchanged rebuild from the cache", warm),
            ("unchanged rebuild, 3 CLI processes (start + imports included)", cli)]
    lines = [f"# Build cache: the three demo reports ({date.today().isoformat()})", "",
             f"Python {sys.version.split()[0]}, {platform.platform()}, load average {os.getloadavg()[0]:.1f} "
             f"at the end; imports of the pipeline: {t_import:.1f} s "
             "(not in the in-process rows). Script: `benchmarks/bench_cache.py`.", "",
             "| build | seconds | vs full |", "|---|---:|---:|"]
    lines += [f"| {name} | {sec:.2f} | {sec / full:.3f}x |" for name, sec in rows]
    lines += ["", f"Cached rebuild byte-identical to the full build (every file, manifest included): {identical}.", ""]
    (ROOT / "benchmarks" / "CACHE.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
