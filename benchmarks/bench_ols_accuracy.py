"""Issue 11 benchmark: NIST StRD accuracy table and the cost of the accurate solver.

Run: ``python benchmarks/bench_ols_accuracy.py`` (prints two tables). Accuracy is the minimum log
relative error (LRE) over coefficients against NIST's certified values; speed is the median of
repeated side-by-side runs on one 1,000,000 × 20 well-conditioned design, reported as ratios.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.datasets.longley as longley

import disparity as dp
from disparity.models import _solver

ROOT = Path(__file__).resolve().parents[1]
NIST = json.loads((ROOT / "tests" / "reference" / "nist" / "nist_strd_linear.json").read_text())


def min_lre(est, cert) -> float:
    est, cert = np.asarray(est, float), np.asarray(cert, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = -np.log10(np.abs(est - cert) / np.abs(cert))
    return float(np.min(np.clip(np.nan_to_num(r, nan=0.0), 0, 15)))


def accuracy_table() -> pd.DataFrame:
    rows = []
    cases = {}
    for name in ["Wampler1", "Wampler2", "Wampler3", "Wampler4", "Wampler5", "Filip"]:
        c = NIST[name]
        x = np.asarray(c["x"], float)
        df = pd.DataFrame({"y": c["y"], "x": x})
        for p in range(2, c["degree"] + 1):
            df[f"x{p}"] = x**p
        cases[name] = (
            df,
            "y ~ " + " + ".join(["x"] + [f"x{p}" for p in range(2, c["degree"] + 1)]),
            c["certified"],
        )
    lo = longley.load_pandas().data
    cases["Longley"] = (
        lo,
        "TOTEMP ~ GNPDEFL + GNP + UNEMP + ARMED + POP + YEAR",
        NIST["Longley"]["certified"],
    )
    for name, (df, f, cert) in cases.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = dp.ols(f, df).params
            names = f.split("~")[1].split("+")
            X = sm.add_constant(df[[n.strip() for n in names]].to_numpy(), has_constant="add")
            y = df[f.split("~")[0].strip()].to_numpy()
            smp = sm.OLS(y, X).fit().params
            lst = np.linalg.lstsq(X, y, rcond=None)[0]
        rows.append(
            {
                "case": name,
                "disparity": min_lre(ours, cert),
                "statsmodels": min_lre(smp, cert),
                "numpy_lstsq": min_lre(lst, cert),
            }
        )
    return pd.DataFrame(rows)


def timing_table(n: int = 1_000_000, k: int = 20, repeats: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(12345)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    y = X @ rng.normal(size=k) + rng.normal(size=n)
    names = [f"x{i}" for i in range(k)]
    df = pd.DataFrame(X[:, 1:], columns=names[1:])
    df["y"] = y
    formula = "y ~ " + " + ".join(names[1:])

    def no_refinement():
        old = _solver.REFINE_ERROR_BOUND
        _solver.REFINE_ERROR_BOUND = np.inf
        try:
            return _solver.solve_lstsq(X, y, names=names, intercept=0)
        finally:
            _solver.REFINE_ERROR_BOUND = old

    contenders = {
        "disparity solver (with condition check)": lambda: _solver.solve_lstsq(
            X, y, names=names, intercept=0
        ),
        "disparity solver, refinement disabled": no_refinement,
        "numpy.linalg.lstsq": lambda: np.linalg.lstsq(X, y, rcond=None),
        "statsmodels OLS(...).fit()": lambda: sm.OLS(y, X).fit(),
        "dp.ols (formula to result, iid)": lambda: dp.ols(formula, df),
    }
    times = {name: [] for name in contenders}
    order = list(contenders)
    shuffle = np.random.default_rng(0)
    for _ in range(repeats):  # interleaved, in shuffled order, so machine noise hits all alike
        shuffle.shuffle(order)
        for name in order:
            fn = contenders[name]
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    med = {name: float(np.median(t)) for name, t in times.items()}
    base = med["disparity solver, refinement disabled"]
    return pd.DataFrame(
        [{"method": m, "median_s": t, "ratio_to_fast_path": t / base} for m, t in med.items()]
    )


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    print("Minimum LRE against NIST certified coefficients (higher is better; 15 = all digits)")
    print(accuracy_table().to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print()
    print("1,000,000 x 20 well-conditioned OLS, median of 7 interleaved runs")
    print(timing_table().to_string(index=False, float_format=lambda v: f"{v:.3f}"))
