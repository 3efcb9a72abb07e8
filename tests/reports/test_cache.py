"""The build cache of `disparity report`: what a rebuild recomputes, and that it changes no byte."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import disparity.cli as cli
from disparity.reports import cache as cache_mod
from disparity.reports.cache import MISSING, BuildCache, code_fingerprint, step_keys
from disparity.reports.pipeline import load_analysis, run_analysis

SPEC = '''
title = "cache test"
lang = "en"
output = "out"
seed = 7

[data.a]
path = "a.csv"

[data.b]
path = "b.csv"

[[steps]]
section = "Inequality"

[[steps]]
name = "ga"
call = "gini"
data = "a"
args = { y = "y" }

[[steps]]
name = "gb"
call = "gini"
data = "b"
args = { y = "y" }

[[steps]]
table = "measure_table"
results = ["ga"]
caption = "A"

[[steps]]
table = "measure_table"
results = ["gb"]
caption = "B"

[[steps]]
name = "lb"
call = "lorenz"
data = "b"
args = { y = "y" }

[[steps]]
figure = "lorenz_plot"
results = ["lb"]
caption = "Lorenz B"
'''


def _write_data(folder: Path, name: str, values: list[float]) -> None:
    rows = "\n".join(f"{v},{i % 3}" for i, v in enumerate(values))
    (folder / name).write_text("y,g\n" + rows + "\n", encoding="utf-8")


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the manifest's time, so whole folders compare
    _write_data(tmp_path, "a.csv", [1.0, 2.0, 3.0, 5.0, 8.0, 13.0])
    _write_data(tmp_path, "b.csv", [2.0, 2.0, 3.0, 4.0, 9.0, 30.0])
    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")
    return tmp_path


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _build(project: Path, out: str, cache, log: list[str] | None = None) -> dict[str, bytes]:
    said = log if log is not None else []
    run_analysis(load_analysis(project / "spec.toml"), output=project / out, cache=cache, progress=said.append)
    return _files(project / out)


def _computed(log: list[str]) -> list[str]:
    return [m.split(": ", 1)[1].split(" = ")[0] for m in log if m.startswith("step ")]


def test_unchanged_rebuild_comes_from_the_cache_and_is_byte_identical(project):
    store = project / "cache"
    fresh = _build(project, "plain", False)
    first_log: list[str] = []
    first = _build(project, "cached", BuildCache(store), first_log)
    assert _computed(first_log) == ["ga", "gb", "lb"]
    assert first == fresh  # caching changes no byte of a first build
    again: list[str] = []
    second = _build(project, "cached", BuildCache(store), again)
    assert second == fresh
    assert _computed(again) == []
    assert any("come from the cache" in m for m in again)
    # never shipped: the report folder holds exactly what its manifest lists, no cache entry
    assert not any(name.endswith(".pkl") or "cache" in name for name in second)


def test_a_changed_data_file_recomputes_only_the_steps_that_read_it(project):
    store = project / "cache"
    before = _build(project, "rep", BuildCache(store))
    _write_data(project, "b.csv", [1.0, 1.0, 1.0, 1.0, 1.0, 50.0])
    log: list[str] = []
    after = _build(project, "rep", BuildCache(store), log)
    assert sorted(_computed(log)) == ["gb", "lb"]  # "ga" (file a) came from the cache
    assert after["tables/table1.md"] == before["tables/table1.md"]
    assert after["tables/table2.md"] != before["tables/table2.md"]
    assert after["figures/figure1.png"] != before["figures/figure1.png"]
    # and equals a full build of the new data
    full = _build(project, "full", False)
    assert {k: v for k, v in after.items() if k != "manifest.json"} == {
        k: v for k, v in full.items() if k != "manifest.json"}


def test_a_changed_step_recomputes_it_and_what_uses_it(project):
    store = project / "cache"
    _build(project, "rep", BuildCache(store))
    spec = project / "spec.toml"
    spec.write_text(SPEC.replace('caption = "A"', 'caption = "A, renamed"'), encoding="utf-8")
    log: list[str] = []
    files = _build(project, "rep", BuildCache(store), log)
    assert _computed(log) == []  # the caption is applied to the cached table
    assert b"A, renamed" in files["tables/table1.md"]
    spec.write_text(SPEC.replace('args = { y = "y" }\n\n[[steps]]\nname = "gb"',
                                 'args = { y = "y", se = "bootstrap", reps = 20 }\n\n[[steps]]\nname = "gb"'),
                    encoding="utf-8")
    log = []
    _build(project, "rep", BuildCache(store), log)
    assert _computed(log) == ["ga"]


def test_keys_cover_seed_language_data_and_software(project):
    spec = load_analysis(project / "spec.toml")
    data, keys = step_keys(spec, "fp1")
    assert set(keys) == {2, 3, 4, 5, 6, 7} and all(k and len(k) == 64 for k in keys.values())
    assert keys[2] != keys[3]  # same step on different data
    assert step_keys(spec, "fp2")[1][2] != keys[2]  # other software
    other = load_analysis(_rewrite(project, SPEC.replace("seed = 7", "seed = 8")))
    assert step_keys(other, "fp1")[1][2] != keys[2]
    other = load_analysis(_rewrite(project, SPEC.replace('lang = "en"', 'lang = "zh"')))
    assert step_keys(other, "fp1")[1][4] != keys[4]
    # a table's key follows the key of the result it shows
    _write_data(project, "a.csv", [1.0, 2.0, 3.0])
    changed = step_keys(spec, "fp1")[1]
    assert changed[4] != keys[4] and changed[5] == keys[5]
    # the fingerprint hashes the package's source, not only its version number
    assert len(code_fingerprint()) == 64


def _rewrite(project: Path, text: str) -> Path:
    p = project / "other.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_deleting_the_cache_is_safe(project):
    import shutil

    store = project / "cache"
    first = _build(project, "rep", BuildCache(store))
    shutil.rmtree(store)
    log: list[str] = []
    assert _build(project, "rep", BuildCache(store), log) == first
    assert _computed(log) == ["ga", "gb", "lb"]


def test_secret_key_is_private_and_a_foreign_key_is_replaced(tmp_path):
    store = BuildCache(tmp_path / "c", key_dir=tmp_path / "c")
    key = "ab" * 32
    assert store.put(key, [1, 2])
    key_file = tmp_path / "c" / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "c").stat().st_mode) == 0o700
    assert BuildCache(tmp_path / "c", key_dir=tmp_path / "c").get(key) == [1, 2]
    # a readable-by-others key file is not this user's secret: replaced, and old entries not trusted
    os.chmod(key_file, 0o644)
    assert BuildCache(tmp_path / "c", key_dir=tmp_path / "c").get(key) is MISSING
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_unpicklable_values_are_recomputed_not_cached(tmp_path):
    store = BuildCache(tmp_path / "c")
    assert store.put("cd" * 32, lambda: 1, what="step 1 (x)") is False
    assert store.unpicklable == ["step 1 (x)"]
    assert store.get("cd" * 32) is MISSING
    with pytest.raises(ValueError, match="not a SHA-256"):
        store.get("../../etc/passwd")


def test_cli_no_cache_and_cache_dir(project, capsys):
    spec, store = str(project / "spec.toml"), project / "c"
    assert cli.main(["report", spec, "--out", str(project / "r"), "--cache-dir", str(store)]) == 0
    assert any(store.rglob("*.pkl"))
    assert cli.main(["report", spec, "--out", str(project / "r"), "--cache-dir", str(store)]) == 0
    assert "come from the cache" in capsys.readouterr().out
    empty = project / "unused"
    assert cli.main(["report", spec, "--out", str(project / "r"), "--no-cache", "--cache-dir", str(empty)]) == 0
    out = capsys.readouterr().out
    assert "come from the cache" not in out and "step 2/7: ga = gini" in out
    assert not empty.exists()


def test_cache_inside_the_report_folder_is_refused(project, capsys):
    out = project / "r"
    assert cli.main(["report", str(project / "spec.toml"), "--out", str(out), "--cache-dir", str(out / "c")]) == 2
    assert "inside the report folder" in capsys.readouterr().err
    assert not out.exists()


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DISPARITY_CACHE_DIR", str(tmp_path / "x"))
    assert cache_mod.default_cache_dir() == tmp_path / "x"
    monkeypatch.delenv("DISPARITY_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_mod.default_cache_dir() == tmp_path / "xdg" / "disparity"


@pytest.mark.parametrize("module", ["disparity.reports.cache", "disparity.reports.export"])
def test_docstring_examples(module, tmp_path, monkeypatch):
    import doctest
    import importlib

    monkeypatch.chdir(tmp_path)  # the examples write here
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0


def _entries(root: Path) -> list[Path]:
    return sorted((root / "steps").glob("*/*.pkl"))


def test_prune_removes_least_recently_used_entries_first(tmp_path):
    store = BuildCache(tmp_path / "c", key_dir=tmp_path / "k")
    keys = [cache_mod.digest({"i": i}) for i in range(6)]
    for i, key in enumerate(keys):
        assert store.put(key, b"x" * 10_000)
        os.utime(store._entry(key), (1_000_000 + i, 1_000_000 + i))  # put in order 0..5
    size = store._entry(keys[0]).stat().st_size
    assert store.get(keys[0]) == b"x" * 10_000  # a read is a use: entry 0 is now the newest
    removed, kept = store.prune(max_bytes=3 * size)
    assert removed == 3 and kept == 3 * size
    assert [store.get(k) is MISSING for k in keys] == [False, True, True, True, False, False]
    assert store.prune(max_bytes=0) == (3, 0)
    assert _entries(tmp_path / "c") == []


def test_prune_never_removes_what_the_cache_did_not_write(tmp_path):
    root = tmp_path / "c"
    store = BuildCache(root, key_dir=tmp_path / "k")
    key = cache_mod.digest({"mine": 1})
    store.put(key, 1)
    sub = store._entry(key).parent
    foreign_named = sub / (key[:2] + "f" * 62 + ".pkl")  # named like an entry, not one
    foreign_named.write_bytes(b"thesis draft")
    other = sub / "notes.txt"
    other.write_text("keep me", encoding="utf-8")
    outside = tmp_path / "precious.pkl"
    outside.write_bytes(cache_mod._MAGIC + b"\0" * 40)
    (sub / (key[:2] + "e" * 62 + ".pkl")).symlink_to(outside)
    stale = sub / ".entry.abc"
    stale.write_bytes(b"half")
    os.utime(stale, (1_000_000, 1_000_000))
    fresh_tmp = sub / ".entry.def"
    fresh_tmp.write_bytes(b"being written")
    assert store.prune(max_bytes=0) == (1, 0)
    assert store.get(key) is MISSING
    assert foreign_named.read_bytes() == b"thesis draft"
    assert other.read_text(encoding="utf-8") == "keep me"
    assert outside.exists() and (sub / (key[:2] + "e" * 62 + ".pkl")).is_symlink()
    assert not stale.exists() and fresh_tmp.exists()  # a killed build's leftover goes


def test_every_build_keeps_the_cache_within_its_size(project, monkeypatch):
    store = project / "cache"
    _build(project, "rep", BuildCache(store))
    assert len(_entries(store)) >= 4
    monkeypatch.setenv("DISPARITY_CACHE_MAX_MB", "0")
    log: list[str] = []
    _build(project, "rep", BuildCache(store), log)
    assert _entries(store) == []
    assert any("least recently used" in m for m in log)
    monkeypatch.setenv("DISPARITY_CACHE_MAX_MB", "not a number")  # falls back to the default
    _build(project, "rep", BuildCache(store))
    assert len(_entries(store)) >= 4
