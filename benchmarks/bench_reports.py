"""Speed of the report layer against named peers, timed side by side in one run (ratios, since
the machine is shared).

Peers: statsmodels ``summary_col`` (a regression table of statsmodels results, rendered to text,
HTML and LaTeX) and pyfixest ``etable`` (if installed) for the table; matplotlib's own ``savefig``
with default settings for figures (our deterministic, font-embedding save against it).

    python benchmarks/bench_reports.py [--models 6] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import time
import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.iolib.summary2 import summary_col

from disparity.reports import gap_trend_plot, regression_table
from disparity.reports.figures import figure_bytes


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    n = 2000
    df = pd.DataFrame(rng.normal(size=(n, 8)), columns=[f"x{i}" for i in range(8)])
    df["g"] = rng.integers(0, 40, n)
    df["y"] = df.sum(axis=1) + rng.normal(size=n)
    fits = [smf.ols("y ~ " + " + ".join(f"x{i}" for i in range(k + 2)), df).fit(
        cov_type="cluster", cov_kwds={"groups": df["g"]}) for k in range(args.models)]

    rows = []

    def ours() -> None:
        t = regression_table(fits, stats=["nobs", "r2"])
        t.to_html(), t.to_latex(), str(t)

    def peer() -> None:
        s = summary_col(fits, stars=True, info_dict={"N": lambda r: f"{int(r.nobs)}"})
        s.as_html(), s.as_latex(), s.as_text()

    a, b = best_of(ours, args.repeat), best_of(peer, args.repeat)
    rows.append(("table: statsmodels results -> html+latex+text", "summary_col", a, b))

    try:
        import pyfixest as pf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pfits = [pf.feols("y ~ " + " + ".join(f"x{i}" for i in range(k + 2)), df, vcov={"CRV1": "g"})
                     for k in range(args.models)]

            def ours_pf() -> None:
                regression_table(pfits).to_html()

            def peer_pf() -> None:
                pf.etable(pfits, type="md")

            rows.append(("table: pyfixest results -> html", "pyfixest.etable(md)",
                         best_of(ours_pf, args.repeat), best_of(peer_pf, args.repeat)))
    except ImportError:
        pass

    panel = pd.DataFrame({"year": np.repeat(np.arange(2010, 2024), 4), "组": np.tile(list("甲乙丙丁"), 14),
                          "gap": rng.normal(10, 2, 56)})
    fig = gap_trend_plot(panel, "year", "gap", group="组")
    for fmt in ("png", "svg", "pdf"):
        def plain(fmt=fmt) -> None:
            fig.savefig(io.BytesIO(), format=fmt, dpi=200)

        rows.append((f"figure: deterministic {fmt} (fonts embedded)", f"savefig({fmt}) default",
                     best_of(lambda fmt=fmt: figure_bytes(fig, fmt), args.repeat), best_of(plain, args.repeat)))

    print(f"{'task':48s} {'peer':24s} {'ours (s)':>9s} {'peer (s)':>9s} {'ratio':>7s}")
    for task, name, a, b in rows:
        print(f"{task:48s} {name:24s} {a:9.4f} {b:9.4f} {a / b:7.2f}")


if __name__ == "__main__":
    main()
