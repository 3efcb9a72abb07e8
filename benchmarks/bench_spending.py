"""Speed of the spending and count models (dp.glm, dp.negbin, dp.zip, dp.hurdle, dp.twopart, dp.logit)
against the statsmodels calls a user would otherwise make, side by side in one run.

Ours includes formula parsing, input checks, fit statistics and the covariance; the peers are the
bare statsmodels fits on prepared arrays (formula API for GLM). Each pair is timed in the same run
(best of ``--repeat``) and reported as a ratio (peer time / our time; > 1 means we are faster).
Data: the RAND Health Insurance Experiment visits shipped with statsmodels (20,190 rows).

    python benchmarks/bench_spending.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import statsmodels.api as sm
import statsmodels.formula.api as smf

import disparity as dp


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    d = sm.datasets.randhie.load_pandas().data
    d["any"] = (d.mdvis > 0).astype(int)
    d["spend"] = np.exp(0.1 * d.physlm + 0.01 * d.disea) * (d.mdvis + 1.0)
    rhs = " + ".join(d.columns[1:10])
    X = sm.add_constant(d.iloc[:, 1:10]).to_numpy()
    y = d.mdvis.to_numpy()
    from statsmodels.discrete.count_model import ZeroInflatedPoisson
    from statsmodels.discrete.discrete_model import NegativeBinomial

    rows = [
        ("logit (any visit)", "smf.logit", lambda: dp.logit(f"any ~ {rhs}", d),
         lambda: smf.logit(f"any ~ {rhs}", d).fit(disp=0)),
        ("gamma GLM, log link", "smf.glm Gamma(Log)",
         lambda: dp.glm(f"spend ~ {rhs}", d, family="gamma", link="log"),
         lambda: smf.glm(f"spend ~ {rhs}", d, family=sm.families.Gamma(sm.families.links.Log())).fit()),
        ("Poisson, cluster-robust", "smf.glm Poisson cov_type=cluster",
         lambda: dp.poisson(f"mdvis ~ {rhs}", d.assign(g=np.arange(len(d)) % 50), vcov="cluster", cluster="g"),
         lambda: smf.glm(f"mdvis ~ {rhs}", d, family=sm.families.Poisson()).fit(
             cov_type="cluster", cov_kwds={"groups": np.arange(len(d)) % 50})),
        ("NB2", "NegativeBinomial(nb2).fit(newton)", lambda: dp.negbin(f"mdvis ~ {rhs}", d),
         lambda: NegativeBinomial(y, X, loglike_method="nb2").fit(method="newton", disp=0)),
        ("zero-inflated Poisson", "ZeroInflatedPoisson.fit(newton)",
         lambda: dp.zip("mdvis ~ idp + lpi + fmde", d, inflate="~ lncoins"),
         lambda: ZeroInflatedPoisson(y, sm.add_constant(d[["idp", "lpi", "fmde"]]).to_numpy(),
                                     exog_infl=sm.add_constant(d[["lncoins"]]).to_numpy()).fit(
             method="newton", disp=0, maxiter=500)),
        ("hurdle Poisson", "(no statsmodels logit-hurdle)", lambda: dp.hurdle(f"mdvis ~ {rhs}", d), None),
        ("two-part (logit + gamma), AME delta", "(no peer)",
         lambda: dp.twopart(f"spend ~ {rhs}", d.assign(spend=d.spend * (d.mdvis > 0))).marginal_effects("idp"),
         None),
    ]
    print(f"{'task':38s} {'peer':36s} {'ours (s)':>9s} {'peer (s)':>9s} {'ratio':>7s}")
    for task, name, ours, peer in rows:
        o = best_of(ours, args.repeat)
        p = best_of(peer, args.repeat) if peer is not None else float("nan")
        print(f"{task:38s} {name:36s} {o:9.3f} {p:9.3f} {p / o:7.2f}")


if __name__ == "__main__":
    main()
