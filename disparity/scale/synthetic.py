"""Synthetic settlement (claims) records for demonstrations, tests and benchmarks.

**SYNTHETIC**: made-up numbers of a plausible shape, not real claims. One row per claim with a
person id, year, county, hukou (urban/rural), hospital level, setting, out-of-area type,
beneficiary group, policy-scope share, cost, a day-of-year order key, income and a sampling
weight, plus an illustrative reimbursement (``reimbursed``) and effective rate
(``reimb_rate``) so that gaps and regressions can run without a schedule.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SpecificationError

__all__ = ["synthetic_claims", "write_claims_parquet"]

LEVELS = ("township_health_center", "level1_hospital", "level2_hospital", "level3_hospital")
YEARS = (2016, 2017, 2018, 2019, 2020)
N_COUNTIES = 120


def synthetic_claims(n: int, *, seed: int = 0, start_id: int = 0,
                     persons: int | None = None) -> pd.DataFrame:
    """``n`` synthetic claims (see the module docstring); ``persons`` distinct people (default n/4).

    Claims ``start_id ... start_id + n - 1`` are the same whichever chunk produces them only when
    generated with the same ``seed`` and chunking; they are made for scale, not reproducibility
    across chunk sizes.
    """
    if n < 1:
        raise SpecificationError(f"synthetic_claims: n={n!r} must be a positive number of rows.")
    rng = np.random.default_rng(seed)
    n_persons = max(1, persons if persons is not None else n // 4)
    person = rng.integers(0, n_persons, n, dtype=np.int64)
    county = (person * 2654435761 % N_COUNTIES).astype(np.int32)  # a person lives in one county
    urban_p = 0.3 + 0.4 * (county % 3 == 0)
    urban = ((person * 40503 % 1000) / 1000.0) < urban_p
    poor = person % 20 == 0
    year = np.asarray(YEARS, dtype=np.int32)[rng.integers(0, len(YEARS), n)]
    inpatient = rng.random(n) < 0.35
    level_idx = rng.choice(4, n, p=[0.2, 0.3, 0.3, 0.2])
    cross = inpatient & (rng.random(n) < 0.05)
    cost = np.where(inpatient, np.exp(rng.normal(8.8 + 0.3 * level_idx, 0.8)),
                    np.exp(rng.normal(5.0, 0.7)))
    cost = np.round(cost, 2)
    share = np.round(np.clip(rng.normal(0.85 - 0.05 * level_idx, 0.06), 0.3, 1.0), 3)
    income = np.round(np.exp(9.6 + 0.45 * urban + rng.normal(0, 0.55, n)), -1)
    base_rate = np.where(urban, 0.62, 0.52) - 0.04 * level_idx + rng.normal(0, 0.05, n)
    rate = np.clip(np.where(inpatient, base_rate, 0.4 * base_rate), 0.0, 0.95)
    reimbursed = np.round(cost * share * rate, 2)
    return pd.DataFrame({
        "claim_id": np.arange(start_id, start_id + n, dtype=np.int64),
        "person_id": person,
        "year": year,
        "county": county,
        "hukou": np.where(urban, "urban", "rural"),
        "level": np.asarray(LEVELS)[level_idx],
        "setting": np.where(inpatient, "inpatient", "outpatient"),
        "area": pd.array(np.where(cross, "cross_province", np.array(None)), dtype="string"),
        "group": pd.array(np.where(poor, "poor", np.array(None)), dtype="string"),
        "scope_share": share,
        "cost": cost,
        "day": rng.integers(1, 366, n).astype(np.int32),
        "income": income,
        "weight": np.round(rng.uniform(0.5, 2.0, n), 3),
        "reimbursed": reimbursed,
        "reimb_rate": np.round(rate, 4),
        "urban": urban.astype(np.int8),
        "age": rng.integers(18, 90, n).astype(np.int16),
    })


def write_claims_parquet(folder: str | Path, n_rows: int, *, chunk: int = 5_000_000,
                         seed: int = 20240601, persons: int | None = None) -> Path:
    """Write ``n_rows`` synthetic claims as Parquet files partitioned by year
    (``folder/year=2016/part-00000.parquet``, ...), generated ``chunk`` rows at a time so memory
    stays bounded. Returns ``folder``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n_persons = persons if persons is not None else max(1, n_rows // 4)
    done, part = 0, 0
    while done < n_rows:
        m = min(chunk, n_rows - done)
        df = synthetic_claims(m, seed=seed + part, start_id=done, persons=n_persons)
        for yr, sub in df.groupby("year", sort=True):
            d = folder / f"year={yr}"
            d.mkdir(exist_ok=True)
            table = pa.Table.from_pandas(sub.drop(columns="year"), preserve_index=False)
            pq.write_table(table, d / f"part-{part:05d}.parquet", row_group_size=1_000_000)
        done += m
        part += 1
    return folder
