"""compare_schedules and the bundled schedule files."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from disparity import benefits
from disparity.errors import DataFormatError, SpecificationError

CLOSED_FORM_TOL = 1e-9


def two_schemes():
    urban = benefits.Schedule.from_dict(
        {"name": "urban", "inpatient": {"deductible": {"l2": 400}, "rate": {"l2": 0.75}}}
    )
    rural = benefits.Schedule.from_dict(
        {"name": "rural", "inpatient": {"deductible": {"l2": 600}, "rate": {"l2": 0.60}}}
    )
    return {"urban": urban, "rural": rural}


CLAIMS = pd.DataFrame({
    "person_id": [1, 2, 3, 4],
    "cost": [1400.0, 2600.0, 10400.0, 20600.0],
    "level": ["l2"] * 4,
    "grp": ["a", "a", "b", "b"],
})


def test_gap_by_group_and_band_hand_worked():
    cmp = benefits.compare_schedules(two_schemes(), CLAIMS, by="grp", cost_bands=[0, 5000, math.inf],
                                     scope_share=None)
    assert cmp.reference == "urban"
    g = cmp.gaps.set_index(["grp", "cost_band"])
    # urban: 750, 1650, 7500, 15150; rural: 480, 1200, 5880, 12000
    urban_a = (750 + 1650) / 4000
    rural_a = (480 + 1200) / 4000
    assert g.loc[("a", "[0.0, 5000.0)"), "rate_reference"] == pytest.approx(urban_a, abs=CLOSED_FORM_TOL)
    assert g.loc[("a", "[0.0, 5000.0)"), "gap"] == pytest.approx(rural_a - urban_a, abs=CLOSED_FORM_TOL)
    overall = cmp.overall()
    assert overall.loc["urban", "effective_rate"] == pytest.approx(25050 / 35000, abs=CLOSED_FORM_TOL)
    assert overall.loc["rural", "effective_rate"] == pytest.approx(19560 / 35000, abs=CLOSED_FORM_TOL)
    all_row = g.loc[("all", "all")]
    assert all_row["gap"] == pytest.approx((19560 - 25050) / 35000, abs=CLOSED_FORM_TOL)
    assert all_row["reimbursed_gap"] == pytest.approx((19560 - 25050) / 4, abs=CLOSED_FORM_TOL)
    assert list(cmp.tidy().columns) == ["scheme", "grp", "cost_band", "n", "rate_reference", "rate",
                                        "gap", "ratio", "reimbursed_gap"]


def test_person_unit_bands_on_annual_cost():
    claims = pd.DataFrame({"person_id": [1, 1, 2], "cost": [3000.0, 3000.0, 1000.0], "level": ["l2"] * 3})
    cmp = benefits.compare_schedules(two_schemes(), claims, unit="person", cost_bands=[0, 5000, math.inf],
                                     scope_share=None, reference="rural")
    t = cmp.table.set_index(["scheme", "cost_band"])
    assert t.loc[("urban", "[5000.0, inf)"), "n"] == 1  # person 1's year costs 6000
    assert cmp.gaps["scheme"].unique().tolist() == ["urban"]


def test_compare_needs_two_schedules():
    with pytest.raises(SpecificationError, match="at least two"):
        benefits.compare_schedules({"u": two_schemes()["urban"]}, CLAIMS)
    with pytest.raises(SpecificationError, match="unit='year'"):
        benefits.compare_schedules(two_schemes(), CLAIMS, unit="year")


def test_bundled_schedules_load_and_differ_in_the_expected_direction():
    names = benefits.list_schedules()
    assert {"jiamusi_2018_urrbmi", "illustrative_ncms_2015", "illustrative_urbmi_2015"} <= set(names)
    jms = benefits.load_schedule("jiamusi_2018_urrbmi")
    assert jms.deductible["level3_hospital"] == 700 and jms.rate["level3_hospital"] == 0.65
    assert jms.groups["poor_and_special_groups"].ci_ceiling == math.inf
    ncms = benefits.load_schedule("illustrative_ncms_2015")
    assert ncms.critical_illness.segments == ((15000.0, 0.5), (50000.0, 0.6))
    claims = pd.DataFrame({"person_id": np.arange(4), "cost": [3000.0, 8000.0, 30000.0, 90000.0],
                           "level": ["level3_hospital"] * 4})
    cmp = benefits.compare_schedules({"ncms": ncms, "jiamusi": jms}, claims, scope_share=None)
    # integration raised level-3 rates (0.45 -> 0.65) and cut the deductible: positive gap
    assert (cmp.gaps["gap"] > 0).all()
    with pytest.raises(DataFormatError, match="available"):
        benefits.load_schedule("nowhere_1999")


def test_rows_in_reading_order_bands_low_to_high():
    # claims listed high cost first: bands must still run from low to high, "all" last
    claims = CLAIMS.iloc[::-1].reset_index(drop=True)
    cmp = benefits.compare_schedules(two_schemes(), claims, cost_bands=[0, 2000, 5000, math.inf],
                                     scope_share=None)
    assert cmp.tidy()["cost_band"].tolist() == ["[0.0, 2000.0)", "[2000.0, 5000.0)",
                                                "[5000.0, inf)", "all"]
    assert cmp.table["scheme"].tolist() == ["urban"] * 4 + ["rural"] * 4
    by = benefits.compare_schedules(two_schemes(), claims, by="grp", cost_bands=[0, 5000, math.inf],
                                    scope_share=None).tidy()
    assert by[["grp", "cost_band"]].values.tolist() == [
        ["a", "[0.0, 5000.0)"], ["a", "all"], ["b", "[5000.0, inf)"], ["b", "all"],
        ["all", "[0.0, 5000.0)"], ["all", "[5000.0, inf)"], ["all", "all"]]
