"""Assemble ``benchmarks/RESULTS.md`` from ``benchmarks/results/*.json`` (written by each script).

Run by ``make bench`` after the benchmarks; rerun alone to rebuild the page from stored results:
``python benchmarks/make_results.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _cell(v: object) -> str:
    if isinstance(v, bool):
        return "yes" if v else "**no**"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
            return f"{v:.3g}"
        return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"
    return "" if v is None else str(v).replace("|", "\\|")


def _table(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    cols = list(dict.fromkeys(k for r in rows for k in r))
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(_cell(r.get(c)) for c in cols) + " |" for r in rows]
    return out


def main() -> None:
    records = [json.loads(p.read_text(encoding="utf-8"))
               for p in sorted((HERE / "results").glob("*.json"))]
    lines = ["# Benchmark results", "",
             "Written by `benchmarks/make_results.py` from `benchmarks/results/*.json`, which each",
             "benchmark script writes when it runs (`make bench` runs them all). Peers are timed in",
             "the same run on the same machine; compare ratios, not seconds across machines.", "",
             "## Headline figures", "",
             "| benchmark | figure | value | target | met | date |", "|---|---|---|---|---|---|"]
    for r in records:
        for h in r["headline"]:
            lines.append(f"| [{r['name']}](#{r['name'].replace('_', '-')}) | {_cell(h['figure'])} | "
                         f"{_cell(h.get('value'))} | {_cell(h.get('target'))} | "
                         f"{_cell(h.get('met'))} | {r['date']} |")
    for r in records:
        m = r["machine"]
        lines += ["", f"## {r['name']}", "", r["title"], "",
                  f"`{r['command']}` — {r['date']}; {m['cores']} cores, {m['cpu']}, "
                  f"{m['memory_gib']} GiB, load {m['load_1min']} at the end; Python {m['python']}.",
                  "", "Versions: " + ", ".join(f"{k} {v}" for k, v in r["versions"].items()) + ".",
                  ""]
        lines += _table(r["table"])
        if r["notes"]:
            lines.append("")
            lines += [f"* {n}" for n in r["notes"]]
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS.md'} from {len(records)} benchmark(s)")


if __name__ == "__main__":
    main()
