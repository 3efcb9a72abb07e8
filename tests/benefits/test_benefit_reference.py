"""dp.benefits against an independent R implementation of the Jiamusi 2018 rules."""

from __future__ import annotations

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
