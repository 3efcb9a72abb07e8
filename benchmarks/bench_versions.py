"""Before/after benchmark of the public calls: is any of them slower than at an earlier commit?

Issue 18 (one inference core) reworks the models under every public call; its acceptance asks that
no benchmark get more than 10% slower. The speed benchmarks of ``benchmarks/`` time the headline
cases against peers at full size; this script times a broad set of mid-size public calls (every
model family, the measures with SEs, survey descriptives, decompositions, DiD) in two checkouts of
the package, the current tree and ``--base`` (a commit, default the wave's starting point), and
reports each call's ratio.

Fairness on a loaded machine: both versions run in fresh subprocesses with one BLAS thread,
alternately (base, new, base, new, ...), and each call's figure is the minimum over all its runs of the
*process CPU time* (user + system) it took, beside the minimum wall time. A ratio above
:data:`SLOWER` marks a regression.

Run: ``python benchmarks/bench_versions.py --base <commit> [--rounds 3]``; it makes a temporary
``git worktree`` of the base commit and removes it afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: A call this much slower than at the base commit counts as a regression (issue 18 item 8).
SLOWER = 1.10
#: Repeats of each call inside one process (the minimum is kept).
REPEATS = 3
#: The commit this wave started from (issue 18's "before").
DEFAULT_BASE = "1bf9c6c"


def _workloads() -> dict[str, Callable[[], object]]:
    """Name -> zero-argument call, on data made once with fixed seeds (synthetic)."""
    import numpy as np
    import pandas as pd

    import disparity as dp

    rng = np.random.default_rng(20261201)
    n = 200_000
    g = rng.integers(0, 200, n)
    x1, x2, x3 = rng.normal(size=(3, n))
    urban = rng.integers(0, 2, n)
    y = 1 + 0.5 * x1 - 0.2 * x2 + 0.3 * urban + rng.normal(size=n) + rng.normal(size=200)[g]
    w = rng.uniform(0.5, 2.0, n)
    inc = np.exp(rng.normal(8 + 0.4 * urban, 0.8, n))
    df = pd.DataFrame({"y": y, "x1": x1, "x2": x2, "x3": x3, "urban": urban, "g": g, "w": w,
                       "inc": inc, "strat": g % 20, "psu": g,
                       "yr": rng.integers(2010, 2020, n)})
    df["z"] = df["x1"] + rng.normal(size=n)
    df["xe"] = 0.7 * df["z"] + 0.3 * rng.normal(size=n)
    p = 1 / (1 + np.exp(-(0.3 * x1 - 0.5 * x2 + 0.4 * urban)))
    df["b"] = (rng.uniform(size=n) < p).astype(int)
    df["o"] = np.digitize(y, [0, 1, 2])
    df["cnt"] = rng.poisson(np.exp(0.2 + 0.3 * x1))
    df["spend"] = np.where(df["b"] == 1, np.exp(6 + 0.3 * x1 + rng.normal(size=n)), 0.0)
    small = df.iloc[:20_000].copy()
    design = dp.SurveyDesign(weights="w", strata="strat", psu="psu")

    units, periods = 3000, 6
    uid = np.repeat(np.arange(units), periods)
    tt = np.tile(np.arange(periods), units)
    cohort = np.array([0, 3, 4, 5])[rng.integers(0, 4, units)][uid]
    xc = rng.normal(size=units)[uid]
    ydid = xc + 0.1 * tt + np.where((cohort > 0) & (tt >= cohort), 1.0, 0.0) + rng.normal(size=uid.size)
    pan = pd.DataFrame({"id": uid, "t": tt, "cohort": cohort, "xc": xc, "y": ydid})

    f = "y ~ x1 + x2 + x3 + urban"
    return {
        "ols HC1": lambda: dp.ols(f, df, vcov="HC1"),
        "ols cluster": lambda: dp.ols(f, df, vcov="cluster", cluster="g"),
        "ols survey design": lambda: dp.ols(f, df, design=design),
        "ols absorb two FE, cluster": lambda: dp.ols("y ~ x1 + x2", df, absorb=["g", "yr"],
                                                     vcov="cluster", cluster="g"),
        "ols wild 999": lambda: dp.ols("y ~ x1 + urban", small, vcov="wild", cluster="g", reps=999,
                                       seed=1, progress=False),
        "panel FE cluster": lambda: dp.panel("y ~ x1 + x2", df.drop_duplicates(["g", "yr"]),
                                             entity="g", time="yr", vcov="cluster", cluster="g"),
        "iv 2sls HC1": lambda: dp.iv("y ~ x2 + [xe ~ z]", df, vcov="HC1"),
        "logit HC1": lambda: dp.logit("b ~ x1 + x2 + urban", df, vcov="HC1"),
        "probit cluster": lambda: dp.probit("b ~ x1 + x2 + urban", df, vcov="cluster", cluster="g"),
        "ordered logit": lambda: dp.ordered("o ~ x1 + x2", small),
        "glm gamma": lambda: dp.glm("inc ~ x1 + urban", small, family="gamma", link="log"),
        "poisson HC1": lambda: dp.poisson("cnt ~ x1 + x2", df, vcov="HC1"),
        "negbin": lambda: dp.negbin("cnt ~ x1 + x2", small),
        "twopart": lambda: dp.twopart("spend ~ x1 + urban", small),
        "quantreg median": lambda: dp.quantreg("y ~ x1 + x2", small.iloc[:5000]),
        "gini SE": lambda: dp.gini(df, "inc", weights="w"),
        "concentration index SE": lambda: dp.concentration_index(df, "y", "inc", weights="w"),
        "theil decomposition SE": lambda: dp.theil(df, "inc", "urban", weights="w"),
        "atkinson design": lambda: dp.atkinson(df, "inc", design=design),
        "gap design by year": lambda: dp.gap(df, "inc", "urban", by="yr", design=design),
        "svy_mean by": lambda: dp.svy_mean(df, "inc", design=design, by="urban"),
        "oaxaca": lambda: dp.oaxaca("inc ~ x1 + x2", small, by="urban"),
        "fairlie 20 orderings": lambda: dp.fairlie("b ~ x1 + x2", small.iloc[:5000], by="urban",
                                                   reps=20, seed=1),
        "did CS doubly robust": lambda: dp.event_study(pan, "y", "id", "t", "cohort",
                                                       covariates=["xc"], reps=99, seed=1),
    }


#: Calls faster than this are batched so one timed batch lasts at least this long (seconds).
MIN_BATCH = 0.25


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _sys() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


def _selected(only: list[str] | None, exact: str | None = None) -> dict[str, Callable[[], object]]:
    """The workloads whose name contains one of ``only`` (all of them when ``only`` is empty), or
    the one named ``exact``."""
    loads = _workloads()
    if exact is not None:
        return {exact: loads[exact]}
    if not only:
        return loads
    picked = {k: v for k, v in loads.items() if any(o in k for o in only)}
    if not picked:
        raise SystemExit(f"--only {only} matches no call; the calls are: {sorted(loads)}")
    return picked


def child(out: Path, only: list[str] | None = None, exact: str | None = None) -> None:
    """Run every workload REPEATS times in this process; write min CPU and wall per workload."""
    warnings.simplefilter("ignore")
    results: dict[str, dict[str, float | str]] = {}
    for name, fn in _selected(only, exact).items():
        cpu, wall, sys_ = [], [], []
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                w0 = time.perf_counter()
                fn()  # warm-up: imports, caches; its time sizes the batches
                batch = max(1, int(MIN_BATCH / max(time.perf_counter() - w0, 1e-4)))
                for _ in range(REPEATS):
                    c0, w0, s0 = _cpu(), time.perf_counter(), _sys()
                    for _ in range(batch):
                        fn()
                    cpu.append((_cpu() - c0) / batch)
                    sys_.append((_sys() - s0) / batch)
                    wall.append((time.perf_counter() - w0) / batch)
            # system time (page faults, mostly) of the fastest repeat: on a loaded machine it
            # moves with the allocator's state more than with the code
            results[name] = {"cpu": min(cpu), "wall": min(wall), "sys": sys_[cpu.index(min(cpu))]}
        except Exception as exc:  # noqa: BLE001 - a call missing at one version is reported, not fatal
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
    out.write_text(json.dumps(results), encoding="utf-8")


_SYS_NOTE = ("`sys s`: the smallest system time (mostly page faults of fresh allocations) of "
             "a call; on a loaded machine it follows the allocator's state as much as the code.")

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def _run(tree: Path, out: Path, only: list[str] | None = None, exact: str | None = None) -> dict:
    # one BLAS/OpenMP thread: CPU time of multithreaded BLAS varies with the machine's load
    env = {**os.environ, "PYTHONPATH": str(tree), **dict.fromkeys(_THREAD_VARS, "1")}
    extra = [a for o in only or [] for a in ("--only", o)]
    if exact is not None:
        extra += ["--_exact", exact]
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--_child", str(out), *extra],
                   cwd=tree, env=env, check=True)
    return json.loads(out.read_text(encoding="utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default=DEFAULT_BASE, help="commit to compare with")
    ap.add_argument("--rounds", type=int, default=3, help="alternating runs of each version")
    ap.add_argument("--only", action="append", default=None, metavar="TEXT",
                    help="time only the calls whose name contains TEXT (repeatable); a filtered "
                         "run prints its table but does not rewrite results/versions.json")
    ap.add_argument("--isolate", action="store_true",
                    help="time each call in its own fresh process (no call inherits the heap, and "
                         "so the page faults, that the calls before it left)")
    ap.add_argument("--_child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--_exact", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._child:
        child(Path(args._child), args.only, args._exact)
        return
    names = list(_selected(args.only))  # fail early on a filter that matches nothing

    sys.path.insert(0, str(HERE))
    from _record import record

    base_sha = subprocess.run(["git", "rev-parse", "--short", args.base], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    head_sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    runs: dict[str, list[dict]] = {"base": [], "new": []}
    with tempfile.TemporaryDirectory() as tmp:
        wt = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(wt), base_sha], cwd=ROOT,
                       check=True)
        try:
            for r in range(args.rounds):
                for which, tree in (("base", wt), ("new", ROOT)):
                    print(f"round {r + 1}/{args.rounds}: {which}", flush=True)
                    if not args.isolate:
                        runs[which].append(_run(tree, Path(tmp) / f"{which}{r}.json", args.only))
                        continue
                    merged: dict = {}
                    for name in names:  # one fresh process per call
                        merged.update(_run(tree, Path(tmp) / f"{which}{r}.json", exact=name))
                    runs[which].append(merged)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(wt)], cwd=ROOT, check=False)

    def best(which: str, name: str, key: str) -> float | None:
        vals = [run[name][key] for run in runs[which] if key in run.get(name, {})]
        return min(vals) if vals else None

    rows, slower = [], []
    for name in runs["new"][0]:
        b_cpu, n_cpu = best("base", name, "cpu"), best("new", name, "cpu")
        b_wall, n_wall = best("base", name, "wall"), best("new", name, "wall")
        ratio = None if not (b_cpu and n_cpu) else n_cpu / b_cpu
        err = runs["new"][0][name].get("error") or runs["base"][0].get(name, {}).get("error")
        rows.append({"call": name, "base CPU s": b_cpu, "new CPU s": n_cpu,
                     "new/base CPU": ratio, "base wall s": b_wall, "new wall s": n_wall,
                     "base sys s": best("base", name, "sys"), "new sys s": best("new", name, "sys"),
                     "ok": None if ratio is None else ratio <= SLOWER, "error": err})
        if ratio is not None and ratio > SLOWER:
            slower.append(name)
    width = max(len(r["call"]) for r in rows)
    print(f"\n{'call':<{width}}  base CPU  new CPU  new/base   base wall  new wall")
    for r in rows:
        if r["new/base CPU"] is None:
            print(f"{r['call']:<{width}}  {r['error']}")
            continue
        print(f"{r['call']:<{width}}  {r['base CPU s']:8.3f} {r['new CPU s']:8.3f} "
              f"{r['new/base CPU']:8.2f}   {r['base wall s']:8.3f} {r['new wall s']:8.3f}")
    ratios = [r["new/base CPU"] for r in rows if r["new/base CPU"] is not None]
    print(f"\nslowest ratio {max(ratios):.2f}; calls more than {SLOWER:.2f}x slower: "
          f"{slower or 'none'}")
    if args.only:
        return  # a partial run must not replace the full table
    how = ("each call in its own fresh process" if args.isolate
           else "all calls in one process per version")
    record("versions_isolated" if args.isolate else "versions",
           f"Public calls at {head_sha} against {base_sha} (CPU time, min of "
           f"{args.rounds} alternating rounds x {REPEATS} repeats; {how})", rows,
           headline=[{"figure": f"slowest call, new/base CPU time ({head_sha} vs {base_sha}; "
                                f"{how})",
                      "value": max(ratios), "target": f"<= {SLOWER}",
                      "met": max(ratios) <= SLOWER}],
           notes=["Synthetic data with fixed seeds (see `_workloads`); ratios below 1 are faster.",
                  _SYS_NOTE])


if __name__ == "__main__":
    main()
