"""Generate the synthetic survey sample used by the stored references (run once; output committed).

    python tests/reference/measures/make_data.py

Writes ``sample.csv`` (240 rows): 4 strata x 5 PSUs x 12 households, sampling weights, an income
``inc`` (continuous, no ties), ``inc_r`` (income rounded to 100, many ties), spending ``cons``,
out-of-pocket payments ``oop``, a binary outcome ``h``, a bounded score ``score`` in [0, 10],
``urban`` (0/1), ``region`` (east/central/west), ``age``, ``chronic`` and a stratum fpc (``fpc``:
PSUs in the stratum's population).
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261122)
rows = []
for st in range(4):
    for p in range(5):
        urban = int(rng.random() < 0.5)
        region = ["east", "central", "west"][(st + p) % 3]
        for _ in range(12):
            inc = float(np.exp(rng.normal(8.5 + 0.4 * urban, 0.7)))
            age = float(np.round(rng.uniform(18, 85)))
            chronic = int(rng.random() < 0.2 + 0.005 * (age - 18))
            cons = inc * float(rng.uniform(0.6, 1.0))
            oop = cons * float(rng.beta(0.6, 6.0))
            h = int(rng.random() < 0.15 + 0.2 * chronic + 0.1 * urban)
            score = float(np.clip(np.round(3 + 0.04 * age + 2 * chronic + rng.normal(0, 1.5), 1), 0, 10))
            rows.append({
                "st": st + 1, "psu": 10 * (st + 1) + p + 1, "w": float(np.round(rng.uniform(80, 400), 2)),
                "fpc": 40 + 10 * st, "urban": urban, "region": region, "inc": np.round(inc, 4),
                "inc_r": np.round(inc, -2), "cons": np.round(cons, 4), "oop": np.round(oop, 4), "h": h,
                "score": score, "age": age, "chronic": chronic,
            })
pd.DataFrame(rows).to_csv(Path(__file__).with_name("sample.csv"), index=False)
