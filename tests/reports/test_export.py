"""`disparity export`: a replication package rebuilds the same report, in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import disparity.cli as cli
from disparity.errors import OutputExistsError
from disparity.reports.export import PACKAGE_KIND, export_package, toml_dumps
from disparity.reports.pipeline import load_analysis, run_analysis

ROOT = Path(__file__).resolve().parents[2]
EPOCH = "1700000000"

SPEC = '''
# a comment that original/ keeps
title = "导出测试"
lang = "zh"
output = "../reports/x"
seed = 11

[data.local]
path = "data/local.csv"

[data.outside]
path = "../shared/outside.csv"
where = { g = 1 }

[[steps]]
name = "ga"
call = "gini"
data = "local"
args = { y = "y", se = "bootstrap", reps = 30 }

[[steps]]
name = "gb"
call = "gini"
data = "outside"
args = { y = "y" }

[[steps]]
table = "measure_table"
results = ["ga", "gb"]
caption = "基尼系数"
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    study = tmp_path / "study"
    (study / "data").mkdir(parents=True)
    (tmp_path / "shared").mkdir()
    (study / "data" / "local.csv").write_text("y,g\n1,0\n2,1\n4,0\n9,1\n12,1\n", encoding="utf-8")
    (tmp_path / "shared" / "outside.csv").write_text("y,g\n3,1\n3,1\n5,0\n8,1\n20,1\n", encoding="utf-8")
    (study / "notes-private.txt").write_text("not data", encoding="utf-8")
    (study / "data" / "unused.csv").write_text("y\n1\n", encoding="utf-8")
    (study / "spec.toml").write_text(SPEC, encoding="utf-8")
    return study


def _files(folder: Path, *, skip: tuple[str, ...] = ("manifest.json",)) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.relative_to(folder).as_posix() not in skip}


def _rebuild(package: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the package's rebuild.py in a new Python process (same interpreter, no new venv)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": EPOCH}
    return subprocess.run([sys.executable, str(package / "rebuild.py"), "--out", str(out), *args],
                          cwd=package.parent, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_package_rebuilds_the_same_report_in_a_fresh_process(project, tmp_path):
    original = run_analysis(load_analysis(project / "spec.toml"), output=tmp_path / "original-report")
    package = export_package(project / "spec.toml", tmp_path / "pkg")
    names = sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file())
    # the spec and the two data files it names, nothing else of the project
    assert names == ["README.md", "data/SHA256SUMS", "data/local.csv", "data/outside.csv", "manifest.json",
                     "original/spec.toml", "rebuild.py", "report.toml", "requirements.lock"]
    assert (package / "data" / "outside.csv").read_bytes() == (tmp_path / "shared" / "outside.csv").read_bytes()
    assert (package / "original" / "spec.toml").read_text(encoding="utf-8") == SPEC
    spec = tomllib.loads((package / "report.toml").read_text(encoding="utf-8"))
    assert spec["output"] == "report"
    assert spec["data"]["outside"] == {"path": "data/outside.csv", "where": {"g": 1}}
    assert spec["steps"] == tomllib.loads(SPEC)["steps"]
    lock = (package / "requirements.lock").read_text(encoding="utf-8")
    assert "\nnumpy==" in lock and "\npandas==" in lock and "\ndisparity==" in lock
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == PACKAGE_KIND and sorted(manifest["files"]) == names
    done = _rebuild(package, tmp_path / "rebuilt")
    assert done.returncode == 0, done.stderr
    assert _files(tmp_path / "rebuilt") == _files(original)
    rebuilt = json.loads((tmp_path / "rebuilt" / "manifest.json").read_text(encoding="utf-8"))
    before = json.loads((original / "manifest.json").read_text(encoding="utf-8"))
    assert [i["sha256"] for i in rebuilt["inputs"]] == [i["sha256"] for i in before["inputs"]]


def test_demo_report_from_a_package(tmp_path, monkeypatch):
    """A demo analysis (bundled data: recorded by SHA-256, checked against the installed copy)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    spec = ROOT / "analyses" / "gansu" / "report.toml"
    original = run_analysis(load_analysis(spec), output=tmp_path / "original")
    assert cli.main(["export", str(spec), str(tmp_path / "pkg")]) == 0
    sums = (tmp_path / "pkg" / "data" / "SHA256SUMS").read_text(encoding="utf-8")
    assert sums.endswith("  bundled:province_panel.csv\n")
    done = _rebuild(tmp_path / "pkg", tmp_path / "rebuilt")
    assert done.returncode == 0, done.stderr
    assert _files(tmp_path / "rebuilt") == _files(original)


