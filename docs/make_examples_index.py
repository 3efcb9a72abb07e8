"""Regenerate docs/reference/examples.md: where each public function runs in an executed page.

Usage: ``python docs/make_examples_index.py`` (from the repository root). ``tests/docs`` fails when
the page falls behind the package.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import disparity as dp
from disparity import measures, models
from disparity.models import decomp, did

DOCS = Path(__file__).resolve().parent
CODE_CELL = re.compile(r"```\{code-cell\}[^\n]*\n(.*?)```", re.S)
# Functions reached through a module attribute of dp, with the page that runs them.
MODULE_FUNCTIONS = {
    "datasets.chifeng_survey": "disparity.datasets.chifeng_survey",
    "datasets.province_panel": "disparity.datasets.province_panel",
    "datasets.province_panel_true_att": "disparity.datasets.province_panel_true_att",
    "datasets.national_standards": "disparity.datasets.national_standards",
    "datasets.path": "disparity.datasets.path",
    "regions.to_code": "disparity.io.regions.to_code",
    "regions.to_name": "disparity.io.regions.to_name",
    "regions.classify": "disparity.io.regions.classify",
    "regions.divisions": "disparity.io.regions.divisions",
    "regions.crosswalk": "disparity.io.regions.crosswalk",
    "regions.recode": "disparity.io.regions.recode",
    "benefits.list_schedules": "disparity.benefits.list_schedules",
    "benefits.load_schedule": "disparity.benefits.load_schedule",
    "benefits.reimburse": "disparity.benefits.reimburse",
}


def public_functions() -> list[str]:
    names = {*dp.__all__, *measures.__all__, *models.__all__, *decomp.__all__, *did.__all__}
    return sorted(n for n in names if inspect.isfunction(getattr(dp, n, None)))


def target(name: str) -> str:
    module = getattr(dp, name).__module__
    return f"disparity.reports.{name}" if module.startswith("disparity.reports") else f"disparity.{name}"


def pages() -> dict[Path, str]:
    found = {}
    for p in sorted(DOCS.rglob("*.md")):
        if "_build" in p.parts or "reference" in p.parts:
            continue
        found[p] = "\n".join(CODE_CELL.findall(p.read_text(encoding="utf-8")))
    return found


def render() -> str:
    code = pages()

    def where(call: str) -> str:
        pat = re.compile(rf"\bdp\.{re.escape(call)}\(")
        hits = [p for p, c in code.items() if pat.search(c)]
        return ", ".join("{doc}`../" + p.relative_to(DOCS).with_suffix("").as_posix() + "`" for p in hits)

    lines = [
        "# Examples by function",
        "",
        "Every public function has at least one executed example in the guide pages; this table says",
        "where. (The docstrings themselves do not carry `Examples` sections yet.) The page is generated",
        "by `docs/make_examples_index.py`; `tests/docs` checks that it is current and that every",
        "public function is called in an executed code cell.",
        "",
        "| function | executed on |",
        "|---|---|",
    ]
    for n in public_functions():
        lines.append(f"| {{func}}`dp.{n} <{target(n)}>` | {where(n) or 'not executed'} |")
    for short, full in MODULE_FUNCTIONS.items():
        lines.append(f"| {{func}}`dp.{short} <{full}>` | {where(short) or 'not executed'} |")
    lines += [
        "",
        "Not executed here: the `dp.scale` functions (they need the optional `scale` extra, DuckDB and",
        "Ibis, which the documentation build does not install), `dp.datasets.true_parameters`,",
        "`dp.regions.provinces` and `dp.regions.chifeng_units`.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    (DOCS / "reference" / "examples.md").write_text(render(), encoding="utf-8")
