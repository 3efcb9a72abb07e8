"""scale.reimburse equals dp.benefits.reimburse claim by claim (DuckDB)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import disparity as dp
from disparity import scale
from disparity.errors import DataValueError
from disparity.scale.synthetic import synthetic_claims


@pytest.fixture(scope="module")
def claims(tmp_path_factory):
    frame = synthetic_claims(6000, seed=11, persons=400)
    path = tmp_path_factory.mktemp("claims") / "claims.parquet"
    frame.to_parquet(path)
    return frame, scale.read_parquet(path)


@pytest.mark.parametrize("schedule", [pytest.param("tight", id="tight"),
                                      pytest.param("illustrative_urbmi_2015", id="urbmi"),
                                      pytest.param("jiamusi_2018_urrbmi", id="jiamusi")])
def test_reimburse_equals_memory(checks, claims, schedule):
    frame, table = claims
    sch = checks.tight_schedule if schedule == "tight" else dp.benefits.load_schedule(schedule)
    cols = dict(checks.claim_columns)
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
    checks.same_reimbursement(scale.reimburse(sch, table, **cols),
                              dp.benefits.reimburse(sch, frame, **cols))


def test_caps_bind_in_the_tight_schedule(checks, claims):
    frame, _ = claims
    # the test above is only meaningful if ceilings and tiers are reached
    checks.caps_bind(dp.benefits.reimburse(checks.tight_schedule, frame, **checks.claim_columns).claims)


def test_by_person_equals_memory(checks, claims):
    frame, table = claims
    tight, cols = checks.tight_schedule, checks.claim_columns
    mem = dp.benefits.reimburse(tight, frame, **cols).by_person().reset_index()
    eng = scale.reimburse(tight, table, **cols).by_person().collect()
    np.testing.assert_allclose(eng["reimbursed"], mem["reimbursed"], rtol=checks.amount_tol)
    assert list(eng["person_id"]) == list(mem["person_id"])


def test_reimburse_needs_an_order_and_unique_ties(checks, claims):
    _, table = claims
    tight, cols = checks.tight_schedule, checks.claim_columns
    with pytest.raises(scale.UnsupportedOperationError, match="order="):
        scale.reimburse(tight, table, **{**cols, "order": None})
    with pytest.raises(DataValueError, match="uniquely"):
        scale.reimburse(tight, table, **{**cols, "order": "setting"})


def test_reimburse_names_bad_claims(checks, engine, tmp_path):
    frame = synthetic_claims(50, seed=2)
    frame.loc[4, ["level", "setting", "area"]] = ["level9", "inpatient", None]
    frame.loc[7, "cost"] = -5.0
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path)
    t = engine.read_parquet(path)
    with pytest.raises(DataValueError, match=r"(?s)finite non-negative costs.*-5"):
        scale.reimburse(checks.tight_schedule, t, **checks.claim_columns)
    good = scale.table(t.expr.filter(t.expr.cost >= 0))
    with pytest.raises(DataValueError, match=r"(?s)hospital levels.*level9"):
        scale.reimburse(checks.tight_schedule, good, **checks.claim_columns)


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
