"""`disparity export SPEC DEST`: DEST never destroys anything, and only the spec's data leave.

The package is written only to a new folder, an empty one, or an earlier package; the spec's own
folder, a folder of files, a report folder, a file, a symlink are refused before anything is
written. Only the data files the spec names (each read as data first) are copied.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import disparity.cli as cli
from disparity.errors import DisparityError, OutputExistsError
from disparity.reports.export import export_package

ROOT = Path(__file__).resolve().parents[2]

SPEC = '''
title = "t"
lang = "en"
output = "out"

[data.d]
path = "{path}"

[[steps]]
name = "g"
call = "gini"
data = "d"
args = {{ y = "y" }}
'''


@pytest.fixture
def study(sandbox):
    folder = sandbox / "study"
    folder.mkdir()
    (folder / "d.csv").write_text("y\n1\n2\n5\n", encoding="utf-8")
    (folder / "spec.toml").write_text(SPEC.format(path="d.csv"), encoding="utf-8")
    (folder / "thesis.docx").write_bytes(b"my chapter")
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("dest", [".", "..", "study", "study/..", "study/."])
def test_dest_that_is_or_holds_the_spec_folder_is_refused(study, dest, capsys):
    before = _snapshot(study.parent)
    assert cli.main(["export", "study/spec.toml", dest]) == 2
    assert capsys.readouterr().err.startswith("disparity: error:")
    assert _snapshot(study.parent) == before


def test_dest_that_is_a_file_a_symlink_or_a_folder_of_yours_is_refused(study, sandbox):
    (sandbox / "afile").write_text("keep", encoding="utf-8")
    (sandbox / "mine").mkdir()
    (sandbox / "mine" / "notes.txt").write_text("keep", encoding="utf-8")
    (sandbox / "target").mkdir()
    os.symlink(sandbox / "target", sandbox / "link")
    for dest in ("afile", "mine", "link"):
        with pytest.raises(OutputExistsError):
            export_package(study / "spec.toml", sandbox / dest)
    assert (sandbox / "afile").read_text(encoding="utf-8") == "keep"
    assert (sandbox / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep"
    assert list((sandbox / "target").iterdir()) == []
    assert not [p for p in sandbox.iterdir() if p.name.startswith(".")]  # no temporary folder left


@pytest.mark.parametrize("path", ["../.ssh/id_rsa.csv", "../.config/x/secret.csv", "thesis.docx", "missing.csv",
                                  ".", "/dev/zero"])
def test_only_files_read_as_data_are_copied(study, sandbox, path):
    for private in ("../.ssh/id_rsa.csv", "../.config/x/secret.csv"):
        (study / private).parent.mkdir(parents=True, exist_ok=True)
        (study / private).write_text("password\nhunter2\n", encoding="utf-8")
    (study / "spec.toml").write_text(SPEC.format(path=path), encoding="utf-8")
    with pytest.raises(DisparityError):
        export_package(study / "spec.toml", sandbox / "pkg")
    assert not (sandbox / "pkg").exists()


def test_data_outside_the_spec_folder_is_copied_and_said(study, sandbox):
    (sandbox / "shared.csv").write_text("y\n3\n4\n", encoding="utf-8")
    (study / "spec.toml").write_text(SPEC.format(path="../shared.csv"), encoding="utf-8")
    said: list[str] = []
    package = export_package(study / "spec.toml", sandbox / "pkg", progress=said.append)
    assert any("outside the spec's folder" in m for m in said)
    assert "outside the spec's folder" in (package / "README.md").read_text(encoding="utf-8")
    assert (package / "data" / "shared.csv").read_bytes() == (sandbox / "shared.csv").read_bytes()


def test_nothing_else_of_the_spec_folder_leaves(study, sandbox):
    package = export_package(study / "spec.toml", sandbox / "pkg")
    copied = b"".join(p.read_bytes() for p in package.rglob("*") if p.is_file())
    assert b"my chapter" not in copied
    assert sorted(p.name for p in (package / "data").iterdir()) == ["SHA256SUMS", "d.csv"]


def test_rebuild_script_refuses_checksum_paths_outside_the_package(study, sandbox):
    package = export_package(study / "spec.toml", sandbox / "pkg")
    sums = package / "data" / "SHA256SUMS"
    sums.write_text(sums.read_text(encoding="utf-8") + "0" * 64 + "  ../../secret.txt\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(package / "rebuild.py"), "--out", str(sandbox / "r")], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1 and "not inside the package" in done.stderr
    assert not (sandbox / "r").exists()
