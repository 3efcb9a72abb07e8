"""The test tree mirrors the package (issue 18 item 8).

Every subpackage of ``disparity`` has a test folder at the same relative path, so a reader looking for
the tests of ``disparity/models/decomp`` finds them in ``tests/models/decomp``. Folders that test the
package as a whole (security attacks, docs, analyses, stored references) are listed here by name.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "disparity"
TESTS = ROOT / "tests"

#: test folders with no package counterpart, and why
CROSS_CUTTING = {
    "analyses": "runs the analyses/ folder end to end",
    "docs": "builds the documentation",
    "reference": "stored values from R, Stata and papers",
    "security": "hostile input against every entry point",
    "reports/snapshots": "stored HTML snapshots",
    "io/fixtures": "small real and synthetic input files",
}


def _subpackages() -> set[str]:
    return {
        str(p.parent.relative_to(PACKAGE))
        for p in PACKAGE.rglob("__init__.py")
        if p.parent != PACKAGE and not p.parent.name.startswith("_")
    }


def test_every_subpackage_has_a_test_folder() -> None:
    missing = sorted(s for s in _subpackages() if not (TESTS / s).is_dir())
    assert missing == [], f"subpackages without a tests/ folder: {missing}"


def test_every_test_folder_mirrors_a_subpackage() -> None:
    subs = _subpackages()
    folders = {
        str(p.relative_to(TESTS))
        for p in TESTS.rglob("*")
        if p.is_dir() and not p.name.startswith(("_", ".")) and p.name != "__pycache__"
    }
    allowed = subs | set(CROSS_CUTTING)
    stray = sorted(
        f for f in folders if not any(f == a or f.startswith(a + "/") for a in allowed)
    )
    assert stray == [], f"test folders that mirror no subpackage: {stray}"
    assert "models/decomp" in subs and "models/did" in subs
