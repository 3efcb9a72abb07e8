"""The build cache is no way in: a cache entry we did not sign is never unpickled.

Every entry is a pickle signed with HMAC-SHA256 under a secret key in the user's own cache folder.
These tests forge entries the ways someone else could (a pickle dropped into the folder, one signed
with another key such as a cache shipped inside a replication package, a truncated or edited one)
and check that none is unpickled: each forged pickle would create PWNED if it were.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import disparity.cli as cli
from disparity.reports.cache import BuildCache, code_fingerprint, step_keys
from disparity.reports.pipeline import load_analysis, run_analysis

SPEC = '''
title = "t"
lang = "en"
output = "out"

[data.d]
path = "d.csv"

[[steps]]
name = "g"
call = "gini"
data = "d"
args = { y = "y" }

[[steps]]
table = "measure_table"
results = ["g"]
'''


class _Payload:
    """Unpickling this creates the file PWNED in the working folder."""

    def __reduce__(self):
        return (open, ("PWNED", "w"))


def _forge(store_root: Path, key: str, blob: bytes) -> None:
    path = store_root / "steps" / key[:2] / f"{key}.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)


@pytest.fixture
def project(sandbox):
    (sandbox / "d.csv").write_text("y\n1\n2\n3\n10\n", encoding="utf-8")
    (sandbox / "spec.toml").write_text(SPEC, encoding="utf-8")
    return sandbox


def _all_keys(project: Path) -> list[str]:
    spec = load_analysis(project / "spec.toml")
    return [k for k in step_keys(spec, code_fingerprint())[1].values() if k]


def _render_key(project: Path, store: BuildCache) -> str:
    """Build once so the render key's entry exists; return the keys of every entry written."""
    run_analysis(load_analysis(project / "spec.toml"), output=project / "first", cache=store)
    return sorted(p.stem for p in store.root.rglob("*.pkl"))


@pytest.mark.parametrize("how", ["raw pickle", "no magic", "signed with another key", "truncated", "edited"])
def test_forged_entries_are_never_unpickled(project, how):
    root = project / "cache"
    store = BuildCache(root, key_dir=project / "mykey")
    keys = _render_key(project, store)
    evil = pickle.dumps(_Payload())
    for key in keys:
        entry = root / "steps" / key[:2] / f"{key}.pkl"
        good = entry.read_bytes()
        if how == "raw pickle":
            blob = evil
        elif how == "no magic":
            blob = b"XXXX" + good[4:36] + evil
        elif how == "signed with another key":
            other = BuildCache(project / "theirs", key_dir=project / "theirs")
            other.put(key, _Payload())
            blob = (project / "theirs" / "steps" / key[:2] / f"{key}.pkl").read_bytes()
        elif how == "truncated":
            blob = good[:40]
        else:  # a valid signature, another payload
            blob = good[:36] + evil
        _forge(root, key, blob)
    log: list[str] = []
    run_analysis(load_analysis(project / "spec.toml"), output=project / "second",
                 cache=BuildCache(root, key_dir=project / "mykey"), progress=log.append)
    assert any(m.startswith("step 1/2") for m in log)  # recomputed
    assert (project / "second" / "tables" / "table1.md").read_bytes() == \
        (project / "first" / "tables" / "table1.md").read_bytes()


def test_a_cache_shipped_with_a_package_and_its_own_key_is_not_trusted(project, monkeypatch):
    """`--cache-dir` pointing at a folder someone sent (with a secret.key of its own): the key is
    always the user's own, so the folder's signed entries are foreign."""
    shipped = project / "package-cache"
    theirs = BuildCache(shipped, key_dir=shipped)  # the attacker signs with the key they ship
    for key in _all_keys(project):
        theirs.put(key, _Payload())
    monkeypatch.setenv("DISPARITY_CACHE_DIR", str(project / "user-cache"))
    assert cli.main(["report", "spec.toml", "--out", "rep", "--cache-dir", str(shipped)]) == 0
    assert (project / "rep" / "tables" / "table1.md").is_file()
    assert (project / "user-cache" / "secret.key").is_file()


def test_the_cache_is_never_written_inside_a_report_or_a_spec_folder(project, monkeypatch):
    monkeypatch.setenv("DISPARITY_CACHE_DIR", str(project / "elsewhere"))
    assert cli.main(["report", "spec.toml", "--out", "rep"]) == 0
    assert sorted(p.name for p in project.iterdir()) == ["d.csv", "elsewhere", "rep", "spec.toml"]
    assert not [p for p in (project / "rep").rglob("*") if p.suffix == ".pkl" or p.name == "secret.key"]
    for bad in ("rep", "rep/cache", "rep/tables"):
        assert cli.main(["report", "spec.toml", "--out", "rep", "--cache-dir", bad]) == 2


def test_cache_dir_that_is_a_file_is_an_error_not_a_traceback(project, capsys):
    (project / "afile").write_text("x", encoding="utf-8")
    assert cli.main(["report", "spec.toml", "--out", "rep", "--cache-dir", "afile"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("disparity: error: The build cache folder") and "Traceback" not in err
