"""Fixtures for the claims-scale tests: small data written to Parquet and read lazily by DuckDB."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from tests import _assert as shared

if os.environ.get("DISPARITY_REQUIRE_SPARK", "") in ("", "0"):
    pytest.importorskip("ibis", reason="disparity.scale needs the 'scale' extra (ibis-framework[duckdb])")
    pytest.importorskip("duckdb", reason="disparity.scale needs the 'scale' extra (duckdb)")
else:  # CI (see test_scale_spark.py): the engine tests must run, so a missing engine is an error
    import duckdb  # noqa: F401
    import ibis  # noqa: F401

#: The issue's bar: engine results equal the in-memory path to 1e-8 (relative). Engines sum in a
#: different order (parallel, segment trees), so agreement is to rounding, typically 1e-13.
ENGINE_TOL = 1e-8
#: A component that is zero in exact arithmetic (e.g. the SE of the Theil index within a group of
#: one row) is rounding noise on either path: equal if below this fraction of the column's largest.
ZERO_TOL = 1e-12


#: Ibis 12 calls DuckDB 2.0 methods that DuckDB has deprecated (fetch_arrow_table, ...); the
#: warnings come from inside Ibis, not from disparity, so they are not errors here.
ENGINE_DEPRECATIONS = r"ignore:.*is deprecated.*:DeprecationWarning"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = str(__file__).rsplit("/", 1)[0]
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.filterwarnings(ENGINE_DEPRECATIONS))


def make_survey(n: int = 2400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "hukou": rng.choice(["urban", "rural"], n),
        "region": rng.choice(["east", "central", "west"], n),
        "year": rng.choice([2018, 2019, 2020], n),
        "county": rng.integers(0, 60, n),
        "y": np.round(rng.lognormal(7, 1, n), 0),
        "inc": np.round(rng.lognormal(9, 0.7, n), -2),  # ties in the ranking variable
        "w": rng.uniform(0.5, 3, n),
        "fw": rng.integers(1, 4, n),
    })
    df.loc[[i for i in (3, 50) if i < n], "y"] = np.nan  # dropped, as the in-memory path does
    df.loc[min(7, n - 1), "y"] = 0.0  # a zero: Theil and Gini allow it
    return df


@pytest.fixture(scope="session")
def survey() -> pd.DataFrame:
    return make_survey()


@pytest.fixture(scope="session")
def survey_path(tmp_path_factory: pytest.TempPathFactory, survey: pd.DataFrame):
    path = tmp_path_factory.mktemp("scale") / "survey.parquet"
    survey.to_parquet(path)
    return path


@pytest.fixture(scope="session")
def engine():
    from disparity import scale

    return scale.connect("duckdb", threads=2)


@pytest.fixture(scope="session")
def survey_table(engine, survey_path):
    return engine.read_parquet(survey_path)


def assert_same_measure(engine_result, memory_result) -> None:
    """Same components, groups, nobs; estimates and standard errors equal to ENGINE_TOL."""
    shared.assert_same_measure(engine_result, memory_result, rtol=ENGINE_TOL, zero_tol=ZERO_TOL)


#: Claim amounts in yuan; running sums are accumulated in another order by the engine.
AMOUNT_TOL = 1e-8

#: Column arguments of ``reimburse`` for ``disparity.scale.synthetic.synthetic_claims`` data.
CLAIM_COLUMNS = dict(person="person_id", cost="cost", scope_share="scope_share", level="level",
                     group="group", setting="setting", area="area", year="year",
                     order=["day", "claim_id"])
#: Per-claim columns of the reimbursement that engine and in-memory paths must agree on.
CLAIM_OUTPUT = ["cost", "policy_scope", "deductible", "basic_before_ceiling", "basic",
                "critical_illness", "outpatient", "reimbursed", "out_of_pocket", "effective_rate"]

#: Low ceilings so that every cap binds for some person-years.
TIGHT_SCHEDULE = dp.benefits.Schedule.from_dict({
    "name": "tight test schedule",
    "ceiling": 20000,
    "inpatient": {"deductible": {"township_health_center": 100, "level1_hospital": 300,
                                 "level2_hospital": 600, "level3_hospital": 1000},
                  "rate": {"township_health_center": 0.9, "level1_hospital": 0.8,
                           "level2_hospital": 0.7, "level3_hospital": 0.55}},
    "out_of_area": {"cross_province": {"deductible": 1500, "rate": 0.4}},
    "critical_illness": {"segments": [[5000, 0.5], [20000, 0.6], [60000, 0.7]],
                         "ceiling": 15000},
    "outpatient": {"rate": 0.5, "ceiling": 200, "deductible": 10},
    "groups": {"poor": {"rate_bonus": 0.1, "deductible_factor": 0.5, "ceiling": 30000,
                        "ci_threshold_factor": 0.5, "ci_rate_bonus": 0.05}},
})


def assert_caps_bind(memory_claims: pd.DataFrame) -> None:
    """The tight schedule's ceilings and tiers are reached, so comparing under it means something."""
    mem = memory_claims
    assert (mem["basic"] < mem["basic_before_ceiling"] - 1).any()
    assert (mem["critical_illness"] > 0).any()
    assert mem.groupby(["person_id", "year"])["outpatient"].sum().max() == pytest.approx(200)


def assert_same_reimbursement(engine_result, memory_result) -> None:
    """Claim by claim (in ``claim_id`` order), totals by component and the effective rate."""
    got = engine_result.claims.collect().sort_values("claim_id").reset_index(drop=True)
    want = memory_result.claims.reset_index(drop=True)
    assert len(got) == len(want)
    for c in CLAIM_OUTPUT:
        np.testing.assert_allclose(got[c].to_numpy(float), want[c].to_numpy(float),
                                   rtol=AMOUNT_TOL, atol=1e-6, err_msg=c)
    pd.testing.assert_frame_equal(engine_result.tidy(), memory_result.tidy(), rtol=AMOUNT_TOL)
    assert engine_result.effective_rate == pytest.approx(memory_result.effective_rate,
                                                         rel=AMOUNT_TOL)


def assert_same_model(a, b) -> None:
    shared.assert_same_model(a, b, rtol=ENGINE_TOL)


class Checks:
    """Shared assertions and data maker, handed to tests as the ``checks`` fixture."""

    tol = ENGINE_TOL
    amount_tol = AMOUNT_TOL
    make_survey = staticmethod(make_survey)
    same_measure = staticmethod(assert_same_measure)
    same_model = staticmethod(assert_same_model)
    claim_columns = CLAIM_COLUMNS
    tight_schedule = TIGHT_SCHEDULE
    caps_bind = staticmethod(assert_caps_bind)
    same_reimbursement = staticmethod(assert_same_reimbursement)


@pytest.fixture(scope="session")
def checks() -> type[Checks]:
    return Checks
