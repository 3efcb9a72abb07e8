"""Issue 21 item 4: every table of the demo reports compiles with XeLaTeX + ctex, with no overfull
box (a wide table is scaled to the text width or set landscape by itself)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from disparity.reports import HeaderCell, Table
from disparity.reports.pipeline import load_analysis, run_analysis
from disparity.reports.render_latex import _SISETUP, LANDSCAPE_RATIO, PREAMBLE

from .conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]


def _compile(tmp_path: Path, name: str, fragments: list[str]) -> str:
    xelatex = require_tool("xelatex")
    src = tmp_path / f"{name}.tex"
    src.write_text("\\documentclass[UTF8]{ctexart}\n\\usepackage[a4paper,margin=2.5cm]{geometry}\n" + PREAMBLE
                   + _SISETUP + "\\begin{document}\n" + "\n\\clearpage\n".join(fragments) + "\\end{document}\n",
                   encoding="utf-8")
    run = subprocess.run([xelatex, "-interaction=nonstopmode", "-halt-on-error", src.name], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    log = (tmp_path / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    assert run.returncode == 0, run.stdout[-3000:]
    return log


@pytest.mark.notebooks
@pytest.mark.parametrize("name", ["chifeng", "gansu", "national"])
def test_every_demo_table_compiles_without_overfull_boxes(name, tmp_path):
    out = run_analysis(load_analysis(ROOT / "analyses" / name / "report.toml"), output=tmp_path / "report")
    fragments = [p.read_text(encoding="utf-8") for p in sorted((out / "tables").glob("*.tex"))]
    assert fragments
    log = _compile(tmp_path, name, fragments)
    assert not re.findall(r"Overfull \\[hv]box.*", log), re.findall(r"Overfull \\[hv]box.*", log)[:5]


def test_latex_fragment_structure():
    t = Table(header=((HeaderCell(""), HeaderCell("(1)"), HeaderCell("(2)")),),
              body=(("收入", "-0.008***", "12.5"), ("", "(0.003)", "(1.250)"), ("控制变量", "是", "否"),
                    ("观测值", "2947", "12345")),
              title="回归", notes=("括号内为标准误。",), lang="zh")
    tex = t.to_latex()
    assert r"\begin{threeparttable}" in tex and r"\begin{tablenotes}[flushleft]" in tex
    assert r"S[table-format=-1.3, table-space-text-pre={(}, table-space-text-post={)\sym{***}}]" in tex
    assert r"S[table-format=5.3, table-space-text-pre={(}, table-space-text-post={)}]" in tex
    assert r"-0.008{\sym{***}}" in tex and r"{(}0.003{)}" in tex  # siunitx sets the math minus
    assert r"{是}" in tex and r"{2,947}" in tex and "12345" in tex  # counts grouped like the DOCX
    assert r"\begin{adjustbox}{max width=\linewidth}" in tex and "sidewaystable" not in tex
    wide = Table(header=((HeaderCell("变量"), *[HeaderCell(f"统计量{j}") for j in range(14)]),),
                 body=(("x", *[f"{12345.678 * j:.3f}" for j in range(14)]),), lang="zh")
    assert r"\begin{sidewaystable}" in wide.to_latex()
    assert LANDSCAPE_RATIO > 1


def test_wide_and_long_tables_compile_without_overfull_boxes(tmp_path):
    wide = Table(header=((HeaderCell("变量"), *[HeaderCell(f"统计量{j}") for j in range(10)]),),
                 body=tuple((f"变量{i}", *[f"{-1234.5678 * j:.3f}" for j in range(10)]) for i in range(5)),
                 title="十列描述统计", notes=("注释应与表格同宽，而不是与页面同宽。" * 3,), lang="zh")
    very = Table(header=((HeaderCell("变量"), *[HeaderCell(f"统计量{j}") for j in range(20)]),),
                 body=tuple((f"变量{i}", *[f"{1234.5678 * j:.3f}" for j in range(20)]) for i in range(5)),
                 title="二十列", lang="zh")
    log = _compile(tmp_path, "wide", [wide.to_latex(), very.to_latex()])
    assert "Overfull" not in log
