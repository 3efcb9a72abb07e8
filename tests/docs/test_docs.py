"""The documentation sources cover the public API (fast: parses Markdown, builds nothing).

The docs build itself (``docs/build.sh``: executed pages, warnings as errors, internal link check)
is the test of the pages; these checks keep the API reference and the examples from falling behind
the package.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path

import pytest

import disparity as dp
from disparity import measures, models
from disparity.models import decomp, did

DOCS = Path(__file__).resolve().parents[2] / "docs"
REFERENCE = DOCS / "reference" / "index.md"
EXAMPLES = DOCS / "reference" / "examples.md"
CODE_CELL = re.compile(r"```\{code-cell\}[^\n]*\n(.*?)```", re.S)

# Names star-imported into ``dp`` from the subpackages are public too, although only the loaders
# and modules are spelled out in ``dp.__all__``.
TOP_LEVEL = list(dp.__all__)
STAR_IMPORTED = sorted({*measures.__all__, *models.__all__, *decomp.__all__, *did.__all__})
PUBLIC_FUNCTIONS = sorted(
    n for n in {*TOP_LEVEL, *STAR_IMPORTED} if inspect.isfunction(getattr(dp, n, None))
)


def _mentions(text: str, name: str) -> bool:
    """``name`` as a whole word, bare (autosummary entry) or as ``dp.name`` / ``reports.name``."""
    n = re.escape(name)
    return re.search(rf"(?:(?<![\w.])|\bdp\.|\breports\.){n}(?!\w)", text) is not None


def _executed_code() -> str:
    pages = [p for p in DOCS.rglob("*.md") if "_build" not in p.parts and "reference" not in p.parts]
    return "\n".join(c for p in pages for c in CODE_CELL.findall(p.read_text(encoding="utf-8")))


def test_the_lists_are_not_empty():
    # Guards the other tests against vacuous success if the package's __all__ lists change shape.
    assert len(TOP_LEVEL) >= 10
    assert len(PUBLIC_FUNCTIONS) >= 40
    assert {"gini", "ols", "event_study", "oaxaca", "read_survey"} <= set(PUBLIC_FUNCTIONS)


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_every_name_in_dunder_all_is_in_the_api_reference(name):
    assert _mentions(REFERENCE.read_text(encoding="utf-8"), name), (
        f"dp.{name} is in dp.__all__ but not in docs/reference/index.md; add it to an autosummary "
        "table there."
    )


@pytest.mark.parametrize("name", STAR_IMPORTED)
def test_every_star_imported_public_name_is_in_the_api_reference(name):
    assert _mentions(REFERENCE.read_text(encoding="utf-8"), name), (
        f"dp.{name} is public (a subpackage's __all__) but not in docs/reference/index.md."
    )


def test_every_public_function_runs_in_an_executed_cell():
    code = _executed_code()
    missing = [n for n in PUBLIC_FUNCTIONS if not re.search(rf"\bdp\.{n}\(", code)]
    assert not missing, f"no executed example calls dp.{missing}; add one to a guide page"


def _examples_module():
    spec = importlib.util.spec_from_file_location("make_examples_index", DOCS / "make_examples_index.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_examples_page_lists_every_public_function():
    text = EXAMPLES.read_text(encoding="utf-8")
    missing = [n for n in PUBLIC_FUNCTIONS if not re.search(rf"`dp\.{n} <disparity\.(reports\.)?{n}>`", text)]
    assert not missing, f"docs/reference/examples.md does not list {missing}"
    assert "| not executed |" not in text


def test_examples_page_is_current():
    assert EXAMPLES.read_text(encoding="utf-8") == _examples_module().render(), (
        "docs/reference/examples.md is stale; run python docs/make_examples_index.py"
    )


def test_mentions_is_not_fooled_by_prefixes():
    assert _mentions("   gini\n", "gini")
    assert not _mentions("   gini_corrected\n", "gini")
    assert not _mentions("dp.errors.DataFormatError", "DataFormatErr")
    assert not _mentions("io.regions.to_code", "to_code_x")
    assert _mentions("   reports.save_figure\n", "save_figure")
    assert not _mentions("   other.save_figure\n", "save_figure")
