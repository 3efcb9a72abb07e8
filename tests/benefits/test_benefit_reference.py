"""dp.benefits against an independent R implementation of the Jiamusi 2018 rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from disparity import benefits

# Sums of products of yuan amounts and two-decimal rates; R writes 15 significant digits.
CLOSED_FORM_TOL = 1e-9


@pytest.mark.reference
def test_jiamusi_2018_matches_r_reference(reference_dir):
    folder = reference_dir / "benefits"
    claims = pd.read_csv(folder / "claims.csv", dtype={"area": "string", "level": "string"})
    expected = pd.read_csv(folder / "expected_jiamusi_2018.csv")
    s = benefits.load_schedule("jiamusi_2018_urrbmi")
    r = s.reimburse(claims, group="group", setting="setting", area="area", year="year", order="day")
    for col in ("basic", "critical_illness", "outpatient", "reimbursed"):
        np.testing.assert_allclose(r.claims[col].to_numpy(), expected[col].to_numpy(),
                                   rtol=0, atol=CLOSED_FORM_TOL, err_msg=col)
    # the CI ceiling binds for person 3 but not for the poor person 4
    assert r.claims.loc[8, "critical_illness"] == 200000
    assert r.claims.loc[9, "critical_illness"] > 200000


SHARED_JIAMUSI = (Path(__file__).resolve().parents[3] / "shared" / "reference-data"
                  / "jiamusi_2018_urrbmi_benefit_schedule.csv")


@pytest.mark.reference
@pytest.mark.skipif(not SHARED_JIAMUSI.is_file(), reason="shared reference data not beside the checkout")
def test_shared_jiamusi_long_csv_reads_to_the_bundled_rules():
    from_csv = benefits.Schedule.from_csv(SHARED_JIAMUSI)
    bundled = benefits.load_schedule("jiamusi_2018_urrbmi")
    assert dict(from_csv.deductible) == dict(bundled.deductible)
    assert dict(from_csv.rate) == dict(bundled.rate)
    assert dict(from_csv.out_of_area) == dict(bundled.out_of_area)
    assert from_csv.ceiling == bundled.ceiling == 80000
    assert from_csv.critical_illness == bundled.critical_illness
    assert from_csv.outpatient == bundled.outpatient
    assert from_csv.groups["poor_and_special_groups"].rate_bonus == 0.05
    # non-rule rows (financing, maternity, contribution changes) are kept, not applied
    assert from_csv.extras["financing_total_per_person"] == {"all": 660}
