"""Generate the deterministic cross-section used for the R references (``survey_sample.csv``).

A Chifeng-style sample: 400 respondents in 12 counties (clusters), the counties grouped 3 per stratum
in 4 strata, with sampling weights; a continuous outcome with an interaction, a binary and an
ordinal (Likert) outcome, and an endogenous regressor with two instruments.

Run from the repository root: ``python tests/reference/models/make_data.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def make(seed: int = 20240611, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    county = rng.integers(0, 12, n)
    stratum = county // 3
    county_effect = rng.normal(0, 0.5, 12)[county]
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    log_gdp = rng.uniform(8, 11, n)
    w = rng.uniform(0.5, 3.0, n)
    e = rng.normal(size=n) * (1 + 0.5 * np.abs(x1))
    y = 1 + 0.5 * x1 - 0.3 * x2 + 0.2 * x1 * (log_gdp - 9.5) + county_effect + e
    eta = 0.3 + 0.8 * x1 - 0.5 * x2 + 0.5 * county_effect
    yb = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
    latent = 0.7 * x1 - 0.4 * x2 + rng.logistic(size=n)
    yo = np.digitize(latent, [-1.0, 0.3, 1.5]) + 1
    z1, z2 = rng.normal(size=n), rng.normal(size=n)
    v = rng.normal(size=n)
    dend = 0.6 * z1 + 0.4 * z2 + v
    yiv = 1 + 0.5 * x1 + 1.0 * dend + 0.8 * v + rng.normal(size=n)
    return pd.DataFrame(
        {
            "county": county + 1,
            "stratum": stratum + 1,
            "hh": rng.integers(1, 8, n),
            "w": np.round(w, 4),
            "x1": np.round(x1, 6),
            "x2": np.round(x2, 6),
            "log_gdp": np.round(log_gdp, 6),
            "y": np.round(y, 6),
            "yb": yb,
            "yo": yo,
            "z1": np.round(z1, 6),
            "z2": np.round(z2, 6),
            "dend": np.round(dend, 6),
            "yiv": np.round(yiv, 6),
        }
    )


if __name__ == "__main__":
    make().to_csv(HERE / "survey_sample.csv", index=False)
    from linearmodels.datasets import wage_panel

    # wage_panel ships with linearmodels; exported only for R to read (not stored in the repo).
    wage_panel.load().to_csv("/tmp/wage_panel.csv", index=False)
