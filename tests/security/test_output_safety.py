"""Nothing disparity writes destroys something it did not make."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from disparity.errors import OutputExistsError
from disparity.reports import HeaderCell, Report, Table
from disparity.reports._files import BUILD_MARKER, atomic_write_bytes, clean_stale_builds

ROOT = Path(__file__).resolve().parents[2]


def _table():
    return Table(header=((HeaderCell("a"),),), body=(("1",),))


def _report(title="r"):
    return Report(title, lang="en").add_text("hello").add_table(_table())


def test_save_onto_an_existing_file_is_refused(tmp_path):
    target = tmp_path / "chapter.docx"
    target.write_bytes(b"thesis")
    with pytest.raises(OutputExistsError, match="chapter.docx"):
        _report().save(target)
    assert target.read_bytes() == b"thesis"
    assert [p.name for p in tmp_path.iterdir()] == ["chapter.docx"]


def test_save_onto_a_foreign_folder_is_refused(tmp_path):
    target = tmp_path / "project"
    target.mkdir()
    (target / "data.dta").write_bytes(b"data")
    with pytest.raises(OutputExistsError, match="not a report made by disparity"):
        _report().save(target)
    assert (target / "data.dta").read_bytes() == b"data"


def test_a_report_with_a_foreign_file_inside_is_not_replaced(tmp_path):
    out = _report().save(tmp_path / "rep")
    (out / "tables" / "my_notes.txt").write_text("notes", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="my_notes.txt"):
        _report("again").save(out)
    assert (out / "tables" / "my_notes.txt").read_text(encoding="utf-8") == "notes"


def test_a_forged_manifest_does_not_make_a_folder_replaceable(tmp_path):
    target = tmp_path / "rep"
    target.mkdir()
    (target / "manifest.json").write_text("{}", encoding="utf-8")
    (target / "thesis.tex").write_text("x", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="did not write"):
        _report().save(target)
    (target / "manifest.json").write_text(json.dumps(
        {"created": 1, "inputs": [], "outputs": {}, "packages": {}, "files": ["index.html"]}), encoding="utf-8")
    with pytest.raises(OutputExistsError, match="thesis.tex"):
        _report().save(target)


def test_an_earlier_report_is_replaced(tmp_path):
    first = _report("first").save(tmp_path / "rep")
    assert "first" in (first / "index.html").read_text(encoding="utf-8")
    second = _report("second").save(tmp_path / "rep")
    assert "second" in (second / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]  # no temporary folders left
    manifest = json.loads((second / "manifest.json").read_text(encoding="utf-8"))
    on_disk = sorted(p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file())
    assert sorted(manifest["files"]) == on_disk


def test_an_empty_folder_may_receive_a_report(tmp_path):
    (tmp_path / "rep").mkdir()
    assert (_report().save(tmp_path / "rep") / "index.html").is_file()


def test_leftovers_of_a_killed_build_are_removed_by_the_next_build(tmp_path):
    """A build killed with SIGKILL leaves its temporary folder; the next build removes it."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from disparity.reports import Report, Table, HeaderCell
        import disparity.reports.builder as b
        def die(*a, **k):
            os.kill(os.getpid(), signal.SIGKILL)
        b.build_manifest = die
        Report("x").add_text("t").save({str(tmp_path / "rep")!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    left = [p for p in tmp_path.iterdir() if p.name.endswith(".building")]
    assert len(left) == 1 and (left[0] / BUILD_MARKER).is_file()
    _report().save(tmp_path / "rep")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_a_running_build_is_not_removed(tmp_path):
    live = tmp_path / ".rep.abc.building"
    live.mkdir()
    (live / BUILD_MARKER).write_text(f"{os.getpid()} {__import__('socket').gethostname()}", encoding="ascii")
    assert clean_stale_builds(tmp_path, "rep") == []
    assert live.is_dir()


def test_files_and_folders_get_the_users_umask(tmp_path):
    old = os.umask(0o027)
    try:
        out = _report().save(tmp_path / "rep")
        xlsx = _table().to_xlsx(tmp_path / "t.xlsx")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o750
    assert (out / "tables").stat().st_mode & 0o777 == 0o750
    assert (out / "tables" / "table1.xlsx").stat().st_mode & 0o777 == 0o640
    assert (out / "index.html").stat().st_mode & 0o777 == 0o640
    assert xlsx.stat().st_mode & 0o777 == 0o640


def test_data_are_fsynced_before_the_final_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_rename = os.fsync, os.rename
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "rename", lambda a, b: (events.append("rename"), real_rename(a, b))[1])
    _report().save(tmp_path / "rep")
    assert "rename" in events
    before = events[: events.index("rename")]
    n_files = sum(1 for p in (tmp_path / "rep").rglob("*") if p.is_file())
    assert before.count("fsync") >= n_files


@pytest.mark.parametrize("method", ["to_xlsx", "to_docx"])
def test_table_writers_refuse_existing_files(tmp_path, method):
    target = tmp_path / f"t.{method[3:]}"
    target.write_bytes(b"mine")
    with pytest.raises(OutputExistsError, match="already exists"):
        getattr(_table(), method)(target)
    assert target.read_bytes() == b"mine"
    getattr(_table(), method)(target, overwrite=True)
    assert target.read_bytes() != b"mine"


def test_atomic_write_without_overwrite_never_replaces(tmp_path):
    p = tmp_path / "f.bin"
    atomic_write_bytes(p, b"one", overwrite=False)
    with pytest.raises(OutputExistsError):
        atomic_write_bytes(p, b"two", overwrite=False)
    assert p.read_bytes() == b"one"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["f.bin"]


def test_cli_report_refuses_a_foreign_out_folder(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('title = "t"\n[data]\ndataset = "chifeng_survey"\n[[models]]\nname = "m"\n'
                    'formula = "reimbursed ~ age"\n', encoding="utf-8")
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "a.txt").write_text("a", encoding="utf-8")
    from disparity.cli import main

    assert main(["report", str(spec), "--out", str(tmp_path / "keep")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("disparity: error: ") and "keep" in err and "Traceback" not in err
    assert (tmp_path / "keep" / "a.txt").read_text(encoding="utf-8") == "a"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux-only; elsewhere two renames")
def test_replacing_a_report_is_one_atomic_swap_on_linux(tmp_path, monkeypatch):
    from disparity.reports import _files

    first = _report("first").save(tmp_path / "rep")
    calls = []
    real = _files.exchange
    monkeypatch.setattr(_files, "exchange", lambda a, b: calls.append((a, b)) or real(a, b))

    real_replace = os.replace

    def no_rename(src, dst, **k):  # the swap must not go through "move aside, then rename"
        if Path(src) == first or Path(dst) == first:
            raise AssertionError("two-step replace used")
        return real_replace(src, dst, **k)

    monkeypatch.setattr(os, "replace", no_rename)
    out = _report("second").save(tmp_path / "rep")
    assert out == first and calls and "second" in (out / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_exchange_swaps_two_folders(tmp_path):
    from disparity.reports._files import exchange

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("A", encoding="utf-8")
    (b / "x").write_text("B", encoding="utf-8")
    if exchange(a, b):
        assert (a / "x").read_text(encoding="utf-8") == "B" and (b / "x").read_text(encoding="utf-8") == "A"
    else:  # pragma: no cover - platforms without an atomic swap
        assert not sys.platform.startswith("linux")
