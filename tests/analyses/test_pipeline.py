"""Analysis specs (reports.pipeline): the CLI dispatch and every refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

import disparity.cli as cli
from disparity.errors import SpecificationError
from disparity.reports.pipeline import load_analysis, prepare, run_analysis

ROOT = Path(__file__).resolve().parents[2]

BASE = '''
title = "t"
lang = "en"
output = "out"
seed = 3

[data.panel]
dataset = "province_panel"
'''


def write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "spec.toml"
    p.write_text(BASE + body, encoding="utf-8")
    return p


def test_cli_report_dispatches_analysis_specs(tmp_path, capsys):
    spec = write(tmp_path, '''
[[steps]]
name = "g"
call = "gini"
data = "panel"
args = { y = "reimb_rural", by = "year", se = "bootstrap", reps = 50 }

[[steps]]
table = "measure_table"
results = ["g"]
caption = "Gini by year"
''')
    assert cli.main(["report", str(spec), "--out", str(tmp_path / "rep")]) == 0
    assert (tmp_path / "rep" / "tables" / "table1.md").is_file()
    text = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text
    # the spec seed reached the bootstrap: a second build is identical
    run_analysis(load_analysis(spec), output=tmp_path / "rep2")
    assert (tmp_path / "rep" / "tables" / "table1.md").read_bytes() == (tmp_path / "rep2" / "tables" / "table1.md").read_bytes()


@pytest.mark.parametrize(
    "body, message",
    [
        ('[[steps]]\nname = "x"\ncall = "eval"\ndata = "panel"\n', "call='eval' is not allowed"),
        ('[[steps]]\nname = "x"\nmethod = "__class__"\nof = "y"\n', "method='__class__' is not allowed"),
        ('[[steps]]\ntable = "to_pickle"\nresults = []\n', "table='to_pickle' is not allowed"),
        ('[[steps]]\nfigure = "savefig"\ndata = "panel"\n', "figure='savefig' is not allowed"),
        ('[[steps]]\ncall = "gini"\ndata = "panel"\n', "needs name"),
        ('[[steps]]\nname = "x"\ncall = "gini"\ndata = "nope"\n', "names no data table"),
        ('[[steps]]\ntable = "measure_table"\nresults = ["later"]\n', "before it is defined"),
        ('[[steps]]\nname = "x"\ncall = "gini"\ntable = "frame"\n', "exactly one of"),
        ('[[steps]]\nname = "x"\ncall = "gini"\ndata = "panel"\nshell = "rm -rf /"\n', "unknown key"),
    ],
)
def test_bad_specs_are_refused(tmp_path, body, message):
    with pytest.raises(SpecificationError, match=message):
        load_analysis(write(tmp_path, body))


def test_formulas_cannot_run_code(tmp_path):
    spec = write(tmp_path, '''
[[steps]]
name = "m"
call = "ols"
data = "panel"
args = { formula = "benefit_gap ~ __import__('os').getcwd()" }
''')
    with pytest.raises(SpecificationError, match="not allowed"):
        run_analysis(load_analysis(spec), output=tmp_path / "rep")


def test_references_reach_data_fields_only(tmp_path):
    spec = write(tmp_path, '''
[[steps]]
name = "w"
call = "entropy_weights"
data = "panel"
args = { indicators = ["reimb_rural", "subsidy_pc"] }

[[steps]]
name = "t"
call = "topsis"
data = "panel"
args = { indicators = ["reimb_rural", "subsidy_pc"], weights = "$w.__class__" }
''')
    with pytest.raises(SpecificationError, match="not a data field"):
        run_analysis(load_analysis(spec), output=tmp_path / "rep")


def test_prepare_filters_codes_and_indexes():
    import disparity as dp

    survey = dp.datasets.chifeng_survey()
    out = prepare(survey, where={"inpatient": "是"}, codes=["urban"])
    assert len(out) == (survey["inpatient"] == "是").sum()
    assert set(out["urban"].dropna().unique()) <= {0.0, 1.0}
    assert out.attrs["synthetic"] is True
    with pytest.raises(SpecificationError, match="not a column"):
        prepare(survey, codes=["nope"])
