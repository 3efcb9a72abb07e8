"""scale.reimburse equals dp.benefits.reimburse claim by claim (DuckDB)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity import scale
from disparity.errors import DataValueError
from disparity.scale.synthetic import synthetic_claims

COLUMNS = dict(person="person_id", cost="cost", scope_share="scope_share", level="level",
               group="group", setting="setting", area="area", year="year",
               order=["day", "claim_id"])
OUTPUT = ["cost", "policy_scope", "deductible", "basic_before_ceiling", "basic",
          "critical_illness", "outpatient", "reimbursed", "out_of_pocket", "effective_rate"]
#: Amounts in yuan; running sums are accumulated in another order by the engine.
AMOUNT_TOL = 1e-8

# low ceilings so that every cap binds for some person-years
TIGHT = dp.benefits.Schedule.from_dict({
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


@pytest.fixture(scope="module")
def claims(tmp_path_factory):
    frame = synthetic_claims(6000, seed=11, persons=400)
    path = tmp_path_factory.mktemp("claims") / "claims.parquet"
    frame.to_parquet(path)
    return frame, scale.read_parquet(path)


@pytest.mark.parametrize("schedule", [pytest.param(TIGHT, id="tight"),
                                      pytest.param("illustrative_urbmi_2015", id="urbmi"),
                                      pytest.param("jiamusi_2018_urrbmi", id="jiamusi")])
def test_reimburse_equals_memory(claims, schedule):
    frame, table = claims
    sch = dp.benefits.load_schedule(schedule) if isinstance(schedule, str) else schedule
    cols = dict(COLUMNS)
    if set(sch.levels) != {"township_health_center", "level1_hospital", "level2_hospital",
                           "level3_hospital"}:
        mapping = dict(zip(sorted(set(frame["level"])), list(sch.levels) * 4, strict=False))
        frame = frame.assign(level=frame["level"].map(mapping))
        table = scale.table(table.expr.mutate(level=table.expr.level.substitute(mapping)))
    if not sch.out_of_area:
        frame = frame.assign(area=pd.NA)
        table = scale.table(table.expr.mutate(area=table.expr.area.isnull().ifelse(None, None)))
    if not sch.groups:
        cols["group"] = None
    elif "poor" not in sch.groups:
        name = next(iter(sch.groups))
        frame = frame.assign(group=frame["group"].replace({"poor": name}))
        table = scale.table(table.expr.mutate(group=table.expr.group.substitute({"poor": name})))
    mem = dp.benefits.reimburse(sch, frame, **cols)
    eng = scale.reimburse(sch, table, **cols)
    got = eng.claims.collect().sort_values("claim_id").reset_index(drop=True)
    want = mem.claims.reset_index(drop=True)
    for c in OUTPUT:
        np.testing.assert_allclose(got[c].to_numpy(float), want[c].to_numpy(float),
                                   rtol=AMOUNT_TOL, atol=1e-6, err_msg=c)
    pd.testing.assert_frame_equal(eng.tidy(), mem.tidy(), rtol=AMOUNT_TOL)
    assert eng.effective_rate == pytest.approx(mem.effective_rate, rel=AMOUNT_TOL)


def test_caps_bind_in_the_tight_schedule(claims):
    frame, _ = claims
    mem = dp.benefits.reimburse(TIGHT, frame, **COLUMNS).claims
    # the test above is only meaningful if ceilings and tiers are reached
    assert (mem["basic"] < mem["basic_before_ceiling"] - 1).any()
    assert (mem["critical_illness"] > 0).any()
    assert mem.groupby(["person_id", "year"])["outpatient"].sum().max() == pytest.approx(200)


def test_by_person_equals_memory(claims):
    frame, table = claims
    mem = dp.benefits.reimburse(TIGHT, frame, **COLUMNS).by_person().reset_index()
    eng = scale.reimburse(TIGHT, table, **COLUMNS).by_person().collect()
    np.testing.assert_allclose(eng["reimbursed"], mem["reimbursed"], rtol=AMOUNT_TOL)
    assert list(eng["person_id"]) == list(mem["person_id"])


def test_reimburse_needs_an_order_and_unique_ties(claims):
    _, table = claims
    with pytest.raises(scale.UnsupportedOperationError, match="order="):
        scale.reimburse(TIGHT, table, **{**COLUMNS, "order": None})
    with pytest.raises(DataValueError, match="uniquely"):
        scale.reimburse(TIGHT, table, **{**COLUMNS, "order": "setting"})


def test_reimburse_names_bad_claims(engine, tmp_path):
    frame = synthetic_claims(50, seed=2)
    frame.loc[4, ["level", "setting", "area"]] = ["level9", "inpatient", None]
    frame.loc[7, "cost"] = -5.0
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path)
    t = engine.read_parquet(path)
    with pytest.raises(DataValueError, match=r"(?s)finite non-negative costs.*-5"):
        scale.reimburse(TIGHT, t, **COLUMNS)
    good = scale.table(t.expr.filter(t.expr.cost >= 0))
    with pytest.raises(DataValueError, match=r"(?s)hospital levels.*level9"):
        scale.reimburse(TIGHT, good, **COLUMNS)


def test_reimburse_without_an_area_column(tmp_path):
    """Regression: with area=None the out-of-area lookup compared Ibis' NULL literal with labels."""
    import warnings

    import pandas as pd

    import disparity as dp

    s = dp.benefits.load_schedule("illustrative_urbmi_2015")
    claims = pd.DataFrame({"claim_id": [1, 2, 3], "person_id": [1, 1, 2], "cost": [5000.0, 20000.0, 800.0],
                           "scope_share": [0.9, 0.8, 1.0], "level": ["level2_hospital"] * 3})
    claims.to_parquet(tmp_path / "c.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = dp.scale.connect("duckdb").read_parquet(str(tmp_path / "c.parquet"))
        r = dp.scale.reimburse(s, t, order="claim_id")
        total = float(r.total)
    assert total == pytest.approx(float(dp.benefits.reimburse(s, claims).total), rel=1e-12)
