"""Speed of dp.benefits reimbursement and composite indices against named peers.

Peers: a claim-by-claim Python loop with running totals (the obvious way to code the rules) for
reimbursement; pymcdm (if installed) for TOPSIS and entropy weights. Each comparison is timed side
by side in one run (best of several repeats) and reported as a ratio, since the machine is shared.

    python benchmarks/bench_benefits.py [--claims 20000]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd

import disparity as dp
from disparity import benefits


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def make_claims(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    levels = ["township_health_center", "level1_hospital", "level2_hospital", "level3_hospital"]
    return pd.DataFrame({
        "person_id": rng.integers(0, n // 4 + 1, n),
        "cost": np.round(rng.lognormal(8.5, 1.2, n), 2),
        "scope_share": rng.choice([0.7, 0.8, 0.9, 1.0], n),
        "level": rng.choice(levels, n),
        "group": rng.choice(["general", "poor_and_special_groups"], n, p=[0.9, 0.1]),
    })


def loop_reimburse(s: benefits.Schedule, df: pd.DataFrame) -> np.ndarray:
    """Peer: claim-by-claim loop with per-person running totals (no group rules)."""
    ci = s.critical_illness
    totals: dict = {}
    out = np.empty(len(df))
    for i, (pid, cost, share, level) in enumerate(
        zip(df["person_id"], df["cost"], df["scope_share"], df["level"], strict=True)
    ):
        acc = totals.setdefault(pid, [0.0, 0.0, 0.0])
        e = cost * share
        b = min(max(e - s.deductible[level], 0.0) * s.rate[level], max(s.ceiling - acc[0], 0.0))
        acc[0] += b
        before = acc[1]
        acc[1] += e - b
        due = ci.segments[0][1] * (max(acc[1] - ci.threshold, 0.0) - max(before - ci.threshold, 0.0))
        c = min(due, max(ci.ceiling - acc[2], 0.0))
        acc[2] += c
        out[i] = b + c
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=20000)
    args = ap.parse_args()
    rows = []

    s = benefits.load_schedule("jiamusi_2018_urrbmi")
    claims = make_claims(args.claims)
    plain = claims.drop(columns="group")
    ours = best_of(lambda: s.reimburse(plain))
    peer = best_of(lambda: loop_reimburse(s, plain), repeat=1)
    assert np.allclose(s.reimburse(plain).claims["reimbursed"], loop_reimburse(s, plain))
    rows.append(("reimburse", f"{args.claims} claims", "python loop", ours, peer))

    try:
        from pymcdm import normalizations, weights
        from pymcdm.methods import TOPSIS
    except ImportError:
        print("pymcdm not installed: composite comparisons skipped")
    else:
        rng = np.random.default_rng(1)
        for n, k in ((31, 8), (5000, 20)):
            X = pd.DataFrame(rng.uniform(1, 100, (n, k)), columns=[f"x{j}" for j in range(k)])
            cols = list(X.columns)
            M = X.to_numpy()
            w = np.full(k, 1 / k)
            t = TOPSIS(normalization_function=normalizations.vector_normalization)
            rows.append(("topsis", f"{n}x{k}", "pymcdm",
                         best_of(lambda X=X, cols=cols: dp.topsis(X, cols, weights="equal"), 5),
                         best_of(lambda M=M, w=w, k=k, t=t: t(M, w, np.ones(k)), 5)))
            rows.append(("entropy_weights", f"{n}x{k}", "pymcdm",
                         best_of(lambda X=X, cols=cols: dp.entropy_weights(X, cols, normalize="proportion"), 5),
                         best_of(lambda M=M: weights.entropy_weights(M), 5)))

    print(f"{'task':<16} {'size':<14} {'peer':<12} {'ours (s)':>10} {'peer (s)':>10} {'peer/ours':>10}")
    for task, size, peer_name, a, b in rows:
        ratio = b / a if a > 0 else math.inf
        print(f"{task:<16} {size:<14} {peer_name:<12} {a:>10.4f} {b:>10.4f} {ratio:>10.2f}")


if __name__ == "__main__":
    main()
