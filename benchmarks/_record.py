"""Record a benchmark's table for ``benchmarks/RESULTS.md`` (see ``make_results.py``).

Each benchmark script ends with :func:`record`: it writes ``benchmarks/results/<name>.json`` with
the table it printed, the headline figures with their targets, and when, with which versions and
on which machine it ran. ``make bench`` runs every script and then ``make_results.py``, which
assembles the JSON files into ``RESULTS.md``; nothing there is typed by hand.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"

#: Packages whose versions every record names (the peers and what our code runs on).
VERSIONED = ("disparity", "numpy", "pandas", "scipy", "statsmodels", "linearmodels", "duckdb",
             "pyarrow", "pyfixest", "wildboottest", "csdid", "inequality", "pyreadstat",
             "pyspark")


def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        if pkg == "disparity":
            try:
                from disparity._version import __version__

                return str(__version__)
            except ImportError:
                return None
        return None


def machine() -> dict[str, Any]:
    """Cores, processor, memory and the load when the benchmark ended."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": mem,
            "load_1min": None if load is None else round(load, 2),
            "python": platform.python_version(), "system": platform.platform()}


def record(name: str, title: str, table: Sequence[Mapping[str, Any]] | Any, *,
           headline: Iterable[Mapping[str, Any]] = (), notes: Sequence[str] = (),
           command: str | None = None) -> Path:
    """Write ``results/<name>.json``.

    ``table`` is a list of rows (dicts) or a DataFrame; ``headline`` lists the figures the issue
    sets targets for, each ``{"figure": ..., "value": ..., "target": ..., "met": bool}``.
    """
    if hasattr(table, "to_dict"):
        table = table.to_dict(orient="records")
    out = {
        "name": name, "title": title,
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command or "python " + " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "machine": machine(),
        "versions": {p: v for p in VERSIONED if (v := _version(p)) is not None},
        "table": [dict(r) for r in table], "headline": [dict(h) for h in headline],
        "notes": list(notes),
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False, default=_plain) + "\n",
                    encoding="utf-8")
    return path


def _plain(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    return str(v)
