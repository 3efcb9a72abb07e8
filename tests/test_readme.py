"""The README's quick start runs as written."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_quick_start_runs(monkeypatch):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text
    block = re.search(r"## Quick start\s+```python\n(.*?)```", text, re.S).group(1)
    assert len(block.strip().splitlines()) <= 10
    monkeypatch.chdir(ROOT)
    ns: dict = {}
    exec(compile(block, "README.md", "exec"), ns)  # noqa: S102 - our own README
    assert ns["book"].encoding == "gb18030"
    assert list(ns["df"]["county"].cat.categories[:1]) == ["红山区"]


def test_speed_claims_quote_the_benchmark_table() -> None:
    # issue 22 item 7: the README's speed figures link to benchmarks/RESULTS.md and quote only its
    # numbers (each decimal figure of the Speed section appears in the table)
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    table = (root / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    section = readme.split("### Speed", 1)[1].split("\n### ", 1)[0]
    assert "benchmarks/RESULTS.md" in section
    figures = re.findall(r"(?<![\d,.])\d+\.\d+(?:e-\d+)?", section)
    assert len(figures) >= 10
    missing = [f for f in figures if f not in table]
    assert missing == [], f"README speed figures not in benchmarks/RESULTS.md: {missing}"