def test_no_data_records_hashes_and_the_rebuild_says_what_is_missing(project, tmp_path):
    package = export_package(project / "spec.toml", tmp_path / "pkg", data=False)
    assert sorted(p.name for p in (package / "data").iterdir()) == ["SHA256SUMS"]
    sums = (package / "data" / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert [line.split("  ")[1] for line in sums] == ["data/local.csv", "data/outside.csv"]
    readme = (package / "README.md").read_text(encoding="utf-8")
    assert "not included" in readme and sums[0].split()[0] in readme
    done = _rebuild(package, tmp_path / "rebuilt")
    assert done.returncode == 1 and "data/local.csv: missing" in done.stderr
    assert not (tmp_path / "rebuilt").exists()
    # the right files make it build; a different file is named
    (package / "data" / "local.csv").write_bytes((project / "data" / "local.csv").read_bytes())
    (package / "data" / "outside.csv").write_text("y,g\n1,1\n", encoding="utf-8")
    done = _rebuild(package, tmp_path / "rebuilt")
    assert done.returncode == 1 and "data/outside.csv: SHA-256 differs" in done.stderr
    (package / "data" / "outside.csv").write_bytes((tmp_path / "shared" / "outside.csv").read_bytes())
    assert _rebuild(package, tmp_path / "rebuilt").returncode == 0


def test_export_replaces_only_an_earlier_package(project, tmp_path):
    first = export_package(project / "spec.toml", tmp_path / "pkg")
    (project / "data" / "local.csv").write_text("y,g\n5,0\n6,1\n7,1\n", encoding="utf-8")
    export_package(project / "spec.toml", first)  # an earlier package: replaced
    assert (first / "data" / "local.csv").read_text(encoding="utf-8").startswith("y,g\n5,0")
    (first / "mine.txt").write_text("x", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="mine.txt"):
        export_package(project / "spec.toml", first)
    assert (first / "mine.txt").is_file()
    report = run_analysis(load_analysis(project / "spec.toml"), output=tmp_path / "a-report")
    with pytest.raises(OutputExistsError, match="not a replication package"):
        export_package(project / "spec.toml", report)
    assert (report / "index.html").is_file()


def test_toml_dumps_round_trips_what_specs_hold():
    doc = {"title": 'a "quoted" 标题\n', "seed": 3, "x": 1.5e-07, "flag": True, "empty": [],
           "data": {"d 1": {"path": "p.csv", "where": {"地区": "甘肃", "n": 2}}, "e": {"from": "d 1"}},
           "steps": [{"args": {"labels": {"0": "农村", "a.b": "x"}, "v": [1, 2.5, "s"]}}, {"text": "t"}]}
    assert tomllib.loads(toml_dumps(doc)) == doc


def test_a_model_and_tables_spec_with_a_data_file(tmp_path, monkeypatch):
    """Specs without [[steps]] (one [data] table) export and rebuild the same way."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    study = tmp_path / "study"
    study.mkdir()
    (study / "survey.csv").write_text("y,x\n1,0\n3,1\n2,0\n6,1\n5,1\n2,0\n", encoding="utf-8")
    (study / "spec.toml").write_text('title = "m"\nlang = "en"\n\n[data]\npath = "survey.csv"\n\n'
                                     '[[models]]\nname = "m1"\nformula = "y ~ x"\n\n'
                                     '[[tables]]\ntype = "regression"\nmodels = ["m1"]\n', encoding="utf-8")
    assert cli.main(["report", str(study / "spec.toml"), "--out", str(tmp_path / "original")]) == 0
    assert cli.main(["export", str(study / "spec.toml"), str(tmp_path / "pkg")]) == 0
    spec = tomllib.loads((tmp_path / "pkg" / "report.toml").read_text(encoding="utf-8"))
    assert spec["data"] == {"path": "data/survey.csv"} and spec["output"] == "report"
    assert cli.main(["report", str(tmp_path / "pkg" / "report.toml"), "--out", str(tmp_path / "rebuilt")]) == 0
    assert _files(tmp_path / "rebuilt") == _files(tmp_path / "original")
