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
