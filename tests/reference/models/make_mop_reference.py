"""Effective F and simplified critical values from an independent implementation (not disparity).

Runs ``weakiv_tests`` of ``proximalde/ivtests.py`` in syrgkanislab/hidden_mediators (MIT licence;
commit recorded in ``SOURCE``), a Python implementation of Montiel Olea & Pflueger (2013): the
heteroskedasticity-robust (HC1) effective F, the effective degrees of freedom K_eff and the
simplified critical value (x = 1/tau, alpha = 5%), on ``stata/iv_simulated.csv``. The function is
imported from a local checkout; nothing of it is copied here.

Usage (from the repository root)::

    python tests/reference/models/make_mop_reference.py /path/to/hidden_mediators
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SOURCE = "syrgkanislab/hidden_mediators@0e2673b237e3c31bfe3613840ffa1e6adfa1fb06"
HERE = Path(__file__).resolve().parent
TAUS = (0.05, 0.10, 0.20, 0.30)
# name: (endogenous, excluded instruments, included exogenous besides the constant)
SPECS = {
    "one_instrument": ("x1", ["z1"], []),
    "two_instruments": ("x1", ["z1", "z2"], []),
    "four_instruments_control": ("x1", ["z1", "z2", "x4", "x5"], ["x3"]),
    "two_instruments_endog_x2": ("x2", ["z1", "z2"], ["x3"]),
}


def main(checkout: str) -> None:
    sys.path.insert(0, checkout)
    import scipy
    import sklearn
    import statsmodels
    from proximalde.ivtests import weakiv_tests  # type: ignore[import-not-found]

    df = pd.read_csv(HERE / "stata" / "iv_simulated.csv")
    out: dict = {"source": SOURCE, "versions": {
        "numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__,
        "scikit-learn": sklearn.__version__}, "cases": {}}
    for name, (endog, instr, exog) in SPECS.items():
        Z = df[exog + instr].to_numpy(float)
        X = df[exog + [endog]].to_numpy(float)
        y = df["y_robust"].to_numpy(float)
        controls = list(range(len(exog))) if exog else None
        case: dict = {"endogenous": endog, "instruments": instr, "exogenous": exog, "tau": {}}
        for tau in TAUS:
            *_, f_eff, k_eff, crit = weakiv_tests(Z, X, y, controls=controls, tau=tau, alpha=0.05)
            case["effective_f"] = float(np.ravel(f_eff)[0])
            case["tau"][str(tau)] = {"k_eff": float(np.ravel(k_eff)[0]),
                                     "critical_value": float(np.ravel(crit)[0])}
        out["cases"][name] = case
    (HERE / "mop_reference.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
